import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { QingyunClient } from '../sdk/index.ts';
import {
  adoptSession,
  exported,
  launchBrowser,
  newPage,
  readmeScreenshots,
  WALKTHROUGH_TIMEOUT,
} from './support/browser.ts';
import { ConsoleClient, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * The agent screens in a real browser: the operator opens a top-level agent with its first login
 * (the password shown once), gives it a rate (a rate below the channel cost is refused in words),
 * opens a sub-agent under it with a login of its own; the sub-agent signs in with the password it
 * was shown, and sees its home (its level, its rate) and the merchant it opens; a payment of that
 * merchant shows in both agents' commission, the sub-agent's home and both agents' orders.
 * Screenshots of each step go to the temp folder (browser-agents-<database>).
 */
describe.each(testDatabases)('agent screens in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let admin: ConsoleClient;
  const shots = path.join(os.tmpdir(), `browser-agents-${database.kind}`);
  const product = 'sandbox_qr';
  // The chain the first walk builds, which the second carries on with.
  let topNo = '';
  let subNo = '';
  let topLogin: { username: string; password: string } | null = null;
  let sub: ConsoleClient;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    admin = await operatorConsole(t);
    fs.mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const url = (p: string) => `${t.platform.url}${p}`;
  const readme = readmeScreenshots(database.kind);
  const shoot = async (page: Page, name: string) => {
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
  };

  /** Ticks 我已保存 in the show-once dialog (it may still be zooming in), reads a row, closes it. */
  async function takeSecret(page: Page): Promise<string> {
    const dialog = page.getByTestId('one-time-secret');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    const password = (await page.getByTestId('agent-password').innerText()).trim();
    const saved = page.getByRole('checkbox', { name: '我已保存' });
    await eventually(
      async () => {
        await saved.check({ timeout: 2_000 }).catch(() => undefined);
        return (await saved.isChecked()) || undefined;
      },
      10_000,
      'the 我已保存 box ticked',
    );
    await page.getByRole('button', { name: '完成' }).click();
    return password;
  }

  /** Fills and submits the 新建代理商 dialog that is open, with a first login. */
  async function fillAgentDialog(page: Page, name: string, username: string) {
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('代理商名称').fill(name);
    await dialog.getByLabel('联系人').fill('王经理');
    await dialog.getByLabel('登录用户名').fill(username);
    await dialog.getByRole('button', { name: '确定' }).click();
  }

  it('operator opens a top agent with a rate and a sub-agent; the sub-agent’s login sees its home and merchants', async () => {
    const { page, context } = await newPage(browser, { locale: 'zh-CN' });
    await adoptSession(context, t.platform.url, admin);

    // ---- a top-level agent with its first login ----
    await page.goto(url('/operator/agents'));
    await page.getByRole('button', { name: '新建一级代理商' }).click();
    const topUser = uniqueName('top');
    await fillAgentDialog(page, '华东一级代理', topUser);
    await shoot(page, '1-top-agent-password');
    const topPassword = await takeSecret(page);
    expect(topPassword).toMatch(/^(?=.*[A-Za-z])(?=.*\d)[A-Za-z\d]{16}$/);
    const table = page.getByTestId('agents-table');
    await table.getByRole('link', { name: '华东一级代理' }).click();
    await page.waitForURL(/\/operator\/agents\/A\d+/);
    topNo = /agents\/(A\d+)/.exec(page.url())![1]!;
    topLogin = { username: topUser, password: topPassword };

    // ---- its rate: below the channel cost is refused in words, then a rate that fits ----
    const rates = page.getByTestId('agent-rates');
    const setRate = async (percent: string) => {
      await rates.getByRole('button', { name: '添加产品费率' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('combobox', { name: '支付产品' }).click();
      await page.locator('.ant-select-item-option', { hasText: product }).first().click();
      await dialog.getByLabel('费率（%）').fill(percent);
      await dialog.getByRole('button', { name: '确定' }).click();
      return dialog;
    };
    const refused = await setRate('0.3');
    const toast = page.locator('.ant-message-notice').filter({ hasText: '费率须逐级不低于上一级' });
    await expect.poll(() => toast.count()).toBeGreaterThan(0);
    expect(await toast.first().innerText()).toMatch(/通道账户 #\d+ 的成本|低于上一级/);
    await shoot(page, '2-rate-refused');
    expect(await admin.ok<{ rates: unknown[] }>('GET', `/api/admin/agents/${topNo}`)).toMatchObject({
      rates: [],
    });
    await refused.getByLabel('费率（%）').fill('0.5');
    await refused.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => rates.locator('tbody').innerText()).toContain('0.5%');
    await shoot(page, '3-top-agent-rates');

    // ---- a sub-agent with its own login, from the agent's detail ----
    await page.getByRole('button', { name: '新建下级代理商' }).click();
    const subUser = uniqueName('sub');
    await fillAgentDialog(page, '杭州二级代理', subUser);
    const subPassword = await takeSecret(page);
    await page.getByRole('tab', { name: /下级代理商/ }).click();
    await expect.poll(() => page.locator('.ant-table-tbody').first().innerText()).toContain('杭州二级代理');
    await shoot(page, '4-sub-agents');
    const detail = await admin.ok<{ subAgents: { agentNo: string; depth: number }[] }>(
      'GET',
      `/api/admin/agents/${topNo}`,
    );
    expect(detail.subAgents).toEqual([expect.objectContaining({ depth: 2 })]);
    subNo = detail.subAgents[0]!.agentNo;
    await admin.ok('PUT', `/api/admin/agents/${subNo}/rates/${product}`, { ratePpm: 5500, fixedFee: 5 });
    await context.close();

    // ---- the sub-agent signs in with the password it was shown (and changes it, as it must) ----
    sub = new ConsoleClient(t.platform.url);
    expect(await sub.login('agent', subUser, subPassword, { newPassword: `Hz-${uniqueName('pw')}9` })).toBe(
      'active',
    );
    const agentSide = await newPage(browser, { locale: 'zh-CN' });
    await adoptSession(agentSide.context, t.platform.url, sub);
    const p = agentSide.page;
    await p.goto(url('/agent/home'));
    const self = p.getByTestId('agent-self');
    await expect.poll(() => self.innerText()).toContain(subNo);
    expect(await self.innerText()).toContain('2 级');
    expect(await self.innerText()).toContain(topNo);
    await expect.poll(() => p.getByTestId('home-rates').innerText()).toContain('0.55% + ¥0.05/笔');
    await shoot(p, '5-sub-agent-home');

    // ---- its merchants: one it opens itself, waiting for review, under it ----
    await p.goto(url('/agent/merchants'));
    await p.getByRole('button', { name: '新建商户' }).click();
    const dialog = p.getByRole('dialog');
    await dialog.getByLabel('商户名称').fill('西湖茶社');
    await dialog.getByRole('button', { name: '确定' }).click();
    const list = p.getByTestId('agent-merchants');
    await expect.poll(() => list.locator('tbody').innerText()).toContain('西湖茶社');
    const row = await list.locator('tbody tr', { hasText: '西湖茶社' }).innerText();
    expect(row).toContain('杭州二级代理');
    expect(row).toContain('待审核');
    await shoot(p, '6-sub-agent-merchants');

    // The home counts it.
    await p.goto(url('/agent/home'));
    await expect.poll(() => p.getByTestId('home-merchants').innerText()).toContain('1');
    await agentSide.context.close();
  });

  it('the sub-agent onboards a merchant, the operator approves it, a payment credits both agents and both portals show it', async () => {
    expect(subNo).not.toBe('');
    // ---- the sub-agent's application (its form's fields and documents, as the portal sends them) ----
    const body = {
      merchantType: 'company',
      merchantName: '西溪咖啡',
      legalName: '陈西溪',
      idNumber: '330106199001011234',
      licenceNo: '91330106MA2B000X7Q',
      contactName: '陈西溪',
      phone: '13900001111',
      email: 'xixi@example.com',
      businessCategory: '餐饮',
      cardHolder: '西溪咖啡有限公司',
      bankName: '招商银行',
      cardNo: '6225880112345678',
      rates: [{ productCode: product, ratePpm: 6000, fixedFee: 10 }],
    };
    const draft = await sub.ok<{ applicationNo: string }>('POST', '/api/agent/onboarding/applications', body);
    const base = `/api/agent/onboarding/applications/${draft.applicationNo}`;
    // Real images, so the reviewer's previews show them (a QR of the document's name will do).
    for (const kind of ['licence', 'id_front', 'id_back']) {
      const png = await QRCode.toBuffer(`${body.merchantName} ${kind}`, { width: 240 });
      await sub.ok('PUT', `${base}/documents/${kind}`, { content: png.toString('base64') });
    }
    await sub.ok('POST', `${base}/submit`);
    const agentSide = await newPage(browser, { locale: 'zh-CN' });
    await adoptSession(agentSide.context, t.platform.url, sub);
    await agentSide.page.goto(url('/agent/onboarding'));
    await expect.poll(() => agentSide.page.locator('tbody').first().innerText()).toContain('西溪咖啡');
    await shoot(agentSide.page, '7-sub-agent-onboarding');

    // ---- the operator approves it in the review drawer ----
    const { page, context } = await newPage(browser, { locale: 'zh-CN' });
    await adoptSession(context, t.platform.url, admin);
    await page.goto(url(`/operator/onboarding?application=${draft.applicationNo}`));
    const drawer = page.locator('.ant-drawer-content');
    await expect.poll(() => drawer.innerText()).toContain('西溪咖啡');
    await shoot(page, '8-operator-review');
    await readme(page, 'operator-onboarding-review');
    await drawer.getByRole('button', { name: '通过' }).click();
    const modal = page.getByRole('dialog').filter({ hasText: `通过进件 ${draft.applicationNo}` });
    await modal.getByRole('button', { name: '通过' }).click();
    await expect
      .poll(
        async () =>
          (
            await admin.ok<{ state: string }>(
              'GET',
              `/api/admin/onboarding/applications/${draft.applicationNo}`,
            )
          ).state,
      )
      .toBe('approved');
    await context.close();
    const approved = await admin.ok<{ mchNo: string }>(
      'GET',
      `/api/admin/onboarding/applications/${draft.applicationNo}`,
    );

    // ---- a payment of the new merchant, 100.00: fee 60 + 10 = 70; the sub-agent's 55 + 5 = 60, the top agent's 50: 10 each ----
    const services = t.platform.services;
    const { app, secret } = await services.merchants.createApp(approved.mchNo, { name: '西溪咖啡收款' });
    const client = new QingyunClient({
      baseUrl: t.platform.url,
      mchNo: approved.mchNo,
      appId: app.appId,
      key: { type: 'HMAC-SHA256', secret },
    });
    const order = await paidSandboxOrder(client, {
      mchOrderNo: uniqueName('xixi'),
      amount: 10_000,
      subject: '拿铁',
    });
    const profit = await services.db.query<{ level: number; amount: bigint }>(
      `SELECT p.level, p.amount FROM order_profit p JOIN pay_order o ON o.id = p.order_id
       WHERE o.order_no = $1 ORDER BY p.level`,
      [order.orderNo],
    );
    expect(profit.map((r) => [r.level, r.amount])).toEqual([
      [0, expect.any(BigInt)],
      [1, 10n],
      [2, 10n],
    ]);

    // ---- both portals show it ----
    await agentSide.page.goto(url('/agent/commission'));
    const subPanel = agentSide.page.getByTestId('commission');
    await expect.poll(() => subPanel.innerText()).toContain('0.10');
    await shoot(agentSide.page, '9-sub-agent-commission');
    await expect.poll(() => subPanel.innerText()).toContain('西溪咖啡');

    // ---- the home's figures for today and the trend (payments as bars), and the order with the commission ----
    await agentSide.page.goto(url('/agent/home'));
    const dashboard = agentSide.page.getByTestId('agent-dashboard');
    await expect.poll(() => dashboard.getByTestId('today-paidAmount').innerText()).toContain('100.00');
    await expect.poll(() => dashboard.getByTestId('today-paidCount').innerText()).toContain('1');
    await expect.poll(() => dashboard.getByTestId('today-commission').innerText()).toContain('0.10');
    await expect
      .poll(() =>
        dashboard.getByRole('img', { name: '每日成功金额、成功笔数与佣金' }).getAttribute('data-series'),
      )
      .toBe('bar,line,line');
    await shoot(agentSide.page, '9b-sub-agent-home');
    await agentSide.page.goto(url('/agent/orders'));
    const subRow = agentSide.page.getByTestId('agent-order-table').locator('tr', { hasText: order.orderNo });
    await expect.poll(() => subRow.innerText()).toContain('0.10');
    expect(await subRow.innerText()).toContain('支付成功');
    await shoot(agentSide.page, '9c-sub-agent-orders');
    await agentSide.context.close();

    const top = new ConsoleClient(t.platform.url);
    expect(
      await top.login('agent', topLogin!.username, topLogin!.password, {
        newPassword: `Hd-${uniqueName('pw')}7`,
      }),
    ).toBe('active');
    const topSide = await newPage(browser, { locale: 'zh-CN' });
    await adoptSession(topSide.context, t.platform.url, top);
    await topSide.page.goto(url('/agent/commission'));
    const topPanel = topSide.page.getByTestId('commission');
    await expect.poll(() => topPanel.innerText()).toContain('0.10');
    await expect.poll(() => topPanel.innerText()).toContain('西溪咖啡');
    await shoot(topSide.page, '10-top-agent-commission');
    await readme(topSide.page, 'agent-commission');
    // Its tables save as CSV and Excel: the merchant's line, and the payment among the entries.
    const byMerchant = await exported(topSide.page, 'commission-export-merchant', '导出 Excel');
    expect(byMerchant.name).toMatch(/-merchant-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.xlsx$/);
    expect(byMerchant.bytes.subarray(0, 2).toString()).toBe('PK');
    await expect.poll(() => topPanel.getByTestId('commission-export-entries').isEnabled()).toBe(true);
    const entries = (await exported(topSide.page, 'commission-export-entries', '导出 CSV')).bytes.toString();
    expect(entries.startsWith('\uFEFF')).toBe(true);
    expect(entries).toContain(order.orderNo);
    expect(entries).toContain('0.10');
    await topSide.page.goto(url('/agent/orders'));
    const topRow = topSide.page.getByTestId('agent-order-table').locator('tr', { hasText: order.orderNo });
    await expect.poll(() => topRow.innerText()).toContain('0.10');
    await topSide.context.close();
  });
});
