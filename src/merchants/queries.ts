import type { Queryable } from '../db/index.ts';

export const MERCHANT_STATES = ['pending', 'enabled', 'disabled', 'rejected'] as const;
export type MerchantState = (typeof MERCHANT_STATES)[number];

export interface MerchantRow {
  id: bigint;
  mch_no: string;
  name: string;
  short_name: string;
  contact: string;
  /** `pending` waits for review; `rejected` was refused at review. Only `enabled` may take orders. */
  state: MerchantState;
  review_remark: string;
  /** The merchant's direct agent (agents domain); null: the platform's own merchant. */
  agent_id: bigint | null;
  created_at: Date;
  updated_at: Date;
  /** In the recycle bin since then (by `deleted_by`); null while in use. */
  deleted_at: Date | null;
  deleted_by: bigint | null;
}

export const ACCEPTED_SIGN_TYPES = ['both', 'HMAC-SHA256', 'RSA-SHA256'] as const;
export type AcceptedSignType = (typeof ACCEPTED_SIGN_TYPES)[number];

export interface AppRow {
  id: bigint;
  app_id: string;
  merchant_id: bigint;
  name: string;
  state: 'enabled' | 'disabled';
  secret_enc: string;
  merchant_public_key: string | null;
  platform_public_key: string;
  platform_private_key_enc: string;
  notify_sign_type: 'HMAC-SHA256' | 'RSA-SHA256';
  /** The request sign types the app accepts: `both`, or only one. */
  accepted_sign_type: AcceptedSignType;
  notify_url: string;
  ip_allowlist: string[];
  /** The secret the last rotation replaced, sealed like `secret_enc`; it still signs requests until its expiry. */
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | null;
  /** The API the app speaks (migration 039): ours, or Jeepay's or epay's MD5-signed one. */
  protocol: AppProtocol;
  /** The MD5 key of a jeepay or epay app, sealed like `secret_enc`; null for a qingyun app. */
  md5_key_enc: string | null;
  /** The protocol's pay ways (Jeepay wayCodes, epay types) → our product codes. */
  protocol_products: Record<string, string>;
  /** The numeric merchant id (pid) an epay plugin sends; given when the app first speaks epay. */
  epay_pid: bigint | null;
  created_at: Date;
  updated_at: Date;
  /** In the recycle bin since then (by `deleted_by`); null while in use. */
  deleted_at: Date | null;
  deleted_by: bigint | null;
}

export const APP_PROTOCOLS = ['qingyun', 'jeepay', 'epay'] as const;
export type AppProtocol = (typeof APP_PROTOCOLS)[number];

export async function insertMerchant(
  q: Queryable,
  m: { mchNo: string; name: string; shortName: string; contact: string; state: 'pending' | 'enabled' },
) {
  const rows = await q.query<MerchantRow>(
    'INSERT INTO merchant (mch_no, name, short_name, contact, state) VALUES ($1, $2, $3, $4, $5) RETURNING *',
    [m.mchNo, m.name, m.shortName, m.contact, m.state],
  );
  return rows[0]!;
}

/**
 * Undoes the opening of a merchant that never got further (its manager login could not be made).
 * Anything that refers to the merchant (apps, rates, users, orders) makes the foreign keys refuse
 * it: then the merchant stays and this answers false.
 */
export async function deleteUnusedMerchant(q: Queryable, id: bigint): Promise<boolean> {
  try {
    return (await q.query('DELETE FROM merchant WHERE id = $1 RETURNING id', [id])).length > 0;
  } catch (error) {
    if ((error as { code?: string } | null)?.code === '23503') return false;
    throw error;
  }
}

/** Review of a pending merchant: compare-and-set from `pending`; null when it is no longer pending. */
export async function reviewMerchant(
  q: Queryable,
  id: bigint,
  state: 'enabled' | 'rejected',
  remark: string,
): Promise<MerchantRow | null> {
  const rows = await q.query<MerchantRow>(
    `UPDATE merchant SET state = $2, review_remark = $3, updated_at = now()
     WHERE id = $1 AND state = 'pending' RETURNING *`,
    [id, state, remark],
  );
  return rows[0] ?? null;
}

export async function findMerchantByNo(q: Queryable, mchNo: string) {
  return (await q.query<MerchantRow>('SELECT * FROM merchant WHERE mch_no = $1', [mchNo]))[0] ?? null;
}

export async function findMerchantById(q: Queryable, id: bigint) {
  return (await q.query<MerchantRow>('SELECT * FROM merchant WHERE id = $1', [id]))[0] ?? null;
}

export function findMerchantsByIds(q: Queryable, ids: bigint[]) {
  return q.query<MerchantRow>('SELECT * FROM merchant WHERE id = ANY($1::bigint[])', [ids.map(String)]);
}

export function listMerchants(
  q: Queryable,
  filter: { search?: string; state?: string; limit: number; offset: number },
) {
  return q.query<MerchantRow & { total: bigint }>(
    `SELECT *, count(*) OVER ()::bigint AS total FROM merchant
     WHERE deleted_at IS NULL AND ($1::text IS NULL OR mch_no ILIKE '%' || $1 || '%' OR name ILIKE '%' || $1 || '%')
       AND ($2::text IS NULL OR state = $2)
     ORDER BY id DESC LIMIT $3 OFFSET $4`,
    [filter.search ?? null, filter.state ?? null, filter.limit, filter.offset],
  );
}

export async function updateMerchant(
  q: Queryable,
  id: bigint,
  patch: { name?: string; shortName?: string; contact?: string; state?: string },
) {
  const rows = await q.query<MerchantRow>(
    `UPDATE merchant SET name = COALESCE($2, name), short_name = COALESCE($3, short_name),
       contact = COALESCE($4, contact), state = COALESCE($5, state), updated_at = now()
     WHERE id = $1 RETURNING *`,
    [id, patch.name, patch.shortName, patch.contact, patch.state],
  );
  return rows[0] ?? null;
}

/** The id the next app will have: its secrets are sealed to their row before the row is written. */
export async function nextAppId(q: Queryable): Promise<bigint> {
  const rows = await q.query<{ id: bigint }>(
    `SELECT nextval(pg_get_serial_sequence('merchant_app', 'id')) AS id`,
  );
  return rows[0]!.id;
}

export async function insertApp(
  q: Queryable,
  a: Omit<
    AppRow,
    | 'state'
    | 'created_at'
    | 'updated_at'
    | 'previous_secret_enc'
    | 'previous_secret_expires_at'
    | 'protocol'
    | 'md5_key_enc'
    | 'protocol_products'
    | 'epay_pid'
    | 'deleted_at'
    | 'deleted_by'
  >,
): Promise<AppRow> {
  const rows = await q.query<AppRow>(
    `INSERT INTO merchant_app (app_id, merchant_id, name, secret_enc, merchant_public_key, platform_public_key,
       platform_private_key_enc, notify_sign_type, notify_url, ip_allowlist, accepted_sign_type, id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
    [
      a.app_id,
      a.merchant_id,
      a.name,
      a.secret_enc,
      a.merchant_public_key,
      a.platform_public_key,
      a.platform_private_key_enc,
      a.notify_sign_type,
      a.notify_url,
      a.ip_allowlist,
      a.accepted_sign_type,
      a.id,
    ],
  );
  return rows[0]!;
}

/** Apps with a secret sealed before secrets were bound to their rows (format v1). */
export function appsWithUnboundSecrets(q: Queryable) {
  return q.query<Pick<AppRow, 'id' | 'secret_enc' | 'platform_private_key_enc'>>(
    `SELECT id, secret_enc, platform_private_key_enc FROM merchant_app
     WHERE secret_enc LIKE 'v1.%' OR platform_private_key_enc LIKE 'v1.%' ORDER BY id`,
  );
}

/**
 * Replaces an app's sealed secrets if they are still the ones read (compare-and-set): a node
 * starting at the same time that resealed them first wins, and this changes nothing.
 */
export async function resealAppSecrets(
  q: Queryable,
  id: bigint,
  was: { secretEnc: string; privateKeyEnc: string },
  now: { secretEnc: string; privateKeyEnc: string },
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE merchant_app SET secret_enc = $4, platform_private_key_enc = $5
     WHERE id = $1 AND secret_enc = $2 AND platform_private_key_enc = $3 RETURNING id`,
    [id, was.secretEnc, was.privateKeyEnc, now.secretEnc, now.privateKeyEnc],
  );
  return rows.length > 0;
}

/**
 * Puts a new secret in place of the one read (compare-and-set: a rotation that ran meanwhile wins,
 * and this answers null), keeping the replaced one sealed as the previous secret until
 * `graceSeconds` from now; with no grace (0) the previous secret is dropped at once. A previous
 * secret still in its grace from an earlier rotation is replaced: only one previous secret is kept.
 */
export async function rotateAppSecret(
  q: Queryable,
  id: bigint,
  was: string,
  now: { secretEnc: string; previousSecretEnc: string | null; graceSeconds: number },
): Promise<AppRow | null> {
  const rows = await q.query<AppRow>(
    `UPDATE merchant_app SET secret_enc = $3,
       previous_secret_enc = $4,
       previous_secret_expires_at = CASE WHEN $4::text IS NULL THEN NULL
         ELSE now() + make_interval(secs => $5) END,
       updated_at = now()
     WHERE id = $1 AND secret_enc = $2 RETURNING *`,
    [id, was, now.secretEnc, now.graceSeconds > 0 ? now.previousSecretEnc : null, now.graceSeconds],
  );
  return rows[0] ?? null;
}

/** The app an epay plugin names by its pid. */
export async function findAppIdByEpayPid(q: Queryable, pid: bigint): Promise<string | null> {
  const rows = await q.query<{ app_id: string }>('SELECT app_id FROM merchant_app WHERE epay_pid = $1', [
    pid,
  ]);
  return rows[0]?.app_id ?? null;
}

/**
 * Sets the protocol an app speaks, its MD5 key (sealed; null for qingyun) and its pay-way mapping.
 * An app speaking epay keeps the pid it was first given (10000 + its id, so pids never collide).
 */
export async function setAppProtocol(
  q: Queryable,
  id: bigint,
  set: { protocol: AppProtocol; md5KeyEnc: string | null; products: Record<string, string> },
): Promise<AppRow | null> {
  const rows = await q.query<AppRow>(
    `UPDATE merchant_app SET protocol = $2, md5_key_enc = $3, protocol_products = $4::jsonb,
       epay_pid = CASE WHEN $2 = 'epay' THEN COALESCE(epay_pid, 10000 + id) ELSE epay_pid END,
       updated_at = now()
     WHERE id = $1 RETURNING *`,
    [id, set.protocol, set.md5KeyEnc, JSON.stringify(set.products)],
  );
  return rows[0] ?? null;
}

export async function findAppByAppId(q: Queryable, appId: string) {
  return (await q.query<AppRow>('SELECT * FROM merchant_app WHERE app_id = $1', [appId]))[0] ?? null;
}

export function listAppsOfMerchant(q: Queryable, merchantId: bigint) {
  return q.query<AppRow>(
    'SELECT * FROM merchant_app WHERE merchant_id = $1 AND deleted_at IS NULL ORDER BY id',
    [merchantId],
  );
}

export async function updateApp(
  q: Queryable,
  id: bigint,
  patch: {
    name?: string;
    state?: string;
    secretEnc?: string;
    merchantPublicKey?: string | null;
    clearMerchantPublicKey?: boolean;
    notifySignType?: string;
    notifyUrl?: string;
    ipAllowlist?: string[];
    acceptedSignType?: AcceptedSignType;
  },
) {
  const rows = await q.query<AppRow>(
    `UPDATE merchant_app SET name = COALESCE($2, name), state = COALESCE($3, state), secret_enc = COALESCE($4, secret_enc),
       merchant_public_key = CASE WHEN $9 THEN NULL ELSE COALESCE($5, merchant_public_key) END,
       notify_sign_type = COALESCE($6, notify_sign_type), notify_url = COALESCE($7, notify_url),
       ip_allowlist = COALESCE($8, ip_allowlist), accepted_sign_type = COALESCE($10, accepted_sign_type),
       updated_at = now()
     WHERE id = $1 RETURNING *`,
    [
      id,
      patch.name,
      patch.state,
      patch.secretEnc,
      patch.merchantPublicKey ?? null,
      patch.notifySignType,
      patch.notifyUrl,
      patch.ipAllowlist,
      patch.clearMerchantPublicKey ?? false,
      patch.acceptedSignType,
    ],
  );
  return rows[0] ?? null;
}

/** Sets the merchant's direct agent (null: none); the agents domain has checked the move. */
export async function setMerchantAgent(q: Queryable, id: bigint, agentId: bigint | null) {
  const rows = await q.query<MerchantRow>(
    'UPDATE merchant SET agent_id = $2, updated_at = now() WHERE id = $1 RETURNING *',
    [id, agentId],
  );
  return rows[0] ?? null;
}

/** Merchants whose direct agent is one of `agentIds`, newest first. */
export function listMerchantsOfAgents(
  q: Queryable,
  agentIds: bigint[],
  page: { limit: number; offset: number },
) {
  return q.query<MerchantRow & { total: bigint }>(
    `SELECT *, count(*) OVER ()::bigint AS total FROM merchant WHERE agent_id = ANY($1::bigint[]) AND deleted_at IS NULL
     ORDER BY id DESC LIMIT $2 OFFSET $3`,
    [agentIds.map(String), page.limit, page.offset],
  );
}

/** The ids of the merchants whose direct agent is `agentId`. */
export async function merchantIdsOfAgent(q: Queryable, agentId: bigint): Promise<bigint[]> {
  const rows = await q.query<{ id: bigint }>('SELECT id FROM merchant WHERE agent_id = $1', [agentId]);
  return rows.map((r) => r.id);
}

/** The ids of the merchants whose direct agent is one of `agentIds`. */
export async function merchantIdsOfAgents(q: Queryable, agentIds: bigint[]): Promise<bigint[]> {
  const rows = await q.query<{ id: bigint }>('SELECT id FROM merchant WHERE agent_id = ANY($1::bigint[])', [
    agentIds.map(String),
  ]);
  return rows.map((r) => r.id);
}

// ---------- the recycle bin (recycle/) ----------

/** A row of this domain in the recycle bin: what the bin lists. */
export interface DeletedRow {
  id: bigint;
  /** The number people know it by (merchant number, app id). */
  key: string;
  name: string;
  /** The merchant it belongs to (an app's), for the bin's list. */
  owner: string;
  deleted_at: Date;
  deleted_by: bigint | null;
}

/** Moves a merchant to the recycle bin; null when there is none in use with that id. */
export async function softDeleteMerchant(q: Queryable, id: bigint, by: bigint | null) {
  const rows = await q.query<MerchantRow>(
    'UPDATE merchant SET deleted_at = now(), deleted_by = $2 WHERE id = $1 AND deleted_at IS NULL RETURNING *',
    [id, by],
  );
  return rows[0] ?? null;
}

export async function restoreMerchant(q: Queryable, id: bigint) {
  const rows = await q.query<MerchantRow>(
    'UPDATE merchant SET deleted_at = NULL, deleted_by = NULL WHERE id = $1 AND deleted_at IS NOT NULL RETURNING *',
    [id],
  );
  return rows[0] ?? null;
}

export function deletedMerchants(q: Queryable, deletedBefore?: Date) {
  return q.query<DeletedRow>(
    `SELECT id, mch_no AS key, name, '' AS owner, deleted_at, deleted_by FROM merchant
     WHERE deleted_at IS NOT NULL AND ($1::timestamptz IS NULL OR deleted_at < $1) ORDER BY deleted_at DESC`,
    [deletedBefore ?? null],
  );
}

/** Removes a deleted merchant and its deleted apps for good; the caller has checked that no money refers to them. */
export async function purgeMerchant(q: Queryable, id: bigint): Promise<boolean> {
  await q.query('DELETE FROM merchant_app WHERE merchant_id = $1', [id]);
  return (
    (await q.query('DELETE FROM merchant WHERE id = $1 AND deleted_at IS NOT NULL RETURNING id', [id]))
      .length > 0
  );
}

export async function findAppById(q: Queryable, id: bigint) {
  return (await q.query<AppRow>('SELECT * FROM merchant_app WHERE id = $1', [id]))[0] ?? null;
}

export async function softDeleteApp(q: Queryable, id: bigint, by: bigint | null) {
  const rows = await q.query<AppRow>(
    'UPDATE merchant_app SET deleted_at = now(), deleted_by = $2 WHERE id = $1 AND deleted_at IS NULL RETURNING *',
    [id, by],
  );
  return rows[0] ?? null;
}

export async function restoreApp(q: Queryable, id: bigint) {
  const rows = await q.query<AppRow>(
    'UPDATE merchant_app SET deleted_at = NULL, deleted_by = NULL WHERE id = $1 AND deleted_at IS NOT NULL RETURNING *',
    [id],
  );
  return rows[0] ?? null;
}

export function deletedApps(q: Queryable, deletedBefore?: Date) {
  return q.query<DeletedRow>(
    `SELECT a.id, a.app_id AS key, a.name, m.mch_no AS owner, a.deleted_at, a.deleted_by
     FROM merchant_app a JOIN merchant m ON m.id = a.merchant_id
     WHERE a.deleted_at IS NOT NULL AND ($1::timestamptz IS NULL OR a.deleted_at < $1) ORDER BY a.deleted_at DESC`,
    [deletedBefore ?? null],
  );
}

export async function purgeApp(q: Queryable, id: bigint): Promise<boolean> {
  return (
    (await q.query('DELETE FROM merchant_app WHERE id = $1 AND deleted_at IS NOT NULL RETURNING id', [id]))
      .length > 0
  );
}

/** The app ids of a merchant, deleted or not (whether orders were placed on any of them). */
export async function appIdsOfMerchant(q: Queryable, merchantId: bigint): Promise<string[]> {
  const rows = await q.query<{ app_id: string }>('SELECT app_id FROM merchant_app WHERE merchant_id = $1', [
    merchantId,
  ]);
  return rows.map((r) => r.app_id);
}
