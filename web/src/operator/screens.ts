/**
 * The operator console's screens: each its own chunk, by the route it answers. OperatorApp renders
 * them (lazyScreen); App.tsx starts loading the one a page was opened at while the session is checked.
 * Only dynamic imports here, so the entry stays small.
 */
export const OPERATOR_SCREENS = {
  AgentDetailPage: { route: '/operator/agents/:agentNo', load: () => import('./pages/AgentDetail.tsx') },
  AgentsPage: { route: '/operator/agents', load: () => import('./pages/Agents.tsx') },
  ChannelsPage: { route: '/operator/channels', load: () => import('./pages/Channels.tsx') },
  DashboardPage: { route: '/operator/dashboard', load: () => import('./pages/Dashboard.tsx') },
  MerchantDetailPage: {
    route: '/operator/merchants/:mchNo',
    load: () => import('./pages/MerchantDetail.tsx'),
  },
  MerchantsPage: { route: '/operator/merchants', load: () => import('./pages/Merchants.tsx') },
  OrdersPage: { route: '/operator/orders', load: () => import('./pages/Orders.tsx') },
  ProductsPage: { route: '/operator/products', load: () => import('./pages/Products.tsx') },
  RefundsPage: { route: '/operator/refunds', load: () => import('./pages/Refunds.tsx') },
  RoutingPage: { route: '/operator/routing', load: () => import('./pages/Routing.tsx') },
  TestOrderPage: { route: '/operator/test-order', load: () => import('./pages/TestOrder.tsx') },
  WithdrawalsPage: { route: '/operator/withdrawals', load: () => import('./pages/Withdrawals.tsx') },
  PayoutsPage: { route: '/operator/payouts', load: () => import('./pages/Payouts.tsx') },
  SettlementsPage: { route: '/operator/settlements', load: () => import('./pages/Settlements.tsx') },
  BalancesPage: { route: '/operator/balances', load: () => import('./pages/Balances.tsx') },
  SettlementCalendarPage: {
    route: '/operator/settlement-calendar',
    load: () => import('./pages/SettlementCalendar.tsx'),
  },
  ReconciliationPage: {
    route: '/operator/reconciliation',
    load: () => import('./pages/Reconciliation.tsx'),
  },
  BankCardsPage: { route: '/operator/bank-cards', load: () => import('./pages/BankCards.tsx') },
  OnboardingPage: { route: '/operator/onboarding', load: () => import('./pages/Onboarding.tsx') },
  MemberImportsPage: { route: '/operator/member-imports', load: () => import('./pages/MemberImports.tsx') },
  BlacklistPage: { route: '/operator/blacklist', load: () => import('./pages/Blacklist.tsx') },
  AuditPage: { route: '/operator/system/audit', load: () => import('./system/Audit.tsx') },
  OperatorsPage: { route: '/operator/system/operators', load: () => import('./system/Operators.tsx') },
  RolesPage: { route: '/operator/system/roles', load: () => import('./system/Roles.tsx') },
  SettingsPage: { route: '/operator/system/settings', load: () => import('./system/Settings.tsx') },
  AlertsPage: { route: '/operator/alerts', load: () => import('./pages/Alerts.tsx') },
  AlertRoutesPage: { route: '/operator/alert-routes', load: () => import('./pages/AlertRoutes.tsx') },
  RecycleBinPage: { route: '/operator/system/recycle-bin', load: () => import('./system/RecycleBin.tsx') },
  PaymentConfigPage: {
    route: '/operator/payment-config',
    load: () => import('./pages/PaymentConfig.tsx'),
  },
  BotPage: { route: '/operator/system/bot', load: () => import('./system/Bot.tsx') },
  NotificationsPage: {
    route: '/operator/system/notifications',
    load: () => import('./system/Notifications.tsx'),
  },
};
