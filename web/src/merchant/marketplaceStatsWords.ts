// Words of the dashboard's marketplace section (市场), taken into the merchant namespace as
// `marketplaceStats` (web/src/merchant/locales.ts).

const zh = {
  title: '市场',
  subtitle: '会员与分账的资金往来，每 2 分钟自动刷新',
  readAt: '更新于 {{time}}',
  todayTitle: '今日',
  inflow: '今日入金',
  inflowTip: '充值、消费与担保交易今日支付成功的金额合计',
  count: '{{count}} 笔',
  commissionOf: '佣金 {{amount}}',
  kind: {
    consumption: '消费',
    escrow: '担保',
    recharge: '充值',
    withdrawal: '提现',
    refund: '退款',
    transfer: '转账',
  },
  tip: {
    consumption: '带收款会员或分账规则、非担保的订单，按支付成功时间',
    escrow: '担保交易订单，按支付成功时间；确认收货后才有佣金',
    recharge: '会员充值订单，按支付成功时间',
    withdrawal: '会员提现（不含本商户自己的提现），按申请日，不含失败与驳回',
    refund: '会员与分账订单的退款，按申请时间，不含失败',
    transfer: '会员之间的转账',
  },
  trendTitle: '近 90 天趋势',
  series: '类型',
  seriesPlaceholder: '选择要显示的类型',
  metric: '指标',
  metricName: { count: '笔数', amount: '金额', commission: '佣金', fee: '手续费' },
  yCount: '笔数',
  yAmount: '金额（元）',
  empty: '近 90 天还没有会员与分账的资金往来',
};

const en: typeof zh = {
  title: 'Marketplace',
  subtitle: 'Money moving through members and splits, refreshed every 2 minutes',
  readAt: 'Updated at {{time}}',
  todayTitle: 'Today',
  inflow: "Today's in-flow",
  inflowTip: 'Recharge, consumption and escrow payments that succeeded today, added up',
  count: 'Count: {{count}}',
  commissionOf: 'Commission {{amount}}',
  kind: {
    consumption: 'Consumption',
    escrow: 'Escrow',
    recharge: 'Recharge',
    withdrawal: 'Withdrawals',
    refund: 'Refunds',
    transfer: 'Transfers',
  },
  tip: {
    consumption: 'Orders with a payee member or a split rule, without escrow, by the time they were paid',
    escrow: 'Escrow orders, by the time they were paid; their commission comes once they are confirmed',
    recharge: "Members' recharge orders, by the time they were paid",
    withdrawal:
      "Members' withdrawals (not the store's own), by the day asked for, failed and rejected left out",
    refund: 'Refunds of member and split orders, by the time asked for, failed ones left out',
    transfer: 'Transfers between members',
  },
  trendTitle: 'Last 90 days',
  series: 'Types',
  seriesPlaceholder: 'Choose the types to show',
  metric: 'Measure',
  metricName: { count: 'Count', amount: 'Amount', commission: 'Commission', fee: 'Fee' },
  yCount: 'Count',
  yAmount: 'Amount (¥)',
  empty: 'No money has moved through members or splits in the last 90 days',
};

export default { zh, en };
