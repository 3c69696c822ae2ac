/**
 * What each audited console mutation is, in the product's words: a stable action key per route
 * (translated by the consoles in web/src/locales/audit.ts) and the kind of object it changes.
 * The audit hook looks the route up here; a console mutation route missing from this table fails
 * test/audit-log.test.ts.
 */

export interface AuditAction {
  /** Stable key, e.g. 'order.complete'; never a route or an HTTP status. */
  key: string;
  /** The kind of object the action changes, when the route's note does not say. */
  target: AuditTargetType;
  /** The key used instead when nothing existed before (e.g. opening a product rather than changing its rate). */
  keyWhenNew?: string;
}

/** The kinds of object an audit row is about; each has a label in both languages. */
export const AUDIT_TARGET_TYPES = [
  'user',
  'operator',
  'role',
  'setting',
  'merchant',
  'merchant_user',
  'merchant_product',
  'app',
  'product',
  'channel',
  'channel_account',
  'channel_account_rate',
  'product_binding',
  'order',
  'collect_code',
  'withdrawal',
  'bank_card',
  'payout',
  'agent',
  'agent_rate',
  'onboarding_application',
  'blacklist_entry',
  'recon_batch',
  'recon_item',
  'alert',
  'alert_route',
  'bot',
  'bot_group',
  'notification_template',
  'notification_blacklist',
  'member',
  'member_onboarding_link',
  'member_import',
  'split_rule',
  'escrow',
] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

const a = (key: string, target: AuditTargetType, keyWhenNew?: string): AuditAction => ({
  key,
  target,
  ...(keyWhenNew ? { keyWhenNew } : {}),
});

/** Actions the login route records itself (the caller has no session yet). */
export const LOGIN_ACTIONS = { succeeded: 'auth.login', failed: 'auth.login_failed' } as const;

/** Every console mutation, by `METHOD /route/:param`. */
export const AUDIT_ACTIONS: Readonly<Record<string, AuditAction>> = {
  // The caller's own account and session.
  'POST /api/auth/login': a(LOGIN_ACTIONS.succeeded, 'user'),
  'POST /api/auth/totp': a('auth.totp', 'user'),
  'POST /api/auth/password': a('auth.password_change', 'user'),
  'POST /api/auth/totp/enrol/start': a('auth.totp_enrol_start', 'user'),
  'POST /api/auth/totp/enrol/confirm': a('auth.totp_enrol', 'user'),
  'POST /api/auth/totp/disable': a('auth.totp_disable', 'user'),
  'POST /api/auth/logout': a('auth.logout', 'user'),
  'POST /api/auth/password-reset/request': a('auth.password_reset_request', 'user'),
  'POST /api/auth/password-reset/confirm': a('auth.password_reset', 'user'),
  // The member portal's first login (no session yet: the routes record themselves).
  'POST /api/auth/member/first-login/code': a('auth.member_first_login_code', 'user'),
  'POST /api/auth/member/first-login/verify': a('auth.member_first_login_verify', 'user'),
  'POST /api/auth/member/first-login/setup': a('auth.member_first_login', 'member'),

  // Operators, roles, settings.
  'POST /api/admin/roles': a('role.create', 'role'),
  'PATCH /api/admin/roles/:id': a('role.update', 'role'),
  'DELETE /api/admin/roles/:id': a('role.delete', 'role'),
  'POST /api/admin/operators': a('operator.create', 'operator'),
  'PATCH /api/admin/operators/:id': a('operator.update', 'operator'),
  'POST /api/admin/operators/:id/reset-password': a('operator.reset_password', 'operator'),
  'POST /api/admin/operators/:id/reset-totp': a('operator.reset_totp', 'operator'),
  'POST /api/admin/operators/:id/unlock': a('operator.unlock', 'operator'),
  'PUT /api/admin/settings/completion-password': a('setting.completion_password', 'setting'),
  'PUT /api/admin/settings/exports': a('setting.exports', 'setting'),
  'PUT /api/admin/settings/recycle-bin': a('setting.recycle', 'setting'),
  'PUT /api/admin/settings/history': a('setting.history', 'setting'),
  'PUT /api/admin/settings/order-number': a('setting.order_number', 'setting'),
  'PUT /api/admin/settings/notify-schedule': a('setting.notify_schedule', 'setting'),
  'PUT /api/admin/settings/session-policy': a('setting.session_policy', 'setting'),
  'PUT /api/admin/settings/password-policy': a('setting.password_policy', 'setting'),
  'PUT /api/admin/settings/site': a('setting.site', 'setting'),
  'PUT /api/admin/settings/site-logo': a('setting.site_logo', 'setting'),

  // Settlement: calendar, defaults, merchant terms, a run on demand.
  'PUT /api/admin/settlement/holidays/:date': a('settlement.calendar_set', 'setting'),
  'DELETE /api/admin/settlement/holidays/:date': a('settlement.calendar_delete', 'setting'),
  'PUT /api/admin/settlement/defaults': a('settlement.defaults', 'setting'),
  'PUT /api/admin/merchants/:mchNo/settlement-terms': a('settlement.terms', 'merchant'),
  'POST /api/admin/settlement/run': a('settlement.run', 'setting'),

  // Merchants, their logins, products and apps.
  'POST /api/admin/merchants': a('merchant.create', 'merchant'),
  'PATCH /api/admin/merchants/:mchNo': a('merchant.update', 'merchant'),
  'POST /api/admin/merchants/:mchNo/review': a('merchant.review', 'merchant'),
  'POST /api/admin/merchants/:mchNo/users': a('merchant_user.create', 'merchant_user'),
  'PATCH /api/admin/merchants/:mchNo/users/:userId': a('merchant_user.update', 'merchant_user'),
  'POST /api/admin/merchants/:mchNo/users/:userId/reset-password': a(
    'merchant_user.reset_password',
    'merchant_user',
  ),
  'POST /api/admin/merchants/:mchNo/users/:userId/reset-totp': a('merchant_user.reset_totp', 'merchant_user'),
  'POST /api/admin/merchants/:mchNo/users/:userId/unlock': a('merchant_user.unlock', 'merchant_user'),
  'PUT /api/admin/merchants/:mchNo/products/:productCode': a(
    'merchant_product.update',
    'merchant_product',
    'merchant_product.open',
  ),
  'POST /api/admin/merchants/:mchNo/apps': a('app.create', 'app'),
  'PATCH /api/admin/apps/:appId': a('app.update', 'app'),
  'POST /api/admin/apps/:appId/rotate-secret': a('app.rotate_secret', 'app'),
  'PUT /api/admin/apps/:appId/protocol': a('app.protocol', 'app'),

  // Products, channels, routing.
  'POST /api/admin/products': a('product.create', 'product'),
  'PATCH /api/admin/products/:code': a('product.update', 'product'),
  'POST /api/admin/channels': a('channel.create', 'channel'),
  'PATCH /api/admin/channels/:code': a('channel.update', 'channel'),
  'PUT /api/admin/channel-accounts/:id/breaker': a('channel_account.breaker', 'channel_account'),
  'DELETE /api/admin/channel-accounts/:id/breaker': a('channel_account.breaker_reset', 'channel_account'),
  'PUT /api/admin/merchants/:mchNo/bindings/:productCode': a('merchant_binding.update', 'merchant_product'),
  'POST /api/admin/channel-accounts': a('channel_account.create', 'channel_account'),
  'PATCH /api/admin/channel-accounts/:id': a('channel_account.update', 'channel_account'),
  'POST /api/admin/channel-accounts/:id/test-connection': a(
    'channel_account.test_connection',
    'channel_account',
  ),
  'PUT /api/admin/channel-accounts/:id/rates/:productCode': a(
    'channel_account_rate.update',
    'channel_account_rate',
  ),
  'PUT /api/admin/products/:code/bindings/:channelAccountId': a('product_binding.update', 'product_binding'),
  'DELETE /api/admin/products/:code/bindings/:channelAccountId': a(
    'product_binding.delete',
    'product_binding',
  ),

  // Orders and refunds.
  'POST /api/admin/orders/:orderNo/sync': a('order.sync', 'order'),
  'POST /api/admin/orders/:orderNo/close': a('order.close', 'order'),
  'POST /api/admin/orders/:orderNo/notify/resend': a('order.notify_resend', 'order'),
  'POST /api/admin/orders/:orderNo/complete': a('order.complete', 'order'),
  'POST /api/admin/orders/batch': a('order.batch', 'order'),
  'POST /api/admin/orders/:orderNo/complete/verify': a('order.complete_verify', 'order'),
  'POST /api/admin/test-orders': a('order.test', 'order'),
  'POST /api/admin/orders/:orderNo/refunds': a('refund.create', 'order'),

  // The merchant portal.
  'POST /api/merchant/orders/:orderNo/close': a('order.close', 'order'),
  'POST /api/merchant/orders/:orderNo/cancel': a('order.cancel', 'order'),
  'POST /api/merchant/orders/:orderNo/sync': a('order.sync', 'order'),
  'POST /api/merchant/orders/:orderNo/refunds': a('refund.create', 'order'),
  'POST /api/merchant/collect': a('order.collect', 'order'),
  'PATCH /api/merchant/apps/:appId': a('app.update', 'app'),
  'POST /api/merchant/apps/:appId/rotate-secret': a('app.rotate_secret', 'app'),
  'POST /api/merchant/orders/:orderNo/notifies/resend': a('order.notify_resend', 'order'),
  'POST /api/merchant/cashiers': a('cashier.create', 'merchant_user'),
  'PATCH /api/merchant/cashiers/:id': a('cashier.update', 'merchant_user'),
  'POST /api/merchant/cashiers/:id/reset-password': a('cashier.reset_password', 'merchant_user'),
  'POST /api/merchant/collect-codes': a('collect_code.create', 'collect_code'),
  'PATCH /api/merchant/collect-codes/:id': a('collect_code.update', 'collect_code'),

  // Withdrawals and bank cards (portal and operator console).
  'POST /api/merchant/bank-cards': a('bank_card.create', 'bank_card'),
  'POST /api/merchant/bank-cards/:id/default': a('bank_card.set_default', 'bank_card'),
  'DELETE /api/merchant/bank-cards/:id': a('bank_card.delete', 'bank_card'),
  'POST /api/merchant/withdrawals': a('withdrawal.create', 'withdrawal'),
  'POST /api/merchant/members': a('member.create', 'member'),
  'POST /api/merchant/members/:memberNo/state': a('member.state', 'member'),
  'POST /api/merchant/member-onboarding-links': a('member.onboarding_link_create', 'member_onboarding_link'),
  'POST /api/merchant/member-onboarding-links/:linkNo/revoke': a(
    'member.onboarding_link_revoke',
    'member_onboarding_link',
  ),
  'POST /api/merchant/member-imports': a('member_import.upload', 'member_import'),
  'POST /api/merchant/member-imports/:batchNo/submit': a('member_import.submit', 'member_import'),
  'POST /api/admin/member-imports/:batchNo/approve': a('member_import.approve', 'member_import'),
  'POST /api/admin/member-imports/:batchNo/reject': a('member_import.reject', 'member_import'),
  // Marketplace splits and escrow (the merchant portal).
  'POST /api/merchant/split-rules': a('split_rule.create', 'split_rule'),
  'PUT /api/merchant/split-rules/:ruleNo': a('split_rule.update', 'split_rule'),
  'POST /api/merchant/split-rules/:ruleNo/enable': a('split_rule.enable', 'split_rule'),
  'POST /api/merchant/split-rules/:ruleNo/disable': a('split_rule.disable', 'split_rule'),
  'POST /api/merchant/split-rules/:ruleNo/parties/:partyId/resend-agreement': a(
    'split_rule.resend_agreement',
    'split_rule',
  ),
  'POST /api/merchant/escrows/:orderNo/confirm': a('escrow.confirm', 'escrow'),
  'PUT /api/merchant/auto-withdrawal': a('withdrawal.auto_settings', 'merchant'),
  'POST /api/admin/withdrawals/:withdrawNo/approve': a('withdrawal.approve', 'withdrawal'),
  'POST /api/admin/withdrawals/:withdrawNo/reject': a('withdrawal.reject', 'withdrawal'),
  'POST /api/admin/withdrawals/approve': a('withdrawal.approve_bulk', 'withdrawal'),
  'PUT /api/admin/settings/withdrawal-rules': a('setting.withdrawal_rules', 'setting'),
  'PUT /api/admin/merchants/:mchNo/withdrawal-rules': a('merchant.withdrawal_rules', 'merchant'),
  'POST /api/admin/bank-cards/:id/approve': a('bank_card.approve', 'bank_card'),
  'POST /api/admin/bank-cards/:id/reject': a('bank_card.reject', 'bank_card'),
  // Payouts (代付).
  'POST /api/admin/payouts/:payoutNo/retry': a('payout.retry', 'payout'),
  'POST /api/admin/payouts/:payoutNo/mark-failed': a('payout.mark_failed', 'payout'),
  'PUT /api/admin/settings/payout-rules': a('payout_rules.update', 'setting'),
  'PUT /api/admin/merchants/:mchNo/payout-rules': a('payout_rules.update_merchant', 'merchant'),

  // Reconciliation against channel statements.
  'POST /api/admin/reconciliation/batches': a('reconciliation.run', 'recon_batch'),
  'POST /api/admin/reconciliation/uploads': a('reconciliation.upload', 'recon_batch'),
  'POST /api/admin/reconciliation/items/:id/resolve': a('reconciliation.resolve', 'recon_item'),
  'POST /api/admin/reconciliation/items/:id/complete': a('reconciliation.complete', 'order'),
  'PUT /api/admin/reconciliation/settings': a('reconciliation.settings', 'setting'),

  // Operations alerts: acknowledge and resolve, an order's alerts, routing rules, thresholds.
  'POST /api/admin/alerts/:id/acknowledge': a('alert.acknowledge', 'alert'),
  'POST /api/admin/alerts/:id/resolve': a('alert.resolve', 'alert'),
  'POST /api/admin/orders/:orderNo/alerts/acknowledge': a('order.alert_acknowledge', 'order'),
  'POST /api/admin/alert-routes': a('alert_route.create', 'alert_route'),
  'PUT /api/admin/alert-routes/:id': a('alert_route.update', 'alert_route'),
  'DELETE /api/admin/alert-routes/:id': a('alert_route.delete', 'alert_route'),
  'PUT /api/admin/alerts/settings': a('setting.alerts', 'setting'),
  // The recycle bin: deletes (each by the permission that edits the thing), restore, purge.
  'DELETE /api/admin/merchants/:mchNo': a('merchant.delete', 'merchant'),
  'DELETE /api/admin/apps/:appId': a('app.delete', 'app'),
  'DELETE /api/admin/products/:code': a('product.delete', 'product'),
  'DELETE /api/admin/channels/:code': a('channel.delete', 'channel'),
  'DELETE /api/admin/channel-accounts/:id': a('channel_account.delete', 'channel_account'),
  'DELETE /api/admin/collect-codes/:id': a('collect_code.delete', 'collect_code'),
  'DELETE /api/admin/operators/:id': a('operator.delete', 'operator'),
  'DELETE /api/admin/merchants/:mchNo/users/:userId': a('merchant_user.delete', 'merchant_user'),
  'POST /api/admin/recycle-bin/:type/:id/restore': a('recycle.restore', 'merchant'),
  'DELETE /api/admin/recycle-bin/:type/:id': a('recycle.purge', 'merchant'),

  // Agents (operator console and the agent area).
  'POST /api/admin/agents': a('agent.create', 'agent'),
  'PATCH /api/admin/agents/:agentNo': a('agent.update', 'agent'),
  'PUT /api/admin/agents/:agentNo/rates/:productCode': a('agent_rate.update', 'agent_rate'),
  'POST /api/admin/agents/:agentNo/move': a('agent.move', 'agent'),
  'POST /api/admin/merchants/:mchNo/move': a('merchant.move', 'merchant'),
  // Onboarding (operator console and the agent area).
  'POST /api/admin/onboarding/applications': a('onboarding.create', 'onboarding_application'),
  'PUT /api/admin/onboarding/applications/:applicationNo': a('onboarding.update', 'onboarding_application'),
  'PUT /api/admin/onboarding/applications/:applicationNo/documents/:kind': a(
    'onboarding.upload',
    'onboarding_application',
  ),
  'POST /api/admin/onboarding/applications/:applicationNo/submit': a(
    'onboarding.submit',
    'onboarding_application',
  ),
  'POST /api/admin/onboarding/applications/:applicationNo/request-changes': a(
    'onboarding.request_changes',
    'onboarding_application',
  ),
  'POST /api/admin/onboarding/applications/:applicationNo/reject': a(
    'onboarding.reject',
    'onboarding_application',
  ),
  'POST /api/admin/onboarding/applications/:applicationNo/approve': a(
    'onboarding.approve',
    'onboarding_application',
  ),
  'POST /api/admin/onboarding/blacklist': a('blacklist.create', 'blacklist_entry'),
  'PATCH /api/admin/onboarding/blacklist/:id': a('blacklist.update', 'blacklist_entry'),
  'DELETE /api/admin/onboarding/blacklist/:id': a('blacklist.delete', 'blacklist_entry'),
  'POST /api/agent/onboarding/applications': a('onboarding.create', 'onboarding_application'),
  'PUT /api/agent/onboarding/applications/:applicationNo': a('onboarding.update', 'onboarding_application'),
  'PUT /api/agent/onboarding/applications/:applicationNo/documents/:kind': a(
    'onboarding.upload',
    'onboarding_application',
  ),
  'POST /api/agent/onboarding/applications/:applicationNo/submit': a(
    'onboarding.submit',
    'onboarding_application',
  ),
  'POST /api/agent/bank-cards': a('bank_card.create', 'bank_card'),
  'POST /api/agent/bank-cards/:id/default': a('bank_card.set_default', 'bank_card'),
  'DELETE /api/agent/bank-cards/:id': a('bank_card.delete', 'bank_card'),
  'POST /api/agent/withdrawals': a('withdrawal.create', 'withdrawal'),
  // The member portal.
  'POST /api/member/bank-cards': a('bank_card.create', 'bank_card'),
  'POST /api/member/bank-cards/:id/default': a('bank_card.set_default', 'bank_card'),
  'DELETE /api/member/bank-cards/:id': a('bank_card.delete', 'bank_card'),
  'PUT /api/member/withdraw-setting': a('member.withdraw_setting', 'member'),
  'PUT /api/merchant/members/:memberNo/withdraw-setting': a('member.withdraw_setting', 'member'),
  'POST /api/member/withdrawals': a('withdrawal.create', 'withdrawal'),
  'POST /api/member/split-agreements/:id/sign': a('split_rule.sign_agreement', 'split_rule'),
  'POST /api/agent/agents': a('agent.create', 'agent'),
  'PUT /api/agent/agents/:agentNo/rates/:productCode': a('agent_rate.update', 'agent_rate'),
  'POST /api/agent/merchants': a('merchant.create', 'merchant'),
  'PUT /api/agent/merchants/:mchNo/products/:productCode': a(
    'merchant_product.update',
    'merchant_product',
    'merchant_product.open',
  ),
  // The Telegram bot (机器人).
  'PUT /api/admin/bot': a('bot.update', 'bot'),
  'POST /api/admin/bot/binding-codes': a('bot.binding_code', 'bot_group'),
  'PATCH /api/admin/bot/groups/:id': a('bot_group.update', 'bot_group'),
  'DELETE /api/admin/bot/groups/:id': a('bot_group.unbind', 'bot_group'),
  'POST /api/admin/bot/groups/:id/test': a('bot_group.test', 'bot_group'),
  'POST /api/merchant/bot/binding-codes': a('bot.binding_code', 'bot_group'),
  'PATCH /api/merchant/bot/groups/:id': a('bot_group.update', 'bot_group'),
  'DELETE /api/merchant/bot/groups/:id': a('bot_group.unbind', 'bot_group'),
  'POST /api/merchant/bot/groups/:id/test': a('bot_group.test', 'bot_group'),

  // Notifications (通知设置): providers, test messages, templates, blacklist, quiet hours, recipients.
  'PUT /api/admin/notifications/providers': a('notification.providers', 'setting'),
  'POST /api/admin/notifications/test': a('notification.test', 'setting'),
  'PUT /api/admin/notifications/templates/:event/:locale': a(
    'notification.template',
    'notification_template',
  ),
  'DELETE /api/admin/notifications/templates/:event/:locale': a(
    'notification.template_reset',
    'notification_template',
  ),
  'POST /api/admin/notifications/blacklist': a('notification.blacklist_add', 'notification_blacklist'),
  'DELETE /api/admin/notifications/blacklist/:id': a(
    'notification.blacklist_remove',
    'notification_blacklist',
  ),
  'PUT /api/admin/notifications/quiet-hours': a('notification.quiet_hours', 'setting'),
  'PUT /api/admin/notifications/recipients': a('notification.recipients', 'setting'),
  'PUT /api/merchant/notifications/customer-messages': a('notification.customer_messages', 'setting'),
};

/** Every action key an audit row can carry (the login ones included); each is translated in both languages. */
export const AUDIT_ACTION_KEYS: readonly string[] = [
  ...new Set([
    LOGIN_ACTIONS.succeeded,
    LOGIN_ACTIONS.failed,
    ...Object.values(AUDIT_ACTIONS).flatMap((x) => (x.keyWhenNew ? [x.key, x.keyWhenNew] : [x.key])),
  ]),
].sort();

/** Path prefixes of the console areas: a mutation under one of them is audited. */
export const CONSOLE_PREFIXES = [
  '/api/auth/',
  '/api/admin/',
  '/api/merchant/',
  '/api/agent/',
  '/api/member/',
] as const;

/** The action of a route (`METHOD /route/:param`), or undefined for a route the table does not know. */
export function auditActionOf(route: string): AuditAction | undefined {
  return Object.hasOwn(AUDIT_ACTIONS, route) ? AUDIT_ACTIONS[route] : undefined;
}

/** A stored row's action key: rows written before keys were stored hold the route in `action`. */
export function actionKeyOfRow(actionKey: string, action: string): string {
  if (actionKey) return actionKey;
  if (!action.includes(' ')) return action; // 'auth.login', 'auth.login_failed'
  return auditActionOf(action)?.key ?? 'unknown';
}

/** The routes (as older rows stored them) whose action is `key`. */
export function routesOfAction(key: string): string[] {
  return Object.entries(AUDIT_ACTIONS)
    .filter(([, x]) => x.key === key || x.keyWhenNew === key)
    .map(([route]) => route);
}
