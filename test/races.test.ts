import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerReport } from '../src/app/platform.ts';
import { testDatabases } from './support/databases.ts';
import {
  postChannelNotify,
  sandboxPaidNotify,
  startTestPlatform,
  type TestPlatform,
} from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

const count = async (t: TestPlatform, sql: string, params: string[]) =>
  Number((await t.platform.services.db.query<{ n: bigint }>(sql, params))[0]!.n);

// Real concurrency needs PostgreSQL (PGlite serialises everything), but the outcome must be the same on both.
describe.each(testDatabases)('races on $kind', (database) => {
  let t: TestPlatform;
  const receiver = new NotifyReceiver();

  beforeAll(async () => {
    t = await startTestPlatform(database);
    await receiver.start();
  });
  afterAll(async () => {
    await t.stop();
    await receiver.stop();
  });

  it('50 concurrent duplicate channel notifies make one payment, one ledger transaction and one merchant notify', async () => {
    const order = await t.client.createOrder({
      mchOrderNo: 'RACE-NOTIFY',
      productCode: 'sandbox_qr',
      amount: 9_999,
      subject: 'race',
      notifyUrl: receiver.url,
    });
    const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
    const notify = await sandboxPaidNotify(t, order.orderNo, 'race-nonce-1');
    const answers = await Promise.all(Array.from({ length: 50 }, () => postChannelNotify(notify)));

    expect(new Set(answers)).toEqual(new Set(['200 SUCCESS']));
    expect((await t.client.getOrder(order.orderNo)).state).toBe('paid');
    expect(
      await count(t, `SELECT count(*) AS n FROM ledger_txn WHERE kind = 'payment' AND reference = $1`, [
        order.orderNo,
      ]),
    ).toBe(1);
    expect(
      await count(t, 'SELECT count(*) AS n FROM notify_task WHERE order_id = $1', [row.id.toString()]),
    ).toBe(1);
    expect(
      await count(t, `SELECT count(*) AS n FROM channel_notify WHERE order_id = $1 AND outcome = 'applied'`, [
        row.id.toString(),
      ]),
    ).toBe(1);
    expect(
      await count(
        t,
        `SELECT count(*) AS n FROM channel_notify WHERE order_id = $1 AND outcome = 'duplicate'`,
        [row.id.toString()],
      ),
    ).toBe(49);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(receiver.forOrder(order.orderNo)).toHaveLength(1);
    expect((await ledgerReport(t.platform.services)).ok).toBe(true);
  });

  it('duplicate notifies for several orders, shuffled, are applied once per order (batches sharing orders)', async () => {
    const notifies: { url: string; body: string; orderNo: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const order = await t.client.createOrder({
        mchOrderNo: `RACE-MULTI-${i}`,
        productCode: 'sandbox_qr',
        amount: 1_000 + i,
        subject: 'race',
        notifyUrl: receiver.url,
      });
      const notify = await sandboxPaidNotify(t, order.orderNo, `multi-${i}`);
      for (let copy = 0; copy < 20; copy++) notifies.push({ ...notify, orderNo: order.orderNo });
    }
    // A seeded shuffle, so concurrent batches hold the same orders in different orders.
    let seed = 42;
    for (let i = notifies.length - 1; i > 0; i--) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const j = seed % (i + 1);
      [notifies[i], notifies[j]] = [notifies[j]!, notifies[i]!];
    }
    const answers = await Promise.all(notifies.map(postChannelNotify));
    expect(new Set(answers)).toEqual(new Set(['200 SUCCESS']));
    for (const orderNo of new Set(notifies.map((b) => b.orderNo))) {
      expect(
        await count(t, `SELECT count(*) AS n FROM ledger_txn WHERE kind = 'payment' AND reference = $1`, [
          orderNo,
        ]),
      ).toBe(1);
      expect((await t.client.getOrder(orderNo)).state).toBe('paid');
    }
    expect((await ledgerReport(t.platform.services)).ok).toBe(true);
  });

  it('100 concurrent creates with one mchOrderNo make one order', async () => {
    const request = {
      mchOrderNo: 'RACE-CREATE',
      productCode: 'sandbox_qr',
      amount: 4_200,
      subject: 'race create',
    };
    const results = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const response = await t.client.createOrder(request);
        return response.orderNo;
      }),
    );
    expect(new Set(results).size).toBe(1);
    expect(
      await count(t, 'SELECT count(*) AS n FROM pay_order WHERE mch_order_no = $1', ['RACE-CREATE']),
    ).toBe(1);
    // The channel was asked to open the payment once, for one order.
    const order = await t.platform.services.orders.requireByOrderNo(results[0]!);
    const events = await t.platform.services.orders.eventsOf(order);
    expect(events.filter((e) => e.kind === 'created')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'channel_accepted')).toHaveLength(1);
  });
});
