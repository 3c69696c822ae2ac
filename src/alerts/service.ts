import type { Logger } from '../app/logger.ts';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { NotificationEvent, Notifier, Recipient } from '../notifications/types.ts';
import type { OrderService } from '../orders/service.ts';
import { getSetting, putSetting } from '../settings/queries.ts';
import { localDateTime } from '../stats/time.ts';
import { ORDER_EVENT_KIND } from './detectors.ts';
import * as queries from './queries.ts';
import {
  type AlertDetector,
  type AlertKind,
  type AlertRouteRow,
  type AlertRow,
  type AlertSettings,
  DEFAULT_SETTINGS,
  type RouteInput,
  settingsSchema,
  severityRank,
} from './types.ts';
import { ALERT_WORDS, summaryOf } from './words.ts';

export const SETTINGS_KEY = 'alerts.settings';

export interface AlertOptions {
  timeZone: string;
  log: Logger;
  /** The platform's public address, for the console link in messages. */
  publicUrl: () => string;
}

/** The recipients of an alert: the enabled rules naming its kind (or every kind) at or below its severity. */
export function recipientsFor(
  alert: Pick<AlertRow, 'kind' | 'severity'>,
  routes: Pick<AlertRouteRow, 'kinds' | 'min_severity' | 'channel' | 'address' | 'locale' | 'enabled'>[],
): Recipient[] {
  const seen = new Set<string>();
  const out: Recipient[] = [];
  for (const r of routes) {
    if (!r.enabled) continue;
    if (r.kinds.length > 0 && !r.kinds.includes(alert.kind)) continue;
    if (severityRank(alert.severity) < severityRank(r.min_severity)) continue;
    const key = `${r.channel}:${r.address}:${r.locale}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ channel: r.channel, address: r.address, locale: r.locale });
  }
  return out;
}

/**
 * Operations alerts: detectors registered here run every minute (`detect-alerts`); what they see
 * becomes one alert per kind and subject (seen again: its count and last seen), told to the
 * recipients the routing rules pick at most once per interval, acknowledged and resolved by
 * operators with a note, and resolved automatically when a condition's detector no longer sees it.
 */
export class AlertService {
  private readonly detectors = new Map<AlertKind, AlertDetector>();

  constructor(
    private readonly db: Db,
    private readonly deps: {
      notifier: Notifier;
      orders: Pick<OrderService, 'acknowledgeAlerts' | 'requireByOrderNo' | 'findById'>;
    },
    private readonly options: AlertOptions,
  ) {}

  get timeZone(): string {
    return this.options.timeZone;
  }

  /** Adds a detector (one per kind; a second for the same kind replaces the first). */
  register(detector: AlertDetector): void {
    this.detectors.set(detector.kind, detector);
  }

  registeredKinds(): AlertKind[] {
    return [...this.detectors.keys()];
  }

  detectorOf(kind: AlertKind): AlertDetector | undefined {
    return this.detectors.get(kind);
  }

  async settings(): Promise<AlertSettings> {
    const raw = await getSetting(this.db, SETTINGS_KEY);
    if (raw === null) return DEFAULT_SETTINGS;
    try {
      const parsed = settingsSchema.safeParse({ ...DEFAULT_SETTINGS, ...JSON.parse(raw) });
      return parsed.success ? parsed.data : DEFAULT_SETTINGS;
    } catch {
      return DEFAULT_SETTINGS;
    }
  }

  /** Replaces the settings (validated by the route's schema); returns the ones before. */
  async setSettings(settings: AlertSettings): Promise<AlertSettings> {
    const before = await this.settings();
    await putSetting(this.db, SETTINGS_KEY, JSON.stringify(settingsSchema.parse(settings)));
    return before;
  }

  /** Runs every detector once; one detector failing does not stop the others (nor resolves its alerts). */
  async runDetectors(now: Date = new Date()): Promise<{ raised: number; seen: number; resolved: number }> {
    const totals = { raised: 0, seen: 0, resolved: 0 };
    for (const detector of this.detectors.values()) {
      try {
        const r = await this.runDetector(detector, now);
        totals.raised += r.raised;
        totals.seen += r.seen;
        totals.resolved += r.resolved;
      } catch (error) {
        this.options.log.error({ err: error, kind: detector.kind }, 'alert detector failed');
      }
    }
    return totals;
  }

  /** One detector's run: record what it sees, resolve what it no longer sees, tell the recipients. */
  async runDetector(detector: AlertDetector, now: Date = new Date()) {
    const observations = await detector.detect(now);
    const settings = await this.settings();
    const { recorded, resolved } = await this.db.tx(async (q) => {
      const recorded =
        observations.length > 0 ? await queries.recordObservations(q, detector.kind, observations, now) : [];
      const resolved =
        detector.resolves === 'condition'
          ? await queries.autoResolve(
              q,
              detector.kind,
              observations.map((o) => `${o.subjectType}:${o.subjectId}`),
              now,
            )
          : [];
      await queries.insertEvents(q, [
        ...recorded
          .filter((a) => a.inserted)
          .map((a) => ({
            alertId: a.id,
            kind: 'raised' as const,
            detail: { severity: a.severity, ...a.detail },
          })),
        ...recorded
          .filter((a) => !a.inserted && escalated(a))
          .map((a) => ({
            alertId: a.id,
            kind: 'escalated' as const,
            detail: { from: a.previous_severity, to: a.severity, ...a.detail },
          })),
        ...resolved.map((a) => ({ alertId: a.id, kind: 'auto_resolved' as const })),
      ]);
      return { recorded, resolved };
    });
    const intervalMs = settings.notifyIntervalMinutes * 60_000;
    const due = recorded.flatMap((a) => {
      const reason = a.inserted
        ? 'raised'
        : escalated(a)
          ? 'escalated'
          : a.state === 'open' &&
              (!a.last_notified_at || now.getTime() - a.last_notified_at.getTime() >= intervalMs)
            ? 'reminder'
            : null;
      return reason ? [{ alert: a as AlertRow, reason }] : [];
    });
    if (due.length > 0 || resolved.length > 0) {
      const routes = await queries.enabledRoutes(this.db);
      await this.tell(due, 'alert.raised', routes, now);
      await this.tell(
        resolved.filter((a) => a.last_notified_at !== null).map((a) => ({ alert: a, reason: 'resolved' })),
        'alert.resolved',
        routes,
        now,
      );
    }
    return {
      raised: recorded.filter((a) => a.inserted).length,
      seen: recorded.filter((a) => !a.inserted).length,
      resolved: resolved.length,
    };
  }

  /** Sends each alert to its recipients, then records when (and to how many) it was told. */
  private async tell(
    alerts: { alert: AlertRow; reason: string }[],
    event: NotificationEvent,
    routes: AlertRouteRow[],
    now: Date,
  ): Promise<void> {
    if (alerts.length === 0) return;
    const events: Parameters<typeof queries.insertEvents>[1] = [];
    for (const { alert, reason } of alerts) {
      const recipients = recipientsFor(alert, routes);
      let failed = 0;
      for (const recipient of recipients) {
        try {
          await this.deps.notifier.send({
            event,
            recipient,
            vars: this.varsOf(alert, recipient.locale),
            urgent: alert.severity === 'critical',
          });
        } catch (error) {
          failed++;
          this.options.log.warn({ err: error, alertId: alert.id.toString() }, 'alert notification failed');
        }
      }
      if (recipients.length > 0)
        events.push({
          alertId: alert.id,
          kind: 'notified',
          detail: { event, reason, recipients: recipients.length, failed },
        });
    }
    await this.db.tx(async (q) => {
      if (event === 'alert.raised')
        await queries.markNotified(
          q,
          alerts.map((a) => a.alert.id),
          now,
        );
      await queries.insertEvents(q, events);
    });
  }

  /** The message's variables, in the recipient's language and the platform's local time. */
  varsOf(alert: AlertRow, locale: 'zh' | 'en'): Record<string, string> {
    const words = ALERT_WORDS[locale];
    const kind = words.kind[alert.kind];
    const summary = summaryOf(alert, locale);
    const lastSeen = localDateTime(alert.last_seen_at, this.options.timeZone);
    return {
      alertId: alert.id.toString(),
      // The notification templates' own names (notifications/templates.ts): title, detail, time.
      title: `${kind}${locale === 'zh' ? '：' : ': '}${alert.subject_label}`,
      detail: summary,
      time: lastSeen,
      kind,
      severity: words.severity[alert.severity],
      subject: alert.subject_label,
      summary,
      count: String(alert.seen_count),
      firstSeen: localDateTime(alert.first_seen_at, this.options.timeZone),
      lastSeen,
      link: `${this.options.publicUrl()}/operator/alerts?alert=${alert.id}`,
    };
  }

  list(f: queries.AlertFilter & { limit: number; offset: number }) {
    return queries.listAlerts(this.db, f);
  }

  /** Unresolved alerts: open, acknowledged, and the open ones that are critical (the console's badge). */
  async summary(): Promise<{ open: number; acknowledged: number; openCritical: number }> {
    const rows = await queries.unresolvedCounts(this.db);
    const sum = (f: (r: (typeof rows)[number]) => boolean) =>
      rows.filter(f).reduce((n, r) => n + Number(r.n), 0);
    return {
      open: sum((r) => r.state === 'open'),
      acknowledged: sum((r) => r.state === 'acknowledged'),
      openCritical: sum((r) => r.state === 'open' && r.severity === 'critical'),
    };
  }

  async require(id: bigint): Promise<AlertRow> {
    const alert = await queries.findAlert(this.db, id);
    if (!alert) throw new AppError('NOT_FOUND', `alert ${id} not found`);
    return alert;
  }

  events(id: bigint) {
    return queries.eventsOf(this.db, id);
  }

  /** Open → acknowledged with a note; an order's alert on its timeline is acknowledged with it. */
  async acknowledge(
    id: bigint,
    userId: bigint,
    note: string,
  ): Promise<{ before: AlertRow; after: AlertRow }> {
    const before = await this.require(id);
    const after = await this.db.tx(async (q) => {
      const after = await queries.acknowledge(q, id, userId, note);
      if (!after)
        throw new AppError('ALERT_STATE_INVALID', `alert ${id} is ${before.state}`, { state: before.state });
      await queries.insertEvents(q, [{ alertId: id, kind: 'acknowledged', byUserId: userId, note }]);
      return after;
    });
    await this.acknowledgeOnOrder(after, userId, note);
    return { before, after };
  }

  /** Open or acknowledged → resolved by a person, with a note (an order's alert is acknowledged with it). */
  async resolve(id: bigint, userId: bigint, note: string): Promise<{ before: AlertRow; after: AlertRow }> {
    const before = await this.require(id);
    const after = await this.db.tx(async (q) => {
      const after = await queries.resolve(q, id, userId, note);
      if (!after) throw new AppError('ALERT_STATE_INVALID', `alert ${id} is resolved`, { state: 'resolved' });
      await queries.insertEvents(q, [{ alertId: id, kind: 'resolved', byUserId: userId, note }]);
      return after;
    });
    await this.acknowledgeOnOrder(after, userId, note);
    return { before, after };
  }

  /**
   * Acknowledges an order's alerts from the order list, with a note: the ones on its timeline and
   * the open alerts about the order here. Nothing left to acknowledge is ALERT_STATE_INVALID.
   */
  async acknowledgeOrder(
    orderNo: string,
    userId: bigint,
    note: string,
  ): Promise<{ kinds: string[]; alerts: bigint[] }> {
    const order = await this.deps.orders.requireByOrderNo(orderNo);
    const kinds = await this.deps.orders.acknowledgeAlerts(order, null, userId, note);
    const alerts: bigint[] = [];
    for (const [kind, eventKind] of Object.entries(ORDER_EVENT_KIND)) {
      if (!kinds.includes(eventKind)) continue;
      const open = await queries.findUnresolved(this.db, kind as AlertKind, 'order', order.id.toString());
      if (open?.state !== 'open') continue;
      await this.db.tx(async (q) => {
        if (await queries.acknowledge(q, open.id, userId, note)) {
          await queries.insertEvents(q, [{ alertId: open.id, kind: 'acknowledged', byUserId: userId, note }]);
          alerts.push(open.id);
        }
      });
    }
    if (kinds.length === 0 && alerts.length === 0) {
      throw new AppError('ALERT_STATE_INVALID', `order ${orderNo} has no alert to acknowledge`, {
        state: 'acknowledged',
      });
    }
    return { kinds, alerts };
  }

  private async acknowledgeOnOrder(alert: AlertRow, userId: bigint, note: string): Promise<void> {
    const eventKind = ORDER_EVENT_KIND[alert.kind];
    if (alert.subject_type !== 'order' || !eventKind) return;
    const order = await this.deps.orders.findById(BigInt(alert.subject_id));
    if (order) await this.deps.orders.acknowledgeAlerts(order, [eventKind], userId, note);
  }

  routes() {
    return queries.listRoutes(this.db);
  }

  createRoute(input: RouteInput) {
    return queries.insertRoute(this.db, input);
  }

  async updateRoute(id: bigint, input: RouteInput): Promise<{ before: AlertRouteRow; after: AlertRouteRow }> {
    const before = await this.requireRoute(id);
    const after = await queries.updateRoute(this.db, id, input);
    if (!after) throw new AppError('NOT_FOUND', `alert route ${id} not found`);
    return { before, after };
  }

  async deleteRoute(id: bigint): Promise<AlertRouteRow> {
    const gone = await queries.deleteRoute(this.db, id);
    if (!gone) throw new AppError('NOT_FOUND', `alert route ${id} not found`);
    return gone;
  }

  private async requireRoute(id: bigint): Promise<AlertRouteRow> {
    const route = await queries.findRoute(this.db, id);
    if (!route) throw new AppError('NOT_FOUND', `alert route ${id} not found`);
    return route;
  }
}

function escalated(a: queries.RecordedAlert): boolean {
  return a.previous_severity !== null && severityRank(a.severity) > severityRank(a.previous_severity);
}
