import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireOperator, sessionOf } from '../auth/guards.ts';
import type { PageCursor } from '../db/keyset.ts';
import { AppError } from '../errors.ts';
import { exportFormat } from '../exports/routes.ts';
import { toJsonAmount } from '../money/money.ts';
import { isPrivateUrl } from '../public-url.ts';
import { refundsOfOrderView } from '../refunds/console-views.ts';
import { checkCompletionPassword } from '../settings/completion-password.ts';
import { parseBound, TimeBound } from '../stats/time.ts';
import { BATCH_ACTIONS, MAX_BATCH_ORDERS, runOrderBatch } from './batch.ts';
import { labelsFor, operatorEvents, operatorOrderView } from './console-views.ts';
import { sendOrderExport } from './exports.ts';
import type { OrderRow } from './queries.ts';
import { consoleMchOrderNo, DEFAULT_EXPIRE_SECONDS, type OrderPage } from './service.ts';
import { ORDER_STATES } from './state.ts';
import { orderView } from './views.ts';

const MAX_SAFE_AMOUNT = Number.MAX_SAFE_INTEGER;

export const amountSchema = z
  .number({ error: 'must be a number of minor units' })
  .int({ error: 'must be an integer number of minor units (fen)' })
  .positive({ error: 'must be greater than zero' })
  .max(MAX_SAFE_AMOUNT);

/** `extra` is the merchant's own data, echoed back: small and shallow, so storing and hashing it stay cheap. */
const MAX_EXTRA_BYTES = 4096;
const MAX_EXTRA_DEPTH = 8;

const extraSchema = z.record(z.string(), z.unknown()).superRefine((extra, ctx) => {
  // Depth first: serialising a hostile, deeply nested value would overflow the stack.
  if (!jsonDepthWithin(extra, MAX_EXTRA_DEPTH)) {
    ctx.addIssue({ code: 'custom', message: `must nest at most ${MAX_EXTRA_DEPTH} levels` });
  } else if (Buffer.byteLength(JSON.stringify(extra)) > MAX_EXTRA_BYTES) {
    ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_EXTRA_BYTES} bytes as JSON` });
  }
});

/** The code a merchant scans off the customer's wallet (B扫C): 18 digits at Alipay and WeChat Pay. */
export const AUTH_CODE = /^\d{10,32}$/;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(512);

const CreateOrderBody = z
  .object({
    mchOrderNo: z.string().regex(/^[A-Za-z0-9_\-.]{1,64}$/, 'must be 1–64 letters, digits, _ - .'),
    productCode: z.string().min(1).max(64),
    amount: amountSchema,
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
      .optional(),
    subject: z.string().min(1).max(128),
    body: z.string().max(512).optional(),
    notifyUrl: httpUrl.optional(),
    returnUrl: httpUrl.optional(),
    clientIp: z.string().max(64).optional(),
    expireSeconds: z.number().int().min(60).max(86_400).optional(),
    extra: extraSchema.optional(),
    payee: z
      .object({ bizUserId: z.string().min(1).max(64) })
      .strict()
      .optional()
      .describe("The receiving member of a marketplace order: the merchant's own user id of the member"),
    splitRuleNo: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe(
        "A split rule of this app: the order's net is split to its receiver and commission parties when paid",
      ),
    escrow: z
      .boolean()
      .optional()
      .describe(
        'Escrow (担保): the paid net is held until confirmed (POST /api/v1/escrow/{orderNo}/confirm)',
      ),
    purpose: z
      .enum(['consumption', 'recharge'])
      .optional()
      .describe("recharge: the payee's pending account gets the net (payee required, no rule, no escrow)"),
  })
  .strict()
  .superRefine((body, ctx) => {
    const authCode = body.extra?.authCode;
    if (authCode !== undefined && (typeof authCode !== 'string' || !AUTH_CODE.test(authCode))) {
      ctx.addIssue({
        code: 'custom',
        path: ['extra', 'authCode'],
        message: "must be the 10–32 digits of the customer's pay code",
      });
    }
  });

/** Depth of nested objects and arrays, walked without recursion so a hostile body cannot overflow the stack. */
export function jsonDepthWithin(value: unknown, maxDepth: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > maxDepth) return false;
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return true;
}

const OrderNoParams = z.object({ orderNo: z.string().min(1).max(64) });

/**
 * The signed merchant API's guard (DESIGN §6), a preValidation hook: JSON bodies only, and the
 * request's signature verified (setting request.merchantApp) before anything is validated.
 */
export function merchantSignatureGuard(services: Services) {
  return async (request: FastifyRequest) => {
    const contentType = request.headers['content-type'] ?? '';
    if (request.rawBody !== '' && !contentType.startsWith('application/json')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'the merchant API takes application/json bodies');
    }
    request.merchantApp = await services.signatures.authenticate({
      method: request.method,
      url: request.url,
      headers: request.headers,
      rawHeaders: request.raw.rawHeaders,
      rawBody: request.rawBody,
      ip: request.ip,
    });
  };
}

/** Signed merchant API (DESIGN §6): every route authenticates the request before validating it. */
export async function merchantOrderRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', merchantSignatureGuard(services));
  const view = (order: Parameters<typeof orderView>[0]) =>
    orderView(order, services.orders.cashierUrl(order.order_no));

  api.post(
    '/api/v1/orders',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Create a payment order',
        description: `Idempotent on mchOrderNo: a same-body retry returns the order with 200, a changed body 409. Orders expire after expireSeconds (default ${DEFAULT_EXPIRE_SECONDS}). With extra.authCode (the code on the customer's phone, B扫C) the channel takes the payment at once: the order answers paid, paying (the customer must confirm; cancel it if they do not) or failed (declined). cashierUrl is the customer's link to the hosted cashier page: use it as given, it ends with a token bound to the order and the page is not found without it.`,
        security: [{ merchantSignature: [] }],
        body: CreateOrderBody,
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { order, created } = await services.orders.createOrder(request.merchantApp!, {
        ...body,
        amount: BigInt(body.amount),
      });
      return reply.code(created ? 201 : 200).send(view(order));
    },
  );

  api.get(
    '/api/v1/orders/:orderNo',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Get an order',
        security: [{ merchantSignature: [] }],
        params: OrderNoParams,
      },
    },
    async (request) =>
      view(await services.orders.getForMerchant(request.merchantApp!.merchantId, request.params.orderNo)),
  );

  api.get(
    '/api/v1/orders',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Find an order by the merchant order number',
        security: [{ merchantSignature: [] }],
        querystring: z.object({ mchOrderNo: z.string().min(1).max(64) }),
      },
    },
    async (request) =>
      view(await services.orders.getByMchOrderNo(request.merchantApp!.appId, request.query.mchOrderNo)),
  );

  /** close / cancel / sync: one action on one of the merchant's orders, answered with the order after it. */
  const orderAction = (action: string, summary: string, act: (order: OrderRow) => Promise<OrderRow>) =>
    api.post(
      `/api/v1/orders/:orderNo/${action}`,
      {
        schema: { tags: ['merchant'], summary, security: [{ merchantSignature: [] }], params: OrderNoParams },
      },
      async (request) => {
        const { merchantId } = request.merchantApp!;
        return view(await act(await services.orders.getForMerchant(merchantId, request.params.orderNo)));
      },
    );
  orderAction('close', 'Close an unpaid order (the channel first)', (order) =>
    services.orders.close(order, 'merchant'),
  );
  orderAction(
    'cancel',
    'Cancel (撤销) an auth-code payment the customer has not confirmed (the channel first)',
    (order) => services.orders.cancel(order, 'merchant'),
  );
  orderAction(
    'sync',
    '"I paid but it still says in progress": ask the channel now and apply its answer',
    (order) => services.orders.syncNow(order, 'merchant'),
  );
}

/** Providers' async notifies: one URL per channel account, so the account is known before parsing. */
export async function channelNotifyRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app
    .withTypeProvider<ZodTypeProvider>()
    .post(
      '/api/channel-notify/:channelAccountId',
      { schema: { hide: true, params: z.object({ channelAccountId: z.string().regex(/^\d{1,18}$/) }) } },
      async (request, reply) => {
        const ack = await services.orders.handleChannelNotify(
          BigInt(request.params.channelAccountId),
          {
            rawBody: request.rawBody,
            contentType: request.headers['content-type'] ?? '',
            headers: request.headers,
          },
          request.ip,
        );
        return reply.code(ack.status).type(ack.contentType).send(ack.body);
      },
    );
}

/** A query parameter the console may leave empty: '' is the same as absent. */
export const blank = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

/**
 * The order lists' page: its size and a cursor, `after` (the older page) or `before` (the newer
 * one), each the platform number of a row of the page it comes from (nextCursor, previousCursor).
 */
export const orderPageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  after: blank(z.string().min(1).max(64)),
  before: blank(z.string().min(1).max(64)),
};

/** The cursor a cursor-paged list request asks from (the order lists, the fund flow); both at once is a mistake. */
export function pageCursorOf(query: { after?: string; before?: string }): PageCursor | undefined {
  if (query.after && query.before)
    throw new AppError('INVALID_REQUEST', 'before: not together with after', { field: 'before' });
  if (query.after) return { after: query.after };
  if (query.before) return { before: query.before };
  return undefined;
}

/**
 * An order list's answer: the page, its cursors, and the matches counted up to the bound
 * (`totalCapped`: more than `total`, which the consoles show as "10 000+").
 */
export function orderPageAnswer<T>(page: OrderPage, count: { count: number; capped: boolean }, items: T[]) {
  return {
    total: count.count,
    totalCapped: count.capped,
    nextCursor: page.nextCursor,
    previousCursor: page.previousCursor,
    items,
  };
}

const ListOrdersQuery = z.object({
  q: blank(z.string().trim().max(64)),
  state: blank(z.enum(ORDER_STATES)),
  mchNo: blank(z.string().max(32)),
  productCode: blank(z.string().max(64)),
  channelAccountId: blank(z.string().regex(/^\d{1,18}$/)),
  from: blank(TimeBound),
  to: blank(TimeBound),
  /**
   * true: only orders with an alert (late payment after close, contradicting channel, …);
   * unacknowledged: only those with an alert no operator has acknowledged yet.
   */
  alert: blank(z.enum(['true', 'false', 'unacknowledged'])),
  ...orderPageQuery,
});

const CompletionPassword = z.string().min(1).max(256);

const VerifyCompletionBody = z.object({ completionPassword: CompletionPassword });

const CompleteBody = z.object({
  completionPassword: CompletionPassword,
  remark: z.string().trim().min(1, 'say why the order is completed by hand').max(256),
});

const TestOrderBody = z.object({
  mchNo: z.string().min(1).max(32),
  appId: z.string().min(1).max(64).optional(),
  productCode: z.string().min(1).max(64),
  amount: amountSchema,
  channelAccountId: z
    .union([z.string().regex(/^\d{1,18}$/), z.number().int().positive().max(Number.MAX_SAFE_INTEGER)])
    .optional(),
  subject: z.string().trim().min(1).max(128).optional(),
  test: z.boolean().default(false),
  /** A customer's pay code to test B扫C (the sandbox's test codes choose the outcome). */
  authCode: z.string().regex(AUTH_CODE, "must be the 10–32 digits of the customer's pay code").optional(),
  /** The payer's WeChat openid, for a WX_JSAPI product (sent as extra.openid). */
  openid: z
    .string()
    .regex(/^[\w-]{1,128}$/)
    .optional(),
});

/** The order list's time filters in the platform's time zone; an empty window is a mistake. */
export function windowOf(
  query: { from?: string; to?: string },
  timeZone: string,
): { from?: Date; to?: Date } {
  const from = query.from ? parseBound(query.from, timeZone, 'from') : undefined;
  const to = query.to ? parseBound(query.to, timeZone, 'to') : undefined;
  if (from && to && from >= to)
    throw new AppError('INVALID_REQUEST', 'to: must be after from', { field: 'to' });
  return { from, to };
}

/**
 * Operator console orders (OP-6, OP-7, OP-9): the list with every figure and filter, detail with
 * the timeline, sync, close, notify resend, manual completion and the test page's orders.
 */
export async function orderAdminRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: orders'];
  const timeZone = services.orders.timeZone;
  const cashierUrl = (order: OrderRow) => services.orders.cashierUrl(order.order_no);
  const rowOf = async (order: OrderRow) =>
    operatorOrderView(order, await labelsFor(services, [order]), cashierUrl(order));
  const auditOf = (order: OrderRow) => ({
    state: order.state,
    amount: toJsonAmount(order.amount),
    paidAt: order.paid_at?.toISOString() ?? null,
    closedAt: order.closed_at?.toISOString() ?? null,
  });

  api.get(
    '/api/admin/orders',
    {
      schema: {
        tags,
        summary:
          'List orders, newest first, a page at a time from a cursor (after / before); the total is counted up to 10 000 (totalCapped beyond); q finds an order by any of its numbers, or by the last 4+ digits of its platform number',
        querystring: ListOrdersQuery,
      },
      config: { permission: 'order.read' },
    },
    async (request) => {
      const f = request.query;
      const merchant = f.mchNo ? await services.merchants.findMerchantByNo(f.mchNo) : undefined;
      if (merchant === null)
        return { items: [], total: 0, totalCapped: false, nextCursor: null, previousCursor: null };
      const filter = {
        merchantId: merchant?.id,
        state: f.state,
        productCode: f.productCode,
        channelAccountId: f.channelAccountId ? BigInt(f.channelAccountId) : undefined,
        search: f.q,
        ...windowOf(f, timeZone),
        alertsOnly: f.alert === 'unacknowledged' ? ('unacknowledged' as const) : f.alert === 'true',
      };
      const [page, count] = await Promise.all([
        services.orders.list({ ...filter, limit: f.limit }, pageCursorOf(f)),
        services.orders.countListed(filter),
      ]);
      const labels = await labelsFor(services, page.rows);
      return orderPageAnswer(
        page,
        count,
        page.rows.map((r) => operatorOrderView(r, labels, cashierUrl(r))),
      );
    },
  );

  api.get(
    '/api/admin/orders/export',
    {
      schema: {
        tags,
        summary:
          'Export the orders the list’s filters match as CSV or XLSX, oldest first (at most the exports.maxRows setting; x-export-rows says how many)',
        querystring: ListOrdersQuery.omit({ limit: true, after: true, before: true }).extend(exportFormat),
      },
      config: { permission: 'order.read' },
    },
    async (request, reply) => {
      const f = request.query;
      const merchant = f.mchNo ? await services.merchants.findMerchantByNo(f.mchNo) : undefined;
      return sendOrderExport(
        services,
        reply,
        'operator',
        {
          // An unknown merchant number matches nothing (as the list answers).
          merchantId: merchant === null ? -1n : merchant?.id,
          state: f.state,
          productCode: f.productCode,
          channelAccountId: f.channelAccountId ? BigInt(f.channelAccountId) : undefined,
          search: f.q,
          ...windowOf(f, timeZone),
          alertsOnly: f.alert === 'unacknowledged' ? 'unacknowledged' : f.alert === 'true',
        },
        f.format,
      );
    },
  );

  api.get(
    '/api/admin/orders/:orderNo',
    {
      schema: { tags, summary: 'Order detail with its timeline and notifies', params: OrderNoParams },
      config: { permission: 'order.read' },
    },
    async (request) => {
      const order = await services.orders.requireByOrderNo(request.params.orderNo);
      const [row, events, notifies, channelNotifies, refunds] = await Promise.all([
        rowOf(order),
        services.orders.eventsOf(order),
        services.notify.historyOfOrder(order.id),
        services.orders.channelNotifiesOf(order),
        refundsOfOrderView(services, order.id),
      ]);
      return {
        ...row,
        refundedAmount: toJsonAmount(order.refunded_amount),
        refunds,
        events: operatorEvents(events),
        notify: {
          state: row.notifyState,
          attempts: notifies.flatMap((task) =>
            task.history.map((attempt) => ({ eventType: task.eventType, url: task.url, ...attempt })),
          ),
        },
        notifies,
        channelNotifies: channelNotifies.map((n) => ({
          outcome: n.outcome,
          errorCode: n.error_code,
          rawBody: n.raw_body,
          at: n.created_at.toISOString(),
        })),
      };
    },
  );

  api.post(
    '/api/admin/orders/:orderNo/sync',
    {
      schema: {
        tags,
        summary: 'Ask the channel about the order now and apply its answer',
        params: OrderNoParams,
      },
      config: { permission: 'order.operate' },
    },
    async (request) => {
      const order = await services.orders.requireByOrderNo(request.params.orderNo);
      const synced = await services.orders.syncNow(order, `operator:${sessionOf(request).user.username}`);
      noteAudit(request, {
        targetType: 'order',
        targetId: order.order_no,
        before: auditOf(order),
        after: auditOf(synced),
      });
      return rowOf(synced);
    },
  );

  api.post(
    '/api/admin/orders/:orderNo/close',
    {
      schema: {
        tags,
        summary: 'Close an unpaid order: at the channel first, so it can no longer be paid',
        params: OrderNoParams,
      },
      config: { permission: 'order.operate' },
    },
    async (request) => {
      const order = await services.orders.requireByOrderNo(request.params.orderNo);
      const closed = await services.orders.close(order, `operator:${sessionOf(request).user.username}`);
      noteAudit(request, {
        targetType: 'order',
        targetId: order.order_no,
        before: auditOf(order),
        after: auditOf(closed),
      });
      return rowOf(closed);
    },
  );

  api.post(
    '/api/admin/orders/batch',
    {
      schema: {
        tags,
        summary: `Close, sync or resend the notify of many orders (at most ${MAX_BATCH_ORDERS}); answers a result per order`,
        body: z.object({
          action: z.enum(BATCH_ACTIONS),
          orderNos: z.array(z.string().min(1).max(64)).min(1).max(MAX_BATCH_ORDERS),
        }),
      },
      config: { permission: 'order.operate' },
    },
    async (request) => {
      const { user } = sessionOf(request);
      const { action, orderNos } = request.body;
      noteAudit(request, { targetType: 'order', targetId: orderNos.join(',').slice(0, 200) });
      const results = await runOrderBatch(services, action, orderNos, {
        userId: user.id,
        username: user.username,
        ip: request.ip,
      });
      const succeeded = results.filter((r) => r.outcome === 'succeeded').length;
      noteAudit(request, { after: { action, succeeded, refused: results.length - succeeded } });
      return { action, succeeded, refused: results.length - succeeded, results };
    },
  );

  api.post(
    '/api/admin/orders/:orderNo/notify/resend',
    {
      schema: { tags, summary: 'Send the merchant notify again now', params: OrderNoParams },
      config: { permission: 'order.operate' },
    },
    async (request) => {
      const queued = await services.orders.resendNotify(request.params.orderNo);
      noteAudit(request, {
        targetType: 'order',
        targetId: request.params.orderNo,
        after: { notifyResent: queued },
      });
      return { queued };
    },
  );

  api.post(
    '/api/admin/orders/:orderNo/complete/verify',
    {
      schema: {
        tags,
        summary:
          "Manual completion's first step: checks the completion password (guesses counted as for the completion itself) and that the order exists; changes nothing",
        params: OrderNoParams,
        body: VerifyCompletionBody,
      },
      config: { permission: 'order.complete' },
    },
    async (request, reply) => {
      const user = sessionOf(request).user;
      await checkCompletionPassword(services, request, reply, user.id, request.body.completionPassword);
      const order = await services.orders.requireByOrderNo(request.params.orderNo);
      noteAudit(request, { targetType: 'order', targetId: order.order_no, after: { verified: true } });
      return { verified: true };
    },
  );

  api.post(
    '/api/admin/orders/:orderNo/complete',
    {
      schema: {
        tags,
        summary:
          'Manual completion (补单): a paying, closed or failed order becomes paid with its own amount; ledger and notify as for a channel payment',
        params: OrderNoParams,
        body: CompleteBody,
      },
      config: { permission: 'order.complete' },
    },
    async (request, reply) => {
      // The completion password first: a wrong one learns nothing about the order and changes nothing,
      // and counts toward the operator's lockout and the address's guesses, so it cannot be guessed.
      const user = sessionOf(request).user;
      await checkCompletionPassword(services, request, reply, user.id, request.body.completionPassword);
      const order = await services.orders.requireByOrderNo(request.params.orderNo);
      const paid = await services.orders.completeManually(order, {
        userId: user.id,
        username: user.username,
        remark: request.body.remark,
      });
      noteAudit(request, {
        targetType: 'order',
        targetId: order.order_no,
        before: auditOf(order),
        after: { ...auditOf(paid), manualCompletion: { by: user.username, remark: request.body.remark } },
      });
      return rowOf(paid);
    },
  );

  api.post(
    '/api/admin/test-orders',
    {
      schema: {
        tags,
        summary:
          "Test page (OP-6): place an order for a merchant's app, optionally pinned to one channel account; test: true keeps it out of statistics",
        body: TestOrderBody,
      },
      config: { permission: 'order.test' },
    },
    async (request, reply) => {
      const b = request.body;
      const merchant = await services.merchants.requireMerchant(b.mchNo);
      const app = await services.merchants.orderingApp(merchant.id, b.appId);
      const { order } = await services.orders.createOrder(
        app,
        {
          mchOrderNo: consoleMchOrderNo('TEST'),
          productCode: b.productCode,
          amount: BigInt(b.amount),
          subject: b.subject ?? '测试订单 Test order',
          clientIp: request.ip,
          ...(b.authCode || b.openid
            ? {
                extra: {
                  ...(b.authCode ? { authCode: b.authCode } : {}),
                  ...(b.openid ? { openid: b.openid } : {}),
                },
              }
            : {}),
        },
        {
          source: 'console_test',
          createdByUserId: sessionOf(request).user.id,
          test: b.test,
          channelAccountId: b.channelAccountId === undefined ? undefined : BigInt(b.channelAccountId),
        },
      );
      const row = await rowOf(order);
      noteAudit(request, {
        targetType: 'order',
        targetId: order.order_no,
        after: {
          ...auditOf(order),
          mchNo: merchant.mch_no,
          appId: app.appId,
          productCode: order.product_code,
          channelAccountId: row.channelAccountId,
          test: order.test,
        },
      });
      return reply.code(201).send({
        order: row,
        payData: row.payData,
        cashierUrl: row.cashierUrl,
        // On a loopback or private address: a phone cannot open the test order's QR.
        privateUrl: isPrivateUrl(row.cashierUrl),
      });
    },
  );
}
