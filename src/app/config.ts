import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseMasterKey } from '../auth/secret-box.ts';
import { DEFAULT_NOTIFY_SCHEDULE_SECONDS } from '../notify/service.ts';

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  QY_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  QY_MASTER_KEY: z.string().optional(),
  QY_PUBLIC_URL: z.string().url().optional(),
  QY_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  QY_DEMO: z.enum(['0', '1']).optional(),
  QY_SANDBOX: z.enum(['0', '1']).optional(),
  QY_SANDBOX_REGISTRATION_TOKEN: z
    .string()
    .min(32, 'QY_SANDBOX_REGISTRATION_TOKEN must be at least 32 characters')
    .optional(),
  QY_TRUST_PROXY: z.enum(['0', '1']).default('0'),
  QY_TIME_ZONE: z.string().default('Asia/Shanghai'),
  QY_NOTIFY_SCHEDULE: z.string().optional(),
  QY_ORDER_QUERY_SCHEDULE: z.string().optional(),
  QY_NOTIFY_PRIVATE_ADDRESSES: z.enum(['allow', 'deny']).optional(),
  QY_NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  QY_CHANNEL_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  QY_WORKER_TICK_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  QY_SMTP_URL: z.string().url().optional(),
  QY_SMTP_FROM: z.string().default('Qingyun Pay <no-reply@localhost>'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** Unset: embedded PGlite under dataDir. */
  databaseUrl?: string;
  masterKey: Buffer;
  /** Base URL that customers and channels reach us at; defaults to http://127.0.0.1:PORT. */
  publicUrl?: string;
  role: 'all' | 'api' | 'worker';
  /** Seed demo data on an empty database: always for the embedded one, only with QY_DEMO=1 otherwise. */
  demo: boolean;
  /**
   * Mount the sandbox upstream in-process under /sandbox: on by default for the embedded database,
   * off with DATABASE_URL unless QY_SANDBOX=1 says otherwise (then every start warns loudly).
   */
  sandbox: boolean;
  /** Bearer token for registering sandbox merchants over HTTP; unset: only the platform registers them. */
  sandboxRegistrationToken?: string;
  logLevel: string;
  /** Behind a reverse proxy: take the client address from X-Forwarded-For. */
  trustProxy: boolean;
  /** The business's clock (routing windows, daily limits). */
  timeZone: string;
  /** Waits before each merchant notify attempt (DESIGN §8). */
  notifyScheduleSeconds: number[];
  /** Waits between queries of a paying order at its channel (PAY-7). */
  orderQueryScheduleSeconds: number[];
  channelTimeoutMs: number;
  /** How long a merchant may take to answer one notify. */
  notifyTimeoutMs: number;
  /** Merchant notify URLs may reach loopback and private networks: yes for the embedded demo, no with PostgreSQL unless said. */
  notifyPrivateAddresses: boolean;
  /** How often the worker looks for due work when nothing wakes it. */
  workerTickMs: number;
  /** SMTP server for password-reset codes (smtp://user:pass@host:port); unset in dev, where codes are logged. */
  smtpUrl?: string;
  smtpFrom: string;
}

export const DEFAULT_ORDER_QUERY_SCHEDULE_SECONDS = [30, 60, 120, 300, 600, 1200];

/** Reads and validates the environment; a bad value stops the start with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.QY_DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    masterKey: resolveMasterKey(e.QY_MASTER_KEY, dataDir, !e.DATABASE_URL),
    publicUrl: e.QY_PUBLIC_URL?.replace(/\/$/, ''),
    role: e.QY_ROLE,
    demo: e.DATABASE_URL ? e.QY_DEMO === '1' : e.QY_DEMO !== '0',
    sandbox: (e.QY_SANDBOX ?? (e.DATABASE_URL ? '0' : '1')) === '1',
    sandboxRegistrationToken: e.QY_SANDBOX_REGISTRATION_TOKEN,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.QY_TRUST_PROXY === '1',
    timeZone: e.QY_TIME_ZONE,
    notifyScheduleSeconds: parseSeconds(
      e.QY_NOTIFY_SCHEDULE,
      DEFAULT_NOTIFY_SCHEDULE_SECONDS,
      'QY_NOTIFY_SCHEDULE',
    ),
    orderQueryScheduleSeconds: parseSeconds(
      e.QY_ORDER_QUERY_SCHEDULE,
      DEFAULT_ORDER_QUERY_SCHEDULE_SECONDS,
      'QY_ORDER_QUERY_SCHEDULE',
    ),
    channelTimeoutMs: e.QY_CHANNEL_TIMEOUT_MS,
    notifyTimeoutMs: e.QY_NOTIFY_TIMEOUT_MS,
    notifyPrivateAddresses:
      (e.QY_NOTIFY_PRIVATE_ADDRESSES ?? (e.DATABASE_URL ? 'deny' : 'allow')) === 'allow',
    workerTickMs: e.QY_WORKER_TICK_MS,
    smtpUrl: e.QY_SMTP_URL,
    smtpFrom: e.QY_SMTP_FROM,
  };
}

/** "0,15,15,30" → [0, 15, 15, 30]: a schedule of waits in seconds. */
function parseSeconds(text: string | undefined, fallback: number[], name: string): number[] {
  if (!text) return fallback;
  const seconds = text.split(',').map((s) => Number(s.trim()));
  if (seconds.some((s) => !Number.isFinite(s) || s < 0))
    throw new Error(`${name} must be a comma-separated list of seconds`);
  return seconds;
}

/**
 * The embedded demo generates its master key into the data dir (mode 0600) on first start.
 * Against PostgreSQL the key must come from the environment: losing it loses every secret.
 */
function resolveMasterKey(fromEnv: string | undefined, dataDir: string, embedded: boolean): Buffer {
  if (fromEnv) return parseMasterKey(fromEnv);
  if (!embedded) throw new Error('QY_MASTER_KEY is required with DATABASE_URL (32 bytes, hex or base64)');
  const keyPath = path.join(dataDir, 'master.key');
  if (!fs.existsSync(keyPath)) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(keyPath, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return parseMasterKey(fs.readFileSync(keyPath, 'utf8'));
}
