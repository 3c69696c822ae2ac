import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingyunApiError, QingyunClient } from '../sdk/index.ts';
import { ConsoleClient, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * The recycle bin (OP-12) over real HTTP: a deleted app's signed calls are refused with a stable
 * code until it is restored, a deleted login cannot log in and its sessions end, and the purge never
 * removes what money refers to while it removes the rest after the retention.
 */

interface BinItem {
  type: string;
  id: string;
  key: string;
  name: string;
  owner: string;
  deletedAt: string;
  deletedBy: { id: string; username: string } | null;
  purgeAfter: string;
}

interface Bin {
  total: number;
  retentionDays: number;
  items: BinItem[];
}

interface Refusal {
  code: string;
  details?: Record<string, unknown>;
}

const DAY = 86_400_000;

describe.each(testDatabases)('recycle bin on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    admin = await operatorConsole(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const bin = (type?: string) => admin.ok<Bin>('GET', `/api/admin/recycle-bin${type ? `?type=${type}` : ''}`);
  const apiRefusal = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QingyunApiError);
    return error as QingyunApiError;
  };

  it('refuses a deleted app with APP_DELETED, lists it, and serves it again once restored', async () => {
    const mchNo = t.demo.merchant.mchNo;
    const created = await admin.ok<{ app: { appId: string }; secret: string }>(
      'POST',
      `/api/admin/merchants/${mchNo}/apps`,
      { name: 'Till 2' },
    );
    const client = new QingyunClient({
      baseUrl: t.platform.url,
      mchNo,
      appId: created.app.appId,
      key: { type: 'HMAC-SHA256', secret: created.secret },
    });
    const order = () =>
      client.createOrder({
        mchOrderNo: `RB-${randomBytes(6).toString('hex')}`,
        productCode: 'sandbox_qr',
        amount: 100,
        subject: 'recycle bin',
      });
    expect((await order()).state).toBeDefined();

    const deleted = await admin.ok<BinItem>('DELETE', `/api/admin/apps/${created.app.appId}`);
    expect(deleted).toMatchObject({ type: 'app', key: created.app.appId, name: 'Till 2', owner: mchNo });
    // At once on this node: the cached keys were dropped with the delete.
    const refused = await apiRefusal(order());
    expect(refused.code).toBe('APP_DELETED');
    expect(refused.status).toBe(403);

    const detail = await admin.ok<{ apps: { appId: string }[] }>('GET', `/api/admin/merchants/${mchNo}`);
    expect(detail.apps.map((a) => a.appId)).not.toContain(created.app.appId);
    const listed = (await bin('app')).items.find((i) => i.key === created.app.appId)!;
    expect(listed.deletedBy?.id).toBe(admin.userId);
    expect(Date.parse(listed.purgeAfter) - Date.parse(listed.deletedAt)).toBe(30 * DAY);
    // A second delete finds nothing in use.
    expect((await admin.send<Refusal>('DELETE', `/api/admin/apps/${created.app.appId}`)).status).toBe(404);

    await admin.ok('POST', `/api/admin/recycle-bin/app/${listed.id}/restore`);
    expect((await order()).state).toBeDefined();
    expect((await bin('app')).items.some((i) => i.key === created.app.appId)).toBe(false);

    const audit = await admin.ok<{ items: { actionKey: string; targetId: string; targetType: string }[] }>(
      'GET',
      `/api/admin/audit?targetId=${created.app.appId}`,
    );
    expect(audit.items.map((i) => i.actionKey)).toEqual(
      expect.arrayContaining(['app.delete', 'recycle.restore']),
    );
  });

  it('refuses the deleted merchant with MERCHANT_DELETED, and restores it as it was', async () => {
    const refused = await apiRefusal(t.client.getOrder('none'));
    expect(refused.code).toBe('NOT_FOUND');
    const mchNo = t.demo.merchant.mchNo;
    const deleted = await admin.ok<BinItem>('DELETE', `/api/admin/merchants/${mchNo}`);
    expect((await apiRefusal(t.client.getOrder('none'))).code).toBe('MERCHANT_DELETED');
    const list = await admin.ok<{ items: { mchNo: string }[] }>('GET', '/api/admin/merchants');
    expect(list.items.map((m) => m.mchNo)).not.toContain(mchNo);
    await admin.ok('POST', `/api/admin/recycle-bin/merchant/${deleted.id}/restore`);
    expect((await apiRefusal(t.client.getOrder('none'))).code).toBe('NOT_FOUND');
  });

  it('ends a deleted login’s sessions and refuses its login until it is restored', async () => {
    const username = uniqueName('cashier');
    const password = `pw7-${randomBytes(9).toString('base64url')}`;
    const created = await t.platform.services.consoleUsers.createUser({
      area: 'merchant',
      username,
      password,
      merchantId: (await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo)).id,
      merchantRole: 'cashier',
    });
    const cashier = new ConsoleClient(t.platform.url);
    expect(await cashier.login('merchant', username, password)).toBe('active');
    expect((await cashier.get('/api/auth/me')).status).toBe(200);
    const userId = String(created.id);
    // Not one's own login, and not a merchant's login through the operators' route.
    const own = await admin.send<Refusal>('DELETE', `/api/admin/operators/${admin.userId}`);
    expect(own.body).toMatchObject({ code: 'RECYCLE_REFUSED', details: { reason: 'own_login' } });
    expect((await admin.send('DELETE', `/api/admin/operators/${userId}`)).status).toBe(404);

    const deleted = await admin.ok<BinItem>(
      'DELETE',
      `/api/admin/merchants/${t.demo.merchant.mchNo}/users/${userId}`,
    );
    expect(deleted).toMatchObject({ type: 'user', key: username, owner: t.demo.merchant.mchNo });
    // Its session ended at once.
    expect((await cashier.get('/api/auth/me')).status).toBe(401);
    const detail = await admin.ok<{ users: { id: string }[] }>(
      'GET',
      `/api/admin/merchants/${t.demo.merchant.mchNo}`,
    );
    expect(detail.users.map((u) => u.id)).not.toContain(userId);
    // Its login is refused like an unknown one (nothing tells that the name exists).
    const again = new ConsoleClient(t.platform.url);
    const refused = await again.send<Refusal>('POST', '/api/auth/login', {
      area: 'merchant',
      username,
      password,
    });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('LOGIN_FAILED');

    await admin.ok('POST', `/api/admin/recycle-bin/user/${deleted.id}/restore`);
    expect(await again.login('merchant', username, password)).toBe('active');
  });

  it('routes no order to a deleted channel account, and the payer page of a deleted collect code says so', async () => {
    const [deletedId, kept] = t.channelAccountIds as [bigint, bigint];
    const account = await admin.ok<BinItem>('DELETE', `/api/admin/channel-accounts/${deletedId}`);
    const accounts = await admin.ok<{ id: string }[]>('GET', '/api/admin/channel-accounts');
    expect(accounts.map((a) => a.id)).not.toContain(String(deletedId));
    for (let i = 0; i < 6; i++) {
      const order = await t.client.createOrder({
        mchOrderNo: `RB-route-${i}-${randomBytes(4).toString('hex')}`,
        productCode: 'sandbox_qr',
        amount: 100 + i,
        subject: 'routing',
      });
      const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
      expect(row.channel_account_id).toBe(kept);
    }
    await admin.ok('POST', `/api/admin/recycle-bin/channel_account/${account.id}/restore`);

    const code = t.demo.staticQrCode;
    const [row] = await t.platform.services.db.query<{ id: bigint }>(
      'SELECT id FROM collect_code WHERE code = $1',
      [code],
    );
    const before = await fetch(`${t.platform.url}/pay/${code}?lang=en`);
    expect(before.status).toBe(200);
    await before.text();
    const deleted = await admin.ok<BinItem>('DELETE', `/api/admin/collect-codes/${row!.id}`);
    const page = await fetch(`${t.platform.url}/pay/${code}?lang=en`);
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('QR code deleted');
    await admin.ok('POST', `/api/admin/recycle-bin/collect_code/${deleted.id}/restore`);
    expect((await fetch(`${t.platform.url}/pay/${code}?lang=en`)).status).toBe(200);
  });

  it('never purges a merchant with orders (the job skips it), and purges a product without orders after the retention', async () => {
    await paidSandboxOrder(t.client, { mchOrderNo: `RB-paid-${Date.now()}`, amount: 500, subject: 'money' });
    const mchNo = t.demo.merchant.mchNo;
    const merchant = await admin.ok<BinItem>('DELETE', `/api/admin/merchants/${mchNo}`);
    const purge = await admin.send<Refusal>('DELETE', `/api/admin/recycle-bin/merchant/${merchant.id}`);
    expect(purge.status).toBe(409);
    expect(purge.body).toMatchObject({ code: 'RECYCLE_REFUSED', details: { reason: 'has_money' } });

    const code = `rb_${randomBytes(3).toString('hex')}`;
    await admin.ok('POST', '/api/admin/products', {
      code,
      name: 'Recycle product',
      minAmount: 1,
      maxAmount: 100_000,
      defaultRatePpm: 6000,
    });
    const product = await admin.ok<BinItem>('DELETE', `/api/admin/products/${code}`);
    const products = await admin.ok<{ code: string }[]>('GET', '/api/admin/products');
    expect(products.map((p) => p.code)).not.toContain(code);

    const recycle = t.platform.services.recycle;
    // Within the retention nothing goes.
    expect(await recycle.purgeExpired(new Date(Date.now() + 29 * DAY))).toEqual({ purged: 0, skipped: 0 });
    const later = await recycle.purgeExpired(new Date(Date.now() + 31 * DAY));
    expect(later.purged).toBeGreaterThanOrEqual(1);
    expect(later.skipped).toBeGreaterThanOrEqual(1);
    const left = await bin();
    expect(left.items.some((i) => i.type === 'product' && i.id === product.id)).toBe(false);
    expect(left.items.some((i) => i.type === 'merchant' && i.id === merchant.id)).toBe(true);
    const rows = await t.platform.services.db.query<{ n: bigint }>(
      'SELECT count(*)::bigint AS n FROM product WHERE code = $1',
      [code],
    );
    expect(rows[0]!.n).toBe(0n);
    const audit = await admin.ok<{ items: { actionKey: string; actorArea: string }[] }>(
      'GET',
      `/api/admin/audit?targetId=${code}`,
    );
    expect(audit.items.map((i) => [i.actionKey, i.actorArea])).toEqual(
      expect.arrayContaining([
        ['product.delete', 'operator'],
        ['recycle.purge', 'system'],
      ]),
    );

    // Purging is for super admins only; restoring is not.
    const restorer = await operatorConsole(t, 'operations');
    const refused = await restorer.send<Refusal>('DELETE', `/api/admin/recycle-bin/merchant/${merchant.id}`);
    expect(refused.status).toBe(403);
    await admin.ok('POST', `/api/admin/recycle-bin/merchant/${merchant.id}/restore`);
    expect((await t.client.getOrder('none').catch((e: QingyunApiError) => e.code)) as string).toBe(
      'NOT_FOUND',
    );
  });
});
