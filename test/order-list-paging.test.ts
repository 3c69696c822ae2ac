import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleClient, merchantConsole, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * The consoles' order lists page by cursor (keyset on created_at, id) rather than by offset, and
 * count their matches only up to a bound: walking forwards and back gives every matching order once,
 * in order, also across orders placed in the same microsecond, under the filters and the scoping.
 */

interface OrderPage {
  items: { orderNo: string; state: string }[];
  total: number;
  totalCapped: boolean;
  nextCursor: string | null;
  previousCursor: string | null;
}

// A day of its own, so the demo's and other suites' orders never fall inside the window.
const DAY = { from: '2020-02-03T00:00:00Z', to: '2020-02-04T00:00:00Z' };

describe.each(testDatabases)('order list paging on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;
  let manager: ConsoleClient;
  let mchNo: string;
  /** The day's orders as the list must give them: created_at descending, then id descending. */
  let expected: string[];
  let closed: string[];

  const walk = async (client: ConsoleClient, path: string, query: Record<string, string>) => {
    const pages: OrderPage[] = [];
    let cursor: string | null = null;
    do {
      const params = new URLSearchParams({ ...query, limit: '2', ...(cursor ? { after: cursor } : {}) });
      const page: OrderPage = await client.ok<OrderPage>('GET', `${path}?${params}`);
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor !== null && pages.length < 20);
    return pages;
  };

  beforeAll(async () => {
    t = await startTestPlatform(database);
    admin = await operatorConsole(t);
    mchNo = t.demo.merchant.mchNo;
    const merchantId = (await t.platform.services.merchants.requireMerchant(mchNo)).id;
    manager = await merchantConsole(t, { merchantId, merchantRole: 'manager' });
    const numbers: string[] = [];
    for (let i = 0; i < 9; i++) {
      const order = await t.client.createOrder({
        productCode: 'sandbox_qr',
        mchOrderNo: `PAGING-${Date.now()}-${i}`,
        amount: 100 + i,
        subject: 'paging',
      });
      numbers.push(order.orderNo);
    }
    // Three instants, several orders on each: ties on created_at decided by id.
    const db = t.platform.services.db;
    await db.query(
      `UPDATE pay_order SET created_at = CASE WHEN ord < 3 THEN '2020-02-03T08:00:00.123456Z'::timestamptz
                                              WHEN ord < 7 THEN '2020-02-03T09:00:00.654321Z'::timestamptz
                                              ELSE '2020-02-03T10:00:00Z'::timestamptz END
         FROM unnest($1::text[]) WITH ORDINALITY AS n(order_no, ord)
        WHERE pay_order.order_no = n.order_no`,
      [numbers],
    );
    const rows = await db.query<{ order_no: string }>(
      'SELECT order_no FROM pay_order WHERE order_no = ANY($1::text[]) ORDER BY created_at DESC, id DESC',
      [numbers],
    );
    expected = rows.map((r) => r.order_no);
    closed = [numbers[1]!, numbers[5]!];
    for (const orderNo of closed) await admin.ok('POST', `/api/admin/orders/${orderNo}/close`);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('walks forwards page by page, every order once, ties on created_at in id order', async () => {
    for (const [client, path] of [
      [admin, '/api/admin/orders'],
      [manager, '/api/merchant/orders'],
    ] as const) {
      const pages = await walk(client, path, DAY);
      expect(pages.flatMap((p) => p.items.map((o) => o.orderNo))).toEqual(expected);
      expect(pages.map((p) => p.items.length)).toEqual([2, 2, 2, 2, 1]);
      expect(pages[0]!.previousCursor).toBeNull();
      expect(pages.at(-1)!.nextCursor).toBeNull();
      for (const page of pages) expect(page).toMatchObject({ total: 9, totalCapped: false });
    }
  });

  it('walks back from the last page to the first with the previous cursors', async () => {
    const forwards = await walk(admin, '/api/admin/orders', DAY);
    const backwards: OrderPage[] = [forwards.at(-1)!];
    while (backwards.at(-1)!.previousCursor !== null && backwards.length < 20) {
      const params = new URLSearchParams({ ...DAY, limit: '2', before: backwards.at(-1)!.previousCursor! });
      backwards.push(await admin.ok<OrderPage>('GET', `/api/admin/orders?${params}`));
    }
    expect(backwards.map((p) => p.items.map((o) => o.orderNo))).toEqual(
      forwards.map((p) => p.items.map((o) => o.orderNo)).reverse(),
    );
    // Back at the first page there is nothing newer, and the next page is the second again.
    expect(backwards.at(-1)!.previousCursor).toBeNull();
    expect(backwards.at(-1)!.nextCursor).toBe(forwards[0]!.nextCursor);
  });

  it('pages within the filters', async () => {
    const closedPages = await walk(admin, '/api/admin/orders', { ...DAY, state: 'closed', mchNo });
    expect(closedPages.flatMap((p) => p.items.map((o) => o.orderNo))).toEqual(
      expected.filter((n) => closed.includes(n)),
    );
    expect(closedPages[0]).toMatchObject({ total: 2, totalCapped: false, nextCursor: null });
    const portalClosed = await walk(manager, '/api/merchant/orders', { ...DAY, state: 'closed' });
    expect(portalClosed.flatMap((p) => p.items.map((o) => o.orderNo))).toEqual(
      expected.filter((n) => closed.includes(n)),
    );
    // Another window, an unknown merchant: nothing, and no cursors.
    const other = await admin.ok<OrderPage>(
      'GET',
      `/api/admin/orders?from=2019-01-01T00:00:00Z&to=2019-01-02T00:00:00Z&mchNo=${mchNo}`,
    );
    expect(other).toMatchObject({
      items: [],
      total: 0,
      totalCapped: false,
      nextCursor: null,
      previousCursor: null,
    });
    const unknown = await admin.ok<OrderPage>('GET', '/api/admin/orders?mchNo=M-NOBODY');
    expect(unknown).toMatchObject({ items: [], total: 0, totalCapped: false });
  });

  it('counts the matches only up to the bound and says when there are more', async () => {
    const orders = t.platform.services.orders;
    const day = { from: new Date(DAY.from), to: new Date(DAY.to) };
    expect(await orders.countListed(day, 3)).toEqual({ count: 3, capped: true });
    expect(await orders.countListed(day, 8)).toEqual({ count: 8, capped: true });
    expect(await orders.countListed(day, 9)).toEqual({ count: 9, capped: false });
    expect(await orders.countListed({ ...day, state: 'closed' }, 3)).toEqual({ count: 2, capped: false });
  });

  it('refuses after and before together', async () => {
    const first = await admin.ok<OrderPage>(
      'GET',
      `/api/admin/orders?${new URLSearchParams({ ...DAY, limit: '2' })}`,
    );
    const cursor = first.nextCursor!;
    const answer = await admin.get(`/api/admin/orders?after=${cursor}&before=${cursor}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'before' } });
  });
});
