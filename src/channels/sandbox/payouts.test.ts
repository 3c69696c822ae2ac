import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChannelContext, NotifyRejected, type PayoutRequest } from '../types.ts';
import { sandboxAdapter } from './adapter.ts';
import { PAYOUT_DECIDE_MS } from './protocol.ts';
import { registerSandboxMerchant, sandboxPlugin } from './server.ts';
import { MemorySandboxStore } from './store.ts';

/** Stands in for the platform's payout notify endpoint: records every attempt; fails the first N when told. */
class PayoutReceiver {
  readonly received: { rawBody: string; params: URLSearchParams }[] = [];
  failFirst = 0;
  private readonly server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      this.received.push({ rawBody, params: new URLSearchParams(rawBody) });
      if (this.failFirst > 0) {
        this.failFirst -= 1;
        outgoing.writeHead(500).end('oops');
        return;
      }
      outgoing.writeHead(200, { 'content-type': 'text/plain' }).end('SUCCESS');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/notify/1`;
  }

  for(payoutNo: string) {
    return this.received.filter((n) => n.params.get('outPayoutNo') === payoutNo);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let host: FastifyInstance;
let origin = '';
let notifyUrl = '';
const store = new MemorySandboxStore();
const receiver = new PayoutReceiver();
const merchant = { mchId: '', key: '' };

beforeAll(async () => {
  notifyUrl = await receiver.start();
  host = Fastify();
  await host.register(sandboxPlugin, {
    prefix: '/sandbox',
    store,
    registrationToken: null,
    allowPrivateAddresses: true,
    publicUrl: () => `${origin}/sandbox`,
    retryDelaysMs: [100, 100, 100],
  });
  await host.listen({ host: '127.0.0.1', port: 0 });
  origin = `http://127.0.0.1:${(host.server.address() as AddressInfo).port}`;
  Object.assign(merchant, await registerSandboxMerchant(store));
});

afterAll(async () => {
  await host?.close();
  await receiver.close();
});

function context(payoutOutcome?: string, timeoutMs = 2_000): ChannelContext {
  return {
    channelAccountId: 1n,
    credentials: { mchId: merchant.mchId, key: merchant.key, baseUrl: `${origin}/sandbox` },
    config: payoutOutcome === undefined ? {} : { payoutOutcome },
    notifyUrl,
    refundNotifyUrl: `${notifyUrl}/refund`,
    payoutNotifyUrl: `${notifyUrl}/payout`,
    publicUrl: origin,
    timeoutMs,
  };
}

let sequence = 0;
function request(amount = 10_000n): PayoutRequest {
  return {
    payoutNo: `P${Date.now()}${++sequence}`,
    amount,
    currency: 'CNY',
    payee: { name: '李四', accountNo: '6217000011112222', bankName: '建设银行', type: 'personal' },
    remark: 'test payout',
  };
}

const payout = (ctx: ChannelContext, r: PayoutRequest) => sandboxAdapter.payout!(ctx, r);
const query = (ctx: ChannelContext, payoutNo: string) => sandboxAdapter.queryPayout!(ctx, { payoutNo });

async function waitFor<T>(check: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('sandbox payouts', () => {
  it('says it pays out', () => {
    expect(sandboxAdapter.supportsPayout).toBe(true);
  });

  it('succeed: paid at once; a retry with the same number gets the same payout, never a second', async () => {
    const ctx = context('succeed');
    const r = request();
    const first = await payout(ctx, r);
    expect(first).toMatchObject({ outcome: 'accepted', status: 'succeeded' });
    const again = await payout(ctx, r);
    expect(again).toMatchObject({ outcome: 'accepted', status: 'succeeded' });
    expect(again.outcome === 'accepted' && first.outcome === 'accepted' && again.channelPayoutNo).toBe(
      first.outcome === 'accepted' ? first.channelPayoutNo : null,
    );
    expect(await query(ctx, r.payoutNo)).toMatchObject({ status: 'succeeded', amount: r.amount });
    // The same number with another amount is another payout: refused, the first one untouched.
    expect(await payout(ctx, { ...r, amount: r.amount + 1n })).toMatchObject({
      outcome: 'refused',
      code: 'OUT_PAYOUT_NO_USED',
    });
    expect((await store.findPayout(merchant.mchId, r.payoutNo))?.amount).toBe(r.amount);
  });

  it('fail: failed at once with the bank’s reason', async () => {
    const r = request();
    const result = await payout(context('fail'), r);
    expect(result).toMatchObject({
      outcome: 'accepted',
      status: 'failed',
      message: 'PAYEE_ACCOUNT_ABNORMAL',
    });
    expect(await query(context('fail'), r.payoutNo)).toMatchObject({ status: 'failed' });
  });

  it('async_succeed (the default): submitted, then the signed notify after a short delay', async () => {
    const ctx = context();
    const r = request();
    expect(await payout(ctx, r)).toMatchObject({ outcome: 'accepted', status: 'submitted' });
    expect(await query(ctx, r.payoutNo)).toMatchObject({ status: 'submitted' });
    const notify = await waitFor(() => receiver.for(r.payoutNo)[0], PAYOUT_DECIDE_MS + 3_000);
    const parsed = sandboxAdapter.parseNotify(ctx, {
      rawBody: notify.rawBody,
      contentType: 'application/x-www-form-urlencoded',
      headers: {},
    });
    expect(parsed).toMatchObject({
      kind: 'payout',
      payoutNo: r.payoutNo,
      status: 'succeeded',
      amount: r.amount,
    });
    expect(await query(ctx, r.payoutNo)).toMatchObject({ status: 'succeeded' });
  });

  it('async_fail: the notify says failed and is retried until acknowledged', async () => {
    const ctx = context('async_fail');
    const r = request();
    receiver.failFirst = 1;
    expect(await payout(ctx, r)).toMatchObject({ outcome: 'accepted', status: 'submitted' });
    const notifies = await waitFor(() => {
      const got = receiver.for(r.payoutNo);
      return got.length >= 2 ? got : undefined;
    }, PAYOUT_DECIDE_MS + 3_000);
    expect(notifies[0]!.rawBody).toBe(notifies[1]!.rawBody);
    const parsed = sandboxAdapter.parseNotify(ctx, {
      rawBody: notifies[1]!.rawBody,
      contentType: 'application/x-www-form-urlencoded',
      headers: {},
    });
    expect(parsed).toMatchObject({ kind: 'payout', status: 'failed', message: 'PAYEE_ACCOUNT_ABNORMAL' });
  });

  it('lost: the payout is made but the answer times out; a query tells, and a retry pays nothing more', async () => {
    const ctx = context('lost', 300);
    const r = request();
    expect(await payout(ctx, r)).toMatchObject({ outcome: 'unknown', code: 'CHANNEL_TIMEOUT' });
    expect(await query(ctx, r.payoutNo)).toMatchObject({ status: 'succeeded' });
    // The same number again is answered at once with the payout already made.
    expect(await payout(ctx, r)).toMatchObject({ outcome: 'accepted', status: 'succeeded' });
    expect(receiver.for(r.payoutNo)).toEqual([]);
  });

  it('answers not_found for a number it never took', async () => {
    expect(await query(context(), 'P-never-sent')).toMatchObject({ status: 'not_found' });
  });

  it('refuses a payee it cannot pay; nothing is made', async () => {
    const r = request();
    const result = await payout(context('succeed'), { ...r, payee: { ...r.payee, accountNo: '12ab' } });
    expect(result).toMatchObject({ outcome: 'refused', code: 'PARAM_ERROR' });
    expect(await store.findPayout(merchant.mchId, r.payoutNo)).toBeUndefined();
  });

  it('refuses a payout notify whose signature does not verify', async () => {
    const ctx = context();
    const r = request();
    await payout(ctx, r);
    const notify = await waitFor(() => receiver.for(r.payoutNo)[0], PAYOUT_DECIDE_MS + 3_000);
    const forged = notify.rawBody.replace(/amount=\d+/, 'amount=1');
    expect(() => sandboxAdapter.parseNotify(ctx, { rawBody: forged, contentType: '', headers: {} })).toThrow(
      NotifyRejected,
    );
  });
});
