import type { Queryable } from '../db/index.ts';
import type { DeliveryStatus, NotificationChannel, NotificationEvent, NotificationLocale } from './types.ts';

export interface TemplateDbRow {
  event: NotificationEvent;
  locale: NotificationLocale;
  subject: string;
  body: string;
  sms_template_code: string;
  sms_sign_name: string;
  updated_at: Date;
}

export function templates(q: Queryable): Promise<TemplateDbRow[]> {
  return q.query<TemplateDbRow>('SELECT * FROM notification_template ORDER BY event, locale');
}

export async function template(
  q: Queryable,
  event: NotificationEvent,
  locale: NotificationLocale,
): Promise<TemplateDbRow | null> {
  const rows = await q.query<TemplateDbRow>(
    'SELECT * FROM notification_template WHERE event = $1 AND locale = $2',
    [event, locale],
  );
  return rows[0] ?? null;
}

export async function putTemplate(q: Queryable, row: Omit<TemplateDbRow, 'updated_at'>): Promise<void> {
  await q.query(
    `INSERT INTO notification_template (event, locale, subject, body, sms_template_code, sms_sign_name)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (event, locale) DO UPDATE SET subject = EXCLUDED.subject, body = EXCLUDED.body,
       sms_template_code = EXCLUDED.sms_template_code, sms_sign_name = EXCLUDED.sms_sign_name, updated_at = now()`,
    [row.event, row.locale, row.subject, row.body, row.sms_template_code, row.sms_sign_name],
  );
}

export async function deleteTemplate(q: Queryable, event: NotificationEvent, locale: NotificationLocale) {
  await q.query('DELETE FROM notification_template WHERE event = $1 AND locale = $2', [event, locale]);
}

export interface OutboxRow {
  id: bigint;
  seal_key: string;
  event: NotificationEvent;
  channel: NotificationChannel;
  address: string;
  locale: NotificationLocale;
  merchant_id: bigint | null;
  urgent: boolean;
  status: DeliveryStatus;
  subject: string;
  text: string;
  vars_enc: string | null;
  provider: string;
  attempts: number;
  next_attempt_at: Date;
  last_answer: string;
  note: string;
  created_at: Date;
  finished_at: Date | null;
}

export async function insertOutbox(
  q: Queryable,
  row: {
    sealKey: string;
    event: NotificationEvent;
    channel: NotificationChannel;
    address: string;
    locale: NotificationLocale;
    merchantId: bigint | null;
    urgent: boolean;
    status: DeliveryStatus;
    subject: string;
    text: string;
    varsEnc: string | null;
    note: string;
    delaySeconds: number;
  },
): Promise<OutboxRow> {
  const rows = await q.query<OutboxRow>(
    `INSERT INTO notification_outbox (seal_key, event, channel, address, locale, merchant_id, urgent, status,
       subject, text, vars_enc, note, next_attempt_at, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now() + make_interval(secs => $13),
       CASE WHEN $8 = 'queued' THEN NULL ELSE now() END)
     RETURNING *`,
    [
      row.sealKey,
      row.event,
      row.channel,
      row.address,
      row.locale,
      row.merchantId,
      row.urgent,
      row.status,
      row.subject,
      row.text,
      row.varsEnc,
      row.note,
      row.delaySeconds,
    ],
  );
  return rows[0]!;
}

/**
 * Claims queued messages that are due, for `leaseSeconds` (SKIP LOCKED: nodes share the work; a
 * crashed node's claims come back when the lease ends). `id` claims that one message only.
 */
export function claimDue(
  q: Queryable,
  limit: number,
  leaseSeconds: number,
  id?: bigint,
): Promise<OutboxRow[]> {
  return q.query<OutboxRow>(
    `UPDATE notification_outbox SET lease_until = now() + make_interval(secs => $2)
     WHERE id IN (
       SELECT id FROM notification_outbox
       WHERE status = 'queued' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
         AND ($3::bigint IS NULL OR id = $3)
       ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [limit, leaseSeconds, id ?? null],
  );
}

export async function markSent(q: Queryable, id: bigint, provider: string, answer: string): Promise<void> {
  await q.query(
    `UPDATE notification_outbox SET status = 'sent', attempts = attempts + 1, provider = $2, last_answer = $3,
       vars_enc = NULL, lease_until = NULL, note = '', finished_at = now()
     WHERE id = $1 AND status = 'queued'`,
    [id, provider, answer],
  );
}

/** A failed attempt: queued again after `retryInSeconds`, or failed for good when it is null. */
export async function markAttemptFailed(
  q: Queryable,
  id: bigint,
  provider: string,
  answer: string,
  retryInSeconds: number | null,
): Promise<void> {
  await q.query(
    `UPDATE notification_outbox SET attempts = attempts + 1, provider = $2, last_answer = $3, lease_until = NULL,
       note = '',
       status = CASE WHEN $4::double precision IS NULL THEN 'failed' ELSE 'queued' END,
       vars_enc = CASE WHEN $4::double precision IS NULL THEN NULL ELSE vars_enc END,
       finished_at = CASE WHEN $4::double precision IS NULL THEN now() ELSE NULL END,
       next_attempt_at = CASE WHEN $4::double precision IS NULL THEN next_attempt_at
                              ELSE now() + make_interval(secs => $4::double precision) END
     WHERE id = $1 AND status = 'queued'`,
    [id, provider, answer, retryInSeconds],
  );
}

export async function outboxById(q: Queryable, id: bigint): Promise<OutboxRow | null> {
  const rows = await q.query<OutboxRow>('SELECT * FROM notification_outbox WHERE id = $1', [id]);
  return rows[0] ?? null;
}

export interface OutboxFilter {
  status?: DeliveryStatus;
  channel?: NotificationChannel;
  event?: NotificationEvent;
  address?: string;
}

function outboxWhere(f: OutboxFilter): { sql: string; params: (string | null)[] } {
  return {
    sql: `($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR channel = $2)
      AND ($3::text IS NULL OR event = $3) AND ($4::text IS NULL OR address = $4)`,
    params: [f.status ?? null, f.channel ?? null, f.event ?? null, f.address ?? null],
  };
}

export async function outboxPage(
  q: Queryable,
  f: OutboxFilter,
  limit: number,
  offset: number,
): Promise<{ rows: OutboxRow[]; total: number }> {
  const where = outboxWhere(f);
  const rows = await q.query<OutboxRow>(
    `SELECT * FROM notification_outbox WHERE ${where.sql} ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6`,
    [...where.params, limit, offset],
  );
  const count = await q.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM notification_outbox WHERE ${where.sql}`,
    where.params,
  );
  return { rows, total: Number(count[0]!.n) };
}

export interface BlacklistRow {
  id: bigint;
  channel: NotificationChannel;
  address: string;
  remark: string;
  created_at: Date;
}

export function blacklist(q: Queryable): Promise<BlacklistRow[]> {
  return q.query<BlacklistRow>('SELECT * FROM notification_blacklist ORDER BY created_at DESC, id DESC');
}

export async function isBlacklisted(
  q: Queryable,
  channel: NotificationChannel,
  address: string,
): Promise<boolean> {
  const rows = await q.query('SELECT 1 FROM notification_blacklist WHERE channel = $1 AND address = $2', [
    channel,
    address,
  ]);
  return rows.length > 0;
}

/** Adds an entry; null when the address is already on the list. */
export async function addBlacklist(
  q: Queryable,
  channel: NotificationChannel,
  address: string,
  remark: string,
): Promise<BlacklistRow | null> {
  const rows = await q.query<BlacklistRow>(
    `INSERT INTO notification_blacklist (channel, address, remark) VALUES ($1, $2, $3)
     ON CONFLICT (channel, address) DO NOTHING RETURNING *`,
    [channel, address, remark],
  );
  return rows[0] ?? null;
}

export async function removeBlacklist(q: Queryable, id: bigint): Promise<BlacklistRow | null> {
  const rows = await q.query<BlacklistRow>('DELETE FROM notification_blacklist WHERE id = $1 RETURNING *', [
    id,
  ]);
  return rows[0] ?? null;
}

export interface OptinRow {
  merchant_id: bigint;
  order_paid: boolean;
  refund_succeeded: boolean;
}

export async function optin(q: Queryable, merchantId: bigint): Promise<OptinRow | null> {
  const rows = await q.query<OptinRow>('SELECT * FROM notification_merchant_optin WHERE merchant_id = $1', [
    merchantId,
  ]);
  return rows[0] ?? null;
}

export async function putOptin(q: Queryable, row: OptinRow): Promise<void> {
  await q.query(
    `INSERT INTO notification_merchant_optin (merchant_id, order_paid, refund_succeeded) VALUES ($1, $2, $3)
     ON CONFLICT (merchant_id) DO UPDATE SET order_paid = EXCLUDED.order_paid,
       refund_succeeded = EXCLUDED.refund_succeeded, updated_at = now()`,
    [row.merchant_id, row.order_paid, row.refund_succeeded],
  );
}
