/**
 * An Alipay account's credentials (public-key or certificate mode, certs.ts) and settings: their
 * schemas, the fields the console's form shows, and the keys read from them for each call.
 */
import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import type { ChannelContext, CredentialField } from '../types.ts';
import { certPublicKey, certSn, rootCertSn } from './certs.ts';
import { ALIPAY_PRODUCTION_GATEWAY, alipayPublicKey, appPrivateKey } from './protocol.ts';

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

export const credentialsSchema = z
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
export type AlipayCredentials = z.infer<typeof credentialsSchema>;

/** `keyMode` says; without it, certificates given mean certificate mode. */
export function certificateMode(credentials: {
  keyMode?: 'publicKey' | 'certificate';
  appCertificate?: string;
  alipayCertificate?: string;
  alipayRootCertificate?: string;
}): boolean {
  if (credentials.keyMode !== undefined) return credentials.keyMode === 'certificate';
  return CERTIFICATE_FIELDS.some((field) => credentials[field] !== undefined);
}

/** The key that verifies Alipay's answers and notifies: its public key, or its certificate's. */
export function alipayKeyOf(credentials: AlipayCredentials) {
  return certificateMode(credentials)
    ? certPublicKey(credentials.alipayCertificate!)
    : alipayPublicKey(credentials.alipayPublicKey!);
}

export const configSchema = z.strictObject({
  /** Pay codes: how long to wait between queries of an unconfirmed or unanswered payment. */
  payCodeQueryIntervalMs: z.number().int().min(0).max(10_000).optional(),
  /** Pay codes: how many queries before giving up (pending if the customer is still paying, else cancel). */
  payCodeQueryAttempts: z.number().int().min(0).max(10).optional(),
  /** H5 (ALI_WAP): a GET URL to send the payer to (default), or a form the cashier page posts. */
  wapPayData: z.enum(['url', 'form']).optional(),
});
type AlipayConfig = z.infer<typeof configSchema>;

export interface Keys {
  credentials: AlipayCredentials;
  config: AlipayConfig;
}

export function keysOf(ctx: ChannelContext): Keys | null {
  const credentials = credentialsSchema.safeParse(ctx.credentials);
  const config = configSchema.safeParse(ctx.config);
  return credentials.success && config.success
    ? { credentials: credentials.data, config: config.data }
    : null;
}

/** The fields of the console's channel-account form, in order. */
export const credentialFields = [
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
] satisfies CredentialField[];
