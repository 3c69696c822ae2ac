/**
 * Whether an error means the database cannot be reached right now (restarting, failing over, the
 * network cut, the pool unable to connect) rather than that a statement was wrong. Callers answer
 * these with 503 and Retry-After: the same request will work once the database is back.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return databaseUnavailableReason(error) !== null;
}

/** SQLSTATEs of a server going away or refusing connections (PostgreSQL appendix A). */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: terminated by pg_terminate_backend or a fast shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, shutting down, or connections not allowed
  '53300', // too_many_connections
]);

/** Socket errors of a server that is not there (refused, reset, unreachable, name not resolving). */
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** node-postgres and pg-pool say these in words only. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/, // unexpectedly, or due to connection timeout
  /^timeout exceeded when trying to connect$/, // no pool client within connectionTimeoutMillis
  /not queryable/, // a client whose connection already failed
  /^Client was closed and is not queryable$/,
];

/** The reason, for logs; null when the error is something else. */
export function databaseUnavailableReason(error: unknown): string | null {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      // Class 08: connection exception (08000, 08003, 08006, 08001, 08004, 08P01…).
      if (UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return `SQLSTATE ${code}`;
      if (UNAVAILABLE_SOCKET_CODES.has(code)) return code;
    }
    if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(e instanceof Error ? e.message : ''))) {
      return e.message;
    }
    // Connecting to a name with several addresses fails with one error per address.
    if (e instanceof AggregateError && e.errors.some((inner) => isDatabaseUnavailable(inner))) {
      return 'no address of the database answered';
    }
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}
