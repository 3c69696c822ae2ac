import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PRODUCT } from '../../src/app/demo.ts';
import { type ConsoleClient, merchantConsole, operatorConsole } from '../support/console.ts';
import { testDatabases } from '../support/databases.ts';
import {
  eventually,
  paidSandboxOrder,
  payOnSandbox,
  startTestPlatform,
  type TestPlatform,
} from '../support/platform.ts';

// sandbox channel accounts are test accounts; their orders are test orders (left out of
// statistics unless asked for with includeTest, never settled); in production a product is bound to
// one only when an operator says so.

interface OperatorStats {
  totals: { orderCount: number; paidCount: number; paidAmount: number };
  rows: { key: string; orderCount: number; paidAmount: number }[];
  includesTest: boolean;
  testDataOnly: boolean;
}

interface MerchantDashboard {
  today: { orderCount: number; paidCount: number; paidAmount: number; income: number };
  trend: { paidAmount: number }[];
  hourly: { paidAmount: number }[];
  includesTest: boolean;
  testDataOnly: boolean;
}

interface BindingView {
  channelAccountId: string;
  weight: number;
  testAccount: boolean;
  testAccountAllowed: boolean;
}

const binding = (weight: number, extra: Record<string, unknown> = {}) => ({
  weight,
  priority: 0,
  minAmount: null,
  maxAmount: null,
  dailyLimit: null,
  windowStart: null,
  windowEnd: null,
  enabled: true,
  ...extra,
});

describe.each(testDatabases)('test accounts and test orders in production on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;
  const bindingsPath = `/api/admin/products/${DEMO_PRODUCT}/bindings`;

  beforeAll(async () => {
    // A PostgreSQL deployment that turned the sandbox on (QY_SANDBOX=1) and asked for demo data.
    t = await startTestPlatform(database, {
      databaseUrl: 'postgres://qingyun@db.internal/qingyun',
      sandbox: true,
    });
    admin = await operatorConsole(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('marks the sandbox channel accounts as test accounts', async () => {
    const accounts = await admin.ok<{ id: string; testAccount: boolean }[]>(
      'GET',
      '/api/admin/channel-accounts',
    );
    expect(accounts.length).toBeGreaterThan(0);
    expect(accounts.every((a) => a.testAccount)).toBe(true);
    const bindings = await admin.ok<BindingView[]>('GET', bindingsPath);
    // The demo bound them with the consent that asking for demo data is.
    expect(bindings.map((b) => [b.testAccount, b.testAccountAllowed])).toEqual([
      [true, true],
      [true, true],
    ]);
  });

  it('refuses to bind a product to a test account without allowTestAccount, and changes nothing', async () => {
    const id = String(t.channelAccountIds[0]);
    const before = await admin.ok<BindingView[]>('GET', bindingsPath);
    for (const extra of [{}, { allowTestAccount: false }]) {
      const refused = await admin.send<{ code: string; message: string }>(
        'PUT',
        `${bindingsPath}/${id}`,
        binding(5, extra),
      );
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('TEST_ACCOUNT_BINDING');
    }
    expect(await admin.ok<BindingView[]>('GET', bindingsPath)).toEqual(before);

    await admin.ok('PUT', `${bindingsPath}/${id}`, binding(5, { allowTestAccount: true }));
    const after = await admin.ok<BindingView[]>('GET', bindingsPath);
    expect(after.find((b) => b.channelAccountId === id)).toMatchObject({
      weight: 5,
      testAccountAllowed: true,
    });

    // The explicit consent is in the audit log, with who gave it.
    const audit = await t.platform.services.audit.list({
      targetType: 'product_binding',
      targetId: `${DEMO_PRODUCT}/${id}`,
      limit: 10,
      offset: 0,
    });
    const consented = audit.items.find((r) => r.status === 200);
    expect(consented?.after).toMatchObject({ weight: 5, allowTestAccount: true });
  });

  it('makes an order a test account takes a test order, left out of statistics unless includeTest=1', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const order = await paidSandboxOrder(t.client, {
      mchOrderNo: `TEST-ACCOUNT-${Date.now()}`,
      amount: 12_345,
      subject: 'test account',
    });
    const stored = await t.platform.services.orders.requireByOrderNo(order.orderNo);
    expect(stored).toMatchObject({ state: 'paid', test: true, source: 'api' });

    const listed = await admin.ok<{ items: { orderNo: string; test: boolean }[] }>(
      'GET',
      `/api/admin/orders?q=${order.orderNo}`,
    );
    expect(listed.items).toEqual([expect.objectContaining({ orderNo: order.orderNo, test: true })]);

    // Another merchant with a paid test order of its own.
    const { merchants, catalog } = t.platform.services;
    const other = await merchants.createMerchant({ name: '另一商户 Other Merchant' });
    await catalog.setMerchantRate(other.id, DEMO_PRODUCT, 6000);
    await merchants.createApp(other.mch_no, { name: 'other app' });
    const placed = await admin.ok<{ payData: { value: string }; order: { orderNo: string } }>(
      'POST',
      '/api/admin/test-orders',
      { mchNo: other.mch_no, productCode: DEMO_PRODUCT, amount: 700, test: true },
    );
    expect(await payOnSandbox(placed.payData.value)).toBe(200);
    await eventually(
      async () =>
        (await t.platform.services.orders.requireByOrderNo(placed.order.orderNo)).state === 'paid' ||
        undefined,
      10_000,
      'the other merchant’s test order paid',
    );

    // Operator statistics: real figures by default (0 and 'false' too), test orders with includeTest.
    const to = new Date(Date.now() + 1000).toISOString();
    const window = `groupBy=merchant&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    for (const flag of ['', '&includeTest=0', '&includeTest=false', '&includeTest=']) {
      const real = await admin.ok<OperatorStats>('GET', `/api/admin/stats?${window}${flag}`);
      expect(real.totals).toMatchObject({ orderCount: 0, paidCount: 0, paidAmount: 0 });
      expect(real.rows).toEqual([]);
      // Only the sandbox's accounts: the consoles show test data by default.
      expect({ includesTest: real.includesTest, testDataOnly: real.testDataOnly }).toEqual({
        includesTest: false,
        testDataOnly: true,
      });
    }
    for (const flag of ['1', 'true']) {
      const all = await admin.ok<OperatorStats>('GET', `/api/admin/stats?${window}&includeTest=${flag}`);
      expect(all.totals).toMatchObject({ orderCount: 2, paidCount: 2, paidAmount: 12_345 + 700 });
      expect(all.includesTest).toBe(true);
      expect(Object.fromEntries(all.rows.map((r) => [r.key, r.paidAmount]))).toEqual({
        [t.demo.merchant.mchNo]: 12_345,
        [other.mch_no]: 700,
      });
    }
    const refused = await admin.send<{ code: string }>('GET', `/api/admin/stats?${window}&includeTest=yes`);
    expect({ status: refused.status, code: refused.body.code }).toEqual({
      status: 400,
      code: 'INVALID_REQUEST',
    });

    // The merchant portal: the same rule, and each merchant sees only its own test orders.
    const demoMerchant = await merchants.requireMerchant(t.demo.merchant.mchNo);
    const demoManager = await merchantConsole(t, { merchantId: demoMerchant.id, merchantRole: 'manager' });
    const otherManager = await merchantConsole(t, { merchantId: other.id, merchantRole: 'manager' });
    const paidToday = (board: MerchantDashboard) => ({
      paidAmount: board.today.paidAmount,
      paidCount: board.today.paidCount,
      hourly: board.hourly.reduce((sum, h) => sum + h.paidAmount, 0),
      trend: board.trend.reduce((sum, d) => sum + d.paidAmount, 0),
    });
    const expectPaid = (amount: number, count: number) => ({
      paidAmount: amount,
      paidCount: count,
      hourly: amount,
      trend: amount,
    });
    for (const manager of [demoManager, otherManager]) {
      const real = await manager.ok<MerchantDashboard>('GET', '/api/merchant/dashboard');
      expect(paidToday(real)).toEqual(expectPaid(0, 0));
      expect(real.today.orderCount).toBe(0);
      expect({ includesTest: real.includesTest, testDataOnly: real.testDataOnly }).toEqual({
        includesTest: false,
        testDataOnly: true,
      });
    }
    const demoBoard = await demoManager.ok<MerchantDashboard>('GET', '/api/merchant/dashboard?includeTest=1');
    expect(demoBoard.includesTest).toBe(true);
    expect(paidToday(demoBoard)).toEqual(expectPaid(12_345, 1));
    const otherBoard = await otherManager.ok<MerchantDashboard>(
      'GET',
      '/api/merchant/dashboard?includeTest=1',
    );
    expect(paidToday(otherBoard)).toEqual(expectPaid(700, 1));
    expect(otherBoard.today.orderCount).toBe(1);
    const otherRefused = await otherManager.send<{ code: string }>(
      'GET',
      '/api/merchant/dashboard?includeTest=2',
    );
    expect({ status: otherRefused.status, code: otherRefused.body.code }).toEqual({
      status: 400,
      code: 'INVALID_REQUEST',
    });
  });
});

describe.each(testDatabases)('test accounts in the embedded demo on $kind', (database) => {
  let t: TestPlatform;

  beforeAll(async () => {
    t = await startTestPlatform(database);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('tells the consoles to show test data by default: every channel account is a test account', async () => {
    const { catalog } = t.platform.services;
    expect(await catalog.testDataOnly()).toBe(true);
    // A real channel's account on the platform: real figures by default again (no stale cache).
    const [, account] = t.channelAccountIds as [bigint, bigint];
    await t.platform.services.db.query('UPDATE channel_account SET test_account = FALSE WHERE id = $1', [
      account,
    ]);
    await catalog.updateChannelAccount(account, { name: '真实账户 Real account' });
    expect(await catalog.testDataOnly()).toBe(false);
    await t.platform.services.db.query('UPDATE channel_account SET test_account = TRUE WHERE id = $1', [
      account,
    ]);
    await catalog.updateChannelAccount(account, { name: '沙箱账户 B' });
    expect(await catalog.testDataOnly()).toBe(true);
  });

  it('binds them as before: no consent asked', async () => {
    const id = t.channelAccountIds[1]!;
    const saved = await t.platform.services.catalog.upsertBinding(DEMO_PRODUCT, id, {
      weight: 7,
      priority: 0,
      minAmount: null,
      maxAmount: null,
      dailyLimit: null,
      windowStart: null,
      windowEnd: null,
      enabled: true,
    });
    expect(saved).toMatchObject({ weight: 7, test_account_allowed: false });
  });

  it('moves the test mark with the account when an order fails over', async () => {
    const [testAccount, realAccount] = t.channelAccountIds as [bigint, bigint];
    const { catalog, db } = t.platform.services;
    // Account B stands for a real channel's account; A, a test account, is tried first and refuses.
    await db.query('UPDATE channel_account SET test_account = FALSE WHERE id = $1', [realAccount]);
    const bind = (id: bigint, priority: number) =>
      catalog.upsertBinding(DEMO_PRODUCT, id, {
        weight: 1,
        priority,
        minAmount: null,
        maxAmount: null,
        dailyLimit: null,
        windowStart: null,
        windowEnd: null,
        enabled: true,
      });
    await bind(testAccount, 10);
    await bind(realAccount, 0);
    await catalog.updateChannelAccount(testAccount, { config: { faults: { refuseCreate: true } } });

    const rerouted = await t.client.createOrder({
      mchOrderNo: `FAILOVER-${Date.now()}`,
      productCode: DEMO_PRODUCT,
      amount: 500,
      subject: 'failover',
    });
    const stored = await t.platform.services.orders.requireByOrderNo(rerouted.orderNo);
    expect(stored).toMatchObject({ state: 'paying', channel_account_id: realAccount, test: false });

    // Taken by the test account: a test order.
    await catalog.updateChannelAccount(testAccount, { config: {} });
    const taken = await t.client.createOrder({
      mchOrderNo: `TAKEN-${Date.now()}`,
      productCode: DEMO_PRODUCT,
      amount: 500,
      subject: 'taken',
    });
    expect(await t.platform.services.orders.requireByOrderNo(taken.orderNo)).toMatchObject({
      channel_account_id: testAccount,
      test: true,
    });

    // With a real account on the platform, the statistics no longer ask for test data by default.
    const admin = await operatorConsole(t);
    const window = `from=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`;
    const real = await admin.ok<OperatorStats>('GET', `/api/admin/stats?${window}`);
    expect(real).toMatchObject({ includesTest: false, testDataOnly: false, totals: { orderCount: 1 } });
    const all = await admin.ok<OperatorStats>('GET', `/api/admin/stats?${window}&includeTest=1`);
    expect(all).toMatchObject({ includesTest: true, testDataOnly: false, totals: { orderCount: 2 } });
  });
});
