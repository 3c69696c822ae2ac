import { alipayAdapter } from './alipay/adapter.ts';
import { sandboxAdapter } from './sandbox/adapter.ts';
import type { ChannelAdapter } from './types.ts';
import { wechatpayAdapter } from './wechatpay/adapter.ts';

/** Every channel adapter by its stable code; a new channel adds one line here. */
const adapters = new Map<string, ChannelAdapter>([
  [sandboxAdapter.code, sandboxAdapter],
  [alipayAdapter.code, alipayAdapter],
  [wechatpayAdapter.code, wechatpayAdapter],
]);

export function getAdapter(code: string): ChannelAdapter | undefined {
  return adapters.get(code);
}

export function listAdapters(): ChannelAdapter[] {
  return [...adapters.values()];
}
