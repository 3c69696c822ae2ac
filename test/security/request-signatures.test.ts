import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADER, type SigningKey, signRequest } from '../../sdk/index.ts';
import { merchantConsole, operatorConsole } from '../support/console.ts';
import { testDatabases } from '../support/databases.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

/**
 * Request signatures (DESIGN §6): the merchant and app are part of the signed string, so
 * a request captured for one app cannot be replayed on another app that shares the RSA key; only
 * the canonical base64 spelling of a signature is accepted, and no X-Qy-* header twice; an app can
 * be limited to one sign type; an app id that is unknown, another merchant's or disabled is answered
 * exactly like a bad signature.
 */

interface Answer {
  status: number;
  text: string;
}

interface Envelope {
  code: string;
  message: string;
  requestId: string;
}

let sequence = 0;
const orderBody = () =>
  JSON.stringify({
    mchOrderNo: `SIG-${Date.now()}-${++sequence}`,
    productCode: 'sandbox_qr',
    amount: 1_000,
    subject: 'signature test',
  });

describe.each(testDatabases)('request signatures on $kind', (database) => {
  let t: TestPlatform;
  /** One merchant key pair, given to two apps of the demo merchant. */
  const merchantKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaKey: SigningKey = { type: 'RSA-SHA256', privateKey: merchantKeys.privateKey };
  const publicPem = merchantKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let appA: string;
  let appB: string;
  let mchNo: string;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    mchNo = t.demo.merchant.mchNo;
    const merchants = t.platform.services.merchants;
    appA = (await merchants.createApp(mchNo, { name: 'shop A', merchantPublicKey: publicPem })).app.appId;
    appB = (await merchants.createApp(mchNo, { name: 'shop B', merchantPublicKey: publicPem })).app.appId;
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** Sends exactly these headers (an array value is sent as that many header lines). */
  function send(
    method: string,
    path: string,
    headers: Record<string, string | string[]>,
    body = '',
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        `${t.platform.url}${path}`,
        {
          method,
          headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  const signed = (appId: string, key: SigningKey, body: string, path = '/api/v1/orders') =>
    signRequest({ method: 'POST', pathWithQuery: path, body, mchNo, appId, key });

  const orderCountOf = async (appId: string) => {
    const [row] = await t.platform.services.db.query<{ n: bigint }>(
      'SELECT count(*) AS n FROM pay_order WHERE app_id = $1',
      [appId],
    );
    return row!.n;
  };

  const envelope = (answer: Answer) => JSON.parse(answer.text) as Envelope;

  it('refuses a request captured from app A and replayed against app B with the same RSA key', async () => {
    const body = orderBody();
    const captured = signed(appA, rsaKey, body);
    const first = await send('POST', '/api/v1/orders', captured, body);
    expect(first.status).toBe(201);

    const beforeB = await orderCountOf(appB);
    const replay = await send('POST', '/api/v1/orders', { ...captured, [HEADER.app]: appB }, body);
    expect(replay.status).toBe(401);
    expect(envelope(replay).code).toBe('SIGNATURE_INVALID');
    expect(await orderCountOf(appB)).toBe(beforeB);

    // The same order, signed for app B by the merchant, is accepted there: the key is shared on purpose.
    const own = await send('POST', '/api/v1/orders', signed(appB, rsaKey, body), body);
    expect(own.status).toBe(201);
  });

  describe('only the canonical base64 spelling of a signature', () => {
    /** A valid HMAC request of the demo app, with its signature respelled. */
    async function withSignature(respell: (signature: string) => string | string[]): Promise<Answer> {
      // A fresh order until the respelling changes something (a signature without "+" or "/",
      // about one in four, reads the same in base64url), so every case really sends another spelling.
      for (let attempt = 0; ; attempt++) {
        const body = orderBody();
        const headers = signed(t.demo.merchant.appId, demoKey(), body);
        const signature = headers[HEADER.signature]!;
        const respelled = respell(signature);
        if (respelled === signature && attempt < 50) continue;
        expect(respelled).not.toBe(signature);
        return send('POST', '/api/v1/orders', { ...headers, [HEADER.signature]: respelled }, body);
      }
    }
    const demoKey = (): SigningKey => ({ type: 'HMAC-SHA256', secret: t.demo.merchant.appSecret });

    it('accepts the signature as signRequest spells it', async () => {
      const body = orderBody();
      const answer = await send(
        'POST',
        '/api/v1/orders',
        signed(t.demo.merchant.appId, demoKey(), body),
        body,
      );
      expect(answer.status).toBe(201);
    });

    it.each<[string, (signature: string) => string | string[]]>([
      ['base64url', (s) => s.replaceAll('+', '-').replaceAll('/', '_')],
      ['missing padding', (s) => s.replace(/=+$/, '')],
      ['trailing data after the padding', (s) => `${s}AAAA`],
      ['non-zero bits in the last character', (s) => `${s.slice(0, 42)}${flipLowBit(s[42]!)}=`],
      ['the header given twice, the second empty', (s) => [s, '']],
      ['the header given twice, both the same', (s) => [s, s]],
    ])('refuses %s', async (_name, respell) => {
      const before = await orderCountOf(t.demo.merchant.appId);
      const answer = await withSignature(respell);
      expect({ status: answer.status, code: envelope(answer).code }).toEqual({
        status: 401,
        code: 'SIGNATURE_INVALID',
      });
      expect(await orderCountOf(t.demo.merchant.appId)).toBe(before);
    });

    it.each([HEADER.app, HEADER.merchant, HEADER.nonce, HEADER.timestamp, HEADER.signType])(
      'refuses the %s header given twice',
      async (name) => {
        const body = orderBody();
        const headers = signed(t.demo.merchant.appId, demoKey(), body);
        const answer = await send(
          'POST',
          '/api/v1/orders',
          { ...headers, [name]: [headers[name]!, headers[name]!] },
          body,
        );
        expect(answer.status).toBe(401);
        expect(envelope(answer)).toMatchObject({ code: 'SIGNATURE_INVALID' });
        expect(envelope(answer).message).toContain('more than once');
      },
    );
  });

  describe('an app limited to one sign type', () => {
    it('refuses the other type once the signature is proven, and accepts its own', async () => {
      const { app, secret } = await t.platform.services.merchants.createApp(mchNo, {
        name: 'RSA only',
        merchantPublicKey: publicPem,
        acceptedSignType: 'RSA-SHA256',
      });
      const hmac: SigningKey = { type: 'HMAC-SHA256', secret };
      const body = orderBody();
      const refused = await send('POST', '/api/v1/orders', signed(app.appId, hmac, body), body);
      expect(refused.status).toBe(403);
      expect(envelope(refused).code).toBe('SIGN_TYPE_NOT_ALLOWED');
      expect(await orderCountOf(app.appId)).toBe(0n);

      // Someone without the secret learns nothing: a wrong HMAC is a bad signature, as for any app.
      const guessed = signed(app.appId, { type: 'HMAC-SHA256', secret: 'guess' }, body);
      const wrong = await send('POST', '/api/v1/orders', guessed, body);
      expect({ status: wrong.status, code: envelope(wrong).code }).toEqual({
        status: 401,
        code: 'SIGNATURE_INVALID',
      });

      const accepted = await send('POST', '/api/v1/orders', signed(app.appId, rsaKey, body), body);
      expect(accepted.status).toBe(201);
    });

    it('is set on the operator console and audited, and RSA only needs the merchant key', async () => {
      const operator = await operatorConsole(t);
      const created = await operator.ok<{ app: { appId: string; acceptedSignType: string } }>(
        'POST',
        `/api/admin/merchants/${mchNo}/apps`,
        { name: 'console app' },
      );
      expect(created.app.acceptedSignType).toBe('both');
      const appId = created.app.appId;

      const noKey = await operator.send('PATCH', `/api/admin/apps/${appId}`, {
        acceptedSignType: 'RSA-SHA256',
      });
      expect(noKey.status).toBe(400);
      expect((noKey.body as Envelope).code).toBe('INVALID_REQUEST');

      const hmacOnly = await operator.ok<{ acceptedSignType: string }>('PATCH', `/api/admin/apps/${appId}`, {
        acceptedSignType: 'HMAC-SHA256',
      });
      expect(hmacOnly.acceptedSignType).toBe('HMAC-SHA256');
      const [audit] = await t.platform.services.db.query<{
        before: { acceptedSignType: string };
        after: { acceptedSignType: string };
      }>(
        `SELECT before, after FROM audit_log WHERE action = 'PATCH /api/admin/apps/:appId' AND target_id = $1 AND status = 200
         ORDER BY id DESC LIMIT 1`,
        [appId],
      );
      expect(audit?.before.acceptedSignType).toBe('both');
      expect(audit?.after.acceptedSignType).toBe('HMAC-SHA256');

      // With the merchant's key uploaded, an RSA request is a proven one, and still refused.
      await operator.ok('PATCH', `/api/admin/apps/${appId}`, { merchantPublicKey: publicPem });
      const body = orderBody();
      const answer = await send('POST', '/api/v1/orders', signed(appId, rsaKey, body), body);
      expect({ status: answer.status, code: envelope(answer).code }).toEqual({
        status: 403,
        code: 'SIGN_TYPE_NOT_ALLOWED',
      });
    });

    it('is set on the merchant portal by a manager and audited', async () => {
      const merchant = await t.platform.services.merchants.requireMerchant(mchNo);
      const manager = await merchantConsole(t, { merchantId: merchant.id, merchantRole: 'manager' });
      const updated = await manager.ok<{ acceptedSignType: string }>('PATCH', `/api/merchant/apps/${appA}`, {
        acceptedSignType: 'RSA-SHA256',
      });
      expect(updated.acceptedSignType).toBe('RSA-SHA256');
      const [audit] = await t.platform.services.db.query<{ after: { acceptedSignType: string } }>(
        `SELECT after FROM audit_log WHERE action = 'PATCH /api/merchant/apps/:appId' AND target_id = $1
         ORDER BY id DESC LIMIT 1`,
        [appA],
      );
      expect(audit?.after.acceptedSignType).toBe('RSA-SHA256');
      const bad = await manager.send('PATCH', `/api/merchant/apps/${appA}`, { acceptedSignType: 'MD5' });
      expect(bad.status).toBe(400);
      await manager.ok('PATCH', `/api/merchant/apps/${appA}`, { acceptedSignType: 'both' });
    });
  });

  describe('app ids that cannot be used answer exactly like a bad signature', () => {
    /** The refusal without its request id, byte for byte. */
    const shape = (answer: Answer) => ({
      status: answer.status,
      text: answer.text.replace(/"requestId":"req_[0-9a-f]{32}"/, '"requestId":"-"'),
    });

    async function badSignatureOfDemoApp(): Promise<ReturnType<typeof shape>> {
      const body = orderBody();
      const headers = signed(t.demo.merchant.appId, { type: 'HMAC-SHA256', secret: 'not-the-secret' }, body);
      return shape(await send('POST', '/api/v1/orders', headers, body));
    }

    it('an unknown app id, another merchant’s app and a disabled app', async () => {
      const expected = await badSignatureOfDemoApp();
      expect(expected.status).toBe(401);
      expect(JSON.parse(expected.text)).toMatchObject({ code: 'SIGNATURE_INVALID' });

      const merchants = t.platform.services.merchants;
      const other = await merchants.createMerchant({ name: `other ${randomBytes(3).toString('hex')}` });
      const otherApp = await merchants.createApp(other.mch_no, { name: 'theirs' });
      const disabled = await merchants.createApp(mchNo, { name: 'paused' });
      await merchants.updateApp(disabled.app.appId, { state: 'disabled' });

      const cases: [string, Record<string, string>, string][] = [];
      const unknownBody = orderBody();
      cases.push([
        'unknown',
        signed('APP0000000000000000', { type: 'HMAC-SHA256', secret: 'x' }, unknownBody),
        unknownBody,
      ]);
      const otherBody = orderBody();
      // Signed correctly with the other merchant's own secret, but presented as the demo merchant's.
      cases.push([
        'another merchant',
        signed(otherApp.app.appId, { type: 'HMAC-SHA256', secret: otherApp.secret }, otherBody),
        otherBody,
      ]);
      const disabledBody = orderBody();
      // A correct signature: a disabled app is not told apart from a forged one.
      cases.push([
        'disabled',
        signed(disabled.app.appId, { type: 'HMAC-SHA256', secret: disabled.secret }, disabledBody),
        disabledBody,
      ]);
      const rsaUnknownBody = orderBody();
      cases.push(['unknown, RSA', signed('APP0000000000000001', rsaKey, rsaUnknownBody), rsaUnknownBody]);

      for (const [name, headers, body] of cases) {
        const answer = shape(await send('POST', '/api/v1/orders', headers, body));
        expect({ name, ...answer }).toEqual({ name, ...expected });
      }
    });

    it('an unknown app id is remembered like a known one, so its refusal is not slower', async () => {
      const db = t.platform.services.db;
      const merchants = t.platform.services.merchants;
      const reads: string[] = [];
      const query = db.query.bind(db);
      db.query = ((...args: Parameters<typeof db.query>) => {
        if (args[0].includes('FROM merchant_app')) reads.push(args[0]);
        return query(...args);
      }) as typeof db.query;
      try {
        for (const appId of ['APPNOSUCHAPP000001', t.demo.merchant.appId]) {
          reads.length = 0;
          await merchants.appKeys(appId);
          await merchants.appKeys(appId);
          await merchants.appKeys(appId);
          // At most the first look-up reads (the known app may still be cached from an earlier test).
          expect({ appId, reads: reads.length }).toEqual({ appId, reads: reads.length > 0 ? 1 : 0 });
        }
        reads.length = 0;
        await merchants.appKeys('APPNOSUCHAPP000002');
        await merchants.appKeys('APPNOSUCHAPP000002');
        expect(reads).toHaveLength(1);
      } finally {
        db.query = query;
      }
    });
  });
});

/** The same 6 bits with the lowest one flipped: for the last character before "=", bits nobody reads. */
function flipLowBit(char: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  return alphabet[alphabet.indexOf(char) ^ 1]!;
}
