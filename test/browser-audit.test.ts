import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchBrowser, newPage, WALKTHROUGH_TIMEOUT, wallClock } from './support/browser.ts';
import { type ConsoleClient, merchantConsole, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * The audit log and the order timeline as an operator reads them, in Chinese and in English: a
 * manual completion (one refused, one done) and a rate change, in business words with 成功 / 失败
 * tags, yuan, % and local time — no route, no HTTP status, no raw JSON in sight.
 */

const CJK = /[\u3400-\u9fff]/;

describe.each(testDatabases)('the audit log in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let admin: ConsoleClient;
  let orderNo: string;
  let mchNo: string;
  let paidAt: Date;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    admin = await operatorConsole(t);

    // A manual completion: first with a wrong completion password (失败), then done (成功).
    await admin.ok('PUT', '/api/admin/settings/completion-password', { password: 'audit-completion-pw' });
    const order = await t.client.createOrder({
      mchOrderNo: uniqueName('AUDIT'),
      productCode: 'sandbox_qr',
      amount: 12_345,
      subject: 'audit in the browser',
    });
    orderNo = order.orderNo;
    const refused = await admin.send('POST', `/api/admin/orders/${orderNo}/complete`, {
      completionPassword: 'not-the-password',
      remark: '先试一次',
    });
    expect(refused.status).toBe(403);
    await admin.ok('POST', `/api/admin/orders/${orderNo}/complete`, {
      completionPassword: 'audit-completion-pw',
      remark: '客户出示付款凭证',
    });
    paidAt = (await t.platform.services.orders.requireByOrderNo(orderNo)).paid_at!;

    // A rate change: a new merchant opens the product at 0.6 %, then its rate goes to 0.8 %.
    mchNo = (await admin.ok<{ mchNo: string }>('POST', '/api/admin/merchants', { name: '审计浏览器商户' }))
      .mchNo;
    await admin.ok('PUT', `/api/admin/merchants/${mchNo}/products/sandbox_qr`, { ratePpm: 6000 });
    await admin.ok('PUT', `/api/admin/merchants/${mchNo}/products/sandbox_qr`, {
      ratePpm: 8000,
      fixedFee: 10,
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const url = (path: string) => `${t.platform.url}${path}`;

  /** A browser profile logged in as `client` (its session cookie), in the given language. */
  async function signedIn(
    client: ConsoleClient,
    lang: 'zh-CN' | 'en-US',
  ): Promise<{ page: Page; context: BrowserContext }> {
    const { page, context } = await newPage(browser, { locale: lang });
    const [name, value] = client.cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: t.platform.url }]);
    await context.addInitScript((l) => localStorage.setItem('qy.lang', l), lang);
    return { page, context };
  }

  /** The wall-clock time the browser (in the platform's time zone) shows for `d`. */
  const localTime = (d: Date) => wallClock(d);

  it('shows the audit log in Chinese: business words, 成功/失败, yuan and % in the diff, no route or JSON', async () => {
    const { page, context } = await signedIn(admin, 'zh-CN');
    await page.goto(url('/operator/system/audit'));
    const table = page.getByTestId('audit-table');
    await expect.poll(() => table.innerText()).toContain('人工补单');
    const text = await table.innerText();
    expect(text).toContain(`订单 ${orderNo}`);
    expect(text).toContain('修改费率');
    expect(text).toContain('开通产品');
    expect(text).toContain(`商户产品 ${mchNo} / sandbox_qr`);
    expect(text).toContain('新建商户');
    expect(text).toContain('成功');
    expect(text).toContain('失败');
    expect(text).not.toContain('/api/');
    expect(text).not.toMatch(/\{\s*"/);
    expect(text).not.toMatch(/\b(200|201|403)\b/);

    // Only orders, by the object type select.
    await page.getByRole('combobox', { name: '对象类型' }).fill('订单');
    await page.locator('.ant-select-item-option', { hasText: /^订单$/ }).click();
    await page.getByRole('button', { name: /查\s*询/ }).click();
    await expect.poll(() => table.innerText()).not.toContain('修改费率');
    const orders = await table.innerText();
    expect(orders).toContain('人工补单');
    expect(orders.match(/人工补单/g)).toHaveLength(2);

    // The completion's diff: state and paid time in words and local time, the amount in yuan.
    const done = table.locator('tr.ant-table-row', { hasText: '成功' }).filter({ hasText: '人工补单' });
    await done.locator('.ant-table-row-expand-icon').click();
    const diff = page.getByTestId('audit-diff').first();
    await expect.poll(() => diff.innerText()).toContain('¥123.45');
    const diffText = await diff.innerText();
    expect(diffText).toContain('支付中');
    expect(diffText).toContain('支付成功');
    expect(diffText).toContain('人工补单 · 备注');
    expect(diffText).toContain('客户出示付款凭证');
    expect(diffText).toContain(localTime(paidAt));
    expect(diffText).not.toContain('12345');
    expect(diffText).not.toMatch(/T\d{2}:\d{2}:\d{2}/);
    // The route and the HTTP status wait under 技术详情, closed.
    expect(await page.getByTestId('audit-technical').first().innerText()).toBe('技术详情');
    await page.getByTestId('audit-technical').first().locator('summary').click();
    expect(await page.getByTestId('audit-technical').first().innerText()).toContain(
      'POST /api/admin/orders/:orderNo/complete',
    );

    // The refused one keeps the remark and hides the password it was given.
    await page.goto(url('/operator/system/audit'));
    const failedRow = table.locator('tr.ant-table-row', { hasText: '失败' }).filter({ hasText: '人工补单' });
    await failedRow.locator('.ant-table-row-expand-icon').click();
    const refusedDiff = await page.getByTestId('audit-diff').first().innerText();
    expect(refusedDiff).toContain('先试一次');
    expect(refusedDiff).toContain('补单密码');
    expect(refusedDiff).toContain('已隐去');
    expect(refusedDiff).not.toContain('not-the-password');

    // The rate change: % before and after, the fixed fee in yuan.
    const rateRow = table.locator('tr.ant-table-row', { hasText: '修改费率' });
    await rateRow.locator('.ant-table-row-expand-icon').click();
    const rateDiff = page.getByTestId('audit-diff').filter({ hasText: '费率' }).first();
    await expect.poll(() => rateDiff.innerText()).toContain('0.8%');
    const rateText = await rateDiff.innerText();
    expect(rateText).toContain('0.6%');
    expect(rateText).toContain('每笔固定费用');
    expect(rateText).toContain('¥0.10');
    expect(rateText).not.toMatch(/ratePpm|6000|8000/);
    await context.close();
  });

  it('shows the audit log in English with no Chinese words of its own', async () => {
    const { page, context } = await signedIn(admin, 'en-US');
    await page.goto(url('/operator/system/audit'));
    const table = page.getByTestId('audit-table');
    await expect.poll(() => table.innerText()).toContain('Manual completion');
    const text = await table.innerText();
    expect(text).toContain(`Order ${orderNo}`);
    expect(text).toContain('Changed rate');
    expect(text).toContain('Done');
    expect(text).toContain('Failed');
    expect(text).not.toContain('/api/');
    expect(text).not.toMatch(/\{\s*"/);
    // Chinese only where it is data: the merchant's name.
    expect(text.replaceAll('审计浏览器商户', '')).not.toMatch(CJK);

    const done = table
      .locator('tr.ant-table-row', { hasText: 'Done' })
      .filter({ hasText: 'Manual completion' });
    await done.locator('.ant-table-row-expand-icon').click();
    const diff = page.getByTestId('audit-diff').first();
    await expect.poll(() => diff.innerText()).toContain('¥123.45');
    const diffText = await diff.innerText();
    expect(diffText).toContain('Paying');
    expect(diffText).toContain('Paid');
    expect(diffText).toContain('Manual completion · Remark');
    expect(diffText.replaceAll('客户出示付款凭证', '')).not.toMatch(CJK);
    await context.close();
  });

  it('renders the order timeline the same way in both consoles: events in words, yuan, local time', async () => {
    const { page, context } = await signedIn(admin, 'zh-CN');
    await page.goto(url(`/operator/orders?order=${orderNo}`));
    await page.getByRole('tab', { name: /时间线|事件/ }).click();
    const timeline = page.getByTestId('order-timeline');
    await expect.poll(() => timeline.innerText()).toContain('人工补单');
    const operatorText = await timeline.innerText();
    expect(operatorText).toContain('创建订单');
    expect(operatorText).toContain('¥123.45');
    expect(operatorText).toContain('客户出示付款凭证');
    expect(operatorText).toContain(localTime(paidAt).slice(0, 16));
    expect(operatorText).not.toMatch(/\{\s*"|amount:|12345|T\d{2}:\d{2}:\d{2}/);
    await context.close();

    const merchant = await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo);
    const manager = await merchantConsole(t, { merchantId: merchant.id, merchantRole: 'manager' });
    const portal = await signedIn(manager, 'en-US');
    await portal.page.goto(url(`/merchant/orders?order=${orderNo}`));
    const drawerTimeline = portal.page.getByTestId('order-timeline');
    await expect.poll(() => drawerTimeline.innerText()).toContain('Paid');
    const merchantText = await drawerTimeline.innerText();
    expect(merchantText).toContain('Order created');
    expect(merchantText).not.toMatch(CJK);
    expect(merchantText).not.toMatch(/\{\s*"|T\d{2}:\d{2}:\d{2}/);
    await portal.context.close();
  });
});
