import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMerchantUser, requireOperator, sessionOf } from '../auth/guards.ts';
import { portalScope } from '../orders/portal-routes.ts';
import type { BotGroupView, BotSubject } from './service.ts';
import { WEBHOOK_PATH } from './service.ts';
import type { TelegramUpdate } from './telegram.ts';

const IdParams = z.object({ id: z.string().regex(/^\d{1,18}$/, 'must be a group id') });
const Language = z.enum(['zh', 'en']);
/** Telegram user ids are positive integers below 2^52. */
const TelegramUserId = z.string().regex(/^\d{1,16}$/, 'must be a Telegram user id');
const GroupChange = z
  .object({
    language: Language.optional(),
    enabled: z.boolean().optional(),
    allowedUserIds: z.array(TelegramUserId).max(100).optional(),
    /** Fen; null: no large-payment messages. */
    largePaymentThreshold: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).nullable().optional(),
  })
  .strict();
const manage = { permission: 'bot.manage' } as const;
const manager = { merchantRole: 'manager' } as const;

const changeOf = (body: z.infer<typeof GroupChange>) => ({
  language: body.language,
  enabled: body.enabled,
  allowedUserIds: body.allowedUserIds?.map(BigInt),
  largePaymentThreshold:
    body.largePaymentThreshold === undefined
      ? undefined
      : body.largePaymentThreshold === null
        ? null
        : BigInt(body.largePaymentThreshold),
});

/** What the audit log keeps of a group (its merchant by number, not by internal id). */
const auditView = (g: BotGroupView & { mchNo?: string | null }) => ({
  chatId: g.chatId,
  title: g.title,
  boundTo: g.subject,
  ...(g.mchNo ? { mchNo: g.mchNo } : {}),
  language: g.language,
  enabled: g.enabled,
  allowedUserIds: g.allowedUserIds,
  largePaymentThreshold: g.largePaymentThreshold,
});

/** Operators' groups with their merchant's number and name, for the console's list. */
async function withMerchants(services: Services, groups: BotGroupView[]) {
  const ids = [...new Set(groups.flatMap((g) => (g.merchantId ? [BigInt(g.merchantId)] : [])))];
  const merchants = ids.length > 0 ? await services.merchants.merchantsByIds(ids) : new Map();
  return groups.map((g) => {
    const m = g.merchantId ? merchants.get(BigInt(g.merchantId)) : undefined;
    return { ...g, mchNo: m?.mch_no ?? null, merchantName: m ? m.short_name || m.name : null };
  });
}

/** 机器人管理 (OP-11): the bot's settings and every bound group. */
export async function botAdminRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: bot'];

  api.get(
    '/api/admin/bot',
    { schema: { tags, summary: "The bot's settings (the token is never returned)" }, config: manage },
    async () => services.bot.settings(),
  );

  api.put(
    '/api/admin/bot',
    {
      schema: {
        tags,
        summary: 'Change the bot token (write-only), the Bot API base URL and polling or webhook mode',
        body: z
          .object({
            token: z
              .string()
              .trim()
              .regex(/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/, 'must be a bot token from @BotFather')
              .optional(),
            apiBaseUrl: z
              .string()
              .trim()
              .url()
              .max(200)
              .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL')
              .optional(),
            mode: z.enum(['polling', 'webhook']).optional(),
          })
          .strict(),
      },
      config: manage,
    },
    async (request) => {
      const before = await services.bot.settings();
      const after = await services.bot.updateSettings(request.body);
      noteAudit(request, {
        targetType: 'bot',
        targetId: 'bot',
        before: { apiBaseUrl: before.apiBaseUrl, mode: before.mode, configured: before.configured },
        after: {
          apiBaseUrl: after.apiBaseUrl,
          mode: after.mode,
          configured: after.configured,
          replacedBot: request.body.token !== undefined,
        },
      });
      return after;
    },
  );

  api.get(
    '/api/admin/bot/groups',
    { schema: { tags, summary: 'Bound groups, newest binding first' }, config: manage },
    async () => {
      const items = await withMerchants(services, await services.bot.groups());
      return { items, total: items.length };
    },
  );

  api.post(
    '/api/admin/bot/binding-codes',
    {
      schema: {
        tags,
        summary:
          'A one-time code (10 minutes) that binds the group it is sent in to the operators or a merchant',
        body: z
          .object({
            subject: z.enum(['operators', 'merchant']),
            mchNo: z.string().trim().min(1).max(32).optional(),
            language: Language,
          })
          .strict()
          .refine((b) => b.subject === 'operators' || b.mchNo, {
            message: 'name the merchant',
            path: ['mchNo'],
          }),
      },
      config: manage,
    },
    async (request, reply) => {
      const { subject, mchNo, language } = request.body;
      const target: BotSubject =
        subject === 'operators'
          ? { kind: 'operators' }
          : { kind: 'merchant', merchantId: (await services.merchants.requireMerchant(mchNo!)).id };
      const code = await services.bot.createBindingCode(target, language, sessionOf(request).user.id);
      noteAudit(request, {
        targetType: 'bot_group',
        targetId: '',
        after: { boundTo: subject, ...(mchNo ? { mchNo } : {}), language, expiresAt: code.expiresAt },
      });
      return reply.code(201).send(code);
    },
  );

  api.patch(
    '/api/admin/bot/groups/:id',
    {
      schema: {
        tags,
        summary:
          "Change a group's language, enable or disable it, its allowed users, its large-payment threshold",
        params: IdParams,
        body: GroupChange,
      },
      config: manage,
    },
    async (request) => {
      const { before, after } = await services.bot.updateGroup(
        BigInt(request.params.id),
        changeOf(request.body),
      );
      const [named, namedBefore] = await withMerchants(services, [after, before]);
      noteAudit(request, {
        targetType: 'bot_group',
        targetId: after.id,
        before: auditView(namedBefore!),
        after: auditView(named!),
      });
      return named;
    },
  );

  api.delete(
    '/api/admin/bot/groups/:id',
    { schema: { tags, summary: 'Unbind a group', params: IdParams }, config: manage },
    async (request, reply) => {
      const [before] = await withMerchants(services, [await services.bot.unbind(BigInt(request.params.id))]);
      noteAudit(request, {
        targetType: 'bot_group',
        targetId: before!.id,
        before: auditView(before!),
        after: null,
      });
      return reply.code(204).send();
    },
  );

  api.post(
    '/api/admin/bot/groups/:id/test',
    { schema: { tags, summary: 'Send a test message to a group', params: IdParams }, config: manage },
    async (request) => {
      await services.bot.sendTest(BigInt(request.params.id));
      return { sent: true };
    },
  );
}

/** The merchant portal's panel: a store manager binds and manages the merchant's own groups. */
export async function botPortalRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMerchantUser(services));
  const tags = ['merchant portal: bot'];

  api.get(
    '/api/merchant/bot/groups',
    { schema: { tags, summary: "The merchant's bound groups" }, config: manager },
    async (request) => {
      const { merchantId } = portalScope(request);
      const settings = await services.bot.settings();
      return {
        botConfigured: settings.configured,
        botUsername: settings.botUsername,
        items: await services.bot.groups({ merchantId }),
      };
    },
  );

  api.post(
    '/api/merchant/bot/binding-codes',
    {
      schema: {
        tags,
        summary: 'A one-time code (10 minutes) that binds the group it is sent in to this merchant',
        body: z.object({ language: Language }).strict(),
      },
      config: manager,
    },
    async (request, reply) => {
      const { merchantId } = portalScope(request);
      const code = await services.bot.createBindingCode(
        { kind: 'merchant', merchantId },
        request.body.language,
        sessionOf(request).user.id,
      );
      noteAudit(request, {
        targetType: 'bot_group',
        targetId: '',
        after: { boundTo: 'merchant', language: request.body.language, expiresAt: code.expiresAt },
      });
      return reply.code(201).send(code);
    },
  );

  api.patch(
    '/api/merchant/bot/groups/:id',
    {
      schema: { tags, summary: "Change one of the merchant's groups", params: IdParams, body: GroupChange },
      config: manager,
    },
    async (request) => {
      const { merchantId } = portalScope(request);
      const { before, after } = await services.bot.updateGroup(
        BigInt(request.params.id),
        changeOf(request.body),
        merchantId,
      );
      noteAudit(request, {
        targetType: 'bot_group',
        targetId: after.id,
        before: auditView(before),
        after: auditView(after),
      });
      return after;
    },
  );

  api.delete(
    '/api/merchant/bot/groups/:id',
    { schema: { tags, summary: "Unbind one of the merchant's groups", params: IdParams }, config: manager },
    async (request, reply) => {
      const { merchantId } = portalScope(request);
      const before = await services.bot.unbind(BigInt(request.params.id), merchantId);
      noteAudit(request, {
        targetType: 'bot_group',
        targetId: before.id,
        before: auditView(before),
        after: null,
      });
      return reply.code(204).send();
    },
  );

  api.post(
    '/api/merchant/bot/groups/:id/test',
    { schema: { tags, summary: 'Send a test message to a group', params: IdParams }, config: manager },
    async (request) => {
      const { merchantId } = portalScope(request);
      await services.bot.sendTest(BigInt(request.params.id), merchantId);
      return { sent: true };
    },
  );
}

/**
 * The Bot API's webhook: each update is answered after its `X-Telegram-Bot-Api-Secret-Token` header
 * matched the secret set with setWebhook (else 403 and nothing is read). A 200 tells Telegram the
 * update is done; an update the bot cannot answer is logged, not retried.
 */
export async function botWebhookRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.post(
    WEBHOOK_PATH,
    {
      schema: {
        hide: true,
        body: z.object({ update_id: z.number().int() }).passthrough(),
      },
    },
    async (request) => {
      const header = request.headers['x-telegram-bot-api-secret-token'];
      await services.bot.handleWebhook(
        typeof header === 'string' ? header : undefined,
        request.body as unknown as TelegramUpdate,
      );
      return { ok: true };
    },
  );
}
