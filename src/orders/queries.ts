import { randomInt } from 'node:crypto';
import type { Queryable, SqlValue } from '../db/index.ts';
import { type KeysetPage, keysetPage, type PageCursor } from '../db/keyset.ts';
import { rowsSince } from '../db/partitions.ts';
import { DEFAULT_ORDER_NUMBER_RULE, ORDER_DATE_PARTS, type OrderNumberRule } from '../settings/platform.ts';
import { divertedNetSql } from '../splits/queries.ts';
import type { NumberSearch } from './number-search.ts';
import type { OrderChainLevel } from './profit.ts';
import type { OrderState } from './state.ts';

export interface OrderRow {
  id: bigint;
  order_no: string;
  merchant_id: bigint;
  app_id: string;
  mch_order_no: string;
  request_hash: string;
  product_id: bigint;
  product_code: string;
  channel_account_id: bigint | null;
  adapter_code: string | null;
  amount: bigint;
  currency: string;
  subject: string;
  body: string | null;
  state: OrderState;
  merchant_rate_ppm: number;
  channel_rate_ppm: number | null;
  fee: bigint;
  channel_cost: bigint;
  platform_profit: bigint;
  notify_url: string;
  return_url: string | null;
  client_ip: string | null;
  extra: Record<string, unknown> | null;
  pay_data_type: string | null;
  pay_data_value: string | null;
  channel_order_no: string | null;
  failure_code: string | null;
  failure_message: string | null;
  /** Why it failed, a word the consoles translate (ORDER_FAILURE_REASONS); null before migration 017. */
  failure_reason: string | null;
  expires_at: Date;
  paid_at: Date | null;
  closed_at: Date | null;
  next_query_at: Date | null;
  query_count: number;
  sweep_after: Date | null;
  created_at: Date;
  updated_at: Date;
  /** Where the order came from: the signed API, the merchant portal, the operator test page, a static QR. */
  source: OrderSource;
  /** The console user who placed it (portal collect, operator test page); null for the API. */
  created_by_user_id: bigint | null;
  /** A test order: tagged in lists and left out of statistics. */
  test: boolean;
  /** The static QR (collect code) the payer ordered through; null otherwise. */
  collect_code_id: bigint | null;
  manual_completed_by: bigint | null;
  manual_completed_at: Date | null;
  manual_completion_remark: string | null;
  /** Reserved or refunded of the amount (pending and succeeded refunds); never above amount. */
  refunded_amount: bigint;
  /** The merchant fee and the channel cost given back with those refunds. */
  refunded_fee: bigint;
  refunded_channel_cost: bigint;
  /** The agents' commission given back with those refunds. */
  refunded_agent_commission: bigint;
  /** The merchant's agent chain when the order was created, with each agent's share (orders/profit.ts). */
  agent_chain: OrderChainLevel[] | null;
  /** The agents' shares together; platform_profit = fee − channel_cost − agent_commission. */
  agent_commission: bigint;
  /** The merchant's settlement mode when paid (null: paid before settlement existed, platform). */
  settle_mode: 'platform' | 'direct' | null;
  /** When the order's net settled (platform: left pending; direct: the channel paid the merchant). */
  settled_at: Date | null;
  /** D0: the part of the net settled on the paid day. */
  d0_settled_amount: bigint | null;
}

export const ORDER_SOURCES = ['api', 'portal', 'console_test', 'static_qr'] as const;
export type OrderSource = (typeof ORDER_SOURCES)[number];

export interface NewOrder {
  merchantId: bigint;
  appId: string;
  mchOrderNo: string;
  requestHash: string;
  productId: bigint;
  productCode: string;
  channelAccountId: bigint;
  adapterCode: string;
  amount: bigint;
  currency: string;
  subject: string;
  body: string | null;
  merchantRatePpm: number;
  channelRatePpm: number;
  fee: bigint;
  channelCost: bigint;
  platformProfit: bigint;
  agentCommission: bigint;
  agentChain: OrderChainLevel[] | null;
  notifyUrl: string;
  returnUrl: string | null;
  clientIp: string | null;
  extra: Record<string, unknown> | null;
  expiresAt: Date;
  source: OrderSource;
  createdByUserId: bigint | null;
  test: boolean;
  collectCodeId: bigint | null;
}

export interface NewOrderEvent {
  kind: string;
  detail: object;
}

/**
 * Inserts orders and their first events in one statement (the group-commit path). The order
 * number follows the operators' rule (支付配置, settings/platform.ts): prefix + date part (Beijing
 * time) + the database sequence zero-padded to its digits (never cut, so no two orders share it
 * across nodes, whatever the rule) + random digits. An order whose (app, mchOrderNo) already exists
 * is skipped: it is not in the result.
 */
export function insertOrders(
  q: Queryable,
  orders: { order: NewOrder; events: NewOrderEvent[] }[],
  rule: OrderNumberRule = DEFAULT_ORDER_NUMBER_RULE,
) {
  const rows = orders.map(({ order: o, events }) => ({
    merchant_id: o.merchantId.toString(),
    app_id: o.appId,
    mch_order_no: o.mchOrderNo,
    request_hash: o.requestHash,
    product_id: o.productId.toString(),
    product_code: o.productCode,
    channel_account_id: o.channelAccountId.toString(),
    adapter_code: o.adapterCode,
    amount: o.amount.toString(),
    currency: o.currency,
    subject: o.subject,
    body: o.body,
    merchant_rate_ppm: o.merchantRatePpm,
    channel_rate_ppm: o.channelRatePpm,
    fee: o.fee.toString(),
    channel_cost: o.channelCost.toString(),
    platform_profit: o.platformProfit.toString(),
    agent_commission: o.agentCommission.toString(),
    agent_chain: o.agentChain,
    notify_url: o.notifyUrl,
    return_url: o.returnUrl,
    client_ip: o.clientIp,
    extra: o.extra,
    expires_at: o.expiresAt.toISOString(),
    source: o.source,
    created_by_user_id: o.createdByUserId?.toString() ?? null,
    test: o.test,
    collect_code_id: o.collectCodeId?.toString() ?? null,
    rand: randomDigits(rule.randomDigits),
    events,
  }));
  return q.query<OrderRow>(
    `WITH v AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS v(merchant_id bigint, app_id text, mch_order_no text,
         request_hash text, product_id bigint, product_code text, channel_account_id bigint, adapter_code text,
         amount bigint, currency text, subject text, body text, merchant_rate_ppm int, channel_rate_ppm int, fee bigint,
         channel_cost bigint, platform_profit bigint, agent_commission bigint, agent_chain jsonb, notify_url text, return_url text, client_ip text, extra jsonb,
         expires_at timestamptz, source text, created_by_user_id bigint, test boolean, collect_code_id bigint, rand text, events jsonb)),
     n AS (SELECT v.app_id, v.mch_order_no, nextval('order_no_seq')::text AS seq FROM v),
     o AS (
       INSERT INTO pay_order (order_no, merchant_id, app_id, mch_order_no, request_hash, product_id, product_code,
         channel_account_id, adapter_code, amount, currency, subject, body, state, merchant_rate_ppm, channel_rate_ppm,
         fee, channel_cost, platform_profit, agent_commission, agent_chain, notify_url, return_url, client_ip, extra,
         expires_at, source, created_by_user_id, test, collect_code_id)
       SELECT $2::text || CASE WHEN $3::text = '' THEN '' ELSE to_char(now() AT TIME ZONE 'Asia/Shanghai', $3::text) END
                  || CASE WHEN length(n.seq) >= $4::int THEN n.seq ELSE lpad(n.seq, $4::int, '0') END || v.rand,
              v.merchant_id, v.app_id, v.mch_order_no, request_hash, product_id, product_code, channel_account_id, adapter_code,
              amount, currency, subject, body, 'created', merchant_rate_ppm, channel_rate_ppm, fee, channel_cost,
              platform_profit, agent_commission, agent_chain, notify_url, return_url, client_ip, extra, expires_at, source, created_by_user_id, test,
              collect_code_id
       FROM v JOIN n ON n.app_id = v.app_id AND n.mch_order_no = v.mch_order_no
       ON CONFLICT (app_id, mch_order_no) DO NOTHING
       RETURNING *),
     e AS (
       INSERT INTO order_event (order_id, kind, detail)
       SELECT o.id, ev.kind, ev.detail
       FROM o JOIN v ON v.app_id = o.app_id AND v.mch_order_no = o.mch_order_no,
         jsonb_to_recordset(v.events) AS ev(kind text, detail jsonb))
     SELECT * FROM o`,
    [JSON.stringify(rows), rule.prefix, ORDER_DATE_PARTS[rule.datePart], rule.sequenceDigits],
  );
}

/** `count` decimal digits from the CSPRNG ('' for none). */
function randomDigits(count: number): string {
  let digits = '';
  while (digits.length < count) digits += randomInt(0, 1_000_000).toString().padStart(6, '0');
  return digits.slice(0, count);
}

export function findByAppAndMchOrderNos(q: Queryable, keys: { appId: string; mchOrderNo: string }[]) {
  return q.query<OrderRow>(
    `SELECT p.* FROM pay_order p JOIN unnest($1::text[], $2::text[]) AS k(app_id, mch_order_no)
       ON p.app_id = k.app_id AND p.mch_order_no = k.mch_order_no`,
    [keys.map((k) => k.appId), keys.map((k) => k.mchOrderNo)],
  );
}

export async function findByAppAndMchOrderNo(q: Queryable, appId: string, mchOrderNo: string) {
  return (await findByAppAndMchOrderNos(q, [{ appId, mchOrderNo }]))[0] ?? null;
}

/** Records the channel's acceptance of many created orders: paying, with their pay data. */
export function markPaying(
  q: Queryable,
  accepted: {
    id: bigint;
    channelAccountId: bigint;
    channelOrderNo: string | null;
    payDataType: string;
    payDataValue: string;
    nextQueryAt: Date;
  }[],
) {
  return q.query<OrderRow>(
    `WITH v AS (
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
         AS v(id, channel_account_id, channel_order_no, pay_data_type, pay_data_value, next_query_at)),
     locked AS (SELECT id FROM pay_order WHERE id IN (SELECT id FROM v) ORDER BY id FOR NO KEY UPDATE),
     o AS (
       UPDATE pay_order p SET state = 'paying', channel_order_no = v.channel_order_no, pay_data_type = v.pay_data_type,
         pay_data_value = v.pay_data_value, next_query_at = v.next_query_at, updated_at = now()
       FROM v WHERE p.id = v.id AND p.state = 'created' AND p.channel_account_id = v.channel_account_id
         AND p.id IN (SELECT id FROM locked)
       RETURNING p.*),
     e AS (
       INSERT INTO order_event (order_id, kind, detail)
       SELECT id, 'channel_accepted',
              jsonb_build_object('channelAccountId', channel_account_id::text, 'channelOrderNo', channel_order_no)
       FROM o)
     SELECT * FROM o`,
    [
      accepted.map((a) => a.id.toString()),
      accepted.map((a) => a.channelAccountId.toString()),
      accepted.map((a) => a.channelOrderNo) as string[],
      accepted.map((a) => a.payDataType),
      accepted.map((a) => a.payDataValue),
      accepted.map((a) => a.nextQueryAt.toISOString()),
    ],
  );
}

export function findByOrderNos(q: Queryable, orderNos: string[]) {
  return q.query<OrderRow>('SELECT * FROM pay_order WHERE order_no = ANY($1::text[])', [orderNos]);
}

export async function findByOrderNo(q: Queryable, orderNo: string) {
  return (await q.query<OrderRow>('SELECT * FROM pay_order WHERE order_no = $1', [orderNo]))[0] ?? null;
}

export async function findById(q: Queryable, id: bigint) {
  return (await q.query<OrderRow>('SELECT * FROM pay_order WHERE id = $1', [id]))[0] ?? null;
}

/** Columns a transition may set besides the state. Named, so a transition states its intent. */
const PATCHABLE = {
  channelAccountId: 'channel_account_id',
  adapterCode: 'adapter_code',
  channelRatePpm: 'channel_rate_ppm',
  fee: 'fee',
  channelCost: 'channel_cost',
  platformProfit: 'platform_profit',
  agentCommission: 'agent_commission',
  agentChain: 'agent_chain',
  payDataType: 'pay_data_type',
  payDataValue: 'pay_data_value',
  channelOrderNo: 'channel_order_no',
  failureCode: 'failure_code',
  failureMessage: 'failure_message',
  failureReason: 'failure_reason',
  paidAt: 'paid_at',
  closedAt: 'closed_at',
  nextQueryAt: 'next_query_at',
  queryCount: 'query_count',
  test: 'test',
} as const;

export type OrderPatch = Partial<Record<keyof typeof PATCHABLE, SqlValue>>;

/**
 * Compare-and-set: moves the order from `from` to `to` only if it is still in `from`, and writes
 * `events` in the same statement. Returns null if another writer got there first.
 */
export async function transition(
  q: Queryable,
  id: bigint,
  from: OrderState,
  to: OrderState,
  patch: OrderPatch,
  events: { kind: string; detail: object; alert?: boolean }[] = [],
) {
  const keys = Object.keys(patch) as (keyof typeof PATCHABLE)[];
  const sets = keys.map((k, i) => `${PATCHABLE[k]} = $${i + 5}`);
  const rows = await q.query<OrderRow>(
    `WITH o AS (
       UPDATE pay_order SET state = $3, updated_at = now()${sets.map((s) => `, ${s}`).join('')}
       WHERE id = $1 AND state = $2 RETURNING *),
     e AS (
       INSERT INTO order_event (order_id, kind, detail, alert)
       SELECT o.id, ev.kind, ev.detail, COALESCE(ev.alert, false) FROM o,
         jsonb_to_recordset($4::jsonb) AS ev(kind text, detail jsonb, alert boolean))
     SELECT * FROM o`,
    [id, from, to, JSON.stringify(events), ...keys.map((k) => patch[k])],
  );
  return rows[0] ?? null;
}

/**
 * Moves many orders to paid, each only if it is still in its expected state (compare-and-set),
 * with their `paid` events and, for a payment after close or failure, a `late_payment` alert.
 * A manual completion (补单) is a payment too: it also records who completed the order, when and
 * why, with a `manual_completion` event (and no late-payment alert: a person decided it).
 * Rows are locked in id order first, so two batches that share orders wait instead of deadlocking.
 * Returns the orders it moved.
 */
export function markPaid(
  q: Queryable,
  payments: {
    id: bigint;
    expectedState: OrderState;
    /** The account the confirmation came from: a rerouted order is not paid by its old channel. */
    channelAccountId: bigint;
    paidAt: Date;
    channelOrderNo: string | null;
    source: string;
    manual: { userId: bigint; username: string; remark: string } | null;
    /** The merchant's settlement mode now: recorded on the order, it decides how the order settles. */
    settleMode: 'platform' | 'direct';
  }[],
) {
  return q.query<OrderRow>(
    `WITH v AS (
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::bigint[],
           $7::bigint[], $8::text[], $9::text[], $10::text[])
         AS v(id, expected_state, paid_at, channel_order_no, source, channel_account_id, manual_by, manual_username,
           manual_remark, settle_mode)),
     locked AS (SELECT id FROM pay_order WHERE id IN (SELECT id FROM v) ORDER BY id FOR NO KEY UPDATE),
     o AS (
       UPDATE pay_order p SET state = 'paid', paid_at = v.paid_at,
         channel_order_no = COALESCE(v.channel_order_no, p.channel_order_no), next_query_at = NULL, updated_at = now(),
         manual_completed_by = v.manual_by,
         manual_completed_at = CASE WHEN v.manual_by IS NULL THEN NULL ELSE now() END,
         manual_completion_remark = v.manual_remark, settle_mode = v.settle_mode
       FROM v WHERE p.id = v.id AND p.state = v.expected_state AND p.channel_account_id = v.channel_account_id
         AND p.id IN (SELECT id FROM locked)
       RETURNING p.*, v.expected_state AS previous_state, v.source AS paid_source, v.manual_username),
     -- An order with agents keeps one profit row per party: the platform (level 0) and each agent.
     pr AS (
       INSERT INTO order_profit (order_id, level, agent_id, merchant_id, product_id, currency, rate_ppm, fixed_fee,
         minimum_fee, amount, paid_at, order_amount, test)
       SELECT o.id, l.ord::int, (l.v->>'agentId')::bigint, o.merchant_id, o.product_id, o.currency,
              (l.v->>'ratePpm')::int, (l.v->>'fixedFee')::bigint, (l.v->>'minimumFee')::bigint,
              (l.v->>'share')::bigint, o.paid_at, o.amount, o.test
       FROM o, jsonb_array_elements(o.agent_chain) WITH ORDINALITY AS l(v, ord)
       WHERE o.agent_chain IS NOT NULL
       UNION ALL
       SELECT o.id, 0, NULL, o.merchant_id, o.product_id, o.currency, NULL, NULL, NULL, o.platform_profit, o.paid_at,
              o.amount, o.test
       FROM o WHERE o.agent_chain IS NOT NULL
       ON CONFLICT DO NOTHING),
     e AS (
       INSERT INTO order_event (order_id, kind, detail, alert)
       SELECT id, 'manual_completion',
              jsonb_build_object('operatorId', manual_completed_by::text, 'operator', manual_username,
                'remark', manual_completion_remark, 'previousState', previous_state), false
       FROM o WHERE manual_completed_by IS NOT NULL
       UNION ALL
       SELECT id, 'paid', jsonb_build_object('source', paid_source, 'channelOrderNo', channel_order_no), false FROM o
       UNION ALL
       SELECT id, 'late_payment', jsonb_build_object('previousState', previous_state, 'source', paid_source), true
       FROM o WHERE previous_state IN ('closed', 'failed') AND manual_completed_by IS NULL)
     SELECT * FROM o`,
    [
      payments.map((p) => p.id.toString()),
      payments.map((p) => p.expectedState),
      payments.map((p) => p.paidAt.toISOString()),
      payments.map((p) => p.channelOrderNo) as string[],
      payments.map((p) => p.source),
      payments.map((p) => p.channelAccountId.toString()),
      payments.map((p) => p.manual?.userId.toString() ?? null) as string[],
      payments.map((p) => p.manual?.username ?? null) as string[],
      payments.map((p) => p.manual?.remark ?? null) as string[],
      payments.map((p) => p.settleMode),
    ],
  );
}

export async function insertEvent(
  q: Queryable,
  orderId: bigint,
  kind: string,
  detail: object,
  alert = false,
) {
  await q.query('INSERT INTO order_event (order_id, kind, detail, alert) VALUES ($1, $2, $3::jsonb, $4)', [
    orderId,
    kind,
    JSON.stringify(detail),
    alert,
  ]);
}

export async function postponeSweep(q: Queryable, id: bigint, sweepAfter: Date) {
  await q.query('UPDATE pay_order SET sweep_after = $2 WHERE id = $1', [id, sweepAfter]);
}

export async function scheduleQuery(q: Queryable, id: bigint, nextQueryAt: Date | null, queryCount: number) {
  await q.query('UPDATE pay_order SET next_query_at = $2, query_count = $3 WHERE id = $1', [
    id,
    nextQueryAt,
    queryCount,
  ]);
}

/** An order as the lookups of its history take it: the id, and when it was created to prune the months. */
export type OrderRef = Pick<OrderRow, 'id' | 'created_at'>;

export function eventsOf(q: Queryable, order: OrderRef) {
  return q.query<{
    id: bigint;
    kind: string;
    detail: Record<string, unknown>;
    alert: boolean;
    created_at: Date;
  }>(
    'SELECT id, kind, detail, alert, created_at FROM order_event WHERE order_id = $1 AND created_at >= $2 ORDER BY id',
    [order.id, rowsSince(order.created_at)],
  );
}

export function dueForExpiry(q: Queryable, limit: number) {
  return q.query<OrderRow>(
    `SELECT * FROM pay_order WHERE state IN ('created', 'paying') AND expires_at <= now()
       AND (sweep_after IS NULL OR sweep_after <= now())
     ORDER BY expires_at LIMIT $1`,
    [limit],
  );
}

export function dueForQuery(q: Queryable, limit: number) {
  return q.query<OrderRow>(
    `SELECT * FROM pay_order WHERE state = 'paying' AND next_query_at <= now() AND expires_at > now()
     ORDER BY next_query_at LIMIT $1`,
    [limit],
  );
}

/**
 * Created orders sent to a channel account before `sentBefore` (while an order is created,
 * updated_at is when it was last sent: insert or failover) and not asked about since
 * (next_query_at): their channel call is long overdue (resume.ts).
 */
export function strandedCreated(q: Queryable, sentBefore: Date, limit: number) {
  return q.query<OrderRow>(
    `SELECT * FROM pay_order WHERE state = 'created' AND updated_at <= $1 AND channel_account_id IS NOT NULL
       AND expires_at > now() AND (next_query_at IS NULL OR next_query_at <= now())
     ORDER BY updated_at LIMIT $2`,
    [sentBefore, limit],
  );
}

/** Paid volume since local midnight per channel account (for daily limits). */
export function paidTodayByAccount(q: Queryable, accountIds: bigint[], timeZone: string) {
  return q.query<{ channel_account_id: bigint; total: bigint }>(
    `SELECT channel_account_id, sum(amount)::bigint AS total FROM pay_order
     WHERE channel_account_id = ANY($1::bigint[])
       AND paid_at >= (date_trunc('day', now() AT TIME ZONE $2) AT TIME ZONE $2)
     GROUP BY channel_account_id`,
    [accountIds.map(String), timeZone],
  );
}

export async function countPaid(q: Queryable): Promise<bigint> {
  const rows = await q.query<{ n: bigint }>(
    'SELECT count(*)::bigint AS n FROM pay_order WHERE paid_at IS NOT NULL',
  );
  return rows[0]!.n;
}

export interface OrderFilter {
  merchantId?: bigint;
  /** Only the orders this console user placed (a cashier's own). */
  createdByUserId?: bigint;
  state?: string;
  productCode?: string;
  channelAccountId?: bigint;
  /** Any of the order's numbers (platform, merchant or channel), or the end of the platform number. */
  search?: NumberSearch;
  /** Placed at or after. */
  from?: Date;
  /** Placed before. */
  to?: Date;
  /**
   * Only orders with an alert on their timeline (a late payment, a contradicting channel, …);
   * `unacknowledged`: only those with an alert no operator has acknowledged yet.
   */
  alertsOnly?: boolean | 'unacknowledged';
  limit: number;
}

/** The consoles' order filters as one WHERE clause over `pay_order o` ($1 … $10, see orderFilterParams). */
const ORDER_WHERE = `
     WHERE ($1::bigint IS NULL OR o.merchant_id = $1)
       AND ($2::text IS NULL OR o.state = $2)
       AND ($3::text IS NULL OR o.product_code = $3)
       AND ($4::bigint IS NULL OR o.channel_account_id = $4)
       AND ($5::text IS NULL OR o.order_no = $5 OR o.mch_order_no = $5 OR o.channel_order_no = $5
            OR ($10::text IS NOT NULL AND reverse(o.order_no) LIKE $10))
       AND ($6::bigint IS NULL OR o.created_by_user_id = $6)
       AND ($7::timestamptz IS NULL OR o.created_at >= $7)
       AND ($8::timestamptz IS NULL OR o.created_at < $8)
       AND ($9::text IS NULL OR o.id IN (SELECT e.order_id FROM order_event e
                                         WHERE e.alert AND ($9 = 'all' OR e.acknowledged_at IS NULL)))`;

type OrderMatch = Omit<OrderFilter, 'limit'>;

function orderFilterParams(f: OrderMatch) {
  return [
    f.merchantId ?? null,
    f.state ?? null,
    f.productCode ?? null,
    f.channelAccountId ?? null,
    f.search?.exact ?? null,
    f.createdByUserId ?? null,
    f.from ?? null,
    f.to ?? null,
    f.alertsOnly === 'unacknowledged' ? 'unacknowledged' : f.alertsOnly ? 'all' : null,
    f.search?.reversedSuffix ?? null,
  ];
}

/**
 * Where a page of the order list starts: after (older than) or before (newer than) the order with
 * this platform number. Its own (created_at, id) is read in the statement, so ties on created_at
 * and its microseconds are kept exactly, which a timestamp carried through JavaScript would lose.
 */
export type OrderPageCursor = PageCursor;

/**
 * One page of orders, newest first (created_at, then id), with the cursors of the pages either side
 * (platform numbers; one row more is read to know whether more lie beyond). Keyset paging: the first page and every later
 * one are a walk down the index from a row, never an OFFSET over what came before. A page before a
 * cursor is read oldest first and handed back newest first. Every filter is in the WHERE clause
 * (tenant and cashier scoping included), so a page never holds a row it should not. A search by the
 * end of the number is a prefix match on `reverse(order_no)` (index of migration 014).
 */
export async function listOrders(
  q: Queryable,
  f: OrderFilter,
  cursor?: OrderPageCursor,
): Promise<KeysetPage<OrderRow>> {
  const before = cursor !== undefined && 'before' in cursor;
  const orderNo = cursor === undefined ? null : 'after' in cursor ? cursor.after : cursor.before;
  const rows = await q.query<OrderRow>(
    `SELECT o.* FROM pay_order o ${ORDER_WHERE}
       AND ($12::text IS NULL OR (o.created_at, o.id) ${before ? '>' : '<'}
            (SELECT c.created_at, c.id FROM pay_order c WHERE c.order_no = $12))
     ORDER BY o.created_at ${before ? 'ASC' : 'DESC'}, o.id ${before ? 'ASC' : 'DESC'} LIMIT $11`,
    [...orderFilterParams(f), f.limit + 1, orderNo],
  );
  return keysetPage(rows, f.limit, cursor, (o) => o.order_no);
}

/**
 * How many orders match the list's filters, counted up to `bound`: a list shows "10 000+" beyond
 * it rather than count millions of rows for a figure nobody pages through. `capped` says the real
 * number is larger than `count`.
 */
export async function countOrdersUpTo(
  q: Queryable,
  f: OrderMatch,
  bound: number,
): Promise<{ count: number; capped: boolean }> {
  const rows = await q.query<{ n: bigint }>(
    `SELECT count(*)::bigint AS n FROM (SELECT 1 FROM pay_order o ${ORDER_WHERE} LIMIT $11) m`,
    [...orderFilterParams(f), bound + 1],
  );
  const n = Number(rows[0]!.n);
  return n > bound ? { count: bound, capped: true } : { count: n, capped: false };
}

/** How many orders match the list's filters (an export's size). */
export async function countOrders(q: Queryable, f: OrderMatch): Promise<number> {
  const rows = await q.query<{ n: bigint }>(
    `SELECT count(*)::bigint AS n FROM pay_order o ${ORDER_WHERE}`,
    orderFilterParams(f),
  );
  return Number(rows[0]!.n);
}

/** The matching orders after `afterId` in id order (an export's keyset page). */
export function ordersAfter(q: Queryable, f: OrderMatch, afterId: bigint, limit: number) {
  return q.query<OrderRow>(
    `SELECT o.* FROM pay_order o ${ORDER_WHERE} AND o.id > $11 ORDER BY o.id LIMIT $12`,
    [...orderFilterParams(f), afterId, limit],
  );
}

/** The kinds of alert on each order's timeline (and those not acknowledged yet), for orders that have any. */
export function alertKindsOf(q: Queryable, orders: OrderRef[]) {
  return q.query<{ order_id: bigint; kinds: string[]; unacknowledged: string[] }>(
    `SELECT order_id, array_agg(DISTINCT kind ORDER BY kind) AS kinds,
       COALESCE(array_agg(DISTINCT kind ORDER BY kind) FILTER (WHERE acknowledged_at IS NULL), '{}') AS unacknowledged
     FROM order_event
     WHERE order_id = ANY($1::bigint[]) AND created_at >= $2 AND alert GROUP BY order_id`,
    [orders.map((o) => o.id.toString()), rowsSince(...orders.map((o) => o.created_at))],
  );
}

/** An order by number, only if it is the merchant's (and, for a cashier, its own). */
export async function findScoped(
  q: Queryable,
  orderNo: string,
  scope: { merchantId: bigint; createdByUserId: bigint | null },
) {
  const rows = await q.query<OrderRow>(
    `SELECT * FROM pay_order WHERE order_no = $1 AND merchant_id = $2
       AND ($3::bigint IS NULL OR created_by_user_id = $3)`,
    [orderNo, scope.merchantId, scope.createdByUserId],
  );
  return rows[0] ?? null;
}

export interface ChannelNotifyRecord {
  channelAccountId: bigint | null;
  orderId: bigint | null;
  rawBody: string;
  headers: Record<string, unknown>;
  remoteIp: string;
  outcome: 'applied' | 'duplicate' | 'refused';
  errorCode: string | null;
}

export async function insertChannelNotifies(q: Queryable, notifies: ChannelNotifyRecord[]): Promise<void> {
  await q.query(
    `INSERT INTO channel_notify (channel_account_id, order_id, raw_body, headers, remote_ip, outcome, error_code)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS n(channel_account_id bigint, order_id bigint, raw_body text,
       headers jsonb, remote_ip text, outcome text, error_code text)`,
    [
      JSON.stringify(
        notifies.map((n) => ({
          channel_account_id: n.channelAccountId?.toString() ?? null,
          order_id: n.orderId?.toString() ?? null,
          // Kept as received, but a NUL byte (which jsonb and text cannot hold) becomes U+FFFD.
          raw_body: n.rawBody.replaceAll('\u0000', '\uFFFD'),
          headers: n.headers,
          remote_ip: n.remoteIp,
          outcome: n.outcome,
          error_code: n.errorCode,
        })),
      ),
    ],
  );
}

export function channelNotifiesOf(q: Queryable, order: OrderRef) {
  return q.query<{
    id: bigint;
    outcome: string;
    error_code: string | null;
    raw_body: string;
    created_at: Date;
  }>(
    `SELECT id, outcome, error_code, raw_body, created_at FROM channel_notify
     WHERE order_id = $1 AND created_at >= $2 ORDER BY id`,
    [order.id, rowsSince(order.created_at)],
  );
}

/** What a refund takes of an order: amount, fee, channel cost and the agents' commission. */
export interface RefundShare {
  amount: bigint;
  fee: bigint;
  channelCost: bigint;
  agentCommission?: bigint;
}

/** An order as a refund sees it, locked until the end of the caller's transaction. */
export interface RefundableOrder {
  id: bigint;
  merchant_id?: bigint;
  settle_mode?: 'platform' | 'direct' | null;
  settled_at?: Date | null;
  /** What is left of the order's net in pending: amount − fee − D0 part − its live refunds' own debits (unsettled orders). */
  pending_left?: bigint;
  state: OrderState;
  amount: bigint;
  fee: bigint;
  channel_cost: bigint;
  refunded_amount: bigint;
  refunded_fee: bigint;
  refunded_channel_cost: bigint;
  fee_refund_mode: 'proportional' | 'kept';
  /** The order has an agent chain: a refund gives back commission too (order_profit). */
  has_agents?: boolean;
}

/** The ids among these of orders that have settled. */
export async function settledAmong(q: Queryable, ids: bigint[]): Promise<bigint[]> {
  if (ids.length === 0) return [];
  const rows = await q.query<{ id: bigint }>(
    'SELECT id FROM pay_order WHERE id = ANY($1::bigint[]) AND settled_at IS NOT NULL',
    [ids.map(String)],
  );
  return rows.map((r) => r.id);
}

/** Locks the order row (refunds of one order serialise on it) and reads what a refund needs. */
export async function lockForRefund(q: Queryable, id: bigint): Promise<RefundableOrder | null> {
  const rows = await q.query<RefundableOrder>(
    `SELECT o.id, o.state, o.amount, o.fee, o.channel_cost, o.refunded_amount, o.refunded_fee,
            o.refunded_channel_cost, p.fee_refund_mode, o.settle_mode, o.settled_at,
            (o.agent_chain IS NOT NULL) AS has_agents,
            (o.amount - o.fee - ${divertedNetSql('o')} - COALESCE(o.d0_settled_amount, 0) - COALESCE((
               SELECT sum(r.debited_pending - r.pending_borrowed) FROM refund_order r
               WHERE r.order_id = o.id AND r.state <> 'failed'), 0))::bigint AS pending_left
     FROM pay_order o JOIN product p ON p.id = o.product_id WHERE o.id = $1 FOR UPDATE OF o`,
    [id],
  );
  return rows[0] ?? null;
}

/**
 * Reserves `amount` of the order for a refund: a guarded UPDATE that only succeeds while the order
 * is paid (or partly refunded) and the reservations stay within the paid amount, so concurrent
 * refunds can never together exceed it. Null when it does not fit.
 */
export async function reserveRefund(
  q: Queryable,
  id: bigint,
  share: RefundShare,
  event: { kind: string; detail: object },
): Promise<OrderRow | null> {
  const rows = await q.query<OrderRow>(
    `WITH o AS (
       UPDATE pay_order SET refunded_amount = refunded_amount + $2, refunded_fee = refunded_fee + $3,
         refunded_channel_cost = refunded_channel_cost + $4, refunded_agent_commission = refunded_agent_commission + $7,
         updated_at = now()
       WHERE id = $1 AND state IN ('paid', 'partially_refunded') AND refunded_amount + $2 <= amount
       RETURNING *),
     e AS (INSERT INTO order_event (order_id, kind, detail) SELECT o.id, $5, $6::jsonb FROM o)
     SELECT * FROM o`,
    [
      id,
      share.amount,
      share.fee,
      share.channelCost,
      event.kind,
      JSON.stringify(event.detail),
      share.agentCommission ?? 0n,
    ],
  );
  return rows[0] ?? null;
}

/** Gives a failed refund's reservation back to the order. */
export async function releaseRefund(
  q: Queryable,
  id: bigint,
  share: RefundShare,
  event: { kind: string; detail: object },
): Promise<void> {
  await q.query(
    `WITH o AS (
       UPDATE pay_order SET refunded_amount = refunded_amount - $2, refunded_fee = refunded_fee - $3,
         refunded_channel_cost = refunded_channel_cost - $4, refunded_agent_commission = refunded_agent_commission - $7,
         updated_at = now()
       WHERE id = $1 RETURNING id)
     INSERT INTO order_event (order_id, kind, detail) SELECT o.id, $5, $6::jsonb FROM o`,
    [
      id,
      share.amount,
      share.fee,
      share.channelCost,
      event.kind,
      JSON.stringify(event.detail),
      share.agentCommission ?? 0n,
    ],
  );
}

/** A refund succeeded: the order becomes partially_refunded or refunded (compare-and-set on a paid state). */
export async function markRefundState(
  q: Queryable,
  id: bigint,
  to: 'partially_refunded' | 'refunded',
  event: { kind: string; detail: object },
): Promise<OrderRow | null> {
  const rows = await q.query<OrderRow>(
    `WITH o AS (
       UPDATE pay_order SET state = $2, updated_at = now()
       WHERE id = $1 AND state IN ('paid', 'partially_refunded') RETURNING *),
     e AS (INSERT INTO order_event (order_id, kind, detail) SELECT o.id, $3, $4::jsonb FROM o)
     SELECT * FROM o`,
    [id, to, event.kind, JSON.stringify(event.detail)],
  );
  return rows[0] ?? null;
}

/** A paid order as a merchant's statement lists it. */
export interface StatementOrderRow {
  order_no: string;
  mch_order_no: string;
  paid_at: Date;
  amount: bigint;
  fee: bigint;
  currency: string;
  state: OrderState;
  test: boolean;
  settle_mode: string | null;
  product_name: string;
  pay_way: string;
  channel_name: string | null;
  adapter_code: string | null;
}

/** A merchant's orders paid in [from, to), in the order they were paid (a statement's day). */
export function paidOrdersBetween(q: Queryable, merchantId: bigint, from: Date, to: Date) {
  return q.query<StatementOrderRow>(
    `SELECT o.order_no, o.mch_order_no, o.paid_at, o.amount, o.fee, o.currency, o.state, o.test, o.settle_mode,
            p.name AS product_name, p.pay_way, c.name AS channel_name, o.adapter_code
     FROM pay_order o JOIN product p ON p.id = o.product_id
     LEFT JOIN channel_account ca ON ca.id = o.channel_account_id LEFT JOIN channel c ON c.id = ca.channel_id
     WHERE o.merchant_id = $1 AND o.paid_at >= $2 AND o.paid_at < $3
     ORDER BY o.paid_at, o.id`,
    [merchantId, from.toISOString(), to.toISOString()],
  );
}

/** A merchant's paid orders in [from, to) summed per local day of `paid_at` (a month's statement). */
export function paidOrderDays(q: Queryable, merchantId: bigint, from: Date, to: Date, timeZone: string) {
  return q.query<{
    day: string;
    orders: bigint;
    amount: bigint;
    fee: bigint;
    test_orders: bigint;
    test_amount: bigint;
  }>(
    `SELECT (o.paid_at AT TIME ZONE $4)::date::text AS day, count(*)::bigint AS orders,
            sum(o.amount)::bigint AS amount, sum(o.fee)::bigint AS fee,
            count(*) FILTER (WHERE o.test)::bigint AS test_orders,
            COALESCE(sum(o.amount) FILTER (WHERE o.test), 0)::bigint AS test_amount
     FROM pay_order o WHERE o.merchant_id = $1 AND o.paid_at >= $2 AND o.paid_at < $3
     GROUP BY 1 ORDER BY 1`,
    [merchantId, from.toISOString(), to.toISOString(), timeZone],
  );
}

/**
 * Orders with alerts of these kinds on their timeline that no operator has acknowledged, raised
 * since a moment: per order and kind, how many and the latest one's detail (the alerts' detectors).
 */
export function unacknowledgedAlerts(q: Queryable, kinds: string[], since: Date) {
  return q.query<{
    order_id: bigint;
    order_no: string;
    merchant_id: bigint;
    kind: string;
    events: bigint;
    first_at: Date;
    detail: Record<string, unknown>;
  }>(
    `SELECT e.order_id, o.order_no, o.merchant_id, e.kind, count(*)::bigint AS events, min(e.created_at) AS first_at,
       (array_agg(e.detail ORDER BY e.id DESC))[1] AS detail
     FROM order_event e JOIN pay_order o ON o.id = e.order_id
     WHERE e.alert AND e.acknowledged_at IS NULL AND e.kind = ANY($1::text[]) AND e.created_at >= $2
     GROUP BY e.order_id, o.order_no, o.merchant_id, e.kind ORDER BY e.order_id, e.kind`,
    [kinds, since],
  );
}

/** Acknowledges an order's alerts not acknowledged yet (of these kinds, or all); returns their kinds. */
export async function acknowledgeAlerts(
  q: Queryable,
  order: OrderRef,
  kinds: string[] | null,
  userId: bigint,
  note: string,
): Promise<string[]> {
  const rows = await q.query<{ kind: string }>(
    `UPDATE order_event SET acknowledged_at = now(), acknowledged_by = $3, acknowledge_note = $4
     WHERE order_id = $1 AND created_at >= $5 AND alert AND acknowledged_at IS NULL
       AND ($2::text[] IS NULL OR kind = ANY($2::text[]))
     RETURNING kind`,
    [order.id, kinds, userId, note, rowsSince(order.created_at)],
  );
  return [...new Set(rows.map((r) => r.kind))].sort();
}

/** Paying orders per channel account placed before a moment (and after another), the oldest's time (the alerts' detector). */
export function payingByAccount(q: Queryable, placedBefore: Date, placedAfter: Date) {
  return q.query<{ channel_account_id: bigint; paying: bigint; oldest_at: Date }>(
    `SELECT channel_account_id, count(*)::bigint AS paying, min(created_at) AS oldest_at
     FROM pay_order
     WHERE state = 'paying' AND created_at < $1 AND created_at >= $2 AND channel_account_id IS NOT NULL
     GROUP BY channel_account_id ORDER BY channel_account_id`,
    [placedBefore, placedAfter],
  );
}

/**
 * Whether any order refers to one of these (the recycle bin: a merchant, app, product, channel
 * account or collect code with orders is never purged). Each part is optional; all given are OR-ed.
 */
export async function ordersReferTo(
  q: Queryable,
  refs: {
    merchantId?: bigint;
    appIds?: string[];
    productId?: bigint;
    channelAccountIds?: bigint[];
    collectCodeId?: bigint;
  },
): Promise<boolean> {
  const rows = await q.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pay_order WHERE merchant_id = $1)
         OR EXISTS (SELECT 1 FROM pay_order WHERE app_id = ANY($2::text[]))
         OR EXISTS (SELECT 1 FROM pay_order WHERE product_id = $3)
         OR EXISTS (SELECT 1 FROM pay_order WHERE channel_account_id = ANY($4::bigint[]))
         OR EXISTS (SELECT 1 FROM pay_order WHERE collect_code_id = $5) AS found`,
    [
      refs.merchantId ?? null,
      refs.appIds ?? [],
      refs.productId ?? null,
      (refs.channelAccountIds ?? []).map(String),
      refs.collectCodeId ?? null,
    ],
  );
  return rows[0]!.found;
}

/**
 * Orders of some merchants paid in `[since, until)` for at least `minAmount` (the bot's large-payment
 * messages), oldest first, at most `limit`; read by migration 031's (merchant_id, paid_at) index.
 */
export function largePaymentsOf(
  q: Queryable,
  f: { merchantIds: bigint[]; minAmount: bigint; since: Date; until: Date; limit: number },
) {
  return q.query<Pick<OrderRow, 'id' | 'order_no' | 'mch_order_no' | 'merchant_id' | 'amount' | 'paid_at'>>(
    `SELECT o.id, o.order_no, o.mch_order_no, o.merchant_id, o.amount, o.paid_at FROM pay_order o
      WHERE o.merchant_id = ANY($1::bigint[]) AND o.paid_at >= $2 AND o.paid_at < $3 AND o.amount >= $4
      ORDER BY o.paid_at, o.id LIMIT $5`,
    [f.merchantIds.map(String), f.since, f.until, f.minAmount, f.limit],
  );
}

/** The platform and merchant numbers of some orders (messages that name orders by id). */
export function numbersOfOrders(q: Queryable, ids: bigint[]) {
  return q.query<Pick<OrderRow, 'id' | 'order_no' | 'mch_order_no'>>(
    'SELECT id, order_no, mch_order_no FROM pay_order WHERE id = ANY($1::bigint[])',
    [ids.map(String)],
  );
}
