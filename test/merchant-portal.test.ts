import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingyunApiError, QingyunClient } from '../sdk/index.ts';
import { ledgerReport } from '../src/app/platform.ts';
import { ConsoleClient, merchantConsole, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import {
  countSandboxAccountsAsReal,
  eventually,
  payOnSandbox,
  startTestPlatform,
  type TestPlatform,
} from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

// Until src/app/http.ts registers this console plugins, the tests add those still missing.
/**
 * The merchant portal (MP-1, MP-2, MP-3, MP-5) and the operator's merchant review and users, over
 * real HTTP: a manager sees all of its merchant's orders, a cashier only its own; a cashier cannot
 * reach the manager's screens; one merchant can neither see nor touch another's orders, apps or
 * cashiers (NOT_FOUND, never FORBIDDEN: no hint that they exist).
 */

interface Refusal {
  code: string;
  message: string;
}

interface PortalOrder {
  orderNo: string;
  mchOrderNo: string;
  appId: string;
  state: string;
  amount: number;
  fee: number;
  subject: string;
  productName: string;
  source: string;
  test: boolean;
  createdBy: string | null;
  payData: { type: string; value: string } | null;
  cashierUrl: string;
}

interface OrderList {
  total: number;
  items: PortalOrder[];
}

interface Collected {
  order: PortalOrder;
  payData: { type: string; value: string } | null;
  cashierUrl: string;
}

interface MerchantUser {
  id: string;
  username: string;
  displayName: string;
  merchantRole: 'manager' | 'cashier';
  enabled: boolean;
  mustChangePassword: boolean;
}

interface AppView {
  appId: string;
  name: string;
  state: string;
  notifyUrl: string;
  ipAllowlist: string[];
  hasMerchantPublicKey: boolean;
  platformPublicKey: string;
}

interface MerchantView {
  mchNo: string;
  name: string;
  state: 'pending' | 'enabled' | 'disabled' | 'rejected';
  reviewRemark: string;
}

interface Dashboard {
  today: { paidAmount: number; paidCount: number; orderCount: number; income: number };
  trend: { date: string; paidAmount: number; paidCount: number }[];
  hourly: { hour: number; paidAmount: number; paidCount: number }[];
}

const expectRefusal = (answer: { status: number; body: unknown }, status: number, code: string) =>
  expect({ status: answer.status, code: (answer.body as Refusal).code }).toEqual({ status, code });

describe.each(testDatabases)('merchant portal on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;
  const receiver = new NotifyReceiver();
  let merchantA: bigint;
  let managerA: ConsoleClient;
  let cashier1: ConsoleClient;
  let cashier2: ConsoleClient;
  let cashier1Name: string;
  /** Merchant B, opened by an operator with review and a manager login. */
  let mchNoB: string;
  let merchantB: bigint;
  let managerB: ConsoleClient;
  let appB: string;

  const services = () => t.platform.services;
  const collect = (client: ConsoleClient, amount: number, subject?: string) =>
    client.ok<Collected>('POST', '/api/merchant/collect', { productCode: 'sandbox_qr', amount, subject });
  const stateOf = async (orderNo: string) => (await services().orders.requireByOrderNo(orderNo)).state;
  const paid = (orderNo: string) =>
    eventually(
      async () => ((await stateOf(orderNo)) === 'paid' ? true : undefined),
      10_000,
      `${orderNo} paid`,
    );

  beforeAll(async () => {
    t = await startTestPlatform(database);
    // Kept: these tests tell a portal collection (a real order) from an operator's test order on the
    // same channel, and the sandbox is the only channel there is, so its accounts stand in for a real
    // channel's; the demo's own default is covered in test/security/test-accounts.test.ts.
    await countSandboxAccountsAsReal(t);
    await receiver.start();
    admin = await operatorConsole(t);
    merchantA = (await services().merchants.requireMerchant(t.demo.merchant.mchNo)).id;
    managerA = await merchantConsole(t, { merchantId: merchantA, merchantRole: 'manager' });
    // The manager opens a cashier; its first login must change the password.
    cashier1Name = uniqueName('cashier');
    const created = await managerA.ok<MerchantUser>('POST', '/api/merchant/cashiers', {
      username: cashier1Name,
      password: 'cashier-initial-1',
      displayName: '收银员一',
    });
    expect(created).toMatchObject({
      username: cashier1Name,
      merchantRole: 'cashier',
      mustChangePassword: true,
    });
    cashier1 = new ConsoleClient(t.platform.url);
    expect(
      await cashier1.login('merchant', cashier1Name, 'cashier-initial-1', {
        newPassword: 'cashier-changed-1',
      }),
    ).toBe('active');
    cashier2 = await merchantConsole(t, { merchantId: merchantA, merchantRole: 'cashier' });
  });
  afterAll(async () => {
    await t?.stop();
    await receiver.stop();
  });

  describe('operator: merchant review and users', () => {
    it('opens a merchant pending review with its manager, who can log in only once approved', async () => {
      const managerName = uniqueName('b_manager');
      const answer = await admin.send<MerchantView>('POST', '/api/admin/merchants', {
        name: '乙商户 Merchant B',
        review: true,
        manager: { username: managerName, password: 'b-initial-pass1', email: 'b@example.com' },
      });
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({ name: '乙商户 Merchant B', state: 'pending', reviewRemark: '' });
      mchNoB = answer.body.mchNo;
      merchantB = (await services().merchants.requireMerchant(mchNoB)).id;

      const early = new ConsoleClient(t.platform.url);
      const refused = await early.send('POST', '/api/auth/login', {
        area: 'merchant',
        username: managerName,
        password: 'b-initial-pass1',
      });
      expectRefusal(refused, 403, 'MERCHANT_DISABLED');
      // A pending merchant is decided by review, not by editing its state.
      expectRefusal(
        await admin.send('PATCH', `/api/admin/merchants/${mchNoB}`, { state: 'enabled' }),
        400,
        'INVALID_REQUEST',
      );

      const approved = await admin.ok<MerchantView>('POST', `/api/admin/merchants/${mchNoB}/review`, {
        approve: true,
        remark: '资料齐全',
      });
      expect(approved).toMatchObject({ state: 'enabled', reviewRemark: '资料齐全' });
      expectRefusal(
        await admin.send('POST', `/api/admin/merchants/${mchNoB}/review`, { approve: false }),
        400,
        'INVALID_REQUEST',
      );
      expect((await services().merchants.requireMerchant(mchNoB)).state).toBe('enabled');

      await admin.ok('PUT', `/api/admin/merchants/${mchNoB}/products/sandbox_qr`, { ratePpm: 6000 });
      appB = (
        await admin.ok<{ app: AppView }>('POST', `/api/admin/merchants/${mchNoB}/apps`, {
          name: 'B app',
          notifyUrl: receiver.url,
        })
      ).app.appId;
      managerB = new ConsoleClient(t.platform.url);
      expect(
        await managerB.login('merchant', managerName, 'b-initial-pass1', { newPassword: 'b-changed-pass2' }),
      ).toBe('active');
    });

    it('rejects a merchant for good, adds users to a merchant and lists them in its detail', async () => {
      const c = await admin.ok<MerchantView>('POST', '/api/admin/merchants', { name: '丙 C', review: true });
      const rejected = await admin.ok<MerchantView>('POST', `/api/admin/merchants/${c.mchNo}/review`, {
        approve: false,
        remark: '资料不全',
      });
      expect(rejected).toMatchObject({ state: 'rejected', reviewRemark: '资料不全' });
      expectRefusal(
        await admin.send('PATCH', `/api/admin/merchants/${c.mchNo}`, { state: 'enabled' }),
        400,
        'INVALID_REQUEST',
      );
      const pendingList = await admin.ok<{ items: MerchantView[] }>(
        'GET',
        '/api/admin/merchants?state=rejected',
      );
      expect(pendingList.items.map((m) => m.mchNo)).toContain(c.mchNo);

      const cashierName = uniqueName('b_cashier');
      const cashier = await admin.send<MerchantUser>('POST', `/api/admin/merchants/${mchNoB}/users`, {
        username: cashierName,
        password: 'b-cashier-pass3',
        displayName: '乙收银',
        merchantRole: 'cashier',
      });
      expect(cashier.status).toBe(201);
      expect(cashier.body).toMatchObject({
        username: cashierName,
        merchantRole: 'cashier',
        mustChangePassword: true,
      });
      const taken = await admin.send('POST', `/api/admin/merchants/${mchNoB}/users`, {
        username: cashierName,
        password: 'b-cashier-pass3',
        merchantRole: 'cashier',
      });
      expectRefusal(taken, 409, 'ALREADY_EXISTS');

      const detail = await admin.ok<MerchantView & { users: MerchantUser[]; apps: AppView[] }>(
        'GET',
        `/api/admin/merchants/${mchNoB}`,
      );
      // In the order they were opened: the manager with the merchant, then the cashier.
      expect(detail.users.map((u) => [u.username, u.merchantRole])).toEqual([
        [expect.stringMatching(/^b_manager_/), 'manager'],
        [cashierName, 'cashier'],
      ]);
      expect(detail.apps.map((a) => a.appId)).toEqual([appB]);

      // A manager whose username is taken opens no merchant.
      const before = (await admin.ok<{ total: number }>('GET', '/api/admin/merchants')).total;
      const clash = await admin.send('POST', '/api/admin/merchants', {
        name: 'Clash',
        manager: { username: cashierName, password: 'whatever-pass4' },
      });
      expectRefusal(clash, 409, 'ALREADY_EXISTS');
      expect((await admin.ok<{ total: number }>('GET', '/api/admin/merchants')).total).toBe(before);
    });

    it('refuses these changes to a read-only operator', async () => {
      const readOnly = await operatorConsole(t, 'read_only');
      const attempts: [string, string, unknown][] = [
        ['POST', '/api/admin/merchants', { name: 'nope', review: true }],
        ['POST', `/api/admin/merchants/${mchNoB}/review`, { approve: false }],
        [
          'POST',
          `/api/admin/merchants/${mchNoB}/users`,
          { username: 'ro_try', password: 'x-pass-123', merchantRole: 'cashier' },
        ],
        ['PATCH', `/api/admin/merchants/${mchNoB}`, { state: 'disabled' }],
      ];
      const total = (await admin.ok<{ total: number }>('GET', '/api/admin/merchants')).total;
      for (const [method, path, body] of attempts)
        expectRefusal(await readOnly.send(method, path, body), 403, 'FORBIDDEN');
      expect((await admin.ok<{ total: number }>('GET', '/api/admin/merchants')).total).toBe(total);
      expect((await services().merchants.requireMerchant(mchNoB)).state).toBe('enabled');
      expect((await readOnly.get(`/api/admin/merchants/${mchNoB}`)).status).toBe(200);
    });
  });

  it('lists the products open to the merchant', async () => {
    expect(await cashier1.ok('GET', '/api/merchant/products')).toEqual([
      {
        productCode: 'sandbox_qr',
        productName: '沙箱扫码 Sandbox QR',
        ratePpm: 6000,
        fixedFee: 0,
        minimumFee: 0,
        minAmount: 1,
        maxAmount: 5_000_000,
        currency: 'CNY',
        channelBound: true,
      },
    ]);
  });

  it('collects a payment as an order attributed to the cashier, on the merchant app', async () => {
    const answer = await cashier1.send<Collected>('POST', '/api/merchant/collect', {
      productCode: 'sandbox_qr',
      amount: 1_234,
      subject: '奶茶 Milk tea',
    });
    expect(answer.status).toBe(201);
    const { order, payData, cashierUrl } = answer.body;
    expect(order).toMatchObject({
      state: 'paying',
      amount: 1_234,
      fee: 7,
      subject: '奶茶 Milk tea',
      appId: t.demo.merchant.appId,
      productName: '沙箱扫码 Sandbox QR',
      source: 'portal',
      test: false,
      createdBy: cashier1Name,
    });
    expect(order.mchOrderNo).toMatch(/^POS\d{12}[0-9a-f]{8}$/);
    expect(payData?.type).toBe('url');
    expect(cashierUrl).toBe(t.platform.services.orders.cashierUrl(order.orderNo));
    // The platform's side of an order is not the merchant's business.
    for (const hidden of [
      'channelAccountId',
      'channelRatePpm',
      'channelCost',
      'platformProfit',
      'manualCompletion.by',
    ]) {
      expect(order).not.toHaveProperty(hidden);
    }
    const stored = await services().orders.requireByOrderNo(order.orderNo);
    expect(stored).toMatchObject({ source: 'portal', merchant_id: merchantA, amount: 1_234n, test: false });
    expect(stored.created_by_user_id).toBe(BigInt(cashier1.userId));

    expectRefusal(
      await cashier1.send('POST', '/api/merchant/collect', { productCode: 'sandbox_qr', amount: 0 }),
      400,
      'INVALID_REQUEST',
    );
    expectRefusal(
      await cashier1.send('POST', '/api/merchant/collect', { productCode: 'no_such', amount: 100 }),
      404,
      'PRODUCT_NOT_FOUND',
    );
  });

  it('shows the manager every order of its merchant and a cashier only its own', async () => {
    const own = (await collect(cashier1, 2_001)).order.orderNo;
    const other = (await collect(cashier2, 2_002)).order.orderNo;
    const managers = (await collect(managerA, 2_003)).order.orderNo;
    const api = (
      await t.client.createOrder({
        mchOrderNo: `PORTAL-API-${Date.now()}`,
        productCode: 'sandbox_qr',
        amount: 2_004,
        subject: 'api',
      })
    ).orderNo;

    const { rows: all } = await services().orders.list({ merchantId: merchantA, limit: 200 });
    const managerList = await managerA.ok<OrderList>('GET', '/api/merchant/orders?limit=200');
    expect(managerList.total).toBe(all.length);
    expect(managerList.items.map((o) => o.orderNo)).toEqual(all.map((o) => o.order_no));
    expect(managerList.items.map((o) => o.orderNo)).toEqual(
      expect.arrayContaining([own, other, managers, api]),
    );

    const cashierList = await cashier1.ok<OrderList>('GET', '/api/merchant/orders?limit=200');
    const mine = all.filter((o) => o.created_by_user_id === BigInt(cashier1.userId));
    expect(mine.length).toBe(2);
    expect(cashierList.total).toBe(mine.length);
    expect(cashierList.items.map((o) => o.orderNo).sort()).toEqual(mine.map((o) => o.order_no).sort());
    expect(new Set(cashierList.items.map((o) => o.createdBy))).toEqual(new Set([cashier1Name]));
    // Searching for another's order finds nothing; filters narrow within the cashier's own.
    expect((await cashier1.ok<OrderList>('GET', `/api/merchant/orders?q=${other}`)).total).toBe(0);
    expect((await cashier1.ok<OrderList>('GET', `/api/merchant/orders?q=${own}&state=paying`)).total).toBe(1);
    expect((await cashier1.ok<OrderList>('GET', `/api/merchant/orders?q=${own}&state=paid`)).total).toBe(0);
    expect((await managerA.ok<OrderList>('GET', `/api/merchant/orders?q=${other}`)).total).toBe(1);

    // A cashier asking for another cashier's order by number: not found, and nothing changes.
    expectRefusal(await cashier1.get(`/api/merchant/orders/${other}`), 404, 'NOT_FOUND');
    expectRefusal(await cashier1.send('POST', `/api/merchant/orders/${other}/close`), 404, 'NOT_FOUND');
    expectRefusal(await cashier1.send('POST', `/api/merchant/orders/${api}/sync`), 404, 'NOT_FOUND');
    expect(await stateOf(other)).toBe('paying');

    const detail = await cashier1.ok<PortalOrder & { events: { kind: string; detail: object }[] }>(
      'GET',
      `/api/merchant/orders/${own}`,
    );
    expect(detail.events.map((e) => e.kind)).toEqual(['created', 'routed', 'channel_accepted']);
    for (const e of detail.events) expect(e.detail).not.toHaveProperty('channelAccountId');

    const synced = await cashier1.ok<PortalOrder>('POST', `/api/merchant/orders/${own}/sync`);
    expect(synced.state).toBe('paying');
    const closed = await cashier1.ok<PortalOrder>('POST', `/api/merchant/orders/${own}/close`);
    expect(closed.state).toBe('closed');
    expect(await stateOf(own)).toBe('closed');
    // The manager may close a cashier's order.
    expect((await managerA.ok<PortalOrder>('POST', `/api/merchant/orders/${other}/close`)).state).toBe(
      'closed',
    );
  });

  it("refuses a cashier the manager's screens (403) and changes nothing", async () => {
    const cashierId = cashier2.userId;
    const attempts: [string, string, unknown?][] = [
      ['GET', '/api/merchant/apps'],
      ['PATCH', `/api/merchant/apps/${t.demo.merchant.appId}`, { notifyUrl: 'https://evil.example/notify' }],
      ['POST', `/api/merchant/apps/${t.demo.merchant.appId}/rotate-secret`],
      ['GET', `/api/merchant/apps/${t.demo.merchant.appId}/platform-public-key`],
      ['GET', '/api/merchant/cashiers'],
      ['POST', '/api/merchant/cashiers', { username: uniqueName('sneaky'), password: 'sneaky-pass-1' }],
      ['PATCH', `/api/merchant/cashiers/${cashierId}`, { enabled: false }],
      ['POST', `/api/merchant/cashiers/${cashierId}/reset-password`],
    ];
    for (const [method, path, body] of attempts) {
      const answer = await cashier1.send<Refusal>(method, path, body);
      expect({ method, path, status: answer.status, code: answer.body.code }).toEqual({
        method,
        path,
        status: 403,
        code: 'FORBIDDEN',
      });
    }
    const app = (await services().merchants.appKeys(t.demo.merchant.appId))!;
    expect(app.notifyUrl).not.toContain('evil');
    expect(app.secret).toBe(t.demo.merchant.appSecret);
    expect((await services().consoleUsers.requireUser(BigInt(cashierId))).username).toMatch(/^cashier_/);
    expect((await cashier2.get('/api/merchant/orders')).status).toBe(200);
  });

  it("keeps one merchant out of another's orders, apps and cashiers (404) and changes nothing", async () => {
    const orderA = (await collect(cashier2, 3_003)).order.orderNo;
    const secretBefore = (await services().merchants.appKeys(t.demo.merchant.appId))!.secret;
    const attempts: [string, string, unknown?][] = [
      ['GET', `/api/merchant/orders/${orderA}`],
      ['POST', `/api/merchant/orders/${orderA}/close`],
      ['POST', `/api/merchant/orders/${orderA}/sync`],
      ['PATCH', `/api/merchant/apps/${t.demo.merchant.appId}`, { notifyUrl: 'https://b.example/steal' }],
      ['POST', `/api/merchant/apps/${t.demo.merchant.appId}/rotate-secret`],
      ['GET', `/api/merchant/apps/${t.demo.merchant.appId}/platform-public-key`],
      ['PATCH', `/api/merchant/cashiers/${cashier2.userId}`, { enabled: false, displayName: 'hijacked' }],
      ['POST', `/api/merchant/cashiers/${cashier2.userId}/reset-password`],
      // A's manager is no cashier of anyone's.
      ['PATCH', `/api/merchant/cashiers/${managerA.userId}`, { enabled: false }],
    ];
    for (const [method, path, body] of attempts) {
      const answer = await managerB.send<Refusal>(method, path, body);
      expect({ method, path, status: answer.status, code: answer.body.code }).toEqual({
        method,
        path,
        status: 404,
        code: 'NOT_FOUND',
      });
    }
    expect(await stateOf(orderA)).toBe('paying');
    const app = (await services().merchants.appKeys(t.demo.merchant.appId))!;
    expect(app.secret).toBe(secretBefore);
    expect(app.notifyUrl).not.toContain('b.example');
    const cashier = (await services().consoleUsers.userRow(BigInt(cashier2.userId)))!;
    expect(cashier).toMatchObject({ enabled: true, must_change_password: false });
    expect(cashier.display_name).not.toBe('hijacked');
    expect((await cashier2.get('/api/merchant/orders')).status).toBe(200);
    // B's lists hold none of A's.
    expect((await managerB.ok<OrderList>('GET', `/api/merchant/orders?q=${orderA}`)).total).toBe(0);
    expect((await managerB.ok<AppView[]>('GET', '/api/merchant/apps')).map((a) => a.appId)).toEqual([appB]);
    expect(
      (await managerB.ok<{ items: MerchantUser[] }>('GET', '/api/merchant/cashiers')).items.map((u) => u.id),
    ).not.toContain(cashier2.userId);
    // The demo app still signs with its secret.
    expect((await t.client.getOrder(orderA)).state).toBe('paying');
  });

  it("lets the manager set an app's notify URL and allowlist, rotate its secret and fetch its public key", async () => {
    const { app } = await services().merchants.createApp(t.demo.merchant.mchNo, { name: 'second app' });
    const apps = await managerA.ok<AppView[]>('GET', '/api/merchant/apps');
    expect(apps.map((a) => a.appId)).toEqual([t.demo.merchant.appId, app.appId]);
    expect(apps[1]).toMatchObject({ name: 'second app', state: 'enabled', hasMerchantPublicKey: false });
    expect(apps[1]!.platformPublicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);

    const patched = await managerA.ok<AppView>('PATCH', `/api/merchant/apps/${app.appId}`, {
      notifyUrl: 'https://shop.example/notify',
      ipAllowlist: ['203.0.113.0/24'],
    });
    expect(patched).toMatchObject({
      notifyUrl: 'https://shop.example/notify',
      ipAllowlist: ['203.0.113.0/24'],
    });
    const keys = (await services().merchants.appKeys(app.appId))!;
    expect(keys).toMatchObject({ notifyUrl: 'https://shop.example/notify', ipAllowlist: ['203.0.113.0/24'] });
    // Only those two: the state and keys are the operator's.
    expectRefusal(
      await managerA.send('PATCH', `/api/merchant/apps/${app.appId}`, { state: 'disabled' }),
      400,
      'INVALID_REQUEST',
    );
    await managerA.ok('PATCH', `/api/merchant/apps/${app.appId}`, { ipAllowlist: [] });

    const oldSecret = keys.secret;
    // "Now": the old secret stops at once (the grace period has its own tests).
    const { secret } = await managerA.ok<{ secret: string }>(
      'POST',
      `/api/merchant/apps/${app.appId}/rotate-secret`,
      { graceSeconds: 0 },
    );
    expect(secret).not.toBe(oldSecret);
    const order = (await collect(managerA, 4_004)).order.orderNo;
    const client = (s: string) =>
      new QingyunClient({
        baseUrl: t.platform.url,
        mchNo: t.demo.merchant.mchNo,
        appId: app.appId,
        key: { type: 'HMAC-SHA256', secret: s },
      });
    expect((await client(secret).getOrder(order)).orderNo).toBe(order);
    await expect(client(oldSecret).getOrder(order)).rejects.toSatisfy(
      (error) => error instanceof QingyunApiError && error.code === 'SIGNATURE_INVALID',
    );

    const pem = await managerA.get<string>(`/api/merchant/apps/${app.appId}/platform-public-key`);
    expect(pem.status).toBe(200);
    expect(pem.text).toBe(apps[1]!.platformPublicKey);
  });

  it('lets the manager manage its cashiers: list, rename, disable (ending sessions), reset the password', async () => {
    const name = uniqueName('cashier3');
    const created = await managerA.ok<MerchantUser>('POST', '/api/merchant/cashiers', {
      username: name,
      password: 'cashier3-initial',
    });
    const row = (await services().consoleUsers.userRow(BigInt(created.id)))!;
    expect(row).toMatchObject({
      merchant_id: merchantA,
      merchant_role: 'cashier',
      must_change_password: true,
    });
    expect(row.created_by).toBe(BigInt(managerA.userId));
    const cashier3 = new ConsoleClient(t.platform.url);
    await cashier3.login('merchant', name, 'cashier3-initial', { newPassword: 'cashier3-changed' });

    const list = await managerA.ok<{ items: MerchantUser[]; total: number }>('GET', '/api/merchant/cashiers');
    expect(list.items.every((u) => u.merchantRole === 'cashier')).toBe(true);
    expect(list.items.map((u) => u.id)).toEqual(
      expect.arrayContaining([cashier1.userId, cashier2.userId, created.id]),
    );
    expect(list.items.map((u) => u.id)).not.toContain(managerA.userId);
    expect(list.total).toBe(list.items.length);

    const renamed = await managerA.ok<MerchantUser>('PATCH', `/api/merchant/cashiers/${created.id}`, {
      displayName: '夜班收银',
    });
    expect(renamed).toMatchObject({ displayName: '夜班收银', enabled: true });
    const disabled = await managerA.ok<MerchantUser>('PATCH', `/api/merchant/cashiers/${created.id}`, {
      enabled: false,
    });
    expect(disabled.enabled).toBe(false);
    expectRefusal(await cashier3.get('/api/merchant/orders'), 401, 'UNAUTHENTICATED');
    await managerA.ok('PATCH', `/api/merchant/cashiers/${created.id}`, { enabled: true });

    const again = new ConsoleClient(t.platform.url);
    await again.login('merchant', name, 'cashier3-changed');
    const { temporaryPassword } = await managerA.ok<{ temporaryPassword: string }>(
      'POST',
      `/api/merchant/cashiers/${created.id}/reset-password`,
    );
    expect(temporaryPassword.length).toBeGreaterThanOrEqual(12);
    expectRefusal(await again.get('/api/merchant/orders'), 401, 'UNAUTHENTICATED');
    const fresh = new ConsoleClient(t.platform.url);
    expect(await fresh.login('merchant', name, temporaryPassword)).toBe('password_change');
  });

  it("shows today's figures, the 90-day trend and today by hour; a cashier its own; test orders left out", async () => {
    const cashierB = await merchantConsole(t, { merchantId: merchantB, merchantRole: 'cashier' });
    const first = await collect(managerB, 10_000);
    await collect(managerB, 5_000);
    const cashiers = await collect(cashierB, 3_000);
    await payOnSandbox(first.payData!.value);
    await payOnSandbox(cashiers.payData!.value);
    await paid(first.order.orderNo);
    await paid(cashiers.order.orderNo);
    // A paid test order of merchant B counts nowhere.
    const test = await admin.ok<{ payData: { value: string }; order: { orderNo: string } }>(
      'POST',
      '/api/admin/test-orders',
      { mchNo: mchNoB, productCode: 'sandbox_qr', amount: 50_000, test: true },
    );
    await payOnSandbox(test.payData.value);
    await paid(test.order.orderNo);
    // The manager sees the test order, tagged, without the operator who placed it.
    const listed = await managerB.ok<OrderList>('GET', `/api/merchant/orders?q=${test.order.orderNo}`);
    expect(listed.items[0]).toMatchObject({
      test: true,
      source: 'console_test',
      createdBy: null,
      state: 'paid',
    });

    const board = await managerB.ok<Dashboard>('GET', '/api/merchant/dashboard');
    expect(board.today).toEqual({
      orderCount: 3,
      paidCount: 2,
      paidAmount: 13_000,
      // The unpaid 50.00 is still within its payment time: not in the success rate yet.
      pendingCount: 1,
      successRate: 1,
      income: 13_000 - 60 - 18,
      refundedAmount: 0,
    });
    expect(board.trend).toHaveLength(90);
    expect(board.trend.at(-1)).toMatchObject({
      paidAmount: 13_000,
      paidCount: 2,
      refundedAmount: 0,
      withdrawnAmount: 0,
    });
    expect(board.trend.slice(0, -1).every((d) => d.paidAmount === 0 && d.paidCount === 0)).toBe(true);
    const dates = board.trend.map((d) => d.date);
    expect([...dates].sort()).toEqual(dates);
    expect(board.hourly).toHaveLength(24);
    expect(board.hourly.map((h) => h.hour)).toEqual([...Array(24).keys()]);
    expect(board.hourly.reduce((s, h) => s + h.paidAmount, 0)).toBe(13_000);
    expect(board.hourly.reduce((s, h) => s + h.paidCount, 0)).toBe(2);

    const own = await cashierB.ok<Dashboard>('GET', '/api/merchant/dashboard');
    expect(own.today).toEqual({
      orderCount: 1,
      paidCount: 1,
      paidAmount: 3_000,
      pendingCount: 0,
      successRate: 1,
      income: 3_000 - 18,
      refundedAmount: 0,
    });
    expect(own.hourly.reduce((s, h) => s + h.paidAmount, 0)).toBe(3_000);

    // "Include test orders": the manager's figures count the test order too; the cashier's stay its own.
    const withTest = await managerB.ok<Dashboard & { includesTest: boolean }>(
      'GET',
      '/api/merchant/dashboard?includeTest=1',
    );
    expect(withTest.includesTest).toBe(true);
    expect(withTest.today).toMatchObject({ orderCount: 4, paidCount: 3, paidAmount: 63_000 });
    expect(withTest.hourly.reduce((s, h) => s + h.paidAmount, 0)).toBe(63_000);
    const ownWithTest = await cashierB.ok<Dashboard>('GET', '/api/merchant/dashboard?includeTest=1');
    expect(ownWithTest.today).toEqual(own.today);
  });

  it('collects by scanning the customer’s pay code: paid at once, or waiting and cancelled', async () => {
    const scan = (client: ConsoleClient, authCode: string, amount = 1_500) =>
      client.send<Collected>('POST', '/api/merchant/collect', {
        productCode: 'sandbox_qr',
        amount,
        authCode,
      });
    const paid = await scan(cashier1, '134567890123456700');
    expect(paid.status).toBe(201);
    expect(paid.body.order).toMatchObject({ state: 'paid', source: 'portal', createdBy: cashier1Name });
    expect(paid.body.payData).toEqual({ type: 'none', value: '' });

    const waiting = (await scan(cashier1, '134567890123456777')).body.order;
    expect(waiting.state).toBe('paying');
    // Another cashier cannot see, so cannot cancel, this cashier's collection.
    expectRefusal(
      await cashier2.send('POST', `/api/merchant/orders/${waiting.orderNo}/cancel`, {}),
      404,
      'NOT_FOUND',
    );
    const cancelled = await cashier1.ok<PortalOrder>(
      'POST',
      `/api/merchant/orders/${waiting.orderNo}/cancel`,
      {},
    );
    expect(cancelled.state).toBe('closed');
    // A paid one is refunded, not cancelled; an order shown as a QR is closed, not cancelled.
    expectRefusal(
      await cashier1.send('POST', `/api/merchant/orders/${paid.body.order.orderNo}/cancel`, {}),
      409,
      'ORDER_STATE_INVALID',
    );
    const qr = (await collect(cashier1, 1_600)).order.orderNo;
    expectRefusal(
      await cashier1.send('POST', `/api/merchant/orders/${qr}/cancel`, {}),
      409,
      'ORDER_STATE_INVALID',
    );

    // The screen's key makes a retry after a lost answer the same collection, never a second charge;
    // another cashier's key of the same value names their own collection.
    const keyed = {
      productCode: 'sandbox_qr',
      amount: 1_700,
      authCode: '934567890123456700',
      requestId: 'Till1Key0001',
    };
    const once = await cashier1.send<Collected>('POST', '/api/merchant/collect', keyed);
    const retried = await cashier1.send<Collected>('POST', '/api/merchant/collect', keyed);
    expect(once.body.order.state).toBe('paid');
    expect(retried.body.order.orderNo).toBe(once.body.order.orderNo);
    const otherTill = await cashier2.send<Collected>('POST', '/api/merchant/collect', {
      ...keyed,
      authCode: '934567890123456701',
    });
    expect(otherTill.body.order.orderNo).not.toBe(once.body.order.orderNo);
    expectRefusal(
      await cashier1.send('POST', '/api/merchant/collect', { ...keyed, requestId: 'bad key!' }),
      400,
      'INVALID_REQUEST',
    );

    const declined = (await scan(cashier1, '134567890123456799')).body.order;
    expect(declined).toMatchObject({ state: 'failed', failure: { code: 'BALANCE_NOT_ENOUGH' } });
    const { rows: before } = await services().orders.list({ merchantId: merchantA, limit: 500 });
    expectRefusal(await scan(cashier1, '12ab'), 400, 'INVALID_REQUEST');
    expect((await services().orders.list({ merchantId: merchantA, limit: 500 })).rows.length).toBe(
      before.length,
    );
    expect((await ledgerReport(services())).ok).toBe(true);
  });
});
