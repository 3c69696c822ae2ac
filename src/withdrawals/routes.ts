import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { amountSchema, merchantSignatureGuard } from '../orders/routes.ts';
import { withdrawalView } from './service.ts';

const NO = z.string().min(1).max(64);
const MCH_NO = z.string().regex(/^[A-Za-z0-9_\-.]{1,64}$/, 'must be 1–64 letters, digits, _ - .');
export const CARD_ID = z
  .union([z.string().regex(/^\d{1,18}$/), z.number().int().positive().max(Number.MAX_SAFE_INTEGER)])
  .transform((v) => BigInt(v));

const CreateWithdrawalBody = z
  .object({
    mchWithdrawNo: MCH_NO,
    amount: amountSchema,
    cardId: CARD_ID.optional(),
    notifyUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(512)
      .optional(),
  })
  .strict();

/** Signed merchant API for withdrawals, behind the same signature guard as orders. */
export async function merchantWithdrawalRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', merchantSignatureGuard(services));

  api.post(
    '/api/v1/withdrawals',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Withdraw from the available balance to a bound bank card',
        description:
          'Idempotent on mchWithdrawNo: a same-body retry returns the withdrawal with 200, a changed body 409. ' +
          'The amount is frozen at once; a withdrawal at or above the review threshold waits for the platform. ' +
          'withdrawal.succeeded or withdrawal.failed is notified when it ends.',
        security: [{ merchantSignature: [] }],
        body: CreateWithdrawalBody,
      },
    },
    async (request, reply) => {
      const app = request.merchantApp!;
      const body = request.body;
      const { withdrawal, created } = await services.withdrawals.create(
        app.merchantId,
        {
          mchWithdrawNo: body.mchWithdrawNo,
          amount: BigInt(body.amount),
          cardId: body.cardId,
          notifyUrl: body.notifyUrl,
        },
        { source: 'api', appId: app.appId, userId: null },
      );
      return reply.code(created ? 201 : 200).send(withdrawalView(withdrawal));
    },
  );

  api.get(
    '/api/v1/withdrawals/:withdrawNo',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Get a withdrawal',
        security: [{ merchantSignature: [] }],
        params: z.object({ withdrawNo: NO }),
      },
    },
    async (request) =>
      withdrawalView(
        await services.withdrawals.getForMerchant(request.merchantApp!.merchantId, request.params.withdrawNo),
      ),
  );

  api.get(
    '/api/v1/withdrawals',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Find a withdrawal by the merchant withdrawal number',
        security: [{ merchantSignature: [] }],
        querystring: z.object({ mchWithdrawNo: NO }),
      },
    },
    async (request) =>
      withdrawalView(
        await services.withdrawals.getByMchNo(request.merchantApp!.merchantId, request.query.mchWithdrawNo),
      ),
  );
}
