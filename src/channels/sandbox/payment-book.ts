import type { SandboxFaults, SandboxPaymentStatus, SandboxRefundStatus } from './protocol.ts';

/**
 * The sandbox's payments and the rules that change them. `PaymentBook` keeps them in memory (the
 * standalone sandbox, which forgets them when it restarts); the in-process sandbox keeps them in
 * its own tables (store.ts). A forgotten payment answers NOT_FOUND, which the platform already has
 * to handle for a real provider.
 */

/** Bound on remembered payments; past it the oldest is forgotten so a long demo cannot exhaust memory. */
export const MAX_PAYMENTS = 100_000;

export interface SandboxPayment {
  readonly tradeNo: string;
  readonly mchId: string;
  readonly outTradeNo: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly subject: string;
  readonly notifyUrl: string;
  readonly expireAt: Date;
  readonly faults: SandboxFaults;
  status: SandboxPaymentStatus;
  /** Why a CLOSED payment is closed: the merchant closed it, or nobody paid before expireAt. */
  closedBy: 'merchant' | 'expiry' | null;
  paidAt: Date | null;
  /** Refunds of this payment, oldest first. */
  refunds: SandboxRefund[];
  /** Set when the merchant scanned the customer's code (B扫C) instead of showing a pay page. */
  readonly authCode: string | null;
  /** Why a FAILED payment failed (a declined auth code). */
  failReason: string | null;
  /** Changes saved so far: a stored payment is saved only if nobody saved it since it was read. */
  version: number;
}

export interface SandboxRefund {
  readonly refundNo: string;
  readonly outRefundNo: string;
  readonly amount: bigint;
  readonly notifyUrl: string;
  status: SandboxRefundStatus;
  refundedAt: Date | null;
  failReason: string | null;
}

export type NewPayment = Omit<
  SandboxPayment,
  'tradeNo' | 'status' | 'closedBy' | 'paidAt' | 'refunds' | 'failReason' | 'version'
>;

export type PayerDecision = 'success' | 'fail';

export class PaymentBook {
  private readonly byTradeNo = new Map<string, SandboxPayment>();
  private readonly byMerchantOrder = new Map<string, SandboxPayment>();

  constructor(private readonly maxPayments: number = MAX_PAYMENTS) {}

  get size(): number {
    return this.byTradeNo.size;
  }

  open(fields: NewPayment): SandboxPayment {
    if (this.byTradeNo.size >= this.maxPayments) this.forgetOldest();
    const payment = newPayment(fields, nextTradeNo());
    this.byTradeNo.set(payment.tradeNo, payment);
    this.byMerchantOrder.set(merchantOrderKey(payment.mchId, payment.outTradeNo), payment);
    return payment;
  }

  findByTradeNo(tradeNo: string, now: Date = new Date()): SandboxPayment | undefined {
    return expireIfDue(this.byTradeNo.get(tradeNo), now);
  }

  /** Every remembered payment, oldest first. */
  payments(): IterableIterator<SandboxPayment> {
    return this.byTradeNo.values();
  }

  findByMerchantOrder(mchId: string, outTradeNo: string, now: Date = new Date()): SandboxPayment | undefined {
    return expireIfDue(this.byMerchantOrder.get(merchantOrderKey(mchId, outTradeNo)), now);
  }

  private forgetOldest(): void {
    // Maps iterate in insertion order, so the first entry is the oldest payment.
    const oldest = this.byTradeNo.values().next();
    if (oldest.done) return;
    this.byTradeNo.delete(oldest.value.tradeNo);
    this.byMerchantOrder.delete(merchantOrderKey(oldest.value.mchId, oldest.value.outTradeNo));
  }
}

/** A new WAITING payment under the given trade number. */
export function newPayment(fields: NewPayment, tradeNo: string): SandboxPayment {
  return {
    ...fields,
    tradeNo,
    status: 'WAITING',
    closedBy: null,
    paidAt: null,
    refunds: [],
    failReason: null,
    version: 0,
  };
}

/**
 * Takes a refund of a paid payment, idempotent on (payment, outRefundNo): a retry with the same
 * amount gets the refund it made before. Refunds that did not fail may not exceed the payment.
 */
export function takeRefund(
  payment: SandboxPayment,
  request: { outRefundNo: string; amount: bigint; notifyUrl: string; fail: boolean },
  now: Date,
): { ok: true; refund: SandboxRefund; created: boolean } | { ok: false; reason: string } {
  const existing = payment.refunds.find((r) => r.outRefundNo === request.outRefundNo);
  if (existing !== undefined) {
    return existing.amount === request.amount
      ? { ok: true, refund: existing, created: false }
      : { ok: false, reason: 'OUT_REFUND_NO_USED' };
  }
  if (payment.status !== 'SUCCESS') return { ok: false, reason: 'NOT_PAID' };
  const taken = payment.refunds.filter((r) => r.status !== 'FAILED').reduce((sum, r) => sum + r.amount, 0n);
  if (taken + request.amount > payment.amount) return { ok: false, reason: 'REFUND_EXCEEDS_PAYMENT' };
  const refund: SandboxRefund = {
    refundNo: nextTradeNo().replace(/^SB/, 'SR'),
    outRefundNo: request.outRefundNo,
    amount: request.amount,
    notifyUrl: request.notifyUrl,
    // Refunds are asynchronous: the outcome is decided now and told by notify (and query).
    status: request.fail ? 'FAILED' : 'SUCCESS',
    refundedAt: request.fail ? null : now,
    failReason: request.fail ? 'REFUND_FAILED_BY_FAULT' : null,
  };
  payment.refunds.push(refund);
  return { ok: true, refund, created: true };
}

let lastTradeSequence = 0;

/**
 * 'SB' + microsecond-scale digits that only grow, so trade numbers sort by creation time and never
 * repeat within a process (a stored sandbox also has the table's key behind it, for other nodes).
 * Date.now() × 1000 stays below 2^53 until the year 2255.
 */
export function nextTradeNo(): string {
  lastTradeSequence = Math.max(Date.now() * 1000, lastTradeSequence + 1);
  return `SB${lastTradeSequence}`;
}

/** The payer's choice on the pay page; true when it changed the payment (only a WAITING one changes). */
export function settleByPayer(payment: SandboxPayment, decision: PayerDecision, now: Date): boolean {
  expireIfDue(payment, now);
  if (payment.status !== 'WAITING') return false;
  if (decision === 'success') {
    payment.status = 'SUCCESS';
    payment.paidAt = now;
  } else {
    payment.status = 'FAILED';
  }
  return true;
}

/** The customer's wallet refused an auth-code payment. */
export function declineByPayer(payment: SandboxPayment, reason: string): boolean {
  if (payment.status !== 'WAITING') return false;
  payment.status = 'FAILED';
  payment.failReason = reason;
  return true;
}

/** A merchant's close: a paid payment cannot be closed; a failed one already can never be paid. */
export function closeByMerchant(payment: SandboxPayment, now: Date): 'closed' | 'already_paid' {
  expireIfDue(payment, now);
  if (payment.status === 'SUCCESS') return 'already_paid';
  if (payment.status === 'WAITING') {
    payment.status = 'CLOSED';
    payment.closedBy = 'merchant';
  }
  return 'closed';
}

/** Expiry is applied lazily, whenever a payment is looked at, instead of by a sweeping timer. */
export function expireIfDue(payment: SandboxPayment | undefined, now: Date): SandboxPayment | undefined {
  if (payment?.status === 'WAITING' && now.getTime() >= payment.expireAt.getTime()) {
    payment.status = 'CLOSED';
    payment.closedBy = 'expiry';
  }
  return payment;
}

function merchantOrderKey(mchId: string, outTradeNo: string): string {
  // NUL cannot occur in either identifier (both are validated ASCII), so the pair is unambiguous.
  return `${mchId}\u0000${outTradeNo}`;
}
