import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { request } from 'undici';
import { readTextUpTo } from './http-body.ts';
import type { SandboxPayment, SandboxRefund } from './payment-book.ts';
import { SANDBOX_NOTIFY_ACK, signedNotifyForm, signedRefundNotifyForm } from './protocol.ts';

/** Where one notify goes, and what names it in the logs. */
interface NotifyTarget {
  notifyUrl: string;
  tradeNo: string;
}

/** Waits after a failed attempt: +2 s, +10 s, +30 s, so at most four attempts in all. */
export const DEFAULT_NOTIFY_RETRY_DELAYS_MS: readonly number[] = [2_000, 10_000, 30_000];
/** Upper bound of one notify attempt. */
export const NOTIFY_TIMEOUT_MS = 5_000;
/** The acknowledgement is one word; anything longer is not one. */
const MAX_ACK_BYTES = 1_024;

export interface NotifierOptions {
  retryDelaysMs: readonly number[];
  keyOf: (mchId: string) => string;
  log: FastifyBaseLogger;
}

/**
 * Tells a merchant, asynchronously, how a payment ended, applying the payment's notify faults.
 * Timers and requests in flight are tracked so `stop()` leaves nothing running after shutdown.
 */
export class Notifier {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  private stopped = false;

  constructor(private readonly options: NotifierOptions) {}

  announceOutcome(payment: SandboxPayment): void {
    const { faults } = payment;
    if (this.stopped || faults.dropNotify) return;
    const form = notifyForm(payment, this.options.keyOf(payment.mchId));
    const copies = faults.duplicateNotify ?? 1;
    for (let copy = 0; copy < copies; copy += 1) {
      this.schedule(payment, form, 0, faults.notifyDelayMs ?? 0);
    }
  }

  /** Tells the merchant how a refund ended (SUCCESS or FAILED), with the payment's notify delay. */
  announceRefund(payment: SandboxPayment, refund: SandboxRefund): void {
    if (this.stopped || payment.faults.dropNotify || refund.status === 'PROCESSING') return;
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
      this.options.keyOf(payment.mchId),
      randomBytes(16).toString('hex'),
    );
    this.schedule(
      { notifyUrl: refund.notifyUrl, tradeNo: refund.refundNo },
      form,
      0,
      payment.faults.notifyDelayMs ?? 0,
    );
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
  }

  private schedule(payment: NotifyTarget, form: string, attempt: number, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(payment, form, attempt);
    }, delayMs);
    this.timers.add(timer);
  }

  private async attempt(payment: NotifyTarget, form: string, attempt: number): Promise<void> {
    if (this.stopped) return;
    const acknowledged = await this.deliver(payment, form, attempt);
    const nextDelayMs = this.options.retryDelaysMs[attempt];
    if (acknowledged || this.stopped || nextDelayMs === undefined) return;
    this.schedule(payment, form, attempt + 1, nextDelayMs);
  }

  private async deliver(payment: NotifyTarget, form: string, attempt: number): Promise<boolean> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    try {
      const response = await request(payment.notifyUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
        headersTimeout: NOTIFY_TIMEOUT_MS,
        bodyTimeout: NOTIFY_TIMEOUT_MS,
        signal: controller.signal,
      });
      const text = await readTextUpTo(response.body, MAX_ACK_BYTES);
      const acknowledged =
        response.statusCode >= 200 && response.statusCode < 300 && text?.trim() === SANDBOX_NOTIFY_ACK;
      if (!acknowledged) {
        this.options.log.info(
          { tradeNo: payment.tradeNo, attempt, status: response.statusCode },
          'notify not acknowledged',
        );
      }
      return acknowledged;
    } catch (error) {
      if (!this.stopped) {
        this.options.log.info({ tradeNo: payment.tradeNo, attempt, err: error }, 'notify failed');
      }
      return false;
    } finally {
      this.inFlight.delete(controller);
    }
  }
}

/** The signed form body; built once so every copy and retry of a notify is byte-identical. */
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
