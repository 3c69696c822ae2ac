import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingyunApiError, verifyNotify } from '../sdk/index.ts';
import { ledgerReport } from '../src/app/platform.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

describe.each(testDatabases)('one payment end to end on $kind', (database) => {
  let t: TestPlatform;
  const receiver = new NotifyReceiver();

  beforeAll(async () => {
    t = await startTestPlatform(database);
    await receiver.start();
  });
  afterAll(async () => {
    await t.stop();
    await receiver.stop();
  });

  it('creates, pays on the sandbox page, posts the ledger and delivers a signed notify', async () => {
    const created = await t.client.createOrder({
      mchOrderNo: 'FLOW-1',
      productCode: 'sandbox_qr',
      amount: 12_345,
      subject: '测试商品 Test item',
      notifyUrl: receiver.url,
    });
    expect(created).toMatchObject({ mchOrderNo: 'FLOW-1', state: 'paying', amount: 12_345, currency: 'CNY' });
    expect(created.orderNo).toMatch(/^P\d{20}$/);
    expect(created.payData?.type).toBe('url');
    // The cashier link carries the order's token (test/security/cashier-links.test.ts).
    expect(created.cashierUrl).toBe(
      `${t.platform.url}${t.platform.services.orders.cashierPath(created.orderNo)}`,
    );
    expect(created.cashierUrl).toMatch(/\/cashier\/P\d{20}\/[\w-]{32}$/);

    const page = await (await fetch(created.payData!.value)).text();
    expect(page).toContain('¥123.45');
    const cashier = await (await fetch(created.cashierUrl)).text();
    expect(cashier).toContain('¥123.45');
    expect(cashier).toContain('<svg');

    expect(await payOnSandbox(created.payData!.value)).toBe(200);

    const notify = await eventually(
      () => receiver.forOrder(created.orderNo)[0],
      10_000,
      'the merchant notify',
    );
    const verification = verifyNotify(notify.headers, notify.body, {
      type: 'HMAC-SHA256',
      secret: t.demo.merchant.appSecret,
    });
    expect(verification).toEqual({ ok: true });
    const body = JSON.parse(notify.body);
    // 12 345 × 0.6 % = 74.07 → 74 fen
    expect(body).toMatchObject({
      event: 'order.paid',
      orderNo: created.orderNo,
      state: 'paid',
      amount: 12_345,
      fee: 74,
    });
    expect(notify.headers['x-qy-app']).toBe(t.demo.merchant.appId);

    const paid = await t.client.getOrder(created.orderNo);
    expect(paid).toMatchObject({ state: 'paid', fee: 74 });
    expect(paid.paidAt).not.toBeNull();
    expect(paid.channelOrderNo).toMatch(/^SB/);
    expect(await t.client.getOrderByMchOrderNo('FLOW-1')).toMatchObject({
      orderNo: created.orderNo,
      state: 'paid',
    });

    const pending = await t.platform.services.ledger.balanceOf({
      kind: 'merchant_pending',
      ownerId: (await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo)).id,
      currency: 'CNY',
    });
    expect(pending).toBe(12_345n - 74n);
    const report = await ledgerReport(t.platform.services);
    expect(report).toMatchObject({ ok: true, paidOrders: '1', paymentTransactions: '1' });

    // The notify is acknowledged once and never sent again.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(receiver.forOrder(created.orderNo)).toHaveLength(1);
  });

  it('serves health, readiness and the OpenAPI description of our API, not the sandbox one', async () => {
    expect(await (await fetch(`${t.platform.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${t.platform.url}/readyz`)).json()).toEqual({
      status: 'ready',
      database: database.kind,
      pid: process.pid,
    });
    const openapi = await (await fetch(`${t.platform.url}/docs/json`)).json();
    const paths = Object.keys(openapi.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/orders',
        '/api/v1/orders/{orderNo}',
        '/api/v1/orders/{orderNo}/close',
      ]),
    );
    expect(paths.filter((p) => p.startsWith('/sandbox'))).toEqual([]);
    expect((await fetch(`${t.platform.url}/cashier/P00000000000000000000`)).status).toBe(404);
  });

  it('returns the same order for a same-body retry and refuses a changed one', async () => {
    const request = {
      mchOrderNo: 'IDEM-1',
      productCode: 'sandbox_qr',
      amount: 500,
      subject: 'retry',
      notifyUrl: receiver.url,
    };
    const first = await t.client.createOrder(request);
    const again = await t.client.createOrder({ ...request });
    expect(again.orderNo).toBe(first.orderNo);
    const changed = await t.client.createOrder({ ...request, amount: 501 }).catch((e: unknown) => e);
    expect(changed).toBeInstanceOf(QingyunApiError);
    expect(changed).toMatchObject({ status: 409, code: 'IDEMPOTENCY_CONFLICT' });
  });

  it('closes an unpaid order at the channel first, and then it cannot be paid there', async () => {
    const order = await t.client.createOrder({
      mchOrderNo: 'CLOSE-1',
      productCode: 'sandbox_qr',
      amount: 300,
      subject: 'close me',
    });
    const closed = await t.client.closeOrder(order.orderNo);
    expect(closed.state).toBe('closed');
    await payOnSandbox(order.payData!.value);
    expect((await t.client.getOrder(order.orderNo)).state).toBe('closed');
    // Closing again is harmless; closing a paid order is refused.
    expect((await t.client.closeOrder(order.orderNo)).state).toBe('closed');
    const paid = await t.client.getOrderByMchOrderNo('FLOW-1');
    await expect(t.client.closeOrder(paid.orderNo)).rejects.toMatchObject({
      status: 409,
      code: 'ORDER_STATE_INVALID',
    });
  });

  it('records a payment that arrives after close as paid, with an alert on the timeline', async () => {
    const order = await t.client.createOrder({
      mchOrderNo: 'LATE-1',
      productCode: 'sandbox_qr',
      amount: 800,
      subject: 'late',
      notifyUrl: receiver.url,
    });
    const services = t.platform.services;
    // The channel could not be told (say it was down): we close on our side only.
    const row = await services.orders.requireByOrderNo(order.orderNo);
    await services.db.query(`UPDATE pay_order SET state = 'closed', closed_at = now() WHERE id = $1`, [
      row.id,
    ]);
    await payOnSandbox(order.payData!.value);
    const paid = await eventually(async () => {
      const o = await t.client.getOrder(order.orderNo);
      return o.state === 'paid' ? o : undefined;
    });
    expect(paid.state).toBe('paid');
    const events = await services.orders.eventsOf(row);
    expect(events.find((e) => e.kind === 'late_payment')?.alert).toBe(true);
    await eventually(() => receiver.forOrder(order.orderNo)[0], 10_000, 'late notify');
    expect((await ledgerReport(services)).ok).toBe(true);
  });

  it('fails over to the other channel account when the first refuses', async () => {
    const [first, second] = t.channelAccountIds as [bigint, bigint];
    const catalog = t.platform.services.catalog;
    await catalog.updateChannelAccount(first, { config: { faults: { refuseCreate: true } } });
    try {
      for (let i = 0; i < 5; i++) {
        const order = await t.client.createOrder({
          mchOrderNo: `FAILOVER-${i}`,
          productCode: 'sandbox_qr',
          amount: 200,
          subject: 'failover',
        });
        expect(order.state).toBe('paying');
        const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
        expect(row.channel_account_id).toBe(second);
        // Cost follows the account that took the order: 200 × 0.45 % = 0.9 → 1 fen.
        expect(row.channel_rate_ppm).toBe(4500);
      }
      await catalog.updateChannelAccount(second, { config: { faults: { refuseCreate: true } } });
      const failed = await t.client.createOrder({
        mchOrderNo: 'FAILOVER-ALL',
        productCode: 'sandbox_qr',
        amount: 200,
        subject: 'all refuse',
      });
      expect(failed.state).toBe('failed');
      expect(failed.failure?.code).toBe('CHANNEL_REFUSED');
    } finally {
      await catalog.updateChannelAccount(first, { config: {} });
      await catalog.updateChannelAccount(second, { config: {} });
    }
  });
});
