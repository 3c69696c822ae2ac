import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import * as queries from './queries.ts';

export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
export const MIN_OPERATOR_PASSWORD = 12;
/** A real hash to verify against when the user does not exist, so timing does not reveal usernames. */
const DUMMY_HASH_INPUT = 'qingyun-no-such-operator';

export interface OperatorIdentity {
  id: bigint;
  username: string;
  displayName: string;
}

/** Operator accounts and their console sessions (2FA and roles arrive with the consoles). */
export class OperatorService {
  private dummyHash: Promise<string> | null = null;

  constructor(private readonly db: Db) {}

  async createOperator(username: string, password: string, displayName = ''): Promise<OperatorIdentity> {
    if (!/^[a-zA-Z0-9_.-]{3,64}$/.test(username))
      throw new AppError('INVALID_REQUEST', 'username: 3–64 letters, digits, _ . -');
    if (password.length < MIN_OPERATOR_PASSWORD) {
      throw new AppError('INVALID_REQUEST', `password: at least ${MIN_OPERATOR_PASSWORD} characters`);
    }
    const row = await queries.insertOperator(this.db, {
      username,
      passwordHash: await hashPassword(password),
      displayName,
    });
    return { id: row.id, username: row.username, displayName: row.display_name };
  }

  countOperators(): Promise<number> {
    return queries.countOperators(this.db);
  }

  /** Checks the password and opens a session; the token goes in the cookie, its hash in the database. */
  async login(
    username: string,
    password: string,
    ip: string,
  ): Promise<{ token: string; operator: OperatorIdentity }> {
    const operator = await queries.findOperatorByUsername(this.db, username);
    if (!operator?.enabled) {
      this.dummyHash ??= hashPassword(DUMMY_HASH_INPUT);
      await verifyPassword(await this.dummyHash, password);
      throw new AppError('LOGIN_FAILED', 'wrong username or password');
    }
    if (!(await verifyPassword(operator.password_hash, password)))
      throw new AppError('LOGIN_FAILED', 'wrong username or password');
    const token = randomBytes(32).toString('base64url');
    await queries.insertSession(this.db, {
      id: sessionId(token),
      operatorId: operator.id,
      expiresAt: new Date(Date.now() + SESSION_TTL_MS),
      ip,
    });
    return {
      token,
      operator: { id: operator.id, username: operator.username, displayName: operator.display_name },
    };
  }

  async operatorOf(token: string | undefined): Promise<OperatorIdentity | null> {
    if (!token) return null;
    const row = await queries.findLiveSession(this.db, sessionId(token));
    return row ? { id: row.id, username: row.username, displayName: row.display_name } : null;
  }

  logout(token: string): Promise<void> {
    return queries.deleteSession(this.db, sessionId(token));
  }

  purgeExpiredSessions(): Promise<void> {
    return queries.purgeExpiredSessions(this.db);
  }
}

function sessionId(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
