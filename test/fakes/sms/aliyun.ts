import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Aliyun Short Message Service (dysmsapi 2017-05-25) that checks `SendSms` requests as the
 * real service does: the RPC signature recomputed from the decoded parameters (HMAC-SHA1 over
 * `METHOD&%2F&` + the RFC 3986-encoded sorted query, keyed with the AccessKey secret and "&"),
 * the AccessKey id, a fresh nonce, the timestamp within 15 minutes, the sign name and the template
 * with all of its `${name}` variables. Written apart from the provider, from Aliyun's published
 * rules, so that the two check each other. Test code, not product.
 */
export interface AliyunSms {
  phone: string;
  signName: string;
  templateCode: string;
  params: Record<string, string>;
  /** The template filled with the params, as the phone would show it (without the sign name). */
  text: string;
}

/** RFC 3986: unreserved characters as they are, every other byte of the UTF-8 as %XX (upper case). */
function encode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export class FakeAliyunSms {
  readonly sent: AliyunSms[] = [];
  /** Answers the next n requests with isp.SYSTEM_ERROR (HTTP 500), as the service does when it is unwell. */
  failNext = 0;
  requests = 0;
  private readonly nonces = new Set<string>();
  private server?: http.Server;
  url = '';

  constructor(
    readonly accessKeyId: string,
    private readonly accessKeySecret: string,
    /** Approved sign names. */
    private readonly signNames: string[],
    /** Approved templates by code, in Aliyun's `${name}` form. */
    private readonly templates: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const answer = (status: number, body: Record<string, unknown>) => {
          res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
          res.end(JSON.stringify({ RequestId: randomUUID().toUpperCase(), ...body }));
        };
        this.requests++;
        const query = req.method === 'GET' ? ((req.url ?? '').split('?')[1] ?? '') : raw;
        const params = new Map<string, string>();
        for (const pair of query.split('&').filter(Boolean)) {
          const [k, v = ''] = pair.split('=');
          params.set(decodeURIComponent(k!), decodeURIComponent(v));
        }
        const signature = params.get('Signature');
        const canonical = [...params.keys()]
          .filter((k) => k !== 'Signature')
          .sort()
          .map((k) => `${encode(k)}=${encode(params.get(k)!)}`)
          .join('&');
        const stringToSign = `${req.method}&${encode('/')}&${encode(canonical)}`;
        const expected = createHmac('sha1', `${this.accessKeySecret}&`).update(stringToSign).digest('base64');
        if (params.get('AccessKeyId') !== this.accessKeyId) {
          return answer(404, {
            Code: 'InvalidAccessKeyId.NotFound',
            Message: 'Specified access key is not found.',
          });
        }
        if (
          params.get('SignatureMethod') !== 'HMAC-SHA1' ||
          params.get('SignatureVersion') !== '1.0' ||
          signature !== expected
        ) {
          return answer(400, {
            Code: 'SignatureDoesNotMatch',
            Message: `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`,
          });
        }
        const nonce = params.get('SignatureNonce') ?? '';
        if (!nonce || this.nonces.has(nonce)) {
          return answer(400, {
            Code: 'SignatureNonceUsed',
            Message: 'Specified signature nonce was used already.',
          });
        }
        this.nonces.add(nonce);
        const ts = Date.parse(params.get('Timestamp') ?? '');
        if (
          !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(params.get('Timestamp') ?? '') ||
          Math.abs(Date.now() - ts) > 900_000
        ) {
          return answer(400, {
            Code: 'InvalidTimeStamp.Expired',
            Message: 'Specified time stamp or date value is expired.',
          });
        }
        if (params.get('Action') !== 'SendSms' || params.get('Version') !== '2017-05-25') {
          return answer(400, { Code: 'InvalidAction.NotFound', Message: 'Specified api is not found.' });
        }
        if (this.failNext > 0) {
          this.failNext--;
          return answer(500, { Code: 'isp.SYSTEM_ERROR', Message: 'isp.SYSTEM_ERROR' });
        }
        const phone = params.get('PhoneNumbers') ?? '';
        if (!/^(\d{11}|\+?\d{6,15})$/.test(phone)) {
          return answer(200, { Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: 'mobile number illegal' });
        }
        const signName = params.get('SignName') ?? '';
        if (!this.signNames.includes(signName)) {
          return answer(200, { Code: 'isv.SMS_SIGNATURE_ILLEGAL', Message: 'sign name illegal' });
        }
        const templateCode = params.get('TemplateCode') ?? '';
        const template = this.templates[templateCode];
        if (!template) return answer(200, { Code: 'isv.SMS_TEMPLATE_ILLEGAL', Message: 'template illegal' });
        let vars: Record<string, string>;
        try {
          vars = JSON.parse(params.get('TemplateParam') ?? '{}');
        } catch {
          return answer(200, { Code: 'isv.INVALID_JSON_PARAM', Message: 'JSON param illegal' });
        }
        const missing = [...template.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!).filter((n) => !(n in vars));
        if (missing.length) {
          return answer(200, {
            Code: 'isv.TEMPLATE_MISSING_PARAMETERS',
            Message: `missing ${missing.join(',')}`,
          });
        }
        const text = template.replace(/\$\{(\w+)\}/g, (_, n: string) => String(vars[n]));
        this.sent.push({ phone, signName, templateCode, params: vars, text });
        return answer(200, { Code: 'OK', Message: 'OK', BizId: `${Date.now()}^0` });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
