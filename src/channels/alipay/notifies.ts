/** Alipay's async notifies (https://opendocs.alipay.com/open/270/105902) and our answer to them. */
import type { ChannelContext, InboundNotify, NotifyAck, ParsedNotify } from '../types.ts';
import { NotifyRejected } from '../types.ts';
import { alipayKeyOf, keysOf } from './credentials.ts';
import { type AlipayParams, fromYuan, parseShanghaiTime, verifyNotifyParams } from './protocol.ts';

export function parseNotify(ctx: ChannelContext, notify: InboundNotify): ParsedNotify {
  const keys = keysOf(ctx);
  if (!keys) throw new NotifyRejected('SIGNATURE_INVALID', 'no valid key to verify with');
  const params = formParams(notify.rawBody);
  if (!params.sign) throw new NotifyRejected('MALFORMED', 'sign is missing');
  if (params.sign_type && params.sign_type !== 'RSA2') {
    throw new NotifyRejected('SIGNATURE_INVALID', `sign_type ${params.sign_type.slice(0, 16)} is not RSA2`);
  }
  if (!verifyNotifyParams(params, alipayKeyOf(keys.credentials))) {
    throw new NotifyRejected(
      'SIGNATURE_INVALID',
      'the notify sign does not verify with the Alipay public key',
    );
  }
  const { credentials } = keys;
  if (params.app_id !== credentials.appId) {
    throw new NotifyRejected(
      'WRONG_ACCOUNT',
      `notify for app ${String(params.app_id).slice(0, 32)}, not this account`,
    );
  }
  if (credentials.sellerId && params.seller_id !== credentials.sellerId) {
    throw new NotifyRejected(
      'WRONG_ACCOUNT',
      `notify for seller ${String(params.seller_id).slice(0, 32)}, not this account`,
    );
  }
  if (params.notify_type && params.notify_type !== 'trade_status_sync') {
    throw new NotifyRejected('MALFORMED', `notify_type ${params.notify_type.slice(0, 32)} is not handled`);
  }
  const orderNo = params.out_trade_no;
  const amount = fromYuan(params.total_amount);
  if (!orderNo || amount === undefined)
    throw new NotifyRejected('MALFORMED', 'out_trade_no or total_amount is missing');
  const paidAt = params.gmt_payment ? parseShanghaiTime(params.gmt_payment) : null;
  if (paidAt === undefined) throw new NotifyRejected('MALFORMED', 'gmt_payment is not a time');
  const base = {
    kind: 'payment' as const,
    orderNo,
    channelOrderNo: params.trade_no || null,
    amount,
    currency: 'CNY',
  };
  // A refund's notify (refund_fee / gmt_refund / out_biz_no) comes to the trade's notify URL. It
  // tells that the trade was paid, which the order already is: acknowledged as a repeat of the
  // payment. The refund itself is settled by the refund's answer or its query, not by this.
  const refundNotify =
    params.refund_fee !== undefined || params.gmt_refund !== undefined || params.out_biz_no !== undefined;
  if (refundNotify && paidAt) return { ...base, status: 'paid', paidAt };
  switch (params.trade_status) {
    case 'TRADE_SUCCESS':
    case 'TRADE_FINISHED':
      return { ...base, status: 'paid', paidAt: paidAt ?? null };
    case 'TRADE_CLOSED':
      // Never paid (a paid trade closes only by a full refund, which carries refund fields): Alipay
      // closed it, after our close or at its own timeout.
      return { ...base, status: 'closed', paidAt: null };
    default:
      throw new NotifyRejected(
        'MALFORMED',
        `trade_status ${String(params.trade_status).slice(0, 32)} is not handled`,
      );
  }
}

export function notifyAck(accepted: boolean): NotifyAck {
  return { status: 200, contentType: 'text/plain', body: accepted ? 'success' : 'fail' };
}

function formParams(rawBody: string): AlipayParams {
  const params: AlipayParams = {};
  for (const [name, value] of new URLSearchParams(rawBody)) {
    // A repeated field would make "what was signed" ambiguous.
    if (Object.hasOwn(params, name))
      throw new NotifyRejected('MALFORMED', `field ${name.slice(0, 32)} is repeated`);
    params[name] = value;
  }
  return params;
}
