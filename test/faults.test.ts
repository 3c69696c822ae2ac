import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ledgerReport } from '../src/app/platform.ts';
import { operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

describe.each(testDatabases)('faults on $kind', (database) => {
  let t: TestPlatform;
  const receiver = new NotifyReceiver();

  beforeAll(async () => {
    // Paying orders are asked about every second here, and notifies retried after 1 s, four times.
    t = await startTestPlatform(database, {
      orderQueryScheduleSeconds: [1],
      notifyScheduleSeconds: [0, 1, 1, 1],
    });
    await receiver.start();
  });
  afterAll(async () => {
    await t.stop();
    await receiver.stop();
  });
  afterEach(() => {
    receiver.answer = () => ({ status: 200, body: 'success' });
  });

  const setFaults = async (faults: Record<string, unknown>) => {
    for (const id of t.channelAccountIds)
      await t.platform.services.catalog.updateChannelAccount(id, { config: { faults } });
  };
  const paidOrder = (orderNo: string) =>
    eventually(
      async () => {
        const order = await t.client.getOrder(orderNo);
        return order.state === 'paid' ? order : undefined;
      },
      10_000,
      `order ${orderNo} paid`,
    );

  it('delivers the notify on a later attempt when the merchant is down, and records every attempt', async () => {
    receiver.answer = (n) =>
      n < 2 ? { status: 503, body: 'down for maintenance' } : { status: 200, body: 'SUCCESS\n' };
    const order = await t.client.createOrder({
      mchOrderNo: 'DOWN-1',
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'down',
      notifyUrl: receiver.url,
    });
    await payOnSandbox(order.payData!.value);
    await eventually(
      () => (receiver.forOrder(order.orderNo).length === 3 ? true : undefined),
      10_000,
      'three attempts',
    );
    const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
    const [task] = await eventually(async () => {
      const history = await t.platform.services.notify.historyOfOrder(row.id);
      return history[0]?.state === 'succeeded' ? history : undefined;
    });
    expect(task!.attempts).toBe(3);
    expect(task!.history.map((a) => a.httpStatus)).toEqual([503, 503, 200]);
  });

  it('keeps delivering to other merchants while one merchant hangs', async () => {
    const hanging = http.createServer(() => {
      // Never answers: only the delivery timeout ends these requests.
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/notify`;
    try {
      for (let i = 0; i < 3; i++) {
        const order = await t.client.createOrder({
          mchOrderNo: `HANG-${i}`,
          productCode: 'sandbox_qr',
          amount: 100,
          subject: 'hang',
          notifyUrl: hangingUrl,
        });
        await payOnSandbox(order.payData!.value);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = Date.now();
      const order = await t.client.createOrder({
        mchOrderNo: 'AFTER-HANG',
        productCode: 'sandbox_qr',
        amount: 100,
        subject: 'fast',
        notifyUrl: receiver.url,
      });
      await payOnSandbox(order.payData!.value);
      await eventually(() => receiver.forOrder(order.orderNo)[0], 5_000, 'the notify to the fast merchant');
      // Well inside the 10 s the hanging merchant holds its own deliveries.
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });

  it('gives up after the schedule, then a resend from the operator API delivers it', async () => {
    receiver.answer = () => ({ status: 200, body: 'not the word we want' });
    const order = await t.client.createOrder({
      mchOrderNo: 'GIVEUP-1',
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'x',
      notifyUrl: receiver.url,
    });
    await payOnSandbox(order.payData!.value);
    const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
    await eventually(
      async () =>
        (await t.platform.services.notify.historyOfOrder(row.id))[0]?.state === 'failed' ? true : undefined,
      15_000,
      'notify failed',
    );
    expect(receiver.forOrder(order.orderNo)).toHaveLength(4);

    receiver.answer = () => ({ status: 200, body: 'success' });
    const operator = await operatorConsole(t);
    const resend = await operator.send('POST', `/api/admin/orders/${order.orderNo}/notify/resend`);
    expect(resend.body).toEqual({ queued: 1 });
    await eventually(
      () => (receiver.forOrder(order.orderNo).length === 5 ? true : undefined),
      10_000,
      'resent notify',
    );
    // The attempt is recorded just after the merchant answers.
    const detail = await eventually(async () => {
      const d = await operator.ok<{
        notifies: { state: string; attempts: number }[];
        events: { kind: string }[];
      }>('GET', `/api/admin/orders/${order.orderNo}`);
      return d.notifies[0]?.state === 'succeeded' ? d : undefined;
    });
    expect(detail.notifies[0]!.attempts).toBe(5);
    expect(detail.events.map((e) => e.kind)).toContain('notify_resend');
  });

  it('finds a payment whose channel notify was dropped by querying the paying order', async () => {
    await setFaults({ dropNotify: true });
    try {
      const order = await t.client.createOrder({
        mchOrderNo: 'DROP-1',
        productCode: 'sandbox_qr',
        amount: 2_500,
        subject: 'drop',
        notifyUrl: receiver.url,
      });
      await payOnSandbox(order.payData!.value);
      const paid = await paidOrder(order.orderNo);
      expect(paid.paidAt).not.toBeNull();
      const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
      const events = await t.platform.services.orders.eventsOf(row);
      expect(events.find((e) => e.kind === 'paid')?.detail).toMatchObject({ source: 'query' });
      expect(await t.platform.services.orders.channelNotifiesOf(row)).toHaveLength(0);
      await eventually(() => receiver.forOrder(order.orderNo)[0], 10_000, 'merchant notify');
    } finally {
      await setFaults({});
    }
  });

  it('"I paid but it still says in progress": a sync asks the channel now and records the payment', async () => {
    await setFaults({ dropNotify: true });
    const services = t.platform.services;
    try {
      const order = await t.client.createOrder({
        mchOrderNo: 'SYNC-1',
        productCode: 'sandbox_qr',
        amount: 1_200,
        subject: 'sync',
        notifyUrl: receiver.url,
      });
      // Keep the scheduled query away: only the sync can find the payment.
      await services.db.query(
        `UPDATE pay_order SET next_query_at = now() + interval '1 hour' WHERE order_no = $1`,
        [order.orderNo],
      );
      const unpaid = await t.client.call<{ state: string }>(
        'POST',
        `/api/v1/orders/${order.orderNo}/sync`,
        {},
      );
      expect(unpaid.state).toBe('paying');
      await payOnSandbox(order.payData!.value);
      const synced = await t.client.syncOrder(order.orderNo);
      expect(synced.state).toBe('paid');
      expect(synced.paidAt).not.toBeNull();
      const row = await services.orders.requireByOrderNo(order.orderNo);
      const events = await services.orders.eventsOf(row);
      expect(events.filter((e) => e.kind === 'synced').map((e) => e.detail.channelStatus)).toEqual([
        'pending',
        'paid',
      ]);
      expect(events.find((e) => e.kind === 'paid')?.detail).toMatchObject({ source: 'query' });
      await eventually(() => receiver.forOrder(order.orderNo)[0], 10_000, 'merchant notify');
    } finally {
      await setFaults({});
    }
  });

  it('applies duplicated channel notifies once', async () => {
    await setFaults({ duplicateNotify: 3 });
    try {
      const order = await t.client.createOrder({
        mchOrderNo: 'DUP-1',
        productCode: 'sandbox_qr',
        amount: 700,
        subject: 'dup',
        notifyUrl: receiver.url,
      });
      await payOnSandbox(order.payData!.value);
      await paidOrder(order.orderNo);
      const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
      const notifies = await eventually(async () => {
        const n = await t.platform.services.orders.channelNotifiesOf(row);
        return n.length === 3 ? n : undefined;
      });
      expect(notifies.filter((n) => n.outcome === 'applied')).toHaveLength(1);
      expect(notifies.filter((n) => n.outcome === 'duplicate')).toHaveLength(2);
    } finally {
      await setFaults({});
    }
  });

  it('refuses a notify with the wrong amount and still finds the real payment by query', async () => {
    await setFaults({ wrongAmountDelta: 1 });
    try {
      const order = await t.client.createOrder({
        mchOrderNo: 'WRONG-1',
        productCode: 'sandbox_qr',
        amount: 1_000,
        subject: 'wrong',
        notifyUrl: receiver.url,
      });
      await payOnSandbox(order.payData!.value);
      const paid = await paidOrder(order.orderNo);
      expect(paid.amount).toBe(1_000);
      const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
      const refused = (await t.platform.services.orders.channelNotifiesOf(row)).filter(
        (n) => n.outcome === 'refused',
      );
      expect(refused[0]?.error_code).toBe('NOTIFY_AMOUNT_MISMATCH');
    } finally {
      await setFaults({});
    }
  });

  it('fails over when the first channel does not answer create in time', async () => {
    const [first] = t.channelAccountIds as [bigint];
    await t.platform.services.catalog.updateChannelAccount(first, {
      config: { faults: { createTimeout: true } },
    });
    try {
      for (let i = 0; i < 3; i++) {
        const order = await t.client.createOrder({
          mchOrderNo: `TIMEOUT-${i}`,
          productCode: 'sandbox_qr',
          amount: 100,
          subject: 'slow',
        });
        expect(order.state).toBe('paying');
        const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
        expect(row.channel_account_id).not.toBe(first);
      }
    } finally {
      await setFaults({});
    }
  });

  it('an expired order whose channel is unreachable is retried later, and closed with an alert after a day', async () => {
    const [first, second] = t.channelAccountIds as [bigint, bigint];
    const services = t.platform.services;
    await services.catalog.updateChannelAccount(second, { config: { faults: { refuseCreate: true } } });
    const recent = await t.client.createOrder({
      mchOrderNo: 'UNREACHABLE-1',
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'u',
    });
    const old = await t.client.createOrder({
      mchOrderNo: 'UNREACHABLE-2',
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'u',
    });
    const original = (await services.catalog.channelAccount(first))!.credentials;
    try {
      // The channel goes away: nothing listens on port 9.
      await services.catalog.updateChannelAccount(first, {
        credentials: { ...original, baseUrl: 'http://127.0.0.1:9/sandbox' },
      });
      await services.db.query(
        `UPDATE pay_order SET expires_at = now() - interval '1 minute', next_query_at = now() + interval '1 hour' WHERE order_no = $1`,
        [recent.orderNo],
      );
      await services.db.query(
        `UPDATE pay_order SET expires_at = now() - interval '25 hours', next_query_at = now() + interval '1 hour' WHERE order_no = $1`,
        [old.orderNo],
      );
      const closed = await eventually(async () => {
        const o = await services.orders.requireByOrderNo(old.orderNo);
        return o.state === 'closed' ? o : undefined;
      });
      const events = await services.orders.eventsOf(closed);
      expect(events.find((e) => e.kind === 'closed_unconfirmed')).toMatchObject({
        alert: true,
        detail: { channelConfirmed: false },
      });
      // The same sweep postpones the recent one (it runs in expiry order, the old one first).
      const waiting = await eventually(async () => {
        const o = await services.orders.requireByOrderNo(recent.orderNo);
        return o.sweep_after ? o : undefined;
      });
      expect(waiting.state).toBe('paying');
      expect(waiting.sweep_after!.getTime()).toBeGreaterThan(Date.now());
    } finally {
      await services.catalog.updateChannelAccount(first, { credentials: original });
      await setFaults({});
    }
  });

  it('expiry sweep asks the channel first: a paid order is paid, an unpaid one is closed at the channel', async () => {
    await setFaults({ dropNotify: true });
    const services = t.platform.services;
    try {
      const unpaid = await t.client.createOrder({
        mchOrderNo: 'EXPIRE-UNPAID',
        productCode: 'sandbox_qr',
        amount: 100,
        subject: 'e',
      });
      const paidAtChannel = await t.client.createOrder({
        mchOrderNo: 'EXPIRE-PAID',
        productCode: 'sandbox_qr',
        amount: 100,
        subject: 'e',
      });
      // Keep the scheduled query away so that only the sweep can find out.
      await services.db.query(
        `UPDATE pay_order SET next_query_at = now() + interval '1 hour' WHERE order_no = ANY($1::text[])`,
        [[unpaid.orderNo, paidAtChannel.orderNo]],
      );
      await payOnSandbox(paidAtChannel.payData!.value);
      await services.db.query(
        `UPDATE pay_order SET expires_at = now() - interval '1 second' WHERE order_no = ANY($1::text[])`,
        [[unpaid.orderNo, paidAtChannel.orderNo]],
      );
      await paidOrder(paidAtChannel.orderNo);
      const closed = await eventually(async () => {
        const o = await t.client.getOrder(unpaid.orderNo);
        return o.state === 'closed' ? o : undefined;
      });
      expect(closed.closedAt).not.toBeNull();
      // Closed at the channel too: paying there now changes nothing.
      await payOnSandbox(unpaid.payData!.value);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await t.client.getOrder(unpaid.orderNo)).state).toBe('closed');
    } finally {
      await setFaults({});
    }
    expect((await ledgerReport(services)).ok).toBe(true);
  });
});
