import { createHash } from 'node:crypto';
import type { SecretBox, SecretPlace } from '../auth/secret-box.ts';
import type { CatalogService } from '../catalog/service.ts';
import type { ChannelGateway } from '../channels/gateway.ts';
import type { BankAccount, InboundNotify, NotifyAck, PayoutStatusResult } from '../channels/types.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { AccountRef, PostingInput } from '../ledger/types.ts';
import type { AppKeys, MerchantService } from '../merchants/service.ts';
import { feeFor, toJsonAmount } from '../money/money.ts';
import type { NotifyService } from '../notify/service.ts';
import type { OrderService } from '../orders/service.ts';
import * as settingsQueries from '../settings/queries.ts';
import type { SettlementTermsBook } from '../settlement/terms.ts';
import type { PayoutFilter, PayoutRow, PayoutState } from './queries.ts';
import * as queries from './queries.ts';

/** The outcome of a withdrawal's payout, told to the withdrawals domain inside the payout's transaction. */
export interface WithdrawalOutcome {
  withdrawalId: bigint;
  state: 'submitted' | 'succeeded' | 'failed';
  reason: string | null;
  at: Date;
  payoutNo: string;
}

export type WithdrawalOutcomeListener = (q: Queryable, e: WithdrawalOutcome) => Promise<void>;

/** What the withdrawals domain hands over: the funds are already frozen (debit). */
export interface WithdrawalPayoutInput {
  merchantId: bigint;
  withdrawalId: bigint;
  withdrawNo: string;
  /** Paid to the card. */
  amount: bigint;
  fee: bigint;
  /** Frozen: amount + fee. */
  debit: bigint;
  currency: string;
  payee: BankAccount;
  test: boolean;
}

export interface CreatePayoutInput {
  mchPayoutNo: string;
  amount: bigint;
  currency?: string;
  payee: {
    name: string;
    accountNo: string;
    bankName: string;
    bankBranch?: string | null;
    type?: 'personal' | 'corporate';
  };
  remark?: string | null;
  notifyUrl?: string | null;
}

/** Fees and limits of third-party payouts. */
export interface PayoutRules {
  feeRatePpm: number;
  /** Fen per payout. */
  fixedFee: bigint;
  minAmount: bigint;
  maxAmount: bigint;
  /** Payouts per merchant per day (platform time zone); 0 = none allowed. */
  dailyCount: number;
  dailyAmount: bigint;
}

/** Per-merchant overrides: null = the platform's default. */
export type PayoutRuleOverrides = { [K in keyof PayoutRules]: PayoutRules[K] | null };

export const DEFAULT_PAYOUT_RULES: PayoutRules = {
  feeRatePpm: 0,
  fixedFee: 200n,
  minAmount: 100n,
  maxAmount: 5_000_000n,
  dailyCount: 100,
  dailyAmount: 50_000_000n,
};

const RULES_SETTING = 'payout.rules';
/** Defined by the settlement domain; read here with the same default until it is. */
export const SETTLE_TEST_ORDERS_SETTING = 'settlement.settleTestOrders';

export interface PayoutOptions {
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  timeZone: string;
  /** `settlement.settleTestOrders` when never set: on for the embedded database, off with DATABASE_URL. */
  settleTestOrdersDefault: boolean;
}

/** Payouts the channel has had this long without a final answer are asked about. */
const STALE_SECONDS = 30;
const QUERY_BATCH = 50;

class MchPayoutNoTaken extends Error {}

const payeePlace = (id: bigint): SecretPlace => ({
  table: 'payout_order',
  id,
  column: 'payee_account_no_enc',
});

/**
 * Payout orders (代付, MON-3/MON-4): a withdrawal's payment to the merchant's card, or a third-party
 * payout a merchant asks for through the API. The funds are frozen before the channel is called;
 * the channel is called outside any transaction, with our payout number as its idempotency key,
 * which never changes: a lost answer is recovered by asking the channel (queryPayout), and a payout
 * the channel does not know is sent again under the same number, so the payee is never paid twice.
 * Every state change is a compare-and-set in one transaction with its ledger posting, its attempt
 * row, and the merchant notify (or, for a withdrawal, the withdrawals domain's listeners).
 */
export class PayoutService {
  private readonly withdrawalListeners: WithdrawalOutcomeListener[] = [];

  constructor(
    private readonly db: Db,
    private readonly deps: {
      ledger: LedgerService;
      channels: ChannelGateway;
      catalog: CatalogService;
      notify: NotifyService;
      merchants: MerchantService;
      orders: OrderService;
      secrets: SecretBox;
      settlementTerms: SettlementTermsBook;
    },
    private readonly options: PayoutOptions,
  ) {}

  // ---------- the withdrawals domain's door ----------

  /**
   * Inside the caller's transaction: records the payout of a withdrawal whose funds are already
   * frozen (no posting here). Returns the payout number (also the channel's key).
   */
  async createForWithdrawal(q: Queryable, w: WithdrawalPayoutInput): Promise<{ payoutNo: string }> {
    if (w.amount <= 0n || w.fee < 0n || w.debit !== w.amount + w.fee) {
      throw new Error('invariant: a withdrawal payout needs amount > 0 and debit = amount + fee');
    }
    const payee = validPayee(w.payee);
    const id = await queries.nextPayoutId(q);
    const row = await queries.insertPayout(q, {
      id,
      kind: 'withdrawal',
      merchant_id: w.merchantId,
      app_id: null,
      mch_payout_no: null,
      request_hash: null,
      withdrawal_id: w.withdrawalId,
      withdraw_no: w.withdrawNo,
      amount: w.amount,
      fee: w.fee,
      debit: w.debit,
      currency: w.currency,
      payee_name: payee.name,
      payee_account_no_enc: this.deps.secrets.encrypt(payee.accountNo, payeePlace(id)),
      payee_account_tail: payee.accountNo.slice(-4),
      payee_bank_name: payee.bankName,
      payee_bank_branch: payee.bankBranch ?? null,
      payee_type: payee.type,
      remark: null,
      notify_url: null,
      test: w.test,
    });
    if (!row) throw new Error('invariant: a withdrawal payout cannot collide on mchPayoutNo');
    await queries.insertAttempt(q, {
      payoutId: row.id,
      action: 'create',
      outcome: 'pending',
      channelAccountId: null,
    });
    return { payoutNo: row.payout_no };
  }

  /** Withdrawals listen for outcomes; called inside the payout's own transaction. */
  onWithdrawalOutcome(listener: WithdrawalOutcomeListener): void {
    this.withdrawalListeners.push(listener);
  }

  /**
   * After the creating transaction committed: routes the payout to a payout-enabled channel
   * account (when it has none) and calls the channel. Never inside a transaction. A payout that is
   * not pending, or whose channel answer is awaited, is left as it is.
   */
  async submit(payoutNo: string): Promise<void> {
    const payout = await queries.findByPayoutNo(this.db, payoutNo);
    if (payout?.state === 'pending') await this.send(payout);
  }

  // ---------- third-party payouts (merchant API) ----------

  /** Creates (or, for a same-body retry, returns) a payout. `created` is false for a retry. */
  async createPayout(
    app: AppKeys,
    input: CreatePayoutInput,
  ): Promise<{ payout: PayoutRow; created: boolean }> {
    const payee = validPayee({ ...input.payee, type: input.payee.type ?? 'personal' });
    const requestHash = hashPayoutRequest(input);
    const existing = await queries.findByMchPayoutNo(this.db, app.merchantId, input.mchPayoutNo);
    if (existing) return { payout: assertSameRequest(existing, requestHash), created: false };
    const currency = input.currency ?? 'CNY';
    if (currency !== 'CNY') {
      throw new AppError('INVALID_REQUEST', 'payouts are made in CNY', { field: 'currency' });
    }
    await this.deps.settlementTerms.requirePlatformMode(app.merchantId);
    const rules = await this.rulesOf(app.merchantId);
    if (input.amount < rules.minAmount || input.amount > rules.maxAmount) {
      throw new AppError(
        'AMOUNT_OUT_OF_RANGE',
        `a payout is ${rules.minAmount}–${rules.maxAmount} minor units`,
        { min: toJsonAmount(rules.minAmount), max: toJsonAmount(rules.maxAmount) },
      );
    }
    // Refused before anything is written when nothing could pay it.
    await this.chooseAccount();
    const fee = rules.fixedFee + feeFor(input.amount, rules.feeRatePpm);
    const debit = input.amount + fee;
    const notifyUrl =
      input.notifyUrl || (await this.deps.merchants.requireAppById(app.appId)).notifyUrl || null;
    await this.deps.ledger.openAccounts(this.merchantAccounts(app.merchantId, currency));
    let payout: PayoutRow;
    try {
      payout = await this.db.tx(async (q) => {
        // The day's row is locked first: parallel requests count one after the other.
        const used = await queries.addDailyUsage(q, app.merchantId, this.today(), input.amount);
        if (used.count > rules.dailyCount) {
          throw new AppError('DAILY_LIMIT_REACHED', 'the day’s number of payouts is used up', {
            kind: 'count',
            limit: rules.dailyCount,
          });
        }
        if (used.amount > rules.dailyAmount) {
          throw new AppError('DAILY_LIMIT_REACHED', 'the day’s payout amount is used up', {
            kind: 'amount',
            limit: toJsonAmount(rules.dailyAmount),
          });
        }
        const id = await queries.nextPayoutId(q);
        const row = await queries.insertPayout(q, {
          id,
          kind: 'payout',
          merchant_id: app.merchantId,
          app_id: app.appId,
          mch_payout_no: input.mchPayoutNo,
          request_hash: requestHash,
          withdrawal_id: null,
          withdraw_no: null,
          amount: input.amount,
          fee,
          debit,
          currency,
          payee_name: payee.name,
          payee_account_no_enc: this.deps.secrets.encrypt(payee.accountNo, payeePlace(id)),
          payee_account_tail: payee.accountNo.slice(-4),
          payee_bank_name: payee.bankName,
          payee_bank_branch: payee.bankBranch ?? null,
          payee_type: payee.type,
          remark: input.remark ?? null,
          notify_url: notifyUrl,
          test: false,
        });
        if (!row) throw new MchPayoutNoTaken();
        // INSUFFICIENT_BALANCE from the guarded posting rolls everything back.
        await this.deps.ledger.post(q, freezePosting(row));
        await queries.insertAttempt(q, {
          payoutId: row.id,
          action: 'create',
          outcome: 'pending',
          channelAccountId: null,
        });
        return row;
      });
    } catch (error) {
      if (!(error instanceof MchPayoutNoTaken)) throw error;
      const winner = (await queries.findByMchPayoutNo(this.db, app.merchantId, input.mchPayoutNo))!;
      return { payout: assertSameRequest(winner, requestHash), created: false };
    }
    await this.send(payout);
    return { payout: (await queries.findByPayoutNo(this.db, payout.payout_no))!, created: true };
  }

  // ---------- routing and the channel call ----------

  /** Whether payouts may use a test (sandbox) account: the platform's `settlement.settleTestOrders`. */
  async testAccountsAllowed(): Promise<boolean> {
    const value = await settingsQueries.getSetting(this.db, SETTLE_TEST_ORDERS_SETTING);
    if (value === null) return this.options.settleTestOrdersDefault;
    try {
      return JSON.parse(value) === true;
    } catch {
      return value === 'true';
    }
  }

  /** The account a new payout goes to: the first eligible one. NO_PAYOUT_CHANNEL when none is. */
  private async chooseAccount(): Promise<{ id: bigint; name: string }> {
    const allowTest = await this.testAccountsAllowed();
    const account = (await this.deps.catalog.payoutAccounts()).find((a) => allowTest || !a.testAccount);
    if (!account) {
      throw new AppError('NO_PAYOUT_CHANNEL', 'no channel account is enabled for payouts');
    }
    return account;
  }

  /** Routes (when needed) and calls the channel; outside any transaction. */
  private async send(payout: PayoutRow): Promise<void> {
    let row = payout;
    if (row.channel_account_id === null) {
      let account: { id: bigint };
      try {
        account = await this.chooseAccount();
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'NO_PAYOUT_CHANNEL') throw error;
        // Nothing can pay it: the money goes back at once instead of waiting for nobody.
        await this.settle(row, 'failed', {
          action: 'route',
          channelPayoutNo: null,
          channelState: null,
          code: 'NO_PAYOUT_CHANNEL',
          reason: 'no channel account is enabled for payouts',
        });
        return;
      }
      const chosen = await this.db.tx(async (q) => {
        const updated = await queries.chooseAccount(q, row.id, account.id);
        if (updated) {
          await queries.insertAttempt(q, {
            payoutId: row.id,
            action: 'route',
            outcome: 'chosen',
            channelAccountId: account.id,
          });
        }
        return updated;
      });
      if (!chosen) return; // another node routed it, and calls the channel
      row = chosen;
    }
    await this.callChannel(row);
  }

  /** One payout call with the payout's own number; the answer is applied. */
  private async callChannel(payout: PayoutRow): Promise<void> {
    const accountId = payout.channel_account_id!;
    let result: Awaited<ReturnType<ChannelGateway['payout']>>;
    try {
      result = await this.deps.channels.payout(accountId, {
        payoutNo: payout.payout_no,
        amount: payout.amount,
        currency: payout.currency,
        payee: this.payeeOf(payout),
        remark: payout.remark,
      });
    } catch (error) {
      result = { outcome: 'unknown', code: 'CHANNEL_ERROR', message: (error as Error).message };
    }
    switch (result.outcome) {
      case 'accepted':
        if (result.status === 'succeeded' || result.status === 'failed') {
          await this.settle(payout, result.status, {
            action: 'submit',
            channelPayoutNo: result.channelPayoutNo,
            channelState: result.status,
            code: result.status === 'failed' ? 'CHANNEL_PAYOUT_FAILED' : null,
            reason: result.status === 'failed' ? (result.message ?? 'the channel failed the payout') : null,
          });
        } else {
          await this.toSubmitted(payout, result.channelPayoutNo, 'submit');
        }
        return;
      case 'refused':
        this.options.log.warn(
          { payoutNo: payout.payout_no, code: result.code },
          'channel refused the payout',
        );
        await this.settle(payout, 'failed', {
          action: 'submit',
          channelPayoutNo: null,
          channelState: 'refused',
          code: result.code,
          reason: result.message,
        });
        return;
      case 'unknown':
        // The channel may have taken it: stays pending with its account, the query job asks.
        this.options.log.warn(
          { payoutNo: payout.payout_no, code: result.code, message: result.message },
          'channel payout answer unknown; will query',
        );
        await this.db.tx(async (q) => {
          await queries.noteChannelState(q, payout.id, 'unknown', null);
          await queries.insertAttempt(q, {
            payoutId: payout.id,
            action: 'submit',
            outcome: 'unknown',
            channelAccountId: accountId,
            code: result.code,
            message: result.message,
          });
        });
        return;
    }
  }

  private payeeOf(payout: PayoutRow): BankAccount {
    return {
      name: payout.payee_name,
      accountNo: this.deps.secrets.decrypt(payout.payee_account_no_enc, payeePlace(payout.id)),
      bankName: payout.payee_bank_name,
      bankBranch: payout.payee_bank_branch,
      type: payout.payee_type,
    };
  }

  // ---------- state changes ----------

  /** pending → submitted, with its attempt and (withdrawals) the listeners. */
  private async toSubmitted(
    payout: PayoutRow,
    channelPayoutNo: string | null,
    action: string,
  ): Promise<void> {
    await this.db.tx(async (q) => {
      const row = await queries.markSubmitted(q, payout.id, channelPayoutNo);
      await queries.insertAttempt(q, {
        payoutId: payout.id,
        action,
        outcome: row ? 'submitted' : 'duplicate',
        channelAccountId: payout.channel_account_id,
      });
      if (row?.kind === 'withdrawal') await this.tellWithdrawals(q, row, 'submitted');
    });
  }

  /**
   * pending / submitted → succeeded or failed (compare-and-set) with its posting (payout_paid or
   * payout_returned), its attempt row and the merchant notify or the withdrawal listeners. Returns
   * whether this call applied it (false: it was final already).
   */
  private async settle(
    payout: PayoutRow,
    to: 'succeeded' | 'failed',
    f: {
      action: string;
      channelPayoutNo: string | null;
      channelState: string | null;
      code: string | null;
      reason: string | null;
      message?: string | null;
    },
  ): Promise<boolean> {
    if (to === 'succeeded' && payout.channel_account_id === null) {
      throw new Error(`invariant: payout ${payout.payout_no} succeeded without a channel account`);
    }
    await this.deps.ledger.openAccounts(this.settleAccounts(payout));
    const applied = await this.db.tx(async (q) => {
      const row = await queries.markFinal(q, payout.id, to, {
        channelPayoutNo: f.channelPayoutNo,
        channelState: f.channelState,
        failureCode: to === 'failed' ? (f.code ?? 'FAILED') : null,
        reason: to === 'failed' ? f.reason : null,
      });
      await queries.insertAttempt(q, {
        payoutId: payout.id,
        action: f.action,
        outcome: row ? to : 'duplicate',
        channelAccountId: payout.channel_account_id,
        code: f.code,
        message: f.message ?? f.reason,
      });
      if (!row) return null;
      await this.deps.ledger.post(q, to === 'succeeded' ? paidPosting(row) : returnedPosting(row));
      if (row.kind === 'withdrawal') {
        await this.tellWithdrawals(q, row, to);
      } else {
        const event = `payout.${to}`;
        if (row.notify_url && row.app_id) {
          await this.deps.notify.enqueue(q, {
            merchantId: row.merchant_id,
            appId: row.app_id,
            orderId: null,
            eventType: event,
            idempotencyKey: `${event}:${row.payout_no}`,
            url: row.notify_url,
            body: { eventType: event, ...payoutView(row) },
          });
        }
      }
      return row;
    });
    if (applied?.kind === 'payout') this.deps.notify.wake();
    return applied !== null;
  }

  private async tellWithdrawals(
    q: Queryable,
    row: PayoutRow,
    state: WithdrawalOutcome['state'],
  ): Promise<void> {
    const at =
      (state === 'submitted' ? row.submitted_at : state === 'succeeded' ? row.paid_at : row.failed_at) ??
      new Date();
    for (const listener of this.withdrawalListeners) {
      await listener(q, {
        withdrawalId: row.withdrawal_id!,
        state,
        reason: state === 'failed' ? (row.reason ?? row.failure_code) : null,
        at,
        payoutNo: row.payout_no,
      });
    }
  }

  // ---------- the channel's notify ----------

  /** A provider's payout notify for one channel account: verified, matched, applied once. */
  async handlePayoutNotify(
    channelAccountId: bigint,
    inbound: InboundNotify,
    remoteIp: string,
  ): Promise<NotifyAck> {
    const received = await this.deps.orders.receiveChannelNotify(
      channelAccountId,
      inbound,
      remoteIp,
      'payout',
    );
    if ('ack' in received) return received.ack;
    const { adapter, parsed, record } = received;
    const payout = await queries.findByPayoutNo(this.db, parsed.payoutNo);
    const refusal = !payout
      ? 'NOTIFY_PAYOUT_NOT_FOUND'
      : payout.channel_account_id !== channelAccountId
        ? 'NOTIFY_ACCOUNT_MISMATCH'
        : payout.currency !== parsed.currency
          ? 'NOTIFY_CURRENCY_MISMATCH'
          : payout.amount !== parsed.amount
            ? 'NOTIFY_AMOUNT_MISMATCH'
            : null;
    if (refusal || !payout) {
      await record('refused', null, refusal);
      if (payout) {
        await queries.insertAttempt(this.db, {
          payoutId: payout.id,
          action: 'notify',
          outcome: 'refused',
          channelAccountId,
          code: refusal,
        });
      }
      this.options.log.warn({ payoutNo: parsed.payoutNo, reason: refusal }, 'payout notify refused');
      return adapter.notifyAck(false);
    }
    const applied = await this.settle(payout, parsed.status, {
      action: 'notify',
      channelPayoutNo: parsed.channelPayoutNo,
      channelState: parsed.status,
      code: parsed.status === 'failed' ? 'CHANNEL_PAYOUT_FAILED' : null,
      reason: parsed.status === 'failed' ? (parsed.message ?? 'the channel failed the payout') : null,
    });
    const now = (await queries.findByPayoutNo(this.db, payout.payout_no))!;
    if (applied || now.state === parsed.status) {
      await record(applied ? 'applied' : 'duplicate', null, null);
      return adapter.notifyAck(true);
    }
    // The channel says the opposite of what we recorded (an operator marked it failed, say): money
    // may have moved that our books do not show. Nothing changes automatically; an operator looks.
    await record('refused', null, 'PAYOUT_OUTCOME_CONFLICT');
    await queries.insertAttempt(this.db, {
      payoutId: payout.id,
      action: 'notify',
      outcome: 'conflict',
      channelAccountId,
      code: 'PAYOUT_OUTCOME_CONFLICT',
      message: `recorded ${now.state}, the channel says ${parsed.status}`,
    });
    this.options.log.warn(
      { payoutNo: payout.payout_no, recorded: now.state, channelSays: parsed.status },
      'payout notify contradicts the recorded outcome',
    );
    return adapter.notifyAck(true);
  }

  // ---------- query ----------

  /**
   * Asks the channel about an open payout that it has (or may have) and applies the answer: a
   * final one settles it; `not_found` for a pending one sends it again under the same number.
   * Returns what the channel said.
   */
  async syncWithChannel(payout: PayoutRow, action = 'query'): Promise<PayoutStatusResult['status'] | null> {
    if (payout.channel_account_id === null || (payout.state !== 'pending' && payout.state !== 'submitted')) {
      return null;
    }
    const accountId = payout.channel_account_id;
    let status: PayoutStatusResult;
    try {
      status = await this.deps.channels.queryPayout(accountId, { payoutNo: payout.payout_no });
    } catch (error) {
      await queries.insertAttempt(this.db, {
        payoutId: payout.id,
        action,
        outcome: 'error',
        channelAccountId: accountId,
        code: 'CHANNEL_ERROR',
        message: (error as Error).message,
      });
      throw error;
    }
    if (status.amount !== undefined && status.amount !== payout.amount) {
      await queries.insertAttempt(this.db, {
        payoutId: payout.id,
        action,
        outcome: 'amount_mismatch',
        channelAccountId: accountId,
        code: 'CHANNEL_AMOUNT_MISMATCH',
        message: `the channel says ${status.amount}`,
      });
      this.options.log.warn({ payoutNo: payout.payout_no }, 'channel payout amount differs; left open');
      return status.status;
    }
    switch (status.status) {
      case 'not_found':
        await this.db.tx(async (q) => {
          await queries.noteChannelState(q, payout.id, 'not_found', null);
          await queries.insertAttempt(q, {
            payoutId: payout.id,
            action,
            outcome: 'not_found',
            channelAccountId: accountId,
          });
        });
        // Never taken (the answer and the payout were both lost): the same number again.
        if (payout.state === 'pending') await this.callChannel(payout);
        break;
      case 'submitted':
        if (payout.state === 'pending')
          await this.toSubmitted(payout, status.channelPayoutNo ?? null, action);
        else {
          await queries.insertAttempt(this.db, {
            payoutId: payout.id,
            action,
            outcome: 'submitted',
            channelAccountId: accountId,
          });
        }
        break;
      case 'succeeded':
      case 'failed':
        await this.settle(payout, status.status, {
          action,
          channelPayoutNo: status.channelPayoutNo ?? null,
          channelState: status.status,
          code: status.status === 'failed' ? 'CHANNEL_PAYOUT_FAILED' : null,
          reason: status.status === 'failed' ? (status.message ?? 'the channel failed the payout') : null,
        });
        break;
    }
    return status.status;
  }

  /**
   * Scheduled ('payout-query'): open payouts the channel has had for a while are asked about, and
   * pending ones never sent (a stop right after their creating commit) are sent.
   */
  async queryPending(): Promise<number> {
    const due = await queries.claimDueForQuery(this.db, STALE_SECONDS, QUERY_BATCH);
    for (const payout of due) {
      try {
        // Never routed (the process stopped between the creating commit and submit): send it now.
        if (payout.channel_account_id === null) await this.send(payout);
        else await this.syncWithChannel(payout);
      } catch (error) {
        this.options.log.warn(
          { payoutNo: payout.payout_no, error: (error as Error).message },
          'payout query failed; will retry',
        );
      }
    }
    return due.length;
  }

  // ---------- operator actions ----------

  /**
   * Retry: a payout without an account is routed and sent; one with an account is asked about
   * first, and sent again (same number) only when the channel does not know it.
   */
  async retry(payoutNo: string, by: string): Promise<PayoutRow> {
    const payout = await this.requireByPayoutNo(payoutNo);
    if (payout.state !== 'pending' && payout.state !== 'submitted') {
      throw new AppError('PAYOUT_STATE_INVALID', `payout ${payoutNo} is ${payout.state}`, {
        state: payout.state,
      });
    }
    await queries.insertAttempt(this.db, {
      payoutId: payout.id,
      action: 'retry',
      outcome: 'requested',
      channelAccountId: payout.channel_account_id,
      message: `by ${by}`,
    });
    if (payout.channel_account_id === null) await this.send(payout);
    else {
      try {
        await this.syncWithChannel(payout, 'retry');
      } catch (error) {
        throw new AppError('CHANNEL_ERROR', `the channel could not be asked: ${(error as Error).message}`);
      }
    }
    return this.requireByPayoutNo(payoutNo);
  }

  /**
   * Marks an open payout failed (funds back) after the operator's word. The channel is asked
   * first: refused when it says the payout succeeded (it is settled as succeeded instead).
   */
  async markFailed(payoutNo: string, reason: string, by: string): Promise<PayoutRow> {
    const payout = await this.requireByPayoutNo(payoutNo);
    if (payout.state !== 'pending' && payout.state !== 'submitted') {
      throw new AppError('PAYOUT_STATE_INVALID', `payout ${payoutNo} is ${payout.state}`, {
        state: payout.state,
      });
    }
    if (payout.channel_account_id !== null) {
      let said: PayoutStatusResult['status'] | null = null;
      try {
        said = await this.syncWithChannel(payout, 'mark_failed_check');
      } catch {
        // The channel cannot be asked: the operator's word stands.
      }
      if (said === 'succeeded') {
        throw new AppError('PAYOUT_STATE_INVALID', `the channel says payout ${payoutNo} succeeded`, {
          state: 'succeeded',
        });
      }
      const now = await this.requireByPayoutNo(payoutNo);
      if (now.state !== 'pending' && now.state !== 'submitted') return now;
    }
    await this.settle(payout, 'failed', {
      action: 'mark_failed',
      channelPayoutNo: null,
      channelState: null,
      code: 'MARKED_FAILED',
      reason,
      message: `${reason} (by ${by})`,
    });
    return this.requireByPayoutNo(payoutNo);
  }

  // ---------- rules ----------

  async defaultRules(): Promise<PayoutRules> {
    const stored = await settingsQueries.getSetting(this.db, RULES_SETTING);
    if (stored === null) return DEFAULT_PAYOUT_RULES;
    const r = JSON.parse(stored) as Record<string, string | number>;
    return {
      feeRatePpm: Number(r.feeRatePpm ?? DEFAULT_PAYOUT_RULES.feeRatePpm),
      fixedFee: BigInt(r.fixedFee ?? DEFAULT_PAYOUT_RULES.fixedFee),
      minAmount: BigInt(r.minAmount ?? DEFAULT_PAYOUT_RULES.minAmount),
      maxAmount: BigInt(r.maxAmount ?? DEFAULT_PAYOUT_RULES.maxAmount),
      dailyCount: Number(r.dailyCount ?? DEFAULT_PAYOUT_RULES.dailyCount),
      dailyAmount: BigInt(r.dailyAmount ?? DEFAULT_PAYOUT_RULES.dailyAmount),
    };
  }

  async setDefaultRules(rules: PayoutRules): Promise<void> {
    if (rules.maxAmount < rules.minAmount) {
      throw new AppError('INVALID_REQUEST', 'maxAmount is below minAmount', { field: 'maxAmount' });
    }
    await settingsQueries.putSetting(
      this.db,
      RULES_SETTING,
      JSON.stringify({
        feeRatePpm: rules.feeRatePpm,
        fixedFee: rules.fixedFee.toString(),
        minAmount: rules.minAmount.toString(),
        maxAmount: rules.maxAmount.toString(),
        dailyCount: rules.dailyCount,
        dailyAmount: rules.dailyAmount.toString(),
      }),
    );
  }

  async merchantOverrides(merchantId: bigint): Promise<PayoutRuleOverrides> {
    const row = await queries.findRuleOverride(this.db, merchantId);
    return {
      feeRatePpm: row?.fee_rate_ppm ?? null,
      fixedFee: row?.fixed_fee ?? null,
      minAmount: row?.min_amount ?? null,
      maxAmount: row?.max_amount ?? null,
      dailyCount: row?.daily_count ?? null,
      dailyAmount: row?.daily_amount ?? null,
    };
  }

  async setMerchantOverrides(merchantId: bigint, o: PayoutRuleOverrides): Promise<void> {
    await queries.putRuleOverride(this.db, merchantId, {
      fee_rate_ppm: o.feeRatePpm,
      fixed_fee: o.fixedFee,
      min_amount: o.minAmount,
      max_amount: o.maxAmount,
      daily_count: o.dailyCount,
      daily_amount: o.dailyAmount,
    });
  }

  /** A merchant's effective rules: its overrides over the platform's defaults. */
  async rulesOf(merchantId: bigint): Promise<PayoutRules> {
    const [defaults, o] = await Promise.all([this.defaultRules(), this.merchantOverrides(merchantId)]);
    return {
      feeRatePpm: o.feeRatePpm ?? defaults.feeRatePpm,
      fixedFee: o.fixedFee ?? defaults.fixedFee,
      minAmount: o.minAmount ?? defaults.minAmount,
      maxAmount: o.maxAmount ?? defaults.maxAmount,
      dailyCount: o.dailyCount ?? defaults.dailyCount,
      dailyAmount: o.dailyAmount ?? defaults.dailyAmount,
    };
  }

  // ---------- reads ----------

  async requireByPayoutNo(payoutNo: string): Promise<PayoutRow> {
    const payout = await queries.findByPayoutNo(this.db, payoutNo);
    if (!payout) throw new AppError('NOT_FOUND', `payout ${payoutNo} not found`);
    return payout;
  }

  findByPayoutNo(payoutNo: string): Promise<PayoutRow | null> {
    return queries.findByPayoutNo(this.db, payoutNo);
  }

  /** Another merchant's payout is "not found", never "forbidden". */
  async getForMerchant(merchantId: bigint, payoutNo: string): Promise<PayoutRow> {
    const payout = await queries.findByPayoutNo(this.db, payoutNo);
    if (!payout || payout.merchant_id !== merchantId)
      throw new AppError('NOT_FOUND', `payout ${payoutNo} not found`);
    return payout;
  }

  async getByMchPayoutNo(merchantId: bigint, mchPayoutNo: string): Promise<PayoutRow> {
    const payout = await queries.findByMchPayoutNo(this.db, merchantId, mchPayoutNo);
    if (!payout) throw new AppError('NOT_FOUND', `payout with mchPayoutNo ${mchPayoutNo} not found`);
    return payout;
  }

  list(filter: PayoutFilter) {
    return queries.listPayouts(this.db, filter);
  }

  attemptsOf(payoutId: bigint) {
    return queries.attemptsOf(this.db, payoutId);
  }

  /**
   * The payouts' part of the ledger check: every API payout froze once, every succeeded payout was
   * paid once and every failed one returned once.
   */
  async ledgerProblems(): Promise<{ payouts: bigint; problems: string[] }> {
    const problems: string[] = [];
    const counts = await queries.countByState(this.db);
    const frozen = await this.deps.ledger.countTxnsOfKind('payout_freeze');
    const paid = await this.deps.ledger.countTxnsOfKind('payout_paid');
    const returned = await this.deps.ledger.countTxnsOfKind('payout_returned');
    if (frozen !== counts.api)
      problems.push(`${counts.api} API payouts but ${frozen} payout_freeze transactions`);
    if (paid !== counts.succeeded)
      problems.push(`${counts.succeeded} paid payouts but ${paid} payout_paid transactions`);
    if (returned !== counts.failed) {
      problems.push(`${counts.failed} failed payouts but ${returned} payout_returned transactions`);
    }
    return { payouts: counts.total, problems };
  }

  // ---------- helpers ----------

  private merchantAccounts(merchantId: bigint, currency: string): AccountRef[] {
    return [
      { kind: 'merchant_available', ownerId: merchantId, currency },
      { kind: 'merchant_frozen', ownerId: merchantId, currency },
    ];
  }

  private settleAccounts(payout: PayoutRow): AccountRef[] {
    const refs: AccountRef[] = [
      ...this.merchantAccounts(payout.merchant_id, payout.currency),
      { kind: 'platform_revenue', ownerId: null, currency: payout.currency },
    ];
    if (payout.channel_account_id !== null) {
      refs.push({ kind: 'channel_clearing', ownerId: payout.channel_account_id, currency: payout.currency });
    }
    return refs;
  }

  /** Today in the platform's time zone, as YYYY-MM-DD. */
  private today(): string {
    return new Intl.DateTimeFormat('en-CA', {
      timeZone: this.options.timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(new Date());
  }
}

// ---------- postings ----------

const ref = (kind: AccountRef['kind'], ownerId: bigint | null, currency: string): AccountRef => ({
  kind,
  ownerId,
  currency,
});

/** payout_freeze: available −(amount + fee); frozen +(amount + fee). */
function freezePosting(p: PayoutRow): PostingInput {
  return {
    kind: 'payout_freeze',
    reference: p.payout_no,
    idempotencyKey: `payout_freeze:${p.payout_no}`,
    legs: [
      { account: ref('merchant_available', p.merchant_id, p.currency), amount: -p.debit },
      { account: ref('merchant_frozen', p.merchant_id, p.currency), amount: p.debit },
    ],
  };
}

/** payout_paid: frozen −debit; clearing(payout account) +paid to the payee; platform revenue +fee. */
function paidPosting(p: PayoutRow): PostingInput {
  return {
    kind: 'payout_paid',
    reference: p.payout_no,
    idempotencyKey: `payout_paid:${p.payout_no}`,
    legs: [
      { account: ref('merchant_frozen', p.merchant_id, p.currency), amount: -p.debit },
      { account: ref('channel_clearing', p.channel_account_id!, p.currency), amount: p.amount },
      { account: ref('platform_revenue', null, p.currency), amount: p.fee },
    ],
  };
}

/** payout_returned: frozen −debit; available +debit. */
function returnedPosting(p: PayoutRow): PostingInput {
  return {
    kind: 'payout_returned',
    reference: p.payout_no,
    idempotencyKey: `payout_returned:${p.payout_no}`,
    legs: [
      { account: ref('merchant_frozen', p.merchant_id, p.currency), amount: -p.debit },
      { account: ref('merchant_available', p.merchant_id, p.currency), amount: p.debit },
    ],
  };
}

// ---------- validation, idempotency, views ----------

/** A payee the channel can pay: a name, 8–32 digits, a bank; personal unless said otherwise. */
function validPayee(p: CreatePayoutInput['payee']): BankAccount {
  const name = p.name.trim();
  const accountNo = p.accountNo.replace(/\s+/g, '');
  const bankName = p.bankName.trim();
  if (name.length < 1 || name.length > 64) {
    throw new AppError('INVALID_REQUEST', 'payee.name: 1–64 characters', { field: 'name' });
  }
  if (!/^\d{8,32}$/.test(accountNo)) {
    throw new AppError('INVALID_REQUEST', 'payee.accountNo: 8–32 digits', { field: 'accountNo' });
  }
  if (bankName.length < 1 || bankName.length > 64) {
    throw new AppError('INVALID_REQUEST', 'payee.bankName: 1–64 characters', { field: 'bankName' });
  }
  const type = p.type ?? 'personal';
  if (type !== 'personal' && type !== 'corporate') {
    throw new AppError('INVALID_REQUEST', 'payee.type: personal or corporate', { field: 'type' });
  }
  const bankBranch = p.bankBranch?.trim() || null;
  return { name, accountNo, bankName, bankBranch, type };
}

function assertSameRequest(payout: PayoutRow, requestHash: string): PayoutRow {
  if (payout.request_hash !== requestHash) {
    throw new AppError(
      'IDEMPOTENCY_CONFLICT',
      `mchPayoutNo ${payout.mch_payout_no} was already used with a different request`,
    );
  }
  return payout;
}

/** The fields that define a payout, in a fixed order; the account number only as its hash. */
export function hashPayoutRequest(input: CreatePayoutInput): string {
  const canonical = JSON.stringify([
    input.mchPayoutNo,
    input.amount.toString(),
    input.currency ?? 'CNY',
    input.payee.name,
    createHash('sha256').update(input.payee.accountNo).digest('hex'),
    input.payee.bankName,
    input.payee.bankBranch ?? null,
    input.payee.type ?? 'personal',
    input.remark ?? null,
    input.notifyUrl ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** An account number shown: its last four digits only. */
export function maskAccountNo(tail: string): string {
  return `**** **** ${tail}`;
}

/** The merchant-facing shape of a payout (API answers, notifies, the portal). */
export function payoutView(p: PayoutRow) {
  return {
    payoutNo: p.payout_no,
    mchPayoutNo: p.mch_payout_no,
    state: p.state as PayoutState,
    amount: toJsonAmount(p.amount),
    fee: toJsonAmount(p.fee),
    currency: p.currency,
    payee: {
      name: p.payee_name,
      accountNoMasked: maskAccountNo(p.payee_account_tail),
      bankName: p.payee_bank_name,
    },
    reason: p.reason,
    createdAt: p.created_at.toISOString(),
    submittedAt: p.submitted_at?.toISOString() ?? null,
    paidAt: p.paid_at?.toISOString() ?? null,
    failedAt: p.failed_at?.toISOString() ?? null,
  };
}
