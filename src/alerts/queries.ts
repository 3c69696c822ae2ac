import type { Queryable } from '../db/index.ts';
import type {
  AlertEventRow,
  AlertKind,
  AlertRouteRow,
  AlertRow,
  AlertSeverity,
  AlertState,
  Observation,
  RouteInput,
  SubjectType,
} from './types.ts';

/** The alerts domain's own tables (migration 035): alert, alert_event, alert_route. */

const SEVERITY_RANK = `CASE $SEV WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END`;
const rank = (column: string) => SEVERITY_RANK.replace('$SEV', column);

export type RecordedAlert = AlertRow & { inserted: boolean; previous_severity: AlertSeverity | null };

/**
 * Records one detector run's observations in one statement: a new alert per subject without an
 * unresolved one, else the unresolved one seen again (count, last seen, the latest figures and
 * severity). Answers each row with whether it is new and its severity before.
 */
export function recordObservations(
  q: Queryable,
  kind: AlertKind,
  observations: Observation[],
  now: Date,
): Promise<RecordedAlert[]> {
  return q.query<RecordedAlert>(
    `WITH obs AS (
       SELECT * FROM jsonb_to_recordset($2::jsonb)
         AS o(subject_type text, subject_id text, subject_label text, severity text, detail jsonb)
     ),
     before AS (SELECT id, severity FROM alert WHERE kind = $1 AND state <> 'resolved'),
     up AS (
       INSERT INTO alert AS a (kind, severity, subject_type, subject_id, subject_label, detail, first_seen_at, last_seen_at)
       SELECT $1, severity, subject_type, subject_id, subject_label, detail, $3, $3 FROM obs
       ORDER BY subject_type, subject_id
       ON CONFLICT (kind, subject_type, subject_id) WHERE state <> 'resolved' DO UPDATE SET
         seen_count = a.seen_count + 1, last_seen_at = EXCLUDED.last_seen_at, severity = EXCLUDED.severity,
         subject_label = EXCLUDED.subject_label, detail = EXCLUDED.detail, updated_at = now()
       RETURNING a.*
     )
     SELECT up.*, b.id IS NULL AS inserted, b.severity AS previous_severity
     FROM up LEFT JOIN before b ON b.id = up.id ORDER BY up.id`,
    [
      kind,
      JSON.stringify(
        observations.map((o) => ({
          subject_type: o.subjectType,
          subject_id: o.subjectId,
          subject_label: o.subjectLabel,
          severity: o.severity,
          detail: o.detail,
        })),
      ),
      now,
    ],
  );
}

/** Resolves the kind's unresolved alerts whose subject the detector no longer sees, marked automatic. */
export function autoResolve(q: Queryable, kind: AlertKind, stillSeen: string[], now: Date) {
  return q.query<AlertRow>(
    `UPDATE alert SET state = 'resolved', resolved_at = $3, auto_resolved = TRUE, updated_at = now()
     WHERE kind = $1 AND state <> 'resolved' AND NOT ((subject_type || ':' || subject_id) = ANY($2::text[]))
     RETURNING *`,
    [kind, stillSeen, now],
  );
}

export async function insertEvents(
  q: Queryable,
  events: {
    alertId: bigint;
    kind: AlertEventRow['kind'];
    byUserId?: bigint | null;
    note?: string | null;
    detail?: object;
  }[],
): Promise<void> {
  if (events.length === 0) return;
  await q.query(
    `INSERT INTO alert_event (alert_id, kind, by_user_id, note, detail)
     SELECT alert_id, kind, by_user_id, note, COALESCE(detail, '{}'::jsonb)
     FROM jsonb_to_recordset($1::jsonb) AS e(alert_id bigint, kind text, by_user_id bigint, note text, detail jsonb)`,
    [
      JSON.stringify(
        events.map((e) => ({
          alert_id: e.alertId.toString(),
          kind: e.kind,
          by_user_id: e.byUserId?.toString() ?? null,
          note: e.note ?? null,
          detail: e.detail ?? {},
        })),
      ),
    ],
  );
}

export async function markNotified(q: Queryable, ids: bigint[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await q.query('UPDATE alert SET last_notified_at = $2 WHERE id = ANY($1::bigint[])', [ids.map(String), at]);
}

export async function findAlert(q: Queryable, id: bigint, lock = false): Promise<AlertRow | null> {
  const rows = await q.query<AlertRow>(`SELECT * FROM alert WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ?? null;
}

/** The unresolved alert of a kind about a subject, if there is one. */
export async function findUnresolved(
  q: Queryable,
  kind: AlertKind,
  subjectType: SubjectType,
  subjectId: string,
): Promise<AlertRow | null> {
  const rows = await q.query<AlertRow>(
    `SELECT * FROM alert WHERE kind = $1 AND subject_type = $2 AND subject_id = $3 AND state <> 'resolved'`,
    [kind, subjectType, subjectId],
  );
  return rows[0] ?? null;
}

/** Open → acknowledged (compare-and-set); null when it is not open. */
export async function acknowledge(
  q: Queryable,
  id: bigint,
  userId: bigint,
  note: string,
): Promise<AlertRow | null> {
  const rows = await q.query<AlertRow>(
    `UPDATE alert SET state = 'acknowledged', acknowledged_by = $2, acknowledged_at = now(), acknowledge_note = $3,
       updated_at = now()
     WHERE id = $1 AND state = 'open' RETURNING *`,
    [id, userId, note],
  );
  return rows[0] ?? null;
}

/** Open or acknowledged → resolved by a person (compare-and-set); null when it is resolved already. */
export async function resolve(
  q: Queryable,
  id: bigint,
  userId: bigint,
  note: string,
): Promise<AlertRow | null> {
  const rows = await q.query<AlertRow>(
    `UPDATE alert SET state = 'resolved', resolved_by = $2, resolved_at = now(), resolve_note = $3, updated_at = now()
     WHERE id = $1 AND state <> 'resolved' RETURNING *`,
    [id, userId, note],
  );
  return rows[0] ?? null;
}

export interface AlertFilter {
  kind?: string;
  severity?: AlertSeverity;
  state?: AlertState;
  /** `unresolved`: open or acknowledged. */
  unresolved?: boolean;
  /** First seen at or after / before. */
  from?: Date;
  to?: Date;
  /** The subject's label (contains) or id (exact). */
  subject?: string;
}

const ALERT_WHERE = `
  WHERE ($1::text IS NULL OR kind = $1)
    AND ($2::text IS NULL OR severity = $2)
    AND ($3::text IS NULL OR state = $3)
    AND (NOT $4::boolean OR state <> 'resolved')
    AND ($5::timestamptz IS NULL OR first_seen_at >= $5)
    AND ($6::timestamptz IS NULL OR first_seen_at < $6)
    AND ($7::text IS NULL OR subject_id = $7 OR strpos(lower(subject_label), lower($7)) > 0)`;

function filterParams(f: AlertFilter) {
  return [
    f.kind ?? null,
    f.severity ?? null,
    f.state ?? null,
    f.unresolved ?? false,
    f.from ?? null,
    f.to ?? null,
    f.subject ?? null,
  ];
}

/** A page of alerts: unresolved first, then by severity, newest first; with the count of matches. */
export async function listAlerts(q: Queryable, f: AlertFilter & { limit: number; offset: number }) {
  const [rows, count] = await Promise.all([
    q.query<AlertRow>(
      `SELECT * FROM alert ${ALERT_WHERE}
       ORDER BY (state = 'resolved'), ${rank('severity')} DESC, last_seen_at DESC, id DESC LIMIT $8 OFFSET $9`,
      [...filterParams(f), f.limit, f.offset],
    ),
    q.query<{ n: bigint }>(`SELECT count(*)::bigint AS n FROM alert ${ALERT_WHERE}`, filterParams(f)),
  ]);
  return { rows, total: Number(count[0]!.n) };
}

/** Unresolved alerts by state and severity (the console header's badge). */
export function unresolvedCounts(q: Queryable) {
  return q.query<{ state: AlertState; severity: AlertSeverity; n: bigint }>(
    `SELECT state, severity, count(*)::bigint AS n FROM alert WHERE state <> 'resolved' GROUP BY state, severity`,
  );
}

export function eventsOf(q: Queryable, alertId: bigint) {
  return q.query<AlertEventRow>('SELECT * FROM alert_event WHERE alert_id = $1 ORDER BY id', [alertId]);
}

export function listRoutes(q: Queryable) {
  return q.query<AlertRouteRow>('SELECT * FROM alert_route ORDER BY id');
}

export function enabledRoutes(q: Queryable) {
  return q.query<AlertRouteRow>('SELECT * FROM alert_route WHERE enabled ORDER BY id');
}

export async function findRoute(q: Queryable, id: bigint): Promise<AlertRouteRow | null> {
  const rows = await q.query<AlertRouteRow>('SELECT * FROM alert_route WHERE id = $1', [id]);
  return rows[0] ?? null;
}

export async function insertRoute(q: Queryable, r: RouteInput): Promise<AlertRouteRow> {
  const rows = await q.query<AlertRouteRow>(
    `INSERT INTO alert_route (name, kinds, min_severity, channel, address, locale, enabled)
     VALUES ($1, $2::text[], $3, $4, $5, $6, $7) RETURNING *`,
    [r.name, r.kinds, r.minSeverity, r.channel, r.address, r.locale, r.enabled],
  );
  return rows[0]!;
}

export async function updateRoute(q: Queryable, id: bigint, r: RouteInput): Promise<AlertRouteRow | null> {
  const rows = await q.query<AlertRouteRow>(
    `UPDATE alert_route SET name = $2, kinds = $3::text[], min_severity = $4, channel = $5, address = $6,
       locale = $7, enabled = $8, updated_at = now()
     WHERE id = $1 RETURNING *`,
    [id, r.name, r.kinds, r.minSeverity, r.channel, r.address, r.locale, r.enabled],
  );
  return rows[0] ?? null;
}

export async function deleteRoute(q: Queryable, id: bigint): Promise<AlertRouteRow | null> {
  const rows = await q.query<AlertRouteRow>('DELETE FROM alert_route WHERE id = $1 RETURNING *', [id]);
  return rows[0] ?? null;
}
