import type { Queryable } from '../db/index.ts';
import type { PayoutContext, WithdrawalOutcome, WithdrawalOutcomeListener } from './context.ts';
import { paidPosting, returnedPosting, settleAccounts } from './postings.ts';
import type { PayoutRow } from './queries.ts';
import * as queries from './queries.ts';
import { payoutView } from './views.ts';

/**
 * A payout's state changes: pending → submitted, and pending / submitted → succeeded or failed,
 * each a compare-and-set in one transaction with its posting, its attempt row and the merchant
 * notify or, for a withdrawal, the withdrawals domain's listeners.
 */
export class SettlePayouts {
  private readonly withdrawalListeners: WithdrawalOutcomeListener[] = [];

  constructor(private readonly ctx: PayoutContext) {}

  /** Withdrawals listen for outcomes; called inside the payout's own transaction. */
  onWithdrawalOutcome(listener: WithdrawalOutcomeListener): void {
    this.withdrawalListeners.push(listener);
  }

  /** pending → submitted, with its attempt and (withdrawals) the listeners. */
  async toSubmitted(payout: PayoutRow, channelPayoutNo: string | null, action: string): Promise<void> {
    await this.ctx.db.tx(async (q) => {
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
  async settle(
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
    await this.ctx.deps.ledger.openAccounts(settleAccounts(payout));
    const applied = await this.ctx.db.tx(async (q) => {
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
      await this.ctx.deps.ledger.post(q, to === 'succeeded' ? paidPosting(row) : returnedPosting(row));
      if (row.kind === 'withdrawal') {
        await this.tellWithdrawals(q, row, to);
      } else {
        const event = `payout.${to}`;
        if (row.notify_url && row.app_id) {
          await this.ctx.deps.notify.enqueue(q, {
            // A third-party payout is always a merchant's (migration 028's check).
            merchantId: row.merchant_id!,
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
    if (applied?.kind === 'payout') this.ctx.deps.notify.wake();
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
}
