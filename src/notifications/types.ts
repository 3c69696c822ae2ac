/**
 * The one way the platform sends a message to a person or a group (NT-1): e-mail, SMS or a Telegram
 * chat. Callers name an event and its variables; the notifications domain picks the template for the
 * event and the recipient's language, applies the blacklist and the quiet hours, writes the delivery
 * log and retries. Transports only carry a rendered message.
 */

export type NotificationChannel = 'email' | 'sms' | 'telegram';
export type NotificationLocale = 'zh' | 'en';

/**
 * What a message is about; each event has a template per language (editable in the console).
 * `alert.*` are operations alerts; `order.paid` / `refund.succeeded` are the opt-in customer
 * messages; `auth.code` carries a one-time code (password reset, first login).
 */
export type NotificationEvent =
  | 'alert.raised'
  | 'alert.resolved'
  | 'auth.code'
  | 'order.paid'
  | 'refund.succeeded'
  | 'merchant.notify_failing'
  | 'order.large_payment'
  | 'member.opened'
  | 'member.split_agreement'
  | 'test.message';

export interface Recipient {
  channel: NotificationChannel;
  /** An e-mail address, a phone number (digits, optionally +country), or a Telegram chat id. */
  address: string;
  locale: NotificationLocale;
}

export interface NotificationRequest {
  event: NotificationEvent;
  recipient: Recipient;
  /** Template variables, already in words (amounts in yuan, times in local time). */
  vars: Record<string, string>;
  /** The merchant the message concerns, when there is one (for the delivery log's scope). */
  merchantId?: string;
  /**
   * Urgent messages (alerts of severity critical, one-time codes) are sent in quiet hours too;
   * the rest wait for the send window.
   */
  urgent?: boolean;
}

export type DeliveryStatus = 'queued' | 'sent' | 'failed' | 'suppressed';

export interface Notifier {
  /** Queues one message (the delivery log row is written in the caller's view at once). */
  send(request: NotificationRequest): Promise<{ id: string; status: DeliveryStatus }>;
}

export interface RenderedMessage {
  subject: string;
  text: string;
  /**
   * For SMS providers that send by a registered template (Aliyun, Tencent Cloud): the provider's
   * template code and sign name for the event and language, and the variables in the order they
   * appear in the template.
   */
  sms?: { templateCode: string; signName: string; params: [string, string][] };
  /** The event the message is about (transports may format by it; they must not log the text). */
  event?: NotificationEvent;
}

/** Carries a rendered message over one channel; registered with the notifications domain. */
export interface MessageTransport {
  channel: NotificationChannel;
  /**
   * Resolves when the provider accepted the message (optionally with its answer, e.g. a message id,
   * for the delivery log); throws when it did not (the domain retries on its schedule).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a transport that answers nothing stays a plain `async` function.
  deliver(address: string, message: RenderedMessage): Promise<void | string>;
}
