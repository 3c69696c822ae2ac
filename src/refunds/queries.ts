import type { Queryable } from '../db/index.ts';
import type { AgentRefundPart } from '../orders/commissions.ts';
import type { NumberSearch } from '../orders/number-search.ts';

export const REFUND_STATES = ['pending', 'succeeded', 'failed'] as const;
export type RefundState = (typeof REFUND_STATES)[number];

export interface RefundRow {
  id: bigint;
  refund_no: string;
  app_id: string;
  mch_refund_no: string;
  request_hash: string;
  order_id: bigint;
  order_no: string;
  mch_order_no: string;
  merchant_id: bigint;
  channel_account_id: bigint;
  amount: bigint;
  fee_refund: bigint;
  channel_cost_refund: bigint;
  debited_pending: bigint;
  debited_available: bigint;
  /** A direct-mode order's refund: it debits what the channel owes the merchant, no balance. */
  direct: boolean;
  /** The part of debited_pending beyond the order's own unsettled net (a debt on pending). */
  pending_borrowed: bigint;
  /** A marketplace order's part of the debit taken back from escrow and members (src/splits). */
  split_debit: bigint;
  currency: string;
  reason: string | null;
  notify_url: string;
  state: RefundState;
  channel_refund_no: string | null;
  failure_code: string | null;
  failure_message: string | null;
  succeeded_at: Date | null;
  failed_at: Date | null;
  created_at: Date;
  updated_at: Date;
  source: RefundSource;
  created_by_user_id: bigint | null;
  /** The commission each agent gave back, and from which of its accounts (orders/commissions.ts). */
  agent_refunds: AgentRefundPart[] | null;
  agent_commission_refund: bigint;
}

/** Where a refund was asked for: the signed merchant API or a console (operator or merchant user). */
export type RefundSource = 'api' | 'console';

export interface NewRefund {
  appId: string;
  mchRefundNo: string;
  requestHash: string;
  orderId: bigint;
  orderNo: string;
  mchOrderNo: string;
  merchantId: bigint;
  channelAccountId: bigint;
  amount: bigint;
  feeRefund: bigint;
  channelCostRefund: bigint;
  debitedPending: bigint;
  debitedAvailable: bigint;
  currency: string;
  reason: string | null;
  notifyUrl: string;
  source: RefundSource;
  createdByUserId: bigint | null;
  direct?: boolean;
  pendingBorrowed?: bigint;
  agentRefunds?: AgentRefundPart[] | null;
  /** A marketplace order's part of the debit taken back from escrow and members (src/splits). */
  splitDebit?: bigint;
}

/**
 * Inserts a refund. The refund number is 'R' + yyMMddHHmmss (Beijing time) + 8 digits of a
 * sequence, like order numbers. Null when (app, mchRefundNo) is already taken.
 */
export async function insertRefund(q: Queryable, r: NewRefund): Promise<RefundRow | null> {
  const rows = await q.query<RefundRow>(
    `INSERT INTO refund_order (refund_no, app_id, mch_refund_no, request_hash, order_id, order_no, mch_order_no,
       merchant_id, channel_account_id, amount, fee_refund, channel_cost_refund, debited_pending, debited_available,
       currency, reason, notify_url, source, created_by_user_id, direct, pending_borrowed, agent_refunds,
       agent_commission_refund, split_debit)
     VALUES ('R' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYMMDDHH24MISS')
                 || lpad((nextval('refund_no_seq') % 100000000)::text, 8, '0'),
             $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21::jsonb,
             $22, $23)
     ON CONFLICT (app_id, mch_refund_no) DO NOTHING RETURNING *`,
    [
      r.appId,
      r.mchRefundNo,
      r.requestHash,
      r.orderId,
      r.orderNo,
      r.mchOrderNo,
      r.merchantId,
      r.channelAccountId,
      r.amount,
      r.feeRefund,
      r.channelCostRefund,
      r.debitedPending,
      r.debitedAvailable,
      r.currency,
      r.reason,
      r.notifyUrl,
      r.source,
      r.createdByUserId,
      r.direct ?? false,
      r.pendingBorrowed ?? 0n,
      r.agentRefunds?.length ? JSON.stringify(r.agentRefunds) : null,
      (r.agentRefunds ?? []).reduce((sum, a) => sum + BigInt(a.amount), 0n),
      r.splitDebit ?? 0n,
    ],
  );
  return rows[0] ?? null;
}

export async function findByRefundNo(q: Queryable, refundNo: string): Promise<RefundRow | null> {
  return (await q.query<RefundRow>('SELECT * FROM refund_order WHERE refund_no = $1', [refundNo]))[0] ?? null;
}

export async function findByAppAndMchRefundNo(
  q: Queryable,
  appId: string,
  mchRefundNo: string,
): Promise<RefundRow | null> {
  const rows = await q.query<RefundRow>(
    'SELECT * FROM refund_order WHERE app_id = $1 AND mch_refund_no = $2',
    [appId, mchRefundNo],
  );
  return rows[0] ?? null;
}

export function refundsOfOrder(q: Queryable, orderId: bigint) {
  return q.query<RefundRow>('SELECT * FROM refund_order WHERE order_id = $1 ORDER BY id', [orderId]);
}

export interface RefundFilter {
  merchantId?: bigint;
  state?: RefundState;
  /**
   * Any of the refund's numbers or its order's: refund, merchant refund, order, merchant order; or
   * the end of the refund's or the order's platform number.
   */
  search?: NumberSearch;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
  limit: number;
  offset: number;
}

/** The consoles' refund filters as one WHERE clause over `refund_order r` ($1 … $6, see refundFilterParams). */
const REFUND_WHERE = `
     WHERE ($1::bigint IS NULL OR r.merchant_id = $1)
       AND ($2::text IS NULL OR r.state = $2)
       AND ($3::text IS NULL OR r.refund_no = $3 OR r.mch_refund_no = $3 OR r.order_no = $3
            OR r.mch_order_no = $3
            OR ($6::text IS NOT NULL AND (reverse(r.refund_no) LIKE $6 OR reverse(r.order_no) LIKE $6)))
       AND ($4::timestamptz IS NULL OR r.created_at >= $4)
       AND ($5::timestamptz IS NULL OR r.created_at < $5)`;

export type RefundMatch = Omit<RefundFilter, 'limit' | 'offset'>;

function refundFilterParams(f: RefundMatch) {
  return [
    f.merchantId ?? null,
    f.state ?? null,
    f.search?.exact ?? null,
    f.from ?? null,
    f.to ?? null,
    f.search?.reversedSuffix ?? null,
  ];
}

/**
 * One page of refunds, newest first, with the number of matches. Every filter is in the WHERE
 * clause (the merchant's scope included), so a page never holds a row it should not.
 */
export function listRefunds(q: Queryable, f: RefundFilter) {
  return q.query<RefundRow & { total: bigint }>(
    `SELECT r.*, count(*) OVER ()::bigint AS total
     FROM refund_order r ${REFUND_WHERE}
     ORDER BY r.created_at DESC, r.id DESC LIMIT $7 OFFSET $8`,
    [...refundFilterParams(f), f.limit, f.offset],
  );
}

/** How many refunds match the list's filters (an export's size). */
export async function countRefunds(q: Queryable, f: RefundMatch): Promise<number> {
  const rows = await q.query<{ n: bigint }>(
    `SELECT count(*)::bigint AS n FROM refund_order r ${REFUND_WHERE}`,
    refundFilterParams(f),
  );
  return Number(rows[0]!.n);
}

/** The matching refunds after `afterId` in id order (an export's keyset page). */
export function refundsAfter(q: Queryable, f: RefundMatch, afterId: bigint, limit: number) {
  return q.query<RefundRow>(
    `SELECT r.* FROM refund_order r ${REFUND_WHERE} AND r.id > $7 ORDER BY r.id LIMIT $8`,
    [...refundFilterParams(f), afterId, limit],
  );
}

/** What has been refunded of an order for good (succeeded refunds). */
export async function succeededTotal(q: Queryable, orderId: bigint): Promise<bigint> {
  const rows = await q.query<{ total: bigint }>(
    `SELECT COALESCE(sum(amount), 0)::bigint AS total FROM refund_order WHERE order_id = $1 AND state = 'succeeded'`,
    [orderId],
  );
  return rows[0]!.total;
}

/** Compare-and-set pending → succeeded | failed. Null when the refund was no longer pending. */
export async function settle(
  q: Queryable,
  id: bigint,
  to: 'succeeded' | 'failed',
  patch: { channelRefundNo: string | null; failureCode?: string; failureMessage?: string },
): Promise<RefundRow | null> {
  const rows = await q.query<RefundRow>(
    `UPDATE refund_order SET state = $2, updated_at = now(),
       channel_refund_no = COALESCE($3, channel_refund_no),
       failure_code = $4, failure_message = $5,
       succeeded_at = CASE WHEN $2 = 'succeeded' THEN now() END,
       failed_at = CASE WHEN $2 = 'failed' THEN now() END
     WHERE id = $1 AND state = 'pending' RETURNING *`,
    [id, to, patch.channelRefundNo, patch.failureCode ?? null, patch.failureMessage ?? null],
  );
  return rows[0] ?? null;
}

/** Records the channel's refund number of a refund it took (still pending). */
export async function setChannelRefundNo(q: Queryable, id: bigint, channelRefundNo: string | null) {
  await q.query(
    `UPDATE refund_order SET channel_refund_no = COALESCE($2, channel_refund_no), updated_at = now()
     WHERE id = $1 AND state = 'pending'`,
    [id, channelRefundNo],
  );
}

/** Pending refunds not looked at for `olderThanSeconds`; they are touched so the next run takes others. */
export function claimStalePending(q: Queryable, olderThanSeconds: number, limit: number) {
  return q.query<RefundRow>(
    `UPDATE refund_order SET updated_at = now()
     WHERE id IN (SELECT id FROM refund_order WHERE state = 'pending'
                    AND updated_at < now() - make_interval(secs => $1) ORDER BY updated_at LIMIT $2)
     RETURNING *`,
    [olderThanSeconds, limit],
  );
}

export async function countByState(q: Queryable) {
  const rows = await q.query<{ total: bigint; failed: bigint }>(
    `SELECT count(*)::bigint AS total, count(*) FILTER (WHERE state = 'failed')::bigint AS failed FROM refund_order`,
  );
  return rows[0]!;
}

/**
 * Orders whose reserved refund amount, fee and cost differ from their refunds that did not fail
 * (a read across the orders table, for the invariant checker only).
 */
export function reservationDrift(q: Queryable, limit: number) {
  return q.query<{ order_no: string; refunded_amount: bigint; expected: bigint }>(
    `SELECT o.order_no, o.refunded_amount, COALESCE(r.amount, 0)::bigint AS expected
     FROM pay_order o
     LEFT JOIN (SELECT order_id, sum(amount) AS amount, sum(fee_refund) AS fee, sum(channel_cost_refund) AS cost
                FROM refund_order WHERE state <> 'failed' GROUP BY order_id) r ON r.order_id = o.id
     WHERE o.refunded_amount <> COALESCE(r.amount, 0) OR o.refunded_fee <> COALESCE(r.fee, 0)
        OR o.refunded_channel_cost <> COALESCE(r.cost, 0)
     ORDER BY o.id LIMIT $1`,
    [limit],
  );
}

/** A refund as a merchant's statement lists it. */
export interface StatementRefundRow {
  refund_no: string;
  mch_refund_no: string;
  order_no: string;
  mch_order_no: string;
  created_at: Date;
  succeeded_at: Date | null;
  failed_at: Date | null;
  amount: bigint;
  fee_refund: bigint;
  currency: string;
  state: RefundState;
  direct: boolean;
  test: boolean;
}

/**
 * A merchant's refunds asked for in [from, to) (the merchant is debited when a refund is asked for)
 * and those that failed in it (the debit given back), oldest first.
 */
export function refundsBetween(q: Queryable, merchantId: bigint, from: Date, to: Date) {
  return q.query<StatementRefundRow>(
    `SELECT r.refund_no, r.mch_refund_no, r.order_no, r.mch_order_no, r.created_at, r.succeeded_at, r.failed_at,
            r.amount, r.fee_refund, r.currency, r.state, r.direct, o.test
     FROM refund_order r JOIN pay_order o ON o.id = r.order_id
     WHERE r.merchant_id = $1 AND ((r.created_at >= $2 AND r.created_at < $3) OR (r.failed_at >= $2 AND r.failed_at < $3))
     ORDER BY r.created_at, r.id`,
    [merchantId, from.toISOString(), to.toISOString()],
  );
}

/** A merchant's refunds asked for in [from, to) summed per local day (failed ones only counted). */
export function refundDays(q: Queryable, merchantId: bigint, from: Date, to: Date, timeZone: string) {
  return q.query<{ day: string; refunds: bigint; amount: bigint; fee_refund: bigint; failed: bigint }>(
    `SELECT (r.created_at AT TIME ZONE $4)::date::text AS day,
            count(*) FILTER (WHERE r.state <> 'failed')::bigint AS refunds,
            COALESCE(sum(r.amount) FILTER (WHERE r.state <> 'failed'), 0)::bigint AS amount,
            COALESCE(sum(r.fee_refund) FILTER (WHERE r.state <> 'failed'), 0)::bigint AS fee_refund,
            count(*) FILTER (WHERE r.state = 'failed')::bigint AS failed
     FROM refund_order r WHERE r.merchant_id = $1 AND r.created_at >= $2 AND r.created_at < $3
     GROUP BY 1 ORDER BY 1`,
    [merchantId, from.toISOString(), to.toISOString(), timeZone],
  );
}

/**
 * A merchant's refunds of marketplace orders asked for in [from, to) and not failed, per local day
 * (`marketplaceOrder` is the splits' condition on `r.order_id`): count, amount and the fee given back.
 */
export function marketplaceRefundsByDay(
  q: Queryable,
  f: { merchantId: bigint; from: Date; to: Date; timeZone: string; includeTest: boolean },
  marketplaceOrder: string,
) {
  return q.query<{ day: string; count: bigint; amount: bigint; fee: bigint }>(
    `SELECT to_char(r.created_at AT TIME ZONE $4, 'YYYY-MM-DD') AS day, count(*)::bigint AS count,
       sum(r.amount)::bigint AS amount, sum(r.fee_refund)::bigint AS fee
     FROM refund_order r JOIN pay_order o ON o.id = r.order_id
     WHERE r.merchant_id = $1 AND r.created_at >= $2 AND r.created_at < $3 AND r.state <> 'failed'
       AND (NOT o.test OR $5::boolean) AND ${marketplaceOrder}
     GROUP BY 1`,
    [f.merchantId, f.from, f.to, f.timeZone, f.includeTest],
  );
}
