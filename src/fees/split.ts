import { type FeeTerms, feeOf } from './fee.ts';

export interface FeeSplit {
  /** What the merchant pays (fees/fee.ts, from the merchant's terms). */
  fee: bigint;
  /** What the channel keeps: the channel account's cost terms applied to the amount. */
  channelCost: bigint;
  /** The platform's spread; takes the rounding residue so the parts add up to the fee exactly. */
  platformProfit: bigint;
}

/**
 * Splits an order's fee between channel and platform. The fee is the merchant's (it does not change
 * when the order moves to another channel account); the cost follows the account that takes it.
 * (Agent shares come between the two when agents arrive; the platform still takes the remainder.)
 */
export function splitFee(amount: bigint, fee: bigint, channel: FeeTerms): FeeSplit {
  if (amount <= 0n) throw new RangeError('amount must be positive');
  if (fee < 0n || fee > amount) throw new RangeError(`fee ${fee} is outside 0..${amount}`);
  const channelCost = feeOf(amount, channel);
  const platformProfit = fee - channelCost;
  // The rate rule (catalog) keeps every part of a cost within the merchant's terms, and feeOf is
  // monotonic in each part, so the platform's share cannot be negative.
  if (platformProfit < 0n) {
    throw new RangeError(`channel cost ${channelCost} exceeds the merchant fee ${fee} on amount ${amount}`);
  }
  return { fee, channelCost, platformProfit };
}
