import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adoptSession, launchBrowser, newPage, WALKTHROUGH_TIMEOUT } from './support/browser.ts';
import { ConsoleClient, merchantConsole } from './support/console.ts';
import { presentationOnly } from './support/databases.ts';
import {
  eventually,
  payOnSandbox,
  signedCall,
  startTestPlatform,
  type TestPlatform,
} from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * The dashboard's 市场 section in the browser (seed 001 §1.2.1): today's recharge, consumption and
 * escrow cards with the in-flow, members' withdrawals and refunds, in yuan, with the time they were
 * read; the 90-day trend's types chosen in a multi-select and its measure switched; the store
 * manager's only; English on a phone and at 1280×720, nothing untranslated, no sideways scrolling.
 * Only what the browser shows is checked, so one database is enough (support/databases.ts).
 */

const SHOTS = '/tmp/marketplace-dashboard';

interface Figures {
  count: number;
  amount: number;
  commission: number;
}
type Today = Record<'consumption' | 'escrow' | 'recharge' | 'withdrawal' | 'refund', Figures> & {
  inflow: { count: number; amount: number };
};

const shown = (fen: number) =>
  `¥${(fen / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

describe.each(presentationOnly)('the dashboard’s marketplace section in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let manager: ConsoleClient;
  const run = `MD${Date.now().toString(36)}`;

  async function paidOrder(no: string, amount: number, terms: object) {
    const created = await signedCall<{ orderNo: string; payData: { value: string } }>(
      t,
      'POST',
      '/api/v1/orders',
      { mchOrderNo: `${run}-${no}`, productCode: 'sandbox_qr', amount, subject: '商城订单', ...terms },
    );
    expect(created.status).toBe(201);
    expect(await payOnSandbox(created.body.payData.value)).toBe(200);
    return eventually(async () => {
      const order = await t.platform.services.orders.requireByOrderNo(created.body.orderNo);
      return order.state === 'paid' ? order : undefined;
    });
  }

  async function open(opts: { locale: 'zh-CN' | 'en-US'; mobile?: boolean; as?: ConsoleClient }) {
    const { page, context } = await newPage(browser, { locale: opts.locale, mobile: opts.mobile });
    if (!opts.mobile) await page.setViewportSize({ width: 1280, height: 720 });
    await adoptSession(context, t.platform.url, opts.as ?? manager);
    if (opts.locale === 'en-US') await context.addInitScript(() => localStorage.setItem('qy.lang', 'en-US'));
    // Sandbox orders are test orders: the figures count them with the dashboard's switch on.
    await context.addInitScript(() => localStorage.setItem('qy.includeTest', '1'));
    await page.goto(`${t.platform.url}/merchant/dashboard`);
    return { page, context };
  }

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    manager = new ConsoleClient(t.platform.url);
    expect(
      await manager.login('merchant', t.demo.merchantManager.username, t.demo.merchantManager.password),
    ).toBe('active');
    const rule = (
      await manager.ok<{ items: { ruleNo: string; name: string }[] }>('GET', '/api/merchant/split-rules')
    ).items.find((r) => r.name === '平台抽佣 5%')!;
    await paidOrder('C', 12_345, { payee: { bizUserId: 'seller-1' }, splitRuleNo: rule.ruleNo });
    await paidOrder('E', 20_000, {
      payee: { bizUserId: 'seller-1' },
      splitRuleNo: rule.ruleNo,
      escrow: true,
    });
    await paidOrder('R', 5_000, { payee: { bizUserId: 'buyer-1' }, purpose: 'recharge' });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const chart = (page: Page) => page.getByTestId('marketplace-trend');

  it('shows today’s cards in yuan with the time they were read, and switches the trend’s types and measure', async () => {
    const today = await manager.ok<Today>('GET', '/api/merchant/stats/marketplace/today?includeTest=1');
    expect(today.consumption.amount).toBeGreaterThanOrEqual(12_345);
    const { page, context } = await open({ locale: 'zh-CN' });
    const section = page.getByTestId('marketplace-stats');
    await expect
      .poll(() => page.getByTestId('marketplace-consumption').innerText())
      .toContain(shown(today.consumption.amount));
    expect(await page.getByTestId('marketplace-consumption').innerText()).toContain(
      `${today.consumption.count} 笔`,
    );
    expect(await page.getByTestId('marketplace-escrow').innerText()).toContain(shown(today.escrow.amount));
    expect(await page.getByTestId('marketplace-recharge').innerText()).toContain(
      shown(today.recharge.amount),
    );
    expect(await page.getByTestId('marketplace-inflow').innerText()).toContain(shown(today.inflow.amount));
    expect(await page.getByTestId('marketplace-withdrawal').innerText()).toContain('提现');
    expect(await page.getByTestId('marketplace-refund').innerText()).toContain('退款');
    expect(await page.getByTestId('marketplace-read-at').innerText()).toMatch(/^更新于 \d{2}:\d{2}:\d{2}$/);
    expect(await section.innerText()).toContain('市场');

    // Consumption, escrow and recharge by amount at first; one line each.
    await expect.poll(() => chart(page).getAttribute('data-kinds')).toBe('consumption,escrow,recharge');
    expect(await chart(page).getAttribute('data-metric')).toBe('amount');
    expect(await chart(page).locator('[role="img"]').getAttribute('data-series')).toBe('line,line,line');
    await page.screenshot({ path: `${SHOTS}/dashboard-desktop-zh.png`, fullPage: true });

    // Add transfers and withdrawals, take escrow away: the chart draws what is chosen.
    await page.getByRole('combobox', { name: '类型' }).click();
    const option = (name: string) =>
      page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: name });
    await option('转账').click();
    await option('提现').click();
    await option('担保').click();
    await page.keyboard.press('Escape');
    await expect
      .poll(() => chart(page).getAttribute('data-kinds'))
      .toBe('consumption,recharge,withdrawal,transfer');
    await expect
      .poll(() => chart(page).locator('[role="img"]').getAttribute('data-series'))
      .toBe('line,line,line,line');

    await page.getByTestId('marketplace-metric').getByText('笔数').click();
    await expect.poll(() => chart(page).getAttribute('data-metric')).toBe('count');
    await page.getByTestId('marketplace-metric').getByText('佣金').click();
    await expect.poll(() => chart(page).getAttribute('data-metric')).toBe('commission');
    // The lines finish drawing before the picture.
    await page.waitForTimeout(1_200);
    await section.screenshot({ path: `${SHOTS}/marketplace-desktop-zh.png` });
    await context.close();
  });

  it('is not on a cashier’s dashboard', async () => {
    const merchantId = (await t.platform.services.merchants.requireMerchant(t.demo.merchant.mchNo)).id;
    const cashier = await merchantConsole(t, { merchantId, merchantRole: 'cashier' });
    const { page, context } = await open({ locale: 'zh-CN', as: cashier });
    await expect.poll(() => page.getByTestId('dashboard-totals').isVisible()).toBe(true);
    await page.waitForTimeout(500);
    expect(await page.getByTestId('marketplace-stats').count()).toBe(0);
    await context.close();
  });

  for (const size of ['phone', 'desktop'] as const) {
    it(`fits on a ${size} in English, all of it translated`, async () => {
      const { page, context } = await open({ locale: 'en-US', mobile: size === 'phone' });
      const section = page.getByTestId('marketplace-stats');
      await expect.poll(() => section.innerText()).toContain('Marketplace');
      await expect.poll(() => page.getByTestId('marketplace-read-at').innerText()).toMatch(/^Updated at /);
      await expect.poll(() => chart(page).getAttribute('data-kinds')).toBe('consumption,escrow,recharge');
      await section.scrollIntoViewIfNeeded();
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${SHOTS}/dashboard-${size}-en.png`, fullPage: size === 'phone' });
      expect(await page.evaluate(() => window.__qyMissingKeys ?? [])).toEqual([]);
      const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      expect(widths[0], 'scrolls sideways').toBeLessThanOrEqual(widths[1]!);
      // The section's own words are English (its figures are numbers and yuan).
      const text = await section.innerText();
      expect(text).not.toMatch(/[\u3400-\u9fff]/);
      for (const word of ['Recharge', 'Consumption', 'Escrow', 'Withdrawals', 'Refunds', "Today's in-flow"]) {
        expect(text).toContain(word);
      }
      await context.close();
    });
  }
});
