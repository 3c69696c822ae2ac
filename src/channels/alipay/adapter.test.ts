import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlipayFake, startAlipayFake } from '../../../test/fakes/alipay/server.ts';
import { gbk } from '../../../test/fakes/alipay/statement.ts';
import { totalsOfLines, totalsTieOut } from '../../reconciliation/stage.ts';
import type { ChannelContext, CreatePaymentRequest, PayWay } from '../types.ts';
import { alipayAdapter, PAY_CODE_CANCELLED } from './adapter.ts';
import { parseShanghaiTime, shanghaiTime } from './protocol.ts';

const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (key: import('node:crypto').KeyObject, type: 'pkcs8' | 'pkcs1' | 'spki') =>
  key.export({ type, format: 'pem' } as never).toString();
const APP_ID = '2021000123450001';
const OTHER_APP = '2021000123450002';
const SELLER = '2088102100000001';

describe('Alipay adapter against the fake gateway', () => {
  let fake: AlipayFake;
  let ctx: ChannelContext;
  let n = 0;
  const orderNo = () => `UT${Date.now()}${++n}`;
  const payment = (
    way: PayWay,
    amount = 100n,
    extra: Partial<CreatePaymentRequest> = {},
  ): CreatePaymentRequest => ({
    orderNo: orderNo(),
    payWay: way,
    amount,
    currency: 'CNY',
    subject: '单元测试 & unit',
    expiresAt: new Date(Date.now() + 600_000),
    ...extra,
  });
  const withCredentials = (patch: Record<string, unknown>): ChannelContext => ({
    ...ctx,
    credentials: { ...ctx.credentials, ...patch },
  });
  const notify = (body: string, c = ctx) =>
    alipayAdapter.parseNotify(c, {
      rawBody: body,
      contentType: 'application/x-www-form-urlencoded',
      headers: {},
    });

  beforeAll(async () => {
    fake = await startAlipayFake({
      apps: [
        { appId: APP_ID, publicKey: app.publicKey, sellerId: SELLER },
        { appId: OTHER_APP, publicKey: other.publicKey, sellerId: '2088102100000002' },
      ],
    });
    ctx = {
      channelAccountId: 1n,
      credentials: {
        appId: APP_ID,
        privateKey: pem(app.privateKey, 'pkcs1'),
        alipayPublicKey: fake.keys.publicPem,
        sellerId: SELLER,
        gatewayUrl: fake.gatewayUrl,
      },
      config: { payCodeQueryIntervalMs: 20, payCodeQueryAttempts: 3 },
      notifyUrl: 'http://127.0.0.1:9/notify',
      refundNotifyUrl: 'http://127.0.0.1:9/notify/refund',
      publicUrl: 'http://127.0.0.1:9',
      timeoutMs: 2_000,
    };
  });
  afterAll(() => fake.close());

  it('refuses broken keys on save, naming the field', () => {
    const broken = alipayAdapter.credentialsSchema.safeParse({
      ...ctx.credentials,
      privateKey: '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----',
    });
    expect(broken.success).toBe(false);
    expect(broken.error!.issues[0]!.path).toEqual(['privateKey']);
    expect(broken.error!.issues[0]!.message).toMatch(/privateKey/);
    const swapped = alipayAdapter.credentialsSchema.safeParse({
      ...ctx.credentials,
      alipayPublicKey: pem(app.privateKey, 'pkcs8'),
    });
    expect(swapped.error!.issues[0]!.message).toMatch(/alipayPublicKey/);
    expect(alipayAdapter.credentialsSchema.safeParse({ ...ctx.credentials, gatewayUrl: '' }).success).toBe(
      true,
    );
    expect(
      alipayAdapter.credentialsSchema.safeParse({
        ...ctx.credentials,
        privateKey: pem(app.privateKey, 'pkcs8'),
      }).success,
    ).toBe(true);
  });

  it('tests the connection: good keys pass; a wrong app key or a wrong Alipay key fail', async () => {
    expect(await alipayAdapter.testConnection(ctx)).toMatchObject({ ok: true });
    expect(
      await alipayAdapter.testConnection(withCredentials({ privateKey: pem(other.privateKey, 'pkcs8') })),
    ).toMatchObject({
      ok: false,
      code: 'CHANNEL_AUTH_FAILED',
      message: expect.stringContaining('isv.invalid-signature'),
    });
    expect(
      await alipayAdapter.testConnection(withCredentials({ alipayPublicKey: pem(other.publicKey, 'spki') })),
    ).toMatchObject({
      ok: false,
      code: 'CHANNEL_BAD_SIGNATURE',
    });
    expect(
      await alipayAdapter.testConnection(withCredentials({ gatewayUrl: 'http://127.0.0.1:9/gateway.do' })),
    ).toMatchObject({
      ok: false,
      code: 'CHANNEL_UNREACHABLE',
    });
  });

  it('opens QR, H5 and PC payments; amounts reach the gateway exactly', async () => {
    for (const amount of [1n, 10n, 9_999_999_999n]) {
      const p = payment('ALI_QR', amount);
      const qr = await alipayAdapter.createPayment(ctx, p);
      expect(qr).toMatchObject({
        outcome: 'accepted',
        payData: { type: 'qr', value: expect.stringMatching(/^https:\/\/qr\.alipay\.com\//) },
      });
      expect(fake.trades.get(p.orderNo)!.total).toBe(amount);
    }
    const wap = payment('ALI_WAP', 250n, { returnUrl: 'https://shop.example/back?a=1&b=2' });
    const h5 = await alipayAdapter.createPayment(ctx, wap);
    expect(h5).toMatchObject({ outcome: 'accepted', payData: { type: 'url' } });
    const url = new URL((h5 as { payData: { value: string } }).payData.value);
    expect(url.searchParams.get('method')).toBe('alipay.trade.wap.pay');
    expect(url.searchParams.get('return_url')).toBe('https://shop.example/back?a=1&b=2');
    expect(await (await fetch(url)).text()).toContain(wap.orderNo);
    expect(fake.trades.get(wap.orderNo)!.total).toBe(250n);

    const wapForm = await alipayAdapter.createPayment(
      { ...ctx, config: { wapPayData: 'form' } },
      payment('ALI_WAP'),
    );
    expect(wapForm).toMatchObject({ outcome: 'accepted', payData: { type: 'form' } });
    expect((wapForm as { payData: { value: string } }).payData.value).toContain('alipay.trade.wap.pay');

    const pc = payment('ALI_PC', 99n);
    const form = await alipayAdapter.createPayment(ctx, pc);
    expect(form).toMatchObject({ outcome: 'accepted', payData: { type: 'form' } });
    const html = (form as { payData: { value: string } }).payData.value;
    const fields = [...html.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map(
      ([, k, v]) =>
        [
          k!,
          v!
            .replaceAll('&quot;', '"')
            .replaceAll('&amp;', '&')
            .replaceAll('&lt;', '<')
            .replaceAll('&gt;', '>'),
        ] as [string, string],
    );
    const action = /action="([^"]+)"/.exec(html)![1]!.replaceAll('&amp;', '&');
    const posted = await fetch(action, { method: 'POST', body: new URLSearchParams(fields) });
    expect(await posted.text()).toContain(pc.orderNo);
    expect(fake.trades.get(pc.orderNo)).toMatchObject({ total: 99n, status: 'WAIT_BUYER_PAY' });

    expect(await alipayAdapter.createPayment(ctx, payment('WX_NATIVE'))).toMatchObject({
      outcome: 'refused',
      code: 'PAY_WAY_UNSUPPORTED',
    });
    expect(await alipayAdapter.createPayment(ctx, payment('ALI_QR', 1n, { currency: 'USD' }))).toMatchObject({
      outcome: 'refused',
    });
  });

  it('sends the common parameters, and a service provider’s app_auth_token', async () => {
    const p = payment('ALI_QR', 5n);
    await alipayAdapter.createPayment(withCredentials({ appAuthToken: '202601BB0123456789' }), p);
    const sent = fake.requests.at(-1)!;
    expect(sent).toMatchObject({
      app_id: APP_ID,
      method: 'alipay.trade.precreate',
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      version: '1.0',
      app_auth_token: '202601BB0123456789',
      notify_url: ctx.notifyUrl,
    });
    expect(sent.timestamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(Math.abs(parseShanghaiTime(sent.timestamp)!.getTime() - Date.now())).toBeLessThan(5_000);
    expect(JSON.parse(sent.biz_content!)).toMatchObject({
      out_trade_no: p.orderNo,
      total_amount: '0.05',
      product_code: 'FACE_TO_FACE_PAYMENT',
      time_expire: shanghaiTime(p.expiresAt),
    });
  });

  it('a badly signed answer is a failure, never an outcome', async () => {
    fake.badlySignNext();
    expect(await alipayAdapter.createPayment(ctx, payment('ALI_QR'))).toMatchObject({
      outcome: 'unknown',
      code: 'CHANNEL_BAD_SIGNATURE',
    });
    const p = payment('ALI_QR');
    await alipayAdapter.createPayment(ctx, p);
    fake.scan(p.orderNo);
    fake.badlySignNext();
    await expect(alipayAdapter.queryPayment(ctx, { orderNo: p.orderNo })).rejects.toThrow(
      /CHANNEL_BAD_SIGNATURE/,
    );
    fake.badlySignNext();
    expect(await alipayAdapter.closePayment(ctx, { orderNo: p.orderNo })).toMatchObject({ outcome: 'error' });
    expect(fake.trades.get(p.orderNo)!.status).toBe('TRADE_CLOSED');
    expect(await alipayAdapter.closePayment(ctx, { orderNo: p.orderNo })).toMatchObject({
      outcome: 'closed',
    });
    expect(await alipayAdapter.queryPayment(ctx, { orderNo: p.orderNo })).toMatchObject({ status: 'closed' });
    expect(await alipayAdapter.queryPayment(ctx, { orderNo: 'NONE' })).toMatchObject({ status: 'not_found' });
    // A QR nobody scanned: no trade to close at Alipay; the cancel closes the number.
    const unscanned = payment('ALI_QR');
    await alipayAdapter.createPayment(ctx, unscanned);
    expect(await alipayAdapter.queryPayment(ctx, { orderNo: unscanned.orderNo })).toMatchObject({
      status: 'not_found',
    });
    expect(await alipayAdapter.closePayment(ctx, { orderNo: unscanned.orderNo })).toMatchObject({
      outcome: 'closed',
    });
    await expect(fake.pay(unscanned.orderNo)).rejects.toThrow(/cannot be paid/);
  });

  it('pay codes: paid, confirmed while asked, still confirming, declined, unknown then cancelled, answer lost', async () => {
    const code = (suffix: number) => `28${String(suffix).padStart(16, '0')}`;
    const paid = await alipayAdapter.createPayment(ctx, payment('ALI_BAR', 1n, { authCode: code(1) }));
    expect(paid).toMatchObject({
      outcome: 'accepted',
      status: 'paid',
      amount: 1n,
      payData: { type: 'none' },
    });

    fake.payCode(code(2), { kind: 'wait', paidAfterQueries: 2 });
    const confirmed = await alipayAdapter.createPayment(ctx, payment('ALI_QR', 300n, { authCode: code(2) }));
    expect(confirmed).toMatchObject({ outcome: 'accepted', status: 'paid', amount: 300n });

    fake.payCode(code(3), { kind: 'wait', paidAfterQueries: Number.POSITIVE_INFINITY });
    const waiting = await alipayAdapter.createPayment(ctx, payment('ALI_BAR', 300n, { authCode: code(3) }));
    expect(waiting).toMatchObject({ outcome: 'accepted', status: 'pending', payData: { type: 'none' } });

    fake.payCode(code(4), { kind: 'decline', subCode: 'ACQ.BUYER_BALANCE_NOT_ENOUGH' });
    expect(
      await alipayAdapter.createPayment(ctx, payment('ALI_BAR', 300n, { authCode: code(4) })),
    ).toMatchObject({
      outcome: 'declined',
      code: 'ACQ.BUYER_BALANCE_NOT_ENOUGH',
    });

    fake.payCode(code(5), { kind: 'system_error' });
    const p5 = payment('ALI_BAR', 300n, { authCode: code(5) });
    const calls = fake.calls.length;
    expect(await alipayAdapter.createPayment(ctx, p5)).toMatchObject({
      outcome: 'declined',
      code: PAY_CODE_CANCELLED,
    });
    expect(fake.calls.slice(calls)).toEqual([
      'alipay.trade.pay',
      'alipay.trade.query',
      'alipay.trade.query',
      'alipay.trade.query',
      'alipay.trade.cancel',
    ]);

    fake.payCode(code(6), { kind: 'drop' });
    expect(
      await alipayAdapter.createPayment(ctx, payment('ALI_BAR', 300n, { authCode: code(6) })),
    ).toMatchObject({
      outcome: 'accepted',
      status: 'paid',
      amount: 300n,
    });
  });

  it('refunds: taken at once, repeated, lost and recovered by the query', async () => {
    const p = payment('ALI_QR', 1_000n);
    await alipayAdapter.createPayment(ctx, p);
    await fake.pay(p.orderNo);
    const refund = (refundNo: string, amount: bigint) =>
      alipayAdapter.createRefund(ctx, {
        refundNo,
        orderNo: p.orderNo,
        channelOrderNo: null,
        amount,
        totalAmount: 1_000n,
        currency: 'CNY',
      });
    expect(await refund('R1', 300n)).toMatchObject({ outcome: 'accepted', status: 'succeeded' });
    expect(await refund('R1', 300n)).toMatchObject({ outcome: 'accepted', status: 'succeeded' });
    expect(await alipayAdapter.queryRefund(ctx, { refundNo: 'R2', orderNo: p.orderNo })).toMatchObject({
      status: 'not_found',
    });
    fake.dropAnswerOf('alipay.trade.refund');
    expect(await refund('R2', 700n)).toMatchObject({ outcome: 'unknown', code: 'CHANNEL_UNREACHABLE' });
    expect(await alipayAdapter.queryRefund(ctx, { refundNo: 'R2', orderNo: p.orderNo })).toMatchObject({
      status: 'succeeded',
      amount: 700n,
    });
    expect(await refund('R3', 1n)).toMatchObject({ outcome: 'refused', code: 'ACQ.TRADE_STATUS_ERROR' });
    expect(fake.trades.get(p.orderNo)).toMatchObject({ refunded: 1_000n, status: 'TRADE_CLOSED' });
  });

  it('notifies: verified, cross-checked, refused when forged', async () => {
    const p = payment('ALI_QR', 10n);
    await alipayAdapter.createPayment(ctx, p);
    const paidAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const success = { trade_status: 'TRADE_SUCCESS', gmt_payment: shanghaiTime(paidAt) };
    expect(notify(fake.notifyBody(p.orderNo, success))).toEqual({
      kind: 'payment',
      orderNo: p.orderNo,
      channelOrderNo: fake.trades.get(p.orderNo)!.tradeNo,
      status: 'paid',
      amount: 10n,
      currency: 'CNY',
      paidAt,
    });
    const refused = (body: string, reason: string, c = ctx) =>
      expect(() => notify(body, c)).toThrow(expect.objectContaining({ reason }));
    // Signed by someone else's key; a field changed after signing; no signature.
    refused(fake.notifyBody(p.orderNo, success, other.privateKey), 'SIGNATURE_INVALID');
    refused(
      fake.notifyBody(p.orderNo, success).replace('total_amount=0.10', 'total_amount=0.01'),
      'SIGNATURE_INVALID',
    );
    refused(fake.notifyBody(p.orderNo, success).replace(/&sign=[^&]+/, ''), 'MALFORMED');
    // Alipay's genuine signature, but for another app or seller.
    refused(fake.notifyBody(p.orderNo, { ...success, app_id: OTHER_APP }), 'WRONG_ACCOUNT');
    refused(fake.notifyBody(p.orderNo, { ...success, seller_id: '2088000000000000' }), 'WRONG_ACCOUNT');
    // The account's own key is not Alipay's.
    refused(
      fake.notifyBody(p.orderNo, success),
      'SIGNATURE_INVALID',
      withCredentials({ alipayPublicKey: pem(other.publicKey, 'spki') }),
    );
    expect(notify(fake.notifyBody(p.orderNo, { trade_status: 'TRADE_CLOSED' }))).toMatchObject({
      status: 'closed',
      paidAt: null,
    });
    // A refund's notify says the trade was paid: a repeat of the payment, never a failure.
    expect(
      notify(
        fake.notifyBody(p.orderNo, {
          ...success,
          trade_status: 'TRADE_CLOSED',
          refund_fee: '0.10',
          out_biz_no: 'R9',
          gmt_refund: '2026-01-01 00:00:00.000',
        }),
      ),
    ).toMatchObject({ status: 'paid', amount: 10n });
    expect(alipayAdapter.notifyAck(true)).toEqual({
      status: 200,
      contentType: 'text/plain',
      body: 'success',
    });
    expect(alipayAdapter.notifyAck(false).body).toBe('fail');
  });

  it('fetches the day’s statement: the GBK CSV in the zip, as payment and refund lines', async () => {
    const p = payment('ALI_QR', 12_345n);
    await alipayAdapter.createPayment(ctx, p);
    await fake.pay(p.orderNo);
    await alipayAdapter.createRefund(ctx, {
      refundNo: 'SR1',
      orderNo: p.orderNo,
      channelOrderNo: null,
      amount: 2_345n,
      totalAmount: 12_345n,
      currency: 'CNY',
    });
    const date = shanghaiTime(new Date()).slice(0, 10);
    const statement = await alipayAdapter.fetchStatement!(ctx, { date });
    expect(statement.raw).toContain('业务明细列表');
    const lines = statement.lines.filter((l) => l.orderNo === p.orderNo);
    expect(lines).toEqual([
      expect.objectContaining({
        kind: 'payment',
        amount: 12_345n,
        fee: 74n,
        refundNo: null,
        channelOrderNo: fake.trades.get(p.orderNo)!.tradeNo,
      }),
      expect.objectContaining({ kind: 'refund', amount: 2_345n, fee: -14n, refundNo: 'SR1' }),
    ]);
    // The summary file's 合计 row agrees with the day's lines.
    expect(statement.totals?.netAmount).not.toBeNull();
    expect(totalsTieOut(totalsOfLines(statement.lines), statement.totals)).toBe(true);
    // The zip downloaded by hand from Alipay's site, its GBK details CSV alone, or that CSV saved
    // again as UTF-8: uploaded, each reads the same.
    const zip = await (await fetch(`${fake.url}/bill/${APP_ID}/${date}.zip`)).arrayBuffer();
    expect(alipayAdapter.parseStatement!(Buffer.from(zip), { date }).lines).toEqual(statement.lines);
    expect(alipayAdapter.parseStatement!(gbk(statement.raw), { date }).lines).toEqual(statement.lines);
    expect(alipayAdapter.parseStatement!(Buffer.from(statement.raw, 'utf8'), { date }).lines).toEqual(
      statement.lines,
    );
    expect(() => alipayAdapter.parseStatement!(Buffer.from('not a statement', 'utf8'), { date })).toThrow();
    expect((await alipayAdapter.fetchStatement!(ctx, { date: '2001-01-01' })).lines).toEqual([]);
  });
});
