import type { AccountRef } from '../ledger/types.ts';
import type { MemberRow } from '../members/queries.ts';
import { type Payee, RECEIVER } from './compute.ts';
import type * as queries from './queries.ts';
import type { RecordRow, StoredParty, TermsState } from './queries.ts';

/** The accounts an order's terms may move money to. */
export function termsAccounts(
  merchantId: bigint,
  currency: string,
  terms: { receiverMemberId: bigint; parties: StoredParty[] },
): AccountRef[] {
  const members = [
    terms.receiverMemberId,
    ...terms.parties.flatMap((p) => (p.memberId ? [BigInt(p.memberId)] : [])),
  ];
  return [
    { kind: 'merchant_escrow', ownerId: merchantId, currency },
    { kind: 'merchant_pending', ownerId: merchantId, currency },
    ...members.map((ownerId) => ({ kind: 'member_pending' as const, ownerId, currency })),
  ];
}

export function payeeOf(p: StoredParty): Payee {
  return p.kind === 'merchant' ? { kind: 'merchant' } : { kind: 'member', memberId: BigInt(p.memberId!) };
}

export function partOf(p: StoredParty) {
  return { payee: payeeOf(p), amount: BigInt(p.amount) };
}

export function accountOf(payee: Payee, merchantId: bigint, currency: string): AccountRef {
  return payee.kind === 'merchant'
    ? { kind: 'merchant_pending', ownerId: merchantId, currency }
    : { kind: 'member_pending', ownerId: payee.memberId, currency };
}

export function recordOf(
  order: { id: bigint; order_no: string; merchant_id: bigint; currency: string },
  part: { index: number; payee: Payee; amount: bigint },
  confirmationId: bigint | null,
): queries.NewRecord {
  return {
    orderId: order.id,
    orderNo: order.order_no,
    merchantId: order.merchant_id,
    confirmationId,
    toKind: part.payee.kind,
    toMemberId: part.payee.kind === 'member' ? part.payee.memberId : null,
    kind: part.index === RECEIVER || part.index === -2 ? 'share' : 'commission',
    partyIndex: part.index,
    amount: part.amount,
    currency: order.currency,
  };
}

export function escrowState(t: { held: bigint; released: bigint; refunded: bigint }): TermsState {
  if (t.held - t.released - t.refunded > 0n) return t.released > 0n ? 'partially_released' : 'holding';
  return t.released > 0n ? 'released' : 'refunded';
}

/** An order's records by who received them (party and member): refunds take back per group. */
export function groupByParty(records: RecordRow[]) {
  const groups = new Map<string, RecordRow[]>();
  for (const r of records) {
    const key = `${r.party_index}:${r.to_kind}:${r.to_member_id ?? '-'}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  // takeBackParts gives the residue to index -1 (the receiver) first.
  return [...groups.values()].map((rs, i) => ({
    key: rs[0]!.party_index === RECEIVER ? RECEIVER : i,
    records: rs,
  }));
}

export function partyView(r: RecordRow, members: Map<bigint, MemberRow>) {
  if (r.to_kind === 'merchant') return { kind: 'merchant' as const, name: 'merchant' };
  const m = members.get(r.to_member_id!);
  return { kind: 'member' as const, memberNo: m?.member_no, name: m?.name ?? '' };
}

export function sumOf(values: bigint[]): bigint {
  return values.reduce((a, b) => a + b, 0n);
}

export function minOf(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
