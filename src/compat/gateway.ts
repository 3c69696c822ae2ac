import type { Services } from '../app/services.ts';
import { TIMESTAMP_TOLERANCE_SECONDS } from '../auth/api-signature.ts';
import { ipAllowed } from '../auth/ip-allowlist.ts';
import { AppError } from '../errors.ts';
import type { AppKeys } from '../merchants/service.ts';
import type { OrderRow } from '../orders/queries.ts';
import type { OrderState } from '../orders/state.ts';
import type { RefundRow } from '../refunds/queries.ts';
import { returnToken } from './sign.ts';

/**
 * What the Jeepay and epay gateways share: they are translations onto the platform's own orders,
 * refunds and notifies (the same idempotency on the merchant's numbers, routing, ledger and
 * outbox), never a second order system.
 */
export type CompatServices = Pick<Services, 'merchants' | 'orders' | 'refunds' | 'signatures'>;
/** What the notify formatters need (they are wired before the signature verifier exists). */
export type CompatNotifyServices = Pick<Services, 'merchants' | 'orders' | 'refunds'>;

/** A refusal in the protocol's own words; the gateway writes it in the protocol's envelope. */
export class ProtocolError extends Error {
  constructor(
    message: string,
    /** Jeepay's ApiCodeEnum: 11 a parameter, 9999 a business refusal (BizException). */
    readonly jeepayCode = 9999,
  ) {
    super(message);
  }
}

/** `参数有误[…]`: Jeepay's PARAMS_ERROR. */
export const paramsError = (what: string) => new ProtocolError(`参数有误[${what}]`, 11);

/** The protocol's orders carry what the protocol needs back later (its pay way, the merchant's passthrough). */
export interface ProtocolOrderExtra {
  /** The protocol the order was placed through. */
  protocol: 'jeepay' | 'epay';
  /** The Jeepay wayCode or the epay type the merchant asked for. */
  way: string;
  /** Jeepay extParam / epay param, echoed in queries and notifies. */
  passthrough?: string;
  /** Where the payer goes back to once paid, given a signed query (the order's returnUrl is ours). */
  returnUrl?: string;
}

export const PROTOCOL_EXTRA_KEY = 'protocol';

export function protocolExtraOf(order: Pick<OrderRow, 'extra'>): ProtocolOrderExtra | null {
  const value = order.extra?.[PROTOCOL_EXTRA_KEY];
  if (!value || typeof value !== 'object') return null;
  const extra = value as Partial<ProtocolOrderExtra>;
  return extra.protocol === 'jeepay' || extra.protocol === 'epay' ? (extra as ProtocolOrderExtra) : null;
}

/** The app, if it exists, is enabled and speaks `protocol` (with its MD5 key); null otherwise. */
export function usableApp(app: AppKeys | null, protocol: 'jeepay' | 'epay'): AppKeys | null {
  if (!app?.appEnabled || app.protocol !== protocol || !app.md5Key) return null;
  return app;
}

export function requireAllowedIp(app: AppKeys, ip: string): void {
  if (!ipAllowed(app.ipAllowlist, ip)) throw new ProtocolError(`IP[${ip}]不在商户应用的白名单中`);
}

/**
 * Jeepay's reqTime: Unix time in milliseconds (its SDK) or seconds; accepted within the platform's
 * request window, as our own timestamps are.
 */
export function requireFreshReqTime(reqTime: string, now = Date.now()): void {
  if (!/^\d{10}$|^\d{13}$/.test(reqTime)) throw paramsError('reqTime 须为 Unix 时间戳（毫秒或秒）');
  const millis = reqTime.length === 13 ? Number(reqTime) : Number(reqTime) * 1000;
  if (Math.abs(now - millis) > TIMESTAMP_TOLERANCE_SECONDS * 1000) {
    throw paramsError(`reqTime 与服务器时间相差超过 ${TIMESTAMP_TOLERANCE_SECONDS} 秒`);
  }
}

/** The product a protocol pay way maps to for this app, or the protocol's own refusal. */
export function productFor(app: AppKeys, way: string, refusal = '商户应用不支持该支付方式'): string {
  const product = Object.hasOwn(app.protocolProducts, way) ? app.protocolProducts[way] : undefined;
  if (!product) throw new ProtocolError(refusal);
  return product;
}

/** Our refusals in the words Jeepay and epay merchants' code already expects. */
export function protocolMessage(
  error: AppError,
  context: { mchOrderNo?: string; mchRefundNo?: string },
): string {
  switch (error.code) {
    case 'IDEMPOTENCY_CONFLICT':
      return context.mchRefundNo
        ? `商户退款订单号[${context.mchRefundNo}]已存在`
        : `商户订单[${context.mchOrderNo ?? ''}]已存在`;
    case 'PRODUCT_NOT_FOUND':
    case 'PRODUCT_NOT_AVAILABLE':
      return '商户应用不支持该支付方式';
    case 'AMOUNT_OUT_OF_RANGE':
      return '支付金额超出支付方式允许的范围';
    case 'CURRENCY_MISMATCH':
      return '货币代码不支持';
    case 'NOT_FOUND':
      return context.mchRefundNo !== undefined ? '退款订单不存在' : '订单不存在';
    case 'ORDER_STATE_INVALID':
      return context.mchRefundNo !== undefined ? '订单状态不正确， 无法完成退款' : '当前订单不可关闭';
    case 'REFUND_AMOUNT_EXCEEDED':
      return '申请金额超出订单可退款余额，请检查退款金额';
    case 'MERCHANT_DISABLED':
      return '商户信息不存在或商户状态不可用';
    case 'NO_CHANNEL_AVAILABLE':
      return '无可用的支付通道';
    case 'DAILY_LIMIT_REACHED':
      return '超出当日限额';
    default:
      return error.message;
  }
}

/** Jeepay's PayOrder states (0–6) for ours; a partly refunded order is still 2, as at Jeepay. */
export function jeepayOrderState(state: OrderState): number {
  switch (state) {
    case 'created':
      return 0;
    case 'paying':
      return 1;
    case 'paid':
    case 'partially_refunded':
      return 2;
    case 'failed':
      return 3;
    case 'refunded':
      return 5;
    case 'closed':
      return 6;
  }
}

/** Jeepay's RefundOrder states: 1 退款中, 2 退款成功, 3 退款失败. */
export function jeepayRefundState(state: RefundRow['state']): number {
  return state === 'pending' ? 1 : state === 'succeeded' ? 2 : 3;
}

/** Jeepay's interface code (ifCode) for the channel an order went through. */
export function jeepayIfCode(adapterCode: string | null): string | undefined {
  if (adapterCode === null) return undefined;
  return adapterCode === 'wechatpay' ? 'wxpay' : adapterCode;
}

/** Jeepay's payDataType for ours. */
export function jeepayPayDataType(type: string | null): string {
  switch (type) {
    case 'qr':
      return 'codeUrl';
    case 'url':
      return 'payurl';
    case 'form':
      return 'form';
    case 'jsapi':
      return 'wxapp';
    default:
      return 'none';
  }
}

/** Where the cashier page sends the payer once paid: our return link, which signs and forwards. */
export function returnLinkOf(publicUrl: string, app: AppKeys, mchOrderNo: string): string {
  const token = returnToken(app.md5Key!, app.appId, mchOrderNo);
  return `${publicUrl}/api/compat/return/${encodeURIComponent(app.appId)}/${encodeURIComponent(mchOrderNo)}/${token}`;
}

/** Turns our AppError into the protocol's refusal; anything else goes on up. */
export function asProtocolError(
  error: unknown,
  context: { mchOrderNo?: string; mchRefundNo?: string },
): unknown {
  if (error instanceof AppError) {
    if (error.code === 'INVALID_REQUEST') return paramsError(error.message);
    return new ProtocolError(protocolMessage(error, context));
  }
  return error;
}
