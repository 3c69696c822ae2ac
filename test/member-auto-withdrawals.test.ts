import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerReport } from '../src/app/platform.ts';
import type { AccountRef } from '../src/ledger/types.ts';
import { addDays, localDate, startOfLocalDay } from '../src/stats/time.ts';
import { memberOwner } from '../src/withdrawals/owner.ts';
import { DEFAULT_WITHDRAWAL_RULES } from '../src/withdrawals/rules.ts';
import { ConsoleClient, merchantConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { createTestMember, type TestMember } from './support/members.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * Automatic member withdrawals (auto-withdraw-member-balances): at or after a member's time, once
 * per local day, its whole available balance goes to its default card as a member withdrawal; not
 * before the time; never twice a day (a second run, two runs at once, a run after a crash that
 * withdrew but recorded nothing); frozen members, balances below the minimum and members without a
 * card are skipped with the reason recorded; manual and platform members are left alone, and a
 * platform member cannot withdraw in its portal. The ledger check holds afterwards.
 */

const RULES = {
  ...DEFAULT_WITHDRAWAL_RULES,
  minAmount: 100n,
  maxAmount: 5_000_000n,
  fixedFee: 0n,
  feeRatePpm: 0,
  dailyCount: 1000,
  dailyAmount: 1_000_000_000n,
  reviewThreshold: 100_000_000n,
  windowStart: '00:00',
  windowEnd: '24:00',
};

interface Run {
  member_no: string;
  outcome: string;
  reason: string | null;
  withdraw_no: string | null;
  amount: bigint | null;
}

for (const database of testDatabases) {
  describe(`automatic member withdrawals on ${database.kind}`, () => {
    let t: TestPlatform;
    let manager: ConsoleClient;
    const suffix = Date.now().toString(36);
    let cardSequence = 0;
    const services = () => t.platform.services;
    /** A local time of today (or `days` later) in the platform's time zone. */
    const at = (clock: string, days = 0) => {
      const tz = services().withdrawals.timeZone;
      const day = addDays(localDate(new Date(), tz), days);
      const [h, m] = clock.split(':').map(Number) as [number, number];
      return new Date(startOfLocalDay(day, tz).getTime() + (h * 60 + m) * 60_000);
    };
    const dayOf = (date: Date) => localDate(date, services().withdrawals.timeZone);

    async function credit(memberId: bigint, amount: bigint, reference: string) {
      const s = services();
      const account: AccountRef = { kind: 'member_available', ownerId: memberId, currency: 'CNY' };
      const clearing: AccountRef = {
        kind: 'channel_clearing',
        ownerId: t.channelAccountIds[0]!,
        currency: 'CNY',
      };
      await s.ledger.openAccounts([account, clearing]);
      await s.db.tx((q) =>
        s.ledger.post(q, {
          kind: 'settlement',
          reference,
          idempotencyKey: `auto_withdraw_test:${reference}`,
          legs: [
            { account: clearing, amount: -amount },
            { account, amount },
          ],
        }),
      );
    }
    const available = (m: TestMember) =>
      services().ledger.balanceOf({ kind: 'member_available', ownerId: m.id, currency: 'CNY' });
    /** A member with a card, a balance and a withdrawal setting (set by the merchant). */
    async function member(
      name: string,
      o: { balance: bigint; mode: 'manual' | 'auto' | 'platform'; time?: string; card?: boolean },
    ): Promise<TestMember> {
      const s = services();
      const m = await createTestMember(s, {
        appId: t.demo.merchant.appId,
        bizUserId: `aw-${name}-${suffix}`,
      });
      if (o.card !== false) {
        const row = (await s.members.byIds([m.id])).get(m.id)!;
        await s.members.bindCard(row, {
          accountNo: `6222${String(Date.now()).slice(-8)}${String(++cardSequence).padStart(5, '0')}1`,
          bankName: '沙箱银行 Sandbox Bank',
          phone: '13900000000',
        });
      }
      if (o.balance > 0n) await credit(m.id, o.balance, `AW-${name}-${suffix}`);
      await manager.ok('PUT', `/api/merchant/members/${m.memberNo}/withdraw-setting`, {
        mode: o.mode,
        ...(o.time ? { autoTime: o.time } : {}),
      });
      return m;
    }
    const runsOn = (day: string, members: TestMember[]) =>
      services().db.query<Run>(
        `SELECT m.member_no, r.outcome, r.reason, r.withdraw_no, r.amount
         FROM member_auto_withdrawal r JOIN member m ON m.id = r.member_id
         WHERE r.local_day = $1::date AND r.member_id = ANY($2::bigint[]) ORDER BY m.member_no`,
        [day, members.map((m) => m.id.toString())],
      );
    const withdrawalsOf = (m: TestMember) =>
      services().db.query<{ withdraw_no: string; mch_withdraw_no: string; amount: bigint; source: string }>(
        'SELECT withdraw_no, mch_withdraw_no, amount, source FROM withdrawal WHERE member_id = $1 ORDER BY id',
        [m.id],
      );
    async function expectLedgerOk() {
      const report = await ledgerReport(services());
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
    }

    let seller: TestMember;
    let frozen: TestMember;
    let small: TestMember;
    let cardless: TestMember;
    let manual: TestMember;
    let platform: TestMember;
    let late: TestMember;

    beforeAll(async () => {
      t = await startTestPlatform(database);
      const s = services();
      await s.withdrawals.rules.setDefaults(RULES);
      for (const id of t.channelAccountIds) {
        await s.catalog.updateChannelAccount(id, { config: { payoutOutcome: 'succeed' } });
      }
      const merchant = await s.merchants.requireMerchant(t.demo.merchant.mchNo);
      manager = await merchantConsole(t, { merchantId: merchant.id, merchantRole: 'manager' });
      seller = await member('seller', { balance: 50_000n, mode: 'auto', time: '10:00' });
      frozen = await member('frozen', { balance: 20_000n, mode: 'auto', time: '10:00' });
      await s.members.setState((await s.members.byIds([frozen.id])).get(frozen.id)!, 'frozen');
      small = await member('small', { balance: 50n, mode: 'auto', time: '09:30' });
      cardless = await member('cardless', { balance: 0n, mode: 'manual', card: false });
      // Without a card the merchant cannot turn automatic withdrawal on; set as if it had been.
      await s.db.query(
        `UPDATE member SET withdraw_mode = 'auto', withdraw_auto_time = '08:00' WHERE id = $1`,
        [cardless.id],
      );
      await credit(cardless.id, 30_000n, `AW-cardless-${suffix}`);
      manual = await member('manual', { balance: 40_000n, mode: 'manual' });
      platform = await member('platform', { balance: 40_000n, mode: 'platform' });
      late = await member('late', { balance: 60_000n, mode: 'auto', time: '23:59' });
    }, 180_000);

    afterAll(async () => {
      await t?.stop();
    });

    it('withdraws at the member’s time, not before, and skips with the reason', async () => {
      const all = [seller, frozen, small, cardless, manual, platform, late];
      const auto = services().members.autoWithdrawals;
      const today = dayOf(at('10:00'));

      await auto.run(at('07:59'));
      expect(await runsOn(today, all)).toEqual([]);

      // 09:59: the small balance's time (09:30) and the cardless member's (08:00) have come, not the seller's.
      await auto.run(at('09:59'));
      expect((await runsOn(today, all)).map((r) => [r.member_no, r.outcome, r.reason])).toEqual(
        [
          [cardless.memberNo, 'skipped', 'no_card'],
          [small.memberNo, 'skipped', 'below_minimum'],
        ].sort(),
      );
      expect(await withdrawalsOf(seller)).toEqual([]);

      const result = await auto.run(at('10:00'));
      const runs = await runsOn(today, all);
      const seen = Object.fromEntries(runs.map((r) => [r.member_no, r]));
      expect(seen[seller.memberNo]).toMatchObject({ outcome: 'withdrawn', amount: 50_000n });
      expect(seen[frozen.memberNo]).toMatchObject({
        outcome: 'skipped',
        reason: 'frozen',
        withdraw_no: null,
      });
      // Manual, platform and not-yet members have no run at all.
      for (const m of [manual, platform, late]) expect(seen[m.memberNo]).toBeUndefined();
      const made = await withdrawalsOf(seller);
      expect(made).toEqual([
        {
          withdraw_no: seen[seller.memberNo]!.withdraw_no,
          mch_withdraw_no: `AUTO-${seller.memberNo}-${today.replaceAll('-', '')}`,
          amount: 50_000n,
          source: 'auto',
        },
      ]);
      expect(result.withdrawn).toEqual([made[0]!.withdraw_no]);
      expect(await available(seller)).toBe(0n);
      expect(await available(frozen)).toBe(20_000n);
      expect(await available(manual)).toBe(40_000n);
      expect(await available(platform)).toBe(40_000n);
      await expectLedgerOk();
    });

    it('withdraws once a day: a second run, two at once, and a run after a crash add nothing', async () => {
      const auto = services().members.autoWithdrawals;
      const today = dayOf(at('10:00'));
      // Money arrives after the day's withdrawal: it waits for tomorrow.
      await credit(seller.id, 7_000n, `AW-seller-more-${suffix}`);
      expect((await auto.run(at('10:05'))).withdrawn).toEqual([]);
      expect(await withdrawalsOf(seller)).toHaveLength(1);

      // A run that withdrew and then stopped before recording it.
      await services().db.query('DELETE FROM member_auto_withdrawal WHERE member_id = $1', [seller.id]);
      await Promise.all([auto.run(at('10:06')), auto.run(at('10:06'))]);
      const made = await withdrawalsOf(seller);
      expect(made).toHaveLength(1);
      expect(await runsOn(today, [seller])).toEqual([
        {
          member_no: seller.memberNo,
          outcome: 'withdrawn',
          reason: null,
          withdraw_no: made[0]!.withdraw_no,
          amount: 50_000n,
        },
      ]);
      expect(await available(seller)).toBe(7_000n);

      // Two workers at once on a member due for the first time: one withdrawal.
      await Promise.all([auto.run(at('23:59')), auto.run(at('23:59'))]);
      expect(await withdrawalsOf(late)).toHaveLength(1);
      expect(await available(late)).toBe(0n);

      // The next local day withdraws what came since.
      const tomorrow = dayOf(at('10:00', 1));
      await auto.run(at('10:00', 1));
      const next = await withdrawalsOf(seller);
      expect(next.map((w) => [w.mch_withdraw_no, w.amount])).toEqual([
        [`AUTO-${seller.memberNo}-${today.replaceAll('-', '')}`, 50_000n],
        [`AUTO-${seller.memberNo}-${tomorrow.replaceAll('-', '')}`, 7_000n],
      ]);
      await expectLedgerOk();
    });

    it('lets the merchant make a member’s withdrawals itself: the portal neither withdraws nor changes it', async () => {
      const s = services();
      const username = `aw_platform_${suffix}`;
      const password = `pw7-${randomBytes(9).toString('base64url')}`;
      await s.consoleUsers.createUser({
        area: 'member',
        username,
        password,
        displayName: 'p',
        memberId: platform.id,
      });
      const portal = new ConsoleClient(t.platform.url);
      expect(await portal.login('member', username, password)).toBe('active');
      const cards = await s.withdrawals.cards.list(memberOwner(platform.id));
      const refused = await portal.call<{ code: string }>('POST', '/api/member/withdrawals', {
        amount: 10_000,
        cardId: cards[0]!.id.toString(),
        password,
      });
      expect([refused.status, refused.body.code]).toEqual([403, 'MEMBER_WITHDRAW_BY_PLATFORM']);
      const me = await portal.ok<{ withdrawSetting: { mode: string } }>('GET', '/api/member/me');
      expect(me.withdrawSetting.mode).toBe('platform');
      const change = await portal.call<{ code: string }>('PUT', '/api/member/withdraw-setting', {
        mode: 'manual',
        password,
      });
      expect(change.status).toBe(403);
      // The marketplace withdraws for it through the API's path (the withdrawals service as the API calls it).
      const { withdrawal } = await s.withdrawals.create(
        memberOwner(platform.id),
        { mchWithdrawNo: `API-${suffix}`, amount: 10_000n },
        { source: 'api', appId: t.demo.merchant.appId, userId: null },
      );
      expect(withdrawal.amount).toBe(10_000n);

      // The merchant sees the setting and the last automatic run; the merchant may hand it back.
      const detail = await manager.ok<{ withdrawSetting: { mode: string; lastAutoRun: unknown } }>(
        'GET',
        `/api/merchant/members/${seller.memberNo}`,
      );
      expect(detail.withdrawSetting).toMatchObject({ mode: 'auto', lastAutoRun: { outcome: 'withdrawn' } });
      const back = await manager.ok<{ mode: string }>(
        'PUT',
        `/api/merchant/members/${platform.memberNo}/withdraw-setting`,
        {
          mode: 'manual',
        },
      );
      expect(back.mode).toBe('manual');
      const noTime = await manager.call<{ code: string }>(
        'PUT',
        `/api/merchant/members/${cardless.memberNo}/withdraw-setting`,
        { mode: 'auto', autoTime: '09:00' },
      );
      expect(noTime.body.code).toBe('NO_BANK_CARD');
      await expectLedgerOk();
    });
  });
}
