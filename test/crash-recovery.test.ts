import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { QingyunClient } from '../sdk/index.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, payOnSandbox } from './support/platform.ts';
import { runQingyun, startQingyun, stopQingyun } from './support/processes.ts';
import { NotifyReceiver } from './support/receiver.ts';

// Two platform processes start, crash and restart on each database; a loaded CI machine needs close to a minute.
vi.setConfig({ testTimeout: 120_000 });

describe.each(testDatabases)('a process killed between payment and notify delivery, on $kind', (database) => {
  const receiver = new NotifyReceiver();
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('delivers the notify after restart and posts nothing twice', async () => {
    await receiver.start();
    cleanups.push(() => receiver.stop());
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qy-crash-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      QY_DATA_DIR: dataDir,
      QY_MASTER_KEY: randomBytes(32).toString('hex'),
      QY_DEMO: '1',
      // The demo pays through the in-process sandbox, off by default with DATABASE_URL.
      QY_SANDBOX: '1',
      LOG_LEVEL: 'warn',
      QY_WORKER_TICK_MS: '100',
      // The test's merchant listens on 127.0.0.1.
      QY_NOTIFY_PRIVATE_ADDRESSES: 'allow',
    };
    delete env.DATABASE_URL;
    delete env.DATABASE_LISTEN_URL;
    if (database.kind === 'postgres') {
      const scratch = await database.open();
      await scratch.db.close();
      env.DATABASE_URL = scratch.url;
      env.DATABASE_LISTEN_URL = scratch.listenUrl;
      cleanups.push(() => scratch.dispose().catch(() => {}));
    }

    // 1. An API-only node takes the order and the payment; no worker runs to deliver the notify.
    const api = await startQingyun({ ...env, QY_ROLE: 'api' }, 60_000);
    cleanups.push(() => stopQingyun(api, 'SIGKILL'));
    const demo = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8'));
    expect(fs.statSync(path.join(dataDir, 'demo-credentials.json')).mode & 0o777).toBe(0o600);
    const client = new QingyunClient({
      baseUrl: api.url,
      mchNo: demo.merchant.mchNo,
      appId: demo.merchant.appId,
      key: { type: 'HMAC-SHA256', secret: demo.merchant.appSecret },
    });
    const order = await client.createOrder({
      mchOrderNo: 'CRASH-1',
      productCode: 'sandbox_qr',
      amount: 3_000,
      subject: 'crash',
      notifyUrl: receiver.url,
    });
    await payOnSandbox(order.payData!.value);
    await eventually(
      async () => ((await client.getOrder(order.orderNo)).state === 'paid' ? true : undefined),
      15_000,
      'paid',
    );

    // 2. The process dies hard, with the notify still in the outbox.
    await stopQingyun(api, 'SIGKILL');
    expect(receiver.forOrder(order.orderNo)).toHaveLength(0);

    // 3. A restarted node (worker included) delivers it exactly once; the stale lock is taken over.
    const restarted = await startQingyun({ ...env, QY_ROLE: 'all' }, 60_000);
    cleanups.push(() => stopQingyun(restarted, 'SIGKILL'));
    await eventually(() => receiver.forOrder(order.orderNo)[0], 15_000, 'notify after restart');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(receiver.forOrder(order.orderNo)).toHaveLength(1);
    expect(restarted.output()).not.toContain('Demo data created');

    // A second process on the same embedded database is refused with a clear message.
    if (database.kind === 'pglite') {
      const second = await runQingyun(['start'], { ...env, PORT: '0' });
      expect(second.code).toBe(1);
      expect(second.output).toMatch(/is in use by process \d+/);
    }

    // 4. check-ledger passes while the platform runs (it asks the running process) and after it stops.
    const live = await runQingyun(['check-ledger'], env);
    expect(live.output).toContain('1 paid orders, 1 payment transactions');
    expect(live.code).toBe(0);
    await stopQingyun(restarted, 'SIGTERM');
    expect(restarted.process.exitCode).toBe(0);
    const stopped = await runQingyun(['check-ledger'], env);
    expect(stopped.output).toMatch(/^OK/m);
    expect(stopped.code).toBe(0);
  });
});
