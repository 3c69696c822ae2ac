/**
 * How the auth domain sends one-time codes (password reset): by e-mail, and by SMS to a user whose
 * mobile number is set. The notifications domain provides it (`notifications/code-mailer.ts`): its
 * templates, providers (SMTP, Aliyun / Tencent Cloud SMS, the demo's log), blacklist and delivery log.
 */
export interface OneTimeCode {
  code: string;
  /** How long the code is valid. */
  minutes: number;
  username: string;
}

export interface Mailer {
  /** `text` is the plain message; `code`, when given, is sent through the code template instead. */
  send(to: string, subject: string, text: string, code?: OneTimeCode): Promise<void>;
  /** Sends a code by SMS; absent when no SMS provider is configured. */
  sendSms?(phone: string, code: OneTimeCode): Promise<void>;
  /** The embedded demo's mailer writes to the log, so a user without an address can still read a code. */
  readonly logsInstead?: boolean;
}
