/**
 * `npm run bench [-- --quick]`: measures the ceilings of this machine, then the platform's hot
 * paths against them, prints a table, writes bench/results/latest.json and appends a dated
 * summary to bench/RESULTS.md. PostgreSQL when BENCH_DATABASE_URL is set, PGlite otherwise.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Config, DEFAULT_HTTP_TIMEOUTS } from '../src/app/config.ts';
import { DEMO_PRODUCT } from '../src/app/demo.ts';
import { createLogger } from '../src/app/logger.ts';
import { startPlatform } from '../src/app/platform.ts';
import { Worker } from '../src/app/worker.ts';
import { signedNotifyForm } from '../src/channels/sandbox/protocol.ts';
import { type Db, openPglite, openPostgres, runOnServer } from '../src/db/index.ts';
import { migrate } from '../src/db/migrate.ts';
import { LedgerService } from '../src/ledger/service.ts';
import type { PostingInput } from '../src/ledger/types.ts';
import { httpHelloCeiling, pgbenchCeiling, tpcbFromNode } from './ceilings.ts';
import { type GrowthResult, runGrowth } from './growth.ts';
import type { LoadJob, LoadResult } from './loadgen.ts';
import {
  prepareReconciliation,
  type ReconciliationJob,
  type ReconciliationRun,
  runReconciliation,
} from './reconciliation.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CONNECTIONS = 64;
/** Postings per ledger transaction in the ledger workload (the payment path batches the same way). */
const LEDGER_BATCH = 128;
const LEDGER_CALLERS = 8;

interface Workload {
  name: string;
  throughputPerSec: number;
  p50Ms: number | null;
  p99Ms: number | null;
  peakRssMb: number;
  ratioToDbCeiling: number;
  ratioToHttpCeiling: number | null;
  /** Wall time of a one-off job (the reconciliation of a day), where that is the figure. */
  seconds?: number;
  unit: string;
  /** CPU time of the platform process per operation: what a faster machine or a second node divides. */
  platformCpuMsPerOp: number | null;
  target: string;
  detail?: Record<string, unknown>;
}

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'skip-ceilings': { type: 'boolean' },
    /** Existing orders for the growth step (bench/growth.ts); 5 000 000 by default, 500 000 with --quick. */
    growth: { type: 'string' },
  },
});
/** `--only create_order,ledger_postings` runs just those (for profiling); the table then has only them. */
const only = flags.only ? new Set(flags.only.split(',')) : null;
const runs = (name: string) => only === null || only.has(name);
const quick = flags.quick ?? false;
const seconds = quick ? 6 : 20;
const databaseUrl = process.env.BENCH_DATABASE_URL;
const growthOrders = Number(flags.growth ?? (quick ? 500_000 : 5_000_000));
/** The growth step's figures, for the record (latest.json's `growth` and `orderListFirstPageMs`). */
let growth: (GrowthResult & { createRatio: number | null; notifyRatio: number | null }) | null = null;

/** Peak resident memory and CPU time of this process (the platform) while `work` runs. */
async function withPeakRss<T>(
  work: () => Promise<T>,
): Promise<{ result: T; peakRssMb: number; cpuMs: number }> {
  const cpuBefore = process.cpuUsage();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    const result = await work();
    const cpu = process.cpuUsage(cpuBefore);
    return {
      result,
      peakRssMb: Math.round(Math.max(peak, process.memoryUsage().rss) / 1024 / 1024),
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Runs a bench script (in bench/) in its own process with its job as a JSON file, and returns the
 * JSON the script prints on its last line.
 */
function runScript<T>(script: string, job: unknown): Promise<T> {
  const jobFile = path.join(
    os.tmpdir(),
    `qy-bench-job-${process.pid}-${randomBytes(4).toString('hex')}.json`,
  );
  fs.writeFileSync(jobFile, JSON.stringify(job));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, script), jobFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      fs.rmSync(jobFile, { force: true });
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as T);
    });
  });
}

/** Runs the load generator in its own process and returns its JSON result. */
function runLoad(job: LoadJob): Promise<LoadResult> {
  return runScript<LoadResult>('loadgen.ts', job);
}

/** The reconciliation's measured part in its own process (bench/reconciliation-run.ts). */
function runReconciliationProcess(
  databaseUrl: string,
  config: Config,
  job: ReconciliationJob,
): Promise<ReconciliationRun & { peakRssMb: number; cpuMs: number }> {
  return runScript('reconciliation-run.ts', {
    databaseUrl,
    masterKeyHex: config.masterKey.toString('hex'),
    config,
    job,
  });
}

/**
 * BENCH_COUNT_QUERIES=1: counts the statements the platform sends, by their first words — on a
 * machine where every socket write is expensive, statements per request is the number to watch.
 */
function countingQueries(db: Db): { db: Db; print(): void } {
  const counts = new Map<string, number>();
  const note = (text: string) => {
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 70);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  const wrap = (q: Pick<Db, 'query' | 'exec'>) => ({
    query: <Row>(text: string, params?: Parameters<Db['query']>[1]) => {
      note(text);
      return q.query<Row>(text, params);
    },
    exec: (script: string) => q.exec(script),
  });
  return {
    db: {
      ...wrap(db),
      kind: db.kind,
      tx: (work) =>
        db.tx((q) => {
          note('BEGIN … COMMIT');
          return work(wrap(q));
        }),
      ping: (timeoutMs) => db.ping(timeoutMs),
      close: () => db.close(),
    },
    print() {
      for (const [text, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
        console.log(`${String(n).padStart(8)}  ${text}`);
      }
    },
  };
}

/** The token the benchmark registers its sandbox merchants with, at the sandbox in its own process. */
const SANDBOX_REGISTRATION_TOKEN = randomBytes(24).toString('base64url');

/** `qingyun sandbox` in its own process; the platform's channel accounts are registered there afterwards. */
function startSandboxProcess(): Promise<{ url: string; stop(): Promise<void> }> {
  return startCliProcess(
    ['sandbox', '--port', '0'],
    { QY_SANDBOX_REGISTRATION_TOKEN: SANDBOX_REGISTRATION_TOKEN, HOST: '127.0.0.1' },
    /Sandbox channel at (\S+)/,
    30_000,
  );
}

/**
 * `qingyun <args>` in its own process, resolved with the address it prints (the first group of
 * `announces`) once it does; fails if it exits first or stays silent for `timeoutMs`.
 */
async function startCliProcess(
  args: string[],
  env: NodeJS.ProcessEnv,
  announces: RegExp,
  timeoutMs: number,
): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(HERE, '..', 'src', 'app', 'cli.ts'), ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const what = `qingyun ${args[0]}`;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${out}`)), timeoutMs);
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}: ${out}`)));
    const look = () => {
      const match = announces.exec(out);
      if (!match) return setTimeout(look, 20);
      clearTimeout(timer);
      resolve(match[1]!);
    };
    look();
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The merchants' notify receiver, in its own process; stop() returns how many notifies it got. */
async function startReceiver(): Promise<{ url: string; stop(): Promise<number> }> {
  const jobFile = path.join(os.tmpdir(), `qy-bench-receiver-${process.pid}.json`);
  fs.writeFileSync(
    jobFile,
    JSON.stringify({ kind: 'receiver', origin: '', connections: 0 } satisfies LoadJob),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'loadgen.ts'), jobFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const url = await new Promise<string>((resolve) => {
    const look = () =>
      out.includes('\n') ? resolve(JSON.parse(out.split('\n')[0]!).url) : setTimeout(look, 20);
    look();
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', () => {
          fs.rmSync(jobFile, { force: true });
          resolve(JSON.parse(out.trim().split('\n').at(-1)!).received as number);
        });
        child.kill('SIGTERM');
      }),
  };
}

async function openBenchDatabase(): Promise<{ db: Db; url: string | null; dispose(): Promise<void> }> {
  if (databaseUrl) {
    const name = `qy_bench_${process.pid}`;
    await runOnServer(databaseUrl, `CREATE DATABASE ${name}`);
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    const db = openPostgres(url.toString(), 32);
    return {
      db,
      url: url.toString(),
      async dispose() {
        await db.close();
        await runOnServer(databaseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qy-bench-'));
  const db = await openPglite(path.join(dir, 'pgdata'));
  return {
    db,
    url: null,
    async dispose() {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function benchConfig(dataDir: string): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    masterKey: randomBytes(32),
    role: 'api',
    demo: true,
    sandbox: false,
    logLevel: 'silent',
    logFormat: 'json',
    trustProxy: false,
    httpTimeouts: DEFAULT_HTTP_TIMEOUTS,
    timeZone: 'Asia/Shanghai',
    notifyScheduleSeconds: [0, 15, 15, 30],
    orderQueryScheduleSeconds: [3600],
    channelTimeoutMs: 10_000,
    notifyTimeoutMs: 10_000,
    notifyPrivateAddresses: true,
    workerTickMs: 50,
    smtpFrom: 'Qingyun Pay <no-reply@localhost>',
  };
}

async function main() {
  const started = new Date();
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
  const database = databaseUrl ? 'postgres' : 'pglite';
  log(
    `Qingyun Pay bench (${quick ? 'quick' : 'full'}) on ${database}, ${machine.cpus} × ${machine.cpuModel}`,
  );

  log('ceiling: bare Fastify route …');
  const skipCeilings = flags['skip-ceilings'] ?? false;
  const hello = skipCeilings
    ? { throughputPerSec: 1 }
    : await httpHelloCeiling(runLoad, CONNECTIONS, seconds * 1000);
  const { db, url: benchDatabaseUrl, dispose } = await openBenchDatabase();
  try {
    await migrate(db);
    log('ceiling: TPC-B-like transactions …');
    const pgbench = databaseUrl && !skipCeilings ? await pgbenchCeiling(databaseUrl, seconds, 16) : null;
    const dbCeiling = skipCeilings ? 1 : (pgbench ?? (await tpcbFromNode(db, seconds, 1)));
    const ceilings = {
      httpHelloRps: hello.throughputPerSec,
      pgbenchTpcbTps: Math.round(dbCeiling),
      pgbenchSource: pgbench !== null ? 'pgbench -c 16 -j 2 -s 16' : 'same transaction from node, 16 clients',
    };
    log(
      `  httpHelloRps ${ceilings.httpHelloRps}/s, pgbenchTpcbTps ${ceilings.pgbenchTpcbTps}/s (${ceilings.pgbenchSource})`,
    );
    const { workloads, scaling } = await runWorkloads(db, benchDatabaseUrl, ceilings);
    const embeddedRssMb = await measureEmbeddedRss(workloads);
    report({
      embeddedRssMb,
      machine,
      database,
      ceilings,
      workloads,
      scaling,
      quick,
      started,
      record: !skipCeilings && only === null,
    });
  } finally {
    await dispose();
  }
}

async function runWorkloads(
  db: Db,
  benchDatabaseUrl: string | null,
  ceilings: { httpHelloRps: number; pgbenchTpcbTps: number },
): Promise<{ workloads: Workload[]; scaling: Scaling | null }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qy-bench-data-'));
  const config = benchConfig(dataDir);
  const counted = process.env.BENCH_COUNT_QUERIES === '1' ? countingQueries(db) : null;
  const platform = await startPlatform(config, { db: counted?.db ?? db, log: createLogger('silent') });
  // The channel is another party's server: it runs in its own process, as it would in production,
  // so its work is not counted against the platform's event loop.
  const sandbox = await startSandboxProcess();
  for (const account of await platform.services.catalog.listChannelAccounts()) {
    // Each account becomes a merchant of that sandbox, with the key it issues.
    const registered = await fetch(`${sandbox.url}/api/merchants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SANDBOX_REGISTRATION_TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const merchant = (await registered.json()) as { mchId: string; key: string };
    await platform.services.catalog.updateChannelAccount(account.id, {
      credentials: { mchId: merchant.mchId, key: merchant.key, baseUrl: sandbox.url },
    });
  }
  const receiver = await startReceiver();
  const workloads: Workload[] = [];
  let scaling: Scaling | null = null;
  const ratioDb = (n: number) => round(n / ceilings.pgbenchTpcbTps);
  const ratioHttp = (n: number) => round(n / ceilings.httpHelloRps);
  try {
    const demo = platform.demo!;
    await platform.services.merchants.updateApp(demo.merchant.appId, { notifyUrl: receiver.url });

    if (runs('create_order')) {
      log('workload: create_order …');
      const createJob: LoadJob = {
        kind: 'create_order',
        origin: platform.url,
        connections: CONNECTIONS,
        durationMs: 2_000,
        merchant: { ...demo.merchant, secret: demo.merchant.appSecret },
      };
      await runLoad(createJob); // warm-up: connections, JIT, caches; not measured
      const create = await withPeakRss(() => runLoad({ ...createJob, durationMs: seconds * 1000 }));
      workloads.push({
        name: 'create_order',
        throughputPerSec: create.result.throughputPerSec,
        p50Ms: create.result.p50Ms,
        p99Ms: create.result.p99Ms,
        peakRssMb: create.peakRssMb,
        platformCpuMsPerOp: perOp(create.cpuMs, create.result.requests),
        ratioToDbCeiling: ratioDb(create.result.throughputPerSec),
        ratioToHttpCeiling: ratioHttp(create.result.throughputPerSec),
        unit: 'orders/s',
        target: databaseUrl ? '≥ 1.0 × db ceiling, p99 ≤ 50 ms' : '≥ 1 500/s',
        detail: { errors: create.result.errors, statuses: create.result.statuses },
      });
    }

    if (runs('notify_to_paid')) {
      log('workload: notify_to_paid …');
      const notifyFile = await writeChannelNotifies(platform.services, db);
      const paid = await withPeakRss(() =>
        runLoad({
          kind: 'replay',
          origin: platform.url,
          connections: CONNECTIONS,
          requestsFile: notifyFile.path,
        }),
      );
      fs.rmSync(notifyFile.path, { force: true });
      workloads.push({
        name: 'notify_to_paid',
        throughputPerSec: paid.result.throughputPerSec,
        p50Ms: paid.result.p50Ms,
        p99Ms: paid.result.p99Ms,
        peakRssMb: paid.peakRssMb,
        platformCpuMsPerOp: perOp(paid.cpuMs, paid.result.requests),
        ratioToDbCeiling: ratioDb(paid.result.throughputPerSec),
        ratioToHttpCeiling: ratioHttp(paid.result.throughputPerSec),
        unit: 'payments/s',
        target: '≥ 1.0 × db ceiling',
        detail: { notifies: notifyFile.count, errors: paid.result.errors, statuses: paid.result.statuses },
      });
    }

    if (runs('merchant_notify_delivery')) {
      log('workload: merchant_notify_delivery …');
      const delivery = await withPeakRss(() => drainOutbox(platform.services, config));
      workloads.push({
        name: 'merchant_notify_delivery',
        throughputPerSec: delivery.result.perSecond,
        p50Ms: null,
        p99Ms: null,
        peakRssMb: delivery.peakRssMb,
        platformCpuMsPerOp: perOp(delivery.cpuMs, delivery.result.delivered),
        ratioToDbCeiling: ratioDb(delivery.result.perSecond),
        ratioToHttpCeiling: ratioHttp(delivery.result.perSecond),
        unit: 'notifies/s',
        target: '≥ 5 000/s',
        detail: { delivered: delivery.result.delivered },
      });
    }

    if (runs('ledger_postings')) {
      log('workload: ledger_postings …');
      const ledger = await withPeakRss(() => postLedger(db, seconds));
      workloads.push({
        name: 'ledger_postings',
        throughputPerSec: ledger.result.entriesPerSecond,
        p50Ms: ledger.result.p50Ms,
        p99Ms: ledger.result.p99Ms,
        peakRssMb: ledger.peakRssMb,
        platformCpuMsPerOp: perOp(ledger.cpuMs, ledger.result.postings * 4),
        ratioToDbCeiling: ratioDb(ledger.result.entriesPerSecond),
        ratioToHttpCeiling: null,
        unit: 'entries/s',
        target: '≥ 20 000/s',
        detail: {
          postings: ledger.result.postings,
          legsPerPosting: 4,
          postingsPerTransaction: LEDGER_BATCH,
          callers: 16,
        },
      });
    }

    if (runs('dashboard_query')) {
      const orders = dashboardOrders();
      log(`workload: dashboard_query over ${orders.toLocaleString('en')} seeded orders …`);
      await seedPaidOrders(platform.services, demo.merchant.mchNo, orders);
      const dashboard = await withPeakRss(() => queryDashboards(platform.services, seconds));
      workloads.push({
        name: 'dashboard_query',
        throughputPerSec: dashboard.result.perSecond,
        p50Ms: dashboard.result.p50Ms,
        p99Ms: dashboard.result.p99Ms,
        peakRssMb: dashboard.peakRssMb,
        platformCpuMsPerOp: perOp(dashboard.cpuMs, dashboard.result.views),
        ratioToDbCeiling: ratioDb(dashboard.result.perSecond),
        ratioToHttpCeiling: null,
        unit: 'dashboards/s',
        target: 'p99 ≤ 100 ms at 1 M orders',
        detail: { orders, views: dashboard.result.views, callers: 4 },
      });
    }

    // Last, and on PostgreSQL in a process of its own: its peak memory is the point, and the heap the
    // other workloads leave behind (or this one's, before them) would blur both.
    if (runs('reconciliation_1m')) {
      const lines = reconciliationLines();
      log(`workload: reconciliation_1m (${lines.toLocaleString('en')} lines against as many orders) …`);
      const prepared = await prepareReconciliation(platform.services, demo.merchant.mchNo, lines);
      const recon = benchDatabaseUrl
        ? await runReconciliationProcess(benchDatabaseUrl, config, prepared.job)
        : await withPeakRss(() => runReconciliation(platform.services, prepared.job)).then((r) => ({
            ...r.result,
            peakRssMb: r.peakRssMb,
            cpuMs: r.cpuMs,
          }));
      prepared.dispose();
      workloads.push({
        name: 'reconciliation_1m',
        throughputPerSec: Math.round(lines / recon.seconds),
        seconds: recon.seconds,
        p50Ms: null,
        p99Ms: null,
        peakRssMb: recon.peakRssMb,
        platformCpuMsPerOp: perOp(recon.cpuMs, lines),
        ratioToDbCeiling: ratioDb(lines / recon.seconds),
        ratioToHttpCeiling: null,
        unit: 'lines/s',
        target: '1 M lines ≤ 20 s, peak RSS ≤ 512 MB (PostgreSQL)',
        detail: { lines, fileMb: recon.fileMb, batch: recon.batch },
      });
    }

    if (runs('scaling')) {
      if (benchDatabaseUrl) {
        log('workload: scaling (create_order with 1 and 2 API processes of `qingyun start`) …');
        scaling = await measureScaling(benchDatabaseUrl, config, dataDir, demo.merchant);
        log(
          `  ${scaling.createOrder1}/s with 1 process, ${scaling.createOrder2}/s with 2: ×${scaling.ratio}`,
        );
      } else {
        log('workload: scaling skipped (the embedded database runs one process)');
      }
    }

    // Filling millions of orders is PostgreSQL's job here; on PGlite only when asked for (--growth N).
    if (runs('growth') && (databaseUrl || flags.growth)) {
      log(`workload: growth to ${growthOrders.toLocaleString('en')} existing orders …`);
      const merchant = { ...demo.merchant, secret: demo.merchant.appSecret };
      const result = await runGrowth(
        {
          services: platform.services,
          platformUrl: platform.url,
          log,
          measureCreateOrder: async () => {
            const job: LoadJob = {
              kind: 'create_order',
              origin: platform.url,
              connections: CONNECTIONS,
              merchant,
            };
            await runLoad({ ...job, durationMs: 2_000 });
            return (await runLoad({ ...job, durationMs: seconds * 1000 })).throughputPerSec;
          },
          measureNotifyToPaid: async () => {
            const file = await writeChannelNotifies(platform.services, db);
            const paid = await runLoad({
              kind: 'replay',
              origin: platform.url,
              connections: CONNECTIONS,
              requestsFile: file.path,
            });
            fs.rmSync(file.path, { force: true });
            return paid.throughputPerSec;
          },
        },
        growthOrders,
      );
      const empty = (name: string) => workloads.find((w) => w.name === name)?.throughputPerSec;
      const ratio = (n: number, of: number | undefined) => (of ? round(n / of) : null);
      growth = {
        ...result,
        createRatio: ratio(result.createOrderPerSec, empty('create_order')),
        notifyRatio: ratio(result.notifyToPaidPerSec, empty('notify_to_paid')),
      };
      log(
        `  growth: first page ${growth.orderListFirstPageMs} ms, create ×${growth.createRatio}, notify ×${growth.notifyRatio}`,
      );
    }

    const check = await platform.services.ledger.check();
    if (!check.ok) throw new Error(`the ledger broke during the bench: ${check.problems.join('; ')}`);
  } finally {
    await sandbox.stop();
    if (counted) counted.print();
    const received = await receiver.stop();
    log(`  the receiver got ${received} notifies`);
    await platform.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return { workloads, scaling };
}

/** create_order's throughput with 1 and with 2 API processes: what a second core buys. */
interface Scaling {
  createOrder1: number;
  createOrder2: number;
  ratio: number;
  p99Ms1: number;
  p99Ms2: number;
  errors: number;
}

/**
 * `qingyun start --role api --processes N` as a real process on the bench's database (the demo the
 * bench seeded, the sandbox process it registered), loaded like create_order, then stopped.
 */
async function measureScaling(
  benchDatabaseUrl: string,
  config: Config,
  dataDir: string,
  merchant: { mchNo: string; appId: string; appSecret: string; productCode: string },
): Promise<Scaling> {
  const measure = async (processes: number) => {
    const running = await startCli(processes, benchDatabaseUrl, config, dataDir);
    try {
      const job: LoadJob = {
        kind: 'create_order',
        origin: running.url,
        connections: CONNECTIONS,
        durationMs: 2_000,
        merchant: { ...merchant, secret: merchant.appSecret },
      };
      await runLoad(job); // warm-up of every process: connections, JIT, caches
      return await runLoad({ ...job, durationMs: seconds * 1000 });
    } finally {
      await running.stop();
    }
  };
  const one = await measure(1);
  const two = await measure(2);
  return {
    createOrder1: one.throughputPerSec,
    createOrder2: two.throughputPerSec,
    ratio: round(two.throughputPerSec / one.throughputPerSec),
    p99Ms1: one.p99Ms,
    p99Ms2: two.p99Ms,
    errors: one.errors + two.errors,
  };
}

function startCli(
  processes: number,
  benchDatabaseUrl: string,
  config: Config,
  dataDir: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  return startCliProcess(
    ['start', '--role', 'api'],
    {
      DATABASE_URL: benchDatabaseUrl,
      QY_MASTER_KEY: config.masterKey.toString('hex'),
      QY_DATA_DIR: dataDir,
      QY_PROCESSES: String(processes),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      QY_LOG_FORMAT: 'json',
    },
    /running at (http:\/\/\S+)/,
    120_000,
  );
}

/** One sandbox-signed SUCCESS notify per paying order, as the channel would send it. */
async function writeChannelNotifies(services: Awaited<ReturnType<typeof startPlatform>>['services'], db: Db) {
  const orders = await db.query<{
    order_no: string;
    channel_account_id: bigint;
    channel_order_no: string;
    amount: bigint;
  }>(
    `SELECT order_no, channel_account_id, channel_order_no, amount FROM pay_order WHERE state = 'paying' ORDER BY id`,
  );
  const file = path.join(os.tmpdir(), `qy-bench-notifies-${process.pid}.jsonl`);
  const out = fs.createWriteStream(file);
  const paidAt = new Date();
  for (const order of orders) {
    const account = (await services.catalog.channelAccount(order.channel_account_id))!;
    const body = signedNotifyForm(
      {
        mchId: String(account.credentials.mchId),
        outTradeNo: order.order_no,
        tradeNo: order.channel_order_no,
        amount: order.amount,
        currency: 'CNY',
        status: 'SUCCESS',
        paidAt,
      },
      String(account.credentials.key),
      randomBytes(8).toString('hex'),
    );
    out.write(
      `${JSON.stringify({ path: `/api/channel-notify/${order.channel_account_id}`, contentType: 'application/x-www-form-urlencoded', body })}\n`,
    );
  }
  await new Promise<void>((resolve) => out.end(resolve));
  return { path: file, count: orders.length };
}

/** Starts a worker on the outbox the payments left and times it until every notify is acknowledged. */
async function drainOutbox(services: Awaited<ReturnType<typeof startPlatform>>['services'], config: Config) {
  const pending = async () =>
    Number(
      (
        await services.db.query<{ n: bigint }>(
          `SELECT count(*)::bigint AS n FROM notify_task WHERE state = 'pending'`,
        )
      )[0]!.n,
    );
  const total = await pending();
  const worker = new Worker(services, config);
  const started = performance.now();
  worker.start();
  const deadline = started + 300_000;
  let left = total;
  while (left > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = await pending();
  }
  const elapsed = (performance.now() - started) / 1000;
  await worker.stop();
  return { delivered: total - left, perSecond: Math.round((total - left) / elapsed) };
}

/** A million on PostgreSQL, as the target says; a tenth on the embedded database unless told. */
function reconciliationLines(): number {
  if (process.env.BENCH_RECON_LINES) return Number(process.env.BENCH_RECON_LINES);
  return databaseUrl ? 1_000_000 : 100_000;
}

/** Orders seeded for the dashboard workload: a million (PGlite's quick run: a tenth, its insert is single-threaded). */
function dashboardOrders(): number {
  if (process.env.BENCH_DASHBOARD_ORDERS) return Number(process.env.BENCH_DASHBOARD_ORDERS);
  return quick && !databaseUrl ? 100_000 : 1_000_000;
}

type BenchServices = Awaited<ReturnType<typeof startPlatform>>['services'];

/** Paid orders of the demo merchant over the last 90 days, in one statement (the rollup triggers fold it). */
async function seedPaidOrders(services: BenchServices, mchNo: string, count: number) {
  const merchant = await services.merchants.requireMerchant(mchNo);
  const product = (await services.catalog.productByCode(DEMO_PRODUCT))!;
  const accounts = (await services.catalog.listChannelAccounts()).map((a) => a.id.toString());
  await services.db.query(
    `INSERT INTO pay_order (order_no, merchant_id, app_id, mch_order_no, request_hash, product_id, product_code,
       channel_account_id, adapter_code, amount, currency, subject, state, merchant_rate_ppm, channel_rate_ppm, fee,
       channel_cost, platform_profit, expires_at, created_at, paid_at, test)
     SELECT 'B' || i, $1, 'bench-seed', 'bench-seed-' || i, '', $2, $3, ($4::bigint[])[1 + i % cardinality($4::bigint[])],
            'sandbox', 1000 + i % 5000, 'CNY', 'seed', 'paid', 6000, 3000, 6, 3, 3, now(),
            now() - (i % 129600) * interval '1 minute', now() - (i % 129600) * interval '1 minute', false
     FROM generate_series(1, $5::int) AS i`,
    [merchant.id, product.id, product.code, accounts, count],
  );
  // A running database's autovacuum would have analysed the rollups after such a load; without
  // statistics the planner scans the whole minute rollup for the last hour.
  await services.db.query('ANALYZE stats_order_hour, stats_channel_minute, stats_agent_hour');
}

/**
 * Four operators' consoles at once, each loading the dashboards over and over: the operator's
 * (today, top lists, live channel rates, 90 days) and the statistics by merchant for 90 days.
 */
async function queryDashboards(services: BenchServices, durationSeconds: number) {
  const latencies: number[] = [];
  const deadline = performance.now() + durationSeconds * 1000;
  const started = performance.now();
  const from = new Date(Date.now() - 90 * 86_400_000);
  const caller = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await services.stats.operatorDashboard({ includeTest: true });
      await services.stats.platform({ from, groupBy: 'merchant', includeTest: true });
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: 4 }, caller));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    views: latencies.length,
    perSecond: round(latencies.length / elapsed),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}

/** Balanced four-leg postings through the ledger service from 16 concurrent callers. */
async function postLedger(db: Db, durationSeconds: number) {
  const ledger = new LedgerService(db);
  // An active set of merchants, as a platform has; a batch touches ~100 of them.
  const merchants = 1_000;
  const refs = [];
  for (let m = 1; m <= merchants; m++)
    refs.push(
      ...ledger.paymentAccounts({
        merchantId: BigInt(1_000_000 + m),
        channelAccountId: BigInt(1_000 + (m % 4)),
        currency: 'CNY',
      }),
    );
  await ledger.openAccounts(refs);
  let postings = 0;
  const latencies: number[] = [];
  const deadline = performance.now() + durationSeconds * 1000;
  const started = performance.now();
  // Callers post as the payment path does: many postings per transaction (group commit).
  const caller = async (callerId: number) => {
    for (let n = 0; performance.now() < deadline; n++) {
      const batch: PostingInput[] = [];
      for (let i = 0; i < LEDGER_BATCH; i++) {
        const m = 1 + ((callerId * 7919 + n * LEDGER_BATCH + i) % merchants);
        batch.push({
          kind: 'bench',
          reference: `bench-${callerId}-${n}-${i}`,
          idempotencyKey: `bench:${process.pid}:${callerId}:${n}:${i}`,
          legs: [
            {
              account: { kind: 'channel_clearing', ownerId: BigInt(1_000 + (m % 4)), currency: 'CNY' },
              amount: -10_000n,
            },
            {
              account: { kind: 'merchant_pending', ownerId: BigInt(1_000_000 + m), currency: 'CNY' },
              amount: 9_940n,
            },
            {
              account: { kind: 'channel_cost', ownerId: BigInt(1_000 + (m % 4)), currency: 'CNY' },
              amount: 38n,
            },
            { account: { kind: 'platform_revenue', ownerId: null, currency: 'CNY' }, amount: 22n },
          ],
        });
      }
      const t0 = performance.now();
      await db.tx((q) => ledger.postMany(q, batch));
      latencies.push(performance.now() - t0);
      postings += batch.length;
    }
  };
  await Promise.all(Array.from({ length: LEDGER_CALLERS }, (_, i) => caller(i)));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    postings,
    entriesPerSecond: Math.round((postings * 4) / elapsed),
    p50Ms: round(latencies[Math.floor(latencies.length * 0.5)] ?? 0),
    p99Ms: round(latencies[Math.floor(latencies.length * 0.99)] ?? 0),
  };
}

/** How long a fresh embedded platform idles before its resident memory is read. */
const EMBEDDED_IDLE_MS = 30_000;

/**
 * The embedded mode's resident memory in MB: `idle` is a fresh `qingyun start` on a new embedded
 * data dir (what `npm start` runs) read after it has started, made its demo and idled 30 s; `peak`
 * is the largest the platform's process reached during this run's workloads, when they ran on the
 * embedded database (null on PostgreSQL).
 */
async function measureEmbeddedRss(workloads: Workload[]): Promise<{ idle: number; peak: number | null }> {
  log('embedded memory: a fresh npm start, idle …');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qy-bench-embedded-'));
  const [, ...args] = npmStartCommand();
  const child = spawn(process.execPath, args, {
    cwd: path.join(HERE, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
    env: embeddedEnv(dataDir),
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the platform did not start: ${out}`)), 300_000);
      child.on('exit', (code) => reject(new Error(`the platform exited with ${code}: ${out}`)));
      const look = () => {
        if (!out.includes('running at')) return setTimeout(look, 100);
        clearTimeout(timer);
        resolve();
      };
      look();
    });
    await new Promise((resolve) => setTimeout(resolve, EMBEDDED_IDLE_MS));
    const idle = Math.round(residentKb(child.pid!) / 1024);
    const peak = database() === 'pglite' ? Math.max(...workloads.map((w) => w.peakRssMb)) : null;
    log(`  idle ${idle} MB, peak ${peak ?? '–'} MB`);
    return { idle, peak };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `npm start`'s command line (package.json), so the figure is the one its users get. */
function npmStartCommand(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(HERE, '..', 'package.json'), 'utf8'));
  return (pkg.scripts.start as string).split(/\s+/);
}

/** `npm start`'s environment on a new data dir: the embedded database whatever the bench runs on. */
function embeddedEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, QY_DATA_DIR: dataDir, PORT: '0', QY_LOG_FORMAT: 'json' };
  delete env.DATABASE_URL;
  return env;
}

/** A process's resident set, as `ps` reports it (kB). */
function residentKb(pid: number): number {
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim());
}

const database = () => (databaseUrl ? 'postgres' : 'pglite');

function report(run: {
  embeddedRssMb: { idle: number; peak: number | null };
  machine: Record<string, unknown>;
  database: string;
  ceilings: { httpHelloRps: number; pgbenchTpcbTps: number; pgbenchSource: string };
  workloads: Workload[];
  scaling: Scaling | null;
  quick: boolean;
  started: Date;
  /** Profiling runs (--only, --skip-ceilings) print their table but keep it out of the record. */
  record: boolean;
}) {
  const header = [
    'workload',
    'throughput',
    'unit',
    'p50 ms',
    'p99 ms',
    'peak RSS MB',
    'platform CPU ms/op',
    '× db ceiling',
    '× http ceiling',
    'target',
  ];
  const rows = run.workloads.map((w) => [
    w.name,
    String(w.throughputPerSec),
    w.unit,
    w.p50Ms === null ? '–' : String(w.p50Ms),
    w.p99Ms === null ? '–' : String(w.p99Ms),
    String(w.peakRssMb),
    w.platformCpuMsPerOp === null ? '–' : String(w.platformCpuMsPerOp),
    w.ratioToDbCeiling.toFixed(2),
    w.ratioToHttpCeiling === null ? '–' : w.ratioToHttpCeiling.toFixed(2),
    w.target,
  ]);
  const table = markdownTable(header, rows);
  console.log(
    `\nceilings: httpHelloRps ${run.ceilings.httpHelloRps}/s, pgbenchTpcbTps ${run.ceilings.pgbenchTpcbTps}/s (${run.ceilings.pgbenchSource})\n`,
  );
  console.log(table);
  const scalingLine = run.scaling
    ? `Scaling (create_order, \`qingyun start --role api --processes N\`): ${run.scaling.createOrder1}/s with 1 API process, ${run.scaling.createOrder2}/s with 2 (×${run.scaling.ratio}; p99 ${run.scaling.p99Ms1} → ${run.scaling.p99Ms2} ms; ${run.scaling.errors} errors).`
    : null;
  if (scalingLine) console.log(`\n${scalingLine}`);

  const resultsDir = path.join(HERE, 'results');
  if (!run.record) {
    // `--only scaling` / `--only …,growth`: their figures are added to the last full run's record, dated.
    if (run.scaling && scalingLine)
      recordScalingOnly(
        resultsDir,
        run.ceilings,
        run.scaling,
        run.started,
        `${run.database}, ${run.quick ? 'quick' : 'full'}`,
        scalingLine,
      );
    if (growth) recordGrowthOnly(run);
    return;
  }
  fs.mkdirSync(resultsDir, { recursive: true });
  const json = {
    machine: run.machine,
    database: run.database,
    mode: run.quick ? 'quick' : 'full',
    at: run.started.toISOString(),
    ceilings: { httpHelloRps: run.ceilings.httpHelloRps, pgbenchTpcbTps: run.ceilings.pgbenchTpcbTps },
    ceilingSources: { pgbenchTpcbTps: run.ceilings.pgbenchSource },
    workloads: run.workloads,
    embeddedRssMb: run.embeddedRssMb,
    ...(run.scaling ? { scaling: run.scaling } : {}),
    ...growthRecord(),
  };
  fs.writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  const summary = [
    `\n## ${run.started.toISOString().slice(0, 16).replace('T', ' ')} UTC — ${run.database}, ${run.quick ? 'quick' : 'full'}`,
    '',
    `${run.machine.cpus} × ${run.machine.cpuModel}, ${run.machine.memoryGb} GB, Node ${run.machine.node}.`,
    `Ceilings: httpHelloRps ${run.ceilings.httpHelloRps}/s; pgbenchTpcbTps ${run.ceilings.pgbenchTpcbTps}/s (${run.ceilings.pgbenchSource}).`,
    '',
    table,
    '',
    `Embedded mode resident memory: idle ${run.embeddedRssMb.idle} MB (a fresh npm start after its demo, 30 s idle); peak ${run.embeddedRssMb.peak ?? '–'} MB (this run's workloads${run.embeddedRssMb.peak === null ? ', on PostgreSQL' : ''}).`,
    '',
    ...(scalingLine ? [scalingLine, ''] : []),
    ...(growth ? [growthLine(), ''] : []),
  ].join('\n');
  fs.appendFileSync(path.join(HERE, 'RESULTS.md'), summary);
  console.log(`\nwrote bench/results/latest.json and appended to bench/RESULTS.md`);
}

function recordScalingOnly(
  resultsDir: string,
  ceilings: { httpHelloRps: number; pgbenchTpcbTps: number; pgbenchSource: string },
  scaling: Scaling,
  started: Date,
  mode: string,
  line: string,
): void {
  const latestPath = path.join(resultsDir, 'latest.json');
  const latest = fs.existsSync(latestPath) ? JSON.parse(fs.readFileSync(latestPath, 'utf8')) : {};
  // Its own ceilings beside it: the workloads' are another run's, on a machine that may have been busier.
  latest.scaling = {
    ...scaling,
    at: started.toISOString(),
    ceilings: { httpHelloRps: ceilings.httpHelloRps, pgbenchTpcbTps: ceilings.pgbenchTpcbTps },
  };
  fs.writeFileSync(latestPath, `${JSON.stringify(latest, null, 2)}\n`);
  const heading = `\n## ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC — ${mode}, scaling\n\n`;
  const ceilingLine = `Ceilings: httpHelloRps ${ceilings.httpHelloRps}/s; pgbenchTpcbTps ${ceilings.pgbenchTpcbTps}/s (${ceilings.pgbenchSource}).`;
  fs.appendFileSync(path.join(HERE, 'RESULTS.md'), `${heading}${ceilingLine}\n\n${line}\n`);
  console.log('\nwrote the scaling figures to bench/results/latest.json and bench/RESULTS.md');
}

/** latest.json's growth figures, when the growth step ran. */
function growthRecord() {
  if (!growth) return {};
  return {
    growth: {
      existingOrders: growth.existingOrders,
      createRatio: growth.createRatio,
      notifyRatio: growth.notifyRatio,
    },
    orderListFirstPageMs: growth.orderListFirstPageMs,
  };
}

/**
 * A run limited to the growth step and the workloads it compares with (--only) adds its figures
 * to the record of the last full run instead of replacing it: filling millions of orders is the
 * one part worth running on its own.
 */
function recordGrowthOnly(run: { database: string; quick: boolean; started: Date; workloads: Workload[] }) {
  const latest = path.join(HERE, 'results', 'latest.json');
  const json = fs.existsSync(latest) ? JSON.parse(fs.readFileSync(latest, 'utf8')) : {};
  fs.writeFileSync(latest, `${JSON.stringify({ ...json, ...growthRecord() }, null, 2)}\n`);
  const lines = run.workloads.map((w) => `${w.name} ${w.throughputPerSec} ${w.unit} (p99 ${w.p99Ms} ms)`);
  fs.appendFileSync(
    path.join(HERE, 'RESULTS.md'),
    `\n## ${run.started.toISOString().slice(0, 16).replace('T', ' ')} UTC — ${run.database}, ${run.quick ? 'quick' : 'full'}, growth only\n\n` +
      `Empty database (same run): ${lines.join('; ')}.\n\n${growthLine()}\n`,
  );
  console.log(`\nadded the growth figures to bench/results/latest.json and bench/RESULTS.md`);
}

function growthLine() {
  const g = growth!;
  return (
    `Growth: ${g.existingOrders.toLocaleString('en')} existing orders (filled in ${g.fillSeconds} s); ` +
    `order list first page p50 ${g.orderListFirstPageMs} ms (one merchant ${g.orderListFilteredMs.merchant} ms, ` +
    `one state ${g.orderListFilteredMs.state} ms; target < 50 ms); create_order ${g.createOrderPerSec}/s ` +
    `(× ${g.createRatio} of the empty database's), notify_to_paid ${g.notifyToPaidPerSec}/s (× ${g.notifyRatio}; target ≥ 0.9 each).`
  );
}

function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const round = (n: number) => Math.round(n * 100) / 100;
const perOp = (cpuMs: number, ops: number) => (ops > 0 ? Math.round((cpuMs / ops) * 1000) / 1000 : null);

function log(message: string) {
  console.log(message);
}

/**
 * On the embedded database the platform runs in this process, so it gets the Node flags `npm start`
 * gives it (package.json: the young generation's size, V8's background threads): the workloads'
 * peak memory is then the embedded mode's as its users run it. The bench starts itself again with
 * them once; on PostgreSQL it runs as it was started.
 */
function rerunWithStartFlags(): number | null {
  if (databaseUrl || process.env.QY_BENCH_START_FLAGS === '1') return null;
  const command = npmStartCommand();
  const nodeFlags = command.slice(1, command.indexOf('src/app/cli.ts'));
  const child = spawnSync(
    process.execPath,
    [...nodeFlags, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, QY_BENCH_START_FLAGS: '1' },
    },
  );
  return child.status ?? 1;
}

const rerun = rerunWithStartFlags();
if (rerun !== null) process.exit(rerun);
await main();
process.exit(0);
