import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMerchantUser, requireOperator, sessionOf } from '../auth/guards.ts';
import { exportFormat } from '../exports/routes.ts';
import { toJsonAmount } from '../money/money.ts';
import { portalScope } from '../orders/portal-routes.ts';
import { amountSchema, blank, windowOf } from '../orders/routes.ts';
import { consoleMchOrderNo } from '../orders/service.ts';
import { TimeBound } from '../stats/time.ts';
import { bankCardRoutes } from './card-routes.ts';
import { bankCardView, CARD_STATES } from './cards.ts';
import { confirmManager, Password, TotpCode } from './confirm.ts';
import { sendWithdrawalExport } from './exports.ts';
import { agentOwner, merchantOwner, ownerLookUp, ownerViewOfNames, ownerViews } from './owner.ts';
import { type OwnerNames, WITHDRAWAL_STATES, type WithdrawalRow } from './queries.ts';
import { CARD_ID } from './routes.ts';
import { CLOCK, type RuleOverrides, rulesJson, type WithdrawalDefaults } from './rules.ts';
import { eventViews, withdrawalView } from './service.ts';

const IdParams = z.object({ id: z.string().regex(/^\d{1,18}$/) });
const NoParams = z.object({ withdrawNo: z.string().min(1).max(64) });
const Clock = z.string().regex(CLOCK, 'must be HH:mm');
const Money = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const paging = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
};
const pageOf = (q: { page: number; pageSize: number }) => ({
  limit: q.pageSize,
  offset: (q.page - 1) * q.pageSize,
});

/** The withdrawal lists' filters, which their exports take too. */
export const withdrawalFilterQuery = {
  state: blank(z.enum(WITHDRAWAL_STATES)),
  q: blank(z.string().trim().max(64)),
  from: blank(TimeBound),
  to: blank(TimeBound),
};
const listQuery = {
  ...withdrawalFilterQuery,
  ...paging,
};

/** Optional: a number the browser makes once per dialog, so a resent request returns the first withdrawal. */
export const ClientWithdrawNo = z
  .string()
  .regex(/^[A-Za-z0-9_\-.]{1,64}$/, 'must be 1–64 letters, digits, _ - .')
  .optional();

export const PortalWithdrawBody = z.object({
  amount: amountSchema,
  cardId: CARD_ID,
  mchWithdrawNo: ClientWithdrawNo,
  password: Password,
  totpCode: TotpCode,
});

const AutoBody = z.object({ enabled: z.boolean(), time: Clock, keepBalance: Money });

const RulesBody = z.object({
  minAmount: Money.positive(),
  maxAmount: Money.positive(),
  fixedFee: Money,
  feeRatePpm: z.number().int().min(0).max(1_000_000),
  windowStart: Clock,
  windowEnd: Clock,
  dailyCount: z.number().int().min(0).max(100_000),
  dailyAmount: Money,
  reviewThreshold: Money,
});
const DefaultsBody = RulesBody.extend({ cardChangeReview: z.boolean() });
const nullableDefault = <T extends z.ZodType>(t: T) => t.nullable().default(null);
const OverridesBody = z.object({
  minAmount: nullableDefault(Money.positive()),
  maxAmount: nullableDefault(Money.positive()),
  fixedFee: nullableDefault(Money),
  feeRatePpm: nullableDefault(z.number().int().min(0).max(1_000_000)),
  windowStart: nullableDefault(Clock),
  windowEnd: nullableDefault(Clock),
  dailyCount: nullableDefault(z.number().int().min(0).max(100_000)),
  dailyAmount: nullableDefault(Money),
  reviewThreshold: nullableDefault(Money),
});

const BIGINT_RULES = new Set(['minAmount', 'maxAmount', 'fixedFee', 'dailyAmount', 'reviewThreshold']);
function toRules<T extends Record<string, unknown>>(body: T): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(body).map(([k, v]) => [k, BIGINT_RULES.has(k) && typeof v === 'number' ? BigInt(v) : v]),
  );
}

/** Admin list items: the view, its owner (a merchant or an agent) and the card. */
function adminItem(w: WithdrawalRow & OwnerNames) {
  return { ...withdrawalView(w), ...ownerViewOfNames(w), source: w.source };
}

/** Console withdrawals, bank cards and rules: the merchant portal's and the operator console's. */
export async function consoleWithdrawalRoutes(app: FastifyInstance, { services }: { services: Services }) {
  await app.register(portalWithdrawalRoutes, { services });
  await app.register(operatorWithdrawalRoutes, { services });
}

async function portalWithdrawalRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMerchantUser(services));
  const tags = ['merchant portal: withdrawals'];
  const manager = { merchantRole: 'manager' as const };
  const merchantIdOf = (request: FastifyRequest) => portalScope(request).merchantId;

  bankCardRoutes(app, services, {
    path: '/api/merchant/bank-cards',
    tags,
    ownerOf: merchantIdOf,
    config: manager,
  });

  api.get(
    '/api/merchant/withdrawal-rules',
    { schema: { tags, summary: "The withdrawal rules in force and today's use" }, config: manager },
    async (request) => {
      const merchantId = merchantIdOf(request);
      const rules = await services.withdrawals.rules.effective(merchantId);
      const used = await services.withdrawals.usedToday(merchantId);
      return {
        ...rulesJson(rules),
        usedToday: { count: used.count, amount: toJsonAmount(used.amount) },
      };
    },
  );

  api.get(
    '/api/merchant/withdrawals',
    {
      schema: { tags, summary: "The merchant's withdrawals, newest first", querystring: z.object(listQuery) },
      config: manager,
    },
    async (request) => {
      const f = request.query;
      const { rows, total } = await services.withdrawals.list({
        owner: merchantOwner(merchantIdOf(request)),
        state: f.state,
        search: f.q,
        ...windowOf(f, services.withdrawals.timeZone),
        ...pageOf(f),
      });
      return { items: rows.map(withdrawalView), total };
    },
  );

  api.get(
    '/api/merchant/withdrawals/export',
    {
      schema: {
        tags,
        summary:
          "Export the merchant's withdrawals the list's filters match as CSV or XLSX, oldest first (at most the exports.maxRows setting)",
        querystring: z.object({ ...withdrawalFilterQuery, ...exportFormat }),
      },
      config: manager,
    },
    async (request, reply) => {
      const f = request.query;
      return sendWithdrawalExport(
        services,
        reply,
        'owner',
        {
          owner: merchantOwner(merchantIdOf(request)),
          state: f.state,
          search: f.q,
          ...windowOf(f, services.withdrawals.timeZone),
        },
        f.format,
      );
    },
  );

  api.get(
    '/api/merchant/withdrawals/:withdrawNo',
    { schema: { tags, summary: 'A withdrawal and its timeline', params: NoParams }, config: manager },
    async (request) => {
      const w = await services.withdrawals.getForMerchant(merchantIdOf(request), request.params.withdrawNo);
      return { ...withdrawalView(w), events: eventViews(await services.withdrawals.events(w.id)) };
    },
  );

  api.post(
    '/api/merchant/withdrawals',
    {
      schema: {
        tags,
        summary: 'Withdraw to a bound card (the manager’s login password)',
        body: PortalWithdrawBody,
      },
      config: manager,
    },
    async (request, reply) => {
      const b = request.body;
      noteAudit(request, {
        targetType: 'withdrawal',
        after: { amount: b.amount, cardId: b.cardId.toString() },
      });
      await confirmManager(services, request, reply, b.password, b.totpCode);
      const { withdrawal } = await services.withdrawals.create(
        merchantIdOf(request),
        {
          mchWithdrawNo: b.mchWithdrawNo ?? consoleMchOrderNo('CW'),
          amount: BigInt(b.amount),
          cardId: b.cardId,
        },
        { source: 'portal', appId: null, userId: sessionOf(request).user.id },
      );
      const view = withdrawalView(withdrawal);
      noteAudit(request, { targetId: view.withdrawNo, after: view });
      return reply.code(201).send(view);
    },
  );

  api.get(
    '/api/merchant/auto-withdrawal',
    { schema: { tags, summary: 'The auto-withdrawal settings' }, config: manager },
    async (request) => autoView(await services.withdrawals.autoSettings(merchantIdOf(request))),
  );

  api.put(
    '/api/merchant/auto-withdrawal',
    {
      schema: {
        tags,
        summary: 'Turn auto-withdrawal on or off, its time and the balance it keeps',
        body: AutoBody,
      },
      config: manager,
    },
    async (request) => {
      const merchantId = merchantIdOf(request);
      const before = autoView(await services.withdrawals.autoSettings(merchantId));
      const after = autoView(
        await services.withdrawals.setAutoSettings(merchantId, {
          ...request.body,
          keepBalance: BigInt(request.body.keepBalance),
        }),
      );
      noteAudit(request, { targetId: merchantId.toString(), before, after });
      return after;
    },
  );
}

/**
 * The operators' owner filter: a merchant by number, an agent by number, or everyone (undefined);
 * null when the number names nobody (an empty list).
 */
async function ownerFilter(services: Services, f: { mchNo?: string; agentNo?: string }) {
  if (f.mchNo) {
    const merchant = await services.merchants.findMerchantByNo(f.mchNo);
    return merchant ? merchantOwner(merchant.id) : null;
  }
  if (f.agentNo) {
    const agent = await services.agents.findAgentByNo(f.agentNo);
    return agent ? agentOwner(agent.id) : null;
  }
  return undefined;
}

function autoView(s: { enabled: boolean; time: string; keepBalance: bigint }) {
  return { enabled: s.enabled, time: s.time, keepBalance: toJsonAmount(s.keepBalance) };
}

async function operatorWithdrawalRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: withdrawals'];
  const read = { permission: 'finance.read' as const };
  const review = { permission: 'finance.review' as const };
  const configure = { permission: 'finance.configure' as const };

  api.get(
    '/api/admin/withdrawals',
    {
      schema: {
        tags,
        summary: 'Withdrawals of every merchant and agent, newest first',
        querystring: z.object({
          ...listQuery,
          mchNo: blank(z.string().max(32)),
          agentNo: blank(z.string().max(32)),
          ownerKind: blank(z.enum(['merchant', 'agent', 'member'])),
        }),
      },
      config: read,
    },
    async (request) => {
      const f = request.query;
      const owner = await ownerFilter(services, f);
      if (owner === null) return { items: [], total: 0 };
      const { rows, total } = await services.withdrawals.list({
        owner,
        ownerKind: f.ownerKind,
        state: f.state,
        search: f.q,
        ...windowOf(f, services.withdrawals.timeZone),
        ...pageOf(f),
      });
      return { items: rows.map(adminItem), total };
    },
  );

  api.get(
    '/api/admin/withdrawals/export',
    {
      schema: {
        tags,
        summary:
          'Export the withdrawals the list’s filters match as CSV or XLSX, oldest first (at most the exports.maxRows setting)',
        querystring: z.object({
          ...withdrawalFilterQuery,
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
      const owner = await ownerFilter(services, f);
      return sendWithdrawalExport(
        services,
        reply,
        'operator',
        {
          // An unknown merchant or agent number matches nothing (as the list answers).
          owner: owner === null ? merchantOwner(-1n) : owner,
          ownerKind: f.ownerKind,
          state: f.state,
          search: f.q,
          ...windowOf(f, services.withdrawals.timeZone),
        },
        f.format,
      );
    },
  );

  api.get(
    '/api/admin/withdrawals/:withdrawNo',
    {
      schema: { tags, summary: 'A withdrawal, its timeline and its payout', params: NoParams },
      config: read,
    },
    async (request) => {
      const w = await services.withdrawals.requireByNo(request.params.withdrawNo);
      const ownerOfRow = await ownerViews(ownerLookUp(services), [w]);
      return {
        ...withdrawalView(w),
        ...ownerOfRow(w),
        source: w.source,
        events: eventViews(await services.withdrawals.events(w.id)),
        payout: w.payout_no ? { payoutNo: w.payout_no } : null,
      };
    },
  );

  api.post(
    '/api/admin/withdrawals/:withdrawNo/approve',
    {
      schema: { tags, summary: 'Approve a withdrawal waiting for review', params: NoParams },
      config: review,
    },
    async (request) => {
      const before = withdrawalView(await services.withdrawals.requireByNo(request.params.withdrawNo));
      noteAudit(request, { before });
      const after = withdrawalView(
        await services.withdrawals.approve(request.params.withdrawNo, sessionOf(request).user.id),
      );
      noteAudit(request, { after });
      return after;
    },
  );

  api.post(
    '/api/admin/withdrawals/:withdrawNo/reject',
    {
      schema: {
        tags,
        summary: 'Reject a withdrawal waiting for review: its amount goes back to the available balance',
        params: NoParams,
        body: z.object({ reason: z.string().trim().min(1, 'say why the withdrawal is rejected').max(256) }),
      },
      config: review,
    },
    async (request) => {
      const before = withdrawalView(await services.withdrawals.requireByNo(request.params.withdrawNo));
      noteAudit(request, { before });
      const after = withdrawalView(
        await services.withdrawals.reject(
          request.params.withdrawNo,
          request.body.reason,
          sessionOf(request).user.id,
        ),
      );
      noteAudit(request, { after });
      return after;
    },
  );

  api.post(
    '/api/admin/withdrawals/approve',
    {
      schema: {
        tags,
        summary: 'Approve many withdrawals; each that cannot be approved is listed with its code',
        body: z.object({ withdrawNos: z.array(z.string().min(1).max(64)).min(1).max(100) }),
      },
      config: review,
    },
    async (request) => {
      noteAudit(request, {
        targetType: 'withdrawal',
        targetId: request.body.withdrawNos.join(',').slice(0, 200),
      });
      const result = await services.withdrawals.approveMany(
        request.body.withdrawNos,
        sessionOf(request).user.id,
      );
      noteAudit(request, { after: result });
      return result;
    },
  );

  api.get(
    '/api/admin/settings/withdrawal-rules',
    {
      schema: { tags, summary: 'The platform withdrawal rules and whether new cards are reviewed' },
      config: read,
    },
    async () => rulesJson(await services.withdrawals.rules.defaults()),
  );

  api.put(
    '/api/admin/settings/withdrawal-rules',
    { schema: { tags, summary: 'Set the platform withdrawal rules', body: DefaultsBody }, config: configure },
    async (request) => {
      const before = rulesJson(await services.withdrawals.rules.defaults());
      const after = rulesJson(
        await services.withdrawals.rules.setDefaults(toRules(request.body) as unknown as WithdrawalDefaults),
      );
      noteAudit(request, { targetId: 'withdrawal_rules', before, after });
      return after;
    },
  );

  api.get(
    '/api/admin/merchants/:mchNo/withdrawal-rules',
    {
      schema: {
        tags,
        summary: "A merchant's own withdrawal rules (null = the platform default) and the effective ones",
        params: z.object({ mchNo: z.string().min(1).max(32) }),
      },
      config: read,
    },
    async (request) => {
      const merchant = await services.merchants.requireMerchant(request.params.mchNo);
      return {
        ...rulesJson(await services.withdrawals.rules.overridesOf(merchant.id)),
        effective: rulesJson(await services.withdrawals.rules.effective(merchant.id)),
      };
    },
  );

  api.put(
    '/api/admin/merchants/:mchNo/withdrawal-rules',
    {
      schema: {
        tags,
        summary: "Set a merchant's own withdrawal rules (null = the platform default)",
        params: z.object({ mchNo: z.string().min(1).max(32) }),
        body: OverridesBody,
      },
      config: configure,
    },
    async (request) => {
      const merchant = await services.merchants.requireMerchant(request.params.mchNo);
      const before = rulesJson(await services.withdrawals.rules.overridesOf(merchant.id));
      const after = rulesJson(
        await services.withdrawals.rules.setOverrides(
          merchant.id,
          toRules(request.body) as unknown as RuleOverrides,
        ),
      );
      noteAudit(request, { targetType: 'merchant', before: { ...before, name: merchant.name }, after });
      return { ...after, effective: rulesJson(await services.withdrawals.rules.effective(merchant.id)) };
    },
  );

  api.get(
    '/api/admin/bank-cards',
    {
      schema: {
        tags,
        summary: 'Merchants’ and agents’ bank cards (masked), e.g. those waiting for review',
        querystring: z.object({ state: blank(z.enum(CARD_STATES)), ...paging }),
      },
      config: read,
    },
    async (request) => {
      const { rows, total } = await services.withdrawals.cards.listForReview({
        state: request.query.state,
        ...pageOf(request.query),
      });
      return {
        items: rows.map((r) => ({ ...bankCardView(r), ...ownerViewOfNames(r) })),
        total,
      };
    },
  );

  for (const action of ['approve', 'reject'] as const) {
    api.post(
      `/api/admin/bank-cards/:id/${action}`,
      {
        schema: {
          tags,
          summary: action === 'approve' ? 'Approve a new bank card' : 'Reject a new bank card, saying why',
          params: IdParams,
          body:
            action === 'reject'
              ? z.object({ reason: z.string().trim().min(1, 'say why the card is rejected').max(256) })
              : z.object({}).optional(),
        },
        config: review,
      },
      async (request) => {
        const id = BigInt(request.params.id);
        noteAudit(request, { before: bankCardView(await services.withdrawals.cards.requireAny(id)) });
        const reason = (request.body as { reason?: string } | undefined)?.reason ?? null;
        const card = await services.withdrawals.cards.review(
          id,
          action === 'approve',
          reason,
          sessionOf(request).user.id,
        );
        const view = bankCardView(card);
        noteAudit(request, { after: view });
        return view;
      },
    );
  }
}
