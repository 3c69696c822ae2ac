/**
 * A local fake of the Telegram Bot API (https://core.telegram.org/bots/api), written from the
 * published reference and apart from the bot's code so the two check each other:
 *
 * - every method at `/bot<token>/<method>`, GET or POST, parameters in the query string, a JSON
 *   body or a form; answers `{ ok: true, result }` or `{ ok: false, error_code, description }`
 *   (401 Unauthorized for an unknown token, 404 Not Found for an unknown method);
 * - getMe; getUpdates with offset semantics (updates with an id ≥ offset are returned, and asking
 *   with an offset confirms — forgets — every earlier one; a negative offset counts from the end),
 *   limit 1–100 and long polling up to `timeout` seconds; a second concurrent getUpdates ends the
 *   first with 409 "Conflict: terminated by other getUpdates request"; 409 while a webhook is set;
 * - sendMessage (400 "chat not found" for a chat the bot is not in, "message text is empty",
 *   "message is too long" beyond 4096 characters);
 * - setWebhook with `secret_token` (1–256 of A–Z a–z 0–9 _ -): updates are then POSTed to the URL
 *   with the header `X-Telegram-Bot-Api-Secret-Token`, repeated until answered 2xx; deleteWebhook.
 *
 * Tests inject messages from a chat (`injectMessage`) and read what the bot sent (`sent`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeChat {
  id: number;
  type: 'private' | 'group' | 'supergroup';
  title?: string;
}

export interface SentMessage {
  chatId: number;
  text: string;
  messageId: number;
}

interface Update {
  update_id: number;
  message: {
    message_id: number;
    date: number;
    chat: FakeChat;
    from: { id: number; is_bot: false; first_name: string };
    text: string;
  };
}

const MAX_TEXT = 4096;
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

export class FakeTelegram {
  readonly token: string;
  readonly botUser = { id: 7_000_000_001, is_bot: true, first_name: 'Qingyun', username: 'qingyun_test_bot' };
  /** Messages the bot sent, in order. */
  readonly sent: SentMessage[] = [];
  /** Every method called, in order (the token is not recorded). */
  readonly calls: string[] = [];
  webhook: { url: string; secretToken: string | undefined } | null = null;
  /** Webhook deliveries and what the bot answered. */
  readonly deliveries: { updateId: number; status: number }[] = [];

  private readonly server: http.Server;
  private readonly chats = new Map<number, FakeChat>();
  private updates: Update[] = [];
  private nextUpdateId = 100_000;
  private nextMessageId = 1;
  private waiting: { wake: (conflict: boolean) => void } | null = null;
  private sentWaiters: (() => void)[] = [];
  private delivering = false;

  constructor(token = '123456789:AAFakeTokenForTestsOnly_abcdefghijklmn') {
    this.token = token;
    this.server = http.createServer((request, response) => {
      this.handle(request, response).catch((error) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ok: false, error_code: 500, description: String(error) }));
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.waiting?.wake(false);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** The bot is in this chat (sendMessage to it works). */
  addChat(chat: FakeChat): void {
    this.chats.set(chat.id, chat);
  }

  /** A message someone sends in a chat (the bot joins it): an update for getUpdates or the webhook. */
  injectMessage(chat: FakeChat, fromUserId: number, text: string): number {
    this.addChat(chat);
    const update: Update = {
      update_id: this.nextUpdateId++,
      message: {
        message_id: this.nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat,
        from: { id: fromUserId, is_bot: false, first_name: `user${fromUserId}` },
        text,
      },
    };
    this.updates.push(update);
    this.waiting?.wake(false);
    void this.deliverToWebhook();
    return update.update_id;
  }

  /** Updates not confirmed yet (neither returned and then passed by an offset, nor delivered). */
  get pendingUpdates(): number {
    return this.updates.length;
  }

  /** Resolves with the messages sent to `chatId` once there are `count` of them past `after`. */
  async waitForSent(chatId: number, count = 1, after = 0, timeoutMs = 10_000): Promise<SentMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.sent.slice(after).filter((m) => m.chatId === chatId);
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${count} message(s) to chat ${chatId}; got ${found.length}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.sentWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const fail = (code: number, description: string) =>
      reply(code, { ok: false, error_code: code, description });
    if (!match) return fail(404, 'Not Found');
    const [, token, method] = match as unknown as [string, string, string];
    if (token !== this.token) return fail(401, 'Unauthorized');
    const params = { ...Object.fromEntries(url.searchParams), ...(await bodyParams(request)) };
    this.calls.push(method);
    const ok = (result: unknown) => reply(200, { ok: true, result });
    switch (method) {
      case 'getMe':
        return ok(this.botUser);
      case 'getUpdates':
        return this.getUpdates(params, ok, fail);
      case 'sendMessage': {
        const chatId = Number(params.chat_id);
        const chat = this.chats.get(chatId);
        if (!chat) return fail(400, 'Bad Request: chat not found');
        const text = String(params.text ?? '');
        if (text.trim() === '') return fail(400, 'Bad Request: message text is empty');
        if (text.length > MAX_TEXT) return fail(400, 'Bad Request: message is too long');
        const message = { chatId, text, messageId: this.nextMessageId++ };
        this.sent.push(message);
        for (const wake of this.sentWaiters.splice(0)) wake();
        return ok({
          message_id: message.messageId,
          date: Math.floor(Date.now() / 1000),
          chat,
          from: this.botUser,
          text,
        });
      }
      case 'setWebhook': {
        const target = String(params.url ?? '');
        const secret = params.secret_token === undefined ? undefined : String(params.secret_token);
        if (secret !== undefined && !SECRET_TOKEN.test(secret)) {
          return fail(400, 'Bad Request: secret token contains unallowed characters');
        }
        if (target === '') {
          this.webhook = null;
          return ok(true);
        }
        if (!/^https?:\/\//.test(target)) return fail(400, 'Bad Request: bad webhook: invalid URL');
        this.webhook = { url: target, secretToken: secret };
        this.waiting?.wake(true);
        void this.deliverToWebhook();
        return ok(true);
      }
      case 'deleteWebhook':
        if (params.drop_pending_updates === true || params.drop_pending_updates === 'true') this.updates = [];
        this.webhook = null;
        return ok(true);
      default:
        return fail(404, 'Not Found');
    }
  }

  private async getUpdates(
    params: Record<string, unknown>,
    ok: (result: unknown) => void,
    fail: (code: number, description: string) => void,
  ): Promise<void> {
    if (this.webhook) {
      return fail(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    const offset = params.offset === undefined ? 0 : Number(params.offset);
    const limit = Math.min(100, Math.max(1, params.limit === undefined ? 100 : Number(params.limit)));
    const timeout = Math.max(0, params.timeout === undefined ? 0 : Number(params.timeout));
    if (offset > 0) this.updates = this.updates.filter((u) => u.update_id >= offset);
    else if (offset < 0) this.updates = this.updates.slice(offset);
    const ready = () => this.updates.slice(0, limit);
    if (ready().length > 0 || timeout === 0) return ok(ready());
    // Another getUpdates ends this one, as Telegram does.
    this.waiting?.wake(true);
    const conflict = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), timeout * 1000);
      const done = (conflicted: boolean) => {
        clearTimeout(timer);
        if (this.waiting === waiter) this.waiting = null;
        resolve(conflicted);
      };
      const waiter = { wake: done };
      this.waiting = waiter;
    });
    if (conflict)
      return fail(
        409,
        'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
      );
    return ok(ready());
  }

  /** Posts pending updates to the webhook one by one, again after a pause until the bot answers 2xx. */
  private async deliverToWebhook(): Promise<void> {
    if (this.delivering) return;
    this.delivering = true;
    try {
      let failures = 0;
      while (this.webhook && this.updates.length > 0 && failures < 20) {
        const update = this.updates[0]!;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (this.webhook.secretToken) headers['x-telegram-bot-api-secret-token'] = this.webhook.secretToken;
        let status = 0;
        try {
          const response = await fetch(this.webhook.url, {
            method: 'POST',
            headers,
            body: JSON.stringify(update),
          });
          status = response.status;
          await response.text();
        } catch {
          status = 0;
        }
        this.deliveries.push({ updateId: update.update_id, status });
        if (status >= 200 && status < 300) {
          this.updates.shift();
          failures = 0;
        } else {
          failures++;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    } finally {
      this.delivering = false;
    }
  }
}

async function bodyParams(request: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  const type = request.headers['content-type'] ?? '';
  if (type.startsWith('application/json')) return JSON.parse(text) as Record<string, unknown>;
  if (type.startsWith('application/x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(text));
  return {};
}
