import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { requireMerchantUser } from '../auth/guards.ts';
import { portalScope } from '../orders/portal-routes.ts';
import { blank } from '../orders/routes.ts';
import { MARKETPLACE_KINDS, MARKETPLACE_TREND_DAYS, type MarketplaceKind } from './marketplace.ts';
import { IncludeTest } from './routes.ts';

/** `kinds=consumption,escrow`: the series asked for, each one of MARKETPLACE_KINDS; none: all. */
const Kinds = blank(z.string().max(200)).transform((text, ctx) => {
  if (text === undefined) return undefined;
  const kinds = text
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const unknown = kinds.filter((k) => !(MARKETPLACE_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    ctx.addIssue({ code: 'custom', message: `must be some of ${MARKETPLACE_KINDS.join(', ')}` });
    return z.NEVER;
  }
  return kinds as MarketplaceKind[];
});

/**
 * The merchant dashboard's marketplace figures (seed 001 §1.2.1), the store manager's: they are the
 * whole store's members and orders, which a cashier's dashboard (its own orders) does not show.
 */
export async function marketplaceStatsRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMerchantUser(services));
  const tags = ['merchant portal'];
  const manager = { merchantRole: 'manager' } as const;

  api.get(
    '/api/merchant/stats/marketplace/today',
    {
      schema: {
        tags,
        summary:
          "Today's marketplace figures (local day): consumption, escrow and recharge payments with their total in-flow, members' withdrawals, refunds of marketplace orders and transfers between members; count, amount, the merchant's commission and the platform's fee in fen",
        querystring: z.object({ includeTest: IncludeTest }),
      },
      config: manager,
    },
    async (request) =>
      services.stats.marketplace.today(portalScope(request).merchantId, {
        includeTest: request.query.includeTest,
      }),
  );

  api.get(
    '/api/merchant/stats/marketplace/trend',
    {
      schema: {
        tags,
        summary: `The marketplace figures per local day of the last \`days\` (default and at most ${MARKETPLACE_TREND_DAYS}) for the \`kinds\` asked for (comma separated: ${MARKETPLACE_KINDS.join(', ')}; default all)`,
        querystring: z.object({
          days: blank(z.coerce.number().int().min(1).max(MARKETPLACE_TREND_DAYS)),
          kinds: Kinds,
          includeTest: IncludeTest,
        }),
      },
      config: manager,
    },
    async (request) => services.stats.marketplace.trend(portalScope(request).merchantId, request.query),
  );
}
