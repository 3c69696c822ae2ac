import { constants, createHmac, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  HEADER,
  isCanonicalBase64,
  notifySigningString,
  requestSigningString,
  type SigningKey,
  signRequest,
  signString,
  type VerifyingKey,
  verifyNotify,
  verifyString,
} from './signing.ts';

/**
 * Test vectors for DESIGN §6. Every expectation is computed here from the literal signing string
 * (never with requestSigningString), and the HMAC ones are also pinned to values computed outside
 * Node with `printf '…' | openssl dgst -sha256 -hmac <secret> -binary | base64`.
 */

const SECRET = 'qy-test-secret-2024';
const MCH = 'M1234567890';
const APP = 'APPTEST0001';
const HMAC_KEY: SigningKey = { type: 'HMAC-SHA256', secret: SECRET };
const TIMESTAMP = 1_700_000_000;

const hmacBase64 = (literal: string, secret = SECRET) =>
  createHmac('sha256', secret).update(Buffer.from(literal, 'utf8')).digest('base64');

/** A merchant's RSA key pair, and a stranger's one to prove a signature binds to its key. */
const merchantKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const strangerKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const merchantPrivatePem = merchantKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const merchantPublicPem = merchantKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString();

interface RequestVector {
  case: string;
  method: string;
  pathWithQuery: string;
  nonce: string;
  body: string;
  literal: string;
  /** From openssl, outside Node. */
  openssl: string;
}

const REQUEST_VECTORS: RequestVector[] = [
  {
    case: 'order creation with a query string',
    method: 'POST',
    pathWithQuery: '/api/v1/orders?lang=zh',
    nonce: 'a1b2c3d4e5f60718',
    body: '{"mchOrderNo":"M-1","amount":100}',
    literal:
      'POST\n/api/v1/orders?lang=zh\nM1234567890\nAPPTEST0001\n1700000000\na1b2c3d4e5f60718\n{"mchOrderNo":"M-1","amount":100}\n',
    openssl: 'EJOUD8k86907+Els799bW92m+71+7Mb3z32Eh4mjcY0=',
  },
  {
    case: 'order lookup by GET with an empty body',
    method: 'GET',
    pathWithQuery: '/api/v1/orders?mchOrderNo=M-1',
    nonce: 'getnonce0001',
    body: '',
    literal: 'GET\n/api/v1/orders?mchOrderNo=M-1\nM1234567890\nAPPTEST0001\n1700000000\ngetnonce0001\n\n',
    openssl: 'IMMGKlfYEgyQD5t6iQTYcrVIE17RZXv+urjguw6nVg0=',
  },
  {
    case: 'a Chinese subject, signed over its UTF-8 bytes',
    method: 'POST',
    pathWithQuery: '/api/v1/orders',
    nonce: 'utf8nonce01',
    body: '{"subject":"测试商品 青云"}',
    literal:
      'POST\n/api/v1/orders\nM1234567890\nAPPTEST0001\n1700000000\nutf8nonce01\n{"subject":"测试商品 青云"}\n',
    openssl: 'bRW7GR/ImEg2es+9mexm2Kq/tG0ArZiM/PqgZyhTHCk=',
  },
];

describe('merchant request signature (HMAC-SHA256)', () => {
  it.each(REQUEST_VECTORS)('$case: the signing string is the documented literal', (v) => {
    expect(
      requestSigningString({
        method: v.method,
        pathWithQuery: v.pathWithQuery,
        mchNo: MCH,
        appId: APP,
        timestamp: String(TIMESTAMP),
        nonce: v.nonce,
        body: v.body,
      }),
    ).toBe(v.literal);
  });

  it.each(REQUEST_VECTORS)('$case: signRequest sends the expected headers and signature', (v) => {
    const headers = signRequest({
      method: v.method,
      pathWithQuery: v.pathWithQuery,
      body: v.body,
      mchNo: MCH,
      appId: APP,
      key: HMAC_KEY,
      timestamp: TIMESTAMP,
      nonce: v.nonce,
    });
    expect(hmacBase64(v.literal)).toBe(v.openssl);
    expect(headers).toEqual({
      [HEADER.merchant]: MCH,
      [HEADER.app]: APP,
      [HEADER.timestamp]: '1700000000',
      [HEADER.nonce]: v.nonce,
      [HEADER.signType]: 'HMAC-SHA256',
      [HEADER.signature]: v.openssl,
    });
  });

  it('reproduces the worked example of docs/merchant-api.md (openssl: cgHGVx45…, LqNFlQi/…)', () => {
    const key: SigningKey = { type: 'HMAC-SHA256', secret: 'demo-secret-please-change' };
    const common = { mchNo: 'M8948729534', appId: 'APPA51B9151A8842E4A', key };
    const post = signRequest({
      ...common,
      method: 'POST',
      pathWithQuery: '/api/v1/orders',
      body: '{"mchOrderNo":"ORDER-1001","productCode":"sandbox_qr","amount":1234,"subject":"Coffee"}',
      timestamp: 1_763_700_000,
      nonce: '9f1c2e7a5b3d4c6e8f0a1b2c3d4e5f60',
    });
    expect(post[HEADER.signature]).toBe('cgHGVx45UB4BZFg7qz4wNzCUd9ay6mIeTZ56KD48BdA=');
    const get = signRequest({
      ...common,
      method: 'GET',
      pathWithQuery: '/api/v1/orders?mchOrderNo=ORDER-1001',
      body: '',
      timestamp: 1_763_700_060,
      nonce: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
    });
    expect(get[HEADER.signature]).toBe('LqNFlQi/C/lmV+igaPccnP9h69uyBFrO55XleGdYfDE=');
  });

  it('upper-cases the method before signing', () => {
    const lower = signRequest({
      method: 'post',
      pathWithQuery: '/api/v1/orders?lang=zh',
      body: '{"mchOrderNo":"M-1","amount":100}',
      mchNo: MCH,
      appId: APP,
      key: HMAC_KEY,
      timestamp: TIMESTAMP,
      nonce: 'a1b2c3d4e5f60718',
    });
    expect(lower[HEADER.signature]).toBe('EJOUD8k86907+Els799bW92m+71+7Mb3z32Eh4mjcY0=');
  });

  it('signs the bytes of a Chinese body as UTF-8, not as Latin-1 or UTF-16 code units', () => {
    const literal =
      'POST\n/api/v1/orders\nM1234567890\nAPPTEST0001\n1700000000\nutf8nonce01\n{"subject":"测试商品 青云"}\n';
    const signature = signString(literal, HMAC_KEY);
    expect(signature).toBe('bRW7GR/ImEg2es+9mexm2Kq/tG0ArZiM/PqgZyhTHCk=');
    expect(signature).not.toBe(createHmac('sha256', SECRET).update(literal, 'latin1').digest('base64'));
    expect(signature).not.toBe(createHmac('sha256', SECRET).update(literal, 'utf16le').digest('base64'));
    expect(verifyString(literal, signature, { type: 'HMAC-SHA256', secret: SECRET })).toBe(true);
  });

  it('generates a fresh nonce and the current timestamp when none is given', () => {
    const before = Math.floor(Date.now() / 1000);
    const input = { method: 'GET', pathWithQuery: '/x', body: '', mchNo: 'M1', appId: 'A1', key: HMAC_KEY };
    const first = signRequest(input);
    const second = signRequest(input);
    expect(first[HEADER.nonce]).toMatch(/^[0-9a-f]{32}$/);
    expect(second[HEADER.nonce]).not.toBe(first[HEADER.nonce]);
    expect(Number(first[HEADER.timestamp])).toBeGreaterThanOrEqual(before);
    expect(Number(first[HEADER.timestamp])).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    const literal = `GET\n/x\nM1\nA1\n${first[HEADER.timestamp]}\n${first[HEADER.nonce]}\n\n`;
    expect(first[HEADER.signature]).toBe(hmacBase64(literal));
  });

  it.each([
    ['another secret', { type: 'HMAC-SHA256', secret: `${SECRET}x` }],
    ['an RSA key instead of the secret', { type: 'RSA-SHA256', publicKey: merchantPublicPem }],
  ] satisfies [string, VerifyingKey][])('refuses a signature checked with %s', (_name, key) => {
    const literal =
      'GET\n/api/v1/orders?mchOrderNo=M-1\nM1234567890\nAPPTEST0001\n1700000000\ngetnonce0001\n\n';
    expect(verifyString(literal, 'IMMGKlfYEgyQD5t6iQTYcrVIE17RZXv+urjguw6nVg0=', key)).toBe(false);
  });

  const ORDER_LITERAL =
    'POST\n/api/v1/orders?lang=zh\nM1234567890\nAPPTEST0001\n1700000000\na1b2c3d4e5f60718\n{"mchOrderNo":"M-1","amount":100}\n';
  const ORDER_SIGNATURE = 'EJOUD8k86907+Els799bW92m+71+7Mb3z32Eh4mjcY0=';

  it.each([
    ['a changed amount', ORDER_LITERAL.replace('"amount":100', '"amount":101')],
    ['a changed query', ORDER_LITERAL.replace('lang=zh', 'lang=en')],
    ['a missing trailing newline', ORDER_LITERAL.slice(0, -1)],
    // The app and the merchant are signed: a request for one app is not valid for another.
    ['another app of the same merchant', ORDER_LITERAL.replace('APPTEST0001', 'APPTEST0002')],
    ['another merchant', ORDER_LITERAL.replace('M1234567890', 'M1234567891')],
    [
      'the app and merchant lines left out (the old string)',
      ORDER_LITERAL.replace('M1234567890\nAPPTEST0001\n', ''),
    ],
  ])('refuses the signature of an order request after %s', (_name, tampered) => {
    expect(verifyString(ORDER_LITERAL, ORDER_SIGNATURE, HMAC_KEY)).toBe(true);
    expect(verifyString(tampered, ORDER_SIGNATURE, HMAC_KEY)).toBe(false);
  });

  it('signs another app of the same merchant differently (openssl: 4LBN+OwL…)', () => {
    const headers = signRequest({
      method: 'POST',
      pathWithQuery: '/api/v1/orders?lang=zh',
      body: '{"mchOrderNo":"M-1","amount":100}',
      mchNo: MCH,
      appId: 'APPTEST0002',
      key: HMAC_KEY,
      timestamp: TIMESTAMP,
      nonce: 'a1b2c3d4e5f60718',
    });
    expect(headers[HEADER.signature]).toBe('4LBN+OwLERAL9MXNox/HPuEx6Mw4mlY7kKog6RxtH+Y=');
    expect(headers[HEADER.signature]).not.toBe(ORDER_SIGNATURE);
  });

  it.each([
    ['an empty signature', ''],
    ['a truncated signature', 'EJOUD8k86907+Els799bW92m+71+7Mb3z32Eh4mj'],
    ['garbage', '!!!not-base64!!!'],
    ['base64url', 'EJOUD8k86907-Els799bW92m-71-7Mb3z32Eh4mjcY0='],
    ['missing padding', 'EJOUD8k86907+Els799bW92m+71+7Mb3z32Eh4mjcY0'],
    ['trailing data after the padding', 'EJOUD8k86907+Els799bW92m+71+7Mb3z32Eh4mjcY0=AAAA'],
    [
      'a second signature joined with a comma',
      `${'EJOUD8k86907+Els799bW92m+71+7Mb3z32Eh4mjcY0='}, ${'EJOUD8k86907+Els799bW92m+71+7Mb3z32Eh4mjcY0='}`,
    ],
    ['a line break inside', 'EJOUD8k86907+Els799bW92m+71+7\nMb3z32Eh4mjcY0='],
    ['a leading space', ' EJOUD8k86907+Els799bW92m+71+7Mb3z32Eh4mjcY0='],
    // Same bytes, other spelling: the last character carries two bits that decode ignores.
    ['non-zero padding bits', 'EJOUD8k86907+Els799bW92m+71+7Mb3z32Eh4mjcY1='],
  ])('refuses %s without throwing', (_name, signature) => {
    expect(verifyString(ORDER_LITERAL, signature, HMAC_KEY)).toBe(false);
  });

  it('decodes every refused spelling above to the genuine bytes or fails: only the spelling is refused', () => {
    const genuine = Buffer.from(ORDER_SIGNATURE, 'base64');
    for (const variant of [
      'EJOUD8k86907-Els799bW92m-71-7Mb3z32Eh4mjcY0=',
      'EJOUD8k86907+Els799bW92m+71+7Mb3z32Eh4mjcY0',
      'EJOUD8k86907+Els799bW92m+71+7Mb3z32Eh4mjcY1=',
    ]) {
      expect(Buffer.from(variant, 'base64').equals(genuine)).toBe(true);
      expect(isCanonicalBase64(variant)).toBe(false);
    }
    expect(isCanonicalBase64(ORDER_SIGNATURE)).toBe(true);
  });
});

/**
 * A fixed RSA key for this test only (never used anywhere else), so the expected signature can be
 * reproduced outside Node:
 *   printf 'POST\n/api/v1/refunds\nM1234567890\nAPPTEST0001\n1700000000\nrsanonce0001\n{"orderNo":"P1","amount":100}\n' \
 *     | openssl dgst -sha256 -sign test-key.pem | base64 -w0
 */
const FIXED_TEST_RSA_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDLH3D/LwHvfqx0
56oVvdP9UeTNYA6pbEob3voYPlGHzvMU7ROWOxWDWajeNN/Ege3blHCkA/nggFUL
Kzr0y86M6TIrwSJfUlKMV3mIec4ywwGnVxPJd22Zem3ajzqjRCcH0G42LRPVI0zc
LZTLhMQH+RwSaLfeGXYEiom0PE4yKNZe+tzELcZo2ysnW+x3onTN4fvfB19mllPa
KtA9AEtBekPZ9/2hjz6dxhAbcf1L4GI/gx1zAMi6nBALIfmcpxPRCSNLO7VuqaBV
ilMfIeFLGMdUzSke1P6U3SL6vtuEFQbUV4b3HshOkzW2sLy9iMOx+5o/oUMWP5b+
GnnhOgDzAgMBAAECggEAHtbTDZ4Moa4uWdYodSzr3XyhtpVxycL8DMzm/2egHPSh
5G31jiwXS+jWIjKN53nAlsOBR0L78lwZorH5aAb01mEQxyLcvfMzlETdr10ASPsM
KmTRR20fUfDhcpBSG01deFVqvkVMIGKVKKKvrNH8qfyQ3gdRzzc3Zgtwn9GTdRAy
QC13PY4PhhknV/5WUXOKGzuCsq2N5elYTQs3Z5mg9FLQgdUUS06Ol7EUKAaIkuO2
nmzR3ab9VN3osYvyae41bhqXfuZ8TZgYVRPBRdFODNf2aKh2Wk/VZ2jH/OnCFJqW
GbmkIHIsZwOJB6cBBLCihD0I9bUrU2GrzqP3brpbGQKBgQD82+BolzDCFGktMtzt
MnG715a9qZY+WIUYckiN7EPTE1YGj/jW8yHiEDNnytwdqBjaSscHf8eAknd2wkv2
BjrS15o1vy3lTxnUFdH2B/gA4Jr3P6PPv/WGsL3Ij52BnAHUlUgGxUWhsa2pRJDH
XEQbTygtm2QfXCYhAcWWyRdUyQKBgQDNpWXTo8Wku4vpD1oH0l+OEO/PnqjWWp2H
9oQsG6qn0lCf+6S69uyvOWcletfrbfc8OclZh75bb2qysThmU7k+qePC7suHD8r9
5UiDm6hXv4kl70IzyH/lNDsnuYArHEgk2vi5/awayTPHRddnpHzfdMzMbhYQ7Ukr
Q08GAbox2wKBgQCaZ12iIGiaqsIK4ps7kGkY7i3TRQJEseMcKXUajOJhutX2DeZC
w5a2J3Rsddhxl5sNeUoNzz4wyb9/WmfuJKG47ATzuvk4pFO+SVC7ruQHDSAzyL2r
96jjBXvuQ5xHb89CU6H22HGLqibETOUnh7TjBDQhnVjHOYri7uUMDWFc2QKBgQCJ
2XRPkTmcemeH+9Vy5s9M8Qd/2i/9OFLe4B2rX4Re6LlI9Ktw9LKlpsoAsr7oPxd6
1JWnITo2GpKgY/GVjkvfuIxHkED4MVr2JOsd5YrL/0WVGzP6eE1bPE7nCw7iVxv5
MJuIOYZTkknWK3gALp/SPn5GDwlVoWnpyT3AngnM/wKBgG79mZ9OqJ7dKntLFjKJ
GsFgtAvHCsmi2af2pxo9kZj+4wWqv741YGDOVWKkhiCehLB10Utebt/2f64JYsd9
snqCCFOcCvj0v+8XcotPM8nUKbOd57qwDcWQcFjpFF9xVOhtVrkpxW0SNZovSPoM
1Ap/EkpYPML3aN1/yC0/6kLD
-----END PRIVATE KEY-----`;

describe('merchant request signature (RSA-SHA256), pinned to openssl', () => {
  const literal =
    'POST\n/api/v1/refunds\nM1234567890\nAPPTEST0001\n1700000000\nrsanonce0001\n{"orderNo":"P1","amount":100}\n';
  const fromOpenssl =
    'ZbnpDnoTX3Lbhzctpf03sEUqx6C/PLM5v/KOIoyjfTGt7248zHaupcX2k2kwoCE1YkWOGb60cDPI2Vi8bdEGaRPtAX2YNoTIvqi2d+pxNhS0FvKTqX8gqQXc1lISMbHdnCq/sBkHyHP32Kmjtg9kmnpVbq61/BlPT3AyAmcIA7m/q507wi82XR1urEQ76LOGzWLFOLCHbRPHqB8PsLZLcGrGeB2HKY2IJUrM6JVzm1CNw02YJIMUFv5pMjyHuV5fHt5yvmy0FtK8M7ysWlEHiEEmstFyZtFn5L628lPgnCynrkwwNwv9Q20bDldnvVw3woFRQzGu6trNnV9Ju2wO/w==';

  it('signRequest gives the signature openssl gives for the documented string', () => {
    const headers = signRequest({
      method: 'POST',
      pathWithQuery: '/api/v1/refunds',
      body: '{"orderNo":"P1","amount":100}',
      mchNo: MCH,
      appId: APP,
      key: { type: 'RSA-SHA256', privateKey: FIXED_TEST_RSA_KEY },
      timestamp: TIMESTAMP,
      nonce: 'rsanonce0001',
    });
    expect(headers[HEADER.signature]).toBe(fromOpenssl);
    const publicKey = createPublicKey(FIXED_TEST_RSA_KEY);
    expect(verifyString(literal, fromOpenssl, { type: 'RSA-SHA256', publicKey })).toBe(true);
    expect(
      verifyString(literal.replace('APPTEST0001', 'APPTEST0002'), fromOpenssl, {
        type: 'RSA-SHA256',
        publicKey,
      }),
    ).toBe(false);
  });
});

describe('notify signature (HMAC-SHA256)', () => {
  const literal = '1700000000\na1b2c3d4e5f60718\n{"event":"order.paid","amount":100}\n';

  it('signs the documented literal TIMESTAMP\\nNONCE\\nBODY\\n', () => {
    expect(notifySigningString('1700000000', 'a1b2c3d4e5f60718', '{"event":"order.paid","amount":100}')).toBe(
      literal,
    );
    expect(hmacBase64(literal)).toBe('c8VzUokfaX4ybL5H63lBqyaHpeffQsSHHtAE0pv2R+Q=');
    expect(signString(literal, HMAC_KEY)).toBe('c8VzUokfaX4ybL5H63lBqyaHpeffQsSHHtAE0pv2R+Q=');
  });
});

describe('RSA-SHA256 signatures (PKCS#1 v1.5)', () => {
  const literal = 'POST\n/api/v1/orders\n1700000000\nrsanonce0001\n{"subject":"测试商品","amount":100}\n';
  const data = Buffer.from(literal, 'utf8');

  it.each([
    ['a PEM string', merchantPrivatePem],
    ['a KeyObject', merchantKeys.privateKey],
  ])('a signature made with %s verifies with node:crypto directly', (_name, privateKey) => {
    const signature = signString(literal, { type: 'RSA-SHA256', privateKey });
    const bytes = Buffer.from(signature, 'base64');
    expect(bytes).toHaveLength(256);
    expect(
      verify('sha256', data, { key: merchantKeys.publicKey, padding: constants.RSA_PKCS1_PADDING }, bytes),
    ).toBe(true);
    // PKCS#1 v1.5 is deterministic (PSS would not be), so this pins the padding too.
    expect(signature).toBe(
      sign('sha256', data, { key: merchantKeys.privateKey, padding: constants.RSA_PKCS1_PADDING }).toString(
        'base64',
      ),
    );
  });

  it('a signature made with node:crypto directly verifies with verifyString', () => {
    const signature = sign('sha256', data, merchantKeys.privateKey).toString('base64');
    expect(verifyString(literal, signature, { type: 'RSA-SHA256', publicKey: merchantPublicPem })).toBe(true);
    expect(verifyString(literal, signature, { type: 'RSA-SHA256', publicKey: merchantKeys.publicKey })).toBe(
      true,
    );
  });

  it('refuses a tampered body, a stranger key and the wrong sign type', () => {
    const signature = signString(literal, { type: 'RSA-SHA256', privateKey: merchantKeys.privateKey });
    const publicKey: VerifyingKey = { type: 'RSA-SHA256', publicKey: merchantKeys.publicKey };
    expect(verifyString(literal, signature, publicKey)).toBe(true);
    expect(verifyString(literal.replace('"amount":100', '"amount":1'), signature, publicKey)).toBe(false);
    expect(verifyString(literal, signature, { type: 'RSA-SHA256', publicKey: strangerKeys.publicKey })).toBe(
      false,
    );
    expect(verify('sha256', data, strangerKeys.publicKey, Buffer.from(signature, 'base64'))).toBe(false);
    expect(verifyString(literal, signature, { type: 'HMAC-SHA256', secret: SECRET })).toBe(false);
    const hmacSignature = signString(literal, HMAC_KEY);
    expect(verifyString(literal, hmacSignature, publicKey)).toBe(false);
  });

  it('refuses a public key that is not a key, without throwing', () => {
    const signature = signString(literal, { type: 'RSA-SHA256', privateKey: merchantKeys.privateKey });
    expect(verifyString(literal, signature, { type: 'RSA-SHA256', publicKey: 'not a pem' })).toBe(false);
  });
});

describe('verifyNotify: what a merchant runs on a notify from Qingyun Pay', () => {
  const body = '{"event":"order.paid","orderNo":"P00000000000000000001","amount":100}';
  const NOW = TIMESTAMP;

  function notifyHeaders(
    key: SigningKey,
    overrides: { timestamp?: number; nonce?: string; body?: string } = {},
  ): Record<string, string | undefined> {
    const timestamp = String(overrides.timestamp ?? NOW);
    const nonce = overrides.nonce ?? 'notifynonce01';
    const literal = `${timestamp}\n${nonce}\n${overrides.body ?? body}\n`;
    const signature =
      key.type === 'HMAC-SHA256'
        ? hmacBase64(literal, key.secret)
        : sign('sha256', Buffer.from(literal, 'utf8'), key.privateKey).toString('base64');
    return {
      [HEADER.app]: 'APPTEST0001',
      [HEADER.timestamp]: timestamp,
      [HEADER.nonce]: nonce,
      [HEADER.signType]: key.type,
      [HEADER.signature]: signature,
    };
  }
  const hmac: VerifyingKey = { type: 'HMAC-SHA256', secret: SECRET };
  const rsa: VerifyingKey = { type: 'RSA-SHA256', publicKey: merchantKeys.publicKey };

  it('accepts a genuine HMAC notify, and one whose headers arrive as arrays', () => {
    expect(verifyNotify(notifyHeaders(HMAC_KEY), body, hmac, { now: NOW })).toEqual({ ok: true });
    const asArrays = Object.fromEntries(Object.entries(notifyHeaders(HMAC_KEY)).map(([k, v]) => [k, [v!]]));
    expect(verifyNotify(asArrays, body, hmac, { now: NOW })).toEqual({ ok: true });
  });

  it('accepts a genuine RSA notify signed with the platform key', () => {
    const headers = notifyHeaders({ type: 'RSA-SHA256', privateKey: merchantKeys.privateKey });
    expect(verifyNotify(headers, body, rsa, { now: NOW })).toEqual({ ok: true });
  });

  it('accepts a Chinese body signed over its UTF-8 bytes', () => {
    const chinese = '{"event":"order.paid","subject":"测试商品 青云"}';
    const headers = notifyHeaders(HMAC_KEY, { body: chinese });
    expect(verifyNotify(headers, chinese, hmac, { now: NOW })).toEqual({ ok: true });
  });

  it.each([
    ['exactly 300 s old', NOW - 300, { ok: true }],
    ['exactly 300 s early', NOW + 300, { ok: true }],
    ['301 s old', NOW - 301, { ok: false, reason: 'TIMESTAMP_EXPIRED' }],
    ['301 s in the future', NOW + 301, { ok: false, reason: 'TIMESTAMP_EXPIRED' }],
  ])('a notify %s (timestamp %i) gives %o', (_name, timestamp, expected) => {
    expect(verifyNotify(notifyHeaders(HMAC_KEY, { timestamp }), body, hmac, { now: NOW })).toEqual(expected);
  });

  it('uses the clock when no `now` is given, and honours a custom tolerance', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(verifyNotify(notifyHeaders(HMAC_KEY, { timestamp: now }), body, hmac)).toEqual({ ok: true });
    expect(verifyNotify(notifyHeaders(HMAC_KEY, { timestamp: now - 400 }), body, hmac)).toEqual({
      ok: false,
      reason: 'TIMESTAMP_EXPIRED',
    });
    expect(
      verifyNotify(notifyHeaders(HMAC_KEY, { timestamp: NOW - 60 }), body, hmac, {
        now: NOW,
        toleranceSeconds: 30,
      }),
    ).toEqual({ ok: false, reason: 'TIMESTAMP_EXPIRED' });
  });

  it('refuses a timestamp that is not unix seconds', () => {
    const headers = { ...notifyHeaders(HMAC_KEY), [HEADER.timestamp]: '1700000000.5' };
    expect(verifyNotify(headers, body, hmac, { now: NOW })).toEqual({
      ok: false,
      reason: 'TIMESTAMP_EXPIRED',
    });
  });

  it.each([HEADER.timestamp, HEADER.nonce, HEADER.signType, HEADER.signature])(
    'refuses a notify without the %s header',
    (name) => {
      const headers = { ...notifyHeaders(HMAC_KEY), [name]: undefined };
      expect(verifyNotify(headers, body, hmac, { now: NOW })).toEqual({
        ok: false,
        reason: 'MISSING_HEADERS',
      });
      const empty = { ...notifyHeaders(HMAC_KEY), [name]: '' };
      expect(verifyNotify(empty, body, hmac, { now: NOW })).toEqual({ ok: false, reason: 'MISSING_HEADERS' });
    },
  );

  it('refuses a notify whose sign type is not the one the merchant expects', () => {
    expect(verifyNotify(notifyHeaders(HMAC_KEY), body, rsa, { now: NOW })).toEqual({
      ok: false,
      reason: 'SIGN_TYPE_MISMATCH',
    });
    const rsaHeaders = notifyHeaders({ type: 'RSA-SHA256', privateKey: merchantKeys.privateKey });
    expect(verifyNotify(rsaHeaders, body, hmac, { now: NOW })).toEqual({
      ok: false,
      reason: 'SIGN_TYPE_MISMATCH',
    });
  });

  it.each<[string, string, Record<string, string>]>([
    ['a changed amount in the body', body.replace('"amount":100', '"amount":10000'), {}],
    ['a changed nonce', body, { [HEADER.nonce]: 'othernonce01' }],
    ['a changed timestamp', body, { [HEADER.timestamp]: String(NOW - 1) }],
    ['a signature made with another secret', body, { [HEADER.signature]: hmacBase64('x', 'other') }],
  ])('refuses a notify with %s as SIGNATURE_INVALID', (_name, receivedBody, headerChange) => {
    const headers = { ...notifyHeaders(HMAC_KEY), ...headerChange };
    expect(verifyNotify(headers, receivedBody, hmac, { now: NOW })).toEqual({
      ok: false,
      reason: 'SIGNATURE_INVALID',
    });
  });

  it('refuses an RSA notify signed by a stranger as SIGNATURE_INVALID', () => {
    const headers = notifyHeaders({ type: 'RSA-SHA256', privateKey: strangerKeys.privateKey });
    expect(verifyNotify(headers, body, rsa, { now: NOW })).toEqual({
      ok: false,
      reason: 'SIGNATURE_INVALID',
    });
  });
});
