import { MAX_PAYMENTS, nextTradeNo } from './payment-book.ts';
import {
  PAYOUT_DECIDE_MS,
  PAYOUT_FAIL_REASON,
  type PayoutOutcome,
  type SandboxPayoutStatus,
} from './protocol.ts';

/**
 * The sandbox's payouts (代付). A payout's outcome is decided when it is taken, from the account's
 * `payoutOutcome`, and shown once due: an asynchronous one stays PROCESSING until `decideAt`. So
 * nothing has to run later for it to end, in memory or in the tables, and a query always tells the
 * truth. Idempotent on (mchId, outPayoutNo): a retry gets the payout it made before, never a second.
 */
export interface SandboxPayout {
  readonly payoutNo: string;
  readonly mchId: string;
  readonly outPayoutNo: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly payeeName: string;
  /** The last four digits only: the sandbox keeps no whole account number. */
  readonly payeeAccountTail: string;
  readonly payeeBankName: string;
  readonly notifyUrl: string;
  readonly outcome: PayoutOutcome;
  readonly createdAt: Date;
  /** The outcome, final once `decideAt` has passed. */
  readonly finalStatus: 'SUCCESS' | 'FAILED';
  readonly decideAt: Date;
  readonly failReason: string | null;
  version: number;
}

export type NewPayout = Omit<
  SandboxPayout,
  'payoutNo' | 'finalStatus' | 'decideAt' | 'failReason' | 'version' | 'createdAt'
>;

/** A payout as taken now: its number, its outcome and when it shows. */
export function newPayout(fields: NewPayout, now: Date): SandboxPayout {
  const fails = fields.outcome === 'fail' || fields.outcome === 'async_fail';
  const async = fields.outcome === 'async_succeed' || fields.outcome === 'async_fail';
  return {
    ...fields,
    payoutNo: nextTradeNo().replace(/^SB/, 'SP'),
    createdAt: now,
    finalStatus: fails ? 'FAILED' : 'SUCCESS',
    decideAt: new Date(now.getTime() + (async ? PAYOUT_DECIDE_MS : 0)),
    failReason: fails ? PAYOUT_FAIL_REASON : null,
    version: 0,
  };
}

/** What the payout shows at `now`. */
export function payoutStatus(payout: SandboxPayout, now: Date): SandboxPayoutStatus {
  return now.getTime() >= payout.decideAt.getTime() ? payout.finalStatus : 'PROCESSING';
}

/** The in-memory payouts of the standalone sandbox, bounded like its payments. */
export class PayoutBook {
  private readonly byKey = new Map<string, SandboxPayout>();

  constructor(private readonly maxPayouts: number = MAX_PAYMENTS) {}

  get size(): number {
    return this.byKey.size;
  }

  /** Opens a payout; the existing one when (mchId, outPayoutNo) already has one. */
  open(fields: NewPayout, now: Date): { payout: SandboxPayout; created: boolean } {
    const existing = this.find(fields.mchId, fields.outPayoutNo);
    if (existing) return { payout: existing, created: false };
    if (this.byKey.size >= this.maxPayouts) {
      const oldest = this.byKey.keys().next();
      if (!oldest.done) this.byKey.delete(oldest.value);
    }
    const payout = newPayout(fields, now);
    this.byKey.set(payoutKey(payout.mchId, payout.outPayoutNo), payout);
    return { payout, created: true };
  }

  find(mchId: string, outPayoutNo: string): SandboxPayout | undefined {
    return this.byKey.get(payoutKey(mchId, outPayoutNo));
  }
}

function payoutKey(mchId: string, outPayoutNo: string): string {
  return `${mchId}\u0000${outPayoutNo}`;
}
