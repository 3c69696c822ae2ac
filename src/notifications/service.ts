import { randomUUID } from 'node:crypto';
import type { Logger } from '../app/logger.ts';
import type { SecretBox, SecretPlace } from '../auth/secret-box.ts';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { localDateTime } from '../stats/time.ts';
import { aliyunSmsTransport } from './providers/aliyun-sms.ts';
import { DeliveryError, type ProviderTransport } from './providers/errors.ts';
import { logTransport } from './providers/log.ts';
import { smtpTransport } from './providers/smtp.ts';
import { tencentSmsTransport } from './providers/tencent-sms.ts';
import * as queries from './queries.ts';
import {
  OPERATOR_EVENTS,
  type OpenProviders,
  openProviders,
  type ProvidersInput,
  providersView,
  type QuietHours,
  quietHours,
  type Recipients,
  recipients,
  saveProviders,
  saveQuietHours,
  saveRecipients,
  secondsUntilWindow,
  storedProviders,
} from './settings.ts';
import {
  DEFAULT_TEMPLATES,
  EVENT_VARIABLES,
  maskCode,
  NOTIFICATION_EVENTS,
  NOTIFICATION_LOCALES,
  redactVars,
  render,
  SECRET_VARIABLES,
  sampleVars,
  type TemplateRow,
  validateTemplate,
} from './templates.ts';
import type {
  DeliveryStatus,
  MessageTransport,
  NotificationChannel,
  NotificationEvent,
  NotificationLocale,
  NotificationRequest,
  Notifier,
  RenderedMessage,
} from './types.ts';

export interface NotificationOptions {
  log: Logger;
  timeZone: string;
  /** QY_SMTP_URL / QY_SMTP_FROM: the e-mail server when the operators chose "from the environment". */
  smtpUrl?: string;
  smtpFrom: string;
  /**
   * The embedded demo (no DATABASE_URL): e-mail and SMS default to the log provider, which writes
   * one-time codes in clear there (the only way to read a reset code in the demo). Everywhere else
   * the log provider masks them.
   */
  embedded: boolean;
  /** Seconds before each retry: the n-th failed attempt waits retrySeconds[n-1]; after the last, failed. */
  retrySeconds?: number[];
  /** Provider HTTP and SMTP timeouts. */
  timeoutMs?: number;
}

/** 30 s, 2 min, 10 min, 30 min, 1 h: five attempts more after the first, then failed. */
export const DEFAULT_RETRY_SECONDS = [30, 120, 600, 1800, 3600];
const CLAIM_BATCH = 20;
const LEASE_SECONDS = 120;

const varsPlace = (sealKey: string): SecretPlace => ({
  table: 'notification_outbox',
  id: sealKey,
  column: 'vars_enc',
});

/** Normalises an address so the blacklist matches however it was typed. */
export function normaliseAddress(channel: NotificationChannel, address: string): string {
  const a = address.trim();
  if (channel === 'email') {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(a) || a.length > 254) {
      throw new AppError('INVALID_REQUEST', 'address: not an e-mail address', { field: 'address' });
    }
    return a.toLowerCase();
  }
  if (channel === 'sms') {
    const digits = a.replace(/[\s()-]/g, '');
    if (/^1\d{10}$/.test(digits)) return `+86${digits}`;
    if (/^\+\d{6,15}$/.test(digits)) return digits;
    throw new AppError('INVALID_REQUEST', 'address: not a phone number', { field: 'address' });
  }
  if (!/^-?\d{1,20}$|^@[A-Za-z0-9_]{5,32}$/.test(a)) {
    throw new AppError('INVALID_REQUEST', 'address: not a Telegram chat id', { field: 'address' });
  }
  return a;
}

/** A phone number or an address as the delivery log shows it to operators. */
export function maskAddress(channel: NotificationChannel, address: string): string {
  if (channel === 'sms')
    return address.length > 7 ? `${address.slice(0, -8)}****${address.slice(-4)}` : address;
  if (channel === 'email') {
    const [user, domain] = address.split('@');
    return `${user!.slice(0, 2)}***@${domain}`;
  }
  return address;
}

/**
 * The notifications domain (NT-1): templates per event and language, the delivery log (outbox) and
 * its retries, the blacklist, quiet hours, the operators' recipients, customer-message opt-ins and
 * the providers (SMTP, Aliyun SMS, Tencent Cloud SMS, the demo's log). Other domains call `send`
 * (the `Notifier` contract); the Telegram bot registers its transport with `registerTransport`.
 */
export class NotificationService implements Notifier {
  private readonly registered = new Map<NotificationChannel, MessageTransport>();
  private readonly retrySeconds: number[];
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly options: NotificationOptions,
  ) {
    this.retrySeconds = options.retrySeconds ?? DEFAULT_RETRY_SECONDS;
  }

  /** A transport for a channel (the Telegram bot's); it takes the place of the built-in one. */
  registerTransport(transport: MessageTransport): void {
    this.registered.set(transport.channel, transport);
  }

  // ---------- sending ----------

  async send(request: NotificationRequest): Promise<{ id: string; status: DeliveryStatus }> {
    const { event, recipient } = request;
    if (!NOTIFICATION_EVENTS.includes(event as (typeof NOTIFICATION_EVENTS)[number])) {
      throw new AppError('INVALID_REQUEST', `event: unknown ${event}`, { field: 'event' });
    }
    const address = normaliseAddress(recipient.channel, recipient.address);
    const locale: NotificationLocale = recipient.locale === 'en' ? 'en' : 'zh';
    const template = await this.templateFor(event, locale);
    const shown = render(event, template, redactVars(event, request.vars), '');
    const sealKey = randomUUID();
    let status: DeliveryStatus = 'queued';
    let note = '';
    let delaySeconds = 0;
    if (await queries.isBlacklisted(this.db, recipient.channel, address)) {
      status = 'suppressed';
      note = 'blacklist';
    } else if (!request.urgent) {
      delaySeconds = secondsUntilWindow(await quietHours(this.db), new Date(), this.options.timeZone);
      if (delaySeconds > 0) note = 'quiet_hours';
    }
    const row = await queries.insertOutbox(this.db, {
      sealKey,
      event,
      channel: recipient.channel,
      address,
      locale,
      merchantId: request.merchantId ? BigInt(request.merchantId) : null,
      urgent: Boolean(request.urgent),
      status,
      subject: shown.subject,
      text: shown.text,
      varsEnc:
        status === 'queued' ? this.secrets.encrypt(JSON.stringify(request.vars), varsPlace(sealKey)) : null,
      note,
      delaySeconds,
    });
    if (status === 'suppressed') {
      this.options.log.info(
        {
          event,
          channel: recipient.channel,
          to: maskAddress(recipient.channel, address),
          id: String(row.id),
        },
        'notification suppressed: the address is on the blacklist',
      );
    } else if (delaySeconds === 0) {
      // Sent at once in the background; the worker retries what fails and sends what waited.
      this.track(this.deliverDue(row.id));
    }
    return { id: String(row.id), status };
  }

  /** Messages about the platform go to the operators' recipients subscribed to the event. */
  async sendToOperators(
    event: NotificationEvent,
    vars: Record<string, string>,
    opts: { urgent?: boolean; merchantId?: string } = {},
  ): Promise<{ id: string; status: DeliveryStatus }[]> {
    const out = [];
    for (const r of await recipients(this.db)) {
      if (!r.events.includes(event)) continue;
      out.push(
        await this.send({
          event,
          recipient: { channel: r.channel, address: r.address, locale: r.locale },
          vars,
          ...(opts.merchantId ? { merchantId: opts.merchantId } : {}),
          urgent: opts.urgent,
        }),
      );
    }
    return out;
  }

  /**
   * Delivers the queued messages that are due (the worker's `notifications` job, and right after
   * `send`). Returns how many it tried.
   */
  async deliverDue(onlyId?: bigint): Promise<number> {
    const rows = await queries.claimDue(this.db, CLAIM_BATCH, LEASE_SECONDS, onlyId);
    for (const row of rows) await this.deliverOne(row);
    return rows.length;
  }

  /** Waits for the background deliveries started by `send` (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track(p: Promise<unknown>): void {
    const tracked = p
      .catch((error) => this.options.log.error({ err: error }, 'notification delivery failed'))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async deliverOne(row: queries.OutboxRow): Promise<void> {
    let provider = 'none';
    let secretValues: string[] = [];
    try {
      const vars = row.vars_enc
        ? (JSON.parse(this.secrets.decrypt(row.vars_enc, varsPlace(row.seal_key))) as Record<string, string>)
        : {};
      secretValues = (SECRET_VARIABLES[row.event] ?? []).map((k) => vars[k] ?? '').filter(Boolean);
      const transport = await this.transportFor(row.channel);
      provider = transport ? ((transport as ProviderTransport).provider ?? row.channel) : 'none';
      if (!transport) throw new DeliveryError(`no ${row.channel} provider is configured`, false);
      const template = await this.templateFor(row.event, row.locale);
      const providers = await this.providers();
      const clear = provider !== 'log' || this.options.embedded;
      const message: RenderedMessage = render(
        row.event,
        template,
        clear ? vars : redactVars(row.event, vars),
        providers.sms.signName,
      );
      const answer = await transport.deliver(row.address, message);
      const words = typeof answer === 'string' ? scrub(answer, secretValues).slice(0, 500) : 'accepted';
      await queries.markSent(this.db, row.id, provider, words);
    } catch (error) {
      const retryable = !(error instanceof DeliveryError) || error.retryable;
      // A provider may echo the request (Aliyun's string to sign): one-time codes never reach the log.
      const words = scrub(
        error instanceof DeliveryError ? error.message : `error: ${(error as Error).message}`,
        secretValues,
      );
      const retryIn = retryable ? this.retrySeconds[row.attempts] : undefined;
      await queries.markAttemptFailed(this.db, row.id, provider, words.slice(0, 500), retryIn ?? null);
      this.options.log.warn(
        {
          id: String(row.id),
          event: row.event,
          channel: row.channel,
          to: maskAddress(row.channel, row.address),
          attempt: row.attempts + 1,
          answer: words,
        },
        retryIn === undefined ? 'notification failed' : 'notification attempt failed; retried later',
      );
    }
  }

  private async providers(): Promise<OpenProviders> {
    return openProviders(await storedProviders(this.db, this.env()), this.secrets);
  }

  private env() {
    return {
      ...(this.options.smtpUrl ? { smtpUrl: this.options.smtpUrl } : {}),
      embedded: this.options.embedded,
    };
  }

  /** The registered transport of a channel, else the one the provider settings describe. */
  private async transportFor(channel: NotificationChannel): Promise<MessageTransport | null> {
    const registered = this.registered.get(channel);
    if (registered) return registered;
    const p = await this.providers();
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    if (channel === 'email') {
      switch (p.email.mode) {
        case 'env':
          return this.options.smtpUrl
            ? smtpTransport({ url: this.options.smtpUrl, from: this.options.smtpFrom, timeoutMs })
            : null;
        case 'smtp':
          return smtpTransport({
            host: p.email.host,
            port: p.email.port,
            secure: p.email.secure,
            username: p.email.username,
            password: p.email.password,
            from: p.email.from || this.options.smtpFrom,
            timeoutMs,
          });
        case 'log':
          return logTransport('email', this.options.log);
        default:
          return null;
      }
    }
    if (channel === 'sms') {
      switch (p.sms.mode) {
        case 'aliyun':
          return aliyunSmsTransport({ ...p.sms.aliyun, timeoutMs });
        case 'tencent':
          return tencentSmsTransport({ ...p.sms.tencent, timeoutMs });
        case 'log':
          return logTransport('sms', this.options.log);
        default:
          return null;
      }
    }
    return null;
  }

  /** Whether a channel has a provider at all (password reset picks SMS only then). */
  async canSend(channel: NotificationChannel): Promise<boolean> {
    return (await this.transportFor(channel)) !== null;
  }

  // ---------- templates ----------

  private async templateFor(event: NotificationEvent, locale: NotificationLocale): Promise<TemplateRow> {
    const row = await queries.template(this.db, event, locale);
    if (row) {
      return {
        subject: row.subject,
        body: row.body,
        smsTemplateCode: row.sms_template_code,
        smsSignName: row.sms_sign_name,
      };
    }
    return { ...DEFAULT_TEMPLATES[event][locale], smsTemplateCode: '', smsSignName: '' };
  }

  async templates() {
    const changed = await queries.templates(this.db);
    return NOTIFICATION_EVENTS.flatMap((event) =>
      NOTIFICATION_LOCALES.map((locale) => {
        const row = changed.find((r) => r.event === event && r.locale === locale);
        const d = DEFAULT_TEMPLATES[event][locale];
        return {
          event,
          locale,
          subject: row?.subject ?? d.subject,
          body: row?.body ?? d.body,
          smsTemplateCode: row?.sms_template_code ?? '',
          smsSignName: row?.sms_sign_name ?? '',
          customised: Boolean(row),
          updatedAt: row?.updated_at.toISOString() ?? null,
        };
      }),
    );
  }

  async template(event: NotificationEvent, locale: NotificationLocale) {
    return (await this.templates()).find((t) => t.event === event && t.locale === locale)!;
  }

  async saveTemplate(event: NotificationEvent, locale: NotificationLocale, input: TemplateRow) {
    validateTemplate(event, input);
    await queries.putTemplate(this.db, {
      event,
      locale,
      subject: input.subject,
      body: input.body,
      sms_template_code: input.smsTemplateCode,
      sms_sign_name: input.smsSignName,
    });
    return this.template(event, locale);
  }

  /** Back to the shipped text (the SMS template code and sign name are cleared with it). */
  async resetTemplate(event: NotificationEvent, locale: NotificationLocale) {
    await queries.deleteTemplate(this.db, event, locale);
    return this.template(event, locale);
  }

  /** The message a template gives with sample values; refuses unknown variables as saving does. */
  preview(event: NotificationEvent, locale: NotificationLocale, text: { subject: string; body: string }) {
    validateTemplate(event, text);
    const rendered = render(
      event,
      { ...text, smsTemplateCode: '', smsSignName: '' },
      redactVars(event, sampleVars(locale)),
      '',
    );
    return { subject: rendered.subject, text: rendered.text };
  }

  // ---------- provider settings ----------

  async providerSettings() {
    return providersView(await storedProviders(this.db, this.env()), this.env());
  }

  async saveProviderSettings(input: ProvidersInput) {
    const before = await storedProviders(this.db, this.env());
    const stored = await saveProviders(this.db, this.secrets, input, before);
    return providersView(stored, this.env());
  }

  /**
   * Sends the test message to one address now (urgent: quiet hours do not hold it) and answers how
   * it went: sent, failed with the provider's words, or suppressed by the blacklist.
   */
  async sendTest(channel: NotificationChannel, address: string, locale: NotificationLocale) {
    const { id } = await this.send({
      event: 'test.message',
      recipient: { channel, address, locale },
      vars: { time: localDateTime(new Date(), this.options.timeZone) },
      urgent: true,
    });
    await this.drain();
    const row = (await queries.outboxById(this.db, BigInt(id)))!;
    return { id, status: row.status, answer: row.last_answer, note: row.note };
  }

  // ---------- quiet hours, recipients ----------

  quietHours(): Promise<QuietHours> {
    return quietHours(this.db);
  }

  async saveQuietHours(value: QuietHours): Promise<QuietHours> {
    await saveQuietHours(this.db, value);
    return value;
  }

  recipients(): Promise<Recipients> {
    return recipients(this.db);
  }

  async saveRecipients(value: Recipients): Promise<Recipients> {
    const normalised = value.map((r) => ({ ...r, address: normaliseAddress(r.channel, r.address) }));
    await saveRecipients(this.db, normalised);
    return normalised;
  }

  readonly operatorEvents = OPERATOR_EVENTS;
  /** The variables each event's template may use. */
  readonly variables = EVENT_VARIABLES;

  // ---------- blacklist ----------

  async blacklist() {
    return (await queries.blacklist(this.db)).map(blacklistView);
  }

  async addToBlacklist(channel: NotificationChannel, address: string, remark: string) {
    const row = await queries.addBlacklist(this.db, channel, normaliseAddress(channel, address), remark);
    if (!row)
      throw new AppError('ALREADY_EXISTS', 'the address is already on the blacklist', {
        kind: 'blacklist_entry',
        name: address,
      });
    return blacklistView(row);
  }

  async removeFromBlacklist(id: bigint) {
    const row = await queries.removeBlacklist(this.db, id);
    if (!row) throw new AppError('NOT_FOUND', 'no such blacklist entry');
    return blacklistView(row);
  }

  // ---------- delivery log ----------

  async deliveries(filter: queries.OutboxFilter, limit: number, offset: number) {
    const { rows, total } = await queries.outboxPage(this.db, filter, limit, offset);
    return { total, items: rows.map(deliveryView) };
  }

  // ---------- customer messages ----------

  async customerOptin(merchantId: bigint) {
    const row = await queries.optin(this.db, merchantId);
    return { orderPaid: row?.order_paid ?? false, refundSucceeded: row?.refund_succeeded ?? false };
  }

  async saveCustomerOptin(merchantId: bigint, value: { orderPaid: boolean; refundSucceeded: boolean }) {
    await queries.putOptin(this.db, {
      merchant_id: merchantId,
      order_paid: value.orderPaid,
      refund_succeeded: value.refundSucceeded,
    });
    return value;
  }

  /**
   * A customer message (order paid, refund succeeded) to the payer's phone or e-mail, when the
   * merchant switched that message on. Returns null when it is off or there is no contact.
   */
  async sendToCustomer(
    merchantId: bigint,
    event: 'order.paid' | 'refund.succeeded',
    contact: { phone?: string; email?: string; locale?: NotificationLocale },
    vars: Record<string, string>,
  ) {
    const optin = await this.customerOptin(merchantId);
    if (!(event === 'order.paid' ? optin.orderPaid : optin.refundSucceeded)) return null;
    const recipient = contact.phone
      ? { channel: 'sms' as const, address: contact.phone }
      : contact.email
        ? { channel: 'email' as const, address: contact.email }
        : null;
    if (!recipient) return null;
    return this.send({
      event,
      recipient: { ...recipient, locale: contact.locale ?? 'zh' },
      vars,
      merchantId: String(merchantId),
    });
  }
}

/** The text with every secret value masked, as written and percent-encoded (once or twice). */
function scrub(text: string, secretValues: string[]): string {
  let out = text;
  for (const value of secretValues) {
    const once = encodeURIComponent(value);
    for (const form of new Set([value, once, encodeURIComponent(once)]))
      out = out.split(form).join(maskCode(value));
  }
  return out;
}

function blacklistView(r: queries.BlacklistRow) {
  return {
    id: String(r.id),
    channel: r.channel,
    address: r.address,
    remark: r.remark,
    createdAt: r.created_at.toISOString(),
  };
}

function deliveryView(r: queries.OutboxRow) {
  return {
    id: String(r.id),
    event: r.event,
    channel: r.channel,
    address: maskAddress(r.channel, r.address),
    locale: r.locale,
    merchantId: r.merchant_id === null ? null : String(r.merchant_id),
    urgent: r.urgent,
    status: r.status,
    subject: r.subject,
    text: r.text,
    provider: r.provider,
    attempts: r.attempts,
    nextAttemptAt: r.status === 'queued' ? r.next_attempt_at.toISOString() : null,
    lastAnswer: r.last_answer,
    note: r.note,
    createdAt: r.created_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}
