import type { Queryable } from '../db/index.ts';

export interface AuditRow {
  id: bigint;
  created_at: Date;
  actor_area: string;
  actor_id: bigint | null;
  actor_name: string;
  ip: string;
  action: string;
  action_key: string;
  target_type: string;
  target_id: string;
  status: number;
  before: unknown;
  after: unknown;
}

export interface AuditEntry {
  actorArea: string;
  actorId: bigint | null;
  actorName: string;
  ip: string;
  /** The route, `METHOD /route/:param` (or the action key for rows no route wrote). */
  action: string;
  /** The stable business key of the action (src/audit/actions.ts). */
  actionKey: string;
  targetType: string;
  targetId: string;
  status: number;
  before: unknown;
  after: unknown;
}

export async function insertAudit(q: Queryable, e: AuditEntry): Promise<void> {
  await q.query(
    `INSERT INTO audit_log (actor_area, actor_id, actor_name, ip, action, action_key, target_type, target_id, status, before, after)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      e.actorArea,
      e.actorId,
      e.actorName,
      e.ip,
      e.action,
      e.actionKey,
      e.targetType,
      e.targetId,
      e.status,
      e.before === undefined ? null : JSON.stringify(e.before),
      e.after === undefined ? null : JSON.stringify(e.after),
    ],
  );
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** One action key; `legacyRoutes` are the routes older rows (with no key stored) carry for it. */
  actionKey?: { key: string; legacyRoutes: string[] };
  targetType?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
  /** Succeeded (status below 400) or failed. */
  outcome?: 'succeeded' | 'failed';

  limit: number;
  offset: number;
}

export async function listAudit(q: Queryable, f: AuditFilter): Promise<{ rows: AuditRow[]; total: number }> {
  const where = `($1::text IS NULL OR a.actor_name ILIKE '%' || $1 || '%')
    AND ($2::text IS NULL OR a.action ILIKE '%' || $2 || '%')
    AND ($3::text IS NULL OR a.target_type = $3)
    AND ($4::text IS NULL OR a.target_id = $4)
    AND ($5::timestamptz IS NULL OR a.created_at >= $5)
    AND ($6::timestamptz IS NULL OR a.created_at < $6)
    AND ($7::text IS NULL OR a.action_key = $7 OR (a.action_key = '' AND a.action = ANY($8::text[])))
    AND ($9::text IS NULL OR (a.status < 400) = ($9 = 'succeeded'))`;
  const params = [
    f.actor ?? null,
    f.action ?? null,
    f.targetType ?? null,
    f.targetId ?? null,
    f.from ?? null,
    f.to ?? null,
    f.actionKey?.key ?? null,
    f.actionKey?.legacyRoutes ?? [],
    f.outcome ?? null,
  ];
  const [rows, count] = await Promise.all([
    q.query<AuditRow>(`SELECT * FROM audit_log a WHERE ${where} ORDER BY a.id DESC LIMIT $10 OFFSET $11`, [
      ...params,
      f.limit,
      f.offset,
    ]),
    q.query<{ n: bigint }>(`SELECT count(*)::bigint AS n FROM audit_log a WHERE ${where}`, params),
  ]);
  return { rows, total: Number(count[0]!.n) };
}
