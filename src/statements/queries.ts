import type { Queryable } from '../db/index.ts';

export type PeriodKind = 'day' | 'month';
export type StatementFormat = 'txt' | 'xlsx';

export interface StoredStatement {
  merchant_id: bigint;
  period_kind: PeriodKind;
  period: string;
  format: StatementFormat;
  /** The gzip-compressed bytes, base64 (bytea travels as text on both drivers). */
  content_gz_base64: string;
  sha256: string;
  byte_size: number;
  order_count: number;
  refund_count: number;
  line_count: number;
  generated_at: Date;
}

export interface NewStatement {
  merchantId: bigint;
  periodKind: PeriodKind;
  period: string;
  format: StatementFormat;
  contentGz: Buffer;
  sha256: string;
  byteSize: number;
  orderCount: number;
  refundCount: number;
  lineCount: number;
}

/** Stores a statement file; a regenerated one replaces the stored one (unique per merchant, period and format). */
export async function upsertStatement(q: Queryable, s: NewStatement): Promise<void> {
  await q.query(
    `INSERT INTO merchant_statement (merchant_id, period_kind, period, format, content_gz, sha256, byte_size,
                                     order_count, refund_count, line_count)
     VALUES ($1, $2, $3, $4, decode($5, 'base64'), $6, $7, $8, $9, $10)
     ON CONFLICT (merchant_id, period_kind, period, format) DO UPDATE SET
       content_gz = EXCLUDED.content_gz, sha256 = EXCLUDED.sha256, byte_size = EXCLUDED.byte_size,
       order_count = EXCLUDED.order_count, refund_count = EXCLUDED.refund_count,
       line_count = EXCLUDED.line_count, generated_at = now()`,
    [
      s.merchantId,
      s.periodKind,
      s.period,
      s.format,
      s.contentGz.toString('base64'),
      s.sha256,
      s.byteSize,
      s.orderCount,
      s.refundCount,
      s.lineCount,
    ],
  );
}

/** One stored statement of a merchant, or null. */
export async function findStatement(
  q: Queryable,
  merchantId: bigint,
  periodKind: PeriodKind,
  period: string,
  format: StatementFormat,
): Promise<StoredStatement | null> {
  const rows = await q.query<StoredStatement>(
    `SELECT merchant_id, period_kind, period, format, encode(content_gz, 'base64') AS content_gz_base64, sha256, byte_size, order_count, refund_count,
            line_count, generated_at
     FROM merchant_statement WHERE merchant_id = $1 AND period_kind = $2 AND period = $3 AND format = $4`,
    [merchantId, periodKind, period, format],
  );
  return rows[0] ?? null;
}

/** Which statements of a merchant are stored for the periods between `from` and `to` (text compare), without their bytes. */
export function storedPeriods(q: Queryable, merchantId: bigint, from: string, to: string) {
  return q.query<{ period_kind: PeriodKind; period: string; format: StatementFormat; generated_at: Date }>(
    `SELECT period_kind, period, format, generated_at FROM merchant_statement
     WHERE merchant_id = $1 AND period >= $2 AND period <= $3 ORDER BY period, format`,
    [merchantId, from, to],
  );
}
