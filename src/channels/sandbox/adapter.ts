import { createHash, randomUUID } from 'node:crypto';
import { errors, request } from 'undici';
import { z } from 'zod';
import { readTextUpTo } from '../http-body.ts';
import {
  type ChannelAdapter,
  type ChannelContext,
  type ChannelStatement,
  type ClosePaymentResult,
  type ConnectionTestResult,
  type CreatePaymentRequest,
  type CreatePaymentResult,
  type CreateRefundRequest,
  type CreateRefundResult,
  type CredentialField,
  NotifyRejected,
  PAY_WAYS,
  type ParsedNotify,
  type ParsedPayoutNotify,
  type ParsedRefundNotify,
  type PaymentReference,
  type PaymentStatusResult,
  type PayoutReference,
  type PayoutRequest,
  type PayoutResult,
  type PayoutStatusResult,
  type ProviderPaymentStatus,
  type ProviderPayoutStatus,
  type ProviderRefundStatus,
  type RefundReference,
  type RefundStatusResult,
  type StatementFile,
  type StatementRequest,
} from '../types.ts';
import {
  PAY_MODES,
  PAYOUT_OUTCOMES,
  SANDBOX_PAYOUT_NOTIFY_TYPE,
  SANDBOX_REFUND_NOTIFY_TYPE,
  type SandboxPaymentStatus,
  type SandboxPayoutStatus,
  type SandboxRefundStatus,
  sandboxFaultsSchema,
  sandboxSign,
  sandboxVerify,
} from './protocol.ts';
import { parseStatementCsv, readStatementFile, statementSettingsSchema } from './statement.ts';

/**
 * The platform's side of the sandbox upstream: maps our requests to the sandbox's signed JSON API and
 * its answers and notifies back to ours through explicit tables. Stateless, like every adapter.
 */

const credentialsSchema = z.strictObject({
  mchId: z.string().min(1).max(32),
  key: z.string().min(1),
  /** Where the sandbox runs; absent means the sandbox mounted in this process under /sandbox. */
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
});

const configSchema = z.strictObject({
  faults: sandboxFaultsSchema.optional(),
  /** How payers are sent to pay: the pay page's URL (default), or an H5 form to post. */
  payMode: z.enum(PAY_MODES).optional(),
  /** How the sandbox ends this account's payouts (protocol.ts PAYOUT_OUTCOMES); async_succeed by default. */
  payoutOutcome: z.enum(PAYOUT_OUTCOMES).optional(),
  /** This account's statements: the fee rate the sandbox reports and the statement faults (statement.ts). */
  statement: statementSettingsSchema.optional(),
});

type SandboxCredentials = z.infer<typeof credentialsSchema>;

/** The sandbox refuses longer subjects; cut at a character boundary, as real providers ask us to. */
const MAX_SUBJECT_CHARACTERS = 128;
/** Sandbox answers are a few hundred bytes; anything far larger is not a sandbox answer. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** A statement answer carries the day's file: a large test day is tens of MB at most. */
const MAX_STATEMENT_ANSWER_BYTES = 64 * 1024 * 1024;

const PAYMENT_STATUSES: Record<SandboxPaymentStatus, ProviderPaymentStatus> = {
  WAITING: 'pending',
  SUCCESS: 'paid',
  FAILED: 'failed',
  CLOSED: 'closed',
};

const NOTIFY_STATUSES: Record<string, ParsedNotify['status']> = {
  SUCCESS: 'paid',
  FAILED: 'failed',
};

const NOTIFY_FIELDS = z.object({
  mchId: z.string().min(1),
  outTradeNo: z.string().min(1),
  tradeNo: z.string().min(1),
  amount: z.string().regex(/^\d+$/),
  currency: z.string().regex(/^[A-Z]{3}$/),
  status: z.string(),
  paidAt: z.string().optional(),
  nonce: z.string().min(1),
  sign: z.string().min(1),
});

const REFUND_STATUSES: Record<SandboxRefundStatus, ProviderRefundStatus> = {
  PROCESSING: 'pending',
  SUCCESS: 'succeeded',
  FAILED: 'failed',
};

const REFUND_NOTIFY_STATUSES: Record<string, ParsedRefundNotify['status']> = {
  SUCCESS: 'succeeded',
  FAILED: 'failed',
};

const REFUND_NOTIFY_FIELDS = z.object({
  notifyType: z.literal(SANDBOX_REFUND_NOTIFY_TYPE),
  mchId: z.string().min(1),
  outTradeNo: z.string().min(1),
  outRefundNo: z.string().min(1),
  refundNo: z.string().min(1),
  amount: z.string().regex(/^\d+$/),
  currency: z.string().regex(/^[A-Z]{3}$/),
  status: z.string(),
  failReason: z.string().optional(),
  nonce: z.string().min(1),
  sign: z.string().min(1),
});

const PAYOUT_STATUSES: Record<SandboxPayoutStatus, ProviderPayoutStatus> = {
  PROCESSING: 'submitted',
  SUCCESS: 'succeeded',
  FAILED: 'failed',
};

const PAYOUT_NOTIFY_STATUSES: Record<string, ParsedPayoutNotify['status']> = {
  SUCCESS: 'succeeded',
  FAILED: 'failed',
};

const PAYOUT_NOTIFY_FIELDS = z.object({
  notifyType: z.literal(SANDBOX_PAYOUT_NOTIFY_TYPE),
  mchId: z.string().min(1),
  outPayoutNo: z.string().min(1),
  payoutNo: z.string().min(1),
  amount: z.string().regex(/^\d+$/),
  currency: z.string().regex(/^[A-Z]{3}$/),
  status: z.string(),
  paidAt: z.string().optional(),
  failReason: z.string().optional(),
  nonce: z.string().min(1),
  sign: z.string().min(1),
});

type WireParams = Record<string, string>;
type TransportFailure =
  | 'CHANNEL_TIMEOUT'
  | 'CHANNEL_UNREACHABLE'
  | 'CHANNEL_BAD_RESPONSE'
  | 'CHANNEL_BAD_SIGNATURE';
type CallResult = { ok: true; answer: WireParams } | { ok: false; code: TransportFailure; message: string };

export const sandboxAdapter: ChannelAdapter = {
  code: 'sandbox',
  name: '沙箱通道 Sandbox',
  credentialsSchema,
  configSchema,
  supportsAuthCode: true,
  testChannel: true,
  supportsPayout: true,
  // The sandbox stands in for every wallet: it serves every pay way with its own pay page.
  payWays: PAY_WAYS,
  credentialFields: [
    {
      key: 'mchId',
      label: { zh: '沙箱商户号', en: 'Sandbox merchant ID' },
      kind: 'text',
      required: true,
      help: {
        zh: '在沙箱的 /sandbox/register 注册得到',
        en: "Registered at the sandbox's /sandbox/register",
      },
    },
    { key: 'key', label: { zh: '沙箱密钥', en: 'Sandbox key' }, kind: 'secret', required: true },
    {
      key: 'baseUrl',
      label: { zh: '沙箱地址', en: 'Sandbox address' },
      kind: 'url',
      required: false,
      help: {
        zh: '留空即本进程内的沙箱（/sandbox）',
        en: 'Blank means the sandbox inside this process (/sandbox)',
      },
    },
  ] satisfies CredentialField[],

  async testConnection(ctx: ChannelContext): Promise<ConnectionTestResult> {
    const credentials = credentialsSchema.safeParse(ctx.credentials);
    if (!credentials.success) return { ok: false, code: 'INVALID_CREDENTIALS', message: 'bad credentials' };
    // An order number no one uses: a signed NOT_FOUND proves the key and the address.
    const call = await callSandbox(ctx, credentials.data, '/api/pay/query', {
      outTradeNo: `CONNTEST${Date.now()}`,
    });
    if (!call.ok) return { ok: false, code: call.code, message: call.message };
    if (call.answer.code === 'NOT_FOUND')
      return { ok: true, message: 'the sandbox answered, signature verified' };
    return { ok: false, code: 'CHANNEL_AUTH_FAILED', message: `the sandbox answered ${call.answer.code}` };
  },

  async fetchStatement(ctx: ChannelContext, request: StatementRequest): Promise<ChannelStatement> {
    const credentials = credentialsSchema.parse(ctx.credentials);
    const config = configSchema.parse(ctx.config);
    const params: WireParams = { billDate: request.date };
    const settings = config.statement;
    if (settings?.feeRatePpm !== undefined) params.feeRatePpm = String(settings.feeRatePpm);
    if (settings?.faults !== undefined) params.faults = JSON.stringify(settings.faults);
    const call = await callSandbox(
      ctx,
      credentials,
      '/api/statement/download',
      params,
      MAX_STATEMENT_ANSWER_BYTES,
      // A whole day's file takes longer than one payment's answer.
      ctx.timeoutMs * 10,
    );
    if (!call.ok) throw new Error(`sandbox statement download failed: ${call.code}: ${call.message}`);
    const { code, content, sha256, billDate } = call.answer;
    if (code !== 'SUCCESS' || content === undefined || billDate !== request.date) {
      throw new Error(`sandbox statement answer: ${code}: ${call.answer.msg ?? ''}`);
    }
    if (createHash('sha256').update(content, 'utf8').digest('hex') !== sha256) {
      throw new Error('the sandbox statement does not match its sha256');
    }
    return parseStatementCsv(content, request.date);
  },

  parseStatement(file: Buffer, request: StatementRequest): StatementFile {
    return readStatementFile(file, request.date);
  },

  async createPayment(ctx: ChannelContext, payment: CreatePaymentRequest): Promise<CreatePaymentResult> {
    const credentials = credentialsSchema.safeParse(ctx.credentials);
    if (!credentials.success) {
      return { outcome: 'refused', code: 'INVALID_CREDENTIALS', message: 'bad credentials' };
    }
    const config = configSchema.safeParse(ctx.config);
    if (!config.success) return { outcome: 'refused', code: 'INVALID_CONFIG', message: 'bad channel config' };
    const params: WireParams = {
      outTradeNo: payment.orderNo,
      amount: payment.amount.toString(),
      currency: payment.currency,
      subject: Array.from(payment.subject).slice(0, MAX_SUBJECT_CHARACTERS).join(''),
      notifyUrl: ctx.notifyUrl,
      expireAt: Math.floor(payment.expiresAt.getTime() / 1000).toString(),
    };
    if (config.data.faults !== undefined) params.faults = JSON.stringify(config.data.faults);
    if (payment.authCode) params.authCode = payment.authCode;
    else if (config.data.payMode === 'form') params.payMode = 'form';
    const call = await callSandbox(ctx, credentials.data, '/api/pay/create', params);
    if (!call.ok) return { outcome: 'unknown', code: call.code, message: call.message };
    if (payment.authCode) return authCodeOutcome(call.answer, payment.orderNo);
    return createOutcome(call.answer, payment.orderNo, config.data.payMode ?? 'url');
  },

  async queryPayment(ctx: ChannelContext, reference: PaymentReference): Promise<PaymentStatusResult> {
    const credentials = credentialsSchema.parse(ctx.credentials);
    const call = await callSandbox(ctx, credentials, '/api/pay/query', { outTradeNo: reference.orderNo });
    if (!call.ok) throw new Error(`sandbox query failed: ${call.code}: ${call.message}`);
    return queryOutcome(call.answer, reference.orderNo);
  },

  async closePayment(ctx: ChannelContext, reference: PaymentReference): Promise<ClosePaymentResult> {
    const credentials = credentialsSchema.safeParse(ctx.credentials);
    if (!credentials.success) return { outcome: 'error', message: 'bad credentials' };
    const call = await callSandbox(ctx, credentials.data, '/api/pay/close', {
      outTradeNo: reference.orderNo,
    });
    if (!call.ok) return { outcome: 'error', message: `${call.code}: ${call.message}` };
    return closeOutcome(call.answer);
  },

  async createRefund(ctx: ChannelContext, refund: CreateRefundRequest): Promise<CreateRefundResult> {
    const credentials = credentialsSchema.safeParse(ctx.credentials);
    if (!credentials.success) {
      return { outcome: 'refused', code: 'INVALID_CREDENTIALS', message: 'bad credentials' };
    }
    const config = configSchema.safeParse(ctx.config);
    if (!config.success) return { outcome: 'refused', code: 'INVALID_CONFIG', message: 'bad channel config' };
    const params: WireParams = {
      outTradeNo: refund.orderNo,
      outRefundNo: refund.refundNo,
      amount: refund.amount.toString(),
      notifyUrl: ctx.refundNotifyUrl,
    };
    if (refund.reason) params.reason = Array.from(refund.reason).slice(0, 256).join('');
    if (config.data.faults !== undefined) params.faults = JSON.stringify(config.data.faults);
    const call = await callSandbox(ctx, credentials.data, '/api/refund/create', params);
    if (!call.ok) return { outcome: 'unknown', code: call.code, message: call.message };
    return refundOutcome(call.answer, refund.refundNo);
  },

  async queryRefund(ctx: ChannelContext, reference: RefundReference): Promise<RefundStatusResult> {
    const credentials = credentialsSchema.parse(ctx.credentials);
    const call = await callSandbox(ctx, credentials, '/api/refund/query', {
      outTradeNo: reference.orderNo,
      outRefundNo: reference.refundNo,
    });
    if (!call.ok) throw new Error(`sandbox refund query failed: ${call.code}: ${call.message}`);
    const answer = call.answer;
    if (answer.code === 'NOT_FOUND') return { status: 'not_found', raw: answer };
    const status = lookup(REFUND_STATUSES, answer.status);
    if (answer.code !== 'SUCCESS' || status === undefined || answer.outRefundNo !== reference.refundNo) {
      throw new Error(`sandbox refund query answer is malformed (${answer.code})`);
    }
    return {
      status,
      channelRefundNo: answer.refundNo ?? null,
      amount: answer.amount !== undefined && /^\d+$/.test(answer.amount) ? BigInt(answer.amount) : undefined,
      raw: answer,
    };
  },

  async payout(ctx: ChannelContext, payout: PayoutRequest): Promise<PayoutResult> {
    const credentials = credentialsSchema.safeParse(ctx.credentials);
    if (!credentials.success) {
      return { outcome: 'refused', code: 'INVALID_CREDENTIALS', message: 'bad credentials' };
    }
    const config = configSchema.safeParse(ctx.config);
    if (!config.success) return { outcome: 'refused', code: 'INVALID_CONFIG', message: 'bad channel config' };
    const params: WireParams = {
      outPayoutNo: payout.payoutNo,
      amount: payout.amount.toString(),
      currency: payout.currency,
      payeeName: payout.payee.name,
      payeeAccountNo: payout.payee.accountNo,
      payeeBankName: payout.payee.bankName,
      payeeType: payout.payee.type === 'corporate' ? 'CORPORATE' : 'PERSONAL',
      notifyUrl: ctx.payoutNotifyUrl ?? `${ctx.notifyUrl}/payout`,
    };
    if (payout.payee.bankBranch) params.payeeBankBranch = payout.payee.bankBranch;
    if (payout.remark) params.remark = Array.from(payout.remark).slice(0, 256).join('');
    if (config.data.payoutOutcome !== undefined) params.outcome = config.data.payoutOutcome;
    const call = await callSandbox(ctx, credentials.data, '/api/payout/create', params);
    if (!call.ok) return { outcome: 'unknown', code: call.code, message: call.message };
    return payoutOutcome(call.answer, payout.payoutNo);
  },

  async queryPayout(ctx: ChannelContext, reference: PayoutReference): Promise<PayoutStatusResult> {
    const credentials = credentialsSchema.parse(ctx.credentials);
    const call = await callSandbox(ctx, credentials, '/api/payout/query', {
      outPayoutNo: reference.payoutNo,
    });
    if (!call.ok) throw new Error(`sandbox payout query failed: ${call.code}: ${call.message}`);
    const answer = call.answer;
    if (answer.code === 'NOT_FOUND') return { status: 'not_found', raw: answer };
    const status = lookup(PAYOUT_STATUSES, answer.status);
    if (answer.code !== 'SUCCESS' || status === undefined || answer.outPayoutNo !== reference.payoutNo) {
      throw new Error(`sandbox payout query answer is malformed (${answer.code})`);
    }
    return {
      status,
      channelPayoutNo: answer.payoutNo ?? null,
      amount: /^\d+$/.test(answer.amount ?? '') ? BigInt(answer.amount!) : undefined,
      message: answer.failReason || null,
      raw: answer,
    };
  },

  parseNotify(ctx, notify): ParsedNotify | ParsedRefundNotify | ParsedPayoutNotify {
    const credentials = credentialsSchema.safeParse(ctx.credentials);
    if (!credentials.success) throw new NotifyRejected('SIGNATURE_INVALID', 'no valid key to verify with');
    const params = formParams(notify.rawBody);
    if (params.mchId === undefined) throw new NotifyRejected('MALFORMED', 'mchId is missing');
    if (params.mchId !== credentials.data.mchId) {
      throw new NotifyRejected(
        'WRONG_ACCOUNT',
        `notify for merchant ${params.mchId.slice(0, 32)}, not this account`,
      );
    }
    if (!sandboxVerify(params, credentials.data.key)) {
      throw new NotifyRejected('SIGNATURE_INVALID', 'signature does not verify');
    }
    if (params.notifyType === SANDBOX_PAYOUT_NOTIFY_TYPE) return normalisedPayoutNotify(params);
    return params.notifyType === SANDBOX_REFUND_NOTIFY_TYPE
      ? normalisedRefundNotify(params)
      : normalisedNotify(params);
  },

  notifyAck(accepted: boolean) {
    return accepted
      ? { status: 200, contentType: 'text/plain', body: 'SUCCESS' }
      : { status: 400, contentType: 'text/plain', body: 'FAIL' };
  },
};

// ---------- answers → our results ----------

function createOutcome(answer: WireParams, orderNo: string, payMode: 'url' | 'form'): CreatePaymentResult {
  switch (answer.code) {
    case 'SUCCESS': {
      const { tradeNo, payUrl, payForm } = answer;
      const payData = payMode === 'form' ? payForm : payUrl;
      if (!tradeNo || !payData || answer.outTradeNo !== orderNo) {
        return {
          outcome: 'unknown',
          code: 'CHANNEL_BAD_RESPONSE',
          message: `create answer lacks tradeNo/${payMode === 'form' ? 'payForm' : 'payUrl'}`,
        };
      }
      return {
        outcome: 'accepted',
        channelOrderNo: tradeNo,
        payData: { type: payMode, value: payData },
        raw: answer,
      };
    }
    // The sandbox checked the request and opened nothing: another account may be tried.
    case 'FAIL':
    case 'PARAM_ERROR':
    case 'SIGN_ERROR': {
      const code = answer.code === 'FAIL' && answer.msg ? answer.msg : answer.code;
      return { outcome: 'refused', code, message: `sandbox refused: ${answer.msg ?? ''}`, raw: answer };
    }
    default:
      return { outcome: 'unknown', code: 'CHANNEL_BAD_RESPONSE', message: `unexpected code ${answer.code}` };
  }
}

/** An auth-code payment's answer: paid now, waiting for the customer to confirm, or declined. */
function authCodeOutcome(answer: WireParams, orderNo: string): CreatePaymentResult {
  if (answer.code !== 'SUCCESS') return createOutcome(answer, orderNo, 'url');
  const { tradeNo, status } = answer;
  if (!tradeNo || answer.outTradeNo !== orderNo) {
    return { outcome: 'unknown', code: 'CHANNEL_BAD_RESPONSE', message: 'auth-code answer lacks tradeNo' };
  }
  const none = { type: 'none', value: '' } as const;
  switch (status) {
    case 'SUCCESS': {
      const paidAt = parseInstant(answer.paidAt);
      if (paidAt === undefined) {
        return { outcome: 'unknown', code: 'CHANNEL_BAD_RESPONSE', message: 'bad paidAt' };
      }
      return {
        outcome: 'accepted',
        channelOrderNo: tradeNo,
        payData: none,
        status: 'paid',
        paidAt,
        amount: /^\d+$/.test(answer.amount ?? '') ? BigInt(answer.amount!) : undefined,
        raw: answer,
      };
    }
    case 'WAITING':
      return { outcome: 'accepted', channelOrderNo: tradeNo, payData: none, status: 'pending', raw: answer };
    case 'FAILED':
      return {
        outcome: 'declined',
        channelOrderNo: tradeNo,
        code: answer.failReason || 'PAYMENT_DECLINED',
        message: "the customer's wallet declined the payment",
        raw: answer,
      };
    default:
      return { outcome: 'unknown', code: 'CHANNEL_BAD_RESPONSE', message: `unexpected status ${status}` };
  }
}

function queryOutcome(answer: WireParams, orderNo: string): PaymentStatusResult {
  if (answer.code === 'NOT_FOUND') return { status: 'not_found', raw: answer };
  if (answer.code !== 'SUCCESS') {
    throw new Error(`sandbox query refused: ${answer.code}: ${answer.msg ?? ''}`);
  }
  const status = lookup(PAYMENT_STATUSES, answer.status);
  const { amount, paidAt, tradeNo } = answer;
  if (
    status === undefined ||
    amount === undefined ||
    !/^\d+$/.test(amount) ||
    answer.outTradeNo !== orderNo
  ) {
    throw new Error('sandbox query answer is malformed');
  }
  return {
    status,
    channelOrderNo: tradeNo ?? null,
    amount: BigInt(amount),
    currency: answer.currency,
    paidAt: parseInstant(paidAt) ?? null,
    raw: answer,
  };
}

function refundOutcome(answer: WireParams, refundNo: string): CreateRefundResult {
  switch (answer.code) {
    case 'SUCCESS': {
      const status = lookup(REFUND_STATUSES, answer.status);
      if (status === undefined || answer.outRefundNo !== refundNo) {
        return { outcome: 'unknown', code: 'CHANNEL_BAD_RESPONSE', message: 'refund answer is malformed' };
      }
      return { outcome: 'accepted', channelRefundNo: answer.refundNo ?? null, status, raw: answer };
    }
    case 'FAIL':
    case 'NOT_FOUND':
    case 'PARAM_ERROR':
    case 'SIGN_ERROR': {
      const code = answer.code === 'FAIL' && answer.msg ? answer.msg : answer.code;
      return {
        outcome: 'refused',
        code,
        message: `sandbox refused the refund: ${answer.msg ?? ''}`,
        raw: answer,
      };
    }
    default:
      return { outcome: 'unknown', code: 'CHANNEL_BAD_RESPONSE', message: `unexpected code ${answer.code}` };
  }
}

function payoutOutcome(answer: WireParams, payoutNo: string): PayoutResult {
  switch (answer.code) {
    case 'SUCCESS': {
      const status = lookup(PAYOUT_STATUSES, answer.status);
      if (status === undefined || answer.outPayoutNo !== payoutNo) {
        return { outcome: 'unknown', code: 'CHANNEL_BAD_RESPONSE', message: 'payout answer is malformed' };
      }
      return {
        outcome: 'accepted',
        channelPayoutNo: answer.payoutNo ?? null,
        status,
        message: answer.failReason || undefined,
        raw: answer,
      };
    }
    // The sandbox checked the request and paid nothing.
    case 'FAIL':
    case 'PARAM_ERROR':
    case 'SIGN_ERROR': {
      const code = answer.code === 'FAIL' && answer.msg ? answer.msg : answer.code;
      return {
        outcome: 'refused',
        code,
        message: `sandbox refused the payout: ${answer.msg ?? ''}`,
        raw: answer,
      };
    }
    default:
      return { outcome: 'unknown', code: 'CHANNEL_BAD_RESPONSE', message: `unexpected code ${answer.code}` };
  }
}

function closeOutcome(answer: WireParams): ClosePaymentResult {
  if (answer.code === 'SUCCESS') return { outcome: 'closed' };
  if (answer.code === 'FAIL' && answer.msg === 'ALREADY_PAID') {
    return { outcome: 'paid', message: 'already paid' };
  }
  // The sandbox never opened (or has forgotten) this payment, so nobody can pay it there.
  if (answer.code === 'NOT_FOUND') return { outcome: 'closed', message: 'no such payment at the sandbox' };
  return { outcome: 'error', message: `${answer.code}: ${answer.msg ?? ''}` };
}

// ---------- notifies ----------

function formParams(rawBody: string): WireParams {
  const form = new URLSearchParams(rawBody);
  const params: WireParams = {};
  for (const [name, value] of form) {
    // A repeated field would make "what was signed" ambiguous.
    if (Object.hasOwn(params, name)) throw new NotifyRejected('MALFORMED', `field ${name} is repeated`);
    params[name] = value;
  }
  return params;
}

function normalisedNotify(params: WireParams): ParsedNotify {
  const fields = NOTIFY_FIELDS.safeParse(params);
  if (!fields.success) throw new NotifyRejected('MALFORMED', 'missing or invalid notify fields');
  const status = lookup(NOTIFY_STATUSES, fields.data.status);
  const paidAt = parseInstant(fields.data.paidAt);
  if (status === undefined || paidAt === undefined) {
    throw new NotifyRejected('MALFORMED', 'bad status or paidAt');
  }
  return {
    kind: 'payment',
    orderNo: fields.data.outTradeNo,
    channelOrderNo: fields.data.tradeNo,
    status,
    amount: BigInt(fields.data.amount),
    currency: fields.data.currency,
    paidAt,
  };
}

function normalisedRefundNotify(params: WireParams): ParsedRefundNotify {
  const fields = REFUND_NOTIFY_FIELDS.safeParse(params);
  if (!fields.success) throw new NotifyRejected('MALFORMED', 'missing or invalid refund notify fields');
  const status = lookup(REFUND_NOTIFY_STATUSES, fields.data.status);
  if (status === undefined) throw new NotifyRejected('MALFORMED', 'bad refund status');
  return {
    kind: 'refund',
    refundNo: fields.data.outRefundNo,
    orderNo: fields.data.outTradeNo,
    channelRefundNo: fields.data.refundNo,
    status,
    amount: BigInt(fields.data.amount),
    currency: fields.data.currency,
    message: fields.data.failReason || null,
  };
}

function normalisedPayoutNotify(params: WireParams): ParsedPayoutNotify {
  const fields = PAYOUT_NOTIFY_FIELDS.safeParse(params);
  if (!fields.success) throw new NotifyRejected('MALFORMED', 'missing or invalid payout notify fields');
  const status = lookup(PAYOUT_NOTIFY_STATUSES, fields.data.status);
  if (status === undefined) throw new NotifyRejected('MALFORMED', 'bad payout status');
  return {
    kind: 'payout',
    payoutNo: fields.data.outPayoutNo,
    channelPayoutNo: fields.data.payoutNo,
    status,
    amount: BigInt(fields.data.amount),
    currency: fields.data.currency,
    message: fields.data.failReason || null,
  };
}

/** Own entries only, so a wire value such as 'toString' cannot reach Object.prototype. */
function lookup<T>(table: Record<string, T>, wireValue: string | undefined): T | undefined {
  return wireValue !== undefined && Object.hasOwn(table, wireValue) ? table[wireValue] : undefined;
}

/** '' or absent → null; an ISO instant → Date; anything else → undefined (malformed). */
function parseInstant(value: string | undefined): Date | null | undefined {
  if (value === undefined || value === '') return null;
  const instant = new Date(value);
  return Number.isNaN(instant.getTime()) ? undefined : instant;
}

// ---------- transport ----------

/** One signed call to the sandbox API; the answer is returned only when its signature verifies. */
async function callSandbox(
  ctx: ChannelContext,
  credentials: SandboxCredentials,
  path: string,
  fields: WireParams,
  maxAnswerBytes = MAX_ANSWER_BYTES,
  timeoutMs = ctx.timeoutMs,
): Promise<CallResult> {
  const params: WireParams = {
    ...fields,
    mchId: credentials.mchId,
    nonce: randomUUID().replaceAll('-', ''),
    timestamp: Math.floor(Date.now() / 1000).toString(),
  };
  params.sign = sandboxSign(params, credentials.key);
  const baseUrl = (credentials.baseUrl ?? `${ctx.publicUrl}/sandbox`).replace(/\/+$/, '');
  let text: string | null;
  let statusCode: number;
  try {
    const response = await request(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      // The two timeouts bound each phase; this bounds the whole call, connecting included.
      signal: AbortSignal.timeout(timeoutMs),
    });
    statusCode = response.statusCode;
    text = await readTextUpTo(response.body, maxAnswerBytes);
  } catch (error) {
    return transportFailure(error);
  }
  return verifiedAnswer(statusCode, text, credentials.key);
}

/** Every sandbox answer is a flat object of strings; built once, not per call. */
const ANSWER = z.record(z.string(), z.string());

function verifiedAnswer(statusCode: number, text: string | null, key: string): CallResult {
  const bad = (message: string): CallResult => ({ ok: false, code: 'CHANNEL_BAD_RESPONSE', message });
  if (statusCode !== 200) return bad(`HTTP ${statusCode}`);
  if (text === null) return bad('answer too large');
  let decoded: unknown;
  try {
    decoded = JSON.parse(text);
  } catch {
    return bad('answer is not JSON');
  }
  const answer = ANSWER.safeParse(decoded);
  if (!answer.success) return bad('answer is not an object of strings');
  if (!sandboxVerify(answer.data, key)) {
    // Usually the account's key is not the one the sandbox holds: its own failure code says so.
    return {
      ok: false,
      code: 'CHANNEL_BAD_SIGNATURE',
      message: `answer sign does not verify (code ${answer.data.code ?? '?'})`,
    };
  }
  return { ok: true, answer: answer.data };
}

function transportFailure(error: unknown): CallResult {
  const message = error instanceof Error ? error.message : String(error);
  const timedOut =
    error instanceof errors.HeadersTimeoutError ||
    error instanceof errors.BodyTimeoutError ||
    error instanceof errors.ConnectTimeoutError ||
    (error instanceof DOMException && error.name === 'TimeoutError');
  return { ok: false, code: timedOut ? 'CHANNEL_TIMEOUT' : 'CHANNEL_UNREACHABLE', message };
}
