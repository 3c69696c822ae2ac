import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeChat, FakeTelegram } from './fakes/telegram/server.ts';
import type { ConsoleClient } from './support/console.ts';
import { merchantConsole, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * The Telegram bot (OP-11) against a local fake of the Bot API: binding groups with one-time codes,
 * the commands in each group's language and scope, what is ignored, the merchants' pushed events,
 * the telegram transport, and the webhook with its secret token.
 */

const operatorsGroup: FakeChat = { id: -100_111, type: 'supergroup', title: 'Ops' };
const merchantGroup: FakeChat = { id: -100_222, type: 'group', title: '演示商户群' };
const otherMerchantGroup: FakeChat = { id: -100_333, type: 'group', title: 'Agent shop' };
const strangerGroup: FakeChat = { id: -100_444, type: 'group', title: 'Strangers' };
const ALICE = 5001;
const BOB = 5002;

for (const database of testDatabases) {
  describe(`Telegram bot (${database.kind})`, () => {
    let t: TestPlatform;
    let fake: FakeTelegram;
    let operator: ConsoleClient;
    let manager: ConsoleClient;
    let demoMerchantId: bigint;
    let paidOrderNo: string;
    let mchOrderNo: string;

    /** Sends a message in a chat and resolves with the bot's next answer there. */
    const ask = async (chat: FakeChat, text: string, from = ALICE) => {
      const before = fake.sent.length;
      fake.injectMessage(chat, from, text);
      const [answer] = await fake.waitForSent(chat.id, 1, before);
      return answer!.text;
    };
    /**
     * Sends a message the bot must ignore, then a probe in the operators' group: updates are
     * answered in order, so once the probe is answered the first message was handled — in silence.
     */
    const expectIgnored = async (chat: FakeChat, text: string, from = ALICE) => {
      const before = fake.sent.length;
      fake.injectMessage(chat, from, text);
      await ask(operatorsGroup, '/help');
      expect(fake.sent.slice(before).filter((m) => m.chatId === chat.id)).toEqual([]);
    };
    const bindingCode = async (client: ConsoleClient, path: string, body: unknown) => {
      const answer = await client.call<{ code: string; command: string; expiresAt: string }>(
        'POST',
        path,
        body,
      );
      expect(answer.status).toBe(201);
      return answer.body;
    };

    beforeAll(async () => {
      fake = await new FakeTelegram().start();
      t = await startTestPlatform(database);
      operator = await operatorConsole(t);
      const merchant = await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo);
      demoMerchantId = merchant.id;
      manager = await merchantConsole(t, { merchantId: merchant.id, merchantRole: 'manager' });
      mchOrderNo = `bot-${Date.now()}`;
      paidOrderNo = (await paidSandboxOrder(t.client, { mchOrderNo, amount: 12_345, subject: 'bot test' }))
        .orderNo;
    }, 60_000);

    afterAll(async () => {
      await t?.stop();
      await fake?.stop();
    });

    it('refuses a wrong token, keeps the right one sealed and never returns it', async () => {
      const wrong = await operator.call('PUT', '/api/admin/bot', {
        token: '42:AAwrongTokenWrongTokenWrongToken',
        apiBaseUrl: fake.url,
      });
      expect(wrong.status).toBe(502);
      expect(wrong.body).toMatchObject({ code: 'BOT_API_ERROR', details: { reason: 'unauthorized' } });
      expect((await operator.call<{ configured: boolean }>('GET', '/api/admin/bot')).body.configured).toBe(
        false,
      );

      const saved = await operator.call('PUT', '/api/admin/bot', {
        token: fake.token,
        apiBaseUrl: fake.url,
        mode: 'polling',
      });
      expect(saved.status).toBe(200);
      expect(saved.body).toMatchObject({
        configured: true,
        mode: 'polling',
        botUsername: 'qingyun_test_bot',
      });
      expect(saved.text).not.toContain(fake.token);
      const [row] = await t.platform.services.db.query<{ token_enc: string }>(
        'SELECT token_enc FROM bot_config',
      );
      expect(row!.token_enc).not.toContain(fake.token.split(':')[1]!);
      const audit = await t.platform.services.db.query<{ after: unknown }>(
        "SELECT after FROM audit_log WHERE action_key = 'bot.update'",
      );
      expect(JSON.stringify(audit)).not.toContain(fake.token.split(':')[1]!);
    });

    it('binds a group with a one-time code, in the language of the code', async () => {
      const code = await bindingCode(operator, '/api/admin/bot/binding-codes', {
        subject: 'operators',
        language: 'en',
      });
      expect(code.command).toBe(`/bind ${code.code}`);
      expect(await ask(operatorsGroup, code.command)).toContain('bound to the platform operators');

      const { body } = await operator.call<{
        items: { chatId: string; subject: string; language: string }[];
      }>('GET', '/api/admin/bot/groups');
      expect(body.items).toContainEqual(
        expect.objectContaining({ chatId: String(operatorsGroup.id), subject: 'operators', language: 'en' }),
      );

      // The code was used: another group sending it is not bound, and hears nothing.
      await expectIgnored(strangerGroup, code.command);
      // An expired code binds nothing either.
      const expired = await t.platform.services.bot.createBindingCode(
        { kind: 'operators' },
        'en',
        BigInt(operator.userId),
        new Date(Date.now() - 11 * 60_000),
      );
      await expectIgnored(strangerGroup, expired.command);
      const groups = await t.platform.services.bot.groups();
      expect(groups.map((g) => g.chatId)).not.toContain(String(strangerGroup.id));
    });

    it('binds a merchant group from the portal and answers it in Chinese, about its merchant only', async () => {
      const code = await bindingCode(manager, '/api/merchant/bot/binding-codes', { language: 'zh' });
      expect(await ask(merchantGroup, `/bind@qingyun_test_bot ${code.code}`)).toContain('本群已绑定到商户');

      const balance = await ask(merchantGroup, '/balance');
      expect(balance).toContain('可用余额');
      expect(balance).toContain('待结算');
      const today = await ask(merchantGroup, '/today');
      expect(today).toMatch(/支付成功: 1 笔, 123\.45 元/);
      expect(today).toContain('成功率: 100.0%');
      const order = await ask(merchantGroup, `/order ${mchOrderNo}`);
      expect(order).toContain(paidOrderNo);
      expect(order).toContain('支付成功');
      expect(order).toContain('123.45 元');
      expect(await ask(merchantGroup, '/help')).toContain('/order');
      // /channels is the operators'.
      await expectIgnored(merchantGroup, '/channels');

      const portal = await manager.call<{ items: { chatId: string }[] }>('GET', '/api/merchant/bot/groups');
      expect(portal.body.items.map((g) => g.chatId)).toEqual([String(merchantGroup.id)]);
    });

    it("does not show a merchant group another merchant's order", async () => {
      const code = await bindingCode(operator, '/api/admin/bot/binding-codes', {
        subject: 'merchant',
        mchNo: t.demo.agent.mchNo,
        language: 'en',
      });
      expect(await ask(otherMerchantGroup, code.command)).toContain('bound to merchant');
      expect(await ask(otherMerchantGroup, `/order ${paidOrderNo}`)).toBe(`No order ${paidOrderNo}`);
      expect(await ask(otherMerchantGroup, `/order ${mchOrderNo}`)).toBe(`No order ${mchOrderNo}`);
      expect(await ask(otherMerchantGroup, '/today')).toContain('Paid: 0 orders, CNY 0.00');
      // The operators find it by the channel's number too.
      const row = await t.platform.services.orders.requireByOrderNo(paidOrderNo);
      const found = await ask(operatorsGroup, `/order ${row.channel_order_no}`);
      expect(found).toContain(paidOrderNo);
      expect(found).toContain(t.demo.merchant.mchNo);
      expect(await ask(operatorsGroup, '/order 12')).toContain('at least the last 4 digits');
    });

    it('answers the operators with platform figures in English', async () => {
      const balance = await ask(operatorsGroup, '/balance');
      expect(balance).toContain("Merchants' pending settlement, total");
      expect(await ask(operatorsGroup, '/today')).toMatch(/Paid: 1 order, CNY 123\.45/);
      const channels = await ask(operatorsGroup, '/channels');
      expect(channels).toContain('Channel accounts: success rate');
      expect(channels).toMatch(/100\.0%/);
      expect(await ask(operatorsGroup, '/help')).toContain('/channels');
    });

    it('ignores unbound groups, private chats, disabled groups and users not allowed', async () => {
      await expectIgnored(strangerGroup, '/balance');
      await expectIgnored({ id: ALICE, type: 'private' }, '/balance');
      const [group] = (await t.platform.services.bot.groups({ merchantId: demoMerchantId })) ?? [];
      const patch = (body: unknown) => manager.call('PATCH', `/api/merchant/bot/groups/${group!.id}`, body);

      expect((await patch({ enabled: false })).status).toBe(200);
      await expectIgnored(merchantGroup, '/balance');
      expect((await patch({ enabled: true, allowedUserIds: [String(BOB)] })).status).toBe(200);
      await expectIgnored(merchantGroup, '/balance', ALICE);
      expect(await ask(merchantGroup, '/balance', BOB)).toContain('可用余额');
      expect((await patch({ allowedUserIds: [] })).status).toBe(200);

      // Another merchant's manager cannot change or unbind this group.
      const agentMerchant = await t.platform.services.merchants.requireMerchant(t.demo.agent.mchNo);
      const stranger = await merchantConsole(t, { merchantId: agentMerchant.id, merchantRole: 'manager' });
      expect((await stranger.call('DELETE', `/api/merchant/bot/groups/${group!.id}`)).status).toBe(404);
    });

    it("pushes a merchant's large payments and failed notifies to its groups once", async () => {
      const services = t.platform.services;
      const [group] = await services.bot.groups({ merchantId: demoMerchantId });
      expect(
        (
          await manager.call('PATCH', `/api/merchant/bot/groups/${group!.id}`, {
            largePaymentThreshold: 50_000,
          })
        ).status,
      ).toBe(200);
      // The bot-events job runs every two seconds too: whichever run comes first tells the group.
      const before = fake.sent.length;
      const small = await paidSandboxOrder(t.client, {
        mchOrderNo: `small-${Date.now()}`,
        amount: 100,
        subject: 's',
      });
      const large = await paidSandboxOrder(t.client, {
        mchOrderNo: `large-${Date.now()}`,
        amount: 88_800,
        subject: 'l',
        // Nothing listens there: every attempt is refused.
        notifyUrl: 'http://127.0.0.1:9/notify',
      });
      await services.bot.pushEvents();
      const pushed = await fake.waitForSent(merchantGroup.id, 1, before);
      expect(pushed.map((m) => m.text).join('\n')).toContain('大额收款');
      expect(pushed.map((m) => m.text).join('\n')).toContain('888.00 元');
      expect(pushed.map((m) => m.text).join('\n')).toContain(large.orderNo);
      expect(pushed.map((m) => m.text).join('\n')).not.toContain(small.orderNo);

      // Its notify fails for good once the schedule (five attempts in tests) is used up.
      const failed = await fake.waitForSent(merchantGroup.id, 2, before, 20_000);
      const failedText = failed.map((m) => m.text).find((text) => text.includes('商户通知发送失败'));
      expect(failedText).toContain(large.orderNo);

      // Read again: nothing is told twice; the other merchant's group heard nothing of it.
      const beforeAgain = fake.sent.length;
      await services.bot.pushEvents();
      expect(fake.sent.slice(beforeAgain)).toEqual([]);
      expect(
        fake.sent.filter((m) => m.chatId === otherMerchantGroup.id && m.text.includes(large.orderNo)),
      ).toEqual([]);
    });

    it('gives the notifications domain its transport and the groups of a subject', async () => {
      const services = t.platform.services;
      expect(await services.bot.groupsOf({ kind: 'operators' })).toEqual([
        expect.objectContaining({ chatId: String(operatorsGroup.id), locale: 'en' }),
      ]);
      expect(await services.bot.groupsOf({ kind: 'merchant', merchantId: demoMerchantId })).toEqual([
        expect.objectContaining({ chatId: String(merchantGroup.id), locale: 'zh' }),
      ]);
      const transport = services.bot.transport();
      expect(transport.channel).toBe('telegram');
      const before = fake.sent.length;
      await transport.deliver(String(operatorsGroup.id), { subject: 'Alert', text: 'Channel A failing' });
      expect((await fake.waitForSent(operatorsGroup.id, 1, before))[0]!.text).toBe(
        'Alert\n\nChannel A failing',
      );
      await expect(transport.deliver('-999', { subject: '', text: 'x' })).rejects.toMatchObject({
        code: 'BOT_API_ERROR',
        details: { reason: 'chat_unavailable' },
      });

      const [group] = await services.bot.groups({ merchantId: demoMerchantId });
      const test = await operator.call('POST', `/api/admin/bot/groups/${group!.id}/test`);
      expect(test.status).toBe(200);
      expect(fake.sent.at(-1)).toMatchObject({
        chatId: merchantGroup.id,
        text: '这是一条来自青云支付的测试消息。',
      });
    });

    it('takes updates by webhook, only with the secret token', async () => {
      const saved = await operator.call('PUT', '/api/admin/bot', { mode: 'webhook' });
      expect(saved.status).toBe(200);
      expect(saved.body).toMatchObject({ mode: 'webhook', webhookState: 'set' });
      expect(fake.webhook?.url).toBe(`${t.platform.url}/api/telegram/webhook`);
      expect(fake.webhook?.secretToken).toMatch(/^[A-Za-z0-9_-]{32,}$/);

      const deliveries = fake.deliveries.length;
      expect(await ask(operatorsGroup, '/help')).toContain('Commands:');
      await eventually(() => (fake.deliveries.length > deliveries ? true : undefined));
      expect(fake.deliveries.at(-1)?.status).toBe(200);

      const update = {
        update_id: 1,
        message: { message_id: 1, date: 0, chat: operatorsGroup, from: { id: ALICE }, text: '/balance' },
      };
      const post = (secret?: string) =>
        fetch(`${t.platform.url}/api/telegram/webhook`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}),
          },
          body: JSON.stringify(update),
        });
      const before = fake.sent.length;
      expect((await post()).status).toBe(403);
      expect((await post('not-the-secret')).status).toBe(403);
      expect(fake.sent.length).toBe(before);
      expect((await post(fake.webhook!.secretToken)).status).toBe(200);
      expect(fake.sent.length).toBe(before + 1);

      // Back to long polling: the webhook is deleted and getUpdates answers again.
      const back = await operator.call('PUT', '/api/admin/bot', { mode: 'polling' });
      expect(back.body).toMatchObject({ mode: 'polling', webhookState: 'none' });
      expect(fake.webhook).toBeNull();
      expect(await ask(operatorsGroup, '/help')).toContain('Commands:');
    });

    it('unbinds a group, which then hears nothing', async () => {
      const [group] = await t.platform.services.bot.groups({ merchantId: demoMerchantId });
      expect((await operator.call('DELETE', `/api/admin/bot/groups/${group!.id}`)).status).toBe(204);
      await expectIgnored(merchantGroup, '/balance');
      expect(
        await t.platform.services.bot.groupsOf({ kind: 'merchant', merchantId: demoMerchantId }),
      ).toEqual([]);
    });
  });
}
