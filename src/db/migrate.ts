import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './index.ts';
import { prepareMonths } from './partitions.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
// Any fixed number: every node that starts takes this lock so only one applies migrations.
const MIGRATION_LOCK_KEY = 7_120_001;

/** Applies the migrations/NNN_name.sql files not yet applied, in order, each in its own transaction. */
export async function migrate(db: Db): Promise<string[]> {
  // Under the lock too: two nodes starting on an empty database both pass IF NOT EXISTS, and one
  // then fails on the table's type already existing.
  await db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await q.query(
      'CREATE TABLE IF NOT EXISTS schema_migration (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
  });
  const files = fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  const applied: string[] = [];
  for (const file of files) {
    const done = await db.tx(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const rows = await q.query('SELECT 1 FROM schema_migration WHERE name = $1', [file]);
      if (rows.length > 0) return false;
      const sql = fs.readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8');
      await q.exec(sql);
      await q.query('INSERT INTO schema_migration (name) VALUES ($1)', [file]);
      return true;
    });
    if (done) applied.push(file);
  }
  // The history tables' months from now on (048): a node that starts has them before it writes.
  await prepareMonths(db);
  return applied;
}
