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

/** A cashier link's last segment is the order's token, a bearer secret: the log keeps only the order number. */
export function redactUrl(url: string): string {
  return url.replace(/^(\/cashier\/[^/?#]+\/)[^/?#]+/, '$1[redacted]');
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  headers?: Record<string, unknown>;
  socket?: { remotePort?: number };
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // Fastify's own request serializer, with the URL's secrets redacted.
      req: (req: LoggedRequest) => ({
        method: req.method,
        url: redactUrl(req.url),
        version: req.headers?.['accept-version'],
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  };
}

export function createLogger(level: string) {
  return pino(loggerOptions(level));
}

export type Logger = ReturnType<typeof createLogger>;
