/**
 * The OpenAPI document the server serves at /docs/json, written to a file without starting the
 * platform: the routes are assembled as `npm start` assembles them, on a database that refuses every
 * statement (building the document reads none), and nothing listens.
 *
 *   npx tsx src/app/openapi.ts out.json   writes it
 *   npx tsx src/app/openapi.ts --lint     lints it with Redocly CLI and redocly.yaml (npm run check)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../db/index.ts';
import { type Config, DEFAULT_HTTP_TIMEOUTS } from './config.ts';
import { buildHttpApp } from './http.ts';
import { createLogger } from './logger.ts';
import { createServices } from './services.ts';

const PUBLIC_URL = 'https://pay.example.com';

function refusingDb(): Db {
  const refuse = () => Promise.reject(new Error('the OpenAPI export reads no database'));
  return {
    kind: 'pglite',
    query: refuse,
    exec: refuse,
    tx: refuse,
    ping: refuse,
    close: () => Promise.resolve(),
  } as unknown as Db;
}

/** The document as the platform serves it (the sandbox, another party's API, left out). */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qy-openapi-'));
  const config: Config = {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    masterKey: randomBytes(32),
    publicUrl: PUBLIC_URL,
    role: 'api',
    demo: false,
    sandbox: false,
    logLevel: 'silent',
    logFormat: 'json',
    trustProxy: false,
    httpTimeouts: DEFAULT_HTTP_TIMEOUTS,
    timeZone: 'Asia/Shanghai',
    notifyScheduleSeconds: [0],
    orderQueryScheduleSeconds: [60],
    channelTimeoutMs: 2_000,
    notifyTimeoutMs: 10_000,
    notifyPrivateAddresses: false,
    workerTickMs: 1_000,
    settlementEveryMs: 3_600_000,
    smtpFrom: 'Qingyun Pay <no-reply@localhost>',
    authGuessesPerIp: 100,
  };
  const db = refusingDb();
  const log = createLogger('silent');
  const services = createServices(db, config, log, () => PUBLIC_URL);
  const app = await buildHttpApp({
    config,
    services,
    log,
    publicUrl: () => PUBLIC_URL,
    sandbox: { store: null as never, registrationToken: null },
  });
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
    await services.notify.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Writes the document to a temporary file and lints it; returns Redocly's exit status. */
async function lint(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qy-openapi-lint-'));
  try {
    const file = path.join(dir, 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(await openApiDocument()));
    const redocly = path.join(ROOT, 'node_modules', '.bin', 'redocly');
    const result = spawnSync(
      redocly,
      ['lint', file, '--config', path.join(ROOT, 'redocly.yaml'), '--format', 'codeframe'],
      {
        stdio: 'inherit',
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    );
    return result.status ?? 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const argument = process.argv[2];
  if (argument === '--lint') {
    process.exitCode = await lint();
  } else if (argument) {
    fs.writeFileSync(argument, `${JSON.stringify(await openApiDocument(), null, 2)}\n`);
    console.log(`OpenAPI document written to ${argument}`);
  } else {
    console.error('usage: tsx src/app/openapi.ts <out.json> | --lint');
    process.exitCode = 2;
  }
}
