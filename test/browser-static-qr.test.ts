import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ledgerReport } from '../src/app/platform.ts';
import { launchBrowser, newPage, readmeScreenshots, WALKTHROUGH_TIMEOUT } from './support/browser.ts';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * The static QR (收款码) flow in a real browser against the real server: the store manager opens a
 * code for a cashier in the portal and downloads its poster; a payer opens the printed link on a
 * phone, types 8.80, picks the method and lands on the cashier page, pays on the sandbox's page and
 * sees the cashier page turn paid; the cashier then finds the order among its own.
 */
describe.each(testDatabases)('static QR in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  const cashier = { username: 'cashier_zhao', password: 'cashier-zhao-pw7', displayName: '收银员小赵' };
  const shoot = readmeScreenshots(database.kind);

  beforeAll(async () => {
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    const merchant = await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo);
    await t.platform.services.consoleUsers.createUser({
      area: 'merchant',
      username: cashier.username,
      password: cashier.password,
      displayName: cashier.displayName,
      merchantId: merchant.id,
      merchantRole: 'cashier',
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const url = (path: string) => `${t.platform.url}${path}`;

  async function merchantLogin(page: Page, username: string, password: string) {
    await page.goto(url('/login?area=merchant'));
    await page.getByLabel('用户名').fill(username);
    await page.getByLabel('密码', { exact: true }).fill(password);
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForURL(/\/merchant\//);
  }

  it('goes from a code made in the portal to a paid order the cashier sees', async () => {
    const { services } = t.platform;

    // ---- the manager opens a code for the cashier ----
    const { page: manager, context: managerContext } = await newPage(browser);
    await merchantLogin(manager, t.demo.merchantManager.username, t.demo.merchantManager.password);
    await manager.getByRole('menuitem', { name: '收款码' }).click();
    await manager.waitForURL(/\/merchant\/collect-codes$/);
    await manager.getByTestId('collect-code-create').click();
    const dialog = manager.getByRole('dialog');
    await dialog.getByLabel('名称').fill('一号收银台');
    await dialog.getByRole('combobox', { name: '收银员' }).click();
    await manager.locator('.ant-select-item-option', { hasText: cashier.displayName }).first().click();
    // Every open method is offered by default.
    await expect
      .poll(() => dialog.getByRole('checkbox', { name: '沙箱扫码 Sandbox QR' }).isChecked())
      .toBe(true);
    await dialog.getByRole('button', { name: '确定' }).click();

    // The new code is shown for printing: its QR image, its link, the poster download.
    const preview = manager.getByTestId('collect-code-preview');
    await expect.poll(() => preview.isVisible()).toBe(true);
    const link = (await preview.getByTestId('collect-code-url').innerText()).trim();
    expect(link).toMatch(new RegExp(`^${t.platform.url}/pay/[a-z2-7]{20}$`));
    await expect
      .poll(() =>
        preview.getByTestId('collect-code-qr').evaluate((img: HTMLImageElement) => img.naturalWidth),
      )
      .toBe(480);
    const [poster] = await Promise.all([
      manager.waitForEvent('download'),
      preview.getByTestId('collect-code-download-poster-a5').click(),
    ]);
    expect(poster.suggestedFilename()).toMatch(/^qingyun-collect-[a-z2-7]{20}-A5\.pdf$/);
    await shoot(manager, 'merchant-collect-code');
    await manager.keyboard.press('Escape');
    const table = manager.getByTestId('collect-code-table');
    await expect.poll(() => table.innerText()).toContain('一号收银台');
    expect(await table.innerText()).toContain(cashier.displayName);
    await shoot(manager, 'merchant-collect-codes');
    const code = link.slice(link.lastIndexOf('/') + 1);
    const row = (
      await services.db.query<{ id: bigint }>('SELECT id FROM collect_code WHERE code = $1', [code])
    )[0]!;

    // ---- a payer scans it on a phone: amount, method, pay ----
    const { page: phone, context: phoneContext } = await newPage(browser, { mobile: true });
    await phone.goto(link);
    await expect.poll(() => phone.getByTestId('pay-store').innerText()).toBe('一号收银台');
    await shoot(phone, 'static-qr-pay');
    await phone.getByTestId('pay-amount').fill('8.80');
    await phone.locator('label.method', { hasText: '沙箱扫码' }).click();
    expect(await phone.getByTestId('pay-method-sandbox_qr').isChecked()).toBe(true);
    await phone.getByTestId('pay-submit').click();
    await phone.waitForURL(/\/cashier\/P\d{20}\/[\w-]{32}$/);
    const orderNo = new URL(phone.url()).pathname.split('/')[2]!;
    const state = phone.getByTestId('cashier-state');
    await expect.poll(() => state.getAttribute('data-state')).toBe('paying');
    expect(await phone.locator('#amount').innerText()).toBe('¥8.80');
    const order = await services.orders.requireByOrderNo(orderNo);
    const cashierUser = (
      await services.db.query<{ id: bigint }>('SELECT id FROM console_user WHERE username = $1', [
        cashier.username,
      ])
    )[0]!;
    expect(order).toMatchObject({
      amount: 880n,
      source: 'static_qr',
      collect_code_id: row.id,
      created_by_user_id: cashierUser.id,
      subject: '一号收银台 收款',
    });

    // The payer pays on the channel's page; the cashier page turns paid by itself.
    const sandbox = await phoneContext.newPage();
    await sandbox.goto(order.pay_data_value!);
    await sandbox.getByRole('button', { name: '支付成功 / Pay' }).click();
    await expect.poll(() => sandbox.locator('body').innerText()).toContain('支付成功 / Paid');
    await sandbox.close();
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 15_000 }).toBe('paid');
    expect(await state.innerText()).toContain('支付成功');

    // ---- the cashier finds the order among its own, and its code to print ----
    const { page: till, context: tillContext } = await newPage(browser);
    await merchantLogin(till, cashier.username, cashier.password);
    await till.goto(url('/merchant/orders'));
    const orders = till.getByTestId('merchant-order-table');
    await expect.poll(() => orders.innerText()).toContain(orderNo);
    await expect.poll(() => orders.locator('[data-state="paid"]').count()).toBe(1);
    await till.goto(url('/merchant/collect-codes'));
    await expect.poll(() => till.getByTestId('collect-code-table').innerText()).toContain('一号收银台');
    expect(await till.getByTestId('collect-code-create').count()).toBe(0);

    expect((await ledgerReport(services)).ok).toBe(true);
    await Promise.all([managerContext.close(), phoneContext.close(), tillContext.close()]);
  });
});
