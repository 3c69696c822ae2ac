import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireOperator } from '../auth/guards.ts';
import { listAdapters } from '../channels/registry.ts';
import { PAY_WAYS } from '../channels/types.ts';
import { AppError } from '../errors.ts';
import { toJsonAmount } from '../money/money.ts';
import { FEE_REFUND_MODES, type ProductRow } from './queries.ts';

const ppm = z.number().int().min(0).max(1_000_000);
/** A fixed fee or minimum per order, in minor units (fen); up to 10 000 yuan. */
export const feeMinor = z.number().int().min(0).max(1_000_000);
const minor = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');
const AccountIdParams = z.object({ id: z.string().regex(/^\d{1,18}$/) });
const toBig = (n: number | null | undefined) => (n === null || n === undefined ? null : BigInt(n));
const read = { permission: 'catalog.read' } as const;
const write = { permission: 'catalog.write' } as const;

/** Operator API for products, channels, channel accounts and bindings (OP-4, OP-5). */
export async function catalogRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: products and channels'];

  api.get(
    '/api/admin/products',
    {
      schema: {
        tags,
        summary:
          'List products; channelBound is false while no enabled channel account is bound (the product takes no orders)',
      },
      config: read,
    },
    async () =>
      Promise.all(
        (await services.catalog.listProducts()).map(async (p) => ({
          ...productView(p),
          channelBound: await services.catalog.hasChannel(p.id),
        })),
      ),
  );

  api.post(
    '/api/admin/products',
    {
      schema: {
        tags,
        summary: 'Create a product',
        body: z.object({
          code: z.string().regex(/^[a-z0-9_]{2,32}$/, 'lower-case letters, digits and _'),
          name: z.string().min(1).max(64),
          currency: z
            .string()
            .regex(/^[A-Z]{3}$/)
            .default('CNY'),
          minAmount: minor,
          maxAmount: minor,
          defaultRatePpm: ppm,
          defaultFixedFee: feeMinor.default(0),
          defaultMinimumFee: feeMinor.default(0),
          /** How the payer pays (Jeepay's way codes); routing sends its orders only to adapters that serve it. */
          payWay: z.enum(PAY_WAYS).default('ALI_QR'),
        }),
      },
      config: write,
    },
    async (request, reply) => {
      const b = request.body;
      const product = productView(
        await services.catalog.createProduct({
          ...b,
          minAmount: BigInt(b.minAmount),
          maxAmount: BigInt(b.maxAmount),
          defaultFixedFee: BigInt(b.defaultFixedFee),
          defaultMinimumFee: BigInt(b.defaultMinimumFee),
        }),
      );
      noteAudit(request, { targetType: 'product', targetId: product.code, after: product });
      return reply.code(201).send(product);
    },
  );

  api.patch(
    '/api/admin/products/:code',
    {
      schema: {
        tags,
        summary: 'Edit a product',
        params: z.object({ code: z.string() }),
        body: z.object({
          name: z.string().min(1).max(64).optional(),
          minAmount: minor.optional(),
          maxAmount: minor.optional(),
          defaultRatePpm: ppm.optional(),
          defaultFixedFee: feeMinor.optional(),
          defaultMinimumFee: feeMinor.optional(),
          enabled: z.boolean().optional(),
          feeRefundMode: z.enum(FEE_REFUND_MODES).optional(),
          payWay: z.enum(PAY_WAYS).optional(),
          /** Default order timeout in seconds (60 – 86 400); null: the platform's 30 minutes. */
          expireSeconds: z.number().int().nullable().optional(),
        }),
      },
      config: write,
    },
    async (request) => {
      const b = request.body;
      const before = productView(await services.catalog.requireProduct(request.params.code));
      const after = productView(
        await services.catalog.updateProduct(request.params.code, {
          ...b,
          minAmount: toBig(b.minAmount) ?? undefined,
          maxAmount: toBig(b.maxAmount) ?? undefined,
          defaultFixedFee: toBig(b.defaultFixedFee) ?? undefined,
          defaultMinimumFee: toBig(b.defaultMinimumFee) ?? undefined,
        }),
      );
      noteAudit(request, { targetType: 'product', targetId: after.code, before, after });
      return after;
    },
  );

  api.get(
    '/api/admin/adapters',
    {
      schema: {
        tags,
        summary:
          'Channel adapters this build has: the pay ways each serves, what else it can do, and the credential fields of its accounts',
      },
      config: read,
    },
    async () =>
      listAdapters().map((a) => ({
        code: a.code,
        name: a.name,
        testChannel: a.testChannel === true,
        payWays: [...a.payWays],
        capabilities: {
          authCode: a.supportsAuthCode,
          refunds: true,
          payouts: a.supportsPayout === true,
          statements: typeof a.fetchStatement === 'function',
        },
        credentialFields: a.credentialFields,
      })),
  );

  api.get('/api/admin/channels', { schema: { tags, summary: 'List channels' }, config: read }, async () =>
    (await services.catalog.listChannels()).map((c) => ({
      id: c.id.toString(),
      code: c.code,
      name: c.name,
      adapterCode: c.adapter_code,
      enabled: c.enabled,
      remarks: c.remarks,
    })),
  );

  api.patch(
    '/api/admin/channels/:code',
    {
      schema: {
        tags,
        summary:
          "Edit a channel: name, remarks, enabled (a disabled channel's accounts take no orders and pay nothing out)",
        params: z.object({ code: z.string() }),
        body: z.object({
          name: z.string().trim().min(1).max(64).optional(),
          remarks: z.string().max(500).optional(),
          enabled: z.boolean().optional(),
        }),
      },
      config: write,
    },
    async (request) => {
      const before = (await services.catalog.listChannels()).find((c) => c.code === request.params.code);
      const c = await services.catalog.updateChannel(request.params.code, request.body);
      const view = {
        id: c.id.toString(),
        code: c.code,
        name: c.name,
        adapterCode: c.adapter_code,
        enabled: c.enabled,
        remarks: c.remarks,
      };
      noteAudit(request, {
        targetType: 'channel',
        targetId: view.id,
        before: before ? { name: before.name, enabled: before.enabled, remarks: before.remarks } : null,
        after: { name: view.name, enabled: view.enabled, remarks: view.remarks },
      });
      return view;
    },
  );

  api.post(
    '/api/admin/channels',
    {
      schema: {
        tags,
        summary: 'Create a channel (an upstream provider)',
        body: z.object({
          code: z.string().regex(/^[a-z0-9_]{2,32}$/),
          name: z.string().min(1).max(64),
          adapterCode: z.string().min(1),
        }),
      },
      config: write,
    },
    async (request, reply) => {
      const c = await services.catalog.createChannel(request.body);
      const view = { id: c.id.toString(), code: c.code, name: c.name, adapterCode: c.adapter_code };
      noteAudit(request, { targetType: 'channel', targetId: view.id, after: view });
      return reply.code(201).send(view);
    },
  );

  api.get(
    '/api/admin/channel-accounts',
    {
      schema: {
        tags,
        summary:
          'List channel accounts: non-secret credential fields (app id, merchant id, gateway …) and which secrets are stored, never a secret or key; the notify URLs to give the channel',
      },
      config: read,
    },
    async () =>
      (await services.catalog.listChannelAccounts()).map((a) => ({
        ...a,
        id: a.id.toString(),
        notifyUrl: services.channels.notifyUrlOf(a.id),
        refundNotifyUrl: services.channels.refundNotifyUrlOf(a.id),
        rates: a.rates.map((r) => ({
          ...r,
          fixedCost: toJsonAmount(r.fixedCost),
          minimumCost: toJsonAmount(r.minimumCost),
        })),
      })),
  );

  api.post(
    '/api/admin/channel-accounts',
    {
      schema: {
        tags,
        summary: 'Create a channel account with its credentials (write-only) and cost rates',
        body: z.object({
          channelCode: z.string(),
          name: z.string().min(1).max(64),
          credentials: z.record(z.string(), z.unknown()),
          config: z.record(z.string(), z.unknown()).optional(),
          rates: z
            .array(
              z.object({
                productCode: z.string(),
                costRatePpm: ppm,
                fixedCost: feeMinor.default(0),
                minimumCost: feeMinor.default(0),
              }),
            )
            .max(100)
            .optional(),
        }),
      },
      config: write,
    },
    async (request, reply) => {
      const account = await services.catalog.createChannelAccount({
        ...request.body,
        rates: request.body.rates?.map((r) => ({
          ...r,
          fixedCost: BigInt(r.fixedCost),
          minimumCost: BigInt(r.minimumCost),
        })),
      });
      const view = { id: account.id.toString(), name: account.name, enabled: account.enabled };
      // Credentials never reach the audit log: only that they were set.
      noteAudit(request, {
        targetType: 'channel_account',
        targetId: view.id,
        after: { ...view, config: request.body.config ?? {}, rates: request.body.rates ?? [] },
      });
      return reply.code(201).send(view);
    },
  );

  api.patch(
    '/api/admin/channel-accounts/:id',
    {
      schema: {
        tags,
        summary:
          'Edit a channel account: name, credentials (merged into the stored ones: a blank secret or key keeps the stored value; the whole is validated), settings, enabled, payoutEnabled (pays out, 代付)',
        params: AccountIdParams,
        body: z.object({
          name: z.string().min(1).max(64).optional(),
          credentials: z.record(z.string(), z.unknown()).optional(),
          config: z.record(z.string(), z.unknown()).optional(),
          enabled: z.boolean().optional(),
          payoutEnabled: z.boolean().optional(),
        }),
      },
      config: write,
    },
    async (request) => {
      const { credentials, ...rest } = request.body;
      const a = await services.catalog.updateChannelAccount(BigInt(request.params.id), {
        ...rest,
        credentialsPatch: credentials,
      });
      const view = {
        id: a.id.toString(),
        name: a.name,
        enabled: a.enabled,
        payoutEnabled: a.payout_enabled,
        config: a.config,
      };
      noteAudit(request, {
        targetType: 'channel_account',
        targetId: view.id,
        // Which credential fields were given, never their values.
        after: {
          ...view,
          credentialsReplaced: request.body.credentials !== undefined,
          ...(request.body.credentials
            ? {
                credentialFields: Object.entries(request.body.credentials)
                  .filter(([, v]) => v !== '' && v !== null && v !== undefined)
                  .map(([k]) => k),
              }
            : {}),
        },
      });
      return view;
    },
  );

  api.post(
    '/api/admin/channel-accounts/:id/test-connection',
    {
      schema: {
        tags,
        summary:
          "Test a channel account's keys and network without moving money: { ok, code?, message } (code: CHANNEL_UNREACHABLE, CHANNEL_TIMEOUT, CHANNEL_BAD_SIGNATURE, CHANNEL_AUTH_FAILED, CHANNEL_BAD_RESPONSE, INVALID_CREDENTIALS)",
        params: AccountIdParams,
      },
      config: write,
    },
    async (request) => {
      const id = BigInt(request.params.id);
      if (!(await services.catalog.channelAccount(id)))
        throw new AppError('NOT_FOUND', `channel account ${id} not found`);
      const result = await services.channels.testConnection(id);
      noteAudit(request, {
        targetType: 'channel_account',
        targetId: id.toString(),
        after: result.ok ? { ok: true } : { ok: false, code: result.code },
      });
      return result;
    },
  );

  api.put(
    '/api/admin/channel-accounts/:id/rates/:productCode',
    {
      schema: {
        tags,
        summary:
          "Set a channel account's cost for a product: rate (ppm), fixed cost and minimum per order (fen, default 0)",
        params: z.object({ id: z.string().regex(/^\d{1,18}$/), productCode: z.string() }),
        body: z.object({
          costRatePpm: ppm,
          fixedCost: feeMinor.default(0),
          minimumCost: feeMinor.default(0),
        }),
      },
      config: write,
    },
    async (request) => {
      await services.catalog.setChannelAccountRate(BigInt(request.params.id), {
        productCode: request.params.productCode,
        costRatePpm: request.body.costRatePpm,
        fixedCost: BigInt(request.body.fixedCost),
        minimumCost: BigInt(request.body.minimumCost),
      });
      noteAudit(request, {
        targetType: 'channel_account_rate',
        targetId: `${request.params.id}/${request.params.productCode}`,
        after: request.body,
      });
      return { ok: true };
    },
  );

  api.get(
    '/api/admin/products/:code/bindings',
    {
      schema: { tags, summary: "A product's channel bindings", params: z.object({ code: z.string() }) },
      config: read,
    },
    async (request) => (await services.catalog.listBindings(request.params.code)).map(bindingView),
  );

  api.put(
    '/api/admin/products/:code/bindings/:channelAccountId',
    {
      schema: {
        tags,
        summary: 'Bind a channel account to a product (or edit the binding)',
        params: z.object({ code: z.string(), channelAccountId: z.string().regex(/^\d{1,18}$/) }),
        body: z.object({
          weight: z.number().int().min(0).max(10_000).default(100),
          priority: z.number().int().min(-1000).max(1000).default(0),
          minAmount: minor.nullable().default(null),
          maxAmount: minor.nullable().default(null),
          dailyLimit: minor.nullable().default(null),
          windowStart: clock.nullable().default(null),
          windowEnd: clock.nullable().default(null),
          enabled: z.boolean().default(true),
          /** Required to bind a test (sandbox) account in production: its orders are never settled. */
          allowTestAccount: z.boolean().optional(),
          /**
           * The operator's consent that this account may cost more than the top agent's rate: routing
           * picks it anyway and the platform bears the difference.
           */
          allowedAtLoss: z.boolean().optional(),
        }),
      },
      config: write,
    },
    async (request) => {
      const { allowTestAccount, allowedAtLoss, ...b } = request.body;
      await services.catalog.upsertBinding(
        request.params.code,
        BigInt(request.params.channelAccountId),
        {
          ...b,
          minAmount: toBig(b.minAmount),
          maxAmount: toBig(b.maxAmount),
          dailyLimit: toBig(b.dailyLimit),
        },
        { allowTestAccount, allowedAtLoss },
      );
      noteAudit(request, {
        targetType: 'product_binding',
        targetId: `${request.params.code}/${request.params.channelAccountId}`,
        after: request.body,
      });
      return { ok: true };
    },
  );

  api.delete(
    '/api/admin/products/:code/bindings/:channelAccountId',
    {
      schema: {
        tags,
        summary: 'Unbind a channel account from a product',
        params: z.object({ code: z.string(), channelAccountId: z.string().regex(/^\d{1,18}$/) }),
      },
      config: write,
    },
    async (request) => {
      await services.catalog.deleteBinding(request.params.code, BigInt(request.params.channelAccountId));
      noteAudit(request, {
        targetType: 'product_binding',
        targetId: `${request.params.code}/${request.params.channelAccountId}`,
        after: null,
      });
      return { ok: true };
    },
  );
}

/** A merchant's own bindings of its products (the merchant detail screen, routing's override). */
export async function merchantBindingRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: products and channels'];

  api.get(
    '/api/admin/merchants/:mchNo/bindings',
    {
      schema: {
        tags,
        summary:
          "A merchant's own channel bindings, per product: routing uses them for this merchant instead of the product's",
        params: z.object({ mchNo: z.string() }),
      },
      config: read,
    },
    async (request) => {
      const merchant = await services.merchants.requireMerchant(request.params.mchNo);
      return (await services.catalog.merchantBindings(merchant.id)).map(merchantBindingView);
    },
  );

  api.put(
    '/api/admin/merchants/:mchNo/bindings/:productCode',
    {
      schema: {
        tags,
        summary:
          "Give a merchant its own binding list for a product (replaces the one it had; an empty list goes back to the product's bindings). Each account's cost must be within the merchant's rate",
        params: z.object({ mchNo: z.string(), productCode: z.string() }),
        body: z.object({
          bindings: z
            .array(
              z.object({
                channelAccountId: z.string().regex(/^\d{1,18}$/),
                weight: z.number().int().min(0).max(10_000).default(100),
                priority: z.number().int().min(-1000).max(1000).default(0),
                minAmount: minor.nullable().default(null),
                maxAmount: minor.nullable().default(null),
                dailyLimit: minor.nullable().default(null),
                windowStart: clock.nullable().default(null),
                windowEnd: clock.nullable().default(null),
                enabled: z.boolean().default(true),
                allowTestAccount: z.boolean().optional(),
                allowedAtLoss: z.boolean().optional(),
              }),
            )
            .max(50),
        }),
      },
      config: write,
    },
    async (request) => {
      const merchant = await services.merchants.requireMerchant(request.params.mchNo);
      const before = (await services.catalog.merchantBindings(merchant.id))
        .filter((b) => b.product_code === request.params.productCode)
        .map(merchantBindingView);
      const saved = await services.catalog.setMerchantBindings(
        merchant.id,
        request.params.productCode,
        request.body.bindings.map((b) => ({
          ...b,
          channelAccountId: BigInt(b.channelAccountId),
          minAmount: toBig(b.minAmount),
          maxAmount: toBig(b.maxAmount),
          dailyLimit: toBig(b.dailyLimit),
        })),
      );
      const after = saved.map(merchantBindingView);
      noteAudit(request, {
        targetType: 'merchant_product',
        targetId: `${merchant.mch_no}/${request.params.productCode}`,
        before: { bindings: before.map(auditBinding) },
        after: { bindings: after.map(auditBinding) },
      });
      return after;
    },
  );
}

type BindingRow = Awaited<ReturnType<Services['catalog']['listBindings']>>[number];
type MerchantBindingRow = Awaited<ReturnType<Services['catalog']['merchantBindings']>>[number];

/** A binding as the console shows it: a product's, or one merchant's own. */
function bindingView(b: Omit<BindingRow, 'id' | 'product_id'>) {
  return {
    channelAccountId: b.channel_account_id.toString(),
    accountName: b.account_name,
    adapterCode: b.adapter_code,
    costRatePpm: b.cost_rate_ppm,
    fixedCost: b.fixed_cost === null ? null : toJsonAmount(b.fixed_cost),
    minimumCost: b.minimum_cost === null ? null : toJsonAmount(b.minimum_cost),
    weight: b.weight,
    priority: b.priority,
    minAmount: b.min_amount === null ? null : toJsonAmount(b.min_amount),
    maxAmount: b.max_amount === null ? null : toJsonAmount(b.max_amount),
    dailyLimit: b.daily_limit === null ? null : toJsonAmount(b.daily_limit),
    windowStart: b.window_start,
    windowEnd: b.window_end,
    enabled: b.enabled,
    accountEnabled: b.account_enabled && b.channel_enabled,
    testAccount: b.account_test,
    testAccountAllowed: b.test_account_allowed,
    allowedAtLoss: b.allowed_at_loss,
  };
}

function merchantBindingView(b: MerchantBindingRow) {
  return { productCode: b.product_code, ...bindingView(b) };
}

/** What the audit log keeps of a binding: the routing fields, by account. */
function auditBinding(b: ReturnType<typeof merchantBindingView>) {
  return {
    channelAccountId: b.channelAccountId,
    weight: b.weight,
    priority: b.priority,
    minAmount: b.minAmount,
    maxAmount: b.maxAmount,
    dailyLimit: b.dailyLimit,
    windowStart: b.windowStart,
    windowEnd: b.windowEnd,
    enabled: b.enabled,
  };
}

function productView(p: ProductRow) {
  return {
    code: p.code,
    name: p.name,
    currency: p.currency,
    minAmount: toJsonAmount(p.min_amount),
    maxAmount: toJsonAmount(p.max_amount),
    defaultRatePpm: p.default_rate_ppm,
    defaultFixedFee: toJsonAmount(p.default_fixed_fee),
    defaultMinimumFee: toJsonAmount(p.default_minimum_fee),
    enabled: p.enabled,
    feeRefundMode: p.fee_refund_mode,
    payWay: p.pay_way,
    /** Seconds a new order stays payable when the merchant does not say; null: the platform's 30 minutes. */
    expireSeconds: p.expire_seconds,
  };
}
