import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PRODUCT } from '../../src/app/demo.ts';
import { type ConsoleClient, operatorConsole } from '../support/console.ts';
import { testDatabases } from '../support/databases.ts';
import { paidSandboxOrder, startTestPlatform, type TestPlatform } from '../support/platform.ts';

// Issue 10: sandbox channel accounts are test accounts; their orders are test orders (left out of
// statistics, never settled); in production a product is bound to one only when an operator says so.

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

  it('makes an order a test account takes a test order, left out of statistics', async () => {
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

    const to = new Date(Date.now() + 1000).toISOString();
    const stats = await admin.ok<{ totals: { orderCount: number; paidAmount: number } }>(
      'GET',
      `/api/admin/stats?groupBy=channel&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    );
    expect(stats.totals).toMatchObject({ orderCount: 0, paidAmount: 0 });
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
  });
});
