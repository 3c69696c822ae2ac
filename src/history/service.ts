import type { Db } from '../db/index.ts';
import {
  type ArchivedMonth,
  addMonths,
  archiveMonth,
  HISTORY_TABLES,
  type MonthPartition,
  monthLabel,
  monthPartitions,
  monthStart,
  type Progress,
  prepareMonths,
  restoreMonth,
} from '../db/partitions.ts';
import { type HistorySettings, loadHistorySettings, saveHistorySettings } from './settings.ts';

/** A restored month stays this long before the retention archives it again. */
export const RESTORED_KEPT_DAYS = 30;

export interface HistoryMonth extends MonthPartition {
  /** Whether the retention archives it at the next run. */
  due: boolean;
}

/**
 * The history tables' months (migration 048, src/db/partitions.ts) as operations sees them: the
 * months ahead prepared, the months past the retention archived to files under the archive
 * directory, and an archived month restored on demand (`qingyun history restore`).
 */
export class HistoryService {
  constructor(
    private readonly db: Db,
    private readonly deps: { archiveDir: string },
  ) {}

  settings(): Promise<HistorySettings> {
    return loadHistorySettings(this.db);
  }

  async saveSettings(settings: HistorySettings): Promise<HistorySettings> {
    await saveHistorySettings(this.db, settings);
    return this.settings();
  }

  /** Every month partition of every history table, with whether the retention will archive it. */
  async months(now = new Date()): Promise<HistoryMonth[]> {
    const { retentionMonths } = await this.settings();
    const keepFrom = monthLabel(addMonths(monthStart(now), -retentionMonths));
    const restoredSince = new Date(now.getTime() - RESTORED_KEPT_DAYS * 86_400_000);
    const months: HistoryMonth[] = [];
    for (const table of HISTORY_TABLES) {
      for (const p of await monthPartitions(this.db, table)) {
        const recentlyRestored = p.restoredAt !== null && p.restoredAt > restoredSince;
        months.push({ ...p, due: retentionMonths > 0 && p.month < keepFrom && !recentlyRestored });
      }
    }
    return months;
  }

  /**
   * The `archive-history` job: the months ahead prepared, then every month past the retention
   * archived and dropped, oldest first. Each month is its own step: a failure leaves it for the
   * next run and the others go on.
   */
  async archiveDue(
    now = new Date(),
    progress?: (month: MonthPartition) => Progress,
  ): Promise<ArchivedMonth[]> {
    await prepareMonths(this.db, now);
    const archived: ArchivedMonth[] = [];
    const failures: unknown[] = [];
    for (const month of await this.months(now)) {
      if (!month.due) continue;
      try {
        archived.push(await archiveMonth(this.db, month, this.deps.archiveDir, progress?.(month)));
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) {
      throw new AggregateError(
        failures,
        `${failures.length} history month(s) not archived; the next run tries again`,
      );
    }
    return archived;
  }

  restore(file: string, progress?: Progress): Promise<ArchivedMonth> {
    return restoreMonth(this.db, file, progress);
  }
}
