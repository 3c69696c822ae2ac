import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app/logger.ts';
import { type Platform, startPlatform } from '../../src/app/platform.ts';
import { CONSOLE_CSP } from '../../src/app/web.ts';
import { testDatabases } from '../support/databases.ts';
import { startTestPlatform, type TestPlatform, testConfig } from '../support/platform.ts';

/**
 * Browser-facing headers on every kind of response. They come from one HTTP hook and do not
 * depend on the database, so the first test database is enough.
 */
const database = testDatabases[0]!;

function frameAncestorsNone(csp: string | null): boolean {
  return /(^|;)\s*frame-ancestors 'none'\s*(;|$)/.test(csp ?? '');
}

describe('security headers', () => {
  let t: TestPlatform;
  let https: Platform;
  let httpsBase = '';

  beforeAll(async () => {
    t = await startTestPlatform(database);
    // A second API node on the same database, told it is served at an https URL.
    https = await startPlatform(
      testConfig({ publicUrl: 'https://pay.example.com', demo: false, role: 'api' }),
      { db: t.platform.services.db, log: createLogger('silent') },
    );
    httpsBase = `http://127.0.0.1:${(https.http!.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await https?.stop();
    await t?.stop();
  });

  function expectCommon(response: Response) {
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(frameAncestorsNone(response.headers.get('content-security-policy'))).toBe(true);
    expect(response.headers.get('referrer-policy')).toBeTruthy();
  }

  it('an API route: nosniff, no framing, a CSP that loads nothing, strict-origin-when-cross-origin', async () => {
    const response = await fetch(`${t.platform.url}/healthz`);
    expect(response.status).toBe(200);
    expectCommon(response);
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it('a signed merchant API answer and its refusal carry them too', async () => {
    const order = await fetch(`${t.platform.url}/api/v1/orders/none`, {
      headers: { 'x-qy-mch-no': 'M0', 'x-qy-app-id': 'nope' },
    });
    expect(order.status).toBeGreaterThanOrEqual(400);
    expectCommon(order);
    const bad = await fetch(`${t.platform.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(bad.status).toBe(400);
    expectCommon(bad);
  });

  it('an error response (404 of an unknown route)', async () => {
    const response = await fetch(`${t.platform.url}/no/such/route`);
    expect(response.status).toBe(404);
    expectCommon(response);
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
  });

  it('the console HTML keeps its own CSP and referrer policy', async () => {
    const response = await fetch(`${t.platform.url}/login`);
    expect(response.status).toBe(200);
    expectCommon(response);
    expect(response.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
  });

  it('/docs has a CSP that allows only its own scripts and styles', async () => {
    const response = await fetch(`${t.platform.url}/docs/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expectCommon(response);
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("object-src 'none'");
    expect((await fetch(`${t.platform.url}/docs/json`)).status).toBe(200);
  });

  it('the cashier page keeps no-referrer and its nonce CSP', async () => {
    const order = await t.client.createOrder({
      mchOrderNo: `HDR-${Date.now()}`,
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'headers',
    });
    const response = await fetch(order.cashierUrl);
    expect(response.status).toBe(200);
    expectCommon(response);
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'nonce-/);
  });

  it('the sandbox pay page, whose CSP names no frame-ancestors, cannot be framed either', async () => {
    const order = await t.client.createOrder({
      mchOrderNo: `HDR-SBX-${Date.now()}`,
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'headers',
    });
    const response = await fetch(order.payData!.value);
    expect(response.status).toBe(200);
    expectCommon(response);
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src/);
  });

  it('HSTS for a year with subdomains only when the public URL is https', async () => {
    for (const path of ['/healthz', '/login', '/docs/', '/no/such/route']) {
      const response = await fetch(`${httpsBase}${path}`);
      expect(response.headers.get('strict-transport-security'), path).toBe(
        'max-age=31536000; includeSubDomains',
      );
      expect((await fetch(`${t.platform.url}${path}`)).headers.get('strict-transport-security')).toBeNull();
    }
  });
});
