import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireOperator } from '../auth/guards.ts';
import { exportSettingsSchema } from './settings.ts';
import { EXPORT_FORMATS } from './stream.ts';

/** The `format` query parameter every export route takes. */
export const exportFormat = { format: z.enum(EXPORT_FORMATS).default('csv') };

/** The operators' export settings (系统设置): the row limit of every export. */
export async function exportSettingsRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: settings'];
  const write = { permission: 'settings.write' } as const;

  api.get(
    '/api/admin/settings/exports',
    { schema: { tags, summary: 'The most rows one export may hold' }, config: write },
    async () => services.exports.settings(),
  );

  api.put(
    '/api/admin/settings/exports',
    {
      schema: {
        tags,
        summary: 'Change the most rows one export may hold (1 000 – 1 000 000)',
        body: exportSettingsSchema,
      },
      config: write,
    },
    async (request) => {
      const before = await services.exports.settings();
      const after = await services.exports.saveSettings(request.body);
      noteAudit(request, { targetType: 'setting', targetId: 'exports', before, after });
      return after;
    },
  );
}
