import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sessionAgent } from '../agents/agent-routes.ts';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireAgentUser, sessionOf } from '../auth/guards.ts';
import { exportFormat } from '../exports/routes.ts';
import { toJsonAmount } from '../money/money.ts';
import { blank, windowOf } from '../orders/routes.ts';
import { consoleMchOrderNo } from '../orders/service.ts';
import { TimeBound } from '../stats/time.ts';
import { bankCardRoutes } from './card-routes.ts';
import { confirmManager } from './confirm.ts';
import { PortalWithdrawBody, withdrawalFilterQuery } from './console-routes.ts';
import { sendWithdrawalExport } from './exports.ts';
import { agentOwner } from './owner.ts';
import { WITHDRAWAL_STATES } from './queries.ts';
import { rulesJson } from './rules.ts';
import { eventViews, withdrawalView } from './service.ts';

const NoParams = z.object({ withdrawNo: z.string().min(1).max(64) });
const ListQuery = z.object({
  state: blank(z.enum(WITHDRAWAL_STATES)),
  q: blank(z.string().trim().max(64)),
  from: blank(TimeBound),
  to: blank(TimeBound),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});

/**
 * The agent area's withdrawals (提现) and settlement bank cards (结算卡): an agent withdraws its
 * available commission to its own card through the withdrawals domain, under the platform's default
 * rules. Every route acts for the session's agent only; another's card or withdrawal is the 404 of
 * nothing. Card changes and withdrawals need the login's password (and TOTP code when it has one).
 */
export async function agentWithdrawalRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireAgentUser(services));
  const tags = ['agent area: withdrawals'];
  const ownerOf = async (request: FastifyRequest) => agentOwner((await sessionAgent(services, request)).id);
  const { withdrawals } = services;

  bankCardRoutes(app, services, { path: '/api/agent/bank-cards', tags, ownerOf });

  api.get(
    '/api/agent/withdrawal-rules',
    {
      schema: {
        tags,
        summary:
          "The withdrawal rules that apply (the platform's), today's use and what is left, and the balances",
      },
    },
    async (request) => {
      const owner = await ownerOf(request);
      const rules = await withdrawals.rules.forOwner(owner);
      const used = await withdrawals.usedToday(owner);
      const { available, frozen } = withdrawals.accounts(owner);
      const left = (limit: bigint, spent: bigint) => (limit > spent ? limit - spent : 0n);
      return {
        ...rulesJson(rules),
        usedToday: { count: used.count, amount: toJsonAmount(used.amount) },
        leftToday: {
          count: Math.max(rules.dailyCount - used.count, 0),
          amount: toJsonAmount(left(rules.dailyAmount, used.amount)),
        },
        balance: {
          currency: available.currency,
          available: toJsonAmount(await services.ledger.balanceOf(available)),
          frozen: toJsonAmount(await services.ledger.balanceOf(frozen)),
        },
      };
    },
  );

  api.get(
    '/api/agent/withdrawals',
    { schema: { tags, summary: "The agent's withdrawals, newest first", querystring: ListQuery } },
    async (request) => {
      const f = request.query;
      const { rows, total } = await withdrawals.list({
        owner: await ownerOf(request),
        state: f.state,
        search: f.q,
        ...windowOf(f, withdrawals.timeZone),
        limit: f.pageSize,
        offset: (f.page - 1) * f.pageSize,
      });
      return { items: rows.map(withdrawalView), total };
    },
  );

  api.get(
    '/api/agent/withdrawals/export',
    {
      schema: {
        tags,
        summary:
          "Export the agent's withdrawals the list's filters match as CSV or XLSX, oldest first (at most the exports.maxRows setting)",
        querystring: z.object({ ...withdrawalFilterQuery, ...exportFormat }),
      },
    },
    async (request, reply) => {
      const f = request.query;
      return sendWithdrawalExport(
        services,
        reply,
        'owner',
        { owner: await ownerOf(request), state: f.state, search: f.q, ...windowOf(f, withdrawals.timeZone) },
        f.format,
      );
    },
  );

  api.get(
    '/api/agent/withdrawals/:withdrawNo',
    { schema: { tags, summary: 'One of the agent’s withdrawals and its timeline', params: NoParams } },
    async (request) => {
      const w = await withdrawals.getForOwner(await ownerOf(request), request.params.withdrawNo);
      return { ...withdrawalView(w), events: eventViews(await withdrawals.events(w.id)) };
    },
  );

  api.post(
    '/api/agent/withdrawals',
    {
      schema: {
        tags,
        summary:
          'Withdraw available commission to a bound card (login password); idempotent on the optional mchWithdrawNo',
        body: PortalWithdrawBody,
      },
    },
    async (request, reply) => {
      const owner = await ownerOf(request);
      const b = request.body;
      noteAudit(request, {
        targetType: 'withdrawal',
        after: { amount: b.amount, cardId: b.cardId.toString() },
      });
      await confirmManager(services, request, reply, b.password, b.totpCode);
      const { withdrawal, created } = await withdrawals.create(
        owner,
        {
          mchWithdrawNo: b.mchWithdrawNo ?? consoleMchOrderNo('AW'),
          amount: BigInt(b.amount),
          cardId: b.cardId,
        },
        { source: 'portal', appId: null, userId: sessionOf(request).user.id },
      );
      const view = withdrawalView(withdrawal);
      noteAudit(request, { targetId: view.withdrawNo, after: view });
      return reply.code(created ? 201 : 200).send(view);
    },
  );
}
