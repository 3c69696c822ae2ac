/**
 * Alipay (支付宝开放平台, gateway API v2, RSA2), public-key or certificate mode (certs.ts).
 *
 * Protocol reference: each method's page, https://docs.open.alipay.com/api_1/<method> (支付 API;
 * now served from https://opendocs.alipay.com/open/):
 * - alipay.trade.precreate (C扫B QR), alipay.trade.wap.pay (H5), alipay.trade.page.pay (PC),
 *   alipay.trade.pay scene=bar_code (B扫C; the wait-query-cancel rule is in 当面付's guide,
 *   https://opendocs.alipay.com/open/194/106039)
 * - alipay.trade.query, alipay.trade.close, alipay.trade.cancel, alipay.trade.refund,
 *   alipay.trade.fastpay.refund.query
 * - async notify: https://opendocs.alipay.com/open/270/105902
 * - statement: see statement.ts
 *
 * Stateless: the keys are parsed from the account's credentials (and cached by their text).
 */
import { createPublicKey } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { errors, request } from 'undici';
import { z } from 'zod';
import { readTextUpTo } from '../http-body.ts';
import type {
  ChannelAdapter,
  ChannelContext,
  ChannelStatement,
  ClosePaymentResult,
  ConnectionTestResult,
  CreatePaymentRequest,
  CreatePaymentResult,
  CreateRefundResult,
  CredentialField,
  InboundNotify,
  ParsedNotify,
  PaymentStatusResult,
  RefundStatusResult,
  StatementRequest,
} from '../types.ts';
import { NotifyRejected } from '../types.ts';
import { certPublicKey, certSn, rootCertSn } from './certs.ts';
import {
  ALIPAY_PRODUCTION_GATEWAY,
  type AlipayParams,
  alipayPublicKey,
  appPrivateKey,
  fromYuan,
  parseShanghaiTime,
  rsa2Verify,
  shanghaiTime,
  signParams,
  splitAnswer,
  toYuan,
  verifyNotifyParams,
} from './protocol.ts';
import { parseStatement, statementText } from './statement.ts';

// ---------- credentials and settings ----------

/** '' from a form is "not given". */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

const keyText = (parse: (text: string) => unknown, what: string, kind = 'RSA key') =>
  z
    .string()
    .trim()
    .min(1, `${what} is required`)
    .max(16_384)
    .superRefine((text, ctx) => {
      try {
        parse(text);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `${what} is not a usable ${kind}: ${(error as Error).message.slice(0, 120)}`,
        });
      }
    });

const CERTIFICATE_FIELDS = ['appCertificate', 'alipayCertificate', 'alipayRootCertificate'] as const;

const credentialsSchema = z
  .strictObject({
    appId: z
      .string()
      .trim()
      .regex(/^\d{8,32}$/, 'appId: the 16-digit APPID of the Alipay app'),
    privateKey: keyText(appPrivateKey, 'privateKey (the app private key)'),
    /** 公钥 (public key) or 公钥证书 (certificate); absent: certificate mode when certificates are given. */
    keyMode: optional(z.enum(['publicKey', 'certificate'])),
    alipayPublicKey: optional(keyText(alipayPublicKey, 'alipayPublicKey (the Alipay public key)')),
    /** Certificate mode (公钥证书): the app's public-key certificate, Alipay's, and Alipay's root chain. */
    appCertificate: optional(keyText(certSn, 'appCertificate (appCertPublicKey_….crt)', 'certificate')),
    alipayCertificate: optional(
      keyText(certPublicKey, 'alipayCertificate (alipayCertPublicKey_RSA2.crt)', 'certificate'),
    ),
    alipayRootCertificate: optional(
      keyText(rootCertSn, 'alipayRootCertificate (alipayRootCert.crt)', 'certificate chain'),
    ),
    sellerId: optional(
      z
        .string()
        .trim()
        .regex(/^2088\d{12}$/, 'sellerId: the 16-digit PID starting 2088'),
    ),
    gatewayUrl: optional(z.url({ protocol: /^https?$/ })),
    appAuthToken: optional(z.string().trim().max(128)),
  })
  .superRefine((credentials, ctx) => {
    if (!certificateMode(credentials)) {
      if (credentials.alipayPublicKey === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['alipayPublicKey'],
          message: 'alipayPublicKey is required (or, in certificate mode, the three certificates)',
        });
      }
      return;
    }
    for (const field of CERTIFICATE_FIELDS) {
      if (credentials[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${field} is required in certificate mode` });
      }
    }
    if (credentials.appCertificate === undefined) return;
    try {
      const fromCertificate = certPublicKey(credentials.appCertificate).export({
        type: 'spki',
        format: 'der',
      });
      const fromKey = createPublicKey(appPrivateKey(credentials.privateKey)).export({
        type: 'spki',
        format: 'der',
      });
      if (!fromCertificate.equals(fromKey)) {
        ctx.addIssue({
          code: 'custom',
          path: ['appCertificate'],
          message: 'appCertificate does not hold the public key of privateKey',
        });
      }
    } catch {
      // Reported on the field itself.
    }
  });
type AlipayCredentials = z.infer<typeof credentialsSchema>;

/** `keyMode` says; without it, certificates given mean certificate mode. */
function certificateMode(credentials: {
  keyMode?: 'publicKey' | 'certificate';
  appCertificate?: string;
  alipayCertificate?: string;
  alipayRootCertificate?: string;
}): boolean {
  if (credentials.keyMode !== undefined) return credentials.keyMode === 'certificate';
  return CERTIFICATE_FIELDS.some((field) => credentials[field] !== undefined);
}

/** The key that verifies Alipay's answers and notifies: its public key, or its certificate's. */
function alipayKeyOf(credentials: AlipayCredentials) {
  return certificateMode(credentials)
    ? certPublicKey(credentials.alipayCertificate!)
    : alipayPublicKey(credentials.alipayPublicKey!);
}

const configSchema = z.strictObject({
  /** Pay codes: how long to wait between queries of an unconfirmed or unanswered payment. */
  payCodeQueryIntervalMs: z.number().int().min(0).max(10_000).optional(),
  /** Pay codes: how many queries before giving up (pending if the customer is still paying, else cancel). */
  payCodeQueryAttempts: z.number().int().min(0).max(10).optional(),
  /** H5 (ALI_WAP): a GET URL to send the payer to (default), or a form the cashier page posts. */
  wapPayData: z.enum(['url', 'form']).optional(),
});
type AlipayConfig = z.infer<typeof configSchema>;

const DEFAULT_PAY_CODE_INTERVAL_MS = 2_000;
const DEFAULT_PAY_CODE_ATTEMPTS = 5;
const MAX_ANSWER_BYTES = 256 * 1024;
const MAX_STATEMENT_BYTES = 64 * 1024 * 1024;

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

// ---------- transport ----------

type Content = Record<string, unknown>;
type Failure = 'CHANNEL_TIMEOUT' | 'CHANNEL_UNREACHABLE' | 'CHANNEL_BAD_RESPONSE' | 'CHANNEL_BAD_SIGNATURE';
type CallResult =
  | { ok: true; answer: Content }
  | { ok: false; code: Failure; message: string; unsigned?: Content };

interface Keys {
  credentials: AlipayCredentials;
  config: AlipayConfig;
}

function keysOf(ctx: ChannelContext): Keys | null {
  const credentials = credentialsSchema.safeParse(ctx.credentials);
  const config = configSchema.safeParse(ctx.config);
  return credentials.success && config.success
    ? { credentials: credentials.data, config: config.data }
    : null;
}

function gatewayOf(credentials: AlipayCredentials): string {
  return credentials.gatewayUrl ?? ALIPAY_PRODUCTION_GATEWAY;
}

/** The signed parameters of one call: the common ones, then the method's `biz_content`. */
function signedRequest(
  credentials: AlipayCredentials,
  method: string,
  biz: Record<string, unknown>,
  extra: Record<string, string | undefined> = {},
): AlipayParams {
  const params: AlipayParams = {
    app_id: credentials.appId,
    method,
    format: 'JSON',
    charset: 'utf-8',
    sign_type: 'RSA2',
    timestamp: shanghaiTime(new Date()),
    version: '1.0',
    biz_content: JSON.stringify(biz),
  };
  if (credentials.appAuthToken) params.app_auth_token = credentials.appAuthToken;
  if (certificateMode(credentials) && credentials.appCertificate && credentials.alipayRootCertificate) {
    params.app_cert_sn = certSn(credentials.appCertificate);
    params.alipay_root_cert_sn = rootCertSn(credentials.alipayRootCertificate);
  }
  for (const [key, value] of Object.entries(extra)) if (value) params[key] = value;
  return signParams(params, appPrivateKey(credentials.privateKey));
}

/** One call to the gateway; the answer is returned only when its signature verifies. */
async function callGateway(
  ctx: ChannelContext,
  credentials: AlipayCredentials,
  method: string,
  biz: Record<string, unknown>,
  extra: Record<string, string | undefined> = {},
): Promise<CallResult> {
  const params = signedRequest(credentials, method, biz, extra);
  let text: string | null;
  let statusCode: number;
  try {
    const response = await request(gatewayOf(credentials), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
      body: new URLSearchParams(params).toString(),
      headersTimeout: ctx.timeoutMs,
      bodyTimeout: ctx.timeoutMs,
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
    statusCode = response.statusCode;
    text = await readTextUpTo(response.body, MAX_ANSWER_BYTES);
  } catch (error) {
    return transportFailure(error);
  }
  if (statusCode !== 200) return { ok: false, code: 'CHANNEL_BAD_RESPONSE', message: `HTTP ${statusCode}` };
  if (text === null) return { ok: false, code: 'CHANNEL_BAD_RESPONSE', message: 'answer too large' };
  const split = splitAnswer(text, method);
  if (!split) return { ok: false, code: 'CHANNEL_BAD_RESPONSE', message: `no ${method} answer in the body` };
  if (
    certificateMode(credentials) &&
    credentials.alipayCertificate !== undefined &&
    split.certSn !== undefined &&
    split.certSn !== certSn(credentials.alipayCertificate)
  ) {
    return {
      ok: false,
      code: 'CHANNEL_BAD_SIGNATURE',
      message: `Alipay signed with certificate ${split.certSn.slice(0, 40)}, not the account's alipayCertificate: download Alipay's new certificate`,
    };
  }
  if (split.sign === undefined || !rsa2Verify(split.raw, split.sign, alipayKeyOf(credentials))) {
    return {
      ok: false,
      code: 'CHANNEL_BAD_SIGNATURE',
      message: `the answer's sign ${split.sign === undefined ? 'is missing' : 'does not verify'} (code ${String(split.content.code)} ${String(split.content.sub_code ?? '')})`,
      unsigned: split.content,
    };
  }
  return { ok: true, answer: split.content };
}

function transportFailure(error: unknown): CallResult & { ok: false } {
  const message = error instanceof Error ? error.message : String(error);
  const timedOut =
    error instanceof errors.HeadersTimeoutError ||
    error instanceof errors.BodyTimeoutError ||
    error instanceof errors.ConnectTimeoutError ||
    (error instanceof DOMException && error.name === 'TimeoutError');
  return { ok: false, code: timedOut ? 'CHANNEL_TIMEOUT' : 'CHANNEL_UNREACHABLE', message };
}

const str = (content: Content, key: string): string | undefined => {
  const value = content[key];
  return typeof value === 'string' ? value : undefined;
};
const codeOf = (c: Content) => str(c, 'code') ?? '';
const subCodeOf = (c: Content) => str(c, 'sub_code') ?? str(c, 'code') ?? 'UNKNOWN';
const describe = (c: Content) =>
  `${str(c, 'code') ?? '?'} ${str(c, 'msg') ?? ''}${c.sub_code ? ` ${str(c, 'sub_code')}: ${str(c, 'sub_msg') ?? ''}` : ''}`.trim();

/** Subjects are at most 256 characters at Alipay; cut at a character boundary. */
const cut = (text: string, max: number) => Array.from(text).slice(0, max).join('');

// ---------- the adapter ----------

export const alipayAdapter: ChannelAdapter = {
  code: 'alipay',
  name: '支付宝 Alipay',
  credentialsSchema,
  configSchema,
  supportsAuthCode: true,
  payWays: ['ALI_QR', 'ALI_WAP', 'ALI_PC', 'ALI_BAR'],
  credentialFields: [
    {
      key: 'appId',
      label: { zh: '应用 APPID', en: 'App ID (APPID)' },
      kind: 'text',
      required: true,
      help: {
        zh: '支付宝开放平台 → 应用详情中的 APPID（16 位数字）',
        en: 'The 16-digit APPID on the app page of the Alipay open platform',
      },
    },
    {
      key: 'privateKey',
      label: { zh: '应用私钥', en: 'App private key' },
      kind: 'pem',
      required: true,
      help: {
        zh: '用支付宝密钥工具生成的 RSA2 应用私钥（PKCS8 或 PKCS1，PEM 或纯 base64）；对应的应用公钥上传到开放平台',
        en: "The app's RSA2 private key from Alipay's key tool (PKCS8 or PKCS1, PEM or bare base64); its public key is uploaded to the open platform",
      },
    },
    {
      key: 'keyMode',
      label: { zh: '接口加签方式', en: 'Signing mode' },
      kind: 'choice',
      required: false,
      choices: [
        { value: 'publicKey', label: { zh: '公钥', en: 'Public key' } },
        { value: 'certificate', label: { zh: '公钥证书', en: 'Public-key certificate' } },
      ],
      help: {
        zh: '与开放平台「接口加签方式」一致；留空时，填了证书即为证书模式',
        en: "As set under the app's signing settings; blank means certificate mode when certificates are given",
      },
    },
    {
      key: 'alipayPublicKey',
      label: { zh: '支付宝公钥', en: 'Alipay public key' },
      kind: 'pem',
      // Required in public-key mode; certificate mode takes the three certificates instead.
      required: false,
      help: {
        zh: '公钥模式（必填）：上传应用公钥后，开放平台「接口加签方式」中显示的支付宝公钥（不是应用公钥）；证书模式留空',
        en: "Public-key mode (required): the Alipay public key shown under the app's signing settings after the app public key is uploaded (not the app public key); blank in certificate mode",
      },
    },
    {
      key: 'appCertificate',
      label: { zh: '应用公钥证书（证书模式）', en: 'App public-key certificate (certificate mode)' },
      kind: 'pem',
      required: false,
      help: {
        zh: '证书模式：appCertPublicKey_<APPID>.crt 的内容；公钥模式留空',
        en: 'Certificate mode: the content of appCertPublicKey_<APPID>.crt; blank in public-key mode',
      },
    },
    {
      key: 'alipayCertificate',
      label: { zh: '支付宝公钥证书（证书模式）', en: 'Alipay public-key certificate (certificate mode)' },
      kind: 'pem',
      required: false,
      help: {
        zh: '证书模式：alipayCertPublicKey_RSA2.crt 的内容',
        en: 'Certificate mode: the content of alipayCertPublicKey_RSA2.crt',
      },
    },
    {
      key: 'alipayRootCertificate',
      label: { zh: '支付宝根证书（证书模式）', en: 'Alipay root certificate (certificate mode)' },
      kind: 'pem',
      required: false,
      help: {
        zh: '证书模式：alipayRootCert.crt 的内容（多张证书）',
        en: 'Certificate mode: the content of alipayRootCert.crt (several certificates)',
      },
    },
    {
      key: 'sellerId',
      label: { zh: '商户 PID（卖家支付宝用户号）', en: 'Merchant PID (seller ID)' },
      kind: 'text',
      required: false,
      placeholder: '2088…',
      help: {
        zh: '2088 开头的 16 位；填写后，异步通知的 seller_id 须与之相同',
        en: 'The 16 digits starting 2088; when set, notifies must carry this seller_id',
      },
    },
    {
      key: 'gatewayUrl',
      label: { zh: '网关地址', en: 'Gateway URL' },
      kind: 'url',
      required: false,
      defaultValue: ALIPAY_PRODUCTION_GATEWAY,
      help: {
        zh: '留空即正式环境；沙箱为 https://openapi-sandbox.dl.alipaydev.com/gateway.do',
        en: 'Blank means production; the sandbox is https://openapi-sandbox.dl.alipaydev.com/gateway.do',
      },
    },
    {
      key: 'appAuthToken',
      label: { zh: '应用授权令牌（服务商模式）', en: 'App auth token (ISV mode)' },
      kind: 'secret',
      required: false,
      help: {
        zh: '服务商代商户调用时，商户授权得到的 app_auth_token；直连商户留空',
        en: "For a service provider (服务商) acting for a merchant: the merchant's app_auth_token; blank for a direct merchant",
      },
    },
  ] satisfies CredentialField[],

  async testConnection(ctx): Promise<ConnectionTestResult> {
    const keys = keysOf(ctx);
    if (!keys) return { ok: false, code: 'INVALID_CREDENTIALS', message: 'the credentials do not parse' };
    const call = await callGateway(ctx, keys.credentials, 'alipay.trade.query', {
      out_trade_no: `CONNTEST${Date.now()}`,
    });
    if (!call.ok) {
      // An unsigned refusal of our signature or app id: the gateway could not tell who we are.
      if (call.unsigned && ['40001', '40002', '40006'].includes(codeOf(call.unsigned))) {
        return { ok: false, code: 'CHANNEL_AUTH_FAILED', message: describe(call.unsigned) };
      }
      return { ok: false, code: call.code, message: call.message };
    }
    if (codeOf(call.answer) === '40004' && str(call.answer, 'sub_code') === 'ACQ.TRADE_NOT_EXIST') {
      return { ok: true, message: 'Alipay answered the signed query; its signature verified' };
    }
    return { ok: false, code: 'CHANNEL_AUTH_FAILED', message: describe(call.answer) };
  },

  async createPayment(ctx, payment): Promise<CreatePaymentResult> {
    const keys = keysOf(ctx);
    if (!keys)
      return { outcome: 'refused', code: 'INVALID_CREDENTIALS', message: 'bad credentials or config' };
    if (payment.currency !== 'CNY') {
      return { outcome: 'refused', code: 'CURRENCY_UNSUPPORTED', message: 'Alipay takes CNY only' };
    }
    if (payment.authCode) return payWithCode(ctx, keys, payment, payment.authCode);
    switch (payment.payWay) {
      case 'ALI_QR':
        return precreate(ctx, keys.credentials, payment);
      case 'ALI_WAP':
        return pagePay(
          ctx,
          keys.credentials,
          payment,
          'alipay.trade.wap.pay',
          keys.config.wapPayData ?? 'url',
        );
      case 'ALI_PC':
        return pagePay(ctx, keys.credentials, payment, 'alipay.trade.page.pay', 'form');
      default:
        return {
          outcome: 'refused',
          code: 'PAY_WAY_UNSUPPORTED',
          message: `Alipay does not serve ${payment.payWay} (ALI_BAR takes a pay code)`,
        };
    }
  },

  async queryPayment(ctx, reference): Promise<PaymentStatusResult> {
    const keys = keysOf(ctx);
    if (!keys) throw new Error('alipay: bad credentials');
    const call = await callGateway(ctx, keys.credentials, 'alipay.trade.query', {
      out_trade_no: reference.orderNo,
    });
    if (!call.ok) throw new Error(`alipay query failed: ${call.code}: ${call.message}`);
    const status = tradeStatusOf(call.answer, reference.orderNo);
    if (!status) throw new Error(`alipay query answered ${describe(call.answer)}`);
    return status;
  },

  async closePayment(ctx, reference): Promise<ClosePaymentResult> {
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
        const status = await alipayAdapter.queryPayment(ctx, reference);
        if (status.status === 'paid') return { outcome: 'paid', message: 'already paid' };
        if (status.status === 'closed') return { outcome: 'closed', message: 'already closed' };
      } catch (error) {
        return { outcome: 'error', message: (error as Error).message };
      }
    }
    return { outcome: 'error', message: describe(answer) };
  },

  async createRefund(ctx, refund): Promise<CreateRefundResult> {
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
        const status = await alipayAdapter.queryRefund(ctx, {
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
  },

  async queryRefund(ctx, reference): Promise<RefundStatusResult> {
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
  },

  async fetchStatement(ctx, statementRequest: StatementRequest): Promise<ChannelStatement> {
    const keys = keysOf(ctx);
    if (!keys) throw new Error('alipay: bad credentials');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(statementRequest.date)) throw new Error('the date must be yyyy-MM-dd');
    const call = await callGateway(ctx, keys.credentials, 'alipay.data.dataservice.bill.downloadurl.query', {
      bill_type: 'trade',
      bill_date: statementRequest.date,
    });
    if (!call.ok) throw new Error(`alipay statement query failed: ${call.code}: ${call.message}`);
    const answer = call.answer;
    if (codeOf(answer) !== '10000') {
      if (/bill_not_exist|NO_BILL/i.test(str(answer, 'sub_code') ?? '')) {
        return { date: statementRequest.date, lines: [], raw: '' };
      }
      throw new Error(`alipay statement query answered ${describe(answer)}`);
    }
    const url = str(answer, 'bill_download_url');
    if (!url || !/^https?:\/\//.test(url)) throw new Error('alipay statement answer has no download URL');
    const response = await request(url, {
      method: 'GET',
      headersTimeout: ctx.timeoutMs * 5,
      bodyTimeout: ctx.timeoutMs * 5,
      signal: AbortSignal.timeout(ctx.timeoutMs * 10),
    });
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of response.body) {
      total += (chunk as Buffer).length;
      if (total > MAX_STATEMENT_BYTES) {
        response.body.destroy();
        throw new Error('the statement file is too large');
      }
      chunks.push(chunk as Buffer);
    }
    if (response.statusCode !== 200)
      throw new Error(`the statement download answered HTTP ${response.statusCode}`);
    const raw = statementText(Buffer.concat(chunks));
    return { date: statementRequest.date, lines: parseStatement(raw), raw };
  },

  parseNotify(ctx, notify: InboundNotify): ParsedNotify {
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
  },

  notifyAck(accepted: boolean) {
    return { status: 200, contentType: 'text/plain', body: accepted ? 'success' : 'fail' };
  },
};

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

// ---------- payments ----------

function tradeBiz(payment: CreatePaymentRequest, productCode: string): Record<string, unknown> {
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

/**
 * B扫C: `alipay.trade.pay` scene=bar_code. Paid at once, declined, or — waiting for the customer's
 * password (10003), a system error or no answer — queried a few times; a customer still paying
 * leaves the order pending (the order-query job follows it), an outcome still unknown is cancelled
 * (撤销, which also returns any money taken) and declined.
 */
async function payWithCode(
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
      status = await alipayAdapter.queryPayment(ctx, { orderNo: payment.orderNo });
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
