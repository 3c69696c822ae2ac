import { gunzipSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QingyunApiError, QingyunClient, signRequest } from '../sdk/index.ts';
import * as ledgerQueries from '../src/ledger/queries.ts';
import { PROGRESS_SETTING } from '../src/statements/service.ts';
import { addDays, localDate, startOfLocalDay } from '../src/stats/time.ts';
import { type ConsoleClient, merchantConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';

const TZ = 'Asia/Shanghai';
const ACCOUNTS = ['pending', 'available', 'frozen', 'reserved'];

async function workbookOf(bytes: Uint8Array): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  return workbook;
}

/** The rows of a sheet as arrays of cell values (1-based cells moved to 0-based). */
function rowsOf(sheet: ExcelJS.Worksheet): unknown[][] {
  const rows: unknown[][] = [];
  sheet.eachRow((row) => {
    rows.push((row.values as unknown[]).slice(1));
  });
  return rows;
}

describe.each(testDatabases)('merchant statements on $kind', (database) => {
  let t: TestPlatform;
  let merchantId: bigint;
  let mchNo: string;
  let portal: ConsoleClient;
  let today: string;
  /** An instant of the next local day: today's statement is ready then. */
  let tomorrow: Date;
  const orderNos: string[] = [];
  let refundNo = '';
  let withdrawNo = '';
  let payoutNo = '';
  const services = () => t.platform.services;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    mchNo = t.demo.merchant.mchNo;
    merchantId = (await services().merchants.requireMerchant(mchNo)).id;
    portal = await merchantConsole(t, { merchantId, merchantRole: 'manager' });
    today = localDate(new Date(), TZ);
    tomorrow = new Date(startOfLocalDay(addDays(today, 1), TZ).getTime() + 3_600_000);

    // A day with orders, a refund, a settlement and a withdrawal.
    for (const amount of [10_000, 20_000, 5_000]) {
      const order = await paidSandboxOrder(t.client, {
        mchOrderNo: uniqueName('ST'),
        amount,
        subject: 'statement',
      });
      orderNos.push(order.orderNo);
    }
    const refund = await t.client.createRefund({
      orderNo: orderNos[0]!,
      mchRefundNo: uniqueName('STR'),
      amount: 4_000,
    });
    refundNo = refund.refundNo;
    await eventually(async () =>
      (await t.client.getRefund(refundNo)).state === 'succeeded' ? true : undefined,
    );
    await services().settlement.run();
    const withdrawal = await t.client.createWithdrawal({ mchWithdrawNo: uniqueName('STW'), amount: 3_000 });
    withdrawNo = withdrawal.withdrawNo;
    await eventually(
      async () => ((await t.client.getWithdrawal(withdrawNo)).state === 'succeeded' ? true : undefined),
      15_000,
      'the withdrawal paid',
    );
    const payout = await t.client.createPayout({
      mchPayoutNo: uniqueName('STP'),
      amount: 2_000,
      payee: { name: '张三', accountNo: '6222020200112233445', bankName: '工商银行' },
    });
    payoutNo = payout.payoutNo;
    await eventually(
      async () => ((await t.client.getPayout(payoutNo)).state === 'succeeded' ? true : undefined),
      15_000,
      'the payout paid',
    );
  }, 120_000);

  afterAll(async () => {
    if (t) services().statements.clock = () => new Date();
    await t?.stop();
  });

  it("holds the day's lines and sums, and its balances tie out to the ledger", async () => {
    const s = await services().statements.day(merchantId, today);
    expect(s.orders.map((o) => o.order_no).sort()).toEqual([...orderNos].sort());
    expect(s.summary.orderCount).toBe(3);
    expect(s.summary.orderAmount).toBe(35_000n);
    expect(s.summary.orderFee).toBe(s.orders.reduce((a, o) => a + o.fee, 0n));
    // The sandbox's orders are test orders: listed and marked, as settlement treats them.
    expect(s.summary.testOrderCount).toBe(3);
    expect(s.refunds.map((r) => r.refund_no)).toEqual([refundNo]);
    expect(s.summary.refundAmount).toBe(4_000n);
    expect(s.settlements.length).toBeGreaterThan(0);
    expect(s.withdrawals.map((w) => w.withdraw_no)).toEqual([withdrawNo]);
    expect(s.summary.withdrawalAmount).toBe(3_000n);
    expect(s.payouts.map((p) => p.payout_no)).toEqual([payoutNo]);
    expect(s.summary.payoutAmount).toBe(2_000n);

    // Opening + the day's movements = closing, per account.
    for (const a of s.accounts) {
      expect(a.opening + a.movements.reduce((x, m) => x + m.amount, 0n)).toBe(a.closing);
    }
    // Everything happened today: the closing balances are the ledger's balances now …
    const now = await ledgerQueries.merchantBalances(services().db, merchantId);
    for (const a of s.accounts) {
      const ledger = now
        .filter((r) => r.kind === `merchant_${a.account}`)
        .reduce((x, r) => x + r.balance, 0n);
      expect(a.closing, a.account).toBe(ledger);
    }
    expect(s.accounts.map((a) => a.account)).toEqual(expect.arrayContaining(ACCOUNTS));
    // … and the end-of-day balances the daily-balances job fills.
    await services().settlement.fillDailyBalances(tomorrow);
    const daily = await ledgerQueries.merchantDailyBalances(
      services().db,
      merchantId,
      addDays(today, -1),
      today,
    );
    for (const a of s.accounts) {
      const close = daily.find((d) => d.day === today && d.kind === `merchant_${a.account}`)?.balance ?? 0n;
      const open = daily.find(
        (d) => d.day === addDays(today, -1) && d.kind === `merchant_${a.account}`,
      )?.balance;
      expect(a.closing, a.account).toBe(close);
      expect(a.opening, a.account).toBe(open ?? 0n);
    }
    // The lines add up to the ledger's movements: the orders' net into pending, the refund's debit
    // out of pending and available, the withdrawal frozen out of available.
    const moved = (account: string, type: string) =>
      s.accounts.find((a) => a.account === account)?.movements.find((m) => m.type === type)?.amount ?? 0n;
    expect(moved('pending', 'payment')).toBe(s.summary.orderNet);
    expect(moved('pending', 'refund') + moved('available', 'refund')).toBe(-s.summary.refundNet);
    expect(moved('available', 'withdrawal_freeze')).toBe(-3_000n);
    expect(moved('frozen', 'withdrawal_freeze')).toBe(3_000n);
    expect(moved('available', 'payout_freeze')).toBe(-(s.summary.payoutAmount + s.summary.payoutFee));
    expect(moved('frozen', 'payout_paid')).toBe(-3_000n - (s.summary.payoutAmount + s.summary.payoutFee));
    // The statement again, now read from the filled end-of-day balances, opens the same.
    const again = await services().statements.day(merchantId, today);
    expect(again.accounts.map((a) => [a.account, a.opening, a.closing])).toEqual(
      s.accounts.map((a) => [a.account, a.opening, a.closing]),
    );
  });

  it('writes the txt file: BOM, CRLF, header, summary and `|` lines in yuan and local time', async () => {
    const file = await services().statements.file(
      merchantId,
      { kind: 'day', period: today },
      'txt',
      tomorrow,
    );
    expect(file.fileName).toBe(`statement-${mchNo}-${today}.txt`);
    expect([...file.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = file.bytes.toString('utf8').slice(1);
    expect(text).not.toMatch(/[^\r]\n/);
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('商户日对账单');
    expect(lines).toContain(`商户号：${mchNo}`);
    expect(lines).toContain(`对账日期：${today}（${TZ}）`);
    expect(lines).toContain('收款笔数|3');
    expect(lines).toContain('收款金额|350.00');
    expect(lines).toContain('退款金额|40.00');
    expect(lines).toContain('提现金额|30.00');
    const orderHeader = lines.indexOf('[订单明细]') + 1;
    expect(lines[orderHeader]).toMatch(
      /^平台订单号\|商户订单号\|支付时间\|交易类型\|产品\|支付方式\|通道\|订单金额/,
    );
    const first = lines.find((l) => l.startsWith(`${orderNos[0]}|`))!.split('|');
    expect(first[2]).toMatch(new RegExp(`^${today} \\d{2}:\\d{2}:\\d{2}$`));
    expect(first[3]).toBe('支付');
    expect(first[5]).toBe('支付宝扫码');
    expect(first[6]).toContain('测试通道');
    expect(first[7]).toBe('100.00');
    expect(first[12]).toBe('是');
    expect(lines.find((l) => l.startsWith(`${refundNo}|`))).toContain('|退款成功|');
    expect(lines.find((l) => l.startsWith(`${withdrawNo}|`))).toContain('|30.00|');
    // Each account's line: opening | change | closing tie out.
    const accountLines = lines
      .slice(lines.indexOf('[账户余额]') + 2)
      .filter((l) => /^(待结算|可用余额|冻结金额|风险预留)\|/.test(l));
    expect(accountLines).toHaveLength(4);
    for (const line of accountLines) {
      const [, , open, change, close] = line.split('|');
      expect(Math.round((Number(open) + Number(change)) * 100)).toBe(Math.round(Number(close) * 100));
    }
  });

  it('writes the XLSX: 汇总 and the detail sheets, amounts as numbers in yuan', async () => {
    const file = await services().statements.file(
      merchantId,
      { kind: 'day', period: today },
      'xlsx',
      tomorrow,
    );
    const workbook = await workbookOf(file.bytes);
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['汇总', '订单', '退款', '结算', '提现', '代付']);
    const summary = rowsOf(workbook.getWorksheet('汇总')!);
    expect(summary).toContainEqual(['商户号', mchNo]);
    expect(summary).toContainEqual(['收款金额', 350]);
    expect(summary).toContainEqual(['退款金额', 40]);
    const orders = rowsOf(workbook.getWorksheet('订单')!);
    expect(orders[0]).toContain('支付方式');
    expect(orders).toHaveLength(1 + 3 + 1);
    const body = orders.slice(1, 4);
    expect(body.map((r) => Number(r[7])).sort((a, b) => a - b)).toEqual([50, 100, 200]);
    expect(orders[4]![0]).toBe('合计');
    expect(orders[4]![7]).toBe(350);
    expect(body.every((r) => r[5] === '支付宝扫码')).toBe(true);
    const amountCell = workbook.getWorksheet('订单')!.getRow(2).getCell(8);
    expect(typeof amountCell.value).toBe('number');
    expect(amountCell.numFmt).toContain('0.00');
    const refunds = rowsOf(workbook.getWorksheet('退款')!);
    expect(refunds[1]![0]).toBe(refundNo);
    expect(refunds[1]![6]).toBe(40);
    expect(rowsOf(workbook.getWorksheet('提现')!)[1]![0]).toBe(withdrawNo);
    const payouts = rowsOf(workbook.getWorksheet('代付')!);
    expect(payouts[1]![0]).toBe(payoutNo);
    expect(payouts[1]![4]).toBe(20);
    expect(payouts[1]![9]).toBe('已付款');
    expect(rowsOf(workbook.getWorksheet('结算')!).length).toBeGreaterThan(2);
  });

  /** A signed GET of the merchant API with the demo app (or another), as raw HTTP. */
  async function signedGet(pathWithQuery: string, app = t.demo.merchant) {
    const headers = signRequest({
      method: 'GET',
      pathWithQuery,
      body: '',
      mchNo: app.mchNo,
      appId: app.appId,
      key: { type: 'HMAC-SHA256', secret: app.appSecret },
    });
    return fetch(new URL(pathWithQuery, t.platform.url), { headers });
  }

  it('serves the file on the signed API, only the asking merchant’s, and refuses a day not over', async () => {
    const openapi = (await (await fetch(`${t.platform.url}/docs/json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(openapi.paths)).toContain('/api/v1/statements');
    const notReady = await signedGet(`/api/v1/statements?date=${today}&format=txt`);
    expect(notReady.status).toBe(400);
    const refusal = (await notReady.json()) as { code: string; details: { reason: string } };
    expect(refusal.code).toBe('INVALID_REQUEST');
    expect(refusal.details.reason).toBe('statement_not_ready');
    const future = await t.client.getStatement({ date: addDays(today, 3) }).catch((e: unknown) => e);
    expect((future as QingyunApiError).code).toBe('INVALID_REQUEST');
    const month = await signedGet(`/api/v1/statements?month=${today.slice(0, 7)}&format=xlsx`);
    expect(month.status).toBe(400);
    for (const query of [
      'format=txt',
      `date=${addDays(today, -1)}&month=${today.slice(0, 7)}`,
      'date=2026-02-30',
    ]) {
      const refused = await signedGet(`/api/v1/statements?${query}`);
      expect(refused.status, query).toBe(400);
      expect(((await refused.json()) as { code: string }).code).toBe('INVALID_REQUEST');
    }
    const monthAsText = await signedGet(
      `/api/v1/statements?month=${addDays(`${today.slice(0, 7)}-01`, -1).slice(0, 7)}&format=txt`,
    );
    expect(monthAsText.status).toBe(400);

    services().statements.clock = () => tomorrow;
    try {
      const response = await signedGet(`/api/v1/statements?date=${today}&format=txt`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      expect(response.headers.get('content-disposition')).toBe(
        `attachment; filename="statement-${mchNo}-${today}.txt"`,
      );
      const text = Buffer.from(await response.arrayBuffer()).toString('utf8');
      expect(text).toContain(orderNos[1]);
      const xlsx = await t.client.getStatement({ date: today, format: 'xlsx' });
      expect(rowsOf((await workbookOf(xlsx)).getWorksheet('订单')!)).toHaveLength(5);

      // Another merchant's app gets its own statement: none of the demo merchant's lines.
      const other = await services().merchants.createMerchant({ name: uniqueName('对账单商户') });
      const { app, secret } = await services().merchants.createApp(other.mch_no, { name: 'statements' });
      const otherClient = new QingyunClient({
        baseUrl: t.platform.url,
        mchNo: other.mch_no,
        appId: app.appId,
        key: { type: 'HMAC-SHA256', secret },
      });
      const own = Buffer.from(await otherClient.getStatement({ date: today })).toString('utf8');
      expect(own).toContain(`商户号：${other.mch_no}`);
      expect(own).toContain('收款笔数|0');
      for (const orderNo of orderNos) expect(own).not.toContain(orderNo);
      // Naming the demo merchant in the headers with the other app's key is a bad signature.
      const forged = await signedGet(`/api/v1/statements?date=${today}`, {
        ...t.demo.merchant,
        appId: app.appId,
        appSecret: secret,
      });
      expect(forged.status).toBe(401);
    } finally {
      services().statements.clock = () => new Date();
    }
  });

  it('sums the days into the month’s XLSX with its opening and closing balances', async () => {
    const month = today.slice(0, 7);
    const nextMonth = startOfLocalDay(`${addDays(`${month}-28`, 7).slice(0, 7)}-01`, TZ);
    const file = await services().statements.file(
      merchantId,
      { kind: 'month', period: month },
      'xlsx',
      nextMonth,
    );
    expect(file.fileName).toBe(`statement-${mchNo}-${month}.xlsx`);
    const workbook = await workbookOf(file.bytes);
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['汇总', '每日汇总']);
    const daily = rowsOf(workbook.getWorksheet('每日汇总')!);
    const days = daily.slice(1, -1);
    const total = daily[daily.length - 1]!;
    expect(days.map((r) => r[0])).toContain(today);
    expect(days[0]![0]).toBe(`${month}-01`);
    expect(total[0]).toBe('合计');
    for (let column = 1; column <= 10; column++) {
      const sum = days.reduce((a, r) => a + Number(r[column] ?? 0), 0);
      expect(Number(total[column])).toBeCloseTo(sum, 2);
    }
    expect(total[2]).toBe(350);
    const summary = rowsOf(workbook.getWorksheet('汇总')!);
    expect(summary).toContainEqual(['对账月份', month]);
    const available = summary.find((r) => r[0] === '可用余额')!;
    const ledger = await services().ledger.balanceOf({
      kind: 'merchant_available',
      ownerId: merchantId,
      currency: 'CNY',
    });
    expect(Math.round(Number(available[4]) * 100)).toBe(Number(ledger));
    expect(Math.round((Number(available[2]) + Number(available[3])) * 100)).toBe(Number(ledger));
    // The month's figures of a day are the day's own, and each day opens where the one before closed.
    const m = await services().statements.month(merchantId, month);
    const d = await services().statements.day(merchantId, today);
    const ofToday = m.days.find((x) => x.day === today)!;
    expect(ofToday.summary).toEqual(d.summary);
    expect(ofToday.accounts).toEqual(d.accounts);
    for (let i = 1; i < m.days.length; i++) {
      const closed = new Map(m.days[i - 1]!.accounts.map((a) => [a.account, a.closing]));
      for (const a of m.days[i]!.accounts) expect(a.opening, a.account).toBe(closed.get(a.account) ?? 0n);
    }
    // A month's statement is XLSX only.
    await expect(
      services().statements.file(merchantId, { kind: 'month', period: month }, 'txt', nextMonth),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('the merchant-statements job generates the finished day once, and a re-run replaces it', async () => {
    const db = services().db;
    await db.query('DELETE FROM merchant_statement');
    await db.query('DELETE FROM platform_setting WHERE key = $1', [PROGRESS_SETTING]);
    const first = await services().statements.runDue(tomorrow);
    expect(first).toMatchObject({ day: today });
    expect(first.merchants).toBeGreaterThanOrEqual(1);
    const stored = () =>
      db.query<{
        format: string;
        sha256: string;
        generated_at: Date;
        order_count: number;
        content_gz: Uint8Array;
      }>(
        `SELECT format, sha256, generated_at, order_count, content_gz FROM merchant_statement
         WHERE merchant_id = $1 AND period_kind = 'day' AND period = $2 ORDER BY format`,
        [merchantId, today],
      );
    const rows = await stored();
    expect(rows.map((r) => [r.format, r.order_count])).toEqual([
      ['txt', 3],
      ['xlsx', 3],
    ]);
    expect(gunzipSync(Buffer.from(rows[0]!.content_gz)).toString('utf8')).toContain(orderNos[2]);
    // Done for the day: the next run does nothing.
    expect(await services().statements.runDue(tomorrow)).toEqual({ day: null, merchants: 0 });
    // Run again from scratch: the rows are replaced, not doubled.
    await db.query('DELETE FROM platform_setting WHERE key = $1', [PROGRESS_SETTING]);
    await services().statements.runDue(tomorrow);
    const again = await stored();
    expect(again).toHaveLength(2);
    expect(again[0]!.generated_at.getTime()).toBeGreaterThanOrEqual(rows[0]!.generated_at.getTime());
    // The day after a month's last day: that month's statement of every merchant active in it.
    const month = today.slice(0, 7);
    const nextMonth = new Date(
      startOfLocalDay(`${addDays(`${month}-28`, 7).slice(0, 7)}-01`, TZ).getTime() + 3_600_000,
    );
    await db.query('DELETE FROM platform_setting WHERE key = $1', [PROGRESS_SETTING]);
    expect(await services().statements.runDue(nextMonth)).toMatchObject({
      day: addDays(localDate(nextMonth, TZ), -1),
    });
    const monthRows = await db.query<{ format: string; order_count: number }>(
      `SELECT format, order_count FROM merchant_statement WHERE merchant_id = $1 AND period_kind = 'month' AND period = $2`,
      [merchantId, month],
    );
    expect(monthRows).toEqual([{ format: 'xlsx', order_count: 3 }]);
    // The download serves what is stored.
    const file = await services().statements.file(
      merchantId,
      { kind: 'day', period: today },
      'txt',
      tomorrow,
    );
    expect(file.sha256).toBe(again[0]!.sha256);
  });

  it("gives the portal's store manager the month's days and the files", async () => {
    const month = today.slice(0, 7);
    const overview = await portal.ok<{
      items: { date: string; ready: boolean; orderCount: number; orderAmount: number }[];
      totals: { orderAmount: number };
    }>('GET', `/api/merchant/statements?month=${month}`);
    const day = overview.items.find((d) => d.date === today)!;
    expect(day).toMatchObject({ ready: false, orderCount: 3, orderAmount: 35_000 });
    expect(overview.totals.orderAmount).toBe(35_000);
    const notReady = await portal.get<{ details: { reason: string } }>(
      `/api/merchant/statements/file?date=${today}&format=txt`,
    );
    expect(notReady.status).toBe(400);
    expect(notReady.body.details.reason).toBe('statement_not_ready');
    const yesterday = await portal.get<string>(
      `/api/merchant/statements/file?date=${addDays(today, -1)}&format=txt`,
    );
    expect(yesterday.status).toBe(200);
    expect(yesterday.text).toContain(`商户号：${mchNo}`);
    const cashier = await merchantConsole(t, { merchantId, merchantRole: 'cashier' });
    expect((await cashier.get(`/api/merchant/statements?month=${month}`)).status).toBe(403);
  });
  it('shows a direct-mode merchant the settled-by-channel account, tied out like the others', async () => {
    await services().statements.generateDay(merchantId, today);
    const before = await services().settlementTerms.termsOf(merchantId);
    await services().settlementTerms.setTerms(services().db, merchantId, { ...before, mode: 'direct' });
    try {
      const order = await paidSandboxOrder(t.client, {
        mchOrderNo: uniqueName('STD'),
        amount: 8_000,
        subject: 'direct',
      });
      const s = await services().statements.day(merchantId, today);
      expect(s.mode).toBe('direct');
      const line = s.orders.find((o) => o.order_no === order.orderNo)!;
      expect(line.settle_mode).toBe('direct');
      const byChannel = s.accounts.find((a) => a.account === 'settled_by_channel')!;
      expect(byChannel.movements.find((m) => m.type === 'payment')!.amount).toBeGreaterThan(0n);
      for (const a of s.accounts) {
        expect(a.opening + a.movements.reduce((x, m) => x + m.amount, 0n)).toBe(a.closing);
      }
      const ledger = await services().ledger.balanceOf({
        kind: 'merchant_settled_by_channel',
        ownerId: merchantId,
        currency: 'CNY',
      });
      expect(byChannel.closing).toBe(ledger);
      const text = (
        await services().statements.file(merchantId, { kind: 'day', period: today }, 'txt', tomorrow)
      ).bytes.toString('utf8');
      // A stored file is served as stored: regenerate to see the new order.
      expect(text).toContain('结算方式：平台结算');
      await services().statements.generateDay(merchantId, today);
      const again = (
        await services().statements.file(merchantId, { kind: 'day', period: today }, 'txt', tomorrow)
      ).bytes.toString('utf8');
      expect(again).toContain('结算方式：通道直清');
      expect(again.split('\r\n').find((l) => l.startsWith('通道结算|'))).toBeDefined();
      expect(again.split('\r\n').find((l) => l.startsWith(`${order.orderNo}|`))).toContain('|通道直清|');
    } finally {
      await services().settlementTerms.setTerms(services().db, merchantId, before);
    }
  });
});
