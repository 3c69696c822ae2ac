import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * The database suites again, on PostgreSQL through pgbouncer in transaction pooling mode
 * (`npm run test:pgbouncer`, after `.ci/pgbouncer` started it): consecutive transactions of one
 * client land on different server connections, so any session state the platform relied on breaks
 * here. Not all ~130 suites: those that exercise every kind of transaction and concurrency the
 * platform has, which a third full run would cost a quarter of an hour to repeat.
 */
export const PGBOUNCER_SUITES = [
  // Migrations from two nodes at once (transaction-scoped advisory lock), the probe, the bus.
  'src/db/postgres.test.ts',
  // Orders: create and pay races, the batched create, the whole payment flow.
  'test/races.test.ts',
  'test/order-batch.test.ts',
  'test/payment-flow.test.ts',
  // Money: ledger, refunds, settlement, withdrawals and payouts.
  'src/ledger/ledger.test.ts',
  'test/refunds.test.ts',
  'test/settlement.test.ts',
  'test/withdrawals.test.ts',
  'test/payouts.test.ts',
  // The merchant notify outbox (SKIP LOCKED claims, retries).
  'test/merchant-notifies.test.ts',
  // The configuration bus: NOTIFY through the pool, LISTEN on the direct connection, two nodes.
  'test/platform-settings.test.ts',
  // Killed processes: the notify delivered after restart, nothing posted twice.
  'test/crash-recovery.test.ts',
];

process.env.TEST_DATABASE_URL = process.env.PGBOUNCER_DATABASE_URL ?? 'postgres://root@127.0.0.1:6432/test';
process.env.TEST_DATABASE_ADMIN_URL ??= 'postgres://root@127.0.0.1:5432/test';
// PGlite has no pgbouncer in front of it; `npm test` covers it.
process.env.TEST_DATABASES = 'postgres';

// Not mergeConfig: it would add these to the base's include instead of replacing it.
export default defineConfig({ ...base, test: { ...base.test, include: PGBOUNCER_SUITES } });
