import type { Queryable } from '../db/index.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { AccountRef } from '../ledger/types.ts';
import type { MemberRow } from '../members/queries.ts';
import type { MemberService } from '../members/service.ts';
import type { StoredParty, StoredRefundPart } from './queries.ts';

/** The platform setting of how many days an unconfirmed escrow payment waits before it confirms itself. */
export const ESCROW_AUTO_CONFIRM_DAYS_SETTING = 'splits.escrowAutoConfirmDays';
export const DEFAULT_ESCROW_AUTO_CONFIRM_DAYS = 7;
/** Escrows auto-confirmed and records settled per run of their steps at most. */
export const SWEEP_BATCH = 200;
export const RULES_LIMIT = 500;
export const MAX_NAMED_SPLITS = 20;
export const DAY_MS = 86_400_000;

/** An order's marketplace terms as the merchant gives them at create. */
export interface OrderTermsInput {
  payee?: { bizUserId: string };
  splitRuleNo?: string;
  escrow?: boolean;
  purpose?: 'consumption' | 'recharge';
}

/** Terms checked at create, stored once the order has its id. */
export interface PreparedTerms {
  purpose: 'consumption' | 'recharge';
  escrow: boolean;
  ruleId: bigint | null;
  receiverMemberId: bigint;
  parties: StoredParty[];
}

export interface PartyInput {
  party: { kind: 'merchant' } | { kind: 'member'; memberNo: string };
  basis: 'ppm' | 'fixed';
  value: bigint;
  floor?: bigint | null;
  cap?: bigint | null;
}

export interface RuleInput {
  name: string;
  appId: string;
  receiver: { kind: 'payee' } | { kind: 'member'; memberNo: string };
  parties: PartyInput[];
}

export interface ConfirmInput {
  confirmNo: string;
  amount?: bigint;
  splits?: { bizUserId: string; amount: bigint }[];
}

/** A split order's part of a refund: what comes from escrow and members, and what the merchant pays. */
export interface RefundTakeBack {
  fromEscrow: bigint;
  merchantDebit: bigint;
  memberParts: StoredRefundPart[];
  /** The debits besides the merchant's, as ledger accounts: escrow and members. */
  debits: { account: AccountRef; amount: bigint }[];
}

/** What a refund of a split order reads before its transaction. */
export interface RefundContext {
  members: Map<bigint, MemberRow>;
}

export interface SplitDeps {
  ledger: LedgerService;
  members: MemberService;
  /** The merchant_app row id of a merchant's app (members belong to it), or NOT_FOUND. */
  appRowIdOf: (merchantId: bigint, appId: string) => Promise<bigint>;
  settlementModeOf: (merchantId: bigint) => Promise<'platform' | 'direct'>;
  /** Locks the order row (as refunds and settlement do) and tells whether it settled. */
  lockOrder: (q: Queryable, orderId: bigint) => Promise<{ settled: boolean } | null>;
  merchantNameOf: (merchantId: bigint) => Promise<string>;
  /** Which of these orders have settled (their merchant's cycle came). */
  settledOrders: (orderIds: bigint[]) => Promise<Set<bigint>>;
}
