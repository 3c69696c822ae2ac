/**
 * What went wrong with one notify attempt, as a stable kind a console turns into a sentence in the
 * reader's language (the raw error stays beside it as technical detail).
 */
export type NotifyFailureKind =
  | 'not_acknowledged'
  | 'timeout'
  | 'dns'
  | 'refused'
  | 'address_not_allowed'
  | 'network'
  | 'other';

/** Reads the error text an attempt recorded (notify/service.ts deliver) into a kind; null when it succeeded. */
export function notifyFailureKind(error: string | null): NotifyFailureKind | null {
  if (error === null) return null;
  if (/^not acknowledged\b/.test(error)) return 'not_acknowledged';
  if (/is not a public address/.test(error)) return 'address_not_allowed';
  if (/\b(ENOTFOUND|EAI_AGAIN|EAI_NONAME)\b/.test(error)) return 'dns';
  if (/\bECONNREFUSED\b/.test(error)) return 'refused';
  if (/timeout|timed out|aborted|ETIMEDOUT/i.test(error)) return 'timeout';
  if (/\b(ECONNRESET|EPIPE|EHOSTUNREACH|ENETUNREACH|socket|other side closed)\b/i.test(error))
    return 'network';
  return 'other';
}

/** How much of the merchant's answer a console shows (the attempt keeps at most 500 characters). */
export const RESPONSE_EXCERPT_CHARS = 200;

/** One attempt as the merchant portal shows it: when, the HTTP status or the failure, the start of the answer. */
export function attemptView(
  task: { eventType: string; url: string },
  attempt: {
    attempt: number;
    httpStatus: number | null;
    responseBody: string | null;
    error: string | null;
    durationMs: number;
    at: string;
  },
) {
  const body = attempt.responseBody;
  return {
    eventType: task.eventType,
    url: task.url,
    attempt: attempt.attempt,
    at: attempt.at,
    httpStatus: attempt.httpStatus,
    ok: attempt.error === null,
    failure: notifyFailureKind(attempt.error),
    error: attempt.error,
    responseExcerpt:
      body === null
        ? null
        : body.length > RESPONSE_EXCERPT_CHARS
          ? `${body.slice(0, RESPONSE_EXCERPT_CHARS)}…`
          : body,
    durationMs: attempt.durationMs,
  };
}
