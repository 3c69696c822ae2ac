import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireOperator } from '../auth/guards.ts';
import { AppError } from '../errors.ts';
import { WINDOW_MINUTES } from './breaker.ts';

const AccountIdParams = z.object({ id: z.string().regex(/^\d{1,18}$/) });
const read = { permission: 'catalog.read' } as const;
const write = { permission: 'catalog.write' } as const;
const percent = z.number().int().min(0).max(100);

const SettingsBody = z.object({
  failureThreshold: z.number().int().min(1).max(1000).optional(),
  openBelowPercent: percent.optional(),
  minVolume: z.number().int().min(1).max(100_000).optional(),
  windowMinutes: z
    .union(WINDOW_MINUTES.map((m) => z.literal(m)) as [z.ZodLiteral<5>, z.ZodLiteral<15>, z.ZodLiteral<60>])
    .optional(),
  openSeconds: z.number().int().min(5).max(86_400).optional(),
  halfOpenProbes: z.number().int().min(1).max(100).optional(),
  degradedBelowPercent: percent.optional(),
  degradedWeightPercent: z.number().int().min(1).max(100).optional(),
});

/** Operator API for channel health: the live badges, an account's circuit and its breaker settings (OP-5). */
export async function healthRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: channel health'];

  api.get(
    '/api/admin/channel-health',
    {
      schema: {
        tags,
        summary:
          "Every channel account's health: status (healthy, degraded, open, half_open), circuit, create and payment success rates over 5, 15 and 60 minutes, latency, settings",
      },
      config: read,
    },
    async () => {
      const accounts = await services.catalog.accountSummaries();
      const health = await services.health.overview(accounts.map((a) => a.id));
      return accounts.map((a, i) => ({
        ...health[i]!,
        name: a.name,
        channelCode: a.channel_code,
        channelName: a.channel_name,
        enabled: a.enabled && a.channel_enabled,
      }));
    },
  );

  api.get(
    '/api/admin/channel-health/transitions',
    {
      schema: {
        tags,
        summary: 'Circuit changes from a moment on, oldest first (at most 500)',
        querystring: z.object({ since: z.iso.datetime({ offset: true }) }),
      },
      config: read,
    },
    async (request) => services.health.transitionsSince(new Date(request.query.since)),
  );

  api.get(
    '/api/admin/channel-accounts/:id/health',
    {
      schema: {
        tags,
        summary: "One channel account's health, its breaker settings and its latest circuit changes",
        params: AccountIdParams,
      },
      config: read,
    },
    async (request) => {
      const id = await requireAccount(services, request.params.id);
      const [health] = await services.health.overview([id]);
      return { ...health!, transitions: await services.health.transitionsOf(id) };
    },
  );

  api.put(
    '/api/admin/channel-accounts/:id/breaker',
    {
      schema: {
        tags,
        summary:
          "Set a channel account's circuit breaker thresholds (each part left out keeps its value; the rest of an account without its own keep the defaults)",
        params: AccountIdParams,
        body: SettingsBody,
      },
      config: write,
    },
    async (request) => {
      const id = await requireAccount(services, request.params.id);
      const before = await services.health.settingsOf(id);
      const saved = await services.health.setSettings(id, request.body);
      noteAudit(request, {
        targetType: 'channel_account',
        targetId: id.toString(),
        before: before.custom ? before.settings : null,
        after: saved.settings,
      });
      return saved;
    },
  );

  api.delete(
    '/api/admin/channel-accounts/:id/breaker',
    {
      schema: {
        tags,
        summary: 'Give a channel account the default circuit breaker thresholds again',
        params: AccountIdParams,
      },
      config: write,
    },
    async (request) => {
      const id = await requireAccount(services, request.params.id);
      const before = await services.health.settingsOf(id);
      const saved = await services.health.setSettings(id, null);
      noteAudit(request, {
        targetType: 'channel_account',
        targetId: id.toString(),
        before: before.custom ? before.settings : null,
        after: saved.settings,
      });
      return saved;
    },
  );
}

async function requireAccount(services: Services, id: string): Promise<bigint> {
  const accountId = BigInt(id);
  if (!(await services.catalog.channelAccountNames([accountId])).has(accountId))
    throw new AppError('NOT_FOUND', `channel account ${id} not found`);
  return accountId;
}
