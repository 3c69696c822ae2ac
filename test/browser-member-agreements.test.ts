import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adoptSession, launchBrowser, newPage, WALKTHROUGH_TIMEOUT } from './support/browser.ts';
import { ConsoleClient } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * 待签协议 in a real browser: the demo member seller-1 finds the commission agreement a new rule
 * asks of it, reads it in the drawer, ticks that it agrees and signs, then downloads the signed
 * document; the merchant's 分账规则 shows the party 已签约 with the document; the merchant hands the
 * member's withdrawals to the marketplace and the member's 提现 says so; the screen in English
 * and on a 390×844 phone, nothing scrolling sideways. Screenshots go to the temp folder
 * (browser-member-agreements-<database>).
 */
describe.each(testDatabases)('member agreements in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let member: ConsoleClient;
  let manager: ConsoleClient;
  let ruleNo: string;
  const shots = path.join(os.tmpdir(), `browser-member-agreements-${database.kind}`);
  const url = (p: string) => `${t.platform.url}${p}`;
  const shoot = async (page: Page, name: string) => {
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
  };
  const noSidewaysScroll = (page: Page) =>
    page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

  beforeAll(async () => {
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    fs.mkdirSync(shots, { recursive: true });
    const s = t.platform.services;
    const demoMember = t.demo.member!;
    member = new ConsoleClient(t.platform.url);
    expect(await member.login('member', demoMember.username, demoMember.password)).toBe('active');
    manager = new ConsoleClient(t.platform.url);
    expect(
      await manager.login('merchant', t.demo.merchantManager.username, t.demo.merchantManager.password),
    ).toBe('active');
    const merchant = await s.merchants.requireMerchant(t.demo.merchant.mchNo);
    const rule = await s.splits.rules.createRule(merchant.id, {
      name: '设计师佣金',
      appId: t.demo.merchant.appId,
      receiver: { kind: 'payee' },
      parties: [
        {
          party: { kind: 'member', memberNo: demoMember.memberNo },
          basis: 'ppm',
          value: 80_000n,
          floor: 200n,
          cap: 3_000n,
        },
      ],
    });
    ruleNo = rule.ruleNo;
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('reads and signs a pending agreement, downloads it, and the merchant sees it signed', async () => {
    const { page, context } = await newPage(browser, { locale: 'zh-CN' });
    await page.setViewportSize({ width: 1280, height: 720 });
    await adoptSession(context, t.platform.url, member);
    await page.goto(url('/member/agreements'));
    const card = page.getByTestId('split-agreement').filter({ hasText: '设计师佣金' });
    await expect.poll(() => card.getAttribute('data-state')).toBe('pending');
    expect(await card.innerText()).toContain('订单金额的 8% (最低 ¥2.00, 最高 ¥30.00)');
    expect(await page.getByTestId('agreements-pending').innerText()).toContain('1 份协议待您签署');
    expect(await noSidewaysScroll(page)).toBeLessThanOrEqual(0);
    await shoot(page, '1-agreements-pending');

    await card.getByRole('button', { name: '阅读并签署' }).click();
    const text = page.getByTestId('agreement-text');
    await expect.poll(() => text.innerText()).toContain('按订单金额的 8%，不低于 2.00 元，不高于 30.00 元');
    expect(page.url()).toContain('agreement=');
    const sign = page.getByTestId('sign');
    expect(await sign.isDisabled()).toBe(true);
    await page.getByTestId('agree').click();
    await shoot(page, '2-agreement-read');
    await sign.click();
    await expect.poll(() => page.locator('.ant-message').innerText()).toContain('协议已签署');
    await expect.poll(() => text.innerText()).toContain('您已于');
    const download = page.waitForEvent('download');
    await page
      .locator('.ant-drawer-footer')
      .getByRole('link', { name: /下载协议/ })
      .click();
    const file = await download;
    const body = fs.readFileSync((await file.path())!, 'utf8');
    expect(body).toContain('分账抽佣协议');
    expect(body).toContain('签署方式：会员门户自助签署');
    await page.keyboard.press('Escape');
    await expect.poll(() => card.getAttribute('data-state')).toBe('signed');
    await shoot(page, '3-agreement-signed');
    await context.close();

    // The merchant's 分账规则: the party signed, its document downloadable.
    const merchantPage = await newPage(browser, { locale: 'zh-CN' });
    await merchantPage.page.setViewportSize({ width: 1280, height: 720 });
    await adoptSession(merchantPage.context, t.platform.url, manager);
    await merchantPage.page.goto(url('/merchant/split-rules'));
    const row = merchantPage.page.getByTestId('split-rule-table').locator('tr').filter({ hasText: ruleNo });
    await expect.poll(() => row.innerText()).toContain('已签约');
    expect(await row.getByTestId('split-agreement-document').getAttribute('href')).toMatch(
      new RegExp(`/api/merchant/split-rules/${ruleNo}/parties/\\d+/agreement-document$`),
    );
    await shoot(merchantPage.page, '4-merchant-split-rule-signed');

    // The member's drawer: its withdrawal setting, handed to the marketplace (应用方通过接口发起).
    const memberNo = t.demo.member!.memberNo;
    await merchantPage.page.goto(url(`/merchant/members/enterprise?member=${memberNo}`));
    const setting = merchantPage.page.getByTestId('member-withdraw-setting');
    await expect.poll(() => setting.innerText()).toContain('会员手动提现');
    await setting.getByTestId('edit-member-withdraw-setting').click();
    const dialog = merchantPage.page.getByRole('dialog').filter({ hasText: '修改提现设置' });
    await dialog.getByText('应用方通过接口发起').click();
    await dialog.getByRole('button', { name: /确\s*定/ }).click();
    await expect.poll(() => setting.innerText()).toContain('应用方通过接口发起');
    await shoot(merchantPage.page, '5-merchant-member-withdraw-setting');
    await merchantPage.context.close();

    // The member's 提现 says the marketplace withdraws for it, with no 新建提现.
    const memberPage = await newPage(browser, { locale: 'zh-CN' });
    await memberPage.page.setViewportSize({ width: 1280, height: 720 });
    await adoptSession(memberPage.context, t.platform.url, member);
    await memberPage.page.goto(url('/member/withdrawals'));
    await expect
      .poll(() => memberPage.page.getByTestId('withdraw-by-platform').innerText())
      .toContain('提现由应用方发起');
    expect(await memberPage.page.getByRole('button', { name: '新建提现' }).count()).toBe(0);
    await memberPage.context.close();
  });

  it('shows the agreements in English and on a phone', async () => {
    for (const [mobile, locale] of [
      [false, 'en-US'],
      [true, 'zh-CN'],
    ] as const) {
      const { page, context } = await newPage(browser, { locale, mobile });
      await context.addInitScript((language) => localStorage.setItem('qy.lang', language), locale);
      if (!mobile) await page.setViewportSize({ width: 1280, height: 720 });
      await adoptSession(context, t.platform.url, member);
      await page.goto(url('/member/agreements'));
      const card = page.getByTestId('split-agreement').first();
      await expect.poll(() => card.getAttribute('data-state')).toBe('signed');
      if (locale === 'en-US') {
        expect(await card.innerText()).toContain('8% of the order amount (at least ¥2.00, at most ¥30.00)');
        await card.getByRole('button', { name: 'Read the agreement' }).click();
        await expect
          .poll(() => page.getByTestId('agreement-text').innerText())
          .toContain('8% of the order amount, at least 2.00 yuan, at most 30.00 yuan');
      }
      expect(await noSidewaysScroll(page)).toBeLessThanOrEqual(0);
      await shoot(page, mobile ? '6-phone-agreements' : '6-agreements-english');
      await context.close();
    }
  });
});
