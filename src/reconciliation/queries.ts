import type { Queryable } from '../db/index.ts';
import type { BatchRow, BatchState, ItemClass, ItemRow, Resolution } from './types.ts';

/**
 * Reconciliation's own tables (migration 029): batches, their staged lines and their items. The
 * matching (match.ts) also reads pay_order and refund_order, set-based and read-only.
 */

/** Columns of a batch as the service reads them (the file itself stays in the table). */
const BATCH_COLUMNS = `id, channel_account_id, business_day::text AS business_day, state, source, run_no, file_name,
  file_sha256, file_bytes, line_count, channel_payment_count, channel_payment_amount, channel_refund_count,
  channel_refund_amount, channel_fee, platform_payment_count, platform_payment_amount, platform_refund_count,
  platform_refund_amount, platform_cost, matched_count, matched_amount, matched_refund_count,
  matched_refund_amount, platform_only_count, platform_only_amount, channel_only_count, channel_only_amount,
  amount_mismatch_count, amount_mismatch_amount, status_mismatch_count, status_mismatch_amount,
  fee_mismatch_count, fee_mismatch_amount, ignored_count, carried_out_count, carried_in_matched,
  file_payment_count, file_payment_amount, file_refund_count, file_refund_amount, file_fee, totals_tie_out,
  failure, started_by, started_at, finished_at`;

/**
 * Claims the batch of (account, day) for one run: a new row, or the existing one when it is not
 * running (or its run outlived `leaseSeconds`: its runner died). Null when another run holds it, so
 * two workers or operators never run the same batch at once.
 */
export async function claimBatch(
  q: Queryable,
  claim: {
    channelAccountId: bigint;
    day: string;
    source: 'fetched' | 'uploaded';
    startedBy: bigint | null;
    leaseSeconds: number;
  },
): Promise<{ id: bigint; run_no: number } | null> {
  const rows = await q.query<{ id: bigint; run_no: number }>(
    `INSERT INTO recon_batch (channel_account_id, business_day, state, source, started_by)
     VALUES ($1, $2::date, 'running', $3, $4)
     ON CONFLICT (channel_account_id, business_day) DO UPDATE
       SET state = 'running', source = EXCLUDED.source, started_by = EXCLUDED.started_by,
           run_no = recon_batch.run_no + 1, started_at = now(), finished_at = NULL, failure = NULL,
           updated_at = now()
       WHERE recon_batch.state <> 'running'
          OR recon_batch.started_at < now() - make_interval(secs => $5)
     RETURNING id, run_no`,
    [claim.channelAccountId, claim.day, claim.source, claim.startedBy, claim.leaseSeconds],
  );
  return rows[0] ?? null;
}

/** A run that could not finish: the batch keeps what its last finished run found. */
export async function failBatch(q: Queryable, id: bigint, runNo: number, failure: string): Promise<void> {
  await q.query(
    `UPDATE recon_batch SET state = 'failed', failure = $3, finished_at = now(), updated_at = now()
     WHERE id = $1 AND run_no = $2`,
    [id, runNo, failure],
  );
}

/** Keeps the statement file (gzip) and its own totals on the running batch. */
export async function storeFile(
  q: Queryable,
  id: bigint,
  file: {
    name: string | null;
    gzip: Buffer;
    sha256: string;
    bytes: number;
    totals: {
      paymentCount: number | null;
      paymentAmount: bigint | null;
      refundCount: number | null;
      refundAmount: bigint | null;
      fee: bigint | null;
    } | null;
    tieOut: boolean | null;
  },
): Promise<void> {
  const t = file.totals;
  await q.query(
    `UPDATE recon_batch SET file_name = $2, file_gz = $3, file_sha256 = $4, file_bytes = $5,
       file_payment_count = $6, file_payment_amount = $7, file_refund_count = $8, file_refund_amount = $9,
       file_fee = $10, totals_tie_out = $11, updated_at = now()
     WHERE id = $1`,
    [
      id,
      file.name,
      file.gzip,
      file.sha256,
      file.bytes,
      t?.paymentCount ?? null,
      t?.paymentAmount ?? null,
      t?.refundCount ?? null,
      t?.refundAmount ?? null,
      t?.fee ?? null,
      file.tieOut,
    ],
  );
}

/** The lines of a statement as parallel columns (nullable text as '', which the insert reads as NULL). */
export interface LineColumns {
  lineNo: string[];
  kind: string[];
  orderNo: string[];
  channelTradeNo: string[];
  refundNo: string[];
  amount: string[];
  fee: string[];
  status: string[];
  bookedAt: string[];
}

export async function deleteLines(q: Queryable, batchId: bigint): Promise<void> {
  await q.query('DELETE FROM recon_line WHERE batch_id = $1', [batchId]);
}

/**
 * One multi-row insert of a chunk of lines: one round trip per chunk, never per line. Each line is
 * classified as it goes in, with our order found by our order number (else, for a statement that lost
 * it, by the channel's trade number on this account) and our refund by our refund number; a number
 * listed twice is found afterwards, over the whole batch (repeatedLines).
 */
export async function insertLines(
  q: Queryable,
  batchId: bigint,
  channelAccountId: bigint,
  c: LineColumns,
): Promise<void> {
  await q.query(
    `INSERT INTO recon_line (batch_id, line_no, kind, order_no, channel_trade_no, refund_no, amount, fee, status,
       booked_at, order_id, refund_id, match_key, occurrence, class)
     SELECT $1, l.line_no, l.kind, l.order_no, NULLIF(l.trade_no, ''), NULLIF(l.refund_no, ''), l.amount,
            NULLIF(l.fee, '')::bigint, l.status, l.booked_at, COALESCE(o.id, r.order_id), r.id,
            CASE WHEN l.kind = 'refund' THEN COALESCE(NULLIF(l.refund_no, ''), l.order_no)
                 ELSE COALESCE(o.order_no, l.order_no) END,
            1,
            CASE
              WHEN l.status <> 'success' THEN
                CASE WHEN (l.kind = 'payment' AND COALESCE(o.paid_here, false))
                       OR (l.kind = 'refund' AND COALESCE(r.refunded_here, false)) THEN 'status_mismatch'
                     ELSE 'ignored' END
              WHEN l.kind = 'payment' THEN
                CASE WHEN NOT COALESCE(o.paid_here, false) THEN 'channel_only'
                     WHEN l.amount <> o.amount THEN 'amount_mismatch'
                     WHEN l.fee <> '' AND l.fee::bigint <> o.channel_cost THEN 'fee_mismatch'
                     ELSE 'matched' END
              ELSE
                CASE WHEN NOT COALESCE(r.refunded_here, false) THEN 'channel_only'
                     WHEN l.amount <> r.amount THEN 'amount_mismatch'
                     ELSE 'matched' END
            END
     FROM unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[],
                 $11::timestamptz[])
       AS l(line_no, kind, order_no, trade_no, refund_no, amount, fee, status, booked_at)
     LEFT JOIN LATERAL (
       SELECT x.id, x.order_no, x.amount, x.channel_cost,
              (x.paid_at IS NOT NULL AND x.channel_account_id = $2) AS paid_here
       FROM pay_order x WHERE l.kind = 'payment' AND x.order_no = l.order_no
       UNION ALL
       SELECT x.id, x.order_no, x.amount, x.channel_cost,
              (x.paid_at IS NOT NULL AND x.channel_account_id = $2)
       FROM pay_order x
       WHERE l.kind = 'payment' AND l.trade_no <> '' AND x.channel_order_no = l.trade_no
         AND x.channel_account_id = $2
         AND NOT EXISTS (SELECT 1 FROM pay_order y WHERE y.order_no = l.order_no)
       LIMIT 1
     ) o ON true
     LEFT JOIN LATERAL (
       SELECT y.id, y.order_id, y.amount, (y.state = 'succeeded' AND y.channel_account_id = $2) AS refunded_here
       FROM refund_order y WHERE l.kind = 'refund' AND y.refund_no = l.refund_no
     ) r ON true`,
    [
      batchId,
      channelAccountId,
      c.lineNo,
      c.kind,
      c.orderNo,
      c.channelTradeNo,
      c.refundNo,
      c.amount,
      c.fee,
      c.status,
      c.bookedAt,
    ],
  );
}

/**
 * Statistics of the freshly staged lines, so that the matching's plans fit a batch of a million lines
 * rather than the empty table the planner last saw.
 */
export async function analyzeLines(q: Queryable): Promise<void> {
  await q.query('ANALYZE recon_line');
}

export async function findBatch(q: Queryable, id: bigint): Promise<BatchRow | null> {
  const rows = await q.query<BatchRow>(`SELECT ${BATCH_COLUMNS} FROM recon_batch WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

export async function findBatchOf(
  q: Queryable,
  channelAccountId: bigint,
  day: string,
): Promise<BatchRow | null> {
  const rows = await q.query<BatchRow>(
    `SELECT ${BATCH_COLUMNS} FROM recon_batch WHERE channel_account_id = $1 AND business_day = $2::date`,
    [channelAccountId, day],
  );
  return rows[0] ?? null;
}

/** The statement file as it was downloaded or uploaded (still gzip). */
export async function batchFile(
  q: Queryable,
  id: bigint,
): Promise<{ file_name: string | null; gz: Uint8Array | null } | null> {
  const rows = await q.query<{ file_name: string | null; gz: Uint8Array | null }>(
    `SELECT file_name, file_gz AS gz FROM recon_batch WHERE id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

export interface BatchFilter {
  channelAccountId?: bigint;
  from?: string;
  to?: string;
  state?: BatchState;
}

function batchWhere(f: BatchFilter): { where: string; params: (string | bigint)[] } {
  const params: (string | bigint)[] = [];
  const conditions: string[] = [];
  if (f.channelAccountId !== undefined) {
    params.push(f.channelAccountId);
    conditions.push(`channel_account_id = $${params.length}`);
  }
  if (f.from !== undefined) {
    params.push(f.from);
    conditions.push(`business_day >= $${params.length}::date`);
  }
  if (f.to !== undefined) {
    params.push(f.to);
    conditions.push(`business_day <= $${params.length}::date`);
  }
  if (f.state !== undefined) {
    params.push(f.state);
    conditions.push(`state = $${params.length}`);
  }
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

export async function listBatches(
  q: Queryable,
  f: BatchFilter & { limit: number; offset: number },
): Promise<{ rows: BatchRow[]; total: number }> {
  const { where, params } = batchWhere(f);
  const [rows, count] = await Promise.all([
    q.query<BatchRow>(
      `SELECT ${BATCH_COLUMNS} FROM recon_batch ${where} ORDER BY business_day DESC, id DESC
       LIMIT ${Number(f.limit)} OFFSET ${Number(f.offset)}`,
      params,
    ),
    q.query<{ n: number }>(`SELECT count(*)::int AS n FROM recon_batch ${where}`, params),
  ]);
  return { rows, total: count[0]?.n ?? 0 };
}

const ITEM_COLUMNS = `id, batch_id, channel_account_id, business_day::text AS business_day, item_key, class, kind,
  order_id, order_no, refund_id, refund_no, channel_trade_no, our_amount, our_state, our_fee, our_at,
  channel_amount, channel_status, channel_fee, channel_at, carried_from_day::text AS carried_from_day,
  carry_state, resolution, resolution_note, resolved_by, resolved_at, created_at, updated_at`;

export interface ItemFilter {
  batchId: bigint;
  class?: ItemClass;
  resolution?: Resolution;
}

export async function listItems(
  q: Queryable,
  f: ItemFilter & { limit: number; offset: number },
): Promise<{ rows: ItemRow[]; total: number }> {
  const params: (string | bigint)[] = [f.batchId];
  let where = 'WHERE batch_id = $1';
  if (f.class !== undefined) {
    params.push(f.class);
    where += ` AND class = $${params.length}`;
  }
  if (f.resolution !== undefined) {
    params.push(f.resolution);
    where += ` AND resolution = $${params.length}`;
  }
  const [rows, count] = await Promise.all([
    q.query<ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM recon_item ${where} ORDER BY class, id
       LIMIT ${Number(f.limit)} OFFSET ${Number(f.offset)}`,
      params,
    ),
    q.query<{ n: number }>(`SELECT count(*)::int AS n FROM recon_item ${where}`, params),
  ]);
  return { rows, total: count[0]?.n ?? 0 };
}

export async function findItem(q: Queryable, id: bigint): Promise<ItemRow | null> {
  const rows = await q.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM recon_item WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** Resolves an open item (compare-and-set: a second resolve changes nothing and returns null). */
export async function resolveItem(
  q: Queryable,
  id: bigint,
  note: string,
  userId: bigint,
): Promise<ItemRow | null> {
  const rows = await q.query<ItemRow>(
    `UPDATE recon_item SET resolution = 'resolved', resolution_note = $2, resolved_by = $3, resolved_at = now(),
       updated_at = now()
     WHERE id = $1 AND resolution = 'open'
     RETURNING ${ITEM_COLUMNS}`,
    [id, note, userId],
  );
  return rows[0] ?? null;
}

/** Batches of the accounts for a day that need no run: done, running, or failed less than `retryAfter` ago. */
export async function settledBatchAccounts(
  q: Queryable,
  day: string,
  retryAfterSeconds: number,
): Promise<Set<bigint>> {
  const rows = await q.query<{ channel_account_id: bigint }>(
    `SELECT channel_account_id FROM recon_batch
     WHERE business_day = $1::date
       AND (state <> 'failed' OR finished_at > now() - make_interval(secs => $2))`,
    [day, retryAfterSeconds],
  );
  return new Set(rows.map((r) => r.channel_account_id));
}

/** How many of a batch's items match the drawer's filters (an export's size). */
export async function countItems(q: Queryable, f: ItemFilter): Promise<number> {
  const rows = await q.query<{ n: bigint }>(
    `SELECT count(*)::bigint AS n FROM recon_item
     WHERE batch_id = $1 AND ($2::text IS NULL OR class = $2) AND ($3::text IS NULL OR resolution = $3)`,
    [f.batchId, f.class ?? null, f.resolution ?? null],
  );
  return Number(rows[0]!.n);
}

/** A batch's matching items after `afterId` in id order (an export's keyset page). */
export function itemsAfter(q: Queryable, f: ItemFilter, afterId: bigint, limit: number) {
  return q.query<ItemRow>(
    `SELECT ${ITEM_COLUMNS} FROM recon_item
     WHERE batch_id = $1 AND ($2::text IS NULL OR class = $2) AND ($3::text IS NULL OR resolution = $3)
       AND id > $4
     ORDER BY id LIMIT $5`,
    [f.batchId, f.class ?? null, f.resolution ?? null, afterId, limit],
  );
}

/** Per batch, its discrepancies still open that were found before a moment (the alerts' morning-after detector). */
export function openItemsByBatch(q: Queryable, foundBefore: Date) {
  return q.query<{ batch_id: bigint; channel_account_id: bigint; business_day: string; open_count: bigint }>(
    `SELECT i.batch_id, i.channel_account_id, i.business_day::text AS business_day, count(*)::bigint AS open_count
     FROM recon_item i
     WHERE i.resolution = 'open' AND i.class <> 'carried' AND i.created_at < $1
     GROUP BY i.batch_id, i.channel_account_id, i.business_day ORDER BY i.batch_id`,
    [foundBefore],
  );
}
