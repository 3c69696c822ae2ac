import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Order, verifyNotify } from '../../sdk/index.ts';
import { ledgerReport } from '../../src/app/platform.ts';
import { alipayAdapter, PAY_CODE_CANCELLED } from '../../src/channels/alipay/adapter.ts';
import { shanghaiTime } from '../../src/channels/alipay/protocol.ts';
import type { PayWay } from '../../src/channels/types.ts';
import { payFormOf } from '../../src/orders/cashier.ts';
import { type AlipayFake, startAlipayFake } from '../fakes/alipay/server.ts';
import { testDatabases } from '../support/databases.ts';
import { eventually, startTestPlatform, type TestPlatform, untilPaid } from '../support/platform.ts';
import { NotifyReceiver } from '../support/receiver.ts';

const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const APP_ID = '2021000199990001';
const OTHER_APP_ID = '2021000199990002';
const SELLER = '2088102199990001';
const WAYS: PayWay[] = ['ALI_QR', 'ALI_WAP', 'ALI_PC', 'ALI_BAR'];
const product = (way: PayWay) => `alipay_${way.slice(4).toLowerCase()}`;

/**
 * The Alipay channel end to end: the platform over HTTP, an Alipay channel account pointing at the
 * fake gateway (which checks our signatures and signs its answers and notifies with its own key),
 * the demo merchant's orders through the SDK.
 */
describe.each(testDatabases)('Alipay channel on $kind', (database) => {
  let t: TestPlatform;
  let fake: AlipayFake;
  let accountId: bigint;
  const receiver = new NotifyReceiver();
  let sequence = 0;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    await receiver.start();
    fake = await startAlipayFake({
      apps: [
        { appId: APP_ID, publicKey: app.publicKey, sellerId: SELLER },
        { appId: OTHER_APP_ID, publicKey: stranger.publicKey, sellerId: '2088102199990002' },
      ],
      notifyRetryDelaysMs: [100, 200, 400],
    });
    const catalog = t.platform.services.catalog;
    for (const way of WAYS) {
      await catalog.createProduct({
        code: product(way),
        name: `支付宝 ${way}`,
        currency: 'CNY',
        minAmount: 1n,
        maxAmount: 9_999_999_999n,
        defaultRatePpm: 6000,
        payWay: way,
      });
    }
    await catalog.createChannel({ code: 'alipay', name: '支付宝', adapterCode: 'alipay' });
    const account = await catalog.createChannelAccount({
      channelCode: 'alipay',
      name: '支付宝 直连',
      credentials: {
        appId: APP_ID,
        privateKey: app.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        alipayPublicKey: fake.keys.publicPem,
        sellerId: SELLER,
        gatewayUrl: fake.gatewayUrl,
      },
      config: { payCodeQueryIntervalMs: 50, payCodeQueryAttempts: 3 },
      rates: WAYS.map((way) => ({ productCode: product(way), costRatePpm: 3800 })),
    });
    accountId = account.id;
    const merchant = (await t.platform.services.merchants.findMerchantByNo(t.demo.merchant.mchNo))!;
    for (const way of WAYS) {
      await catalog.upsertBinding(product(way), accountId, {
        weight: 1,
        priority: 0,
        minAmount: null,
        maxAmount: null,
        dailyLimit: null,
        windowStart: null,
        windowEnd: null,
        enabled: true,
      });
      await catalog.setMerchantRate(merchant.id, product(way), 6000);
    }
  });
  afterAll(async () => {
    await fake?.close();
    await t?.stop();
    await receiver.stop();
  });

  const create = (way: PayWay, amount: number, extra?: Record<string, unknown>, returnUrl?: string) =>
    t.client.createOrder({
      mchOrderNo: `ALI-${database.kind}-${++sequence}`,
      productCode: product(way),
      amount,
      subject: '青云测试 Alipay & test',
      notifyUrl: receiver.url,
      ...(returnUrl ? { returnUrl } : {}),
      ...(extra ? { extra } : {}),
    });
  const stateOf = async (orderNo: string) => (await t.client.getOrder(orderNo)).state;
  const paid = (orderNo: string) => untilPaid(t.client, orderNo);
  const merchantNotified = (orderNo: string, event: string) =>
    eventually(
      () => receiver.forOrder(orderNo).find((n) => n.body.includes(`"event":"${event}"`)),
      10_000,
      `${event} for ${orderNo}`,
    );
  const expectLedgerOk = async () => {
    const report = await ledgerReport(t.platform.services);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  };
  const ledgerTxns = async () =>
    Number((await t.platform.services.db.query<{ n: bigint }>('SELECT count(*) AS n FROM ledger_txn'))[0]!.n);
  const postNotify = async (body: string) => {
    const response = await fetch(`${t.platform.url}/api/channel-notify/${accountId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    });
    return response.text();
  };
  const notifyRow = async (body: string) =>
    (
      await t.platform.services.db.query<{ outcome: string; error_code: string | null }>(
        'SELECT outcome, error_code FROM channel_notify WHERE raw_body = $1 ORDER BY id DESC LIMIT 1',
        [body],
      )
    )[0];

  it('QR: create → the payer pays at Alipay → signed notify → paid, posted, merchant notified', async () => {
    const order = await create('ALI_QR', 2_500);
    expect(order).toMatchObject({ state: 'paying', payData: { type: 'qr' } });
    expect(order.payData!.value).toMatch(/^https:\/\/qr\.alipay\.com\//);
    expect(fake.trades.get(order.orderNo)!.total).toBe(2_500n);
    await fake.pay(order.orderNo);
    const done = await paid(order.orderNo);
    expect(done.channelOrderNo).toBe(fake.trades.get(order.orderNo)!.tradeNo);
    const notify = await merchantNotified(order.orderNo, 'order.paid');
    expect(
      verifyNotify(notify.headers, notify.body, { type: 'HMAC-SHA256', secret: t.demo.merchant.appSecret }),
    ).toEqual({ ok: true });
    // Alipay heard `success` and stopped.
    const sent = fake.notifies.find((n) => n.orderNo === order.orderNo)!;
    await eventually(() => (sent.answers.includes('success') ? true : undefined));
    const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
    expect((await t.platform.services.orders.channelNotifiesOf(row)).map((n) => n.outcome)).toEqual([
      'applied',
    ]);
    await expectLedgerOk();
  });

  it('H5 (a signed gateway link) and PC (a self-posting form) are paid the same way', async () => {
    const wap = await create('ALI_WAP', 1_000, undefined, 'https://shop.example/done');
    expect(wap.payData!.type).toBe('url');
    const link = new URL(wap.payData!.value);
    expect(`${link.origin}${link.pathname}`).toBe(fake.gatewayUrl);
    expect(link.searchParams.get('method')).toBe('alipay.trade.wap.pay');
    expect(await (await fetch(link)).text()).toContain(wap.orderNo);
    const pc = await create('ALI_PC', 1_001);
    expect(pc.payData!.type).toBe('form');
    // The cashier page rebuilds the form and posts it to the gateway: post what it reads, as the
    // browser would; the gateway's signature check proves nothing was lost on the way.
    const form = payFormOf({ pay_data_type: 'form', pay_data_value: pc.payData!.value })!;
    expect(`${form.action.origin}${form.action.pathname}`).toBe(fake.gatewayUrl);
    expect(form.method).toBe('post');
    const posted = await fetch(form.action, { method: 'POST', body: new URLSearchParams(form.fields) });
    expect(await posted.text()).toContain(pc.orderNo);
    for (const order of [wap, pc]) {
      await fake.pay(order.orderNo);
      expect((await paid(order.orderNo)).amount).toBe(order.amount);
      await merchantNotified(order.orderNo, 'order.paid');
    }
    await expectLedgerOk();
  });

  it('amounts of 1 fen, 0.10 and 99 999 999.99 yuan round-trip exactly', async () => {
    for (const amount of [1, 10, 9_999_999_999]) {
      const order = await create('ALI_QR', amount);
      const trade = fake.trades.get(order.orderNo)!;
      expect(trade.total).toBe(BigInt(amount));
      await fake.pay(order.orderNo);
      expect((await paid(order.orderNo)).amount).toBe(amount);
    }
    await expectLedgerOk();
  });

  it('pay codes: paid at once; the customer confirming, then paid; declined; unknown, then cancelled', async () => {
    const code = (n: number) => `28${String(n).padStart(16, '0')}`;
    const now = await create('ALI_BAR', 800, { authCode: code(1) });
    expect(now).toMatchObject({ state: 'paid', amount: 800 });
    await merchantNotified(now.orderNo, 'order.paid');

    // The customer is still typing the password after the adapter's three queries: the order waits.
    fake.payCode(code(2), { kind: 'wait', paidAfterQueries: 4 });
    const waiting = await create('ALI_QR', 900, { authCode: code(2) });
    expect(waiting).toMatchObject({ state: 'paying', payData: { type: 'none' } });
    expect(fake.trades.get(waiting.orderNo)!.queries).toBe(3);
    // The next query (the order-query job's, or the merchant's sync) finds it paid.
    expect((await t.client.syncOrder(waiting.orderNo)).state).toBe('paid');
    await merchantNotified(waiting.orderNo, 'order.paid');

    fake.payCode(code(3), { kind: 'decline', subCode: 'ACQ.PAYMENT_AUTH_CODE_INVALID' });
    const declined = await create('ALI_BAR', 700, { authCode: code(3) });
    expect(declined).toMatchObject({ state: 'failed', failure: { code: 'ACQ.PAYMENT_AUTH_CODE_INVALID' } });

    fake.payCode(code(4), { kind: 'system_error' });
    const unknown = await create('ALI_BAR', 600, { authCode: code(4) });
    expect(unknown).toMatchObject({ state: 'failed', failure: { code: PAY_CODE_CANCELLED }, paidAt: null });
    expect(fake.calls.filter((c) => c === 'alipay.trade.cancel').length).toBeGreaterThan(0);
    expect(fake.trades.get(unknown.orderNo)).toBeUndefined();
    await expectLedgerOk();
  });

  it('refunds: partial then full, and a refund whose answer was lost recovered by the query', async () => {
    const order = await create('ALI_QR', 10_000);
    await fake.pay(order.orderNo);
    await paid(order.orderNo);
    const partial = await t.client.createRefund({
      orderNo: order.orderNo,
      mchRefundNo: `RF-${sequence}-1`,
      amount: 3_000,
    });
    expect(partial).toMatchObject({ state: 'succeeded', amount: 3_000 });
    expect(await stateOf(order.orderNo)).toBe('partially_refunded');
    await merchantNotified(order.orderNo, 'refund.succeeded');
    // Alipay's notify of the refund (TRADE_SUCCESS with refund_fee) is taken as a repeat of the payment.
    await eventually(() =>
      fake.notifies.find(
        (n) => n.orderNo === order.orderNo && n.body.includes('out_biz_no') && n.answers.includes('success'),
      ),
    );

    fake.dropAnswerOf('alipay.trade.refund');
    const lost = await t.client.createRefund({
      orderNo: order.orderNo,
      mchRefundNo: `RF-${sequence}-2`,
      amount: 7_000,
    });
    expect(lost.state).toBe('pending');
    expect(fake.trades.get(order.orderNo)!.refunded).toBe(10_000n);
    const services = t.platform.services;
    const recovered = await services.refunds.syncWithChannel(
      await services.refunds.requireByRefundNo(lost.refundNo),
    );
    expect(recovered.state).toBe('succeeded');
    expect(await stateOf(order.orderNo)).toBe('refunded');
    // The TRADE_CLOSED notify of the full refund does not fail the order.
    await eventually(() =>
      fake.notifies.find(
        (n) =>
          n.orderNo === order.orderNo && n.body.includes('TRADE_CLOSED') && n.answers.includes('success'),
      ),
    );
    expect(await stateOf(order.orderNo)).toBe('refunded');
    await expectLedgerOk();
  });

  it('close: closed at Alipay first; a closed notify, replays and forgeries change nothing', async () => {
    const order = await create('ALI_QR', 1_234);
    const closed = await t.client.closeOrder(order.orderNo);
    expect(closed.state).toBe('closed');
    // Never scanned: close finds no trade at Alipay, and the cancel closes the number.
    expect(fake.trades.get(order.orderNo)!.status).toBe('TRADE_CLOSED');
    expect(fake.calls.slice(-2)).toEqual(['alipay.trade.close', 'alipay.trade.cancel']);
    const before = await ledgerTxns();
    // Alipay's TRADE_CLOSED notify (sent twice), a paid order's notify replayed, a forged success.
    const closedNotify = fake.notifyBody(order.orderNo, { gmt_close: shanghaiTime(new Date()) });
    expect(await postNotify(closedNotify)).toBe('success');
    expect(await postNotify(closedNotify)).toBe('success');
    expect(await notifyRow(closedNotify)).toEqual({ outcome: 'duplicate', error_code: null });
    const replayed = fake.notifies.find(
      (n) => n.body.includes('TRADE_SUCCESS') && n.answers.includes('success'),
    )!;
    expect(await postNotify(replayed.body)).toBe('success');
    expect(await notifyRow(replayed.body)).toEqual({ outcome: 'duplicate', error_code: null });
    const forged = fake.notifyBody(
      order.orderNo,
      { trade_status: 'TRADE_SUCCESS', gmt_payment: shanghaiTime(new Date()) },
      stranger.privateKey,
    );
    expect(await postNotify(forged)).toBe('fail');
    expect(await notifyRow(forged)).toEqual({ outcome: 'refused', error_code: 'NOTIFY_SIGNATURE_INVALID' });
    await expect(fake.pay(order.orderNo)).rejects.toThrow(/cannot be paid/);
    expect(await stateOf(order.orderNo)).toBe('closed');
    expect(await ledgerTxns()).toBe(before);
    await expectLedgerOk();
  });

  it('forged notifies are refused and logged, and move neither the order nor the ledger', async () => {
    const order = await create('ALI_QR', 5_000);
    const success = { trade_status: 'TRADE_SUCCESS', gmt_payment: shanghaiTime(new Date()) };
    const genuine = fake.notifyBody(order.orderNo, success);
    const before = await ledgerTxns();
    const cases: [string, string][] = [
      // Signed with the merchant's own app key, and with a stranger's.
      [fake.notifyBody(order.orderNo, success, app.privateKey), 'NOTIFY_SIGNATURE_INVALID'],
      [fake.notifyBody(order.orderNo, success, stranger.privateKey), 'NOTIFY_SIGNATURE_INVALID'],
      // The amount changed after Alipay signed it.
      [genuine.replace('total_amount=50.00', 'total_amount=0.01'), 'NOTIFY_SIGNATURE_INVALID'],
      [genuine.replace(/&sign=[^&]+/, '&sign=AAAA'), 'NOTIFY_SIGNATURE_INVALID'],
      // Alipay's real signature, for another app or another seller.
      [fake.notifyBody(order.orderNo, { ...success, app_id: OTHER_APP_ID }), 'NOTIFY_WRONG_ACCOUNT'],
      [fake.notifyBody(order.orderNo, { ...success, seller_id: '2088000000000009' }), 'NOTIFY_WRONG_ACCOUNT'],
      // Alipay signed, but not the order's amount.
      [fake.notifyBody(order.orderNo, { ...success, total_amount: '0.01' }), 'NOTIFY_AMOUNT_MISMATCH'],
    ];
    for (const [body, code] of cases) {
      expect(await postNotify(body)).toBe('fail');
      expect(await notifyRow(body)).toEqual({ outcome: 'refused', error_code: code });
    }
    expect(await stateOf(order.orderNo)).toBe('paying');
    expect(await ledgerTxns()).toBe(before);
    // The genuine one is taken once; its replay is a duplicate.
    expect(await postNotify(genuine)).toBe('success');
    expect(await stateOf(order.orderNo)).toBe('paid');
    expect(await postNotify(genuine)).toBe('success');
    expect(await notifyRow(genuine)).toEqual({ outcome: 'duplicate', error_code: null });
    expect(await ledgerTxns()).toBe(before + 1);
    await expectLedgerOk();
  });

  it('badly signed answers are failures: nothing is recorded from them', async () => {
    const order = await create('ALI_QR', 4_200);
    await fake.pay(order.orderNo);
    const trade = fake.trades.get(order.orderNo)!;
    await paid(order.orderNo);
    const another = await create('ALI_QR', 4_300);
    fake.scan(another.orderNo);
    // Alipay's TRADE_CLOSED notify of the close is held back: only the answers speak here.
    fake.holdNotifies(true);
    fake.badlySignNext();
    await expect(t.client.closeOrder(another.orderNo)).rejects.toMatchObject({ status: 502 });
    expect(await stateOf(another.orderNo)).toBe('paying');
    expect(fake.trades.get(another.orderNo)!.status).toBe('TRADE_CLOSED');
    // A query whose answer is badly signed changes nothing; a good one then closes the order.
    fake.badlySignNext();
    await expect(t.client.syncOrder(another.orderNo)).rejects.toMatchObject({ status: 502 });
    expect(await stateOf(another.orderNo)).toBe('paying');
    expect((await t.client.closeOrder(another.orderNo)).state).toBe('closed');
    fake.holdNotifies(false);
    const closedNotify = await eventually(() =>
      fake.notifies.find((n) => n.orderNo === another.orderNo && n.answers.includes('success')),
    );
    expect(await notifyRow(closedNotify.body)).toEqual({ outcome: 'duplicate', error_code: null });
    expect(await stateOf(another.orderNo)).toBe('closed');

    fake.badlySignNext();
    const refused = await create('ALI_QR', 4_400);
    expect(refused).toMatchObject({ state: 'failed', failure: { code: 'CHANNEL_BAD_SIGNATURE' } });

    fake.badlySignNext();
    const refund = await t.client.createRefund({
      orderNo: order.orderNo,
      mchRefundNo: `RF-${sequence}-bad`,
      amount: 200,
    });
    expect(refund.state).toBe('pending');
    expect(trade.refunded).toBe(200n);
    const services = t.platform.services;
    expect(
      (await services.refunds.syncWithChannel(await services.refunds.requireByRefundNo(refund.refundNo)))
        .state,
    ).toBe('succeeded');
    await expectLedgerOk();
  });

  it('tests the connection and fetches the statement through the account', async () => {
    const account = (await t.platform.services.catalog.channelAccount(accountId))!;
    const ctx = {
      channelAccountId: accountId,
      credentials: account.credentials,
      config: account.config,
      notifyUrl: '',
      refundNotifyUrl: '',
      publicUrl: t.platform.url,
      timeoutMs: 2_000,
    };
    expect(await alipayAdapter.testConnection(ctx)).toMatchObject({ ok: true });
    // A broken key is refused when the account is saved, naming the field.
    await expect(
      t.platform.services.catalog.createChannelAccount({
        channelCode: 'alipay',
        name: '坏密钥',
        credentials: {
          ...account.credentials,
          alipayPublicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
        },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('alipayPublicKey') });
    const wrongKey = {
      ...ctx,
      credentials: {
        ...ctx.credentials,
        privateKey: stranger.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      },
    };
    expect(await alipayAdapter.testConnection(wrongKey)).toMatchObject({
      ok: false,
      code: 'CHANNEL_AUTH_FAILED',
    });
    const statement = await alipayAdapter.fetchStatement!(ctx, {
      date: shanghaiTime(new Date()).slice(0, 10),
    });
    const paidOrders: Order[] = [];
    for (const trade of fake.trades.values()) {
      if (trade.app.appId === APP_ID && trade.paidAt)
        paidOrders.push(await t.client.getOrder(trade.outTradeNo));
    }
    const payments = statement.lines.filter((l) => l.kind === 'payment');
    expect(payments.length).toBe(paidOrders.length);
    for (const order of paidOrders) {
      expect(payments.find((l) => l.orderNo === order.orderNo)?.amount).toBe(BigInt(order.amount));
    }
    expect(statement.lines.filter((l) => l.kind === 'refund').length).toBeGreaterThanOrEqual(3);
  });
});
