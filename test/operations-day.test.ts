import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingyunApiError, QingyunClient } from '../sdk/index.ts';
import { DEMO_PRODUCT } from '../src/app/demo.ts';
import { type FakeChat, FakeTelegram } from './fakes/telegram/server.ts';
import { type ConsoleClient, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { bindDemoProduct, eventually, startTestPlatform, type TestPlatform } from './support/platform.ts';
import { LocalSmtp } from './support/smtp.ts';

/**
 * An operator's day, end to end through the running platform: a channel account fails (the
 * sandbox's fault injection), its circuit opens and traffic moves to the other binding; the alert
 * shows in the console and reaches the on-call address by e-mail (a local SMTP server) and the
 * bound operators' Telegram group (the fake Bot API); the bot answers /today; the notify schedule
 * is changed in the console; a deleted app is refused and restored.
 */

const opsGroup: FakeChat = { id: -100_901, type: 'supergroup', title: '运维群' };
const ALICE = 7001;

describe.each(testDatabases)("an operator's day on $kind", (database) => {
  let t: TestPlatform;
  let operator: ConsoleClient;
  let fake: FakeTelegram;
  const smtp = new LocalSmtp();
  let seq = 0;

  /** Sends a message in the operators' group and resolves with the bot's next answer there. */
  const ask = async (text: string) => {
    const before = fake.sent.length;
    fake.injectMessage(opsGroup, ALICE, text);
    const [answer] = await fake.waitForSent(opsGroup.id, 1, before, 20_000);
    return answer!.text;
  };

  beforeAll(async () => {
    fake = await new FakeTelegram().start();
    await smtp.start();
    t = await startTestPlatform(database);
    operator = await operatorConsole(t);

    // E-mail through the local SMTP server; no SMS today.
    await operator.ok('PUT', '/api/admin/notifications/providers', {
      email: {
        mode: 'smtp',
        host: '127.0.0.1',
        port: smtp.port,
        secure: false,
        username: 'mailer',
        password: 'smtp-secret-1',
        from: 'Qingyun Pay <alerts@pay.example>',
      },
      sms: {
        mode: 'off',
        signName: '',
        aliyun: { accessKeyId: '', endpoint: 'https://dysmsapi.aliyuncs.com', regionId: 'cn-hangzhou' },
        tencent: {
          secretId: '',
          endpoint: 'https://sms.tencentcloudapi.com',
          region: 'ap-guangzhou',
          sdkAppId: '',
        },
      },
    });
    // The bot, and the operators' group bound with a one-time code.
    await operator.ok('PUT', '/api/admin/bot', { token: fake.token, apiBaseUrl: fake.url, mode: 'polling' });
    const code = await operator.ok<{ command: string }>('POST', '/api/admin/bot/binding-codes', {
      subject: 'operators',
      language: 'zh',
    });
    expect(await ask(code.command)).toContain('运营');
    // Alerts of every kind go to the on-call address and to the group.
    for (const route of [
      { name: 'on call', channel: 'email', address: 'oncall@pay.example' },
      { name: 'ops group', channel: 'telegram', address: String(opsGroup.id) },
    ]) {
      await operator.ok('POST', '/api/admin/alert-routes', {
        ...route,
        kinds: [],
        minSeverity: 'warning',
        locale: 'zh',
        enabled: true,
      });
    }
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
    await fake?.stop();
    await smtp.stop();
  });

  it('a failing channel account opens its circuit, traffic moves away, and the alert reaches the console, e-mail and the group', async () => {
    const [a, b] = t.channelAccountIds as [bigint, bigint];
    const { catalog, orders, alerts } = t.platform.services;
    await bindDemoProduct(t, a, { weight: 70, priority: 1 });
    await bindDemoProduct(t, b, { weight: 30, priority: 0 });
    await operator.ok('PUT', `/api/admin/channel-accounts/${a}/breaker`, { failureThreshold: 3 });
    const place = async () => {
      const order = await t.client.createOrder({
        mchOrderNo: `DAY-${++seq}`,
        productCode: DEMO_PRODUCT,
        amount: 100,
        subject: 'an ordinary day',
      });
      return (await orders.requireByOrderNo(order.orderNo)).channel_account_id!;
    };
    expect(await place()).toBe(a);

    // A refuses every create: the orders fail over to B, and after three failures the circuit opens.
    await catalog.updateChannelAccount(a, { config: { faults: { refuseCreate: true } } });
    for (let i = 0; i < 3; i++) expect(await place()).toBe(b);
    await eventually(
      async () => {
        const health = await operator.ok<{ channelAccountId: string; circuit: string }[]>(
          'GET',
          '/api/admin/channel-health',
        );
        return health.find((h) => h.channelAccountId === String(a))?.circuit === 'open' ? true : undefined;
      },
      10_000,
      'the circuit of A open',
    );
    // With the circuit open, A is not even tried.
    expect(await place()).toBe(b);

    const sentBefore = fake.sent.length;
    await alerts.runDetectors();
    const list = await operator.ok<{ items: { kind: string; severity: string; subjectId: string }[] }>(
      'GET',
      '/api/admin/alerts?kind=channel.circuit_open',
    );
    expect(list.items).toContainEqual(
      expect.objectContaining({ kind: 'channel.circuit_open', severity: 'critical', subjectId: String(a) }),
    );

    const mail = await eventually(
      () => smtp.mails.find((m) => m.to.includes('oncall@pay.example')),
      20_000,
      'the alert e-mail',
    );
    expect(`${mail.subject}\n${mail.text}`).toContain('熔断');
    const [pushed] = await fake.waitForSent(opsGroup.id, 1, sentBefore, 20_000);
    expect(pushed!.text).toContain('熔断');
    // One open alert: a second detection tells nobody again.
    await alerts.runDetectors();
    const mails = smtp.mails.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.mails.length).toBe(mails);
  });

  it('the bot answers /today in the group, with the figures of today', async () => {
    const answer = await ask('/today');
    expect(answer).toContain('今日');
    expect(answer).toContain('订单数');
  });

  it('the notify schedule changes in the console and is what the settings say at once', async () => {
    await operator.ok('PUT', '/api/admin/settings/notify-schedule', { scheduleSeconds: [0, 30, 300, 3600] });
    const settings = await operator.ok<{ notifySchedule: { scheduleSeconds: number[]; isDefault: boolean } }>(
      'GET',
      '/api/admin/settings/platform',
    );
    expect(settings.notifySchedule).toEqual({ scheduleSeconds: [0, 30, 300, 3600], isDefault: false });
  });

  it('a deleted app is refused at once and works again once restored', async () => {
    const mchNo = t.demo.merchant.mchNo;
    const created = await operator.ok<{ app: { appId: string }; secret: string }>(
      'POST',
      `/api/admin/merchants/${mchNo}/apps`,
      { name: 'Counter 3' },
    );
    const client = new QingyunClient({
      baseUrl: t.platform.url,
      mchNo,
      appId: created.app.appId,
      key: { type: 'HMAC-SHA256', secret: created.secret },
    });
    const order = () =>
      client.createOrder({
        mchOrderNo: `DAY-APP-${randomBytes(6).toString('hex')}`,
        productCode: DEMO_PRODUCT,
        amount: 100,
        subject: 'recycle bin',
      });
    await order();
    await operator.ok('DELETE', `/api/admin/apps/${created.app.appId}`);
    const refused = await order().then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(QingyunApiError);
    expect((refused as QingyunApiError).code).toBe('APP_DELETED');

    const bin = await operator.ok<{ items: { id: string; key: string }[] }>(
      'GET',
      '/api/admin/recycle-bin?type=app',
    );
    const item = bin.items.find((i) => i.key === created.app.appId)!;
    await operator.ok('POST', `/api/admin/recycle-bin/app/${item.id}/restore`);
    expect((await order()).orderNo).toBeTruthy();
  });
});
