import type { Queryable } from '../db/index.ts';

export const APPLICATION_STATES = [
  'draft',
  'submitted',
  'changes_requested',
  'resubmitted',
  'approved',
  'rejected',
] as const;
export type ApplicationState = (typeof APPLICATION_STATES)[number];
export const MERCHANT_TYPES = ['company', 'individual'] as const;
export type MerchantType = (typeof MERCHANT_TYPES)[number];
export const DOCUMENT_KINDS = ['licence', 'id_front', 'id_back'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];
export const BLACKLIST_KINDS = ['id_number', 'licence_no', 'card_no', 'phone'] as const;
export type BlacklistKind = (typeof BLACKLIST_KINDS)[number];

export interface RateJson {
  productCode: string;
  ratePpm: number;
  fixedFee: number;
  minimumFee: number;
}

export interface ApplicationRow extends ApplicationFields {
  id: bigint;
  application_no: string;
  agent_id: bigint | null;
  submitted_by_user_id: bigint | null;
  state: ApplicationState;
  review_note: string;
  reviewed_by_user_id: bigint | null;
  reviewed_at: Date | null;
  submitted_at: Date | null;
  merchant_id: bigint | null;
  created_at: Date;
  updated_at: Date;
}

/** An application row with its agent's number and path (for the scope check) and its merchant's number. */
export interface ApplicationWithAgent extends ApplicationRow {
  agent_no: string | null;
  agent_path: bigint[] | null;
  mch_no: string | null;
}

/** The columns an application's fields are stored in, sealed ones as given. */
export interface ApplicationFields {
  merchant_type: MerchantType;
  merchant_name: string;
  short_name: string;
  legal_name: string;
  id_number_enc: string;
  id_number_hash: string;
  id_number_masked: string;
  licence_no_enc: string | null;
  licence_no_hash: string | null;
  licence_no_masked: string | null;
  contact_name: string;
  phone_enc: string;
  phone_hash: string;
  phone_masked: string;
  email: string;
  business_category: string;
  card_holder: string;
  bank_name: string;
  bank_branch: string;
  card_no_enc: string;
  card_no_hash: string;
  card_no_masked: string;
  card_first4: string;
  card_last4: string;
  rates: RateJson[];
}

const FIELD_COLUMNS: (keyof ApplicationFields)[] = [
  'merchant_type',
  'merchant_name',
  'short_name',
  'legal_name',
  'id_number_enc',
  'id_number_hash',
  'id_number_masked',
  'licence_no_enc',
  'licence_no_hash',
  'licence_no_masked',
  'contact_name',
  'phone_enc',
  'phone_hash',
  'phone_masked',
  'email',
  'business_category',
  'card_holder',
  'bank_name',
  'bank_branch',
  'card_no_enc',
  'card_no_hash',
  'card_no_masked',
  'card_first4',
  'card_last4',
  'rates',
];

function fieldValues(f: ApplicationFields) {
  return FIELD_COLUMNS.map((c) => (c === 'rates' ? JSON.stringify(f.rates) : f[c]));
}

const WITH_AGENT = `SELECT o.*, a.agent_no, a.path AS agent_path, m.mch_no
  FROM onboarding_application o
  LEFT JOIN agent a ON a.id = o.agent_id
  LEFT JOIN merchant m ON m.id = o.merchant_id`;

/** node-postgres reads BIGINT[] as strings; PGlite as numbers or bigints: one type for both. */
function withPath<T extends ApplicationWithAgent>(row: T): T {
  return { ...row, agent_path: row.agent_path === null ? null : row.agent_path.map((id) => BigInt(id)) };
}

export async function nextApplicationId(q: Queryable): Promise<bigint> {
  const rows = await q.query<{ id: bigint }>(
    `SELECT nextval(pg_get_serial_sequence('onboarding_application', 'id')) AS id`,
  );
  return rows[0]!.id;
}

export async function insertApplication(
  q: Queryable,
  a: { id: bigint; applicationNo: string; agentId: bigint | null; userId: bigint; fields: ApplicationFields },
): Promise<void> {
  const cols = FIELD_COLUMNS.map((c) => c);
  const placeholders = cols.map((c, i) => (c === 'rates' ? `$${i + 5}::jsonb` : `$${i + 5}`));
  await q.query(
    `INSERT INTO onboarding_application (id, application_no, agent_id, submitted_by_user_id, state, ${cols.join(', ')})
     VALUES ($1, $2, $3, $4, 'draft', ${placeholders.join(', ')})`,
    [a.id, a.applicationNo, a.agentId, a.userId, ...fieldValues(a.fields)],
  );
}

/** Replaces the fields of an application the submitter may still edit (compare-and-set on the state). */
export async function updateFields(
  q: Queryable,
  id: bigint,
  editable: readonly ApplicationState[],
  fields: ApplicationFields,
): Promise<boolean> {
  const sets = FIELD_COLUMNS.map((c, i) => `${c} = $${i + 3}${c === 'rates' ? '::jsonb' : ''}`);
  const rows = await q.query(
    `UPDATE onboarding_application SET ${sets.join(', ')}, updated_at = now()
     WHERE id = $1 AND state = ANY($2::text[]) RETURNING id`,
    [id, [...editable], ...fieldValues(fields)],
  );
  return rows.length > 0;
}

export async function findApplication(
  q: Queryable,
  applicationNo: string,
  forUpdate = false,
): Promise<ApplicationWithAgent | null> {
  const rows = await q.query<ApplicationWithAgent>(
    `${WITH_AGENT} WHERE o.application_no = $1${forUpdate ? ' FOR UPDATE OF o' : ''}`,
    [applicationNo],
  );
  return rows[0] ? withPath(rows[0]) : null;
}

/** Applications of every agent (`rootId` null) or of one agent's subtree, newest first. */
export async function listApplications(
  q: Queryable,
  f: { rootId: bigint | null; states?: string[]; search?: string; limit: number; offset: number },
) {
  const rows = await q.query<ApplicationWithAgent & { total: bigint }>(
    `SELECT x.*, count(*) OVER () AS total FROM (${WITH_AGENT}) x
     WHERE ($1::bigint IS NULL OR x.agent_path @> ARRAY[$1::bigint])
       AND ($2::text[] IS NULL OR x.state = ANY($2::text[]))
       AND ($3::text IS NULL OR x.merchant_name ILIKE '%' || $3 || '%' OR x.application_no = $3)
     ORDER BY x.id DESC LIMIT $4 OFFSET $5`,
    [f.rootId, f.states ?? null, f.search ?? null, f.limit, f.offset],
  );
  return rows.map(withPath);
}

/** Moves an application from one of `from` to `to` (compare-and-set); null when it was not in `from`. */
export async function transition(
  q: Queryable,
  id: bigint,
  from: readonly ApplicationState[],
  to: ApplicationState,
  set: { reviewNote?: string; reviewerId?: bigint; submitted?: boolean } = {},
): Promise<ApplicationRow | null> {
  const rows = await q.query<ApplicationRow>(
    `UPDATE onboarding_application SET state = $3, updated_at = now(),
       review_note = COALESCE($4, review_note),
       reviewed_by_user_id = COALESCE($5, reviewed_by_user_id),
       reviewed_at = CASE WHEN $5::bigint IS NULL THEN reviewed_at ELSE now() END,
       submitted_at = CASE WHEN $6 THEN now() ELSE submitted_at END
     WHERE id = $1 AND state = ANY($2::text[]) RETURNING *`,
    [id, [...from], to, set.reviewNote ?? null, set.reviewerId ?? null, set.submitted ?? false],
  );
  return rows[0] ?? null;
}

/** Links the merchant approval opened; false when another approval linked one first. */
export async function linkMerchant(q: Queryable, id: bigint, merchantId: bigint): Promise<boolean> {
  const rows = await q.query(
    'UPDATE onboarding_application SET merchant_id = $2 WHERE id = $1 AND merchant_id IS NULL RETURNING id',
    [id, merchantId],
  );
  return rows.length > 0;
}

export interface EventRow {
  id: bigint;
  application_id: bigint;
  action: string;
  from_state: string | null;
  to_state: string;
  note: string;
  details: Record<string, unknown> | null;
  user_id: bigint | null;
  username: string | null;
  created_at: Date;
}

export async function insertEvent(
  q: Queryable,
  e: {
    applicationId: bigint;
    action: string;
    from: string | null;
    to: string;
    note?: string;
    details?: Record<string, unknown>;
    userId: bigint | null;
  },
): Promise<void> {
  await q.query(
    `INSERT INTO onboarding_event (application_id, action, from_state, to_state, note, details, user_id)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)`,
    [
      e.applicationId,
      e.action,
      e.from,
      e.to,
      e.note ?? '',
      e.details ? JSON.stringify(e.details) : null,
      e.userId,
    ],
  );
}

export async function listEvents(q: Queryable, applicationId: bigint): Promise<EventRow[]> {
  return q.query<EventRow>(
    `SELECT e.*, u.username FROM onboarding_event e LEFT JOIN console_user u ON u.id = e.user_id
     WHERE e.application_id = $1 ORDER BY e.id`,
    [applicationId],
  );
}

// ---------- documents ----------

export interface DocumentRow {
  id: bigint;
  application_id: bigint;
  kind: DocumentKind;
  content_type: string;
  size_bytes: number;
  sha256: string;
  created_at: Date;
}

export async function listDocuments(q: Queryable, applicationId: bigint): Promise<DocumentRow[]> {
  return q.query<DocumentRow>('SELECT * FROM onboarding_document WHERE application_id = $1 ORDER BY id', [
    applicationId,
  ]);
}

export async function findDocument(
  q: Queryable,
  applicationId: bigint,
  kind: DocumentKind,
): Promise<DocumentRow | null> {
  const rows = await q.query<DocumentRow>(
    'SELECT * FROM onboarding_document WHERE application_id = $1 AND kind = $2',
    [applicationId, kind],
  );
  return rows[0] ?? null;
}

export async function nextDocumentId(q: Queryable): Promise<bigint> {
  const rows = await q.query<{ id: bigint }>(
    `SELECT nextval(pg_get_serial_sequence('onboarding_document', 'id')) AS id`,
  );
  return rows[0]!.id;
}

/** Records a document (a new kind) or replaces the record of the same kind, keeping its id. */
export async function saveDocument(
  q: Queryable,
  d: {
    id: bigint;
    applicationId: bigint;
    kind: DocumentKind;
    contentType: string;
    size: number;
    sha256: string;
  },
): Promise<DocumentRow> {
  const rows = await q.query<DocumentRow>(
    `INSERT INTO onboarding_document (id, application_id, kind, content_type, size_bytes, sha256)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (application_id, kind) DO UPDATE SET content_type = EXCLUDED.content_type,
       size_bytes = EXCLUDED.size_bytes, sha256 = EXCLUDED.sha256, created_at = now()
     RETURNING *`,
    [d.id, d.applicationId, d.kind, d.contentType, d.size, d.sha256],
  );
  return rows[0]!;
}

// ---------- blacklist ----------

export interface BlacklistRow {
  id: bigint;
  kind: BlacklistKind;
  value_hash: string;
  masked: string;
  note: string;
  created_by_user_id: bigint | null;
  created_at: Date;
  updated_at: Date;
}

export async function insertBlacklistEntry(
  q: Queryable,
  e: { kind: BlacklistKind; valueHash: string; masked: string; note: string; userId: bigint },
): Promise<BlacklistRow | null> {
  const rows = await q.query<BlacklistRow>(
    `INSERT INTO blacklist_entry (kind, value_hash, masked, note, created_by_user_id)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, value_hash) DO NOTHING RETURNING *`,
    [e.kind, e.valueHash, e.masked, e.note, e.userId],
  );
  return rows[0] ?? null;
}

export async function findBlacklistEntry(q: Queryable, id: bigint): Promise<BlacklistRow | null> {
  const rows = await q.query<BlacklistRow>('SELECT * FROM blacklist_entry WHERE id = $1', [id]);
  return rows[0] ?? null;
}

export async function updateBlacklistNote(
  q: Queryable,
  id: bigint,
  note: string,
): Promise<BlacklistRow | null> {
  const rows = await q.query<BlacklistRow>(
    'UPDATE blacklist_entry SET note = $2, updated_at = now() WHERE id = $1 RETURNING *',
    [id, note],
  );
  return rows[0] ?? null;
}

export async function deleteBlacklistEntry(q: Queryable, id: bigint): Promise<BlacklistRow | null> {
  const rows = await q.query<BlacklistRow>('DELETE FROM blacklist_entry WHERE id = $1 RETURNING *', [id]);
  return rows[0] ?? null;
}

export async function listBlacklist(
  q: Queryable,
  f: { kind?: BlacklistKind; limit: number; offset: number },
) {
  return q.query<BlacklistRow & { total: bigint }>(
    `SELECT *, count(*) OVER () AS total FROM blacklist_entry
     WHERE ($1::text IS NULL OR kind = $1) ORDER BY id DESC LIMIT $2 OFFSET $3`,
    [f.kind ?? null, f.limit, f.offset],
  );
}

/** The entries matching any of these (kind, hash) pairs. */
export async function matchBlacklist(
  q: Queryable,
  pairs: { kind: BlacklistKind; hash: string }[],
): Promise<BlacklistRow[]> {
  if (pairs.length === 0) return [];
  return q.query<BlacklistRow>(
    `SELECT b.* FROM blacklist_entry b
     JOIN unnest($1::text[], $2::text[]) AS p(kind, hash) ON b.kind = p.kind AND b.value_hash = p.hash
     ORDER BY b.id`,
    [pairs.map((p) => p.kind), pairs.map((p) => p.hash)],
  );
}

/** Which of these applications have a number on the blacklist (for the queue's marker). */
export async function applicationsWithHits(q: Queryable, ids: bigint[]): Promise<Set<bigint>> {
  if (ids.length === 0) return new Set();
  const rows = await q.query<{ id: bigint }>(
    `SELECT o.id FROM onboarding_application o WHERE o.id = ANY($1::bigint[]) AND EXISTS (
       SELECT 1 FROM blacklist_entry b WHERE (b.kind = 'id_number' AND b.value_hash = o.id_number_hash)
         OR (b.kind = 'licence_no' AND b.value_hash = o.licence_no_hash)
         OR (b.kind = 'card_no' AND b.value_hash = o.card_no_hash)
         OR (b.kind = 'phone' AND b.value_hash = o.phone_hash))`,
    [ids.map(String)],
  );
  return new Set(rows.map((r) => r.id));
}
