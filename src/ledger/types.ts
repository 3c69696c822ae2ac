/**
 * Kinds of ledger account.
 * - `guarded`: the balance is kept on the account's row and never goes below zero (spending is
 *   checked against it).
 * - `kept`: the balance is kept on the row (updated under the row's lock with every posting) and each
 *   entry stores the balance after it, so a fund flow (资金流水) reads a page of entries, not their
 *   whole history. Every guarded kind is kept; so are the merchant's other accounts.
 * - neither: the balance is the sum of the entries. The platform's and the channels' accounts, which
 *   every payment touches, and the agents', which every payment under an agent touches: a lock on
 *   them would make those payments wait for each other (and a refund, holding its merchant's
 *   balances, could deadlock with them).
 */
export const ACCOUNT_KINDS = {
  merchant_pending: { guarded: true, kept: true },
  merchant_available: { guarded: true, kept: true },
  merchant_frozen: { guarded: true, kept: true },
  /** Risk reserve (风险预留): part of a settlement held for some days, then released to available. */
  merchant_reserved: { guarded: true, kept: true },
  /**
   * `direct` mode: what the channel owes (settles straight to) the merchant. A record, not funds we
   * hold; a refund after the channel settled may take it below zero, so it is not guarded.
   */
  merchant_settled_by_channel: { guarded: false, kept: true },
  /** Test orders' net once their settle date passes, while test money is not settled (production): never spendable. */
  merchant_test_settled: { guarded: false, kept: true },
  /**
   * `direct` mode: the platform's margin (the agents' commission in it) that a merchant owes it, an
   * asset (negative balance). Owner: the merchant, so the books say who owes what; entries posted
   * before it had one stay on the platform-wide account (owner none).
   */
  platform_receivable: { guarded: false, kept: true },
  /**
   * An agent's commission (分润) from orders not yet settled; settles to agent_available with the
   * order. Not guarded: a refund gives commission back, and what an agent was paid already it owes.
   */
  agent_pending: { guarded: false, kept: false },
  /** An agent's settled commission: what the platform owes the agent, and what it may withdraw. */
  agent_available: { guarded: false, kept: false },
  /**
   * An agent's commission held by its open withdrawals (agent_available → here, then paid out or
   * given back). Not guarded, like the other agent accounts: the withdrawal checks available under
   * the account row's lock instead.
   */
  agent_frozen: { guarded: false, kept: false },
  /**
   * A marketplace member's 待结算户: its split shares and recharges until they settle on the
   * merchant's cycle. Guarded: a refund of a split order never drives a member below zero.
   */
  member_pending: { guarded: true, kept: true },
  /** A member's 簿记账户: settled money it may transfer or withdraw. */
  member_available: { guarded: true, kept: true },
  /** A member's money held by its open withdrawals. */
  member_frozen: { guarded: true, kept: true },
  /**
   * Escrow (担保) of a merchant's marketplace orders: the paid net waits here until the buyer
   * confirms and it is split. Owner: the merchant.
   */
  merchant_escrow: { guarded: true, kept: true },
  platform_revenue: { guarded: false, kept: false },
  channel_clearing: { guarded: false, kept: false },
  channel_cost: { guarded: false, kept: false },
} as const;

export type AccountKind = keyof typeof ACCOUNT_KINDS;

export interface AccountRef {
  kind: AccountKind;
  /** Merchant id, agent id or channel account id; null for platform accounts. */
  ownerId: bigint | null;
  currency: string;
}

export interface Leg {
  account: AccountRef;
  /** Signed minor units: the legs of one transaction sum to zero per currency. */
  amount: bigint;
}

export interface PostingInput {
  kind: string;
  /** What the transaction is about, e.g. the order number. */
  reference: string;
  /** Unique: posting the same key twice posts once. */
  idempotencyKey: string;
  legs: Leg[];
}

export function accountCode(ref: AccountRef): string {
  return `${ref.kind}:${ref.ownerId ?? '-'}:${ref.currency}`;
}

/** Who holds withdrawable funds: a merchant, an agent or a marketplace member. */
export interface FundsOwner {
  kind: 'merchant' | 'agent' | 'member';
  id: bigint;
}

const FUNDS_KINDS = {
  merchant: { available: 'merchant_available', frozen: 'merchant_frozen' },
  agent: { available: 'agent_available', frozen: 'agent_frozen' },
  member: { available: 'member_available', frozen: 'member_frozen' },
} as const satisfies Record<FundsOwner['kind'], { available: AccountKind; frozen: AccountKind }>;

/** The owner's spendable and frozen accounts: a withdrawal or a payout moves between them. */
export function fundsAccounts(
  owner: FundsOwner,
  currency: string,
): { available: AccountRef; frozen: AccountRef } {
  const kinds = FUNDS_KINDS[owner.kind];
  return {
    available: { kind: kinds.available, ownerId: owner.id, currency },
    frozen: { kind: kinds.frozen, ownerId: owner.id, currency },
  };
}
