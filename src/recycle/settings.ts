import { z } from 'zod';
import type { Queryable } from '../db/index.ts';
import { getSetting, putSetting } from '../settings/queries.ts';

/**
 * `recycle.retentionDays` (platform_setting): how many days a deleted row stays in the recycle bin
 * before the `recycle-purge` job removes it for good (what money refers to is never removed). Read
 * at every run, so every node sees an operator's change at once.
 */
export const RETENTION_SETTING = 'recycle.retentionDays';
export const DEFAULT_RETENTION_DAYS = 30;
export const MIN_RETENTION_DAYS = 1;
export const MAX_RETENTION_DAYS = 3650;

export const retentionDaysSchema = z.number().int().min(MIN_RETENTION_DAYS).max(MAX_RETENTION_DAYS);
export const recycleSettingsSchema = z.object({ retentionDays: retentionDaysSchema }).strict();
export type RecycleSettings = z.infer<typeof recycleSettingsSchema>;

/** The retention, falling back to the default when unset or unreadable. */
export async function loadRecycleSettings(q: Queryable): Promise<RecycleSettings> {
  const stored = await getSetting(q, RETENTION_SETTING);
  const parsed = stored === null ? undefined : retentionDaysSchema.safeParse(Number(stored)).data;
  return { retentionDays: parsed ?? DEFAULT_RETENTION_DAYS };
}

export async function saveRecycleSettings(q: Queryable, settings: RecycleSettings): Promise<void> {
  await putSetting(q, RETENTION_SETTING, String(recycleSettingsSchema.parse(settings).retentionDays));
}
