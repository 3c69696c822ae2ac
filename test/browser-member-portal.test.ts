import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AccountRef } from '../src/ledger/types.ts';
import { adoptSession, launchBrowser, newPage, WALKTHROUGH_TIMEOUT } from './support/browser.ts';
import { ConsoleClient } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * The member portal in a real browser: the first login on the login page's member tab (phone, SMS
 * code, choosing the member, username and password), the normal login, 我的信息 with the balances,
 * 账户明细 with its detail drawer, binding a card and a withdrawal from 提现; then the same screens
 * on a 390×844 phone, logged in by phone number, with nothing scrolling sideways. Screenshots at
 * 1280×720 and on the phone go to the temp folder (browser-member-portal-<database>).
 */
describe.each(testDatabases)('member portal in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  const suffix = Date.now().toString().slice(-6);
  const phone = `137${suffix}88`;
  const username = `seller_${suffix}`;
  const password = `Hd-${suffix}-member7`;
  const sms: string[] = [];
  const shots = path.join(os.tmpdir(), `browser-member-portal-${database.kind}`);
  const url = (p: string) => `${t.platform.url}${p}`;
  const shoot = async (page: Page, name: string) => {
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
  };
  const noSidewaysScroll = (page: Page) =>
    page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

  beforeAll(async () => {
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    fs.mkdirSync(shots, { recursive: true });
    const s = t.platform.services;
    for (const id of t.channelAccountIds) {
      await s.catalog.updateChannelAccount(id, { config: { payoutOutcome: 'succeed' } });
    }
    vi.spyOn(s.consoleUsers.mailer, 'sendSms').mockImplementation(async (_phone, code) => {
      sms.push(code.code);
    });
    const merchant = await s.merchants.requireMerchant(t.demo.merchant.mchNo);
    const member = (
      await s.db.query<{ id: bigint }>(
        `INSERT INTO member (merchant_id, app_id, biz_user_id, member_no, type, name, phone, id_no_last4, state)
         SELECT $1, id, 'browser-seller', $2, 'enterprise', '云杉家具有限公司', $3, '0042', 'active'
         FROM merchant_app WHERE app_id = $4 RETURNING id`,
        [merchant.id, `MB${suffix}`, phone, t.demo.merchant.appId],
      )
    )[0]!;
    // ¥300.00 settled (簿记账户) and ¥45.00 pending, credited as the splits would.
    const clearing: AccountRef = {
      kind: 'channel_clearing',
      ownerId: t.channelAccountIds[0]!,
      currency: 'CNY',
    };
    for (const [kind, amount] of [
      ['member_available', 30_000n],
      ['member_pending', 4_500n],
    ] as const) {
      const account: AccountRef = { kind, ownerId: member.id, currency: 'CNY' };
      await s.ledger.openAccounts([clearing, account]);
      await s.db.tx((q) =>
        s.ledger.post(q, {
          kind: 'settlement',
          reference: `BROWSER-${kind}-${suffix}`,
          idempotencyKey: `browser_member:${kind}:${suffix}`,
          legs: [
            { account: clearing, amount: -amount },
            { account, amount },
          ],
        }),
      );
    }
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await browser?.close();
    await t?.stop();
  });

  it('sets the login up by SMS code, logs in, and shows 我的信息, 账户明细 and a withdrawal', async () => {
    const { page, context } = await newPage(browser, { locale: 'zh-CN' });
    await page.setViewportSize({ width: 1280, height: 720 });

    // ---- 首次登录 from the member tab ----
    await page.goto(url('/login?area=member'));
    await page.getByTestId('member-first-login-link').click();
    const first = page.getByTestId('member-first-login');
    await first.getByLabel('绑定手机号').fill(phone);
    await first.getByTestId('send-code').click();
    await expect.poll(() => sms.length).toBe(1);
    await first.getByLabel('短信验证码').fill(sms[0]!);
    await shoot(page, '1-first-login-code');
    await first.getByRole('button', { name: '下一步' }).click();
    await expect.poll(() => first.innerText()).toContain('云杉家具有限公司');
    expect(await first.innerText()).toContain('演示商户 Demo Merchant');
    expect(await first.innerText()).toContain('**************0042');
    await shoot(page, '2-first-login-choose');
    await first.getByRole('button', { name: '下一步' }).click();
    await first.getByLabel('用户名').fill(username);
    await first.getByLabel('新密码', { exact: true }).fill(password);
    await first.getByLabel('确认新密码').fill(password);
    await first.getByRole('button', { name: '完成设置' }).click();
    await expect.poll(() => first.innerText()).toContain('门户账号已设置');
    await first.getByRole('button', { name: '去登录' }).click();

    // ---- the normal login, the username filled in ----
    const login = page.getByTestId('login-form');
    await expect.poll(() => login.getByLabel('用户名').inputValue()).toBe(username);
    await login.getByLabel('密码').fill(password);
    await login.getByRole('button', { name: '登录' }).click();
    await page.waitForURL('**/member/me');

    // ---- 我的信息 ----
    await expect.poll(() => page.getByTestId('member-balances').innerText()).toContain('300.00');
    expect(await page.getByTestId('member-balances').innerText()).toContain('45.00');
    expect(await page.getByTestId('member-info').innerText()).toContain(`MB${suffix}`);
    expect(await page.getByTestId('withdraw-setting').innerText()).toContain('手动提现');
    expect(await noSidewaysScroll(page)).toBeLessThanOrEqual(0);
    await shoot(page, '3-my-information');

    // ---- 账户明细 and its detail ----
    await page.goto(url('/member/entries'));
    const table = page.getByTestId('entries-table');
    await expect.poll(() => table.innerText()).toContain(`BROWSER-member_available-${suffix}`);
    await table.getByRole('button', { name: '查看详情' }).first().click();
    await expect.poll(() => page.getByTestId('entry-detail').innerText()).toContain('变动后余额');
    await shoot(page, '4-account-entries');
    await page.keyboard.press('Escape');

    // ---- 银行卡, then 提现 ----
    await page.goto(url('/member/bank-cards'));
    await page.getByTestId('bind-card').click();
    const bind = page.getByTestId('bind-card-form');
    await bind.getByLabel('账户名').fill('云杉家具有限公司');
    await bind.getByLabel('银行账号').fill('6222 0200 5555 6666 777');
    await bind.getByLabel('开户银行').fill('工商银行');
    await bind.getByLabel('登录密码').fill(password);
    await page.getByRole('button', { name: '确认绑定' }).click();
    await expect.poll(() => page.getByTestId('bank-card-table').innerText()).toContain('6222 **** **** 6777');

    await page.goto(url('/member/withdrawals?new=1'));
    const form = page.getByTestId('withdrawal-form');
    await expect.poll(() => form.getByTestId('withdrawal-available').innerText()).toContain('300.00');
    await form.getByLabel('提现金额').fill('120');
    await form.getByLabel('登录密码').fill(password);
    await shoot(page, '5-new-withdrawal');
    await page.getByRole('button', { name: '确认提现' }).click();
    const detail = page.getByTestId('withdrawal-detail');
    await expect.poll(() => detail.innerText(), { timeout: 20_000 }).toContain('6222 **** **** 6777');
    await shoot(page, '6-withdrawal');
    await context.close();
  });

  it('logs in by phone number and fits a phone’s screen', async () => {
    const client = new ConsoleClient(t.platform.url);
    expect(await client.login('member', phone, password)).toBe('active');
    const { page, context } = await newPage(browser, { locale: 'zh-CN', mobile: true });
    await adoptSession(context, t.platform.url, client);
    await page.goto(url('/member/me'));
    await expect.poll(() => page.getByTestId('member-balances').innerText()).toContain('180.00');
    expect(await noSidewaysScroll(page)).toBeLessThanOrEqual(0);
    await shoot(page, '7-phone-my-information');
    await page.goto(url('/member/entries'));
    await expect.poll(() => page.getByTestId('entries-table').innerText()).toContain('120.00');
    expect(await noSidewaysScroll(page)).toBeLessThanOrEqual(0);
    await shoot(page, '8-phone-account-entries');
    await page.goto(url('/member/withdrawals'));
    await expect.poll(() => page.getByTestId('withdrawal-table').innerText()).toContain('120.00');
    expect(await noSidewaysScroll(page)).toBeLessThanOrEqual(0);
    await shoot(page, '9-phone-withdrawals');
    await context.close();
  });
});
