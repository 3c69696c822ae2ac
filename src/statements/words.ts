/**
 * The words a merchant's statement file uses (MON-6: "values in readable Chinese"): the same terms
 * as the consoles' glossary (web/src/locales/glossary.ts), so a statement and the portal agree.
 */

export const PAY_WAY_WORDS: Record<string, string> = {
  ALI_QR: '支付宝扫码',
  ALI_WAP: '支付宝H5',
  ALI_PC: '支付宝电脑网站',
  ALI_BAR: '支付宝付款码',
  WX_NATIVE: '微信扫码',
  WX_H5: '微信H5',
  WX_JSAPI: '微信公众号/JSAPI',
  WX_BAR: '微信付款码',
};

/** The channel kind, by its adapter: what the payer's money went through. */
export const ADAPTER_WORDS: Record<string, string> = {
  alipay: '支付宝',
  wechatpay: '微信支付',
  sandbox: '测试通道',
};

export const ORDER_STATE_WORDS: Record<string, string> = {
  created: '待支付',
  paying: '支付中',
  paid: '支付成功',
  failed: '支付失败',
  closed: '已关闭',
  partially_refunded: '部分退款',
  refunded: '已退款',
};

export const REFUND_STATE_WORDS: Record<string, string> = {
  pending: '退款中',
  succeeded: '退款成功',
  failed: '退款失败',
};

export const WITHDRAWAL_STATE_WORDS: Record<string, string> = {
  reviewing: '未到付款日',
  approved: '等待付款',
  submitted: '付款已提交',
  succeeded: '已付款',
  failed: '付款失败',
  rejected: '审核未通过',
};

export const PAYOUT_STATE_WORDS: Record<string, string> = {
  pending: '待提交',
  submitted: '付款已提交',
  succeeded: '已付款',
  failed: '付款失败',
};

/** A merchant's ledger accounts (without the `merchant_` prefix). */
export const ACCOUNT_WORDS: Record<string, string> = {
  pending: '待结算',
  available: '可用余额',
  frozen: '冻结金额',
  reserved: '风险预留',
  settled_by_channel: '通道结算',
  test_settled: '测试订单结清',
};

/** The ledger transaction kinds, as the account entries name them. */
export const ENTRY_TYPE_WORDS: Record<string, string> = {
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
};

export const SETTLEMENT_KIND_WORDS: Record<string, string> = {
  settlement: '结算',
  test: '测试订单结清',
  direct: '通道结算',
  reserve_release: '风险预留释放',
};

export const MODE_WORDS: Record<string, string> = { platform: '平台结算', direct: '通道直清' };

/** A word from a table, or the code itself when the table has none (a code added later). */
export function wordOf(table: Record<string, string>, code: string | null | undefined): string {
  if (!code) return '';
  return table[code] ?? code;
}
