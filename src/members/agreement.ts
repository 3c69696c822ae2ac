import { localDateTime } from '../stats/time.ts';

/** The member service agreement (会员服务协议) members sign; a new text gets a new version. */
export const MEMBER_AGREEMENT_KIND = 'member_service';
export const MEMBER_AGREEMENT_VERSION = '2026.1';
export const SIGNED_VIA = ['api', 'portal', 'self_service', 'sms'] as const;
export type SignedVia = (typeof SIGNED_VIA)[number];

const AGREEMENT_TEXT: Record<string, string> = {
  '2026.1': [
    '一、会员在商户的平台上开立会员账户（待结算户、簿记账户），用于接收分账、担保交易释放的资金，',
    '    以及向本人名下的银行卡提现。',
    '二、会员应提供真实的姓名（企业名称）与身份证件号码（统一社会信用代码），并通过实名认证；',
    '    绑定的银行卡须与会员本人信息一致。',
    '三、会员账户中的资金按商户的结算周期由待结算户转入簿记账户后方可转账或提现；提现手续费与限额',
    '    按平台规则执行。',
    '四、会员被冻结期间不能转出或提现；余额为零时方可注销。',
    '五、平台按法律法规保存会员的交易记录，并对会员的身份信息加密保存。',
  ].join('\n'),
};

/** The text of an agreement version, as the signing page shows it before the member signs. */
export function agreementText(version = MEMBER_AGREEMENT_VERSION): string {
  return AGREEMENT_TEXT[version] ?? '';
}

/** The signed agreement as a plain-text document: who signed which version, when and how, and its text. */
export function agreementDocument(
  a: { version: string; signed_via: string; signed_at: Date },
  member: { member_no: string; name: string; type: string },
  merchantName: string,
  timeZone: string,
): string {
  const text = AGREEMENT_TEXT[a.version] ?? '';
  return [
    '会员服务协议',
    '',
    `协议版本：${a.version}`,
    `商户：${merchantName}`,
    `会员编号：${member.member_no}`,
    `会员名称：${member.name}（${member.type === 'enterprise' ? '企业会员' : '个人会员'}）`,
    `签署时间：${localDateTime(a.signed_at, timeZone)}`,
    `签署方式：${SIGNED_VIA_WORDS[a.signed_via] ?? a.signed_via}`,
    '',
    text,
    '',
  ].join('\n');
}

const SIGNED_VIA_WORDS: Record<string, string> = {
  api: '商户接口',
  portal: '商户后台代签',
  self_service: '会员自助签约',
  sms: '短信确认',
};
