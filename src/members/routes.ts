import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { amountSchema, merchantSignatureGuard } from '../orders/routes.ts';
import { bankCardView } from '../withdrawals/cards.ts';
import { CARD_ID } from '../withdrawals/routes.ts';
import { withdrawalView } from '../withdrawals/service.ts';
import { BizUserId, CreateMemberBody, Cursor, DayRange, StateBody } from './schemas.ts';
import { type AppScope, memberEntryView, memberView, transferView } from './service.ts';

const MemberParams = z.object({ bizUserId: BizUserId });
const MCH_NO = z.string().regex(/^[A-Za-z0-9_\-.]{1,64}$/, 'must be 1–64 letters, digits, _ - .');

const BindCardBody = z
  .object({
    accountNo: z.string().regex(/^[\d ]{12,40}$/, 'must be 12–30 digits'),
    bankName: z.string().trim().min(1).max(64),
    bankBranch: z.string().trim().max(128).optional(),
    phone: z.string().regex(/^\+?\d{6,20}$/, 'must be 6–20 digits'),
  })
  .strict();

const TransferBody = z
  .object({
    transferNo: MCH_NO,
    fromBizUserId: BizUserId,
    toBizUserId: BizUserId,
    amount: amountSchema,
    remark: z.string().trim().max(200).optional(),
  })
  .strict();

const WithdrawBody = z
  .object({ mchWithdrawNo: MCH_NO, amount: amountSchema, cardId: CARD_ID.optional() })
  .strict();

const tags = ['merchant: members'];
const security = [{ merchantSignature: [] }];

/** The app the signed request came from: its merchant and row id. */
function scopeOf(request: FastifyRequest): AppScope {
  const app = request.merchantApp!;
  return { merchantId: app.merchantId, appDbId: app.appDbId };
}

/**
 * Signed merchant API for marketplace members (MON-9): open, read, change the state of and verify
 * members of the calling app, bind their cards, read their entries, move money between two of
 * them and withdraw a member's balance to its card. Another app's members are not found.
 */
export async function merchantMemberRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', merchantSignatureGuard(services));
  const members = services.members;
  const memberOf = (request: FastifyRequest, bizUserId: string) =>
    members.requireByBizUserId(scopeOf(request).appDbId, bizUserId);

  api.post(
    '/api/v1/members',
    {
      schema: {
        tags,
        summary: 'Open a member of the app (a buyer or a seller)',
        description:
          'Idempotent on bizUserId: the same data again answers the member with 200, different data MEMBER_EXISTS (409). ' +
          'The member signs the member service agreement through the API; it starts created and becomes verified ' +
          'after the real-name check (POST …/verify), then active (POST …/state).',
        security,
        body: CreateMemberBody,
      },
    },
    async (request, reply) => {
      const { member, created } = await members.create(scopeOf(request), request.body, {
        source: 'api',
        via: 'api',
      });
      return reply.code(created ? 201 : 200).send(memberView(member, await members.balances(member.id)));
    },
  );

  api.get(
    '/api/v1/members/:bizUserId',
    { schema: { tags, summary: 'Get a member with its balances', security, params: MemberParams } },
    async (request) => {
      const member = await memberOf(request, request.params.bizUserId);
      return memberView(member, await members.balances(member.id));
    },
  );

  api.post(
    '/api/v1/members/:bizUserId/state',
    {
      schema: {
        tags,
        summary: 'Activate, freeze or close a member',
        description:
          'active: from verified, or back from frozen; frozen: from active (no money leaves a frozen member); ' +
          'closed: final, and only when every balance is zero. MEMBER_STATE otherwise.',
        security,
        params: MemberParams,
        body: StateBody,
      },
    },
    async (request) => {
      const member = await members.setState(
        await memberOf(request, request.params.bizUserId),
        request.body.state,
      );
      return memberView(member, await members.balances(member.id));
    },
  );

  api.post(
    '/api/v1/members/:bizUserId/verify',
    {
      schema: {
        tags,
        summary: "Check the member's name and ID number now (real-name verification)",
        description:
          'A pass makes a created member verified; a failure is MEMBER_VERIFY_FAILED with the reason.',
        security,
        params: MemberParams,
      },
    },
    async (request) => {
      const member = await members.verify(await memberOf(request, request.params.bizUserId));
      return memberView(member, await members.balances(member.id));
    },
  );

  api.get(
    '/api/v1/members/:bizUserId/bank-cards',
    { schema: { tags, summary: "The member's bank cards (masked)", security, params: MemberParams } },
    async (request) => {
      const items = (await members.cardsOf(await memberOf(request, request.params.bizUserId))).map(
        bankCardView,
      );
      return { items };
    },
  );

  api.post(
    '/api/v1/members/:bizUserId/bank-cards',
    {
      schema: {
        tags,
        summary: "Bind a bank card in the member's name",
        description:
          "The card's four elements (the member's name and ID number, the card number, the phone the bank has) " +
          'are checked first: MEMBER_VERIFY_FAILED when they do not match. The first card is the default.',
        security,
        params: MemberParams,
        body: BindCardBody,
      },
    },
    async (request, reply) => {
      const card = await members.bindCard(await memberOf(request, request.params.bizUserId), request.body);
      return reply.code(201).send(bankCardView(card));
    },
  );

  api.delete(
    '/api/v1/members/:bizUserId/bank-cards/:cardId',
    {
      schema: {
        tags,
        summary: "Remove a member's bank card",
        security,
        params: MemberParams.extend({ cardId: z.string().regex(/^\d{1,18}$/) }),
      },
    },
    async (request, reply) => {
      await members.removeCard(
        await memberOf(request, request.params.bizUserId),
        BigInt(request.params.cardId),
      );
      return reply.code(204).send();
    },
  );

  api.get(
    '/api/v1/members/:bizUserId/entries',
    {
      schema: {
        tags,
        summary: "The member's account entries, newest first",
        description:
          'from and to are local days (YYYY-MM-DD, both included, at most 92 days apart). account is pending ' +
          '(待结算户), available (簿记账户) or frozen; balanceAfter is that account’s balance after the entry. ' +
          'Pass nextCursor as cursor for the older page.',
        security,
        params: MemberParams,
        querystring: z.object({ ...DayRange, cursor: Cursor }),
      },
    },
    async (request) => {
      const member = await memberOf(request, request.params.bizUserId);
      const q = request.query;
      const page = await members.entries(member.id, q, q.cursor ? BigInt(q.cursor) : null);
      return { items: page.items.map(memberEntryView), nextCursor: page.nextCursor };
    },
  );

  api.post(
    '/api/v1/member-transfers',
    {
      schema: {
        tags,
        summary: "Move money from one member's available balance to another's",
        description:
          'Both members belong to the calling app; the sender must be active. Idempotent on transferNo: a same-body ' +
          'retry answers the transfer with 200 and moves nothing more, a changed body IDEMPOTENCY_CONFLICT. ' +
          'INSUFFICIENT_BALANCE when the sender’s available balance is short.',
        security,
        body: TransferBody,
      },
    },
    async (request, reply) => {
      const b = request.body;
      const { transfer, created } = await members.transfer(scopeOf(request), {
        ...b,
        amount: BigInt(b.amount),
      });
      const names = await members.byIds([transfer.from_member_id, transfer.to_member_id]);
      return reply.code(created ? 201 : 200).send(transferView(transfer, names));
    },
  );

  api.post(
    '/api/v1/members/:bizUserId/withdrawals',
    {
      schema: {
        tags,
        summary: "Withdraw a member's available balance to its bank card",
        description:
          'Idempotent on mchWithdrawNo (per member). The platform’s withdrawal rules apply (fee, limits, window, ' +
          'review threshold); only an active member withdraws (MEMBER_STATE).',
        security,
        params: MemberParams,
        body: WithdrawBody,
      },
    },
    async (request, reply) => {
      const member = await memberOf(request, request.params.bizUserId);
      const b = request.body;
      const { withdrawal, created } = await members.withdraw(member, {
        mchWithdrawNo: b.mchWithdrawNo,
        amount: BigInt(b.amount),
        cardId: b.cardId,
      });
      return reply.code(created ? 201 : 200).send(withdrawalView(withdrawal));
    },
  );

  api.get(
    '/api/v1/members/:bizUserId/withdrawals/:withdrawNo',
    {
      schema: {
        tags,
        summary: "Get a member's withdrawal",
        security,
        params: MemberParams.extend({ withdrawNo: z.string().min(1).max(64) }),
      },
    },
    async (request) => {
      const member = await memberOf(request, request.params.bizUserId);
      return withdrawalView(await members.withdrawal(member, request.params.withdrawNo));
    },
  );
}
