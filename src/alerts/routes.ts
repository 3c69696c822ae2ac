import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireOperator, sessionOf } from '../auth/guards.ts';
import { blank } from '../orders/routes.ts';
import { parseBound, TimeBound } from '../stats/time.ts';
import {
  ALERT_KINDS,
  ALERT_SEVERITIES,
  ALERT_STATES,
  type AlertEventRow,
  type AlertRouteRow,
  type AlertRow,
  routeSchema,
  settingsSchema,
} from './types.ts';

const ID = z.string().regex(/^[1-9]\d{0,17}$/, 'must be an id');
const Note = z.string().trim().min(1, 'say what was done').max(500);

function alertView(a: AlertRow) {
  return {
    id: a.id.toString(),
    kind: a.kind,
    severity: a.severity,
    state: a.state,
    subjectType: a.subject_type,
    subjectId: a.subject_id,
    subjectLabel: a.subject_label,
    detail: a.detail,
    count: a.seen_count,
    firstSeenAt: a.first_seen_at.toISOString(),
    lastSeenAt: a.last_seen_at.toISOString(),
    lastNotifiedAt: a.last_notified_at?.toISOString() ?? null,
    acknowledgedBy: a.acknowledged_by?.toString() ?? null,
    acknowledgedAt: a.acknowledged_at?.toISOString() ?? null,
    acknowledgeNote: a.acknowledge_note,
    resolvedBy: a.resolved_by?.toString() ?? null,
    resolvedAt: a.resolved_at?.toISOString() ?? null,
    resolveNote: a.resolve_note,
    autoResolved: a.auto_resolved,
  };
}

function eventView(e: AlertEventRow, users: Map<string, string>) {
  return {
    id: e.id.toString(),
    kind: e.kind,
    by: e.by_user_id === null ? null : (users.get(e.by_user_id.toString()) ?? `#${e.by_user_id}`),
    note: e.note,
    detail: e.detail,
    at: e.created_at.toISOString(),
  };
}

function routeView(r: AlertRouteRow) {
  return {
    id: r.id.toString(),
    name: r.name,
    kinds: r.kinds,
    minSeverity: r.min_severity,
    channel: r.channel,
    address: r.address,
    locale: r.locale,
    enabled: r.enabled,
    updatedAt: r.updated_at.toISOString(),
  };
}

/** The operators' alerts routes: the list and its badge, acknowledge and resolve, routing rules, thresholds. */
export async function alertRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: alerts'];
  const read = { permission: 'alerts.read' } as const;
  const operate = { permission: 'alerts.operate' } as const;
  const configure = { permission: 'alerts.configure' } as const;
  const alerts = services.alerts;
  const Params = z.object({ id: ID });

  api.get(
    '/api/admin/alerts',
    {
      schema: {
        tags,
        summary: 'Alerts: unresolved first, then by severity and last seen',
        querystring: z.object({
          kind: blank(z.enum(ALERT_KINDS)),
          severity: blank(z.enum(ALERT_SEVERITIES)),
          state: blank(z.enum([...ALERT_STATES, 'unresolved'])),
          /** First seen from / before (a date is the local day's start). */
          from: blank(TimeBound),
          to: blank(TimeBound),
          /** The subject's name or number (contains), or its id. */
          subject: blank(z.string().trim().max(64)),
          page: z.coerce.number().int().min(1).default(1),
          pageSize: z.coerce.number().int().min(1).max(100).default(20),
        }),
      },
      config: read,
    },
    async (request) => {
      const q = request.query;
      const { rows, total } = await alerts.list({
        kind: q.kind,
        severity: q.severity,
        state: q.state === 'unresolved' ? undefined : q.state,
        unresolved: q.state === 'unresolved',
        from: q.from ? parseBound(q.from, alerts.timeZone, 'from') : undefined,
        to: q.to ? parseBound(q.to, alerts.timeZone, 'to') : undefined,
        subject: q.subject,
        limit: q.pageSize,
        offset: (q.page - 1) * q.pageSize,
      });
      return { items: rows.map(alertView), total, page: q.page, pageSize: q.pageSize };
    },
  );

  api.get(
    '/api/admin/alerts/summary',
    { schema: { tags, summary: 'Unresolved alerts: open, acknowledged, open and critical' }, config: read },
    () => alerts.summary(),
  );

  api.get(
    '/api/admin/alerts/settings',
    { schema: { tags, summary: 'The detectors’ thresholds and the notification interval' }, config: read },
    () => alerts.settings(),
  );

  api.put(
    '/api/admin/alerts/settings',
    {
      schema: { tags, summary: 'Replace the thresholds and the notification interval', body: settingsSchema },
      config: configure,
    },
    async (request) => {
      const before = await alerts.setSettings(request.body);
      noteAudit(request, { targetType: 'setting', targetId: 'alerts.settings', before, after: request.body });
      return alerts.settings();
    },
  );

  api.get(
    '/api/admin/alerts/:id',
    { schema: { tags, summary: 'An alert with its history', params: Params }, config: read },
    async (request) => {
      const id = BigInt(request.params.id);
      const [alert, events] = await Promise.all([alerts.require(id), alerts.events(id)]);
      const userIds = [...new Set(events.flatMap((e) => (e.by_user_id === null ? [] : [e.by_user_id])))];
      const users = new Map(
        await Promise.all(
          userIds.map(
            async (uid) =>
              [uid.toString(), (await services.consoleUsers.findUser(uid))?.username ?? ''] as const,
          ),
        ),
      );
      return { ...alertView(alert), events: events.map((e) => eventView(e, users)) };
    },
  );

  for (const action of ['acknowledge', 'resolve'] as const) {
    api.post(
      `/api/admin/alerts/:id/${action}`,
      {
        schema: {
          tags,
          summary:
            action === 'acknowledge'
              ? 'Acknowledge an open alert (someone is on it), with a note; reminders stop'
              : 'Resolve an alert, with what was done about it',
          params: Params,
          body: z.object({ note: Note }).strict(),
        },
        config: operate,
      },
      async (request) => {
        const id = BigInt(request.params.id);
        const userId = sessionOf(request).user.id;
        const { before, after } =
          action === 'acknowledge'
            ? await alerts.acknowledge(id, userId, request.body.note)
            : await alerts.resolve(id, userId, request.body.note);
        noteAudit(request, {
          targetType: 'alert',
          targetId: after.id.toString(),
          before: { kind: before.kind, subject: before.subject_label, state: before.state },
          after: { state: after.state, note: request.body.note },
        });
        return alertView(after);
      },
    );
  }

  api.post(
    '/api/admin/orders/:orderNo/alerts/acknowledge',
    {
      schema: {
        tags,
        summary: "Acknowledge the alerts on an order's timeline (and the open alerts about it), with a note",
        params: z.object({ orderNo: z.string().min(1).max(64) }),
        body: z.object({ note: Note }).strict(),
      },
      config: { permission: 'order.operate' },
    },
    async (request) => {
      const { kinds, alerts: acknowledged } = await alerts.acknowledgeOrder(
        request.params.orderNo,
        sessionOf(request).user.id,
        request.body.note,
      );
      noteAudit(request, {
        targetType: 'order',
        targetId: request.params.orderNo,
        after: { acknowledged: kinds, note: request.body.note },
      });
      return { orderNo: request.params.orderNo, acknowledged: kinds, alerts: acknowledged.map(String) };
    },
  );

  api.get(
    '/api/admin/alert-routes',
    { schema: { tags, summary: 'Alert routing rules' }, config: read },
    async () => ({ items: (await alerts.routes()).map(routeView) }),
  );

  api.post(
    '/api/admin/alert-routes',
    {
      schema: {
        tags,
        summary: 'Add a routing rule: kinds and minimum severity → a recipient',
        body: routeSchema,
      },
      config: configure,
    },
    async (request) => {
      const route = await alerts.createRoute(request.body);
      noteAudit(request, {
        targetType: 'alert_route',
        targetId: route.id.toString(),
        after: routeView(route),
      });
      return routeView(route);
    },
  );

  api.put(
    '/api/admin/alert-routes/:id',
    {
      schema: { tags, summary: 'Change a routing rule', params: Params, body: routeSchema },
      config: configure,
    },
    async (request) => {
      const { before, after } = await alerts.updateRoute(BigInt(request.params.id), request.body);
      noteAudit(request, {
        targetType: 'alert_route',
        targetId: after.id.toString(),
        before: routeView(before),
        after: routeView(after),
      });
      return routeView(after);
    },
  );

  api.delete(
    '/api/admin/alert-routes/:id',
    { schema: { tags, summary: 'Remove a routing rule', params: Params }, config: configure },
    async (request) => {
      const gone = await alerts.deleteRoute(BigInt(request.params.id));
      noteAudit(request, {
        targetType: 'alert_route',
        targetId: gone.id.toString(),
        before: routeView(gone),
      });
      return { id: gone.id.toString() };
    },
  );
}
