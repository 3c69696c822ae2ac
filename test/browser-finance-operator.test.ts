import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  adoptSession,
  confirmPopup,
  launchBrowser,
  readmeScreenshots,
  STEP_TIMEOUT,
  WALKTHROUGH_TIMEOUT,
  wallClock,
} from './support/browser.ts';
import { type ConsoleClient, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * The operator's 结算管理 in a real browser (English UI, so the screenshots read without a CJK
 * font): a holiday set on the settlement calendar, a merchant's settlement terms changed, the demo
 * merchant's money settled with 立即结算, withdrawals waiting for review approved one by one and in
 * bulk, one rejected with a reason, and a payout marked failed with the completion password.
 * Saves docs/screenshots/operator-*.png when QY_SCREENSHOTS=1.
 */

const COMPLETION_PASSWORD = 'finance-completion-9';

interface Withdrawal {
  withdrawNo: string;
  state: string;
  reason: string | null;
}

describe.each(testDatabases)('operator finance screens on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let admin: ConsoleClient;
  let context: BrowserContext;
  let page: Page;
  const shoot = readmeScreenshots(database.kind);
  const url = (path: string) => `${t.platform.url}${path}`;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    admin = await operatorConsole(t);
    await admin.ok('PUT', '/api/admin/settings/completion-password', { password: COMPLETION_PASSWORD });
    context = await browser.newContext({
      viewport: { width: 1280, height: 720 },
      deviceScaleFactor: 1,
      locale: 'en-US',
    });
    await context.addInitScript(() => localStorage.setItem('qy.lang', 'en-US'));
    await adoptSession(context, t.platform.url, admin);
    page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  /** Waits for the screen's requests and spinners to finish. */
  async function settle() {
    await page.waitForLoadState('networkidle');
    await expect
      .poll(() => page.locator('.ant-spin-spinning:visible, .ant-skeleton-active:visible').count())
      .toBe(0);
  }

  /** A screenshot from the top of the page once the toasts are gone. */
  async function shootTop(name: string) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await expect.poll(() => page.locator('.ant-message-notice:visible').count(), { timeout: 8000 }).toBe(0);
    await shoot(page, name);
  }

  /** The OK of the pop-confirm that is open now. */
  let lostSubmit: { mock: { calls: unknown[] }; mockRestore: () => void };
  let heldQueries: { mockRestore: () => void } | undefined;
  let firstWithdrawNo = '';
  const withdrawal = (no: string) => admin.ok<Withdrawal>('GET', `/api/admin/withdrawals/${no}`);

  it('sets a holiday on the settlement calendar', async () => {
    await page.goto(url('/operator/settlement-calendar'));
    await settle();
    // A weekday of this month that is not today (today's cell is selected already).
    // Today in the browser's (the platform's) time zone, as a UTC calendar date to step through.
    const [y, m, d] = wallClock(new Date()).slice(0, 10).split('-').map(Number) as [number, number, number];
    const day = new Date(Date.UTC(y, m - 1, d <= 14 ? 20 : 8));
    while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() + 1);
    const date = day.toISOString().slice(0, 10);
    await page.locator(`[data-testid="settlement-calendar"] td[title="${date}"]`).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Company holiday');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() =>
        page.locator(`[data-testid="settlement-calendar"] [data-date="${date}"]`).getAttribute('data-kind'),
      )
      .toBe('holiday');
    const days = await admin.ok<
      { date: string; kind: string | null; name: string | null; businessDay: boolean }[]
    >('GET', `/api/admin/settlement/calendar?from=${date}&to=${date}`);
    expect(days[0]).toMatchObject({ kind: 'holiday', name: 'Company holiday', businessDay: false });
    await shootTop('operator-settlement-calendar');
  });

  it('settles the demo merchant now, then approves, bulk-approves and rejects withdrawals waiting for review', async () => {
    // Money to withdraw: paid sandbox orders, settled at once (the demo's terms are D0) by 立即结算.
    for (let i = 0; i < 3; i++) {
      await paidSandboxOrder(t.client, { mchOrderNo: uniqueName('fin'), amount: 40_000, subject: 'Finance' });
    }
    await page.goto(url('/operator/settlements'));
    await settle();
    await page.getByRole('button', { name: 'Settle now' }).click();
    await confirmPopup(page);
    // The run's answer, or the error it met (named here rather than timing out on the missing answer).
    const answer = page.getByTestId('settlement-run-answer');
    const error = page.locator('.ant-message-error');
    await answer.or(error).first().waitFor({ timeout: 60_000 });
    expect(await error.count(), (await error.allTextContents()).join(' ')).toBe(0);
    await shoot(page, 'operator-settlement-run');
    await page.getByRole('dialog').getByRole('button', { name: 'OK' }).click();
    await settle();
    await expect
      .poll(() => page.getByTestId('settlement-table').locator('tbody tr.ant-table-row').count())
      .toBeGreaterThan(0);

    // Four withdrawals above the demo's review threshold: each waits for review.
    const nos: string[] = [];
    for (let i = 0; i < 4; i++) {
      const w = await t.client.createWithdrawal({ mchWithdrawNo: uniqueName('w'), amount: 15_000 + i * 100 });
      expect(w.state).toBe('reviewing');
      nos.push(w.withdrawNo);
    }
    const [one, two, three, four] = nos as [string, string, string, string];

    await page.goto(url('/operator/withdrawals'));
    await settle();
    const table = page.getByTestId('withdrawal-table');
    for (const no of nos) await table.getByText(no).first().waitFor();
    await shoot(page, 'operator-withdrawals');

    // One from its drawer. Its payout never reaches the channel (the submit after the approval is
    // lost), so it stays open for the operator to mark failed below.
    lostSubmit = vi.spyOn(t.platform.services.payouts, 'submit').mockResolvedValueOnce(undefined);
    // The payout-query job would send it after 30 s (a payout never sent after its commit): on a
    // busy machine the walk reaches the mark-failed step later than that. Held until then.
    heldQueries = vi.spyOn(t.platform.services.payouts, 'queryPending').mockResolvedValue(0);
    firstWithdrawNo = one;
    await table.locator('tr', { hasText: one }).first().click();
    const drawer = page.getByTestId('withdrawal-detail');
    await drawer.getByTestId('withdrawal-progress').waitFor();
    await shoot(page, 'operator-withdrawal-detail');
    await page.getByRole('button', { name: 'Approve' }).click();
    await confirmPopup(page);
    await expect.poll(async () => (await withdrawal(one)).state).toBe('approved');
    expect(lostSubmit.mock.calls.length).toBe(1);
    lostSubmit.mockRestore();
    await page.getByTestId('withdrawal-payout').locator('[data-state="pending"]').waitFor();
    await shoot(page, 'operator-withdrawal-approved');
    await page.locator('.ant-drawer-close').click();
    await settle();

    // Two at once.
    await page.getByRole('checkbox', { name: two }).check();
    await page.getByRole('checkbox', { name: three }).check();
    await page.getByRole('button', { name: 'Approve selected' }).click();
    await confirmPopup(page);
    const result = page.getByTestId('bulk-result');
    await result.waitFor();
    await expect.poll(() => result.locator('[data-approved]').count()).toBe(2);
    await shoot(page, 'operator-withdrawals-bulk');
    await page.getByRole('dialog').getByRole('button', { name: 'OK' }).click();
    for (const no of [two, three]) expect((await withdrawal(no)).state).not.toBe('reviewing');

    // One rejected with its reason.
    await settle();
    await table.locator('tr', { hasText: four }).first().click();
    await page.getByTestId('withdrawal-detail').getByTestId('withdrawal-progress').waitFor();
    await page.getByRole('button', { name: 'Reject' }).click();
    const reject = page.getByRole('dialog', { name: /Reject withdrawal/ });
    await reject.getByLabel('Reason').fill('Bank card holder does not match the merchant');
    await reject.getByRole('button', { name: 'Reject' }).click();
    await expect.poll(async () => (await withdrawal(four)).state).toBe('rejected');
    expect((await withdrawal(four)).reason).toBe('Bank card holder does not match the merchant');
    await page.locator('.ant-drawer-close').click();
  });

  it("changes a merchant's settlement terms on its 结算 tab", async () => {
    const mchNo = t.demo.merchant.mchNo;
    await page.goto(url(`/operator/merchants/${mchNo}?tab=settlement`));
    await settle();
    const terms = page.getByTestId('merchant-terms');
    await terms.getByLabel('Risk reserve share').fill('5');
    await terms.getByLabel('Risk reserve days').fill('30');
    await terms.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(async () =>
        admin.ok<{ reservePpm: number; reserveDays: number }>(
          'GET',
          `/api/admin/merchants/${mchNo}/settlement-terms`,
        ),
      )
      .toMatchObject({ reservePpm: 50_000, reserveDays: 30 });
    await shootTop('operator-merchant-settlement');
  });

  it('marks a payout failed with the completion password', async () => {
    const list = await admin.ok<{ items: { payoutNo: string; state: string; withdrawNo: string }[] }>(
      'GET',
      '/api/admin/payouts?kind=withdrawal&pageSize=50',
    );
    const open = list.items.find((p) => p.withdrawNo === firstWithdrawNo);
    expect(open?.state, 'the payout of the first approved withdrawal, never submitted').toBe('pending');
    const payoutNo = open!.payoutNo;
    await page.goto(url(`/operator/payouts?payout=${payoutNo}`));
    await settle();
    await page.getByTestId('payout-detail').getByText(payoutNo).first().waitFor();
    await page.getByRole('button', { name: 'Mark failed' }).click();
    const dialog = page.getByRole('dialog', { name: /Mark failed/ });
    await dialog.getByLabel('Completion password').fill(COMPLETION_PASSWORD);
    await dialog.getByLabel('Reason').fill("The channel's support confirmed it was not paid");
    await shoot(page, 'operator-payout-mark-failed');
    await dialog.getByRole('button', { name: 'Mark failed' }).click();
    await expect
      .poll(async () => (await admin.ok<{ state: string }>('GET', `/api/admin/payouts/${payoutNo}`)).state)
      .toBe('failed');
    expect((await withdrawal(firstWithdrawNo)).state).toBe('failed');
    heldQueries?.mockRestore();
    await page.getByRole('dialog', { name: /Mark failed/ }).waitFor({ state: 'hidden' });
    await settle();
    await shoot(page, 'operator-payout-detail');
    await page.goto(url('/operator/payouts'));
    await settle();
    await shoot(page, 'operator-payouts');
    await page.goto(url('/operator/balances'));
    await settle();
    await shoot(page, 'operator-balances');
  });
});
