import { describe, expect, it } from 'vitest';
import { maskAccountNo } from './cards.ts';
import {
  assertRules,
  clockMinutes,
  DEFAULT_WITHDRAWAL_RULES,
  inWithdrawalWindow,
  mergeRules,
  type RuleOverrides,
  withdrawalFee,
} from './rules.ts';

describe('withdrawal rules', () => {
  it('reads HH:mm with 24:00 as the end of the day, and nothing else', () => {
    expect(clockMinutes('00:00')).toBe(0);
    expect(clockMinutes('09:30')).toBe(570);
    expect(clockMinutes('24:00')).toBe(1440);
    for (const bad of ['24:01', '9:30', '25:00', '12:60', '']) expect(() => clockMinutes(bad)).toThrow();
  });

  it('keeps the window [start, end), wrapping past midnight when start > end', () => {
    expect(inWithdrawalWindow(0, '00:00', '24:00')).toBe(true);
    expect(inWithdrawalWindow(1439, '00:00', '24:00')).toBe(true);
    expect(inWithdrawalWindow(539, '09:00', '17:00')).toBe(false);
    expect(inWithdrawalWindow(540, '09:00', '17:00')).toBe(true);
    expect(inWithdrawalWindow(1020, '09:00', '17:00')).toBe(false);
    expect(inWithdrawalWindow(1380, '22:00', '06:00')).toBe(true);
    expect(inWithdrawalWindow(300, '22:00', '06:00')).toBe(true);
    expect(inWithdrawalWindow(720, '22:00', '06:00')).toBe(false);
    expect(inWithdrawalWindow(720, '08:00', '08:00')).toBe(true);
  });

  it('charges fixed + rate rounded half up, never more than the amount', () => {
    expect(withdrawalFee(10_000n, { fixedFee: 0n, feeRatePpm: 0 })).toBe(0n);
    expect(withdrawalFee(3_333n, { fixedFee: 200n, feeRatePpm: 1_500 })).toBe(205n);
    // 1 000 × 0.05 % = 0.5 → 1 (half up)
    expect(withdrawalFee(1_000n, { fixedFee: 0n, feeRatePpm: 500 })).toBe(1n);
    expect(withdrawalFee(100n, { fixedFee: 500n, feeRatePpm: 0 })).toBe(100n);
  });

  it('takes each override over the default, a null field being the default', () => {
    const o: RuleOverrides = {
      minAmount: 500n,
      maxAmount: null,
      fixedFee: null,
      feeRatePpm: 100,
      windowStart: '09:00',
      windowEnd: '18:00',
      dailyCount: null,
      dailyAmount: null,
      reviewThreshold: 0n,
    };
    expect(mergeRules(DEFAULT_WITHDRAWAL_RULES, o)).toEqual({
      ...Object.fromEntries(
        Object.entries(DEFAULT_WITHDRAWAL_RULES).filter(([k]) => k !== 'cardChangeReview'),
      ),
      minAmount: 500n,
      feeRatePpm: 100,
      windowStart: '09:00',
      windowEnd: '18:00',
      reviewThreshold: 0n,
    });
  });

  it('refuses a minimum above the maximum and a malformed window', () => {
    expect(() => assertRules({ minAmount: 10n, maxAmount: 5n })).toThrow(/maxAmount/);
    expect(() => assertRules({ windowStart: '7:00' })).toThrow(/windowStart/);
    expect(() => assertRules(DEFAULT_WITHDRAWAL_RULES)).not.toThrow();
  });

  it('masks a card number to its first and last four digits', () => {
    expect(maskAccountNo('6222', '1234')).toBe('6222 **** **** 1234');
  });
});
