import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PRODUCT } from '../src/app/demo.ts';
import type { StatementFaults } from '../src/channels/sandbox/statement.ts';
import { DbSandboxStore } from '../src/channels/sandbox/store.ts';
import { putSetting } from '../src/settings/queries.ts';
import { addDays, localDate } from '../src/stats/time.ts';
import { type ConsoleClient, merchantConsole, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import {
  eventually,
  paidSandboxOrder,
  routeDemoToFirstAccount,
  startTestPlatform,
  type TestPlatform,
} from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

/** An instant on a Shanghai wall clock. */
const shanghai = (day: string, time: string) => new Date(`${day}T${time}+08:00`);
/** The channel account A's cost rate in the demo (3.8‰): the sandbox reports its fees at the same rate. */
const FEE_RATE_PPM = 3800;
const COMPLETION_PASSWORD = 'recon-complete-7';

interface BatchView {
  id: string;
  state: string;
  source: string;
  runNo: number;
  lineCount: number;
  channel: { paymentCount: number; paymentAmount: number; refundCount: number; refundAmount: number };
  platform: { paymentCount: number; paymentAmount: number; refundCount: number; refundAmount: number };
  summary: Record<string, { count: number; amount: number }> & {
    ignored: number;
    carriedOut: number;
    carriedInMatched: number;
  };
  fileTotals: { paymentCount: number; paymentAmount: number } | null;
  totalsTieOut: boolean | null;
  failure: string | null;
}
interface ItemView {
  id: string;
  class: string;
  kind: string;
  orderNo: string | null;
  refundNo: string | null;
  carriedFromDay: string | null;
  carryState: string | null;
  resolution: string;
  resolutionNote: string | null;
  ours: { amount: number | null };
  channel: { amount: number | null; status: string | null };
}

describe.each(testDatabases)('reconciliation against the sandbox statement on $kind', (database) => {
  let t: TestPlatform;
  let op: ConsoleClient;
  let accountA: bigint;
  let mchA: string;
  let store: DbSandboxStore;
  const receiver = new NotifyReceiver();

  beforeAll(async () => {
    t = await startTestPlatform(database);
    await receiver.start();
    const { services } = t.platform;
    [accountA] = t.channelAccountIds as [bigint, bigint];
    // Every order on account A, so its statement holds all of this suite's payments.
    await routeDemoToFirstAccount(t);
    mchA = String((await services.catalog.channelAccount(accountA))!.credentials.mchId);
    store = new DbSandboxStore(services.db, services.secrets);
    await services.settings.setCompletionPassword(COMPLETION_PASSWORD);
    op = await operatorConsole(t);
  }, 120_000);

  afterAll(async () => {
    await receiver.stop();
    await t?.stop();
  });

  const db = () => t.platform.services.db;

  /** Our paid_at, and the sandbox's own booking of the payment, moved to the given instants. */
  async function book(orderNos: string[], ours: Date, channel: Date = ours) {
    await db().query('UPDATE pay_order SET paid_at = $2 WHERE order_no = ANY($1::text[])', [orderNos, ours]);
    const rows = await db().query<{ trade_no: string; record: { paidAt: string | null } }>(
      'SELECT trade_no, record FROM sandbox_payment WHERE out_trade_no = ANY($1::text[])',
      [orderNos],
    );
    expect(rows).toHaveLength(orderNos.length);
    for (const row of rows) {
      row.record.paidAt = channel.toISOString();
      await db().query('UPDATE sandbox_payment SET record = $2::jsonb WHERE trade_no = $1', [
        row.trade_no,
        JSON.stringify(row.record),
      ]);
    }
  }

  /** Our refund's succeeded_at and the sandbox's refundedAt moved to an instant. */
  async function bookRefund(orderNo: string, refundNo: string, at: Date) {
    await db().query('UPDATE refund_order SET succeeded_at = $2 WHERE refund_no = $1', [refundNo, at]);
    const [row] = await db().query<{
      trade_no: string;
      record: { refunds: { outRefundNo: string; refundedAt: string }[] };
    }>('SELECT trade_no, record FROM sandbox_payment WHERE out_trade_no = $1', [orderNo]);
    const refund = row!.record.refunds.find((r) => r.outRefundNo === refundNo)!;
    refund.refundedAt = at.toISOString();
    await db().query('UPDATE sandbox_payment SET record = $2::jsonb WHERE trade_no = $1', [
      row!.trade_no,
      JSON.stringify(row!.record),
    ]);
  }

  const paid = (amount: number, notifyUrl?: string) =>
    paidSandboxOrder(t.client, { mchOrderNo: uniqueName('RC'), amount, subject: 'recon', notifyUrl });

  const run = (day: string) =>
    op.ok<BatchView>('POST', '/api/admin/reconciliation/batches', {
      channelAccountId: String(accountA),
      day,
    });

  async function items(batchId: string, query = ''): Promise<ItemView[]> {
    const page = await op.ok<{ items: ItemView[]; total: number }>(
      'GET',
      `/api/admin/reconciliation/batches/${batchId}/items?pageSize=100${query}`,
    );
    expect(page.items).toHaveLength(page.total);
    return page.items;
  }

  const classesOf = (list: ItemView[]) =>
    list.map((i) => `${i.class} ${i.kind} ${i.refundNo ?? i.orderNo}`).sort();

  const D1 = '2026-03-02';
  let o: { orderNo: string; amount: number }[] = [];
  let unpaid: { orderNo: string; amount: number };
  let refundNo = '';
  let first: BatchView;

  it('a day of payments and a refund, with each statement fault, gives exactly the expected classes', async () => {
    o = [];
    for (const amount of [1000, 2000, 3000, 4000, 5000, 6000]) {
      const order = await paid(amount);
      o.push({ orderNo: order.orderNo, amount });
    }
    const refund = await t.client.createRefund({
      orderNo: o[0]!.orderNo,
      mchRefundNo: uniqueName('RF'),
      amount: 500,
    });
    refundNo = refund.refundNo;
    await eventually(async () =>
      (await t.client.getRefund(refundNo)).state === 'succeeded' ? true : undefined,
    );
    // Placed, sent to the channel, never seen paid: the statement will say the channel took it.
    const created = await t.client.createOrder({
      productCode: DEMO_PRODUCT,
      mchOrderNo: uniqueName('RC'),
      amount: 7000,
      subject: 'recon unpaid',
      notifyUrl: receiver.url,
    });
    unpaid = { orderNo: created.orderNo, amount: 7000 };
    await book(
      o.map((x) => x.orderNo),
      shanghai(D1, '12:00:00'),
    );
    await bookRefund(o[0]!.orderNo, refundNo, shanghai(D1, '13:00:00'));
    const [o1, o2, o3, o4, o5, o6] = o as [
      (typeof o)[0],
      (typeof o)[0],
      (typeof o)[0],
      (typeof o)[0],
      (typeof o)[0],
      (typeof o)[0],
    ];
    const faults: StatementFaults = {
      dropLines: [o2.orderNo],
      extraPayments: [{ amount: 777 }, { outTradeNo: unpaid.orderNo, amount: unpaid.amount }],
      amountChanges: [{ no: o3.orderNo, delta: 1 }],
      statusChanges: [{ no: o4.orderNo, status: 'CLOSED' }],
      feeChanges: [{ no: o5.orderNo, delta: 2 }],
    };
    expect(await store.setStatementSettings(mchA, { feeRatePpm: FEE_RATE_PPM, faults })).toBe(true);

    first = await run(D1);
    expect(first).toMatchObject({
      state: 'done',
      source: 'fetched',
      runNo: 1,
      lineCount: 8,
      totalsTieOut: true,
    });
    expect(first.summary).toEqual({
      matched: { count: 2, amount: o1.amount + o6.amount },
      matchedRefunds: { count: 1, amount: 500 },
      platform_only: { count: 1, amount: o2.amount },
      channel_only: { count: 2, amount: 777 + unpaid.amount },
      amount_mismatch: { count: 1, amount: o3.amount + 1 },
      status_mismatch: { count: 1, amount: o4.amount },
      fee_mismatch: { count: 1, amount: o5.amount },
      ignored: 0,
      carriedOut: 0,
      carriedInMatched: 0,
    });
    expect(first.platform).toMatchObject({
      paymentCount: 6,
      paymentAmount: 21_000,
      refundCount: 1,
      refundAmount: 500,
    });
    expect(first.channel).toMatchObject({
      paymentCount: 6,
      paymentAmount: 1000 + 3001 + 5000 + 6000 + 777 + 7000,
      refundCount: 1,
      refundAmount: 500,
    });
    const found = await items(first.id);
    expect(classesOf(found)).toEqual(
      [
        `platform_only payment ${o2.orderNo}`,
        `channel_only payment ${unpaid.orderNo}`,
        'channel_only payment EXTRA202603021',
        `amount_mismatch payment ${o3.orderNo}`,
        `status_mismatch payment ${o4.orderNo}`,
        `fee_mismatch payment ${o5.orderNo}`,
      ].sort(),
    );
    expect(found.find((i) => i.class === 'status_mismatch')?.channel.status).toBe('closed');
    expect(found.every((i) => i.resolution === 'open')).toBe(true);
    const byClass = await items(first.id, '&class=channel_only');
    expect(byClass).toHaveLength(2);
  });

  it('a re-run of the same day replaces its findings: same counts, no duplicates, resolutions kept', async () => {
    const before = await items(first.id);
    const dropped = before.find((i) => i.class === 'platform_only')!;
    const resolved = await op.ok<ItemView>('POST', `/api/admin/reconciliation/items/${dropped.id}/resolve`, {
      note: '通道补发了对账单 the channel sent the line later',
    });
    expect(resolved.resolution).toBe('resolved');
    const again = await op.call<{ code: string }>(
      'POST',
      `/api/admin/reconciliation/items/${dropped.id}/resolve`,
      {
        note: 'twice',
      },
    );
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('RECONCILIATION_ITEM_STATE_INVALID');

    const second = await run(D1);
    expect(second).toMatchObject({ id: first.id, state: 'done', runNo: 2 });
    expect(second.summary).toEqual(first.summary);
    const after = await items(first.id);
    expect(classesOf(after)).toEqual(classesOf(before));
    expect(after.map((i) => i.id).sort()).toEqual(before.map((i) => i.id).sort());
    expect(after.find((i) => i.id === dropped.id)).toMatchObject({
      resolution: 'resolved',
      resolutionNote: '通道补发了对账单 the channel sent the line later',
    });
    const [{ n }] = (await db().query<{ n: number }>(
      'SELECT count(*)::int AS n FROM recon_batch WHERE channel_account_id = $1',
      [accountA],
    )) as [{ n: number }];
    expect(n).toBe(1);
  });

  it('statement totals tie out to the ledger: matched payments equal what channel clearing booked for them', async () => {
    const [row] = await db().query<{ lines: bigint; booked: bigint }>(
      `SELECT (SELECT COALESCE(sum(amount), 0) FROM recon_line WHERE batch_id = $1 AND class = 'matched' AND kind = 'payment') AS lines,
              (SELECT COALESCE(-sum(e.amount), 0)
               FROM recon_line l
               JOIN ledger_txn x ON x.kind = 'payment' AND x.reference = l.order_no
               JOIN ledger_entry e ON e.txn_id = x.id
               JOIN ledger_account a ON a.id = e.account_id AND a.kind = 'channel_clearing' AND a.owner_id = $2
               WHERE l.batch_id = $1 AND l.class = 'matched' AND l.kind = 'payment') AS booked`,
      [first.id, accountA],
    );
    expect(row!.lines).toBe(BigInt(first.summary.matched!.amount));
    expect(row!.booked).toBe(row!.lines);
    const [refunds] = await db().query<{ booked: bigint }>(
      `SELECT COALESCE(sum(e.amount), 0) AS booked
       FROM recon_line l
       JOIN ledger_txn x ON x.kind = 'refund' AND x.reference = l.refund_no
       JOIN ledger_entry e ON e.txn_id = x.id
       JOIN ledger_account a ON a.id = e.account_id AND a.kind = 'channel_clearing' AND a.owner_id = $2
       WHERE l.batch_id = $1 AND l.class = 'matched' AND l.kind = 'refund'`,
      [first.id, accountA],
    );
    expect(refunds!.booked).toBe(BigInt(first.summary.matchedRefunds!.amount));
  });

  it('completing a channel_only order pays it once and notifies the merchant once, even when asked twice', async () => {
    const item = (await items(first.id, '&class=channel_only')).find((i) => i.orderNo === unpaid.orderNo)!;
    const wrong = await op.call<{ code: string }>(
      'POST',
      `/api/admin/reconciliation/items/${item.id}/complete`,
      {
        completionPassword: 'not-the-password',
        remark: 'statement says paid',
      },
    );
    expect(wrong.status).toBe(403);
    expect((await t.client.getOrder(unpaid.orderNo)).state).not.toBe('paid');

    const done = await op.ok<{ item: ItemView; order: { state: string } }>(
      'POST',
      `/api/admin/reconciliation/items/${item.id}/complete`,
      { completionPassword: COMPLETION_PASSWORD, remark: 'statement says paid' },
    );
    expect(done.order.state).toBe('paid');
    expect(done.item.resolution).toBe('resolved');
    const twice = await op.call<{ code: string }>(
      'POST',
      `/api/admin/reconciliation/items/${item.id}/complete`,
      {
        completionPassword: COMPLETION_PASSWORD,
        remark: 'again',
      },
    );
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('RECONCILIATION_ITEM_STATE_INVALID');
    // Another class cannot be completed.
    const other = (await items(first.id, '&class=amount_mismatch'))[0]!;
    const refused = await op.call<{ code: string }>(
      'POST',
      `/api/admin/reconciliation/items/${other.id}/complete`,
      {
        completionPassword: COMPLETION_PASSWORD,
        remark: 'no',
      },
    );
    expect(refused.body.code).toBe('RECONCILIATION_ITEM_STATE_INVALID');

    await eventually(() => (receiver.forOrder(unpaid.orderNo).length > 0 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(receiver.forOrder(unpaid.orderNo)).toHaveLength(1);
    const [{ n }] = (await db().query<{ n: number }>(
      "SELECT count(*)::int AS n FROM ledger_txn WHERE kind = 'payment' AND reference = $1",
      [unpaid.orderNo],
    )) as [{ n: number }];
    expect(n).toBe(1);
    const audit = await db().query<{ action_key: string }>(
      "SELECT action_key FROM audit_log WHERE action_key = 'reconciliation.complete' AND status < 300",
    );
    expect(audit).toHaveLength(1);
  });

  it('an uploaded statement reconciles like a fetched one; a tampered footer is reported; bad input changes nothing', async () => {
    // The order completed above is paid now: the day's statement matches it.
    const fetched = await run(D1);
    expect(fetched.summary.channel_only).toEqual({ count: 1, amount: 777 });
    const file = await fetch(`${t.platform.url}/api/admin/reconciliation/batches/${first.id}/file`, {
      headers: { cookie: op.cookie },
    });
    expect(file.status).toBe(200);
    const text = await file.text();
    expect(text.split('\r\n')[0]).toBe(
      '渠道交易号,商户订单号,商户退款单号,类型,金额(元),手续费(元),时间,状态',
    );

    const upload = (content: string, day = D1) =>
      op.call<BatchView & { code?: string; details?: { field?: string } }>(
        'POST',
        '/api/admin/reconciliation/uploads',
        {
          channelAccountId: String(accountA),
          day,
          fileName: 'statement.csv',
          file: Buffer.from(content, 'utf8').toString('base64'),
        },
      );
    const uploaded = await upload(text);
    expect(uploaded.status).toBe(200);
    expect(uploaded.body).toMatchObject({
      source: 'uploaded',
      state: 'done',
      totalsTieOut: true,
      lineCount: fetched.lineCount,
    });
    expect(uploaded.body.summary).toEqual(fetched.summary);

    // A line listed twice, and a line whose order number the channel garbled (found by its trade number).
    const rows = text.split('\r\n');
    const paymentsOf = rows.filter((r) => r.split(',')[3] === '交易' && r.endsWith(',SUCCESS'));
    expect(paymentsOf.length).toBeGreaterThanOrEqual(2);
    const [repeated, garbled] = paymentsOf as [string, string];
    const garbledCells = garbled.split(',');
    garbledCells[1] = `LOST${garbledCells[1]}`;
    const odd = rows.map((r) => (r === garbled ? garbledCells.join(',') : r));
    odd.splice(odd.length - 2, 0, repeated);
    const oddRun = await upload(odd.join('\r\n'));
    expect(oddRun.body.state).toBe('done');
    const repeatedFen = Math.round(Number(repeated.split(',')[4]) * 100);
    expect(oddRun.body.summary.matched).toEqual(fetched.summary.matched);
    expect(oddRun.body.summary.channel_only).toEqual({
      count: fetched.summary.channel_only!.count + 1,
      amount: fetched.summary.channel_only!.amount + repeatedFen,
    });
    const second = (await items(first.id, '&class=channel_only')).filter(
      (i) => i.orderNo === repeated.split(',')[1],
    );
    expect(second).toHaveLength(1);
    expect(second[0]!.channel.amount).toBe(repeatedFen);

    const tampered = text.replace(
      /交易金额=([\d.]+)/,
      (_m, yuan: string) => `交易金额=${(Number(yuan) + 1).toFixed(2)}`,
    );
    expect(tampered).not.toBe(text);
    const checked = await upload(tampered);
    expect(checked.body).toMatchObject({ state: 'done', totalsTieOut: false });
    expect(checked.body.fileTotals!.paymentAmount).toBe(fetched.channel.paymentAmount + 100);

    const runNo = checked.body.runNo;
    const garbage = await upload('hello, world\r\n');
    expect(garbage.status).toBe(400);
    expect(garbage.body).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'file' } });
    const badDay = await op.call<{ code: string; details: { field: string } }>(
      'POST',
      '/api/admin/reconciliation/batches',
      {
        channelAccountId: String(accountA),
        day: '2026-02-30',
      },
    );
    expect(badDay.status).toBe(400);
    expect(badDay.body).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'day' } });
    const future = await op.call<{ code: string; details: { field: string } }>(
      'POST',
      '/api/admin/reconciliation/batches',
      {
        channelAccountId: String(accountA),
        day: addDays(localDate(new Date(), 'Asia/Shanghai'), 2),
      },
    );
    expect(future.body).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'day' } });
    const noAccount = await op.call<{ code: string; details: { field: string } }>(
      'POST',
      '/api/admin/reconciliation/batches',
      {
        channelAccountId: '999999',
        day: D1,
      },
    );
    expect(noAccount.body).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'channelAccountId' } });
    const now = await op.ok<BatchView>('GET', `/api/admin/reconciliation/batches/${first.id}`);
    expect(now).toMatchObject({ runNo, totalsTieOut: false });
    const [{ n }] = (await db().query<{ n: number }>('SELECT count(*)::int AS n FROM recon_batch')) as [
      { n: number },
    ];
    expect(n).toBe(1);
    await store.setStatementSettings(mchA, { feeRatePpm: FEE_RATE_PPM });
  });

  it('records paid just before midnight are carried to the next day, matched there, and flagged after the carry days', async () => {
    const D2 = '2026-03-10';
    const late = await paid(1100);
    const never = await paid(1200);
    // The sandbox books the first one after midnight by its own clock; the second not within the carry days.
    await book([late.orderNo], shanghai(D2, '23:55:00'), shanghai(addDays(D2, 1), '00:02:00'));
    await book([never.orderNo], shanghai(D2, '23:58:00'), shanghai(addDays(D2, 20), '12:00:00'));

    const day2 = await run(D2);
    expect(day2.summary).toMatchObject({
      platform_only: { count: 0, amount: 0 },
      carriedOut: 2,
      matched: { count: 0 },
    });
    expect(classesOf(await items(day2.id))).toEqual(
      [`carried payment ${late.orderNo}`, `carried payment ${never.orderNo}`].sort(),
    );

    const day3 = await run(addDays(D2, 1));
    expect(day3.summary).toMatchObject({
      matched: { count: 1, amount: 1100 },
      carriedInMatched: 1,
      platform_only: { count: 0 },
      channel_only: { count: 0 },
    });
    expect(await items(day3.id)).toEqual([]);
    const carried = await items(day2.id);
    expect(carried.find((i) => i.orderNo === late.orderNo)?.carryState).toBe('matched');
    expect(carried.find((i) => i.orderNo === never.orderNo)?.carryState).toBe('waiting');

    const day4 = await run(addDays(D2, 2));
    expect(day4.summary.platform_only).toEqual({ count: 0, amount: 0 });
    const day5 = await run(addDays(D2, 3));
    expect(day5.summary.platform_only).toEqual({ count: 1, amount: 1200 });
    const flagged = await items(day5.id);
    expect(flagged).toHaveLength(1);
    expect(flagged[0]).toMatchObject({ class: 'platform_only', orderNo: never.orderNo, carriedFromDay: D2 });
    expect((await items(day2.id)).find((i) => i.orderNo === never.orderNo)?.carryState).toBe('flagged');

    // Re-runs decide the same again, the carried day's too.
    const day2Again = await run(D2);
    expect(day2Again.summary).toEqual(day2.summary);
    expect((await items(day2.id)).map((i) => `${i.orderNo} ${i.carryState}`).sort()).toEqual(
      [`${late.orderNo} matched`, `${never.orderNo} flagged`].sort(),
    );
    const day3Again = await run(addDays(D2, 1));
    expect(day3Again.summary).toEqual(day3.summary);
    const day5Again = await run(addDays(D2, 3));
    expect(day5Again.summary).toEqual(day5.summary);
    expect((await items(day5.id)).map((i) => i.id)).toEqual(flagged.map((i) => i.id));
  });

  it("takes statement settings from the channel account's config, as the payment faults are", async () => {
    const D6 = '2026-03-20';
    const kept = await paid(1300);
    const dropped = await paid(1400);
    await book([kept.orderNo, dropped.orderNo], shanghai(D6, '10:00:00'));
    const { catalog } = t.platform.services;
    const refused = await op.call<{ code: string; details: { field: string } }>(
      'PATCH',
      `/api/admin/channel-accounts/${accountA}`,
      { config: { statement: { faults: { dropLine: dropped.orderNo } } } },
    );
    expect(refused.status).toBe(400);
    await catalog.updateChannelAccount(accountA, {
      config: { statement: { feeRatePpm: FEE_RATE_PPM, faults: { dropLines: [dropped.orderNo] } } },
    });
    try {
      const batch = await run(D6);
      expect(batch.summary).toMatchObject({
        matched: { count: 1, amount: 1300 },
        platform_only: { count: 1, amount: 1400 },
      });
      expect(classesOf(await items(batch.id))).toEqual([`platform_only payment ${dropped.orderNo}`]);
    } finally {
      await catalog.updateChannelAccount(accountA, { config: {} });
    }
    const again = await run(D6);
    expect(again.summary).toMatchObject({ matched: { count: 2, amount: 2700 }, platform_only: { count: 0 } });
    expect(await items(again.id)).toEqual([]);
  });

  it('never runs one batch twice at once: a running batch is refused until its lease runs out', async () => {
    const day = '2026-03-20';
    await db().query(
      "UPDATE recon_batch SET state = 'running', started_at = now() WHERE channel_account_id = $1 AND business_day = $2",
      [accountA, day],
    );
    const busy = await op.call<{ code: string }>('POST', '/api/admin/reconciliation/batches', {
      channelAccountId: String(accountA),
      day,
    });
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe('RECONCILIATION_RUNNING');
    // A runner that died: its claim is taken over after the lease.
    await db().query(
      "UPDATE recon_batch SET started_at = now() - interval '31 minutes' WHERE channel_account_id = $1 AND business_day = $2",
      [accountA, day],
    );
    expect(await run(day)).toMatchObject({ state: 'done', summary: { matched: { count: 2 } } });
  });

  it('lists batches by account, day and state', async () => {
    const all = await op.ok<{ items: BatchView[]; total: number }>(
      'GET',
      `/api/admin/reconciliation/batches?channelAccountId=${accountA}&from=2026-03-01&to=2026-03-31`,
    );
    expect(all.total).toBe(6);
    const one = await op.ok<{ items: (BatchView & { day: string })[] }>(
      'GET',
      `/api/admin/reconciliation/batches?day=${D1}&state=done`,
    );
    expect(one.items.map((b) => b.day)).toEqual([D1]);
    const bad = await op.call<{ code: string }>('GET', '/api/admin/reconciliation/batches?state=lost');
    expect(bad.status).toBe(400);
  });

  it('is operator-only: a merchant session cannot reach it; roles without the permission are refused', async () => {
    const runsBefore = (await t.platform.services.reconciliation.batchOf(accountA, D1))?.run_no;
    const merchant = await merchantConsole(t, {
      merchantId: (await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo)).id,
      merchantRole: 'manager',
    });
    for (const path of [
      '/api/admin/reconciliation/batches',
      `/api/admin/reconciliation/batches/${first.id}/items`,
    ]) {
      expect((await merchant.get(path)).status).toBe(403);
    }
    const post = await merchant.call('POST', '/api/admin/reconciliation/batches', {
      channelAccountId: String(accountA),
      day: D1,
    });
    expect(post.status).toBe(403);
    expect((await t.platform.services.reconciliation.batchOf(accountA, D1))?.run_no).toBe(runsBefore);
    const readOnly = await operatorConsole(t, 'read_only');
    expect((await readOnly.get('/api/admin/reconciliation/batches')).status).toBe(200);
    expect(
      (
        await readOnly.call('POST', '/api/admin/reconciliation/batches', {
          channelAccountId: String(accountA),
          day: D1,
        })
      ).status,
    ).toBe(403);
    const support = await operatorConsole(t, 'support');
    expect((await support.get('/api/admin/reconciliation/batches')).status).toBe(403);
  });

  it('a statement the channel cannot give leaves the batch failed with the reason, and changes nothing else', async () => {
    const accountB = t.channelAccountIds[1]!;
    const { catalog } = t.platform.services;
    const credentials = (await catalog.channelAccount(accountB))!.credentials;
    await catalog.updateChannelAccount(accountB, {
      credentials: { ...credentials, key: 'not-the-sandbox-key' },
    });
    try {
      const failed = await op.ok<BatchView>('POST', '/api/admin/reconciliation/batches', {
        channelAccountId: String(accountB),
        day: '2026-03-02',
      });
      expect(failed.state).toBe('failed');
      expect(failed.failure).toMatch(/CHANNEL_BAD_SIGNATURE/);
      expect(await items(failed.id)).toEqual([]);
    } finally {
      await catalog.updateChannelAccount(accountB, { credentials });
    }
  });

  it('operators read and change the settings; a bad one is refused and changes nothing', async () => {
    const defaults = await op.ok<{ carryMinutes: number; carryDays: number; runAt: Record<string, string> }>(
      'GET',
      '/api/admin/reconciliation/settings',
    );
    expect(defaults).toEqual({ carryMinutes: 10, carryDays: 3, runAt: { default: '10:00' } });
    const bad = await op.call<{ code: string; details: { field: string } }>(
      'PUT',
      '/api/admin/reconciliation/settings',
      {
        carryMinutes: 10,
        carryDays: 0,
        runAt: { default: '10:00' },
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'carryDays' } });
    const badTime = await op.call<{ code: string }>('PUT', '/api/admin/reconciliation/settings', {
      carryMinutes: 10,
      carryDays: 3,
      runAt: { default: '25:00' },
    });
    expect(badTime.status).toBe(400);
    expect(await op.ok('GET', '/api/admin/reconciliation/settings')).toEqual(defaults);
    const changed = await op.ok('PUT', '/api/admin/reconciliation/settings', {
      carryMinutes: 15,
      carryDays: 2,
      runAt: { default: '10:00', alipay: '09:30' },
    });
    expect(changed).toEqual({ carryMinutes: 15, carryDays: 2, runAt: { default: '10:00', alipay: '09:30' } });
    await op.ok('PUT', '/api/admin/reconciliation/settings', defaults);
  });

  it('the daily job reconciles yesterday for every account whose channel gives statements, once', async () => {
    await putSetting(db(), 'reconciliation.runAt', JSON.stringify({ sandbox: '00:00' }));
    const yesterday = addDays(localDate(new Date(), 'Asia/Shanghai'), -1);
    await t.platform.services.reconciliation.runDue();
    for (const id of t.channelAccountIds) {
      await eventually(async () => {
        const batch = await t.platform.services.reconciliation.batchOf(id, yesterday);
        return batch?.state === 'done' ? batch : undefined;
      });
    }
    expect(await t.platform.services.reconciliation.runDue()).toBe(0);
  });
});
