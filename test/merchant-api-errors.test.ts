import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CreateOrderRequest,
  HEADER,
  QingyunClient,
  type SignedRequestInput,
  type SigningKey,
  signRequest,
} from '../sdk/index.ts';
import { ledgerReport } from '../src/app/platform.ts';
import { sandboxSign } from '../src/channels/sandbox/protocol.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * DESIGN §6: bad input gets one `{ code, message, requestId }` envelope with a matching HTTP status,
 * and changes nothing. Requests are built by hand (fetch + signRequest) so each can break one thing.
 */

interface ErrorEnvelope {
  code: string;
  message: string;
  requestId: string;
}

interface RawRequest {
  method?: 'GET' | 'POST';
  path?: string;
  /** The raw body; an object is sent as JSON. */
  body?: string | object;
  /** Changes to what is signed: another key, app, merchant, timestamp or nonce. */
  signing?: Partial<SignedRequestInput>;
  /** Sent instead of the signed path (the signature then covers another path). */
  sendPath?: string;
  /** Sent instead of the signed body. */
  sendBody?: string;
  /** Header changes after signing; undefined removes the header. */
  headers?: Record<string, string | undefined>;
}

interface RowCounts {
  orders: bigint;
  ledgerTxns: bigint;
  notifyTasks: bigint;
}

let orderSeq = 0;
/** A create-order request that the demo merchant may send. */
const orderBody = (changes: Partial<CreateOrderRequest> = {}): CreateOrderRequest => ({
  mchOrderNo: `ERR-${Date.now()}-${++orderSeq}`,
  productCode: 'sandbox_qr',
  amount: 1_000,
  subject: '测试商品 Test item',
  ...changes,
});

describe.each(testDatabases)('merchant API refusals on $kind', (database) => {
  let t: TestPlatform;
  let demoKey: SigningKey;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    demoKey = { type: 'HMAC-SHA256', secret: t.demo.merchant.appSecret };
  });
  afterAll(async () => {
    await t.stop();
  });

  async function send(request: RawRequest): Promise<{ status: number; text: string }> {
    const method = request.method ?? 'POST';
    const path = request.path ?? '/api/v1/orders';
    const body =
      request.body === undefined
        ? ''
        : typeof request.body === 'string'
          ? request.body
          : JSON.stringify(request.body);
    const signed = signRequest({
      method,
      pathWithQuery: path,
      body,
      mchNo: t.demo.merchant.mchNo,
      appId: t.demo.merchant.appId,
      key: demoKey,
      ...request.signing,
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...signed, ...request.headers })) {
      if (value !== undefined) headers[name] = value;
    }
    const sentBody = request.sendBody ?? body;
    if (sentBody && !headers['content-type']) headers['content-type'] = 'application/json';
    const response = await fetch(`${t.platform.url}${request.sendPath ?? path}`, {
      method,
      headers,
      body: sentBody || undefined,
    });
    return { status: response.status, text: await response.text() };
  }

  async function rowCounts(): Promise<RowCounts> {
    const [row] = await t.platform.services.db.query<RowCounts>(
      `SELECT (SELECT count(*) FROM pay_order) AS "orders",
              (SELECT count(*) FROM ledger_txn) AS "ledgerTxns",
              (SELECT count(*) FROM notify_task) AS "notifyTasks"`,
    );
    return row!;
  }

  /** Sends the request and checks the refusal: status, code, a message, a request id, and no change. */
  async function expectRefused(request: RawRequest, status: number, code: string): Promise<ErrorEnvelope> {
    const before = await rowCounts();
    const answer = await send(request);
    const envelope = JSON.parse(answer.text) as ErrorEnvelope;
    expect({ status: answer.status, code: envelope.code }).toEqual({ status, code });
    expect(typeof envelope.message).toBe('string');
    expect(envelope.message.trim()).not.toBe('');
    expect(envelope.requestId).toMatch(/^req_[0-9a-f]{32}$/);
    expect(await rowCounts()).toEqual(before);
    return envelope;
  }

  /** A second merchant, open for sandbox_qr, with one app; for refusals that need another tenant. */
  async function otherMerchant(
    name: string,
    app: { ipAllowlist?: string[]; merchantPublicKey?: string } = {},
  ) {
    const services = t.platform.services;
    const merchant = await services.merchants.createMerchant({ name });
    await services.catalog.setMerchantRate(merchant.id, 'sandbox_qr', 6000);
    const created = await services.merchants.createApp(merchant.mch_no, { name: `${name} app`, ...app });
    return {
      mchNo: merchant.mch_no,
      appId: created.app.appId,
      key: { type: 'HMAC-SHA256', secret: created.secret } satisfies SigningKey,
    };
  }

  /** Signing input for a request as another merchant's app. */
  const as = (m: { mchNo: string; appId: string; key: SigningKey }): Partial<SignedRequestInput> => ({
    mchNo: m.mchNo,
    appId: m.appId,
    key: m.key,
  });

  const randomOrderPath = () => `/api/v1/orders/P${randomBytes(10).toString('hex').slice(0, 20)}`;

  describe('the raw request helper is sound', () => {
    it('accepts a correctly signed raw order and the counts see it', async () => {
      const before = await rowCounts();
      const answer = await send({ body: orderBody() });
      expect(answer.status).toBe(201);
      expect(JSON.parse(answer.text)).toMatchObject({ state: 'paying', amount: 1_000 });
      expect(await rowCounts()).toEqual({ ...before, orders: before.orders + 1n });
    });
  });

  describe('authentication', () => {
    it('refuses a signature made with a wrong secret', async () => {
      await expectRefused(
        { body: orderBody(), signing: { key: { type: 'HMAC-SHA256', secret: 'not-the-app-secret' } } },
        401,
        'SIGNATURE_INVALID',
      );
    });

    it('refuses an order whose amount was changed after signing', async () => {
      const signed = orderBody({ amount: 1 });
      await expectRefused(
        { body: signed, sendBody: JSON.stringify({ ...signed, amount: 4_000_000 }) },
        401,
        'SIGNATURE_INVALID',
      );
    });

    it('refuses a lookup whose query was changed after signing', async () => {
      await expectRefused(
        {
          method: 'GET',
          path: '/api/v1/orders?mchOrderNo=SIGNED-1',
          sendPath: '/api/v1/orders?mchOrderNo=OTHER-1',
        },
        401,
        'SIGNATURE_INVALID',
      );
    });

    it('refuses an unsupported sign type', async () => {
      await expectRefused(
        { body: orderBody(), headers: { [HEADER.signType]: 'MD5' } },
        401,
        'SIGNATURE_INVALID',
      );
    });

    it('refuses an RSA signature from an app that has no merchant public key', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      await expectRefused(
        { body: orderBody(), signing: { key: { type: 'RSA-SHA256', privateKey } } },
        401,
        'SIGNATURE_INVALID',
      );
    });

    it('accepts RSA for an app with the merchant public key, and refuses a stranger key', async () => {
      const merchantKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const rsaMerchant = await otherMerchant('RSA 商户', {
        merchantPublicKey: merchantKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      });
      const signing = (privateKey: SigningKey) => ({ ...as(rsaMerchant), key: privateKey });
      // Authenticated: the order simply does not exist.
      await expectRefused(
        {
          method: 'GET',
          path: randomOrderPath(),
          signing: signing({ type: 'RSA-SHA256', privateKey: merchantKeys.privateKey }),
        },
        404,
        'NOT_FOUND',
      );
      await expectRefused(
        { body: orderBody(), signing: signing({ type: 'RSA-SHA256', privateKey: stranger.privateKey }) },
        401,
        'SIGNATURE_INVALID',
      );
    });

    it.each(Object.values(HEADER))('refuses a request without the %s header', async (name) => {
      await expectRefused({ body: orderBody(), headers: { [name]: undefined } }, 401, 'SIGNATURE_MISSING');
    });

    it('refuses a request with no signature headers at all', async () => {
      const before = await rowCounts();
      const response = await fetch(`${t.platform.url}/api/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(orderBody()),
      });
      const envelope = (await response.json()) as ErrorEnvelope;
      expect({ status: response.status, code: envelope.code }).toEqual({
        status: 401,
        code: 'SIGNATURE_MISSING',
      });
      expect(envelope.message).not.toBe('');
      expect(await rowCounts()).toEqual(before);
    });

    // Whole seconds: the server compares with its fractional clock, so round away from now to stay 301 s out.
    it.each([
      ['301 s old', () => Math.floor(Date.now() / 1000) - 301],
      ['301 s in the future', () => Math.ceil(Date.now() / 1000) + 301],
      ['in milliseconds', () => Date.now()],
    ])('refuses a timestamp %s', async (_name, timestamp) => {
      await expectRefused(
        { body: orderBody(), signing: { timestamp: timestamp() } },
        401,
        'TIMESTAMP_EXPIRED',
      );
    });

    it('accepts a timestamp 290 s old (inside the window)', async () => {
      await expectRefused(
        {
          method: 'GET',
          path: randomOrderPath(),
          signing: { timestamp: Math.floor(Date.now() / 1000) - 290 },
        },
        404,
        'NOT_FOUND',
      );
    });

    it('refuses a nonce that is not 8–64 letters, digits, _ or -', async () => {
      await expectRefused({ body: orderBody(), signing: { nonce: 'short' } }, 400, 'INVALID_REQUEST');
    });

    it('refuses a reused nonce even with another body', async () => {
      const nonce = `reuse_${randomBytes(8).toString('hex')}`;
      const first = await send({ body: orderBody(), signing: { nonce } });
      expect(first.status).toBe(201);
      await expectRefused({ body: orderBody(), signing: { nonce } }, 401, 'NONCE_REUSED');
    });

    it('lets exactly one of five concurrent requests sharing a nonce through', async () => {
      const nonce = `race_${randomBytes(8).toString('hex')}`;
      const before = await rowCounts();
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => send({ body: orderBody(), signing: { nonce } })),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([201, 401, 401, 401, 401]);
      const refusals = answers.filter((a) => a.status === 401);
      expect(refusals.map((a) => (JSON.parse(a.text) as ErrorEnvelope).code)).toEqual(
        Array(4).fill('NONCE_REUSED'),
      );
      expect(await rowCounts()).toEqual({ ...before, orders: before.orders + 1n });
    });

    it('refuses an unknown app like a bad signature', async () => {
      await expectRefused(
        { body: orderBody(), signing: { appId: 'APPDOESNOTEXIST00' } },
        401,
        'SIGNATURE_INVALID',
      );
    });

    it("refuses another merchant's app presented with this merchant's number like a bad signature", async () => {
      const other = await otherMerchant('另一商户 Other');
      await expectRefused(
        { body: orderBody(), signing: { ...as(other), mchNo: t.demo.merchant.mchNo } },
        401,
        'SIGNATURE_INVALID',
      );
    });

    it('refuses a disabled merchant, and accepts it again once re-enabled', async () => {
      const merchants = t.platform.services.merchants;
      const paused = await otherMerchant('停用商户 Paused');
      await merchants.updateMerchant(paused.mchNo, { state: 'disabled' });
      try {
        await expectRefused({ body: orderBody(), signing: as(paused) }, 403, 'MERCHANT_DISABLED');
      } finally {
        await merchants.updateMerchant(paused.mchNo, { state: 'enabled' });
      }
      // App keys may be cached for 2 s: poll until the merchant is let in again.
      await eventually(
        async () =>
          (await send({ method: 'GET', path: randomOrderPath(), signing: as(paused) })).status === 404
            ? true
            : undefined,
        5_000,
        'the re-enabled merchant to be let in',
      );
    });

    it('refuses a disabled app like a bad signature', async () => {
      const other = await otherMerchant('应用停用 App off');
      await t.platform.services.merchants.updateApp(other.appId, { state: 'disabled' });
      await expectRefused({ body: orderBody(), signing: as(other) }, 401, 'SIGNATURE_INVALID');
    });

    it('refuses a caller outside the app IP allowlist, and admits one inside', async () => {
      const outside = await otherMerchant('白名单外 Outside', { ipAllowlist: ['203.0.113.7', '10.0.0.0/8'] });
      await expectRefused({ body: orderBody(), signing: as(outside) }, 403, 'IP_NOT_ALLOWED');
      const inside = await otherMerchant('白名单内 Inside', { ipAllowlist: ['203.0.113.7', '127.0.0.0/8'] });
      await expectRefused({ method: 'GET', path: randomOrderPath(), signing: as(inside) }, 404, 'NOT_FOUND');
    });
  });

  describe('order creation input', () => {
    it.each([
      ['zero', '0', 400, 'INVALID_REQUEST'],
      ['negative', '-1', 400, 'INVALID_REQUEST'],
      ['a fraction of a fen', '1.5', 400, 'INVALID_REQUEST'],
      ['a string', '"100"', 400, 'INVALID_REQUEST'],
      ['null', 'null', 400, 'INVALID_REQUEST'],
      ['above the product maximum', '5000001', 400, 'AMOUNT_OUT_OF_RANGE'],
      ['the largest safe integer', '9007199254740991', 400, 'AMOUNT_OUT_OF_RANGE'],
      ['2^53, beyond safe integers', '9007199254740992', 400, 'INVALID_REQUEST'],
      ['overflowing to Infinity', '1e400', 400, 'INVALID_REQUEST'],
    ])('refuses an amount that is %s', async (_name, amountJson, status, code) => {
      const body = JSON.stringify(orderBody()).replace('"amount":1000', `"amount":${amountJson}`);
      expect(body).toContain(`"amount":${amountJson},`);
      await expectRefused({ body }, status, code);
    });

    it('refuses an order without an amount', async () => {
      const { amount: _amount, ...withoutAmount } = orderBody();
      await expectRefused({ body: withoutAmount }, 400, 'INVALID_REQUEST');
    });

    it('accepts the product maximum exactly (the boundary is inclusive)', async () => {
      const before = await rowCounts();
      const answer = await send({ body: orderBody({ amount: 5_000_000 }) });
      expect(answer.status).toBe(201);
      expect(await rowCounts()).toEqual({ ...before, orders: before.orders + 1n });
    });

    it('refuses an unknown product', async () => {
      await expectRefused({ body: orderBody({ productCode: 'no_such_product' }) }, 404, 'PRODUCT_NOT_FOUND');
    });

    it('refuses a product that is not open for the merchant', async () => {
      await t.platform.services.catalog.createProduct({
        code: 'closed_h5',
        name: '未开通 H5',
        currency: 'CNY',
        minAmount: 1n,
        maxAmount: 1_000_000n,
        defaultRatePpm: 6000,
      });
      await expectRefused({ body: orderBody({ productCode: 'closed_h5' }) }, 403, 'PRODUCT_NOT_AVAILABLE');
    });

    it('refuses a USD order for a CNY product', async () => {
      await expectRefused({ body: orderBody({ currency: 'USD' }) }, 400, 'CURRENCY_MISMATCH');
    });

    it('refuses an unknown field', async () => {
      await expectRefused({ body: { ...orderBody(), discount: 100 } }, 400, 'INVALID_REQUEST');
    });

    it('refuses a body that is not valid JSON', async () => {
      await expectRefused({ body: '{"mchOrderNo":"BROKEN-1","amount":' }, 400, 'INVALID_REQUEST');
    });

    it('refuses an order with an empty body', async () => {
      await expectRefused(
        { body: '', headers: { 'content-type': 'application/json' } },
        400,
        'INVALID_REQUEST',
      );
    });

    it('refuses a body larger than 64 KB', async () => {
      const body = JSON.stringify(orderBody({ body: 'x'.repeat(70 * 1024) }));
      expect(Buffer.byteLength(body)).toBeGreaterThan(64 * 1024);
      await expectRefused({ body }, 413, 'BODY_TOO_LARGE');
    });

    // A hostile `extra` nested 10 000 deep once overflowed the stack (500); depth and size are now bounded.
    it('refuses an extra nested 10 000 levels deep as bad input', async () => {
      const depth = 10_000;
      const body = JSON.stringify(orderBody()).replace(
        /}$/,
        `,"extra":{"tags":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
      );
      expect(Buffer.byteLength(body)).toBeLessThan(64 * 1024);
      await expectRefused({ body }, 400, 'INVALID_REQUEST');
    });

    it.each([
      ['nested 9 levels', { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } }],
      ['over 4 KB', { note: 'x'.repeat(4_100) }],
    ])('refuses an extra %s', async (_name, extra) => {
      await expectRefused({ body: JSON.stringify({ ...orderBody(), extra }) }, 400, 'INVALID_REQUEST');
    });

    it.each([['javascript:alert(1)'], ['file:///etc/passwd']])(
      'refuses a notifyUrl %s',
      async (notifyUrl) => {
        await expectRefused({ body: JSON.stringify({ ...orderBody(), notifyUrl }) }, 400, 'INVALID_REQUEST');
      },
    );

    it.each([
      ['in the subject', (body: string) => body.replace('"subject":"', '"subject":"a\\u0000')],
      ['deep in extra', (body: string) => body.replace(/}$/, ',"extra":{"a":{"b":"x\\u0000"}}}')],
    ])('refuses a NUL character %s (PostgreSQL cannot store it) as bad input', async (_where, poison) => {
      await expectRefused({ body: poison(JSON.stringify(orderBody())) }, 400, 'INVALID_REQUEST');
    });

    it('refuses a body that is not JSON with 415', async () => {
      await expectRefused(
        { body: 'amount=100', headers: { 'content-type': 'text/plain' } },
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
    });
  });

  describe('order lookup', () => {
    it('answers NOT_FOUND for an order number that does not exist', async () => {
      await expectRefused({ method: 'GET', path: randomOrderPath() }, 404, 'NOT_FOUND');
    });

    it("answers NOT_FOUND for another merchant's order, by order number and by merchant order number", async () => {
      const other = await otherMerchant('邻居商户 Neighbour');
      const neighbour = new QingyunClient({ baseUrl: t.platform.url, ...other });
      const theirs = await neighbour.createOrder(orderBody({ mchOrderNo: 'NEIGHBOUR-1' }));
      expect(theirs.state).toBe('paying');
      const envelope = await expectRefused(
        { method: 'GET', path: `/api/v1/orders/${theirs.orderNo}` },
        404,
        'NOT_FOUND',
      );
      expect(envelope.message).not.toContain('forbidden');
      await expectRefused({ method: 'GET', path: '/api/v1/orders?mchOrderNo=NEIGHBOUR-1' }, 404, 'NOT_FOUND');
      await expectRefused(
        { method: 'POST', path: `/api/v1/orders/${theirs.orderNo}/close`, body: {} },
        404,
        'NOT_FOUND',
      );
      expect((await neighbour.getOrder(theirs.orderNo)).state).toBe('paying');
    });
  });

  describe('channel notify refusals (sandbox protocol)', () => {
    interface Account {
      id: bigint;
      mchId: string;
      key: string;
    }
    let order: { id: bigint; created_at: Date; orderNo: string; channelOrderNo: string };
    let own: Account;
    let other: Account;

    async function account(id: bigint): Promise<Account> {
      const credentials = (await t.platform.services.catalog.channelAccount(id))!.credentials;
      return { id, mchId: String(credentials.mchId), key: String(credentials.key) };
    }

    /** A form body as the sandbox would post it for `order`, signed with `key` (the account's by default). */
    function notifyForm(
      from: Account,
      changes: Record<string, string> = {},
      signWith: string = from.key,
    ): string {
      const params: Record<string, string> = {
        mchId: from.mchId,
        outTradeNo: order.orderNo,
        tradeNo: order.channelOrderNo,
        amount: '2468',
        currency: 'CNY',
        status: 'SUCCESS',
        paidAt: new Date().toISOString(),
        nonce: randomBytes(8).toString('hex'),
        ...changes,
      };
      params.sign = sandboxSign(params, signWith);
      return new URLSearchParams(params).toString();
    }

    async function postNotify(accountId: bigint | string, form: string) {
      const response = await fetch(`${t.platform.url}/api/channel-notify/${accountId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      return { status: response.status, text: await response.text() };
    }

    async function keptNotify(rawBody: string) {
      return t.platform.services.db.query<{
        outcome: string;
        error_code: string | null;
        order_id: bigint | null;
      }>('SELECT outcome, error_code, order_id FROM channel_notify WHERE raw_body = $1', [rawBody]);
    }

    async function orderState(): Promise<string> {
      return (await t.platform.services.orders.requireByOrderNo(order.orderNo)).state;
    }

    /** Posts a notify that must be refused with the sandbox's FAIL ack, keeping it and changing nothing. */
    async function expectNotifyRefused(to: Account, form: string, errorCode: string) {
      const before = await rowCounts();
      expect(await postNotify(to.id, form)).toEqual({ status: 400, text: 'FAIL' });
      expect(await orderState()).toBe('paying');
      expect(await rowCounts()).toEqual(before);
      const kept = await keptNotify(form);
      expect(kept).toHaveLength(1);
      expect(kept[0]).toMatchObject({ outcome: 'refused', error_code: errorCode });
      return kept[0]!;
    }

    beforeAll(async () => {
      const created = await t.client.createOrder(
        orderBody({
          mchOrderNo: 'NOTIFY-1',
          amount: 2_468,
          // Nobody listens there: the merchant notify is only queued, which the counts check.
          notifyUrl: 'http://127.0.0.1:9/qy-notify',
        }),
      );
      const row = await t.platform.services.orders.requireByOrderNo(created.orderNo);
      expect(row.state).toBe('paying');
      order = {
        id: row.id,
        created_at: row.created_at,
        orderNo: row.order_no,
        channelOrderNo: row.channel_order_no!,
      };
      const [a, b] = t.channelAccountIds as [bigint, bigint];
      own = await account(row.channel_account_id!);
      other = await account(row.channel_account_id === a ? b : a);
    });

    it('refuses a notify signed with a wrong key and keeps its raw body', async () => {
      await expectNotifyRefused(own, notifyForm(own, {}, 'not-the-account-key'), 'NOTIFY_SIGNATURE_INVALID');
    });

    it('refuses a notify whose amount was changed after signing', async () => {
      const tampered = notifyForm(own).replace('amount=2468', 'amount=1');
      expect(tampered).toContain('amount=1&');
      await expectNotifyRefused(own, tampered, 'NOTIFY_SIGNATURE_INVALID');
    });

    it('refuses a correctly signed notify with a wrong amount, with an alert on the timeline', async () => {
      const kept = await expectNotifyRefused(
        own,
        notifyForm(own, { amount: '2469' }),
        'NOTIFY_AMOUNT_MISMATCH',
      );
      expect(kept.order_id).toBe(order.id);
      const events = await t.platform.services.orders.eventsOf(order);
      const alert = events.find((e) => e.kind === 'notify_refused');
      expect(alert).toMatchObject({
        alert: true,
        detail: { reason: 'NOTIFY_AMOUNT_MISMATCH', amount: '2469' },
      });
    });

    it('refuses a correctly signed notify in another currency', async () => {
      await expectNotifyRefused(own, notifyForm(own, { currency: 'USD' }), 'NOTIFY_CURRENCY_MISMATCH');
    });

    it('refuses a notify signed by the other channel account for an order it does not carry', async () => {
      const kept = await expectNotifyRefused(other, notifyForm(other), 'NOTIFY_ACCOUNT_MISMATCH');
      expect(kept.order_id).toBe(order.id);
    });

    it("refuses a notify from this order's account posted to the other account's URL", async () => {
      await expectNotifyRefused(other, notifyForm(own), 'NOTIFY_WRONG_ACCOUNT');
    });

    it('refuses a notify for an order we do not have', async () => {
      await expectNotifyRefused(
        own,
        notifyForm(own, { outTradeNo: 'P99999999999999999999' }),
        'NOTIFY_ORDER_NOT_FOUND',
      );
    });

    it('answers 404 for an unknown channel account', async () => {
      const before = await rowCounts();
      const answer = await postNotify('999999', notifyForm(own));
      expect(answer.status).toBe(404);
      const envelope = JSON.parse(answer.text) as ErrorEnvelope;
      expect(envelope.code).toBe('NOT_FOUND');
      expect(envelope.message).not.toBe('');
      expect(await orderState()).toBe('paying');
      expect(await rowCounts()).toEqual(before);
    });

    it('applies a correct notify once: paid, one payment transaction, a duplicate changes nothing', async () => {
      const before = await rowCounts();
      const form = notifyForm(own);
      expect(await postNotify(own.id, form)).toEqual({ status: 200, text: 'SUCCESS' });
      expect(await orderState()).toBe('paid');
      const payments = () =>
        t.platform.services.db.query<{ n: bigint }>(
          `SELECT count(*) AS n FROM ledger_txn WHERE kind = 'payment' AND reference = $1`,
          [order.orderNo],
        );
      expect(await payments()).toEqual([{ n: 1n }]);
      const after = await rowCounts();
      expect(after).toEqual({
        ...before,
        ledgerTxns: before.ledgerTxns + 1n,
        notifyTasks: before.notifyTasks + 1n,
      });
      expect(await keptNotify(form)).toMatchObject([{ outcome: 'applied', error_code: null }]);

      const again = notifyForm(own);
      expect(await postNotify(own.id, again)).toEqual({ status: 200, text: 'SUCCESS' });
      expect(await payments()).toEqual([{ n: 1n }]);
      expect(await rowCounts()).toEqual(after);
      expect(await keptNotify(again)).toMatchObject([{ outcome: 'duplicate' }]);

      const report = await ledgerReport(t.platform.services);
      expect(report).toMatchObject({ ok: true, problems: [] });
      expect(report.paidOrders).toBe(report.paymentTransactions);
      expect(report.paidOrders).toBe('1');
    });
  });

  it('leaves a consistent ledger after every refusal', async () => {
    const report = await ledgerReport(t.platform.services);
    expect(report).toMatchObject({ ok: true, problems: [], paidOrders: '1', paymentTransactions: '1' });
  });
});
