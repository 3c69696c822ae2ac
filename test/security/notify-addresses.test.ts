import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from '../support/platform.ts';

/**
 * A merchant's notify URL naming any special-purpose address is refused by the guard at delivery:
 * the attempt fails with the guard's error and nothing reaches the listener. The listener accepts
 * IPv4 and IPv6 on every local address, so a form that slipped past the guard and reached this host
 * (an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 spelling of 127.0.0.1) would be counted.
 */
describe.each(testDatabases)('merchant notify addresses on $kind', (database) => {
  let t: TestPlatform;
  const connections: string[] = [];
  const listener = http.createServer((request, response) => {
    connections.push(request.url ?? '');
    response.end('success');
  });
  listener.on('connection', (socket) => connections.push(`connect ${socket.remoteAddress}`));
  let port = 0;

  beforeAll(async () => {
    await new Promise<void>((resolve) => listener.listen({ port: 0, host: '::', ipv6Only: false }, resolve));
    port = (listener.address() as AddressInfo).port;
    t = await startTestPlatform(database, {
      notifyPrivateAddresses: false,
      notifyScheduleSeconds: [0],
      channelTimeoutMs: 10_000,
    });
  });
  afterAll(async () => {
    await t?.stop();
    listener.closeAllConnections();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  });

  const hosts: [string, string][] = [
    ['loopback', '127.0.0.1'],
    ['loopback, hex form', '0x7f000001'],
    ['loopback, one number', '2130706433'],
    ['a name resolving to loopback', 'localhost'],
    ['IPv6 loopback', '[::1]'],
    ['IPv4-mapped loopback, dotted', '[::ffff:127.0.0.1]'],
    ['IPv4-mapped loopback, hex, uppercase', '[::FFFF:7F00:1]'],
    ['IPv4-compatible loopback', '[::127.0.0.1]'],
    ['NAT64 of loopback', '[64:ff9b::7f00:1]'],
    ['local-use NAT64', '[64:ff9b:1::7f00:1]'],
    ['6to4 of loopback', '[2002:7f00:1::1]'],
    ['Teredo', '[2001:0:4136:e378:8000:63bf:3fff:fdd2]'],
    ['this network', '0.0.0.0'],
    ['private 10/8', '10.0.0.1'],
    ['private 172.16/12', '172.16.0.1'],
    ['private 192.168/16', '192.168.0.1'],
    ['CGNAT', '100.64.0.1'],
    ['link-local (cloud metadata)', '169.254.169.254'],
    ['IETF protocol assignments', '192.0.0.8'],
    ['documentation', '192.0.2.1'],
    ['documentation', '198.51.100.1'],
    ['documentation', '203.0.113.1'],
    ['benchmarking', '198.18.0.1'],
    ['multicast', '224.0.0.1'],
    ['reserved 240/4', '240.0.0.1'],
    ['limited broadcast', '255.255.255.255'],
    ['IPv6 unspecified', '[::]'],
    ['IPv6 documentation', '[2001:db8::1]'],
    ['IPv6 benchmarking', '[2001:2::1]'],
    ['ORCHIDv2', '[2001:20::1]'],
    ['unique-local', '[fd00::1]'],
    ['link-local', '[fe80::1]'],
    ['site-local', '[fec0::1]'],
    ['IPv6 multicast', '[ff02::1]'],
  ];

  it('refuses a notify URL in every special-purpose range, without reaching the address', async () => {
    // One after another: a loaded machine would time the channel out on thirty-odd creates at once.
    const orders = [];
    for (const [i, [, host]] of hosts.entries()) {
      const order = await t.client.createOrder({
        mchOrderNo: `SSRF-${i}-${Date.now()}`,
        productCode: 'sandbox_qr',
        amount: 100,
        subject: 'ssrf',
        notifyUrl: `http://${host}:${port}/notify/${i}`,
      });
      expect(await payOnSandbox(order.payData!.value)).toBe(200);
      orders.push(order);
    }
    const outcomes = await Promise.all(
      orders.map(async (order) => {
        const row = await t.platform.services.orders.requireByOrderNo(order.orderNo);
        const [task] = await eventually(
          async () => {
            const history = await t.platform.services.notify.historyOfOrder(row.id);
            return history[0]?.state === 'failed' ? history : undefined;
          },
          15_000,
          `the notify of ${order.orderNo} given up`,
        );
        return task!;
      }),
    );
    outcomes.forEach((task, i) => {
      expect(task.history, hosts[i]![0]).toHaveLength(1);
      expect(task.history[0]!.error, `${hosts[i]![0]} ${hosts[i]![1]}`).toMatch(/not a public address/);
      expect(task.history[0]!.httpStatus).toBeNull();
    });
    expect(connections).toEqual([]);
  }, 60_000);
});
