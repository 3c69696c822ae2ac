import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isIpOrCidr } from '../auth/ip-allowlist.ts';
import { parseMasterKey } from '../auth/secret-box.ts';
import { DEFAULT_READ_MAX_LAG_MS } from '../db/read-replica.ts';
import { DEFAULT_NOTIFY_SCHEDULE_SECONDS } from '../notify/service.ts';
import { makePrivateDir, writePrivateFile } from '../private-files.ts';
import type { LogFormat } from './logger.ts';

/**
 * A stalled body is cut after 10 s (64 KB arrive far sooner on any real link); idle keep-alive
 * connections live 72 s, longer than nginx's and cloud load balancers' 60 s, so the proxy always
 * closes first and never sends a request on a connection we are closing.
 */
const TIMEOUT_DEFAULTS = { headersMs: 5_000, requestMs: 10_000, keepAliveMs: 72_000, socketMs: 120_000 };

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  QY_DATA_DIR: z.string().default('./data'),
  QY_UPLOAD_DIR: z.string().optional(),
  QY_ARCHIVE_DIR: z.string().optional(),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_LISTEN_URL: z.string().url().optional(),
  DATABASE_READ_URL: z.string().url().optional(),
  QY_READ_MAX_LAG_MS: z.coerce.number().int().min(0).max(3_600_000).default(DEFAULT_READ_MAX_LAG_MS),
  QY_MASTER_KEY: z.string().optional(),
  QY_PUBLIC_URL: z.string().url().optional(),
  QY_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  QY_PROCESSES: z.coerce.number().int().min(1).max(64).optional(),
  QY_DEMO: z.enum(['0', '1']).optional(),
  QY_SANDBOX: z.enum(['0', '1']).optional(),
  QY_SANDBOX_REGISTRATION_TOKEN: z
    .string()
    .min(32, 'QY_SANDBOX_REGISTRATION_TOKEN must be at least 32 characters')
    .optional(),
  QY_TRUST_PROXY: z.string().default('0'),
  QY_TIME_ZONE: z.string().default('Asia/Shanghai'),
  QY_NOTIFY_SCHEDULE: z.string().optional(),
  QY_ORDER_QUERY_SCHEDULE: z.string().optional(),
  QY_NOTIFY_PRIVATE_ADDRESSES: z.enum(['allow', 'deny']).optional(),
  QY_NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  QY_CHANNEL_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  QY_WORKER_TICK_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  QY_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(TIMEOUT_DEFAULTS.headersMs),
  QY_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(TIMEOUT_DEFAULTS.requestMs),
  QY_KEEP_ALIVE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(TIMEOUT_DEFAULTS.keepAliveMs),
  QY_SOCKET_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(TIMEOUT_DEFAULTS.socketMs),
  QY_SMTP_URL: z.string().url().optional(),
  QY_SMTP_FROM: z.string().default('Qingyun Pay <no-reply@localhost>'),
  QY_AUTH_GUESSES_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Unset: one coloured line per event when stdout is a terminal, JSON otherwise.
  QY_LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** Where onboarding documents are kept (sealed); default `<dataDir>/uploads/onboarding`. API nodes must share it. */
  uploadDir?: string;
  /** Where the history's archived months go (src/db/partitions.ts); default `<dataDir>/archive`. Worker nodes must share it. */
  archiveDir?: string;
  /** Unset: embedded PGlite under dataDir. */
  databaseUrl?: string;
  /**
   * PostgreSQL directly, for the configuration bus's one LISTEN connection, when `databaseUrl` goes
   * through pgbouncer in transaction pooling mode (which cannot hold a LISTEN). Unset: `databaseUrl`.
   */
  databaseListenUrl?: string;
  /**
   * A streaming replica of DATABASE_URL that the screens' reads go to (src/db/read-replica.ts);
   * ignored on the embedded database.
   */
  databaseReadUrl?: string;
  /** Beyond this replay lag (or with the replica down) those reads go to the primary. */
  readMaxLagMs?: number;
  masterKey: Buffer;
  /** Base URL that customers and channels reach us at; defaults to http://127.0.0.1:PORT. */
  publicUrl?: string;
  role: 'all' | 'api' | 'worker';
  /**
   * API processes sharing the port with PostgreSQL (src/app/processes.ts); unset: one per core, at
   * most 8. The embedded database is opened by one process only, so it always runs one.
   */
  processes?: number;
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
  /** `json` for log collectors, `pretty` (one coloured line per event) for a person at a terminal. */
  logFormat: LogFormat;
  /**
   * The reverse proxies whose X-Forwarded-For we believe (addresses and CIDR ranges), or false for
   * none. The client is the right-most address in the chain that is not one of them.
   */
  trustProxy: string[] | false;
  /** Server timeouts (see HttpTimeouts). */
  httpTimeouts: HttpTimeouts;
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
  /** How often the settlement job runs; workerTickMs × 20 when not set (tests run it by hand). */
  settlementEveryMs?: number;
  /** SMTP server for password-reset codes (smtp://user:pass@host:port); unset in dev, where codes are logged. */
  smtpUrl?: string;
  smtpFrom: string;
  /** Failed console guesses (logins, codes, completion passwords) per client address per 15 minutes, per node. */
  authGuessesPerIp?: number;
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
    uploadDir: e.QY_UPLOAD_DIR ? path.resolve(e.QY_UPLOAD_DIR) : undefined,
    archiveDir: e.QY_ARCHIVE_DIR ? path.resolve(e.QY_ARCHIVE_DIR) : undefined,
    databaseUrl: e.DATABASE_URL,
    databaseListenUrl: e.DATABASE_LISTEN_URL,
    databaseReadUrl: e.DATABASE_URL ? e.DATABASE_READ_URL : undefined,
    readMaxLagMs: e.QY_READ_MAX_LAG_MS,
    masterKey: resolveMasterKey(e.QY_MASTER_KEY, dataDir, !e.DATABASE_URL),
    publicUrl: e.QY_PUBLIC_URL?.replace(/\/$/, ''),
    role: e.QY_ROLE,
    processes: e.QY_PROCESSES,
    demo: e.DATABASE_URL ? e.QY_DEMO === '1' : e.QY_DEMO !== '0',
    sandbox: (e.QY_SANDBOX ?? (e.DATABASE_URL ? '0' : '1')) === '1',
    sandboxRegistrationToken: e.QY_SANDBOX_REGISTRATION_TOKEN,
    logLevel: e.LOG_LEVEL,
    logFormat: e.QY_LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    trustProxy: parseTrustProxy(e.QY_TRUST_PROXY),
    httpTimeouts: httpTimeouts(e),
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
    authGuessesPerIp: e.QY_AUTH_GUESSES_PER_IP,
  };
}

/** Names proxy-addr knows for whole ranges: 127.0.0.0/8 + ::1, 169.254.0.0/16 + fe80::/10, private ranges. */
const TRUST_PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * QY_TRUST_PROXY: `0` (default) trusts nobody; `127.0.0.1,10.0.0.0/8` trusts those reverse proxies
 * (also the names loopback, linklocal, uniquelocal). `1`/`true` used to trust every hop, which lets
 * any client choose its own address: refused with an error, not reinterpreted. Hop counts are not
 * offered: a count cannot tell the proxy from a client that reached the port directly.
 */
export function parseTrustProxy(text: string): string[] | false {
  const value = text.trim();
  if (value === '' || value === '0') return false;
  if (/^(\d+|true|yes|on|\*|all)$/i.test(value)) {
    throw new Error(
      `QY_TRUST_PROXY=${value}: trusting every hop (1, true) or a number of hops lets any client that ` +
        'reaches this port choose its own address; list the addresses or ranges of your reverse ' +
        'proxies instead, e.g. QY_TRUST_PROXY=127.0.0.1,10.0.0.0/8',
    );
  }
  const entries = value.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => !isIpOrCidr(entry) && !TRUST_PROXY_RANGE_NAMES.includes(entry));
  if (bad.length > 0) {
    throw new Error(
      `QY_TRUST_PROXY: ${bad.map((b) => JSON.stringify(b)).join(', ')} is not an IP address, a CIDR range ` +
        `or one of ${TRUST_PROXY_RANGE_NAMES.join(', ')}`,
    );
  }
  return entries;
}

/**
 * Slow clients hold sockets: each limit below cuts one way of being slow. requestTimeout bounds
 * receiving a whole request, so a stalled body is cut after it; Node checks the first two every
 * checkIntervalMs, so that is kept well below them.
 */
export interface HttpTimeouts {
  /** The request line and headers must arrive within this. */
  headersMs: number;
  /** The whole request, body included, must arrive within this. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this (longer than the proxy's, so the proxy closes first). */
  keepAliveMs: number;
  /** A socket with no traffic either way for this long is closed (a client that stops reading). */
  socketMs: number;
  checkIntervalMs: number;
}

function httpTimeouts(e: {
  QY_HEADERS_TIMEOUT_MS: number;
  QY_REQUEST_TIMEOUT_MS: number;
  QY_KEEP_ALIVE_TIMEOUT_MS: number;
  QY_SOCKET_TIMEOUT_MS: number;
  QY_CHANNEL_TIMEOUT_MS: number;
}): HttpTimeouts {
  if (e.QY_HEADERS_TIMEOUT_MS > e.QY_REQUEST_TIMEOUT_MS) {
    throw new Error('QY_HEADERS_TIMEOUT_MS must not be longer than QY_REQUEST_TIMEOUT_MS');
  }
  // A request waits on a channel with no traffic on its socket: the idle limit must outlast that.
  if (e.QY_SOCKET_TIMEOUT_MS <= e.QY_CHANNEL_TIMEOUT_MS * 2) {
    throw new Error('QY_SOCKET_TIMEOUT_MS must be more than twice QY_CHANNEL_TIMEOUT_MS');
  }
  return {
    headersMs: e.QY_HEADERS_TIMEOUT_MS,
    requestMs: e.QY_REQUEST_TIMEOUT_MS,
    keepAliveMs: e.QY_KEEP_ALIVE_TIMEOUT_MS,
    socketMs: e.QY_SOCKET_TIMEOUT_MS,
    checkIntervalMs: checkInterval(e.QY_HEADERS_TIMEOUT_MS),
  };
}

function checkInterval(headersMs: number): number {
  return Math.max(25, Math.min(1_000, Math.floor(headersMs / 4)));
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  ...TIMEOUT_DEFAULTS,
  checkIntervalMs: checkInterval(TIMEOUT_DEFAULTS.headersMs),
};

/** "0,15,15,30" → [0, 15, 15, 30]: a schedule of waits in seconds. */
function parseSeconds(text: string | undefined, fallback: number[], name: string): number[] {
  if (!text) return fallback;
  const seconds = text.split(',').map((s) => Number(s.trim()));
  if (seconds.some((s) => !Number.isFinite(s) || s < 0))
    throw new Error(`${name} must be a comma-separated list of seconds`);
  return seconds;
}

/**
 * The embedded demo generates its master key into the data dir (0700, the key 0600) on first start.
 * Against PostgreSQL the key must come from the environment: losing it loses every secret.
 */
function resolveMasterKey(fromEnv: string | undefined, dataDir: string, embedded: boolean): Buffer {
  if (fromEnv) return parseMasterKey(fromEnv);
  if (!embedded) throw new Error('QY_MASTER_KEY is required with DATABASE_URL (32 bytes, hex or base64)');
  const keyPath = path.join(dataDir, 'master.key');
  makePrivateDir(dataDir);
  if (!fs.existsSync(keyPath))
    writePrivateFile(keyPath, randomBytes(32).toString('hex'), { exclusive: true });
  return parseMasterKey(fs.readFileSync(keyPath, 'utf8'));
}
