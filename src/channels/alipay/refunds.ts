/** Refunds (alipay.trade.refund) and their query (alipay.trade.fastpay.refund.query). */
import type {
  ChannelContext,
  CreateRefundRequest,
  CreateRefundResult,
  RefundReference,
  RefundStatusResult,
} from '../types.ts';
import { keysOf } from './credentials.ts';
import { callGateway, codeOf, cut, describe, str, subCodeOf } from './gateway.ts';
import { fromYuan, toYuan } from './protocol.ts';

export async function createRefund(
  ctx: ChannelContext,
  refund: CreateRefundRequest,
): Promise<CreateRefundResult> {
  const keys = keysOf(ctx);
  if (!keys) return { outcome: 'refused', code: 'INVALID_CREDENTIALS', message: 'bad credentials' };
  const biz: Record<string, unknown> = {
    out_trade_no: refund.orderNo,
    refund_amount: toYuan(refund.amount),
    out_request_no: refund.refundNo,
  };
  if (refund.reason) biz.refund_reason = cut(refund.reason, 256);
  const call = await callGateway(ctx, keys.credentials, 'alipay.trade.refund', biz);
  if (!call.ok) return { outcome: 'unknown', code: call.code, message: call.message };
  const answer = call.answer;
  const code = codeOf(answer);
  if (code === '10000') {
    if (str(answer, 'out_trade_no') !== refund.orderNo) {
      return {
        outcome: 'unknown',
        code: 'CHANNEL_BAD_RESPONSE',
        message: 'refund answer names another trade',
      };
    }
    const channelRefundNo = str(answer, 'trade_no') ?? null;
    if (str(answer, 'fund_change') === 'Y') {
      return { outcome: 'accepted', channelRefundNo, status: 'succeeded', raw: answer };
    }
    // fund_change=N: a repeat of a refund taken before, or one still moving: the query decides.
    try {
      const status = await queryRefund(ctx, {
        refundNo: refund.refundNo,
        orderNo: refund.orderNo,
      });
      if (status.status === 'succeeded' && status.amount === refund.amount) {
        return { outcome: 'accepted', channelRefundNo, status: 'succeeded', raw: answer };
      }
    } catch {}
    return { outcome: 'accepted', channelRefundNo, status: 'pending', raw: answer };
  }
  const sub = subCodeOf(answer);
  if (code === '20000' || sub === 'ACQ.SYSTEM_ERROR' || code === '') {
    return { outcome: 'unknown', code: sub, message: describe(answer) };
  }
  return { outcome: 'refused', code: sub, message: describe(answer), raw: answer };
}

export async function queryRefund(
  ctx: ChannelContext,
  reference: RefundReference,
): Promise<RefundStatusResult> {
  const keys = keysOf(ctx);
  if (!keys) throw new Error('alipay: bad credentials');
  const call = await callGateway(ctx, keys.credentials, 'alipay.trade.fastpay.refund.query', {
    out_trade_no: reference.orderNo,
    out_request_no: reference.refundNo,
    query_options: ['gmt_refund_pay'],
  });
  if (!call.ok) throw new Error(`alipay refund query failed: ${call.code}: ${call.message}`);
  const answer = call.answer;
  if (codeOf(answer) !== '10000') {
    if (str(answer, 'sub_code') === 'ACQ.TRADE_NOT_EXIST') return { status: 'not_found', raw: answer };
    throw new Error(`alipay refund query answered ${describe(answer)}`);
  }
  // No refund under this request number: Alipay answers 10000 without the refund's fields.
  const requestNo = str(answer, 'out_request_no');
  if (!requestNo) return { status: 'not_found', raw: answer };
  if (requestNo !== reference.refundNo) throw new Error('alipay refund query answered another refund');
  const amount = fromYuan(str(answer, 'refund_amount'));
  const refundStatus = str(answer, 'refund_status');
  // Alipay answers only refunds it took; REFUND_SUCCESS (or, from older gateways, no status) = done.
  const status = refundStatus === 'REFUND_SUCCESS' || refundStatus === undefined ? 'succeeded' : 'pending';
  return { status, channelRefundNo: str(answer, 'trade_no') ?? null, amount, raw: answer };
}
