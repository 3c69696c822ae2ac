import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../test/support/databases.ts';
import type { Db } from '../db/index.ts';
import * as queries from './queries.ts';
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

  it("writes each kept account's balance after every entry, a batch's repeats in order, and lists a page of them", async () => {
    const pending: AccountRef = { kind: 'merchant_pending', ownerId: 8n, currency: 'CNY' };
    const direct: AccountRef = { kind: 'merchant_settled_by_channel', ownerId: 8n, currency: 'CNY' };
    const revenue: AccountRef = { kind: 'platform_revenue', ownerId: null, currency: 'CNY' };
    await ledger.openAccounts([pending, direct, revenue]);
    const move = (key: string, account: AccountRef, amount: bigint) => ({
      kind: 'adjustment',
      reference: key,
      idempotencyKey: `kept-${key}`,
      legs: [
        { account, amount },
        { account: revenue, amount: -amount },
      ],
    });
    // One batch moves each account twice; a kept unguarded account may go below zero.
    await db.tx((q) =>
      ledger.postMany(q, [
        move('a', pending, 500n),
        move('b', direct, -300n),
        move('c', pending, 250n),
        move('d', direct, 100n),
      ]),
    );
    await db.tx((q) => ledger.post(q, move('e', pending, -150n)));
    expect(await ledger.balanceOf(pending)).toBe(600n);
    expect(await ledger.balanceOf(direct)).toBe(-200n);

    const page = await queries.entriesBefore(db, { merchantId: 8n }, null, 3);
    expect(page.map((e) => [e.account, e.amount, e.balance_after])).toEqual([
      ['merchant_pending', -150n, 600n],
      ['merchant_settled_by_channel', 100n, -200n],
      ['merchant_pending', 250n, 750n],
    ]);
    const rest = await queries.entriesBefore(db, { merchantId: 8n }, page.at(-1)!.id, 10);
    expect(rest.map((e) => e.balance_after)).toEqual([-300n, 500n]);
    const oldestFirst = await queries.entriesAfter(
      db,
      { merchantId: 8n, account: 'merchant_pending' },
      0n,
      10,
    );
    expect(oldestFirst.map((e) => e.balance_after)).toEqual([500n, 750n, 600n]);
    const listed = await queries.listEntries(db, { merchantId: 8n, limit: 2, offset: 1 });
    expect(listed.map((e) => [e.balance_after, e.total])).toEqual([
      [-200n, 5n],
      [750n, 5n],
    ]);
    expect(
      await queries.countEntries(db, { merchantId: 8n, type: 'adjustment', account: 'merchant_pending' }),
    ).toBe(3);
    const byType = { merchantId: 8n, type: 'adjustment' };
    expect(await queries.countEntriesUpTo(db, byType, 4)).toEqual({ count: 4, capped: true });
    expect(await queries.countEntriesUpTo(db, byType, 5)).toEqual({ count: 5, capped: false });
    expect(await queries.countEntriesUpTo(db, { merchantId: 8n }, 100)).toEqual({ count: 5, capped: false });

    // The fund flow's cursor pages: older pages down to the first entry, then newer ones back up.
    const balancesOf = (p: { rows: queries.EntryRow[] }) => p.rows.map((e) => e.balance_after);
    const first = await queries.entryListPage(db, { merchantId: 8n }, undefined, 2);
    expect(balancesOf(first)).toEqual([600n, -200n]);
    expect(first.previousCursor).toBeNull();
    const second = await queries.entryListPage(db, { merchantId: 8n }, { after: first.nextCursor! }, 2);
    expect(balancesOf(second)).toEqual([750n, -300n]);
    const third = await queries.entryListPage(db, { merchantId: 8n }, { after: second.nextCursor! }, 2);
    expect(balancesOf(third)).toEqual([500n]);
    expect(third.nextCursor).toBeNull();
    const back = await queries.entryListPage(db, { merchantId: 8n }, { before: third.previousCursor! }, 2);
    expect(back).toEqual(second);
    const top = await queries.entryListPage(db, { merchantId: 8n }, { before: back.previousCursor! }, 2);
    expect(balancesOf(top)).toEqual([600n, -200n]);
    expect(top.previousCursor).toBeNull();
    expect(top.nextCursor).toBe(first.nextCursor);
    expect((await ledger.check()).ok).toBe(true);
  });

  it("lists an unkept account's entries (an agent's) with the running sums of its entries", async () => {
    const agent: AccountRef = { kind: 'agent_pending', ownerId: 9n, currency: 'CNY' };
    const revenue: AccountRef = { kind: 'platform_revenue', ownerId: null, currency: 'CNY' };
    await ledger.openAccounts([agent, revenue]);
    for (const [key, amount] of [
      ['x', 40n],
      ['y', -15n],
      ['z', 5n],
    ] as const) {
      await db.tx((q) =>
        ledger.post(q, {
          kind: 'commission',
          reference: key,
          idempotencyKey: `agent-${key}`,
          legs: [
            { account: agent, amount },
            { account: revenue, amount: -amount },
          ],
        }),
      );
    }
    const [row] = await db.query<{ balance: bigint; kept: boolean }>(
      "SELECT balance, kept FROM ledger_account WHERE code = 'agent_pending:9:CNY'",
    );
    expect(row).toEqual({ balance: 0n, kept: false });
    const entries = await queries.entriesBefore(db, { merchantId: 9n, kinds: ['agent_pending'] }, null, 2);
    expect(entries.map((e) => [e.amount, e.balance_after])).toEqual([
      [5n, 30n],
      [-15n, 25n],
    ]);
    expect(await ledger.balanceOf(agent)).toBe(30n);
  });

  it('finds a wrong balance after an entry, and migration 052 writes the balances of the entries before it', async () => {
    const sql = fs.readFileSync(
      path.join(import.meta.dirname, '../db/migrations/052_entry_balance_after.sql'),
      'utf8',
    );
    const backfills = sql.match(/^UPDATE [\s\S]*?;$/gm) ?? [];
    expect(backfills).toHaveLength(3);
    // The books as they stood before the migration: no balances after, kept unguarded balances zero.
    await db.query('UPDATE ledger_entry SET balance_after = NULL');
    await db.query("UPDATE ledger_account SET balance = 0 WHERE kind = 'merchant_settled_by_channel'");
    const broken = await ledger.check();
    expect(broken.ok).toBe(false);
    expect(broken.problems.join('\n')).toMatch(
      /merchant_settled_by_channel:8:CNY stores 0 but its entries sum to -200/,
    );
    expect(broken.problems.join('\n')).toMatch(
      /of account merchant_pending:8:CNY stores a balance after it of none/,
    );
    for (const statement of backfills) await db.query(statement);
    expect((await ledger.check()).ok).toBe(true);
    expect((await queries.entriesBefore(db, { merchantId: 8n }, null, 1))[0]?.balance_after).toBe(600n);
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
