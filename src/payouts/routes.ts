import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMerchantUser, requireOperator, sessionOf } from '../auth/guards.ts';
import { exportFormat } from '../exports/routes.ts';
import { toJsonAmount } from '../money/money.ts';
import { portalScope } from '../orders/portal-routes.ts';
import { amountSchema, blank, merchantSignatureGuard, windowOf } from '../orders/routes.ts';
import { checkCompletionPassword } from '../settings/completion-password.ts';
import { TimeBound } from '../stats/time.ts';
import { ownerLookUp, ownerViews } from '../withdrawals/owner.ts';
import { sendPayoutExport } from './exports.ts';
import { PAYOUT_STATES, type PayoutRow } from './queries.ts';
import { type PayoutRuleOverrides, type PayoutRules, payoutView } from './service.ts';

const NUMBER = z.string().min(1).max(64);
const MCH_NO = z.string().regex(/^[A-Za-z0-9_\-.]{1,64}$/, 'must be 1–64 letters, digits, _ - .');

const CreatePayoutBody = z
  .object({
    mchPayoutNo: MCH_NO,
    amount: amountSchema,
    payee: z
      .object({
        name: z.string().trim().min(1).max(64),
        accountNo: z.string().regex(/^\d{8,32}$/, 'must be 8–32 digits'),
        bankName: z.string().trim().min(1).max(64),
        bankBranch: z.string().trim().max(128).optional(),
        type: z.enum(['personal', 'corporate']).optional(),
      })
      .strict(),
    remark: z.string().min(1).max(256).optional(),
    notifyUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(512)
      .optional(),
  })
  .strict();

/** Signed merchant API for third-party payouts (代付), behind the orders' signature guard. */
export async function merchantPayoutRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', merchantSignatureGuard(services));

  api.post(
    '/api/v1/payouts',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Pay an amount from the available balance to a bank account (代付)',
        description:
          'Idempotent on mchPayoutNo: a same-body retry returns the payout with 200, a changed body 409. ' +
          'amount + fee is frozen at once; payout.succeeded or payout.failed (funds back) is notified when the channel settles it.',
        security: [{ merchantSignature: [] }],
        body: CreatePayoutBody,
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { payout, created } = await services.payouts.createPayout(request.merchantApp!, {
        ...body,
        amount: BigInt(body.amount),
      });
      return reply.code(created ? 201 : 200).send(payoutView(payout));
    },
  );

  api.get(
    '/api/v1/payouts/:payoutNo',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Get a payout',
        security: [{ merchantSignature: [] }],
        params: z.object({ payoutNo: NUMBER }),
      },
    },
    async (request) =>
      payoutView(
        await services.payouts.getForMerchant(request.merchantApp!.merchantId, request.params.payoutNo),
      ),
  );

  api.get(
    '/api/v1/payouts',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Find a payout by the merchant payout number',
        security: [{ merchantSignature: [] }],
        querystring: z.object({ mchPayoutNo: NUMBER }),
      },
    },
    async (request) =>
      payoutView(
        await services.payouts.getByMchPayoutNo(request.merchantApp!.merchantId, request.query.mchPayoutNo),
      ),
  );
}

/** Providers' async payout notifies: a sibling of the account's payment notify URL. */
export async function channelPayoutNotifyRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app
    .withTypeProvider<ZodTypeProvider>()
    .post(
      '/api/channel-notify/:channelAccountId/payout',
      { schema: { hide: true, params: z.object({ channelAccountId: z.string().regex(/^\d{1,18}$/) }) } },
      async (request, reply) => {
        const ack = await services.payouts.handlePayoutNotify(
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

const paging = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
};

/** The payout lists' filters, which their exports take too. */
const filterQuery = {
  q: blank(z.string().trim().max(64)),
  state: blank(z.enum(PAYOUT_STATES)),
  from: blank(TimeBound),
  to: blank(TimeBound),
};
const listQuery = { ...filterQuery, ...paging };

const PayoutNoParams = z.object({ payoutNo: NUMBER });
const MchNoParams = z.object({ mchNo: z.string().min(1).max(32) });

const feeAmount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const RulesBody = z
  .object({
    feeRatePpm: z.number().int().min(0).max(1_000_000),
    fixedFee: feeAmount,
    minAmount: amountSchema,
    maxAmount: amountSchema,
    dailyCount: z.number().int().min(0).max(1_000_000),
    dailyAmount: feeAmount,
  })
  .strict();
const OverridesBody = z
  .object({
    feeRatePpm: z.number().int().min(0).max(1_000_000).nullable(),
    fixedFee: feeAmount.nullable(),
    minAmount: amountSchema.nullable(),
    maxAmount: amountSchema.nullable(),
    dailyCount: z.number().int().min(0).max(1_000_000).nullable(),
    dailyAmount: feeAmount.nullable(),
  })
  .strict();

const rulesView = (r: PayoutRules) => ({
  feeRatePpm: r.feeRatePpm,
  fixedFee: toJsonAmount(r.fixedFee),
  minAmount: toJsonAmount(r.minAmount),
  maxAmount: toJsonAmount(r.maxAmount),
  dailyCount: r.dailyCount,
  dailyAmount: toJsonAmount(r.dailyAmount),
});

const big = (n: number | null) => (n === null ? null : BigInt(n));
const overridesView = (o: PayoutRuleOverrides) => ({
  feeRatePpm: o.feeRatePpm,
  fixedFee: o.fixedFee === null ? null : toJsonAmount(o.fixedFee),
  minAmount: o.minAmount === null ? null : toJsonAmount(o.minAmount),
  maxAmount: o.maxAmount === null ? null : toJsonAmount(o.maxAmount),
  dailyCount: o.dailyCount,
  dailyAmount: o.dailyAmount === null ? null : toJsonAmount(o.dailyAmount),
});

/** The operator's view of a payout: the merchant's, plus whose it is (a merchant or an agent), the channel and its answer. */
async function operatorViews(services: Services, rows: PayoutRow[]) {
  const names = await services.catalog.channelAccountNames([
    ...new Set(rows.flatMap((r) => (r.channel_account_id === null ? [] : [r.channel_account_id]))),
  ]);
  const ownerOfRow = await ownerViews(ownerLookUp(services), rows);
  return rows.map((r) => ({
    ...payoutView(r),
    kind: r.kind,
    withdrawNo: r.withdraw_no,
    ...ownerOfRow(r),
    channelAccountId: r.channel_account_id?.toString() ?? null,
    channelAccountName: r.channel_account_id === null ? null : (names.get(r.channel_account_id) ?? null),
    channelPayoutNo: r.channel_payout_no,
    channelState: r.channel_state,
    failureCode: r.failure_code,
  }));
}

/**
 * Operator console payouts (finance.read / finance.operate / finance.configure): the list and
 * detail with every attempt, retry, mark failed (with the completion password), and payout rules.
 */
export async function payoutAdminRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: payouts'];
  const read = { permission: 'finance.read' } as const;
  const operate = { permission: 'finance.operate' } as const;
  const configure = { permission: 'finance.configure' } as const;

  const detail = async (row: PayoutRow) => {
    const [view] = await operatorViews(services, [row]);
    const attempts = await services.payouts.attemptsOf(row.id);
    return {
      ...view!,
      payee: {
        ...view!.payee,
        bankBranch: row.payee_bank_branch,
        type: row.payee_type,
      },
      remark: row.remark,
      attempts: attempts.map((a) => ({
        at: a.created_at.toISOString(),
        action: a.action,
        outcome: a.outcome,
        code: a.code,
        message: a.message,
        channelAccountId: a.channel_account_id?.toString() ?? null,
      })),
    };
  };

  api.get(
    '/api/admin/payouts',
    {
      schema: {
        tags,
        summary:
          'List payouts (withdrawals’ and third-party), newest first; q is an exact payout, merchant payout or withdrawal number',
        querystring: z.object({
          ...listQuery,
          kind: blank(z.enum(['withdrawal', 'payout'])),
          mchNo: blank(z.string().max(32)),
          agentNo: blank(z.string().max(32)),
          ownerKind: blank(z.enum(['merchant', 'agent', 'member'])),
        }),
      },
      config: read,
    },
    async (request) => {
      const f = request.query;
      const merchant = f.mchNo ? await services.merchants.findMerchantByNo(f.mchNo) : undefined;
      const agent = f.agentNo ? await services.agents.findAgentByNo(f.agentNo) : undefined;
      if (merchant === null || agent === null) return { items: [], total: 0 };
      const { items, total } = await services.payouts.list({
        merchantId: merchant?.id,
        agentId: agent?.id,
        ownerKind: f.ownerKind,
        state: f.state,
        kind: f.kind,
        search: f.q,
        ...windowOf(f, services.orders.timeZone),
        limit: f.pageSize,
        offset: (f.page - 1) * f.pageSize,
      });
      return { items: await operatorViews(services, items), total };
    },
  );

  api.get(
    '/api/admin/payouts/export',
    {
      schema: {
        tags,
        summary:
          'Export the payouts the list’s filters match as CSV or XLSX, oldest first (at most the exports.maxRows setting)',
        querystring: z.object({
          ...filterQuery,
          kind: blank(z.enum(['withdrawal', 'payout'])),
          mchNo: blank(z.string().max(32)),
          agentNo: blank(z.string().max(32)),
          ownerKind: blank(z.enum(['merchant', 'agent', 'member'])),
          ...exportFormat,
        }),
      },
      config: read,
    },
    async (request, reply) => {
      const f = request.query;
      const merchant = f.mchNo ? await services.merchants.findMerchantByNo(f.mchNo) : undefined;
      const agent = f.agentNo ? await services.agents.findAgentByNo(f.agentNo) : undefined;
      return sendPayoutExport(
        services,
        reply,
        'operator',
        {
          // An unknown merchant or agent number matches nothing (as the list answers).
          merchantId: merchant === null ? -1n : merchant?.id,
          agentId: agent === null ? -1n : agent?.id,
          ownerKind: f.ownerKind,
          state: f.state,
          kind: f.kind,
          search: f.q,
          ...windowOf(f, services.orders.timeZone),
        },
        f.format,
      );
    },
  );

  api.get(
    '/api/admin/payouts/:payoutNo',
    {
      schema: {
        tags,
        summary: 'A payout with every attempt and the channel’s state',
        params: PayoutNoParams,
      },
      config: read,
    },
    async (request) => detail(await services.payouts.requireByPayoutNo(request.params.payoutNo)),
  );

  api.post(
    '/api/admin/payouts/:payoutNo/retry',
    {
      schema: {
        tags,
        summary:
          'Retry an open payout: the channel is asked first; it is sent again, with the same payout number, only when the channel does not know it',
        params: PayoutNoParams,
      },
      config: operate,
    },
    async (request) => {
      const user = sessionOf(request).user;
      const before = await services.payouts.requireByPayoutNo(request.params.payoutNo);
      const after = await services.payouts.retry(before.payout_no, user.username);
      noteAudit(request, {
        targetType: 'payout',
        targetId: before.payout_no,
        before: { state: before.state, channelState: before.channel_state },
        after: { state: after.state, channelState: after.channel_state },
      });
      return detail(after);
    },
  );

  api.post(
    '/api/admin/payouts/:payoutNo/mark-failed',
    {
      schema: {
        tags,
        summary:
          'Mark an open payout failed (funds back to the balance); needs the completion password; refused when the channel says it succeeded',
        params: PayoutNoParams,
        body: z.object({
          reason: z.string().trim().min(1).max(256),
          completionPassword: z.string().min(1).max(256),
        }),
      },
      config: operate,
    },
    async (request, reply) => {
      const user = sessionOf(request).user;
      // The completion password first, its wrong guesses counted like manual completion's.
      await checkCompletionPassword(services, request, reply, user.id, request.body.completionPassword);
      const before = await services.payouts.requireByPayoutNo(request.params.payoutNo);
      const after = await services.payouts.markFailed(before.payout_no, request.body.reason, user.username);
      noteAudit(request, {
        targetType: 'payout',
        targetId: before.payout_no,
        before: { state: before.state },
        after: { state: after.state, reason: request.body.reason },
      });
      return detail(after);
    },
  );

  api.get(
    '/api/admin/settings/payout-rules',
    { schema: { tags, summary: 'The platform’s payout rules (defaults for every merchant)' }, config: read },
    async () => rulesView(await services.payouts.defaultRules()),
  );

  api.put(
    '/api/admin/settings/payout-rules',
    { schema: { tags, summary: 'Set the platform’s payout rules', body: RulesBody }, config: configure },
    async (request) => {
      const before = rulesView(await services.payouts.defaultRules());
      const b = request.body;
      await services.payouts.setDefaultRules({
        feeRatePpm: b.feeRatePpm,
        fixedFee: BigInt(b.fixedFee),
        minAmount: BigInt(b.minAmount),
        maxAmount: BigInt(b.maxAmount),
        dailyCount: b.dailyCount,
        dailyAmount: BigInt(b.dailyAmount),
      });
      const after = rulesView(await services.payouts.defaultRules());
      noteAudit(request, { targetType: 'setting', targetId: 'payout-rules', before, after });
      return after;
    },
  );

  const merchantRules = async (mchNo: string) => {
    const merchant = await services.merchants.requireMerchant(mchNo);
    return {
      merchant,
      view: {
        overrides: overridesView(await services.payouts.merchantOverrides(merchant.id)),
        effective: rulesView(await services.payouts.rulesOf(merchant.id)),
      },
    };
  };

  api.get(
    '/api/admin/merchants/:mchNo/payout-rules',
    {
      schema: {
        tags,
        summary: 'A merchant’s payout rule overrides (null = the platform default) and the rules in effect',
        params: MchNoParams,
      },
      config: read,
    },
    async (request) => (await merchantRules(request.params.mchNo)).view,
  );

  api.put(
    '/api/admin/merchants/:mchNo/payout-rules',
    {
      schema: {
        tags,
        summary: 'Set a merchant’s payout rule overrides (null = the platform default)',
        params: MchNoParams,
        body: OverridesBody,
      },
      config: configure,
    },
    async (request) => {
      const { merchant, view: before } = await merchantRules(request.params.mchNo);
      const b = request.body;
      await services.payouts.setMerchantOverrides(merchant.id, {
        feeRatePpm: b.feeRatePpm,
        fixedFee: big(b.fixedFee),
        minAmount: big(b.minAmount),
        maxAmount: big(b.maxAmount),
        dailyCount: b.dailyCount,
        dailyAmount: big(b.dailyAmount),
      });
      const { view: after } = await merchantRules(request.params.mchNo);
      noteAudit(request, {
        targetType: 'merchant',
        targetId: merchant.mch_no,
        before: before.overrides,
        after: after.overrides,
      });
      return after;
    },
  );
}

/** The merchant portal's payouts: the store manager's, of their own merchant only. */
export async function payoutPortalRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMerchantUser(services));
  const tags = ['merchant portal: payouts'];
  const manager = { merchantRole: 'manager' } as const;
  const merchantIdOf = (request: FastifyRequest) => portalScope(request).merchantId;
  const portalView = (r: PayoutRow) => ({ ...payoutView(r), kind: r.kind, withdrawNo: r.withdraw_no });

  api.get(
    '/api/merchant/payouts',
    {
      schema: {
        tags,
        summary:
          'The merchant’s payouts, newest first (managers); q is an exact payout, merchant payout or withdrawal number',
        querystring: z.object(listQuery),
      },
      config: manager,
    },
    async (request) => {
      const f = request.query;
      const { items, total } = await services.payouts.list({
        merchantId: merchantIdOf(request),
        state: f.state,
        search: f.q,
        ...windowOf(f, services.orders.timeZone),
        limit: f.pageSize,
        offset: (f.page - 1) * f.pageSize,
      });
      return { items: items.map(portalView), total };
    },
  );

  api.get(
    '/api/merchant/payouts/export',
    {
      schema: {
        tags,
        summary:
          'Export the merchant’s payouts the list’s filters match as CSV or XLSX, oldest first (managers; at most the exports.maxRows setting)',
        querystring: z.object({ ...filterQuery, ...exportFormat }),
      },
      config: manager,
    },
    async (request, reply) => {
      const f = request.query;
      return sendPayoutExport(
        services,
        reply,
        'merchant',
        {
          merchantId: merchantIdOf(request),
          state: f.state,
          search: f.q,
          ...windowOf(f, services.orders.timeZone),
        },
        f.format,
      );
    },
  );

  api.get(
    '/api/merchant/payouts/:payoutNo',
    {
      schema: { tags, summary: 'One of the merchant’s payouts (managers)', params: PayoutNoParams },
      config: manager,
    },
    async (request) =>
      portalView(await services.payouts.getForMerchant(merchantIdOf(request), request.params.payoutNo)),
  );
}
