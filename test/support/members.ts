import type { Services } from '../../src/app/services.ts';
import { termsDigest } from '../../src/splits/agreements.ts';
import type { SplitRulePartyRow } from '../../src/splits/queries.ts';

export interface TestMember {
  id: bigint;
  memberNo: string;
  bizUserId: string;
}

/**
 * An active personal member of a merchant's app, opened through the members' own service as the
 * signed API opens one, then verified by the sandbox's real-name check and activated.
 */
export async function createTestMember(
  services: Services,
  m: { appId: string; bizUserId: string; name?: string },
): Promise<TestMember> {
  const keys = await services.merchants.appKeys(m.appId);
  if (!keys) throw new Error(`no app ${m.appId}`);
  const { member } = await services.members.create(
    { merchantId: keys.merchantId, appDbId: keys.appDbId },
    { bizUserId: m.bizUserId, type: 'personal', name: m.name ?? m.bizUserId, idNo: '110101199003070011' },
    { source: 'api', via: 'api' },
  );
  const verified = member.state === 'created' ? await services.members.verify(member) : member;
  const active = verified.state === 'active' ? verified : await services.members.setState(verified, 'active');
  return { id: active.id, memberNo: active.member_no, bizUserId: active.biz_user_id };
}

/**
 * Has every member party of a split rule sign its commission agreement, as each member would in
 * its portal (a rule with a party still pending takes no orders).
 */
export async function signRuleAgreements(services: Services, ruleNo: string): Promise<void> {
  const parties = await services.db.query<SplitRulePartyRow>(
    `SELECT p.* FROM split_rule_party p JOIN split_rule r ON r.id = p.rule_id
     WHERE r.rule_no = $1 AND p.party_kind = 'member' AND p.agreement_state = 'pending'`,
    [ruleNo],
  );
  for (const p of parties) await services.splits.agreements.sign(p.member_id!, p.id, termsDigest(p));
}
