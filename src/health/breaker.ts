/**
 * The circuit breaker of a channel account, as rules without I/O (the service keeps the state).
 *
 * closed ──(N consecutive failures, or success rate < threshold over ≥ minimum volume)──▶ open
 * open ──(open period over)──▶ half_open: at most `halfOpenProbes` creates are let through
 * half_open ──(a probe succeeds)──▶ closed;  half_open ──(a probe fails)──▶ open again
 *
 * A closed circuit whose create success rate is under the degraded threshold is `degraded`: still
 * routed, with its weight lowered.
 */

export const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;
export type CircuitState = (typeof CIRCUIT_STATES)[number];

/** What the consoles show: a closed circuit is healthy or degraded. */
export const HEALTH_STATUSES = ['healthy', 'degraded', 'open', 'half_open'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** Why a circuit changed (channel_circuit_transition.reason). */
export const TRANSITION_REASONS = [
  'consecutive_failures',
  'success_rate',
  'open_period_over',
  'probe_succeeded',
  'probe_failed',
  'probe_timeout',
] as const;
export type TransitionReason = (typeof TRANSITION_REASONS)[number];

export const WINDOW_MINUTES = [5, 15, 60] as const;
export type WindowMinutes = (typeof WINDOW_MINUTES)[number];

export interface BreakerSettings {
  /** Opens after this many failed creates in a row. */
  failureThreshold: number;
  /** Opens when the create success rate over the window is below this (%), … */
  openBelowPercent: number;
  /** … once the window holds at least this many creates. */
  minVolume: number;
  /** The window the success rates are taken over. */
  windowMinutes: WindowMinutes;
  /** How long the circuit stays open before probes are let through. */
  openSeconds: number;
  /** How many creates a half-open circuit lets through at once. */
  halfOpenProbes: number;
  /** A closed circuit under this create success rate (%), over the minimum volume, is degraded … */
  degradedBelowPercent: number;
  /** … and routed with this share of its weight (%). */
  degradedWeightPercent: number;
}

/** What an account without its own settings has. */
export const DEFAULT_BREAKER_SETTINGS: Readonly<BreakerSettings> = Object.freeze({
  failureThreshold: 5,
  openBelowPercent: 50,
  minVolume: 20,
  windowMinutes: 5,
  openSeconds: 60,
  halfOpenProbes: 3,
  degradedBelowPercent: 90,
  degradedWeightPercent: 20,
});

/** A half-open circuit whose probes never report back (a node stopped) frees them after this. */
export const PROBE_TIMEOUT_MS = 60_000;

/** Calls counted over a window. */
export interface WindowCount {
  calls: number;
  failures: number;
}

/** Whether a closed circuit should open now, and why. */
export function openingReason(
  settings: BreakerSettings,
  consecutiveFailures: number,
  window: WindowCount,
  /** Creates since the circuit last closed: the rate counts only once they reach the minimum volume. */
  callsSinceClosed: number,
): TransitionReason | null {
  if (consecutiveFailures >= settings.failureThreshold) return 'consecutive_failures';
  if (
    callsSinceClosed >= settings.minVolume &&
    window.calls >= settings.minVolume &&
    successPercent(window) < settings.openBelowPercent
  )
    return 'success_rate';
  return null;
}

/** The success rate of a window in % (100 when it holds no call). */
export function successPercent(window: WindowCount): number {
  return window.calls === 0 ? 100 : ((window.calls - window.failures) / window.calls) * 100;
}

/** A closed circuit is degraded when its success rate over a window of enough volume is low. */
export function isDegraded(settings: BreakerSettings, window: WindowCount): boolean {
  return window.calls >= settings.minVolume && successPercent(window) < settings.degradedBelowPercent;
}

/** An open circuit whose open period is over is ready for probes (it turns half-open at the next one). */
export function openPeriodOver(openedAt: Date | null, settings: BreakerSettings, now: number): boolean {
  return openedAt === null || now - openedAt.getTime() >= settings.openSeconds * 1000;
}

/** The calls of one account on one node since its last flush. */
export interface CallTally {
  calls: number;
  failures: number;
  latencyMsSum: number;
  latencyMsMax: number;
  /** Failures in a row at the end of the tally. */
  trailingFailures: number;
  /** Whether a success is among the calls (then the shared count restarts at trailingFailures). */
  sawSuccess: boolean;
}

export const emptyTally = (): CallTally => ({
  calls: 0,
  failures: 0,
  latencyMsSum: 0,
  latencyMsMax: 0,
  trailingFailures: 0,
  sawSuccess: false,
});

export function addCall(tally: CallTally, ok: boolean, latencyMs: number): void {
  tally.calls++;
  tally.latencyMsSum += latencyMs;
  tally.latencyMsMax = Math.max(tally.latencyMsMax, latencyMs);
  if (ok) {
    tally.sawSuccess = true;
    tally.trailingFailures = 0;
  } else {
    tally.failures++;
    tally.trailingFailures++;
  }
}

/** The shared count of failures in a row after a node's tally is added to it. */
export function consecutiveAfter(shared: number, tally: CallTally): number {
  return tally.sawSuccess ? tally.trailingFailures : shared + tally.failures;
}

/** The field of settings that contradict each other (a degraded threshold under the opening one), or null. */
export function settingsProblem(s: BreakerSettings): string | null {
  if (s.degradedBelowPercent < s.openBelowPercent) return 'degradedBelowPercent';
  return null;
}
