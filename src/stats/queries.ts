import type { Queryable } from '../db/index.ts';

/**
 * The statistics' reads: only the rollups (migration 027), which the orders' and profit rows'
 * triggers keep in the same transaction as every change. No read here touches pay_order; a
 * window is rounded out to whole hours (minutes for the live success rates).
 */

export type FigureKey = 'merchant' | 'product' | 'channel';

/** What the statistics count, over one set of orders. */
export interface FigureRow {
  /** 'key' (a group), 'bucket' (a time bucket) or 'total'. */
  level: 'key' | 'bucket' | 'total';
  key: string | null;
  bucket: string | null;
  order_count: bigint;
  paid_count: bigint;
  /** Closed or failed without a payment. */
  unpaid_count: bigint;
  paid_amount: bigint;
  fee: bigint;
  channel_cost: bigint;
  agent_commission: bigint;
  platform_profit: bigint;
  refunded_amount: bigint;
  refunded_fee: bigint;
  refunded_channel_cost: bigint;
  refunded_agent_commission: bigint;
}

const KEY_COLUMN: Record<FigureKey, string> = {
  merchant: 'merchant_id::text',
  product: 'product_id::text',
  channel: 'channel_account_id::text',
};

const BUCKET_FORMAT = { hour: 'YYYY-MM-DD HH24:00', day: 'YYYY-MM-DD' } as const;

const SUMS = `
  COALESCE(sum(order_count), 0)::bigint AS order_count, COALESCE(sum(paid_count), 0)::bigint AS paid_count,
  COALESCE(sum(unpaid_count), 0)::bigint AS unpaid_count, COALESCE(sum(paid_amount), 0)::bigint AS paid_amount,
  COALESCE(sum(fee), 0)::bigint AS fee, COALESCE(sum(channel_cost), 0)::bigint AS channel_cost,
  COALESCE(sum(agent_commission), 0)::bigint AS agent_commission,
  COALESCE(sum(platform_profit), 0)::bigint AS platform_profit,
  COALESCE(sum(refunded_amount), 0)::bigint AS refunded_amount, COALESCE(sum(refunded_fee), 0)::bigint AS refunded_fee,
  COALESCE(sum(refunded_channel_cost), 0)::bigint AS refunded_channel_cost,
  COALESCE(sum(refunded_agent_commission), 0)::bigint AS refunded_agent_commission`;

/**
 * Order figures of the orders placed in a window, per group (`groupBy`), per local time bucket
 * and in total (GROUPING SETS), from the hourly rollup. Test orders only with `includeTest`.
 */
export function orderFigures(
  q: Queryable,
  f: {
    from: Date;
    to: Date;
    timeZone: string;
    bucket: 'hour' | 'day';
    groupBy: FigureKey | null;
    merchantId?: bigint;
    cashierId?: bigint;
    includeTest?: boolean;
  },
) {
  const keyColumn = f.groupBy ? KEY_COLUMN[f.groupBy] : 'NULL::text';
  return q.query<FigureRow>(
    `SELECT CASE GROUPING(g.key, g.bucket) WHEN 1 THEN 'key' WHEN 2 THEN 'bucket' ELSE 'total' END AS level,
       g.key, g.bucket, ${SUMS}
     FROM (
       SELECT ${keyColumn} AS key, to_char(date_trunc($3, hour AT TIME ZONE $4), $5) AS bucket, r.*
       FROM stats_order_hour r
       WHERE hour >= date_trunc('hour', $1::timestamptz) AND hour < $2 AND (NOT test OR $8::boolean)
         AND ($6::bigint IS NULL OR merchant_id = $6)
         AND ($7::bigint IS NULL OR cashier_id = $7)) g
     GROUP BY GROUPING SETS ((g.key), (g.bucket), ())`,
    [
      f.from,
      f.to,
      f.bucket,
      f.timeZone,
      BUCKET_FORMAT[f.bucket],
      f.merchantId ?? null,
      f.cashierId ?? null,
      f.includeTest ?? false,
    ],
  );
}

/** Test orders placed in a window (of a merchant, of a cashier): what the figures leave out without includeTest. */
export async function testOrderCount(
  q: Queryable,
  f: { from: Date; to: Date; merchantId?: bigint; cashierId?: bigint },
): Promise<bigint> {
  const rows = await q.query<{ n: bigint }>(
    `SELECT COALESCE(sum(order_count), 0)::bigint AS n FROM stats_order_hour
     WHERE hour >= date_trunc('hour', $1::timestamptz) AND hour < $2 AND test
       AND ($3::bigint IS NULL OR merchant_id = $3) AND ($4::bigint IS NULL OR cashier_id = $4)`,
    [f.from, f.to, f.merchantId ?? null, f.cashierId ?? null],
  );
  return rows[0]!.n;
}

/** Orders placed per channel account since each of two moments (the live success rates). */
export function channelRates(q: Queryable, f: { short: Date; long: Date; includeTest: boolean }) {
  return q.query<{
    channel_account_id: bigint;
    short_orders: bigint;
    short_paid: bigint;
    short_unpaid: bigint;
    long_orders: bigint;
    long_paid: bigint;
    long_unpaid: bigint;
  }>(
    `SELECT channel_account_id,
       COALESCE(sum(order_count) FILTER (WHERE minute >= date_trunc('minute', $1::timestamptz)), 0)::bigint AS short_orders,
       COALESCE(sum(paid_count) FILTER (WHERE minute >= date_trunc('minute', $1::timestamptz)), 0)::bigint AS short_paid,
       COALESCE(sum(unpaid_count) FILTER (WHERE minute >= date_trunc('minute', $1::timestamptz)), 0)::bigint AS short_unpaid,
       sum(order_count)::bigint AS long_orders, sum(paid_count)::bigint AS long_paid,
       sum(unpaid_count)::bigint AS long_unpaid
     FROM stats_channel_minute
     WHERE minute >= date_trunc('minute', $2::timestamptz) AND (NOT test OR $3::boolean)
     GROUP BY channel_account_id ORDER BY channel_account_id`,
    [f.short, f.long, f.includeTest],
  );
}

export interface AgentFigureRow {
  key: string;
  paid_count: bigint;
  paid_amount: bigint;
  commission: bigint;
  refunded_commission: bigint;
}

/**
 * Agents' figures from their hourly rollup (by the hour orders were paid): per agent (`by:
 * 'agent'`, every agent) or per local day of one agent (`by: 'day'`).
 */
export function agentFigures(
  q: Queryable,
  f: { from: Date; to: Date; timeZone: string; agentId?: bigint; includeTest: boolean },
  by: 'agent' | 'day',
) {
  const key = by === 'agent' ? 'agent_id::text' : `to_char(hour AT TIME ZONE $3, 'YYYY-MM-DD')`;
  return q.query<AgentFigureRow>(
    `SELECT ${key} AS key, sum(paid_count)::bigint AS paid_count, sum(paid_amount)::bigint AS paid_amount,
            sum(commission)::bigint AS commission, sum(refunded_commission)::bigint AS refunded_commission
     FROM stats_agent_hour
     WHERE hour >= date_trunc('hour', $1::timestamptz) AND hour < $2 AND ($3::text IS NOT NULL)
       AND ($4::bigint IS NULL OR agent_id = $4) AND (NOT test OR $5::boolean)
     GROUP BY 1 ORDER BY ${by === 'agent' ? 'sum(paid_amount) DESC, 1' : '1'}`,
    [f.from, f.to, f.timeZone, f.agentId ?? null, f.includeTest],
  );
}

/** Paid and unpaid orders per channel account placed since a moment, real orders only (the alerts' success-rate detector). */
export function channelOutcomesSince(q: Queryable, since: Date) {
  return q.query<{ channel_account_id: bigint; paid: bigint; unpaid: bigint }>(
    `SELECT channel_account_id, sum(paid_count)::bigint AS paid, sum(unpaid_count)::bigint AS unpaid
     FROM stats_channel_minute
     WHERE minute >= date_trunc('minute', $1::timestamptz) AND NOT test
     GROUP BY channel_account_id ORDER BY channel_account_id`,
    [since],
  );
}
