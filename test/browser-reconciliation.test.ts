import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_PRODUCT } from '../src/app/demo.ts';
import { DbSandboxStore } from '../src/channels/sandbox/store.ts';
import { localDate } from '../src/stats/time.ts';
import {
  adoptSession,
  exported,
  launchBrowser,
  readmeScreenshots,
  STEP_TIMEOUT,
  WALKTHROUGH_TIMEOUT,
} from './support/browser.ts';
import { type ConsoleClient, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import {
  paidSandboxOrder,
  routeDemoToFirstAccount,
  startTestPlatform,
  type TestPlatform,
} from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * The operator's 对账 in a real browser: a day of sandbox traffic whose statement lacks one of our
 * paid orders and has a payment of one of our unpaid orders; the batch run from the screen, opened
 * from its address, the difference 平台有通道无 resolved with a note, the order the channel took
 * completed (补单) with the completion password — paid once, the difference resolved — and the
 * differences exported. Saves docs/screenshots/operator-reconciliation*.png when QY_SCREENSHOTS=1.
 */

const COMPLETION_PASSWORD = 'recon-screen-5';
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now (as the screen walk counts them). */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (...a: unknown[]) => Promise<AxeResult> } }).axe;
    interface AxeResult {
      violations: { id: string; impact: string | null; nodes: { html: string }[] }[];
    }
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes[0]?.html.slice(0, 160)}`);
  });
}

interface ItemView {
  id: string;
  class: string;
  orderNo: string | null;
  resolution: string;
  resolutionNote: string | null;
}

describe.each(testDatabases)('the operator reconciliation screen on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let op: ConsoleClient;
  let context: BrowserContext;
  let page: Page;
  let accountA: bigint;
  const receiver = new NotifyReceiver();
  const shoot = readmeScreenshots(database.kind);
  const url = (path: string) => `${t.platform.url}${path}`;
  let paid: { orderNo: string };
  let unpaid: { orderNo: string };
  let batchId = '';
  const today = () => localDate(new Date(), 'Asia/Shanghai');

  beforeAll(async () => {
    t = await startTestPlatform(database);
    await receiver.start();
    const { services } = t.platform;
    [accountA] = t.channelAccountIds as [bigint, bigint];
    // Every order on account A, so its statement is the one that holds them.
    await routeDemoToFirstAccount(t);
    await services.settings.setCompletionPassword(COMPLETION_PASSWORD);
    op = await operatorConsole(t);

    paid = await paidSandboxOrder(t.client, { mchOrderNo: uniqueName('RS'), amount: 1200, subject: 'recon' });
    const created = await t.client.createOrder({
      productCode: DEMO_PRODUCT,
      mchOrderNo: uniqueName('RS'),
      amount: 3300,
      subject: 'recon unpaid',
      notifyUrl: receiver.url,
    });
    unpaid = { orderNo: created.orderNo };
    // The statement's faults: it lacks the paid order and says the channel took the unpaid one.
    const mchId = String((await services.catalog.channelAccount(accountA))!.credentials.mchId);
    const store = new DbSandboxStore(services.db, services.secrets);
    expect(
      await store.setStatementSettings(mchId, {
        faults: { dropLines: [paid.orderNo], extraPayments: [{ outTradeNo: unpaid.orderNo, amount: 3300 }] },
      }),
    ).toBe(true);

    browser = await launchBrowser();
    context = await browser.newContext({
      viewport: { width: 1280, height: 720 },
      deviceScaleFactor: 1,
      locale: 'zh-CN',
    });
    await adoptSession(context, t.platform.url, op);
    page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await receiver.stop();
    await t?.stop();
  });

  async function settle() {
    await page.waitForLoadState('networkidle');
    await expect
      .poll(() => page.locator('.ant-spin-spinning:visible, .ant-skeleton-active:visible').count())
      .toBe(0);
  }

  const items = async () =>
    (
      await op.ok<{ items: ItemView[] }>(
        'GET',
        `/api/admin/reconciliation/batches/${batchId}/items?pageSize=100`,
      )
    ).items;

  /** In the run or upload dialog: channel account A and today. */
  async function chooseTarget(dialog: Locator) {
    await dialog.locator('.ant-select-selector').first().click();
    await page
      .locator('.ant-select-item-option')
      .filter({ hasText: `#${accountA})` })
      .click();
    const day = dialog.getByLabel('业务日期');
    await day.click();
    await day.fill(today());
    await day.press('Enter');
  }

  /**
   * Presses the dialog's OK until its form shows `refusal`. A click while the dialog still zooms in
   * can miss its button on a busy machine; an incomplete form is refused every time.
   */
  async function submitUntilRefused(dialog: Locator, refusal: string) {
    await expect
      .poll(async () => {
        const text = (await dialog.textContent()) ?? '';
        if (!text.includes(refusal)) await dialog.locator('.ant-btn-primary').click();
        return text;
      })
      .toContain(refusal);
  }

  /** The row of the differences table that holds an order number. */
  const itemRow = (orderNo: string) =>
    page.getByTestId('recon-items').locator('tr.ant-table-row').filter({ hasText: orderNo });

  it("runs today's batch from the screen and opens it with its classes", async () => {
    await page.goto(url('/operator/reconciliation'));
    await settle();
    await page.getByTestId('recon-run').click();
    const dialog = page.locator('.ant-modal');
    await chooseTarget(dialog);
    await dialog.locator('.ant-btn-primary').click();

    // The run opens its batch; its address holds it.
    await expect.poll(() => new URL(page.url()).searchParams.get('batch')).toBeTruthy();
    batchId = new URL(page.url()).searchParams.get('batch')!;
    await expect.poll(() => page.locator('.ant-drawer-title').textContent()).toContain('已完成');
    const summary = page.getByTestId('recon-summary');
    await expect.poll(() => summary.textContent()).toContain('通道有平台无');
    await expect.poll(() => summary.textContent()).toContain('平台有通道无');
    await expect.poll(() => itemRow(unpaid.orderNo).textContent()).toContain('通道有平台无');
    await expect.poll(() => itemRow(paid.orderNo).textContent()).toContain('平台有通道无');
    await shoot(page, 'operator-reconciliation-batch');

    // The list shows the batch with its differences highlighted.
    await page.keyboard.press('Escape');
    await expect
      .poll(() => page.getByTestId('recon-batches').getByTestId('recon-discrepancies').first().textContent())
      .toBe('2');
  });

  it('restores a batch, its class and handling from the address; resolves a difference with a note', async () => {
    await page.goto(url(`/operator/reconciliation?batch=${batchId}&class=platform_only&resolution=open`));
    await settle();
    await expect.poll(() => page.getByTestId('recon-class-filter').textContent()).toContain('平台有通道无');
    await expect.poll(() => itemRow(paid.orderNo).count()).toBe(1);
    await expect.poll(() => itemRow(unpaid.orderNo).count()).toBe(0);

    await itemRow(paid.orderNo).getByRole('button', { name: '处理' }).click();
    const dialog = page.locator('.ant-modal');
    // The note is required.
    await submitUntilRefused(dialog, '请填写处理说明');
    await dialog.getByLabel('处理说明').fill('与通道核实：次日对账单补记');
    await dialog.locator('.ant-btn-primary').click();
    await expect.poll(() => itemRow(paid.orderNo).count()).toBe(0);

    const resolved = (await items()).find((i) => i.orderNo === paid.orderNo)!;
    expect(resolved).toMatchObject({ resolution: 'resolved', resolutionNote: '与通道核实：次日对账单补记' });
  });

  it('completes the order the channel took (补单) with the completion password: paid once, the difference resolved', async () => {
    await page.goto(url(`/operator/reconciliation?batch=${batchId}&class=channel_only`));
    await settle();
    const row = itemRow(unpaid.orderNo);
    await expect.poll(() => row.count()).toBe(1);
    await row.getByRole('button', { name: '补单' }).click();
    const dialog = page.locator('.ant-modal');
    await dialog.getByLabel('补单密码').fill('not-the-password');
    await dialog.getByLabel('补单说明').fill('对账单显示通道已收款');
    await dialog.locator('.ant-btn-primary').click();
    await expect.poll(() => dialog.locator('.ant-alert-error').count()).toBeGreaterThan(0);
    expect((await t.client.getOrder(unpaid.orderNo)).state).not.toBe('paid');

    await dialog.getByLabel('补单密码').fill(COMPLETION_PASSWORD);
    await dialog.locator('.ant-btn-primary').click();
    await expect
      .poll(() => row.locator('[data-resolution]').getAttribute('data-resolution'))
      .toBe('resolved');

    expect((await t.client.getOrder(unpaid.orderNo)).state).toBe('paid');
    const item = (await items()).find((i) => i.orderNo === unpaid.orderNo)!;
    expect(item.resolution).toBe('resolved');
    const [postings] = await t.platform.services.db.query<{ n: string | number }>(
      "SELECT count(*) AS n FROM ledger_txn WHERE kind = 'payment' AND reference = $1",
      [unpaid.orderNo],
    );
    expect(Number(postings!.n)).toBe(1);

    // The order's link opens it in the order list.
    await row.getByRole('link', { name: `查看订单 ${unpaid.orderNo}` }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('order')).toBe(unpaid.orderNo);
  });

  it('exports the differences as Excel and CSV', async () => {
    await page.goto(url(`/operator/reconciliation?batch=${batchId}`));
    await settle();
    await expect.poll(() => itemRow(unpaid.orderNo).count()).toBe(1);
    const xlsx = await exported(page, 'recon-export', '导出 Excel');
    expect(xlsx.name).toMatch(/\.xlsx$/);
    expect(xlsx.bytes.subarray(0, 2).toString()).toBe('PK');
    // exported() ends with Escape, which may close the drawer as well: open the batch again.
    await page.goto(url(`/operator/reconciliation?batch=${batchId}`));
    await settle();
    await expect.poll(() => itemRow(unpaid.orderNo).count()).toBe(1);
    const csv = (await exported(page, 'recon-export', '导出 CSV')).bytes.toString();
    expect(csv).toContain(unpaid.orderNo);
    expect(csv).toContain('通道有平台无');
  });

  it('speaks English in the English console: the classes and the side that has each', async () => {
    await page.goto(url('/operator/reconciliation'));
    await page.evaluate(() => localStorage.setItem('qy.lang', 'en-US'));
    await page.goto(url(`/operator/reconciliation?batch=${batchId}`));
    await settle();
    const summary = page.getByTestId('recon-summary');
    await expect.poll(() => summary.textContent()).toContain('Channel only');
    const text = (await page.getByTestId('recon-batch').textContent()) ?? '';
    expect(text).toContain('Platform only');
    expect(text).toContain('Shortage: the channel took the payment');
    // No key left untranslated; no Chinese in the summary (the rest holds data: names, notes).
    expect(text).not.toMatch(/reconciliation\./);
    expect(await summary.textContent()).not.toMatch(/[\u4e00-\u9fff]/);
    expect(await page.locator('.ant-drawer-title').textContent()).not.toMatch(/[\u4e00-\u9fff]/);
    await page.evaluate(() => localStorage.setItem('qy.lang', 'zh-CN'));
  });

  it('fits a phone: the tables scroll inside their own box', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(url(`/operator/reconciliation?batch=${batchId}`));
    await settle();
    await expect.poll(() => itemRow(unpaid.orderNo).count()).toBe(1);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await settle();
    const listOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(listOverflow).toBeLessThanOrEqual(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  // Last: the upload runs the day again, with the 补单 above now matched.
  it("reconciles a statement file uploaded by hand: refused without a file, then the day's batch from it", async () => {
    const file = await fetch(`${t.platform.url}/api/admin/reconciliation/batches/${batchId}/file`, {
      headers: { cookie: op.cookie },
    });
    const statement = path.join(os.tmpdir(), `statement-${uniqueName('recon')}.csv`);
    fs.writeFileSync(statement, Buffer.from(await file.arrayBuffer()));
    const before = await op.ok<{ runNo: number }>('GET', `/api/admin/reconciliation/batches/${batchId}`);
    try {
      await page.goto(url('/operator/reconciliation'));
      await settle();
      await page.getByTestId('recon-upload').click();
      const dialog = page.locator('.ant-modal');
      await chooseTarget(dialog);
      // No file yet: the form says so and nothing runs.
      await submitUntilRefused(dialog, '请选择对账单文件');
      await dialog.locator('input[type="file"]').setInputFiles(statement);
      await expect.poll(() => dialog.textContent()).toContain(path.basename(statement));
      await dialog.locator('.ant-btn-primary').click();
      await expect.poll(() => new URL(page.url()).searchParams.get('batch')).toBe(batchId);
      await expect.poll(() => page.locator('.ant-drawer').textContent()).toContain('人工上传');
      const after = await op.ok<{ runNo: number; source: string; state: string }>(
        'GET',
        `/api/admin/reconciliation/batches/${batchId}`,
      );
      expect(after).toMatchObject({ source: 'uploaded', state: 'done', runNo: before.runNo + 1 });
    } finally {
      fs.rmSync(statement, { force: true });
    }
  });
});
