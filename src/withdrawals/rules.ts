import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { feeOf } from '../fees/fee.ts';
import { toJsonAmount } from '../money/money.ts';
import { getSetting, putSetting } from '../settings/queries.ts';
import type { WithdrawalOwner } from './owner.ts';

/** The rules a withdrawal is checked against (amounts in fen; window in local time, `24:00` = end of day). */
export interface WithdrawalRules {
  minAmount: bigint;
  maxAmount: bigint;
  fixedFee: bigint;
  feeRatePpm: number;
  windowStart: string;
  windowEnd: string;
  dailyCount: number;
  dailyAmount: bigint;
  /** A withdrawal of at least this waits for an operator's review. */
  reviewThreshold: bigint;
}

/** The platform defaults, plus whether a new bank card waits for an operator. */
export interface WithdrawalDefaults extends WithdrawalRules {
  cardChangeReview: boolean;
}

export type RuleOverrides = { [K in keyof WithdrawalRules]: WithdrawalRules[K] | null };

export const RULE_FIELDS = [
  'minAmount',
  'maxAmount',
  'fixedFee',
  'feeRatePpm',
  'windowStart',
  'windowEnd',
  'dailyCount',
  'dailyAmount',
  'reviewThreshold',
] as const satisfies readonly (keyof WithdrawalRules)[];

export const DEFAULT_WITHDRAWAL_RULES: WithdrawalDefaults = {
  minAmount: 100n,
  maxAmount: 5_000_000n,
  fixedFee: 0n,
  feeRatePpm: 0,
  windowStart: '00:00',
  windowEnd: '24:00',
  dailyCount: 10,
  dailyAmount: 50_000_000n,
  reviewThreshold: 500_000n,
  cardChangeReview: false,
};

const SETTING_KEY = 'withdrawal.rules';
export const CLOCK = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

/** Minutes since midnight of `HH:mm` (`24:00` = 1440). */
export function clockMinutes(text: string): number {
  if (!CLOCK.test(text)) throw new RangeError(`not a HH:mm time: ${text}`);
  const [h, m] = text.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** Whether a local minute of the day is inside [start, end); a start after the end wraps midnight. */
export function inWithdrawalWindow(minuteOfDay: number, start: string, end: string): boolean {
  const from = clockMinutes(start);
  const to = clockMinutes(end);
  if (from === to) return true;
  return from < to ? minuteOfDay >= from && minuteOfDay < to : minuteOfDay >= from || minuteOfDay < to;
}

/** The fee of a withdrawal: the fee rules' rounding (half up), capped at the amount. */
export function withdrawalFee(
  amount: bigint,
  rules: Pick<WithdrawalRules, 'fixedFee' | 'feeRatePpm'>,
): bigint {
  return feeOf(amount, { ratePpm: rules.feeRatePpm, fixed: rules.fixedFee, minimum: 0n });
}

/** The amount against the range; returns its fee, refused when nothing would reach the card. */
export function checkAmount(amount: bigint, rules: WithdrawalRules): bigint {
  if (amount < rules.minAmount || amount > rules.maxAmount) {
    throw new AppError('AMOUNT_OUT_OF_RANGE', 'the amount is outside the withdrawal range', {
      min: toJsonAmount(rules.minAmount),
      max: toJsonAmount(rules.maxAmount),
    });
  }
  const fee = withdrawalFee(amount, rules);
  if (fee >= amount) {
    throw new AppError('AMOUNT_OUT_OF_RANGE', 'the amount does not cover the withdrawal fee', {
      min: toJsonAmount(rules.minAmount > fee ? rules.minAmount : fee + 1n),
      max: toJsonAmount(rules.maxAmount),
    });
  }
  return fee;
}

/** Today's count and amount with this withdrawal against the daily limits. */
export function checkDailyLimits(
  used: { count: number; amount: bigint },
  amount: bigint,
  rules: WithdrawalRules,
): void {
  if (used.count + 1 > rules.dailyCount) {
    throw new AppError('DAILY_LIMIT_REACHED', "today's number of withdrawals is used up", {
      kind: 'count',
      limit: rules.dailyCount,
      used: used.count,
    });
  }
  if (used.amount + amount > rules.dailyAmount) {
    throw new AppError('DAILY_LIMIT_REACHED', "today's amount of withdrawals is used up", {
      kind: 'amount',
      limit: toJsonAmount(rules.dailyAmount),
      used: toJsonAmount(used.amount),
    });
  }
}

/** Refuses rules that cannot be met together (min above max, a malformed window). */
export function assertRules(rules: Partial<WithdrawalRules>): void {
  if (rules.minAmount !== undefined && rules.maxAmount !== undefined && rules.minAmount > rules.maxAmount) {
    throw new AppError('INVALID_REQUEST', 'maxAmount: must not be below minAmount', { field: 'maxAmount' });
  }
  for (const field of ['windowStart', 'windowEnd'] as const) {
    const v = rules[field];
    if (v !== undefined && !CLOCK.test(v))
      throw new AppError('INVALID_REQUEST', `${field}: must be HH:mm`, { field });
  }
}

interface StoredDefaults {
  [key: string]: string | number | boolean;
}

interface RuleRow {
  min_amount: bigint | null;
  max_amount: bigint | null;
  fixed_fee: bigint | null;
  fee_rate_ppm: number | null;
  window_start: string | null;
  window_end: string | null;
  daily_count: number | null;
  daily_amount: bigint | null;
  review_threshold: bigint | null;
}

const BIGINT_FIELDS = new Set(['minAmount', 'maxAmount', 'fixedFee', 'dailyAmount', 'reviewThreshold']);

/** Platform defaults (a setting) and per-merchant overrides (withdrawal_rule). */
export class WithdrawalRuleBook {
  constructor(private readonly db: Db) {}

  async defaults(q: Queryable = this.db): Promise<WithdrawalDefaults> {
    const text = await getSetting(q, SETTING_KEY);
    if (!text) return { ...DEFAULT_WITHDRAWAL_RULES };
    const stored = JSON.parse(text) as StoredDefaults;
    const out: Record<string, unknown> = { ...DEFAULT_WITHDRAWAL_RULES };
    for (const [k, v] of Object.entries(stored)) {
      if (!(k in DEFAULT_WITHDRAWAL_RULES)) continue;
      out[k] = BIGINT_FIELDS.has(k) ? BigInt(v as string) : v;
    }
    return out as unknown as WithdrawalDefaults;
  }

  async setDefaults(next: WithdrawalDefaults): Promise<WithdrawalDefaults> {
    assertRules(next);
    const stored: StoredDefaults = {};
    for (const [k, v] of Object.entries(next)) stored[k] = typeof v === 'bigint' ? v.toString() : v;
    await putSetting(this.db, SETTING_KEY, JSON.stringify(stored));
    return this.defaults();
  }

  async overridesOf(merchantId: bigint, q: Queryable = this.db): Promise<RuleOverrides> {
    const row = (
      await q.query<RuleRow>('SELECT * FROM withdrawal_rule WHERE merchant_id = $1', [merchantId])
    )[0];
    return {
      minAmount: row?.min_amount ?? null,
      maxAmount: row?.max_amount ?? null,
      fixedFee: row?.fixed_fee ?? null,
      feeRatePpm: row?.fee_rate_ppm ?? null,
      windowStart: row?.window_start ?? null,
      windowEnd: row?.window_end ?? null,
      dailyCount: row?.daily_count ?? null,
      dailyAmount: row?.daily_amount ?? null,
      reviewThreshold: row?.review_threshold ?? null,
    };
  }

  async setOverrides(merchantId: bigint, o: RuleOverrides): Promise<RuleOverrides> {
    const effective = mergeRules(await this.defaults(), o);
    assertRules(effective);
    if ((o.windowStart === null) !== (o.windowEnd === null)) {
      throw new AppError('INVALID_REQUEST', 'a time window needs both windowStart and windowEnd', {
        field: o.windowStart === null ? 'windowStart' : 'windowEnd',
      });
    }
    await this.db.query(
      `INSERT INTO withdrawal_rule (merchant_id, min_amount, max_amount, fixed_fee, fee_rate_ppm, window_start,
         window_end, daily_count, daily_amount, review_threshold)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (merchant_id) DO UPDATE SET min_amount = EXCLUDED.min_amount, max_amount = EXCLUDED.max_amount,
         fixed_fee = EXCLUDED.fixed_fee, fee_rate_ppm = EXCLUDED.fee_rate_ppm, window_start = EXCLUDED.window_start,
         window_end = EXCLUDED.window_end, daily_count = EXCLUDED.daily_count, daily_amount = EXCLUDED.daily_amount,
         review_threshold = EXCLUDED.review_threshold, updated_at = now()`,
      [
        merchantId,
        o.minAmount,
        o.maxAmount,
        o.fixedFee,
        o.feeRatePpm,
        o.windowStart,
        o.windowEnd,
        o.dailyCount,
        o.dailyAmount,
        o.reviewThreshold,
      ],
    );
    return this.overridesOf(merchantId);
  }

  /** The rules in force for a merchant: its overrides over the defaults. */
  async effective(merchantId: bigint, q: Queryable = this.db): Promise<WithdrawalRules> {
    return mergeRules(await this.defaults(q), await this.overridesOf(merchantId, q));
  }

  /**
   * The rules in force for an owner: a merchant's (with its overrides), an agent's or a member's (the
   * platform defaults: they have no overrides).
   */
  async forOwner(owner: WithdrawalOwner, q: Queryable = this.db): Promise<WithdrawalRules> {
    if (owner.kind === 'merchant') return this.effective(owner.id, q);
    const { cardChangeReview: _, ...rules } = await this.defaults(q);
    return rules;
  }
}

export function mergeRules(defaults: WithdrawalRules, o: RuleOverrides): WithdrawalRules {
  const out: Record<string, unknown> = {};
  for (const field of RULE_FIELDS) out[field] = o[field] ?? defaults[field];
  return out as unknown as WithdrawalRules;
}

/** Rules as JSON (amounts as numbers of fen). */
export function rulesJson(rules: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(rules).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]),
  );
}
