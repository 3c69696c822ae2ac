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

/** A merchant's balances per account kind and currency (guarded: stored; others: the sum of entries). */
export function merchantBalances(q: Queryable, merchantId: bigint) {
  return q.query<{ kind: string; currency: string; balance: bigint }>(
    `SELECT a.kind, a.currency,
            CASE WHEN a.guarded THEN a.balance
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

const ENTRY_SELECT = `
  SELECT * FROM (
    SELECT e.id, e.created_at AS at, a.kind AS account, t.kind AS type, t.reference, e.amount, e.currency,
           sum(e.amount) OVER (PARTITION BY e.account_id ORDER BY e.id)::bigint AS balance_after
    FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id JOIN ledger_txn t ON t.id = e.txn_id
    WHERE a.owner_id = $1 AND a.kind = ANY($2::text[])) x
  WHERE ($3::timestamptz IS NULL OR x.at >= $3) AND ($4::timestamptz IS NULL OR x.at < $4)
    AND ($5::text IS NULL OR x.type = $5) AND ($6::text IS NULL OR x.account = $6)`;

function entryParams(f: EntryFilter) {
  return [
    f.merchantId,
    [...(f.kinds ?? MERCHANT_BALANCE_KINDS)] as string[],
    f.from ?? null,
    f.to ?? null,
    f.type ?? null,
    f.account ?? null,
  ];
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

/** A merchant's account entries, newest first, each with its account's balance after it. */
export function listEntries(q: Queryable, f: EntryFilter & { limit: number; offset: number }) {
  return q.query<EntryRow & { total: bigint }>(
    `SELECT y.*, count(*) OVER ()::bigint AS total FROM (${ENTRY_SELECT}) y ORDER BY y.id DESC LIMIT $7 OFFSET $8`,
    [...entryParams(f), f.limit, f.offset],
  );
}

export async function countEntries(q: Queryable, f: EntryFilter): Promise<number> {
  const rows = await q.query<{ n: bigint }>(
    `SELECT count(*)::bigint AS n FROM (${ENTRY_SELECT}) y`,
    entryParams(f),
  );
  return Number(rows[0]!.n);
}

/**
 * The matching entries after `afterId`, oldest first (an export's keyset page). The balance after
 * each is computed over all of its account's entries before the page is cut, so it stays right.
 */
export function entriesAfter(q: Queryable, f: EntryFilter, afterId: bigint, limit: number) {
  return q.query<EntryRow>(`${ENTRY_SELECT} AND x.id > $7 ORDER BY x.id LIMIT $8`, [
    ...entryParams(f),
    afterId,
    limit,
  ]);
}

/**
 * The matching entries before `beforeId` (all when null), newest first: a keyset page of a list
 * that pages backwards through time, each entry with its account's balance after it.
 */
export function entriesBefore(q: Queryable, f: EntryFilter, beforeId: bigint | null, limit: number) {
  return q.query<EntryRow>(
    `${ENTRY_SELECT} AND ($7::bigint IS NULL OR x.id < $7) ORDER BY x.id DESC LIMIT $8`,
    [...entryParams(f), beforeId, limit],
  );
}

/** An owner's balances per account kind and currency (guarded: stored; others: the sum of entries). */
export function ownerBalances(q: Queryable, ownerId: bigint, kinds: readonly string[]) {
  return q.query<{ kind: string; currency: string; balance: bigint }>(
    `SELECT a.kind, a.currency,
            CASE WHEN a.guarded THEN a.balance
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
