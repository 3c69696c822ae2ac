import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Payout, QingyunApiError } from '../sdk/index.ts';
import { signedPayoutNotifyForm } from '../src/channels/sandbox/protocol.ts';
import { countPayouts } from '../src/channels/sandbox/queries.ts';
import type { AccountRef } from '../src/ledger/types.ts';
import { DEFAULT_PAYOUT_RULES, type WithdrawalOutcome } from '../src/payouts/service.ts';
import { DEFAULT_TERMS } from '../src/settlement/terms.ts';
import { merchantConsole, operatorConsole } from './support/console.ts';
import { postgresOnly, testDatabases } from './support/databases.ts';
import {
  eventually,
  paidSandboxOrder,
  postChannelNotify,
  startTestPlatform,
  type TestPlatform,
} from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

type Outcome = 'succeed' | 'fail' | 'async_succeed' | 'async_fail' | 'lost';

let sequence = 0;
const nextNo = (prefix: string) => `${prefix}${Date.now().toString(36)}${++sequence}`;

/** Shared by both suites: a platform whose demo merchant has available balance to pay out from. */
function payoutPlatform(database: Parameters<typeof startTestPlatform>[0]) {
  const ctx = {
    t: undefined as unknown as TestPlatform,
    merchantId: 0n,
    accountId: 0n,
    receiver: new NotifyReceiver(),
    services: () => ctx.t.platform.services,
    ref: (kind: AccountRef['kind']): AccountRef => ({ kind, ownerId: ctx.merchantId, currency: 'CNY' }),
    balance: (kind: AccountRef['kind']) => ctx.services().ledger.balanceOf(ctx.ref(kind)),
    balances: async () => ({
      available: await ctx.balance('merchant_available'),
      frozen: await ctx.balance('merchant_frozen'),
    }),
    /** Pays an order and settles its net pending → available (what the settlement job will do). */
    async fund(amount: number) {
      const order = await paidSandboxOrder(ctx.t.client, {
        mchOrderNo: nextNo('FUND'),
        amount,
        subject: 'payout funds',
      });
      const net = BigInt(order.amount) - BigInt(order.fee);
      const s = ctx.services();
      await s.ledger.openAccounts([ctx.ref('merchant_pending'), ctx.ref('merchant_available')]);
      await s.db.tx((q) =>
        s.ledger.post(q, {
          kind: 'settlement',
          reference: order.orderNo,
          idempotencyKey: `settlement:test:${order.orderNo}`,
          legs: [
            { account: ctx.ref('merchant_pending'), amount: -net },
            { account: ctx.ref('merchant_available'), amount: net },
          ],
        }),
      );
    },
    async outcome(outcome: Outcome) {
      await ctx
        .services()
        .catalog.updateChannelAccount(ctx.accountId, { config: { payoutOutcome: outcome } });
    },
    async expectLedgerOk() {
      const check = await ctx.services().ledger.check();
      expect(check.problems).toEqual([]);
      expect((await ctx.services().payouts.ledgerProblems()).problems).toEqual([]);
    },
    payee: { name: '张三', accountNo: '6222020200112233445', bankName: '工商银行' },
  };
  beforeAll(async () => {
    ctx.t = await startTestPlatform(database);
    await ctx.receiver.start();
    ctx.merchantId = (await ctx.services().merchants.requireMerchant(ctx.t.demo.merchant.mchNo)).id;
    ctx.accountId = ctx.t.channelAccountIds[0]!;
    await ctx.fund(4_000_000);
  });
  afterAll(async () => {
    await ctx.t?.stop();
    await ctx.receiver.stop();
  });
  return ctx;
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(QingyunApiError);
      return error as QingyunApiError;
    },
  );

describe.each(testDatabases)('payouts on $kind', (database) => {
  const ctx = payoutPlatform(database);
  const t = () => ctx.t;

  const create = (
    amount: number,
    extra: Partial<Parameters<TestPlatform['client']['createPayout']>[0]> = {},
  ) =>
    t().client.createPayout({
      mchPayoutNo: nextNo('PO'),
      amount,
      payee: ctx.payee,
      notifyUrl: ctx.receiver.url,
      ...extra,
    });

  const settled = (payoutNo: string) =>
    eventually(
      async () => {
        const p = await t().client.getPayout(payoutNo);
        return p.state === 'succeeded' || p.state === 'failed' ? p : undefined;
      },
      10_000,
      `payout ${payoutNo} settled`,
    );

  const fee = (amount: number) => Number(DEFAULT_PAYOUT_RULES.fixedFee) + 0 * amount;

  it('async success: frozen at once, submitted, paid by the notify; the merchant is notified', async () => {
    await ctx.outcome('async_succeed');
    const before = await ctx.balances();
    const payout = await create(10_000);
    expect(payout.state).toBe('submitted');
    expect(payout.fee).toBe(fee(10_000));
    expect(payout.payee).toEqual({ name: '张三', accountNoMasked: '**** **** 3445', bankName: '工商银行' });
    expect(JSON.stringify(payout)).not.toContain('6222020200112233445');
    const frozen = await ctx.balances();
    expect(frozen.available).toBe(before.available - 10_000n - BigInt(payout.fee));
    expect(frozen.frozen).toBe(before.frozen + 10_000n + BigInt(payout.fee));

    const done = await settled(payout.payoutNo);
    expect(done.state).toBe('succeeded');
    expect(done.paidAt).not.toBeNull();
    const after = await ctx.balances();
    expect(after.available).toBe(frozen.available);
    expect(after.frozen).toBe(before.frozen);
    const notify = await eventually(() =>
      ctx.receiver.received.map((r) => JSON.parse(r.body)).find((b) => b.payoutNo === payout.payoutNo),
    );
    expect(notify.eventType).toBe('payout.succeeded');
    // The account number is sealed at rest.
    const row = (await ctx.services().payouts.findByPayoutNo(payout.payoutNo))!;
    expect(row.payee_account_no_enc).not.toContain('6222020200112233445');
    await ctx.expectLedgerOk();
  });

  it('synchronous success and failure; a failure gives the funds back', async () => {
    await ctx.outcome('succeed');
    const before = await ctx.balances();
    const paid = await create(5_000);
    expect(paid.state).toBe('succeeded');
    expect((await ctx.balances()).available).toBe(before.available - 5_000n - BigInt(paid.fee));

    await ctx.outcome('fail');
    const mid = await ctx.balances();
    const failed = await create(5_000);
    expect(failed.state).toBe('failed');
    expect(failed.reason).toBeTruthy();
    expect(await ctx.balances()).toEqual(mid);
    await ctx.expectLedgerOk();
  });

  it('async failure: the notify fails it and the funds come back; payout.failed is notified', async () => {
    await ctx.outcome('async_fail');
    const before = await ctx.balances();
    const payout = await create(7_000);
    expect(payout.state).toBe('submitted');
    const done = await settled(payout.payoutNo);
    expect(done.state).toBe('failed');
    expect(await ctx.balances()).toEqual(before);
    const notify = await eventually(() =>
      ctx.receiver.received.map((r) => JSON.parse(r.body)).find((b) => b.payoutNo === payout.payoutNo),
    );
    expect(notify.eventType).toBe('payout.failed');
    await ctx.expectLedgerOk();
  });

  it('a lost answer stays pending with its account and is recovered by the query job; paid once at the sandbox', async () => {
    await ctx.outcome('lost');
    const payout = await create(3_000);
    expect(payout.state).toBe('pending');
    const row = (await ctx.services().payouts.findByPayoutNo(payout.payoutNo))!;
    expect(row.channel_account_id).toBe(ctx.accountId);
    // The job asks about payouts the channel has had ~30 s: make this one that old.
    await ctx
      .services()
      .db.query("UPDATE payout_order SET updated_at = now() - interval '1 minute' WHERE payout_no = $1", [
        payout.payoutNo,
      ]);
    expect(await ctx.services().payouts.queryPending()).toBeGreaterThanOrEqual(1);
    expect((await t().client.getPayout(payout.payoutNo)).state).toBe('succeeded');
    const account = (await ctx.services().catalog.channelAccount(ctx.accountId))!;
    expect(await countPayouts(ctx.services().db, String(account.credentials.mchId), payout.payoutNo)).toBe(1);
    await ctx.expectLedgerOk();
  });

  it('a payout the channel never got is sent again with the same number by the operator retry; paid once', async () => {
    await ctx.outcome('async_succeed');
    const account = (await ctx.services().catalog.channelAccount(ctx.accountId))!;
    const credentials = account.credentials as { mchId: string; key: string };
    await ctx.services().catalog.updateChannelAccount(ctx.accountId, {
      credentials: { ...credentials, baseUrl: 'http://127.0.0.1:9/sandbox' },
    });
    const payout = await create(4_000);
    expect(payout.state).toBe('pending');
    await ctx.services().catalog.updateChannelAccount(ctx.accountId, { credentials });
    const admin = await operatorConsole(t());
    const retried = await admin.ok<{ state: string; attempts: { action: string; outcome: string }[] }>(
      'POST',
      `/api/admin/payouts/${payout.payoutNo}/retry`,
    );
    expect(retried.state).toBe('submitted');
    expect(retried.attempts.map((a) => `${a.action}:${a.outcome}`)).toContain('retry:not_found');
    expect((await settled(payout.payoutNo)).state).toBe('succeeded');
    expect(await countPayouts(ctx.services().db, credentials.mchId, payout.payoutNo)).toBe(1);
    // Another retry of a settled payout is refused.
    const again = await admin.send<{ code: string }>('POST', `/api/admin/payouts/${payout.payoutNo}/retry`);
    expect(again.body.code).toBe('PAYOUT_STATE_INVALID');
    await ctx.expectLedgerOk();
  });

  it('a duplicate payout notify changes nothing; a notify with another amount is refused', async () => {
    await ctx.outcome('succeed');
    const payout = await create(2_000);
    const row = (await ctx.services().payouts.findByPayoutNo(payout.payoutNo))!;
    const account = (await ctx.services().catalog.channelAccount(ctx.accountId))!;
    const form = (amount: bigint, nonce: string) =>
      signedPayoutNotifyForm(
        {
          mchId: String(account.credentials.mchId),
          outPayoutNo: payout.payoutNo,
          payoutNo: row.channel_payout_no!,
          amount,
          currency: 'CNY',
          status: 'SUCCESS',
          paidAt: new Date(),
          failReason: null,
        },
        String(account.credentials.key),
        nonce,
      );
    const url = `${t().platform.url}/api/channel-notify/${ctx.accountId}/payout`;
    const paidTxns = await ctx.services().ledger.countTxnsOfKind('payout_paid');
    const before = await ctx.balances();
    expect(await postChannelNotify({ url, body: form(2_000n, 'n1') })).toBe('200 SUCCESS');
    expect(await postChannelNotify({ url, body: form(2_000n, 'n2') })).toBe('200 SUCCESS');
    expect(await postChannelNotify({ url, body: form(2_001n, 'n3') })).toBe('400 FAIL');
    // A notify for this payout at another account is refused too.
    const other = `${t().platform.url}/api/channel-notify/${t().channelAccountIds[1]}/payout`;
    expect(await postChannelNotify({ url: other, body: form(2_000n, 'n4') })).toBe('400 FAIL');
    expect(await ctx.services().ledger.countTxnsOfKind('payout_paid')).toBe(paidTxns);
    expect(await ctx.balances()).toEqual(before);
    await ctx.expectLedgerOk();
  });

  it('mark failed needs the completion password, gives the funds back, and is refused when the channel says paid', async () => {
    const admin = await operatorConsole(t());
    const password = 'payout-completion-1';
    await admin.ok('PUT', '/api/admin/settings/completion-password', { password });

    // A payout whose channel cannot be reached: the operator's word stands.
    await ctx.outcome('async_succeed');
    const account = (await ctx.services().catalog.channelAccount(ctx.accountId))!;
    const credentials = account.credentials as { mchId: string; key: string };
    await ctx.services().catalog.updateChannelAccount(ctx.accountId, {
      credentials: { ...credentials, baseUrl: 'http://127.0.0.1:9/sandbox' },
    });
    const before = await ctx.balances();
    const stuck = await create(6_000);
    expect(stuck.state).toBe('pending');
    const wrong = await admin.send<{ code: string }>(
      'POST',
      `/api/admin/payouts/${stuck.payoutNo}/mark-failed`,
      {
        reason: '银行退票',
        completionPassword: 'not-it',
      },
    );
    expect(wrong.body.code).toBe('COMPLETION_PASSWORD_INVALID');
    expect((await t().client.getPayout(stuck.payoutNo)).state).toBe('pending');
    const marked = await admin.ok<{ state: string; reason: string }>(
      'POST',
      `/api/admin/payouts/${stuck.payoutNo}/mark-failed`,
      { reason: '银行退票', completionPassword: password },
    );
    expect(marked).toMatchObject({ state: 'failed', reason: '银行退票' });
    expect(await ctx.balances()).toEqual(before);
    await ctx.services().catalog.updateChannelAccount(ctx.accountId, { credentials });

    // The channel has paid it (its answer was lost): refused, and the payout is settled as paid.
    await ctx.outcome('lost');
    const paid = await create(6_000);
    expect(paid.state).toBe('pending');
    const refused = await admin.send<{ code: string }>(
      'POST',
      `/api/admin/payouts/${paid.payoutNo}/mark-failed`,
      {
        reason: '误操作',
        completionPassword: password,
      },
    );
    expect(refused.body.code).toBe('PAYOUT_STATE_INVALID');
    expect((await t().client.getPayout(paid.payoutNo)).state).toBe('succeeded');

    // The audit log keeps both, under their action keys.
    const audit = await admin.ok<{ items: { actionKey: string }[] }>('GET', '/api/admin/audit?limit=50');
    expect(audit.items.map((i) => i.actionKey)).toContain('payout.mark_failed');
    await ctx.expectLedgerOk();
  });

  it('is idempotent on mchPayoutNo: the same body returns the payout, a changed one is refused', async () => {
    await ctx.outcome('succeed');
    const mchPayoutNo = nextNo('IDEM');
    const first = await create(1_500, { mchPayoutNo });
    const before = await ctx.balances();
    const again = await create(1_500, { mchPayoutNo });
    expect(again.payoutNo).toBe(first.payoutNo);
    expect((await refusal(create(1_600, { mchPayoutNo }))).code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await ctx.balances()).toEqual(before);
    expect((await t().client.getPayoutByMchNo(mchPayoutNo)).payoutNo).toBe(first.payoutNo);
  });

  it('refuses out-of-range amounts, bad payees, the day’s limits, a missing balance or channel, direct mode: balances unchanged', async () => {
    const s = ctx.services();
    await ctx.outcome('succeed');
    const before = await ctx.balances();
    const count = async () =>
      Number((await s.db.query<{ n: bigint }>('SELECT count(*) AS n FROM payout_order'))[0]!.n);
    const rows = await count();

    expect((await refusal(create(50))).code).toBe('AMOUNT_OUT_OF_RANGE');
    expect((await refusal(create(1_000, { payee: { ...ctx.payee, accountNo: '12ab' } }))).code).toBe(
      'INVALID_REQUEST',
    );

    await s.payouts.setMerchantOverrides(ctx.merchantId, {
      feeRatePpm: null,
      fixedFee: null,
      minAmount: null,
      maxAmount: 900_000_000n,
      dailyCount: null,
      dailyAmount: 900_000_000n,
    });
    expect((await refusal(create(800_000_000))).code).toBe('INSUFFICIENT_BALANCE');
    await s.payouts.setMerchantOverrides(ctx.merchantId, {
      feeRatePpm: null,
      fixedFee: null,
      minAmount: null,
      maxAmount: null,
      dailyCount: 0,
      dailyAmount: null,
    });
    const limited = await refusal(create(1_000));
    expect(limited.code).toBe('DAILY_LIMIT_REACHED');

    await s.payouts.setMerchantOverrides(ctx.merchantId, {
      feeRatePpm: null,
      fixedFee: null,
      minAmount: null,
      maxAmount: null,
      dailyCount: null,
      dailyAmount: null,
    });
    await s.catalog.updateChannelAccount(ctx.accountId, { payoutEnabled: false });
    expect((await refusal(create(1_000))).code).toBe('NO_PAYOUT_CHANNEL');
    await s.catalog.updateChannelAccount(ctx.accountId, { payoutEnabled: true });

    // Test (sandbox) accounts pay out only while test orders settle.
    await s.db.query(
      "INSERT INTO platform_setting (key, value) VALUES ('settlement.settleTestOrders', 'false') ON CONFLICT (key) DO UPDATE SET value = 'false'",
    );
    expect((await refusal(create(1_000))).code).toBe('NO_PAYOUT_CHANNEL');
    await s.db.query("DELETE FROM platform_setting WHERE key = 'settlement.settleTestOrders'");

    await s.settlementTerms.setTerms(s.db, ctx.merchantId, { ...DEFAULT_TERMS, mode: 'direct' });
    expect((await refusal(create(1_000))).code).toBe('SETTLEMENT_MODE');
    await s.settlementTerms.setTerms(s.db, ctx.merchantId, DEFAULT_TERMS);

    expect(await ctx.balances()).toEqual(before);
    expect(await count()).toBe(rows);
    await ctx.expectLedgerOk();
  });

  it('pays a withdrawal: recorded in its transaction, submitted after commit, outcomes told to the listeners', async () => {
    const s = ctx.services();
    await ctx.outcome('async_succeed');
    const heard: WithdrawalOutcome[] = [];
    s.payouts.onWithdrawalOutcome(async (q, e) => {
      // Inside the payout's own transaction.
      await q.query('SELECT 1');
      heard.push(e);
    });
    const debit = 20_000n;
    const withdrawalId = BigInt(Date.now());
    await s.ledger.openAccounts([ctx.ref('merchant_available'), ctx.ref('merchant_frozen')]);
    const { payoutNo } = await s.db.tx(async (q) => {
      await s.ledger.post(q, {
        kind: 'withdrawal_freeze',
        reference: `W${withdrawalId}`,
        idempotencyKey: `withdrawal_freeze:W${withdrawalId}`,
        legs: [
          { account: ctx.ref('merchant_available'), amount: -debit },
          { account: ctx.ref('merchant_frozen'), amount: debit },
        ],
      });
      return s.payouts.createForWithdrawal(q, {
        owner: { kind: 'merchant', id: ctx.merchantId },
        withdrawalId,
        withdrawNo: `W${withdrawalId}`,
        amount: debit - 300n,
        fee: 300n,
        debit,
        currency: 'CNY',
        payee: { ...ctx.payee, type: 'personal' },
        test: true,
      });
    });
    await s.payouts.submit(payoutNo);
    await eventually(() => (heard.some((e) => e.state === 'succeeded') ? true : undefined));
    expect(heard.map((e) => e.state)).toEqual(['submitted', 'succeeded']);
    expect(heard[1]).toMatchObject({ withdrawalId, payoutNo, reason: null });
    // No merchant notify for a withdrawal's payout (the withdrawals domain sends its own).
    expect((await s.payouts.requireByPayoutNo(payoutNo)).notify_url).toBeNull();
    await ctx.expectLedgerOk();
  });

  it('a payout never sent after its commit (a stop before submit) is sent by the query job', async () => {
    const s = ctx.services();
    await ctx.outcome('succeed');
    const debit = 1_000n;
    const withdrawalId = BigInt(Date.now()) + 7n;
    await s.ledger.openAccounts([ctx.ref('merchant_available'), ctx.ref('merchant_frozen')]);
    const { payoutNo } = await s.db.tx(async (q) => {
      await s.ledger.post(q, {
        kind: 'withdrawal_freeze',
        reference: `W${withdrawalId}`,
        idempotencyKey: `withdrawal_freeze:W${withdrawalId}`,
        legs: [
          { account: ctx.ref('merchant_available'), amount: -debit },
          { account: ctx.ref('merchant_frozen'), amount: debit },
        ],
      });
      return s.payouts.createForWithdrawal(q, {
        owner: { kind: 'merchant', id: ctx.merchantId },
        withdrawalId,
        withdrawNo: `W${withdrawalId}`,
        amount: debit,
        fee: 0n,
        debit,
        currency: 'CNY',
        payee: { ...ctx.payee, type: 'corporate' },
        test: false,
      });
    });
    await s.db.query(
      "UPDATE payout_order SET updated_at = now() - interval '1 minute' WHERE payout_no = $1",
      [payoutNo],
    );
    await s.payouts.queryPending();
    expect((await s.payouts.requireByPayoutNo(payoutNo)).state).toBe('succeeded');
    await ctx.expectLedgerOk();
  });

  it('the operator lists and reads payouts with attempts; the portal shows a manager only their own', async () => {
    const admin = await operatorConsole(t());
    const list = await admin.ok<{
      items: { payoutNo: string; kind: string; channelAccountName: string | null }[];
      total: number;
    }>('GET', `/api/admin/payouts?mchNo=${t().demo.merchant.mchNo}&pageSize=5`);
    expect(list.total).toBeGreaterThan(5);
    expect(list.items).toHaveLength(5);
    const one = list.items.find((i) => i.kind === 'payout')!;
    const detail = await admin.ok<{ attempts: { action: string }[]; payee: { accountNoMasked: string } }>(
      'GET',
      `/api/admin/payouts/${one.payoutNo}`,
    );
    expect(detail.attempts[0]!.action).toBe('create');
    expect(detail.payee.accountNoMasked).toMatch(/^\*{4} \*{4} \d{4}$/);

    // The channel account's payout switch, in the catalog's views and update route.
    const switched = await admin.ok<{ payoutEnabled: boolean }>(
      'PATCH',
      `/api/admin/channel-accounts/${ctx.accountId}`,
      { payoutEnabled: false },
    );
    expect(switched.payoutEnabled).toBe(false);
    await admin.ok('PATCH', `/api/admin/channel-accounts/${ctx.accountId}`, { payoutEnabled: true });
    const accounts = await admin.ok<{ id: string; payoutEnabled: boolean; supportsPayout: boolean }[]>(
      'GET',
      '/api/admin/channel-accounts',
    );
    expect(accounts.map((a) => [a.id, a.payoutEnabled, a.supportsPayout])).toEqual([
      [ctx.accountId.toString(), true, true],
      [ctx.t.channelAccountIds[1]!.toString(), false, true],
    ]);

    const rules = await admin.ok<{ fixedFee: number }>('GET', '/api/admin/settings/payout-rules');
    expect(rules.fixedFee).toBe(Number(DEFAULT_PAYOUT_RULES.fixedFee));
    const reader = await operatorConsole(t(), 'operations');
    const denied = await reader.send<{ code: string }>('PUT', '/api/admin/settings/payout-rules', rules);
    expect(denied.status).toBe(403);

    const manager = await merchantConsole(t(), { merchantId: ctx.merchantId, merchantRole: 'manager' });
    const mine = await manager.ok<{ items: Payout[]; total: number }>(
      'GET',
      '/api/merchant/payouts?pageSize=100',
    );
    expect(mine.items.some((p) => p.payoutNo === one.payoutNo)).toBe(true);
    expect((await manager.ok<Payout>('GET', `/api/merchant/payouts/${one.payoutNo}`)).payoutNo).toBe(
      one.payoutNo,
    );
    const cashier = await merchantConsole(t(), { merchantId: ctx.merchantId, merchantRole: 'cashier' });
    expect((await cashier.send('GET', '/api/merchant/payouts')).status).toBe(403);
    const other = await ctx.services().merchants.createMerchant({ name: '别家商户' });
    const stranger = await merchantConsole(t(), { merchantId: other.id, merchantRole: 'manager' });
    expect((await stranger.send('GET', `/api/merchant/payouts/${one.payoutNo}`)).status).toBe(404);
  });
});

describe.each(postgresOnly)('concurrent payouts on $kind', (database) => {
  const ctx = payoutPlatform(database);

  it('50 payouts at once against one balance never overdraw it', async () => {
    await ctx.outcome('succeed');
    const { available } = await ctx.balances();
    // Each takes about a tenth of the balance: some must be refused.
    const amount = available / 10n;
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () =>
        ctx.t.client.createPayout({ mchPayoutNo: nextNo('RACE'), amount: Number(amount), payee: ctx.payee }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r.reason as QingyunApiError).code);
    expect(new Set(refused)).toEqual(new Set(['INSUFFICIENT_BALANCE']));
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.length).toBeLessThanOrEqual(10);
    const after = await ctx.balances();
    expect(after.available).toBeGreaterThanOrEqual(0n);
    const fee = DEFAULT_PAYOUT_RULES.fixedFee;
    expect(after.available).toBe(available - BigInt(ok.length) * (amount + fee));
    await ctx.expectLedgerOk();
  });
});
