/**
 * Money is an integer count of minor units (fen for CNY) held in a bigint, always with a currency.
 * Rates are integer parts-per-million: 0.38 % = 3 800 ppm.
 */
export const PPM = 1_000_000n;
export const MAX_RATE_PPM = 1_000_000;

/** ISO 4217 codes the platform settles in, with their minor-unit exponent. */
export const CURRENCIES = { CNY: 2, HKD: 2, USD: 2 } as const;
export type Currency = keyof typeof CURRENCIES;

export function isCurrency(value: string): value is Currency {
  return Object.hasOwn(CURRENCIES, value);
}

/** Divides and rounds half away from zero (0.5 fen → 1 fen), the one rounding rule for fees. */
export function divideRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  const quotient = (magnitude * 2n + denominator) / (denominator * 2n);
  return negative ? -quotient : quotient;
}

/** fee = roundHalfUp(amount × ppm / 1 000 000). */
export function feeFor(amount: bigint, ratePpm: number): bigint {
  assertRatePpm(ratePpm);
  return divideRoundHalfUp(amount * BigInt(ratePpm), PPM);
}

export function assertRatePpm(ratePpm: number): void {
  if (!Number.isInteger(ratePpm) || ratePpm < 0 || ratePpm > MAX_RATE_PPM) {
    throw new RangeError(`rate must be an integer between 0 and ${MAX_RATE_PPM} ppm, got ${ratePpm}`);
  }
}

/** "12.34" for 1234n CNY; for display and statements only, never for arithmetic. */
export function formatMinor(amount: bigint, currency: Currency = 'CNY'): string {
  const exponent = CURRENCIES[currency];
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return `${negative ? '-' : ''}${whole}${exponent > 0 ? `.${fraction}` : ''}`;
}

/** A JSON number from the API edge → bigint, or null if it is not a positive safe integer. */
export function toMinorUnits(value: unknown): bigint | null {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) return null;
  return BigInt(value);
}

/** bigint → JSON number for responses; money beyond 2^53 cannot occur (amount limits) and is refused loudly. */
export function toJsonAmount(amount: bigint): number {
  const n = Number(amount);
  if (!Number.isSafeInteger(n)) throw new RangeError(`amount ${amount} is beyond JSON's safe integers`);
  return n;
}

/**
 * "12.34" / "12.3" / "12" → 1234n minor units, read as text (never a float); the inverse of
 * formatMinor for the wire formats that carry decimal amounts (Alipay's yuan). Null when the text is
 * not a plain non-negative decimal with at most the currency's decimals.
 */
export function parseMinor(text: string, currency: Currency = 'CNY'): bigint | null {
  const exponent = CURRENCIES[currency];
  const match = /^(\d{1,16})(?:\.(\d+))?$/.exec(text);
  if (!match) return null;
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) return null;
  return BigInt(match[1]!) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0');
}
