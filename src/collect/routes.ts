import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMerchantUser, requireOperator, sessionOf } from '../auth/guards.ts';
import { portalScope } from '../orders/portal-routes.ts';
import { blank } from '../orders/routes.ts';
import { POSTER_SIZES, QR_PNG_DEFAULT_WIDTH, QR_PNG_MAX_WIDTH, QR_PNG_MIN_WIDTH } from './printables.ts';
import { type CollectCodeRow, type CollectScope, MAX_PRODUCTS_PER_CODE, NAME_MAX_LENGTH } from './service.ts';

const IdParams = z.object({ id: z.string().regex(/^\d{1,18}$/, 'must be a collect code id') });
const UserId = z.string().regex(/^\d{1,18}$/, 'must be a user id');
const Name = z.string().trim().min(1).max(NAME_MAX_LENGTH);
const ProductCodes = z.array(z.string().trim().min(1).max(64)).min(1).max(MAX_PRODUCTS_PER_CODE);
const ListQuery = z.object({
  q: blank(z.string().trim().max(64)),
  enabled: blank(z.enum(['true', 'false'])),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
const manager = { merchantRole: 'manager' } as const;

/** What the audit log keeps of a code: everything but timestamps. */
const auditView = (row: CollectCodeRow) => ({
  code: row.code,
  name: row.name,
  appId: row.app_id,
  cashierUserId: row.cashier_user_id?.toString() ?? null,
  productCodes: row.product_codes,
  enabled: row.enabled,
});

/** Files are named after the code (ASCII, so the header needs no encoding). */
const fileName = (row: CollectCodeRow, suffix: string) => `qingyun-collect-${row.code}${suffix}`;
const disposition = (kind: 'inline' | 'attachment', name: string) => `${kind}; filename="${name}"`;

/**
 * Static QR codes in the merchant portal (MP-6): the store manager opens, edits, enables and
 * disables codes; a cashier sees (and prints) only the codes assigned to it. Every id is checked
 * against the session's merchant: another merchant's code is NOT_FOUND.
 */
export async function collectPortalRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMerchantUser(services));
  const tags = ['merchant portal: collect codes'];
  const scopeOf = (request: FastifyRequest): CollectScope => {
    const scope = portalScope(request);
    return { merchantId: scope.merchantId, cashierUserId: scope.createdByUserId };
  };
  const viewOf = async (row: CollectCodeRow) => (await services.collect.views([row]))[0]!;

  api.get(
    '/api/merchant/collect-codes',
    {
      schema: {
        tags,
        summary:
          "The merchant's static QR codes, newest first (a cashier's own only); q = part of the name or the code",
        querystring: ListQuery,
      },
    },
    async (request) => {
      const { q, enabled, limit, offset } = request.query;
      return services.collect.list(scopeOf(request), {
        search: q,
        enabled: enabled === undefined ? undefined : enabled === 'true',
        limit,
        offset,
      });
    },
  );

  api.post(
    '/api/merchant/collect-codes',
    {
      schema: {
        tags,
        summary: 'Open a static QR code for a store counter or a cashier',
        body: z
          .object({
            name: Name,
            appId: z.string().min(1).max(64).optional(),
            cashierUserId: UserId.nullable().optional(),
            productCodes: ProductCodes,
          })
          .strict(),
      },
      config: manager,
    },
    async (request, reply) => {
      const { merchantId } = scopeOf(request);
      const body = request.body;
      const row = await services.collect.create(merchantId, sessionOf(request).user.id, {
        name: body.name,
        appId: body.appId,
        cashierUserId: body.cashierUserId == null ? null : BigInt(body.cashierUserId),
        productCodes: body.productCodes,
      });
      noteAudit(request, { targetType: 'collect_code', targetId: String(row.id), after: auditView(row) });
      return reply.code(201).send(await viewOf(row));
    },
  );

  api.get(
    '/api/merchant/collect-codes/:id',
    { schema: { tags, summary: 'A static QR code', params: IdParams } },
    async (request) => viewOf(await services.collect.get(scopeOf(request), BigInt(request.params.id))),
  );

  api.patch(
    '/api/merchant/collect-codes/:id',
    {
      schema: {
        tags,
        summary: 'Rename a code, change its app, cashier (null: none) or methods, enable or disable it',
        params: IdParams,
        body: z
          .object({
            name: Name.optional(),
            appId: z.string().min(1).max(64).optional(),
            cashierUserId: UserId.nullable().optional(),
            productCodes: ProductCodes.optional(),
            enabled: z.boolean().optional(),
          })
          .strict(),
      },
      config: manager,
    },
    async (request) => {
      const body = request.body;
      const { before, after } = await services.collect.update(
        scopeOf(request).merchantId,
        BigInt(request.params.id),
        {
          ...body,
          cashierUserId:
            body.cashierUserId === undefined
              ? undefined
              : body.cashierUserId === null
                ? null
                : BigInt(body.cashierUserId),
        },
      );
      noteAudit(request, {
        targetType: 'collect_code',
        targetId: String(after.id),
        before: auditView(before),
        after: auditView(after),
      });
      return viewOf(after);
    },
  );

  api.get(
    '/api/merchant/collect-codes/:id/qr.png',
    {
      schema: {
        tags,
        summary: "The code's QR as a PNG (`width` in pixels; `download=1` to save it as a file)",
        params: IdParams,
        querystring: z.object({
          width: z.coerce
            .number()
            .int()
            .min(QR_PNG_MIN_WIDTH)
            .max(QR_PNG_MAX_WIDTH)
            .default(QR_PNG_DEFAULT_WIDTH),
          download: blank(z.enum(['0', '1'])),
        }),
      },
    },
    async (request, reply) => {
      const row = await services.collect.get(scopeOf(request), BigInt(request.params.id));
      const png = await services.collect.qrPng(row, request.query.width);
      return reply
        .type('image/png')
        .header('cache-control', 'private, no-cache')
        .header('x-content-type-options', 'nosniff')
        .header(
          'content-disposition',
          disposition(request.query.download === '1' ? 'attachment' : 'inline', fileName(row, '.png')),
        )
        .send(png);
    },
  );

  api.get(
    '/api/merchant/collect-codes/:id/poster.pdf',
    {
      schema: {
        tags,
        summary: 'A printable poster (A5 or A6) with the names, the QR and the methods',
        params: IdParams,
        querystring: z.object({ size: blank(z.enum(POSTER_SIZES)) }),
      },
    },
    async (request, reply) => {
      const row = await services.collect.get(scopeOf(request), BigInt(request.params.id));
      const size = request.query.size ?? 'A5';
      const pdf = await services.collect.posterPdf(row, size);
      return reply
        .type('application/pdf')
        .header('cache-control', 'private, no-cache')
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', disposition('attachment', fileName(row, `-${size}.pdf`)))
        .send(pdf);
    },
  );
}

/** Operators see a merchant's codes (support: "which counter is this QR?"). */
export async function collectAdminRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));

  api.get(
    '/api/admin/merchants/:mchNo/collect-codes',
    {
      schema: {
        tags: ['operator: merchants'],
        summary: "A merchant's static QR codes, newest first",
        params: z.object({ mchNo: z.string().min(1).max(32) }),
        querystring: ListQuery,
      },
      config: { permission: 'merchant.read' },
    },
    async (request) => {
      const merchant = await services.merchants.requireMerchant(request.params.mchNo);
      const { q, enabled, limit, offset } = request.query;
      return services.collect.list(
        { merchantId: merchant.id, cashierUserId: null },
        { search: q, enabled: enabled === undefined ? undefined : enabled === 'true', limit, offset },
      );
    },
  );
}
