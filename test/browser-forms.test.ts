import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adoptSession, launchBrowser, newPage, WALKTHROUGH_TIMEOUT } from './support/browser.ts';
import { type ConsoleClient, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * Forms that say what is wrong, in a real browser: an amount of 0, a negative routing weight, the
 * two-step manual completion (password before remark, not the primary button), and the IP allowlist
 * field that both consoles share.
 */
describe.each(testDatabases)('console forms in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let admin: ConsoleClient;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    admin = await operatorConsole(t);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const url = (path: string) => `${t.platform.url}${path}`;

  async function operatorPage() {
    const { page, context } = await newPage(browser);
    await adoptSession(context, t.platform.url, admin);
    return { page, context };
  }

  async function merchantPage() {
    const { page, context } = await newPage(browser);
    await page.goto(url('/login?area=merchant'));
    await page.getByLabel('用户名').fill(t.demo.merchantManager.username);
    await page.getByLabel('密码', { exact: true }).fill(t.demo.merchantManager.password);
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForURL(/\/merchant\//);
    return { page, context };
  }

  /** The error messages shown under one form item, as a list (one at a time). */
  const errorsOf = (item: Locator) => item.locator('.ant-form-item-explain-error').allInnerTexts();
  const formItem = (scope: Locator, label: string) =>
    scope.locator('.ant-form-item').filter({ has: scope.page().locator(`label[title="${label}"]`) });

  it('says an amount of 0 must be greater than 0, one message at a time', async () => {
    const { page, context } = await merchantPage();
    await page.goto(url('/merchant/collect'));
    const amount = page.getByTestId('collect-amount');
    await amount.fill('0');
    await page.getByRole('button', { name: '生成收款码' }).click();
    const item = page.locator('.ant-form-item').filter({ has: amount });
    await expect.poll(() => errorsOf(item)).toEqual(['金额须大于 0']);
    await amount.fill('1.234');
    await expect.poll(() => errorsOf(item)).toEqual(['金额最多两位小数']);
    await amount.fill('abc');
    await expect.poll(() => errorsOf(item)).toEqual(['金额须为数字（元），如 12.50']);
    await context.close();
  });

  it('refuses a negative weight on the routing screen with a message, saving nothing', async () => {
    const product = t.demo.merchant.productCode;
    const weights = async () =>
      (await admin.ok<{ weight: number }[]>('GET', `/api/admin/products/${product}/bindings`))
        .map((b) => b.weight)
        .sort((a, b) => a - b);
    const before = await weights();
    const { page, context } = await operatorPage();
    await page.goto(url(`/operator/routing?product=${product}`));
    const table = page.getByTestId('bindings-table');
    const weight = table.getByRole('spinbutton', { name: '权重' }).first();
    await weight.fill('-5');
    await weight.press('Enter');
    await expect.poll(() => page.getByRole('tooltip').innerText()).toContain('权重不能为负数');
    expect(await weight.getAttribute('aria-invalid')).toBe('true');
    expect(await weights()).toEqual(before);
    // The value typed stays for the operator to correct; Esc puts the saved one back.
    expect(await weight.inputValue()).toBe('-5');
    await weight.press('Escape');
    await expect.poll(() => weight.getAttribute('aria-invalid')).toBe('false');

    // The binding drawer says the same.
    await page.getByRole('button', { name: '绑定通道账户' }).click();
    const drawer = page.locator('.ant-drawer-content');
    await drawer.getByLabel('权重').fill('-1');
    await drawer.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => errorsOf(formItem(drawer, '权重'))).toEqual(['权重不能为负数；不参与分配请填 0']);
    expect(await weights()).toEqual(before);
    await context.close();
  });

  it('checks the completion password before asking for the remark; 补单 is not the primary action', async () => {
    await admin.ok('PUT', '/api/admin/settings/completion-password', { password: 'completion-pw-9' });
    const created = await admin.ok<{ order: { orderNo: string } }>('POST', '/api/admin/test-orders', {
      mchNo: t.demo.merchant.mchNo,
      productCode: t.demo.merchant.productCode,
      amount: 2345,
    });
    const orderNo = created.order.orderNo;
    const { page, context } = await operatorPage();
    await page.goto(url(`/operator/orders?order=${orderNo}`));
    await expect.poll(() => page.getByTestId('order-detail').isVisible()).toBe(true);
    const button = page.locator('.ant-drawer').getByRole('button', { name: '补单' });
    expect(await button.getAttribute('class')).not.toContain('ant-btn-primary');

    await button.click();
    const dialog = page.getByRole('dialog').filter({ hasText: '人工补单' });
    expect(await dialog.getByLabel('补单说明').count()).toBe(0);
    await dialog.getByLabel('补单密码').fill('not-the-password');
    await dialog.getByRole('button', { name: '验证密码' }).click();
    await expect
      .poll(() => dialog.locator('[data-error-code]').getAttribute('data-error-code'))
      .toBe('COMPLETION_PASSWORD_INVALID');
    expect(await dialog.getByLabel('补单说明').count()).toBe(0);

    await dialog.getByLabel('补单密码').fill('completion-pw-9');
    await dialog.getByRole('button', { name: '验证密码' }).click();
    await expect.poll(() => dialog.getByTestId('completion-verified').isVisible()).toBe(true);
    // Verifying completed nothing.
    expect((await t.platform.services.orders.requireByOrderNo(orderNo)).state).toBe('paying');
    await dialog.getByRole('button', { name: '确认补单' }).click();
    await expect.poll(() => errorsOf(formItem(dialog, '补单说明'))).toEqual(['请填写补单说明']);
    await dialog.getByLabel('补单说明').fill('通道已确认到账');
    await dialog.getByRole('button', { name: '确认补单' }).click();
    await expect
      .poll(async () => (await t.platform.services.orders.requireByOrderNo(orderNo)).state)
      .toBe('paid');
    await context.close();
  });

  it('edits the IP allowlist with the same field and check in both consoles', async () => {
    const { mchNo, appId } = t.demo.merchant;
    const allowlist = async () =>
      (await t.platform.services.merchants.listApps(mchNo)).find((a) => a.appId === appId)?.ipAllowlist;

    // ---- operator: the app's drawer ----
    const { page, context } = await operatorPage();
    await page.goto(url(`/operator/merchants/${mchNo}`));
    await page.getByRole('tab', { name: '应用' }).click();
    await expect.poll(() => page.getByTestId('ip-allowlist').first().innerText()).toBe('不限（任何 IP）');
    await page.getByRole('button', { name: '配置' }).first().click();
    const drawer = page.locator('.ant-drawer-content');
    const field = drawer.getByRole('combobox', { name: 'IP 白名单' });
    await field.fill('not-an-ip');
    await field.press('Enter');
    await drawer.getByRole('button', { name: '确定' }).click();
    await expect
      .poll(() => errorsOf(formItem(drawer, 'IP 白名单')))
      .toEqual(['「not-an-ip」不是有效的 IP 地址或 CIDR 网段']);
    await drawer.locator('.ant-tag', { hasText: 'not-an-ip' }).locator('.ant-tag-close-icon').click();
    await field.fill('203.0.113.10');
    await field.press('Enter');
    await drawer.getByRole('button', { name: '确定' }).click();
    await expect.poll(allowlist).toEqual(['203.0.113.10']);
    await expect.poll(() => page.getByTestId('ip-allowlist').first().innerText()).toContain('203.0.113.10');
    await context.close();

    // ---- merchant portal: the app settings, the same field ----
    const portal = await merchantPage();
    await portal.page.goto(url('/merchant/apps'));
    await expect
      .poll(() => portal.page.getByTestId('ip-allowlist').first().innerText())
      .toContain('203.0.113.10');
    await portal.page.getByRole('button', { name: '修改应用设置' }).first().click();
    const settings = portal.page.locator('.ant-drawer-content');
    const portalField = settings.getByRole('combobox', { name: 'IP 白名单' });
    await portalField.fill('10.0.0.0/33');
    await portalField.press('Enter');
    await settings.getByRole('button', { name: '确定' }).click();
    await expect
      .poll(() => errorsOf(formItem(settings, 'IP 白名单')))
      .toEqual(['「10.0.0.0/33」不是有效的 IP 地址或 CIDR 网段']);
    await settings.locator('.ant-tag', { hasText: '10.0.0.0/33' }).locator('.ant-tag-close-icon').click();
    await portalField.fill('198.51.100.0/24');
    await portalField.press('Enter');
    await settings.getByRole('button', { name: '确定' }).click();
    await expect.poll(allowlist).toEqual(['203.0.113.10', '198.51.100.0/24']);
    await portal.context.close();
  });
});
