import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { localDateTime } from '../../src/stats/time.ts';

/** Debian's chromium (`apt-get install chromium`); playwright cannot download its own browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots');
/**
 * A walkthrough drives dozens of screens; on a loaded 2-core CI machine one takes up to a minute,
 * so the default 60 s per test is too tight for it (the steps keep their own shorter waits).
 */
export const WALKTHROUGH_TIMEOUT = 180_000;
/**
 * How long a step waits for an element. A screen that does real work behind a click (a bulk approval
 * that calls the channel for each withdrawal) took over 15 s on a CI machine loaded above 5 per core.
 */
export const STEP_TIMEOUT = 30_000;
/**
 * The browsers' time zone: the test platform's own (testConfig's timeZone), as for the platform's
 * users in China. The consoles write times and pick days in the browser's zone, and the server reads
 * days in the platform's, so a browser in this machine's zone (UTC) would ask for yesterday's
 * entries between 16:00 and 24:00 UTC.
 */
export const BROWSER_TIME_ZONE = 'Asia/Shanghai';

/** The wall-clock time the consoles show for an instant (shell/format.ts dateTime) in BROWSER_TIME_ZONE. */
export function wallClock(at: Date | string): string {
  return localDateTime(new Date(at), BROWSER_TIME_ZONE);
}

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: apt-get install -y --no-install-recommends chromium (.ci/run does)`,
    );
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  // Every profile asks for reduced motion, so the consoles turn antd's animations off (web/src/App.tsx)
  // as for a user who asks for it: a click never lands beside a dialog or pop-up still zooming in. And
  // every profile is in the platform's time zone.
  const defaults = { reducedMotion: 'reduce', timezoneId: BROWSER_TIME_ZONE } as const;
  const newContext = browser.newContext.bind(browser);
  const newPage = browser.newPage.bind(browser);
  browser.newContext = (options) => newContext({ ...defaults, ...options });
  browser.newPage = (options) => newPage({ ...defaults, ...options });
  return browser;
}

/** A fresh browser profile (its own cookies), desktop-sized unless told otherwise. */
export async function newPage(
  browser: Browser,
  opts: { mobile?: boolean; locale?: string } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: opts.mobile ? { width: 390, height: 844 } : { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    locale: opts.locale ?? 'zh-CN',
    isMobile: opts.mobile ?? false,
    hasTouch: opts.mobile ?? false,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT);
  return { context, page };
}

/**
 * Saves the README's screenshots of main screens (docs/screenshots/NAME.png) when
 * `QY_SCREENSHOTS=1 npm test -- browser` asks, from the PGlite run only; otherwise does nothing.
 * Each waits for antd's open/close animations to finish first.
 */
export function readmeScreenshots(databaseKind: string) {
  const on = databaseKind === 'pglite' && process.env.QY_SCREENSHOTS === '1';
  return async (page: Page, name: string): Promise<void> => {
    if (!on) return;
    await page.waitForTimeout(500);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  };
}

/**
 * Hands a console session signed in through the API (test/support/console.ts) to a browser profile,
 * for tests about a screen rather than about logging in.
 */
export async function adoptSession(
  context: BrowserContext,
  baseUrl: string,
  client: { cookie: string },
): Promise<void> {
  const [name = '', value = ''] = client.cookie.split('=');
  await context.addCookies([{ name, value, url: baseUrl, httpOnly: true, sameSite: 'Strict' }]);
}

/** Chooses an item of a table's export menu (shell/ExportButton) and gives the saved file's name and bytes. */
export async function exported(
  page: Page,
  testId: string,
  item: string,
): Promise<{ name: string; bytes: Buffer }> {
  await page.getByTestId(testId).click();
  const menu = page.locator('.ant-dropdown:not(.ant-dropdown-hidden)');
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 30_000 }),
    menu.last().getByRole('menuitem', { name: item }).click(),
  ]);
  const stream = await download.createReadStream();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  await page.keyboard.press('Escape');
  return { name: download.suggestedFilename(), bytes: Buffer.concat(chunks) };
}

/**
 * Presses OK on the open pop-up confirmation (antd Popconfirm) once it has finished zooming in. A click
 * while it still moves can land beside it on a loaded machine, and a click outside closes it without
 * its action: the test then waits for an answer that never comes.
 */
export async function confirmPopup(page: Page): Promise<void> {
  const popup = page.locator('.ant-popconfirm:visible');
  await popup.waitFor();
  await expect.poll(() => popup.evaluate((el) => /-(appear|enter)\b/.test(el.className))).toBe(false);
  await popup.locator('.ant-btn-primary').click();
}
