import type { Logger } from '../app/logger.ts';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { RouteHealth } from '../routing/route.ts';
import {
  addCall,
  type BreakerSettings,
  type CallTally,
  type CircuitState,
  DEFAULT_BREAKER_SETTINGS,
  emptyTally,
  type HealthStatus,
  isDegraded,
  openingReason,
  openPeriodOver,
  PROBE_TIMEOUT_MS,
  settingsProblem,
  successPercent,
  type TransitionReason,
  type WindowCount,
  type WindowMinutes,
} from './breaker.ts';
import * as queries from './queries.ts';

/** How long a node routes on what it last read of the shared circuits (and how often it flushes). */
const SNAPSHOT_TTL_MS = 1_000;
const FLUSH_EVERY_MS = 1_000;
/** Open circuits whose period is over turn half-open at this pace even without traffic (for the consoles). */
const MAINTAIN_EVERY_MS = 5_000;

/** Paid orders per channel account over a window, from the statistics' per-minute rollup. */
export type PaymentWindows = (since: { short: Date; long: Date }) => Promise<
  {
    channelAccountId: bigint;
    shortOrders: bigint;
    shortPaid: bigint;
    shortUnpaid: bigint;
    longOrders: bigint;
    longPaid: bigint;
    longUnpaid: bigint;
  }[]
>;

export interface CreateRates {
  calls: number;
  failures: number;
  /** 0..1; null without a call. */
  successRate: number | null;
}

export interface PaymentRates {
  orders: number;
  paid: number;
  /** Paid among the decided orders (paid, closed or failed), 0..1; null when none is decided. */
  successRate: number | null;
}

/** An account's health as the consoles and the alerts read it. */
export interface ChannelHealth {
  channelAccountId: string;
  status: HealthStatus;
  circuit: CircuitState;
  consecutiveFailures: number;
  openedAt: string | null;
  /** When an open circuit lets probes through. */
  probesFrom: string | null;
  probesTaken: number;
  creates: Record<'m5' | 'm15' | 'm60', CreateRates>;
  payments: Record<'m5' | 'm15' | 'm60', PaymentRates>;
  latencyMs: { average: number | null; max: number | null };
  settings: BreakerSettings;
  /** The account has its own settings (else the defaults). */
  customSettings: boolean;
}

export interface CircuitTransition {
  id: string;
  channelAccountId: string;
  from: CircuitState;
  to: CircuitState;
  reason: TransitionReason;
  detail: Record<string, unknown>;
  at: string;
}

interface Snapshot {
  circuits: Map<string, queries.CircuitRow>;
  settings: Map<string, BreakerSettings>;
  windows: Map<string, queries.WindowRow>;
  marks: Map<string, RouteHealth>;
}

/**
 * Channel health (OP-5): each node counts its channel calls in memory, flushes them about once a
 * second into the per-minute rollup and the shared failure count, and opens, half-opens and closes
 * the circuits in `channel_circuit` by compare-and-set, each change a `channel_circuit_transition`
 * row. Routing reads the circuits through a snapshot at most a second old: no database write is
 * added to an order's create, except for the few probes of a half-open circuit.
 */
export class HealthService {
  private tallies = new Map<string, CallTally>();
  /** Probes this node let through and not yet answered, per account. */
  private readonly probes = new Map<string, number>();
  private readonly settling = new Set<Promise<unknown>>();
  private snapshotAt = 0;
  private current: Snapshot | null = null;
  private loading: Promise<Snapshot> | null = null;
  /** Counts the changes this node made: a snapshot loaded across one is not kept as fresh. */
  private epoch = 0;
  private loadingEpoch = -1;
  private timer: NodeJS.Timeout | null = null;
  private lastMaintained = 0;
  private flushing: Promise<void> | null = null;
  /** The timer's run in progress, awaited at close. */
  private ticking: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly options: { log: Logger; paymentWindows?: PaymentWindows },
  ) {}

  /** Flushes about once a second until close(). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.ticking) return;
      this.ticking = this.tick()
        .catch((error: unknown) => this.options.log.warn({ err: error }, 'channel health flush failed'))
        .finally(() => {
          this.ticking = null;
        });
    }, FLUSH_EVERY_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    await this.flush().catch(() => {});
  }

  // ---------- the channel gateway's hooks ----------

  /**
   * Whether a create may go to the account now: yes when its circuit is closed, no while it is open,
   * and for a half-open circuit only when a probe slot is free (taken here, shared by every node).
   */
  async admit(accountId: bigint): Promise<boolean> {
    const key = accountId.toString();
    const snapshot = await this.snapshot();
    const circuit = snapshot.circuits.get(key);
    if (!circuit || circuit.state === 'closed') return true;
    const settings = this.settingsIn(snapshot, key);
    if (circuit.state === 'open') {
      const now = Date.now();
      if (!openPeriodOver(circuit.opened_at, settings, now)) return false;
      const moved = await queries.transition(
        this.db,
        accountId,
        'open',
        'half_open',
        'open_period_over',
        {},
        { takeProbe: true, openedBefore: new Date(now - settings.openSeconds * 1000) },
      );
      this.invalidate();
      if (moved) return this.probeStarted(key);
    }
    if (await queries.takeProbe(this.db, accountId, settings.halfOpenProbes)) {
      this.invalidate();
      return this.probeStarted(key);
    }
    return false;
  }

  /** One create's outcome: `ok` when the channel answered it (accepted, or the customer declined). */
  record(accountId: bigint, ok: boolean, latencyMs: number): void {
    const key = accountId.toString();
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = emptyTally();
      this.tallies.set(key, tally);
    }
    addCall(tally, ok, latencyMs);
    const probes = this.probes.get(key) ?? 0;
    if (probes > 0) {
      if (probes === 1) this.probes.delete(key);
      else this.probes.set(key, probes - 1);
      this.track(this.settleProbe(accountId, ok, latencyMs));
    }
  }

  // ---------- routing ----------

  /** Each account's health as routing weighs it (accounts not named are healthy). */
  async routeHealth(): Promise<ReadonlyMap<string, RouteHealth>> {
    return (await this.snapshot()).marks;
  }

  // ---------- flush and maintenance ----------

  /** Writes this node's tallies and opens the circuits they push over a threshold. */
  flush(): Promise<void> {
    // One flush at a time: a second caller waits for the running one, then flushes what is left.
    const run = (this.flushing ?? Promise.resolve()).then(() => this.flushNow());
    const tracked = run.finally(() => {
      if (this.flushing === tracked) this.flushing = null;
    });
    this.flushing = tracked;
    return tracked;
  }

  private async flushNow(): Promise<void> {
    await Promise.allSettled([...this.settling]);
    if (this.tallies.size === 0) return;
    const batch = [...this.tallies].map(([key, tally]) => ({ accountId: BigInt(key), tally }));
    this.tallies = new Map();
    let rows: queries.CircuitRow[];
    try {
      rows = await this.db.tx(async (q) => {
        await queries.addCallMinutes(q, new Date(), batch);
        return queries.addConsecutiveFailures(q, batch);
      });
    } catch (error) {
      for (const { accountId, tally } of batch) this.mergeBack(accountId.toString(), tally);
      throw error;
    }
    const closed = rows.filter((r) => r.state === 'closed');
    if (closed.length > 0) {
      const [windows, settings] = await Promise.all([
        queries.callWindows(this.db, new Date()),
        queries.listSettings(this.db),
      ]);
      const windowOf = new Map(windows.map((w) => [w.channel_account_id.toString(), w]));
      const settingsOf = new Map(settings.map((s) => [s.channel_account_id.toString(), settingsFromRow(s)]));
      for (const row of closed) {
        const key = row.channel_account_id.toString();
        const s = settingsOf.get(key) ?? DEFAULT_BREAKER_SETTINGS;
        const window = windowCount(windowOf.get(key), s.windowMinutes);
        const reason = openingReason(s, row.consecutive_failures, window, Number(row.calls_since_closed));
        if (!reason) continue;
        const moved = await queries.transition(this.db, row.channel_account_id, 'closed', 'open', reason, {
          consecutiveFailures: row.consecutive_failures,
          windowMinutes: s.windowMinutes,
          calls: window.calls,
          failures: window.failures,
          successPercent: Math.round(successPercent(window) * 100) / 100,
        });
        if (moved)
          this.options.log.warn(
            { channelAccountId: key, reason, consecutiveFailures: row.consecutive_failures },
            'channel circuit opened',
          );
      }
    }
    this.invalidate();
  }

  /**
   * A flush, then (every few seconds) open circuits whose period is over turn half-open and probes
   * that never answered are freed, so the consoles see the state change without traffic.
   */
  async tick(now = Date.now()): Promise<void> {
    await this.flush();
    if (now - this.lastMaintained < MAINTAIN_EVERY_MS) return;
    this.lastMaintained = now;
    await this.maintain(now);
  }

  async maintain(now = Date.now()): Promise<void> {
    const snapshot = await this.snapshot(true);
    let changed = false;
    for (const [key, circuit] of snapshot.circuits) {
      const settings = this.settingsIn(snapshot, key);
      if (circuit.state === 'open' && openPeriodOver(circuit.opened_at, settings, now)) {
        const moved = await queries.transition(
          this.db,
          BigInt(key),
          'open',
          'half_open',
          'open_period_over',
          {},
          {
            openedBefore: new Date(now - settings.openSeconds * 1000),
          },
        );
        changed ||= moved !== null;
      } else if (circuit.state === 'half_open' && circuit.probes_taken > 0) {
        changed ||= await queries.freeStaleProbes(this.db, BigInt(key), new Date(now - PROBE_TIMEOUT_MS));
      }
    }
    if (changed) this.invalidate();
  }

  // ---------- reads for the consoles and the alerts ----------

  /** Every account's health (those never called are healthy with empty figures); `ids` limits it. */
  async overview(accountIds: bigint[]): Promise<ChannelHealth[]> {
    await this.flush().catch(() => {});
    const now = new Date();
    const [snapshot, short5, short15] = await Promise.all([
      this.snapshot(true),
      this.options.paymentWindows?.({ short: minutesAgo(now, 5), long: minutesAgo(now, 60) }) ?? [],
      this.options.paymentWindows?.({ short: minutesAgo(now, 15), long: minutesAgo(now, 60) }) ?? [],
    ]);
    const pay5 = new Map(short5.map((r) => [r.channelAccountId.toString(), r]));
    const pay15 = new Map(short15.map((r) => [r.channelAccountId.toString(), r]));
    return accountIds.map((id) => {
      const key = id.toString();
      const circuit = snapshot.circuits.get(key);
      const settings = this.settingsIn(snapshot, key);
      const w = snapshot.windows.get(key);
      const p5 = pay5.get(key);
      const p15 = pay15.get(key);
      const calls5 = Number(w?.calls_5 ?? 0n);
      return {
        channelAccountId: key,
        status: statusOf(snapshot.marks.get(key), circuit),
        circuit: circuit?.state ?? 'closed',
        consecutiveFailures: circuit?.consecutive_failures ?? 0,
        openedAt: circuit?.opened_at?.toISOString() ?? null,
        probesFrom:
          circuit?.state === 'open' && circuit.opened_at
            ? new Date(circuit.opened_at.getTime() + settings.openSeconds * 1000).toISOString()
            : null,
        probesTaken: circuit?.state === 'half_open' ? circuit.probes_taken : 0,
        creates: {
          m5: createRates(windowCount(w, 5)),
          m15: createRates(windowCount(w, 15)),
          m60: createRates(windowCount(w, 60)),
        },
        payments: {
          m5: paymentRates(p5?.shortOrders, p5?.shortPaid, p5?.shortUnpaid),
          m15: paymentRates(p15?.shortOrders, p15?.shortPaid, p15?.shortUnpaid),
          m60: paymentRates(p5?.longOrders, p5?.longPaid, p5?.longUnpaid),
        },
        latencyMs: {
          average: calls5 === 0 ? null : Math.round(Number(w!.latency_sum_5) / calls5),
          max: calls5 === 0 ? null : w!.latency_max_5,
        },
        settings,
        customSettings: snapshot.settings.has(key),
      };
    });
  }

  /** The accounts whose circuit is open or half-open now (for the alerts: "channel circuit opened"). */
  async openCircuits(): Promise<
    {
      channelAccountId: string;
      state: Exclude<CircuitState, 'closed'>;
      openedAt: string | null;
      since: string;
    }[]
  > {
    const snapshot = await this.snapshot(true);
    return [...snapshot.circuits.values()]
      .filter((c) => c.state !== 'closed')
      .map((c) => ({
        channelAccountId: c.channel_account_id.toString(),
        state: c.state as Exclude<CircuitState, 'closed'>,
        openedAt: c.opened_at?.toISOString() ?? null,
        since: c.changed_at.toISOString(),
      }));
  }

  /**
   * The circuit changes from `at` on, oldest first (at most `limit`): the alerts domain reads the
   * ones after the last it saw (opened: `to === 'open'`; `reason` says whether by failures in a row
   * or by the success rate, `detail` holds the figures).
   */
  async transitionsSince(at: Date, limit = 500): Promise<CircuitTransition[]> {
    return (await queries.transitionsSince(this.db, at, limit)).map(transitionView);
  }

  /** One account's latest circuit changes, newest first. */
  async transitionsOf(accountId: bigint, limit = 20): Promise<CircuitTransition[]> {
    return (await queries.transitionsOf(this.db, accountId, limit)).map(transitionView);
  }

  // ---------- settings ----------

  async settingsOf(accountId: bigint): Promise<{ settings: BreakerSettings; custom: boolean }> {
    const row = await queries.findSettings(this.db, accountId);
    return { settings: row ? settingsFromRow(row) : { ...DEFAULT_BREAKER_SETTINGS }, custom: row !== null };
  }

  /** Sets an account's thresholds (each part left out keeps its value); null goes back to the defaults. */
  async setSettings(
    accountId: bigint,
    input: Partial<BreakerSettings> | null,
  ): Promise<{ settings: BreakerSettings; custom: boolean }> {
    if (input === null) {
      await queries.deleteSettings(this.db, accountId);
      this.invalidate();
      return { settings: { ...DEFAULT_BREAKER_SETTINGS }, custom: false };
    }
    const settings = { ...(await this.settingsOf(accountId)).settings, ...input };
    const problem = settingsProblem(settings);
    if (problem)
      throw new AppError('INVALID_REQUEST', 'the degraded threshold cannot be below the opening threshold', {
        field: problem,
        reason: 'degraded_below_open',
      });
    const row = await queries.upsertSettings(this.db, accountId, settings);
    this.invalidate();
    return { settings: settingsFromRow(row), custom: true };
  }

  // ---------- internals ----------

  private probeStarted(key: string): true {
    this.probes.set(key, (this.probes.get(key) ?? 0) + 1);
    return true;
  }

  private async settleProbe(accountId: bigint, ok: boolean, latencyMs: number): Promise<void> {
    const moved = await queries.transition(
      this.db,
      accountId,
      'half_open',
      ok ? 'closed' : 'open',
      ok ? 'probe_succeeded' : 'probe_failed',
      { latencyMs: Math.round(latencyMs) },
    );
    if (moved)
      this.options.log.info(
        { channelAccountId: accountId.toString(), state: moved.state },
        'channel circuit probed',
      );
    this.invalidate();
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'channel circuit probe not recorded'))
      .finally(() => this.settling.delete(tracked));
    this.settling.add(tracked);
  }

  private mergeBack(key: string, tally: CallTally): void {
    const now = this.tallies.get(key);
    if (!now) {
      this.tallies.set(key, tally);
      return;
    }
    // The older calls come first: a success among the newer ones still decides the run of failures.
    now.calls += tally.calls;
    now.failures += tally.failures;
    now.latencyMsSum += tally.latencyMsSum;
    now.latencyMsMax = Math.max(now.latencyMsMax, tally.latencyMsMax);
    if (!now.sawSuccess) now.trailingFailures += tally.trailingFailures;
    now.sawSuccess ||= tally.sawSuccess;
  }

  private invalidate(): void {
    this.epoch++;
    this.snapshotAt = 0;
  }

  private settingsIn(snapshot: Snapshot, key: string): BreakerSettings {
    return snapshot.settings.get(key) ?? DEFAULT_BREAKER_SETTINGS;
  }

  /** What this node knows of the circuits: at most a second old, or read now (`fresh`). */
  private async snapshot(fresh = false): Promise<Snapshot> {
    // A fresh read may not join a load begun earlier: it could miss a change made since.
    if (fresh) this.invalidate();
    else if (this.current && Date.now() - this.snapshotAt < SNAPSHOT_TTL_MS) return this.current;
    if (this.loading && this.loadingEpoch === this.epoch) return this.loading;
    const epoch = this.epoch;
    const loading = this.load(epoch).finally(() => {
      if (this.loading === loading) this.loading = null;
    });
    this.loading = loading;
    this.loadingEpoch = epoch;
    return loading;
  }

  private async load(epoch: number): Promise<Snapshot> {
    const started = Date.now();
    const [circuits, settings, windows] = await Promise.all([
      queries.listCircuits(this.db),
      queries.listSettings(this.db),
      queries.callWindows(this.db, new Date()),
    ]);
    const snapshot: Snapshot = {
      circuits: new Map(circuits.map((c) => [c.channel_account_id.toString(), c])),
      settings: new Map(settings.map((s) => [s.channel_account_id.toString(), settingsFromRow(s)])),
      windows: new Map(windows.map((w) => [w.channel_account_id.toString(), w])),
      marks: new Map(),
    };
    for (const [key, circuit] of snapshot.circuits) {
      const s = this.settingsIn(snapshot, key);
      if (circuit.state === 'open') {
        snapshot.marks.set(
          key,
          openPeriodOver(circuit.opened_at, s, started) ? { state: 'half_open' } : { state: 'open' },
        );
      } else if (circuit.state === 'half_open') {
        snapshot.marks.set(
          key,
          circuit.probes_taken < s.halfOpenProbes ? { state: 'half_open' } : { state: 'open' },
        );
      }
    }
    for (const [key, w] of snapshot.windows) {
      if (snapshot.marks.has(key)) continue;
      const s = this.settingsIn(snapshot, key);
      if (isDegraded(s, windowCount(w, s.windowMinutes)))
        snapshot.marks.set(key, { state: 'degraded', weightPercent: s.degradedWeightPercent });
    }
    // A change this node made while it loaded may not be in it: kept, but read again next time.
    this.current = snapshot;
    this.snapshotAt = epoch === this.epoch ? started : 0;
    return snapshot;
  }
}

function statusOf(mark: RouteHealth | undefined, circuit: queries.CircuitRow | undefined): HealthStatus {
  if (circuit?.state === 'open') return 'open';
  if (circuit?.state === 'half_open') return 'half_open';
  return mark?.state === 'degraded' ? 'degraded' : 'healthy';
}

function windowCount(w: queries.WindowRow | undefined, minutes: WindowMinutes): WindowCount {
  if (!w) return { calls: 0, failures: 0 };
  if (minutes === 5) return { calls: Number(w.calls_5), failures: Number(w.failures_5) };
  if (minutes === 15) return { calls: Number(w.calls_15), failures: Number(w.failures_15) };
  return { calls: Number(w.calls_60), failures: Number(w.failures_60) };
}

function createRates(w: WindowCount): CreateRates {
  return {
    calls: w.calls,
    failures: w.failures,
    successRate: w.calls === 0 ? null : Math.round(((w.calls - w.failures) / w.calls) * 10_000) / 10_000,
  };
}

function paymentRates(orders = 0n, paid = 0n, unpaid = 0n): PaymentRates {
  const decided = Number(paid + unpaid);
  return {
    orders: Number(orders),
    paid: Number(paid),
    successRate: decided === 0 ? null : Math.round((Number(paid) / decided) * 10_000) / 10_000,
  };
}

function minutesAgo(now: Date, minutes: number): Date {
  return new Date(now.getTime() - (minutes - 1) * 60_000);
}

function settingsFromRow(r: queries.BreakerSettingRow): BreakerSettings {
  return {
    failureThreshold: r.failure_threshold,
    openBelowPercent: r.open_below_percent,
    minVolume: r.min_volume,
    windowMinutes: r.window_minutes,
    openSeconds: r.open_seconds,
    halfOpenProbes: r.half_open_probes,
    degradedBelowPercent: r.degraded_below_percent,
    degradedWeightPercent: r.degraded_weight_percent,
  };
}

function transitionView(r: queries.TransitionRow): CircuitTransition {
  return {
    id: r.id.toString(),
    channelAccountId: r.channel_account_id.toString(),
    from: r.from_state,
    to: r.to_state,
    reason: r.reason,
    detail: r.detail,
    at: r.at.toISOString(),
  };
}
