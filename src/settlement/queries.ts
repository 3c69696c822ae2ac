import type { Queryable } from '../db/index.ts';
import { divertedNetSql } from '../splits/queries.ts';
import type { CalendarKind } from './calendar.ts';
import type { SettlementTerms } from './terms.ts';

const PAID_STATES = `('paid', 'partially_refunded', 'refunded')`;
const ids = (values: bigint[]) => values.map((v) => v.toString());

/** A refund took `amount` from pending beyond its order's own net: the next settlements absorb it. */
export async function addPendingDebt(q: Queryable, merchantId: bigint, currency: string, amount: bigint) {
  await q.query(
    `INSERT INTO settlement_pending_debt (merchant_id, currency, amount) VALUES ($1, $2, $3)
     ON CONFLICT (merchant_id, currency) DO UPDATE SET amount = settlement_pending_debt.amount + EXCLUDED.amount`,
    [merchantId, currency, amount],
  );
}

/**
 * A failed refund that had borrowed from pending pays back what is still owed of it (the rest was
 * absorbed by a settlement meanwhile); answers how much, which goes back to pending.
 */
export async function repayPendingDebt(
  q: Queryable,
  merchantId: bigint,
  currency: string,
  amount: bigint,
): Promise<bigint> {
  const rows = await q.query<{ repaid: bigint }>(
    `WITH d AS (
       SELECT amount FROM settlement_pending_debt WHERE merchant_id = $1 AND currency = $2 FOR UPDATE),
     u AS (
       UPDATE settlement_pending_debt s SET amount = s.amount - LEAST(d.amount, $3::bigint)
       FROM d WHERE s.merchant_id = $1 AND s.currency = $2)
     SELECT LEAST(d.amount, $3::bigint)::bigint AS repaid FROM d`,
    [merchantId, currency, amount],
  );
  return rows[0]?.repaid ?? 0n;
}

// ---------- calendar ----------

export function calendarBetween(q: Queryable, from: string, to: string) {
  return q.query<{ day: string; kind: CalendarKind; name: string }>(
    'SELECT day::text AS day, kind, name FROM settlement_calendar WHERE day BETWEEN $1::date AND $2::date ORDER BY day',
    [from, to],
  );
}

export async function putCalendarDay(q: Queryable, day: string, kind: CalendarKind, name: string) {
  const rows = await q.query<{ kind: CalendarKind; name: string }>(
    `WITH old AS (SELECT kind, name FROM settlement_calendar WHERE day = $1::date),
     up AS (INSERT INTO settlement_calendar (day, kind, name) VALUES ($1::date, $2, $3)
       ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, updated_at = now())
     SELECT kind, name FROM old`,
    [day, kind, name],
  );
  return rows[0] ?? null;
}

export async function deleteCalendarDay(q: Queryable, day: string) {
  const rows = await q.query<{ kind: CalendarKind; name: string }>(
    'DELETE FROM settlement_calendar WHERE day = $1::date RETURNING kind, name',
    [day],
  );
  return rows[0] ?? null;
}

// ---------- the settlement job ----------

/** The next merchants (by id) with paid, unsettled orders paid before `before`. */
export function merchantsToSettle(q: Queryable, after: bigint, before: Date, limit: number) {
  return q.query<{ merchant_id: bigint }>(
    `SELECT DISTINCT merchant_id FROM pay_order
     WHERE settled_at IS NULL AND state IN ${PAID_STATES} AND paid_at < $2 AND merchant_id > $1
     ORDER BY merchant_id LIMIT $3`,
    [after, before, limit],
  );
}

/** The (merchant, currency, channel account) triples those merchants' unsettled orders use: accounts to open. */
export function accountsToSettle(q: Queryable, merchantIds: bigint[], before: Date) {
  return q.query<{ merchant_id: bigint; currency: string; channel_account_id: bigint }>(
    `SELECT DISTINCT merchant_id, currency, channel_account_id FROM pay_order
     WHERE merchant_id = ANY($1::bigint[]) AND settled_at IS NULL AND state IN ${PAID_STATES} AND paid_at < $2`,
    [ids(merchantIds), before],
  );
}

/** When orders are due: instants (starts of local days) per cycle; `tn[n-1]` for TN with n days. */
export interface DueBounds {
  /** Start of tomorrow: D0's immediate part covers everything paid before it. */
  dayEnd: Date;
  /** Start of today: D0's rest and D1. */
  d1: Date;
  t1: Date;
  tn: Date[];
}

const TERMS_CTE = `t AS (
  SELECT m.id AS merchant_id, COALESCE(st.cycle, $2) AS cycle, COALESCE(st.d0_ppm, $3::int) AS d0_ppm,
         COALESCE(st.tn_days, $4::int) AS tn_days, COALESCE(st.reserve_ppm, $5::int) AS reserve_ppm,
         COALESCE(st.reserve_days, $6::int) AS reserve_days
  FROM unnest($1::bigint[]) AS m(id) LEFT JOIN settlement_terms st ON st.merchant_id = m.id)`;
const FULL_CUTOFF = `CASE t.cycle WHEN 'T1' THEN $8::timestamptz WHEN 'TN' THEN ($9::timestamptz[])[t.tn_days]
  ELSE $7::timestamptz END`;

function termsParams(merchantIds: bigint[], defaults: SettlementTerms, due: DueBounds) {
  return [
    ids(merchantIds),
    defaults.cycle,
    defaults.d0Ppm,
    defaults.tnDays,
    defaults.reservePpm,
    defaults.reserveDays,
    due.d1,
    due.t1,
    due.tn.map((d) => d.toISOString()),
    due.dayEnd,
  ];
}

/** Locks (in id order) the orders of these merchants with something due now: up to `limit`. */
export function lockDueOrders(
  q: Queryable,
  merchantIds: bigint[],
  defaults: SettlementTerms,
  due: DueBounds,
  limit: number,
) {
  return q.query<{ id: bigint }>(
    `WITH ${TERMS_CTE}
     SELECT o.id FROM pay_order o JOIN t ON t.merchant_id = o.merchant_id
     WHERE o.merchant_id = ANY($1::bigint[]) AND o.settled_at IS NULL AND o.state IN ${PAID_STATES}
       AND o.paid_at < $10
       AND (o.paid_at < ${FULL_CUTOFF} OR (t.cycle = 'D0' AND o.d0_settled_amount IS NULL))
     ORDER BY o.id LIMIT $11 FOR UPDATE OF o`,
    [...termsParams(merchantIds, defaults, due), limit],
  );
}

export interface SettledGroup {
  merchant_id: bigint;
  currency: string;
  /** settlement | test | direct */
  kind: 'settlement' | 'test' | 'direct';
  /** Direct mode: the channel account that paid; null otherwise. */
  channel_account_id: bigint | null;
  reserve_ppm: number;
  reserve_days: number;
  order_count: bigint;
  gross: bigint;
  fee: bigint;
  refunds: bigint;
  net: bigint;
}

/**
 * Settles the locked orders (the whole rest of the net, or D0's immediate part) and answers the
 * sums per merchant, currency, kind (and channel account for direct mode). An order's net:
 * platform amount − fee − its live refunds' own pending debits; direct amount − channel cost −
 * its live refunds' (amount − channel cost refund). Gross, fee and refunds count when an order's
 * first part settles; net is what moves now.
 */
export function settleOrders(
  q: Queryable,
  orderIds: bigint[],
  merchantIds: bigint[],
  defaults: SettlementTerms,
  due: DueBounds,
  settleTestOrders: boolean,
) {
  return q.query<SettledGroup>(
    `WITH ${TERMS_CTE},
     x AS (
       SELECT o.id, o.merchant_id, o.currency, o.amount, o.fee, COALESCE(o.settle_mode, 'platform') AS mode, o.test,
              o.channel_account_id, o.d0_settled_amount AS prior, t.d0_ppm, t.reserve_ppm, t.reserve_days,
              (o.paid_at < ${FULL_CUTOFF} OR t.d0_ppm = 1000000) AS completes,
              CASE WHEN COALESCE(o.settle_mode, 'platform') = 'direct'
                THEN o.amount - o.channel_cost - COALESCE(r.direct_debit, 0)
                ELSE o.amount - o.fee - ${divertedNetSql('o')} - COALESCE(r.own_debit, 0) END AS net,
              CASE WHEN COALESCE(o.settle_mode, 'platform') = 'direct' THEN COALESCE(r.direct_debit, 0)
                ELSE COALESCE(r.own_debit, 0) END AS refunded
       FROM pay_order o JOIN t ON t.merchant_id = o.merchant_id
       LEFT JOIN LATERAL (
         SELECT sum(debited_pending - pending_borrowed) AS own_debit,
                sum(CASE WHEN direct THEN amount - channel_cost_refund ELSE 0 END) AS direct_debit
         FROM refund_order r WHERE r.order_id = o.id AND r.state <> 'failed') r ON TRUE
       WHERE o.id = ANY($11::bigint[]) AND o.settled_at IS NULL AND o.paid_at < $10),
     y AS (
       SELECT x.*, CASE WHEN completes THEN net - COALESCE(prior, 0) ELSE (net * d0_ppm) / 1000000 END AS due
       FROM x),
     u AS (
       UPDATE pay_order p SET settled_at = CASE WHEN y.completes THEN now() ELSE NULL END,
         d0_settled_amount = CASE WHEN y.completes THEN p.d0_settled_amount ELSE y.due END, updated_at = now()
       FROM y WHERE p.id = y.id RETURNING p.id)
     SELECT merchant_id, currency,
            CASE WHEN mode = 'direct' THEN 'direct' WHEN test AND NOT $12::boolean THEN 'test' ELSE 'settlement' END AS kind,
            CASE WHEN mode = 'direct' THEN channel_account_id END AS channel_account_id,
            min(reserve_ppm) AS reserve_ppm, min(reserve_days) AS reserve_days,
            count(*)::bigint AS order_count,
            COALESCE(sum(amount) FILTER (WHERE prior IS NULL), 0)::bigint AS gross,
            COALESCE(sum(fee) FILTER (WHERE prior IS NULL), 0)::bigint AS fee,
            COALESCE(sum(refunded) FILTER (WHERE prior IS NULL), 0)::bigint AS refunds,
            COALESCE(sum(due), 0)::bigint AS net
     FROM y WHERE id IN (SELECT id FROM u)
     GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
    [...termsParams(merchantIds, defaults, due), ids(orderIds), settleTestOrders],
  );
}

/** Locks the merchants' pending debts and reads them. */
export function lockPendingDebts(q: Queryable, merchantIds: bigint[]) {
  return q.query<{ merchant_id: bigint; currency: string; amount: bigint }>(
    `SELECT merchant_id, currency, amount FROM settlement_pending_debt
     WHERE merchant_id = ANY($1::bigint[]) AND amount > 0 ORDER BY merchant_id, currency FOR UPDATE`,
    [ids(merchantIds)],
  );
}

export async function reducePendingDebts(
  q: Queryable,
  rows: { merchantId: bigint; currency: string; amount: bigint }[],
) {
  if (rows.length === 0) return;
  await q.query(
    `UPDATE settlement_pending_debt d SET amount = d.amount - v.amount
     FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS v(merchant_id, currency, amount)
     WHERE d.merchant_id = v.merchant_id AND d.currency = v.currency`,
    [ids(rows.map((r) => r.merchantId)), rows.map((r) => r.currency), ids(rows.map((r) => r.amount))],
  );
}

export interface NewRecord {
  merchantId: bigint;
  currency: string;
  day: string;
  kind: 'settlement' | 'test' | 'direct' | 'reserve_release';
  orderCount: bigint;
  gross: bigint;
  fee: bigint;
  refunds: bigint;
  net: bigint;
  reserve: bigint;
  reserveReleased: bigint;
  txnKey: string | null;
}

export async function insertRecords(q: Queryable, records: NewRecord[]) {
  if (records.length === 0) return;
  const col = <T>(f: (r: NewRecord) => T) => records.map(f);
  await q.query(
    `INSERT INTO settlement_record (merchant_id, currency, day, kind, order_count, gross, fee, refunds, net, reserve,
       reserve_released, txn_key)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::date[], $4::text[], $5::int[], $6::bigint[], $7::bigint[],
       $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::text[])`,
    [
      ids(col((r) => r.merchantId)),
      col((r) => r.currency),
      col((r) => r.day),
      col((r) => r.kind),
      col((r) => r.orderCount.toString()),
      ids(col((r) => r.gross)),
      ids(col((r) => r.fee)),
      ids(col((r) => r.refunds)),
      ids(col((r) => r.net)),
      ids(col((r) => r.reserve)),
      ids(col((r) => r.reserveReleased)),
      col((r) => r.txnKey) as string[],
    ],
  );
}

export async function insertReserves(
  q: Queryable,
  rows: { merchantId: bigint; currency: string; amount: bigint; heldOn: string; releaseOn: string }[],
) {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO settlement_reserve (merchant_id, currency, amount, held_on, release_on)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::date[], $5::date[])`,
    [
      ids(rows.map((r) => r.merchantId)),
      rows.map((r) => r.currency),
      ids(rows.map((r) => r.amount)),
      rows.map((r) => r.heldOn),
      rows.map((r) => r.releaseOn),
    ],
  );
}

/** Merchants and currencies with reserve due for release by `today`: accounts to open. */
export function reservesDue(q: Queryable, today: string) {
  return q.query<{ merchant_id: bigint; currency: string }>(
    `SELECT DISTINCT merchant_id, currency FROM settlement_reserve WHERE released_at IS NULL AND release_on <= $1::date`,
    [today],
  );
}

/** Releases up to `limit` due reserves (locked, in id order); answers the sums per merchant and currency. */
export function releaseReserves(q: Queryable, today: string, limit: number) {
  return q.query<{ merchant_id: bigint; currency: string; amount: bigint; count: bigint }>(
    `WITH due AS (
       SELECT id FROM settlement_reserve WHERE released_at IS NULL AND release_on <= $1::date
       ORDER BY id LIMIT $2 FOR UPDATE),
     u AS (UPDATE settlement_reserve s SET released_at = now() FROM due WHERE s.id = due.id
       RETURNING s.merchant_id, s.currency, s.amount)
     SELECT merchant_id, currency, sum(amount)::bigint AS amount, count(*)::bigint AS count FROM u
     GROUP BY 1, 2 ORDER BY 1, 2`,
    [today, limit],
  );
}

// ---------- reads ----------

export interface RecordDay {
  day: string;
  kind: string;
  merchant_id: bigint;
  mch_no: string;
  merchant_name: string;
  order_count: bigint;
  gross: bigint;
  fee: bigint;
  refunds: bigint;
  net: bigint;
  reserve: bigint;
  reserve_released: bigint;
  settled_at: Date;
  total: bigint;
}

/** Settlement records summed per merchant, day and mode (reserve releases join the platform row). */
export function listRecords(
  q: Queryable,
  f: { merchantId?: bigint; from?: string; to?: string; limit: number; offset: number },
) {
  return q.query<RecordDay>(
    `SELECT r.day::text AS day, CASE WHEN r.kind = 'direct' THEN 'direct' ELSE 'platform' END AS kind,
            r.merchant_id, m.mch_no, m.name AS merchant_name,
            sum(r.order_count)::bigint AS order_count, sum(r.gross)::bigint AS gross, sum(r.fee)::bigint AS fee,
            sum(r.refunds)::bigint AS refunds, sum(r.net)::bigint AS net, sum(r.reserve)::bigint AS reserve,
            sum(r.reserve_released)::bigint AS reserve_released, max(r.created_at) AS settled_at,
            count(*) OVER ()::bigint AS total
     FROM settlement_record r JOIN merchant m ON m.id = r.merchant_id
     WHERE ($1::bigint IS NULL OR r.merchant_id = $1) AND ($2::date IS NULL OR r.day >= $2::date)
       AND ($3::date IS NULL OR r.day <= $3::date)
     GROUP BY r.day, 2, r.merchant_id, m.mch_no, m.name
     ORDER BY r.day DESC, r.merchant_id LIMIT $4 OFFSET $5`,
    [f.merchantId ?? null, f.from ?? null, f.to ?? null, f.limit, f.offset],
  );
}

/** Direct mode per day: what the orders due that day should bring (expected) and what was recorded paid. */
export function channelSettlements(q: Queryable, merchantId: bigint, from: string, to: string) {
  return q.query<{ day: string; expected: bigint; settled: bigint }>(
    `SELECT day::text AS day, sum(net)::bigint AS expected, sum(net) FILTER (WHERE txn_key IS NOT NULL OR net = 0)::bigint AS settled
     FROM settlement_record WHERE merchant_id = $1 AND kind = 'direct' AND day BETWEEN $2::date AND $3::date
     GROUP BY day ORDER BY day DESC`,
    [merchantId, from, to],
  );
}

/** Direct-mode orders paid but not yet recorded as settled by the channel: expected later. */
export async function directOutstanding(q: Queryable, merchantId: bigint): Promise<bigint> {
  const rows = await q.query<{ v: bigint }>(
    `SELECT COALESCE(sum(o.amount - o.channel_cost - COALESCE(o.d0_settled_amount, 0) - COALESCE((
        SELECT sum(amount - channel_cost_refund) FROM refund_order r WHERE r.order_id = o.id AND r.state <> 'failed'), 0)), 0)::bigint AS v
     FROM pay_order o WHERE o.merchant_id = $1 AND o.settle_mode = 'direct' AND o.settled_at IS NULL
       AND o.state IN ${PAID_STATES}`,
    [merchantId],
  );
  return rows[0]!.v;
}

// ---------- checks ----------

/** Platform-mode merchants whose pending is not Σ unsettled orders' nets − the pending debt. */
export function pendingDrift(q: Queryable, limit: number) {
  return q.query<{ merchant_id: bigint; currency: string; balance: bigint; expected: bigint }>(
    `WITH e AS (
       SELECT o.merchant_id, o.currency,
              sum(o.amount - o.fee - ${divertedNetSql('o')} - COALESCE(o.d0_settled_amount, 0) - COALESCE(r.own, 0)) AS expected
       FROM pay_order o LEFT JOIN LATERAL (
         SELECT sum(debited_pending - pending_borrowed) AS own FROM refund_order r
         WHERE r.order_id = o.id AND r.state <> 'failed') r ON TRUE
       WHERE o.state IN ${PAID_STATES} AND o.settled_at IS NULL AND COALESCE(o.settle_mode, 'platform') = 'platform'
       GROUP BY 1, 2),
     b AS (SELECT owner_id AS merchant_id, currency, balance FROM ledger_account WHERE kind = 'merchant_pending'),
     j AS (
       SELECT COALESCE(b.merchant_id, e.merchant_id) AS merchant_id, COALESCE(b.currency, e.currency) AS currency,
              COALESCE(b.balance, 0) AS balance, COALESCE(e.expected, 0) AS expected
       FROM b FULL JOIN e ON e.merchant_id = b.merchant_id AND e.currency = b.currency)
     SELECT j.merchant_id, j.currency, j.balance::bigint AS balance, (j.expected - COALESCE(d.amount, 0))::bigint AS expected
     FROM j LEFT JOIN settlement_pending_debt d ON d.merchant_id = j.merchant_id AND d.currency = j.currency
     WHERE j.balance <> j.expected - COALESCE(d.amount, 0)
     ORDER BY 1, 2 LIMIT $1`,
    [limit],
  );
}

/** Merchants whose reserved balance is not the reserve held minus released. */
export function reserveDrift(q: Queryable, limit: number) {
  return q.query<{ merchant_id: bigint; currency: string; balance: bigint; expected: bigint }>(
    `WITH e AS (SELECT merchant_id, currency, sum(amount) FILTER (WHERE released_at IS NULL) AS held
                FROM settlement_reserve GROUP BY 1, 2),
     b AS (SELECT owner_id AS merchant_id, currency, balance FROM ledger_account WHERE kind = 'merchant_reserved')
     SELECT COALESCE(b.merchant_id, e.merchant_id) AS merchant_id, COALESCE(b.currency, e.currency) AS currency,
            COALESCE(b.balance, 0)::bigint AS balance, COALESCE(e.held, 0)::bigint AS expected
     FROM b FULL JOIN e ON e.merchant_id = b.merchant_id AND e.currency = b.currency
     WHERE COALESCE(b.balance, 0) <> COALESCE(e.held, 0) ORDER BY 1, 2 LIMIT $1`,
    [limit],
  );
}

/** Settlement records that moved money but whose ledger transaction is missing. */
export function unpostedRecords(q: Queryable, limit: number) {
  return q.query<{ id: bigint; txn_key: string | null }>(
    `SELECT r.id, r.txn_key FROM settlement_record r
     WHERE (r.net <> 0 OR r.reserve_released <> 0)
       AND (r.txn_key IS NULL OR NOT EXISTS (SELECT 1 FROM ledger_txn t WHERE t.idempotency_key = r.txn_key))
     ORDER BY r.id LIMIT $1`,
    [limit],
  );
}

/** A merchant's settlement records written in [from, to) (a statement's day), oldest first. */
export function recordsBetween(q: Queryable, merchantId: bigint, from: Date, to: Date) {
  return q.query<{
    day: string;
    kind: 'settlement' | 'test' | 'direct' | 'reserve_release';
    currency: string;
    order_count: number;
    gross: bigint;
    fee: bigint;
    refunds: bigint;
    net: bigint;
    reserve: bigint;
    reserve_released: bigint;
    created_at: Date;
  }>(
    `SELECT day::text AS day, kind, currency, order_count, gross, fee, refunds, net, reserve, reserve_released, created_at
     FROM settlement_record WHERE merchant_id = $1 AND created_at >= $2 AND created_at < $3
       AND (order_count > 0 OR net <> 0 OR reserve_released <> 0)
     ORDER BY created_at, id`,
    [merchantId, from.toISOString(), to.toISOString()],
  );
}

/** A merchant's settlement records written in [from, to) summed per local day (a month's statement). */
export function recordDays(q: Queryable, merchantId: bigint, from: Date, to: Date, timeZone: string) {
  return q.query<{ day: string; settled: bigint; reserve: bigint; reserve_released: bigint }>(
    `SELECT (created_at AT TIME ZONE $4)::date::text AS day,
            COALESCE(sum(net) FILTER (WHERE kind IN ('settlement', 'direct', 'test')), 0)::bigint AS settled,
            sum(reserve)::bigint AS reserve, sum(reserve_released)::bigint AS reserve_released
     FROM settlement_record WHERE merchant_id = $1 AND created_at >= $2 AND created_at < $3
     GROUP BY 1 ORDER BY 1`,
    [merchantId, from.toISOString(), to.toISOString(), timeZone],
  );
}
