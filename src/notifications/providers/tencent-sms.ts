import { createHash, createHmac } from 'node:crypto';
import type { RenderedMessage } from '../types.ts';
import { DeliveryError, type ProviderTransport, phoneE164, postForJson } from './errors.ts';

/** Tencent Cloud SMS, `SendSms` of API version 2021-01-11, signed with TC3-HMAC-SHA256. */
export interface TencentSmsConfig {
  secretId: string;
  secretKey: string;
  /** `https://sms.tencentcloudapi.com` in production; a local fake in tests. */
  endpoint: string;
  region: string;
  /** The SMS application's SdkAppId. */
  sdkAppId: string;
  timeoutMs: number;
}

const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

export const TC3_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * TC3-HMAC-SHA256 over a POST of a JSON body to `/` with the signed headers content-type and host:
 * CanonicalRequest → StringToSign (algorithm, timestamp, date/service/tc3_request, its SHA-256) →
 * the key derived from "TC3" + SecretKey by the UTC date, the service and "tc3_request" → hex HMAC.
 */
export function tc3Signature(input: {
  secretKey: string;
  service: string;
  host: string;
  timestamp: number;
  payload: string;
}): { signature: string; date: string; credentialScope: string } {
  const date = new Date(input.timestamp * 1000).toISOString().slice(0, 10);
  const canonicalRequest = [
    'POST',
    '/',
    '',
    `content-type:${TC3_CONTENT_TYPE}\nhost:${input.host}\n`,
    'content-type;host',
    sha256Hex(input.payload),
  ].join('\n');
  const credentialScope = `${date}/${input.service}/tc3_request`;
  const stringToSign = [
    'TC3-HMAC-SHA256',
    String(input.timestamp),
    credentialScope,
    sha256Hex(canonicalRequest),
  ].join('\n');
  const secretDate = hmac(`TC3${input.secretKey}`, date);
  const secretService = hmac(secretDate, input.service);
  const secretSigning = hmac(secretService, 'tc3_request');
  return { signature: hmac(secretSigning, stringToSign).toString('hex'), date, credentialScope };
}

interface SendSmsAnswer {
  Response?: {
    Error?: { Code: string; Message: string };
    SendStatusSet?: { Code: string; Message: string; SerialNo?: string; PhoneNumber?: string }[];
    RequestId?: string;
  };
}

export function tencentSmsTransport(config: TencentSmsConfig): ProviderTransport {
  return {
    channel: 'sms',
    provider: 'tencent',
    async deliver(address: string, message: RenderedMessage): Promise<string> {
      const sms = message.sms;
      if (!sms?.templateCode)
        throw new DeliveryError('no Tencent Cloud template id is set for this event and language');
      if (!sms.signName) throw new DeliveryError('no SMS sign name is set');
      const payload = JSON.stringify({
        PhoneNumberSet: [phoneE164(address)],
        SmsSdkAppId: config.sdkAppId,
        SignName: sms.signName,
        TemplateId: sms.templateCode,
        TemplateParamSet: sms.params.map(([, v]) => v),
      });
      const url = new URL('/', config.endpoint);
      const timestamp = Math.floor(Date.now() / 1000);
      const { signature, credentialScope } = tc3Signature({
        secretKey: config.secretKey,
        service: 'sms',
        host: url.host,
        timestamp,
        payload,
      });
      const answer = await postForJson<SendSmsAnswer>(
        url,
        {
          headers: {
            authorization: `TC3-HMAC-SHA256 Credential=${config.secretId}/${credentialScope}, SignedHeaders=content-type;host, Signature=${signature}`,
            'content-type': TC3_CONTENT_TYPE,
            host: url.host,
            'x-tc-action': 'SendSms',
            'x-tc-timestamp': String(timestamp),
            'x-tc-version': '2021-01-11',
            'x-tc-region': config.region,
          },
          body: payload,
        },
        config.timeoutMs,
      );
      const response = answer.Response;
      if (response?.Error) throw new DeliveryError(`${response.Error.Code}: ${response.Error.Message}`);
      const status = response?.SendStatusSet?.[0];
      if (!status) throw new DeliveryError('no SendStatusSet in the answer');
      if (status.Code !== 'Ok') throw new DeliveryError(`${status.Code}: ${status.Message}`);
      return `Ok SerialNo ${status.SerialNo ?? ''}`.trim();
    },
  };
}
