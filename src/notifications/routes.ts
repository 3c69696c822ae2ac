import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMerchantUser, requireOperator, sessionOf } from '../auth/guards.ts';
import { ProvidersInput, QuietHours, Recipients } from './settings.ts';
import { NOTIFICATION_EVENTS, NOTIFICATION_LOCALES } from './templates.ts';

const Event = z.enum(NOTIFICATION_EVENTS);
const Locale = z.enum(NOTIFICATION_LOCALES);
const Channel = z.enum(['email', 'sms', 'telegram']);
const TemplateParams = z.object({ event: Event, locale: Locale });
const TemplateBody = z
  .object({
    subject: z.string().max(200),
    body: z.string().min(1).max(1000),
    smsTemplateCode: z.string().trim().max(64).default(''),
    smsSignName: z.string().trim().max(32).default(''),
  })
  .strict();
const blankToUndefined = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** The operators' notification settings (通知设置): providers, templates, delivery log, blacklist, quiet hours. */
export async function notificationAdminRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: notifications'];
  const config = { permission: 'settings.write' } as const;
  const n = services.notifications;

  api.get(
    '/api/admin/notifications/providers',
    { schema: { tags, summary: 'E-mail (SMTP) and SMS provider settings; secrets shown masked' }, config },
    async () => n.providerSettings(),
  );

  api.put(
    '/api/admin/notifications/providers',
    {
      schema: {
        tags,
        summary: 'Change the provider settings (a secret left out keeps the stored one; "" clears it)',
        body: ProvidersInput,
      },
      config,
    },
    async (request) => {
      const before = await n.providerSettings();
      const after = await n.saveProviderSettings(request.body);
      noteAudit(request, { targetType: 'setting', targetId: 'notifications.providers', before, after });
      return after;
    },
  );

  api.post(
    '/api/admin/notifications/test',
    {
      schema: {
        tags,
        summary: 'Send the test message to one address now, through the saved settings',
        body: z
          .object({ channel: Channel, address: z.string().trim().min(1).max(256), locale: Locale })
          .strict(),
      },
      config,
    },
    async (request) => {
      const result = await n.sendTest(request.body.channel, request.body.address, request.body.locale);
      noteAudit(request, {
        targetType: 'setting',
        targetId: 'notifications.providers',
        before: undefined,
        after: { channel: request.body.channel, status: result.status },
      });
      return result;
    },
  );

  api.get(
    '/api/admin/notifications/templates',
    { schema: { tags, summary: 'Every event’s template in both languages, with its variables' }, config },
    async () => ({ items: await n.templates(), variables: n.variables }),
  );

  api.get(
    '/api/admin/notifications/templates/preview',
    {
      schema: {
        tags,
        summary: 'A template rendered with sample values; unknown variables are refused',
        querystring: z.object({
          event: Event,
          locale: Locale,
          subject: z.string().max(200).default(''),
          body: z.string().max(1000),
        }),
      },
      config,
    },
    async (request) => n.preview(request.query.event, request.query.locale, request.query),
  );

  api.put(
    '/api/admin/notifications/templates/:event/:locale',
    {
      schema: { tags, summary: 'Change a template', params: TemplateParams, body: TemplateBody },
      config,
    },
    async (request) => {
      const { event, locale } = request.params;
      const before = await n.template(event, locale);
      const after = await n.saveTemplate(event, locale, request.body);
      noteAudit(request, {
        targetType: 'notification_template',
        targetId: `${event}/${locale}`,
        before,
        after,
      });
      return after;
    },
  );

  api.delete(
    '/api/admin/notifications/templates/:event/:locale',
    { schema: { tags, summary: 'Back to the shipped template', params: TemplateParams }, config },
    async (request) => {
      const { event, locale } = request.params;
      const before = await n.template(event, locale);
      const after = await n.resetTemplate(event, locale);
      noteAudit(request, {
        targetType: 'notification_template',
        targetId: `${event}/${locale}`,
        before,
        after,
      });
      return after;
    },
  );

  api.get(
    '/api/admin/notifications/deliveries',
    {
      schema: {
        tags,
        summary: 'The delivery log, newest first (addresses masked, one-time codes never shown)',
        querystring: z.object({
          status: blankToUndefined(z.enum(['queued', 'sent', 'failed', 'suppressed'])),
          channel: blankToUndefined(Channel),
          event: blankToUndefined(Event),
          limit: z.coerce.number().int().min(1).max(100).default(20),
          offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
        }),
      },
      config,
    },
    async (request) => {
      const { limit, offset, ...filter } = request.query;
      return n.deliveries(filter, limit, offset);
    },
  );

  api.get(
    '/api/admin/notifications/blacklist',
    { schema: { tags, summary: 'Addresses no message is sent to' }, config },
    async () => ({ items: await n.blacklist() }),
  );

  api.post(
    '/api/admin/notifications/blacklist',
    {
      schema: {
        tags,
        summary: 'Put an address on the blacklist: messages to it are suppressed and logged as such',
        body: z
          .object({
            channel: Channel,
            address: z.string().trim().min(1).max(256),
            remark: z.string().trim().max(200).default(''),
          })
          .strict(),
      },
      config,
    },
    async (request, reply) => {
      const after = await n.addToBlacklist(request.body.channel, request.body.address, request.body.remark);
      noteAudit(request, {
        targetType: 'notification_blacklist',
        targetId: after.id,
        before: undefined,
        after,
      });
      return reply.code(201).send(after);
    },
  );

  api.delete(
    '/api/admin/notifications/blacklist/:id',
    {
      schema: {
        tags,
        summary: 'Take an address off the blacklist',
        params: z.object({ id: z.coerce.bigint() }),
      },
      config,
    },
    async (request) => {
      const before = await n.removeFromBlacklist(request.params.id);
      noteAudit(request, {
        targetType: 'notification_blacklist',
        targetId: before.id,
        before,
        after: undefined,
      });
      return { ok: true };
    },
  );

  api.get(
    '/api/admin/notifications/quiet-hours',
    { schema: { tags, summary: 'Quiet hours: non-urgent messages wait for the send window' }, config },
    async () => n.quietHours(),
  );

  api.put(
    '/api/admin/notifications/quiet-hours',
    { schema: { tags, summary: 'Change the quiet hours', body: QuietHours }, config },
    async (request) => {
      const before = await n.quietHours();
      const after = await n.saveQuietHours(request.body);
      noteAudit(request, { targetType: 'setting', targetId: 'notifications.quietHours', before, after });
      return after;
    },
  );

  api.get(
    '/api/admin/notifications/recipients',
    { schema: { tags, summary: 'Who receives the operators’ messages (alerts), per event' }, config },
    async () => ({ items: await n.recipients(), events: n.operatorEvents }),
  );

  api.put(
    '/api/admin/notifications/recipients',
    {
      schema: {
        tags,
        summary: 'Change who receives the operators’ messages',
        body: z.object({ items: Recipients }),
      },
      config,
    },
    async (request) => {
      const before = { items: await n.recipients() };
      const after = { items: await n.saveRecipients(request.body.items) };
      noteAudit(request, { targetType: 'setting', targetId: 'notifications.recipients', before, after });
      return { ...after, events: n.operatorEvents };
    },
  );
}

/** The merchant portal's switch for customer messages (order paid, refund succeeded). */
export async function notificationPortalRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMerchantUser(services));
  const tags = ['merchant portal: notifications'];
  const merchantOf = (request: Parameters<typeof sessionOf>[0]) => sessionOf(request).user.merchantId!;

  api.get(
    '/api/merchant/notifications/customer-messages',
    { schema: { tags, summary: 'Whether payers get a message when an order is paid or refunded' } },
    async (request) => services.notifications.customerOptin(merchantOf(request)),
  );

  api.put(
    '/api/merchant/notifications/customer-messages',
    {
      schema: {
        tags,
        summary: 'Switch the customer messages on or off (store managers)',
        body: z.object({ orderPaid: z.boolean(), refundSucceeded: z.boolean() }).strict(),
      },
      config: { merchantRole: 'manager' },
    },
    async (request) => {
      const merchantId = merchantOf(request);
      const before = await services.notifications.customerOptin(merchantId);
      const after = await services.notifications.saveCustomerOptin(merchantId, request.body);
      noteAudit(request, {
        targetType: 'setting',
        targetId: 'notifications.customerMessages',
        before,
        after,
      });
      return after;
    },
  );
}
