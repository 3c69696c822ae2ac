import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as passwords from '../../src/auth/passwords.ts';
import { captureMail, freshTotp, operatorConsole, uniqueName } from '../support/console.ts';
import { testDatabases } from '../support/databases.ts';
import { eventually, startTestPlatform, type TestPlatform } from '../support/platform.ts';

/**
 * "Lockout races": parallel guesses must not outrun the account lock. Each guess (a login
 * password, a TOTP or recovery code, a reset code, a completion password) is counted before it is
 * checked, so however many arrive at once at most 10 reach the check; then the right one is refused
 * too. Guesses come from many client addresses, so the per-address limit does not hide the account
 * race; the per-address limit has its own test at the end.
 */

// Every argon2 verification, with the hash it was checked against: what the lock must bound.
const real = vi.hoisted(() => ({
  verify: null as null | ((hash: string, password: string) => Promise<boolean>),
}));
vi.mock('../../src/auth/passwords.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/auth/passwords.ts')>();
  real.verify = actual.verifyPassword;
  return { ...actual, verifyPassword: vi.fn(actual.verifyPassword) };
});
const verifyPassword = vi.mocked(passwords.verifyPassword);
const checksAgainst = (hash: string) => verifyPassword.mock.calls.filter(([h]) => h === hash).length;

const LIMIT = 10;
const GUESSES_PER_IP = 20;

interface Answer {
  code: string;
  message: string;
  stage: string;
  csrfToken: string;
}

describe.each(testDatabases)('lockout races on $kind', (database) => {
  let t: TestPlatform;
  let merchantId: bigint;

  beforeAll(async () => {
    t = await startTestPlatform(database, { authGuessesPerIp: GUESSES_PER_IP });
    merchantId = (await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo)).id;
  });
  afterAll(() => t.stop());

  const db = () => t.platform.services.db;
  /** One request from a given client address, as a browser would send it (cookie, CSRF token). */
  async function post(
    url: string,
    body: unknown,
    ip: string,
    session?: { cookie: string; csrfToken: string },
  ): Promise<{ status: number; body: Answer; response: LightMyRequestResponse }> {
    const response = await t.platform.http!.inject({
      method: 'POST',
      url,
      remoteAddress: ip,
      headers: {
        'content-type': 'application/json',
        ...(session ? { cookie: session.cookie, 'x-csrf-token': session.csrfToken } : {}),
      },
      payload: JSON.stringify(body),
    });
    return { status: response.statusCode, body: response.json() as Answer, response };
  }
  const cookieOf = (response: LightMyRequestResponse) => {
    const cookie = response.cookies.find((c) => c.name === 'qy_session')!;
    return `${cookie.name}=${cookie.value}`;
  };
  /** Client addresses 10.9.x.y: one per guess. */
  const ip = (i: number) => `10.9.${i >> 8}.${i & 255}`;

  async function newMerchantUser(password: string) {
    const username = uniqueName('race');
    const user = await t.platform.services.consoleUsers.createUser({
      area: 'merchant',
      username,
      password,
      merchantId,
      merchantRole: 'manager',
    });
    const row = (await t.platform.services.consoleUsers.userRow(user.id))!;
    return { username, id: user.id, hash: row.password_hash };
  }
  const failedLogins = async (id: bigint) =>
    (
      await db().query<{ failed_logins: number }>('SELECT failed_logins FROM console_user WHERE id = $1', [
        id,
      ])
    )[0]!.failed_logins;

  it('checks at most 10 of 300 parallel wrong passwords, then refuses the right one', async () => {
    const password = 'race-Passw0rd-1';
    const user = await newMerchantUser(password);
    // The refusals that check no real hash verify a dummy one (so their timing tells nothing); it never
    // matches, so answering false at once keeps the behaviour and spares the test 290 argon2 runs.
    verifyPassword.mockImplementation(async (hash, guess) =>
      hash === user.hash ? real.verify!(hash, guess) : false,
    );
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        post(
          '/api/auth/login',
          { area: 'merchant', username: user.username, password: `wrong-${i}-x` },
          ip(i),
        ),
      ),
    );
    // Every one answers the same (a locked account looks like a wrong password to the caller).
    expect(new Set(answers.map((a) => `${a.status} ${a.body.code} ${a.body.message}`))).toEqual(
      new Set(['401 LOGIN_FAILED wrong username or password']),
    );
    verifyPassword.mockImplementation(real.verify!);
    expect(checksAgainst(user.hash)).toBeLessThanOrEqual(LIMIT);
    expect(await failedLogins(user.id)).toBe(LIMIT);
    const reasons = await db().query<{ reason: string; n: bigint }>(
      `SELECT after->>'reason' AS reason, count(*)::bigint AS n FROM audit_log
       WHERE action = 'auth.login_failed' AND actor_name = $1 GROUP BY 1 ORDER BY 1`,
      [user.username],
    );
    expect(reasons.map((r) => [r.reason, Number(r.n)])).toEqual([
      ['locked', 300 - LIMIT],
      ['wrong_password', LIMIT],
    ]);

    const checked = checksAgainst(user.hash);
    const right = await post(
      '/api/auth/login',
      { area: 'merchant', username: user.username, password },
      ip(999),
    );
    expect([right.status, right.body.code]).toEqual([401, 'LOGIN_FAILED']);
    expect(right.response.cookies).toEqual([]);
    expect(checksAgainst(user.hash)).toBe(checked);
  });

  it('checks at most 10 of 100 parallel wrong TOTP and recovery codes, then refuses the right one', async () => {
    const password = 'totp-Passw0rd-2';
    const user = await newMerchantUser(password);
    // Enrol an authenticator from an active session, as a manager would in their settings.
    const first = await post(
      '/api/auth/login',
      { area: 'merchant', username: user.username, password },
      ip(1),
    );
    const active = { cookie: cookieOf(first.response), csrfToken: first.body.csrfToken };
    const { secret } = (await post('/api/auth/totp/enrol/start', {}, ip(1), active)).body as unknown as {
      secret: string;
    };
    const enrolled = await post(
      '/api/auth/totp/enrol/confirm',
      { code: await freshTotp(secret) },
      ip(1),
      active,
    );
    expect(enrolled.status).toBe(200);

    const login = await post(
      '/api/auth/login',
      { area: 'merchant', username: user.username, password },
      ip(2),
    );
    expect(login.body.stage).toBe('totp');
    const pending = { cookie: cookieOf(login.response), csrfToken: login.body.csrfToken };
    const right = await freshTotp(secret);
    const wrongCode = (i: number) =>
      i % 2 === 0
        ? String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0')
        : `zzzzz-${String(i).padStart(5, '0')}`;
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        post('/api/auth/totp', { code: wrongCode(i) }, ip(100 + i), pending),
      ),
    );
    const codes = answers.map((a) => a.body.code);
    // TOTP_INVALID is answered only after a code was checked: at most the limit of them.
    expect(codes.filter((c) => c === 'TOTP_INVALID').length).toBeLessThanOrEqual(LIMIT);
    expect(codes.filter((c) => c === 'ACCOUNT_LOCKED').length).toBeGreaterThanOrEqual(100 - LIMIT);
    expect(new Set(codes)).toEqual(new Set(['TOTP_INVALID', 'ACCOUNT_LOCKED']));
    expect(await failedLogins(user.id)).toBe(LIMIT);

    const refused = await post('/api/auth/totp', { code: right }, ip(300), pending);
    expect([refused.status, refused.body.code]).toEqual([423, 'ACCOUNT_LOCKED']);
  });

  it('compares at most 5 of 50 parallel reset-code guesses and counts only those as failures', async () => {
    const user = await newMerchantUser('reset-Passw0rd-3');
    await db().query("UPDATE console_user SET email = 'race@example.com' WHERE id = $1", [user.id]);
    const mail = captureMail(t);
    try {
      await post('/api/auth/password-reset/request', { area: 'merchant', username: user.username }, ip(1));
      await eventually(() => (mail.sent.length === 1 ? true : undefined));
      const code = mail.resetCode();
      const wrong = code === '000000' ? '111111' : '000000';
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          post(
            '/api/auth/password-reset/confirm',
            { area: 'merchant', username: user.username, code: wrong, newPassword: 'guessed-Passw0rd-4' },
            ip(400 + i),
          ),
        ),
      );
      expect(answers.every((a) => a.status === 400 && a.body.code === 'INVALID_REQUEST')).toBe(true);
      const row = (
        await db().query<{ reset_code_attempts: number }>(
          'SELECT reset_code_attempts FROM console_user WHERE id = $1',
          [user.id],
        )
      )[0]!;
      expect(row.reset_code_attempts).toBe(5);
      // Only the five compared guesses count toward the account's lock, not the 45 refused unread.
      expect(await failedLogins(user.id)).toBe(5);
      const real = await post(
        '/api/auth/password-reset/confirm',
        { area: 'merchant', username: user.username, code, newPassword: 'guessed-Passw0rd-4' },
        ip(500),
      );
      expect(real.status).toBe(400);
    } finally {
      mail.restore();
    }
  });

  it('checks at most 10 of 60 parallel completion passwords, then refuses the right one', async () => {
    const admin = await operatorConsole(t);
    await admin.ok('PUT', '/api/admin/settings/completion-password', { password: 'the-completion-pw-9' });
    const hash = (
      await db().query<{ value: string }>(
        "SELECT value FROM platform_setting WHERE key = 'completion_password_hash'",
      )
    )[0]!.value;
    const finance = await operatorConsole(t, 'finance');
    const session = { cookie: finance.cookie, csrfToken: finance.csrfToken };
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        post(
          '/api/admin/orders/P000/complete',
          { completionPassword: `wrong-${i}`, remark: 'guess' },
          ip(600 + i),
          session,
        ),
      ),
    );
    const codes = answers.map((a) => a.body.code);
    expect(checksAgainst(hash)).toBeLessThanOrEqual(LIMIT);
    expect(codes.filter((c) => c === 'COMPLETION_PASSWORD_INVALID').length).toBeLessThanOrEqual(LIMIT);
    expect(codes.filter((c) => c === 'ACCOUNT_LOCKED').length).toBeGreaterThanOrEqual(60 - LIMIT);

    const checked = checksAgainst(hash);
    const right = await post(
      '/api/admin/orders/P000/complete',
      { completionPassword: 'the-completion-pw-9', remark: 'right' },
      ip(700),
      session,
    );
    expect([right.status, right.body.code]).toEqual([423, 'ACCOUNT_LOCKED']);
    expect(checksAgainst(hash)).toBe(checked);
  });

  it('limits failed guesses per client address: 429 RATE_LIMITED with Retry-After, other addresses unaffected', async () => {
    const password = 'limit-Passw0rd-5';
    const user = await newMerchantUser(password);
    // Successes are given back: logging in does not use up the address.
    for (let i = 0; i < GUESSES_PER_IP + 2; i++) {
      const ok = await post(
        '/api/auth/login',
        { area: 'merchant', username: user.username, password },
        '10.8.0.1',
      );
      expect(ok.status).toBe(200);
    }
    // Failures against many accounts (unknown ones too) from one address.
    for (let i = 0; i < GUESSES_PER_IP; i++) {
      const wrong = await post(
        '/api/auth/login',
        { area: 'merchant', username: `nobody_${i}`, password: 'wrong-pass-1' },
        '10.8.0.1',
      );
      expect(wrong.body.code).toBe('LOGIN_FAILED');
    }
    const limited = await post(
      '/api/auth/login',
      { area: 'merchant', username: user.username, password },
      '10.8.0.1',
    );
    expect([limited.status, limited.body.code]).toEqual([429, 'RATE_LIMITED']);
    const retryAfter = Number(limited.response.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    // Refused before anything was checked: the account's count did not move.
    expect(await failedLogins(user.id)).toBe(0);
    // The reset and TOTP endpoints share the address's budget.
    const reset = await post(
      '/api/auth/password-reset/confirm',
      { area: 'merchant', username: user.username, code: '123456', newPassword: 'limit-Passw0rd-6' },
      '10.8.0.1',
    );
    expect(reset.status).toBe(429);
    const elsewhere = await post(
      '/api/auth/login',
      { area: 'merchant', username: user.username, password },
      '10.8.0.2',
    );
    expect(elsewhere.status).toBe(200);
  });
});
