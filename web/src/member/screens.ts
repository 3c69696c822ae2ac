/**
 * The member portal's screens: each its own chunk, by the route it answers. MemberApp renders them
 * (lazyScreen). Only dynamic imports here, so the entry stays small.
 */
export const MEMBER_SCREENS = {
  Me: { route: '/member/me', load: () => import('./Me.tsx') },
  Entries: { route: '/member/entries', load: () => import('./Entries.tsx') },
  Agreements: { route: '/member/agreements', load: () => import('./Agreements.tsx') },
  Withdrawals: { route: '/member/withdrawals', load: () => import('./Withdrawals.tsx') },
  BankCards: { route: '/member/bank-cards', load: () => import('./Withdrawals.tsx') },
};
