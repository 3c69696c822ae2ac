import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireAgentUser, sessionOf } from '../auth/guards.ts';
import { AppError } from '../errors.ts';
import { merchantView } from '../merchants/service.ts';
import { toJsonAmount } from '../money/money.ts';
import { blank, windowOf } from '../orders/routes.ts';
import { ORDER_STATES } from '../orders/state.ts';
import { IncludeTest, TrendRange } from '../stats/routes.ts';
import { TimeBound } from '../stats/time.ts';
import { CommissionQuery, commissionEntries, commissionView, EntriesQuery } from './commission.ts';
import type { AgentRow } from './queries.ts';
import {
  AgentFields,
  AgentManager,
  AgentNoParams,
  AgentRateBody,
  AgentRateParams,
  Page,
  rateBefore,
  rateJson,
  ratesInput,
} from './routes.ts';
import type { AgentScope } from './service.ts';

const MchNoParams = z.object({ mchNo: z.string().min(1).max(32) });

/** The session's agent; a disabled agent's login may read nothing. */
export async function sessionAgent(services: Services, request: FastifyRequest): Promise<AgentRow> {
  const agent = await services.agents.findAgentById(sessionOf(request).user.agentId!);
  if (agent?.state !== 'enabled') throw new AppError('FORBIDDEN', 'this agent is disabled');
  return agent;
}

/**
 * The agent area (AG-1, AG-2): an agent's own record, its subtree of sub-agents and merchants, and
 * the rates it gives below. Every query is scoped to the session's agent's subtree; anything outside
 * it answers the 404 of something that does not exist.
 */
export async function agentAreaRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireAgentUser(services));
  const tags = ['agent area'];
  const agents = services.agents;

  /** The session's agent, and the scope of its subtree (its own rate is set from above). */
  async function me(request: FastifyRequest): Promise<{ agent: AgentRow; scope: AgentScope }> {
    const agent = await sessionAgent(services, request);
    return { agent, scope: { rootId: agent.id, self: false } };
  }

  /** A merchant's rates as JSON. */
  async function merchantRates(merchantId: bigint) {
    return (await services.catalog.listMerchantRates(merchantId)).map((r) => ({
      productCode: r.product_code,
      productName: r.product_name,
      currency: r.currency,
      ratePpm: r.rate_ppm,
      fixedFee: toJsonAmount(r.fixed_fee),
      minimumFee: toJsonAmount(r.minimum_fee),
      enabled: r.enabled,
    }));
  }

  api.get(
    '/api/agent/me',
    { schema: { tags, summary: 'The agent this login acts for, with its rates' } },
    async (request) => {
      const { agent } = await me(request);
      return {
        ...(await agents.view(agent)),
        rates: (await agents.listRates(agent)).map(rateJson),
        maxDepth: await agents.maxDepth(),
      };
    },
  );

  api.get(
    '/api/agent/dashboard',
    {
      schema: {
        tags,
        summary:
          "Today's volume and commission of this agent's subtree, and per day from `from` to `to` (local dates, default the last 90 days)",
        querystring: z.object({ includeTest: IncludeTest, ...TrendRange }),
      },
    },
    async (request) => services.stats.agentDashboard((await me(request)).agent.id, request.query),
  );

  api.get(
    '/api/agent/commission',
    {
      schema: {
        tags,
        summary:
          'This agent’s commission: balances, and per day, product and merchant over a window (default the last 30 days)',
        querystring: CommissionQuery,
      },
    },
    async (request) => commissionView(services, (await me(request)).agent, request.query),
  );

  api.get(
    '/api/agent/commission/entries',
    {
      schema: {
        tags,
        summary: 'This agent’s commission account entries, newest first',
        querystring: EntriesQuery,
      },
    },
    async (request) => commissionEntries(services, (await me(request)).agent, request.query),
  );

  api.get(
    '/api/agent/orders',
    {
      schema: {
        tags,
        summary:
          "The orders of this agent's subtree's merchants, newest first, each with this agent's own commission (none while unpaid)",
        querystring: z.object({
          mchNo: blank(z.string().max(32)),
          state: blank(z.enum(ORDER_STATES)),
          from: blank(TimeBound),
          to: blank(TimeBound),
          includeTest: IncludeTest,
          ...Page,
        }),
      },
    },
    async (request) => {
      const { agent } = await me(request);
      const f = request.query;
      const merchantIds = f.mchNo
        ? [(await agents.requireMerchant(f.mchNo, { rootId: agent.id })).merchant.id]
        : await agents.merchantIdsOfSubtree(agent);
      const { total, rows } = await services.orders.agentOrders({
        agentId: agent.id,
        merchantIds,
        state: f.state,
        ...windowOf(f, services.orders.timeZone),
        withTest: f.includeTest ?? (await services.catalog.testDataOnly()),
        limit: f.limit,
        offset: f.offset,
      });
      const [merchants, products] = await Promise.all([
        services.merchants.merchantsByIds(rows.map((r) => r.merchant_id)),
        services.catalog.listProducts(),
      ]);
      const productNames = new Map(products.map((p) => [p.code, p.name]));
      return {
        total,
        items: rows.map((r) => {
          const merchant = merchants.get(r.merchant_id);
          return {
            orderNo: r.order_no,
            mchOrderNo: r.mch_order_no,
            mchNo: merchant?.mch_no ?? '',
            merchantName: merchant ? merchant.short_name || merchant.name : '',
            productCode: r.product_code,
            productName: productNames.get(r.product_code) ?? r.product_code,
            amount: toJsonAmount(r.amount),
            currency: r.currency,
            state: r.state,
            test: r.test,
            createdAt: r.created_at.toISOString(),
            paidAt: r.paid_at?.toISOString() ?? null,
            commission: r.commission === null ? null : toJsonAmount(r.commission),
            refundedCommission: toJsonAmount(r.refunded_commission ?? 0n),
          };
        }),
      };
    },
  );

  api.get(
    '/api/agent/agents',
    {
      schema: {
        tags,
        summary: 'The sub-agents of this agent’s subtree',
        querystring: z.object({ q: z.string().max(64).optional(), ...Page }),
      },
    },
    async (request) => {
      const { agent } = await me(request);
      const { q, limit, offset } = request.query;
      return agents.listAgents(
        { rootId: agent.id },
        { search: q || undefined, withoutRoot: true, limit, offset },
      );
    },
  );

  api.post(
    '/api/agent/agents',
    {
      schema: {
        tags,
        summary:
          'Open a sub-agent under this agent (or under `parentNo` in its subtree); `manager` creates its first login',
        body: z.object({
          ...AgentFields,
          parentNo: z.string().max(32).optional(),
          manager: AgentManager.optional(),
        }),
      },
    },
    async (request, reply) => {
      const { agent, scope } = await me(request);
      const created = await agents.createAgent(
        { ...request.body, parentNo: request.body.parentNo ?? agent.agent_no },
        scope,
        sessionOf(request).user.id,
      );
      const view = await agents.view(created.agent);
      noteAudit(request, {
        targetType: 'agent',
        targetId: view.agentNo,
        after: { ...view, manager: created.managerUsername },
      });
      return reply.code(201).send(view);
    },
  );

  api.get(
    '/api/agent/agents/:agentNo',
    { schema: { tags, summary: 'A sub-agent with its rates', params: AgentNoParams } },
    async (request) => {
      const { scope } = await me(request);
      const agent = await agents.requireAgent(request.params.agentNo, scope);
      return { ...(await agents.view(agent)), rates: (await agents.listRates(agent)).map(rateJson) };
    },
  );

  api.get(
    '/api/agent/agents/:agentNo/rates',
    { schema: { tags, summary: 'The rates of a sub-agent', params: AgentNoParams } },
    async (request) => {
      const { scope } = await me(request);
      const agent = await agents.requireAgent(request.params.agentNo, scope);
      return { items: (await agents.listRates(agent)).map(rateJson) };
    },
  );

  api.put(
    '/api/agent/agents/:agentNo/rates/:productCode',
    {
      schema: {
        tags,
        summary:
          "Set a sub-agent's rate for a product: at or above its parent's, at or below its own sub-agents' and merchants'",
        params: AgentRateParams,
        body: AgentRateBody,
      },
    },
    async (request) => {
      const { scope } = await me(request);
      const { agentNo, productCode } = request.params;
      const before = await rateBefore(agents, agentNo, productCode, scope);
      const after = rateJson(await agents.setRate(agentNo, productCode, ratesInput(request.body), scope));
      noteAudit(request, { targetType: 'agent_rate', targetId: `${agentNo}/${productCode}`, before, after });
      return after;
    },
  );

  api.get(
    '/api/agent/merchants',
    { schema: { tags, summary: 'The merchants of this agent’s subtree', querystring: z.object(Page) } },
    async (request) => {
      const { agent } = await me(request);
      return agents.merchantsOfSubtree(agent, request.query);
    },
  );

  api.post(
    '/api/agent/merchants',
    {
      schema: {
        tags,
        summary: 'Open a merchant under this agent (pending review)',
        body: z.object({
          name: z.string().min(1).max(128),
          shortName: z.string().max(64).optional(),
          contact: z.string().max(128).optional(),
        }),
      },
    },
    async (request, reply) => {
      const { agent } = await me(request);
      const merchant = await agents.createMerchant(agent, request.body);
      const view = { ...merchantView(merchant), agentNo: agent.agent_no };
      noteAudit(request, { targetType: 'merchant', targetId: merchant.mch_no, after: view });
      return reply.code(201).send(view);
    },
  );

  api.get(
    '/api/agent/merchants/:mchNo',
    { schema: { tags, summary: 'A merchant of this agent’s subtree, with its rates', params: MchNoParams } },
    async (request) => {
      const { agent } = await me(request);
      const found = await agents.requireMerchant(request.params.mchNo, { rootId: agent.id });
      return {
        ...merchantView(found.merchant),
        agentNo: found.agent.agent_no,
        rates: await merchantRates(found.merchant.id),
      };
    },
  );

  api.get(
    '/api/agent/merchants/:mchNo/rates',
    { schema: { tags, summary: 'The rates of a merchant of this agent’s subtree', params: MchNoParams } },
    async (request) => {
      const { agent } = await me(request);
      const found = await agents.requireMerchant(request.params.mchNo, { rootId: agent.id });
      return { items: await merchantRates(found.merchant.id) };
    },
  );

  api.put(
    '/api/agent/merchants/:mchNo/products/:productCode',
    {
      schema: {
        tags,
        summary: "Set a merchant's rate for a product: at or above its direct agent's",
        params: z.object({ mchNo: z.string().min(1).max(32), productCode: z.string().max(64) }),
        body: AgentRateBody.extend({ enabled: z.boolean().default(true) }),
      },
    },
    async (request) => {
      const { agent } = await me(request);
      const found = await agents.requireMerchant(request.params.mchNo, { rootId: agent.id });
      const before = (await merchantRates(found.merchant.id)).find(
        (r) => r.productCode === request.params.productCode,
      );
      const set = await services.catalog.setMerchantRate(
        found.merchant.id,
        request.params.productCode,
        ratesInput(request.body),
        request.body.enabled,
      );
      const after = {
        ...set,
        fixedFee: toJsonAmount(set.fixedFee),
        minimumFee: toJsonAmount(set.minimumFee),
      };
      noteAudit(request, {
        targetType: 'merchant_product',
        targetId: `${found.merchant.mch_no}/${request.params.productCode}`,
        before: before && {
          ratePpm: before.ratePpm,
          fixedFee: before.fixedFee,
          minimumFee: before.minimumFee,
          enabled: before.enabled,
        },
        after,
      });
      return after;
    },
  );
}
