import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * The sandbox's own wire protocol, deliberately unlike the platform's (WeChat-v2 / Jeepay style):
 * parameters are flat strings, signed as sorted `k=v` pairs with `&key=<key>` appended and an
 * uppercase-hex HMAC-SHA256 keyed by the merchant key. Shared by the sandbox server and its adapter.
 *
 * Like its models, the scheme does not escape `&` or `=` inside values, so two different parameter
 * sets can share a signing string; the server narrows this by refusing parameters it does not know.
 */

const SIGN_PATTERN = /^[0-9A-F]{64}$/;

/** The string that is signed: non-empty parameters except `sign`, sorted by key in ASCII order. */
export function sandboxSigningString(params: Record<string, string>, key: string): string {
  const pairs = Object.keys(params)
    .filter((name) => name !== 'sign' && params[name] !== '')
    // Default sort compares UTF-16 code units, which is ASCII order for ASCII keys (unlike localeCompare).
    .sort()
    .map((name) => `${name}=${params[name]}`);
  pairs.push(`key=${key}`);
  return pairs.join('&');
}

export function sandboxSign(params: Record<string, string>, key: string): string {
  return createHmac('sha256', key)
    .update(sandboxSigningString(params, key), 'utf8')
    .digest('hex')
    .toUpperCase();
}

/** True when `params.sign` is the signature of the other parameters under `key`. */
export function sandboxVerify(params: Record<string, string>, key: string): boolean {
  const given = params.sign;
  if (given === undefined || !SIGN_PATTERN.test(given)) return false;
  const expected = sandboxSign(params, key);
  // Both are 64 ASCII characters here, so the buffers have equal length as timingSafeEqual requires.
  return timingSafeEqual(Buffer.from(given, 'ascii'), Buffer.from(expected, 'ascii'));
}

/**
 * A new merchant's key: 256 random bits, issued once at registration and stored by the sandbox.
 * Never derived from the mchId or any fixed secret, so knowing an mchId gives nothing away.
 */
export function newSandboxMerchantKey(): string {
  return randomBytes(32).toString('hex');
}

/** Upper bound of every injected delay: a test may slow the sandbox down, never hang it. */
export const MAX_FAULT_DELAY_MS = 30_000;
/**
 * Upper bound of duplicated notifies for one payment: enough to test idempotency, too few to turn
 * the sandbox into an amplifier against the notify address.
 */
export const MAX_DUPLICATE_NOTIFIES = 3;
/** Upper bound of the injected amount error, far below 2^53 so the JSON number stays exact. */
export const MAX_WRONG_AMOUNT_DELTA = 1_000_000_000_000;

const delayMs = z.number().int().min(0).max(MAX_FAULT_DELAY_MS, `at most ${MAX_FAULT_DELAY_MS} ms`);

/** Faults a tester asks the sandbox to inject into one payment (sent on create as a JSON string). */
export const sandboxFaultsSchema = z.strictObject({
  /** Sleep before answering create. */
  createDelayMs: delayMs.optional(),
  /** Create the payment but answer only after 30 s, so the caller's timeout fires first. */
  createTimeout: z.boolean().optional(),
  /** Answer create with FAIL / CHANNEL_REFUSED and create nothing. */
  refuseCreate: z.boolean().optional(),
  /** Delay the first notify attempt. */
  notifyDelayMs: delayMs.optional(),
  /** Never notify; only a query tells the truth. */
  dropNotify: z.boolean().optional(),
  /** Send the same notify this many times at once. */
  duplicateNotify: z
    .number()
    .int()
    .min(1)
    .max(MAX_DUPLICATE_NOTIFIES, `at most ${MAX_DUPLICATE_NOTIFIES} copies of a notify`)
    .optional(),
  /** Add this many minor units to the notified amount (the query stays correct). */
  wrongAmountDelta: z.number().int().min(-MAX_WRONG_AMOUNT_DELTA).max(MAX_WRONG_AMOUNT_DELTA).optional(),
  /** Take refunds (answer PROCESSING) but fail them: the refund notify and the query say FAILED. */
  refundFail: z.boolean().optional(),
});

export type SandboxFaults = z.infer<typeof sandboxFaultsSchema>;

/**
 * Auth codes (B扫C: the merchant scans the code on the customer's phone). Real ones are 18 digits;
 * the sandbox takes 10–32 digits and, like test card numbers, lets the last two digits choose what
 * the customer does: `…99` the payment is declined (balance not enough), `…88` the customer must
 * confirm on the phone and does so after AUTH_CODE_CONFIRM_MS, `…77` the customer must confirm and
 * never does by themselves (the tester confirms on the pay page, or the merchant cancels); any
 * other code is paid at once.
 */
export const AUTH_CODE_PATTERN = /^\d{10,32}$/;
export type AuthCodeBehaviour = 'paid' | 'confirms_later' | 'never_confirms' | 'declined';
/** How long a `…88` customer takes to confirm on their phone. */
export const AUTH_CODE_CONFIRM_MS = 2_000;
/** Why the sandbox declines a `…99` auth code, as real providers word it. */
export const AUTH_CODE_DECLINE_REASON = 'BALANCE_NOT_ENOUGH';
/** Why the sandbox declines a pay code it has seen before: a wallet's code pays once. */
export const AUTH_CODE_USED_REASON = 'AUTH_CODE_USED';

export function authCodeBehaviour(authCode: string): AuthCodeBehaviour {
  if (authCode.endsWith('99')) return 'declined';
  if (authCode.endsWith('88')) return 'confirms_later';
  if (authCode.endsWith('77')) return 'never_confirms';
  return 'paid';
}

/** How a payment that is not paid by auth code is handed to the payer: a link, or a form to post (H5). */
export const PAY_MODES = ['url', 'form'] as const;
export type PayMode = (typeof PAY_MODES)[number];

/** Business codes of every sandbox API answer. */
export type SandboxAnswerCode =
  | 'SUCCESS'
  | 'FAIL'
  | 'NOT_FOUND'
  | 'SIGN_ERROR'
  | 'PARAM_ERROR'
  | 'AUTH_ERROR';

/** Payment statuses as the sandbox reports them on the wire. */
export type SandboxPaymentStatus = 'WAITING' | 'SUCCESS' | 'FAILED' | 'CLOSED';

/** What the platform must answer to a notify for the sandbox to stop retrying. */
export const SANDBOX_NOTIFY_ACK = 'SUCCESS';

export interface SandboxNotifyFields {
  mchId: string;
  outTradeNo: string;
  tradeNo: string;
  amount: bigint;
  currency: string;
  status: 'SUCCESS' | 'FAILED';
  paidAt: Date | null;
}

/** The signed form body of a payment notify, exactly as the sandbox sends it. */
export function signedNotifyForm(fields: SandboxNotifyFields, key: string, nonce: string): string {
  const params: Record<string, string> = {
    mchId: fields.mchId,
    outTradeNo: fields.outTradeNo,
    tradeNo: fields.tradeNo,
    amount: fields.amount.toString(),
    currency: fields.currency,
    status: fields.status,
    paidAt: fields.paidAt?.toISOString() ?? '',
    nonce,
  };
  params.sign = sandboxSign(params, key);
  return new URLSearchParams(params).toString();
}

/** Refund statuses as the sandbox reports them on the wire. */
export type SandboxRefundStatus = 'PROCESSING' | 'SUCCESS' | 'FAILED';

/** Marks a notify as a refund's (payment notifies carry no notifyType). */
export const SANDBOX_REFUND_NOTIFY_TYPE = 'REFUND';

export interface SandboxRefundNotifyFields {
  mchId: string;
  outTradeNo: string;
  outRefundNo: string;
  refundNo: string;
  amount: bigint;
  currency: string;
  status: 'SUCCESS' | 'FAILED';
  refundedAt: Date | null;
  failReason: string | null;
}

/** The signed form body of a refund notify, exactly as the sandbox sends it. */
export function signedRefundNotifyForm(
  fields: SandboxRefundNotifyFields,
  key: string,
  nonce: string,
): string {
  const params: Record<string, string> = {
    notifyType: SANDBOX_REFUND_NOTIFY_TYPE,
    mchId: fields.mchId,
    outTradeNo: fields.outTradeNo,
    outRefundNo: fields.outRefundNo,
    refundNo: fields.refundNo,
    amount: fields.amount.toString(),
    currency: fields.currency,
    status: fields.status,
    refundedAt: fields.refundedAt?.toISOString() ?? '',
    failReason: fields.failReason ?? '',
    nonce,
  };
  params.sign = sandboxSign(params, key);
  return new URLSearchParams(params).toString();
}

/**
 * How the sandbox ends a payout, set per channel account (config.payoutOutcome) and sent with each
 * payout: at once (`succeed`, `fail`), after PAYOUT_DECIDE_MS with a notify (`async_succeed`,
 * `async_fail`), or `lost`: the payout is taken (and succeeds) but the answer never comes back in
 * time and no notify is sent; only a query tells the truth.
 */
export const PAYOUT_OUTCOMES = ['succeed', 'fail', 'async_succeed', 'async_fail', 'lost'] as const;
export type PayoutOutcome = (typeof PAYOUT_OUTCOMES)[number];
export const DEFAULT_PAYOUT_OUTCOME: PayoutOutcome = 'async_succeed';
/** How long an asynchronous payout stays PROCESSING before its outcome (and notify). */
export const PAYOUT_DECIDE_MS = 1_000;
/** Why the sandbox fails a payout, as banks word it. */
export const PAYOUT_FAIL_REASON = 'PAYEE_ACCOUNT_ABNORMAL';

/** Payout statuses as the sandbox reports them on the wire. */
export type SandboxPayoutStatus = 'PROCESSING' | 'SUCCESS' | 'FAILED';

/** Marks a notify as a payout's. */
export const SANDBOX_PAYOUT_NOTIFY_TYPE = 'PAYOUT';

export interface SandboxPayoutNotifyFields {
  mchId: string;
  outPayoutNo: string;
  payoutNo: string;
  amount: bigint;
  currency: string;
  status: 'SUCCESS' | 'FAILED';
  paidAt: Date | null;
  failReason: string | null;
}

/** The signed form body of a payout notify, exactly as the sandbox sends it. */
export function signedPayoutNotifyForm(
  fields: SandboxPayoutNotifyFields,
  key: string,
  nonce: string,
): string {
  const params: Record<string, string> = {
    notifyType: SANDBOX_PAYOUT_NOTIFY_TYPE,
    mchId: fields.mchId,
    outPayoutNo: fields.outPayoutNo,
    payoutNo: fields.payoutNo,
    amount: fields.amount.toString(),
    currency: fields.currency,
    status: fields.status,
    paidAt: fields.paidAt?.toISOString() ?? '',
    failReason: fields.failReason ?? '',
    nonce,
  };
  params.sign = sandboxSign(params, key);
  return new URLSearchParams(params).toString();
}
