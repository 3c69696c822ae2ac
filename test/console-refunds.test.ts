import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerReport } from '../src/app/platform.ts';
import { type ConsoleClient, merchantConsole, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

/**
 * Console refunds over real HTTP: an operator with `order.refund` and a merchant manager refund
 * through the same service as the signed API; the list, the order detail, the refusals, the roles
 * and the merchant scope that guard it, and the ledger after each.
 */

interface Refusal {
  code: string;
  message: string;
}

interface RefundView {
  refundNo: string;
  mchRefundNo: string;
  orderNo: string;
  mchOrderNo: string;
  merchant: { mchNo: string; name: string };
  amount: number;
  feeRefund: number;
  currency: string;
  state: 'pending' | 'succeeded' | 'failed';
  reason: string | null;
  failureMessage: string | null;
  createdAt: string;
  succeededAt: string | null;
  failedAt: string | null;
  source: 'api' | 'console';
}

interface RefundList {
  items: RefundView[];
  total: number;
}

interface OrderDetail {
  orderNo: string;
  state: string;
  refundedAmount: number;
  refunds: RefundView[];
}

const expectRefusal = (answer: { status: number; body: unknown }, status: number, code: string) =>
  expect({ status: answer.status, code: (answer.body as Refusal).code }).toEqual({ status, code });

const VIEW_KEYS = [
  'amount',
  'createdAt',
  'currency',
  'failedAt',
  'failureMessage',
  'feeRefund',
  'mchOrderNo',
  'mchRefundNo',
  'merchant',
  'orderNo',
  'reason',
  'refundNo',
  'source',
  'state',
  'succeededAt',
];

describe.each(testDatabases)('console refunds on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;
  let operations: ConsoleClient;
  let managerA: ConsoleClient;
  let merchantA: bigint;
  const receiver = new NotifyReceiver();
  let sequence = 0;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    await receiver.start();
    admin = await operatorConsole(t);
    operations = await operatorConsole(t, 'operations');
    merchantA = (await services().merchants.requireMerchant(t.demo.merchant.mchNo)).id;
    managerA = await merchantConsole(t, { merchantId: merchantA, merchantRole: 'manager' });
  });
  afterAll(async () => {
    await t?.stop();
    await receiver.stop();
  });

  const services = () => t.platform.services;
  const count = async (sql: string) => Number((await services().db.query<{ n: bigint }>(sql))[0]!.n);

  /** Everything a refused refund must leave as it was. */
  async function rowCounts() {
    return {
      refunds: await count('SELECT count(*) AS n FROM refund_order'),
      txns: await count('SELECT count(*) AS n FROM ledger_txn'),
      entries: await count('SELECT count(*) AS n FROM ledger_entry'),
      notifies: await count('SELECT count(*) AS n FROM notify_task'),
      reserved: await count('SELECT COALESCE(sum(refunded_amount), 0)::bigint AS n FROM pay_order'),
      balances: await count(
        'SELECT COALESCE(sum(balance), 0)::bigint AS n FROM ledger_account WHERE guarded',
      ),
    };
  }

  async function expectLedgerOk() {
    const report = await ledgerReport(services());
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  }

  /** An order of the demo merchant, paid on the sandbox (so the sandbox can refund it). */
  const paidOrder = (amount: number) =>
    paidSandboxOrder(t.client, {
      mchOrderNo: `CRF-${++sequence}-${Date.now()}`,
      amount,
      subject: 'console refunds',
      notifyUrl: receiver.url,
    });

  const detail = (orderNo: string) => admin.ok<OrderDetail>('GET', `/api/admin/orders/${orderNo}`);

  /** Waits for the sandbox's refund notify to settle the refund; answers the list row. */
  const settled = (client: ConsoleClient, path: string, refundNo: string) =>
    eventually(
      async () => {
        const list = await client.ok<RefundList>('GET', `${path}?q=${refundNo}`);
        const row = list.items.find((r) => r.refundNo === refundNo);
        return row && row.state !== 'pending' ? row : undefined;
      },
      10_000,
      `refund ${refundNo} settled`,
    );

  describe('operator', () => {
    it('grants order.refund to the built-in operations and finance roles only', async () => {
      for (const [code, granted] of [
        ['operations', true],
        ['finance', true],
        ['support', false],
        ['read_only', false],
      ] as const) {
        const role = await services().roles.require({ code });
        expect([code, role.permissions.includes('order.refund')]).toEqual([code, granted]);
      }
      const permissions = await admin.ok<{ code: string; group: string }[]>('GET', '/api/admin/permissions');
      expect(permissions).toContainEqual({ code: 'order.refund', group: 'order' });
    });

    it('refunds part of an order: pending → succeeded, listed, filtered, in the detail and the audit', async () => {
      const order = await paidOrder(10_000);
      const answer = await operations.send<RefundView>('POST', `/api/admin/orders/${order.orderNo}/refunds`, {
        amount: 3_000,
        reason: '顾客退货',
      });
      expect(answer.status).toBe(201);
      const created = answer.body;
      expect(Object.keys(created).sort()).toEqual(VIEW_KEYS);
      expect(created).toMatchObject({
        orderNo: order.orderNo,
        mchOrderNo: order.mchOrderNo,
        merchant: { mchNo: t.demo.merchant.mchNo },
        amount: 3_000,
        // 60 fen of fee × 3 000 / 10 000
        feeRefund: 18,
        currency: 'CNY',
        reason: '顾客退货',
        failureMessage: null,
        source: 'console',
      });
      expect(created.merchant.name).not.toBe('');
      expect(created.refundNo).toMatch(/^R\d{20}$/);
      expect(created.mchRefundNo).toMatch(/^CR\d{12}[0-9a-f]{8}$/);
      expect(['pending', 'succeeded']).toContain(created.state);

      const done = await settled(admin, '/api/admin/refunds', created.refundNo);
      expect(done).toMatchObject({ state: 'succeeded', failedAt: null });
      expect(done.succeededAt).not.toBeNull();
      expect((await services().refunds.requireByRefundNo(created.refundNo)).created_by_user_id).toBe(
        BigInt(operations.userId),
      );

      // Found by each of its numbers, by state, merchant and today's window; not by another state.
      const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
      for (const filter of [
        `q=${created.refundNo}`,
        `q=${created.mchRefundNo}`,
        `q=${order.orderNo}`,
        `q=${order.mchOrderNo}`,
        `q=${order.orderNo}&state=succeeded&mchNo=${t.demo.merchant.mchNo}&from=${today}&to=${today}`,
      ]) {
        const list = await admin.ok<RefundList>('GET', `/api/admin/refunds?${filter}`);
        expect([filter, list.total, list.items.map((r) => r.refundNo)]).toEqual([
          filter,
          1,
          [created.refundNo],
        ]);
      }
      for (const filter of [
        `q=${order.orderNo}&state=failed`,
        `q=${order.orderNo}&mchNo=NO_SUCH_MCH`,
        `q=${order.orderNo}&to=2000-01-01`,
      ]) {
        expect(await admin.ok<RefundList>('GET', `/api/admin/refunds?${filter}`)).toEqual({
          items: [],
          total: 0,
        });
      }
      const all = await admin.ok<RefundList>('GET', '/api/admin/refunds?limit=1');
      expect(all.items).toHaveLength(1);
      expect(all.total).toBeGreaterThanOrEqual(1);
      expectRefusal(await admin.send('GET', '/api/admin/refunds?state=bogus'), 400, 'INVALID_REQUEST');

      const shown = await detail(order.orderNo);
      expect(shown).toMatchObject({ state: 'partially_refunded', refundedAmount: 3_000 });
      expect(shown.refunds).toEqual([done]);

      const audit = await admin.ok<{
        items: { action: string; status: number; before: unknown; after: unknown }[];
      }>('GET', `/api/admin/audit?targetType=order&targetId=${order.orderNo}`);
      expect(audit.items).toContainEqual(
        expect.objectContaining({
          action: 'POST /api/admin/orders/:orderNo/refunds',
          status: 201,
          before: { state: 'paid', refundedAmount: 0 },
          after: expect.objectContaining({ refundNo: created.refundNo, amount: 3_000, source: 'console' }),
        }),
      );
      await expectLedgerOk();
    });

    it('refuses more than is left, an unpaid order and a bad body, changing nothing', async () => {
      const order = await paidOrder(5_000);
      const first = await admin.ok<RefundView>('POST', `/api/admin/orders/${order.orderNo}/refunds`, {
        amount: 2_000,
        reason: 'first',
      });
      await settled(admin, '/api/admin/refunds', first.refundNo);
      const before = await rowCounts();

      const over = await admin.send<Refusal & { details?: { remaining: number } }>(
        'POST',
        `/api/admin/orders/${order.orderNo}/refunds`,
        { amount: 3_001, reason: 'too much' },
      );
      expectRefusal(over, 409, 'REFUND_AMOUNT_EXCEEDED');
      const unpaid = await t.client.createOrder({
        mchOrderNo: `CRF-UNPAID-${Date.now()}`,
        productCode: 'sandbox_qr',
        amount: 1_000,
        subject: 'unpaid',
      });
      expectRefusal(
        await admin.send('POST', `/api/admin/orders/${unpaid.orderNo}/refunds`, { amount: 100, reason: 'x' }),
        409,
        'ORDER_STATE_INVALID',
      );
      for (const body of [
        { amount: 0, reason: 'zero' },
        { amount: 1.5, reason: 'fraction' },
        { amount: 100, reason: '' },
        { amount: 100, reason: 'x'.repeat(129) },
        { amount: 100 },
      ]) {
        expectRefusal(
          await admin.send('POST', `/api/admin/orders/${order.orderNo}/refunds`, body),
          400,
          'INVALID_REQUEST',
        );
      }
      expectRefusal(
        await admin.send('POST', '/api/admin/orders/NO_SUCH_ORDER/refunds', { amount: 100, reason: 'x' }),
        404,
        'NOT_FOUND',
      );
      expect(await rowCounts()).toEqual(before);
      expect(await detail(order.orderNo)).toMatchObject({
        refundedAmount: 2_000,
        state: 'partially_refunded',
      });

      // What is left can still be refunded: the order ends refunded.
      const rest = await admin.ok<RefundView>('POST', `/api/admin/orders/${order.orderNo}/refunds`, {
        amount: 3_000,
        reason: 'the rest',
      });
      expect((await settled(admin, '/api/admin/refunds', rest.refundNo)).state).toBe('succeeded');
      expect(await detail(order.orderNo)).toMatchObject({ refundedAmount: 5_000, state: 'refunded' });
      await expectLedgerOk();
    });

    it('refuses operators without order.refund (read_only, support), changing nothing', async () => {
      const order = await paidOrder(2_000);
      const before = await rowCounts();
      for (const role of ['read_only', 'support']) {
        const operator = await operatorConsole(t, role);
        const answer = await operator.send<Refusal & { details?: unknown }>(
          'POST',
          `/api/admin/orders/${order.orderNo}/refunds`,
          { amount: 500, reason: 'not allowed' },
        );
        expectRefusal(answer, 403, 'FORBIDDEN');
        expect(answer.body.details).toEqual({ permission: 'order.refund' });
        // Both may still read the list.
        expect((await operator.get('/api/admin/refunds')).status).toBe(200);
      }
      expect(await rowCounts()).toEqual(before);
      expect(await detail(order.orderNo)).toMatchObject({ state: 'paid', refundedAmount: 0, refunds: [] });
      await expectLedgerOk();
    });

    it('lists API refunds as source api', async () => {
      const order = await paidOrder(1_000);
      const refund = await t.client.createRefund({
        orderNo: order.orderNo,
        mchRefundNo: `API-${Date.now()}`,
        amount: 400,
      });
      const row = await settled(admin, '/api/admin/refunds', refund.refundNo);
      expect(row).toMatchObject({ source: 'api', mchRefundNo: refund.mchRefundNo, reason: null });
      await expectLedgerOk();
    });
  });

  describe('merchant portal', () => {
    it('lets a manager refund its own order, list it and see it in the order detail', async () => {
      const order = await paidOrder(8_000);
      const answer = await managerA.send<RefundView>(
        'POST',
        `/api/merchant/orders/${order.orderNo}/refunds`,
        {
          amount: 8_000,
          reason: '整单退款',
        },
      );
      expect(answer.status).toBe(201);
      expect(Object.keys(answer.body).sort()).toEqual(VIEW_KEYS);
      expect(answer.body).toMatchObject({
        orderNo: order.orderNo,
        amount: 8_000,
        feeRefund: 48,
        source: 'console',
        merchant: { mchNo: t.demo.merchant.mchNo },
      });
      const done = await settled(managerA, '/api/merchant/refunds', answer.body.refundNo);
      expect(done.state).toBe('succeeded');
      expect((await services().refunds.requireByRefundNo(done.refundNo)).created_by_user_id).toBe(
        BigInt(managerA.userId),
      );

      const shown = await managerA.ok<OrderDetail>('GET', `/api/merchant/orders/${order.orderNo}`);
      expect(shown).toMatchObject({ state: 'refunded', refundedAmount: 8_000, refunds: [done] });
      const mine = await managerA.ok<RefundList>(
        'GET',
        `/api/merchant/refunds?q=${order.mchOrderNo}&state=succeeded`,
      );
      expect(mine).toEqual({ items: [done], total: 1 });
      // Every refund of the list is the merchant's (operator refunds of its orders included).
      const all = await managerA.ok<RefundList>('GET', '/api/merchant/refunds?limit=200');
      expect(all.total).toBeGreaterThanOrEqual(4);
      expect(all.items.every((r) => r.merchant.mchNo === t.demo.merchant.mchNo)).toBe(true);
      await expectLedgerOk();
    });

    it("refuses a cashier (403), and another merchant's manager (404), changing nothing", async () => {
      const order = await paidOrder(3_000);
      const cashier = await merchantConsole(t, { merchantId: merchantA, merchantRole: 'cashier' });
      const other = await admin.ok<{ mchNo: string }>('POST', '/api/admin/merchants', {
        name: '乙 Refund B',
      });
      const merchantB = (await services().merchants.requireMerchant(other.mchNo)).id;
      const managerB = await merchantConsole(t, { merchantId: merchantB, merchantRole: 'manager' });
      const before = await rowCounts();

      const body = { amount: 1_000, reason: 'not mine' };
      expectRefusal(
        await cashier.send('POST', `/api/merchant/orders/${order.orderNo}/refunds`, body),
        403,
        'FORBIDDEN',
      );
      expectRefusal(await cashier.send('GET', '/api/merchant/refunds'), 403, 'FORBIDDEN');
      expectRefusal(
        await managerB.send('POST', `/api/merchant/orders/${order.orderNo}/refunds`, body),
        404,
        'NOT_FOUND',
      );
      // B's list holds none of A's refunds, whatever it searches for.
      expect(await managerB.ok<RefundList>('GET', '/api/merchant/refunds')).toEqual({ items: [], total: 0 });
      expect(await managerB.ok<RefundList>('GET', `/api/merchant/refunds?q=${order.orderNo}`)).toEqual({
        items: [],
        total: 0,
      });
      // An operator cannot use the portal route, nor a merchant the operator's.
      expectRefusal(
        await admin.send('POST', `/api/merchant/orders/${order.orderNo}/refunds`, body),
        403,
        'FORBIDDEN',
      );
      expectRefusal(
        await managerA.send('POST', `/api/admin/orders/${order.orderNo}/refunds`, body),
        403,
        'FORBIDDEN',
      );

      expect(await rowCounts()).toEqual(before);
      expect(await detail(order.orderNo)).toMatchObject({ state: 'paid', refundedAmount: 0, refunds: [] });
      await expectLedgerOk();
    });
  });
});
