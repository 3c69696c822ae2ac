import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app/logger.ts';
import { Notifier } from '../../src/channels/sandbox/notifier.ts';
import { MemorySandboxStore } from '../../src/channels/sandbox/store.ts';
import type { Db, Queryable } from '../../src/db/index.ts';
import { type TestDatabase, testDatabases } from '../support/databases.ts';
import { eventually, startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { NotifyReceiver } from '../support/receiver.ts';

/** The error node-postgres gives while the server is not there. */
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/** The delivery loop's claim (notify/queries.ts claimDueTasks). */
const isClaim = (text: string) =>
  text.startsWith('UPDATE notify_task SET next_attempt_at = now() + make_interval');

/** The write of attempts (notify/queries.ts recordAttempts). */
const isRecord = (text: string) => text.includes('INSERT INTO notify_attempt');

/**
 * A database that goes away for `outageMs` right after the next notify claim (or, armed for that,
 * as the write of the next attempts commits): the claimed notify
 * is on this node, leased for 60 s, while nothing can be read or written.
 */
function awayAfterNextClaim(database: TestDatabase, outageMs: number) {
  const state = { armed: false, away: false, loseNextRecordAnswer: false };
  const goAway = () => {
    state.away = true;
    setTimeout(() => {
      state.away = false;
    }, outageMs);
  };
  const wrap = (q: Queryable): Queryable => ({
    async query<Row>(text: string, params?: Parameters<Queryable['query']>[1]) {
      if (state.away) throw refused();
      const rows = await q.query<Row>(text, params);
      if (state.armed && isClaim(text) && rows.length > 0) {
        state.armed = false;
        goAway();
      }
      if (state.loseNextRecordAnswer && isRecord(text)) {
        // Committed, but the answer is lost in the cut.
        state.loseNextRecordAnswer = false;
        goAway();
        throw refused();
      }
      return rows;
    },
    exec: (script) => (state.away ? Promise.reject(refused()) : q.exec(script)),
  });
  const faulty: TestDatabase = {
    kind: database.kind,
    async open() {
      const opened = await database.open();
      const db = opened.db;
      const wrapped: Db = {
        ...wrap(db),
        kind: db.kind,
        tx: (work) => (state.away ? Promise.reject(refused()) : db.tx((q) => work(wrap(q)))),
        ping: (timeoutMs) => (state.away ? Promise.reject(refused()) : db.ping(timeoutMs)),
        close: () => db.close(),
      };
      return { ...opened, db: wrapped };
    },
  };
  return { faulty, state };
}

/**
 * A notify claimed just before the database went away is either sent without its attempt being
 * recorded, or not sent at all (its signing key could not be read). Either way the node knows, and
 * once the database is back the notify goes on as its schedule says: it must not sit out the
 * 60 s claim lease, a minute's silence the merchant would see after a few seconds' outage.
 */
describe.each(testDatabases)('merchant notifies across a short database outage, on $kind', (database) => {
  let t: TestPlatform;
  let receiver: NotifyReceiver;
  let merchantId: bigint;
  const outage = awayAfterNextClaim(database, 1_000);

  beforeAll(async () => {
    receiver = await new NotifyReceiver().start();
    t = await startTestPlatform(outage.faulty, { notifyScheduleSeconds: [0, 1, 1] });
    merchantId = (await t.platform.services.merchants.appKeys(t.demo.merchant.appId))!.merchantId;
  });
  afterAll(async () => {
    await t?.stop();
    await receiver?.stop();
  });

  /** Commits a notify of the demo app for `orderNo` and wakes the worker; returns its task id. */
  async function notifyNow(orderNo: string): Promise<bigint> {
    const { services } = t.platform;
    await services.notify.enqueue(services.db, {
      merchantId,
      appId: t.demo.merchant.appId,
      orderId: null,
      eventType: 'order.paid',
      idempotencyKey: `outage-${orderNo}`,
      url: receiver.url,
      body: { orderNo },
    });
    services.notify.wake();
    const [row] = await services.db.query<{ id: bigint }>(
      'SELECT id FROM notify_task WHERE idempotency_key = $1',
      [`outage-${orderNo}`],
    );
    return row!.id;
  }

  const historyOf = async (taskId: bigint) =>
    t.platform.services.db.query<{ attempt: number; http_status: number | null }>(
      'SELECT attempt, http_status FROM notify_attempt WHERE task_id = $1 ORDER BY id',
      [taskId],
    );

  it('a notify not sent because its key could not be read goes out once the database is back, and that was no attempt', async () => {
    // The app's keys are cached for 2 s after a read: past that, signing needs the database.
    await sleep(2_100);
    outage.state.armed = true;
    const taskId = await notifyNow('NOT-SENT-1');
    // Well inside the 60 s lease the notify would otherwise have waited out.
    await eventually(
      () => (receiver.forOrder('NOT-SENT-1').length > 0 ? true : undefined),
      10_000,
      'the notify',
    );
    await eventually(async () => ((await historyOf(taskId)).length > 0 ? true : undefined));
    // One attempt, the one that reached the merchant: the outage spent none of its schedule.
    expect(await historyOf(taskId)).toEqual([{ attempt: 1, http_status: 200 }]);
    expect(receiver.forOrder('NOT-SENT-1')).toHaveLength(1);
  });

  it('an attempt the merchant refused while the database was away is recorded once it is back, and the retry keeps the schedule', async () => {
    const before = receiver.received.length;
    receiver.answer = (n) =>
      n === before ? { status: 500, body: 'busy' } : { status: 200, body: 'success' };
    // Keys just read, so this notify is signed and sent while the database is away.
    await t.platform.services.merchants.appKeys(t.demo.merchant.appId);
    outage.state.armed = true;
    const taskId = await notifyNow('REFUSED-1');
    // Schedule [0, 1, 1]: the retry is due 1 s after the refusal is recorded, not after the 60 s lease.
    await eventually(
      () => (receiver.forOrder('REFUSED-1').length >= 2 ? true : undefined),
      10_000,
      'the retry',
    );
    await eventually(async () => ((await historyOf(taskId)).length >= 2 ? true : undefined));
    expect(await historyOf(taskId)).toEqual([
      { attempt: 1, http_status: 500 },
      { attempt: 2, http_status: 200 },
    ]);
  });

  it('an attempt whose write committed but whose answer was lost is not recorded twice', async () => {
    const before = receiver.received.length;
    receiver.answer = (n) =>
      n === before ? { status: 500, body: 'busy' } : { status: 200, body: 'success' };
    await t.platform.services.merchants.appKeys(t.demo.merchant.appId);
    outage.state.loseNextRecordAnswer = true;
    const taskId = await notifyNow('LOST-ANSWER-1');
    await eventually(
      () => (receiver.forOrder('LOST-ANSWER-1').length >= 2 ? true : undefined),
      10_000,
      'the retry',
    );
    await eventually(async () => ((await historyOf(taskId)).length >= 2 ? true : undefined));
    expect(await historyOf(taskId)).toEqual([
      { attempt: 1, http_status: 500 },
      { attempt: 2, http_status: 200 },
    ]);
  });
});

/**
 * The sandbox's notifier keeps its pending notifies in the platform's database. A retry whose
 * bookkeeping could not be written (the database away) must still go out from memory: before, it
 * was scheduled only after the write, so it waited for the next start of the process.
 */
describe("the sandbox's notify retries across a database outage", () => {
  it('a retry is sent although the database could not store it', async () => {
    const receiver = await new NotifyReceiver().start();
    receiver.answer = (n) => (n === 0 ? { status: 500, body: 'busy' } : { status: 200, body: 'SUCCESS' });
    const store = new MemorySandboxStore();
    store.notifyRetry = () => Promise.reject(refused());
    const notifier = new Notifier({
      retryDelaysMs: [100, 100],
      store,
      allowPrivateAddresses: true,
      log: createLogger('silent'),
    });
    try {
      notifier.dispatch([
        { id: 'n-1', tradeNo: 'SB1', notifyUrl: receiver.url, form: 'a=1', attempt: 0, dueAt: new Date() },
      ]);
      await eventually(() => (receiver.received.length >= 2 ? true : undefined), 5_000, 'the retry');
      expect(receiver.received.map((r) => r.answeredWith)).toEqual(['busy', 'SUCCESS']);
    } finally {
      await notifier.stop();
      await receiver.stop();
    }
  });
});
