import type { Logger } from '../../app/logger.ts';
import type { NotificationChannel, RenderedMessage } from '../types.ts';
import type { ProviderTransport } from './errors.ts';

/**
 * The demo's provider: writes the message to the log instead of sending it. The caller passes the
 * text to write: with one-time codes in clear only in the embedded demo / sandbox (no other way to
 * read a reset code there), masked everywhere else.
 */
export function logTransport(channel: NotificationChannel, log: Logger): ProviderTransport {
  return {
    channel,
    provider: 'log',
    async deliver(address: string, message: RenderedMessage): Promise<string> {
      log.warn(
        { channel, to: address, subject: message.subject },
        `message not sent (log provider): ${message.text}`,
      );
      return 'written to the log';
    },
  };
}
