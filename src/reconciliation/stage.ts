import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { StatementLine, StatementTotals } from '../channels/types.ts';
import type { Queryable } from '../db/index.ts';
import { deleteLines, insertLines, type LineColumns } from './queries.ts';

/**
 * Staging a statement: its lines go into recon_line in chunks, each chunk one multi-row
 * `INSERT … SELECT FROM unnest(…)`, so a statement of a million lines is a few hundred round trips,
 * not a million. The file itself is kept gzip-compressed with its sha256.
 */

/** Lines per insert: large enough that round trips do not count, small enough to keep parameters modest. */
export const STAGE_CHUNK_LINES = 5_000;

export async function stageLines(
  q: Queryable,
  batchId: bigint,
  lines: readonly StatementLine[],
): Promise<void> {
  await deleteLines(q, batchId);
  for (let start = 0; start < lines.length; start += STAGE_CHUNK_LINES) {
    const chunk = lines.slice(start, start + STAGE_CHUNK_LINES);
    const c: LineColumns = {
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
    chunk.forEach((line, i) => {
      c.lineNo.push(String(start + i + 1));
      c.kind.push(line.kind);
      c.orderNo.push(line.orderNo);
      c.channelTradeNo.push(line.channelOrderNo ?? '');
      c.refundNo.push(line.refundNo ?? '');
      c.amount.push(line.amount.toString());
      c.fee.push(line.fee === null ? '' : line.fee.toString());
      // Formats that list only what succeeded carry no status.
      c.status.push(line.status ?? 'success');
      c.bookedAt.push(line.at.toISOString());
    });
    await insertLines(q, batchId, c);
  }
}

/** What a statement's lines add up to, counted the way the footers count: successful lines per type, every fee. */
export function totalsOfLines(lines: readonly StatementLine[]): StatementTotals {
  const totals: StatementTotals = {
    paymentCount: 0,
    paymentAmount: 0n,
    refundCount: 0,
    refundAmount: 0n,
    fee: null,
  };
  for (const line of lines) {
    if (line.fee !== null) totals.fee = (totals.fee ?? 0n) + line.fee;
    if ((line.status ?? 'success') !== 'success') continue;
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

/** Whether the file's own totals agree with its lines; null when the file states none. */
export function totalsTieOut(
  lines: readonly StatementLine[],
  stated: StatementTotals | undefined,
): boolean | null {
  if (stated === undefined) return null;
  const summed = totalsOfLines(lines);
  return (
    summed.paymentCount === stated.paymentCount &&
    summed.paymentAmount === stated.paymentAmount &&
    summed.refundCount === stated.refundCount &&
    summed.refundAmount === stated.refundAmount &&
    (stated.fee === null || summed.fee === stated.fee)
  );
}

/** The file as it is kept: gzip (base64 for the query) and the sha256 of the bytes themselves. */
export function keptFile(bytes: Buffer): { gzipBase64: string; sha256: string; bytes: number } {
  return {
    gzipBase64: gzipSync(bytes).toString('base64'),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
  };
}
