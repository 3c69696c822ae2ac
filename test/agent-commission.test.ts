import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingyunClient } from '../sdk/index.ts';
import { EVERY_AGENT } from '../src/agents/service.ts';
import { ledgerReport } from '../src/app/platform.ts';
import type { AccountKind } from '../src/ledger/types.ts';
import { DEFAULT_TERMS } from '../src/settlement/terms.ts';
import { ConsoleClient, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import {
  eventually,
  payOnSandbox,
  startTestPlatform,
  type TestPlatform,
  untilPaid,
} from './support/platform.ts';

/**
 * Agent commission (AG-3, AG-4) over HTTP and the ledger: a paid order of a sub-agent's merchant
 * splits its fee between the channel, both agents and the platform in the payment's transaction;
 * refunds give commission back in proportion; a move counts for orders created after it; the
 * commission settles with its order; the routing guard keeps orders off accounts that cost more
 * than the top agent unless an operator allowed the binding at a loss; each agent sees its own.
 */

interface Commission {
  balance: { pending: number; available: number };
  byDay: { day: string; orders: number; amount: number; commission: number }[];
  byProduct: { productCode: string; orders: number; commission: number }[];
  byMerchant: { mchNo: string; orders: number; amount: number; commission: number; refunded: number }[];
}

const password = () => `pw7-${randomBytes(9).toString('base64url')}`;

for (const database of testDatabases) {
  describe(`agent commission on ${database.kind}`, () => {
    let t: TestPlatform;
    let admin: ConsoleClient;
    let client: QingyunClient;
    const product = uniqueName('cm_p');
    let mchNo: string;
    let merchantId: bigint;
    let topNo: string;
    let subNo: string;
    let topId: bigint;
    let subId: bigint;
    let topLogin: ConsoleClient;
    let subLogin: ConsoleClient;
    let sequence = 0;

    const services = () => t.platform.services;
    const balance = (kind: AccountKind, agentId: bigint) =>
      services().ledger.balanceOf({ kind, ownerId: agentId, currency: 'CNY' });
    const profitRows = (orderNo: string) =>
      services().db.query<{
        level: number;
        agent_id: bigint | null;
        amount: bigint;
        refunded_amount: bigint;
      }>(
        `SELECT p.level, p.agent_id, p.amount, p.refunded_amount FROM order_profit p
         JOIN pay_order o ON o.id = p.order_id WHERE o.order_no = $1 ORDER BY p.level`,
        [orderNo],
      );
    async function expectLedgerOk() {
      const report = await ledgerReport(services());
      expect(report.problems).toEqual([]);
    }
    async function pay(amount: number) {
      const created = await client.createOrder({
        mchOrderNo: `CM-${Date.now().toString(36)}-${++sequence}`,
        productCode: product,
        amount,
        subject: 'commission test',
      });
      expect(await payOnSandbox(created.payData!.value)).toBe(200);
      return untilPaid(client, created.orderNo);
    }
    /** Refunds part of an order; resolves with the refund once the channel has answered it. */
    async function refundAnswered(orderNo: string, amount: number) {
      const { refundNo } = await client.createRefund({ orderNo, mchRefundNo: `CMR-${++sequence}`, amount });
      return eventually(async () => {
        const refund = await client.getRefund(refundNo);
        return refund.state === 'pending' ? undefined : refund;
      });
    }
    async function setFaults(faults: Record<string, unknown>) {
      for (const id of t.channelAccountIds)
        await services().catalog.updateChannelAccount(id, { config: { faults } });
    }

    async function agentLogin(username: string, first: string): Promise<ConsoleClient> {
      const login = new ConsoleClient(t.platform.url);
      expect(await login.login('agent', username, first, { newPassword: password() })).toBe('active');
      return login;
    }

    beforeAll(async () => {
      t = await startTestPlatform(database);
      admin = await operatorConsole(t);
      const s = services();
      await s.catalog.createProduct({
        code: product,
        name: 'commission product',
        currency: 'CNY',
        minAmount: 1n,
        maxAmount: 10_000_000n,
        defaultRatePpm: 6000,
        payWay: 'ALI_QR',
      });
      // Cost 0.3 % on the first sandbox account; the second is bound later, at a loss.
      await s.catalog.setChannelAccountRate(t.channelAccountIds[0]!, {
        productCode: product,
        costRatePpm: 3000,
      });
      await s.catalog.upsertBinding(product, t.channelAccountIds[0]!, {
        weight: 1,
        priority: 0,
        minAmount: null,
        maxAmount: null,
        dailyLimit: null,
        windowStart: null,
        windowEnd: null,
        enabled: true,
      });
      // Top agent 0.4 %, its sub-agent 0.5 %, the sub-agent's merchant 0.6 %.
      const topManager = { username: uniqueName('cm_top'), password: password() };
      const top = await admin.ok<{ agentNo: string }>('POST', '/api/admin/agents', {
        name: 'Commission top',
        manager: topManager,
      });
      topNo = top.agentNo;
      await admin.ok('PUT', `/api/admin/agents/${topNo}/rates/${product}`, { ratePpm: 4000 });
      topLogin = await agentLogin(topManager.username, topManager.password);
      const subManager = { username: uniqueName('cm_sub'), password: password() };
      subNo = (
        await topLogin.ok<{ agentNo: string }>('POST', '/api/agent/agents', {
          name: 'Commission sub',
          manager: subManager,
        })
      ).agentNo;
      await topLogin.ok('PUT', `/api/agent/agents/${subNo}/rates/${product}`, { ratePpm: 5000 });
      subLogin = await agentLogin(subManager.username, subManager.password);
      topId = (await s.agents.requireAgent(topNo, EVERY_AGENT)).id;
      subId = (await s.agents.requireAgent(subNo, EVERY_AGENT)).id;

      const merchant = await s.merchants.createMerchant({ name: 'Commission merchant' });
      mchNo = merchant.mch_no;
      merchantId = merchant.id;
      await s.catalog.setMerchantRate(merchant.id, product, 6000);
      await admin.ok('POST', `/api/admin/merchants/${mchNo}/move`, { agentNo: subNo });
      const { app, secret } = await s.merchants.createApp(mchNo, { name: 'commission app' });
      client = new QingyunClient({
        baseUrl: t.platform.url,
        mchNo,
        appId: app.appId,
        key: { type: 'HMAC-SHA256', secret },
      });
    }, 120_000);

    afterAll(async () => {
      await t?.stop();
    });

    it('splits a paid order’s fee between channel, both agents and the platform, and credits the agents with the payment', async () => {
      const order = await pay(10_000);
      const row = await services().orders.requireByOrderNo(order.orderNo);
      // Fee 60 = cost 30 + top agent 40 − 30 = 10 + sub-agent 50 − 40 = 10 + merchant 60 − 50 = 10.
      expect([row.fee, row.channel_cost, row.agent_commission, row.platform_profit]).toEqual([
        60n,
        30n,
        20n,
        10n,
      ]);
      expect((await profitRows(order.orderNo)).map((r) => [r.level, r.agent_id, r.amount])).toEqual([
        [0, null, 10n],
        [1, topId, 10n],
        [2, subId, 10n],
      ]);
      expect(await balance('agent_pending', topId)).toBe(10n);
      expect(await balance('agent_pending', subId)).toBe(10n);
      await expectLedgerOk();
    });

    it('gives commission back in proportion with a refund, and back again when the refund fails', async () => {
      const order = await pay(20_000); // fee 120: cost 60, top 20, sub 20, platform 20
      const before = {
        top: await balance('agent_pending', topId),
        sub: await balance('agent_pending', subId),
      };
      expect((await refundAnswered(order.orderNo, 5_000)).state).toBe('succeeded');
      // A quarter of each part: fee 30, cost 15, top 5, sub 5, platform 5.
      expect((await profitRows(order.orderNo)).map((r) => r.refunded_amount)).toEqual([5n, 5n, 5n]);
      expect(await balance('agent_pending', topId)).toBe(before.top - 5n);
      expect(await balance('agent_pending', subId)).toBe(before.sub - 5n);
      await expectLedgerOk();

      // The rest, turned down by the channel: the commission it took comes back.
      await setFaults({ refundFail: true });
      try {
        expect((await refundAnswered(order.orderNo, 15_000)).state).toBe('failed');
      } finally {
        await setFaults({});
      }
      expect((await profitRows(order.orderNo)).map((r) => r.refunded_amount)).toEqual([5n, 5n, 5n]);
      expect(await balance('agent_pending', topId)).toBe(before.top - 5n);
      expect(await balance('agent_pending', subId)).toBe(before.sub - 5n);
      await expectLedgerOk();
    });

    it('keeps an order’s chain when the merchant moves; orders created after the move take the new one', async () => {
      const earlier = await client.createOrder({
        mchOrderNo: `CM-move-${++sequence}`,
        productCode: product,
        amount: 10_000,
        subject: 'before the move',
      });
      await admin.ok('POST', `/api/admin/merchants/${mchNo}/move`, { agentNo: topNo });
      try {
        const later = await pay(10_000);
        expect((await profitRows(later.orderNo)).map((r) => [r.level, r.agent_id, r.amount])).toEqual([
          [0, null, 10n],
          [1, topId, 20n],
        ]);
        // The order created before the move, paid after it, keeps the two-level chain.
        expect(await payOnSandbox(earlier.payData!.value)).toBe(200);
        await untilPaid(client, earlier.orderNo);
        expect((await profitRows(earlier.orderNo)).map((r) => r.agent_id)).toEqual([null, topId, subId]);
        await expectLedgerOk();
      } finally {
        await admin.ok('POST', `/api/admin/merchants/${mchNo}/move`, { agentNo: subNo });
      }
    });

    it('settles commission with its order: pending moves to available, net of refunds', async () => {
      const pendingTop = await balance('agent_pending', topId);
      const availableTop = await balance('agent_available', topId);
      // Settle everything paid so far, as a later day's run would.
      await services().settlement.run(new Date(Date.now() + 10 * 86_400_000));
      const moved = await services().orders.settleAgentCommissions(true);
      expect(moved).toBeGreaterThan(0);
      expect(await balance('agent_pending', topId)).toBe(0n);
      expect(await balance('agent_available', topId)).toBe(availableTop + pendingTop);
      expect(await services().orders.settleAgentCommissions(true)).toBe(0);
      await expectLedgerOk();
    });

    it('direct mode: the channel pays the merchant, the margin with both agents’ commission is owed by the merchant, and the books stay exact through a refund and settlement', async () => {
      const platformAccount = (kind: AccountKind) =>
        services().ledger.balanceOf({ kind, ownerId: null, currency: 'CNY' });
      const merchantAccount = (kind: AccountKind) =>
        services().ledger.balanceOf({ kind, ownerId: merchantId, currency: 'CNY' });
      const snapshot = async () => ({
        top: await balance('agent_pending', topId),
        sub: await balance('agent_pending', subId),
        topAvailable: await balance('agent_available', topId),
        byChannel: await merchantAccount('merchant_settled_by_channel'),
        pending: await merchantAccount('merchant_pending'),
        receivable: await merchantAccount('platform_receivable'),
        unattributed: await platformAccount('platform_receivable'),
        revenue: await platformAccount('platform_revenue'),
      });
      // Settled by the channel straight to the merchant (no licence to hold its funds), next day.
      await services().settlementTerms.setTerms(services().db, merchantId, {
        ...DEFAULT_TERMS,
        mode: 'direct',
        cycle: 'D1',
      });
      try {
        const before = await snapshot();
        const order = await pay(20_000); // fee 120: cost 60, top 20, sub 20, platform 20
        const row = await services().orders.requireByOrderNo(order.orderNo);
        expect([row.settle_mode, row.fee, row.channel_cost, row.agent_commission]).toEqual([
          'direct',
          120n,
          60n,
          40n,
        ]);
        const paid = await snapshot();
        expect({
          top: paid.top - before.top,
          sub: paid.sub - before.sub,
          byChannel: paid.byChannel - before.byChannel,
          pending: paid.pending - before.pending,
          receivable: paid.receivable - before.receivable,
          unattributed: paid.unattributed - before.unattributed,
          revenue: paid.revenue - before.revenue,
        }).toEqual({
          top: 20n,
          sub: 20n,
          // The channel owes the merchant the amount less its cost; none of it passes through us.
          byChannel: 19_940n,
          pending: 0n,
          // This merchant owes the platform its margin: its own 20 and the agents' 40.
          receivable: -60n,
          unattributed: 0n,
          revenue: 20n,
        });
        await expectLedgerOk();

        expect((await refundAnswered(order.orderNo, 5_000)).state).toBe('succeeded');
        // A quarter of each part back: fee 30, cost 15, top 5, sub 5, platform 5.
        expect((await profitRows(order.orderNo)).map((r) => r.refunded_amount)).toEqual([5n, 5n, 5n]);
        const refunded = await snapshot();
        expect({
          top: refunded.top - before.top,
          sub: refunded.sub - before.sub,
          byChannel: refunded.byChannel - before.byChannel,
          receivable: refunded.receivable - before.receivable,
          revenue: refunded.revenue - before.revenue,
        }).toEqual({ top: 15n, sub: 15n, byChannel: 14_955n, receivable: -45n, revenue: 15n });
        await expectLedgerOk();

        // The day after: what the channel paid the merchant is recorded, and the commission settles.
        await services().settlement.run(new Date(Date.now() + 20 * 86_400_000));
        expect((await services().orders.requireByOrderNo(order.orderNo)).settled_at).not.toBeNull();
        await services().orders.settleAgentCommissions(true);
        const settled = await snapshot();
        expect(settled.byChannel).toBe(before.byChannel);
        expect(settled.pending).toBe(before.pending);
        expect(settled.top).toBe(0n);
        expect(settled.topAvailable - before.topAvailable).toBe(before.top + 15n);
        // What the merchant owes the platform stays owed: settlement moved none of our money.
        expect(settled.receivable - before.receivable).toBe(-45n);
        await expectLedgerOk();
      } finally {
        await services().settlementTerms.setTerms(services().db, merchantId, DEFAULT_TERMS);
      }
    });

    it('shows each agent its own commission, and operators any agent’s', async () => {
      const top = await topLogin.ok<Commission>('GET', '/api/agent/commission?includeTest=1');
      const sub = await subLogin.ok<Commission>('GET', '/api/agent/commission?includeTest=1');
      const operatorView = await admin.ok<Commission>(
        'GET',
        `/api/admin/agents/${topNo}/commission?includeTest=1`,
      );
      expect(operatorView).toEqual(top);
      const earned = await services().db.query<{ agent_id: bigint; net: bigint }>(
        `SELECT agent_id, sum(amount - refunded_amount)::bigint AS net FROM order_profit
         WHERE agent_id = ANY($1::bigint[]) GROUP BY agent_id`,
        [[topId.toString(), subId.toString()]],
      );
      const net = new Map(earned.map((r) => [r.agent_id, Number(r.net)]));
      expect(top.byMerchant).toEqual([expect.objectContaining({ mchNo, commission: net.get(topId) })]);
      expect(sub.byMerchant).toEqual([expect.objectContaining({ mchNo, commission: net.get(subId) })]);
      expect(top.byDay.reduce((n, d) => n + d.commission, 0)).toBe(net.get(topId));
      expect(top.byProduct).toEqual([
        expect.objectContaining({ productCode: product, commission: net.get(topId) }),
      ]);
      expect(top.balance).toEqual({
        pending: Number(await balance('agent_pending', topId)),
        available: Number(await balance('agent_available', topId)),
        frozen: Number(await balance('agent_frozen', topId)),
      });
      const entries = await subLogin.ok<{ items: { kind: string; amount: number }[]; total: number }>(
        'GET',
        '/api/agent/commission/entries?limit=50',
      );
      expect(entries.total).toBeGreaterThan(0);
      expect(entries.items.map((e) => e.kind)).toEqual(
        expect.arrayContaining(['payment', 'refund', 'refund_failed', 'settle']),
      );
      // The sub-agent cannot read its parent's commission through the operator's route.
      expect(
        (await subLogin.send('GET', `/api/admin/agents/${topNo}/commission`)).status,
      ).toBeGreaterThanOrEqual(401);
    });

    it('keeps orders off an account that costs more than the top agent unless the binding is allowed at a loss', async () => {
      const dear = t.channelAccountIds[1]!;
      await services().catalog.setChannelAccountRate(dear, { productCode: product, costRatePpm: 4500 });
      const binding = {
        weight: 1,
        priority: 10,
        minAmount: null,
        maxAmount: null,
        dailyLimit: null,
        windowStart: null,
        windowEnd: null,
        enabled: true,
      };
      const refused = await admin.send('PUT', `/api/admin/products/${product}/bindings/${dear}`, binding);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({
        code: 'RATE_RULE_VIOLATION',
        details: { reason: 'agent_chain', level: 'channel' },
      });

      // Allowed at a loss: routing takes it (higher priority) and the platform bears the difference.
      await admin.ok('PUT', `/api/admin/products/${product}/bindings/${dear}`, {
        ...binding,
        allowedAtLoss: true,
      });
      services().catalog.clearCaches();
      const order = await pay(10_000);
      const row = await services().orders.requireByOrderNo(order.orderNo);
      expect(row.channel_account_id).toBe(dear);
      expect([row.channel_cost, row.agent_commission, row.platform_profit]).toEqual([45n, 20n, -5n]);
      await expectLedgerOk();

      // Without the consent (a binding saved before the rule, say), the guard skips it.
      await services().db.query(
        'UPDATE product_binding SET allowed_at_loss = FALSE WHERE channel_account_id = $1 AND product_id = $2',
        [dear, row.product_id],
      );
      services().catalog.clearCaches();
      const guarded = await pay(10_000);
      expect((await services().orders.requireByOrderNo(guarded.orderNo)).channel_account_id).toBe(
        t.channelAccountIds[0],
      );
    });

    it("pays the demo agent its commission on its merchant's static QR, and its login sees it", async () => {
      const demo = t.demo.agent;
      const form = async (path: string, body?: Record<string, string>) => {
        const response = await fetch(`${t.platform.url}${path}`, {
          method: body ? 'POST' : 'GET',
          redirect: 'manual',
          headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
          body: body ? new URLSearchParams(body).toString() : undefined,
        });
        return { location: response.headers.get('location'), html: await response.text() };
      };
      const token = /name="token" value="([a-z2-7]{20})"/.exec(
        (await form(`/pay/${demo.staticQrCode}`)).html,
      )?.[1];
      const placed = await form(`/pay/${demo.staticQrCode}`, {
        amount: '100.00',
        method: 'sandbox_qr',
        token: token!,
      });
      const orderNo = placed.location!.split('/')[2]!;
      const order = await services().orders.requireByOrderNo(orderNo);
      expect(await payOnSandbox(order.pay_data_value!)).toBe(200);
      const paid = await eventually(async () => {
        const row = await services().orders.requireByOrderNo(orderNo);
        return row.state === 'paid' ? row : undefined;
      });
      // 0.6% of 100 yuan is 60 fen; the agent's 0.5% leaves it 10 fen.
      expect([paid.fee, paid.agent_commission]).toEqual([60n, 10n]);
      const agentLogin = new ConsoleClient(t.platform.url);
      expect(await agentLogin.login('agent', demo.username, demo.password)).toBe('active');
      const mine = await agentLogin.ok<Commission>('GET', '/api/agent/commission');
      expect(mine.byMerchant.find((m) => m.mchNo === demo.mchNo)).toMatchObject({
        orders: 1,
        commission: 10,
      });
      await expectLedgerOk();
    });
  });
}
