import type { Db } from '../db/index.ts';
import { SplitAgreements } from './agreements.ts';
import { Escrows } from './escrow.ts';
import { inflowByDay } from './queries.ts';
import { SplitRefundSteps } from './refunds.ts';
import { SplitRules } from './rules.ts';
import { MemberShares } from './shares.ts';
import { OrderTerms } from './terms.ts';
import type { SplitDeps } from './types.ts';

export * from './types.ts';

/**
 * Splits, escrow and commission of marketplace orders (MON-7, MON-8): merchants' split rules, the
 * terms an order carries, the ledger legs of a split payment, escrow confirmations, members'
 * shares settling with their orders, and what refunds take back.
 */
export class SplitService {
  readonly rules: SplitRules;
  /** Members' commission agreements: asked for, read and signed in the member portal, downloaded. */
  readonly agreements: SplitAgreements;
  /** What orders ask: an order's terms at create, the legs of its payment. */
  readonly terms: OrderTerms;
  readonly escrows: Escrows;
  readonly shares: MemberShares;
  /** What refunds ask: take back (and give back) an order's shares. */
  readonly refunds: SplitRefundSteps;

  constructor(
    private readonly db: Db,
    deps: SplitDeps,
  ) {
    this.agreements = new SplitAgreements(db, deps);
    this.rules = new SplitRules(db, deps, this.agreements);
    this.terms = new OrderTerms(db, deps, this.rules);
    this.escrows = new Escrows(db, deps);
    this.shares = new MemberShares(db, deps);
    this.refunds = new SplitRefundSteps(db, deps);
  }

  /** A merchant's marketplace orders paid in [from, to) per local day and kind (the dashboard's figures). */
  inflowByDay(f: { merchantId: bigint; from: Date; to: Date; timeZone: string; includeTest: boolean }) {
    return inflowByDay(this.db, f);
  }
}
