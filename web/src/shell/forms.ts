import type { Rule } from 'antd/es/form';
import i18n from '../i18n.ts';
import { parseYuan, ppmFromPercent } from './format.ts';

// Form rules shared by every console: amounts are typed in yuan, rates in percent, settings as JSON.

const empty = (v: unknown) => v === undefined || v === null || String(v).trim() === '';

/** An amount in yuan with at most two decimals, greater than zero. */
export function amountRule(required = false): Rule {
  return {
    validator: async (_rule, value: unknown) => {
      if (empty(value)) {
        if (required) throw new Error(i18n.t('common:validation.amount'));
        return;
      }
      const minor = parseYuan(String(value));
      if (minor === null || minor <= 0) throw new Error(i18n.t('common:validation.amount'));
    },
  };
}

/** A percentage 0–100 with at most four decimals (whole ppm). */
export function percentRule(required = false): Rule {
  return {
    validator: async (_rule, value: unknown) => {
      if (empty(value)) {
        if (required) throw new Error(i18n.t('common:validation.percent'));
        return;
      }
      if (ppmFromPercent(String(value)) === null) throw new Error(i18n.t('common:validation.percent'));
    },
  };
}

/** The most a fixed fee or minimum may be, in minor units (the server's limit: 10 000 yuan). */
export const MAX_FEE_PART = 1_000_000;

/** A fixed fee or minimum fee in yuan: empty or 0 for none, at most two decimals, up to 10 000. */
export function feeRule(): Rule {
  return {
    validator: async (_rule, value: unknown) => {
      if (empty(value)) return;
      const minor = parseYuan(String(value));
      if (minor === null || minor > MAX_FEE_PART) throw new Error(i18n.t('common:validation.fee'));
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
 * Rules for a new password: length by area (operators 12, others 8), letters and digits. The server
 * also refuses common or guessable passwords and the last four; its answer names the rule.
 */
export function newPasswordRules(minLength: number): Rule[] {
  return [
    { required: true, message: i18n.t('common:security.passwordMin', { min: minLength }) },
    { min: minLength, message: i18n.t('common:security.passwordMin', { min: minLength }) },
    { max: 256 },
    {
      validator: async (_rule, value: unknown) => {
        if (empty(value)) return;
        const text = String(value);
        if (!/\p{L}/u.test(text) || !/\p{Nd}/u.test(text)) {
          throw new Error(i18n.t('common:security.passwordLettersDigits'));
        }
      },
    },
  ];
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

export function passwordMinLength(area: 'operator' | 'merchant' | 'agent'): number {
  return area === 'operator' ? 12 : 8;
}
