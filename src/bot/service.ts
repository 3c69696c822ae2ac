import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../app/logger.ts';
import type { SecretBox, SecretPlace } from '../auth/secret-box.ts';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { MessageTransport, NotificationLocale, RenderedMessage } from '../notifications/types.ts';
import { type CommandReads, replyTo } from './commands.ts';
import type { BotGroupRow, BotLanguage, BotMode, GroupSubject } from './queries.ts';
import * as queries from './queries.ts';
import { BotApiError, TelegramClient, type TelegramUpdate } from './telegram.ts';
import { botWords } from './words.ts';

/** A binding code lasts this long. */
export const BINDING_CODE_TTL_MS = 10 * 60_000;
/** Binding codes: 8 characters of an alphabet without look-alikes (0/O, 1/I/L). */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 8;
/** A long poll waits at most this long for updates (well inside the job's 120 s lease). */
export const POLL_TIMEOUT_SECONDS = 25;
/** The pushed-events job reads events again this far back, for commits that landed late. */
const EVENTS_OVERLAP_MS = 60_000;
/** …and never further back than this (a bot configured after a long pause does not replay days). */
const EVENTS_MAX_LOOKBACK_MS = 60 * 60_000;
/** Events read per kind and run. */
const EVENTS_PER_RUN = 200;
/** What was pushed is remembered this long (far beyond the overlap). */
const PUSH_MEMORY_MS = 24 * 3_600_000;
export const WEBHOOK_PATH = '/api/telegram/webhook';

const TOKEN_PLACE: SecretPlace = { table: 'bot_config', id: '1', column: 'token_enc' };
const WEBHOOK_SECRET_PLACE: SecretPlace = { table: 'bot_config', id: '1', column: 'webhook_secret_enc' };

/** The reads the bot answers from and pushes, each through its own domain (wired in services.ts). */
export interface BotReads extends CommandReads {
  largePayments(f: {
    merchantIds: bigint[];
    minAmount: bigint;
    since: Date;
    until: Date;
    limit: number;
  }): Promise<{ orderNo: string; mchOrderNo: string; merchantId: bigint; amount: bigint; paidAt: Date }[]>;
  failedNotifies(f: { merchantIds: bigint[]; since: Date; until: Date; limit: number }): Promise<
    {
      id: bigint;
      merchantId: bigint;
      orderNo: string | null;
      eventType: string;
      attempts: number;
      at: Date;
    }[]
  >;
}

export interface BotSettingsView {
  configured: boolean;
  botUsername: string | null;
  apiBaseUrl: string;
  mode: BotMode;
  webhookState: 'none' | 'set' | 'failed';
  webhookUrl: string;
  updatedAt: string;
}

export interface BotGroupView {
  id: string;
  chatId: string;
  title: string;
  subject: GroupSubject;
  merchantId: string | null;
  language: BotLanguage;
  enabled: boolean;
  allowedUserIds: string[];
  largePaymentThreshold: number | null;
  boundAt: string;
  lastActivityAt: string | null;
}

/** Who a group or a binding code is for: the operators, or one merchant. */
export type BotSubject = { kind: 'operators' } | { kind: 'merchant'; merchantId: bigint };

/**
 * The Telegram bot (OP-11): its settings, binding groups with one-time codes, answering commands
 * (long polling by one worker at a time, or a webhook checked by its secret token), the telegram
 * message transport of the notifications domain, and the merchants' own pushed events.
 */
export class BotService {
  private readonly codeKey: Buffer;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly reads: BotReads,
    private readonly options: {
      masterKey: Buffer;
      timeZone: string;
      publicUrl: () => string;
      log: Logger;
    },
  ) {
    this.codeKey = createHmac('sha256', options.masterKey).update('qingyun bot binding codes').digest();
  }

  // ---------- settings ----------

  async settings(): Promise<BotSettingsView> {
    const row = await queries.config(this.db);
    return {
      configured: row.token_enc !== null,
      botUsername: row.bot_username,
      apiBaseUrl: row.api_base_url,
      mode: row.mode,
      webhookState: row.webhook_state,
      webhookUrl: `${this.options.publicUrl()}${WEBHOOK_PATH}`,
      updatedAt: row.updated_at.toISOString(),
    };
  }

  /**
   * Changes the settings. A new token is checked with getMe first (a wrong one is refused, nothing
   * stored); the webhook is set (with a fresh secret token) or deleted to match the mode.
   */
  async updateSettings(change: {
    token?: string;
    apiBaseUrl?: string;
    mode?: BotMode;
  }): Promise<BotSettingsView> {
    const row = await queries.config(this.db);
    const apiBaseUrl = change.apiBaseUrl ?? row.api_base_url;
    const mode = change.mode ?? row.mode;
    const token = change.token ?? (row.token_enc ? this.secrets.decrypt(row.token_enc, TOKEN_PLACE) : null);
    const next: Parameters<typeof queries.updateConfig>[1] = { api_base_url: apiBaseUrl, mode };
    if (token) {
      const client = new TelegramClient(apiBaseUrl, token);
      const me = await apiCall(() => client.getMe());
      next.bot_username = me.username ?? null;
      if (change.token) next.token_enc = this.secrets.encrypt(change.token, TOKEN_PLACE);
      if (mode === 'webhook') {
        const secret = randomBytes(32).toString('base64url');
        await apiCall(() => client.setWebhook(`${this.options.publicUrl()}${WEBHOOK_PATH}`, secret)).catch(
          async (error) => {
            // Nothing else of the change is kept; the console says the webhook is not set.
            await queries.updateConfig(this.db, { webhook_state: 'failed' });
            throw error;
          },
        );
        next.webhook_secret_enc = this.secrets.encrypt(secret, WEBHOOK_SECRET_PLACE);
        next.webhook_state = 'set';
      } else if (row.webhook_state !== 'none' || row.mode === 'webhook') {
        // Updates wait for getUpdates only once no webhook is set.
        await apiCall(() => client.deleteWebhook());
        next.webhook_state = 'none';
      }
    }
    await queries.updateConfig(this.db, next);
    return this.settings();
  }

  /** The client for the configured token, or null without one. */
  private async client(): Promise<{ client: TelegramClient; mode: BotMode; offset: bigint } | null> {
    const row = await queries.config(this.db);
    if (!row.token_enc) return null;
    const token = this.secrets.decrypt(row.token_enc, TOKEN_PLACE);
    return { client: new TelegramClient(row.api_base_url, token), mode: row.mode, offset: row.update_offset };
  }

  private async requireClient(): Promise<TelegramClient> {
    const bot = await this.client();
    if (!bot) {
      throw new AppError('INVALID_REQUEST', 'set the bot token first', { reason: 'bot_not_configured' });
    }
    return bot.client;
  }

  // ---------- binding ----------

  /** A one-time code that binds the group it is sent in (`/bind <code>`) to the subject. */
  async createBindingCode(
    subject: BotSubject,
    language: BotLanguage,
    createdBy: bigint,
    now = new Date(),
  ): Promise<{ code: string; command: string; expiresAt: string }> {
    const code = Array.from(
      { length: CODE_LENGTH },
      () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)],
    ).join('');
    const expiresAt = new Date(now.getTime() + BINDING_CODE_TTL_MS);
    await queries.insertBindingCode(this.db, {
      codeHash: this.hashCode(code),
      subject: subject.kind,
      merchantId: subject.kind === 'merchant' ? subject.merchantId : null,
      language,
      createdBy,
      expiresAt,
    });
    return { code, command: `/bind ${code}`, expiresAt: expiresAt.toISOString() };
  }

  private hashCode(code: string): string {
    return createHmac('sha256', this.codeKey).update(code.trim().toUpperCase()).digest('base64url');
  }

  // ---------- groups ----------

  async groups(filter: { merchantId?: bigint } = {}): Promise<BotGroupView[]> {
    return (await queries.listGroups(this.db, filter)).map(groupView);
  }

  /** A group by id; another merchant's (when `merchantId` is given) is NOT_FOUND. */
  private async requireGroup(id: bigint, merchantId?: bigint): Promise<BotGroupRow> {
    const row = await queries.groupById(this.db, id);
    if (!row || (merchantId !== undefined && row.merchant_id !== merchantId)) {
      throw new AppError('NOT_FOUND', 'no such bot group');
    }
    return row;
  }

  async updateGroup(
    id: bigint,
    change: {
      language?: BotLanguage;
      enabled?: boolean;
      allowedUserIds?: bigint[];
      largePaymentThreshold?: bigint | null;
    },
    merchantId?: bigint,
  ): Promise<{ before: BotGroupView; after: BotGroupView }> {
    const before = await this.requireGroup(id, merchantId);
    const after = await queries.updateGroup(this.db, id, change);
    if (!after) throw new AppError('NOT_FOUND', 'no such bot group');
    return { before: groupView(before), after: groupView(after) };
  }

  /** Unbinds a group: it is forgotten, and gets no answer nor message any more. */
  async unbind(id: bigint, merchantId?: bigint): Promise<BotGroupView> {
    await this.requireGroup(id, merchantId);
    const row = await queries.deleteGroup(this.db, id);
    if (!row) throw new AppError('NOT_FOUND', 'no such bot group');
    return groupView(row);
  }

  async sendTest(id: bigint, merchantId?: bigint): Promise<void> {
    const group = await this.requireGroup(id, merchantId);
    const client = await this.requireClient();
    await apiCall(() =>
      client.sendMessage(String(group.chat_id), botWords(group.language, this.options.timeZone).testMessage),
    );
  }

  /**
   * The bound, enabled groups of the operators or of one merchant, with their chat id and language:
   * where alerts and a merchant's messages go (the notifications domain's telegram recipients).
   */
  async groupsOf(
    subject: BotSubject,
  ): Promise<{ groupId: string; chatId: string; locale: NotificationLocale }[]> {
    const rows = await queries.listGroups(this.db, {
      subject: subject.kind,
      merchantId: subject.kind === 'merchant' ? subject.merchantId : undefined,
      enabledOnly: true,
    });
    return rows.map((r) => ({ groupId: r.id.toString(), chatId: r.chat_id.toString(), locale: r.language }));
  }

  /** The `telegram` transport of the notifications domain: a rendered message to a chat id. */
  transport(): MessageTransport {
    return {
      channel: 'telegram',
      deliver: async (address: string, message: RenderedMessage) => {
        const client = await this.requireClient();
        const text = message.subject ? `${message.subject}\n\n${message.text}` : message.text;
        await apiCall(() => client.sendMessage(address, text));
      },
    };
  }

  // ---------- updates ----------

  /**
   * One long poll (the `telegram-poll` job, one worker node at a time): updates from the stored
   * offset, each answered, the offset moved past it. Returns how many updates were handled; 0 without
   * a token or in webhook mode.
   */
  async pollOnce(signal?: AbortSignal, timeoutSeconds = POLL_TIMEOUT_SECONDS): Promise<number> {
    const bot = await this.client();
    if (bot?.mode !== 'polling') return 0;
    const updates = await bot.client.getUpdates(Number(bot.offset), timeoutSeconds, 100, signal);
    for (const update of updates) {
      await this.handleUpdate(bot.client, update);
      await queries.advanceOffset(this.db, BigInt(update.update_id) + 1n);
    }
    return updates.length;
  }

  /** A webhook delivery: refused unless the bot is in webhook mode and the secret token matches. */
  async handleWebhook(secretToken: string | undefined, update: TelegramUpdate): Promise<void> {
    const row = await queries.config(this.db);
    const expected =
      row.mode === 'webhook' && row.webhook_secret_enc && row.token_enc
        ? this.secrets.decrypt(row.webhook_secret_enc, WEBHOOK_SECRET_PLACE)
        : null;
    if (!expected || !secretToken || !sameText(secretToken, expected)) {
      throw new AppError('FORBIDDEN', 'the webhook secret token does not match');
    }
    const bot = await this.client();
    if (bot) await this.handleUpdate(bot.client, update);
  }

  /** Answers one update; a failure is logged (without the message's text) and the update is done. */
  private async handleUpdate(client: TelegramClient, update: TelegramUpdate): Promise<void> {
    const message = update.message;
    if (!message?.text || (message.chat.type !== 'group' && message.chat.type !== 'supergroup')) return;
    try {
      const reply = await this.replyFor(message.chat.id, message.chat.title, message.from?.id, message.text);
      if (reply) await client.sendMessage(message.chat.id, reply);
    } catch (error) {
      this.options.log.warn(
        { err: error instanceof BotApiError ? error.description : error, updateId: update.update_id },
        'bot update not answered',
      );
    }
  }

  /** What the bot says to a message in a group, or null for no answer. */
  async replyFor(
    chatIdNumber: number,
    title: string | undefined,
    fromUserId: number | undefined,
    text: string,
  ): Promise<string | null> {
    const command = parseCommand(text);
    if (!command) return null;
    const chatId = BigInt(chatIdNumber);
    if (command.name === 'bind') {
      const code = command.args[0];
      if (!code) return null;
      const used = await queries.takeBindingCode(this.db, this.hashCode(code), chatId);
      if (!used) return null;
      const group = await queries.bindGroup(this.db, {
        chatId,
        title: title ?? '',
        subject: used.subject,
        merchantId: used.merchant_id,
        language: used.language,
        boundBy: used.created_by_user_id,
      });
      const words = botWords(group.language, this.options.timeZone);
      if (group.subject === 'operators') return words.bound(words.operators);
      const label = await this.reads.merchantLabel(group.merchant_id!);
      return words.bound(words.merchant(label?.name ?? '', label?.mchNo ?? ''));
    }
    const group = await queries.groupByChat(this.db, chatId);
    if (!group?.enabled) return null;
    if (group.allowed_user_ids.length > 0) {
      if (
        fromUserId === undefined ||
        !group.allowed_user_ids.some((id) => BigInt(id) === BigInt(fromUserId))
      ) {
        return null;
      }
    }
    const reply = await replyTo(group, command.name, command.args, this.reads, this.options.timeZone);
    if (reply !== null) await queries.touchGroup(this.db, group.id, title);
    return reply;
  }

  // ---------- pushed events ----------

  /**
   * The merchants' own events (the `bot-events` job): payments at or above a group's threshold and
   * notifies that failed for good, each told to the merchant's enabled groups once. Events are read
   * from where the last run stopped (again a minute back, for late commits; pushes are remembered);
   * a send that fails stops the run there, to be tried again next time.
   */
  async pushEvents(now = new Date()): Promise<number> {
    const bot = await this.client();
    const row = await queries.config(this.db);
    const until = now;
    if (!bot) {
      await queries.setEventsReadUntil(this.db, until);
      return 0;
    }
    const since = new Date(
      Math.max(
        (row.events_read_until ?? until).getTime() - EVENTS_OVERLAP_MS,
        until.getTime() - EVENTS_MAX_LOOKBACK_MS,
      ),
    );
    const groups = await queries.listGroups(this.db, { subject: 'merchant', enabledOnly: true });
    const messages: { at: Date; group: BotGroupRow; key: string; text: string }[] = [];
    const withThreshold = groups.filter((g) => g.large_payment_threshold !== null);
    if (withThreshold.length > 0) {
      const minAmount = withThreshold.reduce(
        (min, g) => (g.large_payment_threshold! < min ? g.large_payment_threshold! : min),
        withThreshold[0]!.large_payment_threshold!,
      );
      const payments = await this.reads.largePayments({
        merchantIds: [...new Set(withThreshold.map((g) => g.merchant_id!))],
        minAmount,
        since,
        until,
        limit: EVENTS_PER_RUN,
      });
      for (const payment of payments) {
        for (const group of withThreshold) {
          if (group.merchant_id !== payment.merchantId || payment.amount < group.large_payment_threshold!)
            continue;
          messages.push({
            at: payment.paidAt,
            group,
            key: `large_payment:${payment.orderNo}`,
            text: botWords(group.language, this.options.timeZone).largePayment(payment),
          });
        }
      }
    }
    if (groups.length > 0) {
      const failed = await this.reads.failedNotifies({
        merchantIds: [...new Set(groups.map((g) => g.merchant_id!))],
        since,
        until,
        limit: EVENTS_PER_RUN,
      });
      for (const notify of failed) {
        for (const group of groups) {
          if (group.merchant_id !== notify.merchantId) continue;
          messages.push({
            at: notify.at,
            group,
            key: `notify_failed:${notify.id}:${notify.attempts}`,
            text: botWords(group.language, this.options.timeZone).notifyFailed(notify),
          });
        }
      }
    }
    messages.sort((a, b) => a.at.getTime() - b.at.getTime());
    let sent = 0;
    let readUntil = until;
    for (const message of messages) {
      if (!(await queries.recordPush(this.db, message.group.id, message.key))) continue;
      try {
        await bot.client.sendMessage(String(message.group.chat_id), message.text);
        sent++;
      } catch (error) {
        await queries.forgetPush(this.db, message.group.id, message.key);
        this.options.log.warn(
          {
            err: error instanceof BotApiError ? error.description : error,
            groupId: message.group.id.toString(),
          },
          'bot event not pushed',
        );
        readUntil = message.at;
        break;
      }
    }
    await queries.setEventsReadUntil(this.db, readUntil);
    await queries.purgePushes(this.db, new Date(now.getTime() - PUSH_MEMORY_MS));
    await queries.purgeBindingCodes(this.db, new Date(now.getTime() - PUSH_MEMORY_MS));
    return sent;
  }
}

/** `/name@bot arg …` → name (lower case) and args; null for text that is not a command. */
export function parseCommand(text: string): { name: string; args: string[] } | null {
  const match = /^\/([A-Za-z_]{1,32})(?:@[A-Za-z0-9_]{1,64})?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!match) return null;
  return { name: match[1]!.toLowerCase(), args: (match[2] ?? '').split(/\s+/).filter(Boolean) };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Runs a Bot API call for a console action: its failure becomes BOT_API_ERROR with the reason. */
async function apiCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof BotApiError) {
      throw new AppError('BOT_API_ERROR', error.description, { reason: error.failure });
    }
    throw error;
  }
}

function groupView(r: BotGroupRow): BotGroupView {
  return {
    id: r.id.toString(),
    chatId: r.chat_id.toString(),
    title: r.title,
    subject: r.subject,
    merchantId: r.merchant_id?.toString() ?? null,
    language: r.language,
    enabled: r.enabled,
    allowedUserIds: r.allowed_user_ids.map((id) => String(id)),
    largePaymentThreshold: r.large_payment_threshold === null ? null : Number(r.large_payment_threshold),
    boundAt: r.bound_at.toISOString(),
    lastActivityAt: r.last_activity_at?.toISOString() ?? null,
  };
}
