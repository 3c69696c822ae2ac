/**
 * The load generator, run in its own process so it does not share the event loop it measures.
 * Reads a job (JSON) from argv[2], drives HTTP with undici at a fixed number of connections, and
 * prints one JSON result line. Also serves as the merchants' notify receiver (`receiver` job).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { signRequest } from '../sdk/signing.ts';

export interface LoadJob {
  kind: 'hello' | 'create_order' | 'replay' | 'receiver';
  origin: string;
  connections: number;
  /** Stop after this long (hello, create_order); replay stops when its list is sent. */
  durationMs?: number;
  /** create_order: the app to sign with. */
  merchant?: { mchNo: string; appId: string; secret: string; productCode: string };
  /** replay: a file of JSON lines { path, contentType, body }, each sent once. */
  requestsFile?: string;
  /** A warm-up before measuring (connections, JIT, caches). */
  warmupMs?: number;
}

export interface LoadResult {
  requests: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  durationMs: number;
  throughputPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

interface Request {
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/** Latencies in a growable typed array: a million samples without a million objects. */
class Latencies {
  private values = new Float64Array(1 << 16);
  count = 0;
  add(ms: number) {
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = ms;
  }
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const sorted = this.values.slice(0, this.count).sort();
    return sorted[Math.min(this.count - 1, Math.floor((p / 100) * this.count))]!;
  }
}

async function drive(job: LoadJob, next: () => Request | null, measure: boolean): Promise<LoadResult> {
  const pool = new Pool(job.origin, { connections: job.connections, pipelining: 1 });
  const latencies = new Latencies();
  const statuses: Record<string, number> = {};
  let ok = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = job.durationMs ? started + job.durationMs : Number.POSITIVE_INFINITY;
  const worker = async () => {
    for (;;) {
      if (performance.now() >= deadline) return;
      const request = next();
      if (!request) return;
      const t0 = performance.now();
      try {
        const response = await pool.request({ ...request, origin: job.origin });
        await response.body.text();
        latencies.add(performance.now() - t0);
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        if (response.statusCode < 300) ok++;
        else errors++;
      } catch (error) {
        errors++;
        const key = (error as Error).name;
        statuses[key] = (statuses[key] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: job.connections }, worker));
  const durationMs = performance.now() - started;
  await pool.close();
  const requests = ok + errors;
  return {
    requests,
    ok,
    errors,
    statuses,
    durationMs: Math.round(durationMs),
    throughputPerSec: measure ? Math.round((ok / durationMs) * 1000) : 0,
    p50Ms: round(latencies.percentile(50)),
    p99Ms: round(latencies.percentile(99)),
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

function helloRequests(): () => Request {
  return () => ({ path: '/hello', method: 'GET', headers: {} });
}

function createOrderRequests(job: LoadJob, prefix: string): () => Request {
  const m = job.merchant!;
  let n = 0;
  return () => {
    const body = JSON.stringify({
      mchOrderNo: `${prefix}${process.pid}-${++n}`,
      productCode: m.productCode,
      amount: 100 + (n % 9_900),
      subject: 'bench',
    });
    const headers = signRequest({
      method: 'POST',
      pathWithQuery: '/api/v1/orders',
      body,
      mchNo: m.mchNo,
      appId: m.appId,
      key: { type: 'HMAC-SHA256', secret: m.secret },
    });
    return {
      path: '/api/v1/orders',
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    };
  };
}

function replayRequests(job: LoadJob): () => Request | null {
  const lines = fs.readFileSync(job.requestsFile!, 'utf8').split('\n').filter(Boolean);
  let i = 0;
  return () => {
    const line = lines[i++];
    if (line === undefined) return null;
    const r = JSON.parse(line) as { path: string; contentType: string; body: string };
    return { path: r.path, method: 'POST', headers: { 'content-type': r.contentType }, body: r.body };
  };
}

/** Answers every notify `success` and reports how many arrived when told to stop. */
async function receive(): Promise<void> {
  let received = 0;
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received++;
      response.writeHead(200, { 'content-type': 'text/plain' }).end('success');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify` })}\n`,
  );
  process.on('SIGTERM', () => {
    process.stdout.write(`${JSON.stringify({ received })}\n`);
    process.exit(0);
  });
}

async function main() {
  const job = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as LoadJob;
  if (job.kind === 'receiver') return receive();
  if (job.warmupMs && job.kind !== 'replay') {
    const warm = job.kind === 'hello' ? helloRequests() : createOrderRequests(job, 'WARM');
    await drive({ ...job, durationMs: job.warmupMs }, warm, false);
  }
  const next =
    job.kind === 'hello'
      ? helloRequests()
      : job.kind === 'create_order'
        ? createOrderRequests(job, 'BENCH')
        : replayRequests(job);
  const result = await drive(job, next, true);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
