/**
 * Payment by the customer's pay code (付款码, B扫C): codepay, then the wait while the customer
 * confirms, the queries, and the reverse when the outcome stays unknown.
 *
 * Official reference: https://pay.weixin.qq.com/doc/v3/merchant/4012791871 (codepay, reverse)
 */
import type { z } from 'zod';
import type { ChannelContext, CreatePaymentRequest, CreatePaymentResult } from '../types.ts';
import { CONFIGURATION_CODES, callWechatpay, errorCode, errorMessage, lookup, UNKNOWN_CODES } from './api.ts';
import type { Credentials, configSchema } from './credentials.ts';
import {
  MAX_DESCRIPTION_CHARACTERS,
  merchantIds,
  queryPath,
  TRADE_STATES,
  TRANSACTION,
  type Transaction,
  transactionsPath,
} from './transactions.ts';

const DEFAULT_PAY_CODE_WAIT_MS = 20_000;
const DEFAULT_PAY_CODE_POLL_MS = 2_000;

/**
 * A pay code (付款码): paid at once, or the customer confirms on the phone (USERPAYING: queried for a
 * while, then left pending), or declined; an unknown outcome is queried and, if still unknown,
 * reversed (撤销) so the customer cannot be charged for a sale the till gave up on.
 */
export async function payByCode(
  ctx: ChannelContext,
  credentials: Credentials,
  config: z.infer<typeof configSchema>,
  payment: CreatePaymentRequest,
  authCode: string,
): Promise<CreatePaymentResult> {
  const body: Record<string, unknown> = {
    ...merchantIds(credentials),
    description: Array.from(payment.subject).slice(0, MAX_DESCRIPTION_CHARACTERS).join(''),
    out_trade_no: payment.orderNo,
    payer: { auth_code: authCode },
    amount: { total: Number(payment.amount), currency: 'CNY' },
  };
  if (payment.clientIp) body.scene_info = { device_ip: payment.clientIp };
  const call = await callWechatpay(
    ctx,
    credentials,
    'POST',
    `${transactionsPath(credentials)}/codepay`,
    body,
  );
  let userPaying = false;
  if (call.ok) {
    if (call.status === 200) {
      const transaction = TRANSACTION.safeParse(call.json);
      if (transaction.success && transaction.data.out_trade_no === payment.orderNo) {
        const outcome = codeOutcome(transaction.data);
        if (outcome) return outcome;
        userPaying = true;
      }
    } else {
      const code = errorCode(call);
      if (code === 'USERPAYING') userPaying = true;
      else if (CONFIGURATION_CODES.has(code)) {
        return {
          outcome: 'refused',
          code,
          message: `WeChat Pay refused: ${errorMessage(call)}`,
          raw: call.json,
        };
      } else if (call.status < 500 && !UNKNOWN_CODES.has(code)) {
        return {
          outcome: 'declined',
          channelOrderNo: null,
          code,
          message: errorMessage(call),
          raw: call.json,
        };
      }
    }
  }
  // Waiting for the customer, or not knowing: ask again for a bounded time.
  const deadline = Date.now() + (config.payCodeWaitMs ?? DEFAULT_PAY_CODE_WAIT_MS);
  const pause = config.payCodePollMs ?? DEFAULT_PAY_CODE_POLL_MS;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(pause, deadline - Date.now()))));
    const query = await callWechatpay(ctx, credentials, 'GET', queryPath(payment.orderNo, credentials));
    if (query.ok && query.status === 200) {
      const transaction = TRANSACTION.safeParse(query.json);
      if (transaction.success && transaction.data.out_trade_no === payment.orderNo) {
        const outcome = codeOutcome(transaction.data);
        if (outcome) return outcome;
        if (transaction.data.trade_state === 'USERPAYING') userPaying = true;
      }
    }
    if (Date.now() >= deadline) break;
  }
  if (userPaying) {
    // The customer is still entering the password: the order stays open; notify or query ends it.
    return {
      outcome: 'accepted',
      channelOrderNo: null,
      payData: { type: 'none', value: '' },
      status: 'pending',
    };
  }
  const reversePath = `${transactionsPath(credentials)}/out-trade-no/${encodeURIComponent(payment.orderNo)}/reverse`;
  const reverse = await callWechatpay(ctx, credentials, 'POST', reversePath, merchantIds(credentials));
  if (
    reverse.ok &&
    (reverse.status === 200 || reverse.status === 204 || errorCode(reverse) === 'ORDER_NOT_EXIST')
  ) {
    return {
      outcome: 'declined',
      channelOrderNo: null,
      code: 'PAY_CODE_REVERSED',
      message: 'the pay code’s outcome stayed unknown; the payment was reversed at WeChat Pay',
    };
  }
  return {
    outcome: 'unknown',
    code: 'PAY_CODE_REVERSE_FAILED',
    message: reverse.ok ? `reverse answered ${reverse.status} ${errorCode(reverse)}` : reverse.message,
  };
}

/** A pay code's final state, or null while the customer is still paying. */
function codeOutcome(transaction: Transaction): CreatePaymentResult | null {
  const status = lookup(TRADE_STATES, transaction.trade_state);
  const channelOrderNo = transaction.transaction_id ?? null;
  if (status === 'paid') {
    const paidAt = transaction.success_time ? new Date(transaction.success_time) : null;
    return {
      outcome: 'accepted',
      channelOrderNo,
      payData: { type: 'none', value: '' },
      status: 'paid',
      paidAt: paidAt && !Number.isNaN(paidAt.getTime()) ? paidAt : null,
      amount: transaction.amount?.total !== undefined ? BigInt(transaction.amount.total) : undefined,
      raw: transaction,
    };
  }
  if (status === 'failed' || status === 'closed') {
    return {
      outcome: 'declined',
      channelOrderNo,
      code: transaction.trade_state,
      message: transaction.trade_state_desc ?? 'the payment was not made',
      raw: transaction,
    };
  }
  return null;
}
