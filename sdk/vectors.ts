/**
 * Signing vectors every SDK checks itself against (`sdk/testdata/signing-vectors.json`): request
 * strings and their HMAC and RSA signatures, notifies that verify and ones that must not, all made by
 * this package's signing (the server's). RSA PKCS#1 v1.5 is deterministic, so a fixed test key
 * (`sdk/testdata/merchant-test-key.pem`, a key for these vectors only) gives fixed signatures.
 *
 *   npx tsx sdk/vectors.ts   rewrites the file; sdk/vectors.test.ts fails when it is out of date.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { notifySigningString, requestSigningString, signString } from './signing.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const VECTORS_PATH = path.join(HERE, 'testdata', 'signing-vectors.json');
const KEY_PATH = path.join(HERE, 'testdata', 'merchant-test-key.pem');

const SECRET = 'demo-secret-please-change';
const MCH = 'M8948729534';
const APP = 'APPA51B9151A8842E4A';

const REQUESTS = [
  {
    method: 'POST',
    pathWithQuery: '/api/v1/orders',
    timestamp: '1763700000',
    nonce: '9f1c2e7a5b3d4c6e8f0a1b2c3d4e5f60',
    body: '{"mchOrderNo":"ORDER-1001","productCode":"sandbox_qr","amount":1234,"subject":"Coffee"}',
  },
  {
    method: 'GET',
    pathWithQuery: '/api/v1/orders?mchOrderNo=ORDER-1001',
    timestamp: '1763700060',
    nonce: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
    body: '',
  },
  {
    method: 'POST',
    pathWithQuery: '/api/v1/refunds',
    timestamp: '1763700120',
    nonce: 'n_0123456789-abcdef',
    body: '{"orderNo":"P26112112000000000001","mchRefundNo":"退款-1","amount":500,"reason":"拿铁 ×1 退货 ☕"}',
  },
];

const NOTIFY_BODY =
  '{"event":"order.paid","orderNo":"P26112112000000000001","mchOrderNo":"ORDER-1001","state":"paid","amount":1234,"currency":"CNY","fee":7,"subject":"咖啡","extra":null}';

export function buildVectors() {
  const privateKeyPem = fs.readFileSync(KEY_PATH, 'utf8');
  const publicKeyPem = createPublicKey(createPrivateKey(privateKeyPem))
    .export({ type: 'spki', format: 'pem' })
    .toString();
  const hmac = { type: 'HMAC-SHA256', secret: SECRET } as const;
  const rsa = { type: 'RSA-SHA256', privateKey: privateKeyPem } as const;
  const requests = REQUESTS.map((r) => {
    const signingString = requestSigningString({ ...r, mchNo: MCH, appId: APP });
    return {
      ...r,
      signingString,
      hmacSignature: signString(signingString, hmac),
      rsaSignature: signString(signingString, rsa),
    };
  });
  const timestamp = '1763700100';
  const nonce = 'c0ffee00c0ffee00c0ffee00c0ffee00';
  const text = notifySigningString(timestamp, nonce, NOTIFY_BODY);
  const hmacSig = signString(text, hmac);
  const rsaSig = signString(text, rsa);
  const headers = (signType: string, signature: string) => ({
    'x-qy-app': APP,
    'x-qy-timestamp': timestamp,
    'x-qy-nonce': nonce,
    'x-qy-sign-type': signType,
    'x-qy-signature': signature,
  });
  const notifies = [
    {
      name: 'hmac valid',
      signType: 'HMAC-SHA256',
      headers: headers('HMAC-SHA256', hmacSig),
      body: NOTIFY_BODY,
      ok: true,
    },
    {
      name: 'rsa valid',
      signType: 'RSA-SHA256',
      headers: headers('RSA-SHA256', rsaSig),
      body: NOTIFY_BODY,
      ok: true,
    },
    {
      name: 'hmac body changed',
      signType: 'HMAC-SHA256',
      headers: headers('HMAC-SHA256', hmacSig),
      body: NOTIFY_BODY.replace('1234', '1235'),
      ok: false,
      reason: 'SIGNATURE_INVALID',
    },
    {
      name: 'rsa body changed',
      signType: 'RSA-SHA256',
      headers: headers('RSA-SHA256', rsaSig),
      body: NOTIFY_BODY.replace('咖啡', '茶'),
      ok: false,
      reason: 'SIGNATURE_INVALID',
    },
    {
      name: 'hmac signature without padding',
      signType: 'HMAC-SHA256',
      headers: headers('HMAC-SHA256', hmacSig.replace(/=+$/, '')),
      body: NOTIFY_BODY,
      ok: false,
      reason: 'SIGNATURE_INVALID',
    },
    {
      name: 'hmac signature in base64url',
      signType: 'HMAC-SHA256',
      headers: headers('HMAC-SHA256', Buffer.from(hmacSig, 'base64').toString('base64url')),
      body: NOTIFY_BODY,
      ok: false,
      reason: 'SIGNATURE_INVALID',
    },
    {
      name: 'sign type other than the key',
      signType: 'HMAC-SHA256',
      headers: headers('RSA-SHA256', rsaSig),
      body: NOTIFY_BODY,
      ok: false,
      reason: 'SIGN_TYPE_MISMATCH',
    },
  ];
  return {
    about:
      'Made by sdk/vectors.ts from the TypeScript signing the server uses. The RSA key is a test key for these vectors only.',
    mchNo: MCH,
    appId: APP,
    secret: SECRET,
    merchantPrivateKeyPem: privateKeyPem,
    merchantPublicKeyPem: publicKeyPem,
    requests,
    notify: {
      /** Verify with this as "now" and a 300 s tolerance; 'now + 301' must give TIMESTAMP_EXPIRED. */
      now: 1763700200,
      cases: notifies,
    },
  };
}

export function vectorsJson(): string {
  return `${JSON.stringify(buildVectors(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  fs.writeFileSync(VECTORS_PATH, vectorsJson());
  console.log(`written ${path.relative(process.cwd(), VECTORS_PATH)}`);
}
