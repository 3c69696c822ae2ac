// The 回收站 screen's words and the delete buttons' (operator namespace, `recycle.*`): kept beside the
// area's module so that one stays readable; locales.ts takes them in as its `recycle` section.
import glossary from '../locales/glossary.ts';

const zh = {
  title: '回收站',
  subtitle:
    '删除的商户、应用、支付产品、通道、通道账户、收款码和登录账号在这里保留 {{days}} 天，期间可原样恢复；有订单、流水、提现或代付的记录只会停用并隐藏，永远不会被彻底删除',
  object: '删除的对象',
  deletedAt: '删除时间',
  type: '类型',
  typePlaceholder: '全部类型',
  types: {
    merchant: glossary.zh.merchant,
    app: glossary.zh.app,
    product: glossary.zh.product,
    channel: glossary.zh.channel,
    channel_account: glossary.zh.channelAccount,
    collect_code: '收款码',
    user: '登录账号',
  },
  owner: '所属',
  deletedBy: '删除人',
  purgeAfter: '到期彻底删除',
  purgeAfterTip: '到期后由系统任务彻底删除；涉及资金的记录会一直保留',
  restore: '恢复',
  restoreConfirm: '恢复「{{name}}」？它会回到删除前的状态并立即生效',
  restored: '已恢复「{{name}}」',
  purge: '彻底删除',
  purgeConfirm: '彻底删除「{{name}}」？此操作不可撤销',
  purged: '已彻底删除「{{name}}」',
  purgeSuperAdminOnly: '只有超级管理员可以彻底删除',
  area: { operator: '操作员', merchant: '商户账号', agent: '代理商账号' },
  none: '-',
  // The delete buttons of the other screens.
  delete: '删除',
  deleteConfirm: '删除「{{name}}」？它会立即停止使用并移入回收站，保留期内可在回收站恢复',
  deleted: '已删除「{{name}}」，可在回收站恢复',
  retention: '回收站保留天数',
  retentionHelp: '删除的记录保留这么多天后由系统彻底删除（1–3650 天）；涉及资金的记录永远不会被彻底删除',
  retentionSaved: '已保存回收站保留天数',
};

const en: typeof zh = {
  title: 'Recycle bin',
  subtitle:
    'Deleted merchants, apps, payment products, channels, channel accounts, collect codes and logins stay here for {{days}} days and can be restored as they were; what has orders, entries, withdrawals or payouts is only disabled and hidden, never purged',
  object: 'Deleted item',
  deletedAt: 'Deleted at',
  type: 'Type',
  typePlaceholder: 'All types',
  types: {
    merchant: glossary.en.merchant,
    app: glossary.en.app,
    product: glossary.en.product,
    channel: glossary.en.channel,
    channel_account: glossary.en.channelAccount,
    collect_code: 'Collect code',
    user: 'Login',
  },
  owner: 'Belongs to',
  deletedBy: 'Deleted by',
  purgeAfter: 'Purged after',
  purgeAfterTip: 'A scheduled job purges it then; what money refers to is kept for ever',
  restore: 'Restore',
  restoreConfirm: 'Restore “{{name}}”? It comes back as it was before the delete, at once',
  restored: 'Restored “{{name}}”',
  purge: 'Purge',
  purgeConfirm: 'Purge “{{name}}” for good? This cannot be undone',
  purged: 'Purged “{{name}}”',
  purgeSuperAdminOnly: 'Only a super admin can purge',
  area: { operator: 'Operator', merchant: 'Merchant login', agent: 'Agent login' },
  none: '-',
  delete: 'Delete',
  deleteConfirm:
    'Delete “{{name}}”? It stops working at once and moves to the recycle bin, where it can be restored until it is purged',
  deleted: 'Deleted “{{name}}”; it can be restored from the recycle bin',
  retention: 'Days kept in the recycle bin',
  retentionHelp:
    'Deleted rows are purged after this many days (1–3650); what money refers to is never purged',
  retentionSaved: 'Saved the recycle bin’s retention',
};

export default { zh, en };
