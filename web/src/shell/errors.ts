import { ApiError, endsSession } from '../api.ts';
import i18n from '../i18n.ts';
import { dateTime, percentFromPpm, yuan } from './format.ts';

/** What an error means to a person, and what support needs to find it. */
export interface ErrorInfo {
  code: string;
  /** The sentence for the code (or for its reason, kind …), in the console's language. */
  title: string;
  /** A second translated sentence with the error's parameters (amounts in yuan, rates in %, times). */
  detail?: string;
  /** For 技术详情 only, never the sentence: the server's own message, the request id, the HTTP status. */
  technical: { message?: string; requestId?: string; status?: number };
}

const has = (key: string) => i18n.exists(key);

/**
 * Turns anything thrown by `api` (or fetch) into words for a person: a sentence per stable code,
 * per `details.reason` / `details.kind` where one code covers several causes, with the parameters
 * the server gives in `details`. The server's English message goes to `technical` only.
 */
export function describeError(error: unknown): ErrorInfo {
  if (!(error instanceof ApiError)) {
    return {
      code: 'NETWORK',
      title: i18n.t('errors:code.NETWORK'),
      technical: { message: (error as Error)?.message },
    };
  }
  const technical = { message: error.message, requestId: error.requestId, status: error.status };
  const details = (error.details ?? {}) as Record<string, unknown>;
  const codeKey = `errors:code.${error.code}`;
  const title = has(codeKey) ? i18n.t(codeKey) : i18n.t('errors:title');
  const reason = typeof details.reason === 'string' ? details.reason : undefined;
  const reasonKey = reason && `errors:reason.${error.code}.${reason}`;
  const info = (t: string, detail?: string): ErrorInfo => ({ code: error.code, title: t, detail, technical });

  switch (error.code) {
    case 'ACCOUNT_LOCKED': {
      const until = typeof details.lockedUntil === 'string' ? details.lockedUntil : undefined;
      return info(
        title,
        until ? i18n.t('errors:lockedUntil', { time: dateTime(until) }) : i18n.t('errors:lockedGeneric'),
      );
    }
    case 'RATE_RULE_VIOLATION': {
      const rule = ruleDetails(details);
      if (rule) return info(i18n.t(`errors:reason.RATE_RULE_VIOLATION.${rule.reason}`), rateRuleDetail(rule));
      break;
    }
    case 'ALREADY_EXISTS': {
      const kindKey = `errors:alreadyExists.${String(details.kind)}`;
      if (typeof details.name === 'string' && has(kindKey))
        return info(i18n.t(kindKey, { name: details.name }));
      break;
    }
    case 'PASSWORD_TOO_WEAK':
      if (typeof details.rule === 'string' && has(`errors:passwordWeak.${details.rule}`))
        return info(title, i18n.t(`errors:passwordWeak.${details.rule}`, { minLength: details.minLength }));
      break;
    case 'PASSWORD_REUSED':
      return info(title, i18n.t('errors:passwordReused', { count: Number(details.count ?? 4) }));
    case 'RATE_LIMITED':
      if (typeof details.retryAfterSeconds === 'number' && details.retryAfterSeconds > 0)
        return info(
          title,
          i18n.t('errors:retryAfter', { minutes: Math.ceil(details.retryAfterSeconds / 60) }),
        );
      break;
    case 'AMOUNT_OUT_OF_RANGE': {
      const { minAmount, maxAmount } = details;
      if (typeof minAmount === 'number' && typeof maxAmount === 'number') {
        const currency = typeof details.currency === 'string' ? details.currency : 'CNY';
        return info(
          title,
          i18n.t('errors:amountRange', { min: yuan(minAmount, currency), max: yuan(maxAmount, currency) }),
        );
      }
      break;
    }
    case 'INVALID_REQUEST': {
      if (reason === 'pay_way_unsupported') {
        const wayKey = `glossary:payWays.${String(details.payWay)}`;
        return info(
          i18n.t('errors:reason.INVALID_REQUEST.pay_way_unsupported', {
            way: has(wayKey) ? i18n.t(wayKey) : String(details.payWay ?? ''),
            adapter: String(details.adapter ?? ''),
          }),
        );
      }
      const word = typeof details.field === 'string' ? fieldWord(details.field) : undefined;
      if (word && reason === 'required')
        return info(i18n.t('errors:reason.INVALID_REQUEST.required', { field: word }));
      if (word && reason === 'out_of_range')
        return info(i18n.t('errors:reason.INVALID_REQUEST.out_of_range', { ...details, field: word }));
      if (reasonKey && has(reasonKey)) return info(i18n.t(reasonKey, details));
      if (word) return info(i18n.t('errors:invalidField', { field: word }));
      break;
    }
    case 'BLACKLIST_HIT': {
      const word = typeof details.field === 'string' ? fieldWord(details.field) : undefined;
      if (word) return info(i18n.t('errors:blacklistHit', { field: word }));
      break;
    }
    case 'REFUND_AMOUNT_EXCEEDED':
      if (typeof details.remaining === 'number')
        return info(title, i18n.t('errors:refundRemaining', { remaining: yuan(details.remaining) }));
      break;
  }
  if (reasonKey && has(reasonKey)) return info(i18n.t(reasonKey, details));
  return info(title);
}

/**
 * The words for an INVALID_REQUEST field: the field itself (`payWay`), else its last segment
 * (`extra.openid` → openid); a channel account's credential (`credentials.privateKey`) is named
 * `credentials` here, and by the adapter's own label under the field in the account form.
 */
export function fieldWord(field: string): string | undefined {
  const candidates = field.startsWith('credentials.') ? ['credentials'] : [field, field.split('.').at(-1)];
  for (const candidate of candidates) {
    if (candidate && has(`errors:field.${candidate}`)) return i18n.t(`errors:field.${candidate}`);
  }
  return undefined;
}

/** A channel account's connection test result in words (its `code` when it failed). */
export function connectionTestText(result: { ok: boolean; code?: string }): string {
  if (result.ok) return i18n.t('errors:connectionTest.ok');
  const key = `errors:connectionTest.${result.code}`;
  return has(key) ? i18n.t(key) : i18n.t('errors:connectionTest.CHANNEL_BAD_RESPONSE');
}

interface RateRuleDetails {
  reason: 'merchant_below_cost' | 'cost_above_merchant' | 'no_cost_rate' | 'agent_chain';
  component?: 'ratePpm' | 'fixed' | 'minimum';
  productCode?: string;
  currency?: string;
  merchant?: number;
  channel?: number;
  /** agent_chain: the level above's part and the level below's. */
  lower?: number;
  upper?: number;
  /** agent_chain: what was being saved (an agent's rate, a merchant's, a channel cost) and whose. */
  level?: 'agent' | 'merchant' | 'channel';
  agentNo?: string;
  channelAccountId?: string;
}

function ruleDetails(details: Record<string, unknown>): RateRuleDetails | null {
  const d = details as Partial<RateRuleDetails>;
  if (d.reason === 'no_cost_rate') return d as RateRuleDetails;
  // Older servers sent the parts without a reason: a channel cost above a merchant's.
  if (typeof d.component !== 'string') return null;
  return { ...d, reason: d.reason ?? 'cost_above_merchant' } as RateRuleDetails;
}

/** Which part of the fee broke the rate rule, both sides in % or yuan, in the console's language. */
function rateRuleDetail(d: RateRuleDetails): string | undefined {
  if (d.reason === 'no_cost_rate' || !d.component) return undefined;
  const format = (v: number | undefined) =>
    d.component === 'ratePpm' ? percentFromPpm(v) : yuan(v, d.currency ?? 'CNY');
  const levelKey = `errors:rateRule.agentChain.${d.level}`;
  const key =
    d.reason === 'agent_chain' && d.level && has(levelKey) ? levelKey : `errors:rateRule.${d.reason}`;
  return i18n.t(key, {
    part: i18n.t(`errors:rateRule.${d.component}`),
    merchant: format(d.merchant),
    channel: format(d.channel),
    lower: format(d.lower),
    upper: format(d.upper),
    product: d.productCode ?? '',
    agentNo: d.agentNo ?? '',
    channelAccountId: d.channelAccountId ?? '',
  });
}

/** One line for a toast: the sentence and the translated parameters, never the server's message. */
export function errorText(error: unknown): string {
  const { title, detail } = describeError(error);
  return detail ? i18n.t('errors:withDetail', { title, detail }) : title;
}

/** Whether an error only says the session ended (the shell sends the person to login already). */
export function isSessionEnd(error: unknown): boolean {
  return error instanceof ApiError && endsSession(error.status, error.code);
}

/** A failed order's reason (`failure.reason` from the server) as a sentence. */
export function orderFailureText(failure: { code: string; reason?: string | null }): string {
  const key = `errors:orderFailure.${failure.reason ?? 'refused'}`;
  return has(key) ? i18n.t(key) : i18n.t('errors:orderFailure.refused');
}

/** A failed merchant notify attempt's kind (`errorKind` from the server) as a sentence. */
export function deliveryFailureText(kind: string | null | undefined, httpStatus?: number | null): string {
  const key = `errors:deliveryFailure.${kind ?? 'network'}`;
  return i18n.t(has(key) ? key : 'errors:deliveryFailure.network', { status: httpStatus ?? '' });
}

/** Why a channel's notify was refused (`errorCode` of a recorded channel notify) as a sentence. */
export function channelNotifyErrorText(code: string): string {
  const key = `errors:channelNotify.${code}`;
  return has(key) ? i18n.t(key) : i18n.t('errors:title');
}
