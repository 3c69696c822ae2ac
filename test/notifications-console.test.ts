import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAliyunSms } from './fakes/sms/aliyun.ts';
import {
  ConsoleClient as Browser,
  type ConsoleClient,
  operatorConsole,
  uniqueName,
} from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * 通知设置 over the console API on each database: providers with write-only secrets, a template with
 * its SMS template code, the preview refusing an unknown variable, the blacklist, and a password
 * reset whose code reaches an operator's phone by SMS (the Aliyun fake) and never the delivery log.
 */

interface Refusal {
  code: string;
  details?: Record<string, unknown>;
}

describe.each(testDatabases)('notification settings and reset codes by SMS on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;
  const aliyun = new FakeAliyunSms('LTAI-console', 'console-secret-3', ['青云支付'], {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Aliyun's own placeholder syntax
    SMS_200001: '您的验证码为${code}，${minutes}分钟内有效。',
  });

  beforeAll(async () => {
    await aliyun.start();
    t = await startTestPlatform(database);
    admin = await operatorConsole(t);
  });
  afterAll(async () => {
    await t.stop();
    await aliyun.stop();
  });

  it('keeps provider secrets write-only and masked, in the answer and in the audit log', async () => {
    const providers = await admin.ok<{ email: Record<string, unknown>; sms: Record<string, unknown> }>(
      'GET',
      '/api/admin/notifications/providers',
    );
    const saved = await admin.ok<{ sms: { aliyun: { accessKeySecret: string } } }>(
      'PUT',
      '/api/admin/notifications/providers',
      {
        email: { ...providers.email, mode: 'log', password: undefined, envHost: undefined },
        sms: {
          mode: 'aliyun',
          signName: '青云支付',
          aliyun: {
            accessKeyId: aliyun.accessKeyId,
            accessKeySecret: 'console-secret-3',
            endpoint: aliyun.url,
            regionId: 'cn-hangzhou',
          },
          tencent: {
            secretId: '',
            endpoint: 'https://sms.tencentcloudapi.com',
            region: 'ap-guangzhou',
            sdkAppId: '',
          },
        },
      },
    );
    expect(saved.sms.aliyun.accessKeySecret).toBe('********');
    const audit = await t.platform.services.db.query<{ before: unknown; after: unknown }>(
      "SELECT before, after FROM audit_log WHERE action_key = 'notification.providers'",
    );
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain('console-secret-3');
  });

  it('previews a template, refuses an unknown variable, and saves the SMS template code', async () => {
    const preview = await admin.ok<{ text: string }>(
      'GET',
      `/api/admin/notifications/templates/preview?event=auth.code&locale=zh&subject=&body=${encodeURIComponent('验证码 {code}，{minutes} 分钟')}`,
    );
    expect(preview.text).toBe('验证码 ******，15 分钟');
    const refused = await admin.call<Refusal>(
      'GET',
      `/api/admin/notifications/templates/preview?event=auth.code&locale=zh&subject=&body=${encodeURIComponent('{amount}')}`,
    );
    expect([refused.status, refused.body.code, refused.body.details?.reason]).toEqual([
      400,
      'INVALID_REQUEST',
      'unknown_variable',
    ]);
    const { items } = await admin.ok<{
      items: { event: string; locale: string; subject: string; body: string }[];
    }>('GET', '/api/admin/notifications/templates');
    const zh = items.find((i) => i.event === 'auth.code' && i.locale === 'zh')!;
    const saved = await admin.ok<{ customised: boolean; smsTemplateCode: string }>(
      'PUT',
      '/api/admin/notifications/templates/auth.code/zh',
      { subject: zh.subject, body: zh.body, smsTemplateCode: 'SMS_200001', smsSignName: '' },
    );
    expect([saved.customised, saved.smsTemplateCode]).toEqual([true, 'SMS_200001']);
  });

  it('sends a password reset code by SMS to an operator whose phone is set; the code resets the password', async () => {
    const roles = await admin.ok<{ id: string; code: string }[]>('GET', '/api/admin/roles');
    const username = uniqueName('sms');
    const created = await admin.ok<{ id: string }>('POST', '/api/admin/operators', {
      username,
      roleId: roles.find((r) => r.code === 'operations')!.id,
    });
    const refused = await admin.call<Refusal>('PATCH', `/api/admin/operators/${created.id}`, {
      phone: '12345',
    });
    expect(refused.status).toBe(400);
    const patched = await admin.ok<{ phone: string }>('PATCH', `/api/admin/operators/${created.id}`, {
      phone: '13800138123',
    });
    expect(patched.phone).toBe('13800138123');

    const browser = new Browser(t.platform.url);
    await browser.ok('POST', '/api/auth/password-reset/request', { area: 'operator', username });
    const sms = await eventually(() => aliyun.sent.find((s) => s.phone === '13800138123'));
    expect(sms.templateCode).toBe('SMS_200001');
    expect(sms.text).toMatch(/^您的验证码为\d{6}，15分钟内有效。$/);
    const code = sms.params.code!;
    await browser.ok('POST', '/api/auth/password-reset/confirm', {
      area: 'operator',
      username,
      code,
      newPassword: 'sms-reset-password-2468',
    });
    expect(await browser.login('operator', username, 'sms-reset-password-2468')).toBe('active');

    const log = await admin.ok<{ items: { event: string; channel: string; status: string; text: string }[] }>(
      'GET',
      '/api/admin/notifications/deliveries?event=auth.code&channel=sms',
    );
    expect(log.items[0]).toMatchObject({ event: 'auth.code', channel: 'sms', status: 'sent' });
    expect(JSON.stringify(log)).not.toContain(code);
  });

  it('puts an address on the blacklist once and suppresses the test message to it', async () => {
    const entry = await admin.ok<{ id: string; address: string }>(
      'POST',
      '/api/admin/notifications/blacklist',
      {
        channel: 'email',
        address: 'Blocked@Example.com',
        remark: 'asked to stop',
      },
    );
    expect(entry.address).toBe('blocked@example.com');
    const again = await admin.call<Refusal>('POST', '/api/admin/notifications/blacklist', {
      channel: 'email',
      address: 'blocked@example.com',
    });
    expect([again.status, again.body.code]).toEqual([409, 'ALREADY_EXISTS']);
    const test = await admin.ok<{ status: string; note: string }>('POST', '/api/admin/notifications/test', {
      channel: 'email',
      address: 'blocked@example.com',
      locale: 'en',
    });
    expect(test).toMatchObject({ status: 'suppressed', note: 'blacklist' });
    await admin.ok('DELETE', `/api/admin/notifications/blacklist/${entry.id}`);
    const { items } = await admin.ok<{ items: unknown[] }>('GET', '/api/admin/notifications/blacklist');
    expect(items).toHaveLength(0);
  });
});
