import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import * as ledgerQueries from '../ledger/queries.ts';
import type { MerchantRow } from '../merchants/queries.ts';
import * as orderQueries from '../orders/queries.ts';
import * as payoutQueries from '../payouts/queries.ts';
import * as refundQueries from '../refunds/queries.ts';
import { getSetting, putSetting } from '../settings/queries.ts';
import * as settlementQueries from '../settlement/queries.ts';
import type { SettlementTermsBook } from '../settlement/terms.ts';
import { addDays, localDate, startOfLocalDay } from '../stats/time.ts';
import * as withdrawalQueries from '../withdrawals/queries.ts';
import type { PeriodKind, StatementFormat } from './queries.ts';
import * as queries from './queries.ts';
import { renderDayTxt, renderDayXlsx, renderMonthXlsx } from './render.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The job's progress (platform setting): the day it works on and the last merchant done. */
export const PROGRESS_SETTING = 'statements.progress';
/** Merchants whose statements one job run generates at most (each run holds the job's lease ≤ 120 s). */
export const MERCHANTS_PER_RUN = 200;
/** A day the job missed (the worker was down) is made up if it is at most this many days old. */
const CATCH_UP_DAYS = 7;

/** A merchant ledger account's day: the balance when it began, what moved, the balance when it ended. */
export interface AccountDay {
  /** Without the `merchant_` prefix: pending, available, frozen, reserved, settled_by_channel, test_settled. */
  account: string;
  currency: string;
  opening: bigint;
  movements: { type: string; entries: number; amount: bigint }[];
  change: bigint;
  closing: bigint;
}

export interface DaySummary {
  orderCount: number;
  orderAmount: bigint;
  orderFee: bigint;
  orderNet: bigint;
  testOrderCount: number;
  testOrderAmount: bigint;
  refundCount: number;
  refundAmount: bigint;
  refundFee: bigint;
  refundNet: bigint;
  failedRefundCount: number;
  settledNet: bigint;
  reserveHeld: bigint;
  reserveReleased: bigint;
  withdrawalCount: number;
  withdrawalAmount: bigint;
  withdrawalFee: bigint;
  payoutCount: number;
  payoutAmount: bigint;
  payoutFee: bigint;
}

export interface DayStatement {
  merchant: { id: bigint; mchNo: string; name: string };
  day: string;
  timeZone: string;
  mode: 'platform' | 'direct';
  generatedAt: Date;
  accounts: AccountDay[];
  summary: DaySummary;
  orders: orderQueries.StatementOrderRow[];
  refunds: refundQueries.StatementRefundRow[];
  settlements: Awaited<ReturnType<typeof settlementQueries.recordsBetween>>;
  withdrawals: Awaited<ReturnType<typeof withdrawalQueries.merchantWithdrawalsBetween>>;
  payouts: Awaited<ReturnType<typeof payoutQueries.merchantPayoutsBetween>>;
}

export interface MonthStatement {
  merchant: DayStatement['merchant'];
  month: string;
  timeZone: string;
  mode: 'platform' | 'direct';
  generatedAt: Date;
  days: { day: string; summary: DaySummary; accounts: AccountDay[] }[];
  /** The month's accounts: the first day's opening, the month's movements, the last day's closing. */
  accounts: AccountDay[];
  totals: DaySummary;
}

export interface StatementFile {
  bytes: Buffer;
  sha256: string;
  generatedAt: Date;
  fileName: string;
  contentType: string;
}

const CONTENT_TYPES: Record<StatementFormat, string> = {
  txt: 'text/plain; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

const MONTH = /^\d{4}-\d{2}$/;

/** Adds two summaries figure by figure (a month's totals). */
export function addSummaries(a: DaySummary, b: DaySummary): DaySummary {
  const out = { ...a } as Record<string, number | bigint>;
  for (const [key, value] of Object.entries(b)) {
    out[key] = typeof value === 'bigint' ? (out[key] as bigint) + value : (out[key] as number) + value;
  }
  return out as unknown as DaySummary;
}

export function emptySummary(): DaySummary {
  return {
    orderCount: 0,
    orderAmount: 0n,
    orderFee: 0n,
    orderNet: 0n,
    testOrderCount: 0,
    testOrderAmount: 0n,
    refundCount: 0,
    refundAmount: 0n,
    refundFee: 0n,
    refundNet: 0n,
    failedRefundCount: 0,
    settledNet: 0n,
    reserveHeld: 0n,
    reserveReleased: 0n,
    withdrawalCount: 0,
    withdrawalAmount: 0n,
    withdrawalFee: 0n,
    payoutCount: 0,
    payoutAmount: 0n,
    payoutFee: 0n,
  };
}

/** The accounts every statement shows, in this order; the others only when the merchant has them. */
const ALWAYS_SHOWN = ['pending', 'available', 'frozen', 'reserved'];
const ACCOUNT_ORDER = [...ALWAYS_SHOWN, 'settled_by_channel', 'test_settled'];

/**
 * Merchants' statements (对账单, MON-6, MP-7): a day's (txt, XLSX) and a month's (XLSX) file per
 * merchant, in the platform's time zone. The balances come from the ledger and tie out (opening +
 * the day's entries = closing, per account); the lines come from the orders, refunds, settlement,
 * withdrawals and payouts domains' own queries. Files are stored gzip-compressed and served as stored.
 */
export class StatementService {
  /** The clock that says which days have ended (a test may move it). */
  clock: () => Date = () => new Date();

  constructor(
    private readonly db: Db,
    private readonly deps: {
      merchantsByIds: (ids: bigint[]) => Promise<Map<bigint, MerchantRow>>;
      terms: SettlementTermsBook;
    },
    private readonly options: {
      timeZone: string;
      /**
       * Where a statement's lines and balances are read: a streaming replica when there is one
       * (src/db/read-replica.ts). Statements are of days that have ended, which a replica has replayed.
       */
      reads?: Queryable;
    },
  ) {}

  private get reads(): Queryable {
    return this.options.reads ?? this.db;
  }

  get timeZone(): string {
    return this.options.timeZone;
  }

  /** Refuses a day or month that has not ended yet in the platform's time zone. */
  assertReady(kind: PeriodKind, period: string, now: Date = this.clock()): void {
    const today = localDate(now, this.timeZone);
    const ready = kind === 'day' ? period < today : period < today.slice(0, 7);
    if (!ready) {
      throw new AppError(
        'INVALID_REQUEST',
        kind === 'day'
          ? `the statement of ${period} is ready once the day has ended (${this.timeZone})`
          : `the statement of ${period} is ready once the month has ended (${this.timeZone})`,
        { reason: 'statement_not_ready', period },
      );
    }
  }

  private async merchantOf(merchantId: bigint): Promise<DayStatement['merchant']> {
    const m = (await this.deps.merchantsByIds([merchantId])).get(merchantId);
    if (!m) throw new AppError('NOT_FOUND', 'no such merchant');
    return { id: m.id, mchNo: m.mch_no, name: m.name };
  }

  /** What a day's statement holds for one merchant (read, not stored). */
  day(merchantId: bigint, day: string): Promise<DayStatement> {
    return this.dayFrom(this.reads, merchantId, day);
  }

  private async dayFrom(source: Queryable, merchantId: bigint, day: string): Promise<DayStatement> {
    const merchant = await this.merchantOf(merchantId);
    const mode = (await this.deps.terms.termsOf(merchantId)).mode;
    return this.dayOf(source, merchant, mode, day);
  }

  private async dayOf(
    source: Queryable,
    merchant: DayStatement['merchant'],
    mode: 'platform' | 'direct',
    day: string,
  ): Promise<DayStatement> {
    const tz = this.timeZone;
    const from = startOfLocalDay(day, tz);
    const to = startOfLocalDay(addDays(day, 1), tz);
    const id = merchant.id;
    const [opening, moves, orders, refunds, settlements, withdrawals, payouts] = await Promise.all([
      ledgerQueries.merchantOpeningBalances(source, id, day, from),
      ledgerQueries.merchantMovements(source, id, from, to),
      orderQueries.paidOrdersBetween(source, id, from, to),
      refundQueries.refundsBetween(source, id, from, to),
      settlementQueries.recordsBetween(source, id, from, to),
      withdrawalQueries.merchantWithdrawalsBetween(source, id, from, to),
      payoutQueries.merchantPayoutsBetween(source, id, from, to),
    ]);
    const accounts = accountDays(opening, moves);
    const within = (at: Date | null) => at !== null && at >= from && at < to;
    const summary = emptySummary();
    for (const o of orders) {
      summary.orderCount++;
      summary.orderAmount += o.amount;
      summary.orderFee += o.fee;
      summary.orderNet += o.amount - o.fee;
      if (o.test) {
        summary.testOrderCount++;
        summary.testOrderAmount += o.amount;
      }
    }
    for (const r of refunds) {
      if (!within(r.created_at)) continue;
      if (r.state === 'failed') summary.failedRefundCount++;
      else {
        summary.refundCount++;
        summary.refundAmount += r.amount;
        summary.refundFee += r.fee_refund;
        summary.refundNet += r.amount - r.fee_refund;
      }
    }
    for (const s of settlements) {
      if (s.kind === 'settlement' || s.kind === 'direct' || s.kind === 'test') summary.settledNet += s.net;
      summary.reserveHeld += s.reserve;
      summary.reserveReleased += s.reserve_released;
    }
    for (const w of withdrawals) {
      if (!within(w.created_at)) continue;
      summary.withdrawalCount++;
      summary.withdrawalAmount += w.amount;
      summary.withdrawalFee += w.fee;
    }
    for (const p of payouts) {
      if (!within(p.created_at)) continue;
      summary.payoutCount++;
      summary.payoutAmount += p.amount;
      summary.payoutFee += p.fee;
    }
    return {
      merchant,
      day,
      timeZone: tz,
      mode,
      generatedAt: new Date(),
      accounts,
      summary,
      orders,
      refunds,
      settlements,
      withdrawals,
      payouts,
    };
  }

  /**
   * What a month's statement holds: each day's summary and balances, the month's totals. Read with
   * one grouped statement per domain for the whole month (never the month's lines), so a busy
   * merchant's month costs what a quiet one's does.
   */
  month(merchantId: bigint, month: string): Promise<MonthStatement> {
    return this.monthFrom(this.reads, merchantId, month);
  }

  private async monthFrom(source: Queryable, merchantId: bigint, month: string): Promise<MonthStatement> {
    if (!MONTH.test(month)) throw new AppError('INVALID_REQUEST', 'month: YYYY-MM', { field: 'month' });
    const merchant = await this.merchantOf(merchantId);
    const mode = (await this.deps.terms.termsOf(merchantId)).mode;
    const tz = this.timeZone;
    const first = `${month}-01`;
    const dates: string[] = [];
    for (let day = first; day.startsWith(month); day = addDays(day, 1)) dates.push(day);
    const from = startOfLocalDay(first, tz);
    const to = startOfLocalDay(addDays(dates[dates.length - 1]!, 1), tz);
    const [opening, moves, orders, refunds, settlements, withdrawals, payouts] = await Promise.all([
      ledgerQueries.merchantOpeningBalances(source, merchantId, first, from),
      ledgerQueries.merchantMovementsByDay(source, merchantId, from, to, tz),
      orderQueries.paidOrderDays(source, merchantId, from, to, tz),
      refundQueries.refundDays(source, merchantId, from, to, tz),
      settlementQueries.recordDays(source, merchantId, from, to, tz),
      withdrawalQueries.merchantWithdrawalDays(source, merchantId, from, to, tz),
      payoutQueries.merchantPayoutDays(source, merchantId, from, to, tz),
    ]);
    const byDay = <T extends { day: string }>(rows: T[]) => new Map(rows.map((r) => [r.day, r]));
    const o = byDay(orders);
    const r = byDay(refunds);
    const st = byDay(settlements);
    const w = byDay(withdrawals);
    const p = byDay(payouts);
    const days: MonthStatement['days'] = [];
    let balances = opening;
    let totals = emptySummary();
    for (const day of dates) {
      const accounts = accountDays(
        balances,
        moves.filter((m) => m.day === day),
      );
      balances = accounts.map((a) => ({
        kind: `merchant_${a.account}`,
        currency: a.currency,
        balance: a.closing,
      }));
      const summary = emptySummary();
      const od = o.get(day);
      if (od) {
        summary.orderCount = Number(od.orders);
        summary.orderAmount = od.amount;
        summary.orderFee = od.fee;
        summary.orderNet = od.amount - od.fee;
        summary.testOrderCount = Number(od.test_orders);
        summary.testOrderAmount = od.test_amount;
      }
      const rd = r.get(day);
      if (rd) {
        summary.refundCount = Number(rd.refunds);
        summary.refundAmount = rd.amount;
        summary.refundFee = rd.fee_refund;
        summary.refundNet = rd.amount - rd.fee_refund;
        summary.failedRefundCount = Number(rd.failed);
      }
      const sd = st.get(day);
      if (sd) {
        summary.settledNet = sd.settled;
        summary.reserveHeld = sd.reserve;
        summary.reserveReleased = sd.reserve_released;
      }
      const wd = w.get(day);
      if (wd) {
        summary.withdrawalCount = Number(wd.withdrawals);
        summary.withdrawalAmount = wd.amount;
        summary.withdrawalFee = wd.fee;
      }
      const pd = p.get(day);
      if (pd) {
        summary.payoutCount = Number(pd.payouts);
        summary.payoutAmount = pd.amount;
        summary.payoutFee = pd.fee;
      }
      days.push({ day, summary, accounts });
      totals = addSummaries(totals, summary);
    }
    return {
      merchant,
      month,
      timeZone: tz,
      mode,
      generatedAt: new Date(),
      days,
      accounts: monthAccounts(days),
      totals,
    };
  }

  /** Generates a day's txt and XLSX files and stores them (replacing stored ones). */
  async generateDay(merchantId: bigint, day: string): Promise<DayStatement> {
    // A stored file is kept: read from the primary, so a posting of the day's last seconds that the
    // replica has not replayed yet is never left out of it.
    const statement = await this.dayFrom(this.db, merchantId, day);
    await this.storeDay(statement);
    return statement;
  }

  private async storeDay(statement: DayStatement): Promise<void> {
    const counts = {
      orderCount: statement.orders.length,
      refundCount: statement.refunds.length,
      lineCount:
        statement.orders.length +
        statement.refunds.length +
        statement.settlements.length +
        statement.withdrawals.length +
        statement.payouts.length,
    };
    const txt = renderDayTxt(statement);
    const xlsx = await renderDayXlsx(statement);
    await this.store(statement.merchant.id, 'day', statement.day, 'txt', txt, counts);
    await this.store(statement.merchant.id, 'day', statement.day, 'xlsx', xlsx, counts);
  }

  /** Generates a month's XLSX and stores it (replacing a stored one). */
  async generateMonth(merchantId: bigint, month: string): Promise<MonthStatement> {
    const statement = await this.monthFrom(this.db, merchantId, month);
    const xlsx = await renderMonthXlsx(statement);
    await this.store(merchantId, 'month', month, 'xlsx', xlsx, {
      orderCount: statement.totals.orderCount,
      refundCount: statement.totals.refundCount,
      lineCount: statement.days.length,
    });
    return statement;
  }

  private async store(
    merchantId: bigint,
    periodKind: PeriodKind,
    period: string,
    format: StatementFormat,
    bytes: Buffer,
    counts: { orderCount: number; refundCount: number; lineCount: number },
  ): Promise<void> {
    await queries.upsertStatement(this.db, {
      merchantId,
      periodKind,
      period,
      format,
      contentGz: await gzipAsync(bytes),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      byteSize: bytes.length,
      ...counts,
    });
  }

  /**
   * The file of a finished day or month: the stored one, else generated now and stored. A day or
   * month not over yet is refused (INVALID_REQUEST statement_not_ready); a month has only XLSX.
   */
  async file(
    merchantId: bigint,
    period: { kind: PeriodKind; period: string },
    format: StatementFormat,
    now: Date = this.clock(),
  ): Promise<StatementFile> {
    if (period.kind === 'month' && format !== 'xlsx') {
      throw new AppError('INVALID_REQUEST', 'a month statement is XLSX only', { field: 'format' });
    }
    this.assertReady(period.kind, period.period, now);
    const merchant = await this.merchantOf(merchantId);
    let stored = await queries.findStatement(this.db, merchantId, period.kind, period.period, format);
    if (!stored) {
      if (period.kind === 'day') await this.generateDay(merchantId, period.period);
      else await this.generateMonth(merchantId, period.period);
      stored = await queries.findStatement(this.db, merchantId, period.kind, period.period, format);
      if (!stored) throw new Error('invariant: a statement just stored is not found');
    }
    const bytes = await gunzipAsync(Buffer.from(stored.content_gz_base64, 'base64'));
    return {
      bytes,
      sha256: stored.sha256,
      generatedAt: stored.generated_at,
      fileName: `statement-${merchant.mchNo}-${period.period}.${format}`,
      contentType: CONTENT_TYPES[format],
    };
  }

  /** A month's days with their summary figures, for the portal (computed, not stored). */
  async monthOverview(merchantId: bigint, month: string, now: Date = this.clock()) {
    const statement = await this.month(merchantId, month);
    const today = localDate(now, this.timeZone);
    const stored = await queries.storedPeriods(this.db, merchantId, month, `${month}-99`);
    const storedKeys = new Set(stored.map((s) => `${s.period_kind}:${s.period}:${s.format}`));
    return {
      statement,
      monthReady: month < today.slice(0, 7),
      days: statement.days
        .filter((d) => d.day <= today)
        .map((d) => ({ ...d, ready: d.day < today, stored: storedKeys.has(`day:${d.day}:txt`) })),
    };
  }

  // ---------- the merchant-statements job ----------

  /**
   * Generates the statements of the days that ended (yesterday, and missed days up to a week back)
   * for every merchant with a ledger entry that day, at most MERCHANTS_PER_RUN merchants a run; on
   * the last day of a month it also generates the month's statement of the merchants it covered.
   * Re-running is safe: a regenerated file replaces the stored one.
   */
  async runDue(asOf: Date = new Date()): Promise<{ day: string | null; merchants: number }> {
    const tz = this.timeZone;
    const yesterday = addDays(localDate(asOf, tz), -1);
    const progress = parseProgress(await getSetting(this.db, PROGRESS_SETTING));
    let day: string;
    let after = 0n;
    if (progress?.done && progress.day >= yesterday) return { day: null, merchants: 0 };
    if (progress && !progress.done) {
      day = progress.day;
      after = BigInt(progress.after);
    } else if (progress) {
      day = addDays(progress.day, 1);
      if (day < addDays(yesterday, -CATCH_UP_DAYS)) day = addDays(yesterday, -CATCH_UP_DAYS);
    } else day = yesterday;
    const result = await this.generateDayForAll(day, after);
    await putSetting(
      this.db,
      PROGRESS_SETTING,
      JSON.stringify({ day, after: result.last.toString(), done: result.done }),
    );
    return { day, merchants: result.merchants };
  }

  /** One batch of a day's statements (merchants after `after` in id order). */
  async generateDayForAll(
    day: string,
    after = 0n,
  ): Promise<{ merchants: number; last: bigint; done: boolean }> {
    const tz = this.timeZone;
    const from = startOfLocalDay(day, tz);
    const to = startOfLocalDay(addDays(day, 1), tz);
    const lastOfMonth = addDays(day, 1).slice(0, 7) !== day.slice(0, 7);
    const monthStart = startOfLocalDay(`${day.slice(0, 7)}-01`, tz);
    const active = (await ledgerQueries.merchantsWithEntries(this.db, lastOfMonth ? monthStart : from, to))
      .map((r) => r.merchant_id)
      .filter((id) => id > after);
    const batch = active.slice(0, MERCHANTS_PER_RUN);
    const dayActive = lastOfMonth
      ? new Set((await ledgerQueries.merchantsWithEntries(this.db, from, to)).map((r) => r.merchant_id))
      : null;
    for (const id of batch) {
      if (!dayActive || dayActive.has(id)) await this.generateDay(id, day);
      if (lastOfMonth) await this.generateMonth(id, day.slice(0, 7));
    }
    return {
      merchants: batch.length,
      last: batch[batch.length - 1] ?? after,
      done: active.length <= MERCHANTS_PER_RUN,
    };
  }
}

function parseProgress(text: string | null): { day: string; after: string; done: boolean } | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as { day?: unknown; after?: unknown; done?: unknown };
    if (typeof v.day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v.day)) return null;
    return { day: v.day, after: typeof v.after === 'string' ? v.after : '0', done: v.done === true };
  } catch {
    return null;
  }
}

function accountDays(
  opening: { kind: string; currency: string; balance: bigint }[],
  moves: { kind: string; currency: string; txn_kind: string; amount: bigint; entries: bigint }[],
): AccountDay[] {
  const byKey = new Map<string, AccountDay>();
  const get = (kind: string, currency: string) => {
    const account = kind.replace(/^merchant_/, '');
    const key = `${account}:${currency}`;
    let a = byKey.get(key);
    if (!a) {
      a = { account, currency, opening: 0n, movements: [], change: 0n, closing: 0n };
      byKey.set(key, a);
    }
    return a;
  };
  const currencies = new Set(opening.map((o) => o.currency));
  if (currencies.size === 0) currencies.add('CNY');
  for (const currency of currencies) for (const kind of ALWAYS_SHOWN) get(kind, currency);
  for (const o of opening) get(o.kind, o.currency).opening += o.balance;
  for (const m of moves) {
    const a = get(m.kind, m.currency);
    a.movements.push({ type: m.txn_kind, entries: Number(m.entries), amount: m.amount });
    a.change += m.amount;
  }
  // The optional accounts (settled by the channel, test orders closed out) only when they hold or move money.
  const list = [...byKey.values()].filter(
    (a) => ALWAYS_SHOWN.includes(a.account) || a.opening !== 0n || a.movements.length > 0,
  );
  for (const a of list) a.closing = a.opening + a.change;
  return list.sort(
    (x, y) =>
      x.currency.localeCompare(y.currency) ||
      ACCOUNT_ORDER.indexOf(x.account) - ACCOUNT_ORDER.indexOf(y.account),
  );
}

function monthAccounts(days: MonthStatement['days']): AccountDay[] {
  const byKey = new Map<string, AccountDay>();
  days.forEach((d, index) => {
    for (const a of d.accounts) {
      const key = `${a.account}:${a.currency}`;
      let m = byKey.get(key);
      if (!m) {
        m = { account: a.account, currency: a.currency, opening: 0n, movements: [], change: 0n, closing: 0n };
        byKey.set(key, m);
      }
      if (index === 0) m.opening = a.opening;
      for (const mv of a.movements) {
        const existing = m.movements.find((x) => x.type === mv.type);
        if (existing) {
          existing.entries += mv.entries;
          existing.amount += mv.amount;
        } else m.movements.push({ ...mv });
      }
      m.change += a.change;
      m.closing = a.closing;
    }
  });
  return [...byKey.values()];
}
