import type { Queryable } from '../db/index.ts';

export const MEMBER_TYPES = ['personal', 'enterprise'] as const;
export type MemberType = (typeof MEMBER_TYPES)[number];
export const MEMBER_STATES = ['created', 'verified', 'active', 'frozen', 'closed'] as const;
export type MemberState = (typeof MEMBER_STATES)[number];

export interface MemberRow {
  id: bigint;
  merchant_id: bigint;
  app_id: bigint;
  biz_user_id: string;
  member_no: string;
  type: MemberType;
  name: string;
  phone: string | null;
  id_no_enc: string | null;
  id_no_last4: string | null;
  legal_person_name: string | null;
  state: MemberState;
  real_name_verified_at: Date | null;
  source: 'api' | 'portal' | 'self_service' | 'import';
  withdraw_mode: 'manual' | 'auto' | 'platform';
  withdraw_auto_time: string | null;
  created_at: Date;
  updated_at: Date;
}

export async function selectByBizUserId(
  q: Queryable,
  appId: bigint,
  bizUserId: string,
): Promise<MemberRow | undefined> {
  return (
    await q.query<MemberRow>('SELECT * FROM member WHERE app_id = $1 AND biz_user_id = $2', [
      appId,
      bizUserId,
    ])
  )[0];
}

export async function selectByMemberNo(
  q: Queryable,
  merchantId: bigint,
  memberNo: string,
): Promise<MemberRow | undefined> {
  return (
    await q.query<MemberRow>('SELECT * FROM member WHERE merchant_id = $1 AND member_no = $2', [
      merchantId,
      memberNo,
    ])
  )[0];
}

export async function selectByIds(q: Queryable, ids: bigint[]): Promise<MemberRow[]> {
  if (ids.length === 0) return [];
  return q.query<MemberRow>('SELECT * FROM member WHERE id = ANY($1::bigint[])', [ids.map(String)]);
}

export async function nextMemberId(q: Queryable): Promise<bigint> {
  return (await q.query<{ id: bigint }>(`SELECT nextval(pg_get_serial_sequence('member', 'id')) AS id`))[0]!
    .id;
}

export interface NewMember {
  id: bigint;
  merchantId: bigint;
  appId: bigint;
  bizUserId: string;
  type: MemberType;
  name: string;
  phone: string | null;
  idNoEnc: string | null;
  idNoLast4: string | null;
  legalPersonName: string | null;
  source: MemberRow['source'];
}

/** Inserts a member numbered 'M' + 10 digits; null when the app already has the bizUserId (a racing create). */
export async function insertMember(q: Queryable, m: NewMember): Promise<MemberRow | undefined> {
  return (
    await q.query<MemberRow>(
      `INSERT INTO member (id, merchant_id, app_id, biz_user_id, member_no, type, name, phone, id_no_enc,
         id_no_last4, legal_person_name, source)
       VALUES ($1, $2, $3, $4, 'M' || (1000000000 + nextval('member_no_seq'))::text, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (app_id, biz_user_id) DO NOTHING RETURNING *`,
      [
        m.id,
        m.merchantId,
        m.appId,
        m.bizUserId,
        m.type,
        m.name,
        m.phone,
        m.idNoEnc,
        m.idNoLast4,
        m.legalPersonName,
        m.source,
      ],
    )
  )[0];
}

export interface MemberFilter {
  merchantId: bigint;
  type?: MemberType;
  state?: MemberState;
  /** A member number or bizUserId (exact), or part of the name or the phone. */
  keyword?: string;
  /** Keyset: only members with a smaller id (the page before was cut there). */
  beforeId?: bigint;
  limit: number;
}

/** A merchant's members, newest first. */
export function listMembers(q: Queryable, f: MemberFilter): Promise<MemberRow[]> {
  return q.query<MemberRow>(
    `SELECT * FROM member
     WHERE merchant_id = $1 AND ($2::text IS NULL OR type = $2) AND ($3::text IS NULL OR state = $3)
       AND ($4::text IS NULL OR member_no = $4 OR biz_user_id = $4 OR name ILIKE '%' || $4 || '%' OR phone LIKE '%' || $4 || '%')
       AND ($5::bigint IS NULL OR id < $5)
     ORDER BY id DESC LIMIT $6`,
    [f.merchantId, f.type ?? null, f.state ?? null, f.keyword ?? null, f.beforeId ?? null, f.limit],
  );
}

/** Locks the member's row for a change of its state (one change at a time, and no withdrawal meanwhile). */
export async function lockMember(q: Queryable, id: bigint): Promise<MemberRow> {
  return (await q.query<MemberRow>('SELECT * FROM member WHERE id = $1 FOR UPDATE', [id]))[0]!;
}

/** The member's state as of now (a withdrawal's check, under the owner's lock). */
export async function stateOf(q: Queryable, id: bigint): Promise<MemberState | undefined> {
  return (await q.query<{ state: MemberState }>('SELECT state FROM member WHERE id = $1', [id]))[0]?.state;
}

/** Moves the member to `to` from one of `from` (compare-and-set); undefined when it was not in one of them. */
export async function transition(
  q: Queryable,
  id: bigint,
  from: readonly MemberState[],
  to: MemberState,
): Promise<MemberRow | undefined> {
  return (
    await q.query<MemberRow>(
      `UPDATE member SET state = $3, updated_at = now(),
         real_name_verified_at = CASE WHEN $3 = 'verified' THEN now() ELSE real_name_verified_at END
       WHERE id = $1 AND state = ANY($2::text[]) RETURNING *`,
      [id, [...from], to],
    )
  )[0];
}

export interface AgreementRow {
  id: bigint;
  member_id: bigint;
  kind: string;
  version: string;
  signed_via: string;
  signed_at: Date;
}

/** Records a signature; signing the same version again keeps the first. */
export async function insertAgreement(
  q: Queryable,
  a: { memberId: bigint; kind: string; version: string; signedVia: string },
): Promise<void> {
  await q.query(
    `INSERT INTO member_agreement (member_id, kind, version, signed_via) VALUES ($1, $2, $3, $4)
     ON CONFLICT (member_id, kind, version) DO NOTHING`,
    [a.memberId, a.kind, a.version, a.signedVia],
  );
}

export function agreementsOf(q: Queryable, memberId: bigint): Promise<AgreementRow[]> {
  return q.query<AgreementRow>('SELECT * FROM member_agreement WHERE member_id = $1 ORDER BY id', [memberId]);
}

export async function agreementOf(
  q: Queryable,
  memberId: bigint,
  id: bigint,
): Promise<AgreementRow | undefined> {
  return (
    await q.query<AgreementRow>('SELECT * FROM member_agreement WHERE member_id = $1 AND id = $2', [
      memberId,
      id,
    ])
  )[0];
}

// ---------- transfers ----------

export interface TransferRow {
  id: bigint;
  transfer_no: string;
  merchant_id: bigint;
  app_id: bigint;
  mch_transfer_no: string;
  request_hash: string;
  from_member_id: bigint;
  to_member_id: bigint;
  amount: bigint;
  currency: string;
  remark: string | null;
  state: 'succeeded';
  created_at: Date;
}

export interface NewTransfer {
  merchantId: bigint;
  appId: bigint;
  mchTransferNo: string;
  requestHash: string;
  fromMemberId: bigint;
  toMemberId: bigint;
  amount: bigint;
  currency: string;
  remark: string | null;
}

/** Inserts a transfer; undefined when the app's transferNo is taken (a racing retry won). */
export async function insertTransfer(q: Queryable, t: NewTransfer): Promise<TransferRow | undefined> {
  return (
    await q.query<TransferRow>(
      `INSERT INTO member_transfer (transfer_no, merchant_id, app_id, mch_transfer_no, request_hash, from_member_id,
         to_member_id, amount, currency, remark)
       VALUES ('MT' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYMMDDHH24MISS')
                 || lpad((nextval('member_transfer_no_seq') % 100000000)::text, 8, '0'),
               $1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (app_id, mch_transfer_no) DO NOTHING RETURNING *`,
      [
        t.merchantId,
        t.appId,
        t.mchTransferNo,
        t.requestHash,
        t.fromMemberId,
        t.toMemberId,
        t.amount,
        t.currency,
        t.remark,
      ],
    )
  )[0];
}

export async function transferByMchNo(
  q: Queryable,
  appId: bigint,
  mchTransferNo: string,
): Promise<TransferRow | undefined> {
  return (
    await q.query<TransferRow>('SELECT * FROM member_transfer WHERE app_id = $1 AND mch_transfer_no = $2', [
      appId,
      mchTransferNo,
    ])
  )[0];
}

/** A merchant's transfers, newest first (keyset on id). */
export function listTransfers(
  q: Queryable,
  f: { merchantId: bigint; memberId?: bigint; beforeId?: bigint; limit: number },
): Promise<TransferRow[]> {
  return q.query<TransferRow>(
    `SELECT * FROM member_transfer
     WHERE merchant_id = $1 AND ($2::bigint IS NULL OR from_member_id = $2 OR to_member_id = $2)
       AND ($3::bigint IS NULL OR id < $3)
     ORDER BY id DESC LIMIT $4`,
    [f.merchantId, f.memberId ?? null, f.beforeId ?? null, f.limit],
  );
}

/** Whether a merchant (or one app of it) has members: such a merchant or app is never purged from the recycle bin. */
export async function membersReferTo(
  q: Queryable,
  f: { merchantId?: bigint; appId?: bigint },
): Promise<boolean> {
  const rows = await q.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM member WHERE ($1::bigint IS NULL OR merchant_id = $1)
       AND ($2::bigint IS NULL OR app_id = $2)) AS found`,
    [f.merchantId ?? null, f.appId ?? null],
  );
  return rows[0]!.found;
}

// ---------- statistics ----------

/** The SQL of a merchant's members' ids, for the withdrawals' statistics; `merchant` is its parameter. */
export function membersOfMerchantSql(merchant: string): string {
  return `SELECT m.id FROM member m WHERE m.merchant_id = ${merchant}`;
}

/** A merchant's transfers between members made in [from, to), per local day. */
export function transfersByDay(
  q: Queryable,
  f: { merchantId: bigint; from: Date; to: Date; timeZone: string },
) {
  return q.query<{ day: string; count: bigint; amount: bigint }>(
    `SELECT to_char(created_at AT TIME ZONE $4, 'YYYY-MM-DD') AS day, count(*)::bigint AS count,
       sum(amount)::bigint AS amount
     FROM member_transfer WHERE merchant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1`,
    [f.merchantId, f.from, f.to, f.timeZone],
  );
}
