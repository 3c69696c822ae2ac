import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerReport } from '../src/app/platform.ts';
import { localDate } from '../src/stats/time.ts';
import { FakeAliyunSms } from './fakes/sms/aliyun.ts';
import { type ConsoleClient, merchantConsole, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * The merchant portal's members (会员管理): the list with its filters and keyset pages, opening a
 * member on its behalf (managers only), the detail with balances, cards and agreements, the signed
 * agreement's document, state changes, the entries with their export (at most 10 000 rows) and
 * end-of-day balances, the transfers; another merchant's portal reaches none of them.
 */

interface MemberView {
  memberNo: string;
  bizUserId: string;
  type: string;
  name: string;
  state: string;
  source: string;
  realNameVerified: boolean;
}
interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

for (const database of testDatabases) {
  describe(`members in the merchant portal on ${database.kind}`, () => {
    let t: TestPlatform;
    let manager: ConsoleClient;
    let cashier: ConsoleClient;
    let otherManager: ConsoleClient;
    let run = '';
    const sms = new FakeAliyunSms('LTAI-members', 'members-secret-1', ['青云支付'], {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Aliyun's own placeholder syntax
      SMS_300001: '${member}，您已成为${merchant}的会员，会员编号${memberNo}。',
    });
    const services = () => t.platform.services;
    const today = () => localDate(new Date(), 'Asia/Shanghai');

    async function memberIdOf(memberNo: string, merchantId: bigint) {
      return (await services().members.requireForMerchant(merchantId, memberNo)).id;
    }
    async function demoMerchantId() {
      return (await services().merchants.appKeys(t.demo.merchant.appId))!.merchantId;
    }
    /**
     * Test-only money into a member's available balance as `count` entries of 1 fen, balanced by one
     * entry out of platform revenue: one ledger transaction, written in bulk.
     */
    async function seedEntries(memberId: bigint, count: number) {
      const s = services();
      const available = { kind: 'member_available', ownerId: memberId, currency: 'CNY' } as const;
      const revenue = { kind: 'platform_revenue', ownerId: null, currency: 'CNY' } as const;
      await s.ledger.openAccounts([available, revenue]);
      await s.db.tx(async (q) => {
        const id = async (kind: string, owner: bigint | null) =>
          (
            await q.query<{ id: bigint }>(
              'SELECT id FROM ledger_account WHERE kind = $1 AND owner_id IS NOT DISTINCT FROM $2',
              [kind, owner],
            )
          )[0]!.id;
        const memberAccount = await id('member_available', memberId);
        const revenueAccount = await id('platform_revenue', null);
        const txn = (
          await q.query<{ id: bigint }>(
            `INSERT INTO ledger_txn (kind, reference, idempotency_key) VALUES ('test_seed', $1, $1) RETURNING id`,
            [`bulk-${run}-${memberId}-${count}`],
          )
        )[0]!.id;
        await q.query(
          // Each of the member's (kept) entries with its balance after, as a posting writes it.
          `INSERT INTO ledger_entry (txn_id, account_id, amount, currency, balance_after)
           SELECT $1::bigint, $2::bigint, 1::bigint, 'CNY', (SELECT balance FROM ledger_account WHERE id = $2) + g
           FROM generate_series(1, $4::int) g
           UNION ALL SELECT $1::bigint, $3::bigint, -$4::bigint, 'CNY', NULL`,
          [txn, memberAccount, revenueAccount, count],
        );
        await q.query('UPDATE ledger_account SET balance = balance + $2 WHERE id = $1', [
          memberAccount,
          count,
        ]);
      });
    }

    beforeAll(async () => {
      await sms.start();
      t = await startTestPlatform(database);
      run = Date.now().toString(36);
      // SMS through the (fake) Aliyun provider, the member.opened template bound to its code.
      const admin = await operatorConsole(t);
      const providers = await admin.ok<{ email: Record<string, unknown> }>(
        'GET',
        '/api/admin/notifications/providers',
      );
      await admin.ok('PUT', '/api/admin/notifications/providers', {
        email: { ...providers.email, mode: 'log', password: undefined, envHost: undefined },
        sms: {
          mode: 'aliyun',
          signName: '青云支付',
          aliyun: {
            accessKeyId: sms.accessKeyId,
            accessKeySecret: 'members-secret-1',
            endpoint: sms.url,
            regionId: 'cn-hangzhou',
          },
          tencent: {
            secretId: '',
            endpoint: 'https://sms.tencentcloudapi.com',
            region: 'ap-guangzhou',
            sdkAppId: '',
          },
        },
      });
      const { items } = await admin.ok<{
        items: { event: string; locale: string; subject: string; body: string }[];
      }>('GET', '/api/admin/notifications/templates');
      const zh = items.find((i) => i.event === 'member.opened' && i.locale === 'zh')!;
      await admin.ok('PUT', '/api/admin/notifications/templates/member.opened/zh', {
        subject: zh.subject,
        body: zh.body,
        smsTemplateCode: 'SMS_300001',
        smsSignName: '',
      });
      const merchantId = await demoMerchantId();
      manager = await merchantConsole(t, { merchantId, merchantRole: 'manager' });
      cashier = await merchantConsole(t, { merchantId, merchantRole: 'cashier' });
      const other = await services().merchants.createMerchant({ name: '另一商户 Portal members' });
      await services().merchants.createApp(other.mch_no, { name: 'other portal app' });
      otherManager = await merchantConsole(t, { merchantId: other.id, merchantRole: 'manager' });
    }, 120_000);

    afterAll(async () => {
      await t?.stop();
      await sms.stop();
    });

    it('opens a member on its behalf (managers only), with the agreement signed in the portal', async () => {
      const body = {
        bizUserId: `p-${run}`,
        type: 'enterprise',
        name: '青松木业有限公司',
        legalPersonName: '陈青松',
        idNo: '91330100MA2B3C5D7X',
        phone: '13700001111',
      };
      const refused = await cashier.call<{ code: string }>('POST', '/api/merchant/members', body);
      expect(refused.status).toBe(403);
      const created = await manager.call<MemberView>('POST', '/api/merchant/members', body);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        bizUserId: body.bizUserId,
        type: 'enterprise',
        source: 'portal',
        state: 'created',
      });
      const again = await manager.call<MemberView>('POST', '/api/merchant/members', body);
      expect([again.status, again.body.memberNo]).toEqual([200, created.body.memberNo]);
      // The member with a phone is told by SMS, once (the repeated request opened nothing).
      const told = await eventually(() => sms.sent.find((m) => m.phone === '13700001111'));
      expect(told.text).toBe(`青松木业有限公司，您已成为演示商户的会员，会员编号${created.body.memberNo}。`);
      expect(sms.sent.filter((m) => m.phone === '13700001111')).toHaveLength(1);

      type Detail = {
        member: MemberView;
        balances: { pending: number; available: number; frozen: number };
        cards: unknown[];
        agreements: { id: string; kind: string; version: string; signedVia: string }[];
      };
      const detail = await manager.ok<Detail>('GET', `/api/merchant/members/${created.body.memberNo}`);
      expect(detail.member.memberNo).toBe(created.body.memberNo);
      expect(detail.balances).toEqual({ pending: 0, available: 0, frozen: 0 });
      expect(detail.cards).toEqual([]);
      expect(detail.agreements).toEqual([
        expect.objectContaining({ kind: 'member_service', signedVia: 'portal' }),
      ]);
      const document = await manager.call<string>(
        'GET',
        `/api/merchant/members/${created.body.memberNo}/agreements/${detail.agreements[0]!.id}/document`,
      );
      expect(document.status).toBe(200);
      expect(document.headers.get('content-type')).toContain('text/plain');
      expect(document.headers.get('content-disposition')).toContain('attachment');
      expect(document.text).toContain('会员服务协议');
      expect(document.text).toContain('青松木业有限公司');
      expect(document.text).toContain(created.body.memberNo);
      expect(document.text).toContain('商户后台代签');
      // Another merchant's portal finds neither the member nor its agreement.
      expect((await otherManager.call('GET', `/api/merchant/members/${created.body.memberNo}`)).status).toBe(
        404,
      );
      expect(
        (
          await otherManager.call(
            'GET',
            `/api/merchant/members/${created.body.memberNo}/agreements/${detail.agreements[0]!.id}/document`,
          )
        ).status,
      ).toBe(404);
      // The action is in the audit log.
      await eventually(async () => {
        const audit = await services().db.query<{ action: string }>(
          `SELECT action FROM audit_log WHERE action_key = 'member.create' AND target_type = 'member' AND target_id = $1`,
          [created.body.memberNo],
        );
        return audit.length > 0 ? true : undefined;
      });
    });

    it('lists the merchant’s members by type, state and keyword, a keyset page at a time', async () => {
      const all = await manager.ok<Page<MemberView>>('GET', '/api/merchant/members');
      // The demo marketplace and the member above.
      expect(all.items.map((m) => m.bizUserId)).toEqual(
        expect.arrayContaining(['seller-1', 'seller-2', 'buyer-1', `p-${run}`]),
      );
      const enterprises = await manager.ok<Page<MemberView>>('GET', '/api/merchant/members?type=enterprise');
      expect(enterprises.items.every((m) => m.type === 'enterprise')).toBe(true);
      expect(enterprises.items.map((m) => m.bizUserId)).toEqual(
        expect.arrayContaining(['seller-1', `p-${run}`]),
      );
      const created = await manager.ok<Page<MemberView>>('GET', '/api/merchant/members?state=created');
      expect(created.items.map((m) => m.bizUserId)).toEqual([`p-${run}`]);
      const byName = await manager.ok<Page<MemberView>>(
        `GET`,
        `/api/merchant/members?q=${encodeURIComponent('云杉')}`,
      );
      expect(byName.items.map((m) => m.bizUserId)).toEqual(['seller-1']);
      // Pages of the service: each member once, newest first.
      const merchantId = await demoMerchantId();
      const seen: string[] = [];
      let cursor: bigint | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await services().members.list({ merchantId, beforeId: cursor, limit: 1 });
        seen.push(...page.items.map((m) => m.biz_user_id));
        if (!page.nextCursor) break;
        cursor = BigInt(page.nextCursor);
      }
      expect(seen).toEqual(all.items.map((m) => m.bizUserId));
      // Another merchant sees none of them.
      expect((await otherManager.ok<Page<MemberView>>('GET', '/api/merchant/members')).items).toEqual([]);
    });

    it('freezes and activates a member (managers only)', async () => {
      const seller = (await manager.ok<Page<MemberView>>('GET', '/api/merchant/members?q=seller-2'))
        .items[0]!;
      expect(
        (await cashier.call('POST', `/api/merchant/members/${seller.memberNo}/state`, { state: 'frozen' }))
          .status,
      ).toBe(403);
      expect(
        (
          await otherManager.call('POST', `/api/merchant/members/${seller.memberNo}/state`, {
            state: 'frozen',
          })
        ).status,
      ).toBe(404);
      expect(
        (
          await manager.ok<MemberView>('POST', `/api/merchant/members/${seller.memberNo}/state`, {
            state: 'frozen',
          })
        ).state,
      ).toBe('frozen');
      expect(
        (
          await manager.ok<MemberView>('POST', `/api/merchant/members/${seller.memberNo}/state`, {
            state: 'active',
          })
        ).state,
      ).toBe('active');
    });

    it('shows entries, end-of-day balances and transfers, and exports entries up to 10 000 rows', async () => {
      const merchantId = await demoMerchantId();
      const [s1, s2] = await Promise.all(
        ['seller-1', 'seller-2'].map(
          async (b) => (await manager.ok<Page<MemberView>>('GET', `/api/merchant/members?q=${b}`)).items[0]!,
        ),
      );
      await seedEntries(await memberIdOf(s1!.memberNo, merchantId), 3);
      const app = (await services().merchants.appKeys(t.demo.merchant.appId))!;
      await services().members.transfer(
        { merchantId, appDbId: app.appDbId },
        { transferNo: `PT-${run}`, fromBizUserId: 'seller-1', toBizUserId: 'seller-2', amount: 2n },
      );
      const day = today();
      const entries = await manager.ok<
        Page<{ type: string; account: string; amount: number; balanceAfter: number }>
      >('GET', `/api/merchant/members/${s1!.memberNo}/entries?from=${day}&to=${day}`);
      expect(entries.items.map((e) => [e.type, e.amount, e.balanceAfter])).toEqual([
        ['member_transfer', -2, 1],
        ['test_seed', 1, 3],
        ['test_seed', 1, 2],
        ['test_seed', 1, 1],
      ]);
      const balances = await manager.ok<{
        items: { day: string; available: number; pending: number; frozen: number }[];
      }>('GET', `/api/merchant/members/${s1!.memberNo}/daily-balances?from=${day}&to=${day}`);
      expect(balances.items).toEqual([{ day, pending: 0, available: 1, frozen: 0 }]);
      const transfers = await manager.ok<
        Page<{ mchTransferNo: string; fromMemberNo: string; toMemberNo: string; amount: number }>
      >('GET', '/api/merchant/member-transfers');
      expect(transfers.items).toEqual([
        expect.objectContaining({
          mchTransferNo: `PT-${run}`,
          fromMemberNo: s1!.memberNo,
          toMemberNo: s2!.memberNo,
          amount: 2,
        }),
      ]);
      expect((await otherManager.ok<Page<unknown>>('GET', '/api/merchant/member-transfers')).items).toEqual(
        [],
      );
      expect((await cashier.call('GET', `/api/merchant/members/${s1!.memberNo}/entries`)).status).toBe(403);

      const csv = await manager.call<string>(
        'GET',
        `/api/merchant/members/${s1!.memberNo}/entries/export?from=${day}&to=${day}&format=csv`,
      );
      expect(csv.status).toBe(200);
      expect(csv.headers.get('x-export-rows')).toBe('4');
      expect(csv.text).toContain('会员转账');
      expect(csv.text).toContain('簿记账户');

      // 10 001 entries: refused before a byte is written, with the limit in the answer.
      const big = await manager.ok<Page<MemberView>>('GET', '/api/merchant/members?q=buyer-1');
      await seedEntries(await memberIdOf(big.items[0]!.memberNo, merchantId), 10_001);
      const tooBig = await manager.call<{ code: string; details: { reason: string; limit: number } }>(
        'GET',
        `/api/merchant/members/${big.items[0]!.memberNo}/entries/export?format=csv`,
      );
      expect(tooBig.status).toBe(400);
      expect(tooBig.body.code).toBe('INVALID_REQUEST');
      expect(tooBig.body.details).toMatchObject({ reason: 'export_too_large', limit: 10_000 });
      expect(
        (await otherManager.call('GET', `/api/merchant/members/${s1!.memberNo}/entries/export`)).status,
      ).toBe(404);

      const report = await ledgerReport(services());
      expect(report.problems).toEqual([]);
    }, 60_000);
  });
}
