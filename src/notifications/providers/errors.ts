import { request } from 'undici';
import type { MessageTransport, RenderedMessage } from '../types.ts';

/** A built-in transport: it answers the provider's words for the delivery log (a message id). */
export interface ProviderTransport extends MessageTransport {
  /** The provider's name in the delivery log: smtp, aliyun, tencent, log. */
  provider?: string;
  deliver(address: string, message: RenderedMessage): Promise<string>;
}

/** A provider's refusal or an unreachable provider: the words go into the delivery log (no secrets). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    /** False when trying again cannot help (a malformed address). */
    readonly retryable = true,
  ) {
    super(message.slice(0, 500));
    this.name = 'DeliveryError';
  }
}

/** A mainland number as the Chinese providers want it: 11 digits without +86; others keep their +. */
export function phoneForChina(address: string): string {
  const digits = address.replace(/[\s-]/g, '');
  if (/^\+86\d{11}$/.test(digits)) return digits.slice(3);
  if (/^(\+\d{6,15}|\d{6,15})$/.test(digits)) return digits;
  throw new DeliveryError('not a phone number', false);
}

/** E.164 with its +: a bare 11-digit mainland number gets +86. */
export function phoneE164(address: string): string {
  const digits = address.replace(/[\s-]/g, '');
  if (/^1\d{10}$/.test(digits)) return `+86${digits}`;
  if (/^\+\d{6,15}$/.test(digits)) return digits;
  throw new DeliveryError('not a phone number', false);
}

/**
 * POSTs to a provider's API and reads its JSON answer; an unreachable provider or an answer that is
 * not JSON is a DeliveryError (retryable), the provider's own refusal is the caller's to read.
 */
export async function postForJson<T>(
  url: URL,
  init: { headers: Record<string, string>; body: string },
  timeoutMs: number,
): Promise<T> {
  try {
    const res = await request(url, {
      method: 'POST',
      headers: init.headers,
      body: init.body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new DeliveryError(`HTTP ${res.statusCode}: not JSON`);
    }
  } catch (error) {
    if (error instanceof DeliveryError) throw error;
    throw new DeliveryError(`unreachable: ${(error as Error).message}`);
  }
}
