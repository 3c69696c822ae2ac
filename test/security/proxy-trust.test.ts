import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SigningKey, signRequest } from '../../sdk/index.ts';
import { loadConfig, parseTrustProxy } from '../../src/app/config.ts';
import { operatorConsole } from '../support/console.ts';
import { testDatabases } from '../support/databases.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

/**
 * Proxy trust: X-Forwarded-For is believed only from the reverse proxies listed in
 * QY_TRUST_PROXY, and the client is the right-most address not listed; `1` (trust every hop) no
 * longer starts. Both the app IP allowlist and the audit log's IP use that address.
 */

const MASTER_KEY = 'ab'.repeat(32);

describe('QY_TRUST_PROXY', () => {
  const config = (value: string) => loadConfig({ QY_MASTER_KEY: MASTER_KEY, QY_TRUST_PROXY: value });

  it.each(['1', 'true', '2', '*'])(
    'refuses %s (every hop, or a hop count) with an error naming the variable',
    (value) => {
      expect(() => config(value)).toThrow(
        /QY_TRUST_PROXY=.*every hop.*QY_TRUST_PROXY=127\.0\.0\.1,10\.0\.0\.0\/8/,
      );
    },
  );

  it('is off by default and with 0', () => {
    expect(loadConfig({ QY_MASTER_KEY: MASTER_KEY }).trustProxy).toBe(false);
    expect(config('0').trustProxy).toBe(false);
  });

  it('takes addresses, CIDR ranges and the names loopback, linklocal, uniquelocal', () => {
    expect(config('127.0.0.1, 10.0.0.0/8,::1,fd00::/8,loopback').trustProxy).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it.each(['10.0.0.0/33', 'nginx', '10.0.0.1,', '300.1.1.1'])('refuses %s, naming the bad entry', (value) => {
    expect(() => config(value)).toThrow(/QY_TRUST_PROXY/);
  });
});

describe.each(testDatabases)('client address behind a proxy on $kind', (database) => {
  let t: TestPlatform;
  let appId: string;
  let key: SigningKey;
  /** 127.0.0.2 plays the reverse proxy; a client connecting from 127.0.0.1 is not one. */
  const PROXY = '127.0.0.2';
  const CLIENT = '127.0.0.1';

  beforeAll(async () => {
    t = await startTestPlatform(database, { trustProxy: parseTrustProxy(`${PROXY},10.0.0.0/8`) });
    const created = await t.platform.services.merchants.createApp(t.demo.merchant.mchNo, {
      name: 'behind allowlist',
      ipAllowlist: ['203.0.113.9'],
    });
    appId = created.app.appId;
    key = { type: 'HMAC-SHA256', secret: created.secret };
  });
  afterAll(async () => {
    await t?.stop();
  });

  function request(
    from: string,
    method: string,
    path: string,
    headers: Record<string, string>,
    body = '',
  ): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const sent = http.request(
        `${t.platform.url}${path}`,
        {
          method,
          localAddress: from,
          headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      sent.on('error', reject);
      sent.end(body);
    });
  }

  /** A signed order lookup (404 when let in) from `from`, with X-Forwarded-For as given. */
  async function lookup(from: string, forwardedFor: string) {
    const path = '/api/v1/orders/P00000000000000000000';
    const headers = signRequest({
      method: 'GET',
      pathWithQuery: path,
      body: '',
      mchNo: t.demo.merchant.mchNo,
      appId,
      key,
    });
    const answer = await request(from, 'GET', path, { ...headers, 'x-forwarded-for': forwardedFor });
    return `${answer.status} ${(JSON.parse(answer.text) as { code: string }).code}`;
  }

  it('ignores X-Forwarded-For from a client that is not a listed proxy (app IP allowlist)', async () => {
    expect(await lookup(CLIENT, '203.0.113.9')).toBe('403 IP_NOT_ALLOWED');
  });

  it('takes the right-most address that is not a listed proxy when the proxy forwards', async () => {
    // The proxy appended the address it saw; what the client wrote before it does not count.
    expect(await lookup(PROXY, '6.6.6.6, 203.0.113.9')).toBe('404 NOT_FOUND');
    // A second listed proxy (10.0.0.0/8) in between is skipped too.
    expect(await lookup(PROXY, '203.0.113.9, 10.1.2.3')).toBe('404 NOT_FOUND');
    // A client that put the allowed address first is seen at the address the proxy saw.
    expect(await lookup(PROXY, '203.0.113.9, 198.51.100.1')).toBe('403 IP_NOT_ALLOWED');
  });

  it('writes the same address into the audit log', async () => {
    const operator = await operatorConsole(t);
    const mchNo = t.demo.merchant.mchNo;
    const auditedIp = async (from: string, forwardedFor: string, name: string) => {
      const answer = await request(
        from,
        'PATCH',
        `/api/admin/merchants/${mchNo}`,
        { cookie: operator.cookie, 'x-csrf-token': operator.csrfToken, 'x-forwarded-for': forwardedFor },
        JSON.stringify({ contact: name }),
      );
      expect(answer.status).toBe(200);
      const [row] = await t.platform.services.db.query<{ ip: string }>(
        `SELECT ip FROM audit_log WHERE action = 'PATCH /api/admin/merchants/:mchNo' AND after->>'contact' = $1`,
        [name],
      );
      return row?.ip;
    };
    expect(await auditedIp(CLIENT, '198.51.100.7', 'direct')).toBe(CLIENT);
    expect(await auditedIp(PROXY, '6.6.6.6, 198.51.100.7', 'via proxy')).toBe('198.51.100.7');
  });
});
