import type { SettlementTerms } from '../shell/financeFormat.ts';

export type { BankCard, Withdrawal, WithdrawalRules } from '../shell/withdrawalTypes.ts';
export { pageParams } from '../shell/withdrawalTypes.ts';

// Shapes of the merchant portal's money-out API (settlement, withdrawals, payouts). Money is
// integer fen, rates integer ppm, times ISO 8601 UTC strings; lists are `{ items, total }`.

/** Where the portal's money-out routes live (beside the portal's other routes). */
export const PORTAL_API = '/api/merchant';

export interface BalanceView {
  currency: string;
  mode: 'platform' | 'direct';
  pending: number;
  available: number;
  frozen: number;
  reserved: number;
  settledByChannel?: number | null;
  terms: SettlementTerms;
}

export interface AccountEntry {
  id: string;
  at: string;
  account: string;
  type: string;
  reference: string | null;
  amount: number;
  balanceAfter: number;
}

export interface SettlementRecord {
  date: string;
  mode: 'platform' | 'direct' | string;
  orderCount: number;
  gross: number;
  fee: number;
  refunds: number;
  net: number;
  reserve: number;
  reserveReleased: number;
  settledAt: string | null;
}

export interface DailyBalance {
  date: string;
  pending: number;
  available: number;
  frozen: number;
  reserved: number;
}

export interface ChannelSettlementDay {
  date: string;
  expected: number;
  settled: number;
}

export interface AutoWithdrawal {
  enabled: boolean;
  time: string;
  keepBalance: number;
}

export interface Payout {
  payoutNo: string;
  /** null for the payment of a withdrawal (kind 'withdrawal'). */
  mchPayoutNo: string | null;
  /** 'withdrawal': pays a withdrawal to the merchant's own card; 'payout': to a third party. */
  kind?: 'withdrawal' | 'payout' | string;
  withdrawNo?: string | null;
  state: string;
  amount: number;
  fee: number;
  currency: string;
  payee: { name: string; accountNoMasked: string; bankName: string };
  remark?: string | null;
  reason: string | null;
  createdAt: string;
  submittedAt: string | null;
  paidAt: string | null;
  failedAt: string | null;
}
