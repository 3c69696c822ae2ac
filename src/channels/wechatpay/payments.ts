/**
 * Payments opened for the payer to pay (Native QR code, H5 page, JSAPI in WeChat), their query and
 * their close. A pay code (WX_BAR) is handed to pay-code.ts.
 *
 * Official references:
 * - Native:   https://pay.weixin.qq.com/doc/v3/merchant/4012791877
 * - H5:       https://pay.weixin.qq.com/doc/v3/merchant/4012791834
 * - JSAPI:    https://pay.weixin.qq.com/doc/v3/merchant/4012791856
 * - Query:    https://pay.weixin.qq.com/doc/v3/merchant/4012791859
 * - Close:    https://pay.weixin.qq.com/doc/v3/merchant/4012791860
 */
import type {
  ChannelContext,
  ClosePaymentResult,
  CreatePaymentRequest,
  CreatePaymentResult,
  PaymentReference,
  PaymentStatusResult,
  PayWay,
} from '../types.ts';
import {
  type Answer,
  CONFIGURATION_CODES,
  callWechatpay,
  errorCode,
  errorMessage,
  lookup,
  UNKNOWN_CODES,
} from './api.ts';
import { type Credentials, configSchema, credentialsSchema } from './credentials.ts';
import { payByCode } from './pay-code.ts';
import { jsapiPayParams } from './protocol.ts';
import {
  MAX_DESCRIPTION_CHARACTERS,
  merchantIds,
  ownsMerchant,
  queryPath,
  TRADE_STATES,
  TRANSACTION,
  transactionsPath,
} from './transactions.ts';

const METHODS: Partial<Record<PayWay, 'native' | 'h5' | 'jsapi'>> = {
  WX_NATIVE: 'native',
  WX_H5: 'h5',
  WX_JSAPI: 'jsapi',
};
const FIELD_OF = { native: 'code_url', h5: 'h5_url', jsapi: 'prepay_id' } as const;

export async function createPayment(
  ctx: ChannelContext,
  payment: CreatePaymentRequest,
): Promise<CreatePaymentResult> {
  const parsed = credentialsSchema.safeParse(ctx.credentials);
  if (!parsed.success) return { outcome: 'refused', code: 'INVALID_CREDENTIALS', message: 'bad credentials' };
  const config = configSchema.safeParse(ctx.config);
  if (!config.success) return { outcome: 'refused', code: 'INVALID_CONFIG', message: 'bad channel config' };
  if (payment.currency !== 'CNY') {
    return { outcome: 'refused', code: 'CURRENCY_UNSUPPORTED', message: 'WeChat Pay takes CNY only' };
  }
  const credentials = parsed.data;
  if (payment.authCode || payment.payWay === 'WX_BAR') {
    if (!payment.authCode) return { outcome: 'refused', code: 'INVALID_REQUEST', message: 'no pay code' };
    return payByCode(ctx, credentials, config.data, payment, payment.authCode);
  }
  const common = {
    ...merchantIds(credentials),
    description: Array.from(payment.subject).slice(0, MAX_DESCRIPTION_CHARACTERS).join(''),
    out_trade_no: payment.orderNo,
    time_expire: rfc3339Shanghai(payment.expiresAt),
    notify_url: ctx.notifyUrl,
    amount: { total: Number(payment.amount), currency: 'CNY' },
  };
  const method = METHODS[payment.payWay];
  if (!method) {
    return {
      outcome: 'refused',
      code: 'PAY_WAY_UNSUPPORTED',
      message: `WeChat Pay has no ${payment.payWay}`,
    };
  }
  let body: Record<string, unknown> = common;
  if (method === 'h5') {
    if (!payment.clientIp)
      return { outcome: 'refused', code: 'INVALID_REQUEST', message: "H5 needs the payer's IP" };
    body = { ...common, scene_info: { payer_client_ip: payment.clientIp, h5_info: { type: 'Wap' } } };
  } else if (method === 'jsapi') {
    if (!payment.payerId)
      return { outcome: 'refused', code: 'INVALID_REQUEST', message: 'JSAPI needs an openid' };
    body = { ...common, payer: { [openidField(credentials)]: payment.payerId } };
  }
  const call = await callWechatpay(
    ctx,
    credentials,
    'POST',
    `${transactionsPath(credentials)}/${method}`,
    body,
  );
  if (!call.ok) return { outcome: 'unknown', code: call.code, message: call.message };
  if (call.status !== 200) return createFailure(call);
  const answer = call.json ?? {};
  const value = answer[FIELD_OF[method]];
  if (typeof value !== 'string' || value === '') {
    return { outcome: 'unknown', code: 'CHANNEL_BAD_RESPONSE', message: `no ${FIELD_OF[method]}` };
  }
  if (method === 'jsapi') {
    const params = jsapiPayParams(payerAppId(credentials), value, credentials.privateKey);
    return {
      outcome: 'accepted',
      channelOrderNo: null,
      payData: { type: 'jsapi', value: JSON.stringify(params) },
    };
  }
  return {
    outcome: 'accepted',
    channelOrderNo: null,
    payData: {
      type: method === 'native' ? 'qr' : 'url',
      value: method === 'h5' ? withRedirect(value, payment) : value,
    },
    raw: answer,
  };
}

export async function queryPayment(
  ctx: ChannelContext,
  reference: PaymentReference,
): Promise<PaymentStatusResult> {
  const credentials = credentialsSchema.parse(ctx.credentials);
  const call = await callWechatpay(ctx, credentials, 'GET', queryPath(reference.orderNo, credentials));
  if (!call.ok) throw new Error(`WeChat Pay query failed: ${call.code}: ${call.message}`);
  return queryOutcome(call, reference.orderNo, credentials);
}

export async function closePayment(
  ctx: ChannelContext,
  reference: PaymentReference,
): Promise<ClosePaymentResult> {
  const parsed = credentialsSchema.safeParse(ctx.credentials);
  if (!parsed.success) return { outcome: 'error', message: 'bad credentials' };
  const path = `${transactionsPath(parsed.data)}/out-trade-no/${encodeURIComponent(reference.orderNo)}/close`;
  const call = await callWechatpay(ctx, parsed.data, 'POST', path, merchantIds(parsed.data, false));
  if (!call.ok) return { outcome: 'error', message: `${call.code}: ${call.message}` };
  if (call.status === 204 || call.status === 200) return { outcome: 'closed' };
  const code = errorCode(call);
  if (code === 'ORDERPAID') return { outcome: 'paid', message: 'already paid' };
  if (code === 'ORDER_CLOSED') return { outcome: 'closed', message: 'already closed' };
  // WeChat Pay never opened this payment, so nobody can pay it there.
  if (code === 'ORDER_NOT_EXIST') return { outcome: 'closed', message: 'no such payment at WeChat Pay' };
  return { outcome: 'error', message: `${call.status} ${code}` };
}

function createFailure(call: Answer): CreatePaymentResult {
  const code = errorCode(call);
  if (call.status >= 500 || UNKNOWN_CODES.has(code) || !CONFIGURATION_CODES.has(code)) {
    // Unless WeChat Pay said the request itself was wrong, it may have opened the payment.
    return { outcome: 'unknown', code: code || 'CHANNEL_BAD_RESPONSE', message: errorMessage(call) };
  }
  return { outcome: 'refused', code, message: `WeChat Pay refused: ${errorMessage(call)}`, raw: call.json };
}

function queryOutcome(call: Answer, orderNo: string, credentials: Credentials): PaymentStatusResult {
  if (call.status === 404) {
    const code = errorCode(call);
    if (code === 'ORDER_NOT_EXIST' || code === 'RESOURCE_NOT_EXISTS')
      return { status: 'not_found', raw: call.json };
  }
  if (call.status !== 200) throw new Error(`WeChat Pay query: ${call.status} ${errorCode(call)}`);
  const transaction = TRANSACTION.safeParse(call.json);
  if (!transaction.success || transaction.data.out_trade_no !== orderNo) {
    throw new Error('WeChat Pay query answer is malformed');
  }
  const t = transaction.data;
  if (!ownsMerchant(t, credentials)) throw new Error('WeChat Pay query answer is for another merchant');
  const status = lookup(TRADE_STATES, t.trade_state);
  if (status === undefined) throw new Error(`WeChat Pay query: unknown trade_state ${t.trade_state}`);
  const paidAt = t.success_time ? new Date(t.success_time) : null;
  return {
    status,
    channelOrderNo: t.transaction_id ?? null,
    amount: t.amount?.total !== undefined ? BigInt(t.amount.total) : undefined,
    currency: t.amount?.currency ?? 'CNY',
    paidAt: paidAt && !Number.isNaN(paidAt.getTime()) ? paidAt : null,
    raw: t,
  };
}

/** WeChat's H5 page returns the payer to `redirect_url` (appended by the merchant) once they paid or gave up. */
function withRedirect(h5Url: string, payment: CreatePaymentRequest): string {
  if (!payment.returnUrl || !/^https?:\/\//.test(payment.returnUrl)) return h5Url;
  return `${h5Url}${h5Url.includes('?') ? '&' : '?'}redirect_url=${encodeURIComponent(payment.returnUrl)}`;
}

/** Whose openid the payer's is: the sub-merchant's AppID's when it has one, else the provider's. */
function openidField(credentials: Credentials): string {
  if (!credentials.subMchId) return 'openid';
  return credentials.subAppId ? 'sub_openid' : 'sp_openid';
}

function payerAppId(credentials: Credentials): string {
  return credentials.subMchId && credentials.subAppId ? credentials.subAppId : credentials.appId;
}

/** `2026-12-05T18:30:00+08:00`: WeChat Pay's time format (RFC 3339 in China Standard Time). */
function rfc3339Shanghai(instant: Date): string {
  const shifted = new Date(instant.getTime() + 8 * 3600_000);
  return `${shifted.toISOString().slice(0, 19)}+08:00`;
}
