import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exported, launchBrowser, newPage, WALKTHROUGH_TIMEOUT } from './support/browser.ts';
import { type ConsoleClient, merchantConsole, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { payOnSandbox, startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * Dashboards that tell the truth and what a newcomer meets, in a real browser at 1280×720 (and a
 * phone): the "include test orders" switch (remembered, with its hint), today's cards in full rows,
 * the top lists and channel success rates, the 90-day trends with counts as bars, every table's
 * export, the merchant's paid, refunded and withdrawn trend, the payer's page for an unknown
 * cashier link, a new merchant's next steps, and the 未绑定通道 tag on a product no channel takes.
 */
describe.each(testDatabases)('dashboards and newcomers in the browser on $kind', (database) => {
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

  /** A browser profile holding a console session (logged in, TOTP done, by the API). */
  async function operatorPage(viewport: { width: number; height: number }, mobile = false, as = admin) {
    const { context, page } = await newPage(browser, { mobile });
    if (!mobile) await page.setViewportSize(viewport);
    const [name, value] = as.cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: t.platform.url }]);
    return { context, page };
  }

  /** The top and width of each KPI card, in order. */
  const cardBoxes = async (page: Page) => {
    const cards = page.locator('[data-testid^="stats-total-"]');
    await expect.poll(() => cards.count()).toBe(6);
    const boxes = [];
    for (let i = 0; i < 6; i++) boxes.push((await cards.nth(i).boundingBox())!);
    return boxes.map((b) => ({ top: Math.round(b.y), width: Math.round(b.width) }));
  };
  /** How many cards each row holds, top to bottom. */
  const rows = (boxes: { top: number }[]) => {
    const perTop = new Map<number, number>();
    for (const b of boxes) perTop.set(b.top, (perTop.get(b.top) ?? 0) + 1);
    return [...perTop.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n);
  };

  it('keeps the dashboards truthful: a remembered test-order switch with its hint, today in full rows, top lists and channel rates, trends with count bars, exports', async () => {
    // A paid sandbox order: a test order (the demo's channel accounts are test accounts).
    const order = await t.client.createOrder({
      mchOrderNo: `BD-${Date.now()}`,
      productCode: 'sandbox_qr',
      amount: 8_800,
      subject: 'dashboard',
    });
    await payOnSandbox(order.payData!.value);

    let context: BrowserContext;
    let page: Page;
    ({ context, page } = await operatorPage({ width: 1280, height: 720 }));
    await page.goto(url('/operator/dashboard'));
    const testSwitch = page.getByRole('switch', { name: '含测试订单' });
    // The demo has only test accounts: on by default, tagged, and no hint.
    await expect.poll(() => testSwitch.getAttribute('aria-checked')).toBe('true');
    await expect.poll(() => page.getByTestId('stats-total-paid').innerText()).toContain('¥88.00');
    expect(await page.getByTestId('test-data-hint').count()).toBe(0);

    // The trends: 90 days by default; amounts as lines, counts as bars, each on its own chart.
    await expect.poll(() => page.getByTestId('trend-days').innerText()).toContain('共 90 天');
    const chart = (id: string) => page.getByTestId(id).locator('[role="img"]');
    await expect.poll(() => chart('trend-amount').getAttribute('data-series')).toBe('line,line,line');
    expect(await chart('trend-count').getAttribute('data-series')).toBe('bar,bar');
    expect(await chart('trend-profit').getAttribute('data-series')).toBe('line,line');

    // Today's top lists and the channel account's success rate over the last 15 and 60 minutes.
    await expect.poll(() => page.getByTestId('top-merchants').innerText()).toContain(t.demo.merchant.mchNo);
    expect(await page.getByTestId('top-merchants').innerText()).toContain('¥88.00');
    await expect.poll(() => page.getByTestId('top-channels').innerText()).toContain('¥88.00');
    await expect.poll(() => page.getByTestId('channel-rates').innerText()).toContain('100.0%');
    expect(await page.locator('[data-testid^="rate-falling-"]').count()).toBe(0);

    // Six cards in full rows at 1280: three and three.
    let boxes = await cardBoxes(page);
    expect(rows(boxes)).toEqual([3, 3]);

    // Every table exports what it shows: CSV readable by Excel (a byte-order mark), and a real workbook.
    const csv = await exported(page, 'export-groups', '导出 CSV');
    expect(csv.name).toMatch(/\.csv$/);
    const text = csv.bytes.toString('utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text).toContain('合计');
    expect(text).toContain('88.00');
    const xlsx = await exported(page, 'export-trend', '导出 Excel');
    expect(xlsx.name).toMatch(/\.xlsx$/);
    expect(xlsx.bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    expect((await exported(page, 'export-top-merchants', '导出 CSV')).bytes.toString('utf8')).toContain(
      t.demo.merchant.mchNo,
    );

    // Off: real money only, the hint says what is left out; remembered after a reload.
    await testSwitch.click();
    await expect.poll(() => page.getByTestId('stats-total-paid').innerText()).toContain('¥0.00');
    const hint = page.getByTestId('test-data-hint');
    await expect.poll(() => hint.innerText()).toMatch(/有 \d+ 笔测试订单未计入统计/);
    await page.reload();
    await expect.poll(() => testSwitch.getAttribute('aria-checked')).toBe('false');
    await expect.poll(() => hint.isVisible()).toBe(true);
    expect(await page.evaluate(() => localStorage.getItem('qy.includeTest'))).toBe('0');
    // The hint's button counts them again.
    await hint.getByRole('button', { name: '计入测试订单' }).click();
    await expect.poll(() => testSwitch.getAttribute('aria-checked')).toBe('true');
    await expect.poll(() => page.getByTestId('stats-total-paid').innerText()).toContain('¥88.00');
    expect(await hint.count()).toBe(0);

    // 1440: one row of six.
    await page.setViewportSize({ width: 1440, height: 900 });
    await expect.poll(async () => rows(await cardBoxes(page))).toEqual([6]);
    await context.close();

    // A phone: two by two, every card as wide as the others.
    ({ context, page } = await operatorPage({ width: 390, height: 844 }, true));
    await page.goto(url('/operator/dashboard'));
    boxes = await cardBoxes(page);
    expect(rows(boxes)).toEqual([2, 2, 2]);
    expect(new Set(boxes.map((b) => b.width)).size).toBe(1);
    await context.close();

    // The merchant's home: today's refunded beside the income, the trend of paid, refunded and
    // withdrawn amounts (each can be hidden) and the paid orders per day as bars.
    const merchant = await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo);
    const manager = await merchantConsole(t, { merchantId: merchant.id, merchantRole: 'manager' });
    ({ context, page } = await operatorPage({ width: 1280, height: 720 }, false, manager));
    await page.goto(url('/merchant/dashboard'));
    await expect.poll(() => page.getByTestId('dashboard-totals').innerText()).toContain('今日退款');
    await expect.poll(() => page.getByTestId('trend-days').innerText()).toContain('共 90 天');
    const merchantChart = (id: string) => page.getByTestId(id).locator('[role="img"]');
    await expect.poll(() => merchantChart('trend-amount').getAttribute('data-series')).toBe('line,line,line');
    expect(await merchantChart('trend-count').getAttribute('data-series')).toBe('bar');
    await page.getByTestId('trend-measures').getByText('提现金额').click();
    await expect.poll(() => merchantChart('trend-amount').getAttribute('data-series')).toBe('line,line');
    await context.close();
  });

  it("shows a payer the friendly page for an unknown cashier link, in the browser's language", async () => {
    const { context, page } = await newPage(browser, { mobile: true });
    const answer = await page.goto(url(`/cashier/P${'2'.repeat(20)}`));
    expect(answer?.status()).toBe(404);
    const card = page.getByTestId('pay-unavailable');
    await expect.poll(() => card.innerText()).toContain('付款链接无效');
    expect(await page.locator('body').innerText()).not.toContain('"code"');
    await context.close();
    const english = await newPage(browser, { mobile: true, locale: 'en-US' });
    await english.page.goto(url(`/cashier/P${'3'.repeat(20)}/bad-token`));
    await expect
      .poll(() => english.page.getByTestId('pay-unavailable').innerText())
      .toContain('Payment link not valid');
    await english.context.close();
  });

  it('guides a new merchant through its next steps, and flags a product no channel takes', async () => {
    const { services } = t.platform;
    const merchant = await services.merchants.createMerchant({ name: '新商户 Newcomer' });
    const { context, page } = await operatorPage({ width: 1280, height: 720 });
    await page.goto(url(`/operator/merchants/${merchant.mch_no}`));
    const steps = page.getByTestId('merchant-next-steps');
    await expect.poll(() => steps.isVisible()).toBe(true);
    const done = (step: string) => page.getByTestId(`next-step-${step}`).getAttribute('data-done');
    expect([await done('products'), await done('apps'), await done('routing')]).toEqual([
      'false',
      'false',
      'false',
    ]);
    // Each step links to where it is done.
    await page.getByTestId('next-step-products-link').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('tab')).toBe('products');

    // A new product, no channel bound: opened for the merchant, the routing step names it.
    const code = `newbie_${Date.now().toString(36)}`;
    await admin.ok('POST', '/api/admin/products', {
      code,
      name: '新产品',
      minAmount: 1,
      maxAmount: 100_000,
      defaultRatePpm: 6_000,
    });
    await admin.ok('PUT', `/api/admin/merchants/${merchant.mch_no}/products/${code}`, {
      ratePpm: 6_000,
      enabled: true,
    });
    await page.reload();
    await expect.poll(() => done('products')).toBe('true');
    expect(await done('routing')).toBe('false');
    expect(await steps.innerText()).toContain('未绑定通道：新产品');
    expect(await page.getByTestId('next-step-routing-link').getAttribute('href')).toBe(
      `/operator/routing?product=${code}`,
    );

    // The product list flags it, and the tag leads to its routing.
    await page.goto(url('/operator/products'));
    const tag = page.getByTestId(`product-unbound-${code}`);
    await expect.poll(() => tag.innerText()).toBe('未绑定通道');
    expect(await page.getByTestId('product-unbound-sandbox_qr').count()).toBe(0);

    // The merchant on the bound product with an app: every step done, the card goes away.
    await admin.ok('PUT', `/api/admin/merchants/${merchant.mch_no}/products/${code}`, {
      ratePpm: 6_000,
      enabled: false,
    });
    await admin.ok('PUT', `/api/admin/merchants/${merchant.mch_no}/products/sandbox_qr`, {
      ratePpm: 6_000,
      enabled: true,
    });
    await page.goto(url(`/operator/merchants/${merchant.mch_no}`));
    await expect.poll(() => done('routing')).toBe('true');
    expect(await done('apps')).toBe('false');
    await services.merchants.createApp(merchant.mch_no, { name: 'newcomer app' });
    await page.reload();
    await expect.poll(() => page.getByRole('tab', { name: /应用 \(1\)/ }).isVisible()).toBe(true);
    expect(await steps.count()).toBe(0);
    await context.close();
  });
});
