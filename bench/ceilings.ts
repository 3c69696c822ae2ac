import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { type Db, runOnServer } from '../src/db/index.ts';
import type { LoadJob, LoadResult } from './loadgen.ts';

const exec = promisify(execFile);

export type RunLoad = (job: LoadJob) => Promise<LoadResult>;

/** The HTTP ceiling: a bare Fastify route in this process, under the same load generator and concurrency. */
export async function httpHelloCeiling(
  runLoad: RunLoad,
  connections: number,
  durationMs: number,
): Promise<LoadResult> {
  const app = Fastify({ logger: false });
  app.get('/hello', async () => 'hello');
  const origin = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    return await runLoad({ kind: 'hello', origin, connections, durationMs, warmupMs: 1_000 });
  } finally {
    await app.close();
  }
}

/** Runs pgbench's TPC-B-like script on a scratch database of the same server; null when pgbench is missing. */
export async function pgbenchCeiling(
  adminUrl: string,
  seconds: number,
  scale: number,
): Promise<number | null> {
  try {
    await exec('pgbench', ['--version']);
  } catch {
    return null;
  }
  const url = new URL(adminUrl);
  const name = `qy_bench_pgbench_${process.pid}`;
  await runOnServer(adminUrl, `CREATE DATABASE ${name}`);
  const args = [
    '-h',
    url.hostname,
    '-p',
    url.port || '5432',
    '-U',
    decodeURIComponent(url.username || 'postgres'),
  ];
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(url.password) };
  try {
    await exec('pgbench', [...args, '-i', '-q', '-s', String(scale), name], { env });
    const { stdout } = await exec('pgbench', [...args, '-c', '16', '-j', '2', '-T', String(seconds), name], {
      env,
    });
    const match = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
    if (!match) throw new Error(`could not read pgbench's output:\n${stdout}`);
    return Number(match[1]);
  } finally {
    await runOnServer(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

/**
 * The same TPC-B-like transaction issued from node through our Db interface (for PGlite, where
 * there is no pgbench): 16 concurrent clients, like pgbench -c 16.
 */
export async function tpcbFromNode(db: Db, seconds: number, scale: number): Promise<number> {
  const accounts = 100_000 * scale;
  await db.exec(`
    DROP TABLE IF EXISTS bench_history, bench_accounts, bench_tellers, bench_branches;
    CREATE TABLE bench_branches (bid INT PRIMARY KEY, bbalance INT NOT NULL, filler CHAR(88));
    CREATE TABLE bench_tellers (tid INT PRIMARY KEY, bid INT NOT NULL, tbalance INT NOT NULL, filler CHAR(84));
    CREATE TABLE bench_accounts (aid INT PRIMARY KEY, bid INT NOT NULL, abalance INT NOT NULL, filler CHAR(84));
    CREATE TABLE bench_history (tid INT, bid INT, aid INT, delta INT, mtime TIMESTAMP, filler CHAR(22));
    INSERT INTO bench_branches SELECT b, 0 FROM generate_series(1, ${scale}) b;
    INSERT INTO bench_tellers SELECT t, (t - 1) / 10 + 1, 0 FROM generate_series(1, ${10 * scale}) t;
    INSERT INTO bench_accounts SELECT a, (a - 1) / 100000 + 1, 0 FROM generate_series(1, ${accounts}) a;`);
  const random = (n: number) => 1 + Math.floor(Math.random() * n);
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  const client = async () => {
    while (performance.now() < deadline) {
      const aid = random(accounts);
      const tid = random(10 * scale);
      const bid = random(scale);
      const delta = random(10_000) - 5_000;
      await db.tx(async (q) => {
        await q.query('UPDATE bench_accounts SET abalance = abalance + $1 WHERE aid = $2', [delta, aid]);
        await q.query('SELECT abalance FROM bench_accounts WHERE aid = $1', [aid]);
        await q.query('UPDATE bench_tellers SET tbalance = tbalance + $1 WHERE tid = $2', [delta, tid]);
        await q.query('UPDATE bench_branches SET bbalance = bbalance + $1 WHERE bid = $2', [delta, bid]);
        await q.query(
          'INSERT INTO bench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, now())',
          [tid, bid, aid, delta],
        );
      });
      done++;
    }
  };
  await Promise.all(Array.from({ length: 16 }, client));
  const tps = done / ((performance.now() - started) / 1000);
  await db.exec('DROP TABLE IF EXISTS bench_history, bench_accounts, bench_tellers, bench_branches');
  return Math.round(tps);
}
