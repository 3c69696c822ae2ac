import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { QingyunClient } from '../../sdk/index.ts';
import { loadConfig } from '../../src/app/config.ts';
import { DEMO_PRODUCT, seedDemo } from '../../src/app/demo.ts';
import { createLogger } from '../../src/app/logger.ts';
import { openDatabase } from '../../src/app/platform.ts';
import { createServices } from '../../src/app/services.ts';
import { sandboxSign } from '../../src/channels/sandbox/protocol.ts';
import { DbSandboxStore } from '../../src/channels/sandbox/store.ts';
import { migrate } from '../../src/db/migrate.ts';
import { testDatabases } from '../support/databases.ts';
import { eventually, payOnSandbox } from '../support/platform.ts';
import { runQingyun, startQingyun, stopQingyun } from '../support/processes.ts';
import { NotifyReceiver } from '../support/receiver.ts';

// "The embedded sandbox forgets": a crash lost the payments testers made on the sandbox
// page (paid there, never on the platform; sync answered not_found). The in-process sandbox now
// keeps its payments and pending notifies in its own tables.

// Two platform processes start and one is killed on each database; a loaded machine needs a while.
vi.setConfig({ testTimeout: 150_000 });

/** The sandbox holds each notify this long, so the process can be killed before it goes out. */
const NOTIFY_DELAY_MS = 3_000;

/**
 * Seeds the demo the way the platform does on first start, with the sandbox accounts' notifies
 * delayed (an operator's fault setting), and returns the accounts' sandbox credentials.
 */
async function seed(env: NodeJS.ProcessEnv): Promise<{ mchId: string; key: string }[]> {
  const config = loadConfig(env);
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const services = createServices(db, config, createLogger('silent'), () => '');
    await seedDemo(services, config, new DbSandboxStore(db, services.secrets));
    const accounts = await services.catalog.listChannelAccounts();
    for (const account of accounts) {
      await services.catalog.updateChannelAccount(account.id, {
        config: { faults: { notifyDelayMs: NOTIFY_DELAY_MS } },
      });
    }
    return await Promise.all(
      accounts.map(async (account) => {
        const { credentials } = (await services.catalog.channelAccount(account.id))!;
        return { mchId: String(credentials.mchId), key: String(credentials.key) };
      }),
    );
  } finally {
    await db.close();
  }
}

/** A port free now, so both processes listen on the same address (the sandbox stored notify URLs on it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe.each(testDatabases)('a platform crash with the embedded sandbox on $kind', (database) => {
  const receiver = new NotifyReceiver();
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('keeps the payment made on the sandbox page and delivers its notify after restart, once', async () => {
    await receiver.start();
    cleanups.push(() => receiver.stop());
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qy-sandbox-crash-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // A restarted platform answers on the address it had, as a real one does: the notifies the
      // sandbox stored point there.
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      QY_DATA_DIR: dataDir,
      QY_MASTER_KEY: randomBytes(32).toString('hex'),
      QY_DEMO: '1',
      QY_SANDBOX: '1',
      LOG_LEVEL: 'warn',
      QY_WORKER_TICK_MS: '100',
      // No query of the paying order within the test: the payment must arrive by the stored notify.
      QY_ORDER_QUERY_SCHEDULE: '3600',
      QY_NOTIFY_PRIVATE_ADDRESSES: 'allow',
    };
    delete env.DATABASE_URL;
    if (database.kind === 'postgres') {
      const scratch = await database.open();
      await scratch.db.close();
      env.DATABASE_URL = scratch.url;
      env.DATABASE_LISTEN_URL = scratch.listenUrl;
      cleanups.push(() => scratch.dispose().catch(() => {}));
    }
    const sandboxMerchants = await seed(env);
    const demo = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8'));

    // 1. The tester pays on the sandbox page; the process dies before the sandbox's notify goes out.
    const first = await startQingyun(env);
    cleanups.push(() => stopQingyun(first, 'SIGKILL'));
    const client = (url: string) =>
      new QingyunClient({
        baseUrl: url,
        mchNo: demo.merchant.mchNo,
        appId: demo.merchant.appId,
        key: { type: 'HMAC-SHA256', secret: demo.merchant.appSecret },
      });
    const order = await client(first.url).createOrder({
      mchOrderNo: 'SANDBOX-CRASH-1',
      productCode: DEMO_PRODUCT,
      amount: 4_200,
      subject: 'sandbox crash',
      notifyUrl: receiver.url,
    });
    expect(await payOnSandbox(order.payData!.value)).toBe(200);
    expect((await client(first.url).getOrder(order.orderNo)).state).toBe('paying');
    await stopQingyun(first, 'SIGKILL');

    // 2. Restarted, the sandbox still has the payment (its page and its query say paid) and sends
    //    the notify it owed; the order is paid once and the merchant told once.
    const second = await startQingyun(env);
    cleanups.push(() => stopQingyun(second, 'SIGKILL'));
    const payPath = new URL(order.payData!.value).pathname;
    const page = await fetch(`${second.url}${payPath}`);
    expect(page.status).toBe(200);
    await page.text();

    // What `sync` asks: the order sits at one of the two demo accounts, which knows it paid.
    const answers = await Promise.all(
      sandboxMerchants.map(async (merchant) => {
        const query: Record<string, string> = {
          mchId: merchant.mchId,
          outTradeNo: order.orderNo,
          nonce: randomBytes(8).toString('hex'),
          timestamp: Math.floor(Date.now() / 1000).toString(),
        };
        query.sign = sandboxSign(query, merchant.key);
        const asked = await fetch(`${second.url}/sandbox/api/pay/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(query),
        });
        return (await asked.json()) as Record<string, string>;
      }),
    );
    expect(answers.map((a) => a.code).sort()).toEqual(['NOT_FOUND', 'SUCCESS']);
    expect(answers.find((a) => a.code === 'SUCCESS')).toMatchObject({ status: 'SUCCESS', amount: '4200' });

    await eventually(
      async () => ((await client(second.url).getOrder(order.orderNo)).state === 'paid' ? true : undefined),
      30_000,
      'order paid after restart',
    );
    await eventually(() => receiver.forOrder(order.orderNo)[0], 15_000, 'merchant notify');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(receiver.forOrder(order.orderNo)).toHaveLength(1);

    // 3. The ledger agrees: one paid order, one payment posting.
    const ledger = await runQingyun(['check-ledger'], env);
    expect(ledger.output).toContain('1 paid orders, 1 payment transactions');
    expect(ledger.code).toBe(0);
    await stopQingyun(second, 'SIGTERM');
  });
});
