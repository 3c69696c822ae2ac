import type { Queryable } from '../db/index.ts';

/** A party's profit row of a paid order with agents (level 0: the platform; 1…: agents, top first). */
export interface ProfitRow {
  order_id: bigint;
  level: number;
  agent_id: bigint | null;
  amount: bigint;
  refunded_amount: bigint;
  settled_at: Date | null;
}

/** Locks an order's profit rows (a refund, after the order row): settlement waits on them. */
export function lockProfits(q: Queryable, orderId: bigint) {
  return q.query<ProfitRow>(
    `SELECT order_id, level, agent_id, amount, refunded_amount, settled_at FROM order_profit
     WHERE order_id = $1 ORDER BY level FOR UPDATE`,
    [orderId],
  );
}

/** Adds (or, negative, takes back) refunded amounts per level of one order. */
export async function addRefunded(q: Queryable, orderId: bigint, parts: { level: number; amount: bigint }[]) {
  if (parts.length === 0) return;
  await q.query(
    `UPDATE order_profit p SET refunded_amount = p.refunded_amount + v.amount
     FROM unnest($2::int[], $3::bigint[]) AS v(level, amount)
     WHERE p.order_id = $1 AND p.level = v.level`,
    [orderId, parts.map((p) => String(p.level)), parts.map((p) => p.amount.toString())],
  );
}

/**
 * Settles the agents' commission of orders whose own settlement completed: marks their rows and
 * answers what each agent's pending gives to available (share − refunded), per agent and currency.
 * A refund of one of these orders holds its rows locked; this waits for it and sees what it took.
 */
export function settleAgentProfits(
  q: Queryable,
  agentIds: bigint[],
  limit: number,
  settleTestOrders: boolean,
) {
  return q.query<{ agent_id: bigint; currency: string; amount: bigint; rows: bigint }>(
    `WITH due AS (
       SELECT p.order_id, p.level FROM order_profit p JOIN pay_order o ON o.id = p.order_id
       WHERE p.settled_at IS NULL AND p.level > 0 AND o.settled_at IS NOT NULL AND p.agent_id = ANY($2::bigint[])
         AND (NOT o.test OR $3::boolean)
       ORDER BY p.order_id, p.level LIMIT $1 FOR UPDATE OF p SKIP LOCKED),
     s AS (
       UPDATE order_profit p SET settled_at = now() FROM due
       WHERE p.order_id = due.order_id AND p.level = due.level AND p.settled_at IS NULL
       RETURNING p.agent_id, p.currency, p.amount - p.refunded_amount AS net)
     SELECT agent_id, currency, sum(net)::bigint AS amount, count(*)::bigint AS rows
     FROM s GROUP BY agent_id, currency ORDER BY agent_id, currency`,
    [limit, agentIds.map(String), settleTestOrders],
  );
}

/** Each agent's commission owed from unsettled orders (what its pending account must hold). */
export function agentPendingDrift(q: Queryable, limit: number) {
  return q.query<{ agent_id: bigint; currency: string; expected: bigint; balance: bigint }>(
    `WITH expected AS (
       SELECT agent_id, currency, sum(amount - refunded_amount)::bigint AS v FROM order_profit
       WHERE level > 0 AND settled_at IS NULL GROUP BY agent_id, currency),
     held AS (
       SELECT a.owner_id AS agent_id, a.currency, COALESCE(sum(e.amount), 0)::bigint AS v
       FROM ledger_account a LEFT JOIN ledger_entry e ON e.account_id = a.id
       WHERE a.kind = 'agent_pending' GROUP BY a.owner_id, a.currency)
     SELECT COALESCE(e.agent_id, h.agent_id) AS agent_id, COALESCE(e.currency, h.currency) AS currency,
            COALESCE(e.v, 0)::bigint AS expected, COALESCE(h.v, 0)::bigint AS balance
     FROM expected e FULL JOIN held h ON h.agent_id = e.agent_id AND h.currency = e.currency
     WHERE COALESCE(e.v, 0) <> COALESCE(h.v, 0)
     LIMIT $1`,
    [limit],
  );
}

/** Agents with commission whose orders' settlement completed and which has not moved yet. */
export async function agentsWithSettledOrders(
  q: Queryable,
  limit: number,
  settleTestOrders: boolean,
): Promise<bigint[]> {
  const rows = await q.query<{ agent_id: bigint }>(
    `SELECT DISTINCT p.agent_id FROM order_profit p JOIN pay_order o ON o.id = p.order_id
     WHERE p.settled_at IS NULL AND p.level > 0 AND o.settled_at IS NOT NULL AND (NOT o.test OR $2::boolean)
     LIMIT $1`,
    [limit, settleTestOrders],
  );
  return rows.map((r) => r.agent_id);
}

/** The currencies the agents have commission in. */
export async function currenciesOfAgents(q: Queryable, agentIds: bigint[]): Promise<string[]> {
  const rows = await q.query<{ currency: string }>(
    'SELECT DISTINCT currency FROM order_profit WHERE agent_id = ANY($1::bigint[])',
    [agentIds.map(String)],
  );
  return rows.map((r) => r.currency);
}

export type CommissionGrouping = 'day' | 'product' | 'merchant';

/**
 * An agent's commission over paid time [from, to): per local day, product or merchant, with the
 * orders' count and amount; commission is net of what refunds took back. Test orders count only
 * when `withTest` (the embedded demo, whose every order is a test order).
 */
export function agentCommission(
  q: Queryable,
  f: { agentId: bigint; from: Date; to: Date; timeZone: string; withTest: boolean },
  by: CommissionGrouping,
) {
  const key = {
    day: `to_char(p.paid_at AT TIME ZONE $4, 'YYYY-MM-DD')`,
    product: 'p.product_id::text',
    merchant: 'p.merchant_id::text',
  }[by];
  return q.query<{ key: string; orders: bigint; amount: bigint; commission: bigint; refunded: bigint }>(
    `SELECT ${key} AS key, count(*)::bigint AS orders, sum(o.amount)::bigint AS amount,
            sum(p.amount - p.refunded_amount)::bigint AS commission, sum(p.refunded_amount)::bigint AS refunded
     FROM order_profit p JOIN pay_order o ON o.id = p.order_id
     WHERE p.agent_id = $1 AND p.paid_at >= $2 AND p.paid_at < $3 AND (NOT o.test OR $5::boolean)
       AND ($4::text IS NOT NULL)
     GROUP BY 1 ORDER BY ${by === 'day' ? '1' : '4 DESC, 1'}`,
    [f.agentId, f.from.toISOString(), f.to.toISOString(), f.timeZone, f.withTest],
  );
}

/**
 * Paid orders with agents whose profit rows do not add up: the parties' amounts to fee − channel
 * cost, and what they gave back to what the order's live refunds gave back of the fee over the cost.
 */
export function profitDrift(q: Queryable, limit: number) {
  return q.query<{ order_no: string; margin: bigint; parties: bigint; refunded: bigint; given_back: bigint }>(
    `SELECT o.order_no, o.fee - o.channel_cost AS margin, p.amount AS parties,
            o.refunded_fee - o.refunded_channel_cost AS refunded, p.refunded AS given_back
     FROM pay_order o
     JOIN (SELECT order_id, sum(amount)::bigint AS amount, sum(refunded_amount)::bigint AS refunded
           FROM order_profit GROUP BY order_id) p ON p.order_id = o.id
     WHERE p.amount <> o.fee - o.channel_cost OR p.refunded <> o.refunded_fee - o.refunded_channel_cost
     ORDER BY o.id LIMIT $1`,
    [limit],
  );
}

/** What an agent's order list filters by; `merchantIds` is the agent's subtree (resolved by the agents domain). */
export interface AgentOrderFilter {
  agentId: bigint;
  merchantIds: bigint[];
  state?: string;
  /** Placed at or after. */
  from?: Date;
  /** Placed before. */
  to?: Date;
  withTest: boolean;
  limit: number;
  offset: number;
}

export interface AgentOrderRow {
  id: bigint;
  order_no: string;
  mch_order_no: string;
  merchant_id: bigint;
  product_code: string;
  amount: bigint;
  currency: string;
  state: string;
  test: boolean;
  created_at: Date;
  paid_at: Date | null;
  /** This agent's share of the order; null while unpaid (a paid order's rows are written with its payment). */
  commission: bigint | null;
  refunded_commission: bigint | null;
  total: bigint;
}

/**
 * One page of the orders of an agent's merchants, newest first, each with this agent's own share
 * only (never another level's). The merchant scope is in the WHERE clause, so an empty subtree
 * answers nothing.
 */
export function agentOrders(q: Queryable, f: AgentOrderFilter) {
  return q.query<AgentOrderRow>(
    `SELECT o.id, o.order_no, o.mch_order_no, o.merchant_id, o.product_code, o.amount, o.currency, o.state,
            o.test, o.created_at, o.paid_at, p.amount AS commission, p.refunded_amount AS refunded_commission,
            count(*) OVER ()::bigint AS total
     FROM pay_order o
     LEFT JOIN order_profit p ON p.order_id = o.id AND p.agent_id = $1
     WHERE o.merchant_id = ANY($2::bigint[])
       AND ($3::text IS NULL OR o.state = $3)
       AND ($4::timestamptz IS NULL OR o.created_at >= $4)
       AND ($5::timestamptz IS NULL OR o.created_at < $5)
       AND (NOT o.test OR $6::boolean)
     ORDER BY o.created_at DESC, o.id DESC LIMIT $7 OFFSET $8`,
    [
      f.agentId,
      f.merchantIds.map(String),
      f.state ?? null,
      f.from ?? null,
      f.to ?? null,
      f.withTest,
      f.limit,
      f.offset,
    ],
  );
}
