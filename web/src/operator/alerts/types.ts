export const ALERT_KINDS = [
  'channel.success_rate_low',
  'channel.paying_stuck',
  'merchant.notify_failing',
  'order.paid_after_close',
  'refund.outcome_conflict',
  'reconciliation.unresolved',
  'channel.circuit_open',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export type AlertSeverity = 'info' | 'warning' | 'critical';
export type AlertState = 'open' | 'acknowledged' | 'resolved';

export interface AlertRow {
  id: string;
  kind: AlertKind;
  severity: AlertSeverity;
  state: AlertState;
  subjectType: 'channel_account' | 'merchant' | 'order' | 'recon_batch';
  subjectId: string;
  subjectLabel: string;
  detail: Record<string, string | number | boolean | null>;
  count: number;
  firstSeenAt: string;
  lastSeenAt: string;
  lastNotifiedAt: string | null;
  acknowledgedAt: string | null;
  acknowledgeNote: string | null;
  resolvedAt: string | null;
  resolveNote: string | null;
  autoResolved: boolean;
}

export interface AlertEvent {
  id: string;
  kind: 'raised' | 'escalated' | 'notified' | 'acknowledged' | 'resolved' | 'auto_resolved';
  by: string | null;
  note: string | null;
  detail: Record<string, unknown>;
  at: string;
}

export interface AlertDetail extends AlertRow {
  events: AlertEvent[];
}

export interface AlertRoute {
  id: string;
  name: string;
  kinds: AlertKind[];
  minSeverity: AlertSeverity;
  channel: 'email' | 'sms' | 'telegram';
  address: string;
  locale: 'zh' | 'en';
  enabled: boolean;
  updatedAt: string;
}

export interface AlertSettings {
  notifyIntervalMinutes: number;
  successRate: {
    windowMinutes: number;
    minDecided: number;
    warningBelowPct: number;
    criticalBelowPct: number;
  };
  payingStuck: { olderThanMinutes: number; atLeast: number };
  notifyFailing: { windowMinutes: number; atLeast: number };
  reconciliation: { morningAt: string };
}

export const SEVERITY_COLORS: Record<AlertSeverity, string> = {
  info: 'blue',
  warning: 'gold',
  critical: 'red',
};
export const STATE_COLORS: Record<AlertState, string> = {
  open: 'red',
  acknowledged: 'gold',
  resolved: 'green',
};
