import type { AppKeys } from '../merchants/service.ts';
import type { NotifyFormatter, OutgoingNotify } from '../notify/service.ts';
import type { OrderState } from '../orders/state.ts';
import { epayPaidParams } from './epay.ts';
import type { CompatNotifyServices as CompatServices } from './gateway.ts';
import { jeepayOrderData, jeepayRefundData } from './jeepay.ts';
import { jeepaySign } from './sign.ts';

/** Both protocols' merchants answer `success` (Jeepay compares ignoring case; we trim both). */
const answeredSuccess = (_status: number, body: string) => body.trim().toLowerCase() === 'success';

/** A URL's own query parameters and the URL without them. */
function splitQuery(url: string): { base: string; query: URLSearchParams } {
  const at = url.indexOf('?');
  return at < 0
    ? { base: url, query: new URLSearchParams() }
    : { base: url.slice(0, at), query: new URLSearchParams(url.slice(at + 1)) };
}

/**
 * Jeepay's merchant notify (PayMchNotifyService + PayOrderMchNotifyMQReceiver): the query's fields
 * (QueryPayOrderRS / QueryRefundOrderRS) with reqTime and sign, POSTed as a form to the notify URL
 * (the URL's own query parameters join the form, as Jeepay's HttpUtil.post does); the merchant
 * answers `SUCCESS` in any case. The state is the one the event was written with.
 */
export function jeepayNotifyFormatter(services: CompatServices): NotifyFormatter {
  return async (task, keys) => {
    const payload = JSON.parse(task.payload) as {
      event: string;
      orderNo: string;
      state?: string;
      refundNo?: string;
    };
    let data: Record<string, unknown>;
    if (task.event_type.startsWith('order.')) {
      const order = await services.orders.getForMerchant(keys.merchantId, payload.orderNo);
      data = jeepayOrderData(keys, order, (payload.state as OrderState | undefined) ?? order.state);
    } else if (task.event_type.startsWith('refund.') && payload.refundNo) {
      const refund = await services.refunds.getForMerchant(keys.merchantId, payload.refundNo);
      const order = await services.orders.getForMerchant(keys.merchantId, refund.order_no);
      data = jeepayRefundData(keys, refund, order);
    } else {
      return null;
    }
    return jeepayForm(task.url, data, keys);
  };
}

function jeepayForm(url: string, data: Record<string, unknown>, keys: AppKeys): OutgoingNotify {
  const fields: Record<string, unknown> = Object.fromEntries(
    Object.entries({ ...data, reqTime: Date.now() }).filter(([, v]) => v !== null && v !== undefined),
  );
  fields.sign = jeepaySign(fields, keys.md5Key!);
  const { base, query } = splitQuery(url);
  for (const [name, value] of Object.entries(fields)) query.set(name, String(value));
  return {
    method: 'POST',
    url: base,
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    body: query.toString(),
    acknowledged: answeredSuccess,
  };
}

/**
 * 易支付's payment notify: a GET to notify_url with pid, trade_no, out_trade_no, type, name, money,
 * trade_status=TRADE_SUCCESS (and param), signed; the merchant answers `success`. The protocol has
 * no refund notify: refund events of epay apps are not sent (the refund is read with act=order or
 * answered at once by act=refund).
 */
export function epayNotifyFormatter(services: CompatServices): NotifyFormatter {
  return async (task, keys) => {
    if (task.event_type !== 'order.paid') return null;
    const payload = JSON.parse(task.payload) as { orderNo: string };
    const order = await services.orders.getForMerchant(keys.merchantId, payload.orderNo);
    const { base, query } = splitQuery(task.url);
    for (const [name, value] of Object.entries(epayPaidParams(keys, order))) query.set(name, value);
    return {
      method: 'GET',
      url: `${base}?${query.toString()}`,
      headers: {},
      body: undefined,
      acknowledged: answeredSuccess,
    };
  };
}
