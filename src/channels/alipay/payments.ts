/**
 * Payments the payer completes on their side: C扫B QR (alipay.trade.precreate), H5
 * (alipay.trade.wap.pay) and PC (alipay.trade.page.pay); their query (alipay.trade.query) and
 * close (alipay.trade.close, or alipay.trade.cancel for a trade Alipay does not know yet).
 */
import type {
  ChannelContext,
  ClosePaymentResult,
  CreatePaymentRequest,
  CreatePaymentResult,
  PaymentReference,
  PaymentStatusResult,
} from '../types.ts';
import { type AlipayCredentials, type Keys, keysOf } from './credentials.ts';
import {
  type Content,
  callGateway,
  codeOf,
  cut,
  describe,
  gatewayOf,
  signedRequest,
  str,
  subCodeOf,
} from './gateway.ts';
import { fromYuan, parseShanghaiTime, shanghaiTime, toYuan } from './protocol.ts';

/** Opens a payment by its pay way: the QR to scan, or the signed H5 or PC page. */
export async function openPayment(
  ctx: ChannelContext,
  keys: Keys,
  payment: CreatePaymentRequest,
): Promise<CreatePaymentResult> {
  switch (payment.payWay) {
    case 'ALI_QR':
      return precreate(ctx, keys.credentials, payment);
    case 'ALI_WAP':
      return pagePay(ctx, keys.credentials, payment, 'alipay.trade.wap.pay', keys.config.wapPayData ?? 'url');
    case 'ALI_PC':
      return pagePay(ctx, keys.credentials, payment, 'alipay.trade.page.pay', 'form');
    default:
      return {
        outcome: 'refused',
        code: 'PAY_WAY_UNSUPPORTED',
        message: `Alipay does not serve ${payment.payWay} (ALI_BAR takes a pay code)`,
      };
  }
}

export function tradeBiz(payment: CreatePaymentRequest, productCode: string): Record<string, unknown> {
  const biz: Record<string, unknown> = {
    out_trade_no: payment.orderNo,
    total_amount: toYuan(payment.amount),
    subject: cut(payment.subject, 256),
    product_code: productCode,
  };
  if (payment.body) biz.body = cut(payment.body, 128);
  return biz;
}

async function precreate(
  ctx: ChannelContext,
  credentials: AlipayCredentials,
  payment: CreatePaymentRequest,
): Promise<CreatePaymentResult> {
  const biz = { ...tradeBiz(payment, 'FACE_TO_FACE_PAYMENT'), time_expire: shanghaiTime(payment.expiresAt) };
  const call = await callGateway(ctx, credentials, 'alipay.trade.precreate', biz, {
    notify_url: ctx.notifyUrl,
  });
  if (!call.ok) return { outcome: 'unknown', code: call.code, message: call.message };
  const answer = call.answer;
  const code = codeOf(answer);
  if (code === '10000') {
    const qr = str(answer, 'qr_code');
    if (!qr || str(answer, 'out_trade_no') !== payment.orderNo) {
      return { outcome: 'unknown', code: 'CHANNEL_BAD_RESPONSE', message: 'precreate answer lacks qr_code' };
    }
    return { outcome: 'accepted', channelOrderNo: null, payData: { type: 'qr', value: qr }, raw: answer };
  }
  if (code === '20000' || subCodeOf(answer) === 'ACQ.SYSTEM_ERROR') {
    return { outcome: 'unknown', code: subCodeOf(answer), message: describe(answer) };
  }
  return { outcome: 'refused', code: subCodeOf(answer), message: describe(answer), raw: answer };
}

/**
 * H5 and PC payments are not a server call: the payer's browser carries the signed request to the
 * gateway, as a GET URL or a self-posting form (what Alipay's SDKs' pageExec build).
 */
function pagePay(
  ctx: ChannelContext,
  credentials: AlipayCredentials,
  payment: CreatePaymentRequest,
  method: 'alipay.trade.wap.pay' | 'alipay.trade.page.pay',
  as: 'url' | 'form',
): CreatePaymentResult {
  const wap = method === 'alipay.trade.wap.pay';
  const biz = {
    ...tradeBiz(payment, wap ? 'QUICK_WAP_WAY' : 'FAST_INSTANT_TRADE_PAY'),
    time_expire: shanghaiTime(payment.expiresAt),
    ...(wap && payment.returnUrl ? { quit_url: payment.returnUrl } : {}),
  };
  const params = signedRequest(credentials, method, biz, {
    notify_url: ctx.notifyUrl,
    return_url: payment.returnUrl ?? undefined,
  });
  const gateway = gatewayOf(credentials);
  if (as === 'url') {
    const url = new URL(gateway);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return { outcome: 'accepted', channelOrderNo: null, payData: { type: 'url', value: url.toString() } };
  }
  const action = new URL(gateway);
  action.searchParams.set('charset', 'utf-8');
  const inputs = Object.entries(params)
    .map(
      ([key, value]) =>
        `<input type="hidden" name="${escapeAttribute(key)}" value="${escapeAttribute(value)}">`,
    )
    .join('');
  const form = `<form name="punchout_form" method="post" action="${escapeAttribute(action.toString())}">${inputs}<input type="submit" value="立即支付" style="display:none"></form><script>document.forms[0].submit();</script>`;
  return { outcome: 'accepted', channelOrderNo: null, payData: { type: 'form', value: form } };
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A query's answer as our status, or null when it is neither a trade nor "no such trade". */
function tradeStatusOf(answer: Content, orderNo: string): PaymentStatusResult | null {
  const code = codeOf(answer);
  if (code === '40004' && str(answer, 'sub_code') === 'ACQ.TRADE_NOT_EXIST')
    return { status: 'not_found', raw: answer };
  if (code !== '10000' || str(answer, 'out_trade_no') !== orderNo) return null;
  const amount = fromYuan(str(answer, 'total_amount'));
  const base = { channelOrderNo: str(answer, 'trade_no') ?? null, amount, currency: 'CNY', raw: answer };
  switch (str(answer, 'trade_status')) {
    case 'WAIT_BUYER_PAY':
      return { ...base, status: 'pending' };
    case 'TRADE_SUCCESS':
    case 'TRADE_FINISHED':
      return { ...base, status: 'paid', paidAt: parseShanghaiTime(str(answer, 'send_pay_date')) ?? null };
    case 'TRADE_CLOSED':
      return { ...base, status: 'closed' };
    default:
      return null;
  }
}

export async function queryPayment(
  ctx: ChannelContext,
  reference: PaymentReference,
): Promise<PaymentStatusResult> {
  const keys = keysOf(ctx);
  if (!keys) throw new Error('alipay: bad credentials');
  const call = await callGateway(ctx, keys.credentials, 'alipay.trade.query', {
    out_trade_no: reference.orderNo,
  });
  if (!call.ok) throw new Error(`alipay query failed: ${call.code}: ${call.message}`);
  const status = tradeStatusOf(call.answer, reference.orderNo);
  if (!status) throw new Error(`alipay query answered ${describe(call.answer)}`);
  return status;
}

export async function closePayment(
  ctx: ChannelContext,
  reference: PaymentReference,
): Promise<ClosePaymentResult> {
  const keys = keysOf(ctx);
  if (!keys) return { outcome: 'error', message: 'bad credentials' };
  const call = await callGateway(ctx, keys.credentials, 'alipay.trade.close', {
    out_trade_no: reference.orderNo,
  });
  if (!call.ok) return { outcome: 'error', message: `${call.code}: ${call.message}` };
  const answer = call.answer;
  if (codeOf(answer) === '10000') return { outcome: 'closed' };
  const sub = str(answer, 'sub_code');
  // A trade exists at Alipay only once the payer scanned the QR or opened the page; until then
  // close answers "no such trade" while the QR or link still works. Cancel (撤销) closes the
  // number itself, so a later scan cannot pay it (time_expire bounds it anyway).
  if (sub === 'ACQ.TRADE_NOT_EXIST') {
    const cancel = await callGateway(ctx, keys.credentials, 'alipay.trade.cancel', {
      out_trade_no: reference.orderNo,
    });
    if (!cancel.ok) return { outcome: 'error', message: `${cancel.code}: ${cancel.message}` };
    if (codeOf(cancel.answer) !== '10000' || str(cancel.answer, 'retry_flag') === 'Y') {
      return { outcome: 'error', message: `cancel: ${describe(cancel.answer)}` };
    }
    // action=refund: paid in the instant between the two calls, and the cancel gave it back.
    return {
      outcome: 'closed',
      message:
        str(cancel.answer, 'action') === 'refund'
          ? 'paid meanwhile; the cancel returned the money to the payer'
          : 'cancelled before the payer opened it',
    };
  }
  if (sub === 'ACQ.TRADE_STATUS_ERROR') {
    // Paid, or closed already: the query tells which.
    try {
      const status = await queryPayment(ctx, reference);
      if (status.status === 'paid') return { outcome: 'paid', message: 'already paid' };
      if (status.status === 'closed') return { outcome: 'closed', message: 'already closed' };
    } catch (error) {
      return { outcome: 'error', message: (error as Error).message };
    }
  }
  return { outcome: 'error', message: describe(answer) };
}
