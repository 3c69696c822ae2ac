/**
 * The words the files people read use for codes (the exports, the merchants' statements), the same
 * the consoles show (web/src/locales/glossary.ts and the reconciliation screen's): a spreadsheet or a
 * statement is read by people, not by the API. test/exports.test.ts holds these to the consoles' words.
 */
export const WORDS = {
  payWay: {
    ALI_QR: '支付宝扫码',
    ALI_WAP: '支付宝H5',
    ALI_PC: '支付宝电脑网站',
    ALI_BAR: '支付宝付款码',
    WX_NATIVE: '微信扫码',
    WX_H5: '微信H5',
    WX_JSAPI: '微信公众号/JSAPI',
    WX_BAR: '微信付款码',
  },
  /** The channel kind, by its adapter: what the payer's money went through. */
  adapter: { alipay: '支付宝', wechatpay: '微信支付', sandbox: '测试通道' },
  orderState: {
    created: '待支付',
    paying: '支付中',
    paid: '支付成功',
    failed: '支付失败',
    closed: '已关闭',
    partially_refunded: '部分退款',
    refunded: '已退款',
  },
  refundState: { pending: '退款中', succeeded: '退款成功', failed: '退款失败' },
  orderSource: { api: '商户接口', portal: '门店收款', static_qr: '收款码', console_test: '支付测试' },
  withdrawalState: {
    reviewing: '未到付款日',
    approved: '等待付款',
    submitted: '付款已提交',
    succeeded: '已付款',
    failed: '付款失败',
    rejected: '审核未通过',
  },
  payoutState: { pending: '待提交', submitted: '付款已提交', succeeded: '已付款', failed: '付款失败' },
  payoutKind: { withdrawal: '提现', payout: '代付' },
  ownerKind: { merchant: '商户', agent: '代理商', member: '会员' },
  balance: {
    pending: '待结算',
    available: '可用余额',
    frozen: '冻结金额',
    reserved: '风险预留',
    settled_by_channel: '通道结算',
    test_settled: '测试订单结清',
  },
  memberAccount: { pending: '待结算户', available: '簿记账户', frozen: '冻结金额' },
  entryType: {
    payment: '收款',
    refund: '退款',
    refund_reversal: '退款失败退回',
    settlement: '结算',
    reserve_release: '风险预留释放',
    test_settlement: '测试订单结清',
    direct_settlement: '通道结算',
    withdrawal_freeze: '提现冻结',
    withdrawal_release: '提现退回',
    payout_freeze: '代付冻结',
    payout_paid: '出款成功',
    payout_returned: '出款失败退回',
    member_transfer: '会员转账',
    escrow_release: '担保确认收入',
    member_settlement: '待结算转入簿记账户',
  },
  settlementKind: {
    settlement: '结算',
    test: '测试订单结清',
    direct: '通道结算',
    reserve_release: '风险预留释放',
  },
  settlementMode: { platform: '平台结算', direct: '通道直清' },
  reconClass: {
    platform_only: '平台有通道无',
    channel_only: '通道有平台无',
    amount_mismatch: '金额不符',
    status_mismatch: '状态不符',
    fee_mismatch: '手续费不符',
    carried: '跨日待核对',
  },
  reconResolution: { open: '待处理', resolved: '已处理' },
  reconKind: { payment: '收款', refund: '退款' },
  yes: '是',
  no: '否',
} as const;

export type WordGroup = Exclude<keyof typeof WORDS, 'yes' | 'no'>;

/** The word for a code of a group; an unknown code (a newer state) is written as it is rather than lost. */
export function word(group: WordGroup, code: string | null | undefined): string | null {
  if (code === null || code === undefined) return null;
  return (WORDS[group] as Record<string, string>)[code] ?? code;
}
