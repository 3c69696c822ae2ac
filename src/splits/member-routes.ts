import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMemberUser, sessionOf } from '../auth/guards.ts';
import { sendAgreementDocument } from './routes.ts';

const AgreementParams = z.object({ id: z.string().regex(/^\d{1,18}$/) });

/**
 * The member portal's commission agreements (待签协议): the session's member's own, to read, sign
 * and download once signed. Every route reads the session's member: another member's agreement is
 * the 404 of nothing.
 */
export async function memberSplitAgreementRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMemberUser(services));
  const tags = ['member portal'];
  const memberIdOf = (request: FastifyRequest) => sessionOf(request).user.memberId!;
  const agreements = services.splits.agreements;

  api.get(
    '/api/member/split-agreements',
    {
      schema: {
        tags,
        summary:
          "The member's split-and-commission agreements: those awaiting its signature first, then the signed",
      },
    },
    async (request) => ({ items: await agreements.listForMember(memberIdOf(request)) }),
  );

  api.get(
    '/api/member/split-agreements/:id',
    {
      schema: {
        tags,
        summary: 'One agreement with its text (lang zh or en) and the digest of its terms to sign with',
        params: AgreementParams,
        querystring: z.object({ lang: z.enum(['zh', 'en']).default('zh') }),
      },
    },
    async (request) =>
      agreements.viewForMember(memberIdOf(request), BigInt(request.params.id), request.query.lang),
  );

  api.post(
    '/api/member/split-agreements/:id/sign',
    {
      schema: {
        tags,
        summary:
          'Sign the agreement as read: termsDigest is the one the agreement was shown with (SPLIT_AGREEMENT_CHANGED when the terms moved since)',
        params: AgreementParams,
        body: z.object({ termsDigest: z.string().regex(/^[0-9a-f]{32}$/) }).strict(),
      },
    },
    async (request) => {
      const signed = await agreements.sign(
        memberIdOf(request),
        BigInt(request.params.id),
        request.body.termsDigest,
      );
      const { text: _text, ...after } = signed;
      noteAudit(request, { targetType: 'split_rule', targetId: signed.ruleNo, after });
      return signed;
    },
  );

  api.get(
    '/api/member/split-agreements/:id/document',
    {
      schema: {
        tags,
        summary: 'The signed agreement as a text document (404 until signed)',
        params: AgreementParams,
      },
    },
    async (request, reply) =>
      sendAgreementDocument(
        reply,
        await agreements.documentForMember(memberIdOf(request), BigInt(request.params.id)),
      ),
  );
}
