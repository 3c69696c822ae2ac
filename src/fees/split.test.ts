import { describe, expect, it } from 'vitest';
import { splitFee } from './split.ts';

describe('splitFee', () => {
  it('splits a typical order', () => {
    expect(splitFee(10_000n, 6000, 3800)).toEqual({ fee: 60n, channelCost: 38n, platformProfit: 22n });
  });

  it('always adds up exactly, with the residue to the platform', () => {
    for (let amount = 1n; amount < 3_000n; amount += 1n) {
      const split = splitFee(amount, 6123, 3801);
      expect(split.channelCost + split.platformProfit).toBe(split.fee);
      expect(split.platformProfit >= 0n).toBe(true);
    }
  });

  it('refuses a channel cost above the merchant rate', () => {
    expect(() => splitFee(100n, 3000, 3001)).toThrow(RangeError);
  });

  it('refuses a non-positive amount', () => {
    expect(() => splitFee(0n, 3000, 3000)).toThrow(RangeError);
  });
});
