/**
 * Alipay open platform, gateway API v2 (openapi.alipay.com/gateway.do), RSA2 signatures.
 *
 * Protocol reference:
 * - request signing: https://opendocs.alipay.com/common/02kf5q (sign every parameter but `sign`,
 *   skip empty values, sort by key, `k=v` joined with `&`, values not URL-encoded, SHA256withRSA)
 * - answer verification: https://opendocs.alipay.com/common/02mse7 (the raw text of the
 *   `<method>_response` value is what the gateway signed)
 * - async notifies: https://opendocs.alipay.com/open/270/105902 (form-encoded; `sign` and `sign_type`
 *   removed before verifying; answer the plain text `success`)
 * - common parameters: https://opendocs.alipay.com/open/02ivbs (app_id, method, format, charset,
 *   sign_type, timestamp in Beijing time, version, app_auth_token, notify_url, biz_content)
 *
 * The same functions serve the adapter and the test gateway (test/fakes/alipay), so both sides of
 * the wire are the published rule; the unit tests pin them to Alipay's own SDK.
 */
import { createPrivateKey, createPublicKey, createSign, createVerify, type KeyObject } from 'node:crypto';
import { formatMinor, parseMinor } from '../../money/money.ts';

export const ALIPAY_PRODUCTION_GATEWAY = 'https://openapi.alipay.com/gateway.do';
export const ALIPAY_SANDBOX_GATEWAY = 'https://openapi-sandbox.dl.alipaydev.com/gateway.do';

export type AlipayParams = Record<string, string>;

/** The string that is signed: every parameter but `sign`, empty ones skipped, sorted by key. */
export function signingString(
  params: Record<string, string | undefined>,
  omit: readonly string[] = ['sign'],
) {
  return Object.keys(params)
    .filter((key) => !omit.includes(key) && params[key] !== undefined && params[key] !== '')
    .sort()
    .map((key) => `${key}=${params[key]}`)
    .join('&');
}

export function rsa2Sign(content: string, privateKey: KeyObject): string {
  return createSign('RSA-SHA256').update(content, 'utf8').sign(privateKey, 'base64');
}

export function rsa2Verify(content: string, signature: string, publicKey: KeyObject): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  try {
    return createVerify('RSA-SHA256').update(content, 'utf8').verify(publicKey, signature, 'base64');
  } catch {
    return false;
  }
}

/** Signs a request's parameters (adds `sign`). */
export function signParams(params: AlipayParams, privateKey: KeyObject): AlipayParams {
  return { ...params, sign: rsa2Sign(signingString(params), privateKey) };
}

/** A notify's check: `sign` and `sign_type` are not part of what Alipay signed. */
export function verifyNotifyParams(params: AlipayParams, publicKey: KeyObject): boolean {
  const signature = params.sign;
  if (!signature) return false;
  return rsa2Verify(signingString(params, ['sign', 'sign_type']), signature, publicKey);
}

const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/** `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8, no daylight saving), the gateway's clock. */
export function shanghaiTime(instant: Date): string {
  return new Date(instant.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** `yyyy-MM-dd HH:mm:ss` (Beijing time) → instant; undefined when the text is not that. */
export function parseShanghaiTime(text: string | undefined): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text ?? '');
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  const instant = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) - SHANGHAI_OFFSET_MS);
  return Number.isNaN(instant.getTime()) ? undefined : instant;
}

/** Yuan with two decimals, from fen; never through a float. */
export function toYuan(fen: bigint): string {
  return formatMinor(fen, 'CNY');
}

/** Alipay's yuan ("0.01", "12.3", "100") → fen; undefined when not a plain amount. */
export function fromYuan(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  return parseMinor(text, 'CNY') ?? undefined;
}

/** `alipay.trade.query` → `alipay_trade_query_response`, the key of the method's answer. */
export function responseKeyOf(method: string): string {
  return `${method.replaceAll('.', '_')}_response`;
}

/**
 * The gateway's JSON answer, split as the gateway signed it: the raw text of the method's
 * `*_response` value (or `error_response`), its parsed content and the `sign` beside it. Null when
 * the text is not a JSON object with one of those keys.
 */
export function splitAnswer(
  body: string,
  method: string,
): {
  raw: string;
  content: Record<string, unknown>;
  sign: string | undefined;
  /** Certificate mode: the number of the Alipay certificate that signed. */
  certSn: string | undefined;
} | null {
  const spans = topLevelSpans(body);
  if (!spans) return null;
  const span = spans.get(responseKeyOf(method)) ?? spans.get('error_response');
  if (!span) return null;
  const raw = body.slice(span[0], span[1]);
  let content: unknown;
  let sign: unknown;
  let certSn: unknown;
  try {
    content = JSON.parse(raw);
    const signSpan = spans.get('sign');
    sign = signSpan ? JSON.parse(body.slice(signSpan[0], signSpan[1])) : undefined;
    const certSpan = spans.get('alipay_cert_sn');
    certSn = certSpan ? JSON.parse(body.slice(certSpan[0], certSpan[1])) : undefined;
  } catch {
    return null;
  }
  if (typeof content !== 'object' || content === null || Array.isArray(content)) return null;
  return {
    raw,
    content: content as Record<string, unknown>,
    sign: typeof sign === 'string' ? sign : undefined,
    certSn: typeof certSn === 'string' ? certSn : undefined,
  };
}

/**
 * Where each top-level member's value sits in a JSON object's text: key → [start, end). A small
 * scanner (strings with escapes, nesting), so the signed bytes are taken exactly as they came.
 */
function topLevelSpans(text: string): Map<string, [number, number]> | null {
  const spans = new Map<string, [number, number]>();
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return null;
  i = skipSpace(text, i + 1);
  if (text[i] === '}') return spans;
  for (;;) {
    if (text[i] !== '"') return null;
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0) return null;
    let key: string;
    try {
      key = JSON.parse(text.slice(i, keyEnd)) as string;
    } catch {
      return null;
    }
    i = skipSpace(text, keyEnd);
    if (text[i] !== ':') return null;
    const start = skipSpace(text, i + 1);
    const end = valueEnd(text, start);
    if (end < 0) return null;
    if (!spans.has(key)) spans.set(key, [start, end]);
    i = skipSpace(text, end);
    if (text[i] === '}') return spans;
    if (text[i] !== ',') return null;
    i = skipSpace(text, i + 1);
  }
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  return i;
}

/** The index after the closing quote of the string opening at `from`, or -1. */
function stringEnd(text: string, from: number): number {
  for (let i = from + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return -1;
}

/** The index after the JSON value starting at `from`, or -1. */
function valueEnd(text: string, from: number): number {
  if (text[from] === '"') return stringEnd(text, from);
  if (text[from] !== '{' && text[from] !== '[') {
    const match = /^[^,}\]\s]+/.exec(text.slice(from, from + 64));
    return match ? from + match[0].length : -1;
  }
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i = stringEnd(text, i) - 1;
      if (i < 0) return -1;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

// ---------- keys ----------

const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_SIZE = 64;

function cached(cacheKey: string, make: () => KeyObject): KeyObject {
  const hit = keyCache.get(cacheKey);
  if (hit) return hit;
  const key = make();
  if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(cacheKey, key);
  return key;
}

/** A bare base64 key as Alipay's key tool prints it (no PEM armour). */
function bareDer(text: string): Buffer | null {
  const compact = text.replace(/\s+/g, '');
  return /^[A-Za-z0-9+/]+={0,2}$/.test(compact) ? Buffer.from(compact, 'base64') : null;
}

/**
 * The app's private key: a PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM, or
 * the bare base64 Alipay's key tool prints. Throws a plain message when it is not an RSA private key.
 */
export function appPrivateKey(text: string): KeyObject {
  return cached(`private:${text}`, () => {
    let key: KeyObject | undefined;
    if (text.includes('-----BEGIN')) key = createPrivateKey(text);
    else {
      const der = bareDer(text);
      if (!der) throw new Error('not a PEM or base64 key');
      for (const type of ['pkcs8', 'pkcs1'] as const) {
        try {
          key = createPrivateKey({ key: der, format: 'der', type });
          break;
        } catch {}
      }
      if (!key) throw new Error('not an RSA private key');
    }
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not an RSA key (RSA2 needs RSA)');
    return key;
  });
}

/** Alipay's public key: an SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 PEM, or the bare base64 of the console. */
export function alipayPublicKey(text: string): KeyObject {
  return cached(`public:${text}`, () => {
    let key: KeyObject | undefined;
    if (text.includes('-----BEGIN')) {
      if (text.includes('PRIVATE KEY')) throw new Error('a private key where the public key goes');
      key = createPublicKey(text);
    } else {
      const der = bareDer(text);
      if (!der) throw new Error('not a PEM or base64 key');
      for (const type of ['spki', 'pkcs1'] as const) {
        try {
          key = createPublicKey({ key: der, format: 'der', type });
          break;
        } catch {}
      }
      if (!key) throw new Error('not an RSA public key');
    }
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not an RSA key (RSA2 needs RSA)');
    return key;
  });
}
