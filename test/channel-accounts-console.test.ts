import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxAdapter } from '../src/channels/sandbox/adapter.ts';
import { registerSandboxMerchant } from '../src/channels/sandbox/server.ts';
import { DbSandboxStore } from '../src/channels/sandbox/store.ts';
import { PAY_WAYS, type PayWay } from '../src/channels/types.ts';
import { type ConsoleClient, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * The operator's side of channels over HTTP: what adapters declare, products' pay ways, a channel
 * account's credentials (write-only secrets, blank keeps, refusals naming the field), the connection
 * test and notify URLs, and bindings kept to adapters that serve the product's way.
 */

interface Refusal {
  code: string;
  details?: Record<string, unknown>;
}

interface AccountView {
  id: string;
  name: string;
  adapterCode: string;
  hasCredentials: boolean;
  publicCredentials: Record<string, string>;
  storedSecrets: string[];
  notifyUrl: string;
  refundNotifyUrl: string;
}

for (const database of testDatabases) {
  describe(`channel accounts in the console (${database.kind})`, () => {
    let t: TestPlatform;
    let operator: ConsoleClient;
    let sandbox: { mchId: string; key: string };
    let accountId = '';

    const accounts = () => operator.ok<AccountView[]>('GET', '/api/admin/channel-accounts');
    const accountView = async (id: string) => (await accounts()).find((a) => a.id === id)!;
    const testConnection = (id: string) =>
      operator.ok<{ ok: boolean; code?: string; message: string }>(
        'POST',
        `/api/admin/channel-accounts/${id}/test-connection`,
      );

    beforeAll(async () => {
      t = await startTestPlatform(database);
      operator = await operatorConsole(t);
      const { services } = t.platform;
      sandbox = (await registerSandboxMerchant(new DbSandboxStore(services.db, services.secrets)))!;
    });
    afterAll(async () => {
      await t?.stop();
    });

    it('lists each adapter with its pay ways, capabilities and credential fields', async () => {
      const adapters = await operator.ok<
        {
          code: string;
          testChannel: boolean;
          payWays: string[];
          capabilities: Record<string, boolean>;
          credentialFields: { key: string; kind: string; label: { zh: string; en: string } }[];
        }[]
      >('GET', '/api/admin/adapters');
      const sandboxView = adapters.find((a) => a.code === 'sandbox')!;
      expect(sandboxView).toMatchObject({
        testChannel: true,
        payWays: [...PAY_WAYS],
        capabilities: { authCode: true, refunds: true, payouts: true, statements: true },
      });
      expect(sandboxView.credentialFields.map((f) => [f.key, f.kind])).toEqual([
        ['mchId', 'text'],
        ['key', 'secret'],
        ['baseUrl', 'url'],
      ]);
      expect(sandboxView.credentialFields[0]!.label).toEqual({ zh: '沙箱商户号', en: 'Sandbox merchant ID' });
    });

    it('creates and edits a product with its pay way, and refuses a way that does not exist', async () => {
      const created = await operator.ok<{ payWay: string }>('POST', '/api/admin/products', {
        code: 'way_jsapi',
        name: 'WeChat in-app',
        minAmount: 1,
        maxAmount: 100_000,
        defaultRatePpm: 6000,
        payWay: 'WX_JSAPI',
      });
      expect(created.payWay).toBe('WX_JSAPI');
      const plain = await operator.ok<{ payWay: string }>('POST', '/api/admin/products', {
        code: 'way_default',
        name: 'Default way',
        minAmount: 1,
        maxAmount: 100_000,
        defaultRatePpm: 6000,
      });
      expect(plain.payWay).toBe('ALI_QR');
      const edited = await operator.ok<{ payWay: string }>('PATCH', '/api/admin/products/way_default', {
        payWay: 'ALI_BAR',
      });
      expect(edited.payWay).toBe('ALI_BAR');
      const listed = await operator.ok<{ code: string; payWay: string }[]>('GET', '/api/admin/products');
      expect(listed.find((p) => p.code === 'way_default')?.payWay).toBe('ALI_BAR');
      expect(listed.find((p) => p.code === 'sandbox_qr')?.payWay).toBe('ALI_QR');
      const wrong = await operator.send<Refusal>('PATCH', '/api/admin/products/way_default', {
        payWay: 'CASH',
      });
      expect({ status: wrong.status, code: wrong.body.code, field: wrong.body.details?.field }).toEqual({
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'payWay',
      });
    });

    it('keeps secrets write-only: never answered, shown as stored, kept when an edit leaves them blank', async () => {
      const created = await operator.ok<{ id: string }>('POST', '/api/admin/channel-accounts', {
        channelCode: 'sandbox',
        name: 'Console account',
        // The form sends every declared field; a blank optional one is absent.
        credentials: { mchId: sandbox.mchId, key: sandbox.key, baseUrl: '' },
      });
      accountId = created.id;
      const list = await operator.get<AccountView[]>('/api/admin/channel-accounts');
      expect(list.text).not.toContain(sandbox.key);
      const view = list.body.find((a) => a.id === accountId)!;
      expect(view).toMatchObject({
        hasCredentials: true,
        publicCredentials: { mchId: sandbox.mchId },
        storedSecrets: ['key'],
      });
      expect(view.notifyUrl).toBe(`${t.platform.url}/api/channel-notify/${accountId}`);
      expect(view.refundNotifyUrl).toBe(`${t.platform.url}/api/channel-notify/${accountId}/refund`);

      // An edit from the form: the secret left blank keeps the stored one.
      await operator.ok('PATCH', `/api/admin/channel-accounts/${accountId}`, {
        name: 'Console account (edited)',
        credentials: { mchId: sandbox.mchId, key: '', baseUrl: '' },
      });
      const stored = (await t.platform.services.catalog.channelAccount(BigInt(accountId)))!.credentials;
      expect(stored).toEqual({ mchId: sandbox.mchId, key: sandbox.key });
      expect(await testConnection(accountId)).toMatchObject({ ok: true });
      // The audit row names the fields given, never a value.
      const audit = await t.platform.services.db.query<{ after: unknown }>(
        `SELECT after FROM audit_log WHERE action = 'channel_account.update' AND target_id = $1`,
        [accountId],
      );
      expect(JSON.stringify(audit.map((a) => a.after))).not.toContain(sandbox.key);
    });

    it("refuses credentials the adapter's schema refuses, naming the field", async () => {
      const refusal = async (method: string, path: string, body: unknown) => {
        const answer = await operator.send<Refusal>(method, path, body);
        return { status: answer.status, code: answer.body.code, field: answer.body.details?.field };
      };
      const patch = `/api/admin/channel-accounts/${accountId}`;
      // A blank required non-secret field is removed, and then missing.
      expect(await refusal('PATCH', patch, { credentials: { mchId: '', key: '' } })).toEqual({
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'credentials.mchId',
      });
      expect(await refusal('PATCH', patch, { credentials: { baseUrl: 'not an address' } })).toEqual({
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'credentials.baseUrl',
      });
      expect(await refusal('PATCH', patch, { credentials: { certificate: 'x' } })).toEqual({
        status: 400,
        code: 'INVALID_REQUEST',
        field: 'credentials.certificate',
      });
      expect(
        await refusal('POST', '/api/admin/channel-accounts', {
          channelCode: 'sandbox',
          name: 'No key',
          credentials: { mchId: sandbox.mchId, key: '' },
        }),
      ).toEqual({ status: 400, code: 'INVALID_REQUEST', field: 'credentials.key' });
      // Nothing refused changed what is stored.
      expect((await accountView(accountId)).publicCredentials).toEqual({ mchId: sandbox.mchId });
    });

    it('tests the connection: the right key passes, a wrong key or address fails with its code', async () => {
      expect(await testConnection(accountId)).toMatchObject({ ok: true });
      await operator.ok('PATCH', `/api/admin/channel-accounts/${accountId}`, {
        credentials: { key: `${sandbox.key}x` },
      });
      const wrongKey = await testConnection(accountId);
      expect(wrongKey.ok).toBe(false);
      expect(['CHANNEL_AUTH_FAILED', 'CHANNEL_BAD_SIGNATURE']).toContain(wrongKey.code);
      await operator.ok('PATCH', `/api/admin/channel-accounts/${accountId}`, {
        credentials: { key: sandbox.key, baseUrl: 'http://127.0.0.1:9/sandbox' },
      });
      expect(await testConnection(accountId)).toMatchObject({ ok: false, code: 'CHANNEL_UNREACHABLE' });
      await operator.ok('PATCH', `/api/admin/channel-accounts/${accountId}`, {
        credentials: { baseUrl: '' },
      });
      expect(await testConnection(accountId)).toMatchObject({ ok: true });
      const missing = await operator.send<Refusal>(
        'POST',
        '/api/admin/channel-accounts/999999/test-connection',
      );
      expect({ status: missing.status, code: missing.body.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    });

    it("binds and routes a product only to accounts whose adapter serves the product's pay way", async () => {
      const { catalog } = t.platform.services;
      await catalog.createProduct({
        code: 'way_native',
        name: 'WeChat Native',
        currency: 'CNY',
        minAmount: 1n,
        maxAmount: 100_000n,
        defaultRatePpm: 6000,
        payWay: 'WX_NATIVE',
      });
      await catalog.setChannelAccountRate(BigInt(accountId), {
        productCode: 'way_native',
        costRatePpm: 2000,
      });
      const bind = () =>
        operator.send<Refusal>('PUT', `/api/admin/products/way_native/bindings/${accountId}`, {
          weight: 100,
        });
      expect((await bind()).status).toBe(200);
      const product = (await catalog.productByCode('way_native'))!;
      expect((await catalog.routableBindings(product.id)).map((b) => b.channelAccountId.toString())).toEqual([
        accountId,
      ]);
      // The same account's adapter, now serving Alipay's QR only (an adapter of one wallet).
      const serves = sandboxAdapter.payWays;
      (sandboxAdapter as { payWays: readonly PayWay[] }).payWays = ['ALI_QR'];
      try {
        catalog.clearCaches();
        expect(await catalog.routableBindings(product.id)).toEqual([]);
        expect(await catalog.hasChannel(product.id)).toBe(false);
        const refused = await bind();
        expect({ status: refused.status, code: refused.body.code, details: refused.body.details }).toEqual({
          status: 400,
          code: 'INVALID_REQUEST',
          details: { reason: 'pay_way_unsupported', payWay: 'WX_NATIVE', adapter: 'sandbox' },
        });
      } finally {
        (sandboxAdapter as { payWays: readonly PayWay[] }).payWays = serves;
        catalog.clearCaches();
      }
    });

    it("sends the test page's openid and pay code as the order's extra, and refuses a way's order without them", async () => {
      const { catalog, merchants } = t.platform.services;
      const merchant = await merchants.requireMerchant(t.demo.merchant.mchNo);
      await catalog.createProduct({
        code: 'way_bar',
        name: 'Alipay pay code',
        currency: 'CNY',
        minAmount: 1n,
        maxAmount: 100_000n,
        defaultRatePpm: 6000,
        payWay: 'ALI_BAR',
      });
      for (const code of ['way_jsapi', 'way_bar']) {
        await catalog.setChannelAccountRate(BigInt(accountId), { productCode: code, costRatePpm: 2000 });
        await catalog.setMerchantRate(merchant.id, code, 6000);
        await catalog.upsertBinding(code, BigInt(accountId), {
          weight: 100,
          priority: 0,
          minAmount: null,
          maxAmount: null,
          dailyLimit: null,
          windowStart: null,
          windowEnd: null,
          enabled: true,
        });
      }
      const order = (productCode: string, extra: Record<string, string>) =>
        operator.send<Refusal & { order?: { state: string } }>('POST', '/api/admin/test-orders', {
          mchNo: t.demo.merchant.mchNo,
          productCode,
          amount: 1,
          test: true,
          ...extra,
        });
      const refusalOf = async (answer: ReturnType<typeof order>) => {
        const { status, body } = await answer;
        return { status, code: body.code, details: body.details };
      };
      expect(await refusalOf(order('way_jsapi', {}))).toEqual({
        status: 400,
        code: 'INVALID_REQUEST',
        details: { field: 'extra.openid', reason: 'required' },
      });
      expect(await refusalOf(order('way_bar', {}))).toEqual({
        status: 400,
        code: 'INVALID_REQUEST',
        details: { field: 'extra.authCode', reason: 'required' },
      });
      const jsapi = await order('way_jsapi', { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' });
      expect(jsapi.status).toBe(201);
      const bar = await order('way_bar', { authCode: '281234567890123456' });
      expect(bar.status).toBe(201);
      expect(bar.body.order?.state).toBe('paid');
    });
  });
}
