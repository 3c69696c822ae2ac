import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SIGN_TYPES } from '../../sdk/signing.ts';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireOperator, sessionOf } from '../auth/guards.ts';
import { isIpOrCidr } from '../auth/ip-allowlist.ts';
import type { ConsoleUserWithRole } from '../auth/queries.ts';
import { feeMinor } from '../catalog/routes.ts';
import { AppError } from '../errors.ts';
import { toJsonAmount } from '../money/money.ts';
import { ACCEPTED_SIGN_TYPES, APP_PROTOCOLS, MERCHANT_STATES } from './queries.ts';
import { DEFAULT_SECRET_GRACE_SECONDS, MAX_SECRET_GRACE_SECONDS, merchantView } from './service.ts';

const MchNoParams = z.object({ mchNo: z.string().min(1).max(32) });
const AppIdParams = z.object({ appId: z.string().min(1).max(64) });
export const ipList = z.array(z.string().refine(isIpOrCidr, 'must be an IP address or CIDR range')).max(50);
export const notifyUrlSchema = z
  .url({ protocol: /^https?$/ })
  .max(512)
  .or(z.literal(''));
const Username = z.string().min(3).max(64);
const Password = z.string().min(1).max(256);
const Email = z.email().max(128).or(z.literal(''));

/**
 * How long the secret a rotation replaces keeps signing requests: 0 stops it at once (a leak),
 * default a day, at most a week.
 */
export const RotateSecretBody = z
  .object({
    graceSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_SECRET_GRACE_SECONDS)
      .default(DEFAULT_SECRET_GRACE_SECONDS)
      .describe('seconds the replaced secret still signs requests: 0 = now (a leak); default 86400'),
  })
  .strict()
  .optional();

const read = { permission: 'merchant.read' } as const;
const write = { permission: 'merchant.write' } as const;

/** A merchant user (store manager or cashier) as the consoles show it. */
export function merchantUserView(row: ConsoleUserWithRole) {
  return {
    id: String(row.id),
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    merchantRole: row.merchant_role,
    enabled: row.enabled,
    totpEnabled: row.totp_enabled,
    mustChangePassword: row.must_change_password,
    lockedUntil:
      row.locked_until && row.locked_until.getTime() > Date.now() ? row.locked_until.toISOString() : null,
    lastLoginAt: row.last_login_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

/** Creates a merchant user whose password was chosen by someone else: it is changed at first login. */
export async function createMerchantUser(
  services: Services,
  merchant: { id: bigint },
  input: {
    username: string;
    password: string;
    displayName?: string;
    email?: string;
    merchantRole: 'manager' | 'cashier';
  },
  createdBy: bigint,
) {
  const user = await services.consoleUsers.createUser({
    area: 'merchant',
    username: input.username,
    password: input.password,
    displayName: input.displayName,
    email: input.email,
    merchantId: merchant.id,
    merchantRole: input.merchantRole,
    mustChangePassword: true,
    createdBy,
  });
  return merchantUserView((await services.consoleUsers.userRow(user.id))!);
}

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
          state: z.enum(MERCHANT_STATES).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
      config: read,
    },
    async (request) =>
      services.merchants.listMerchants({ ...request.query, search: request.query.q || undefined }),
  );

  api.post(
    '/api/admin/merchants',
    {
      schema: {
        tags,
        summary:
          'Open a merchant account; `review` opens it pending review, `manager` creates its store manager login',
        body: z.object({
          name: z.string().min(1).max(128),
          shortName: z.string().max(64).optional(),
          contact: z.string().max(128).optional(),
          review: z.boolean().optional(),
          manager: z.object({ username: Username, password: Password, email: Email.optional() }).optional(),
        }),
      },
      config: write,
    },
    async (request, reply) => {
      const { manager, ...fields } = request.body;
      const merchant = await services.merchants.createMerchant(fields);
      let managerView: ReturnType<typeof merchantUserView> | null = null;
      if (manager) {
        try {
          managerView = await createMerchantUser(
            services,
            merchant,
            { ...manager, merchantRole: 'manager' },
            sessionOf(request).user.id,
          );
        } catch (error) {
          // The merchant and its manager are opened together or not at all.
          await services.merchants.discardNewMerchant(merchant.id);
          throw error;
        }
      }
      const view = merchantView(merchant);
      noteAudit(request, {
        targetType: 'merchant',
        targetId: merchant.mch_no,
        after: { ...view, manager: managerView?.username ?? null },
      });
      return reply.code(201).send(view);
    },
  );

  api.get(
    '/api/admin/merchants/:mchNo',
    {
      schema: { tags, summary: 'Get a merchant with its apps, products and users', params: MchNoParams },
      config: read,
    },
    async (request) => {
      const merchant = await services.merchants.requireMerchant(request.params.mchNo);
      const [apps, rates, users] = await Promise.all([
        services.merchants.listApps(merchant.mch_no),
        services.catalog.listMerchantRates(merchant.id),
        services.consoleUsers.listUsers({ area: 'merchant', merchantId: merchant.id, limit: 200, offset: 0 }),
      ]);
      return {
        ...merchantView(merchant),
        apps,
        products: rates.map((r) => ({
          productCode: r.product_code,
          productName: r.product_name,
          currency: r.currency,
          ratePpm: r.rate_ppm,
          fixedFee: toJsonAmount(r.fixed_fee),
          minimumFee: toJsonAmount(r.minimum_fee),
          enabled: r.enabled,
        })),
        users: users.rows.map(merchantUserView),
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
      config: write,
    },
    async (request) => {
      const before = merchantView(await services.merchants.requireMerchant(request.params.mchNo));
      const after = merchantView(await services.merchants.updateMerchant(request.params.mchNo, request.body));
      noteAudit(request, { targetType: 'merchant', targetId: after.mchNo, before, after });
      return after;
    },
  );

  api.post(
    '/api/admin/merchants/:mchNo/review',
    {
      schema: {
        tags,
        summary: 'Review a pending merchant: approve (enabled) or reject, with a remark',
        params: MchNoParams,
        body: z.object({ approve: z.boolean(), remark: z.string().max(512).default('') }),
      },
      config: write,
    },
    async (request) => {
      const before = merchantView(await services.merchants.requireMerchant(request.params.mchNo));
      const after = merchantView(
        await services.merchants.reviewMerchant(
          request.params.mchNo,
          request.body.approve,
          request.body.remark,
        ),
      );
      noteAudit(request, { targetType: 'merchant', targetId: after.mchNo, before, after });
      return after;
    },
  );

  api.post(
    '/api/admin/merchants/:mchNo/users',
    {
      schema: {
        tags,
        summary: 'Create a store manager or cashier login (the password is changed at first login)',
        params: MchNoParams,
        body: z.object({
          username: Username,
          password: Password,
          displayName: z.string().max(64).optional(),
          email: Email.optional(),
          merchantRole: z.enum(['manager', 'cashier']),
        }),
      },
      config: write,
    },
    async (request, reply) => {
      const merchant = await services.merchants.requireMerchant(request.params.mchNo);
      const user = await createMerchantUser(services, merchant, request.body, sessionOf(request).user.id);
      noteAudit(request, {
        targetType: 'merchant_user',
        targetId: user.id,
        after: { ...user, mchNo: merchant.mch_no },
      });
      return reply.code(201).send(user);
    },
  );

  const UserParams = MchNoParams.extend({ userId: z.coerce.bigint().positive() });
  /** A login of this merchant; another merchant's user id is "not found". */
  const requireUserOf = async (mchNo: string, userId: bigint) => {
    const merchant = await services.merchants.requireMerchant(mchNo);
    const row = await services.consoleUsers.userRow(userId);
    if (row?.area !== 'merchant' || row.merchant_id !== merchant.id) {
      throw new AppError('NOT_FOUND', 'no such user of this merchant');
    }
    return merchantUserView(row);
  };

  api.patch(
    '/api/admin/merchants/:mchNo/users/:userId',
    {
      schema: {
        tags,
        summary: 'Edit, enable or disable a merchant login',
        params: UserParams,
        body: z.object({
          displayName: z.string().max(64).optional(),
          email: Email.optional(),
          enabled: z.boolean().optional(),
        }),
      },
      config: write,
    },
    async (request) => {
      const before = await requireUserOf(request.params.mchNo, request.params.userId);
      await services.consoleUsers.updateUser(request.params.userId, request.body);
      const after = await requireUserOf(request.params.mchNo, request.params.userId);
      noteAudit(request, { targetType: 'merchant_user', targetId: after.id, before, after });
      return after;
    },
  );

  api.post(
    '/api/admin/merchants/:mchNo/users/:userId/reset-password',
    {
      schema: { tags, summary: 'Give a merchant login a temporary password', params: UserParams },
      config: write,
    },
    async (request) => {
      const user = await requireUserOf(request.params.mchNo, request.params.userId);
      noteAudit(request, {
        targetType: 'merchant_user',
        targetId: user.id,
        after: { temporaryPasswordIssued: true },
      });
      return { temporaryPassword: await services.consoleUsers.resetPasswordByAdmin(request.params.userId) };
    },
  );

  api.post(
    '/api/admin/merchants/:mchNo/users/:userId/reset-totp',
    {
      schema: { tags, summary: 'Remove a merchant login’s authenticator', params: UserParams },
      config: write,
    },
    async (request) => {
      const user = await requireUserOf(request.params.mchNo, request.params.userId);
      await services.consoleUsers.resetTotpByAdmin(request.params.userId);
      noteAudit(request, {
        targetType: 'merchant_user',
        targetId: user.id,
        before: { totpEnabled: user.totpEnabled },
        after: { totpEnabled: false },
      });
      return requireUserOf(request.params.mchNo, request.params.userId);
    },
  );

  api.post(
    '/api/admin/merchants/:mchNo/users/:userId/unlock',
    { schema: { tags, summary: 'Lift a merchant login’s lockout', params: UserParams }, config: write },
    async (request) => {
      const user = await requireUserOf(request.params.mchNo, request.params.userId);
      await services.consoleUsers.unlock(request.params.userId);
      noteAudit(request, {
        targetType: 'merchant_user',
        targetId: user.id,
        before: { lockedUntil: user.lockedUntil },
        after: { lockedUntil: null },
      });
      return requireUserOf(request.params.mchNo, request.params.userId);
    },
  );

  api.put(
    '/api/admin/merchants/:mchNo/products/:productCode',
    {
      schema: {
        tags,
        summary:
          "Open a product to a merchant at a rate (ppm), fixed fee and minimum fee per order (fen); each defaults to the product's",
        params: z.object({ mchNo: z.string(), productCode: z.string() }),
        body: z.object({
          ratePpm: z.number().int().min(0).max(1_000_000).optional(),
          fixedFee: feeMinor.optional(),
          minimumFee: feeMinor.optional(),
          enabled: z.boolean().default(true),
        }),
      },
      config: write,
    },
    async (request) => {
      const merchant = await services.merchants.requireMerchant(request.params.mchNo);
      const before = (await services.catalog.listMerchantRates(merchant.id)).find(
        (r) => r.product_code === request.params.productCode,
      );
      const { ratePpm, fixedFee, minimumFee, enabled } = request.body;
      const set = await services.catalog.setMerchantRate(
        merchant.id,
        request.params.productCode,
        { ratePpm, fixedFee: optionalBig(fixedFee), minimumFee: optionalBig(minimumFee) },
        enabled,
      );
      const after = {
        ...set,
        fixedFee: toJsonAmount(set.fixedFee),
        minimumFee: toJsonAmount(set.minimumFee),
      };
      noteAudit(request, {
        targetType: 'merchant_product',
        targetId: `${merchant.mch_no}/${request.params.productCode}`,
        before: before
          ? {
              ratePpm: before.rate_ppm,
              fixedFee: toJsonAmount(before.fixed_fee),
              minimumFee: toJsonAmount(before.minimum_fee),
              enabled: before.enabled,
            }
          : null,
        after,
      });
      return after;
    },
  );

  api.get(
    '/api/admin/merchants/:mchNo/apps',
    { schema: { tags, summary: "A merchant's apps", params: MchNoParams }, config: read },
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
          acceptedSignType: z.enum(ACCEPTED_SIGN_TYPES).optional(),
        }),
      },
      config: write,
    },
    async (request, reply) => {
      const created = await services.merchants.createApp(request.params.mchNo, request.body);
      noteAudit(request, { targetType: 'app', targetId: created.app.appId, after: created.app });
      return reply.code(201).send(created);
    },
  );

  api.patch(
    '/api/admin/apps/:appId',
    {
      schema: {
        tags,
        summary:
          'Edit an app: notify URL, IP allowlist, RSA public key (null removes it), notify sign type, the request sign types it accepts, state',
        params: AppIdParams,
        body: z.object({
          name: z.string().min(1).max(64).optional(),
          notifyUrl: notifyUrlSchema.optional(),
          ipAllowlist: ipList.optional(),
          merchantPublicKey: z.string().max(4096).nullable().optional(),
          notifySignType: z.enum(SIGN_TYPES).optional(),
          acceptedSignType: z.enum(ACCEPTED_SIGN_TYPES).optional(),
          state: z.enum(['enabled', 'disabled']).optional(),
        }),
      },
      config: write,
    },
    async (request) => {
      const before = await services.merchants.requireAppById(request.params.appId);
      const after = await services.merchants.updateApp(request.params.appId, request.body);
      noteAudit(request, { targetType: 'app', targetId: after.appId, before, after });
      return after;
    },
  );

  api.post(
    '/api/admin/apps/:appId/rotate-secret',
    {
      schema: {
        tags,
        summary:
          'Issue a new HMAC secret (shown once); the old one still signs requests for graceSeconds (0: stops at once), notifies use the new one',
        params: AppIdParams,
        body: RotateSecretBody,
      },
      config: write,
    },
    async (request) => {
      const graceSeconds = request.body?.graceSeconds ?? DEFAULT_SECRET_GRACE_SECONDS;
      const rotated = await services.merchants.rotateSecret(request.params.appId, graceSeconds);
      noteAudit(request, {
        targetType: 'app',
        targetId: rotated.appId,
        after: { secretRotated: true, oldKeyExpiresAt: rotated.oldKeyExpiresAt },
      });
      return rotated;
    },
  );

  api.put(
    '/api/admin/apps/:appId/protocol',
    {
      schema: {
        tags,
        summary:
          "Set the API an app speaks: qingyun (ours), or jeepay / epay for merchants moving from those (MD5 with the app's own key, generated on opting in and answered once as md5Key; rotateMd5Key issues a new one; back to qingyun destroys it), and which product each Jeepay wayCode or epay type takes",
        params: AppIdParams,
        body: z.object({
          protocol: z.enum(APP_PROTOCOLS),
          products: z.record(z.string().regex(/^[A-Za-z0-9_]{1,32}$/), z.string().min(1).max(64)).default({}),
          rotateMd5Key: z.boolean().optional(),
        }),
      },
      config: write,
    },
    async (request) => {
      const before = await services.merchants.requireAppById(request.params.appId);
      const { protocol, products, rotateMd5Key } = request.body;
      const result = await services.merchants.setProtocol(request.params.appId, protocol, products, {
        rotateMd5Key,
      });
      noteAudit(request, {
        targetType: 'app',
        targetId: result.app.appId,
        before: { protocol: before.protocol, protocolProducts: before.protocolProducts },
        after: {
          protocol: result.app.protocol,
          protocolProducts: result.app.protocolProducts,
          md5KeyIssued: result.md5Key !== null,
        },
      });
      return result;
    },
  );

  api.get(
    '/api/admin/apps/:appId/platform-public-key',
    {
      schema: {
        tags,
        summary: "The platform's RSA public key for this app (verifies RSA notifies)",
        params: AppIdParams,
      },
      config: read,
    },
    async (request, reply) =>
      reply
        .type('application/x-pem-file')
        .header('content-disposition', `attachment; filename="qingyun-${request.params.appId}.pem"`)
        .send(await services.merchants.platformPublicKey(request.params.appId)),
  );
}

const optionalBig = (n: number | undefined) => (n === undefined ? undefined : BigInt(n));
