import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QingyunClient } from '../sdk/index.ts';
import { ledgerReport } from '../src/app/platform.ts';
import { AppError } from '../src/errors.ts';
import type { AccountRef } from '../src/ledger/types.ts';
import type { AppKeys } from '../src/merchants/service.ts';
import type { CreateOrderInput } from '../src/orders/create.ts';
import type { OrderRow } from '../src/orders/queries.ts';
import { DEFAULT_TERMS } from '../src/settlement/terms.ts';
import { ConsoleClient } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { createTestMember, signRuleAgreements, type TestMember } from './support/members.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * Splits, escrow and commission (MON-7, MON-8): split rules in the merchant portal; orders with a
 * payee, a rule, escrow or a recharge; the net split exactly to the receiver and the commission
 * parties in the payment's own ledger transaction; escrow held, confirmed in parts, auto-confirmed
 * and refunded; members' shares settling with their orders; refunds taking shares back in
 * proportion, refused when a member's money already left; merchants never seeing each other's.
 */

interface RuleView {
  ruleNo: string;
  name: string;
  appId: string;
  receiver: { kind: string; memberNo?: string };
  parties: {
    id: string;
    party: { kind: string; memberNo?: string };
    basis: string;
    value: number;
    floor: number | null;
    cap: number | null;
    agreementState: string | null;
    agreementSentAt: string | null;
  }[];
  state: string;
}

interface EscrowView {
  orderNo: string;
  amount: number;
  held: number;
  released: number;
  refunded: number;
  state: string;
  autoConfirmAt: string | null;
  confirmations: { confirmNo: string; amount: number; splits: { kind: string; amount: number }[] }[];
}

/** A tiny seeded generator (mulberry32): the property cases are the same on every run. */
function seeded(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    chance: (p: number) => next() < p,
  };
}

const PROPERTY_CASES = 200;

for (const database of testDatabases) {
  describe(`splits and escrow on ${database.kind}`, () => {
    let t: TestPlatform;
    let app: AppKeys;
    let client: QingyunClient;
    let portal: ConsoleClient;
    let buyerSeller: TestMember;
    let partner: TestMember;
    let other: TestMember;
    let merchantId: bigint;
    let sequence = 0;

    const services = () => t.platform.services;
    const account = (kind: AccountRef['kind'], ownerId: bigint): AccountRef => ({
      kind,
      ownerId,
      currency: 'CNY',
    });
    const balance = (kind: AccountRef['kind'], ownerId: bigint) =>
      services().ledger.balanceOf(account(kind, ownerId));
    async function expectLedgerOk() {
      const report = await ledgerReport(services());
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
    }
    const nextNo = (prefix: string) => `${prefix}${Date.now().toString(36)}${++sequence}`;

    /** An order through the services (terms included), paid on the sandbox's pay page. */
    async function paidOrder(amount: bigint, terms: Partial<CreateOrderInput> = {}): Promise<OrderRow> {
      const { order } = await services().orders.createOrder(app, {
        mchOrderNo: nextNo('SP'),
        productCode: 'sandbox_qr',
        amount,
        subject: 'split test',
        ...terms,
      });
      expect(await payOnSandbox(order.pay_data_value!)).toBe(200);
      return eventually(async () => {
        const now = await services().orders.requireByOrderNo(order.order_no);
        return now.state === 'paid' ? now : undefined;
      });
    }
    async function refund(order: OrderRow, amount: bigint) {
      return (
        await services().refunds.createRefund(app, {
          orderNo: order.order_no,
          mchRefundNo: nextNo('RF'),
          amount,
        })
      ).refund;
    }
    async function refusal(promise: Promise<unknown>): Promise<string> {
      try {
        await promise;
      } catch (error) {
        if (error instanceof AppError) return error.code;
        throw error;
      }
      return 'none';
    }
    async function counts() {
      const n = async (sql: string) => String((await services().db.query<{ n: bigint }>(sql))[0]!.n);
      return {
        refunds: await n('SELECT count(*) AS n FROM refund_order'),
        txns: await n('SELECT count(*) AS n FROM ledger_txn'),
        records: await n('SELECT sum(refunded) AS n FROM split_record'),
      };
    }
    /** A rule made in the portal; its members sign their agreements unless `sign` is false. */
    async function createRule(body: object, { sign = true } = {}): Promise<RuleView> {
      const rule = await portal.ok<RuleView>('POST', '/api/merchant/split-rules', body);
      if (!sign) return rule;
      await signRuleAgreements(services(), rule.ruleNo);
      const { items } = await portal.ok<{ items: RuleView[] }>('GET', '/api/merchant/split-rules');
      return items.find((r) => r.ruleNo === rule.ruleNo)!;
    }

    beforeAll(async () => {
      t = await startTestPlatform(database);
      const s = services();
      await s.db.query(
        `INSERT INTO platform_setting (key, value) VALUES ('settlement.settleTestOrders', 'true')
         ON CONFLICT (key) DO UPDATE SET value = 'true'`,
      );
      app = (await s.merchants.appKeys(t.demo.merchant.appId))!;
      merchantId = app.merchantId;
      client = t.client;
      portal = new ConsoleClient(t.platform.url);
      expect(
        await portal.login('merchant', t.demo.merchantManager.username, t.demo.merchantManager.password),
      ).toBe('active');
      const member = (bizUserId: string) => createTestMember(s, { appId: app.appId, bizUserId });
      buyerSeller = await member('mkt-seller-1');
      partner = await member('mkt-partner-1');
      other = await member('mkt-seller-2');
    }, 180_000);

    afterAll(async () => {
      await t?.stop();
    });

    it('keeps split rules in the merchant portal: create, list, change the parties, disable, resend an agreement', async () => {
      const rule = await createRule(
        {
          name: 'Marketplace 1%',
          appId: app.appId,
          receiver: { kind: 'payee' },
          parties: [
            { party: { kind: 'merchant' }, basis: 'ppm', value: 10_000, floor: 5 },
            { party: { kind: 'member', memberNo: partner.memberNo }, basis: 'fixed', value: 30 },
          ],
        },
        { sign: false },
      );
      expect(rule).toMatchObject({
        name: 'Marketplace 1%',
        appId: app.appId,
        receiver: { kind: 'payee' },
        state: 'enabled',
        parties: [
          {
            party: { kind: 'merchant' },
            basis: 'ppm',
            value: 10_000,
            floor: 5,
            cap: null,
            agreementState: null,
          },
          {
            party: { kind: 'member', memberNo: partner.memberNo },
            basis: 'fixed',
            value: 30,
            agreementState: 'pending',
          },
        ],
      });
      const listed = await portal.ok<{ items: RuleView[] }>('GET', '/api/merchant/split-rules');
      expect(listed.items.map((r) => r.ruleNo)).toContain(rule.ruleNo);

      const changed = await portal.ok<RuleView>('PUT', `/api/merchant/split-rules/${rule.ruleNo}`, {
        name: 'Marketplace 2%',
        appId: app.appId,
        parties: [
          { party: { kind: 'merchant' }, basis: 'ppm', value: 20_000, cap: 500 },
          { party: { kind: 'member', memberNo: partner.memberNo }, basis: 'fixed', value: 40 },
        ],
      });
      expect(changed.name).toBe('Marketplace 2%');
      expect(changed.parties[0]).toMatchObject({ value: 20_000, cap: 500, floor: null });
      // The member party stayed: its agreement (and id) kept.
      expect(changed.parties[1]!.id).toBe(rule.parties[1]!.id);

      const before = changed.parties[1]!.agreementSentAt!;
      await new Promise((resolve) => setTimeout(resolve, 20));
      const resent = await portal.ok<RuleView>(
        'POST',
        `/api/merchant/split-rules/${rule.ruleNo}/parties/${changed.parties[1]!.id}/resend-agreement`,
      );
      expect(new Date(resent.parties[1]!.agreementSentAt!).getTime()).toBeGreaterThan(
        new Date(before).getTime(),
      );

      const disabled = await portal.ok<RuleView>('POST', `/api/merchant/split-rules/${rule.ruleNo}/disable`);
      expect(disabled.state).toBe('disabled');
      expect(
        await refusal(
          services().orders.createOrder(app, {
            mchOrderNo: nextNo('SP'),
            productCode: 'sandbox_qr',
            amount: 10_000n,
            subject: 'disabled rule',
            payee: { bizUserId: buyerSeller.bizUserId },
            splitRuleNo: rule.ruleNo,
          }),
        ),
      ).toBe('SPLIT_RULE_STATE');
      const enabled = await portal.ok<RuleView>('POST', `/api/merchant/split-rules/${rule.ruleNo}/enable`);
      expect(enabled.state).toBe('enabled');
      // A rule keeps its receiver: the change body has none, and an unknown member is refused.
      const bad = await portal.call<{ code: string }>('POST', '/api/merchant/split-rules', {
        name: 'x',
        appId: app.appId,
        receiver: { kind: 'member', memberNo: 'M-nobody' },
        parties: [],
      });
      expect(bad.body.code).toBe('MEMBER_NOT_FOUND');
    });

    it('splits a paid order exactly: the receiver the net less commissions, each party its commission, in the payment transaction', async () => {
      const rule = await createRule({
        name: 'split',
        appId: app.appId,
        receiver: { kind: 'payee' },
        parties: [
          { party: { kind: 'merchant' }, basis: 'ppm', value: 10_000, floor: 5 },
          { party: { kind: 'member', memberNo: partner.memberNo }, basis: 'fixed', value: 30 },
        ],
      });
      const sellerBefore = await balance('member_pending', buyerSeller.id);
      const partnerBefore = await balance('member_pending', partner.id);
      // Through the signed API: the terms are part of the create body.
      const created = await client.call<{ orderNo: string; payData: { value: string } }>(
        'POST',
        '/api/v1/orders',
        {
          mchOrderNo: nextNo('SP'),
          productCode: 'sandbox_qr',
          amount: 10_000,
          subject: 'split order',
          payee: { bizUserId: buyerSeller.bizUserId },
          splitRuleNo: rule.ruleNo,
        },
      );
      expect(await payOnSandbox(created.payData.value)).toBe(200);
      const order = await eventually(async () => {
        const now = await services().orders.requireByOrderNo(created.orderNo);
        return now.state === 'paid' ? now : undefined;
      });
      const net = order.amount - order.fee;
      // Commissions on the amount: 1 % = 100, and 30 fixed; the seller the rest of the net.
      expect((await balance('member_pending', partner.id)) - partnerBefore).toBe(30n);
      expect((await balance('member_pending', buyerSeller.id)) - sellerBefore).toBe(net - 130n);
      const txn = await services().db.query<{ n: bigint }>(
        `SELECT count(*) AS n FROM ledger_entry e JOIN ledger_txn x ON x.id = e.txn_id
         WHERE x.idempotency_key = $1`,
        [`payment:${order.order_no}`],
      );
      // clearing, cost, revenue, merchant pending (commission), seller, partner.
      expect(txn[0]!.n).toBe(6n);

      const out = await portal.ok<{
        items: { orderNo: string; kind: string; amount: number; to: { kind: string } }[];
      }>('GET', '/api/merchant/split-records?view=out');
      const mine = out.items.filter((r) => r.orderNo === order.order_no);
      expect(mine.map((r) => [r.kind, r.to.kind, r.amount]).sort()).toEqual(
        [
          ['commission', 'member', 30],
          ['commission', 'merchant', 100],
          ['share', 'member', Number(net - 130n)],
        ].sort(),
      );
      const toPartner = await portal.ok<{ items: { orderNo: string }[] }>(
        'GET',
        `/api/merchant/split-records?view=in&memberNo=${partner.memberNo}`,
      );
      expect(toPartner.items.some((r) => r.orderNo === order.order_no)).toBe(true);
      await expectLedgerOk();
    });

    it('refuses terms that cannot be split: commissions above the net, an unknown payee, a direct-mode merchant', async () => {
      const rule = await createRule({
        name: 'greedy',
        appId: app.appId,
        receiver: { kind: 'payee' },
        parties: [{ party: { kind: 'merchant' }, basis: 'fixed', value: 1_000 }],
      });
      const input = (amount: bigint, payee = buyerSeller.bizUserId) => ({
        mchOrderNo: nextNo('SP'),
        productCode: 'sandbox_qr',
        amount,
        subject: 'refused',
        payee: { bizUserId: payee },
        splitRuleNo: rule.ruleNo,
      });
      expect(await refusal(services().orders.createOrder(app, input(1_000n)))).toBe('SPLIT_EXCEEDS_AMOUNT');
      expect(await refusal(services().orders.createOrder(app, input(10_000n, 'nobody')))).toBe(
        'MEMBER_NOT_FOUND',
      );
      expect(
        await refusal(
          services().orders.createOrder(app, {
            mchOrderNo: nextNo('SP'),
            productCode: 'sandbox_qr',
            amount: 1_000n,
            subject: 'recharge with a rule',
            payee: { bizUserId: buyerSeller.bizUserId },
            purpose: 'recharge',
            splitRuleNo: rule.ruleNo,
          }),
        ),
      ).toBe('INVALID_REQUEST');
      const s = services();
      await s.settlementTerms.setTerms(s.db, merchantId, { ...DEFAULT_TERMS, cycle: 'D0', mode: 'direct' });
      try {
        expect(await refusal(s.orders.createOrder(app, input(10_000n)))).toBe('SETTLEMENT_MODE');
      } finally {
        await s.settlementTerms.setTerms(s.db, merchantId, { ...DEFAULT_TERMS, cycle: 'D0' });
      }
    });

    it('holds an escrow payment, confirms it in parts (idempotent), and auto-confirms the rest when due', async () => {
      const rule = await createRule({
        name: 'escrow',
        appId: app.appId,
        receiver: { kind: 'payee' },
        parties: [{ party: { kind: 'member', memberNo: partner.memberNo }, basis: 'ppm', value: 50_000 }],
      });
      const escrowBefore = await balance('merchant_escrow', merchantId);
      const order = await paidOrder(20_000n, {
        payee: { bizUserId: buyerSeller.bizUserId },
        splitRuleNo: rule.ruleNo,
        escrow: true,
      });
      const net = order.amount - order.fee;
      expect((await balance('merchant_escrow', merchantId)) - escrowBefore).toBe(net);
      const held = await client.call<EscrowView>('GET', `/api/v1/escrow/${order.order_no}`);
      expect(held).toMatchObject({
        orderNo: order.order_no,
        amount: Number(net),
        held: Number(net),
        state: 'holding',
      });
      expect(held.autoConfirmAt).not.toBeNull();

      const partnerBefore = await balance('member_pending', partner.id);
      const sellerBefore = await balance('member_pending', buyerSeller.id);
      const first = await client.call<EscrowView>('POST', `/api/v1/escrow/${order.order_no}/confirm`, {
        confirmNo: 'C1',
        amount: 10_000,
      });
      expect(first).toMatchObject({
        state: 'partially_released',
        released: 10_000,
        held: Number(net) - 10_000,
      });
      // 5 % of the 20 000 order is 1 000 in all; half of the net released pays it in proportion.
      const partnerGot = (await balance('member_pending', partner.id)) - partnerBefore;
      const sellerGot = (await balance('member_pending', buyerSeller.id)) - sellerBefore;
      expect(partnerGot + sellerGot).toBe(10_000n);
      expect(partnerGot).toBe((1_000n * 10_000n) / net);
      // The same confirmNo again changes nothing.
      const again = await client.call<EscrowView>('POST', `/api/v1/escrow/${order.order_no}/confirm`, {
        confirmNo: 'C1',
        amount: 10_000,
      });
      expect(again.released).toBe(10_000);
      expect(again.confirmations).toHaveLength(1);
      // More than it holds is refused.
      const tooMuch = await client
        .call('POST', `/api/v1/escrow/${order.order_no}/confirm`, { confirmNo: 'C2', amount: Number(net) })
        .catch((e: { code: string }) => e.code);
      expect(tooMuch).toBe('ESCROW_STATE');

      // Not due yet: nothing happens; due: the rest is released, the parts add up to the commission.
      await services().splits.escrows.autoConfirmEscrows(new Date());
      expect((await services().splits.escrows.escrowView(merchantId, order.order_no)).state).toBe(
        'partially_released',
      );
      await services().splits.escrows.autoConfirmEscrows(new Date(Date.now() + 8 * 86_400_000));
      const done = await services().splits.escrows.escrowView(merchantId, order.order_no);
      expect(done).toMatchObject({ state: 'released', released: Number(net), held: 0 });
      expect(done.confirmations.map((c) => c.confirmNo)).toEqual(['C1', 'auto']);
      expect((await balance('member_pending', partner.id)) - partnerBefore).toBe(1_000n);
      expect((await balance('member_pending', buyerSeller.id)) - sellerBefore).toBe(net - 1_000n);
      expect((await balance('merchant_escrow', merchantId)) - escrowBefore).toBe(0n);

      // The portal's list and its confirm for the buyer.
      const second = await paidOrder(5_000n, { payee: { bizUserId: other.bizUserId }, escrow: true });
      const listed = await portal.ok<{ items: EscrowView[] }>('GET', '/api/merchant/escrows?state=holding');
      expect(listed.items.map((e) => e.orderNo)).toContain(second.order_no);
      const confirmed = await portal.ok<EscrowView>(
        'POST',
        `/api/merchant/escrows/${second.order_no}/confirm`,
        {},
      );
      expect(confirmed.state).toBe('released');
      await expectLedgerOk();
    });

    it('confirms an escrow to named splits that add up, and refuses ones that do not', async () => {
      const order = await paidOrder(8_000n, { payee: { bizUserId: buyerSeller.bizUserId }, escrow: true });
      const net = order.amount - order.fee;
      const otherBefore = await balance('member_pending', other.id);
      const wrong = await client
        .call('POST', `/api/v1/escrow/${order.order_no}/confirm`, {
          confirmNo: 'N0',
          amount: 1_000,
          splits: [{ bizUserId: other.bizUserId, amount: 999 }],
        })
        .catch((e: { code: string }) => e.code);
      expect(wrong).toBe('INVALID_REQUEST');
      const named = await client.call<EscrowView>('POST', `/api/v1/escrow/${order.order_no}/confirm`, {
        confirmNo: 'N1',
        splits: [
          { bizUserId: other.bizUserId, amount: 1_000 },
          { bizUserId: buyerSeller.bizUserId, amount: Number(net) - 1_000 },
        ],
      });
      expect(named.state).toBe('released');
      expect((await balance('member_pending', other.id)) - otherBefore).toBe(1_000n);
      await expectLedgerOk();
    });

    it('refunds an escrow payment before confirmation out of escrow', async () => {
      const order = await paidOrder(6_000n, { payee: { bizUserId: buyerSeller.bizUserId }, escrow: true });
      const escrowBefore = await balance('merchant_escrow', merchantId);
      const sellerBefore = await balance('member_pending', buyerSeller.id);
      const r = await refund(order, 3_000n);
      expect(r.state).not.toBe('failed');
      const debit = r.amount - r.fee_refund;
      expect(escrowBefore - (await balance('merchant_escrow', merchantId))).toBe(debit);
      expect(await balance('member_pending', buyerSeller.id)).toBe(sellerBefore);
      const view = await services().splits.escrows.escrowView(merchantId, order.order_no);
      expect(view).toMatchObject({ state: 'holding', refunded: Number(debit) });
      await refund(order, 3_000n);
      expect((await services().splits.escrows.escrowView(merchantId, order.order_no)).state).toBe('refunded');
      await expectLedgerOk();
    });

    it("recharges a member's pending account with the net", async () => {
      const before = await balance('member_pending', other.id);
      const order = await paidOrder(2_500n, { payee: { bizUserId: other.bizUserId }, purpose: 'recharge' });
      expect((await balance('member_pending', other.id)) - before).toBe(order.amount - order.fee);
      await expectLedgerOk();
    });

    it('settles members’ shares with their orders, refunds them in proportion, and refuses when a member’s money left', async () => {
      const rule = await createRule({
        name: 'refund split',
        appId: app.appId,
        receiver: { kind: 'payee' },
        parties: [
          { party: { kind: 'merchant' }, basis: 'ppm', value: 100_000 },
          { party: { kind: 'member', memberNo: partner.memberNo }, basis: 'ppm', value: 100_000 },
        ],
      });
      const order = await paidOrder(10_000n, {
        payee: { bizUserId: buyerSeller.bizUserId },
        splitRuleNo: rule.ruleNo,
      });
      const net = order.amount - order.fee;
      // Refunded before it settled: from the members' pending in proportion (seller 8 000−fee, partner 1 000, merchant 1 000).
      const partnerBefore = await balance('member_pending', partner.id);
      const sellerBefore = await balance('member_pending', buyerSeller.id);
      const r = await refund(order, 2_000n);
      expect(r.state).not.toBe('failed');
      const debit = r.amount - r.fee_refund;
      const partnerTook = partnerBefore - (await balance('member_pending', partner.id));
      const sellerTook = sellerBefore - (await balance('member_pending', buyerSeller.id));
      expect(partnerTook).toBe((debit * 1_000n) / net);
      expect(sellerTook).toBeGreaterThanOrEqual(((net - 2_000n) * debit) / net);
      await expectLedgerOk();

      // The order settles (D0), then the members' shares: pending → available.
      await services().settlement.run();
      await services().splits.shares.settleMemberShares();
      const records = await services().db.query<{ state: string }>(
        'SELECT state FROM split_record WHERE order_id = $1',
        [order.id],
      );
      expect(records.every((x) => x.state === 'settled')).toBe(true);
      expect(await balance('member_available', buyerSeller.id)).toBeGreaterThanOrEqual(
        net - 2_000n - sellerTook,
      );
      await expectLedgerOk();

      // The seller's money leaves (a balanced posting standing in for a transfer out).
      const s = services();
      const available = await balance('member_available', buyerSeller.id);
      await s.ledger.openAccounts([
        account('member_available', buyerSeller.id),
        { kind: 'platform_revenue', ownerId: null, currency: 'CNY' },
      ]);
      await s.db.tx((q) =>
        s.ledger.post(q, {
          kind: 'test_transfer_out',
          reference: buyerSeller.memberNo,
          idempotencyKey: nextNo('out'),
          legs: [
            { account: account('member_available', buyerSeller.id), amount: -available },
            { account: { kind: 'platform_revenue', ownerId: null, currency: 'CNY' }, amount: available },
          ],
        }),
      );
      const before = await counts();
      const partnerNow = await balance('member_available', partner.id);
      let refused: AppError | null = null;
      try {
        await refund(order, 1_000n);
      } catch (error) {
        refused = error as AppError;
      }
      expect(refused?.code).toBe('SPLIT_REFUND_INSUFFICIENT');
      expect(refused?.details).toMatchObject({ memberNo: buyerSeller.memberNo });
      expect(await counts()).toEqual(before);
      expect(await balance('member_available', partner.id)).toBe(partnerNow);
    });

    it('gives a failed refund of a split order back to the members and escrow it took from', async () => {
      const s = services();
      const rule = await createRule({
        name: 'failed refund',
        appId: app.appId,
        receiver: { kind: 'payee' },
        parties: [{ party: { kind: 'member', memberNo: partner.memberNo }, basis: 'ppm', value: 100_000 }],
      });
      // Paid by a confirmation the sandbox never saw: the sandbox refuses its refunds at once.
      const unpaidAtChannel = async (terms: Partial<CreateOrderInput>) => {
        const { order } = await s.orders.createOrder(app, {
          mchOrderNo: nextNo('SF'),
          productCode: 'sandbox_qr',
          amount: 5_000n,
          subject: 'failed refund',
          ...terms,
        });
        return (
          await s.orders.confirmPayment(order.order_no, {
            channelOrderNo: null,
            paidAt: new Date(),
            source: 'query',
          })
        ).order;
      };
      const split = await unpaidAtChannel({
        payee: { bizUserId: buyerSeller.bizUserId },
        splitRuleNo: rule.ruleNo,
      });
      const held = await unpaidAtChannel({ payee: { bizUserId: buyerSeller.bizUserId }, escrow: true });
      const before = {
        seller: await balance('member_pending', buyerSeller.id),
        partner: await balance('member_pending', partner.id),
        escrow: await balance('merchant_escrow', merchantId),
      };
      expect((await refund(split, 2_000n)).state).toBe('failed');
      expect((await refund(held, 2_000n)).state).toBe('failed');
      expect({
        seller: await balance('member_pending', buyerSeller.id),
        partner: await balance('member_pending', partner.id),
        escrow: await balance('merchant_escrow', merchantId),
      }).toEqual(before);
      const records = await s.db.query<{ refunded: bigint }>(
        'SELECT refunded FROM split_record WHERE order_id = $1',
        [split.id],
      );
      expect(records.every((r) => r.refunded === 0n)).toBe(true);
      expect(await s.splits.escrows.escrowView(merchantId, held.order_no)).toMatchObject({
        state: 'holding',
        refunded: 0,
      });
      await expectLedgerOk();
    });

    it('never shows one merchant another merchant’s rules, records or escrows', async () => {
      const s = services();
      const b = await s.merchants.createMerchant({ name: 'Other marketplace' });
      const rule = await createRule({
        name: 'A only',
        appId: app.appId,
        receiver: { kind: 'payee' },
        parties: [],
      });
      expect((await s.splits.rules.listRules(b.id)).map((r) => r.ruleNo)).not.toContain(rule.ruleNo);
      expect(await refusal(s.splits.rules.ruleView(b.id, rule.ruleNo))).toBe('SPLIT_RULE_NOT_FOUND');
      expect(await refusal(s.splits.rules.setRuleState(b.id, rule.ruleNo, 'disabled'))).toBe(
        'SPLIT_RULE_NOT_FOUND',
      );
      expect((await s.splits.shares.listRecords(b.id, { view: 'out', limit: 50 })).items).toEqual([]);
      expect(
        await refusal(
          s.splits.shares.listRecords(b.id, { view: 'in', memberNo: partner.memberNo, limit: 50 }),
        ),
      ).toBe('MEMBER_NOT_FOUND');
      expect((await s.splits.escrows.listEscrows(b.id, { limit: 50 })).items).toEqual([]);
      const escrow = (await s.splits.escrows.listEscrows(merchantId, { limit: 1 })).items[0]!;
      expect(await refusal(s.splits.escrows.escrowView(b.id, escrow.orderNo))).toBe('NOT_FOUND');
      expect(
        await refusal(s.splits.escrows.confirmEscrow(b.id, escrow.orderNo, { confirmNo: 'X' }, 'api')),
      ).toBe('NOT_FOUND');
    });

    it('leaves orders without terms as they were: no terms row, the net to the merchant', async () => {
      const pendingBefore = await balance('merchant_pending', merchantId);
      const order = await paidOrder(3_000n);
      const terms = await services().db.query('SELECT 1 FROM order_split_terms WHERE order_id = $1', [
        order.id,
      ]);
      expect(terms).toEqual([]);
      expect((await balance('merchant_pending', merchantId)) - pendingBefore).toBeLessThanOrEqual(
        order.amount - order.fee,
      );
      const entries = await services().db.query<{ n: bigint }>(
        `SELECT count(*) AS n FROM ledger_entry e JOIN ledger_txn x ON x.id = e.txn_id WHERE x.idempotency_key = $1`,
        [`payment:${order.order_no}`],
      );
      expect(entries[0]!.n).toBe(4n);
      await expectLedgerOk();
    });

    it(`keeps every split exact over ${PROPERTY_CASES} random rules, amounts, confirmations and refunds`, async () => {
      const random = seeded(20_261_206);
      const s = services();
      const members = [buyerSeller, partner, other];
      const rules: string[] = [];
      for (let i = 0; i < 6; i++) {
        const parties = Array.from({ length: random.int(0, 3) }, () => {
          const member = random.chance(0.4) ? null : members[random.int(0, 2)]!;
          const ppm = random.chance(0.6);
          return {
            party: member ? { kind: 'member', memberNo: member.memberNo } : { kind: 'merchant' },
            basis: ppm ? 'ppm' : 'fixed',
            value: ppm ? random.int(0, 60_000) : random.int(0, 200),
            ...(random.chance(0.3) ? { floor: random.int(0, 50) } : {}),
            ...(random.chance(0.3) ? { cap: random.int(50, 500) } : {}),
          };
        });
        rules.push(
          (await createRule({ name: `random ${i}`, appId: app.appId, receiver: { kind: 'payee' }, parties }))
            .ruleNo,
        );
      }
      let paid = 0;
      for (let i = 0; i < PROPERTY_CASES; i++) {
        const amount = BigInt(random.int(1, 50_000));
        const escrow = random.chance(0.4);
        const payee = members[random.int(0, 2)]!;
        let order: OrderRow;
        try {
          order = await paidOrder(amount, {
            payee: { bizUserId: payee.bizUserId },
            splitRuleNo: random.chance(0.8) ? rules[random.int(0, rules.length - 1)] : undefined,
            escrow,
          });
        } catch (error) {
          // A random rule may take more than a small order's net: refused at create, nothing written.
          expect(error instanceof AppError && error.code).toBe('SPLIT_EXCEEDS_AMOUNT');
          continue;
        }
        paid++;
        const net = order.amount - order.fee;
        if (escrow) {
          for (let c = 0; c < random.int(0, 3); c++) {
            const view = await s.splits.escrows.escrowView(merchantId, order.order_no);
            if (view.held === 0) break;
            const part = BigInt(random.int(1, view.held));
            await s.splits.escrows.confirmEscrow(
              merchantId,
              order.order_no,
              { confirmNo: `c${c}`, amount: part },
              'api',
            );
          }
        }
        if (random.chance(0.4)) {
          const part = BigInt(random.int(1, Number(order.amount)));
          await refund(order, part).catch((error) => {
            // A refund whose members' money left is refused; here none left, so only balance limits may refuse.
            if (!(error instanceof AppError) || error.code !== 'INSUFFICIENT_BALANCE') throw error;
          });
        }
        const terms = (
          await s.db.query<{ held: bigint; released: bigint; refunded: bigint; escrow: boolean }>(
            'SELECT held, released, refunded, escrow FROM order_split_terms WHERE order_id = $1',
            [order.id],
          )
        )[0]!;
        const records = await s.db.query<{ amount: bigint; confirmation_id: bigint | null }>(
          'SELECT amount, confirmation_id FROM split_record WHERE order_id = $1',
          [order.id],
        );
        const recorded = records.reduce((sum, r) => sum + r.amount, 0n);
        // Everything split adds up: directly the whole net; escrow what was released.
        expect(recorded).toBe(terms.escrow ? terms.released : net);
        expect(terms.released + terms.refunded).toBeLessThanOrEqual(terms.held);
        if (i % 40 === 39) {
          await s.settlement.run();
          await s.splits.shares.settleMemberShares();
          await expectLedgerOk();
        }
      }
      expect(paid).toBeGreaterThan(PROPERTY_CASES / 2);
      await s.splits.escrows.autoConfirmEscrows(new Date(Date.now() + 30 * 86_400_000));
      await s.settlement.run();
      await s.splits.shares.settleMemberShares();
      await expectLedgerOk();
      const negative = await s.db.query(
        `SELECT code FROM ledger_account WHERE kind IN ('member_pending', 'member_available', 'merchant_escrow') AND balance < 0`,
      );
      expect(negative).toEqual([]);
    }, 600_000);
  });
}
