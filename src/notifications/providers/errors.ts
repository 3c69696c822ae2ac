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
