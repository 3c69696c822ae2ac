import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeTelegram } from './fakes/telegram/server.ts';
import {
  adoptSession,
  launchBrowser,
  newPage,
  readmeScreenshots,
  WALKTHROUGH_TIMEOUT,
} from './support/browser.ts';
import { type ConsoleClient, operatorConsole } from './support/console.ts';
import { presentationOnly } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * 机器人管理 in the browser at 1280×720: the token saved write-only, a binding code created and sent
 * in a group of the fake Bot API, the bound group listed and sent a test message; then the screen
 * on a phone in English, with nothing untranslated and no sideways scrolling.
 */
describe.each(presentationOnly)('bot screen in the browser on $kind', (database) => {
  const snap = readmeScreenshots(database.kind);
  let t: TestPlatform;
  let browser: Browser;
  let fake: FakeTelegram;
  let admin: ConsoleClient;

  beforeAll(async () => {
    fake = await new FakeTelegram().start();
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    admin = await operatorConsole(t);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await fake?.stop();
  });

  it('configures the bot, binds a group with a code and sends it a test message', async () => {
    const { page, context } = await newPage(browser, { locale: 'zh-CN' });
    await page.setViewportSize({ width: 1280, height: 720 });
    await adoptSession(context, t.platform.url, admin);
    await page.goto(`${t.platform.url}/operator/system/bot`);
    await expect.poll(() => page.getByTestId('bot-settings').innerText()).toContain('未配置');

    await page.getByRole('button', { name: '修改设置' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('机器人令牌').fill(fake.token);
    await dialog.getByLabel('Bot API 地址').fill(fake.url);
    await dialog.getByRole('button', { name: /确\s*定/ }).click();
    await expect.poll(() => page.getByTestId('bot-settings').innerText()).toContain('@qingyun_test_bot');
    // Write-only: once the dialog is gone, the page holds the token nowhere.
    await expect.poll(() => page.locator('.ant-modal-wrap:visible').count()).toBe(0);
    expect(await page.content()).not.toContain(fake.token.split(':')[1]!);

    await page.getByRole('button', { name: '生成绑定码' }).click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /确\s*定/ })
      .click();
    const shown = await page.getByTestId('binding-code').innerText();
    const command = /\/bind [A-Z0-9]{8}/.exec(shown)![0];
    const group = { id: -100_777, type: 'supergroup' as const, title: '运营值班群' };
    fake.injectMessage(group, 4242, command);
    const [bound] = await fake.waitForSent(group.id);
    expect(bound!.text).toContain('本群已绑定到运营平台');
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /关\s*闭/ })
      .last()
      .click();

    const row = page.getByTestId('bot-groups').locator('tr', { hasText: '运营值班群' });
    await expect.poll(() => row.innerText()).toContain('运营平台');
    await snap(page, 'operator-bot');
    await page.screenshot({ path: '/tmp/bot-screen-zh.png' });

    const before = fake.sent.length;
    await row.getByRole('button', { name: '测试消息' }).click();
    const [test] = await fake.waitForSent(group.id, 1, before);
    expect(test!.text).toBe('这是一条来自青云支付的测试消息。');
    await context.close();
  });

  it('fits a phone in English with every word translated', async () => {
    const { page, context } = await newPage(browser, { locale: 'en-US', mobile: true });
    await context.addInitScript(() => localStorage.setItem('qy.lang', 'en-US'));
    await adoptSession(context, t.platform.url, admin);
    await page.goto(`${t.platform.url}/operator/system/bot`);
    await expect.poll(() => page.getByTestId('bot-settings').innerText()).toContain('Configured');
    await expect.poll(() => page.getByTestId('bot-groups').innerText()).toContain('Platform operators');
    expect(await page.evaluate(() => window.__qyMissingKeys ?? [])).toEqual([]);
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(widths[0]).toBeLessThanOrEqual(widths[1]!);
    await page.screenshot({ path: '/tmp/bot-screen-phone-en.png', fullPage: true });
    await context.close();
  });
});
