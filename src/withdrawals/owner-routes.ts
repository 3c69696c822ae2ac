import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { sessionOf } from '../auth/guards.ts';
import { exportFormat } from '../exports/routes.ts';
import { fundsAccounts } from '../ledger/types.ts';
import { toJsonAmount } from '../money/money.ts';
import { amountSchema, blank, windowOf } from '../orders/routes.ts';
import { consoleMchOrderNo } from '../orders/service.ts';
import { TimeBound } from '../stats/time.ts';
import { bankCardRoutes } from './card-routes.ts';
import { confirmManager, Password, TotpCode } from './confirm.ts';
import { ClientWithdrawNo, withdrawalFilterQuery } from './console-routes.ts';
import { sendWithdrawalExport } from './exports.ts';
import type { WithdrawalOwner } from './owner.ts';
import { WITHDRAWAL_STATES } from './queries.ts';
import { CARD_ID } from './routes.ts';
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
const WithdrawBody = z.object({
  amount: amountSchema,
  /** The owner's default card when not named. */
  cardId: CARD_ID.optional(),
  mchWithdrawNo: ClientWithdrawNo,
  password: Password,
  totpCode: TotpCode,
});

/**
 * An area's own withdrawals (提现) and settlement bank cards (结算卡) under `prefix`, for an owner
 * who withdraws under the platform's default rules (an agent its commission, a member its 簿记账户):
 * the rules with today's use and the balances, the list, its export, one withdrawal with its
 * timeline, and a new withdrawal behind the login's password (and TOTP code when it has one).
 * Every route acts for the session's owner only; another's card or withdrawal is the 404 of nothing.
 */
export function ownerWithdrawalRoutes(
  app: FastifyInstance,
  services: Services,
  area: {
    prefix: '/api/agent' | '/api/member';
    tags: string[];
    /** "agent's", "member's": in the routes' summaries. */
    whose: string;
    ownerOf: (request: FastifyRequest) => Promise<WithdrawalOwner> | WithdrawalOwner;
    /** The first letters of a withdrawal's number when the client gives none. */
    numberPrefix: string;
  },
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { prefix, tags, whose, ownerOf, numberPrefix } = area;
  const { withdrawals } = services;

  bankCardRoutes(app, services, { path: `${prefix}/bank-cards`, tags, ownerOf });

  api.get(
    `${prefix}/withdrawal-rules`,
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
    `${prefix}/withdrawals`,
    { schema: { tags, summary: `The ${whose} withdrawals, newest first`, querystring: ListQuery } },
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
    `${prefix}/withdrawals/export`,
    {
      schema: {
        tags,
        summary: `Export the ${whose} withdrawals the list's filters match as CSV or XLSX, oldest first (at most the exports.maxRows setting)`,
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
    `${prefix}/withdrawals/:withdrawNo`,
    { schema: { tags, summary: `One of the ${whose} withdrawals and its timeline`, params: NoParams } },
    async (request) => {
      const w = await withdrawals.getForOwner(await ownerOf(request), request.params.withdrawNo);
      return { ...withdrawalView(w), events: eventViews(await withdrawals.events(w.id)) };
    },
  );

  api.post(
    `${prefix}/withdrawals`,
    {
      schema: {
        tags,
        summary:
          'Withdraw from the available balance to a bound card, the default when none is named (login password); idempotent on the optional mchWithdrawNo',
        body: WithdrawBody,
      },
    },
    async (request, reply) => {
      const owner = await ownerOf(request);
      const b = request.body;
      noteAudit(request, {
        targetType: 'withdrawal',
        after: { amount: b.amount, cardId: b.cardId?.toString() ?? null },
      });
      await confirmManager(services, request, reply, b.password, b.totpCode);
      // A new owner's accounts may not exist yet: opened before the withdrawal's transaction.
      await services.ledger.openAccounts(Object.values(fundsAccounts(owner, 'CNY')));
      const { withdrawal, created } = await withdrawals.create(
        owner,
        {
          mchWithdrawNo: b.mchWithdrawNo ?? consoleMchOrderNo(numberPrefix),
          amount: BigInt(b.amount),
          ...(b.cardId !== undefined ? { cardId: b.cardId } : {}),
        },
        { source: 'portal', appId: null, userId: sessionOf(request).user.id },
      );
      const view = withdrawalView(withdrawal);
      noteAudit(request, { targetId: view.withdrawNo, after: view });
      return reply.code(created ? 201 : 200).send(view);
    },
  );
}
