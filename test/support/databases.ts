import { randomBytes } from 'node:crypto';
import { type Db, openPglite, openPostgres, runOnServer } from '../../src/db/index.ts';
import { migrate } from '../../src/db/migrate.ts';
import { pgliteSnapshot, postgresTemplateName } from './database-templates.ts';

/**
 * Every database test runs on PGlite, and on PostgreSQL too when TEST_DATABASE_URL is set.
 * Each suite gets a fresh database (a scratch PostgreSQL database is dropped afterwards).
 */
export interface TestDatabase {
  kind: 'pglite' | 'postgres';
  /** A fresh database; `url` is set for PostgreSQL, so a child process can open it too. */
  open(): Promise<{ db: Db; url?: string; dispose(): Promise<void> }>;
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

function postgres(adminUrl: string): TestDatabase {
  return {
    kind: 'postgres',
    async open() {
      const name = `qy_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      const template = postgresTemplateName();
      // From the migrated template the global setup made; migrate() below then has nothing to do.
      await runOnServer(adminUrl, `CREATE DATABASE ${name} TEMPLATE ${template}`).catch(() =>
        runOnServer(adminUrl, `CREATE DATABASE ${name}`),
      );
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const db = openPostgres(url.toString(), 40);
      await migrate(db);
      return {
        db,
        url: url.toString(),
        async dispose() {
          await db.close();
          await runOnServer(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        },
      };
    },
  };
}

export const testDatabases: TestDatabase[] = [
  pglite,
  ...(process.env.TEST_DATABASE_URL ? [postgres(process.env.TEST_DATABASE_URL)] : []),
];

export const postgresOnly: TestDatabase[] = testDatabases.filter((d) => d.kind === 'postgres');

/**
 * For the suites that check only what the browser shows (accessibility, words, layout at a size),
 * not what the platform does: the database does not change a pixel of it, and every screen's API
 * runs on both databases in its own suite. They walk every screen several times, which on both
 * databases would double the longest part of the test run for nothing.
 */
export const presentationOnly: TestDatabase[] = [pglite];
