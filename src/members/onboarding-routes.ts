import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMerchantUser, requireOwnOriginJson, sessionOf } from '../auth/guards.ts';
import { limitGuess } from '../auth/guess-limit.ts';
import { WindowLimiter } from '../collect/limiter.ts';
import { AppError } from '../errors.ts';
import { portalScope } from '../orders/portal-routes.ts';
import { blank } from '../orders/routes.ts';
import { agreementText, MEMBER_AGREEMENT_VERSION } from './agreement.ts';
import { IMAGE_KINDS, type LinkState, linkView, MAX_IMAGE_BYTES, nextStep, stateOf } from './onboarding.ts';
import type { LinkRow } from './onboarding-queries.ts';
import { MEMBER_TYPES } from './queries.ts';
import { BizUserId, Cursor } from './schemas.ts';
import { maskPhone } from './service.ts';

/** Requests to the public onboarding API per address and minute: page loads, steps and guesses. */
export const ONBOARDING_REQUESTS_PER_IP_PER_MINUTE = 120;
/** Codes sent per address and hour, whatever the link. */
export const ONBOARDING_CODES_PER_IP_HOUR = 20;

const IMAGE_BODY_LIMIT = Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 64 * 1024;
const TokenParams = z.object({ token: z.string().min(1).max(128) });
const Phone = z.string().trim().max(20);
const LinkNo = z.string().regex(/^OL\d{1,20}$/, 'must be a signing link number (OL and digits)');
const LINK_STATES = ['open', 'completed', 'revoked', 'expired'] as const;

/**
 * The signing page's API (签约链接): public, reached only with the link's token; a token never
 * issued is ONBOARDING_LINK_NOT_FOUND. Each address has a budget of requests per minute (429
 * RATE_LIMITED beyond it), code guesses count against the console's per-address guess limit, and
 * every answer says no-store and no-referrer so the token stays out of caches and Referers.
 */
export async function memberOnboardingPublicRoutes(
  app: FastifyInstance,
  { services, publicUrl }: { services: Services; publicUrl?: string },
) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onboarding = services.memberOnboarding;
  const perIp = new WindowLimiter(ONBOARDING_REQUESTS_PER_IP_PER_MINUTE, 60_000);
  const codesPerIp = new WindowLimiter(ONBOARDING_CODES_PER_IP_HOUR, 3_600_000);
  const guesses = services.consoleUsers.guessesPerIp;
  const tags = ['public: member onboarding'];
  api.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    if (!perIp.take(request.ip)) {
      reply.header('retry-after', String(perIp.retryAfterSeconds(request.ip)));
      throw new AppError('RATE_LIMITED', 'too many requests from this address; try again in a minute');
    }
  });
  const preValidation = requireOwnOriginJson(publicUrl);
  const base = '/api/onboarding/:token';

  /** What the page shows: the merchant, the link's state and validity, each step's saved data, masked. */
  const pageView = async (link: LinkRow) => {
    const [merchants, apps, done, images] = await Promise.all([
      services.merchants.merchantsByIds([link.merchant_id]),
      services.merchants.appsByRowIds([link.app_id]),
      onboarding.progress(link),
      onboarding.imagesOf([link.id]),
    ]);
    const merchant = merchants.get(link.merchant_id);
    const member = link.member_id
      ? (await services.members.byIds([link.member_id])).get(link.member_id)
      : null;
    return {
      merchantName: merchant?.short_name || merchant?.name || '',
      appName: apps.get(link.app_id)?.name ?? '',
      state: stateOf(link),
      expiresAt: link.expires_at.toISOString(),
      preset: { type: link.preset_type, name: link.preset_name, phoneMasked: maskPhone(link.preset_phone) },
      done,
      nextStep: nextStep(done),
      identity: link.identity_verified_at
        ? {
            type: link.type,
            name: link.name,
            idNoMasked: `${'*'.repeat(14)}${link.id_no_last4}`,
            legalPersonName: link.legal_person_name,
          }
        : null,
      images: images.map((i) => i.kind),
      phoneMasked: maskPhone(link.phone),
      card: link.card_verified_at ? { bankName: link.card_bank_name, last4: link.card_last4 } : null,
      cardSkipped: link.card_skipped_at !== null,
      agreement: { version: MEMBER_AGREEMENT_VERSION, text: agreementText() },
      memberNo: member?.member_no ?? null,
    };
  };
  const answer = async (link: LinkRow) => pageView(link);

  api.get(
    base,
    {
      schema: {
        tags,
        summary: 'The signing page: merchant, validity, the steps done and the next one',
        params: TokenParams,
      },
    },
    async (request) => {
      const link = await onboarding.byToken(request.params.token);
      // A used link still shows its result (the member reloading after signing); the others refuse.
      if (stateOf(link) !== 'completed') await onboarding.requireOpen(request.params.token);
      return pageView(link);
    },
  );

  api.post(
    `${base}/identity`,
    {
      schema: {
        tags,
        summary:
          "Identity: a person's name and ID number, or a company's with its legal person (checked by the verifier)",
        params: TokenParams,
        body: z
          .object({
            type: z.enum(MEMBER_TYPES),
            name: z.string().max(100),
            idNo: z.string().max(32),
            legalPersonName: z.string().max(100).optional(),
            legalPersonIdNo: z.string().max(32).optional(),
          })
          .strict(),
      },
      preValidation,
    },
    async (request) => answer(await onboarding.identity(request.params.token, request.body)),
  );

  api.put(
    `${base}/images/:kind`,
    {
      schema: {
        tags,
        summary: 'A licence image of an enterprise (PNG or JPEG, at most 2 MB, base64)',
        params: TokenParams.extend({ kind: z.enum(IMAGE_KINDS) }),
        body: z.object({ content: z.string().min(1).max(IMAGE_BODY_LIMIT) }).strict(),
      },
      bodyLimit: IMAGE_BODY_LIMIT,
      preValidation,
    },
    async (request) => {
      const bytes = Buffer.from(request.body.content, 'base64');
      await onboarding.uploadImage(request.params.token, request.params.kind, bytes);
      return answer(await onboarding.requireOpen(request.params.token));
    },
  );

  api.post(
    `${base}/phone/code`,
    {
      schema: {
        tags,
        summary: 'Send an SMS code to the phone to bind',
        params: TokenParams,
        body: z.object({ phone: Phone }).strict(),
      },
      preValidation,
    },
    async (request, reply) => {
      if (!codesPerIp.take(request.ip)) {
        const retryAfterSeconds = codesPerIp.retryAfterSeconds(request.ip);
        reply.header('retry-after', String(retryAfterSeconds));
        throw new AppError('RATE_LIMITED', 'too many codes from this address', { retryAfterSeconds });
      }
      return onboarding.sendCode(request.params.token, request.body.phone);
    },
  );

  api.post(
    `${base}/phone/verify`,
    {
      schema: {
        tags,
        summary: 'Check the SMS code: the phone is bound to the member',
        params: TokenParams,
        body: z.object({ phone: Phone, code: z.string().trim().min(1).max(12) }).strict(),
      },
      preValidation,
    },
    async (request, reply) =>
      answer(
        await limitGuess(guesses, request, reply, () =>
          onboarding.verifyCode(request.params.token, request.body.phone, request.body.code),
        ),
      ),
  );

  api.post(
    `${base}/card`,
    {
      schema: {
        tags,
        summary: "A bank card in the member's name (four elements checked by the verifier)",
        params: TokenParams,
        body: z
          .object({
            accountNo: z.string().regex(/^[\d ]{12,40}$/, 'must be 12–30 digits'),
            bankName: z.string().trim().min(1).max(64),
          })
          .strict(),
      },
      preValidation,
    },
    async (request) => answer(await onboarding.card(request.params.token, request.body)),
  );

  api.post(
    `${base}/card/skip`,
    { schema: { tags, summary: 'Bind no card now', params: TokenParams }, preValidation },
    async (request) => answer(await onboarding.skipCard(request.params.token)),
  );

  api.post(
    `${base}/sign`,
    {
      schema: {
        tags,
        summary: 'Sign the member service agreement: the member is opened, active, and the link completed',
        params: TokenParams,
        body: z.object({ agree: z.literal(true) }).strict(),
      },
      preValidation,
    },
    async (request, reply) => {
      const { link } = await onboarding.sign(request.params.token);
      return reply.code(201).send(await pageView(link));
    },
  );
}

/**
 * The merchant portal's signing links (会员 › 签约链接): create one for an app (store managers), the
 * list with each link's validity and progress, revoke, and an enterprise's licence images, which
 * only the link's merchant reads. The link's address is shown once, when it is created.
 */
export async function merchantOnboardingLinkRoutes(
  app: FastifyInstance,
  { services }: { services: Services },
) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMerchantUser(services));
  const onboarding = services.memberOnboarding;
  const tags = ['merchant portal: members'];
  const manager = { merchantRole: 'manager' } as const;
  const base = '/api/merchant/member-onboarding-links';

  const views = async (rows: LinkRow[]) => {
    const memberIds = rows.flatMap((l) => (l.member_id ? [l.member_id] : []));
    const [apps, members, images] = await Promise.all([
      services.merchants.appsByRowIds(rows.map((l) => l.app_id)),
      services.members.byIds(memberIds),
      onboarding.imagesOf(rows.map((l) => l.id)),
    ]);
    return rows.map((l) =>
      linkView(l, {
        appId: apps.get(l.app_id)?.appId ?? null,
        appName: apps.get(l.app_id)?.name ?? null,
        memberNo: l.member_id ? (members.get(l.member_id)?.member_no ?? null) : null,
        images: images.filter((i) => i.link_id === l.id),
      }),
    );
  };

  api.get(
    base,
    {
      schema: {
        tags,
        summary: 'Signing links, newest first, with their validity, state and progress',
        querystring: z.object({ state: blank(z.enum(LINK_STATES)), cursor: Cursor }),
      },
    },
    async (request) => {
      const page = await onboarding.list(portalScope(request).merchantId, {
        state: request.query.state as LinkState | undefined,
        cursor: request.query.cursor ? BigInt(request.query.cursor) : undefined,
      });
      return { items: await views(page.items), nextCursor: page.nextCursor };
    },
  );

  api.post(
    base,
    {
      schema: {
        tags,
        summary: 'Create a signing link valid 7 days (store manager); its address is answered only now',
        body: z
          .object({
            appId: z.string().min(1).max(64).optional(),
            bizUserId: BizUserId.optional(),
            type: z.enum(MEMBER_TYPES).optional(),
            name: z.string().trim().min(1).max(100).optional(),
            phone: Phone.optional(),
          })
          .strict(),
      },
      config: manager,
    },
    async (request, reply) => {
      const { link, url } = await onboarding.create(
        portalScope(request).merchantId,
        request.body,
        sessionOf(request).user.id,
      );
      const [view] = await views([link]);
      noteAudit(request, { targetId: link.link_no, after: view });
      return reply.code(201).send({ ...view!, url });
    },
  );

  api.post(
    `${base}/:linkNo/revoke`,
    {
      schema: {
        tags,
        summary: 'Revoke a signing link (store manager)',
        params: z.object({ linkNo: LinkNo }),
      },
      config: manager,
    },
    async (request) => {
      const link = await onboarding.revoke(portalScope(request).merchantId, request.params.linkNo);
      noteAudit(request, { targetId: link.link_no, after: { state: 'revoked' } });
      return (await views([link]))[0];
    },
  );

  api.get(
    `${base}/:linkNo/images/:kind`,
    {
      schema: {
        tags,
        summary: "An enterprise's licence image uploaded through the link",
        params: z.object({ linkNo: LinkNo, kind: z.enum(IMAGE_KINDS) }),
      },
    },
    async (request, reply) => {
      const { linkNo, kind } = request.params;
      const image = await onboarding.image(portalScope(request).merchantId, linkNo, kind);
      return reply
        .type(image.contentType)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .header(
          'content-disposition',
          `inline; filename="${linkNo}-${kind}.${image.contentType === 'image/png' ? 'png' : 'jpg'}"`,
        )
        .send(image.content);
    },
  );
}
