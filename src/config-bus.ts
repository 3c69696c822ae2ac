import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Queryable } from './db/index.ts';

/**
 * Tells every process that some configuration changed, so each drops what it cached of it.
 *
 * A writer publishes a topic (`catalog`, `merchants`, `agents`, `settlement`, `settings`), with the
 * key it changed when there is one, after its transaction committed; every cache holding that kind
 * of configuration subscribes to it. On PGlite (one process) a publish is delivered in the process;
 * on PostgreSQL it is delivered in the process at once and to the other processes by `NOTIFY` on
 * {@link CONFIG_CHANNEL}, which each process `LISTEN`s on over a dedicated connection (a pooled
 * connection, or one behind pgbouncer's transaction pooling, cannot hold a LISTEN). While that
 * connection is down (it reconnects with back-off) a change made elsewhere is seen when the caches'
 * short TTL runs out, as before the bus existed.
 */
export interface ConfigBus {
  /**
   * Delivers `topic` (and `key`) to this process's subscribers now and to the other processes' soon.
   * Given the writer's open transaction (`via`), PostgreSQL announces it when that transaction commits.
   */
  publish(topic: string, key?: string, via?: Queryable): Promise<void>;
  /** Calls `listener` for every publish of `topic`, here or in another process; returns the unsubscribe. */
  subscribe(topic: string, listener: (key: string | undefined) => void): () => void;
  /**
   * Starts listening to the other processes (a running platform does; a one-off command that only
   * writes does not, and opens no extra connection).
   */
  start(): void;
  /** Whether changes made by other processes arrive now (always true on the embedded database). */
  readonly listening: boolean;
  /**
   * Whether the listener's connection took a LISTEN but its own test notification never came back on
   * it: a connection through pgbouncer in transaction pooling mode does that, silently. Other
   * processes' changes are then seen only when the caches' TTL runs out (set DATABASE_LISTEN_URL).
   */
  readonly notReceiving: boolean;
  close(): Promise<void>;
}

/** The PostgreSQL channel configuration changes are announced on. */
export const CONFIG_CHANNEL = 'qy_config';

/** Longest wait between attempts to reconnect the listener. */
const MAX_RECONNECT_DELAY_MS = 10_000;
/** How long a listener waits for its own test notification before it judges its connection deaf. */
export const LISTEN_PROBE_TIMEOUT_MS = 5_000;

class Subscribers {
  private readonly byTopic = new Map<string, Set<(key: string | undefined) => void>>();

  add(topic: string, listener: (key: string | undefined) => void): () => void {
    const set = this.byTopic.get(topic) ?? new Set();
    this.byTopic.set(topic, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  deliver(topic: string, key: string | undefined): void {
    for (const listener of this.byTopic.get(topic) ?? []) {
      try {
        listener(key);
      } catch {
        // One cache failing to forget must not keep the others from it.
      }
    }
  }
}

/** The embedded database's bus: one process, so delivery is a function call. */
export function localConfigBus(): ConfigBus {
  const subscribers = new Subscribers();
  return {
    listening: true,
    notReceiving: false,
    start() {},
    async publish(topic, key) {
      subscribers.deliver(topic, key);
    },
    subscribe: (topic, listener) => subscribers.add(topic, listener),
    async close() {},
  };
}

export interface PostgresBusOptions {
  /** Sends the NOTIFY (any pooled connection will do: only the LISTEN needs its own). */
  db: Queryable;
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** For tests; {@link LISTEN_PROBE_TIMEOUT_MS} otherwise. */
  probeTimeoutMs?: number;
}

/** PostgreSQL's bus: NOTIFY through the pool, LISTEN on a connection of its own that reconnects. */
export function postgresConfigBus(connectionString: string, options: PostgresBusOptions): ConfigBus {
  const subscribers = new Subscribers();
  // Our own NOTIFYs come back to our LISTEN: they were delivered here already.
  const node = randomUUID();
  let client: pg.Client | null = null;
  let listening = false;
  let notReceiving = false;
  // The test notification the listener waits for after each LISTEN, and what to call when it arrives.
  let probe: { id: string; arrived: () => void } | null = null;
  let closed = false;
  let delay = 250;
  let timer: NodeJS.Timeout | null = null;

  const onNotification = (message: pg.Notification) => {
    if (message.channel !== CONFIG_CHANNEL || !message.payload) return;
    let parsed: { n?: string; t?: string; k?: string; p?: string };
    try {
      parsed = JSON.parse(message.payload);
    } catch {
      return;
    }
    if (parsed.n === node && probe && parsed.p === probe.id) probe.arrived();
    if (parsed.n === node || typeof parsed.t !== 'string') return;
    subscribers.deliver(parsed.t, typeof parsed.k === 'string' ? parsed.k : undefined);
  };

  const lost = (reason: unknown) => {
    if (closed) return;
    if (listening) options.log?.warn({ err: String(reason) }, 'configuration listener lost; reconnecting');
    listening = false;
    const dead = client;
    client = null;
    dead?.removeAllListeners('notification');
    dead?.end().catch(() => {});
    timer ??= setTimeout(() => {
      timer = null;
      void connect();
    }, delay);
    timer.unref();
    delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
  };

  const connect = async () => {
    if (closed) return;
    const next = new pg.Client({ connectionString, keepAlive: true, connectionTimeoutMillis: 5_000 });
    next.on('error', lost);
    next.on('end', () => {
      if (client === next) lost('connection ended');
    });
    next.on('notification', onNotification);
    client = next;
    try {
      await next.connect();
      await next.query(`LISTEN ${CONFIG_CHANNEL}`);
      const heard = await hearsItself();
      if (closed) {
        await next.end();
        return;
      }
      if (heard === 'failed') throw new Error('test notification not sent');
      if (heard === 'silent') {
        if (!notReceiving) {
          options.log?.error(
            {},
            'configuration listener receives no notifications (behind pgbouncer in transaction pooling mode? ' +
              'set DATABASE_LISTEN_URL to PostgreSQL itself); changes made by other processes are seen ' +
              'only when the caches expire',
          );
        }
        notReceiving = true;
        if (client === next) lost('no notification received');
        return;
      }
      notReceiving = false;
      listening = true;
      delay = 250;
      // Whatever changed while nobody listened is forgotten too: every topic, every key.
      subscribers.deliver('*', undefined);
    } catch (error) {
      if (client === next) lost(error);
    }
  };
  /**
   * Sends a notification through the pool, as a change would be announced, and waits for it on the
   * listener: a LISTEN that "succeeded" through a transaction pooler never hears anything.
   */
  const hearsItself = async (): Promise<'heard' | 'silent' | 'failed'> => {
    const id = randomUUID();
    let timeout: NodeJS.Timeout | undefined;
    const heard = new Promise<'heard' | 'silent'>((resolve) => {
      probe = { id, arrived: () => resolve('heard') };
      timeout = setTimeout(() => resolve('silent'), options.probeTimeoutMs ?? LISTEN_PROBE_TIMEOUT_MS);
      timeout.unref();
    });
    try {
      await options.db.query('SELECT pg_notify($1, $2)', [
        CONFIG_CHANNEL,
        JSON.stringify({ n: node, p: id }),
      ]);
      return await heard;
    } catch {
      // The database, not the listener: reconnect as for any other loss.
      return 'failed';
    } finally {
      clearTimeout(timeout);
      probe = null;
    }
  };
  let started = false;

  return {
    start() {
      if (started || closed) return;
      started = true;
      void connect();
    },
    get listening() {
      return listening;
    },
    get notReceiving() {
      return notReceiving;
    },
    async publish(topic, key, via) {
      subscribers.deliver(topic, key);
      const payload = JSON.stringify(
        key === undefined ? { n: node, t: topic } : { n: node, t: topic, k: key },
      );
      try {
        await (via ?? options.db).query('SELECT pg_notify($1, $2)', [CONFIG_CHANNEL, payload]);
      } catch (error) {
        // The change is committed; other processes see it when their caches expire.
        options.log?.warn({ err: String(error), topic }, 'configuration change not announced');
      }
    },
    subscribe: (topic, listener) => subscribers.add(topic, listener),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      listening = false;
      await c?.end().catch(() => {});
    },
  };
}

/**
 * Subscribes a cache's `forget` to its topic, and to `*` (said after the listener reconnects, when
 * changes may have been missed).
 */
export function forgetOn(bus: ConfigBus, topic: string, forget: (key: string | undefined) => void): void {
  bus.subscribe(topic, forget);
  bus.subscribe('*', () => forget(undefined));
}
