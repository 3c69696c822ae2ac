import { randomInt } from 'node:crypto';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { MemberRow } from '../members/queries.ts';
import { toJsonAmount } from '../money/money.ts';
import type { SplitAgreements } from './agreements.ts';
import { MAX_PARTIES } from './compute.ts';
import * as queries from './queries.ts';
import { type PartyInput, RULES_LIMIT, type RuleInput, type SplitDeps } from './types.ts';

/**
 * Merchants' split-and-commission rules (分账抽佣规则): a receiving member and commission parties,
 * each member party's agreement.
 */
export class SplitRules {
  constructor(
    private readonly db: Db,
    private readonly deps: SplitDeps,
    private readonly agreements: SplitAgreements,
  ) {}

  // ---------- rules ----------

  async listRules(merchantId: bigint) {
    const rules = await queries.listRules(this.db, merchantId, RULES_LIMIT);
    return this.ruleViews(rules);
  }

  async requireRule(merchantId: bigint, ruleNo: string) {
    const rule = await queries.findRule(this.db, merchantId, ruleNo);
    if (!rule) throw new AppError('SPLIT_RULE_NOT_FOUND', `split rule ${ruleNo} not found`);
    return rule;
  }

  async ruleView(merchantId: bigint, ruleNo: string) {
    return (await this.ruleViews([await this.requireRule(merchantId, ruleNo)]))[0]!;
  }

  async createRule(merchantId: bigint, input: RuleInput) {
    const appRowId = await this.deps.appRowIdOf(merchantId, input.appId);
    const receiver =
      input.receiver.kind === 'member'
        ? await this.memberOfApp(merchantId, appRowId, input.receiver.memberNo)
        : null;
    const parties = await this.resolveParties(merchantId, appRowId, input.parties);
    const { rule, toSign } = await this.db.tx(async (q) => {
      const row = await queries.insertRule(q, {
        ruleNo: `R${Date.now()}${randomInt(1000, 10000)}`,
        merchantId,
        appId: input.appId,
        name: input.name,
        receiverKind: input.receiver.kind,
        receiverMemberId: receiver?.id ?? null,
      });
      return { rule: row, toSign: await queries.replaceParties(q, row.id, parties) };
    });
    // A new rule asks its member parties to sign at once (seed 001 §1.8.1: 新增成功后自动触发协议签约).
    await this.agreements.askToSign(toSign);
    return this.ruleView(merchantId, rule.rule_no);
  }

  /** Everything but the receiver and the app may change. */
  async updateRule(merchantId: bigint, ruleNo: string, input: Omit<RuleInput, 'receiver'>) {
    const rule = await this.requireRule(merchantId, ruleNo);
    if (input.appId !== rule.app_id) {
      throw new AppError('INVALID_REQUEST', 'appId: a rule stays with its app', { field: 'appId' });
    }
    const appRowId = await this.deps.appRowIdOf(merchantId, rule.app_id);
    const parties = await this.resolveParties(merchantId, appRowId, input.parties);
    const toSign = await this.db.tx(async (q) => {
      await queries.updateRuleName(q, rule.id, input.name);
      return queries.replaceParties(q, rule.id, parties);
    });
    await this.agreements.askToSign(toSign);
    return this.ruleView(merchantId, ruleNo);
  }

  async setRuleState(merchantId: bigint, ruleNo: string, state: 'enabled' | 'disabled') {
    const rule = await this.requireRule(merchantId, ruleNo);
    await queries.setRuleState(this.db, rule.id, state);
    return this.ruleView(merchantId, ruleNo);
  }

  /** Sends a member party its commission agreement again (SMS to its phone); the time is recorded. */
  async resendAgreement(merchantId: bigint, ruleNo: string, partyId: bigint) {
    const rule = await this.requireRule(merchantId, ruleNo);
    const party = await queries.markAgreementSent(this.db, rule.id, partyId);
    if (!party) throw new AppError('NOT_FOUND', `member party ${partyId} not found in rule ${ruleNo}`);
    if (party.agreement_state === 'pending') await this.agreements.askToSign([party.id]);
    return this.ruleView(merchantId, ruleNo);
  }

  /** The signed agreement document of a member party of the merchant's rule. */
  async agreementDocument(merchantId: bigint, ruleNo: string, partyId: bigint) {
    const rule = await this.requireRule(merchantId, ruleNo);
    return this.agreements.documentForRule(rule.id, partyId);
  }

  private async memberOfApp(merchantId: bigint, appRowId: bigint, memberNo: string): Promise<MemberRow> {
    const member = await this.deps.members.requireForMerchant(merchantId, memberNo);
    if (member.app_id !== appRowId)
      throw new AppError('MEMBER_NOT_FOUND', `no member ${memberNo} in this app`);
    return member;
  }

  private async resolveParties(merchantId: bigint, appRowId: bigint, parties: PartyInput[]) {
    if (parties.length > MAX_PARTIES) {
      throw new AppError('INVALID_REQUEST', `parties: at most ${MAX_PARTIES}`, { field: 'parties' });
    }
    const out: queries.NewParty[] = [];
    for (const p of parties) {
      const member =
        p.party.kind === 'member' ? await this.memberOfApp(merchantId, appRowId, p.party.memberNo) : null;
      if (p.basis === 'ppm' && p.value > 1_000_000n) {
        throw new AppError('INVALID_REQUEST', 'parties: a ppm value is at most 1000000', {
          field: 'parties',
        });
      }
      const floor = p.floor ?? null;
      const cap = p.cap ?? null;
      if (floor !== null && cap !== null && floor > cap) {
        throw new AppError('INVALID_REQUEST', 'parties: floor is above cap', { field: 'parties' });
      }
      out.push({
        partyKind: p.party.kind,
        memberId: member?.id ?? null,
        basis: p.basis,
        value: p.value,
        floor,
        cap,
      });
    }
    return out;
  }

  private async ruleViews(rules: queries.SplitRuleRow[]) {
    if (rules.length === 0) return [];
    const parties = await queries.partiesOf(
      this.db,
      rules.map((r) => r.id),
    );
    const memberIds = [
      ...rules.flatMap((r) => (r.receiver_member_id === null ? [] : [r.receiver_member_id])),
      ...parties.flatMap((p) => (p.member_id === null ? [] : [p.member_id])),
    ];
    const members = await this.deps.members.byIds([...new Set(memberIds)]);
    const who = (id: bigint | null) => {
      const m = id === null ? undefined : members.get(id);
      return m ? { memberNo: m.member_no, memberName: m.name } : {};
    };
    return rules.map((r) => ({
      ruleNo: r.rule_no,
      name: r.name,
      appId: r.app_id,
      receiver: { kind: r.receiver_kind, ...who(r.receiver_member_id) },
      parties: parties
        .filter((p) => p.rule_id === r.id)
        .map((p) => ({
          id: p.id.toString(),
          party: { kind: p.party_kind, ...who(p.member_id) },
          basis: p.basis,
          value: toJsonAmount(p.value),
          floor: p.floor_amount === null ? null : toJsonAmount(p.floor_amount),
          cap: p.cap_amount === null ? null : toJsonAmount(p.cap_amount),
          agreementState: p.agreement_state,
          agreementSentAt: p.agreement_sent_at?.toISOString() ?? null,
          agreementSignedAt: p.agreement_signed_at?.toISOString() ?? null,
          agreementSignedVia: p.agreement_signed_via,
        })),
      state: r.state,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    }));
  }
}
