/**
 * The suites that exercise every kind of transaction and concurrency the platform has. CI runs every
 * database suite on PostgreSQL through pgbouncer (`npm test` with TEST_DATABASE_URL at pgbouncer);
 * these run once more straight on PostgreSQL (`npm run test:postgres-direct`), the way most
 * installations connect, and `npm run test:pgbouncer` runs them alone through pgbouncer, a quick
 * check while working on the data layer.
 */
export const CONCURRENCY_SUITES = [
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
  'test/processes.test.ts',
  // Killed processes: the notify delivered after restart, nothing posted twice.
  'test/crash-recovery.test.ts',
];
