import { createHash } from 'node:crypto';
import { orderFailureReasonOf } from '../errors.ts';
import { toJsonAmount } from '../money/money.ts';
import type { OrderRow } from './queries.ts';
import type { CreateOrderInput } from './service.ts';
import type { OrderState } from './state.ts';

/** The fields that define an order, in a fixed order, so a retry hashes the same whatever its key order. */
export function hashCreateRequest(input: CreateOrderInput): string {
  const canonical = stableStringify({
    mchOrderNo: input.mchOrderNo,
    productCode: input.productCode,
    amount: input.amount.toString(),
    currency: input.currency ?? null,
    subject: input.subject,
    body: input.body ?? null,
    notifyUrl: input.notifyUrl ?? null,
    returnUrl: input.returnUrl ?? null,
    clientIp: input.clientIp ?? null,
    expireSeconds: input.expireSeconds ?? null,
    extra: input.extra ?? null,
    // Marketplace terms only when given: an order without them hashes as it always did.
    ...(input.payee === undefined ? {} : { payee: input.payee }),
    ...(input.splitRuleNo === undefined ? {} : { splitRuleNo: input.splitRuleNo }),
    ...(input.escrow === undefined ? {} : { escrow: input.escrow }),
    ...(input.purpose === undefined ? {} : { purpose: input.purpose }),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The merchant-facing shape of an order (API responses and notifies). */
export function orderView(order: OrderRow, cashierUrl: string) {
  return {
    orderNo: order.order_no,
    mchOrderNo: order.mch_order_no,
    productCode: order.product_code,
    state: order.state,
    amount: toJsonAmount(order.amount),
    currency: order.currency,
    fee: toJsonAmount(order.fee),
    /** Refunded or being refunded (pending refunds included). */
    refundedAmount: toJsonAmount(order.refunded_amount),
    subject: order.subject,
    cashierUrl,
    payData: order.pay_data_type ? { type: order.pay_data_type, value: order.pay_data_value ?? '' } : null,
    channelOrderNo: order.channel_order_no,
    paidAt: order.paid_at?.toISOString() ?? null,
    closedAt: order.closed_at?.toISOString() ?? null,
    expiresAt: order.expires_at.toISOString(),
    createdAt: order.created_at.toISOString(),
    failure: order.failure_code
      ? {
          code: order.failure_code,
          message: order.failure_message ?? '',
          reason: order.failure_reason ?? orderFailureReasonOf(order.failure_code),
        }
      : null,
    extra: order.extra,
  };
}

export function notifyBody(event: string, order: OrderRow) {
  return {
    event,
    orderNo: order.order_no,
    mchOrderNo: order.mch_order_no,
    productCode: order.product_code,
    state: order.state as OrderState,
    amount: toJsonAmount(order.amount),
    currency: order.currency,
    fee: toJsonAmount(order.fee),
    channelOrderNo: order.channel_order_no,
    paidAt: order.paid_at?.toISOString() ?? null,
    extra: order.extra,
  };
}
