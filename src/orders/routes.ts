import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { requireOperator, sessionOf } from '../auth/guards.ts';
import { AppError } from '../errors.ts';
import { toJsonAmount } from '../money/money.ts';
import { DEFAULT_EXPIRE_SECONDS } from './service.ts';
import { ORDER_STATES } from './state.ts';
import { orderView } from './views.ts';

const MAX_SAFE_AMOUNT = Number.MAX_SAFE_INTEGER;

const amountSchema = z
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
  })
  .strict();

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

/** Signed merchant API (DESIGN §6): every route authenticates the request before validating it. */
export async function merchantOrderRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', async (request: FastifyRequest) => {
    const contentType = request.headers['content-type'] ?? '';
    if (request.rawBody !== '' && !contentType.startsWith('application/json')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'the merchant API takes application/json bodies');
    }
    request.merchantApp = await services.signatures.authenticate({
      method: request.method,
      url: request.url,
      headers: request.headers,
      rawBody: request.rawBody,
      ip: request.ip,
    });
  });
  const view = (order: Parameters<typeof orderView>[0]) =>
    orderView(order, services.orders.cashierUrl(order.order_no));

  api.post(
    '/api/v1/orders',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Create a payment order',
        description: `Idempotent on mchOrderNo: a same-body retry returns the order with 200, a changed body 409. Orders expire after expireSeconds (default ${DEFAULT_EXPIRE_SECONDS}).`,
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

  api.post(
    '/api/v1/orders/:orderNo/close',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Close an unpaid order (the channel first)',
        security: [{ merchantSignature: [] }],
        params: OrderNoParams,
      },
    },
    async (request) => {
      const order = await services.orders.getForMerchant(
        request.merchantApp!.merchantId,
        request.params.orderNo,
      );
      return view(await services.orders.close(order, 'merchant'));
    },
  );

  api.post(
    '/api/v1/orders/:orderNo/sync',
    {
      schema: {
        tags: ['merchant'],
        summary: '"I paid but it still says in progress": ask the channel now and apply its answer',
        security: [{ merchantSignature: [] }],
        params: OrderNoParams,
      },
    },
    async (request) => {
      const order = await services.orders.getForMerchant(
        request.merchantApp!.merchantId,
        request.params.orderNo,
      );
      return view(await services.orders.syncNow(order, 'merchant'));
    },
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

const ListOrdersQuery = z.object({
  mchNo: z.string().optional(),
  state: z.enum(ORDER_STATES).optional(),
  productCode: z.string().optional(),
  channelAccountId: z.string().regex(/^\d+$/).optional(),
  q: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** Operator views of orders (the console's order list and detail) and manual notify resend. */
export async function orderAdminRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));

  api.get(
    '/api/admin/orders',
    { schema: { tags: ['operator'], summary: 'List orders', querystring: ListOrdersQuery } },
    async (request) => {
      const f = request.query;
      const merchant = f.mchNo ? await services.merchants.requireMerchant(f.mchNo) : null;
      const rows = await services.orders.list({
        merchantId: merchant?.id,
        state: f.state,
        productCode: f.productCode,
        channelAccountId: f.channelAccountId ? BigInt(f.channelAccountId) : undefined,
        search: f.q,
        limit: f.limit,
        offset: f.offset,
      });
      const [notifyStates, merchants] = await Promise.all([
        services.notify.latestStateOfOrders(rows.map((r) => r.id)),
        services.merchants.merchantsByIds(rows.map((r) => r.merchant_id)),
      ]);
      return {
        total: Number(rows[0]?.total ?? 0n),
        items: rows.map((r) => ({
          ...operatorOrderView(r),
          mchNo: merchants.get(r.merchant_id)?.mch_no ?? '',
          merchantName: merchants.get(r.merchant_id)?.name ?? '',
          notifyState: notifyStates.get(r.id.toString()) ?? 'none',
        })),
      };
    },
  );

  api.get(
    '/api/admin/orders/:orderNo',
    { schema: { tags: ['operator'], summary: 'Order detail with its timeline', params: OrderNoParams } },
    async (request) => {
      const order = await services.orders.requireByOrderNo(request.params.orderNo);
      const [events, notifies, channelNotifies] = await Promise.all([
        services.orders.eventsOf(order.id),
        services.notify.historyOfOrder(order.id),
        services.orders.channelNotifiesOf(order.id),
      ]);
      return {
        ...operatorOrderView(order),
        events: events.map((e) => ({
          kind: e.kind,
          detail: e.detail,
          alert: e.alert,
          at: e.created_at.toISOString(),
        })),
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
        tags: ['operator'],
        summary: 'Ask the channel about the order now and apply its answer',
        params: OrderNoParams,
      },
    },
    async (request) => {
      const order = await services.orders.requireByOrderNo(request.params.orderNo);
      return operatorOrderView(
        await services.orders.syncNow(order, `operator:${sessionOf(request).user.username}`),
      );
    },
  );

  api.post(
    '/api/admin/orders/:orderNo/notify/resend',
    { schema: { tags: ['operator'], summary: 'Send the merchant notify again now', params: OrderNoParams } },
    async (request) => ({ queued: await services.orders.resendNotify(request.params.orderNo) }),
  );
}

function operatorOrderView(order: Parameters<typeof orderView>[0]) {
  return {
    ...orderView(order, ''),
    merchantRatePpm: order.merchant_rate_ppm,
    channelRatePpm: order.channel_rate_ppm,
    channelAccountId: order.channel_account_id?.toString() ?? null,
    channelCost: toJsonAmount(order.channel_cost),
    platformProfit: toJsonAmount(order.platform_profit),
    notifyUrl: order.notify_url,
    appId: order.app_id,
  };
}
