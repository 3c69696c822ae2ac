import { describe, expect, it } from 'vitest';
import { addBusinessDays, dueCutoff, isBusinessDay, settleDate, weekday } from './calendar.ts';

// 2026-01-02 is a Friday.
const none = new Map<string, 'holiday' | 'workday'>();
const cn = new Map<string, 'holiday' | 'workday'>([
  ['2026-01-05', 'holiday'], // Monday off
  ['2026-01-10', 'workday'], // Saturday worked (调休)
]);

describe('settlement calendar', () => {
  it('knows weekdays, holidays and make-up working days', () => {
    expect(weekday('2026-01-02')).toBe(5);
    expect(isBusinessDay('2026-01-02', none)).toBe(true);
    expect(isBusinessDay('2026-01-03', none)).toBe(false);
    expect(isBusinessDay('2026-01-05', cn)).toBe(false);
    expect(isBusinessDay('2026-01-10', cn)).toBe(true);
  });

  it('D0 and D1 settle the next calendar day, across weekends', () => {
    expect(settleDate('2026-01-02', 'D1', 1, cn)).toBe('2026-01-03');
    expect(settleDate('2026-01-02', 'D0', 1, cn)).toBe('2026-01-03');
  });

  it('T1 skips the weekend and a holiday', () => {
    expect(settleDate('2026-01-02', 'T1', 1, none)).toBe('2026-01-05');
    expect(settleDate('2026-01-02', 'T1', 1, cn)).toBe('2026-01-06');
  });

  it('TN counts business days, a make-up working day included', () => {
    expect(settleDate('2026-01-08', 'TN', 2, none)).toBe('2026-01-12');
    expect(settleDate('2026-01-08', 'TN', 2, cn)).toBe('2026-01-10');
    expect(addBusinessDays('2026-01-02', 3, cn)).toBe('2026-01-08');
  });

  it('the due cutoff agrees with the settle date for every paid day', () => {
    for (const overrides of [none, cn]) {
      for (const cycle of ['D1', 'T1', 'TN'] as const) {
        for (let n = 1; n <= (cycle === 'TN' ? 4 : 1); n++) {
          for (let p = 0; p < 20; p++) {
            const paid = `2026-01-${String(1 + p).padStart(2, '0')}`;
            const settles = settleDate(paid, cycle, n, overrides);
            for (let d = 0; d < 25; d++) {
              const today = `2026-01-${String(1 + d).padStart(2, '0')}`;
              const due = paid < dueCutoff(today, cycle, n, overrides);
              expect(due, `${cycle}${n} paid ${paid} today ${today}`).toBe(settles <= today);
            }
          }
        }
      }
    }
  });
});
