import type { Queryable } from '../db/index.ts';
import { rowsSince } from '../db/partitions.ts';

export interface NotifyTaskRow {
  id: bigint;
  merchant_id: bigint;
  app_id: string;
  order_id: bigint | null;
  event_type: string;
  idempotency_key: string;
  url: string;
  payload: string;
  state: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  /** DELIVERY_FAILURE_KINDS of the last error; null before migration 017. */
  last_error_kind: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface NotifyAttemptRow {
  id: bigint;
  task_id: bigint;
  attempt: number;
  http_status: number | null;
  response_body: string | null;
  error: string | null;
  /** DELIVERY_FAILURE_KINDS: which step failed; null when delivered (and before migration 017). */
  error_kind: string | null;
  duration_ms: number;
  created_at: Date;
}

export interface NewTask {
  merchantId: bigint;
  appId: string;
  orderId: bigint | null;
  eventType: string;
  idempotencyKey: string;
  url: string;
  payload: string;
}

/** Writes notifies (once per idempotency key), first attempt due after `delaySeconds`. */
export async function insertTasks(q: Queryable, tasks: NewTask[], delaySeconds: number): Promise<void> {
  await q.query(
    `INSERT INTO notify_task (merchant_id, app_id, order_id, event_type, idempotency_key, url, payload, next_attempt_at)
     SELECT m, a, o, e, k, u, p, now() + make_interval(secs => $8)
     FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[]) AS t(m, a, o, e, k, u, p)
     ON CONFLICT (idempotency_key) DO NOTHING`,
    [
      tasks.map((t) => t.merchantId.toString()),
      tasks.map((t) => t.appId),
      tasks.map((t) => t.orderId?.toString() ?? null) as string[],
      tasks.map((t) => t.eventType),
      tasks.map((t) => t.idempotencyKey),
      tasks.map((t) => t.url),
      tasks.map((t) => t.payload),
      delaySeconds,
    ],
  );
}

/** A task's endpoint (scheme, host and port of its URL, lower case), as service.ts endpointOf reads it. */
const ENDPOINT_SQL = `lower(COALESCE(substring(url from '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*'), url))`;

/**
 * Claims due tasks: the lease pushes next_attempt_at forward, so a worker that dies mid-delivery
 * leaves the task to be retried after the lease, and SKIP LOCKED keeps other workers off it meanwhile.
 * Tasks for `skipEndpoints` (endpoints this node has no slot for) are left where they are.
 */
export function claimDueTasks(
  q: Queryable,
  limit: number,
  leaseSeconds: number,
  skipEndpoints: string[] = [],
) {
  const skip = skipEndpoints.length > 0 ? `AND ${ENDPOINT_SQL} <> ALL($3::text[])` : '';
  return q.query<NotifyTaskRow>(
    `UPDATE notify_task SET next_attempt_at = now() + make_interval(secs => $2)
     WHERE id IN (
       SELECT id FROM notify_task WHERE state = 'pending' AND next_attempt_at <= now() ${skip}
       ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    skipEndpoints.length > 0 ? [limit, leaseSeconds, skipEndpoints] : [limit, leaseSeconds],
  );
}

const withoutNul = (text: string | null) => text?.replaceAll('\u0000', '\uFFFD') ?? null;

export interface AttemptRecord {
  taskId: bigint;
  attempt: number;
  httpStatus: number | null;
  responseBody: string | null;
  error: string | null;
  /** Which step failed (DELIVERY_FAILURE_KINDS); null when delivered. */
  errorKind: string | null;
  durationMs: number;
  outcome: 'succeeded' | 'failed' | 'pending';
  nextDelaySeconds: number;
}

/**
 * Records a claimed batch's attempts and moves each task on, in one statement. A task moves only
 * if nobody recorded this attempt first (a lease that ran out and was claimed again elsewhere):
 * a late answer is kept in the history but cannot reopen a delivered notify.
 */
export async function recordAttempts(
  q: Queryable,
  records: AttemptRecord[],
  { again = false }: { again?: boolean } = {},
): Promise<void> {
  if (records.length === 0) return;
  // Written again after an outage, an attempt whose first write committed unanswered is not doubled.
  const unlessWritten = again
    ? 'WHERE NOT EXISTS (SELECT 1 FROM notify_attempt a WHERE a.task_id = r.task_id AND a.attempt = r.attempt)'
    : '';
  await q.query(
    `WITH r AS (
       SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[], $5::text[], $6::int[], $7::text[], $8::float8[], $9::text[])
         AS r(task_id, attempt, http_status, response_body, error, duration_ms, outcome, next_delay, error_kind)),
     attempt AS (
       INSERT INTO notify_attempt (task_id, attempt, http_status, response_body, error, error_kind, duration_ms)
       SELECT task_id, attempt, http_status, response_body, error, error_kind, duration_ms FROM r ${unlessWritten})
     UPDATE notify_task t SET state = r.outcome, attempts = r.attempt, last_error = r.error,
       last_error_kind = r.error_kind, updated_at = now(),
       next_attempt_at = now() + make_interval(secs => r.next_delay)
     FROM r WHERE t.id = r.task_id AND t.state = 'pending' AND t.attempts = r.attempt - 1`,
    [
      records.map((r) => r.taskId.toString()),
      records.map((r) => String(r.attempt)),
      records.map((r) => (r.httpStatus === null ? null : String(r.httpStatus))) as string[],
      // A merchant's answer may hold NUL bytes, which PostgreSQL text cannot store.
      records.map((r) => withoutNul(r.responseBody)) as string[],
      records.map((r) => withoutNul(r.error)) as string[],
      records.map((r) => String(r.durationMs)),
      records.map((r) => r.outcome),
      records.map((r) => String(r.nextDelaySeconds)),
      records.map((r) => r.errorKind) as string[],
    ],
  );
}

/**
 * Hands back claimed tasks that were not sent: due now, for any node. Only a task still at the
 * attempt it was claimed at moves, so one that was recorded meanwhile keeps its schedule.
 */
export async function releaseTasks(q: Queryable, tasks: { id: bigint; attempts: number }[]): Promise<void> {
  await q.query(
    `UPDATE notify_task t SET next_attempt_at = now()
     FROM unnest($1::bigint[], $2::int[]) AS r(id, attempts)
     WHERE t.id = r.id AND t.state = 'pending' AND t.attempts = r.attempts`,
    [tasks.map((t) => t.id.toString()), tasks.map((t) => String(t.attempts))],
  );
}

export async function requeueTasksOfOrder(q: Queryable, orderId: bigint) {
  return q.query<{ id: bigint }>(
    `UPDATE notify_task SET state = 'pending', next_attempt_at = now(), updated_at = now()
     WHERE order_id = $1 RETURNING id`,
    [orderId],
  );
}

export function tasksOfOrder(q: Queryable, orderId: bigint) {
  return q.query<NotifyTaskRow>('SELECT * FROM notify_task WHERE order_id = $1 ORDER BY id', [orderId]);
}

export function attemptsOfTasks(q: Queryable, tasks: Pick<NotifyTaskRow, 'id' | 'created_at'>[]) {
  return q.query<NotifyAttemptRow>(
    'SELECT * FROM notify_attempt WHERE task_id = ANY($1::bigint[]) AND created_at >= $2 ORDER BY id',
    [tasks.map((t) => t.id.toString()), rowsSince(...tasks.map((t) => t.created_at))],
  );
}

/** Latest notify state per order, for order lists. */
export function latestStateOfOrders(q: Queryable, orderIds: bigint[]) {
  return q.query<{ order_id: bigint; state: string; attempts: number }>(
    `SELECT DISTINCT ON (order_id) order_id, state, attempts FROM notify_task
     WHERE order_id = ANY($1::bigint[]) ORDER BY order_id, id DESC`,
    [orderIds.map(String)],
  );
}

/**
 * Per merchant, its notifies that failed or are being retried after a failure, changed since a
 * moment (the alerts' failing-notifies detector).
 */
export function failingByMerchant(q: Queryable, since: Date) {
  return q.query<{ merchant_id: bigint; failing: bigint; given_up: bigint; last_error: string | null }>(
    `SELECT merchant_id, count(*)::bigint AS failing, count(*) FILTER (WHERE state = 'failed')::bigint AS given_up,
       (array_agg(last_error ORDER BY updated_at DESC))[1] AS last_error
     FROM notify_task
     WHERE attempts > 0 AND state <> 'succeeded' AND updated_at >= $1 AND last_error IS NOT NULL
     GROUP BY merchant_id ORDER BY merchant_id`,
    [since],
  );
}

/**
 * Notifies of some merchants that failed for good (every attempt of the schedule used) in
 * `[since, until)`, oldest first, at most `limit` (the bot's failed-notify messages).
 */
export function failedTasksOf(
  q: Queryable,
  f: { merchantIds: bigint[]; since: Date; until: Date; limit: number },
) {
  return q.query<
    Pick<NotifyTaskRow, 'id' | 'merchant_id' | 'order_id' | 'event_type' | 'attempts' | 'updated_at'>
  >(
    `SELECT id, merchant_id, order_id, event_type, attempts, updated_at FROM notify_task
      WHERE state = 'failed' AND merchant_id = ANY($1::bigint[]) AND updated_at >= $2 AND updated_at < $3
      ORDER BY updated_at, id LIMIT $4`,
    [f.merchantIds.map(String), f.since, f.until, f.limit],
  );
}
