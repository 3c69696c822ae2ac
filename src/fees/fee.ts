import { assertRatePpm, type Currency, feeFor, formatMinor } from '../money/money.ts';

/**
 * What one party charges per order: a rate, a fixed part and a minimum, the last two in minor
 * units. A merchant's rate for a product and a channel account's cost for it are both terms.
 */
export interface FeeTerms {
  ratePpm: number;
  fixed: bigint;
  minimum: bigint;
}

/** The terms of a plain rate: no fixed part, no minimum (the fee before fixed parts and minimums). */
export const rateOnly = (ratePpm: number): FeeTerms => ({ ratePpm, fixed: 0n, minimum: 0n });

/**
 * fee = max(minimum, roundHalfUp(amount × ppm) + fixed), and never more than the amount: an order
 * smaller than the minimum pays its whole amount, so the merchant's credit (amount − fee) is never
 * negative. Capping keeps the order of two terms (min(a, x) ≥ min(a, y) when x ≥ y), so a channel
 * cost within the merchant's terms stays within the merchant's fee.
 */
export function feeOf(amount: bigint, terms: FeeTerms): bigint {
  if (amount <= 0n) throw new RangeError('amount must be positive');
  assertTerms(terms);
  const charged = feeFor(amount, terms.ratePpm) + terms.fixed;
  const fee = charged > terms.minimum ? charged : terms.minimum;
  return fee < amount ? fee : amount;
}

export function assertTerms(terms: FeeTerms): void {
  assertRatePpm(terms.ratePpm);
  if (terms.fixed < 0n || terms.minimum < 0n)
    throw new RangeError('fixed and minimum fees may not be negative');
}

/** The parts of a fee (`details.component` of RATE_RULE_VIOLATION; the consoles name each). */
export const FEE_COMPONENTS = ['ratePpm', 'fixed', 'minimum'] as const;
export type FeeComponent = (typeof FEE_COMPONENTS)[number];

/**
 * The first part of `cost` above the same part of `price`, or null when each part is within it.
 * Comparing part by part is what makes price ≥ cost for every amount (feeOf is monotonic in each).
 */
export function exceedingComponent(cost: FeeTerms, price: FeeTerms): FeeComponent | null {
  if (cost.ratePpm > price.ratePpm) return 'ratePpm';
  if (cost.fixed > price.fixed) return 'fixed';
  if (cost.minimum > price.minimum) return 'minimum';
  return null;
}

/** A part of the terms in words for messages: a rate in %, money in yuan (the consoles' units). */
export function describeComponent(component: FeeComponent, terms: FeeTerms, currency: Currency): string {
  const money = (minor: bigint) =>
    `${formatMinor(minor, currency)} ${currency === 'CNY' ? 'yuan' : currency}`;
  switch (component) {
    case 'ratePpm':
      return `rate ${terms.ratePpm / 10_000} %`;
    case 'fixed':
      return `fixed fee ${money(terms.fixed)}`;
    case 'minimum':
      return `minimum fee ${money(terms.minimum)}`;
  }
}
