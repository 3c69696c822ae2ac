import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIT_ACTION_KEYS,
  AUDIT_TARGET_TYPES,
  auditActionOf,
  CONSOLE_PREFIXES,
} from '../src/audit/actions.ts';
import { redactForAudit } from '../src/audit/service.ts';
import audit from '../web/src/locales/audit.ts';
import { auditWords } from '../web/src/shell/auditWords.ts';
import { type ConsoleClient, merchantConsole, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

interface AuditItem {
  action: string;
  actionKey: string;
  targetType: string;
  targetId: string;
  targetName: string;
  status: number;
  succeeded: boolean;
  before: unknown;
  after: unknown;
}
interface AuditList {
  total: number;
  items: AuditItem[];
}

const CJK = /[\u3400-\u9fff]/;
const LATIN = /[A-Za-z]/;

/** Every field name in a before/after document, nested ones as `parent.child`. */
function fieldsOf(doc: unknown, prefix = ''): string[] {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return [];
  return Object.entries(doc).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v) ? fieldsOf(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

describe('the audit log in business words', () => {
  it('gives every audited console mutation route an action key, and every key a label in both languages', async () => {
    // The table itself: labels for every key and object type, Chinese with no Latin letters, English with no Chinese.
    for (const key of AUDIT_ACTION_KEYS) {
      const zh = (audit.zh.actions as Record<string, string>)[key];
      const en = (audit.en.actions as Record<string, string>)[key];
      expect(zh, `zh label of ${key}`).toBeTruthy();
      expect(en, `en label of ${key}`).toBeTruthy();
      expect(zh, `zh label of ${key}`).not.toMatch(LATIN);
      expect(en, `en label of ${key}`).not.toMatch(CJK);
    }
    for (const type of AUDIT_TARGET_TYPES) {
      expect((audit.zh.targets as Record<string, string>)[type], `zh label of ${type}`).toBeTruthy();
      expect((audit.en.targets as Record<string, string>)[type], `en label of ${type}`).toBeTruthy();
    }
    // The record-typed groups are kept in step by hand: the same keys in both languages.
    for (const group of ['actions', 'targets', 'fields', 'events'] as const) {
      expect(Object.keys(audit.en[group]).sort(), group).toEqual(Object.keys(audit.zh[group]).sort());
    }
    for (const [field, values] of Object.entries(audit.zh.values)) {
      expect(Object.keys(audit.en.values[field] ?? {}).sort(), field).toEqual(Object.keys(values).sort());
    }
    // No label for a key nobody records (a stale translation hides a missing one).
    expect(Object.keys(audit.zh.actions).sort()).toEqual([...AUDIT_ACTION_KEYS, 'unknown'].sort());
  });

  it('redacts secrets from what a row keeps, whoever wrote it, and keeps times and flags', () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    expect(
      redactForAudit({
        password: 'p',
        completionPassword: 'c',
        appSecret: 's',
        credentials: { key: 'k' },
        extra: { authCode: '134567890123456789', privateKey: 'x' },
        completionPasswordSet: true,
        lockedUntil: at,
        remark: 'kept',
      }),
    ).toEqual({
      password: '***',
      completionPassword: '***',
      appSecret: '***',
      credentials: '***',
      extra: { authCode: '***', privateKey: '***' },
      completionPasswordSet: true,
      lockedUntil: '2026-01-02T03:04:05.000Z',
      remark: 'kept',
    });
  });

  it('puts stored values into words: yuan, %, local time, states, sources, secrets hidden', () => {
    const zh = auditWords('zh');
    const en = auditWords('en');
    expect(zh.value('amount', 12_345)).toBe('¥123.45');
    expect(zh.value('amount', '12345')).toBe('¥123.45'); // order events keep amounts as text
    expect(zh.value('fixedFee', 10)).toBe('¥0.10');
    expect(zh.value('ratePpm', 3800)).toBe('0.38%');
    expect(en.value('costRatePpm', 6000)).toBe('0.6%');
    const at = new Date('2026-01-02T03:04:05.000Z');
    const p = (n: number) => String(n).padStart(2, '0');
    expect(zh.value('paidAt', at.toISOString())).toBe(
      `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())} ${p(at.getHours())}:${p(at.getMinutes())}:05`,
    );
    expect(zh.value('state', 'paying')).toBe('支付中');
    expect(en.value('state', 'paid')).toBe('Paid');
    expect(zh.value('source', 'operator:alice')).toBe('平台运营 alice');
    expect(zh.value('completionPassword', '***')).toBe('已隐去');
    expect(en.value('password', 'leaked')).toBe('hidden');
    expect(zh.value('completionPasswordSet', true)).toBe('是');
    expect(zh.field('manualCompletion.remark')).toBe('人工补单 · 备注');
    expect(zh.action('order.complete')).toBe('人工补单');
    expect(zh.object('order', 'P2026')).toBe('订单 P2026');
    expect(zh.object('merchant', 'M1', '一号店')).toBe('商户 M1 · 一号店');
    expect(zh.object('operator', '3', 'alice')).toBe('运营账号 alice');
    expect(zh.object('setting', 'completion_password')).toBe('系统设置 · 补单密码');
    expect(en.event('manual_completion')).toBe('Manual completion');
  });

  describe.each(testDatabases)('on $kind', (database) => {
    let t: TestPlatform;
    let admin: ConsoleClient;

    beforeAll(async () => {
      t = await startTestPlatform(database);
      admin = await operatorConsole(t);
    });
    afterAll(async () => {
      await t?.stop();
    });

    const log = (query: string) => admin.ok<AuditList>('GET', `/api/admin/audit?limit=200&${query}`);

    it('walks every console mutation route of the running platform: each has an action key', () => {
      const mutations = t.platform
        .http!.routeTable.filter(
          (r) => r.method !== 'GET' && CONSOLE_PREFIXES.some((p) => r.url.startsWith(p)),
        )
        .map((r) => `${r.method} ${r.url}`);
      expect(mutations.length).toBeGreaterThan(50);
      expect(mutations.filter((route) => !auditActionOf(route))).toEqual([]);
    });

    it('records a manual completion, a rate change and account changes with their keys, readable and without secrets', async () => {
      const completionPassword = `completion-${uniqueName('pw')}`;
      const operatorPassword = `operator-${uniqueName('pw')}`;
      await admin.ok('PUT', '/api/admin/settings/completion-password', { password: completionPassword });

      // 人工补单 · 订单 P…, and a refused one (wrong completion password).
      const order = await t.client.createOrder({
        mchOrderNo: uniqueName('AUDIT'),
        productCode: 'sandbox_qr',
        amount: 12_345,
        subject: 'audit',
      });
      const refused = await admin.send('POST', `/api/admin/orders/${order.orderNo}/complete`, {
        completionPassword: 'not-the-password',
        remark: '试错',
      });
      expect(refused.status).toBeGreaterThanOrEqual(400);
      await admin.ok('POST', `/api/admin/orders/${order.orderNo}/complete`, {
        completionPassword,
        remark: '客户出示付款凭证',
      });

      // 开通产品, then 修改费率 on a new merchant.
      const merchant = await admin.ok<{ mchNo: string }>('POST', '/api/admin/merchants', {
        name: '审计商户',
      });
      await admin.ok('PUT', `/api/admin/merchants/${merchant.mchNo}/products/sandbox_qr`, { ratePpm: 6000 });
      await admin.ok('PUT', `/api/admin/merchants/${merchant.mchNo}/products/sandbox_qr`, {
        ratePpm: 8000,
        fixedFee: 10,
      });

      // An app and its secret reset; an operator with a password of our choosing and a temporary one.
      const app = await admin.ok<{ app: { appId: string }; appSecret?: string }>(
        'POST',
        `/api/admin/merchants/${merchant.mchNo}/apps`,
        { name: '审计应用' },
      );
      const rotated = await admin.ok<Record<string, unknown>>(
        'POST',
        `/api/admin/apps/${app.app.appId}/rotate-secret`,
        {},
      );
      const roles = await admin.ok<{ id: string; code: string }[]>('GET', '/api/admin/roles');
      const operator = await admin.ok<{ id: string }>('POST', '/api/admin/operators', {
        username: uniqueName('audited'),
        roleId: roles.find((r) => r.code === 'support')!.id,
        password: operatorPassword,
      });
      const reset = await admin.ok<{ temporaryPassword: string }>(
        'POST',
        `/api/admin/operators/${operator.id}/reset-password`,
        {},
      );

      const completions = (await log(`actionKey=order.complete&targetId=${order.orderNo}`)).items;
      expect(completions.map((e) => [e.actionKey, e.targetType, e.targetId, e.succeeded])).toEqual([
        ['order.complete', 'order', order.orderNo, true],
        ['order.complete', 'order', order.orderNo, false],
      ]);
      expect(completions[0]!.before).toMatchObject({ state: 'paying', amount: 12_345 });
      expect(completions[0]!.after).toMatchObject({
        state: 'paid',
        amount: 12_345,
        manualCompletion: { remark: '客户出示付款凭证' },
      });
      expect(completions[1]!.after).toMatchObject({ completionPassword: '***', remark: '试错' });

      const failed = (await log('outcome=failed')).items;
      expect(failed.map((e) => e.actionKey)).toContain('order.complete');
      expect(failed.every((e) => !e.succeeded && e.status >= 400)).toBe(true);

      const rates = (await log(`targetId=${merchant.mchNo}/sandbox_qr`)).items;
      expect(rates.map((e) => [e.actionKey, e.targetType])).toEqual([
        ['merchant_product.update', 'merchant_product'],
        ['merchant_product.open', 'merchant_product'],
      ]);
      expect(rates[0]!.before).toMatchObject({ ratePpm: 6000, fixedFee: 0 });
      expect(rates[0]!.after).toMatchObject({ ratePpm: 8000, fixedFee: 10 });

      const created = (await log(`actionKey=merchant.create&targetId=${merchant.mchNo}`)).items;
      expect(created).toMatchObject([{ targetType: 'merchant', targetName: '审计商户' }]);
      expect((await log(`actionKey=app.rotate_secret&targetId=${app.app.appId}`)).items).toHaveLength(1);
      expect((await log(`actionKey=operator.reset_password&targetId=${operator.id}`)).items).toHaveLength(1);

      // A store manager's change in the merchant portal: the cashier's password is not kept.
      const mchId = (await t.platform.services.merchants.requireMerchant(merchant.mchNo)).id;
      const manager = await merchantConsole(t, { merchantId: mchId, merchantRole: 'manager' });
      const cashierPassword = `cashier-${uniqueName('pw')}`;
      const cashier = await manager.ok<{ id: string }>('POST', '/api/merchant/cashiers', {
        username: uniqueName('cashier'),
        password: cashierPassword,
      });
      expect((await log(`actionKey=cashier.create&targetId=${cashier.id}`)).items).toMatchObject([
        { actionKey: 'cashier.create', targetType: 'merchant_user', succeeded: true },
      ]);

      // The login refusal the login route records itself.
      const wrong = await admin.send('POST', '/api/auth/login', {
        area: 'operator',
        username: 'nobody-at-all',
        password: 'wrong-password-1',
      });
      expect(wrong.status).toBe(401);
      expect((await log('actionKey=auth.login_failed&actor=nobody-at-all')).items).toMatchObject([
        { actionKey: 'auth.login_failed', targetType: 'user', succeeded: false },
      ]);

      // No secret was stored, in any row.
      const stored = JSON.stringify(
        await t.platform.services.db.query(
          'SELECT action, action_key, target_id, before, after FROM audit_log',
        ),
      );
      const secrets = [
        completionPassword,
        operatorPassword,
        reset.temporaryPassword,
        cashierPassword,
        'wrong-password-1',
      ];
      for (const [key, value] of Object.entries(rotated))
        if (/secret/i.test(key) && typeof value === 'string') secrets.push(value);
      expect(secrets.length).toBeGreaterThan(4);
      if (app.appSecret) secrets.push(app.appSecret);
      for (const secret of secrets) expect(stored).not.toContain(secret);

      // Every field these rows show has a label in both languages.
      const everything = (await log('')).items;
      if (process.env.AUDIT_DUMP)
        fs.writeFileSync(process.env.AUDIT_DUMP, JSON.stringify(everything, null, 1));
      // Every object type is one the select offers.
      expect(
        everything
          .map((e) => e.targetType)
          .filter((type) => !(AUDIT_TARGET_TYPES as readonly string[]).includes(type)),
      ).toEqual([]);
      const fields = new Set(everything.flatMap((e) => [...fieldsOf(e.before), ...fieldsOf(e.after)]));
      const missing = [...fields].filter(
        (f) =>
          !(audit.zh.fields as Record<string, string>)[f.split('.').at(-1)!] ||
          !(audit.en.fields as Record<string, string>)[f.split('.').at(-1)!],
      );
      expect(missing).toEqual([]);
    });

    it('reads rows written before action keys were stored through the same table', async () => {
      await t.platform.services.db.query(
        `INSERT INTO audit_log (actor_area, actor_name, action, target_type, target_id, status)
         VALUES ('operator', 'old_admin', 'POST /api/admin/orders/:orderNo/close', '', 'P-OLD-1', 200)`,
      );
      const old = (await log('actionKey=order.close&targetId=P-OLD-1')).items;
      expect(old).toMatchObject([{ actionKey: 'order.close', targetType: 'order', succeeded: true }]);
    });
  });
});
