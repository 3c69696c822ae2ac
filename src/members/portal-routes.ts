import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMemberUser, requireOwnOriginJson, sessionOf } from '../auth/guards.ts';
import { limitGuess } from '../auth/guess-limit.ts';
import { AppError } from '../errors.ts';
import { exportFormat } from '../exports/routes.ts';
import { assertWithinLimit, type ExportColumn, yuan } from '../exports/stream.ts';
import * as ledgerQueries from '../ledger/queries.ts';
import { toJsonAmount } from '../money/money.ts';
import { blank, windowOf } from '../orders/routes.ts';
import { TimeBound } from '../stats/time.ts';
import { confirmManager, Password, TotpCode } from '../withdrawals/confirm.ts';
import { memberOwner } from '../withdrawals/owner.ts';
import { ownerWithdrawalRoutes } from '../withdrawals/owner-routes.ts';
import { CARD_ID } from '../withdrawals/routes.ts';
import { word } from '../words.ts';
import { MemberPortalAuth } from './portal-auth.ts';
import * as portal from './portal-queries.ts';
import type { MemberRow } from './queries.ts';

/** The member's three accounts: 待结算户, 簿记账户 and what its open withdrawals hold. */
export const MEMBER_ACCOUNT_KINDS = ['member_pending', 'member_available', 'member_frozen'] as const;
/** The most rows one export of a member's entries may hold (MON-9). */
export const MEMBER_EXPORT_MAX_ROWS = 10_000;
const PAGE = 50;

const Phone = z.string().trim().max(20);
const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');

function entryView(e: ledgerQueries.EntryRow) {
  return {
    id: e.id.toString(),
    at: e.at.toISOString(),
    account: e.account.replace(/^member_/, '') as 'pending' | 'available' | 'frozen',
    type: e.type,
    reference: e.reference,
    amount: toJsonAmount(e.amount),
    balanceAfter: toJsonAmount(e.balance_after),
  };
}

function entryColumns(time: (at: Date | null) => string | null): ExportColumn<ledgerQueries.EntryRow>[] {
  return [
    { key: 'at', header: '记账时间', cell: (e) => time(e.at) },
    { key: 'type', header: '业务类型', cell: (e) => word('entryType', e.type) ?? e.type },
    {
      key: 'account',
      header: '账户',
      cell: (e) => word('balance', e.account.replace(/^member_/, '')) ?? e.account,
    },
    { key: 'reference', header: '关联单号', cell: (e) => e.reference },
    { key: 'amount', header: '变动金额', money: true, cell: (e) => yuan(e.amount) },
    { key: 'balanceAfter', header: '变动后余额', money: true, cell: (e) => yuan(e.balance_after) },
    { key: 'id', header: '流水号', cell: (e) => e.id.toString() },
  ];
}

/**
 * The member portal (会员门户, seed 001 §2): the first login by SMS code (before any session), and
 * the area `member`'s API — its information and balances, bank cards, withdrawal setting, account
 * entries and withdrawals. Every /api/member route acts for the session's member only: another
 * member's card, entry or withdrawal is the 404 of nothing.
 */
export async function memberPortalRoutes(
  app: FastifyInstance,
  { services, publicUrl }: { services: Services; publicUrl?: string },
) {
  await app.register(firstLoginRoutes, { services, publicUrl });
  await app.register(memberAreaRoutes, { services });
}

async function firstLoginRoutes(
  app: FastifyInstance,
  { services, publicUrl }: { services: Services; publicUrl?: string },
) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['console: auth'];
  const firstLogin = new MemberPortalAuth(services);
  const preValidation = requireOwnOriginJson(publicUrl);
  const guesses = services.consoleUsers.guessesPerIp;

  api.post(
    '/api/auth/member/first-login/code',
    {
      schema: {
        tags,
        summary:
          "Member portal first login: send a code by SMS to a member's bound phone (the same answer whether or not the phone is a member's)",
        body: z.object({ phone: Phone }),
      },
      preValidation,
    },
    async (request) => firstLogin.sendCode(request.body.phone, request.ip),
  );

  api.post(
    '/api/auth/member/first-login/verify',
    {
      schema: {
        tags,
        summary: "Check the SMS code: a setup token and the phone's members to choose from",
        body: z.object({ phone: Phone, code: z.string().trim().min(1).max(12) }),
      },
      preValidation,
    },
    async (request, reply) =>
      limitGuess(guesses, request, reply, () => firstLogin.verifyCode(request.body.phone, request.body.code)),
  );

  api.post(
    '/api/auth/member/first-login/setup',
    {
      schema: {
        tags,
        summary:
          "Set up the chosen member's portal login (username, password, optionally login by phone); then log in as usual",
        body: z.object({
          setupToken: z.string().min(1).max(128),
          memberNo: z.string().min(1).max(64),
          username: z.string().min(1).max(64),
          password: Password,
          phoneLogin: z.boolean().default(false),
        }),
      },
      preValidation,
    },
    async (request, reply) => {
      const result = await firstLogin.setUp(request.body);
      await services.audit.record({
        actorArea: 'member',
        actorId: null,
        actorName: result.username,
        ip: request.ip,
        action: 'auth.member_first_login',
        targetType: 'member',
        targetId: request.body.memberNo,
        status: 201,
        before: undefined,
        after: { username: result.username, phoneLogin: result.loginPhone !== null },
      });
      return reply.code(201).send({ username: result.username, phoneLogin: result.loginPhone !== null });
    },
  );
}

async function memberAreaRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMemberUser(services));
  const tags = ['member portal'];
  const { withdrawals } = services;

  const memberOf = async (request: FastifyRequest): Promise<MemberRow> => {
    const id = sessionOf(request).user.memberId!;
    const member = (await services.members.byIds([id])).get(id);
    if (!member) throw new AppError('MEMBER_NOT_FOUND', 'this login’s member is gone');
    return member;
  };
  const ownerOf = (request: FastifyRequest) => memberOwner(sessionOf(request).user.memberId!);
  // 'platform': the marketplace makes this member's withdrawals through the API, never the member here.
  api.addHook('preHandler', async (request) => {
    if (request.method !== 'POST' || request.routeOptions.url !== '/api/member/withdrawals') return;
    if ((await memberOf(request)).withdraw_mode === 'platform') {
      throw new AppError('MEMBER_WITHDRAW_BY_PLATFORM', 'the marketplace makes this member’s withdrawals');
    }
  });
  const filterOf = (request: FastifyRequest, q: { from?: string; to?: string }) => ({
    merchantId: sessionOf(request).user.memberId!,
    kinds: MEMBER_ACCOUNT_KINDS,
    ...windowOf(q, withdrawals.timeZone),
  });

  // Bank cards and withdrawals: the owner areas' own routes (a frozen or closed member's withdrawal
  // is refused by the withdrawals domain under the member's lock).
  ownerWithdrawalRoutes(app, services, {
    prefix: '/api/member',
    tags,
    whose: "member's",
    ownerOf,
    numberPrefix: 'MW',
  });

  api.get(
    '/api/member/me',
    {
      schema: {
        tags,
        summary: "The member's information, its merchant, balances (fen) and withdrawal setting",
      },
    },
    async (request) => {
      const member = await memberOf(request);
      const session = sessionOf(request);
      const merchant = (await services.merchants.merchantsByIds([member.merchant_id])).get(
        member.merchant_id,
      );
      const balance = (kind: (typeof MEMBER_ACCOUNT_KINDS)[number]) =>
        services.ledger.balanceOf({ kind, ownerId: member.id, currency: 'CNY' });
      const [pending, available, frozen, cards] = await Promise.all([
        balance('member_pending'),
        balance('member_available'),
        balance('member_frozen'),
        withdrawals.cards.list(memberOwner(member.id)),
      ]);
      const defaultCard = cards.find((c) => c.is_default && c.state === 'active');
      return {
        user: { username: session.user.username, totpEnabled: session.user.totpEnabled },
        member: {
          memberNo: member.member_no,
          bizUserId: member.biz_user_id,
          type: member.type,
          name: member.name,
          phoneMasked: member.phone ? `${member.phone.slice(0, 3)}****${member.phone.slice(-4)}` : '',
          idNoMasked: member.id_no_last4 ? `${'*'.repeat(14)}${member.id_no_last4}` : '',
          state: member.state,
          createdAt: member.created_at.toISOString(),
        },
        merchantName: merchant?.name ?? '',
        balances: {
          currency: 'CNY',
          pending: toJsonAmount(pending),
          available: toJsonAmount(available),
          frozen: toJsonAmount(frozen),
        },
        withdrawSetting: {
          mode: member.withdraw_mode,
          autoTime: member.withdraw_auto_time,
          cardId: defaultCard ? defaultCard.id.toString() : null,
        },
      };
    },
  );

  api.put(
    '/api/member/withdraw-setting',
    {
      schema: {
        tags,
        summary:
          'Withdraw by hand, or automatically each day at a time to a card (made the default); login password',
        body: z.object({
          mode: z.enum(['manual', 'auto']),
          autoTime: Clock.optional(),
          cardId: CARD_ID.optional(),
          password: Password,
          totpCode: TotpCode,
        }),
      },
    },
    async (request, reply) => {
      const b = request.body;
      const member = await memberOf(request);
      if (member.withdraw_mode === 'platform') {
        throw new AppError('FORBIDDEN', 'the platform sets this member’s withdrawals');
      }
      if (b.mode === 'auto' && !b.autoTime) {
        throw new AppError('INVALID_REQUEST', 'autoTime: required for automatic withdrawal', {
          field: 'autoTime',
        });
      }
      noteAudit(request, {
        targetType: 'member',
        targetId: member.member_no,
        before: { mode: member.withdraw_mode, autoTime: member.withdraw_auto_time },
        after: { mode: b.mode, autoTime: b.autoTime ?? null, cardId: b.cardId?.toString() ?? null },
      });
      await confirmManager(services, request, reply, b.password, b.totpCode);
      const owner = memberOwner(member.id);
      if (b.cardId !== undefined) await withdrawals.cards.setDefault(owner, b.cardId);
      else if (b.mode === 'auto' && !(await withdrawals.cards.list(owner)).some((c) => c.is_default)) {
        throw new AppError('NO_BANK_CARD', 'bind an active settlement bank card first');
      }
      await portal.updateWithdrawSetting(
        services.db,
        member.id,
        b.mode,
        b.mode === 'auto' ? b.autoTime! : null,
      );
      const after = await memberOf(request);
      const card = (await withdrawals.cards.list(owner)).find((c) => c.is_default && c.state === 'active');
      return {
        mode: after.withdraw_mode,
        autoTime: after.withdraw_auto_time,
        cardId: card ? card.id.toString() : null,
      };
    },
  );

  api.get(
    '/api/member/entries',
    {
      schema: {
        tags,
        summary:
          "The member's account entries (待结算户, 簿记账户, frozen), newest first, each with its account's balance after it; `cursor` is the last page's nextCursor",
        querystring: z.object({
          from: blank(TimeBound),
          to: blank(TimeBound),
          cursor: blank(z.string().regex(/^\d{1,18}$/)),
          pageSize: z.coerce.number().int().min(1).max(200).default(PAGE),
        }),
      },
    },
    async (request) => {
      const q = request.query;
      const rows = await ledgerQueries.entriesBefore(
        services.db,
        filterOf(request, q),
        q.cursor ? BigInt(q.cursor) : null,
        q.pageSize + 1,
      );
      const items = rows.slice(0, q.pageSize).map(entryView);
      return { items, nextCursor: rows.length > q.pageSize ? items[items.length - 1]!.id : null };
    },
  );

  api.get(
    '/api/member/entries/export',
    {
      schema: {
        tags,
        summary: `Export the member's account entries as CSV or XLSX, oldest first (at most ${MEMBER_EXPORT_MAX_ROWS} rows)`,
        querystring: z.object({ from: blank(TimeBound), to: blank(TimeBound), ...exportFormat }),
      },
    },
    async (request, reply) => {
      const filter = filterOf(request, request.query);
      const count = () => ledgerQueries.countEntries(services.db, filter);
      assertWithinLimit(await count(), MEMBER_EXPORT_MAX_ROWS);
      return services.exports.send(reply, {
        name: 'member-entries',
        sheet: '账户明细',
        format: request.query.format,
        columns: entryColumns(services.exports.time),
        count,
        page: (afterId, limit) => ledgerQueries.entriesAfter(services.db, filter, afterId, limit),
        idOf: (e) => e.id,
        shape: (rows) => rows,
      });
    },
  );
}
