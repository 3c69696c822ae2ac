/**
 * The amount a payer types on the static QR page ("8.8", "8.80", "¥12", "0,50" from a keypad whose
 * decimal key is a comma) → fen as a bigint, exactly: digits are read as text, never as a float.
 */
export type AmountRefusal =
  /** Nothing typed. */
  | 'empty'
  /** Not a plain positive number (letters, a minus sign, two separators…). */
  | 'format'
  /** More than two decimals: "1.234". */
  | 'decimals'
  /** Zero. */
  | 'zero';

export type ParsedAmount = { ok: true; amount: bigint } | { ok: false; reason: AmountRefusal };

/** A yuan amount typed by a person has at most this many characters (12 integer digits, a point, 2 decimals, spaces). */
export const AMOUNT_TEXT_MAX_LENGTH = 24;

const FULL_WIDTH = /[０-９．，]/g;
const SHAPE = /^(\d{0,12})(?:[.,](\d*))?$/;

/** Parses yuan with at most two decimals into fen (CNY minor units). */
export function parseYuanText(input: string): ParsedAmount {
  if (input.length > AMOUNT_TEXT_MAX_LENGTH) return { ok: false, reason: 'format' };
  const text = input
    .replace(FULL_WIDTH, (c) =>
      c === '．' ? '.' : c === '，' ? ',' : String.fromCharCode(c.charCodeAt(0) - 0xfee0),
    )
    .replace(/^\s*[¥￥]?\s*/, '')
    .trim();
  if (text === '') return { ok: false, reason: 'empty' };
  const match = SHAPE.exec(text);
  if (!match) return { ok: false, reason: 'format' };
  const whole = match[1] ?? '';
  const fraction = match[2] ?? '';
  if (whole === '' && fraction === '') return { ok: false, reason: 'format' };
  if (fraction.length > 2) return { ok: false, reason: 'decimals' };
  const amount = BigInt(whole || '0') * 100n + BigInt(fraction.padEnd(2, '0'));
  if (amount === 0n) return { ok: false, reason: 'zero' };
  return { ok: true, amount };
}
