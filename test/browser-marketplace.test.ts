import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ledgerReport } from '../src/app/platform.ts';
import type { AccountRef } from '../src/ledger/types.ts';
import { DEFAULT_WITHDRAWAL_RULES } from '../src/withdrawals/rules.ts';
import { adoptSession, launchBrowser, newPage, WALKTHROUGH_TIMEOUT } from './support/browser.ts';
import { ConsoleClient } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import {
  eventually,
  payOnSandbox,
  signedCall,
  startTestPlatform,
  type TestPlatform,
} from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT * 2 });

/** Withdrawals without fees or review, so the amounts below are exact. */
const RULES = {
  ...DEFAULT_WITHDRAWAL_RULES,
  minAmount: 100n,
  fixedFee: 0n,
  feeRatePpm: 0,
  dailyCount: 1000,
  dailyAmount: 1_000_000_000n,
  reviewThreshold: 1_000_000n,
  windowStart: '00:00',
  windowEnd: '24:00',
};

const ORDER_AMOUNT = 10_000n;
/** The commission: 5% of the order amount, at least ¥3.00. */
const COMMISSION = 500n;
/** What the signed API names for seller-2 in the first confirmation. */
const SELLER2_PART = 2_000n;
const WITHDRAWAL = 5_000n;

const yuan = (fen: bigint) => `¥${(Number(fen) / 100).toFixed(2)}`;
const plainYuan = (fen: bigint) => (Number(fen) / 100).toFixed(2);

/**
 * Issue 17 end to end, on the demo: the merchant manager creates a split rule in 分账规则 (the
 * order's payee receives, the merchant takes 5% with a floor); a buyer pays an escrow order for
 * seller-1 through the signed API and the sandbox; it shows in 担保交易; the signed API confirms a
 * part named for seller-2 and the manager confirms the rest in the screen (seller-1 and the
 * merchant in proportion); the order and the members' shares settle; seller-1 logs in to the member
 * portal, sees the money in 我的信息 and 账户明细, and withdraws to its card; the payout goes through.
 * Every amount is checked to the fen and the ledger check is clean at the end. Screenshots at
 * 1280×720 and on a phone go to the temp folder (browser-marketplace-<database>).
 */
describe.each(testDatabases)('the marketplace end to end in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let manager: ConsoleClient;
  const run = `E2E${Date.now().toString(36)}`;
  const shots = path.join(os.tmpdir(), `browser-marketplace-${database.kind}`);
  const url = (p: string) => `${t.platform.url}${p}`;
  const services = () => t.platform.services;
  const shoot = async (page: Page, name: string) => {
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
  };
  const rows = (page: Page, testId: string) => page.getByTestId(testId).locator('tbody tr.ant-table-row');
  const noSidewaysScroll = (page: Page) =>
    page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  const balance = (kind: AccountRef['kind'], ownerId: bigint) =>
    services().ledger.balanceOf({ kind, ownerId, currency: 'CNY' });

  /** One call of the signed merchant API as the demo app. */
  const signed = <T>(method: 'GET' | 'POST', pathWithQuery: string, payload?: unknown) =>
    signedCall<T>(t, method, pathWithQuery, payload);

  beforeAll(async () => {
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    fs.mkdirSync(shots, { recursive: true });
    const s = services();
    await s.db.query(
      `INSERT INTO platform_setting (key, value) VALUES ('settlement.settleTestOrders', 'true')
       ON CONFLICT (key) DO UPDATE SET value = 'true'`,
    );
    await s.withdrawals.rules.setDefaults(RULES);
    for (const id of t.channelAccountIds) {
      await s.catalog.updateChannelAccount(id, { config: { payoutOutcome: 'succeed' } });
    }
    manager = new ConsoleClient(t.platform.url);
    expect(
      await manager.login('merchant', t.demo.merchantManager.username, t.demo.merchantManager.password),
    ).toBe('active');
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('splits an escrow payment between two sellers and the merchant, and seller-1 withdraws its share', async () => {
    const s = services();
    expect(t.demo.member?.username).toBe('seller1');
    const merchant = await s.merchants.requireMerchant(t.demo.merchant.mchNo);
    const app = await s.merchants.orderingApp(merchant.id, t.demo.merchant.appId);
    const seller1 = await s.members.requireByBizUserId(app.appDbId, 'seller-1');
    const seller2 = await s.members.requireByBizUserId(app.appDbId, 'seller-2');

    // ---- 分账规则: the manager creates the rule in the screen ----
    const { page, context } = await newPage(browser, { locale: 'zh-CN' });
    await page.setViewportSize({ width: 1280, height: 720 });
    await adoptSession(context, t.platform.url, manager);
    await page.goto(url('/merchant/split-rules'));
    // The demo's own rule is there already.
    await expect.poll(() => page.getByTestId('split-rule-table').innerText()).toContain('平台抽佣 5%');
    await page.getByTestId('split-rule-create').click();
    const form = page.getByRole('dialog');
    const ruleName = `抽佣 5% 保底 ${run}`;
    await form.getByLabel('规则名称').fill(ruleName);
    expect(await form.getByRole('radio', { name: '订单收款方' }).isChecked()).toBe(true);
    await page.getByTestId('split-party-add').click();
    const party = page.getByTestId('split-party').nth(0);
    await party.locator('.ant-select').nth(0).click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '商户（抽佣）' })
      .click();
    await party.getByLabel('比例').fill('5');
    await party.getByLabel('最低').fill('3');
    await shoot(page, '1-split-rule-form');
    await form.getByRole('button', { name: /确\s*定/ }).click();
    await expect.poll(() => page.getByTestId('split-rule-table').innerText()).toContain(ruleName);
    const rules = await manager.ok<{
      items: { ruleNo: string; name: string; receiver: { kind: string }; parties: unknown[] }[];
    }>('GET', '/api/merchant/split-rules');
    const rule = rules.items.find((r) => r.name === ruleName)!;
    expect(rule.receiver).toEqual({ kind: 'payee' });
    expect(rule.parties).toMatchObject([
      { party: { kind: 'merchant' }, basis: 'ppm', value: 50_000, floor: 300, cap: null },
    ]);
    await shoot(page, '2-split-rules');

    // ---- a buyer pays an escrow order for seller-1 (signed API, sandbox) ----
    const created = await signed<{ orderNo: string; payData: { value: string } }>('POST', '/api/v1/orders', {
      mchOrderNo: `${run}-1`,
      productCode: 'sandbox_qr',
      amount: Number(ORDER_AMOUNT),
      subject: '实木餐桌',
      payee: { bizUserId: 'seller-1' },
      splitRuleNo: rule.ruleNo,
      escrow: true,
    });
    expect(created.status).toBe(201);
    const orderNo = created.body.orderNo;
    expect(await payOnSandbox(created.body.payData.value)).toBe(200);
    const order = await eventually(async () => {
      const now = await s.orders.requireByOrderNo(orderNo);
      return now.state === 'paid' ? now : undefined;
    });
    const net = ORDER_AMOUNT - order.fee;
    expect(await balance('merchant_escrow', merchant.id)).toBe(net);

    // ---- 担保交易 shows it held ----
    await page.goto(url('/merchant/escrows'));
    const row = rows(page, 'escrow-table').filter({ hasText: orderNo });
    await expect.poll(() => row.innerText()).toContain('担保中');
    expect(await row.innerText()).toContain(yuan(net));
    await shoot(page, '3-escrows-holding');

    // ---- the signed API confirms a part named for seller-2 ----
    const first = await signed<{ state: string; released: number; held: number }>(
      'POST',
      `/api/v1/escrow/${orderNo}/confirm`,
      {
        confirmNo: `${run}-C1`,
        amount: Number(SELLER2_PART),
        splits: [{ bizUserId: 'seller-2', amount: Number(SELLER2_PART) }],
      },
    );
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      state: 'partially_released',
      released: Number(SELLER2_PART),
      held: Number(net - SELLER2_PART),
    });

    // ---- the manager confirms the rest in the screen ----
    await page.reload();
    await expect.poll(() => row.innerText()).toContain('部分确认');
    await row.getByTestId('escrow-confirm').click();
    await expect.poll(() => page.getByTestId('escrow-held').innerText()).toBe(yuan(net - SELLER2_PART));
    await shoot(page, '4-escrow-confirm');
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /确\s*定/ })
      .click();
    await expect.poll(() => row.locator('[data-state="released"]').count()).toBe(1);

    // The rest went in proportion to the rule: the merchant its part of the commission, seller-1 the remainder.
    const rest = net - SELLER2_PART;
    const merchantPart = (COMMISSION * rest) / net;
    const seller1Part = rest - merchantPart;
    expect(await balance('member_pending', seller1.id)).toBe(seller1Part);
    expect(await balance('member_pending', seller2.id)).toBe(SELLER2_PART);
    expect(await balance('merchant_escrow', merchant.id)).toBe(0n);

    // 担保消费关联查询: both confirmations, with their sources and splits.
    await row.getByRole('button', { name: '关联查询' }).click();
    const detail = page.getByTestId('escrow-detail');
    await expect.poll(() => page.getByTestId('escrow-confirmation').count()).toBe(2);
    const text = await detail.innerText();
    expect(text).toContain(`${run}-C1`);
    expect(text).toContain('接口确认');
    expect(text).toContain('商户后台确认');
    expect(text).toContain('李木');
    expect(text).toContain('云杉家具有限公司');
    expect(text).toContain('本商户');
    expect(text).toContain(yuan(seller1Part));
    expect(text).toContain(yuan(merchantPart));
    await shoot(page, '5-escrow-confirmations');
    await page.keyboard.press('Escape');

    // 分账记录: the three parts, from the escrow account.
    await page.goto(url('/merchant/split-records'));
    const records = page.getByTestId('split-record-table-out');
    await expect.poll(() => records.innerText()).toContain(orderNo);
    const recordText = await records.innerText();
    expect(recordText).toContain('担保账户');
    expect(recordText).toContain(yuan(SELLER2_PART));
    expect(recordText).toContain(yuan(seller1Part));
    await shoot(page, '6-split-records');

    // A phone: the escrows and their confirmations fit.
    const phone = await newPage(browser, { locale: 'zh-CN', mobile: true });
    await adoptSession(phone.context, t.platform.url, manager);
    await phone.page.goto(url('/merchant/escrows'));
    await expect.poll(() => phone.page.getByTestId('escrow-table').innerText()).toContain(orderNo);
    expect(await noSidewaysScroll(phone.page)).toBeLessThanOrEqual(0);
    await shoot(phone.page, '7-phone-escrows');
    await phone.context.close();
    await context.close();

    // ---- the order settles, then the members' shares ----
    await s.settlement.run();
    await s.splits.shares.settleMemberShares();
    expect(await balance('member_pending', seller1.id)).toBe(0n);
    expect(await balance('member_available', seller1.id)).toBe(seller1Part);
    expect(await balance('member_available', seller2.id)).toBe(SELLER2_PART);

    // ---- seller1 logs in to the member portal ----
    const member = await newPage(browser, { locale: 'zh-CN' });
    const mp = member.page;
    await mp.setViewportSize({ width: 1280, height: 720 });
    await mp.goto(url('/login?area=member'));
    const login = mp.getByTestId('login-form');
    await login.getByLabel('用户名').fill(t.demo.member!.username);
    await login.getByLabel('密码').fill(t.demo.member!.password);
    await login.getByRole('button', { name: '登录' }).click();
    await mp.waitForURL('**/member/me');

    // 我的信息: the share in the book account.
    await expect
      .poll(() => mp.getByTestId('balance-available').innerText())
      .toContain(plainYuan(seller1Part));
    expect(await mp.getByTestId('balance-pending').innerText()).toContain('0.00');
    await shoot(mp, '8-member-me');

    // 账户明细: the escrow release into pending and its settlement into the book account.
    await mp.goto(url('/member/entries'));
    const entries = mp.getByTestId('entries-table');
    await expect.poll(() => entries.innerText()).toContain(orderNo);
    expect(await entries.innerText()).toContain(plainYuan(seller1Part));
    await shoot(mp, '9-member-entries');

    // 提现: to its card.
    await mp.goto(url('/member/withdrawals?new=1'));
    const withdraw = mp.getByTestId('withdrawal-form');
    await expect
      .poll(() => withdraw.getByTestId('withdrawal-available').innerText())
      .toContain(plainYuan(seller1Part));
    await withdraw.getByLabel('提现金额').fill(plainYuan(WITHDRAWAL));
    await withdraw.getByLabel('登录密码').fill(t.demo.member!.password);
    await shoot(mp, '10-member-withdrawal-form');
    await mp.getByRole('button', { name: '确认提现' }).click();
    const withdrawal = mp.getByTestId('withdrawal-detail');
    await expect.poll(() => withdrawal.innerText(), { timeout: 20_000 }).toContain('**** 2001');
    await shoot(mp, '11-member-withdrawal');
    await member.context.close();

    // ---- the payout goes through ----
    const portal = new ConsoleClient(t.platform.url);
    expect(await portal.login('member', t.demo.member!.username, t.demo.member!.password)).toBe('active');
    const list = await portal.ok<{ items: { withdrawNo: string; amount: number; fee: number }[] }>(
      'GET',
      '/api/member/withdrawals',
    );
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ amount: Number(WITHDRAWAL), fee: 0 });
    const done = await eventually(async () => {
      const one = await portal.ok<{ state: string }>(
        'GET',
        `/api/member/withdrawals/${list.items[0]!.withdrawNo}`,
      );
      return ['succeeded', 'failed', 'rejected'].includes(one.state) ? one : undefined;
    }, 30_000);
    expect(done.state).toBe('succeeded');
    expect(await balance('member_available', seller1.id)).toBe(seller1Part - WITHDRAWAL);
    expect(await balance('member_frozen', seller1.id)).toBe(0n);
    expect(await balance('member_available', seller2.id)).toBe(SELLER2_PART);

    // The member portal on a phone: the balance after the withdrawal.
    const small = await newPage(browser, { locale: 'zh-CN', mobile: true });
    await adoptSession(small.context, t.platform.url, portal);
    await small.page.goto(url('/member/me'));
    await expect
      .poll(() => small.page.getByTestId('balance-available').innerText())
      .toContain(plainYuan(seller1Part - WITHDRAWAL));
    expect(await noSidewaysScroll(small.page)).toBeLessThanOrEqual(0);
    await shoot(small.page, '12-phone-member-me');
    await small.context.close();

    const report = await ledgerReport(s);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
