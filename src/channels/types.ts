import type { z } from 'zod';

/**
 * One upstream payment provider. An adapter maps our requests to the provider's wire format and
 * its answers back through explicit tables; it holds no state and touches no table: the orders
 * service persists what it returns. Adding a channel = one folder under src/channels + a line in
 * registry.ts.
 */
export interface ChannelAdapter {
  /** Stable code stored on channels, e.g. `sandbox`. */
  readonly code: string;
  readonly name: string;
  /** Validates the credentials an operator saves on a channel account (kept encrypted). */
  readonly credentialsSchema: z.ZodType<Record<string, unknown>>;
  /** Validates the non-secret settings of a channel account (fault injection for the sandbox, …). */
  readonly configSchema: z.ZodType<Record<string, unknown>>;
  /** Whether createPayment takes a customer's scanned pay code (B扫C); routing skips it for those otherwise. */
  readonly supportsAuthCode: boolean;
  /**
   * A test channel (the sandbox): no real money moves. Its channel accounts are test accounts and
   * their orders test orders, never settled and left out of statistics.
   */
  readonly testChannel?: boolean;
  /** Whether the provider pays out to bank accounts (代付): `payout` and `queryPayout` are present. */
  readonly supportsPayout?: boolean;
  /**
   * The pay ways (products' `payWay`) the provider serves; routing never sends an order of another
   * way to this adapter, and a product cannot be bound to an account whose adapter lacks its way.
   */
  readonly payWays: readonly PayWay[];
  /** The credential fields the console's channel-account form shows, in order (see CredentialField). */
  readonly credentialFields: readonly CredentialField[];

  /**
   * Proves the credentials and the network without moving money: a signed query of an order that
   * does not exist, whose well-signed "not found" answer is success.
   */
  testConnection(ctx: ChannelContext): Promise<ConnectionTestResult>;
  /** Downloads the provider's statement of one day (its own time zone), for reconciliation. */
  fetchStatement?(ctx: ChannelContext, request: StatementRequest): Promise<ChannelStatement>;
  /**
   * Reads a statement file of the provider's format that an operator downloaded by hand (the same
   * reading fetchStatement does after its download); throws when the file is not one.
   */
  parseStatement?(file: Buffer, request: StatementRequest): StatementFile;

  /** Opens a payment at the provider. Idempotent on `orderNo` at the provider's side. */
  createPayment(ctx: ChannelContext, request: CreatePaymentRequest): Promise<CreatePaymentResult>;
  /** Asks the provider for the payment's current status. Safe to repeat. */
  queryPayment(ctx: ChannelContext, request: PaymentReference): Promise<PaymentStatusResult>;
  /** Closes an unpaid payment so it can no longer be paid. Safe to repeat. */
  closePayment(ctx: ChannelContext, request: PaymentReference): Promise<ClosePaymentResult>;
  /**
   * Asks the provider to refund part or all of a paid payment. Idempotent on `refundNo` at the
   * provider's side. The outcome usually arrives later, by a refund notify or a query.
   */
  createRefund(ctx: ChannelContext, request: CreateRefundRequest): Promise<CreateRefundResult>;
  /** Asks the provider for a refund's current status. Safe to repeat. */
  queryRefund(ctx: ChannelContext, request: RefundReference): Promise<RefundStatusResult>;
  /**
   * Pays `amount` to a bank account (代付). Idempotent on `payoutNo` at the provider's side: a retry
   * after an unknown outcome sends the same number, so the payee is never paid twice.
   */
  payout?(ctx: ChannelContext, request: PayoutRequest): Promise<PayoutResult>;
  /** Asks the provider for a payout's current status. Safe to repeat. */
  queryPayout?(ctx: ChannelContext, request: PayoutReference): Promise<PayoutStatusResult>;
  /**
   * Verifies an inbound notify's signature and normalises it: a payment's outcome or a refund's.
   * Throws NotifyRejected when unverifiable.
   */
  parseNotify(ctx: ChannelContext, notify: InboundNotify): ParsedAnyNotify | Promise<ParsedAnyNotify>;
  /** What the provider expects back once a notify is handled (or refused). */
  notifyAck(accepted: boolean): NotifyAck;
}

export interface ChannelContext {
  channelAccountId: bigint;
  credentials: Record<string, unknown>;
  config: Record<string, unknown>;
  /** Where the provider must send async notifies for this account. */
  notifyUrl: string;
  /** Where the provider must send async refund notifies for this account. */
  refundNotifyUrl: string;
  /** Where the provider must send async payout notifies for this account (absent: no payouts). */
  payoutNotifyUrl?: string;
  /** Our own public base URL (no trailing slash). */
  publicUrl: string;
  /** Upper bound of one call to the provider. */
  timeoutMs: number;
}

/**
 * How the payer pays: Jeepay's way codes, which merchants moving from Jeepay already send. A
 * product has one; `*_BAR` products take the customer's pay code (B扫C) and nothing else; an order
 * of another way that carries a pay code is paid by the same wallet's pay-code method.
 */
export const PAY_WAYS = [
  'ALI_QR', // 支付宝扫码 (C扫B): a QR code the payer scans → payData qr
  'ALI_WAP', // 支付宝 H5 (mobile browser) → payData url or form
  'ALI_PC', // 支付宝电脑网站 (desktop page) → payData form or url
  'ALI_BAR', // 支付宝付款码 (B扫C): the merchant scans the payer's code
  'WX_NATIVE', // 微信扫码 (Native, C扫B) → payData qr (code_url)
  'WX_H5', // 微信 H5 (mobile browser outside WeChat) → payData url (h5_url)
  'WX_JSAPI', // 微信公众号/JSAPI (inside WeChat; needs extra.openid) → payData jsapi
  'WX_BAR', // 微信付款码 (B扫C)
] as const;
export type PayWay = (typeof PAY_WAYS)[number];

/** The wallet of a pay way: an adapter paying a pay code uses this wallet's pay-code method. */
export function walletOf(way: PayWay): 'alipay' | 'wechat' {
  return way.startsWith('ALI_') ? 'alipay' : 'wechat';
}

/** Words for the console, in both languages; the console picks by the user's language. */
export interface Words {
  zh: string;
  en: string;
}

/**
 * One field of an adapter's credentials as the console shows it. `secret` and `pem` fields are
 * write-only: never sent back to the console (it shows "saved" and a blank input; blank on save
 * keeps the stored value). Validation is the adapter's `credentialsSchema` (PEMs parsed there).
 */
export interface CredentialField {
  /** The key in the credentials object. */
  key: string;
  label: Words;
  kind: 'text' | 'secret' | 'pem' | 'url' | 'choice';
  required: boolean;
  help?: Words;
  placeholder?: string;
  /** For `choice`: the values and their words. */
  choices?: { value: string; label: Words }[];
  /** For `url`: what a blank field means (the production gateway). */
  defaultValue?: string;
}

export type ConnectionTestResult =
  /** The provider answered a signed request and its answer's signature verified. */
  | { ok: true; message: string }
  /**
   * CHANNEL_UNREACHABLE / CHANNEL_TIMEOUT (network), CHANNEL_BAD_SIGNATURE (our keys or theirs do not
   * match), CHANNEL_AUTH_FAILED (the provider refused our signature or app id), INVALID_CREDENTIALS.
   */
  | { ok: false; code: string; message: string };

export interface StatementRequest {
  /** The provider's business day, `yyyy-MM-dd` (Asia/Shanghai for both Chinese wallets). */
  date: string;
}

/** One line of a provider's statement: a payment or a refund as the provider booked it. */
export interface StatementLine {
  kind: 'payment' | 'refund';
  /** Our order number (out_trade_no). */
  orderNo: string;
  channelOrderNo: string | null;
  /** Our refund number, for refunds. */
  refundNo: string | null;
  /** Positive minor units: what was paid, or what was refunded. */
  amount: bigint;
  /** The provider's fee on the line, minor units (negative on a refund when the fee is returned). */
  fee: bigint | null;
  at: Date;
  /**
   * What the provider says became of it; absent in formats that list only what succeeded (Alipay's
   * and WeChat Pay's trade statements).
   */
  status?: StatementLineStatus;
}

/** A statement line's outcome as the provider reports it. */
export type StatementLineStatus = 'success' | 'failed' | 'closed' | 'processing';

/**
 * A statement file's own summary (its footer), as the provider wrote it: checked against the sum of
 * its lines, so a file cut short or edited is noticed.
 */
export interface StatementTotals {
  paymentCount: number;
  /** Minor units of the successful payment lines. */
  paymentAmount: bigint;
  refundCount: number;
  refundAmount: bigint;
  /** Sum of the lines' fees (refund fees are negative), when the file states one. */
  fee: bigint | null;
}

/**
 * What a statement file's own summary states, in the terms of {@link StatementTotals}. A figure the
 * format does not state is null (or absent) and is not compared; a format that states a figure only
 * in another shape gives it in `lineCount` or `netAmount`.
 */
export interface StatedTotals {
  paymentCount: number | null;
  paymentAmount: bigint | null;
  refundCount: number | null;
  refundAmount: bigint | null;
  fee: bigint | null;
  /** Successful payment and refund lines together, where the format counts only both at once. */
  lineCount?: number | null;
  /** Payment amount less refund amount, where the format states only the net of the two. */
  netAmount?: bigint | null;
}

/**
 * A statement file an operator uploaded, as its adapter reads it. Its lines may be read from the
 * file again each time they are iterated (a large day is never held whole); iterate them, don't index.
 */
export interface StatementFile {
  date: string;
  lines: Iterable<StatementLine>;
  /** The file's own summary, when its format has one. */
  totals?: StatedTotals;
}

export interface ChannelStatement {
  date: string;
  lines: StatementLine[];
  /** The provider's file as downloaded (decoded to UTF-8), kept for an operator to read. */
  raw: string;
  /** The file's own summary, when its format has one. */
  totals?: StatedTotals;
}

export interface CreatePaymentRequest {
  orderNo: string;
  /** The product's pay way: which of the provider's methods to use. */
  payWay: PayWay;
  amount: bigint;
  currency: string;
  subject: string;
  body?: string | null;
  clientIp?: string | null;
  expiresAt: Date;
  returnUrl?: string | null;
  extra?: Record<string, unknown> | null;
  /**
   * The code on the customer's phone, scanned by the merchant (B扫C, 付款码). The provider takes the
   * payment at once: paid, waiting for the customer to confirm, or declined.
   */
  authCode?: string | null;
  /** The payer's id in the wallet (WeChat openid), for WX_JSAPI. */
  payerId?: string | null;
}

/**
 * qr: text to draw as a QR code; url: a page to send the payer to; form: an HTML form that posts
 * itself to the provider; jsapi: JSON of the parameters the page inside WeChat passes to
 * `WeixinJSBridge.invoke('getBrandWCPayRequest', …)`; none: nothing to show (pay codes).
 */
export type PayDataType = 'qr' | 'url' | 'form' | 'jsapi' | 'none';

export type CreatePaymentResult =
  | {
      outcome: 'accepted';
      channelOrderNo: string | null;
      payData: { type: PayDataType; value: string };
      /** `paid` when the provider took the money in this call (an auth code); otherwise pending. */
      status?: 'pending' | 'paid';
      paidAt?: Date | null;
      /** What the provider says it took, when paid: checked against the order before it is recorded. */
      amount?: bigint;
      raw?: unknown;
    }
  /**
   * The provider tried to take the payment and the customer's side said no (an auth code declined:
   * balance, limit, expired code). Final for this order: another account must not be tried.
   */
  | { outcome: 'declined'; channelOrderNo: string | null; code: string; message: string; raw?: unknown }
  /** The provider said no: safe to try another channel account. */
  | { outcome: 'refused'; code: string; message: string; raw?: unknown }
  /** No answer in time or a transport error: the provider may or may not have opened the payment. */
  | { outcome: 'unknown'; code: string; message: string };

export interface PaymentReference {
  orderNo: string;
  channelOrderNo?: string | null;
}

export type ProviderPaymentStatus = 'pending' | 'paid' | 'failed' | 'closed' | 'not_found';

export interface PaymentStatusResult {
  status: ProviderPaymentStatus;
  channelOrderNo?: string | null;
  amount?: bigint;
  currency?: string;
  paidAt?: Date | null;
  raw?: unknown;
}

export interface ClosePaymentResult {
  /** closed: the payment can no longer be paid; paid: too late, it was paid; error: try again later. */
  outcome: 'closed' | 'paid' | 'error';
  message?: string;
}

export interface InboundNotify {
  rawBody: string;
  contentType: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface ParsedNotify {
  kind: 'payment';
  orderNo: string;
  channelOrderNo: string | null;
  /** closed: the channel closed the payment unpaid (after our close, or its own timeout). */
  status: 'paid' | 'failed' | 'closed';
  amount: bigint;
  currency: string;
  paidAt: Date | null;
}

export interface CreateRefundRequest {
  /** Our refund number: the provider's idempotency key. */
  refundNo: string;
  orderNo: string;
  channelOrderNo: string | null;
  amount: bigint;
  /** The payment's whole amount. */
  totalAmount: bigint;
  currency: string;
  reason?: string | null;
}

export type ProviderRefundStatus = 'pending' | 'succeeded' | 'failed';

export type CreateRefundResult =
  /** The provider took the refund; `status` is usually pending, the outcome follows by notify or query. */
  | { outcome: 'accepted'; channelRefundNo: string | null; status: ProviderRefundStatus; raw?: unknown }
  /** The provider said no and refunded nothing. */
  | { outcome: 'refused'; code: string; message: string; raw?: unknown }
  /** No answer in time or a transport error: the provider may or may not have taken the refund. */
  | { outcome: 'unknown'; code: string; message: string };

export interface RefundReference {
  refundNo: string;
  orderNo: string;
}

export interface RefundStatusResult {
  status: ProviderRefundStatus | 'not_found';
  channelRefundNo?: string | null;
  amount?: bigint;
  raw?: unknown;
}

export interface ParsedRefundNotify {
  kind: 'refund';
  refundNo: string;
  orderNo: string;
  channelRefundNo: string | null;
  status: 'succeeded' | 'failed';
  amount: bigint;
  currency: string;
  message: string | null;
}

export interface BankAccount {
  name: string;
  accountNo: string;
  bankName: string;
  bankBranch?: string | null;
  type: 'personal' | 'corporate';
}

export interface PayoutRequest {
  /** Our payout number: the provider's idempotency key, the same on every retry. */
  payoutNo: string;
  amount: bigint;
  currency: string;
  payee: BankAccount;
  remark?: string | null;
}

export interface PayoutReference {
  payoutNo: string;
}

export type ProviderPayoutStatus = 'submitted' | 'succeeded' | 'failed';

export type PayoutResult =
  /** The provider took the payout: usually `submitted`, the outcome follows by notify or query. */
  | {
      outcome: 'accepted';
      channelPayoutNo: string | null;
      status: ProviderPayoutStatus;
      message?: string;
      raw?: unknown;
    }
  /** The provider said no and paid nothing. */
  | { outcome: 'refused'; code: string; message: string; raw?: unknown }
  /** No answer in time or a transport error: the provider may or may not have taken the payout. */
  | { outcome: 'unknown'; code: string; message: string };

export interface PayoutStatusResult {
  status: ProviderPayoutStatus | 'not_found';
  channelPayoutNo?: string | null;
  amount?: bigint;
  /** Why it failed, in the provider's words. */
  message?: string | null;
  raw?: unknown;
}

export interface ParsedPayoutNotify {
  kind: 'payout';
  payoutNo: string;
  channelPayoutNo: string | null;
  status: 'succeeded' | 'failed';
  amount: bigint;
  currency: string;
  message: string | null;
}

/** Any notify a channel sends: a payment's, a refund's or a payout's. */
export type ParsedAnyNotify = ParsedNotify | ParsedRefundNotify | ParsedPayoutNotify;

/** What a channel expects back from a notify (its own success or failure answer). */
export interface NotifyAck {
  status: number;
  contentType: string;
  body: string;
}

/** Thrown by parseNotify when a notify cannot be verified or understood. */
export class NotifyRejected extends Error {
  constructor(
    readonly reason: 'SIGNATURE_INVALID' | 'MALFORMED' | 'WRONG_ACCOUNT',
    message: string,
  ) {
    super(message);
    this.name = 'NotifyRejected';
  }
}
