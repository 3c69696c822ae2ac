import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import * as ledgerQueries from '../ledger/queries.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { AccountRef, PostingInput } from '../ledger/types.ts';
import { getSetting, putSetting } from '../settings/queries.ts';
import { addDays, localDate, startOfLocalDay } from '../stats/time.ts';
import {
  CALENDAR_LOOKBACK_DAYS,
  type CalendarKind,
  type CalendarOverrides,
  dueCutoff,
  isBusinessDay,
} from './calendar.ts';
import * as queries from './queries.ts';
import { DEFAULT_TERMS, type SettlementTerms, type SettlementTermsBook } from './terms.ts';

export const DEFAULT_TERMS_SETTING = 'settlement.defaultTerms';
export const SETTLE_TEST_ORDERS_SETTING = 'settlement.settleTestOrders';

/** Merchants per settlement transaction, and orders locked per transaction at most. */
const MERCHANT_BATCH = 500;
const ORDER_BATCH = 5_000;
const RESERVE_BATCH = 5_000;
/** The daily-balances job fills at most this many days per run. */
const DAILY_BALANCE_DAYS = 31;
/**
 * How long after a day ends its end-of-day balances are filled. An entry carries its transaction's
 * start (now()), so a posting that began before midnight and commits after it adds to the day that
 * ended; filled at once, that day would miss it, and so would every later day (each is the day
 * before plus its entries). Postings last milliseconds to seconds.
 */
export const DAILY_BALANCE_MARGIN_MS = 10 * 60_000;
const MAX_TN_DAYS = 30;

export interface SettlementOptions {
  timeZone: string;
  /** The embedded database (the demo): test orders settle like real ones unless an operator says otherwise. */
  embedded: boolean;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface RunSummary {
  day: string;
  merchants: number;
  orders: number;
  settled: string;
  testSettled: string;
  directSettled: string;
  reserveHeld: string;
  reserveReleased: string;
  postings: number;
}

/** Reads terms stored as JSON, keeping only valid fields over the built-in defaults. */
export function parseTerms(text: string | null): SettlementTerms {
  if (!text) return DEFAULT_TERMS;
  try {
    const v = JSON.parse(text) as Partial<SettlementTerms>;
    return { ...DEFAULT_TERMS, ...v };
  } catch {
    return DEFAULT_TERMS;
  }
}

/**
 * Settlement (MON-1, MON-2): the calendar, the defaults, and the job that moves paid orders' nets
 * from pending to available on their settle date (set-based, one posting per merchant per batch),
 * holds and releases the risk reserve, and records what the channel paid direct-mode merchants.
 */
export class SettlementService {
  /** One run at a time in this process (the worker's lease keeps nodes apart). */
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerService,
    private readonly terms: SettlementTermsBook,
    private readonly options: SettlementOptions,
  ) {}

  get timeZone(): string {
    return this.options.timeZone;
  }

  // ---------- defaults ----------

  async defaultTerms(): Promise<SettlementTerms> {
    return parseTerms(await getSetting(this.db, DEFAULT_TERMS_SETTING));
  }

  async settleTestOrders(): Promise<boolean> {
    const v = await getSetting(this.db, SETTLE_TEST_ORDERS_SETTING);
    return v === null ? this.options.embedded : v === 'true';
  }

  async defaults(): Promise<{ terms: SettlementTerms; settleTestOrders: boolean }> {
    return { terms: await this.defaultTerms(), settleTestOrders: await this.settleTestOrders() };
  }

  async setDefaults(d: { terms: SettlementTerms; settleTestOrders: boolean }): Promise<void> {
    await this.db.tx(async (q) => {
      await putSetting(q, DEFAULT_TERMS_SETTING, JSON.stringify(d.terms));
      await putSetting(q, SETTLE_TEST_ORDERS_SETTING, String(d.settleTestOrders));
    });
    this.terms.forgetAll();
  }

  // ---------- calendar ----------

  async overrides(from: string, to: string): Promise<CalendarOverrides> {
    const rows = await queries.calendarBetween(this.db, from, to);
    return new Map(rows.map((r) => [r.day, r.kind]));
  }

  async calendar(from: string, to: string) {
    if (to < from) throw new AppError('INVALID_REQUEST', 'to is before from', { field: 'to' });
    if (addDays(from, 366) < to)
      throw new AppError('INVALID_REQUEST', 'at most a year at once', { field: 'to' });
    const rows = await queries.calendarBetween(this.db, from, to);
    const byDay = new Map(rows.map((r) => [r.day, r]));
    const overrides = new Map(rows.map((r) => [r.day, r.kind]));
    const days = [];
    for (let day = from; day <= to; day = addDays(day, 1)) {
      const row = byDay.get(day);
      days.push({
        date: day,
        businessDay: isBusinessDay(day, overrides),
        kind: row?.kind ?? null,
        name: row?.name ?? null,
      });
    }
    return days;
  }

  putCalendarDay(day: string, kind: CalendarKind, name: string) {
    return queries.putCalendarDay(this.db, day, kind, name);
  }

  async deleteCalendarDay(day: string) {
    const old = await queries.deleteCalendarDay(this.db, day);
    if (!old) throw new AppError('NOT_FOUND', `${day} is not in the calendar`);
    return old;
  }

  // ---------- the job ----------

  /** Runs the settlement job as on `asOf` (its local date is "today"); one run at a time. */
  run(asOf: Date = new Date()): Promise<RunSummary> {
    const next = this.running.then(() => this.runNow(asOf));
    this.running = next.catch(() => {});
    return next;
  }

  private async runNow(asOf: Date): Promise<RunSummary> {
    const tz = this.options.timeZone;
    const today = localDate(asOf, tz);
    const overrides = await this.overrides(addDays(today, -CALENDAR_LOOKBACK_DAYS - 10), today);
    const { terms: defaults, settleTestOrders } = await this.defaults();
    const due: queries.DueBounds = {
      dayEnd: startOfLocalDay(addDays(today, 1), tz),
      d1: startOfLocalDay(today, tz),
      t1: startOfLocalDay(dueCutoff(today, 'T1', 1, overrides), tz),
      tn: Array.from({ length: MAX_TN_DAYS }, (_, i) =>
        startOfLocalDay(dueCutoff(today, 'TN', i + 1, overrides), tz),
      ),
    };
    const runKey = `${today}:${asOf.getTime().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const summary: RunSummary = {
      day: today,
      merchants: 0,
      orders: 0,
      settled: '0',
      testSettled: '0',
      directSettled: '0',
      reserveHeld: '0',
      reserveReleased: '0',
      postings: 0,
    };
    const totals = { settled: 0n, test: 0n, direct: 0n, held: 0n, released: 0n };
    let after = 0n;
    for (let batch = 0; ; batch++) {
      const merchants = (await queries.merchantsToSettle(this.db, after, due.dayEnd, MERCHANT_BATCH)).map(
        (r) => r.merchant_id,
      );
      if (merchants.length === 0) break;
      const triples = await queries.accountsToSettle(this.db, merchants, due.dayEnd);
      await this.ledger.openAccounts(settlementAccounts(triples));
      const out = await this.db.tx(async (q) => {
        const locked = await queries.lockDueOrders(q, merchants, defaults, due, ORDER_BATCH);
        if (locked.length === 0) return { locked: 0 };
        const groups = await queries.settleOrders(
          q,
          locked.map((r) => r.id),
          merchants,
          defaults,
          due,
          settleTestOrders,
        );
        const result = await this.postSettlements(q, groups, today, `${runKey}:${batch}`);
        return { locked: locked.length, ...result };
      });
      if ('postings' in out) {
        summary.merchants += out.merchants;
        summary.orders += out.locked;
        summary.postings += out.postings;
        totals.settled += out.settled;
        totals.test += out.test;
        totals.direct += out.direct;
        totals.held += out.held;
      }
      // A full batch of orders: the same merchants again (what settled is no longer due).
      if (out.locked < ORDER_BATCH) after = merchants[merchants.length - 1]!;
    }
    totals.released = await this.releaseReserves(today, runKey);
    summary.settled = totals.settled.toString();
    summary.testSettled = totals.test.toString();
    summary.directSettled = totals.direct.toString();
    summary.reserveHeld = totals.held.toString();
    summary.reserveReleased = totals.released.toString();
    if (summary.orders > 0 || totals.released > 0n) this.options.log.info(summary, 'settlement run');
    return summary;
  }

  /** The postings, records and reserves of one batch's settled groups, inside its transaction. */
  private async postSettlements(
    q: Parameters<Parameters<Db['tx']>[0]>[0],
    groups: queries.SettledGroup[],
    today: string,
    batchKey: string,
  ) {
    // One record (and one posting) per merchant, currency and kind; direct groups merge channel accounts.
    const merged = new Map<string, queries.SettledGroup & { channels: Map<bigint, bigint> }>();
    for (const g of groups) {
      const key = `${g.merchant_id}:${g.currency}:${g.kind}`;
      const m = merged.get(key);
      if (!m) {
        merged.set(key, {
          ...g,
          channels: new Map(g.channel_account_id === null ? [] : [[g.channel_account_id, g.net]]),
        });
        continue;
      }
      m.order_count += g.order_count;
      m.gross += g.gross;
      m.fee += g.fee;
      m.refunds += g.refunds;
      m.net += g.net;
      if (g.channel_account_id !== null)
        m.channels.set(g.channel_account_id, (m.channels.get(g.channel_account_id) ?? 0n) + g.net);
    }
    const platform = [...merged.values()].filter((g) => g.kind !== 'direct');
    const merchantIds = [...new Set(platform.map((g) => g.merchant_id))];
    // Lock order as refunds take it: orders (done), balances, then the pending debts.
    if (platform.length > 0) {
      await this.ledger.lockBalances(
        q,
        // Every guarded account the postings touch, in one id-ordered lock (as the reserve release takes them).
        platform.flatMap((g) => [
          acct('merchant_pending', g),
          acct('merchant_available', g),
          acct('merchant_reserved', g),
        ]),
      );
    }
    const debts =
      merchantIds.length > 0
        ? await queries.lockPendingDebts(q, merchantIds)
        : ([] as { merchant_id: bigint; currency: string; amount: bigint }[]);
    const debtOf = new Map(debts.map((d) => [`${d.merchant_id}:${d.currency}`, d.amount]));
    const absorbed: { merchantId: bigint; currency: string; amount: bigint }[] = [];
    const postings: PostingInput[] = [];
    const records: queries.NewRecord[] = [];
    const reserves: Parameters<typeof queries.insertReserves>[1] = [];
    const sums = { settled: 0n, test: 0n, direct: 0n, held: 0n };
    for (const g of merged.values()) {
      const key = `settlement:${g.merchant_id}:${g.currency}:${g.kind}:${batchKey}`;
      const reference = `settlement:${today}`;
      let net = g.net;
      let reserve = 0n;
      let posting: PostingInput | null = null;
      if (g.kind === 'direct') {
        const legs = [...g.channels]
          .filter(([, x]) => x !== 0n)
          .map(([channelAccountId, x]) => ({
            account: { kind: 'channel_clearing' as const, ownerId: channelAccountId, currency: g.currency },
            amount: x,
          }));
        if (net !== 0n)
          posting = {
            kind: 'direct_settlement',
            reference,
            idempotencyKey: key,
            legs: [{ account: acct('merchant_settled_by_channel', g), amount: -net }, ...legs],
          };
        sums.direct += net;
      } else {
        const debt = debtOf.get(`${g.merchant_id}:${g.currency}`) ?? 0n;
        const take = debt < net ? debt : net;
        if (take > 0n) {
          absorbed.push({ merchantId: g.merchant_id, currency: g.currency, amount: take });
          debtOf.set(`${g.merchant_id}:${g.currency}`, debt - take);
          net -= take;
        }
        if (g.kind === 'test') {
          if (net !== 0n)
            posting = {
              kind: 'test_settlement',
              reference,
              idempotencyKey: key,
              legs: [
                { account: acct('merchant_pending', g), amount: -net },
                { account: acct('merchant_test_settled', g), amount: net },
              ],
            };
          sums.test += net;
        } else {
          if (g.reserve_ppm > 0 && g.reserve_days > 0) reserve = (net * BigInt(g.reserve_ppm)) / 1_000_000n;
          if (net !== 0n)
            posting = {
              kind: 'settlement',
              reference,
              idempotencyKey: key,
              legs: [
                { account: acct('merchant_pending', g), amount: -net },
                { account: acct('merchant_available', g), amount: net - reserve },
                { account: acct('merchant_reserved', g), amount: reserve },
              ],
            };
          if (reserve > 0n) {
            reserves.push({
              merchantId: g.merchant_id,
              currency: g.currency,
              amount: reserve,
              heldOn: today,
              releaseOn: addDays(today, g.reserve_days),
            });
          }
          sums.settled += net;
          sums.held += reserve;
        }
      }
      if (posting) postings.push(posting);
      records.push({
        merchantId: g.merchant_id,
        currency: g.currency,
        day: today,
        kind: g.kind,
        orderCount: g.order_count,
        gross: g.gross,
        fee: g.fee,
        refunds: g.refunds + (g.net - net),
        net,
        reserve,
        reserveReleased: 0n,
        txnKey: posting ? key : null,
      });
    }
    await queries.reducePendingDebts(q, absorbed);
    await this.ledger.postMany(q, postings);
    await queries.insertRecords(q, records);
    await queries.insertReserves(q, reserves);
    return {
      merchants: new Set([...merged.values()].map((g) => g.merchant_id)).size,
      postings: postings.length,
      ...sums,
    };
  }

  /** The reserve-release step: reserve due by today moves to available, one posting per merchant per batch. */
  private async releaseReserves(today: string, runKey: string): Promise<bigint> {
    let released = 0n;
    const due = await queries.reservesDue(this.db, today);
    if (due.length === 0) return 0n;
    await this.ledger.openAccounts(
      due.flatMap((d) => [acct('merchant_reserved', d), acct('merchant_available', d)]),
    );
    for (let batch = 0; ; batch++) {
      const count = await this.db.tx(async (q) => {
        const rows = await queries.releaseReserves(q, today, RESERVE_BATCH);
        const postings: PostingInput[] = [];
        const records: queries.NewRecord[] = [];
        let n = 0n;
        for (const r of rows) {
          const key = `reserve_release:${r.merchant_id}:${r.currency}:${runKey}:${batch}`;
          postings.push({
            kind: 'reserve_release',
            reference: `reserve_release:${today}`,
            idempotencyKey: key,
            legs: [
              { account: acct('merchant_reserved', r), amount: -r.amount },
              { account: acct('merchant_available', r), amount: r.amount },
            ],
          });
          records.push({
            merchantId: r.merchant_id,
            currency: r.currency,
            day: today,
            kind: 'reserve_release',
            orderCount: 0n,
            gross: 0n,
            fee: 0n,
            refunds: 0n,
            net: 0n,
            reserve: 0n,
            reserveReleased: r.amount,
            txnKey: key,
          });
          released += r.amount;
          n += r.count;
        }
        await this.ledger.postMany(q, postings);
        await queries.insertRecords(q, records);
        return n;
      });
      if (count < BigInt(RESERVE_BATCH)) break;
    }
    return released;
  }

  // ---------- daily balances ----------

  /**
   * Fills the end-of-day balances of every local day that ended DAILY_BALANCE_MARGIN_MS ago or more
   * and is not filled yet (set-based, ≤ 31 days a run).
   */
  async fillDailyBalances(asOf: Date = new Date()): Promise<{ days: number; rows: number }> {
    const tz = this.options.timeZone;
    const yesterday = addDays(localDate(new Date(asOf.getTime() - DAILY_BALANCE_MARGIN_MS), tz), -1);
    const last = await ledgerQueries.lastDailyBalanceDay(this.db);
    let from: string;
    if (last) from = addDays(last, 1);
    else {
      const first = await ledgerQueries.firstEntryAt(this.db);
      if (!first) return { days: 0, rows: 0 };
      from = localDate(first, tz);
    }
    const days: string[] = [];
    for (let d = from; d <= yesterday && days.length < DAILY_BALANCE_DAYS; d = addDays(d, 1)) days.push(d);
    if (days.length === 0) return { days: 0, rows: 0 };
    const starts = [...days, addDays(days[days.length - 1]!, 1)].map((d) => startOfLocalDay(d, tz));
    const rows = await this.db.tx((q) => ledgerQueries.fillDailyBalances(q, days, starts));
    return { days: days.length, rows };
  }

  // ---------- reads ----------

  /** A merchant's balances (GET /api/v1/balance and the portal). */
  async balanceOf(merchantId: bigint) {
    const terms = await this.terms.termsOf(merchantId);
    const rows = await ledgerQueries.merchantBalances(this.db, merchantId);
    const currency = rows[0]?.currency ?? 'CNY';
    const of = (kind: string) =>
      rows.filter((r) => r.kind === kind && r.currency === currency).reduce((a, r) => a + r.balance, 0n);
    return {
      currency,
      mode: terms.mode,
      pending: of('merchant_pending'),
      available: of('merchant_available'),
      frozen: of('merchant_frozen'),
      reserved: of('merchant_reserved'),
      settledByChannel: of('merchant_settled_by_channel'),
      terms,
    };
  }

  listRecords(f: Parameters<typeof queries.listRecords>[1]) {
    return queries.listRecords(this.db, f);
  }

  channelSettlements(merchantId: bigint, from: string, to: string) {
    return queries.channelSettlements(this.db, merchantId, from, to);
  }

  directOutstanding(merchantId: bigint) {
    return queries.directOutstanding(this.db, merchantId);
  }
}

function acct(kind: AccountRef['kind'], g: { merchant_id: bigint; currency: string }): AccountRef {
  return { kind, ownerId: g.merchant_id, currency: g.currency };
}

function settlementAccounts(
  triples: { merchant_id: bigint; currency: string; channel_account_id: bigint }[],
): AccountRef[] {
  const refs: AccountRef[] = [];
  for (const t of triples) {
    for (const kind of [
      'merchant_pending',
      'merchant_available',
      'merchant_reserved',
      'merchant_test_settled',
      'merchant_settled_by_channel',
    ] as const)
      refs.push(acct(kind, t));
    refs.push({ kind: 'channel_clearing', ownerId: t.channel_account_id, currency: t.currency });
  }
  const seen = new Set<string>();
  return refs.filter((r) => {
    const code = `${r.kind}:${r.ownerId}:${r.currency}`;
    if (seen.has(code)) return false;
    seen.add(code);
    return true;
  });
}

export { isBusinessDay };
