import {
  type ChannelAdapter,
  type InboundNotify,
  type NotifyAck,
  NotifyRejected,
  type ParsedAnyNotify,
  type ParsedNotify,
} from '../channels/types.ts';
import { Batcher } from '../db/batcher.ts';
import { AppError } from '../errors.ts';
import type { Leg } from '../ledger/types.ts';
import { MAX_TRANSITION_RETRIES, type OrderContext, type OrderSteps, requireByOrderNo } from './context.ts';
import { CREATE_BATCH } from './create.ts';
import { agentSharesOf } from './profit.ts';
import type { OrderRow } from './queries.ts';
import * as queries from './queries.ts';
import { isLatePayment, type OrderState } from './state.ts';
import { notifyBody } from './views.ts';

/** An operator's manual completion (补单): who, and why. */
export interface ManualCompletion {
  userId: bigint;
  username: string;
  remark: string;
}

/** The states manual completion may move to paid: the customer's money arrived, the channel did not say so. */
const MANUALLY_COMPLETABLE: readonly OrderState[] = ['paying', 'closed', 'failed'];

interface PaymentToWrite {
  order: OrderRow;
  confirmation: PaymentConfirmation;
}

/** Payments written in one transaction at most; concurrent batches on separate connections. */
const PAYMENT_BATCH = { maxBatch: 256, maxInFlight: 2 };

export interface PaymentConfirmation {
  channelOrderNo: string | null;
  paidAt: Date | null;
  /** notify | query | manual: where the confirmation came from, for the timeline. */
  source: string;
  /** Set for a manual completion: recorded on the order with the payment, in its transaction. */
  manual?: ManualCompletion;
}

/**
 * Payment confirmation: a channel's notify or answer, or an operator's manual completion, moves
 * the order to paid in one transaction with its ledger posting and merchant notify.
 */
export class ConfirmPayments {
  private readonly payments = new Batcher<PaymentToWrite, OrderRow | null>(
    (items) => this.writePayments(items),
    PAYMENT_BATCH,
  );
  /** Orders read by number for concurrent channel notifies, together. */
  private readonly ordersByNo = new Batcher(async (orderNos: string[]) => {
    const rows = await queries.findByOrderNos(this.ctx.db, orderNos);
    const byNo = new Map(rows.map((row) => [row.order_no, row]));
    return orderNos.map((no) => byNo.get(no) ?? null);
  }, CREATE_BATCH);
  /** Every inbound channel notify is kept; concurrent ones are written together. */
  private readonly channelNotifyLog = new Batcher(async (notifies: queries.ChannelNotifyRecord[]) => {
    await queries.insertChannelNotifies(this.ctx.db, notifies);
    return notifies.map(() => undefined);
  }, CREATE_BATCH);

  constructor(
    private readonly ctx: OrderContext,
    private readonly steps: OrderSteps,
  ) {}

  /**
   * Records that the customer paid: one transaction moves the order to paid (compare-and-set),
   * posts the ledger and writes the merchant notify. A duplicate confirmation finds the order
   * already paid and changes nothing. Returns the order and whether this call paid it.
   */
  async confirmPayment(
    orderNo: string,
    confirmation: PaymentConfirmation,
  ): Promise<{ order: OrderRow; applied: boolean }> {
    return this.confirmPaymentOf(await requireByOrderNo(this.ctx.db, orderNo), confirmation);
  }

  /**
   * Manual completion (补单, OP-9): an operator says the customer paid although the channel never
   * confirmed it. Only a paying, closed or failed order; its own amount; the same payment path as a
   * channel's confirmation (one transaction: compare-and-set to paid, ledger posting, merchant
   * notify), which also records who completed it, when and why. The completion password is the
   * caller's to check first.
   */
  async completeManually(order: OrderRow, by: ManualCompletion): Promise<OrderRow> {
    if (!MANUALLY_COMPLETABLE.includes(order.state)) {
      throw new AppError(
        'ORDER_STATE_INVALID',
        `order ${order.order_no} is ${order.state}; only paying, closed or failed orders can be completed by hand`,
      );
    }
    const { order: paid, applied } = await this.confirmPaymentOf(order, {
      channelOrderNo: null,
      paidAt: new Date(),
      source: 'manual',
      manual: by,
    });
    if (!applied) {
      throw new AppError(
        'ORDER_STATE_INVALID',
        `order ${order.order_no} was paid meanwhile; nothing was changed`,
      );
    }
    return paid;
  }

  /** confirmPayment for an order just read (the channel notify path reads it to check it first). */
  async confirmPaymentOf(
    readOrder: OrderRow,
    confirmation: PaymentConfirmation,
  ): Promise<{ order: OrderRow; applied: boolean }> {
    let order = readOrder;
    const orderNo = order.order_no;
    if (order.channel_account_id === null) throw new Error(`order ${orderNo} has no channel account`);
    await this.ctx.ledger.openAccounts(
      // Both modes' accounts: the merchant's mode is read again when the payment is written.
      this.ctx.ledger.paymentAccounts(
        {
          merchantId: order.merchant_id,
          channelAccountId: order.channel_account_id,
          currency: order.currency,
          agentIds: agentSharesOf(order).map((a) => a.agentId),
        },
        'direct',
      ),
    );
    // The account this confirmation was checked against; a reroute meanwhile must not move it.
    const confirmedBy = order.channel_account_id;
    for (let attempt = 0; attempt < MAX_TRANSITION_RETRIES; attempt++) {
      if (order.paid_at !== null) return { order, applied: false };
      if (order.channel_account_id !== confirmedBy) {
        // A channel that timed out at create still took the payment: an operator must settle it.
        await queries.insertEvent(
          this.ctx.db,
          order.id,
          'payment_on_previous_channel',
          { channelAccountId: confirmedBy.toString(), source: confirmation.source },
          true,
        );
        return { order, applied: false };
      }
      const paid = await this.payments.submit({ order, confirmation });
      if (paid) {
        if (isLatePayment(order.state)) {
          this.ctx.options.log.warn({ orderNo, from: order.state }, 'late payment recorded');
        }
        this.ctx.notify.wake();
        return { order: paid, applied: true };
      }
      order = (await queries.findById(this.ctx.db, order.id))!;
    }
    throw new Error(`order ${orderNo} kept changing while being paid`);
  }

  /**
   * Group commit of payments: every confirmation that arrives while a batch is being written joins
   * the next one. One transaction moves them all to paid (compare-and-set each), posts their ledger
   * transactions and writes their notifies. An order whose state moved meanwhile answers null and
   * its caller re-reads it; an order twice in one batch is written once.
   */
  private async writePayments(items: PaymentToWrite[]): Promise<(OrderRow | null)[]> {
    const firsts = new Map<bigint, PaymentToWrite>();
    for (const item of items) if (!firsts.has(item.order.id)) firsts.set(item.order.id, item);
    // The merchants' settlement modes, from the terms cache (no query per order).
    const modeOf = this.ctx.options.settlementModeOf;
    const modes = new Map<bigint, 'platform' | 'direct'>();
    if (modeOf) {
      const merchants = [...new Set([...firsts.values()].map(({ order }) => order.merchant_id))];
      const found = await Promise.all(merchants.map((id) => modeOf(id)));
      for (const [i, id] of merchants.entries()) modes.set(id, found[i]!);
    }
    // Marketplace orders' terms (one read per batch), their accounts opened before the transaction.
    const marketplace = this.ctx.options.marketplace;
    const splitTerms = marketplace
      ? await marketplace.paymentTermsOf([...firsts.values()].map(({ order }) => order.id))
      : new Map();
    const paid = await this.ctx.db.tx(async (q) => {
      const rows = await queries.markPaid(
        q,
        [...firsts.values()].map(({ order, confirmation }) => ({
          id: order.id,
          expectedState: order.state,
          channelAccountId: order.channel_account_id!,
          paidAt: confirmation.paidAt ?? new Date(),
          channelOrderNo: confirmation.channelOrderNo,
          source: confirmation.source,
          manual: confirmation.manual ?? null,
          settleMode: modes.get(order.merchant_id) ?? 'platform',
        })),
      );
      const netTo = new Map<bigint, Leg[]>();
      for (const row of rows) {
        const terms = splitTerms.get(row.id);
        if (!terms) continue;
        const legs = await marketplace!.paymentLegs(
          q,
          row,
          terms,
          row.settle_mode ?? 'platform',
          row.paid_at!,
        );
        if (legs) netTo.set(row.id, legs);
      }
      await this.ctx.ledger.postMany(
        q,
        rows.map((row) =>
          this.ctx.ledger.paymentPosting({
            orderNo: row.order_no,
            merchantId: row.merchant_id,
            channelAccountId: row.channel_account_id!,
            currency: row.currency,
            amount: row.amount,
            fee: row.fee,
            channelCost: row.channel_cost,
            platformProfit: row.platform_profit,
            agentShares: agentSharesOf(row).map((a) => ({ agentId: a.agentId, amount: a.share })),
            mode: row.settle_mode ?? 'platform',
            netTo: netTo.get(row.id),
          }),
        ),
      );
      await this.ctx.notify.enqueueMany(
        q,
        rows.map((row) => ({
          merchantId: row.merchant_id,
          appId: row.app_id,
          orderId: row.id,
          eventType: 'order.paid',
          idempotencyKey: `order.paid:${row.order_no}`,
          url: row.notify_url,
          body: notifyBody('order.paid', row),
        })),
      );
      return new Map(rows.map((row) => [row.id, row]));
    });
    return items.map((item) =>
      firsts.get(item.order.id) === item ? (paid.get(item.order.id) ?? null) : null,
    );
  }

  // ---------- channel notify ----------

  /**
   * Handles a provider's async notify for one channel account. Every notify is kept with its raw
   * body and outcome; one that cannot be verified, or does not match the order, changes nothing.
   */
  async handleChannelNotify(
    channelAccountId: bigint,
    inbound: InboundNotify,
    remoteIp: string,
  ): Promise<{ status: number; contentType: string; body: string }> {
    // Refund notifies have their own URL (refunds/routes.ts); one here is misdirected.
    const received = await this.receiveChannelNotify(channelAccountId, inbound, remoteIp, 'payment');
    if ('ack' in received) return received.ack;
    const { adapter, parsed, record } = received;
    const order = await this.ordersByNo.submit(parsed.orderNo);
    const refusal = order ? mismatchOf(order, channelAccountId, parsed) : 'NOTIFY_ORDER_NOT_FOUND';
    if (refusal) {
      await record('refused', order?.id ?? null, refusal);
      if (order)
        await queries.insertEvent(
          this.ctx.db,
          order.id,
          'notify_refused',
          {
            reason: refusal,
            amount: parsed.amount.toString(),
            currency: parsed.currency,
            channelAccountId: channelAccountId.toString(),
          },
          true,
        );
      this.ctx.options.log.warn(
        { orderNo: parsed.orderNo, reason: refusal, remoteIp },
        'channel notify refused',
      );
      return adapter.notifyAck(false);
    }
    if (parsed.status === 'paid') {
      const { order: paid, applied } = await this.confirmPaymentOf(order!, {
        channelOrderNo: parsed.channelOrderNo,
        paidAt: parsed.paidAt,
        source: 'notify',
      });
      await record(applied ? 'applied' : 'duplicate', paid.id, null);
    } else if (parsed.status === 'closed') {
      const before = order!.state;
      const after = await this.steps.closeSync.recordChannelClosed(parsed.orderNo, 'notify');
      await record(after.state !== before ? 'applied' : 'duplicate', order!.id, null);
    } else {
      const before = order!.state;
      const after = await this.steps.closeSync.recordFailure(
        parsed.orderNo,
        'notify',
        'the channel reported the payment failed',
      );
      await record(after.state !== before ? 'applied' : 'duplicate', order!.id, null);
    }
    return adapter.notifyAck(true);
  }

  /**
   * The front of every inbound channel notify, payments' and refunds': finds the account's adapter,
   * verifies and parses the notify, and gives back `record` to keep it with its raw body and
   * outcome. An unverifiable notify, or one of another kind, is recorded as refused and answered
   * with the adapter's negative ack (`{ ack }`).
   */
  async receiveChannelNotify<K extends ParsedAnyNotify['kind']>(
    channelAccountId: bigint,
    inbound: InboundNotify,
    remoteIp: string,
    kind: K,
  ): Promise<
    | { ack: NotifyAck }
    | {
        adapter: ChannelAdapter;
        parsed: Extract<ParsedAnyNotify, { kind: K }>;
        record: (
          outcome: 'applied' | 'duplicate' | 'refused',
          orderId: bigint | null,
          errorCode: string | null,
        ) => Promise<void>;
      }
  > {
    const record = (
      outcome: 'applied' | 'duplicate' | 'refused',
      orderId: bigint | null,
      errorCode: string | null,
    ) =>
      this.channelNotifyLog.submit({
        channelAccountId,
        orderId,
        rawBody: inbound.rawBody,
        headers: redactHeaders(inbound.headers),
        remoteIp,
        outcome,
        errorCode,
      });
    const adapter = await this.ctx.channels.adapterOf(channelAccountId);
    if (!adapter) {
      await record('refused', null, 'UNKNOWN_CHANNEL_ACCOUNT');
      throw new AppError('NOT_FOUND', `channel account ${channelAccountId} not found`);
    }
    try {
      const parsed = (await this.ctx.channels.parseNotify(channelAccountId, inbound)).parsed;
      if (parsed.kind !== kind) {
        await record('refused', null, 'NOTIFY_WRONG_KIND');
        return { ack: adapter.notifyAck(false) };
      }
      return { adapter, parsed: parsed as Extract<ParsedAnyNotify, { kind: K }>, record };
    } catch (error) {
      if (!(error instanceof NotifyRejected)) throw error;
      await record('refused', null, `NOTIFY_${error.reason}`);
      this.ctx.options.log.warn(
        { channelAccountId: channelAccountId.toString(), kind, reason: error.reason, remoteIp },
        'channel notify refused',
      );
      return { ack: adapter.notifyAck(false) };
    }
  }
}

function mismatchOf(order: OrderRow, channelAccountId: bigint, parsed: ParsedNotify): string | null {
  if (order.channel_account_id !== channelAccountId) return 'NOTIFY_ACCOUNT_MISMATCH';
  if (parsed.currency !== order.currency) return 'NOTIFY_CURRENCY_MISMATCH';
  if (parsed.amount !== order.amount) return 'NOTIFY_AMOUNT_MISMATCH';
  return null;
}

export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    kept[name] = /authorization|cookie/i.test(name) ? '[redacted]' : value;
  }
  return kept;
}
