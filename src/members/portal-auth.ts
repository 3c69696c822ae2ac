import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Services } from '../app/services.ts';
import { AppError } from '../errors.ts';
import * as portal from './portal-queries.ts';
import type { MemberRow } from './queries.ts';

/** How long a first-login code is good for, and how many guesses it allows. */
export const CODE_TTL_SECONDS = 10 * 60;
export const CODE_MAX_ATTEMPTS = 5;
/** After a right code: the time to choose the member and set the login up. */
export const SETUP_TTL_SECONDS = 15 * 60;
/** Codes to one phone: one a minute, at most five an hour; from one address at most twenty an hour. */
export const CODE_INTERVAL_SECONDS = 60;
export const CODES_PER_PHONE_HOUR = 5;
export const CODES_PER_IP_HOUR = 20;

const PHONE = /^1\d{10}$/;

/** A member as the first-login step shows it: enough to tell one's own apart, no more. */
export interface FirstLoginMember {
  memberNo: string;
  merchantName: string;
  name: string;
  type: MemberRow['type'];
  idNoMasked: string;
  /** Already has a portal login: shown, not selectable. */
  hasLogin: boolean;
}

/**
 * The member portal's first login (首次登录, seed 001 §2.2): a code by SMS to the member's bound
 * phone proves the caller holds it; then it chooses which of that phone's members (possibly of
 * several merchants) to set a login up for, with a username and password (the other logins'
 * policy) and, when no member login uses the phone yet, login by phone number too. The login is a
 * console user of the area `member`; after this it logs in like any other (guess limits, lockout,
 * optional TOTP).
 */
export class MemberPortalAuth {
  constructor(private readonly services: Services) {}

  private get db() {
    return this.services.db;
  }

  /**
   * Sends a code when the phone has members; answers the same either way, so the answer does not
   * tell which phones are members'. Rate-limited per phone and per address (RATE_LIMITED).
   */
  async sendCode(phone: string, ip: string): Promise<{ resendAfterSeconds: number }> {
    requirePhone(phone);
    const sent = await portal.codesSent(this.db, phone, ip, 3_600);
    const wait =
      sent.lastAgeSeconds !== null && sent.lastAgeSeconds < CODE_INTERVAL_SECONDS
        ? Math.ceil(CODE_INTERVAL_SECONDS - sent.lastAgeSeconds)
        : 0;
    if (wait > 0 || sent.byPhone >= CODES_PER_PHONE_HOUR || sent.byIp >= CODES_PER_IP_HOUR) {
      throw new AppError('RATE_LIMITED', 'too many codes requested; wait before asking again', {
        retryAfterSeconds: wait > 0 ? wait : 3_600,
      });
    }
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await portal.insertCode(this.db, {
      phone,
      ip,
      codeHash: hashOf(`${phone}:${code}`),
      ttlSeconds: CODE_TTL_SECONDS,
    });
    const members = (await portal.membersByPhone(this.db, phone)).filter((m) => m.state !== 'closed');
    if (members.length > 0) {
      const { mailer } = this.services.consoleUsers;
      const oneTime = { code, minutes: CODE_TTL_SECONDS / 60, username: phone };
      // The messages go out in the background; their failures are logged by the mailer.
      const ignore = () => {};
      if (mailer.sendSms) void mailer.sendSms(phone, oneTime).catch(ignore);
      // The embedded demo has no SMS provider: the code goes to the log, as e-mailed codes do.
      if (mailer.logsInstead) {
        void mailer
          .send('', '青云支付 会员门户首次登录验证码', `member portal first login ${phone} code: ${code}`)
          .catch(ignore);
      }
    }
    return { resendAfterSeconds: CODE_INTERVAL_SECONDS };
  }

  /**
   * Checks the code (each guess counted; five per code): a right one gives a setup token and the
   * phone's members. A wrong code is MEMBER_LOGIN_CODE_INVALID; none live (expired, used up,
   * never sent) MEMBER_LOGIN_CODE_EXPIRED.
   */
  async verifyCode(phone: string, code: string) {
    requirePhone(phone);
    const stored = await portal.takeCodeAttempt(this.db, phone, CODE_MAX_ATTEMPTS);
    if (!stored)
      throw new AppError('MEMBER_LOGIN_CODE_EXPIRED', 'no live code for this phone: request a new one');
    if (!safeEqual(stored.code_hash, hashOf(`${phone}:${code.trim()}`))) {
      throw new AppError('MEMBER_LOGIN_CODE_INVALID', 'the code is wrong', { field: 'code' });
    }
    const setupToken = randomBytes(24).toString('base64url');
    await portal.setSetupToken(this.db, stored.id, hashOf(setupToken), SETUP_TTL_SECONDS);
    return {
      setupToken,
      expiresInSeconds: SETUP_TTL_SECONDS,
      phoneLoginAvailable: !(await this.services.consoleUsers.loginPhoneTaken(phone)),
      members: await this.firstLoginMembers(phone),
    };
  }

  /** The phone's members as the choice shows them (closed members are left out). */
  async firstLoginMembers(phone: string): Promise<FirstLoginMember[]> {
    const members = (await portal.membersByPhone(this.db, phone)).filter((m) => m.state !== 'closed');
    const [merchants, logins] = await Promise.all([
      this.services.merchants.merchantsByIds([...new Set(members.map((m) => m.merchant_id))]),
      this.services.consoleUsers.memberLoginsOf(members.map((m) => m.id)),
    ]);
    return members.map((m) => ({
      memberNo: m.member_no,
      merchantName: merchants.get(m.merchant_id)?.name ?? '',
      name: m.name,
      type: m.type,
      idNoMasked: m.id_no_last4 ? `${'*'.repeat(14)}${m.id_no_last4}` : '',
      hasLogin: logins.has(m.id),
    }));
  }

  /**
   * Sets the chosen member's login up with the setup token (used once): a console user of the area
   * member with this username and password, and the phone as a second login name when asked for and
   * free. Returns the username to log in with.
   */
  async setUp(input: {
    setupToken: string;
    memberNo: string;
    username: string;
    password: string;
    phoneLogin: boolean;
  }): Promise<{ username: string; loginPhone: string | null }> {
    const tokenHash = hashOf(input.setupToken);
    const phone = await portal.phoneOfSetupToken(this.db, tokenHash);
    if (!phone)
      throw new AppError('MEMBER_LOGIN_CODE_EXPIRED', 'the setup step expired: verify the phone again');
    const member = (await portal.membersByPhone(this.db, phone)).find((m) => m.member_no === input.memberNo);
    if (!member) throw new AppError('MEMBER_NOT_FOUND', `no member ${input.memberNo} with this phone`);
    if (member.state === 'closed') throw new AppError('MEMBER_STATE', `member ${member.member_no} is closed`);
    if ((await this.services.consoleUsers.memberLoginsOf([member.id])).has(member.id)) {
      throw new AppError('MEMBER_LOGIN_EXISTS', `member ${member.member_no} already has a portal login`);
    }
    // A username is never a phone number, so the one login name box tells them apart.
    if (!/[a-zA-Z]/.test(input.username)) {
      throw new AppError('INVALID_REQUEST', 'username: must contain a letter', { field: 'username' });
    }
    const loginPhone = input.phoneLogin ? phone : null;
    if (loginPhone && (await this.services.consoleUsers.loginPhoneTaken(loginPhone))) {
      throw new AppError('ALREADY_EXISTS', 'this phone already logs in to another member', {
        kind: 'login_phone',
        name: loginPhone,
      });
    }
    if (!(await portal.spendSetupToken(this.db, tokenHash))) {
      throw new AppError('MEMBER_LOGIN_CODE_EXPIRED', 'the setup step expired: verify the phone again');
    }
    try {
      const user = await this.services.consoleUsers.createUser({
        area: 'member',
        username: input.username,
        password: input.password,
        displayName: member.name,
        memberId: member.id,
        ...(loginPhone ? { loginPhone } : {}),
      });
      // The bound phone is also where the login's password-reset codes go by SMS.
      await this.services.consoleUsers.updateUser(user.id, { phone });
    } catch (error) {
      // A refused username or password may be corrected with the same token.
      await portal.releaseSetupToken(this.db, tokenHash);
      if (isUniqueViolation(error)) {
        throw new AppError('MEMBER_LOGIN_EXISTS', `member ${member.member_no} already has a portal login`);
      }
      throw error;
    }
    return { username: input.username, loginPhone };
  }
}

function requirePhone(phone: string): void {
  if (!PHONE.test(phone)) {
    throw new AppError('INVALID_REQUEST', 'phone: a mainland mobile number, 11 digits', { field: 'phone' });
  }
}

function hashOf(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function safeEqual(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}
