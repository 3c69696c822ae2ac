/**
 * Refunds (/v3/refund/domestic/refunds) and their query.
 *
 * Official references: https://pay.weixin.qq.com/doc/v3/merchant/4012791862 / 4012791863
 */
import { z } from 'zod';
import type {
  ChannelContext,
  CreateRefundRequest,
  CreateRefundResult,
  ProviderRefundStatus,
  RefundReference,
  RefundStatusResult,
} from '../types.ts';
import { callWechatpay, errorCode, errorMessage, lookup, UNKNOWN_CODES } from './api.ts';
import { credentialsSchema } from './credentials.ts';

const REFUND_STATES: Record<string, ProviderRefundStatus> = {
  SUCCESS: 'succeeded',
  PROCESSING: 'pending',
  CLOSED: 'failed',
  // The money could not reach the payer's account: the refund did not happen as asked.
  ABNORMAL: 'failed',
};

const REFUND = z.object({
  refund_id: z.string().optional(),
  out_refund_no: z.string().min(1),
  out_trade_no: z.string().optional(),
  status: z.string(),
  amount: z.object({ refund: z.number().int().nonnegative(), currency: z.string().optional() }).optional(),
});

export async function createRefund(
  ctx: ChannelContext,
  refund: CreateRefundRequest,
): Promise<CreateRefundResult> {
  const parsed = credentialsSchema.safeParse(ctx.credentials);
  if (!parsed.success) return { outcome: 'refused', code: 'INVALID_CREDENTIALS', message: 'bad credentials' };
  const body: Record<string, unknown> = {
    out_trade_no: refund.orderNo,
    out_refund_no: refund.refundNo,
    notify_url: ctx.refundNotifyUrl,
    amount: { refund: Number(refund.amount), total: Number(refund.totalAmount), currency: refund.currency },
  };
  if (parsed.data.subMchId) body.sub_mchid = parsed.data.subMchId;
  if (refund.reason) body.reason = Array.from(refund.reason).slice(0, 80).join('');
  const call = await callWechatpay(ctx, parsed.data, 'POST', '/v3/refund/domestic/refunds', body);
  if (!call.ok) return { outcome: 'unknown', code: call.code, message: call.message };
  if (call.status === 200) {
    const answer = REFUND.safeParse(call.json);
    const status = answer.success ? lookup(REFUND_STATES, answer.data.status) : undefined;
    if (!answer.success || status === undefined || answer.data.out_refund_no !== refund.refundNo) {
      return { outcome: 'unknown', code: 'CHANNEL_BAD_RESPONSE', message: 'refund answer is malformed' };
    }
    return { outcome: 'accepted', channelRefundNo: answer.data.refund_id ?? null, status, raw: call.json };
  }
  const code = errorCode(call);
  if (call.status >= 500 || UNKNOWN_CODES.has(code)) {
    return { outcome: 'unknown', code, message: errorMessage(call) };
  }
  return {
    outcome: 'refused',
    code,
    message: `WeChat Pay refused the refund: ${errorMessage(call)}`,
    raw: call.json,
  };
}

export async function queryRefund(
  ctx: ChannelContext,
  reference: RefundReference,
): Promise<RefundStatusResult> {
  const credentials = credentialsSchema.parse(ctx.credentials);
  const path = `/v3/refund/domestic/refunds/${encodeURIComponent(reference.refundNo)}${
    credentials.subMchId ? `?sub_mchid=${credentials.subMchId}` : ''
  }`;
  const call = await callWechatpay(ctx, credentials, 'GET', path);
  if (!call.ok) throw new Error(`WeChat Pay refund query failed: ${call.code}: ${call.message}`);
  if (call.status === 404) return { status: 'not_found', raw: call.json };
  if (call.status !== 200) throw new Error(`WeChat Pay refund query: ${call.status} ${errorCode(call)}`);
  const answer = REFUND.safeParse(call.json);
  const status = answer.success ? lookup(REFUND_STATES, answer.data.status) : undefined;
  if (!answer.success || status === undefined || answer.data.out_refund_no !== reference.refundNo) {
    throw new Error('WeChat Pay refund query answer is malformed');
  }
  return {
    status,
    channelRefundNo: answer.data.refund_id ?? null,
    amount: answer.data.amount ? BigInt(answer.data.amount.refund) : undefined,
    raw: call.json,
  };
}
