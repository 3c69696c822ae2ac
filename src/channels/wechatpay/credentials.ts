/**
 * A WeChat Pay account's credentials: what the console asks for and how it is checked, the
 * channel config (the pay code's wait), and the connection test that proves the credentials.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { z } from 'zod';
import type { ChannelContext, ConnectionTestResult, CredentialField } from '../types.ts';
import { callWechatpay, errorCode, WECHATPAY_PRODUCTION_URL } from './api.ts';
import { queryPath } from './transactions.ts';

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

export const credentialsSchema = z
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

export type Credentials = z.infer<typeof credentialsSchema>;

export const configSchema = z.strictObject({
  /** How long a pay code's payment is queried while the customer confirms (ms). */
  payCodeWaitMs: z.number().int().min(0).max(60_000).optional(),
  /** The pause between those queries (ms). */
  payCodePollMs: z.number().int().min(10).max(10_000).optional(),
});

const WORDS = {
  mchId: { zh: '商户号', en: 'Merchant ID (mchid)' },
  appId: { zh: 'AppID（公众号/小程序/应用）', en: 'AppID' },
};

export const credentialFields = [
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
] satisfies CredentialField[];

export async function testConnection(ctx: ChannelContext): Promise<ConnectionTestResult> {
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
}
