import type { Db, Queryable, SqlValue } from './index.ts';

/**
 * Where the screens' reads go: a streaming replica while it is up and close behind, the primary
 * otherwise. Only reads that show something go through it (dashboards, lists, exports, statements,
 * statistics, each picked by name in its service); whatever decides money reads the primary, because
 * a replica a few seconds behind would let a withdrawal see a balance that is already spent.
 */
export interface ReadDb extends Queryable {
  /** The replica's state as of the last check, for /readyz and the operator console. */
  status(): ReadReplicaStatus;
  /** Measures the lag now (the timer does it every `checkEveryMs`); tests call it to skip the wait. */
  check(): Promise<ReadReplicaStatus>;
  close(): Promise<void>;
}

export interface ReadReplicaStatus {
  /** Whether DATABASE_READ_URL names a replica at all. */
  configured: boolean;
  /** Where the reads go now. */
  target: 'replica' | 'primary';
  /** Why they go to the primary although a replica is configured. */
  reason: 'not_checked' | 'replica_down' | 'not_a_replica' | 'lag_too_high' | null;
  /** How far the replica's replay is behind the primary, in milliseconds; null when unknown. */
  lagMs: number | null;
  /** WAL bytes the primary has written that the replica has not replayed; null when unknown. */
  lagBytes: number | null;
  maxLagMs: number;
  checkedAt: string | null;
}

export interface ReadReplicaOptions {
  /** Above this lag the reads go to the primary. */
  maxLagMs: number;
  /** How often the lag is measured; measuring costs one query on each side. */
  checkEveryMs: number;
  /** Told once per change of target (not per check), so a flapping replica cannot flood the log. */
  onChange?: (status: ReadReplicaStatus, previous: ReadReplicaStatus) => void;
}

export const DEFAULT_READ_MAX_LAG_MS = 5_000;
export const READ_CHECK_EVERY_MS = 2_000;
/** A check that has not finished by then counts the replica as down: a hung standby must not stop the checks. */
const CHECK_TIMEOUT_MS = 3_000;
/** The primary's positions remembered, one per check: two minutes at the usual pace, then the replay time alone bounds the lag. */
const MAX_POSITIONS = 64;

/** A WAL position (`16/B374D848`) as a number that compares. */
function lsnValue(text: string): bigint {
  const [high, low] = text.split('/') as [string, string];
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/**
 * SQLSTATE classes that mean the replica (not the statement) failed, so the primary can answer the
 * same read: connection (08), resources (53), operator intervention and shutdown (57), and the
 * standby's own cancellations (40001, "conflict with recovery"). Any other error is the
 * statement's own and would fail on the primary too.
 */
const REPLICA_FAILURE_CLASSES = ['08', '53', '57'];

function replicaFailed(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  // Node's socket errors (ECONNREFUSED, ECONNRESET) and the pool's timeouts carry no SQLSTATE.
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return code === '40001' || REPLICA_FAILURE_CLASSES.includes(code.slice(0, 2));
}

/** The reads Db when there is no replica (PGlite, or DATABASE_READ_URL unset): the primary itself. */
export function primaryReads(primary: Db): ReadDb {
  const status: ReadReplicaStatus = {
    configured: false,
    target: 'primary',
    reason: null,
    lagMs: null,
    lagBytes: null,
    maxLagMs: 0,
    checkedAt: null,
  };
  return {
    query: (text, params) => primary.query(text, params),
    exec: (script) => primary.exec(script),
    status: () => status,
    check: async () => status,
    close: async () => {},
  };
}

/**
 * Reads from `replica` while its last check found it replaying within `maxLagMs` of `primary`;
 * from the primary before the first check, after a failed one, and for a read the replica failed.
 * Closing closes the replica's pool, never the primary.
 */
export function replicaReads(primary: Db, replica: Db, options: ReadReplicaOptions): ReadDb {
  let status: ReadReplicaStatus = {
    configured: true,
    target: 'primary',
    reason: 'not_checked',
    lagMs: null,
    lagBytes: null,
    maxLagMs: options.maxLagMs,
    checkedAt: null,
  };
  let running: Promise<ReadReplicaStatus> | null = null;
  let closed = false;
  /** Where the primary's WAL stood at each check, oldest first. */
  const positions: { lsn: bigint; at: number }[] = [];

  const settle = (next: ReadReplicaStatus) => {
    const previous = status;
    status = next;
    if (previous.target !== next.target || (next.target === 'primary' && previous.reason !== next.reason))
      options.onChange?.(next, previous);
    return next;
  };

  const measure = async (): Promise<ReadReplicaStatus> => {
    const base = { ...status, checkedAt: new Date().toISOString() };
    // The primary's position first: whatever the replica has replayed by the next query is compared
    // with a position the primary had already reached, so the lag is never understated.
    const [{ lsn }] = (await primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')) as [
      { lsn: string },
    ];
    const at = Date.now();
    positions.push({ lsn: lsnValue(lsn), at });
    if (positions.length > MAX_POSITIONS) positions.shift();
    let row: { in_recovery: boolean; replayed: string | null; replay_age_ms: string | null };
    try {
      [row] = (await replica.query<typeof row>(
        `SELECT pg_is_in_recovery() AS in_recovery, pg_last_wal_replay_lsn()::text AS replayed,
                (extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::text AS replay_age_ms`,
      )) as [typeof row];
    } catch {
      return { ...base, target: 'primary', reason: 'replica_down', lagMs: null, lagBytes: null };
    }
    if (!row.in_recovery || row.replayed === null)
      return { ...base, target: 'primary', reason: 'not_a_replica', lagMs: null, lagBytes: null };
    const replayed = lsnValue(row.replayed);
    const behind = replayed >= lsnValue(lsn) ? 0n : lsnValue(lsn) - replayed;
    // Two bounds on how old the replica's view is, the smaller one wins: the age of the last
    // transaction it replayed (alone it overstates an idle primary's first write), and the time
    // since the latest check whose primary position it has replayed (everything before it is there).
    const seen = [...positions].reverse().find((p) => p.lsn <= replayed);
    const bounds = [
      ...(behind === 0n ? [0] : []),
      ...(seen ? [at - seen.at] : []),
      ...(row.replay_age_ms === null ? [] : [Math.max(0, Math.round(Number(row.replay_age_ms)))]),
    ];
    const lagMs = bounds.length === 0 ? null : Math.min(...bounds);
    const near = lagMs !== null && lagMs <= options.maxLagMs;
    return {
      ...base,
      target: near ? 'replica' : 'primary',
      reason: near ? null : 'lag_too_high',
      lagMs,
      lagBytes: Number(behind),
    };
  };

  const timedMeasure = async (): Promise<ReadReplicaStatus> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<ReadReplicaStatus>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            ...status,
            target: 'primary',
            reason: 'replica_down',
            lagMs: null,
            lagBytes: null,
            checkedAt: new Date().toISOString(),
          }),
        CHECK_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([measure(), late]);
    } finally {
      clearTimeout(timer);
    }
  };

  const check = () => {
    running ??= timedMeasure()
      .catch(
        // The primary itself did not answer: nothing to compare with, and the reads' own errors will say so.
        (): ReadReplicaStatus => ({ ...status, checkedAt: new Date().toISOString() }),
      )
      .then((next) => (closed ? status : settle(next)))
      .finally(() => {
        running = null;
      });
    return running;
  };

  const timer = setInterval(() => void check(), options.checkEveryMs);
  timer.unref();
  void check();

  const read = async <Row>(text: string, params?: SqlValue[]): Promise<Row[]> => {
    if (status.target === 'primary') return primary.query<Row>(text, params);
    try {
      return await replica.query<Row>(text, params);
    } catch (error) {
      if (!replicaFailed(error)) throw error;
      // Until the next check says otherwise; this read is answered by the primary meanwhile.
      settle({ ...status, target: 'primary', reason: 'replica_down', checkedAt: new Date().toISOString() });
      return primary.query<Row>(text, params);
    }
  };

  return {
    query: read,
    exec: () => Promise.reject(new Error('the reads database runs no scripts')),
    status: () => status,
    check,
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
      await replica.close();
    },
  };
}
