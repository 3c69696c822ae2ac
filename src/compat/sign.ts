import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The two MD5 signatures merchants moving from Jeepay and from 易支付 sites already compute. MD5
 * with a shared key is weaker than our HMAC-SHA256 and RSA signatures (docs/security.md says what an
 * app gives up): it is accepted only from apps that opted in to one of these protocols.
 */

/** A parameter's text as the other side signs it: strings as they are, numbers in plain digits. */
export function paramText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  return JSON.stringify(value);
}

/** Java's String.CASE_INSENSITIVE_ORDER, which JeepayKit sorts the `k=v&` pieces with. */
export function compareIgnoringCase(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let c1 = a[i]!;
    let c2 = b[i]!;
    if (c1 === c2) continue;
    c1 = c1.toUpperCase();
    c2 = c2.toUpperCase();
    if (c1 === c2) continue;
    c1 = c1.toLowerCase();
    c2 = c2.toLowerCase();
    if (c1 !== c2) return c1.charCodeAt(0) - c2.charCodeAt(0);
  }
  return a.length - b.length;
}

/**
 * JeepayKit.getSign: every parameter with a non-empty value as `k=v&`, sorted ignoring case, then
 * `key=` and the app's key; MD5 of the UTF-8 text in upper-case hex. `sign` itself is left out.
 */
export function jeepaySign(params: Record<string, unknown>, key: string): string {
  const pieces: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (name === 'sign') continue;
    const text = paramText(value);
    if (text === null || text === '') continue;
    pieces.push(`${name}=${text}&`);
  }
  pieces.sort(compareIgnoringCase);
  return md5(`${pieces.join('')}key=${key}`).toUpperCase();
}

/**
 * 易支付's MD5 signature: the non-empty parameters except `sign` and `sign_type`, sorted by name
 * (ASCII), joined as `k=v` with `&`, the key appended directly; MD5 in lower-case hex.
 */
export function epaySign(params: Record<string, unknown>, key: string): string {
  const names = Object.keys(params)
    .filter((name) => name !== 'sign' && name !== 'sign_type')
    .filter((name) => {
      const text = paramText(params[name]);
      return text !== null && text !== '';
    })
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const text = names.map((name) => `${name}=${paramText(params[name])}`).join('&');
  return md5(`${text}${key}`);
}

/** Compares a received signature with ours in constant time, ignoring hex case. */
export function sameSignature(received: unknown, expected: string): boolean {
  if (typeof received !== 'string' || received.length !== expected.length) {
    // The same work either way: a wrong length must not answer faster.
    timingSafeEqual(Buffer.from(expected), Buffer.from(expected));
    return false;
  }
  return timingSafeEqual(Buffer.from(received.toLowerCase()), Buffer.from(expected.toLowerCase()));
}

/** A token that binds a return link to the app's key and the merchant's order number. */
export function returnToken(key: string, appId: string, mchOrderNo: string): string {
  return createHmac('sha256', key).update(`return\n${appId}\n${mchOrderNo}`).digest('base64url').slice(0, 22);
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}
