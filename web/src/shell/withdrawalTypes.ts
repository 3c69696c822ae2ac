import type { WithdrawalEvent } from './withdrawalProgress.tsx';

// Shapes of the portals' withdrawal API (the merchant portal's /api/merchant/…, the agent area's
// /api/agent/…): money is integer fen, times ISO 8601 UTC strings; lists are `{ items, total }`.

/** The portals whose owners withdraw to their own cards: each its namespace, API and routes. */
export type WithdrawalArea = 'merchant' | 'agent' | 'member';

/** `page` / `pageSize` beside the shell loader's limit / offset: the money lists page by either. */
export function pageParams(query: { current?: number; pageSize?: number }) {
  return { page: query.current ?? 1, pageSize: query.pageSize ?? 20 };
}

export interface BankCard {
  id: string;
  holderName: string;
  accountNoMasked: string;
  bankName: string;
  bankBranch: string | null;
  cardType: 'personal' | 'corporate' | string;
  state: 'active' | 'pending_review' | 'rejected' | string;
  isDefault: boolean;
  createdAt: string;
  reviewReason: string | null;
}

export interface WithdrawalRules {
  minAmount: number;
  maxAmount: number;
  fixedFee: number;
  feeRatePpm: number;
  /** 'HH:mm' in the platform's time zone (`24:00` = the end of the day); equal: all day. */
  windowStart: string;
  windowEnd: string;
  /** Per day. */
  dailyCount: number;
  dailyAmount: number;
  /** A withdrawal of at least this waits for the platform's review. */
  reviewThreshold: number;
  usedToday: { count: number; amount: number };
  /** The agent area's: what today's limits leave, and the commission balances. */
  leftToday?: { count: number; amount: number };
  balance?: { currency: string; available: number; frozen: number };
}

export interface Withdrawal {
  withdrawNo: string;
  mchWithdrawNo?: string | null;
  state: string;
  amount: number;
  fee: number;
  arrivalAmount: number;
  currency: string;
  card: { bankName: string; accountNoMasked: string } | null;
  reason: string | null;
  createdAt: string;
  reviewedAt: string | null;
  submittedAt: string | null;
  paidAt: string | null;
  failedAt: string | null;
  events?: WithdrawalEvent[];
}
