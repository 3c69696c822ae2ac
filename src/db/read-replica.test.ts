import { describe, expect, it } from 'vitest';
import type { Db } from './index.ts';
import { primaryReads, type ReadReplicaStatus, replicaReads } from './read-replica.ts';

/**
 * The routing rules without a server: stand-ins answer as a primary and a standby would. The real
 * streaming replica is test/read-replica.test.ts's.
 */
function standIn(answer: (text: string) => unknown[] | Error): Db & { asked: string[] } {
  const asked: string[] = [];
  const query = async <Row>(text: string) => {
    asked.push(text);
    const result = answer(text);
    if (result instanceof Error) throw result;
    return result as Row[];
  };
  return {
    kind: 'postgres',
    asked,
    query,
    exec: async () => {},
    tx: async (work) => work({ query, exec: async () => {} }),
    ping: async () => {},
    close: async () => {},
  };
}

const failure = (code: string) => Object.assign(new Error(code), { code });

function pair(replicaAnswer: (text: string) => unknown[] | Error) {
  const primary = standIn((text) =>
    text.includes('pg_current_wal_lsn') ? [{ lsn: '0/3000000' }] : [{ from: 'primary' }],
  );
  const replica = standIn((text) =>
    text.includes('pg_is_in_recovery')
      ? [{ in_recovery: true, replayed: '0/3000000', replay_age_ms: '90000' }]
      : replicaAnswer(text),
  );
  const changes: ReadReplicaStatus[] = [];
  const reads = replicaReads(primary, replica, {
    maxLagMs: 5_000,
    checkEveryMs: 60_000,
    onChange: (now) => changes.push(now),
  });
  return { primary, replica, reads, changes };
}

describe('reads beside the primary', () => {
  it('without a replica are the primary', async () => {
    const primary = standIn(() => [{ from: 'primary' }]);
    const reads = primaryReads(primary);
    expect(await reads.query('SELECT 1')).toEqual([{ from: 'primary' }]);
    expect(reads.status()).toMatchObject({ configured: false, target: 'primary' });
  });

  it('go to a caught-up replica with no lag, however old its last transaction', async () => {
    const { reads } = pair(() => [{ from: 'replica' }]);
    expect(await reads.check()).toMatchObject({ target: 'replica', lagMs: 0, lagBytes: 0, reason: null });
    expect(await reads.query('SELECT 1')).toEqual([{ from: 'replica' }]);
    await reads.close();
  });

  it("answer from the primary when the replica's connection fails, and say so once", async () => {
    const { reads, changes } = pair(() => failure('ECONNREFUSED'));
    await reads.check();
    expect(await reads.query('SELECT 1')).toEqual([{ from: 'primary' }]);
    expect(await reads.query('SELECT 1')).toEqual([{ from: 'primary' }]);
    expect(changes.map((c) => [c.target, c.reason])).toEqual([
      ['replica', null],
      ['primary', 'replica_down'],
    ]);
    await reads.close();
  });

  it("leave a statement's own error to the caller instead of asking the primary", async () => {
    const { reads, primary } = pair(() => failure('42P01'));
    await reads.check();
    await expect(reads.query('SELECT * FROM missing')).rejects.toThrow('42P01');
    expect(primary.asked).not.toContain('SELECT * FROM missing');
    expect(reads.status().target).toBe('replica');
    await reads.close();
  });

  it('count a replica that does not answer a check as down', async () => {
    const primary = standIn((text) => (text.includes('pg_current_wal_lsn') ? [{ lsn: '0/10' }] : []));
    const replica = standIn(() => []);
    replica.query = () => new Promise(() => {});
    const reads = replicaReads(primary, replica, { maxLagMs: 5_000, checkEveryMs: 60_000 });
    expect(await reads.check()).toMatchObject({ target: 'primary', reason: 'replica_down' });
    await reads.close();
  }, 10_000);

  it('go to the primary while the replica is not a standby (promoted, or the wrong address)', async () => {
    const primary = standIn((text) => (text.includes('pg_current_wal_lsn') ? [{ lsn: '0/10' }] : []));
    const replica = standIn(() => [{ in_recovery: false, replayed: null, replay_age_ms: null }]);
    const reads = replicaReads(primary, replica, { maxLagMs: 5_000, checkEveryMs: 60_000 });
    expect(await reads.check()).toMatchObject({ target: 'primary', reason: 'not_a_replica' });
    await reads.close();
  });
});
