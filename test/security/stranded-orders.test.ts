import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingyunApiError } from '../../sdk/index.ts';
import type { SqlValue } from '../../src/db/index.ts';
import { testDatabases } from '../support/databases.ts';
import { interceptedDatabase, isAcceptanceWrite, terminatedByAdministrator } from '../support/faulty-db.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from '../support/platform.ts';

/**
 * The channel accepted an order but writing that acceptance failed (the database went away at
 * exactly that statement): the order is left `created`, with no pay data, while the channel holds
 * the payment open. A merchant's retry, the order-query job and the expiry sweep must each carry
 * it on from what the channel says, not leave it unusable or close it blind.
 */
describe.each(testDatabases)('orders stranded in created, on $kind', (database) => {
  let t: TestPlatform;
  /** Set to fail the next acceptance write; holds the pay data that write would have recorded. */
  let failNextAcceptance = false;
  let refusedPayUrl: string | null = null;

  beforeAll(async () => {
    const faulty = interceptedDatabase(database, (text, params) => {
      if (!failNextAcceptance || !isAcceptanceWrite(text)) return;
      failNextAcceptance = false;
      refusedPayUrl = (params![4] as SqlValue[])[0] as string;
      throw terminatedByAdministrator();
    });
    t = await startTestPlatform(faulty, { orderQueryScheduleSeconds: [1] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const services = () => t.platform.services;
  const setFaults = async (faults: Record<string, unknown>) => {
    for (const id of t.channelAccountIds)
      await services().catalog.updateChannelAccount(id, { config: { faults } });
  };
  const request = (mchOrderNo: string) => ({
    mchOrderNo,
    productCode: 'sandbox_qr',
    amount: 1_500,
    subject: 'stranded',
  });

  /** Creates an order whose acceptance write fails: the API answers 503, the order stays created. */
  async function strandedOrder(mchOrderNo: string) {
    failNextAcceptance = true;
    refusedPayUrl = null;
    const refused = await t.client.createOrder(request(mchOrderNo)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QingyunApiError);
    expect((refused as QingyunApiError).status).toBe(503);
    expect((refused as QingyunApiError).code).toBe('DATABASE_UNAVAILABLE');
    const row = await services().orders.getByMchOrderNo(t.demo.merchant.appId, mchOrderNo);
    expect(row.state).toBe('created');
    expect(row.pay_data_value).toBeNull();
    expect(refusedPayUrl).toMatch(/^http/);
    return { row, payUrl: refusedPayUrl! };
  }

  const stateOf = async (orderNo: string, state: string) =>
    eventually(
      async () => {
        const row = await services().orders.requireByOrderNo(orderNo);
        return row.state === state ? row : undefined;
      },
      10_000,
      `order ${orderNo} ${state}`,
    );

  it("a merchant's retry resumes the order at the channel: same pay data, then paid once", async () => {
    const { row, payUrl } = await strandedOrder('STRANDED-RETRY');

    const retried = await t.client.createOrder(request('STRANDED-RETRY'));
    expect(retried.orderNo).toBe(row.order_no);
    expect(retried.state).toBe('paying');
    // The channel's create is idempotent on our order number: the payer gets the same payment.
    expect(retried.payData).toEqual({ type: 'url', value: payUrl });

    expect(await payOnSandbox(retried.payData!.value)).toBe(200);
    await stateOf(row.order_no, 'paid');
    const kinds = (await services().orders.eventsOf(row)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'channel_accepted')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'paid')).toHaveLength(1);
  });

  it('a retry of a created order the channel never got routes it on, as the create would have', async () => {
    // The process stopped between recording the order and calling the channel: an order the
    // channel has never seen (a number it does not know), still created, without pay data.
    const placed = await t.client.createOrder(request('NEVER-SENT'));
    const unknownNo = `${placed.orderNo}X`;
    await services().db.query(
      `UPDATE pay_order SET order_no = $2, state = 'created', pay_data_type = NULL, pay_data_value = NULL,
         channel_order_no = NULL, next_query_at = NULL WHERE order_no = $1`,
      [placed.orderNo, unknownNo],
    );
    const row = await services().orders.requireByOrderNo(unknownNo);
    const atChannel = await services().channels.queryPayment(row.channel_account_id!, { orderNo: unknownNo });
    expect(atChannel.status).toBe('not_found');

    const retried = await t.client.createOrder(request('NEVER-SENT'));
    expect(retried.orderNo).toBe(unknownNo);
    expect(retried.state).toBe('paying');
    expect(retried.payData?.value).toMatch(/^http/);
    expect(retried.payData?.value).not.toBe(placed.payData?.value);
    expect(await payOnSandbox(retried.payData!.value)).toBe(200);
    await stateOf(unknownNo, 'paid');
  });

  it('the order-query job finds a stranded order nobody retries and records its acceptance', async () => {
    const { row, payUrl } = await strandedOrder('STRANDED-JOB');
    // Its channel call is long overdue (a create waits for the channel at most QY_CHANNEL_TIMEOUT_MS).
    await services().db.query(
      `UPDATE pay_order SET updated_at = now() - interval '10 minutes' WHERE id = $1`,
      [row.id],
    );

    const paying = await stateOf(row.order_no, 'paying');
    expect(paying.pay_data_value).toBe(payUrl);
    expect(paying.next_query_at).not.toBeNull();
    expect((await t.client.getOrder(row.order_no)).payData).toEqual({ type: 'url', value: payUrl });
    expect(await payOnSandbox(payUrl)).toBe(200);
    await stateOf(row.order_no, 'paid');
  });

  it('the expiry sweep asks the channel first: paid there is paid here, open there is closed there too', async () => {
    // The channel's notifies are lost: only asking the channel can find the payment.
    await setFaults({ dropNotify: true });
    try {
      const paid = await strandedOrder('STRANDED-SWEEP-PAID');
      expect(await payOnSandbox(paid.payUrl)).toBe(200);
      const open = await strandedOrder('STRANDED-SWEEP-OPEN');
      // Both expired, and old enough that no create call can still be running for them.
      await services().db.query(
        `UPDATE pay_order SET created_at = now() - interval '40 minutes', expires_at = now() - interval '1 minute'
         WHERE id = ANY($1::bigint[])`,
        [[paid.row.id.toString(), open.row.id.toString()]],
      );

      await stateOf(paid.row.order_no, 'paid');
      const events = await services().orders.eventsOf(paid.row);
      expect(events.find((e) => e.kind === 'paid')?.detail).toMatchObject({ source: 'query' });

      await stateOf(open.row.order_no, 'closed');
      const atChannel = await services().channels.queryPayment(open.row.channel_account_id!, {
        orderNo: open.row.order_no,
      });
      expect(atChannel.status).toBe('closed');
    } finally {
      await setFaults({});
    }
  });
});
