import type { Queryable } from '../db/index.ts';
import type { SplitRulePartyRow, SplitRuleRow } from './queries.ts';

// The members' side of split agreements (分账抽佣协议): a member's parties in rules, read and
// signed by the member itself. Every query names the member, so one member never reaches another's.

/** A member party with its rule, as the member sees it. */
export interface MemberPartyRow extends SplitRulePartyRow {
  rule_no: string;
  rule_name: string;
  rule_state: SplitRuleRow['state'];
  app_id: string;
  merchant_id: bigint;
}

const SELECT = `SELECT p.*, r.rule_no, r.name AS rule_name, r.state AS rule_state, r.app_id, r.merchant_id
  FROM split_rule_party p JOIN split_rule r ON r.id = p.rule_id`;

/** The member's agreements: pending first, then signed, newest first within each (tens at most). */
export function partiesOfMember(q: Queryable, memberId: bigint, limit: number) {
  return q.query<MemberPartyRow>(
    `${SELECT} WHERE p.member_id = $1 AND p.party_kind = 'member'
     ORDER BY p.agreement_state = 'signed', p.id DESC LIMIT $2`,
    [memberId, limit],
  );
}

export async function partyOfMember(q: Queryable, memberId: bigint, partyId: bigint) {
  return (
    await q.query<MemberPartyRow>(
      `${SELECT} WHERE p.id = $1 AND p.member_id = $2 AND p.party_kind = 'member'`,
      [partyId, memberId],
    )
  )[0];
}

/** A rule's party with its rule, for the merchant (the rule is found by the merchant first). */
export async function partyOfRule(q: Queryable, ruleId: bigint, partyId: bigint) {
  return (
    await q.query<MemberPartyRow>(`${SELECT} WHERE p.id = $1 AND p.rule_id = $2`, [partyId, ruleId])
  )[0];
}

/** The member rule parties of these ids (to notify). */
export function partiesByIds(q: Queryable, ids: bigint[]) {
  return q.query<MemberPartyRow>(`${SELECT} WHERE p.id = ANY($1::bigint[]) AND p.party_kind = 'member'`, [
    ids.map(String),
  ]);
}

/**
 * Signs a pending party of the member, but only on the terms the member read (a change meanwhile
 * leaves it pending): the row signed, or undefined.
 */
export async function signParty(
  q: Queryable,
  s: {
    memberId: bigint;
    partyId: bigint;
    terms: Pick<SplitRulePartyRow, 'basis' | 'value' | 'floor_amount' | 'cap_amount'>;
    signedAt: Date;
    document: string;
  },
) {
  return (
    await q.query<SplitRulePartyRow>(
      `UPDATE split_rule_party SET agreement_state = 'signed', agreement_signed_at = $3,
         agreement_signed_via = 'member_portal', agreement_document = $4
       WHERE id = $1 AND member_id = $2 AND agreement_state = 'pending'
         AND basis = $5 AND value = $6 AND floor_amount IS NOT DISTINCT FROM $7::bigint
         AND cap_amount IS NOT DISTINCT FROM $8::bigint
       RETURNING *`,
      [
        s.partyId,
        s.memberId,
        s.signedAt,
        s.document,
        s.terms.basis,
        s.terms.value,
        s.terms.floor_amount,
        s.terms.cap_amount,
      ],
    )
  )[0];
}
