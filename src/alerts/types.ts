import { z } from 'zod';

/**
 * What an alert is about. Each kind has a detector (detectors.ts) registered with the alerts
 * service; `channel.circuit_open` is raised by the channel-health detector once that domain
 * registers it.
 */
export const ALERT_KINDS = [
  /** A channel account's success rate over the last minutes fell below the threshold. */
  'channel.success_rate_low',
  /** Too many of a channel account's orders have been paying for too long. */
  'channel.paying_stuck',
  /** A merchant's notifies keep failing (retried or given up). */
  'merchant.notify_failing',
  /** A channel reported a payment for an order we had closed (or failed). */
  'order.paid_after_close',
  /** A channel's refund notify contradicts the outcome we recorded. */
  'refund.outcome_conflict',
  /** A reconciliation batch's discrepancies are still open the morning after they were found. */
  'reconciliation.unresolved',
  /** A channel account's circuit breaker opened (channel health). */
  'channel.circuit_open',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_STATES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const SUBJECT_TYPES = ['channel_account', 'merchant', 'order', 'recon_batch'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

export const ROUTE_CHANNELS = ['email', 'sms', 'telegram'] as const;

export function severityRank(severity: AlertSeverity): number {
  return ALERT_SEVERITIES.indexOf(severity);
}

/** A condition a detector sees now, about one subject. */
export interface Observation {
  subjectType: SubjectType;
  subjectId: string;
  /** The subject as people know it: an account's name, a merchant or order number. */
  subjectLabel: string;
  severity: AlertSeverity;
  /** The figures behind it (numbers and short codes, no words: the consoles and messages put them into words). */
  detail: Record<string, string | number | boolean | null>;
}

/**
 * One kind of alert's detector, run by the `detect-alerts` job every minute. It answers every
 * subject whose condition holds at `now`, with set-based reads through the owning domain.
 * A `condition` alert resolves itself when its detector no longer sees it; an `event` alert (a
 * payment after close happened) stays until a person resolves it.
 */
export interface AlertDetector {
  kind: AlertKind;
  resolves: 'condition' | 'event';
  detect(now: Date): Promise<Observation[]>;
}

export interface AlertRow {
  id: bigint;
  kind: AlertKind;
  severity: AlertSeverity;
  subject_type: SubjectType;
  subject_id: string;
  subject_label: string;
  detail: Record<string, unknown>;
  state: AlertState;
  seen_count: number;
  first_seen_at: Date;
  last_seen_at: Date;
  last_notified_at: Date | null;
  acknowledged_by: bigint | null;
  acknowledged_at: Date | null;
  acknowledge_note: string | null;
  resolved_by: bigint | null;
  resolved_at: Date | null;
  resolve_note: string | null;
  auto_resolved: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface AlertEventRow {
  id: bigint;
  alert_id: bigint;
  kind: 'raised' | 'escalated' | 'notified' | 'acknowledged' | 'resolved' | 'auto_resolved';
  by_user_id: bigint | null;
  note: string | null;
  detail: Record<string, unknown>;
  created_at: Date;
}

export interface AlertRouteRow {
  id: bigint;
  name: string;
  kinds: string[];
  min_severity: AlertSeverity;
  channel: (typeof ROUTE_CHANNELS)[number];
  address: string;
  locale: 'zh' | 'en';
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

/** A routing rule as an operator writes it. */
export const routeSchema = z
  .object({
    name: z.string().trim().min(1).max(64),
    /** Empty: every kind. */
    kinds: z.array(z.enum(ALERT_KINDS)).max(ALERT_KINDS.length),
    minSeverity: z.enum(ALERT_SEVERITIES),
    channel: z.enum(ROUTE_CHANNELS),
    address: z.string().trim().min(1).max(254),
    locale: z.enum(['zh', 'en']),
    enabled: z.boolean(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const ok =
      r.channel === 'email'
        ? /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(r.address)
        : r.channel === 'sms'
          ? /^\+?\d{6,15}$/.test(r.address)
          : /^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$/.test(r.address);
    if (!ok) ctx.addIssue({ code: 'custom', path: ['address'], message: `not a ${r.channel} address` });
  });
export type RouteInput = z.infer<typeof routeSchema>;

/** The alerts' thresholds and the notification interval (platform setting `alerts.settings`). */
export const settingsSchema = z
  .object({
    /** An alert's recipients are told again at most once per this many minutes while it stays open. */
    notifyIntervalMinutes: z.number().int().min(1).max(1440),
    successRate: z
      .object({
        windowMinutes: z.number().int().min(5).max(240),
        /** Fewer decided orders than this in the window say nothing. */
        minDecided: z.number().int().min(1).max(100_000),
        warningBelowPct: z.number().int().min(1).max(100),
        criticalBelowPct: z.number().int().min(0).max(100),
      })
      .strict()
      .refine((s) => s.criticalBelowPct <= s.warningBelowPct, {
        message: 'must not be above the warning threshold',
        path: ['criticalBelowPct'],
      }),
    payingStuck: z
      .object({
        olderThanMinutes: z.number().int().min(1).max(1440),
        atLeast: z.number().int().min(1).max(100_000),
      })
      .strict(),
    notifyFailing: z
      .object({
        windowMinutes: z.number().int().min(5).max(1440),
        atLeast: z.number().int().min(1).max(100_000),
      })
      .strict(),
    reconciliation: z
      .object({
        /** Discrepancies found before today are alerted once the local clock passes this time. */
        morningAt: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day (HH:mm)'),
      })
      .strict(),
  })
  .strict();
export type AlertSettings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: AlertSettings = {
  notifyIntervalMinutes: 30,
  successRate: { windowMinutes: 15, minDecided: 20, warningBelowPct: 80, criticalBelowPct: 50 },
  payingStuck: { olderThanMinutes: 10, atLeast: 20 },
  notifyFailing: { windowMinutes: 30, atLeast: 5 },
  reconciliation: { morningAt: '09:00' },
};
