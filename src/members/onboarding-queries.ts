import type { Queryable, SqlValue } from '../db/index.ts';
import type { MemberType } from './queries.ts';

export interface LinkRow {
  id: bigint;
  link_no: string;
  merchant_id: bigint;
  app_id: bigint;
  token_hash: string;
  preset_biz_user_id: string | null;
  preset_type: MemberType | null;
  preset_name: string | null;
  preset_phone: string | null;
  state: 'open' | 'completed' | 'revoked';
  expires_at: Date;
  type: MemberType | null;
  name: string | null;
  id_no_enc: string | null;
  id_no_last4: string | null;
  legal_person_name: string | null;
  legal_id_no_enc: string | null;
  identity_verified_at: Date | null;
  code_phone: string | null;
  code_hash: string | null;
  code_attempts: number;
  code_expires_at: Date | null;
  code_sent_at: Date | null;
  codes_sent: number;
  phone: string | null;
  phone_verified_at: Date | null;
  card_no_enc: string | null;
  card_last4: string | null;
  card_bank_name: string | null;
  card_verified_at: Date | null;
  card_skipped_at: Date | null;
  member_id: bigint | null;
  created_by: bigint | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  revoked_at: Date | null;
}

export interface ImageRow {
  kind: 'licence' | 'legal_person_id';
  content_type: string;
  sha256: string;
  size: number;
  created_at: Date;
}

export async function insertLink(
  q: Queryable,
  l: {
    merchantId: bigint;
    appId: bigint;
    tokenHash: string;
    presetBizUserId: string | null;
    presetType: MemberType | null;
    presetName: string | null;
    presetPhone: string | null;
    ttlSeconds: number;
    createdBy: bigint | null;
  },
): Promise<LinkRow> {
  return (
    await q.query<LinkRow>(
      `INSERT INTO member_onboarding_link (link_no, merchant_id, app_id, token_hash, preset_biz_user_id,
         preset_type, preset_name, preset_phone, expires_at, created_by)
       VALUES ('OL' || (1000000000 + nextval('member_onboarding_link_no_seq'))::text, $1, $2, $3, $4, $5, $6, $7,
         now() + make_interval(secs => $8), $9)
       RETURNING *`,
      [
        l.merchantId,
        l.appId,
        l.tokenHash,
        l.presetBizUserId,
        l.presetType,
        l.presetName,
        l.presetPhone,
        l.ttlSeconds,
        l.createdBy,
      ],
    )
  )[0]!;
}

export async function linkByTokenHash(q: Queryable, tokenHash: string): Promise<LinkRow | undefined> {
  return (
    await q.query<LinkRow>('SELECT * FROM member_onboarding_link WHERE token_hash = $1', [tokenHash])
  )[0];
}

export async function linkOfMerchant(
  q: Queryable,
  merchantId: bigint,
  linkNo: string,
): Promise<LinkRow | undefined> {
  return (
    await q.query<LinkRow>('SELECT * FROM member_onboarding_link WHERE merchant_id = $1 AND link_no = $2', [
      merchantId,
      linkNo,
    ])
  )[0];
}

/** A merchant's links, newest first; `state` 'expired' is an open link past its time. */
export function listLinks(
  q: Queryable,
  f: {
    merchantId: bigint;
    state?: 'open' | 'completed' | 'revoked' | 'expired';
    beforeId?: bigint;
    limit: number;
  },
): Promise<LinkRow[]> {
  return q.query<LinkRow>(
    `SELECT * FROM member_onboarding_link
     WHERE merchant_id = $1
       AND ($2::text IS NULL
            OR ($2 = 'expired' AND state = 'open' AND expires_at <= now())
            OR ($2 = 'open' AND state = 'open' AND expires_at > now())
            OR ($2 IN ('completed', 'revoked') AND state = $2))
       AND ($3::bigint IS NULL OR id < $3)
     ORDER BY id DESC LIMIT $4`,
    [f.merchantId, f.state ?? null, f.beforeId ?? null, f.limit],
  );
}

/**
 * Writes a step's columns on a link that is still open and not expired (compare-and-set); undefined
 * when the link closed or expired meanwhile. Column names come from the caller's code, never input.
 */
export async function updateOpenLink(
  q: Queryable,
  id: bigint,
  set: Record<string, SqlValue>,
): Promise<LinkRow | undefined> {
  const columns = Object.keys(set);
  const assignments = [...columns.map((c, i) => `${c} = $${i + 2}`), 'updated_at = now()'].join(', ');
  return (
    await q.query<LinkRow>(
      `UPDATE member_onboarding_link SET ${assignments}
       WHERE id = $1 AND state = 'open' AND expires_at > now() RETURNING *`,
      [id, ...columns.map((c) => set[c])],
    )
  )[0];
}

/** Counts one guess of the link's live code; undefined when no code is live or it is used up. */
export async function takeCodeAttempt(
  q: Queryable,
  id: bigint,
  maxAttempts: number,
): Promise<LinkRow | undefined> {
  return (
    await q.query<LinkRow>(
      `UPDATE member_onboarding_link SET code_attempts = code_attempts + 1, updated_at = now()
       WHERE id = $1 AND state = 'open' AND expires_at > now() AND code_hash IS NOT NULL
         AND code_expires_at > now() AND code_attempts < $2
       RETURNING *`,
      [id, maxAttempts],
    )
  )[0];
}

export async function completeLink(q: Queryable, id: bigint, memberId: bigint): Promise<LinkRow | undefined> {
  return (
    await q.query<LinkRow>(
      `UPDATE member_onboarding_link SET state = 'completed', member_id = $2, completed_at = now(),
         updated_at = now(), code_hash = NULL
       WHERE id = $1 AND state = 'open' AND expires_at > now() RETURNING *`,
      [id, memberId],
    )
  )[0];
}

export async function revokeLink(q: Queryable, id: bigint): Promise<LinkRow | undefined> {
  return (
    await q.query<LinkRow>(
      `UPDATE member_onboarding_link SET state = 'revoked', revoked_at = now(), updated_at = now(),
         code_hash = NULL
       WHERE id = $1 AND state = 'open' RETURNING *`,
      [id],
    )
  )[0];
}

export async function upsertImage(
  q: Queryable,
  i: { linkId: bigint; kind: string; contentType: string; content: Buffer; sha256: string },
): Promise<void> {
  await q.query(
    `INSERT INTO member_onboarding_image (link_id, kind, content_type, content, sha256)
     VALUES ($1, $2, $3, decode($4, 'base64'), $5)
     ON CONFLICT (link_id, kind) DO UPDATE
       SET content_type = EXCLUDED.content_type, content = EXCLUDED.content, sha256 = EXCLUDED.sha256,
           created_at = now()`,
    [i.linkId, i.kind, i.contentType, i.content.toString('base64'), i.sha256],
  );
}

export function imagesOf(q: Queryable, linkIds: bigint[]): Promise<(ImageRow & { link_id: bigint })[]> {
  if (linkIds.length === 0) return Promise.resolve([]);
  return q.query(
    `SELECT link_id, kind, content_type, sha256, octet_length(content) AS size, created_at
     FROM member_onboarding_image WHERE link_id = ANY($1::bigint[]) ORDER BY id`,
    [linkIds.map(String)],
  );
}

export async function imageContent(
  q: Queryable,
  linkId: bigint,
  kind: string,
): Promise<{ contentType: string; content: Buffer } | undefined> {
  const row = (
    await q.query<{ content_type: string; base64: string }>(
      `SELECT content_type, encode(content, 'base64') AS base64 FROM member_onboarding_image
       WHERE link_id = $1 AND kind = $2`,
      [linkId, kind],
    )
  )[0];
  // encode() breaks its output into lines of 76 characters; Buffer.from skips them.
  return row && { contentType: row.content_type, content: Buffer.from(row.base64, 'base64') };
}
