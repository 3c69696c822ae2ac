/**
 * WeChat Pay API v3 (微信支付 APIv3, direct merchant 直连商户): Native, H5, JSAPI, pay codes
 * (付款码, B扫C), query, close, refunds and the trade bill. Stateless w.r.t. our database; the
 * verification keys are cached per account in memory (keys.ts).
 *
 * Official references:
 * - Native:   https://pay.weixin.qq.com/doc/v3/merchant/4012791877
 * - H5:       https://pay.weixin.qq.com/doc/v3/merchant/4012791834
 * - JSAPI:    https://pay.weixin.qq.com/doc/v3/merchant/4012791856
 * - Pay code: https://pay.weixin.qq.com/doc/v3/merchant/4012791871 (codepay, reverse)
 * - Query:    https://pay.weixin.qq.com/doc/v3/merchant/4012791859
 * - Close:    https://pay.weixin.qq.com/doc/v3/merchant/4012791860
 * - Refunds:  https://pay.weixin.qq.com/doc/v3/merchant/4012791862 / 4012791863
 * - Notifies: https://pay.weixin.qq.com/doc/v3/merchant/4012791861 / 4012791865
 * - Bill:     https://pay.weixin.qq.com/doc/v3/merchant/4012791866
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { errors, request } from 'undici';
import { z } from 'zod';
import { readTextUpTo } from '../http-body.ts';
import {
  type ChannelAdapter,
  type ChannelContext,
  type ChannelStatement,
  type ClosePaymentResult,
  type ConnectionTestResult,
  type CreatePaymentRequest,
  type CreatePaymentResult,
  type CreateRefundRequest,
  type CreateRefundResult,
  type CredentialField,
  type InboundNotify,
  NotifyRejected,
  type ParsedNotify,
  type ParsedRefundNotify,
  type PaymentReference,
  type PaymentStatusResult,
  type PayWay,
  type ProviderPaymentStatus,
  type ProviderRefundStatus,
  type RefundReference,
  type RefundStatusResult,
  type StatementLine,
  type StatementRequest,
} from '../types.ts';
import {
  certificatesDue,
  type DownloadedCertificate,
  isCertificateSerial,
  keyOf,
  keyringOf,
  refreshCertificates,
} from './keys.ts';
import {
  aeadDecrypt,
  authorizationHeader,
  jsapiPayParams,
  MAX_CLOCK_SKEW_SECONDS,
  parseTradeBill,
  verifyWechatpaySignature,
  yuanToFen,
} from './protocol.ts';

export const WECHATPAY_PRODUCTION_URL = 'https://api.mch.weixin.qq.com';

function pemField(kind: 'private' | 'public') {
  return z
    .string()
    .min(1)
    .max(16_384)
    .superRefine((pem, ctx) => {
      try {
        const key = kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
        if (key.asymmetricKeyType !== 'rsa') ctx.addIssue({ code: 'custom', message: 'must be an RSA key' });
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: kind === 'private' ? 'is not a PEM private key' : 'is not a PEM public key',
        });
      }
    });
}

const credentialsSchema = z
  .strictObject({
    mchId: z.string().regex(/^\d{6,32}$/, 'mchId: the merchant number is digits'),
    appId: z.string().regex(/^\w{4,32}$/, 'appId: not an AppID'),
    /** The merchant API private key (apiclient_key.pem). */
    privateKey: pemField('private'),
    /** The serial number of the merchant API certificate. */
    certSerial: z.string().regex(/^[0-9A-Fa-f]{8,64}$/, 'certSerial: the certificate serial is hexadecimal'),
    /** The APIv3 key: 32 bytes. */
    apiV3Key: z.string().refine((key) => Buffer.byteLength(key, 'utf8') === 32, {
      message: 'apiV3Key: the APIv3 key is exactly 32 bytes',
    }),
    /** WeChat Pay public key mode: its id and PEM. Absent: platform certificates are downloaded. */
    publicKeyId: z
      .string()
      .regex(/^PUB_KEY_ID_\w{1,64}$/, 'publicKeyId: starts with PUB_KEY_ID_')
      .optional(),
    publicKey: pemField('public').optional(),
    /** Service-provider mode (服务商): the sub-merchant paid; mchId and appId are then the provider's. */
    subMchId: z
      .string()
      .regex(/^\d{6,32}$/, 'subMchId: the sub-merchant number is digits')
      .optional(),
    /** The sub-merchant's own AppID, when payers' openids are the sub-merchant's. */
    subAppId: z
      .string()
      .regex(/^\w{4,32}$/, 'subAppId: not an AppID')
      .optional(),
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.publicKeyId === undefined) !== (value.publicKey === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [value.publicKeyId === undefined ? 'publicKeyId' : 'publicKey'],
        message: 'publicKeyId and publicKey go together',
      });
    }
    if (value.subAppId !== undefined && value.subMchId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['subMchId'], message: 'subAppId needs subMchId' });
    }
  });

type Credentials = z.infer<typeof credentialsSchema>;

const configSchema = z.strictObject({
  /** How long a pay code's payment is queried while the customer confirms (ms). */
  payCodeWaitMs: z.number().int().min(0).max(60_000).optional(),
  /** The pause between those queries (ms). */
  payCodePollMs: z.number().int().min(10).max(10_000).optional(),
});

const DEFAULT_PAY_CODE_WAIT_MS = 20_000;
const DEFAULT_PAY_CODE_POLL_MS = 2_000;
const MAX_ANSWER_BYTES = 256 * 1024;
const MAX_BILL_BYTES = 32 * 1024 * 1024;
const MAX_DESCRIPTION_CHARACTERS = 127;

const TRADE_STATES: Record<string, ProviderPaymentStatus> = {
  SUCCESS: 'paid',
  // Paid, then refunded (in part or whole): it was paid.
  REFUND: 'paid',
  NOTPAY: 'pending',
  USERPAYING: 'pending',
  CLOSED: 'closed',
  REVOKED: 'closed',
  PAYERROR: 'failed',
};

const REFUND_STATES: Record<string, ProviderRefundStatus> = {
  SUCCESS: 'succeeded',
  PROCESSING: 'pending',
  CLOSED: 'failed',
  // The money could not reach the payer's account: the refund did not happen as asked.
  ABNORMAL: 'failed',
};

/** Failures of a request itself: our configuration, not the payer. Another account may try. */
const CONFIGURATION_CODES = new Set([
  'PARAM_ERROR',
  'INVALID_REQUEST',
  'SIGN_ERROR',
  'NO_AUTH',
  'APPID_MCHID_NOT_MATCH',
  'MCH_NOT_EXISTS',
  'OUT_TRADE_NO_USED',
  'RULE_LIMIT',
  'ACCOUNT_ERROR',
]);

/** Codes whose outcome the channel does not know yet: query later, never reroute. */
const UNKNOWN_CODES = new Set(['SYSTEM_ERROR', 'BANKERROR', 'FREQUENCY_LIMITED', 'ORDERPAID', 'USERPAYING']);

const TRANSACTION = z.object({
  appid: z.string().optional(),
  mchid: z.string().optional(),
  sp_appid: z.string().optional(),
  sp_mchid: z.string().optional(),
  sub_appid: z.string().optional(),
  sub_mchid: z.string().optional(),
  out_trade_no: z.string().min(1),
  transaction_id: z.string().optional(),
  trade_state: z.string(),
  trade_state_desc: z.string().optional(),
  success_time: z.string().optional(),
  amount: z
    .object({
      total: z.number().int().nonnegative().optional(),
      currency: z.string().optional(),
    })
    .optional(),
});
type Transaction = z.infer<typeof TRANSACTION>;

const REFUND = z.object({
  refund_id: z.string().optional(),
  out_refund_no: z.string().min(1),
  out_trade_no: z.string().optional(),
  status: z.string(),
  amount: z.object({ refund: z.number().int().nonnegative(), currency: z.string().optional() }).optional(),
});

const REFUND_RESOURCE = z.object({
  mchid: z.string().optional(),
  sp_mchid: z.string().optional(),
  sub_mchid: z.string().optional(),
  out_trade_no: z.string().min(1),
  transaction_id: z.string().optional(),
  out_refund_no: z.string().min(1),
  refund_id: z.string().optional(),
  refund_status: z.string(),
  amount: z.object({ refund: z.number().int().nonnegative(), total: z.number().int().optional() }),
});

const NOTIFY = z.object({
  id: z.string(),
  event_type: z.string(),
  resource_type: z.literal('encrypt-resource'),
  resource: z.object({
    algorithm: z.literal('AEAD_AES_256_GCM'),
    ciphertext: z.string().min(1),
    associated_data: z.string().optional(),
    nonce: z.string().min(1),
    original_type: z.string().optional(),
  }),
});

type Failure = 'CHANNEL_TIMEOUT' | 'CHANNEL_UNREACHABLE' | 'CHANNEL_BAD_RESPONSE' | 'CHANNEL_BAD_SIGNATURE';
type Answer = { ok: true; status: number; text: string; json: Record<string, unknown> | null };
type Call = Answer | { ok: false; code: Failure; message: string };

const WORDS = {
  mchId: { zh: '商户号', en: 'Merchant ID (mchid)' },
  appId: { zh: 'AppID（公众号/小程序/应用）', en: 'AppID' },
};

export const wechatpayAdapter: ChannelAdapter = {
  code: 'wechatpay',
  name: '微信支付 WeChat Pay',
  credentialsSchema: credentialsSchema as unknown as z.ZodType<Record<string, unknown>>,
  configSchema,
  supportsAuthCode: true,
  supportsPayout: false,
  payWays: ['WX_NATIVE', 'WX_H5', 'WX_JSAPI', 'WX_BAR'],
  credentialFields: [
    { key: 'mchId', label: WORDS.mchId, kind: 'text', required: true, placeholder: '1900000109' },
    {
      key: 'appId',
      label: WORDS.appId,
      kind: 'text',
      required: true,
      help: { zh: '与商户号绑定的 AppID', en: 'The AppID bound to the merchant ID' },
      placeholder: 'wx8888888888888888',
    },
    {
      key: 'privateKey',
      label: { zh: '商户 API 私钥', en: 'Merchant API private key' },
      kind: 'pem',
      required: true,
      help: { zh: 'apiclient_key.pem 的内容', en: 'The content of apiclient_key.pem' },
    },
    {
      key: 'certSerial',
      label: { zh: '商户 API 证书序列号', en: 'Merchant API certificate serial' },
      kind: 'text',
      required: true,
      help: { zh: '商户平台 → 账户中心 → API 安全', en: 'Merchant platform → Account → API security' },
    },
    {
      key: 'apiV3Key',
      label: { zh: 'APIv3 密钥', en: 'APIv3 key' },
      kind: 'secret',
      required: true,
      help: {
        zh: '32 个字符，用于解密通知和平台证书',
        en: '32 characters; decrypts notifies and certificates',
      },
    },
    {
      key: 'publicKeyId',
      label: { zh: '微信支付公钥 ID', en: 'WeChat Pay public key ID' },
      kind: 'text',
      required: false,
      placeholder: 'PUB_KEY_ID_…',
      help: {
        zh: '使用“微信支付公钥”验签时填写；留空则自动下载平台证书',
        en: 'For the WeChat Pay public key mode; blank downloads the platform certificates',
      },
    },
    {
      key: 'publicKey',
      label: { zh: '微信支付公钥', en: 'WeChat Pay public key' },
      kind: 'pem',
      required: false,
      help: { zh: 'pub_key.pem 的内容，与公钥 ID 一起填写', en: 'The content of pub_key.pem, with its ID' },
    },
    {
      key: 'subMchId',
      label: { zh: '特约商户号（服务商模式）', en: 'Sub-merchant ID (service provider)' },
      kind: 'text',
      required: false,
      help: {
        zh: '服务商模式填写；此时商户号和 AppID 为服务商的',
        en: "For service-provider mode; the merchant ID and AppID are then the provider's",
      },
    },
    {
      key: 'subAppId',
      label: { zh: '特约商户 AppID', en: 'Sub-merchant AppID' },
      kind: 'text',
      required: false,
      help: {
        zh: '付款人 openid 属于特约商户的 AppID 时填写',
        en: "When payers' openids belong to the sub-merchant's AppID",
      },
    },
    {
      key: 'baseUrl',
      label: { zh: '接口地址', en: 'API address' },
      kind: 'url',
      required: false,
      defaultValue: WECHATPAY_PRODUCTION_URL,
      help: { zh: '留空即微信支付正式环境', en: "Blank means WeChat Pay's production API" },
    },
  ] satisfies CredentialField[],

  async testConnection(ctx: ChannelContext): Promise<ConnectionTestResult> {
    const parsed = credentialsSchema.safeParse(ctx.credentials);
    if (!parsed.success) return { ok: false, code: 'INVALID_CREDENTIALS', message: parsed.error.message };
    const credentials = parsed.data;
    const orderNo = `CONNTEST${Date.now()}`;
    const call = await callWechatpay(ctx, credentials, 'GET', queryPath(orderNo, credentials));
    if (!call.ok) return { ok: false, code: call.code, message: call.message };
    const code = errorCode(call);
    if (call.status === 404 && (code === 'ORDER_NOT_EXIST' || code === 'RESOURCE_NOT_EXISTS')) {
      return { ok: true, message: 'WeChat Pay answered ORDER_NOT_EXIST, signature verified' };
    }
    return { ok: false, code: 'CHANNEL_AUTH_FAILED', message: `WeChat Pay answered ${call.status} ${code}` };
  },

  async createPayment(ctx: ChannelContext, payment: CreatePaymentRequest): Promise<CreatePaymentResult> {
    const parsed = credentialsSchema.safeParse(ctx.credentials);
    if (!parsed.success)
      return { outcome: 'refused', code: 'INVALID_CREDENTIALS', message: 'bad credentials' };
    const config = configSchema.safeParse(ctx.config);
    if (!config.success) return { outcome: 'refused', code: 'INVALID_CONFIG', message: 'bad channel config' };
    if (payment.currency !== 'CNY') {
      return { outcome: 'refused', code: 'CURRENCY_UNSUPPORTED', message: 'WeChat Pay takes CNY only' };
    }
    const credentials = parsed.data;
    if (payment.authCode || payment.payWay === 'WX_BAR') {
      if (!payment.authCode) return { outcome: 'refused', code: 'INVALID_REQUEST', message: 'no pay code' };
      return payByCode(ctx, credentials, config.data, payment, payment.authCode);
    }
    const common = {
      ...merchantIds(credentials),
      description: Array.from(payment.subject).slice(0, MAX_DESCRIPTION_CHARACTERS).join(''),
      out_trade_no: payment.orderNo,
      time_expire: rfc3339Shanghai(payment.expiresAt),
      notify_url: ctx.notifyUrl,
      amount: { total: Number(payment.amount), currency: 'CNY' },
    };
    const method = METHODS[payment.payWay];
    if (!method) {
      return {
        outcome: 'refused',
        code: 'PAY_WAY_UNSUPPORTED',
        message: `WeChat Pay has no ${payment.payWay}`,
      };
    }
    let body: Record<string, unknown> = common;
    if (method === 'h5') {
      if (!payment.clientIp)
        return { outcome: 'refused', code: 'INVALID_REQUEST', message: "H5 needs the payer's IP" };
      body = { ...common, scene_info: { payer_client_ip: payment.clientIp, h5_info: { type: 'Wap' } } };
    } else if (method === 'jsapi') {
      if (!payment.payerId)
        return { outcome: 'refused', code: 'INVALID_REQUEST', message: 'JSAPI needs an openid' };
      body = { ...common, payer: { [openidField(credentials)]: payment.payerId } };
    }
    const call = await callWechatpay(
      ctx,
      credentials,
      'POST',
      `${transactionsPath(credentials)}/${method}`,
      body,
    );
    if (!call.ok) return { outcome: 'unknown', code: call.code, message: call.message };
    if (call.status !== 200) return createFailure(call);
    const answer = call.json ?? {};
    const value = answer[FIELD_OF[method]];
    if (typeof value !== 'string' || value === '') {
      return { outcome: 'unknown', code: 'CHANNEL_BAD_RESPONSE', message: `no ${FIELD_OF[method]}` };
    }
    if (method === 'jsapi') {
      const params = jsapiPayParams(payerAppId(credentials), value, credentials.privateKey);
      return {
        outcome: 'accepted',
        channelOrderNo: null,
        payData: { type: 'jsapi', value: JSON.stringify(params) },
      };
    }
    return {
      outcome: 'accepted',
      channelOrderNo: null,
      payData: {
        type: method === 'native' ? 'qr' : 'url',
        value: method === 'h5' ? withRedirect(value, payment) : value,
      },
      raw: answer,
    };
  },

  async queryPayment(ctx: ChannelContext, reference: PaymentReference): Promise<PaymentStatusResult> {
    const credentials = credentialsSchema.parse(ctx.credentials);
    const call = await callWechatpay(ctx, credentials, 'GET', queryPath(reference.orderNo, credentials));
    if (!call.ok) throw new Error(`WeChat Pay query failed: ${call.code}: ${call.message}`);
    return queryOutcome(call, reference.orderNo, credentials);
  },

  async closePayment(ctx: ChannelContext, reference: PaymentReference): Promise<ClosePaymentResult> {
    const parsed = credentialsSchema.safeParse(ctx.credentials);
    if (!parsed.success) return { outcome: 'error', message: 'bad credentials' };
    const path = `${transactionsPath(parsed.data)}/out-trade-no/${encodeURIComponent(reference.orderNo)}/close`;
    const call = await callWechatpay(ctx, parsed.data, 'POST', path, merchantIds(parsed.data, false));
    if (!call.ok) return { outcome: 'error', message: `${call.code}: ${call.message}` };
    if (call.status === 204 || call.status === 200) return { outcome: 'closed' };
    const code = errorCode(call);
    if (code === 'ORDERPAID') return { outcome: 'paid', message: 'already paid' };
    if (code === 'ORDER_CLOSED') return { outcome: 'closed', message: 'already closed' };
    // WeChat Pay never opened this payment, so nobody can pay it there.
    if (code === 'ORDER_NOT_EXIST') return { outcome: 'closed', message: 'no such payment at WeChat Pay' };
    return { outcome: 'error', message: `${call.status} ${code}` };
  },

  async createRefund(ctx: ChannelContext, refund: CreateRefundRequest): Promise<CreateRefundResult> {
    const parsed = credentialsSchema.safeParse(ctx.credentials);
    if (!parsed.success)
      return { outcome: 'refused', code: 'INVALID_CREDENTIALS', message: 'bad credentials' };
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
  },

  async queryRefund(ctx: ChannelContext, reference: RefundReference): Promise<RefundStatusResult> {
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
  },

  async fetchStatement(ctx: ChannelContext, statement: StatementRequest): Promise<ChannelStatement> {
    const credentials = credentialsSchema.parse(ctx.credentials);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(statement.date)) throw new Error('date must be yyyy-MM-dd');
    const call = await callWechatpay(
      ctx,
      credentials,
      'GET',
      `/v3/bill/tradebill?bill_date=${statement.date}${
        credentials.subMchId ? `&sub_mchid=${credentials.subMchId}` : ''
      }&bill_type=ALL`,
    );
    if (!call.ok) throw new Error(`WeChat Pay bill request failed: ${call.code}: ${call.message}`);
    if (call.status !== 200) {
      // No transaction that day: WeChat Pay has no bill for it.
      if (errorCode(call) === 'NO_STATEMENT_EXIST') return { date: statement.date, lines: [], raw: '' };
      throw new Error(`WeChat Pay bill request: ${call.status} ${errorCode(call)}`);
    }
    const answer = z
      .object({ download_url: z.url(), hash_type: z.string(), hash_value: z.string() })
      .safeParse(call.json);
    if (!answer.success || answer.data.hash_type !== 'SHA1') throw new Error('bill answer is malformed');
    const downloadUrl = new URL(answer.data.download_url);
    // The bill comes from WeChat Pay's own API host, never from wherever an answer points.
    if (downloadUrl.origin !== new URL(baseUrlOf(credentials)).origin) {
      throw new Error('the bill download address is not on the API host');
    }
    const raw = await downloadBill(ctx, credentials, downloadUrl);
    if (createHash('sha1').update(raw).digest('hex') !== answer.data.hash_value.toLowerCase()) {
      throw new Error('the bill does not match its SHA1');
    }
    const text = raw.toString('utf8');
    return { date: statement.date, lines: statementLines(text), raw: text };
  },

  parseNotify(ctx: ChannelContext, notify: InboundNotify): ParsedNotify | ParsedRefundNotify {
    const parsed = credentialsSchema.safeParse(ctx.credentials);
    if (!parsed.success) throw new NotifyRejected('SIGNATURE_INVALID', 'no valid key to verify with');
    const credentials = parsed.data;
    const ring = keyringOf(ctx.channelAccountId, credentials);
    const check = verifyWechatpaySignature(notify.headers, notify.rawBody, (serial) => keyOf(ring, serial));
    if (!check.ok) {
      if (check.reason === 'UNKNOWN_SERIAL' && check.serial && isCertificateSerial(check.serial)) {
        // New platform certificates: download them now, so WeChat Pay's retry verifies.
        void refreshCertificates(
          ring,
          credentials.apiV3Key,
          () => downloadCertificates(ctx, credentials),
          'notify',
        );
      }
      throw new NotifyRejected('SIGNATURE_INVALID', `notify signature: ${check.reason}`);
    }
    if (seenBefore(ctx.channelAccountId, notify.headers)) {
      throw new NotifyRejected('SIGNATURE_INVALID', 'notify replayed (nonce already seen)');
    }
    let envelope: z.infer<typeof NOTIFY>;
    try {
      envelope = NOTIFY.parse(JSON.parse(notify.rawBody));
    } catch {
      throw new NotifyRejected('MALFORMED', 'not a WeChat Pay notify');
    }
    let resource: unknown;
    try {
      const { ciphertext, nonce, associated_data } = envelope.resource;
      resource = JSON.parse(aeadDecrypt(ciphertext, credentials.apiV3Key, nonce, associated_data ?? ''));
    } catch {
      throw new NotifyRejected('SIGNATURE_INVALID', 'resource does not decrypt with the APIv3 key');
    }
    if (envelope.event_type === 'TRANSACTION.SUCCESS') return paymentNotify(resource, credentials);
    if (envelope.event_type.startsWith('REFUND.'))
      return refundNotify(envelope.event_type, resource, credentials);
    throw new NotifyRejected('MALFORMED', `event ${envelope.event_type.slice(0, 40)} is not handled`);
  },

  notifyAck(accepted: boolean) {
    return accepted
      ? { status: 204, contentType: 'application/json', body: '' }
      : {
          status: 400,
          contentType: 'application/json',
          body: JSON.stringify({ code: 'FAIL', message: 'notify refused' }),
        };
  },
};

// ---------- payments ----------

const METHODS: Partial<Record<PayWay, 'native' | 'h5' | 'jsapi'>> = {
  WX_NATIVE: 'native',
  WX_H5: 'h5',
  WX_JSAPI: 'jsapi',
};
const FIELD_OF = { native: 'code_url', h5: 'h5_url', jsapi: 'prepay_id' } as const;

function createFailure(call: Answer): CreatePaymentResult {
  const code = errorCode(call);
  if (call.status >= 500 || UNKNOWN_CODES.has(code) || !CONFIGURATION_CODES.has(code)) {
    // Unless WeChat Pay said the request itself was wrong, it may have opened the payment.
    return { outcome: 'unknown', code: code || 'CHANNEL_BAD_RESPONSE', message: errorMessage(call) };
  }
  return { outcome: 'refused', code, message: `WeChat Pay refused: ${errorMessage(call)}`, raw: call.json };
}

/**
 * A pay code (付款码): paid at once, or the customer confirms on the phone (USERPAYING: queried for a
 * while, then left pending), or declined; an unknown outcome is queried and, if still unknown,
 * reversed (撤销) so the customer cannot be charged for a sale the till gave up on.
 */
async function payByCode(
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

function queryOutcome(call: Answer, orderNo: string, credentials: Credentials): PaymentStatusResult {
  if (call.status === 404) {
    const code = errorCode(call);
    if (code === 'ORDER_NOT_EXIST' || code === 'RESOURCE_NOT_EXISTS')
      return { status: 'not_found', raw: call.json };
  }
  if (call.status !== 200) throw new Error(`WeChat Pay query: ${call.status} ${errorCode(call)}`);
  const transaction = TRANSACTION.safeParse(call.json);
  if (!transaction.success || transaction.data.out_trade_no !== orderNo) {
    throw new Error('WeChat Pay query answer is malformed');
  }
  const t = transaction.data;
  if (!ownsMerchant(t, credentials)) throw new Error('WeChat Pay query answer is for another merchant');
  const status = lookup(TRADE_STATES, t.trade_state);
  if (status === undefined) throw new Error(`WeChat Pay query: unknown trade_state ${t.trade_state}`);
  const paidAt = t.success_time ? new Date(t.success_time) : null;
  return {
    status,
    channelOrderNo: t.transaction_id ?? null,
    amount: t.amount?.total !== undefined ? BigInt(t.amount.total) : undefined,
    currency: t.amount?.currency ?? 'CNY',
    paidAt: paidAt && !Number.isNaN(paidAt.getTime()) ? paidAt : null,
    raw: t,
  };
}

/** WeChat's H5 page returns the payer to `redirect_url` (appended by the merchant) once they paid or gave up. */
function withRedirect(h5Url: string, payment: CreatePaymentRequest): string {
  if (!payment.returnUrl || !/^https?:\/\//.test(payment.returnUrl)) return h5Url;
  return `${h5Url}${h5Url.includes('?') ? '&' : '?'}redirect_url=${encodeURIComponent(payment.returnUrl)}`;
}

function queryPath(orderNo: string, credentials: Credentials): string {
  const ids = credentials.subMchId
    ? `sp_mchid=${credentials.mchId}&sub_mchid=${credentials.subMchId}`
    : `mchid=${credentials.mchId}`;
  return `${transactionsPath(credentials)}/out-trade-no/${encodeURIComponent(orderNo)}?${ids}`;
}

/** Direct merchants use /v3/pay/transactions; service providers /v3/pay/partner/transactions. */
function transactionsPath(credentials: Credentials): string {
  return credentials.subMchId ? '/v3/pay/partner/transactions' : '/v3/pay/transactions';
}

/** The merchant fields of a request body: mchid/appid, or the provider's and the sub-merchant's. */
function merchantIds(credentials: Credentials, withApp = true): Record<string, string> {
  if (!credentials.subMchId) {
    return withApp ? { appid: credentials.appId, mchid: credentials.mchId } : { mchid: credentials.mchId };
  }
  return {
    ...(withApp ? { sp_appid: credentials.appId } : {}),
    sp_mchid: credentials.mchId,
    ...(withApp && credentials.subAppId ? { sub_appid: credentials.subAppId } : {}),
    sub_mchid: credentials.subMchId,
  };
}

/** Whose openid the payer's is: the sub-merchant's AppID's when it has one, else the provider's. */
function openidField(credentials: Credentials): string {
  if (!credentials.subMchId) return 'openid';
  return credentials.subAppId ? 'sub_openid' : 'sp_openid';
}

function payerAppId(credentials: Credentials): string {
  return credentials.subMchId && credentials.subAppId ? credentials.subAppId : credentials.appId;
}

/** Whether a transaction (answer or notify) is this account's merchant. */
function ownsMerchant(t: Transaction, credentials: Credentials): boolean {
  if (!credentials.subMchId) return t.mchid === credentials.mchId;
  return t.sp_mchid === credentials.mchId && t.sub_mchid === credentials.subMchId;
}

/** Whether a transaction is this account's merchant and AppID. */
function ownsTransaction(t: Transaction, credentials: Credentials): boolean {
  if (!ownsMerchant(t, credentials)) return false;
  if (!credentials.subMchId) return t.appid === credentials.appId;
  return (
    t.sp_appid === credentials.appId && (t.sub_appid === undefined || t.sub_appid === credentials.subAppId)
  );
}

/** `2026-12-05T18:30:00+08:00`: WeChat Pay's time format (RFC 3339 in China Standard Time). */
function rfc3339Shanghai(instant: Date): string {
  const shifted = new Date(instant.getTime() + 8 * 3600_000);
  return `${shifted.toISOString().slice(0, 19)}+08:00`;
}

// ---------- notifies ----------

function paymentNotify(resource: unknown, credentials: Credentials): ParsedNotify {
  const transaction = TRANSACTION.safeParse(resource);
  if (!transaction.success) throw new NotifyRejected('MALFORMED', 'transaction fields missing');
  const t = transaction.data;
  if (!ownsTransaction(t, credentials)) {
    const who = [t.mchid ?? t.sp_mchid, t.sub_mchid, t.appid ?? t.sp_appid].filter(Boolean).join('/');
    throw new NotifyRejected('WRONG_ACCOUNT', `notify for ${who.slice(0, 100)}`);
  }
  if (t.trade_state !== 'SUCCESS' || t.amount?.total === undefined) {
    throw new NotifyRejected('MALFORMED', `trade_state ${t.trade_state.slice(0, 20)} in a success notify`);
  }
  const paidAt = t.success_time ? new Date(t.success_time) : null;
  if (paidAt && Number.isNaN(paidAt.getTime())) throw new NotifyRejected('MALFORMED', 'bad success_time');
  return {
    kind: 'payment',
    orderNo: t.out_trade_no,
    channelOrderNo: t.transaction_id ?? null,
    status: 'paid',
    amount: BigInt(t.amount.total),
    currency: t.amount.currency ?? 'CNY',
    paidAt,
  };
}

function refundNotify(eventType: string, resource: unknown, credentials: Credentials): ParsedRefundNotify {
  const refund = REFUND_RESOURCE.safeParse(resource);
  if (!refund.success) throw new NotifyRejected('MALFORMED', 'refund fields missing');
  const r = refund.data;
  const ours = credentials.subMchId
    ? r.sp_mchid === credentials.mchId && r.sub_mchid === credentials.subMchId
    : r.mchid === credentials.mchId;
  if (!ours) {
    const who = [r.mchid ?? r.sp_mchid, r.sub_mchid].filter(Boolean).join('/');
    throw new NotifyRejected('WRONG_ACCOUNT', `notify for ${who.slice(0, 64)}`);
  }
  const status =
    eventType === 'REFUND.SUCCESS' && r.refund_status === 'SUCCESS'
      ? 'succeeded'
      : (eventType === 'REFUND.ABNORMAL' || eventType === 'REFUND.CLOSED') && r.refund_status !== 'SUCCESS'
        ? 'failed'
        : undefined;
  if (status === undefined)
    throw new NotifyRejected('MALFORMED', `${eventType.slice(0, 20)} with ${r.refund_status}`);
  return {
    kind: 'refund',
    refundNo: r.out_refund_no,
    orderNo: r.out_trade_no,
    channelRefundNo: r.refund_id ?? null,
    status,
    amount: BigInt(r.amount.refund),
    currency: 'CNY',
    message: status === 'failed' ? r.refund_status : null,
  };
}

/** Nonces of notifies already verified, per account, kept as long as their timestamp is acceptable. */
const seenNonces = new Map<string, Map<string, number>>();

function seenBefore(accountId: bigint, headers: InboundNotify['headers']): boolean {
  const nonce = String(headers['wechatpay-nonce']);
  const signature = String(headers['wechatpay-signature']);
  const key = `${nonce}:${signature.slice(0, 32)}`;
  const now = Date.now();
  let seen = seenNonces.get(accountId.toString());
  if (!seen) {
    seen = new Map();
    seenNonces.set(accountId.toString(), seen);
  }
  if (seen.size > 10_000) {
    for (const [k, at] of seen) if (now - at > 2 * MAX_CLOCK_SKEW_SECONDS * 1000) seen.delete(k);
  }
  if (seen.has(key)) return true;
  seen.set(key, now);
  return false;
}

// ---------- the bill ----------

function statementLines(text: string): StatementLine[] {
  const lines: StatementLine[] = [];
  for (const row of parseTradeBill(text)) {
    const at = new Date(`${row.交易时间!.replace(' ', 'T')}+08:00`);
    const fee = yuanToFen(row.手续费 ?? '');
    if (row.交易状态 === 'SUCCESS') {
      lines.push({
        kind: 'payment',
        orderNo: row.商户订单号!,
        channelOrderNo: row.微信订单号 || null,
        refundNo: null,
        amount: yuanToFen(row.订单金额 ?? '') ?? 0n,
        fee,
        at,
      });
    } else if (row.交易状态 === 'REFUND') {
      lines.push({
        kind: 'refund',
        orderNo: row.商户订单号!,
        channelOrderNo: row.微信订单号 || null,
        refundNo: row.商户退款单号 || null,
        amount: yuanToFen(row.申请退款金额 || row.退款金额 || '') ?? 0n,
        fee,
        at,
      });
    }
  }
  return lines;
}

async function downloadBill(ctx: ChannelContext, credentials: Credentials, url: URL): Promise<Buffer> {
  const pathWithQuery = `${url.pathname}${url.search}`;
  const response = await request(url, {
    method: 'GET',
    headers: {
      accept: '*/*',
      authorization: authorizationHeader({
        mchId: credentials.mchId,
        certSerial: credentials.certSerial,
        privateKey: credentials.privateKey,
        method: 'GET',
        pathWithQuery,
        body: '',
      }),
    },
    headersTimeout: ctx.timeoutMs,
    bodyTimeout: ctx.timeoutMs,
  });
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += (chunk as Buffer).length;
    if (total > MAX_BILL_BYTES) {
      response.body.destroy();
      throw new Error('the bill is too large');
    }
    chunks.push(chunk as Buffer);
  }
  if (response.statusCode !== 200) throw new Error(`bill download: HTTP ${response.statusCode}`);
  return Buffer.concat(chunks);
}

// ---------- transport ----------

function baseUrlOf(credentials: Credentials): string {
  return (credentials.baseUrl ?? WECHATPAY_PRODUCTION_URL).replace(/\/+$/, '');
}

async function send(
  ctx: ChannelContext,
  credentials: Credentials,
  method: 'GET' | 'POST',
  pathWithQuery: string,
  payload?: unknown,
): Promise<
  | { ok: true; status: number; text: string; headers: Record<string, string | string[] | undefined> }
  | { ok: false; code: Failure; message: string }
> {
  const body = payload === undefined ? '' : JSON.stringify(payload);
  try {
    const response = await request(`${baseUrlOf(credentials)}${pathWithQuery}`, {
      method,
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        'user-agent': 'qingyun-pay',
        authorization: authorizationHeader({
          mchId: credentials.mchId,
          certSerial: credentials.certSerial,
          privateKey: credentials.privateKey,
          method,
          pathWithQuery,
          body,
        }),
      },
      body: method === 'GET' ? undefined : body,
      headersTimeout: ctx.timeoutMs,
      bodyTimeout: ctx.timeoutMs,
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
    const text = await readTextUpTo(response.body, MAX_ANSWER_BYTES);
    if (text === null) return { ok: false, code: 'CHANNEL_BAD_RESPONSE', message: 'answer too large' };
    return { ok: true, status: response.statusCode, text, headers: response.headers };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const timedOut =
      error instanceof errors.HeadersTimeoutError ||
      error instanceof errors.BodyTimeoutError ||
      error instanceof errors.ConnectTimeoutError ||
      (error instanceof DOMException && error.name === 'TimeoutError');
    return { ok: false, code: timedOut ? 'CHANNEL_TIMEOUT' : 'CHANNEL_UNREACHABLE', message };
  }
}

/** `GET /v3/certificates`, for keys.ts: the certificates and a way to verify the answer with them. */
async function downloadCertificates(ctx: ChannelContext, credentials: Credentials) {
  const answer = await send(ctx, credentials, 'GET', '/v3/certificates');
  if (!answer.ok || answer.status !== 200) return null;
  const data = z
    .object({
      data: z.array(
        z.object({
          serial_no: z.string(),
          encrypt_certificate: z.object({
            algorithm: z.string(),
            nonce: z.string(),
            associated_data: z.string(),
            ciphertext: z.string(),
          }),
        }),
      ),
    })
    .safeParse(safeJson(answer.text));
  if (!data.success) return null;
  return {
    data: data.data.data as DownloadedCertificate[],
    verify: (keyOfSerial: (serial: string) => KeyObject | undefined) =>
      verifyWechatpaySignature(answer.headers, answer.text, keyOfSerial).ok,
  };
}

/**
 * One signed call; the answer is returned only when its signature verifies with the key its
 * `Wechatpay-Serial` names (an unknown platform certificate serial downloads the certificates once).
 * A 5xx answer that does not verify is a bad response (the outcome is unknown either way).
 */
async function callWechatpay(
  ctx: ChannelContext,
  credentials: Credentials,
  method: 'GET' | 'POST',
  pathWithQuery: string,
  payload?: unknown,
): Promise<Call> {
  const ring = keyringOf(ctx.channelAccountId, credentials);
  if (certificatesDue(ring)) {
    await refreshCertificates(
      ring,
      credentials.apiV3Key,
      () => downloadCertificates(ctx, credentials),
      'due',
    );
  }
  const answer = await send(ctx, credentials, method, pathWithQuery, payload);
  if (!answer.ok) return answer;
  let check = verifyWechatpaySignature(answer.headers, answer.text, (serial) => keyOf(ring, serial));
  if (!check.ok && check.reason === 'UNKNOWN_SERIAL' && check.serial && isCertificateSerial(check.serial)) {
    // WeChat Pay rotated its platform certificate: download the new ones once and verify again.
    await refreshCertificates(
      ring,
      credentials.apiV3Key,
      () => downloadCertificates(ctx, credentials),
      'answer',
    );
    check = verifyWechatpaySignature(answer.headers, answer.text, (serial) => keyOf(ring, serial));
  }
  if (!check.ok) {
    if (answer.status >= 500)
      return { ok: false, code: 'CHANNEL_BAD_RESPONSE', message: `HTTP ${answer.status}` };
    return {
      ok: false,
      code: 'CHANNEL_BAD_SIGNATURE',
      message: `answer ${answer.status} signature: ${check.reason}${check.serial ? ` (${check.serial.slice(0, 64)})` : ''}`,
    };
  }
  const json = answer.text === '' ? null : safeJson(answer.text);
  if (answer.text !== '' && (json === null || typeof json !== 'object')) {
    return { ok: false, code: 'CHANNEL_BAD_RESPONSE', message: 'answer is not JSON' };
  }
  return { ok: true, status: answer.status, text: answer.text, json: json as Record<string, unknown> | null };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function errorCode(call: Answer): string {
  const code = call.json?.code;
  return typeof code === 'string' ? code.slice(0, 64) : '';
}

function errorMessage(call: Answer): string {
  const message = call.json?.message;
  return `${call.status} ${errorCode(call)}${typeof message === 'string' ? `: ${message.slice(0, 200)}` : ''}`;
}

function lookup<T>(table: Record<string, T>, wireValue: string | undefined): T | undefined {
  return wireValue !== undefined && Object.hasOwn(table, wireValue) ? table[wireValue] : undefined;
}
