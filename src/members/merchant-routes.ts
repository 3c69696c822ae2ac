import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMerchantUser } from '../auth/guards.ts';
import { AppError } from '../errors.ts';
import { exportFormat } from '../exports/routes.ts';
import { assertWithinLimit, type ExportColumn, yuan } from '../exports/stream.ts';
import * as ledgerQueries from '../ledger/queries.ts';
import { toJsonAmount } from '../money/money.ts';
import { portalScope } from '../orders/portal-routes.ts';
import { bankCardView } from '../withdrawals/cards.ts';
import { word } from '../words.ts';
import { agreementDocument } from './agreement.ts';
import type { AutoWithdrawalRunRow } from './auto-withdrawal-queries.ts';
import type { MemberRow } from './queries.ts';
import { CreateMemberBody, Cursor, Day, DayRange, ListQuery, MemberNo, StateBody } from './schemas.ts';
import { balancesView, MAX_EXPORT_ROWS, memberEntryView, memberView, transferView } from './service.ts';

const MemberParams = z.object({ memberNo: MemberNo });
const tags = ['merchant portal: members'];
const manager = { merchantRole: 'manager' } as const;

/**
 * The merchant portal's members (会员管理, MON-9): the list, opening a member on its behalf, the
 * detail with balances, cards and signed agreements, state changes (managers), the entries with
 * their export and end-of-day balances, and the transfers. Another merchant's member is not found.
 */
export async function merchantMemberPortalRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMerchantUser(services));
  const members = services.members;
  const memberOf = (request: FastifyRequest, memberNo: string) =>
    members.requireForMerchant(portalScope(request).merchantId, memberNo);

  api.get(
    '/api/merchant/members',
    {
      schema: {
        tags,
        summary: 'Members, newest first (type, state, and a keyword: number, bizUserId, name or phone)',
        querystring: ListQuery,
      },
    },
    async (request) => {
      const q = request.query;
      const page = await members.list({
        merchantId: portalScope(request).merchantId,
        type: q.type,
        state: q.state,
        keyword: q.q,
        beforeId: q.cursor ? BigInt(q.cursor) : undefined,
      });
      return { items: page.items.map((m) => memberView(m)), nextCursor: page.nextCursor };
    },
  );

  api.post(
    '/api/merchant/members',
    {
      schema: {
        tags,
        summary:
          "Open a member on the member's behalf (store manager); the member is told by SMS when SMS is set up",
        body: CreateMemberBody.extend({ appId: z.string().min(1).max(64).optional() }),
      },
      config: manager,
    },
    async (request, reply) => {
      const { appId, ...input } = request.body;
      const merchantId = portalScope(request).merchantId;
      const keys = await services.merchants.orderingApp(merchantId, appId);
      const { member, created } = await members.create({ merchantId, appDbId: keys.appDbId }, input, {
        source: 'portal',
        via: 'portal',
      });
      const view = memberView(member);
      noteAudit(request, { targetId: member.member_no, after: view });
      if (created) await members.tellOpened(member, keys.merchantName);
      return reply.code(created ? 201 : 200).send(view);
    },
  );

  api.get(
    '/api/merchant/members/:memberNo',
    {
      schema: {
        tags,
        summary: 'A member with its balances, bank cards and signed agreements',
        params: MemberParams,
      },
    },
    async (request) => {
      const member = await memberOf(request, request.params.memberNo);
      const [balances, cards, agreements, runs] = await Promise.all([
        members.balances(member.id),
        members.cardsOf(member),
        members.agreements(member),
        members.autoWithdrawals.runsOf(member.id, 1),
      ]);
      return {
        member: memberView(member),
        balances: balancesView(balances),
        cards: cards.map(bankCardView),
        agreements: agreements.map((a) => ({
          id: a.id.toString(),
          kind: a.kind,
          version: a.version,
          signedVia: a.signed_via,
          signedAt: a.signed_at.toISOString(),
        })),
        withdrawSetting: withdrawSettingView(member, runs[0]),
      };
    },
  );

  api.put(
    '/api/merchant/members/:memberNo/withdraw-setting',
    {
      schema: {
        tags,
        summary:
          "Set how a member withdraws (store manager): by hand, automatically each day at a time to its default card, or by the marketplace through the API ('platform': not in the member's portal)",
        params: MemberParams,
        body: z
          .object({
            mode: z.enum(['manual', 'auto', 'platform']),
            autoTime: z
              .string()
              .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM')
              .optional(),
          })
          .strict(),
      },
      config: manager,
    },
    async (request) => {
      const before = await memberOf(request, request.params.memberNo);
      const b = request.body;
      noteAudit(request, {
        targetId: before.member_no,
        before: { mode: before.withdraw_mode, autoTime: before.withdraw_auto_time },
      });
      await members.autoWithdrawals.setByMerchant(before, b.mode, b.autoTime ?? null);
      const after = await memberOf(request, request.params.memberNo);
      noteAudit(request, { after: { mode: after.withdraw_mode, autoTime: after.withdraw_auto_time } });
      return withdrawSettingView(after, (await members.autoWithdrawals.runsOf(after.id, 1))[0]);
    },
  );

  api.post(
    '/api/merchant/members/:memberNo/state',
    {
      schema: {
        tags,
        summary: 'Activate, freeze or close a member (store manager)',
        params: MemberParams,
        body: StateBody,
      },
      config: manager,
    },
    async (request) => {
      const before = await memberOf(request, request.params.memberNo);
      noteAudit(request, { targetId: before.member_no, before: { state: before.state } });
      const member = await members.setState(before, request.body.state);
      noteAudit(request, { after: { state: member.state } });
      return memberView(member);
    },
  );

  api.get(
    '/api/merchant/members/:memberNo/entries',
    {
      schema: {
        tags,
        summary: "A member's account entries over local days, newest first (store manager)",
        params: MemberParams,
        querystring: z.object({ ...DayRange, cursor: Cursor }),
      },
      config: manager,
    },
    async (request) => {
      const member = await memberOf(request, request.params.memberNo);
      const q = request.query;
      const page = await members.entries(member.id, q, q.cursor ? BigInt(q.cursor) : null);
      return { items: page.items.map(memberEntryView), nextCursor: page.nextCursor };
    },
  );

  api.get(
    '/api/merchant/members/:memberNo/entries/export',
    {
      schema: {
        tags,
        summary: `Export a member's entries as CSV or XLSX, oldest first (store manager; at most ${MAX_EXPORT_ROWS} rows)`,
        params: MemberParams,
        querystring: z.object({ ...DayRange, ...exportFormat }),
      },
      config: manager,
    },
    async (request, reply) => {
      const member = await memberOf(request, request.params.memberNo);
      const q = request.query;
      const filter = members.entryFilter(member.id, q);
      const count = () => ledgerQueries.countEntries(services.db, filter);
      assertWithinLimit(await count(), MAX_EXPORT_ROWS);
      return services.exports.send(reply, {
        name: `member-entries-${member.member_no}`,
        sheet: '会员资金流水',
        format: q.format,
        columns: memberEntryColumns(services.exports.time),
        count,
        page: (afterId, limit) => ledgerQueries.entriesAfter(services.db, filter, afterId, limit),
        idOf: (e) => e.id,
        shape: (rows) => rows,
      });
    },
  );

  api.get(
    '/api/merchant/members/:memberNo/daily-balances',
    {
      schema: {
        tags,
        summary: "A member's end-of-day balances (期末余额) per local day, newest first (store manager)",
        params: MemberParams,
        querystring: z.object({ from: Day, to: Day }),
      },
      config: manager,
    },
    async (request) => {
      const member = await memberOf(request, request.params.memberNo);
      const days = await members.dailyBalances(member.id, request.query);
      return { items: days.map((d) => ({ day: d.day, ...balancesView(d) })) };
    },
  );

  api.get(
    '/api/merchant/members/:memberNo/agreements/:id/document',
    {
      schema: {
        tags,
        summary: 'The signed agreement as a text document',
        params: MemberParams.extend({ id: z.string().regex(/^\d{1,18}$/) }),
      },
    },
    async (request, reply) => {
      const member = await memberOf(request, request.params.memberNo);
      const agreement = await members.requireAgreement(member, BigInt(request.params.id));
      const merchant = (await services.merchants.merchantsByIds([member.merchant_id])).get(
        member.merchant_id,
      );
      if (!merchant) throw new AppError('NOT_FOUND', 'merchant not found');
      const text = agreementDocument(agreement, member, merchant.name, members.timeZone);
      return reply
        .header('content-type', 'text/plain; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="agreement-${member.member_no}-${agreement.version}.txt"`,
        )
        .send(text);
    },
  );

  api.get(
    '/api/merchant/member-transfers',
    {
      schema: {
        tags,
        summary: 'Transfers between members, newest first (store manager)',
        querystring: z.object({ memberNo: MemberNo.optional(), cursor: Cursor }),
      },
      config: manager,
    },
    async (request) => {
      const merchantId = portalScope(request).merchantId;
      const q = request.query;
      const member = q.memberNo ? await members.requireForMerchant(merchantId, q.memberNo) : undefined;
      const page = await members.transfers({
        merchantId,
        memberId: member?.id,
        cursor: q.cursor ? BigInt(q.cursor) : null,
      });
      return { items: page.items.map((t) => transferView(t, page.members)), nextCursor: page.nextCursor };
    },
  );
}

function memberEntryColumns(
  time: (at: Date | null) => string | null,
): ExportColumn<ledgerQueries.EntryRow>[] {
  return [
    { key: 'at', header: '记账时间', cell: (e) => time(e.at) },
    { key: 'type', header: '业务类型', cell: (e) => word('entryType', e.type) },
    { key: 'account', header: '账户', cell: (e) => word('memberAccount', e.account.replace(/^member_/, '')) },
    { key: 'reference', header: '关联单号', cell: (e) => e.reference },
    { key: 'amount', header: '变动金额', money: true, cell: (e) => yuan(e.amount) },
    { key: 'balanceAfter', header: '变动后余额', money: true, cell: (e) => yuan(e.balance_after) },
    { key: 'id', header: '流水号', cell: (e) => e.id.toString() },
  ];
}

/** How the member withdraws, with the last day of its automatic withdrawal (withdrawn or why not). */
function withdrawSettingView(member: MemberRow, last: AutoWithdrawalRunRow | undefined) {
  return {
    mode: member.withdraw_mode,
    autoTime: member.withdraw_auto_time,
    lastAutoRun: last
      ? {
          day: last.local_day,
          outcome: last.outcome,
          reason: last.reason,
          withdrawNo: last.withdraw_no,
          amount: last.amount === null ? null : toJsonAmount(last.amount),
        }
      : null,
  };
}
