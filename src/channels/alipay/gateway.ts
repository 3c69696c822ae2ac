/**
 * The transport: one signed call to Alipay's gateway and the verification of its answer, the
 * reading of answers, and the connection test built on them.
 */
import { errors, request } from 'undici';
import { readTextUpTo } from '../http-body.ts';
import type { ChannelContext, ConnectionTestResult } from '../types.ts';
import { certSn, rootCertSn } from './certs.ts';
import { type AlipayCredentials, alipayKeyOf, certificateMode, keysOf } from './credentials.ts';
import {
  ALIPAY_PRODUCTION_GATEWAY,
  type AlipayParams,
  appPrivateKey,
  rsa2Verify,
  shanghaiTime,
  signParams,
  splitAnswer,
} from './protocol.ts';

const MAX_ANSWER_BYTES = 256 * 1024;

export type Content = Record<string, unknown>;
type Failure = 'CHANNEL_TIMEOUT' | 'CHANNEL_UNREACHABLE' | 'CHANNEL_BAD_RESPONSE' | 'CHANNEL_BAD_SIGNATURE';
type CallResult =
  | { ok: true; answer: Content }
  | { ok: false; code: Failure; message: string; unsigned?: Content };

export function gatewayOf(credentials: AlipayCredentials): string {
  return credentials.gatewayUrl ?? ALIPAY_PRODUCTION_GATEWAY;
}

/** The signed parameters of one call: the common ones, then the method's `biz_content`. */
export function signedRequest(
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
export async function callGateway(
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

export const str = (content: Content, key: string): string | undefined => {
  const value = content[key];
  return typeof value === 'string' ? value : undefined;
};
export const codeOf = (c: Content) => str(c, 'code') ?? '';
export const subCodeOf = (c: Content) => str(c, 'sub_code') ?? str(c, 'code') ?? 'UNKNOWN';
export const describe = (c: Content) =>
  `${str(c, 'code') ?? '?'} ${str(c, 'msg') ?? ''}${c.sub_code ? ` ${str(c, 'sub_code')}: ${str(c, 'sub_msg') ?? ''}` : ''}`.trim();

/** Subjects are at most 256 characters at Alipay; cut at a character boundary. */
export const cut = (text: string, max: number) => Array.from(text).slice(0, max).join('');

export async function testConnection(ctx: ChannelContext): Promise<ConnectionTestResult> {
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
}
