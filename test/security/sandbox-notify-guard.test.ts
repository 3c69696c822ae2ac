import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxSign } from '../../src/channels/sandbox/protocol.ts';
import { registerSandboxMerchant, sandboxPlugin } from '../../src/channels/sandbox/server.ts';
import { MemorySandboxStore } from '../../src/channels/sandbox/store.ts';
import { AppError } from '../../src/errors.ts';
import { testDatabases } from '../support/databases.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from '../support/platform.ts';

// the sandbox's notifier was an unauthenticated SSRF amplifier (any address, loopback
// included, up to 100 copies). It now goes through the merchant-notify address guard under the
// platform's private-address setting, and its faults have tight bounds.

/** Counts every request it gets, whatever the path. */
class Listener {
  hits = 0;
  private readonly server = http.createServer((request, response) => {
    this.hits += 1;
    request.resume();
    response.end('SUCCESS');
  });
  port = 0;
  async start() {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }
  stop() {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let sequence = 0;
function signedCreate(merchant: { mchId: string; key: string }, fields: Record<string, string>) {
  const params: Record<string, string> = {
    mchId: merchant.mchId,
    nonce: `n${Date.now()}${++sequence}`,
    timestamp: Math.floor(Date.now() / 1000).toString(),
    outTradeNo: `GUARD-${Date.now()}-${sequence}`,
    amount: '100',
    currency: 'CNY',
    subject: 'guard',
    expireAt: Math.floor(Date.now() / 1000 + 600).toString(),
    ...fields,
  };
  params.sign = sandboxSign(params, merchant.key);
  return params;
}

async function post(url: string, body: unknown): Promise<Record<string, string>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, string>;
}

describe('the sandbox notifier with private addresses denied', () => {
  const listener = new Listener();
  let host: FastifyInstance;
  let sandboxUrl = '';
  let merchant: { mchId: string; key: string };

  beforeAll(async () => {
    await listener.start();
    const store = new MemorySandboxStore();
    merchant = (await registerSandboxMerchant(store))!;
    host = Fastify();
    await host.register(sandboxPlugin, {
      prefix: '/sandbox',
      store,
      registrationToken: null,
      allowPrivateAddresses: false,
      publicUrl: () => sandboxUrl,
      retryDelaysMs: [50, 50],
    });
    await host.listen({ host: '127.0.0.1', port: 0 });
    sandboxUrl = `http://127.0.0.1:${(host.server.address() as AddressInfo).port}/sandbox`;
  });
  afterAll(async () => {
    await host?.close();
    await listener.stop();
  });

  it.each([
    'http://127.0.0.1:{port}/notify',
    'http://[::1]:{port}/notify',
    'http://10.0.0.1/notify',
    'http://169.254.169.254/latest/meta-data',
    'http://192.168.1.1/notify',
  ])('refuses a payment whose notify URL is %s', async (template) => {
    const notifyUrl = template.replace('{port}', String(listener.port));
    const answer = await post(`${sandboxUrl}/api/pay/create`, signedCreate(merchant, { notifyUrl }));
    expect(answer).toMatchObject({ code: 'PARAM_ERROR', msg: 'notifyUrl must be a public address' });
  });

  it('never delivers to a name that resolves to loopback', async () => {
    const notifyUrl = `http://localhost:${listener.port}/notify`;
    const created = await post(`${sandboxUrl}/api/pay/create`, signedCreate(merchant, { notifyUrl }));
    expect(created.code).toBe('SUCCESS');
    expect(await payOnSandbox(created.payUrl!)).toBe(200);
    // The first attempt and both retries would have arrived by now.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(listener.hits).toBe(0);
  });

  it('refuses faults beyond their bounds with a clear message', async () => {
    const notifyUrl = 'https://merchant.example/notify';
    for (const [faults, message] of [
      [{ duplicateNotify: 100 }, /at most 3 copies of a notify/],
      [{ duplicateNotify: 4 }, /at most 3 copies of a notify/],
      [{ notifyDelayMs: 30_001 }, /at most 30000 ms/],
      [{ createDelayMs: 60_000 }, /at most 30000 ms/],
    ] as const) {
      const answer = await post(
        `${sandboxUrl}/api/pay/create`,
        signedCreate(merchant, { notifyUrl, faults: JSON.stringify(faults) }),
      );
      expect(answer.code).toBe('PARAM_ERROR');
      expect(answer.msg).toMatch(message);
    }
    const within = await post(
      `${sandboxUrl}/api/pay/create`,
      signedCreate(merchant, {
        notifyUrl,
        faults: JSON.stringify({ duplicateNotify: 3, notifyDelayMs: 30_000 }),
      }),
    );
    expect(within.code).toBe('SUCCESS');
  });
});

describe.each(testDatabases)(
  'the in-process sandbox under production notify settings on $kind',
  (database) => {
    let t: TestPlatform;
    const listener = new Listener();

    beforeAll(async () => {
      await listener.start();
      t = await startTestPlatform(database, { notifyPrivateAddresses: false });
    });
    afterAll(async () => {
      await t?.stop();
      await listener.stop();
    });

    it('obeys the platform setting, yet still notifies the platform it is mounted in', async () => {
      const account = (await t.platform.services.catalog.channelAccount(t.channelAccountIds[0]!))!;
      const merchant = { mchId: String(account.credentials.mchId), key: String(account.credentials.key) };
      const notifyUrl = `http://127.0.0.1:${listener.port}/notify`;
      const refused = await post(
        `${t.platform.url}/sandbox/api/pay/create`,
        signedCreate(merchant, { notifyUrl }),
      );
      expect(refused).toMatchObject({ code: 'PARAM_ERROR', msg: 'notifyUrl must be a public address' });

      // The platform's own channel-notify URL is its public address: a demo payment still lands.
      const order = await t.client.createOrder({
        mchOrderNo: `GUARD-${Date.now()}`,
        productCode: 'sandbox_qr',
        amount: 100,
        subject: 'guard',
      });
      expect(await payOnSandbox(order.payData!.value)).toBe(200);
      await eventually(async () =>
        (await t.client.getOrder(order.orderNo)).state === 'paid' ? true : undefined,
      );
      expect(listener.hits).toBe(0);
    });

    it('refuses an operator setting out-of-range faults on a sandbox account, and changes nothing', async () => {
      const id = t.channelAccountIds[0]!;
      const before = (await t.platform.services.catalog.channelAccount(id))!.config;
      for (const faults of [{ duplicateNotify: 100 }, { notifyDelayMs: 120_000 }]) {
        const refused = await t.platform.services.catalog
          .updateChannelAccount(id, { config: { faults } })
          .catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(AppError);
        expect(refused).toMatchObject({ code: 'INVALID_REQUEST' });
        expect((refused as AppError).message).toMatch(/faults\.(duplicateNotify|notifyDelayMs): at most/);
      }
      expect((await t.platform.services.catalog.channelAccount(id))!.config).toEqual(before);
    });
  },
);
