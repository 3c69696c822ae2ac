import { describe, expect, it } from 'vitest';
import { feeOf, rateOnly } from './fee.ts';
import { splitFee } from './split.ts';

describe('splitFee', () => {
  it('splits a typical order', () => {
    expect(splitFee(10_000n, 60n, rateOnly(3800))).toEqual({
      fee: 60n,
      channelCost: 38n,
      platformProfit: 22n,
    });
  });

  it('always adds up exactly, with the residue to the platform', () => {
    const merchant = { ratePpm: 6123, fixed: 3n, minimum: 20n };
    const channel = { ratePpm: 3801, fixed: 2n, minimum: 15n };
    for (let amount = 1n; amount < 3_000n; amount += 1n) {
      const split = splitFee(amount, feeOf(amount, merchant), channel);
      expect(split.channelCost + split.platformProfit).toBe(split.fee);
      expect(split.platformProfit >= 0n).toBe(true);
      expect(split.fee <= amount).toBe(true);
    }
  });

  it('refuses a channel cost above the merchant fee', () => {
    expect(() => splitFee(100n, 3n, rateOnly(35_000))).toThrow(RangeError);
    expect(() => splitFee(100n, 3n, { ratePpm: 0, fixed: 0n, minimum: 4n })).toThrow(RangeError);
  });

  it('refuses a non-positive amount and a fee outside the amount', () => {
    expect(() => splitFee(0n, 0n, rateOnly(3000))).toThrow(RangeError);
    expect(() => splitFee(10n, 11n, rateOnly(3000))).toThrow(RangeError);
    expect(() => splitFee(10n, -1n, rateOnly(3000))).toThrow(RangeError);
  });
});
