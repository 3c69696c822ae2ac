import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireOperator } from '../auth/guards.ts';
import { historySettingsSchema } from './settings.ts';

/** The history's retention setting and its months (operator console, 系统设置). */
export async function historyRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: history'];

  api.get(
    '/api/admin/settings/history',
    {
      schema: {
        tags,
        summary: 'How many months of order events, notifies and audit rows the database keeps (0: all)',
      },
      config: { permission: 'settings.write' },
    },
    async () => services.history.settings(),
  );

  api.put(
    '/api/admin/settings/history',
    {
      schema: {
        tags,
        summary:
          'Change how many months of history the database keeps: 0 (all) or 12–120; older months are archived to files',
        body: historySettingsSchema,
      },
      config: { permission: 'settings.write' },
    },
    async (request) => {
      const before = await services.history.settings();
      const after = await services.history.saveSettings(request.body);
      noteAudit(request, { targetType: 'setting', targetId: 'history', before, after });
      return after;
    },
  );

  api.get(
    '/api/admin/history/months',
    {
      schema: {
        tags,
        summary: 'The month partitions of the history tables, and which the retention archives next',
      },
      config: { permission: 'settings.write' },
    },
    async () => ({
      items: (await services.history.months()).map((m) => ({
        table: m.table,
        month: m.month,
        restoredAt: m.restoredAt?.toISOString() ?? null,
        due: m.due,
      })),
    }),
  );
}
