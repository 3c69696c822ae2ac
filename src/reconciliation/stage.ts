import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { StatedTotals, StatementLine, StatementTotals } from '../channels/types.ts';
import type { Queryable } from '../db/index.ts';
import { analyzeLines, deleteLines, insertLines, type LineColumns } from './queries.ts';

const gzipAsync = promisify(gzip);

/**
 * Staging a statement: its lines go into recon_line in chunks, each chunk one multi-row
 * `INSERT … SELECT FROM unnest(…)` that also classifies them (queries.insertLines), so a statement of
 * a million lines is a few hundred round trips, not a million, and no line is written twice. The
 * file itself is kept gzip-compressed with its sha256.
 */

/** Lines per insert: large enough that round trips do not count, small enough to keep parameters modest. */
export const STAGE_CHUNK_LINES = 5_000;

/**
 * Stages the lines and returns what they add up to. The next chunk is built while the database
 * inserts the last one, so reading the file and the database's work overlap.
 */
export async function stageLines(
  q: Queryable,
  batchId: bigint,
  channelAccountId: bigint,
  lines: Iterable<StatementLine>,
): Promise<StatementTotals> {
  await deleteLines(q, batchId);
  const totals = noTotals();
  let c = emptyColumns();
  let lineNo = 0;
  let inserting: Promise<void> | null = null;
  const insert = async (chunk: LineColumns) => {
    if (inserting) await inserting;
    inserting = insertLines(q, batchId, channelAccountId, chunk);
    // Awaited before the next chunk goes and at the end; this keeps a failure from being reported as
    // unhandled while the next chunk is being read.
    inserting.catch(() => {});
  };
  for (const line of lines) {
    addLine(totals, line);
    c.lineNo.push(String(++lineNo));
    c.kind.push(line.kind);
    c.orderNo.push(line.orderNo);
    c.channelTradeNo.push(line.channelOrderNo ?? '');
    c.refundNo.push(line.refundNo ?? '');
    c.amount.push(line.amount.toString());
    c.fee.push(line.fee === null ? '' : line.fee.toString());
    // Formats that list only what succeeded carry no status.
    c.status.push(line.status ?? 'success');
    c.bookedAt.push(line.at.toISOString());
    if (c.lineNo.length === STAGE_CHUNK_LINES) {
      await insert(c);
      c = emptyColumns();
    }
  }
  if (c.lineNo.length > 0) await insert(c);
  if (inserting) await inserting;
  await analyzeLines(q);
  return totals;
}

function emptyColumns(): LineColumns {
  return {
    lineNo: [],
    kind: [],
    orderNo: [],
    channelTradeNo: [],
    refundNo: [],
    amount: [],
    fee: [],
    status: [],
    bookedAt: [],
  };
}

/** What a statement's lines add up to, counted the way the footers count: successful lines per type, every fee. */
export function totalsOfLines(lines: Iterable<StatementLine>): StatementTotals {
  const totals = noTotals();
  for (const line of lines) addLine(totals, line);
  return totals;
}

function noTotals(): StatementTotals {
  return { paymentCount: 0, paymentAmount: 0n, refundCount: 0, refundAmount: 0n, fee: null };
}

function addLine(totals: StatementTotals, line: StatementLine): void {
  if (line.fee !== null) totals.fee = (totals.fee ?? 0n) + line.fee;
  if ((line.status ?? 'success') !== 'success') return;
  if (line.kind === 'payment') {
    totals.paymentCount++;
    totals.paymentAmount += line.amount;
  } else {
    totals.refundCount++;
    totals.refundAmount += line.amount;
  }
}

/**
 * Whether the file's own totals agree with what its lines add up to; null when the file states
 * none. Only the figures the file states are compared.
 */
export function totalsTieOut(summed: StatementTotals, stated: StatedTotals | undefined): boolean | null {
  if (stated === undefined) return null;
  const checks: boolean[] = [];
  const check = <T>(statedValue: T | null | undefined, summedValue: T) => {
    if (statedValue !== null && statedValue !== undefined) checks.push(statedValue === summedValue);
  };
  check(stated.paymentCount, summed.paymentCount);
  check(stated.paymentAmount, summed.paymentAmount);
  check(stated.refundCount, summed.refundCount);
  check(stated.refundAmount, summed.refundAmount);
  check(stated.fee, summed.fee ?? 0n);
  check(stated.lineCount, summed.paymentCount + summed.refundCount);
  check(stated.netAmount, summed.paymentAmount - summed.refundAmount);
  if (checks.length === 0) return null;
  return checks.every(Boolean);
}

/**
 * The file as it is kept: gzip (sent as bytea) and the sha256 of the bytes themselves. The
 * compression runs on libuv's thread pool, beside the reading of the lines on the main thread.
 */
export async function keptFile(bytes: Buffer): Promise<{ gzip: Buffer; sha256: string; bytes: number }> {
  return {
    gzip: await gzipAsync(bytes),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
  };
}
