import { createHash } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_PRODUCT } from '../src/app/demo.ts';
import { adoptSession, launchBrowser, newPage, WALKTHROUGH_TIMEOUT } from './support/browser.ts';
import { type ConsoleClient, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * 接口协议 in the operator console's app list: an operator opts the demo app in to epay with a pay
 * way mapped to a product, the MD5 key is shown once and works at mapi.php, and the store manager
 * sees the protocol, pid and pay ways (not the key) in the merchant portal; the drawer reads in
 * English on a phone with no Chinese outside the data.
 */
describe.each(testDatabases)('an app opted in to epay from the console on $kind', (database) => {
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

  it('sets the protocol and pay ways, shows the key once, and the key signs epay requests', async () => {
    const { page, context } = await newPage(browser);
    await page.setViewportSize({ width: 1280, height: 720 });
    await adoptSession(context, t.platform.url, admin);
    const mchNo = t.demo.merchant.mchNo;
    await page.goto(`${t.platform.url}/operator/merchants/${mchNo}?tab=apps`);
    await page.getByRole('button', { name: '接口协议' }).first().click();
    const drawer = page.locator('.ant-drawer-content').last();
    await drawer.getByText('易支付兼容').click();
    await drawer.getByRole('button', { name: '添加支付方式' }).click();
    await drawer.locator('.ant-select').nth(0).click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: /^alipay$/ })
      .click();
    await drawer.locator('.ant-select').nth(1).click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: `(${DEMO_PRODUCT})` })
      .click();
    await drawer.getByRole('button', { name: /确\s*认|确\s*定/ }).click();

    const key = page.getByTestId('md5-key');
    await expect.poll(() => key.isVisible()).toBe(true);
    const md5Key = (await key.innerText()).trim();
    expect(md5Key).toMatch(/^[A-Za-z0-9]{32}$/);
    const saved = page.getByRole('checkbox', { name: '我已保存' });
    await eventually(async () => {
      await saved.check({ timeout: 2_000 }).catch(() => undefined);
      return (await saved.isChecked()) || undefined;
    });
    await page.getByTestId('secret-dialog-close').click();
    await expect.poll(() => page.getByText('易支付兼容').first().isVisible()).toBe(true);

    // The key shown is the app's: a signed mapi.php order goes through.
    const app = (await t.platform.services.merchants.listApps(mchNo))[0]!;
    expect(app).toMatchObject({ protocol: 'epay', protocolProducts: { alipay: DEMO_PRODUCT } });
    const params: Record<string, string> = {
      pid: app.epayPid!,
      type: 'alipay',
      out_trade_no: 'BR-EPAY-1',
      notify_url: 'http://127.0.0.1:9/notify',
      name: 'console key',
      money: '1.00',
    };
    const text = Object.keys(params)
      .sort()
      .map((k) => `${k}=${params[k]}`)
      .join('&');
    const sign = createHash('md5').update(`${text}${md5Key}`).digest('hex');
    const answer = await (
      await fetch(`${t.platform.url}/mapi.php`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...params, sign, sign_type: 'MD5' }).toString(),
      })
    ).json();
    expect(answer).toMatchObject({ code: 1 });
    await context.close();

    // The store manager sees the protocol, the pid and the pay ways on 应用与密钥 (never the key).
    const merchant = await newPage(browser);
    await merchant.page.goto(`${t.platform.url}/login?area=merchant`);
    await merchant.page.getByLabel('用户名').fill(t.demo.merchantManager.username);
    await merchant.page.getByLabel('密码', { exact: true }).fill(t.demo.merchantManager.password);
    await merchant.page.getByRole('button', { name: '登录' }).click();
    await merchant.page.waitForURL(/\/merchant\//);
    await merchant.page.goto(`${t.platform.url}/merchant/apps`);
    await expect.poll(() => merchant.page.getByTestId('app-protocol').innerText()).toBe('易支付兼容');
    const card = await merchant.page.getByTestId(`app-${app.appId}`).innerText();
    expect(card).toContain(app.epayPid!);
    expect(card).toContain(`alipay → ${DEMO_PRODUCT}`);
    expect(card).not.toContain(md5Key);
    await merchant.context.close();
  });

  it('reads in English on a phone, with no Chinese outside the data', async () => {
    const { page, context } = await newPage(browser, { mobile: true, locale: 'en-US' });
    await context.addInitScript(() => localStorage.setItem('qy.lang', 'en-US'));
    await adoptSession(context, t.platform.url, admin);
    await page.goto(`${t.platform.url}/operator/merchants/${t.demo.merchant.mchNo}?tab=apps`);
    await page.getByRole('button', { name: 'API protocol' }).first().click();
    const drawer = page.locator('.ant-drawer-content').last();
    await expect.poll(() => drawer.getByText('Epay compatible', { exact: true }).isVisible()).toBe(true);
    const words = await drawer.innerText();
    expect(words).toContain('Pay ways and products');
    // Product names are data (the demo product is named in both languages).
    expect(words.replace(/沙箱扫码/g, '')).not.toMatch(/[\u4e00-\u9fff]/);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await context.close();
  });
});
