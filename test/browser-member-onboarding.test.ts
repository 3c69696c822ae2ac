import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  adoptSession,
  confirmPopup,
  launchBrowser,
  newPage,
  readmeScreenshots,
  WALKTHROUGH_TIMEOUT,
} from './support/browser.ts';
import { ConsoleClient } from './support/console.ts';
import { presentationOnly } from './support/databases.ts';
import { axeFindings, chineseOutside } from './support/page-checks.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * Signing links in the browser: the merchant portal's 签约链接 screen at 1280×720 (create with the
 * link and its QR, the validity in local time, the state tags, revoke after a confirmation), then
 * the member's signing page on a 390×844 phone through every step — identity, licence image, phone
 * by SMS code, a card refused by the verifier and then bound, closing and reopening the link, the
 * agreement — to the opened member; then both in English: nothing untranslated, no Chinese outside
 * the data, no sideways scrolling, no serious axe finding. Only what the browser shows is checked,
 * so one database is enough (support/databases.ts). Screenshots go to /tmp/member-onboarding.
 */

const DESKTOP = { width: 1280, height: 720 };
const SHOTS = '/tmp/member-onboarding';
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
/** Data shown as it is in English too: the demo's merchant, the company and people typed in. */
const DATA = [
  '演示商户 Demo Merchant',
  '演示商户',
  '演示店长 Demo manager',
  '云杉家具有限公司',
  '陈云杉',
  '中国工商银行',
  '周小舟',
];

describe.each(presentationOnly)('member onboarding in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let manager: ConsoleClient;
  const sms: string[] = [];
  const suffix = Date.now().toString().slice(-6);
  const phone = `136${suffix}21`;
  const readme = readmeScreenshots(database.kind);
  const shoot = async (page: Page, name: string) => {
    await page.waitForTimeout(400);
    await page.screenshot({ path: `${SHOTS}/${name}.png` });
  };

  beforeAll(async () => {
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    fs.mkdirSync(SHOTS, { recursive: true });
    vi.spyOn(t.platform.services.consoleUsers.mailer, 'sendSms').mockImplementation(async (_phone, code) => {
      sms.push(code.code);
    });
    manager = new ConsoleClient(t.platform.url);
    expect(
      await manager.login('merchant', t.demo.merchantManager.username, t.demo.merchantManager.password),
    ).toBe('active');
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await browser?.close();
    await t?.stop();
  });

  let linkUrl = '';
  let spareUrl = '';

  it('creates, shows and revokes signing links in the merchant portal', async () => {
    const { page, context } = await newPage(browser, { locale: 'zh-CN' });
    await page.setViewportSize(DESKTOP);
    await adoptSession(context, t.platform.url, manager);
    // One link to revoke in the screen.
    const spare = await manager.ok<{ linkNo: string; url: string }>(
      'POST',
      '/api/merchant/member-onboarding-links',
      {
        name: '周小舟',
        type: 'personal',
      },
    );
    spareUrl = spare.url;
    await page.goto(`${t.platform.url}/merchant/members/links`);
    const table = page.getByTestId('onboarding-link-table');
    await expect.poll(() => table.innerText()).toContain(spare.linkNo);

    await page.getByTestId('onboarding-link-create').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('会员 ID').fill(`shop-${suffix}`);
    await dialog.getByLabel('会员类型').click();
    await page.locator('.ant-select-dropdown:visible').getByText('企业会员').click();
    await dialog.getByRole('button', { name: /确\s*定/ }).click();
    const created = page.getByTestId('onboarding-link-created');
    await created.waitFor();
    linkUrl = await page.getByTestId('onboarding-link-url').inputValue();
    expect(linkUrl).toMatch(/\/onboard\/[A-Za-z0-9_-]{40,}$/);
    expect(await created.locator('canvas, svg').count()).toBeGreaterThan(0);
    // Valid 7 days, said in local time.
    const expires = new Date(Date.now() + 7 * 86_400_000);
    expect(await created.innerText()).toContain(`${expires.getFullYear()}-`);
    await shoot(page, 'link-created');
    await readme(page, 'merchant-signing-link');
    await page.keyboard.press('Escape');

    await expect.poll(() => table.innerText()).toContain(`shop-${suffix}`);
    expect(await table.innerText()).toMatch(/剩余 6 天 2\d 小时/);
    const row = table.locator('tr', { hasText: spare.linkNo });
    expect(await row.innerText()).toContain('有效');
    await page.getByTestId(`revoke-${spare.linkNo}`).click();
    await confirmPopup(page);
    await expect.poll(() => row.innerText()).toContain('已作废');
    await shoot(page, 'links-1280');
    await readme(page, 'merchant-signing-links');
    await context.close();
  });

  it('walks the signing page on a phone through every step, resuming after it was closed', async () => {
    const { page, context } = await newPage(browser, { mobile: true, locale: 'zh-CN' });
    await page.goto(linkUrl);
    await expect.poll(() => page.getByTestId('onboard-steps').innerText()).toContain('身份信息');
    expect(await page.getByTestId('onboard-valid-until').innerText()).toMatch(
      /链接有效期至 \d{4}-\d\d-\d\d \d\d:\d\d/,
    );
    // The merchant asked for a company: the type is fixed.
    expect(await page.getByRole('radio', { name: '企业' }).isChecked()).toBe(true);
    await page.getByLabel('企业名称').fill('云杉家具有限公司');
    await page.getByLabel('统一社会信用代码').fill('91330100MA2B3C5D7X');
    await page.getByLabel('法人姓名').fill('陈云杉');
    // The sandbox verifier refuses an ID number ending in 4: the step says so and can be retried.
    await page.getByLabel('法人身份证号').fill('110101199003070024');
    await shoot(page, 'phone-1-identity');
    await page.getByTestId('onboard-identity-submit').click();
    await expect.poll(() => page.locator('.ant-alert-error').innerText()).toContain('实名认证未通过');
    await page.getByLabel('法人身份证号').fill('110101199003070011');
    await page.getByTestId('onboard-identity-submit').click();

    // Licence: a PNG, then 下一步.
    await page.getByTestId('onboard-upload-licence').waitFor();
    await page
      .locator('input[type=file]')
      .first()
      .setInputFiles({ name: 'licence.png', mimeType: 'image/png', buffer: PNG });
    await expect.poll(() => page.locator('main').innerText()).toContain('已上传');
    await shoot(page, 'phone-2-licence');
    await page.getByTestId('onboard-licence-next').click();

    // Phone by SMS code.
    await page.getByLabel('手机号').fill(phone);
    await page.getByTestId('onboard-send-code').click();
    await expect.poll(() => sms.length).toBe(1);
    await page.getByLabel('短信验证码').fill(sms[0]!);
    await shoot(page, 'phone-3-phone');
    await readme(page, 'member-onboarding-phone');
    await page.getByTestId('onboard-phone-submit').click();
    await page.getByTestId('onboard-card-submit').waitFor();

    // The member closes the page and opens the link again: it resumes at the card.
    await page.close();
    const again = await context.newPage();
    await again.goto(linkUrl);
    await again.getByTestId('onboard-card-submit').waitFor();
    expect(
      await again.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);

    await again.getByLabel('银行卡号').fill('6222 0202 0011 0004');
    await again.getByLabel('开户银行').fill('中国工商银行');
    await again.getByTestId('onboard-card-submit').click();
    await expect.poll(() => again.locator('.ant-alert-error').innerText()).toContain('实名认证未通过');
    await again.getByLabel('银行卡号').fill('6222 0202 0011 2233');
    await again.getByTestId('onboard-card-submit').click();

    const text = again.getByTestId('onboard-agreement-text');
    await text.waitFor();
    expect(await text.innerText()).toContain('会员');
    expect(await again.locator('main').innerText()).toContain('中国工商银行 尾号 2233');
    await again.getByTestId('onboard-sign').click();
    expect(await again.locator('main').innerText()).toContain('请先勾选同意协议');
    await again.getByTestId('onboard-agree').click();
    await shoot(again, 'phone-4-agreement');
    await again.getByTestId('onboard-sign').click();
    const done = again.getByTestId('onboard-done');
    await done.waitFor();
    const memberNo = /M\d+/.exec(await done.innerText())![0];
    await shoot(again, 'phone-5-done');

    // The member is open and active, with its agreement and card; the link is done.
    const detail = await manager.ok<{
      member: { bizUserId: string; state: string; source: string };
      cards: unknown[];
      agreements: { signedVia: string }[];
    }>('GET', `/api/merchant/members/${memberNo}`);
    expect(detail.member).toMatchObject({
      bizUserId: `shop-${suffix}`,
      state: 'active',
      source: 'self_service',
    });
    expect(detail.cards).toHaveLength(1);
    expect(detail.agreements.map((a) => a.signedVia)).toEqual(['self_service']);
    await context.close();
  });

  it('shows the signing page and the links screen in English on a phone and at 1280×720', async () => {
    const fresh = await manager.ok<{ url: string }>('POST', '/api/merchant/member-onboarding-links', {});
    for (const mobile of [true, false]) {
      const { page, context } = await newPage(browser, { mobile, locale: 'en-US' });
      if (!mobile) await page.setViewportSize(DESKTOP);
      await page.addInitScript(() => localStorage.setItem('qy.lang', 'en-US'));
      await page.goto(fresh.url);
      await expect.poll(() => page.getByTestId('onboard-steps').innerText()).toContain('Identity');
      await shoot(page, `identity-${mobile ? 'phone' : '1280'}-en`);
      await expectFit(page, 'signing page');
      // A revoked link says so in words; a used one shows its result.
      await page.goto(spareUrl);
      await expect
        .poll(() => page.locator('main').innerText())
        .toContain('The merchant revoked this signing link');
      await expectFit(page, 'revoked link');
      await page.goto(linkUrl);
      await expect.poll(() => page.locator('main').innerText()).toContain('Signed up');
      await expectFit(page, 'used link');
      await adoptSession(context, t.platform.url, manager);
      await page.goto(`${t.platform.url}/merchant/members/links`);
      await expect.poll(() => page.getByTestId('onboarding-link-table').innerText()).toContain('Revoked');
      await shoot(page, `links-${mobile ? 'phone' : '1280'}-en`);
      await expectFit(page, 'links screen');
      await context.close();
    }
  });

  /** Nothing untranslated, no Chinese outside the data, no sideways scrolling, no serious axe finding. */
  async function expectFit(page: Page, name: string) {
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => window.__qyMissingKeys ?? []), name).toEqual([]);
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(widths[0], `${name} scrolls sideways`).toBeLessThanOrEqual(widths[1]!);
    expect(await chineseOutside(page, DATA), name).toEqual([]);
    expect(await axeFindings(page), name).toEqual([]);
  }
});
