import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDate, startOfLocalDay } from '../src/stats/time.ts';
import { WORDS } from '../src/words.ts';
import glossary from '../web/src/locales/glossary.ts';
import reconciliationWords from '../web/src/operator/reconciliationLocales.ts';
import { ConsoleClient, merchantConsole, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import {
  eventually,
  paidSandboxOrder,
  routeDemoToFirstAccount,
  startTestPlatform,
  type TestPlatform,
} from './support/platform.ts';

/**
 * The consoles' exports (CSV and XLSX) over real HTTP: the words and figures in the files, the list's
 * filters, a merchant's own rows only, the row limit (an operator's setting, audited) refused before
 * a byte is sent, and a 20 000-row export streamed without its rows piling up in memory.
 */

interface Refusal {
  code: string;
  details: { reason?: string; limit?: number };
}

/** A CSV file's lines as cells (the exports quote nothing these tests put in a cell; fetch drops the BOM). */
function csvRows(text: string): string[][] {
  return text
    .replace(/^\uFEFF/, '')
    .trim()
    .split(/\r\n|\n/)
    .map((line) => line.split(','));
}

describe.each(testDatabases)('exports on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;
  let manager: ConsoleClient;
  let demoId: bigint;
  let otherMchNo: string;
  const paidOrders: string[] = [];

  beforeAll(async () => {
    t = await startTestPlatform(database);
    await routeDemoToFirstAccount(t);
    admin = await operatorConsole(t);
    demoId = (await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo)).id;
    manager = await merchantConsole(t, { merchantId: demoId, merchantRole: 'manager' });
    for (const amount of [1234, 500]) {
      const order = await paidSandboxOrder(t.client, {
        mchOrderNo: uniqueName('EX'),
        amount,
        subject: 'export',
      });
      paidOrders.push(order.orderNo);
    }
    await t.client.createOrder({
      mchOrderNo: uniqueName('EX'),
      productCode: 'sandbox_qr',
      amount: 300,
      subject: 'export unpaid',
    });
    // Another merchant with orders of its own, copied from the demo's (the rows are what matters).
    const other = await t.platform.services.merchants.createMerchant({ name: '乙商户 Export B' });
    otherMchNo = other.mch_no;
    await copyOrders(paidOrders[0]!, other.id, 3, 'PB');
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
  });

  const db = () => t.platform.services.db;

  /** `count` copies of an order for a merchant, with numbers `prefix` + n: one INSERT … SELECT. */
  async function copyOrders(orderNo: string, merchantId: bigint, count: number, prefix: string) {
    const columns = (
      await db().query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns
         WHERE table_name = 'pay_order' AND column_name <> 'id' ORDER BY ordinal_position`,
      )
    ).map((c) => c.column_name);
    const value = (c: string) =>
      ({
        order_no: `$2 || lpad(g::text, 8, '0')`,
        mch_order_no: `$2 || 'M' || g`,
        merchant_id: '$3::bigint',
        channel_order_no: 'NULL',
      })[c] ?? c;
    await db().query(
      `INSERT INTO pay_order (${columns.join(', ')})
       SELECT ${columns.map(value).join(', ')} FROM pay_order, generate_series(1, $4::int) g WHERE order_no = $1`,
      [orderNo, prefix, merchantId, count],
    );
  }

  const download = async (client: ConsoleClient, path: string) => {
    const response = await fetch(`${t.platform.url}${path}`, { headers: { cookie: client.cookie } });
    return { response, bytes: await response.arrayBuffer() };
  };

  it('uses the consoles’ words for every code it writes', () => {
    expect(WORDS.payWay).toEqual(glossary.zh.payWays);
    expect(WORDS.orderState).toEqual(glossary.zh.orderState);
    expect(WORDS.refundState).toEqual(glossary.zh.refundState);
    expect(WORDS.orderSource).toEqual(glossary.zh.orderSource);
    expect(WORDS.withdrawalState).toEqual(glossary.zh.withdrawalState);
    expect(WORDS.payoutState).toEqual(glossary.zh.payoutState);
    expect(WORDS.balance).toEqual(glossary.zh.balance);
    expect(WORDS.entryType).toEqual(glossary.zh.entryType);
    const { matched: _m, matchedRefunds: _r, ...classes } = reconciliationWords.zh.classes;
    expect(WORDS.reconClass).toEqual(classes);
    expect(WORDS.reconResolution).toEqual(reconciliationWords.zh.resolutions);
  });

  it('exports the operators’ orders as CSV in words, yuan and local time, under the list’s filters', async () => {
    const [orderNo] = paidOrders;
    const answer = await admin.get<string>(`/api/admin/orders/export?format=csv&q=${orderNo}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('text/csv');
    expect(answer.headers.get('content-disposition')).toMatch(
      /attachment; filename="orders-\d{8}-\d{6}\.csv"/,
    );
    expect(answer.headers.get('x-export-rows')).toBe('1');
    // A byte-order mark first, so Excel reads the file as UTF-8.
    const { bytes } = await download(admin, `/api/admin/orders/export?q=${orderNo}`);
    expect([...new Uint8Array(bytes.slice(0, 3))]).toEqual([0xef, 0xbb, 0xbf]);
    const [header, row] = csvRows(answer.text);
    const cell = (name: string) => row![header!.indexOf(name)];
    expect(header).toContain('平台利润');
    expect(cell('平台订单号')).toBe(orderNo);
    expect(cell('商户号')).toBe(t.demo.merchant.mchNo);
    expect(cell('订单金额')).toBe('12.34');
    expect(cell('订单状态')).toBe('支付成功');
    const order = await t.platform.services.orders.requireByOrderNo(orderNo!);
    const local = new Date(order.paid_at!.getTime() + 8 * 3600_000).toISOString().slice(0, 19);
    expect(cell('支付时间')).toBe(local.replace('T', ' '));

    // The state filter: every row paid, as many as the list counts.
    const list = await admin.ok<{ total: number }>('GET', '/api/admin/orders?state=paid&limit=1');
    const paid = await admin.get<string>('/api/admin/orders/export?state=paid');
    const rows = csvRows(paid.text);
    expect(rows.length - 1).toBe(list.total);
    expect(paid.headers.get('x-export-rows')).toBe(String(list.total));
    const state = rows[0]!.indexOf('订单状态');
    expect(rows.slice(1).every((r) => r[state] === '支付成功')).toBe(true);
    // An unknown merchant number matches nothing, as the list does.
    expect((await admin.get('/api/admin/orders/export?mchNo=M-NONE')).headers.get('x-export-rows')).toBe('0');
  });

  it('exports as XLSX that reads back with the same rows, amounts as numbers with two decimals', async () => {
    const { response, bytes } = await download(
      admin,
      `/api/admin/orders/export?format=xlsx&mchNo=${otherMchNo}`,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('x-export-rows')).toBe('3');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(bytes);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.name).toBe('订单');
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    expect(header.slice(0, 5)).toEqual(['平台订单号', '商户订单号', '通道订单号', '商户号', '商户名称']);
    expect(sheet.rowCount).toBe(4);
    const amount = sheet.getRow(2).getCell(header.indexOf('订单金额') + 1);
    expect(amount.value).toBe(12.34);
    expect(amount.numFmt).toBe('0.00');
    expect(sheet.getRow(2).getCell(1).value).toBe('PB00000001');
    expect(sheet.getRow(2).getCell(5).value).toBe('乙商户 Export B');
  });

  it('gives a merchant only its own rows, without the platform’s columns', async () => {
    const answer = await manager.get<string>('/api/merchant/orders/export?format=csv');
    expect(answer.status).toBe(200);
    const rows = csvRows(answer.text);
    expect(rows[0]).not.toContain('平台利润');
    expect(rows[0]).not.toContain('通道账户');
    const numbers = rows.slice(1).map((r) => r[0]);
    expect(numbers).toEqual(expect.arrayContaining(paidOrders));
    expect(numbers.some((n) => n!.startsWith('PB'))).toBe(false);
    const own = await db().query<{ n: bigint }>(
      'SELECT count(*)::bigint AS n FROM pay_order WHERE merchant_id = $1',
      [demoId],
    );
    expect(numbers.length).toBe(Number(own[0]!.n));
    // A cashier's export holds only the orders it placed (none here), like its list.
    const cashier = await merchantConsole(t, { merchantId: demoId, merchantRole: 'cashier' });
    const cashierFile = await cashier.get<string>('/api/merchant/orders/export');
    expect([cashierFile.status, cashierFile.headers.get('x-export-rows'), csvRows(cashierFile.text)]).toEqual(
      [200, '0', [rows[0]]],
    );
    // A merchant's number in the query changes nothing: the scope is the session's.
    const sneaky = await manager.get<string>(`/api/merchant/orders/export?mchNo=${otherMchNo}&q=PB00000001`);
    expect(csvRows(sneaky.text)).toHaveLength(1);
  });

  it('exports refunds of both consoles, account entries, withdrawals and payouts with the lists’ counts', async () => {
    const refund = await t.client.createRefund({
      orderNo: paidOrders[1]!,
      mchRefundNo: uniqueName('ER'),
      amount: 200,
      reason: '退货',
    });
    for (const [client, path] of [
      [admin, `/api/admin/refunds/export?q=${refund.refundNo}`],
      [manager, `/api/merchant/refunds/export?q=${refund.refundNo}`],
    ] as const) {
      const rows = csvRows((await client.get<string>(path)).text);
      expect(rows).toHaveLength(2);
      const cell = (name: string) => rows[1]![rows[0]!.indexOf(name)];
      expect(cell('退款单号')).toBe(refund.refundNo);
      expect(cell('退款金额')).toBe('2.00');
      expect(['退款中', '退款成功']).toContain(cell('退款状态'));
    }
    const lists: [ConsoleClient, string, string][] = [
      [admin, '/api/admin/withdrawals?pageSize=1', '/api/admin/withdrawals/export'],
      [admin, '/api/admin/payouts?pageSize=1', '/api/admin/payouts/export?format=xlsx'],
      [manager, '/api/merchant/withdrawals?pageSize=1', '/api/merchant/withdrawals/export'],
      [manager, '/api/merchant/payouts?pageSize=1', '/api/merchant/payouts/export'],
      [manager, '/api/merchant/account-entries?pageSize=1', '/api/merchant/account-entries/export'],
      [manager, '/api/merchant/refunds?limit=1', '/api/merchant/refunds/export?format=xlsx'],
    ];
    for (const [client, list, exported] of lists) {
      const { total } = await client.ok<{ total: number }>('GET', list);
      const { response } = await download(client, exported);
      expect([exported, response.status, response.headers.get('x-export-rows')]).toEqual([
        exported,
        200,
        String(total),
      ]);
    }
    // An agent's withdrawals, from the agent area.
    const agentUser = uniqueName('ex_agent');
    await admin.ok('POST', '/api/admin/agents', {
      name: 'Export agent',
      manager: { username: agentUser, password: 'first-Pass-2024x' },
    });
    const agent = new ConsoleClient(t.platform.url);
    expect(
      await agent.login('agent', agentUser, 'first-Pass-2024x', { newPassword: 'second-Pass-2024y' }),
    ).toBe('active');
    const agentFile = await agent.get<string>('/api/agent/withdrawals/export');
    expect([agentFile.status, agentFile.headers.get('x-export-rows')]).toEqual([200, '0']);
    expect(csvRows(agentFile.text)[0]).toContain('提现单号');
    // A cashier reads no refunds, so exports none either.
    const cashier = await merchantConsole(t, { merchantId: demoId, merchantRole: 'cashier' });
    expect((await cashier.get('/api/merchant/refunds/export')).status).toBe(403);
  });

  it('exports a reconciliation batch’s differences, every class or the one asked for', async () => {
    const tz = t.platform.services.orders.timeZone;
    const today = localDate(new Date(), tz);
    const noonOf = (days: number) => {
      const start = startOfLocalDay(today, tz);
      return new Date(start.getTime() + (12 - 24 * days) * 3600_000);
    };
    const [ours, theirs] = paidOrders as [string, string];
    // Ours yesterday, the channel's two days ago: platform_only yesterday. The other the other way round.
    await book(ours, noonOf(1), noonOf(2));
    await book(theirs, noonOf(2), noonOf(1));
    const day = localDate(noonOf(1), tz);
    const batch = await admin.ok<{ id: string }>('POST', '/api/admin/reconciliation/batches', {
      channelAccountId: String(t.channelAccountIds[0]),
      day,
    });
    const all = await admin.get<string>(`/api/admin/reconciliation/batches/${batch.id}/items/export`);
    expect(all.status).toBe(200);
    const rows = csvRows(all.text);
    const classOf = rows[0]!.indexOf('分类');
    const numberOf = rows[0]!.indexOf('平台单号');
    expect(rows.length - 1).toBe(
      (await admin.ok<{ total: number }>('GET', `/api/admin/reconciliation/batches/${batch.id}/items`)).total,
    );
    expect(rows.slice(1).map((r) => `${r[classOf]} ${r[numberOf]}`)).toContain(`平台有通道无 ${ours}`);
    const one = await admin.get<string>(
      `/api/admin/reconciliation/batches/${batch.id}/items/export?class=platform_only&format=csv`,
    );
    expect(
      csvRows(one.text)
        .slice(1)
        .every((r) => r[classOf] === '平台有通道无'),
    ).toBe(true);
    expect((await manager.get(`/api/admin/reconciliation/batches/${batch.id}/items/export`)).status).toBe(
      403,
    );
    expect((await admin.get('/api/admin/reconciliation/batches/999999/items/export')).status).toBe(404);
  });

  /** Our paid_at and the sandbox's booking of the payment moved to the given instants. */
  async function book(orderNo: string, ours: Date, channel: Date) {
    await db().query('UPDATE pay_order SET paid_at = $2 WHERE order_no = $1', [orderNo, ours]);
    const [row] = await db().query<{ trade_no: string; record: { paidAt: string | null } }>(
      'SELECT trade_no, record FROM sandbox_payment WHERE out_trade_no = $1',
      [orderNo],
    );
    row!.record.paidAt = channel.toISOString();
    await db().query('UPDATE sandbox_payment SET record = $2::jsonb WHERE trade_no = $1', [
      row!.trade_no,
      JSON.stringify(row!.record),
    ]);
  }

  it('streams a 10 000-row export page by page, its heap growth bounded', async () => {
    const merchant = await t.platform.services.merchants.createMerchant({ name: 'Export volume' });
    await copyOrders(paidOrders[0]!, merchant.id, 10_000, 'PV');
    const response = await fetch(`${t.platform.url}/api/admin/orders/export?mchNo=${merchant.mch_no}`, {
      headers: { cookie: admin.cookie },
    });
    expect(response.headers.get('x-export-rows')).toBe('10000');
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let lines = 0;
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      lines += (decoder.decode(value, { stream: true }).match(/\n/g) ?? []).length;
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    expect(lines).toBe(10_001);
    // The whole file as rows would be well over this; one page of 2 000 rows stays far below.
    expect(peak - before).toBeLessThan(48 * 1024 * 1024);
  }, 120_000);

  it('refuses an export beyond the operators’ limit with its sentence’s parameters, sending nothing', async () => {
    expect((await admin.get<{ maxRows: number }>('/api/admin/settings/exports')).body).toEqual({
      maxRows: 100_000,
    });
    for (const maxRows of [999, 1_000_001, 1.5]) {
      expect((await admin.send('PUT', '/api/admin/settings/exports', { maxRows })).status).toBe(400);
    }
    expect(await admin.ok('PUT', '/api/admin/settings/exports', { maxRows: 1_000 })).toEqual({
      maxRows: 1_000,
    });
    const audit = await eventually(async () => {
      const rows = await db().query<{ action_key: string; before: unknown; after: unknown }>(
        `SELECT action_key, before, after FROM audit_log WHERE target_type = 'setting' AND target_id = 'exports'`,
      );
      return rows[0];
    });
    expect(audit).toMatchObject({
      action_key: 'setting.exports',
      before: { maxRows: 100_000 },
      after: { maxRows: 1_000 },
    });

    const merchant = await t.platform.services.merchants.findMerchantByNo(otherMchNo);
    await copyOrders(paidOrders[0]!, merchant!.id, 1_000, 'PL');
    for (const format of ['csv', 'xlsx']) {
      const refused = await admin.get<Refusal>(
        `/api/admin/orders/export?format=${format}&mchNo=${otherMchNo}`,
      );
      expect(refused.status).toBe(400);
      expect(refused.headers.get('content-type')).toContain('application/json');
      expect(refused.headers.get('x-export-rows')).toBeNull();
      expect(refused.body).toMatchObject({
        code: 'INVALID_REQUEST',
        details: { reason: 'export_too_large', limit: 1_000 },
      });
    }
    // A smaller selection of the same merchant still goes through.
    const narrowed = await admin.get(`/api/admin/orders/export?mchNo=${otherMchNo}&q=PB00000001`);
    expect(narrowed.status).toBe(200);
    // A merchant user cannot change it, nor can an operator without the settings permission.
    expect((await manager.send('PUT', '/api/admin/settings/exports', { maxRows: 5_000 })).status).toBe(403);
    const readOnly = await operatorConsole(t, 'read_only');
    expect((await readOnly.send('PUT', '/api/admin/settings/exports', { maxRows: 5_000 })).status).toBe(403);
    await admin.ok('PUT', '/api/admin/settings/exports', { maxRows: 100_000 });
  });
});
