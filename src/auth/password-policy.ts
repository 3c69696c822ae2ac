import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { AppError } from '../errors.ts';
import type { Area } from './queries.ts';

/**
 * What every new console password must satisfy (PCI DSS 8.3.6, ASVS 2.1): operators at least 12
 * characters, other areas at least 8; letters and digits both; not a common or breached password
 * (zxcvbn's list of common passwords, whole or with l33t / reversal), and not easy to guess from the
 * username or the platform's name (zxcvbn score 3 or more with those as user inputs). Reuse of the
 * last four is checked by the service, which has the hashes.
 */
export const MIN_PASSWORD = { operator: 12, merchant: 8, agent: 8, member: 8 } as const;
export const MAX_PASSWORD = 256;
/** zxcvbn's 0–4 scale: 3 is "safely unguessable" (about 10^8 guesses and more). */
export const MIN_PASSWORD_SCORE = 3;
/** Words of the platform itself, so 青云 / Qingyun variations count as guessable. */
const PLATFORM_WORDS = ['qingyun', 'qingyunpay', 'qingyun pay', 'qypay', '青云', '青云支付'];

// Built once: the factory indexes the dictionaries (~100 ms).
let zxcvbn: ZxcvbnFactory | null = null;
function estimator(): ZxcvbnFactory {
  zxcvbn ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
  return zxcvbn;
}

/** The rules a password can break (`details.rule` of PASSWORD_TOO_WEAK; the consoles say each). */
export const PASSWORD_RULES = ['length', 'letters_and_digits', 'common', 'guessable'] as const;
export type PasswordRule = (typeof PASSWORD_RULES)[number];

/** Throws PASSWORD_TOO_WEAK, with the rule it broke, unless `password` may be used. */
export function checkPasswordPolicy(
  area: Area,
  password: string,
  userInputs: { username: string; displayName?: string },
  /** The operators' least length (系统设置); never below {@link MIN_PASSWORD}. */
  policyMinLength = 0,
): void {
  const minLength = Math.max(MIN_PASSWORD[area], policyMinLength);
  const refuse = (rule: PasswordRule, message: string) => {
    throw new AppError('PASSWORD_TOO_WEAK', message, { rule, minLength });
  };
  if ([...password].length < minLength || password.length > MAX_PASSWORD) {
    refuse('length', `password: ${minLength}–${MAX_PASSWORD} characters`);
  }
  if (!/\p{L}/u.test(password) || !/\p{Nd}/u.test(password)) {
    refuse('letters_and_digits', 'password: use both letters and digits');
  }
  const inputs = [userInputs.username, userInputs.displayName ?? '', ...PLATFORM_WORDS].filter(Boolean);
  const result = estimator().check(password, inputs);
  const commonWhole = result.sequence.some(
    (m) =>
      m.pattern === 'dictionary' &&
      m.dictionaryName === 'passwords-common' &&
      m.i === 0 &&
      m.j === password.length - 1,
  );
  if (commonWhole) refuse('common', 'password: this is a commonly used password');
  if (result.score < MIN_PASSWORD_SCORE) {
    refuse('guessable', 'password: too easy to guess (common words, names, patterns or the username)');
  }
}
