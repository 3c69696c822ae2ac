import type { Queryable } from '../db/index.ts';
import type { MemberRow } from './queries.ts';

// The automatic withdrawal's runs (member_auto_withdrawal, migration 047): one row per member and
// local day, written once.

export interface AutoWithdrawalRunRow {
  member_id: bigint;
  local_day: string;
  outcome: 'withdrawn' | 'skipped';
  reason: string | null;
  withdraw_no: string | null;
  amount: bigint | null;
  created_at: Date;
}

/**
 * Members who withdraw automatically, whose time (HH:MM, compared as text: both zero-padded) has
 * come on `day`, and who have no run that day yet.
 */
export function dueMembers(q: Queryable, day: string, clock: string, limit: number) {
  return q.query<MemberRow>(
    `SELECT m.* FROM member m
     WHERE m.withdraw_mode = 'auto' AND m.withdraw_auto_time IS NOT NULL AND m.withdraw_auto_time <= $2
       AND NOT EXISTS (SELECT 1 FROM member_auto_withdrawal r WHERE r.member_id = m.id AND r.local_day = $1::date)
     ORDER BY m.id LIMIT $3`,
    [day, clock, limit],
  );
}

/** Records a member's run of the day; a run already recorded stays as it was (false). */
export async function recordRun(
  q: Queryable,
  r: {
    memberId: bigint;
    day: string;
    outcome: 'withdrawn' | 'skipped';
    reason: string | null;
    withdrawNo: string | null;
    amount: bigint | null;
  },
): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO member_auto_withdrawal (member_id, local_day, outcome, reason, withdraw_no, amount)
     VALUES ($1, $2::date, $3, $4, $5, $6) ON CONFLICT (member_id, local_day) DO NOTHING RETURNING 1`,
    [r.memberId, r.day, r.outcome, r.reason, r.withdrawNo, r.amount],
  );
  return rows.length === 1;
}

/** A member's latest runs, newest first. */
export function runsOf(q: Queryable, memberId: bigint, limit: number) {
  return q.query<AutoWithdrawalRunRow>(
    `SELECT member_id, to_char(local_day, 'YYYY-MM-DD') AS local_day, outcome, reason, withdraw_no, amount,
       created_at
     FROM member_auto_withdrawal WHERE member_id = $1 ORDER BY local_day DESC LIMIT $2`,
    [memberId, limit],
  );
}
