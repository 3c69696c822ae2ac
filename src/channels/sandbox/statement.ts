import { z } from 'zod';
import { feeFor, formatMinor, MAX_RATE_PPM, parseMinor } from '../../money/money.ts';
import type {
  ChannelStatement,
  StatementFile,
  StatementLine,
  StatementLineStatus,
  StatementTotals,
} from '../types.ts';
import type { SandboxPayment } from './payment-book.ts';

/**
 * The sandbox's daily statement (对账单) of one merchant: a CSV file with a header line, one line per
 * payment or refund the sandbox booked that day (Asia/Shanghai, by the sandbox's own clock), and a
 * footer line with the file's own totals. The sandbox writes it (server.ts, /api/statement/download);
 * the adapter reads a downloaded one with parseStatementCsv, an operator's upload with
 * readStatementFile (without holding its lines). Statement faults make the file disagree with the
 * platform the ways real statements do.
 */

/** The sandbox books by China Standard Time, which has no daylight saving: a fixed +08:00. */
const SHANGHAI_OFFSET_MS = 8 * 3600_000;
export const STATEMENT_HEADER = [
  '渠道交易号',
  '商户订单号',
  '商户退款单号',
  '类型',
  '金额(元)',
  '手续费(元)',
  '时间',
  '状态',
] as const;
const FOOTER_LABEL = '合计';
const KIND_WORDS = { payment: '交易', refund: '退款' } as const;
export const STATEMENT_STATUSES = ['SUCCESS', 'FAILED', 'CLOSED', 'PROCESSING'] as const;
export type StatementStatus = (typeof STATEMENT_STATUSES)[number];
const STATUS_OF: Record<StatementStatus, StatementLineStatus> = {
  SUCCESS: 'success',
  FAILED: 'failed',
  CLOSED: 'closed',
  PROCESSING: 'processing',
};
/** At most this many lines a fault names or adds: enough for any test, too few to bloat a file. */
const MAX_FAULT_ENTRIES = 100;
/** Upper bound of an injected amount or fee change, far below 2^53 so the JSON number stays exact. */
const MAX_FAULT_DELTA = 1_000_000_000_000;

const NUMBER = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'a number of 1-64 of [A-Za-z0-9_.:-]');
const DELTA = z.number().int().min(-MAX_FAULT_DELTA).max(MAX_FAULT_DELTA);

/**
 * Ways a tester makes a statement disagree with the platform. `no` names a payment line by our
 * order number (outTradeNo) and a refund line by our refund number (outRefundNo).
 */
export const statementFaultsSchema = z.strictObject({
  /** Lines left out of the file. */
  dropLines: z.array(NUMBER).max(MAX_FAULT_ENTRIES).optional(),
  /**
   * Successful payment lines the platform never recorded as paid: under one of our order numbers
   * (an order we have but did not see paid) or, without one, a number we never issued.
   */
  extraPayments: z
    .array(
      z.strictObject({ outTradeNo: NUMBER.optional(), amount: z.number().int().min(1).max(MAX_FAULT_DELTA) }),
    )
    .max(MAX_FAULT_ENTRIES)
    .optional(),
  /** Minor units added to a line's amount. */
  amountChanges: z
    .array(z.strictObject({ no: NUMBER, delta: DELTA }))
    .max(MAX_FAULT_ENTRIES)
    .optional(),
  /** A line reported with another status. */
  statusChanges: z
    .array(z.strictObject({ no: NUMBER, status: z.enum(['FAILED', 'CLOSED', 'PROCESSING']) }))
    .max(MAX_FAULT_ENTRIES)
    .optional(),
  /** Minor units added to a line's fee. */
  feeChanges: z
    .array(z.strictObject({ no: NUMBER, delta: DELTA }))
    .max(MAX_FAULT_ENTRIES)
    .optional(),
});
export type StatementFaults = z.infer<typeof statementFaultsSchema>;

/**
 * What a sandbox merchant's statements look like: the fee rate its contract charges (no rate: the
 * file reports no fees) and the faults to inject. Kept per merchant by the sandbox, and sent with a
 * statement request from the channel account's config, which wins.
 */
export const statementSettingsSchema = z.strictObject({
  feeRatePpm: z.number().int().min(0).max(MAX_RATE_PPM).optional(),
  faults: statementFaultsSchema.optional(),
});
export type StatementSettings = z.infer<typeof statementSettingsSchema>;

export interface SandboxStatementLine {
  tradeNo: string;
  outTradeNo: string;
  outRefundNo: string | null;
  kind: 'payment' | 'refund';
  amount: bigint;
  fee: bigint | null;
  at: Date;
  status: StatementStatus;
}

/** The instants a Shanghai business day `yyyy-MM-dd` starts and ends. */
export function shanghaiDay(date: string): { from: Date; to: Date } {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const from = new Date(Date.UTC(y, m - 1, d) - SHANGHAI_OFFSET_MS);
  return { from, to: new Date(from.getTime() + 86_400_000) };
}

/** The successful payments and refunds of the payments given, booked within [from, to), oldest first. */
export function bookedLines(
  payments: readonly SandboxPayment[],
  from: Date,
  to: Date,
  feeRatePpm: number | null,
): SandboxStatementLine[] {
  const within = (at: Date | null): at is Date =>
    at !== null && at.getTime() >= from.getTime() && at.getTime() < to.getTime();
  const fee = (amount: bigint) => (feeRatePpm === null ? null : feeFor(amount, feeRatePpm));
  const lines: SandboxStatementLine[] = [];
  for (const p of payments) {
    if (p.status === 'SUCCESS' && within(p.paidAt)) {
      lines.push({
        tradeNo: p.tradeNo,
        outTradeNo: p.outTradeNo,
        outRefundNo: null,
        kind: 'payment',
        amount: p.amount,
        fee: fee(p.amount),
        at: p.paidAt,
        status: 'SUCCESS',
      });
    }
    for (const r of p.refunds) {
      if (r.status !== 'SUCCESS' || !within(r.refundedAt)) continue;
      const returned = fee(r.amount);
      lines.push({
        tradeNo: r.refundNo,
        outTradeNo: p.outTradeNo,
        outRefundNo: r.outRefundNo,
        kind: 'refund',
        amount: r.amount,
        // The sandbox gives its fee back in proportion to what is refunded.
        fee: returned === null ? null : -returned,
        at: r.refundedAt,
        status: 'SUCCESS',
      });
    }
  }
  return lines.sort((a, b) => a.at.getTime() - b.at.getTime() || (a.tradeNo < b.tradeNo ? -1 : 1));
}

/** The lines as a tester asked the statement to be wrong. */
export function withStatementFaults(
  lines: readonly SandboxStatementLine[],
  faults: StatementFaults,
  date: string,
  feeRatePpm: number | null,
): SandboxStatementLine[] {
  const keyOf = (line: SandboxStatementLine) => line.outRefundNo ?? line.outTradeNo;
  const dropped = new Set(faults.dropLines ?? []);
  const amountDelta = new Map((faults.amountChanges ?? []).map((c) => [c.no, BigInt(c.delta)]));
  const feeDelta = new Map((faults.feeChanges ?? []).map((c) => [c.no, BigInt(c.delta)]));
  const status = new Map((faults.statusChanges ?? []).map((c) => [c.no, c.status]));
  const out: SandboxStatementLine[] = [];
  for (const line of lines) {
    const key = keyOf(line);
    if (dropped.has(key)) continue;
    const changed = { ...line };
    const delta = amountDelta.get(key);
    if (delta !== undefined) changed.amount = line.amount + delta;
    const extraFee = feeDelta.get(key);
    if (extraFee !== undefined) changed.fee = (line.fee ?? 0n) + extraFee;
    changed.status = status.get(key) ?? line.status;
    out.push(changed);
  }
  const { from } = shanghaiDay(date);
  const digits = date.replaceAll('-', '');
  for (const [index, extra] of (faults.extraPayments ?? []).entries()) {
    const amount = BigInt(extra.amount);
    out.push({
      tradeNo: `SB9${digits}${String(index + 1).padStart(4, '0')}`,
      outTradeNo: extra.outTradeNo ?? `EXTRA${digits}${index + 1}`,
      outRefundNo: null,
      kind: 'payment',
      amount,
      fee: feeRatePpm === null ? null : feeFor(amount, feeRatePpm),
      // Noon of the day: well inside it whatever the platform's clock.
      at: new Date(from.getTime() + 12 * 3600_000 + index * 1000),
      status: 'SUCCESS',
    });
  }
  return out;
}

/** The footer's figures: successful lines counted and summed per type; every line's fee summed. */
export function totalsOf(
  lines: readonly { kind: 'payment' | 'refund'; amount: bigint; fee: bigint | null; status?: string }[],
): StatementTotals {
  const totals: StatementTotals = {
    paymentCount: 0,
    paymentAmount: 0n,
    refundCount: 0,
    refundAmount: 0n,
    fee: null,
  };
  for (const line of lines) {
    if (line.fee !== null) totals.fee = (totals.fee ?? 0n) + line.fee;
    if (line.status !== undefined && line.status !== 'SUCCESS' && line.status !== 'success') continue;
    if (line.kind === 'payment') {
      totals.paymentCount++;
      totals.paymentAmount += line.amount;
    } else {
      totals.refundCount++;
      totals.refundAmount += line.amount;
    }
  }
  return totals;
}

/** The statement file: header, lines, and the totals footer computed from the lines written. */
export function writeStatementCsv(lines: readonly SandboxStatementLine[]): string {
  const rows = [STATEMENT_HEADER.join(',')];
  for (const line of lines) {
    rows.push(
      [
        line.tradeNo,
        line.outTradeNo,
        line.outRefundNo ?? '',
        KIND_WORDS[line.kind],
        signedYuan(line.amount),
        line.fee === null ? '' : signedYuan(line.fee),
        shanghaiTime(line.at),
        line.status,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  const t = totalsOf(lines);
  rows.push(
    [
      FOOTER_LABEL,
      `交易笔数=${t.paymentCount}`,
      `交易金额=${signedYuan(t.paymentAmount)}`,
      `退款笔数=${t.refundCount}`,
      `退款金额=${signedYuan(t.refundAmount)}`,
      `手续费=${t.fee === null ? '' : signedYuan(t.fee)}`,
    ].join(','),
  );
  return `${rows.join('\r\n')}\r\n`;
}

/** Thrown when a file is not a sandbox statement; the message names the line. */
export class StatementFormatError extends Error {}

/**
 * Reads a sandbox statement file into statement lines and the footer's totals. Amounts are read as
 * text into fen (never a float); anything malformed is refused with the line it is on.
 */
export function parseStatementCsv(text: string, date: string): ChannelStatement {
  const file = readStatementFile(Buffer.from(text, 'utf8'), date);
  return { date, lines: [...file.lines], raw: text, totals: file.totals };
}

/**
 * Reads a statement file without holding its lines: the whole file is checked here (a malformed line
 * is refused before anything is done with it) and its totals read; the lines are read from the bytes
 * again each time they are iterated, so a day of a million lines costs its file, not a million objects.
 */
export function readStatementFile(file: Buffer, date: string): StatementFile & { lineCount: number } {
  let totals: StatementTotals | undefined;
  let lineCount = 0;
  for (const _ of statementLines(file, (t) => {
    totals = t;
  })) {
    lineCount++;
  }
  if (totals === undefined) throw new StatementFormatError('the file has no totals line (合计)');
  return { date, totals, lineCount, lines: { [Symbol.iterator]: () => statementLines(file, () => {}) } };
}

const NEWLINE = 0x0a;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The file's lines one by one, each checked; the footer goes to `onTotals`, and must be the last line. */
function* statementLines(
  file: Buffer,
  onTotals: (totals: StatementTotals) => void,
): Generator<StatementLine> {
  let start = file.subarray(0, 3).equals(BOM) ? 3 : 0;
  let end = file.length;
  while (end > start && (file[end - 1] === NEWLINE || file[end - 1] === 0x0d || file[end - 1] === 0x20))
    end--;
  let lineNo = 0;
  let footerAt = 0;
  while (start < end) {
    let stop = file.indexOf(NEWLINE, start);
    if (stop < 0 || stop > end) stop = end;
    const row = file.toString('utf8', start, stop > start && file[stop - 1] === 0x0d ? stop - 1 : stop);
    start = stop + 1;
    lineNo++;
    const at = `line ${lineNo}`;
    const cells = row.includes('"') ? splitCsv(row) : row.split(',');
    if (lineNo === 1) {
      if (cells.join(',') !== STATEMENT_HEADER.join(',')) {
        throw new StatementFormatError('line 1: not the sandbox statement header');
      }
      continue;
    }
    if (footerAt > 0) throw new StatementFormatError(`line ${footerAt}: the totals line must be the last`);
    if (cells[0] === FOOTER_LABEL) {
      footerAt = lineNo;
      onTotals(parseFooter(cells.slice(1), at));
      continue;
    }
    yield parseLine(cells, at);
  }
  if (lineNo === 0) throw new StatementFormatError('line 1: not the sandbox statement header');
}

function parseLine(cells: string[], at: string): StatementLine {
  if (cells.length !== STATEMENT_HEADER.length) {
    throw new StatementFormatError(`${at}: ${cells.length} cells, not ${STATEMENT_HEADER.length}`);
  }
  const [tradeNo, orderNo, refundNo, kindWord, amountText, feeText, timeText, statusText] = cells as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const kind = kindWord === KIND_WORDS.payment ? 'payment' : kindWord === KIND_WORDS.refund ? 'refund' : null;
  const amount = parseSignedYuan(amountText);
  const fee = feeText === '' ? null : parseSignedYuan(feeText);
  const when = parseShanghaiTime(timeText);
  const status = Object.hasOwn(STATUS_OF, statusText) ? STATUS_OF[statusText as StatementStatus] : undefined;
  if (kind === null) throw new StatementFormatError(`${at}: type must be 交易 or 退款`);
  if (amount === null || amount <= 0n) throw new StatementFormatError(`${at}: bad amount`);
  if (feeText !== '' && fee === null) throw new StatementFormatError(`${at}: bad fee`);
  if (when === null) throw new StatementFormatError(`${at}: bad time`);
  if (status === undefined) throw new StatementFormatError(`${at}: bad status`);
  if (orderNo === '') throw new StatementFormatError(`${at}: no order number`);
  if (kind === 'refund' && refundNo === '')
    throw new StatementFormatError(`${at}: a refund without its number`);
  return {
    kind,
    orderNo,
    channelOrderNo: tradeNo || null,
    refundNo: kind === 'refund' ? refundNo : null,
    amount,
    fee,
    at: when,
    status,
  };
}

function parseFooter(cells: string[], at: string): StatementTotals {
  const fields = new Map<string, string>();
  for (const cell of cells) {
    const eq = cell.indexOf('=');
    if (eq < 0) throw new StatementFormatError(`${at}: totals cell without =`);
    fields.set(cell.slice(0, eq), cell.slice(eq + 1));
  }
  const count = (name: string) => {
    const v = fields.get(name);
    if (v === undefined || !/^\d{1,9}$/.test(v)) throw new StatementFormatError(`${at}: bad ${name}`);
    return Number(v);
  };
  const money = (name: string) => {
    const v = parseSignedYuan(fields.get(name) ?? '');
    if (v === null) throw new StatementFormatError(`${at}: bad ${name}`);
    return v;
  };
  const feeText = fields.get('手续费');
  return {
    paymentCount: count('交易笔数'),
    paymentAmount: money('交易金额'),
    refundCount: count('退款笔数'),
    refundAmount: money('退款金额'),
    fee: feeText === undefined || feeText === '' ? null : money('手续费'),
  };
}

function signedYuan(amount: bigint): string {
  return formatMinor(amount, 'CNY');
}

/** "-1.20" → -120n; null when not a decimal of at most two places. */
function parseSignedYuan(text: string): bigint | null {
  const negative = text.startsWith('-');
  const magnitude = parseMinor(negative ? text.slice(1) : text, 'CNY');
  if (magnitude === null) return null;
  return negative ? -magnitude : magnitude;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `yyyy-MM-dd HH:mm:ss` on the sandbox's clock (China Standard Time). */
export function shanghaiTime(at: Date): string {
  const local = new Date(at.getTime() + SHANGHAI_OFFSET_MS);
  return (
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`
  );
}

/** The last day read and the instant it starts: a file's lines share a handful of days. */
let lastDay = { text: '', startMs: 0 };

function parseShanghaiTime(text: string): Date | null {
  if (text.length !== 19 || text[10] !== ' ' || text[13] !== ':' || text[16] !== ':') return null;
  const day = text.slice(0, 10);
  if (day !== lastDay.text) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
    if (!m) return null;
    const [y, mo, d] = m.slice(1).map(Number) as [number, number, number];
    const startMs = Date.UTC(y, mo - 1, d) - SHANGHAI_OFFSET_MS;
    // Refuses 2026-02-30, which Date.UTC would roll over silently.
    if (shanghaiTime(new Date(startMs)).slice(0, 10) !== day) return null;
    lastDay = { text: day, startMs };
  }
  const h = twoDigits(text, 11);
  const mi = twoDigits(text, 14);
  const s = twoDigits(text, 17);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return null;
  return new Date(lastDay.startMs + ((h * 60 + mi) * 60 + s) * 1000);
}

/** The number two digits at `at` make, or -1. */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 48;
  const ones = text.charCodeAt(at + 1) - 48;
  return tens < 0 || tens > 9 || ones < 0 || ones > 9 ? -1 : tens * 10 + ones;
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One CSV line's cells (RFC 4180 quoting; a line break inside quotes does not occur in these files). */
function splitCsv(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}
