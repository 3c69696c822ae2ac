import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { AppError } from '../errors.ts';
import type { ImportProblem } from './import-queries.ts';
import type { MemberType } from './queries.ts';

/**
 * The member import file (会员批量导入): its columns with the template's Chinese headers, reading a
 * CSV or XLSX into rows of text, the checks of one row, and the result file (回盘文件). Pure: no
 * database, no secrets.
 */

/** The most data rows one file may hold. */
export const MAX_IMPORT_ROWS = 5_000;
/** The largest file accepted: 5 000 rows of ten short cells stay far below it. */
export const MAX_IMPORT_BYTES = 4 * 1024 * 1024;

export const IMPORT_COLUMNS = [
  { key: 'bizUserId', header: '外部会员号', required: true },
  { key: 'type', header: '会员类型', required: true },
  { key: 'name', header: '姓名/企业名称', required: true },
  { key: 'phone', header: '手机号', required: true },
  { key: 'idNo', header: '证件号码', required: true },
  { key: 'legalPersonName', header: '法人姓名', required: true },
  { key: 'cardNo', header: '银行卡号', required: true },
  { key: 'bankName', header: '开户行', required: true },
  { key: 'bankBranch', header: '开户支行', required: false },
  { key: 'cardPhone', header: '预留手机号', required: true },
] as const;
export type ImportField = (typeof IMPORT_COLUMNS)[number]['key'];
export type RawImportRow = Record<ImportField, string> & { lineNo: number };

const TYPE_WORDS: Record<string, MemberType> = {
  个人: 'personal',
  个人会员: 'personal',
  personal: 'personal',
  企业: 'enterprise',
  企业会员: 'enterprise',
  enterprise: 'enterprise',
};

export function memberTypeOf(word: string): MemberType | undefined {
  return TYPE_WORDS[word.trim().toLowerCase()] ?? TYPE_WORDS[word.trim()];
}

// ---------- reading ----------

/** Which format the bytes are: an XLSX is a zip (PK\x03\x04); anything else is read as CSV text. */
export function formatOf(bytes: Buffer): 'csv' | 'xlsx' {
  return bytes.length >= 4 && bytes.readUInt32BE(0) === 0x504b0304 ? 'xlsx' : 'csv';
}

/**
 * The file's data rows as text, by the template's headers (matched after trimming; extra columns
 * are ignored, a missing required column refuses the whole file). Blank rows are skipped; each row
 * keeps its line in the file (the header is line 1), which the reports and the result file name.
 */
export async function readImportFile(bytes: Buffer, format: 'csv' | 'xlsx'): Promise<RawImportRow[]> {
  const grid = format === 'xlsx' ? await readXlsx(bytes) : await readCsv(bytes);
  const [header, ...body] = grid;
  const headers = (header ?? []).map((h) => h.replace(/^\uFEFF/, '').trim());
  const at = new Map<ImportField, number>();
  for (const column of IMPORT_COLUMNS) {
    const index = headers.indexOf(column.header);
    if (index >= 0) at.set(column.key, index);
    else if (column.required) {
      throw new AppError('IMPORT_FILE_INVALID', `the column ${column.header} is missing`, {
        reason: 'missing_column',
        column: column.header,
      });
    }
  }
  const rows: RawImportRow[] = [];
  body.forEach((cells, i) => {
    if (cells.every((c) => c.trim() === '')) return;
    const row = { lineNo: i + 2 } as RawImportRow;
    for (const column of IMPORT_COLUMNS) {
      const index = at.get(column.key);
      row[column.key] = index === undefined ? '' : (cells[index] ?? '').trim();
    }
    rows.push(row);
  });
  if (rows.length === 0)
    throw new AppError('IMPORT_FILE_INVALID', 'the file has no data rows', { reason: 'no_rows' });
  if (rows.length > MAX_IMPORT_ROWS) {
    throw new AppError('IMPORT_FILE_INVALID', `at most ${MAX_IMPORT_ROWS} rows`, {
      reason: 'too_many_rows',
      maxRows: MAX_IMPORT_ROWS,
    });
  }
  return rows;
}

const unreadable = (error: unknown) =>
  new AppError('IMPORT_FILE_INVALID', `the file cannot be read: ${(error as Error).message}`, {
    reason: 'unreadable',
  });

async function readXlsx(bytes: Buffer): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (error) {
    throw unreadable(error);
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) return [];
  const grid: string[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row, rowNumber) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => {
      cells[col - 1] = cellText(cell.value);
    });
    grid[rowNumber - 1] = Array.from(cells, (c) => c ?? '');
  });
  return Array.from(grid, (r) => r ?? []);
}

/**
 * A cell as the text the merchant typed. A number typed into a cell not formatted as text comes
 * back as a number: a long one (an ID or card number) has lost digits by then, and its check digit
 * tells the row so.
 */
function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('text' in value && typeof value.text === 'string') return value.text;
  if ('result' in value) return cellText(value.result as ExcelJS.CellValue);
  return '';
}

/**
 * CSV by RFC 4180 through exceljs' reader (fast-csv underneath), every cell kept as text (its
 * default turns digits into numbers, which would cut an ID number). UTF-8 with or without a BOM.
 */
async function readCsv(bytes: Buffer): Promise<string[][]> {
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  if (text.includes('\uFFFD')) {
    throw unreadable(new Error('not UTF-8 text'));
  }
  const workbook = new ExcelJS.Workbook();
  try {
    const sheet = await workbook.csv.read(Readable.from([text]), {
      map: (value: string) => value,
      parserOptions: { ignoreEmpty: false, strictColumnHandling: false },
    } as unknown as ExcelJS.CsvReadOptions);
    const grid: string[][] = [];
    sheet.eachRow({ includeEmpty: true }, (row, rowNumber) => {
      const values = (row.values as unknown[]).slice(1);
      grid[rowNumber - 1] = values.map((v) => (v === null || v === undefined ? '' : String(v)));
    });
    return Array.from(grid, (r) => r ?? []);
  } catch (error) {
    throw unreadable(error);
  }
}

// ---------- checks ----------

export interface CheckedRow {
  lineNo: number;
  bizUserId: string;
  type: MemberType | null;
  typeWord: string;
  name: string;
  phone: string;
  idNo: string;
  legalPersonName: string;
  cardNo: string;
  bankName: string;
  bankBranch: string;
  cardPhone: string;
  problems: ImportProblem[];
}

const BIZ_USER_ID = /^[A-Za-z0-9_\-.@]{1,64}$/;
const MOBILE = /^1\d{10}$/;

/**
 * The checks of every row on its own and against the rows before it (a repeated bizUserId) and
 * the app's members (`existing`). Every problem of a row is listed, not only the first.
 */
export function checkRows(rows: RawImportRow[], existing: Set<string>): CheckedRow[] {
  const seen = new Set<string>();
  return rows.map((raw) => {
    const problems: ImportProblem[] = [];
    const problem = (field: ImportField, code: string) => problems.push({ field, code });
    const type = memberTypeOf(raw.type) ?? null;
    const idNo = raw.idNo.replace(/\s+/g, '').toUpperCase();
    const cardNo = raw.cardNo.replace(/\s+/g, '');
    const cardPhone = raw.cardPhone || raw.phone;
    for (const column of IMPORT_COLUMNS) {
      // The legal person is required of companies only; the reserved phone falls back to the phone.
      if (column.key === 'legalPersonName' || column.key === 'cardPhone' || !column.required) continue;
      if (raw[column.key] === '') problem(column.key, 'IMPORT_FIELD_MISSING');
    }
    if (raw.bizUserId !== '') {
      if (!BIZ_USER_ID.test(raw.bizUserId)) problem('bizUserId', 'IMPORT_BIZ_USER_ID_INVALID');
      else if (seen.has(raw.bizUserId)) problem('bizUserId', 'IMPORT_DUPLICATE_IN_FILE');
      else if (existing.has(raw.bizUserId)) problem('bizUserId', 'IMPORT_MEMBER_EXISTS');
      seen.add(raw.bizUserId);
    }
    if (raw.type !== '' && !type) problem('type', 'IMPORT_MEMBER_TYPE_INVALID');
    if (raw.name.length > 100) problem('name', 'IMPORT_NAME_INVALID');
    if (raw.phone !== '' && !MOBILE.test(raw.phone)) problem('phone', 'IMPORT_PHONE_INVALID');
    if (idNo !== '' && type && !(type === 'personal' ? isResidentIdNo(idNo) : isCreditCode(idNo)))
      problem('idNo', 'IMPORT_ID_NO_INVALID');
    if (type === 'enterprise' && raw.legalPersonName === '')
      problem('legalPersonName', 'IMPORT_FIELD_MISSING');
    if (type === 'personal' && raw.legalPersonName !== '')
      problem('legalPersonName', 'IMPORT_LEGAL_PERSON_INVALID');
    // A personal debit card carries a Luhn check digit; a company's settlement account number does not.
    if (cardNo !== '' && !(type === 'enterprise' ? /^\d{12,30}$/.test(cardNo) : isCardNo(cardNo)))
      problem('cardNo', 'IMPORT_CARD_NO_INVALID');
    if (cardPhone === '') problem('cardPhone', 'IMPORT_FIELD_MISSING');
    else if (raw.cardPhone !== '' && !MOBILE.test(raw.cardPhone))
      problem('cardPhone', 'IMPORT_PHONE_INVALID');
    return {
      lineNo: raw.lineNo,
      bizUserId: raw.bizUserId,
      type,
      typeWord: raw.type,
      name: raw.name,
      phone: raw.phone,
      idNo,
      legalPersonName: raw.legalPersonName,
      cardNo,
      bankName: raw.bankName,
      bankBranch: raw.bankBranch,
      cardPhone,
      problems,
    };
  });
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** An 18-character resident ID number (GB 11643): a real date of birth and its check character. */
export function isResidentIdNo(idNo: string): boolean {
  if (!/^\d{17}[\dX]$/.test(idNo)) return false;
  const birth = `${idNo.slice(6, 10)}-${idNo.slice(10, 12)}-${idNo.slice(12, 14)}`;
  const date = new Date(`${birth}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== birth) return false;
  const sum = ID_WEIGHTS.reduce((s, w, i) => s + w * Number(idNo[i]), 0);
  return ID_CHECK[sum % 11] === idNo[17];
}

const CREDIT_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** An 18-character unified social credit code (GB 32100): its alphabet and check character. */
export function isCreditCode(code: string): boolean {
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(code)) return false;
  const sum = CREDIT_WEIGHTS.reduce((s, w, i) => s + w * CREDIT_CHARS.indexOf(code[i]!), 0);
  return CREDIT_CHARS[(31 - (sum % 31)) % 31] === code[17];
}

/** A bank card number: 12–19 digits with a valid Luhn check digit. */
export function isCardNo(cardNo: string): boolean {
  if (!/^\d{12,19}$/.test(cardNo)) return false;
  let sum = 0;
  for (let i = 0; i < cardNo.length; i++) {
    let d = Number(cardNo[cardNo.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

// ---------- template and result file ----------

/** Chinese sentences of the row codes, for the result file (the consoles have their own, in both languages). */
export const ROW_MESSAGES_ZH: Record<string, string> = {
  IMPORT_FIELD_MISSING: '必填项为空',
  IMPORT_BIZ_USER_ID_INVALID: '外部会员号只能是 1–64 位字母、数字或 _ - . @',
  IMPORT_MEMBER_TYPE_INVALID: '会员类型只能填“个人”或“企业”',
  IMPORT_NAME_INVALID: '姓名/企业名称不能超过 100 个字',
  IMPORT_PHONE_INVALID: '手机号不是有效的 11 位大陆手机号',
  IMPORT_ID_NO_INVALID: '证件号码的校验位不对',
  IMPORT_LEGAL_PERSON_INVALID: '个人会员不填法人姓名',
  IMPORT_DUPLICATE_IN_FILE: '外部会员号在本文件中重复',
  IMPORT_MEMBER_EXISTS: '该应用已有这个外部会员号的会员',
  IMPORT_CARD_NO_INVALID: '银行卡号的位数或校验位不对',
  MEMBER_EXISTS: '该应用已有这个外部会员号的会员',
  MEMBER_VERIFY_FAILED: '实名认证未通过：姓名、证件号码、银行卡或手机号不一致',
};

export const rowMessageZh = (code: string) => ROW_MESSAGES_ZH[code] ?? '处理失败';

const FIELD_HEADER = Object.fromEntries(IMPORT_COLUMNS.map((c) => [c.key, c.header])) as Record<
  string,
  string
>;

/** The report of a row's problems in one line: `证件号码：证件号码的校验位不对；…`. */
export function problemsText(problems: ImportProblem[]): string {
  return problems.map((p) => `${FIELD_HEADER[p.field] ?? p.field}：${rowMessageZh(p.code)}`).join('；');
}

const TEMPLATE_EXAMPLE_NOTE =
  '每行一位会员；会员类型填“个人”或“企业”；企业须填法人姓名；预留手机号不填时用手机号';

export interface FileOut {
  body: Buffer;
  contentType: string;
  extension: 'csv' | 'xlsx';
}

const CSV_TYPE = 'text/csv; charset=utf-8';
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A sheet of text: every column formatted as text, so Excel keeps long numbers whole. */
export async function sheetFile(
  format: 'csv' | 'xlsx',
  sheetName: string,
  headers: string[],
  rows: string[][],
  note?: string,
): Promise<FileOut> {
  if (format === 'csv') {
    // A byte-order mark: Excel opens a UTF-8 CSV as UTF-8 only with one.
    const text = `\uFEFF${stringify([headers, ...rows])}`;
    return { body: Buffer.from(text, 'utf8'), contentType: CSV_TYPE, extension: 'csv' };
  }
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(sheetName);
  sheet.columns = headers.map((header) => ({
    header,
    width: Math.max(12, header.length * 2 + 4),
    style: { numFmt: '@' },
  }));
  sheet.getRow(1).font = { bold: true };
  for (const row of rows) sheet.addRow(row);
  if (note) workbook.addWorksheet('填写说明').addRow([note]);
  return { body: Buffer.from(await workbook.xlsx.writeBuffer()), contentType: XLSX_TYPE, extension: 'xlsx' };
}

/** The empty template with the headers, in either format. */
export function templateFile(format: 'csv' | 'xlsx'): Promise<FileOut> {
  return sheetFile(
    format,
    '会员导入',
    IMPORT_COLUMNS.map((c) => c.header),
    [],
    format === 'xlsx' ? TEMPLATE_EXAMPLE_NOTE : undefined,
  );
}

export const RESULT_HEADERS = [
  '行号',
  ...IMPORT_COLUMNS.map((c) => c.header),
  '处理结果',
  '会员编号',
  '错误码',
  '错误信息',
];
