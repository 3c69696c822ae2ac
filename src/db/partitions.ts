import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { Db, Queryable } from './index.ts';

/**
 * The month partitions of the history tables (migration 048) and of the ledger's entries (050):
 * created ahead of time; for the history, archived to a file and dropped once older than the
 * retention and restored from that file on demand. Months are UTC months of created_at. A row whose
 * month has no partition yet lands in the table's DEFAULT partition and is moved into the month's
 * partition when that is created, so an insert never fails for want of a partition (a stopped
 * worker, a clock far ahead) and nothing is lost.
 */
export const HISTORY_TABLES = ['order_event', 'channel_notify', 'notify_attempt', 'audit_log'] as const;
export type HistoryTable = (typeof HISTORY_TABLES)[number];
/**
 * Every table partitioned by month. Ledger entries are never archived: every balance is their sum
 * (`qingyun check-ledger`), and the books are kept.
 */
export const MONTHLY_TABLES = [...HISTORY_TABLES, 'ledger_entry'] as const;
export type MonthlyTable = (typeof MONTHLY_TABLES)[number];

/** How many months after the current one always have their partition. */
export const MONTHS_AHEAD = 2;
/** Rows read or written per statement when archiving and restoring. */
const BATCH_ROWS = 2_000;
const MONTH_SUFFIX = /_y(\d{4})m(\d{2})$/;

export interface MonthPartition<Table extends MonthlyTable = HistoryTable> {
  table: Table;
  name: string;
  /** `YYYY-MM`. */
  month: string;
  /** When it was last restored from an archive, if it was (the retention leaves it a while). */
  restoredAt: Date | null;
}

/** Reports rows done out of a total, for a progress bar. */
export type Progress = (done: number, total: number) => void;

/** A day: the margin `rowsSince` leaves for a transaction that began before the row it writes about. */
const DAY_MS = 86_400_000;

/**
 * The earliest `created_at` of the partitioned rows about things created at `createdAt` (orders'
 * events and channel notifies, notify tasks' attempts), for lookups by their ids. Passed as a
 * parameter, it is a constant the planner prunes the older months with, so such a lookup plans and
 * probes the months since then instead of every month kept. The day's margin covers a transaction
 * that began before the thing was created and wrote about it after (its `now()` is its start).
 */
export function rowsSince(...createdAt: Date[]): Date {
  return new Date(Math.min(...createdAt.map((at) => at.getTime())) - DAY_MS);
}

export function monthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

export function addMonths(month: Date, n: number): Date {
  return new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + n, 1));
}

export function monthLabel(month: Date): string {
  return month.toISOString().slice(0, 7);
}

function partitionName(table: MonthlyTable, month: Date): string {
  const [y, m] = monthLabel(month).split('-');
  return `${table}_y${y}m${m}`;
}

function isHistoryTable(name: string): name is HistoryTable {
  return (HISTORY_TABLES as readonly string[]).includes(name);
}

/** A bound for `FOR VALUES`, which takes literals only; always our own UTC month start. */
function boundLiteral(month: Date): string {
  return `'${month.toISOString()}'`;
}

/** A table's month partitions, oldest first. */
export async function monthPartitions<Table extends MonthlyTable>(
  q: Queryable,
  table: Table,
): Promise<MonthPartition<Table>[]> {
  const rows = await q.query<{ name: string; comment: string | null }>(
    `SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment
       FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
      WHERE p.relname = $1 AND c.relname <> $2
      ORDER BY c.relname`,
    [table, `${table}_default`],
  );
  return rows.flatMap((r) => {
    const match = MONTH_SUFFIX.exec(r.name);
    if (!match) return [];
    const restored = r.comment?.startsWith('restored ')
      ? new Date(r.comment.slice('restored '.length))
      : null;
    return [{ table, name: r.name, month: `${match[1]}-${match[2]}`, restoredAt: restored }];
  });
}

/**
 * Gives every monthly table its month partitions from the oldest month its default partition holds
 * (or the current month) through MONTHS_AHEAD months ahead. Idempotent; safe on several nodes at
 * once (a month another node just created is skipped). Returns the partitions it created.
 */
export async function prepareMonths(db: Db, now = new Date()): Promise<string[]> {
  const created: string[] = [];
  for (const table of MONTHLY_TABLES) {
    const [oldest] = await db.query<{ at: Date | null }>(
      `SELECT min(created_at) AS at FROM ${table}_default`,
    );
    const current = monthStart(now);
    let month = oldest?.at && oldest.at < current ? monthStart(oldest.at) : current;
    const last = addMonths(current, MONTHS_AHEAD);
    const existing = new Set((await monthPartitions(db, table)).map((p) => p.name));
    for (; month <= last; month = addMonths(month, 1)) {
      const name = partitionName(table, month);
      if (existing.has(name)) continue;
      if (await createMonth(db, table, month)) created.push(name);
    }
  }
  return created;
}

/**
 * Creates one month's partition and moves into it what the default partition holds of that month,
 * in one transaction. The default is locked first, so no row of the month can land there between
 * the move and the attach (which checks the default holds none). False when it already existed.
 */
async function createMonth(db: Db, table: MonthlyTable, month: Date): Promise<boolean> {
  const name = partitionName(table, month);
  const next = addMonths(month, 1);
  return db.tx(async (q) => {
    await q.query(`LOCK TABLE ${table}_default IN ACCESS EXCLUSIVE MODE`);
    const [exists] = await q.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_class WHERE relname = $1',
      [name],
    );
    if (exists && exists.n > 0) return false;
    await q.query(`CREATE TABLE ${name} (LIKE ${table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
    await q.query(
      `WITH moved AS (DELETE FROM ${table}_default WHERE created_at >= $1 AND created_at < $2 RETURNING *)
       INSERT INTO ${name} SELECT * FROM moved`,
      [month, next],
    );
    await q.query(
      `ALTER TABLE ${table} ATTACH PARTITION ${name} FOR VALUES FROM (${boundLiteral(month)}) TO (${boundLiteral(next)})`,
    );
    return true;
  });
}

export interface ArchivedMonth {
  table: HistoryTable;
  month: string;
  rows: number;
  file: string;
}

/** Where a month's archive goes: `<dir>/<table>/<partition>.jsonl.gz`. */
export function archiveFile(dir: string, partition: Pick<MonthPartition, 'table' | 'name'>): string {
  return path.join(dir, partition.table, `${partition.name}.jsonl.gz`);
}

/**
 * Archives one month partition: its rows written as JSON lines to a gzip file (through a temporary
 * name, flushed to disk, renamed), then — in one transaction, with the partition locked and its
 * count checked against what was written — detached and dropped. A failure at any step leaves the
 * partition in place and a later run starts over; the file is only ever replaced whole.
 */
export async function archiveMonth(
  db: Db,
  partition: MonthPartition,
  dir: string,
  progress?: Progress,
): Promise<ArchivedMonth> {
  const file = archiveFile(dir, partition);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const [count] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${partition.name}`);
  const total = count?.n ?? 0;
  // Its own name: a second node archiving the same month at once (a lease outlived) writes beside it.
  const temporary = `${file}.${process.pid}-${Date.now()}.partial`;
  let written = 0;
  async function* lines() {
    let after: string | null = null;
    for (;;) {
      const rows: { id: string; line: string }[] = await db.query<{ id: string; line: string }>(
        `SELECT id::text AS id, to_jsonb(t)::text AS line FROM ${partition.name} t
          WHERE $1::bigint IS NULL OR t.id > $1::bigint ORDER BY t.id LIMIT ${BATCH_ROWS}`,
        [after],
      );
      if (rows.length === 0) return;
      for (const row of rows) yield `${row.line}\n`;
      written += rows.length;
      progress?.(written, total);
      after = rows[rows.length - 1]!.id;
    }
  }
  await pipeline(lines, zlib.createGzip(), fs.createWriteStream(temporary, { mode: 0o600 }));
  const handle = fs.openSync(temporary, 'r');
  fs.fsyncSync(handle);
  fs.closeSync(handle);
  const inFile = await countLines(temporary);
  if (inFile !== written) throw new Error(`${temporary}: ${inFile} rows written of ${written}`);
  fs.renameSync(temporary, file);

  await db.tx(async (q) => {
    await q.query(`LOCK TABLE ${partition.name} IN ACCESS EXCLUSIVE MODE`);
    const [now] = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${partition.name}`);
    if (now?.n !== written) {
      throw new Error(
        `${partition.name} holds ${now?.n} rows, ${written} archived: archived again at the next run`,
      );
    }
    await q.query(`ALTER TABLE ${partition.table} DETACH PARTITION ${partition.name}`);
    await q.query(`DROP TABLE ${partition.name}`);
  });
  return { table: partition.table, month: partition.month, rows: written, file };
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  const input = readline.createInterface({ input: fs.createReadStream(file).pipe(zlib.createGunzip()) });
  for await (const line of input) if (line) n += 1;
  return n;
}

/**
 * Puts an archived month back: its partition created (moving in nothing: the default holds no rows
 * of an archived month) and the file's rows inserted; rows already there are skipped, so running it
 * twice does no harm. The partition is marked restored, so the retention leaves it for a while.
 */
export async function restoreMonth(db: Db, file: string, progress?: Progress): Promise<ArchivedMonth> {
  const base = path.basename(file).replace(/\.jsonl\.gz$/, '');
  const match = MONTH_SUFFIX.exec(base);
  const table = match ? base.slice(0, match.index) : '';
  if (!match || !isHistoryTable(table)) {
    throw new Error(`${file}: not a history archive (expected <table>_yYYYYmMM.jsonl.gz)`);
  }
  const month = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
  await createMonth(db, table, month);
  const total = await countLines(file);
  let done = 0;
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await db.query(
      `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb) ON CONFLICT DO NOTHING`,
      [`[${batch.join(',')}]`],
    );
    done += batch.length;
    batch = [];
    progress?.(done, total);
  };
  const input = readline.createInterface({ input: fs.createReadStream(file).pipe(zlib.createGunzip()) });
  for await (const line of input) {
    if (!line) continue;
    batch.push(line);
    if (batch.length >= BATCH_ROWS) await flush();
  }
  await flush();
  const name = partitionName(table, month);
  await db.query(`COMMENT ON TABLE ${name} IS 'restored ${new Date().toISOString()}'`);
  return { table, month: monthLabel(month), rows: done, file };
}
