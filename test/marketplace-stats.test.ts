import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppKeys } from '../src/merchants/service.ts';
import type { CreateOrderInput } from '../src/orders/create.ts';
import type { OrderRow } from '../src/orders/queries.ts';
import { addDays, localDate } from '../src/stats/time.ts';
import { DEFAULT_WITHDRAWAL_RULES } from '../src/withdrawals/rules.ts';
import { type ConsoleClient, merchantConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { createTestMember, type TestMember } from './support/members.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * The merchant dashboard's marketplace figures (seed 001 §1.2.1): consumption, escrow and recharge
 * payments, members' withdrawals, refunds and transfers, made through the services, counted per
 * local day with their amounts, the merchant's commission and the platform's fee; the store
 * manager's only, and never another merchant's.
 */

interface Figures {
  count: number;
  amount: number;
  commission: number;
  fee: number;
}
type Kind = 'consumption' | 'escrow' | 'recharge' | 'withdrawal' | 'refund' | 'transfer';
interface Today extends Record<Kind, Figures> {
  date: string;
  readAt: string;
  inflow: { count: number; amount: number };
}
interface Trend {
  from: string;
  to: string;
  kinds: Kind[];
  totals: Partial<Record<Kind, Figures>>;
  days: ({ date: string } & Partial<Record<Kind, Figures>>)[];
}

const ZERO = { count: 0, amount: 0, commission: 0, fee: 0 };
const TODAY = '/api/merchant/stats/marketplace/today?includeTest=1';
const trendPath = (query: string) => `/api/merchant/stats/marketplace/trend?includeTest=1&${query}`;

for (const database of testDatabases) {
  describe(`marketplace figures on ${database.kind}`, () => {
    let t: TestPlatform;
    let app: AppKeys;
    let manager: ConsoleClient;
    let seller: TestMember;
    let buyer: TestMember;
    let sequence = 0;
    const services = () => t.platform.services;
    const nextNo = (prefix: string) => `${prefix}${Date.now().toString(36)}${++sequence}`;
    const today = () => localDate(new Date(), 'Asia/Shanghai');

    async function paidOrder(amount: bigint, terms: Partial<CreateOrderInput>): Promise<OrderRow> {
      const { order } = await services().orders.createOrder(app, {
        mchOrderNo: nextNo('MS'),
        productCode: 'sandbox_qr',
        amount,
        subject: 'marketplace figures',
        ...terms,
      });
      expect(await payOnSandbox(order.pay_data_value!)).toBe(200);
      return eventually(async () => {
        const now = await services().orders.requireByOrderNo(order.order_no);
        return now.state === 'paid' ? now : undefined;
      });
    }
    /** Test-only money into a member's available balance: one balanced posting from platform revenue. */
    async function seedAvailable(memberId: bigint, amount: bigint) {
      const available = { kind: 'member_available', ownerId: memberId, currency: 'CNY' } as const;
      const revenue = { kind: 'platform_revenue', ownerId: null, currency: 'CNY' } as const;
      await services().ledger.openAccounts([available, revenue]);
      await services().db.tx((q) =>
        services().ledger.post(q, {
          kind: 'test_seed',
          reference: `seed-${memberId}`,
          idempotencyKey: `test_seed:${nextNo('S')}`,
          legs: [
            { account: revenue, amount: -amount },
            { account: available, amount },
          ],
        }),
      );
    }

    beforeAll(async () => {
      t = await startTestPlatform(database);
      const s = services();
      app = (await s.merchants.appKeys(t.demo.merchant.appId))!;
      await s.withdrawals.rules.setDefaults({
        ...DEFAULT_WITHDRAWAL_RULES,
        minAmount: 100n,
        fixedFee: 20n,
        feeRatePpm: 0,
        dailyCount: 1000,
        dailyAmount: 1_000_000_000n,
        reviewThreshold: 100_000_000n,
      });
      for (const id of t.channelAccountIds) {
        await s.catalog.updateChannelAccount(id, { config: { payoutOutcome: 'succeed' } });
      }
      manager = await merchantConsole(t, { merchantId: app.merchantId, merchantRole: 'manager' });
      seller = await createTestMember(s, { appId: app.appId, bizUserId: 'fig-seller' });
      buyer = await createTestMember(s, { appId: app.appId, bizUserId: 'fig-buyer' });
    }, 180_000);

    afterAll(async () => {
      await t?.stop();
    });

    it('counts each kind of today exactly, with the merchant’s commission and the platform’s fee', async () => {
      const empty = await manager.ok<Today>('GET', TODAY);
      expect(empty.date).toBe(today());
      expect(empty.inflow).toEqual({ count: 0, amount: 0 });
      for (const kind of ['consumption', 'escrow', 'recharge', 'withdrawal', 'refund', 'transfer'] as const) {
        expect(empty[kind]).toEqual(ZERO);
      }

      // The marketplace takes 1% (at least ¥0.05); the receiver is the order's payee.
      const rule = await manager.ok<{ ruleNo: string }>('POST', '/api/merchant/split-rules', {
        name: 'figures 1%',
        appId: app.appId,
        receiver: { kind: 'payee' },
        parties: [{ party: { kind: 'merchant' }, basis: 'ppm', value: 10_000, floor: 5 }],
      });
      const payee = { payee: { bizUserId: seller.bizUserId }, splitRuleNo: rule.ruleNo };
      const consumption = [await paidOrder(10_000n, payee), await paidOrder(300n, payee)];
      const escrow = await paidOrder(20_000n, { ...payee, escrow: true });
      const recharge = await paidOrder(5_000n, {
        payee: { bizUserId: buyer.bizUserId },
        purpose: 'recharge',
      });
      // A plain order is no marketplace order.
      await paidOrder(7_000n, {});

      // Escrow holds everything: no commission until it is released.
      const held = await manager.ok<Today>('GET', TODAY);
      expect(held.escrow).toEqual({ count: 1, amount: 20_000, commission: 0, fee: Number(escrow.fee) });
      await services().splits.escrows.confirmEscrow(
        app.merchantId,
        escrow.order_no,
        { confirmNo: 'all' },
        'api',
      );

      // A refund of the recharge: counted apart, the recharge's own figures unchanged.
      const refund = (
        await services().refunds.createRefund(app, {
          orderNo: recharge.order_no,
          mchRefundNo: nextNo('RF'),
          amount: 1_000n,
        })
      ).refund;

      await seedAvailable(buyer.id, 50_000n);
      const appScope = { merchantId: app.merchantId, appDbId: app.appDbId };
      await services().members.transfer(appScope, {
        transferNo: nextNo('T'),
        fromBizUserId: buyer.bizUserId,
        toBizUserId: seller.bizUserId,
        amount: 2_500n,
      });
      await services().members.transfer(appScope, {
        transferNo: nextNo('T'),
        fromBizUserId: buyer.bizUserId,
        toBizUserId: seller.bizUserId,
        amount: 500n,
      });
      const buyerRow = await services().members.requireByBizUserId(app.appDbId, buyer.bizUserId);
      await services().members.bindCard(buyerRow, {
        accountNo: '6217000011112222333',
        bankName: '沙箱银行',
        phone: '13912345678',
      });
      const withdrawal = await services().members.withdraw(buyerRow, {
        mchWithdrawNo: nextNo('W'),
        amount: 4_000n,
      });
      expect(withdrawal.withdrawal.fee).toBe(20n);

      const figures = await manager.ok<Today>('GET', TODAY);
      const fees = (orders: OrderRow[]) => orders.reduce((sum, o) => sum + Number(o.fee), 0);
      // 1% of ¥100 is ¥1.00; 1% of ¥3 is under the ¥0.05 floor.
      expect(figures.consumption).toEqual({
        count: 2,
        amount: 10_300,
        commission: 105,
        fee: fees(consumption),
      });
      expect(figures.escrow).toEqual({ count: 1, amount: 20_000, commission: 200, fee: Number(escrow.fee) });
      expect(figures.recharge).toEqual({ count: 1, amount: 5_000, commission: 0, fee: Number(recharge.fee) });
      expect(figures.inflow).toEqual({ count: 4, amount: 35_300 });
      expect(figures.refund).toEqual({
        count: 1,
        amount: 1_000,
        commission: 0,
        fee: Number(refund.fee_refund),
      });
      expect(figures.transfer).toEqual({ count: 2, amount: 3_000, commission: 0, fee: 0 });
      expect(figures.withdrawal).toEqual({ count: 1, amount: 4_000, commission: 0, fee: 20 });
      expect(new Date(figures.readAt).getTime()).toBeGreaterThan(Date.now() - 60_000);

      // Sandbox payments are test orders: without includeTest the orders and their refund are left out.
      expect(consumption[0]!.test).toBe(true);
      const real = await manager.ok<Today>('GET', '/api/merchant/stats/marketplace/today');
      expect(real.consumption).toEqual(ZERO);
      expect(real.refund).toEqual(ZERO);
      expect(real.transfer.count).toBe(2);
    });

    it('gives the trend per local day for the kinds asked for, the days moved back counted on their own day', async () => {
      const day = today();
      // Move one consumption payment two days back, one transfer and the withdrawal a day back.
      await services().db.query(
        `UPDATE order_split_terms SET paid_at = paid_at - interval '2 days'
         WHERE order_id = (SELECT order_id FROM order_split_terms
                           WHERE merchant_id = $1 AND purpose = 'consumption' AND NOT escrow
                           ORDER BY order_id LIMIT 1)`,
        [app.merchantId],
      );
      await services().db.query(
        `UPDATE member_transfer SET created_at = created_at - interval '1 day'
         WHERE id = (SELECT min(id) FROM member_transfer WHERE merchant_id = $1)`,
        [app.merchantId],
      );
      await services().db.query(`UPDATE withdrawal SET local_day = local_day - 1 WHERE member_id = $1`, [
        buyer.id,
      ]);

      const all = await manager.ok<Trend>('GET', trendPath(''));
      expect(all.days).toHaveLength(90);
      expect(all.to).toBe(day);
      expect(all.from).toBe(addDays(day, -89));
      expect(all.kinds).toEqual(['consumption', 'escrow', 'recharge', 'withdrawal', 'refund', 'transfer']);
      const on = (date: string) => all.days.find((d) => d.date === date)!;
      expect(on(addDays(day, -2)).consumption).toMatchObject({ count: 1, amount: 10_000, commission: 100 });
      expect(on(day).consumption).toMatchObject({ count: 1, amount: 300, commission: 5 });
      expect(on(addDays(day, -1)).transfer).toEqual({ count: 1, amount: 2_500, commission: 0, fee: 0 });
      expect(on(day).transfer).toEqual({ count: 1, amount: 500, commission: 0, fee: 0 });
      expect(on(addDays(day, -1)).withdrawal).toEqual({ count: 1, amount: 4_000, commission: 0, fee: 20 });
      expect(on(day).withdrawal).toEqual(ZERO);
      expect(on(day).escrow).toMatchObject({ count: 1, amount: 20_000, commission: 200 });
      expect(on(addDays(day, -3)).consumption).toEqual(ZERO);
      expect(all.totals.consumption).toMatchObject({ count: 2, amount: 10_300, commission: 105 });
      expect(all.totals.transfer).toEqual({ count: 2, amount: 3_000, commission: 0, fee: 0 });

      // Only the kinds asked for, over the days asked for.
      const some = await manager.ok<Trend>('GET', trendPath('days=7&kinds=escrow,transfer'));
      expect(some.kinds).toEqual(['escrow', 'transfer']);
      expect(some.days).toHaveLength(7);
      expect(Object.keys(some.days[0]!).sort()).toEqual(['date', 'escrow', 'transfer']);
      expect(some.totals).toEqual({
        escrow: { count: 1, amount: 20_000, commission: 200, fee: expect.any(Number) },
        transfer: { count: 2, amount: 3_000, commission: 0, fee: 0 },
      });
      const short = await manager.ok<Trend>('GET', trendPath('days=1&kinds=consumption'));
      expect(short.days).toEqual([
        { date: day, consumption: expect.objectContaining({ count: 1, amount: 300 }) },
      ]);

      const badKind = await manager.call<{ code: string }>('GET', trendPath('kinds=escrow,gift'));
      expect(badKind.status).toBe(400);
      expect(badKind.body.code).toBe('INVALID_REQUEST');
      const tooLong = await manager.call<{ code: string }>('GET', trendPath('days=91'));
      expect(tooLong.status).toBe(400);
    });

    it('is the store manager’s, and never shows one merchant another’s figures', async () => {
      const cashier = await merchantConsole(t, { merchantId: app.merchantId, merchantRole: 'cashier' });
      expect((await cashier.call('GET', TODAY)).status).toBe(403);

      const s = services();
      const other = await s.merchants.createMerchant({ name: '另一商户 Marketplace figures' });
      const created = await s.merchants.createApp(other.mch_no, { name: 'other figures app' });
      const a = await createTestMember(s, { appId: created.app.appId, bizUserId: 'other-a' });
      const b = await createTestMember(s, { appId: created.app.appId, bizUserId: 'other-b' });
      await seedAvailable(a.id, 9_000n);
      const otherKeys = (await s.merchants.appKeys(created.app.appId))!;
      await s.members.transfer(
        { merchantId: other.id, appDbId: otherKeys.appDbId },
        { transferNo: nextNo('OT'), fromBizUserId: a.bizUserId, toBizUserId: b.bizUserId, amount: 7_000n },
      );

      const otherManager = await merchantConsole(t, { merchantId: other.id, merchantRole: 'manager' });
      const theirs = await otherManager.ok<Today>('GET', TODAY);
      expect(theirs.transfer).toEqual({ count: 1, amount: 7_000, commission: 0, fee: 0 });
      for (const kind of ['consumption', 'escrow', 'recharge', 'withdrawal', 'refund'] as const) {
        expect(theirs[kind]).toEqual(ZERO);
      }
      const theirTrend = await otherManager.ok<Trend>('GET', trendPath(''));
      expect(theirTrend.totals.consumption).toEqual(ZERO);
      expect(theirTrend.totals.withdrawal).toEqual(ZERO);
      // Ours is unchanged by theirs.
      const ours = await manager.ok<Today>('GET', TODAY);
      expect(ours.transfer).toEqual({ count: 1, amount: 500, commission: 0, fee: 0 });
    });
  });
}
