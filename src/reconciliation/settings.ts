import { z } from 'zod';
import type { Queryable } from '../db/index.ts';
import { getSetting, putSetting } from '../settings/queries.ts';

/**
 * Reconciliation's platform settings (platform_setting rows, each read on every run so every node
 * sees a change at once):
 * - `reconciliation.carryMinutes` (default 10): our records booked in the last minutes of a day
 *   are carried to the next days' statements instead of being flagged at once, since the channel's
 *   clock may put them on the next day;
 * - `reconciliation.carryDays` (default 3): a carried record that no statement has after this many
 *   days is flagged platform_only;
 * - `reconciliation.runAt` (default `{"default":"10:00"}`): when the daily job fetches yesterday's
 *   statement, per adapter code (`"alipay":"09:30"`), in the platform's time zone; channels
 *   publish a day's statement in the morning of the next.
 */
export const CARRY_MINUTES_SETTING = 'reconciliation.carryMinutes';
export const CARRY_DAYS_SETTING = 'reconciliation.carryDays';
export const RUN_AT_SETTING = 'reconciliation.runAt';

export const DEFAULT_CARRY_MINUTES = 10;
export const DEFAULT_CARRY_DAYS = 3;
export const DEFAULT_RUN_AT = '10:00';

const HH_MM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day (HH:mm)');
const carryMinutes = z.coerce.number().int().min(0).max(720);
const carryDays = z.coerce.number().int().min(1).max(30);
const runAt = z.record(
  z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be an adapter code or default'),
  HH_MM,
);

/** The settings as an operator sets them (all three at once). */
export const settingsSchema = z
  .object({
    carryMinutes: z.number().int().min(0).max(720),
    carryDays: z.number().int().min(1).max(30),
    runAt,
  })
  .strict();

export interface ReconciliationSettings {
  carryMinutes: number;
  carryDays: number;
  /** Adapter code (or `default`) → `HH:mm`. */
  runAt: Record<string, string>;
}

/** The settings, each falling back to its default when unset or unreadable (an operator's typo must not stop the job). */
export async function loadSettings(q: Queryable): Promise<ReconciliationSettings> {
  const [minutes, days, times] = await Promise.all([
    getSetting(q, CARRY_MINUTES_SETTING),
    getSetting(q, CARRY_DAYS_SETTING),
    getSetting(q, RUN_AT_SETTING),
  ]);
  const parsedTimes = times === null ? undefined : runAt.safeParse(safeJson(times));
  return {
    carryMinutes:
      minutes === null
        ? DEFAULT_CARRY_MINUTES
        : (carryMinutes.safeParse(minutes).data ?? DEFAULT_CARRY_MINUTES),
    carryDays: days === null ? DEFAULT_CARRY_DAYS : (carryDays.safeParse(days).data ?? DEFAULT_CARRY_DAYS),
    runAt: { default: DEFAULT_RUN_AT, ...(parsedTimes?.success ? parsedTimes.data : {}) },
  };
}

/** Minutes after midnight of `HH:mm`. */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function saveSettings(q: Queryable, settings: ReconciliationSettings): Promise<void> {
  await putSetting(q, CARRY_MINUTES_SETTING, String(settings.carryMinutes));
  await putSetting(q, CARRY_DAYS_SETTING, String(settings.carryDays));
  await putSetting(q, RUN_AT_SETTING, JSON.stringify(settings.runAt));
}
