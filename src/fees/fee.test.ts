import { describe, expect, it } from 'vitest';
import { describeComponent, exceedingComponent, type FeeTerms, feeOf, rateOnly } from './fee.ts';

const terms = (ratePpm: number, fixed = 0n, minimum = 0n): FeeTerms => ({ ratePpm, fixed, minimum });

describe('feeOf: max(minimum, roundHalfUp(amount × ppm) + fixed), at most the amount', () => {
  it('is the plain rate when there is no fixed part and no minimum (the fee before fixed parts and minimums)', () => {
    expect(feeOf(10_000n, rateOnly(6000))).toBe(60n);
    // The floor this fixes: at 0.6 % an order of 83 fen or less paid nothing.
    expect(feeOf(83n, rateOnly(6000))).toBe(0n);
    expect(feeOf(84n, rateOnly(6000))).toBe(1n);
  });

  it('rounds the rate part half up, then adds the fixed part', () => {
    // 0.6 % of 250 = 1.5 → 2; 0.6 % of 249 = 1.494 → 1
    expect(feeOf(250n, terms(6000, 10n))).toBe(12n);
    expect(feeOf(249n, terms(6000, 10n))).toBe(11n);
    expect(feeOf(83n, terms(6000, 10n))).toBe(10n);
  });

  it('charges the minimum up to the amount where the rate gives more', () => {
    const t = terms(6000, 0n, 10n);
    // roundHalfUp(amount × 0.6 %) reaches 10 fen at 1 584 fen (9.504 → 10); below, the minimum.
    expect(feeOf(50n, t)).toBe(10n);
    expect(feeOf(1_583n, t)).toBe(10n); // 9.498 → 9, so the minimum
    expect(feeOf(1_584n, t)).toBe(10n);
    expect(feeOf(1_750n, t)).toBe(11n); // 10.5 → 11
    expect(feeOf(100_000n, t)).toBe(600n);
    // The minimum is compared with the rate part plus the fixed part.
    expect(feeOf(1_000n, terms(6000, 5n, 10n))).toBe(11n);
    expect(feeOf(100n, terms(6000, 5n, 10n))).toBe(10n);
  });

  it('never exceeds the amount: an order below the minimum pays its whole amount', () => {
    expect(feeOf(10n, terms(6000, 0n, 10n))).toBe(10n);
    expect(feeOf(9n, terms(6000, 0n, 10n))).toBe(9n);
    expect(feeOf(1n, terms(6000, 0n, 10n))).toBe(1n);
    expect(feeOf(3n, terms(0, 5n))).toBe(3n);
    expect(feeOf(5n, terms(1_000_000, 5n))).toBe(5n);
  });

  it('is monotonic in each part and in the amount, so part-wise ordered terms order the fees', () => {
    const low = terms(3800, 3n, 8n);
    const high = terms(6000, 5n, 10n);
    let previous = 0n;
    for (let amount = 1n; amount <= 5_000n; amount++) {
      const fee = feeOf(amount, high);
      expect(fee >= feeOf(amount, low)).toBe(true);
      expect(fee >= previous).toBe(true);
      expect(fee <= amount).toBe(true);
      previous = fee;
    }
  });

  it('refuses what is not a fee', () => {
    expect(() => feeOf(0n, rateOnly(6000))).toThrow(RangeError);
    expect(() => feeOf(100n, terms(6000, -1n))).toThrow(RangeError);
    expect(() => feeOf(100n, terms(6000, 0n, -1n))).toThrow(RangeError);
    expect(() => feeOf(100n, terms(1_000_001))).toThrow(RangeError);
  });
});

describe('the rate rule, part by part', () => {
  it('names the first part of a cost above the price', () => {
    const price = terms(6000, 5n, 10n);
    expect(exceedingComponent(terms(6000, 5n, 10n), price)).toBeNull();
    expect(exceedingComponent(terms(3800, 0n, 0n), price)).toBeNull();
    expect(exceedingComponent(terms(6001, 0n, 0n), price)).toBe('ratePpm');
    expect(exceedingComponent(terms(3800, 6n, 0n), price)).toBe('fixed');
    expect(exceedingComponent(terms(3800, 0n, 11n), price)).toBe('minimum');
  });

  it('says each part in % or yuan', () => {
    const t = terms(3800, 5n, 120n);
    expect(describeComponent('ratePpm', t, 'CNY')).toBe('rate 0.38 %');
    expect(describeComponent('fixed', t, 'CNY')).toBe('fixed fee 0.05 yuan');
    expect(describeComponent('minimum', t, 'HKD')).toBe('minimum fee 1.20 HKD');
  });
});
