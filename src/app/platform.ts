import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { resealUnboundTotpSecrets } from '../auth/sealed-secrets.ts';
import { DbSandboxStore } from '../channels/sandbox/store.ts';
import { type Db, openPglite, openPostgres } from '../db/index.ts';
import { migrate } from '../db/migrate.ts';
import type { Notifier } from '../notifications/types.ts';
import { ownerOnlyUmask, restrictToOwner, writePrivateFile } from '../private-files.ts';
import type { Config } from './config.ts';
import { type DemoCredentials, seedDemo } from './demo.ts';
import { buildHttpApp } from './http.ts';
import { createLogger, type Logger } from './logger.ts';
import { createServices, type Services } from './services.ts';
import { Worker } from './worker.ts';

export interface Platform {
  url: string;
  services: Services;
  http: FastifyInstance | null;
  demo: DemoCredentials | null;
  stop(): Promise<void>;
}

/** Lets `qingyun check-ledger` reach a running embedded platform, which holds the database's only connection. */
export interface ControlFile {
  pid: number;
  url: string;
  token: string;
}

/** Opens PostgreSQL, or the embedded database in a data dir only this account can read (0700, files 0600). */
export async function openDatabase(config: Config): Promise<Db> {
  if (config.databaseUrl) {
    return openPostgres(config.databaseUrl, undefined, { listenUrl: config.databaseListenUrl });
  }
  ownerOnlyUmask();
  restrictToOwner(config.dataDir);
  const db = await openPglite(path.join(config.dataDir, 'pgdata'));
  // PGlite unpacks a new cluster with mode 0666, whatever the umask.
  restrictToOwner(config.dataDir);
  return db;
}

/**
 * A sandbox with a database behind it takes payments anyone can "pay" from its pay page: it has no
 * place next to real money. Said at every start, in the log and on the console.
 */
function warnSandboxInProduction(log: Logger): void {
  log.warn(
    { setting: 'QY_SANDBOX=1' },
    'the sandbox channel is mounted at /sandbox on a PostgreSQL (production) deployment: its orders are test orders; turn it off unless this is a test installation',
  );
  const line = '!'.repeat(78);
  process.stderr.write(
    `\n${line}\n!! WARNING: QY_SANDBOX=1 with DATABASE_URL: the sandbox test channel is ON at /sandbox.\n` +
      `!! Anyone can "pay" sandbox orders from its pay page. Never use it for real merchants.\n${line}\n\n`,
  );
}

export interface StartOptions {
  log?: Logger;
  /** An open database to use instead of the one the config names; the caller closes it. */
  db?: Db;
  /** Waits between the in-process sandbox's notify retries (tests shorten them). */
  sandboxRetryDelaysMs?: readonly number[];
  /** Sends alerts to people; without one they are only logged (see createServices). */
  notifier?: Notifier;
}

/** Starts everything the role asks for: HTTP API and pages, worker, demo data on a fresh database. */
export async function startPlatform(config: Config, options: StartOptions = {}): Promise<Platform> {
  const log = options.log ?? createLogger(config.logLevel, config.logFormat);
  const ownsDb = !options.db;
  const db = options.db ?? (await openDatabase(config));
  let http: FastifyInstance | null = null;
  let worker: Worker | null = null;
  let startedHealth: { close(): Promise<void> } | null = null;
  let services: Services | null = null;
  try {
    const applied = await migrate(db);
    if (applied.length > 0) log.info({ applied }, 'migrations applied');
    let url = config.publicUrl ?? `http://127.0.0.1:${config.port}`;
    services = createServices(db, config, log, () => url, options.notifier);
    // Hear other nodes' configuration changes (src/config-bus.ts) from now on.
    services.configBus.start();
    await resealUnboundSecrets(services, log);
    if (config.sandbox && config.databaseUrl) warnSandboxInProduction(log);
    // The sandbox's own records live in its own tables; the demo seed registers its merchants there
    // even when the sandbox runs elsewhere (the benchmarks), and the mounted sandbox reads them.
    const sandboxStore = new DbSandboxStore(db, services.secrets);
    const controlToken =
      config.databaseUrl || config.role === 'worker' ? null : randomBytes(24).toString('base64url');
    if (config.role !== 'worker') {
      http = await buildHttpApp({
        config,
        services,
        publicUrl: () => url,
        log,
        sandbox: {
          store: sandboxStore,
          registrationToken: config.sandboxRegistrationToken ?? null,
          retryDelaysMs: options.sandboxRetryDelaysMs,
        },
      });
      if (controlToken) addControlRoute(http, controlToken, services);
      await http.listen({ port: config.port, host: config.host });
      if (!config.publicUrl) url = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
    }
    services.health.start();
    startedHealth = services.health;
    if (config.role !== 'api') {
      worker = new Worker(services, config);
      worker.start();
    }
    const demo = config.demo ? await seedDemo(services, config, sandboxStore) : null;
    const controlPath = controlToken
      ? writeControlFile(config.dataDir, { pid: process.pid, url, token: controlToken })
      : null;
    const running = services;
    return {
      url,
      services,
      http,
      demo,
      async stop() {
        if (controlPath) fs.rmSync(controlPath, { force: true });
        if (http) await closeHttp(http, log);
        await worker?.stop();
        await running.health.close();
        await running.notify.close();
        await running.configBus.close();
        await running.reads.close();
        if (ownsDb) await db.close();
      },
    };
  } catch (error) {
    await http?.close().catch(() => {});
    await worker?.stop().catch(() => {});
    await startedHealth?.close().catch(() => {});
    await services?.configBus.close().catch(() => {});
    await services?.reads.close().catch(() => {});
    if (ownsDb) await db.close().catch(() => {});
    throw error;
  }
}

/** How long a stopping server waits for requests in flight before it cuts their connections. */
export const SHUTDOWN_DRAIN_MS = 10_000;

/**
 * Stops taking connections and lets the requests in flight finish. Fastify closes the connections
 * idle when it starts closing, but one whose request finishes after that would idle on through its
 * keep-alive (72 s) and hold the stop as long: idle connections are closed as they become idle, and
 * whatever is still open after SHUTDOWN_DRAIN_MS is cut.
 */
async function closeHttp(http: FastifyInstance, log: Logger): Promise<void> {
  const closing = http.close();
  const sweep = setInterval(() => http.server.closeIdleConnections(), 50);
  const cut = setTimeout(() => {
    log.warn(
      { drainMs: SHUTDOWN_DRAIN_MS },
      'requests still running when the drain ended: their connections are cut',
    );
    http.server.closeAllConnections();
  }, SHUTDOWN_DRAIN_MS);
  try {
    await closing;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}

/**
 * Secrets sealed before they were bound to their rows (v1) are sealed again, bound (v2), by each
 * owning domain; reads accept only v2. Every node runs it at start: each row is replaced by
 * compare-and-set, so nodes starting together reseal each row once, and later starts find nothing.
 */
export async function resealUnboundSecrets(services: Services, log: Logger): Promise<void> {
  const resealed = {
    apps: await services.merchants.resealUnboundSecrets(),
    channelAccounts: await services.catalog.resealUnboundCredentials(),
    consoleUsers: await resealUnboundTotpSecrets(services.db, services.secrets),
  };
  if (Object.values(resealed).some((n) => n > 0))
    log.info({ resealed }, 'secrets sealed before they were bound to their rows are now bound');
}

/** A loopback-only route, guarded by the token in the control file, for `qingyun check-ledger`. */
function addControlRoute(http: FastifyInstance, token: string, services: Services): void {
  http.get('/internal/check-ledger', { schema: { hide: true } }, async (request, reply) => {
    const loopback = ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(request.ip);
    if (!loopback || request.headers['x-qy-control'] !== token)
      return reply.code(404).send({ code: 'NOT_FOUND' });
    return ledgerReport(services);
  });
}

function writeControlFile(dataDir: string, control: ControlFile): string {
  const controlPath = path.join(dataDir, 'control.json');
  writePrivateFile(controlPath, JSON.stringify(control));
  return controlPath;
}

export interface LedgerReport {
  ok: boolean;
  transactions: string;
  entries: string;
  accounts: string;
  paidOrders: string;
  paymentTransactions: string;
  refunds: string;
  problems: string[];
}

/**
 * Every merchant's frozen balance is exactly what its open withdrawals and open third-party payouts
 * hold, and every agent's frozen commission and every member's frozen balance what its open
 * withdrawals hold: a freeze without its withdrawal or payout, or a payout paid or returned twice,
 * shows here.
 */
async function frozenProblems(services: Services): Promise<string[]> {
  const [frozen, withdrawals, payouts, agentFrozen, agentWithdrawals, memberFrozen, memberWithdrawals] =
    await Promise.all([
      services.ledger.guardedBalancesOfKind('merchant_frozen'),
      services.withdrawals.frozenByMerchant(),
      services.payouts.frozenByMerchant(),
      services.ledger.derivedBalancesOfKind('agent_frozen'),
      services.withdrawals.frozenBy('agent'),
      services.ledger.guardedBalancesOfKind('member_frozen'),
      services.withdrawals.frozenBy('member'),
    ]);
  const keys = new Set([...frozen.keys(), ...withdrawals.keys(), ...payouts.keys()]);
  const problems: string[] = [];
  for (const key of keys) {
    const held = (withdrawals.get(key) ?? 0n) + (payouts.get(key) ?? 0n);
    const balance = frozen.get(key) ?? 0n;
    if (balance !== held) {
      const [merchant, currency] = key.split(':');
      problems.push(
        `merchant ${merchant} frozen ${currency} is ${balance} but its open withdrawals and payouts hold ${held}`,
      );
    }
  }
  for (const key of new Set([...agentFrozen.keys(), ...agentWithdrawals.keys()])) {
    const held = agentWithdrawals.get(key) ?? 0n;
    const balance = agentFrozen.get(key) ?? 0n;
    if (balance !== held) {
      const [agent, currency] = key.split(':');
      problems.push(`agent ${agent} frozen ${currency} is ${balance} but its open withdrawals hold ${held}`);
    }
  }
  for (const key of new Set([...memberFrozen.keys(), ...memberWithdrawals.keys()])) {
    const held = memberWithdrawals.get(key) ?? 0n;
    const balance = memberFrozen.get(key) ?? 0n;
    if (balance !== held) {
      const [member, currency] = key.split(':');
      problems.push(
        `member ${member} frozen ${currency} is ${balance} but its open withdrawals hold ${held}`,
      );
    }
  }
  return problems;
}

/** The ledger's invariants, plus the cross-check that every paid order was posted exactly once. */
export async function ledgerReport(services: Services): Promise<LedgerReport> {
  const check = await services.ledger.check({ orders: true });
  const paidOrders = await services.orders.countPaid();
  const paymentTxns = await services.ledger.countTxnsOfKind('payment');
  const refunds = await services.refunds.ledgerProblems();
  const payouts = await services.payouts.ledgerProblems();
  const problems = [
    ...check.problems,
    ...refunds.problems,
    ...payouts.problems,
    ...(await frozenProblems(services)),
  ];
  if (paidOrders !== paymentTxns) {
    problems.push(`${paidOrders} paid orders but ${paymentTxns} payment transactions`);
  }
  return {
    ok: problems.length === 0,
    transactions: check.txns.toString(),
    entries: check.entries.toString(),
    accounts: check.accounts.toString(),
    paidOrders: paidOrders.toString(),
    paymentTransactions: paymentTxns.toString(),
    refunds: refunds.refunds.toString(),
    problems,
  };
}
