import { createHmac, randomUUID } from 'node:crypto';
import type { RenderedMessage } from '../types.ts';
import { DeliveryError, type ProviderTransport, phoneForChina, postForJson } from './errors.ts';

/** Aliyun Short Message Service (dysmsapi 2017-05-25), `SendSms` over the RPC API. */
export interface AliyunSmsConfig {
  accessKeyId: string;
  accessKeySecret: string;
  /** `https://dysmsapi.aliyuncs.com` in production; a local fake in tests. */
  endpoint: string;
  regionId: string;
  timeoutMs: number;
}

/** RFC 3986 percent-encoding as Aliyun's RPC signature wants it (space %20, `*` %2A, `~` kept). */
export function aliyunPercentEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%7E/g, '~');
}

/**
 * The RPC signature (SignatureVersion 1.0): the parameters but Signature sorted by name, each name
 * and value percent-encoded and joined with `=` and `&`; StringToSign = METHOD & %2F & the encoded
 * query; Base64(HMAC-SHA1(secret + "&", StringToSign)).
 */
export function aliyunSignature(
  method: string,
  params: Record<string, string>,
  accessKeySecret: string,
): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${aliyunPercentEncode(k)}=${aliyunPercentEncode(params[k]!)}`)
    .join('&');
  const stringToSign = `${method}&${aliyunPercentEncode('/')}&${aliyunPercentEncode(canonical)}`;
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign, 'utf8').digest('base64');
}

/** Aliyun's timestamp format: ISO 8601 in UTC to the second. */
function aliyunTimestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

export function aliyunSmsTransport(config: AliyunSmsConfig): ProviderTransport {
  return {
    channel: 'sms',
    provider: 'aliyun',
    async deliver(address: string, message: RenderedMessage): Promise<string> {
      const sms = message.sms;
      if (!sms?.templateCode)
        throw new DeliveryError('no Aliyun template code is set for this event and language');
      if (!sms.signName) throw new DeliveryError('no SMS sign name is set');
      const params: Record<string, string> = {
        AccessKeyId: config.accessKeyId,
        Action: 'SendSms',
        Format: 'JSON',
        PhoneNumbers: phoneForChina(address),
        RegionId: config.regionId,
        SignName: sms.signName,
        SignatureMethod: 'HMAC-SHA1',
        SignatureNonce: randomUUID(),
        SignatureVersion: '1.0',
        TemplateCode: sms.templateCode,
        TemplateParam: JSON.stringify(Object.fromEntries(sms.params)),
        Timestamp: aliyunTimestamp(new Date()),
        Version: '2017-05-25',
      };
      params.Signature = aliyunSignature('POST', params, config.accessKeySecret);
      const body = Object.entries(params)
        .map(([k, v]) => `${aliyunPercentEncode(k)}=${aliyunPercentEncode(v)}`)
        .join('&');
      const answer = await postForJson<{
        Code?: string;
        Message?: string;
        BizId?: string;
        RequestId?: string;
      }>(
        new URL('/', config.endpoint),
        { headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body },
        config.timeoutMs,
      );
      if (answer.Code !== 'OK')
        throw new DeliveryError(`${answer.Code ?? 'no Code'}: ${answer.Message ?? ''}`.trim());
      return `OK BizId ${answer.BizId ?? ''}`.trim();
    },
  };
}
