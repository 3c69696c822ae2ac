import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMerchantUser, requireOperator, sessionOf } from '../auth/guards.ts';
import { AppError } from '../errors.ts';
import { exportFormat } from '../exports/routes.ts';
import { toJsonAmount } from '../money/money.ts';
import { portalScope } from '../orders/portal-routes.ts';
import type { OrderRow } from '../orders/queries.ts';
import { amountSchema, blank, windowOf } from '../orders/routes.ts';
import { consoleMchOrderNo } from '../orders/service.ts';
import { TimeBound } from '../stats/time.ts';
import { consoleRefundViews } from './console-views.ts';
import { sendRefundExport } from './exports.ts';
import { REFUND_STATES, type RefundRow } from './queries.ts';

const OrderNoParams = z.object({ orderNo: z.string().min(1).max(64) });

const CreateRefundBody = z.object({
  amount: amountSchema,
  reason: z.string().trim().min(1, 'say why the order is refunded').max(128),
});

/** The refund lists' filters, which their exports take too. */
const filterQuery = {
  q: blank(z.string().trim().max(64)),
  state: blank(z.enum(REFUND_STATES)),
  from: blank(TimeBound),
  to: blank(TimeBound),
};
const listQuery = {
  ...filterQuery,
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};

/**
 * A refund asked for in a console: through the refund service like an API refund (same checks,
 * reservation, ledger and notify), on the order's own app, with a generated merchant refund
 * number `CR…` and the console user recorded as its author.
 */
async function refundFromConsole(
  services: Services,
  request: FastifyRequest,
  order: OrderRow,
  body: z.infer<typeof CreateRefundBody>,
): Promise<RefundRow> {
  noteAudit(request, {
    targetType: 'order',
    targetId: order.order_no,
    before: { state: order.state, refundedAmount: toJsonAmount(order.refunded_amount) },
  });
  const app = await services.merchants.appKeys(order.app_id);
  if (!app) throw new AppError('NOT_FOUND', `app ${order.app_id} not found`);
  const { refund } = await services.refunds.createRefund(
    app,
    {
      orderNo: order.order_no,
      mchRefundNo: consoleMchOrderNo('CR'),
      amount: BigInt(body.amount),
      reason: body.reason,
    },
    { source: 'console', createdByUserId: sessionOf(request).user.id },
  );
  return refund;
}

/** Console refunds: the operator console's and the merchant portal's (docs/console-api.md). */
export async function consoleRefundRoutes(app: FastifyInstance, { services }: { services: Services }) {
  await app.register(operatorRefundRoutes, { services });
  await app.register(portalRefundRoutes, { services });
}

async function operatorRefundRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: refunds'];

  api.post(
    '/api/admin/orders/:orderNo/refunds',
    {
      schema: {
        tags,
        summary: 'Refund part or all of a paid order; the refund starts pending until the channel settles it',
        params: OrderNoParams,
        body: CreateRefundBody,
      },
      config: { permission: 'order.refund' },
    },
    async (request, reply) => {
      const order = await services.orders.requireByOrderNo(request.params.orderNo);
      const [view] = await consoleRefundViews(services, [
        await refundFromConsole(services, request, order, request.body),
      ]);
      noteAudit(request, { after: view });
      return reply.code(201).send(view);
    },
  );

  api.get(
    '/api/admin/refunds',
    {
      schema: {
        tags,
        summary:
          'List refunds, newest first; q finds a refund by its numbers or its order’s, or the last 4+ digits of either platform number',
        querystring: z.object({ ...listQuery, mchNo: blank(z.string().max(32)) }),
      },
      config: { permission: 'order.read' },
    },
    async (request) => {
      const f = request.query;
      const merchant = f.mchNo ? await services.merchants.findMerchantByNo(f.mchNo) : undefined;
      if (merchant === null) return { items: [], total: 0 };
      const rows = await services.refunds.list({
        merchantId: merchant?.id,
        state: f.state,
        search: f.q,
        ...windowOf(f, services.orders.timeZone),
        limit: f.limit,
        offset: f.offset,
      });
      return { items: await consoleRefundViews(services, rows), total: Number(rows[0]?.total ?? 0n) };
    },
  );

  api.get(
    '/api/admin/refunds/export',
    {
      schema: {
        tags,
        summary:
          'Export the refunds the list’s filters match as CSV or XLSX, oldest first (at most the exports.maxRows setting)',
        querystring: z.object({ ...filterQuery, mchNo: blank(z.string().max(32)), ...exportFormat }),
      },
      config: { permission: 'order.read' },
    },
    async (request, reply) => {
      const f = request.query;
      const merchant = f.mchNo ? await services.merchants.findMerchantByNo(f.mchNo) : undefined;
      return sendRefundExport(
        services,
        reply,
        'operator',
        {
          // An unknown merchant number matches nothing (as the list answers).
          merchantId: merchant === null ? -1n : merchant?.id,
          state: f.state,
          search: f.q,
          ...windowOf(f, services.orders.timeZone),
        },
        f.format,
      );
    },
  );
}

async function portalRefundRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMerchantUser(services));
  const tags = ['merchant portal: refunds'];

  api.post(
    '/api/merchant/orders/:orderNo/refunds',
    {
      schema: {
        tags,
        summary: "Refund part or all of one of the merchant's paid orders (managers)",
        params: OrderNoParams,
        body: CreateRefundBody,
      },
      config: { merchantRole: 'manager' },
    },
    async (request, reply) => {
      // Another merchant's order is not found, like every portal read.
      const order = await services.orders.getScoped(portalScope(request), request.params.orderNo);
      const [view] = await consoleRefundViews(services, [
        await refundFromConsole(services, request, order, request.body),
      ]);
      noteAudit(request, { after: view });
      return reply.code(201).send(view);
    },
  );

  api.get(
    '/api/merchant/refunds',
    {
      schema: {
        tags,
        summary:
          "The merchant's refunds, newest first (managers); q finds a refund by its numbers or its order’s, or the last 4+ digits of either platform number",
        querystring: z.object(listQuery),
      },
      config: { merchantRole: 'manager' },
    },
    async (request) => {
      const f = request.query;
      const rows = await services.refunds.list({
        merchantId: portalScope(request).merchantId,
        state: f.state,
        search: f.q,
        ...windowOf(f, services.orders.timeZone),
        limit: f.limit,
        offset: f.offset,
      });
      return { items: await consoleRefundViews(services, rows), total: Number(rows[0]?.total ?? 0n) };
    },
  );

  api.get(
    '/api/merchant/refunds/export',
    {
      schema: {
        tags,
        summary:
          "Export the merchant's refunds the list's filters match as CSV or XLSX, oldest first (managers; at most the exports.maxRows setting)",
        querystring: z.object({ ...filterQuery, ...exportFormat }),
      },
      config: { merchantRole: 'manager' },
    },
    async (request, reply) => {
      const f = request.query;
      return sendRefundExport(
        services,
        reply,
        'merchant',
        {
          merchantId: portalScope(request).merchantId,
          state: f.state,
          search: f.q,
          ...windowOf(f, services.orders.timeZone),
        },
        f.format,
      );
    },
  );
}
