import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMerchantUser, sessionOf } from '../auth/guards.ts';
import { AppError } from '../errors.ts';
import { toJsonAmount } from '../money/money.ts';
import { refundsOfOrderView } from '../refunds/console-views.ts';
import { TimeBound } from '../stats/time.ts';
import { labelsFor, portalEvents, portalOrderView } from './console-views.ts';
import type { OrderRow } from './queries.ts';
import { amountSchema, blank, windowOf } from './routes.ts';
import { consoleMchOrderNo } from './service.ts';
import { ORDER_STATES } from './state.ts';

const OrderNoParams = z.object({ orderNo: z.string().min(1).max(64) });

/**
 * Whose orders a merchant user may see: its merchant's, and for a cashier only those it placed.
 * Every order query of the portal takes this scope into its WHERE clause.
 */
export function portalScope(request: FastifyRequest): { merchantId: bigint; createdByUserId: bigint | null } {
  const user = sessionOf(request).user;
  if (user.merchantId === null) throw new AppError('FORBIDDEN', 'this account belongs to no merchant');
  return { merchantId: user.merchantId, createdByUserId: user.merchantRole === 'cashier' ? user.id : null };
}

/** Merchant portal orders (MP-3, MP-5): list, detail, close, sync, and collecting a payment. */
export async function orderPortalRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMerchantUser(services));
  const tags = ['merchant portal: orders'];
  const rowOf = async (order: OrderRow) =>
    portalOrderView(order, await labelsFor(services, [order]), services.orders.cashierUrl(order.order_no));
  const actor = (request: FastifyRequest) => `merchant_user:${sessionOf(request).user.username}`;

  api.get(
    '/api/merchant/orders',
    {
      schema: {
        tags,
        summary:
          "The merchant's orders, newest first (a cashier's own only); q finds any of an order's numbers",
        querystring: z.object({
          q: blank(z.string().trim().max(64)),
          state: blank(z.enum(ORDER_STATES)),
          from: blank(TimeBound),
          to: blank(TimeBound),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
    },
    async (request) => {
      const f = request.query;
      const scope = portalScope(request);
      const rows = await services.orders.list({
        merchantId: scope.merchantId,
        createdByUserId: scope.createdByUserId ?? undefined,
        state: f.state,
        search: f.q,
        ...windowOf(f, services.orders.timeZone),
        limit: f.limit,
        offset: f.offset,
      });
      const labels = await labelsFor(services, rows);
      return {
        total: Number(rows[0]?.total ?? 0n),
        items: rows.map((r) => portalOrderView(r, labels, services.orders.cashierUrl(r.order_no))),
      };
    },
  );

  api.get(
    '/api/merchant/orders/:orderNo',
    { schema: { tags, summary: 'An order with its timeline', params: OrderNoParams } },
    async (request) => {
      const order = await services.orders.getScoped(portalScope(request), request.params.orderNo);
      const [row, events, refunds] = await Promise.all([
        rowOf(order),
        services.orders.eventsOf(order.id),
        refundsOfOrderView(services, order.id),
      ]);
      return {
        ...row,
        refundedAmount: toJsonAmount(order.refunded_amount),
        events: portalEvents(events),
        refunds,
      };
    },
  );

  api.post(
    '/api/merchant/orders/:orderNo/close',
    { schema: { tags, summary: 'Close an unpaid order (at the channel first)', params: OrderNoParams } },
    async (request) => {
      const order = await services.orders.getScoped(portalScope(request), request.params.orderNo);
      const closed = await services.orders.close(order, actor(request));
      noteAudit(request, {
        targetType: 'order',
        targetId: order.order_no,
        before: { state: order.state },
        after: { state: closed.state },
      });
      return rowOf(closed);
    },
  );

  api.post(
    '/api/merchant/orders/:orderNo/sync',
    {
      schema: {
        tags,
        summary: '"The customer paid but it still says in progress": ask the channel now',
        params: OrderNoParams,
      },
    },
    async (request) => {
      const order = await services.orders.getScoped(portalScope(request), request.params.orderNo);
      const synced = await services.orders.syncNow(order, actor(request));
      noteAudit(request, {
        targetType: 'order',
        targetId: order.order_no,
        before: { state: order.state },
        after: { state: synced.state },
      });
      return rowOf(synced);
    },
  );

  api.post(
    '/api/merchant/collect',
    {
      schema: {
        tags,
        summary:
          "Collect a payment: an order on the merchant's first enabled app, placed by this user; show its QR or cashier page to the customer",
        body: z.object({
          productCode: z.string().min(1).max(64),
          amount: amountSchema,
          subject: z.string().trim().min(1).max(128).optional(),
        }),
      },
    },
    async (request, reply) => {
      const { merchantId } = portalScope(request);
      const user = sessionOf(request).user;
      const app = await services.merchants.orderingApp(merchantId);
      const { order } = await services.orders.createOrder(
        app,
        {
          mchOrderNo: consoleMchOrderNo('POS'),
          productCode: request.body.productCode,
          amount: BigInt(request.body.amount),
          subject: request.body.subject ?? '收款 Payment',
          clientIp: request.ip,
        },
        { source: 'portal', createdByUserId: user.id },
      );
      const row = await rowOf(order);
      noteAudit(request, {
        targetType: 'order',
        targetId: order.order_no,
        after: { state: order.state, amount: row.amount, productCode: order.product_code, appId: app.appId },
      });
      return reply.code(201).send({ order: row, payData: row.payData, cashierUrl: row.cashierUrl });
    },
  );
}
