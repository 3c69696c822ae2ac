import { z } from 'zod';
import type { Queryable } from '../db/index.ts';
import { getSetting, putSetting } from '../settings/queries.ts';

/**
 * `exports.maxRows` (platform_setting): the most rows one export may hold; a larger one is refused
 * before anything is written (INVALID_REQUEST, reason export_too_large, with the limit). Read on
 * every export, so every node sees an operator's change at once.
 */
export const MAX_ROWS_SETTING = 'exports.maxRows';
export const DEFAULT_MAX_ROWS = 100_000;
/** Below this an export is hardly worth a file; above it a workbook outgrows what Excel opens comfortably. */
export const MIN_MAX_ROWS = 1_000;
export const MAX_MAX_ROWS = 1_000_000;

export const maxRowsSchema = z.number().int().min(MIN_MAX_ROWS).max(MAX_MAX_ROWS);

/** The settings as an operator sets them. */
export const exportSettingsSchema = z.object({ maxRows: maxRowsSchema }).strict();
export type ExportSettings = z.infer<typeof exportSettingsSchema>;

/** The limit, falling back to the default when unset or unreadable (a bad row must not stop exports). */
export async function loadExportSettings(q: Queryable): Promise<ExportSettings> {
  const stored = await getSetting(q, MAX_ROWS_SETTING);
  const parsed = stored === null ? undefined : maxRowsSchema.safeParse(Number(stored)).data;
  return { maxRows: parsed ?? DEFAULT_MAX_ROWS };
}

export async function saveExportSettings(q: Queryable, settings: ExportSettings): Promise<void> {
  await putSetting(q, MAX_ROWS_SETTING, String(exportSettingsSchema.parse(settings).maxRows));
}
