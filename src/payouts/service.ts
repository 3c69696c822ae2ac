import type { InboundNotify, NotifyAck, PayoutStatusResult } from '../channels/types.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { AppKeys } from '../merchants/service.ts';
import {
  type PayoutContext,
  type PayoutDeps,
  type PayoutOptions,
  type PayoutSteps,
  requireByPayoutNo,
  type WithdrawalOutcomeListener,
} from './context.ts';
import { type CreatePayoutInput, CreatePayouts, type WithdrawalPayoutInput } from './create.ts';
import type { PayoutFilter, PayoutRow } from './queries.ts';
import * as queries from './queries.ts';
import { type PayoutRuleOverrides, type PayoutRules, PayoutRulesBook } from './rules.ts';
import { SettlePayouts } from './settle.ts';
import { SubmitPayouts } from './submit.ts';
import { SyncPayouts } from './sync.ts';

export type { PayoutDeps, PayoutOptions, WithdrawalOutcome, WithdrawalOutcomeListener } from './context.ts';
export { type CreatePayoutInput, hashPayoutRequest, type WithdrawalPayoutInput } from './create.ts';
export { DEFAULT_PAYOUT_RULES, type PayoutRuleOverrides, type PayoutRules } from './rules.ts';
export { SETTLE_TEST_ORDERS_SETTING } from './submit.ts';
export { maskAccountNo, payoutView } from './views.ts';

/**
 * Payout orders (代付, MON-3/MON-4): a withdrawal's payment to the merchant's card, or a third-party
 * payout a merchant asks for through the API. The funds are frozen before the channel is called;
 * the channel is called outside any transaction, with our payout number as its idempotency key,
 * which never changes: a lost answer is recovered by asking the channel (queryPayout), and a payout
 * the channel does not know is sent again under the same number, so the payee is never paid twice.
 * Every state change is a compare-and-set in one transaction with its ledger posting, its attempt
 * row, and the merchant notify (or, for a withdrawal, the withdrawals domain's listeners).
 *
 * The face other domains and routes use; each business step is in its own file (create.ts,
 * submit.ts, settle.ts, sync.ts, rules.ts) and this delegates to it.
 */
export class PayoutService {
  private readonly steps: PayoutSteps;
  /** The consoles' payout lists and exports read here (a replica when configured). */
  private readonly reads: Queryable;

  constructor(
    private readonly db: Db,
    private readonly deps: PayoutDeps,
    options: PayoutOptions,
  ) {
    this.reads = options.reads ?? db;
    const ctx: PayoutContext = { db, deps, options };
    // Filled in here, before any step runs: the steps only reach one another when called.
    const steps = {} as PayoutSteps;
    steps.create = new CreatePayouts(ctx, steps);
    steps.submit = new SubmitPayouts(ctx, steps);
    steps.settle = new SettlePayouts(ctx);
    steps.sync = new SyncPayouts(ctx, steps);
    steps.rules = new PayoutRulesBook(ctx);
    this.steps = steps;
  }

  // ---------- the withdrawals domain's door (create.ts, settle.ts, submit.ts) ----------

  /**
   * Inside the caller's transaction: records the payout of a withdrawal whose funds are already
   * frozen (no posting here). Returns the payout number (also the channel's key).
   */
  createForWithdrawal(q: Queryable, w: WithdrawalPayoutInput): Promise<{ payoutNo: string }> {
    return this.steps.create.createForWithdrawal(q, w);
  }

  /** Withdrawals listen for outcomes; called inside the payout's own transaction. */
  onWithdrawalOutcome(listener: WithdrawalOutcomeListener): void {
    this.steps.settle.onWithdrawalOutcome(listener);
  }

  /**
   * After the creating transaction committed: routes the payout to a payout-enabled channel
   * account (when it has none) and calls the channel. Never inside a transaction. A payout that is
   * not pending, or whose channel answer is awaited, is left as it is.
   */
  submit(payoutNo: string): Promise<void> {
    return this.steps.submit.submit(payoutNo);
  }

  // ---------- third-party payouts (merchant API, create.ts) ----------

  /** Creates (or, for a same-body retry, returns) a payout. `created` is false for a retry. */
  createPayout(app: AppKeys, input: CreatePayoutInput): Promise<{ payout: PayoutRow; created: boolean }> {
    return this.steps.create.createPayout(app, input);
  }

  // ---------- routing and the channel call (submit.ts) ----------

  /** Whether payouts may use a test (sandbox) account: the platform's `settlement.settleTestOrders`. */
  testAccountsAllowed(): Promise<boolean> {
    return this.steps.submit.testAccountsAllowed();
  }

  // ---------- the channel's notify, query, operator actions (sync.ts) ----------

  /** A provider's payout notify for one channel account: verified, matched, applied once. */
  handlePayoutNotify(channelAccountId: bigint, inbound: InboundNotify, remoteIp: string): Promise<NotifyAck> {
    return this.steps.sync.handlePayoutNotify(channelAccountId, inbound, remoteIp);
  }

  /**
   * Asks the channel about an open payout that it has (or may have) and applies the answer: a
   * final one settles it; `not_found` for a pending one sends it again under the same number.
   * Returns what the channel said.
   */
  syncWithChannel(payout: PayoutRow, action = 'query'): Promise<PayoutStatusResult['status'] | null> {
    return this.steps.sync.syncWithChannel(payout, action);
  }

  /**
   * Scheduled ('payout-query'): open payouts the channel has had for a while are asked about, and
   * pending ones never sent (a stop right after their creating commit) are sent.
   */
  queryPending(): Promise<number> {
    return this.steps.sync.queryPending();
  }

  /**
   * Retry: a payout without an account is routed and sent; one with an account is asked about
   * first, and sent again (same number) only when the channel does not know it.
   */
  retry(payoutNo: string, by: string): Promise<PayoutRow> {
    return this.steps.sync.retry(payoutNo, by);
  }

  /**
   * Marks an open payout failed (funds back) after the operator's word. The channel is asked
   * first: refused when it says the payout succeeded (it is settled as succeeded instead).
   */
  markFailed(payoutNo: string, reason: string, by: string): Promise<PayoutRow> {
    return this.steps.sync.markFailed(payoutNo, reason, by);
  }

  // ---------- rules (rules.ts) ----------

  defaultRules(): Promise<PayoutRules> {
    return this.steps.rules.defaultRules();
  }

  setDefaultRules(rules: PayoutRules): Promise<void> {
    return this.steps.rules.setDefaultRules(rules);
  }

  merchantOverrides(merchantId: bigint): Promise<PayoutRuleOverrides> {
    return this.steps.rules.merchantOverrides(merchantId);
  }

  setMerchantOverrides(merchantId: bigint, o: PayoutRuleOverrides): Promise<void> {
    return this.steps.rules.setMerchantOverrides(merchantId, o);
  }

  /** A merchant's effective rules: its overrides over the platform's defaults. */
  rulesOf(merchantId: bigint): Promise<PayoutRules> {
    return this.steps.rules.rulesOf(merchantId);
  }

  // ---------- reads ----------

  requireByPayoutNo(payoutNo: string): Promise<PayoutRow> {
    return requireByPayoutNo(this.db, payoutNo);
  }

  findByPayoutNo(payoutNo: string): Promise<PayoutRow | null> {
    return queries.findByPayoutNo(this.db, payoutNo);
  }

  /** Another merchant's payout is "not found", never "forbidden". */
  async getForMerchant(merchantId: bigint, payoutNo: string): Promise<PayoutRow> {
    const payout = await queries.findByPayoutNo(this.db, payoutNo);
    if (!payout || payout.merchant_id === null || payout.merchant_id !== merchantId)
      throw new AppError('NOT_FOUND', `payout ${payoutNo} not found`);
    return payout;
  }

  async getByMchPayoutNo(merchantId: bigint, mchPayoutNo: string): Promise<PayoutRow> {
    const payout = await queries.findByMchPayoutNo(this.db, merchantId, mchPayoutNo);
    if (!payout) throw new AppError('NOT_FOUND', `payout with mchPayoutNo ${mchPayoutNo} not found`);
    return payout;
  }

  list(filter: PayoutFilter) {
    return queries.listPayouts(this.reads, filter);
  }

  /** How many payouts the consoles' list filters match (an export's size). */
  countMatching(filter: queries.PayoutMatch) {
    return queries.countPayouts(this.reads, filter);
  }

  /** The payouts the list filters match after `afterId`, in id order (an export's keyset page). */
  matchingAfter(filter: queries.PayoutMatch, afterId: bigint, limit: number) {
    return queries.payoutsAfter(this.reads, filter, afterId, limit);
  }

  attemptsOf(payoutId: bigint) {
    return queries.attemptsOf(this.db, payoutId);
  }

  /**
   * The payouts' part of the ledger check: every API payout froze once, every succeeded payout was
   * paid once and every failed one returned once.
   */
  /** What open third-party payouts hold frozen, keyed `merchant:currency` (the ledger check compares it). */
  async frozenByMerchant(): Promise<Map<string, bigint>> {
    const rows = await queries.sumOpenApiDebitsByMerchant(this.db);
    return new Map(rows.map((r) => [`${r.merchant_id}:${r.currency}`, r.amount]));
  }

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
}
