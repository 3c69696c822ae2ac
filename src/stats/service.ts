import type { CatalogService } from '../catalog/service.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { MerchantService } from '../merchants/service.ts';
import { toJsonAmount } from '../money/money.ts';
import { MarketplaceStats } from './marketplace.ts';
import type { FigureKey, FigureRow } from './queries.ts';
import * as queries from './queries.ts';
import { addDays, datesBetween, hoursBetween, localDate, startOfLocalDay } from './time.ts';

/** A window of at most two days is shown by the hour, a longer one by the day. */
const HOURLY_UP_TO_MS = 2 * 24 * 3_600_000;
const HOUR_MS = 3_600_000;
/** The longest window one request may ask for. */
const MAX_WINDOW_DAYS = 366;
/** The dashboards' trends, by default. */
const OPERATOR_TREND_DAYS = 90;
const MERCHANT_TREND_DAYS = 90;
const AGENT_TREND_DAYS = 90;
/** The dashboard's top lists. */
const TOP = 5;
/** A channel's last 15 minutes this far (0..1) under its last hour is a falling rate. */
const FALLING_BY = 0.1;

export interface Figures {
  orderCount: number;
  paidCount: number;
  /** Orders neither paid nor closed or failed yet (still within their payment time, or expiring). */
  pendingCount: number;
  paidAmount: number;
  /**
   * Paid orders / orders that are decided, 0..1: an order still within its payment time is neither
   * a success nor a failure yet, so it is left out (0 without decided orders).
   */
  successRate: number;
  fee: number;
  channelCost: number;
  agentCommission: number;
  profit: number;
  /** What refunds of these orders took back (pending refunds included: their money is reserved). */
  refundedAmount: number;
  /** Paid less refunded. */
  netAmount: number;
  /** The platform's profit less what refunds gave back of it. */
  netProfit: number;
}

export interface PlatformStats {
  from: string;
  to: string;
  groupBy: FigureKey;
  bucket: 'hour' | 'day';
  totals: Figures;
  rows: ({ key: string; name: string } & Figures)[];
  series: {
    bucket: string;
    orderCount: number;
    paidCount: number;
    paidAmount: number;
    refundedAmount: number;
  }[];
  /** The figures count test orders too (asked with `includeTest`). */
  includesTest: boolean;
  /** Test orders placed in the window, counted or not: the consoles hint at them when they are left out. */
  testOrderCount: number;
  /** The platform has no real channel account (the demo): the consoles show test data by default. */
  testDataOnly: boolean;
}

/**
 * Statistics (OP-8), the dashboards of operators, merchants (MP-2) and agents (AG-4). Every figure
 * comes from the rollups (`queries.ts`), which the database keeps in the transaction of each
 * change; this shapes them: names, rates, the window in the platform's time zone, and series with
 * every bucket present.
 */
export class StatsService {
  /** The merchant dashboard's marketplace figures, read from the domains that own them. */
  readonly marketplace: MarketplaceStats;

  constructor(
    private readonly db: Db,
    private readonly merchants: MerchantService,
    private readonly catalog: CatalogService,
    private readonly options: {
      timeZone: string;
      /** Agents by id (agents.byIds), for the top agents' numbers and names. */
      agentsByIds?: (ids: bigint[]) => Promise<Map<bigint, { agent_no: string; name: string }>>;
      /** Succeeded withdrawals per local day of a merchant (withdrawals domain). */
      withdrawnByDay?: (merchantId: bigint, from: Date, to: Date) => Promise<Map<string, bigint>>;
      /**
       * Where the dashboards and the statistics screen read: a streaming replica when there is one
       * (src/db/read-replica.ts). The breakers', alerts' and bot's figures read the primary.
       */
      reads?: Queryable;
    },
  ) {
    this.marketplace = new MarketplaceStats(options.timeZone);
  }

  private get reads(): Queryable {
    return this.options.reads ?? this.db;
  }

  get timeZone(): string {
    return this.options.timeZone;
  }

  /** The agents and withdrawals domains' reads, attached once they exist (services.ts). */
  attach(reads: Pick<StatsService['options'], 'agentsByIds' | 'withdrawnByDay'>): void {
    Object.assign(this.options, reads);
  }

  /**
   * The statistics window: the given one, or today in the platform's time zone, rounded out to
   * whole hours (the rollups' grain).
   */
  window(from: Date | undefined, to: Date | undefined, now = new Date()): { from: Date; to: Date } {
    const today = localDate(now, this.timeZone);
    // Neither bound: today. Only `from`: until now (a day when `from` is ahead). Only `to`: the day before it.
    const start = from ?? (to ? new Date(to.getTime() - 86_400_000) : startOfLocalDay(today, this.timeZone));
    const end =
      to ??
      (from
        ? new Date(now > start ? now.getTime() : start.getTime() + 86_400_000)
        : startOfLocalDay(addDays(today, 1), this.timeZone));
    assertWindow(start, end);
    return {
      from: new Date(Math.floor(start.getTime() / HOUR_MS) * HOUR_MS),
      to: new Date(Math.ceil(end.getTime() / HOUR_MS) * HOUR_MS),
    };
  }

  /** A trend's days: the given local dates (`to` included), or the last `days` days up to today. */
  private trendDays(range: { from?: string; to?: string }, days: number, now = new Date()) {
    const today = localDate(now, this.timeZone);
    const last = range.to ?? today;
    const first = range.from ?? addDays(last, -(days - 1));
    const from = startOfLocalDay(first, this.timeZone);
    const to = startOfLocalDay(addDays(last, 1), this.timeZone);
    assertWindow(from, to);
    const count = Math.round((to.getTime() - from.getTime()) / 86_400_000);
    return { today, first, from, to, dates: Array.from({ length: count }, (_, i) => addDays(first, i)) };
  }

  /**
   * Figures per merchant, product or channel account for a window (rounded out to whole hours),
   * with totals and a time series. Test orders count only with `includeTest`.
   */
  async platform(q: {
    from?: Date;
    to?: Date;
    groupBy: FigureKey;
    includeTest?: boolean;
  }): Promise<PlatformStats> {
    const { from, to } = this.window(q.from, q.to);
    const bucket = to.getTime() - from.getTime() <= HOURLY_UP_TO_MS ? 'hour' : 'day';
    const includeTest = q.includeTest === true;
    const [rows, testOrderCount, testDataOnly] = await Promise.all([
      queries.orderFigures(this.reads, {
        from,
        to,
        timeZone: this.timeZone,
        bucket,
        groupBy: q.groupBy,
        includeTest,
      }),
      queries.testOrderCount(this.reads, { from, to }),
      this.catalog.testDataOnly(),
    ]);
    const keyed = rows.filter((r) => r.level === 'key' && r.key !== null);
    const labels = await this.labelsOf(
      q.groupBy,
      keyed.map((r) => r.key!),
    );
    const byBucket = new Map(rows.filter((r) => r.level === 'bucket').map((r) => [r.bucket!, r]));
    const buckets =
      bucket === 'hour' ? hoursBetween(from, to, this.timeZone) : datesBetween(from, to, this.timeZone);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      groupBy: q.groupBy,
      bucket,
      totals: figuresOf(rows.find((r) => r.level === 'total')),
      rows: keyed
        .map((r) => ({ ...(labels.get(r.key!) ?? { key: r.key!, name: r.key! }), ...figuresOf(r) }))
        .sort(
          (a, b) => b.paidAmount - a.paidAmount || b.orderCount - a.orderCount || a.key.localeCompare(b.key),
        ),
      series: buckets.map((label) => {
        const r = byBucket.get(label);
        return {
          bucket: label,
          orderCount: Number(r?.order_count ?? 0n),
          paidCount: Number(r?.paid_count ?? 0n),
          paidAmount: toJsonAmount(r?.paid_amount ?? 0n),
          refundedAmount: toJsonAmount(r?.refunded_amount ?? 0n),
        };
      }),
      includesTest: includeTest,
      testOrderCount: Number(testOrderCount),
      testDataOnly,
    };
  }

  /**
   * Orders placed per channel account since each of two moments, test orders included (the channel
   * health domain's payment success rates, from the per-minute rollup).
   */
  async channelPaymentWindows(since: { short: Date; long: Date }) {
    const rows = await queries.channelRates(this.db, { ...since, includeTest: true });
    return rows.map((r) => ({
      channelAccountId: r.channel_account_id,
      shortOrders: r.short_orders,
      shortPaid: r.short_paid,
      shortUnpaid: r.short_unpaid,
      longOrders: r.long_orders,
      longPaid: r.long_paid,
      longUnpaid: r.long_unpaid,
    }));
  }

  /**
   * The operator's dashboard: today's live totals, today's top merchants, channel accounts and
   * agents, each channel account's success rate over the last 15 and 60 minutes (falling: the last
   * 15 minutes at least ten points under the hour's), and the daily trend (default 90 days).
   */
  async operatorDashboard(q: { includeTest?: boolean; from?: string; to?: string }, now = new Date()) {
    const includeTest = q.includeTest === true;
    const trend = this.trendDays(q, OPERATOR_TREND_DAYS, now);
    const todayFrom = startOfLocalDay(trend.today, this.timeZone);
    const todayTo = startOfLocalDay(addDays(trend.today, 1), this.timeZone);
    const today = {
      from: todayFrom,
      to: todayTo,
      timeZone: this.timeZone,
      bucket: 'day' as const,
      includeTest,
    };
    const [days, byMerchant, byChannel, agents, rates, testDataOnly] = await Promise.all([
      queries.orderFigures(this.reads, {
        ...trend,
        timeZone: this.timeZone,
        bucket: 'day',
        groupBy: null,
        includeTest,
      }),
      queries.orderFigures(this.reads, { ...today, groupBy: 'merchant' }),
      queries.orderFigures(this.reads, { ...today, groupBy: 'channel' }),
      queries.agentFigures(this.reads, today, 'agent'),
      queries.channelRates(this.reads, {
        short: new Date(now.getTime() - 15 * 60_000),
        long: new Date(now.getTime() - 60 * 60_000),
        includeTest,
      }),
      this.catalog.testDataOnly(),
    ]);
    const top = async (rows: FigureRow[], groupBy: FigureKey) => {
      const keyed = rows
        .filter((r) => r.level === 'key' && r.key !== null)
        .sort((a, b) => Number(b.paid_amount - a.paid_amount) || Number(b.paid_count - a.paid_count))
        .slice(0, TOP);
      const labels = await this.labelsOf(
        groupBy,
        keyed.map((r) => r.key!),
      );
      return keyed.map((r) => ({
        ...(labels.get(r.key!) ?? { key: r.key!, name: r.key! }),
        paidAmount: toJsonAmount(r.paid_amount),
        paidCount: Number(r.paid_count),
        netAmount: toJsonAmount(r.paid_amount - r.refunded_amount),
      }));
    };
    const topAgents = agents.slice(0, TOP);
    const agentNames = (await this.options.agentsByIds?.(topAgents.map((r) => BigInt(r.key)))) ?? new Map();
    const accountNames = await this.labelsOf(
      'channel',
      rates.map((r) => r.channel_account_id.toString()),
    );
    // Today's totals come from today's own query, so a trend range that leaves today out keeps them.
    const todays = byMerchant.find((r) => r.level === 'total');
    const byDay = new Map(days.filter((r) => r.level === 'bucket').map((r) => [r.bucket!, r]));
    return {
      date: trend.today,
      includesTest: includeTest,
      testDataOnly,
      today: figuresOf(todays),
      top: {
        merchants: await top(byMerchant, 'merchant'),
        channels: await top(byChannel, 'channel'),
        agents: topAgents.map((r) => {
          const agent = agentNames.get(BigInt(r.key));
          return {
            key: agent?.agent_no ?? r.key,
            name: agent?.name ?? r.key,
            paidAmount: toJsonAmount(r.paid_amount),
            paidCount: Number(r.paid_count),
            commission: toJsonAmount(r.commission - r.refunded_commission),
          };
        }),
      },
      channelRates: rates.map((r) => {
        const last15 = liveRate(r.short_orders, r.short_paid, r.short_unpaid);
        const last60 = liveRate(r.long_orders, r.long_paid, r.long_unpaid);
        return {
          channelAccountId: r.channel_account_id.toString(),
          name: accountNames.get(r.channel_account_id.toString())?.name ?? r.channel_account_id.toString(),
          last15,
          last60,
          falling: last15.decided > 0 && last60.successRate - last15.successRate >= FALLING_BY,
        };
      }),
      trend: trend.dates.map((date) => {
        const f = figuresOf(byDay.get(date));
        return {
          date,
          orderCount: f.orderCount,
          paidCount: f.paidCount,
          paidAmount: f.paidAmount,
          refundedAmount: f.refundedAmount,
          netAmount: f.netAmount,
          profit: f.profit,
          netProfit: f.netProfit,
        };
      }),
    };
  }

  /**
   * The merchant portal's dashboard: today's figures and today by hour, and the daily trend of
   * paid, refunded and withdrawn amounts (default the last 90 days) — of the merchant's orders, or
   * of the cashier's own (`createdByUserId`; a cashier sees no withdrawals). Test orders count only
   * with `includeTest`, and still only the merchant's own.
   */
  async merchantDashboard(
    scope: { merchantId: bigint; createdByUserId: bigint | null },
    options: { includeTest?: boolean; from?: string; to?: string } = {},
    now = new Date(),
  ) {
    const trend = this.trendDays(options, MERCHANT_TREND_DAYS, now);
    const includeTest = options.includeTest === true;
    const own = { merchantId: scope.merchantId, cashierId: scope.createdByUserId ?? undefined };
    const todayFrom = startOfLocalDay(trend.today, this.timeZone);
    const todayTo = startOfLocalDay(addDays(trend.today, 1), this.timeZone);
    const [days, hours, testOrderCount, testDataOnly, withdrawn] = await Promise.all([
      queries.orderFigures(this.reads, {
        from: trend.from,
        to: trend.to,
        timeZone: this.timeZone,
        bucket: 'day',
        groupBy: null,
        ...own,
        includeTest,
      }),
      queries.orderFigures(this.reads, {
        from: todayFrom,
        to: todayTo,
        timeZone: this.timeZone,
        bucket: 'hour',
        groupBy: null,
        ...own,
        includeTest,
      }),
      queries.testOrderCount(this.reads, { from: todayFrom, to: todayTo, ...own }),
      this.catalog.testDataOnly(),
      scope.createdByUserId === null
        ? (this.options.withdrawnByDay?.(scope.merchantId, trend.from, trend.to) ?? new Map<string, bigint>())
        : new Map<string, bigint>(),
    ]);
    const byDay = new Map(days.filter((r) => r.level === 'bucket').map((r) => [r.bucket!, r]));
    const byHour = new Map(
      hours.filter((r) => r.level === 'bucket').map((r) => [Number(r.bucket!.slice(11, 13)), r]),
    );
    const todays = hours.find((r) => r.level === 'total');
    const f = figuresOf(todays);
    return {
      date: trend.today,
      today: {
        paidAmount: f.paidAmount,
        paidCount: f.paidCount,
        orderCount: f.orderCount,
        pendingCount: f.pendingCount,
        successRate: f.successRate,
        income: toJsonAmount((todays?.paid_amount ?? 0n) - (todays?.fee ?? 0n)),
        refundedAmount: f.refundedAmount,
      },
      trend: trend.dates.map((date) => {
        const day = byDay.get(date);
        return {
          date,
          paidAmount: toJsonAmount(day?.paid_amount ?? 0n),
          paidCount: Number(day?.paid_count ?? 0n),
          refundedAmount: toJsonAmount(day?.refunded_amount ?? 0n),
          withdrawnAmount: toJsonAmount(withdrawn.get(date) ?? 0n),
        };
      }),
      hourly: Array.from({ length: 24 }, (_, hour) => {
        const h = byHour.get(hour);
        return {
          hour,
          paidAmount: toJsonAmount(h?.paid_amount ?? 0n),
          paidCount: Number(h?.paid_count ?? 0n),
        };
      }),
      includesTest: includeTest,
      /** Today's test orders (of this scope), counted or not. */
      testOrderCount: Number(testOrderCount),
      testDataOnly,
    };
  }

  /**
   * An agent's dashboard: today's volume and commission of the orders of its subtree, and the
   * daily trend (default 90 days) of paid amount, count and commission net of refunds.
   */
  async agentDashboard(
    agentId: bigint,
    options: { includeTest?: boolean; from?: string; to?: string },
    now = new Date(),
  ) {
    const trend = this.trendDays(options, AGENT_TREND_DAYS, now);
    const includeTest = options.includeTest ?? (await this.catalog.testDataOnly());
    const rows = await queries.agentFigures(
      this.reads,
      { from: trend.from, to: trend.to, timeZone: this.timeZone, agentId, includeTest },
      'day',
    );
    const byDay = new Map(rows.map((r) => [r.key, r]));
    const day = (date: string) => {
      const r = byDay.get(date);
      return {
        date,
        paidAmount: toJsonAmount(r?.paid_amount ?? 0n),
        paidCount: Number(r?.paid_count ?? 0n),
        commission: toJsonAmount((r?.commission ?? 0n) - (r?.refunded_commission ?? 0n)),
        refundedCommission: toJsonAmount(r?.refunded_commission ?? 0n),
      };
    };
    const { date: _date, ...today } = day(trend.today);
    return { date: trend.today, includesTest: includeTest, today, trend: trend.dates.map(day) };
  }

  /**
   * Today's figures in the platform's time zone, of one merchant or of the whole platform (the bot's
   * /today). Test orders count only with `includeTest`.
   */
  async todayFigures(merchantId: bigint | null, options: { includeTest?: boolean } = {}, now = new Date()) {
    const today = localDate(now, this.timeZone);
    const rows = await queries.orderFigures(this.db, {
      from: startOfLocalDay(today, this.timeZone),
      to: startOfLocalDay(addDays(today, 1), this.timeZone),
      timeZone: this.timeZone,
      bucket: 'day',
      groupBy: null,
      merchantId: merchantId ?? undefined,
      includeTest: options.includeTest === true,
    });
    return { date: today, ...figuresOf(rows.find((r) => r.level === 'total')) };
  }

  /**
   * Each channel account's live success rate over the last 15 and 60 minutes, with its name and
   * whether it is falling (the operator dashboard's and the bot's /channels).
   */
  async liveChannelRates(options: { includeTest?: boolean } = {}, now = new Date()) {
    const rates = await queries.channelRates(this.db, {
      short: new Date(now.getTime() - 15 * 60_000),
      long: new Date(now.getTime() - 60 * 60_000),
      includeTest: options.includeTest === true,
    });
    const names = await this.labelsOf(
      'channel',
      rates.map((r) => r.channel_account_id.toString()),
    );
    return rates.map((r) => {
      const last15 = liveRate(r.short_orders, r.short_paid, r.short_unpaid);
      const last60 = liveRate(r.long_orders, r.long_paid, r.long_unpaid);
      return {
        channelAccountId: r.channel_account_id.toString(),
        name: names.get(r.channel_account_id.toString())?.name ?? r.channel_account_id.toString(),
        last15,
        last60,
        falling: last15.decided > 0 && last60.successRate - last15.successRate >= FALLING_BY,
      };
    });
  }

  /**
   * What each group is called: merchants by their number (the key the consoles link with) and
   * name, products by code and name, channel accounts by id and name.
   */
  private async labelsOf(
    groupBy: FigureKey,
    keys: string[],
  ): Promise<Map<string, { key: string; name: string }>> {
    if (groupBy === 'merchant') {
      const merchants = await this.merchants.merchantsByIds(keys.map(BigInt));
      return new Map(
        [...merchants.values()].map((m) => [
          m.id.toString(),
          { key: m.mch_no, name: m.short_name || m.name },
        ]),
      );
    }
    if (groupBy === 'product') {
      // Products by code, the key the consoles know them by.
      const products = new Map((await this.catalog.listProducts()).map((p) => [p.id.toString(), p]));
      return new Map(
        keys.map((key) => {
          const product = products.get(key);
          return [key, { key: product?.code ?? key, name: product?.name ?? key }] as const;
        }),
      );
    }
    const entries = await Promise.all(
      keys.map(async (key) => {
        const name = (await this.catalog.channelAccount(BigInt(key)))?.name;
        return [key, { key, name: name ?? key }] as const;
      }),
    );
    return new Map(entries);
  }

  /** Paid and unpaid real orders per channel account placed since a moment (the alerts' success-rate detector). */
  channelOutcomesSince(since: Date) {
    return queries.channelOutcomesSince(this.db, since);
  }
}

/** A window one request may ask for: `to` after `from`, at most MAX_WINDOW_DAYS long. */
function assertWindow(from: Date, to: Date): void {
  if (to <= from) throw new AppError('INVALID_REQUEST', 'to: must be after from', { field: 'to' });
  if (to.getTime() - from.getTime() > MAX_WINDOW_DAYS * 86_400_000) {
    throw new AppError('INVALID_REQUEST', `the window may span at most ${MAX_WINDOW_DAYS} days`);
  }
}

/** Paid / decided orders, to four places: orders still within their payment time are not decided yet. */
function successRateOf(orders: bigint, paid: bigint, pending: bigint): number {
  const decided = Number(orders - pending);
  return decided <= 0 ? 0 : Math.round((Number(paid) / decided) * 10_000) / 10_000;
}

function figuresOf(r: FigureRow | undefined): Figures {
  const orders = r?.order_count ?? 0n;
  const paid = r?.paid_count ?? 0n;
  const pending = orders - paid - (r?.unpaid_count ?? 0n);
  const refundedProfit =
    (r?.refunded_fee ?? 0n) - (r?.refunded_channel_cost ?? 0n) - (r?.refunded_agent_commission ?? 0n);
  return {
    orderCount: Number(orders),
    paidCount: Number(paid),
    pendingCount: Number(pending),
    paidAmount: toJsonAmount(r?.paid_amount ?? 0n),
    successRate: successRateOf(orders, paid, pending),
    fee: toJsonAmount(r?.fee ?? 0n),
    channelCost: toJsonAmount(r?.channel_cost ?? 0n),
    agentCommission: toJsonAmount(r?.agent_commission ?? 0n),
    profit: toJsonAmount(r?.platform_profit ?? 0n),
    refundedAmount: toJsonAmount(r?.refunded_amount ?? 0n),
    netAmount: toJsonAmount((r?.paid_amount ?? 0n) - (r?.refunded_amount ?? 0n)),
    netProfit: toJsonAmount((r?.platform_profit ?? 0n) - refundedProfit),
  };
}

/** A live success rate: paid / decided over the minutes counted. */
function liveRate(orders: bigint, paid: bigint, unpaid: bigint) {
  return {
    orderCount: Number(orders),
    paidCount: Number(paid),
    decided: Number(paid + unpaid),
    successRate: successRateOf(orders, paid, orders - paid - unpaid),
  };
}
