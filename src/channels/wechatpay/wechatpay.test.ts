import { createPublicKey, createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Aes, Formatter, Rsa, Wechatpay } from 'wechatpay-axios-plugin';
import { startWechatpayFake, type WechatpayFake } from '../../../test/fakes/wechatpay/fake.ts';
import { totalsOfLines, totalsTieOut } from '../../reconciliation/stage.ts';
import { type ChannelContext, NotifyRejected } from '../types.ts';
import { wechatpayAdapter as adapter } from './adapter.ts';
import { clearKeyrings } from './keys.ts';
import { authorizationHeader, parseTradeBill, yuanToFen } from './protocol.ts';

const MCH_ID = '1900000109';
const APP_ID = 'wxd678efh567hg6787';
const SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';
const API_V3_KEY = 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6';

// Generated once for the file.
const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const merchantPem = merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const merchantPublicPem = merchant.publicKey.export({ type: 'spki', format: 'pem' }) as string;

let fake: WechatpayFake;
let certFake: WechatpayFake;
let accountSeq = 100n;

function ctxFor(
  target: WechatpayFake,
  mode: 'public_key' | 'platform_certificate',
  extra: Record<string, unknown> = {},
): ChannelContext {
  const credentials: Record<string, unknown> = {
    mchId: MCH_ID,
    appId: APP_ID,
    privateKey: merchantPem,
    certSerial: SERIAL,
    apiV3Key: API_V3_KEY,
    baseUrl: target.url,
    ...(mode === 'public_key'
      ? { publicKeyId: target.keys.publicKeyId, publicKey: target.keys.publicKeyPem }
      : {}),
    ...extra,
  };
  return {
    channelAccountId: ++accountSeq,
    credentials,
    config: { payCodeWaitMs: 600, payCodePollMs: 100 },
    notifyUrl: 'http://127.0.0.1:9/notify',
    refundNotifyUrl: 'http://127.0.0.1:9/notify/refund',
    publicUrl: 'http://127.0.0.1:9',
    timeoutMs: 2_000,
  };
}

const order = (orderNo: string, extra: Partial<Parameters<typeof adapter.createPayment>[1]> = {}) => ({
  orderNo,
  payWay: 'WX_NATIVE' as const,
  amount: 1n,
  currency: 'CNY',
  subject: 'Cup of tea',
  expiresAt: new Date(Date.now() + 900_000),
  clientIp: '203.0.113.7',
  ...extra,
});

beforeAll(async () => {
  const base = {
    mchId: MCH_ID,
    appId: APP_ID,
    merchantPublicKey: merchant.publicKey,
    merchantSerial: SERIAL,
    apiV3Key: API_V3_KEY,
  };
  fake = await startWechatpayFake({ ...base, mode: 'public_key', retryDelaysMs: [20] });
  certFake = await startWechatpayFake({ ...base, mode: 'platform_certificate', retryDelaysMs: [20] });
});
afterAll(async () => {
  await fake.close();
  await certFake.close();
});

describe('credentials', () => {
  const valid = () => ctxFor(fake, 'public_key').credentials;
  it('accepts good credentials and refuses a broken PEM or a short APIv3 key, naming the field', () => {
    expect(adapter.credentialsSchema.safeParse(valid()).success).toBe(true);
    const brokenPem = adapter.credentialsSchema.safeParse({
      ...valid(),
      privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
    });
    expect(brokenPem.success).toBe(false);
    expect(brokenPem.error!.issues[0]!.path).toEqual(['privateKey']);
    expect(brokenPem.error!.issues[0]!.message).toMatch(/PEM private key/);
    const brokenPublic = adapter.credentialsSchema.safeParse({ ...valid(), publicKey: 'nonsense' });
    expect(brokenPublic.error!.issues[0]!.path).toEqual(['publicKey']);
    const shortKey = adapter.credentialsSchema.safeParse({ ...valid(), apiV3Key: 'too-short' });
    expect(shortKey.error!.issues[0]!.path).toEqual(['apiV3Key']);
    expect(shortKey.error!.issues[0]!.message).toMatch(/apiV3Key.*32 bytes/);
    const lonelyId = adapter.credentialsSchema.safeParse({ ...valid(), publicKey: undefined });
    expect(lonelyId.error!.issues[0]!.path).toEqual(['publicKey']);
  });

  it('declares every credential field with words in both languages', () => {
    const keys = adapter.credentialFields.map((f) => f.key);
    expect(keys).toEqual([
      'mchId',
      'appId',
      'privateKey',
      'certSerial',
      'apiV3Key',
      'publicKeyId',
      'publicKey',
      'subMchId',
      'subAppId',
      'baseUrl',
    ]);
    for (const field of adapter.credentialFields) expect(field.label.zh && field.label.en).toBeTruthy();
    expect(adapter.credentialFields.find((f) => f.key === 'baseUrl')!.defaultValue).toBe(
      'https://api.mch.weixin.qq.com',
    );
  });
});

describe('protocol', () => {
  it('signs METHOD\\nPATH?QUERY\\nTS\\nNONCE\\nBODY\\n in the v3 Authorization header', () => {
    const header = authorizationHeader({
      mchId: MCH_ID,
      certSerial: SERIAL,
      privateKey: merchantPem,
      method: 'GET',
      pathWithQuery: '/v3/certificates',
      body: '',
      timestamp: '1554208460',
      nonce: '593BEC0C930BF1AFEB40B4A08C8FB242',
    });
    expect(header).toMatch(
      /^WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="[^"]+",timestamp="1554208460",serial_no="5157F09EFDC096DE15EBE81A47057A7232F1B8E1"$/,
    );
    const signature = /signature="([^"]+)"/.exec(header)![1]!;
    const message = 'GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n';
    expect(createVerify('RSA-SHA256').update(message).verify(merchant.publicKey, signature, 'base64')).toBe(
      true,
    );
    // The plugin's own signer produces the same signature (PKCS#1 v1.5 is deterministic).
    expect(Rsa.sign(message, merchantPem)).toBe(signature);
  });

  it('turns bill yuan into fen exactly and reads the backtick CSV', () => {
    expect(yuanToFen('0.01')).toBe(1n);
    expect(yuanToFen('0.10')).toBe(10n);
    expect(yuanToFen('99999999.99')).toBe(9_999_999_999n);
    expect(yuanToFen('0.00006')).toBe(0n);
    expect(yuanToFen('0.00600')).toBe(1n);
    expect(yuanToFen('-0.06000')).toBe(-6n);
    expect(yuanToFen('1e3')).toBeNull();
    const rows = parseTradeBill('a,b,c\r\n`2026-12-05 10:00:00,`4200,`X-1\r\n总交易单数,x\r\n`1,`0\r\n');
    expect(rows).toEqual([{ a: '2026-12-05 10:00:00', b: '4200', c: 'X-1' }]);
  });
});

describe('the plugin (wechatpay-axios-plugin) against the fake', () => {
  it('calls the fake with its own signatures and verifies the fake’s answers', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the plugin's chained client (v3.pay.transactions…) is untyped
    const wxpay: any = new Wechatpay({
      mchid: MCH_ID,
      serial: SERIAL,
      privateKey: merchantPem,
      certs: { [fake.keys.publicKeyId]: fake.keys.publicKeyPem },
      baseURL: `${fake.url}/`,
    } as never);
    const created = await wxpay.v3.pay.transactions.native.post({
      mchid: MCH_ID,
      appid: APP_ID,
      out_trade_no: 'PLUGIN-0001',
      description: 'plugin',
      notify_url: 'http://127.0.0.1:9/n',
      amount: { total: 10, currency: 'CNY' },
    });
    expect(created.data.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl/);
    const queried = await wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({
      out_trade_no: 'PLUGIN-0001',
      params: { mchid: MCH_ID },
    } as never);
    expect(queried.data).toMatchObject({ trade_state: 'NOTPAY', amount: { total: 10 } });
    const closed = await wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.close.post({ mchid: MCH_ID }, {
      out_trade_no: 'PLUGIN-0001',
    } as never);
    expect(closed.status).toBe(204);
    // A badly signed answer is refused by the plugin too.
    fake.signBadly(1);
    await expect(
      wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({
        out_trade_no: 'PLUGIN-0001',
        params: { mchid: MCH_ID },
      } as never),
    ).rejects.toThrow();
  });

  it('our notify verification accepts a notify made with the plugin’s crypto', () => {
    const ctx = ctxFor(fake, 'public_key');
    const resource = {
      ...fake.transactionOf({
        ...baseTrade('PLUGIN-N1'),
        trade_state: 'SUCCESS',
        success_time: '2026-12-05T10:00:00+08:00',
      }),
    };
    const nonce = Formatter.nonce(12);
    const body = JSON.stringify({
      id: 'EV-1',
      create_time: '2026-12-05T10:00:01+08:00',
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: {
        original_type: 'transaction',
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: Aes.AesGcm.encrypt(JSON.stringify(resource), API_V3_KEY, nonce, 'transaction'),
        associated_data: 'transaction',
        nonce,
      },
    });
    const timestamp = `${Formatter.timestamp()}`;
    const headerNonce = Formatter.nonce();
    const signature = Rsa.sign(
      Formatter.joinedByLineFeed(timestamp, headerNonce, body),
      fake.keys.publicKeySigner.privateKey,
    );
    const parsed = adapter.parseNotify(ctx, {
      rawBody: body,
      contentType: 'application/json',
      headers: {
        'wechatpay-timestamp': timestamp,
        'wechatpay-nonce': headerNonce,
        'wechatpay-signature': signature,
        'wechatpay-serial': fake.keys.publicKeyId,
      },
    });
    expect(parsed).toMatchObject({
      kind: 'payment',
      orderNo: 'PLUGIN-N1',
      status: 'paid',
      amount: 1n,
      currency: 'CNY',
    });
  });
});

function baseTrade(orderNo: string) {
  return {
    appid: APP_ID,
    mchid: MCH_ID,
    out_trade_no: orderNo,
    transaction_id: `4200${orderNo}`,
    trade_type: 'NATIVE',
    trade_state: 'NOTPAY',
    trade_state_desc: '',
    total: 1,
    currency: 'CNY',
    notify_url: null,
    openid: 'o-1',
  };
}

describe('notify verification', () => {
  const headersOf = (n: { headers: Record<string, string> }) =>
    Object.fromEntries(Object.entries(n.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const paid = (orderNo: string, overrides: object = {}) =>
    fake.transactionOf({
      ...baseTrade(orderNo),
      trade_state: 'SUCCESS',
      success_time: '2026-12-05T10:00:00+08:00',
      ...overrides,
    });
  const parse = (ctx: ChannelContext, n: { body: string; headers: Record<string, string> }) =>
    adapter.parseNotify(ctx, { rawBody: n.body, contentType: 'application/json', headers: headersOf(n) });
  const reason = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error instanceof NotifyRejected ? error.reason : String(error);
    }
    return 'accepted';
  };

  it('accepts a genuine payment and refund notify, once', () => {
    const ctx = ctxFor(fake, 'public_key');
    const notify = fake.buildNotify('TRANSACTION.SUCCESS', paid('N-1', { total: 9_999_999_999 }));
    expect(parse(ctx, notify)).toMatchObject({
      kind: 'payment',
      orderNo: 'N-1',
      amount: 9_999_999_999n,
      channelOrderNo: '4200N-1',
    });
    expect(reason(() => parse(ctx, notify))).toBe('SIGNATURE_INVALID'); // replayed
    const refund = fake.buildNotify('REFUND.SUCCESS', {
      mchid: MCH_ID,
      out_trade_no: 'N-1',
      out_refund_no: 'R-1',
      refund_id: '50301',
      refund_status: 'SUCCESS',
      amount: { total: 10, refund: 3, payer_total: 10, payer_refund: 3 },
    });
    expect(parse(ctx, refund)).toMatchObject({
      kind: 'refund',
      refundNo: 'R-1',
      orderNo: 'N-1',
      status: 'succeeded',
      amount: 3n,
    });
    const closed = fake.buildNotify('REFUND.CLOSED', {
      mchid: MCH_ID,
      out_trade_no: 'N-1',
      out_refund_no: 'R-2',
      refund_status: 'CLOSED',
      amount: { refund: 3 },
    });
    expect(parse(ctx, closed)).toMatchObject({ kind: 'refund', status: 'failed' });
  });

  it('refuses forged, stale, foreign and undecryptable notifies', () => {
    const ctx = ctxFor(fake, 'public_key');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(
      reason(() =>
        parse(
          ctx,
          fake.buildNotify('TRANSACTION.SUCCESS', paid('F-1'), {
            signer: { serial: fake.keys.publicKeyId, privateKey: other },
          }),
        ),
      ),
    ).toBe('SIGNATURE_INVALID');
    expect(
      reason(() =>
        parse(
          ctx,
          fake.buildNotify('TRANSACTION.SUCCESS', paid('F-2'), {
            signer: { serial: 'PUB_KEY_ID_0114OTHER', privateKey: fake.keys.publicKeySigner.privateKey },
          }),
        ),
      ),
    ).toBe('SIGNATURE_INVALID');
    expect(
      reason(() =>
        parse(
          ctx,
          fake.buildNotify('TRANSACTION.SUCCESS', paid('F-3'), {
            timestamp: Math.floor(Date.now() / 1000) - 301,
          }),
        ),
      ),
    ).toBe('SIGNATURE_INVALID');
    expect(
      reason(() =>
        parse(ctx, fake.buildNotify('TRANSACTION.SUCCESS', paid('F-4', { appid: 'wx0000000000000000' }))),
      ),
    ).toBe('WRONG_ACCOUNT');
    expect(
      reason(() => parse(ctx, fake.buildNotify('TRANSACTION.SUCCESS', paid('F-5', { mchid: '1900000999' })))),
    ).toBe('WRONG_ACCOUNT');
    expect(
      reason(() =>
        parse(
          ctx,
          fake.buildNotify('TRANSACTION.SUCCESS', paid('F-6'), { apiV3Key: randomBytes(16).toString('hex') }),
        ),
      ),
    ).toBe('SIGNATURE_INVALID');
    // A body changed after signing (the amount): the signature covers the body.
    const genuine = fake.buildNotify('TRANSACTION.SUCCESS', paid('F-7'));
    const changed = {
      ...genuine,
      body: genuine.body.replace('"TRANSACTION.SUCCESS"', '"TRANSACTION.SUCCESS" '),
    };
    expect(reason(() => parse(ctx, changed))).toBe('SIGNATURE_INVALID');
    expect(
      reason(() => parse(ctx, { ...genuine, headers: { ...genuine.headers, 'Wechatpay-Signature': '' } })),
    ).toBe('SIGNATURE_INVALID');
    expect(adapter.notifyAck(true)).toEqual({ status: 204, contentType: 'application/json', body: '' });
    expect(JSON.parse(adapter.notifyAck(false).body)).toMatchObject({ code: 'FAIL' });
  });
});

describe('the adapter against the fake', () => {
  for (const mode of ['public_key', 'platform_certificate'] as const) {
    it(`creates, queries, closes and refunds with ${mode} verification`, async () => {
      clearKeyrings();
      const target = mode === 'public_key' ? fake : certFake;
      const ctx = ctxFor(target, mode);
      expect(await adapter.testConnection(ctx)).toMatchObject({ ok: true });
      const native = await adapter.createPayment(ctx, order(`U-${mode}-1`));
      expect(native).toMatchObject({
        outcome: 'accepted',
        payData: { type: 'qr', value: expect.stringMatching(/^weixin:/) },
      });
      const h5 = await adapter.createPayment(
        ctx,
        order(`U-${mode}-2`, { payWay: 'WX_H5', returnUrl: 'https://shop.example/done?o=1' }),
      );
      expect(h5).toMatchObject({
        outcome: 'accepted',
        payData: {
          type: 'url',
          value: expect.stringMatching(/&redirect_url=https%3A%2F%2Fshop\.example%2Fdone%3Fo%3D1$/),
        },
      });
      const jsapi = await adapter.createPayment(
        ctx,
        order(`U-${mode}-3`, { payWay: 'WX_JSAPI', payerId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' }),
      );
      expect(jsapi.outcome).toBe('accepted');
      const params = JSON.parse((jsapi as { payData: { value: string } }).payData.value);
      expect(params).toMatchObject({
        appId: APP_ID,
        signType: 'RSA',
        package: expect.stringMatching(/^prepay_id=wx/),
      });
      const signed = `${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
      expect(
        createVerify('RSA-SHA256')
          .update(signed)
          .verify(createPublicKey(merchantPublicPem), params.paySign, 'base64'),
      ).toBe(true);
      expect(await adapter.queryPayment(ctx, { orderNo: `U-${mode}-1` })).toMatchObject({
        status: 'pending',
        amount: 1n,
      });
      expect(await adapter.queryPayment(ctx, { orderNo: 'NOPE' })).toMatchObject({ status: 'not_found' });
      expect(await adapter.closePayment(ctx, { orderNo: `U-${mode}-2` })).toEqual({ outcome: 'closed' });
      expect(await adapter.queryPayment(ctx, { orderNo: `U-${mode}-2` })).toMatchObject({ status: 'closed' });
      target.trades.get(`U-${mode}-1`)!.notify_url = null;
      await target.pay(`U-${mode}-1`);
      expect(await adapter.closePayment(ctx, { orderNo: `U-${mode}-1` })).toMatchObject({ outcome: 'paid' });
      const refund = await adapter.createRefund(ctx, {
        refundNo: `UR-${mode}`,
        orderNo: `U-${mode}-1`,
        channelOrderNo: null,
        amount: 1n,
        totalAmount: 1n,
        currency: 'CNY',
      });
      expect(refund).toMatchObject({ outcome: 'accepted', status: 'pending' });
      await new Promise((r) => setTimeout(r, 80));
      expect(
        await adapter.queryRefund(ctx, { refundNo: `UR-${mode}`, orderNo: `U-${mode}-1` }),
      ).toMatchObject({ status: 'succeeded', amount: 1n });
      expect(await adapter.queryRefund(ctx, { refundNo: 'NONE', orderNo: `U-${mode}-1` })).toMatchObject({
        status: 'not_found',
      });
      expect(await adapter.queryPayment(ctx, { orderNo: `U-${mode}-1` })).toMatchObject({ status: 'paid' });
    });
  }

  it('downloads the platform certificates again when an answer names a new serial', async () => {
    clearKeyrings();
    const ctx = ctxFor(certFake, 'platform_certificate');
    expect(await adapter.testConnection(ctx)).toMatchObject({ ok: true });
    const downloads = () => certFake.requests.filter((r) => r.path === '/v3/certificates').length;
    const before = downloads();
    certFake.rotateCertificate();
    expect(await adapter.testConnection(ctx)).toMatchObject({ ok: true });
    expect(downloads()).toBe(before + 1);
  });

  it('verifies a notify signed by a certificate it does not know yet once it has downloaded it', async () => {
    clearKeyrings();
    const ctx = ctxFor(certFake, 'platform_certificate');
    expect(await adapter.testConnection(ctx)).toMatchObject({ ok: true });
    const downloads = () => certFake.requests.filter((r) => r.path === '/v3/certificates').length;
    const before = downloads();
    certFake.rotateCertificate();
    const resource = certFake.transactionOf({
      ...baseTrade('CERT-N1'),
      trade_state: 'SUCCESS',
      success_time: '2026-12-05T10:00:00+08:00',
    });
    const notify = () => {
      const n = certFake.buildNotify('TRANSACTION.SUCCESS', resource);
      const headers = Object.fromEntries(Object.entries(n.headers).map(([k, v]) => [k.toLowerCase(), v]));
      return () => adapter.parseNotify(ctx, { rawBody: n.body, contentType: 'application/json', headers });
    };
    expect(await notify()()).toMatchObject({ kind: 'payment', orderNo: 'CERT-N1' });
    expect(downloads()).toBe(before + 1);
    // A serial WeChat Pay never issued downloads nothing more within the throttle, and is refused.
    const forged = certFake.buildNotify('TRANSACTION.SUCCESS', resource);
    const headers = Object.fromEntries(Object.entries(forged.headers).map(([k, v]) => [k.toLowerCase(), v]));
    headers['wechatpay-serial'] = 'ABCDEF0123456789';
    await expect(
      Promise.resolve().then(() =>
        adapter.parseNotify(ctx, { rawBody: forged.body, contentType: 'application/json', headers }),
      ),
    ).rejects.toThrow(NotifyRejected);
    expect(downloads()).toBe(before + 1);
  });

  it('a pay code whose answer is lost is queried and found paid', async () => {
    const ctx = { ...ctxFor(fake, 'public_key'), timeoutMs: 400 };
    fake.timeoutNextAnswer();
    const result = await adapter.createPayment(
      ctx,
      order('BAR-LOST-1', { payWay: 'WX_BAR', authCode: '134567890123456781' }),
    );
    expect(result).toMatchObject({ outcome: 'accepted', status: 'paid', amount: 1n });
  });

  it('pays by code: at once, after the customer confirms, declined, and reversed when unknown', async () => {
    const ctx = ctxFor(fake, 'public_key');
    const bar = (no: string, code: string) =>
      adapter.createPayment(ctx, order(no, { payWay: 'WX_BAR', authCode: code, amount: 10n }));
    expect(await bar('BAR-0001', '134567890123456781')).toMatchObject({
      outcome: 'accepted',
      status: 'paid',
      amount: 10n,
    });
    expect(await bar('BAR-0002', '134567890123456788')).toMatchObject({
      outcome: 'accepted',
      status: 'paid',
    });
    expect(await bar('BAR-0003', '134567890123456799')).toMatchObject({
      outcome: 'declined',
      code: 'NOTENOUGH',
    });
    expect(await bar('BAR-0004', '134567890123456777')).toMatchObject({
      outcome: 'declined',
      code: 'PAY_CODE_REVERSED',
    });
    expect(fake.trades.get('BAR-0004')!.trade_state).toBe('REVOKED');
    const slow = { ...ctx, config: { payCodeWaitMs: 150, payCodePollMs: 50 } };
    const pending = await adapter.createPayment(
      slow,
      order('BAR-0005', { payWay: 'WX_BAR', authCode: '134567890123456788' }),
    );
    expect(pending).toMatchObject({ outcome: 'accepted', status: 'pending' });
  });

  it('treats badly signed answers as failures and refuses wrong keys', async () => {
    const ctx = ctxFor(fake, 'public_key');
    fake.signBadly(1);
    expect(await adapter.createPayment(ctx, order('S-1'))).toMatchObject({
      outcome: 'unknown',
      code: 'CHANNEL_BAD_SIGNATURE',
    });
    fake.signBadly(1);
    await expect(adapter.queryPayment(ctx, { orderNo: 'S-1' })).rejects.toThrow(/CHANNEL_BAD_SIGNATURE/);
    fake.signBadly(1);
    expect(await adapter.closePayment(ctx, { orderNo: 'S-1' })).toMatchObject({ outcome: 'error' });
    fake.signBadly(1);
    expect(
      await adapter.createRefund(ctx, {
        refundNo: 'SR',
        orderNo: 'S-1',
        channelOrderNo: null,
        amount: 1n,
        totalAmount: 1n,
        currency: 'CNY',
      }),
    ).toMatchObject({ outcome: 'unknown', code: 'CHANNEL_BAD_SIGNATURE' });
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const wrongMerchantKey = ctxFor(fake, 'public_key', {
      privateKey: otherKey.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    });
    expect(await adapter.testConnection(wrongMerchantKey)).toMatchObject({
      ok: false,
      code: 'CHANNEL_AUTH_FAILED',
    });
    const wrongWechatKey = ctxFor(fake, 'public_key', {
      publicKey: otherKey.publicKey.export({ type: 'spki', format: 'pem' }),
    });
    expect(await adapter.testConnection(wrongWechatKey)).toMatchObject({
      ok: false,
      code: 'CHANNEL_BAD_SIGNATURE',
    });
    expect(
      await adapter.testConnection({
        ...ctx,
        credentials: { ...ctx.credentials, baseUrl: 'http://127.0.0.1:9' },
      }),
    ).toMatchObject({ ok: false, code: 'CHANNEL_UNREACHABLE' });
  });

  it('downloads the trade bill, checks its SHA1 and reads its lines', async () => {
    const ctx = ctxFor(fake, 'public_key');
    const date = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const statement = await adapter.fetchStatement!(ctx, { date });
    const payment = statement.lines.find((l) => l.kind === 'payment' && l.orderNo === 'U-public_key-1');
    expect(payment).toMatchObject({ amount: 1n, channelOrderNo: expect.stringMatching(/^4200/) });
    expect(statement.lines.find((l) => l.kind === 'refund')).toMatchObject({
      refundNo: 'UR-public_key',
      amount: 1n,
    });
    expect(statement.raw).toContain('`U-public_key-1');
    // The bill's summary line agrees with its lines.
    expect(statement.totals?.lineCount).toBe(statement.lines.length);
    expect(totalsTieOut(totalsOfLines(statement.lines), statement.totals)).toBe(true);
    // The same bill downloaded by hand from the merchant platform and uploaded reads the same.
    expect(adapter.parseStatement!(Buffer.from(statement.raw, 'utf8'), { date }).lines).toEqual(
      statement.lines,
    );
    expect(await adapter.fetchStatement!(ctx, { date: '2001-01-01' })).toMatchObject({ lines: [] });
  });
});

describe('service-provider mode (服务商)', () => {
  const SUB_MCH_ID = '1900000110';
  const SUB_APP_ID = 'wxsub0000000000001';
  let spFake: WechatpayFake;
  beforeAll(async () => {
    spFake = await startWechatpayFake({
      mchId: MCH_ID,
      appId: APP_ID,
      subMchId: SUB_MCH_ID,
      subAppId: SUB_APP_ID,
      merchantPublicKey: merchant.publicKey,
      merchantSerial: SERIAL,
      apiV3Key: API_V3_KEY,
      mode: 'public_key',
      retryDelaysMs: [20],
    });
  });
  afterAll(async () => {
    await spFake.close();
  });

  it('pays, queries, closes, refunds and reads notifies of the sub-merchant', async () => {
    const ctx = ctxFor(spFake, 'public_key', { subMchId: SUB_MCH_ID, subAppId: SUB_APP_ID });
    expect(await adapter.testConnection(ctx)).toMatchObject({ ok: true });
    // A direct merchant's calls are refused by a service provider's account.
    expect(await adapter.testConnection(ctxFor(spFake, 'public_key'))).toMatchObject({ ok: false });
    const jsapi = await adapter.createPayment(
      ctx,
      order('SP-00001', { payWay: 'WX_JSAPI', payerId: 'oSub-1' }),
    );
    const params = JSON.parse((jsapi as { payData: { value: string } }).payData.value);
    expect(params.appId).toBe(SUB_APP_ID);
    expect(spFake.trades.get('SP-00001')!.openid).toBe('oSub-1');
    expect(await adapter.createPayment(ctx, order('SP-00002'))).toMatchObject({ outcome: 'accepted' });
    expect(await adapter.closePayment(ctx, { orderNo: 'SP-00002' })).toEqual({ outcome: 'closed' });
    spFake.trades.get('SP-00001')!.notify_url = null;
    await spFake.pay('SP-00001');
    expect(await adapter.queryPayment(ctx, { orderNo: 'SP-00001' })).toMatchObject({
      status: 'paid',
      amount: 1n,
    });
    expect(
      await adapter.createPayment(
        ctx,
        order('SP-00003', { payWay: 'WX_BAR', authCode: '134567890123456781' }),
      ),
    ).toMatchObject({ outcome: 'accepted', status: 'paid' });
    const refund = await adapter.createRefund(ctx, {
      refundNo: 'SPR-1',
      orderNo: 'SP-00001',
      channelOrderNo: null,
      amount: 1n,
      totalAmount: 1n,
      currency: 'CNY',
    });
    expect(refund).toMatchObject({ outcome: 'accepted' });
    expect(await adapter.queryRefund(ctx, { refundNo: 'SPR-1', orderNo: 'SP-00001' })).toMatchObject({
      status: expect.stringMatching(/pending|succeeded/),
    });
    const headersOf = (n: { headers: Record<string, string> }) =>
      Object.fromEntries(Object.entries(n.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const paidTrade = spFake.transactionOf(spFake.trades.get('SP-00001')!);
    const notify = spFake.buildNotify('TRANSACTION.SUCCESS', { ...paidTrade, trade_state: 'SUCCESS' });
    expect(
      adapter.parseNotify(ctx, {
        rawBody: notify.body,
        contentType: 'application/json',
        headers: headersOf(notify),
      }),
    ).toMatchObject({ kind: 'payment', orderNo: 'SP-00001' });
    const other = spFake.buildNotify('TRANSACTION.SUCCESS', {
      ...paidTrade,
      trade_state: 'SUCCESS',
      sub_mchid: '1900000999',
    });
    expect(() =>
      adapter.parseNotify(ctx, {
        rawBody: other.body,
        contentType: 'application/json',
        headers: headersOf(other),
      }),
    ).toThrow(expect.objectContaining({ reason: 'WRONG_ACCOUNT' }));
    const refundNotify = spFake.buildNotify('REFUND.SUCCESS', {
      ...spFake.refundResource(spFake.refunds.get('SPR-1')!),
      refund_status: 'SUCCESS',
    });
    expect(
      adapter.parseNotify(ctx, {
        rawBody: refundNotify.body,
        contentType: 'application/json',
        headers: headersOf(refundNotify),
      }),
    ).toMatchObject({ kind: 'refund', refundNo: 'SPR-1', status: 'succeeded' });
    const date = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const statement = await adapter.fetchStatement!(ctx, { date });
    expect(statement.lines.some((l) => l.orderNo === 'SP-00001')).toBe(true);
  });
});
