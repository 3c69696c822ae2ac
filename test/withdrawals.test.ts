import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingyunApiError, type Withdrawal } from '../sdk/index.ts';
import { createLogger } from '../src/app/logger.ts';
import { ledgerReport } from '../src/app/platform.ts';
import type { AccountRef } from '../src/ledger/types.ts';
import { minuteOfDayIn } from '../src/routing/route.ts';
import { DEFAULT_TERMS } from '../src/settlement/terms.ts';
import type { RuleOverrides } from '../src/withdrawals/rules.ts';
import { WithdrawalService } from '../src/withdrawals/service.ts';
import { type ConsoleClient, operatorConsole } from './support/console.ts';
import { postgresOnly, testDatabases } from './support/databases.ts';
import { eventually, paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';

const NO_OVERRIDES: RuleOverrides = {
  minAmount: null,
  maxAmount: null,
  fixedFee: null,
  feeRatePpm: null,
  windowStart: null,
  windowEnd: null,
  dailyCount: null,
  dailyAmount: null,
  reviewThreshold: null,
};

/** What every suite here needs: a platform, ledger helpers, the demo manager's portal, an operator. */
function harness() {
  const h = {} as {
    t: TestPlatform;
    merchantId: bigint;
    portal: ConsoleClient;
    operator: ConsoleClient;
  };
  let credits = 0;
  const services = () => h.t.platform.services;
  const accountOf = (kind: AccountRef['kind'], merchantId = h.merchantId): AccountRef => ({
    kind,
    ownerId: merchantId,
    currency: 'CNY',
  });
  return {
    h,
    services,
    async start(database: (typeof testDatabases)[number]) {
      h.t = await startTestPlatform(database);
      h.merchantId = (await services().merchants.requireMerchant(h.t.demo.merchant.mchNo)).id;
    },
    available: (merchantId = h.merchantId) =>
      services().ledger.balanceOf(accountOf('merchant_available', merchantId)),
    frozen: (merchantId = h.merchantId) =>
      services().ledger.balanceOf(accountOf('merchant_frozen', merchantId)),
    /** Credits the available balance (what a settlement does): the channel owes it, the merchant may spend it. */
    async credit(amount: bigint, merchantId = h.merchantId) {
      const clearing: AccountRef = {
        kind: 'channel_clearing',
        ownerId: h.t.channelAccountIds[0]!,
        currency: 'CNY',
      };
      const available = accountOf('merchant_available', merchantId);
      await services().ledger.openAccounts([clearing, available, accountOf('merchant_frozen', merchantId)]);
      const n = ++credits;
      await services().db.tx((q) =>
        services().ledger.post(q, {
          kind: 'settlement',
          reference: `test-credit-${merchantId}-${n}`,
          idempotencyKey: `test_credit:${merchantId}:${n}`,
          legs: [
            { account: clearing, amount: -amount },
            { account: available, amount },
          ],
        }),
      );
    },
    async setRules(rules: Partial<RuleOverrides>, merchantId = h.merchantId) {
      await services().withdrawals.rules.setOverrides(merchantId, { ...NO_OVERRIDES, ...rules });
    },
    async expectLedgerOk() {
      const report = await ledgerReport(services());
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect((await services().payouts.ledgerProblems()).problems).toEqual([]);
    },
    /** How the sandbox ends payouts (the demo's first account pays out). */
    async payoutOutcome(outcome: 'succeed' | 'fail' | 'async_succeed' | 'async_fail') {
      for (const id of h.t.channelAccountIds) {
        await services().catalog.updateChannelAccount(id, { config: { payoutOutcome: outcome } });
      }
    },
    /** Everything a refused withdrawal must leave as it was. */
    async snapshot() {
      const n = async (sql: string) => String((await services().db.query<{ n: bigint }>(sql))[0]!.n);
      return {
        withdrawals: await n('SELECT count(*) AS n FROM withdrawal'),
        events: await n('SELECT count(*) AS n FROM withdrawal_event'),
        txns: await n('SELECT count(*) AS n FROM ledger_txn'),
        entries: await n('SELECT count(*) AS n FROM ledger_entry'),
        balances: await n(
          `SELECT COALESCE(string_agg(code || '=' || balance, ',' ORDER BY id), '') AS n FROM ledger_account WHERE guarded`,
        ),
      };
    },
    async newMerchant(name: string) {
      const m = await services().merchants.createMerchant({ name, shortName: name });
      await services().withdrawals.cards.bind(
        m.id,
        { holderName: name, accountNo: '6217000011112222333', bankName: 'Bank', cardType: 'corporate' },
        { review: false, userId: null },
      );
      return m.id;
    },
  };
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

const hhmm = (minute: number) => {
  const m = ((minute % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

describe.each(testDatabases)('withdrawals on $kind', (database) => {
  const x = harness();
  const { h, services } = x;
  const password = () => h.t.demo.merchantManager.password;

  beforeAll(async () => {
    await x.start(database);
    const { ConsoleClient } = await import('./support/console.ts');
    h.portal = new ConsoleClient(h.t.platform.url);
    expect(await h.portal.login('merchant', h.t.demo.merchantManager.username, password())).toBe('active');
    h.operator = await operatorConsole(h.t);
    // Payouts end at once: balances stay still between a test's reads.
    await x.payoutOutcome('succeed');
    await x.setRules({ dailyCount: 1000, dailyAmount: 1_000_000_000n, reviewThreshold: 10_000n });
  }, 60_000);
  afterAll(async () => {
    await h.t.stop();
  });

  it('gives the demo merchant an active, masked sandbox card and review from 100 yuan', async () => {
    const cards = await h.portal.ok<{
      items: { accountNoMasked: string; state: string; isDefault: boolean }[];
    }>('GET', '/api/merchant/bank-cards');
    expect(cards.items).toEqual([
      expect.objectContaining({ accountNoMasked: '6222 **** **** 1234', state: 'active', isDefault: true }),
    ]);
    const rules = await h.portal.ok<Record<string, unknown>>('GET', '/api/merchant/withdrawal-rules');
    expect(rules).toMatchObject({
      minAmount: 100,
      reviewThreshold: 10_000,
      usedToday: { count: 0, amount: 0 },
    });
  });

  it('binds a card only with the login password: sealed at rest, masked in every answer, audited without the number', async () => {
    const accountNo = '6217 8800 1234 5678';
    const digits = accountNo.replaceAll(' ', '');
    const body = { holderName: '张三', accountNo, bankName: '招商银行', cardType: 'personal' };
    const wrong = await h.portal.send<{ code: string }>('POST', '/api/merchant/bank-cards', {
      ...body,
      password: 'not-the-password',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('LOGIN_FAILED');
    const missing = await h.portal.send<{ code: string }>('POST', '/api/merchant/bank-cards', body);
    expect(missing.status).toBe(400);

    const bound = await h.portal.send<{
      id: string;
      accountNoMasked: string;
      state: string;
      isDefault: boolean;
    }>('POST', '/api/merchant/bank-cards', { ...body, password: password() });
    expect(bound.status).toBe(201);
    expect(bound.body).toMatchObject({
      accountNoMasked: '6217 **** **** 5678',
      state: 'active',
      isDefault: false,
    });
    expect(bound.text).not.toContain(digits);
    const list = await h.portal.get<unknown>('/api/merchant/bank-cards');
    expect(list.text).not.toContain(digits);
    const admin = await h.operator.get<unknown>('/api/admin/bank-cards');
    expect(admin.text).not.toContain(digits);
    expect(admin.text).toContain('6217 **** **** 5678');

    const rows = await services().db.query<{ row: string }>(
      'SELECT row_to_json(c)::text AS row FROM bank_card c WHERE id = $1',
      [bound.body.id],
    );
    expect(rows[0]!.row).not.toContain(digits);
    expect(rows[0]!.row).not.toContain(digits.slice(4, 15));
    const card = await services().withdrawals.cards.require(h.merchantId, BigInt(bound.body.id));
    expect(services().withdrawals.cards.payeeOf(card).accountNo).toBe(digits);
    // Moved to another row, the sealed number does not open.
    expect(() => services().withdrawals.cards.payeeOf({ ...card, id: card.id + 1n })).toThrow();

    const audit = await services().db.query<{ text: string; action_key: string }>(
      `SELECT action_key, row_to_json(a)::text AS text FROM audit_log a WHERE action_key = 'bank_card.create'`,
    );
    expect(audit.length).toBeGreaterThanOrEqual(2);
    for (const row of audit) {
      expect(row.text).not.toContain(digits);
      expect(row.text).not.toContain(password());
    }

    // The default moves only with the password; a removed card is gone, and the default stays.
    const noPw = await h.portal.send('POST', `/api/merchant/bank-cards/${bound.body.id}/default`, {
      password: 'wrong',
    });
    expect(noPw.status).toBe(401);
    const made = await h.portal.ok<{ isDefault: boolean }>(
      'POST',
      `/api/merchant/bank-cards/${bound.body.id}/default`,
      {
        password: password(),
      },
    );
    expect(made.isDefault).toBe(true);
    const demoCard = (await services().withdrawals.cards.list(h.merchantId)).find(
      (c) => c.account_last4 === '1234',
    )!;
    await h.portal.ok('POST', `/api/merchant/bank-cards/${demoCard.id}/default`, { password: password() });
    const refusedDelete = await h.portal.send('DELETE', `/api/merchant/bank-cards/${bound.body.id}`, {
      password: 'wrong',
    });
    expect(refusedDelete.status).toBe(401);
    const deleted = await h.portal.send('DELETE', `/api/merchant/bank-cards/${bound.body.id}`, {
      password: password(),
    });
    expect(deleted.status).toBe(204);
    const after = await h.portal.ok<{ items: { id: string; isDefault: boolean }[] }>(
      'GET',
      '/api/merchant/bank-cards',
    );
    expect(after.items.map((c) => c.id)).toEqual([demoCard.id.toString()]);
    expect(after.items[0]!.isDefault).toBe(true);
    // Failed guesses were counted and given back on success: the account is not locked.
    const locked = await services().db.query<{ failed_logins: number }>(
      'SELECT failed_logins FROM console_user WHERE username = $1',
      [h.t.demo.merchantManager.username],
    );
    expect(locked[0]!.failed_logins).toBeGreaterThan(0);
  });

  it('asks a manager with two-step login for a current code as well as the password', async () => {
    const { ConsoleClient, freshTotp } = await import('./support/console.ts');
    const merchantId = await x.newMerchant('两步商户');
    const pw = 'pw7-Totp-manager-1';
    await services().consoleUsers.createUser({
      area: 'merchant',
      username: 'totp_manager',
      password: pw,
      merchantId,
      merchantRole: 'manager',
    });
    const c = new ConsoleClient(h.t.platform.url);
    expect(await c.login('merchant', 'totp_manager', pw)).toBe('active');
    const { secret } = await c.ok<{ secret: string }>('POST', '/api/auth/totp/enrol/start');
    await c.ok('POST', '/api/auth/totp/enrol/confirm', { code: await freshTotp(secret) });
    const body = {
      holderName: '两步商户',
      accountNo: '6228480000111122223',
      bankName: '农业银行',
      cardType: 'corporate',
      password: pw,
    };
    const noCode = await c.send<{ code: string }>('POST', '/api/merchant/bank-cards', body);
    expect([noCode.status, noCode.body.code]).toEqual([401, 'TOTP_INVALID']);
    const made = await c.send('POST', '/api/merchant/bank-cards', {
      ...body,
      totpCode: await freshTotp(secret),
    });
    expect(made.status).toBe(201);
  });

  it('holds a new card for review when the platform reviews card changes; a rejected card is never used', async () => {
    const defaults = await h.operator.ok<Record<string, unknown>>(
      'GET',
      '/api/admin/settings/withdrawal-rules',
    );
    await h.operator.ok('PUT', '/api/admin/settings/withdrawal-rules', {
      ...defaults,
      cardChangeReview: true,
    });
    try {
      const bind = (last: string) =>
        h.portal.ok<{ id: string; state: string }>('POST', '/api/merchant/bank-cards', {
          holderName: '演示商户',
          accountNo: `62250000111122${last}`,
          bankName: '工商银行',
          cardType: 'corporate',
          password: password(),
        });
      const first = await bind('3331');
      expect(first.state).toBe('pending_review');
      await x.credit(1_000n);
      const unusable = await refusal(
        h.t.client.createWithdrawal({ mchWithdrawNo: 'W-PENDING-CARD', amount: 100, cardId: first.id }),
      );
      expect(unusable.code).toBe('NO_BANK_CARD');

      const waiting = await h.operator.ok<{
        items: { id: string; mchNo: string; accountNoMasked: string }[];
      }>('GET', '/api/admin/bank-cards?state=pending_review');
      expect(waiting.items).toEqual([
        expect.objectContaining({
          id: first.id,
          mchNo: h.t.demo.merchant.mchNo,
          accountNoMasked: '6225 **** **** 3331',
        }),
      ]);
      const noReason = await h.operator.send('POST', `/api/admin/bank-cards/${first.id}/reject`, {});
      expect(noReason.status).toBe(400);
      const rejected = await h.operator.ok<{ state: string; reviewReason: string }>(
        'POST',
        `/api/admin/bank-cards/${first.id}/reject`,
        { reason: '开户名与商户名称不符' },
      );
      expect(rejected).toMatchObject({ state: 'rejected', reviewReason: '开户名与商户名称不符' });
      expect((await h.operator.send('POST', `/api/admin/bank-cards/${first.id}/approve`, {})).status).toBe(
        400,
      );

      const second = await bind('4442');
      const approved = await h.operator.ok<{ state: string }>(
        'POST',
        `/api/admin/bank-cards/${second.id}/approve`,
        {},
      );
      expect(approved.state).toBe('active');
      const w = await h.t.client.createWithdrawal({
        mchWithdrawNo: 'W-APPROVED-CARD',
        amount: 100,
        cardId: second.id,
      });
      expect(w.card.accountNoMasked).toBe('6225 **** **** 4442');
      for (const id of [first.id, second.id]) {
        await h.portal.ok('DELETE', `/api/merchant/bank-cards/${id}`, { password: password() });
      }
    } finally {
      await h.operator.ok('PUT', '/api/admin/settings/withdrawal-rules', {
        ...defaults,
        cardChangeReview: false,
      });
    }
    await x.expectLedgerOk();
  });

  it('refuses, in order and changing nothing: bad amounts, out of range, outside the window, no card, daily limits, the balance', async () => {
    await x.credit(5_000n);
    const balance = await x.available();
    const before = await x.snapshot();
    const call = (amount: unknown, extra: Record<string, unknown> = {}) =>
      refusal(
        h.t.client.call('POST', '/api/v1/withdrawals', {
          mchWithdrawNo: `W-REF-${Math.random()}`.replace('.', ''),
          amount,
          ...extra,
        }),
      );

    for (const amount of [0, -100, 150.5, '200', null]) {
      const e = await call(amount);
      expect([e.status, e.code]).toEqual([400, 'INVALID_REQUEST']);
    }
    expect((await call(99)).code).toBe('AMOUNT_OUT_OF_RANGE');
    // Details name the range (the portal sees them).
    const ranged = await h.portal.send<{ code: string; details: unknown }>(
      'POST',
      '/api/merchant/withdrawals',
      {
        amount: 99,
        cardId: (await services().withdrawals.cards.list(h.merchantId))[0]!.id.toString(),
        password: password(),
      },
    );
    expect(ranged.body).toMatchObject({ code: 'AMOUNT_OUT_OF_RANGE', details: { min: 100, max: 5_000_000 } });

    const minute = minuteOfDayIn(new Date(), 'Asia/Shanghai');
    await x.setRules({
      dailyCount: 1000,
      dailyAmount: 1_000_000_000n,
      reviewThreshold: 10_000n,
      windowStart: hhmm(minute + 60),
      windowEnd: hhmm(minute + 120),
    });
    expect((await call(100)).code).toBe('OUTSIDE_WITHDRAWAL_WINDOW');
    await x.setRules({ dailyCount: 1000, dailyAmount: 1_000_000_000n, reviewThreshold: 10_000n });

    expect((await call(100, { cardId: '999999' })).code).toBe('NO_BANK_CARD');
    // A card of another merchant is not this merchant's card.
    const other = await x.newMerchant('他人商户');
    const othersCard = (await services().withdrawals.cards.list(other))[0]!;
    expect((await call(100, { cardId: othersCard.id.toString() })).code).toBe('NO_BANK_CARD');

    const used = await services().withdrawals.usedToday(h.merchantId);
    await x.setRules({ dailyCount: used.count, dailyAmount: 1_000_000_000n, reviewThreshold: 10_000n });
    const count = await refusal(h.t.client.createWithdrawal({ mchWithdrawNo: 'W-COUNT', amount: 100 }));
    expect(count.code).toBe('DAILY_LIMIT_REACHED');
    await x.setRules({ dailyCount: 1000, dailyAmount: used.amount + 150n, reviewThreshold: 10_000n });
    const byAmount = await h.portal.send<{ code: string; details: { kind: string } }>(
      'POST',
      '/api/merchant/withdrawals',
      {
        amount: 200,
        cardId: (await services().withdrawals.cards.list(h.merchantId))[0]!.id.toString(),
        password: password(),
      },
    );
    expect(byAmount.body).toMatchObject({ code: 'DAILY_LIMIT_REACHED', details: { kind: 'amount' } });
    await x.setRules({ dailyCount: 1000, dailyAmount: 1_000_000_000n, reviewThreshold: 10_000_000n });

    const poor = await refusal(
      h.t.client.createWithdrawal({ mchWithdrawNo: 'W-POOR', amount: Number(balance) + 1 }),
    );
    expect([poor.status, poor.code]).toEqual([409, 'INSUFFICIENT_BALANCE']);
    await x.setRules({ dailyCount: 1000, dailyAmount: 1_000_000_000n, reviewThreshold: 10_000n });

    expect(await x.snapshot()).toEqual(before);
    expect(await x.available()).toBe(balance);
    await x.expectLedgerOk();
  });

  it('refuses in direct settlement mode and changes nothing', async () => {
    await services().settlementTerms.setTerms(services().db, h.merchantId, {
      ...DEFAULT_TERMS,
      mode: 'direct',
    });
    try {
      const before = await x.snapshot();
      const e = await refusal(h.t.client.createWithdrawal({ mchWithdrawNo: 'W-DIRECT', amount: 100 }));
      expect([e.status, e.code]).toEqual([409, 'SETTLEMENT_MODE']);
      expect(await x.snapshot()).toEqual(before);
    } finally {
      await services().settlementTerms.setTerms(services().db, h.merchantId, DEFAULT_TERMS);
    }
  });

  it('is idempotent on mchWithdrawNo: the same body gives the same withdrawal, a changed one 409', async () => {
    await x.credit(1_000n);
    const available = await x.available();
    const first = await h.t.client.call<Withdrawal>('POST', '/api/v1/withdrawals', {
      mchWithdrawNo: 'W-IDEM',
      amount: 300,
    });
    expect(first).toMatchObject({
      mchWithdrawNo: 'W-IDEM',

      amount: 300,
      fee: 0,
      arrivalAmount: 300,
      currency: 'CNY',
      card: { accountNoMasked: '6222 **** **** 1234' },
    });
    // Below the review threshold: approved and paid out at once (the sandbox pays synchronously here).
    expect(['approved', 'submitted', 'succeeded']).toContain(first.state);
    expect(first.withdrawNo).toMatch(/^W\d{20}$/);
    const again = await h.t.client.createWithdrawal({ mchWithdrawNo: 'W-IDEM', amount: 300 });
    expect(again.withdrawNo).toBe(first.withdrawNo);
    const changed = await refusal(h.t.client.createWithdrawal({ mchWithdrawNo: 'W-IDEM', amount: 301 }));
    expect([changed.status, changed.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
    expect(await x.available()).toBe(available - 300n);
    expect((await h.t.client.getWithdrawal(first.withdrawNo)).mchWithdrawNo).toBe('W-IDEM');
    expect((await h.t.client.getWithdrawalByMchNo('W-IDEM')).withdrawNo).toBe(first.withdrawNo);
    await x.expectLedgerOk();
  });

  it('charges the fee by the rules: fixed + rate rounded half up, amount − fee reaches the card', async () => {
    await x.credit(20_000n);
    await x.setRules({
      dailyCount: 1000,
      dailyAmount: 1_000_000_000n,
      reviewThreshold: 10_000n,
      fixedFee: 200n,
      feeRatePpm: 1_500,
    });
    const w = await h.t.client.createWithdrawal({ mchWithdrawNo: 'W-FEE', amount: 3_333 });
    // 3 333 × 0.15 % = 4.9995 → 5, + 200
    expect(w).toMatchObject({ amount: 3_333, fee: 205, arrivalAmount: 3_128 });
    await x.setRules({ dailyCount: 1000, dailyAmount: 1_000_000_000n, reviewThreshold: 10_000n });
  });

  it('waits for review from the threshold: approve, reject (funds back, notified), bulk approve', async () => {
    await x.credit(100_000n);
    await services().merchants.updateApp(h.t.demo.merchant.appId, { notifyUrl: 'http://127.0.0.1:9/notify' });
    const available = await x.available();
    const frozen = await x.frozen();
    const big = await h.t.client.createWithdrawal({ mchWithdrawNo: 'W-BIG-1', amount: 20_000 });
    expect(big.state).toBe('reviewing');
    expect(await x.available()).toBe(available - 20_000n);
    expect(await x.frozen()).toBe(frozen + 20_000n);

    const listed = await h.operator.ok<{
      items: { withdrawNo: string; mchNo: string; merchantName: string }[];
      total: number;
    }>('GET', `/api/admin/withdrawals?state=reviewing&mchNo=${h.t.demo.merchant.mchNo}`);
    expect(listed.items[0]).toMatchObject({ withdrawNo: big.withdrawNo, mchNo: h.t.demo.merchant.mchNo });
    expect(listed.items[0]!.merchantName).toContain('演示商户');

    // Reading is not reviewing.
    const reader = await operatorConsole(h.t, 'operations');
    const forbidden = await reader.send('POST', `/api/admin/withdrawals/${big.withdrawNo}/approve`, {});
    expect(forbidden.status).toBe(403);

    const approved = await h.operator.ok<{ state: string; reviewedAt: string }>(
      'POST',
      `/api/admin/withdrawals/${big.withdrawNo}/approve`,
      {},
    );
    expect(['approved', 'submitted', 'succeeded']).toContain(approved.state);
    expect(approved.reviewedAt).not.toBeNull();
    const twice = await h.operator.send<{ code: string }>(
      'POST',
      `/api/admin/withdrawals/${big.withdrawNo}/approve`,
      {},
    );
    expect([twice.status, twice.body.code]).toEqual([409, 'WITHDRAWAL_STATE_INVALID']);

    const toReject = await h.t.client.createWithdrawal({ mchWithdrawNo: 'W-BIG-2', amount: 15_000 });
    const beforeReject = await x.available();
    const rejected = await h.operator.ok<{ state: string; reason: string }>(
      'POST',
      `/api/admin/withdrawals/${toReject.withdrawNo}/reject`,
      { reason: '资料待补充' },
    );
    expect(rejected).toMatchObject({ state: 'rejected', reason: '资料待补充' });
    expect(await x.available()).toBe(beforeReject + 15_000n);
    const tasks = await services().db.query<{ event_type: string; payload: string; order_id: bigint | null }>(
      `SELECT event_type, payload, order_id FROM notify_task WHERE idempotency_key = $1`,
      [`withdrawal.failed:${toReject.withdrawNo}`],
    );
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.order_id).toBeNull();
    expect(JSON.parse(tasks[0]!.payload)).toMatchObject({
      eventType: 'withdrawal.failed',
      state: 'rejected',
    });

    const detail = await h.portal.ok<{ events: { state: string; reason: string | null }[] }>(
      'GET',
      `/api/merchant/withdrawals/${toReject.withdrawNo}`,
    );
    expect(detail.events.map((e) => e.state)).toEqual(['reviewing', 'rejected']);
    expect(detail.events[1]!.reason).toBe('资料待补充');

    const a = await h.t.client.createWithdrawal({ mchWithdrawNo: 'W-BULK-1', amount: 10_000 });
    const b = await h.t.client.createWithdrawal({ mchWithdrawNo: 'W-BULK-2', amount: 12_000 });
    const bulk = await h.operator.ok<{ approved: string[]; failed: { withdrawNo: string; code: string }[] }>(
      'POST',
      '/api/admin/withdrawals/approve',
      { withdrawNos: [a.withdrawNo, b.withdrawNo, toReject.withdrawNo, 'W00000000000000000000'] },
    );
    expect(bulk.approved).toEqual([a.withdrawNo, b.withdrawNo]);
    expect(bulk.failed).toEqual([
      { withdrawNo: toReject.withdrawNo, code: 'WITHDRAWAL_STATE_INVALID' },
      { withdrawNo: 'W00000000000000000000', code: 'NOT_FOUND' },
    ]);
    const keys = await services().db.query<{ action_key: string }>(
      `SELECT DISTINCT action_key FROM audit_log WHERE action_key LIKE 'withdrawal.%'`,
    );
    expect(keys.map((k) => k.action_key).sort()).toEqual(
      expect.arrayContaining(['withdrawal.approve', 'withdrawal.approve_bulk', 'withdrawal.reject']),
    );
    await x.expectLedgerOk();
  });

  it('takes a portal withdrawal with the manager password, and lists it with a generated number', async () => {
    await x.credit(1_000n);
    const cardId = (await services().withdrawals.cards.list(h.merchantId))[0]!.id.toString();
    const before = await x.snapshot();
    const wrong = await h.portal.send('POST', '/api/merchant/withdrawals', {
      amount: 500,
      cardId,
      password: 'nope',
    });
    expect(wrong.status).toBe(401);
    expect(await x.snapshot()).toEqual(before);
    const made = await h.portal.send<Withdrawal>('POST', '/api/merchant/withdrawals', {
      amount: 500,
      cardId,
      password: password(),
    });
    expect(made.status).toBe(201);
    expect(made.body.mchWithdrawNo).toMatch(/^CW/);
    const list = await h.portal.ok<{ items: Withdrawal[]; total: number }>(
      'GET',
      `/api/merchant/withdrawals?q=${made.body.withdrawNo}&page=1&pageSize=10`,
    );
    expect(list.items.map((w) => w.withdrawNo)).toEqual([made.body.withdrawNo]);
    // Another merchant's user does not see it.
    const { merchantConsole } = await import('./support/console.ts');
    const stranger = await merchantConsole(h.t, {
      merchantId: await x.newMerchant('陌生商户'),
      merchantRole: 'manager',
    });
    expect((await stranger.get(`/api/merchant/withdrawals/${made.body.withdrawNo}`)).status).toBe(404);
    const cashier = await merchantConsole(h.t, { merchantId: h.merchantId, merchantRole: 'cashier' });
    expect((await cashier.get('/api/merchant/withdrawals')).status).toBe(403);
    expect((await cashier.get('/api/merchant/bank-cards')).status).toBe(403);
  });

  it('pays an approved withdrawal out: success takes the frozen amount, failure gives it back; both notified', async () => {
    await x.credit(3_000n);
    const available = await x.available();
    const frozen = await x.frozen();
    const settled = (no: string) =>
      eventually(
        async () => {
          const w = await h.t.client.getWithdrawal(no);
          return w.state === 'succeeded' || w.state === 'failed' ? w : undefined;
        },
        10_000,
        `withdrawal ${no} settled`,
      );

    const ok = await h.t.client.createWithdrawal({ mchWithdrawNo: 'W-OUT-OK', amount: 400 });
    expect(await settled(ok.withdrawNo)).toMatchObject({ state: 'succeeded', failedAt: null });
    expect((await h.t.client.getWithdrawal(ok.withdrawNo)).paidAt).not.toBeNull();
    expect(await x.available()).toBe(available - 400n);
    expect(await x.frozen()).toBe(frozen);

    await x.payoutOutcome('fail');
    const ko = await h.t.client.createWithdrawal({ mchWithdrawNo: 'W-OUT-KO', amount: 500 });
    const failed = await settled(ko.withdrawNo);
    expect(failed.state).toBe('failed');
    expect(failed.reason).toBeTruthy();
    expect(await x.available()).toBe(available - 400n);
    expect(await x.frozen()).toBe(frozen);

    // Through the sandbox's asynchronous notify, as a real channel answers.
    await x.payoutOutcome('async_succeed');
    const later = await h.t.client.createWithdrawal({ mchWithdrawNo: 'W-OUT-ASYNC', amount: 300 });
    expect((await settled(later.withdrawNo)).state).toBe('succeeded');
    await x.payoutOutcome('succeed');

    const okRow = await services().withdrawals.requireByNo(ok.withdrawNo);
    const events = (await services().withdrawals.events(okRow.id)).map((e) => e.state);
    expect(events[0]).toBe('approved');
    expect(events.at(-1)).toBe('succeeded');
    expect(events.filter((e) => e === 'succeeded')).toHaveLength(1);
    const detail = await h.operator.ok<{ payout: { payoutNo: string } | null; events: unknown[] }>(
      'GET',
      `/api/admin/withdrawals/${ok.withdrawNo}`,
    );
    expect(detail.payout?.payoutNo).toBe(okRow.payout_no);
    const payout = await services().payouts.requireByPayoutNo(okRow.payout_no!);
    expect(payout).toMatchObject({
      kind: 'withdrawal',
      state: 'succeeded',
      amount: 400n,
      fee: 0n,
      debit: 400n,
    });

    const tasks = await services().db.query<{ event_type: string; payload: string }>(
      `SELECT event_type, payload FROM notify_task WHERE idempotency_key IN ($1, $2, $3) ORDER BY id`,
      [
        `withdrawal.succeeded:${ok.withdrawNo}`,
        `withdrawal.failed:${ko.withdrawNo}`,
        `withdrawal.succeeded:${later.withdrawNo}`,
      ],
    );
    expect(tasks.map((t) => t.event_type)).toEqual([
      'withdrawal.succeeded',
      'withdrawal.failed',
      'withdrawal.succeeded',
    ]);
    for (const task of tasks) expect(task.payload).not.toContain('6222000000000001234');
    // A repeated outcome changes nothing.
    await services().db.tx((q) =>
      services().withdrawals.onOutcome(q, {
        withdrawalId: okRow.id,
        state: 'failed',
        reason: 'late',
        at: new Date(),
      }),
    );
    expect((await services().withdrawals.requireByNo(ok.withdrawNo)).state).toBe('succeeded');
    await x.expectLedgerOk();
  });

  it('withdraws automatically once a day: available − keepBalance to the default card', async () => {
    await x.credit(30_000n);
    const put = await h.portal.ok<{ enabled: boolean; time: string; keepBalance: number }>(
      'PUT',
      '/api/merchant/auto-withdrawal',
      { enabled: true, time: '00:00', keepBalance: 1_000 },
    );
    expect(put).toEqual({ enabled: true, time: '00:00', keepBalance: 1_000 });
    expect(await h.portal.ok('GET', '/api/merchant/auto-withdrawal')).toEqual(put);
    const s = services();
    const now = new Date();
    const job = new WithdrawalService(
      s.db,
      s.ledger,
      s.withdrawals.cards,
      s.withdrawals.rules,
      s.settlementTerms,
      s.notify,
      s.merchants,
      { timeZone: 'Asia/Shanghai', log: createLogger('silent'), now: () => now },
    );
    const available = await x.available();
    const first = await job.runAutoWithdrawals();
    expect(first.created).toHaveLength(1);
    const w = await s.withdrawals.requireByNo(first.created[0]!);
    expect(w.source).toBe('auto');
    expect(w.amount).toBe(available - 1_000n);
    expect(w.mch_withdraw_no).toMatch(/^AUTO-\d{8}$/);
    expect(await x.available()).toBe(1_000n);
    expect((await job.runAutoWithdrawals()).created).toEqual([]);
    await h.portal.ok('PUT', '/api/merchant/auto-withdrawal', {
      enabled: false,
      time: '00:00',
      keepBalance: 0,
    });
    await x.expectLedgerOk();
  });
});

describe.each(postgresOnly)('withdrawals under concurrency on $kind', (database) => {
  const x = harness();
  const { h, services } = x;

  beforeAll(async () => {
    await x.start(database);
    await x.payoutOutcome('succeed');
  }, 60_000);
  afterAll(async () => {
    await h.t.stop();
  });

  const create = (merchantId: bigint, mchWithdrawNo: string, amount: bigint) =>
    services()
      .withdrawals.create(merchantId, { mchWithdrawNo, amount }, { source: 'api', appId: null, userId: null })
      .then(
        () => 'ok',
        (e: { code?: string }) => e.code ?? String(e),
      );

  it('never overdraws: of 50 parallel withdrawals exactly floor(balance / amount) pass', async () => {
    const merchantId = await x.newMerchant('并发商户');
    await x.setRules({ dailyCount: 1000, dailyAmount: 1_000_000_000n, reviewThreshold: 0n }, merchantId);
    await x.credit(10_000n, merchantId);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => create(merchantId, `W-RACE-${i}`, 300n)),
    );
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(33);
    expect(new Set(outcomes.filter((o) => o !== 'ok'))).toEqual(new Set(['INSUFFICIENT_BALANCE']));
    expect(await x.available(merchantId)).toBe(100n);
    expect(await x.frozen(merchantId)).toBe(9_900n);
    await x.expectLedgerOk();
  });

  it('keeps the daily count under concurrency', async () => {
    const merchantId = await x.newMerchant('限次商户');
    await x.setRules({ dailyCount: 5, dailyAmount: 1_000_000_000n, reviewThreshold: 0n }, merchantId);
    await x.credit(100_000n, merchantId);
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => create(merchantId, `W-DAY-${i}`, 100n)),
    );
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(5);
    expect(new Set(outcomes.filter((o) => o !== 'ok'))).toEqual(new Set(['DAILY_LIMIT_REACHED']));
    expect(await x.available(merchantId)).toBe(100_000n - 500n);
    await x.expectLedgerOk();
  });

  it('a refund racing a withdrawal for the same available money: one wins, nothing goes negative', async () => {
    await x.setRules({ dailyCount: 1000, dailyAmount: 1_000_000_000n, reviewThreshold: 1_000_000_000n });
    const order = await paidSandboxOrder(h.t.client, {
      mchOrderNo: 'RACE-ORDER',
      amount: 10_000,
      subject: 'race',
    });
    // Settle the order's net (10 000 − 60 fee) to available: the refund must take it from there.
    const pending: AccountRef = { kind: 'merchant_pending', ownerId: h.merchantId, currency: 'CNY' };
    const available: AccountRef = { kind: 'merchant_available', ownerId: h.merchantId, currency: 'CNY' };
    await services().ledger.openAccounts([pending, available]);
    const net = await services().ledger.balanceOf(pending);
    await services().db.tx((q) =>
      services().ledger.post(q, {
        kind: 'settlement',
        reference: 'race-settle',
        idempotencyKey: 'test_settle:race',
        legs: [
          { account: pending, amount: -net },
          { account: available, amount: net },
        ],
      }),
    );
    const all = await x.available();
    const [refund, withdrawal] = await Promise.allSettled([
      h.t.client.createRefund({ orderNo: order.orderNo, mchRefundNo: 'RACE-REFUND', amount: 10_000 }),
      h.t.client.createWithdrawal({ mchWithdrawNo: 'W-RACE-REFUND', amount: Number(all) }),
    ]);
    const won = [refund, withdrawal].filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const lost = [refund, withdrawal].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((lost.reason as QingyunApiError).code).toBe('INSUFFICIENT_BALANCE');
    expect(await x.available()).toBeGreaterThanOrEqual(0n);
    await x.expectLedgerOk();
  });
});
