import type { SecretBox, SecretPlace } from '../auth/secret-box.ts';
import type { CatalogService } from '../catalog/service.ts';
import type { ChannelGateway } from '../channels/gateway.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { MerchantService } from '../merchants/service.ts';
import type { NotifyService } from '../notify/service.ts';
import type { OrderService } from '../orders/service.ts';
import type { SettlementTermsBook } from '../settlement/terms.ts';
import type { CreatePayouts } from './create.ts';
import type { PayoutRow } from './queries.ts';
import * as queries from './queries.ts';
import type { PayoutRulesBook } from './rules.ts';
import type { SettlePayouts } from './settle.ts';
import type { SubmitPayouts } from './submit.ts';
import type { SyncPayouts } from './sync.ts';

/** The outcome of a withdrawal's payout, told to the withdrawals domain inside the payout's transaction. */
export interface WithdrawalOutcome {
  withdrawalId: bigint;
  state: 'submitted' | 'succeeded' | 'failed';
  reason: string | null;
  at: Date;
  payoutNo: string;
}

export type WithdrawalOutcomeListener = (q: Queryable, e: WithdrawalOutcome) => Promise<void>;

export interface PayoutOptions {
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  timeZone: string;
  /** `settlement.settleTestOrders` when never set: on for the embedded database, off with DATABASE_URL. */
  settleTestOrdersDefault: boolean;
  /**
   * Where the consoles' lists and exports read (a streaming replica when one is configured and close
   * behind, src/db/read-replica.ts); the primary when unset. Nothing that decides money reads it.
   */
  reads?: Queryable;
}

/** The other domains a payout works with. */
export interface PayoutDeps {
  ledger: LedgerService;
  channels: ChannelGateway;
  catalog: CatalogService;
  notify: NotifyService;
  merchants: MerchantService;
  orders: OrderService;
  secrets: SecretBox;
  settlementTerms: SettlementTermsBook;
}

/** What every step of a payout works with: the database, the other domains and the options. */
export interface PayoutContext {
  db: Db;
  deps: PayoutDeps;
  options: PayoutOptions;
}

/**
 * The business steps of a payout, one file each. They call one another (a creation sends, a send
 * may settle, a query may send again), so each gets this one set; PayoutService builds it and is
 * the face other domains use.
 */
export interface PayoutSteps {
  create: CreatePayouts;
  submit: SubmitPayouts;
  settle: SettlePayouts;
  sync: SyncPayouts;
  rules: PayoutRulesBook;
}

/** Where a payee's account number is sealed (create) and opened (submit). */
export const payeePlace = (id: bigint): SecretPlace => ({
  table: 'payout_order',
  id,
  column: 'payee_account_no_enc',
});

export async function requireByPayoutNo(db: Db, payoutNo: string): Promise<PayoutRow> {
  const payout = await queries.findByPayoutNo(db, payoutNo);
  if (!payout) throw new AppError('NOT_FOUND', `payout ${payoutNo} not found`);
  return payout;
}
