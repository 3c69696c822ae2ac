import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { seedDemoMemberLogin } from '../src/app/demo.ts';
import { ledgerReport } from '../src/app/platform.ts';
import { type AccountRef, accountCode } from '../src/ledger/types.ts';
import { DEFAULT_WITHDRAWAL_RULES } from '../src/withdrawals/rules.ts';
import { ConsoleClient } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * The member portal (会员门户): first login by an SMS code to the member's bound phone (a wrong, an
 * expired and a used-up code; one phone with members of two merchants; one login per member and
 * one phone per member login), then the normal login by username or by phone; each member sees
 * only its own information, cards, entries and withdrawals; the withdrawal setting; the export's
 * 10 000-row limit.
 */

interface FirstLoginMember {
  memberNo: string;
  merchantName: string;
  name: string;
  idNoMasked: string;
  hasLogin: boolean;
}
interface Verified {
  setupToken: string;
  phoneLoginAvailable: boolean;
  members: FirstLoginMember[];
}
interface Me {
  member: { memberNo: string; name: string; idNoMasked: string };
  merchantName: string;
  balances: { pending: number; available: number; frozen: number };
  withdrawSetting: { mode: string; autoTime: string | null; cardId: string | null };
}
interface Entry {
  id: string;
  account: string;
  type: string;
  reference: string;
  amount: number;
  balanceAfter: number;
}

const password = () => `pw7-${randomBytes(9).toString('base64url')}`;
const RULES = {
  ...DEFAULT_WITHDRAWAL_RULES,
  minAmount: 100n,
  fixedFee: 0n,
  feeRatePpm: 0,
  dailyCount: 1000,
  dailyAmount: 1_000_000_000n,
  reviewThreshold: 1_000_000n,
  windowStart: '00:00',
  windowEnd: '24:00',
};

for (const database of testDatabases) {
  describe(`member portal on ${database.kind}`, () => {
    let t: TestPlatform;
    const suffix = Date.now().toString().slice(-6);
    const phoneShared = `138${suffix}01`;
    const phoneOther = `139${suffix}02`;
    const members = {
      a: { id: 0n, no: `MPA${suffix}`, name: '云杉家具有限公司' },
      b: { id: 0n, no: `MPB${suffix}`, name: '李木' },
      c: { id: 0n, no: `MPC${suffix}`, name: '王林' },
    };
    const sms: { phone: string; code: string }[] = [];
    const anonymous = () => new ConsoleClient(t.platform.url);
    const services = () => t.platform.services;
    const lastCode = (phone: string) => sms.filter((s) => s.phone === phone).at(-1)!.code;
    /** Lets a new code go to the phone at once (the one-a-minute limit is tested on its own). */
    const ageCodes = (phone: string) =>
      services().db.query(
        `UPDATE member_login_code SET created_at = created_at - interval '2 minutes' WHERE phone = $1`,
        [phone],
      );
    const sendCode = (phone: string) =>
      anonymous().send<{ code?: string }>('POST', '/api/auth/member/first-login/code', { phone });
    const verify = (phone: string, code: string) =>
      anonymous().send<Verified & { code?: string }>('POST', '/api/auth/member/first-login/verify', {
        phone,
        code,
      });
    const setUp = (body: Record<string, unknown>) =>
      anonymous().send<{ username: string; phoneLogin: boolean; code?: string; details?: unknown }>(
        'POST',
        '/api/auth/member/first-login/setup',
        body,
      );
    async function freshSetup(phone: string): Promise<Verified> {
      await ageCodes(phone);
      expect((await sendCode(phone)).status).toBe(200);
      const verified = await verify(phone, lastCode(phone));
      expect(verified.status).toBe(200);
      return verified.body;
    }
    async function credit(kind: AccountRef['kind'], memberId: bigint, amount: bigint, reference: string) {
      const s = services();
      const account: AccountRef = { kind, ownerId: memberId, currency: 'CNY' };
      const clearing: AccountRef = { kind: 'channel_clearing', ownerId: null, currency: 'CNY' };
      await s.ledger.openAccounts([account, clearing]);
      await s.db.tx((q) =>
        s.ledger.post(q, {
          kind: 'split',
          reference,
          idempotencyKey: `test:${reference}`,
          legs: [
            { account: clearing, amount: -amount },
            { account, amount },
          ],
        }),
      );
    }
    const users = {
      a: { username: `seller_a${suffix}`, password: password(), login: null as unknown as ConsoleClient },
      b: { username: `seller_b${suffix}`, password: password(), login: null as unknown as ConsoleClient },
    };

    beforeAll(async () => {
      t = await startTestPlatform(database);
      const s = services();
      await s.withdrawals.rules.setDefaults(RULES);
      // Codes are kept here instead of sent.
      vi.spyOn(s.consoleUsers.mailer, 'sendSms').mockImplementation(async (phone, code) => {
        sms.push({ phone, code: code.code });
      });
      const m1 = await s.merchants.createMerchant({ name: '云杉家居商城' });
      const m2 = await s.merchants.createMerchant({ name: '另一家商城' });
      const app1 = await s.merchants.createApp(m1.mch_no, { name: 'marketplace' });
      const app2 = await s.merchants.createApp(m2.mch_no, { name: 'marketplace 2' });
      const appId = async (appNo: string) =>
        (await s.db.query<{ id: bigint }>('SELECT id FROM merchant_app WHERE app_id = $1', [appNo]))[0]!.id;
      const insert = async (
        m: { no: string; name: string },
        merchantId: bigint,
        app: bigint,
        type: string,
        phone: string,
      ) =>
        (
          await s.db.query<{ id: bigint }>(
            `INSERT INTO member (merchant_id, app_id, biz_user_id, member_no, type, name, phone, id_no_last4, state)
             VALUES ($1, $2, $3, $4, $5, $6, $7, '1234', 'active') RETURNING id`,
            [merchantId, app, `biz-${m.no}`, m.no, type, m.name, phone],
          )
        )[0]!.id;
      members.a.id = await insert(members.a, m1.id, await appId(app1.app.appId), 'enterprise', phoneShared);
      members.b.id = await insert(members.b, m2.id, await appId(app2.app.appId), 'personal', phoneShared);
      members.c.id = await insert(members.c, m1.id, await appId(app1.app.appId), 'personal', phoneOther);
    }, 180_000);

    afterAll(async () => {
      vi.restoreAllMocks();
      await t?.stop();
    });

    it('sends a code to a bound phone, once a minute, and the same answer to any phone', async () => {
      expect((await sendCode(phoneShared)).status).toBe(200);
      expect(sms.filter((s) => s.phone === phoneShared)).toHaveLength(1);
      const again = await sendCode(phoneShared);
      expect(again.status).toBe(429);
      expect(again.body.code).toBe('RATE_LIMITED');
      // A phone of no member: the same answer, and no message.
      const stranger = `137${suffix}99`;
      expect((await sendCode(stranger)).status).toBe(200);
      expect(sms.some((s) => s.phone === stranger)).toBe(false);
      expect((await sendCode('12345')).status).toBe(400);
    });

    it('limits the codes of one phone per hour', async () => {
      const phone = `136${suffix}77`;
      for (let i = 0; i < 5; i++) {
        await ageCodes(phone);
        expect((await sendCode(phone)).status).toBe(200);
      }
      await ageCodes(phone);
      expect((await sendCode(phone)).body.code).toBe('RATE_LIMITED');
    });

    it('refuses a wrong code, and a code whose guesses are used up or that expired', async () => {
      const wrong = lastCode(phoneShared) === '000000' ? '000001' : '000000';
      const refused = await verify(phoneShared, wrong);
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('MEMBER_LOGIN_CODE_INVALID');
      // Four more wrong guesses use the code up: the right one then finds no live code.
      for (let i = 0; i < 4; i++) await verify(phoneShared, wrong);
      expect((await verify(phoneShared, lastCode(phoneShared))).body.code).toBe('MEMBER_LOGIN_CODE_EXPIRED');
      // An expired code.
      await ageCodes(phoneOther);
      await sendCode(phoneOther);
      await services().db.query(
        `UPDATE member_login_code SET expires_at = now() - interval '1 second' WHERE phone = $1`,
        [phoneOther],
      );
      expect((await verify(phoneOther, lastCode(phoneOther))).body.code).toBe('MEMBER_LOGIN_CODE_EXPIRED');
      // No code ever sent.
      expect((await verify(`135${suffix}55`, '123456')).body.code).toBe('MEMBER_LOGIN_CODE_EXPIRED');
    });

    it('shows every member of the phone, of both merchants, and sets up the chosen one', async () => {
      const verified = await freshSetup(phoneShared);
      expect(verified.phoneLoginAvailable).toBe(true);
      expect(verified.members).toEqual([
        {
          memberNo: members.a.no,
          merchantName: '云杉家居商城',
          name: members.a.name,
          type: 'enterprise',
          idNoMasked: '**************1234',
          hasLogin: false,
        },
        {
          memberNo: members.b.no,
          merchantName: '另一家商城',
          name: members.b.name,
          type: 'personal',
          idNoMasked: '**************1234',
          hasLogin: false,
        },
      ]);
      const base = { setupToken: verified.setupToken, memberNo: members.a.no, username: users.a.username };
      // The other logins' password policy; a refused password keeps the step open.
      const weak = await setUp({ ...base, password: 'short', phoneLogin: true });
      expect(weak.status).toBe(400);
      expect(weak.body.code).toBe('PASSWORD_TOO_WEAK');
      expect((await setUp({ ...base, username: '13800000000', password: users.a.password })).body.code).toBe(
        'INVALID_REQUEST',
      );
      // A member of another phone cannot be chosen.
      expect((await setUp({ ...base, memberNo: members.c.no, password: users.a.password })).status).toBe(404);
      const done = await setUp({ ...base, password: users.a.password, phoneLogin: true });
      expect(done.status).toBe(201);
      expect(done.body).toEqual({ username: users.a.username, phoneLogin: true });
      // Password-reset codes of the login go to the bound phone.
      const row = await services().consoleUsers.userRow(
        (
          await services().db.query<{ id: bigint }>(
            `SELECT id FROM console_user WHERE area = 'member' AND username = $1`,
            [users.a.username],
          )
        )[0]!.id,
      );
      expect(row).toMatchObject({ phone: phoneShared, login_phone: phoneShared, member_id: members.a.id });
      // The token works once.
      const reused = await setUp({
        ...base,
        memberNo: members.b.no,
        username: 'other_name',
        password: password(),
      });
      expect(reused.body.code).toBe('MEMBER_LOGIN_CODE_EXPIRED');
    });

    it('sets up the second member of the phone, without the phone login the first one took', async () => {
      const verified = await freshSetup(phoneShared);
      expect(verified.phoneLoginAvailable).toBe(false);
      expect(verified.members.map((m) => [m.memberNo, m.hasLogin])).toEqual([
        [members.a.no, true],
        [members.b.no, false],
      ]);
      const base = { setupToken: verified.setupToken, password: users.b.password };
      expect((await setUp({ ...base, memberNo: members.a.no, username: 'again_a' })).body.code).toBe(
        'MEMBER_LOGIN_EXISTS',
      );
      expect(
        (await setUp({ ...base, memberNo: members.b.no, username: users.b.username, phoneLogin: true })).body
          .code,
      ).toBe('ALREADY_EXISTS');
      expect((await setUp({ ...base, memberNo: members.b.no, username: users.a.username })).body.code).toBe(
        'ALREADY_EXISTS',
      );
      const done = await setUp({ ...base, memberNo: members.b.no, username: users.b.username });
      expect(done.status).toBe(201);
      expect(done.body.phoneLogin).toBe(false);
    });

    it('logs in by username and by phone, with the usual refusals', async () => {
      users.a.login = anonymous();
      expect(await users.a.login.login('member', users.a.username, users.a.password)).toBe('active');
      const byPhone = anonymous();
      expect(await byPhone.login('member', phoneShared, users.a.password)).toBe('active');
      expect((await byPhone.ok<Me>('GET', '/api/member/me')).member.memberNo).toBe(members.a.no);
      // The phone logs in to A only: B's password with it is a wrong password.
      const wrong = await anonymous().send<{ code: string }>('POST', '/api/auth/login', {
        area: 'member',
        username: phoneShared,
        password: users.b.password,
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('LOGIN_FAILED');
      // A member login is no merchant login, and the other areas' routes are closed to it.
      const asMerchant = await anonymous().send<{ code: string }>('POST', '/api/auth/login', {
        area: 'merchant',
        username: users.a.username,
        password: users.a.password,
      });
      expect(asMerchant.status).toBe(401);
      expect((await users.a.login.get('/api/merchant/balance')).status).toBe(403);
      expect((await users.a.login.get('/api/agent/withdrawals')).status).toBe(403);
      users.b.login = anonymous();
      expect(await users.b.login.login('member', users.b.username, users.b.password)).toBe('active');
      // No session: nothing.
      expect((await anonymous().get('/api/member/me')).status).toBe(401);
    });

    it("shows each member its own information, cards, entries and withdrawals, never another's", async () => {
      await credit('member_available', members.a.id, 50_000n, `SPLIT-A-${suffix}`);
      await credit('member_pending', members.a.id, 3_000n, `SPLIT-A2-${suffix}`);
      await credit('member_pending', members.b.id, 700n, `SPLIT-B-${suffix}`);
      const me = await users.a.login.ok<Me>('GET', '/api/member/me');
      expect(me).toMatchObject({
        member: { memberNo: members.a.no, name: members.a.name, idNoMasked: '**************1234' },
        merchantName: '云杉家居商城',
        balances: { pending: 3_000, available: 50_000, frozen: 0 },
        withdrawSetting: { mode: 'manual', autoTime: null, cardId: null },
      });
      expect((await users.b.login.ok<Me>('GET', '/api/member/me')).balances).toMatchObject({
        pending: 700,
        available: 0,
      });

      const bind = (user: typeof users.a, accountNo: string) =>
        user.login.ok<{ id: string; state: string }>('POST', '/api/member/bank-cards', {
          holderName: 'holder',
          accountNo,
          bankName: '招商银行',
          cardType: 'personal',
          password: user.password,
        });
      const cardA = await bind(users.a, '6225880000111122');
      const cardB = await bind(users.b, '6225880000333344');
      expect(cardA.state).toBe('active');
      const cardsOfA = await users.a.login.ok<{ items: { id: string }[] }>('GET', '/api/member/bank-cards');
      expect(cardsOfA.items.map((c) => c.id)).toEqual([cardA.id]);
      expect(
        (
          await users.a.login.send('DELETE', `/api/member/bank-cards/${cardB.id}`, {
            password: users.a.password,
          })
        ).status,
      ).toBe(404);

      // A withdrawal from A's available, to its default card.
      const w = await users.a.login.send<{ withdrawNo: string; amount: number; code?: string }>(
        'POST',
        '/api/member/withdrawals',
        { amount: 10_000, password: users.a.password },
      );
      expect(w.status).toBe(201);
      expect(w.body.amount).toBe(10_000);
      // Not to B's card, and not beyond A's available.
      expect(
        (
          await users.a.login.send<{ code: string }>('POST', '/api/member/withdrawals', {
            amount: 200,
            cardId: cardB.id,
            password: users.a.password,
          })
        ).body.code,
      ).toBe('NO_BANK_CARD');
      expect(
        (
          await users.b.login.send<{ code: string }>('POST', '/api/member/withdrawals', {
            amount: 200,
            password: users.b.password,
          })
        ).body.code,
      ).toBe('INSUFFICIENT_BALANCE');
      const after = await users.a.login.ok<Me>('GET', '/api/member/me');
      expect(after.balances.available).toBe(40_000);
      expect(after.balances.frozen + after.balances.available).toBeLessThanOrEqual(50_000);

      // The payout settles it: the frozen money leaves, the ledger stays balanced.
      const final = await eventually(async () => {
        const one = await users.a.login.ok<{ state: string }>(
          'GET',
          `/api/member/withdrawals/${w.body.withdrawNo}`,
        );
        return ['succeeded', 'failed', 'rejected'].includes(one.state) ? one : undefined;
      }, 20_000);
      expect(final.state).toBe('succeeded');
      expect((await users.a.login.ok<Me>('GET', '/api/member/me')).balances).toMatchObject({
        available: 40_000,
        frozen: 0,
      });
      const report = await ledgerReport(services());
      expect(report.problems).toEqual([]);

      const listA = await users.a.login.ok<{ items: { withdrawNo: string }[]; total: number }>(
        'GET',
        '/api/member/withdrawals',
      );
      expect(listA.items.map((x) => x.withdrawNo)).toEqual([w.body.withdrawNo]);
      expect((await users.b.login.ok<{ total: number }>('GET', '/api/member/withdrawals')).total).toBe(0);
      expect((await users.b.login.get(`/api/member/withdrawals/${w.body.withdrawNo}`)).status).toBe(404);
      expect((await users.a.login.get(`/api/member/withdrawals/${w.body.withdrawNo}`)).status).toBe(200);

      const entriesA = await users.a.login.ok<{ items: Entry[] }>('GET', '/api/member/entries');
      expect(
        entriesA.items.some((e) => e.reference === `SPLIT-A-${suffix}` && e.account === 'available'),
      ).toBe(true);
      expect(entriesA.items.some((e) => e.reference.includes('SPLIT-B'))).toBe(false);
      const pendingEntry = entriesA.items.find((e) => e.reference === `SPLIT-A2-${suffix}`)!;
      expect(pendingEntry).toMatchObject({ account: 'pending', amount: 3_000, balanceAfter: 3_000 });
      const entriesB = await users.b.login.ok<{ items: Entry[] }>('GET', '/api/member/entries');
      expect(entriesB.items.map((e) => e.reference)).toEqual([`SPLIT-B-${suffix}`]);
      // Paged by cursor, newest first.
      const first = await users.a.login.ok<{ items: Entry[]; nextCursor: string | null }>(
        'GET',
        '/api/member/entries?pageSize=1',
      );
      expect(first.items).toHaveLength(1);
      expect(first.nextCursor).toBe(first.items[0]!.id);
      const second = await users.a.login.ok<{ items: Entry[] }>(
        'GET',
        `/api/member/entries?pageSize=1&cursor=${first.nextCursor}`,
      );
      expect(BigInt(second.items[0]!.id)).toBeLessThan(BigInt(first.items[0]!.id));
      // A date range with nothing in it.
      const empty = await users.a.login.ok<{ items: Entry[] }>(
        'GET',
        '/api/member/entries?from=2020-01-01&to=2020-01-31',
      );
      expect(empty.items).toEqual([]);
      const csv = await users.a.login.get<string>('/api/member/entries/export');
      expect(csv.status).toBe(200);
      expect(csv.text).toContain(`SPLIT-A-${suffix}`);
      expect(csv.text).not.toContain('SPLIT-B');
    });

    it('changes the withdrawal setting with the login password', async () => {
      const cards = await users.a.login.ok<{ items: { id: string }[] }>('GET', '/api/member/bank-cards');
      const cardId = cards.items[0]!.id;
      const wrong = await users.a.login.send<{ code: string }>('PUT', '/api/member/withdraw-setting', {
        mode: 'auto',
        autoTime: '10:30',
        cardId,
        password: 'wrong-password-1',
      });
      expect(wrong.body.code).toBe('LOGIN_FAILED');
      const missingTime = await users.a.login.send<{ code: string }>('PUT', '/api/member/withdraw-setting', {
        mode: 'auto',
        password: users.a.password,
      });
      expect(missingTime.status).toBe(400);
      const set = await users.a.login.ok('PUT', '/api/member/withdraw-setting', {
        mode: 'auto',
        autoTime: '10:30',
        cardId,
        password: users.a.password,
      });
      expect(set).toEqual({ mode: 'auto', autoTime: '10:30', cardId });
      expect((await users.a.login.ok<Me>('GET', '/api/member/me')).withdrawSetting).toEqual({
        mode: 'auto',
        autoTime: '10:30',
        cardId,
      });
      // B's setting is its own.
      expect((await users.b.login.ok<Me>('GET', '/api/member/me')).withdrawSetting.mode).toBe('manual');
      // Set by the platform: the member cannot change it.
      await services().db.query(`UPDATE member SET withdraw_mode = 'platform' WHERE id = $1`, [members.b.id]);
      const refused = await users.b.login.send('PUT', '/api/member/withdraw-setting', {
        mode: 'manual',
        password: users.b.password,
      });
      expect(refused.status).toBe(403);
    });

    it('refuses an export of more than 10 000 entries, and allows one of 10 000', async () => {
      const s = services();
      const account: AccountRef = { kind: 'member_pending', ownerId: members.b.id, currency: 'CNY' };
      const clearing: AccountRef = { kind: 'channel_clearing', ownerId: null, currency: 'CNY' };
      await s.ledger.openAccounts([account, clearing]);
      // 9 999 entries of one cent on B's pending in one balanced transaction (B already has one).
      await s.db.tx(async (q) => {
        const txn = (
          await q.query<{ id: bigint }>(
            `INSERT INTO ledger_txn (kind, reference, idempotency_key) VALUES ('split', 'BULK', $1) RETURNING id`,
            [`test:bulk:${suffix}`],
          )
        )[0]!.id;
        const ids = async (ref: AccountRef) =>
          (
            await q.query<{ id: bigint }>('SELECT id FROM ledger_account WHERE code = $1', [accountCode(ref)])
          )[0]!.id;
        // Each of the member's (kept) entries with its balance after, as a posting writes it.
        await q.query(
          `INSERT INTO ledger_entry (txn_id, account_id, amount, currency, balance_after)
           SELECT $1, $2, 1, 'CNY', (SELECT balance FROM ledger_account WHERE id = $2) + g FROM generate_series(1, 9999) g`,
          [txn, await ids(account)],
        );
        await q.query(
          `INSERT INTO ledger_entry (txn_id, account_id, amount, currency) VALUES ($1, $2, -9999, 'CNY')`,
          [txn, await ids(clearing)],
        );
        await q.query('UPDATE ledger_account SET balance = balance + 9999 WHERE id = $1', [
          await ids(account),
        ]);
      });
      const ok = await users.b.login.get<string>('/api/member/entries/export');
      expect(ok.status).toBe(200);
      expect(ok.text.trim().split('\n')).toHaveLength(10_001);
      await credit('member_pending', members.b.id, 1n, `ONE-MORE-${suffix}`);
      const tooMany = await users.b.login.get<{ code: string; details: { reason: string; limit: number } }>(
        '/api/member/entries/export',
      );
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.details).toEqual({ reason: 'export_too_large', limit: 10_000 });
      // A's export is untouched by B's entries.
      expect((await users.a.login.get('/api/member/entries/export')).status).toBe(200);
    }, 120_000);

    it("gives the demo's seller-1 a portal login seller1, once", async () => {
      const s = services();
      const demoMerchant = await s.merchants.requireMerchant(t.demo.merchant.mchNo);
      // The demo seeded its marketplace's members and seller-1's login with it.
      expect(t.demo.member).toMatchObject({ bizUserId: 'seller-1', username: 'seller1' });
      // Again: the member has its login; nothing changes.
      expect(await seedDemoMemberLogin(s, demoMerchant.id)).toBeNull();
      const seller = anonymous();
      expect(await seller.login('member', 'seller1', t.demo.member!.password)).toBe('active');
      expect((await seller.ok<Me>('GET', '/api/member/me')).member.name).toBe('云杉家具有限公司');
    });
  });
}
