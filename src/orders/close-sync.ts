import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { AppError } from '../errors.ts';
import {
  authCodeOf,
  MAX_TRANSITION_RETRIES,
  type OrderContext,
  type OrderSteps,
  requireByOrderNo,
} from './context.ts';
import type { OrderRow } from './queries.ts';
import * as queries from './queries.ts';
import { mayBeAtChannel } from './resume.ts';
import { isOpen } from './state.ts';

/**
 * Close, cancel (撤销) and sync: the channel is closed or asked first, then the order follows what
 * it says; a payment it reports is confirmed, a failure recorded.
 */
export class CloseAndSync {
  constructor(
    private readonly ctx: OrderContext,
    private readonly steps: OrderSteps,
  ) {}

  /** Closes an unpaid order: the channel first, so it can no longer be paid, then ours. */
  async close(order: OrderRow, source: string, event: 'closed' | 'cancelled' = 'closed'): Promise<OrderRow> {
    if (order.state === 'closed') return order;
    if (!isOpen(order.state))
      throw new AppError(
        'ORDER_STATE_INVALID',
        `order ${order.order_no} is ${order.state}; it cannot be closed`,
      );
    // A created order may have reached the channel already (its acceptance not recorded): close it there too.
    if ((order.state === 'paying' || mayBeAtChannel(order)) && order.channel_account_id !== null) {
      const result = await this.ctx.channels.closePayment(order.channel_account_id, {
        orderNo: order.order_no,
        channelOrderNo: order.channel_order_no,
      });
      if (result.outcome === 'paid') {
        await this.syncWithChannel(order);
        throw new AppError(
          'ORDER_STATE_INVALID',
          `order ${order.order_no} was paid before it could be closed`,
        );
      }
      if (result.outcome === 'error') {
        throw new AppError(
          'CHANNEL_ERROR',
          `the channel could not close the payment: ${result.message ?? 'no answer'}`,
        );
      }
    }
    const closed = await queries.transition(
      this.ctx.db,
      order.id,
      order.state,
      'closed',
      { closedAt: new Date(), nextQueryAt: null },
      [{ kind: event, detail: { source } }],
    );
    if (closed) return closed;
    const now = (await queries.findById(this.ctx.db, order.id))!;
    return this.close(now, source, event);
  }

  /**
   * Cancels (撤销) an auth-code payment the customer has not confirmed: the channel closes it, so a
   * confirmation that comes later cannot take the money, then the order is closed. A payment the
   * customer confirmed first is recorded as paid and the cancel refused: refund it instead.
   */
  async cancel(order: OrderRow, source: string): Promise<OrderRow> {
    if (!authCodeOf(order)) {
      throw new AppError(
        'ORDER_STATE_INVALID',
        `order ${order.order_no} was not paid by auth code; close it instead of cancelling`,
      );
    }
    if (order.paid_at !== null) {
      throw new AppError(
        'ORDER_STATE_INVALID',
        `order ${order.order_no} is ${order.state}; a paid auth-code payment is refunded, not cancelled`,
      );
    }
    if (order.state === 'created') {
      throw new AppError(
        'ORDER_STATE_INVALID',
        `order ${order.order_no} is still being submitted to the channel; try again in a moment`,
      );
    }
    return this.close(order, source, 'cancelled');
  }

  /**
   * PAY-7 on demand: asks the channel about the order now and applies the answer — a payment the
   * notify never brought is recorded (even after close: a late payment). A paid order is returned
   * as it is; a channel that does not answer is CHANNEL_ERROR and changes nothing.
   */
  async syncNow(order: OrderRow, requestedBy: string): Promise<OrderRow> {
    if (order.paid_at !== null || order.channel_account_id === null) return order;
    let status: string;
    try {
      status = await this.syncWithChannel(order);
    } catch (error) {
      // Our database going away is not the channel's fault: that stays a 503 to retry.
      if (isDatabaseUnavailable(error)) throw error;
      throw new AppError(
        'CHANNEL_ERROR',
        `the channel did not answer the query: ${(error as Error).message}`,
      );
    }
    await queries.insertEvent(this.ctx.db, order.id, 'synced', { requestedBy, channelStatus: status });
    return (await queries.findById(this.ctx.db, order.id))!;
  }

  /** Asks the channel about an open order and applies the answer; returns the provider's status. */
  async syncWithChannel(order: OrderRow): Promise<string> {
    if (order.channel_account_id === null) return 'not_found';
    const status = await this.ctx.channels.queryPayment(order.channel_account_id, {
      orderNo: order.order_no,
      channelOrderNo: order.channel_order_no,
    });
    if (status.status === 'paid') {
      if (status.amount !== undefined && status.amount !== order.amount) {
        await queries.insertEvent(
          this.ctx.db,
          order.id,
          'query_amount_mismatch',
          { amount: status.amount.toString() },
          true,
        );
        return 'mismatch';
      }
      await this.steps.confirm.confirmPayment(order.order_no, {
        channelOrderNo: status.channelOrderNo ?? null,
        paidAt: status.paidAt ?? null,
        source: 'query',
      });
    } else if (status.status === 'failed') {
      await this.recordFailure(order.order_no, 'query', 'the channel reported the payment failed');
    }
    return status.status;
  }

  /** The channel says the payment failed: an open order becomes failed. */
  async recordFailure(orderNo: string, source: string, message: string): Promise<OrderRow> {
    let order = await requireByOrderNo(this.ctx.db, orderNo);
    for (let attempt = 0; attempt < MAX_TRANSITION_RETRIES && isOpen(order.state); attempt++) {
      const failed = await queries.transition(
        this.ctx.db,
        order.id,
        order.state,
        'failed',
        {
          failureCode: 'PAYMENT_FAILED',
          failureMessage: message,
          failureReason: 'failed',
          nextQueryAt: null,
        },
        [{ kind: 'failed', detail: { source, message } }],
      );
      if (failed) return failed;
      order = (await queries.findById(this.ctx.db, order.id))!;
    }
    return order;
  }

  /**
   * The channel says it closed the payment unpaid: an open order closes without asking the channel
   * again. It often answers our own close this way, and may do so before our close is recorded.
   */
  async recordChannelClosed(orderNo: string, source: string): Promise<OrderRow> {
    let order = await requireByOrderNo(this.ctx.db, orderNo);
    for (let attempt = 0; attempt < MAX_TRANSITION_RETRIES && isOpen(order.state); attempt++) {
      const closed = await queries.transition(
        this.ctx.db,
        order.id,
        order.state,
        'closed',
        { closedAt: new Date(), nextQueryAt: null },
        [{ kind: 'closed', detail: { source } }],
      );
      if (closed) return closed;
      order = (await queries.findById(this.ctx.db, order.id))!;
    }
    return order;
  }
}
