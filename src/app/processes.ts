import cluster, { type Address, type Worker as ChildProcess } from 'node:cluster';
import os from 'node:os';
import { DbSandboxStore } from '../channels/sandbox/store.ts';
import { migrate } from '../db/migrate.ts';
import type { Config } from './config.ts';
import { seedDemo } from './demo.ts';
import type { Logger } from './logger.ts';
import { openDatabase } from './platform.ts';
import { createServices } from './services.ts';

/** More API processes than this only contend for the same database connections and cores. */
export const MAX_PROCESSES = 8;
/** The first restart of a process that died waits this long, each further one twice as long... */
const FIRST_RESTART_DELAY_MS = 250;
/** ...up to this, so a process that cannot start does not spin the machine. */
const MAX_RESTART_DELAY_MS = 30_000;
/** A process that ran this long before it died is restarted at once again (its wait starts over). */
const STABLE_RUN_MS = 60_000;
/** After SIGTERM each process drains its requests and jobs; one still running after this is killed. */
const STOP_GRACE_MS = 30_000;

/** One API process per core, at most {@link MAX_PROCESSES}. */
export function defaultProcessCount(cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(cores, MAX_PROCESSES));
}

export type ProcessRole = 'api' | 'worker';

/** What the primary tells a process it forks (in its environment): its role and its place. */
export interface ProcessSlot {
  role: ProcessRole;
  /** 1… among the API processes, 0 for the worker. */
  index: number;
}

/** The slots a primary keeps filled: `apiCount` API processes, and the worker unless the role is `api`. */
export function processSlots(role: Config['role'], apiCount: number): ProcessSlot[] {
  const api =
    role === 'worker'
      ? []
      : Array.from({ length: apiCount }, (_, i) => ({ role: 'api' as const, index: i + 1 }));
  return role === 'api' ? api : [...api, { role: 'worker', index: 0 }];
}

/** The wait before restarting a process that died for the `failures`-th time in a row (1, 2, …). */
export function restartDelayMs(failures: number): number {
  return Math.min(FIRST_RESTART_DELAY_MS * 2 ** Math.max(0, failures - 1), MAX_RESTART_DELAY_MS);
}

/** The slot a forked process was given, or null in a process the primary did not fork. */
export function ownSlot(env: NodeJS.ProcessEnv = process.env): ProcessSlot | null {
  if (!cluster.isWorker || !env.QY_PROCESS_ROLE) return null;
  return { role: env.QY_PROCESS_ROLE as ProcessRole, index: Number(env.QY_PROCESS_INDEX ?? 0) };
}

/**
 * Migrations and the demo seed, once, before any process is forked: N processes starting together
 * would otherwise all run them (the migration lock makes that safe, not cheap, and `CREATE TABLE IF
 * NOT EXISTS schema_migration` itself races on a new database).
 */
async function prepareDatabase(config: Config, log: Logger): Promise<boolean> {
  const db = await openDatabase(config);
  try {
    const applied = await migrate(db);
    if (applied.length > 0) log.info({ applied }, 'migrations applied');
    if (!config.demo) return false;
    const services = createServices(db, config, log, () => config.publicUrl ?? '');
    try {
      return (await seedDemo(services, config, new DbSandboxStore(db, services.secrets))) !== null;
    } finally {
      await services.notify.close();
    }
  } finally {
    await db.close();
  }
}

interface Running {
  slot: ProcessSlot;
  startedAt: number;
  /** Deaths in a row, each soon after its start. */
  failures: number;
}

/**
 * The primary of `qingyun start --processes N` with PostgreSQL: prepares the database, forks N API
 * processes sharing the port (node:cluster hands each new connection to the next one) and one
 * worker process, restarts one that dies, and on SIGTERM / SIGINT stops them all. Resolves with the
 * platform's address once every API process listens, and gives `stopped`, which resolves when all
 * have exited after a signal.
 */
export async function superviseProcesses(
  config: Config,
  apiCount: number,
  log: Logger,
): Promise<{ url: string; demoCreated: boolean; stopped: Promise<void> }> {
  const demoCreated = await prepareDatabase(config, log);
  const slots = processSlots(config.role, apiCount);
  const running = new Map<ChildProcess, Running>();
  const restarts = new Set<NodeJS.Timeout>();
  let stopping = false;
  // PORT=0 asks for any free port. Every API process, restarted ones too, asks for the configured
  // port: node:cluster shares one listening socket per address and port asked for, so a restarted
  // process told the port the first listen got would try to bind it again. The worker is told that
  // port: it reaches the in-process sandbox there.
  let port = config.port;

  const fork = (slot: ProcessSlot, failures: number): ChildProcess => {
    const child = cluster.fork({
      PORT: String(slot.role === 'api' ? config.port : port),
      QY_ROLE: slot.role,
      QY_PROCESS_ROLE: slot.role,
      QY_PROCESS_INDEX: String(slot.index),
      // Done above, once.
      QY_DEMO: '0',
    });
    running.set(child, { slot, startedAt: Date.now(), failures });
    return child;
  };

  cluster.on('exit', (child, code, signal) => {
    const state = running.get(child);
    running.delete(child);
    if (!state || stopping) return;
    const failures = Date.now() - state.startedAt >= STABLE_RUN_MS ? 1 : state.failures + 1;
    const delayMs = restartDelayMs(failures);
    log.error(
      {
        role: state.slot.role,
        index: state.slot.index,
        processPid: child.process.pid,
        code,
        signal,
        restartInMs: delayMs,
      },
      'a platform process died; restarting it',
    );
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) fork(state.slot, failures);
    }, delayMs);
    restarts.add(timer);
  });

  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal, processes: running.size }, 'stopping every platform process');
      for (const timer of restarts) clearTimeout(timer);
      const children = [...running.keys()];
      const kill = setTimeout(() => {
        for (const child of running.keys()) child.process.kill('SIGKILL');
      }, STOP_GRACE_MS);
      void Promise.all(
        children.map(
          (child) =>
            new Promise<void>((exited) => {
              if (child.isDead()) return exited();
              child.once('exit', () => exited());
              child.process.kill('SIGTERM');
            }),
        ),
      ).then(() => {
        clearTimeout(kill);
        resolve();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

  const listening = slots
    .filter((slot) => slot.role === 'api')
    .map((slot) => {
      const child = fork(slot, 0);
      return new Promise<Address>((resolve, reject) => {
        child.once('listening', resolve);
        child.once('exit', (code) =>
          reject(new Error(`API process ${slot.index} exited with ${code} before it listened`)),
        );
      });
    });
  try {
    const addresses = await Promise.all(listening);
    port = addresses[0]?.port ?? port;
  } catch (error) {
    // A process that cannot start (bad configuration, port taken) fails the start, not a restart loop.
    stopping = true;
    for (const timer of restarts) clearTimeout(timer);
    for (const child of running.keys()) child.process.kill('SIGTERM');
    throw error;
  }
  for (const slot of slots) if (slot.role === 'worker') fork(slot, 0);
  return { url: config.publicUrl ?? `http://127.0.0.1:${port}`, demoCreated, stopped };
}
