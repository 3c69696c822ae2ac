import { AppError } from '../errors.ts';
import * as settingsQueries from '../settings/queries.ts';
import type { PayoutContext } from './context.ts';
import * as queries from './queries.ts';

/** Fees and limits of third-party payouts. */
export interface PayoutRules {
  feeRatePpm: number;
  /** Fen per payout. */
  fixedFee: bigint;
  minAmount: bigint;
  maxAmount: bigint;
  /** Payouts per merchant per day (platform time zone); 0 = none allowed. */
  dailyCount: number;
  dailyAmount: bigint;
}

/** Per-merchant overrides: null = the platform's default. */
export type PayoutRuleOverrides = { [K in keyof PayoutRules]: PayoutRules[K] | null };

export const DEFAULT_PAYOUT_RULES: PayoutRules = {
  feeRatePpm: 0,
  fixedFee: 200n,
  minAmount: 100n,
  maxAmount: 5_000_000n,
  dailyCount: 100,
  dailyAmount: 50_000_000n,
};

const RULES_SETTING = 'payout.rules';

/** The platform's default payout rules (a setting) and each merchant's overrides. */
export class PayoutRulesBook {
  constructor(private readonly ctx: PayoutContext) {}

  async defaultRules(): Promise<PayoutRules> {
    const stored = await settingsQueries.getSetting(this.ctx.db, RULES_SETTING);
    if (stored === null) return DEFAULT_PAYOUT_RULES;
    const r = JSON.parse(stored) as Record<string, string | number>;
    return {
      feeRatePpm: Number(r.feeRatePpm ?? DEFAULT_PAYOUT_RULES.feeRatePpm),
      fixedFee: BigInt(r.fixedFee ?? DEFAULT_PAYOUT_RULES.fixedFee),
      minAmount: BigInt(r.minAmount ?? DEFAULT_PAYOUT_RULES.minAmount),
      maxAmount: BigInt(r.maxAmount ?? DEFAULT_PAYOUT_RULES.maxAmount),
      dailyCount: Number(r.dailyCount ?? DEFAULT_PAYOUT_RULES.dailyCount),
      dailyAmount: BigInt(r.dailyAmount ?? DEFAULT_PAYOUT_RULES.dailyAmount),
    };
  }

  async setDefaultRules(rules: PayoutRules): Promise<void> {
    if (rules.maxAmount < rules.minAmount) {
      throw new AppError('INVALID_REQUEST', 'maxAmount is below minAmount', { field: 'maxAmount' });
    }
    await settingsQueries.putSetting(
      this.ctx.db,
      RULES_SETTING,
      JSON.stringify({
        feeRatePpm: rules.feeRatePpm,
        fixedFee: rules.fixedFee.toString(),
        minAmount: rules.minAmount.toString(),
        maxAmount: rules.maxAmount.toString(),
        dailyCount: rules.dailyCount,
        dailyAmount: rules.dailyAmount.toString(),
      }),
    );
  }

  async merchantOverrides(merchantId: bigint): Promise<PayoutRuleOverrides> {
    const row = await queries.findRuleOverride(this.ctx.db, merchantId);
    return {
      feeRatePpm: row?.fee_rate_ppm ?? null,
      fixedFee: row?.fixed_fee ?? null,
      minAmount: row?.min_amount ?? null,
      maxAmount: row?.max_amount ?? null,
      dailyCount: row?.daily_count ?? null,
      dailyAmount: row?.daily_amount ?? null,
    };
  }

  async setMerchantOverrides(merchantId: bigint, o: PayoutRuleOverrides): Promise<void> {
    await queries.putRuleOverride(this.ctx.db, merchantId, {
      fee_rate_ppm: o.feeRatePpm,
      fixed_fee: o.fixedFee,
      min_amount: o.minAmount,
      max_amount: o.maxAmount,
      daily_count: o.dailyCount,
      daily_amount: o.dailyAmount,
    });
  }

  /** A merchant's effective rules: its overrides over the platform's defaults. */
  async rulesOf(merchantId: bigint): Promise<PayoutRules> {
    const [defaults, o] = await Promise.all([this.defaultRules(), this.merchantOverrides(merchantId)]);
    return {
      feeRatePpm: o.feeRatePpm ?? defaults.feeRatePpm,
      fixedFee: o.fixedFee ?? defaults.fixedFee,
      minAmount: o.minAmount ?? defaults.minAmount,
      maxAmount: o.maxAmount ?? defaults.maxAmount,
      dailyCount: o.dailyCount ?? defaults.dailyCount,
      dailyAmount: o.dailyAmount ?? defaults.dailyAmount,
    };
  }
}
