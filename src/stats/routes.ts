import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { requireOperator } from '../auth/guards.ts';
import { blank, windowOf } from '../orders/routes.ts';
import { TimeBound } from './time.ts';

/** Operator statistics (OP-8): per merchant, product or channel account; test orders left out. */
export async function statsRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));

  api.get(
    '/api/admin/stats',
    {
      schema: {
        tags: ['operator: statistics'],
        summary:
          'Order figures for a window (default: today in the platform time zone), by the hour up to two days, else by the day',
        querystring: z.object({
          from: blank(TimeBound),
          to: blank(TimeBound),
          groupBy: z.enum(['merchant', 'product', 'channel']).default('merchant'),
        }),
      },
      config: { permission: 'stats.read' },
    },
    async (request) => {
      const { from, to } = windowOf(request.query, services.stats.timeZone);
      return services.stats.platform({ from, to, groupBy: request.query.groupBy });
    },
  );
}
