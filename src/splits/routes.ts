import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMerchantUser } from '../auth/guards.ts';
import { portalScope } from '../orders/portal-routes.ts';
import { amountSchema, merchantSignatureGuard } from '../orders/routes.ts';
import { MAX_PARTIES } from './compute.ts';
import { MAX_NAMED_SPLITS } from './service.ts';

const OrderNoParams = z.object({ orderNo: z.string().min(1).max(64) });
const RuleNoParams = z.object({ ruleNo: z.string().min(1).max(64) });
const ConfirmNo = z.string().regex(/^[A-Za-z0-9_\-.]{1,64}$/, 'must be 1–64 letters, digits, _ - .');
const MemberNo = z.string().min(1).max(64);
const PAGE = 50;
const manager = { merchantRole: 'manager' } as const;

const ConfirmBody = z
  .object({
    confirmNo: ConfirmNo,
    amount: amountSchema.optional(),
    splits: z
      .array(z.object({ bizUserId: z.string().min(1).max(64), amount: amountSchema }).strict())
      .max(MAX_NAMED_SPLITS)
      .optional(),
  })
  .strict();

/** Signed merchant API: escrow confirmations and the escrow payment with its confirmations. */
export async function merchantEscrowRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', merchantSignatureGuard(services));

  api.post(
    '/api/v1/escrow/:orderNo/confirm',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Confirm (part of) an escrow payment',
        description:
          'Releases `amount` (default: all it still holds) of what the escrow order holds to the rule’s receiver and commission parties in proportion, or to the named `splits` (members of the app, adding up to the amount; a named release pays only those members, so the rule’s commission is not taken from that part). Partial confirmations are allowed until the held amount is used up. Idempotent on confirmNo: a retry answers the escrow as it is.',
        security: [{ merchantSignature: [] }],
        params: OrderNoParams,
        body: ConfirmBody,
      },
    },
    async (request) => {
      const body = request.body;
      return services.splits.escrows.confirmEscrow(
        request.merchantApp!.merchantId,
        request.params.orderNo,
        {
          confirmNo: body.confirmNo,
          amount: body.amount === undefined ? undefined : BigInt(body.amount),
          splits: body.splits?.map((s) => ({ bizUserId: s.bizUserId, amount: BigInt(s.amount) })),
        },
        'api',
      );
    },
  );

  api.get(
    '/api/v1/escrow/:orderNo',
    {
      schema: {
        tags: ['merchant'],
        summary: 'Get an escrow payment with its confirmations (担保消费关联查询)',
        security: [{ merchantSignature: [] }],
        params: OrderNoParams,
      },
    },
    async (request) =>
      services.splits.escrows.escrowView(request.merchantApp!.merchantId, request.params.orderNo),
  );
}

const Party = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('merchant') }).strict(),
  z.object({ kind: z.literal('member'), memberNo: MemberNo }).strict(),
]);

const PartyBody = z
  .object({
    party: Party,
    basis: z.enum(['ppm', 'fixed']),
    value: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    floor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullish(),
    cap: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullish(),
  })
  .strict();

const RuleUpdateBody = z
  .object({
    name: z.string().trim().min(1).max(64),
    appId: z.string().min(1).max(64),
    parties: z.array(PartyBody).max(MAX_PARTIES),
  })
  .strict();

const RuleCreateBody = RuleUpdateBody.extend({
  receiver: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('payee') }).strict(),
    z.object({ kind: z.literal('member'), memberNo: MemberNo }).strict(),
  ]),
}).strict();

const Cursor = z
  .string()
  .regex(/^\d{1,18}$/)
  .optional();

function partiesOf(body: z.infer<typeof RuleUpdateBody>) {
  return body.parties.map((p) => ({
    party: p.party,
    basis: p.basis,
    value: BigInt(p.value),
    floor: p.floor == null ? null : BigInt(p.floor),
    cap: p.cap == null ? null : BigInt(p.cap),
  }));
}

/**
 * The merchant portal's splits (MON-7, MON-8): split rules, records ("I split out" / "split to
 * me"), and escrow payments. Everyone in the merchant's area reads; the store manager changes.
 */
export async function splitPortalRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMerchantUser(services));
  const tags = ['merchant portal'];
  const merchantIdOf = (request: FastifyRequest) => portalScope(request).merchantId;

  api.get(
    '/api/merchant/split-rules',
    { schema: { tags, summary: "The merchant's split and commission rules (分账抽佣规则)" } },
    async (request) => ({ items: await services.splits.rules.listRules(merchantIdOf(request)) }),
  );

  api.post(
    '/api/merchant/split-rules',
    {
      schema: {
        tags,
        summary:
          'Create a split rule: its receiver (the order’s payee or a fixed member) and commission parties',
        body: RuleCreateBody,
      },
      config: manager,
    },
    async (request, reply) => {
      const body = request.body;
      const rule = await services.splits.rules.createRule(merchantIdOf(request), {
        name: body.name,
        appId: body.appId,
        receiver: body.receiver,
        parties: partiesOf(body),
      });
      noteAudit(request, { targetType: 'split_rule', targetId: rule.ruleNo, after: rule });
      return reply.code(201).send(rule);
    },
  );

  api.put(
    '/api/merchant/split-rules/:ruleNo',
    {
      schema: {
        tags,
        summary: 'Change a split rule’s name and parties (the receiver stays)',
        params: RuleNoParams,
        body: RuleUpdateBody,
      },
      config: manager,
    },
    async (request) => {
      const merchantId = merchantIdOf(request);
      const before = await services.splits.rules.ruleView(merchantId, request.params.ruleNo);
      const body = request.body;
      const after = await services.splits.rules.updateRule(merchantId, request.params.ruleNo, {
        name: body.name,
        appId: body.appId,
        parties: partiesOf(body),
      });
      noteAudit(request, { targetType: 'split_rule', targetId: after.ruleNo, before, after });
      return after;
    },
  );

  for (const [action, state] of [
    ['enable', 'enabled'],
    ['disable', 'disabled'],
  ] as const) {
    api.post(
      `/api/merchant/split-rules/:ruleNo/${action}`,
      {
        schema: {
          tags,
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} a split rule`,
          params: RuleNoParams,
        },
        config: manager,
      },
      async (request) => {
        const after = await services.splits.rules.setRuleState(
          merchantIdOf(request),
          request.params.ruleNo,
          state,
        );
        noteAudit(request, { targetType: 'split_rule', targetId: after.ruleNo, after: { state } });
        return after;
      },
    );
  }

  api.post(
    '/api/merchant/split-rules/:ruleNo/parties/:partyId/resend-agreement',
    {
      schema: {
        tags,
        summary: 'Send a member party its commission agreement again (the time is recorded)',
        params: RuleNoParams.extend({ partyId: z.string().regex(/^\d{1,18}$/) }),
      },
      config: manager,
    },
    async (request) => {
      const after = await services.splits.rules.resendAgreement(
        merchantIdOf(request),
        request.params.ruleNo,
        BigInt(request.params.partyId),
      );
      noteAudit(request, {
        targetType: 'split_rule',
        targetId: after.ruleNo,
        after: { resentAgreementOf: request.params.partyId },
      });
      return after;
    },
  );

  api.get(
    '/api/merchant/split-rules/:ruleNo/parties/:partyId/agreement-document',
    {
      schema: {
        tags,
        summary: "A member party's signed commission agreement as a text document (404 until signed)",
        params: RuleNoParams.extend({ partyId: z.string().regex(/^\d{1,18}$/) }),
      },
    },
    async (request, reply) => {
      const doc = await services.splits.rules.agreementDocument(
        merchantIdOf(request),
        request.params.ruleNo,
        BigInt(request.params.partyId),
      );
      return sendAgreementDocument(reply, doc);
    },
  );

  api.get(
    '/api/merchant/split-records',
    {
      schema: {
        tags,
        summary:
          'Split records: view=out, everything the merchant split out (我分出去的, optionally to one member); view=in, what was split to one member (分给我的, memberNo required). Newest first.',
        querystring: z.object({
          view: z.enum(['out', 'in']).default('out'),
          memberNo: MemberNo.optional(),
          from: z.iso.datetime({ offset: true }).optional(),
          to: z.iso.datetime({ offset: true }).optional(),
          cursor: Cursor,
        }),
      },
    },
    async (request) => {
      const q = request.query;
      return services.splits.shares.listRecords(merchantIdOf(request), {
        view: q.view,
        memberNo: q.memberNo,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        cursor: q.cursor,
        limit: PAGE,
      });
    },
  );

  api.get(
    '/api/merchant/escrows',
    {
      schema: {
        tags,
        summary: 'Escrow payments (担保支付) with their confirmations, newest first',
        querystring: z.object({
          state: z.enum(['holding', 'partially_released', 'released', 'refunded']).optional(),
          cursor: Cursor,
        }),
      },
    },
    async (request) =>
      services.splits.escrows.listEscrows(merchantIdOf(request), {
        state: request.query.state,
        cursor: request.query.cursor,
        limit: PAGE,
      }),
  );

  api.post(
    '/api/merchant/escrows/:orderNo/confirm',
    {
      schema: {
        tags,
        summary: 'Confirm (part of) an escrow payment for the buyer: default all it still holds',
        params: OrderNoParams,
        body: z.object({ confirmNo: ConfirmNo.optional(), amount: amountSchema.optional() }).strict(),
      },
      config: manager,
    },
    async (request) => {
      const body = request.body;
      const after = await services.splits.escrows.confirmEscrow(
        merchantIdOf(request),
        request.params.orderNo,
        {
          confirmNo: body.confirmNo ?? `portal-${Date.now()}`,
          amount: body.amount === undefined ? undefined : BigInt(body.amount),
        },
        'portal',
      );
      noteAudit(request, {
        targetType: 'escrow',
        targetId: after.orderNo,
        after: { released: after.released },
      });
      return after;
    },
  );
}

/** A signed agreement as a plain-text download (the member's and the merchant's the same). */
export function sendAgreementDocument(reply: FastifyReply, doc: { text: string; fileName: string }) {
  return reply
    .header('content-type', 'text/plain; charset=utf-8')
    .header('content-disposition', `attachment; filename="${doc.fileName}"`)
    .send(doc.text);
}
