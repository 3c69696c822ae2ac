import { createHash } from 'node:crypto';
import { TtlCache } from '../cache.ts';
import { type ConfigBus, forgetOn } from '../config-bus.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import * as queries from './queries.ts';

/**
 * The configuration operators change in the console (支付配置, 系统设置) and every node applies
 * without a restart: the order-number rule, the merchant notify retry schedule, the console session
 * and password policies, and the site's name and logo. Kept in `platform_setting`, read through a
 * short cache every process forgets when the bus says `settings` changed.
 */

/** The bus topic of these settings. */
export const SETTINGS_TOPIC = 'settings';
const CACHE_TTL_MS = 2_000;

export const ORDER_NUMBER_SETTING = 'orders.numberRule';
export const NOTIFY_SCHEDULE_SETTING = 'notify.scheduleSeconds';
export const SESSION_POLICY_SETTING = 'console.sessionPolicy';
export const PASSWORD_POLICY_SETTING = 'console.passwordPolicy';
export const SITE_SETTING = 'site.profile';
export const SITE_LOGO_SETTING = 'site.logo';

// ---------- the order-number rule ----------

/** The date part of an order number, in the platform's time zone; PostgreSQL `to_char` patterns. */
export const ORDER_DATE_PARTS = {
  yyMMddHHmmss: 'YYMMDDHH24MISS',
  yyyyMMddHHmmss: 'YYYYMMDDHH24MISS',
  yyMMdd: 'YYMMDD',
  yyyyMMdd: 'YYYYMMDD',
  none: '',
} as const;
export type OrderDatePart = keyof typeof ORDER_DATE_PARTS;

export interface OrderNumberRule {
  /** 1–6 capital letters and digits, starting with a letter. */
  prefix: string;
  datePart: OrderDatePart;
  /** Digits of the database sequence, zero-padded (more when the sequence outgrows them: never cut). */
  sequenceDigits: number;
  /** Random digits at the end (a CSPRNG's), so neighbouring numbers are not one apart. */
  randomDigits: number;
}

/** Today's numbers: P + yyMMddHHmmss + 8 sequence digits. */
export const DEFAULT_ORDER_NUMBER_RULE: OrderNumberRule = {
  prefix: 'P',
  datePart: 'yyMMddHHmmss',
  sequenceDigits: 8,
  randomDigits: 0,
};
/** WeChat Pay's out_trade_no holds at most 32 characters (Alipay's 64). */
export const MAX_ORDER_NUMBER_LENGTH = 32;
/** Sequence and random digits together: as many as today's 8, so a number is never short of digits to search by. */
export const MIN_ORDER_NUMBER_DIGITS = 8;
export const ORDER_NUMBER_BOUNDS = { sequenceDigits: [6, 16], randomDigits: [0, 8] } as const;

/** How long a number of this rule is (with the sequence within its digits). */
export function orderNumberLength(rule: OrderNumberRule): number {
  const date = rule.datePart === 'none' ? 0 : rule.datePart.length;
  return rule.prefix.length + date + rule.sequenceDigits + rule.randomDigits;
}

// ---------- the notify schedule ----------

/** At most this many attempts, each wait at most a day, the whole schedule at most 7 days. */
export const NOTIFY_SCHEDULE_BOUNDS = {
  attempts: [1, 30],
  waitSeconds: [0, 86_400],
  totalSeconds: 604_800,
} as const;

// ---------- console sessions and passwords ----------

export interface SessionPolicy {
  idleMinutes: number;
  maxHours: number;
}

/**
 * docs/security.md promises 15 idle minutes and 12 hours at most (PCI DSS 8.2.8): operators may make
 * sessions shorter, never longer.
 */
export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMinutes: 15, maxHours: 12 };
export const SESSION_POLICY_BOUNDS = { idleMinutes: [1, 15], maxHours: [1, 12] } as const;

export interface PasswordPolicy {
  /** Operators' least length: 12 or more (docs/security.md). */
  operatorMinLength: number;
  /** Merchants' and agents' least length: 8 or more. */
  otherMinLength: number;
  /** How many earlier passwords may not come back: 4 or more. */
  history: number;
  /** Days after which a password must be changed at the next login; 0: never. */
  expiryDays: number;
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  operatorMinLength: 12,
  otherMinLength: 8,
  history: 4,
  expiryDays: 0,
};
export const PASSWORD_POLICY_BOUNDS = {
  operatorMinLength: [12, 64],
  otherMinLength: [8, 64],
  history: [4, 24],
  expiryDays: [0, 365],
} as const;
/** An expiry, when there is one, is at least this many days (a shorter one only breeds weak passwords). */
export const MIN_PASSWORD_EXPIRY_DAYS = 30;

// ---------- the site ----------

export interface SiteProfile {
  /** Shown on the console login, in its header and on the cashier page. */
  name: string;
}
export const DEFAULT_SITE: SiteProfile = { name: '青云支付' };
export const MAX_SITE_NAME = 32;
/** An uploaded logo: PNG, JPEG or WebP by its first bytes (never SVG, which can carry script), at most 256 KB. */
export const MAX_LOGO_BYTES = 256 * 1024;
export type LogoType = 'image/png' | 'image/jpeg' | 'image/webp';

export interface SiteLogo {
  type: LogoType;
  bytes: Buffer;
  /** Changes with the picture, for the address's cache-busting parameter. */
  version: string;
}

/** What the cache holds: every setting above as stored (or the default). */
export interface PlatformSettings {
  orderNumberRule: OrderNumberRule;
  notifyScheduleSeconds: number[];
  /** Whether the schedule is the environment's (QY_NOTIFY_SCHEDULE or the built-in one). */
  notifyScheduleIsDefault: boolean;
  sessionPolicy: SessionPolicy;
  passwordPolicy: PasswordPolicy;
  site: SiteProfile & { logoVersion: string | null };
}

const KEYS = [
  ORDER_NUMBER_SETTING,
  NOTIFY_SCHEDULE_SETTING,
  SESSION_POLICY_SETTING,
  PASSWORD_POLICY_SETTING,
  SITE_SETTING,
  SITE_LOGO_SETTING,
];

function outOfRange(field: string, min: number, max: number, message?: string): AppError {
  return new AppError('INVALID_REQUEST', message ?? `${field}: a whole number from ${min} to ${max}`, {
    field,
    reason: 'out_of_range',
    min,
    max,
  });
}

function wholeIn(field: string, value: unknown, [min, max]: readonly [number, number]): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(field, min, max);
  }
  return value;
}

/** Checks a rule; throws INVALID_REQUEST naming the field and the reason. */
export function validOrderNumberRule(input: Partial<OrderNumberRule>): OrderNumberRule {
  const prefix = typeof input.prefix === 'string' ? input.prefix : '';
  if (!/^[A-Z][A-Z0-9]{0,5}$/.test(prefix)) {
    throw new AppError('INVALID_REQUEST', 'prefix: 1–6 capital letters and digits, starting with a letter', {
      field: 'prefix',
      reason: 'order_number_prefix',
    });
  }
  if (typeof input.datePart !== 'string' || !Object.hasOwn(ORDER_DATE_PARTS, input.datePart)) {
    throw new AppError('INVALID_REQUEST', `datePart: one of ${Object.keys(ORDER_DATE_PARTS).join(', ')}`, {
      field: 'datePart',
    });
  }
  const rule: OrderNumberRule = {
    prefix,
    datePart: input.datePart as OrderDatePart,
    sequenceDigits: wholeIn('sequenceDigits', input.sequenceDigits, ORDER_NUMBER_BOUNDS.sequenceDigits),
    randomDigits: wholeIn('randomDigits', input.randomDigits, ORDER_NUMBER_BOUNDS.randomDigits),
  };
  if (rule.sequenceDigits + rule.randomDigits < MIN_ORDER_NUMBER_DIGITS) {
    throw new AppError(
      'INVALID_REQUEST',
      `sequenceDigits + randomDigits: at least ${MIN_ORDER_NUMBER_DIGITS} digits after the date`,
      { field: 'randomDigits', reason: 'order_number_digits', minDigits: MIN_ORDER_NUMBER_DIGITS },
    );
  }
  if (orderNumberLength(rule) > MAX_ORDER_NUMBER_LENGTH) {
    throw new AppError(
      'INVALID_REQUEST',
      `an order number may hold at most ${MAX_ORDER_NUMBER_LENGTH} characters`,
      {
        field: 'sequenceDigits',
        reason: 'order_number_too_long',
        maxLength: MAX_ORDER_NUMBER_LENGTH,
      },
    );
  }
  return rule;
}

export function validNotifySchedule(input: unknown): number[] {
  const [minAttempts, maxAttempts] = NOTIFY_SCHEDULE_BOUNDS.attempts;
  if (!Array.isArray(input) || input.length < minAttempts || input.length > maxAttempts) {
    throw outOfRange(
      'scheduleSeconds',
      minAttempts,
      maxAttempts,
      `scheduleSeconds: ${minAttempts}–${maxAttempts} attempts`,
    );
  }
  const waits = input.map((wait) => wholeIn('scheduleSeconds', wait, NOTIFY_SCHEDULE_BOUNDS.waitSeconds));
  const total = waits.reduce((sum, wait) => sum + wait, 0);
  if (total > NOTIFY_SCHEDULE_BOUNDS.totalSeconds) {
    throw new AppError('INVALID_REQUEST', 'scheduleSeconds: the waits add up to more than 7 days', {
      field: 'scheduleSeconds',
      reason: 'notify_schedule_too_long',
      maxDays: NOTIFY_SCHEDULE_BOUNDS.totalSeconds / 86_400,
    });
  }
  return waits;
}

export function validSessionPolicy(input: Partial<SessionPolicy>): SessionPolicy {
  return {
    idleMinutes: wholeIn('idleMinutes', input.idleMinutes, SESSION_POLICY_BOUNDS.idleMinutes),
    maxHours: wholeIn('maxHours', input.maxHours, SESSION_POLICY_BOUNDS.maxHours),
  };
}

export function validPasswordPolicy(input: Partial<PasswordPolicy>): PasswordPolicy {
  const policy = {
    operatorMinLength: wholeIn(
      'operatorMinLength',
      input.operatorMinLength,
      PASSWORD_POLICY_BOUNDS.operatorMinLength,
    ),
    otherMinLength: wholeIn('otherMinLength', input.otherMinLength, PASSWORD_POLICY_BOUNDS.otherMinLength),
    history: wholeIn('history', input.history, PASSWORD_POLICY_BOUNDS.history),
    expiryDays: wholeIn('expiryDays', input.expiryDays, PASSWORD_POLICY_BOUNDS.expiryDays),
  };
  if (policy.expiryDays !== 0 && policy.expiryDays < MIN_PASSWORD_EXPIRY_DAYS) {
    throw outOfRange(
      'expiryDays',
      MIN_PASSWORD_EXPIRY_DAYS,
      PASSWORD_POLICY_BOUNDS.expiryDays[1],
      `expiryDays: 0 (never) or ${MIN_PASSWORD_EXPIRY_DAYS}–365`,
    );
  }
  return policy;
}

export function validSite(input: Partial<SiteProfile>): SiteProfile {
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name.length === 0 || [...name].length > MAX_SITE_NAME || /[\p{Cc}<>]/u.test(name)) {
    throw new AppError('INVALID_REQUEST', `siteName: 1–${MAX_SITE_NAME} characters, no < or >`, {
      field: 'siteName',
    });
  }
  return { name };
}

/** The picture's type by its first bytes, or null when it is not a PNG, JPEG or WebP. */
export function logoTypeOf(bytes: Buffer): LogoType | null {
  if (
    bytes.length >= 8 &&
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  )
    return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (
    bytes.length >= 12 &&
    bytes.subarray(0, 4).toString('latin1') === 'RIFF' &&
    bytes.subarray(8, 12).toString('latin1') === 'WEBP'
  )
    return 'image/webp';
  return null;
}

export function validLogo(base64: string): { type: LogoType; bytes: Buffer } {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length > MAX_LOGO_BYTES) {
    throw new AppError('INVALID_REQUEST', `logo: at most ${MAX_LOGO_BYTES / 1024} KB`, {
      field: 'logo',
      reason: 'logo_too_large',
      maxKb: MAX_LOGO_BYTES / 1024,
    });
  }
  const type = logoTypeOf(bytes);
  if (!type) {
    throw new AppError('INVALID_REQUEST', 'logo: a PNG, JPEG or WebP picture', {
      field: 'logo',
      reason: 'logo_not_image',
    });
  }
  return { type, bytes };
}

function parseJson<T>(text: string | undefined, valid: (v: T) => T, fallback: T): T {
  if (text === undefined) return fallback;
  try {
    return valid(JSON.parse(text) as T);
  } catch {
    // A stored value that no longer passes (bounds tightened since) falls back to the default.
    return fallback;
  }
}

/** The settings above: read through a short cache, written with validation, announced on the bus. */
export class PlatformSettingsService {
  private readonly cache = new TtlCache<PlatformSettings>(CACHE_TTL_MS);
  private readonly logoCache = new TtlCache<SiteLogo | null>(CACHE_TTL_MS);
  private bus: ConfigBus | null = null;

  constructor(
    private readonly db: Db,
    private readonly defaults: { notifyScheduleSeconds: number[] },
  ) {}

  /** Every process forgets these settings when another changes them (`settings` on the bus). */
  attachConfigBus(bus: ConfigBus): void {
    this.bus = bus;
    forgetOn(bus, SETTINGS_TOPIC, () => this.forget());
  }

  private forget(): void {
    this.cache.clear();
    this.logoCache.clear();
  }

  /** Every setting; `q` (an open transaction) reads through it when the cache has nothing. */
  current(q: Queryable = this.db): Promise<PlatformSettings> {
    return this.cache.get('all', async () => {
      const stored = await queries.getSettings(q, KEYS);
      const schedule = stored.get(NOTIFY_SCHEDULE_SETTING);
      const notifyScheduleSeconds = parseJson<number[]>(
        schedule,
        validNotifySchedule,
        this.defaults.notifyScheduleSeconds,
      );
      const logo = stored.get(SITE_LOGO_SETTING);
      return {
        orderNumberRule: parseJson(
          stored.get(ORDER_NUMBER_SETTING),
          validOrderNumberRule,
          DEFAULT_ORDER_NUMBER_RULE,
        ),
        notifyScheduleSeconds,
        notifyScheduleIsDefault: notifyScheduleSeconds === this.defaults.notifyScheduleSeconds,
        sessionPolicy: parseJson(
          stored.get(SESSION_POLICY_SETTING),
          validSessionPolicy,
          DEFAULT_SESSION_POLICY,
        ),
        passwordPolicy: parseJson(
          stored.get(PASSWORD_POLICY_SETTING),
          validPasswordPolicy,
          DEFAULT_PASSWORD_POLICY,
        ),
        site: {
          ...parseJson(stored.get(SITE_SETTING), validSite, DEFAULT_SITE),
          logoVersion: logo ? logoVersion(logo) : null,
        },
      };
    });
  }

  async orderNumberRule(): Promise<OrderNumberRule> {
    return (await this.current()).orderNumberRule;
  }

  async notifySchedule(q?: Queryable): Promise<number[]> {
    return (await this.current(q)).notifyScheduleSeconds;
  }

  async sessionPolicy(): Promise<SessionPolicy> {
    return (await this.current()).sessionPolicy;
  }

  async passwordPolicy(): Promise<PasswordPolicy> {
    return (await this.current()).passwordPolicy;
  }

  async site(): Promise<PlatformSettings['site']> {
    return (await this.current()).site;
  }

  logo(): Promise<SiteLogo | null> {
    return this.logoCache.get('logo', async () => {
      const stored = await queries.getSetting(this.db, SITE_LOGO_SETTING);
      if (!stored) return null;
      const { type, data } = JSON.parse(stored) as { type: LogoType; data: string };
      return { type, bytes: Buffer.from(data, 'base64'), version: logoVersion(stored) };
    });
  }

  async setOrderNumberRule(input: Partial<OrderNumberRule>): Promise<OrderNumberRule> {
    const rule = validOrderNumberRule(input);
    await this.write(ORDER_NUMBER_SETTING, JSON.stringify(rule));
    return rule;
  }

  /** `null` goes back to the environment's schedule. */
  async setNotifySchedule(input: unknown): Promise<number[]> {
    if (input === null) {
      await this.write(NOTIFY_SCHEDULE_SETTING, null);
      return this.defaults.notifyScheduleSeconds;
    }
    const schedule = validNotifySchedule(input);
    await this.write(NOTIFY_SCHEDULE_SETTING, JSON.stringify(schedule));
    return schedule;
  }

  async setSessionPolicy(input: Partial<SessionPolicy>): Promise<SessionPolicy> {
    const policy = validSessionPolicy(input);
    await this.write(SESSION_POLICY_SETTING, JSON.stringify(policy));
    return policy;
  }

  async setPasswordPolicy(input: Partial<PasswordPolicy>): Promise<PasswordPolicy> {
    const policy = validPasswordPolicy(input);
    await this.write(PASSWORD_POLICY_SETTING, JSON.stringify(policy));
    return policy;
  }

  async setSite(input: Partial<SiteProfile>): Promise<SiteProfile> {
    const site = validSite(input);
    await this.write(SITE_SETTING, JSON.stringify(site));
    return site;
  }

  /** A new logo (base64 of a PNG, JPEG or WebP), or `null` to go back to none. */
  async setLogo(base64: string | null): Promise<{ type: LogoType; bytes: number } | null> {
    if (base64 === null) {
      await this.write(SITE_LOGO_SETTING, null);
      return null;
    }
    const { type, bytes } = validLogo(base64);
    await this.write(SITE_LOGO_SETTING, JSON.stringify({ type, data: bytes.toString('base64') }));
    return { type, bytes: bytes.length };
  }

  /** Writes (or removes) one setting; once it is committed every process forgets what it cached. */
  private async write(key: string, value: string | null): Promise<void> {
    if (value === null) await queries.deleteSetting(this.db, key);
    else await queries.putSetting(this.db, key, value);
    this.forget();
    await this.bus?.publish(SETTINGS_TOPIC);
  }
}

function logoVersion(stored: string): string {
  return createHash('sha256').update(stored).digest('base64url').slice(0, 12);
}
