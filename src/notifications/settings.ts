import { z } from 'zod';
import type { SecretBox, SecretPlace } from '../auth/secret-box.ts';
import type { Queryable } from '../db/index.ts';
import { getSetting, putSetting } from '../settings/queries.ts';
import { NOTIFICATION_EVENTS } from './templates.ts';

/** Platform settings of the notifications domain (platform_setting keys). */
export const PROVIDERS_SETTING = 'notifications.providers';
export const QUIET_HOURS_SETTING = 'notifications.quietHours';
export const RECIPIENTS_SETTING = 'notifications.recipients';

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');
const text = (max: number) => z.string().trim().max(max);
/** A secret field as the console sends it: absent keeps the stored one, '' clears it. */
const secretInput = z.string().max(512).optional();
const httpUrl = z
  .string()
  .trim()
  .max(256)
  .refine((u) => /^https?:\/\/[^\s/]+/.test(u), 'must be an http(s) URL');

export const EMAIL_MODES = ['off', 'env', 'smtp', 'log'] as const;
export const SMS_MODES = ['off', 'aliyun', 'tencent', 'log'] as const;

export const ProvidersInput = z
  .object({
    email: z
      .object({
        mode: z.enum(EMAIL_MODES),
        host: text(253),
        port: z.number().int().min(1).max(65535),
        secure: z.boolean(),
        username: text(256),
        password: secretInput,
        from: text(256),
      })
      .strict(),
    sms: z
      .object({
        mode: z.enum(SMS_MODES),
        signName: text(32),
        aliyun: z
          .object({
            accessKeyId: text(128),
            accessKeySecret: secretInput,
            endpoint: httpUrl,
            regionId: text(32),
          })
          .strict(),
        tencent: z
          .object({
            secretId: text(128),
            secretKey: secretInput,
            endpoint: httpUrl,
            region: text(32),
            sdkAppId: text(32),
          })
          .strict(),
      })
      .strict(),
  })
  .strict();
export type ProvidersInput = z.infer<typeof ProvidersInput>;

/** What is stored: the secrets sealed to their place in the setting. */
export interface StoredProviders {
  email: Omit<ProvidersInput['email'], 'password'> & { passwordEnc: string };
  sms: Omit<ProvidersInput['sms'], 'aliyun' | 'tencent'> & {
    aliyun: Omit<ProvidersInput['sms']['aliyun'], 'accessKeySecret'> & { accessKeySecretEnc: string };
    tencent: Omit<ProvidersInput['sms']['tencent'], 'secretKey'> & { secretKeyEnc: string };
  };
}

/** The settings with their secrets opened, for the transports only. */
export interface OpenProviders {
  email: StoredProviders['email'] & { password: string };
  sms: StoredProviders['sms'] & {
    aliyun: StoredProviders['sms']['aliyun'] & { accessKeySecret: string };
    tencent: StoredProviders['sms']['tencent'] & { secretKey: string };
  };
}

const place = (column: string): SecretPlace => ({ table: 'platform_setting', id: PROVIDERS_SETTING, column });
const PLACES = {
  smtpPassword: place('email.password'),
  aliyunSecret: place('sms.aliyun.accessKeySecret'),
  tencentSecret: place('sms.tencent.secretKey'),
};

export function defaultProviders(env: { smtpUrl?: string; embedded: boolean }): StoredProviders {
  return {
    email: {
      mode: env.smtpUrl ? 'env' : env.embedded ? 'log' : 'off',
      host: '',
      port: 465,
      secure: true,
      username: '',
      passwordEnc: '',
      from: '',
    },
    sms: {
      mode: env.embedded ? 'log' : 'off',
      signName: '',
      aliyun: {
        accessKeyId: '',
        accessKeySecretEnc: '',
        endpoint: 'https://dysmsapi.aliyuncs.com',
        regionId: 'cn-hangzhou',
      },
      tencent: {
        secretId: '',
        secretKeyEnc: '',
        endpoint: 'https://sms.tencentcloudapi.com',
        region: 'ap-guangzhou',
        sdkAppId: '',
      },
    },
  };
}

export async function storedProviders(
  q: Queryable,
  env: { smtpUrl?: string; embedded: boolean },
): Promise<StoredProviders> {
  const raw = await getSetting(q, PROVIDERS_SETTING);
  return raw ? (JSON.parse(raw) as StoredProviders) : defaultProviders(env);
}

export function openProviders(stored: StoredProviders, secrets: SecretBox): OpenProviders {
  const open = (v: string, p: SecretPlace) => (v ? secrets.decrypt(v, p) : '');
  return {
    email: { ...stored.email, password: open(stored.email.passwordEnc, PLACES.smtpPassword) },
    sms: {
      ...stored.sms,
      aliyun: {
        ...stored.sms.aliyun,
        accessKeySecret: open(stored.sms.aliyun.accessKeySecretEnc, PLACES.aliyunSecret),
      },
      tencent: {
        ...stored.sms.tencent,
        secretKey: open(stored.sms.tencent.secretKeyEnc, PLACES.tencentSecret),
      },
    },
  };
}

/** Seals the new secrets (absent: the stored one stays; '': cleared) and stores the settings. */
export async function saveProviders(
  q: Queryable,
  secrets: SecretBox,
  input: ProvidersInput,
  before: StoredProviders,
): Promise<StoredProviders> {
  const seal = (value: string | undefined, kept: string, p: SecretPlace) =>
    value === undefined ? kept : value === '' ? '' : secrets.encrypt(value, p);
  const { password, ...email } = input.email;
  const { accessKeySecret, ...aliyun } = input.sms.aliyun;
  const { secretKey, ...tencent } = input.sms.tencent;
  const stored: StoredProviders = {
    email: { ...email, passwordEnc: seal(password, before.email.passwordEnc, PLACES.smtpPassword) },
    sms: {
      mode: input.sms.mode,
      signName: input.sms.signName,
      aliyun: {
        ...aliyun,
        accessKeySecretEnc: seal(accessKeySecret, before.sms.aliyun.accessKeySecretEnc, PLACES.aliyunSecret),
      },
      tencent: {
        ...tencent,
        secretKeyEnc: seal(secretKey, before.sms.tencent.secretKeyEnc, PLACES.tencentSecret),
      },
    },
  };
  await putSetting(q, PROVIDERS_SETTING, JSON.stringify(stored));
  return stored;
}

export const SECRET_MASK = '********';

/** The settings as the console and the audit log see them: each secret is only said to be set. */
export function providersView(stored: StoredProviders, env: { smtpUrl?: string }) {
  const mask = (v: string) => (v ? SECRET_MASK : '');
  return {
    email: {
      mode: stored.email.mode,
      host: stored.email.host,
      port: stored.email.port,
      secure: stored.email.secure,
      username: stored.email.username,
      password: mask(stored.email.passwordEnc),
      from: stored.email.from,
      /** QY_SMTP_URL is set (its host only; its credentials are never shown). */
      envHost: env.smtpUrl ? safeHost(env.smtpUrl) : '',
    },
    sms: {
      mode: stored.sms.mode,
      signName: stored.sms.signName,
      aliyun: {
        accessKeyId: stored.sms.aliyun.accessKeyId,
        accessKeySecret: mask(stored.sms.aliyun.accessKeySecretEnc),
        endpoint: stored.sms.aliyun.endpoint,
        regionId: stored.sms.aliyun.regionId,
      },
      tencent: {
        secretId: stored.sms.tencent.secretId,
        secretKey: mask(stored.sms.tencent.secretKeyEnc),
        endpoint: stored.sms.tencent.endpoint,
        region: stored.sms.tencent.region,
        sdkAppId: stored.sms.tencent.sdkAppId,
      },
    },
  };
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

// ---------- quiet hours ----------

export const QuietHours = z
  .object({
    enabled: z.boolean(),
    /** Local wall-clock times in the platform's time zone; start after end spans midnight. */
    start: HHMM,
    end: HHMM,
  })
  .strict()
  .refine((q) => q.start !== q.end, { message: 'end: must differ from start', path: ['end'] });
export type QuietHours = z.infer<typeof QuietHours>;

export const DEFAULT_QUIET_HOURS: QuietHours = { enabled: false, start: '22:00', end: '08:00' };

export async function quietHours(q: Queryable): Promise<QuietHours> {
  const raw = await getSetting(q, QUIET_HOURS_SETTING);
  return raw ? (JSON.parse(raw) as QuietHours) : DEFAULT_QUIET_HOURS;
}

export async function saveQuietHours(q: Queryable, value: QuietHours): Promise<void> {
  await putSetting(q, QUIET_HOURS_SETTING, JSON.stringify(value));
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function localMinutes(now: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return get('hour') * 60 + get('minute') + get('second') / 60;
}

/**
 * Seconds until the send window opens again, 0 outside the quiet hours. Counted on the local wall
 * clock (a change to or from summer time inside the quiet hours moves the end by that hour).
 */
export function secondsUntilWindow(hours: QuietHours, now: Date, timeZone: string): number {
  if (!hours.enabled) return 0;
  const t = localMinutes(now, timeZone);
  const start = minutesOf(hours.start);
  const end = minutesOf(hours.end);
  const inside = start < end ? t >= start && t < end : t >= start || t < end;
  if (!inside) return 0;
  const wait = (end - t + 24 * 60) % (24 * 60);
  return Math.ceil(wait * 60);
}

// ---------- recipients (who receives the operators' messages) ----------

export const OPERATOR_EVENTS = NOTIFICATION_EVENTS.filter(
  (e) => e.startsWith('alert.') || e === 'merchant.notify_failing' || e === 'order.large_payment',
);

export const Recipients = z
  .array(
    z
      .object({
        channel: z.enum(['email', 'sms', 'telegram']),
        address: text(256).min(1),
        locale: z.enum(['zh', 'en']),
        events: z.array(z.enum(OPERATOR_EVENTS as [string, ...string[]])).min(1),
      })
      .strict(),
  )
  .max(50);
export type Recipients = z.infer<typeof Recipients>;

export async function recipients(q: Queryable): Promise<Recipients> {
  const raw = await getSetting(q, RECIPIENTS_SETTING);
  return raw ? (JSON.parse(raw) as Recipients) : [];
}

export async function saveRecipients(q: Queryable, value: Recipients): Promise<void> {
  await putSetting(q, RECIPIENTS_SETTING, JSON.stringify(value));
}
