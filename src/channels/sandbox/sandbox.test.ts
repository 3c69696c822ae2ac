import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAdapter, listAdapters } from '../registry.ts';
import { type ChannelContext, NotifyRejected, type ParsedNotify } from '../types.ts';
import { sandboxAdapter } from './adapter.ts';
import { sandboxSign } from './protocol.ts';
import { sandboxPlugin, startSandboxServer } from './server.ts';
import { MemorySandboxStore } from './store.ts';

const REGISTRATION_TOKEN = 'test-registration-token-0123456789abcdef';

interface ReceivedNotify {
  rawBody: string;
  contentType: string;
  params: URLSearchParams;
}

/** Stands in for the platform's notify endpoint: records every attempt, answers SUCCESS unless told. */
class NotifyReceiver {
  readonly received: ReceivedNotify[] = [];
  /** Orders whose next N attempts are answered with HTTP 500. */
  readonly failuresToGive = new Map<string, number>();
  private readonly server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const params = new URLSearchParams(rawBody);
      this.received.push({ rawBody, contentType: incoming.headers['content-type'] ?? '', params });
      const orderNo = params.get('outTradeNo') ?? '';
      const failures = this.failuresToGive.get(orderNo) ?? 0;
      if (failures > 0) {
        this.failuresToGive.set(orderNo, failures - 1);
        outgoing.writeHead(500).end('oops');
        return;
      }
      outgoing.writeHead(200, { 'content-type': 'text/plain' }).end('SUCCESS');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/notify/sandbox`;
  }

  for(orderNo: string): ReceivedNotify[] {
    return this.received.filter((notify) => notify.params.get('outTradeNo') === orderNo);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let host: FastifyInstance;
let origin = '';
let sandboxUrl = '';
let notifyUrl = '';
const receiver = new NotifyReceiver();
const merchantA = { mchId: '', key: '' };
const merchantB = { mchId: '', key: '' };

beforeAll(async () => {
  notifyUrl = await receiver.start();
  // Mounted the way the platform mounts it: a plugin under /sandbox of a larger app.
  host = Fastify();
  await host.register(sandboxPlugin, {
    prefix: '/sandbox',
    store: new MemorySandboxStore(),
    registrationToken: REGISTRATION_TOKEN,
    allowPrivateAddresses: true,
    publicUrl: () => sandboxUrl,
    retryDelaysMs: [100, 100, 100],
  });
  await host.listen({ host: '127.0.0.1', port: 0 });
  origin = `http://127.0.0.1:${(host.server.address() as AddressInfo).port}`;
  sandboxUrl = `${origin}/sandbox`;
  Object.assign(merchantA, await registerMerchant());
  Object.assign(merchantB, await registerMerchant('SBX-OTHER'));
});

afterAll(async () => {
  await host?.close();
  await receiver.close();
});

async function postJson(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, string> }> {
  const response = await request(`${sandboxUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.statusCode, json: (await response.body.json()) as Record<string, string> };
}

async function registerMerchant(mchId?: string): Promise<{ mchId: string; key: string }> {
  const { json } = await postJson('/api/merchants', mchId === undefined ? {} : { mchId }, {
    authorization: `Bearer ${REGISTRATION_TOKEN}`,
  });
  expect(json.code).toBe('SUCCESS');
  return { mchId: json.mchId ?? '', key: json.key ?? '' };
}

function contextFor(
  merchant: { mchId: string; key: string },
  overrides: Partial<ChannelContext> = {},
): ChannelContext {
  return {
    channelAccountId: 1n,
    credentials: { mchId: merchant.mchId, key: merchant.key, baseUrl: sandboxUrl },
    config: {},
    notifyUrl,
    refundNotifyUrl: `${notifyUrl}/refund`,
    publicUrl: origin,
    timeoutMs: 2_000,
    ...overrides,
  };
}

function withFaults(faults: Record<string, unknown>): ChannelContext {
  return contextFor(merchantA, { config: { faults } });
}

let orderSequence = 0;
function nextOrderNo(): string {
  orderSequence += 1;
  return `T${Date.now()}-${orderSequence}`;
}

async function openPayment(ctx: ChannelContext, orderNo = nextOrderNo(), amount = 1234n) {
  const result = await sandboxAdapter.createPayment(ctx, {
    orderNo,
    payWay: 'ALI_QR',
    amount,
    currency: 'CNY',
    subject: 'Tea <b>& cake</b>',
    expiresAt: new Date(Date.now() + 15 * 60_000),
  });
  return { orderNo, result };
}

async function openAccepted(ctx: ChannelContext) {
  const { orderNo, result } = await openPayment(ctx);
  if (result.outcome !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(result)}`);
  return { orderNo, tradeNo: result.channelOrderNo ?? '', payUrl: result.payData.value };
}

async function getPage(url: string): Promise<{ status: number; html: string }> {
  const response = await request(url);
  return { status: response.statusCode, html: await response.body.text() };
}

async function submitDecision(payUrl: string, result: string): Promise<{ status: number; html: string }> {
  const response = await request(payUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ result }).toString(),
  });
  return { status: response.statusCode, html: await response.body.text() };
}

async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function notifyOf(received: ReceivedNotify) {
  return { rawBody: received.rawBody, contentType: received.contentType, headers: {} };
}

function rejectionReason(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof NotifyRejected) return error.reason;
    throw error;
  }
  throw new Error('expected NotifyRejected');
}

describe('sandbox happy path', () => {
  it('creates, shows the pay page, takes a payment and notifies a verifiable result', async () => {
    // No baseUrl: the adapter finds the in-process sandbox under publicUrl.
    const ctx = contextFor(merchantA, { credentials: { mchId: merchantA.mchId, key: merchantA.key } });
    const { orderNo, tradeNo, payUrl } = await openAccepted(ctx);
    expect(tradeNo).toMatch(/^SB\d+$/);
    expect(payUrl).toBe(`${sandboxUrl}/pay/${tradeNo}`);

    const page = await getPage(payUrl);
    expect(page.status).toBe(200);
    expect(page.html).toContain('青云沙箱收银台');
    expect(page.html).toContain('¥12.34');
    expect(page.html).toContain('Tea &lt;b&gt;&amp; cake&lt;/b&gt;');
    expect(page.html).toContain('value="success"');

    const paid = await submitDecision(payUrl, 'success');
    expect(paid.status).toBe(200);
    expect(paid.html).toContain('支付成功 / Paid');
    expect(paid.html).not.toContain('value="success"');

    await waitFor(() => receiver.for(orderNo).length === 1);
    const [received] = receiver.for(orderNo);
    expect(received?.contentType).toBe('application/x-www-form-urlencoded');
    const notify = sandboxAdapter.parseNotify(ctx, notifyOf(received!)) as ParsedNotify;
    expect(notify).toMatchObject({ kind: 'payment', orderNo, channelOrderNo: tradeNo, status: 'paid' });
    expect(notify.amount).toBe(1234n);
    expect(notify.currency).toBe('CNY');
    expect(notify.paidAt).toBeInstanceOf(Date);

    const status = await sandboxAdapter.queryPayment(ctx, { orderNo });
    expect(status).toMatchObject({ status: 'paid', channelOrderNo: tradeNo, amount: 1234n, currency: 'CNY' });
    expect(status.paidAt?.getTime()).toBe(notify.paidAt?.getTime());

    expect(await sandboxAdapter.closePayment(ctx, { orderNo })).toMatchObject({ outcome: 'paid' });

    // A second decision never makes a second transition nor a second notify.
    const again = await submitDecision(payUrl, 'fail');
    expect(again.html).toContain('支付成功 / Paid');
    await sleep(300);
    expect(receiver.for(orderNo)).toHaveLength(1);
  });

  it('reports a failed payment', async () => {
    const ctx = contextFor(merchantA);
    const { orderNo, payUrl } = await openAccepted(ctx);
    expect((await submitDecision(payUrl, 'fail')).html).toContain('支付失败 / Payment failed');
    await waitFor(() => receiver.for(orderNo).length === 1);
    const notify = sandboxAdapter.parseNotify(ctx, notifyOf(receiver.for(orderNo)[0]!)) as ParsedNotify;
    expect(notify.status).toBe('failed');
    expect(notify.paidAt).toBeNull();
    expect((await sandboxAdapter.queryPayment(ctx, { orderNo })).status).toBe('failed');
  });

  it('is idempotent on the order number and refuses its reuse for another amount', async () => {
    const ctx = contextFor(merchantA);
    const first = await openPayment(ctx);
    const again = await openPayment(ctx, first.orderNo);
    expect(again.result).toEqual(first.result);
    const other = await openPayment(ctx, first.orderNo, 999n);
    expect(other.result).toMatchObject({ outcome: 'refused', code: 'OUT_TRADE_NO_USED' });
  });

  it('closes an unpaid payment so it can no longer be paid', async () => {
    const ctx = contextFor(merchantA);
    const { orderNo, payUrl } = await openAccepted(ctx);
    expect(await sandboxAdapter.closePayment(ctx, { orderNo })).toEqual({ outcome: 'closed' });
    expect(await sandboxAdapter.closePayment(ctx, { orderNo })).toEqual({ outcome: 'closed' });
    expect((await sandboxAdapter.queryPayment(ctx, { orderNo })).status).toBe('closed');
    const page = await getPage(payUrl);
    expect(page.html).toContain('已关闭 / Closed');
    expect(page.html).not.toContain('value="success"');
    expect((await submitDecision(payUrl, 'success')).html).toContain('已关闭 / Closed');
    expect((await sandboxAdapter.queryPayment(ctx, { orderNo })).status).toBe('closed');
    expect(receiver.for(orderNo)).toHaveLength(0);
  });

  it('answers not_found for an order it never saw', async () => {
    const ctx = contextFor(merchantA);
    expect(await sandboxAdapter.queryPayment(ctx, { orderNo: nextOrderNo() })).toMatchObject({
      status: 'not_found',
    });
  });
});

describe('sandbox fault injection', () => {
  it('refuses a create when asked to', async () => {
    const ctx = withFaults({ refuseCreate: true });
    const { orderNo, result } = await openPayment(ctx);
    expect(result).toMatchObject({ outcome: 'refused', code: 'CHANNEL_REFUSED' });
    expect((await sandboxAdapter.queryPayment(ctx, { orderNo })).status).toBe('not_found');
  });

  it('times out a create, yet the payment exists', async () => {
    const ctx = contextFor(merchantA, { config: { faults: { createTimeout: true } }, timeoutMs: 300 });
    const started = Date.now();
    const { orderNo, result } = await openPayment(ctx);
    expect(result).toMatchObject({ outcome: 'unknown', code: 'CHANNEL_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await sandboxAdapter.queryPayment(contextFor(merchantA), { orderNo })).status).toBe('pending');
  });

  it('drops the notify while the query tells the truth', async () => {
    const ctx = withFaults({ dropNotify: true });
    const { orderNo, payUrl } = await openAccepted(ctx);
    await submitDecision(payUrl, 'success');
    await sleep(1_000);
    expect(receiver.for(orderNo)).toHaveLength(0);
    expect((await sandboxAdapter.queryPayment(ctx, { orderNo })).status).toBe('paid');
  });

  it('duplicates the notify', async () => {
    const ctx = withFaults({ duplicateNotify: 3 });
    const { orderNo, payUrl } = await openAccepted(ctx);
    await submitDecision(payUrl, 'success');
    await waitFor(() => receiver.for(orderNo).length === 3);
    const bodies = new Set(receiver.for(orderNo).map((notify) => notify.rawBody));
    expect(bodies.size).toBe(1);
    await sleep(300);
    expect(receiver.for(orderNo)).toHaveLength(3);
  });

  it('delays the first notify', async () => {
    const ctx = withFaults({ notifyDelayMs: 400 });
    const { orderNo, payUrl } = await openAccepted(ctx);
    await submitDecision(payUrl, 'success');
    await sleep(200);
    expect(receiver.for(orderNo)).toHaveLength(0);
    await waitFor(() => receiver.for(orderNo).length === 1);
  });

  it('notifies a wrong amount while the query stays correct', async () => {
    const ctx = withFaults({ wrongAmountDelta: 5 });
    const { orderNo, payUrl } = await openAccepted(ctx);
    await submitDecision(payUrl, 'success');
    await waitFor(() => receiver.for(orderNo).length === 1);
    const notify = await sandboxAdapter.parseNotify(ctx, notifyOf(receiver.for(orderNo)[0]!));
    expect(notify.amount).toBe(1239n);
    expect((await sandboxAdapter.queryPayment(ctx, { orderNo })).amount).toBe(1234n);
  });

  it('retries a notify the platform did not acknowledge', async () => {
    const ctx = contextFor(merchantA);
    const { orderNo, payUrl } = await openAccepted(ctx);
    receiver.failuresToGive.set(orderNo, 1);
    await submitDecision(payUrl, 'success');
    await waitFor(() => receiver.for(orderNo).length === 2);
    await sleep(300);
    expect(receiver.for(orderNo)).toHaveLength(2);
  });

  it('gives up after four attempts', async () => {
    const ctx = contextFor(merchantA);
    const { orderNo, payUrl } = await openAccepted(ctx);
    receiver.failuresToGive.set(orderNo, 10);
    await submitDecision(payUrl, 'success');
    await waitFor(() => receiver.for(orderNo).length === 4);
    await sleep(400);
    expect(receiver.for(orderNo)).toHaveLength(4);
  });
});

describe('sandbox notify verification', () => {
  let genuine: ReceivedNotify;

  beforeAll(async () => {
    const { orderNo, payUrl } = await openAccepted(contextFor(merchantA));
    await submitDecision(payUrl, 'success');
    await waitFor(() => receiver.for(orderNo).length === 1);
    genuine = receiver.for(orderNo)[0]!;
  });

  it('refuses a tampered notify', () => {
    const tampered = new URLSearchParams(genuine.params);
    tampered.set('amount', '1');
    const reason = rejectionReason(() =>
      sandboxAdapter.parseNotify(contextFor(merchantA), {
        ...notifyOf(genuine),
        rawBody: tampered.toString(),
      }),
    );
    expect(reason).toBe('SIGNATURE_INVALID');
  });

  it('refuses a notify meant for another merchant', () => {
    const reason = rejectionReason(() =>
      sandboxAdapter.parseNotify(contextFor(merchantB), notifyOf(genuine)),
    );
    expect(reason).toBe('WRONG_ACCOUNT');
  });

  it('refuses a correctly signed notify with unusable fields', () => {
    const fields: Record<string, string> = { mchId: merchantA.mchId, outTradeNo: 'X1', amount: '12.5' };
    fields.sign = sandboxSign(fields, merchantA.key);
    const rawBody = new URLSearchParams(fields).toString();
    const reason = rejectionReason(() =>
      sandboxAdapter.parseNotify(contextFor(merchantA), { ...notifyOf(genuine), rawBody }),
    );
    expect(reason).toBe('MALFORMED');
  });

  it('refuses a notify with a repeated field', () => {
    const rawBody = `${genuine.rawBody}&amount=1`;
    const reason = rejectionReason(() =>
      sandboxAdapter.parseNotify(contextFor(merchantA), { ...notifyOf(genuine), rawBody }),
    );
    expect(reason).toBe('MALFORMED');
  });

  it('acknowledges the way the sandbox expects', () => {
    expect(sandboxAdapter.notifyAck(true)).toEqual({
      status: 200,
      contentType: 'text/plain',
      body: 'SUCCESS',
    });
    expect(sandboxAdapter.notifyAck(false)).toEqual({ status: 400, contentType: 'text/plain', body: 'FAIL' });
  });
});

describe('sandbox transport and API edges', () => {
  it('refuses a request signed with the wrong key and says so in a signed answer', async () => {
    const params: Record<string, string> = {
      mchId: merchantA.mchId,
      outTradeNo: 'X1',
      nonce: 'n1',
      timestamp: Math.floor(Date.now() / 1000).toString(),
    };
    params.sign = sandboxSign(params, 'not-the-key');
    const { json } = await postJson('/api/pay/query', params);
    expect(json.code).toBe('SIGN_ERROR');
    // Unsigned, exactly as for a merchant that does not exist: the answer tells nobody who exists.
    expect(json.sign).toBeUndefined();
    const unknown: Record<string, string> = { ...params, mchId: 'SBX-NOBODY' };
    unknown.sign = sandboxSign(unknown, 'not-the-key');
    expect((await postJson('/api/pay/query', unknown)).json).toEqual({ code: 'SIGN_ERROR', msg: json.msg });
  });

  it('refuses unknown parameters and stale timestamps', async () => {
    const signed = (params: Record<string, string>) => ({
      ...params,
      sign: sandboxSign(params, merchantA.key),
    });
    const now = Math.floor(Date.now() / 1000);
    const base = { mchId: merchantA.mchId, outTradeNo: 'X1', nonce: 'n1' };
    const unknown = await postJson('/api/pay/query', signed({ ...base, timestamp: `${now}`, extra: 'x' }));
    expect(unknown.json.code).toBe('PARAM_ERROR');
    const stale = await postJson('/api/pay/query', signed({ ...base, timestamp: `${now - 3_600}` }));
    expect(stale.json).toMatchObject({ code: 'PARAM_ERROR', msg: 'TIMESTAMP_EXPIRED' });
  });

  it('answers malformed bodies in the API shape', async () => {
    const response = await request(`${sandboxUrl}/api/pay/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(response.statusCode).toBe(400);
    expect(await response.body.json()).toMatchObject({ code: 'PARAM_ERROR' });
  });

  it('shows 404 and 400 pages', async () => {
    expect((await getPage(`${sandboxUrl}/pay/SB1`)).status).toBe(404);
    const { payUrl } = await openAccepted(contextFor(merchantA));
    const bad = await submitDecision(payUrl, 'maybe');
    expect(bad.status).toBe(400);
    expect((await getPage(payUrl)).html).toContain('value="success"');
  });

  it('reports an unreachable sandbox as unknown and fails queries loudly', async () => {
    const closed = Fastify();
    await closed.listen({ host: '127.0.0.1', port: 0 });
    const deadUrl = `http://127.0.0.1:${(closed.server.address() as AddressInfo).port}/sandbox`;
    await closed.close();
    const ctx = contextFor(merchantA, { credentials: { ...merchantA, baseUrl: deadUrl } });
    const { result } = await openPayment(ctx);
    expect(result).toMatchObject({ outcome: 'unknown', code: 'CHANNEL_UNREACHABLE' });
    await expect(sandboxAdapter.queryPayment(ctx, { orderNo: 'X1' })).rejects.toThrow(/CHANNEL_UNREACHABLE/);
    expect((await sandboxAdapter.closePayment(ctx, { orderNo: 'X1' })).outcome).toBe('error');
  });

  it('treats answers it cannot verify as unknown, with their own failure code', async () => {
    const ctx = contextFor(merchantA, {
      credentials: { ...merchantA, key: 'wrong-key', baseUrl: sandboxUrl },
    });
    const { result } = await openPayment(ctx);
    expect(result).toMatchObject({ outcome: 'unknown', code: 'CHANNEL_BAD_SIGNATURE' });
  });
});

describe('sandbox adapter schemas and registry', () => {
  it('validates credentials and config', () => {
    expect(sandboxAdapter.credentialsSchema.safeParse({ mchId: 'SBX1', key: 'k' }).success).toBe(true);
    expect(
      sandboxAdapter.credentialsSchema.safeParse({ mchId: 'SBX1', key: 'k', baseUrl: 'nope' }).success,
    ).toBe(false);
    expect(sandboxAdapter.configSchema.safeParse({}).success).toBe(true);
    expect(sandboxAdapter.configSchema.safeParse({ faults: { dropNotify: true } }).success).toBe(true);
    expect(sandboxAdapter.configSchema.safeParse({ faults: { dropNotfy: true } }).success).toBe(false);
    expect(sandboxAdapter.configSchema.safeParse({ other: 1 }).success).toBe(false);
  });

  it('is registered under its code', () => {
    expect(getAdapter('sandbox')).toBe(sandboxAdapter);
    expect(getAdapter('nope')).toBeUndefined();
    expect(listAdapters()).toContain(sandboxAdapter);
  });
});

describe('standalone sandbox server', () => {
  it('starts on its own port, serves the API under /sandbox and closes', async () => {
    const server = await startSandboxServer({ host: '127.0.0.1', port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sandbox$/);
      const response = await request(`${server.url}/api/merchants`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.registrationToken}` },
        body: JSON.stringify({ mchId: merchantA.mchId }),
      });
      // The same mchId on another sandbox: a merchant of its own, with a key of its own.
      const registered = (await response.body.json()) as { code: string; mchId: string; key: string };
      expect(registered).toMatchObject({ code: 'SUCCESS', mchId: merchantA.mchId });
      expect(registered.key).toMatch(/^[0-9a-f]{64}$/);
      expect(registered.key).not.toBe(merchantA.key);
      const merchant = { mchId: registered.mchId, key: registered.key };
      const ctx = contextFor(merchant, { credentials: { ...merchant, baseUrl: server.url } });
      const { payUrl } = await openAccepted(ctx);
      expect(payUrl.startsWith(`${server.url}/pay/SB`)).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('sandbox refunds', () => {
  const refundsOf = (orderNo: string) =>
    receiver.for(orderNo).filter((n) => n.params.get('notifyType') === 'REFUND');

  async function paid(ctx: ChannelContext) {
    const opened = await openAccepted(ctx);
    await submitDecision(opened.payUrl, 'success');
    return opened;
  }

  const refundOf = (orderNo: string, refundNo: string, amount: bigint) => ({
    refundNo,
    orderNo,
    channelOrderNo: null,
    amount,
    totalAmount: 1234n,
    currency: 'CNY',
    reason: 'test',
  });

  it('takes partial refunds up to the payment, notifies each verifiably and answers queries', async () => {
    const ctx = contextFor(merchantA);
    const { orderNo } = await paid(ctx);
    const first = await sandboxAdapter.createRefund(ctx, refundOf(orderNo, `${orderNo}-R1`, 1000n));
    expect(first).toMatchObject({ outcome: 'accepted', status: 'pending' });
    // Idempotent on the refund number.
    expect(await sandboxAdapter.createRefund(ctx, refundOf(orderNo, `${orderNo}-R1`, 1000n))).toMatchObject({
      outcome: 'accepted',
    });
    expect(await sandboxAdapter.createRefund(ctx, refundOf(orderNo, `${orderNo}-R1`, 999n))).toMatchObject({
      outcome: 'refused',
      code: 'OUT_REFUND_NO_USED',
    });
    expect(await sandboxAdapter.createRefund(ctx, refundOf(orderNo, `${orderNo}-R2`, 235n))).toMatchObject({
      outcome: 'refused',
      code: 'REFUND_EXCEEDS_PAYMENT',
    });
    await waitFor(() => refundsOf(orderNo).length === 1);
    const notify = sandboxAdapter.parseNotify(ctx, notifyOf(refundsOf(orderNo)[0]!));
    expect(notify).toMatchObject({
      kind: 'refund',
      refundNo: `${orderNo}-R1`,
      orderNo,
      status: 'succeeded',
      amount: 1000n,
      currency: 'CNY',
    });
    expect(await sandboxAdapter.queryRefund(ctx, { orderNo, refundNo: `${orderNo}-R1` })).toMatchObject({
      status: 'succeeded',
      amount: 1000n,
    });
    expect(await sandboxAdapter.queryRefund(ctx, { orderNo, refundNo: 'nope' })).toMatchObject({
      status: 'not_found',
    });
  });

  it('refuses a refund of an unpaid payment, and fails refunds when told to', async () => {
    const ctx = contextFor(merchantA);
    const { orderNo } = await openAccepted(ctx);
    expect(await sandboxAdapter.createRefund(ctx, refundOf(orderNo, `${orderNo}-R1`, 1n))).toMatchObject({
      outcome: 'refused',
      code: 'NOT_PAID',
    });

    const failing = withFaults({ refundFail: true });
    const { orderNo: paidNo } = await paid(failing);
    expect(await sandboxAdapter.createRefund(failing, refundOf(paidNo, `${paidNo}-R1`, 1234n))).toMatchObject(
      {
        outcome: 'accepted',
        status: 'pending',
      },
    );
    await waitFor(() => refundsOf(paidNo).length === 1);
    expect(sandboxAdapter.parseNotify(failing, notifyOf(refundsOf(paidNo)[0]!))).toMatchObject({
      kind: 'refund',
      status: 'failed',
    });
    expect(
      (await sandboxAdapter.queryRefund(failing, { orderNo: paidNo, refundNo: `${paidNo}-R1` })).status,
    ).toBe('failed');
  });
});

describe('sandbox statements', () => {
  const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

  it("gives the merchant's day as a signed CSV file, only its own payments, with the account's settings", async () => {
    const ctx = contextFor(merchantB, { config: { statement: { feeRatePpm: 6000 } } });
    const opened = await openAccepted(ctx);
    await submitDecision(opened.payUrl, 'success');
    const unpaid = await openAccepted(ctx);
    const other = await openAccepted(contextFor(merchantA));
    await submitDecision(other.payUrl, 'success');

    const statement = await sandboxAdapter.fetchStatement!(ctx, { date: today() });
    expect(statement.lines).toEqual([
      expect.objectContaining({
        kind: 'payment',
        orderNo: opened.orderNo,
        channelOrderNo: opened.tradeNo,
        amount: 1234n,
        fee: 7n,
        status: 'success',
      }),
    ]);
    expect(statement.raw).not.toContain(unpaid.orderNo);
    expect(statement.totals).toEqual({
      paymentCount: 1,
      paymentAmount: 1234n,
      refundCount: 0,
      refundAmount: 0n,
      fee: 7n,
    });
    const uploaded = sandboxAdapter.parseStatement!(Buffer.from(statement.raw, 'utf8'), { date: today() });
    expect({ ...uploaded, lines: [...uploaded.lines] }).toMatchObject({
      date: statement.date,
      totals: statement.totals,
      lines: statement.lines,
    });
    // The account's faults apply to its statement.
    const faulty = contextFor(merchantB, {
      config: { statement: { faults: { dropLines: [opened.orderNo] } } },
    });
    expect((await sandboxAdapter.fetchStatement!(faulty, { date: today() })).lines).toEqual([]);
    expect((await sandboxAdapter.fetchStatement!(ctx, { date: '2001-01-01' })).lines).toEqual([]);
  });

  it('refuses bad statement requests with signed answers, and a bad signature unsigned', async () => {
    const signed = (fields: Record<string, string>) => {
      const params: Record<string, string> = {
        ...fields,
        mchId: merchantB.mchId,
        nonce: `n${Date.now()}`,
        timestamp: String(Math.floor(Date.now() / 1000)),
      };
      return { ...params, sign: sandboxSign(params, merchantB.key) };
    };
    const badFaults = await postJson(
      '/api/statement/download',
      signed({ billDate: today(), faults: '{"dropLine":1}' }),
    );
    expect(badFaults.json).toMatchObject({ code: 'PARAM_ERROR' });
    expect(badFaults.json.sign).toMatch(/^[0-9A-F]{64}$/);
    const badDay = await postJson('/api/statement/download', signed({ billDate: '2026-02-30' }));
    expect(badDay.json).toMatchObject({ code: 'PARAM_ERROR' });
    const forged = await postJson('/api/statement/download', {
      ...signed({ billDate: today() }),
      billDate: '2001-01-01',
    });
    expect(forged.json).toMatchObject({ code: 'SIGN_ERROR' });
    expect(forged.json.sign).toBeUndefined();
  });
});
