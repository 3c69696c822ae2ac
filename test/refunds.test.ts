import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Order, QingyunApiError, QingyunClient, type Refund, verifyNotify } from '../sdk/index.ts';
import { ledgerReport } from '../src/app/platform.ts';
import { signedRefundNotifyForm } from '../src/channels/sandbox/protocol.ts';
import type { RefundRow } from '../src/refunds/queries.ts';
import { testDatabases } from './support/databases.ts';
import {
  eventually,
  paidSandboxOrder,
  payOnSandbox,
  postChannelNotify,
  sandboxPaidNotify,
  startTestPlatform,
  type TestPlatform,
} from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

describe.each(testDatabases)('refunds on $kind', (database) => {
  let t: TestPlatform;
  const receiver = new NotifyReceiver();
  let merchantId: bigint;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    await receiver.start();
    merchantId = (await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo)).id;
  });
  afterAll(async () => {
    await t.stop();
    await receiver.stop();
  });

  const services = () => t.platform.services;
  const count = async (sql: string, params: string[] = []) =>
    Number((await services().db.query<{ n: bigint }>(sql, params))[0]!.n);

  /** Everything a refused refund must leave as it was. */
  async function rowCounts() {
    return {
      refunds: await count('SELECT count(*) AS n FROM refund_order'),
      txns: await count('SELECT count(*) AS n FROM ledger_txn'),
      entries: await count('SELECT count(*) AS n FROM ledger_entry'),
      notifies: await count('SELECT count(*) AS n FROM notify_task'),
      events: await count('SELECT count(*) AS n FROM order_event'),
      reserved: await count('SELECT COALESCE(sum(refunded_amount), 0)::bigint AS n FROM pay_order'),
      balances: await count(
        `SELECT COALESCE(sum(balance), 0)::bigint AS n FROM ledger_account WHERE guarded`,
      ),
    };
  }

  const paidOrder = (mchOrderNo: string, amount: number, client = t.client) =>
    paidSandboxOrder(client, { mchOrderNo, amount, subject: 'refund test', notifyUrl: receiver.url });

  async function settled(refundNo: string, client = t.client): Promise<Refund> {
    return eventually(
      async () => {
        const refund = await client.getRefund(refundNo);
        return refund.state === 'pending' ? undefined : refund;
      },
      10_000,
      `refund ${refundNo} settled`,
    );
  }

  const pending = () =>
    services().ledger.balanceOf({ kind: 'merchant_pending', ownerId: merchantId, currency: 'CNY' });

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (error: unknown) => {
        expect(error).toBeInstanceOf(QingyunApiError);
        return error as QingyunApiError;
      },
    );

  async function expectLedgerOk() {
    const report = await ledgerReport(services());
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  }

  async function setFaults(faults: Record<string, unknown>) {
    for (const id of t.channelAccountIds) {
      await services().catalog.updateChannelAccount(id, { config: { faults } });
    }
  }

  it('refunds in two parts to refunded: fee proportional, ledger posted, signed notifies', async () => {
    const order = await paidOrder('RF-PARTS', 10_000);
    const before = await pending();

    const first = await t.client.createRefund({
      orderNo: order.orderNo,
      mchRefundNo: 'RF-PARTS-1',
      amount: 3_000,
      reason: '部分退款',
      notifyUrl: receiver.url,
    });
    expect(first).toMatchObject({
      mchRefundNo: 'RF-PARTS-1',
      orderNo: order.orderNo,
      mchOrderNo: 'RF-PARTS',
      amount: 3_000,
      currency: 'CNY',
      // 60 fen of fee × 3 000 / 10 000
      feeRefund: 18,
    });
    expect(first.refundNo).toMatch(/^R\d{20}$/);
    expect(['pending', 'succeeded']).toContain(first.state);
    expect((await settled(first.refundNo)).state).toBe('succeeded');
    expect(await t.client.getOrder(order.orderNo)).toMatchObject({
      state: 'partially_refunded',
      refundedAmount: 3_000,
    });
    expect(await pending()).toBe(before - (3_000n - 18n));

    const second = await t.client.createRefund({
      mchOrderNo: 'RF-PARTS',
      mchRefundNo: 'RF-PARTS-2',
      amount: 7_000,
      notifyUrl: receiver.url,
    });
    // The refund that completes the order gives back the rest of the fee: 60 − 18.
    expect(second).toMatchObject({ amount: 7_000, feeRefund: 42 });
    const done = await settled(second.refundNo);
    expect(done).toMatchObject({ state: 'succeeded', failure: null });
    expect(done.channelRefundNo).toMatch(/^SR/);
    expect((await t.client.getOrder(order.orderNo)).state).toBe('refunded');
    expect(await pending()).toBe(before - (10_000n - 60n));
    expect(await t.client.getRefundByMchRefundNo('RF-PARTS-2')).toMatchObject({
      refundNo: second.refundNo,
      state: 'succeeded',
    });

    // Nothing is left to refund.
    const more = await refusal(
      t.client.createRefund({ orderNo: order.orderNo, mchRefundNo: 'RF-PARTS-3', amount: 1 }),
    );
    expect(more).toMatchObject({ status: 409, code: 'REFUND_AMOUNT_EXCEEDED' });

    for (const refund of [first, second]) {
      const notify = await eventually(
        () =>
          receiver.received.find(
            (n) => n.body.includes(`"refundNo":"${refund.refundNo}"`) && n.body.includes('refund.succeeded'),
          ),
        10_000,
        'the refund notify',
      );
      expect(
        verifyNotify(notify.headers, notify.body, { type: 'HMAC-SHA256', secret: t.demo.merchant.appSecret }),
      ).toEqual({ ok: true });
      expect(JSON.parse(notify.body)).toMatchObject({
        event: 'refund.succeeded',
        refundNo: refund.refundNo,
        orderNo: order.orderNo,
        state: 'succeeded',
        amount: refund.amount,
      });
    }
    const events = (
      await services().orders.eventsOf(await services().orders.requireByOrderNo(order.orderNo))
    ).map((e) => e.kind);
    expect(events.filter((k) => k === 'refund_requested')).toHaveLength(2);
    expect(events.filter((k) => k === 'refund_succeeded')).toHaveLength(2);
    await expectLedgerOk();
  });

  it('is idempotent on mchRefundNo: a same-body retry returns the refund, a changed body is 409', async () => {
    const order = await paidOrder('RF-IDEM', 5_000);
    const request = { orderNo: order.orderNo, mchRefundNo: 'RF-IDEM-1', amount: 5_000 };
    const first = await t.client.createRefund(request);
    const again = await t.client.createRefund({ ...request });
    expect(again.refundNo).toBe(first.refundNo);
    await settled(first.refundNo);
    const before = await rowCounts();
    const changed = await refusal(t.client.createRefund({ ...request, amount: 4_000 }));
    expect(changed).toMatchObject({ status: 409, code: 'IDEMPOTENCY_CONFLICT' });
    expect(await rowCounts()).toEqual(before);
    // A retry after success still answers the refund, now settled.
    expect(await t.client.createRefund({ ...request })).toMatchObject({
      refundNo: first.refundNo,
      state: 'succeeded',
    });
    expect((await t.client.getOrder(order.orderNo)).state).toBe('refunded');
    expect(
      await count('SELECT count(*) AS n FROM refund_order WHERE mch_refund_no = $1', ['RF-IDEM-1']),
    ).toBe(1);
    await expectLedgerOk();
  });

  it('refuses bad refunds with stable codes and changes nothing', async () => {
    const order = await paidOrder('RF-BAD', 2_000);
    const unpaid = await t.client.createOrder({
      mchOrderNo: 'RF-BAD-UNPAID',
      productCode: 'sandbox_qr',
      amount: 2_000,
      subject: 'unpaid',
    });
    const other = await services().merchants.createMerchant({ name: '退款对手 Other Co' });
    await services().catalog.setMerchantRate(other.id, 'sandbox_qr', 6000);
    const otherApp = await services().merchants.createApp(other.mch_no, { name: 'other app' });
    const otherClient = new QingyunClient({
      baseUrl: t.platform.url,
      mchNo: other.mch_no,
      appId: otherApp.app.appId,
      key: { type: 'HMAC-SHA256', secret: otherApp.secret },
    });

    const cases: [string, () => Promise<unknown>, number, string][] = [
      [
        'zero',
        () => t.client.createRefund({ orderNo: order.orderNo, mchRefundNo: 'RF-BAD-0', amount: 0 }),
        400,
        'INVALID_REQUEST',
      ],
      [
        'negative',
        () => t.client.createRefund({ orderNo: order.orderNo, mchRefundNo: 'RF-BAD-N', amount: -5 }),
        400,
        'INVALID_REQUEST',
      ],
      [
        'fractional',
        () => t.client.createRefund({ orderNo: order.orderNo, mchRefundNo: 'RF-BAD-F', amount: 1.5 }),
        400,
        'INVALID_REQUEST',
      ],
      [
        'no order named',
        () => t.client.createRefund({ mchRefundNo: 'RF-BAD-X', amount: 1 }),
        400,
        'INVALID_REQUEST',
      ],
      [
        'more than paid',
        () => t.client.createRefund({ orderNo: order.orderNo, mchRefundNo: 'RF-BAD-M', amount: 2_001 }),
        409,
        'REFUND_AMOUNT_EXCEEDED',
      ],
      [
        'unpaid order',
        () => t.client.createRefund({ orderNo: unpaid.orderNo, mchRefundNo: 'RF-BAD-U', amount: 100 }),
        409,
        'ORDER_STATE_INVALID',
      ],
      [
        'unknown order',
        () =>
          t.client.createRefund({ orderNo: 'P00000000000000000000', mchRefundNo: 'RF-BAD-K', amount: 100 }),
        404,
        'NOT_FOUND',
      ],
      [
        "another merchant's order",
        () => otherClient.createRefund({ orderNo: order.orderNo, mchRefundNo: 'RF-BAD-O', amount: 100 }),
        404,
        'NOT_FOUND',
      ],
      [
        "another app's mchOrderNo",
        () => otherClient.createRefund({ mchOrderNo: 'RF-BAD', mchRefundNo: 'RF-BAD-O2', amount: 100 }),
        404,
        'NOT_FOUND',
      ],
    ];
    for (const [name, attempt, status, code] of cases) {
      const before = await rowCounts();
      const error = await refusal(attempt());
      expect({ name, status: error.status, code: error.code }).toEqual({ name, status, code });
      expect(await rowCounts()).toEqual(before);
    }
    expect(await refusal(otherClient.getRefund('R00000000000000000000'))).toMatchObject({
      code: 'NOT_FOUND',
    });

    // The merchant's balance cannot cover the refund: the other merchant's only payment, with the fee kept.
    const otherOrder = await paidOrder('RF-BAD-BAL', 10_000, otherClient);
    await services().catalog.updateProduct('sandbox_qr', { feeRefundMode: 'kept' });
    try {
      const before = await rowCounts();
      const poor = await refusal(
        otherClient.createRefund({ orderNo: otherOrder.orderNo, mchRefundNo: 'RF-BAD-B', amount: 10_000 }),
      );
      expect(poor).toMatchObject({ status: 409, code: 'INSUFFICIENT_BALANCE' });
      expect(await rowCounts()).toEqual(before);
      // With the fee kept, a refund the balance covers debits the whole amount.
      const fits = await otherClient.createRefund({
        orderNo: otherOrder.orderNo,
        mchRefundNo: 'RF-BAD-B2',
        amount: 9_000,
      });
      expect(fits.feeRefund).toBe(0);
      expect((await settled(fits.refundNo, otherClient)).state).toBe('succeeded');
      expect(
        await services().ledger.balanceOf({ kind: 'merchant_pending', ownerId: other.id, currency: 'CNY' }),
      ).toBe(10_000n - 60n - 9_000n);
    } finally {
      await services().catalog.updateProduct('sandbox_qr', { feeRefundMode: 'proportional' });
    }
    // Another merchant cannot see this merchant's refund.
    const mine = await t.client.createRefund({
      orderNo: order.orderNo,
      mchRefundNo: 'RF-BAD-OK',
      amount: 2_000,
    });
    expect(await refusal(otherClient.getRefund(mine.refundNo))).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
    await settled(mine.refundNo);
    await expectLedgerOk();
  });

  it('a refund the channel fails gives the reservation and the money back, and notifies refund.failed', async () => {
    const order = await paidOrder('RF-FAIL', 8_000);
    const balance = await pending();
    await setFaults({ refundFail: true });
    let failed: Refund;
    try {
      const refund = await t.client.createRefund({
        orderNo: order.orderNo,
        mchRefundNo: 'RF-FAIL-1',
        amount: 8_000,
        notifyUrl: receiver.url,
      });
      failed = await settled(refund.refundNo);
    } finally {
      await setFaults({});
    }
    expect(failed).toMatchObject({ state: 'failed', failure: { code: 'CHANNEL_REFUND_FAILED' } });
    expect((await t.client.getOrder(order.orderNo)).state).toBe('paid');
    expect(await pending()).toBe(balance);
    const row = await services().orders.requireByOrderNo(order.orderNo);
    expect(row.refunded_amount).toBe(0n);
    expect(row.refunded_fee).toBe(0n);
    expect(await count(`SELECT count(*) AS n FROM ledger_txn WHERE reference = $1`, [failed.refundNo])).toBe(
      2,
    );

    const notify = await eventually(
      () => receiver.received.find((n) => n.body.includes(`"refundNo":"${failed.refundNo}"`)),
      10_000,
      'the refund.failed notify',
    );
    expect(
      verifyNotify(notify.headers, notify.body, { type: 'HMAC-SHA256', secret: t.demo.merchant.appSecret }),
    ).toEqual({ ok: true });
    expect(JSON.parse(notify.body)).toMatchObject({ event: 'refund.failed', state: 'failed' });
    await expectLedgerOk();

    // The funds are refundable again.
    const retry = await t.client.createRefund({
      orderNo: order.orderNo,
      mchRefundNo: 'RF-FAIL-2',
      amount: 8_000,
    });
    expect((await settled(retry.refundNo)).state).toBe('succeeded');
    expect((await t.client.getOrder(order.orderNo)).state).toBe('refunded');
    await expectLedgerOk();
  });

  it('20 concurrent refunds on one order accept exactly what fits', async () => {
    const order = await paidOrder('RF-RACE', 10_000);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.client
          .createRefund({ orderNo: order.orderNo, mchRefundNo: `RF-RACE-${i}`, amount: 700 })
          .then((refund) => ({ ok: true as const, refund }))
          .catch((error: unknown) => ({ ok: false as const, error: error as QingyunApiError })),
      ),
    );
    const accepted = results.filter((r) => r.ok);
    const refused = results.filter((r) => !r.ok);
    // 14 × 700 = 9 800 fits in 10 000; a 15th would not.
    expect(accepted).toHaveLength(14);
    expect(refused.map((r) => r.error.code)).toEqual(Array(6).fill('REFUND_AMOUNT_EXCEEDED'));
    const row = await services().orders.requireByOrderNo(order.orderNo);
    expect(row.refunded_amount).toBe(9_800n);
    expect(
      await count('SELECT count(*) AS n FROM refund_order WHERE order_id = $1', [row.id.toString()]),
    ).toBe(14);
    for (const { refund } of accepted) expect((await settled(refund.refundNo)).state).toBe('succeeded');
    expect((await t.client.getOrder(order.orderNo)).state).toBe('partially_refunded');
    await expectLedgerOk();

    const rest = await t.client.createRefund({
      orderNo: order.orderNo,
      mchRefundNo: 'RF-RACE-REST',
      amount: 200,
    });
    expect((await settled(rest.refundNo)).state).toBe('succeeded');
    expect((await t.client.getOrder(order.orderNo)).state).toBe('refunded');
    const final = await services().orders.requireByOrderNo(order.orderNo);
    expect(final.refunded_fee).toBe(final.fee);
    expect(final.refunded_channel_cost).toBe(final.channel_cost);
    await expectLedgerOk();
  });
  /** The refund notify the sandbox would send for a refund, signed with its account's key. */
  async function sandboxRefundNotify(refundNo: string, status: 'SUCCESS' | 'FAILED', key?: string) {
    const refund = await services().refunds.requireByRefundNo(refundNo);
    const account = (await services().catalog.channelAccount(refund.channel_account_id))!;
    const body = signedRefundNotifyForm(
      {
        mchId: String(account.credentials.mchId),
        outTradeNo: refund.order_no,
        outRefundNo: refund.refund_no,
        refundNo: 'SR1',
        amount: refund.amount,
        currency: refund.currency,
        status,
        refundedAt: new Date(),
        failReason: null,
      },
      key ?? String(account.credentials.key),
      `n-${Math.random()}`,
    );
    return { url: `${t.platform.url}/api/channel-notify/${refund.channel_account_id}/refund`, body };
  }

  it('a refund the channel refuses at once fails at once and gives everything back', async () => {
    // Paid by a notify the sandbox never sent: the sandbox does not know the payment and refuses the refund.
    const order = await t.client.createOrder({
      mchOrderNo: 'RF-REFUSED',
      productCode: 'sandbox_qr',
      amount: 3_000,
      subject: 'refused refund',
    });
    expect(await postChannelNotify(await sandboxPaidNotify(t, order.orderNo, 'refused-1'))).toBe(
      '200 SUCCESS',
    );
    const balance = await pending();
    const refund = await t.client.createRefund({
      orderNo: order.orderNo,
      mchRefundNo: 'RF-REFUSED-1',
      amount: 1_000,
    });
    expect(refund).toMatchObject({ state: 'failed', failure: { code: 'NOT_PAID' } });
    expect(await pending()).toBe(balance);
    expect((await services().orders.requireByOrderNo(order.orderNo)).refunded_amount).toBe(0n);
    expect((await t.client.getOrder(order.orderNo)).state).toBe('paid');
    await expectLedgerOk();
  });

  it('refund notifies are verified, matched and applied once; a lost one is made up by a query', async () => {
    await setFaults({ dropNotify: true });
    let order: Order;
    let refund: Refund;
    try {
      const created = await t.client.createOrder({
        mchOrderNo: 'RF-NOTIFY',
        productCode: 'sandbox_qr',
        amount: 4_000,
        subject: 'refund notify',
      });
      await payOnSandbox(created.payData!.value);
      // The payment notify is dropped too: ask the channel.
      order = await t.client.syncOrder(created.orderNo);
      expect(order.state).toBe('paid');
      refund = await t.client.createRefund({
        orderNo: order.orderNo,
        mchRefundNo: 'RF-NOTIFY-1',
        amount: 1_500,
      });
    } finally {
      await setFaults({});
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await t.client.getRefund(refund.refundNo)).state).toBe('pending');

    const forged = await sandboxRefundNotify(refund.refundNo, 'FAILED', 'not-the-key');
    expect(await postChannelNotify(forged)).toBe('400 FAIL');
    // A refund notify at the payment notify URL is refused too.
    const genuine = await sandboxRefundNotify(refund.refundNo, 'SUCCESS');
    expect(await postChannelNotify({ ...genuine, url: genuine.url.replace(/\/refund$/, '') })).toBe(
      '400 FAIL',
    );
    expect((await t.client.getRefund(refund.refundNo)).state).toBe('pending');

    // The channel's own answer, asked for: the refund succeeded.
    const row = await services().refunds.requireByRefundNo(refund.refundNo);
    expect((await services().refunds.syncWithChannel(row)).state).toBe('succeeded');
    // A notify arriving afterwards changes nothing; a contradicting one changes nothing either, but
    // raises an alert on the order for an operator.
    const before = await rowCounts();
    expect(await postChannelNotify(genuine)).toBe('200 SUCCESS');
    expect(await rowCounts()).toEqual(before);
    expect(await postChannelNotify(await sandboxRefundNotify(refund.refundNo, 'FAILED'))).toBe('200 SUCCESS');
    expect(await rowCounts()).toEqual({ ...before, events: before.events + 1 });
    const orderRow = await services().orders.requireByOrderNo(order.orderNo);
    const alert = (await services().orders.eventsOf(orderRow)).at(-1)!;
    expect(alert).toMatchObject({
      kind: 'refund_outcome_conflict',
      alert: true,
      detail: { refundNo: refund.refundNo, recorded: 'succeeded', channelSays: 'failed' },
    });
    expect((await t.client.getRefund(refund.refundNo)).state).toBe('succeeded');
    expect((await t.client.getOrder(order.orderNo)).state).toBe('partially_refunded');
    const outcomes = await services().db.query<{ outcome: string; error_code: string | null }>(
      `SELECT outcome, error_code FROM channel_notify WHERE raw_body LIKE '%notifyType=REFUND%' AND raw_body LIKE $1 ORDER BY id`,
      [`%${refund.refundNo}%`],
    );
    expect(outcomes.map((o) => `${o.outcome}:${o.error_code ?? ''}`)).toEqual([
      'refused:NOTIFY_SIGNATURE_INVALID',
      'refused:NOTIFY_WRONG_KIND',
      'duplicate:',
      'refused:REFUND_OUTCOME_CONFLICT',
    ]);
    await expectLedgerOk();
  });

  it('20 concurrent identical requests make one refund; a refund the channel never heard of is sent by the query', async () => {
    const order = await paidOrder('RF-SAME', 6_000);
    const request = { orderNo: order.orderNo, mchRefundNo: 'RF-SAME-1', amount: 2_500 };
    const results = await Promise.all(Array.from({ length: 20 }, () => t.client.createRefund(request)));
    expect(new Set(results.map((r) => r.refundNo)).size).toBe(1);
    const row = await services().orders.requireByOrderNo(order.orderNo);
    expect(row.refunded_amount).toBe(2_500n);
    expect(
      await count('SELECT count(*) AS n FROM refund_order WHERE order_id = $1', [row.id.toString()]),
    ).toBe(1);
    expect((await settled(results[0]!.refundNo)).state).toBe('succeeded');

    // A refund reserved but never sent (as if the node stopped right after the commit).
    const app = (await services().merchants.appKeys(t.demo.merchant.appId))!;
    const channels = services().channels;
    const original = channels.createRefund.bind(channels);
    channels.createRefund = async () => ({ outcome: 'unknown', code: 'CHANNEL_TIMEOUT', message: 'lost' });
    let lost: RefundRow;
    try {
      lost = (
        await services().refunds.createRefund(app, {
          orderNo: order.orderNo,
          mchRefundNo: 'RF-SAME-LOST',
          amount: 1_000n,
        })
      ).refund;
    } finally {
      channels.createRefund = original;
    }
    expect(lost.state).toBe('pending');
    // The channel has never heard of it: the query sends it.
    expect(['pending', 'succeeded']).toContain((await services().refunds.syncWithChannel(lost)).state);
    expect((await settled(lost.refund_no)).state).toBe('succeeded');
    await expectLedgerOk();
  });

  it('the guarded reservation alone never lets concurrent refunds exceed the order', async () => {
    const order = await paidOrder('RF-GUARD', 1_000);
    const row = await services().orders.requireByOrderNo(order.orderNo);
    const share = { amount: 300n, fee: 0n, channelCost: 0n };
    // No row lock taken first: only the guarded UPDATE stands between 20 writers and the paid amount.
    const reserved = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        services().db.tx((q) => services().orders.reserveRefund(q, row.id, share, `guard-${i}`)),
      ),
    );
    expect(reserved.filter((r) => r !== null)).toHaveLength(3);
    expect((await services().orders.requireByOrderNo(order.orderNo)).refunded_amount).toBe(900n);
    await services().db.tx(async (q) => {
      for (let i = 0; i < 3; i++)
        await services().orders.releaseRefund(q, row.id, share, `guard-${i}`, 'test');
    });
    expect((await services().orders.requireByOrderNo(order.orderNo)).refunded_amount).toBe(0n);
  });
  it('refund routes are signed like orders, and described in the OpenAPI document', async () => {
    const unsigned = await fetch(`${t.platform.url}/api/v1/refunds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderNo: 'P1', mchRefundNo: 'X', amount: 1 }),
    });
    expect(unsigned.status).toBe(401);
    expect((await unsigned.json()).code).toBe('SIGNATURE_MISSING');
    expect((await fetch(`${t.platform.url}/api/v1/refunds/R1`)).status).toBe(401);
    const openapi = await (await fetch(`${t.platform.url}/docs/json`)).json();
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(['/api/v1/refunds', '/api/v1/refunds/{refundNo}']),
    );
    expect(Object.keys(openapi.paths).filter((p) => p.startsWith('/api/channel-notify'))).toEqual([]);
  });
});
