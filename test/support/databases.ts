import { randomBytes } from 'node:crypto';
import { type Db, openPglite, openPostgres, runOnServer } from '../../src/db/index.ts';
import { migrate } from '../../src/db/migrate.ts';
import { pgliteSnapshot, postgresTemplateName } from './database-templates.ts';

/**
 * Every database test runs on PGlite, and on PostgreSQL too when TEST_DATABASE_URL is set.
 * Each suite gets a fresh database (a scratch PostgreSQL database is dropped afterwards).
 *
 * Through pgbouncer (CI, `npm run test:pgbouncer`), TEST_DATABASE_URL is pgbouncer and
 * TEST_DATABASE_ADMIN_URL the same server directly: CREATE / DROP DATABASE and each platform's
 * LISTEN go there, everything else through pgbouncer. TEST_DATABASES=postgres leaves PGlite out.
 */
export interface TestDatabase {
  kind: 'pglite' | 'postgres';
  /**
   * A fresh database; `url` is set for PostgreSQL, so a child process can open it too, with
   * `listenUrl` for its LISTEN (`DATABASE_LISTEN_URL`: the server directly when `url` is pgbouncer).
   */
  open(): Promise<{ db: Db; url?: string; listenUrl?: string; dispose(): Promise<void> }>;
}

const pglite: TestDatabase = {
  kind: 'pglite',
  async open() {
    const snapshot = pgliteSnapshot();
    const db = await openPglite(undefined, snapshot ? { loadDataDir: snapshot } : {});
    await migrate(db);
    return { db, dispose: () => db.close() };
  },
};

function postgres(poolUrl: string, adminUrl: string): TestDatabase {
  const named = (base: string, name: string) => {
    const url = new URL(base);
    url.pathname = `/${name}`;
    return url.toString();
  };
  return {
    kind: 'postgres',
    async open() {
      const name = `qy_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      const template = postgresTemplateName();
      // From the migrated template the global setup made; migrate() below then has nothing to do.
      await runOnServer(adminUrl, `CREATE DATABASE ${name} TEMPLATE ${template}`).catch(() =>
        runOnServer(adminUrl, `CREATE DATABASE ${name}`),
      );
      const url = named(poolUrl, name);
      const listenUrl = named(adminUrl, name);
      const db = openPostgres(url, 40, { listenUrl });
      await migrate(db);
      return {
        db,
        url,
        listenUrl,
        async dispose() {
          await db.close();
          await runOnServer(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        },
      };
    },
  };
}

/** PostgreSQL directly, for what cannot go through pgbouncer: CREATE / DROP DATABASE and LISTEN. */
export const testAdminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? process.env.TEST_DATABASE_URL;

export const testDatabases: TestDatabase[] = [
  ...(process.env.TEST_DATABASES === 'postgres' ? [] : [pglite]),
  ...(process.env.TEST_DATABASE_URL && testAdminUrl
    ? [postgres(process.env.TEST_DATABASE_URL, testAdminUrl)]
    : []),
];

export const postgresOnly: TestDatabase[] = testDatabases.filter((d) => d.kind === 'postgres');

/**
 * For the suites that check only what the browser shows (accessibility, words, layout at a size),
 * not what the platform does: the database does not change a pixel of it, and every screen's API
 * runs on both databases in its own suite. They walk every screen several times, which on both
 * databases would double the longest part of the test run for nothing.
 */
export const presentationOnly: TestDatabase[] = [pglite];
