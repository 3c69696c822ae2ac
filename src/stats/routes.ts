import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { requireOperator } from '../auth/guards.ts';
import { blank, windowOf } from '../orders/routes.ts';
import { TimeBound } from './time.ts';

/**
 * `includeTest=1` (or `true`): count test orders too, the consoles' "show test data" switch.
 * Without it, figures are real money only.
 */
export const IncludeTest = blank(z.enum(['0', '1', 'false', 'true'])).transform((v) =>
  v === undefined ? undefined : v === '1' || v === 'true',
);

const LocalDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date (YYYY-MM-DD)');

/** A dashboard trend's local days, `to` included. */
export const TrendRange = { from: blank(LocalDate), to: blank(LocalDate) };

/** Operator statistics (OP-8): per merchant, product or channel account; test orders only when asked. */
export async function statsRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));

  api.get(
    '/api/admin/dashboard',
    {
      schema: {
        tags: ['operator: statistics'],
        summary:
          "Today's live totals and top merchants, channel accounts and agents, each channel account's success rate over the last 15 and 60 minutes, and the daily trend from `from` to `to` (local dates, default the last 90 days)",
        querystring: z.object({ includeTest: IncludeTest, ...TrendRange }),
      },
      config: { permission: 'stats.read' },
    },
    async (request) => {
      const replica = services.reads.status();
      const dashboard = await services.stats.operatorDashboard(request.query);
      // Operators see how old the figures may be; only when there is a replica to be behind.
      if (!replica.configured) return dashboard;
      const { target, reason, lagMs, maxLagMs } = replica;
      return { ...dashboard, readReplica: { target, reason, lagMs, maxLagMs } };
    },
  );

  api.get(
    '/api/admin/stats',
    {
      schema: {
        tags: ['operator: statistics'],
        summary:
          'Order figures for a window (default: today in the platform time zone), by the hour up to two days, else by the day; test orders only with includeTest=1',
        querystring: z.object({
          from: blank(TimeBound),
          to: blank(TimeBound),
          groupBy: z.enum(['merchant', 'product', 'channel']).default('merchant'),
          includeTest: IncludeTest,
        }),
      },
      config: { permission: 'stats.read' },
    },
    async (request) => {
      const { from, to } = windowOf(request.query, services.stats.timeZone);
      const { groupBy, includeTest } = request.query;
      return services.stats.platform({ from, to, groupBy, includeTest });
    },
  );
}
