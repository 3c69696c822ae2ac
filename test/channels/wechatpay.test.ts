import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyNotify } from '../../sdk/index.ts';
import { ledgerReport } from '../../src/app/platform.ts';
import type { PayWay } from '../../src/channels/types.ts';
import { startWechatpayFake, type WechatpayFake } from '../fakes/wechatpay/fake.ts';
import { testDatabases } from '../support/databases.ts';
import { eventually, startTestPlatform, type TestPlatform, untilPaid } from '../support/platform.ts';
import { NotifyReceiver } from '../support/receiver.ts';

/**
 * WeChat Pay API v3 end to end: the platform over real HTTP, the adapter calling a local fake of
 * WeChat Pay's API over HTTP, the fake's signed notifies arriving at the platform's notify routes,
 * and the merchant's notifies at a receiver. Two accounts: one verifying with the WeChat Pay public
 * key, one with downloaded platform certificates.
 */
const MCH_ID = '1900000109';
const APP_ID = 'wxd678efh567hg6787';
const SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';
const API_V3_KEY = 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6';
const MAX_AMOUNT = 9_999_999_999; // 99 999 999.99 yuan

// Generated once for the file.
const merchantKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

const PRODUCTS: { code: string; way: PayWay; account: 'key' | 'cert' }[] = [
  { code: 'wx_native', way: 'WX_NATIVE', account: 'key' },
  { code: 'wx_h5', way: 'WX_H5', account: 'key' },
  { code: 'wx_jsapi', way: 'WX_JSAPI', account: 'key' },
  { code: 'wx_bar', way: 'WX_BAR', account: 'key' },
  { code: 'wx_native_cert', way: 'WX_NATIVE', account: 'cert' },
];

describe.each(testDatabases)('WeChat Pay v3 on $kind', (database) => {
  let t: TestPlatform;
  let keyFake: WechatpayFake;
  let certFake: WechatpayFake;
  const accounts = { key: 0n, cert: 0n };
  const receiver = new NotifyReceiver();
  let sequence = 0;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    await receiver.start();
    const fakeOptions = {
      mchId: MCH_ID,
      appId: APP_ID,
      merchantPublicKey: merchantKey.publicKey,
      merchantSerial: SERIAL,
      apiV3Key: API_V3_KEY,
      retryDelaysMs: [100, 200, 400],
      userPayingMs: 200,
    };
    keyFake = await startWechatpayFake({ ...fakeOptions, mode: 'public_key' });
    certFake = await startWechatpayFake({ ...fakeOptions, mode: 'platform_certificate' });
    const { catalog, merchants } = t.platform.services;
    for (const p of PRODUCTS) {
      await catalog.createProduct({
        code: p.code,
        name: p.code,
        currency: 'CNY',
        minAmount: 1n,
        maxAmount: BigInt(MAX_AMOUNT),
        defaultRatePpm: 6000,
        payWay: p.way,
      });
    }
    await catalog.createChannel({ code: 'wechatpay', name: '微信支付', adapterCode: 'wechatpay' });
    const common = {
      mchId: MCH_ID,
      appId: APP_ID,
      privateKey: merchantKey.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      certSerial: SERIAL,
      apiV3Key: API_V3_KEY,
    };
    for (const which of ['key', 'cert'] as const) {
      const fake = which === 'key' ? keyFake : certFake;
      const account = await catalog.createChannelAccount({
        channelCode: 'wechatpay',
        name: `WeChat ${which}`,
        credentials: {
          ...common,
          baseUrl: fake.url,
          ...(which === 'key'
            ? { publicKeyId: fake.keys.publicKeyId, publicKey: fake.keys.publicKeyPem }
            : {}),
        },
        config: { payCodeWaitMs: 800, payCodePollMs: 100 },
        rates: PRODUCTS.filter((p) => p.account === which).map((p) => ({
          productCode: p.code,
          costRatePpm: 2000,
        })),
      });
      accounts[which] = account.id;
    }
    const merchant = await merchants.requireMerchant(t.demo.merchant.mchNo);
    for (const p of PRODUCTS) {
      await catalog.upsertBinding(p.code, accounts[p.account], {
        weight: 100,
        priority: 0,
        minAmount: null,
        maxAmount: null,
        dailyLimit: null,
        windowStart: null,
        windowEnd: null,
        enabled: true,
      });
      await catalog.setMerchantRate(merchant.id, p.code, 6000);
    }
  });
  afterAll(async () => {
    await keyFake?.close();
    await certFake?.close();
    await t?.stop();
    await receiver.stop();
  });

  const create = (productCode: string, amount = 100, extra?: Record<string, unknown>) =>
    t.client.createOrder({
      mchOrderNo: `WX-${++sequence}`,
      productCode,
      amount,
      subject: '一杯茶 Cup of tea',
      notifyUrl: receiver.url,
      clientIp: '203.0.113.7',
      ...(extra ? { extra } : {}),
    });
  const paid = (orderNo: string) => untilPaid(t.client, orderNo);
  const merchantNotified = async (orderNo: string, event = 'order.paid') => {
    const notify = await eventually(
      () => receiver.forOrder(orderNo).find((n) => n.body.includes(`"event":"${event}"`)),
      10_000,
      `${event} of ${orderNo} at the merchant`,
    );
    expect(
      verifyNotify(notify.headers, notify.body, { type: 'HMAC-SHA256', secret: t.demo.merchant.appSecret }),
    ).toEqual({ ok: true });
    return JSON.parse(notify.body);
  };
  const expectLedgerOk = async () => expect((await ledgerReport(t.platform.services)).ok).toBe(true);
  const count = async (sql: string, params: string[] = []) =>
    Number((await t.platform.services.db.query<{ n: bigint }>(sql, params))[0]!.n);
  const ledgerTxns = () => count('SELECT count(*) AS n FROM ledger_txn');
  const notifyUrl = (account: bigint) => `${t.platform.url}/api/channel-notify/${account}`;

  it('Native: create → pay at WeChat → signed notify → paid, ledger posted, merchant notified', async () => {
    const order = await create('wx_native', 1);
    expect(order).toMatchObject({ state: 'paying', payData: { type: 'qr' } });
    expect(order.payData!.value).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    expect(keyFake.trades.get(order.orderNo)).toMatchObject({
      total: 1,
      trade_type: 'NATIVE',
      appid: APP_ID,
    });
    await keyFake.pay(order.orderNo);
    // WeChat Pay expects 204 with no body.
    expect(keyFake.notifies.at(-1)!.statuses).toEqual([204]);
    const done = await paid(order.orderNo);
    expect(done).toMatchObject({
      amount: 1,
      channelOrderNo: keyFake.trades.get(order.orderNo)!.transaction_id,
    });
    expect(await merchantNotified(order.orderNo)).toMatchObject({ state: 'paid', amount: 1 });
    await expectLedgerOk();
  });

  it('round-trips 1 fen, 0.10 and 99 999 999.99 yuan exactly', async () => {
    for (const amount of [1, 10, MAX_AMOUNT]) {
      const order = await create('wx_native', amount);
      expect(keyFake.trades.get(order.orderNo)!.total).toBe(amount);
      await keyFake.pay(order.orderNo);
      expect((await paid(order.orderNo)).amount).toBe(amount);
      expect(await merchantNotified(order.orderNo)).toMatchObject({ amount });
      await expectLedgerOk();
    }
  });

  it('H5 gives the h5_url and JSAPI the signed getBrandWCPayRequest parameters for extra.openid', async () => {
    const h5 = await create('wx_h5', 250);
    expect(h5.payData).toMatchObject({
      type: 'url',
      value: expect.stringMatching(/^https:\/\/wx\.tenpay\.com\//),
    });
    await keyFake.pay(h5.orderNo);
    await paid(h5.orderNo);

    const jsapi = await create('wx_jsapi', 300, { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' });
    expect(jsapi.payData!.type).toBe('jsapi');
    const params = JSON.parse(jsapi.payData!.value);
    expect(params).toMatchObject({
      appId: APP_ID,
      signType: 'RSA',
      package: expect.stringMatching(/^prepay_id=wx/),
    });
    expect(keyFake.trades.get(jsapi.orderNo)!.openid).toBe('oUpF8uMuAJO_M2pxb1Q9zNjWeS6o');
    // The cashier page offers the WeChat button with these parameters.
    const page = await (await fetch(jsapi.cashierUrl)).text();
    expect(page).toContain('getBrandWCPayRequest');
    await keyFake.pay(jsapi.orderNo);
    await paid(jsapi.orderNo);
    await merchantNotified(jsapi.orderNo);
    await expectLedgerOk();
  });

  it('pay codes: paid at once; user paying then paid; unknown then reversed and declined', async () => {
    const now = await create('wx_bar', 500, { authCode: '134567890123456781' });
    expect(now).toMatchObject({ state: 'paid', payData: { type: 'none' } });
    expect(now.channelOrderNo).toMatch(/^4200/);
    await merchantNotified(now.orderNo);

    const confirming = await create('wx_bar', 600, { authCode: '134567890123456788' });
    expect(confirming.state).toBe('paid');
    expect(keyFake.requests.filter((r) => r.path.includes(confirming.orderNo)).length).toBeGreaterThan(0);

    const unknown = await create('wx_bar', 700, { authCode: '134567890123456777' });
    expect(unknown).toMatchObject({ state: 'failed', failure: { code: 'PAY_CODE_REVERSED' } });
    expect(keyFake.trades.get(unknown.orderNo)!.trade_state).toBe('REVOKED');
    expect(keyFake.requests.some((r) => r.path.endsWith(`${unknown.orderNo}/reverse`))).toBe(true);

    // A native product's order that carries a pay code is paid by codepay too.
    const scanned = await create('wx_native', 800, { authCode: '134567890123456781' });
    expect(scanned.state).toBe('paid');
    expect(keyFake.trades.get(scanned.orderNo)!.trade_type).toBe('MICROPAY');
    await expectLedgerOk();
  });

  it('refunds in part (by notify) and in full (recovered by query)', async () => {
    const order = await create('wx_native', 1_000);
    await keyFake.pay(order.orderNo);
    await paid(order.orderNo);
    const first = await t.client.createRefund({
      orderNo: order.orderNo,
      mchRefundNo: `${order.orderNo}-R1`,
      amount: 300,
      notifyUrl: receiver.url,
    });
    const settled = (refundNo: string) =>
      eventually(
        async () => {
          const r = await t.client.getRefund(refundNo);
          return r.state === 'pending' ? undefined : r;
        },
        10_000,
        `refund ${refundNo}`,
      );
    expect((await settled(first.refundNo)).state).toBe('succeeded');
    expect(keyFake.refunds.get(first.refundNo)).toMatchObject({
      refund: 300,
      total: 1_000,
      notify_url: `${notifyUrl(accounts.key)}/refund`,
    });
    // The refund shows succeeded once the platform has committed the notify, which can be a moment
    // before its 204 reaches WeChat Pay.
    const refundNotify = [...keyFake.notifies]
      .reverse()
      .find((n) => n.url === `${notifyUrl(accounts.key)}/refund`)!;
    expect(
      await eventually(async () => (refundNotify.statuses.length ? refundNotify.statuses : undefined)),
    ).toEqual([204]);
    expect((await t.client.getOrder(order.orderNo)).state).toBe('partially_refunded');

    keyFake.holdRefundNotifies(true);
    try {
      const rest = await t.client.createRefund({
        orderNo: order.orderNo,
        mchRefundNo: `${order.orderNo}-R2`,
        amount: 700,
        notifyUrl: receiver.url,
      });
      expect(rest.state).toBe('pending');
      await eventually(() => (keyFake.refunds.get(rest.refundNo)?.status === 'SUCCESS' ? true : undefined));
      const merchant = await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo);
      const row = await t.platform.services.refunds.getForMerchant(merchant.id, rest.refundNo);
      expect((await t.platform.services.refunds.syncWithChannel(row)).state).toBe('succeeded');
    } finally {
      keyFake.holdRefundNotifies(false);
    }
    expect((await t.client.getOrder(order.orderNo)).state).toBe('refunded');
    await merchantNotified(order.orderNo, 'refund.succeeded');
    await expectLedgerOk();
  });

  it('closes an unpaid order at WeChat Pay; a replayed or forged notify for it changes nothing', async () => {
    const captured = keyFake.notifies.find((n) => n.statuses.at(-1) === 204)!;
    const order = await create('wx_native', 900);
    const closed = await t.client.closeOrder(order.orderNo);
    expect(closed.state).toBe('closed');
    expect(keyFake.trades.get(order.orderNo)!.trade_state).toBe('CLOSED');
    const txns = await ledgerTxns();
    // The bytes of a notify WeChat Pay sent before, posted again.
    const replay = await keyFake.deliverRaw(notifyUrl(accounts.key), captured);
    expect(replay.status).toBe(400);
    expect(JSON.parse(replay.body)).toMatchObject({ code: 'FAIL' });
    // A paid notify for the closed order, signed with a key that is not WeChat Pay's.
    const resource = keyFake.transactionOf({
      ...keyFake.trades.get(order.orderNo)!,
      trade_state: 'SUCCESS',
      success_time: new Date().toISOString(),
    });
    const forged = keyFake.buildNotify('TRANSACTION.SUCCESS', resource, {
      signer: { serial: keyFake.keys.publicKeyId, privateKey: otherKey },
    });
    expect((await keyFake.deliverRaw(notifyUrl(accounts.key), forged)).status).toBe(400);
    expect((await t.client.getOrder(order.orderNo)).state).toBe('closed');
    expect(await ledgerTxns()).toBe(txns);
    const refused = await t.platform.services.db.query<{ error_code: string }>(
      "SELECT error_code FROM channel_notify WHERE channel_account_id = $1 AND outcome = 'refused' ORDER BY id DESC LIMIT 2",
      [accounts.key.toString()],
    );
    expect(refused.map((r) => r.error_code)).toEqual([
      'NOTIFY_SIGNATURE_INVALID',
      'NOTIFY_SIGNATURE_INVALID',
    ]);
    await expectLedgerOk();
  });

  it('refuses forged notifies and logs them, with the order and the ledger unchanged', async () => {
    const order = await create('wx_native', 1_200);
    const trade = keyFake.trades.get(order.orderNo)!;
    const success = (overrides: object = {}) =>
      keyFake.transactionOf({
        ...trade,
        trade_state: 'SUCCESS',
        success_time: new Date().toISOString(),
        ...overrides,
      });
    const txns = await ledgerTxns();
    const cases: [string, { body: string; headers: Record<string, string> }, string][] = [
      [
        'bad signature',
        keyFake.buildNotify('TRANSACTION.SUCCESS', success(), {
          signer: { serial: keyFake.keys.publicKeyId, privateKey: otherKey },
        }),
        'NOTIFY_SIGNATURE_INVALID',
      ],
      [
        'wrong key serial',
        keyFake.buildNotify('TRANSACTION.SUCCESS', success(), {
          signer: { serial: 'PUB_KEY_ID_0114FFFFFFFF', privateKey: keyFake.keys.publicKeySigner.privateKey },
        }),
        'NOTIFY_SIGNATURE_INVALID',
      ],
      [
        'stale timestamp',
        keyFake.buildNotify('TRANSACTION.SUCCESS', success(), {
          timestamp: Math.floor(Date.now() / 1000) - 600,
        }),
        'NOTIFY_SIGNATURE_INVALID',
      ],
      [
        'another appid',
        keyFake.buildNotify('TRANSACTION.SUCCESS', success({ appid: 'wx0000000000000000' })),
        'NOTIFY_WRONG_ACCOUNT',
      ],
      [
        'another mchid',
        keyFake.buildNotify('TRANSACTION.SUCCESS', success({ mchid: '1900000999' })),
        'NOTIFY_WRONG_ACCOUNT',
      ],
      [
        'amount changed (signed)',
        keyFake.buildNotify('TRANSACTION.SUCCESS', success({ total: 1 })),
        'NOTIFY_AMOUNT_MISMATCH',
      ],
    ];
    const genuine = keyFake.buildNotify('TRANSACTION.SUCCESS', success());
    // The amount changed in a body WeChat Pay signed: the resource no longer decrypts, nor the signature verify.
    const tampered = {
      ...genuine,
      body: genuine.body.replace(/"ciphertext":"(.)/, (_m, c) => `"ciphertext":"${c === 'A' ? 'B' : 'A'}`),
    };
    cases.push(['amount changed (tampered)', tampered, 'NOTIFY_SIGNATURE_INVALID']);
    for (const [what, notify, code] of cases) {
      const before = await count(
        "SELECT count(*) AS n FROM channel_notify WHERE outcome = 'refused' AND error_code = $1",
        [code],
      );
      const answer = await keyFake.deliverRaw(notifyUrl(accounts.key), notify);
      expect(answer.status, what).toBe(400);
      expect(JSON.parse(answer.body), what).toMatchObject({ code: 'FAIL' });
      expect(
        await count(
          "SELECT count(*) AS n FROM channel_notify WHERE outcome = 'refused' AND error_code = $1",
          [code],
        ),
        what,
      ).toBe(before + 1);
      expect((await t.client.getOrder(order.orderNo)).state, what).toBe('paying');
    }
    expect(await ledgerTxns()).toBe(txns);
    await expectLedgerOk();
  });

  it('treats badly signed answers as failures: the order does not move until a well-signed answer says so', async () => {
    const order = await create('wx_native', 1_300);
    keyFake.trades.get(order.orderNo)!.notify_url = null;
    await keyFake.pay(order.orderNo);
    keyFake.signBadly(1);
    await t.client.syncOrder(order.orderNo).catch(() => undefined);
    expect((await t.client.getOrder(order.orderNo)).state).toBe('paying');
    keyFake.signBadly(1);
    await t.client.closeOrder(order.orderNo).catch(() => undefined);
    expect((await t.client.getOrder(order.orderNo)).state).toBe('paying');
    expect((await t.client.syncOrder(order.orderNo)).state).toBe('paid');
    // A create whose answer does not verify opens nothing we act on.
    keyFake.signBadly(1);
    const lost = await create('wx_native', 1_400).catch(() => null);
    if (lost) expect(['created', 'paying', 'failed']).toContain(lost.state);
    await expectLedgerOk();
  });

  it('platform certificates: downloaded, decrypted and used; a rotated certificate is fetched once', async () => {
    const order = await create('wx_native_cert', 1_500);
    expect(order.payData!.type).toBe('qr');
    expect(certFake.requests.filter((r) => r.path === '/v3/certificates')).toHaveLength(1);
    await certFake.pay(order.orderNo);
    await paid(order.orderNo);
    await merchantNotified(order.orderNo);
    // WeChat Pay starts signing with a new certificate: the first answer naming it downloads the
    // certificates again, once; the notify then verifies with it.
    certFake.rotateCertificate();
    const next = await t.client.createOrder({
      mchOrderNo: `WX-${++sequence}`,
      productCode: 'wx_native_cert',
      amount: 1_600,
      subject: 'tea',
      notifyUrl: receiver.url,
    });
    await certFake.pay(next.orderNo);
    await paid(next.orderNo);
    expect(certFake.requests.filter((r) => r.path === '/v3/certificates')).toHaveLength(2);
    await expectLedgerOk();
  });
});
