/**
 * The transport: one signed call to the APIv3 and the verification of its answer (with the WeChat
 * Pay public key or the platform certificates, keys.ts), and what an answer's error code means.
 */
import type { KeyObject } from 'node:crypto';
import { errors, request } from 'undici';
import { z } from 'zod';
import { readTextUpTo } from '../http-body.ts';
import type { ChannelContext } from '../types.ts';
import type { Credentials } from './credentials.ts';
import {
  certificatesDue,
  type DownloadedCertificate,
  isCertificateSerial,
  keyOf,
  keyringOf,
  refreshCertificates,
} from './keys.ts';
import { authorizationHeader, verifyWechatpaySignature } from './protocol.ts';

export const WECHATPAY_PRODUCTION_URL = 'https://api.mch.weixin.qq.com';

const MAX_ANSWER_BYTES = 256 * 1024;

/** Failures of a request itself: our configuration, not the payer. Another account may try. */
export const CONFIGURATION_CODES = new Set([
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
export const UNKNOWN_CODES = new Set([
  'SYSTEM_ERROR',
  'BANKERROR',
  'FREQUENCY_LIMITED',
  'ORDERPAID',
  'USERPAYING',
]);

type Failure = 'CHANNEL_TIMEOUT' | 'CHANNEL_UNREACHABLE' | 'CHANNEL_BAD_RESPONSE' | 'CHANNEL_BAD_SIGNATURE';
export type Answer = { ok: true; status: number; text: string; json: Record<string, unknown> | null };
type Call = Answer | { ok: false; code: Failure; message: string };

export function baseUrlOf(credentials: Credentials): string {
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
export async function downloadCertificates(ctx: ChannelContext, credentials: Credentials) {
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
export async function callWechatpay(
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

export function errorCode(call: Answer): string {
  const code = call.json?.code;
  return typeof code === 'string' ? code.slice(0, 64) : '';
}

export function errorMessage(call: Answer): string {
  const message = call.json?.message;
  return `${call.status} ${errorCode(call)}${typeof message === 'string' ? `: ${message.slice(0, 200)}` : ''}`;
}

export function lookup<T>(table: Record<string, T>, wireValue: string | undefined): T | undefined {
  return wireValue !== undefined && Object.hasOwn(table, wireValue) ? table[wireValue] : undefined;
}
