import { describe, expect, it } from 'vitest';
import { divideRoundHalfUp, feeFor, formatMinor, parseMinor, toJsonAmount, toMinorUnits } from './money.ts';

describe('feeFor rounds half up at the edges', () => {
  it.each([
    // amount, ppm, fee
    [100n, 3800, 0n], // 0.38 fen → 0
    [131n, 3800, 0n], // 0.4978 → 0
    [132n, 3800, 1n], // 0.5016 → 1
    [125n, 4000, 1n], // exactly 0.5 → 1 (half up)
    [375n, 4000, 2n], // exactly 1.5 → 2
    [1n, 499_999, 0n],
    [1n, 500_000, 1n], // exactly half of one fen
    [1n, 1_000_000, 1n],
    [10_000n, 6000, 60n],
    [9_999_999_999n, 3800, 38_000_000n], // 37 999 999.9962 → 38 000 000
    [1n, 0, 0n],
  ])('fee(%s, %s ppm) = %s', (amount, ppm, fee) => {
    expect(feeFor(amount, ppm)).toBe(fee);
  });

  it('never loses precision on amounts beyond 2^53', () => {
    const amount = 2n ** 60n + 1n;
    expect(feeFor(amount, 1_000_000)).toBe(amount);
    expect(feeFor(amount, 500_000)).toBe(2n ** 59n + 1n); // x.5 rounds up
  });

  it('rounds negative values half away from zero', () => {
    expect(divideRoundHalfUp(-5n, 10n)).toBe(-1n);
    expect(divideRoundHalfUp(-4n, 10n)).toBe(0n);
  });

  it('refuses rates that are not integral ppm in range', () => {
    expect(() => feeFor(100n, 3800.5)).toThrow(RangeError);
    expect(() => feeFor(100n, -1)).toThrow(RangeError);
    expect(() => feeFor(100n, 1_000_001)).toThrow(RangeError);
  });

  it('keeps the channel cost at or below the merchant fee for any amount when the rates are ordered', () => {
    for (let amount = 1n; amount < 5_000n; amount += 7n) {
      expect(feeFor(amount, 2500) <= feeFor(amount, 3800)).toBe(true);
    }
  });
});

describe('edge conversions', () => {
  it('formats minor units', () => {
    expect(formatMinor(1234n)).toBe('12.34');
    expect(formatMinor(5n)).toBe('0.05');
    expect(formatMinor(-105n)).toBe('-1.05');
    expect(formatMinor(0n)).toBe('0.00');
  });

  it('accepts only safe integers from JSON', () => {
    expect(toMinorUnits(100)).toBe(100n);
    expect(toMinorUnits(1.5)).toBeNull();
    expect(toMinorUnits('100')).toBeNull();
    expect(toMinorUnits(2 ** 53)).toBeNull();
    expect(toJsonAmount(2n ** 53n - 1n)).toBe(2 ** 53 - 1);
    expect(() => toJsonAmount(2n ** 53n)).toThrow(RangeError);
  });
});

describe('parseMinor', () => {
  it('reads decimal text into minor units exactly, the inverse of formatMinor', () => {
    for (const amount of [0n, 1n, 10n, 1234n, 9_999_999_999n, 900_719_925_474_099n]) {
      expect(parseMinor(formatMinor(amount))).toBe(amount);
    }
    expect(parseMinor('0.1')).toBe(10n);
    expect(parseMinor('7')).toBe(700n);
    for (const bad of ['', '.5', '1.', '1.234', '-1', '+1', '1e2', ' 1', '1,00', '0x1']) {
      expect(parseMinor(bad)).toBeNull();
    }
  });
});
