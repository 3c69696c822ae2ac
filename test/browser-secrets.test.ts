import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { QingyunApiError } from '../sdk/index.ts';
import { launchBrowser, newPage, WALKTHROUGH_TIMEOUT } from './support/browser.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * Secrets and integration details in the merchant portal, in a real browser: the keys
 * page shows the merchant number and AppID; rotating a secret asks how long the old one keeps
 * working and shows the new one in the show-once dialog, which nothing but an explicit "I have
 * saved it" closes; the 接口文档 link opens the merchant API reference in the console's language;
 * the order drawer lists the notify attempts and sends the notify again.
 */
describe.each(testDatabases)('secrets and integration details in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  const receiver = new NotifyReceiver();

  beforeAll(async () => {
    t = await startTestPlatform(database);
    // The merchant's server fails the first notify, then acknowledges.
    receiver.answer = (n) =>
      n === 0 ? { status: 500, body: 'upstream exploded' } : { status: 200, body: 'success' };
    await receiver.start();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await receiver.stop();
  });

  const url = (path: string) => `${t.platform.url}${path}`;

  async function managerLogin(page: Page) {
    await page.goto(url('/login?area=merchant'));
    await page.getByLabel('用户名').fill(t.demo.merchantManager.username);
    await page.getByLabel('密码', { exact: true }).fill(t.demo.merchantManager.password);
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForURL(/\/merchant\//);
  }

  it('lists the notify attempts of an order in its drawer and sends the notify again', async () => {
    const order = await paidSandboxOrder(t.client, {
      mchOrderNo: `BR-NOTIFY-${Date.now()}`,
      amount: 1_500,
      subject: 'notify in the browser',
      notifyUrl: receiver.url,
    });
    await eventually(
      async () => (receiver.forOrder(order.orderNo).length >= 2 ? true : undefined),
      15_000,
      'the notify retried and acknowledged',
    );
    const { page, context } = await newPage(browser);
    await managerLogin(page);
    await page.goto(url(`/merchant/orders?order=${order.orderNo}`));
    const section = page.getByTestId('order-notifies');
    await expect.poll(() => section.innerText()).toContain('商户通知记录');
    await expect.poll(() => section.locator('tbody tr.ant-table-row').count()).toBe(2);
    const text = await section.innerText();
    expect(text).toContain('HTTP 500');
    expect(text).toContain('商户服务器返回 HTTP 500，不是 200');
    expect(text).toContain('upstream exploded');
    expect(text).toContain('通知成功');
    expect(text).toContain(receiver.url);
    // No English status words leak into the Chinese screen (the merchant's own answer excepted).
    expect(text).not.toMatch(/not acknowledged|succeeded|failed/i);

    await section.getByRole('button', { name: '重新发送通知' }).click();
    await page.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => page.getByText('已重新发送，稍后刷新查看结果').isVisible()).toBe(true);
    await eventually(
      async () => (receiver.forOrder(order.orderNo).length >= 3 ? true : undefined),
      10_000,
      'the notify sent again',
    );
    await expect.poll(() => section.locator('tbody tr.ant-table-row').count(), { timeout: 10_000 }).toBe(3);
    await context.close();
  });

  it('shows the merchant number and AppID, rotates with a grace and keeps the new secret on screen until saved', async () => {
    const { page, context } = await newPage(browser);
    await managerLogin(page);
    await page.goto(url('/merchant/apps'));
    const card = page.getByTestId(`app-${t.demo.merchant.appId}`);
    await expect.poll(() => card.getByTestId('app-mch-no').innerText()).toBe(t.demo.merchant.mchNo);
    expect(await card.getByTestId('app-id').innerText()).toBe(t.demo.merchant.appId);
    expect(await card.getByText('商户号').isVisible()).toBe(true);
    // Both are copyable.
    expect(await card.locator('.ant-typography-copy').count()).toBeGreaterThanOrEqual(2);

    await card.getByRole('button', { name: '重置密钥' }).click();
    const ask = page.getByRole('dialog', { name: `重置 ${t.demo.merchant.appId} 的应用密钥` });
    await expect.poll(() => ask.isVisible()).toBe(true);
    expect(await ask.getByRole('radio', { name: '24 小时后（推荐）' }).isChecked()).toBe(true);
    for (const choice of ['立即失效（密钥泄露时）', '1 小时后', '7 天后']) {
      expect(await ask.getByRole('radio', { name: choice }).isChecked()).toBe(false);
    }
    await ask.getByTestId('rotate-confirm').click();

    const dialog = page.getByTestId('one-time-secret');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    const secret = await dialog.getByTestId('app-secret').innerText();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const shown = await dialog.innerText();
    expect(shown).toContain(t.demo.merchant.mchNo);
    expect(shown).toContain(t.demo.merchant.appId);
    expect(shown).toMatch(/旧密钥将于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} 失效/);
    const close = page.getByTestId('secret-dialog-close');
    expect(await close.isDisabled()).toBe(true);
    // No X in its corner (the dialog that asked about the grace may still be fading out).
    const secretModal = page.locator('.ant-modal-content', { has: dialog });
    expect(await secretModal.count()).toBe(1);
    expect(await secretModal.locator('.ant-modal-close').count()).toBe(0);
    // Neither Esc nor a click beside the dialog closes it.
    await page.keyboard.press('Escape');
    await page.mouse.click(8, 8);
    await page.waitForTimeout(400);
    expect(await dialog.isVisible()).toBe(true);
    expect(await close.isDisabled()).toBe(true);
    await page.getByRole('checkbox', { name: '我已保存' }).check();
    expect(await close.isEnabled()).toBe(true);
    await close.click();
    await expect.poll(() => dialog.isVisible()).toBe(false);

    // The card says until when the old secret works, in the browser's local time.
    const notice = card.getByTestId('old-key-expires');
    await expect.poll(() => notice.isVisible()).toBe(true);
    const expected = await page.evaluate(async (appId) => {
      const apps = (await (await fetch('/api/merchant/apps')).json()) as {
        appId: string;
        oldKeyExpiresAt: string;
      }[];
      const d = new Date(apps.find((a) => a.appId === appId)!.oldKeyExpiresAt);
      const p = (n: number) => String(n).padStart(2, '0');
      return `旧密钥将于 ${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} 失效`;
    }, t.demo.merchant.appId);
    expect(await notice.innerText()).toBe(expected);
    // The old secret still signs during the grace; the new one signs too.
    const refusal = await t.client.getOrderByMchOrderNo('NO-SUCH').then(
      () => null,
      (e: unknown) => e,
    );
    expect(refusal instanceof QingyunApiError && refusal.code).toBe('NOT_FOUND');
    const keys = await t.platform.services.merchants.appKeys(t.demo.merchant.appId);
    expect(keys?.secret).toBe(secret);
    await context.close();
  });

  it('opens the merchant API reference in the console language from 接口文档', async () => {
    const { page, context } = await newPage(browser);
    await managerLogin(page);
    await page.goto(url('/merchant/apps'));
    const link = page.getByTestId('merchant-api-docs');
    await expect.poll(() => link.getAttribute('href')).toBe('/docs/merchant-api?lang=zh-CN');
    await page.goto(url((await link.getAttribute('href'))!));
    expect(await page.title()).toBe('商户接口文档 · 青云支付');
    expect(await page.locator('main h2').first().innerText()).toBe('请求签名');

    await page.goto(url('/merchant/apps'));
    await page.evaluate(() => localStorage.setItem('qy.lang', 'en-US'));
    await page.reload();
    await expect.poll(() => link.getAttribute('href')).toBe('/docs/merchant-api?lang=en-US');
    await page.goto(url((await link.getAttribute('href'))!));
    expect(await page.title()).toBe('Merchant API reference · Qingyun Pay');
    expect(await page.locator('h1').innerText()).toBe('Merchant API');
    // The page's own policy let it render its style: the header is laid out, not bare text.
    expect(await page.locator('header').evaluate((h) => getComputedStyle(h).position)).toBe('sticky');
    await context.close();
  });
});
