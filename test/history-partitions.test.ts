import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db, Queryable, SqlValue } from '../src/db/index.ts';
import {
  addMonths,
  HISTORY_TABLES,
  MONTHS_AHEAD,
  monthLabel,
  monthPartitions,
  monthStart,
  prepareMonths,
} from '../src/db/partitions.ts';
import type { HistoryService } from '../src/history/service.ts';
import * as notifyQueries from '../src/notify/queries.ts';
import * as orderQueries from '../src/orders/queries.ts';
import { type ConsoleClient, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * The history tables partitioned by month (migration 048): months prepared ahead, rows of a month
 * without its partition kept in the default and moved later, months past the retention archived
 * to a file and dropped, and an archive restored exactly.
 */
describe.each(testDatabases)('partitioned history on $kind', (database) => {
  let t: TestPlatform;
  let db: Db;
  let history: HistoryService;
  let admin: ConsoleClient;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    db = t.platform.services.db;
    history = t.platform.services.history;
    admin = await operatorConsole(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const partitionOf = async (table: string, where: string, params: unknown[] = []) =>
    (
      await db.query<{ p: string }>(
        `SELECT tableoid::regclass::text AS p FROM ${table} WHERE ${where}`,
        params as string[],
      )
    ).map((r) => r.p);

  const auditAt = async (at: Date, targetId: string) => {
    await db.query(
      `INSERT INTO audit_log (actor_area, actor_name, action, target_type, target_id, status, created_at, after)
       VALUES ('operator', 'history-test', 'history.test', 'history', $1, 200, $2, $3::jsonb)`,
      [targetId, at, JSON.stringify({ note: '含中文的记录', amount: 12345 })],
    );
  };

  it('has every table partitioned from this month through the months ahead, and new rows land in this month', async () => {
    const now = monthStart(new Date());
    for (const table of HISTORY_TABLES) {
      const months = (await history.months()).filter((m) => m.table === table).map((m) => m.month);
      for (let i = 0; i <= MONTHS_AHEAD; i++) expect(months).toContain(monthLabel(addMonths(now, i)));
    }
    // A paid order writes its order events and the channel's notify into this month's partitions.
    const order = await paidSandboxOrder(t.client, {
      mchOrderNo: `hist-${Date.now()}`,
      amount: 1234,
      subject: 'history',
    });
    const suffix = `_y${monthLabel(now).replace('-', 'm')}`;
    const orderId = String((await t.platform.services.orders.requireByOrderNo(order.orderNo)).id);
    expect(new Set(await partitionOf('order_event', 'order_id = $1', [orderId]))).toEqual(
      new Set([`order_event${suffix}`]),
    );
    await expect
      .poll(async () => partitionOf('channel_notify', 'order_id = $1', [orderId]))
      .toContain(`channel_notify${suffix}`);
  });

  it('keeps the ledger entries in month partitions that the retention never archives', async () => {
    const now = monthStart(new Date());
    const suffix = (month: Date) => `_y${monthLabel(month).replace('-', 'm')}`;
    const months = (await monthPartitions(db, 'ledger_entry')).map((p) => p.month);
    for (let i = 0; i <= MONTHS_AHEAD; i++) expect(months).toContain(monthLabel(addMonths(now, i)));

    const order = await paidSandboxOrder(t.client, {
      mchOrderNo: `hist-ledger-${Date.now()}`,
      amount: 2345,
      subject: 'ledger partitions',
    });
    const [txn] = await db.query<{ id: string }>(
      'SELECT id::text AS id FROM ledger_txn WHERE idempotency_key = $1',
      [`payment:${order.orderNo}`],
    );
    expect(txn).toBeDefined();
    expect(new Set(await partitionOf('ledger_entry', 'txn_id = $1', [txn!.id]))).toEqual(
      new Set([`ledger_entry${suffix(now)}`]),
    );

    // Entries dated in an old month without a partition (an import, a clock put right) go to the
    // default and then into their month; the retention, even at its shortest, never lists them.
    const old = addMonths(now, -20);
    await db.query(
      `INSERT INTO ledger_entry (txn_id, account_id, amount, currency, created_at)
       SELECT txn_id, account_id, amount, currency, $2 FROM ledger_entry WHERE txn_id = $1`,
      [txn!.id, new Date(old.getTime() + 3_600_000)],
    );
    await prepareMonths(db);
    expect(
      new Set(await partitionOf('ledger_entry', 'txn_id = $1 AND created_at < $2', [txn!.id, now])),
    ).toEqual(new Set([`ledger_entry${suffix(old)}`]));
    await admin.ok('PUT', '/api/admin/settings/history', { retentionMonths: 12 });
    expect((await history.months()).some((m) => (m.table as string) === 'ledger_entry')).toBe(false);
    expect((await history.archiveDue()).some((a) => (a.table as string) === 'ledger_entry')).toBe(false);
    expect((await monthPartitions(db, 'ledger_entry')).map((p) => p.month)).toContain(monthLabel(old));
    await admin.ok('PUT', '/api/admin/settings/history', { retentionMonths: 0 });
    await db.query('DELETE FROM ledger_entry WHERE txn_id = $1 AND created_at < $2', [txn!.id, now]);
    expect((await t.platform.services.ledger.check()).ok).toBe(true);
  });

  it('keeps a row of a month without a partition in the default, then moves it into the month created for it', async () => {
    const far = addMonths(monthStart(new Date()), MONTHS_AHEAD + 3);
    const at = new Date(far.getTime() + 86_400_000);
    await auditAt(at, 'far-ahead');
    expect(await partitionOf('audit_log', "target_id = 'far-ahead'")).toEqual(['audit_log_default']);

    const created = await prepareMonths(db, at);
    expect(created).toContain(`audit_log_y${monthLabel(far).replace('-', 'm')}`);
    expect(await partitionOf('audit_log', "target_id = 'far-ahead'")).toEqual([
      `audit_log_y${monthLabel(far).replace('-', 'm')}`,
    ]);
    const [left] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log_default');
    expect(left?.n).toBe(0);
    // Running again creates nothing and moves nothing.
    expect(await prepareMonths(db, at)).toEqual([]);
  });

  it('archives the months past the retention to a file, drops them, and restores them exactly', async () => {
    const old = addMonths(monthStart(new Date()), -15);
    const name = `audit_log_y${monthLabel(old).replace('-', 'm')}`;
    for (let i = 0; i < 2_500; i++) await auditAt(new Date(old.getTime() + i * 60_000), `old-${i}`);
    await prepareMonths(db);
    expect(await partitionOf('audit_log', "target_id = 'old-7'")).toEqual([name]);
    const before = await db.query<{ row: string }>(
      `SELECT to_jsonb(a)::text AS row FROM audit_log a WHERE target_id LIKE 'old-%' ORDER BY id`,
    );
    expect(before).toHaveLength(2_500);

    // Keeping everything (the default), nothing is due.
    expect((await history.months()).some((m) => m.due)).toBe(false);
    expect(await history.archiveDue()).toEqual([]);

    await admin.ok('PUT', '/api/admin/settings/history', { retentionMonths: 12 });
    const due = (await history.months()).filter((m) => m.due);
    expect(due.map((m) => m.name)).toContain(name);
    expect(due.every((m) => m.month < monthLabel(addMonths(monthStart(new Date()), -12)))).toBe(true);

    // What the retention keeps, the setting's own audit row among it.
    const recent = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_log WHERE target_id NOT LIKE 'old-%'",
    );
    const progress: number[] = [];
    const archived = await history.archiveDue(new Date(), () => (done) => progress.push(done));
    const mine = archived.find((a) => a.table === 'audit_log' && a.month === monthLabel(old));
    expect(mine?.rows).toBe(2_500);
    expect(progress.at(-1)).toBeGreaterThan(0);
    expect(fs.existsSync(mine!.file)).toBe(true);
    expect(fs.readdirSync(path.dirname(mine!.file)).filter((f) => f.includes('partial'))).toEqual([]);
    const [gone] = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_log WHERE target_id LIKE 'old-%'",
    );
    expect(gone?.n).toBe(0);
    expect((await history.months()).map((m) => m.name)).not.toContain(name);
    expect(
      await db.query("SELECT count(*)::int AS n FROM audit_log WHERE target_id NOT LIKE 'old-%'"),
    ).toEqual(recent);

    const restored = await history.restore(mine!.file);
    expect(restored).toMatchObject({ table: 'audit_log', month: monthLabel(old), rows: 2_500 });
    const after = await db.query<{ row: string }>(
      `SELECT to_jsonb(a)::text AS row FROM audit_log a WHERE target_id LIKE 'old-%' ORDER BY id`,
    );
    expect(after).toEqual(before);
    // Twice does no harm; and the retention leaves a month just restored.
    await history.restore(mine!.file);
    const [twice] = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_log WHERE target_id LIKE 'old-%'",
    );
    expect(twice?.n).toBe(2_500);
    const month = (await history.months()).find((m) => m.name === name);
    expect(month).toMatchObject({ due: false });
    expect(month?.restoredAt).toBeInstanceOf(Date);
  });

  it('refuses a retention under a year (other than 0: keep all) and changes nothing', async () => {
    await admin.ok('PUT', '/api/admin/settings/history', { retentionMonths: 0 });
    for (const retentionMonths of [5, 11, 121, -1, 1.5]) {
      const answer = await admin.send<{ code: string }>('PUT', '/api/admin/settings/history', {
        retentionMonths,
      });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('INVALID_REQUEST');
    }
    expect(await admin.ok('GET', '/api/admin/settings/history')).toEqual({ retentionMonths: 0 });
    await admin.ok('PUT', '/api/admin/settings/history', { retentionMonths: 24 });
    expect(await admin.ok('GET', '/api/admin/settings/history')).toEqual({ retentionMonths: 24 });
  });

  it('refuses a file that is not a history archive', async () => {
    await expect(history.restore('/tmp/pay_order_y2020m01.jsonl.gz')).rejects.toThrow(
      /not a history archive/,
    );
  });

  it("looks an order's history up in the months since the order was placed, not in every month kept", async () => {
    // Two years of months, as a platform that has run that long keeps them.
    const now = monthStart(new Date());
    const old = addMonths(now, -24);
    const order = await paidSandboxOrder(t.client, {
      mchOrderNo: `hist-prune-${Date.now()}`,
      amount: 3456,
      subject: 'pruned lookups',
    });
    const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
    const [task] = await db.query<{ id: string }>(
      `INSERT INTO notify_task (merchant_id, app_id, order_id, event_type, idempotency_key, url, payload, state)
       VALUES ($1, $2, $3, 'order.paid', $4, 'https://merchant.example/notify', '{}', 'failed')
       RETURNING id::text AS id`,
      [row.merchant_id, row.app_id, row.id, `prune-test-${row.id}`],
    );
    await db.query(
      "INSERT INTO order_event (order_id, kind, detail, created_at) VALUES ($1, 'prune-test', '{}', $2)",
      [row.id, old],
    );
    await db.query(
      "INSERT INTO channel_notify (raw_body, headers, outcome, created_at) VALUES ('prune-test', '{}', 'refused', $1)",
      [old],
    );
    await db.query(
      'INSERT INTO notify_attempt (task_id, attempt, duration_ms, created_at) VALUES ($1, 1, 1, $2)',
      [task!.id, old],
    );
    await prepareMonths(db);
    for (const table of ['order_event', 'channel_notify', 'notify_attempt'] as const) {
      expect((await monthPartitions(db, table)).length).toBeGreaterThanOrEqual(24 + MONTHS_AHEAD);
    }

    // Every lookup by the order (or its notify tasks) goes through a recorder that plans it as run.
    const planned: string[][] = [];
    const recorder: Queryable = {
      async query<Row>(text: string, params?: SqlValue[]) {
        planned.push(await monthsPlanned(text, params));
        return db.query<Row>(text, params);
      },
      exec: (script) => db.exec(script),
    };
    const events = await orderQueries.eventsOf(recorder, row);
    expect(events.map((e) => e.kind)).toContain('paid');
    await orderQueries.channelNotifiesOf(recorder, row);
    await orderQueries.alertKindsOf(recorder, [row]);
    await orderQueries.acknowledgeAlerts(recorder, row, null, 1n, 'prune test');
    await notifyQueries.attemptsOfTasks(recorder, [{ id: BigInt(task!.id), created_at: row.created_at }]);
    expect(planned).toHaveLength(5);
    // Each plans only the months from the order's (or the day before it) on: none of the 24 before.
    const first = monthLabel(monthStart(new Date(row.created_at.getTime() - 86_400_000)));
    for (const months of planned) {
      expect(months.length).toBeGreaterThan(0);
      expect(months.filter((m) => m < first)).toEqual([]);
    }

    // The months stay (empty) for the rest of the file: only the rows go.
    await db.query("DELETE FROM order_event WHERE kind = 'prune-test'");
    await db.query("DELETE FROM channel_notify WHERE raw_body = 'prune-test'");
    await db.query('DELETE FROM notify_attempt WHERE task_id = $1', [task!.id]);
    await db.query('DELETE FROM notify_task WHERE id = $1', [task!.id]);
  });

  /** The month partitions a statement's plan reads, as `YYYY-MM` (those pruned at planning are absent). */
  const monthsPlanned = async (text: string, params?: SqlValue[]): Promise<string[]> => {
    const [plan] = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${text}`, params);
    const json = plan!['QUERY PLAN'];
    const months: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) {
        for (const item of node) walk(item);
        return;
      }
      if (node === null || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        const month = key === 'Relation Name' && /_y(\d{4})m(\d{2})$/.exec(String(value));
        if (month) months.push(`${month[1]}-${month[2]}`);
        else walk(value);
      }
    };
    walk(typeof json === 'string' ? JSON.parse(json) : json);
    return [...new Set(months)];
  };
});
