import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchBrowser, STEP_TIMEOUT, WALKTHROUGH_TIMEOUT } from './support/browser.ts';
import { type ConsoleClient, merchantConsole, operatorConsole } from './support/console.ts';
import { presentationOnly } from './support/databases.ts';
import { eventually, paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * The consoles' one table pattern in a real browser at 1280×720: on every order, refund, withdrawal and payout list of
 * both consoles the amount, the state and the created time of a row are on screen (inside the
 * viewport, not under a fixed column) without scrolling sideways; a column choice survives a reload;
 * a row opens with the keyboard; the last digits of an order number find it, and too few say so.
 */

const VIEWPORT = { width: 1280, height: 720 };

interface CellCheck {
  cell: string;
  found: boolean;
  inViewport: boolean;
  onTop: boolean;
}

interface ListCheck {
  cells: CellCheck[];
  /** The table's own horizontal overflow, and the page's. */
  tableOverflow: number;
  pageOverflow: number;
}

describe.each(presentationOnly)('console tables in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let admin: ConsoleClient;
  let manager: ConsoleClient;
  let orderNo: string;
  let refundNo: string;
  let withdrawNo: string;
  let payoutNo: string;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    admin = await operatorConsole(t);
    const merchantId = (await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo)).id;
    manager = await merchantConsole(t, { merchantId, merchantRole: 'manager' });
    const paid = await paidSandboxOrder(t.client, {
      mchOrderNo: `TABLES-${Date.now()}`,
      amount: 8888,
      subject: 'tables',
    });
    orderNo = paid.orderNo;
    refundNo = (
      await admin.ok<{ refundNo: string }>('POST', `/api/admin/orders/${orderNo}/refunds`, {
        amount: 1000,
        reason: '顾客退货',
      })
    ).refundNo;
    // A refund that settles changes the order's state: wait for it, so the lists are stable.
    await eventually(async () => {
      const order = await t.platform.services.orders.requireByOrderNo(orderNo);
      return order.state === 'partially_refunded' ? order : undefined;
    });
    // A withdrawal (below the demo's review threshold: paid at once) of the settled money, and its payout.
    await admin.ok('POST', '/api/admin/settlement/run');
    withdrawNo = (await t.client.createWithdrawal({ mchWithdrawNo: `TABLES-W-${Date.now()}`, amount: 1000 }))
      .withdrawNo;
    payoutNo = await eventually(async () => {
      const page = await manager.ok<{ items: { payoutNo: string; withdrawNo: string | null }[] }>(
        'GET',
        '/api/merchant/payouts',
      );
      return page.items.find((p) => p.withdrawNo === withdrawNo)?.payoutNo;
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const url = (path: string) => `${t.platform.url}${path}`;

  /** A browser profile at 1280×720 signed in with the console client's session. */
  async function pageAs(client: ConsoleClient): Promise<Page> {
    const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, locale: 'zh-CN' });
    const [name, value] = client.cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: t.platform.url }]);
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    return page;
  }

  /** Where the row's key cells are: inside the viewport and the topmost element at their centre. */
  function checkRow(page: Page, rowKey: string): Promise<ListCheck> {
    return page.evaluate((key) => {
      const row = document.querySelector(`tr[data-row-key="${key}"]`);
      const cells = ['amount', 'state', 'time'].map((cell) => {
        const element = row?.querySelector(`[data-cell="${cell}"]`);
        if (!element) return { cell, found: false, inViewport: false, onTop: false };
        const box = element.getBoundingClientRect();
        const inViewport =
          box.width > 0 &&
          box.left >= 0 &&
          box.top >= 0 &&
          box.right <= innerWidth &&
          box.bottom <= innerHeight;
        const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        return { cell, found: true, inViewport, onTop: !!top && (element === top || element.contains(top)) };
      });
      const scroller = row?.closest('.ant-table-content, .ant-table-body') as HTMLElement | null;
      return {
        cells,
        tableOverflow: scroller ? scroller.scrollWidth - scroller.clientWidth : -1,
        pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      };
    }, rowKey);
  }

  async function expectKeyCellsVisible(page: Page, path: string, rowKey: string) {
    await page.goto(url(path));
    await page.locator(`tr[data-row-key="${rowKey}"]`).waitFor();
    const check = await checkRow(page, rowKey);
    expect({ path, ...check }).toEqual({
      path,
      cells: ['amount', 'state', 'time'].map((cell) => ({
        cell,
        found: true,
        inViewport: true,
        onTop: true,
      })),
      tableOverflow: 0,
      pageOverflow: 0,
    });
  }

  it('shows amount, state and created time on every order and refund list at 1280×720, nothing covered', async () => {
    const operator = await pageAs(admin);
    await expectKeyCellsVisible(operator, '/operator/orders', orderNo);
    await expectKeyCellsVisible(operator, '/operator/refunds', refundNo);
    const merchant = await pageAs(manager);
    await expectKeyCellsVisible(merchant, '/merchant/orders', orderNo);
    await expectKeyCellsVisible(merchant, '/merchant/refunds', refundNo);
    await expectKeyCellsVisible(merchant, '/merchant/withdrawals', withdrawNo);
    await expectKeyCellsVisible(merchant, '/merchant/payouts', payoutNo);
    // The operator's order row carries the figures: fee, cost and profit in the amount's cell.
    const order = await t.platform.services.orders.requireByOrderNo(orderNo);
    const yuan = (fen: bigint | null) => `¥${(Number(fen) / 100).toFixed(2)}`;
    await operator.goto(url('/operator/orders'));
    const figures = await operator
      .locator(`tr[data-row-key="${orderNo}"] td`, { hasText: '¥88.88' })
      .innerText();
    for (const figure of [order.fee, order.channel_cost, order.platform_profit])
      expect(figures).toContain(yuan(figure));
    await operator.context().close();
    await merchant.context().close();
  });

  it('shows amount, state and created time on the withdrawal and payout lists at 1280×720', async () => {
    const { services } = t.platform;
    await paidSandboxOrder(t.client, {
      mchOrderNo: `TABLES-FUND-${Date.now()}`,
      amount: 50_000,
      subject: 'funds',
    });
    await services.settlement.run();
    const withdraw = async (amount: number) => {
      return t.client.createWithdrawal({ mchWithdrawNo: `TABLES-W-${Date.now()}-${amount}`, amount });
    };
    const waiting = await withdraw(12_000);
    const approved = await withdraw(11_000);
    await admin.ok('POST', `/api/admin/withdrawals/${approved.withdrawNo}/approve`);
    const detail = await admin.ok<{ payout: { payoutNo: string } | null }>(
      'GET',
      `/api/admin/withdrawals/${approved.withdrawNo}`,
    );
    const operator = await pageAs(admin);
    await expectKeyCellsVisible(operator, '/operator/withdrawals', waiting.withdrawNo);
    await expectKeyCellsVisible(operator, '/operator/payouts', detail.payout?.payoutNo ?? 'no payout');
    await operator.context().close();
  });

  it("keeps the routing screen's enable switches and row actions uncovered at 1280×720", async () => {
    const page = await pageAs(admin);
    await page.goto(url('/operator/routing?product=sandbox_qr'));
    const table = page.getByTestId('bindings-table');
    await table.getByRole('switch').first().waitFor();
    const controls = await table.evaluate((root) =>
      [...root.querySelectorAll('tbody [role="switch"], tbody button')].map((element) => {
        element.scrollIntoView({ block: 'center', inline: 'nearest' });
        const box = element.getBoundingClientRect();
        const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        return {
          control: element.getAttribute('role') ?? element.textContent,
          inViewport: box.left >= 0 && box.right <= innerWidth,
          onTop: !!top && (element === top || element.contains(top)),
        };
      }),
    );
    expect(controls.length).toBeGreaterThanOrEqual(4);
    for (const control of controls) expect(control).toEqual({ ...control, inViewport: true, onTop: true });
    const overflow = await table.evaluate((root) => {
      const scroller = root.querySelector('.ant-table-content, .ant-table-body') as HTMLElement;
      return scroller.scrollWidth - scroller.clientWidth;
    });
    expect(overflow).toBe(0);
    await page.context().close();
  });

  it('remembers a column choice across a reload, per list', async () => {
    const page = await pageAs(admin);
    await page.goto(url('/operator/orders'));
    const table = page.getByTestId('order-table');
    await table.locator(`tr[data-row-key="${orderNo}"]`).waitFor();
    const header = table.locator('thead th', { hasText: '标记' });
    expect(await header.count()).toBe(1);
    // The column settings' popover: a click while the list still settles can leave it closed on a
    // busy machine, so open it until its tree shows.
    const flagColumn = page
      .locator('.ant-pro-table-column-setting-overlay .ant-tree-treenode', { hasText: '标记' })
      .locator('.ant-tree-checkbox');
    await expect
      .poll(async () => {
        if (await flagColumn.isVisible()) return true;
        await table.getByRole('img', { name: 'setting' }).click();
        return flagColumn.waitFor({ timeout: 5_000 }).then(
          () => true,
          () => false,
        );
      })
      .toBe(true);
    await flagColumn.click();
    await expect.poll(() => header.count()).toBe(0);
    await page.reload();
    await table.locator(`tr[data-row-key="${orderNo}"]`).waitFor();
    expect(await header.count()).toBe(0);
    // The refund list keeps its own choice.
    await page.goto(url('/operator/refunds'));
    await page.locator(`tr[data-row-key="${refundNo}"]`).waitFor();
    expect(await page.getByTestId('refund-table').locator('thead th', { hasText: '退款原因' }).count()).toBe(
      1,
    );
    await page.context().close();
  });

  it('opens a row with the keyboard, and reaches its actions', async () => {
    const page = await pageAs(admin);
    await page.goto(url('/operator/orders'));
    const row = page.locator(`tr[data-row-key="${orderNo}"]`);
    await row.waitFor();
    expect(await row.getAttribute('tabindex')).toBe('0');
    await row.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/[?&]order=/);
    expect(new URL(page.url()).searchParams.get('order')).toBe(orderNo);
    await expect.poll(() => page.getByTestId('order-detail').isVisible()).toBe(true);
    await page.context().close();

    // In the portal the order number is a button: Tab reaches it, Space opens the order.
    const merchant = await pageAs(manager);
    await merchant.goto(url('/merchant/refunds'));
    const refundRow = merchant.locator(`tr[data-row-key="${refundNo}"]`);
    await refundRow.waitFor();
    await refundRow.focus();
    // Tab moves through the row's controls (the refund number's copy button first) to the order's.
    let focused = '';
    for (let i = 0; i < 4 && !focused.includes(orderNo); i++) {
      await merchant.keyboard.press('Tab');
      focused = await merchant.evaluate(() => document.activeElement?.textContent ?? '');
    }
    expect(focused).toContain(orderNo);
    await merchant.keyboard.press('Space');
    await merchant.waitForURL(/\/merchant\/orders\?order=/);
    expect(new URL(merchant.url()).searchParams.get('order')).toBe(orderNo);
    await merchant.context().close();
  });

  it('finds an order by the last digits of its number, and asks for more than three', async () => {
    const page = await pageAs(manager);
    // Another order, so the search has something to leave out.
    const other = await t.client.createOrder({
      productCode: 'sandbox_qr',
      mchOrderNo: `TABLES-OTHER-${Date.now()}`,
      amount: 100,
      subject: 'other',
    });
    await page.goto(url('/merchant/orders'));
    const table = page.getByTestId('merchant-order-table');
    await table.locator(`tr[data-row-key="${other.orderNo}"]`).waitFor();
    await page.getByLabel('单号').fill(orderNo.slice(-6));
    await page
      .getByRole('button', { name: '查 询' })
      .or(page.getByRole('button', { name: '查询' }))
      .click();
    await expect.poll(() => table.locator(`tr[data-row-key="${other.orderNo}"]`).count()).toBe(0);
    expect(await table.locator(`tr[data-row-key="${orderNo}"]`).count()).toBe(1);

    await page.getByLabel('单号').fill(orderNo.slice(-3));
    await page
      .getByRole('button', { name: '查 询' })
      .or(page.getByRole('button', { name: '查询' }))
      .click();
    await expect
      .poll(() => page.locator('.ant-form-item-explain-error').innerText())
      .toBe('请输入完整单号，或单号末尾至少 4 位数字');
    await page.context().close();
  });

  it('pages the order list by previous and next, with the page size kept and the total counted', async () => {
    for (let i = 0; i < 11; i++)
      await t.client.createOrder({
        productCode: 'sandbox_qr',
        mchOrderNo: `TABLES-PAGE-${Date.now()}-${i}`,
        amount: 100 + i,
        subject: 'pager',
      });
    const total = (await manager.ok<{ total: number }>('GET', '/api/merchant/orders?limit=1')).total;
    expect(total).toBeGreaterThan(10);
    const page = await pageAs(manager);
    await page.goto(url('/merchant/orders'));
    const table = page.getByTestId('merchant-order-table');
    const rows = table.locator('tbody tr.ant-table-row');
    await rows.first().waitFor();
    await page.getByTestId('cursor-pager').locator('.ant-select').click();
    await page.getByTitle('10 条/页').click();
    await expect.poll(() => rows.count()).toBe(10);
    expect(await page.getByTestId('cursor-pager-total').innerText()).toBe(`共 ${total} 条`);
    const previous = page.getByTestId('cursor-pager-previous');
    expect(await previous.isDisabled()).toBe(true);
    const firstPage = await rows.evaluateAll((r) => r.map((row) => row.getAttribute('data-row-key')));
    await page.getByTestId('cursor-pager-next').click();
    await expect.poll(() => previous.isDisabled()).toBe(false);
    const secondPage = await rows.evaluateAll((r) => r.map((row) => row.getAttribute('data-row-key')));
    expect(secondPage.length).toBe(Math.min(10, total - 10));
    expect(secondPage.filter((key) => firstPage.includes(key))).toEqual([]);
    await previous.click();
    await expect.poll(() => previous.isDisabled()).toBe(true);
    expect(await rows.evaluateAll((r) => r.map((row) => row.getAttribute('data-row-key')))).toEqual(
      firstPage,
    );
    await page.context().close();
  });
});
