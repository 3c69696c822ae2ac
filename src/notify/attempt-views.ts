import type { DeliveryFailureKind } from '../errors.ts';

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
    errorKind: string | null;
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
    /** The stored kind of failure (notify/failure-kind.ts), which the consoles put into words. */
    failure: attempt.errorKind as DeliveryFailureKind | null,
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
