import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ledgerReport } from '../src/app/platform.ts';
import { addDays, localDate } from '../src/stats/time.ts';
import {
  adoptSession,
  confirmPopup,
  launchBrowser,
  readmeScreenshots,
  STEP_TIMEOUT,
  WALKTHROUGH_TIMEOUT,
  wallClock,
} from './support/browser.ts';
import { ConsoleClient, merchantConsole, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * The store manager's money screens in a real browser against the real server: a bank card bound
 * with the password, an order paid on the sandbox and settled (the demo is D0, platform mode), the
 * balance, a withdrawal above the review threshold typed in yuan with its fee and arrival amount
 * shown as typed, the operator's approval on the console's review screen, and the progress in the
 * manager's drawer until 已付款 with each step's local time. Screenshots (English) of the balance,
 * the withdrawal with its progress and the bank cards when QY_SCREENSHOTS=1.
 */

interface WithdrawalDetail {
  withdrawNo: string;
  state: string;
  amount: number;
  fee: number;
  arrivalAmount: number;
  card: { bankName: string; accountNoMasked: string };
  events: { state: string; at: string; reason: string | null }[];
}

interface Balance {
  available: number;
  pending: number;
  frozen: number;
  reserved: number;
  mode: string;
}

/** The browser's own local time of an instant, as the consoles write it (shell/format.ts dateTime). */
const localTime = (iso: string): string => wallClock(iso);

const yuanText = (fen: number) =>
  `¥${Math.floor(fen / 100).toLocaleString('en-US')}.${String(fen % 100).padStart(2, '0')}`;

describe.each(testDatabases)('the merchant portal money screens on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let admin: ConsoleClient;
  const shoot = readmeScreenshots(database.kind);

  beforeAll(async () => {
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    admin = await operatorConsole(t);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const url = (path: string) => `${t.platform.url}${path}`;

  async function contextOf(lang: 'zh-CN' | 'en-US', session?: ConsoleClient) {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 720 },
      deviceScaleFactor: 1,
      locale: lang,
    });
    await context.addInitScript((language) => localStorage.setItem('qy.lang', language), lang);
    if (session) await adoptSession(context, t.platform.url, session);
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    return { context, page };
  }

  /** Waits for the screen's requests and spinners to finish. */
  async function settle(page: Page) {
    await page.waitForLoadState('networkidle');
    await expect
      .poll(() => page.locator('.ant-spin-spinning:visible, .ant-skeleton-active:visible').count())
      .toBe(0);
  }

  it('binds a card, withdraws above the review threshold, and follows the withdrawal until 已付款', async () => {
    const { services } = t.platform;
    const manager = t.demo.merchantManager;
    const merchantId = (await services.merchants.requireMerchant(t.demo.merchant.mchNo)).id;
    let context: BrowserContext | undefined;
    let operatorContext: BrowserContext | undefined;
    let englishContext: BrowserContext | undefined;
    try {
      ({ context } = await contextOf('zh-CN'));
      const page = context.pages()[0]!;

      // ---- the manager logs in; the money screens are in the menu ----
      await page.goto(url('/login?area=merchant'));
      await page.getByLabel('用户名').fill(manager.username);
      await page.getByLabel('密码', { exact: true }).fill(manager.password);
      await page.getByRole('button', { name: '登录' }).click();
      await page.waitForURL(/\/merchant\//);

      // ---- bind a card with the login password ----
      await page.goto(url('/merchant/bank-cards'));
      await settle(page);
      await page.getByTestId('bind-card').click();
      const bind = page.getByTestId('bind-card-form');
      await bind.getByLabel('账户名').fill('演示商户');
      await bind.getByLabel('银行账号').fill('6217 0000 1111 2222 345');
      await bind.getByLabel('开户银行').fill('招商银行');
      await bind.getByLabel('开户支行').fill('深圳科技园支行');
      await bind.getByText('对公').click();
      // A wrong password is refused in the dialog, in words.
      await bind.getByLabel('登录密码').fill('not-the-password-1');
      await page.getByRole('button', { name: '确认绑定' }).click();
      await expect.poll(() => bind.locator('[data-error-code]').count()).toBe(1);
      await bind.getByLabel('登录密码').fill(manager.password);
      await page.getByRole('button', { name: '确认绑定' }).click();
      const cardTable = page.getByTestId('bank-card-table');
      await expect.poll(() => cardTable.innerText()).toContain('6217 **** **** 2345');
      expect(await cardTable.innerText()).not.toContain('6217000011112222345');
      const cards = await services.withdrawals.cards.list(merchantId);
      const card = cards.find((c) => c.account_last4 === '2345');
      expect(card?.state).toBe('active');

      // ---- an order paid on the sandbox, settled at once (D0) ----
      await paidSandboxOrder(t.client, { mchOrderNo: uniqueName('money'), amount: 50_000, subject: 'Money' });
      await admin.ok('POST', '/api/admin/settlement/run');
      const merchantUser = await merchantConsole(t, { merchantId, merchantRole: 'manager' });
      const balance = await merchantUser.ok<Balance>('GET', '/api/merchant/balance');
      expect(balance.mode).toBe('platform');
      expect(balance.available).toBeGreaterThan(20_000);

      await page.goto(url('/merchant/balance'));
      await settle(page);
      const balanceCards = page.getByTestId('balance-cards');
      await expect.poll(() => balanceCards.innerText()).toContain(yuanText(balance.available));
      expect(await page.getByTestId('settlement-terms').innerText()).toContain('D0');

      // ---- 提现 from the balance: the rules, the fee and arrival amount as typed ----
      await page.getByTestId('balance-withdraw').click();
      await page.waitForURL(/\/merchant\/withdrawals/);
      const form = page.getByTestId('withdrawal-form');
      await form.getByTestId('withdrawal-rules').waitFor();
      const rules = await form.getByTestId('withdrawal-rules').innerText();
      expect(rules).toContain('¥100.00'); // the demo's review threshold
      await form.getByLabel('提现金额').fill('200');
      await expect.poll(() => form.getByTestId('withdrawal-arrival').innerText()).toContain('到账金额');
      expect(await form.getByTestId('withdrawal-arrival').innerText()).toContain('平台审核');
      await form.getByRole('combobox', { name: '结算银行卡' }).click({ force: true });
      await page.locator('.ant-select-item-option', { hasText: '2345' }).first().click();
      await form.getByLabel('登录密码').fill(manager.password);
      await page.getByRole('button', { name: '确认提现' }).click();

      // The drawer opens on the new withdrawal: 未到付款日 (waiting for review).
      const drawer = page.getByTestId('withdrawal-detail');
      const progress = drawer.getByTestId('withdrawal-progress');
      await expect.poll(() => progress.getAttribute('data-state')).toBe('reviewing');
      const withdrawNo = new URL(page.url()).searchParams.get('withdrawal')!;
      expect(withdrawNo).toBeTruthy();
      const stepTimes = () => progress.locator('[data-step-time]').allInnerTexts();
      const created = await merchantUser.ok<WithdrawalDetail>(
        'GET',
        `/api/merchant/withdrawals/${withdrawNo}`,
      );
      expect([created.amount, created.card.accountNoMasked]).toEqual([20_000, '6217 **** **** 2345']);
      expect((await stepTimes())[0]).toBe(localTime(created.events[0]?.at ?? ''));
      expect(await drawer.innerText()).toContain('未到付款日');

      // ---- the operator approves it on the console's review screen ----
      const operator = await contextOf('zh-CN', admin);
      operatorContext = operator.context;
      const review = operator.page;
      await review.goto(url('/operator/withdrawals'));
      await settle(review);
      await review.getByTestId('withdrawal-table').locator('tr', { hasText: withdrawNo }).first().click();
      await review.getByTestId('withdrawal-detail').getByTestId('withdrawal-progress').waitFor();
      await review.locator('.ant-drawer').getByRole('button', { name: '审核通过' }).click();
      await confirmPopup(review);

      // ---- the manager's drawer follows it: 等待付款 → 付款已提交 → 已付款, each with its time ----
      // (The drawer asks every 3 s while the withdrawal is not final.)
      await expect.poll(() => progress.getAttribute('data-state'), { timeout: 30_000 }).toBe('succeeded');
      const paid = await merchantUser.ok<WithdrawalDetail>('GET', `/api/merchant/withdrawals/${withdrawNo}`);
      const at = (state: string) => paid.events.find((e) => e.state === state)?.at ?? '';
      expect(paid.events.map((e) => e.state)).toEqual(['reviewing', 'approved', 'submitted', 'succeeded']);
      expect(await stepTimes()).toEqual(
        ['reviewing', 'approved', 'submitted', 'succeeded'].map((s) => localTime(at(s))),
      );
      expect(await drawer.innerText()).toContain('已付款');
      expect(await drawer.innerText()).toContain('款项已付到银行卡');

      // The list says the same, in the seed's words.
      await page.keyboard.press('Escape');
      const listRow = page.getByTestId('withdrawal-table').locator(`tr[data-row-key="${withdrawNo}"]`);
      await expect.poll(() => listRow.innerText()).toContain('已付款');

      // ---- the account entries: the freeze and the payment, signed ----
      await page.goto(url('/merchant/account-entries'));
      await settle(page);
      const entries = page.getByTestId('account-entry-table');
      await expect.poll(() => entries.innerText()).toContain('提现冻结');
      expect(await entries.innerText()).toContain('\u2212¥200.00');
      // Paged by cursor like the order lists, with the matches counted.
      expect(await entries.getByTestId('cursor-pager-total').innerText()).toMatch(/^共 \d+ 条$/);
      const download = page.waitForEvent('download');
      await page.getByTestId('entries-export').click();
      await page.getByRole('menuitem', { name: '导出 CSV' }).click();
      expect((await download).suggestedFilename()).toMatch(/^account-entries-.*\.csv$/);
      expect((await ledgerReport(services)).ok).toBe(true);

      // ---- 对账单: a finished day's statement downloaded; today's waits for the day to end ----
      const today = localDate(new Date(), services.statements.timeZone);
      const yesterday = addDays(today, -1);
      await page.goto(url(`/merchant/statements?month=${yesterday.slice(0, 7)}`));
      await settle(page);
      const statements = page.getByTestId('statement-table');
      await expect.poll(() => statements.innerText()).toContain(yesterday);
      await shoot(page, 'merchant-statements');
      if (today.startsWith(yesterday.slice(0, 7))) {
        expect(await page.getByTestId(`statement-${today}-txt`).isDisabled()).toBe(true);
      }
      const statement = page.waitForEvent('download');
      await page.getByTestId(`statement-${yesterday}-txt`).click();
      const file = await statement;
      expect(file.suggestedFilename()).toBe(`statement-${t.demo.merchant.mchNo}-${yesterday}.txt`);
      expect(await fs.readFile((await file.path())!, 'utf8')).toContain(`商户号：${t.demo.merchant.mchNo}`);

      // ---- screenshots in English (the demo manager's session in an English profile) ----
      const english = new ConsoleClient(t.platform.url);
      expect(await english.login('merchant', manager.username, manager.password)).toBe('active');
      const en = await contextOf('en-US', english);
      englishContext = en.context;
      const shot = en.page;
      await shot.goto(url('/merchant/balance'));
      await settle(shot);
      await expect
        .poll(() => shot.getByRole('heading', { level: 1, name: 'Balance' }).isVisible())
        .toBe(true);
      await expect.poll(() => shot.getByTestId('balance-cards').innerText()).toContain('Available');
      await shoot(shot, 'merchant-balance');
      await shot.goto(url(`/merchant/withdrawals?withdrawal=${withdrawNo}`));
      await settle(shot);
      await expect
        .poll(() =>
          shot.getByTestId('withdrawal-detail').getByTestId('withdrawal-progress').getAttribute('data-state'),
        )
        .toBe('succeeded');
      await shoot(shot, 'merchant-withdrawal-progress');
      await shot.goto(url('/merchant/bank-cards'));
      await settle(shot);
      await expect
        .poll(() => shot.getByTestId('bank-card-table').innerText())
        .toContain('6217 **** **** 2345');
      await shoot(shot, 'merchant-bank-cards');
    } catch (e) {
      // What the manager's page showed when it failed, for the log reader.
      await context
        ?.pages()[0]
        ?.screenshot({ path: path.join(os.tmpdir(), 'browser-money-failure.png') })
        .catch(() => undefined);
      throw e;
    } finally {
      await operatorContext?.close();
      await englishContext?.close();
      await context?.close();
    }
  });
});
