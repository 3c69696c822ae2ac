import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/app/logger.ts';
import { type Platform, startPlatform } from '../src/app/platform.ts';
import { openPostgres } from '../src/db/index.ts';
import { type ConsoleClient, operatorConsole, uniqueName } from './support/console.ts';
import { postgresOnly, testDatabases } from './support/databases.ts';
import {
  eventually,
  payOnSandbox,
  startTestPlatform,
  type TestPlatform,
  testConfig,
} from './support/platform.ts';

/**
 * Configuration in the console (支付配置, 系统设置): every setting refuses bad input with a stable
 * error and changes nothing, every change is audited with before and after, and what is saved is what
 * the platform does next: order numbers of the rule's shape and unique under concurrency, a product's
 * limits and timeout on new orders, the notify schedule on the next retry, the session policy on the
 * next request, and on PostgreSQL a change on one node on every other within a second.
 */

interface Problem {
  code: string;
  details?: { field?: string; reason?: string; min?: number; max?: number };
}
interface AuditList {
  items: { actionKey: string; targetId: string; before: unknown; after: unknown; succeeded: boolean }[];
}
interface SettingsView {
  orderNumberRule: { prefix: string; datePart: string; sequenceDigits: number; randomDigits: number };
  notifySchedule: { scheduleSeconds: number[]; isDefault: boolean };
  sessionPolicy: { idleMinutes: number; maxHours: number };
  passwordPolicy: { operatorMinLength: number; otherMinLength: number; history: number; expiryDays: number };
  site: { name: string; logoUrl: string | null };
}

const PNG_1X1 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe.each(testDatabases)('configuration in the console on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    admin = await operatorConsole(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const settings = () => admin.ok<SettingsView>('GET', '/api/admin/settings/platform');
  const lastAudit = async (actionKey: string) =>
    (await admin.ok<AuditList>('GET', `/api/admin/audit?limit=5&actionKey=${actionKey}`)).items[0];

  it('refuses each bad setting with a stable error and changes nothing', async () => {
    const before = await settings();
    const refusals: [string, unknown, Partial<NonNullable<Problem['details']>>][] = [
      [
        'order-number',
        { prefix: 'p', datePart: 'yyMMdd', sequenceDigits: 8, randomDigits: 0 },
        { field: 'prefix', reason: 'order_number_prefix' },
      ],
      [
        'order-number',
        { prefix: 'PAY', datePart: 'weekly', sequenceDigits: 8, randomDigits: 0 },
        { field: 'datePart' },
      ],
      [
        'order-number',
        { prefix: 'PAY', datePart: 'none', sequenceDigits: 6, randomDigits: 1 },
        { field: 'randomDigits', reason: 'order_number_digits' },
      ],
      [
        'order-number',
        { prefix: 'PAYABC', datePart: 'yyyyMMddHHmmss', sequenceDigits: 8, randomDigits: 8 },
        { reason: 'order_number_too_long' },
      ],
      [
        'order-number',
        { prefix: 'PAY', datePart: 'none', sequenceDigits: 40, randomDigits: 0 },
        { field: 'sequenceDigits', reason: 'out_of_range' },
      ],
      ['notify-schedule', { scheduleSeconds: [] }, { field: 'scheduleSeconds', reason: 'out_of_range' }],
      ['notify-schedule', { scheduleSeconds: [0, -5] }, { field: 'scheduleSeconds', reason: 'out_of_range' }],
      [
        'notify-schedule',
        { scheduleSeconds: Array(10).fill(86_400) },
        { reason: 'notify_schedule_too_long' },
      ],
      [
        'session-policy',
        { idleMinutes: 30, maxHours: 12 },
        { field: 'idleMinutes', reason: 'out_of_range', max: 15 },
      ],
      [
        'session-policy',
        { idleMinutes: 15, maxHours: 24 },
        { field: 'maxHours', reason: 'out_of_range', max: 12 },
      ],
      [
        'password-policy',
        { operatorMinLength: 8, otherMinLength: 8, history: 4, expiryDays: 0 },
        { field: 'operatorMinLength', min: 12 },
      ],
      [
        'password-policy',
        { operatorMinLength: 12, otherMinLength: 6, history: 4, expiryDays: 0 },
        { field: 'otherMinLength', min: 8 },
      ],
      [
        'password-policy',
        { operatorMinLength: 12, otherMinLength: 8, history: 2, expiryDays: 0 },
        { field: 'history', min: 4 },
      ],
      [
        'password-policy',
        { operatorMinLength: 12, otherMinLength: 8, history: 4, expiryDays: 7 },
        { field: 'expiryDays', min: 30 },
      ],
      ['site', { name: '  ' }, { field: 'siteName' }],
      ['site', { name: '<script>' }, { field: 'siteName' }],
      [
        'site-logo',
        { logo: Buffer.from('<svg onload="alert(1)"/>').toString('base64') },
        { field: 'logo', reason: 'logo_not_image' },
      ],
      [
        'site-logo',
        {
          logo: Buffer.concat([Buffer.from(PNG_1X1, 'base64'), Buffer.alloc(300 * 1024)]).toString('base64'),
        },
        { reason: 'logo_too_large' },
      ],
    ];
    for (const [path, body, details] of refusals) {
      const answer = await admin.send<Problem>('PUT', `/api/admin/settings/${path}`, body);
      expect({ path, body, status: answer.status, code: answer.body.code }).toEqual({
        path,
        body,
        status: 400,
        code: 'INVALID_REQUEST',
      });
      expect(answer.body.details).toMatchObject(details);
    }
    expect(await settings()).toEqual(before);
  });

  it('audits every change with before and after', async () => {
    const before = await settings();
    const changes: [string, string, unknown, unknown, unknown][] = [
      [
        'order-number',
        'setting.order_number',
        { prefix: 'QY', datePart: 'yyMMdd', sequenceDigits: 10, randomDigits: 4 },
        before.orderNumberRule,
        { prefix: 'QY', datePart: 'yyMMdd', sequenceDigits: 10, randomDigits: 4 },
      ],
      [
        'session-policy',
        'setting.session_policy',
        { idleMinutes: 10, maxHours: 8 },
        before.sessionPolicy,
        { idleMinutes: 10, maxHours: 8 },
      ],
      [
        'password-policy',
        'setting.password_policy',
        { operatorMinLength: 14, otherMinLength: 10, history: 6, expiryDays: 90 },
        before.passwordPolicy,
        { operatorMinLength: 14, otherMinLength: 10, history: 6, expiryDays: 90 },
      ],
      ['site', 'setting.site', { name: '云端收银' }, { name: before.site.name }, { name: '云端收银' }],
    ];
    for (const [path, key, body, was, now] of changes) {
      await admin.ok('PUT', `/api/admin/settings/${path}`, body);
      const row = await lastAudit(key);
      expect(row).toMatchObject({ actionKey: key, succeeded: true, before: was, after: now });
    }
    const after = await settings();
    expect(after.sessionPolicy).toEqual({ idleMinutes: 10, maxHours: 8 });
    expect(after.site.name).toBe('云端收银');
    // The site name is public: the login page and the cashier page show it.
    expect(await (await fetch(`${t.platform.url}/api/site`)).json()).toMatchObject({
      name: '云端收银',
      logoUrl: null,
    });
  });

  it('stores a logo that is a picture, serves it as one and audits only its version', async () => {
    const saved = await admin.ok<SettingsView>('PUT', '/api/admin/settings/site-logo', { logo: PNG_1X1 });
    expect(saved.site.logoUrl).toMatch(/^\/api\/site\/logo\?v=/);
    const logo = await fetch(`${t.platform.url}${saved.site.logoUrl}`);
    expect(logo.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await logo.arrayBuffer()).equals(Buffer.from(PNG_1X1, 'base64'))).toBe(true);
    const row = await lastAudit('setting.site_logo');
    expect(row?.before).toEqual({ logoVersion: null });
    expect(JSON.stringify(row)).not.toContain(PNG_1X1.slice(0, 40));
    await admin.ok('PUT', '/api/admin/settings/site-logo', { logo: null });
    expect((await fetch(`${t.platform.url}/api/site/logo`)).status).toBe(404);
  });

  it('numbers new orders by the rule, uniquely under concurrency', async () => {
    await admin.ok('PUT', '/api/admin/settings/order-number', {
      prefix: 'QY',
      datePart: 'yyMMdd',
      sequenceDigits: 10,
      randomDigits: 4,
    });
    const orders = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.client.createOrder({
          mchOrderNo: uniqueName(`NO${i}`),
          productCode: 'sandbox_qr',
          amount: 100 + i,
          subject: 'n',
        }),
      ),
    );
    for (const o of orders) expect(o.orderNo).toMatch(/^QY\d{6}\d{10}\d{4}$/);
    expect(new Set(orders.map((o) => o.orderNo)).size).toBe(40);
    // The date part is the platform's day (Beijing time).
    const today = new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Asia/Shanghai',
      year: '2-digit',
      month: '2-digit',
      day: '2-digit',
    })
      .format(new Date())
      .replaceAll('-', '');
    expect(orders[0]!.orderNo.slice(2, 8)).toBe(today);

    await admin.ok('PUT', '/api/admin/settings/order-number', {
      prefix: 'P',
      datePart: 'yyMMddHHmmss',
      sequenceDigits: 8,
      randomDigits: 0,
    });
    const back = await t.client.createOrder({
      mchOrderNo: uniqueName('NOP'),
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'n',
    });
    expect(back.orderNo).toMatch(/^P\d{12}\d{8,}$/);
  });

  it("applies a product's limits and timeout to new orders, and refuses a bad timeout", async () => {
    const product = await admin.ok<{ minAmount: number; maxAmount: number; expireSeconds: number | null }>(
      'PATCH',
      '/api/admin/products/sandbox_qr',
      { minAmount: 200, maxAmount: 5_000, expireSeconds: 600 },
    );
    expect(product).toMatchObject({ minAmount: 200, maxAmount: 5_000, expireSeconds: 600 });
    const audit = await lastAudit('product.update');
    expect(audit).toMatchObject({
      before: { expireSeconds: null },
      after: { expireSeconds: 600, minAmount: 200 },
    });
    const refused = await admin.send<Problem>('PATCH', '/api/admin/products/sandbox_qr', {
      expireSeconds: 30,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toMatchObject({
      field: 'expireSeconds',
      reason: 'out_of_range',
      min: 60,
      max: 86_400,
    });
    // Refused, and recorded as refused: nothing changed.
    expect(await lastAudit('product.update')).toMatchObject({ succeeded: false });
    expect((await t.platform.services.catalog.requireProduct('sandbox_qr')).expire_seconds).toBe(600);

    await expect(
      t.client.createOrder({
        mchOrderNo: uniqueName('LOW'),
        productCode: 'sandbox_qr',
        amount: 199,
        subject: 'n',
      }),
    ).rejects.toMatchObject({ code: 'AMOUNT_OUT_OF_RANGE' });
    await expect(
      t.client.createOrder({
        mchOrderNo: uniqueName('HIGH'),
        productCode: 'sandbox_qr',
        amount: 5_001,
        subject: 'n',
      }),
    ).rejects.toMatchObject({ code: 'AMOUNT_OUT_OF_RANGE' });
    const order = await t.client.createOrder({
      mchOrderNo: uniqueName('OK'),
      productCode: 'sandbox_qr',
      amount: 200,
      subject: 'n',
    });
    const lasts = (new Date(order.expiresAt).getTime() - Date.now()) / 1000;
    expect(lasts).toBeGreaterThan(590);
    expect(lasts).toBeLessThanOrEqual(600);
    // The merchant's own timeout still wins.
    const own = await t.client.createOrder({
      mchOrderNo: uniqueName('OWN'),
      productCode: 'sandbox_qr',
      amount: 200,
      subject: 'n',
      expireSeconds: 120,
    });
    expect((new Date(own.expiresAt).getTime() - Date.now()) / 1000).toBeLessThanOrEqual(120);
    await admin.ok('PATCH', '/api/admin/products/sandbox_qr', {
      minAmount: 1,
      maxAmount: 10_000_000,
      expireSeconds: null,
    });
  });

  it('waits as the saved notify schedule says before the next retry', async () => {
    await admin.ok('PUT', '/api/admin/settings/notify-schedule', { scheduleSeconds: [0, 900] });
    expect(await lastAudit('setting.notify_schedule')).toMatchObject({
      before: { isDefault: true, scheduleSeconds: [0, 1, 1, 1, 1] },
      after: { isDefault: false, scheduleSeconds: [0, 900] },
    });
    // A merchant that does not answer: the first attempt fails, the next waits 900 s.
    const order = await t.client.createOrder({
      mchOrderNo: uniqueName('NTF'),
      productCode: 'sandbox_qr',
      amount: 300,
      subject: 'n',
      notifyUrl: 'http://127.0.0.1:9/notify',
    });
    expect(await payOnSandbox(order.payData!.value)).toBe(200);
    const task = await eventually(async () => {
      const [row] = await t.platform.services.db.query<{ attempts: number; wait: number }>(
        `SELECT attempts, extract(epoch FROM next_attempt_at - now())::int AS wait
           FROM notify_task WHERE order_id = (SELECT id FROM pay_order WHERE order_no = $1)`,
        [order.orderNo],
      );
      return row && row.attempts >= 1 ? row : undefined;
    });
    expect(task.attempts).toBe(1);
    expect(task.wait).toBeGreaterThan(800);
    await admin.ok('PUT', '/api/admin/settings/notify-schedule', { scheduleSeconds: null });
    expect((await settings()).notifySchedule).toEqual({ scheduleSeconds: [0, 1, 1, 1, 1], isDefault: true });
  });

  it('holds sessions to the saved policy', async () => {
    await admin.ok('PUT', '/api/admin/settings/session-policy', { idleMinutes: 5, maxHours: 2 });
    const me = await admin.ok<{ idleTimeoutSeconds: number }>('GET', '/api/auth/me');
    expect(me.idleTimeoutSeconds).toBe(300);
    // A session older than the lifetime ends at its next request, whenever it began.
    await t.platform.services.db.query(
      `UPDATE console_session SET created_at = now() - interval '3 hours' WHERE user_id = $1`,
      [BigInt(admin.userId)],
    );
    expect((await admin.send('GET', '/api/auth/me')).status).toBe(401);
  });
});

describe.each(postgresOnly)('a change on one node, on another without a restart, on $kind', (database) => {
  let nodeA: Platform;
  let nodeB: Platform;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const opened = await database.open();
    dispose = opened.dispose;
    const log = createLogger('silent');
    nodeA = await startPlatform(testConfig(), { db: opened.db, log });
    // Node B: its own connections to the same database, no demo of its own.
    const dbB = openPostgres(opened.url!, 5, { listenUrl: opened.listenUrl });
    const b = await startPlatform(testConfig({ demo: false }), { db: dbB, log });
    nodeB = {
      ...b,
      stop: async () => {
        await b.stop();
        await dbB.close();
      },
    };
  });
  afterAll(async () => {
    await nodeB?.stop();
    await nodeA?.stop();
    await dispose?.();
  });

  it('forgets cached products and settings within a second of a change on another node', async () => {
    await eventually(() => (nodeB.services.configBus.listening ? true : undefined), 5_000, 'B listening');
    // B has the product and the rule cached.
    expect((await nodeB.services.catalog.productByCode('sandbox_qr'))?.max_amount).toBeGreaterThan(0n);
    expect((await nodeB.services.platformSettings.orderNumberRule()).prefix).toBe('P');

    const started = Date.now();
    await nodeA.services.catalog.updateProduct('sandbox_qr', { maxAmount: 4_321n });
    await nodeA.services.platformSettings.setOrderNumberRule({
      prefix: 'NB',
      datePart: 'none',
      sequenceDigits: 12,
      randomDigits: 2,
    });
    await eventually(
      async () =>
        (await nodeB.services.catalog.productByCode('sandbox_qr'))?.max_amount === 4_321n ? true : undefined,
      1_000,
      'the product on node B',
    );
    await eventually(
      async () =>
        (await nodeB.services.platformSettings.orderNumberRule()).prefix === 'NB' ? true : undefined,
      1_000,
      'the rule on node B',
    );
    // Well inside the caches' 2 s: the bus told B, the TTL did not.
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
