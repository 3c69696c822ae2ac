import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sessionAgent } from '../agents/agent-routes.ts';
import type { Services } from '../app/services.ts';
import { requireAgentUser } from '../auth/guards.ts';
import { agentOwner } from './owner.ts';
import { ownerWithdrawalRoutes } from './owner-routes.ts';

/**
 * The agent area's withdrawals (提现) and settlement bank cards (结算卡): an agent withdraws its
 * available commission to its own card through the withdrawals domain, under the platform's default
 * rules (the routes are the owner areas' own, owner-routes.ts).
 */
export async function agentWithdrawalRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.addHook('preValidation', requireAgentUser(services));
  ownerWithdrawalRoutes(app, services, {
    prefix: '/api/agent',
    tags: ['agent area: withdrawals'],
    whose: "agent's",
    ownerOf: async (request: FastifyRequest) => agentOwner((await sessionAgent(services, request)).id),
    numberPrefix: 'AW',
  });
}
