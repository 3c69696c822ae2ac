import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingyunApiError, QingyunClient } from '../sdk/index.ts';
import { ledgerReport } from '../src/app/platform.ts';
import type { AccountKind } from '../src/ledger/types.ts';
import { DAILY_BALANCE_MARGIN_MS } from '../src/settlement/service.ts';
import type { SettlementTerms } from '../src/settlement/terms.ts';
import { addDays, startOfLocalDay } from '../src/stats/time.ts';
import { type ConsoleClient, merchantConsole, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';

const TERMS: SettlementTerms = {
  mode: 'platform',
  cycle: 'D1',
  d0Ppm: 1_000_000,
  tnDays: 1,
  reservePpm: 0,
  reserveDays: 0,
};

describe.each(testDatabases)('settlement on $kind', (database) => {
  let t: TestPlatform;
  let merchantId: bigint;
  let operator: ConsoleClient;
  let manager: ConsoleClient;
  let sequence = 0;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    merchantId = (await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo)).id;
    operator = await operatorConsole(t);
    manager = await merchantConsole(t, { merchantId, merchantRole: 'manager' });
  });
  afterAll(async () => {
    await t.stop();
  });

  const services = () => t.platform.services;
  const balance = (kind: AccountKind) =>
    services().ledger.balanceOf({ kind, ownerId: merchantId, currency: 'CNY' });
  const balances = async () => ({
    pending: await balance('merchant_pending'),
    available: await balance('merchant_available'),
    reserved: await balance('merchant_reserved'),
    testSettled: await balance('merchant_test_settled'),
    byChannel: await balance('merchant_settled_by_channel'),
  });
  const setTerms = (terms: Partial<SettlementTerms>) =>
    services().settlementTerms.setTerms(services().db, merchantId, { ...TERMS, ...terms });
  /** A paid order, its paid time moved to a local (Asia/Shanghai) date-time. */
  async function paidOn(local: string, amount = 10_000) {
    const order = await paidSandboxOrder(t.client, {
      mchOrderNo: `ST-${Date.now().toString(36)}-${++sequence}`,
      amount,
      subject: 'settlement test',
    });
    await services().db.query('UPDATE pay_order SET paid_at = $2 WHERE order_no = $1', [
      order.orderNo,
      new Date(`${local}+08:00`),
    ]);
    return order.orderNo;
  }
  const row = (orderNo: string) => services().orders.requireByOrderNo(orderNo);
  const run = (local: string) => services().settlement.run(new Date(`${local}+08:00`));
  async function expectLedgerOk() {
    const report = await ledgerReport(services());
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  }
  async function refund(orderNo: string, amount: number) {
    const created = await t.client.createRefund({
      orderNo,
      mchRefundNo: `STR-${Date.now().toString(36)}-${++sequence}`,
      amount,
    });
    return eventually(
      async () => {
        const r = await t.client.getRefund(created.refundNo);
        return r.state === 'pending' ? undefined : r;
      },
      10_000,
      'refund settled',
    );
  }
  const refundRow = async (refundNo: string) =>
    (
      await services().db.query<{ debited_pending: bigint; debited_available: bigint; direct: boolean }>(
        'SELECT debited_pending, debited_available, direct FROM refund_order WHERE refund_no = $1',
        [refundNo],
      )
    )[0]!;

  it('the demo merchant is platform mode, D0; test orders settle on the embedded database', async () => {
    expect(await services().settlementTerms.termsOf(merchantId)).toMatchObject({
      mode: 'platform',
      cycle: 'D0',
    });
    expect((await services().settlement.defaults()).settleTestOrders).toBe(true);
  });

  it('T1 skips a weekend and a holiday and counts a make-up working day; D1 is the next calendar day', async () => {
    // 2026-01-02 is a Friday; Sunday 01-04 is made a working day, Monday 01-12 a holiday (by the operator API).
    expect(
      (
        await operator.call('PUT', '/api/admin/settlement/holidays/2026-01-04', {
          kind: 'workday',
          name: '调休',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await operator.call('PUT', '/api/admin/settlement/holidays/2026-01-12', {
          kind: 'holiday',
          name: '假日',
        })
      ).status,
    ).toBe(200);
    const calendar = await operator.get<{ date: string; businessDay: boolean; kind: string | null }[]>(
      '/api/admin/settlement/calendar?from=2026-01-02&to=2026-01-05',
    );
    expect(calendar.body.map((d) => d.businessDay)).toEqual([true, false, true, true]);

    await setTerms({ cycle: 'T1' });
    const fri = await paidOn('2026-01-02T10:00:00');
    const before = await balances();
    await run('2026-01-03T09:00:00');
    expect((await row(fri)).settled_at).toBeNull();
    await run('2026-01-04T09:00:00');
    const settled = await row(fri);
    expect(settled.settled_at).not.toBeNull();
    const net = settled.amount - settled.fee;
    expect((await balances()).available - before.available).toBe(net);
    expect((await balances()).pending - before.pending).toBe(-net);

    const fri2 = await paidOn('2026-01-09T23:30:00');
    await run('2026-01-11T09:00:00');
    await run('2026-01-12T18:00:00');
    expect((await row(fri2)).settled_at).toBeNull();
    await run('2026-01-13T00:05:00');
    expect((await row(fri2)).settled_at).not.toBeNull();

    await setTerms({ cycle: 'D1' });
    const d1 = await paidOn('2026-01-16T22:00:00');
    await run('2026-01-16T23:59:00');
    expect((await row(d1)).settled_at).toBeNull();
    await run('2026-01-17T00:01:00');
    expect((await row(d1)).settled_at).not.toBeNull();

    await setTerms({ cycle: 'TN', tnDays: 2 });
    const tn = await paidOn('2026-01-22T10:00:00'); // Thursday: Friday, Monday
    await run('2026-01-25T10:00:00');
    expect((await row(tn)).settled_at).toBeNull();
    await run('2026-01-26T10:00:00');
    expect((await row(tn)).settled_at).not.toBeNull();
    await expectLedgerOk();
  });

  it('D0 settles its percentage at once and the rest the next day', async () => {
    await setTerms({ cycle: 'D0', d0Ppm: 600_000 });
    const no = await paidOn('2026-02-02T10:00:00');
    const before = await balances();
    await run('2026-02-02T12:00:00');
    const order = await row(no);
    const net = order.amount - order.fee;
    const part = (net * 600_000n) / 1_000_000n;
    expect(order.d0_settled_amount).toBe(part);
    expect(order.settled_at).toBeNull();
    expect((await balances()).available - before.available).toBe(part);
    await expectLedgerOk();
    await run('2026-02-02T18:00:00');
    expect((await balances()).available - before.available).toBe(part);
    await run('2026-02-03T08:00:00');
    expect((await row(no)).settled_at).not.toBeNull();
    expect((await balances()).available - before.available).toBe(net);
    await expectLedgerOk();
  });

  it('a refund before settlement debits pending, after settlement available; a failed one credits back', async () => {
    await setTerms({ cycle: 'D1' });
    const no = await paidOn('2026-03-02T10:00:00');
    const first = await refund(no, 3_000);
    expect(first.state).toBe('succeeded');
    expect(await refundRow(first.refundNo)).toMatchObject({ debited_pending: 2_982n, debited_available: 0n });
    await expectLedgerOk();
    const before = await balances();
    await run('2026-03-03T10:00:00');
    const order = await row(no);
    const net = order.amount - order.fee - 2_982n;
    expect((await balances()).available - before.available).toBe(net);
    await expectLedgerOk();

    const second = await refund(no, 2_000);
    expect(await refundRow(second.refundNo)).toMatchObject({
      debited_pending: 0n,
      debited_available: 1_988n,
    });
    await expectLedgerOk();

    // A failed refund of a settled order gives the money back to available.
    for (const id of t.channelAccountIds)
      await services().catalog.updateChannelAccount(id, { config: { faults: { refundFail: true } } });
    try {
      const availableBefore = await balance('merchant_available');
      const failed = await refund(no, 1_000);
      expect(failed.state).toBe('failed');
      expect(await balance('merchant_available')).toBe(availableBefore);
    } finally {
      for (const id of t.channelAccountIds)
        await services().catalog.updateChannelAccount(id, { config: { faults: {} } });
    }
    await expectLedgerOk();
  });

  it('holds the risk reserve and releases it on its day', async () => {
    await setTerms({ cycle: 'D1', reservePpm: 100_000, reserveDays: 3 });
    const no = await paidOn('2026-04-01T10:00:00');
    const before = await balances();
    await run('2026-04-02T10:00:00');
    const order = await row(no);
    const net = order.amount - order.fee;
    const reserve = net / 10n;
    const after = await balances();
    expect(after.reserved - before.reserved).toBe(reserve);
    expect(after.available - before.available).toBe(net - reserve);
    await expectLedgerOk();
    await run('2026-04-04T10:00:00');
    expect((await balances()).reserved - before.reserved).toBe(reserve);
    const summary = await run('2026-04-05T10:00:00');
    expect(BigInt(summary.reserveReleased)).toBe(reserve);
    expect((await balances()).reserved).toBe(before.reserved);
    expect((await balances()).available - before.available).toBe(net);
    await expectLedgerOk();
    const records = await manager.get<{
      items: { date: string; net: number; reserve: number; reserveReleased: number }[];
    }>('/api/merchant/settlements?from=2026-04-01&to=2026-04-30');
    expect(records.body.items.find((r) => r.date === '2026-04-02')).toMatchObject({
      net: Number(net),
      reserve: Number(reserve),
    });
    expect(records.body.items.find((r) => r.date === '2026-04-05')).toMatchObject({
      reserveReleased: Number(reserve),
    });
  });

  it('direct mode: payments and refunds post the direct legs; settlement records what the channel paid', async () => {
    await setTerms({ mode: 'direct', cycle: 'D1' });
    const before = await balances();
    const no = await paidOn('2026-05-04T10:00:00');
    const order = await row(no);
    expect(order.settle_mode).toBe('direct');
    expect((await balances()).pending).toBe(before.pending);
    expect((await balances()).byChannel - before.byChannel).toBe(order.amount - order.channel_cost);
    const r = await refund(no, 3_000);
    expect(await refundRow(r.refundNo)).toMatchObject({
      direct: true,
      debited_pending: 0n,
      debited_available: 0n,
    });
    await expectLedgerOk();
    const api = await t.client.getBalance();
    expect(api.mode).toBe('direct');
    expect(api.settledByChannel).toBe(Number((await balances()).byChannel));

    await run('2026-05-05T10:00:00');
    expect((await row(no)).settled_at).not.toBeNull();
    expect((await balances()).byChannel).toBe(before.byChannel);
    expect(await services().ledger.countTxnsOfKind('direct_settlement')).toBeGreaterThan(0n);
    const channel = await manager.get<{ items: { date: string; expected: number; settled: number }[] }>(
      '/api/merchant/channel-settlements?from=2026-05-01&to=2026-05-31',
    );
    const day = channel.body.items.find((d) => d.date === '2026-05-05')!;
    expect(day.settled).toBe(day.expected);
    expect(day.expected).toBeGreaterThan(0);
    await expectLedgerOk();
    await setTerms({ mode: 'platform', cycle: 'D1' });
  });

  it('test orders: with the setting off their net goes to test-settled, with it on to available', async () => {
    await setTerms({ cycle: 'D1' });
    const put = await operator.call('PUT', '/api/admin/settlement/defaults', {
      terms: TERMS,
      settleTestOrders: false,
    });
    expect(put.status).toBe(200);
    const off = await paidOn('2026-06-01T10:00:00');
    expect((await row(off)).test).toBe(true);
    const before = await balances();
    await run('2026-06-02T10:00:00');
    const o = await row(off);
    expect((await balances()).testSettled - before.testSettled).toBe(o.amount - o.fee);
    expect((await balances()).available).toBe(before.available);
    await expectLedgerOk();

    await operator.call('PUT', '/api/admin/settlement/defaults', { terms: TERMS, settleTestOrders: true });
    const on = await paidOn('2026-06-03T10:00:00');
    await run('2026-06-04T10:00:00');
    const p = await row(on);
    expect((await balances()).available - before.available).toBe(p.amount - p.fee);
    await expectLedgerOk();
  });

  it('a settled order refunded beyond available borrows from pending; the next settlement absorbs the debt', async () => {
    const other = await services().merchants.createMerchant({ name: '结算对手 Other Co' });
    await services().catalog.setMerchantRate(other.id, 'sandbox_qr', 6000);
    const otherApp = await services().merchants.createApp(other.mch_no, { name: 'other app' });
    const client = new QingyunClient({
      baseUrl: t.platform.url,
      mchNo: other.mch_no,
      appId: otherApp.app.appId,
      key: { type: 'HMAC-SHA256', secret: otherApp.secret },
    });
    await services().settlementTerms.setTerms(services().db, other.id, TERMS);
    const of = (kind: AccountKind) =>
      services().ledger.balanceOf({ kind, ownerId: other.id, currency: 'CNY' });
    const pay = async (local: string) => {
      const order = await paidSandboxOrder(client, {
        mchOrderNo: `SO-${++sequence}`,
        amount: 10_000,
        subject: 'debt test',
      });
      await services().db.query('UPDATE pay_order SET paid_at = $2 WHERE order_no = $1', [
        order.orderNo,
        new Date(`${local}+08:00`),
      ]);
      return order.orderNo;
    };
    const a = await pay('2026-07-01T10:00:00');
    await run('2026-07-02T10:00:00');
    await pay('2026-07-02T10:00:00');
    expect(await of('merchant_available')).toBe(9_940n);
    expect(await of('merchant_pending')).toBe(9_940n);
    await services().catalog.updateProduct('sandbox_qr', { feeRefundMode: 'kept' });
    try {
      const r = await client.createRefund({ orderNo: a, mchRefundNo: `SOR-${++sequence}`, amount: 9_990 });
      expect(await refundRow(r.refundNo)).toMatchObject({ debited_available: 9_940n, debited_pending: 50n });
      expect(await of('merchant_available')).toBe(0n);
      expect(await of('merchant_pending')).toBe(9_890n);
      await expectLedgerOk();
      // A failed refund that borrowed from pending gives it back there and owes nothing more.
      for (const id of t.channelAccountIds)
        await services().catalog.updateChannelAccount(id, { config: { faults: { refundFail: true } } });
      try {
        const failed = await client.createRefund({
          orderNo: a,
          mchRefundNo: `SOR-${++sequence}`,
          amount: 10,
        });
        const done = await eventually(
          async () => {
            const now = await client.getRefund(failed.refundNo);
            return now.state === 'pending' ? undefined : now;
          },
          10_000,
          'refund failed',
        );
        expect(done.state).toBe('failed');
        expect(await refundRow(failed.refundNo)).toMatchObject({
          debited_available: 0n,
          debited_pending: 10n,
        });
      } finally {
        for (const id of t.channelAccountIds)
          await services().catalog.updateChannelAccount(id, { config: { faults: {} } });
      }
    } finally {
      await services().catalog.updateProduct('sandbox_qr', { feeRefundMode: 'proportional' });
    }
    expect(await of('merchant_available')).toBe(0n);
    expect(await of('merchant_pending')).toBe(9_890n);
    await expectLedgerOk();
    await run('2026-07-03T10:00:00');
    expect(await of('merchant_pending')).toBe(0n);
    expect(await of('merchant_available')).toBe(9_890n);
    await expectLedgerOk();
  });

  it('the balance API is signed and answers the balances', async () => {
    const b = await t.client.getBalance();
    const now = await balances();
    expect(b).toEqual({
      currency: 'CNY',
      mode: 'platform',
      pending: Number(now.pending),
      available: Number(now.available),
      frozen: 0,
      reserved: Number(now.reserved),
    });
    const stranger = new QingyunClient({
      baseUrl: t.platform.url,
      mchNo: t.demo.merchant.mchNo,
      appId: t.demo.merchant.appId,
      key: { type: 'HMAC-SHA256', secret: 'x'.repeat(32) },
    });
    await expect(stranger.getBalance()).rejects.toBeInstanceOf(QingyunApiError);
    const cashier = await merchantConsole(t, { merchantId, merchantRole: 'cashier' });
    expect((await cashier.get('/api/merchant/balance')).status).toBe(403);
    const portal = await manager.get<{ available: number; terms: { cycle: string } }>(
      '/api/merchant/balance',
    );
    expect(portal.body.available).toBe(Number(now.available));
  });

  it('lists account entries with balanceAfter and exports them as CSV and XLSX', async () => {
    const list = await manager.get<{
      items: { account: string; type: string; amount: number; balanceAfter: number }[];
      total: number;
    }>('/api/merchant/account-entries?account=available&limit=100');
    expect(list.status).toBe(200);
    expect(list.body.items[0]!.balanceAfter).toBe(Number(await balance('merchant_available')));
    expect(list.body.items.every((e) => e.account === 'available')).toBe(true);
    const total = list.body.total;

    const csv = await manager.get<string>(
      '/api/merchant/account-entries/export?format=csv&account=available',
    );
    expect(csv.status).toBe(200);
    expect(csv.headers.get('x-export-rows')).toBe(String(total));
    const lines = csv.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/);
    expect(lines[0]).toBe('记账时间,业务类型,账户,关联单号,变动金额,变动后余额,流水号');
    expect(lines.length - 1).toBe(total);
    expect(lines.slice(1).every((line) => line.split(',')[2] === '可用余额')).toBe(true);
    // Oldest first: the last line's balance after it is the balance now, in yuan with two decimals.
    const yuanNow = (Number(await balance('merchant_available')) / 100).toFixed(2);
    expect(lines.at(-1)!.split(',')[5]).toBe(yuanNow);

    const response = await fetch(
      `${t.platform.url}/api/merchant/account-entries/export?format=xlsx&account=available`,
      { headers: { cookie: manager.cookie } },
    );
    expect(response.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await response.arrayBuffer());
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getRow(1).getCell(6).value).toBe('变动后余额');
    expect(sheet.rowCount - 1).toBe(total);
    expect(Number(sheet.getRow(sheet.rowCount).getCell(6).value).toFixed(2)).toBe(yuanNow);
  });

  it('pages the account entries by cursor, older then newer, with the total counted', async () => {
    type EntryPage = {
      items: { id: string }[];
      total: number;
      totalCapped: boolean;
      nextCursor: string | null;
      previousCursor: string | null;
    };
    const all = (await manager.get<EntryPage>('/api/merchant/account-entries?limit=100')).body;
    expect(all.total).toBe(all.items.length);
    expect(all.totalCapped).toBe(false);
    expect(all.total).toBeGreaterThanOrEqual(3);
    const ids = all.items.map((e) => e.id);

    const first = (await manager.get<EntryPage>('/api/merchant/account-entries?limit=2')).body;
    expect(first.items.map((e) => e.id)).toEqual(ids.slice(0, 2));
    expect(first).toMatchObject({ total: all.total, previousCursor: null });
    const second = (
      await manager.get<EntryPage>(`/api/merchant/account-entries?limit=2&after=${first.nextCursor}`)
    ).body;
    expect(second.items.map((e) => e.id)).toEqual(ids.slice(2, 4));
    const back = (
      await manager.get<EntryPage>(`/api/merchant/account-entries?limit=2&before=${second.previousCursor}`)
    ).body;
    expect(back.items.map((e) => e.id)).toEqual(ids.slice(0, 2));
    expect(back.previousCursor).toBeNull();

    const both = await manager.get<{ code: string }>(
      `/api/merchant/account-entries?after=${ids[1]}&before=${ids[0]}`,
    );
    expect(both.status).toBe(400);
    expect(both.body.code).toBe('INVALID_REQUEST');
    const notAnId = await manager.get<{ code: string }>('/api/merchant/account-entries?after=abc');
    expect(notAnId.status).toBe(400);
  });

  it('operators run the job, list records and balances; end-of-day balances are filled', async () => {
    const ran = await operator.call<{ day: string }>('POST', '/api/admin/settlement/run');
    expect(ran.status).toBe(200);
    const records = await operator.get<{ items: { mchNo: string }[]; total: number }>(
      `/api/admin/settlements?mchNo=${t.demo.merchant.mchNo}&from=2026-01-01&to=2026-12-31`,
    );
    expect(records.body.total).toBeGreaterThan(0);
    const list = await operator.get<{ items: { mchNo: string; available: number }[] }>(
      `/api/admin/balances?q=${t.demo.merchant.mchNo}`,
    );
    expect(list.body.items[0]).toMatchObject({
      mchNo: t.demo.merchant.mchNo,
      available: Number(await balance('merchant_available')),
    });
    const terms = await operator.call(
      'PUT',
      `/api/admin/merchants/${t.demo.merchant.mchNo}/settlement-terms`,
      {
        ...TERMS,
        cycle: 'T1',
      },
    );
    expect(terms.status).toBe(200);
    expect((await services().settlementTerms.termsOf(merchantId)).cycle).toBe('T1');

    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    // Just after today ends, a posting that began before midnight may still commit into it: today
    // waits for the margin, then is filled.
    const todayEnds = startOfLocalDay(addDays(today, 1), 'Asia/Shanghai');
    await services().settlement.fillDailyBalances(
      new Date(todayEnds.getTime() + DAILY_BALANCE_MARGIN_MS / 2),
    );
    const early = await manager.get<{ items: unknown[] }>(
      `/api/merchant/daily-balances?from=${today}&to=${today}`,
    );
    expect(early.body.items).toEqual([]);
    const filled = await services().settlement.fillDailyBalances(
      new Date(todayEnds.getTime() + DAILY_BALANCE_MARGIN_MS),
    );
    expect(filled.days).toBeGreaterThan(0);
    const daily = await manager.get<{ items: { date: string; available: number; pending: number }[] }>(
      `/api/merchant/daily-balances?from=${today}&to=${today}`,
    );
    expect(daily.body.items[0]).toMatchObject({
      date: today,
      available: Number(await balance('merchant_available')),
      pending: Number(await balance('merchant_pending')),
    });
    await expectLedgerOk();
  });
});
