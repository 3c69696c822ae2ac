import type { Queryable, SqlValue } from '../db/index.ts';
import {
  OWNER_NAME_COLUMNS,
  type OwnerNames,
  ownerColumn,
  ownerNameJoins,
  type WithdrawalOwner,
} from './owner.ts';

export type { OwnerNames } from './owner.ts';

export const WITHDRAWAL_STATES = [
  'reviewing',
  'approved',
  'submitted',
  'succeeded',
  'failed',
  'rejected',
] as const;
export type WithdrawalState = (typeof WITHDRAWAL_STATES)[number];
export type WithdrawalSource = 'api' | 'portal' | 'auto';

export interface WithdrawalRow {
  id: bigint;
  withdraw_no: string;
  /** One of merchant_id / agent_id / member_id: whose withdrawal it is. */
  merchant_id: bigint | null;
  agent_id: bigint | null;
  member_id: bigint | null;
  mch_withdraw_no: string;
  request_hash: string;
  source: WithdrawalSource;
  app_id: string | null;
  created_by_user_id: bigint | null;
  card_id: bigint;
  bank_name: string;
  account_masked: string;
  amount: bigint;
  fee: bigint;
  currency: string;
  state: WithdrawalState;
  reason: string | null;
  notify_url: string;
  payout_no: string | null;
  local_day: string;
  reviewed_by_user_id: bigint | null;
  created_at: Date;
  reviewed_at: Date | null;
  submitted_at: Date | null;
  paid_at: Date | null;
  failed_at: Date | null;
}

export interface WithdrawalEventRow {
  state: string;
  reason: string | null;
  actor: string;
  at: Date;
}

const COLUMNS = `id, withdraw_no, merchant_id, agent_id, member_id, mch_withdraw_no, request_hash, source, app_id, created_by_user_id, card_id,
  bank_name, account_masked, amount, fee, currency, state, reason, notify_url, payout_no, local_day::text AS local_day,
  reviewed_by_user_id, created_at, reviewed_at, submitted_at, paid_at, failed_at`;

const W_COLUMNS = COLUMNS.split(',')
  .map((c) => `w.${c.trim()}`)
  .join(', ');

export interface NewWithdrawal {
  owner: WithdrawalOwner;
  mchWithdrawNo: string;
  requestHash: string;
  source: WithdrawalSource;
  appId: string | null;
  createdByUserId: bigint | null;
  cardId: bigint;
  bankName: string;
  accountMasked: string;
  amount: bigint;
  fee: bigint;
  currency: string;
  state: WithdrawalState;
  notifyUrl: string;
  localDay: string;
}

/** 'W' + yyMMddHHmmss (Beijing time) + 8 digits of a sequence, like refund numbers. Null when the mchWithdrawNo is taken. */
export async function insertWithdrawal(q: Queryable, w: NewWithdrawal): Promise<WithdrawalRow | null> {
  const rows = await q.query<WithdrawalRow>(
    `INSERT INTO withdrawal (withdraw_no, ${ownerColumn(w.owner)}, mch_withdraw_no, request_hash, source, app_id,
       created_by_user_id, card_id, bank_name, account_masked, amount, fee, currency, state, notify_url, local_day)
     VALUES ('W' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYMMDDHH24MISS')
                 || lpad((nextval('withdrawal_no_seq') % 100000000)::text, 8, '0'),
             $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::date)
     ON CONFLICT (${ownerColumn(w.owner)}, mch_withdraw_no) DO NOTHING RETURNING ${COLUMNS}`,
    [
      w.owner.id,
      w.mchWithdrawNo,
      w.requestHash,
      w.source,
      w.appId,
      w.createdByUserId,
      w.cardId,
      w.bankName,
      w.accountMasked,
      w.amount,
      w.fee,
      w.currency,
      w.state,
      w.notifyUrl,
      w.localDay,
    ],
  );
  return rows[0] ?? null;
}

export async function findByNo(q: Queryable, withdrawNo: string): Promise<WithdrawalRow | null> {
  return (
    (
      await q.query<WithdrawalRow>(`SELECT ${COLUMNS} FROM withdrawal WHERE withdraw_no = $1`, [withdrawNo])
    )[0] ?? null
  );
}

export async function findById(q: Queryable, id: bigint, lock = false): Promise<WithdrawalRow | null> {
  return (
    (
      await q.query<WithdrawalRow>(
        `SELECT ${COLUMNS} FROM withdrawal WHERE id = $1${lock ? ' FOR NO KEY UPDATE' : ''}`,
        [id],
      )
    )[0] ?? null
  );
}

export async function findByMchNo(
  q: Queryable,
  owner: WithdrawalOwner,
  mchWithdrawNo: string,
): Promise<WithdrawalRow | null> {
  return (
    (
      await q.query<WithdrawalRow>(
        `SELECT ${COLUMNS} FROM withdrawal WHERE ${ownerColumn(owner)} = $1 AND mch_withdraw_no = $2`,
        [owner.id, mchWithdrawNo],
      )
    )[0] ?? null
  );
}

/** What counts toward the day's limits: every withdrawal of the day not given back (rejected, failed). */
export async function usedOnDay(q: Queryable, owner: WithdrawalOwner, localDay: string) {
  const rows = await q.query<{ count: bigint; amount: bigint }>(
    `SELECT count(*)::bigint AS count, COALESCE(sum(amount), 0)::bigint AS amount FROM withdrawal
     WHERE ${ownerColumn(owner)} = $1 AND local_day = $2::date AND state NOT IN ('rejected', 'failed')`,
    [owner.id, localDay],
  );
  return { count: Number(rows[0]!.count), amount: rows[0]!.amount };
}

/**
 * Moves a withdrawal from one of `from` to `to` (compare-and-set) with the timestamp the state
 * carries; null when it was not in one of them.
 */
export async function transition(
  q: Queryable,
  id: bigint,
  from: WithdrawalState[],
  to: WithdrawalState,
  set: { reason?: string | null; at?: Date; reviewerId?: bigint | null; payoutNo?: string },
): Promise<WithdrawalRow | null> {
  const stamp =
    to === 'approved' || to === 'rejected'
      ? 'reviewed_at'
      : to === 'submitted'
        ? 'submitted_at'
        : to === 'succeeded'
          ? 'paid_at'
          : to === 'failed'
            ? 'failed_at'
            : null;
  const rows = await q.query<WithdrawalRow>(
    `UPDATE withdrawal SET state = $3, updated_at = now(),
       reason = COALESCE($4, reason),
       reviewed_by_user_id = COALESCE($6, reviewed_by_user_id)
       ${stamp ? `, ${stamp} = COALESCE($5::timestamptz, now())` : ''}
     WHERE id = $1 AND state = ANY($2::text[]) RETURNING ${COLUMNS}`,
    [id, from, to, set.reason ?? null, set.at ?? null, set.reviewerId ?? null],
  );
  return rows[0] ?? null;
}

export async function setPayoutNo(q: Queryable, id: bigint, payoutNo: string): Promise<void> {
  await q.query('UPDATE withdrawal SET payout_no = $2 WHERE id = $1', [id, payoutNo]);
}

export async function insertEvent(
  q: Queryable,
  withdrawalId: bigint,
  e: { state: string; reason: string | null; actor: string; at?: Date },
): Promise<void> {
  await q.query(
    'INSERT INTO withdrawal_event (withdrawal_id, state, reason, actor, at) VALUES ($1, $2, $3, $4, COALESCE($5::timestamptz, now()))',
    [withdrawalId, e.state, e.reason, e.actor, e.at ?? null],
  );
}

export function eventsOf(q: Queryable, withdrawalId: bigint) {
  return q.query<WithdrawalEventRow>(
    'SELECT state, reason, actor, at FROM withdrawal_event WHERE withdrawal_id = $1 ORDER BY id',
    [withdrawalId],
  );
}

export interface WithdrawalFilter {
  /** One owner's withdrawals (a portal); every owner's when not given (the operators). */
  owner?: WithdrawalOwner;
  /** Only merchants', agents' or members' (the operators' filter). */
  ownerKind?: WithdrawalOwner['kind'];
  state?: WithdrawalState;
  search?: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

export type WithdrawalMatch = Omit<WithdrawalFilter, 'limit' | 'offset'>;

const OWNER_KIND_OF_W =
  "CASE WHEN w.agent_id IS NOT NULL THEN 'agent' WHEN w.member_id IS NOT NULL THEN 'member' ELSE 'merchant' END";

/** The consoles' withdrawal filters as one WHERE clause over `withdrawal w` ($1 … $6). */
function withdrawalWhere(f: WithdrawalMatch) {
  return {
    where: `WHERE ($1::bigint IS NULL OR w.${f.owner ? ownerColumn(f.owner) : 'merchant_id'} = $1)
       AND ($2::text IS NULL OR w.state = $2)
       AND ($3::text IS NULL OR w.withdraw_no = $3 OR w.mch_withdraw_no = $3 OR w.withdraw_no LIKE '%' || $3)
       AND ($4::timestamptz IS NULL OR w.created_at >= $4)
       AND ($5::timestamptz IS NULL OR w.created_at < $5)
       AND ($6::text IS NULL OR $6::text = ${OWNER_KIND_OF_W})`,
    params: [
      f.owner?.id ?? null,
      f.state ?? null,
      f.search ?? null,
      f.from ?? null,
      f.to ?? null,
      f.ownerKind ?? null,
    ] as SqlValue[],
  };
}

const WITH_OWNER_NAMES = `SELECT ${W_COLUMNS}, ${OWNER_NAME_COLUMNS}`;
const FROM_WITH_OWNERS = `FROM withdrawal w ${ownerNameJoins('w')}`;

export async function list(q: Queryable, f: WithdrawalFilter) {
  const { where, params } = withdrawalWhere(f);
  const rows = await q.query<WithdrawalRow & OwnerNames & { total: bigint }>(
    `${WITH_OWNER_NAMES}, count(*) OVER () AS total ${FROM_WITH_OWNERS}
     ${where}
     ORDER BY w.id DESC LIMIT $7 OFFSET $8`,
    [...params, f.limit, f.offset],
  );
  return { rows, total: Number(rows[0]?.total ?? 0n) };
}

/** How many withdrawals match the list's filters (an export's size). */
export async function countMatching(q: Queryable, f: WithdrawalMatch): Promise<number> {
  const { where, params } = withdrawalWhere(f);
  const rows = await q.query<{ n: bigint }>(
    `SELECT count(*)::bigint AS n FROM withdrawal w ${where}`,
    params,
  );
  return Number(rows[0]!.n);
}

/** The matching withdrawals after `afterId` in id order, with their owners' names (an export's keyset page). */
export function matchingAfter(q: Queryable, f: WithdrawalMatch, afterId: bigint, limit: number) {
  const { where, params } = withdrawalWhere(f);
  return q.query<WithdrawalRow & OwnerNames>(
    `${WITH_OWNER_NAMES} ${FROM_WITH_OWNERS} ${where} AND w.id > $7 ORDER BY w.id LIMIT $8`,
    [...params, afterId, limit],
  );
}

/** Per owner and currency, what its withdrawals still hold frozen (not yet paid, failed or rejected). */
export function sumOpenByOwner(q: Queryable, owner: WithdrawalOwner['kind']) {
  const column = ownerColumn({ kind: owner, id: 0n });
  return q.query<{ owner_id: bigint; currency: string; amount: bigint }>(
    `SELECT ${column} AS owner_id, currency, sum(amount)::bigint AS amount FROM withdrawal
     WHERE ${column} IS NOT NULL AND state IN ('reviewing', 'approved', 'submitted') GROUP BY ${column}, currency`,
  );
}

/** A merchant's succeeded withdrawals per local day they were paid, over [from, to). */
export function withdrawnByDay(q: Queryable, merchantId: bigint, from: Date, to: Date, timeZone: string) {
  return q.query<{ day: string; amount: bigint }>(
    `SELECT to_char(paid_at AT TIME ZONE $4, 'YYYY-MM-DD') AS day, sum(amount)::bigint AS amount
     FROM withdrawal WHERE merchant_id = $1 AND state = 'succeeded' AND paid_at >= $2 AND paid_at < $3
       AND local_day >= ($2::timestamptz AT TIME ZONE $4)::date - 1
     GROUP BY 1`,
    [merchantId, from, to, timeZone],
  );
}

/** A merchant's withdrawals asked for, paid, failed or rejected in [from, to) (a statement's day). */
export function merchantWithdrawalsBetween(q: Queryable, merchantId: bigint, from: Date, to: Date) {
  return q.query<{
    withdraw_no: string;
    mch_withdraw_no: string;
    created_at: Date;
    amount: bigint;
    fee: bigint;
    currency: string;
    state: string;
    bank_name: string;
    account_masked: string;
    paid_at: Date | null;
    failed_at: Date | null;
    reviewed_at: Date | null;
  }>(
    `SELECT withdraw_no, mch_withdraw_no, created_at, amount, fee, currency, state, bank_name, account_masked,
            paid_at, failed_at, reviewed_at
     FROM withdrawal WHERE merchant_id = $1 AND (
       (created_at >= $2 AND created_at < $3) OR (paid_at >= $2 AND paid_at < $3)
       OR (failed_at >= $2 AND failed_at < $3) OR (state = 'rejected' AND reviewed_at >= $2 AND reviewed_at < $3))
     ORDER BY created_at, id`,
    [merchantId, from.toISOString(), to.toISOString()],
  );
}

/** A merchant's withdrawals asked for in [from, to) summed per local day (a month's statement). */
export function merchantWithdrawalDays(
  q: Queryable,
  merchantId: bigint,
  from: Date,
  to: Date,
  timeZone: string,
) {
  return q.query<{ day: string; withdrawals: bigint; amount: bigint; fee: bigint }>(
    `SELECT (created_at AT TIME ZONE $4)::date::text AS day, count(*)::bigint AS withdrawals,
            sum(amount)::bigint AS amount, sum(fee)::bigint AS fee
     FROM withdrawal WHERE merchant_id = $1 AND created_at >= $2 AND created_at < $3
     GROUP BY 1 ORDER BY 1`,
    [merchantId, from.toISOString(), to.toISOString(), timeZone],
  );
}

/** Whether a merchant ever asked for a withdrawal (the recycle bin never purges such a merchant). */
export async function merchantHasWithdrawals(q: Queryable, merchantId: bigint): Promise<boolean> {
  const rows = await q.query<{ found: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM withdrawal WHERE merchant_id = $1) AS found',
    [merchantId],
  );
  return rows[0]!.found;
}

/**
 * Withdrawals of a merchant's members asked for on the local days [firstDay, lastDay] and not failed
 * or rejected, per day (`members` is the members' SQL of the merchant's member ids, on `$1`).
 */
export function memberWithdrawalsByDay(
  q: Queryable,
  f: { merchantId: bigint; firstDay: string; lastDay: string },
  members: string,
) {
  return q.query<{ day: string; count: bigint; amount: bigint; fee: bigint }>(
    `SELECT local_day::text AS day, count(*)::bigint AS count, sum(amount)::bigint AS amount,
       sum(fee)::bigint AS fee
     FROM withdrawal
     WHERE member_id IN (${members}) AND local_day >= $2::date AND local_day <= $3::date
       AND state NOT IN ('failed', 'rejected')
     GROUP BY 1`,
    [f.merchantId, f.firstDay, f.lastDay],
  );
}
