/**
 * Operator permissions. A role is a set of these; `*` grants all. Every operator route names the
 * one it needs (route config `permission`), and a route without one is refused, so a new route
 * cannot be left open by forgetting it.
 */
export const PERMISSIONS = [
  { code: 'merchant.read', group: 'merchant' },
  { code: 'merchant.write', group: 'merchant' },
  { code: 'catalog.read', group: 'catalog' },
  { code: 'catalog.write', group: 'catalog' },
  { code: 'order.read', group: 'order' },
  { code: 'order.operate', group: 'order' },
  { code: 'order.test', group: 'order' },
  { code: 'order.complete', group: 'order' },
  { code: 'order.refund', group: 'order' },
  { code: 'stats.read', group: 'stats' },
  /** Agents, their subtrees and rates: read. */
  { code: 'agents.read', group: 'agents' },
  /** Create and edit agents, set their rates, move a merchant or an agent to another parent. */
  { code: 'agents.manage', group: 'agents' },
  /** Onboarding applications (numbers masked), their documents, and the blacklist: read. */
  { code: 'onboarding.read', group: 'onboarding' },
  /** Open, review (approve, reject, ask for changes) applications; see their numbers in full. */
  { code: 'onboarding.review', group: 'onboarding' },
  /** Add, change and remove blacklist entries. */
  { code: 'onboarding.blacklist', group: 'onboarding' },
  /** Settlement records, merchant balances, withdrawals and payouts: read. */
  { code: 'finance.read', group: 'finance' },
  /** Approve or reject withdrawals waiting for review. */
  { code: 'finance.review', group: 'finance' },
  /** Retry a payout or mark it failed (with the completion password). */
  { code: 'finance.operate', group: 'finance' },
  /** Settlement terms per merchant, the holiday calendar, withdrawal and payout rules. */
  { code: 'finance.configure', group: 'finance' },
  /** Reconciliation batches against channel statements and their discrepancies: read. */
  { code: 'reconciliation.read', group: 'reconciliation' },
  /** Run or upload a statement, resolve a discrepancy, complete an order the channel reports paid. */
  { code: 'reconciliation.operate', group: 'reconciliation' },
  /** Operations alerts, their history and the routing rules: read. */
  { code: 'alerts.read', group: 'alerts' },
  /** Acknowledge and resolve alerts. */
  { code: 'alerts.operate', group: 'alerts' },
  /** The routing rules (who is told of which alerts) and the detectors' thresholds. */
  { code: 'alerts.configure', group: 'alerts' },
  { code: 'operator.read', group: 'system' },
  { code: 'operator.write', group: 'system' },
  { code: 'audit.read', group: 'system' },
  { code: 'settings.write', group: 'system' },
  /** The recycle bin: see what was deleted, by whom and when. */
  { code: 'recycle.read', group: 'system' },
  /** Restore a row of the recycle bin (purging it stays with super admins). */
  { code: 'recycle.restore', group: 'system' },
  /** The Telegram bot: its token and mode, binding codes, bound groups, test messages. */
  { code: 'bot.manage', group: 'system' },
] as const;

export type Permission = (typeof PERMISSIONS)[number]['code'];
export const ALL_PERMISSIONS = '*';

const KNOWN = new Set<string>(PERMISSIONS.map((p) => p.code));
export function isPermission(code: string): code is Permission {
  return KNOWN.has(code);
}

export function grants(permissions: readonly string[], needed: Permission): boolean {
  return permissions.includes(ALL_PERMISSIONS) || permissions.includes(needed);
}

/** What merchant users may do; the portal routes check the role, this is what the UI is told. */
export const MERCHANT_PERMISSIONS = {
  manager: ['portal.orders', 'portal.collect', 'portal.apps', 'portal.cashiers', 'portal.dashboard'],
  cashier: ['portal.orders', 'portal.collect', 'portal.dashboard'],
} as const;
