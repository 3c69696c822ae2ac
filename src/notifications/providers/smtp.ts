import type { Transporter } from 'nodemailer';
import type { RenderedMessage } from '../types.ts';
import { DeliveryError, type ProviderTransport } from './errors.ts';

/** An SMTP server: the operators' settings (通知设置) or, without them, QY_SMTP_URL. */
export type SmtpConfig =
  | { url: string; from: string; timeoutMs: number }
  | {
      host: string;
      port: number;
      /** Implicit TLS (465); otherwise STARTTLS when the server offers it. */
      secure: boolean;
      username: string;
      password: string;
      from: string;
      timeoutMs: number;
    };

export function smtpTransport(config: SmtpConfig): ProviderTransport {
  // nodemailer is loaded with the first message, not at start: the embedded demo logs its messages
  // instead of sending them, and a platform without SMTP never needs it.
  let transport: Promise<Transporter> | null = null;
  const connect = async (): Promise<Transporter> => {
    const { default: nodemailer } = await import('nodemailer');
    return 'url' in config
      ? nodemailer.createTransport(config.url)
      : nodemailer.createTransport({
          host: config.host,
          port: config.port,
          secure: config.secure,
          ...(config.username ? { auth: { user: config.username, pass: config.password } } : {}),
          connectionTimeout: config.timeoutMs,
          greetingTimeout: config.timeoutMs,
          socketTimeout: config.timeoutMs,
        });
  };
  return {
    channel: 'email',
    provider: 'smtp',
    async deliver(address: string, message: RenderedMessage): Promise<string> {
      try {
        transport ??= connect();
        const info = await (await transport).sendMail({
          from: config.from,
          to: address,
          subject: message.subject,
          text: message.text,
        });
        return `${info.response ?? 'accepted'}`.slice(0, 300);
      } catch (error) {
        const e = error as { responseCode?: number; message?: string };
        // 5xx answers are permanent (no such mailbox, refused); the rest may pass later.
        const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
        throw new DeliveryError(e.message ?? 'SMTP error', !permanent);
      }
    },
  };
}
