import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sessionAgent } from '../agents/agent-routes.ts';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireAgentUser, sessionOf } from '../auth/guards.ts';
import { toJsonAmount } from '../money/money.ts';
import { blank, windowOf } from '../orders/routes.ts';
import { consoleMchOrderNo } from '../orders/service.ts';
import { TimeBound } from '../stats/time.ts';
import { bankCardView, maskAccountNo } from './cards.ts';
import { BindCardBody, ConfirmBody, confirmManager, PortalWithdrawBody } from './console-routes.ts';
import { agentOwner } from './owner.ts';
import { WITHDRAWAL_STATES } from './queries.ts';
import { rulesJson } from './rules.ts';
import { eventViews, withdrawalView } from './service.ts';

const IdParams = z.object({ id: z.string().regex(/^\d{1,18}$/) });
const NoParams = z.object({ withdrawNo: z.string().min(1).max(64) });
const ListQuery = z.object({
  state: blank(z.enum(WITHDRAWAL_STATES)),
  q: blank(z.string().trim().max(64)),
  from: blank(TimeBound),
  to: blank(TimeBound),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});

const CARD_ROUTE = '/api/agent/bank-cards';

/**
 * The agent area's withdrawals (提现) and settlement bank cards (结算卡): an agent withdraws its
 * available commission to its own card through the withdrawals domain, under the platform's default
 * rules. Every route acts for the session's agent only; another's card or withdrawal is the 404 of
 * nothing. Card changes and withdrawals need the login's password (and TOTP code when it has one).
 */
export async function agentWithdrawalRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireAgentUser(services));
  // The audit row of a card binding keeps the mask, never the number (not even when the body is refused).
  api.addHook('preValidation', async (request) => {
    if (request.method !== 'POST' || request.routeOptions.url !== CARD_ROUTE) return;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const digits = typeof body.accountNo === 'string' ? body.accountNo.replace(/\D/g, '') : '';
    noteAudit(request, {
      targetType: 'bank_card',
      after: {
        holderName: body.holderName,
        bankName: body.bankName,
        cardType: body.cardType,
        accountNoMasked: digits.length >= 8 ? maskAccountNo(digits.slice(0, 4), digits.slice(-4)) : '***',
      },
    });
  });
  const tags = ['agent area: withdrawals'];
  const ownerOf = async (request: FastifyRequest) => agentOwner((await sessionAgent(services, request)).id);
  const { withdrawals } = services;

  api.get(
    CARD_ROUTE,
    { schema: { tags, summary: 'The agent’s settlement bank cards (masked)' } },
    async (request) => {
      const items = (await withdrawals.cards.list(await ownerOf(request))).map(bankCardView);
      return { items, total: items.length };
    },
  );

  api.post(
    CARD_ROUTE,
    {
      schema: {
        tags,
        summary: 'Bind a settlement bank card (login password, and TOTP when enabled)',
        body: BindCardBody,
      },
    },
    async (request, reply) => {
      const owner = await ownerOf(request);
      const b = request.body;
      await confirmManager(services, request, reply, b.password, b.totpCode);
      // The same platform setting that sends merchants' new cards to review sends agents'.
      const review = (await withdrawals.rules.defaults()).cardChangeReview;
      const card = await withdrawals.cards.bind(
        owner,
        {
          holderName: b.holderName,
          accountNo: b.accountNo,
          bankName: b.bankName,
          bankBranch: b.bankBranch,
          cardType: b.cardType,
        },
        { review, userId: sessionOf(request).user.id },
      );
      const view = bankCardView(card);
      noteAudit(request, { targetId: view.id, after: view });
      return reply.code(201).send(view);
    },
  );

  api.post(
    `${CARD_ROUTE}/:id/default`,
    { schema: { tags, summary: 'Make an active card the default', params: IdParams, body: ConfirmBody } },
    async (request, reply) => {
      const owner = await ownerOf(request);
      const id = BigInt(request.params.id);
      noteAudit(request, { before: bankCardView(await withdrawals.cards.require(owner, id)) });
      await confirmManager(services, request, reply, request.body.password, request.body.totpCode);
      const view = bankCardView(await withdrawals.cards.setDefault(owner, id));
      noteAudit(request, { after: view });
      return view;
    },
  );

  api.delete(
    `${CARD_ROUTE}/:id`,
    { schema: { tags, summary: 'Remove a bank card', params: IdParams, body: ConfirmBody } },
    async (request, reply) => {
      const owner = await ownerOf(request);
      const id = BigInt(request.params.id);
      noteAudit(request, {
        before: bankCardView(await withdrawals.cards.require(owner, id)),
        after: { deleted: true },
      });
      await confirmManager(services, request, reply, request.body.password, request.body.totpCode);
      await withdrawals.cards.remove(owner, id);
      return reply.code(204).send();
    },
  );

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
