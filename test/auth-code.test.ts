import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingyunApiError, verifyNotify } from '../sdk/index.ts';
import { ledgerReport } from '../src/app/platform.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

/**
 * B扫C: the merchant scans the code on the customer's phone and passes it as `extra.authCode`. The
 * sandbox's test codes choose the customer's answer by their last two digits (protocol.ts):
 * any → paid at once, …88 → confirms on the phone 2 s later, …77 → never confirms, …99 → declined.
 */
describe.each(testDatabases)('auth-code payments on $kind', (database) => {
  let t: TestPlatform;
  const receiver = new NotifyReceiver();
  let sequence = 0;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    await receiver.start();
  });
  afterAll(async () => {
    await t.stop();
    await receiver.stop();
  });

  const scan = (authCode: unknown, amount = 2_500) =>
    t.client.createOrder({
      mchOrderNo: `BAR-${++sequence}`,
      productCode: 'sandbox_qr',
      amount,
      subject: 'Counter sale',
      notifyUrl: receiver.url,
      extra: { authCode, till: 3 },
    });

  const events = async (orderNo: string) => {
    const row = await t.platform.services.orders.requireByOrderNo(orderNo);
    return (await t.platform.services.orders.eventsOf(row)).map((e) => e.kind);
  };

  const expectLedgerOk = async () => expect((await ledgerReport(t.platform.services)).ok).toBe(true);

  it('is paid in the create call itself, posts the ledger and notifies the merchant', async () => {
    const order = await scan('134567890123456781');
    expect(order).toMatchObject({ state: 'paid', amount: 2_500, payData: { type: 'none', value: '' } });
    expect(order.paidAt).not.toBeNull();
    expect(order.channelOrderNo).toMatch(/^SB/);
    expect(order.extra).toEqual({ authCode: '134567890123456781', till: 3 });
    expect(await events(order.orderNo)).toEqual(expect.arrayContaining(['created', 'routed', 'paid']));

    const notify = await eventually(() => receiver.forOrder(order.orderNo)[0], 10_000, 'the paid notify');
    expect(
      verifyNotify(notify.headers, notify.body, { type: 'HMAC-SHA256', secret: t.demo.merchant.appSecret }),
    ).toEqual({
      ok: true,
    });
    expect(JSON.parse(notify.body)).toMatchObject({ event: 'order.paid', state: 'paid', amount: 2_500 });
    // The sandbox also sends its notify of the payment. Whichever of the notify and the create's
    // answer lands first records it; the other finds it paid: one payment, one posting.
    const row = await eventually(async () => {
      const r = await t.platform.services.orders.requireByOrderNo(order.orderNo);
      return (await t.platform.services.orders.channelNotifiesOf(r)).length > 0 ? r : undefined;
    });
    const outcomes = (await t.platform.services.orders.channelNotifiesOf(row)).map((n) => n.outcome);
    expect(outcomes).toHaveLength(1);
    expect(['applied', 'duplicate']).toContain(outcomes[0]);
    const postings = await t.platform.services.db.query<{ n: bigint }>(
      'SELECT count(*) AS n FROM ledger_txn WHERE reference = $1',
      [order.orderNo],
    );
    expect(Number(postings[0]!.n)).toBe(1);
    // A retry of the same scan is the same order, not a second charge.
    const retry = await t.client.createOrder({
      mchOrderNo: `BAR-${sequence}`,
      productCode: 'sandbox_qr',
      amount: 2_500,
      subject: 'Counter sale',
      notifyUrl: receiver.url,
      extra: { authCode: '134567890123456781', till: 3 },
    });
    expect(retry).toMatchObject({ orderNo: order.orderNo, state: 'paid' });
    expect(receiver.forOrder(order.orderNo)).toHaveLength(1);
    await expectLedgerOk();
  });

  it('waits while the customer confirms on the phone, then is paid', async () => {
    const order = await scan('134567890123456788');
    expect(order).toMatchObject({ state: 'paying', payData: { type: 'none' }, paidAt: null });
    const paid = await eventually(
      async () => {
        const now = await t.client.getOrder(order.orderNo);
        return now.state === 'paid' ? now : undefined;
      },
      10_000,
      'the customer to confirm',
    );
    expect(paid.paidAt).not.toBeNull();
    await eventually(() => receiver.forOrder(order.orderNo)[0], 10_000, 'the paid notify');
    await expectLedgerOk();
  });

  it('fails at once when the customer’s wallet declines it, without trying another channel', async () => {
    const order = await scan('134567890123456799');
    expect(order).toMatchObject({
      state: 'failed',
      failure: { code: 'BALANCE_NOT_ENOUGH' },
      paidAt: null,
    });
    expect(order.channelOrderNo).toMatch(/^SB/);
    const kinds = await events(order.orderNo);
    expect(kinds).toEqual(expect.arrayContaining(['channel_declined', 'failed']));
    expect(kinds).not.toContain('rerouted');
    await expectLedgerOk();
  });

  it('cancels an unconfirmed payment at the channel, so a later confirmation cannot take the money', async () => {
    const order = await scan('134567890123456777');
    expect(order.state).toBe('paying');
    const cancelled = await t.client.cancelOrder(order.orderNo);
    expect(cancelled).toMatchObject({ state: 'closed', paidAt: null });
    expect(await events(order.orderNo)).toContain('cancelled');
    // The customer confirms on the phone after all: the sandbox has closed the payment.
    const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
    const status = await t.platform.services.channels.queryPayment(row.channel_account_id!, {
      orderNo: order.orderNo,
    });
    expect(status.status).toBe('closed');
    const tradeUrl = `${t.platform.url}/sandbox/pay/${order.channelOrderNo}`;
    expect(await payOnSandbox(tradeUrl)).toBe(200);
    expect((await t.client.getOrder(order.orderNo)).state).toBe('closed');
    // Cancelling again is harmless.
    expect((await t.client.cancelOrder(order.orderNo)).state).toBe('closed');
    await expectLedgerOk();
  });

  it('refuses to cancel a paid auth-code payment or an order that was not paid by auth code', async () => {
    const paid = await scan('134567890123456700');
    await expect(t.client.cancelOrder(paid.orderNo)).rejects.toMatchObject({
      status: 409,
      code: 'ORDER_STATE_INVALID',
    });
    expect((await t.client.getOrder(paid.orderNo)).state).toBe('paid');
    const qr = await t.client.createOrder({
      mchOrderNo: `QR-${++sequence}`,
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'QR',
    });
    await expect(t.client.cancelOrder(qr.orderNo)).rejects.toMatchObject({ code: 'ORDER_STATE_INVALID' });
    expect((await t.client.getOrder(qr.orderNo)).state).toBe('paying');
    await expectLedgerOk();
  });

  it('a customer who confirms before the cancel reaches the channel is paid, and the cancel says so', async () => {
    const order = await scan('234567890123456777');
    // The tester confirms on the sandbox's page for this payment (the customer's phone).
    expect(await payOnSandbox(`${t.platform.url}/sandbox/pay/${order.channelOrderNo}`)).toBe(200);
    await expect(t.client.cancelOrder(order.orderNo)).rejects.toMatchObject({ code: 'ORDER_STATE_INVALID' });
    expect((await t.client.getOrder(order.orderNo)).state).toBe('paid');
    await expectLedgerOk();
  });

  it('a pay code pays once: the same code on a new order is declined by the wallet', async () => {
    const first = await scan('334567890123456700');
    expect(first.state).toBe('paid');
    const again = await scan('334567890123456700');
    expect(again).toMatchObject({ state: 'failed', failure: { code: 'AUTH_CODE_USED' } });
    await expectLedgerOk();
  });

  it('never offers a code to a second channel when the first did not answer: it waits there and asks', async () => {
    const setFaults = async (faults: Record<string, unknown>) => {
      for (const id of t.channelAccountIds) {
        await t.platform.services.catalog.updateChannelAccount(id, { config: { faults } });
      }
    };
    // The sandbox takes the money, then answers after 30 s: our 2 s timeout fires first.
    await setFaults({ createTimeout: true, dropNotify: true });
    let order: Awaited<ReturnType<typeof scan>>;
    try {
      order = await scan('434567890123456700');
    } finally {
      await setFaults({});
    }
    expect(order).toMatchObject({ state: 'paying', payData: { type: 'none' } });
    const kinds = await events(order.orderNo);
    expect(kinds).toContain('channel_unanswered');
    expect(kinds).not.toContain('rerouted');
    // "The customer paid, the till says waiting": ask the channel, which took it once.
    const synced = await t.client.syncOrder(order.orderNo);
    expect(synced.state).toBe('paid');
    const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
    const payments = await t.platform.services.db.query<{ n: bigint }>(
      'SELECT count(*) AS n FROM ledger_txn WHERE reference = $1',
      [order.orderNo],
    );
    expect(Number(payments[0]!.n)).toBe(1);
    expect(row.paid_at).not.toBeNull();
    await expectLedgerOk();
  });

  it('gives an unconfirmed pay-code payment two minutes before the sweep cancels it at the channel', async () => {
    const order = await scan('534567890123456777');
    const expiresIn = new Date(order.expiresAt).getTime() - new Date(order.createdAt).getTime();
    expect(Math.abs(expiresIn - 120_000)).toBeLessThan(1_000);
    // As if the two minutes were up: the sweep asks the channel, then closes the payment there.
    await t.platform.services.db.query(
      "UPDATE pay_order SET expires_at = now() - interval '1 second' WHERE order_no = $1",
      [order.orderNo],
    );
    await t.platform.services.orders.sweepExpired();
    expect((await t.client.getOrder(order.orderNo)).state).toBe('closed');
    const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
    const status = await t.platform.services.channels.queryPayment(row.channel_account_id!, {
      orderNo: order.orderNo,
    });
    expect(status.status).toBe('closed');
    await expectLedgerOk();
  });

  it('refuses a malformed auth code with a clear error and creates nothing', async () => {
    for (const bad of ['12345', 'abcdefghijkl', 1345678901234567, '1'.repeat(33), '']) {
      const mchOrderNo = `BAD-${++sequence}`;
      const error = await t.client
        .createOrder({
          mchOrderNo,
          productCode: 'sandbox_qr',
          amount: 100,
          subject: 'x',
          extra: { authCode: bad },
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QingyunApiError);
      expect(error).toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
      expect((error as Error).message).toContain('authCode');
      await expect(t.client.getOrderByMchOrderNo(mchOrderNo)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
  });
});
