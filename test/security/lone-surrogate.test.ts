import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../sdk/index.ts';
import { type ConsoleClient, operatorConsole } from '../support/console.ts';
import { testDatabases } from '../support/databases.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

/**
 * Half of a UTF-16 surrogate pair ("\ud800" escaped in JSON) is not text: PostgreSQL turns it into
 * U+FFFD in a text column and refuses it in jsonb (a 500 before, or a silently changed value).
 * Every JSON body is checked once, where it is parsed: 400 INVALID_REQUEST, nothing written.
 */

interface Envelope {
  code: string;
  message: string;
}

let sequence = 0;

describe.each(testDatabases)('lone surrogates on $kind', (database) => {
  let t: TestPlatform;
  let operator: ConsoleClient;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    operator = await operatorConsole(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** A signed create-order request whose body is `body` with MCH_ORDER_NO filled in, sent as is. */
  async function createOrder(rawBody: (mchOrderNo: string) => string) {
    const mchOrderNo = `SURR-${Date.now()}-${++sequence}`;
    const body = rawBody(mchOrderNo);
    const headers = signRequest({
      method: 'POST',
      pathWithQuery: '/api/v1/orders',
      body,
      mchNo: t.demo.merchant.mchNo,
      appId: t.demo.merchant.appId,
      key: { type: 'HMAC-SHA256', secret: t.demo.merchant.appSecret },
    });
    const response = await fetch(`${t.platform.url}/api/v1/orders`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    const [row] = await t.platform.services.db.query<{ n: bigint }>(
      'SELECT count(*) AS n FROM pay_order WHERE mch_order_no = $1',
      [mchOrderNo],
    );
    return { status: response.status, envelope: (await response.json()) as Envelope, stored: row!.n };
  }

  const order = (no: string, subject: string, extra = '{}') =>
    `{"mchOrderNo":"${no}","productCode":"sandbox_qr","amount":100,"subject":"${subject}","extra":${extra}}`;

  it.each([
    ['a lone high surrogate in the subject (text column)', (no: string) => order(no, 'tea \\ud800')],
    ['a lone low surrogate in the subject', (no: string) => order(no, '\\udc00 tea')],
    ['two high surrogates in a row', (no: string) => order(no, '\\ud83d\\ud83d')],
    ['a lone surrogate in extra (jsonb)', (no: string) => order(no, 'tea', '{"table":"\\uDBFF"}')],
    ['a lone surrogate in a key of extra', (no: string) => order(no, 'tea', '{"\\ud800":1}')],
  ])('the merchant API refuses %s with 400 INVALID_REQUEST', async (_name, body) => {
    const answer = await createOrder(body);
    expect({ status: answer.status, code: answer.envelope.code }).toEqual({
      status: 400,
      code: 'INVALID_REQUEST',
    });
    expect(answer.envelope.message).toContain('surrogate');
    expect(answer.stored).toBe(0n);
  });

  it('the merchant API accepts a whole pair (an emoji) and a literal backslash-u text', async () => {
    const emoji = await createOrder((no) =>
      order(no, 'tea \\ud83c\\udf75', '{"note":"\\\\ud800 is not an escape"}'),
    );
    expect(emoji.status).toBe(201);
    expect(emoji.stored).toBe(1n);
  });

  it('the console API refuses a lone surrogate with 400 INVALID_REQUEST and changes nothing', async () => {
    const mchNo = t.demo.merchant.mchNo;
    const before = await t.platform.services.merchants.requireMerchant(mchNo);
    const answer = await operator.call<Envelope>('PATCH', `/api/admin/merchants/${mchNo}`, undefined, {});
    expect(answer.status).toBe(200); // an empty patch: the session and CSRF token are good
    const headers = {
      cookie: operator.cookie,
      'x-csrf-token': operator.csrfToken,
      'content-type': 'application/json',
    };
    for (const body of ['{"name":"shop \\ud800"}', '{"contact":"\\udfff"}']) {
      const refused = await fetch(`${t.platform.url}/api/admin/merchants/${mchNo}`, {
        method: 'PATCH',
        headers,
        body,
      });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as Envelope).code).toBe('INVALID_REQUEST');
    }
    const after = await t.platform.services.merchants.requireMerchant(mchNo);
    expect({ name: after.name, contact: after.contact }).toEqual({
      name: before.name,
      contact: before.contact,
    });
  });

  it('the console API does not answer 500 to a surrogate percent-encoded in a query string', async () => {
    const answer = await operator.get<Envelope>('/api/admin/merchants?search=%ED%A0%80');
    expect(answer.status).toBeLessThan(500);
  });
});
