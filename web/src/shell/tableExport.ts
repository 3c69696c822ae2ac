import { downloadText, saveBlob } from './download.ts';
import { yuanPlain } from './format.ts';

/** One column of an exported table: its heading and its cell. */
export interface ExportColumn<T> {
  title: string;
  /** The cell; for a `money` column the amount in minor units (fen). */
  value: (row: T) => string | number;
  /** Minor units shown as yuan: "12.30" in CSV, a number with two places in Excel. */
  money?: boolean;
}

export type ExportFormat = 'csv' | 'xlsx';

/** A cell quoted when it holds a separator, a quote or a line break (RFC 4180). */
function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The rows as CSV text with a heading line. */
export function toCsv<T>(columns: ExportColumn<T>[], rows: T[]): string {
  const cells = (r: T) =>
    columns.map((c) => {
      const v = c.value(r);
      return csvCell(c.money && typeof v === 'number' ? yuanPlain(v) : v);
    });
  return [columns.map((c) => csvCell(c.title)), ...rows.map(cells)].map((l) => l.join(',')).join('\r\n');
}

/**
 * Saves what a table shows, built in the browser from the rows it already has (these tables have
 * no export endpoint). CSV carries a byte-order mark so Excel reads the Chinese as UTF-8; the Excel
 * writer loads only when someone asks for it.
 */
export async function exportTable<T>(
  format: ExportFormat,
  basename: string,
  columns: ExportColumn<T>[],
  rows: T[],
): Promise<void> {
  if (format === 'csv') {
    downloadText(`${basename}.csv`, `\uFEFF${toCsv(columns, rows)}\r\n`, 'text/csv');
    return;
  }
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(basename.slice(0, 31));
  sheet.columns = columns.map((c) => ({
    header: c.title,
    width: Math.max(12, c.title.length * 2 + 4),
    style: c.money ? { numFmt: '#,##0.00' } : {},
  }));
  for (const r of rows) {
    sheet.addRow(
      columns.map((c) => {
        const v = c.value(r);
        return c.money && typeof v === 'number' ? v / 100 : v;
      }),
    );
  }
  sheet.getRow(1).font = { bold: true };
  const buffer = await workbook.xlsx.writeBuffer();
  saveBlob(
    `${basename}.xlsx`,
    new Blob([buffer], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }),
  );
}
