import { generateKeyPairSync } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, type TestCertificates } from '../../../test/fakes/alipay/certs.ts';
import { type AlipayFake, startAlipayFake } from '../../../test/fakes/alipay/server.ts';
import type { ChannelContext } from '../types.ts';
import { alipayAdapter } from './adapter.ts';
import { certSn, rootCertSn } from './certs.ts';
import { shanghaiTime } from './protocol.ts';

const APP_ID = '2021000123450001';
const SELLER = '2088102100000001';
const alipayKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
const appPem = app.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('Alipay certificate mode', () => {
  let certs: TestCertificates;
  let fake: AlipayFake;
  let ctx: ChannelContext;

  beforeAll(async () => {
    certs = makeCertificates({ alipay: alipayKeys.privateKey, app: app.privateKey });
    fake = await startAlipayFake({
      keys: alipayKeys,
      alipayCertSn: certSn(certs.alipayCert),
      apps: [
        {
          appId: APP_ID,
          publicKey: app.publicKey,
          sellerId: SELLER,
          certSn: certSn(certs.appCert),
          rootCertSn: rootCertSn(certs.rootChain),
        },
      ],
    });
    ctx = {
      channelAccountId: 1n,
      credentials: {
        appId: APP_ID,
        privateKey: appPem,
        appCertificate: certs.appCert,
        alipayCertificate: certs.alipayCert,
        alipayRootCertificate: certs.rootChain,
        gatewayUrl: fake.gatewayUrl,
      },
      config: {},
      notifyUrl: 'http://127.0.0.1:9/notify',
      refundNotifyUrl: 'http://127.0.0.1:9/notify/refund',
      publicUrl: 'http://127.0.0.1:9',
      timeoutMs: 2_000,
    };
  });
  afterAll(() => fake.close());

  it('numbers the certificates as Alipay’s SDK does; the root number leaves out the EC root', () => {
    const sdk = new AlipaySdk({
      appId: APP_ID,
      privateKey: appPem,
      keyType: 'PKCS8',
      appCertContent: certs.appCert,
      alipayPublicCertContent: certs.alipayCert,
      alipayRootCertContent: certs.rootChain,
    });
    const config = sdk.config as unknown as Record<string, string>;
    expect(certSn(certs.appCert)).toBe(config.appCertSn);
    expect(certSn(certs.alipayCert)).toBe(config.alipayCertSn);
    expect(rootCertSn(certs.rootChain)).toBe(config.alipayRootCertSn);
    expect(rootCertSn(certs.rootChain)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses incomplete or mismatched certificates on save', () => {
    const parse = (patch: Record<string, unknown>) =>
      alipayAdapter.credentialsSchema.safeParse({ ...ctx.credentials, ...patch });
    expect(parse({}).success).toBe(true);
    expect(parse({ alipayRootCertificate: undefined }).error!.issues[0]!.path).toEqual([
      'alipayRootCertificate',
    ]);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const mismatch = parse({ privateKey: other.export({ type: 'pkcs8', format: 'pem' }).toString() });
    expect(mismatch.error!.issues[0]).toMatchObject({ path: ['appCertificate'] });
    expect(parse({ alipayCertificate: 'not a certificate' }).error!.issues[0]!.path).toEqual([
      'alipayCertificate',
    ]);
    // Back to public-key mode with the certificates still stored: the public key is required.
    expect(parse({ keyMode: 'publicKey' }).error!.issues[0]!.path).toEqual(['alipayPublicKey']);
    const neither = parse({
      appCertificate: undefined,
      alipayCertificate: undefined,
      alipayRootCertificate: undefined,
    });
    expect(neither.error!.issues[0]!.path).toEqual(['alipayPublicKey']);
  });

  it('calls the gateway with the certificate numbers and verifies with Alipay’s certificate', async () => {
    expect(await alipayAdapter.testConnection(ctx)).toMatchObject({ ok: true });
    expect(fake.requests.at(-1)).toMatchObject({
      app_cert_sn: certSn(certs.appCert),
      alipay_root_cert_sn: rootCertSn(certs.rootChain),
    });
    const orderNo = `CERT${Date.now()}`;
    const created = await alipayAdapter.createPayment(ctx, {
      orderNo,
      payWay: 'ALI_QR',
      amount: 1n,
      currency: 'CNY',
      subject: '证书模式',
      expiresAt: new Date(Date.now() + 60_000),
    });
    expect(created).toMatchObject({ outcome: 'accepted', payData: { type: 'qr' } });
    const notify = fake.notifyBody(orderNo, {
      trade_status: 'TRADE_SUCCESS',
      gmt_payment: shanghaiTime(new Date()),
    });
    expect(
      alipayAdapter.parseNotify(ctx, {
        rawBody: notify,
        contentType: 'application/x-www-form-urlencoded',
        headers: {},
      }),
    ).toMatchObject({ status: 'paid', amount: 1n });
    // Alipay's own SDK in certificate mode is taken by the gateway, and takes its answers.
    const sdk = new AlipaySdk({
      appId: APP_ID,
      privateKey: appPem,
      keyType: 'PKCS8',
      appCertContent: certs.appCert,
      alipayPublicCertContent: certs.alipayCert,
      alipayRootCertContent: certs.rootChain,
      gateway: fake.gatewayUrl,
    });
    const answer = await sdk.exec(
      'alipay.trade.query',
      { bizContent: { outTradeNo: 'NONE' } },
      { validateSign: true },
    );
    expect(answer).toMatchObject({ code: '40004', subCode: 'ACQ.TRADE_NOT_EXIST' });
  });

  it('keyMode publicKey leaves stored certificates aside', async () => {
    const publicKeyMode = {
      ...ctx,
      credentials: { ...ctx.credentials, keyMode: 'publicKey', alipayPublicKey: fake.keys.publicPem },
    };
    // This gateway's app is in certificate mode, so a request without the numbers is refused.
    expect(await alipayAdapter.testConnection(publicKeyMode)).toMatchObject({
      ok: false,
      code: 'CHANNEL_AUTH_FAILED',
      message: expect.stringContaining('isv.app-cert-sn-invalid'),
    });
    expect(fake.requests.at(-1)?.app_cert_sn).toBeUndefined();
  });

  it('an answer signed under another Alipay certificate (Alipay rotated it) fails', async () => {
    const rotated = await startAlipayFake({
      keys: alipayKeys,
      alipayCertSn: 'a'.repeat(32),
      apps: [
        {
          appId: APP_ID,
          publicKey: app.publicKey,
          sellerId: SELLER,
          certSn: certSn(certs.appCert),
          rootCertSn: rootCertSn(certs.rootChain),
        },
      ],
    });
    try {
      const there = { ...ctx, credentials: { ...ctx.credentials, gatewayUrl: rotated.gatewayUrl } };
      expect(await alipayAdapter.testConnection(there)).toMatchObject({
        ok: false,
        code: 'CHANNEL_BAD_SIGNATURE',
        message: expect.stringContaining('new certificate'),
      });
    } finally {
      await rotated.close();
    }
  });
});
