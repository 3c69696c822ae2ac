import type { Queryable } from '../../db/index.ts';
import type { SandboxPayment, SandboxRefund } from './payment-book.ts';
import type { SandboxPayout } from './payout-book.ts';
import type { PayoutOutcome, SandboxFaults } from './protocol.ts';
import type { StatementSettings } from './statement.ts';

/**
 * The in-process sandbox's own tables (migration 008): its merchants with their sealed keys, its
 * payments (refunds inside) and its notifies not yet acknowledged. The sandbox is another party,
 * so nothing else reads these tables, and these queries read nothing else.
 */

export async function insertMerchant(q: Queryable, mchId: string, keyEnc: string): Promise<boolean> {
  const rows = await q.query(
    'INSERT INTO sandbox_merchant (mch_id, key_enc) VALUES ($1, $2) ON CONFLICT (mch_id) DO NOTHING RETURNING mch_id',
    [mchId, keyEnc],
  );
  return rows.length > 0;
}

export async function findMerchantKey(q: Queryable, mchId: string): Promise<string | null> {
  const rows = await q.query<{ key_enc: string }>('SELECT key_enc FROM sandbox_merchant WHERE mch_id = $1', [
    mchId,
  ]);
  return rows[0]?.key_enc ?? null;
}

/** The stored document of a payment: JSON has no bigint or Date, so those travel as strings. */
interface PaymentRecord {
  amount: string;
  currency: string;
  subject: string;
  notifyUrl: string;
  expireAt: string;
  faults: SandboxFaults;
  status: SandboxPayment['status'];
  closedBy: SandboxPayment['closedBy'];
  paidAt: string | null;
  authCode: string | null;
  failReason: string | null;
  refunds: {
    refundNo: string;
    outRefundNo: string;
    amount: string;
    notifyUrl: string;
    status: SandboxRefund['status'];
    refundedAt: string | null;
    failReason: string | null;
  }[];
}

interface PaymentRow {
  trade_no: string;
  mch_id: string;
  out_trade_no: string;
  version: number;
  record: PaymentRecord;
}

function toRecord(p: SandboxPayment): string {
  const record: PaymentRecord = {
    amount: p.amount.toString(),
    currency: p.currency,
    subject: p.subject,
    notifyUrl: p.notifyUrl,
    expireAt: p.expireAt.toISOString(),
    faults: p.faults,
    status: p.status,
    closedBy: p.closedBy,
    paidAt: p.paidAt?.toISOString() ?? null,
    authCode: p.authCode,
    failReason: p.failReason,
    refunds: p.refunds.map((r) => ({
      refundNo: r.refundNo,
      outRefundNo: r.outRefundNo,
      amount: r.amount.toString(),
      notifyUrl: r.notifyUrl,
      status: r.status,
      refundedAt: r.refundedAt?.toISOString() ?? null,
      failReason: r.failReason,
    })),
  };
  return JSON.stringify(record);
}

function fromRow(row: PaymentRow): SandboxPayment {
  const r = row.record;
  return {
    tradeNo: row.trade_no,
    mchId: row.mch_id,
    outTradeNo: row.out_trade_no,
    version: row.version,
    amount: BigInt(r.amount),
    currency: r.currency,
    subject: r.subject,
    notifyUrl: r.notifyUrl,
    expireAt: new Date(r.expireAt),
    faults: r.faults,
    status: r.status,
    closedBy: r.closedBy,
    paidAt: r.paidAt === null ? null : new Date(r.paidAt),
    authCode: r.authCode,
    failReason: r.failReason,
    refunds: r.refunds.map((f) => ({
      refundNo: f.refundNo,
      outRefundNo: f.outRefundNo,
      amount: BigInt(f.amount),
      notifyUrl: f.notifyUrl,
      status: f.status,
      refundedAt: f.refundedAt === null ? null : new Date(f.refundedAt),
      failReason: f.failReason,
    })),
  };
}

/** Inserts a new payment; false when its trade number or its (mchId, outTradeNo) is taken. */
export async function insertPayment(q: Queryable, p: SandboxPayment): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO sandbox_payment (trade_no, mch_id, out_trade_no, record) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT DO NOTHING RETURNING trade_no`,
    [p.tradeNo, p.mchId, p.outTradeNo, toRecord(p)],
  );
  return rows.length > 0;
}

export async function findPaymentByTradeNo(
  q: Queryable,
  tradeNo: string,
): Promise<SandboxPayment | undefined> {
  const rows = await q.query<PaymentRow>('SELECT * FROM sandbox_payment WHERE trade_no = $1', [tradeNo]);
  return rows[0] && fromRow(rows[0]);
}

export async function findPaymentByMerchantOrder(
  q: Queryable,
  mchId: string,
  outTradeNo: string,
): Promise<SandboxPayment | undefined> {
  const rows = await q.query<PaymentRow>(
    'SELECT * FROM sandbox_payment WHERE mch_id = $1 AND out_trade_no = $2',
    [mchId, outTradeNo],
  );
  return rows[0] && fromRow(rows[0]);
}

/** Saves a changed payment only if it is still the version that was read (compare-and-set). */
export async function updatePayment(q: Queryable, p: SandboxPayment): Promise<boolean> {
  const rows = await q.query(
    `UPDATE sandbox_payment SET record = $3::jsonb, version = version + 1
     WHERE trade_no = $1 AND version = $2 RETURNING trade_no`,
    [p.tradeNo, p.version, toRecord(p)],
  );
  return rows.length > 0;
}

export interface NotifyRow {
  id: string;
  tradeNo: string;
  notifyUrl: string;
  form: string;
  attempt: number;
  dueAt: Date;
}

export async function insertNotifies(q: Queryable, notifies: NotifyRow[]): Promise<void> {
  if (notifies.length === 0) return;
  await q.query(
    `INSERT INTO sandbox_notify (id, trade_no, notify_url, form, attempt, due_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[])`,
    [
      notifies.map((n) => n.id),
      notifies.map((n) => n.tradeNo),
      notifies.map((n) => n.notifyUrl),
      notifies.map((n) => n.form),
      notifies.map((n) => String(n.attempt)),
      notifies.map((n) => n.dueAt.toISOString()),
    ],
  );
}

export async function rescheduleNotify(
  q: Queryable,
  id: string,
  attempt: number,
  dueAt: Date,
): Promise<void> {
  await q.query('UPDATE sandbox_notify SET attempt = $2, due_at = $3 WHERE id = $1', [id, attempt, dueAt]);
}

export async function deleteNotify(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM sandbox_notify WHERE id = $1', [id]);
}

export async function pendingNotifies(q: Queryable): Promise<NotifyRow[]> {
  const rows = await q.query<{
    id: string;
    trade_no: string;
    notify_url: string;
    form: string;
    attempt: number;
    due_at: Date;
  }>('SELECT * FROM sandbox_notify ORDER BY due_at, id');
  return rows.map((r) => ({
    id: r.id,
    tradeNo: r.trade_no,
    notifyUrl: r.notify_url,
    form: r.form,
    attempt: r.attempt,
    dueAt: new Date(r.due_at),
  }));
}

/** The stored document of a payout (bigint and Date as strings). */
interface PayoutRecord {
  amount: string;
  currency: string;
  payeeName: string;
  payeeAccountTail: string;
  payeeBankName: string;
  notifyUrl: string;
  outcome: PayoutOutcome;
  createdAt: string;
  finalStatus: 'SUCCESS' | 'FAILED';
  decideAt: string;
  failReason: string | null;
}

/** Inserts a payout; false when its number or its (mchId, outPayoutNo) is taken. */
export async function insertPayout(q: Queryable, p: SandboxPayout): Promise<boolean> {
  const record: PayoutRecord = {
    amount: p.amount.toString(),
    currency: p.currency,
    payeeName: p.payeeName,
    payeeAccountTail: p.payeeAccountTail,
    payeeBankName: p.payeeBankName,
    notifyUrl: p.notifyUrl,
    outcome: p.outcome,
    createdAt: p.createdAt.toISOString(),
    finalStatus: p.finalStatus,
    decideAt: p.decideAt.toISOString(),
    failReason: p.failReason,
  };
  const rows = await q.query(
    `INSERT INTO sandbox_payout (payout_no, mch_id, out_payout_no, record) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT DO NOTHING RETURNING payout_no`,
    [p.payoutNo, p.mchId, p.outPayoutNo, JSON.stringify(record)],
  );
  return rows.length > 0;
}

export async function findPayout(
  q: Queryable,
  mchId: string,
  outPayoutNo: string,
): Promise<SandboxPayout | undefined> {
  const rows = await q.query<{
    payout_no: string;
    mch_id: string;
    out_payout_no: string;
    version: number;
    record: PayoutRecord;
  }>('SELECT * FROM sandbox_payout WHERE mch_id = $1 AND out_payout_no = $2', [mchId, outPayoutNo]);
  const row = rows[0];
  if (!row) return undefined;
  const r = row.record;
  return {
    payoutNo: row.payout_no,
    mchId: row.mch_id,
    outPayoutNo: row.out_payout_no,
    version: row.version,
    amount: BigInt(r.amount),
    currency: r.currency,
    payeeName: r.payeeName,
    payeeAccountTail: r.payeeAccountTail,
    payeeBankName: r.payeeBankName,
    notifyUrl: r.notifyUrl,
    outcome: r.outcome,
    createdAt: new Date(r.createdAt),
    finalStatus: r.finalStatus,
    decideAt: new Date(r.decideAt),
    failReason: r.failReason,
  };
}

/** Payouts a merchant has at the sandbox with this number (tests prove a retry pays once). */
export async function countPayouts(q: Queryable, mchId: string, outPayoutNo: string): Promise<number> {
  const rows = await q.query<{ n: bigint }>(
    'SELECT count(*) AS n FROM sandbox_payout WHERE mch_id = $1 AND out_payout_no = $2',
    [mchId, outPayoutNo],
  );
  return Number(rows[0]!.n);
}

/**
 * Payments of a merchant with something booked within [from, to): paid then, or refunded then.
 * A scan of the merchant's payments: the sandbox is a test channel, its volume a tester's.
 */
export async function paymentsBookedWithin(
  q: Queryable,
  mchId: string,
  from: Date,
  to: Date,
): Promise<SandboxPayment[]> {
  const rows = await q.query<PaymentRow>(
    `SELECT * FROM sandbox_payment
     WHERE mch_id = $1
       AND ((record->>'paidAt')::timestamptz >= $2 AND (record->>'paidAt')::timestamptz < $3
            OR EXISTS (SELECT 1 FROM jsonb_array_elements(record->'refunds') r
                       WHERE (r->>'refundedAt')::timestamptz >= $2 AND (r->>'refundedAt')::timestamptz < $3))
     ORDER BY trade_no`,
    [mchId, from, to],
  );
  return rows.map(fromRow);
}

export async function statementSettings(q: Queryable, mchId: string): Promise<StatementSettings> {
  const rows = await q.query<{ statement_settings: StatementSettings }>(
    'SELECT statement_settings FROM sandbox_merchant WHERE mch_id = $1',
    [mchId],
  );
  return rows[0]?.statement_settings ?? {};
}

export async function putStatementSettings(
  q: Queryable,
  mchId: string,
  settings: StatementSettings,
): Promise<boolean> {
  const rows = await q.query(
    'UPDATE sandbox_merchant SET statement_settings = $2::jsonb WHERE mch_id = $1 RETURNING mch_id',
    [mchId, JSON.stringify(settings)],
  );
  return rows.length > 0;
}
