/**
 * Qingyun Pay request and notify signatures. Node's crypto only, so the server and merchants use
 * the same code.
 *
 * Request: base64(sign(`METHOD\nPATH?QUERY\nMCH\nAPP\nTIMESTAMP\nNONCE\nBODY\n`))
 * Notify:  base64(sign(`TIMESTAMP\nNONCE\nBODY\n`))
 * sign = HMAC-SHA256 with the app secret, or RSA-SHA256 (PKCS#1 v1.5) with a private key.
 * base64 is the standard alphabet with padding, and only its one canonical form is accepted.
 *
 * MCH and APP are in the request string so that a request signed for one app cannot be replayed
 * against another app that accepts the same RSA key.
 */

import type { KeyObject } from 'node:crypto';
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  randomUUID,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';

export type SignType = 'HMAC-SHA256' | 'RSA-SHA256';
export const SIGN_TYPES: readonly SignType[] = ['HMAC-SHA256', 'RSA-SHA256'];

export const HEADER = {
  merchant: 'x-qy-mch',
  app: 'x-qy-app',
  timestamp: 'x-qy-timestamp',
  nonce: 'x-qy-nonce',
  signType: 'x-qy-sign-type',
  signature: 'x-qy-signature',
} as const;

export interface RequestSigningFields {
  method: string;
  /** Path with query string, exactly as on the request line. */
  pathWithQuery: string;
  /** The X-Qy-Mch value. */
  mchNo: string;
  /** The X-Qy-App value. */
  appId: string;
  timestamp: string;
  nonce: string;
  /** The raw body, empty for GET. */
  body: string;
}

export function requestSigningString(f: RequestSigningFields): string {
  return `${f.method.toUpperCase()}\n${f.pathWithQuery}\n${f.mchNo}\n${f.appId}\n${f.timestamp}\n${f.nonce}\n${f.body}\n`;
}

export function notifySigningString(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

/** The key that signs: an HMAC secret, or an RSA private key (PEM or KeyObject). */
export type SigningKey =
  | { type: 'HMAC-SHA256'; secret: string }
  | { type: 'RSA-SHA256'; privateKey: string | KeyObject };
/** The key that verifies: the same HMAC secret, or the RSA public key. */
export type VerifyingKey =
  | { type: 'HMAC-SHA256'; secret: string }
  | { type: 'RSA-SHA256'; publicKey: string | KeyObject };

export function signString(text: string, key: SigningKey): string {
  if (key.type === 'HMAC-SHA256')
    return createHmac('sha256', key.secret).update(text, 'utf8').digest('base64');
  const privateKey = typeof key.privateKey === 'string' ? createPrivateKey(key.privateKey) : key.privateKey;
  return sign('sha256', Buffer.from(text, 'utf8'), privateKey).toString('base64');
}

/**
 * Whether `text` is standard base64 (RFC 4648 §4, `+/`, padded) in its one canonical form: no
 * whitespace, no base64url, no missing padding, no data after the padding, no stray bits in the
 * last character. Node's decoder skips all of those silently, so one signature would otherwise have
 * many spellings.
 */
export function isCanonicalBase64(text: string): boolean {
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return false;
  return Buffer.from(text, 'base64').toString('base64') === text;
}

/** False for a wrong signature and for any signature not in canonical standard base64. */
export function verifyString(text: string, signature: string, key: VerifyingKey): boolean {
  if (!isCanonicalBase64(signature)) return false;
  const given = Buffer.from(signature, 'base64');
  if (key.type === 'HMAC-SHA256') {
    const expected = createHmac('sha256', key.secret).update(text, 'utf8').digest();
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  try {
    const publicKey = typeof key.publicKey === 'string' ? createPublicKey(key.publicKey) : key.publicKey;
    return verify('sha256', Buffer.from(text, 'utf8'), publicKey, given);
  } catch {
    return false;
  }
}

/** 32 hex characters (122 random bits). randomUUID draws from a buffered pool: no system call per nonce. */
export function newNonce(): string {
  return randomUUID().replaceAll('-', '');
}

export interface SignedRequestInput {
  method: string;
  pathWithQuery: string;
  body: string;
  mchNo: string;
  appId: string;
  key: SigningKey;
  timestamp?: number;
  nonce?: string;
}

/** Headers for one signed API request. */
export function signRequest(input: SignedRequestInput): Record<string, string> {
  const timestamp = String(input.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = input.nonce ?? newNonce();
  const text = requestSigningString({
    method: input.method,
    pathWithQuery: input.pathWithQuery,
    mchNo: input.mchNo,
    appId: input.appId,
    timestamp,
    nonce,
    body: input.body,
  });
  return {
    [HEADER.merchant]: input.mchNo,
    [HEADER.app]: input.appId,
    [HEADER.timestamp]: timestamp,
    [HEADER.nonce]: nonce,
    [HEADER.signType]: input.key.type,
    [HEADER.signature]: signString(text, input.key),
  };
}

export interface NotifyVerification {
  ok: boolean;
  reason?: 'MISSING_HEADERS' | 'SIGN_TYPE_MISMATCH' | 'SIGNATURE_INVALID' | 'TIMESTAMP_EXPIRED';
}

/**
 * Verifies a notify from Qingyun Pay. `headers` as Node gives them (lower-case names).
 * Merchants should also drop a nonce they have already seen.
 */
export function verifyNotify(
  headers: Record<string, string | string[] | undefined>,
  rawBody: string,
  key: VerifyingKey,
  options: { toleranceSeconds?: number; now?: number } = {},
): NotifyVerification {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const timestamp = header(HEADER.timestamp);
  const nonce = header(HEADER.nonce);
  const signature = header(HEADER.signature);
  const signType = header(HEADER.signType);
  if (!timestamp || !nonce || !signature || !signType) return { ok: false, reason: 'MISSING_HEADERS' };
  if (signType !== key.type) return { ok: false, reason: 'SIGN_TYPE_MISMATCH' };
  const tolerance = options.toleranceSeconds ?? 300;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (!/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > tolerance) {
    return { ok: false, reason: 'TIMESTAMP_EXPIRED' };
  }
  if (!verifyString(notifySigningString(timestamp, nonce, rawBody), signature, key)) {
    return { ok: false, reason: 'SIGNATURE_INVALID' };
  }
  return { ok: true };
}
