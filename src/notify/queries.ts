import type { Queryable } from '../db/index.ts';

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
  duration_ms: number;
  created_at: Date;
}

export async function insertTask(
  q: Queryable,
  t: {
    merchantId: bigint;
    appId: string;
    orderId: bigint | null;
    eventType: string;
    idempotencyKey: string;
    url: string;
    payload: string;
    delaySeconds: number;
  },
) {
  const rows = await q.query<{ id: bigint }>(
    `INSERT INTO notify_task (merchant_id, app_id, order_id, event_type, idempotency_key, url, payload, next_attempt_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
    [t.merchantId, t.appId, t.orderId, t.eventType, t.idempotencyKey, t.url, t.payload, t.delaySeconds],
  );
  return rows[0]?.id ?? null;
}

/**
 * Claims due tasks: the lease pushes next_attempt_at forward, so a worker that dies mid-delivery
 * leaves the task to be retried after the lease, and SKIP LOCKED keeps other workers off it meanwhile.
 */
export function claimDueTasks(q: Queryable, limit: number, leaseSeconds: number) {
  return q.query<NotifyTaskRow>(
    `UPDATE notify_task SET next_attempt_at = now() + make_interval(secs => $2)
     WHERE id IN (
       SELECT id FROM notify_task WHERE state = 'pending' AND next_attempt_at <= now()
       ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [limit, leaseSeconds],
  );
}

export async function recordAttempt(
  q: Queryable,
  a: {
    taskId: bigint;
    attempt: number;
    httpStatus: number | null;
    responseBody: string | null;
    error: string | null;
    durationMs: number;
    outcome: 'succeeded' | 'failed' | 'pending';
    nextDelaySeconds: number;
  },
) {
  await q.query(
    `WITH attempt AS (
       INSERT INTO notify_attempt (task_id, attempt, http_status, response_body, error, duration_ms)
       VALUES ($1, $2, $3, $4, $5, $6))
     UPDATE notify_task SET state = $7, attempts = $2, last_error = $5, updated_at = now(),
       next_attempt_at = now() + make_interval(secs => $8)
     WHERE id = $1`,
    [a.taskId, a.attempt, a.httpStatus, a.responseBody, a.error, a.durationMs, a.outcome, a.nextDelaySeconds],
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

export function attemptsOfTasks(q: Queryable, taskIds: bigint[]) {
  return q.query<NotifyAttemptRow>(
    'SELECT * FROM notify_attempt WHERE task_id = ANY($1::bigint[]) ORDER BY id',
    [taskIds.map(String)],
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
