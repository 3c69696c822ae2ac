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

  /** Opens a payment at the provider. Idempotent on `orderNo` at the provider's side. */
  createPayment(ctx: ChannelContext, request: CreatePaymentRequest): Promise<CreatePaymentResult>;
  /** Asks the provider for the payment's current status. Safe to repeat. */
  queryPayment(ctx: ChannelContext, request: PaymentReference): Promise<PaymentStatusResult>;
  /** Closes an unpaid payment so it can no longer be paid. Safe to repeat. */
  closePayment(ctx: ChannelContext, request: PaymentReference): Promise<ClosePaymentResult>;
  /** Verifies an inbound notify's signature and normalises it. Throws NotifyRejected when unverifiable. */
  parseNotify(ctx: ChannelContext, notify: InboundNotify): ParsedNotify;
  /** What the provider expects back once a notify is handled (or refused). */
  notifyAck(accepted: boolean): { status: number; contentType: string; body: string };
}

export interface ChannelContext {
  channelAccountId: bigint;
  credentials: Record<string, unknown>;
  config: Record<string, unknown>;
  /** Where the provider must send async notifies for this account. */
  notifyUrl: string;
  /** Our own public base URL (no trailing slash). */
  publicUrl: string;
  /** Upper bound of one call to the provider. */
  timeoutMs: number;
}

export interface CreatePaymentRequest {
  orderNo: string;
  amount: bigint;
  currency: string;
  subject: string;
  body?: string | null;
  clientIp?: string | null;
  expiresAt: Date;
  returnUrl?: string | null;
  extra?: Record<string, unknown> | null;
}

export type PayDataType = 'qr' | 'url' | 'form' | 'none';

export type CreatePaymentResult =
  | {
      outcome: 'accepted';
      channelOrderNo: string | null;
      payData: { type: PayDataType; value: string };
      raw?: unknown;
    }
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
  status: 'paid' | 'failed';
  amount: bigint;
  currency: string;
  paidAt: Date | null;
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
