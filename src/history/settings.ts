import { z } from 'zod';
import type { Queryable } from '../db/index.ts';
import { getSetting, putSetting } from '../settings/queries.ts';

/**
 * `history.retentionMonths` (platform_setting): how many months of order events, channel notifies,
 * merchant notify attempts and audit rows stay in the database; older months are archived to files
 * and dropped by the `archive-history` job. 0 keeps everything (the default). Otherwise at least
 * 12: PCI DSS 10.5.1 keeps a year of audit history.
 */
export const RETENTION_SETTING = 'history.retentionMonths';
export const MIN_RETENTION_MONTHS = 12;
export const MAX_RETENTION_MONTHS = 120;

export const retentionMonthsSchema = z.union([
  z.literal(0),
  z.number().int().min(MIN_RETENTION_MONTHS).max(MAX_RETENTION_MONTHS),
]);
export const historySettingsSchema = z.object({ retentionMonths: retentionMonthsSchema }).strict();
export type HistorySettings = z.infer<typeof historySettingsSchema>;

export async function loadHistorySettings(q: Queryable): Promise<HistorySettings> {
  const stored = await getSetting(q, RETENTION_SETTING);
  const parsed = stored === null ? undefined : retentionMonthsSchema.safeParse(Number(stored)).data;
  return { retentionMonths: parsed ?? 0 };
}

export async function saveHistorySettings(q: Queryable, settings: HistorySettings): Promise<void> {
  await putSetting(q, RETENTION_SETTING, String(historySettingsSchema.parse(settings).retentionMonths));
}
