import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LINK_TTL_SECONDS } from '../src/members/onboarding.ts';
import type { SandboxVerifier } from '../src/members/verifier.ts';
import { type ConsoleClient, merchantConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * Self-service onboarding by signing link (签约链接): the merchant creates a link valid 7 days; the
 * member, with no login, does identity (verifier), licence images (enterprises), phone (SMS code),
 * card (optional) and signs, each step saved so the link resumes; signing opens the member active
 * with its agreement and card. Expired, revoked and completed links refuse and change nothing;
 * another merchant neither lists nor revokes the link.
 */

interface LinkView {
  linkNo: string;
  state: string;
  expiresAt: string;
  remainingSeconds: number;
  url: string;
  memberNo: string | null;
  progress: { identity: boolean; licence: boolean; phone: boolean; card: string | null };
  images: { kind: string; size: number }[];
}
interface PageView {
  merchantName: string;
  state: string;
  nextStep: string | null;
  done: Record<string, boolean>;
  identity: { name: string; idNoMasked: string } | null;
  phoneMasked: string | null;
  card: { last4: string } | null;
  memberNo: string | null;
  agreement: { version: string; text: string };
}
interface Refusal {
  code: string;
  details?: Record<string, unknown>;
}

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

for (const database of testDatabases) {
  describe(`member onboarding links on ${database.kind}`, () => {
    let t: TestPlatform;
    let manager: ConsoleClient;
    let cashier: ConsoleClient;
    let otherManager: ConsoleClient;
    const sms: { phone: string; code: string }[] = [];
    const suffix = Date.now().toString().slice(-6);
    const services = () => t.platform.services;
    const verifier = () => services().members.verifier as SandboxVerifier;
    const lastCode = (phone: string) => sms.filter((s) => s.phone === phone).at(-1)!.code;
    const tokenOf = (url: string) => url.split('/onboard/')[1]!;
    const origin = () => ({ origin: t.platform.url });

    async function publicCall<T>(method: string, path: string, body?: unknown) {
      const response = await fetch(`${t.platform.url}${path}`, {
        method,
        headers: body === undefined ? origin() : { ...origin(), 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as T, headers: response.headers };
    }
    const page = (token: string) => publicCall<PageView & Refusal>('GET', `/api/onboarding/${token}`);
    const step = (token: string, path: string, body: unknown = {}) =>
      publicCall<PageView & Refusal>('POST', `/api/onboarding/${token}/${path}`, body);
    async function newLink(body: Record<string, unknown> = {}): Promise<LinkView> {
      const answer = await manager.send<LinkView>('POST', '/api/merchant/member-onboarding-links', body);
      expect(answer.status).toBe(201);
      return answer.body;
    }
    async function bindPhone(token: string, phone: string) {
      await services().db.query(
        `UPDATE member_onboarding_link SET code_sent_at = code_sent_at - interval '2 minutes'
         WHERE code_sent_at IS NOT NULL`,
      );
      expect((await step(token, 'phone/code', { phone })).status).toBe(200);
      const verified = await step(token, 'phone/verify', { phone, code: lastCode(phone) });
      expect(verified.status).toBe(200);
      return verified.body;
    }

    beforeAll(async () => {
      t = await startTestPlatform(database);
      const s = services();
      // Codes are kept here instead of sent.
      vi.spyOn(s.consoleUsers.mailer, 'sendSms').mockImplementation(async (phone, code) => {
        sms.push({ phone, code: code.code });
      });
      const merchantId = (await s.merchants.appKeys(t.demo.merchant.appId))!.merchantId;
      manager = await merchantConsole(t, { merchantId, merchantRole: 'manager' });
      cashier = await merchantConsole(t, { merchantId, merchantRole: 'cashier' });
      const other = await s.merchants.createMerchant({ name: '另一商户 Onboarding' });
      await s.merchants.createApp(other.mch_no, { name: 'other onboarding app' });
      otherManager = await merchantConsole(t, { merchantId: other.id, merchantRole: 'manager' });
    }, 120_000);

    afterAll(async () => {
      verifier()?.setOutcome({});
      await t?.stop();
    });

    it('creates a link valid 7 days (managers only) and lists it with its validity', async () => {
      const refused = await cashier.send<Refusal>('POST', '/api/merchant/member-onboarding-links', {});
      expect(refused.status).toBe(403);
      const link = await newLink({ bizUserId: `ob-${suffix}`, type: 'personal', name: '周小舟' });
      expect(link.linkNo).toMatch(/^OL\d+$/);
      expect(link.state).toBe('open');
      expect(link.url).toMatch(/\/onboard\/[A-Za-z0-9_-]{40,}$/);
      expect(link.remainingSeconds).toBeGreaterThan(LINK_TTL_SECONDS - 60);
      expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan((LINK_TTL_SECONDS - 60) * 1000);
      // Only the token's hash is kept.
      const rows = await services().db.query<{ token_hash: string }>(
        'SELECT token_hash FROM member_onboarding_link WHERE link_no = $1',
        [link.linkNo],
      );
      expect(rows[0]!.token_hash).not.toContain(tokenOf(link.url));
      const list = await manager.ok<{ items: (LinkView & { url?: string })[] }>(
        'GET',
        '/api/merchant/member-onboarding-links',
      );
      const listed = list.items.find((l) => l.linkNo === link.linkNo)!;
      expect(listed.state).toBe('open');
      expect(listed.url).toBeUndefined();
      // A bizUserId already taken by a member cannot be handed out again.
      const { member } = await services().members.create(
        {
          merchantId: (await services().merchants.appKeys(t.demo.merchant.appId))!.merchantId,
          appDbId: (await services().merchants.appKeys(t.demo.merchant.appId))!.appDbId,
        },
        { bizUserId: `taken-${suffix}`, type: 'personal', name: '已开立' },
        { source: 'api', via: 'api' },
      );
      const taken = await manager.send<Refusal>('POST', '/api/merchant/member-onboarding-links', {
        bizUserId: member.biz_user_id,
      });
      expect(taken.status).toBe(409);
      expect(taken.body.code).toBe('MEMBER_EXISTS');
    });

    it('walks an enterprise through every step, resuming after the page was closed', async () => {
      const link = await newLink({ bizUserId: `ent-${suffix}`, type: 'enterprise' });
      const token = tokenOf(link.url);
      const first = await page(token);
      expect(first.status).toBe(200);
      expect(first.body.nextStep).toBe('identity');
      expect(first.body.merchantName).not.toBe('');
      expect(first.body.agreement.text).toContain('会员');
      expect(first.headers.get('cache-control')).toBe('no-store');

      // Steps out of order are refused with the step to do first.
      const early = await step(token, 'phone/code', { phone: '13800001234' });
      expect(early.status).toBe(409);
      expect(early.body).toMatchObject({ code: 'ONBOARDING_STEP_ORDER', details: { step: 'identity' } });
      // The preset type holds.
      const wrongType = await step(token, 'identity', {
        type: 'personal',
        name: '张三',
        idNo: '110101199003070011',
      });
      expect(wrongType.status).toBe(400);

      const identity = {
        type: 'enterprise',
        name: '云杉家具有限公司',
        idNo: '91330100MA2B3C5D7X',
        legalPersonName: '陈云杉',
        legalPersonIdNo: '110101199003070011',
      };
      const saved = await step(token, 'identity', identity);
      expect(saved.status).toBe(200);
      expect(saved.body.nextStep).toBe('licence');
      expect(saved.body.identity).toMatchObject({
        name: '云杉家具有限公司',
        idNoMasked: '**************5D7X',
      });
      // Sealed: the credit code is not in the row in the clear.
      const sealed = await services().db.query<{ id_no_enc: string; legal_id_no_enc: string }>(
        'SELECT id_no_enc, legal_id_no_enc FROM member_onboarding_link WHERE link_no = $1',
        [link.linkNo],
      );
      expect(sealed[0]!.id_no_enc).not.toContain('91330100MA2B3C5D7X');
      expect(sealed[0]!.legal_id_no_enc).not.toContain('110101199003070011');

      // Licence: not an image, too large, then a PNG.
      const upload = (content: Buffer) =>
        publicCall<PageView & Refusal>('PUT', `/api/onboarding/${token}/images/licence`, {
          content: content.toString('base64'),
        });
      const notImage = await upload(Buffer.from('%PDF-1.4 not an image'));
      expect(notImage.status).toBe(415);
      expect(notImage.body.code).toBe('FILE_TYPE_NOT_ALLOWED');
      const tooLarge = await upload(Buffer.concat([PNG, Buffer.alloc(2 * 1024 * 1024)]));
      expect(tooLarge.status).toBe(413);
      const uploaded = await upload(PNG);
      expect(uploaded.status).toBe(200);
      expect(uploaded.body.nextStep).toBe('phone');

      // The page is closed and opened again: it resumes at the phone.
      const resumed = await page(token);
      expect(resumed.body.nextStep).toBe('phone');
      expect(resumed.body.done).toMatchObject({ identity: true, licence: true, phone: false });

      const phone = `138${suffix}77`;
      expect((await step(token, 'phone/code', { phone })).status).toBe(200);
      // One code a minute.
      const again = await step(token, 'phone/code', { phone });
      expect(again.status).toBe(429);
      const wrong = await step(token, 'phone/verify', {
        phone,
        code: lastCode(phone) === '000000' ? '111111' : '000000',
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.code).toBe('MEMBER_LOGIN_CODE_INVALID');
      const verified = await step(token, 'phone/verify', { phone, code: lastCode(phone) });
      expect(verified.status).toBe(200);
      expect(verified.body.nextStep).toBe('card');
      expect(verified.body.phoneMasked).toBe(`138****${phone.slice(-4)}`);

      const card = await step(token, 'card', { accountNo: '6222020200112233', bankName: '中国工商银行' });
      expect(card.status).toBe(200);
      expect(card.body.nextStep).toBe('agreement');
      expect((await page(token)).body.nextStep).toBe('agreement');

      const signed = await step(token, 'sign', { agree: true });
      expect(signed.status).toBe(201);
      expect(signed.body.state).toBe('completed');
      expect(signed.body.memberNo).toMatch(/^M\d+$/);

      // The member is open, active, self-service, with its agreement and its card.
      const detail = await manager.ok<{
        member: {
          bizUserId: string;
          state: string;
          source: string;
          type: string;
          legalPersonName: string;
          realNameVerified: boolean;
        };
        cards: { accountNoMasked: string; cardType: string }[];
        agreements: { signedVia: string }[];
      }>('GET', `/api/merchant/members/${signed.body.memberNo}`);
      expect(detail.member).toMatchObject({
        bizUserId: `ent-${suffix}`,
        state: 'active',
        source: 'self_service',
        type: 'enterprise',
        legalPersonName: '陈云杉',
        realNameVerified: true,
      });
      expect(detail.agreements.map((a) => a.signedVia)).toEqual(['self_service']);
      expect(detail.cards).toHaveLength(1);
      expect(detail.cards[0]!.accountNoMasked).toMatch(/2233$/);
      expect(detail.cards[0]!.cardType).toBe('corporate');

      // The used link shows its result, refuses every step and changes nothing.
      expect((await page(token)).body.state).toBe('completed');
      const reuse = await step(token, 'identity', identity);
      expect(reuse.status).toBe(409);
      expect(reuse.body.code).toBe('ONBOARDING_LINK_COMPLETED');
      const list = await manager.ok<{ items: LinkView[] }>(
        'GET',
        '/api/merchant/member-onboarding-links?state=completed',
      );
      const listed = list.items.find((l) => l.linkNo === link.linkNo)!;
      expect(listed).toMatchObject({ state: 'completed', memberNo: signed.body.memberNo });
      expect(listed.images.map((i) => i.kind)).toEqual(['licence']);
      // Only the merchant reads the licence back.
      const image = await manager.call<string>(
        'GET',
        `/api/merchant/member-onboarding-links/${link.linkNo}/images/licence`,
      );
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');
      const stranger = await otherManager.call<Refusal>(
        'GET',
        `/api/merchant/member-onboarding-links/${link.linkNo}/images/licence`,
      );
      expect(stranger.status).toBe(404);
    });

    it('refuses a failed real-name or card check with a clear code, and the step can be retried', async () => {
      const link = await newLink();
      const token = tokenOf(link.url);
      verifier().setOutcome({ identity: { ok: false, reason: 'name and ID number do not match' } });
      const failed = await step(token, 'identity', {
        type: 'personal',
        name: '李木',
        idNo: '110101199003070011',
      });
      verifier().setOutcome({});
      expect(failed.status).toBe(422);
      expect(failed.body).toMatchObject({ code: 'MEMBER_VERIFY_FAILED', details: { field: 'idNo' } });
      expect((await page(token)).body.nextStep).toBe('identity');
      // The sandbox refuses an ID number ending in 4; corrected, it passes.
      const wrongDigit = await step(token, 'identity', {
        type: 'personal',
        name: '李木',
        idNo: '110101199003070024',
      });
      expect(wrongDigit.status).toBe(422);
      const passed = await step(token, 'identity', {
        type: 'personal',
        name: '李木',
        idNo: '110101199003070038',
      });
      expect(passed.status).toBe(200);
      // A person has no licence step.
      expect(passed.body.nextStep).toBe('phone');
      await bindPhone(token, `139${suffix}55`);
      const badCard = await step(token, 'card', { accountNo: '6222020200110004', bankName: '中国银行' });
      expect(badCard.status).toBe(422);
      expect(badCard.body).toMatchObject({ code: 'MEMBER_VERIFY_FAILED', details: { field: 'accountNo' } });
      expect((await page(token)).body.nextStep).toBe('card');
      // The card is optional.
      const skipped = await step(token, 'card/skip');
      expect(skipped.body.nextStep).toBe('agreement');
      const signed = await step(token, 'sign', { agree: true });
      expect(signed.status).toBe(201);
      const member = await services().members.requireForMerchant(
        (await services().merchants.appKeys(t.demo.merchant.appId))!.merchantId,
        signed.body.memberNo!,
      );
      expect(member).toMatchObject({ state: 'active', source: 'self_service', biz_user_id: link.linkNo });
      expect(await services().members.cardsOf(member)).toHaveLength(0);
    });

    it('refuses an expired link and changes nothing', async () => {
      const link = await newLink();
      const token = tokenOf(link.url);
      expect(
        (await step(token, 'identity', { type: 'personal', name: '王林', idNo: '110101199003070011' }))
          .status,
      ).toBe(200);
      await services().db.query(
        `UPDATE member_onboarding_link SET expires_at = now() - interval '1 second' WHERE link_no = $1`,
        [link.linkNo],
      );
      const before = await services().db.query('SELECT * FROM member_onboarding_link WHERE link_no = $1', [
        link.linkNo,
      ]);
      const expired = await page(token);
      expect(expired.status).toBe(410);
      expect(expired.body.code).toBe('ONBOARDING_LINK_EXPIRED');
      const refused = await step(token, 'phone/code', { phone: '13800009999' });
      expect(refused.status).toBe(410);
      expect(refused.body.code).toBe('ONBOARDING_LINK_EXPIRED');
      const after = await services().db.query('SELECT * FROM member_onboarding_link WHERE link_no = $1', [
        link.linkNo,
      ]);
      expect(after).toEqual(before);
      const list = await manager.ok<{ items: LinkView[] }>(
        'GET',
        '/api/merchant/member-onboarding-links?state=expired',
      );
      expect(list.items.find((l) => l.linkNo === link.linkNo)).toMatchObject({
        state: 'expired',
        remainingSeconds: 0,
      });
    });

    it('refuses a revoked link; another merchant neither lists nor revokes it', async () => {
      const link = await newLink({ phone: '13700002222' });
      const token = tokenOf(link.url);
      const theirs = await otherManager.ok<{ items: LinkView[] }>(
        'GET',
        '/api/merchant/member-onboarding-links',
      );
      expect(theirs.items.some((l) => l.linkNo === link.linkNo)).toBe(false);
      const notTheirs = await otherManager.send<Refusal>(
        'POST',
        `/api/merchant/member-onboarding-links/${link.linkNo}/revoke`,
      );
      expect(notTheirs.status).toBe(404);
      expect(notTheirs.body.code).toBe('ONBOARDING_LINK_NOT_FOUND');
      expect((await page(token)).status).toBe(200);

      const revoked = await manager.send<LinkView>(
        'POST',
        `/api/merchant/member-onboarding-links/${link.linkNo}/revoke`,
      );
      expect(revoked.status).toBe(200);
      expect(revoked.body.state).toBe('revoked');
      const again = await manager.send<Refusal>(
        'POST',
        `/api/merchant/member-onboarding-links/${link.linkNo}/revoke`,
      );
      expect(again.body.code).toBe('ONBOARDING_LINK_REVOKED');
      const refused = await step(token, 'identity', {
        type: 'personal',
        name: '王林',
        idNo: '110101199003070011',
      });
      expect(refused.status).toBe(410);
      expect(refused.body.code).toBe('ONBOARDING_LINK_REVOKED');
      const row = await services().db.query<{ identity_verified_at: Date | null }>(
        'SELECT identity_verified_at FROM member_onboarding_link WHERE link_no = $1',
        [link.linkNo],
      );
      expect(row[0]!.identity_verified_at).toBeNull();
      // A made-up token is simply not found.
      const unknown = await page('x'.repeat(43));
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('ONBOARDING_LINK_NOT_FOUND');
    });
  });
}
