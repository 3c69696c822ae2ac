import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { type Order, QingyunClient, signRequest } from '../../sdk/index.ts';
import { type Config, DEFAULT_HTTP_TIMEOUTS } from '../../src/app/config.ts';
import { DEMO_PRODUCT } from '../../src/app/demo.ts';
import { createLogger } from '../../src/app/logger.ts';
import { type Platform, type StartOptions, startPlatform } from '../../src/app/platform.ts';
import { signedNotifyForm } from '../../src/channels/sandbox/protocol.ts';
import type { TestDatabase } from './databases.ts';

export interface TestPlatform {
  platform: Platform;
  client: QingyunClient;
  demo: NonNullable<Platform['demo']>;
  /** Ids of the two sandbox channel accounts the demo binds to sandbox_qr. */
  channelAccountIds: bigint[];
  stop(): Promise<void>;
}

/** A config for tests: any free port, a fresh master key, fast schedules, demo data on. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'qy-test-')),
    masterKey: randomBytes(32),
    role: 'all',
    demo: true,
    sandbox: true,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    logFormat: 'json',
    trustProxy: false,
    httpTimeouts: DEFAULT_HTTP_TIMEOUTS,
    timeZone: 'Asia/Shanghai',
    notifyScheduleSeconds: [0, 1, 1, 1, 1],
    orderQueryScheduleSeconds: [60],
    channelTimeoutMs: 2_000,
    notifyTimeoutMs: 10_000,
    notifyPrivateAddresses: true,
    workerTickMs: 100,
    // Settlement moves pending balances the suites assert on: the suites that need it run it by hand.
    settlementEveryMs: 3_600_000,
    smtpFrom: 'Qingyun Pay <no-reply@localhost>',
    // Suites log in many times from 127.0.0.1; the per-address limit has its own tests.
    authGuessesPerIp: 100_000,
    ...overrides,
  };
}

/** The whole platform over real HTTP on one test database, seeded with the demo merchant and channels. */
export async function startTestPlatform(
  database: TestDatabase,
  overrides: Partial<Config> = {},
  options: Pick<StartOptions, 'notifier'> = {},
): Promise<TestPlatform> {
  const { db, dispose } = await database.open();
  const config = testConfig(overrides);
  const platform = await startPlatform(config, {
    db,
    log: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    sandboxRetryDelaysMs: [200, 400, 800],
    ...options,
  });
  const demo = platform.demo!;
  const client = new QingyunClient({
    baseUrl: platform.url,
    mchNo: demo.merchant.mchNo,
    appId: demo.merchant.appId,
    key: { type: 'HMAC-SHA256', secret: demo.merchant.appSecret },
  });
  const accounts = await platform.services.catalog.listChannelAccounts();
  return {
    platform,
    client,
    demo,
    channelAccountIds: accounts.map((a) => a.id),
    async stop() {
      await platform.stop();
      await dispose();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The sandbox is the only channel adapter there is, and its accounts are test accounts: their
 * orders are test orders, counted in statistics only with `includeTest=1`. Tests that must tell
 * real orders from test ones on that one channel (the test page's flag, figures leaving the marked
 * ones out) let the demo's sandbox accounts stand in for a real channel's accounts; a test that
 * only needs the figures to count its orders asks with `includeTest=1` instead.
 */
export async function countSandboxAccountsAsReal(t: TestPlatform): Promise<void> {
  await t.platform.services.db.query(
    'UPDATE channel_account SET test_account = FALSE WHERE id = ANY($1::bigint[])',
    [t.channelAccountIds.map(String)],
  );
  t.platform.services.catalog.clearCaches();
}

/**
 * Binds the demo product to a sandbox account with no amount, daily or time limits (or disables
 * that binding): the routing tests' way of choosing which account is tried first.
 */
export async function bindDemoProduct(
  t: TestPlatform,
  channelAccountId: bigint,
  route: { weight: number; priority: number; enabled?: boolean },
): Promise<void> {
  await t.platform.services.catalog.upsertBinding(
    DEMO_PRODUCT,
    channelAccountId,
    {
      weight: route.weight,
      priority: route.priority,
      minAmount: null,
      maxAmount: null,
      dailyLimit: null,
      windowStart: null,
      windowEnd: null,
      enabled: route.enabled ?? true,
    },
    { allowTestAccount: true },
  );
}

/**
 * Routes every demo order to the first sandbox account (the second's binding disabled), for suites
 * that read one account's statement and need all their payments on it.
 */
export async function routeDemoToFirstAccount(t: TestPlatform): Promise<void> {
  await bindDemoProduct(t, t.channelAccountIds[1]!, { weight: 1, priority: 0, enabled: false });
  t.platform.services.catalog.clearCaches();
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Presses a button on the sandbox's pay page, as a tester's browser would. */
export async function payOnSandbox(payUrl: string, result: 'success' | 'fail' = 'success'): Promise<number> {
  const response = await fetch(payUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `result=${result}`,
  });
  await response.text();
  return response.status;
}

/**
 * An order on the demo's sandbox product, paid on the sandbox's pay page (so the sandbox knows it
 * paid and can refund it); resolves with the order once the platform has it paid.
 */
export async function paidSandboxOrder(
  client: QingyunClient,
  order: { mchOrderNo: string; amount: number; subject: string; notifyUrl?: string },
): Promise<Order> {
  const created = await client.createOrder({ productCode: 'sandbox_qr', ...order });
  expect(await payOnSandbox(created.payData!.value)).toBe(200);
  return untilPaid(client, created.orderNo);
}

/** Resolves with the order once the platform has it paid (a channel's notify or query landed). */
export function untilPaid(client: QingyunClient, orderNo: string): Promise<Order> {
  return eventually(
    async () => {
      const now = await client.getOrder(orderNo);
      return now.state === 'paid' ? now : undefined;
    },
    10_000,
    `order ${orderNo} paid`,
  );
}

/**
 * The SUCCESS notify the sandbox channel would send for an order, signed with its account's key:
 * where to post it and the form body. Tests post it themselves to race, repeat or reorder it.
 */
export async function sandboxPaidNotify(t: TestPlatform, orderNo: string, nonce: string) {
  const row = await t.platform.services.orders.requireByOrderNo(orderNo);
  const account = (await t.platform.services.catalog.channelAccount(row.channel_account_id!))!;
  const fields = {
    mchId: String(account.credentials.mchId),
    outTradeNo: orderNo,
    tradeNo: row.channel_order_no!,
    amount: row.amount,
    currency: row.currency,
    status: 'SUCCESS' as const,
    paidAt: new Date(),
  };
  return {
    url: `${t.platform.url}/api/channel-notify/${row.channel_account_id}`,
    body: signedNotifyForm(fields, String(account.credentials.key), nonce),
  };
}

/** Posts a channel notify as the channel would; returns "status body". */
export async function postChannelNotify(notify: { url: string; body: string }): Promise<string> {
  const response = await fetch(notify.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: notify.body,
  });
  return `${response.status} ${await response.text()}`;
}

/**
 * One call of the signed merchant API as raw HTTP, signed with an app's HMAC secret (the demo app's
 * by default): for routes and answers the SDK client does not model.
 */
export async function signedCall<T>(
  t: TestPlatform,
  method: 'GET' | 'POST' | 'DELETE',
  pathWithQuery: string,
  payload?: unknown,
  as: { mchNo: string; appId: string; secret: string } = {
    mchNo: t.demo.merchant.mchNo,
    appId: t.demo.merchant.appId,
    secret: t.demo.merchant.appSecret,
  },
): Promise<{ status: number; body: T }> {
  const body = payload === undefined ? '' : JSON.stringify(payload);
  const headers = signRequest({
    method,
    pathWithQuery,
    body,
    mchNo: as.mchNo,
    appId: as.appId,
    key: { type: 'HMAC-SHA256', secret: as.secret },
  });
  if (body) headers['content-type'] = 'application/json';
  const response = await fetch(`${t.platform.url}${pathWithQuery}`, {
    method,
    headers,
    body: body || undefined,
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}
