import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import * as queries from './queries.ts';

const COMPLETION_PASSWORD = 'completion_password_hash';
export const MIN_COMPLETION_PASSWORD = 8;

/** Platform-wide settings kept in the database (so every node sees the same). */
export class SettingsService {
  constructor(private readonly db: Db) {}

  async summary(): Promise<{ completionPasswordSet: boolean }> {
    return { completionPasswordSet: (await queries.getSetting(this.db, COMPLETION_PASSWORD)) !== null };
  }

  /** The separate password manual completion (补单) asks for; stored as an argon2id hash. */
  async setCompletionPassword(password: string): Promise<void> {
    if (password.length < MIN_COMPLETION_PASSWORD || password.length > 256) {
      throw new AppError('INVALID_REQUEST', `password: ${MIN_COMPLETION_PASSWORD}–256 characters`, {
        field: 'password',
      });
    }
    await queries.putSetting(this.db, COMPLETION_PASSWORD, await hashPassword(password));
  }

  async verifyCompletionPassword(password: string): Promise<void> {
    const hash = await queries.getSetting(this.db, COMPLETION_PASSWORD);
    if (hash === null) {
      throw new AppError(
        'COMPLETION_PASSWORD_NOT_SET',
        'set the completion password in system settings first',
      );
    }
    if (!(await verifyPassword(hash, password))) {
      throw new AppError('COMPLETION_PASSWORD_INVALID', 'the completion password is wrong');
    }
  }
}
