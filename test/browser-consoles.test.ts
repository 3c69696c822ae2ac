import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ledgerReport } from '../src/app/platform.ts';
import { launchBrowser, newPage, readmeScreenshots, WALKTHROUGH_TIMEOUT } from './support/browser.ts';
import { type ConsoleClient, freshTotp, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * The consoles in a real browser (Debian's chromium) against the real server on a fresh database:
 * an operator's first day (TOTP enrolment, a merchant and its app, routing, a test order paid on
 * the sandbox page, manual completion), then a store manager and a cashier in the merchant portal,
 * and the payer's cashier page. Saves the README's screenshots when QY_SCREENSHOTS=1.
 */

interface OrderRow {
  orderNo: string;
  state: string;
  channelCost: number;
  platformProfit: number;
  fee: number;
}

describe.each(testDatabases)('consoles in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let admin: ConsoleClient;
  const shoot = readmeScreenshots(database.kind);

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

  /** Picks an option of an antd select by its label and the option's text. */
  async function choose(page: Page, label: string, option: string) {
    await page.getByRole('combobox', { name: label }).click();
    await page.locator('.ant-select-item-option', { hasText: option }).first().click();
  }

  /** Operator login on a fresh browser profile; walks the TOTP step with the given secret. */
  async function operatorLogin(page: Page, username: string, password: string) {
    await page.goto(url('/login'));
    await page.getByLabel('用户名').fill(username);
    await page.getByLabel('密码', { exact: true }).fill(password);
    await page.getByRole('button', { name: '登录' }).click();
  }

  it("walks an operator's day: TOTP enrolment, merchant and app, routing, a test order paid, manual completion", async () => {
    const { page, context } = await newPage(browser);
    // ---- first login: enrol TOTP with the QR code's secret, keep the recovery codes ----
    await page.goto(url('/login'));
    await shoot(page, 'login');
    await operatorLogin(page, t.demo.operator.username, t.demo.operator.password);
    const enrol = page.getByTestId('totp-enrol');
    await expect.poll(() => enrol.isVisible()).toBe(true);
    await expect.poll(() => enrol.locator('img').first().isVisible()).toBe(true);
    const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await page.getByLabel('验证码').fill(await freshTotp(secret));
    await page.getByRole('button', { name: '验证并启用' }).click();
    await expect.poll(() => page.getByTestId('recovery-codes').innerText()).toMatch(/\w{5}-\w{5}/);
    const codes = (await page.getByTestId('recovery-codes').innerText()).match(/\w{5}-\w{5}/g) ?? [];
    expect(codes).toHaveLength(10);
    await page.getByRole('button', { name: '我已保存恢复码' }).click();
    await page.waitForURL(/\/operator\//);
    await expect.poll(() => page.getByTestId('stats-totals').isVisible()).toBe(true);

    // ---- open a merchant and its app: the secret is shown once ----
    await page.goto(url('/operator/merchants'));
    await page.getByRole('button', { name: '新建商户' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('商户名称').fill('浏览器测试商户');
    await dialog.getByLabel('商户简称').fill('浏览器店');
    await dialog.getByRole('button', { name: '确定' }).click();
    await page.waitForURL(/\/operator\/merchants\/M\d+/);
    const mchNo = /merchants\/(M\d+)/.exec(page.url())![1]!;
    await page.getByRole('tab', { name: '应用' }).click();
    await page.getByRole('button', { name: '新建应用' }).click();
    await page.getByRole('dialog').getByLabel('应用名称').fill('收银台');
    await page.getByRole('dialog').getByRole('button', { name: '确定' }).click();
    const oneTime = page.getByTestId('one-time-secret');
    await expect.poll(() => oneTime.isVisible()).toBe(true);
    expect((await oneTime.innerText()).length).toBeGreaterThan(20);
    await shoot(page, 'operator-app-secret');
    // The dialog is still zooming in when it is first clickable; a click then may not land: tick until ticked.
    const saved = page.getByRole('checkbox', { name: '我已保存' });
    await eventually(
      async () => {
        await saved.check({ timeout: 2_000 }).catch(() => undefined);
        return (await saved.isChecked()) || undefined;
      },
      10_000,
      'the 我已保存 box ticked',
    );
    await page.getByRole('button', { name: '完成' }).click();
    const merchant = await t.platform.services.merchants.requireMerchant(mchNo);
    expect((await t.platform.services.merchants.listApps(mchNo)).map((a) => a.name)).toEqual(['收银台']);

    // A product of its own, with both sandbox accounts priced for it and the merchant's rate.
    await admin.ok('POST', '/api/admin/products', {
      code: 'browser_qr',
      name: '浏览器扫码',
      currency: 'CNY',
      minAmount: 1,
      maxAmount: 1_000_000,
      defaultRatePpm: 6000,
    });
    const [accountA, accountB] = t.channelAccountIds;
    for (const [account, cost] of [
      [accountA, 3800],
      [accountB, 4500],
    ] as const) {
      await admin.ok('PUT', `/api/admin/channel-accounts/${account}/rates/browser_qr`, { costRatePpm: cost });
    }
    await admin.ok('PUT', `/api/admin/merchants/${mchNo}/products/browser_qr`, { ratePpm: 6000 });

    // ---- bind the product to two channel accounts on the routing screen ----
    await page.goto(url('/operator/routing?product=browser_qr'));
    for (const name of ['沙箱账户 A', '沙箱账户 B']) {
      await page.getByRole('button', { name: '绑定通道账户' }).click();
      const drawer = page.locator('.ant-drawer-content');
      await drawer.getByRole('combobox', { name: '通道账户' }).click();
      await page.locator('.ant-select-item-option', { hasText: name }).first().click();
      await drawer.getByLabel('权重').fill(name.endsWith('A') ? '60' : '40');
      // A sandbox account is a test account: binding it takes an explicit confirmation.
      await drawer.getByRole('button', { name: '确定' }).click();
      await expect.poll(() => drawer.innerText()).toContain('绑定测试账户前请勾选确认');
      await drawer.getByRole('checkbox', { name: '我确认将该产品绑定到测试账户' }).check();
      await drawer.getByRole('button', { name: '确定' }).click();
      await expect.poll(() => page.getByTestId('bindings-table').innerText()).toContain(name);
      // The drawer holding the account just bound animates out; the next one must not be mistaken for it.
      await expect.poll(() => page.locator('.ant-drawer-content').count()).toBe(0);
    }
    await shoot(page, 'operator-routing');
    const bindings = await admin.ok<{ weight: number }[]>('GET', '/api/admin/products/browser_qr/bindings');
    expect(bindings.map((b) => b.weight).sort()).toEqual([40, 60]);

    // ---- place an order on the test page and pay it on the sandbox page ----
    await page.goto(url('/operator/test-order'));
    await page.getByRole('combobox', { name: '商户' }).click();
    await page.getByRole('combobox', { name: '商户' }).pressSequentially('浏览器');
    await page.locator('.ant-select-item-option', { hasText: '浏览器测试商户' }).first().click();
    // The product list opens once the merchant's products have loaded (slow on a busy machine).
    await expect
      .poll(() => page.getByRole('combobox', { name: '支付产品' }).isEnabled(), { timeout: 30_000 })
      .toBe(true);
    await choose(page, '支付产品', '浏览器扫码');
    await page.getByLabel('金额').fill('88.88');
    await page.getByRole('button', { name: '提交订单' }).click();
    const result = page.getByTestId('test-order-result');
    await expect.poll(() => result.locator('canvas, svg').first().isVisible()).toBe(true);
    const orderNo = (await result.locator('.qy-mono').first().innerText()).trim();
    expect(orderNo).toMatch(/^P\d+/);
    await shoot(page, 'operator-test-order');
    const created = await t.platform.services.orders.requireByOrderNo(orderNo);
    expect([created.amount, created.merchant_id, created.state, created.test]).toEqual([
      8888n,
      merchant.id,
      'paying',
      true,
    ]);

    const sandbox = await context.newPage();
    await sandbox.goto(created.pay_data_value!);
    await sandbox.getByRole('button', { name: '支付成功 / Pay' }).click();
    await expect.poll(() => sandbox.locator('body').innerText()).toContain('支付成功 / Paid');
    await sandbox.close();

    // ---- the order list shows it paid with cost and profit ----
    await page.goto(url(`/operator/orders?q=${orderNo}`));
    const table = page.getByTestId('order-table');
    await page.getByLabel('单号').fill(orderNo);
    await page.getByRole('button', { name: '查询' }).click();
    const paid = await eventually(async () => {
      const row = (await admin.ok<{ items: OrderRow[] }>('GET', `/api/admin/orders?q=${orderNo}`)).items[0];
      return row?.state === 'paid' ? row : undefined;
    });
    await page.getByRole('button', { name: '查询' }).click();
    const row = table.getByRole('row', { name: new RegExp(orderNo) });
    await expect.poll(() => row.innerText(), { timeout: 10_000 }).toContain('支付成功');
    const rowText = await row.innerText();
    expect(paid.fee).toBe(53); // 8888 × 0.6 % rounded half up
    expect(paid.channelCost + paid.platformProfit).toBe(53);
    expect(rowText).toContain(`¥${(paid.channelCost / 100).toFixed(2)}`);
    expect(rowText).toContain(`¥${(paid.platformProfit / 100).toFixed(2)}`);
    await shoot(page, 'operator-orders');

    // ---- the list as a file made by the server: a progress notice, then the file of the filtered rows ----
    const exportRoute = '**/api/admin/orders/export?**';
    await page.route(exportRoute, async (route) => {
      // Held back a moment, as a long export is, so the notice can be seen.
      const response = await route.fetch();
      await new Promise((resolve) => setTimeout(resolve, 800));
      await route.fulfill({ response });
    });
    await page.getByTestId('orders-export').click();
    const downloading = page.waitForEvent('download', { timeout: 30_000 });
    await page
      .locator('.ant-dropdown:not(.ant-dropdown-hidden)')
      .last()
      .getByRole('menuitem', { name: '导出 CSV' })
      .click();
    await expect.poll(() => page.getByTestId('export-progress').isVisible()).toBe(true);
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^orders-\d{8}-\d{6}\.csv$/);
    const chunks: Buffer[] = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
    const lines = Buffer.concat(chunks).toString().trim().split(/\r?\n/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(orderNo);
    expect(lines[1]).toContain('支付成功');
    await expect.poll(() => page.locator('.ant-message').innerText()).toContain('已导出 1 条记录');
    await page.unroute(exportRoute);

    // ---- a partial refund from the order detail, out of the merchant's balance ----
    await page.goto(url(`/operator/orders?order=${orderNo}`));
    await expect.poll(() => page.getByTestId('order-detail').isVisible()).toBe(true);
    await page.locator('.ant-drawer button', { hasText: /^退款$/ }).click();
    const refundDialog = page.locator('.ant-modal-content');
    await expect.poll(() => refundDialog.getByTestId('refund-remainder').innerText()).toContain('88.88');
    await refundDialog.getByLabel('退款金额').fill('10.00');
    await refundDialog.getByLabel('退款原因').fill('顾客退货');
    await shoot(page, 'operator-refund');
    await refundDialog.getByRole('button', { name: '确认退款' }).click();
    await expect
      .poll(async () => (await t.platform.services.orders.requireByOrderNo(orderNo)).state, {
        timeout: 15_000,
      })
      .toBe('partially_refunded');
    expect((await t.platform.services.orders.requireByOrderNo(orderNo)).refunded_amount).toBe(1000n);
    await page.goto(url('/operator/refunds'));
    await expect.poll(() => page.getByTestId('refund-table').innerText()).toContain(orderNo);

    // ---- manual completion of another order: wrong password refused, right one accepted ----
    await page.goto(url('/operator/system/settings'));
    await page.getByLabel('新补单密码').fill('completion-pw-1');
    await page.getByLabel('确认补单密码').fill('completion-pw-1');
    await page.getByRole('button', { name: '设置补单密码' }).click();
    await expect
      .poll(
        async () =>
          (await admin.ok<{ completionPasswordSet: boolean }>('GET', '/api/admin/settings'))
            .completionPasswordSet,
      )
      .toBe(true);

    const unpaid = await admin.ok<{ order: { orderNo: string } }>('POST', '/api/admin/test-orders', {
      mchNo,
      productCode: 'browser_qr',
      amount: 1234,
    });
    const unpaidNo = unpaid.order.orderNo;
    await page.goto(url(`/operator/orders?order=${unpaidNo}`));
    const detail = page.getByTestId('order-detail');
    await expect.poll(() => detail.isVisible()).toBe(true);
    await page.locator('.ant-drawer').getByRole('button', { name: '补单' }).click();
    const completion = page.getByRole('dialog');
    await completion.getByLabel('补单密码').fill('not-the-password');
    await completion.getByRole('button', { name: '验证密码' }).click();
    await expect
      .poll(() => completion.locator('[data-error-code]').getAttribute('data-error-code'))
      .toBe('COMPLETION_PASSWORD_INVALID');
    expect((await t.platform.services.orders.requireByOrderNo(unpaidNo)).state).toBe('paying');
    await completion.getByLabel('补单密码').fill('completion-pw-1');
    await completion.getByRole('button', { name: '验证密码' }).click();
    await completion.getByLabel('补单说明').fill('客户已付款，通道未回调');
    await completion.getByRole('button', { name: '确认补单' }).click();
    await expect
      .poll(async () => (await t.platform.services.orders.requireByOrderNo(unpaidNo)).state)
      .toBe('paid');
    const completed = await t.platform.services.orders.requireByOrderNo(unpaidNo);
    expect(completed.amount).toBe(1234n);
    expect(completed.manual_completion_remark).toBe('客户已付款，通道未回调');
    await expect.poll(() => page.getByTestId('order-timeline').innerText()).toContain('补单');
    await shoot(page, 'operator-order-detail');
    expect((await ledgerReport(t.platform.services)).ok).toBe(true);

    // ---- the statistics and the English switch ----
    // Both orders went to the sandbox's test accounts, the demo's only channel: test orders. The
    // dashboard shows test data by default here (tagged as such), so the newcomer sees them.
    await page.goto(url('/operator/dashboard'));
    const testSwitch = page.getByRole('switch', { name: '含测试订单' });
    await expect.poll(() => testSwitch.getAttribute('aria-checked')).toBe('true');
    await expect.poll(() => page.getByTestId('stats-total-paid').innerText()).toContain('¥101.22');
    expect(await page.getByTestId('test-data-tag').innerText()).toContain('含测试数据');
    await shoot(page, 'operator-dashboard');
    // Switched off: real money only, none yet, and no tag.
    await testSwitch.click();
    await expect.poll(() => page.getByTestId('stats-total-paid').innerText()).toContain('¥0.00');
    expect(await page.getByTestId('test-data-tag').count()).toBe(0);
    await testSwitch.click();
    await expect.poll(() => page.getByTestId('stats-total-paid').innerText()).toContain('¥101.22');
    await page.evaluate(() => localStorage.setItem('qy.lang', 'en-US'));
    await page.goto(url('/operator/orders'));
    await expect.poll(() => page.getByRole('heading', { level: 1, name: 'Orders' }).isVisible()).toBe(true);
    expect(await page.getByLabel('Order no.').count()).toBe(1);
    await shoot(page, 'operator-orders-en');
    await context.close();
  });

  it('lets a store manager create a cashier who sees only its own orders; the cashier page turns paid by itself', async () => {
    const { services } = t.platform;
    const mchNo = t.demo.merchant.mchNo;
    const merchant = await services.merchants.requireMerchant(mchNo);
    const manager = t.demo.merchantManager;

    // ---- manager logs in and creates a cashier ----
    const { page: managerPage, context: managerContext } = await newPage(browser);
    await managerPage.goto(url('/login?area=merchant'));
    await managerPage.getByLabel('用户名').fill(manager.username);
    await managerPage.getByLabel('密码', { exact: true }).fill(manager.password);
    await managerPage.getByRole('button', { name: '登录' }).click();
    await managerPage.waitForURL(/\/merchant\//);
    await expect.poll(() => managerPage.getByTestId('dashboard-totals').isVisible()).toBe(true);
    // The demo: test data shown by default, and tagged.
    await expect
      .poll(() => managerPage.getByRole('switch', { name: '含测试订单' }).getAttribute('aria-checked'))
      .toBe('true');
    await expect.poll(() => managerPage.getByTestId('test-data-tag').isVisible()).toBe(true);
    await shoot(managerPage, 'merchant-dashboard');

    await managerPage.goto(url('/merchant/cashiers'));
    await managerPage.getByTestId('cashier-create').click();
    const form = managerPage.getByRole('dialog');
    await form.getByLabel('登录账号').fill('cashier_li');
    await form.getByLabel('姓名').fill('收银员小李');
    await form.locator('input[type=password]').nth(0).fill('cashier-first-pw1');
    await form.locator('input[type=password]').nth(1).fill('cashier-first-pw1');
    await form.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => managerPage.getByTestId('cashier-table').innerText()).toContain('cashier_li');
    await shoot(managerPage, 'merchant-cashiers');

    // Another cashier of the same store, with an order of its own (made through the API).
    await services.consoleUsers.createUser({
      area: 'merchant',
      username: 'cashier_wang',
      password: 'cashier-wang-pw7',
      merchantId: merchant.id,
      merchantRole: 'cashier',
    });
    const { ConsoleClient } = await import('./support/console.ts');
    const wang = new ConsoleClient(t.platform.url);
    await wang.login('merchant', 'cashier_wang', 'cashier-wang-pw7');
    const wangOrder = await wang.ok<{ order: { orderNo: string } }>('POST', '/api/merchant/collect', {
      productCode: 'sandbox_qr',
      amount: 500,
    });

    // ---- the cashier logs in, changes the first password, collects ----
    const { page, context } = await newPage(browser);
    await page.goto(url('/login?area=merchant'));
    await page.getByLabel('用户名').fill('cashier_li');
    await page.getByLabel('密码', { exact: true }).fill('cashier-first-pw1');
    await page.getByRole('button', { name: '登录' }).click();
    const change = page.getByTestId('password-change-form');
    await expect.poll(() => change.isVisible()).toBe(true);
    // The rule is shown before anything is typed.
    expect(await change.getByTestId('password-rule').innerText()).toContain('字母和数字');
    await change.getByLabel('当前（临时）密码').fill('cashier-first-pw1');
    await change.getByLabel('新密码', { exact: true }).fill('cashier-own-pw-1');
    await change.getByLabel('确认新密码').fill('cashier-own-pw-1');
    await change.getByRole('button', { name: '修改密码' }).click();
    await page.waitForURL(/\/merchant\//);
    await expect
      .poll(() => page.getByTestId('merchant-badge').locator('[data-role]').getAttribute('data-role'))
      .toBe('cashier');

    await page.goto(url('/merchant/collect'));
    await page.getByTestId('collect-amount').fill('12.50');
    await page.getByTestId('collect-submit').click();
    const collected = page.getByTestId('collect-result');
    await expect.poll(() => collected.getAttribute('data-state')).toBe('paying');
    await expect.poll(() => page.getByTestId('collect-qr').isVisible()).toBe(true);
    await shoot(page, 'merchant-collect');
    const liOrder = await eventually(async () => {
      const rows = await services.db.query<{ order_no: string; amount: bigint }>(
        `SELECT o.order_no, o.amount FROM pay_order o JOIN console_user u ON u.id = o.created_by_user_id
         WHERE u.username = 'cashier_li'`,
      );
      return rows[0];
    });
    expect(liOrder.amount).toBe(1250n);

    // ---- the cashier sees only its own orders; a direct call for another cashier's is refused ----
    await page.goto(url('/merchant/orders'));
    const list = page.getByTestId('merchant-order-table');
    await expect.poll(() => list.innerText()).toContain(liOrder.order_no);
    expect(await list.innerText()).not.toContain(wangOrder.order.orderNo);
    const direct = await page.evaluate(async (orderNo) => {
      const response = await fetch(`/api/merchant/orders/${orderNo}`);
      return { status: response.status, body: await response.json() };
    }, wangOrder.order.orderNo);
    expect(direct).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    const managerOnly = await page.evaluate(async () => (await fetch('/api/merchant/cashiers')).status);
    expect(managerOnly).toBe(403);

    // The manager sees both cashiers' orders.
    await managerPage.goto(url('/merchant/orders'));
    const managerList = managerPage.getByTestId('merchant-order-table');
    await expect.poll(() => managerList.innerText()).toContain(liOrder.order_no);
    expect(await managerList.innerText()).toContain(wangOrder.order.orderNo);
    await shoot(managerPage, 'merchant-orders');

    // ---- the payer's cashier page, on a phone, turns to paid by itself ----
    const { page: phone, context: phoneContext } = await newPage(browser, { mobile: true });
    await phone.goto(services.orders.cashierUrl(liOrder.order_no));
    const state = phone.getByTestId('cashier-state');
    await expect.poll(() => state.getAttribute('data-state')).toBe('paying');
    await shoot(phone, 'cashier-page');
    const row = await services.orders.requireByOrderNo(liOrder.order_no);
    expect(await payOnSandbox(row.pay_data_value!)).toBe(200);
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 15_000 }).toBe('paid');
    expect(await state.innerText()).toContain('支付成功');
    await shoot(phone, 'cashier-page-paid');
    // The cashier's collect screen turned to paid as well.
    await page.goto(url('/merchant/orders'));
    const paidTag = page.getByTestId('merchant-order-table').locator('[data-state="paid"]');
    await expect.poll(() => paidTag.count()).toBe(1);

    // ---- the cashier scans a customer's pay code (B扫C); the customer confirms on the phone ----
    await page.goto(url('/merchant/collect'));
    await page.getByTestId('collect-mode').getByText('扫顾客付款码').click();
    await page.getByTestId('collect-amount').fill('6.60');
    // A scanner types the digits and Enter; …88 is the sandbox's customer who confirms after 2 s.
    await page.getByTestId('collect-auth-code').fill('134567890123456788');
    await page.getByTestId('collect-auth-code').press('Enter');
    const scanned = page.getByTestId('collect-result');
    await expect.poll(() => scanned.getAttribute('data-state')).toBe('paying');
    expect(await scanned.innerText()).toContain('等待顾客确认付款');
    await shoot(page, 'merchant-collect-scan');
    await expect.poll(() => scanned.getAttribute('data-state'), { timeout: 15_000 }).toBe('paid');
    expect(await scanned.innerText()).toContain('¥6.60');

    // Logging out (which needs the session's CSRF token) ends the session on the server too.
    await page.getByTestId('user-menu').hover();
    await page.getByText('退出登录').click();
    await page.waitForURL(/\/login/);
    expect(await page.evaluate(async () => (await fetch('/api/auth/me')).status)).toBe(401);

    expect((await ledgerReport(services)).ok).toBe(true);
    await Promise.all([context.close(), managerContext.close(), phoneContext.close()]);
  });
});
