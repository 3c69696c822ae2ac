/** Kinds of ledger account. Merchant balances guard spending; the system accounts are hot and derived. */
export const ACCOUNT_KINDS = {
  merchant_pending: { guarded: true },
  merchant_available: { guarded: true },
  merchant_frozen: { guarded: true },
  platform_revenue: { guarded: false },
  channel_clearing: { guarded: false },
  channel_cost: { guarded: false },
} as const;

export type AccountKind = keyof typeof ACCOUNT_KINDS;

export interface AccountRef {
  kind: AccountKind;
  /** Merchant id or channel account id; null for platform accounts. */
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
