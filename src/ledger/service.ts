import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import * as profitQueries from '../orders/profit-queries.ts';
import * as settlementQueries from '../settlement/queries.ts';
import type { SettlementMode } from '../settlement/terms.ts';
import * as queries from './queries.ts';
import { ACCOUNT_KINDS, type AccountRef, accountCode, type Leg, type PostingInput } from './types.ts';

/** Upper bound of legs in one transaction: a posting is a business event, not a batch import. */
export const MAX_LEGS = 64;
const CHECK_SAMPLE = 20;

export interface PaymentPosting {
  orderNo: string;
  merchantId: bigint;
  channelAccountId: bigint;
  currency: string;
  amount: bigint;
  fee: bigint;
  channelCost: bigint;
  platformProfit: bigint;
  /** Each agent's commission (the order's chain); with them channel cost + profit + shares = fee. */
  agentShares?: AgentAmount[];
  /** The merchant's settlement mode when paid (default platform). */
  mode?: SettlementMode;
  /**
   * Platform mode: where the net (amount − fee) goes instead of the merchant's pending — a
   * marketplace order's escrow or its split (src/splits). The legs add up to the net.
   */
  netTo?: Leg[];
}

/** An agent's part of a posting, and which of its commission accounts it moves. */
export interface AgentAmount {
  agentId: bigint;
  amount: bigint;
  account?: 'pending' | 'available';
}

/**
 * A refund of (part of) a paid order, mirroring its payment: the channel gives back `amount`, the
 * merchant pays amount − feeRefund (from pending first, then available), and the fee given back
 * comes off the channel's cost and the platform's revenue.
 */
export interface RefundPosting {
  refundNo: string;
  merchantId: bigint;
  channelAccountId: bigint;
  currency: string;
  amount: bigint;
  /** The merchant fee given back (0 when the product keeps the fee). */
  feeRefund: bigint;
  /** The channel cost the channel gives back. */
  channelCostRefund: bigint;
  /** The commission each agent gives back (within feeRefund − channelCostRefund); the platform the rest. */
  agentRefunds?: AgentAmount[];
  debitedPending: bigint;
  debitedAvailable: bigint;
  /** A direct-mode order: the refund comes off what the channel owes the merchant (no balances). */
  direct?: boolean;
  /**
   * A marketplace order's part of the debit taken back from escrow and members (src/splits), besides
   * the merchant's pending and available: with them the debits add up to amount − feeRefund.
   */
  splitDebits?: { account: AccountRef; amount: bigint }[];
}

export interface LedgerCheck {
  ok: boolean;
  txns: bigint;
  entries: bigint;
  accounts: bigint;
  problems: string[];
}

export class LedgerService {
  /** Account ids by code. Only committed accounts enter it (see openAccounts). */
  private readonly accountIds = new Map<string, bigint>();

  constructor(private readonly db: Db) {}

  /**
   * Opens accounts outside any transaction, so their ids are committed before anything caches
   * them. Call it before the transaction that posts to them; it is cheap once they exist.
   */
  async openAccounts(refs: AccountRef[]): Promise<void> {
    const missing = refs.filter((r) => !this.accountIds.has(accountCode(r)));
    if (missing.length === 0) return;
    await queries.insertAccounts(this.db, missing);
    for (const row of await queries.selectAccountIds(this.db, missing.map(accountCode))) {
      this.accountIds.set(row.code, row.id);
    }
  }

  /**
   * Posts one balanced transaction inside the caller's transaction. Returns null when the
   * idempotency key was already posted (nothing is written twice).
   */
  async post(q: Queryable, input: PostingInput): Promise<bigint | null> {
    return (await this.postMany(q, [input]))[0]!;
  }

  /**
   * Posts many balanced transactions with one statement per table, inside the caller's
   * transaction: the group-commit path. The kept accounts the batch touches are locked in id order
   * and read in the entries' statement: each of their entries carries its account's balance after
   * it, and each balance moves once by the batch's net. Returns each posting's transaction id, or
   * null where its idempotency key was already posted. A guarded balance that would go negative fails
   * them all.
   */
  async postMany(q: Queryable, inputs: PostingInput[]): Promise<(bigint | null)[]> {
    if (inputs.length === 0) return [];
    const postings = inputs.map((input) => {
      const legs = mergeLegs(input.legs);
      assertBalanced(input, legs);
      return { input, legs };
    });
    const inserted = await queries.insertTxns(q, inputs);
    const txnIds = new Map(inserted.map((row) => [row.idempotency_key, row.id]));
    const entries: { txnId: bigint; accountId: bigint; amount: bigint; currency: string }[] = [];
    const keptIds = new Set<bigint>();
    for (const { input, legs } of postings) {
      const txnId = txnIds.get(input.idempotencyKey);
      if (txnId === undefined) continue;
      // The same key twice in one batch posts once.
      txnIds.delete(input.idempotencyKey);
      for (const leg of legs) {
        const accountId = this.idOf(leg.account);
        entries.push({ txnId, accountId, amount: leg.amount, currency: leg.account.currency });
        if (ACCOUNT_KINDS[leg.account.kind].kept) keptIds.add(accountId);
      }
    }
    if (entries.length === 0) return inputs.map(() => null);
    try {
      await queries.insertEntries(q, entries, [...keptIds]);
    } catch (error) {
      if ((error as { code?: string }).code === '23514') {
        throw new AppError('INSUFFICIENT_BALANCE', 'the balance is not enough for this posting');
      }
      throw error;
    }
    const posted = new Map(inserted.map((row) => [row.idempotency_key, row.id]));
    const seen = new Set<string>();
    return inputs.map((input) => {
      if (seen.has(input.idempotencyKey)) return null;
      seen.add(input.idempotencyKey);
      return posted.get(input.idempotencyKey) ?? null;
    });
  }

  /** The accounts a payment touches, to open before its transaction. */
  paymentAccounts(
    p: Pick<PaymentPosting, 'merchantId' | 'channelAccountId' | 'currency'> & { agentIds?: bigint[] },
    mode: SettlementMode = 'platform',
  ): AccountRef[] {
    const common: AccountRef[] = [
      { kind: 'channel_clearing', ownerId: p.channelAccountId, currency: p.currency },
      { kind: 'channel_cost', ownerId: p.channelAccountId, currency: p.currency },
      { kind: 'merchant_pending', ownerId: p.merchantId, currency: p.currency },
      { kind: 'platform_revenue', ownerId: null, currency: p.currency },
      ...this.agentAccounts(p.agentIds ?? [], p.currency),
    ];
    if (mode === 'platform') return common;
    return [
      ...common,
      { kind: 'merchant_settled_by_channel', ownerId: p.merchantId, currency: p.currency },
      { kind: 'platform_receivable', ownerId: p.merchantId, currency: p.currency },
    ];
  }

  /** Both commission accounts of each agent. */
  agentAccounts(agentIds: bigint[], currency: string): AccountRef[] {
    return agentIds.flatMap((ownerId) => [
      { kind: 'agent_pending' as const, ownerId, currency },
      { kind: 'agent_available' as const, ownerId, currency },
    ]);
  }

  /**
   * A paid order: the channel now owes us the amount; the merchant's pending balance gets
   * amount − fee; the fee is split into the channel's cost and the platform's profit.
   */
  postPayment(q: Queryable, p: PaymentPosting): Promise<bigint | null> {
    return this.post(q, this.paymentPosting(p));
  }

  /**
   * Platform mode: the channel owes us the amount, the merchant's pending gets amount − fee.
   * Direct mode: the channel settles amount − cost straight to the merchant (a record), and the
   * platform's margin (with the agents' commission in it) is a receivable on the merchant.
   * Either way each agent's pending commission gets its share.
   */
  paymentPosting(p: PaymentPosting): PostingInput {
    const agentShares = p.agentShares ?? [];
    const commission = agentShares.reduce((sum, a) => sum + a.amount, 0n);
    if (p.channelCost + p.platformProfit + commission !== p.fee)
      throw new Error('invariant: fee split does not add up');
    const ref = (kind: AccountRef['kind'], ownerId: bigint | null): AccountRef => ({
      kind,
      ownerId,
      currency: p.currency,
    });
    const clearing = ref('channel_clearing', p.channelAccountId);
    const cost = ref('channel_cost', p.channelAccountId);
    const revenue = ref('platform_revenue', null);
    const legs: Leg[] =
      p.mode === 'direct'
        ? [
            { account: clearing, amount: -p.amount },
            { account: ref('merchant_settled_by_channel', p.merchantId), amount: p.amount - p.channelCost },
            { account: cost, amount: p.channelCost },
            { account: ref('platform_receivable', p.merchantId), amount: -(p.fee - p.channelCost) },
            { account: revenue, amount: p.platformProfit },
          ]
        : [
            { account: clearing, amount: -p.amount },
            ...netLegs(p, ref('merchant_pending', p.merchantId)),
            { account: cost, amount: p.channelCost },
            { account: revenue, amount: p.platformProfit },
          ];
    for (const a of agentShares) legs.push({ account: ref('agent_pending', a.agentId), amount: a.amount });
    return { kind: 'payment', reference: p.orderNo, idempotencyKey: `payment:${p.orderNo}`, legs };
  }

  /** The accounts a refund touches, to open before its transaction. */
  refundAccounts(
    p: Pick<RefundPosting, 'merchantId' | 'channelAccountId' | 'currency'> & { agentIds?: bigint[] },
  ): AccountRef[] {
    return [
      ...this.paymentAccounts(p, 'direct'),
      { kind: 'merchant_available', ownerId: p.merchantId, currency: p.currency },
    ];
  }

  refundPosting(p: RefundPosting): PostingInput {
    return {
      kind: 'refund',
      reference: p.refundNo,
      idempotencyKey: `refund:${p.refundNo}`,
      legs: refundLegs(p, 1n),
    };
  }

  /**
   * The reverse of a refund's posting: a failed channel refund gives the merchant its money back,
   * by default where it was taken from; `credit` says otherwise (an order settled meanwhile gets it
   * back in available).
   */
  refundReversalPosting(p: RefundPosting, credit?: { pending: bigint; available: bigint }): PostingInput {
    const legs = credit
      ? refundLegs({ ...p, debitedPending: credit.pending, debitedAvailable: credit.available }, -1n)
      : refundLegs(p, -1n);
    return {
      kind: 'refund_reversal',
      reference: p.refundNo,
      idempotencyKey: `refund_reversal:${p.refundNo}`,
      legs,
    };
  }

  /** Locks kept accounts (in id order) and reads their stored balances; the accounts must be open. */
  async lockBalances(q: Queryable, refs: AccountRef[]): Promise<Map<string, bigint>> {
    const ids = refs.map((r) => this.idOf(r));
    const rows = await queries.lockKeptBalances(q, ids);
    const byId = new Map(rows.map((r) => [r.id, r.balance]));
    return new Map(refs.map((r, i) => [accountCode(r), byId.get(ids[i]!) ?? 0n]));
  }

  /**
   * Inside the caller's transaction: locks an unguarded account (it must be open) so nothing else
   * posts to it until commit, and returns its balance. A spend from an account without a stored,
   * checked balance (an agent's available commission) checks it under this lock.
   */
  lockUnguardedBalance(q: Queryable, ref: AccountRef): Promise<bigint> {
    if (ACCOUNT_KINDS[ref.kind].guarded)
      throw new Error(`invariant: ${ref.kind} is guarded: use lockBalances`);
    return queries.lockDerivedBalance(q, this.idOf(ref));
  }

  /** Every account of an unguarded kind with its balance (the sum of its entries), keyed `owner:currency`. */
  async derivedBalancesOfKind(kind: AccountRef['kind']): Promise<Map<string, bigint>> {
    const rows = await queries.selectDerivedBalancesOfKind(this.db, kind);
    return new Map(rows.map((r) => [`${r.owner_id}:${r.currency}`, r.balance]));
  }

  /** Balance of one account: the kept one, or the sum of its entries. */
  async balanceOf(ref: AccountRef): Promise<bigint> {
    return (await queries.selectBalance(this.db, accountCode(ref)))[0]?.balance ?? 0n;
  }

  /** Every guarded account of a kind with its balance, keyed `owner:currency`. */
  async guardedBalancesOfKind(kind: AccountRef['kind']): Promise<Map<string, bigint>> {
    const rows = await queries.selectGuardedBalancesOfKind(this.db, kind);
    return new Map(rows.map((r) => [`${r.owner_id}:${r.currency}`, r.balance]));
  }

  /** An owner's entries in some kinds of account, newest first, with each account's balance after. */
  entriesOf(ownerId: bigint, kinds: readonly string[], page: { limit: number; offset: number }) {
    return queries.listEntries(this.db, { merchantId: ownerId, kinds, ...page });
  }

  countTxnsOfKind(kind: string): Promise<bigint> {
    return queries.countTxnsOfKind(this.db, kind);
  }

  /**
   * Proves the ledger's invariants; `ok` false lists what is broken. With `orders` also the
   * settlement's: each platform-mode merchant's pending equals its paid, unsettled orders' nets
   * (amount − fee − D0 part − their refunds' own debits) less the pending debt; reserved equals
   * the reserve held less released; every settlement record that moved money was posted; each
   * agent's pending commission equals its unsettled orders' shares less what refunds took.
   */
  async check(options: { orders?: boolean } = {}): Promise<LedgerCheck> {
    const problems: string[] = [];
    for (const r of await queries.selectUnbalancedTxns(this.db, CHECK_SAMPLE)) {
      problems.push(`transaction ${r.txn_id} does not balance in ${r.currency}: off by ${r.total}`);
    }
    for (const r of await queries.selectThinTxns(this.db, CHECK_SAMPLE)) {
      problems.push(`transaction ${r.id} has ${r.entries} entries (at least 2 needed)`);
    }
    for (const r of await queries.selectDriftedBalances(this.db, CHECK_SAMPLE)) {
      problems.push(
        r.balance !== r.derived
          ? `account ${r.code} stores ${r.balance} but its entries sum to ${r.derived}`
          : `account ${r.code} is negative: ${r.balance}`,
      );
    }
    for (const r of await queries.selectWrongBalancesAfter(this.db, CHECK_SAMPLE)) {
      problems.push(
        `entry ${r.id} of account ${r.code} stores a balance after it of ${r.balance_after ?? 'none'} but its account's entries up to it sum to ${r.running}`,
      );
    }
    for (const r of await queries.selectCurrencyMismatches(this.db, CHECK_SAMPLE)) {
      problems.push(`entry ${r.id} is in another currency than its account ${r.code}`);
    }
    if (options.orders) {
      for (const r of await settlementQueries.pendingDrift(this.db, CHECK_SAMPLE)) {
        problems.push(
          `merchant ${r.merchant_id} pending ${r.currency} is ${r.balance} but its unsettled orders make ${r.expected}`,
        );
      }
      for (const r of await settlementQueries.reserveDrift(this.db, CHECK_SAMPLE)) {
        problems.push(
          `merchant ${r.merchant_id} reserved ${r.currency} is ${r.balance} but reserve held − released is ${r.expected}`,
        );
      }
      for (const r of await settlementQueries.unpostedRecords(this.db, CHECK_SAMPLE)) {
        problems.push(`settlement record ${r.id} has no ledger transaction (${r.txn_key ?? 'no key'})`);
      }
      for (const r of await profitQueries.profitDrift(this.db, CHECK_SAMPLE)) {
        problems.push(
          `order ${r.order_no}: its parties' profit is ${r.parties} of a margin of ${r.margin}, refunds took ${r.given_back} of ${r.refunded}`,
        );
      }
      for (const r of await profitQueries.agentPendingDrift(this.db, CHECK_SAMPLE)) {
        problems.push(
          `agent ${r.agent_id} pending ${r.currency} is ${r.balance} but its unsettled commission makes ${r.expected}`,
        );
      }
    }
    const counts = await queries.selectCounts(this.db);
    return { ok: problems.length === 0, ...counts, problems };
  }

  private idOf(ref: AccountRef): bigint {
    const id = this.accountIds.get(accountCode(ref));
    if (id === undefined) throw new Error(`ledger account ${accountCode(ref)} was not opened before posting`);
    return id;
  }
}

function refundLegs(p: RefundPosting, sign: bigint): Leg[] {
  const ref = (kind: AccountRef['kind'], ownerId: bigint | null): AccountRef => ({
    kind,
    ownerId,
    currency: p.currency,
  });
  const agentRefunds = p.agentRefunds ?? [];
  const commission = agentRefunds.reduce((sum, a) => sum + a.amount, 0n);
  // The fee given back less the channel's cost given back: the agents give back their part, the platform the rest.
  const margin = p.feeRefund - p.channelCostRefund;
  const agentLegs: Leg[] = agentRefunds.map((a) => ({
    account: ref(a.account === 'available' ? 'agent_available' : 'agent_pending', a.agentId),
    amount: -sign * a.amount,
  }));
  if (p.direct) {
    return [
      ...agentLegs,
      { account: ref('channel_clearing', p.channelAccountId), amount: sign * p.amount },
      {
        account: ref('merchant_settled_by_channel', p.merchantId),
        amount: -sign * (p.amount - p.channelCostRefund),
      },
      { account: ref('channel_cost', p.channelAccountId), amount: -sign * p.channelCostRefund },
      { account: ref('platform_receivable', p.merchantId), amount: sign * margin },
      { account: ref('platform_revenue', null), amount: -sign * (margin - commission) },
    ];
  }
  const splitDebits = p.splitDebits ?? [];
  const splitTotal = splitDebits.reduce((sum, d) => sum + d.amount, 0n);
  if (p.debitedPending + p.debitedAvailable + splitTotal !== p.amount - p.feeRefund)
    throw new Error('invariant: refund debit does not add up');
  return [
    ...splitDebits.map((d) => ({ account: d.account, amount: -sign * d.amount })),
    { account: ref('channel_clearing', p.channelAccountId), amount: sign * p.amount },
    { account: ref('merchant_pending', p.merchantId), amount: -sign * p.debitedPending },
    { account: ref('merchant_available', p.merchantId), amount: -sign * p.debitedAvailable },
    { account: ref('channel_cost', p.channelAccountId), amount: -sign * p.channelCostRefund },
    { account: ref('platform_revenue', null), amount: -sign * (margin - commission) },
    ...agentLegs,
  ];
}

/** A payment's net: to the merchant's pending, or where a marketplace order's terms send it (adding up). */
function netLegs(p: PaymentPosting, pending: AccountRef): Leg[] {
  const net = p.amount - p.fee;
  if (!p.netTo) return [{ account: pending, amount: net }];
  if (p.netTo.reduce((sum, leg) => sum + leg.amount, 0n) !== net)
    throw new Error(`invariant: the net of ${p.orderNo} is not split exactly`);
  return p.netTo;
}

function mergeLegs(legs: Leg[]): Leg[] {
  if (legs.length < 2 || legs.length > MAX_LEGS)
    throw new Error(`a posting needs 2..${MAX_LEGS} legs, got ${legs.length}`);
  const merged = new Map<string, Leg>();
  for (const leg of legs) {
    const code = accountCode(leg.account);
    const seen = merged.get(code);
    merged.set(code, { account: leg.account, amount: (seen?.amount ?? 0n) + leg.amount });
  }
  return [...merged.values()].filter((leg) => leg.amount !== 0n);
}

/** Crashes on an unbalanced posting: it is a programming error, never an operating one. */
function assertBalanced(input: PostingInput, legs: Leg[]): void {
  const totals = new Map<string, bigint>();
  for (const leg of legs)
    totals.set(leg.account.currency, (totals.get(leg.account.currency) ?? 0n) + leg.amount);
  for (const [currency, total] of totals) {
    if (total !== 0n)
      throw new Error(`invariant: posting ${input.idempotencyKey} is off by ${total} ${currency}`);
  }
  if (legs.length < 2)
    throw new Error(`invariant: posting ${input.idempotencyKey} has fewer than 2 non-zero legs`);
}
