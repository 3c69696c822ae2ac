/**
 * Payment by the customer's pay code (B扫C, ALI_BAR); the wait-query-cancel rule is in 当面付's
 * guide, https://opendocs.alipay.com/open/194/106039.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ChannelContext,
  CreatePaymentRequest,
  CreatePaymentResult,
  PaymentStatusResult,
} from '../types.ts';
import type { Keys } from './credentials.ts';
import { type Content, callGateway, codeOf, describe, str, subCodeOf } from './gateway.ts';
import { queryPayment, tradeBiz } from './payments.ts';
import { fromYuan, parseShanghaiTime } from './protocol.ts';

const DEFAULT_PAY_CODE_INTERVAL_MS = 2_000;
const DEFAULT_PAY_CODE_ATTEMPTS = 5;

/** Answers of a pay code the customer's side refused: final for the order, no other account tried. */
const PAY_CODE_DECLINES = new Set([
  'ACQ.PAYMENT_AUTH_CODE_INVALID',
  'ACQ.BUYER_BALANCE_NOT_ENOUGH',
  'ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH',
  'ACQ.ERROR_BALANCE_PAYMENT_DISABLE',
  'ACQ.BUYER_SELLER_EQUAL',
  'ACQ.TRADE_BUYER_NOT_MATCH',
  'ACQ.BUYER_ENABLE_STATUS_FORBID',
  'ACQ.PAYMENT_FAIL',
  'ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR',
  'ACQ.BUYER_PAYMENT_AMOUNT_MONTH_LIMIT_ERROR',
  'ACQ.PAYMENT_REQUEST_HAS_RISK',
  'ACQ.NO_PAYMENT_INSTRUMENTS_AVAILABLE',
  'ACQ.USER_FACE_PAYMENT_SWITCH_OFF',
  'ACQ.PULL_MOBILE_CASHIER_FAIL',
  'ACQ.MOBILE_PAYMENT_SWITCH_OFF',
  'ACQ.TRADE_HAS_CLOSE',
]);

/** Code a pay-code payment is declined with when its outcome stayed unknown and it was cancelled (撤销). */
export const PAY_CODE_CANCELLED = 'PAY_CODE_CANCELLED';

/**
 * B扫C: `alipay.trade.pay` scene=bar_code. Paid at once, declined, or — waiting for the customer's
 * password (10003), a system error or no answer — queried a few times; a customer still paying
 * leaves the order pending (the order-query job follows it), an outcome still unknown is cancelled
 * (撤销, which also returns any money taken) and declined.
 */
export async function payWithCode(
  ctx: ChannelContext,
  keys: Keys,
  payment: CreatePaymentRequest,
  authCode: string,
): Promise<CreatePaymentResult> {
  const biz = {
    ...tradeBiz(payment, 'FACE_TO_FACE_PAYMENT'),
    scene: 'bar_code',
    auth_code: authCode,
  };
  const call = await callGateway(ctx, keys.credentials, 'alipay.trade.pay', biz, {
    notify_url: ctx.notifyUrl,
  });
  if (call.ok) {
    const answer = call.answer;
    const code = codeOf(answer);
    const sub = str(answer, 'sub_code') ?? '';
    if (code === '10000') {
      const paid = paidOutcome(answer, payment.orderNo);
      if (paid) return paid;
    } else if (code === '40004' && sub !== 'ACQ.SYSTEM_ERROR') {
      if (PAY_CODE_DECLINES.has(sub)) {
        return {
          outcome: 'declined',
          channelOrderNo: str(answer, 'trade_no') ?? null,
          code: sub,
          message: describe(answer),
          raw: answer,
        };
      }
      return { outcome: 'refused', code: sub, message: describe(answer), raw: answer };
    } else if (['40001', '40002', '40006'].includes(code)) {
      return { outcome: 'refused', code: subCodeOf(answer), message: describe(answer), raw: answer };
    }
    // 10003 (waiting for the customer), 20000, ACQ.SYSTEM_ERROR: ask.
  }
  return resolvePayCode(ctx, keys, payment);
}

function paidOutcome(answer: Content, orderNo: string): CreatePaymentResult | null {
  const amount = fromYuan(str(answer, 'total_amount'));
  if (str(answer, 'out_trade_no') !== orderNo || amount === undefined) return null;
  return {
    outcome: 'accepted',
    channelOrderNo: str(answer, 'trade_no') ?? null,
    payData: { type: 'none', value: '' },
    status: 'paid',
    paidAt: parseShanghaiTime(str(answer, 'gmt_payment') ?? str(answer, 'send_pay_date')) ?? null,
    amount,
    raw: answer,
  };
}

async function resolvePayCode(
  ctx: ChannelContext,
  keys: Keys,
  payment: CreatePaymentRequest,
): Promise<CreatePaymentResult> {
  const attempts = keys.config.payCodeQueryAttempts ?? DEFAULT_PAY_CODE_ATTEMPTS;
  const interval = keys.config.payCodeQueryIntervalMs ?? DEFAULT_PAY_CODE_INTERVAL_MS;
  // Bounded whatever the network does: the queries stop at this deadline, then one cancel.
  const deadline = Date.now() + attempts * interval + ctx.timeoutMs;
  let waiting = false;
  let channelOrderNo: string | null = null;
  for (let attempt = 0; attempt < attempts && Date.now() < deadline; attempt++) {
    await sleep(interval);
    let status: PaymentStatusResult;
    try {
      status = await queryPayment(ctx, { orderNo: payment.orderNo });
    } catch {
      continue;
    }
    channelOrderNo = status.channelOrderNo ?? channelOrderNo;
    if (status.status === 'paid') {
      return {
        outcome: 'accepted',
        channelOrderNo,
        payData: { type: 'none', value: '' },
        status: 'paid',
        paidAt: status.paidAt ?? null,
        amount: status.amount,
        raw: status.raw,
      };
    }
    if (status.status === 'closed') {
      return {
        outcome: 'declined',
        channelOrderNo,
        code: 'TRADE_CLOSED',
        message: 'Alipay closed the payment',
      };
    }
    waiting = status.status === 'pending';
  }
  // The customer is still confirming on the phone: the order waits, and is queried (then closed at expiry).
  if (waiting)
    return { outcome: 'accepted', channelOrderNo, payData: { type: 'none', value: '' }, status: 'pending' };
  // Unknown: cancel (撤销) so that nothing is taken, and any money taken goes back.
  let cancel = await callGateway(ctx, keys.credentials, 'alipay.trade.cancel', {
    out_trade_no: payment.orderNo,
  });
  // retry_flag=Y: Alipay asks for the cancel again.
  if (cancel.ok && str(cancel.answer, 'retry_flag') === 'Y') {
    await sleep(interval);
    cancel = await callGateway(ctx, keys.credentials, 'alipay.trade.cancel', {
      out_trade_no: payment.orderNo,
    });
  }
  if (cancel.ok && codeOf(cancel.answer) === '10000' && str(cancel.answer, 'retry_flag') !== 'Y') {
    return {
      outcome: 'declined',
      channelOrderNo: str(cancel.answer, 'trade_no') ?? channelOrderNo,
      code: PAY_CODE_CANCELLED,
      message: `the pay code's outcome stayed unknown; Alipay cancelled it (action ${str(cancel.answer, 'action') ?? 'close'})`,
      raw: cancel.answer,
    };
  }
  return {
    outcome: 'unknown',
    code: cancel.ok ? subCodeOf(cancel.answer) : cancel.code,
    message: `the pay code's outcome is unknown and the cancel did not succeed: ${cancel.ok ? describe(cancel.answer) : cancel.message}`,
  };
}
