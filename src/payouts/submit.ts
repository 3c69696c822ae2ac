import type { ChannelGateway } from '../channels/gateway.ts';
import type { BankAccount } from '../channels/types.ts';
import { AppError } from '../errors.ts';
import * as settingsQueries from '../settings/queries.ts';
import { type PayoutContext, type PayoutSteps, payeePlace } from './context.ts';
import type { PayoutRow } from './queries.ts';
import * as queries from './queries.ts';

/** Defined by the settlement domain; read here with the same default until it is. */
export const SETTLE_TEST_ORDERS_SETTING = 'settlement.settleTestOrders';

/**
 * Routing a payout to a payout-enabled channel account and calling the channel, outside any
 * transaction, with our payout number as its idempotency key. An answer that is lost leaves the
 * payout pending with its account; the query job (sync.ts) asks about it.
 */
export class SubmitPayouts {
  constructor(
    private readonly ctx: PayoutContext,
    private readonly steps: PayoutSteps,
  ) {}

  /**
   * After the creating transaction committed: routes the payout to a payout-enabled channel
   * account (when it has none) and calls the channel. Never inside a transaction. A payout that is
   * not pending, or whose channel answer is awaited, is left as it is.
   */
  async submit(payoutNo: string): Promise<void> {
    const payout = await queries.findByPayoutNo(this.ctx.db, payoutNo);
    if (payout?.state === 'pending') await this.send(payout);
  }

  /** Whether payouts may use a test (sandbox) account: the platform's `settlement.settleTestOrders`. */
  async testAccountsAllowed(): Promise<boolean> {
    const value = await settingsQueries.getSetting(this.ctx.db, SETTLE_TEST_ORDERS_SETTING);
    if (value === null) return this.ctx.options.settleTestOrdersDefault;
    try {
      return JSON.parse(value) === true;
    } catch {
      return value === 'true';
    }
  }

  /** The account a new payout goes to: the first eligible one. NO_PAYOUT_CHANNEL when none is. */
  async chooseAccount(): Promise<{ id: bigint; name: string }> {
    const allowTest = await this.testAccountsAllowed();
    const account = (await this.ctx.deps.catalog.payoutAccounts()).find((a) => allowTest || !a.testAccount);
    if (!account) {
      throw new AppError('NO_PAYOUT_CHANNEL', 'no channel account is enabled for payouts');
    }
    return account;
  }

  /** Routes (when needed) and calls the channel; outside any transaction. */
  async send(payout: PayoutRow): Promise<void> {
    let row = payout;
    if (row.channel_account_id === null) {
      let account: { id: bigint };
      try {
        account = await this.chooseAccount();
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'NO_PAYOUT_CHANNEL') throw error;
        // Nothing can pay it: the money goes back at once instead of waiting for nobody.
        await this.steps.settle.settle(row, 'failed', {
          action: 'route',
          channelPayoutNo: null,
          channelState: null,
          code: 'NO_PAYOUT_CHANNEL',
          reason: 'no channel account is enabled for payouts',
        });
        return;
      }
      const chosen = await this.ctx.db.tx(async (q) => {
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
  async callChannel(payout: PayoutRow): Promise<void> {
    const accountId = payout.channel_account_id!;
    let result: Awaited<ReturnType<ChannelGateway['payout']>>;
    try {
      result = await this.ctx.deps.channels.payout(accountId, {
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
          await this.steps.settle.settle(payout, result.status, {
            action: 'submit',
            channelPayoutNo: result.channelPayoutNo,
            channelState: result.status,
            code: result.status === 'failed' ? 'CHANNEL_PAYOUT_FAILED' : null,
            reason: result.status === 'failed' ? (result.message ?? 'the channel failed the payout') : null,
          });
        } else {
          await this.steps.settle.toSubmitted(payout, result.channelPayoutNo, 'submit');
        }
        return;
      case 'refused':
        this.ctx.options.log.warn(
          { payoutNo: payout.payout_no, code: result.code },
          'channel refused the payout',
        );
        await this.steps.settle.settle(payout, 'failed', {
          action: 'submit',
          channelPayoutNo: null,
          channelState: 'refused',
          code: result.code,
          reason: result.message,
        });
        return;
      case 'unknown':
        // The channel may have taken it: stays pending with its account, the query job asks.
        this.ctx.options.log.warn(
          { payoutNo: payout.payout_no, code: result.code, message: result.message },
          'channel payout answer unknown; will query',
        );
        await this.ctx.db.tx(async (q) => {
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
      accountNo: this.ctx.deps.secrets.decrypt(payout.payee_account_no_enc, payeePlace(payout.id)),
      bankName: payout.payee_bank_name,
      bankBranch: payout.payee_bank_branch,
      type: payout.payee_type,
    };
  }
}
