import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMerchantUser, sessionOf } from '../auth/guards.ts';
import { AppError } from '../errors.ts';
import { exportFormat } from '../exports/routes.ts';
import { toJsonAmount } from '../money/money.ts';
import { isPrivateUrl } from '../public-url.ts';
import { refundsOfOrderView } from '../refunds/console-views.ts';
import { TimeBound } from '../stats/time.ts';
import { pickLanguage } from './cashier.ts';
import { labelsFor, portalEvents, portalOrderView } from './console-views.ts';
import { sendOrderExport } from './exports.ts';
import type { OrderRow } from './queries.ts';
import {
  AUTH_CODE,
  amountSchema,
  blank,
  orderPageAnswer,
  orderPageQuery,
  pageCursorOf,
  windowOf,
} from './routes.ts';
import { consoleMchOrderNo } from './service.ts';
import { ORDER_STATES } from './state.ts';

const OrderNoParams = z.object({ orderNo: z.string().min(1).max(64) });

/** The portal order list's filters, which its export takes too. */
const portalOrderFilters = {
  q: blank(z.string().trim().max(64)),
  state: blank(z.enum(ORDER_STATES)),
  from: blank(TimeBound),
  to: blank(TimeBound),
};

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
          "The merchant's orders, newest first, a page at a time from a cursor (after / before), the total counted up to 10 000 (totalCapped beyond; a cashier's own only); q finds any of an order's numbers, or the last 4+ digits of its platform number",
        querystring: z.object({
          ...portalOrderFilters,
          ...orderPageQuery,
        }),
      },
    },
    async (request) => {
      const f = request.query;
      const scope = portalScope(request);
      const filter = {
        merchantId: scope.merchantId,
        createdByUserId: scope.createdByUserId ?? undefined,
        state: f.state,
        search: f.q,
        ...windowOf(f, services.orders.timeZone),
      };
      const [page, count] = await Promise.all([
        services.orders.list({ ...filter, limit: f.limit }, pageCursorOf(f)),
        services.orders.countListed(filter),
      ]);
      const labels = await labelsFor(services, page.rows);
      return orderPageAnswer(
        page,
        count,
        page.rows.map((r) => portalOrderView(r, labels, services.orders.cashierUrl(r.order_no))),
      );
    },
  );

  api.get(
    '/api/merchant/orders/export',
    {
      schema: {
        tags,
        summary:
          "Export the merchant's orders the list's filters match as CSV or XLSX, oldest first (a cashier's own only; at most the exports.maxRows setting)",
        querystring: z.object({ ...portalOrderFilters, ...exportFormat }),
      },
    },
    async (request, reply) => {
      const f = request.query;
      const scope = portalScope(request);
      return sendOrderExport(
        services,
        reply,
        'merchant',
        {
          merchantId: scope.merchantId,
          createdByUserId: scope.createdByUserId ?? undefined,
          state: f.state,
          search: f.q,
          ...windowOf(f, services.orders.timeZone),
        },
        f.format,
      );
    },
  );

  api.get(
    '/api/merchant/orders/:orderNo',
    { schema: { tags, summary: 'An order with its timeline', params: OrderNoParams } },
    async (request) => {
      const order = await services.orders.getScoped(portalScope(request), request.params.orderNo);
      const [row, events, refunds] = await Promise.all([
        rowOf(order),
        services.orders.eventsOf(order),
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

  /** close / cancel / sync: one action on one of the session's orders, audited with the state before and after. */
  const orderAction = (
    action: string,
    summary: string,
    act: (order: OrderRow, by: string) => Promise<OrderRow>,
  ) =>
    api.post(
      `/api/merchant/orders/:orderNo/${action}`,
      { schema: { tags, summary, params: OrderNoParams } },
      async (request) => {
        const order = await services.orders.getScoped(portalScope(request), request.params.orderNo);
        const after = await act(order, actor(request));
        noteAudit(request, {
          targetType: 'order',
          targetId: order.order_no,
          before: { state: order.state },
          after: { state: after.state },
        });
        return rowOf(after);
      },
    );
  orderAction('close', 'Close an unpaid order (at the channel first)', (order, by) =>
    services.orders.close(order, by),
  );
  orderAction(
    'cancel',
    'Cancel (撤销) an auth-code payment the customer has not confirmed on their phone',
    (order, by) => services.orders.cancel(order, by),
  );
  orderAction('sync', '"The customer paid but it still says in progress": ask the channel now', (order, by) =>
    services.orders.syncNow(order, by),
  );

  api.post(
    '/api/merchant/collect',
    {
      schema: {
        tags,
        summary:
          "Collect a payment: an order on the merchant's first enabled app, placed by this user; show its QR or cashier page to the customer, or pass the customer's scanned pay code (authCode, B扫C)",
        body: z.object({
          productCode: z.string().min(1).max(64),
          amount: amountSchema,
          subject: z.string().trim().min(1).max(128).optional(),
          authCode: z
            .string()
            .regex(AUTH_CODE, "must be the 10–32 digits of the customer's pay code")
            .optional(),
          /**
           * The screen's key for this collection: a retry after a lost answer sends it again and
           * gets the same order, so a scanned code is never charged twice.
           */
          requestId: z
            .string()
            .regex(/^[A-Za-z0-9]{8,32}$/, 'must be 8–32 letters or digits')
            .optional(),
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
          // Scoped to this user, so one user's key can never name another's collection.
          mchOrderNo: request.body.requestId
            ? `POS${user.id}-${request.body.requestId}`
            : consoleMchOrderNo('POS'),
          productCode: request.body.productCode,
          amount: BigInt(request.body.amount),
          // One word in the language the screen asked in (the console sends its own; this is the fallback).
          subject:
            request.body.subject ??
            DEFAULT_SUBJECT[pickLanguage(undefined, request.headers['accept-language'])],
          clientIp: request.ip,
          ...(request.body.authCode ? { extra: { authCode: request.body.authCode } } : {}),
        },
        { source: 'portal', createdByUserId: user.id },
      );
      const row = await rowOf(order);
      noteAudit(request, {
        targetType: 'order',
        targetId: order.order_no,
        after: { state: order.state, amount: row.amount, productCode: order.product_code, appId: app.appId },
      });
      return reply.code(201).send({
        order: row,
        payData: row.payData,
        cashierUrl: row.cashierUrl,
        // The cashier link is on a loopback or private address: the customer's phone cannot open it.
        privateUrl: isPrivateUrl(row.cashierUrl),
      });
    },
  );
}

/** The subject of a collection the cashier left blank, in the language of the request. */
const DEFAULT_SUBJECT = { zh: '收款', en: 'Payment' } as const;
