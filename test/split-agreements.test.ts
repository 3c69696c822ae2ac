import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import type { AppKeys } from '../src/merchants/service.ts';
import { ConsoleClient, merchantConsole, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { createTestMember, type TestMember } from './support/members.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * Split-and-commission agreements (分账抽佣协议): a rule's member party is asked to sign by SMS to
 * its bound phone when the rule names it, when the merchant sends it again and when its terms
 * change; the member reads it in its portal (in its language) and signs it there; the rule shows it
 * signed; a rule with an unsigned member party takes no new orders (SPLIT_AGREEMENT_UNSIGNED); the
 * signed document downloads for the member and the merchant; no member reaches another's agreement
 * and no merchant another's document.
 */

interface Agreement {
  id: string;
  agreementNo: string;
  merchantName: string;
  appId: string;
  ruleNo: string;
  ruleName: string;
  basis: string;
  value: number;
  floor: number | null;
  cap: number | null;
  state: 'pending' | 'signed';
  signedAt: string | null;
  signedVia: string | null;
  termsDigest: string;
  text?: string;
}
interface RuleView {
  ruleNo: string;
  parties: {
    id: string;
    party: { kind: string; memberNo?: string };
    agreementState: string | null;
    agreementSignedAt: string | null;
    agreementSignedVia: string | null;
  }[];
}

for (const database of testDatabases) {
  describe(`split agreements on ${database.kind}`, () => {
    let t: TestPlatform;
    let app: AppKeys;
    let merchant: ConsoleClient;
    let otherMerchant: ConsoleClient;
    const suffix = Date.now().toString().slice(-6);
    const phones = { a: `136${suffix}11`, b: `136${suffix}22` };
    let a: TestMember;
    let b: TestMember;
    let memberA: ConsoleClient;
    let memberB: ConsoleClient;
    let sequence = 0;
    const services = () => t.platform.services;

    async function memberLogin(member: TestMember): Promise<ConsoleClient> {
      const username = `sa_${member.bizUserId}`;
      const password = `pw7-${randomBytes(9).toString('base64url')}`;
      await services().consoleUsers.createUser({
        area: 'member',
        username,
        password,
        displayName: member.bizUserId,
        memberId: member.id,
      });
      const client = new ConsoleClient(t.platform.url);
      expect(await client.login('member', username, password)).toBe('active');
      return client;
    }
    /** The SMS messages asking a phone to sign, oldest first. */
    const smsTo = (phone: string) =>
      services().db.query<{ text: string }>(
        `SELECT text FROM notification_outbox WHERE event = 'member.split_agreement' AND address = $1 ORDER BY id`,
        [`+86${phone}`],
      );
    async function refusal(promise: Promise<unknown>): Promise<{ code: string; details?: unknown }> {
      try {
        await promise;
      } catch (error) {
        if (error instanceof AppError) return { code: error.code, details: error.details };
        throw error;
      }
      return { code: 'none' };
    }
    const order = (ruleNo: string) =>
      services().orders.createOrder(app, {
        mchOrderNo: `SA${suffix}${++sequence}`,
        productCode: 'sandbox_qr',
        amount: 10_000n,
        subject: 'agreement test',
        payee: { bizUserId: b.bizUserId },
        splitRuleNo: ruleNo,
      });
    const createRule = (parties: object[]) =>
      merchant.ok<RuleView>('POST', '/api/merchant/split-rules', {
        name: `佣金 ${suffix}-${++sequence}`,
        appId: app.appId,
        receiver: { kind: 'payee' },
        parties,
      });
    const agreementOf = async (client: ConsoleClient, ruleNo: string) =>
      (await client.ok<{ items: Agreement[] }>('GET', '/api/member/split-agreements')).items.find(
        (x) => x.ruleNo === ruleNo,
      );

    beforeAll(async () => {
      t = await startTestPlatform(database);
      const s = services();
      app = (await s.merchants.appKeys(t.demo.merchant.appId))!;
      // SMS through the log provider, so every message is in the delivery log on both databases.
      const admin = await operatorConsole(t);
      const providers = await admin.ok<{ email: Record<string, unknown>; sms: Record<string, unknown> }>(
        'GET',
        '/api/admin/notifications/providers',
      );
      await admin.ok('PUT', '/api/admin/notifications/providers', {
        email: { ...providers.email, mode: 'log', password: undefined, envHost: undefined },
        sms: { ...providers.sms, mode: 'log' },
      });
      a = await createTestMember(s, { appId: app.appId, bizUserId: `sa-a-${suffix}`, name: '李木' });
      b = await createTestMember(s, { appId: app.appId, bizUserId: `sa-b-${suffix}`, name: '王林' });
      for (const [m, phone] of [
        [a, phones.a],
        [b, phones.b],
      ] as const) {
        await s.db.query('UPDATE member SET phone = $2 WHERE id = $1', [m.id, phone]);
      }
      memberA = await memberLogin(a);
      memberB = await memberLogin(b);
      merchant = new ConsoleClient(t.platform.url);
      expect(
        await merchant.login('merchant', t.demo.merchantManager.username, t.demo.merchantManager.password),
      ).toBe('active');
      const other = await s.merchants.createMerchant({ name: `Other marketplace ${suffix}` });
      otherMerchant = await merchantConsole(t, { merchantId: other.id, merchantRole: 'manager' });
    }, 180_000);

    afterAll(async () => {
      await t?.stop();
    });

    it('asks the member by SMS when a rule names it and when the merchant sends it again', async () => {
      const rule = await createRule([
        { party: { kind: 'merchant' }, basis: 'ppm', value: 10_000 },
        {
          party: { kind: 'member', memberNo: a.memberNo },
          basis: 'ppm',
          value: 50_000,
          floor: 100,
          cap: 1_000,
        },
      ]);
      expect(rule.parties[1]!.agreementState).toBe('pending');
      const first = await smsTo(phones.a);
      expect(first.length).toBeGreaterThanOrEqual(1);
      expect(first.at(-1)!.text).toContain('按订单金额的 5%，不低于 1.00 元，不高于 10.00 元');
      expect(first.at(-1)!.text).toContain('李木');
      await merchant.ok(
        'POST',
        `/api/merchant/split-rules/${rule.ruleNo}/parties/${rule.parties[1]!.id}/resend-agreement`,
      );
      expect((await smsTo(phones.a)).length).toBe(first.length + 1);
      // The merchant party signs nothing; member B is not named and hears nothing.
      expect(await smsTo(phones.b)).toEqual([]);
    });

    it('lets the member read and sign its own agreement, after which the rule takes orders', async () => {
      const rule = await createRule([
        {
          party: { kind: 'member', memberNo: a.memberNo },
          basis: 'ppm',
          value: 50_000,
          floor: 100,
          cap: 1_000,
        },
      ]);
      // Unsigned: the rule takes no new orders, naming the member.
      const refused = await refusal(order(rule.ruleNo));
      expect(refused).toMatchObject({ code: 'SPLIT_AGREEMENT_UNSIGNED', details: { memberNo: a.memberNo } });

      const pending = (await agreementOf(memberA, rule.ruleNo))!;
      expect(pending).toMatchObject({
        state: 'pending',
        appId: app.appId,
        basis: 'ppm',
        value: 50_000,
        floor: 100,
        cap: 1_000,
        signedAt: null,
      });
      expect(pending.merchantName).not.toBe('');
      const zh = await memberA.ok<Agreement>('GET', `/api/member/split-agreements/${pending.id}`);
      expect(zh.text).toContain('分账抽佣协议');
      expect(zh.text).toContain('按订单金额的 5%，不低于 1.00 元，不高于 10.00 元');
      expect(zh.text).toContain(`会员编号：${a.memberNo}`);
      expect(zh.text).toContain('待签署');
      const en = await memberA.ok<Agreement>('GET', `/api/member/split-agreements/${pending.id}?lang=en`);
      expect(en.text).toContain('5% of the order amount, at least 1.00 yuan, at most 10.00 yuan');
      expect(en.text).not.toContain('按订单金额');

      // Nothing to download before the signature; a wrong digest signs nothing.
      expect((await memberA.get(`/api/member/split-agreements/${pending.id}/document`)).status).toBe(404);
      const wrong = await memberA.call<{ code: string }>(
        'POST',
        `/api/member/split-agreements/${pending.id}/sign`,
        { termsDigest: '0'.repeat(32) },
      );
      expect([wrong.status, wrong.body.code]).toEqual([409, 'SPLIT_AGREEMENT_CHANGED']);

      const signed = await memberA.ok<Agreement>('POST', `/api/member/split-agreements/${pending.id}/sign`, {
        termsDigest: pending.termsDigest,
      });
      expect(signed).toMatchObject({ state: 'signed', signedVia: 'member_portal' });
      expect(Date.parse(signed.signedAt!)).toBeGreaterThan(Date.now() - 60_000);
      // Signing again answers the same signature.
      const again = await memberA.ok<Agreement>('POST', `/api/member/split-agreements/${pending.id}/sign`, {
        termsDigest: pending.termsDigest,
      });
      expect(again.signedAt).toBe(signed.signedAt);

      // The merchant's rule shows it signed, and the rule takes orders now.
      const { items } = await merchant.ok<{ items: RuleView[] }>('GET', '/api/merchant/split-rules');
      expect(items.find((r) => r.ruleNo === rule.ruleNo)!.parties[0]).toMatchObject({
        agreementState: 'signed',
        agreementSignedAt: signed.signedAt,
        agreementSignedVia: 'member_portal',
      });
      const { order: created } = await order(rule.ruleNo);
      expect(created.order_no).toBeTruthy();

      // The signed document, the member's and the merchant's the same.
      const mine = await memberA.get<string>(`/api/member/split-agreements/${pending.id}/document`);
      expect(mine.status).toBe(200);
      expect(mine.headers.get('content-type')).toContain('text/plain');
      expect(mine.headers.get('content-disposition')).toContain(`split-agreement-SA${pending.id}.txt`);
      expect(mine.text).toContain('签署时间：');
      expect(mine.text).toContain('会员门户自助签署');
      expect(mine.text).toContain(rule.ruleNo);
      const theirs = await merchant.get<string>(
        `/api/merchant/split-rules/${rule.ruleNo}/parties/${pending.id}/agreement-document`,
      );
      expect(theirs.status).toBe(200);
      expect(theirs.text).toBe(mine.text);

      const audited = async () =>
        (
          await services().db.query<{ action: string }>(
            `SELECT action FROM audit_log WHERE action_key = 'split_rule.sign_agreement' AND target_id = $1`,
            [rule.ruleNo],
          )
        ).length;
      // Both calls are in the audit log; the second changed nothing.
      await expect.poll(audited).toBe(2);
    });

    it('never shows one member another’s agreement, nor one merchant another’s document', async () => {
      const rule = await createRule([
        { party: { kind: 'member', memberNo: a.memberNo }, basis: 'fixed', value: 30 },
      ]);
      const mine = (await agreementOf(memberA, rule.ruleNo))!;
      expect(await agreementOf(memberB, rule.ruleNo)).toBeUndefined();
      for (const [method, path, body] of [
        ['GET', `/api/member/split-agreements/${mine.id}`, undefined],
        ['POST', `/api/member/split-agreements/${mine.id}/sign`, { termsDigest: mine.termsDigest }],
        ['GET', `/api/member/split-agreements/${mine.id}/document`, undefined],
      ] as const) {
        const answer = await memberB.call<{ code: string }>(method, path, body);
        expect([path, answer.status, answer.body.code]).toEqual([path, 404, 'NOT_FOUND']);
      }
      expect((await agreementOf(memberA, rule.ruleNo))!.state).toBe('pending');
      await memberA.ok('POST', `/api/member/split-agreements/${mine.id}/sign`, {
        termsDigest: mine.termsDigest,
      });
      const other = await otherMerchant.call<{ code: string }>(
        'GET',
        `/api/merchant/split-rules/${rule.ruleNo}/parties/${mine.id}/agreement-document`,
      );
      expect([other.status, other.body.code]).toEqual([404, 'SPLIT_RULE_NOT_FOUND']);
      // A merchant's or an operator's session is not a member's.
      expect([401, 403]).toContain((await merchant.get('/api/member/split-agreements')).status);
    });

    it('puts a signed party back to pending when its terms change, and asks it again', async () => {
      const parties = (value: number, merchantValue: number) => [
        { party: { kind: 'member', memberNo: a.memberNo }, basis: 'ppm', value },
        { party: { kind: 'merchant' }, basis: 'fixed', value: merchantValue },
      ];
      const rule = await createRule(parties(20_000, 10));
      const first = (await agreementOf(memberA, rule.ruleNo))!;
      await memberA.ok('POST', `/api/member/split-agreements/${first.id}/sign`, {
        termsDigest: first.termsDigest,
      });
      const put = (body: object[]) =>
        merchant.ok<RuleView>('PUT', `/api/merchant/split-rules/${rule.ruleNo}`, {
          name: 'changed',
          appId: app.appId,
          parties: body,
        });
      // The merchant's own part changes: the member's signature stands.
      expect((await put(parties(20_000, 20))).parties[0]!.agreementState).toBe('signed');
      const sent = (await smsTo(phones.a)).length;
      // The member's commission changes: it signs again before the rule takes orders.
      const changed = await put(parties(30_000, 20));
      expect(changed.parties[0]).toMatchObject({
        id: first.id,
        agreementState: 'pending',
        agreementSignedAt: null,
      });
      expect((await smsTo(phones.a)).length).toBe(sent + 1);
      expect((await refusal(order(rule.ruleNo))).code).toBe('SPLIT_AGREEMENT_UNSIGNED');
      const stale = await memberA.call<{ code: string }>(
        'POST',
        `/api/member/split-agreements/${first.id}/sign`,
        {
          termsDigest: first.termsDigest,
        },
      );
      expect(stale.body.code).toBe('SPLIT_AGREEMENT_CHANGED');
      const now = (await agreementOf(memberA, rule.ruleNo))!;
      expect(now.value).toBe(30_000);
      await memberA.ok('POST', `/api/member/split-agreements/${now.id}/sign`, {
        termsDigest: now.termsDigest,
      });
      expect((await order(rule.ruleNo)).order.order_no).toBeTruthy();
    });
  });
}
