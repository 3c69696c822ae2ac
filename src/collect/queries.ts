import type { Queryable } from '../db/index.ts';

/** A static merchant QR (收款码): a fixed code that opens the payer page `/pay/{code}`. */
export interface CollectCodeRow {
  id: bigint;
  code: string;
  merchant_id: bigint;
  app_id: string;
  name: string;
  cashier_user_id: bigint | null;
  product_codes: string[];
  enabled: boolean;
  created_by_user_id: bigint | null;
  created_at: Date;
  updated_at: Date;
  /** In the recycle bin since then: the payer page says the code was deleted. */
  deleted_at: Date | null;
  deleted_by: bigint | null;
}

export interface NewCollectCode {
  code: string;
  merchantId: bigint;
  appId: string;
  name: string;
  cashierUserId: bigint | null;
  productCodes: string[];
  createdByUserId: bigint | null;
}

export async function insertCollectCode(q: Queryable, c: NewCollectCode): Promise<CollectCodeRow> {
  const rows = await q.query<CollectCodeRow>(
    `INSERT INTO collect_code (code, merchant_id, app_id, name, cashier_user_id, product_codes, created_by_user_id)
     VALUES ($1, $2, $3, $4, $5, $6::text[], $7) RETURNING *`,
    [c.code, c.merchantId, c.appId, c.name, c.cashierUserId, c.productCodes, c.createdByUserId],
  );
  return rows[0]!;
}

/** A code by its public value (the payer page); any merchant's. */
export async function findByCode(q: Queryable, code: string): Promise<CollectCodeRow | null> {
  const rows = await q.query<CollectCodeRow>('SELECT * FROM collect_code WHERE code = $1', [code]);
  return rows[0] ?? null;
}

/**
 * A code by id, only if it is the merchant's and, for a cashier (`cashierUserId`), assigned to it.
 * Another tenant's code is simply not found.
 */
export async function findScoped(
  q: Queryable,
  id: bigint,
  scope: { merchantId: bigint; cashierUserId: bigint | null },
): Promise<CollectCodeRow | null> {
  const rows = await q.query<CollectCodeRow>(
    `SELECT * FROM collect_code
     WHERE id = $1 AND merchant_id = $2 AND ($3::bigint IS NULL OR cashier_user_id = $3) AND deleted_at IS NULL`,
    [id, scope.merchantId, scope.cashierUserId],
  );
  return rows[0] ?? null;
}

export interface CollectCodeFilter {
  merchantId: bigint;
  /** Only the codes assigned to this cashier. */
  cashierUserId: bigint | null;
  enabled?: boolean;
  /** Part of the name, or the whole code. */
  search?: string;
  limit: number;
  offset: number;
}

/** Names of codes by id, for the consoles' order lists. */
export function namesByIds(q: Queryable, ids: bigint[]) {
  return q.query<{ id: bigint; name: string }>(
    'SELECT id, name FROM collect_code WHERE id = ANY($1::bigint[])',
    [ids.map(String)],
  );
}

/** One page of a merchant's codes, newest first, with the number of matches; scoping is in the WHERE clause. */
export function listCollectCodes(q: Queryable, f: CollectCodeFilter) {
  return q.query<CollectCodeRow & { total: bigint }>(
    `SELECT c.*, count(*) OVER ()::bigint AS total
     FROM collect_code c
     WHERE c.merchant_id = $1 AND c.deleted_at IS NULL
       AND ($2::bigint IS NULL OR c.cashier_user_id = $2)
       AND ($3::boolean IS NULL OR c.enabled = $3)
       AND ($4::text IS NULL OR c.code = $4 OR strpos(lower(c.name), lower($4)) > 0)
     ORDER BY c.id DESC LIMIT $5 OFFSET $6`,
    [f.merchantId, f.cashierUserId, f.enabled ?? null, f.search ?? null, f.limit, f.offset],
  );
}

export async function countOfMerchant(q: Queryable, merchantId: bigint): Promise<number> {
  const rows = await q.query<{ n: bigint }>(
    'SELECT count(*)::bigint AS n FROM collect_code WHERE merchant_id = $1 AND deleted_at IS NULL',
    [merchantId],
  );
  return Number(rows[0]?.n ?? 0n);
}

/** What an edit may change; `undefined` keeps the column, `cashierUserId: null` unassigns the cashier. */
export interface CollectCodePatch {
  name?: string;
  appId?: string;
  cashierUserId?: bigint | null;
  productCodes?: string[];
  enabled?: boolean;
}

/** Applies an edit to the merchant's code; null when it is not the merchant's. */
export async function updateCollectCode(
  q: Queryable,
  id: bigint,
  merchantId: bigint,
  p: CollectCodePatch,
): Promise<CollectCodeRow | null> {
  const rows = await q.query<CollectCodeRow>(
    `UPDATE collect_code SET
       name = COALESCE($3, name),
       app_id = COALESCE($4, app_id),
       cashier_user_id = CASE WHEN $5::boolean THEN $6::bigint ELSE cashier_user_id END,
       product_codes = COALESCE($7::text[], product_codes),
       enabled = COALESCE($8, enabled),
       updated_at = now()
     WHERE id = $1 AND merchant_id = $2
     RETURNING *`,
    [
      id,
      merchantId,
      p.name ?? null,
      p.appId ?? null,
      p.cashierUserId !== undefined,
      p.cashierUserId ?? null,
      p.productCodes ?? null,
      p.enabled ?? null,
    ],
  );
  return rows[0] ?? null;
}

// ---------- the recycle bin (recycle/) ----------

export interface DeletedCollectCode {
  id: bigint;
  key: string;
  name: string;
  /** The merchant's number. */
  owner: string;
  deleted_at: Date;
  deleted_by: bigint | null;
}

export async function findById(q: Queryable, id: bigint): Promise<CollectCodeRow | null> {
  return (await q.query<CollectCodeRow>('SELECT * FROM collect_code WHERE id = $1', [id]))[0] ?? null;
}

export async function softDeleteCollectCode(q: Queryable, id: bigint, by: bigint | null) {
  const rows = await q.query(
    'UPDATE collect_code SET deleted_at = now(), deleted_by = $2 WHERE id = $1 AND deleted_at IS NULL RETURNING id',
    [id, by],
  );
  return rows.length > 0;
}

export async function restoreCollectCode(q: Queryable, id: bigint) {
  const rows = await q.query(
    'UPDATE collect_code SET deleted_at = NULL, deleted_by = NULL WHERE id = $1 AND deleted_at IS NOT NULL RETURNING id',
    [id],
  );
  return rows.length > 0;
}

export function deletedCollectCodes(q: Queryable, deletedBefore?: Date) {
  return q.query<DeletedCollectCode>(
    `SELECT c.id, c.id::text AS key, c.name, m.mch_no AS owner, c.deleted_at, c.deleted_by
     FROM collect_code c JOIN merchant m ON m.id = c.merchant_id
     WHERE c.deleted_at IS NOT NULL AND ($1::timestamptz IS NULL OR c.deleted_at < $1) ORDER BY c.deleted_at DESC`,
    [deletedBefore ?? null],
  );
}

export async function purgeCollectCode(q: Queryable, id: bigint): Promise<boolean> {
  const rows = await q.query(
    'DELETE FROM collect_code WHERE id = $1 AND deleted_at IS NOT NULL RETURNING id',
    [id],
  );
  return rows.length > 0;
}
