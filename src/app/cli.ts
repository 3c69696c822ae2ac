import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { temporaryPassword } from '../auth/console-users.ts';
import { startSandboxServer } from '../channels/sandbox/server.ts';
import { migrate } from '../db/migrate.ts';
import { type Config, loadConfig } from './config.ts';
import { demoCredentialsPath } from './demo.ts';
import { createLogger, type Logger } from './logger.ts';
import {
  type ControlFile,
  type LedgerReport,
  ledgerReport,
  openDatabase,
  startPlatform,
} from './platform.ts';
import { defaultProcessCount, ownSlot, type ProcessSlot, superviseProcesses } from './processes.ts';
import { createServices } from './services.ts';
import { ensureWebBuilt } from './web.ts';

const USAGE = `qingyun <command>

  start [--role all|api|worker] [--processes N]
                                  run the platform; with DATABASE_URL as N API processes sharing the
                                  port (default: one per core, at most 8) and one worker process
  migrate                         apply database migrations and exit
  sandbox [--port 8090]           run the sandbox payment channel on its own
  check-ledger                    prove the ledger's invariants; exits 1 on a breach
  create-operator <username>      create an operator (password from QY_OPERATOR_PASSWORD, or generated)
  history list                    the history tables' month partitions, and which the retention archives next
  history archive                 archive now the months past the retention (history.retentionMonths)
  history restore <file>          put an archived month (<archive dir>/<table>/<table>_yYYYYmMM.jsonl.gz) back

Configuration comes from the environment: PORT, QY_DATA_DIR, DATABASE_URL, QY_MASTER_KEY, QY_PUBLIC_URL (see README).`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      processes: { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 1;
  }
  const env = {
    ...process.env,
    ...(values.role ? { QY_ROLE: values.role } : {}),
    ...(values.processes ? { QY_PROCESSES: values.processes } : {}),
  };
  switch (command) {
    case 'start':
      return start(loadConfig(env));
    case 'migrate':
      return runMigrations(loadConfig(env));
    case 'sandbox':
      return sandbox(values.port);
    case 'check-ledger':
      return checkLedger(loadConfig(env));
    case 'create-operator':
      return createOperator(loadConfig(env), rest[0]);
    case 'history':
      return history(loadConfig(env), rest);
    default:
      console.error(`unknown command: ${command}\n\n${USAGE}`);
      return 1;
  }
}

async function start(config: Config): Promise<number> {
  const log = createLogger(config.logLevel, config.logFormat);
  const slot = ownSlot();
  if (slot) return startForkedProcess(config, slot, log);
  if (config.role !== 'worker') ensureWebBuilt((line) => log.info(line));
  if (config.databaseUrl && !config.publicUrl?.startsWith('https:')) {
    // Console cookies get the Secure flag only when the platform knows it is served over HTTPS.
    log.warn('QY_PUBLIC_URL is not https: console session cookies are sent without the Secure flag');
  }
  const apiProcesses = config.processes ?? defaultProcessCount();
  if (config.databaseUrl && config.role !== 'worker' && apiProcesses > 1) {
    return startProcesses(config, apiProcesses, log);
  }
  if (!config.databaseUrl && (config.processes ?? 1) > 1) {
    log.warn(
      { processes: config.processes },
      'the embedded database can be opened by one process only: running one; set DATABASE_URL for more',
    );
  }
  const platform = await startPlatform(config, { log });
  const mode = config.databaseUrl
    ? 'PostgreSQL'
    : `embedded PGlite in ${path.join(config.dataDir, 'pgdata')} (not for production)`;
  console.log(`\nQingyun Pay is running at ${platform.url}  (role ${config.role}, database: ${mode})`);
  console.log(`  API docs     ${platform.url}/docs`);
  if (platform.demo && config.databaseUrl) {
    // A shared server's console and logs reach other people and log stores: keep passwords out of them.
    log.warn(
      { file: demoCredentialsPath(config) },
      'demo data created; its passwords and app secret are only in this file (mode 0600), not printed',
    );
  } else if (platform.demo) {
    printDemo(platform.url, platform.demo, config.dataDir);
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  await platform.stop();
  return 0;
}

/** The primary of several processes: it serves nothing itself, it keeps them running (processes.ts). */
async function startProcesses(config: Config, apiProcesses: number, log: Logger): Promise<number> {
  const { url, demoCreated, stopped } = await superviseProcesses(config, apiProcesses, log);
  const worker = config.role === 'api' ? '' : ' and 1 worker process';
  console.log(
    `\nQingyun Pay is running at ${url}  (role ${config.role}: ${apiProcesses} API processes${worker}, database: PostgreSQL)`,
  );
  console.log(`  API docs     ${url}/docs`);
  if (demoCreated) {
    log.warn(
      { file: demoCredentialsPath(config) },
      'demo data created; its passwords and app secret are only in this file (mode 0600), not printed',
    );
  }
  await stopped;
  return 0;
}

/** One process of several: the primary forked it and says its role; it prints no banner of its own. */
async function startForkedProcess(config: Config, slot: ProcessSlot, log: Logger): Promise<number> {
  const platform = await startPlatform(config, { log });
  log.info({ role: slot.role, index: slot.index }, 'platform process started');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await platform.stop();
  return 0;
}

function printDemo(
  url: string,
  demo: NonNullable<Awaited<ReturnType<typeof startPlatform>>['demo']>,
  dataDir: string,
) {
  console.log(`
Demo data created (also in ${path.join(dataDir, 'demo-credentials.json')}):
  operator     ${demo.operator.username} / ${demo.operator.password}   (console: ${url}/login — enrol TOTP at first login)
  merchant portal ${demo.merchantManager.username} / ${demo.merchantManager.password}   (${url}/login, area 商户 / merchant)
  merchant     ${demo.merchant.mchNo}
  app          ${demo.merchant.appId}
  app secret   ${demo.merchant.appSecret}
  product      ${demo.merchant.productCode} (bound to two sandbox channel accounts)
  static QR    ${url}/pay/${demo.staticQrCode}   (a store's 收款码: type an amount on a phone and pay)
  agent portal ${demo.agent.username} / ${demo.agent.password}   (${url}/login, area 代理商 / agent; agent ${demo.agent.agentNo})
  agent's merchant ${demo.agent.mchNo}, static QR ${url}/pay/${demo.agent.staticQrCode}   (a payment there earns the agent commission)${
    demo.member
      ? `
  member portal ${demo.member.username} / ${demo.member.password}   (${url}/login, area 会员 / member; member ${demo.member.memberNo}, ${demo.member.bizUserId})`
      : ''
  }
Create an order:  npx tsx examples/create-order.ts   (see README)
`);
}

async function runMigrations(config: Config): Promise<number> {
  const db = await openDatabase(config);
  try {
    const applied = await migrate(db);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'the schema is up to date');
    return 0;
  } finally {
    await db.close();
  }
}

async function sandbox(portText: string | undefined): Promise<number> {
  const port = Number(portText ?? process.env.PORT ?? 8090);
  const givenToken = process.env.QY_SANDBOX_REGISTRATION_TOKEN;
  if (givenToken !== undefined && givenToken.length < 32) {
    console.error('QY_SANDBOX_REGISTRATION_TOKEN must be at least 32 characters');
    return 1;
  }
  const server = await startSandboxServer({
    host: process.env.HOST ?? '127.0.0.1',
    port,
    registrationToken: givenToken,
    // Like merchant notifies: private addresses only when said (a tester's machine says allow).
    allowPrivateAddresses: process.env.QY_NOTIFY_PRIVATE_ADDRESSES !== 'deny',
    publicUrl: process.env.QY_PUBLIC_URL,
  });
  console.log(`Sandbox channel at ${server.url}`);
  const token = givenToken === undefined ? server.registrationToken : '$QY_SANDBOX_REGISTRATION_TOKEN';
  console.log(
    `Register a sandbox merchant: curl -X POST ${server.url}/api/merchants -H 'authorization: Bearer ${token}' -H 'content-type: application/json' -d '{}'`,
  );
  console.log('(merchants and payments live in memory: a restart forgets them)');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  return 0;
}

async function checkLedger(config: Config): Promise<number> {
  const report = (await reportFromRunningPlatform(config)) ?? (await reportFromDatabase(config));
  console.log(
    `ledger: ${report.transactions} transactions, ${report.entries} entries, ${report.accounts} accounts; ` +
      `${report.paidOrders} paid orders, ${report.paymentTransactions} payment transactions`,
  );
  if (report.ok) {
    console.log('OK: every transaction balances, every stored balance equals its entries, none is negative');
    console.log(
      'OK: every pending balance equals its unsettled orders, every frozen one its open withdrawals and payouts, every reserve its held − released, every settlement and payout was posted',
    );
    return 0;
  }
  console.error(`BREACH: ${report.problems.length} problem(s)`);
  for (const problem of report.problems) console.error(`  - ${problem}`);
  return 1;
}

/** The embedded database has one connection, held by a running platform: ask that process instead. */
async function reportFromRunningPlatform(config: Config): Promise<LedgerReport | null> {
  if (config.databaseUrl) return null;
  const controlPath = path.join(config.dataDir, 'control.json');
  if (!fs.existsSync(controlPath)) return null;
  const control = JSON.parse(fs.readFileSync(controlPath, 'utf8')) as ControlFile;
  try {
    process.kill(control.pid, 0);
  } catch {
    return null;
  }
  const response = await fetch(`${control.url}/internal/check-ledger`, {
    headers: { 'x-qy-control': control.token },
  });
  if (!response.ok) throw new Error(`the running platform answered HTTP ${response.status}`);
  return (await response.json()) as LedgerReport;
}

async function reportFromDatabase(config: Config): Promise<LedgerReport> {
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const log = createLogger('silent');
    return await ledgerReport(createServices(db, config, log, () => config.publicUrl ?? ''));
  } finally {
    await db.close();
  }
}

async function createOperator(config: Config, username: string | undefined): Promise<number> {
  if (!username) {
    console.error('usage: qingyun create-operator <username>');
    return 1;
  }
  const generated = !process.env.QY_OPERATOR_PASSWORD;
  const password = process.env.QY_OPERATOR_PASSWORD ?? temporaryPassword();
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const services = createServices(db, config, createLogger('silent'), () => config.publicUrl ?? '');
    await services.consoleUsers.createSuperAdmin(username, password);
    console.log(`operator ${username} is ready${generated ? `; password: ${password}` : ''}`);
    return 0;
  } finally {
    await db.close();
  }
}

async function history(config: Config, [action, file]: string[]): Promise<number> {
  if (action !== 'list' && action !== 'archive' && !(action === 'restore' && file)) {
    console.error('usage: qingyun history list | archive | restore <file>');
    return 1;
  }
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const services = createServices(db, config, createLogger('silent'), () => config.publicUrl ?? '');
    if (action === 'list') {
      const { retentionMonths } = await services.history.settings();
      console.log(`retention: ${retentionMonths === 0 ? 'keep every month' : `${retentionMonths} months`}`);
      for (const m of await services.history.months()) {
        const notes = [
          m.due ? 'archived at the next run' : '',
          m.restoredAt ? `restored ${m.restoredAt.toISOString()}` : '',
        ];
        console.log(`${m.table.padEnd(16)} ${m.month}  ${notes.filter(Boolean).join('; ')}`);
      }
    } else if (action === 'archive') {
      const archived = await services.history.archiveDue(new Date(), (m) => progressLine(`${m.name}`));
      for (const a of archived) console.log(`archived ${a.table} ${a.month}: ${a.rows} rows → ${a.file}`);
      if (archived.length === 0) console.log('no month is past the retention');
    } else {
      const restored = await services.history.restore(
        path.resolve(file!),
        progressLine(path.basename(file!)),
      );
      console.log(`restored ${restored.table} ${restored.month}: ${restored.rows} rows`);
    }
    return 0;
  } finally {
    await db.close();
  }
}

/** A progress line on stderr, redrawn in place on a terminal, every 10 % otherwise. */
function progressLine(label: string): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    const share = total === 0 ? 1 : done / total;
    const text = `${label}: ${done} / ${total} rows (${Math.floor(share * 100)} %)`;
    if (process.stderr.isTTY) {
      const width = 24;
      const filled = Math.round(share * width);
      process.stderr.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}${done >= total ? '\n' : ''}`,
      );
    } else if (Math.floor(share * 10) > lastTenth) {
      lastTenth = Math.floor(share * 10);
      process.stderr.write(`${text}\n`);
    }
  };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`qingyun: ${error.message}`);
    process.exit(1);
  },
);
