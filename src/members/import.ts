import type { SecretBox, SecretPlace } from '../auth/secret-box.ts';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import {
  type CheckedRow,
  checkRows,
  type FileOut,
  formatOf,
  IMPORT_COLUMNS,
  MAX_IMPORT_BYTES,
  problemsText,
  RESULT_HEADERS,
  readImportFile,
  rowMessageZh,
  sheetFile,
} from './import-file.ts';
import type { ImportBatchRow, ImportBatchState, ImportRowRow } from './import-queries.ts';
import * as q from './import-queries.ts';
import type { MemberRow } from './queries.ts';
import { type AppScope, type MemberService, maskPhone } from './service.ts';

const rowPlace = (id: bigint, column: 'id_no_enc' | 'card_no_enc'): SecretPlace => ({
  table: 'member_import_row',
  id,
  column,
});

/** Rows the worker opens per run, and the longest a run goes on (well inside the job's lease). */
const ROWS_PER_RUN = 500;
const RUN_BUDGET_MS = 60_000;
const MAX_PAGE = 200;

const OUTCOME_ZH: Record<q.ImportRowOutcome, string> = {
  invalid: '校验未通过',
  pending: '待处理',
  created: '已创建',
  failed: '失败',
};

/**
 * Batch import of members and their cards (issue 17). Upload checks every row and stores the batch
 * with its report (a draft: nothing is created); the merchant submits it; an operator approves or
 * rejects it; the `import-member-batches` job then opens each pending row's member through the
 * members service, checks it with the verifier and binds its card, recording each row's outcome.
 * A row is opened at most once: its outcome moves from pending once, and a retry after a crash finds
 * the member it opened before by the app's unique bizUserId.
 */
export class MemberImportService {
  constructor(
    private readonly db: Db,
    private readonly deps: { secrets: SecretBox; members: MemberService },
  ) {}

  // ---------- upload and submit (the merchant) ----------

  async upload(
    app: AppScope,
    file: { name: string; bytes: Buffer },
    userId: bigint | null,
  ): Promise<{ batch: ImportBatchRow; rows: ImportRowRow[] }> {
    if (file.bytes.length > MAX_IMPORT_BYTES) {
      throw new AppError('FILE_TOO_LARGE', 'the import file is too large', { maxBytes: MAX_IMPORT_BYTES });
    }
    const format = formatOf(file.bytes);
    const raw = await readImportFile(file.bytes, format);
    const existing = await q.existingBizUserIds(
      this.db,
      app.appDbId,
      raw.map((r) => r.bizUserId).filter((id) => id !== ''),
    );
    const checked = checkRows(raw, existing);
    const ids = await q.nextRowIds(this.db, checked.length);
    const rows = checked.map((row, i) => this.sealRow(ids[i]!, row));
    const valid = checked.filter((r) => r.problems.length === 0).length;
    const batch = await this.db.tx(async (tx) => {
      const b = await q.insertBatch(tx, {
        merchantId: app.merchantId,
        appId: app.appDbId,
        fileName: file.name.slice(0, 128) || `import.${format}`,
        fileFormat: format,
        totalRows: checked.length,
        validRows: valid,
        uploadedBy: userId,
      });
      await q.insertRows(tx, b.id, rows);
      return b;
    });
    return { batch, rows: await q.rowsOf(this.db, batch.id, { limit: MAX_PAGE }) };
  }

  private sealRow(id: bigint, row: CheckedRow): q.NewImportRow {
    return {
      id,
      line_no: row.lineNo,
      biz_user_id: row.bizUserId,
      member_type: row.type ?? row.typeWord,
      name: row.name,
      phone: row.phone,
      id_no_enc: row.idNo ? this.deps.secrets.encrypt(row.idNo, rowPlace(id, 'id_no_enc')) : null,
      id_no_last4: row.idNo ? row.idNo.slice(-4) : null,
      legal_person_name: row.legalPersonName,
      card_no_enc: row.cardNo ? this.deps.secrets.encrypt(row.cardNo, rowPlace(id, 'card_no_enc')) : null,
      card_last4: row.cardNo ? row.cardNo.slice(-4) : null,
      bank_name: row.bankName,
      bank_branch: row.bankBranch,
      card_phone: row.cardPhone,
      problems: row.problems,
      outcome: row.problems.length === 0 ? 'pending' : 'invalid',
    };
  }

  /** Sends a draft for the operators' review; a batch without one valid row is IMPORT_NOTHING_VALID. */
  async submit(batch: ImportBatchRow): Promise<ImportBatchRow> {
    if (batch.state === 'draft' && batch.valid_rows === 0) {
      throw new AppError('IMPORT_NOTHING_VALID', `batch ${batch.batch_no} has no valid row`);
    }
    return this.move(batch, 'draft', 'pending_review');
  }

  // ---------- reads ----------

  /** The merchant's own batch, or NOT_FOUND (another merchant's batch is not found either). */
  async requireForMerchant(merchantId: bigint, batchNo: string): Promise<ImportBatchRow> {
    const batch = await q.batchByNo(this.db, batchNo);
    if (!batch || batch.merchant_id !== merchantId)
      throw new AppError('NOT_FOUND', `no import batch ${batchNo}`);
    return batch;
  }

  /** Any merchant's submitted batch (the operators); drafts stay the merchant's own. */
  async requireSubmitted(batchNo: string): Promise<ImportBatchRow> {
    const batch = await q.batchByNo(this.db, batchNo);
    if (!batch || batch.state === 'draft') throw new AppError('NOT_FOUND', `no import batch ${batchNo}`);
    return batch;
  }

  async list(f: {
    merchantId?: bigint;
    state?: ImportBatchState;
    submittedOnly?: boolean;
    cursor?: bigint;
    limit?: number;
  }) {
    const limit = Math.min(f.limit ?? 20, MAX_PAGE);
    const rows = await q.listBatches(this.db, {
      merchantId: f.merchantId,
      state: f.state,
      submittedOnly: f.submittedOnly,
      beforeId: f.cursor,
      limit: limit + 1,
    });
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items.at(-1)!.id.toString() : null };
  }

  /** A page of the batch's rows in file order, after a line (the cursor). */
  async rows(batch: ImportBatchRow, f: { afterLine?: number; outcome?: q.ImportRowOutcome; limit?: number }) {
    const limit = Math.min(f.limit ?? 50, MAX_PAGE);
    const rows = await q.rowsOf(this.db, batch.id, {
      afterLine: f.afterLine,
      outcome: f.outcome,
      limit: limit + 1,
    });
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? String(items.at(-1)!.line_no) : null };
  }

  // ---------- review (the operators) ----------

  approve(batch: ImportBatchRow, userId: bigint): Promise<ImportBatchRow> {
    return this.move(batch, 'pending_review', 'processing', { reviewedBy: userId });
  }

  reject(batch: ImportBatchRow, userId: bigint, reason: string): Promise<ImportBatchRow> {
    return this.move(batch, 'pending_review', 'rejected', { reviewedBy: userId, rejectReason: reason });
  }

  private async move(
    batch: ImportBatchRow,
    from: ImportBatchState,
    to: ImportBatchState,
    set: { reviewedBy?: bigint; rejectReason?: string } = {},
  ): Promise<ImportBatchRow> {
    const moved = await q.moveBatch(this.db, batch.id, from, to, set);
    if (!moved) {
      const now = (await q.batchByNo(this.db, batch.batch_no))!;
      throw new AppError('IMPORT_BATCH_STATE', `batch ${batch.batch_no} is ${now.state}`, {
        state: now.state,
      });
    }
    return moved;
  }

  // ---------- processing (the worker) ----------

  /**
   * Opens the pending rows of approved batches, oldest approval first, at most ROWS_PER_RUN rows
   * or RUN_BUDGET_MS. A refusal (an AppError: the verifier said no, the member exists with other
   * data) fails the row; anything else (the database away) stops the run with the row still
   * pending, for the next run. Answers the rows done.
   */
  async runDue(now: () => number = Date.now): Promise<number> {
    const started = now();
    let done = 0;
    for (const batch of await q.processingBatches(this.db, 20)) {
      for (;;) {
        const pending = await q.rowsOf(this.db, batch.id, { outcome: 'pending', limit: 50 });
        for (const row of pending) {
          await this.processRow(batch, row);
          done++;
          if (done >= ROWS_PER_RUN || now() - started > RUN_BUDGET_MS) return done;
        }
        if (pending.length < 50) break;
      }
      await q.completeIfDone(this.db, batch.id);
    }
    return done;
  }

  private async processRow(batch: ImportBatchRow, row: ImportRowRow): Promise<void> {
    const members = this.deps.members;
    const idNo = this.deps.secrets.decrypt(row.id_no_enc!, rowPlace(row.id, 'id_no_enc'));
    const cardNo = this.deps.secrets.decrypt(row.card_no_enc!, rowPlace(row.id, 'card_no_enc'));
    let member: MemberRow | null = null;
    const fail = (code: string, message: string) =>
      q.recordOutcome(this.db, row.id, {
        outcome: 'failed',
        memberId: member?.id ?? null,
        memberNo: member?.member_no ?? null,
        errorCode: code,
        errorMessage: message,
      });
    try {
      // Both checks before anything is opened: a refused row leaves no member behind.
      const identity = await members.verifier.verifyIdentity(row.name, idNo);
      const card = identity.ok
        ? await members.verifier.verifyBankCard(row.name, idNo, cardNo, row.card_phone)
        : identity;
      if (!card.ok) {
        await fail('MEMBER_VERIFY_FAILED', `${rowMessageZh('MEMBER_VERIFY_FAILED')}（${card.reason ?? ''}）`);
        return;
      }
      const type = row.member_type === 'enterprise' ? 'enterprise' : 'personal';
      const opened = await members.create(
        { merchantId: batch.merchant_id, appDbId: batch.app_id },
        {
          bizUserId: row.biz_user_id,
          type,
          name: row.name,
          phone: row.phone,
          idNo,
          legalPersonName: row.legal_person_name || undefined,
        },
        { source: 'import', via: 'portal' },
      );
      member = opened.member;
      // The member was there already: ours when this batch opened it in a run that stopped before
      // the row's outcome was written (imported after the approval); someone else's otherwise.
      const ours =
        opened.created ||
        (member.source === 'import' && batch.reviewed_at !== null && member.created_at >= batch.reviewed_at);
      if (!ours) {
        member = null;
        await fail('IMPORT_MEMBER_EXISTS', rowMessageZh('IMPORT_MEMBER_EXISTS'));
        return;
      }
      member = await members.verify(member);
      const cards = await members.cardsOf(member);
      const bound = cards.some(
        (c) =>
          c.deleted_at === null &&
          c.account_last4 === cardNo.slice(-4) &&
          c.account_first4 === cardNo.slice(0, 4),
      );
      if (!bound) {
        await members.bindCard(member, {
          accountNo: cardNo,
          bankName: row.bank_name,
          bankBranch: row.bank_branch || undefined,
          phone: row.card_phone,
        });
      }
      await q.recordOutcome(this.db, row.id, {
        outcome: 'created',
        memberId: member.id,
        memberNo: member.member_no,
        errorCode: null,
        errorMessage: null,
      });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // Opened meanwhile with other data: the same finding as at upload.
      const code = error.code === 'MEMBER_EXISTS' ? 'IMPORT_MEMBER_EXISTS' : error.code;
      await fail(code, rowMessageZh(code));
    }
  }

  // ---------- the result file (回盘文件) ----------

  /** Every row of the batch with its outcome, member number and error, the numbers masked. */
  async resultFile(batch: ImportBatchRow, format: 'csv' | 'xlsx'): Promise<FileOut & { name: string }> {
    const rows = await q.rowsOf(this.db, batch.id);
    const cells = rows.map((r) => {
      const input: Record<string, string> = {
        bizUserId: r.biz_user_id,
        type: typeWord(r.member_type),
        name: r.name,
        phone: r.phone,
        idNo: maskTail(r.id_no_last4),
        legalPersonName: r.legal_person_name,
        cardNo: maskTail(r.card_last4),
        bankName: r.bank_name,
        bankBranch: r.bank_branch,
        cardPhone: r.card_phone,
      };
      const codes = r.problems.map((p) => p.code);
      return [
        String(r.line_no),
        ...IMPORT_COLUMNS.map((c) => input[c.key] ?? ''),
        OUTCOME_ZH[r.outcome],
        r.member_no ?? '',
        r.outcome === 'invalid' ? [...new Set(codes)].join(',') : (r.error_code ?? ''),
        r.outcome === 'invalid' ? problemsText(r.problems) : (r.error_message ?? ''),
      ];
    });
    const file = await sheetFile(format, '回盘文件', RESULT_HEADERS, cells);
    return { ...file, name: `member-import-result-${batch.batch_no}.${file.extension}` };
  }
}

function typeWord(type: string): string {
  if (type === 'personal') return '个人';
  if (type === 'enterprise') return '企业';
  return type;
}

/** A sealed number as the reports show it: stars and its last four. */
export function maskTail(last4: string | null): string {
  return last4 ? `**************${last4}` : '';
}

// ---------- views ----------

export function importBatchView(b: ImportBatchRow, merchantName?: string) {
  return {
    batchNo: b.batch_no,
    fileName: b.file_name,
    fileFormat: b.file_format,
    state: b.state,
    totalRows: b.total_rows,
    validRows: b.valid_rows,
    invalidRows: b.total_rows - b.valid_rows,
    processedRows: b.processed_rows,
    createdRows: b.created_rows,
    failedRows: b.failed_rows,
    rejectReason: b.reject_reason,
    submittedAt: b.submitted_at?.toISOString() ?? null,
    reviewedAt: b.reviewed_at?.toISOString() ?? null,
    completedAt: b.completed_at?.toISOString() ?? null,
    createdAt: b.created_at.toISOString(),
    ...(merchantName !== undefined ? { merchantName } : {}),
  };
}

export function importRowView(r: ImportRowRow) {
  return {
    lineNo: r.line_no,
    bizUserId: r.biz_user_id,
    type: r.member_type,
    name: r.name,
    phoneMasked: maskPhone(r.phone) ?? '',
    idNoMasked: maskTail(r.id_no_last4),
    legalPersonName: r.legal_person_name,
    cardNoMasked: maskTail(r.card_last4),
    bankName: r.bank_name,
    bankBranch: r.bank_branch,
    cardPhoneMasked: maskPhone(r.card_phone) ?? '',
    problems: r.problems,
    outcome: r.outcome,
    memberNo: r.member_no,
    errorCode: r.error_code,
  };
}
