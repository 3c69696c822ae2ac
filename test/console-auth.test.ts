import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConsoleClient,
  captureMail,
  freshTotp,
  merchantConsole,
  operatorConsole,
  uniqueName,
} from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * Console accounts over real HTTP (OP-1, OP-15, MP-1, DESIGN §10): the login stages with TOTP
 * enrolment, recovery codes, single-use codes, CSRF, lockout, idle timeout, password reset,
 * and the permission of every operator route tried with a read-only role.
 */

interface Refusal {
  code: string;
  message: string;
}
interface SessionBody {
  stage: string;
  csrfToken: string;
  user: { username: string; area: string; permissions: string[]; totpEnabled: boolean };
}

describe.each(testDatabases)('console accounts on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    admin = await operatorConsole(t);
  });
  afterAll(() => t.stop());

  const countRows = async (table: string) =>
    Number(
      (await t.platform.services.db.query<{ n: bigint }>(`SELECT count(*)::bigint AS n FROM ${table}`))[0]!.n,
    );

  /** An operator created from the console with a temporary password, as a new colleague would be. */
  async function newOperator(roleCode = 'operations') {
    const roles = await admin.ok<{ id: string; code: string }[]>('GET', '/api/admin/roles');
    const username = uniqueName('op');
    const created = await admin.ok<{ id: string; temporaryPassword: string }>(
      'POST',
      '/api/admin/operators',
      {
        username,
        roleId: roles.find((r) => r.code === roleCode)!.id,
        displayName: 'New Colleague',
      },
    );
    return { username, id: created.id, password: created.temporaryPassword };
  }

  describe('first login of a new operator', () => {
    it('walks password change, then TOTP enrolment with a QR code and recovery codes, rotating the session id at each step', async () => {
      const { username, password } = await newOperator();
      const browser = new ConsoleClient(t.platform.url);

      const login = await browser.call<SessionBody>('POST', '/api/auth/login', {
        area: 'operator',
        username,
        password,
      });
      expect(login.status).toBe(200);
      expect(login.body.stage).toBe('password_change');
      const cookie = login.headers.getSetCookie().find((c) => c.startsWith('qy_session='))!;
      const attributes = cookie.split(';').map((a) => a.trim().toLowerCase());
      expect(attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/']));
      browser.csrfToken = login.body.csrfToken;
      const firstCookie = browser.cookie;

      // Nothing else is reachable before the login is finished.
      const early = await browser.get<Refusal>('/api/admin/merchants');
      expect([early.status, early.body.code]).toEqual([403, 'STAGE_REQUIRED']);

      const tooShort = await browser.send<Refusal>('POST', '/api/auth/password', {
        currentPassword: password,
        newPassword: 'short',
      });
      expect([tooShort.status, tooShort.body.code]).toEqual([400, 'PASSWORD_TOO_WEAK']);

      const changed = await browser.ok<SessionBody>('POST', '/api/auth/password', {
        currentPassword: password,
        newPassword: 'a-long-new-password-1',
      });
      expect(changed.stage).toBe('totp_enrol');
      expect(browser.cookie).not.toBe(firstCookie);
      const old = new ConsoleClient(t.platform.url);
      old.cookie = firstCookie;
      expect((await old.get('/api/auth/me')).status).toBe(401);

      const enrol = await browser.ok<{ secret: string; otpauthUrl: string; qrDataUrl: string }>(
        'POST',
        '/api/auth/totp/enrol/start',
      );
      expect(enrol.qrDataUrl).toMatch(/^data:image\/png;base64,/);
      expect(enrol.otpauthUrl).toContain(`secret=${enrol.secret}`);
      expect(enrol.otpauthUrl).toContain('issuer=Qingyun%20Pay');

      const wrong = await browser.send<Refusal>('POST', '/api/auth/totp/enrol/confirm', { code: '000000' });
      expect([wrong.status, wrong.body.code]).toEqual([401, 'TOTP_INVALID']);

      const confirmed = await browser.ok<{ recoveryCodes: string[]; session: SessionBody }>(
        'POST',
        '/api/auth/totp/enrol/confirm',
        { code: await freshTotp(enrol.secret) },
      );
      expect(confirmed.recoveryCodes).toHaveLength(10);
      expect(new Set(confirmed.recoveryCodes).size).toBe(10);
      expect(confirmed.session.stage).toBe('active');
      expect(confirmed.session.user.totpEnabled).toBe(true);
      browser.csrfToken = confirmed.session.csrfToken;
      expect((await browser.get('/api/admin/merchants')).status).toBe(200);

      // The next login asks for a code; a wrong one, a reused one and a used recovery code are refused.
      const again = new ConsoleClient(t.platform.url);
      const second = await again.ok<SessionBody>('POST', '/api/auth/login', {
        area: 'operator',
        username,
        password: 'a-long-new-password-1',
      });
      expect(second.stage).toBe('totp');
      again.csrfToken = second.csrfToken;
      const bad = await again.send<Refusal>('POST', '/api/auth/totp', { code: '123456' });
      expect([bad.status, bad.body.code]).toEqual([401, 'TOTP_INVALID']);
      const recovery = confirmed.recoveryCodes[0]!;
      const viaRecovery = await again.ok<SessionBody>('POST', '/api/auth/totp', { code: recovery });
      expect(viaRecovery.stage).toBe('active');

      const third = new ConsoleClient(t.platform.url);
      third.csrfToken = (
        await third.ok<SessionBody>('POST', '/api/auth/login', {
          area: 'operator',
          username,
          password: 'a-long-new-password-1',
        })
      ).csrfToken;
      const reused = await third.send<Refusal>('POST', '/api/auth/totp', { code: recovery });
      expect([reused.status, reused.body.code]).toEqual([401, 'TOTP_INVALID']);
      const code = await freshTotp(enrol.secret);
      expect((await third.ok<SessionBody>('POST', '/api/auth/totp', { code })).stage).toBe('active');
      const fourth = new ConsoleClient(t.platform.url);
      fourth.csrfToken = (
        await fourth.ok<SessionBody>('POST', '/api/auth/login', {
          area: 'operator',
          username,
          password: 'a-long-new-password-1',
        })
      ).csrfToken;
      const replay = await fourth.send<Refusal>('POST', '/api/auth/totp', { code });
      expect([replay.status, replay.body.code]).toEqual([401, 'TOTP_INVALID']);
    });

    it('refuses operator passwords shorter than 12 characters', async () => {
      const roles = await admin.ok<{ id: string; code: string }[]>('GET', '/api/admin/roles');
      const answer = await admin.send<Refusal>('POST', '/api/admin/operators', {
        username: uniqueName('short'),
        roleId: roles[0]!.id,
        password: 'elevenchar5',
      });
      expect([answer.status, answer.body.code]).toEqual([400, 'PASSWORD_TOO_WEAK']);
      expect(answer.body.message).toContain('12');
    });
  });

  describe('refusals', () => {
    it('answers a wrong password and an unknown user alike, with no cookie', async () => {
      const browser = new ConsoleClient(t.platform.url);
      const wrong = await browser.call<Refusal>('POST', '/api/auth/login', {
        area: 'operator',
        username: t.demo.operator.username,
        password: 'not-the-password',
      });
      const unknown = await browser.call<Refusal>('POST', '/api/auth/login', {
        area: 'operator',
        username: 'nobody-here',
        password: 'not-the-password',
      });
      for (const answer of [wrong, unknown]) {
        expect([answer.status, answer.body.code]).toEqual([401, 'LOGIN_FAILED']);
        expect(answer.headers.getSetCookie()).toEqual([]);
      }
      expect(unknown.body.message).toBe(wrong.body.message);
      // A merchant user cannot log in to the operator area with the same name.
      const wrongArea = await browser.call<Refusal>('POST', '/api/auth/login', {
        area: 'merchant',
        username: t.demo.operator.username,
        password: t.demo.operator.password,
      });
      expect(wrongArea.status).toBe(401);
    });

    it('locks an account after 10 failures for 30 minutes, even for the right password', async () => {
      const { username, password } = await newOperator();
      const browser = new ConsoleClient(t.platform.url);
      for (let i = 0; i < 10; i++) {
        const answer = await browser.call<Refusal>('POST', '/api/auth/login', {
          area: 'operator',
          username,
          password: `wrong-${i}`,
        });
        expect(answer.body.code).toBe('LOGIN_FAILED');
      }
      // Locked, the right password answers like a wrong one (the lock is not revealed to the caller).
      const locked = await browser.call<Refusal>('POST', '/api/auth/login', {
        area: 'operator',
        username,
        password,
      });
      expect([locked.status, locked.body.code]).toEqual([401, 'LOGIN_FAILED']);

      // The lock shows in the operator list, for 30 minutes, and it ends by itself.
      const list = await admin.ok<{ items: { username: string; lockedUntil: string | null }[] }>(
        'GET',
        '/api/admin/operators?limit=200',
      );
      const lockedUntil = list.items.find((o) => o.username === username)?.lockedUntil;
      const minutes = (Date.parse(lockedUntil!) - Date.now()) / 60_000;
      expect(minutes).toBeGreaterThan(29);
      expect(minutes).toBeLessThanOrEqual(30);
      await t.platform.services.db.query(
        "UPDATE console_user SET locked_until = now() - interval '1 second' WHERE username = $1",
        [username],
      );
      const after = await browser.call<SessionBody>('POST', '/api/auth/login', {
        area: 'operator',
        username,
        password,
      });
      expect(after.status).toBe(200);
    });

    it('refuses a mutation without the CSRF token, with a wrong one, or as a form, changing nothing', async () => {
      const before = await countRows('merchant');
      const audits = await countRows('audit_log');
      const none = await admin.call<Refusal>(
        'POST',
        '/api/admin/merchants',
        { name: 'CSRF Ltd' },
        { csrf: null },
      );
      const wrong = await admin.call<Refusal>(
        'POST',
        '/api/admin/merchants',
        { name: 'CSRF Ltd' },
        { csrf: 'x' },
      );
      const form = await admin.call<Refusal>('POST', '/api/admin/merchants', 'name=CSRF', {
        contentType: 'application/x-www-form-urlencoded',
      });
      expect([none.status, none.body.code]).toEqual([403, 'CSRF_INVALID']);
      expect([wrong.status, wrong.body.code]).toEqual([403, 'CSRF_INVALID']);
      expect([form.status, form.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      expect(await countRows('merchant')).toBe(before);
      expect(await countRows('audit_log')).toBe(audits);
    });

    it('ends a session after 15 idle minutes', async () => {
      const browser = await operatorConsole(t, 'read_only');
      expect((await browser.get('/api/auth/me')).status).toBe(200);
      await t.platform.services.db.query(
        `UPDATE console_session SET last_seen_at = now() - interval '16 minutes'
         WHERE user_id = (SELECT id FROM console_user WHERE id = $1)`,
        [BigInt(browser.userId)],
      );
      const answer = await browser.get<Refusal>('/api/admin/merchants');
      expect([answer.status, answer.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    });

    it('logout ends only that session', async () => {
      const browser = await operatorConsole(t, 'read_only');
      expect((await browser.send('POST', '/api/auth/logout')).status).toBe(200);
      expect((await browser.get('/api/auth/me')).status).toBe(401);
      expect((await admin.get('/api/auth/me')).status).toBe(200);
    });
  });

  describe('guessing', () => {
    it('counts wrong TOTP codes across logins: a known password does not reset them', async () => {
      const { username, password } = await newOperator();
      const owner = new ConsoleClient(t.platform.url);
      await owner.login('operator', username, password, { newPassword: 'owner-password-123' });
      const codes: string[] = [];
      for (let round = 0; round < 3; round++) {
        const attacker = new ConsoleClient(t.platform.url);
        const start = await attacker.call<SessionBody & Refusal>('POST', '/api/auth/login', {
          area: 'operator',
          username,
          password: 'owner-password-123',
        });
        if (start.status !== 200) {
          codes.push(start.body.code);
          break;
        }
        attacker.csrfToken = start.body.csrfToken;
        for (let i = 0; i < 4; i++) {
          codes.push((await attacker.send<Refusal>('POST', '/api/auth/totp', { code: '000000' })).body.code);
        }
      }
      expect(codes.slice(0, 10)).toEqual(Array(10).fill('TOTP_INVALID'));
      expect(codes.at(-1)).toBe('ACCOUNT_LOCKED');
    });

    it('counts parallel guesses at a reset code one by one: the real code is refused after five', async () => {
      const { username, id } = await newOperator();
      await admin.ok('PATCH', `/api/admin/operators/${id}`, { email: 'guess@example.com' });
      const mail = captureMail(t);
      try {
        const browser = new ConsoleClient(t.platform.url);
        await browser.ok('POST', '/api/auth/password-reset/request', { area: 'operator', username });
        await eventually(() => (mail.sent.length === 1 ? true : undefined));
        const code = mail.resetCode();
        const wrong = code === '000000' ? '111111' : '000000';
        const guesses = await Promise.all(
          Array.from({ length: 20 }, () =>
            browser.call('POST', '/api/auth/password-reset/confirm', {
              area: 'operator',
              username,
              code: wrong,
              newPassword: 'guessed-password-123',
            }),
          ),
        );
        expect(guesses.every((g) => g.status === 400)).toBe(true);
        // Asking again within the minute sends nothing and buys no new guesses.
        await browser.ok('POST', '/api/auth/password-reset/request', { area: 'operator', username });
        const real = await browser.call('POST', '/api/auth/password-reset/confirm', {
          area: 'operator',
          username,
          code,
          newPassword: 'guessed-password-123',
        });
        expect(real.status).toBe(400);
        expect(mail.sent).toHaveLength(1);
      } finally {
        mail.restore();
      }
    });

    it('counts wrong completion passwords toward the operator lockout', async () => {
      await admin.ok('PUT', '/api/admin/settings/completion-password', { password: 'the-completion-pw' });
      const finance = await operatorConsole(t, 'finance');
      const outcomes: string[] = [];
      for (let i = 0; i < 11; i++) {
        const answer = await finance.send<Refusal>('POST', '/api/admin/orders/P000/complete', {
          completionPassword: i < 10 ? `wrong-${i}` : 'the-completion-pw',
          remark: 'guess',
        });
        outcomes.push(answer.body.code);
      }
      expect(outcomes).toEqual([...Array(10).fill('COMPLETION_PASSWORD_INVALID'), 'ACCOUNT_LOCKED']);
    });

    it('counts wrong passwords at the completion check toward the same lockout', async () => {
      await admin.ok('PUT', '/api/admin/settings/completion-password', { password: 'the-completion-pw' });
      const finance = await operatorConsole(t, 'finance');
      const outcomes: string[] = [];
      for (let i = 0; i < 11; i++) {
        const step = i % 2 === 0 ? '/complete/verify' : '/complete';
        const answer = await finance.send<Refusal>('POST', `/api/admin/orders/P000${step}`, {
          completionPassword: i < 10 ? `wrong-${i}` : 'the-completion-pw',
          remark: 'guess',
        });
        outcomes.push(answer.body.code);
      }
      expect(outcomes).toEqual([...Array(10).fill('COMPLETION_PASSWORD_INVALID'), 'ACCOUNT_LOCKED']);
    });
  });

  describe('operators managing merchant logins', () => {
    it('disables, unlocks and resets a store login; another merchant’s user id is not found', async () => {
      const { mchNo } = t.demo.merchant;
      const merchant = await t.platform.services.merchants.requireMerchant(mchNo);
      const cashier = await merchantConsole(t, { merchantId: merchant.id, merchantRole: 'cashier' });
      const base = `/api/admin/merchants/${mchNo}/users/${cashier.userId}`;

      const other = await admin.ok<{ mchNo: string }>('POST', '/api/admin/merchants', {
        name: 'Other Store',
      });
      const foreign = await admin.send<Refusal>(
        'POST',
        `/api/admin/merchants/${other.mchNo}/users/${cashier.userId}/reset-password`,
      );
      expect([foreign.status, foreign.body.code]).toEqual([404, 'NOT_FOUND']);

      const disabled = await admin.ok<{ enabled: boolean }>('PATCH', base, { enabled: false });
      expect(disabled.enabled).toBe(false);
      expect((await cashier.get('/api/merchant/orders')).status).toBe(401);
      await admin.ok('PATCH', base, { enabled: true });

      await t.platform.services.db.query(
        "UPDATE console_user SET failed_logins = 10, locked_until = now() + interval '30 minutes' WHERE id = $1",
        [BigInt(cashier.userId)],
      );
      const unlocked = await admin.ok<{ lockedUntil: string | null }>('POST', `${base}/unlock`);
      expect(unlocked.lockedUntil).toBeNull();

      const { temporaryPassword } = await admin.ok<{ temporaryPassword: string }>(
        'POST',
        `${base}/reset-password`,
      );
      const username = (await t.platform.services.consoleUsers.requireUser(BigInt(cashier.userId))).username;
      const again = new ConsoleClient(t.platform.url);
      expect(await again.login('merchant', username, temporaryPassword)).toBe('password_change');
    });
  });

  describe('idle timeout', () => {
    it('does not count a screen refreshing itself as activity', async () => {
      const browser = await operatorConsole(t, 'read_only');
      const lastSeen = async () =>
        (
          await t.platform.services.db.query<{ at: Date }>(
            'SELECT last_seen_at AS at FROM console_session WHERE user_id = $1',
            [BigInt(browser.userId)],
          )
        )[0]!.at.getTime();
      await t.platform.services.db.query(
        "UPDATE console_session SET last_seen_at = now() - interval '10 minutes' WHERE user_id = $1",
        [BigInt(browser.userId)],
      );
      const before = await lastSeen();
      const refresh = await fetch(`${t.platform.url}/api/admin/merchants`, {
        headers: { cookie: browser.cookie, 'x-qy-background': '1' },
      });
      expect(refresh.status).toBe(200);
      expect(await lastSeen()).toBe(before);
      expect((await browser.get('/api/admin/merchants')).status).toBe(200);
      expect(await lastSeen()).toBeGreaterThan(before + 9 * 60_000);
    });
  });

  describe('password reset by e-mailed code', () => {
    it('sends a code, refuses a wrong one, accepts the right one once and ends old sessions', async () => {
      const { username, id, password } = await newOperator();
      await admin.ok('PATCH', `/api/admin/operators/${id}`, { email: 'colleague@example.com' });
      const mail = captureMail(t);
      try {
        const browser = new ConsoleClient(t.platform.url);
        await browser.login('operator', username, password);
        const unknown = await browser.call('POST', '/api/auth/password-reset/request', {
          area: 'operator',
          username: 'nobody-at-all',
        });
        expect(unknown.status).toBe(200);
        expect(mail.sent).toHaveLength(0);

        await browser.ok('POST', '/api/auth/password-reset/request', { area: 'operator', username });
        expect(mail.sent).toHaveLength(1);
        expect(mail.sent[0]!.to).toBe('colleague@example.com');
        const code = mail.resetCode();

        const wrongCode = code === '000000' ? '111111' : '000000';
        const refused = await browser.call<Refusal>('POST', '/api/auth/password-reset/confirm', {
          area: 'operator',
          username,
          code: wrongCode,
          newPassword: 'reset-password-12345',
        });
        expect([refused.status, refused.body.code]).toEqual([400, 'INVALID_REQUEST']);
        await browser.ok('POST', '/api/auth/password-reset/confirm', {
          area: 'operator',
          username,
          code,
          newPassword: 'reset-password-12345',
        });
        const reused = await browser.call('POST', '/api/auth/password-reset/confirm', {
          area: 'operator',
          username,
          code,
          newPassword: 'another-password-123',
        });
        expect(reused.status).toBe(400);

        const oldPassword = await new ConsoleClient(t.platform.url).call<Refusal>('POST', '/api/auth/login', {
          area: 'operator',
          username,
          password,
        });
        expect(oldPassword.body.code).toBe('LOGIN_FAILED');
        const newLogin = await new ConsoleClient(t.platform.url).call<SessionBody>(
          'POST',
          '/api/auth/login',
          {
            area: 'operator',
            username,
            password: 'reset-password-12345',
          },
        );
        expect(newLogin.status).toBe(200);
      } finally {
        mail.restore();
      }
    });
  });

  describe('roles and permissions', () => {
    it('declares a permission on every operator route, and refuses every mutation to a read-only operator', async () => {
      const routes = t.platform.http!.routeTable.filter((r) => r.url.startsWith('/api/admin/'));
      expect(routes.length).toBeGreaterThan(20);
      expect(routes.filter((r) => !r.permission)).toEqual([]);

      const readOnly = await operatorConsole(t, 'read_only');
      const mutations = routes.filter((r) => r.method !== 'GET');
      const before = await countRows('merchant');
      const outcomes: string[] = [];
      for (const route of mutations) {
        const path = route.url.replace(/:(\w+)/g, (_m, name: string) => (name === 'id' ? '1' : 'X'));
        const answer = await readOnly.send<Refusal>(route.method, path, {});
        outcomes.push(`${route.method} ${route.url} → ${answer.status} ${answer.body.code}`);
      }
      expect(outcomes).toEqual(mutations.map((r) => `${r.method} ${r.url} → 403 FORBIDDEN`));
      expect(await countRows('merchant')).toBe(before);

      // Reads the role grants work.
      expect((await readOnly.get('/api/admin/merchants')).status).toBe(200);
      expect((await readOnly.get('/api/admin/audit')).status).toBe(200);
    });

    it('keeps operator.write from making anyone super admin or granting what it lacks', async () => {
      const roles = await admin.ok<{ id: string; code: string }[]>('GET', '/api/admin/roles');
      const superAdmin = roles.find((r) => r.code === 'super_admin')!;
      const userAdminRole = await admin.ok<{ id: string }>('POST', '/api/admin/roles', {
        code: uniqueName('user_admin')
          .toLowerCase()
          .replace(/[^a-z0-9_]/g, '_'),
        name: '账号管理员',
        permissions: ['operator.read', 'operator.write'],
      });
      const username = uniqueName('useradmin');
      await t.platform.services.consoleUsers.createUser({
        area: 'operator',
        username,
        password: 'user-admin-passw0rd',
        roleId: BigInt(userAdminRole.id),
      });
      const userAdmin = new ConsoleClient(t.platform.url);
      await userAdmin.login('operator', username, 'user-admin-passw0rd');
      const adminId = admin.userId;
      const refusals = [
        await userAdmin.send<Refusal>('POST', '/api/admin/operators', {
          username: uniqueName('x'),
          roleId: superAdmin.id,
        }),
        await userAdmin.send<Refusal>('POST', `/api/admin/operators/${adminId}/reset-password`),
        await userAdmin.send<Refusal>('POST', `/api/admin/operators/${adminId}/reset-totp`),
        await userAdmin.send<Refusal>('PATCH', `/api/admin/operators/${adminId}`, { enabled: false }),
        await userAdmin.send<Refusal>('PATCH', `/api/admin/roles/${userAdminRole.id}`, {
          permissions: ['order.complete'],
        }),
        await userAdmin.send<Refusal>('POST', '/api/admin/roles', {
          code: 'sneaky',
          name: 'x',
          permissions: ['order.complete'],
        }),
      ];
      // Nor an account with more power than its own, whose temporary password it would then hold.
      const readOnly = roles.find((r) => r.code === 'read_only')!;
      refusals.push(
        await userAdmin.send<Refusal>('POST', '/api/admin/operators', {
          username: uniqueName('z'),
          roleId: readOnly.id,
        }),
      );
      expect(refusals.map((r) => `${r.status} ${r.body.code}`)).toEqual(Array(7).fill('403 FORBIDDEN'));
      expect((await admin.get('/api/auth/me')).status).toBe(200);
      // What it holds, it may hand out.
      const created = await userAdmin.send('POST', '/api/admin/operators', {
        username: uniqueName('y'),
        roleId: userAdminRole.id,
      });
      expect(created.status).toBe(201);
    });

    it('lets an admin edit a role; the change applies to its operators at once', async () => {
      const role = await admin.ok<{ id: string; permissions: string[] }>('POST', '/api/admin/roles', {
        code: uniqueName('auditor')
          .toLowerCase()
          .replace(/[^a-z0-9_]/g, '_'),
        name: '审计员',
        permissions: ['audit.read'],
      });
      expect(role.permissions).toEqual(['audit.read']);
      const unknownPermission = await admin.send<Refusal>('PATCH', `/api/admin/roles/${role.id}`, {
        permissions: ['everything'],
      });
      expect([unknownPermission.status, unknownPermission.body.code]).toEqual([400, 'INVALID_REQUEST']);

      const username = uniqueName('auditor');
      await t.platform.services.consoleUsers.createUser({
        area: 'operator',
        username,
        password: 'auditor-password-1',
        roleId: BigInt(role.id),
      });
      const auditor = new ConsoleClient(t.platform.url);
      await auditor.login('operator', username, 'auditor-password-1');
      expect((await auditor.get('/api/admin/audit')).status).toBe(200);
      expect((await auditor.get<Refusal>('/api/admin/merchants')).body.code).toBe('FORBIDDEN');

      await admin.ok('PATCH', `/api/admin/roles/${role.id}`, {
        permissions: ['audit.read', 'merchant.read'],
      });
      expect((await auditor.get('/api/admin/merchants')).status).toBe(200);

      const inUse = await admin.send<Refusal>('DELETE', `/api/admin/roles/${role.id}`);
      expect([inUse.status, inUse.body.code]).toEqual([409, 'ROLE_IN_USE']);
      const superAdmin = (await admin.ok<{ id: string; code: string }[]>('GET', '/api/admin/roles')).find(
        (r) => r.code === 'super_admin',
      )!;
      const fixed = await admin.send<Refusal>('PATCH', `/api/admin/roles/${superAdmin.id}`, {
        permissions: [],
      });
      expect([fixed.status, fixed.body.code]).toEqual([403, 'FORBIDDEN']);
    });
  });

  describe('audit log', () => {
    it('records console mutations with actor, IP, target and before/after, secrets removed', async () => {
      const merchant = await admin.ok<{ mchNo: string }>('POST', '/api/admin/merchants', {
        name: 'Audited Co',
      });
      const roles = await admin.ok<{ id: string; code: string }[]>('GET', '/api/admin/roles');
      const created = await admin.ok<{ id: string }>('POST', '/api/admin/operators', {
        username: uniqueName('audited'),
        roleId: roles.find((r) => r.code === 'support')!.id,
        password: 'a-passw0rd-that-is-long',
      });
      await admin.ok('PATCH', `/api/admin/operators/${created.id}`, { enabled: false });

      const log = await admin.ok<{
        items: {
          actorName: string;
          ip: string;
          action: string;
          targetType: string;
          targetId: string;
          status: number;
          before: unknown;
          after: unknown;
        }[];
      }>('GET', '/api/admin/audit?limit=20');
      const disable = log.items.find((e) => e.action === 'PATCH /api/admin/operators/:id')!;
      expect(disable).toMatchObject({
        targetType: 'operator',
        targetId: created.id,
        status: 200,
        before: { enabled: true },
        after: { enabled: false },
      });
      expect(disable.ip).toMatch(/127\.0\.0\.1/);
      const createOp = log.items.find((e) => e.action === 'POST /api/admin/operators')!;
      expect(JSON.stringify(createOp)).not.toContain('a-passw0rd-that-is-long');
      const createMerchant = log.items.find((e) => e.action === 'POST /api/admin/merchants')!;
      expect(createMerchant.after).toMatchObject({ name: 'Audited Co' });
      expect(createMerchant.targetId === merchant.mchNo || createMerchant.targetId === '').toBe(true);

      const filtered = await admin.ok<{ items: { action: string }[] }>(
        'GET',
        `/api/admin/audit?targetType=operator&targetId=${created.id}`,
      );
      expect(filtered.items.map((e) => e.action)).toEqual([
        'PATCH /api/admin/operators/:id',
        'POST /api/admin/operators',
      ]);
    });
  });
});
