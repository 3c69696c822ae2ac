import { formatMinor } from '../money/money.ts';
import { localDateTime } from '../stats/time.ts';
import type { SplitRulePartyRow } from './queries.ts';

/** The split-and-commission agreement's text version; new clauses get a new one. */
export const SPLIT_AGREEMENT_VERSION = '2026.1';

export type AgreementLocale = 'zh' | 'en';

/** What an agreement names: the merchant and its app, the rule, the member and its commission. */
export interface AgreementFacts {
  partyId: bigint;
  merchantName: string;
  appId: string;
  ruleNo: string;
  ruleName: string;
  memberNo: string;
  memberName: string;
  terms: Pick<SplitRulePartyRow, 'basis' | 'value' | 'floor_amount' | 'cap_amount'>;
}

/** ppm as a percentage without trailing zeros: 50 000 → "5", 12 345 → "1.2345". */
function percent(ppm: bigint): string {
  const whole = ppm / 10_000n;
  const rest = (ppm % 10_000n).toString().padStart(4, '0').replace(/0+$/, '');
  return rest ? `${whole}.${rest}` : `${whole}`;
}

/** The commission in words: what the member takes of each order, with its floor and cap. */
export function commissionWords(terms: AgreementFacts['terms'], locale: AgreementLocale): string {
  const zh = locale === 'zh';
  let text =
    terms.basis === 'ppm'
      ? zh
        ? `按订单金额的 ${percent(terms.value)}%`
        : `${percent(terms.value)}% of the order amount`
      : zh
        ? `每笔订单固定 ${formatMinor(terms.value)} 元`
        : `a fixed ${formatMinor(terms.value)} yuan per order`;
  if (terms.floor_amount !== null) {
    text += zh
      ? `，不低于 ${formatMinor(terms.floor_amount)} 元`
      : `, at least ${formatMinor(terms.floor_amount)} yuan`;
  }
  if (terms.cap_amount !== null) {
    text += zh
      ? `，不高于 ${formatMinor(terms.cap_amount)} 元`
      : `, at most ${formatMinor(terms.cap_amount)} yuan`;
  }
  return text;
}

const CLAUSES: Record<AgreementLocale, (f: AgreementFacts) => string[]> = {
  zh: (f) => [
    `一、商户在其应用（${f.appId}）中使用分账抽佣规则“${f.ruleName}”收款的每笔订单，会员按本协议取得抽佣：${commissionWords(f.terms, 'zh')}。`,
    '二、按比例计算的抽佣向下取整到分，再按保底与封顶调整；各方抽佣合计不超过订单金额扣除手续费后的净额，超过时订单不能创建。',
    '三、抽佣在订单支付成功时计入会员的待结算户，随订单按商户的结算周期转入簿记账户，之后可转账或提现；担保交易的抽佣在商户确认收货后计入。',
    '四、订单退款时，平台按退款比例收回会员所得的抽佣；会员账户余额不足以退回时，该笔退款不能完成。',
    '五、商户变更会员的抽佣方式、比例、金额、保底或封顶后，会员须重新签署；会员签署之前，该规则不能用于新的订单。',
    '六、本协议自会员在会员门户签署时生效，至会员从该规则中移除或规则停用时终止，已发生订单的抽佣不受影响。',
  ],
  en: (f) => [
    `1. For every order the merchant takes in its app (${f.appId}) with the split-and-commission rule "${f.ruleName}", the member takes a commission under this agreement: ${commissionWords(f.terms, 'en')}.`,
    "2. A commission by rate is rounded down to the fen, then raised to the floor and lowered to the cap; all parties' commissions together never exceed the order's net (amount less fee), or the order cannot be created.",
    "3. A commission lands in the member's pending account when the order is paid, moves to its available account when the order settles on the merchant's cycle, and may then be transferred or withdrawn; an escrow order's commission lands when the merchant confirms it.",
    "4. When an order is refunded, the platform takes back the member's commission in the refund's proportion; while the member's balance cannot give it back, that refund cannot complete.",
    "5. When the merchant changes the member's commission (basis, rate, amount, floor or cap), the member signs again; until it does, new orders cannot use the rule.",
    '6. This agreement takes effect when the member signs it in the member portal and ends when the member leaves the rule or the rule is disabled; commissions of orders already made stand.',
  ],
};

/**
 * The agreement as plain text in the member's language: who, which rule, the commission, the
 * signature (or that it awaits one) and the clauses. The signed record is the Chinese text.
 */
export function agreementText(
  f: AgreementFacts,
  signature: { signedAt: Date; timeZone: string } | null,
  locale: AgreementLocale,
): string {
  const zh = locale === 'zh';
  const line = (zhLabel: string, enLabel: string, value: string) => `${zh ? zhLabel : enLabel}${value}`;
  return [
    zh ? '分账抽佣协议' : 'Split and commission agreement',
    '',
    line('协议编号：', 'Agreement: ', `SA${f.partyId}`),
    line('协议版本：', 'Version: ', SPLIT_AGREEMENT_VERSION),
    line('商户：', 'Merchant: ', f.merchantName),
    line('应用：', 'App: ', f.appId),
    line('分账规则：', 'Split rule: ', zh ? `${f.ruleName}（${f.ruleNo}）` : `${f.ruleName} (${f.ruleNo})`),
    line('会员编号：', 'Member number: ', f.memberNo),
    line('会员名称：', 'Member: ', f.memberName),
    line('抽佣：', 'Commission: ', commissionWords(f.terms, locale)),
    signature
      ? line('签署时间：', 'Signed at: ', localDateTime(signature.signedAt, signature.timeZone))
      : line('签署状态：', 'State: ', zh ? '待签署' : 'awaiting the signature'),
    ...(signature
      ? [line('签署方式：', 'Signed through: ', zh ? '会员门户自助签署' : 'the member portal')]
      : []),
    '',
    ...CLAUSES[locale](f),
    '',
  ].join('\n');
}
