import { toJsonAmount } from '../money/money.ts';
import type { PayoutRow, PayoutState } from './queries.ts';

/** An account number shown: its last four digits only. */
export function maskAccountNo(tail: string): string {
  return `**** **** ${tail}`;
}

/** The merchant-facing shape of a payout (API answers, notifies, the portal). */
export function payoutView(p: PayoutRow) {
  return {
    payoutNo: p.payout_no,
    mchPayoutNo: p.mch_payout_no,
    state: p.state as PayoutState,
    amount: toJsonAmount(p.amount),
    fee: toJsonAmount(p.fee),
    currency: p.currency,
    payee: {
      name: p.payee_name,
      accountNoMasked: maskAccountNo(p.payee_account_tail),
      bankName: p.payee_bank_name,
    },
    reason: p.reason,
    createdAt: p.created_at.toISOString(),
    submittedAt: p.submitted_at?.toISOString() ?? null,
    paidAt: p.paid_at?.toISOString() ?? null,
    failedAt: p.failed_at?.toISOString() ?? null,
  };
}
