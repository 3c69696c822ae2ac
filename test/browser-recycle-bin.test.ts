import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  adoptSession,
  confirmPopup,
  launchBrowser,
  newPage,
  readmeScreenshots,
  WALKTHROUGH_TIMEOUT,
} from './support/browser.ts';
import { type ConsoleClient, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * The recycle bin as an operator uses it: a product deleted from its list, the bin filtered by type,
 * and the product restored from there back into the list.
 */
describe.each(testDatabases)('the recycle bin in the browser on $kind', (database) => {
  const snap = readmeScreenshots(database.kind);
  let t: TestPlatform;
  let browser: Browser;
  let admin: ConsoleClient;
  const code = `rb_web_${Date.now().toString(36)}`;
  const name = '回收站测试产品';

  beforeAll(async () => {
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    admin = await operatorConsole(t);
    await admin.ok('POST', '/api/admin/products', {
      code,
      name,
      minAmount: 1,
      maxAmount: 100_000,
      defaultRatePpm: 6000,
    });
    // Another kind in the bin, for the filter to leave out.
    await admin.ok('DELETE', `/api/admin/channel-accounts/${t.channelAccountIds[1]}`);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('deletes a product from its list, filters the bin by type and restores it', async () => {
    const { page, context } = await newPage(browser);
    await adoptSession(context, t.platform.url, admin);

    await page.goto(`${t.platform.url}/operator/products`);
    const row = page.getByRole('row', { name: new RegExp(name) });
    await row.getByTestId('delete-to-bin').click();
    await confirmPopup(page);
    await expect.poll(() => page.getByRole('row', { name: new RegExp(name) }).count()).toBe(0);

    await page.goto(`${t.platform.url}/operator/system/recycle-bin`);
    const table = page.getByTestId('recycle-table');
    await expect.poll(() => table.innerText()).toContain(name);
    await snap(page, 'operator-recycle-bin');
    expect(await table.innerText()).toContain('通道账户');

    await page.getByRole('combobox', { name: '类型' }).click();
    await page.locator('.ant-select-item-option', { hasText: '支付产品' }).first().click();
    await page.getByRole('button', { name: '查询' }).click();
    await expect.poll(() => table.innerText()).not.toContain('通道账户');
    const binRow = table.getByRole('row', { name: new RegExp(name) });
    expect(await binRow.innerText()).toContain(code);

    await binRow.getByTestId('recycle-restore').click();
    await confirmPopup(page);
    await expect.poll(() => table.getByRole('row', { name: new RegExp(name) }).count()).toBe(0);
    const products = await admin.ok<{ code: string }[]>('GET', '/api/admin/products');
    expect(products.map((p) => p.code)).toContain(code);
    await context.close();
  });
});
