import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { generateSecret, generateURI, verify as verifyTotpCode } from 'otplib';
import QRCode from 'qrcode';
import type { WindowLimiter } from '../collect/limiter.ts';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import {
  DEFAULT_PASSWORD_POLICY,
  DEFAULT_SESSION_POLICY,
  type PasswordPolicy,
  type SessionPolicy,
} from '../settings/platform.ts';
import { GUESSES_PER_IP, guessLimiter } from './guess-limit.ts';
import type { Mailer } from './mailer.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { MERCHANT_PERMISSIONS } from './permissions.ts';
import type { Area, ConsoleUserWithRole, Stage } from './queries.ts';
import * as queries from './queries.ts';
import { totpSecretPlace } from './sealed-secrets.ts';
import type { SecretBox } from './secret-box.ts';

/** The defaults and the longest allowed (docs/security.md); operators may set shorter ones (系统设置). */
export const IDLE_TIMEOUT_SECONDS = DEFAULT_SESSION_POLICY.idleMinutes * 60;
export const SESSION_MAX_MS = DEFAULT_SESSION_POLICY.maxHours * 60 * 60 * 1000;
export const MAX_FAILED_LOGINS = 10;
export const LOCK_SECONDS = 30 * 60;
/** A new password may not be any of the last four (PCI DSS 8.3.7); operators may say more (系统设置). */
export const PASSWORD_HISTORY = DEFAULT_PASSWORD_POLICY.history;
const RESET_CODE_TTL_MS = 15 * 60 * 1000;
const RESET_CODE_MAX_ATTEMPTS = 5;
const RECOVERY_CODES = 10;
const TOTP_ISSUER = 'Qingyun Pay';
/** The last-seen time is written at most this often, so reads do not each cost a write. */
const TOUCH_EVERY_MS = 30_000;
/** A real hash to verify against when the user does not exist, so timing does not reveal usernames. */
const DUMMY_HASH_INPUT = 'qingyun-no-such-user';

/** Who is calling, as the guards and the services see it. */
export interface ConsoleUser {
  id: bigint;
  area: Area;
  username: string;
  displayName: string;
  email: string;
  totpEnabled: boolean;
  permissions: string[];
  role: { id: bigint; code: string; name: string } | null;
  merchantId: bigint | null;
  merchant: { mchNo: string; name: string } | null;
  merchantRole: 'manager' | 'cashier' | null;
  agentId: bigint | null;
  /** Member logins: the marketplace member they act for. */
  memberId: bigint | null;
}

export interface ConsoleSession {
  sessionId: string;
  ip: string;
  stage: Stage;
  csrfToken: string;
  user: ConsoleUser;
}

/** A session change the route must answer with: a new cookie token when the id was rotated. */
export interface SessionResult {
  token?: string;
  session: ConsoleSession;
}

export interface NewUser {
  area: Area;
  username: string;
  password: string;
  displayName?: string;
  email?: string;
  roleId?: bigint;
  merchantId?: bigint;
  merchantRole?: 'manager' | 'cashier';
  /** Agent users: the agent they act for. */
  agentId?: bigint;
  /** Member users: the member they act for, and the phone they may also log in with. */
  memberId?: bigint;
  loginPhone?: string;
  /** Set when someone else chose the password: the user replaces it at first login. */
  mustChangePassword?: boolean;
  createdBy?: bigint;
}

/**
 * Console accounts of every area and their sessions: passwords (argon2id), lockout, TOTP with
 * recovery codes, the login stages, password reset by e-mailed code.
 */
/** Where the session and password policies in force come from (settings/platform.ts). */
export interface ConsolePolicies {
  sessionPolicy?: () => Promise<SessionPolicy>;
  passwordPolicy?: () => Promise<PasswordPolicy>;
}

export class ConsoleUserService {
  private dummyHash: Promise<string> | null = null;
  /** Failed guesses per client address on this node (see guess-limit.ts). */
  readonly guessesPerIp: WindowLimiter;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    /** Public so tests can read the codes it would send. */
    readonly mailer: Mailer,
    guessesPerIp = GUESSES_PER_IP,
    /** The operators' session and password policies (系统设置, cached); the defaults when not given. */
    private readonly policies: ConsolePolicies = {},
  ) {
    this.guessesPerIp = guessLimiter(guessesPerIp);
  }

  /** The session policy in force: idle timeout and absolute lifetime (never beyond 15 minutes and 12 hours). */
  async sessionPolicy(): Promise<SessionPolicy> {
    return (await this.policies.sessionPolicy?.()) ?? DEFAULT_SESSION_POLICY;
  }

  /** The password policy in force: least lengths, history and expiry (never below the defaults). */
  async passwordPolicy(): Promise<PasswordPolicy> {
    return (await this.policies.passwordPolicy?.()) ?? DEFAULT_PASSWORD_POLICY;
  }

  private async checkPassword(
    area: Area,
    password: string,
    inputs: { username: string; displayName?: string },
  ) {
    const policy = await this.passwordPolicy();
    checkPasswordPolicy(
      area,
      password,
      inputs,
      area === 'operator' ? policy.operatorMinLength : policy.otherMinLength,
    );
    return policy;
  }

  async createUser(input: NewUser): Promise<ConsoleUser> {
    if (!/^[a-zA-Z0-9_.@-]{3,64}$/.test(input.username)) {
      throw new AppError('INVALID_REQUEST', 'username: 3–64 letters, digits, _ . @ -', { field: 'username' });
    }
    await this.checkPassword(input.area, input.password, input);
    const passwordHash = await hashPassword(input.password);
    const row = await queries.insertUser(this.db, {
      area: input.area,
      username: input.username,
      passwordHash,
      displayName: input.displayName ?? '',
      email: input.email ?? '',
      roleId: input.roleId ?? null,
      merchantId: input.merchantId ?? null,
      merchantRole: input.merchantRole ?? null,
      agentId: input.agentId ?? null,
      memberId: input.memberId ?? null,
      loginPhone: input.loginPhone ?? null,
      mustChangePassword: input.mustChangePassword ?? false,
      createdBy: input.createdBy ?? null,
    });
    if (!row)
      throw new AppError('ALREADY_EXISTS', `username ${input.username} is taken`, {
        kind: 'user',
        name: input.username,
      });
    await queries.insertPasswordHistory(this.db, row.id, passwordHash);
    return this.requireUser(row.id);
  }

  /** The first operator (demo, `qingyun create-operator`): super admin, enrols TOTP at first login. */
  async createSuperAdmin(username: string, password: string, displayName = ''): Promise<ConsoleUser> {
    const role = await queries.findRole(this.db, { code: 'super_admin' });
    if (!role) throw new Error('the super_admin role is missing: run the migrations');
    return this.createUser({ area: 'operator', username, password, displayName, roleId: role.id });
  }

  /** Which of these members have a portal login, keyed by member id. */
  async memberLoginsOf(memberIds: bigint[]) {
    if (memberIds.length === 0) return new Map<bigint, { username: string; loginPhone: string | null }>();
    const rows = await queries.memberLogins(this.db, memberIds);
    return new Map(rows.map((r) => [r.member_id, { username: r.username, loginPhone: r.login_phone }]));
  }

  /** Whether a member login already logs in with this phone number (one phone, one member login). */
  loginPhoneTaken(phone: string): Promise<boolean> {
    return queries.loginPhoneTaken(this.db, phone);
  }

  countUsers(area: Area): Promise<number> {
    return queries.countUsers(this.db, area);
  }

  async findUser(id: bigint): Promise<ConsoleUser | null> {
    const row = await queries.findUserById(this.db, id);
    return row ? toConsoleUser(row) : null;
  }

  async requireUser(id: bigint, area?: Area): Promise<ConsoleUser> {
    const user = await this.findUser(id);
    if (!user || (area && user.area !== area)) throw new AppError('NOT_FOUND', 'no such user');
    return user;
  }

  /** Raw row for admin views (lock state, last login). */
  async userRow(id: bigint): Promise<ConsoleUserWithRole | null> {
    return queries.findUserById(this.db, id);
  }

  async listUsers(f: {
    area: Area;
    merchantId?: bigint;
    merchantRole?: 'manager' | 'cashier';
    limit: number;
    offset: number;
  }) {
    return queries.listUsers(this.db, f);
  }

  async updateUser(
    id: bigint,
    fields: { displayName?: string; email?: string; phone?: string; enabled?: boolean; roleId?: bigint },
  ): Promise<void> {
    await queries.updateUser(this.db, id, {
      display_name: fields.displayName,
      email: fields.email,
      phone: fields.phone,
      enabled: fields.enabled,
      role_id: fields.roleId,
    });
    if (fields.enabled === false) await queries.deleteUserSessions(this.db, id);
  }

  /** An admin sets a temporary password: the user's sessions end and it must be changed at login. */
  async resetPasswordByAdmin(id: bigint): Promise<string> {
    const temporary = temporaryPassword();
    const { history } = await this.passwordPolicy();
    await queries.setPassword(this.db, id, await hashPassword(temporary), true, history);
    await queries.clearFailures(this.db, id);
    await queries.deleteUserSessions(this.db, id);
    return temporary;
  }

  /** An admin lifts a lockout (after checking who was locked out, and why). */
  unlock(id: bigint): Promise<void> {
    return queries.clearFailures(this.db, id);
  }

  /** An admin removes a lost authenticator: the user enrols again at the next login. */
  async resetTotpByAdmin(id: bigint): Promise<void> {
    await queries.updateUser(this.db, id, {
      totp_enabled: false,
      totp_secret_enc: null,
      recovery_code_hashes: [],
    });
    await queries.deleteUserSessions(this.db, id);
  }

  // ---------- login and its stages ----------

  /**
   * The password step. An unknown or disabled user, a locked account and a wrong password get the
   * same answer after the same work (one argon2 verification), so the answer tells a stranger
   * nothing about which usernames exist or are locked; the reason is kept for the audit log.
   */
  async login(area: Area, username: string, password: string, ip: string): Promise<SessionResult> {
    const user = await queries.findUserByName(this.db, area, username);
    if (!user?.enabled) {
      await this.verifyDummy(password);
      throw new LoginRefused(user ? 'disabled' : 'unknown_user');
    }
    // The guess is counted before the hash is checked, so parallel guesses cannot outrun the lock.
    if (!(await this.takeAttempt(user.id))) {
      await this.verifyDummy(password);
      throw new LoginRefused('locked', user.id);
    }
    if (!(await verifyPassword(user.password_hash, password))) {
      throw new LoginRefused('wrong_password', user.id);
    }
    if (user.merchant_id !== null && user.merchant_state !== 'enabled') {
      await this.returnAttempt(user.id);
      if (user.merchant_state === 'deleted') {
        throw new AppError('MERCHANT_DELETED', 'this merchant was deleted');
      }
      throw new AppError('MERCHANT_DISABLED', 'this merchant account is not active');
    }
    // A password older than the policy's expiry must be changed now, like a temporary one.
    const mustChange = user.must_change_password || (await this.passwordExpired(user.id));
    const stage: Stage = user.totp_enabled ? 'totp' : nextStage(toConsoleUser(user), mustChange);
    // Failures are cleared only when the whole login succeeds, so a known password does not reset
    // TOTP guesses; until then the right password is given back and counts for nothing.
    if (stage === 'active') await queries.recordLogin(this.db, user.id, ip);
    else await this.returnAttempt(user.id);

    const token = newToken();
    const csrfToken = randomBytes(24).toString('base64url');
    await queries.insertSession(this.db, {
      id: sessionId(token),
      userId: user.id,
      stage,
      csrfToken,
      expiresAt: new Date(Date.now() + (await this.sessionPolicy()).maxHours * 3_600_000),
      ip,
    });
    return {
      token,
      session: { sessionId: sessionId(token), ip, stage, csrfToken, user: toConsoleUser(user) },
    };
  }

  /** The session behind a cookie token, or null when there is none or it has ended. */
  async sessionOf(token: string | undefined, activity = true): Promise<ConsoleSession | null> {
    if (!token) return null;
    const policy = await this.sessionPolicy();
    const row = await queries.findLiveSession(
      this.db,
      sessionId(token),
      policy.idleMinutes * 60,
      policy.maxHours * 3_600,
    );
    if (!row) return null;
    // A screen refreshing itself is not a person at work: it does not push the idle timeout back.
    if (activity && Date.now() - row.last_seen_at.getTime() > TOUCH_EVERY_MS) {
      await queries.touchSession(this.db, row.session_id);
    }
    return {
      sessionId: row.session_id,
      ip: row.session_ip,
      stage: row.stage,
      csrfToken: row.csrf_token,
      user: toConsoleUser(row),
    };
  }

  /** Stage `totp`: a code from the authenticator or one recovery code. */
  async verifyTotp(session: ConsoleSession, code: string): Promise<SessionResult> {
    requireStage(session, 'totp');
    const row = (await queries.findUserById(this.db, session.user.id))!;
    await this.requireAttempt(row.id);
    const normalized = code.replace(/\s+/g, '');
    const ok = /^\d{6}$/.test(normalized)
      ? await this.checkTotp(row, normalized)
      : await queries.consumeRecoveryCode(this.db, row.id, hashCode(recoveryForm(normalized)));
    if (!ok) throw new AppError('TOTP_INVALID', 'the code is wrong or already used');
    return this.advance(session, nextStage(session.user, row.must_change_password));
  }

  /** Stage `password_change` (forced) or an active session (voluntary). */
  async changePassword(session: ConsoleSession, current: string, next: string): Promise<SessionResult> {
    if (session.stage !== 'password_change' && session.stage !== 'active') requireStage(session, 'active');
    const row = (await queries.findUserById(this.db, session.user.id))!;
    await this.requireAttempt(row.id);
    if (!(await verifyPassword(row.password_hash, current))) {
      throw new AppError('LOGIN_FAILED', 'the current password is wrong', { reason: 'current_password' });
    }
    try {
      await this.setNewPassword(row, next, false);
    } catch (error) {
      await this.returnAttempt(row.id);
      throw error;
    }
    await queries.deleteUserSessions(this.db, row.id, session.sessionId);
    const stage = session.stage === 'active' ? 'active' : nextStage(session.user, false);
    return this.advance(session, stage);
  }

  /** Starts TOTP enrolment: a new secret (kept encrypted, not yet enabled) and its QR code. */
  async startTotpEnrolment(session: ConsoleSession) {
    if (session.stage !== 'totp_enrol' && !(session.stage === 'active' && !session.user.totpEnabled)) {
      requireStage(session, 'totp_enrol');
    }
    const secret = generateSecret();
    await queries.updateUser(this.db, session.user.id, {
      totp_secret_enc: this.secrets.encrypt(secret, totpSecretPlace(session.user.id)),
    });
    const otpauthUrl = generateURI({ secret, label: session.user.username, issuer: TOTP_ISSUER });
    return { secret, otpauthUrl, qrDataUrl: await QRCode.toDataURL(otpauthUrl, { margin: 1, width: 220 }) };
  }

  /** Confirms enrolment with a first code; returns the recovery codes, shown once. */
  async confirmTotpEnrolment(
    session: ConsoleSession,
    code: string,
  ): Promise<SessionResult & { recoveryCodes: string[] }> {
    const row = (await queries.findUserById(this.db, session.user.id))!;
    if (!row.totp_secret_enc || row.totp_enabled) {
      throw new AppError('STAGE_REQUIRED', 'start the enrolment first');
    }
    await this.requireAttempt(row.id);
    if (!(await this.checkTotp(row, code.trim()))) {
      throw new AppError('TOTP_INVALID', 'the code is wrong; check the time on your phone');
    }
    const recoveryCodes = Array.from({ length: RECOVERY_CODES }, recoveryCode);
    await queries.updateUser(this.db, row.id, {
      totp_enabled: true,
      recovery_code_hashes: recoveryCodes.map(hashCode),
    });
    const user = { ...session.user, totpEnabled: true };
    const result = await this.advance({ ...session, user }, 'active');
    return { ...result, recoveryCodes };
  }

  /** Merchants and agents may turn TOTP off again with their password; operators may not. */
  async disableTotp(session: ConsoleSession, password: string): Promise<ConsoleSession> {
    requireStage(session, 'active');
    if (session.user.area === 'operator')
      throw new AppError('FORBIDDEN', 'operators must keep two-factor login');
    const row = (await queries.findUserById(this.db, session.user.id))!;
    await this.requireAttempt(row.id);
    if (!(await verifyPassword(row.password_hash, password))) {
      throw new AppError('LOGIN_FAILED', 'the password is wrong', { reason: 'password' });
    }
    await this.returnAttempt(row.id);
    await queries.updateUser(this.db, row.id, {
      totp_enabled: false,
      totp_secret_enc: null,
      recovery_code_hashes: [],
    });
    return { ...session, user: { ...session.user, totpEnabled: false } };
  }

  /**
   * The signed-in user's own login password, and a current TOTP code when they enabled two-step
   * login, before a sensitive change (a bank card, a withdrawal). Each wrong guess counts toward the
   * account's lockout like a wrong login; a right one is given back.
   */
  async confirmIdentity(userId: bigint, password: string, totpCode?: string): Promise<void> {
    const row = await queries.findUserById(this.db, userId);
    if (!row) throw new AppError('UNAUTHENTICATED', 'log in first');
    await this.requireAttempt(row.id);
    if (!(await verifyPassword(row.password_hash, password))) {
      throw new AppError('LOGIN_FAILED', 'the password is wrong', { reason: 'password' });
    }
    if (row.totp_enabled && !(await this.checkTotp(row, totpCode ?? ''))) {
      throw new AppError('TOTP_INVALID', 'the code is wrong or already used');
    }
    await this.returnAttempt(row.id);
  }

  /** Whether the user's password is older than the policy's expiry (none when the expiry is 0). */
  private async passwordExpired(userId: bigint): Promise<boolean> {
    const { expiryDays } = await this.passwordPolicy();
    if (expiryDays === 0) return false;
    const setAt = await queries.passwordSetAt(this.db, userId);
    return setAt !== null && Date.now() - setAt.getTime() > expiryDays * 86_400_000;
  }

  logout(session: ConsoleSession): Promise<void> {
    return queries.deleteSession(this.db, session.sessionId);
  }

  async purgeExpiredSessions(): Promise<void> {
    const policy = await this.sessionPolicy();
    return queries.purgeExpiredSessions(this.db, policy.idleMinutes * 60, policy.maxHours * 3_600);
  }

  // ---------- password reset ----------

  /**
   * Sends a reset code to the user's e-mail, and by SMS when their mobile number is set and an SMS
   * provider is configured. Answers the same, as fast, whether or not the user exists or has an
   * address: the messages go out in the background. At most one code a minute; the attempts on the
   * codes of one 15-minute window are counted together.
   */
  async requestPasswordReset(area: Area, username: string): Promise<void> {
    const user = await queries.findUserByName(this.db, area, username);
    if (!user?.enabled) return;
    const bySms = Boolean(user.phone && this.mailer.sendSms);
    const byMail = Boolean(user.email) || (this.mailer.logsInstead && !bySms);
    if (!byMail && !bySms) return;
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const codeHash = hashCode(`${user.id}:${code}`);
    if (!(await queries.issueResetCode(this.db, user.id, codeHash, RESET_CODE_TTL_MS / 1000))) return;
    const oneTime = { code, minutes: RESET_CODE_TTL_MS / 60_000, username };
    // The mailer logs its own failures; the answer must not depend on them.
    const ignore = () => {};
    if (byMail) {
      void this.mailer
        .send(
          user.email,
          '青云支付 密码重置验证码 / Qingyun Pay password reset code',
          `${area}/${username} password reset code: ${code} (valid 15 minutes)`,
          oneTime,
        )
        .catch(ignore);
    }
    if (bySms) void this.mailer.sendSms!(user.phone, oneTime).catch(ignore);
  }

  async confirmPasswordReset(area: Area, username: string, code: string, newPassword: string): Promise<void> {
    const user = await queries.findUserByName(this.db, area, username);
    const refused = new AppError('INVALID_REQUEST', 'code: wrong or expired');
    if (!user?.enabled) throw refused;
    await this.checkPassword(area, newPassword, { username, displayName: user.display_name });
    // The attempt is counted before the code is compared, in one statement, so parallel guesses each
    // count: at most RESET_CODE_MAX_ATTEMPTS comparisons per code window, whatever the concurrency.
    const stored = await queries.takeResetAttempt(this.db, user.id, RESET_CODE_MAX_ATTEMPTS);
    if (!stored || !safeEqual(stored, hashCode(`${user.id}:${code.trim()}`))) {
      if (stored) await queries.recordFailedLogin(this.db, user.id, MAX_FAILED_LOGINS, LOCK_SECONDS);
      throw refused;
    }
    await this.setNewPassword(user, newPassword, false);
    await queries.updateUser(this.db, user.id, {
      reset_code_hash: null,
      reset_code_expires: null,
      reset_code_attempts: 0,
    });
    await queries.clearFailures(this.db, user.id);
    await queries.deleteUserSessions(this.db, user.id);
  }

  // ---------- internals ----------

  private async checkTotp(row: ConsoleUserWithRole, code: string): Promise<boolean> {
    if (!row.totp_secret_enc || !/^\d{6}$/.test(code)) return false;
    const result = await verifyTotpCode({
      secret: this.secrets.decrypt(row.totp_secret_enc, totpSecretPlace(row.id)),
      token: code,
      epochTolerance: 30,
    });
    // epoch is the start of the matched 30 s period: its step number makes the code single-use.
    if (!result.valid || !('epoch' in result)) return false;
    return queries.consumeTotpStep(this.db, row.id, BigInt(Math.floor(result.epoch / 30)));
  }

  /**
   * Takes one guess against the account's limit before anything is checked (see queries.takeAttempt).
   * Every failure counts; the tenth in a row locks the account. Open sessions stay: a stranger could
   * otherwise log anyone out.
   */
  private takeAttempt(userId: bigint): Promise<boolean> {
    return queries.takeAttempt(this.db, userId, MAX_FAILED_LOGINS, LOCK_SECONDS);
  }

  /** Inside a session the caller already proved who they are: a lock may be named. */
  private async requireAttempt(userId: bigint): Promise<void> {
    if (await this.takeAttempt(userId)) return;
    const row = await queries.findUserById(this.db, userId);
    throw new AppError('ACCOUNT_LOCKED', 'too many failed attempts; try again later', {
      lockedUntil: row?.locked_until?.toISOString() ?? null,
    });
  }

  private returnAttempt(userId: bigint): Promise<void> {
    return queries.returnAttempt(this.db, userId, MAX_FAILED_LOGINS);
  }

  /** The same argon2 work as a real check, for answers that must not be told apart by their timing. */
  private async verifyDummy(password: string): Promise<void> {
    this.dummyHash ??= hashPassword(DUMMY_HASH_INPUT);
    await verifyPassword(await this.dummyHash, password);
  }

  /**
   * A new password for `user`: the policy (length, letters and digits, not common or guessable), not
   * one of the last four, then stored with its history.
   */
  private async setNewPassword(user: ConsoleUserWithRole, password: string, mustChange: boolean) {
    const { history } = await this.checkPassword(user.area, password, {
      username: user.username,
      displayName: user.display_name,
    });
    for (const previous of await queries.recentPasswordHashes(this.db, user.id, history)) {
      if (await verifyPassword(previous, password)) {
        throw new AppError('PASSWORD_REUSED', `password: must differ from your last ${history}`, {
          count: history,
        });
      }
    }
    await queries.setPassword(this.db, user.id, await hashPassword(password), mustChange, history);
  }

  /**
   * A second password checked inside a session (the manual-completion password): each guess is
   * taken against the user's lockout before it is checked, so parallel guesses cannot outrun it; a
   * right one is given back, and a locked user may not try.
   */
  async checkWithLockout(userId: bigint, check: () => Promise<void>): Promise<void> {
    await this.requireAttempt(userId);
    try {
      await check();
    } catch (error) {
      // Only a wrong guess counts; a refusal that checked nothing (no password set yet) is given back.
      if (!(error instanceof AppError && error.status === 403)) await this.returnAttempt(userId);
      throw error;
    }
    await this.returnAttempt(userId);
  }

  private async advance(session: ConsoleSession, stage: Stage): Promise<SessionResult> {
    // Every caller took a guess that turned out right: into `active` it completes the login (failures
    // cleared), otherwise it is given back and counts for nothing.
    if (stage === 'active' && session.stage !== 'active') {
      await queries.recordLogin(this.db, session.user.id, session.ip);
    } else {
      await this.returnAttempt(session.user.id);
    }
    const token = newToken();
    await queries.advanceSession(this.db, session.sessionId, sessionId(token), stage);
    const user = await this.requireUser(session.user.id);
    return { token, session: { ...session, sessionId: sessionId(token), stage, user } };
  }
}

/** After the password (and TOTP if enrolled): change a temporary password, then enrol TOTP if required. */
function nextStage(user: ConsoleUser, mustChangePassword: boolean): Stage {
  if (mustChangePassword) return 'password_change';
  if (user.area === 'operator' && !user.totpEnabled) return 'totp_enrol';
  return 'active';
}

export function requireStage(session: ConsoleSession, stage: Stage): void {
  if (session.stage !== stage) {
    throw new AppError('STAGE_REQUIRED', `finish the login first (current step: ${session.stage})`, {
      stage: session.stage,
    });
  }
}

/** Why a login was refused, for the audit log; the caller only ever sees LOGIN_FAILED. */
export type LoginRefusal = 'unknown_user' | 'disabled' | 'locked' | 'wrong_password';

/** The one answer to a refused password step, whatever the reason (the reason stays on the server). */
export class LoginRefused extends AppError {
  constructor(
    readonly reason: LoginRefusal,
    readonly userId: bigint | null = null,
  ) {
    super('LOGIN_FAILED', 'wrong username or password');
  }
}

export function toConsoleUser(row: ConsoleUserWithRole): ConsoleUser {
  const merchantPermissions = row.merchant_role ? [...MERCHANT_PERMISSIONS[row.merchant_role]] : [];
  return {
    id: row.id,
    area: row.area,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    totpEnabled: row.totp_enabled,
    permissions: row.area === 'operator' ? (row.permissions ?? []) : merchantPermissions,
    role:
      row.role_id !== null ? { id: row.role_id, code: row.role_code ?? '', name: row.role_name ?? '' } : null,
    merchantId: row.merchant_id,
    merchant: row.mch_no ? { mchNo: row.mch_no, name: row.merchant_name ?? '' } : null,
    merchantRole: row.merchant_role,
    agentId: row.agent_id,
    memberId: row.member_id,
  };
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function sessionId(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function hashCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

function safeEqual(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** A recovery code as issued (lower case, a dash after 5), however it was typed. */
function recoveryForm(typed: string): string {
  const plain = typed.toLowerCase().replace(/[^a-z0-9]/g, '');
  return plain.length === 10 ? `${plain.slice(0, 5)}-${plain.slice(5)}` : plain;
}

/** 10 characters of base32 in two groups: easy to type from paper, 50 bits of entropy. */
function recoveryCode(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  const chars = Array.from({ length: 10 }, () => alphabet[randomInt(0, alphabet.length)]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/**
 * A generated password (temporary ones, the demo's): 16 random characters with letters and digits,
 * about 95 bits, so it always passes the policy.
 */
export function temporaryPassword(): string {
  for (;;) {
    const candidate = randomBytes(12).toString('base64url');
    if (/[a-zA-Z]/.test(candidate) && /\d/.test(candidate)) return candidate;
  }
}
