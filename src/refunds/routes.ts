import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { amountSchema, merchantSignatureGuard } from '../orders/routes.ts';
import { refundView } from './service.ts';

const ORDER_NO = z.string().min(1).max(64);
const MCH_NO = z.string().regex(/^[A-Za-z0-9_\-.]{1,64}$/, 'must be 1–64 letters, digits, _ - .');

const CreateRefundBody = z
  .object({
    orderNo: ORDER_NO.optional(),
    mchOrderNo: ORDER_NO.optional(),
    mchRefundNo: MCH_NO,
    amount: amountSchema,
    reason: z.string().min(1).max(256).optional(),
    notifyUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(512)
      .optional(),
  })
  .strict()
  .refine((body) => body.orderNo !== undefined || body.mchOrderNo !== undefined, {
    message: 'orderNo or mchOrderNo is required',
    path: ['orderNo'],
  });

/** Signed merchant API for refunds (DESIGN §6), behind the same signature guard as orders. */
export async function merchantRefundRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', merchantSignatureGuard(services));

  api.post(
    '/api/v1/refunds',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Refund part or all of a paid order',
        description:
          'Idempotent on mchRefundNo: a same-body retry returns the refund with 200, a changed body 409. ' +
          'The refund starts pending; refund.succeeded or refund.failed is notified when the channel settles it.',
        security: [{ merchantSignature: [] }],
        body: CreateRefundBody,
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { refund, created } = await services.refunds.createRefund(request.merchantApp!, {
        ...body,
        amount: BigInt(body.amount),
      });
      return reply.code(created ? 201 : 200).send(refundView(refund));
    },
  );

  api.get(
    '/api/v1/refunds/:refundNo',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Get a refund',
        security: [{ merchantSignature: [] }],
        params: z.object({ refundNo: ORDER_NO }),
      },
    },
    async (request) =>
      refundView(
        await services.refunds.getForMerchant(request.merchantApp!.merchantId, request.params.refundNo),
      ),
  );

  api.get(
    '/api/v1/refunds',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Find a refund by the merchant refund number',
        security: [{ merchantSignature: [] }],
        querystring: z.object({ mchRefundNo: ORDER_NO }),
      },
    },
    async (request) =>
      refundView(
        await services.refunds.getByMchRefundNo(request.merchantApp!.appId, request.query.mchRefundNo),
      ),
  );
}

/** Providers' async refund notifies: a sibling of the account's payment notify URL. */
export async function channelRefundNotifyRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app
    .withTypeProvider<ZodTypeProvider>()
    .post(
      '/api/channel-notify/:channelAccountId/refund',
      { schema: { hide: true, params: z.object({ channelAccountId: z.string().regex(/^\d{1,18}$/) }) } },
      async (request, reply) => {
        const ack = await services.refunds.handleRefundNotify(
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
