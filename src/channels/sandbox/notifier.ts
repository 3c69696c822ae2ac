import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { Agent, request } from 'undici';
import { assertPublicLiteral, publicOnlyLookup } from '../../notify/address-guard.ts';
import { readTextUpTo } from '../http-body.ts';
import type { SandboxPayment, SandboxRefund } from './payment-book.ts';
import type { SandboxPayout } from './payout-book.ts';
import {
  SANDBOX_NOTIFY_ACK,
  signedNotifyForm,
  signedPayoutNotifyForm,
  signedRefundNotifyForm,
} from './protocol.ts';
import type { PendingNotify, SandboxStore } from './store.ts';

/** Waits after a failed attempt: +2 s, +10 s, +30 s, so at most four attempts in all. */
export const DEFAULT_NOTIFY_RETRY_DELAYS_MS: readonly number[] = [2_000, 10_000, 30_000];
/** Upper bound of one notify attempt. */
export const NOTIFY_TIMEOUT_MS = 5_000;
/** The acknowledgement is one word; anything longer is not one. */
const MAX_ACK_BYTES = 1_024;

export interface NotifierOptions {
  retryDelaysMs: readonly number[];
  store: SandboxStore;
  /**
   * Whether notifies may go to loopback and private networks. The notify URL is whatever the
   * sandbox's caller sent, so, like merchant notifies, it may only reach public addresses unless
   * the platform allows private ones (the embedded demo).
   */
  allowPrivateAddresses: boolean;
  /**
   * The origin of the platform this sandbox is mounted in, if any: notifies to it pass the guard.
   * It is the platform's own public address, which anyone can reach anyway, whatever it resolves to.
   */
  hostOrigin?: () => string | null;
  log: FastifyBaseLogger;
}

/** True when `url` is on the host platform's origin (see NotifierOptions.hostOrigin). */
export function isHostOrigin(url: string, hostOrigin: (() => string | null) | undefined): boolean {
  const host = hostOrigin?.() ?? null;
  if (host === null) return false;
  try {
    return new URL(url).origin === new URL(host).origin;
  } catch {
    return false;
  }
}

/**
 * Tells a merchant, asynchronously, how a payment or refund ended, applying the payment's notify
 * faults. A notify is first written to the store with the change it announces (so a crash does not
 * lose it), then sent, retried, and removed once acknowledged or out of retries. Timers and
 * requests in flight are tracked so `stop()` leaves nothing running after shutdown.
 */
export class Notifier {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  /** Connections for notifies: public addresses only unless private ones are allowed. */
  private readonly dispatcher: Agent;
  /** Connections to the host platform itself (see NotifierOptions.hostOrigin). */
  private readonly hostDispatcher = new Agent();
  private stopped = false;

  constructor(private readonly options: NotifierOptions) {
    this.dispatcher = new Agent(
      options.allowPrivateAddresses ? {} : { connect: { lookup: publicOnlyLookup } },
    );
  }

  /** The notifies (copies included) announcing how a payment ended; none when the fault drops them. */
  outcomeNotifies(payment: SandboxPayment, key: string, now: Date): PendingNotify[] {
    const { faults } = payment;
    if (faults.dropNotify) return [];
    // Built once, so every copy and retry of a notify is byte-identical.
    const form = notifyForm(payment, key);
    const dueAt = new Date(now.getTime() + (faults.notifyDelayMs ?? 0));
    return Array.from({ length: faults.duplicateNotify ?? 1 }, () => ({
      id: randomUUID(),
      tradeNo: payment.tradeNo,
      notifyUrl: payment.notifyUrl,
      form,
      attempt: 0,
      dueAt,
    }));
  }

  /** The notify telling how a refund ended (SUCCESS or FAILED), with the payment's notify delay. */
  refundNotifies(payment: SandboxPayment, refund: SandboxRefund, key: string, now: Date): PendingNotify[] {
    if (payment.faults.dropNotify || refund.status === 'PROCESSING') return [];
    const form = signedRefundNotifyForm(
      {
        mchId: payment.mchId,
        outTradeNo: payment.outTradeNo,
        outRefundNo: refund.outRefundNo,
        refundNo: refund.refundNo,
        amount: refund.amount,
        currency: payment.currency,
        status: refund.status,
        refundedAt: refund.refundedAt,
        failReason: refund.failReason,
      },
      key,
      randomBytes(16).toString('hex'),
    );
    const dueAt = new Date(now.getTime() + (payment.faults.notifyDelayMs ?? 0));
    return [
      { id: randomUUID(), tradeNo: refund.refundNo, notifyUrl: refund.notifyUrl, form, attempt: 0, dueAt },
    ];
  }

  /**
   * The notify telling how a payout ended, due when its outcome shows. Only the asynchronous
   * outcomes are notified: a synchronous one was in the answer, and a `lost` one is told by query only.
   */
  payoutNotifies(payout: SandboxPayout, key: string): PendingNotify[] {
    if (payout.outcome !== 'async_succeed' && payout.outcome !== 'async_fail') return [];
    const form = signedPayoutNotifyForm(
      {
        mchId: payout.mchId,
        outPayoutNo: payout.outPayoutNo,
        payoutNo: payout.payoutNo,
        amount: payout.amount,
        currency: payout.currency,
        status: payout.finalStatus,
        paidAt: payout.finalStatus === 'SUCCESS' ? payout.decideAt : null,
        failReason: payout.failReason,
      },
      key,
      randomBytes(16).toString('hex'),
    );
    return [
      {
        id: randomUUID(),
        tradeNo: payout.payoutNo,
        notifyUrl: payout.notifyUrl,
        form,
        attempt: 0,
        dueAt: payout.decideAt,
      },
    ];
  }

  /** Sends stored notifies when they are due (new ones, or those an earlier process left). */
  dispatch(notifies: PendingNotify[]): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const notify of notifies) this.schedule(notify, Math.max(0, notify.dueAt.getTime() - now));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
    await Promise.all([this.dispatcher.close(), this.hostDispatcher.close()]);
  }

  private schedule(notify: PendingNotify, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(notify).catch((error) => {
        // The store is the platform's database: when it is away the notify stays stored (sent
        // again after the next start) and, if it needs another attempt, that is already scheduled.
        if (!this.stopped)
          this.options.log.warn({ tradeNo: notify.tradeNo, err: error }, 'notify bookkeeping failed');
      });
    }, delayMs);
    this.timers.add(timer);
  }

  private async attempt(notify: PendingNotify): Promise<void> {
    if (this.stopped) return;
    const outcome = await this.deliver(notify);
    if (this.stopped) return;
    const nextDelayMs = this.options.retryDelaysMs[notify.attempt];
    if (outcome !== 'retry' || nextDelayMs === undefined) {
      await this.options.store.notifyDone(notify.id);
      return;
    }
    const next = { ...notify, attempt: notify.attempt + 1, dueAt: new Date(Date.now() + nextDelayMs) };
    // Scheduled before it is stored: with the database away the retry still goes out from memory
    // (the stored copy, one attempt behind, only matters to a process started after a crash).
    this.schedule(next, nextDelayMs);
    await this.options.store.notifyRetry(next.id, next.attempt, next.dueAt);
  }

  private async deliver(notify: PendingNotify): Promise<'acknowledged' | 'retry' | 'refused'> {
    const { tradeNo, attempt } = notify;
    const toHost = isHostOrigin(notify.notifyUrl, this.options.hostOrigin);
    if (!this.options.allowPrivateAddresses && !toHost) {
      try {
        assertPublicLiteral(notify.notifyUrl);
      } catch (error) {
        this.options.log.warn({ tradeNo, err: error }, 'notify refused: not a public address');
        return 'refused';
      }
    }
    const controller = new AbortController();
    this.inFlight.add(controller);
    try {
      const response = await request(notify.notifyUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: notify.form,
        headersTimeout: NOTIFY_TIMEOUT_MS,
        bodyTimeout: NOTIFY_TIMEOUT_MS,
        signal: controller.signal,
        dispatcher: toHost ? this.hostDispatcher : this.dispatcher,
      });
      const text = await readTextUpTo(response.body, MAX_ACK_BYTES);
      const acknowledged =
        response.statusCode >= 200 && response.statusCode < 300 && text?.trim() === SANDBOX_NOTIFY_ACK;
      if (!acknowledged) {
        this.options.log.info({ tradeNo, attempt, status: response.statusCode }, 'notify not acknowledged');
      }
      return acknowledged ? 'acknowledged' : 'retry';
    } catch (error) {
      if (this.stopped) return 'retry';
      if (isPrivateAddressRefusal(error)) {
        // A name that resolves to a private address does not become public by retrying.
        this.options.log.warn({ tradeNo, err: error }, 'notify refused: not a public address');
        return 'refused';
      }
      this.options.log.info({ tradeNo, attempt, err: error }, 'notify failed');
      return 'retry';
    } finally {
      this.inFlight.delete(controller);
    }
  }
}

function isPrivateAddressRefusal(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e.name === 'PrivateAddressError') return true;
  }
  return false;
}

function notifyForm(payment: SandboxPayment, key: string): string {
  return signedNotifyForm(
    {
      mchId: payment.mchId,
      outTradeNo: payment.outTradeNo,
      tradeNo: payment.tradeNo,
      amount: payment.amount + BigInt(payment.faults.wrongAmountDelta ?? 0),
      currency: payment.currency,
      status: payment.status === 'SUCCESS' ? 'SUCCESS' : 'FAILED',
      paidAt: payment.paidAt,
    },
    key,
    randomBytes(16).toString('hex'),
  );
}
