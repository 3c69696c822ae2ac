import { type AccountRef, type FundsOwner, fundsAccounts, type PostingInput } from '../ledger/types.ts';
import type { PayoutRow } from './queries.ts';

// The ledger side of a payout: the accounts it touches and its three postings. A withdrawal's
// payout moves its owner's frozen funds: a merchant's (merchant_frozen), an agent's (agent_frozen)
// or a member's (member_frozen).

export function merchantAccounts(merchantId: bigint, currency: string): AccountRef[] {
  const { available, frozen } = fundsAccounts({ kind: 'merchant', id: merchantId }, currency);
  return [available, frozen];
}

/** Whose funds the payout moves. */
export function payoutOwner(p: Pick<PayoutRow, 'merchant_id' | 'agent_id' | 'member_id'>): FundsOwner {
  if (p.merchant_id !== null) return { kind: 'merchant', id: p.merchant_id };
  if (p.agent_id !== null) return { kind: 'agent', id: p.agent_id };
  if (p.member_id !== null) return { kind: 'member', id: p.member_id };
  throw new Error('invariant: a payout with no merchant, agent or member');
}

const ownerFunds = (p: PayoutRow) => fundsAccounts(payoutOwner(p), p.currency);

export function settleAccounts(payout: PayoutRow): AccountRef[] {
  const { available, frozen } = ownerFunds(payout);
  const refs: AccountRef[] = [
    available,
    frozen,
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

/** payout_freeze: available −(amount + fee); frozen +(amount + fee). Third-party payouts: merchants only. */
export function freezePosting(p: PayoutRow): PostingInput {
  const { available, frozen } = ownerFunds(p);
  return {
    kind: 'payout_freeze',
    reference: p.payout_no,
    idempotencyKey: `payout_freeze:${p.payout_no}`,
    legs: [
      { account: available, amount: -p.debit },
      { account: frozen, amount: p.debit },
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
      { account: ownerFunds(p).frozen, amount: -p.debit },
      { account: ref('channel_clearing', p.channel_account_id!, p.currency), amount: p.amount },
      { account: ref('platform_revenue', null, p.currency), amount: p.fee },
    ],
  };
}

/** payout_returned: frozen −debit; available +debit. */
export function returnedPosting(p: PayoutRow): PostingInput {
  const { available, frozen } = ownerFunds(p);
  return {
    kind: 'payout_returned',
    reference: p.payout_no,
    idempotencyKey: `payout_returned:${p.payout_no}`,
    legs: [
      { account: frozen, amount: -p.debit },
      { account: available, amount: p.debit },
    ],
  };
}
