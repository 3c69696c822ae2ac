import { createHash } from 'node:crypto';
import type { BankAccount } from '../channels/types.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { LedgerService } from '../ledger/service.ts';
import { type AccountRef, fundsAccounts, type PostingInput } from '../ledger/types.ts';
import { membersOfMerchantSql } from '../members/queries.ts';
import type { MerchantService } from '../merchants/service.ts';
import { toJsonAmount } from '../money/money.ts';
import type { NotifyService } from '../notify/service.ts';
import { minuteOfDayIn } from '../routing/route.ts';
import type { SettlementTermsBook } from '../settlement/terms.ts';
import { localDate } from '../stats/time.ts';
import { type BankCardRow, type BankCardService, maskAccountNo } from './cards.ts';
import { asOwner, lockOwner, ownerOf, sameOwner, type WithdrawalOwner } from './owner.ts';
import type { WithdrawalRow, WithdrawalSource, WithdrawalState } from './queries.ts';
import * as queries from './queries.ts';
import {
  checkAmount,
  checkDailyLimits,
  clockMinutes,
  inWithdrawalWindow,
  type WithdrawalRuleBook,
} from './rules.ts';

/** What withdrawals need of the payout domain (src/payouts/service.ts, PayoutService). */
export interface PayoutPort {
  createForWithdrawal(
    q: Queryable,
    w: {
      owner: WithdrawalOwner;
      withdrawalId: bigint;
      withdrawNo: string;
      amount: bigint;
      fee: bigint;
      debit: bigint;
      currency: string;
      payee: BankAccount;
      test: boolean;
    },
  ): Promise<{ payoutNo: string }>;
  submit(payoutNo: string): Promise<void>;
  onWithdrawalOutcome(
    listener: (
      q: Queryable,
      e: {
        withdrawalId: bigint;
        state: 'submitted' | 'succeeded' | 'failed';
        reason: string | null;
        at: Date;
        payoutNo: string;
      },
    ) => Promise<void>,
  ): void;
}

export interface CreateWithdrawalInput {
  mchWithdrawNo: string;
  amount: bigint;
  cardId?: bigint;
  notifyUrl?: string;
}

export interface WithdrawalOrigin {
  source: WithdrawalSource;
  /** The signed API's app (its notify URL is the fallback); null from the portal and the job. */
  appId: string | null;
  userId: bigint | null;
}

export interface WithdrawalOptions {
  timeZone: string;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** The clock, for tests of the window and auto-withdrawal. */
  now?: () => Date;
  /**
   * Where the consoles' lists and exports read (a streaming replica when one is configured and close
   * behind, src/db/read-replica.ts); the primary when unset. Nothing that decides money reads it.
   */
  reads?: Queryable;
}

const CURRENCY = 'CNY';

/**
 * A check another domain makes of an owner of its kind inside the withdrawal's transaction, after
 * the owner's row is locked (e.g. a frozen member may not withdraw): it throws to refuse.
 */
export type OwnerGate = (q: Queryable, ownerId: bigint) => Promise<void>;

/** Thrown inside the create transaction when a concurrent request took the same mchWithdrawNo. */
class MchWithdrawNoTaken extends Error {}

/**
 * Withdrawals (MON-3): a merchant's available balance, an agent's available commission, or a
 * marketplace member's available balance (簿记账户), to the owner's own bank card. Creating one checks the rules and freezes the amount in one transaction; an
 * operator reviews large ones; approved ones become a payout order (payouts domain), whose outcome
 * comes back through onOutcome in the payout's transaction. Rejection gives the frozen amount back;
 * a failed payout gives it back there. A bare id names a merchant (the API, the portal, the job).
 */
export class WithdrawalService {
  private payouts: PayoutPort | null = null;
  private readonly gates = new Map<WithdrawalOwner['kind'], OwnerGate>();

  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerService,
    readonly cards: BankCardService,
    readonly rules: WithdrawalRuleBook,
    private readonly terms: SettlementTermsBook,
    private readonly notify: NotifyService,
    private readonly merchants: MerchantService,
    private readonly options: WithdrawalOptions,
  ) {}

  get timeZone(): string {
    return this.options.timeZone;
  }

  /** A merchant's succeeded withdrawals per local day (the dashboard's trend). */
  async withdrawnByDay(merchantId: bigint, from: Date, to: Date): Promise<Map<string, bigint>> {
    const rows = await queries.withdrawnByDay(this.db, merchantId, from, to, this.timeZone);
    return new Map(rows.map((r) => [r.day, r.amount]));
  }

  /** Withdrawals of a merchant's members per local day asked for (the dashboard's marketplace figures). */
  memberWithdrawalsByDay(f: { merchantId: bigint; firstDay: string; lastDay: string }) {
    return queries.memberWithdrawalsByDay(this.db, f, membersOfMerchantSql('$1'));
  }

  /** Connects the payout domain: approved withdrawals become payouts, whose outcomes come back here. */
  attachPayouts(payouts: PayoutPort): void {
    this.payouts = payouts;
    payouts.onWithdrawalOutcome((q, e) => this.onOutcome(q, e));
  }

  /** Lets the domain of an owner kind refuse its owners' withdrawals (checked under the owner's lock). */
  attachOwnerGate(kind: WithdrawalOwner['kind'], gate: OwnerGate): void {
    this.gates.set(kind, gate);
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  accounts(owner: bigint | WithdrawalOwner): { available: AccountRef; frozen: AccountRef } {
    return fundsAccounts(asOwner(owner), CURRENCY);
  }

  // ---------- create ----------

  /** Creates (or, for a same-body retry, returns) a withdrawal; `created` is false for a retry. */
  async create(
    ownerOrMerchantId: bigint | WithdrawalOwner,
    input: CreateWithdrawalInput,
    origin: WithdrawalOrigin,
  ): Promise<{ withdrawal: WithdrawalRow; created: boolean }> {
    const owner = asOwner(ownerOrMerchantId);
    const requestHash = hashWithdrawalRequest(input);
    const existing = await queries.findByMchNo(this.db, owner, input.mchWithdrawNo);
    if (existing) return { withdrawal: assertSameRequest(existing, requestHash), created: false };
    if (input.amount <= 0n) {
      throw new AppError('INVALID_REQUEST', 'amount must be greater than zero', { field: 'amount' });
    }
    const { available, frozen } = this.accounts(owner);
    await this.ledger.openAccounts([available, frozen]);
    const notifyTo =
      owner.kind === 'merchant'
        ? await this.notifyTarget(owner.id, origin.appId, input.notifyUrl)
        : { appId: null, url: '' };

    // Direct mode (the channel settles the merchant): nothing is held here to withdraw.
    if (owner.kind === 'merchant') await this.terms.requirePlatformMode(owner.id);
    let withdrawal: WithdrawalRow;
    try {
      withdrawal = await this.db.tx(async (q) => {
        // One withdrawal of an owner at a time past here: the day's count and amount are read
        // and extended under this lock, so parallel requests cannot pass the limits together.
        await lockOwner(q, owner);
        await this.gates.get(owner.kind)?.(q, owner.id);
        const rules = await this.rules.forOwner(owner, q);
        const fee = checkAmount(input.amount, rules);
        const now = this.now();
        if (!inWithdrawalWindow(minuteOfDayIn(now, this.timeZone), rules.windowStart, rules.windowEnd)) {
          throw new AppError('OUTSIDE_WITHDRAWAL_WINDOW', 'withdrawals are not allowed at this time of day', {
            windowStart: rules.windowStart,
            windowEnd: rules.windowEnd,
          });
        }
        const card = await this.cards.usable(owner, input.cardId, q);
        if (!card) throw new AppError('NO_BANK_CARD', 'bind an active settlement bank card first');
        const localDay = localDate(now, this.timeZone);
        checkDailyLimits(await queries.usedOnDay(q, owner, localDay), input.amount, rules);
        if (owner.kind === 'agent') await this.requireAgentAvailable(q, available, input.amount);
        const state: WithdrawalState = input.amount >= rules.reviewThreshold ? 'reviewing' : 'approved';
        const row = await queries.insertWithdrawal(q, {
          owner,
          mchWithdrawNo: input.mchWithdrawNo,
          requestHash,
          source: origin.source,
          appId: notifyTo.appId,
          createdByUserId: origin.userId,
          cardId: card.id,
          bankName: card.bank_name,
          accountMasked: maskAccountNo(card.account_first4, card.account_last4),
          amount: input.amount,
          fee,
          currency: CURRENCY,
          state,
          notifyUrl: notifyTo.url,
          localDay,
        });
        if (!row) throw new MchWithdrawNoTaken();
        // A merchant's INSUFFICIENT_BALANCE comes from the guarded balance; the whole transaction rolls back.
        await this.ledger.post(q, this.freezePosting(row));
        await queries.insertEvent(q, row.id, { state, reason: null, actor: actorOf(owner, origin) });
        return state === 'approved' ? this.createPayout(q, row, card) : row;
      });
    } catch (error) {
      if (!(error instanceof MchWithdrawNoTaken)) throw error;
      const winner = (await queries.findByMchNo(this.db, owner, input.mchWithdrawNo))!;
      return { withdrawal: assertSameRequest(winner, requestHash), created: false };
    }
    await this.submitAfterCommit(withdrawal);
    return { withdrawal: (await queries.findById(this.db, withdrawal.id))!, created: true };
  }

  /**
   * An agent's available commission is not a guarded balance (a refund may take it below zero), so
   * the check is made here, under the account row's lock: no other posting to it lands until the
   * freeze commits, and parallel withdrawals of the agent already queue on the agent's row.
   */
  private async requireAgentAvailable(q: Queryable, available: AccountRef, amount: bigint): Promise<void> {
    const balance = await this.ledger.lockUnguardedBalance(q, available);
    if (balance < amount) {
      throw new AppError(
        'INSUFFICIENT_BALANCE',
        'the available commission is not enough for this withdrawal',
        {
          available: toJsonAmount(balance > 0n ? balance : 0n),
        },
      );
    }
  }

  /** Where the withdrawal's notifies go: the request's URL, else the app's; none without either. */
  private async notifyTarget(
    merchantId: bigint,
    appId: string | null,
    notifyUrl: string | undefined,
  ): Promise<{ appId: string | null; url: string }> {
    let app: { appId: string; notifyUrl: string } | null = null;
    try {
      app = await this.merchants.orderingApp(merchantId, appId ?? undefined);
    } catch {
      app = null;
    }
    if (!app) return { appId: null, url: '' };
    return { appId: app.appId, url: notifyUrl ?? app.notifyUrl ?? '' };
  }

  private freezePosting(w: WithdrawalRow): PostingInput {
    const { available, frozen } = this.accounts(ownerOf(w));
    return {
      kind: 'withdrawal_freeze',
      reference: w.withdraw_no,
      idempotencyKey: `withdrawal_freeze:${w.withdraw_no}`,
      legs: [
        { account: available, amount: -w.amount },
        { account: frozen, amount: w.amount },
      ],
    };
  }

  private releasePosting(w: WithdrawalRow): PostingInput {
    const { available, frozen } = this.accounts(ownerOf(w));
    return {
      kind: 'withdrawal_release',
      reference: w.withdraw_no,
      idempotencyKey: `withdrawal_release:${w.withdraw_no}`,
      legs: [
        { account: frozen, amount: -w.amount },
        { account: available, amount: w.amount },
      ],
    };
  }

  /** Records the payout order of an approved withdrawal (same transaction); the channel is asked after commit. */
  private async createPayout(q: Queryable, w: WithdrawalRow, card?: BankCardRow): Promise<WithdrawalRow> {
    if (!this.payouts) return w;
    const theCard =
      card ?? (await q.query<BankCardRow>('SELECT * FROM bank_card WHERE id = $1', [w.card_id]))[0] ?? null;
    if (!theCard) throw new AppError('NO_BANK_CARD', 'the withdrawal’s bank card is gone');
    const { payoutNo } = await this.payouts.createForWithdrawal(q, {
      owner: ownerOf(w),
      withdrawalId: w.id,
      withdrawNo: w.withdraw_no,
      amount: w.amount - w.fee,
      fee: w.fee,
      debit: w.amount,
      currency: w.currency,
      payee: this.cards.payeeOf(theCard),
      test: false,
    });
    await queries.setPayoutNo(q, w.id, payoutNo);
    return { ...w, payout_no: payoutNo };
  }

  private async submitAfterCommit(w: WithdrawalRow): Promise<void> {
    if (!this.payouts || w.state !== 'approved' || !w.payout_no) return;
    try {
      await this.payouts.submit(w.payout_no);
    } catch (error) {
      // The payout order is recorded: the payout domain's retry and query jobs take it from here.
      this.options.log.warn(
        { withdrawNo: w.withdraw_no, payoutNo: w.payout_no, err: error },
        'withdrawal payout submit failed; the payout jobs will retry',
      );
    }
  }

  // ---------- review ----------

  async approve(withdrawNo: string, userId: bigint): Promise<WithdrawalRow> {
    const w = await this.requireByNo(withdrawNo);
    const approved = await this.db.tx(async (q) => {
      const row = await queries.transition(q, w.id, ['reviewing'], 'approved', { reviewerId: userId });
      if (!row) throw stateInvalid((await queries.findById(q, w.id))!);
      await queries.insertEvent(q, row.id, { state: 'approved', reason: null, actor: 'operator' });
      return this.createPayout(q, row);
    });
    await this.submitAfterCommit(approved);
    return (await queries.findById(this.db, w.id))!;
  }

  async reject(withdrawNo: string, reason: string, userId: bigint): Promise<WithdrawalRow> {
    const w = await this.requireByNo(withdrawNo);
    await this.ledger.openAccounts(Object.values(this.accounts(ownerOf(w))));
    return this.db.tx(async (q) => {
      const row = await queries.transition(q, w.id, ['reviewing'], 'rejected', {
        reason,
        reviewerId: userId,
      });
      if (!row) throw stateInvalid((await queries.findById(q, w.id))!);
      await this.ledger.post(q, this.releasePosting(row));
      await queries.insertEvent(q, row.id, { state: 'rejected', reason, actor: 'operator' });
      await this.enqueueNotify(q, row, 'withdrawal.failed');
      return row;
    });
  }

  /** Approves each; one that cannot be approved is listed with its code and does not stop the others. */
  async approveMany(
    withdrawNos: string[],
    userId: bigint,
  ): Promise<{ approved: string[]; failed: { withdrawNo: string; code: string }[] }> {
    const approved: string[] = [];
    const failed: { withdrawNo: string; code: string }[] = [];
    for (const withdrawNo of [...new Set(withdrawNos)]) {
      try {
        await this.approve(withdrawNo, userId);
        approved.push(withdrawNo);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        failed.push({ withdrawNo, code: error.code });
      }
    }
    return { approved, failed };
  }

  // ---------- outcomes ----------

  /** A payout's news, inside the payout's transaction (its posting already made or made alongside). */
  async onOutcome(
    q: Queryable,
    e: { withdrawalId: bigint; state: 'submitted' | 'succeeded' | 'failed'; reason: string | null; at: Date },
  ): Promise<void> {
    const from: WithdrawalState[] = e.state === 'submitted' ? ['approved'] : ['approved', 'submitted'];
    const row = await queries.transition(q, e.withdrawalId, from, e.state, {
      reason: e.state === 'failed' ? (e.reason ?? 'payout failed') : null,
      at: e.at,
    });
    if (!row) return; // already there (a repeated notify or query answer)
    await queries.insertEvent(q, row.id, { state: e.state, reason: e.reason, actor: 'channel', at: e.at });
    if (e.state === 'succeeded') await this.enqueueNotify(q, row, 'withdrawal.succeeded');
    if (e.state === 'failed') await this.enqueueNotify(q, row, 'withdrawal.failed');
  }

  private async enqueueNotify(q: Queryable, w: WithdrawalRow, eventType: string): Promise<void> {
    // Only a merchant's API app is told (an agent's withdrawal has no app).
    if (!w.app_id || !w.notify_url || w.merchant_id === null) return;
    await this.notify.enqueue(q, {
      merchantId: w.merchant_id,
      appId: w.app_id,
      orderId: null,
      eventType,
      idempotencyKey: `${eventType}:${w.withdraw_no}`,
      url: w.notify_url,
      body: { eventType, ...withdrawalView(w) },
    });
  }

  // ---------- reads ----------

  async requireByNo(withdrawNo: string): Promise<WithdrawalRow> {
    const row = await queries.findByNo(this.db, withdrawNo);
    if (!row) throw new AppError('NOT_FOUND', `withdrawal ${withdrawNo} not found`);
    return row;
  }

  /** A withdrawal of this merchant; another's is not found. */
  getForMerchant(merchantId: bigint, withdrawNo: string): Promise<WithdrawalRow> {
    return this.getForOwner(asOwner(merchantId), withdrawNo);
  }

  /** A withdrawal of this owner; anyone else's (another merchant's or agent's) is not found. */
  async getForOwner(owner: WithdrawalOwner, withdrawNo: string): Promise<WithdrawalRow> {
    const row = await queries.findByNo(this.db, withdrawNo);
    if (!row || !sameOwner(row, owner)) throw new AppError('NOT_FOUND', `withdrawal ${withdrawNo} not found`);
    return row;
  }

  /** The owner's withdrawal of this client number, or null. */
  findByMchNo(owner: WithdrawalOwner, mchWithdrawNo: string): Promise<WithdrawalRow | null> {
    return queries.findByMchNo(this.db, owner, mchWithdrawNo);
  }

  async getByMchNo(merchantId: bigint, mchWithdrawNo: string): Promise<WithdrawalRow> {
    const row = await queries.findByMchNo(this.db, asOwner(merchantId), mchWithdrawNo);
    if (!row) throw new AppError('NOT_FOUND', `withdrawal ${mchWithdrawNo} not found`);
    return row;
  }

  events(withdrawalId: bigint) {
    return queries.eventsOf(this.db, withdrawalId);
  }

  /** What open withdrawals hold frozen, keyed `merchant:currency` (the ledger check compares it). */
  frozenByMerchant(): Promise<Map<string, bigint>> {
    return this.frozenBy('merchant');
  }

  /** What open withdrawals hold frozen per owner of a kind, keyed `owner:currency`. */
  async frozenBy(kind: WithdrawalOwner['kind']): Promise<Map<string, bigint>> {
    const rows = await queries.sumOpenByOwner(this.db, kind);
    return new Map(rows.map((r) => [`${r.owner_id}:${r.currency}`, r.amount]));
  }

  /** Lists and exports only: they may trail the primary by the replica's lag. Never a read that decides. */
  private get reads(): Queryable {
    return this.options.reads ?? this.db;
  }

  list(f: queries.WithdrawalFilter) {
    return queries.list(this.reads, f);
  }

  /** How many withdrawals the consoles' list filters match (an export's size). */
  countMatching(f: queries.WithdrawalMatch) {
    return queries.countMatching(this.reads, f);
  }

  /** The withdrawals the list filters match after `afterId`, in id order (an export's keyset page). */
  matchingAfter(f: queries.WithdrawalMatch, afterId: bigint, limit: number) {
    return queries.matchingAfter(this.reads, f, afterId, limit);
  }

  /** Today's count and amount toward the limits. */
  usedToday(owner: bigint | WithdrawalOwner) {
    return queries.usedOnDay(this.db, asOwner(owner), localDate(this.now(), this.timeZone));
  }

  // ---------- auto-withdrawal ----------

  async autoSettings(merchantId: bigint) {
    const row = (
      await this.db.query<{ enabled: boolean; at_time: string; keep_balance: bigint }>(
        'SELECT enabled, at_time, keep_balance FROM auto_withdrawal WHERE merchant_id = $1',
        [merchantId],
      )
    )[0];
    return {
      enabled: row?.enabled ?? false,
      time: row?.at_time ?? '10:00',
      keepBalance: row?.keep_balance ?? 0n,
    };
  }

  async setAutoSettings(merchantId: bigint, s: { enabled: boolean; time: string; keepBalance: bigint }) {
    clockMinutes(s.time);
    await this.db.query(
      `INSERT INTO auto_withdrawal (merchant_id, enabled, at_time, keep_balance) VALUES ($1, $2, $3, $4)
       ON CONFLICT (merchant_id) DO UPDATE SET enabled = EXCLUDED.enabled, at_time = EXCLUDED.at_time,
         keep_balance = EXCLUDED.keep_balance, updated_at = now()`,
      [merchantId, s.enabled, s.time, s.keepBalance],
    );
    return this.autoSettings(merchantId);
  }

  /**
   * The auto-withdrawal job: for each merchant with it on whose time has come today and who has not
   * had its run today, withdraws available − keepBalance (capped at the maximum) to the default
   * card when that reaches the minimum. The merchant number `AUTO-<date>` makes a day's run
   * idempotent; a refusal is logged and the day is done.
   */
  async runAutoWithdrawals(): Promise<{ created: string[]; skipped: number }> {
    const now = this.now();
    const today = localDate(now, this.timeZone);
    const minute = minuteOfDayIn(now, this.timeZone);
    const due = await this.db.query<{ merchant_id: bigint; at_time: string; keep_balance: bigint }>(
      `SELECT merchant_id, at_time, keep_balance FROM auto_withdrawal
       WHERE enabled AND (last_run_day IS NULL OR last_run_day < $1::date) ORDER BY merchant_id`,
      [today],
    );
    const created: string[] = [];
    let skipped = 0;
    for (const d of due) {
      if (minute < clockMinutes(d.at_time)) continue;
      const claimed = await this.db.query(
        `UPDATE auto_withdrawal SET last_run_day = $2::date
         WHERE merchant_id = $1 AND (last_run_day IS NULL OR last_run_day < $2::date) RETURNING 1`,
        [d.merchant_id, today],
      );
      if (claimed.length === 0) continue;
      try {
        const rules = await this.rules.effective(d.merchant_id);
        const balance = await this.ledger.balanceOf(this.accounts(d.merchant_id).available);
        let amount = balance - d.keep_balance;
        if (amount > rules.maxAmount) amount = rules.maxAmount;
        if (amount < rules.minAmount) {
          skipped++;
          continue;
        }
        const { withdrawal } = await this.create(
          d.merchant_id,
          { mchWithdrawNo: `AUTO-${today.replaceAll('-', '')}`, amount },
          { source: 'auto', appId: null, userId: null },
        );
        created.push(withdrawal.withdraw_no);
      } catch (error) {
        skipped++;
        if (!(error instanceof AppError)) throw error;
        this.options.log.warn(
          { merchantId: d.merchant_id.toString(), code: error.code },
          'auto-withdrawal refused',
        );
      }
    }
    return { created, skipped };
  }
}

function actorOf(owner: WithdrawalOwner, origin: WithdrawalOrigin): string {
  return origin.source === 'api' ? 'api' : origin.source === 'auto' ? 'system' : owner.kind;
}

function stateInvalid(w: WithdrawalRow): AppError {
  return new AppError('WITHDRAWAL_STATE_INVALID', `withdrawal ${w.withdraw_no} is ${w.state}`, {
    state: w.state,
  });
}

function assertSameRequest(w: WithdrawalRow, requestHash: string): WithdrawalRow {
  if (w.request_hash !== requestHash) {
    throw new AppError(
      'IDEMPOTENCY_CONFLICT',
      `mchWithdrawNo ${w.mch_withdraw_no} was already used with a different request`,
    );
  }
  return w;
}

/** The fields that define a withdrawal, in a fixed order. */
export function hashWithdrawalRequest(input: CreateWithdrawalInput): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        input.mchWithdrawNo,
        input.amount.toString(),
        input.cardId?.toString() ?? null,
        input.notifyUrl ?? null,
      ]),
    )
    .digest('hex');
}

/** The merchant-facing shape of a withdrawal (API, portal, notifies). */
export function withdrawalView(w: WithdrawalRow) {
  return {
    withdrawNo: w.withdraw_no,
    mchWithdrawNo: w.mch_withdraw_no,
    state: w.state,
    amount: toJsonAmount(w.amount),
    fee: toJsonAmount(w.fee),
    arrivalAmount: toJsonAmount(w.amount - w.fee),
    currency: w.currency,
    card: { bankName: w.bank_name, accountNoMasked: w.account_masked },
    reason: w.reason,
    createdAt: w.created_at.toISOString(),
    reviewedAt: w.reviewed_at?.toISOString() ?? null,
    submittedAt: w.submitted_at?.toISOString() ?? null,
    paidAt: w.paid_at?.toISOString() ?? null,
    failedAt: w.failed_at?.toISOString() ?? null,
  };
}

export function eventViews(events: queries.WithdrawalEventRow[]) {
  return events.map((e) => ({ state: e.state, at: e.at.toISOString(), reason: e.reason }));
}
