import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleClient, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

/**
 * What the consoles need to say an error in the user's language, at the API: refusals name their
 * cause and parameters in `details` (the English `message` is for developers), a failed order says
 * why in `failure.reason`, and a failed merchant notify attempt says which step failed.
 */

interface Refusal {
  code: string;
  message: string;
  requestId: string;
  details?: Record<string, unknown>;
}

interface Attempt {
  attempt: number;
  httpStatus: number | null;
  error: string | null;
  errorKind: string | null;
}

interface OrderDetail {
  notify: { attempts: Attempt[] };
}

/** A local port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.each(testDatabases)('error details for the consoles on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;
  const receiver = new NotifyReceiver();

  beforeAll(async () => {
    t = await startTestPlatform(database);
    admin = await operatorConsole(t);
    await receiver.start();
  });
  afterAll(async () => {
    await t.stop();
    await receiver.stop();
  });

  it('answers a duplicate role with ALREADY_EXISTS naming what exists', async () => {
    const code = uniqueName('finance')
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_');
    const role = { code, name: '财务', permissions: ['order.read'] };
    expect((await admin.send('POST', '/api/admin/roles', role)).status).toBe(201);
    const again = await admin.send<Refusal>('POST', '/api/admin/roles', role);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'ALREADY_EXISTS', details: { kind: 'role', name: code } });
    expect(again.body.requestId).toMatch(/^req_/);
  });

  it('names the field of an invalid request, and the limits of an amount out of range', async () => {
    const invalid = await admin.send<Refusal>('POST', '/api/admin/roles', {
      code: 'ok_code',
      name: 'x',
      permissions: 'order.read',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'permissions' } });

    const tooMuch = await admin.send<Refusal>('POST', '/api/admin/test-orders', {
      mchNo: t.demo.merchant.mchNo,
      productCode: 'sandbox_qr',
      amount: 900_000_000,
      test: true,
    });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body).toMatchObject({
      code: 'AMOUNT_OUT_OF_RANGE',
      details: { minAmount: expect.any(Number), maxAmount: expect.any(Number), currency: 'CNY' },
    });
  });

  it('says a wrong current password is the current password, not a wrong username', async () => {
    const answer = await admin.send<Refusal>('POST', '/api/auth/password', {
      currentPassword: 'not-my-password-1',
      newPassword: 'a-new-passw0rd-here',
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'LOGIN_FAILED', details: { reason: 'current_password' } });
  });

  it("gives a declined pay code the failure reason 'declined', keeping the wallet's own code", async () => {
    const answer = await admin.send<{ order: { state: string; failure: unknown } }>(
      'POST',
      '/api/admin/test-orders',
      {
        mchNo: t.demo.merchant.mchNo,
        productCode: 'sandbox_qr',
        amount: 321,
        test: true,
        authCode: '134567890123456799',
      },
    );
    expect(answer.body.order).toMatchObject({
      state: 'failed',
      failure: { code: 'BALANCE_NOT_ENOUGH', reason: 'declined' },
    });
  });

  /** Pays an order whose notify goes to `notifyUrl` and returns its first recorded attempt. */
  async function firstAttempt(notifyUrl: string): Promise<Attempt> {
    const order = await t.client.createOrder({
      mchOrderNo: uniqueName('ERR'),
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'notify failure',
      notifyUrl,
    });
    await payOnSandbox(order.payData!.value);
    return eventually(async () => {
      const detail = await admin.ok<OrderDetail>('GET', `/api/admin/orders/${order.orderNo}`);
      return detail.notify.attempts[0];
    });
  }

  it('records which step of a failed merchant notify failed, beside the raw error', async () => {
    const unresolvable = await firstAttempt('http://qy-no-such-host.invalid/notify');
    expect(unresolvable).toMatchObject({ errorKind: 'dns', httpStatus: null });
    expect(unresolvable.error).toBeTruthy();

    const refused = await firstAttempt(`http://127.0.0.1:${await closedPort()}/notify`);
    expect(refused).toMatchObject({ errorKind: 'refused', httpStatus: null });
    expect(refused.error).toMatch(/ECONNREFUSED/);

    receiver.answer = () => ({ status: 503, body: 'busy' });
    const status = await firstAttempt(receiver.url);
    expect(status).toMatchObject({ errorKind: 'http_status', httpStatus: 503 });

    receiver.answer = () => ({ status: 200, body: 'ok thanks' });
    const unacknowledged = await firstAttempt(receiver.url);
    expect(unacknowledged).toMatchObject({ errorKind: 'invalid_answer', httpStatus: 200 });

    receiver.answer = () => ({ status: 200, body: 'success' });
    const delivered = await firstAttempt(receiver.url);
    expect(delivered).toMatchObject({ errorKind: null, error: null, httpStatus: 200 });
  });
});
