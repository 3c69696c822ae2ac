import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerReport } from '../src/app/platform.ts';
import type { SandboxVerifier } from '../src/members/verifier.ts';
import { localDate } from '../src/stats/time.ts';
import { DEFAULT_WITHDRAWAL_RULES } from '../src/withdrawals/rules.ts';
import { operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, signedCall, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * Marketplace members over the signed merchant API (MON-9): opening (idempotent on bizUserId),
 * the real-name check and the card's four elements through the sandbox verifier, states, transfers
 * between members (idempotent, never overdrawn), a member's withdrawal to its card paid through the
 * payout, a frozen member refused, entries by local days, and each app seeing only its own members.
 * The ledger check stays clean after each.
 */

interface Signer {
  mchNo: string;
  appId: string;
  secret: string;
}
interface MemberView {
  memberNo: string;
  bizUserId: string;
  type: string;
  name: string;
  phoneMasked: string | null;
  idNoMasked: string | null;
  legalPersonName: string | null;
  state: string;
  source: string;
  realNameVerified: boolean;
  createdAt: string;
  balances?: { pending: number; available: number; frozen: number };
  code?: string;
}

// The platform's rules for this suite: a fee of ¥0.20, no review below ¥1 000 000.
const RULES = {
  ...DEFAULT_WITHDRAWAL_RULES,
  minAmount: 100n,
  fixedFee: 20n,
  feeRatePpm: 0,
  dailyCount: 1000,
  dailyAmount: 1_000_000_000n,
  reviewThreshold: 100_000_000n,
};

for (const database of testDatabases) {
  describe(`members over the signed API on ${database.kind}`, () => {
    let t: TestPlatform;
    let a: Signer;
    let b: Signer;
    let run = '';
    const services = () => t.platform.services;
    const verifier = () => services().members.verifier as SandboxVerifier;

    async function call<T = MemberView>(
      as: Signer,
      method: 'GET' | 'POST' | 'DELETE',
      path: string,
      payload?: unknown,
    ): Promise<{ status: number; body: T & { code?: string } }> {
      return signedCall<T & { code?: string }>(t, method, path, payload, as);
    }
    async function expectLedgerOk() {
      const report = await ledgerReport(services());
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
    }
    /** Test-only money into a member's available balance: one balanced posting from platform revenue. */
    async function seedAvailable(bizUserId: string, amount: bigint) {
      const app = (await services().merchants.appKeys(a.appId))!;
      const member = await services().members.requireByBizUserId(app.appDbId, bizUserId);
      const available = { kind: 'member_available', ownerId: member.id, currency: 'CNY' } as const;
      const revenue = { kind: 'platform_revenue', ownerId: null, currency: 'CNY' } as const;
      await services().ledger.openAccounts([available, revenue]);
      await services().db.tx((q) =>
        services().ledger.post(q, {
          kind: 'test_seed',
          reference: `seed-${bizUserId}-${amount}`,
          idempotencyKey: `test_seed:${run}:${bizUserId}:${amount}:${Math.random()}`,
          legs: [
            { account: revenue, amount: -amount },
            { account: available, amount },
          ],
        }),
      );
    }
    /** A member of app A, verified and active, with a card when `card` is given. */
    async function activeMember(bizUserId: string, idNo: string, card?: string) {
      expect(
        (
          await call(a, 'POST', '/api/v1/members', {
            bizUserId,
            type: 'personal',
            name: `会员 ${bizUserId}`,
            idNo,
            phone: '13912345678',
          })
        ).status,
      ).toBe(201);
      expect((await call(a, 'POST', `/api/v1/members/${bizUserId}/verify`)).status).toBe(200);
      expect(
        (await call(a, 'POST', `/api/v1/members/${bizUserId}/state`, { state: 'active' })).body.state,
      ).toBe('active');
      if (card) {
        const bound = await call(a, 'POST', `/api/v1/members/${bizUserId}/bank-cards`, {
          accountNo: card,
          bankName: '沙箱银行',
          phone: '13912345678',
        });
        expect(bound.status).toBe(201);
      }
    }

    beforeAll(async () => {
      t = await startTestPlatform(database);
      run = Date.now().toString(36);
      const s = services();
      await s.db.query(
        `INSERT INTO platform_setting (key, value) VALUES ('settlement.settleTestOrders', 'true')
         ON CONFLICT (key) DO UPDATE SET value = 'true'`,
      );
      await s.withdrawals.rules.setDefaults(RULES);
      for (const id of t.channelAccountIds) {
        await s.catalog.updateChannelAccount(id, { config: { payoutOutcome: 'succeed' } });
      }
      a = { mchNo: t.demo.merchant.mchNo, appId: t.demo.merchant.appId, secret: t.demo.merchant.appSecret };
      const other = await s.merchants.createMerchant({ name: '另一商户 Other members' });
      const created = await s.merchants.createApp(other.mch_no, { name: 'other members app' });
      b = { mchNo: other.mch_no, appId: created.app.appId, secret: created.secret };
    }, 120_000);

    afterAll(async () => {
      verifier()?.setOutcome({});
      await t?.stop();
    });

    it('opens a member once per bizUserId: the same data answers it again, other data is MEMBER_EXISTS', async () => {
      const body = {
        bizUserId: `u-${run}`,
        type: 'personal',
        name: '张三',
        phone: '13812345678',
        idNo: '110101199001011237',
      };
      const first = await call(a, 'POST', '/api/v1/members', body);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        bizUserId: body.bizUserId,
        type: 'personal',
        name: '张三',
        phoneMasked: '138****5678',
        idNoMasked: '**************1237',
        legalPersonName: null,
        state: 'created',
        source: 'api',
        realNameVerified: false,
        balances: { pending: 0, available: 0, frozen: 0 },
      });
      expect(first.body.memberNo).toMatch(/^M\d{10,}$/);
      const again = await call(a, 'POST', '/api/v1/members', body);
      expect(again.status).toBe(200);
      expect(again.body.memberNo).toBe(first.body.memberNo);
      const changed = await call(a, 'POST', '/api/v1/members', { ...body, name: '李四' });
      expect([changed.status, changed.body.code]).toEqual([409, 'MEMBER_EXISTS']);
      // The ID number is sealed: the row keeps only its last four digits in clear.
      const row = (
        await services().db.query<{ id_no_enc: string; id_no_last4: string }>(
          'SELECT id_no_enc, id_no_last4 FROM member WHERE member_no = $1',
          [first.body.memberNo],
        )
      )[0]!;
      expect(row.id_no_enc).not.toContain('110101199001011237');
      expect(row.id_no_last4).toBe('1237');
      // The agreement was signed through the API.
      const agreements = await services().db.query<{ kind: string; signed_via: string }>(
        'SELECT a.kind, a.signed_via FROM member_agreement a JOIN member m ON m.id = a.member_id WHERE m.member_no = $1',
        [first.body.memberNo],
      );
      expect(agreements).toEqual([{ kind: 'member_service', signed_via: 'api' }]);

      const got = await call(a, 'GET', `/api/v1/members/${body.bizUserId}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(first.body);
      const missing = await call(a, 'GET', `/api/v1/members/nobody-${run}`);
      expect([missing.status, missing.body.code]).toEqual([404, 'MEMBER_NOT_FOUND']);
      const noLegalPerson = await call(a, 'POST', '/api/v1/members', {
        bizUserId: `e-${run}`,
        type: 'enterprise',
        name: '某某有限公司',
      });
      expect([noLegalPerson.status, noLegalPerson.body.code]).toEqual([400, 'INVALID_REQUEST']);
      await expectLedgerOk();
    });

    it('verifies the real name through the verifier: a refusal keeps the member created, a pass makes it verified', async () => {
      const bizUserId = `v-${run}`;
      await call(a, 'POST', '/api/v1/members', {
        bizUserId,
        type: 'personal',
        name: '王五',
        idNo: '110101199001011234',
      });
      // The sandbox refuses an ID number ending in 4.
      const refused = await call(a, 'POST', `/api/v1/members/${bizUserId}/verify`);
      expect([refused.status, refused.body.code]).toEqual([422, 'MEMBER_VERIFY_FAILED']);
      expect((await call(a, 'GET', `/api/v1/members/${bizUserId}`)).body.state).toBe('created');
      // Not yet verified: it cannot be activated.
      const early = await call(a, 'POST', `/api/v1/members/${bizUserId}/state`, { state: 'active' });
      expect([early.status, early.body.code]).toEqual([409, 'MEMBER_STATE']);

      const good = `g-${run}`;
      await call(a, 'POST', '/api/v1/members', {
        bizUserId: good,
        type: 'personal',
        name: '赵六',
        idNo: '110101199001011235',
      });
      verifier().setOutcome({ identity: { ok: false, reason: 'the provider says no' } });
      try {
        const forced = await call<{ code: string; message: string }>(
          a,
          'POST',
          `/api/v1/members/${good}/verify`,
        );
        expect([forced.status, forced.body.code]).toEqual([422, 'MEMBER_VERIFY_FAILED']);
        expect(forced.body.message).toContain('the provider says no');
      } finally {
        verifier().setOutcome({});
      }
      const passed = await call(a, 'POST', `/api/v1/members/${good}/verify`);
      expect(passed.status).toBe(200);
      expect(passed.body).toMatchObject({ state: 'verified', realNameVerified: true });
      const active = await call(a, 'POST', `/api/v1/members/${good}/state`, { state: 'active' });
      expect(active.body.state).toBe('active');
    });

    it('binds a card only when its four elements match, in the member’s name; removes it', async () => {
      const bizUserId = `c-${run}`;
      await activeMember(bizUserId, '110101199001011236');
      const path = `/api/v1/members/${bizUserId}/bank-cards`;
      const wrongCard = await call(a, 'POST', path, {
        accountNo: '6222020000111122224',
        bankName: '沙箱银行',
        phone: '13912345678',
      });
      expect([wrongCard.status, wrongCard.body.code]).toEqual([422, 'MEMBER_VERIFY_FAILED']);
      verifier().setOutcome({ bankCard: { ok: false, reason: 'phone does not match' } });
      try {
        const forced = await call(a, 'POST', path, {
          accountNo: '6222020000111122223',
          bankName: '沙箱银行',
          phone: '13900000000',
        });
        expect([forced.status, forced.body.code]).toEqual([422, 'MEMBER_VERIFY_FAILED']);
      } finally {
        verifier().setOutcome({});
      }
      expect((await call<{ items: unknown[] }>(a, 'GET', path)).body.items).toEqual([]);
      const bound = await call<{
        id: string;
        holderName: string;
        accountNoMasked: string;
        isDefault: boolean;
        cardType: string;
      }>(a, 'POST', path, { accountNo: '6222020000111122223', bankName: '沙箱银行', phone: '13912345678' });
      expect(bound.status).toBe(201);
      expect(bound.body).toMatchObject({
        holderName: `会员 ${bizUserId}`,
        accountNoMasked: '6222 **** **** 2223',
        isDefault: true,
        cardType: 'personal',
      });
      const listed = await call<{ items: { id: string }[] }>(a, 'GET', path);
      expect(listed.body.items.map((c) => c.id)).toEqual([bound.body.id]);
      // Another app's member path does not reach the card.
      expect((await call(b, 'DELETE', `${path}/${bound.body.id}`)).status).toBe(404);
      expect((await call(a, 'DELETE', `${path}/${bound.body.id}`)).status).toBe(204);
      expect((await call<{ items: unknown[] }>(a, 'GET', path)).body.items).toEqual([]);
    });

    it('transfers between two members once per transferNo, and never beyond the available balance', async () => {
      const from = `tf-${run}`;
      const to = `tt-${run}`;
      await activeMember(from, '110101199001011238');
      await activeMember(to, '110101199001011239');
      await seedAvailable(from, 10_000n);
      const body = {
        transferNo: `T-${run}`,
        fromBizUserId: from,
        toBizUserId: to,
        amount: 3000,
        remark: '货款',
      };
      const first = await call<{
        transferNo: string;
        amount: number;
        fromBizUserId: string;
        toBizUserId: string;
        state: string;
      }>(a, 'POST', '/api/v1/member-transfers', body);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        amount: 3000,
        fromBizUserId: from,
        toBizUserId: to,
        state: 'succeeded',
      });
      const retry = await call<{ transferNo: string }>(a, 'POST', '/api/v1/member-transfers', body);
      expect(retry.status).toBe(200);
      expect(retry.body.transferNo).toBe(first.body.transferNo);
      const txns = await services().db.query<{ n: bigint }>(
        `SELECT count(*) AS n FROM ledger_txn WHERE kind = 'member_transfer' AND reference = $1`,
        [first.body.transferNo],
      );
      expect(Number(txns[0]!.n)).toBe(1);
      expect((await call(a, 'GET', `/api/v1/members/${from}`)).body.balances).toEqual({
        pending: 0,
        available: 7000,
        frozen: 0,
      });
      expect((await call(a, 'GET', `/api/v1/members/${to}`)).body.balances).toEqual({
        pending: 0,
        available: 3000,
        frozen: 0,
      });

      const changed = await call(a, 'POST', '/api/v1/member-transfers', { ...body, amount: 3001 });
      expect([changed.status, changed.body.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
      const tooMuch = await call(a, 'POST', '/api/v1/member-transfers', {
        ...body,
        transferNo: `T2-${run}`,
        amount: 7001,
      });
      expect([tooMuch.status, tooMuch.body.code]).toEqual([409, 'INSUFFICIENT_BALANCE']);
      const stored = await services().db.query('SELECT 1 FROM member_transfer WHERE mch_transfer_no = $1', [
        `T2-${run}`,
      ]);
      expect(stored).toEqual([]);
      expect((await call(a, 'GET', `/api/v1/members/${from}`)).body.balances?.available).toBe(7000);
      // App B knows neither member.
      const foreign = await call(b, 'POST', '/api/v1/member-transfers', { ...body, transferNo: `T3-${run}` });
      expect([foreign.status, foreign.body.code]).toEqual([404, 'MEMBER_NOT_FOUND']);
      // A frozen sender pays nothing.
      await call(a, 'POST', `/api/v1/members/${from}/state`, { state: 'frozen' });
      const frozen = await call(a, 'POST', '/api/v1/member-transfers', {
        ...body,
        transferNo: `T4-${run}`,
        amount: 1,
      });
      expect([frozen.status, frozen.body.code]).toEqual([409, 'MEMBER_STATE']);
      await call(a, 'POST', `/api/v1/members/${from}/state`, { state: 'active' });
      await expectLedgerOk();
    });

    it('pays a member’s withdrawal to its card through the payout; a frozen member cannot withdraw', async () => {
      const bizUserId = `w-${run}`;
      await activeMember(bizUserId, '110101199001011230', '6217000099998888777');
      await seedAvailable(bizUserId, 20_000n);
      const created = await call<{
        withdrawNo: string;
        state: string;
        amount: number;
        fee: number;
        arrivalAmount: number;
      }>(a, 'POST', `/api/v1/members/${bizUserId}/withdrawals`, { mchWithdrawNo: `MW-${run}`, amount: 5000 });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ amount: 5000, fee: 20, arrivalAmount: 4980 });
      const path = `/api/v1/members/${bizUserId}/withdrawals/${created.body.withdrawNo}`;
      const done = await eventually(async () => {
        const w = await call<{ state: string }>(a, 'GET', path);
        return ['succeeded', 'failed'].includes(w.body.state) ? w.body : undefined;
      });
      expect(done.state).toBe('succeeded');
      expect((await call(a, 'GET', `/api/v1/members/${bizUserId}`)).body.balances).toEqual({
        pending: 0,
        available: 15_000,
        frozen: 0,
      });
      const payout = await services().db.query<{
        member_id: bigint | null;
        merchant_id: bigint | null;
        state: string;
      }>('SELECT member_id, merchant_id, state FROM payout_order WHERE withdraw_no = $1', [
        created.body.withdrawNo,
      ]);
      expect(payout).toHaveLength(1);
      expect(payout[0]!.member_id).not.toBeNull();
      expect(payout[0]!.merchant_id).toBeNull();
      // The operators see it as the member's, with its number and name, under the member filter only.
      const admin = await operatorConsole(t);
      type Listed = {
        items: {
          withdrawNo: string;
          ownerKind: string;
          memberNo: string | null;
          memberName: string | null;
        }[];
      };
      const members = await admin.ok<Listed>('GET', '/api/admin/withdrawals?ownerKind=member');
      const mine = members.items.find((w) => w.withdrawNo === created.body.withdrawNo);
      const member = (await call(a, 'GET', `/api/v1/members/${bizUserId}`)).body;
      expect(mine).toMatchObject({ ownerKind: 'member', memberNo: member.memberNo, memberName: member.name });
      const merchants = await admin.ok<Listed>('GET', '/api/admin/withdrawals?ownerKind=merchant');
      expect(merchants.items.some((w) => w.withdrawNo === created.body.withdrawNo)).toBe(false);
      const payouts = await admin.ok<Listed & { items: { withdrawNo: string | null }[] }>(
        'GET',
        '/api/admin/payouts?ownerKind=member',
      );
      expect(payouts.items.map((p) => p.withdrawNo)).toContain(created.body.withdrawNo);
      // Another app's member path finds neither the member nor its withdrawal.
      expect((await call(b, 'GET', path)).status).toBe(404);
      // Frozen: refused, nothing frozen.
      await call(a, 'POST', `/api/v1/members/${bizUserId}/state`, { state: 'frozen' });
      const refused = await call(a, 'POST', `/api/v1/members/${bizUserId}/withdrawals`, {
        mchWithdrawNo: `MW2-${run}`,
        amount: 1000,
      });
      expect([refused.status, refused.body.code]).toEqual([409, 'MEMBER_STATE']);
      expect((await call(a, 'GET', `/api/v1/members/${bizUserId}`)).body.balances?.frozen).toBe(0);
      // A member with money cannot be closed.
      const close = await call(a, 'POST', `/api/v1/members/${bizUserId}/state`, { state: 'closed' });
      expect([close.status, close.body.code]).toEqual([409, 'MEMBER_STATE']);
      await expectLedgerOk();
    });

    it('lists a member’s entries by local days, newest first, a keyset page at a time', async () => {
      const bizUserId = `tf-${run}`;
      const today = localDate(new Date(), 'Asia/Shanghai');
      type Page = {
        items: { id: string; account: string; type: string; amount: number; balanceAfter: number }[];
        nextCursor: string | null;
      };
      const page = await call<Page>(
        a,
        'GET',
        `/api/v1/members/${bizUserId}/entries?from=${today}&to=${today}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.map((e) => [e.type, e.account, e.amount, e.balanceAfter])).toEqual([
        ['member_transfer', 'available', -3000, 7000],
        ['test_seed', 'available', 10_000, 10_000],
      ]);
      expect(page.body.nextCursor).toBeNull();
      const tomorrow = new Date(Date.now() + 86_400_000);
      const later = localDate(tomorrow, 'Asia/Shanghai');
      const none = await call<Page>(
        a,
        'GET',
        `/api/v1/members/${bizUserId}/entries?from=${later}&to=${later}`,
      );
      expect(none.body.items).toEqual([]);
      // The service's pages: one entry each, the cursor leading to the older one.
      const app = (await services().merchants.appKeys(a.appId))!;
      const member = await services().members.requireByBizUserId(app.appDbId, bizUserId);
      const first = await services().members.entries(member.id, { from: today, to: today }, null, 1);
      expect(first.items.map((e) => e.type)).toEqual(['member_transfer']);
      const second = await services().members.entries(
        member.id,
        { from: today, to: today },
        BigInt(first.nextCursor!),
        1,
      );
      expect(second.items.map((e) => e.type)).toEqual(['test_seed']);
      expect(second.nextCursor).toBeNull();
      const reversed = await call(a, 'GET', `/api/v1/members/${bizUserId}/entries?from=${later}&to=${today}`);
      expect([reversed.status, reversed.body.code]).toEqual([400, 'INVALID_REQUEST']);
      expect((await call(b, 'GET', `/api/v1/members/${bizUserId}/entries`)).status).toBe(404);
    });

    it('closes a member only with every balance at zero, and a closed member does nothing more', async () => {
      const bizUserId = `x-${run}`;
      await activeMember(bizUserId, '110101199001011231');
      const closed = await call(a, 'POST', `/api/v1/members/${bizUserId}/state`, { state: 'closed' });
      expect(closed.body.state).toBe('closed');
      const reopen = await call(a, 'POST', `/api/v1/members/${bizUserId}/state`, { state: 'active' });
      expect([reopen.status, reopen.body.code]).toEqual([409, 'MEMBER_STATE']);
      const into = await call(a, 'POST', '/api/v1/member-transfers', {
        transferNo: `TX-${run}`,
        fromBizUserId: `tt-${run}`,
        toBizUserId: bizUserId,
        amount: 1,
      });
      expect([into.status, into.body.code]).toEqual([409, 'MEMBER_STATE']);
    });

    it('keeps apps apart: app B neither sees A’s members nor is kept from its own bizUserIds', async () => {
      const bizUserId = `u-${run}`;
      expect((await call(b, 'GET', `/api/v1/members/${bizUserId}`)).status).toBe(404);
      expect((await call(b, 'POST', `/api/v1/members/${bizUserId}/state`, { state: 'frozen' })).status).toBe(
        404,
      );
      expect((await call(b, 'POST', `/api/v1/members/${bizUserId}/verify`)).status).toBe(404);
      const own = await call(b, 'POST', '/api/v1/members', { bizUserId, type: 'personal', name: 'B 的会员' });
      expect(own.status).toBe(201);
      const mine = await call(a, 'GET', `/api/v1/members/${bizUserId}`);
      expect(own.body.memberNo).not.toBe(mine.body.memberNo);
      expect(mine.body.name).toBe('张三');
      // A merchant or an app with members is never purged from the recycle bin.
      const keys = (await services().merchants.appKeys(b.appId))!;
      expect(await services().recycle.hasMoney('merchant', keys.merchantId)).toBe(true);
      expect(await services().recycle.hasMoney('app', keys.appDbId)).toBe(true);
      const empty = await services().merchants.createMerchant({ name: '无会员商户 No members' });
      expect(await services().recycle.hasMoney('merchant', empty.id)).toBe(false);
    });

    it('seeds the demo marketplace: two sellers with cards and a buyer, verified and active', async () => {
      for (const [bizUserId, name, type] of [
        ['seller-1', '云杉家具有限公司', 'enterprise'],
        ['seller-2', '李木', 'personal'],
        ['buyer-1', '赵小满', 'personal'],
      ] as const) {
        const got = await call(a, 'GET', `/api/v1/members/${bizUserId}`);
        expect(got.body).toMatchObject({ name, type, state: 'active', realNameVerified: true });
      }
      const cards = await call<{ items: { holderName: string; cardType: string }[] }>(
        a,
        'GET',
        '/api/v1/members/seller-1/bank-cards',
      );
      expect(cards.body.items).toEqual([
        expect.objectContaining({ holderName: '云杉家具有限公司', cardType: 'corporate' }),
      ]);
      expect(
        (await call<{ items: unknown[] }>(a, 'GET', '/api/v1/members/seller-2/bank-cards')).body.items,
      ).toHaveLength(1);
      // Seeding again changes nothing.
      const { seedDemoMarketplace } = await import('../src/app/demo.ts');
      const merchant = (await services().merchants.appKeys(a.appId))!;
      await seedDemoMarketplace(services(), { merchantId: merchant.merchantId, appId: a.appId });
      const count = await services().db.query<{ n: bigint }>(
        `SELECT count(*) AS n FROM member WHERE biz_user_id IN ('seller-1', 'seller-2', 'buyer-1') AND app_id = $1`,
        [merchant.appDbId],
      );
      expect(Number(count[0]!.n)).toBe(3);
      expect(
        (await call<{ items: unknown[] }>(a, 'GET', '/api/v1/members/seller-1/bank-cards')).body.items,
      ).toHaveLength(1);
    });
  });
}
