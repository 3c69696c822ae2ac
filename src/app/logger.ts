import pino, { type LoggerOptions } from 'pino';

/** Secrets never reach the log: request headers that carry them and any field named like one. */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-qy-signature"]',
  '*.password',
  '*.secret',
  '*.appSecret',
  '*.key',
  '*.credentials',
  '*.privateKey',
];

export function loggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
}

export function createLogger(level: string) {
  return pino(loggerOptions(level));
}

export type Logger = ReturnType<typeof createLogger>;
