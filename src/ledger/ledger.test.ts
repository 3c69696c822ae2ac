import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../test/support/databases.ts';
import type { Db } from '../db/index.ts';
import { LedgerService } from './service.ts';
import type { AccountRef } from './types.ts';

describe.each(testDatabases)('ledger on $kind', (database) => {
  let db: Db;
  let dispose: () => Promise<void>;
  let ledger: LedgerService;

  beforeAll(async () => {
    ({ db, dispose } = await database.open());
    ledger = new LedgerService(db);
  });
  afterAll(() => dispose());

  const payment = (orderNo: string) => ({
    orderNo,
    merchantId: 7n,
    channelAccountId: 3n,
    currency: 'CNY',
    amount: 10_000n,
    fee: 60n,
    channelCost: 38n,
    platformProfit: 22n,
  });

  it('posts a payment as one balanced transaction', async () => {
    await ledger.openAccounts(ledger.paymentAccounts(payment('P1')));
    const txnId = await db.tx((q) => ledger.postPayment(q, payment('P1')));
    expect(txnId).not.toBeNull();
    const pending: AccountRef = { kind: 'merchant_pending', ownerId: 7n, currency: 'CNY' };
    expect(await ledger.balanceOf(pending)).toBe(9_940n);
    expect(await ledger.balanceOf({ kind: 'platform_revenue', ownerId: null, currency: 'CNY' })).toBe(22n);
    expect(await ledger.balanceOf({ kind: 'channel_cost', ownerId: 3n, currency: 'CNY' })).toBe(38n);
    expect(await ledger.balanceOf({ kind: 'channel_clearing', ownerId: 3n, currency: 'CNY' })).toBe(-10_000n);
    expect((await ledger.check()).ok).toBe(true);
  });

  it('posts an idempotency key once', async () => {
    await ledger.openAccounts(ledger.paymentAccounts(payment('P2')));
    await db.tx((q) => ledger.postPayment(q, payment('P2')));
    expect(await db.tx((q) => ledger.postPayment(q, payment('P2')))).toBeNull();
    expect(await ledger.countTxnsOfKind('payment')).toBe(2n);
  });

  it('posts a batch in one go: net guarded movement per account, a repeated key once', async () => {
    const batch = ['B1', 'B2', 'B3', 'B2'].map((orderNo) => ledger.paymentPosting(payment(orderNo)));
    await ledger.openAccounts(ledger.paymentAccounts(payment('B1')));
    const pending = { kind: 'merchant_pending', ownerId: 7n, currency: 'CNY' } as const;
    const before = await ledger.balanceOf(pending);
    const ids = await db.tx((q) => ledger.postMany(q, batch));
    expect(ids.map((id) => id !== null)).toEqual([true, true, true, false]);
    expect(await ledger.balanceOf(pending)).toBe(before + 3n * 9_940n);
    expect(await db.tx((q) => ledger.postMany(q, batch))).toEqual([null, null, null, null]);
    expect(await ledger.balanceOf(pending)).toBe(before + 3n * 9_940n);
    expect((await ledger.check()).ok).toBe(true);
  });

  it('refuses an unbalanced posting and writes nothing', async () => {
    const before = await ledger.check();
    await expect(
      db.tx((q) =>
        ledger.post(q, {
          kind: 'test',
          reference: 'x',
          idempotencyKey: 'unbalanced',
          legs: [
            { account: { kind: 'merchant_pending', ownerId: 7n, currency: 'CNY' }, amount: 5n },
            { account: { kind: 'platform_revenue', ownerId: null, currency: 'CNY' }, amount: -4n },
          ],
        }),
      ),
    ).rejects.toThrow(/off by 1/);
    expect((await ledger.check()).txns).toBe(before.txns);
  });

  it('refuses to take a guarded balance below zero and rolls the whole transaction back', async () => {
    const before = await ledger.check();
    await expect(
      db.tx((q) =>
        ledger.post(q, {
          kind: 'test',
          reference: 'x',
          idempotencyKey: 'overdraw',
          legs: [
            { account: { kind: 'merchant_pending', ownerId: 7n, currency: 'CNY' }, amount: -1_000_000n },
            { account: { kind: 'platform_revenue', ownerId: null, currency: 'CNY' }, amount: 1_000_000n },
          ],
        }),
      ),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_BALANCE' });
    const after = await ledger.check();
    expect(after.txns).toBe(before.txns);
    expect(after.ok).toBe(true);
  });

  it('refuses to post to an account that was not opened first', async () => {
    await expect(
      db.tx((q) =>
        ledger.post(q, {
          kind: 'test',
          reference: 'x',
          idempotencyKey: 'unopened',
          legs: [
            { account: { kind: 'merchant_pending', ownerId: 999n, currency: 'CNY' }, amount: 5n },
            { account: { kind: 'platform_revenue', ownerId: null, currency: 'CNY' }, amount: -5n },
          ],
        }),
      ),
    ).rejects.toThrow(/not opened/);
  });

  it('finds a stored balance that drifted from its entries', async () => {
    await db.query(`UPDATE ledger_account SET balance = balance + 1 WHERE code = 'merchant_pending:7:CNY'`);
    const check = await ledger.check();
    expect(check.ok).toBe(false);
    expect(check.problems.join('\n')).toMatch(/merchant_pending:7:CNY stores/);
    await db.query(`UPDATE ledger_account SET balance = balance - 1 WHERE code = 'merchant_pending:7:CNY'`);
    expect((await ledger.check()).ok).toBe(true);
  });

  it('finds an entry that unbalances its transaction', async () => {
    await db.query(
      `INSERT INTO ledger_entry (txn_id, account_id, amount, currency)
       SELECT min(t.id), (SELECT id FROM ledger_account WHERE code = 'platform_revenue:-:CNY'), 1, 'CNY' FROM ledger_txn t`,
    );
    const check = await ledger.check();
    expect(check.ok).toBe(false);
    expect(check.problems.join('\n')).toMatch(/does not balance/);
  });
});
