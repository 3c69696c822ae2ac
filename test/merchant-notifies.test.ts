import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleClient, merchantConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

/**
 * The merchant portal's notify log: a store manager sees every attempt to notify its
 * server about one of its orders (time, HTTP status or why it failed, the start of the answer) and
 * can send the notify again, as an operator can. Another merchant's order is NOT_FOUND, whether
 * read or resent; a cashier is refused the screen.
 */

interface Attempt {
  eventType: string;
  attempt: number;
  at: string;
  httpStatus: number | null;
  ok: boolean;
  failure: string | null;
  error: string | null;
  responseExcerpt: string | null;
  durationMs: number;
}

interface NotifyLog {
  orderNo: string;
  tasks: { eventType: string; state: string; attempts: number }[];
  attempts: Attempt[];
}

interface Refusal {
  code: string;
}

describe.each(testDatabases)('merchant notify log on $kind', (database) => {
  let t: TestPlatform;
  const receiver = new NotifyReceiver();
  let manager: ConsoleClient;
  let cashier: ConsoleClient;
  let otherManager: ConsoleClient;
  let orderNo: string;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    // The merchant's server is busy once, then acknowledges.
    receiver.answer = (n) =>
      n === 0 ? { status: 503, body: 'busy, try later' } : { status: 200, body: 'success' };
    await receiver.start();
    const { merchants } = t.platform.services;
    const merchant = await merchants.requireMerchant(t.demo.merchant.mchNo);
    manager = await merchantConsole(t, { merchantId: merchant.id, merchantRole: 'manager' });
    cashier = await merchantConsole(t, { merchantId: merchant.id, merchantRole: 'cashier' });
    const other = await merchants.createMerchant({ name: 'Other shop' });
    otherManager = await merchantConsole(t, { merchantId: other.id, merchantRole: 'manager' });
  });
  afterAll(async () => {
    await t?.stop();
    await receiver.stop();
  });

  const log = (client: ConsoleClient, order: string) =>
    client.send<NotifyLog & Refusal>('GET', `/api/merchant/orders/${order}/notifies`);

  it('shows each attempt: when, the HTTP status or the failure, and the start of the answer', async () => {
    const order = await paidSandboxOrder(t.client, {
      mchOrderNo: `NL-${Date.now()}`,
      amount: 880,
      subject: 'notify log',
      notifyUrl: receiver.url,
    });
    orderNo = order.orderNo;
    const answer = await eventually(
      async () => {
        const got = await log(manager, orderNo);
        // The tasks and their attempts are read apart: wait until both show the acknowledgement.
        const done =
          got.body.attempts?.some((a) => a.ok) && got.body.tasks?.every((k) => k.state === 'succeeded');
        return done ? got.body : undefined;
      },
      15_000,
      'the notify acknowledged',
    );
    expect(answer.orderNo).toBe(orderNo);
    expect(answer.tasks).toEqual([expect.objectContaining({ eventType: 'order.paid', state: 'succeeded' })]);
    // Newest first: the acknowledged attempt, then the refused one.
    expect(answer.attempts).toHaveLength(2);
    const [second, first] = answer.attempts as [Attempt, Attempt];
    expect(first).toMatchObject({
      eventType: 'order.paid',
      attempt: 1,
      httpStatus: 503,
      ok: false,
      failure: 'http_status',
      responseExcerpt: 'busy, try later',
    });
    expect(second).toMatchObject({
      attempt: 2,
      httpStatus: 200,
      ok: true,
      failure: null,
      responseExcerpt: 'success',
    });
    for (const attempt of answer.attempts) {
      expect(Date.parse(attempt.at)).toBeGreaterThan(Date.now() - 60_000);
      expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('sends the notify again on request, and the new attempt shows', async () => {
    const before = receiver.forOrder(orderNo).length;
    const resent = await manager.send<{ queued: number }>(
      'POST',
      `/api/merchant/orders/${orderNo}/notifies/resend`,
    );
    expect(resent).toMatchObject({ status: 200, body: { queued: 1 } });
    await eventually(
      async () => (receiver.forOrder(orderNo).length > before ? true : undefined),
      10_000,
      'the notify sent again',
    );
    const after = await eventually(
      async () => {
        const got = (await log(manager, orderNo)).body;
        return got.attempts.length === 3 ? got : undefined;
      },
      10_000,
      'the third attempt recorded',
    );
    expect(after.attempts[0]).toMatchObject({ attempt: 3, httpStatus: 200, ok: true });
    // The order's timeline says so.
    const detail = await manager.ok<{ events: { kind: string }[] }>('GET', `/api/merchant/orders/${orderNo}`);
    expect(detail.events.map((e) => e.kind)).toContain('notify_resend');
  });

  it("names why an attempt never got an answer (a refused connection), without the merchant's server", async () => {
    const order = await paidSandboxOrder(t.client, {
      mchOrderNo: `NL-REFUSED-${Date.now()}`,
      amount: 990,
      subject: 'notify refused',
      // Port 9 (discard) on loopback: nothing listens.
      notifyUrl: 'http://127.0.0.1:9/notify',
    });
    const first = await eventually(
      async () => (await log(manager, order.orderNo)).body.attempts.at(-1),
      10_000,
      'an attempt',
    );
    expect(first).toMatchObject({ ok: false, httpStatus: null, failure: 'refused', responseExcerpt: null });
    expect(first.error).toMatch(/ECONNREFUSED/);
  });

  it("keeps another merchant out of the order's notifies (404) and sends nothing for it", async () => {
    const sent = receiver.forOrder(orderNo).length;
    const read = await log(otherManager, orderNo);
    expect({ status: read.status, code: read.body.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(JSON.stringify(read.body)).not.toContain('attempt');
    const resend = await otherManager.send<Refusal>(
      'POST',
      `/api/merchant/orders/${orderNo}/notifies/resend`,
    );
    expect({ status: resend.status, code: resend.body.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    const unknown = await log(manager, 'P0000000000000000000');
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    // A cashier does not see the merchant's integration at all.
    for (const [method, path] of [
      ['GET', `/api/merchant/orders/${orderNo}/notifies`],
      ['POST', `/api/merchant/orders/${orderNo}/notifies/resend`],
    ] as const) {
      const answer = await cashier.send<Refusal>(method, path);
      expect({ path, status: answer.status, code: answer.body.code }).toEqual({
        path,
        status: 403,
        code: 'FORBIDDEN',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.forOrder(orderNo)).toHaveLength(sent);
    expect((await log(manager, orderNo)).body.attempts).toHaveLength(3);
  });
});
