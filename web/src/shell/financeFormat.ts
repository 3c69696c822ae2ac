// Money-out words and figures both consoles show (the merchant portal's balance, account entries,
// withdrawals and payouts; the operator console's reviews and balances). Amounts are integer fen
// as the API sends them; words come from the glossary (balance.*, entryType.*, settlementCycle.*).
import i18n from '../i18n.ts';
import { percentFromPpm, yuan } from './format.ts';

/** The balances of a merchant (ledger accounts) in the order the cards and filters show them. */
export const BALANCE_ACCOUNTS = ['pending', 'available', 'frozen', 'reserved'] as const;
export type BalanceAccount = (typeof BALANCE_ACCOUNTS)[number];
/** Every account an account entry may be on (direct mode books on settled_by_channel). */
export const ENTRY_ACCOUNTS = [...BALANCE_ACCOUNTS, 'settled_by_channel', 'test_settled'] as const;

/** The kinds of account entry (资金流水), glossary `entryType.*`. */
export const ENTRY_TYPES = [
  'payment',
  'refund',
  'refund_reversal',
  'settlement',
  'reserve_release',
  'test_settlement',
  'direct_settlement',
  'withdrawal_freeze',
  'withdrawal_release',
  'payout_freeze',
  'payout_paid',
  'payout_returned',
] as const;

/** A withdrawal's states in the seed's words (glossary `withdrawalState.*`). */
export const WITHDRAWAL_STATES = [
  'reviewing',
  'approved',
  'submitted',
  'succeeded',
  'failed',
  'rejected',
] as const;
export type WithdrawalState = (typeof WITHDRAWAL_STATES)[number];
/** A payout order's states (glossary `payoutState.*`). */
export const PAYOUT_STATES = ['pending', 'submitted', 'succeeded', 'failed'] as const;
export type PayoutState = (typeof PAYOUT_STATES)[number];

/**
 * An amount with its sign, for account entries: "+¥12.00" credits, "−¥3.50" debits (a real minus
 * sign), "¥0.00" for zero.
 */
export function signedYuan(minor: number | null | undefined, currency = 'CNY'): string {
  if (minor === null || minor === undefined) return '-';
  if (minor === 0) return yuan(0, currency);
  return `${minor > 0 ? '+' : '\u2212'}${yuan(Math.abs(minor), currency)}`;
}

/** The antd Typography type of a signed amount: credits green, debits red. */
export function signedTone(minor: number | null | undefined): 'success' | 'danger' | undefined {
  if (!minor) return undefined;
  return minor > 0 ? 'success' : 'danger';
}

/** A glossary word by its table and key, the key itself when the glossary has none (a new server value). */
export function glossaryWord(table: string, key: string | null | undefined): string {
  if (!key) return '-';
  return i18n.t(`glossary:${table}.${key}`, { defaultValue: key });
}

/** The settlement terms of a merchant as the API sends them (settlement_terms). */
export interface SettlementTerms {
  cycle: 'D0' | 'D1' | 'T1' | 'TN' | string;
  /** D0: the share of the net settled the same day, ppm (the rest settles D1). */
  d0Ppm?: number | null;
  /** N of TN: business days after the payment. */
  tnDays?: number | null;
  /** The share of each settlement held back as risk reserve, ppm. */
  reservePpm?: number | null;
  /** Days the reserve is held before it is released to the available balance. */
  reserveDays?: number | null;
}

/** The cycle in words: "D1（次日）", "TN（N 个工作日后）" with its N. */
export function cycleText(terms: Pick<SettlementTerms, 'cycle' | 'tnDays'>): string {
  const word = glossaryWord('settlementCycle', terms.cycle);
  return terms.cycle === 'TN' && terms.tnDays ? `${word} · N = ${terms.tnDays}` : word;
}

/** The rate part of a fee: percentFromPpm, "-" when none. */
export function ppmText(ppm: number | null | undefined): string {
  return ppm ? percentFromPpm(ppm) : '-';
}

/** What a withdrawal's fee and arrival amount come to (the server decides; this is for the dialog). */
export interface WithdrawalFeeRules {
  fixedFee: number;
  feeRatePpm: number;
}

/**
 * The fee of withdrawing `amount` fen: the rate part rounded half up, plus the fixed part, never more
 * than the amount (the platform's fee rule, src/fees/fee.ts); and what reaches the card.
 */
export function withdrawalFee(amount: number, rules: WithdrawalFeeRules): { fee: number; arrival: number } {
  const ratePart = Math.floor((amount * rules.feeRatePpm + 500_000) / 1_000_000);
  const fee = Math.min(amount, ratePart + rules.fixedFee);
  return { fee, arrival: amount - fee };
}
