import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../sdk/index.ts';
import { ledgerReport } from '../src/app/platform.ts';
import { type ConsoleClient, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import {
  countSandboxAccountsAsReal,
  eventually,
  payOnSandbox,
  startTestPlatform,
  type TestPlatform,
} from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

// Until src/app/http.ts registers this console plugins, the tests add those still missing.
/**
 * The operator console's orders (OP-6, OP-7, OP-8, OP-9) over real HTTP: the list's columns and
 * filters, close and sync, manual completion through the payment path, test orders pinned to a
 * channel account, statistics, and the permissions that guard each change.
 */

interface Refusal {
  code: string;
  message: string;
}

interface OperatorOrder extends Order {
  appId: string;
  mchNo: string;
  merchantName: string;
  productName: string;
  channelAccountId: string | null;
  channelAccountName: string | null;
  merchantRatePpm: number;
  channelRatePpm: number | null;
  channelCost: number;
  platformProfit: number;
  notifyState: string;
  alerts: string[];
  manualCompletion: { by: string | null; at: string; remark: string } | null;
  source: string;
  test: boolean;
  createdBy: string | null;
}

interface OrderList {
  total: number;
  items: OperatorOrder[];
}

interface OrderDetail extends OperatorOrder {
  events: { kind: string; detail: Record<string, unknown>; alert: boolean }[];
  notify: { state: string; attempts: { eventType: string; httpStatus: number | null }[] };
}

interface TestOrderAnswer {
  order: OperatorOrder;
  payData: { type: string; value: string } | null;
  cashierUrl: string;
}

interface Figures {
  orderCount: number;
  paidCount: number;
  paidAmount: number;
  successRate: number;
  fee: number;
  channelCost: number;
  profit: number;
}

interface Stats {
  from: string;
  to: string;
  bucket: 'hour' | 'day';
  totals: Figures;
  rows: ({ key: string; name: string } & Figures)[];
  series: { bucket: string; paidCount: number; paidAmount: number }[];
}

const COMPLETION_PASSWORD = 'completion-pass-2024';
const COST_RATES = [3800, 4500];
/** fee = amount × rate / 10⁶, rounded half up (integers here, so exact). */
const feeOf = (amount: number, ppm: number) => Math.floor((amount * ppm + 500_000) / 1_000_000);

describe.each(testDatabases)('operator console orders on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;
  const receiver = new NotifyReceiver();
  let sequence = 0;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    // Kept: these tests tell real orders from test ones on the same channel (the test page's flag,
    // statistics leaving the marked ones out), and the sandbox is the only channel there is, so its
    // accounts stand in for a real channel's; the demo's own default is covered in
    // test/security/test-accounts.test.ts.
    await countSandboxAccountsAsReal(t);
    await receiver.start();
    admin = await operatorConsole(t);
    await admin.ok('PUT', '/api/admin/settings/completion-password', { password: COMPLETION_PASSWORD });
  });
  afterAll(async () => {
    await t?.stop();
    await receiver.stop();
  });

  const services = () => t.platform.services;
  const newOrder = (amount: number) =>
    t.client.createOrder({
      mchOrderNo: `CO-${++sequence}-${Date.now()}`,
      productCode: 'sandbox_qr',
      amount,
      subject: 'console orders',
      notifyUrl: receiver.url,
    });
  const find = async (q: string, filters = '') =>
    admin.ok<OrderList>('GET', `/api/admin/orders?q=${encodeURIComponent(q)}${filters}`);
  const one = async (orderNo: string) => {
    const list = await find(orderNo);
    expect(list.total).toBe(1);
    return list.items[0]!;
  };
  const detail = (orderNo: string) => admin.ok<OrderDetail>('GET', `/api/admin/orders/${orderNo}`);
  const paidState = async (orderNo: string) =>
    eventually(async () => {
      const row = await services().orders.requireByOrderNo(orderNo);
      return row.state === 'paid' ? row : undefined;
    });
  const setFaults = async (faults: Record<string, unknown>) => {
    for (const id of t.channelAccountIds) {
      await services().catalog.updateChannelAccount(id, { config: { faults } });
    }
  };

  it('shows a payment that arrived after the order was closed as paid with an alert, and filters on alerts', async () => {
    const normal = await newOrder(600);
    await payOnSandbox(normal.payData!.value);
    const late = await newOrder(700);
    // Closed on our side only, as the expiry sweep does when the channel cannot be reached for a day.
    const row = await services().orders.requireByOrderNo(late.orderNo);
    await services().db.query(`UPDATE pay_order SET state = 'closed', closed_at = now() WHERE id = $1`, [
      row.id,
    ]);
    expect((await one(late.orderNo)).state).toBe('closed');
    await payOnSandbox(late.payData!.value);
    await paidState(late.orderNo);
    await paidState(normal.orderNo);

    expect(await one(late.orderNo)).toMatchObject({ state: 'paid', alerts: ['late_payment'] });
    expect(await one(normal.orderNo)).toMatchObject({ state: 'paid', alerts: [] });
    const alerted = await admin.ok<OrderList>('GET', '/api/admin/orders?alert=true&limit=200');
    expect(alerted.items.map((o) => o.orderNo)).toContain(late.orderNo);
    expect(alerted.items.map((o) => o.orderNo)).not.toContain(normal.orderNo);
    expect(alerted.items.every((o) => o.alerts.length > 0)).toBe(true);
    const timeline = (await detail(late.orderNo)).events.find((e) => e.kind === 'late_payment');
    expect(timeline).toMatchObject({ alert: true, detail: { previousState: 'closed' } });
    expect((await ledgerReport(services())).ok).toBe(true);
  });

  it('lists an order with every column the console shows', async () => {
    const created = await newOrder(10_000);
    await payOnSandbox(created.payData!.value);
    await paidState(created.orderNo);
    const row = await eventually(async () => {
      const r = await one(created.orderNo);
      return r.notifyState === 'succeeded' ? r : undefined;
    });
    const stored = await services().orders.requireByOrderNo(created.orderNo);
    const accountIndex = t.channelAccountIds.indexOf(stored.channel_account_id!);
    const costRate = COST_RATES[accountIndex]!;
    expect(row).toMatchObject({
      orderNo: created.orderNo,
      mchOrderNo: created.mchOrderNo,
      appId: t.demo.merchant.appId,
      mchNo: t.demo.merchant.mchNo,
      merchantName: '演示商户 Demo Merchant',
      productCode: 'sandbox_qr',
      productName: '沙箱扫码 Sandbox QR',
      channelAccountId: String(stored.channel_account_id),
      channelAccountName: accountIndex === 0 ? '沙箱账户 A' : '沙箱账户 B',
      state: 'paid',
      amount: 10_000,
      merchantRatePpm: 6000,
      channelRatePpm: costRate,
      fee: 60,
      channelCost: feeOf(10_000, costRate),
      platformProfit: 60 - feeOf(10_000, costRate),
      notifyState: 'succeeded',
      manualCompletion: null,
      source: 'api',
      test: false,
      createdBy: null,
    });
    expect(row.channelOrderNo).toMatch(/^SB/);

    // q finds it by each of its numbers.
    expect((await one(created.mchOrderNo)).orderNo).toBe(created.orderNo);
    expect((await one(row.channelOrderNo!)).orderNo).toBe(created.orderNo);
    expect((await find('NO-SUCH-NUMBER')).total).toBe(0);
  });

  it('filters by state, merchant, product, channel account and time', async () => {
    const open = await newOrder(20_000);
    const stored = await services().orders.requireByOrderNo(open.orderNo);
    const account = String(stored.channel_account_id);
    const other = String(t.channelAccountIds.find((id) => id !== stored.channel_account_id));
    const count = async (filters: string) => (await find(open.orderNo, filters)).total;

    expect(await count('&state=paying')).toBe(1);
    expect(await count('&state=paid')).toBe(0);
    expect(await count(`&mchNo=${t.demo.merchant.mchNo}`)).toBe(1);
    expect(await count('&mchNo=M0000000000')).toBe(0);
    expect(await count('&productCode=sandbox_qr')).toBe(1);
    expect(await count('&productCode=other')).toBe(0);
    expect(await count(`&channelAccountId=${account}`)).toBe(1);
    expect(await count(`&channelAccountId=${other}`)).toBe(0);
    const created = stored.created_at.getTime();
    const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
    expect(await count(`&from=${iso(created - 60_000)}&to=${iso(created + 60_000)}`)).toBe(1);
    expect(await count(`&from=${iso(created + 60_000)}`)).toBe(0);
    expect(await count(`&to=${iso(created - 60_000)}`)).toBe(0);
    // Empty parameters, as a form sends them, are no filter.
    expect(await count('&state=&mchNo=&productCode=&channelAccountId=&from=&to=')).toBe(1);

    const bad = await admin.get<Refusal>('/api/admin/orders?from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('INVALID_REQUEST');

    // Newest first, and the page answers the total.
    const page = await admin.ok<OrderList>('GET', '/api/admin/orders?limit=1');
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.orderNo).toBe(open.orderNo);
    expect(page.total).toBeGreaterThanOrEqual(2);
  });

  it('closes an open order at the channel first, and refuses to close a paid one', async () => {
    const created = await newOrder(3_000);
    const closed = await admin.ok<OperatorOrder>('POST', `/api/admin/orders/${created.orderNo}/close`);
    expect(closed).toMatchObject({ orderNo: created.orderNo, state: 'closed', amount: 3_000 });
    expect(closed.closedAt).not.toBeNull();
    const events = (await detail(created.orderNo)).events;
    expect(events.at(-1)).toMatchObject({
      kind: 'closed',
      detail: { source: expect.stringMatching(/^operator:/) },
    });
    // The channel closed its side too: a payer pressing "pay" now changes nothing.
    await payOnSandbox(created.payData!.value);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await services().orders.requireByOrderNo(created.orderNo)).state).toBe('closed');

    const paid = await newOrder(3_100);
    await payOnSandbox(paid.payData!.value);
    await paidState(paid.orderNo);
    const refused = await admin.send<Refusal>('POST', `/api/admin/orders/${paid.orderNo}/close`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('ORDER_STATE_INVALID');
    expect((await services().orders.requireByOrderNo(paid.orderNo)).state).toBe('paid');

    const missing = await admin.send<Refusal>('POST', '/api/admin/orders/P00000000000000000000/close');
    expect(missing.status).toBe(404);
  });

  it('syncs an order whose channel notify was lost: the query finds the payment', async () => {
    await setFaults({ dropNotify: true });
    try {
      const created = await newOrder(4_000);
      await payOnSandbox(created.payData!.value);
      expect((await services().orders.requireByOrderNo(created.orderNo)).state).toBe('paying');
      const synced = await admin.ok<OperatorOrder>('POST', `/api/admin/orders/${created.orderNo}/sync`);
      expect(synced).toMatchObject({ state: 'paid', amount: 4_000, fee: 24 });
      const events = (await detail(created.orderNo)).events;
      expect(events.find((e) => e.kind === 'paid')?.detail).toMatchObject({ source: 'query' });
      expect(events.find((e) => e.kind === 'synced')?.detail).toMatchObject({ channelStatus: 'paid' });
    } finally {
      await setFaults({});
    }
  });

  describe('manual completion', () => {
    const complete = (orderNo: string, body: unknown) =>
      admin.send<OperatorOrder & Refusal>('POST', `/api/admin/orders/${orderNo}/complete`, body);
    const paymentTxns = () => services().ledger.countTxnsOfKind('payment');
    const merchantPending = async () =>
      services().ledger.balanceOf({
        kind: 'merchant_pending',
        ownerId: (await services().merchants.requireMerchant(t.demo.merchant.mchNo)).id,
        currency: 'CNY',
      });

    it('refuses a wrong password and changes nothing', async () => {
      const created = await newOrder(5_000);
      const [txns, pending, events] = [
        await paymentTxns(),
        await merchantPending(),
        (await detail(created.orderNo)).events.length,
      ];
      const wrong = await complete(created.orderNo, {
        completionPassword: 'not-the-password',
        remark: 'paid',
      });
      expect(wrong.status).toBe(403);
      expect(wrong.body.code).toBe('COMPLETION_PASSWORD_INVALID');
      const noRemark = await complete(created.orderNo, {
        completionPassword: COMPLETION_PASSWORD,
        remark: ' ',
      });
      expect(noRemark.status).toBe(400);

      const row = await services().orders.requireByOrderNo(created.orderNo);
      expect(row).toMatchObject({
        state: 'paying',
        paid_at: null,
        manual_completed_by: null,
        amount: 5_000n,
      });
      expect(await paymentTxns()).toBe(txns);
      expect(await merchantPending()).toBe(pending);
      expect((await detail(created.orderNo)).events).toHaveLength(events);
      expect((await services().notify.historyOfOrder(row.id)).length).toBe(0);
    });

    it('verifies the completion password as a first step without completing anything', async () => {
      const created = await newOrder(5_100);
      const verify = (orderNo: string, completionPassword: string) =>
        admin.send<{ verified: boolean } & Refusal>('POST', `/api/admin/orders/${orderNo}/complete/verify`, {
          completionPassword,
        });
      const [txns, events] = [await paymentTxns(), (await detail(created.orderNo)).events.length];

      const wrong = await verify(created.orderNo, 'not-the-password');
      expect([wrong.status, wrong.body.code]).toEqual([403, 'COMPLETION_PASSWORD_INVALID']);
      const right = await verify(created.orderNo, COMPLETION_PASSWORD);
      expect([right.status, right.body]).toEqual([200, { verified: true }]);
      const unknown = await verify('P000', COMPLETION_PASSWORD);
      expect([unknown.status, unknown.body.code]).toEqual([404, 'NOT_FOUND']);

      const row = await services().orders.requireByOrderNo(created.orderNo);
      expect(row).toMatchObject({ state: 'paying', paid_at: null, manual_completed_by: null });
      expect(await paymentTxns()).toBe(txns);
      expect((await detail(created.orderNo)).events).toHaveLength(events);
    });

    it('moves a paying order to paid through the payment path: ledger, notify, timeline, list, audit', async () => {
      const created = await newOrder(6_789);
      const [txns, pending] = [await paymentTxns(), await merchantPending()];
      const answer = await complete(created.orderNo, {
        completionPassword: COMPLETION_PASSWORD,
        remark: '客户已付款，凭证 #42',
      });
      expect(answer.status).toBe(200);
      const fee = feeOf(6_789, 6000); // 40.734 → 41
      expect(answer.body).toMatchObject({ orderNo: created.orderNo, state: 'paid', amount: 6_789, fee });
      expect(answer.body.manualCompletion).toMatchObject({ remark: '客户已付款，凭证 #42' });
      expect(answer.body.manualCompletion!.by).toMatch(/^super_admin_/);

      // One payment posting, for the order's own amount.
      expect(await paymentTxns()).toBe(txns + 1n);
      expect(await merchantPending()).toBe(pending + 6_789n - BigInt(fee));
      const report = await ledgerReport(services());
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect((await services().ledger.check()).ok).toBe(true);

      // The merchant hears of it like of any payment.
      const notify = await eventually(() => receiver.forOrder(created.orderNo)[0], 10_000, 'merchant notify');
      expect(JSON.parse(notify.body)).toMatchObject({
        event: 'order.paid',
        orderNo: created.orderNo,
        state: 'paid',
        amount: 6_789,
        fee,
      });

      const shown = await detail(created.orderNo);
      const kinds = shown.events.map((e) => e.kind);
      expect(kinds.slice(-2)).toEqual(['manual_completion', 'paid']);
      expect(shown.events.at(-2)!.detail).toMatchObject({
        remark: '客户已付款，凭证 #42',
        previousState: 'paying',
        operator: answer.body.manualCompletion!.by,
      });
      expect(shown.events.at(-1)!.detail).toMatchObject({ source: 'manual' });
      expect(kinds).not.toContain('late_payment');

      const listed = await one(created.orderNo);
      expect(listed.manualCompletion).toEqual(answer.body.manualCompletion);
      expect(listed.amount).toBe(6_789);

      const audit = await admin.ok<{
        items: { action: string; status: number; before: unknown; after: unknown }[];
      }>('GET', `/api/admin/audit?targetType=order&targetId=${created.orderNo}`);
      const row = audit.items.find(
        (a) => a.action === 'POST /api/admin/orders/:orderNo/complete' && a.status === 200,
      );
      expect(row?.before).toMatchObject({ state: 'paying', amount: 6_789 });
      expect(row?.after).toMatchObject({ state: 'paid', amount: 6_789 });

      // A channel's notify arriving afterwards pays nothing twice.
      expect(await paymentTxns()).toBe(txns + 1n);
    });

    it('refuses a paid order (409) and completes a closed one without a late-payment alert', async () => {
      const paid = await newOrder(1_500);
      await payOnSandbox(paid.payData!.value);
      await paidState(paid.orderNo);
      const txns = await paymentTxns();
      const refused = await complete(paid.orderNo, {
        completionPassword: COMPLETION_PASSWORD,
        remark: 'again',
      });
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('ORDER_STATE_INVALID');
      expect(await paymentTxns()).toBe(txns);
      expect((await services().orders.requireByOrderNo(paid.orderNo)).manual_completed_by).toBeNull();

      const closed = await newOrder(2_500);
      await admin.ok('POST', `/api/admin/orders/${closed.orderNo}/close`);
      const done = await complete(closed.orderNo, {
        completionPassword: COMPLETION_PASSWORD,
        remark: 'bank slip',
      });
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ state: 'paid', amount: 2_500 });
      expect(await paymentTxns()).toBe(txns + 1n);
      const events = (await detail(closed.orderNo)).events;
      expect(events.find((e) => e.kind === 'manual_completion')?.detail).toMatchObject({
        previousState: 'closed',
      });
      expect(events.some((e) => e.kind === 'late_payment')).toBe(false);
      expect((await ledgerReport(services())).ok).toBe(true);
    });
  });

  describe('test orders', () => {
    it('places an order pinned to each sandbox account, marked as a test', async () => {
      for (const [index, accountId] of t.channelAccountIds.entries()) {
        const answer = await admin.send<TestOrderAnswer>('POST', '/api/admin/test-orders', {
          mchNo: t.demo.merchant.mchNo,
          productCode: 'sandbox_qr',
          amount: 888,
          channelAccountId: String(accountId),
          test: true,
        });
        expect(answer.status).toBe(201);
        const { order, payData, cashierUrl } = answer.body;
        expect(order).toMatchObject({
          state: 'paying',
          amount: 888,
          appId: t.demo.merchant.appId,
          channelAccountId: String(accountId),
          channelRatePpm: COST_RATES[index],
          channelCost: feeOf(888, COST_RATES[index]!),
          source: 'console_test',
          test: true,
        });
        expect(order.createdBy).toMatch(/^super_admin_/);
        expect(order.mchOrderNo).toMatch(/^TEST\d{12}[0-9a-f]{8}$/);
        expect(payData?.type).toBe('url');
        expect(cashierUrl).toBe(services().orders.cashierUrl(order.orderNo));
        const stored = await services().orders.requireByOrderNo(order.orderNo);
        expect(stored).toMatchObject({ source: 'console_test', test: true, channel_account_id: accountId });
        expect(stored.created_by_user_id).toBe(BigInt(admin.userId));
        const routed = (await detail(order.orderNo)).events.find((e) => e.kind === 'routed');
        expect(routed?.detail).toMatchObject({
          channelAccountId: String(accountId),
          candidates: 1,
          pinned: true,
        });
      }
    });

    it('tests a scanned pay code (B扫C): declined, paid at once; a malformed code is refused', async () => {
      const place = (authCode: string) =>
        admin.send<TestOrderAnswer>('POST', '/api/admin/test-orders', {
          mchNo: t.demo.merchant.mchNo,
          productCode: 'sandbox_qr',
          amount: 321,
          test: true,
          authCode,
        });
      const paid = await place('134567890123456700');
      expect(paid.status).toBe(201);
      expect(paid.body.order).toMatchObject({ state: 'paid', test: true, payData: { type: 'none' } });
      const declined = await place('134567890123456799');
      expect(declined.body.order).toMatchObject({ state: 'failed', failure: { code: 'BALANCE_NOT_ENOUGH' } });
      const before = (await admin.ok<OrderList>('GET', '/api/admin/orders?limit=1')).total;
      const refused = await place('not-a-code');
      expect(refused.status).toBe(400);
      expect((await admin.ok<OrderList>('GET', '/api/admin/orders?limit=1')).total).toBe(before);
      expect((await ledgerReport(services())).ok).toBe(true);
    });

    it('routes a real order without a pinned account; refuses an account not bound to the product', async () => {
      const real = await admin.ok<TestOrderAnswer>('POST', '/api/admin/test-orders', {
        mchNo: t.demo.merchant.mchNo,
        appId: t.demo.merchant.appId,
        productCode: 'sandbox_qr',
        amount: 999,
        subject: '真实测试',
      });
      expect(real.order).toMatchObject({
        test: false,
        source: 'console_test',
        subject: '真实测试',
        state: 'paying',
      });
      expect(t.channelAccountIds.map(String)).toContain(real.order.channelAccountId);

      const before = (await admin.ok<OrderList>('GET', '/api/admin/orders?limit=1')).total;
      const account = await services().catalog.createChannelAccount({
        channelCode: 'sandbox',
        name: 'unbound',
        credentials: { mchId: 'SBXUNBOUND', key: 'k'.repeat(32) },
      });
      for (const channelAccountId of [String(account.id), '999999']) {
        const refused = await admin.send<Refusal>('POST', '/api/admin/test-orders', {
          mchNo: t.demo.merchant.mchNo,
          productCode: 'sandbox_qr',
          amount: 500,
          channelAccountId,
        });
        expect(refused.status).toBe(400);
        expect(refused.body.code).toBe('INVALID_REQUEST');
      }
      // A disabled binding cannot be pinned either.
      const [first] = t.channelAccountIds;
      await services().catalog.upsertBinding('sandbox_qr', first!, {
        weight: 70,
        priority: 0,
        minAmount: null,
        maxAmount: null,
        dailyLimit: null,
        windowStart: null,
        windowEnd: null,
        enabled: false,
      });
      try {
        const refused = await admin.send<Refusal>('POST', '/api/admin/test-orders', {
          mchNo: t.demo.merchant.mchNo,
          productCode: 'sandbox_qr',
          amount: 500,
          channelAccountId: String(first),
        });
        expect(refused.status).toBe(400);
      } finally {
        await services().catalog.upsertBinding('sandbox_qr', first!, {
          weight: 70,
          priority: 0,
          minAmount: null,
          maxAmount: null,
          dailyLimit: null,
          windowStart: null,
          windowEnd: null,
          enabled: true,
        });
      }
      const otherApp = await admin.send<Refusal>('POST', '/api/admin/test-orders', {
        mchNo: t.demo.merchant.mchNo,
        appId: 'APPNOTOURS',
        productCode: 'sandbox_qr',
        amount: 500,
      });
      expect(otherApp.status).toBe(404);
      expect((await admin.ok<OrderList>('GET', '/api/admin/orders?limit=1')).total).toBe(before);
    });
  });

  it('counts statistics exactly: per merchant, product and channel account, test orders left out', async () => {
    // A merchant of its own, so its figures are exactly the orders placed here.
    const merchant = await services().merchants.createMerchant({ name: '统计商户 Stats Merchant' });
    await services().catalog.setMerchantRate(merchant.id, 'sandbox_qr', 10_000);
    const app = await services().merchants.createApp(merchant.mch_no, { name: 'stats app' });
    const keys = (await services().merchants.appKeys(app.app.appId))!;
    const start = Date.now();
    const place = (amount: number, channelAccountId: bigint) =>
      services().orders.createOrder(
        keys,
        {
          mchOrderNo: `ST-${amount}-${channelAccountId}`,
          productCode: 'sandbox_qr',
          amount: BigInt(amount),
          subject: 's',
        },
        { source: 'api', channelAccountId },
      );
    const [a, b] = t.channelAccountIds as [bigint, bigint];
    const placed = [
      { amount: 10_000, account: a, pay: true },
      { amount: 20_000, account: a, pay: false },
      { amount: 30_000, account: b, pay: true },
      { amount: 40_000, account: b, pay: true },
    ];
    for (const p of placed) {
      const { order } = await place(p.amount, p.account);
      if (p.pay) {
        await payOnSandbox(order.pay_data_value!);
        await paidState(order.order_no);
      }
    }
    // A paid test order of the same merchant is not counted.
    const test = await admin.ok<TestOrderAnswer>('POST', '/api/admin/test-orders', {
      mchNo: merchant.mch_no,
      productCode: 'sandbox_qr',
      amount: 77_777,
      test: true,
    });
    await payOnSandbox(test.payData!.value);
    await paidState(test.order.orderNo);

    const window = `from=${encodeURIComponent(new Date(start - 1000).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}`;
    const stats = await admin.ok<Stats>('GET', `/api/admin/stats?groupBy=merchant&${window}`);
    const row = stats.rows.find((r) => r.key === merchant.mch_no)!;
    const paid = placed.filter((p) => p.pay);
    const expected = {
      orderCount: 4,
      paidCount: 3,
      paidAmount: 80_000,
      // The unpaid order is still within its payment time: neither a success nor a failure yet.
      pendingCount: 1,
      successRate: 1,
      fee: paid.reduce((s, p) => s + feeOf(p.amount, 10_000), 0), // 1 %: 100 + 300 + 400
      channelCost: paid.reduce((s, p) => s + feeOf(p.amount, COST_RATES[p.account === a ? 0 : 1]!), 0),
    };
    expect(row).toMatchObject({ name: '统计商户 Stats Merchant', ...expected });
    expect(row.fee).toBe(800);
    expect(row.channelCost).toBe(38 + 135 + 180);
    expect(row.profit).toBe(800 - (38 + 135 + 180));
    expect(stats.bucket).toBe('hour');
    // The dashboard's "show test data" switch counts the test order too, without changing the rest.
    const withTest = await admin.ok<Stats & { includesTest: boolean; testDataOnly: boolean }>(
      'GET',
      `/api/admin/stats?groupBy=merchant&${window}&includeTest=1`,
    );
    expect(withTest).toMatchObject({ includesTest: true, testDataOnly: false });
    expect(withTest.rows.find((r) => r.key === merchant.mch_no)).toMatchObject({
      orderCount: 5,
      paidCount: 4,
      paidAmount: 80_000 + 77_777,
    });

    // Totals and the series agree with the rows, and with the order list (test orders aside).
    const sum = (k: keyof Figures) => stats.rows.reduce((s, r) => s + r[k], 0);
    for (const k of ['orderCount', 'paidCount', 'paidAmount', 'fee', 'channelCost', 'profit'] as const) {
      expect(stats.totals[k]).toBe(sum(k));
    }
    expect(stats.series.reduce((s, b) => s + b.paidAmount, 0)).toBe(stats.totals.paidAmount);
    expect(stats.series.reduce((s, b) => s + b.paidCount, 0)).toBe(stats.totals.paidCount);
    // The statistics' window is rounded out to whole hours (the rollups' grain): the list over the same hours.
    const hours = `from=${encodeURIComponent(stats.from)}&to=${encodeURIComponent(stats.to)}`;
    expect(new Date(stats.from).getTime() % 3_600_000).toBe(0);
    const listed = await admin.ok<OrderList>('GET', `/api/admin/orders?limit=200&${hours}`);
    const real = listed.items.filter((o) => !o.test);
    expect(stats.totals.orderCount).toBe(real.length);
    expect(stats.totals.paidAmount).toBe(real.filter((o) => o.paidAt).reduce((s, o) => s + o.amount, 0));

    // By channel account: this merchant's orders split as placed.
    const byAccount = await admin.ok<Stats>('GET', `/api/admin/stats?groupBy=channel&${window}`);
    const accountRow = (id: bigint) => byAccount.rows.find((r) => r.key === String(id))!;
    expect(accountRow(a).name).toBe('沙箱账户 A');
    expect(accountRow(b).name).toBe('沙箱账户 B');
    expect(byAccount.totals).toEqual(stats.totals);
    const byProduct = await admin.ok<Stats>('GET', `/api/admin/stats?groupBy=product&${window}`);
    expect(byProduct.rows).toHaveLength(1);
    expect(byProduct.rows[0]).toMatchObject({
      key: 'sandbox_qr',
      name: '沙箱扫码 Sandbox QR',
      ...stats.totals,
    });

    // The default window is today, by the hour.
    const today = await admin.ok<Stats>('GET', '/api/admin/stats');
    expect(today.series).toHaveLength(24);
    expect(new Date(today.to).getTime() - new Date(today.from).getTime()).toBe(86_400_000);
    expect(today.rows.find((r) => r.key === merchant.mch_no)?.orderCount).toBe(4);
    // A long window is by the day.
    const month = await admin.ok<Stats>('GET', '/api/admin/stats?from=2024-01-01&to=2024-01-31');
    expect(month).toMatchObject({ bucket: 'day', totals: { orderCount: 0, successRate: 0 } });
    expect(month.series).toHaveLength(31);
    expect(month.series[0]!.bucket).toBe('2024-01-01');
    const tooLong = await admin.get<Refusal>('/api/admin/stats?from=2020-01-01&to=2024-01-01');
    expect(tooLong.status).toBe(400);
  });

  it('refuses every change to a role without its permission, and changes nothing', async () => {
    const readOnly = await operatorConsole(t, 'read_only');
    const support = await operatorConsole(t, 'support');
    const finance = await operatorConsole(t, 'finance');
    const created = await newOrder(1_234);
    const paths: [string, unknown][] = [
      [`/api/admin/orders/${created.orderNo}/close`, {}],
      [`/api/admin/orders/${created.orderNo}/sync`, {}],
      [`/api/admin/orders/${created.orderNo}/notify/resend`, {}],
      [
        `/api/admin/orders/${created.orderNo}/complete`,
        { completionPassword: COMPLETION_PASSWORD, remark: 'x' },
      ],
      ['/api/admin/test-orders', { mchNo: t.demo.merchant.mchNo, productCode: 'sandbox_qr', amount: 100 }],
    ];
    const ordersBefore = (await admin.ok<OrderList>('GET', '/api/admin/orders?limit=1')).total;
    for (const [path, body] of paths) {
      const answer = await readOnly.send<Refusal>('POST', path, body);
      expect({ path, status: answer.status, code: answer.body.code }).toEqual({
        path,
        status: 403,
        code: 'FORBIDDEN',
      });
    }
    // Support operates orders but neither completes them nor places test orders; finance completes only.
    expect((await support.send('POST', paths[3]![0], paths[3]![1])).status).toBe(403);
    expect((await support.send('POST', paths[4]![0], paths[4]![1])).status).toBe(403);
    expect((await finance.send('POST', paths[0]![0], paths[0]![1])).status).toBe(403);
    expect((await finance.send('POST', paths[4]![0], paths[4]![1])).status).toBe(403);

    const row = await services().orders.requireByOrderNo(created.orderNo);
    expect(row).toMatchObject({ state: 'paying', manual_completed_by: null, paid_at: null });
    expect((await admin.ok<OrderList>('GET', '/api/admin/orders?limit=1')).total).toBe(ordersBefore);
    // Reading is allowed.
    expect((await readOnly.get<OrderList>(`/api/admin/orders?q=${created.orderNo}`)).body.total).toBe(1);
    expect((await readOnly.get('/api/admin/stats')).status).toBe(200);
    expect((await support.get('/api/admin/stats')).status).toBe(403);
    // What finance may do, it may: complete the order.
    const done = await finance.send<OperatorOrder>('POST', paths[3]![0], paths[3]![1]);
    expect(done.status).toBe(200);
    expect(done.body.state).toBe('paid');
  });
});
