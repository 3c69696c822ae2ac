import type { CatalogService } from '../catalog/service.ts';
import type { HealthService } from '../health/service.ts';
import type { MerchantService } from '../merchants/service.ts';
import type { NotifyService } from '../notify/service.ts';
import type { OrderService } from '../orders/service.ts';
import type { ReconciliationService } from '../reconciliation/service.ts';
import type { StatsService } from '../stats/service.ts';
import { addDays, localDate, startOfLocalDay } from '../stats/time.ts';
import type { AlertDetector, AlertKind, AlertSettings, Observation } from './types.ts';

const MINUTE = 60_000;
/** Paying orders older than a day are the expiry sweep's business, not a live backlog. */
const PAYING_LOOKBACK_MS = 24 * 60 * MINUTE;
/** How far back the order-timeline detectors look for alerts nobody acknowledged. */
const ORDER_ALERT_LOOKBACK_MS = 30 * 24 * 60 * MINUTE;

/** The order-timeline alert (order_event.kind) each order-subject alert kind stands for. */
export const ORDER_EVENT_KIND: Partial<Record<AlertKind, string>> = {
  'order.paid_after_close': 'late_payment',
  'refund.outcome_conflict': 'refund_outcome_conflict',
};

export interface DetectorDeps {
  stats: Pick<StatsService, 'channelOutcomesSince'>;
  orders: Pick<OrderService, 'payingByAccount' | 'unacknowledgedAlerts'>;
  notify: Pick<NotifyService, 'failingByMerchant'>;
  reconciliation: Pick<ReconciliationService, 'openItemsByBatch'>;
  catalog: Pick<CatalogService, 'channelAccountNames'>;
  merchants: Pick<MerchantService, 'merchantsByIds'>;
  health: Pick<HealthService, 'openCircuits'>;
  settings: () => Promise<AlertSettings>;
  timeZone: string;
}

async function accountLabels(deps: DetectorDeps, ids: bigint[]): Promise<(id: bigint) => string> {
  const names = await deps.catalog.channelAccountNames(ids);
  return (id) => names.get(id) ?? `#${id}`;
}

/** A channel account's success rate (paid / decided) over the window fell below the threshold. */
export function successRateDetector(deps: DetectorDeps): AlertDetector {
  return {
    kind: 'channel.success_rate_low',
    resolves: 'condition',
    async detect(now) {
      const s = (await deps.settings()).successRate;
      const rows = await deps.stats.channelOutcomesSince(new Date(now.getTime() - s.windowMinutes * MINUTE));
      const low = rows
        .map((r) => ({ ...r, decided: r.paid + r.unpaid }))
        .filter(
          (r) => r.decided >= BigInt(s.minDecided) && r.paid * 100n < r.decided * BigInt(s.warningBelowPct),
        );
      const label = await accountLabels(
        deps,
        low.map((r) => r.channel_account_id),
      );
      return low.map((r): Observation => {
        const ratePct = Math.round((Number(r.paid) * 1000) / Number(r.decided)) / 10;
        return {
          subjectType: 'channel_account',
          subjectId: r.channel_account_id.toString(),
          subjectLabel: label(r.channel_account_id),
          severity: r.paid * 100n < r.decided * BigInt(s.criticalBelowPct) ? 'critical' : 'warning',
          detail: {
            ratePct,
            paid: Number(r.paid),
            decided: Number(r.decided),
            windowMinutes: s.windowMinutes,
            thresholdPct: s.warningBelowPct,
          },
        };
      });
    },
  };
}

/** At least so many of a channel account's orders have been paying for longer than so many minutes. */
export function payingStuckDetector(deps: DetectorDeps): AlertDetector {
  return {
    kind: 'channel.paying_stuck',
    resolves: 'condition',
    async detect(now) {
      const s = (await deps.settings()).payingStuck;
      const rows = (
        await deps.orders.payingByAccount(
          new Date(now.getTime() - s.olderThanMinutes * MINUTE),
          new Date(now.getTime() - PAYING_LOOKBACK_MS),
        )
      ).filter((r) => r.paying >= BigInt(s.atLeast));
      const label = await accountLabels(
        deps,
        rows.map((r) => r.channel_account_id),
      );
      return rows.map((r) => ({
        subjectType: 'channel_account',
        subjectId: r.channel_account_id.toString(),
        subjectLabel: label(r.channel_account_id),
        severity: r.paying >= BigInt(s.atLeast * 2) ? 'critical' : 'warning',
        detail: {
          paying: Number(r.paying),
          olderThanMinutes: s.olderThanMinutes,
          threshold: s.atLeast,
          oldestAt: r.oldest_at.toISOString(),
        },
      }));
    },
  };
}

/** At least so many of a merchant's notifies failed (being retried or given up) within the window. */
export function notifyFailingDetector(deps: DetectorDeps): AlertDetector {
  return {
    kind: 'merchant.notify_failing',
    resolves: 'condition',
    async detect(now) {
      const s = (await deps.settings()).notifyFailing;
      const rows = (
        await deps.notify.failingByMerchant(new Date(now.getTime() - s.windowMinutes * MINUTE))
      ).filter((r) => r.failing >= BigInt(s.atLeast));
      const merchants = await deps.merchants.merchantsByIds(rows.map((r) => r.merchant_id));
      return rows.map((r) => {
        const m = merchants.get(r.merchant_id);
        return {
          subjectType: 'merchant',
          subjectId: r.merchant_id.toString(),
          subjectLabel: m ? `${m.mch_no} ${m.name}` : `#${r.merchant_id}`,
          severity: 'warning',
          detail: {
            failing: Number(r.failing),
            givenUp: Number(r.given_up),
            windowMinutes: s.windowMinutes,
            threshold: s.atLeast,
            lastError: r.last_error?.slice(0, 200) ?? null,
          },
        };
      });
    },
  };
}

/** Orders with an alert of one timeline kind nobody acknowledged (a payment after close, a refund conflict). */
function orderTimelineDetector(
  deps: DetectorDeps,
  kind: 'order.paid_after_close' | 'refund.outcome_conflict',
  detailOf: (d: Record<string, unknown>) => Observation['detail'],
): AlertDetector {
  const eventKind = ORDER_EVENT_KIND[kind]!;
  return {
    kind,
    resolves: 'event',
    async detect(now) {
      const rows = await deps.orders.unacknowledgedAlerts(
        [eventKind],
        new Date(now.getTime() - ORDER_ALERT_LOOKBACK_MS),
      );
      return rows.map((r) => ({
        subjectType: 'order',
        subjectId: r.order_id.toString(),
        subjectLabel: r.order_no,
        severity: 'critical',
        detail: { ...detailOf(r.detail), events: Number(r.events), merchantId: r.merchant_id.toString() },
      }));
    },
  };
}

const text = (v: unknown) => (typeof v === 'string' ? v : null);

export function paidAfterCloseDetector(deps: DetectorDeps): AlertDetector {
  return orderTimelineDetector(deps, 'order.paid_after_close', (d) => ({
    previousState: text(d.previousState),
    source: text(d.source),
  }));
}

export function refundConflictDetector(deps: DetectorDeps): AlertDetector {
  return orderTimelineDetector(deps, 'refund.outcome_conflict', (d) => ({
    refundNo: text(d.refundNo),
    recorded: text(d.recorded),
    channelSays: text(d.channelSays),
  }));
}

/**
 * The moment before which a discrepancy found is "from yesterday or earlier" once the local clock
 * passed the morning time: today's start after it, yesterday's start before it.
 */
export function morningCutoff(now: Date, morningAt: string, timeZone: string): Date {
  const today = localDate(now, timeZone);
  const [h, m] = morningAt.split(':').map(Number) as [number, number];
  const morning = new Date(startOfLocalDay(today, timeZone).getTime() + (h * 60 + m) * MINUTE);
  return now >= morning ? startOfLocalDay(today, timeZone) : startOfLocalDay(addDays(today, -1), timeZone);
}

/** A reconciliation batch whose discrepancies found before today are still open after the morning time. */
export function reconciliationDetector(deps: DetectorDeps): AlertDetector {
  return {
    kind: 'reconciliation.unresolved',
    resolves: 'condition',
    async detect(now) {
      const s = (await deps.settings()).reconciliation;
      const rows = await deps.reconciliation.openItemsByBatch(morningCutoff(now, s.morningAt, deps.timeZone));
      const label = await accountLabels(
        deps,
        rows.map((r) => r.channel_account_id),
      );
      return rows.map((r) => ({
        subjectType: 'recon_batch',
        subjectId: r.batch_id.toString(),
        subjectLabel: `${label(r.channel_account_id)} ${r.business_day}`,
        severity: 'warning',
        detail: {
          open: Number(r.open_count),
          day: r.business_day,
          channelAccountId: r.channel_account_id.toString(),
        },
      }));
    },
  };
}

/** The detectors the platform has of its own (channel health registers `channel.circuit_open`). */
/**
 * A channel account whose circuit breaker is open (critical: routing skips it) or half-open
 * (warning: only probes reach it), read from the channel-health domain's shared circuit state;
 * resolved by itself once the circuit closes.
 */
export function circuitOpenDetector(deps: DetectorDeps): AlertDetector {
  return {
    kind: 'channel.circuit_open',
    resolves: 'condition',
    async detect() {
      const circuits = await deps.health.openCircuits();
      const label = await accountLabels(
        deps,
        circuits.map((c) => BigInt(c.channelAccountId)),
      );
      return circuits.map(
        (c): Observation => ({
          subjectType: 'channel_account',
          subjectId: c.channelAccountId,
          subjectLabel: label(BigInt(c.channelAccountId)),
          severity: c.state === 'open' ? 'critical' : 'warning',
          detail: { state: c.state, openedAt: c.openedAt, since: c.since },
        }),
      );
    },
  };
}

export function builtInDetectors(deps: DetectorDeps): AlertDetector[] {
  return [
    circuitOpenDetector(deps),
    successRateDetector(deps),
    payingStuckDetector(deps),
    notifyFailingDetector(deps),
    paidAfterCloseDetector(deps),
    refundConflictDetector(deps),
    reconciliationDetector(deps),
  ];
}
