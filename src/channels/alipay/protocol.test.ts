import { generateKeyPairSync } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlipayFake, startAlipayFake } from '../../../test/fakes/alipay/server.ts';
import {
  alipayPublicKey,
  appPrivateKey,
  fromYuan,
  parseShanghaiTime,
  rsa2Sign,
  rsa2Verify,
  shanghaiTime,
  signingString,
  signParams,
  splitAnswer,
  toYuan,
  verifyNotifyParams,
} from './protocol.ts';

const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pkcs8 = app.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const pkcs1 = app.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const appPublicPem = app.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const APP_ID = '2021000123456789';
const SELLER = '2088102123456789';

describe('Alipay signing string and amounts', () => {
  it('signs every parameter but sign, skips empty ones, sorts by key and leaves values unencoded', () => {
    expect(
      signingString({
        timestamp: '2026-01-02 03:04:05',
        app_id: '1',
        sign: 'x',
        biz_content: '{"subject":"a&b=c 中文"}',
        empty: '',
        absent: undefined,
        charset: 'utf-8',
      }),
    ).toBe('app_id=1&biz_content={"subject":"a&b=c 中文"}&charset=utf-8&timestamp=2026-01-02 03:04:05');
  });

  it('keeps amounts exact as yuan with two decimals', () => {
    for (const [fen, yuan] of [
      [1n, '0.01'],
      [10n, '0.10'],
      [100n, '1.00'],
      [9_999_999_999n, '99999999.99'],
    ] as const) {
      expect(toYuan(fen)).toBe(yuan);
      expect(fromYuan(yuan)).toBe(fen);
    }
    expect(fromYuan('0.1')).toBe(10n);
    expect(fromYuan('12')).toBe(1200n);
    for (const bad of ['1.001', '-1.00', '1e3', ' 1.00', '', '0x10', '1,00'])
      expect(fromYuan(bad)).toBeUndefined();
  });

  it('writes and reads Beijing time whatever the process time zone', () => {
    const instant = new Date('2026-03-01T16:30:05Z');
    expect(shanghaiTime(instant)).toBe('2026-03-02 00:30:05');
    expect(parseShanghaiTime('2026-03-02 00:30:05')).toEqual(instant);
    expect(parseShanghaiTime('2026-03-02T00:30:05')).toBeUndefined();
  });

  it('takes the signed text of an answer exactly as it came, not re-serialised', () => {
    const raw = '{"code":"10000","msg":"Success","qr_code":"https:\\/\\/qr.alipay.com\\/x","n":1.50}';
    const body = `{"alipay_trade_precreate_response":${raw},"sign":"${rsa2Sign(raw, app.privateKey)}"}`;
    const split = splitAnswer(body, 'alipay.trade.precreate')!;
    expect(split.raw).toBe(raw);
    expect(rsa2Verify(split.raw, split.sign!, app.publicKey)).toBe(true);
    // Re-serialising would change the bytes (escaped slashes, 1.50) and break the signature.
    expect(JSON.stringify(JSON.parse(raw))).not.toBe(raw);
    // Order of members and an error_response are handled; a tampered answer fails.
    const error = '{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature"}';
    const errorBody = ` {"sign":"${rsa2Sign(error, app.privateKey)}" , "error_response" : ${error}}`;
    const errorSplit = splitAnswer(errorBody, 'alipay.trade.query')!;
    expect(errorSplit.raw).toBe(error);
    expect(rsa2Verify(errorSplit.raw, errorSplit.sign!, app.publicKey)).toBe(true);
    expect(rsa2Verify(raw.replace('10000', '10001'), split.sign!, app.publicKey)).toBe(false);
    expect(splitAnswer('not json', 'x')).toBeNull();
    expect(splitAnswer('{"other_response":{}}', 'alipay.trade.query')).toBeNull();
  });

  it('reads PKCS8, PKCS1 and bare base64 keys, and refuses what is not an RSA key', () => {
    const bare = pkcs8.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    const signed = rsa2Sign('x', appPrivateKey(pkcs8));
    expect(rsa2Sign('x', appPrivateKey(pkcs1))).toBe(signed);
    expect(rsa2Sign('x', appPrivateKey(bare))).toBe(signed);
    const barePublic = appPublicPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    expect(rsa2Verify('x', signed, alipayPublicKey(barePublic))).toBe(true);
    expect(() => appPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----')).toThrow();
    expect(() => alipayPublicKey(pkcs8)).toThrow(/private key/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => appPrivateKey(ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toThrow(
      /RSA/,
    );
  });
});

describe("Alipay's own SDK agrees with our signatures", () => {
  let fake: AlipayFake;
  let sdk: AlipaySdk;

  beforeAll(async () => {
    fake = await startAlipayFake({ apps: [{ appId: APP_ID, publicKey: app.publicKey, sellerId: SELLER }] });
    sdk = new AlipaySdk({
      appId: APP_ID,
      privateKey: pkcs1,
      keyType: 'PKCS1',
      alipayPublicKey: fake.keys.publicPem,
      gateway: fake.gatewayUrl,
    });
  });
  afterAll(() => fake.close());

  it('the SDK signs a request the fake gateway verifies as we do, and verifies the answer it signs', async () => {
    const answer = await sdk.exec(
      'alipay.trade.query',
      { bizContent: { outTradeNo: 'NOPE-1' } },
      { validateSign: true },
    );
    expect(answer).toMatchObject({ code: '40004', subCode: 'ACQ.TRADE_NOT_EXIST' });
    expect(fake.calls).toContain('alipay.trade.query');
    const created = await sdk.exec(
      'alipay.trade.precreate',
      { bizContent: { outTradeNo: 'SDK-1', totalAmount: '0.10', subject: '测试 & 商品' } },
      { validateSign: true },
    );
    expect(created).toMatchObject({ code: '10000', outTradeNo: 'SDK-1' });
  });

  it('a request the SDK signs verifies with our rule, and ours verifies with the SDK key set-up', () => {
    const query = sdk.sdkExecute('alipay.trade.app.pay', {
      bizContent: { outTradeNo: 'SDK-2', totalAmount: '99999999.99', subject: '中文 a=b&c' },
      notifyUrl: 'https://example.com/notify?x=1',
    });
    const params = Object.fromEntries(new URLSearchParams(query));
    expect(params.sign_type).toBe('RSA2');
    expect(rsa2Verify(signingString(params), params.sign!, app.publicKey)).toBe(true);
    // Our signature of the same parameters is the SDK's (PKCS#1 v1.5 is deterministic).
    const { sign: _sdkSign, ...unsigned } = params;
    expect(signParams(unsigned as Record<string, string>, appPrivateKey(pkcs8)).sign).toBe(params.sign);
  });

  it('the SDK verifies a notify the fake signs, and we refuse the ones it refuses', async () => {
    await sdk.exec('alipay.trade.precreate', {
      bizContent: { outTradeNo: 'SDK-3', totalAmount: '0.01', subject: '通知 & test' },
      notifyUrl: 'http://127.0.0.1:1/notify',
    });
    const body = fake.notifyBody('SDK-3', {
      trade_status: 'TRADE_SUCCESS',
      gmt_payment: shanghaiTime(new Date()),
    });
    const params = Object.fromEntries(new URLSearchParams(body));
    expect(sdk.checkNotifySignV2(params)).toBe(true);
    expect(sdk.checkNotifySign(params)).toBe(true);
    expect(verifyNotifyParams(params, fake.keys.publicKey)).toBe(true);
    const changed = { ...params, total_amount: '100.00' };
    expect(sdk.checkNotifySignV2(changed)).toBe(false);
    expect(verifyNotifyParams(changed, fake.keys.publicKey)).toBe(false);
    const forged = Object.fromEntries(new URLSearchParams(fake.notifyBody('SDK-3', {}, app.privateKey)));
    expect(sdk.checkNotifySignV2(forged)).toBe(false);
    expect(verifyNotifyParams(forged, fake.keys.publicKey)).toBe(false);
  });

  it('the SDK’s H5 page link is taken by the fake gateway, which checks its signature', async () => {
    const url = sdk.pageExec('alipay.trade.wap.pay', 'GET', {
      bizContent: { outTradeNo: 'SDK-4', totalAmount: '1.00', subject: 'H5', productCode: 'QUICK_WAP_WAY' },
    });
    const page = await (await fetch(url)).text();
    expect(page).toContain('SDK-4');
    const tampered = url.replace('1.00', '2.00');
    expect(await (await fetch(tampered)).text()).toContain('isv.invalid-signature');
  });
});
