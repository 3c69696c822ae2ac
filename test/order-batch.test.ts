import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleClient, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * Batch actions on the operator's order list: a result per order (an order that cannot be closed
 * is refused with its code, the others close), an audit row per order, the bound on one batch, and
 * the export of the list's filtered orders.
 */

interface BatchAnswer {
  action: string;
  succeeded: number;
  refused: number;
  results: {
    orderNo: string;
    outcome: 'succeeded' | 'refused';
    state: string | null;
    code: string | null;
    details: Record<string, unknown> | null;
  }[];
}

describe.each(testDatabases)('order batch actions on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;
  const tag = `BATCH${Date.now().toString(36).toUpperCase()}`;
  /** The demo seeds orders of its own: the export's filter is this suite's window and a state. */
  const since = new Date(Date.now() - 1000).toISOString();

  beforeAll(async () => {
    t = await startTestPlatform(database);
    admin = await operatorConsole(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('closes 50 orders with a result and an audit row per order; a paid one is refused', async () => {
    const orderNos: string[] = [];
    for (let i = 0; i < 49; i++) {
      const order = await t.client.createOrder({
        mchOrderNo: `${tag}-${i}`,
        productCode: 'sandbox_qr',
        amount: 100 + i,
        subject: 'batch',
      });
      orderNos.push(order.orderNo);
    }
    const paid = await paidSandboxOrder(t.client, {
      mchOrderNo: `${tag}-paid`,
      amount: 300,
      subject: 'batch',
    });
    orderNos.splice(20, 0, paid.orderNo);
    expect(orderNos).toHaveLength(50);

    const answer = await admin.ok<BatchAnswer>('POST', '/api/admin/orders/batch', {
      action: 'close',
      orderNos,
    });
    expect(answer.results.map((r) => r.orderNo)).toEqual(orderNos);
    expect(answer).toMatchObject({ action: 'close', succeeded: 49, refused: 1 });
    const refused = answer.results.find((r) => r.outcome === 'refused')!;
    expect(refused).toMatchObject({ orderNo: paid.orderNo, code: 'ORDER_STATE_INVALID', state: 'paid' });
    for (const r of answer.results.filter((x) => x.outcome === 'succeeded')) expect(r.state).toBe('closed');
    for (const orderNo of orderNos.slice(0, 3)) {
      expect((await t.client.getOrder(orderNo)).state).toBe(orderNo === paid.orderNo ? 'paid' : 'closed');
    }

    const audit = await admin.ok<{ total: number; items: { targetId: string; succeeded: boolean }[] }>(
      'GET',
      '/api/admin/audit?actionKey=order.close&limit=200',
    );
    const rows = audit.items.filter((i) => orderNos.includes(i.targetId));
    expect(rows).toHaveLength(50);
    expect(rows.filter((r) => !r.succeeded).map((r) => r.targetId)).toEqual([paid.orderNo]);

    // Sync and notify resend answer per order too: an unknown number is refused, not the batch.
    const sync = await admin.ok<BatchAnswer>('POST', '/api/admin/orders/batch', {
      action: 'sync',
      orderNos: [paid.orderNo, 'P-NO-SUCH-ORDER'],
    });
    expect(sync.results.map((r) => [r.outcome, r.code])).toEqual([
      ['succeeded', null],
      ['refused', 'NOT_FOUND'],
    ]);
  });

  it('refuses a batch above the bound before touching any order', async () => {
    const orderNos = Array.from({ length: 101 }, (_, i) => `P${i}`);
    const answer = await admin.send<{ code: string; details: { field: string } }>(
      'POST',
      '/api/admin/orders/batch',
      { action: 'close', orderNos },
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'orderNos' } });
  });

  it('exports the orders the list’s filters match', async () => {
    const filter = `state=closed&from=${encodeURIComponent(since)}`;
    const list = await admin.ok<{ total: number }>('GET', `/api/admin/orders?${filter}`);
    expect(list.total).toBe(49);
    const file = await admin.get<string>(`/api/admin/orders/export?${filter}&format=csv`);
    expect(file.status).toBe(200);
    expect(file.headers.get('x-export-rows')).toBe('49');
    expect(file.text.trim().split(/\r?\n/)).toHaveLength(50);
  });
});
