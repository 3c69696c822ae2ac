import { defineConfig } from 'vitest/config';
import { CONCURRENCY_SUITES } from './test/support/concurrency-suites.ts';
import base from './vitest.config.ts';

/**
 * The concurrency suites alone, on PostgreSQL through pgbouncer in transaction pooling mode
 * (`npm run test:pgbouncer`, which starts it with `.ci/pgbouncer`): consecutive transactions of one
 * client land on different server connections, so any session state the platform relied on breaks
 * here. CI runs every suite this way (`.ci/run`); this is the quick check.
 */
process.env.TEST_DATABASE_URL = process.env.PGBOUNCER_DATABASE_URL ?? 'postgres://root@127.0.0.1:6432/test';
process.env.TEST_DATABASE_ADMIN_URL ??= 'postgres://root@127.0.0.1:5432/test';
// PGlite has no pgbouncer in front of it; `npm test` covers it.
process.env.TEST_DATABASES = 'postgres';

// Not mergeConfig: it would add these to the base's include instead of replacing it.
export default defineConfig({ ...base, test: { ...base.test, include: CONCURRENCY_SUITES } });
