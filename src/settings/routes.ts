import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireOperator } from '../auth/guards.ts';
import {
  MAX_LOGO_BYTES,
  MAX_ORDER_NUMBER_LENGTH,
  MIN_ORDER_NUMBER_DIGITS,
  MIN_PASSWORD_EXPIRY_DAYS,
  NOTIFY_SCHEDULE_BOUNDS,
  ORDER_DATE_PARTS,
  ORDER_NUMBER_BOUNDS,
  type OrderNumberRule,
  PASSWORD_POLICY_BOUNDS,
  type PlatformSettings,
  SESSION_POLICY_BOUNDS,
} from './platform.ts';

/** A logo's base64 is 4/3 of its bytes; the JSON around it is small. */
const LOGO_BODY_LIMIT = Math.ceil((MAX_LOGO_BYTES * 4) / 3) + 64 * 1024;

/** The settings as the console edits them, with the bounds each form keeps to. */
function settingsView(s: PlatformSettings) {
  return {
    orderNumberRule: s.orderNumberRule,
    notifySchedule: { scheduleSeconds: s.notifyScheduleSeconds, isDefault: s.notifyScheduleIsDefault },
    sessionPolicy: s.sessionPolicy,
    passwordPolicy: s.passwordPolicy,
    site: siteView(s.site),
    bounds: {
      orderNumber: {
        ...ORDER_NUMBER_BOUNDS,
        datePart: Object.keys(ORDER_DATE_PARTS),
        maxLength: MAX_ORDER_NUMBER_LENGTH,
        minDigits: MIN_ORDER_NUMBER_DIGITS,
      },
      notifySchedule: NOTIFY_SCHEDULE_BOUNDS,
      sessionPolicy: SESSION_POLICY_BOUNDS,
      passwordPolicy: { ...PASSWORD_POLICY_BOUNDS, minExpiryDays: MIN_PASSWORD_EXPIRY_DAYS },
      logoMaxKb: MAX_LOGO_BYTES / 1024,
    },
  };
}

function siteView(site: PlatformSettings['site']) {
  return { name: site.name, logoUrl: site.logoVersion ? `/api/site/logo?v=${site.logoVersion}` : null };
}

/**
 * The operators' configuration (支付配置's order numbers, 系统设置's notify schedule, session and
 * password policies, site name and logo), each change audited with before and after; and the site's
 * name and logo for everyone (the login page, the cashier page).
 */
export async function platformSettingsRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const settings = services.platformSettings;

  // Public: what the login page and every console's header show.
  app.register(async (open) => {
    open.get(
      '/api/site',
      { schema: { tags: ['console: site'], summary: 'The site name and logo' } },
      async () => siteView(await settings.site()),
    );
    open.get(
      '/api/site/logo',
      { schema: { tags: ['console: site'], summary: 'The site logo (PNG, JPEG or WebP)' } },
      async (_request, reply) => {
        const logo = await settings.logo();
        if (!logo) return reply.code(404).send({ code: 'NOT_FOUND', message: 'no logo' });
        return reply
          .header('content-type', logo.type)
          .header('cache-control', 'public, max-age=300')
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'")
          .send(logo.bytes);
      },
    );
  });

  app.register(async (admin) => {
    const api = admin.withTypeProvider<ZodTypeProvider>();
    api.addHook('preValidation', requireOperator(services));
    const tags = ['operator: settings'];
    const write = { permission: 'settings.write' } as const;
    const whole = z.number();

    /** Reads before, saves, notes before/after for the audit log, answers the settings. */
    const change = async <T>(
      request: FastifyRequest,
      target: string,
      pick: (s: PlatformSettings) => unknown,
      save: () => Promise<T>,
    ) => {
      const before = pick(await settings.current());
      await save();
      const now = await settings.current();
      noteAudit(request, { targetType: 'setting', targetId: target, before, after: pick(now) });
      return settingsView(now);
    };

    api.get(
      '/api/admin/settings/platform',
      {
        schema: { tags, summary: 'Order numbers, notify schedule, session and password policies, site' },
        config: write,
      },
      async () => settingsView(await settings.current()),
    );

    api.put(
      '/api/admin/settings/order-number',
      {
        schema: {
          tags,
          summary: 'The order-number rule: prefix, date part, sequence and random digits',
          body: z.object({
            prefix: z.string().max(16),
            datePart: z.string().max(32),
            sequenceDigits: whole,
            randomDigits: whole,
          }),
        },
        config: write,
      },
      async (request) =>
        change(
          request,
          'order_number',
          (s) => s.orderNumberRule,
          () => settings.setOrderNumberRule(request.body as Partial<OrderNumberRule>),
        ),
    );

    api.put(
      '/api/admin/settings/notify-schedule',
      {
        schema: {
          tags,
          summary:
            'The merchant notify retry schedule (waits in seconds before each attempt; null: the default)',
          body: z.object({ scheduleSeconds: z.array(whole).max(100).nullable() }),
        },
        config: write,
      },
      async (request) =>
        change(
          request,
          'notify_schedule',
          (s) => ({ scheduleSeconds: s.notifyScheduleSeconds, isDefault: s.notifyScheduleIsDefault }),
          () => settings.setNotifySchedule(request.body.scheduleSeconds),
        ),
    );

    api.put(
      '/api/admin/settings/session-policy',
      {
        schema: {
          tags,
          summary: 'Console sessions: idle timeout (minutes) and absolute lifetime (hours)',
          body: z.object({ idleMinutes: whole, maxHours: whole }),
        },
        config: write,
      },
      async (request) =>
        change(
          request,
          'session_policy',
          (s) => s.sessionPolicy,
          () => settings.setSessionPolicy(request.body),
        ),
    );

    api.put(
      '/api/admin/settings/password-policy',
      {
        schema: {
          tags,
          summary: 'Console passwords: least lengths, history, expiry (days; 0 never)',
          body: z.object({
            operatorMinLength: whole,
            otherMinLength: whole,
            history: whole,
            expiryDays: whole,
          }),
        },
        config: write,
      },
      async (request) =>
        change(
          request,
          'password_policy',
          (s) => s.passwordPolicy,
          () => settings.setPasswordPolicy(request.body),
        ),
    );

    api.put(
      '/api/admin/settings/site',
      {
        schema: { tags, summary: 'The site name', body: z.object({ name: z.string().max(200) }) },
        config: write,
      },
      async (request) =>
        change(
          request,
          'site',
          (s) => ({ name: s.site.name }),
          () => settings.setSite(request.body),
        ),
    );

    api.put(
      '/api/admin/settings/site-logo',
      {
        bodyLimit: LOGO_BODY_LIMIT,
        schema: {
          tags,
          summary: 'The site logo: base64 of a PNG, JPEG or WebP of at most 256 KB; null removes it',
          body: z.object({ logo: z.string().max(LOGO_BODY_LIMIT).nullable() }),
        },
        config: write,
      },
      async (request) =>
        change(
          request,
          'site_logo',
          // The picture itself is not kept in the audit log: its version says which one it was.
          (s) => ({ logoVersion: s.site.logoVersion }),
          () => settings.setLogo(request.body.logo),
        ),
    );
  });
}
