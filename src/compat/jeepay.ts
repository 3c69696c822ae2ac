import { randomBytes } from 'node:crypto';
import type { AppKeys } from '../merchants/service.ts';
import type { OrderRow } from '../orders/queries.ts';
import { AUTH_CODE } from '../orders/routes.ts';
import type { OrderState } from '../orders/state.ts';
import type { RefundRow } from '../refunds/queries.ts';
import {
  asProtocolError,
  type CompatServices,
  jeepayIfCode,
  jeepayOrderState,
  jeepayPayDataType,
  jeepayRefundState,
  ProtocolError,
  paramsError,
  productFor,
  protocolExtraOf,
  requireAllowedIp,
  requireFreshReqTime,
  returnLinkOf,
  usableApp,
} from './gateway.ts';
import { jeepaySign, paramText, sameSignature } from './sign.ts';

/** Parameters as received (JSON body, form body or query string). */
export type Params = Record<string, unknown>;

const MCH_NO = /^[A-Za-z0-9_\-.]{1,64}$/;
const HTTP_URL = /^https?:\/\/[^\s]{1,500}$/i;
const MAX_PASSTHROUGH = 512;

/** Jeepay's ApiRes: code 0 with data signed by the app's key, or a refusal without data. */
export interface JeepayEnvelope {
  code: number;
  msg: string;
  data?: Record<string, unknown>;
  sign?: string;
}

/** Jeepay leaves null fields out of its JSON (fastjson), and so out of the signature. */
function compact(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== null && v !== undefined));
}

export function jeepayOk(data: Record<string, unknown>, key: string): JeepayEnvelope {
  const body = compact(data);
  return { code: 0, msg: 'SUCCESS', data: body, sign: jeepaySign(body, key) };
}

export function jeepayFail(error: ProtocolError): JeepayEnvelope {
  return { code: error.jeepayCode, msg: error.message };
}

const text = (params: Params, name: string): string | undefined => {
  const value = paramText(params[name]);
  return value === null || value.trim() === '' ? undefined : value;
};

const required = (params: Params, name: string, words: string): string => {
  const value = text(params, name);
  if (value === undefined) throw paramsError(words);
  return value;
};

/** A positive whole number of fen, read as text. */
function fen(value: string, words: string): bigint {
  if (!/^[1-9]\d{0,14}$/.test(value)) throw paramsError(words);
  return BigInt(value);
}

/**
 * The Jeepay merchant API (jeepay-payment's UnifiedOrderController, QueryOrderController,
 * CloseOrderController, RefundOrderController, QueryRefundOrderController) as a translation onto
 * the platform's orders and refunds.
 */
export class JeepayGateway {
  /** Key nobody holds: a request for an app that cannot be used costs the same MD5 as one that can. */
  private readonly standInKey = randomBytes(24).toString('hex');

  constructor(
    private readonly services: CompatServices,
    private readonly publicUrl: () => string,
  ) {}

  /** ApiController.getRQByWithMchSign: the common fields, reqTime, the MD5 signature, the app's state. */
  async authenticate(params: Params, ip: string): Promise<AppKeys> {
    const mchNo = required(params, 'mchNo', '商户号不能为空');
    const appId = required(params, 'appId', '商户应用ID不能为空');
    const sign = required(params, 'sign', '签名值不能为空');
    required(params, 'version', '版本号不能为空');
    const signType = required(params, 'signType', '签名类型不能为空');
    const reqTime = required(params, 'reqTime', '时间戳不能为空');
    if (signType.toUpperCase() !== 'MD5') throw paramsError('signType 仅支持 MD5');
    requireFreshReqTime(reqTime);
    const found = usableApp(await this.services.merchants.appKeys(appId), 'jeepay');
    // An unknown app, another merchant's, a disabled one and one that did not opt in to Jeepay's
    // protocol are all answered as a bad signature, after the same work.
    const app = found && found.mchNo === mchNo ? found : null;
    const valid = sameSignature(sign, jeepaySign(params, app?.md5Key ?? this.standInKey));
    if (!valid || !app) throw new ProtocolError('验签失败');
    if (!app.merchantEnabled) throw new ProtocolError('商户信息不存在或商户状态不可用');
    requireAllowedIp(app, ip);
    // Jeepay has no nonce: a signed request (its reqTime inside) is taken once within the window.
    if (!(await this.services.signatures.rememberNonce(app.appId, `jeepay-${sign.toUpperCase()}`))) {
      throw new ProtocolError('请求重复：该签名已使用，请以新的 reqTime 重新签名');
    }
    return app;
  }

  /** POST /api/pay/unifiedOrder */
  async unifiedOrder(params: Params, ip: string): Promise<JeepayEnvelope> {
    const app = await this.authenticate(params, ip);
    const mchOrderNo = required(params, 'mchOrderNo', '商户订单号不能为空');
    if (!MCH_NO.test(mchOrderNo)) throw paramsError('商户订单号须为 1–64 位字母、数字、_ - .');
    const wayCode = required(params, 'wayCode', '支付方式不能为空');
    const amount = fen(required(params, 'amount', '支付金额不能为空'), '支付金额须为正整数（单位：分）');
    const currency = required(params, 'currency', '货币代码不能为空');
    const subject = required(params, 'subject', '商品标题不能为空');
    const body = required(params, 'body', '商品描述信息不能为空');
    if (subject.length > 128) throw paramsError('商品标题最长 128 个字符');
    if (body.length > 256) throw paramsError('商品描述信息最长 256 个字符');
    const notifyUrl = text(params, 'notifyUrl');
    if (notifyUrl !== undefined && !HTTP_URL.test(notifyUrl))
      throw new ProtocolError('异步通知地址协议仅支持http:// 或 https:// !');
    const returnUrl = text(params, 'returnUrl');
    if (returnUrl !== undefined && !HTTP_URL.test(returnUrl))
      throw new ProtocolError('同步通知地址协议仅支持http:// 或 https:// !');
    const expiredTime = text(params, 'expiredTime');
    if (expiredTime !== undefined && !/^\d{1,6}$/.test(expiredTime))
      throw paramsError('订单失效时间须为秒数');
    const extParam = text(params, 'extParam');
    if (extParam !== undefined && extParam.length > MAX_PASSTHROUGH)
      throw paramsError(`商户扩展参数最长 ${MAX_PASSTHROUGH} 个字符`);
    const divisionMode = text(params, 'divisionMode');
    if (divisionMode !== undefined && divisionMode !== '0') throw new ProtocolError('该商户应用不支持分账');
    const channelExtra = channelExtraOf(text(params, 'channelExtra'));
    const authCode = channelExtra.authCode;
    if (authCode !== undefined && !AUTH_CODE.test(authCode))
      throw paramsError('channelExtra.authCode 须为付款码数字');

    const productCode = productFor(app, resolveWay(app, wayCode, authCode));
    const extra: Record<string, unknown> = {
      protocol: {
        protocol: 'jeepay',
        way: wayCode,
        ...(extParam !== undefined ? { passthrough: extParam } : {}),
        ...(returnUrl !== undefined ? { returnUrl } : {}),
      },
    };
    if (authCode !== undefined) extra.authCode = authCode;
    if (channelExtra.openid !== undefined) extra.openid = channelExtra.openid;
    const expireSeconds =
      expiredTime === undefined ? undefined : Math.min(86_400, Math.max(60, Number(expiredTime)));
    let order: OrderRow;
    try {
      ({ order } = await this.services.orders.createOrder(app, {
        mchOrderNo,
        productCode,
        amount,
        currency: currency.toUpperCase(),
        subject,
        body,
        notifyUrl,
        returnUrl: returnUrl === undefined ? undefined : returnLinkOf(this.publicUrl(), app, mchOrderNo),
        clientIp: text(params, 'clientIp') ?? ip,
        expireSeconds,
        extra,
      }));
    } catch (error) {
      throw asProtocolError(error, { mchOrderNo });
    }
    // The aggregated cashier (QR_CASHIER) is our cashier page: the payer chooses there.
    const cashier = wayCode === 'QR_CASHIER';
    return jeepayOk(
      {
        payOrderId: order.order_no,
        mchOrderNo: order.mch_order_no,
        orderState: jeepayOrderState(order.state),
        payDataType: cashier ? 'codeUrl' : jeepayPayDataType(order.pay_data_type),
        payData: cashier
          ? this.services.orders.cashierUrl(order.order_no)
          : (order.pay_data_value ?? undefined),
        errCode: order.failure_code ?? undefined,
        errMsg: order.failure_message ?? undefined,
      },
      app.md5Key!,
    );
  }

  /** POST /api/pay/query */
  async query(params: Params, ip: string): Promise<JeepayEnvelope> {
    const app = await this.authenticate(params, ip);
    const order = await this.orderOf(app, params);
    return jeepayOk(jeepayOrderData(app, order, order.state), app.md5Key!);
  }

  /** POST /api/pay/close: only an order not paid yet (0, 1); the channel first, as ours always does. */
  async close(params: Params, ip: string): Promise<JeepayEnvelope> {
    const app = await this.authenticate(params, ip);
    const order = await this.orderOf(app, params);
    if (order.state !== 'created' && order.state !== 'paying') throw new ProtocolError('当前订单不可关闭');
    let closed: OrderRow;
    try {
      closed = await this.services.orders.close(order, 'merchant');
    } catch (error) {
      throw asProtocolError(error, { mchOrderNo: order.mch_order_no });
    }
    if (closed.state !== 'closed') throw new ProtocolError('当前订单不可关闭');
    return jeepayOk({}, app.md5Key!);
  }

  /** POST /api/refund/refundOrder */
  async refund(params: Params, ip: string): Promise<JeepayEnvelope> {
    const app = await this.authenticate(params, ip);
    const payOrderId = text(params, 'payOrderId');
    const mchOrderNo = text(params, 'mchOrderNo');
    if (payOrderId === undefined && mchOrderNo === undefined)
      throw new ProtocolError('mchOrderNo 和 payOrderId不能同时为空');
    const mchRefundNo = required(params, 'mchRefundNo', '商户退款单号不能为空');
    if (!MCH_NO.test(mchRefundNo)) throw paramsError('商户退款单号须为 1–64 位字母、数字、_ - .');
    const amount = fen(required(params, 'refundAmount', '退款金额不能为空'), '退款金额请大于1分');
    required(params, 'currency', '货币代码不能为空');
    const reason = required(params, 'refundReason', '退款原因不能为空');
    const notifyUrl = text(params, 'notifyUrl');
    if (notifyUrl !== undefined && !HTTP_URL.test(notifyUrl))
      throw new ProtocolError('异步通知地址协议仅支持http:// 或 https:// !');
    let refund: RefundRow;
    try {
      ({ refund } = await this.services.refunds.createRefund(app, {
        orderNo: payOrderId,
        mchOrderNo,
        mchRefundNo,
        amount,
        reason: reason.slice(0, 256),
        notifyUrl,
      }));
    } catch (error) {
      throw asProtocolError(error, { mchOrderNo, mchRefundNo });
    }
    const order = await this.services.orders.getForMerchant(app.merchantId, refund.order_no);
    return jeepayOk(
      {
        refundOrderId: refund.refund_no,
        mchRefundNo: refund.mch_refund_no,
        payAmount: Number(order.amount),
        refundAmount: Number(refund.amount),
        state: jeepayRefundState(refund.state),
        channelOrderNo: refund.channel_refund_no ?? undefined,
        errCode: refund.failure_code ?? undefined,
        errMsg: refund.failure_message ?? undefined,
      },
      app.md5Key!,
    );
  }

  /** POST /api/refund/query */
  async refundQuery(params: Params, ip: string): Promise<JeepayEnvelope> {
    const app = await this.authenticate(params, ip);
    const refundOrderId = text(params, 'refundOrderId');
    const mchRefundNo = text(params, 'mchRefundNo');
    if (refundOrderId === undefined && mchRefundNo === undefined)
      throw new ProtocolError('mchRefundNo 和 refundOrderId不能同时为空');
    let refund: RefundRow;
    try {
      refund =
        refundOrderId !== undefined
          ? await this.services.refunds.getForMerchant(app.merchantId, refundOrderId)
          : await this.services.refunds.getByMchRefundNo(app.appId, mchRefundNo!);
    } catch (error) {
      throw asProtocolError(error, { mchRefundNo: mchRefundNo ?? '' });
    }
    if (refund.app_id !== app.appId || (mchRefundNo !== undefined && refund.mch_refund_no !== mchRefundNo))
      throw new ProtocolError('订单不存在');
    const order = await this.services.orders.getForMerchant(app.merchantId, refund.order_no);
    return jeepayOk(jeepayRefundData(app, refund, order), app.md5Key!);
  }

  /** The order a query, close or refund names: by payOrderId or mchOrderNo, and of this app only. */
  private async orderOf(app: AppKeys, params: Params): Promise<OrderRow> {
    const payOrderId = text(params, 'payOrderId');
    const mchOrderNo = text(params, 'mchOrderNo');
    if (payOrderId === undefined && mchOrderNo === undefined)
      throw new ProtocolError('mchOrderNo 和 payOrderId不能同时为空');
    let order: OrderRow;
    try {
      order =
        payOrderId !== undefined
          ? await this.services.orders.getForMerchant(app.merchantId, payOrderId)
          : await this.services.orders.getByMchOrderNo(app.appId, mchOrderNo!);
    } catch (error) {
      throw asProtocolError(error, {});
    }
    if (order.app_id !== app.appId || (mchOrderNo !== undefined && order.mch_order_no !== mchOrderNo))
      throw new ProtocolError('订单不存在');
    return order;
  }
}

/** channelExtra: a JSON object in a string (authCode for the pay-code ways, openid for WX_JSAPI). */
function channelExtraOf(value: string | undefined): { authCode?: string; openid?: string } {
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw paramsError('channelExtra 须为 JSON 对象');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw paramsError('channelExtra 须为 JSON 对象');
  const extra = parsed as Record<string, unknown>;
  const out: { authCode?: string; openid?: string } = {};
  if (typeof extra.authCode === 'string') out.authCode = extra.authCode;
  if (typeof extra.openid === 'string') {
    if (!/^[\w-]{1,128}$/.test(extra.openid)) throw paramsError('channelExtra.openid 不合法');
    out.openid = extra.openid;
  }
  return out;
}

/**
 * AUTO_BAR (条码聚合) takes the wallet from the pay code, as Jeepay does: Alipay's codes start 25–30,
 * WeChat Pay's 10–15. An app may also map AUTO_BAR to one product itself.
 */
function resolveWay(app: AppKeys, wayCode: string, authCode: string | undefined): string {
  if (wayCode !== 'AUTO_BAR' || Object.hasOwn(app.protocolProducts, 'AUTO_BAR')) return wayCode;
  if (authCode === undefined) throw paramsError('条码支付须在 channelExtra 中提供 authCode');
  const prefix = Number(authCode.slice(0, 2));
  if (prefix >= 25 && prefix <= 30) return 'ALI_BAR';
  if (prefix >= 10 && prefix <= 15) return 'WX_BAR';
  throw new ProtocolError('不支持的付款码');
}

/** The wayCode of an order: the one it was placed with, else the app's mapping back from its product. */
function wayCodeOf(app: AppKeys, order: OrderRow): string | undefined {
  const placed = protocolExtraOf(order);
  if (placed) return placed.way;
  return Object.entries(app.protocolProducts).find(([, product]) => product === order.product_code)?.[0];
}

/** QueryPayOrderRS: what /api/pay/query answers and the payment notify carries. */
export function jeepayOrderData(app: AppKeys, order: OrderRow, state: OrderState): Record<string, unknown> {
  return {
    payOrderId: order.order_no,
    mchNo: app.mchNo,
    appId: app.appId,
    mchOrderNo: order.mch_order_no,
    ifCode: jeepayIfCode(order.adapter_code),
    wayCode: wayCodeOf(app, order),
    amount: Number(order.amount),
    currency: order.currency.toLowerCase(),
    state: jeepayOrderState(state),
    clientIp: order.client_ip ?? undefined,
    subject: order.subject,
    body: order.body ?? undefined,
    channelOrderNo: order.channel_order_no ?? undefined,
    errCode: order.failure_code ?? undefined,
    errMsg: order.failure_message ?? undefined,
    extParam: protocolExtraOf(order)?.passthrough,
    successTime: order.paid_at?.getTime(),
    createdAt: order.created_at.getTime(),
  };
}

/** QueryRefundOrderRS: what /api/refund/query answers and the refund notify carries. */
export function jeepayRefundData(app: AppKeys, refund: RefundRow, order: OrderRow): Record<string, unknown> {
  return {
    refundOrderId: refund.refund_no,
    payOrderId: refund.order_no,
    mchNo: app.mchNo,
    appId: app.appId,
    mchRefundNo: refund.mch_refund_no,
    payAmount: Number(order.amount),
    refundAmount: Number(refund.amount),
    currency: refund.currency.toLowerCase(),
    state: jeepayRefundState(refund.state),
    channelOrderNo: refund.channel_refund_no ?? undefined,
    errCode: refund.failure_code ?? undefined,
    errMsg: refund.failure_message ?? undefined,
    successTime: refund.succeeded_at?.getTime(),
    createdAt: refund.created_at.getTime(),
  };
}
