import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Order,
  QingyunApiError,
  QingyunClient,
  type SigningKey,
  type SignType,
  signRequest,
  verifyNotify,
} from '../sdk/index.ts';
import { type ConsoleClient, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

/**
 * The operator API over real HTTP (DESIGN §3, §6, §10): sessions and their refusals, configuring a
 * merchant from nothing to a paid order, RSA signing both ways, the operator's order views, and the
 * merchant API's tenant isolation.
 */

// ---------- what the API answers ----------

interface Refusal {
  code: string;
  message: string;
  requestId: string;
}

interface HttpAnswer<T> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

interface MerchantView {
  mchNo: string;
  name: string;
  state: 'enabled' | 'disabled';
}

interface MerchantList {
  total: number;
  items: MerchantView[];
}

interface AppView {
  appId: string;
  mchNo: string;
  notifySignType: SignType;
  hasMerchantPublicKey: boolean;
}

interface MerchantDetail extends MerchantView {
  apps: AppView[];
  products: { productCode: string; ratePpm: number; enabled: boolean }[];
}

interface CreatedApp {
  app: AppView;
  secret: string;
}

interface ChannelAccountView {
  id: string;
  name: string;
  channelCode: string;
  rates: { productCode: string; costRatePpm: number }[];
}

interface BindingView {
  channelAccountId: string;
  costRatePpm: number | null;
  weight: number;
  priority: number;
  minAmount: number | null;
  maxAmount: number | null;
  windowStart: string | null;
  windowEnd: string | null;
  enabled: boolean;
}

interface OperatorOrder extends Order {
  mchNo: string;
  merchantRatePpm: number;
  channelRatePpm: number | null;
  channelAccountId: string | null;
  channelCost: number;
  platformProfit: number;
  notifyState: string;
}

interface OrderList {
  total: number;
  items: OperatorOrder[];
}

interface OrderDetail extends OperatorOrder {
  events: { kind: string; alert: boolean }[];
  notifies: {
    eventType: string;
    state: string;
    attempts: number;
    history: { attempt: number; httpStatus: number | null; responseBody: string | null }[];
  }[];
}

interface MerchantCredentials {
  mchNo: string;
  appId: string;
  key: SigningKey;
}

// ---------- talking to the platform ----------

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RequestOptions {
  cookie?: string;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as is, with `contentType`. */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Lets the tests register sandbox merchants over HTTP, as the sandbox's operator would. */
const SANDBOX_REGISTRATION_TOKEN = 'operator-api-test-sandbox-registration-token';

async function callApi<T>(
  baseUrl: string,
  method: Method,
  path: string,
  options: RequestOptions = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie) headers.cookie = options.cookie;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.raw !== undefined) {
    body = options.raw;
  }
  if (options.contentType) headers['content-type'] = options.contentType;
  const response = await fetch(new URL(path, baseUrl), { method, headers, body });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('application/json') ?? false;
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: (isJson ? JSON.parse(text) : text) as T,
  };
}

function expectRefusal(answer: HttpAnswer<unknown>, status: number, code: string): void {
  expect({ status: answer.status, body: answer.body }).toMatchObject({ status, body: { code } });
  const refusal = answer.body as Refusal;
  // The envelope, and `details` where a code has them (the rate rule names the part it refused).
  expect(
    Object.keys(refusal)
      .filter((k) => k !== 'details')
      .sort(),
  ).toEqual(['code', 'message', 'requestId']);
  expect(refusal.message).not.toBe('');
  expect(refusal.requestId).toMatch(/^req_/);
}

function clientFor(t: TestPlatform, merchant: MerchantCredentials): QingyunClient {
  return new QingyunClient({ baseUrl: t.platform.url, ...merchant });
}

/** A signed merchant API POST, answering with its HTTP status (the SDK hides 201 vs 200). */
async function signedPost<T>(t: TestPlatform, merchant: MerchantCredentials, path: string, payload: unknown) {
  const body = JSON.stringify(payload);
  const headers = signRequest({ method: 'POST', pathWithQuery: path, body, ...merchant });
  return callApi<T>(t.platform.url, 'POST', path, { raw: body, contentType: 'application/json', headers });
}

/** What a merchant API call came to: `accepted`, or the refusal as `STATUS CODE`. */
async function outcomeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'accepted';
  } catch (error) {
    if (!(error instanceof QingyunApiError)) throw error;
    return `${error.status} ${error.code}`;
  }
}

/** Proves a client's key signs valid requests: an unknown order is "not found", not a signature error. */
async function signatureIsAccepted(client: QingyunClient): Promise<boolean> {
  return (await outcomeOf(client.getOrderByMchOrderNo('NO-SUCH-ORDER'))) === '404 NOT_FOUND';
}

function newRsaKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** DESIGN §3: fee = roundHalfUp(amount × ppm / 1 000 000), computed here independently of src/money. */
function feeAtRate(amount: number, ratePpm: number): number {
  return Number((BigInt(amount) * BigInt(ratePpm) * 2n + 1_000_000n) / 2_000_000n);
}

let sequence = 0;
const uniqueNo = (prefix: string) => `${prefix}-${Date.now()}-${++sequence}`;

describe.each(testDatabases)('operator API on $kind', (database) => {
  let t: TestPlatform;
  let operator: ConsoleClient;
  const receiver = new NotifyReceiver();

  beforeAll(async () => {
    t = await startTestPlatform(database, { sandboxRegistrationToken: SANDBOX_REGISTRATION_TOKEN });
    await receiver.start();
    operator = await operatorConsole(t);
  });
  afterAll(async () => {
    await t.stop();
    await receiver.stop();
  });

  const demoMerchant = (): MerchantCredentials => ({
    mchNo: t.demo.merchant.mchNo,
    appId: t.demo.merchant.appId,
    key: { type: 'HMAC-SHA256', secret: t.demo.merchant.appSecret },
  });

  async function createMerchantWithApp(name: string, app: Record<string, unknown> = {}) {
    const merchant = await operator.ok<MerchantView>('POST', '/api/admin/merchants', { name });
    const created = await operator.ok<CreatedApp>('POST', `/api/admin/merchants/${merchant.mchNo}/apps`, {
      name: `${name} app`,
      ...app,
    });
    return { merchant, created };
  }

  describe('sessions', () => {
    it('refuses every operator route without a session with 401 UNAUTHENTICATED, changing nothing', async () => {
      const [firstAccount] = t.channelAccountIds;
      const { mchNo, appId } = t.demo.merchant;
      const routes: [Method, string, unknown?][] = [
        ['GET', '/api/auth/me'],
        ['GET', '/api/admin/merchants'],
        ['POST', '/api/admin/merchants', { name: 'Intruder Ltd' }],
        ['PATCH', `/api/admin/merchants/${mchNo}`, { state: 'disabled' }],
        ['POST', `/api/admin/apps/${appId}/rotate-secret`],
        ['GET', `/api/admin/apps/${appId}/platform-public-key`],
        ['GET', '/api/admin/orders'],
        ['GET', '/api/admin/channel-accounts'],
        ['PUT', `/api/admin/products/sandbox_qr/bindings/${firstAccount}`, { weight: 1 }],
      ];
      for (const cookie of [undefined, 'qy_session=forged-session-token']) {
        for (const [method, path, json] of routes) {
          const answer = await callApi<Refusal>(t.platform.url, method, path, { cookie, json });
          expect(`${method} ${path} → ${answer.status} ${answer.body.code}`).toBe(
            `${method} ${path} → 401 UNAUTHENTICATED`,
          );
          expectRefusal(answer, 401, 'UNAUTHENTICATED');
        }
      }

      const intruders = await operator.ok<MerchantList>('GET', '/api/admin/merchants?q=Intruder');
      expect(intruders.total).toBe(0);
      const demo = await operator.ok<MerchantDetail>('GET', `/api/admin/merchants/${mchNo}`);
      expect(demo.state).toBe('enabled');
      expect(await signatureIsAccepted(t.client)).toBe(true);
      const bindings = await operator.ok<BindingView[]>('GET', '/api/admin/products/sandbox_qr/bindings');
      expect(bindings.find((b) => b.channelAccountId === String(firstAccount))?.weight).toBe(70);
    });

    it('answers an unauthenticated request 401 before validating its body or query (no 400 schema hints)', async () => {
      const attempts: [Method, string, unknown?][] = [
        ['POST', '/api/admin/merchants', {}],
        ['POST', '/api/admin/merchants'],
        ['PUT', `/api/admin/products/sandbox_qr/bindings/${t.channelAccountIds[0]}`],
        ['GET', '/api/admin/orders?limit=lots'],
      ];
      const answers: string[] = [];
      for (const [method, path, json] of attempts) {
        const answer = await callApi<Refusal>(t.platform.url, method, path, { json });
        answers.push(`${method} ${path} → ${answer.status} ${answer.body.code}`);
      }
      expect(answers).toEqual(attempts.map(([method, path]) => `${method} ${path} → 401 UNAUTHENTICATED`));
    });

    it('refuses a form-encoded mutation with 415 UNSUPPORTED_MEDIA_TYPE and changes nothing', async () => {
      const { mchNo } = t.demo.merchant;
      const asForm = (method: Method, path: string, raw: string) =>
        callApi<Refusal>(t.platform.url, method, path, {
          cookie: operator.cookie,
          raw,
          contentType: 'application/x-www-form-urlencoded',
        });
      expectRefusal(
        await asForm('PATCH', `/api/admin/merchants/${mchNo}`, 'state=disabled'),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expectRefusal(
        await asForm('POST', '/api/admin/merchants', 'name=Form+Posted'),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );

      expect((await operator.ok<MerchantDetail>('GET', `/api/admin/merchants/${mchNo}`)).state).toBe(
        'enabled',
      );
      expect((await operator.ok<MerchantList>('GET', '/api/admin/merchants?q=Form')).total).toBe(0);
      expect(await signatureIsAccepted(t.client)).toBe(true);
    });

    it('refuses a form-encoded mutation with an empty body (a field-less cross-site form) too: rotate-secret stays put', async () => {
      const { merchant, created } = await createMerchantWithApp('Form Target Co');
      const client = clientFor(t, {
        mchNo: merchant.mchNo,
        appId: created.app.appId,
        key: { type: 'HMAC-SHA256', secret: created.secret },
      });
      const answer = await callApi<unknown>(
        t.platform.url,
        'POST',
        `/api/admin/apps/${created.app.appId}/rotate-secret`,
        { cookie: operator.cookie, raw: '', contentType: 'application/x-www-form-urlencoded' },
      );
      expect({ status: answer.status, secretStillSigns: await signatureIsAccepted(client) }).toEqual({
        status: 415,
        secretStillSigns: true,
      });
    });
  });

  describe('configuring a merchant through the API', () => {
    const product = 'test_h5';
    const channel = 'sandbox_h5';
    let merchant: MerchantView;
    let app: CreatedApp;
    let appSecret: string;
    let accountId: string;
    let sandboxKey: string;

    const merchantCredentials = (): MerchantCredentials => ({
      mchNo: merchant.mchNo,
      appId: app.app.appId,
      key: { type: 'HMAC-SHA256', secret: appSecret },
    });

    const bindingsOfProduct = () =>
      operator.ok<BindingView[]>('GET', `/api/admin/products/${product}/bindings`);
    const accountsNow = () => operator.ok<ChannelAccountView[]>('GET', '/api/admin/channel-accounts');

    async function registerAtSandbox(): Promise<{ mchId: string; key: string }> {
      const answer = await callApi<{ mchId: string; key: string }>(
        t.platform.url,
        'POST',
        '/sandbox/api/merchants',
        { json: {}, headers: { authorization: `Bearer ${SANDBOX_REGISTRATION_TOKEN}` } },
      );
      expect(answer.status).toBe(200);
      return { mchId: answer.body.mchId, key: answer.body.key };
    }

    it('opens a merchant numbered M + 10 digits, finds it, disables and enables it', async () => {
      const created = await operator.send<MerchantView>('POST', '/api/admin/merchants', {
        name: 'Lakeside Tea House 湖畔茶馆',
        shortName: 'Lakeside',
        contact: 'ops@lakeside.test',
      });
      expect(created.status).toBe(201);
      merchant = created.body;
      expect(merchant).toMatchObject({ name: 'Lakeside Tea House 湖畔茶馆', state: 'enabled' });
      expect(merchant.mchNo).toMatch(/^M\d{10}$/);

      const mchNosFound = async (query: string) =>
        (await operator.ok<MerchantList>('GET', `/api/admin/merchants?${query}`)).items.map((m) => m.mchNo);
      expect(await mchNosFound(`q=${merchant.mchNo}`)).toEqual([merchant.mchNo]);
      expect(await mchNosFound(`q=${encodeURIComponent('lakeside tea')}`)).toContain(merchant.mchNo);
      expect(await mchNosFound('state=disabled')).not.toContain(merchant.mchNo);

      const disabled = await operator.ok<MerchantView>('PATCH', `/api/admin/merchants/${merchant.mchNo}`, {
        state: 'disabled',
      });
      expect(disabled.state).toBe('disabled');
      expect(await mchNosFound('state=disabled')).toContain(merchant.mchNo);
      expect(await mchNosFound('state=enabled')).not.toContain(merchant.mchNo);

      await operator.ok('PATCH', `/api/admin/merchants/${merchant.mchNo}`, { state: 'enabled' });
      expect((await operator.ok<MerchantDetail>('GET', `/api/admin/merchants/${merchant.mchNo}`)).state).toBe(
        'enabled',
      );
    });

    it('creates an app whose secret is shown once and never in any later answer', async () => {
      const created = await operator.send<CreatedApp>('POST', `/api/admin/merchants/${merchant.mchNo}/apps`, {
        name: 'Lakeside web shop',
        notifyUrl: receiver.url,
      });
      expect(created.status).toBe(201);
      app = created.body;
      appSecret = app.secret;
      expect(app.app).toMatchObject({ mchNo: merchant.mchNo, notifySignType: 'HMAC-SHA256' });
      expect(appSecret.length).toBeGreaterThanOrEqual(24);

      for (const path of [
        `/api/admin/merchants/${merchant.mchNo}`,
        `/api/admin/merchants/${merchant.mchNo}/apps`,
      ]) {
        const answer = await operator.get<unknown>(path);
        expect(answer.status).toBe(200);
        expect(answer.text).toContain(app.app.appId);
        expect(answer.text).not.toContain(appSecret);
        expect(answer.text).not.toMatch(/secret/i);
        expect(answer.text).not.toMatch(/private/i);
      }
    });

    it('rotates the secret "now": the old one no longer signs, the new one does', async () => {
      const oldClient = clientFor(t, merchantCredentials());
      expect(await signatureIsAccepted(oldClient)).toBe(true);

      const rotated = await operator.ok<{ appId: string; secret: string }>(
        'POST',
        `/api/admin/apps/${app.app.appId}/rotate-secret`,
        { graceSeconds: 0 },
      );
      expect(rotated.appId).toBe(app.app.appId);
      expect(rotated.secret).not.toBe(appSecret);

      expect(await outcomeOf(oldClient.getOrderByMchOrderNo('NO-SUCH-ORDER'))).toBe('401 SIGNATURE_INVALID');
      appSecret = rotated.secret;
      expect(await signatureIsAccepted(clientFor(t, merchantCredentials()))).toBe(true);
    });

    it("downloads the app's platform public key as PEM, and no private key", async () => {
      const answer = await operator.get<string>(`/api/admin/apps/${app.app.appId}/platform-public-key`);
      expect(answer.status).toBe(200);
      expect(answer.text.startsWith('-----BEGIN PUBLIC KEY-----')).toBe(true);
      expect(answer.text).not.toMatch(/PRIVATE/);
      expect(createPublicKey(answer.text).asymmetricKeyType).toBe('rsa');
    });

    it('creates a product and a sandbox channel, and refuses an unknown adapter', async () => {
      const created = await operator.send('POST', '/api/admin/products', {
        code: product,
        name: 'H5 payments',
        minAmount: 100,
        maxAmount: 100_000,
        defaultRatePpm: 5000,
      });
      expect(created).toMatchObject({
        status: 201,
        body: { code: product, currency: 'CNY', minAmount: 100, maxAmount: 100_000, defaultRatePpm: 5000 },
      });
      const again = await operator.send('POST', '/api/admin/products', {
        code: product,
        name: 'again',
        minAmount: 1,
        maxAmount: 2,
        defaultRatePpm: 1,
      });
      expectRefusal(again, 409, 'ALREADY_EXISTS');
      // What exists, so the consoles can say it: 产品编码“…”已存在.
      expect(again.body).toMatchObject({ details: { kind: 'product', name: product } });

      expectRefusal(
        await operator.send('POST', '/api/admin/channels', {
          code: 'mystery',
          name: 'Mystery provider',
          adapterCode: 'no_such_adapter',
        }),
        400,
        'INVALID_REQUEST',
      );
      const sandbox = await operator.send('POST', '/api/admin/channels', {
        code: channel,
        name: 'Sandbox for H5',
        adapterCode: 'sandbox',
      });
      expect(sandbox).toMatchObject({ status: 201, body: { code: channel, adapterCode: 'sandbox' } });
      const channels = await operator.ok<{ code: string }[]>('GET', '/api/admin/channels');
      expect(channels.map((c) => c.code)).toContain(channel);
      expect(channels.map((c) => c.code)).not.toContain('mystery');
    });

    it('creates a channel account with sandbox credentials that are never shown again', async () => {
      const registration = await registerAtSandbox();
      sandboxKey = registration.key;
      const created = await operator.send<{ id: string }>('POST', '/api/admin/channel-accounts', {
        channelCode: channel,
        name: 'H5 sandbox account',
        credentials: registration,
        rates: [{ productCode: product, costRatePpm: 3000 }],
      });
      expect(created.status).toBe(201);
      accountId = created.body.id;

      const listed = await operator.get<ChannelAccountView[]>('/api/admin/channel-accounts');
      expect(listed.text).not.toContain(sandboxKey);
      expect(listed.text).not.toContain('credentials');
      expect(listed.body.find((a) => a.id === accountId)).toMatchObject({
        channelCode: channel,
        rates: [{ productCode: product, costRatePpm: 3000 }],
      });
    });

    it('opens the product to the merchant at 5000 ppm and binds the account', async () => {
      const opened = await operator.ok('PUT', `/api/admin/merchants/${merchant.mchNo}/products/${product}`, {
        ratePpm: 5000,
      });
      expect(opened).toEqual({
        productCode: product,
        ratePpm: 5000,
        fixedFee: 0,
        minimumFee: 0,
        enabled: true,
      });

      await operator.ok('PUT', `/api/admin/products/${product}/bindings/${accountId}`, {
        weight: 40,
        priority: 3,
      });
      expect(await bindingsOfProduct()).toEqual([
        expect.objectContaining({
          channelAccountId: accountId,
          costRatePpm: 3000,
          weight: 40,
          priority: 3,
          minAmount: null,
          maxAmount: null,
          windowStart: null,
          windowEnd: null,
          enabled: true,
        }),
      ]);
    });

    it("takes a signed order for the product from the merchant's app, and none while it is disabled", async () => {
      const client = clientFor(t, merchantCredentials());
      const order = await client.createOrder({
        mchOrderNo: uniqueNo('H5'),
        productCode: product,
        amount: 1_000,
        subject: 'Oolong tea',
      });
      expect(order).toMatchObject({ state: 'paying', productCode: product, amount: 1_000, fee: 5 });
      expect(order.payData?.value).toContain('/sandbox/');

      const detail = await operator.ok<OperatorOrder>('GET', `/api/admin/orders/${order.orderNo}`);
      expect(detail).toMatchObject({
        merchantRatePpm: 5000,
        channelRatePpm: 3000,
        channelAccountId: accountId,
      });

      await operator.ok('PATCH', `/api/admin/merchants/${merchant.mchNo}`, { state: 'disabled' });
      const whileDisabled = client.createOrder({
        mchOrderNo: uniqueNo('H5'),
        productCode: product,
        amount: 1_000,
        subject: 'refused',
      });
      expect(await outcomeOf(whileDisabled)).toBe('403 MERCHANT_DISABLED');
      await operator.ok('PATCH', `/api/admin/merchants/${merchant.mchNo}`, { state: 'enabled' });
      expect(await signatureIsAccepted(client)).toBe(true);
    });

    it("refuses a channel cost above the merchant's rate (RATE_RULE_VIOLATION) and keeps the old cost", async () => {
      const above = await operator.send('PUT', `/api/admin/channel-accounts/${accountId}/rates/${product}`, {
        costRatePpm: 5001,
      });
      expectRefusal(above, 400, 'RATE_RULE_VIOLATION');
      // The parts as numbers, for the consoles to show in %: never "ppm" text.
      expect(above.body).toMatchObject({
        details: { reason: 'cost_above_merchant', component: 'ratePpm', merchant: 5000, channel: 5001 },
      });
      const account = (await accountsNow()).find((a) => a.id === accountId);
      expect(account?.rates).toEqual([
        { productCode: product, costRatePpm: 3000, fixedCost: 0, minimumCost: 0 },
      ]);
      expect((await bindingsOfProduct())[0]?.costRatePpm).toBe(3000);
      // The edge itself is allowed: cost equal to the merchant rate.
      await operator.ok('PUT', `/api/admin/channel-accounts/${accountId}/rates/${product}`, {
        costRatePpm: 5000,
      });
      await operator.ok('PUT', `/api/admin/channel-accounts/${accountId}/rates/${product}`, {
        costRatePpm: 3000,
      });
    });

    it('refuses a merchant rate below a bound channel cost and keeps the old rate', async () => {
      const below = await operator.send('PUT', `/api/admin/merchants/${merchant.mchNo}/products/${product}`, {
        ratePpm: 2999,
      });
      expectRefusal(below, 400, 'RATE_RULE_VIOLATION');
      expect(below.body).toMatchObject({
        details: {
          reason: 'merchant_below_cost',
          component: 'ratePpm',
          productCode: product,
          merchant: 2999,
          channel: 3000,
        },
      });
      const detail = await operator.ok<MerchantDetail>('GET', `/api/admin/merchants/${merchant.mchNo}`);
      expect(detail.products).toEqual([expect.objectContaining({ productCode: product, ratePpm: 5000 })]);
    });

    it('refuses to bind an account that has no cost rate for the product', async () => {
      const created = await operator.ok<{ id: string }>('POST', '/api/admin/channel-accounts', {
        channelCode: channel,
        name: 'H5 account without rates',
        credentials: await registerAtSandbox(),
      });
      const unpriced = await operator.send('PUT', `/api/admin/products/${product}/bindings/${created.id}`, {
        weight: 10,
      });
      expectRefusal(unpriced, 400, 'RATE_RULE_VIOLATION');
      // Its own reason: the cause is a missing cost, not a cost above the merchant's rate.
      expect(unpriced.body).toMatchObject({
        details: { reason: 'no_cost_rate', productCode: product, channelAccountId: created.id },
      });
      expect((await bindingsOfProduct()).map((b) => b.channelAccountId)).toEqual([accountId]);
    });

    it('refuses a new channel account whose cost exceeds a merchant rate, and creates no account', async () => {
      const before = await accountsNow();
      const answer = await operator.send('POST', '/api/admin/channel-accounts', {
        channelCode: channel,
        name: 'H5 account too expensive',
        credentials: await registerAtSandbox(),
        rates: [{ productCode: product, costRatePpm: 6000 }],
      });
      expectRefusal(answer, 400, 'RATE_RULE_VIOLATION');
      const after = await accountsNow();
      expect(after.map((a) => a.name)).not.toContain('H5 account too expensive');
      expect(after).toHaveLength(before.length);
    });

    it('refuses a binding window with only a start, or a maxAmount below minAmount, leaving the binding as it was', async () => {
      const path = `/api/admin/products/${product}/bindings/${accountId}`;
      expectRefusal(
        await operator.send('PUT', path, { weight: 1, windowStart: '09:00' }),
        400,
        'INVALID_REQUEST',
      );
      expectRefusal(
        await operator.send('PUT', path, { weight: 1, minAmount: 5_000, maxAmount: 4_999 }),
        400,
        'INVALID_REQUEST',
      );
      expectRefusal(
        await operator.send('PUT', path, { weight: 1, windowStart: '9am', windowEnd: '17:00' }),
        400,
        'INVALID_REQUEST',
      );
      expect(await bindingsOfProduct()).toEqual([
        expect.objectContaining({
          channelAccountId: accountId,
          weight: 40,
          priority: 3,
          minAmount: null,
          maxAmount: null,
          windowStart: null,
          windowEnd: null,
        }),
      ]);
    });
  });

  describe('RSA signing end to end', () => {
    const merchantKeys = newRsaKeyPair();

    async function createRsaApp(): Promise<{ created: CreatedApp; merchant: MerchantCredentials }> {
      const created = await operator.ok<CreatedApp>(
        'POST',
        `/api/admin/merchants/${t.demo.merchant.mchNo}/apps`,
        {
          name: 'RSA shop',
          notifyUrl: receiver.url,
          merchantPublicKey: merchantKeys.publicKey,
          notifySignType: 'RSA-SHA256',
        },
      );
      const merchant: MerchantCredentials = {
        mchNo: t.demo.merchant.mchNo,
        appId: created.app.appId,
        key: { type: 'RSA-SHA256', privateKey: merchantKeys.privateKey },
      };
      return { created, merchant };
    }

    const orderRequest = () => ({
      mchOrderNo: uniqueNo('RSA'),
      productCode: 'sandbox_qr',
      amount: 1_200,
      subject: 'RSA signed order',
      notifyUrl: receiver.url,
    });

    it("creates an order signed with the merchant's RSA key (201)", async () => {
      const { created, merchant } = await createRsaApp();
      expect(created.app).toMatchObject({ hasMerchantPublicKey: true, notifySignType: 'RSA-SHA256' });
      const answer = await signedPost<Order>(t, merchant, '/api/v1/orders', orderRequest());
      expect(answer.status).toBe(201);
      expect(answer.body.state).toBe('paying');
      const byClient = await clientFor(t, merchant).createOrder(orderRequest());
      expect(byClient.state).toBe('paying');
    });

    it('refuses a request signed with another private key, and RSA to an app without a public key', async () => {
      const { merchant } = await createRsaApp();
      const stranger = clientFor(t, {
        ...merchant,
        key: { type: 'RSA-SHA256', privateKey: newRsaKeyPair().privateKey },
      });
      expect(await outcomeOf(stranger.createOrder(orderRequest()))).toBe('401 SIGNATURE_INVALID');

      const rsaToHmacApp = clientFor(t, { ...demoMerchant(), key: merchant.key });
      expect(await outcomeOf(rsaToHmacApp.createOrder(orderRequest()))).toBe('401 SIGNATURE_INVALID');
      // The merchant's HMAC secret still works for the same app.
      expect(await signatureIsAccepted(t.client)).toBe(true);
    });

    it('accepts RSA once the public key is set on an existing app, and refuses it again once removed', async () => {
      const { merchant, created } = await createMerchantWithApp('Late RSA Adopter');
      expect(created.app.hasMerchantPublicKey).toBe(false);
      const appId = created.app.appId;
      const rsaClient = clientFor(t, {
        mchNo: merchant.mchNo,
        appId,
        key: { type: 'RSA-SHA256', privateKey: merchantKeys.privateKey },
      });
      expect(await outcomeOf(rsaClient.getOrderByMchOrderNo('NO-SUCH-ORDER'))).toBe('401 SIGNATURE_INVALID');

      const patched = await operator.ok<AppView>('PATCH', `/api/admin/apps/${appId}`, {
        merchantPublicKey: merchantKeys.publicKey,
        notifySignType: 'RSA-SHA256',
      });
      expect(patched).toMatchObject({ hasMerchantPublicKey: true, notifySignType: 'RSA-SHA256' });
      expect(await signatureIsAccepted(rsaClient)).toBe(true);

      await operator.ok('PATCH', `/api/admin/apps/${appId}`, { merchantPublicKey: null });
      expect(await outcomeOf(rsaClient.getOrderByMchOrderNo('NO-SUCH-ORDER'))).toBe('401 SIGNATURE_INVALID');
    });

    it('refuses a merchant public key that is not an RSA public key in PEM', async () => {
      const answer = await operator.send('POST', `/api/admin/merchants/${t.demo.merchant.mchNo}/apps`, {
        name: 'Bad key',
        merchantPublicKey: '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n',
      });
      expectRefusal(answer, 400, 'INVALID_REQUEST');
    });

    it("signs the notify with the platform's key: it verifies with the downloaded public key, not HMAC", async () => {
      const { created, merchant } = await createRsaApp();
      const order = await clientFor(t, merchant).createOrder(orderRequest());
      expect(await payOnSandbox(order.payData!.value)).toBe(200);
      const notify = await eventually(() => receiver.forOrder(order.orderNo)[0], 10_000, 'the RSA notify');

      const pem = (await operator.get<string>(`/api/admin/apps/${created.app.appId}/platform-public-key`))
        .text;
      expect(notify.headers['x-qy-sign-type']).toBe('RSA-SHA256');
      expect(verifyNotify(notify.headers, notify.body, { type: 'RSA-SHA256', publicKey: pem })).toEqual({
        ok: true,
      });
      expect(
        verifyNotify(notify.headers, notify.body, { type: 'HMAC-SHA256', secret: created.secret }).ok,
      ).toBe(false);
      const otherAppsKey = (
        await operator.get<string>(`/api/admin/apps/${t.demo.merchant.appId}/platform-public-key`)
      ).text;
      expect(otherAppsKey).not.toBe(pem);
      expect(
        verifyNotify(notify.headers, notify.body, { type: 'RSA-SHA256', publicKey: otherAppsKey }).ok,
      ).toBe(false);
      expect(JSON.parse(notify.body)).toMatchObject({
        event: 'order.paid',
        orderNo: order.orderNo,
        state: 'paid',
      });
    });
  });

  describe('orders in the operator API', () => {
    // 750 × 0.6 % = 4.5 → 5 fen: half up, where half-even or truncation would give 4.
    const amount = 750;
    let paid: Order;
    let open: Order;

    beforeAll(async () => {
      paid = await t.client.createOrder({
        mchOrderNo: uniqueNo('OPS-PAID'),
        productCode: 'sandbox_qr',
        amount,
        subject: 'Paid for the operator',
        notifyUrl: receiver.url,
      });
      open = await t.client.createOrder({
        mchOrderNo: uniqueNo('OPS-OPEN'),
        productCode: 'sandbox_qr',
        amount: 300,
        subject: 'Left open',
      });
      await payOnSandbox(paid.payData!.value);
      await eventually(async () => {
        const detail = await operator.ok<OrderDetail>('GET', `/api/admin/orders/${paid.orderNo}`);
        return detail.notifies[0]?.state === 'succeeded' ? detail : undefined;
      });
      paid = await t.client.getOrder(paid.orderNo);
    });

    const listOrders = (query: string) => operator.ok<OrderList>('GET', `/api/admin/orders?${query}`);

    it('lists orders with their rates, fee split and notify state', async () => {
      const list = await listOrders(`mchNo=${t.demo.merchant.mchNo}`);
      expect(list.total).toBeGreaterThanOrEqual(2);
      const paidRow = list.items.find((o) => o.orderNo === paid.orderNo);
      const openRow = list.items.find((o) => o.orderNo === open.orderNo);
      expect(paidRow).toMatchObject({
        mchNo: t.demo.merchant.mchNo,
        state: 'paid',
        amount,
        merchantRatePpm: 6000,
        notifyState: 'succeeded',
      });
      expect([3800, 4500]).toContain(paidRow?.channelRatePpm);
      expect(typeof paidRow?.channelCost).toBe('number');
      expect(typeof paidRow?.platformProfit).toBe('number');
      expect(openRow).toMatchObject({ state: 'paying', notifyState: 'none' });
    });

    it('finds an order by its platform, merchant and channel numbers', async () => {
      expect(paid.channelOrderNo).toMatch(/^SB/);
      for (const number of [paid.orderNo, paid.mchOrderNo, paid.channelOrderNo!]) {
        const found = await listOrders(`q=${encodeURIComponent(number)}`);
        expect({ number, found: found.items.map((o) => o.orderNo), total: found.total }).toEqual({
          number,
          found: [paid.orderNo],
          total: 1,
        });
      }
      expect((await listOrders('q=NO-SUCH-NUMBER')).total).toBe(0);
    });

    it('filters orders by state', async () => {
      const paidOnes = await listOrders('state=paid&limit=200');
      expect(paidOnes.items.map((o) => o.orderNo)).toContain(paid.orderNo);
      expect(paidOnes.items.map((o) => o.orderNo)).not.toContain(open.orderNo);
      expect(paidOnes.items.every((o) => o.state === 'paid')).toBe(true);
      const paying = await listOrders('state=paying&limit=200');
      expect(paying.items.map((o) => o.orderNo)).toContain(open.orderNo);
      expect(paying.items.map((o) => o.orderNo)).not.toContain(paid.orderNo);
      expectRefusal(await operator.get('/api/admin/orders?state=lost'), 400, 'INVALID_REQUEST');
    });

    it('shows the timeline and the notify attempts in the order detail', async () => {
      const detail = await operator.ok<OrderDetail>('GET', `/api/admin/orders/${paid.orderNo}`);
      const kinds = detail.events.map((e) => e.kind);
      expect(kinds).toEqual(expect.arrayContaining(['created', 'routed', 'channel_accepted', 'paid']));
      expect(kinds.indexOf('created')).toBeLessThan(kinds.indexOf('paid'));
      expect(detail.notifies).toEqual([
        expect.objectContaining({
          eventType: 'order.paid',
          state: 'succeeded',
          attempts: 1,
          history: [expect.objectContaining({ attempt: 1, httpStatus: 200, responseBody: 'success' })],
        }),
      ]);
      expectRefusal(await operator.get('/api/admin/orders/P00000000000000000000'), 404, 'NOT_FOUND');
    });

    it('splits a paid fee exactly: channelCost + platformProfit = fee = roundHalfUp(amount × 6000 / 1e6)', async () => {
      const detail = await operator.ok<OrderDetail>('GET', `/api/admin/orders/${paid.orderNo}`);
      expect(detail.fee).toBe(feeAtRate(amount, 6000));
      expect(detail.fee).toBe(5);
      expect(detail.channelCost).toBe(feeAtRate(amount, detail.channelRatePpm!));
      expect(detail.channelCost + detail.platformProfit).toBe(detail.fee);
      expect(detail.platformProfit).toBeGreaterThanOrEqual(0);
    });
  });

  describe('tenant isolation in the merchant API', () => {
    let orderOfA: Order;
    let clientOfB: QingyunClient;

    beforeAll(async () => {
      orderOfA = await t.client.createOrder({
        mchOrderNo: uniqueNo('TENANT-A'),
        productCode: 'sandbox_qr',
        amount: 900,
        subject: "A's order",
      });
      const { merchant, created } = await createMerchantWithApp('Merchant B Curious Ltd');
      clientOfB = clientFor(t, {
        mchNo: merchant.mchNo,
        appId: created.app.appId,
        key: { type: 'HMAC-SHA256', secret: created.secret },
      });
    });

    it("does not show merchant A's order to merchant B by platform number", async () => {
      expect(await outcomeOf(clientOfB.getOrder(orderOfA.orderNo))).toBe('404 NOT_FOUND');
      expect((await t.client.getOrder(orderOfA.orderNo)).orderNo).toBe(orderOfA.orderNo);
    });

    it("does not find merchant A's order by A's mchOrderNo for merchant B", async () => {
      expect(await outcomeOf(clientOfB.getOrderByMchOrderNo(orderOfA.mchOrderNo))).toBe('404 NOT_FOUND');
      expect((await t.client.getOrderByMchOrderNo(orderOfA.mchOrderNo)).orderNo).toBe(orderOfA.orderNo);
    });

    it("does not let merchant B close merchant A's order, which stays open", async () => {
      expect(await outcomeOf(clientOfB.closeOrder(orderOfA.orderNo))).toBe('404 NOT_FOUND');
      expect(await t.client.getOrder(orderOfA.orderNo)).toMatchObject({ state: 'paying', closedAt: null });
      const detail = await operator.ok<OrderDetail>('GET', `/api/admin/orders/${orderOfA.orderNo}`);
      expect(detail.events.map((e) => e.kind)).not.toContain('closed');
    });

    it('gives B the same answer for A’s order as for an order that does not exist', async () => {
      const forA = await outcomeOf(clientOfB.getOrder(orderOfA.orderNo));
      const forNothing = await outcomeOf(clientOfB.getOrder('P99999999999999999999'));
      expect(forA).toBe(forNothing);
    });
  });
});
