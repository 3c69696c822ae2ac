import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingyunClient } from '../sdk/index.ts';
import { EVERY_AGENT } from '../src/agents/service.ts';
import { ledgerReport } from '../src/app/platform.ts';
import { AppError } from '../src/errors.ts';
import type { AccountRef } from '../src/ledger/types.ts';
import { agentOwner } from '../src/withdrawals/owner.ts';
import { DEFAULT_WITHDRAWAL_RULES } from '../src/withdrawals/rules.ts';
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
 * Agents withdraw their available commission to their own card (代理商提现): commission earned on
 * paid orders and settled, a card bound with the login's password, withdrawals that freeze
 * agent_available → agent_frozen, the operators' review, the payout and its outcome, and every
 * balance exact; parallel withdrawals never overdraw; each agent sees only its own; merchants and
 * agents never reach each other's routes; the ledger check stays clean.
 */

interface WithdrawalView {
  withdrawNo: string;
  state: string;
  amount: number;
  fee: number;
  arrivalAmount: number;
  events?: { state: string }[];
}

interface Card {
  id: string;
  state: string;
  accountNoMasked: string;
  isDefault: boolean;
}

const password = () => `pw7-${randomBytes(9).toString('base64url')}`;
const CARD_A = '6222020000111122223';
const CARD_B = '6217000099998888777';

// The platform's rules for these suites: a fee of ¥0.20 + 0.1 %, review from ¥200.
const RULES = {
  ...DEFAULT_WITHDRAWAL_RULES,
  minAmount: 100n,
  fixedFee: 20n,
  feeRatePpm: 1000,
  dailyCount: 1000,
  dailyAmount: 1_000_000_000n,
  reviewThreshold: 20_000n,
};
const feeOf = (amount: bigint) => 20n + (amount * 1000n + 500_000n) / 1_000_000n;

for (const database of testDatabases) {
  describe(`agent withdrawals on ${database.kind}`, () => {
    let t: TestPlatform;
    let admin: ConsoleClient;
    let client: QingyunClient;
    let merchantPortal: ConsoleClient;
    const product = uniqueName('aw_p');
    const agentA = { no: '', id: 0n, password: password(), login: null as unknown as ConsoleClient };
    const agentB = { no: '', id: 0n, password: password(), login: null as unknown as ConsoleClient };
    let cardA = '';
    let cardB = '';
    let sequence = 0;

    const services = () => t.platform.services;
    const account = (kind: AccountRef['kind'], ownerId: bigint | null): AccountRef => ({
      kind,
      ownerId,
      currency: 'CNY',
    });
    const balance = (kind: AccountRef['kind'], ownerId: bigint | null) =>
      services().ledger.balanceOf(account(kind, ownerId));
    const available = () => balance('agent_available', agentA.id);
    const frozen = () => balance('agent_frozen', agentA.id);
    async function expectLedgerOk() {
      const report = await ledgerReport(services());
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
    }
    async function payoutOutcome(outcome: 'succeed' | 'fail') {
      for (const id of t.channelAccountIds) {
        await services().catalog.updateChannelAccount(id, { config: { payoutOutcome: outcome } });
      }
    }
    async function pay(amount: number) {
      const created = await client.createOrder({
        mchOrderNo: `AW-${Date.now().toString(36)}-${++sequence}`,
        productCode: product,
        amount,
        subject: 'agent withdrawal test',
      });
      expect(await payOnSandbox(created.payData!.value)).toBe(200);
      return untilPaid(client, created.orderNo);
    }
    async function openAgent(agent: typeof agentA, name: string) {
      const first = password();
      const username = uniqueName('aw_agent');
      agent.no = (
        await admin.ok<{ agentNo: string }>('POST', '/api/admin/agents', {
          name,
          manager: { username, password: first },
        })
      ).agentNo;
      agent.id = (await services().agents.requireAgent(agent.no, EVERY_AGENT)).id;
      agent.login = new ConsoleClient(t.platform.url);
      expect(await agent.login.login('agent', username, first, { newPassword: agent.password })).toBe(
        'active',
      );
    }
    const withdraw = (agent: typeof agentA, body: Record<string, unknown>) =>
      agent.login.send<WithdrawalView & { code?: string }>('POST', '/api/agent/withdrawals', {
        password: agent.password,
        ...body,
      });
    const finalState = (agent: typeof agentA, withdrawNo: string) =>
      eventually(async () => {
        const w = await agent.login.ok<WithdrawalView>('GET', `/api/agent/withdrawals/${withdrawNo}`);
        return ['succeeded', 'failed', 'rejected'].includes(w.state) ? w : undefined;
      });
    /** Everything a refused withdrawal must leave as it was. */
    async function snapshot() {
      const n = async (sql: string) => String((await services().db.query<{ n: bigint }>(sql))[0]!.n);
      return {
        withdrawals: await n('SELECT count(*) AS n FROM withdrawal'),
        payouts: await n('SELECT count(*) AS n FROM payout_order'),
        txns: await n('SELECT count(*) AS n FROM ledger_txn'),
        entries: await n('SELECT count(*) AS n FROM ledger_entry'),
      };
    }

    beforeAll(async () => {
      t = await startTestPlatform(database);
      admin = await operatorConsole(t);
      const s = services();
      // Sandbox orders are test orders: they settle (and their payouts may use the sandbox) only so.
      await s.db.query(
        `INSERT INTO platform_setting (key, value) VALUES ('settlement.settleTestOrders', 'true')
         ON CONFLICT (key) DO UPDATE SET value = 'true'`,
      );
      await s.withdrawals.rules.setDefaults(RULES);
      await s.catalog.createProduct({
        code: product,
        name: 'agent withdrawal product',
        currency: 'CNY',
        minAmount: 1n,
        maxAmount: 10_000_000n,
        defaultRatePpm: 6000,
        payWay: 'ALI_QR',
      });
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
      await openAgent(agentA, 'Withdrawing agent');
      await openAgent(agentB, 'Other agent');
      for (const agent of [agentA, agentB]) {
        await admin.ok('PUT', `/api/admin/agents/${agent.no}/rates/${product}`, { ratePpm: 4000 });
      }
      // A merchant under agent A at 0.6 %: agent A earns 0.2 % of every order.
      const merchant = await s.merchants.createMerchant({ name: 'Agent withdrawal merchant' });
      await s.catalog.setMerchantRate(merchant.id, product, 6000);
      await admin.ok('POST', `/api/admin/merchants/${merchant.mch_no}/move`, { agentNo: agentA.no });
      const { app, secret } = await s.merchants.createApp(merchant.mch_no, { name: 'agent withdrawal app' });
      client = new QingyunClient({
        baseUrl: t.platform.url,
        mchNo: merchant.mch_no,
        appId: app.appId,
        key: { type: 'HMAC-SHA256', secret },
      });
      merchantPortal = new ConsoleClient(t.platform.url);
      expect(
        await merchantPortal.login(
          'merchant',
          t.demo.merchantManager.username,
          t.demo.merchantManager.password,
        ),
      ).toBe('active');
      await payoutOutcome('succeed');
    }, 180_000);

    afterAll(async () => {
      await t?.stop();
    });

    it('earns commission on paid orders and settles it to available', async () => {
      for (let i = 0; i < 3; i++) await pay(5_000_000);
      expect(await balance('agent_pending', agentA.id)).toBe(30_000n);
      await services().settlement.run(new Date(Date.now() + 10 * 86_400_000));
      expect(await services().orders.settleAgentCommissions(true)).toBeGreaterThan(0);
      expect(await balance('agent_pending', agentA.id)).toBe(0n);
      expect(await available()).toBe(30_000n);
      expect(await frozen()).toBe(0n);
      await expectLedgerOk();
    });

    it('binds cards only with the login password: masked, sealed, audited without the number', async () => {
      const body = { holderName: '代理甲', accountNo: CARD_A, bankName: '工商银行', cardType: 'personal' };
      const wrong = await agentA.login.send<{ code: string }>('POST', '/api/agent/bank-cards', {
        ...body,
        password: 'not-the-password',
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('LOGIN_FAILED');
      const bound = await agentA.login.send<Card>('POST', '/api/agent/bank-cards', {
        ...body,
        password: agentA.password,
      });
      expect(bound.status).toBe(201);
      expect(bound.body).toMatchObject({
        accountNoMasked: '6222 **** **** 2223',
        state: 'active',
        isDefault: true,
      });
      expect(bound.text).not.toContain(CARD_A);
      cardA = bound.body.id;
      const rows = await services().db.query<{ row: string; agent_id: bigint; merchant_id: bigint | null }>(
        'SELECT row_to_json(c)::text AS row, agent_id, merchant_id FROM bank_card c WHERE id = $1',
        [cardA],
      );
      expect(rows[0]!.row).not.toContain(CARD_A);
      expect(rows[0]!.agent_id).toBe(agentA.id);
      expect(rows[0]!.merchant_id).toBeNull();
      const audit = await services().db.query<{ text: string }>(
        `SELECT row_to_json(a)::text AS text FROM audit_log a WHERE action_key = 'bank_card.create' AND actor_area = 'agent'`,
      );
      expect(audit.length).toBeGreaterThanOrEqual(2);
      for (const row of audit) {
        expect(row.text).not.toContain(CARD_A);
        expect(row.text).not.toContain(agentA.password);
      }

      // With card review on, a new card waits for an operator; /operator/bank-cards shows it as the agent's.
      await services().withdrawals.rules.setDefaults({ ...RULES, cardChangeReview: true });
      const waiting = await agentB.login.ok<Card>('POST', '/api/agent/bank-cards', {
        holderName: '代理乙',
        accountNo: CARD_B,
        bankName: '建设银行',
        cardType: 'corporate',
        password: agentB.password,
      });
      expect(waiting.state).toBe('pending_review');
      cardB = waiting.id;
      const queue = await admin.ok<{ items: Record<string, unknown>[] }>(
        'GET',
        '/api/admin/bank-cards?state=pending_review',
      );
      expect(queue.items.find((c) => c.id === cardB)).toMatchObject({
        ownerKind: 'agent',
        agentNo: agentB.no,
        agentName: 'Other agent',
        mchNo: null,
      });
      expect(JSON.stringify(queue)).not.toContain(CARD_B);
      const approved = await admin.ok<Card>('POST', `/api/admin/bank-cards/${cardB}/approve`, {});
      expect(approved).toMatchObject({ state: 'active', isDefault: true });
      await services().withdrawals.rules.setDefaults(RULES);
    });

    it('shows the rules as they apply: the platform’s, with today’s use, what is left and the balance', async () => {
      const rules = await agentA.login.ok<Record<string, unknown>>('GET', '/api/agent/withdrawal-rules');
      expect(rules).toMatchObject({
        minAmount: 100,
        maxAmount: 5_000_000,
        fixedFee: 20,
        feeRatePpm: 1000,
        windowStart: '00:00',
        windowEnd: '24:00',
        reviewThreshold: 20_000,
        usedToday: { count: 0, amount: 0 },
        leftToday: { count: 1000, amount: 1_000_000_000 },
        balance: { currency: 'CNY', available: 30_000, frozen: 0 },
      });
    });

    it('pays a withdrawal below the review threshold: available, frozen, payout clearing and fee exact', async () => {
      const amount = 5_000n;
      const fee = feeOf(amount);
      const revenue0 = await balance('platform_revenue', null);
      const clearing0 = new Map<bigint, bigint>();
      for (const id of t.channelAccountIds) clearing0.set(id, await balance('channel_clearing', id));
      const mchWithdrawNo = `AWX-${Date.now().toString(36)}`;
      const created = await withdraw(agentA, { amount: Number(amount), cardId: cardA, mchWithdrawNo });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        amount: 5_000,
        fee: Number(fee),
        arrivalAmount: Number(amount - fee),
      });
      // Sent again with the same number and body: the same withdrawal, nothing new.
      const again = await withdraw(agentA, { amount: Number(amount), cardId: cardA, mchWithdrawNo });
      expect(again.status).toBe(200);
      expect(again.body.withdrawNo).toBe(created.body.withdrawNo);
      const done = await finalState(agentA, created.body.withdrawNo);
      expect(done.state).toBe('succeeded');
      // The sandbox pays at once: submitted may be skipped on the way.
      const states = done.events!.map((e) => e.state);
      expect(states[0]).toBe('approved');
      expect(states.at(-1)).toBe('succeeded');

      expect(await available()).toBe(30_000n - amount);
      expect(await frozen()).toBe(0n);
      expect(await balance('platform_revenue', null)).toBe(revenue0 + fee);
      const payout = (
        await services().db.query<{
          channel_account_id: bigint;
          agent_id: bigint;
          merchant_id: bigint | null;
        }>('SELECT channel_account_id, agent_id, merchant_id FROM payout_order WHERE withdraw_no = $1', [
          created.body.withdrawNo,
        ])
      )[0]!;
      expect(payout.agent_id).toBe(agentA.id);
      expect(payout.merchant_id).toBeNull();
      expect(await balance('channel_clearing', payout.channel_account_id)).toBe(
        clearing0.get(payout.channel_account_id)! + amount - fee,
      );
      const list = await agentA.login.ok<{ items: WithdrawalView[]; total: number }>(
        'GET',
        '/api/agent/withdrawals',
      );
      expect(list.items.map((w) => w.withdrawNo)).toEqual([created.body.withdrawNo]);
      await expectLedgerOk();
    });

    it('holds one at the review threshold until an operator rejects it: the amount comes back', async () => {
      const before = await available();
      const created = await withdraw(agentA, { amount: 20_000, cardId: cardA });
      expect(created.status).toBe(201);
      expect(created.body.state).toBe('reviewing');
      expect(await available()).toBe(before - 20_000n);
      expect(await frozen()).toBe(20_000n);
      const queue = await admin.ok<{ items: Record<string, unknown>[] }>(
        'GET',
        '/api/admin/withdrawals?state=reviewing&ownerKind=agent',
      );
      expect(queue.items).toEqual([
        expect.objectContaining({
          withdrawNo: created.body.withdrawNo,
          ownerKind: 'agent',
          agentNo: agentA.no,
          agentName: 'Withdrawing agent',
          mchNo: null,
        }),
      ]);
      const detail = await admin.ok<Record<string, unknown>>(
        'GET',
        `/api/admin/withdrawals/${created.body.withdrawNo}`,
      );
      expect(detail).toMatchObject({ ownerKind: 'agent', agentNo: agentA.no });
      const rejected = await admin.ok<WithdrawalView>(
        'POST',
        `/api/admin/withdrawals/${created.body.withdrawNo}/reject`,
        { reason: '资料不符' },
      );
      expect(rejected.state).toBe('rejected');
      expect(await available()).toBe(before);
      expect(await frozen()).toBe(0n);
      await expectLedgerOk();
    });

    it('approves one in bulk with merchants’ withdrawals', async () => {
      const before = await available();
      const created = await withdraw(agentA, { amount: 20_000, cardId: cardA });
      expect(created.body.state).toBe('reviewing');
      const result = await admin.ok<{ approved: string[] }>('POST', '/api/admin/withdrawals/approve', {
        withdrawNos: [created.body.withdrawNo],
      });
      expect(result.approved).toEqual([created.body.withdrawNo]);
      expect((await finalState(agentA, created.body.withdrawNo)).state).toBe('succeeded');
      expect(await available()).toBe(before - 20_000n);
      expect(await frozen()).toBe(0n);
      const payouts = await admin.ok<{ items: Record<string, unknown>[] }>(
        'GET',
        `/api/admin/payouts?agentNo=${agentA.no}`,
      );
      expect(payouts.items.length).toBe(2);
      expect(payouts.items[0]).toMatchObject({ ownerKind: 'agent', agentNo: agentA.no, kind: 'withdrawal' });
      await expectLedgerOk();
    });

    it('gives the amount back when the payout fails', async () => {
      const before = await available();
      await payoutOutcome('fail');
      try {
        const created = await withdraw(agentA, { amount: 1_000, cardId: cardA });
        expect(created.status).toBe(201);
        const done = await finalState(agentA, created.body.withdrawNo);
        expect(done.state).toBe('failed');
      } finally {
        await payoutOutcome('succeed');
      }
      expect(await available()).toBe(before);
      expect(await frozen()).toBe(0n);
      await expectLedgerOk();
    });

    it('refuses more than the available commission with a stable code, changing nothing', async () => {
      const before = await available();
      const snap = await snapshot();
      const refused = await withdraw(agentA, { amount: Number(before + 1n), cardId: cardA });
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('INSUFFICIENT_BALANCE');
      expect(await snapshot()).toEqual(snap);
      expect(await available()).toBe(before);
    });

    it('never overdraws with 20 withdrawals racing for one balance', async () => {
      const before = await available();
      const amount = 1_000n;
      const fits = Number(before / amount);
      expect(fits).toBeGreaterThan(0);
      expect(fits).toBeLessThan(20);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          services().withdrawals.create(
            agentOwner(agentA.id),
            { mchWithdrawNo: `RACE-${Date.now().toString(36)}-${i}`, amount, cardId: BigInt(cardA) },
            { source: 'portal', appId: null, userId: null },
          ),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(won.length).toBe(fits);
      for (const r of lost) {
        expect(r.reason).toBeInstanceOf(AppError);
        expect((r.reason as AppError).code).toBe('INSUFFICIENT_BALANCE');
      }
      for (const r of won) {
        expect((await finalState(agentA, r.value.withdrawal.withdraw_no)).state).toBe('succeeded');
      }
      expect(await available()).toBe(before - BigInt(fits) * amount);
      expect(await available()).toBeGreaterThanOrEqual(0n);
      expect(await frozen()).toBe(0n);
      await expectLedgerOk();
    }, 120_000);

    it('keeps each agent to its own cards and withdrawals (404), and merchants and agents apart', async () => {
      // Agent B has commission of its own (credited as a settlement would) and withdraws to its card.
      const clearing = account('channel_clearing', t.channelAccountIds[0]!);
      const credited = account('agent_available', agentB.id);
      await services().ledger.openAccounts([clearing, credited]);
      await services().db.tx((q) =>
        services().ledger.post(q, {
          kind: 'agent_settlement',
          reference: `test-credit-${agentB.no}`,
          idempotencyKey: `test_credit:agent:${agentB.no}`,
          legs: [
            { account: clearing, amount: -50_000n },
            { account: credited, amount: 50_000n },
          ],
        }),
      );
      const theirs = await withdraw(agentB, { amount: 10_000, cardId: cardB });
      expect(theirs.status).toBe(201);

      const read = await agentA.login.send<{ code: string }>(
        'GET',
        `/api/agent/withdrawals/${theirs.body.withdrawNo}`,
      );
      expect(read.status).toBe(404);
      const list = await agentA.login.ok<{ items: WithdrawalView[] }>(
        'GET',
        '/api/agent/withdrawals?pageSize=100',
      );
      expect(list.items.map((w) => w.withdrawNo)).not.toContain(theirs.body.withdrawNo);
      const cards = await agentA.login.ok<{ items: Card[] }>('GET', '/api/agent/bank-cards');
      expect(cards.items.map((c) => c.id)).toEqual([cardA]);
      const snap = await snapshot();
      const toTheirCard = await withdraw(agentA, { amount: 500, cardId: cardB });
      expect(toTheirCard.status).toBe(409);
      expect(toTheirCard.body.code).toBe('NO_BANK_CARD');
      const removeTheirs = await agentA.login.send('DELETE', `/api/agent/bank-cards/${cardB}`, {
        password: agentA.password,
      });
      expect(removeTheirs.status).toBe(404);
      expect(await snapshot()).toEqual(snap);

      // A merchant's login reaches no agent route, an agent's no merchant route, and the merchant
      // portal never shows an agent's withdrawal.
      for (const path of ['/api/agent/withdrawals', '/api/agent/bank-cards', '/api/agent/withdrawal-rules']) {
        expect([401, 403]).toContain((await merchantPortal.get(path)).status);
      }
      expect(
        [401, 403].includes(
          (await merchantPortal.send('POST', '/api/agent/withdrawals', { amount: 100 })).status,
        ),
      ).toBe(true);
      for (const path of ['/api/merchant/withdrawals', '/api/merchant/bank-cards', '/api/merchant/payouts']) {
        expect([401, 403]).toContain((await agentA.login.get(path)).status);
      }
      const merchantRead = await merchantPortal.get(`/api/merchant/withdrawals/${theirs.body.withdrawNo}`);
      expect(merchantRead.status).toBe(404);
      const merchantList = await merchantPortal.get<{ items: WithdrawalView[] }>(
        '/api/merchant/withdrawals?pageSize=100',
      );
      expect(
        merchantList.body.items.every((w) => !w.withdrawNo || w.withdrawNo !== theirs.body.withdrawNo),
      ).toBe(true);
      const merchantPayouts = await merchantPortal.get<{ items: { withdrawNo: string | null }[] }>(
        '/api/merchant/payouts?pageSize=100',
      );
      expect(merchantPayouts.body.items.map((p) => p.withdrawNo)).not.toContain(theirs.body.withdrawNo);
      await finalState(agentB, theirs.body.withdrawNo);
      await expectLedgerOk();
    });

    it('shows the frozen commission and the withdrawals among the commission entries', async () => {
      const commission = await agentA.login.ok<{ balance: { available: number; frozen: number } }>(
        'GET',
        '/api/agent/commission',
      );
      expect(commission.balance).toMatchObject({ available: Number(await available()), frozen: 0 });
      const entries = await agentA.login.ok<{ items: { kind: string }[] }>(
        'GET',
        '/api/agent/commission/entries?limit=200',
      );
      expect(entries.items.map((e) => e.kind)).toEqual(
        expect.arrayContaining(['settle', 'withdraw', 'withdraw_returned']),
      );
      await expectLedgerOk();
    });
  });
}
