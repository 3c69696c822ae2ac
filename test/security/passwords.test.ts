import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPasswordPolicy } from '../../src/auth/password-policy.ts';
import { ConsoleClient, captureMail, operatorConsole, uniqueName } from '../support/console.ts';
import { testDatabases } from '../support/databases.ts';
import { eventually, startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { runQingyun } from '../support/processes.ts';

/**
 * "Passwords" (PCI DSS 8.3.6, 8.3.7): every console user's new password has letters and
 * digits, operators' at least 12 characters (others 8), is not a common or guessable one (zxcvbn,
 * with the username and the platform's name as inputs), and is not one of the user's last four:
 * on creation, first-login change, voluntary change, reset by code, admin reset and the CLI.
 */

interface Refusal {
  code: string;
  message: string;
  details?: { rule?: string; minLength?: number; count?: number };
}

describe.each(testDatabases)('console passwords on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;
  let roleId: string;
  let merchantId: bigint;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    admin = await operatorConsole(t);
    const roles = await admin.ok<{ id: string; code: string }[]>('GET', '/api/admin/roles');
    roleId = roles.find((r) => r.code === 'support')!.id;
    merchantId = (await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo)).id;
  });
  afterAll(() => t.stop());

  const createOperator = (username: string, password: string) =>
    admin.call<Refusal>('POST', '/api/admin/operators', { username, roleId, password });

  it('refuses weak operator passwords with PASSWORD_TOO_WEAK and the rule broken, creating nothing', async () => {
    const username = uniqueName('zhangsan');
    const cases: [string, string][] = [
      ['Short-pw-11', 'length'],
      ['only-letters-here', 'letters_and_digits'],
      ['123456789012345', 'letters_and_digits'],
      ['qwerty123456', 'common'],
      ['password1234', 'guessable'],
      ['Qingyun12345', 'guessable'],
      [`${username}1`, 'guessable'],
    ];
    for (const [password, rule] of cases) {
      const answer = await createOperator(username, password);
      expect([answer.status, answer.body.code, answer.body.details?.rule], password).toEqual([
        400,
        'PASSWORD_TOO_WEAK',
        rule,
      ]);
      expect(answer.body.details?.minLength).toBe(12);
    }
    const list = await admin.ok<{ items: { username: string }[] }>('GET', '/api/admin/operators?limit=200');
    expect(list.items.some((o) => o.username === username)).toBe(false);
    expect((await createOperator(username, 'Str0ng-enough-pass')).status).toBe(201);
  });

  it('asks merchant users for 8 characters with letters and digits, not a common password', async () => {
    const create = (password: string) =>
      t.platform.services.consoleUsers.createUser({
        area: 'merchant',
        username: uniqueName('cashier'),
        password,
        merchantId,
        merchantRole: 'cashier',
      });
    await expect(create('cash1er')).rejects.toMatchObject({
      code: 'PASSWORD_TOO_WEAK',
      details: { rule: 'length', minLength: 8 },
    });
    await expect(create('cashierpass')).rejects.toMatchObject({ details: { rule: 'letters_and_digits' } });
    await expect(create('abcd1234')).rejects.toMatchObject({ details: { rule: 'common' } });
    await expect(create('cash1er-8')).resolves.toMatchObject({ area: 'merchant' });
  });

  it('refuses any of the last four passwords, then accepts the oldest again after a fifth', async () => {
    const username = uniqueName('rotate');
    expect((await createOperator(username, 'Rotate-passw0rd-A')).status).toBe(201);
    const browser = new ConsoleClient(t.platform.url);
    // The first login asks for a new password: the temporary one itself is refused.
    expect(await browser.login('operator', username, 'Rotate-passw0rd-A')).toBe('password_change');
    const same = await browser.send<Refusal>('POST', '/api/auth/password', {
      currentPassword: 'Rotate-passw0rd-A',
      newPassword: 'Rotate-passw0rd-A',
    });
    expect([same.status, same.body.code, same.body.details?.count]).toEqual([400, 'PASSWORD_REUSED', 4]);
    expect(
      await browser.login('operator', username, 'Rotate-passw0rd-A', { newPassword: 'Rotate-passw0rd-B' }),
    ).toBe('active');

    let current = 'Rotate-passw0rd-B';
    const change = (newPassword: string) =>
      browser.send<Refusal>('POST', '/api/auth/password', { currentPassword: current, newPassword });
    for (const next of ['Rotate-passw0rd-C', 'Rotate-passw0rd-D']) {
      expect((await change(next)).status).toBe(200);
      current = next;
    }
    for (const old of ['Rotate-passw0rd-A', 'Rotate-passw0rd-B', 'Rotate-passw0rd-C', 'Rotate-passw0rd-D']) {
      const answer = await change(old);
      expect([answer.status, answer.body.code], old).toEqual([400, 'PASSWORD_REUSED']);
    }
    expect((await change('Rotate-passw0rd-E')).status).toBe(200);
    current = 'Rotate-passw0rd-E';
    // A is now the fifth back: allowed; the history keeps four.
    expect((await change('Rotate-passw0rd-A')).status).toBe(200);
    const kept = await t.platform.services.db.query<{ n: bigint }>(
      `SELECT count(*)::bigint AS n FROM console_password_history h JOIN console_user u ON u.id = h.user_id
       WHERE u.area = 'operator' AND u.username = $1`,
      [username],
    );
    expect(Number(kept[0]!.n)).toBe(4);
    // The password in force is A again.
    const again = await new ConsoleClient(t.platform.url).call<{ stage: string }>('POST', '/api/auth/login', {
      area: 'operator',
      username,
      password: 'Rotate-passw0rd-A',
    });
    expect([again.status, again.body.stage]).toEqual([200, 'totp']);
  });

  it('applies the same rules to a reset by e-mailed code and gives admins a policy-proof temporary password', async () => {
    const username = uniqueName('resetter');
    expect((await createOperator(username, 'Reset-start-passw0rd')).status).toBe(201);
    const id = (
      await admin.ok<{ items: { id: string; username: string }[] }>('GET', '/api/admin/operators?limit=200')
    ).items.find((o) => o.username === username)!.id;
    await admin.ok('PATCH', `/api/admin/operators/${id}`, { email: 'reset@example.com' });
    const mail = captureMail(t);
    try {
      const browser = new ConsoleClient(t.platform.url);
      await browser.ok('POST', '/api/auth/password-reset/request', { area: 'operator', username });
      await eventually(() => (mail.sent.length === 1 ? true : undefined));
      const code = mail.resetCode();
      const confirm = (newPassword: string) =>
        browser.call<Refusal>('POST', '/api/auth/password-reset/confirm', {
          area: 'operator',
          username,
          code,
          newPassword,
        });
      const weak = await confirm('resetpassword');
      expect([weak.status, weak.body.code]).toEqual([400, 'PASSWORD_TOO_WEAK']);
      const reused = await confirm('Reset-start-passw0rd');
      expect([reused.status, reused.body.code]).toEqual([400, 'PASSWORD_REUSED']);
      expect((await confirm('Reset-new-passw0rd')).status).toBe(200);
    } finally {
      mail.restore();
    }

    const { temporaryPassword } = await admin.ok<{ temporaryPassword: string }>(
      'POST',
      `/api/admin/operators/${id}/reset-password`,
    );
    expect(() => checkPasswordPolicy('operator', temporaryPassword, { username })).not.toThrow();
    expect(await new ConsoleClient(t.platform.url).login('operator', username, temporaryPassword)).toBe(
      'password_change',
    );
  });

  // The CLI boots its own database: on PostgreSQL a scratch one (seconds); an embedded PGlite would
  // take over half a minute, so there the function the CLI calls is checked directly.
  it('qingyun create-operator refuses a weak QY_OPERATOR_PASSWORD and accepts a strong one', async () => {
    if (database.kind === 'pglite') {
      const users = t.platform.services.consoleUsers;
      await expect(users.createSuperAdmin('cli_admin', 'admin1234567')).rejects.toMatchObject({
        code: 'PASSWORD_TOO_WEAK',
      });
      await expect(users.createSuperAdmin('cli_admin', 'Cli-admin-passw0rd')).resolves.toMatchObject({
        username: 'cli_admin',
      });
      return;
    }
    const scratch = await database.open();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: scratch.url,
      QY_MASTER_KEY: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'silent',
    };
    try {
      const weak = await runQingyun(['create-operator', 'cli_admin'], {
        ...env,
        QY_OPERATOR_PASSWORD: 'admin1234567',
      });
      expect(weak.code).toBe(1);
      expect(weak.output).toContain('too easy to guess');
      const strong = await runQingyun(['create-operator', 'cli_admin'], {
        ...env,
        QY_OPERATOR_PASSWORD: 'Cli-admin-passw0rd',
      });
      expect([strong.code, strong.output.trim()]).toEqual([0, 'operator cli_admin is ready']);
    } finally {
      await scratch.dispose();
    }
  }, 180_000);
});
