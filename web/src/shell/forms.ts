import type { Rule } from 'antd/es/form';
import i18n from '../i18n.ts';
import { parseYuan, ppmFromPercent, yuan } from './format.ts';

// Form rules shared by every console: amounts are typed in yuan, rates in percent, settings as JSON.

const empty = (v: unknown) => v === undefined || v === null || String(v).trim() === '';

const NUMBER = /^\s*([+-]?)(\d+)(?:\.(\d*))?\s*$/;

/**
 * What is wrong with an amount typed in yuan, as one sentence (null when it is right): not a number,
 * not above 0 (or negative, for fees where 0 means none), more than two decimals, below `min` or above
 * `max` (minor units). One message per field at a time, the first problem a person would fix.
 */
export function amountProblem(
  value: unknown,
  options: { required?: boolean; allowZero?: boolean; min?: number; max?: number } = {},
): string | null {
  if (empty(value)) return options.required ? i18n.t('common:validation.amountRequired') : null;
  const m = NUMBER.exec(String(value));
  if (!m) return i18n.t('common:validation.amountNumber');
  const negative = m[1] === '-' && /[1-9]/.test(`${m[2]}${m[3] ?? ''}`);
  const zero = !/[1-9]/.test(`${m[2]}${m[3] ?? ''}`);
  if (options.allowZero ? negative : negative || zero) {
    return i18n.t(options.allowZero ? 'common:validation.feeNegative' : 'common:validation.amountPositive');
  }
  if ((m[3] ?? '').length > 2) return i18n.t('common:validation.amountDecimals');
  const minor = parseYuan(`${m[2]}${m[3] ? `.${m[3]}` : ''}`);
  if (minor === null)
    return i18n.t('common:validation.amountMax', { max: yuan(options.max ?? 99_999_999_999_99) });
  if (options.min !== undefined && minor < options.min) {
    return i18n.t('common:validation.amountMin', { min: yuan(options.min) });
  }
  if (options.max !== undefined && minor > options.max) {
    return i18n.t('common:validation.amountMax', { max: yuan(options.max) });
  }
  return null;
}

/** An amount in yuan, greater than zero, at most two decimals, optionally within [min, max] (minor units). */
export function amountRule(required = false, range: { min?: number; max?: number } = {}): Rule {
  return {
    required,
    validator: async (_rule, value: unknown) => {
      const problem = amountProblem(value, { required, ...range });
      if (problem) throw new Error(problem);
    },
  };
}

/** What is wrong with a rate typed in percent (0–100, at most four decimals), or null. */
export function rateProblem(value: unknown, required = false): string | null {
  if (empty(value)) return required ? i18n.t('common:validation.rateRequired') : null;
  const m = NUMBER.exec(String(value));
  if (!m) return i18n.t('common:validation.rateNumber');
  if (m[1] === '-' && /[1-9]/.test(`${m[2]}${m[3] ?? ''}`)) return i18n.t('common:validation.rateNegative');
  if ((m[3] ?? '').length > 4) return i18n.t('common:validation.rateDecimals');
  if (ppmFromPercent(`${m[2]}${m[3] ? `.${m[3]}` : ''}`) === null) return i18n.t('common:validation.rateMax');
  return null;
}

/** A rate in percent 0–100 with at most four decimals (whole ppm). */
export function percentRule(required = false): Rule {
  return {
    required,
    validator: async (_rule, value: unknown) => {
      const problem = rateProblem(value, required);
      if (problem) throw new Error(problem);
    },
  };
}

/** What is wrong with a whole number `field` (its label) in [min, max], or null. */
export function integerProblem(
  value: unknown,
  field: string,
  range: { min: number; max: number; required?: boolean },
): string | null {
  if (empty(value))
    return range.required === false ? null : i18n.t('common:validation.integerRequired', { field });
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n)) return i18n.t('common:validation.integerNumber', { field });
  if (n < range.min) {
    return range.min === 0
      ? i18n.t('common:validation.weightNegative')
      : i18n.t('common:validation.integerMin', { field, min: range.min });
  }
  if (n > range.max) return i18n.t('common:validation.integerMax', { field, max: range.max });
  return null;
}

/** A whole number in [min, max]: the routing weight (0–10 000) and priority (−1000–1000). */
export function integerRule(field: string, range: { min: number; max: number; required?: boolean }): Rule {
  return {
    required: range.required !== false,
    validator: async (_rule, value: unknown) => {
      const problem = integerProblem(value, field, range);
      if (problem) throw new Error(problem);
    },
  };
}

/** A routing weight: share of the orders within its priority; 0 takes none, never negative. */
export const WEIGHT_RANGE = { min: 0, max: 10_000 } as const;
/** A routing priority: the highest is tried first. */
export const PRIORITY_RANGE = { min: -1000, max: 1000 } as const;

/** The most a fixed fee or minimum may be, in minor units (the server's limit: 10 000 yuan). */
export const MAX_FEE_PART = 1_000_000;

/** A fixed fee or minimum fee in yuan: empty or 0 for none, at most two decimals, up to 10 000. */
export function feeRule(): Rule {
  return {
    validator: async (_rule, value: unknown) => {
      const problem = amountProblem(value, { allowZero: true, max: MAX_FEE_PART });
      if (problem) throw new Error(problem);
    },
  };
}

/** A fee part as typed (yuan) → minor units; empty is 0 (none). */
export function feePartOf(text: string | undefined): number {
  return text?.trim() ? (parseYuan(text) ?? 0) : 0;
}

/** A JSON object (not an array or a scalar). */
export function jsonObjectRule(required = false): Rule {
  return {
    validator: async (_rule, value: unknown) => {
      if (empty(value)) {
        if (required) throw new Error(i18n.t('common:validation.json'));
        return;
      }
      if (parseJsonObject(String(value)) === null) throw new Error(i18n.t('common:validation.json'));
    },
  };
}

export function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** An amount typed in yuan → minor units; empty → null (the server's "no limit"). */
export function minorOrNull(value: unknown): number | null {
  if (empty(value)) return null;
  return parseYuan(String(value));
}

/**
 * The rule for a new password: length by area (operators 12, others 8), letters and digits, one message
 * at a time. The server also refuses common or guessable passwords and the last four; its answer names
 * the rule.
 */
export function newPasswordRules(minLength: number): Rule[] {
  return [
    {
      required: true,
      validator: async (_rule, value: unknown) => {
        const text = empty(value) ? '' : String(value);
        if (text.length < minLength)
          throw new Error(i18n.t('common:security.passwordMin', { min: minLength }));
        if (text.length > 256) throw new Error(i18n.t('common:security.passwordMax', { max: 256 }));
        if (!/\p{L}/u.test(text) || !/\p{Nd}/u.test(text)) {
          throw new Error(i18n.t('common:security.passwordLettersDigits'));
        }
      },
    },
  ];
}

/** A notify address: empty, or an http(s) URL of at most 512 characters. */
export function urlRule(): Rule {
  return {
    validator: async (_rule, value: unknown) => {
      if (empty(value)) return;
      const text = String(value).trim();
      let ok = /^https?:\/\/[^\s/$.?#][^\s]*$/i.test(text) && text.length <= 512;
      try {
        new URL(text);
      } catch {
        ok = false;
      }
      if (!ok) throw new Error(i18n.t('common:validation.url'));
    },
  };
}

/** The confirm field must repeat `field`. */
export function confirmRule(field: string): Rule {
  return ({ getFieldValue }) => ({
    validator: async (_rule, value: unknown) => {
      if (value && value !== getFieldValue(field))
        throw new Error(i18n.t('common:security.passwordMismatch'));
    },
  });
}

export function passwordMinLength(area: 'operator' | 'merchant' | 'agent' | 'member'): number {
  return area === 'operator' ? 12 : 8;
}
