import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_PRODUCT } from '../src/app/demo.ts';
import {
  adoptSession,
  launchBrowser,
  newPage,
  readmeScreenshots,
  WALKTHROUGH_TIMEOUT,
} from './support/browser.ts';
import { type ConsoleClient, operatorConsole } from './support/console.ts';
import { presentationOnly } from './support/databases.ts';
import { bindDemoProduct, startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * The routing screen shows each bound account's live health: an account whose circuit opened turns
 * 熔断 within a refresh, without reloading the page; its rates are behind the badge.
 */
describe.each(presentationOnly)('channel health badges in the browser on $kind', (database) => {
  const snap = readmeScreenshots(database.kind);
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

  it('shows healthy, then open once the account fails in a row (zh-CN)', async () => {
    const [a, b] = t.channelAccountIds as [bigint, bigint];
    const { page, context } = await newPage(browser, { locale: 'zh-CN' });
    await page.setViewportSize({ width: 1280, height: 720 });
    await adoptSession(context, t.platform.url, admin);
    await page.goto(`${t.platform.url}/operator/routing?product=${DEMO_PRODUCT}`);
    const badgeA = page.getByTestId(`health-${a}`);
    await expect.poll(() => badgeA.getAttribute('data-status')).toBe('healthy');
    await expect.poll(() => badgeA.textContent()).toContain('健康');

    // A refuses every create: three in a row open its circuit (the orders go to B).
    await admin.ok('PUT', `/api/admin/channel-accounts/${a}/breaker`, { failureThreshold: 3 });
    const { services } = t.platform;
    await services.catalog.updateChannelAccount(a, { config: { faults: { refuseCreate: true } } });
    await bindDemoProduct(t, a, { weight: 70, priority: 1 });
    for (let i = 0; i < 3; i++)
      await t.client.createOrder({
        mchOrderNo: `BADGE-${i}`,
        productCode: DEMO_PRODUCT,
        amount: 100,
        subject: 'x',
      });
    await services.health.flush();

    await expect.poll(() => badgeA.getAttribute('data-status'), { timeout: 10_000 }).toBe('open');
    await expect.poll(() => badgeA.textContent()).toContain('熔断');
    await expect.poll(() => page.getByTestId(`health-${b}`).getAttribute('data-status')).toBe('healthy');
    await badgeA.hover();
    await expect.poll(() => page.locator('.ant-tooltip').textContent()).toContain('下单成功率');
    await snap(page, 'operator-routing-health');
    expect(await page.evaluate(() => window.__qyMissingKeys ?? [])).toEqual([]);
    await context.close();
  });
});
