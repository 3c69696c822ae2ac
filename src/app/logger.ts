import pino, { type DestinationStream, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

/** Secrets never reach the log: request headers that carry them and any field named like one. */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-qy-signature"]',
  ...['password', 'secret', 'appSecret', 'key', 'credentials', 'privateKey'].flatMap((field) => [
    // pino's `*.x` matches one level down only: the top-level field is named too.
    field,
    `*.${field}`,
  ]),
];

/**
 * A cashier link's last segment is the order's token, a bearer secret: the log keeps only the order
 * number. So is a Jeepay / epay return link's; and epay's api.php sends the app's key itself as `key`.
 */
export function redactUrl(url: string): string {
  return url
    .replace(/^(\/cashier\/[^/?#]+\/)[^/?#]+/, '$1[redacted]')
    .replace(/^(\/api\/compat\/return\/[^/?#]+\/[^/?#]+\/)[^/?#]+/, '$1[redacted]')
    .replace(/([?&]key=)[^&#]*/gi, '$1[redacted]');
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

/**
 * `json` for log collectors (the default when stdout is not a terminal), `pretty` for a person at a
 * terminal: one coloured line per event (config: `QY_LOG_FORMAT`, by default chosen by stdout).
 */
export type LogFormat = 'json' | 'pretty';

/** Pretty output is formatted on the main thread, synchronously: no worker thread, no lost lines at exit. */
function prettyStream(): DestinationStream {
  return pretty({
    colorize: true,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
  });
}

export function createLogger(level: string, format: LogFormat = 'json') {
  const options = loggerOptions(level);
  return format === 'pretty' ? pino(options, prettyStream()) : pino(options);
}

export type Logger = ReturnType<typeof createLogger>;
