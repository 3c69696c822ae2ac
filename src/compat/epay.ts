import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AppKeys } from '../merchants/service.ts';
import { formatMinor, parseMinor } from '../money/money.ts';
import type { OrderRow } from '../orders/queries.ts';
import { localDateTime } from '../stats/time.ts';
import {
  asProtocolError,
  type CompatServices,
  ProtocolError,
  productFor,
  protocolExtraOf,
  requireAllowedIp,
  returnLinkOf,
  usableApp,
} from './gateway.ts';
import type { Params } from './jeepay.ts';
import { epaySign, paramText, sameSignature } from './sign.ts';

const MCH_NO = /^[A-Za-z0-9_\-.]{1,64}$/;
const HTTP_URL = /^https?:\/\/[^\s]{1,500}$/i;
/** 易支付's money: yuan with at most two decimals, no sign, no exponent, no spaces. */
const MONEY = /^(?:0|[1-9]\d{0,11})(?:\.\d{1,2})?$/;

/**
 * "0.01" → 1n, "99999.99" → 9999999n: read as text, never through a floating-point number; null for
 * anything that is not a positive amount of yuan with at most two decimals.
 */
export function epayMoneyToFen(money: string): bigint | null {
  if (!MONEY.test(money)) return null;
  const fen = parseMinor(money, 'CNY');
  return fen !== null && fen > 0n ? fen : null;
}

/** 1n → "0.01": the two-decimal yuan epay's notifies and queries carry. */
export const fenToEpayMoney = (fen: bigint) => formatMinor(fen, 'CNY');

const text = (params: Params, name: string): string | undefined => {
  const value = paramText(params[name]);
  return value === null || value === '' ? undefined : value;
};

export interface EpayCreated {
  order: OrderRow;
  app: AppKeys;
}

/**
 * The 易支付 (epay) merchant interface: submit.php (the browser form), mapi.php (server to server)
 * and api.php (act=order, act=refund), on the platform's orders and refunds.
 */
export class EpayGateway {
  private readonly standInKey = randomBytes(24).toString('hex');

  constructor(
    private readonly services: CompatServices,
    private readonly publicUrl: () => string,
    private readonly timeZone: string,
  ) {}

  /** The pid and the MD5 signature (submit.php, mapi.php). */
  private async authenticate(params: Params): Promise<AppKeys> {
    const pid = text(params, 'pid');
    const sign = text(params, 'sign');
    if (pid === undefined || sign === undefined) throw new ProtocolError('pid 和 sign 不能为空');
    const signType = text(params, 'sign_type');
    if (signType !== undefined && signType.toUpperCase() !== 'MD5')
      throw new ProtocolError('签名方式仅支持 MD5');
    const app = usableApp(await this.services.merchants.appKeysByEpayPid(pid), 'epay');
    const valid = sameSignature(sign, epaySign(params, app?.md5Key ?? this.standInKey));
    // An unknown pid and an app that did not opt in to epay are answered as a bad signature.
    if (!valid || !app) throw new ProtocolError('签名校验失败');
    if (!app.merchantEnabled) throw new ProtocolError('商户已被封禁');
    return app;
  }

  /** api.php: the pid and the key itself (the protocol sends it as a parameter). */
  private async authenticateWithKey(params: Params): Promise<AppKeys> {
    const pid = text(params, 'pid') ?? '';
    const key = text(params, 'key') ?? '';
    const app = usableApp(await this.services.merchants.appKeysByEpayPid(pid), 'epay');
    const expected = Buffer.from(app?.md5Key ?? this.standInKey);
    const given = Buffer.from(key);
    const same = given.length === expected.length && timingSafeEqual(given, expected);
    if (!same || !app) throw new ProtocolError('商户ID或密钥校验失败');
    if (!app.merchantEnabled) throw new ProtocolError('商户已被封禁');
    return app;
  }

  /** submit.php and mapi.php: one order, idempotent on out_trade_no like every order of ours. */
  async create(params: Params, ip: string, options: { serverSide: boolean }): Promise<EpayCreated> {
    const app = await this.authenticate(params);
    if (options.serverSide) requireAllowedIp(app, ip);
    const type = text(params, 'type');
    const outTradeNo = text(params, 'out_trade_no');
    const notifyUrl = text(params, 'notify_url');
    const returnUrl = text(params, 'return_url');
    const name = text(params, 'name');
    const money = text(params, 'money');
    if (!type || !outTradeNo || !notifyUrl || !name || !money) {
      throw new ProtocolError('参数不完整：type、out_trade_no、notify_url、name、money 为必填');
    }
    if (!MCH_NO.test(outTradeNo))
      throw new ProtocolError('订单号(out_trade_no)须为 1–64 位字母、数字、_ - .');
    if (!HTTP_URL.test(notifyUrl))
      throw new ProtocolError('通知地址(notify_url)须为 http:// 或 https:// 地址');
    if (returnUrl !== undefined && !HTTP_URL.test(returnUrl))
      throw new ProtocolError('跳转地址(return_url)须为 http:// 或 https:// 地址');
    const amount = epayMoneyToFen(money);
    if (amount === null) throw new ProtocolError('金额(money)不合法：须为大于 0、最多两位小数的元');
    if (name.length > 128) throw new ProtocolError('商品名称(name)最长 128 个字符');
    const param = text(params, 'param');
    if (param !== undefined && param.length > 512) throw new ProtocolError('附加信息(param)最长 512 个字符');
    const productCode = productFor(app, type, `支付方式(type=${type})不支持`);
    try {
      const { order } = await this.services.orders.createOrder(app, {
        mchOrderNo: outTradeNo,
        productCode,
        amount,
        subject: name,
        notifyUrl,
        returnUrl: returnUrl === undefined ? undefined : returnLinkOf(this.publicUrl(), app, outTradeNo),
        clientIp: text(params, 'clientip') ?? ip,
        extra: {
          protocol: {
            protocol: 'epay',
            way: type,
            ...(param !== undefined ? { passthrough: param } : {}),
            ...(returnUrl !== undefined ? { returnUrl } : {}),
          },
        },
      });
      return { order, app };
    } catch (error) {
      throw asProtocolError(error, { mchOrderNo: outTradeNo });
    }
  }

  /** mapi.php's answer: the platform's number and where the payer pays (payurl or qrcode). */
  mapiAnswer({ order }: EpayCreated): Record<string, unknown> {
    if (order.state === 'failed') {
      return { code: -1, msg: order.failure_message ?? '下单失败', trade_no: order.order_no };
    }
    const answer: Record<string, unknown> = { code: 1, msg: 'success', trade_no: order.order_no };
    if (order.pay_data_type === 'qr' && order.pay_data_value) answer.qrcode = order.pay_data_value;
    else if (order.pay_data_type === 'url' && order.pay_data_value) answer.payurl = order.pay_data_value;
    // A form, a JSAPI payment or a finished order: the cashier page carries it.
    else answer.payurl = this.services.orders.cashierUrl(order.order_no);
    return answer;
  }

  /** api.php?act=order */
  async queryOrder(params: Params): Promise<Record<string, unknown>> {
    const app = await this.authenticateWithKey(params);
    const order = await this.orderOf(app, params);
    const paid = order.paid_at !== null && order.state !== 'closed' && order.state !== 'failed';
    return {
      code: 1,
      msg: '查询订单号成功！',
      trade_no: order.order_no,
      out_trade_no: order.mch_order_no,
      api_trade_no: order.channel_order_no ?? '',
      type: protocolExtraOf(order)?.way ?? typeOf(app, order) ?? '',
      pid: app.epayPid,
      addtime: localDateTime(order.created_at, this.timeZone),
      endtime: order.paid_at ? localDateTime(order.paid_at, this.timeZone) : '',
      name: order.subject,
      money: fenToEpayMoney(order.amount),
      status: paid ? 1 : 0,
      param: protocolExtraOf(order)?.passthrough ?? '',
      buyer: '',
    };
  }

  /**
   * api.php?act=refund: refunds `money` of the order. The protocol has no refund number; without
   * `out_refund_no` the refund's number is made from the order and the amount, so a retried request
   * is the same refund (a second refund of the same amount needs its own out_refund_no).
   */
  async refund(params: Params): Promise<Record<string, unknown>> {
    const app = await this.authenticateWithKey(params);
    const order = await this.orderOf(app, params);
    const money = text(params, 'money');
    const amount = money === undefined ? null : epayMoneyToFen(money);
    if (amount === null) throw new ProtocolError('退款金额(money)不合法：须为大于 0、最多两位小数的元');
    const outRefundNo = text(params, 'out_refund_no') ?? `E${order.order_no}-${amount}`;
    if (!MCH_NO.test(outRefundNo))
      throw new ProtocolError('退款单号(out_refund_no)须为 1–64 位字母、数字、_ - .');
    try {
      const { refund } = await this.services.refunds.createRefund(app, {
        orderNo: order.order_no,
        mchRefundNo: outRefundNo,
        amount,
      });
      if (refund.state === 'failed') return { code: -1, msg: refund.failure_message ?? '退款失败' };
      return {
        code: 1,
        msg: refund.state === 'succeeded' ? '退款成功' : '退款已受理，正在处理',
        refund_no: refund.refund_no,
        out_refund_no: refund.mch_refund_no,
        money: fenToEpayMoney(refund.amount),
        status: refund.state === 'succeeded' ? 1 : 0,
      };
    } catch (error) {
      throw asProtocolError(error, { mchRefundNo: outRefundNo });
    }
  }

  private async orderOf(app: AppKeys, params: Params): Promise<OrderRow> {
    const tradeNo = text(params, 'trade_no');
    const outTradeNo = text(params, 'out_trade_no');
    if (tradeNo === undefined && outTradeNo === undefined)
      throw new ProtocolError('trade_no 和 out_trade_no 不能同时为空');
    let order: OrderRow;
    try {
      order =
        tradeNo !== undefined
          ? await this.services.orders.getForMerchant(app.merchantId, tradeNo)
          : await this.services.orders.getByMchOrderNo(app.appId, outTradeNo!);
    } catch (error) {
      throw asProtocolError(error, {});
    }
    if (order.app_id !== app.appId || (outTradeNo !== undefined && order.mch_order_no !== outTradeNo))
      throw new ProtocolError('订单不存在');
    return order;
  }
}

/** The epay type of an order placed another way: the app's mapping back from its product. */
function typeOf(app: AppKeys, order: OrderRow): string | undefined {
  return Object.entries(app.protocolProducts).find(([, product]) => product === order.product_code)?.[0];
}

/** The fields of epay's payment notify and return link, signed (sign_type MD5). */
export function epayPaidParams(app: AppKeys, order: OrderRow): Record<string, string> {
  const extra = protocolExtraOf(order);
  const fields: Record<string, string> = {
    pid: app.epayPid ?? '',
    trade_no: order.order_no,
    out_trade_no: order.mch_order_no,
    type: extra?.way ?? typeOf(app, order) ?? '',
    name: order.subject,
    money: fenToEpayMoney(order.amount),
    trade_status: 'TRADE_SUCCESS',
  };
  if (extra?.passthrough !== undefined) fields.param = extra.passthrough;
  return { ...fields, sign: epaySign(fields, app.md5Key!), sign_type: 'MD5' };
}
