import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleClient, merchantConsole, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * Dashboards that tell the truth, and what payers and newcomers meet: the success rate leaves out
 * orders still within their payment time, the hint about left-out test orders, an unknown cashier
 * link as a page for browsers, a product with no channel refused with its reason, QR addresses
 * phones cannot reach, the default subject in one language, and the sandbox's local times.
 */

interface Figures {
  orderCount: number;
  paidCount: number;
  pendingCount: number;
  paidAmount: number;
  successRate: number;
}

interface Stats {
  totals: Figures;
  rows: ({ key: string; name: string } & Figures)[];
  includesTest: boolean;
  testOrderCount: number;
}

interface MerchantDashboard {
  today: { orderCount: number; paidCount: number; pendingCount: number; successRate: number };
  includesTest: boolean;
  testOrderCount: number;
}

interface Refusal {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

describe.each(testDatabases)('dashboards and newcomers on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;
  let sequence = 0;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    admin = await operatorConsole(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const services = () => t.platform.services;

  /** A merchant of its own with an app on sandbox_qr, so its figures are exactly the orders placed here. */
  const newMerchant = async (name: string) => {
    const merchant = await services().merchants.createMerchant({ name });
    await services().catalog.setMerchantRate(merchant.id, 'sandbox_qr', 6_000);
    const app = await services().merchants.createApp(merchant.mch_no, { name: `${name} app` });
    const keys = (await services().merchants.appKeys(app.app.appId))!;
    const place = async (amount: number) =>
      (
        await services().orders.createOrder(keys, {
          mchOrderNo: `DB-${++sequence}-${Date.now()}`,
          productCode: 'sandbox_qr',
          amount: BigInt(amount),
          subject: 'dashboards',
        })
      ).order;
    return { merchant, place };
  };
  const paid = async (payUrl: string, orderNo: string) => {
    await payOnSandbox(payUrl);
    await eventually(async () => {
      const row = await services().orders.requireByOrderNo(orderNo);
      return row.state === 'paid' ? row : undefined;
    });
  };

  it('leaves orders still within their payment time out of the success rate, and counts them once closed', async () => {
    const { merchant, place } = await newMerchant('成功率商户');
    const start = Date.now();
    const first = await place(1_000);
    await paid(first.pay_data_value!, first.order_no);
    const waiting = await place(2_000);
    expect(waiting.state).toBe('paying');
    expect(waiting.expires_at.getTime()).toBeGreaterThan(Date.now());

    // The demo's sandbox accounts are test accounts: these orders count with includeTest.
    const window = `from=${encodeURIComponent(new Date(start - 1000).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;
    const rowOf = async () => {
      const stats = await admin.ok<Stats>('GET', `/api/admin/stats?groupBy=merchant&includeTest=1&${window}`);
      return stats.rows.find((r) => r.key === merchant.mch_no)!;
    };
    // An unexpired paying order does not lower the rate: one paid of one decided.
    expect(await rowOf()).toMatchObject({ orderCount: 2, paidCount: 1, pendingCount: 1, successRate: 1 });
    const manager = await merchantConsole(t, { merchantId: merchant.id, merchantRole: 'manager' });
    const dashboard = await manager.ok<MerchantDashboard>('GET', '/api/merchant/dashboard?includeTest=1');
    expect(dashboard.today).toMatchObject({ orderCount: 2, paidCount: 1, pendingCount: 1, successRate: 1 });

    // Past its payment time, closed by the expiry sweep: a failure, the rate halves (the rollup moves
    // with the order's transition, in its transaction).
    await services().db.query(`UPDATE pay_order SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
      waiting.id,
    ]);
    await eventually(async () => {
      await services().orders.sweepExpired();
      const state = (await services().orders.requireByOrderNo(waiting.order_no)).state;
      return state === 'closed' ? state : undefined;
    });
    expect(await rowOf()).toMatchObject({ orderCount: 2, paidCount: 1, pendingCount: 0, successRate: 0.5 });
    const later = await manager.ok<MerchantDashboard>('GET', '/api/merchant/dashboard?includeTest=1');
    expect(later.today).toMatchObject({ pendingCount: 0, successRate: 0.5 });
  });

  it('says how many test orders the figures leave out', async () => {
    const { merchant, place } = await newMerchant('测试订单商户');
    const start = Date.now();
    await place(1_500);
    const window = `from=${encodeURIComponent(new Date(start - 1000).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;
    const real = await admin.ok<Stats>('GET', `/api/admin/stats?${window}`);
    // Sandbox orders are test orders: left out, and said to be there.
    expect(real.includesTest).toBe(false);
    expect(real.rows.find((r) => r.key === merchant.mch_no)).toBeUndefined();
    expect(real.testOrderCount).toBeGreaterThanOrEqual(1);
    const withTest = await admin.ok<Stats>('GET', `/api/admin/stats?includeTest=1&${window}`);
    expect(withTest.testOrderCount).toBe(real.testOrderCount);
    expect(withTest.rows.find((r) => r.key === merchant.mch_no)?.orderCount).toBe(1);

    // The merchant's dashboard: today's test orders of this merchant only.
    const manager = await merchantConsole(t, { merchantId: merchant.id, merchantRole: 'manager' });
    const dashboard = await manager.ok<MerchantDashboard>('GET', '/api/merchant/dashboard');
    expect(dashboard).toMatchObject({ includesTest: false, testOrderCount: 1, today: { orderCount: 0 } });
  });

  it("keeps the operator's today whatever range the trend shows", async () => {
    const { place } = await newMerchant('趋势区间商户');
    const order = await place(2_500);
    await paid(order.pay_data_value!, order.order_no);
    type Board = { date: string; today: { paidAmount: number }; trend: { date: string }[] };
    const board = await admin.ok<Board>('GET', '/api/admin/dashboard?includeTest=1');
    expect(board.trend.at(-1)!.date).toBe(board.date);
    expect(board.today.paidAmount).toBeGreaterThanOrEqual(2_500);
    // A month long ago: the trend is that month, today stays today.
    const past = await admin.ok<Board>(
      'GET',
      '/api/admin/dashboard?includeTest=1&from=2025-03-01&to=2025-03-31',
    );
    expect(past.trend.map((d) => d.date)).toHaveLength(31);
    expect(past.trend[0]!.date).toBe('2025-03-01');
    expect(past.today.paidAmount).toBe(board.today.paidAmount);
  });

  it('shows a browser the friendly page for an unknown cashier link, in its language; API clients keep JSON', async () => {
    const unknown = `${t.platform.url}/cashier/P${'1'.repeat(20)}`;
    const html = await fetch(unknown, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(html.status).toBe(404);
    expect(html.headers.get('content-type')).toContain('text/html');
    const zh = await html.text();
    expect(zh).toContain('付款链接无效');
    expect(zh).toContain('data-error-code="NOT_FOUND"');
    expect(zh).not.toContain('"code"');
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");

    // A real order with a wrong token is as unknown as a made-up one, in English for an English browser.
    const order = await t.client.createOrder({
      mchOrderNo: `DB-${++sequence}-${Date.now()}`,
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'token',
    });
    const wrongToken = await fetch(`${t.platform.url}/cashier/${order.orderNo}/not-the-token`, {
      headers: { accept: 'text/html', 'accept-language': 'en-US,en;q=0.9' },
    });
    expect(wrongToken.status).toBe(404);
    const en = await wrongToken.text();
    expect(en).toContain('Payment link not valid');
    expect(en).not.toContain('付款链接无效');
    const pay = await fetch(`${t.platform.url}/cashier/${order.orderNo}/not-the-token/pay?lang=en`, {
      headers: { accept: 'text/html' },
    });
    expect([pay.status, (await pay.text()).includes('Payment link not valid')]).toEqual([404, true]);

    // A script or an API client asking for JSON gets the JSON 404 it always had.
    const json = await fetch(unknown, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(((await json.json()) as Refusal).code).toBe('NOT_FOUND');
    const status = await fetch(`${t.platform.url}/cashier/${order.orderNo}/not-the-token/status`, {
      headers: { accept: 'text/html' },
    });
    expect([status.status, ((await status.json()) as Refusal).code]).toEqual([404, 'NOT_FOUND']);
  });

  it('flags a product with no channel and refuses its orders with the reason, changing nothing', async () => {
    const code = `unbound_${Date.now().toString(36)}`;
    await admin.ok('POST', '/api/admin/products', {
      code,
      name: '未绑定产品',
      minAmount: 1,
      maxAmount: 100_000,
      defaultRatePpm: 6_000,
    });
    const products = await admin.ok<{ code: string; channelBound: boolean }[]>('GET', '/api/admin/products');
    expect(products.find((p) => p.code === code)?.channelBound).toBe(false);
    expect(products.find((p) => p.code === 'sandbox_qr')?.channelBound).toBe(true);

    const merchant = await services().merchants.requireMerchant(t.demo.merchant.mchNo);
    await admin.ok('PUT', `/api/admin/merchants/${merchant.mch_no}/products/${code}`, {
      ratePpm: 6_000,
      enabled: true,
    });
    const manager = await merchantConsole(t, { merchantId: merchant.id, merchantRole: 'manager' });
    const mine = await manager.ok<{ productCode: string; channelBound: boolean }[]>(
      'GET',
      '/api/merchant/products',
    );
    expect(mine.find((p) => p.productCode === code)?.channelBound).toBe(false);
    expect(mine.find((p) => p.productCode === 'sandbox_qr')?.channelBound).toBe(true);

    const before = await services().db.query<{ n: bigint }>('SELECT count(*)::bigint AS n FROM pay_order');
    // The signed API and the collect screen both refuse it, saying why.
    const refused = await t.client
      .createOrder({
        mchOrderNo: `DB-${++sequence}-${Date.now()}`,
        productCode: code,
        amount: 100,
        subject: 'x',
      })
      .then(
        () => null,
        (e: { code?: string; details?: Record<string, unknown>; message?: string }) => e,
      );
    expect(refused?.code).toBe('NO_CHANNEL_AVAILABLE');
    expect(refused?.message).toContain('no channel account bound');
    const collected = await manager.send<Refusal>('POST', '/api/merchant/collect', {
      productCode: code,
      amount: 100,
    });
    expect(collected.status).toBe(422);
    expect(collected.body).toMatchObject({
      code: 'NO_CHANNEL_AVAILABLE',
      details: { reason: 'unbound', productCode: code },
    });
    const after = await services().db.query<{ n: bigint }>('SELECT count(*)::bigint AS n FROM pay_order');
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('says when the QR address is one phones cannot reach, and names the default subject in one language', async () => {
    const merchant = await services().merchants.requireMerchant(t.demo.merchant.mchNo);
    const manager = await merchantConsole(t, { merchantId: merchant.id, merchantRole: 'manager' });
    // The test platform listens on 127.0.0.1: no phone can open its QR codes.
    const code = await manager.ok<{ url: string; privateUrl: boolean }>(
      'POST',
      '/api/merchant/collect-codes',
      {
        name: '一号收银台',
        productCodes: ['sandbox_qr'],
      },
    );
    expect(code.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/pay\//);
    expect(code.privateUrl).toBe(true);
    const list = await manager.ok<{ items: { privateUrl: boolean }[] }>('GET', '/api/merchant/collect-codes');
    expect(list.items.every((c) => c.privateUrl)).toBe(true);

    const zh = await manager.ok<{ order: { subject: string }; privateUrl: boolean }>(
      'POST',
      '/api/merchant/collect',
      { productCode: 'sandbox_qr', amount: 100 },
    );
    expect(zh.privateUrl).toBe(true);
    // The operator's test page says it as well.
    const tested = await admin.ok<{ privateUrl: boolean }>('POST', '/api/admin/test-orders', {
      mchNo: merchant.mch_no,
      productCode: 'sandbox_qr',
      amount: 100,
    });
    expect(tested.privateUrl).toBe(true);
    expect(zh.order.subject).toBe('收款');
    const en = await fetch(`${t.platform.url}/api/merchant/collect`, {
      method: 'POST',
      headers: {
        cookie: manager.cookie,
        'x-csrf-token': manager.csrfToken,
        'content-type': 'application/json',
        'accept-language': 'en-US,en;q=0.9',
      },
      body: JSON.stringify({ productCode: 'sandbox_qr', amount: 100 }),
    });
    expect(en.status).toBe(201);
    expect(((await en.json()) as { order: { subject: string } }).order.subject).toBe('Payment');
  });

  it("shows the sandbox pay page's expiry for the browser's clock, with the one script its policy allows", async () => {
    const order = await t.client.createOrder({
      mchOrderNo: `DB-${++sequence}-${Date.now()}`,
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'sandbox time',
    });
    const page = await fetch(order.payData!.value);
    const html = await page.text();
    const time = /<time data-local datetime="([^"]+)"[^>]*>([^<]+)<\/time>/.exec(html);
    expect(time).not.toBeNull();
    expect(new Date(time![1]!).toISOString()).toBe(time![1]);
    expect(time![2]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    const hash = createHash('sha256').update(script).digest('base64');
    expect(page.headers.get('content-security-policy')).toContain(`script-src 'sha256-${hash}'`);
  });
});
