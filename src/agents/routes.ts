import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireOperator, sessionOf } from '../auth/guards.ts';
import { feeMinor } from '../catalog/routes.ts';
import { merchantView } from '../merchants/service.ts';
import { toJsonAmount } from '../money/money.ts';
import { CommissionQuery, commissionEntries, commissionView, EntriesQuery } from './commission.ts';
import { AGENT_STATES } from './queries.ts';
import { type AgentService, EVERY_AGENT } from './service.ts';

export const AgentNoParams = z.object({ agentNo: z.string().min(1).max(32) });
export const AgentRateParams = z.object({
  agentNo: z.string().min(1).max(32),
  productCode: z.string().max(64),
});
export const AgentFields = {
  name: z.string().min(1).max(128),
  contact: z.string().max(128).optional(),
  phone: z.string().max(32).optional(),
  email: z.email().max(128).or(z.literal('')).optional(),
};
export const AgentManager = z.object({
  username: z.string().min(3).max(64),
  password: z.string().min(1).max(256),
  email: z.email().max(128).or(z.literal('')).optional(),
});
export const AgentRateBody = z.object({
  ratePpm: z.number().int().min(0).max(1_000_000),
  fixedFee: feeMinor.optional(),
  minimumFee: feeMinor.optional(),
});
export const Page = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};

const read = { permission: 'agents.read' } as const;
const manage = { permission: 'agents.manage' } as const;

/** A rate as JSON: money parts as safe integers. */
export function rateJson(r: { productCode: string; ratePpm: number; fixedFee: bigint; minimumFee: bigint }) {
  return { ...r, fixedFee: toJsonAmount(r.fixedFee), minimumFee: toJsonAmount(r.minimumFee) };
}

/** The terms a rate route was given, as the service takes them. */
export function ratesInput(body: z.infer<typeof AgentRateBody>) {
  return {
    ratePpm: body.ratePpm,
    fixedFee: body.fixedFee === undefined ? undefined : BigInt(body.fixedFee),
    minimumFee: body.minimumFee === undefined ? undefined : BigInt(body.minimumFee),
  };
}

/** The rate a route is about to replace, for the audit's before. */
export async function rateBefore(
  agents: AgentService,
  agentNo: string,
  productCode: string,
  scope = EVERY_AGENT,
) {
  const agent = await agents.requireAgent(agentNo, scope);
  const rate = (await agents.listRates(agent)).find((r) => r.productCode === productCode);
  return rate ? rateJson(rate) : undefined;
}

/** Operator API for agents (AG-1, AG-2): the tree, rates, and moves of agents and merchants. */
export async function agentAdminRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: agents'];
  const agents = services.agents;

  api.get(
    '/api/admin/agents',
    {
      schema: {
        tags,
        summary: 'List agents (every agent, or the subtree of `root`)',
        querystring: z.object({
          q: z.string().max(64).optional(),
          root: z.string().max(32).optional(),
          ...Page,
        }),
      },
      config: read,
    },
    async (request) => {
      const { q, root, limit, offset } = request.query;
      const rootId = root ? (await agents.requireAgent(root, EVERY_AGENT)).id : null;
      return {
        ...(await agents.listAgents({ rootId }, { search: q || undefined, limit, offset })),
        maxDepth: await agents.maxDepth(),
      };
    },
  );

  api.post(
    '/api/admin/agents',
    {
      schema: {
        tags,
        summary: 'Open an agent, top-level or under `parentNo`; `manager` creates its first login',
        body: z.object({
          ...AgentFields,
          parentNo: z.string().max(32).nullish(),
          manager: AgentManager.optional(),
        }),
      },
      config: manage,
    },
    async (request, reply) => {
      const { agent, managerUsername } = await agents.createAgent(
        request.body,
        EVERY_AGENT,
        sessionOf(request).user.id,
      );
      const view = await agents.view(agent);
      noteAudit(request, {
        targetType: 'agent',
        targetId: agent.agent_no,
        after: { ...view, manager: managerUsername },
      });
      return reply.code(201).send(view);
    },
  );

  api.get(
    '/api/admin/agents/:agentNo',
    {
      schema: { tags, summary: 'An agent with its rates and sub-agents', params: AgentNoParams },
      config: read,
    },
    async (request) => {
      const agent = await agents.requireAgent(request.params.agentNo, EVERY_AGENT);
      const [view, rates, subtree] = await Promise.all([
        agents.view(agent),
        agents.listRates(agent),
        agents.listAgents({ rootId: agent.id }, { withoutRoot: true, limit: 200, offset: 0 }),
      ]);
      return {
        ...view,
        rates: rates.map(rateJson),
        subAgents: subtree.items,
      };
    },
  );

  api.get(
    '/api/admin/agents/:agentNo/commission',
    {
      schema: {
        tags,
        summary: 'An agent’s commission: balances, and per day, product and merchant over a window',
        params: AgentNoParams,
        querystring: CommissionQuery,
      },
      config: read,
    },
    async (request) =>
      commissionView(services, await agents.requireAgent(request.params.agentNo, EVERY_AGENT), request.query),
  );

  api.get(
    '/api/admin/agents/:agentNo/commission/entries',
    {
      schema: {
        tags,
        summary: 'An agent’s commission account entries, newest first',
        params: AgentNoParams,
        querystring: EntriesQuery,
      },
      config: read,
    },
    async (request) =>
      commissionEntries(
        services,
        await agents.requireAgent(request.params.agentNo, EVERY_AGENT),
        request.query,
      ),
  );

  api.get(
    '/api/admin/agents/:agentNo/merchants',
    {
      schema: {
        tags,
        summary: "The merchants of an agent's subtree, each with its direct agent",
        params: AgentNoParams,
        querystring: z.object(Page),
      },
      config: read,
    },
    async (request) => {
      const agent = await agents.requireAgent(request.params.agentNo, EVERY_AGENT);
      return agents.merchantsOfSubtree(agent, request.query);
    },
  );

  api.patch(
    '/api/admin/agents/:agentNo',
    {
      schema: {
        tags,
        summary: 'Edit an agent; `state` enables or disables it',
        params: AgentNoParams,
        body: z.object({
          ...AgentFields,
          name: AgentFields.name.optional(),
          state: z.enum(AGENT_STATES).optional(),
        }),
      },
      config: manage,
    },
    async (request) => {
      const before = await agents.view(await agents.requireAgent(request.params.agentNo, EVERY_AGENT));
      const after = await agents.view(
        await agents.updateAgent(request.params.agentNo, request.body, EVERY_AGENT),
      );
      noteAudit(request, { targetType: 'agent', targetId: after.agentNo, before, after });
      return after;
    },
  );

  api.put(
    '/api/admin/agents/:agentNo/rates/:productCode',
    {
      schema: {
        tags,
        summary:
          "Set an agent's rate (ppm), fixed fee and minimum fee (fen) for a product: at or above its parent's (or every bound channel cost), at or below its sub-agents' and merchants'",
        params: AgentRateParams,
        body: AgentRateBody,
      },
      config: manage,
    },
    async (request) => {
      const { agentNo, productCode } = request.params;
      const before = await rateBefore(agents, agentNo, productCode);
      const after = rateJson(
        await agents.setRate(agentNo, productCode, ratesInput(request.body), EVERY_AGENT),
      );
      noteAudit(request, { targetType: 'agent_rate', targetId: `${agentNo}/${productCode}`, before, after });
      return after;
    },
  );

  api.post(
    '/api/admin/agents/:agentNo/move',
    {
      schema: {
        tags,
        summary:
          'Move an agent and its subtree under another agent (`parentNo` null: to the top level); orders created afterwards take the new chain',
        params: AgentNoParams,
        body: z.object({ parentNo: z.string().max(32).nullable() }),
      },
      config: manage,
    },
    async (request) => {
      const before = await agents.view(await agents.requireAgent(request.params.agentNo, EVERY_AGENT));
      const after = await agents.view(await agents.moveAgent(request.params.agentNo, request.body.parentNo));
      noteAudit(request, {
        targetType: 'agent',
        targetId: after.agentNo,
        before: { parentNo: before.parentNo, depth: before.depth },
        after: { parentNo: after.parentNo, depth: after.depth },
      });
      return after;
    },
  );

  api.post(
    '/api/admin/merchants/:mchNo/move',
    {
      schema: {
        tags,
        summary:
          'Put a merchant under another direct agent (`agentNo` null: none); orders created afterwards take the new chain',
        params: z.object({ mchNo: z.string().min(1).max(32) }),
        body: z.object({ agentNo: z.string().max(32).nullable() }),
      },
      config: manage,
    },
    async (request) => {
      const merchant = await services.merchants.requireMerchant(request.params.mchNo);
      const agentNoOf = async (id: bigint | null) =>
        id === null ? null : ((await agents.findAgentById(id))?.agent_no ?? null);
      const beforeAgent = await agentNoOf(merchant.agent_id);
      const moved = await agents.moveMerchant(request.params.mchNo, request.body.agentNo);
      noteAudit(request, {
        targetType: 'merchant',
        targetId: moved.mch_no,
        before: { agentNo: beforeAgent },
        after: { agentNo: request.body.agentNo },
      });
      return { ...merchantView(moved), agentNo: request.body.agentNo };
    },
  );
}
