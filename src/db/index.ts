import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** A value a query may take: bigints go over the wire as decimal strings on both drivers; bytes as bytea. */
export type SqlValue = string | number | bigint | boolean | Date | Uint8Array | null | string[] | undefined;

/** Anything that runs SQL: the database itself or an open transaction. */
export interface Queryable {
  query<Row = Record<string, unknown>>(text: string, params?: SqlValue[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `work` in one transaction; rolls back if it throws. */
  tx<T>(work: (q: Queryable) => Promise<T>): Promise<T>;
  /**
   * Whether the database answers within `timeoutMs` (readiness probes): resolves, or rejects with
   * the reason. Never waits behind the pool's queue of requests.
   */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
  /**
   * PostgreSQL's connection string, for the one connection that cannot be pooled: the configuration
   * bus's LISTEN (src/config-bus.ts). The pool's own unless told otherwise: behind pgbouncer in
   * transaction pooling mode it must reach PostgreSQL directly (`DATABASE_LISTEN_URL`). Unset on PGlite.
   */
  readonly listenUrl?: string;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

function toParam(value: SqlValue): unknown {
  if (typeof value === 'bigint') return value.toString();
  return value ?? null;
}

// Both drivers read BIGINT (and SUM() results, which are NUMERIC) as bigint, so raw SQL and money agree.
pg.types.setTypeParser(INT8_OID, (v) => BigInt(v));
pg.types.setTypeParser(NUMERIC_OID, (v) => (/^-?\d+$/.test(v) ? BigInt(v) : v));

/** Runs one statement on a PostgreSQL server outside any pool (CREATE / DROP DATABASE for tests and benchmarks). */
export async function runOnServer(connectionString: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  // A server that goes away mid-statement rejects the query; without a listener it would also crash the process.
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Pool settings, and why:
 * - connectionTimeoutMillis: a request waits at most this long for a connection (a new one, or a
 *   free one from the pool) and then fails as DATABASE_UNAVAILABLE (503). The driver's default is
 *   to wait for ever, so a database that drops packets would pile up every request.
 * - keepAlive: TCP keepalives find a connection whose server vanished without closing it (a
 *   failover, a network cut) instead of leaving a request hanging on a dead socket.
 */
const POOL_OPTIONS = {
  connectionTimeoutMillis: 5_000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
} as const;

/** The readiness probe's own connection: short connect and statement timeouts, never the request pool. */
const PROBE_OPTIONS = { max: 1, idleTimeoutMillis: 30_000 } as const;

/**
 * Every statement works through pgbouncer in transaction pooling mode, where consecutive
 * transactions may run on different server connections: nothing here leaves session state behind
 * (no session-level SET, no session advisory locks, no named prepared statements, no settings in
 * the startup packet, which pgbouncer refuses), and the one LISTEN goes to `listenUrl`.
 */
export function openPostgres(
  connectionString: string,
  poolSize = 20,
  options: { listenUrl?: string } = {},
): Db {
  const pool = new pg.Pool({ connectionString, max: poolSize, ...POOL_OPTIONS });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on the next checkout.
  });
  let probe: pg.Pool | null = null;
  const run = async <Row>(client: pg.Pool | pg.PoolClient, text: string, params?: SqlValue[]) => {
    const result = await client.query(text, params?.map(toParam));
    return result.rows as Row[];
  };
  return {
    kind: 'postgres',
    listenUrl: options.listenUrl ?? connectionString,
    query: (text, params) => run(pool, text, params),
    exec: async (script) => void (await pool.query(script)),
    async tx(work) {
      const client = await pool.connect();
      // A checked-out client has no listener of the pool's: a backend terminated between two
      // statements (a restart, pg_terminate_backend) would emit an unhandled 'error' and end the
      // process. Keep the error instead: the transaction fails and the client is destroyed.
      let broken: Error | undefined;
      const onError = (error: Error) => {
        broken ??= error;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await work({
          query: (text, params) => run(client, text, params),
          exec: async (script) => void (await client.query(script)),
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        if (!broken) {
          await client.query('ROLLBACK').catch((rollback: Error) => {
            broken = rollback;
          });
        }
        throw error;
      } finally {
        // release(error) destroys the client instead of handing a dead connection to the next request.
        client.release(broken);
        client.removeListener('error', onError);
      }
    },
    async ping(timeoutMs) {
      probe ??= newProbePool(connectionString, timeoutMs);
      await withTimeout(probe.query('SELECT 1'), timeoutMs, 'the database did not answer in time');
    },
    async close() {
      await probe?.end();
      await pool.end();
    },
  };
}

function newProbePool(connectionString: string, timeoutMs: number): pg.Pool {
  const probe = new pg.Pool({
    connectionString,
    ...PROBE_OPTIONS,
    connectionTimeoutMillis: timeoutMs,
    // Bounded on the client only: a server-side statement_timeout would travel in the startup
    // packet, which pgbouncer rejects ("unsupported startup parameter").
    query_timeout: timeoutMs,
  });
  probe.on('error', () => {
    // The probe's idle connection was cut: the next probe opens another.
  });
  return probe;
}

/** Rejects with `message` if `work` has not settled after `ms`. */
async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * PGlite runs PostgreSQL inside this process's WebAssembly memory, which grows to the largest it has
 * ever been and never shrinks, so every buffer PostgreSQL is allowed is RSS held until the process
 * exits. PostgreSQL's server defaults (128 MB of shared buffers, 64 MB per maintenance operation)
 * size a machine's database; the embedded one shares its process with the platform, and the files
 * it reads stay in the operating system's page cache behind it, so a smaller buffer pool costs a
 * system call per page rather than a disk read. `-c` overrides postgresql.conf, also on a cluster
 * created before these settings.
 */
export const EMBEDDED_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '16MB',
  wal_buffers: '1MB',
  work_mem: '4MB',
  maintenance_work_mem: '16MB',
  temp_buffers: '2MB',
};

const embeddedStartParams = [
  ...PGlite.defaultStartParams,
  ...Object.entries(EMBEDDED_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
];

/**
 * Creates a new cluster in `dataDir` in a short-lived child process. PGlite runs initdb in a second
 * WebAssembly instance of its own, about half a gigabyte, which this process would only give back at
 * some later full garbage collection: an idle platform does not run one, so its first start would
 * hold that memory for good. The child's goes back to the system when it exits.
 */
async function createCluster(dataDir: string): Promise<void> {
  const pglite = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href;
  const script = `const { PGlite } = await import(process.argv[1]);
const db = await PGlite.create({ dataDir: process.argv[2], startParams: JSON.parse(process.argv[3]) });
await db.close();`;
  await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script, pglite, dataDir, JSON.stringify(embeddedStartParams)],
    { timeout: 300_000 },
  );
}

const pgliteParsers = {
  [INT8_OID]: (v: string) => BigInt(v),
  [NUMERIC_OID]: (v: string) => (/^-?\d+$/.test(v) ? BigInt(v) : v),
};

/**
 * Embedded PostgreSQL (PGlite, WASM). One connection: queries and transactions are serialised.
 * PGlite does not stop a second process opening the same folder, which loses rows, so a lock
 * file guards the data directory. `dataDir` undefined = in memory (tests).
 */
export async function openPglite(
  dataDir?: string,
  options: { loadDataDir?: Blob } = {},
): Promise<Db & { dumpDataDir(): Promise<Blob> }> {
  const releaseLock = dataDir ? lockDataDir(dataDir) : () => {};
  let db: PGlite;
  try {
    if (dataDir && !options.loadDataDir && !fs.existsSync(path.join(dataDir, 'PG_VERSION')))
      await createCluster(dataDir);
    // `loadDataDir` starts from a dumped cluster instead of running initdb (seconds of WASM).
    db = await PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      ...options,
      parsers: pgliteParsers,
      startParams: embeddedStartParams,
    });
  } catch (error) {
    releaseLock();
    throw error;
  }
  const run = async <Row>(q: Pick<PGlite, 'query'>, text: string, params?: SqlValue[]) => {
    const result = await q.query(text, params?.map(toParam));
    return result.rows as Row[];
  };
  return {
    kind: 'pglite',
    query: (text, params) => run(db, text, params),
    exec: async (script) => void (await db.exec(script)),
    tx: (work) =>
      db.transaction((t) =>
        work({
          query: (text, params) => run(t, text, params),
          exec: async (script) => void (await t.exec(script)),
        }),
      ),
    // One connection: a probe queues behind the statement running now, so it is bounded by a timer.
    ping: async (timeoutMs) =>
      void (await withTimeout(db.query('SELECT 1'), timeoutMs, 'the database did not answer in time')),
    async close() {
      await db.close();
      releaseLock();
    },
    dumpDataDir: () => db.dumpDataDir('gzip'),
  };
}

/** Data directories this process has open: a second open here must fail like one from another process. */
const lockedHere = new Set<string>();

/**
 * Takes `<dataDir>.lock` holding our pid; a live holder makes this throw, a dead one is replaced.
 * A lock with our own pid but not taken by this process is stale (a restarted container is pid 1 again).
 */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(path.dirname(path.resolve(dataDir)), { recursive: true });
  const lockPath = `${path.resolve(dataDir)}.lock`;
  if (lockedHere.has(lockPath))
    throw new Error(`The embedded database at ${dataDir} is already open in this process.`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      lockedHere.add(lockPath);
      return () => {
        lockedHere.delete(lockPath);
        fs.rmSync(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(lockPath, 'utf8'));
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new Error(
          `The embedded database at ${dataDir} is in use by process ${holder}. ` +
            'Stop that process first, or point DATABASE_URL at PostgreSQL to run several processes.',
        );
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
