import { createHash } from 'node:crypto';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { toJsonAmount } from '../money/money.ts';
import type { MemberPartyRow } from './agreement-queries.ts';
import * as agreementQueries from './agreement-queries.ts';
import {
  type AgreementFacts,
  type AgreementLocale,
  agreementText,
  commissionWords,
} from './agreement-text.ts';
import type { SplitRulePartyRow } from './queries.ts';
import type { SplitDeps } from './types.ts';

/** A member has tens of agreements, not thousands: one page. */
const MEMBER_AGREEMENTS_LIMIT = 200;

/** A digest of the terms the member read, so a signature never covers terms changed meanwhile. */
export function termsDigest(p: Pick<SplitRulePartyRow, 'basis' | 'value' | 'floor_amount' | 'cap_amount'>) {
  return createHash('sha256')
    .update(JSON.stringify([p.basis, String(p.value), String(p.floor_amount), String(p.cap_amount)]))
    .digest('hex')
    .slice(0, 32);
}

/**
 * Split-and-commission agreements (分账抽佣协议, seed 001 §1.8.1): a member party of a merchant's
 * split rule is asked to sign when it is added, when its terms change and when the merchant sends
 * it again (SMS to the member's bound phone); the member reads and signs it in the member portal,
 * which records when and how, and keeps the document as signed for both sides to download. A rule
 * whose member parties have not all signed takes no new orders (OrderTerms).
 */
export class SplitAgreements {
  constructor(
    private readonly db: Db,
    private readonly deps: SplitDeps,
  ) {}

  /** Tells each of these member parties that its agreement awaits its signature. */
  async askToSign(partyIds: bigint[]): Promise<void> {
    if (partyIds.length === 0) return;
    const parties = await agreementQueries.partiesByIds(this.db, partyIds);
    const members = await this.deps.members.byIds([...new Set(parties.map((p) => p.member_id!))]);
    for (const p of parties) {
      const member = members.get(p.member_id!);
      if (!member || member.state === 'closed') continue;
      await this.deps.members.notices.tellSplitAgreement(member, {
        merchant: await this.deps.merchantNameOf(p.merchant_id),
        rule: p.rule_name,
        commission: commissionWords(p, 'zh'),
      });
    }
  }

  // ---------- the member's side ----------

  async listForMember(memberId: bigint) {
    const rows = await agreementQueries.partiesOfMember(this.db, memberId, MEMBER_AGREEMENTS_LIMIT);
    const names = await this.merchantNames(rows);
    return rows.map((p) => this.view(p, names.get(p.merchant_id) ?? ''));
  }

  /** One of the member's agreements with its text in the member's language; another's is not found. */
  async viewForMember(memberId: bigint, partyId: bigint, locale: AgreementLocale) {
    const p = await this.requireOfMember(memberId, partyId);
    const merchantName = await this.deps.merchantNameOf(p.merchant_id);
    const facts = await this.factsOf(p, merchantName);
    const signature =
      p.agreement_signed_at === null ? null : { signedAt: p.agreement_signed_at, timeZone: this.timeZone };
    return { ...this.view(p, merchantName), text: agreementText(facts, signature, locale) };
  }

  /**
   * The member signs the agreement it read (`digest` of the terms it was shown): the party becomes
   * signed, with the time, the way (the member portal) and the document kept. Signing again answers
   * the same; terms changed since it read them are SPLIT_AGREEMENT_CHANGED.
   */
  async sign(memberId: bigint, partyId: bigint, digest: string) {
    const p = await this.requireOfMember(memberId, partyId);
    if (termsDigest(p) !== digest) {
      throw new AppError('SPLIT_AGREEMENT_CHANGED', 'the agreement changed since it was read');
    }
    if (p.agreement_state === 'signed') return this.viewForMember(memberId, partyId, 'zh');
    const merchantName = await this.deps.merchantNameOf(p.merchant_id);
    const signedAt = new Date();
    const document = agreementText(
      await this.factsOf(p, merchantName),
      { signedAt, timeZone: this.timeZone },
      'zh',
    );
    const signed = await agreementQueries.signParty(this.db, {
      memberId,
      partyId,
      terms: p,
      signedAt,
      document,
    });
    if (!signed) throw new AppError('SPLIT_AGREEMENT_CHANGED', 'the agreement changed since it was read');
    return this.viewForMember(memberId, partyId, 'zh');
  }

  /** The signed document of one of the member's agreements (NOT_FOUND until signed). */
  async documentForMember(memberId: bigint, partyId: bigint) {
    return this.documentOf(await this.requireOfMember(memberId, partyId));
  }

  /** The signed document of a party of the merchant's rule (the rule found by the merchant first). */
  async documentForRule(ruleId: bigint, partyId: bigint) {
    const p = await agreementQueries.partyOfRule(this.db, ruleId, partyId);
    if (p?.party_kind !== 'member') throw new AppError('NOT_FOUND', `member party ${partyId} not found`);
    return this.documentOf(p);
  }

  private documentOf(p: MemberPartyRow) {
    if (p.agreement_state !== 'signed' || p.agreement_document === null) {
      throw new AppError('NOT_FOUND', `agreement SA${p.id} is not signed`);
    }
    return { text: p.agreement_document, fileName: `split-agreement-SA${p.id}.txt` };
  }

  private get timeZone(): string {
    return this.deps.members.timeZone;
  }

  private async requireOfMember(memberId: bigint, partyId: bigint): Promise<MemberPartyRow> {
    const p = await agreementQueries.partyOfMember(this.db, memberId, partyId);
    if (!p) throw new AppError('NOT_FOUND', `agreement SA${partyId} not found`);
    return p;
  }

  private async merchantNames(rows: MemberPartyRow[]): Promise<Map<bigint, string>> {
    const names = new Map<bigint, string>();
    for (const id of new Set(rows.map((r) => r.merchant_id)))
      names.set(id, await this.deps.merchantNameOf(id));
    return names;
  }

  private async factsOf(p: MemberPartyRow, merchantName: string): Promise<AgreementFacts> {
    const member = (await this.deps.members.byIds([p.member_id!])).get(p.member_id!);
    return {
      partyId: p.id,
      merchantName,
      appId: p.app_id,
      ruleNo: p.rule_no,
      ruleName: p.rule_name,
      memberNo: member?.member_no ?? '',
      memberName: member?.name ?? '',
      terms: p,
    };
  }

  private view(p: MemberPartyRow, merchantName: string) {
    return {
      id: p.id.toString(),
      agreementNo: `SA${p.id}`,
      merchantName,
      appId: p.app_id,
      ruleNo: p.rule_no,
      ruleName: p.rule_name,
      ruleState: p.rule_state,
      basis: p.basis,
      value: toJsonAmount(p.value),
      floor: p.floor_amount === null ? null : toJsonAmount(p.floor_amount),
      cap: p.cap_amount === null ? null : toJsonAmount(p.cap_amount),
      state: p.agreement_state as 'pending' | 'signed',
      sentAt: p.agreement_sent_at?.toISOString() ?? null,
      signedAt: p.agreement_signed_at?.toISOString() ?? null,
      signedVia: p.agreement_signed_via,
      termsDigest: termsDigest(p),
    };
  }
}
