import type { Logger } from '../app/logger.ts';
import type { Mailer, OneTimeCode } from '../auth/mailer.ts';
import type { NotificationService } from './service.ts';

/**
 * The auth domain's mailer over this domain: a code goes out as the `auth.code` event (urgent, so
 * quiet hours never hold it), by e-mail and by SMS, through the configured providers; the delivery
 * log keeps it masked. In the embedded demo a user without an e-mail address still finds the code
 * in the log (`logsInstead`), as before; nowhere else is a code written in clear.
 */
export function codeMailer(notifications: NotificationService, log: Logger, embedded: boolean): Mailer {
  const vars = (c: OneTimeCode) => ({ code: c.code, minutes: String(c.minutes), username: c.username });
  return {
    logsInstead: embedded,
    async send(to, subject, text, code) {
      if (!to) {
        if (embedded) log.warn({ to: '(no e-mail on file)', subject }, `mail not sent (no address): ${text}`);
        return;
      }
      if (!code) throw new Error('the code mailer sends one-time codes only');
      await notifications.send({
        event: 'auth.code',
        recipient: { channel: 'email', address: to, locale: 'zh' },
        vars: vars(code),
        urgent: true,
      });
    },
    async sendSms(phone, code) {
      if (!(await notifications.canSend('sms'))) return;
      await notifications.send({
        event: 'auth.code',
        recipient: { channel: 'sms', address: phone, locale: 'zh' },
        vars: vars(code),
        urgent: true,
      });
    },
  };
}
