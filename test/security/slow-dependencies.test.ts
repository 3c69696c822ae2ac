import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { NotifyReceiver } from '../support/receiver.ts';

/** Milliseconds one GET takes, and its status. */
async function timed(url: string): Promise<{ ms: number; status: number; body: unknown }> {
  const started = performance.now();
  const response = await fetch(url);
  const body = await response.json();
  return { ms: performance.now() - started, status: response.status, body };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * A merchant endpoint that accepts connections and never answers: only the delivery timeout ends a
 * request to it. `open` counts the connections it holds.
 */
function hangingEndpoint() {
  const server = http.createServer(() => {});
  const open = new Set<unknown>();
  server.on('connection', (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  return {
    open: () => open.size,
    /** Listens on `host` (0.0.0.0: every 127/8 address reaches it); resolves to its port. */
    async listen(host: string): Promise<number> {
      await new Promise<void>((resolve) => server.listen(0, host, resolve));
      return (server.address() as AddressInfo).port;
    },
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Slow or hanging parties must not slow what does not depend on them. */
describe.each(testDatabases)('slow channels and hanging merchants, on $kind', (database) => {
  let t: TestPlatform;
  const receiver = new NotifyReceiver();
  const hanging = hangingEndpoint();
  let hangingBase = '';

  beforeAll(async () => {
    t = await startTestPlatform(database, {
      // The channel takes 5 s per create; the platform waits for it.
      channelTimeoutMs: 10_000,
      // QY_NOTIFY_TIMEOUT_MS: a hanging merchant holds a delivery slot this long.
      notifyTimeoutMs: 3_000,
    });
    await receiver.start();
    hangingBase = `http://127.0.0.1:${await hanging.listen('127.0.0.1')}`;
  });
  afterAll(async () => {
    await hanging.close();
    await t?.stop();
    await receiver.stop();
  });

  it('/readyz answers in under 100 ms while 50 creates wait 5 s each for the channel', async () => {
    for (const id of t.channelAccountIds)
      await t.platform.services.catalog.updateChannelAccount(id, {
        config: { faults: { createDelayMs: 5_000 } },
      });
    try {
      let answered = 0;
      const creates = Array.from({ length: 50 }, (_, i) =>
        t.client
          .createOrder({ mchOrderNo: `SLOW-${i}`, productCode: 'sandbox_qr', amount: 100, subject: 'slow' })
          .finally(() => {
            answered++;
          }),
      );
      try {
        // Every create has recorded its order and is waiting for the channel (recorded just before the call).
        await eventually(async () => {
          const [row] = await t.platform.services.db.query<{ n: bigint }>(
            `SELECT count(*) AS n FROM pay_order WHERE mch_order_no LIKE 'SLOW-%' AND state = 'created'`,
          );
          return row!.n === 50n ? true : undefined;
        });
        const probes = [];
        for (let i = 0; i < 9; i++) probes.push(await timed(`${t.platform.url}/readyz`));
        const answeredDuringProbes = answered;

        expect(probes.map((p) => p.status)).toEqual(Array(9).fill(200));
        expect(probes[0]!.body).toEqual({ status: 'ready', database: database.kind, pid: process.pid });
        expect(median(probes.map((p) => p.ms))).toBeLessThan(100);
        // The probes ran while the creates were held at the channel, not after.
        expect(answeredDuringProbes).toBeLessThan(25);
      } finally {
        // The creates end when the channel answers (or, on a starved machine, after its timeout).
        await Promise.allSettled(creates);
      }
    } finally {
      for (const id of t.channelAccountIds)
        await t.platform.services.catalog.updateChannelAccount(id, { config: { faults: {} } });
    }
  });

  it("1 000 notifies to a merchant endpoint that hangs do not hold up another merchant's notify", async () => {
    // An endpoint is where a notify goes (scheme, host, port): here one merchant server that hangs,
    // with 1 000 notifies due on distinct paths, more than the node's 512 delivery slots.
    const { merchant } = t.demo;
    const app = (await t.platform.services.merchants.appKeys(merchant.appId))!;
    await t.platform.services.db.tx((q) =>
      t.platform.services.notify.enqueueMany(
        q,
        Array.from({ length: 1_000 }, (_, i) => ({
          merchantId: app.merchantId,
          appId: merchant.appId,
          orderId: null,
          eventType: 'order.paid',
          idempotencyKey: `hanging-${i}`,
          url: `${hangingBase}/merchant-${i}/notify`,
          body: { event: 'order.paid', n: i },
        })),
      ),
    );
    t.platform.services.notify.wake();
    // The pipeline has taken the hanging notifies in hand before the other merchant's payment.
    await eventually(() => (hanging.open() >= 100 ? true : undefined), 45_000, 'hanging deliveries');

    const order = await t.client.createOrder({
      mchOrderNo: 'NOT-HANGING',
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'flows',
      notifyUrl: receiver.url,
    });
    const paidAt = Date.now();
    expect(await payOnSandbox(order.payData!.value)).toBe(200);
    await eventually(() => receiver.forOrder(order.orderNo)[0], 30_000, 'the other merchant’s notify');
    // Without a per-endpoint share, the 1 000 hanging notifies take every slot for several 3 s
    // timeouts in a row before this one is even claimed.
    expect(Date.now() - paidAt).toBeLessThan(2_500);
    // The hanging endpoint holds only its share of the node's slots.
    expect(hanging.open()).toBeLessThanOrEqual(256);
  });
});

/**
 * 1 000 merchants whose notify endpoints all hang (1 000 distinct hosts, more than the node's 512
 * delivery slots): the per-endpoint share cannot help here, so what bounds another merchant's wait
 * is the delivery timeout. It must still flow, after at most about one timeout, and every hanging
 * notify must be recorded as a failed attempt and kept for its retry, not lost.
 */
describe.each(testDatabases)('1 000 hanging notify endpoints, on $kind', (database) => {
  const NOTIFY_TIMEOUT_MS = 2_000;
  let t: TestPlatform;
  const receiver = new NotifyReceiver();
  const hanging = hangingEndpoint();
  let port = 0;

  beforeAll(async () => {
    // Retries far apart, so the second round of the hanging notifies does not overlap this test.
    t = await startTestPlatform(database, {
      notifyTimeoutMs: NOTIFY_TIMEOUT_MS,
      notifyScheduleSeconds: [0, 600],
    });
    await receiver.start();
    // Every 127/8 address reaches the loopback interface: one server answers (never) for 1 000 hosts.
    port = await hanging.listen('0.0.0.0');
  });
  afterAll(async () => {
    await hanging.close();
    await t?.stop();
    await receiver.stop();
  });

  it("do not stop another merchant's notify, and each is kept for its retry", async () => {
    const { merchant } = t.demo;
    const app = (await t.platform.services.merchants.appKeys(merchant.appId))!;
    const host = (i: number) => `127.${1 + (i >> 7)}.0.${1 + (i & 127)}`;
    await t.platform.services.db.tx((q) =>
      t.platform.services.notify.enqueueMany(
        q,
        Array.from({ length: 1_000 }, (_, i) => ({
          merchantId: app.merchantId,
          appId: merchant.appId,
          orderId: null,
          eventType: 'order.paid',
          idempotencyKey: `hanging-host-${i}`,
          url: `http://${host(i)}:${port}/notify`,
          body: { event: 'order.paid', n: i },
        })),
      ),
    );
    t.platform.services.notify.wake();
    await eventually(() => (hanging.open() >= 400 ? true : undefined), 45_000, 'hanging deliveries');

    const order = await t.client.createOrder({
      mchOrderNo: 'NOT-HANGING-HOSTS',
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'flows',
      notifyUrl: receiver.url,
    });
    const paidAt = Date.now();
    expect(await payOnSandbox(order.payData!.value)).toBe(200);
    await eventually(() => receiver.forOrder(order.orderNo)[0], 30_000, 'the other merchant’s notify');
    // Every slot may be held by a hanging endpoint when the payment lands: the wait is about one
    // delivery timeout (plus a loaded machine's slack), not one timeout per 512 hanging merchants.
    expect(Date.now() - paidAt).toBeLessThan(2 * NOTIFY_TIMEOUT_MS + 3_000);

    // Nothing is lost: each hanging notify has its failed attempt and waits for its next one.
    await eventually(
      async () => {
        const [row] = await t.platform.services.db.query<{ attempted: bigint; waiting: bigint }>(
          `SELECT count(DISTINCT a.task_id) AS attempted,
                  count(DISTINCT t.id) FILTER (WHERE t.state = 'pending') AS waiting
             FROM notify_task t LEFT JOIN notify_attempt a ON a.task_id = t.id
            WHERE t.idempotency_key LIKE 'hanging-host-%'`,
        );
        return row!.attempted === 1_000n ? row : undefined;
      },
      30_000,
      'a failed attempt recorded for every hanging notify',
    ).then((row) => expect(row.waiting).toBe(1_000n));
  });
});
