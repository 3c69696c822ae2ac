import nodemailer from 'nodemailer';
import type { Logger } from '../app/logger.ts';

export interface Mailer {
  send(to: string, subject: string, text: string): Promise<void>;
  /** The embedded demo's mailer writes to the log, so a user without an address can still read a code. */
  readonly logsInstead?: boolean;
}

/** Sends through the configured SMTP server (QY_SMTP_URL). */
export function smtpMailer(url: string, from: string, log: Logger): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    async send(to, subject, text) {
      try {
        await transport.sendMail({ from, to, subject, text });
      } catch (error) {
        log.error({ err: error, subject }, 'mail not sent');
        throw error;
      }
    },
  };
}

/**
 * Without SMTP (the embedded demo), a message is written to the log so a developer can read the
 * code there. It is never used with DATABASE_URL: production without SMTP sends nothing.
 */
export function logMailer(log: Logger): Mailer {
  return {
    logsInstead: true,
    async send(to, subject, text) {
      log.warn({ to: to || '(no e-mail on file)', subject }, `mail not sent (no QY_SMTP_URL): ${text}`);
    },
  };
}

export function nullMailer(log: Logger): Mailer {
  return {
    async send(_to, subject) {
      log.warn({ subject }, 'mail not sent: QY_SMTP_URL is not configured');
    },
  };
}
