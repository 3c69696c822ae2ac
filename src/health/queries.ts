import type { Queryable } from '../db/index.ts';
import type { BreakerSettings, CallTally, CircuitState, TransitionReason, WindowMinutes } from './breaker.ts';

export interface CircuitRow {
  channel_account_id: bigint;
  state: CircuitState;
  consecutive_failures: number;
  calls_since_closed: bigint;
  opened_at: Date | null;
  probes_taken: number;
  changed_at: Date;
}

export interface BreakerSettingRow {
  channel_account_id: bigint;
  failure_threshold: number;
  open_below_percent: number;
  min_volume: number;
  window_minutes: WindowMinutes;
  open_seconds: number;
  half_open_probes: number;
  degraded_below_percent: number;
  degraded_weight_percent: number;
  updated_at: Date;
}

export interface TransitionRow {
  id: bigint;
  channel_account_id: bigint;
  from_state: CircuitState;
  to_state: CircuitState;
  reason: TransitionReason;
  detail: Record<string, unknown>;
  at: Date;
}

/** A node's tallies added to the minute rollup (one statement for every account). */
export async function addCallMinutes(
  q: Queryable,
  minute: Date,
  tallies: { accountId: bigint; tally: CallTally }[],
): Promise<void> {
  await q.query(
    `INSERT INTO channel_call_minute AS m (minute, channel_account_id, call_count, failure_count, latency_ms_sum, latency_ms_max)
     SELECT date_trunc('minute', $1::timestamptz), t.account, t.calls, t.failures, t.latency_sum, t.latency_max
     FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::int[])
       AS t(account, calls, failures, latency_sum, latency_max)
     ORDER BY t.account
     ON CONFLICT (minute, channel_account_id) DO UPDATE SET
       call_count = m.call_count + EXCLUDED.call_count, failure_count = m.failure_count + EXCLUDED.failure_count,
       latency_ms_sum = m.latency_ms_sum + EXCLUDED.latency_ms_sum,
       latency_ms_max = greatest(m.latency_ms_max, EXCLUDED.latency_ms_max)`,
    [
      minute,
      tallies.map((t) => t.accountId.toString()),
      tallies.map((t) => String(t.tally.calls)),
      tallies.map((t) => String(t.tally.failures)),
      tallies.map((t) => String(Math.round(t.tally.latencyMsSum))),
      tallies.map((t) => String(Math.min(2_147_483_647, Math.round(t.tally.latencyMsMax)))),
    ],
  );
}

/**
 * Adds a node's failures in a row to the shared count (a success among them restarts it), making the
 * account's circuit row the first time. Returns the rows as they are now.
 */
export function addConsecutiveFailures(
  q: Queryable,
  tallies: { accountId: bigint; tally: CallTally }[],
): Promise<CircuitRow[]> {
  return q.query<CircuitRow>(
    `WITH t AS (
       SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::boolean[], $5::bigint[])
         AS t(account, failures, trail, saw_success, calls)
     )
     INSERT INTO channel_circuit AS c (channel_account_id, consecutive_failures, calls_since_closed)
     SELECT account, trail, calls FROM t ORDER BY account
     ON CONFLICT (channel_account_id) DO UPDATE SET calls_since_closed = c.calls_since_closed + EXCLUDED.calls_since_closed,
       consecutive_failures =
       CASE WHEN (SELECT saw_success FROM t WHERE t.account = c.channel_account_id)
            THEN EXCLUDED.consecutive_failures
            ELSE c.consecutive_failures + (SELECT failures FROM t WHERE t.account = c.channel_account_id) END
     RETURNING *`,
    [
      tallies.map((t) => t.accountId.toString()),
      tallies.map((t) => String(t.tally.failures)),
      tallies.map((t) => String(t.tally.trailingFailures)),
      tallies.map((t) => String(t.tally.sawSuccess)),
      tallies.map((t) => String(t.tally.calls)),
    ],
  );
}

export function listCircuits(q: Queryable) {
  return q.query<CircuitRow>('SELECT * FROM channel_circuit ORDER BY channel_account_id');
}

export function listSettings(q: Queryable) {
  return q.query<BreakerSettingRow>('SELECT * FROM channel_breaker_setting ORDER BY channel_account_id');
}

export async function findSettings(q: Queryable, accountId: bigint) {
  const rows = await q.query<BreakerSettingRow>(
    'SELECT * FROM channel_breaker_setting WHERE channel_account_id = $1',
    [accountId],
  );
  return rows[0] ?? null;
}

export async function upsertSettings(q: Queryable, accountId: bigint, s: BreakerSettings) {
  const rows = await q.query<BreakerSettingRow>(
    `INSERT INTO channel_breaker_setting (channel_account_id, failure_threshold, open_below_percent, min_volume,
       window_minutes, open_seconds, half_open_probes, degraded_below_percent, degraded_weight_percent)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (channel_account_id) DO UPDATE SET failure_threshold = EXCLUDED.failure_threshold,
       open_below_percent = EXCLUDED.open_below_percent, min_volume = EXCLUDED.min_volume,
       window_minutes = EXCLUDED.window_minutes, open_seconds = EXCLUDED.open_seconds,
       half_open_probes = EXCLUDED.half_open_probes, degraded_below_percent = EXCLUDED.degraded_below_percent,
       degraded_weight_percent = EXCLUDED.degraded_weight_percent, updated_at = now()
     RETURNING *`,
    [
      accountId,
      s.failureThreshold,
      s.openBelowPercent,
      s.minVolume,
      s.windowMinutes,
      s.openSeconds,
      s.halfOpenProbes,
      s.degradedBelowPercent,
      s.degradedWeightPercent,
    ],
  );
  return rows[0]!;
}

export async function deleteSettings(q: Queryable, accountId: bigint) {
  await q.query('DELETE FROM channel_breaker_setting WHERE channel_account_id = $1', [accountId]);
}

export interface WindowRow {
  channel_account_id: bigint;
  calls_5: bigint;
  failures_5: bigint;
  calls_15: bigint;
  failures_15: bigint;
  calls_60: bigint;
  failures_60: bigint;
  latency_sum_5: bigint;
  latency_max_5: number;
}

/**
 * Creates per account over the last 5, 15 and 60 minutes (the minute begun counts), leaving out the
 * minutes before an account's circuit last closed: failures it was opened for do not count again.
 */
export function callWindows(q: Queryable, now: Date) {
  return q.query<WindowRow>(
    `SELECT m.channel_account_id,
       COALESCE(sum(call_count) FILTER (WHERE minute > $1::timestamptz - interval '5 minutes'), 0)::bigint AS calls_5,
       COALESCE(sum(failure_count) FILTER (WHERE minute > $1::timestamptz - interval '5 minutes'), 0)::bigint AS failures_5,
       COALESCE(sum(call_count) FILTER (WHERE minute > $1::timestamptz - interval '15 minutes'), 0)::bigint AS calls_15,
       COALESCE(sum(failure_count) FILTER (WHERE minute > $1::timestamptz - interval '15 minutes'), 0)::bigint AS failures_15,
       sum(call_count)::bigint AS calls_60, sum(failure_count)::bigint AS failures_60,
       COALESCE(sum(latency_ms_sum) FILTER (WHERE minute > $1::timestamptz - interval '5 minutes'), 0)::bigint AS latency_sum_5,
       COALESCE(max(latency_ms_max) FILTER (WHERE minute > $1::timestamptz - interval '5 minutes'), 0)::int AS latency_max_5
     FROM channel_call_minute m
     LEFT JOIN channel_circuit c ON c.channel_account_id = m.channel_account_id
     WHERE m.minute > $1::timestamptz - interval '60 minutes'
       AND (c.state IS DISTINCT FROM 'closed' OR c.opened_at IS NULL OR m.minute >= date_trunc('minute', c.changed_at))
       -- (a closed circuit keeps opened_at: the last time it opened)
     GROUP BY m.channel_account_id ORDER BY m.channel_account_id`,
    [now],
  );
}

/**
 * Moves a circuit from one state to another if it is still in it (compare-and-set: one node wins),
 * and records the transition. Returns the new row, or null when another node moved it first.
 */
export async function transition(
  q: Queryable,
  accountId: bigint,
  from: CircuitState,
  to: CircuitState,
  reason: TransitionReason,
  detail: Record<string, unknown>,
  guard: { takeProbe?: boolean; openedBefore?: Date } = {},
): Promise<CircuitRow | null> {
  const rows = await q.query<CircuitRow>(
    `WITH moved AS (
       UPDATE channel_circuit SET state = $3, changed_at = now(),
         opened_at = CASE WHEN $3 = 'open' THEN now() ELSE opened_at END,
         consecutive_failures = CASE WHEN $3 = 'closed' THEN 0 ELSE consecutive_failures END,
         calls_since_closed = CASE WHEN $3 = 'closed' THEN 0 ELSE calls_since_closed END,
         probes_taken = CASE WHEN $3 = 'half_open' AND $7::boolean THEN 1 ELSE 0 END
       WHERE channel_account_id = $1 AND state = $2
         AND ($6::timestamptz IS NULL OR opened_at IS NULL OR opened_at <= $6::timestamptz)
       RETURNING *
     ), logged AS (
       INSERT INTO channel_circuit_transition (channel_account_id, from_state, to_state, reason, detail)
       SELECT channel_account_id, $2, $3, $4, $5::jsonb FROM moved
     )
     SELECT * FROM moved`,
    [
      accountId,
      from,
      to,
      reason,
      JSON.stringify(detail),
      guard.openedBefore ?? null,
      guard.takeProbe === true,
    ],
  );
  return rows[0] ?? null;
}

/** Takes one probe slot of a half-open circuit; false when they are all taken (or it is not half-open). */
export async function takeProbe(q: Queryable, accountId: bigint, limit: number): Promise<boolean> {
  const rows = await q.query(
    `UPDATE channel_circuit SET probes_taken = probes_taken + 1
     WHERE channel_account_id = $1 AND state = 'half_open' AND probes_taken < $2 RETURNING 1`,
    [accountId, limit],
  );
  return rows.length > 0;
}

/** Frees the probe slots of a half-open circuit whose probes never reported (taken before `before`). */
export async function freeStaleProbes(q: Queryable, accountId: bigint, before: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE channel_circuit SET probes_taken = 0, changed_at = now()
     WHERE channel_account_id = $1 AND state = 'half_open' AND probes_taken > 0 AND changed_at < $2 RETURNING 1`,
    [accountId, before],
  );
  return rows.length > 0;
}

export function transitionsSince(q: Queryable, since: Date, limit: number) {
  return q.query<TransitionRow>(
    'SELECT * FROM channel_circuit_transition WHERE at >= $1 ORDER BY id LIMIT $2',
    [since, limit],
  );
}

export function transitionsOf(q: Queryable, accountId: bigint, limit: number) {
  return q.query<TransitionRow>(
    'SELECT * FROM channel_circuit_transition WHERE channel_account_id = $1 ORDER BY id DESC LIMIT $2',
    [accountId, limit],
  );
}
