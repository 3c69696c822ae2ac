import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { testAdminUrl } from '../../test/support/databases.ts';
import { postgresConfigBus } from '../config-bus.ts';
import { type Db, openPostgres, runOnServer } from './index.ts';
import { migrate } from './migrate.ts';

/**
 * What a PostgreSQL deployment does outside a request's transaction: migrations on an empty
 * database, the readiness probe and the configuration bus. CI's `npm test` and `npm run
 * test:pgbouncer` run it through pgbouncer in transaction pooling mode, where each of these once
 * depended on session state.
 */
const poolUrl = process.env.TEST_DATABASE_URL;

describe.runIf(poolUrl && testAdminUrl)('PostgreSQL outside a request, through TEST_DATABASE_URL', () => {
  const name = `qy_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const at = (base: string) => {
    const url = new URL(base);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const opened: Db[] = [];
  const open = (poolSize: number) => {
    const db = openPostgres(at(poolUrl!), poolSize, { listenUrl: at(testAdminUrl!) });
    opened.push(db);
    return db;
  };

  afterAll(async () => {
    for (const db of opened) await db.close();
    await runOnServer(testAdminUrl!, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it('applies every migration once when two nodes start on an empty database at the same time', async () => {
    // Not from the template: the migrations themselves run here, over the pooled connections.
    await runOnServer(testAdminUrl!, `CREATE DATABASE ${name}`);
    const [a, b] = await Promise.all([migrate(open(4)), migrate(open(4))]);
    const rows = await open(1).query<{ name: string }>('SELECT name FROM schema_migration ORDER BY name');
    expect(rows.length).toBeGreaterThan(0);
    expect([...a, ...b].sort()).toEqual(rows.map((r) => r.name));
  });

  it('answers the readiness probe', async () => {
    await expect(open(1).ping(5_000)).resolves.toBeUndefined();
  });

  it('delivers a configuration change from one node to another', async () => {
    const [dbA, dbB] = [open(2), open(2)];
    const busA = postgresConfigBus(dbA.listenUrl!, { db: dbA });
    const busB = postgresConfigBus(dbB.listenUrl!, { db: dbB });
    const heard: (string | undefined)[] = [];
    busB.subscribe('catalog', (key) => heard.push(key));
    busB.start();
    try {
      await expect.poll(() => busB.listening, { timeout: 5_000 }).toBe(true);
      // Published inside a transaction: PostgreSQL sends it at commit, whichever server connection ran it.
      await dbA.tx((q) => busA.publish('catalog', 'sandbox_qr', q));
      await expect.poll(() => heard, { timeout: 5_000 }).toEqual(['sandbox_qr']);
      expect(busB.notReceiving).toBe(false);
    } finally {
      await busA.close();
      await busB.close();
    }
  });

  // Only where TEST_DATABASE_URL is a transaction pooler in front of the server (CI: pgbouncer).
  it.runIf(poolUrl !== testAdminUrl)(
    'says so when its LISTEN goes through the transaction pooler and hears nothing',
    async () => {
      const db = open(2);
      const errors: string[] = [];
      const log = { warn() {}, error: (_: object, msg: string) => errors.push(msg) };
      // The misconfiguration: DATABASE_LISTEN_URL left out, so the listener goes where the pool does.
      const deaf = postgresConfigBus(at(poolUrl!), { db, log, probeTimeoutMs: 1_000 });
      const heard: (string | undefined)[] = [];
      deaf.subscribe('catalog', (key) => heard.push(key));
      deaf.start();
      try {
        await expect.poll(() => deaf.notReceiving, { timeout: 10_000 }).toBe(true);
        expect(deaf.listening).toBe(false);
        expect(errors).toEqual([expect.stringContaining('DATABASE_LISTEN_URL')]);
        // Its reconnects keep trying, and keep quiet about what they already said.
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        expect(errors).toHaveLength(1);
        expect(heard).toEqual([]);
      } finally {
        await deaf.close();
      }
    },
  );
});
