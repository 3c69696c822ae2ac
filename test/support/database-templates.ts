import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openPglite, openPostgres, runOnServer } from '../../src/db/index.ts';
import { migrate } from '../../src/db/migrate.ts';

/**
 * Migrated empty databases to copy from: a fresh PGlite runs initdb in WASM (seconds on a busy
 * machine) and every migration after it, once per suite; loading a dumped cluster, or creating a
 * PostgreSQL database from a template, takes a fraction of that. Both are named after the migrations
 * and the PGlite version, so a changed migration makes new ones; the global setup prepares them.
 */
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MIGRATIONS_DIR = path.join(ROOT, 'src/db/migrations');

function templateKey(): string {
  const hash = createHash('sha256');
  const pgliteVersion = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8'),
  ).version as string;
  hash.update(pgliteVersion);
  for (const file of fs.readdirSync(MIGRATIONS_DIR).sort()) {
    hash.update(file).update(fs.readFileSync(path.join(MIGRATIONS_DIR, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

export function pgliteSnapshotPath(): string {
  return path.join(os.tmpdir(), `qy-pglite-${templateKey()}.tar.gz`);
}

export function postgresTemplateName(): string {
  return `qy_template_${templateKey()}`;
}

/** The dumped migrated cluster, or undefined when the global setup did not make one. */
export function pgliteSnapshot(): Blob | undefined {
  const file = pgliteSnapshotPath();
  return fs.existsSync(file) ? new Blob([fs.readFileSync(file)]) : undefined;
}

export async function preparePgliteSnapshot(): Promise<void> {
  const file = pgliteSnapshotPath();
  if (fs.existsSync(file)) return;
  const db = await openPglite();
  try {
    await migrate(db);
    const dump = await db.dumpDataDir();
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(partial, file);
  } finally {
    await db.close();
  }
}

/** Creates the migrated template database on the server unless it is there; drops older ones. */
export async function preparePostgresTemplate(adminUrl: string): Promise<void> {
  const name = postgresTemplateName();
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  let existing: string[];
  try {
    const rows = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'qy\\_template\\_%'",
    );
    existing = rows.rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
  for (const old of existing.filter((n) => n !== name)) {
    await runOnServer(adminUrl, `DROP DATABASE IF EXISTS ${old} WITH (FORCE)`);
  }
  if (existing.includes(name)) return;
  // Built under another name and renamed when complete, so a run stopped halfway leaves no template.
  const building = `${name}_${process.pid}`;
  await runOnServer(adminUrl, `DROP DATABASE IF EXISTS ${building}`);
  await runOnServer(adminUrl, `CREATE DATABASE ${building}`);
  const url = new URL(adminUrl);
  url.pathname = `/${building}`;
  const db = openPostgres(url.toString(), 2);
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  await runOnServer(adminUrl, `ALTER DATABASE ${building} RENAME TO ${name}`);
}
