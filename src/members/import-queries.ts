import type { Queryable } from '../db/index.ts';

export const IMPORT_BATCH_STATES = [
  'draft',
  'pending_review',
  'rejected',
  'processing',
  'completed',
] as const;
export type ImportBatchState = (typeof IMPORT_BATCH_STATES)[number];
export const IMPORT_ROW_OUTCOMES = ['invalid', 'pending', 'created', 'failed'] as const;
export type ImportRowOutcome = (typeof IMPORT_ROW_OUTCOMES)[number];

export interface ImportBatchRow {
  id: bigint;
  batch_no: string;
  merchant_id: bigint;
  app_id: bigint;
  file_name: string;
  file_format: 'csv' | 'xlsx';
  state: ImportBatchState;
  total_rows: number;
  valid_rows: number;
  processed_rows: number;
  created_rows: number;
  failed_rows: number;
  uploaded_by: bigint | null;
  submitted_at: Date | null;
  reviewed_by: bigint | null;
  reviewed_at: Date | null;
  reject_reason: string | null;
  completed_at: Date | null;
  created_at: Date;
}

export interface ImportProblem {
  field: string;
  code: string;
}

export interface ImportRowRow {
  id: bigint;
  batch_id: bigint;
  line_no: number;
  biz_user_id: string;
  member_type: string;
  name: string;
  phone: string;
  id_no_enc: string | null;
  id_no_last4: string | null;
  legal_person_name: string;
  card_no_enc: string | null;
  card_last4: string | null;
  bank_name: string;
  bank_branch: string;
  card_phone: string;
  problems: ImportProblem[];
  outcome: ImportRowOutcome;
  error_code: string | null;
  error_message: string | null;
  member_id: bigint | null;
  member_no: string | null;
  processed_at: Date | null;
}

export type NewImportRow = Omit<
  ImportRowRow,
  'batch_id' | 'error_code' | 'error_message' | 'member_id' | 'member_no' | 'processed_at'
>;

/** Row ids taken before the insert: each sealed number is bound to its row's id. */
export async function nextRowIds(q: Queryable, count: number): Promise<bigint[]> {
  if (count === 0) return [];
  const rows = await q.query<{ id: bigint }>(
    `SELECT nextval(pg_get_serial_sequence('member_import_row', 'id')) AS id FROM generate_series(1, $1::int)`,
    [count],
  );
  return rows.map((r) => r.id);
}

/** Which of these bizUserIds the app already has. */
export async function existingBizUserIds(q: Queryable, appId: bigint, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await q.query<{ biz_user_id: string }>(
    'SELECT biz_user_id FROM member WHERE app_id = $1 AND biz_user_id = ANY($2::text[])',
    [appId, ids],
  );
  return new Set(rows.map((r) => r.biz_user_id));
}

export async function insertBatch(
  q: Queryable,
  b: {
    merchantId: bigint;
    appId: bigint;
    fileName: string;
    fileFormat: 'csv' | 'xlsx';
    totalRows: number;
    validRows: number;
    uploadedBy: bigint | null;
  },
): Promise<ImportBatchRow> {
  const rows = await q.query<ImportBatchRow>(
    `INSERT INTO member_import_batch (batch_no, merchant_id, app_id, file_name, file_format, total_rows, valid_rows, uploaded_by)
     VALUES ('MI' || lpad(nextval('member_import_batch_no_seq')::text, 10, '0'), $1, $2, $3, $4, $5, $6, $7)
     RETURNING *`,
    [b.merchantId, b.appId, b.fileName, b.fileFormat, b.totalRows, b.validRows, b.uploadedBy],
  );
  return rows[0]!;
}

/** All the rows of a batch in one statement (at most a few thousand: the upload's limit). */
export async function insertRows(q: Queryable, batchId: bigint, rows: NewImportRow[]): Promise<void> {
  if (rows.length === 0) return;
  // Arrays of text: an empty string stands for NULL (NULLIF below).
  const col = <K extends keyof NewImportRow>(k: K) => rows.map((r) => String(r[k] ?? ''));
  await q.query(
    `INSERT INTO member_import_row (id, batch_id, line_no, biz_user_id, member_type, name, phone, id_no_enc,
       id_no_last4, legal_person_name, card_no_enc, card_last4, bank_name, bank_branch, card_phone, problems, outcome)
     SELECT u.id, $1, u.line_no, u.biz, u.type, u.name, u.phone, NULLIF(u.id_enc, ''), NULLIF(u.id_last4, ''),
       u.legal, NULLIF(u.card_enc, ''), NULLIF(u.card_last4, ''), u.bank, u.branch, u.card_phone, u.problems::jsonb, u.outcome
     FROM unnest($2::bigint[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
       $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[])
       AS u(id, line_no, biz, type, name, phone, id_enc, id_last4, legal, card_enc, card_last4, bank, branch,
         card_phone, problems, outcome)`,
    [
      batchId,
      col('id'),
      col('line_no'),
      col('biz_user_id'),
      col('member_type'),
      col('name'),
      col('phone'),
      col('id_no_enc'),
      col('id_no_last4'),
      col('legal_person_name'),
      col('card_no_enc'),
      col('card_last4'),
      col('bank_name'),
      col('bank_branch'),
      col('card_phone'),
      rows.map((r) => JSON.stringify(r.problems)),
      col('outcome'),
    ],
  );
}

export async function batchByNo(q: Queryable, batchNo: string): Promise<ImportBatchRow | undefined> {
  return (
    await q.query<ImportBatchRow>('SELECT * FROM member_import_batch WHERE batch_no = $1', [batchNo])
  )[0];
}

export interface BatchFilter {
  merchantId?: bigint;
  state?: ImportBatchState;
  /** Leaves the merchants' drafts out (the operators' list). */
  submittedOnly?: boolean;
  beforeId?: bigint;
  limit: number;
}

/** Batches newest first; a merchant's only when merchantId is given (the operators see all). */
export async function listBatches(q: Queryable, f: BatchFilter): Promise<ImportBatchRow[]> {
  return q.query<ImportBatchRow>(
    `SELECT * FROM member_import_batch
     WHERE ($1::bigint IS NULL OR merchant_id = $1) AND ($2::text IS NULL OR state = $2)
       AND ($3::bigint IS NULL OR id < $3) AND (NOT $5::boolean OR state <> 'draft')
     ORDER BY id DESC LIMIT $4`,
    [f.merchantId ?? null, f.state ?? null, f.beforeId ?? null, f.limit, f.submittedOnly ?? false],
  );
}

/** The batch's rows in file order from a line on (a page), or all of them. */
export async function rowsOf(
  q: Queryable,
  batchId: bigint,
  opts: { afterLine?: number; limit?: number; outcome?: ImportRowOutcome } = {},
): Promise<ImportRowRow[]> {
  return q.query<ImportRowRow>(
    `SELECT * FROM member_import_row WHERE batch_id = $1 AND line_no > $2 AND ($4::text IS NULL OR outcome = $4)
     ORDER BY line_no LIMIT $3`,
    [batchId, opts.afterLine ?? 0, opts.limit ?? 1_000_000, opts.outcome ?? null],
  );
}

/** Moves a batch from one state to the next; undefined when it was no longer in `from`. */
export async function moveBatch(
  q: Queryable,
  id: bigint,
  from: ImportBatchState,
  to: ImportBatchState,
  set: { reviewedBy?: bigint | null; rejectReason?: string | null } = {},
): Promise<ImportBatchRow | undefined> {
  const rows = await q.query<ImportBatchRow>(
    `UPDATE member_import_batch SET state = $3,
       submitted_at = CASE WHEN $3 = 'pending_review' THEN now() ELSE submitted_at END,
       reviewed_at = CASE WHEN $3 IN ('rejected', 'processing') THEN now() ELSE reviewed_at END,
       reviewed_by = CASE WHEN $3 IN ('rejected', 'processing') THEN $4 ELSE reviewed_by END,
       reject_reason = CASE WHEN $3 = 'rejected' THEN $5 ELSE reject_reason END
     WHERE id = $1 AND state = $2 RETURNING *`,
    [id, from, to, set.reviewedBy ?? null, set.rejectReason ?? null],
  );
  return rows[0];
}

/** Batches the worker has rows to open in, oldest approval first. */
export async function processingBatches(q: Queryable, limit: number): Promise<ImportBatchRow[]> {
  return q.query<ImportBatchRow>(
    `SELECT * FROM member_import_batch WHERE state = 'processing' ORDER BY reviewed_at, id LIMIT $1`,
    [limit],
  );
}

/**
 * Records a row's outcome once (only a pending row moves) and counts it on its batch in the same
 * statement, so the progress never counts a row twice. False when the row was already done.
 */
export async function recordOutcome(
  q: Queryable,
  rowId: bigint,
  o: {
    outcome: 'created' | 'failed';
    memberId: bigint | null;
    memberNo: string | null;
    errorCode: string | null;
    errorMessage: string | null;
  },
): Promise<boolean> {
  const rows = await q.query(
    `WITH done AS (
       UPDATE member_import_row SET outcome = $2, member_id = $3, member_no = $4, error_code = $5,
         error_message = $6, processed_at = now()
       WHERE id = $1 AND outcome = 'pending' RETURNING batch_id, outcome)
     UPDATE member_import_batch b SET processed_rows = processed_rows + 1,
       created_rows = created_rows + (CASE WHEN done.outcome = 'created' THEN 1 ELSE 0 END),
       failed_rows = failed_rows + (CASE WHEN done.outcome = 'failed' THEN 1 ELSE 0 END)
     FROM done WHERE b.id = done.batch_id RETURNING 1`,
    [rowId, o.outcome, o.memberId, o.memberNo, o.errorCode, o.errorMessage],
  );
  return rows.length > 0;
}

/** Completes a processing batch with no pending row left. */
export async function completeIfDone(q: Queryable, batchId: bigint): Promise<boolean> {
  const rows = await q.query(
    `UPDATE member_import_batch SET state = 'completed', completed_at = now()
     WHERE id = $1 AND state = 'processing'
       AND NOT EXISTS (SELECT 1 FROM member_import_row WHERE batch_id = $1 AND outcome = 'pending')
     RETURNING 1`,
    [batchId],
  );
  return rows.length > 0;
}
