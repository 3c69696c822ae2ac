import type { Queryable } from '../db/index.ts';

export type Area = 'operator' | 'merchant' | 'agent' | 'member';
export type Stage = 'totp' | 'password_change' | 'totp_enrol' | 'active';

export interface ConsoleUserRow {
  id: bigint;
  area: Area;
  username: string;
  password_hash: string;
  display_name: string;
  email: string;
  /** Mobile number for one-time codes by SMS ('' = none). */
  phone: string;
  enabled: boolean;
  role_id: bigint | null;
  merchant_id: bigint | null;
  merchant_role: 'manager' | 'cashier' | null;
  agent_id: bigint | null;
  /** Member logins (area member): the marketplace member they act for. */
  member_id: bigint | null;
  /** Member logins: the bound phone number they may also log in with (null = by username only). */
  login_phone: string | null;
  totp_secret_enc: string | null;
  totp_enabled: boolean;
  totp_last_step: bigint;
  recovery_code_hashes: string[];
  must_change_password: boolean;
  failed_logins: number;
  locked_until: Date | null;
  reset_code_hash: string | null;
  reset_code_expires: Date | null;
  reset_code_attempts: number;
  created_by: bigint | null;
  last_login_at: Date | null;
  last_login_ip: string | null;
  created_at: Date;
  updated_at: Date;
  /** In the recycle bin since then: cannot log in, has no sessions, hidden from the lists. */
  deleted_at: Date | null;
  deleted_by: bigint | null;
}

/** A user with what the guards need about its role and merchant. */
export interface ConsoleUserWithRole extends ConsoleUserRow {
  role_code: string | null;
  role_name: string | null;
  permissions: string[] | null;
  mch_no: string | null;
  merchant_name: string | null;
  merchant_state: string | null;
}

/** A merchant in the recycle bin reads as `deleted`: its logins stop with it. */
const MERCHANT_STATE = `CASE WHEN m.deleted_at IS NOT NULL THEN 'deleted' ELSE m.state END AS merchant_state`;

const USER_WITH_ROLE = `SELECT u.*, r.code AS role_code, r.name AS role_name, r.permissions,
    m.mch_no, m.name AS merchant_name, ${MERCHANT_STATE}
  FROM console_user u
  LEFT JOIN console_role r ON r.id = u.role_id
  LEFT JOIN merchant m ON m.id = u.merchant_id`;

export async function insertUser(
  q: Queryable,
  u: {
    area: Area;
    username: string;
    passwordHash: string;
    displayName: string;
    email: string;
    roleId: bigint | null;
    merchantId: bigint | null;
    merchantRole: 'manager' | 'cashier' | null;
    agentId: bigint | null;
    memberId?: bigint | null;
    loginPhone?: string | null;
    mustChangePassword: boolean;
    createdBy: bigint | null;
  },
): Promise<ConsoleUserRow | null> {
  const rows = await q.query<ConsoleUserRow>(
    `INSERT INTO console_user (area, username, password_hash, display_name, email, role_id, merchant_id,
       merchant_role, must_change_password, created_by, agent_id, member_id, login_phone)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT (area, username) DO NOTHING RETURNING *`,
    [
      u.area,
      u.username,
      u.passwordHash,
      u.displayName,
      u.email,
      u.roleId,
      u.merchantId,
      u.merchantRole,
      u.mustChangePassword,
      u.createdBy,
      u.agentId,
      u.memberId ?? null,
      u.loginPhone ?? null,
    ],
  );
  return rows[0] ?? null;
}

/** The member logins of some members (one at most each): which have one, and by which phone. */
export function memberLogins(q: Queryable, memberIds: bigint[]) {
  return q.query<{ member_id: bigint; username: string; login_phone: string | null }>(
    `SELECT member_id, username, login_phone FROM console_user
     WHERE area = 'member' AND deleted_at IS NULL AND member_id = ANY($1::bigint[])`,
    [memberIds.map(String)],
  );
}

/** Whether a member login already logs in with this phone number. */
export async function loginPhoneTaken(q: Queryable, phone: string): Promise<boolean> {
  const rows = await q.query(
    `SELECT 1 FROM console_user WHERE login_phone = $1 AND deleted_at IS NULL LIMIT 1`,
    [phone],
  );
  return rows.length > 0;
}

/** A user by its username; a member login also by the phone number it chose to log in with. */
export async function findUserByName(q: Queryable, area: Area, username: string) {
  const rows = await q.query<ConsoleUserWithRole>(
    `${USER_WITH_ROLE} WHERE u.area = $1 AND u.username = $2 AND u.deleted_at IS NULL`,
    [area, username],
  );
  if (rows[0] || area !== 'member') return rows[0] ?? null;
  const byPhone = await q.query<ConsoleUserWithRole>(
    `${USER_WITH_ROLE} WHERE u.login_phone = $1 AND u.area = 'member' AND u.deleted_at IS NULL`,
    [username],
  );
  return byPhone[0] ?? null;
}

export async function findUserById(q: Queryable, id: bigint) {
  return (await q.query<ConsoleUserWithRole>(`${USER_WITH_ROLE} WHERE u.id = $1`, [id]))[0] ?? null;
}

export async function listUsers(
  q: Queryable,
  f: { area: Area; merchantId?: bigint; merchantRole?: string; limit: number; offset: number },
): Promise<{ rows: ConsoleUserWithRole[]; total: number }> {
  const where = `u.area = $1 AND u.deleted_at IS NULL AND ($2::bigint IS NULL OR u.merchant_id = $2) AND ($3::text IS NULL OR u.merchant_role = $3)`;
  const params = [f.area, f.merchantId ?? null, f.merchantRole ?? null];
  const [rows, count] = await Promise.all([
    q.query<ConsoleUserWithRole>(`${USER_WITH_ROLE} WHERE ${where} ORDER BY u.id LIMIT $4 OFFSET $5`, [
      ...params,
      f.limit,
      f.offset,
    ]),
    q.query<{ n: bigint }>(`SELECT count(*)::bigint AS n FROM console_user u WHERE ${where}`, params),
  ]);
  return { rows, total: Number(count[0]!.n) };
}

export async function countUsers(q: Queryable, area: Area): Promise<number> {
  const rows = await q.query<{ n: bigint }>(
    'SELECT count(*)::bigint AS n FROM console_user WHERE area = $1',
    [area],
  );
  return Number(rows[0]!.n);
}

/** Updates the named columns of one user (column names come from this module, never from input). */
export async function updateUser(
  q: Queryable,
  id: bigint,
  fields: Partial<{
    password_hash: string;
    display_name: string;
    email: string;
    phone: string;
    enabled: boolean;
    role_id: bigint;
    totp_secret_enc: string | null;
    totp_enabled: boolean;
    recovery_code_hashes: string[];
    must_change_password: boolean;
    reset_code_hash: string | null;
    reset_code_expires: Date | null;
    reset_code_attempts: number;
  }>,
): Promise<void> {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return;
  const sets = entries.map(([k], i) => `${k} = $${i + 2}`).join(', ');
  await q.query(`UPDATE console_user SET ${sets}, updated_at = now() WHERE id = $1`, [
    id,
    ...entries.map(([, v]) => v),
  ]);
}

/**
 * Takes one guess (a password, TOTP or recovery code, completion password) before it is checked: the
 * count goes up first, in one statement, so however many guesses arrive at once at most `maxFailures`
 * are ever checked. The guess that reaches the limit locks the account; a lock that has run out
 * starts the count again. False (nothing changed) while the account is locked.
 */
export async function takeAttempt(
  q: Queryable,
  id: bigint,
  maxFailures: number,
  lockSeconds: number,
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE console_user SET
       failed_logins = CASE WHEN locked_until IS NULL THEN failed_logins + 1 ELSE 1 END,
       locked_until = CASE WHEN (CASE WHEN locked_until IS NULL THEN failed_logins + 1 ELSE 1 END) >= $2
         THEN now() + make_interval(secs => $3) END
     WHERE id = $1 AND (locked_until IS NULL OR locked_until <= now())
       AND (locked_until IS NOT NULL OR failed_logins < $2)
     RETURNING 1`,
    [id, maxFailures, lockSeconds],
  );
  return rows.length === 1;
}

/**
 * Gives back a guess that turned out right while the login goes on (a known password before its
 * TOTP step, the completion password): it neither counts as a failure nor clears earlier ones. The
 * lock is lifted only if it was this guess that set it.
 */
export async function returnAttempt(q: Queryable, id: bigint, maxFailures: number): Promise<void> {
  await q.query(
    `UPDATE console_user SET failed_logins = greatest(failed_logins - 1, 0),
       locked_until = CASE WHEN failed_logins - 1 < $2 THEN NULL ELSE locked_until END
     WHERE id = $1`,
    [id, maxFailures],
  );
}

/** Counts a failure that took no guess first (a wrong reset code: those have their own limit). */
export async function recordFailedLogin(q: Queryable, id: bigint, maxFailures: number, lockSeconds: number) {
  await q.query(
    `UPDATE console_user SET failed_logins = failed_logins + 1,
       locked_until = CASE WHEN failed_logins + 1 >= $2 THEN coalesce(locked_until, now() + make_interval(secs => $3))
         ELSE locked_until END
     WHERE id = $1`,
    [id, maxFailures, lockSeconds],
  );
}

/**
 * A completed login: failures cleared and the lock lifted. Only ever called right after a guess
 * that was taken (so counted against the limit) and turned out right.
 */
export async function recordLogin(q: Queryable, id: bigint, ip: string): Promise<void> {
  await q.query(
    `UPDATE console_user SET failed_logins = 0, locked_until = NULL, last_login_at = now(), last_login_ip = $2
     WHERE id = $1`,
    [id, ip],
  );
}

/** The user's current password hash and the ones before it, newest first (at most `count`). */
export async function recentPasswordHashes(q: Queryable, id: bigint, count: number): Promise<string[]> {
  const rows = await q.query<{ password_hash: string }>(
    `SELECT password_hash FROM (
       SELECT password_hash, 0 AS n, 0::bigint AS hid FROM console_user WHERE id = $1
       UNION ALL
       SELECT password_hash, 1, id FROM console_password_history WHERE user_id = $1
     ) h ORDER BY n, hid DESC LIMIT $2`,
    [id, count + 1],
  );
  // The current hash is also the newest history row (once the user has one): count it once.
  const unique = [...new Set(rows.map((r) => r.password_hash))];
  return unique.slice(0, count);
}

/** Sets a new password hash and keeps it in the history, which holds the last `keep`. */
export async function setPassword(
  q: Queryable,
  id: bigint,
  passwordHash: string,
  mustChange: boolean,
  keep: number,
): Promise<void> {
  await q.query(
    `WITH updated AS (
       UPDATE console_user SET password_hash = $2, must_change_password = $3, updated_at = now() WHERE id = $1
       RETURNING id
     ), kept AS (
       INSERT INTO console_password_history (user_id, password_hash) SELECT id, $2 FROM updated RETURNING id
     )
     DELETE FROM console_password_history WHERE user_id = $1 AND id NOT IN (
       SELECT id FROM console_password_history WHERE user_id = $1 ORDER BY id DESC LIMIT $4 - 1
     )`,
    [id, passwordHash, mustChange, keep],
  );
}

/** The first history row of a new user. */
export async function insertPasswordHistory(q: Queryable, id: bigint, passwordHash: string): Promise<void> {
  await q.query('INSERT INTO console_password_history (user_id, password_hash) VALUES ($1, $2)', [
    id,
    passwordHash,
  ]);
}

/**
 * A new reset code, unless one was issued in the last minute. The attempt count carries over while
 * the previous code is still valid, so asking again does not buy more guesses.
 */
export async function issueResetCode(q: Queryable, id: bigint, codeHash: string, ttlSeconds: number) {
  const rows = await q.query(
    `UPDATE console_user SET reset_code_hash = $2,
       reset_code_attempts = CASE WHEN reset_code_expires > now() THEN reset_code_attempts ELSE 0 END,
       reset_code_expires = now() + make_interval(secs => $3)
     WHERE id = $1 AND (reset_code_expires IS NULL OR reset_code_expires < now() + make_interval(secs => $3 - 60))
     RETURNING 1`,
    [id, codeHash, ttlSeconds],
  );
  return rows.length === 1;
}

/** Counts one attempt on the reset code and returns its hash, or null when none is left or it expired. */
export async function takeResetAttempt(
  q: Queryable,
  id: bigint,
  maxAttempts: number,
): Promise<string | null> {
  const rows = await q.query<{ reset_code_hash: string }>(
    `UPDATE console_user SET reset_code_attempts = reset_code_attempts + 1
     WHERE id = $1 AND reset_code_hash IS NOT NULL AND reset_code_expires > now() AND reset_code_attempts < $2
     RETURNING reset_code_hash`,
    [id, maxAttempts],
  );
  return rows[0]?.reset_code_hash ?? null;
}

export async function clearFailures(q: Queryable, id: bigint): Promise<void> {
  await q.query('UPDATE console_user SET failed_logins = 0, locked_until = NULL WHERE id = $1', [id]);
}

/** Accepts a TOTP step only if it is later than the last one used: a code works once. */
export async function consumeTotpStep(q: Queryable, id: bigint, step: bigint): Promise<boolean> {
  const rows = await q.query(
    'UPDATE console_user SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2 RETURNING 1',
    [id, step],
  );
  return rows.length === 1;
}

/** Removes one recovery code; false if it was not there (already used or never issued). */
export async function consumeRecoveryCode(q: Queryable, id: bigint, codeHash: string): Promise<boolean> {
  const rows = await q.query(
    `UPDATE console_user SET recovery_code_hashes = array_remove(recovery_code_hashes, $2)
     WHERE id = $1 AND $2 = ANY(recovery_code_hashes) RETURNING 1`,
    [id, codeHash],
  );
  return rows.length === 1;
}

export interface SessionRow {
  id: string;
  user_id: bigint;
  stage: Stage;
  csrf_token: string;
  ip: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
}

export async function insertSession(
  q: Queryable,
  s: { id: string; userId: bigint; stage: Stage; csrfToken: string; expiresAt: Date; ip: string },
) {
  await q.query(
    `INSERT INTO console_session (id, user_id, stage, csrf_token, expires_at, ip) VALUES ($1, $2, $3, $4, $5, $6)`,
    [s.id, s.userId, s.stage, s.csrfToken, s.expiresAt, s.ip],
  );
}

export interface LiveSessionRow extends ConsoleUserWithRole {
  session_id: string;
  session_ip: string;
  stage: Stage;
  csrf_token: string;
  last_seen_at: Date;
}

/** A live session with its user: not past its end, used within the idle timeout, the user enabled. */
export async function findLiveSession(q: Queryable, id: string, idleSeconds: number, maxSeconds: number) {
  const rows = await q.query<LiveSessionRow>(
    `SELECT u.*, r.code AS role_code, r.name AS role_name, r.permissions,
       m.mch_no, m.name AS merchant_name, ${MERCHANT_STATE},
       s.id AS session_id, s.ip AS session_ip, s.stage, s.csrf_token, s.last_seen_at
     FROM console_session s
     JOIN console_user u ON u.id = s.user_id
     LEFT JOIN console_role r ON r.id = u.role_id
     LEFT JOIN merchant m ON m.id = u.merchant_id
     WHERE s.id = $1 AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => $2) AND u.enabled
       AND s.created_at > now() - make_interval(secs => $3)
       AND u.deleted_at IS NULL AND (u.merchant_id IS NULL OR (m.state = 'enabled' AND m.deleted_at IS NULL))`,
    [id, idleSeconds, maxSeconds],
  );
  return rows[0] ?? null;
}

export async function touchSession(q: Queryable, id: string): Promise<void> {
  await q.query('UPDATE console_session SET last_seen_at = now() WHERE id = $1', [id]);
}

/** Moves a session to its next stage under a new id (the old cookie stops working). */
export async function advanceSession(
  q: Queryable,
  oldId: string,
  newId: string,
  stage: Stage,
): Promise<void> {
  await q.query('UPDATE console_session SET id = $2, stage = $3, last_seen_at = now() WHERE id = $1', [
    oldId,
    newId,
    stage,
  ]);
}

export async function deleteSession(q: Queryable, id: string) {
  await q.query('DELETE FROM console_session WHERE id = $1', [id]);
}

export async function deleteUserSessions(q: Queryable, userId: bigint, exceptId?: string) {
  await q.query('DELETE FROM console_session WHERE user_id = $1 AND id <> $2', [userId, exceptId ?? '']);
}

export async function purgeExpiredSessions(
  q: Queryable,
  idleSeconds: number,
  maxSeconds: number,
): Promise<void> {
  await q.query(
    `DELETE FROM console_session WHERE expires_at < now() OR last_seen_at < now() - make_interval(secs => $1)
       OR created_at < now() - make_interval(secs => $2)`,
    [idleSeconds, maxSeconds],
  );
}

/** When the user's password was last set (its newest history row), else when the login was made. */
export async function passwordSetAt(q: Queryable, userId: bigint): Promise<Date | null> {
  const rows = await q.query<{ at: Date | null }>(
    `SELECT COALESCE((SELECT max(created_at) FROM console_password_history WHERE user_id = $1),
       (SELECT created_at FROM console_user WHERE id = $1)) AS at`,
    [userId],
  );
  return rows[0]?.at ?? null;
}

export interface RoleRow {
  id: bigint;
  code: string;
  name: string;
  permissions: string[];
  builtin: boolean;
  user_count: bigint;
}

export async function listRoles(q: Queryable): Promise<RoleRow[]> {
  return q.query<RoleRow>(
    `SELECT r.*, (SELECT count(*) FROM console_user u WHERE u.role_id = r.id)::bigint AS user_count
     FROM console_role r ORDER BY r.builtin DESC, r.id`,
  );
}

export async function findRole(q: Queryable, by: { id?: bigint; code?: string }): Promise<RoleRow | null> {
  const rows = await q.query<RoleRow>(
    `SELECT r.*, (SELECT count(*) FROM console_user u WHERE u.role_id = r.id)::bigint AS user_count
     FROM console_role r WHERE r.id = $1 OR r.code = $2`,
    [by.id ?? null, by.code ?? null],
  );
  return rows[0] ?? null;
}

export async function insertRole(q: Queryable, r: { code: string; name: string; permissions: string[] }) {
  const rows = await q.query<{ id: bigint }>(
    `INSERT INTO console_role (code, name, permissions) VALUES ($1, $2, $3)
     ON CONFLICT (code) DO NOTHING RETURNING id`,
    [r.code, r.name, r.permissions],
  );
  return rows[0]?.id ?? null;
}

export async function updateRole(q: Queryable, id: bigint, r: { name?: string; permissions?: string[] }) {
  await q.query(
    `UPDATE console_role SET name = coalesce($2, name), permissions = coalesce($3, permissions), updated_at = now()
     WHERE id = $1`,
    [id, r.name ?? null, r.permissions ?? null],
  );
}

export async function deleteRole(q: Queryable, id: bigint): Promise<void> {
  await q.query('DELETE FROM console_role WHERE id = $1', [id]);
}

/**
 * Remembers request nonces; returns the ones that were new (or whose earlier use has expired).
 * The caller passes each (app, nonce) once: a statement may not update one row twice.
 */
export async function rememberNonces(
  q: Queryable,
  nonces: { appId: string; nonce: string }[],
  ttlSeconds: number,
): Promise<Set<string>> {
  const rows = await q.query<{ app_id: string; nonce: string }>(
    `INSERT INTO api_nonce (app_id, nonce, expires_at)
     SELECT a, n, now() + make_interval(secs => $3) FROM unnest($1::text[], $2::text[]) AS t(a, n)
     ON CONFLICT (app_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE api_nonce.expires_at < now()
     RETURNING app_id, nonce`,
    [nonces.map((n) => n.appId), nonces.map((n) => n.nonce), ttlSeconds],
  );
  return new Set(rows.map((r) => nonceKey(r.app_id, r.nonce)));
}

export const nonceKey = (appId: string, nonce: string) => `${appId}\n${nonce}`;

export async function purgeExpiredNonces(q: Queryable): Promise<number> {
  const rows = await q.query('DELETE FROM api_nonce WHERE expires_at < now() RETURNING 1');
  return rows.length;
}

/** Console users whose TOTP secret was sealed before secrets were bound to their rows (format v1). */
export function usersWithUnboundTotpSecrets(q: Queryable) {
  return q.query<{ id: bigint; totp_secret_enc: string }>(
    `SELECT id, totp_secret_enc FROM console_user WHERE totp_secret_enc LIKE 'v1.%' ORDER BY id`,
  );
}

/** Replaces a sealed TOTP secret if it is still the one read (compare-and-set: one starting node wins). */
export async function resealTotpSecret(q: Queryable, id: bigint, was: string, now: string): Promise<boolean> {
  const rows = await q.query(
    'UPDATE console_user SET totp_secret_enc = $3 WHERE id = $1 AND totp_secret_enc = $2 RETURNING id',
    [id, was, now],
  );
  return rows.length > 0;
}

// ---------- the recycle bin (recycle/) ----------

export interface DeletedUser {
  id: bigint;
  key: string;
  name: string;
  /** The area, and the merchant's number for a merchant login. */
  owner: string;
  area: Area;
  deleted_at: Date;
  deleted_by: bigint | null;
}

/** Moves a login to the recycle bin and ends its sessions, in the caller's transaction. */
export async function softDeleteUser(q: Queryable, id: bigint, by: bigint | null): Promise<boolean> {
  const rows = await q.query(
    'UPDATE console_user SET deleted_at = now(), deleted_by = $2 WHERE id = $1 AND deleted_at IS NULL RETURNING id',
    [id, by],
  );
  if (rows.length === 0) return false;
  await q.query('DELETE FROM console_session WHERE user_id = $1', [id]);
  return true;
}

export async function restoreUser(q: Queryable, id: bigint): Promise<boolean> {
  const rows = await q.query(
    'UPDATE console_user SET deleted_at = NULL, deleted_by = NULL WHERE id = $1 AND deleted_at IS NOT NULL RETURNING id',
    [id],
  );
  return rows.length > 0;
}

/** A login by id whatever its state (findUserById's shape, deleted ones included). */
export async function findAnyUser(q: Queryable, id: bigint) {
  return (await q.query<ConsoleUserWithRole>(`${USER_WITH_ROLE} WHERE u.id = $1`, [id]))[0] ?? null;
}

export function deletedUsers(q: Queryable, deletedBefore?: Date) {
  return q.query<DeletedUser>(
    `SELECT u.id, u.username AS key, u.display_name AS name, u.area,
       CASE WHEN m.mch_no IS NULL THEN '' ELSE m.mch_no END AS owner, u.deleted_at, u.deleted_by
     FROM console_user u LEFT JOIN merchant m ON m.id = u.merchant_id
     WHERE u.deleted_at IS NOT NULL AND ($1::timestamptz IS NULL OR u.deleted_at < $1) ORDER BY u.deleted_at DESC`,
    [deletedBefore ?? null],
  );
}

/** Removes a deleted login for good with its sessions and password history; other references make the foreign keys refuse. */
export async function purgeUser(q: Queryable, id: bigint): Promise<boolean> {
  await q.query('DELETE FROM console_session WHERE user_id = $1', [id]);
  await q.query('DELETE FROM console_password_history WHERE user_id = $1', [id]);
  const rows = await q.query(
    'DELETE FROM console_user WHERE id = $1 AND deleted_at IS NOT NULL RETURNING id',
    [id],
  );
  return rows.length > 0;
}

/** Names of logins by id, for the recycle bin's "deleted by". */
export function userNames(q: Queryable, ids: bigint[]) {
  return q.query<{ id: bigint; username: string }>(
    'SELECT id, username FROM console_user WHERE id = ANY($1::bigint[])',
    [ids.map(String)],
  );
}
