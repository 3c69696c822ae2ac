import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from './support/databases.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

// Production settings: a merchant's notify URL may not reach the platform's own network (SSRF).
describe.each(testDatabases)('notifies to private addresses on $kind', (database) => {
  let t: TestPlatform;
  const receiver = new NotifyReceiver();

  beforeAll(async () => {
    t = await startTestPlatform(database, { notifyPrivateAddresses: false, notifyScheduleSeconds: [0, 1] });
    await receiver.start();
  });
  afterAll(async () => {
    await t.stop();
    await receiver.stop();
  });

  it.each([
    ['an IP literal', () => receiver.url],
    ['a name that resolves to loopback', () => receiver.url.replace('127.0.0.1', 'localhost')],
  ])('are refused for %s, recorded as failed attempts, and never sent', async (_what, url) => {
    const order = await t.client.createOrder({
      mchOrderNo: `SSRF-${Date.now()}`,
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'ssrf',
      notifyUrl: url(),
    });
    await payOnSandbox(order.payData!.value);
    const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
    const [task] = await eventually(async () => {
      const history = await t.platform.services.notify.historyOfOrder(row.id);
      return history[0]?.state === 'failed' ? history : undefined;
    });
    expect(task!.history).toHaveLength(2);
    expect(task!.history.every((a) => /not a public address/.test(a.error ?? ''))).toBe(true);
    expect(receiver.forOrder(order.orderNo)).toHaveLength(0);
  });
});
