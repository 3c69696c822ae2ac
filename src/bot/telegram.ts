import { request } from 'undici';

/**
 * A small client of the Telegram Bot API (https://core.telegram.org/bots/api): every method is a
 * POST of JSON to `{baseUrl}/bot{token}/{method}`, answered with `{ ok, result }` or
 * `{ ok: false, error_code, description }`. The token is part of the path, so neither the URL nor
 * anything that holds it is ever logged or put into an error.
 */

/** How long one call may take, over and above a long poll's own wait. */
const CALL_TIMEOUT_MS = 10_000;
/** The longest answer read from the Bot API (a page of 100 updates is far below it). */
const MAX_ANSWER_BYTES = 2 * 1024 * 1024;

export interface TelegramUser {
  id: number;
  is_bot?: boolean;
  first_name?: string;
  username?: string;
}

export interface TelegramChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
}

export interface TelegramMessage {
  message_id: number;
  date: number;
  chat: TelegramChat;
  from?: TelegramUser;
  text?: string;
}

export interface TelegramUpdate {
  update_id: number;
  message?: TelegramMessage;
}

/** What a refused or failed call was, in the words the consoles translate (BOT_API_ERROR reasons). */
export type BotApiFailure = 'unauthorized' | 'chat_unavailable' | 'unreachable' | 'refused';

export class BotApiError extends Error {
  constructor(
    readonly failure: BotApiFailure,
    /** The Bot API's own description ("Bad Request: chat not found"), never the URL. */
    readonly description: string,
    readonly errorCode?: number,
  ) {
    super(`Bot API: ${description}`);
    this.name = 'BotApiError';
  }
}

export class TelegramClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  getMe(): Promise<TelegramUser> {
    return this.call('getMe', {});
  }

  /** Long polling: waits up to `timeoutSeconds` for updates from `offset` on (earlier ones are confirmed). */
  getUpdates(
    offset: number,
    timeoutSeconds: number,
    limit = 100,
    signal?: AbortSignal,
  ): Promise<TelegramUpdate[]> {
    return this.call(
      'getUpdates',
      { offset, timeout: timeoutSeconds, limit, allowed_updates: ['message'] },
      timeoutSeconds * 1000,
      signal,
    );
  }

  sendMessage(chatId: number | string, text: string): Promise<TelegramMessage> {
    return this.call('sendMessage', {
      chat_id: chatId,
      text,
      link_preview_options: { is_disabled: true },
    });
  }

  setWebhook(url: string, secretToken: string): Promise<boolean> {
    return this.call('setWebhook', { url, secret_token: secretToken, allowed_updates: ['message'] });
  }

  deleteWebhook(): Promise<boolean> {
    return this.call('deleteWebhook', { drop_pending_updates: false });
  }

  private async call<T>(method: string, body: unknown, waitMs = 0, signal?: AbortSignal): Promise<T> {
    const url = `${this.baseUrl.replace(/\/+$/, '')}/bot${this.token}/${method}`;
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        headersTimeout: CALL_TIMEOUT_MS + waitMs,
        bodyTimeout: CALL_TIMEOUT_MS + waitMs,
        signal,
      });
      status = response.statusCode;
      text = await readLimited(response.body, MAX_ANSWER_BYTES);
    } catch (error) {
      // Only the kind of failure: undici's messages may quote the address, which holds the token.
      const name = error instanceof Error ? ((error as { code?: string }).code ?? error.name) : 'error';
      throw new BotApiError('unreachable', `the Bot API could not be reached (${name})`);
    }
    let answer: { ok?: boolean; result?: T; error_code?: number; description?: string };
    try {
      answer = JSON.parse(text);
    } catch {
      throw new BotApiError('unreachable', `the Bot API answered HTTP ${status} without JSON`);
    }
    if (answer.ok === true) return answer.result as T;
    const code = answer.error_code ?? status;
    const description = String(answer.description ?? `HTTP ${status}`).slice(0, 300);
    throw new BotApiError(failureOf(code), description, code);
  }
}

function failureOf(code: number): BotApiFailure {
  if (code === 401 || code === 404) return 'unauthorized';
  if (code === 400 || code === 403) return 'chat_unavailable';
  return 'refused';
}

async function readLimited(body: AsyncIterable<Buffer>, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) throw new Error('answer too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
