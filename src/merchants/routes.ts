import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SIGN_TYPES } from '../../sdk/signing.ts';
import type { Services } from '../app/services.ts';
import { isIpOrCidr } from '../auth/ip-allowlist.ts';
import { requireOperator } from '../auth/guards.ts';
import { merchantView } from './service.ts';

const MchNoParams = z.object({ mchNo: z.string().min(1).max(32) });
const AppIdParams = z.object({ appId: z.string().min(1).max(64) });
const ipList = z.array(z.string().refine(isIpOrCidr, 'must be an IP address or CIDR range')).max(50);

/** Operator API for merchants and their apps (OP-2, OP-3) and the products they may use (OP-4). */
export async function merchantAdminRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: merchants'];

  api.get(
    '/api/admin/merchants',
    {
      schema: {
        tags,
        summary: 'List merchants',
        querystring: z.object({
          q: z.string().max(64).optional(),
          state: z.enum(['enabled', 'disabled']).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
    },
    async (request) => services.merchants.listMerchants({ search: request.query.q, ...request.query }),
  );

  api.post(
    '/api/admin/merchants',
    {
      schema: {
        tags,
        summary: 'Open a merchant account',
        body: z.object({
          name: z.string().min(1).max(128),
          shortName: z.string().max(64).optional(),
          contact: z.string().max(128).optional(),
        }),
      },
    },
    async (request, reply) =>
      reply.code(201).send(merchantView(await services.merchants.createMerchant(request.body))),
  );

  api.get(
    '/api/admin/merchants/:mchNo',
    { schema: { tags, summary: 'Get a merchant', params: MchNoParams } },
    async (request) => {
      const merchant = await services.merchants.requireMerchant(request.params.mchNo);
      return {
        ...merchantView(merchant),
        apps: await services.merchants.listApps(merchant.mch_no),
        products: (await services.catalog.listMerchantRates(merchant.id)).map((r) => ({
          productCode: r.product_code,
          productName: r.product_name,
          ratePpm: r.rate_ppm,
          enabled: r.enabled,
        })),
      };
    },
  );

  api.patch(
    '/api/admin/merchants/:mchNo',
    {
      schema: {
        tags,
        summary: 'Edit, enable or disable a merchant',
        params: MchNoParams,
        body: z.object({
          name: z.string().min(1).max(128).optional(),
          shortName: z.string().max(64).optional(),
          contact: z.string().max(128).optional(),
          state: z.enum(['enabled', 'disabled']).optional(),
        }),
      },
    },
    async (request) =>
      merchantView(await services.merchants.updateMerchant(request.params.mchNo, request.body)),
  );

  api.put(
    '/api/admin/merchants/:mchNo/products/:productCode',
    {
      schema: {
        tags,
        summary: "Open a product to a merchant at a rate (ppm); defaults to the product's rate",
        params: z.object({ mchNo: z.string(), productCode: z.string() }),
        body: z.object({
          ratePpm: z.number().int().min(0).max(1_000_000).optional(),
          enabled: z.boolean().default(true),
        }),
      },
    },
    async (request) => {
      const merchant = await services.merchants.requireMerchant(request.params.mchNo);
      return services.catalog.setMerchantRate(
        merchant.id,
        request.params.productCode,
        request.body.ratePpm,
        request.body.enabled,
      );
    },
  );

  api.get(
    '/api/admin/merchants/:mchNo/apps',
    { schema: { tags, summary: "A merchant's apps", params: MchNoParams } },
    async (request) => services.merchants.listApps(request.params.mchNo),
  );

  api.post(
    '/api/admin/merchants/:mchNo/apps',
    {
      schema: {
        tags,
        summary: 'Create an app; the HMAC secret is in this response only',
        params: MchNoParams,
        body: z.object({
          name: z.string().min(1).max(64),
          notifyUrl: z
            .url({ protocol: /^https?$/ })
            .max(512)
            .optional(),
          ipAllowlist: ipList.optional(),
          merchantPublicKey: z.string().max(4096).optional(),
          notifySignType: z.enum(SIGN_TYPES).optional(),
        }),
      },
    },
    async (request, reply) =>
      reply.code(201).send(await services.merchants.createApp(request.params.mchNo, request.body)),
  );

  api.patch(
    '/api/admin/apps/:appId',
    {
      schema: {
        tags,
        summary:
          'Edit an app: notify URL, IP allowlist, RSA public key (null removes it), notify sign type, state',
        params: AppIdParams,
        body: z.object({
          name: z.string().min(1).max(64).optional(),
          notifyUrl: z
            .url({ protocol: /^https?$/ })
            .max(512)
            .or(z.literal(''))
            .optional(),
          ipAllowlist: ipList.optional(),
          merchantPublicKey: z.string().max(4096).nullable().optional(),
          notifySignType: z.enum(SIGN_TYPES).optional(),
          state: z.enum(['enabled', 'disabled']).optional(),
        }),
      },
    },
    async (request) => services.merchants.updateApp(request.params.appId, request.body),
  );

  api.post(
    '/api/admin/apps/:appId/rotate-secret',
    {
      schema: {
        tags,
        summary: 'Issue a new HMAC secret (shown once); the old one stops working',
        params: AppIdParams,
      },
    },
    async (request) => services.merchants.rotateSecret(request.params.appId),
  );

  api.get(
    '/api/admin/apps/:appId/platform-public-key',
    {
      schema: {
        tags,
        summary: "The platform's RSA public key for this app (verifies RSA notifies)",
        params: AppIdParams,
      },
    },
    async (request, reply) =>
      reply
        .type('application/x-pem-file')
        .header('content-disposition', `attachment; filename="qingyun-${request.params.appId}.pem"`)
        .send(await services.merchants.platformPublicKey(request.params.appId)),
  );
}
