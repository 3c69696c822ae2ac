import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerSandboxMerchant } from '../src/channels/sandbox/server.ts';
import { DbSandboxStore } from '../src/channels/sandbox/store.ts';
import { adoptSession, launchBrowser, newPage, WALKTHROUGH_TIMEOUT } from './support/browser.ts';
import { type ConsoleClient, operatorConsole } from './support/console.ts';
import { presentationOnly } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * The channel-account form at 1280×720 in both languages: the chosen channel's adapter's fields
 * (labels in the console's language), saved, then 测试连接 against the sandbox says it connected.
 */
describe.each(presentationOnly)('channel account form in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let admin: ConsoleClient;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    admin = await operatorConsole(t);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const WORDS = {
    'en-US': {
      create: 'New channel account',
      channel: 'Channel',
      name: 'Account name',
      fields: ['Sandbox merchant ID', 'Sandbox key', 'Sandbox address'],
      ok: 'OK',
      connection: 'Connection',
      test: 'Test connection',
      connected: 'Connected',
      saved: 'Saved',
      wayWord: 'WeChat JSAPI (in-app)',
    },
    'zh-CN': {
      create: '新建通道账户',
      channel: '所属通道',
      name: '账户名称',
      fields: ['沙箱商户号', '沙箱密钥', '沙箱地址'],
      ok: '确定',
      connection: '连接',
      test: '测试连接',
      connected: '连接成功',
      saved: '已保存',
      wayWord: '微信公众号/JSAPI',
    },
  } as const;

  for (const lang of ['en-US', 'zh-CN'] as const) {
    it(`shows the adapter's fields, saves, and tests the connection (${lang})`, async () => {
      const words = WORDS[lang];
      const { services } = t.platform;
      const sandbox = (await registerSandboxMerchant(new DbSandboxStore(services.db, services.secrets)))!;
      const accountName = `Browser ${lang}`;
      const { page, context } = await newPage(browser, { locale: lang });
      await page.setViewportSize({ width: 1280, height: 720 });
      await context.addInitScript((l) => localStorage.setItem('qy.lang', l), lang);
      await adoptSession(context, t.platform.url, admin);
      await page.goto(`${t.platform.url}/operator/channels`);

      await page.getByRole('button', { name: words.create }).click();
      const drawer = page.locator('.ant-drawer-content');
      await drawer.getByRole('combobox', { name: words.channel }).click();
      await page
        .locator('.ant-select-item-option', { hasText: '(sandbox · sandbox)' })
        .or(page.locator('.ant-select-item-option', { hasText: '（sandbox · sandbox）' }))
        .first()
        .click();
      // The sandbox adapter's declared fields, in the console's language.
      for (const label of words.fields) await expect.poll(() => drawer.getByLabel(label).count()).toBe(1);
      await drawer.getByLabel(words.name, { exact: true }).fill(accountName);
      await drawer.getByLabel(words.fields[0]).fill(sandbox.mchId);
      await drawer.getByLabel(words.fields[1]).fill(sandbox.key);
      await page.waitForTimeout(400);
      await page.screenshot({ path: `/tmp/channel-account-form-${lang}.png` });
      await drawer.getByRole('button', { name: words.ok }).click();
      await expect.poll(() => page.locator('.ant-drawer-content').count()).toBe(0);

      const row = page.locator('tr', { hasText: accountName });
      await row.getByRole('button', { name: words.connection }).click();
      const dialog = page.getByRole('dialog');
      await expect
        .poll(() => dialog.getByTestId('notify-url').innerText())
        .toMatch(/\/api\/channel-notify\/\d+$/);
      await dialog.getByRole('button', { name: words.test }).click();
      // A real call to the sandbox channel: on a loaded machine it may take a while.
      await expect
        .poll(() => dialog.getByTestId('connection-result').innerText({ timeout: 60_000 }), {
          timeout: 60_000,
        })
        .toContain(words.connected);
      await page.waitForTimeout(400);
      await page.screenshot({ path: `/tmp/channel-account-connection-${lang}.png` });
      await dialog.getByRole('button', { name: /close|关闭/i }).click();

      // The secret stays write-only: the edit form shows it as saved, with a blank input.
      await row.getByRole('button', { name: lang === 'en-US' ? 'Edit' : '编辑' }).click();
      const edit = page.locator('.ant-drawer-content');
      await expect.poll(() => edit.getByTestId('secret-saved-key').innerText()).toBe(words.saved);
      expect(await edit.getByLabel(words.fields[1]).inputValue()).toBe('');
      expect(await edit.getByLabel(words.fields[0]).inputValue()).toBe(sandbox.mchId);
      await page.waitForTimeout(400);
      await page.screenshot({ path: `/tmp/channel-account-edit-${lang}.png` });

      // The channels tab shows what each adapter serves: its pay ways and capabilities.
      await page.goto(`${t.platform.url}/operator/channels?tab=channels`);
      await expect.poll(() => page.locator('.ant-table').innerText()).toContain(words.wayWord);
      await page.screenshot({ path: `/tmp/channels-capabilities-${lang}.png` });
      await context.close();
    }, 180_000);
  }
});
