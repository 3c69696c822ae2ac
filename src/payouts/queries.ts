import type { Queryable } from '../db/index.ts';

/** Payout orders, their attempts, rules and daily usage (migration 021). */

export type PayoutKind = 'withdrawal' | 'payout';
export const PAYOUT_STATES = ['pending', 'submitted', 'succeeded', 'failed'] as const;
export type PayoutState = (typeof PAYOUT_STATES)[number];

export interface PayoutRow {
  id: bigint;
  payout_no: string;
  kind: PayoutKind;
  /** One of merchant_id / agent_id / member_id: whose payout it is (an agent's or a member's only pays its withdrawal). */
  merchant_id: bigint | null;
  agent_id: bigint | null;
  member_id: bigint | null;
  app_id: string | null;
  mch_payout_no: string | null;
  request_hash: string | null;
  withdrawal_id: bigint | null;
  withdraw_no: string | null;
  amount: bigint;
  fee: bigint;
  debit: bigint;
  currency: string;
  payee_name: string;
  payee_account_no_enc: string;
  payee_account_tail: string;
  payee_bank_name: string;
  payee_bank_branch: string | null;
  payee_type: 'personal' | 'corporate';
  remark: string | null;
  notify_url: string | null;
  test: boolean;
  state: PayoutState;
  channel_account_id: bigint | null;
  channel_payout_no: string | null;
  channel_state: string | null;
  failure_code: string | null;
  reason: string | null;
  created_at: Date;
  submitted_at: Date | null;
  paid_at: Date | null;
  failed_at: Date | null;
  last_query_at: Date | null;
  updated_at: Date;
}

export type NewPayout = Omit<
  PayoutRow,
  | 'payout_no'
  | 'state'
  | 'channel_account_id'
  | 'channel_payout_no'
  | 'channel_state'
  | 'failure_code'
  | 'reason'
  | 'created_at'
  | 'submitted_at'
  | 'paid_at'
  | 'failed_at'
  | 'last_query_at'
  | 'updated_at'
>;

/** The id the next payout will have: the payee's account number is sealed to its row before it is written. */
export async function nextPayoutId(q: Queryable): Promise<bigint> {
  const rows = await q.query<{ id: bigint }>(
    `SELECT nextval(pg_get_serial_sequence('payout_order', 'id')) AS id`,
  );
  return rows[0]!.id;
}

/** Inserts a payout; null when (merchant, mchPayoutNo) is taken (a concurrent request won). */
export async function insertPayout(q: Queryable, p: NewPayout): Promise<PayoutRow | null> {
  const rows = await q.query<PayoutRow>(
    `INSERT INTO payout_order (id, payout_no, kind, merchant_id, app_id, mch_payout_no, request_hash, withdrawal_id,
       withdraw_no, amount, fee, debit, currency, payee_name, payee_account_no_enc, payee_account_tail,
       payee_bank_name, payee_bank_branch, payee_type, remark, notify_url, test, agent_id, member_id)
     VALUES ($1, 'P' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYMMDDHH24MISS')
                 || lpad((nextval('payout_no_seq') % 100000000)::text, 8, '0'),
             $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
     ON CONFLICT (merchant_id, mch_payout_no) DO NOTHING RETURNING *`,
    [
      p.id,
      p.kind,
      p.merchant_id,
      p.app_id,
      p.mch_payout_no,
      p.request_hash,
      p.withdrawal_id,
      p.withdraw_no,
      p.amount,
      p.fee,
      p.debit,
      p.currency,
      p.payee_name,
      p.payee_account_no_enc,
      p.payee_account_tail,
      p.payee_bank_name,
      p.payee_bank_branch,
      p.payee_type,
      p.remark,
      p.notify_url,
      p.test,
      p.agent_id,
      p.member_id,
    ],
  );
  return rows[0] ?? null;
}

export async function findByPayoutNo(q: Queryable, payoutNo: string): Promise<PayoutRow | null> {
  const rows = await q.query<PayoutRow>('SELECT * FROM payout_order WHERE payout_no = $1', [payoutNo]);
  return rows[0] ?? null;
}

export async function findByMchPayoutNo(
  q: Queryable,
  merchantId: bigint,
  mchPayoutNo: string,
): Promise<PayoutRow | null> {
  const rows = await q.query<PayoutRow>(
    'SELECT * FROM payout_order WHERE merchant_id = $1 AND mch_payout_no = $2',
    [merchantId, mchPayoutNo],
  );
  return rows[0] ?? null;
}

/** Records the account chosen for a pending payout that has none yet; false when another node chose first. */
export async function chooseAccount(q: Queryable, id: bigint, accountId: bigint): Promise<PayoutRow | null> {
  const rows = await q.query<PayoutRow>(
    `UPDATE payout_order SET channel_account_id = $2, updated_at = now()
     WHERE id = $1 AND state = 'pending' AND channel_account_id IS NULL RETURNING *`,
    [id, accountId],
  );
  return rows[0] ?? null;
}

/** Notes what the channel last said (no state change). */
export async function noteChannelState(
  q: Queryable,
  id: bigint,
  channelState: string,
  channelPayoutNo: string | null,
): Promise<void> {
  await q.query(
    `UPDATE payout_order SET channel_state = $2, channel_payout_no = COALESCE($3, channel_payout_no),
       updated_at = now() WHERE id = $1`,
    [id, channelState, channelPayoutNo],
  );
}

/** pending → submitted (compare-and-set). */
export async function markSubmitted(
  q: Queryable,
  id: bigint,
  channelPayoutNo: string | null,
): Promise<PayoutRow | null> {
  const rows = await q.query<PayoutRow>(
    `UPDATE payout_order SET state = 'submitted', submitted_at = now(), channel_state = 'submitted',
       channel_payout_no = COALESCE($2, channel_payout_no), updated_at = now()
     WHERE id = $1 AND state = 'pending' RETURNING *`,
    [id, channelPayoutNo],
  );
  return rows[0] ?? null;
}

/** pending / submitted → succeeded or failed (compare-and-set). */
export async function markFinal(
  q: Queryable,
  id: bigint,
  to: 'succeeded' | 'failed',
  f: {
    channelPayoutNo: string | null;
    channelState: string | null;
    failureCode: string | null;
    reason: string | null;
  },
): Promise<PayoutRow | null> {
  const rows = await q.query<PayoutRow>(
    `UPDATE payout_order SET state = $2,
       paid_at = CASE WHEN $2 = 'succeeded' THEN now() ELSE paid_at END,
       failed_at = CASE WHEN $2 = 'failed' THEN now() ELSE failed_at END,
       submitted_at = CASE WHEN $2 = 'succeeded' THEN COALESCE(submitted_at, now()) ELSE submitted_at END,
       channel_payout_no = COALESCE($3, channel_payout_no), channel_state = COALESCE($4, channel_state),
       failure_code = $5, reason = $6, updated_at = now()
     WHERE id = $1 AND state IN ('pending', 'submitted') RETURNING *`,
    [id, to, f.channelPayoutNo, f.channelState, f.failureCode, f.reason],
  );
  return rows[0] ?? null;
}

export interface AttemptInput {
  payoutId: bigint;
  action: string;
  outcome: string;
  channelAccountId: bigint | null;
  code?: string | null;
  message?: string | null;
}

export async function insertAttempt(q: Queryable, a: AttemptInput): Promise<void> {
  await q.query(
    `INSERT INTO payout_attempt (payout_id, action, outcome, channel_account_id, code, message)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [a.payoutId, a.action, a.outcome, a.channelAccountId, a.code ?? null, a.message?.slice(0, 500) ?? null],
  );
}

export interface AttemptRow {
  id: bigint;
  action: string;
  outcome: string;
  channel_account_id: bigint | null;
  code: string | null;
  message: string | null;
  created_at: Date;
}

export function attemptsOf(q: Queryable, payoutId: bigint) {
  return q.query<AttemptRow>('SELECT * FROM payout_attempt WHERE payout_id = $1 ORDER BY id', [payoutId]);
}

/**
 * Claims open payouts untouched for a while: submitted ones, pending ones with an account (their
 * answer was lost) and pending ones without (never sent). Claiming moves last_query_at, so another
 * node skips them.
 */
export function claimDueForQuery(q: Queryable, olderThanSeconds: number, limit: number) {
  return q.query<PayoutRow>(
    `UPDATE payout_order SET last_query_at = now()
     WHERE id IN (SELECT id FROM payout_order
                  WHERE state IN ('pending', 'submitted')
                    AND updated_at < now() - make_interval(secs => $1)
                    AND (last_query_at IS NULL OR last_query_at < now() - make_interval(secs => $1))
                  ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [olderThanSeconds, limit],
  );
}

/** Adds a payout to the merchant's day (locking the day's row) and returns the day's totals with it. */
export async function addDailyUsage(
  q: Queryable,
  merchantId: bigint,
  day: string,
  amount: bigint,
): Promise<{ count: number; amount: bigint }> {
  const rows = await q.query<{ count: number; amount: bigint }>(
    `INSERT INTO payout_daily_usage (merchant_id, day, count, amount) VALUES ($1, $2::date, 1, $3)
     ON CONFLICT (merchant_id, day) DO UPDATE SET count = payout_daily_usage.count + 1,
       amount = payout_daily_usage.amount + EXCLUDED.amount
     RETURNING count, amount`,
    [merchantId, day, amount],
  );
  return { count: Number(rows[0]!.count), amount: BigInt(rows[0]!.amount) };
}

export interface RuleOverrideRow {
  fee_rate_ppm: number | null;
  fixed_fee: bigint | null;
  min_amount: bigint | null;
  max_amount: bigint | null;
  daily_count: number | null;
  daily_amount: bigint | null;
}

export async function findRuleOverride(q: Queryable, merchantId: bigint): Promise<RuleOverrideRow | null> {
  const rows = await q.query<RuleOverrideRow>(
    `SELECT fee_rate_ppm, fixed_fee, min_amount, max_amount, daily_count, daily_amount
     FROM merchant_payout_rule WHERE merchant_id = $1`,
    [merchantId],
  );
  return rows[0] ?? null;
}

export async function putRuleOverride(q: Queryable, merchantId: bigint, r: RuleOverrideRow): Promise<void> {
  await q.query(
    `INSERT INTO merchant_payout_rule (merchant_id, fee_rate_ppm, fixed_fee, min_amount, max_amount, daily_count, daily_amount)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (merchant_id) DO UPDATE SET fee_rate_ppm = EXCLUDED.fee_rate_ppm, fixed_fee = EXCLUDED.fixed_fee,
       min_amount = EXCLUDED.min_amount, max_amount = EXCLUDED.max_amount, daily_count = EXCLUDED.daily_count,
       daily_amount = EXCLUDED.daily_amount, updated_at = now()`,
    [merchantId, r.fee_rate_ppm, r.fixed_fee, r.min_amount, r.max_amount, r.daily_count, r.daily_amount],
  );
}

/** The owner's numbers and names beside a payout: a merchant's, an agent's or a member's. */
export interface PayoutOwnerNames {
  mch_no: string | null;
  merchant_name: string | null;
  agent_no: string | null;
  agent_name: string | null;
  member_no: string | null;
  member_name: string | null;
}

export interface PayoutFilter {
  merchantId?: bigint;
  agentId?: bigint;
  /** Only merchants', agents' or members' (the operators' filter). */
  ownerKind?: 'merchant' | 'agent' | 'member';
  state?: PayoutState;
  kind?: PayoutKind;
  /** A payout number, merchant payout number or withdrawal number (exact). */
  search?: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

export type PayoutMatch = Omit<PayoutFilter, 'limit' | 'offset'>;

/** The consoles' payout filters as a WHERE clause over `payout_order p` and its parameters. */
function payoutWhere(f: PayoutMatch) {
  const where: string[] = [];
  const params: (string | bigint | Date | number)[] = [];
  const add = (sql: string, value: string | bigint | Date) => {
    params.push(value);
    where.push(sql.replaceAll('?', `$${params.length}`));
  };
  if (f.merchantId !== undefined) add('p.merchant_id = ?', f.merchantId);
  if (f.agentId !== undefined) add('p.agent_id = ?', f.agentId);
  if (f.ownerKind)
    add(
      `?::text = CASE WHEN p.agent_id IS NOT NULL THEN 'agent' WHEN p.member_id IS NOT NULL THEN 'member' ELSE 'merchant' END`,
      f.ownerKind,
    );
  if (f.state) add('p.state = ?', f.state);
  if (f.kind) add('p.kind = ?', f.kind);
  if (f.search) add('(p.payout_no = ? OR p.mch_payout_no = ? OR p.withdraw_no = ?)', f.search);
  if (f.from) add('p.created_at >= ?', f.from);
  if (f.to) add('p.created_at < ?', f.to);
  return { where, params };
}

const PAYOUT_WITH_OWNERS = `SELECT p.*, m.mch_no, m.name AS merchant_name, g.agent_no, g.name AS agent_name,
       mb.member_no, mb.name AS member_name
     FROM payout_order p LEFT JOIN merchant m ON m.id = p.merchant_id LEFT JOIN agent g ON g.id = p.agent_id
       LEFT JOIN member mb ON mb.id = p.member_id`;

export async function listPayouts(
  q: Queryable,
  f: PayoutFilter,
): Promise<{ items: (PayoutRow & PayoutOwnerNames)[]; total: number }> {
  const { where, params } = payoutWhere(f);
  const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const total = await q.query<{ n: bigint }>(`SELECT count(*) AS n FROM payout_order p ${clause}`, params);
  params.push(f.limit, f.offset);
  const items = await q.query<PayoutRow & PayoutOwnerNames>(
    `${PAYOUT_WITH_OWNERS}
     ${clause} ORDER BY p.created_at DESC, p.id DESC LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return { items, total: Number(total[0]!.n) };
}

/** How many payouts match the list's filters (an export's size). */
export async function countPayouts(q: Queryable, f: PayoutMatch): Promise<number> {
  const { where, params } = payoutWhere(f);
  const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const rows = await q.query<{ n: bigint }>(
    `SELECT count(*)::bigint AS n FROM payout_order p ${clause}`,
    params,
  );
  return Number(rows[0]!.n);
}

/** The matching payouts after `afterId` in id order, with their owners' names (an export's keyset page). */
export function payoutsAfter(q: Queryable, f: PayoutMatch, afterId: bigint, limit: number) {
  const { where, params } = payoutWhere(f);
  params.push(afterId);
  where.push(`p.id > $${params.length}`);
  params.push(limit);
  return q.query<PayoutRow & PayoutOwnerNames>(
    `${PAYOUT_WITH_OWNERS} WHERE ${where.join(' AND ')} ORDER BY p.id LIMIT $${params.length}`,
    params,
  );
}

/** Payouts per state and their ledger transactions, for the ledger check. */
export async function countByState(q: Queryable) {
  const rows = await q.query<{ total: bigint; succeeded: bigint; failed: bigint; api: bigint }>(
    `SELECT count(*)::bigint AS total, count(*) FILTER (WHERE state = 'succeeded')::bigint AS succeeded,
       count(*) FILTER (WHERE state = 'failed')::bigint AS failed,
       count(*) FILTER (WHERE kind = 'payout')::bigint AS api FROM payout_order`,
  );
  return rows[0]!;
}

/** Per merchant and currency, what third-party payouts still hold frozen (a withdrawal's payout is its withdrawal's). */
export function sumOpenApiDebitsByMerchant(q: Queryable) {
  return q.query<{ merchant_id: bigint; currency: string; amount: bigint }>(
    `SELECT merchant_id, currency, sum(debit)::bigint AS amount FROM payout_order
     WHERE kind = 'payout' AND state IN ('pending', 'submitted') GROUP BY merchant_id, currency`,
  );
}

/** A merchant's third-party payouts asked for, paid or failed in [from, to) (a statement's day). */
export function merchantPayoutsBetween(q: Queryable, merchantId: bigint, from: Date, to: Date) {
  return q.query<{
    payout_no: string;
    mch_payout_no: string | null;
    created_at: Date;
    amount: bigint;
    fee: bigint;
    currency: string;
    state: string;
    payee_name: string;
    payee_bank_name: string;
    payee_account_tail: string;
    paid_at: Date | null;
    failed_at: Date | null;
    test: boolean;
  }>(
    `SELECT payout_no, mch_payout_no, created_at, amount, fee, currency, state, payee_name, payee_bank_name,
            payee_account_tail, paid_at, failed_at, test
     FROM payout_order WHERE merchant_id = $1 AND kind = 'payout' AND (
       (created_at >= $2 AND created_at < $3) OR (paid_at >= $2 AND paid_at < $3) OR (failed_at >= $2 AND failed_at < $3))
     ORDER BY created_at, id`,
    [merchantId, from.toISOString(), to.toISOString()],
  );
}

/** A merchant's third-party payouts asked for in [from, to) summed per local day (a month's statement). */
export function merchantPayoutDays(q: Queryable, merchantId: bigint, from: Date, to: Date, timeZone: string) {
  return q.query<{ day: string; payouts: bigint; amount: bigint; fee: bigint }>(
    `SELECT (created_at AT TIME ZONE $4)::date::text AS day, count(*)::bigint AS payouts,
            sum(amount)::bigint AS amount, sum(fee)::bigint AS fee
     FROM payout_order WHERE merchant_id = $1 AND kind = 'payout' AND created_at >= $2 AND created_at < $3
     GROUP BY 1 ORDER BY 1`,
    [merchantId, from.toISOString(), to.toISOString(), timeZone],
  );
}

/** Whether a payout was made for a merchant or through one of these channel accounts (the recycle bin never purges them). */
export async function payoutsReferTo(
  q: Queryable,
  refs: { merchantId?: bigint; channelAccountIds?: bigint[] },
): Promise<boolean> {
  const rows = await q.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM payout_order WHERE merchant_id = $1)
         OR EXISTS (SELECT 1 FROM payout_order WHERE channel_account_id = ANY($2::bigint[])) AS found`,
    [refs.merchantId ?? null, (refs.channelAccountIds ?? []).map(String)],
  );
  return rows[0]!.found;
}
