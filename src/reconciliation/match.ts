import type { Queryable } from '../db/index.ts';

/**
 * The matching of a staged statement against our orders and refunds: a fixed number of set-based
 * statements per batch, whatever its size (no loop over lines in JS). They run in the batch's one
 * transaction (service.ts), after its lines were staged (stage.ts), in this order:
 *
 * 1. carried records that an earlier run of this batch settled wait again (a re-run decides anew);
 * 2. the lines, classified as they were staged (recon_line.class, with our order found by our order
 *    number, else by the channel's trade number, and refunds by our refund number), have the
 *    repeats of a number marked;
 * 3. the lines that are discrepancies become items (upserted by key: a re-run keeps resolutions);
 * 4. our records of the day that no statement line of the account has are platform_only, or
 *    `carried` when booked in the last minutes of the day;
 * 5. earlier days' carried records that this statement has are matched; those whose carry ran out
 *    become platform_only items of this batch, with the day they came from;
 * 6. items an earlier run found and this one did not are removed;
 * 7. the batch's counts and sums, per side and per class.
 */
export interface MatchParams {
  batchId: bigint;
  runNo: number;
  channelAccountId: bigint;
  day: string;
  dayStart: Date;
  dayEnd: Date;
  /** Records booked from here to the day's end are carried to the next days' statements. */
  carryFrom: Date;
  /** Carried records still unmatched this many days later are flagged. */
  carryDays: number;
}

export async function matchBatch(q: Queryable, p: MatchParams): Promise<void> {
  // 1. A re-run decides again what its earlier run settled.
  await q.query(
    `UPDATE recon_item SET carry_state = 'waiting', carry_settled_batch_id = NULL, updated_at = now()
     WHERE carry_settled_batch_id = $1`,
    [p.batchId],
  );

  // 2. The lines were classified as they were staged (queries.insertLines). A number listed twice:
  // the second and later successful lines cannot be accounted for.
  await q.query(
    `WITH repeated AS (
       SELECT kind, match_key FROM recon_line WHERE batch_id = $1 GROUP BY kind, match_key HAVING count(*) > 1
     ), numbered AS (
       SELECT l.line_no, row_number() OVER (PARTITION BY l.kind, l.match_key ORDER BY l.line_no) AS occurrence
       FROM recon_line l JOIN repeated USING (kind, match_key)
       WHERE l.batch_id = $1
     )
     UPDATE recon_line t
     SET occurrence = n.occurrence, class = CASE WHEN t.status = 'success' THEN 'channel_only' ELSE t.class END
     FROM numbered n
     WHERE t.batch_id = $1 AND t.line_no = n.line_no AND n.occurrence > 1`,
    [p.batchId],
  );

  // 3. The lines that are discrepancies, with our side next to the channel's.
  await q.query(
    `INSERT INTO recon_item (batch_id, channel_account_id, business_day, run_no, item_key, class, kind, order_id,
       order_no, refund_id, refund_no, channel_trade_no, our_amount, our_state, our_fee, our_at, channel_amount,
       channel_status, channel_fee, channel_at)
     SELECT $1, $2, $3::date, $4,
            l.class || ':' || l.kind || ':' || CASE WHEN l.kind = 'refund' THEN COALESCE(l.refund_no, l.order_no) ELSE l.order_no END
              || CASE WHEN l.occurrence > 1 THEN '#' || l.line_no ELSE '' END,
            l.class, l.kind, o.id, COALESCE(o.order_no, l.order_no), r.id, l.refund_no, l.channel_trade_no,
            CASE WHEN l.kind = 'refund' THEN r.amount ELSE o.amount END,
            CASE WHEN l.kind = 'refund' THEN r.state ELSE o.state END,
            CASE WHEN l.kind = 'refund' THEN r.channel_cost_refund ELSE o.channel_cost END,
            CASE WHEN l.kind = 'refund' THEN r.succeeded_at ELSE o.paid_at END,
            l.amount, l.status, l.fee, l.booked_at
     FROM recon_line l
     LEFT JOIN pay_order o ON o.id = l.order_id
     LEFT JOIN refund_order r ON r.id = l.refund_id
     WHERE l.batch_id = $1 AND l.class NOT IN ('matched', 'ignored')
     ON CONFLICT (batch_id, item_key) DO UPDATE SET
       run_no = EXCLUDED.run_no, order_id = EXCLUDED.order_id, order_no = EXCLUDED.order_no,
       refund_id = EXCLUDED.refund_id, channel_trade_no = EXCLUDED.channel_trade_no,
       our_amount = EXCLUDED.our_amount, our_state = EXCLUDED.our_state, our_fee = EXCLUDED.our_fee,
       our_at = EXCLUDED.our_at, channel_amount = EXCLUDED.channel_amount,
       channel_status = EXCLUDED.channel_status, channel_fee = EXCLUDED.channel_fee,
       channel_at = EXCLUDED.channel_at, updated_at = now()`,
    [p.batchId, p.channelAccountId, p.day, p.runNo],
  );

  // 4. Ours that no line of this statement has. One that another day's done batch of the account
  // matched (the channel booked it on its side of midnight) is no discrepancy of this day; near
  // midnight it is still this day's carried record, already settled by that batch.
  await q.query(
    `WITH unmatched AS MATERIALIZED (
       -- Materialised so that the look-up of other batches below runs for these few, not for every
       -- record of the day.
       SELECT 'payment' AS kind, o.id AS order_id, o.order_no, NULL::bigint AS refund_id, NULL::text AS refund_no,
              o.channel_order_no, o.amount, o.state, o.channel_cost AS cost, o.paid_at AS at
       FROM pay_order o
       WHERE o.channel_account_id = $2 AND o.paid_at >= $5 AND o.paid_at < $6
         AND NOT EXISTS (SELECT 1 FROM recon_line l
                         WHERE l.batch_id = $1 AND l.order_id = o.id AND l.kind = 'payment' AND l.class <> 'ignored')
       UNION ALL
       SELECT 'refund', r.order_id, r.order_no, r.id, r.refund_no, r.channel_refund_no, r.amount, r.state,
              r.channel_cost_refund, r.succeeded_at
       FROM refund_order r
       WHERE r.channel_account_id = $2 AND r.state = 'succeeded' AND r.succeeded_at >= $5 AND r.succeeded_at < $6
         AND NOT EXISTS (SELECT 1 FROM recon_line l
                         WHERE l.batch_id = $1 AND l.refund_id = r.id AND l.class <> 'ignored')
     ), ours AS (
       SELECT u.*,
              CASE WHEN u.kind = 'refund' THEN
                (SELECT min(l.batch_id) FROM recon_line l JOIN recon_batch b ON b.id = l.batch_id
                 WHERE l.refund_id = u.refund_id AND l.class <> 'ignored'
                   AND b.channel_account_id = $2 AND b.state = 'done' AND l.batch_id <> $1)
              ELSE
                (SELECT min(l.batch_id) FROM recon_line l JOIN recon_batch b ON b.id = l.batch_id
                 WHERE l.order_id = u.order_id AND l.kind = 'payment' AND l.class <> 'ignored'
                   AND b.channel_account_id = $2 AND b.state = 'done' AND l.batch_id <> $1)
              END AS matched_in
       FROM unmatched u
     )
     INSERT INTO recon_item (batch_id, channel_account_id, business_day, run_no, item_key, class, kind, order_id,
       order_no, refund_id, refund_no, channel_trade_no, our_amount, our_state, our_fee, our_at, carry_state,
       carry_settled_batch_id)
     SELECT $1, $2, $3::date, $4, c.class || ':' || ours.kind || ':' || COALESCE(ours.refund_no, ours.order_no),
            c.class, ours.kind, ours.order_id, ours.order_no, ours.refund_id, ours.refund_no, ours.channel_order_no,
            ours.amount, ours.state, ours.cost, ours.at,
            CASE WHEN c.class = 'carried' THEN CASE WHEN ours.matched_in IS NULL THEN 'waiting' ELSE 'matched' END END,
            CASE WHEN c.class = 'carried' THEN ours.matched_in END
     FROM ours
     CROSS JOIN LATERAL (SELECT CASE WHEN ours.at >= $7 THEN 'carried' ELSE 'platform_only' END AS class) c
     WHERE c.class = 'carried' OR ours.matched_in IS NULL
     ON CONFLICT (batch_id, item_key) DO UPDATE SET
       run_no = EXCLUDED.run_no, channel_trade_no = EXCLUDED.channel_trade_no, our_amount = EXCLUDED.our_amount,
       our_state = EXCLUDED.our_state, our_fee = EXCLUDED.our_fee, our_at = EXCLUDED.our_at, updated_at = now()`,
    [p.batchId, p.channelAccountId, p.day, p.runNo, p.dayStart, p.dayEnd, p.carryFrom],
  );

  // 5. Earlier days' carried records: matched when this statement has them, flagged when their carry
  // ran out (a platform_only item of this batch that names the day it came from).
  await q.query(
    `UPDATE recon_item i SET carry_state = 'matched', carry_settled_batch_id = $1, updated_at = now()
     WHERE i.channel_account_id = $2 AND i.carry_state = 'waiting' AND i.business_day < $3::date
       AND CASE WHEN i.kind = 'refund'
             THEN EXISTS (SELECT 1 FROM recon_line l
                          WHERE l.refund_id = i.refund_id AND l.batch_id = $1 AND l.class <> 'ignored')
             ELSE EXISTS (SELECT 1 FROM recon_line l
                          WHERE l.order_id = i.order_id AND l.batch_id = $1 AND l.kind = 'payment'
                            AND l.class <> 'ignored') END`,
    [p.batchId, p.channelAccountId, p.day],
  );
  await q.query(
    `WITH ran_out AS (
       UPDATE recon_item i SET carry_state = 'flagged', carry_settled_batch_id = $1, updated_at = now()
       WHERE i.channel_account_id = $2 AND i.carry_state = 'waiting'
         AND i.business_day <= $3::date - $5::int
       RETURNING i.*
     )
     INSERT INTO recon_item (batch_id, channel_account_id, business_day, run_no, item_key, class, kind, order_id,
       order_no, refund_id, refund_no, channel_trade_no, our_amount, our_state, our_fee, our_at, carried_from_day)
     SELECT $1, $2, $3::date, $4, 'platform_only:' || kind || ':' || COALESCE(refund_no, order_no), 'platform_only',
            kind, order_id, order_no, refund_id, refund_no, channel_trade_no, our_amount, our_state, our_fee, our_at,
            business_day
     FROM ran_out
     ON CONFLICT (batch_id, item_key) DO UPDATE SET
       run_no = EXCLUDED.run_no, carried_from_day = EXCLUDED.carried_from_day, updated_at = now()`,
    [p.batchId, p.channelAccountId, p.day, p.runNo, p.carryDays],
  );

  // 6. What the earlier run found and this one did not.
  await q.query('DELETE FROM recon_item WHERE batch_id = $1 AND run_no < $2', [p.batchId, p.runNo]);

  // 7. The batch's figures. The channel's side: its successful lines; ours: the day's paid orders and
  // succeeded refunds on the account.
  await q.query(
    `UPDATE recon_batch b SET
       line_count = l.line_count, channel_payment_count = l.pay_n, channel_payment_amount = l.pay_sum,
       channel_refund_count = l.refund_n, channel_refund_amount = l.refund_sum, channel_fee = l.fee_sum,
       matched_count = l.matched_n, matched_amount = l.matched_sum,
       matched_refund_count = l.matched_refund_n, matched_refund_amount = l.matched_refund_sum,
       channel_only_count = l.channel_only_n, channel_only_amount = l.channel_only_sum,
       amount_mismatch_count = l.amount_n, amount_mismatch_amount = l.amount_sum,
       status_mismatch_count = l.status_n, status_mismatch_amount = l.status_sum,
       fee_mismatch_count = l.fee_n, fee_mismatch_amount = l.fee_mismatch_sum,
       ignored_count = l.ignored_n,
       platform_only_count = i.platform_only_n, platform_only_amount = i.platform_only_sum,
       carried_out_count = i.carried_n, carried_in_matched = c.n,
       platform_payment_count = o.n, platform_payment_amount = o.amount, platform_cost = o.cost,
       platform_refund_count = r.n, platform_refund_amount = r.amount,
       updated_at = now()
     FROM (
       SELECT count(*)::int AS line_count,
              count(*) FILTER (WHERE kind = 'payment' AND status = 'success')::int AS pay_n,
              COALESCE(sum(amount) FILTER (WHERE kind = 'payment' AND status = 'success'), 0) AS pay_sum,
              count(*) FILTER (WHERE kind = 'refund' AND status = 'success')::int AS refund_n,
              COALESCE(sum(amount) FILTER (WHERE kind = 'refund' AND status = 'success'), 0) AS refund_sum,
              sum(fee) AS fee_sum,
              count(*) FILTER (WHERE class = 'matched' AND kind = 'payment')::int AS matched_n,
              COALESCE(sum(amount) FILTER (WHERE class = 'matched' AND kind = 'payment'), 0) AS matched_sum,
              count(*) FILTER (WHERE class = 'matched' AND kind = 'refund')::int AS matched_refund_n,
              COALESCE(sum(amount) FILTER (WHERE class = 'matched' AND kind = 'refund'), 0) AS matched_refund_sum,
              count(*) FILTER (WHERE class = 'channel_only')::int AS channel_only_n,
              COALESCE(sum(amount) FILTER (WHERE class = 'channel_only'), 0) AS channel_only_sum,
              count(*) FILTER (WHERE class = 'amount_mismatch')::int AS amount_n,
              COALESCE(sum(amount) FILTER (WHERE class = 'amount_mismatch'), 0) AS amount_sum,
              count(*) FILTER (WHERE class = 'status_mismatch')::int AS status_n,
              COALESCE(sum(amount) FILTER (WHERE class = 'status_mismatch'), 0) AS status_sum,
              count(*) FILTER (WHERE class = 'fee_mismatch')::int AS fee_n,
              COALESCE(sum(amount) FILTER (WHERE class = 'fee_mismatch'), 0) AS fee_mismatch_sum,
              count(*) FILTER (WHERE class = 'ignored')::int AS ignored_n
       FROM recon_line WHERE batch_id = $1
     ) l,
     (
       SELECT count(*) FILTER (WHERE class = 'platform_only')::int AS platform_only_n,
              COALESCE(sum(our_amount) FILTER (WHERE class = 'platform_only'), 0) AS platform_only_sum,
              count(*) FILTER (WHERE class = 'carried')::int AS carried_n
       FROM recon_item WHERE batch_id = $1
     ) i,
     (SELECT count(*)::int AS n FROM recon_item WHERE carry_settled_batch_id = $1 AND carry_state = 'matched') c,
     (
       SELECT count(*)::int AS n, COALESCE(sum(amount), 0) AS amount, COALESCE(sum(channel_cost), 0) AS cost
       FROM pay_order WHERE channel_account_id = $2 AND paid_at >= $3 AND paid_at < $4
     ) o,
     (
       SELECT count(*)::int AS n, COALESCE(sum(amount), 0) AS amount
       FROM refund_order
       WHERE channel_account_id = $2 AND state = 'succeeded' AND succeeded_at >= $3 AND succeeded_at < $4
     ) r
     WHERE b.id = $1`,
    [p.batchId, p.channelAccountId, p.dayStart, p.dayEnd],
  );
}

/** Ends the run: done, only if the claim is still this run's (a run taken over must not finish). */
export async function finishBatch(q: Queryable, batchId: bigint, runNo: number): Promise<boolean> {
  const rows = await q.query(
    `UPDATE recon_batch SET state = 'done', finished_at = now(), updated_at = now()
     WHERE id = $1 AND run_no = $2 AND state = 'running' RETURNING id`,
    [batchId, runNo],
  );
  return rows.length > 0;
}
