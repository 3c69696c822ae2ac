import { createHash } from 'node:crypto';
import type { ChannelGateway } from '../channels/gateway.ts';
import type { InboundNotify } from '../channels/types.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { LedgerService, RefundPosting } from '../ledger/service.ts';
import { accountCode } from '../ledger/types.ts';
import type { AppKeys } from '../merchants/service.ts';
import { divideRoundHalfUp, toJsonAmount } from '../money/money.ts';
import type { NotifyService } from '../notify/service.ts';
import { type AgentRefundPart, agentAmountsOf } from '../orders/commissions.ts';
import { numberSearch } from '../orders/number-search.ts';
import type { ProfitRow } from '../orders/profit-queries.ts';
import type { OrderRow, RefundableOrder } from '../orders/queries.ts';
import type { OrderService } from '../orders/service.ts';
import { isPaidState } from '../orders/state.ts';
import * as settlementQueries from '../settlement/queries.ts';
import { marketplaceOrderSql } from '../splits/queries.ts';
import type { SplitRefundSteps } from '../splits/refunds.ts';
import type { RefundFilter, RefundRow, RefundSource } from './queries.ts';
import * as queries from './queries.ts';

export interface CreateRefundInput {
  /** The order, by the platform's number or the merchant's (at least one). */
  orderNo?: string;
  mchOrderNo?: string;
  mchRefundNo: string;
  amount: bigint;
  reason?: string;
  notifyUrl?: string;
}

/** Who asked for a refund, when not the signed API: a console user. */
export interface RefundOrigin {
  source: RefundSource;
  createdByUserId: bigint | null;
}

export interface RefundOptions {
  /** Where the consoles' lists and their exports read: a streaming replica when there is one (src/db/read-replica.ts). */
  reads?: Queryable;
  log: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
  };
}

/** A pending refund the channel has not settled is asked about after this long. */
const STALE_PENDING_SECONDS = 30;
const QUERY_BATCH = 50;

/** What refunds ask the splits domain: take back (and give back) a marketplace order's shares. */
export type SplitRefunds = Pick<
  SplitRefundSteps,
  'prepareRefund' | 'takeBackForRefund' | 'recordTakeBack' | 'giveBackForRefund'
>;

/** Thrown inside the create transaction when a concurrent request took the same mchRefundNo. */
class MchRefundNoTaken extends Error {}

/** The consoles' refund filters without the page: what an export matches. */
export type RefundMatchFilter = Omit<queries.RefundMatch, 'search'> & { search?: string };

/**
 * Refunds (PAY-4, MON-4). Creating one reserves the refundable amount on the order and debits the
 * merchant in one transaction, before the channel is called (provider pattern); the channel's
 * answer — at once, by notify or by query — settles it with a compare-and-set: success moves the
 * order to partially_refunded / refunded, failure gives the reservation and the money back. Either
 * way the merchant is notified through the outbox, in the same transaction.
 */
export class RefundService {
  constructor(
    private readonly db: Db,
    private readonly orders: OrderService,
    private readonly ledger: LedgerService,
    private readonly channels: ChannelGateway,
    private readonly notify: NotifyService,
    private readonly options: RefundOptions,
  ) {}

  private splits: SplitRefunds | null = null;

  /** A merchant's refunds of marketplace orders per local day (the dashboard's figures). */
  marketplaceRefundsByDay(f: {
    merchantId: bigint;
    from: Date;
    to: Date;
    timeZone: string;
    includeTest: boolean;
  }) {
    return queries.marketplaceRefundsByDay(this.db, f, marketplaceOrderSql('r.order_id'));
  }

  /** Marketplace orders' refunds take back their split shares (src/splits). */
  attachSplits(splits: SplitRefunds): void {
    this.splits = splits;
  }

  /** Lists and exports only: they may trail the primary by the replica's lag. Never a read that decides. */
  private get reads(): Queryable {
    return this.options.reads ?? this.db;
  }

  // ---------- create ----------

  /** Creates (or, for a same-body retry, returns) a refund. `created` is false for a retry. */
  async createRefund(
    app: AppKeys,
    input: CreateRefundInput,
    origin: RefundOrigin = { source: 'api', createdByUserId: null },
  ): Promise<{ refund: RefundRow; created: boolean }> {
    const requestHash = hashRefundRequest(input);
    const existing = await queries.findByAppAndMchRefundNo(this.db, app.appId, input.mchRefundNo);
    if (existing) return { refund: assertSameRequest(existing, requestHash), created: false };
    if (input.amount <= 0n)
      throw new AppError('INVALID_REQUEST', 'amount must be greater than zero', { field: 'amount' });

    const order = await this.orderOf(app, input);
    if (!isPaidState(order.state)) {
      throw new AppError(
        'ORDER_STATE_INVALID',
        `order ${order.order_no} is ${order.state}; only a paid order can be refunded`,
      );
    }
    if (order.channel_account_id === null) {
      throw new AppError('ORDER_STATE_INVALID', `order ${order.order_no} has no channel to refund through`);
    }
    const channelAccountId = order.channel_account_id;
    const accounts = {
      merchantId: order.merchant_id,
      channelAccountId,
      currency: order.currency,
      agentIds: (order.agent_chain ?? []).map((level) => BigInt(level.agentId)),
    };
    await this.ledger.openAccounts(this.ledger.refundAccounts(accounts));
    const split = this.splits ? await this.splits.prepareRefund(order.id) : null;

    let refund: RefundRow;
    try {
      refund = await this.db.tx(async (q) => {
        const locked = await this.orders.lockForRefund(q, order.id);
        if (!locked || !isPaidState(locked.state)) {
          throw new AppError('ORDER_STATE_INVALID', `order ${order.order_no} is not paid`);
        }
        const remaining = locked.amount - locked.refunded_amount;
        if (input.amount > remaining) throw amountExceeded(order.order_no, remaining);
        const share = shareOf(locked, input.amount);
        const parties = locked.has_agents ? await this.orders.lockProfits(q, order.id) : [];
        const agentRefunds = agentRefundsOf(locked, input.amount, share, parties);
        const agentCommission = agentRefunds.reduce((sum, a) => sum + BigInt(a.amount), 0n);
        const reserved = await this.orders.reserveRefund(
          q,
          order.id,
          { ...share, agentCommission },
          input.mchRefundNo,
        );
        if (!reserved) throw amountExceeded(order.order_no, remaining);
        if (parties.length > 0)
          await this.orders.addProfitRefunded(q, order.id, refundedByLevel(share, agentRefunds));
        const debit = input.amount - share.fee;
        const direct = locked.settle_mode === 'direct';
        // A split order: escrow and members give back their part, the merchant the rest.
        const takeBack =
          split && !direct ? await this.splits!.takeBackForRefund(q, split, order.id, debit) : null;
        const { fromPending, fromAvailable, borrowed } = direct
          ? { fromPending: 0n, fromAvailable: 0n, borrowed: 0n }
          : await this.splitRefundDebit(q, order, locked, takeBack ? takeBack.merchantDebit : debit);
        const inserted = await queries.insertRefund(q, {
          appId: app.appId,
          mchRefundNo: input.mchRefundNo,
          requestHash,
          orderId: order.id,
          orderNo: order.order_no,
          mchOrderNo: order.mch_order_no,
          merchantId: order.merchant_id,
          channelAccountId,
          amount: input.amount,
          feeRefund: share.fee,
          channelCostRefund: share.channelCost,
          debitedPending: fromPending,
          debitedAvailable: fromAvailable,
          currency: order.currency,
          reason: input.reason ?? null,
          notifyUrl: input.notifyUrl ?? order.notify_url,
          source: origin.source,
          createdByUserId: origin.createdByUserId,
          direct,
          pendingBorrowed: borrowed,
          agentRefunds,
          splitDebit: takeBack ? sumOfDebits(takeBack.debits) : 0n,
        });
        if (!inserted) throw new MchRefundNoTaken();
        if (borrowed > 0n)
          await settlementQueries.addPendingDebt(q, order.merchant_id, order.currency, borrowed);
        if (takeBack) await this.splits!.recordTakeBack(q, inserted.refund_no, order.id, takeBack);
        await this.ledger.post(
          q,
          this.ledger.refundPosting({ ...postingOf(inserted), splitDebits: takeBack?.debits }),
        );
        return inserted;
      });
    } catch (error) {
      if (!(error instanceof MchRefundNoTaken)) throw error;
      // A concurrent request with the same mchRefundNo won; ours wrote nothing.
      const winner = (await queries.findByAppAndMchRefundNo(this.db, app.appId, input.mchRefundNo))!;
      return { refund: assertSameRequest(winner, requestHash), created: false };
    }
    return { refund: await this.askChannel(refund), created: true };
  }

  /**
   * Where a (platform-mode) refund's debit comes from. An order not yet settled gives it back out
   * of its own net in pending; a settled order's refund (or the part a kept fee makes larger than
   * what is left of the net) comes out of available first, then pending — that part is a debt
   * the merchant's next settlement absorbs. INSUFFICIENT_BALANCE when the balances do not cover it.
   */
  private async splitRefundDebit(
    q: Queryable,
    order: OrderRow,
    locked: RefundableOrder,
    debit: bigint,
  ): Promise<{ fromPending: bigint; fromAvailable: bigint; borrowed: bigint }> {
    const ref = (kind: 'merchant_pending' | 'merchant_available') => ({
      kind,
      ownerId: order.merchant_id,
      currency: order.currency,
    });
    const balances = await this.ledger.lockBalances(q, [ref('merchant_pending'), ref('merchant_available')]);
    const pending = balances.get(accountCode(ref('merchant_pending'))) ?? 0n;
    const available = balances.get(accountCode(ref('merchant_available'))) ?? 0n;
    const left = locked.settled_at ? 0n : (locked.pending_left ?? 0n);
    const own = minOf(debit, left > 0n ? left : 0n, pending);
    const rest = debit - own;
    const fromAvailable = minOf(rest, available);
    const borrowed = rest - fromAvailable;
    if (borrowed > pending - own) {
      throw new AppError('INSUFFICIENT_BALANCE', 'the merchant balance is not enough for this refund', {
        needed: debit.toString(),
      });
    }
    return { fromPending: own + borrowed, fromAvailable, borrowed };
  }

  private async orderOf(app: AppKeys, input: CreateRefundInput): Promise<OrderRow> {
    if (input.orderNo !== undefined) {
      const order = await this.orders.getForMerchant(app.merchantId, input.orderNo);
      if (input.mchOrderNo !== undefined && order.mch_order_no !== input.mchOrderNo) {
        throw new AppError('INVALID_REQUEST', 'orderNo and mchOrderNo name different orders');
      }
      return order;
    }
    if (input.mchOrderNo !== undefined) return this.orders.getByMchOrderNo(app.appId, input.mchOrderNo);
    throw new AppError('INVALID_REQUEST', 'orderNo or mchOrderNo is required');
  }

  /** The channel is called after the reservation committed, outside any transaction. */
  private async askChannel(refund: RefundRow): Promise<RefundRow> {
    const order = await this.orders.requireByOrderNo(refund.order_no);
    const result = await this.channels.createRefund(refund.channel_account_id, {
      refundNo: refund.refund_no,
      orderNo: refund.order_no,
      channelOrderNo: order.channel_order_no,
      amount: refund.amount,
      totalAmount: order.amount,
      currency: refund.currency,
      reason: refund.reason,
    });
    switch (result.outcome) {
      case 'accepted':
        if (result.status === 'succeeded') return this.settle(refund, 'succeeded', result.channelRefundNo);
        if (result.status === 'failed') {
          return this.settle(
            refund,
            'failed',
            result.channelRefundNo,
            'CHANNEL_REFUND_FAILED',
            'the channel failed the refund',
          );
        }
        await queries.setChannelRefundNo(this.db, refund.id, result.channelRefundNo);
        return (await queries.findByRefundNo(this.db, refund.refund_no))!;
      case 'refused':
        this.options.log.warn(
          { refundNo: refund.refund_no, code: result.code },
          'channel refused the refund',
        );
        return this.settle(refund, 'failed', null, result.code, result.message);
      case 'unknown':
        // The channel may have taken it: stays pending until a notify or a query says how it ended.
        this.options.log.warn(
          { refundNo: refund.refund_no, code: result.code, message: result.message },
          'channel refund answer unknown; will query',
        );
        return refund;
    }
  }

  // ---------- settle ----------

  /**
   * Settles a pending refund (compare-and-set) in one transaction with its consequences: success
   * moves the order to partially_refunded / refunded; failure releases the reservation and posts
   * the reverse of the refund's ledger transaction. The merchant notify goes in the same transaction.
   * A refund already settled is returned as it is.
   */
  async settle(
    refund: RefundRow,
    to: 'succeeded' | 'failed',
    channelRefundNo: string | null,
    failureCode?: string,
    failureMessage?: string,
  ): Promise<RefundRow> {
    return (await this.settleOnce(refund, to, channelRefundNo, failureCode, failureMessage)).refund;
  }

  /** settle, telling whether this call applied the outcome (false: it was settled already). */
  private async settleOnce(
    refund: RefundRow,
    to: 'succeeded' | 'failed',
    channelRefundNo: string | null,
    failureCode?: string,
    failureMessage?: string,
  ): Promise<{ refund: RefundRow; applied: boolean }> {
    // A failed refund of a split order gives back to its members: their accounts opened first.
    if (to === 'failed' && this.splits) await this.splits.prepareRefund(refund.order_id);
    const settled = await this.db.tx(async (q) => {
      // The order first: concurrent settlements of its refunds serialise here and see each other.
      const order = await this.orders.lockForRefund(q, refund.order_id);
      const row = await queries.settle(q, refund.id, to, { channelRefundNo, failureCode, failureMessage });
      if (!row || !order) return null;
      if (to === 'succeeded') {
        const total = await queries.succeededTotal(q, row.order_id);
        await this.orders.markRefunded(q, row.order_id, total === order.amount, row.refund_no, row.amount);
      } else {
        await this.orders.releaseRefund(
          q,
          row.order_id,
          {
            amount: row.amount,
            fee: row.fee_refund,
            channelCost: row.channel_cost_refund,
            agentCommission: row.agent_commission_refund,
          },
          row.refund_no,
          failureCode ?? 'FAILED',
        );
        // The commission goes back where it now belongs: an agent's row settled meanwhile to available.
        let agentRefunds = row.agent_refunds;
        if (agentRefunds?.length) {
          const settled = new Map(
            (await this.orders.lockProfits(q, row.order_id)).map((p) => [p.level, p.settled_at !== null]),
          );
          agentRefunds = agentRefunds.map((a) => ({
            ...a,
            account: settled.get(a.level) ? ('available' as const) : ('pending' as const),
          }));
          const given = refundedByLevel(
            { fee: row.fee_refund, channelCost: row.channel_cost_refund },
            row.agent_refunds!,
          );
          await this.orders.addProfitRefunded(
            q,
            row.order_id,
            given.map((g) => ({ level: g.level, amount: -g.amount })),
          );
        }
        let credit = reversalCredit(row, order);
        if (credit && row.pending_borrowed > 0n) {
          // What it borrowed from pending goes back there while the debt is still owed (balances
          // before the debt: the lock order of refunds and settlement).
          const ref = (kind: 'merchant_pending' | 'merchant_available') => ({
            kind,
            ownerId: row.merchant_id,
            currency: row.currency,
          });
          await this.ledger.lockBalances(q, [ref('merchant_pending'), ref('merchant_available')]);
          const repaid = await settlementQueries.repayPendingDebt(
            q,
            row.merchant_id,
            row.currency,
            row.pending_borrowed,
          );
          credit = { pending: credit.pending + repaid, available: credit.available - repaid };
        }
        await this.ledger.post(
          q,
          this.ledger.refundReversalPosting(
            {
              ...postingOf(row),
              agentRefunds: agentAmountsOf(agentRefunds),
              splitDebits: this.splits ? await this.splits.giveBackForRefund(q, row.refund_no) : undefined,
            },
            credit,
          ),
        );
      }
      const event = `refund.${to}`;
      await this.notify.enqueue(q, {
        merchantId: row.merchant_id,
        appId: row.app_id,
        orderId: row.order_id,
        eventType: event,
        idempotencyKey: `${event}:${row.refund_no}`,
        url: row.notify_url,
        body: refundNotifyBody(event, row),
      });
      return row;
    });
    if (!settled)
      return { refund: (await queries.findByRefundNo(this.db, refund.refund_no))!, applied: false };
    this.notify.wake();
    return { refund: settled, applied: true };
  }

  // ---------- channel refund notify ----------

  /** A provider's refund notify for one channel account: verified, matched to the refund, applied once. */
  async handleRefundNotify(
    channelAccountId: bigint,
    inbound: InboundNotify,
    remoteIp: string,
  ): Promise<{ status: number; contentType: string; body: string }> {
    const received = await this.orders.receiveChannelNotify(channelAccountId, inbound, remoteIp, 'refund');
    if ('ack' in received) return received.ack;
    const { adapter, parsed, record } = received;
    const refund = await queries.findByRefundNo(this.db, parsed.refundNo);
    const refusal = !refund
      ? 'NOTIFY_REFUND_NOT_FOUND'
      : refund.channel_account_id !== channelAccountId
        ? 'NOTIFY_ACCOUNT_MISMATCH'
        : refund.order_no !== parsed.orderNo
          ? 'NOTIFY_ORDER_MISMATCH'
          : refund.currency !== parsed.currency
            ? 'NOTIFY_CURRENCY_MISMATCH'
            : refund.amount !== parsed.amount
              ? 'NOTIFY_AMOUNT_MISMATCH'
              : null;
    if (refusal || !refund) {
      await record('refused', refund?.order_id ?? null, refusal);
      this.options.log.warn({ refundNo: parsed.refundNo, reason: refusal }, 'refund notify refused');
      return adapter.notifyAck(false);
    }
    const { applied, refund: now } = await this.settleOnce(
      refund,
      parsed.status,
      parsed.channelRefundNo,
      parsed.status === 'failed' ? 'CHANNEL_REFUND_FAILED' : undefined,
      parsed.status === 'failed' ? (parsed.message ?? 'the channel failed the refund') : undefined,
    );
    const settledAs = now.state;
    if (applied || settledAs === parsed.status) {
      await record(applied ? 'applied' : 'duplicate', refund.order_id, null);
      return adapter.notifyAck(true);
    }
    // The channel now says the opposite of the outcome we applied (its query, its first notify or
    // its answer said otherwise). Money may have moved that our books do not show: nothing is
    // changed automatically, an operator must look. Acknowledged, so the channel stops repeating it.
    await record('refused', refund.order_id, 'REFUND_OUTCOME_CONFLICT');
    await this.orders.raiseAlert(refund.order_id, 'refund_outcome_conflict', {
      refundNo: refund.refund_no,
      recorded: settledAs,
      channelSays: parsed.status,
      channelRefundNo: parsed.channelRefundNo,
    });
    this.options.log.warn(
      { refundNo: refund.refund_no, recorded: settledAs, channelSays: parsed.status },
      'refund notify contradicts the recorded outcome',
    );
    return adapter.notifyAck(true);
  }

  // ---------- query ----------

  /** Asks the channel about a pending refund and applies a final answer; returns the refund as it is now. */
  async syncWithChannel(refund: RefundRow): Promise<RefundRow> {
    if (refund.state !== 'pending') return refund;
    const status = await this.channels.queryRefund(refund.channel_account_id, {
      refundNo: refund.refund_no,
      orderNo: refund.order_no,
    });
    if (status.amount !== undefined && status.amount !== refund.amount) {
      this.options.log.warn({ refundNo: refund.refund_no }, 'channel refund amount differs; left pending');
      return refund;
    }
    // The channel never got it (we stopped between the reservation and the call, or the call was
    // lost): ask again; the channel is idempotent on our refund number.
    if (status.status === 'not_found') return this.askChannel(refund);
    if (status.status === 'succeeded')
      return this.settle(refund, 'succeeded', status.channelRefundNo ?? null);
    if (status.status === 'failed') {
      return this.settle(
        refund,
        'failed',
        status.channelRefundNo ?? null,
        'CHANNEL_REFUND_FAILED',
        'the channel failed the refund',
      );
    }
    return refund;
  }

  /** Scheduled: pending refunds whose outcome never arrived are asked about. */
  async queryPending(): Promise<number> {
    const due = await queries.claimStalePending(this.db, STALE_PENDING_SECONDS, QUERY_BATCH);
    for (const refund of due) {
      try {
        await this.syncWithChannel(refund);
      } catch (error) {
        this.options.log.warn(
          { refundNo: refund.refund_no, error: (error as Error).message },
          'refund query failed; will retry',
        );
      }
    }
    return due.length;
  }

  // ---------- reads ----------

  async getForMerchant(merchantId: bigint, refundNo: string): Promise<RefundRow> {
    const refund = await queries.findByRefundNo(this.db, refundNo);
    // Another merchant's refund is "not found", never "forbidden".
    if (!refund || refund.merchant_id !== merchantId)
      throw new AppError('NOT_FOUND', `refund ${refundNo} not found`);
    return refund;
  }

  async getByMchRefundNo(appId: string, mchRefundNo: string): Promise<RefundRow> {
    const refund = await queries.findByAppAndMchRefundNo(this.db, appId, mchRefundNo);
    if (!refund) throw new AppError('NOT_FOUND', `refund with mchRefundNo ${mchRefundNo} not found`);
    return refund;
  }

  async requireByRefundNo(refundNo: string): Promise<RefundRow> {
    const refund = await queries.findByRefundNo(this.db, refundNo);
    if (!refund) throw new AppError('NOT_FOUND', `refund ${refundNo} not found`);
    return refund;
  }

  /**
   * The refunds' part of the ledger check: every refund was posted once, every failed one reversed
   * once, and every order's reservation equals its refunds that did not fail.
   */
  async ledgerProblems(): Promise<{ refunds: bigint; problems: string[] }> {
    const problems: string[] = [];
    const counts = await queries.countByState(this.db);
    const posted = await this.ledger.countTxnsOfKind('refund');
    const reversed = await this.ledger.countTxnsOfKind('refund_reversal');
    if (posted !== counts.total) problems.push(`${counts.total} refunds but ${posted} refund transactions`);
    if (reversed !== counts.failed) {
      problems.push(`${counts.failed} failed refunds but ${reversed} refund reversal transactions`);
    }
    for (const r of await queries.reservationDrift(this.db, 20)) {
      problems.push(
        `order ${r.order_no} reserves ${r.refunded_amount} for refunds but its refunds make ${r.expected}`,
      );
    }
    return { refunds: counts.total, problems };
  }

  refundsOfOrder(orderId: bigint): Promise<RefundRow[]> {
    return queries.refundsOfOrder(this.db, orderId);
  }

  /**
   * The consoles' refund list (a merchant's only when `merchantId` is set). `search` is what was
   * typed: a whole number, or at least the last 4 digits of the refund's or the order's number.
   */
  list(filter: Omit<RefundFilter, 'search'> & { search?: string }) {
    return queries.listRefunds(this.reads, { ...filter, search: numberSearch(filter.search) });
  }

  /** How many refunds the consoles' list filters match (an export's size). */
  countMatching(filter: RefundMatchFilter) {
    return queries.countRefunds(this.reads, { ...filter, search: numberSearch(filter.search) });
  }

  /** The refunds the list filters match after `afterId`, in id order (an export's keyset page). */
  matchingAfter(filter: RefundMatchFilter, afterId: bigint, limit: number) {
    return queries.refundsAfter(
      this.reads,
      { ...filter, search: numberSearch(filter.search) },
      afterId,
      limit,
    );
  }
}

/**
 * The refund's share of the order's fee and channel cost. Proportional, rounded half up, so the
 * refunds of an order never give back more than it had; the refund that completes the order takes
 * what is left, so a full refund in parts gives back exactly the whole. A product that keeps the
 * fee gives the merchant none of it; the channel's cost is given back either way (the channel
 * returns it), to the platform's revenue when the merchant does not get the fee.
 *
 * A share never exceeds the refund (the merchant is never credited by a refund), and what is left of
 * the fee never exceeds what is left to refund: with a minimum fee a small order's fee is a large
 * part of it (10 fen of 50), and rounding many small refunds down would otherwise leave the last
 * one a fee larger than itself.
 */
export function shareOf(
  order: RefundableOrder,
  amount: bigint,
): { amount: bigint; fee: bigint; channelCost: bigint } {
  const part = partOf(order, amount);
  const fee = order.fee_refund_mode === 'kept' ? 0n : part(order.fee, order.refunded_fee);
  return { amount, fee, channelCost: part(order.channel_cost, order.refunded_channel_cost) };
}

/** The proportional part of a whole (of which `given` went back already) a refund of `amount` takes. */
function partOf(order: RefundableOrder, amount: bigint) {
  const completes = order.refunded_amount + amount === order.amount;
  const stillRefundable = order.amount - order.refunded_amount - amount;
  return (whole: bigint, given: bigint) => {
    const left = whole - given;
    if (completes) return left;
    const least = left > stillRefundable ? left - stillRefundable : 0n;
    const most = left < amount ? left : amount;
    const share = divideRoundHalfUp(whole * amount, order.amount);
    return share < least ? least : share > most ? most : share;
  };
}

/**
 * What each agent gives back of its commission: the same proportion as the fee, so a product that
 * keeps its fee on refunds keeps the agents' commission too. An agent's row already settled gives it
 * back from available, else from pending. The platform gives back the rest of the fee's margin.
 */
export function agentRefundsOf(
  order: RefundableOrder,
  amount: bigint,
  share: { fee: bigint },
  parties: ProfitRow[],
): AgentRefundPart[] {
  if (order.fee_refund_mode === 'kept' || share.fee === 0n) return [];
  const part = partOf(order, amount);
  return parties
    .filter((p) => p.level > 0 && p.agent_id !== null)
    .map((p) => ({
      agentId: p.agent_id!.toString(),
      level: p.level,
      amount: part(p.amount, p.refunded_amount).toString(),
      account: p.settled_at ? ('available' as const) : ('pending' as const),
    }))
    .filter((p) => p.amount !== '0');
}

/** The refunded amount per profit level: each agent's part, and the platform (level 0) the rest of the margin. */
function refundedByLevel(share: { fee: bigint; channelCost: bigint }, agents: AgentRefundPart[]) {
  const commission = agents.reduce((sum, a) => sum + BigInt(a.amount), 0n);
  return [
    { level: 0, amount: share.fee - share.channelCost - commission },
    ...agents.map((a) => ({ level: a.level, amount: BigInt(a.amount) })),
  ];
}

function minOf(...values: bigint[]): bigint {
  return values.reduce((a, b) => (b < a ? b : a));
}

/**
 * Where a failed refund's money goes back: the order's own part to pending while the order is
 * unsettled, to available once it settled (its net left pending without it); the part taken from
 * available to available. What it borrowed from pending: to available here; the caller moves the
 * part still owed as pending debt back to pending.
 */
function reversalCredit(
  row: RefundRow,
  order: RefundableOrder,
): { pending: bigint; available: bigint } | undefined {
  if (row.direct) return undefined;
  const own = row.debited_pending - row.pending_borrowed;
  const ownToPending = order.settled_at ? 0n : own;
  return { pending: ownToPending, available: row.debited_pending + row.debited_available - ownToPending };
}

function sumOfDebits(debits: { amount: bigint }[]): bigint {
  return debits.reduce((sum, d) => sum + d.amount, 0n);
}

function postingOf(row: RefundRow): RefundPosting {
  return {
    refundNo: row.refund_no,
    merchantId: row.merchant_id,
    channelAccountId: row.channel_account_id,
    currency: row.currency,
    amount: row.amount,
    feeRefund: row.fee_refund,
    channelCostRefund: row.channel_cost_refund,
    debitedPending: row.debited_pending,
    debitedAvailable: row.debited_available,
    direct: row.direct,
    agentRefunds: agentAmountsOf(row.agent_refunds),
  };
}

function amountExceeded(orderNo: string, remaining: bigint): AppError {
  return new AppError(
    'REFUND_AMOUNT_EXCEEDED',
    `the refund exceeds what is left to refund of order ${orderNo} (${remaining} minor units)`,
    { remaining: toJsonAmount(remaining) },
  );
}

function assertSameRequest(refund: RefundRow, requestHash: string): RefundRow {
  if (refund.request_hash !== requestHash) {
    throw new AppError(
      'IDEMPOTENCY_CONFLICT',
      `mchRefundNo ${refund.mch_refund_no} was already used with a different request`,
    );
  }
  return refund;
}

/** The fields that define a refund, in a fixed order, so a retry hashes the same whatever its key order. */
export function hashRefundRequest(input: CreateRefundInput): string {
  const canonical = JSON.stringify([
    input.orderNo ?? null,
    input.mchOrderNo ?? null,
    input.mchRefundNo,
    input.amount.toString(),
    input.reason ?? null,
    input.notifyUrl ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** The merchant-facing shape of a refund (API responses). */
export function refundView(refund: RefundRow) {
  return {
    refundNo: refund.refund_no,
    mchRefundNo: refund.mch_refund_no,
    orderNo: refund.order_no,
    mchOrderNo: refund.mch_order_no,
    state: refund.state,
    amount: toJsonAmount(refund.amount),
    currency: refund.currency,
    feeRefund: toJsonAmount(refund.fee_refund),
    reason: refund.reason,
    channelRefundNo: refund.channel_refund_no,
    createdAt: refund.created_at.toISOString(),
    succeededAt: refund.succeeded_at?.toISOString() ?? null,
    failedAt: refund.failed_at?.toISOString() ?? null,
    failure: refund.failure_code
      ? { code: refund.failure_code, message: refund.failure_message ?? '' }
      : null,
  };
}

/** The body of a `refund.succeeded` / `refund.failed` merchant notify. */
export function refundNotifyBody(event: string, refund: RefundRow) {
  return { event, ...refundView(refund) };
}
