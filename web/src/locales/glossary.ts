// The 'glossary' namespace: see web/src/locales/README.md.
//
// The business terms both consoles show, one word for each thing (the SPEC glossary decides: the
// upstream is a 通道, never a 渠道). Screens use them as `t('glossary:orderState.paid')`; an area
// module that needs a term as part of its own section takes the value from here
// (`glossary.zh.channelOrderNo`), never a copy. `FORBIDDEN` lists the synonyms that must not come
// back: test/console-glossary.test.ts fails when an area module uses one.
const zh = {
  /** An order's state (DESIGN §5), in every list, tag, filter and message. */
  orderState: {
    created: '待支付',
    paying: '支付中',
    paid: '支付成功',
    failed: '支付失败',
    closed: '已关闭',
    partially_refunded: '部分退款',
    refunded: '已退款',
  },
  /** A refund's state. */
  refundState: {
    pending: '退款中',
    succeeded: '退款成功',
    failed: '退款失败',
  },
  /** The state of the merchant's notify (回调) of an order. */
  notifyState: {
    none: '无需通知',
    pending: '通知中',
    succeeded: '通知成功',
    failed: '通知失败',
  },
  /** Where an order came from. Both kinds of code a payer scans are a 收款码. */
  orderSource: {
    api: '商户接口',
    portal: '门店收款',
    static_qr: '收款码',
    console_test: '支付测试',
  },
  merchant: '商户',
  mchNo: '商户号',
  app: '应用',
  appId: 'AppID',
  product: '支付产品',
  channel: '支付通道',
  channelAccount: '通道账户',
  orderNo: '平台订单号',
  mchOrderNo: '商户订单号',
  channelOrderNo: '通道订单号',
  refundNo: '退款单号',
  mchRefundNo: '商户退款单号',
  collectCode: '收款码',
  amount: '订单金额',
  rate: '费率',
  fee: '手续费',
  cost: '平台成本',
  profit: '平台利润',
  costRate: '成本费率',
  refund: '退款',
  /** 补单: the operator's act, and the short tag on an order it completed. */
  manualCompletion: '人工补单',
  manualTag: '补单',
  notify: '商户通知',
  testOrder: '测试订单',
};

const en: typeof zh = {
  orderState: {
    created: 'Awaiting payment',
    paying: 'Paying',
    paid: 'Paid',
    failed: 'Failed',
    closed: 'Closed',
    partially_refunded: 'Partly refunded',
    refunded: 'Refunded',
  },
  refundState: {
    pending: 'Refunding',
    succeeded: 'Refund succeeded',
    failed: 'Refund failed',
  },
  notifyState: {
    none: 'Not needed',
    pending: 'Sending',
    succeeded: 'Delivered',
    failed: 'Failed',
  },
  orderSource: {
    api: 'Merchant API',
    portal: 'In store',
    static_qr: 'QR code',
    console_test: 'Payment test',
  },
  merchant: 'Merchant',
  mchNo: 'Merchant no.',
  app: 'App',
  appId: 'AppID',
  product: 'Product',
  channel: 'Channel',
  channelAccount: 'Channel account',
  orderNo: 'Order no.',
  mchOrderNo: 'Merchant order no.',
  channelOrderNo: 'Channel order no.',
  refundNo: 'Refund no.',
  mchRefundNo: 'Merchant refund no.',
  collectCode: 'QR code',
  amount: 'Amount',
  rate: 'Rate',
  fee: 'Fee',
  cost: 'Platform cost',
  profit: 'Platform profit',
  costRate: 'Cost rate',
  refund: 'Refund',
  manualCompletion: 'Manual completion',
  manualTag: 'Manual',
  notify: 'Merchant notify',
  testOrder: 'Test order',
};

/**
 * Words that name a glossary term differently: an area module must not show them (a whole string
 * equal to one of these). Per language, keyed by the glossary term they compete with.
 */
export const FORBIDDEN: Record<'zh' | 'en', Record<string, string[]>> = {
  zh: {
    'orderState.created': ['已创建', '待付款'],
    'orderState.paid': ['已支付', '已付款', '付款成功'],
    'orderState.partially_refunded': ['部分已退款', '已部分退款'],
    'notifyState.none': ['未发送', '不通知'],
    'notifyState.succeeded': ['已送达', '通知已送达'],
    'notifyState.failed': ['发送失败'],
    channelOrderNo: ['渠道单号', '渠道订单号', '通道单号', '上游订单号', '上游单号'],
    channel: ['支付渠道', '渠道'],
    collectCode: ['静态码', '静态收款码', '固定收款码', '动态收款码', '收款二维码'],
    cost: ['通道成本'],
    profit: ['利润', '平台毛利'],
    manualCompletion: ['平台补单', '手工补单', '手动补单'],
    mchNo: ['商户编号', '商户 ID', '商户ID'],
    appId: ['应用ID', '应用 ID', '应用编号'],
    fee: ['服务费', '手续费用'],
  },
  en: {
    'orderState.created': ['Unpaid'],
    'orderState.paid': ['Succeeded', 'Success'],
    'notifyState.none': ['Not sent'],
    channelOrderNo: ['Channel no.', 'Upstream order no.', 'Channel order number'],
    collectCode: ['Static QR', 'Static code', 'Fixed QR code'],
    cost: ['Channel cost'],
    manualCompletion: ['Completed by the platform'],
    mchNo: ['Merchant ID', 'Merchant number'],
    appId: ['App ID', 'Application ID'],
  },
};

export default { zh, en };
