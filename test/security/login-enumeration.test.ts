import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleClient, uniqueName } from '../support/console.ts';
import { testDatabases } from '../support/databases.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

/**
 * "Enumeration" (the console half): a locked account, an unknown user, a disabled user and
 * a wrong password get the same answer (status, code, message, no cookie, no details), so a caller
 * cannot tell which usernames exist or are locked. The lock is still enforced (the right password
 * does not log in) and audited with its reason.
 */

interface Answer {
  code: string;
  message: string;
  details?: unknown;
}

describe.each(testDatabases)('login enumeration on $kind', (database) => {
  let t: TestPlatform;

  beforeAll(async () => {
    t = await startTestPlatform(database);
  });
  afterAll(() => t.stop());

  const services = () => t.platform.services;

  async function newCashier(password: string) {
    const merchant = await services().merchants.requireMerchant(t.demo.merchant.mchNo);
    const username = uniqueName('enum');
    const user = await services().consoleUsers.createUser({
      area: 'merchant',
      username,
      password,
      merchantId: merchant.id,
      merchantRole: 'cashier',
    });
    return { username, id: user.id };
  }

  async function attempt(username: string, password: string) {
    const answer = await new ConsoleClient(t.platform.url).call<Answer>('POST', '/api/auth/login', {
      area: 'merchant',
      username,
      password,
    });
    return {
      shape: [answer.status, answer.body.code, answer.body.message, answer.body.details ?? null],
      cookies: answer.headers.getSetCookie(),
    };
  }

  it('answers a locked account, an unknown user, a disabled user and a wrong password alike', async () => {
    const lockedPassword = 'locked-Passw0rd-1';
    const locked = await newCashier(lockedPassword);
    for (let i = 0; i < 10; i++) await attempt(locked.username, `wrong-${i}-pw`);
    const disabled = await newCashier('disabled-Passw0rd-2');
    await services().consoleUsers.updateUser(disabled.id, { enabled: false });
    const plain = await newCashier('plain-Passw0rd-3');

    const answers = {
      wrongPassword: await attempt(plain.username, 'not-the-Passw0rd'),
      unknownUser: await attempt(uniqueName('nobody'), 'not-the-Passw0rd'),
      disabledUser: await attempt(disabled.username, 'disabled-Passw0rd-2'),
      lockedRightPassword: await attempt(locked.username, lockedPassword),
      lockedWrongPassword: await attempt(locked.username, 'not-the-Passw0rd'),
    };
    for (const [what, answer] of Object.entries(answers)) {
      expect(answer.shape, what).toEqual([401, 'LOGIN_FAILED', 'wrong username or password', null]);
      expect(answer.cookies, what).toEqual([]);
    }

    // The lock holds, the account is shown locked to operators, and the audit log says why.
    const row = (await services().consoleUsers.userRow(locked.id))!;
    expect(row.locked_until!.getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);
    expect(row.last_login_at).toBeNull();
    const audit = await services().db.query<{
      actor_name: string;
      status: number;
      after: Record<string, string>;
    }>(
      `SELECT actor_name, status, after FROM audit_log WHERE action = 'auth.login_failed'
       AND actor_name = ANY($1) ORDER BY id`,
      [[plain.username, disabled.username, locked.username]],
    );
    const lastOf = (username: string) => audit.filter((a) => a.actor_name === username).at(-1)!;
    expect(lastOf(locked.username).after).toEqual({ code: 'LOGIN_FAILED', reason: 'locked' });
    expect(lastOf(plain.username).after).toEqual({ code: 'LOGIN_FAILED', reason: 'wrong_password' });
    expect(lastOf(disabled.username).after).toEqual({ code: 'LOGIN_FAILED', reason: 'disabled' });
    expect(audit.filter((a) => a.actor_name === locked.username && a.after.reason === 'locked')).toHaveLength(
      2,
    );

    // Once the lock has run out, the right password works again.
    await services().db.query(
      "UPDATE console_user SET locked_until = now() - interval '1 second' WHERE id = $1",
      [locked.id],
    );
    const after = await new ConsoleClient(t.platform.url).call('POST', '/api/auth/login', {
      area: 'merchant',
      username: locked.username,
      password: lockedPassword,
    });
    expect(after.status).toBe(200);
  });
});
