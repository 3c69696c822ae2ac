import { defineConfig } from 'vitest/config';
import { CONCURRENCY_SUITES } from './test/support/concurrency-suites.ts';
import base from './vitest.config.ts';

/**
 * The concurrency suites straight on PostgreSQL (`npm run test:postgres-direct`): in CI `npm test`
 * reaches PostgreSQL through pgbouncer, and most installations connect without one.
 * TEST_DATABASE_ADMIN_URL (the server directly) is used when set, else TEST_DATABASE_URL.
 */
const direct = process.env.TEST_DATABASE_ADMIN_URL ?? process.env.TEST_DATABASE_URL;
if (!direct) throw new Error('Set TEST_DATABASE_URL (or TEST_DATABASE_ADMIN_URL) to a PostgreSQL server');
process.env.TEST_DATABASE_URL = direct;
process.env.TEST_DATABASE_ADMIN_URL = direct;
// PGlite has no connection to choose; `npm test` covers it.
process.env.TEST_DATABASES = 'postgres';

export default defineConfig({ ...base, test: { ...base.test, include: CONCURRENCY_SUITES } });
