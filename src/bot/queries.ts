import type { Queryable } from '../db/index.ts';

export type BotMode = 'polling' | 'webhook';
export type BotLanguage = 'zh' | 'en';
export type GroupSubject = 'operators' | 'merchant';

export interface BotConfigRow {
  token_enc: string | null;
  api_base_url: string;
  mode: BotMode;
  webhook_secret_enc: string | null;
  webhook_state: 'none' | 'set' | 'failed';
  bot_username: string | null;
  update_offset: bigint;
  events_read_until: Date | null;
  updated_at: Date;
}

export interface BotGroupRow {
  id: bigint;
  chat_id: bigint;
  title: string;
  subject: GroupSubject;
  merchant_id: bigint | null;
  language: BotLanguage;
  enabled: boolean;
  allowed_user_ids: bigint[];
  large_payment_threshold: bigint | null;
  bound_by_user_id: bigint | null;
  bound_at: Date;
  last_activity_at: Date | null;
}

export interface BindingCodeRow {
  id: bigint;
  subject: GroupSubject;
  merchant_id: bigint | null;
  language: BotLanguage;
  created_by_user_id: bigint;
  expires_at: Date;
  used_at: Date | null;
}

const GROUP_COLUMNS = `id, chat_id, title, subject, merchant_id, language, enabled, allowed_user_ids,
  large_payment_threshold, bound_by_user_id, bound_at, last_activity_at`;

export async function config(q: Queryable): Promise<BotConfigRow> {
  const rows = await q.query<BotConfigRow>(
    `SELECT token_enc, api_base_url, mode, webhook_secret_enc, webhook_state, bot_username, update_offset,
            events_read_until, updated_at
       FROM bot_config WHERE id = 1`,
  );
  return rows[0]!;
}

export async function updateConfig(
  q: Queryable,
  change: Partial<
    Pick<
      BotConfigRow,
      'token_enc' | 'api_base_url' | 'mode' | 'webhook_secret_enc' | 'webhook_state' | 'bot_username'
    >
  >,
): Promise<void> {
  const sets: string[] = [];
  const params: (string | null)[] = [];
  for (const [column, value] of Object.entries(change)) {
    if (value === undefined) continue;
    params.push(value as string | null);
    sets.push(`${column} = $${params.length}`);
  }
  if (sets.length === 0) return;
  await q.query(`UPDATE bot_config SET ${sets.join(', ')}, updated_at = now() WHERE id = 1`, params);
}

/** Moves the update offset forward only: a slower poll that finishes late never takes it back. */
export async function advanceOffset(q: Queryable, offset: bigint): Promise<void> {
  await q.query('UPDATE bot_config SET update_offset = GREATEST(update_offset, $1) WHERE id = 1', [offset]);
}

export async function setEventsReadUntil(q: Queryable, until: Date): Promise<void> {
  await q.query('UPDATE bot_config SET events_read_until = $1 WHERE id = 1', [until]);
}

// ---------- binding codes ----------

export async function insertBindingCode(
  q: Queryable,
  code: {
    codeHash: string;
    subject: GroupSubject;
    merchantId: bigint | null;
    language: BotLanguage;
    createdBy: bigint;
    expiresAt: Date;
  },
): Promise<void> {
  await q.query(
    `INSERT INTO bot_binding_code (code_hash, subject, merchant_id, language, created_by_user_id, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [code.codeHash, code.subject, code.merchantId, code.language, code.createdBy, code.expiresAt],
  );
}

/**
 * Takes a code for a chat: only an unused one before it expires, and only once (compare-and-set),
 * so two groups sending the same code bind one of them.
 */
export async function takeBindingCode(
  q: Queryable,
  codeHash: string,
  chatId: bigint,
): Promise<BindingCodeRow | undefined> {
  const rows = await q.query<BindingCodeRow>(
    `UPDATE bot_binding_code SET used_at = now(), used_by_chat_id = $2
      WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()
      RETURNING id, subject, merchant_id, language, created_by_user_id, expires_at, used_at`,
    [codeHash, chatId],
  );
  return rows[0];
}

/** Codes long expired or used are of no more use; the binding itself is in the audit log. */
export async function purgeBindingCodes(q: Queryable, before: Date): Promise<void> {
  await q.query('DELETE FROM bot_binding_code WHERE expires_at < $1', [before]);
}

// ---------- groups ----------

/** Binds a chat (again): a chat bound before takes its new subject and language, enabled. */
export async function bindGroup(
  q: Queryable,
  group: {
    chatId: bigint;
    title: string;
    subject: GroupSubject;
    merchantId: bigint | null;
    language: BotLanguage;
    boundBy: bigint;
  },
): Promise<BotGroupRow> {
  const rows = await q.query<BotGroupRow>(
    `INSERT INTO bot_group (chat_id, title, subject, merchant_id, language, bound_by_user_id, last_activity_at)
     VALUES ($1, $2, $3, $4, $5, $6, now())
     ON CONFLICT (chat_id) DO UPDATE SET title = EXCLUDED.title, subject = EXCLUDED.subject,
       merchant_id = EXCLUDED.merchant_id, language = EXCLUDED.language, enabled = TRUE,
       allowed_user_ids = '{}', large_payment_threshold = NULL,
       bound_by_user_id = EXCLUDED.bound_by_user_id, bound_at = now(), last_activity_at = now()
     RETURNING ${GROUP_COLUMNS}`,
    [group.chatId, group.title, group.subject, group.merchantId, group.language, group.boundBy],
  );
  return rows[0]!;
}

export async function groupByChat(q: Queryable, chatId: bigint): Promise<BotGroupRow | undefined> {
  const rows = await q.query<BotGroupRow>(`SELECT ${GROUP_COLUMNS} FROM bot_group WHERE chat_id = $1`, [
    chatId,
  ]);
  return rows[0];
}

export async function groupById(q: Queryable, id: bigint): Promise<BotGroupRow | undefined> {
  const rows = await q.query<BotGroupRow>(`SELECT ${GROUP_COLUMNS} FROM bot_group WHERE id = $1`, [id]);
  return rows[0];
}

/** Groups, newest binding first: all of them, or one merchant's. */
export async function listGroups(
  q: Queryable,
  filter: { merchantId?: bigint; subject?: GroupSubject; enabledOnly?: boolean },
): Promise<BotGroupRow[]> {
  return q.query<BotGroupRow>(
    `SELECT ${GROUP_COLUMNS} FROM bot_group
      WHERE ($1::bigint IS NULL OR merchant_id = $1)
        AND ($2::text IS NULL OR subject = $2)
        AND (NOT $3::boolean OR enabled)
      ORDER BY bound_at DESC, id DESC
      LIMIT 500`,
    [filter.merchantId ?? null, filter.subject ?? null, filter.enabledOnly === true],
  );
}

/** Enabled merchant groups that want to hear of large payments. */
export async function groupsWithThreshold(q: Queryable): Promise<BotGroupRow[]> {
  return q.query<BotGroupRow>(
    `SELECT ${GROUP_COLUMNS} FROM bot_group
      WHERE subject = 'merchant' AND enabled AND large_payment_threshold IS NOT NULL
      ORDER BY id LIMIT 500`,
  );
}

export async function updateGroup(
  q: Queryable,
  id: bigint,
  change: {
    language?: BotLanguage;
    enabled?: boolean;
    allowedUserIds?: bigint[];
    largePaymentThreshold?: bigint | null;
  },
): Promise<BotGroupRow | undefined> {
  const rows = await q.query<BotGroupRow>(
    `UPDATE bot_group SET
        language = COALESCE($2, language),
        enabled = COALESCE($3, enabled),
        allowed_user_ids = COALESCE($4::bigint[], allowed_user_ids),
        large_payment_threshold = CASE WHEN $5::boolean THEN $6::bigint ELSE large_payment_threshold END
      WHERE id = $1
      RETURNING ${GROUP_COLUMNS}`,
    [
      id,
      change.language ?? null,
      change.enabled ?? null,
      change.allowedUserIds ? change.allowedUserIds.map(String) : null,
      change.largePaymentThreshold !== undefined,
      change.largePaymentThreshold ?? null,
    ],
  );
  return rows[0];
}

export async function deleteGroup(q: Queryable, id: bigint): Promise<BotGroupRow | undefined> {
  const rows = await q.query<BotGroupRow>(`DELETE FROM bot_group WHERE id = $1 RETURNING ${GROUP_COLUMNS}`, [
    id,
  ]);
  return rows[0];
}

export async function touchGroup(q: Queryable, id: bigint, title: string | undefined): Promise<void> {
  await q.query('UPDATE bot_group SET last_activity_at = now(), title = COALESCE($2, title) WHERE id = $1', [
    id,
    title ?? null,
  ]);
}

/** Records a push; false when the group was told of this event already. */
export async function recordPush(q: Queryable, groupId: bigint, eventKey: string): Promise<boolean> {
  const rows = await q.query(
    'INSERT INTO bot_push (group_id, event_key) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1',
    [groupId, eventKey],
  );
  return rows.length > 0;
}

export async function forgetPush(q: Queryable, groupId: bigint, eventKey: string): Promise<void> {
  await q.query('DELETE FROM bot_push WHERE group_id = $1 AND event_key = $2', [groupId, eventKey]);
}

export async function purgePushes(q: Queryable, before: Date): Promise<void> {
  await q.query('DELETE FROM bot_push WHERE sent_at < $1', [before]);
}
