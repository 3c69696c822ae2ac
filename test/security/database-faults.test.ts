import net from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { QingyunApiError } from '../../sdk/index.ts';
import { signRequest } from '../../sdk/signing.ts';
import { ledgerReport } from '../../src/app/platform.ts';
import { type Db, openPostgres } from '../../src/db/index.ts';
import { isDatabaseUnavailable } from '../../src/db/unavailable.ts';
import { NOTIFY_LEASE_SECONDS } from '../../src/notify/service.ts';
import { postgresOnly, type TestDatabase } from '../support/databases.ts';
import { intercepted } from '../support/faulty-db.ts';
import {
  eventually,
  payOnSandbox,
  postChannelNotify,
  sandboxPaidNotify,
  startTestPlatform,
} from '../support/platform.ts';
import { NotifyReceiver } from '../support/receiver.ts';

// A load of 300 orders with a database outage in the middle, on a loaded 2-core machine, and up
// to a notify lease after the outage (see the end of the restart test).
vi.setConfig({ testTimeout: 180_000 });

/** Runs one statement on its own connection (the test's side, not the platform's). */
async function adminQuery<Row>(url: string, sql: string, params: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Row[];
  } finally {
    await client.end();
  }
}

const databaseName = (url: string) => new URL(url).pathname.slice(1);

/**
 * A TCP proxy between the platform and PostgreSQL that the test cuts and restores: while cut,
 * connections are refused and every open one is dropped, as during a server restart.
 */
class CuttableProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(from);
        from.on('close', () => {
          this.sockets.delete(from);
          to.destroy();
        });
        from.on('error', () => to.destroy());
        from.pipe(to);
      }
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Stops accepting (connections are refused) and drops every open connection. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    const closed = new Promise((resolve) => server?.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  urlFor(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }
}

const postgres = postgresOnly[0];

/**
 * Errors nothing handled while the test ran. In production each would have ended the process
 * (Node's default for an unhandled 'error' event); here the test fails on them explicitly.
 */
function watchUncaught(): { errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const record = (error: unknown) => errors.push(error);
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  return {
    errors,
    stop() {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
    },
  };
}

describe.skipIf(!postgres)('PostgreSQL going away under the platform', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  /** The platform on a scratch database, its Db made by `wrap`; `url` reaches the database directly. */
  async function platformOn(wrap: (url: string, direct: Db) => Db, overrides = {}) {
    const scratch = await postgres!.open();
    cleanups.push(() => scratch.dispose());
    const database: TestDatabase = {
      kind: 'postgres',
      open: async () => ({ db: wrap(scratch.url!, scratch.db), url: scratch.url, dispose: async () => {} }),
    };
    const t = await startTestPlatform(database, overrides);
    cleanups.push(() => t.stop());
    return { t, url: scratch.url!, direct: scratch.db };
  }

  it('a transaction whose backend is terminated fails alone with 503; the process lives and the next request succeeds', async () => {
    const uncaught = watchUncaught();
    cleanups.push(async () => uncaught.stop());
    // Holds the next payment transaction open between BEGIN and its first statement.
    let hold: Promise<void> | null = null;
    let holding: (() => void) | null = null;
    const { t, url } = await platformOn((_url, direct) =>
      intercepted(direct, async (text, _params, inTx) => {
        if (!hold || !inTx || !text.includes("SET state = 'paid', paid_at")) return;
        const waitFor = hold;
        hold = null;
        holding?.();
        await waitFor;
      }),
    );
    const order = await t.client.createOrder({
      mchOrderNo: 'TERMINATED-1',
      productCode: 'sandbox_qr',
      amount: 800,
      subject: 'terminated',
    });
    let release = () => {};
    hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const notify = await sandboxPaidNotify(t, order.orderNo, 'nonce-terminated-1');
    const answer = fetch(notify.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: notify.body,
    });
    await held;

    // The platform's backend in that transaction, as an operator would find it.
    const [backend] = await eventually(async () => {
      const rows = await adminQuery<{ pid: number }>(
        url,
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state = 'idle in transaction' AND pid <> pg_backend_pid()`,
        [databaseName(url)],
      );
      return rows.length === 1 ? rows : undefined;
    });
    await adminQuery(url, 'SELECT pg_terminate_backend($1)', [backend!.pid]);
    // The server's FATAL reaches the idle client now: before the fix, an unhandled 'error' ended the process here.
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();

    const response = await answer;
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect((await t.platform.services.orders.requireByOrderNo(order.orderNo)).state).toBe('paying');

    // The channel's retry: the pool has dropped the dead client and the payment goes through once.
    const retried = await postChannelNotify(await sandboxPaidNotify(t, order.orderNo, 'nonce-terminated-2'));
    expect(retried).toMatch(/^200 /);
    const paid = await t.client.getOrder(order.orderNo);
    expect(paid.state).toBe('paid');
    const report = await ledgerReport(t.platform.services);
    expect(report.problems).toEqual([]);
    expect(report.paymentTransactions).toBe('1');
    expect(uncaught.errors).toEqual([]);
  });

  it('a restart during 300 creates and notifies: only 503s while it is away, then it recovers by itself; nothing paid is lost or doubled', async () => {
    const uncaught = watchUncaught();
    cleanups.push(async () => uncaught.stop());
    const receiver = await new NotifyReceiver().start();
    cleanups.push(() => receiver.stop());
    const admin = new URL(process.env.TEST_DATABASE_URL!);
    const proxy = new CuttableProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
    await proxy.start();
    cleanups.push(() => proxy.cut());
    const { t, url, direct } = await platformOn((scratchUrl) => openPostgres(proxy.urlFor(scratchUrl), 20), {
      orderQueryScheduleSeconds: [1],
      notifyScheduleSeconds: [0, 1, 1, 2, 2, 5, 5],
    });
    cleanups.push(() => t.platform.services.db.close());
    // The sandbox channel keeps its payments in this same database, so while it is away the
    // sandbox fails the creates already in flight, and enough of them in a row open its circuits
    // (then creates get NO_CHANNEL_AVAILABLE until the open period ends). A real channel does not go
    // down with the platform's database; the breaker has its own tests (channel-health).
    for (const id of t.channelAccountIds) {
      await t.platform.services.health.setSettings(id, { failureThreshold: 1000, openBelowPercent: 0 });
    }

    // Every answer the platform gave, with when it came: creates, notifies, readiness.
    const answers: { status: number; at: number; what: string }[] = [];
    const outage = { from: Number.POSITIVE_INFINITY, to: Number.POSITIVE_INFINITY };
    /** Runs `call` until it succeeds, as a merchant or a channel retries after a 503. */
    async function untilDone<T>(what: string, call: () => Promise<T>): Promise<T> {
      for (;;) {
        try {
          const value = await call();
          answers.push({ status: 200, at: Date.now(), what });
          return value;
        } catch (error) {
          const status =
            error instanceof QingyunApiError ? error.status : isDatabaseUnavailable(error) ? 503 : 0;
          answers.push({ status, at: Date.now(), what });
          if (status !== 503) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    }

    const paidAtChannel = new Set<string>();
    let finished = 0;
    async function orderFlow(i: number) {
      const order = await untilDone('create', () =>
        t.client.createOrder({
          mchOrderNo: `LOAD-${i}`,
          productCode: 'sandbox_qr',
          amount: 100 + i,
          subject: 'load',
          notifyUrl: receiver.url,
        }),
      );
      expect(order.payData).not.toBeNull();
      // The sandbox keeps its payments in the platform's database: while it is away the pay page
      // answers 503 too, and the payer presses again.
      await untilDone('pay', async () => {
        const status = await payOnSandbox(order.payData!.value);
        if (status !== 200) throw new QingyunApiError(status, 'PAY_PAGE', `pay page answered ${status}`);
      });
      paidAtChannel.add(order.orderNo);
      // The channel's own notify may be lost in the outage; post its retry too, as a channel would.
      const notify = await untilDone('read order', () => sandboxPaidNotify(t, order.orderNo, `n-${i}`));
      await untilDone('channel notify', async () => {
        const answer = await postChannelNotify(notify);
        if (answer.startsWith('503 ')) throw new QingyunApiError(503, 'DATABASE_UNAVAILABLE', answer);
        if (!answer.startsWith('200 '))
          throw new QingyunApiError(Number(answer.slice(0, 3)), 'NOTIFY', answer);
      });
      finished++;
    }

    async function restartAfter(orders: number) {
      await eventually(() => (finished >= orders ? true : undefined), 60_000, `${orders} orders`);
      outage.from = Date.now();
      await proxy.cut();
      // As a fast shutdown does: every backend of the platform's database is terminated (57P01).
      await adminQuery(
        url,
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [databaseName(url)],
      );
      // A merchant's call while it is away: 503, a stable code and when to come back.
      const path = '/api/v1/orders?mchOrderNo=LOAD-0';
      const away = await fetch(`${t.platform.url}${path}`, {
        headers: signRequest({
          method: 'GET',
          pathWithQuery: path,
          body: '',
          mchNo: t.demo.merchant.mchNo,
          appId: t.demo.merchant.appId,
          key: { type: 'HMAC-SHA256', secret: t.demo.merchant.appSecret },
        }),
      });
      expect(away.status).toBe(503);
      expect(away.headers.get('retry-after')).toBe('5');
      expect(await away.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      const probe = await fetch(`${t.platform.url}/readyz`);
      expect(probe.status).toBe(503);
      expect(await probe.json()).toEqual({ status: 'unavailable', reason: 'database unavailable' });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await proxy.start();
      outage.to = Date.now();
    }

    let next = 0;
    const workers = Array.from({ length: 20 }, async () => {
      while (next < 300) await orderFlow(next++);
    });
    await Promise.all([...workers, restartAfter(100)]);
    expect(outage.to).toBeLessThan(Number.POSITIVE_INFINITY);

    // Nothing but success and 503, and 503 only while the database was away (or just after, for a
    // request that started before it was back).
    expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
    const unavailable = answers.filter((a) => a.status === 503);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const a of unavailable) {
      expect(a.at).toBeGreaterThanOrEqual(outage.from);
      expect(a.at).toBeLessThan(outage.to + 2_000);
    }
    expect((await fetch(`${t.platform.url}/readyz`)).status).toBe(200);

    // Every order the channel took money for is paid, exactly once, and the ledger agrees.
    expect(paidAtChannel.size).toBe(300);
    const rows = await direct.query<{ state: string; paid_events: bigint; notifies: bigint }>(
      `SELECT o.state,
         (SELECT count(*) FROM order_event e WHERE e.order_id = o.id AND e.kind = 'paid') AS paid_events,
         (SELECT count(*) FROM notify_task n WHERE n.order_id = o.id) AS notifies
       FROM pay_order o WHERE o.order_no = ANY($1::text[])`,
      [[...paidAtChannel]],
    );
    expect(rows).toHaveLength(300);
    expect(rows.filter((r) => r.state !== 'paid' || r.paid_events !== 1n || r.notifies !== 1n)).toEqual([]);
    const report = await ledgerReport(t.platform.services);
    expect(report.problems).toEqual([]);
    expect(report.paymentTransactions).toBe('300');

    // The worker came back by itself: every merchant notify goes out. What it knows it left undone
    // (attempts not recorded, notifies not sent) goes on as soon as the database is back. But a
    // claim the database committed as the cut came, its answer lost, leaves those notifies to
    // nobody until their lease runs out, as after a crash: that is what the product promises for
    // them, so the wait reaches past the lease of a claim taken at the cut (then the back-off, at
    // most 5 s, and the delivery).
    const leaseOfClaimAtCut = outage.from + NOTIFY_LEASE_SECONDS * 1000 + 15_000;
    const notified = () => [...paidAtChannel].every((no) => receiver.forOrder(no).length > 0);
    await eventually(
      () => (notified() ? true : undefined),
      Math.max(30_000, leaseOfClaimAtCut - Date.now()),
      'every merchant notify after the restart',
    ).catch(async (error: Error) => {
      const missing = [...paidAtChannel].filter((no) => receiver.forOrder(no).length === 0);
      const tasks = await direct.query(
        `SELECT o.order_no, n.state, n.attempts, n.next_attempt_at, now() AS now, n.last_error
         FROM pay_order o JOIN notify_task n ON n.order_id = o.id WHERE o.order_no = ANY($1::text[])`,
        [missing],
      );
      throw new Error(
        `${error.message}; cut at ${new Date(outage.from).toISOString()}; not notified: ${JSON.stringify(tasks)}`,
      );
    });
    expect(uncaught.errors).toEqual([]);
  });
});
