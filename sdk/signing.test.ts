import { constants, createHmac, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  HEADER,
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
      'POST\n/api/v1/orders?lang=zh\n1700000000\na1b2c3d4e5f60718\n{"mchOrderNo":"M-1","amount":100}\n',
    openssl: 'LIZlu7dTE82kcOptVmw7HqFGn++xIVt2qZSs+j0nVNY=',
  },
  {
    case: 'order lookup by GET with an empty body',
    method: 'GET',
    pathWithQuery: '/api/v1/orders?mchOrderNo=M-1',
    nonce: 'getnonce0001',
    body: '',
    literal: 'GET\n/api/v1/orders?mchOrderNo=M-1\n1700000000\ngetnonce0001\n\n',
    openssl: '4jmJWg0LxG8IZ74R2PT6voHb0mrlDltOeyGFCzQ3X78=',
  },
  {
    case: 'a Chinese subject, signed over its UTF-8 bytes',
    method: 'POST',
    pathWithQuery: '/api/v1/orders',
    nonce: 'utf8nonce01',
    body: '{"subject":"测试商品 青云"}',
    literal: 'POST\n/api/v1/orders\n1700000000\nutf8nonce01\n{"subject":"测试商品 青云"}\n',
    openssl: '4dwDrHIJ26aZmViS0LwIecEeLOwGvrj4+IsxBOzwguM=',
  },
];

describe('merchant request signature (HMAC-SHA256)', () => {
  it.each(REQUEST_VECTORS)('$case: the signing string is the documented literal', (v) => {
    expect(requestSigningString(v.method, v.pathWithQuery, String(TIMESTAMP), v.nonce, v.body)).toBe(
      v.literal,
    );
  });

  it.each(REQUEST_VECTORS)('$case: signRequest sends the expected headers and signature', (v) => {
    const headers = signRequest({
      method: v.method,
      pathWithQuery: v.pathWithQuery,
      body: v.body,
      mchNo: 'M1234567890',
      appId: 'APPTEST0001',
      key: HMAC_KEY,
      timestamp: TIMESTAMP,
      nonce: v.nonce,
    });
    expect(hmacBase64(v.literal)).toBe(v.openssl);
    expect(headers).toEqual({
      [HEADER.merchant]: 'M1234567890',
      [HEADER.app]: 'APPTEST0001',
      [HEADER.timestamp]: '1700000000',
      [HEADER.nonce]: v.nonce,
      [HEADER.signType]: 'HMAC-SHA256',
      [HEADER.signature]: v.openssl,
    });
  });

  it('upper-cases the method before signing', () => {
    const lower = signRequest({
      method: 'post',
      pathWithQuery: '/api/v1/orders?lang=zh',
      body: '{"mchOrderNo":"M-1","amount":100}',
      mchNo: 'M1',
      appId: 'APP1',
      key: HMAC_KEY,
      timestamp: TIMESTAMP,
      nonce: 'a1b2c3d4e5f60718',
    });
    expect(lower[HEADER.signature]).toBe('LIZlu7dTE82kcOptVmw7HqFGn++xIVt2qZSs+j0nVNY=');
  });

  it('signs the bytes of a Chinese body as UTF-8, not as Latin-1 or UTF-16 code units', () => {
    const literal = 'POST\n/api/v1/orders\n1700000000\nutf8nonce01\n{"subject":"测试商品 青云"}\n';
    const signature = signString(literal, HMAC_KEY);
    expect(signature).toBe('4dwDrHIJ26aZmViS0LwIecEeLOwGvrj4+IsxBOzwguM=');
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
    const literal = `GET\n/x\n${first[HEADER.timestamp]}\n${first[HEADER.nonce]}\n\n`;
    expect(first[HEADER.signature]).toBe(hmacBase64(literal));
  });

  it.each([
    ['another secret', { type: 'HMAC-SHA256', secret: `${SECRET}x` }],
    ['an RSA key instead of the secret', { type: 'RSA-SHA256', publicKey: merchantPublicPem }],
  ] satisfies [string, VerifyingKey][])('refuses a signature checked with %s', (_name, key) => {
    const literal = 'GET\n/api/v1/orders?mchOrderNo=M-1\n1700000000\ngetnonce0001\n\n';
    expect(verifyString(literal, '4jmJWg0LxG8IZ74R2PT6voHb0mrlDltOeyGFCzQ3X78=', key)).toBe(false);
  });

  it.each([
    [
      'a changed amount',
      'POST\n/api/v1/orders?lang=zh\n1700000000\na1b2c3d4e5f60718\n{"mchOrderNo":"M-1","amount":101}\n',
    ],
    [
      'a changed query',
      'POST\n/api/v1/orders?lang=en\n1700000000\na1b2c3d4e5f60718\n{"mchOrderNo":"M-1","amount":100}\n',
    ],
    [
      'a missing trailing newline',
      'POST\n/api/v1/orders?lang=zh\n1700000000\na1b2c3d4e5f60718\n{"mchOrderNo":"M-1","amount":100}',
    ],
  ])('refuses the signature of an order request after %s', (_name, tampered) => {
    expect(verifyString(tampered, 'LIZlu7dTE82kcOptVmw7HqFGn++xIVt2qZSs+j0nVNY=', HMAC_KEY)).toBe(false);
  });

  it.each([
    ['an empty signature', ''],
    ['a truncated signature', 'LIZlu7dTE82kcOptVmw7HqFGn++xIVt2qZSs+j0n'],
    ['garbage', '!!!not-base64!!!'],
  ])('refuses %s without throwing', (_name, signature) => {
    const literal =
      'POST\n/api/v1/orders?lang=zh\n1700000000\na1b2c3d4e5f60718\n{"mchOrderNo":"M-1","amount":100}\n';
    expect(verifyString(literal, signature, HMAC_KEY)).toBe(false);
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
