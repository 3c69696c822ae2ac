import { AppError } from '../errors.ts';
import { toJsonAmount } from '../money/money.ts';
import { addDays, localDate, startOfLocalDay } from './time.ts';

/** The marketplace's money movements the merchant dashboard counts, in the order the consoles list them. */
export const MARKETPLACE_KINDS = [
  'consumption',
  'escrow',
  'recharge',
  'withdrawal',
  'refund',
  'transfer',
] as const;
export type MarketplaceKind = (typeof MARKETPLACE_KINDS)[number];

/** The default and longest trend (seed 001 §1.2.1: the last 90 days). */
export const MARKETPLACE_TREND_DAYS = 90;

/** One local day's figures of one kind, as each owning domain sums them. */
export interface KindDay {
  day: string;
  count: bigint;
  amount: bigint;
  /** The merchant's own commission (orders only). */
  commission?: bigint;
  /** The platform's fee: an order's fee, a withdrawal's fee, the fee a refund gave back. */
  fee?: bigint;
}

interface Scope {
  merchantId: bigint;
  from: Date;
  to: Date;
  firstDay: string;
  lastDay: string;
  timeZone: string;
  includeTest: boolean;
}

/**
 * Where each kind comes from: the domains that own the rows (splits, refunds, members, withdrawals),
 * each a query bounded by the merchant and the window on an index, never a scan of all orders.
 */
export interface MarketplaceSources {
  inflow(s: Scope): Promise<(KindDay & { kind: string })[]>;
  refunds(s: Scope): Promise<KindDay[]>;
  transfers(s: Scope): Promise<KindDay[]>;
  withdrawals(s: Scope): Promise<KindDay[]>;
}

export interface KindFigures {
  count: number;
  /** In fen, as every amount the API answers. */
  amount: number;
  commission: number;
  fee: number;
}

const ZERO: KindFigures = { count: 0, amount: 0, commission: 0, fee: 0 };

/**
 * The merchant dashboard's marketplace figures (seed 001 §1.2.1): today's consumption, escrow and
 * recharge payments, members' withdrawals, refunds and transfers, and their trend per local day.
 * Withdrawals are the merchant's members' (the merchant's own are on the dashboard's main trend).
 */
export class MarketplaceStats {
  private sources: MarketplaceSources | null = null;

  constructor(private readonly timeZone: string) {}

  attach(sources: MarketplaceSources): void {
    this.sources = sources;
  }

  /** Today's figures of every kind, with the moment they were read (the consoles show it). */
  async today(merchantId: bigint, options: { includeTest?: boolean } = {}, now = new Date()) {
    const today = localDate(now, this.timeZone);
    const days = await this.figures(
      merchantId,
      today,
      today,
      MARKETPLACE_KINDS,
      options.includeTest === true,
    );
    const figures = days.get(today)!;
    const inflow = (['consumption', 'escrow', 'recharge'] as const).reduce(
      (sum, kind) => ({ count: sum.count + figures[kind].count, amount: sum.amount + figures[kind].amount }),
      { count: 0, amount: 0 },
    );
    return { date: today, readAt: now.toISOString(), inflow, ...figures };
  }

  /** The trend of the kinds asked for, every local day of the last `days` present (zero when nothing happened). */
  async trend(
    merchantId: bigint,
    q: { days?: number; kinds?: readonly MarketplaceKind[]; includeTest?: boolean },
    now = new Date(),
  ) {
    const count = q.days ?? MARKETPLACE_TREND_DAYS;
    if (!Number.isInteger(count) || count < 1 || count > MARKETPLACE_TREND_DAYS) {
      throw new AppError('INVALID_REQUEST', `days: must be 1 to ${MARKETPLACE_TREND_DAYS}`, {
        field: 'days',
      });
    }
    const kinds = MARKETPLACE_KINDS.filter((k) => !q.kinds || q.kinds.includes(k));
    const last = localDate(now, this.timeZone);
    const first = addDays(last, -(count - 1));
    const days = await this.figures(merchantId, first, last, kinds, q.includeTest === true);
    const totals = Object.fromEntries(kinds.map((k) => [k, { ...ZERO }])) as Record<
      MarketplaceKind,
      KindFigures
    >;
    for (const day of days.values()) {
      for (const kind of kinds) {
        const total = totals[kind];
        const f = day[kind];
        total.count += f.count;
        total.amount += f.amount;
        total.commission += f.commission;
        total.fee += f.fee;
      }
    }
    return {
      from: first,
      to: last,
      kinds,
      totals,
      days: [...days.entries()].map(([date, figures]) => ({
        date,
        ...Object.fromEntries(kinds.map((k) => [k, figures[k]])),
      })) as ({ date: string } & Partial<Record<MarketplaceKind, KindFigures>>)[],
    };
  }

  private async figures(
    merchantId: bigint,
    firstDay: string,
    lastDay: string,
    kinds: readonly MarketplaceKind[],
    includeTest: boolean,
  ): Promise<Map<string, Record<MarketplaceKind, KindFigures>>> {
    const sources = this.sources;
    if (!sources) throw new Error('marketplace statistics have no sources attached');
    const scope: Scope = {
      merchantId,
      from: startOfLocalDay(firstDay, this.timeZone),
      to: startOfLocalDay(addDays(lastDay, 1), this.timeZone),
      firstDay,
      lastDay,
      timeZone: this.timeZone,
      includeTest,
    };
    const wants = (...some: MarketplaceKind[]) => some.some((k) => kinds.includes(k));
    const none = Promise.resolve([]);
    const [inflow, refunds, transfers, withdrawals] = await Promise.all([
      wants('consumption', 'escrow', 'recharge') ? sources.inflow(scope) : none,
      wants('refund') ? sources.refunds(scope) : none,
      wants('transfer') ? sources.transfers(scope) : none,
      wants('withdrawal') ? sources.withdrawals(scope) : none,
    ]);
    const days = new Map<string, Record<MarketplaceKind, KindFigures>>();
    for (let day = firstDay; day <= lastDay; day = addDays(day, 1)) {
      days.set(day, Object.fromEntries(MARKETPLACE_KINDS.map((k) => [k, { ...ZERO }])) as never);
    }
    const add = (kind: MarketplaceKind, r: KindDay) => {
      const f = days.get(r.day)?.[kind];
      if (!f) return;
      f.count += Number(r.count);
      f.amount += toJsonAmount(r.amount);
      f.commission += toJsonAmount(r.commission ?? 0n);
      f.fee += toJsonAmount(r.fee ?? 0n);
    };
    for (const r of inflow as (KindDay & { kind: string })[]) add(r.kind as MarketplaceKind, r);
    for (const r of refunds) add('refund', r);
    for (const r of transfers) add('transfer', r);
    for (const r of withdrawals) add('withdrawal', r);
    return days;
  }
}
