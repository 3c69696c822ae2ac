import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adoptSession, launchBrowser, readmeScreenshots, STEP_TIMEOUT } from './support/browser.ts';
import { type ConsoleClient, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: 120_000 });

/**
 * 通知设置 in a real browser at 1280×720: the test-message template edited with a variable from the
 * chips, its live preview with the sample values, an unknown variable refused in words before it
 * can be saved, and the saved template back from the server.
 */
describe.each(testDatabases)('the notifications screen on $kind', (database) => {
  const snap = readmeScreenshots(database.kind);
  let t: TestPlatform;
  let browser: Browser;
  let op: ConsoleClient;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    op = await operatorConsole(t);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'zh-CN' });
    await adoptSession(context, t.platform.url, op);
    page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('edits a template with a live preview and refuses an unknown variable', async () => {
    await page.goto(`${t.platform.url}/operator/system/notifications`);
    await page.getByRole('tab', { name: '模板' }).click();
    const templates = page.getByTestId('notification-templates');
    await templates
      .locator('.ant-select')
      .filter({ has: page.getByRole('combobox', { name: '通知类型' }) })
      .click();
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)').getByText('测试消息').click();

    const body = page.getByTestId('template-body');
    await expect.poll(() => body.inputValue()).toContain('{time}');
    await body.fill('平台巡检消息：');
    await templates.getByRole('button', { name: '{time}' }).click();
    await expect.poll(() => body.inputValue()).toBe('平台巡检消息：{time}');
    const preview = page.getByTestId('template-preview');
    await expect.poll(() => preview.textContent()).toContain('平台巡检消息：2026-01-15 14:30:00');
    await snap(page, 'operator-notification-templates');

    await body.fill('金额 {amount}');
    await expect.poll(() => preview.textContent()).toContain('不是这个通知可用的变量');
    await expect.poll(() => templates.getByRole('button', { name: /^保\s?存$/ }).isDisabled()).toBe(true);

    await body.fill('平台巡检消息：{time}');
    await expect.poll(() => preview.textContent()).toContain('2026-01-15 14:30:00');
    await templates.getByRole('button', { name: /^保\s?存$/ }).click();
    await expect.poll(() => templates.getByText('已修改').isVisible()).toBe(true);
    const saved = await op.ok<{ items: { event: string; locale: string; body: string }[] }>(
      'GET',
      '/api/admin/notifications/templates',
    );
    expect(saved.items.find((i) => i.event === 'test.message' && i.locale === 'zh')!.body).toBe(
      '平台巡检消息：{time}',
    );
  });
});
