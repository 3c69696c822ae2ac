import { TtlCache } from '../cache.ts';
import { type ConfigBus, forgetOn } from '../config-bus.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';

export type SettlementMode = 'platform' | 'direct';
export type SettlementCycle = 'D0' | 'D1' | 'T1' | 'TN';

/** How and when a merchant's paid orders are settled (MON-2). */
export interface SettlementTerms {
  mode: SettlementMode;
  cycle: SettlementCycle;
  /** D0: the part settled at once, ppm of the net; the rest settles D1. */
  d0Ppm: number;
  /** TN: business days after the paid day. */
  tnDays: number;
  reservePpm: number;
  reserveDays: number;
}

export const DEFAULT_TERMS: SettlementTerms = {
  mode: 'platform',
  cycle: 'D1',
  d0Ppm: 1_000_000,
  tnDays: 1,
  reservePpm: 0,
  reserveDays: 0,
};

/** Terms are read on the payment path (direct mode posts differently), so they are cached briefly. */
const TERMS_CACHE_TTL_MS = 2_000;
/** The bus topic of settlement terms (a merchant id, or none for the defaults). */
export const SETTLEMENT_TOPIC = 'settlement';

interface TermsRow {
  mode: SettlementMode;
  cycle: SettlementCycle;
  d0_ppm: number;
  tn_days: number;
  reserve_ppm: number;
  reserve_days: number;
}

/** Per-merchant settlement terms; merchants without their own have the defaults. */
export class SettlementTermsBook {
  private readonly cache = new TtlCache<SettlementTerms>(TERMS_CACHE_TTL_MS);
  private bus: ConfigBus | null = null;

  constructor(
    private readonly db: Db,
    private readonly defaults: () => Promise<SettlementTerms> = async () => DEFAULT_TERMS,
  ) {}

  termsOf(merchantId: bigint): Promise<SettlementTerms> {
    return this.cache.get(merchantId.toString(), async () => {
      const rows = await this.db.query<TermsRow>(
        'SELECT mode, cycle, d0_ppm, tn_days, reserve_ppm, reserve_days FROM settlement_terms WHERE merchant_id = $1',
        [merchantId],
      );
      const row = rows[0];
      if (!row) return this.defaults();
      return {
        mode: row.mode,
        cycle: row.cycle,
        d0Ppm: row.d0_ppm,
        tnDays: row.tn_days,
        reservePpm: row.reserve_ppm,
        reserveDays: row.reserve_days,
      };
    });
  }

  /** Forgets every cached merchant's terms (the defaults changed), here and in every other process. */
  forgetAll(): void {
    this.cache.clear();
    void this.bus?.publish(SETTLEMENT_TOPIC);
  }

  /** Every process forgets cached terms when another changes them (`settlement` on the bus). */
  attachConfigBus(bus: ConfigBus): void {
    this.bus = bus;
    forgetOn(bus, SETTLEMENT_TOPIC, (merchantId) =>
      merchantId === undefined ? this.cache.clear() : this.cache.delete(merchantId),
    );
  }

  /** Withdrawals and payouts exist only where the platform holds the funds. */
  async requirePlatformMode(merchantId: bigint): Promise<void> {
    if ((await this.termsOf(merchantId)).mode !== 'platform') {
      throw new AppError(
        'SETTLEMENT_MODE',
        'this merchant is settled by the channel directly: the platform holds no funds to withdraw or pay out',
      );
    }
  }

  async setTerms(q: Queryable, merchantId: bigint, terms: SettlementTerms): Promise<void> {
    await q.query(
      `INSERT INTO settlement_terms (merchant_id, mode, cycle, d0_ppm, tn_days, reserve_ppm, reserve_days)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (merchant_id) DO UPDATE SET mode = EXCLUDED.mode, cycle = EXCLUDED.cycle, d0_ppm = EXCLUDED.d0_ppm,
         tn_days = EXCLUDED.tn_days, reserve_ppm = EXCLUDED.reserve_ppm, reserve_days = EXCLUDED.reserve_days, updated_at = now()`,
      [merchantId, terms.mode, terms.cycle, terms.d0Ppm, terms.tnDays, terms.reservePpm, terms.reserveDays],
    );
    this.cache.delete(merchantId.toString());
    // Through the writer's transaction: PostgreSQL delivers a NOTIFY when the transaction commits.
    await this.bus?.publish(SETTLEMENT_TOPIC, merchantId.toString(), q);
  }
}
