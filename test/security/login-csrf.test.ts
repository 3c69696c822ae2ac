import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleClient } from '../support/console.ts';
import { testDatabases } from '../support/databases.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

/**
 * "Login CSRF": the auth posts made before there is a session (login, password reset)
 * accept JSON only and refuse a foreign Origin, so a foreign page cannot log a victim into the
 * attacker's account; logout needs the session's CSRF token.
 */

interface Refusal {
  code: string;
}

describe.each(testDatabases)('login CSRF on $kind', (database) => {
  let t: TestPlatform;
  /** The deployment's public URL (behind a proxy, as in production); the test calls the port directly. */
  const publicUrl = 'https://pay.example.com';
  let base = '';

  beforeAll(async () => {
    t = await startTestPlatform(database, { publicUrl });
    base = `http://127.0.0.1:${(t.platform.http!.server.address() as AddressInfo).port}`;
  });
  afterAll(() => t.stop());

  const login = () => ({
    area: 'operator',
    username: t.demo.operator.username,
    password: t.demo.operator.password,
  });
  async function post(path: string, headers: Record<string, string>, body: string) {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers, body });
    const text = await response.text();
    return {
      status: response.status,
      code: text.startsWith('{') ? (JSON.parse(text) as Refusal).code : text,
      cookies: response.headers.getSetCookie(),
    };
  }
  const json = (extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', ...extra });

  it('refuses a login that is not JSON (form, text/plain, none) with 415 and no session', async () => {
    const form = new URLSearchParams(login()).toString();
    for (const contentType of [
      'application/x-www-form-urlencoded',
      'text/plain',
      'multipart/form-data; boundary=x',
    ]) {
      const answer = await post('/api/auth/login', { 'content-type': contentType }, form);
      expect([answer.status, answer.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      expect(answer.cookies).toEqual([]);
    }
    // JSON sent as text/plain (what a foreign form can post without a preflight) is refused too.
    const disguised = await post(
      '/api/auth/login',
      { 'content-type': 'text/plain' },
      JSON.stringify(login()),
    );
    expect([disguised.status, disguised.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('refuses a foreign or opaque Origin (or Referer) with 403 ORIGIN_REFUSED and no session', async () => {
    const foreign: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: 'http://pay.example.com' },
      { origin: 'https://pay.example.com.evil.example' },
      { referer: 'https://evil.example/login.html' },
    ];
    for (const headers of foreign) {
      const answer = await post('/api/auth/login', json(headers), JSON.stringify(login()));
      expect([answer.status, answer.code], JSON.stringify(headers)).toEqual([403, 'ORIGIN_REFUSED']);
      expect(answer.cookies).toEqual([]);
    }
    for (const path of ['/api/auth/password-reset/request', '/api/auth/password-reset/confirm']) {
      const body = { area: 'operator', username: 'admin', code: '123456', newPassword: 'Another-passw0rd-1' };
      const answer = await post(path, json({ origin: 'https://evil.example' }), JSON.stringify(body));
      expect([answer.status, answer.code]).toEqual([403, 'ORIGIN_REFUSED']);
    }
  });

  it('accepts its own origin (QY_PUBLIC_URL or the host asked), and clients that send no Origin', async () => {
    const own: Record<string, string>[] = [
      { origin: publicUrl },
      { origin: base },
      { referer: `${publicUrl}/operator/login` },
      {},
    ];
    for (const headers of own) {
      const answer = await post('/api/auth/login', json(headers), JSON.stringify(login()));
      expect(answer.status, JSON.stringify(headers)).toBe(200);
    }
  });

  it('logs out only with the session’s CSRF token', async () => {
    const browser = new ConsoleClient(base);
    browser.csrfToken = (
      await browser.ok<{ csrfToken: string }>('POST', '/api/auth/login', login())
    ).csrfToken;
    const forged = await browser.call<Refusal>('POST', '/api/auth/logout', {}, { csrf: null });
    expect([forged.status, forged.body.code]).toEqual([403, 'CSRF_INVALID']);
    const wrong = await browser.call<Refusal>('POST', '/api/auth/logout', {}, { csrf: 'not-the-token' });
    expect([wrong.status, wrong.body.code]).toEqual([403, 'CSRF_INVALID']);
    // The session survived both.
    expect((await browser.get('/api/auth/me')).status).not.toBe(401);
    const foreign = await fetch(`${base}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie: browser.cookie, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(foreign.status).toBe(415);

    const out = await browser.call('POST', '/api/auth/logout', {});
    expect(out.status).toBe(200);
    expect((await browser.get('/api/auth/me')).status).toBe(401);
    // Without a session (already logged out) logout still just clears the cookie.
    const again = await new ConsoleClient(base).call('POST', '/api/auth/logout', {});
    expect(again.status).toBe(200);
  });
});
