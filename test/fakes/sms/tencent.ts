import { createHash, createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Tencent Cloud SMS (`SendSms`, API 2021-01-11) that checks requests as the real API does:
 * the TC3-HMAC-SHA256 Authorization recomputed from the signed headers the request names, its body
 * and X-TC-Timestamp (within 5 minutes, its UTC date in the credential scope), the SecretId, the
 * action, version and region, the SdkAppId, sign name and template with exactly as many
 * parameters as its `{1}`, `{2}` … Written apart from the provider, from the published rules. Test
 * code, not product.
 */
export interface TencentSms {
  phone: string;
  signName: string;
  templateId: string;
  params: string[];
  text: string;
}

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();

export class FakeTencentSms {
  readonly sent: TencentSms[] = [];
  failNext = 0;
  requests = 0;
  private server?: http.Server;
  url = '';

  constructor(
    readonly secretId: string,
    private readonly secretKey: string,
    readonly sdkAppId: string,
    private readonly signNames: string[],
    /** Approved templates by id, with `{1}`, `{2}` … */
    private readonly templates: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const answer = (response: Record<string, unknown>) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ Response: { ...response, RequestId: randomUUID() } }));
        };
        const error = (code: string, message: string) => answer({ Error: { Code: code, Message: message } });
        this.requests++;
        const auth = req.headers.authorization ?? '';
        const m =
          /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d\d-\d\d)\/([a-z]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
            auth,
          );
        if (!m)
          return error('AuthFailure.SignatureFailure', 'The provided credentials could not be validated.');
        const [, secretId, date, service, signedHeaders, signature] = m;
        if (secretId !== this.secretId)
          return error('AuthFailure.SecretIdNotFound', 'The SecretId is not found.');
        const timestamp = Number(req.headers['x-tc-timestamp']);
        if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) {
          return error('AuthFailure.SignatureExpire', 'Signature expired.');
        }
        if (new Date(timestamp * 1000).toISOString().slice(0, 10) !== date || service !== 'sms') {
          return error('AuthFailure.SignatureFailure', 'The credential scope does not match.');
        }
        const names = signedHeaders!.split(';');
        if (!names.includes('content-type') || !names.includes('host')) {
          return error('AuthFailure.SignatureFailure', 'content-type and host must be signed.');
        }
        const canonicalHeaders = names
          .map(
            (n) =>
              `${n}:${String(req.headers[n] ?? '')
                .trim()
                .toLowerCase()}\n`,
          )
          .join('');
        const canonicalRequest = [req.method, '/', '', canonicalHeaders, signedHeaders, sha256(body)].join(
          '\n',
        );
        const stringToSign = [
          'TC3-HMAC-SHA256',
          String(timestamp),
          `${date}/sms/tc3_request`,
          sha256(canonicalRequest),
        ].join('\n');
        const key = hmac(hmac(hmac(`TC3${this.secretKey}`, date!), 'sms'), 'tc3_request');
        if (hmac(key, stringToSign).toString('hex') !== signature) {
          return error('AuthFailure.SignatureFailure', 'The provided credentials could not be validated.');
        }
        if (req.headers['x-tc-action'] !== 'SendSms' || req.headers['x-tc-version'] !== '2021-01-11') {
          return error('InvalidAction', 'The action or version is not valid.');
        }
        if (!req.headers['x-tc-region']) return error('MissingParameter', 'X-TC-Region is required.');
        if (this.failNext > 0) {
          this.failNext--;
          return error('InternalError.Timeout', 'The request timed out.');
        }
        let p: {
          PhoneNumberSet?: string[];
          SmsSdkAppId?: string;
          SignName?: string;
          TemplateId?: string;
          TemplateParamSet?: string[];
        };
        try {
          p = JSON.parse(body.toString('utf8'));
        } catch {
          return error('InvalidParameter', 'The body is not JSON.');
        }
        if (p.SmsSdkAppId !== this.sdkAppId)
          return error('FailedOperation.SdkAppIdNotExist', 'SdkAppId not found.');
        if (!p.SignName || !this.signNames.includes(p.SignName)) {
          return error('FailedOperation.SignatureIncorrectOrUnapproved', 'The signature is not approved.');
        }
        const template = p.TemplateId ? this.templates[p.TemplateId] : undefined;
        if (!template)
          return error('FailedOperation.TemplateIncorrectOrUnapproved', 'The template is not approved.');
        const count = new Set([...template.matchAll(/\{(\d+)\}/g)].map((x) => x[1])).size;
        const params = p.TemplateParamSet ?? [];
        if (params.length !== count) {
          return error(
            'InvalidParameterValue.TemplateParameterFormatError',
            `the template takes ${count} parameters`,
          );
        }
        const statuses = (p.PhoneNumberSet ?? []).map((phone) => {
          if (!/^\+\d{6,15}$/.test(phone)) {
            return {
              SerialNo: '',
              PhoneNumber: phone,
              Fee: 0,
              SessionContext: '',
              Code: 'InvalidParameterValue.IncorrectPhoneNumber',
              Message: 'incorrect phone number',
              IsoCode: '',
            };
          }
          const text = template.replace(/\{(\d+)\}/g, (_, i: string) => params[Number(i) - 1]!);
          this.sent.push({ phone, signName: p.SignName!, templateId: p.TemplateId!, params, text });
          return {
            SerialNo: randomUUID(),
            PhoneNumber: phone,
            Fee: 1,
            SessionContext: '',
            Code: 'Ok',
            Message: 'send success',
            IsoCode: 'CN',
          };
        });
        return answer({ SendStatusSet: statuses });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
