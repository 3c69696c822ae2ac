import type { FastifyRequest } from 'fastify';
import type { Db, Queryable } from '../db/index.ts';
import { actionKeyOfRow, auditActionOf, routesOfAction } from './actions.ts';
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

/**
 * Field names whose values are never written to the audit log: passwords, secrets, keys, tokens,
 * TOTP and recovery codes, a customer's pay code. Only the fact that one was given is kept.
 */
const SECRET_KEY = /pass(word)?|secret|credential|private|token|recovery|authcode|apikey|signkey|^key$/i;

/** What a secret field's value becomes in the audit log. */
export const REDACTED = '***';

/** A copy of a request body or a route's note fit for the audit log: secrets replaced, size bounded. */
export function redactForAudit(value: unknown, depth = 0): unknown {
  if (depth > 6) return '…';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redactForAudit(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEY.test(k) && v !== null && v !== undefined && typeof v !== 'boolean'
          ? REDACTED
          : redactForAudit(v, depth + 1),
      ]),
    );
  }
  if (typeof value === 'string' && value.length > 500) return `${value.slice(0, 500)}…`;
  return value;
}

/** A row to record: `actionKey` may be left out when `action` is already a key ('auth.login'). */
export type AuditRecord = Omit<queries.AuditEntry, 'actionKey'> & { actionKey?: string };

export interface AuditListFilter extends Omit<queries.AuditFilter, 'actionKey'> {
  actionKey?: string;
}

/** Fields that name the object an audit row is about, in the order they are looked for. */
const NAME_FIELDS = ['username', 'name', 'mchName', 'subject', 'code'] as const;

/** A readable name for the object (a login's username, a merchant's name), from what the row kept. */
export function targetNameOf(targetId: string, before: unknown, after: unknown): string {
  for (const doc of [after, before]) {
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) continue;
    for (const field of NAME_FIELDS) {
      const value = (doc as Record<string, unknown>)[field];
      if (typeof value === 'string' && value && value !== targetId) return value;
    }
  }
  return '';
}

export class AuditService {
  constructor(
    private readonly db: Db,
    /** Where the audit log screen reads (a replica when configured, src/db/read-replica.ts). */
    private readonly reads: Queryable = db,
  ) {}

  /** Writes one row; before/after are redacted here, whoever noted them, so no secret is ever stored. */
  record(entry: AuditRecord): Promise<void> {
    return queries.insertAudit(this.db, {
      ...entry,
      actionKey: entry.actionKey || actionKeyOfRow('', entry.action),
      before: entry.before === undefined ? undefined : redactForAudit(entry.before),
      after: entry.after === undefined ? undefined : redactForAudit(entry.after),
    });
  }

  async list(filter: AuditListFilter) {
    const { actionKey, ...rest } = filter;
    const { rows, total } = await queries.listAudit(this.reads, {
      ...rest,
      actionKey: actionKey ? { key: actionKey, legacyRoutes: routesOfAction(actionKey) } : undefined,
    });
    return {
      total,
      items: rows.map((r) => ({
        id: String(r.id),
        createdAt: r.created_at.toISOString(),
        actorArea: r.actor_area,
        actorId: r.actor_id === null ? null : String(r.actor_id),
        actorName: r.actor_name,
        ip: r.ip,
        /** The route (a technical detail), or the key for rows no route wrote. */
        action: r.action,
        /** What happened, as a stable key the consoles translate. */
        actionKey: actionKeyOfRow(r.action_key, r.action),
        targetType: r.target_type || auditActionOf(r.action)?.target || '',
        targetId: r.target_id,
        targetName:
          targetNameOf(r.target_id, r.before, r.after) || (r.target_type === 'user' ? r.actor_name : ''),
        status: r.status,
        succeeded: r.status < 400,
        before: r.before,
        after: r.after,
      })),
    };
  }
}
