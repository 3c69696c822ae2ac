import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/app/logger.ts';
import { SecretBox } from '../src/auth/secret-box.ts';
import type { Db } from '../src/db/index.ts';
import { aliyunPercentEncode } from '../src/notifications/providers/aliyun-sms.ts';
import { tc3Signature } from '../src/notifications/providers/tencent-sms.ts';
import { NotificationService } from '../src/notifications/service.ts';
import type { ProvidersInput } from '../src/notifications/settings.ts';
import { FakeAliyunSms } from './fakes/sms/aliyun.ts';
import { FakeTencentSms } from './fakes/sms/tencent.ts';
import { testDatabases } from './support/databases.ts';
import { eventually } from './support/platform.ts';
import { LocalSmtp } from './support/smtp.ts';

/**
 * Notifications (NT-1) on each database: e-mail to a local SMTP server, SMS to local Aliyun and
 * Tencent Cloud fakes that check the signatures as the real services do, the blacklist, quiet
 * hours, retries, and the delivery log that never holds a one-time code.
 */

// Aliyun templates write variables as ${name}: plain strings, not JavaScript templates.
const ALIYUN_TEMPLATES = {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Aliyun's own placeholder syntax
  SMS_100001: '您的验证码为${code}，${minutes}分钟内有效。',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Aliyun's own placeholder syntax
  SMS_100002: 'Your code is ${code}, valid for ${minutes} minutes.',
};
const TENCENT_TEMPLATES = {
  '2000001': '您的验证码为{1}，{2}分钟内有效。',
  '2000002': 'Your code is {1}, valid for {2} minutes.',
};

function providers(
  smtpPort: number,
  aliyun: FakeAliyunSms,
  tencent: FakeTencentSms,
  overrides: { sms?: Partial<ProvidersInput['sms']>; aliyunSecret?: string } = {},
): ProvidersInput {
  return {
    email: {
      mode: 'smtp',
      host: '127.0.0.1',
      port: smtpPort,
      secure: false,
      username: 'mailer',
      password: 'smtp-secret-1',
      from: 'Qingyun Pay <notice@pay.example>',
    },
    sms: {
      mode: 'aliyun',
      signName: '青云支付',
      aliyun: {
        accessKeyId: aliyun.accessKeyId,
        accessKeySecret: overrides.aliyunSecret ?? 'aliyun-secret-9',
        endpoint: aliyun.url,
        regionId: 'cn-hangzhou',
      },
      tencent: {
        secretId: tencent.secretId,
        secretKey: 'tencent-secret-7',
        endpoint: tencent.url,
        region: 'ap-guangzhou',
        sdkAppId: tencent.sdkAppId,
      },
      ...overrides.sms,
    },
  };
}

describe('signatures against the published examples', () => {
  it('signs TC3-HMAC-SHA256 as the published example (TencentCloud.Core test vector)', () => {
    expect(
      tc3Signature({
        secretKey: 'QtXXc6HftX/LEwrSi+MR4OyVEnEslwyg',
        service: 'nlp',
        host: 'nlp.tencentcloudapi.com',
        timestamp: 1632706407,
        payload: JSON.stringify({ Query: '你好\uFF0C红领巾\uFF0C我叫白胡子' }),
      }).signature,
    ).toBe('3ec0d092a50635e6bdfcf051750d55dca5bc39e270348d8e46f928d50d3ed833');
  });

  it('percent-encodes as Aliyun’s RPC signature wants (space %20, * %2A, ~ kept)', () => {
    expect(aliyunPercentEncode("a b*c~d+e/f'!()")).toBe('a%20b%2Ac~d%2Be%2Ff%27%21%28%29');
  });
});

describe.each(testDatabases)('notifications on $kind', (database) => {
  let db: Db;
  let dispose: () => Promise<void>;
  let service: NotificationService;
  const smtp = new LocalSmtp();
  const aliyun = new FakeAliyunSms('LTAI-test-key', 'aliyun-secret-9', ['青云支付'], ALIYUN_TEMPLATES);
  const tencent = new FakeTencentSms(
    'AKID-test',
    'tencent-secret-7',
    '1400000001',
    ['青云支付'],
    TENCENT_TEMPLATES,
  );
  const TZ = 'Asia/Shanghai';

  beforeAll(async () => {
    ({ db, dispose } = await database.open());
    await Promise.all([smtp.start(), aliyun.start(), tencent.start()]);
    service = new NotificationService(db, new SecretBox(randomBytes(32)), {
      log: createLogger('silent'),
      timeZone: TZ,
      smtpFrom: 'fallback@pay.example',
      embedded: false,
      retrySeconds: [0, 0],
      timeoutMs: 5_000,
    });
    await service.saveProviderSettings(providers(smtp.port, aliyun, tencent));
    for (const [locale, code] of [
      ['zh', 'SMS_100001'],
      ['en', 'SMS_100002'],
    ] as const) {
      const t = await service.template('auth.code', locale);
      await service.saveTemplate('auth.code', locale, { ...t, smsTemplateCode: code, smsSignName: '' });
    }
  });

  afterAll(async () => {
    await service.drain();
    await Promise.all([smtp.stop(), aliyun.stop(), tencent.stop()]);
    await dispose();
  });

  beforeEach(async () => {
    await service.saveQuietHours({ enabled: false, start: '22:00', end: '08:00' });
  });

  async function row(id: string) {
    const [r] = await db.query<{
      status: string;
      attempts: number;
      text: string;
      subject: string;
      last_answer: string;
      note: string;
      provider: string;
      vars_enc: string | null;
      next_attempt_at: Date;
    }>('SELECT * FROM notification_outbox WHERE id = $1', [BigInt(id)]);
    return r!;
  }

  it('sends an e-mail through the SMTP server with the event’s template in the recipient’s language', async () => {
    const before = smtp.mails.length;
    const zh = await service.send({
      event: 'order.paid',
      recipient: { channel: 'email', address: 'Payer@Example.com', locale: 'zh' },
      vars: { merchant: '青云咖啡', amount: '12.50', orderNo: 'P1001', time: '2026-01-02 10:00:00' },
    });
    await service.saveTemplate('order.paid', 'en', {
      subject: 'Paid at {merchant}',
      body: 'Thanks! {amount} yuan for {orderNo}.',
      smsTemplateCode: '',
      smsSignName: '',
    });
    const en = await service.send({
      event: 'order.paid',
      recipient: { channel: 'email', address: 'buyer@example.com', locale: 'en' },
      vars: { merchant: 'Qingyun Coffee', amount: '8.00', orderNo: 'P1002', time: '2026-01-02 10:01:00' },
    });
    await service.drain();
    expect([zh.status, en.status]).toEqual(['queued', 'queued']);
    const mails = smtp.mails.slice(before);
    expect(mails).toHaveLength(2);
    const zhMail = mails.find((m) => m.to.includes('payer@example.com'))!;
    expect(zhMail.from).toBe('notice@pay.example');
    expect(zhMail.subject).toBe('青云咖啡 支付成功');
    expect(zhMail.text).toBe(
      '您在 青云咖啡 的订单 P1001 已支付成功,金额 12.50 元,时间 2026-01-02 10:00:00。',
    );
    const enMail = mails.find((m) => m.to.includes('buyer@example.com'))!;
    expect(enMail.subject).toBe('Paid at Qingyun Coffee');
    expect(enMail.text).toBe('Thanks! 8.00 yuan for P1002.');
    const logged = await row(en.id);
    expect([logged.status, logged.attempts, logged.provider, logged.vars_enc]).toEqual([
      'sent',
      1,
      'smtp',
      null,
    ]);
    expect(logged.last_answer).toMatch(/^250/);
    await service.resetTemplate('order.paid', 'en');
  });

  it('sends a code by Aliyun SMS with the provider template, sign name and signature, and logs it masked', async () => {
    const sent = await service.send({
      event: 'auth.code',
      recipient: { channel: 'sms', address: '138 0013 8000', locale: 'zh' },
      vars: { code: '482913', minutes: '15', username: 'alice' },
      urgent: true,
    });
    await service.drain();
    expect(aliyun.sent.at(-1)).toEqual({
      phone: '13800138000',
      signName: '青云支付',
      templateCode: 'SMS_100001',
      params: { code: '482913', minutes: '15' },
      text: '您的验证码为482913，15分钟内有效。',
    });
    const logged = await row(sent.id);
    expect(logged.status).toBe('sent');
    expect(logged.provider).toBe('aliyun');
    expect(logged.last_answer).toMatch(/^OK BizId /);
    expect(`${logged.subject}${logged.text}`).not.toContain('482913');
    expect(logged.text).toContain('******');
    const page = await service.deliveries({ event: 'auth.code', channel: 'sms' }, 10, 0);
    expect(JSON.stringify(page)).not.toContain('482913');
    expect(page.items[0]!.address).toBe('+86138****8000');
  });

  it('sends by Tencent Cloud SMS in English with the TC3 signature and ordered parameters', async () => {
    await service.saveProviderSettings(providers(smtp.port, aliyun, tencent, { sms: { mode: 'tencent' } }));
    await service.saveTemplate('auth.code', 'en', {
      ...(await service.template('auth.code', 'en')),
      smsTemplateCode: '2000002',
    });
    try {
      const sent = await service.send({
        event: 'auth.code',
        recipient: { channel: 'sms', address: '+8613900139000', locale: 'en' },
        vars: { code: '550721', minutes: '15', username: 'bob' },
        urgent: true,
      });
      await service.drain();
      expect(tencent.sent.at(-1)).toEqual({
        phone: '+8613900139000',
        signName: '青云支付',
        templateId: '2000002',
        params: ['550721', '15'],
        text: 'Your code is 550721, valid for 15 minutes.',
      });
      expect((await row(sent.id)).provider).toBe('tencent');
    } finally {
      await service.saveProviderSettings(providers(smtp.port, aliyun, tencent));
    }
  });

  it('fails a delivery the provider refuses for its signature (a wrong secret), with the provider’s words', async () => {
    // An empty secret field keeps the stored one; a new one replaces it.
    await service.saveProviderSettings(
      providers(smtp.port, aliyun, tencent, { aliyunSecret: 'not-the-secret' }),
    );
    try {
      const sent = await service.send({
        event: 'test.message',
        recipient: { channel: 'sms', address: '13800138001', locale: 'zh' },
        vars: { time: 'now' },
        urgent: true,
      });
      await service.drain();
      // No template code for test.message: refused before the provider is asked.
      expect((await row(sent.id)).last_answer).toContain('no Aliyun template code');
      const code = await service.send({
        event: 'auth.code',
        recipient: { channel: 'sms', address: '13800138001', locale: 'zh' },
        vars: { code: '111222', minutes: '15', username: 'x' },
        urgent: true,
      });
      await service.drain();
      await service.deliverDue();
      await service.deliverDue();
      const logged = await row(code.id);
      expect(logged.status).toBe('failed');
      expect(logged.attempts).toBe(3);
      expect(logged.last_answer).toMatch(/^SignatureDoesNotMatch/);
      expect(logged.last_answer).not.toContain('111222');
    } finally {
      await service.saveProviderSettings(providers(smtp.port, aliyun, tencent));
    }
  });

  it('suppresses messages to a blacklisted address and logs them as such', async () => {
    const entry = await service.addToBlacklist('sms', '+86 138 0013 8555', 'complained');
    await expect(service.addToBlacklist('sms', '13800138555', '')).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    const before = aliyun.requests;
    const sent = await service.send({
      event: 'auth.code',
      recipient: { channel: 'sms', address: '13800138555', locale: 'zh' },
      vars: { code: '909090', minutes: '15', username: 'y' },
      urgent: true,
    });
    await service.drain();
    await service.deliverDue();
    expect(sent.status).toBe('suppressed');
    expect(aliyun.requests).toBe(before);
    const logged = await row(sent.id);
    expect([logged.status, logged.note, logged.vars_enc]).toEqual(['suppressed', 'blacklist', null]);
    await service.removeFromBlacklist(BigInt(entry.id));
  });

  it('holds non-urgent messages in quiet hours and sends urgent ones', async () => {
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: TZ,
      hour: '2-digit',
      hourCycle: 'h23',
    }).format(new Date());
    const hour = Number(local);
    const hh = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
    await service.saveQuietHours({ enabled: true, start: hh(hour), end: hh(hour + 2) });
    const before = smtp.mails.length;
    const waiting = await service.send({
      event: 'alert.resolved',
      recipient: { channel: 'email', address: 'ops@pay.example', locale: 'en' },
      vars: { title: 'Channel back', time: 'now' },
    });
    const urgent = await service.send({
      event: 'alert.raised',
      recipient: { channel: 'email', address: 'ops@pay.example', locale: 'en' },
      vars: { title: 'Channel down', severity: 'critical', detail: 'sandbox', time: 'now' },
      urgent: true,
    });
    await service.drain();
    await service.deliverDue();
    expect(smtp.mails.slice(before).map((m) => m.subject)).toEqual(['[critical] Channel down']);
    const held = await row(waiting.id);
    expect([held.status, held.note]).toEqual(['queued', 'quiet_hours']);
    const waitMs = held.next_attempt_at.getTime() - Date.now();
    expect(waitMs).toBeGreaterThan(60 * 60_000);
    expect(waitMs).toBeLessThanOrEqual(2 * 60 * 60_000 + 5_000);
    expect((await row(urgent.id)).status).toBe('sent');
    // The window opens: the worker sends what waited.
    await db.query('UPDATE notification_outbox SET next_attempt_at = now() WHERE id = $1', [
      BigInt(waiting.id),
    ]);
    await service.deliverDue();
    expect((await row(waiting.id)).status).toBe('sent');
    expect(smtp.mails.at(-1)!.subject).toBe('Resolved: Channel back');
  });

  it('retries a failed delivery on the schedule, then marks it failed', async () => {
    smtp.refuseNext = 1;
    const once = await service.send({
      event: 'test.message',
      recipient: { channel: 'email', address: 'retry@pay.example', locale: 'zh' },
      vars: { time: '2026-01-02 03:04:05' },
    });
    await service.drain();
    expect((await row(once.id)).status).toBe('queued');
    expect((await row(once.id)).last_answer).toMatch(/451/);
    await service.deliverDue();
    expect([(await row(once.id)).status, (await row(once.id)).attempts]).toEqual(['sent', 2]);

    smtp.refuseNext = 10;
    const never = await service.send({
      event: 'test.message',
      recipient: { channel: 'email', address: 'never@pay.example', locale: 'zh' },
      vars: { time: '2026-01-02 03:04:05' },
    });
    await service.drain();
    await service.deliverDue();
    expect((await row(never.id)).status).toBe('queued');
    await service.deliverDue();
    const failed = await row(never.id);
    expect([failed.status, failed.attempts, failed.vars_enc]).toEqual(['failed', 3, null]);
    expect(await service.deliverDue()).toBe(0);
    smtp.refuseNext = 0;
  });

  it('previews a template with sample values and refuses unknown variables', async () => {
    expect(
      service.preview('order.paid', 'en', { subject: 'Paid', body: '{amount} yuan at {merchant}' }),
    ).toEqual({
      subject: 'Paid',
      text: '128.00 yuan at Qingyun Coffee',
    });
    expect(service.preview('auth.code', 'zh', { subject: '', body: '验证码 {code}' }).text).toBe(
      '验证码 ******',
    );
    const attempts: (() => unknown)[] = [
      () => service.preview('order.paid', 'zh', { subject: '', body: '{amount} {code}' }),
      () =>
        service.saveTemplate('test.message', 'zh', {
          subject: '{title}',
          body: 'x',
          smsTemplateCode: '',
          smsSignName: '',
        }),
    ];
    for (const attempt of attempts) {
      await expect(Promise.resolve().then(attempt)).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        details: { reason: 'unknown_variable' },
      });
    }
    expect((await service.template('test.message', 'zh')).customised).toBe(false);
  });

  it('sends operators’ messages to the recipients of the event, and customer messages only when switched on', async () => {
    await service.saveRecipients([
      { channel: 'email', address: 'Alerts@Pay.example', locale: 'en', events: ['alert.raised'] },
      { channel: 'email', address: 'finance@pay.example', locale: 'zh', events: ['order.large_payment'] },
    ]);
    expect((await service.recipients())[0]!.address).toBe('alerts@pay.example');
    const before = smtp.mails.length;
    const sent = await service.sendToOperators(
      'alert.raised',
      { title: 'Success rate low', severity: 'critical', detail: 'sandbox', time: 'now' },
      { urgent: true },
    );
    await service.drain();
    expect(sent).toHaveLength(1);
    expect(smtp.mails.slice(before).map((m) => [m.to, m.subject])).toEqual([
      [['alerts@pay.example'], '[critical] Success rate low'],
    ]);

    const [merchant] = await db.query<{ id: bigint }>(
      "INSERT INTO merchant (mch_no, name) VALUES ('M-NT-1', 'Notify Coffee') RETURNING id",
    );
    const vars = { merchant: 'Notify Coffee', amount: '9.90', orderNo: 'P77', time: 'now' };
    expect(
      await service.sendToCustomer(merchant!.id, 'order.paid', { email: 'payer@pay.example' }, vars),
    ).toBeNull();
    await service.saveCustomerOptin(merchant!.id, { orderPaid: true, refundSucceeded: false });
    const paid = await service.sendToCustomer(
      merchant!.id,
      'order.paid',
      { email: 'payer@pay.example' },
      vars,
    );
    await service.drain();
    expect(paid?.status).toBe('queued');
    expect(smtp.mails.at(-1)!.text).toContain('P77');
    expect(
      await service.sendToCustomer(merchant!.id, 'refund.succeeded', { email: 'payer@pay.example' }, vars),
    ).toBeNull();
  });

  it('keeps the provider secrets sealed, shows them masked and keeps them when left out', async () => {
    const view = await service.providerSettings();
    expect(view.email.password).toBe('********');
    expect(view.sms.aliyun.accessKeySecret).toBe('********');
    const [stored] = await db.query<{ value: string }>(
      "SELECT value FROM platform_setting WHERE key = 'notifications.providers'",
    );
    expect(stored!.value).not.toContain('aliyun-secret-9');
    expect(stored!.value).not.toContain('smtp-secret-1');
    const input = providers(smtp.port, aliyun, tencent);
    delete input.email.password;
    await service.saveProviderSettings(input);
    const before = smtp.mails.length;
    expect((await service.sendTest('email', 'kept@pay.example', 'en')).status).toBe('sent');
    await eventually(() => (smtp.mails.length > before ? true : undefined));
    expect(smtp.mails.at(-1)!.subject).toBe('Qingyun Pay test message');
  });
});
