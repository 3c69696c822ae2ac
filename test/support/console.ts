import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { vi } from 'vitest';
import type { TestPlatform } from './platform.ts';

export interface ConsoleAnswer<T> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export type Area = 'operator' | 'merchant' | 'agent' | 'member';

interface SessionBody {
  stage: string;
  csrfToken: string;
  user: { id: string; username: string; area: Area };
}

/** A browser's side of the console API: the session cookie and the CSRF token on every call. */
export class ConsoleClient {
  cookie = '';
  csrfToken = '';
  /** The TOTP secret, when this client enrolled one. */
  totpSecret = '';
  userId = '';

  constructor(readonly baseUrl: string) {}

  async call<T>(
    method: string,
    path: string,
    json?: unknown,
    opts: { csrf?: string | null; contentType?: string } = {},
  ): Promise<ConsoleAnswer<T>> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    const mutating = method !== 'GET' && method !== 'HEAD';
    if (mutating) {
      const csrf = opts.csrf === undefined ? this.csrfToken : opts.csrf;
      if (csrf !== null) headers['x-csrf-token'] = csrf;
    }
    let body: string | undefined;
    if (mutating) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      body = JSON.stringify(json ?? {});
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('qy_session='));
    if (setCookie) this.cookie = setCookie.split(';')[0]!;
    const text = await response.text();
    const isJson = response.headers.get('content-type')?.includes('json');
    const parsed = (isJson && text ? JSON.parse(text) : text) as T;
    return { status: response.status, body: parsed, text, headers: response.headers };
  }

  get<T>(path: string) {
    return this.call<T>('GET', path);
  }

  send<T>(method: string, path: string, json?: unknown) {
    return this.call<T>(method, path, json);
  }

  async ok<T>(method: string, path: string, json?: unknown): Promise<T> {
    const answer = await this.call<T>(method, path, json);
    if (answer.status >= 300) throw new Error(`${method} ${path} answered ${answer.status}: ${answer.text}`);
    return answer.body;
  }

  /**
   * Logs in and walks the stages: TOTP (with `totpSecret`), a forced password change (to
   * `newPassword`), TOTP enrolment. Returns the final stage ('active' unless a step was refused).
   */
  async login(
    area: Area,
    username: string,
    password: string,
    opts: { totpSecret?: string; newPassword?: string } = {},
  ): Promise<string> {
    let session = await this.ok<SessionBody>('POST', '/api/auth/login', { area, username, password });
    this.adopt(session);
    for (let step = 0; step < 4 && session.stage !== 'active'; step++) {
      if (session.stage === 'totp') {
        const secret = opts.totpSecret ?? this.totpSecret;
        session = await this.ok<SessionBody>('POST', '/api/auth/totp', { code: await freshTotp(secret) });
      } else if (session.stage === 'password_change') {
        if (!opts.newPassword) return session.stage;
        session = await this.ok<SessionBody>('POST', '/api/auth/password', {
          currentPassword: password,
          newPassword: opts.newPassword,
        });
      } else if (session.stage === 'totp_enrol') {
        const { secret } = await this.ok<{ secret: string }>('POST', '/api/auth/totp/enrol/start');
        this.totpSecret = secret;
        const confirmed = await this.ok<{ session: SessionBody }>('POST', '/api/auth/totp/enrol/confirm', {
          code: await freshTotp(secret),
        });
        session = confirmed.session;
      }
      this.adopt(session);
    }
    return session.stage;
  }

  private adopt(session: SessionBody) {
    this.csrfToken = session.csrfToken;
    this.userId = session.user.id;
  }
}

const usedSteps = new Map<string, number>();

/**
 * A TOTP code the server has not seen yet: codes are single-use per 30 s step, so a second login
 * within one step uses the next step's code (the server accepts one step of clock drift).
 */
export async function freshTotp(secret: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000 / 30);
  const step = Math.max(now, (usedSteps.get(secret) ?? -1) + 1);
  if (step > now + 1) {
    await new Promise((resolve) => setTimeout(resolve, (step - 1) * 30_000 - Date.now() + 50));
  }
  usedSteps.set(secret, step);
  return generate({ secret, epoch: step * 30 });
}

let sequence = 0;
export const uniqueName = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${++sequence}`;

/** An operator with a built-in role, logged in (TOTP enrolled), ready to call /api/admin. */
export async function operatorConsole(t: TestPlatform, roleCode = 'super_admin'): Promise<ConsoleClient> {
  const { services } = t.platform;
  const role = await services.roles.require({ code: roleCode });
  const username = uniqueName(roleCode);
  const password = `pw7-${randomBytes(9).toString('base64url')}`;
  await services.consoleUsers.createUser({ area: 'operator', username, password, roleId: BigInt(role.id) });
  const client = new ConsoleClient(t.platform.url);
  const stage = await client.login('operator', username, password);
  if (stage !== 'active') throw new Error(`operator login stopped at ${stage}`);
  return client;
}

/** A merchant manager or cashier of `merchantId`, logged in, ready to call /api/merchant. */
export async function merchantConsole(
  t: TestPlatform,
  opts: { merchantId: bigint; merchantRole: 'manager' | 'cashier'; username?: string },
): Promise<ConsoleClient> {
  const username = opts.username ?? uniqueName(opts.merchantRole);
  const password = `pw7-${randomBytes(9).toString('base64url')}`;
  await t.platform.services.consoleUsers.createUser({
    area: 'merchant',
    username,
    password,
    merchantId: opts.merchantId,
    merchantRole: opts.merchantRole,
  });
  const client = new ConsoleClient(t.platform.url);
  const stage = await client.login('merchant', username, password);
  if (stage !== 'active') throw new Error(`merchant login stopped at ${stage}`);
  return client;
}

/** The e-mails the platform sends (password-reset codes), kept here instead of sent; `restore` ends that. */
export function captureMail(t: TestPlatform) {
  const sent: { to: string; text: string }[] = [];
  const spy = vi
    .spyOn(t.platform.services.consoleUsers.mailer, 'send')
    .mockImplementation(async (to, _subject, text) => {
      sent.push({ to, text });
    });
  return {
    sent,
    /** The reset code in the `index`th e-mail. */
    resetCode: (index = 0) => /code: (\d{6})/.exec(sent[index]!.text)![1]!,
    restore: () => spy.mockRestore(),
  };
}
