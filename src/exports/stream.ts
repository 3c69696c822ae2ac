import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { FastifyReply } from 'fastify';
import { AppError } from '../errors.ts';
import { formatMinor } from '../money/money.ts';

export const EXPORT_FORMATS = ['csv', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Rows read per query: small enough that a page never weighs on memory, large enough to keep round trips few. */
export const EXPORT_PAGE_ROWS = 2_000;
/** The response header with the number of rows the file holds, so a console can show progress. */
export const ROWS_HEADER = 'x-export-rows';

/** An amount in minor units, written as yuan with two decimals (formatted from the bigint, never a float sum). */
export interface Yuan {
  readonly minor: bigint;
}
export const yuan = (minor: bigint): Yuan => ({ minor });

/** One cell: words, a count, an amount, or empty. */
export type ExportCell = string | number | Yuan | null;

export interface ExportColumn<Row> {
  key: string;
  /** The header as the consoles word it (Chinese), never a code. */
  header: string;
  cell: (row: Row) => ExportCell;
  /** An amount column: shown with two decimals in a workbook. */
  money?: boolean;
}

export interface ExportSpec<Row> {
  /** The file's name without its extension, in ASCII (e.g. `orders-20261206-1030`). */
  fileName: string;
  sheetName: string;
  format: ExportFormat;
  columns: ExportColumn<Row>[];
  /** The rows the file holds (counted before): sent as `x-export-rows`. */
  total: number;
  /** The rows, a page at a time (see keysetPages). */
  pages: AsyncIterable<Row[]>;
}

/** Refuses an export of more rows than the limit, before a byte of it is written. */
export function assertWithinLimit(count: number, limit: number): void {
  if (count > limit) {
    throw new AppError('INVALID_REQUEST', `the export has ${count} rows; at most ${limit}`, {
      reason: 'export_too_large',
      limit,
    });
  }
}

/**
 * Reads rows in keyset pages (`WHERE id > $after ORDER BY id LIMIT n`: no cursor, so the same on
 * PGlite and PostgreSQL, and no page is slower than the first), stopping after `maxRows` so rows
 * added since the count never make the file longer than announced.
 */
export async function* keysetPages<Row>(
  readPage: (afterId: bigint, limit: number) => Promise<Row[]>,
  idOf: (row: Row) => bigint,
  maxRows: number,
  pageRows = EXPORT_PAGE_ROWS,
): AsyncGenerator<Row[]> {
  let afterId = 0n;
  let read = 0;
  while (read < maxRows) {
    const want = Math.min(pageRows, maxRows - read);
    const rows = await readPage(afterId, want);
    if (rows.length === 0) return;
    yield rows;
    read += rows.length;
    if (rows.length < want) return;
    afterId = idOf(rows[rows.length - 1]!);
  }
}

/** Turns each page of rows into another (e.g. with the names read once per page). */
export async function* mapPages<A, B>(pages: AsyncIterable<A[]>, map: (rows: A[]) => Promise<B[]> | B[]) {
  for await (const rows of pages) yield await map(rows);
}

/**
 * A cell as CSV text. Text that a spreadsheet would read as a formula (=, +, -, @, a tab or a carriage
 * return first: a payer's subject or a merchant's order number can be anything) is kept as text by a
 * leading apostrophe, as OWASP's CSV injection advice says.
 */
export const csvText = (value: ExportCell): string | null => {
  if (value === null) return null;
  if (typeof value === 'string') return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  if (typeof value === 'number') return String(value);
  return formatMinor(value.minor);
};

const xlsxValue = (value: ExportCell): string | number | null => {
  if (value === null || typeof value === 'string' || typeof value === 'number') return value;
  // The cell holds the exact two-decimal figure; Excel keeps it as a number so a user can sum it.
  return Number(formatMinor(value.minor));
};

/**
 * Streams the export to the reply as CSV (with a byte-order mark, so Excel reads the UTF-8) or XLSX
 * (exceljs' streaming WorkbookWriter, each row committed as it goes). One page is in memory at a time:
 * the next is read only when the client has taken the last (backpressure).
 */
export function sendExport<Row>(reply: FastifyReply, spec: ExportSpec<Row>): FastifyReply {
  reply
    .header('content-disposition', `attachment; filename="${spec.fileName}.${spec.format}"`)
    .header('cache-control', 'no-store')
    .header(ROWS_HEADER, String(spec.total));
  if (spec.format === 'csv') {
    reply.type('text/csv; charset=utf-8');
    return reply.send(Readable.from(csvChunks(spec), { objectMode: false }));
  }
  reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  const out = new PassThrough();
  writeWorkbook(spec, out).catch((error: unknown) => {
    reply.log.error({ err: error }, 'export failed while streaming');
    out.destroy(error as Error);
  });
  return reply.send(out);
}

async function* csvChunks<Row>(spec: ExportSpec<Row>): AsyncGenerator<Buffer> {
  yield Buffer.from(`\uFEFF${stringify([spec.columns.map((c) => c.header)])}`);
  for await (const rows of spec.pages) {
    yield Buffer.from(stringify(rows.map((row) => spec.columns.map((c) => csvText(c.cell(row))))));
  }
}

async function writeWorkbook<Row>(spec: ExportSpec<Row>, out: PassThrough): Promise<void> {
  // Loaded at the first Excel export: most processes never write one, and exceljs is ~20 MB resident.
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: false,
  });
  const sheet = workbook.addWorksheet(spec.sheetName);
  sheet.columns = spec.columns.map((c) => ({
    header: c.header,
    key: c.key,
    width: Math.max(12, c.header.length * 2 + 4),
    ...(c.money ? { style: { numFmt: '0.00' } } : {}),
  }));
  for await (const rows of spec.pages) {
    if (out.destroyed) return;
    for (const row of rows) {
      sheet.addRow(spec.columns.map((c) => xlsxValue(c.cell(row)))).commit();
    }
    // Let the zip stream compress what was committed, then wait while the client is behind.
    await new Promise((resolve) => setImmediate(resolve));
    while (!out.destroyed && out.writableNeedDrain) {
      await Promise.race([once(out, 'drain'), once(out, 'close')]);
    }
  }
  sheet.commit();
  await workbook.commit();
}
