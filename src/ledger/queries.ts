import type { Queryable, SqlValue } from '../db/index.ts';
import { type KeysetPage, keysetPage, type PageCursor } from '../db/keyset.ts';
import type { AccountRef } from './types.ts';
import { ACCOUNT_KINDS, accountCode } from './types.ts';

export async function insertAccounts(q: Queryable, refs: AccountRef[]): Promise<void> {
  if (refs.length === 0) return;
  await q.query(
    `INSERT INTO ledger_account (code, kind, owner_id, currency, guarded, kept)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::boolean[], $6::boolean[])
     ON CONFLICT (code) DO NOTHING`,
    [
      refs.map(accountCode),
      refs.map((r) => r.kind),
      refs.map((r) => r.ownerId?.toString() ?? null) as string[],
      refs.map((r) => r.currency),
      refs.map((r) => String(ACCOUNT_KINDS[r.kind].guarded)),
      refs.map((r) => String(ACCOUNT_KINDS[r.kind].kept)),
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

/**
 * Writes entries and moves the kept balances, in one statement: the kept accounts among `keptIds`
 * are locked in id order (so concurrent postings that touch the same accounts wait for each other
 * instead of deadlocking; NO KEY UPDATE, because the entries' foreign-key checks hold KEY SHARE on
 * the same rows) and read, each of their entries is written with its account's balance after it (a
 * batch's entries of one account in their order), and each balance moves once by the batch's net.
 * In READ COMMITTED the lock returns a row's latest version, so the balances read are the current
 * ones. A guarded balance going below zero fails it (23514).
 */
export async function insertEntries(
  q: Queryable,
  entries: { txnId: bigint; accountId: bigint; amount: bigint; currency: string }[],
  keptIds: bigint[],
): Promise<void> {
  await q.query(
    `WITH locked AS (
       SELECT id, balance FROM ledger_account WHERE id = ANY($5::bigint[]) AND kept ORDER BY id FOR NO KEY UPDATE),
     e AS (
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[]) WITH ORDINALITY
         AS e(txn_id, account_id, amount, currency, ord)),
     entries AS (
       INSERT INTO ledger_entry (txn_id, account_id, amount, currency, balance_after)
       SELECT e.txn_id, e.account_id, e.amount, e.currency,
              l.balance + sum(e.amount) OVER (PARTITION BY e.account_id ORDER BY e.ord)
       FROM e LEFT JOIN locked l ON l.id = e.account_id
       ORDER BY e.ord)
     UPDATE ledger_account a SET balance = a.balance + d.amount
     FROM (SELECT account_id, sum(amount) AS amount FROM e GROUP BY account_id) d
     WHERE a.id = d.account_id AND d.amount <> 0 AND a.id IN (SELECT id FROM locked)`,
    [
      entries.map((e) => e.txnId.toString()),
      entries.map((e) => e.accountId.toString()),
      entries.map((e) => e.amount.toString()),
      entries.map((e) => e.currency),
      keptIds.map((id) => id.toString()),
    ],
  );
}

/** An account's balance: the kept one, or the sum of its entries. */
export function selectBalance(q: Queryable, code: string) {
  return q.query<{ balance: bigint }>(
    `SELECT CASE WHEN a.kept THEN a.balance
                 ELSE COALESCE((SELECT sum(amount) FROM ledger_entry e WHERE e.account_id = a.id), 0) END::bigint AS balance
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
     WHERE a.kept AND (a.balance <> COALESCE(s.total, 0) OR (a.guarded AND a.balance < 0))
     ORDER BY a.id LIMIT $1`,
    [limit],
  );
}

/**
 * Entries of kept accounts whose stored balance after is not their account's running sum in id order
 * (what the fund flows show).
 */
export function selectWrongBalancesAfter(q: Queryable, limit: number) {
  return q.query<{ id: bigint; code: string; balance_after: bigint | null; running: bigint }>(
    `SELECT r.id, r.code, r.balance_after, r.running FROM (
       SELECT e.id, a.code, e.balance_after,
              sum(e.amount) OVER (PARTITION BY e.account_id ORDER BY e.id)::bigint AS running
       FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id WHERE a.kept) r
     WHERE r.balance_after IS DISTINCT FROM r.running ORDER BY r.id LIMIT $1`,
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

/**
 * Locks kept accounts in id order (as postings do), so concurrent postings that touch the same
 * accounts wait for each other instead of deadlocking, and reads their balances. NO KEY UPDATE,
 * because the entries' foreign-key checks hold KEY SHARE on the same rows.
 */
export function lockKeptBalances(q: Queryable, ids: bigint[]) {
  return q.query<{ id: bigint; balance: bigint }>(
    'SELECT id, balance FROM ledger_account WHERE id = ANY($1::bigint[]) AND kept ORDER BY id FOR NO KEY UPDATE',
    [ids.map((id) => id.toString())],
  );
}

/**
 * Locks one account row FOR UPDATE and returns the sum of its entries. FOR UPDATE (not NO KEY
 * UPDATE) because every entry's foreign-key check takes KEY SHARE on its account's row: until the
 * caller commits, no other transaction can post to the account, so the balance read stays true.
 */
export async function lockDerivedBalance(q: Queryable, id: bigint): Promise<bigint> {
  await q.query('SELECT id FROM ledger_account WHERE id = $1 FOR UPDATE', [id]);
  const rows = await q.query<{ balance: bigint }>(
    'SELECT COALESCE(sum(amount), 0)::bigint AS balance FROM ledger_entry WHERE account_id = $1',
    [id],
  );
  return rows[0]!.balance;
}

/** The balance (sum of entries) of every account of one unguarded kind, per owner and currency. */
export function selectDerivedBalancesOfKind(q: Queryable, kind: string) {
  return q.query<{ owner_id: bigint; currency: string; balance: bigint }>(
    `SELECT a.owner_id, a.currency, COALESCE(sum(e.amount), 0)::bigint AS balance
     FROM ledger_account a LEFT JOIN ledger_entry e ON e.account_id = a.id
     WHERE a.kind = $1 GROUP BY a.id, a.owner_id, a.currency`,
    [kind],
  );
}

/** The merchant-owned kinds the consoles show. */
export const MERCHANT_BALANCE_KINDS = [
  'merchant_pending',
  'merchant_available',
  'merchant_frozen',
  'merchant_reserved',
  'merchant_settled_by_channel',
  'merchant_test_settled',
] as const;

/** A merchant's balances per account kind and currency (kept: stored; others: the sum of entries). */
export function merchantBalances(q: Queryable, merchantId: bigint) {
  return q.query<{ kind: string; currency: string; balance: bigint }>(
    `SELECT a.kind, a.currency,
            CASE WHEN a.kept THEN a.balance
                 ELSE COALESCE((SELECT sum(amount) FROM ledger_entry e WHERE e.account_id = a.id), 0) END::bigint AS balance
     FROM ledger_account a WHERE a.owner_id = $1 AND a.kind = ANY($2::text[]) ORDER BY a.kind`,
    [merchantId, [...MERCHANT_BALANCE_KINDS]],
  );
}

/** Guarded balances of many merchants (operator balance list), with merchant name and search. */
export function balancesList(q: Queryable, f: { search?: string; limit: number; offset: number }) {
  return q.query<{
    merchant_id: bigint;
    mch_no: string;
    name: string;
    pending: bigint;
    available: bigint;
    frozen: bigint;
    reserved: bigint;
    total: bigint;
  }>(
    `SELECT m.id AS merchant_id, m.mch_no, m.name,
            COALESCE(sum(a.balance) FILTER (WHERE a.kind = 'merchant_pending'), 0)::bigint AS pending,
            COALESCE(sum(a.balance) FILTER (WHERE a.kind = 'merchant_available'), 0)::bigint AS available,
            COALESCE(sum(a.balance) FILTER (WHERE a.kind = 'merchant_frozen'), 0)::bigint AS frozen,
            COALESCE(sum(a.balance) FILTER (WHERE a.kind = 'merchant_reserved'), 0)::bigint AS reserved,
            count(*) OVER ()::bigint AS total
     FROM merchant m LEFT JOIN ledger_account a ON a.owner_id = m.id AND a.kind LIKE 'merchant\\_%' AND a.guarded
     WHERE ($1::text IS NULL OR m.mch_no ILIKE '%' || $1 || '%' OR m.name ILIKE '%' || $1 || '%')
     GROUP BY m.id, m.mch_no, m.name ORDER BY m.id LIMIT $2 OFFSET $3`,
    [f.search ?? null, f.limit, f.offset],
  );
}

export interface EntryFilter {
  /** The merchant (or, with `kinds` of an agent's accounts, the agent) whose entries these are. */
  merchantId: bigint;
  /** The account kinds to read; a merchant's balances when not given. */
  kinds?: readonly string[];
  from?: Date;
  to?: Date;
  /** The transaction kind (payment, refund, settlement, …). */
  type?: string;
  /** The account kind, e.g. merchant_available. */
  account?: string;
}

export interface EntryRow {
  id: bigint;
  at: Date;
  account: string;
  type: string;
  reference: string;
  amount: bigint;
  currency: string;
  balance_after: bigint;
}

/**
 * A page of the entries that match a filter, in id order (`DESC`: newest first), after the entry
 * `cursor` in that order (from the start when null), skipping `offset` of them. A kept account's
 * entries carry their balance after them and are a walk down its (account_id, id) index, so a page
 * reads a page and not the account's history; an unkept account's (an agent's) balance after each
 * entry is the running sum of the account's entries, computed over its history. The owner's accounts
 * are read first, so the statement holds only the branches they need (the planner, not knowing an
 * owner has no unkept account, priced the history's sum into every page).
 */
async function entryPage(
  q: Queryable,
  f: EntryFilter,
  order: 'ASC' | 'DESC',
  cursor: bigint | null,
  limit: number,
  offset = 0,
): Promise<EntryRow[]> {
  const accounts = await q.query<{ id: bigint; kept: boolean }>(
    `SELECT id, kept FROM ledger_account
     WHERE owner_id = $1 AND kind = ANY($2::text[]) AND ($3::text IS NULL OR kind = $3)`,
    [f.merchantId, [...(f.kinds ?? MERCHANT_BALANCE_KINDS)], f.account ?? null],
  );
  const kept = accounts.filter((a) => a.kept).map((a) => a.id.toString());
  const unkept = accounts.filter((a) => !a.kept).map((a) => a.id.toString());
  if (accounts.length === 0) return [];
  const params: SqlValue[] = [f.from ?? null, f.to ?? null, f.type ?? null, cursor, limit, offset];
  const accountIds = (ids: string[]) => {
    params.push(ids);
    return `$${params.length}::bigint[]`;
  };
  const past = order === 'DESC' ? '<' : '>';
  const matches = (alias: string) =>
    `($1::timestamptz IS NULL OR ${alias}.at >= $1) AND ($2::timestamptz IS NULL OR ${alias}.at < $2)
     AND ($3::text IS NULL OR ${alias}.type = $3) AND ($4::bigint IS NULL OR ${alias}.id ${past} $4)`;
  const branches: string[] = [];
  if (kept.length) {
    branches.push(`
      SELECT x.* FROM ledger_account a CROSS JOIN LATERAL (
        SELECT * FROM (
          SELECT e.id, e.created_at AS at, a.kind AS account, t.kind AS type, t.reference, e.amount, e.currency,
                 e.balance_after
          FROM ledger_entry e JOIN ledger_txn t ON t.id = e.txn_id
          WHERE e.account_id = a.id AND ($1::timestamptz IS NULL OR e.created_at >= $1)
            AND ($2::timestamptz IS NULL OR e.created_at < $2) AND ($4::bigint IS NULL OR e.id ${past} $4)) k
        WHERE ${matches('k')}
        ORDER BY k.id ${order} LIMIT $5::int + $6::int) x
      WHERE a.id = ANY(${accountIds(kept)})`);
  }
  if (unkept.length) {
    branches.push(`
      SELECT w.* FROM ledger_account a CROSS JOIN LATERAL (
        SELECT e.id, e.created_at AS at, a.kind AS account, t.kind AS type, t.reference, e.amount, e.currency,
               sum(e.amount) OVER (ORDER BY e.id)::bigint AS balance_after
        FROM ledger_entry e JOIN ledger_txn t ON t.id = e.txn_id
        WHERE e.account_id = a.id) w
      WHERE a.id = ANY(${accountIds(unkept)}) AND ${matches('w')}`);
  }
  return q.query<EntryRow>(
    `SELECT * FROM (${branches.join(' UNION ALL ')}) p ORDER BY p.id ${order} LIMIT $5 OFFSET $6`,
    params,
  );
}

/** An owner's entries by page number, newest first, each with its account's balance after it, and how many match (an agent's commission entries). */
export async function listEntries(q: Queryable, f: EntryFilter & { limit: number; offset: number }) {
  const [rows, total] = await Promise.all([
    entryPage(q, f, 'DESC', null, f.limit, f.offset),
    countEntries(q, f),
  ]);
  return rows.map((r) => ({ ...r, total: BigInt(total) }));
}

/**
 * How many entries match the filter (an export's size). Without a transaction kind it reads only
 * the accounts' index (a million entries in about 0.1 s), not the transactions.
 */
export async function countEntries(q: Queryable, f: EntryFilter): Promise<number> {
  return Number((await q.query<{ n: bigint }>(...countStatement(f, null)))[0]!.n);
}

/**
 * How many entries match, counted up to `bound`: a fund flow shows "10 000+" beyond it rather than
 * count an account's whole history on every page. `capped` says the real number is larger.
 */
export async function countEntriesUpTo(
  q: Queryable,
  f: EntryFilter,
  bound: number,
): Promise<{ count: number; capped: boolean }> {
  const n = Number((await q.query<{ n: bigint }>(...countStatement(f, bound + 1)))[0]!.n);
  return n > bound ? { count: bound, capped: true } : { count: n, capped: false };
}

function countStatement(f: EntryFilter, limit: number | null): [string, SqlValue[]] {
  const kinds = [...(f.kinds ?? MERCHANT_BALANCE_KINDS)];
  const params: SqlValue[] = [f.merchantId, kinds, f.from ?? null, f.to ?? null, f.account ?? null];
  let byType = '';
  if (f.type) {
    params.push(f.type);
    byType = `JOIN ledger_txn t ON t.id = e.txn_id AND t.kind = $${params.length}`;
  }
  let bounded = '';
  if (limit !== null) {
    params.push(limit);
    bounded = `LIMIT $${params.length}`;
  }
  return [
    `SELECT count(*)::bigint AS n FROM (
       SELECT 1 FROM ledger_account a JOIN ledger_entry e ON e.account_id = a.id ${byType}
       WHERE a.owner_id = $1 AND a.kind = ANY($2::text[]) AND ($5::text IS NULL OR a.kind = $5)
         AND ($3::timestamptz IS NULL OR e.created_at >= $3) AND ($4::timestamptz IS NULL OR e.created_at < $4)
       ${bounded}) m`,
    params,
  ];
}

/**
 * One page of a fund flow, newest first, from a cursor (an entry id) or from the newest, with the
 * cursors of the pages either side. Keyset paging: any page reads a page, not what came before it.
 */
export async function entryListPage(
  q: Queryable,
  f: EntryFilter,
  cursor: PageCursor | undefined,
  limit: number,
): Promise<KeysetPage<EntryRow>> {
  const newer = cursor !== undefined && 'before' in cursor;
  const from = cursor === undefined ? null : BigInt('after' in cursor ? cursor.after : cursor.before);
  const read = await entryPage(q, f, newer ? 'ASC' : 'DESC', from, limit + 1);
  return keysetPage(read, limit, cursor, (e) => e.id.toString());
}

/** The matching entries after `afterId`, oldest first (an export's keyset page), each with its balance after it. */
export function entriesAfter(q: Queryable, f: EntryFilter, afterId: bigint, limit: number) {
  return entryPage(q, f, 'ASC', afterId, limit);
}

/**
 * The matching entries before `beforeId` (all when null), newest first: a keyset page of a list
 * that pages backwards through time, each entry with its account's balance after it.
 */
export function entriesBefore(q: Queryable, f: EntryFilter, beforeId: bigint | null, limit: number) {
  return entryPage(q, f, 'DESC', beforeId, limit);
}

/** An owner's balances per account kind and currency (kept: stored; others: the sum of entries). */
export function ownerBalances(q: Queryable, ownerId: bigint, kinds: readonly string[]) {
  return q.query<{ kind: string; currency: string; balance: bigint }>(
    `SELECT a.kind, a.currency,
            CASE WHEN a.kept THEN a.balance
                 ELSE COALESCE((SELECT sum(amount) FROM ledger_entry e WHERE e.account_id = a.id), 0) END::bigint AS balance
     FROM ledger_account a WHERE a.owner_id = $1 AND a.kind = ANY($2::text[]) ORDER BY a.kind`,
    [ownerId, [...kinds]],
  );
}

/**
 * An owner's end-of-day balances (期末余额) per day and account kind, for `days` whose ends are
 * `ends` (the instant each next day begins): the daily-balances roll-up where it has filled the
 * day, else the sum of the account's entries before the day's end.
 */
export function ownerDailyBalances(
  q: Queryable,
  ownerId: bigint,
  kinds: readonly string[],
  days: string[],
  ends: Date[],
) {
  return q.query<{ day: string; kind: string; balance: bigint }>(
    `WITH d AS (SELECT * FROM unnest($3::date[], $4::timestamptz[]) AS d(day, end_at)),
          filled AS (SELECT max(day) AS until FROM ledger_daily_balance)
     SELECT d.day::text AS day, a.kind,
            sum(CASE WHEN d.day <= (SELECT until FROM filled)
                     THEN COALESCE((SELECT b.balance FROM ledger_daily_balance b WHERE b.account_id = a.id AND b.day = d.day), 0)
                     ELSE COALESCE((SELECT sum(e.amount) FROM ledger_entry e WHERE e.account_id = a.id AND e.created_at < d.end_at), 0)
                END)::bigint AS balance
     FROM d CROSS JOIN ledger_account a
     WHERE a.owner_id = $1 AND a.kind = ANY($2::text[])
     GROUP BY d.day, a.kind ORDER BY d.day DESC, a.kind`,
    [ownerId, [...kinds], days, ends.map((e) => e.toISOString())],
  );
}

/** The last day whose end-of-day balances were filled, or null. */
export async function lastDailyBalanceDay(q: Queryable): Promise<string | null> {
  const rows = await q.query<{ day: string | null }>(
    'SELECT max(day)::text AS day FROM ledger_daily_balance',
  );
  return rows[0]?.day ?? null;
}

/** The first instant with an entry, or null for an empty ledger. */
export async function firstEntryAt(q: Queryable): Promise<Date | null> {
  const rows = await q.query<{ at: Date | null }>('SELECT min(created_at) AS at FROM ledger_entry');
  return rows[0]?.at ?? null;
}

/**
 * Fills the end-of-day balances of `days` (consecutive local dates; `starts[i]` is the start of
 * days[i], `starts[n]` the end of the last): the previous day's balance plus each day's entries, for
 * every account with a balance or a movement. One statement.
 */
export async function fillDailyBalances(q: Queryable, days: string[], starts: Date[]): Promise<number> {
  if (days.length === 0) return 0;
  const rows = await q.query<{ n: bigint }>(
    `WITH d AS (SELECT * FROM unnest($1::date[], $2::timestamptz[], $3::timestamptz[]) AS d(day, start_at, end_at)),
     prev AS (SELECT account_id, balance FROM ledger_daily_balance WHERE day = ($1::date[])[1] - 1),
     moves AS (
       SELECT d.day, e.account_id, sum(e.amount) AS amount FROM ledger_entry e
       JOIN d ON e.created_at >= d.start_at AND e.created_at < d.end_at
       GROUP BY d.day, e.account_id),
     accts AS (SELECT account_id FROM prev UNION SELECT account_id FROM moves),
     ins AS (
       INSERT INTO ledger_daily_balance (account_id, day, balance)
       SELECT a.account_id, d.day,
              COALESCE(p.balance, 0) + COALESCE((SELECT sum(m.amount) FROM moves m
                                                WHERE m.account_id = a.account_id AND m.day <= d.day), 0)
       FROM accts a CROSS JOIN d LEFT JOIN prev p ON p.account_id = a.account_id
       ON CONFLICT (account_id, day) DO NOTHING RETURNING 1)
     SELECT count(*)::bigint AS n FROM ins`,
    [days, starts.slice(0, -1).map((s) => s.toISOString()), starts.slice(1).map((s) => s.toISOString())],
  );
  return Number(rows[0]!.n);
}

/** A merchant's end-of-day balances per day and kind. */
export function merchantDailyBalances(q: Queryable, merchantId: bigint, from: string, to: string) {
  return q.query<{ day: string; kind: string; balance: bigint }>(
    `SELECT b.day::text AS day, a.kind, sum(b.balance)::bigint AS balance
     FROM ledger_daily_balance b JOIN ledger_account a ON a.id = b.account_id
     WHERE a.owner_id = $1 AND a.kind = ANY($2::text[]) AND b.day BETWEEN $3::date AND $4::date
     GROUP BY b.day, a.kind ORDER BY b.day DESC`,
    [merchantId, [...MERCHANT_BALANCE_KINDS], from, to],
  );
}

/** The stored balance of every guarded account of one kind, per owner and currency. */
export function selectGuardedBalancesOfKind(q: Queryable, kind: string) {
  return q.query<{ owner_id: bigint; currency: string; balance: bigint }>(
    'SELECT owner_id, currency, balance FROM ledger_account WHERE kind = $1 AND guarded',
    [kind],
  );
}

/**
 * A merchant's balance per account kind and currency when `day` begins (a statement's opening
 * balance): the end-of-day balances of the day before when the daily-balances job has filled that
 * day, else the sum of the entries before `start` (the instant `day` begins).
 */
export function merchantOpeningBalances(q: Queryable, merchantId: bigint, day: string, start: Date) {
  return q.query<{ kind: string; currency: string; balance: bigint }>(
    `WITH filled AS (SELECT EXISTS (SELECT 1 FROM ledger_daily_balance WHERE day = $3::date - 1) AS yes)
     SELECT a.kind, a.currency,
            sum(CASE WHEN (SELECT yes FROM filled)
                     THEN COALESCE((SELECT b.balance FROM ledger_daily_balance b WHERE b.account_id = a.id AND b.day = $3::date - 1), 0)
                     ELSE COALESCE((SELECT sum(e.amount) FROM ledger_entry e WHERE e.account_id = a.id AND e.created_at < $4), 0) END)::bigint AS balance
     FROM ledger_account a WHERE a.owner_id = $1 AND a.kind = ANY($2::text[])
     GROUP BY a.kind, a.currency ORDER BY a.kind`,
    [merchantId, [...MERCHANT_BALANCE_KINDS], day, start.toISOString()],
  );
}

/** A merchant's entries in [from, to) summed per account kind, currency and transaction kind. */
export function merchantMovements(q: Queryable, merchantId: bigint, from: Date, to: Date) {
  return q.query<{ kind: string; currency: string; txn_kind: string; amount: bigint; entries: bigint }>(
    `SELECT a.kind, a.currency, t.kind AS txn_kind, sum(e.amount)::bigint AS amount, count(*)::bigint AS entries
     FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id JOIN ledger_txn t ON t.id = e.txn_id
     WHERE a.owner_id = $1 AND a.kind = ANY($2::text[]) AND e.created_at >= $3 AND e.created_at < $4
     GROUP BY a.kind, a.currency, t.kind ORDER BY a.kind, t.kind`,
    [merchantId, [...MERCHANT_BALANCE_KINDS], from.toISOString(), to.toISOString()],
  );
}

/** The merchants with an entry in one of their accounts in [from, to) (a statement's day), in id order. */
export function merchantsWithEntries(q: Queryable, from: Date, to: Date) {
  return q.query<{ merchant_id: bigint }>(
    `SELECT DISTINCT a.owner_id AS merchant_id FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
     WHERE e.created_at >= $1 AND e.created_at < $2 AND a.kind = ANY($3::text[]) ORDER BY 1`,
    [from.toISOString(), to.toISOString(), [...MERCHANT_BALANCE_KINDS]],
  );
}

/** A merchant's entries in [from, to) summed per local day, account kind, currency and transaction kind. */
export function merchantMovementsByDay(
  q: Queryable,
  merchantId: bigint,
  from: Date,
  to: Date,
  timeZone: string,
) {
  return q.query<{
    day: string;
    kind: string;
    currency: string;
    txn_kind: string;
    amount: bigint;
    entries: bigint;
  }>(
    `SELECT (e.created_at AT TIME ZONE $5)::date::text AS day, a.kind, a.currency, t.kind AS txn_kind,
            sum(e.amount)::bigint AS amount, count(*)::bigint AS entries
     FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id JOIN ledger_txn t ON t.id = e.txn_id
     WHERE a.owner_id = $1 AND a.kind = ANY($2::text[]) AND e.created_at >= $3 AND e.created_at < $4
     GROUP BY 1, a.kind, a.currency, t.kind ORDER BY 1, a.kind, t.kind`,
    [merchantId, [...MERCHANT_BALANCE_KINDS], from.toISOString(), to.toISOString(), timeZone],
  );
}

/** Whether any of a merchant's ledger accounts has an entry (the recycle bin never purges such a merchant). */
export async function merchantHasEntries(q: Queryable, merchantId: bigint): Promise<boolean> {
  const rows = await q.query<{ found: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
       WHERE a.owner_id = $1 AND a.kind LIKE 'merchant\\_%'
     ) AS found`,
    [merchantId],
  );
  return rows[0]!.found;
}
