import { AppError } from '../errors.ts';

/** The fewest trailing digits a search by the end of a number accepts (1 in 10 000 orders share them). */
export const MIN_SUFFIX_DIGITS = 4;

/** What a console's `q` looks for: any number exactly, and for digits also the end of the platform number. */
export interface NumberSearch {
  /** Equal to one of the numbers (platform, merchant, channel, refund …). */
  exact: string;
  /** `LIKE` pattern on `reverse(number)`: the digits reversed and `%`, or null when `q` is not digits. */
  reversedSuffix: string | null;
}

/**
 * Reads a console search: a whole number of any kind, or the last {@link MIN_SUFFIX_DIGITS} or more
 * digits of the platform number (what people read off a phone). Fewer digits would match too many
 * orders to be worth a page: they are refused with `INVALID_REQUEST` and details the consoles
 * translate (`reason: 'number_too_short'`, `minDigits`).
 */
export function numberSearch(q: string | undefined): NumberSearch | undefined {
  const text = q?.trim();
  if (!text) return undefined;
  if (!/^\d+$/.test(text)) return { exact: text, reversedSuffix: null };
  if (text.length < MIN_SUFFIX_DIGITS) {
    throw new AppError(
      'INVALID_REQUEST',
      `q: give a whole number or at least the last ${MIN_SUFFIX_DIGITS} digits of one`,
      { field: 'q', reason: 'number_too_short', minDigits: MIN_SUFFIX_DIGITS },
    );
  }
  return { exact: text, reversedSuffix: `${[...text].reverse().join('')}%` };
}
