import { createHash } from 'node:crypto';
import type { BankAccount } from '../channels/types.ts';
import type { Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { FundsOwner } from '../ledger/types.ts';
import type { AppKeys } from '../merchants/service.ts';
import { feeFor, toJsonAmount } from '../money/money.ts';
import { type PayoutContext, type PayoutSteps, payeePlace } from './context.ts';
import { freezePosting, merchantAccounts } from './postings.ts';
import type { PayoutRow } from './queries.ts';
import * as queries from './queries.ts';

/** What the withdrawals domain hands over: the funds are already frozen (debit). */
export interface WithdrawalPayoutInput {
  /** The withdrawal's owner: a merchant, an agent or a member, paid to its own card. */
  owner: FundsOwner;
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

class MchPayoutNoTaken extends Error {}

/**
 * Recording a payout: a withdrawal's (funds already frozen by the withdrawals domain) or a
 * third-party payout asked for through the API (rules, daily limits, the idempotent look-up by
 * mchPayoutNo, the freeze).
 */
export class CreatePayouts {
  constructor(
    private readonly ctx: PayoutContext,
    private readonly steps: PayoutSteps,
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
      merchant_id: w.owner.kind === 'merchant' ? w.owner.id : null,
      agent_id: w.owner.kind === 'agent' ? w.owner.id : null,
      member_id: w.owner.kind === 'member' ? w.owner.id : null,
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
      payee_account_no_enc: this.ctx.deps.secrets.encrypt(payee.accountNo, payeePlace(id)),
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

  // ---------- third-party payouts (merchant API) ----------

  /** Creates (or, for a same-body retry, returns) a payout. `created` is false for a retry. */
  async createPayout(
    app: AppKeys,
    input: CreatePayoutInput,
  ): Promise<{ payout: PayoutRow; created: boolean }> {
    const payee = validPayee({ ...input.payee, type: input.payee.type ?? 'personal' });
    const requestHash = hashPayoutRequest(input);
    const existing = await queries.findByMchPayoutNo(this.ctx.db, app.merchantId, input.mchPayoutNo);
    if (existing) return { payout: assertSameRequest(existing, requestHash), created: false };
    const currency = input.currency ?? 'CNY';
    if (currency !== 'CNY') {
      throw new AppError('INVALID_REQUEST', 'payouts are made in CNY', { field: 'currency' });
    }
    await this.ctx.deps.settlementTerms.requirePlatformMode(app.merchantId);
    const rules = await this.steps.rules.rulesOf(app.merchantId);
    if (input.amount < rules.minAmount || input.amount > rules.maxAmount) {
      throw new AppError(
        'AMOUNT_OUT_OF_RANGE',
        `a payout is ${rules.minAmount}–${rules.maxAmount} minor units`,
        { min: toJsonAmount(rules.minAmount), max: toJsonAmount(rules.maxAmount) },
      );
    }
    // Refused before anything is written when nothing could pay it.
    await this.steps.submit.chooseAccount();
    const fee = rules.fixedFee + feeFor(input.amount, rules.feeRatePpm);
    const debit = input.amount + fee;
    const notifyUrl =
      input.notifyUrl || (await this.ctx.deps.merchants.requireAppById(app.appId)).notifyUrl || null;
    await this.ctx.deps.ledger.openAccounts(merchantAccounts(app.merchantId, currency));
    let payout: PayoutRow;
    try {
      payout = await this.ctx.db.tx(async (q) => {
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
          agent_id: null,
          member_id: null,
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
          payee_account_no_enc: this.ctx.deps.secrets.encrypt(payee.accountNo, payeePlace(id)),
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
        await this.ctx.deps.ledger.post(q, freezePosting(row));
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
      const winner = (await queries.findByMchPayoutNo(this.ctx.db, app.merchantId, input.mchPayoutNo))!;
      return { payout: assertSameRequest(winner, requestHash), created: false };
    }
    await this.steps.submit.send(payout);
    return { payout: (await queries.findByPayoutNo(this.ctx.db, payout.payout_no))!, created: true };
  }

  /** Today in the platform's time zone, as YYYY-MM-DD. */
  private today(): string {
    return new Intl.DateTimeFormat('en-CA', {
      timeZone: this.ctx.options.timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(new Date());
  }
}

// ---------- validation, idempotency ----------

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
