import type { Queryable } from '../db/index.ts';

export interface SplitRuleRow {
  id: bigint;
  rule_no: string;
  merchant_id: bigint;
  app_id: string;
  name: string;
  receiver_kind: 'payee' | 'member';
  receiver_member_id: bigint | null;
  state: 'enabled' | 'disabled';
  created_at: Date;
  updated_at: Date;
}

export interface SplitRulePartyRow {
  id: bigint;
  rule_id: bigint;
  position: number;
  party_kind: 'merchant' | 'member';
  member_id: bigint | null;
  basis: 'ppm' | 'fixed';
  value: bigint;
  floor_amount: bigint | null;
  cap_amount: bigint | null;
  agreement_state: 'pending' | 'signed' | null;
  agreement_sent_at: Date | null;
  agreement_signed_at: Date | null;
  agreement_signed_via: 'member_portal' | null;
  agreement_document: string | null;
}

export interface NewParty {
  partyKind: 'merchant' | 'member';
  memberId: bigint | null;
  basis: 'ppm' | 'fixed';
  value: bigint;
  floor: bigint | null;
  cap: bigint | null;
}

/** A commission of an order's terms, as stored (JSON: amounts as strings). */
export interface StoredParty {
  kind: 'merchant' | 'member';
  memberId: string | null;
  amount: string;
}

export type TermsState =
  | 'created'
  | 'split'
  | 'holding'
  | 'partially_released'
  | 'released'
  | 'refunded'
  | 'direct';

export interface TermsRow {
  order_id: bigint;
  order_no: string;
  merchant_id: bigint;
  currency: string;
  purpose: 'consumption' | 'recharge';
  escrow: boolean;
  rule_id: bigint | null;
  receiver_member_id: bigint;
  parties: StoredParty[];
  state: TermsState;
  net: bigint;
  held: bigint;
  released: bigint;
  refunded: bigint;
  diverted: bigint;
  paid_at: Date | null;
  auto_confirm_at: Date | null;
  created_at: Date;
}

export interface RecordRow {
  id: bigint;
  order_id: bigint;
  order_no: string;
  merchant_id: bigint;
  confirmation_id: bigint | null;
  to_kind: 'merchant' | 'member';
  to_member_id: bigint | null;
  kind: 'share' | 'commission';
  party_index: number;
  amount: bigint;
  refunded: bigint;
  currency: string;
  state: 'pending' | 'settled';
  settled_at: Date | null;
  created_at: Date;
}

export interface NewRecord {
  orderId: bigint;
  orderNo: string;
  merchantId: bigint;
  confirmationId: bigint | null;
  toKind: 'merchant' | 'member';
  toMemberId: bigint | null;
  kind: 'share' | 'commission';
  partyIndex: number;
  amount: bigint;
  currency: string;
}

export interface ConfirmationRow {
  id: bigint;
  order_id: bigint;
  confirm_no: string;
  amount: bigint;
  named: boolean;
  source: 'api' | 'portal' | 'auto';
  created_at: Date;
}

/** A part of a refund taken back from a split record, as stored (JSON: amounts as strings). */
export interface StoredRefundPart {
  recordId: string;
  /** merchant: the merchant's commission, part of the merchant's own debit. */
  account: 'member_pending' | 'member_available' | 'merchant';
  memberId: string | null;
  amount: string;
}

export interface SplitRefundRow {
  refund_no: string;
  order_id: bigint;
  from_escrow: bigint;
  parts: StoredRefundPart[];
  reversed_at: Date | null;
}

/**
 * The SQL expression, for the settlement and refund queries, of the part of an order's net that did
 * not go to the merchant's pending (split to members or held in escrow): 0 for orders without
 * marketplace terms. `order` is the alias of pay_order in the query that embeds it.
 */
export function divertedNetSql(order: string): string {
  return `COALESCE((SELECT ost.diverted FROM order_split_terms ost WHERE ost.order_id = ${order}.id), 0)`;
}

// ---------- rules ----------

export async function insertRule(
  q: Queryable,
  r: {
    ruleNo: string;
    merchantId: bigint;
    appId: string;
    name: string;
    receiverKind: 'payee' | 'member';
    receiverMemberId: bigint | null;
  },
): Promise<SplitRuleRow> {
  const rows = await q.query<SplitRuleRow>(
    `INSERT INTO split_rule (rule_no, merchant_id, app_id, name, receiver_kind, receiver_member_id)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [r.ruleNo, r.merchantId, r.appId, r.name, r.receiverKind, r.receiverMemberId],
  );
  return rows[0]!;
}

/**
 * Writes a rule's parties; answers the member parties whose agreement is (again) to be signed: new
 * ones, and signed ones whose terms changed (a signature covers the terms it was given for).
 */
export async function replaceParties(q: Queryable, ruleId: bigint, parties: NewParty[]): Promise<bigint[]> {
  // Parties keep their agreement (and its id) when the same member stays at the same place.
  const old = await q.query<SplitRulePartyRow>('SELECT * FROM split_rule_party WHERE rule_id = $1', [ruleId]);
  const kept = new Set<bigint>();
  const toSign: bigint[] = [];
  for (const [position, p] of parties.entries()) {
    const same = old.find(
      (o) => o.position === position && o.party_kind === p.partyKind && o.member_id === p.memberId,
    );
    if (same) {
      kept.add(same.id);
      const changed =
        same.basis !== p.basis ||
        same.value !== p.value ||
        same.floor_amount !== p.floor ||
        same.cap_amount !== p.cap;
      const unsign = changed && same.agreement_state === 'signed';
      await q.query(
        `UPDATE split_rule_party SET basis = $2, value = $3, floor_amount = $4, cap_amount = $5,
           agreement_state = CASE WHEN $6::boolean THEN 'pending' ELSE agreement_state END,
           agreement_sent_at = CASE WHEN $6::boolean THEN now() ELSE agreement_sent_at END,
           agreement_signed_at = CASE WHEN $6::boolean THEN NULL ELSE agreement_signed_at END,
           agreement_signed_via = CASE WHEN $6::boolean THEN NULL ELSE agreement_signed_via END,
           agreement_document = CASE WHEN $6::boolean THEN NULL ELSE agreement_document END
         WHERE id = $1`,
        [same.id, p.basis, p.value, p.floor, p.cap, unsign],
      );
      if (unsign) toSign.push(same.id);
      continue;
    }
    const inserted = await q.query<{ id: bigint }>(
      `INSERT INTO split_rule_party (rule_id, position, party_kind, member_id, basis, value, floor_amount,
         cap_amount, agreement_state, agreement_sent_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $3 = 'member' THEN now() END) RETURNING id`,
      [
        ruleId,
        position,
        p.partyKind,
        p.memberId,
        p.basis,
        p.value,
        p.floor,
        p.cap,
        p.partyKind === 'member' ? 'pending' : null,
      ],
    );
    if (p.partyKind === 'member') toSign.push(inserted[0]!.id);
  }
  const gone = old.filter((o) => !kept.has(o.id)).map((o) => o.id.toString());
  if (gone.length > 0) await q.query('DELETE FROM split_rule_party WHERE id = ANY($1::bigint[])', [gone]);
  return toSign;
}

export async function updateRuleName(q: Queryable, id: bigint, name: string): Promise<void> {
  await q.query('UPDATE split_rule SET name = $2, updated_at = now() WHERE id = $1', [id, name]);
}

export async function setRuleState(q: Queryable, id: bigint, state: 'enabled' | 'disabled'): Promise<void> {
  await q.query('UPDATE split_rule SET state = $2, updated_at = now() WHERE id = $1', [id, state]);
}

export async function findRule(q: Queryable, merchantId: bigint, ruleNo: string) {
  return (
    await q.query<SplitRuleRow>('SELECT * FROM split_rule WHERE merchant_id = $1 AND rule_no = $2', [
      merchantId,
      ruleNo,
    ])
  )[0];
}

export async function findRuleById(q: Queryable, id: bigint) {
  return (await q.query<SplitRuleRow>('SELECT * FROM split_rule WHERE id = $1', [id]))[0];
}

/** A merchant's rules, newest first (a merchant has tens, not thousands: one page). */
export function listRules(q: Queryable, merchantId: bigint, limit: number) {
  return q.query<SplitRuleRow>('SELECT * FROM split_rule WHERE merchant_id = $1 ORDER BY id DESC LIMIT $2', [
    merchantId,
    limit,
  ]);
}

export function partiesOf(q: Queryable, ruleIds: bigint[]) {
  return q.query<SplitRulePartyRow>(
    'SELECT * FROM split_rule_party WHERE rule_id = ANY($1::bigint[]) ORDER BY rule_id, position',
    [ruleIds.map(String)],
  );
}

export async function markAgreementSent(q: Queryable, ruleId: bigint, partyId: bigint) {
  return (
    await q.query<SplitRulePartyRow>(
      `UPDATE split_rule_party SET agreement_sent_at = now()
       WHERE id = $1 AND rule_id = $2 AND party_kind = 'member' RETURNING *`,
      [partyId, ruleId],
    )
  )[0];
}

// ---------- order terms ----------

export async function insertTerms(
  q: Queryable,
  t: {
    orderId: bigint;
    orderNo: string;
    merchantId: bigint;
    currency: string;
    purpose: 'consumption' | 'recharge';
    escrow: boolean;
    ruleId: bigint | null;
    receiverMemberId: bigint;
    parties: StoredParty[];
  },
): Promise<void> {
  await q.query(
    `INSERT INTO order_split_terms (order_id, order_no, merchant_id, currency, purpose, escrow, rule_id,
       receiver_member_id, parties)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) ON CONFLICT (order_id) DO NOTHING`,
    [
      t.orderId,
      t.orderNo,
      t.merchantId,
      t.currency,
      t.purpose,
      t.escrow,
      t.ruleId,
      t.receiverMemberId,
      JSON.stringify(t.parties),
    ],
  );
}

export function termsOfOrders(q: Queryable, orderIds: bigint[]) {
  return q.query<TermsRow>('SELECT * FROM order_split_terms WHERE order_id = ANY($1::bigint[])', [
    orderIds.map(String),
  ]);
}

export async function lockTerms(q: Queryable, orderId: bigint) {
  return (
    await q.query<TermsRow>('SELECT * FROM order_split_terms WHERE order_id = $1 FOR UPDATE', [orderId])
  )[0];
}

export async function findTermsByOrderNo(q: Queryable, merchantId: bigint, orderNo: string) {
  return (
    await q.query<TermsRow>('SELECT * FROM order_split_terms WHERE merchant_id = $1 AND order_no = $2', [
      merchantId,
      orderNo,
    ])
  )[0];
}

export async function updateTerms(
  q: Queryable,
  orderId: bigint,
  set: {
    state: TermsState;
    net: bigint;
    held: bigint;
    released: bigint;
    refunded: bigint;
    diverted: bigint;
    paidAt: Date | null;
    autoConfirmAt: Date | null;
  },
): Promise<void> {
  await q.query(
    `UPDATE order_split_terms SET state = $2, net = $3, held = $4, released = $5, refunded = $6,
       diverted = $7, paid_at = $8, auto_confirm_at = $9 WHERE order_id = $1`,
    [
      orderId,
      set.state,
      set.net,
      set.held,
      set.released,
      set.refunded,
      set.diverted,
      set.paidAt,
      set.autoConfirmAt,
    ],
  );
}

/** A merchant's escrow orders, newest first, from a cursor (an order id). */
export function listEscrows(
  q: Queryable,
  merchantId: bigint,
  f: { state?: TermsState; before?: bigint; limit: number },
) {
  return q.query<TermsRow>(
    `SELECT * FROM order_split_terms
     WHERE merchant_id = $1 AND escrow AND state <> 'created'
       AND ($2::text IS NULL OR state = $2)
       AND ($3::bigint IS NULL OR order_id < $3)
     ORDER BY order_id DESC LIMIT $4`,
    [merchantId, f.state ?? null, f.before ?? null, f.limit],
  );
}

/** Escrow orders whose automatic confirmation is due. */
export function escrowsDue(q: Queryable, now: Date, limit: number) {
  return q.query<{ order_id: bigint; order_no: string; merchant_id: bigint }>(
    `SELECT order_id, order_no, merchant_id FROM order_split_terms
     WHERE escrow AND state IN ('holding', 'partially_released') AND auto_confirm_at <= $1
     ORDER BY auto_confirm_at LIMIT $2`,
    [now, limit],
  );
}

// ---------- confirmations ----------

export async function insertConfirmation(
  q: Queryable,
  c: {
    orderId: bigint;
    confirmNo: string;
    amount: bigint;
    named: boolean;
    source: 'api' | 'portal' | 'auto';
  },
): Promise<ConfirmationRow | undefined> {
  return (
    await q.query<ConfirmationRow>(
      `INSERT INTO escrow_confirmation (order_id, confirm_no, amount, named, source)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id, confirm_no) DO NOTHING RETURNING *`,
      [c.orderId, c.confirmNo, c.amount, c.named, c.source],
    )
  )[0];
}

export async function findConfirmation(q: Queryable, orderId: bigint, confirmNo: string) {
  return (
    await q.query<ConfirmationRow>(
      'SELECT * FROM escrow_confirmation WHERE order_id = $1 AND confirm_no = $2',
      [orderId, confirmNo],
    )
  )[0];
}

export function confirmationsOf(q: Queryable, orderIds: bigint[]) {
  return q.query<ConfirmationRow>(
    'SELECT * FROM escrow_confirmation WHERE order_id = ANY($1::bigint[]) ORDER BY id',
    [orderIds.map(String)],
  );
}

// ---------- records ----------

export async function insertRecords(q: Queryable, records: NewRecord[]): Promise<RecordRow[]> {
  if (records.length === 0) return [];
  return q.query<RecordRow>(
    `INSERT INTO split_record (order_id, order_no, merchant_id, confirmation_id, to_kind, to_member_id, kind,
       party_index, amount, currency)
     SELECT o, n, m, NULLIF(c, '')::bigint, tk, NULLIF(tm, '')::bigint, k, pi, a, cu
     FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
       $7::text[], $8::int[], $9::bigint[], $10::text[]) AS r(o, n, m, c, tk, tm, k, pi, a, cu)
     RETURNING *`,
    [
      records.map((r) => r.orderId.toString()),
      records.map((r) => r.orderNo),
      records.map((r) => r.merchantId.toString()),
      records.map((r) => r.confirmationId?.toString() ?? ''),
      records.map((r) => r.toKind),
      records.map((r) => r.toMemberId?.toString() ?? ''),
      records.map((r) => r.kind),
      records.map((r) => r.partyIndex.toString()),
      records.map((r) => r.amount.toString()),
      records.map((r) => r.currency),
    ],
  );
}

export function recordsOfOrder(q: Queryable, orderId: bigint, lock = false) {
  return q.query<RecordRow>(
    `SELECT * FROM split_record WHERE order_id = $1 ORDER BY id${lock ? ' FOR UPDATE' : ''}`,
    [orderId],
  );
}

export function recordsOfOrders(q: Queryable, orderIds: bigint[]) {
  return q.query<RecordRow>('SELECT * FROM split_record WHERE order_id = ANY($1::bigint[]) ORDER BY id', [
    orderIds.map(String),
  ]);
}

export async function addRecordRefunded(
  q: Queryable,
  parts: { id: bigint; amount: bigint }[],
): Promise<void> {
  if (parts.length === 0) return;
  await q.query(
    `UPDATE split_record r SET refunded = r.refunded + p.amount
     FROM unnest($1::bigint[], $2::bigint[]) AS p(id, amount) WHERE r.id = p.id`,
    [parts.map((p) => p.id.toString()), parts.map((p) => p.amount.toString())],
  );
}

/** The oldest unsettled records, locked (skipping those another run holds). */
export function lockUnsettledRecords(q: Queryable, limit: number) {
  return q.query<RecordRow>(
    `SELECT * FROM split_record WHERE state = 'pending' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
}

export async function markRecordsSettled(q: Queryable, ids: bigint[]): Promise<void> {
  if (ids.length === 0) return;
  await q.query(
    `UPDATE split_record SET state = 'settled', settled_at = now() WHERE id = ANY($1::bigint[]) AND state = 'pending'`,
    [ids.map(String)],
  );
}

/**
 * A merchant's split records: all it split out, or those to one member; newest first from a cursor
 * (a record id), within created_at bounds.
 */
export function listRecords(
  q: Queryable,
  f: { merchantId: bigint; memberId?: bigint; from?: Date; to?: Date; before?: bigint; limit: number },
) {
  return q.query<RecordRow>(
    `SELECT * FROM split_record
     WHERE merchant_id = $1 AND ($2::bigint IS NULL OR to_member_id = $2)
       AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at < $4)
       AND ($5::bigint IS NULL OR id < $5)
     ORDER BY id DESC LIMIT $6`,
    [f.merchantId, f.memberId ?? null, f.from ?? null, f.to ?? null, f.before ?? null, f.limit],
  );
}

// ---------- refunds ----------

export async function insertSplitRefund(
  q: Queryable,
  r: { refundNo: string; orderId: bigint; fromEscrow: bigint; parts: StoredRefundPart[] },
): Promise<void> {
  await q.query(
    `INSERT INTO split_refund (refund_no, order_id, from_escrow, parts) VALUES ($1, $2, $3, $4::jsonb)`,
    [r.refundNo, r.orderId, r.fromEscrow, JSON.stringify(r.parts)],
  );
}

export async function findSplitRefund(q: Queryable, refundNo: string) {
  return (await q.query<SplitRefundRow>('SELECT * FROM split_refund WHERE refund_no = $1', [refundNo]))[0];
}

/** Marks a split refund given back; undefined when it was already (or never existed). */
export async function markSplitRefundReversed(q: Queryable, refundNo: string) {
  return (
    await q.query<SplitRefundRow>(
      `UPDATE split_refund SET reversed_at = now() WHERE refund_no = $1 AND reversed_at IS NULL RETURNING *`,
      [refundNo],
    )
  )[0];
}

// ---------- statistics ----------

/**
 * The SQL condition, for the refunds' statistics, that an order carries marketplace terms. `orderId`
 * is the expression of the order's id in the query that embeds it.
 */
export function marketplaceOrderSql(orderId: string): string {
  return `EXISTS (SELECT 1 FROM order_split_terms ost WHERE ost.order_id = ${orderId})`;
}

/**
 * A merchant's marketplace orders paid in [from, to), per local day and kind: recharge, escrow or
 * consumption (a payee or rule without escrow). Amount and fee are the order's (pay_order, read by
 * its key); commission is what the merchant's own commission records kept after refunds, counted on
 * the order's day even when an escrow released it later.
 */
export function inflowByDay(
  q: Queryable,
  f: { merchantId: bigint; from: Date; to: Date; timeZone: string; includeTest: boolean },
) {
  return q.query<{
    day: string;
    kind: string;
    count: bigint;
    amount: bigint;
    commission: bigint;
    fee: bigint;
  }>(
    `SELECT to_char(t.paid_at AT TIME ZONE $4, 'YYYY-MM-DD') AS day,
       CASE WHEN t.purpose = 'recharge' THEN 'recharge' WHEN t.escrow THEN 'escrow' ELSE 'consumption' END AS kind,
       count(*)::bigint AS count, sum(o.amount)::bigint AS amount, sum(o.fee)::bigint AS fee,
       COALESCE(sum((SELECT sum(r.amount - r.refunded) FROM split_record r
                     WHERE r.order_id = t.order_id AND r.kind = 'commission' AND r.to_kind = 'merchant')), 0)::bigint
         AS commission
     FROM order_split_terms t JOIN pay_order o ON o.id = t.order_id
     WHERE t.merchant_id = $1 AND t.paid_at >= $2 AND t.paid_at < $3 AND (NOT o.test OR $5::boolean)
     GROUP BY 1, 2`,
    [f.merchantId, f.from, f.to, f.timeZone, f.includeTest],
  );
}
