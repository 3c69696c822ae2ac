import type { FastifyReply } from 'fastify';
import type { Db } from '../db/index.ts';
import { localDateTime } from '../stats/time.ts';
import { type ExportSettings, loadExportSettings, saveExportSettings } from './settings.ts';
import {
  assertWithinLimit,
  type ExportColumn,
  type ExportFormat,
  keysetPages,
  mapPages,
  sendExport,
} from './stream.ts';

/** What a domain's export route gives: its columns, its count and its keyset page, both under the list's filters. */
export interface ExportRequest<Raw, Row> {
  /** The file's name before the time it was made, ASCII (`orders`). */
  name: string;
  /** The worksheet's name (Chinese words are fine). */
  sheet: string;
  format: ExportFormat;
  columns: ExportColumn<Row>[];
  count: () => Promise<number>;
  /** The rows after `afterId` in id order, at most `limit`. */
  page: (afterId: bigint, limit: number) => Promise<Raw[]>;
  idOf: (row: Raw) => bigint;
  /** Turns a page of rows into what the columns read (names looked up once per page). */
  shape: (rows: Raw[]) => Promise<Row[]> | Row[];
}

/**
 * The consoles' exports (CSV and XLSX): the row limit (the `exports.maxRows` setting), the count
 * before anything is written, and the stream of keyset pages. The domains keep their own SQL.
 */
export class ExportService {
  constructor(
    private readonly db: Db,
    readonly timeZone: string,
  ) {}

  settings(): Promise<ExportSettings> {
    return loadExportSettings(this.db);
  }

  async saveSettings(settings: ExportSettings): Promise<ExportSettings> {
    await saveExportSettings(this.db, settings);
    return this.settings();
  }

  /** An instant as the files show it: the platform's wall clock, `YYYY-MM-DD HH:mm:ss`. */
  time = (at: Date | null): string | null => (at === null ? null : localDateTime(at, this.timeZone));

  /** Counts the rows, refuses more than the limit (nothing written), then streams them. */
  async send<Raw, Row>(reply: FastifyReply, request: ExportRequest<Raw, Row>): Promise<FastifyReply> {
    const [{ maxRows }, total] = await Promise.all([this.settings(), request.count()]);
    assertWithinLimit(total, maxRows);
    const stamp = localDateTime(new Date(), this.timeZone).replace(/[-:]/g, '').replace(' ', '-');
    return sendExport(reply, {
      fileName: `${request.name}-${stamp}`,
      sheetName: request.sheet,
      format: request.format,
      columns: request.columns,
      total,
      pages: mapPages(keysetPages(request.page, request.idOf, total), request.shape),
    });
  }
}
