import type { Queryable } from '../db/index.ts';

export interface OperatorRow {
  id: bigint;
  username: string;
  password_hash: string;
  display_name: string;
  enabled: boolean;
  created_at: Date;
}

export async function insertOperator(
  q: Queryable,
  o: { username: string; passwordHash: string; displayName: string },
) {
  const rows = await q.query<OperatorRow>(
    `INSERT INTO operator (username, password_hash, display_name) VALUES ($1, $2, $3)
     ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash RETURNING *`,
    [o.username, o.passwordHash, o.displayName],
  );
  return rows[0]!;
}

export async function findOperatorByUsername(q: Queryable, username: string) {
  return (await q.query<OperatorRow>('SELECT * FROM operator WHERE username = $1', [username]))[0] ?? null;
}

export async function countOperators(q: Queryable): Promise<number> {
  const rows = await q.query<{ n: bigint }>('SELECT count(*)::bigint AS n FROM operator');
  return Number(rows[0]!.n);
}

export async function insertSession(
  q: Queryable,
  s: { id: string; operatorId: bigint; expiresAt: Date; ip: string },
) {
  await q.query('INSERT INTO operator_session (id, operator_id, expires_at, ip) VALUES ($1, $2, $3, $4)', [
    s.id,
    s.operatorId,
    s.expiresAt,
    s.ip,
  ]);
}

export async function findLiveSession(q: Queryable, id: string) {
  const rows = await q.query<OperatorRow & { session_id: string }>(
    `SELECT o.*, s.id AS session_id FROM operator_session s JOIN operator o ON o.id = s.operator_id
     WHERE s.id = $1 AND s.expires_at > now() AND o.enabled`,
    [id],
  );
  return rows[0] ?? null;
}

export async function deleteSession(q: Queryable, id: string) {
  await q.query('DELETE FROM operator_session WHERE id = $1', [id]);
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

export async function purgeExpiredSessions(q: Queryable): Promise<void> {
  await q.query('DELETE FROM operator_session WHERE expires_at < now()');
}
