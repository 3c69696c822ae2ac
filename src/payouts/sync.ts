import type { InboundNotify, NotifyAck, PayoutStatusResult } from '../channels/types.ts';
import { AppError } from '../errors.ts';
import { type PayoutContext, type PayoutSteps, requireByPayoutNo } from './context.ts';
import type { PayoutRow } from './queries.ts';
import * as queries from './queries.ts';

/** Payouts the channel has had this long without a final answer are asked about. */
const STALE_SECONDS = 30;
const QUERY_BATCH = 50;

/**
 * Keeping a payout in step with its channel: the channel's payout notify, the query job that asks
 * about payouts without a final answer, and the operators' retry and mark-failed.
 */
export class SyncPayouts {
  constructor(
    private readonly ctx: PayoutContext,
    private readonly steps: PayoutSteps,
  ) {}

  // ---------- the channel's notify ----------

  /** A provider's payout notify for one channel account: verified, matched, applied once. */
  async handlePayoutNotify(
    channelAccountId: bigint,
    inbound: InboundNotify,
    remoteIp: string,
  ): Promise<NotifyAck> {
    const received = await this.ctx.deps.orders.receiveChannelNotify(
      channelAccountId,
      inbound,
      remoteIp,
      'payout',
    );
    if ('ack' in received) return received.ack;
    const { adapter, parsed, record } = received;
    const payout = await queries.findByPayoutNo(this.ctx.db, parsed.payoutNo);
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
        await queries.insertAttempt(this.ctx.db, {
          payoutId: payout.id,
          action: 'notify',
          outcome: 'refused',
          channelAccountId,
          code: refusal,
        });
      }
      this.ctx.options.log.warn({ payoutNo: parsed.payoutNo, reason: refusal }, 'payout notify refused');
      return adapter.notifyAck(false);
    }
    const applied = await this.steps.settle.settle(payout, parsed.status, {
      action: 'notify',
      channelPayoutNo: parsed.channelPayoutNo,
      channelState: parsed.status,
      code: parsed.status === 'failed' ? 'CHANNEL_PAYOUT_FAILED' : null,
      reason: parsed.status === 'failed' ? (parsed.message ?? 'the channel failed the payout') : null,
    });
    const now = (await queries.findByPayoutNo(this.ctx.db, payout.payout_no))!;
    if (applied || now.state === parsed.status) {
      await record(applied ? 'applied' : 'duplicate', null, null);
      return adapter.notifyAck(true);
    }
    // The channel says the opposite of what we recorded (an operator marked it failed, say): money
    // may have moved that our books do not show. Nothing changes automatically; an operator looks.
    await record('refused', null, 'PAYOUT_OUTCOME_CONFLICT');
    await queries.insertAttempt(this.ctx.db, {
      payoutId: payout.id,
      action: 'notify',
      outcome: 'conflict',
      channelAccountId,
      code: 'PAYOUT_OUTCOME_CONFLICT',
      message: `recorded ${now.state}, the channel says ${parsed.status}`,
    });
    this.ctx.options.log.warn(
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
      status = await this.ctx.deps.channels.queryPayout(accountId, { payoutNo: payout.payout_no });
    } catch (error) {
      await queries.insertAttempt(this.ctx.db, {
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
      await queries.insertAttempt(this.ctx.db, {
        payoutId: payout.id,
        action,
        outcome: 'amount_mismatch',
        channelAccountId: accountId,
        code: 'CHANNEL_AMOUNT_MISMATCH',
        message: `the channel says ${status.amount}`,
      });
      this.ctx.options.log.warn({ payoutNo: payout.payout_no }, 'channel payout amount differs; left open');
      return status.status;
    }
    switch (status.status) {
      case 'not_found':
        await this.ctx.db.tx(async (q) => {
          await queries.noteChannelState(q, payout.id, 'not_found', null);
          await queries.insertAttempt(q, {
            payoutId: payout.id,
            action,
            outcome: 'not_found',
            channelAccountId: accountId,
          });
        });
        // Never taken (the answer and the payout were both lost): the same number again.
        if (payout.state === 'pending') await this.steps.submit.callChannel(payout);
        break;
      case 'submitted':
        if (payout.state === 'pending')
          await this.steps.settle.toSubmitted(payout, status.channelPayoutNo ?? null, action);
        else {
          await queries.insertAttempt(this.ctx.db, {
            payoutId: payout.id,
            action,
            outcome: 'submitted',
            channelAccountId: accountId,
          });
        }
        break;
      case 'succeeded':
      case 'failed':
        await this.steps.settle.settle(payout, status.status, {
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
    const due = await queries.claimDueForQuery(this.ctx.db, STALE_SECONDS, QUERY_BATCH);
    for (const payout of due) {
      try {
        // Never routed (the process stopped between the creating commit and submit): send it now.
        if (payout.channel_account_id === null) await this.steps.submit.send(payout);
        else await this.syncWithChannel(payout);
      } catch (error) {
        this.ctx.options.log.warn(
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
    const payout = await requireByPayoutNo(this.ctx.db, payoutNo);
    if (payout.state !== 'pending' && payout.state !== 'submitted') {
      throw new AppError('PAYOUT_STATE_INVALID', `payout ${payoutNo} is ${payout.state}`, {
        state: payout.state,
      });
    }
    await queries.insertAttempt(this.ctx.db, {
      payoutId: payout.id,
      action: 'retry',
      outcome: 'requested',
      channelAccountId: payout.channel_account_id,
      message: `by ${by}`,
    });
    if (payout.channel_account_id === null) await this.steps.submit.send(payout);
    else {
      try {
        await this.syncWithChannel(payout, 'retry');
      } catch (error) {
        throw new AppError('CHANNEL_ERROR', `the channel could not be asked: ${(error as Error).message}`);
      }
    }
    return requireByPayoutNo(this.ctx.db, payoutNo);
  }

  /**
   * Marks an open payout failed (funds back) after the operator's word. The channel is asked
   * first: refused when it says the payout succeeded (it is settled as succeeded instead).
   */
  async markFailed(payoutNo: string, reason: string, by: string): Promise<PayoutRow> {
    const payout = await requireByPayoutNo(this.ctx.db, payoutNo);
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
      const now = await requireByPayoutNo(this.ctx.db, payoutNo);
      if (now.state !== 'pending' && now.state !== 'submitted') return now;
    }
    await this.steps.settle.settle(payout, 'failed', {
      action: 'mark_failed',
      channelPayoutNo: null,
      channelState: null,
      code: 'MARKED_FAILED',
      reason,
      message: `${reason} (by ${by})`,
    });
    return requireByPayoutNo(this.ctx.db, payoutNo);
  }
}
