import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openPostgres } from '../src/db/index.ts';
import { type ReadReplicaStatus, replicaReads } from '../src/db/read-replica.ts';
import { merchantBalances } from '../src/ledger/queries.ts';
import { operatorConsole } from './support/console.ts';
import { postgresOnly } from './support/databases.ts';
import { eventually, paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * The screens' reads against a real streaming replica: test/support/start-replica.sh starts one on
 * port 5433 (`.ci/run` does), and TEST_DATABASE_READ_URL names it. Each suite's database is made on
 * the primary and reaches the replica by replication, as everything does.
 */
const readUrl = process.env.TEST_DATABASE_READ_URL;
const primary = postgresOnly[0];
const skipReason = !primary
  ? 'TEST_DATABASE_URL is not set'
  : !readUrl
    ? 'TEST_DATABASE_READ_URL is not set (bash test/support/start-replica.sh starts a replica on 5433)'
    : null;

// The default reporter names only the count of skipped tests: say why, once, in the run's output.
if (skipReason) console.warn(`test/read-replica.test.ts skipped: ${skipReason}`);

/** The same database's name on the replica's server. */
function onReplica(primaryUrl: string): string {
  const url = new URL(readUrl!);
  url.pathname = new URL(primaryUrl).pathname;
  return url.toString();
}

/** Debian's `pg_ctlcluster` for the replica's own cluster, named by its `cluster_name` (`15/replica`). */
function replicaCluster(clusterName: string, action: 'stop' | 'start'): void {
  const [version, name] = clusterName.split('/') as [string, string];
  execFileSync('pg_ctlcluster', [
    '--skip-systemctl-redirect',
    version,
    name,
    action,
    ...(action === 'stop' ? ['-m', 'fast'] : []),
  ]);
}

const onRecovery = 'SELECT pg_is_in_recovery() AS standby';
const answeredBy = async (reads: { query: Db['query'] }) =>
  (await reads.query<{ standby: boolean }>(onRecovery))[0]!.standby ? 'replica' : 'primary';

describe.skipIf(skipReason !== null)(`read replica${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let db: Db;
  let replica: Db;
  let replicaUrl: string;
  let dispose: () => Promise<void>;
  let clusterName: string;

  beforeAll(async () => {
    const opened = await primary!.open();
    db = opened.db;
    dispose = opened.dispose;
    replicaUrl = onReplica(opened.url!);
    // The new database exists on the replica once its creation has been replayed.
    replica = await eventually(
      async () => {
        const candidate = openPostgres(replicaUrl, 4);
        try {
          await candidate.query('SELECT 1');
          return candidate;
        } catch {
          await candidate.close();
          return undefined;
        }
      },
      30_000,
      'the test database on the replica',
    );
    clusterName = (
      await replica.query<{ name: string }>("SELECT current_setting('cluster_name') AS name")
    )[0]!.name;
  }, 60_000);

  afterAll(async () => {
    await replica?.query('SELECT pg_wal_replay_resume()').catch(() => {});
    await replica?.close();
    await dispose?.();
  });

  /** A setting written on the primary, to be looked for through the reads. */
  const writeMark = async (value: string) => {
    await db.query(
      `INSERT INTO platform_setting (key, value) VALUES ('test.replicaMark', $1)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [value],
    );
  };
  const readMark = async (reads: { query: Db['query'] }) =>
    (
      await reads.query<{ value: string }>(
        "SELECT value FROM platform_setting WHERE key = 'test.replicaMark'",
      )
    )[0]?.value;

  it('reads what the primary wrote from the replica once it is replayed, and shows the lag', async () => {
    const reads = replicaReads(db, openPostgres(replicaUrl, 2), { maxLagMs: 5_000, checkEveryMs: 60_000 });
    try {
      const status = await reads.check();
      expect(status).toMatchObject({ configured: true, target: 'replica', reason: null });
      expect(status.lagMs).toBeGreaterThanOrEqual(0);
      expect(status.lagMs).toBeLessThanOrEqual(5_000);
      expect(await answeredBy(reads)).toBe('replica');

      await writeMark('written on the primary');
      await eventually(
        async () => ((await readMark(reads)) === 'written on the primary' ? true : undefined),
        10_000,
        'the replay',
      );
      expect(await answeredBy(reads)).toBe('replica');
    } finally {
      await reads.close();
    }
  });

  it('reads from the primary while the replica is further behind than allowed, told once per change', async () => {
    const changes: ReadReplicaStatus[] = [];
    const reads = replicaReads(db, openPostgres(replicaUrl, 2), {
      maxLagMs: 500,
      checkEveryMs: 60_000,
      onChange: (now) => changes.push(now),
    });
    try {
      expect((await reads.check()).target).toBe('replica');
      await replica.query('SELECT pg_wal_replay_pause()');
      await writeMark('while paused');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await writeMark('still paused');

      const behind = await reads.check();
      expect(behind).toMatchObject({ target: 'primary', reason: 'lag_too_high' });
      expect(behind.lagMs).toBeGreaterThan(500);
      expect(behind.lagBytes).toBeGreaterThan(0);
      expect(await answeredBy(reads)).toBe('primary');
      expect(await readMark(reads)).toBe('still paused');
      await reads.check();
      // The first check (to the replica) is a change too: a node says where its screens read from.
      expect(changes.map((c) => c.target)).toEqual(['replica', 'primary']);

      await replica.query('SELECT pg_wal_replay_resume()');
      await eventually(
        async () => ((await reads.check()).target === 'replica' ? true : undefined),
        10_000,
        'caught up',
      );
      expect(changes.map((c) => c.target)).toEqual(['replica', 'primary', 'replica']);
      // Back on the replica, within the allowed lag: the last write shows once replayed, which on a
      // loaded machine can come after the lag check that let the reads back.
      await eventually(
        async () => ((await readMark(reads)) === 'still paused' ? true : undefined),
        10_000,
        'the last write replayed',
      );
    } finally {
      await replica.query('SELECT pg_wal_replay_resume()');
      await reads.close();
    }
  });

  it('reads from the primary when the replica is stopped, and from the replica again once it is back', async () => {
    const changes: ReadReplicaStatus[] = [];
    const reads = replicaReads(db, openPostgres(replicaUrl, 2), {
      maxLagMs: 5_000,
      checkEveryMs: 60_000,
      onChange: (now) => changes.push(now),
    });
    try {
      expect((await reads.check()).target).toBe('replica');
      replicaCluster(clusterName, 'stop');
      // Before any check has noticed: the read the replica cannot answer is answered by the primary.
      expect(await answeredBy(reads)).toBe('primary');
      expect(reads.status()).toMatchObject({ target: 'primary', reason: 'replica_down' });
      expect(await reads.check()).toMatchObject({ target: 'primary', reason: 'replica_down', lagMs: null });
      expect(await answeredBy(reads)).toBe('primary');
      expect(changes.map((c) => c.reason)).toEqual([null, 'replica_down']);
    } finally {
      replicaCluster(clusterName, 'start');
    }
    try {
      await eventually(
        async () => ((await reads.check()).target === 'replica' ? true : undefined),
        30_000,
        'the replica back',
      );
      expect(await answeredBy(reads)).toBe('replica');
      expect(changes.map((c) => c.target)).toEqual(['replica', 'primary', 'replica']);
    } finally {
      await reads.close();
    }
  }, 60_000);

  describe('the whole platform with a paused replica', () => {
    let t: TestPlatform;

    beforeAll(async () => {
      // The replica's pool reconnects after the restart above; the platform opens its own.
      await eventually(
        async () => ((await replica.query(onRecovery).catch(() => undefined)) ? true : undefined),
        30_000,
      );
      t = await startTestPlatform(
        { kind: 'postgres', open: async () => ({ db, url: undefined, dispose: async () => {} }) },
        // Never too far behind: the paused replica keeps serving the screens, so what reads it shows.
        { databaseReadUrl: replicaUrl, readMaxLagMs: 3_600_000 },
      );
      await eventually(
        async () => ((await t.platform.services.reads.check()).target === 'replica' ? true : undefined),
        10_000,
        'the platform reading the replica',
      );
    }, 60_000);

    afterAll(async () => {
      await replica.query('SELECT pg_wal_replay_resume()');
      await t?.platform.stop();
    });

    it('shows the lists from the replica and decides money on the primary', async () => {
      const { services } = t.platform;
      const operator = await operatorConsole(t);
      await eventually(async () =>
        (await t.platform.services.reads.check()).lagBytes === 0 ? true : undefined,
      );
      await replica.query('SELECT pg_wal_replay_pause()');

      const order = await paidSandboxOrder(t.client, {
        mchOrderNo: 'RR-1',
        amount: 12_345,
        subject: 'replica',
      });
      // The screens' list reads the replica, which has not replayed the order.
      expect(services.reads.status().target).toBe('replica');
      expect((await services.orders.list({ limit: 50 })).rows.map((o) => o.order_no)).not.toContain(
        order.orderNo,
      );
      const listed = await operator.get<{ items: { orderNo: string }[] }>('/api/admin/orders');
      expect(listed.status).toBe(200);
      expect(JSON.stringify(listed.body)).not.toContain(order.orderNo);

      const board = await operator.get<{ readReplica: { target: string; lagMs: number } }>(
        '/api/admin/dashboard',
      );
      expect(board.body.readReplica).toMatchObject({ target: 'replica', maxLagMs: 3_600_000 });
      const ready = (await (await fetch(`${t.platform.url}/readyz`)).json()) as { readReplica: object };
      expect(ready.readReplica).toMatchObject({ reads: 'replica', reason: null });

      // What decides reads the primary: the console session (the operator's requests above answered),
      // the order's state before a transition (a refund of it is accepted), the idempotent look-up
      // (a retry returns the same order), the balance a withdrawal would spend.
      const again = await t.client.createOrder({
        productCode: 'sandbox_qr',
        mchOrderNo: 'RR-1',
        amount: 12_345,
        subject: 'replica',
      });
      expect(again.orderNo).toBe(order.orderNo);
      const refund = await t.client.createRefund({
        orderNo: order.orderNo,
        mchRefundNo: 'RR-1-R',
        amount: 345,
        reason: 'part',
      });
      expect(refund.amount).toBe(345);
      const merchantId = (await services.orders.requireByOrderNo(order.orderNo)).merchant_id;
      const credited = (b: { pending: bigint; available: bigint; frozen: bigint }) =>
        b.pending + b.available + b.frozen;
      const balance = await services.settlement.balanceOf(merchantId);
      const replicaBalance = await merchantBalances(replica, merchantId);
      const sum = (kinds: string[]) =>
        replicaBalance.filter((r) => kinds.includes(r.kind)).reduce((total, r) => total + r.balance, 0n);
      // The payment's credit less its fee, less the refund: there on the primary, not yet on the replica.
      expect(credited(balance)).toBeGreaterThan(
        sum(['merchant_pending', 'merchant_available', 'merchant_frozen']),
      );

      await replica.query('SELECT pg_wal_replay_resume()');
      await eventually(
        async () =>
          (await services.orders.list({ limit: 50 })).rows.some((o) => o.order_no === order.orderNo)
            ? true
            : undefined,
        10_000,
        'the order on the replica',
      );
    }, 60_000);
  });
});
