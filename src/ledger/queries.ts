import type { Queryable } from '../db/index.ts';
import type { AccountRef } from './types.ts';
import { ACCOUNT_KINDS, accountCode } from './types.ts';

export async function insertAccounts(q: Queryable, refs: AccountRef[]): Promise<void> {
  if (refs.length === 0) return;
  await q.query(
    `INSERT INTO ledger_account (code, kind, owner_id, currency, guarded)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::boolean[])
     ON CONFLICT (code) DO NOTHING`,
    [
      refs.map(accountCode),
      refs.map((r) => r.kind),
      refs.map((r) => r.ownerId?.toString() ?? null) as string[],
      refs.map((r) => r.currency),
      refs.map((r) => String(ACCOUNT_KINDS[r.kind].guarded)),
    ],
  );
}

export function selectAccountIds(q: Queryable, codes: string[]) {
  return q.query<{ id: bigint; code: string }>(
    'SELECT id, code FROM ledger_account WHERE code = ANY($1::text[])',
    [codes],
  );
}

/** Inserts transactions; returns the ids of those whose idempotency key was new (the others were posted before). */
export function insertTxns(
  q: Queryable,
  txns: { kind: string; reference: string; idempotencyKey: string }[],
) {
  return q.query<{ id: bigint; idempotency_key: string }>(
    `INSERT INTO ledger_txn (kind, reference, idempotency_key)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key`,
    [txns.map((t) => t.kind), txns.map((t) => t.reference), txns.map((t) => t.idempotencyKey)],
  );
}

export async function insertEntries(
  q: Queryable,
  entries: { txnId: bigint; accountId: bigint; amount: bigint; currency: string }[],
): Promise<void> {
  await q.query(
    `INSERT INTO ledger_entry (txn_id, account_id, amount, currency)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[])`,
    [
      entries.map((e) => e.txnId.toString()),
      entries.map((e) => e.accountId.toString()),
      entries.map((e) => e.amount.toString()),
      entries.map((e) => e.currency),
    ],
  );
}

/**
 * Guarded balances move with their entries. The rows are locked first, in ascending id order,
 * so concurrent postings that touch the same accounts wait for each other instead of deadlocking;
 * NO KEY UPDATE, because the entries' foreign-key checks hold KEY SHARE on the same rows
 * (an UPDATE … FROM join locks in whatever order its plan visits rows).
 */
export async function addToGuardedBalances(
  q: Queryable,
  deltas: { accountId: bigint; amount: bigint }[],
): Promise<void> {
  if (deltas.length === 0) return;
  await q.query(
    `WITH locked AS (
       SELECT id FROM ledger_account WHERE id = ANY($1::bigint[]) AND guarded ORDER BY id FOR NO KEY UPDATE)
     UPDATE ledger_account a SET balance = a.balance + d.amount
     FROM unnest($1::bigint[], $2::bigint[]) AS d(id, amount)
     WHERE a.id = d.id AND a.id IN (SELECT id FROM locked)`,
    [deltas.map((d) => d.accountId.toString()), deltas.map((d) => d.amount.toString())],
  );
}

export function selectBalance(q: Queryable, code: string) {
  return q.query<{ id: bigint; guarded: boolean; balance: bigint; derived: bigint }>(
    `SELECT a.id, a.guarded, a.balance, COALESCE((SELECT sum(amount) FROM ledger_entry e WHERE e.account_id = a.id), 0)::bigint AS derived
     FROM ledger_account a WHERE a.code = $1`,
    [code],
  );
}

export function selectUnbalancedTxns(q: Queryable, limit: number) {
  return q.query<{ txn_id: bigint; currency: string; total: bigint }>(
    `SELECT txn_id, currency, sum(amount)::bigint AS total FROM ledger_entry
     GROUP BY txn_id, currency HAVING sum(amount) <> 0 ORDER BY txn_id LIMIT $1`,
    [limit],
  );
}

export function selectThinTxns(q: Queryable, limit: number) {
  return q.query<{ id: bigint; entries: bigint }>(
    `SELECT t.id, count(e.id)::bigint AS entries FROM ledger_txn t LEFT JOIN ledger_entry e ON e.txn_id = t.id
     GROUP BY t.id HAVING count(e.id) < 2 ORDER BY t.id LIMIT $1`,
    [limit],
  );
}

export function selectDriftedBalances(q: Queryable, limit: number) {
  return q.query<{ code: string; balance: bigint; derived: bigint }>(
    `SELECT a.code, a.balance, COALESCE(s.total, 0)::bigint AS derived
     FROM ledger_account a
     LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger_entry GROUP BY account_id) s ON s.account_id = a.id
     WHERE a.guarded AND (a.balance <> COALESCE(s.total, 0) OR a.balance < 0)
     ORDER BY a.id LIMIT $1`,
    [limit],
  );
}

export function selectCurrencyMismatches(q: Queryable, limit: number) {
  return q.query<{ id: bigint; code: string }>(
    `SELECT e.id, a.code FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
     WHERE e.currency <> a.currency ORDER BY e.id LIMIT $1`,
    [limit],
  );
}

export async function selectCounts(q: Queryable) {
  const rows = await q.query<{ txns: bigint; entries: bigint; accounts: bigint }>(
    `SELECT (SELECT count(*) FROM ledger_txn)::bigint AS txns, (SELECT count(*) FROM ledger_entry)::bigint AS entries,
            (SELECT count(*) FROM ledger_account)::bigint AS accounts`,
  );
  return rows[0]!;
}

export async function countTxnsOfKind(q: Queryable, kind: string): Promise<bigint> {
  const rows = await q.query<{ n: bigint }>('SELECT count(*)::bigint AS n FROM ledger_txn WHERE kind = $1', [
    kind,
  ]);
  return rows[0]!.n;
}

/** Locks guarded accounts in id order (as postings do) and reads their stored balances. */
export function lockGuardedBalances(q: Queryable, ids: bigint[]) {
  return q.query<{ id: bigint; balance: bigint }>(
    'SELECT id, balance FROM ledger_account WHERE id = ANY($1::bigint[]) AND guarded ORDER BY id FOR NO KEY UPDATE',
    [ids.map((id) => id.toString())],
  );
}
