import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { sessionOf } from '../auth/guards.ts';
import { bankCardView, CARD_TYPES, maskAccountNo } from './cards.ts';
import { ConfirmBody, confirmManager, Password, TotpCode } from './confirm.ts';
import type { WithdrawalOwner } from './owner.ts';

const IdParams = z.object({ id: z.string().regex(/^\d{1,18}$/) });

const BindCardBody = z.object({
  holderName: z.string().trim().min(1).max(64),
  accountNo: z.string().trim().min(1).max(40),
  bankName: z.string().trim().min(1).max(64),
  bankBranch: z.string().trim().max(128).optional(),
  cardType: z.enum(CARD_TYPES),
  password: Password,
  totpCode: TotpCode,
});

/**
 * A login's settlement bank cards (结算卡) under `path`: list, bind, make default, remove. The
 * merchant portal's (a manager's) and the agent area's are the same routes for another owner; each
 * change needs the login's password and TOTP code, and the platform's `cardChangeReview` setting
 * sends new cards to the operators' review.
 */
export function bankCardRoutes(
  app: FastifyInstance,
  services: Services,
  area: {
    path: string;
    tags: string[];
    ownerOf: (request: FastifyRequest) => Promise<bigint | WithdrawalOwner> | bigint | WithdrawalOwner;
    /** Route config the area's guard reads (the merchant portal: manager only). */
    config?: Record<string, unknown>;
  },
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { path, tags, ownerOf, config } = area;
  const cards = services.withdrawals.cards;
  // The audit row of a card binding keeps the mask, never the number (not even when the body is refused).
  api.addHook('preValidation', async (request) => {
    if (request.method !== 'POST' || request.routeOptions.url !== path) return;
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

  api.get(
    path,
    { schema: { tags, summary: 'The settlement bank cards (masked)' }, config },
    async (request) => {
      const items = (await cards.list(await ownerOf(request))).map(bankCardView);
      return { items, total: items.length };
    },
  );

  api.post(
    path,
    {
      schema: {
        tags,
        summary: 'Bind a settlement bank card (login password, and TOTP when enabled)',
        body: BindCardBody,
      },
      config,
    },
    async (request, reply) => {
      const owner = await ownerOf(request);
      const b = request.body;
      await confirmManager(services, request, reply, b.password, b.totpCode);
      const review = (await services.withdrawals.rules.defaults()).cardChangeReview;
      const card = await cards.bind(
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
    `${path}/:id/default`,
    {
      schema: { tags, summary: 'Make an active card the default', params: IdParams, body: ConfirmBody },
      config,
    },
    async (request, reply) => {
      const owner = await ownerOf(request);
      const id = BigInt(request.params.id);
      noteAudit(request, { before: bankCardView(await cards.require(owner, id)) });
      await confirmManager(services, request, reply, request.body.password, request.body.totpCode);
      const view = bankCardView(await cards.setDefault(owner, id));
      noteAudit(request, { after: view });
      return view;
    },
  );

  api.delete(
    `${path}/:id`,
    { schema: { tags, summary: 'Remove a bank card', params: IdParams, body: ConfirmBody }, config },
    async (request, reply) => {
      const owner = await ownerOf(request);
      const id = BigInt(request.params.id);
      noteAudit(request, { before: bankCardView(await cards.require(owner, id)), after: { deleted: true } });
      await confirmManager(services, request, reply, request.body.password, request.body.totpCode);
      await cards.remove(owner, id);
      return reply.code(204).send();
    },
  );
}
