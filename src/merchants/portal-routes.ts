import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMerchantUser, sessionOf } from '../auth/guards.ts';
import { AppError } from '../errors.ts';
import { toJsonAmount } from '../money/money.ts';
import { attemptView } from '../notify/attempt-views.ts';
import { portalScope } from '../orders/portal-routes.ts';
import { IncludeTest, TrendRange } from '../stats/routes.ts';
import { ACCEPTED_SIGN_TYPES } from './queries.ts';
import { createMerchantUser, ipList, merchantUserView, notifyUrlSchema, RotateSecretBody } from './routes.ts';
import { DEFAULT_SECRET_GRACE_SECONDS } from './service.ts';

const AppIdParams = z.object({ appId: z.string().min(1).max(64) });
const OrderNoParams = z.object({ orderNo: z.string().min(1).max(64) });
const UserIdParams = z.object({ id: z.string().regex(/^\d{1,18}$/) });
const manager = { merchantRole: 'manager' } as const;

/**
 * The merchant portal (MP-1, MP-2, MP-5): dashboard and products for every merchant user; apps
 * (keys, notify URL) and cashier accounts for the store manager only. Every id a request names is
 * checked against the session's merchant: another merchant's app or user is NOT_FOUND.
 */
export async function merchantPortalRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMerchantUser(services));
  const tags = ['merchant portal'];
  const merchantIdOf = (request: FastifyRequest) => portalScope(request).merchantId;

  /** A cashier of the session's merchant, or NOT_FOUND (a manager or another merchant's user included). */
  const requireCashier = async (request: FastifyRequest, id: string) => {
    const row = await services.consoleUsers.userRow(BigInt(id));
    const ours =
      row?.area === 'merchant' &&
      row.merchant_role === 'cashier' &&
      row.merchant_id === merchantIdOf(request);
    if (!row || !ours) throw new AppError('NOT_FOUND', `cashier ${id} not found`);
    return row;
  };

  api.get(
    '/api/merchant/dashboard',
    {
      schema: {
        tags,
        summary:
          "Today's figures and today by hour, and paid, refunded and withdrawn amounts per day from `from` to `to` (local dates, default the last 90 days; a cashier's own orders only, no withdrawals); test orders only with includeTest=1",
        querystring: z.object({ includeTest: IncludeTest, ...TrendRange }),
      },
    },
    async (request) => services.stats.merchantDashboard(portalScope(request), request.query),
  );

  api.get(
    '/api/merchant/products',
    { schema: { tags, summary: 'The products open to this merchant, with its rates and amount limits' } },
    async (request) => {
      const rates = await services.catalog.listMerchantRates(merchantIdOf(request));
      const products = await Promise.all(
        rates.filter((r) => r.enabled).map((r) => services.catalog.productByCode(r.product_code)),
      );
      const bound = await Promise.all(
        products.map((p) => (p ? services.catalog.hasChannel(p.id) : Promise.resolve(false))),
      );
      return rates
        .filter((r) => r.enabled)
        .flatMap((r, i) => {
          const product = products[i];
          if (!product?.enabled) return [];
          return [
            {
              productCode: r.product_code,
              productName: r.product_name,
              ratePpm: r.rate_ppm,
              fixedFee: toJsonAmount(r.fixed_fee),
              minimumFee: toJsonAmount(r.minimum_fee),
              minAmount: toJsonAmount(product.min_amount),
              maxAmount: toJsonAmount(product.max_amount),
              currency: product.currency,
              /** False while no channel is bound: orders for it are refused (NO_CHANNEL_AVAILABLE, reason unbound). */
              channelBound: bound[i]!,
            },
          ];
        });
    },
  );

  // ---------- apps (store manager) ----------

  api.get(
    '/api/merchant/apps',
    { schema: { tags, summary: "The merchant's apps" }, config: manager },
    async (request) => services.merchants.listAppsOf(merchantIdOf(request)),
  );

  api.patch(
    '/api/merchant/apps/:appId',
    {
      schema: {
        tags,
        summary: "Set an app's notify URL, IP allowlist or the request sign types it accepts",
        params: AppIdParams,
        body: z
          .object({
            notifyUrl: notifyUrlSchema.optional(),
            ipAllowlist: ipList.optional(),
            acceptedSignType: z.enum(ACCEPTED_SIGN_TYPES).optional(),
          })
          .strict(),
      },
      config: manager,
    },
    async (request) => {
      const before = await services.merchants.requireAppOf(merchantIdOf(request), request.params.appId);
      const after = await services.merchants.updateApp(before.appId, request.body);
      noteAudit(request, {
        targetType: 'app',
        targetId: after.appId,
        before: {
          notifyUrl: before.notifyUrl,
          ipAllowlist: before.ipAllowlist,
          acceptedSignType: before.acceptedSignType,
        },
        after: {
          notifyUrl: after.notifyUrl,
          ipAllowlist: after.ipAllowlist,
          acceptedSignType: after.acceptedSignType,
        },
      });
      return after;
    },
  );

  api.post(
    '/api/merchant/apps/:appId/rotate-secret',
    {
      schema: {
        tags,
        summary:
          'Issue a new HMAC secret (shown once); the old one still signs requests for graceSeconds (0: stops at once), notifies use the new one',
        params: AppIdParams,
        body: RotateSecretBody,
      },
      config: manager,
    },
    async (request) => {
      const app = await services.merchants.requireAppOf(merchantIdOf(request), request.params.appId);
      const graceSeconds = request.body?.graceSeconds ?? DEFAULT_SECRET_GRACE_SECONDS;
      const rotated = await services.merchants.rotateSecret(app.appId, graceSeconds);
      noteAudit(request, {
        targetType: 'app',
        targetId: app.appId,
        after: { secretRotated: true, oldKeyExpiresAt: rotated.oldKeyExpiresAt },
      });
      return { secret: rotated.secret, oldKeyExpiresAt: rotated.oldKeyExpiresAt };
    },
  );

  api.get(
    '/api/merchant/apps/:appId/platform-public-key',
    {
      schema: {
        tags,
        summary: "The platform's RSA public key for this app (verifies RSA-signed notifies)",
        params: AppIdParams,
      },
      config: manager,
    },
    async (request, reply) => {
      const app = await services.merchants.requireAppOf(merchantIdOf(request), request.params.appId);
      return reply
        .type('application/x-pem-file')
        .header('content-disposition', `attachment; filename="qingyun-${app.appId}.pem"`)
        .send(app.platformPublicKey);
    },
  );

  // ---------- notifies of an order (store manager) ----------

  api.get(
    '/api/merchant/orders/:orderNo/notifies',
    {
      schema: {
        tags,
        summary:
          "The notifies sent to the merchant's server for one of its orders: each attempt with its time, HTTP status or failure, and the start of the answer",
        params: OrderNoParams,
      },
      config: manager,
    },
    async (request) => {
      const order = await services.orders.getScoped(portalScope(request), request.params.orderNo);
      const tasks = await services.notify.historyOfOrder(order.id);
      return {
        orderNo: order.order_no,
        tasks: tasks.map((task) => ({
          eventType: task.eventType,
          url: task.url,
          state: task.state,
          attempts: task.attempts,
          nextAttemptAt: task.nextAttemptAt,
        })),
        attempts: tasks
          .flatMap((task) => task.history.map((attempt) => attemptView(task, attempt)))
          .sort((a, b) => b.at.localeCompare(a.at) || b.attempt - a.attempt),
      };
    },
  );

  api.post(
    '/api/merchant/orders/:orderNo/notifies/resend',
    {
      schema: {
        tags,
        summary: "Send the order's notifies to the merchant's server again now",
        params: OrderNoParams,
      },
      config: manager,
    },
    async (request) => {
      const order = await services.orders.getScoped(portalScope(request), request.params.orderNo);
      const queued = await services.orders.resendNotify(order.order_no);
      noteAudit(request, { targetType: 'order', targetId: order.order_no, after: { notifyResent: queued } });
      return { queued };
    },
  );

  // ---------- cashiers (store manager) ----------

  api.get(
    '/api/merchant/cashiers',
    {
      schema: {
        tags,
        summary: "The store's cashier accounts",
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(200).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
      config: manager,
    },
    async (request) => {
      const { rows, total } = await services.consoleUsers.listUsers({
        area: 'merchant',
        merchantId: merchantIdOf(request),
        merchantRole: 'cashier',
        ...request.query,
      });
      return { items: rows.map(merchantUserView), total };
    },
  );

  api.post(
    '/api/merchant/cashiers',
    {
      schema: {
        tags,
        summary: 'Create a cashier account (the password is changed at its first login)',
        body: z.object({
          username: z.string().min(3).max(64),
          password: z.string().min(1).max(256),
          displayName: z.string().max(64).optional(),
        }),
      },
      config: manager,
    },
    async (request, reply) => {
      const cashier = await createMerchantUser(
        services,
        { id: merchantIdOf(request) },
        { ...request.body, merchantRole: 'cashier' },
        sessionOf(request).user.id,
      );
      noteAudit(request, { targetType: 'merchant_user', targetId: cashier.id, after: cashier });
      return reply.code(201).send(cashier);
    },
  );

  api.patch(
    '/api/merchant/cashiers/:id',
    {
      schema: {
        tags,
        summary: 'Rename, enable or disable a cashier (disabling ends its sessions)',
        params: UserIdParams,
        body: z
          .object({ displayName: z.string().max(64).optional(), enabled: z.boolean().optional() })
          .strict(),
      },
      config: manager,
    },
    async (request) => {
      const before = merchantUserView(await requireCashier(request, request.params.id));
      await services.consoleUsers.updateUser(BigInt(request.params.id), request.body);
      const after = merchantUserView(await requireCashier(request, request.params.id));
      noteAudit(request, { targetType: 'merchant_user', targetId: after.id, before, after });
      return after;
    },
  );

  api.post(
    '/api/merchant/cashiers/:id/reset-password',
    {
      schema: {
        tags,
        summary: 'Give a cashier a temporary password (changed at its next login)',
        params: UserIdParams,
      },
      config: manager,
    },
    async (request) => {
      const cashier = await requireCashier(request, request.params.id);
      const temporaryPassword = await services.consoleUsers.resetPasswordByAdmin(cashier.id);
      noteAudit(request, {
        targetType: 'merchant_user',
        targetId: String(cashier.id),
        after: { passwordReset: true },
      });
      return { temporaryPassword };
    },
  );
}
