import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVERY_AGENT } from '../src/agents/service.ts';
import type { AccountRef } from '../src/ledger/types.ts';
import {
  adoptSession,
  launchBrowser,
  newPage,
  readmeScreenshots,
  WALKTHROUGH_TIMEOUT,
} from './support/browser.ts';
import { ConsoleClient, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * An agent's withdrawal in a real browser: it binds its settlement card on 结算卡 (with its login
 * password), goes from 佣金 to 提现, sees the arrival amount as it types, withdraws and follows the
 * progress to 已付款; on a phone the list stays inside the screen; the operator's 提现审核 shows the
 * withdrawal as an agent's. Screenshots go to the temp folder (browser-agent-withdrawals-<database>).
 */
describe.each(testDatabases)('agent withdrawals in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let admin: ConsoleClient;
  let agent: ConsoleClient;
  let agentNo = '';
  const agentPassword = `Hd-${uniqueName('pw')}7`;
  const shots = path.join(os.tmpdir(), `browser-agent-withdrawals-${database.kind}`);
  const url = (p: string) => `${t.platform.url}${p}`;
  const shoot = async (page: Page, name: string) => {
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
  };

  beforeAll(async () => {
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    admin = await operatorConsole(t);
    fs.mkdirSync(shots, { recursive: true });
    const s = t.platform.services;
    await s.db.query(
      `INSERT INTO platform_setting (key, value) VALUES ('settlement.settleTestOrders', 'true')
       ON CONFLICT (key) DO UPDATE SET value = 'true'`,
    );
    for (const id of t.channelAccountIds) {
      await s.catalog.updateChannelAccount(id, { config: { payoutOutcome: 'succeed' } });
    }
    const first = `Hd-${uniqueName('first')}7`;
    const username = uniqueName('aw_browser');
    agentNo = (
      await admin.ok<{ agentNo: string }>('POST', '/api/admin/agents', {
        name: '钱塘代理',
        manager: { username, password: first },
      })
    ).agentNo;
    agent = new ConsoleClient(t.platform.url);
    expect(await agent.login('agent', username, first, { newPassword: agentPassword })).toBe('active');
    // ¥500.00 of settled commission, credited as the commission settlement would.
    const agentId = (await s.agents.requireAgent(agentNo, EVERY_AGENT)).id;
    const clearing: AccountRef = {
      kind: 'channel_clearing',
      ownerId: t.channelAccountIds[0]!,
      currency: 'CNY',
    };
    const available: AccountRef = { kind: 'agent_available', ownerId: agentId, currency: 'CNY' };
    await s.ledger.openAccounts([clearing, available]);
    await s.db.tx((q) =>
      s.ledger.post(q, {
        kind: 'agent_settlement',
        reference: `browser-credit-${agentNo}`,
        idempotencyKey: `browser_credit:${agentNo}`,
        legs: [
          { account: clearing, amount: -50_000n },
          { account: available, amount: 50_000n },
        ],
      }),
    );
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('binds a card, withdraws from 佣金 with the arrival amount shown, and follows it to 已付款', async () => {
    const { page, context } = await newPage(browser, { locale: 'zh-CN' });
    await adoptSession(context, t.platform.url, agent);

    // ---- 结算卡: bind one with the login password ----
    await page.goto(url('/agent/bank-cards'));
    await page.getByTestId('bind-card').click();
    const bind = page.getByTestId('bind-card-form');
    await bind.getByLabel('账户名').fill('钱塘代理有限公司');
    await bind.getByLabel('银行账号').fill('6222 0200 1234 5678 901');
    await bind.getByLabel('开户银行').fill('工商银行');
    await bind.getByLabel('登录密码').fill(agentPassword);
    await page.getByRole('button', { name: '确认绑定' }).click();
    const cards = page.getByTestId('bank-card-table');
    await expect.poll(() => cards.innerText()).toContain('6222 **** **** 8901');
    expect(await cards.innerText()).not.toContain('62220200');
    await shoot(page, '1-agent-bank-cards');

    // ---- 佣金 → 提现: the dialog opens with the rules and the commission to withdraw ----
    await page.goto(url('/agent/commission'));
    await expect.poll(() => page.getByTestId('commission-withdrawable').innerText()).toContain('500.00');
    await page.getByTestId('commission-withdraw').click();
    const form = page.getByTestId('withdrawal-form');
    await expect.poll(() => form.getByTestId('withdrawal-available').innerText()).toContain('500.00');
    await form.getByLabel('提现金额').fill('120');
    await expect.poll(() => form.getByTestId('withdrawal-arrival').innerText()).toContain('120.00');
    await form.getByLabel('登录密码').fill(agentPassword);
    await shoot(page, '2-agent-new-withdrawal');
    await readmeScreenshots(database.kind)(page, 'agent-new-withdrawal');
    await page.getByRole('button', { name: '确认提现' }).click();

    // ---- the drawer follows it to 已付款 ----
    const detail = page.getByTestId('withdrawal-detail');
    await expect.poll(() => detail.innerText(), { timeout: 20_000 }).toContain('已付款');
    expect(await detail.innerText()).toContain('6222 **** **** 8901');
    await shoot(page, '3-agent-withdrawal-paid');
    await context.close();

    const rules = await agent.ok<{ balance: { available: number; frozen: number } }>(
      'GET',
      '/api/agent/withdrawal-rules',
    );
    expect(rules.balance).toEqual({ currency: 'CNY', available: 38_000, frozen: 0 });
  });

  it('keeps the withdrawal list inside a phone’s screen', async () => {
    const { page, context } = await newPage(browser, { locale: 'zh-CN', mobile: true });
    await adoptSession(context, t.platform.url, agent);
    await page.goto(url('/agent/withdrawals'));
    await expect.poll(() => page.getByTestId('withdrawal-table').innerText()).toContain('120.00');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot(page, '4-agent-withdrawals-phone');
    await page.goto(url('/agent/bank-cards'));
    await expect.poll(() => page.getByTestId('bank-card-table').innerText()).toContain('8901');
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);
    await context.close();
  });

  it('has every string in English, the dialog and the card screen included', async () => {
    const missing = (page: Page) =>
      page.evaluate(() => (window as unknown as { __qyMissingKeys?: string[] }).__qyMissingKeys ?? []);
    const { page, context } = await newPage(browser, { locale: 'en-US', mobile: true });
    await adoptSession(context, t.platform.url, agent);
    // The consoles' language is the one the reader chose (remembered), Chinese until then.
    await context.addInitScript(() => window.localStorage.setItem('qy.lang', 'en-US'));
    await page.goto(url('/agent/withdrawals?new=1'));
    const form = page.getByTestId('withdrawal-form');
    await expect
      .poll(() => form.getByTestId('withdrawal-rules').innerText())
      .toContain('Available commission');
    await form.getByLabel('Amount').fill('10');
    await expect.poll(() => form.getByTestId('withdrawal-arrival').innerText()).toContain('10.00');
    await shoot(page, '6-agent-new-withdrawal-phone-en');
    expect(await missing(page)).toEqual([]);
    await page.goto(url('/agent/bank-cards'));
    await expect.poll(() => page.getByTestId('bank-card-table').innerText()).toContain('8901');
    await page.getByTestId('bind-card').click();
    await expect.poll(() => page.getByTestId('bind-card-form').isVisible()).toBe(true);
    expect(await missing(page)).toEqual([]);
    await page.goto(url('/agent/commission'));
    await expect.poll(() => page.getByTestId('commission-withdraw').innerText()).toContain('Withdraw');
    expect(await missing(page)).toEqual([]);
    await context.close();
  });

  it('shows the operator the withdrawal as an agent’s, with its tag, name and number', async () => {
    // One that waits for review: the review list opens on those.
    const s = t.platform.services;
    await s.withdrawals.rules.setDefaults({
      ...(await s.withdrawals.rules.defaults()),
      reviewThreshold: 30_000n,
    });
    const cards = await agent.ok<{ items: { id: string }[] }>('GET', '/api/agent/bank-cards');
    const waiting = await agent.ok<{ state: string; withdrawNo: string }>('POST', '/api/agent/withdrawals', {
      amount: 30_000,
      cardId: cards.items[0]!.id,
      password: agentPassword,
    });
    expect(waiting.state).toBe('reviewing');
    const { page, context } = await newPage(browser, { locale: 'zh-CN' });
    await adoptSession(context, t.platform.url, admin);
    await page.goto(url('/operator/withdrawals'));
    const owner = page.locator('[data-owner="agent"]').first();
    await expect.poll(() => owner.innerText()).toContain('代理商');
    expect(await owner.innerText()).toContain('钱塘代理');
    await expect.poll(() => page.locator('tbody').first().innerText()).toContain(agentNo);
    expect(await page.locator('tbody').first().innerText()).toContain(waiting.withdrawNo);
    await shoot(page, '5-operator-agent-withdrawal');
    await context.close();
  });
});
