import { addDays } from '../stats/time.ts';
import type { SettlementCycle } from './terms.ts';

/** An operator's entry in the settlement calendar: a holiday, or a make-up working day (调休). */
export type CalendarKind = 'holiday' | 'workday';

/** The operators' exceptions by local date (`YYYY-MM-DD`); every other date follows the week. */
export type CalendarOverrides = ReadonlyMap<string, CalendarKind>;

/** Day of the week of a calendar date: 0 Sunday … 6 Saturday. */
export function weekday(ymd: string): number {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** A business day: Monday to Friday and not a holiday, or a make-up working day. */
export function isBusinessDay(ymd: string, overrides: CalendarOverrides): boolean {
  const kind = overrides.get(ymd);
  if (kind === 'workday') return true;
  if (kind === 'holiday') return false;
  const wd = weekday(ymd);
  return wd >= 1 && wd <= 5;
}

/** The n-th business day after `ymd` (n ≥ 1). */
export function addBusinessDays(ymd: string, n: number, overrides: CalendarOverrides): string {
  let day = ymd;
  for (let left = n; left > 0; ) {
    day = addDays(day, 1);
    if (isBusinessDay(day, overrides)) left--;
  }
  return day;
}

/** Search bound: no cycle reaches further back than this many calendar days. */
export const CALENDAR_LOOKBACK_DAYS = 120;

/**
 * The date an order paid on `paidDay` settles (fully; D0's immediate part settles on the paid day):
 * D0 and D1 the next calendar day, T1 the next business day, TN the n-th business day after.
 */
export function settleDate(
  paidDay: string,
  cycle: SettlementCycle,
  tnDays: number,
  overrides: CalendarOverrides,
): string {
  switch (cycle) {
    case 'D0':
    case 'D1':
      return addDays(paidDay, 1);
    case 'T1':
      return addBusinessDays(paidDay, 1, overrides);
    case 'TN':
      return addBusinessDays(paidDay, tnDays, overrides);
  }
}

/**
 * The first paid day NOT yet fully due on `today`: orders paid on an earlier local day settle
 * today (or settled before). Monotone in the paid day, so one bound per cycle is enough for the
 * set-based job: settleDate(p) ≤ today ⟺ p < cutoff.
 */
export function dueCutoff(
  today: string,
  cycle: SettlementCycle,
  tnDays: number,
  overrides: CalendarOverrides,
): string {
  if (cycle === 'D0' || cycle === 'D1') return today;
  const n = cycle === 'T1' ? 1 : tnDays;
  // The n-th business day counting back from today (inclusive): a day p settles by today exactly
  // when at least n business days lie in (p, today], i.e. p is before that day.
  let day = today;
  let found = 0;
  for (let i = 0; i <= CALENDAR_LOOKBACK_DAYS; i++) {
    if (isBusinessDay(day, overrides)) {
      found++;
      if (found === n) return day;
    }
    day = addDays(day, -1);
  }
  return day;
}
