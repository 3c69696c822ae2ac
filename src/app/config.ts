import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseMasterKey } from '../auth/secret-box.ts';

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  QY_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  QY_MASTER_KEY: z.string().optional(),
  QY_PUBLIC_URL: z.string().url().optional(),
  QY_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  QY_DEMO: z.enum(['0', '1']).optional(),
  QY_SANDBOX: z.enum(['0', '1']).default('1'),
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
  /** Mount the sandbox upstream in-process under /sandbox. */
  sandbox: boolean;
  logLevel: string;
}

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
    sandbox: e.QY_SANDBOX === '1',
    logLevel: e.LOG_LEVEL,
  };
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
