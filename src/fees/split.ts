import { feeFor } from '../money/money.ts';

export interface FeeSplit {
  /** What the merchant pays: amount × merchant rate. */
  fee: bigint;
  /** What the channel keeps: amount × channel cost rate. */
  channelCost: bigint;
  /** The platform's spread; takes the rounding residue so the parts add up to the fee exactly. */
  platformProfit: bigint;
}

/**
 * Splits an order's fee between channel and platform from rates snapshotted on the order.
 * (Agent shares come between the two when agents arrive; the platform still takes the remainder.)
 */
export function splitFee(amount: bigint, merchantRatePpm: number, channelRatePpm: number): FeeSplit {
  if (amount <= 0n) throw new RangeError('amount must be positive');
  if (channelRatePpm > merchantRatePpm) {
    throw new RangeError(
      `channel cost ${channelRatePpm} ppm exceeds the merchant rate ${merchantRatePpm} ppm`,
    );
  }
  const fee = feeFor(amount, merchantRatePpm);
  const channelCost = feeFor(amount, channelRatePpm);
  const platformProfit = fee - channelCost;
  // Rounding is monotonic, so an ordered pair of rates can never make the platform's share negative.
  if (platformProfit < 0n) throw new Error('invariant: platform profit is negative');
  return { fee, channelCost, platformProfit };
}
