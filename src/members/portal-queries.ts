import type { Queryable } from '../db/index.ts';
import type { MemberRow } from './queries.ts';

// The member portal's own tables and columns: first-login codes (member_login_code, migration
// 044) and the member's withdrawal setting (member.withdraw_mode / withdraw_auto_time).

/** The members whose bound phone this is (any merchant's), oldest first. */
export function membersByPhone(q: Queryable, phone: string): Promise<MemberRow[]> {
  return q.query<MemberRow>('SELECT * FROM member WHERE phone = $1 ORDER BY id', [phone]);
}

/** A member of the merchant by the merchant's own user id (the demo's seller-1), the oldest when its apps share one. */
export async function memberOfMerchant(
  q: Queryable,
  merchantId: bigint,
  bizUserId: string,
): Promise<MemberRow | null> {
  const rows = await q.query<MemberRow>(
    'SELECT * FROM member WHERE merchant_id = $1 AND biz_user_id = $2 ORDER BY id LIMIT 1',
    [merchantId, bizUserId],
  );
  return rows[0] ?? null;
}

/** How many codes went to a phone, and from an address, since `seconds` ago; the newest code's age. */
export async function codesSent(q: Queryable, phone: string, ip: string, seconds: number) {
  const rows = await q.query<{ by_phone: number; by_ip: number; last_age: number | null }>(
    `SELECT (SELECT count(*)::int FROM member_login_code
              WHERE phone = $1 AND created_at > now() - make_interval(secs => $3)) AS by_phone,
            (SELECT count(*)::int FROM member_login_code
              WHERE ip = $2 AND created_at > now() - make_interval(secs => $3)) AS by_ip,
            (SELECT extract(epoch FROM now() - max(created_at))::float8 FROM member_login_code
              WHERE phone = $1) AS last_age`,
    [phone, ip, seconds],
  );
  const row = rows[0]!;
  return { byPhone: Number(row.by_phone), byIp: Number(row.by_ip), lastAgeSeconds: row.last_age };
}

export async function insertCode(
  q: Queryable,
  c: { phone: string; ip: string; codeHash: string; ttlSeconds: number },
): Promise<void> {
  await q.query(
    `INSERT INTO member_login_code (phone, ip, code_hash, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
    [c.phone, c.ip, c.codeHash, c.ttlSeconds],
  );
}

/**
 * Counts one guess on the phone's newest code and returns it, or null when it has expired, been
 * used, or has no guesses left. The guess is counted before the code is compared, in one statement,
 * so parallel guesses each count.
 */
export async function takeCodeAttempt(
  q: Queryable,
  phone: string,
  maxAttempts: number,
): Promise<{ id: bigint; code_hash: string } | null> {
  const rows = await q.query<{ id: bigint; code_hash: string }>(
    `UPDATE member_login_code SET attempts = attempts + 1
     WHERE id = (SELECT id FROM member_login_code WHERE phone = $1 ORDER BY id DESC LIMIT 1)
       AND expires_at > now() AND attempts < $2 AND setup_token_hash IS NULL AND used_at IS NULL
     RETURNING id, code_hash`,
    [phone, maxAttempts],
  );
  return rows[0] ?? null;
}

/** A right code becomes a setup token (its hash kept), good for `ttlSeconds`. */
export async function setSetupToken(q: Queryable, id: bigint, tokenHash: string, ttlSeconds: number) {
  await q.query(
    `UPDATE member_login_code SET setup_token_hash = $2, setup_expires_at = now() + make_interval(secs => $3)
     WHERE id = $1`,
    [id, tokenHash, ttlSeconds],
  );
}

/** The phone of a live, unused setup token, or null. */
export async function phoneOfSetupToken(q: Queryable, tokenHash: string): Promise<string | null> {
  const rows = await q.query<{ phone: string }>(
    `SELECT phone FROM member_login_code
     WHERE setup_token_hash = $1 AND used_at IS NULL AND setup_expires_at > now()`,
    [tokenHash],
  );
  return rows[0]?.phone ?? null;
}

/** Uses a setup token up (once: a second call finds nothing). */
export async function spendSetupToken(q: Queryable, tokenHash: string): Promise<boolean> {
  const rows = await q.query(
    `UPDATE member_login_code SET used_at = now()
     WHERE setup_token_hash = $1 AND used_at IS NULL AND setup_expires_at > now() RETURNING 1`,
    [tokenHash],
  );
  return rows.length === 1;
}

/** Gives a setup token back when the login it was used for could not be created. */
export async function releaseSetupToken(q: Queryable, tokenHash: string): Promise<void> {
  await q.query('UPDATE member_login_code SET used_at = NULL WHERE setup_token_hash = $1', [tokenHash]);
}

export async function updateWithdrawSetting(
  q: Queryable,
  memberId: bigint,
  mode: 'manual' | 'auto',
  autoTime: string | null,
): Promise<void> {
  await q.query(
    `UPDATE member SET withdraw_mode = $2, withdraw_auto_time = $3, updated_at = now()
     WHERE id = $1 AND withdraw_mode <> 'platform'`,
    [memberId, mode, autoTime],
  );
}

/** The merchant sets a member's withdrawal: any mode, 'platform' included (the member's own stops there). */
export async function setWithdrawSetting(
  q: Queryable,
  memberId: bigint,
  mode: 'manual' | 'auto' | 'platform',
  autoTime: string | null,
): Promise<void> {
  await q.query(
    'UPDATE member SET withdraw_mode = $2, withdraw_auto_time = $3, updated_at = now() WHERE id = $1',
    [memberId, mode, autoTime],
  );
}
