import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireOperator, sessionOf } from '../auth/guards.ts';
import { ALL_PERMISSIONS, type Permission } from '../auth/permissions.ts';
import { AppError } from '../errors.ts';
import { auditTargetOf, RECYCLE_TYPES, type RecycleItem, type RecycleType } from './service.ts';
import { recycleSettingsSchema } from './settings.ts';

const Id = z.string().regex(/^\d{1,18}$/);
const ItemParams = z.object({ type: z.enum(RECYCLE_TYPES), id: Id });

/**
 * The recycle bin (OP-12): the deletes of merchants, apps, products, channels, channel accounts,
 * collect codes and logins (each under the permission that edits the thing), the bin's list,
 * restore, purge (super admins only) and the retention setting.
 */
export async function recycleRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: recycle bin'];

  const actorOf = (request: FastifyRequest) => {
    const { user } = sessionOf(request);
    return { userId: user.id, username: user.username, ip: request.ip };
  };
  const deleted = (request: FastifyRequest, item: RecycleItem) => {
    noteAudit(request, {
      targetType: auditTargetOf(item.type, item.area),
      targetId: item.key,
      before: { ...item, deletedAt: null, deletedBy: null },
      after: item,
    });
    return item;
  };
  const deleteRoute = (
    url: string,
    type: RecycleType,
    permission: Permission,
    params: z.ZodObject<Record<string, z.ZodString>>,
    keyOf: (p: Record<string, string>) => string,
    scope?: (p: Record<string, string>) => Promise<{ area: 'operator' | 'merchant'; merchantId?: bigint }>,
  ) =>
    api.delete(
      url,
      {
        schema: { tags, summary: `Move a ${type.replace('_', ' ')} to the recycle bin`, params },
        config: { permission },
      },
      async (request) => {
        const p = request.params as Record<string, string>;
        return deleted(
          request,
          await services.recycle.remove(type, keyOf(p), actorOf(request), scope ? await scope(p) : undefined),
        );
      },
    );

  deleteRoute(
    '/api/admin/merchants/:mchNo',
    'merchant',
    'merchant.write',
    z.object({ mchNo: z.string().min(1).max(32) }),
    (p) => p.mchNo!,
  );
  deleteRoute(
    '/api/admin/apps/:appId',
    'app',
    'merchant.write',
    z.object({ appId: z.string().min(1).max(64) }),
    (p) => p.appId!,
  );
  deleteRoute(
    '/api/admin/products/:code',
    'product',
    'catalog.write',
    z.object({ code: z.string().min(1).max(32) }),
    (p) => p.code!,
  );
  deleteRoute(
    '/api/admin/channels/:code',
    'channel',
    'catalog.write',
    z.object({ code: z.string().min(1).max(32) }),
    (p) => p.code!,
  );
  deleteRoute(
    '/api/admin/channel-accounts/:id',
    'channel_account',
    'catalog.write',
    z.object({ id: Id }),
    (p) => p.id!,
  );
  deleteRoute(
    '/api/admin/collect-codes/:id',
    'collect_code',
    'merchant.write',
    z.object({ id: Id }),
    (p) => p.id!,
  );
  deleteRoute(
    '/api/admin/operators/:id',
    'user',
    'operator.write',
    z.object({ id: Id }),
    (p) => p.id!,
    async () => ({ area: 'operator' }),
  );
  deleteRoute(
    '/api/admin/merchants/:mchNo/users/:userId',
    'user',
    'merchant.write',
    z.object({ mchNo: z.string().min(1).max(32), userId: Id }),
    (p) => p.userId!,
    async (p) => ({ area: 'merchant', merchantId: (await services.merchants.requireMerchant(p.mchNo!)).id }),
  );

  api.get(
    '/api/admin/recycle-bin',
    {
      schema: {
        tags,
        summary: 'What is in the recycle bin, newest deletion first; `type` narrows it to one kind',
        querystring: z.object({
          type: z.enum(RECYCLE_TYPES).optional(),
          limit: z.coerce.number().int().min(1).max(100).default(20),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
      config: { permission: 'recycle.read' },
    },
    async (request) => services.recycle.list(request.query),
  );

  api.post(
    '/api/admin/recycle-bin/:type/:id/restore',
    {
      schema: { tags, summary: 'Put a row of the recycle bin back exactly as it was', params: ItemParams },
      config: { permission: 'recycle.restore' },
    },
    async (request) => {
      const item = await services.recycle.restore(request.params.type, BigInt(request.params.id));
      noteAudit(request, {
        targetType: auditTargetOf(item.type, item.area),
        targetId: item.key,
        before: item,
        after: { ...item, deletedAt: null, deletedBy: null },
      });
      return item;
    },
  );

  api.delete(
    '/api/admin/recycle-bin/:type/:id',
    {
      schema: {
        tags,
        summary:
          'Purge a row of the recycle bin now (super admins only); refused while money or other records refer to it',
        params: ItemParams,
      },
      config: { permission: 'recycle.restore' },
    },
    async (request) => {
      if (!sessionOf(request).user.permissions.includes(ALL_PERMISSIONS)) {
        throw new AppError('FORBIDDEN', 'only a super admin may purge', { permission: 'recycle.purge' });
      }
      const item = await services.recycle.purge(request.params.type, BigInt(request.params.id));
      noteAudit(request, {
        targetType: auditTargetOf(item.type, item.area),
        targetId: item.key,
        before: item,
        after: null,
      });
      return { ok: true };
    },
  );

  api.get(
    '/api/admin/settings/recycle-bin',
    {
      schema: { tags, summary: 'How many days a deleted row stays in the recycle bin' },
      config: { permission: 'settings.write' },
    },
    async () => services.recycle.settings(),
  );

  api.put(
    '/api/admin/settings/recycle-bin',
    {
      schema: {
        tags,
        summary: 'Change how many days a deleted row stays in the recycle bin (1–3650)',
        body: recycleSettingsSchema,
      },
      config: { permission: 'settings.write' },
    },
    async (request) => {
      const before = await services.recycle.settings();
      const after = await services.recycle.saveSettings(request.body);
      noteAudit(request, { targetType: 'setting', targetId: 'recycle', before, after });
      return after;
    },
  );
}
