import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_TIMEOUTS, loadConfig } from '../../src/app/config.ts';
import { testDatabases } from '../support/databases.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

/**
 * Server timeouts: a client that stalls while sending headers or a body, or keeps an
 * idle connection, is cut after the configured time instead of holding a socket for minutes.
 * No database work is involved, so this runs on the first test database only.
 */

const MASTER_KEY = 'cd'.repeat(32);

describe('timeout settings', () => {
  it('has defaults that cut a stalled body within seconds', () => {
    const config = loadConfig({ QY_MASTER_KEY: MASTER_KEY });
    expect(config.httpTimeouts).toEqual(DEFAULT_HTTP_TIMEOUTS);
    expect(config.httpTimeouts.requestMs).toBeLessThanOrEqual(10_000);
    expect(config.httpTimeouts.headersMs).toBeLessThanOrEqual(config.httpTimeouts.requestMs);
    expect(config.httpTimeouts.checkIntervalMs).toBeLessThanOrEqual(1_000);
  });

  it('reads QY_HEADERS_TIMEOUT_MS, QY_REQUEST_TIMEOUT_MS, QY_KEEP_ALIVE_TIMEOUT_MS, QY_SOCKET_TIMEOUT_MS', () => {
    const config = loadConfig({
      QY_MASTER_KEY: MASTER_KEY,
      QY_HEADERS_TIMEOUT_MS: '2000',
      QY_REQUEST_TIMEOUT_MS: '4000',
      QY_KEEP_ALIVE_TIMEOUT_MS: '65000',
      QY_SOCKET_TIMEOUT_MS: '90000',
    });
    expect(config.httpTimeouts).toEqual({
      headersMs: 2_000,
      requestMs: 4_000,
      keepAliveMs: 65_000,
      socketMs: 90_000,
      checkIntervalMs: 500,
    });
  });

  it.each([
    [{ QY_HEADERS_TIMEOUT_MS: '20000', QY_REQUEST_TIMEOUT_MS: '10000' }, /QY_HEADERS_TIMEOUT_MS/],
    [{ QY_REQUEST_TIMEOUT_MS: 'soon' }, /QY_REQUEST_TIMEOUT_MS/],
    [{ QY_SOCKET_TIMEOUT_MS: '15000', QY_CHANNEL_TIMEOUT_MS: '10000' }, /QY_SOCKET_TIMEOUT_MS/],
  ])('refuses %o at start, naming the variable', (env, message) => {
    expect(() => loadConfig({ QY_MASTER_KEY: MASTER_KEY, ...env })).toThrow(message);
  });
});

describe('slow clients are cut off', () => {
  let t: TestPlatform;

  beforeAll(async () => {
    t = await startTestPlatform(testDatabases[0]!, {
      httpTimeouts: {
        headersMs: 300,
        requestMs: 600,
        keepAliveMs: 800,
        socketMs: 5_000,
        checkIntervalMs: 50,
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** Opens a connection, writes `sent`, then stalls; resolves with how long until the server closed it. */
  function stallAfter(sent: string, limitMs: number): Promise<{ closedAfterMs: number; received: string }> {
    const { port } = new URL(t.platform.url);
    return new Promise((resolve, reject) => {
      const started = Date.now();
      let received = '';
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(sent));
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        received += chunk;
      });
      const guard = setTimeout(() => {
        socket.destroy();
        reject(new Error(`the server kept the stalled connection open for ${limitMs} ms`));
      }, limitMs);
      socket.on('close', () => {
        clearTimeout(guard);
        resolve({ closedAfterMs: Date.now() - started, received });
      });
      socket.on('error', () => {});
    });
  }

  it('cuts a request whose body stalls half way', async () => {
    const body = '{"mchOrderNo":"STALL-1","productCode":"sandbox_qr","amount":100';
    const { closedAfterMs, received } = await stallAfter(
      'POST /api/v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${body.length * 2}\r\n\r\n${body}`,
      4_000,
    );
    // Cut at 600 ms (checked every 50 ms); the margin is for a loaded CI machine.
    expect(closedAfterMs).toBeGreaterThanOrEqual(500);
    expect(closedAfterMs).toBeLessThan(3_000);
    expect(received).toMatch(/^HTTP\/1\.1 408|^$/);
  });

  it('cuts a request whose headers stall', async () => {
    const { closedAfterMs } = await stallAfter('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 4_000);
    expect(closedAfterMs).toBeGreaterThanOrEqual(200);
    expect(closedAfterMs).toBeLessThan(3_000);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const { closedAfterMs, received } = await stallAfter(
      'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n',
      5_000,
    );
    expect(received).toMatch(/^HTTP\/1\.1 200/);
    // Node waits up to a second past keepAliveTimeout (its own buffer for racing clients).
    expect(closedAfterMs).toBeGreaterThanOrEqual(700);
    expect(closedAfterMs).toBeLessThan(4_000);
  });
});
