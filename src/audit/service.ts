import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/index.ts';
import * as queries from './queries.ts';

/** What a route adds to the automatic audit row of its mutation. */
export interface AuditNote {
  targetType?: string;
  targetId?: string;
  before?: unknown;
  after?: unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    audit?: AuditNote;
  }
}

/** Routes call this to say what they changed; the audit hook writes it with the actor and outcome. */
export function noteAudit(request: FastifyRequest, note: AuditNote): void {
  request.audit = { ...request.audit, ...note };
}

const SECRET_KEY = /pass(word)?|secret|credential|private|token|recovery/i;

/** A copy of a request body fit for the audit log: secrets replaced, size bounded. */
export function redactForAudit(value: unknown, depth = 0): unknown {
  if (depth > 6) return '…';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redactForAudit(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '***' : redactForAudit(v, depth + 1)]),
    );
  }
  if (typeof value === 'string' && value.length > 500) return `${value.slice(0, 500)}…`;
  return value;
}

export class AuditService {
  constructor(private readonly db: Db) {}

  record(entry: queries.AuditEntry): Promise<void> {
    // Routes' own notes are kept as written; request bodies are redacted by the hook that records them.
    return queries.insertAudit(this.db, entry);
  }

  async list(filter: queries.AuditFilter) {
    const { rows, total } = await queries.listAudit(this.db, filter);
    return {
      total,
      items: rows.map((r) => ({
        id: String(r.id),
        createdAt: r.created_at.toISOString(),
        actorArea: r.actor_area,
        actorId: r.actor_id === null ? null : String(r.actor_id),
        actorName: r.actor_name,
        ip: r.ip,
        action: r.action,
        targetType: r.target_type,
        targetId: r.target_id,
        status: r.status,
        before: r.before,
        after: r.after,
      })),
    };
  }
}
