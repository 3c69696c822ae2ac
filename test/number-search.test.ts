import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleClient, merchantConsole, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * Searching the consoles' order and refund lists by the end of a number (the digits people read off
 * a phone): 4 or more trailing digits of the platform number find it, in both consoles, within the
 * other filters; fewer digits are refused with a reason the consoles translate; the suffix search is
 * served by an index.
 */

interface OrderList {
  items: { orderNo: string; mchOrderNo: string }[];
  total: number;
}

interface RefundList {
  items: { refundNo: string; orderNo: string; state: string }[];
  total: number;
}

interface Refusal {
  code: string;
  details?: Record<string, unknown>;
}

describe.each(testDatabases)('search by the end of a number on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;
  let manager: ConsoleClient;
  let other: ConsoleClient;
  let orderNo: string;
  let mchOrderNo: string;
  let refundNo: string;
  let refundOrderNo: string;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    admin = await operatorConsole(t);
    const merchantId = (await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo)).id;
    manager = await merchantConsole(t, { merchantId, merchantRole: 'manager' });
    const created = await admin.ok<{ mchNo: string }>('POST', '/api/admin/merchants', {
      name: `Suffix other ${Date.now()}`,
    });
    const otherId = (await t.platform.services.merchants.requireMerchant(created.mchNo)).id;
    other = await merchantConsole(t, { merchantId: otherId, merchantRole: 'manager' });

    const order = await t.client.createOrder({
      productCode: 'sandbox_qr',
      mchOrderNo: `SUFFIX-${Date.now()}`,
      amount: 1234,
      subject: 'suffix search',
    });
    orderNo = order.orderNo;
    mchOrderNo = order.mchOrderNo;

    const paid = await paidSandboxOrder(t.client, {
      mchOrderNo: `SUFFIX-R-${Date.now()}`,
      amount: 5000,
      subject: 'suffix search refund',
    });
    refundOrderNo = paid.orderNo;
    refundNo = (
      await admin.ok<{ refundNo: string }>('POST', `/api/admin/orders/${paid.orderNo}/refunds`, {
        amount: 1000,
        reason: 'suffix search',
      })
    ).refundNo;
  });
  afterAll(async () => {
    await t?.stop();
  });

  const tail = (number: string, digits: number) => number.slice(-digits);

  it('finds an order by its last 4 to 8 digits in both consoles, within the other filters', async () => {
    for (const [client, path] of [
      [admin, '/api/admin/orders'],
      [manager, '/api/merchant/orders'],
    ] as const) {
      for (const digits of [4, 6, 8, 12]) {
        const suffix = tail(orderNo, digits);
        const list = await client.ok<OrderList>('GET', `${path}?q=${suffix}&limit=200`);
        expect(list.items.map((o) => o.orderNo)).toContain(orderNo);
        // Every match ends with the digits (or has them as a whole number).
        for (const item of list.items)
          expect(item.orderNo.endsWith(suffix) || item.mchOrderNo === suffix).toBe(true);
      }
      // A whole number of any kind still finds exactly that order.
      expect((await client.ok<OrderList>('GET', `${path}?q=${orderNo}`)).items.map((o) => o.orderNo)).toEqual(
        [orderNo],
      );
      expect(
        (await client.ok<OrderList>('GET', `${path}?q=${mchOrderNo}`)).items.map((o) => o.orderNo),
      ).toEqual([orderNo]);
      // Outside the time window or in another state, the same digits find nothing of it.
      const past = await client.ok<OrderList>('GET', `${path}?q=${tail(orderNo, 8)}&to=2000-01-01`);
      expect(past.total).toBe(0);
      const paidOnly = await client.ok<OrderList>('GET', `${path}?q=${tail(orderNo, 8)}&state=paid`);
      expect(paidOnly.items.map((o) => o.orderNo)).not.toContain(orderNo);
    }
    // Another merchant's manager does not find it by its digits either.
    const foreign = await other.ok<OrderList>('GET', `/api/merchant/orders?q=${tail(orderNo, 8)}`);
    expect(foreign.total).toBe(0);
  });

  it('finds a refund by the last digits of its number or of its order’s, in both consoles', async () => {
    const found = (list: RefundList) => list.items.map((r) => r.refundNo);
    for (const [client, path] of [
      [admin, '/api/admin/refunds'],
      [manager, '/api/merchant/refunds'],
    ] as const) {
      await eventually(async () => {
        const list = await client.ok<RefundList>('GET', `${path}?q=${tail(refundNo, 6)}`);
        return found(list).includes(refundNo) ? list : undefined;
      });
      expect(found(await client.ok<RefundList>('GET', `${path}?q=${tail(refundNo, 4)}&limit=200`))).toContain(
        refundNo,
      );
      expect(
        found(await client.ok<RefundList>('GET', `${path}?q=${tail(refundOrderNo, 5)}&limit=200`)),
      ).toContain(refundNo);
      expect((await client.ok<RefundList>('GET', `${path}?q=${tail(refundNo, 6)}&to=2000-01-01`)).total).toBe(
        0,
      );
    }
    expect((await other.ok<RefundList>('GET', `/api/merchant/refunds?q=${tail(refundNo, 6)}`)).total).toBe(0);
  });

  it('refuses fewer than 4 digits with a reason the consoles translate, on every list', async () => {
    for (const [client, path] of [
      [admin, '/api/admin/orders'],
      [manager, '/api/merchant/orders'],
      [admin, '/api/admin/refunds'],
      [manager, '/api/merchant/refunds'],
    ] as const) {
      for (const q of ['1', '42', tail(orderNo, 3)]) {
        const answer = await client.get<Refusal>(`${path}?q=${q}`);
        expect({
          path,
          q,
          status: answer.status,
          code: answer.body.code,
          details: answer.body.details,
        }).toEqual({
          path,
          q,
          status: 400,
          code: 'INVALID_REQUEST',
          details: { field: 'q', reason: 'number_too_short', minDigits: 4 },
        });
      }
      // Short text that is not digits is an exact search that finds nothing, not a refusal.
      const text = await client.get<OrderList>(`${path}?q=A1`);
      expect({ status: text.status, total: text.body.total }).toEqual({ status: 200, total: 0 });
    }
  });

  it('serves the suffix search from an index rather than reading the whole table', async () => {
    const plans = await t.platform.services.db.tx(async (q) => {
      await q.query('SET LOCAL enable_seqscan = off');
      const plan = async (sql: string) =>
        (await q.query<{ 'QUERY PLAN': string }>(sql)).map((r) => r['QUERY PLAN']).join('\n');
      return [
        await plan("EXPLAIN SELECT id FROM pay_order WHERE reverse(order_no) LIKE '4321%'"),
        await plan("EXPLAIN SELECT id FROM refund_order WHERE reverse(refund_no) LIKE '4321%'"),
        await plan("EXPLAIN SELECT id FROM refund_order WHERE reverse(order_no) LIKE '4321%'"),
      ];
    });
    expect(plans[0]).toContain('pay_order_order_no_suffix');
    expect(plans[1]).toContain('refund_order_refund_no_suffix');
    expect(plans[2]).toContain('refund_order_order_no_suffix');
  });
});
