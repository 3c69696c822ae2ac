import type { AccountRef, PostingInput } from '../ledger/types.ts';
import type { PayoutRow } from './queries.ts';

// The ledger side of a payout: the accounts it touches and its three postings.

export function merchantAccounts(merchantId: bigint, currency: string): AccountRef[] {
  return [
    { kind: 'merchant_available', ownerId: merchantId, currency },
    { kind: 'merchant_frozen', ownerId: merchantId, currency },
  ];
}

export function settleAccounts(payout: PayoutRow): AccountRef[] {
  const refs: AccountRef[] = [
    ...merchantAccounts(payout.merchant_id, payout.currency),
    { kind: 'platform_revenue', ownerId: null, currency: payout.currency },
  ];
  if (payout.channel_account_id !== null) {
    refs.push({ kind: 'channel_clearing', ownerId: payout.channel_account_id, currency: payout.currency });
  }
  return refs;
}

const ref = (kind: AccountRef['kind'], ownerId: bigint | null, currency: string): AccountRef => ({
  kind,
  ownerId,
  currency,
});

/** payout_freeze: available −(amount + fee); frozen +(amount + fee). */
export function freezePosting(p: PayoutRow): PostingInput {
  return {
    kind: 'payout_freeze',
    reference: p.payout_no,
    idempotencyKey: `payout_freeze:${p.payout_no}`,
    legs: [
      { account: ref('merchant_available', p.merchant_id, p.currency), amount: -p.debit },
      { account: ref('merchant_frozen', p.merchant_id, p.currency), amount: p.debit },
    ],
  };
}

/** payout_paid: frozen −debit; clearing(payout account) +paid to the payee; platform revenue +fee. */
export function paidPosting(p: PayoutRow): PostingInput {
  return {
    kind: 'payout_paid',
    reference: p.payout_no,
    idempotencyKey: `payout_paid:${p.payout_no}`,
    legs: [
      { account: ref('merchant_frozen', p.merchant_id, p.currency), amount: -p.debit },
      { account: ref('channel_clearing', p.channel_account_id!, p.currency), amount: p.amount },
      { account: ref('platform_revenue', null, p.currency), amount: p.fee },
    ],
  };
}

/** payout_returned: frozen −debit; available +debit. */
export function returnedPosting(p: PayoutRow): PostingInput {
  return {
    kind: 'payout_returned',
    reference: p.payout_no,
    idempotencyKey: `payout_returned:${p.payout_no}`,
    legs: [
      { account: ref('merchant_frozen', p.merchant_id, p.currency), amount: -p.debit },
      { account: ref('merchant_available', p.merchant_id, p.currency), amount: p.debit },
    ],
  };
}
