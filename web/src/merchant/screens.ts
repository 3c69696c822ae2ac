/**
 * The merchant portal's screens: each its own chunk, by the route it answers. MerchantApp renders
 * them (lazyScreen); App.tsx starts loading the one a page was opened at while the session is checked.
 * Only dynamic imports here, so the entry stays small.
 */
export const MERCHANT_SCREENS = {
  AccountEntries: { route: '/merchant/account-entries', load: () => import('./AccountEntries.tsx') },
  Apps: { route: '/merchant/apps', load: () => import('./Apps.tsx') },
  Balance: { route: '/merchant/balance', load: () => import('./Balance.tsx') },
  BankCards: { route: '/merchant/bank-cards', load: () => import('./BankCards.tsx') },
  Cashiers: { route: '/merchant/cashiers', load: () => import('./Cashiers.tsx') },
  Collect: { route: '/merchant/collect', load: () => import('./Collect.tsx') },
  CollectCodes: { route: '/merchant/collect-codes', load: () => import('./CollectCodes.tsx') },
  Dashboard: { route: '/merchant/dashboard', load: () => import('./Dashboard.tsx') },
  EnterpriseMembers: { route: '/merchant/members/enterprise', load: () => import('./Members.tsx') },
  Escrows: { route: '/merchant/escrows', load: () => import('./Escrows.tsx') },
  MemberImports: { route: '/merchant/member-imports', load: () => import('./MemberImports.tsx') },
  Orders: { route: '/merchant/orders', load: () => import('./Orders.tsx') },
  Payouts: { route: '/merchant/payouts', load: () => import('./Payouts.tsx') },
  PersonalMembers: { route: '/merchant/members/personal', load: () => import('./Members.tsx') },
  OnboardingLinks: { route: '/merchant/members/links', load: () => import('./OnboardingLinks.tsx') },
  Refunds: { route: '/merchant/refunds', load: () => import('./Refunds.tsx') },
  Security: { route: '/merchant/security', load: () => import('./Security.tsx') },
  Settlements: { route: '/merchant/settlements', load: () => import('./Settlements.tsx') },
  SplitRecords: { route: '/merchant/split-records', load: () => import('./SplitRecords.tsx') },
  SplitRules: { route: '/merchant/split-rules', load: () => import('./SplitRules.tsx') },
  Statements: { route: '/merchant/statements', load: () => import('./Statements.tsx') },
  Withdrawals: { route: '/merchant/withdrawals', load: () => import('./Withdrawals.tsx') },
};
