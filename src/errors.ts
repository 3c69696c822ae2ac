/**
 * A refusal with a stable code. Domain code throws these; the HTTP layer turns them into the
 * `{ code, message, requestId }` envelope with the status below. Never an HTTP exception in a domain.
 */
export const ERROR_STATUS = {
  INVALID_REQUEST: 400,
  AMOUNT_OUT_OF_RANGE: 400,
  CURRENCY_MISMATCH: 400,
  RATE_RULE_VIOLATION: 400,
  /** A test account (the sandbox) bound in production without the operator's explicit allowTestAccount. */
  TEST_ACCOUNT_BINDING: 409,
  SIGNATURE_MISSING: 401,
  SIGNATURE_INVALID: 401,
  TIMESTAMP_EXPIRED: 401,
  NONCE_REUSED: 401,
  UNAUTHENTICATED: 401,
  LOGIN_FAILED: 401,
  TOTP_INVALID: 401,
  ACCOUNT_LOCKED: 423,
  PASSWORD_TOO_WEAK: 400,
  PASSWORD_REUSED: 400,
  ORIGIN_REFUSED: 403,
  CSRF_INVALID: 403,
  STAGE_REQUIRED: 403,
  COMPLETION_PASSWORD_INVALID: 403,
  COMPLETION_PASSWORD_NOT_SET: 409,
  ROLE_IN_USE: 409,
  MERCHANT_DISABLED: 403,
  APP_DISABLED: 403,
  SIGN_TYPE_NOT_ALLOWED: 403,
  IP_NOT_ALLOWED: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PRODUCT_NOT_FOUND: 404,
  PRODUCT_NOT_AVAILABLE: 403,
  IDEMPOTENCY_CONFLICT: 409,
  ALREADY_EXISTS: 409,
  ORDER_STATE_INVALID: 409,
  INSUFFICIENT_BALANCE: 409,
  REFUND_AMOUNT_EXCEEDED: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOTIFY_AMOUNT_MISMATCH: 400,
  NOTIFY_CURRENCY_MISMATCH: 400,
  NOTIFY_ACCOUNT_MISMATCH: 400,
  NOTIFY_UNVERIFIED: 400,
  NO_CHANNEL_AVAILABLE: 422,
  RATE_LIMITED: 429,
  CHANNEL_ERROR: 502,
  /** The database cannot be reached (restart, failover): retry after the Retry-After seconds. */
  DATABASE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = details;
  }
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23505';
}
