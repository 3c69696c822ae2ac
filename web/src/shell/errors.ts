import { ApiError } from '../api.ts';
import i18n from '../i18n.ts';
import { dateTime, percentFromPpm, yuan } from './format.ts';

export interface ErrorInfo {
  code: string;
  /** A short, translated sentence for the code. */
  title: string;
  /** The server's own message when it adds something (e.g. which field is invalid). */
  detail?: string;
}

/** Turns anything thrown by `api` (or fetch) into words for a person. */
export function describeError(error: unknown): ErrorInfo {
  if (!(error instanceof ApiError)) {
    return { code: 'NETWORK', title: i18n.t('common:errors.NETWORK'), detail: (error as Error)?.message };
  }
  const key = `common:errors.${error.code}`;
  const known = i18n.exists(key);
  if (error.code === 'ACCOUNT_LOCKED') {
    const until = (error.details as { lockedUntil?: string } | undefined)?.lockedUntil;
    return {
      code: error.code,
      title: i18n.t('common:auth.locked'),
      detail: until
        ? i18n.t('common:auth.lockedUntil', { time: dateTime(until) })
        : i18n.t('common:auth.lockedGeneric'),
    };
  }
  if (error.code === 'RATE_RULE_VIOLATION' && ruleDetails(error.details)) {
    return { code: error.code, title: i18n.t(key), detail: rateRuleDetail(ruleDetails(error.details)!) };
  }
  const details = (error.details ?? {}) as {
    rule?: string;
    minLength?: number;
    count?: number;
    retryAfterSeconds?: number;
  };
  if (error.code === 'PASSWORD_TOO_WEAK' && details.rule) {
    return {
      code: error.code,
      title: i18n.t(key),
      detail: i18n.t(`common:security.passwordWeak.${details.rule}`, { minLength: details.minLength }),
    };
  }
  if (error.code === 'PASSWORD_REUSED') {
    return {
      code: error.code,
      title: i18n.t(key),
      detail: i18n.t('common:security.passwordReused', { count: details.count ?? 4 }),
    };
  }
  if (error.code === 'RATE_LIMITED' && details.retryAfterSeconds) {
    return {
      code: error.code,
      title: i18n.t(key),
      detail: i18n.t('common:security.retryAfter', { minutes: Math.ceil(details.retryAfterSeconds / 60) }),
    };
  }
  if (!known) return { code: error.code, title: error.message || i18n.t('common:errors.title') };
  const title = i18n.t(key);
  const detail = error.message && error.message !== title ? error.message : undefined;
  return { code: error.code, title, detail };
}

interface RateRuleDetails {
  component: 'ratePpm' | 'fixed' | 'minimum';
  productCode?: string;
  currency?: string;
  merchant: number;
  channel: number;
}

function ruleDetails(details: unknown): RateRuleDetails | null {
  const d = details as Partial<RateRuleDetails> | undefined;
  return d && typeof d.component === 'string' ? (d as RateRuleDetails) : null;
}

/** Which part of the fee broke the rate rule, both sides in % or yuan, in the console's language. */
function rateRuleDetail(d: RateRuleDetails): string {
  const format = (v: number) =>
    d.component === 'ratePpm' ? percentFromPpm(v) : yuan(v, d.currency ?? 'CNY');
  return i18n.t('common:rateRule.detail', {
    part: i18n.t(`common:rateRule.${d.component}`),
    merchant: format(d.merchant),
    channel: format(d.channel),
    product: d.productCode ?? '',
  });
}

/** One line for a toast: the translated title and the server's detail. */
export function errorText(error: unknown): string {
  const { title, detail } = describeError(error);
  return detail ? `${title}：${detail}` : title;
}

/** Whether an error only says the session ended (the shell sends the person to login already). */
export function isSessionEnd(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}
