/**
 * The agent portal's screens: each its own chunk, by the route it answers. AgentApp renders them
 * (lazyScreen). Only dynamic imports here, so the entry stays small.
 */
export const AGENT_SCREENS = {
  Home: { route: '/agent/home', load: () => import('./Home.tsx') },
  SubAgents: { route: '/agent/agents', load: () => import('./SubAgents.tsx') },
  Merchants: { route: '/agent/merchants', load: () => import('./Merchants.tsx') },
  Orders: { route: '/agent/orders', load: () => import('./Orders.tsx') },
  Rates: { route: '/agent/rates', load: () => import('./Rates.tsx') },
  Commission: { route: '/agent/commission', load: () => import('./Commission.tsx') },
  Withdrawals: { route: '/agent/withdrawals', load: () => import('./Withdrawals.tsx') },
  BankCards: { route: '/agent/bank-cards', load: () => import('./Withdrawals.tsx') },
  Onboarding: { route: '/agent/onboarding', load: () => import('./Onboarding.tsx') },
};
