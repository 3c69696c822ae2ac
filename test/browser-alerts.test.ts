import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS } from '../src/alerts/types.ts';
import {
  adoptSession,
  launchBrowser,
  readmeScreenshots,
  STEP_TIMEOUT,
  WALKTHROUGH_TIMEOUT,
} from './support/browser.ts';
import { type ConsoleClient, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import {
  postChannelNotify,
  routeDemoToFirstAccount,
  sandboxPaidNotify,
  startTestPlatform,
  type TestPlatform,
} from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * The operator's 告警 in a real browser: a warning (orders stuck paying) and a critical alert (a
 * payment after close), the header's badge counting both, the list filtered to the critical one,
 * its drawer acknowledging it with a note (the badge counts one less), and the list on a phone.
 */
describe.each(testDatabases)('the operator alerts screen on $kind', (database) => {
  const snap = readmeScreenshots(database.kind);
  let t: TestPlatform;
  let browser: Browser;
  let op: ConsoleClient;
  let context: BrowserContext;
  let page: Page;
  let lateOrderNo = '';

  beforeAll(async () => {
    t = await startTestPlatform(database);
    const { services } = t.platform;
    await services.db.query(
      `INSERT INTO job_lease (name, leased_until, holder) VALUES ('detect-alerts', now() + interval '1 day', 'browser-suite')
       ON CONFLICT (name) DO UPDATE SET leased_until = EXCLUDED.leased_until, holder = EXCLUDED.holder`,
    );
    await routeDemoToFirstAccount(t);
    op = await operatorConsole(t);
    await op.ok('PUT', '/api/admin/alerts/settings', {
      ...DEFAULT_SETTINGS,
      payingStuck: { olderThanMinutes: 10, atLeast: 2 },
    });
    const order = () =>
      t.client.createOrder({
        mchOrderNo: uniqueName('BA'),
        productCode: 'sandbox_qr',
        amount: 500,
        subject: 'a',
      });
    await order();
    await order();
    const late = await order();
    lateOrderNo = late.orderNo;
    await services.orders.close(await services.orders.requireByOrderNo(late.orderNo), 'merchant');
    expect(await postChannelNotify(await sandboxPaidNotify(t, late.orderNo, uniqueName('n')))).toBe(
      '200 SUCCESS',
    );
    const later = new Date(Date.now() + 11 * 60_000);
    await services.alerts.runDetector(services.alerts.detectorOf('channel.paying_stuck')!, later);
    await services.alerts.runDetector(services.alerts.detectorOf('order.paid_after_close')!, later);

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
    await t?.stop();
  });

  const rows = () => page.getByTestId('alert-table').locator('tbody tr.qy-row-clickable');

  it('filters the alerts, acknowledges one with a note from its drawer, and fits a phone', async () => {
    await page.goto(`${t.platform.url}/operator/alerts`);
    await expect.poll(() => rows().count()).toBe(2);
    await snap(page, 'operator-alerts');
    await expect
      .poll(() => page.getByTestId('alert-badge').locator('.ant-badge-count').innerText())
      .toBe('2');

    // 级别: 严重 → only the payment after close.
    await page.getByTestId('alert-table').getByLabel('级别').click();
    await page.locator('.ant-select-dropdown:visible').getByText('严重', { exact: true }).click();
    await page.getByRole('button', { name: /查\s*询/ }).click();
    await expect.poll(() => rows().count()).toBe(1);
    await expect.poll(() => rows().first().innerText()).toContain(lateOrderNo);
    expect(page.url()).toContain('severity=critical');

    await rows().first().click();
    const drawer = page.getByTestId('alert-detail');
    await drawer.waitFor();
    expect(await drawer.innerText()).toContain('订单关闭后收到支付');
    await page.getByTestId('alert-acknowledge').click();
    const dialog = page.locator('.ant-modal:visible');
    await dialog.getByRole('button', { name: /确\s*认/ }).click();
    // The note is required.
    await expect.poll(() => dialog.innerText()).toContain('请写下说明');
    await dialog.getByLabel('说明').fill('已联系付款人退款');
    await dialog.getByRole('button', { name: /确\s*认/ }).click();
    await expect.poll(() => drawer.getByTestId('alert-state').innerText()).toBe('已确认');
    await expect.poll(() => drawer.innerText()).toContain('说明：已联系付款人退款');
    await expect
      .poll(() => page.getByTestId('alert-badge').locator('.ant-badge-count').innerText())
      .toBe('1');
    const [shown] = (
      await op.ok<{ items: { state: string; acknowledgeNote: string }[] }>(
        'GET',
        '/api/admin/alerts?kind=order.paid_after_close',
      )
    ).items;
    expect(shown).toMatchObject({ state: 'acknowledged', acknowledgeNote: '已联系付款人退款' });

    // On a phone the list scrolls inside its own box, never the page.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${t.platform.url}/operator/alerts?state=unresolved`);
    await expect.poll(() => rows().count()).toBe(2);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  });
});
