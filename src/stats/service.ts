import type { CatalogService } from '../catalog/service.ts';
import { AppError } from '../errors.ts';
import type { MerchantService } from '../merchants/service.ts';
import { toJsonAmount } from '../money/money.ts';
import type { FigureKey, FigureRow } from '../orders/queries.ts';
import type { OrderService } from '../orders/service.ts';
import { addDays, datesBetween, hoursBetween, localDate, startOfLocalDay } from './time.ts';

/** A window of at most two days is shown by the hour, a longer one by the day. */
const HOURLY_UP_TO_MS = 2 * 24 * 3_600_000;
/** The longest window one request may ask for. */
const MAX_WINDOW_DAYS = 366;
/** The merchant dashboard's trend. */
const TREND_DAYS = 30;

export interface Figures {
  orderCount: number;
  paidCount: number;
  /** Orders still within their payment time (created or paying, not yet expired). */
  pendingCount: number;
  paidAmount: number;
  /**
   * Paid orders / orders that are decided, 0..1: an order still within its payment time is neither
   * a success nor a failure yet, so it is left out (0 without decided orders).
   */
  successRate: number;
  fee: number;
  channelCost: number;
  profit: number;
}

export interface PlatformStats {
  from: string;
  to: string;
  groupBy: FigureKey;
  bucket: 'hour' | 'day';
  totals: Figures;
  rows: ({ key: string; name: string } & Figures)[];
  series: { bucket: string; orderCount: number; paidCount: number; paidAmount: number }[];
  /** The figures count test orders too (asked with `includeTest`). */
  includesTest: boolean;
  /** Test orders placed in the window, counted or not: the consoles hint at them when they are left out. */
  testOrderCount: number;
  /** The platform has no real channel account (the demo): the consoles show test data by default. */
  testDataOnly: boolean;
}

/**
 * Statistics (OP-8) and the merchant dashboard (MP-2). The orders domain counts (one grouped
 * statement over pay_order per call); this shapes the figures: names, rates, the window in the
 * platform's time zone, and series with every bucket present.
 */
export class StatsService {
  constructor(
    private readonly orders: OrderService,
    private readonly merchants: MerchantService,
    private readonly catalog: CatalogService,
    private readonly options: { timeZone: string },
  ) {}

  get timeZone(): string {
    return this.options.timeZone;
  }

  /** The statistics window: the given one, or today in the platform's time zone. */
  window(from: Date | undefined, to: Date | undefined, now = new Date()): { from: Date; to: Date } {
    const today = localDate(now, this.timeZone);
    // Neither bound: today. Only `from`: until now (a day when `from` is ahead). Only `to`: the day before it.
    const start = from ?? (to ? new Date(to.getTime() - 86_400_000) : startOfLocalDay(today, this.timeZone));
    const end =
      to ??
      (from
        ? new Date(now > start ? now.getTime() : start.getTime() + 86_400_000)
        : startOfLocalDay(addDays(today, 1), this.timeZone));
    if (end <= start) throw new AppError('INVALID_REQUEST', 'to: must be after from', { field: 'to' });
    if (end.getTime() - start.getTime() > MAX_WINDOW_DAYS * 86_400_000) {
      throw new AppError('INVALID_REQUEST', `the window may span at most ${MAX_WINDOW_DAYS} days`);
    }
    return { from: start, to: end };
  }

  /**
   * Figures per merchant, product or channel account for a window, with totals and a time series.
   * Test orders count only with `includeTest`: real figures never mix with the sandbox's.
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
      this.orders.figures({ from, to, timeZone: this.timeZone, bucket, groupBy: q.groupBy, includeTest }),
      this.orders.testOrderCount({ from, to }),
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
        };
      }),
      includesTest: includeTest,
      testOrderCount: Number(testOrderCount),
      testDataOnly,
    };
  }

  /**
   * The merchant portal's dashboard: today's figures, the last 30 days by day and today by hour,
   * of the merchant's orders — or of the cashier's own (`createdByUserId`). One statement. Test
   * orders count only with `includeTest`, and still only the merchant's own.
   */
  async merchantDashboard(
    scope: { merchantId: bigint; createdByUserId: bigint | null },
    options: { includeTest?: boolean } = {},
    now = new Date(),
  ) {
    const today = localDate(now, this.timeZone);
    const firstDay = addDays(today, -(TREND_DAYS - 1));
    const from = startOfLocalDay(firstDay, this.timeZone);
    const to = startOfLocalDay(addDays(today, 1), this.timeZone);
    const includeTest = options.includeTest === true;
    const own = { merchantId: scope.merchantId, createdByUserId: scope.createdByUserId ?? undefined };
    const todayFrom = startOfLocalDay(today, this.timeZone);
    const [rows, testOrderCount, testDataOnly] = await Promise.all([
      this.orders.figures({
        from,
        to,
        timeZone: this.timeZone,
        bucket: 'hour',
        groupBy: null,
        ...own,
        includeTest,
      }),
      this.orders.testOrderCount({ from: todayFrom, to, ...own }),
      this.catalog.testDataOnly(),
    ]);
    const days = new Map<string, { paidAmount: bigint; paidCount: bigint }>();
    const hours = new Map<number, { paidAmount: bigint; paidCount: bigint }>();
    const todays = { orderCount: 0n, paidCount: 0n, pendingCount: 0n, paidAmount: 0n, fee: 0n };
    for (const r of rows) {
      if (r.level !== 'bucket' || r.bucket === null) continue;
      const date = r.bucket.slice(0, 10);
      const day = days.get(date) ?? { paidAmount: 0n, paidCount: 0n };
      day.paidAmount += r.paid_amount;
      day.paidCount += r.paid_count;
      days.set(date, day);
      if (date === today) {
        hours.set(Number(r.bucket.slice(11, 13)), { paidAmount: r.paid_amount, paidCount: r.paid_count });
        todays.orderCount += r.order_count;
        todays.paidCount += r.paid_count;
        todays.pendingCount += r.pending_count;
        todays.paidAmount += r.paid_amount;
        todays.fee += r.fee;
      }
    }
    return {
      date: today,
      today: {
        paidAmount: toJsonAmount(todays.paidAmount),
        paidCount: Number(todays.paidCount),
        orderCount: Number(todays.orderCount),
        pendingCount: Number(todays.pendingCount),
        successRate: successRateOf(todays.orderCount, todays.paidCount, todays.pendingCount),
        income: toJsonAmount(todays.paidAmount - todays.fee),
      },
      trend: Array.from({ length: TREND_DAYS }, (_, i) => {
        const date = addDays(firstDay, i);
        const day = days.get(date);
        return {
          date,
          paidAmount: toJsonAmount(day?.paidAmount ?? 0n),
          paidCount: Number(day?.paidCount ?? 0n),
        };
      }),
      hourly: Array.from({ length: 24 }, (_, hour) => {
        const h = hours.get(hour);
        return { hour, paidAmount: toJsonAmount(h?.paidAmount ?? 0n), paidCount: Number(h?.paidCount ?? 0n) };
      }),
      includesTest: includeTest,
      /** Today's test orders (of this scope), counted or not. */
      testOrderCount: Number(testOrderCount),
      testDataOnly,
    };
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
    const entries = await Promise.all(
      keys.map(async (key) => {
        const name =
          groupBy === 'product'
            ? (await this.catalog.productByCode(key))?.name
            : (await this.catalog.channelAccount(BigInt(key)))?.name;
        return [key, { key, name: name ?? key }] as const;
      }),
    );
    return new Map(entries);
  }
}

/** Paid / decided orders, to four places: orders still within their payment time are not decided yet. */
function successRateOf(orders: bigint, paid: bigint, pending: bigint): number {
  const decided = Number(orders - pending);
  return decided <= 0 ? 0 : Math.round((Number(paid) / decided) * 10_000) / 10_000;
}

function figuresOf(r: FigureRow | undefined): Figures {
  return {
    orderCount: Number(r?.order_count ?? 0n),
    paidCount: Number(r?.paid_count ?? 0n),
    pendingCount: Number(r?.pending_count ?? 0n),
    paidAmount: toJsonAmount(r?.paid_amount ?? 0n),
    successRate: successRateOf(r?.order_count ?? 0n, r?.paid_count ?? 0n, r?.pending_count ?? 0n),
    fee: toJsonAmount(r?.fee ?? 0n),
    channelCost: toJsonAmount(r?.channel_cost ?? 0n),
    profit: toJsonAmount(r?.platform_profit ?? 0n),
  };
}
