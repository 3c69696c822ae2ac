import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adoptSession, launchBrowser, newPage, WALKTHROUGH_TIMEOUT } from './support/browser.ts';
import { type ConsoleClient, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * 支付配置 in a real browser at 1280×720: the operator changes the order-number rule (the example
 * follows as they type) and a product's default timeout, is told plainly when a value is out of
 * bounds, and the next order is numbered by the new rule; the screen also opens on a phone.
 */
describe.each(testDatabases)('payment configuration in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let admin: ConsoleClient;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    admin = await operatorConsole(t);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('saves the order-number rule and a product timeout, and refuses a timeout out of bounds', async () => {
    const { context, page } = await newPage(browser);
    await page.setViewportSize({ width: 1280, height: 720 });
    await adoptSession(context, t.platform.url, admin);
    await page.goto(`${t.platform.url}/operator/payment-config`);

    const rule = page.getByTestId('order-number-rule');
    await rule.getByLabel('前缀').fill('qyb');
    await rule.getByLabel('随机位数').fill('2');
    await expect
      .poll(() => page.getByTestId('order-number-preview').innerText())
      .toMatch(/QYB\d{12}0{7}1 ?77/);
    await rule.getByRole('button', { name: /保\s*存/ }).click();
    await page.getByText('订单号规则已保存').waitFor();
    expect((await t.platform.services.platformSettings.orderNumberRule()).prefix).toBe('QYB');
    const order = await t.client.createOrder({
      mchOrderNo: `BPC${Date.now()}`,
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'rule',
    });
    expect(order.orderNo).toMatch(/^QYB\d{12}\d{8}\d{2}$/);

    await page.getByTestId('edit-sandbox_qr').click();
    const dialog = page.getByRole('dialog');
    const timeout = dialog.getByLabel('默认订单超时（分钟）');
    await timeout.fill('5000');
    await dialog.getByRole('button', { name: /确\s*定/ }).click();
    await dialog.getByText('请输入 1–1440 之间的整数分钟').waitFor();
    await timeout.fill('15');
    await dialog.getByRole('button', { name: /确\s*定/ }).click();
    await page.getByText('支付配置已保存，新订单立即生效').waitFor();
    await expect.poll(() => page.getByTestId('timeout-sandbox_qr').innerText()).toBe('15 分钟');
    expect((await t.platform.services.catalog.requireProduct('sandbox_qr')).expire_seconds).toBe(900);
    // Nothing on the screen is wider than the window.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await context.close();
  });

  it('opens on a phone', async () => {
    const { context, page } = await newPage(browser, { mobile: true });
    await adoptSession(context, t.platform.url, admin);
    await page.goto(`${t.platform.url}/operator/payment-config`);
    await page.getByTestId('order-number-preview').waitFor();
    await page.getByTestId('timeout-sandbox_qr').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await context.close();
  });
});
