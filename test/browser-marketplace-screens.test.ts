import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adoptSession, exported, launchBrowser, newPage, WALKTHROUGH_TIMEOUT } from './support/browser.ts';
import { ConsoleClient } from './support/console.ts';
import { presentationOnly } from './support/databases.ts';
import { signRuleAgreements } from './support/members.ts';
import { axeFindings, chineseOutside } from './support/page-checks.ts';
import {
  eventually,
  payOnSandbox,
  signedCall,
  startTestPlatform,
  type TestPlatform,
} from './support/platform.ts';

vi.setConfig({ testTimeout: WALKTHROUGH_TIMEOUT });

/**
 * The merchant portal's marketplace screens (会员与分账) in the browser, against the real platform:
 * the demo's members (seller-1, seller-2, buyer-1), its split rule, and orders paid through the
 * signed API and the sandbox. The menu group, members (list, filters, opening one on the member's
 * behalf, its drawer with balances, card, agreement, entries with the balance after and their
 * export, freeze and unfreeze after a confirmation), split rules (rates in %, amounts in yuan,
 * agreement state and resending it, create, edit with the receiver fixed, disable), split records
 * (both tabs, the member picker) and escrow payments (partial and full confirmation, the linked
 * confirmations with their source). Then every screen on a phone and at 1280×720 in English:
 * nothing untranslated, no Chinese outside the data, no sideways scrolling, no serious axe finding.
 * Only what the browser shows is checked, so one database is enough (support/databases.ts).
 */

const DESKTOP = { width: 1280, height: 720 };
const SHOTS = '/tmp/marketplace-screens';

const SCREENS = [
  ['enterprise members', '/merchant/members/enterprise', 'member-table'],
  ['personal members', '/merchant/members/personal', 'member-table'],
  ['split rules', '/merchant/split-rules', 'split-rule-table'],
  ['split records', '/merchant/split-records', 'split-record-table-out'],
  ['escrow payments', '/merchant/escrows', 'escrow-table'],
] as const;

/** The demo's merchant, manager and members, and the rules' names: data, shown as they are in English too. */
const DATA = [
  '演示商户 Demo Merchant',
  '演示店长 Demo manager',
  '云杉家具有限公司',
  '李木',
  '赵小满',
  '王云杉',
  '平台抽佣 5%',
  '跨店佣金',
  '已签佣金',
  '固定收款',
  '沙箱银行 Sandbox Bank',
  '王五',
];

interface RuleView {
  ruleNo: string;
  name: string;
  parties: { id: string; party: { kind: string; memberNo?: string } }[];
}

describe.each(presentationOnly)('marketplace screens in the browser on $kind', (database) => {
  let t: TestPlatform;
  let browser: Browser;
  let manager: ConsoleClient;
  let appId: string;
  const run = `MS${Date.now().toString(36)}`;
  let seller1No: string;
  let seller2No: string;
  let rule: RuleView;
  /** A paid order split by `rule` (not escrow), an escrow order confirmed in the screen. */
  let splitOrderNo: string;
  let escrowOrderNo: string;
  let escrowNet: bigint;

  const signed = <T>(method: 'GET' | 'POST', pathWithQuery: string, payload?: unknown) =>
    signedCall<T>(t, method, pathWithQuery, payload);

  /** An order for seller-1 through the signed API, paid on the sandbox. */
  async function paidOrder(no: string, amount: number, terms: object) {
    const created = await signed<{ orderNo: string; payData: { value: string } }>('POST', '/api/v1/orders', {
      mchOrderNo: `${run}-${no}`,
      productCode: 'sandbox_qr',
      amount,
      subject: '商城订单',
      payee: { bizUserId: 'seller-1' },
      ...terms,
    });
    expect(created.status).toBe(201);
    expect(await payOnSandbox(created.body.payData.value)).toBe(200);
    return eventually(async () => {
      const order = await t.platform.services.orders.requireByOrderNo(created.body.orderNo);
      return order.state === 'paid' ? order : undefined;
    });
  }

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    t = await startTestPlatform(database);
    browser = await launchBrowser();
    appId = t.demo.merchant.appId;
    manager = new ConsoleClient(t.platform.url);
    expect(
      await manager.login('merchant', t.demo.merchantManager.username, t.demo.merchantManager.password),
    ).toBe('active');
    const s = t.platform.services;
    const merchant = await s.merchants.requireMerchant(t.demo.merchant.mchNo);
    const app = await s.merchants.orderingApp(merchant.id, appId);
    seller1No = (await s.members.requireByBizUserId(app.appDbId, 'seller-1')).member_no;
    seller2No = (await s.members.requireByBizUserId(app.appDbId, 'seller-2')).member_no;
    // A rule with a member party (its agreement awaits a signature) beside the demo's own.
    rule = await manager.ok<RuleView>('POST', '/api/merchant/split-rules', {
      name: '跨店佣金',
      appId,
      receiver: { kind: 'payee' },
      parties: [
        {
          party: { kind: 'member', memberNo: seller2No },
          basis: 'ppm',
          value: 100_000,
          floor: 100,
          cap: 5_000,
        },
        { party: { kind: 'merchant' }, basis: 'fixed', value: 250 },
      ],
    });
    // The order is split by the same terms in a rule seller-2 signed (a pending one takes no orders).
    const signedBody = {
      name: '已签佣金',
      appId,
      receiver: { kind: 'payee' },
      parties: [
        {
          party: { kind: 'member', memberNo: seller2No },
          basis: 'ppm',
          value: 100_000,
          floor: 100,
          cap: 5_000,
        },
        { party: { kind: 'merchant' }, basis: 'fixed', value: 250 },
      ],
    };
    const signedRule = await manager.ok<RuleView>('POST', '/api/merchant/split-rules', signedBody);
    await signRuleAgreements(s, signedRule.ruleNo);
    splitOrderNo = (await paidOrder('S', 20_000, { splitRuleNo: signedRule.ruleNo })).order_no;
    const demoRule = (await manager.ok<{ items: RuleView[] }>('GET', '/api/merchant/split-rules')).items.find(
      (r) => r.name === '平台抽佣 5%',
    )!;
    const escrow = await paidOrder('E', 10_000, { splitRuleNo: demoRule.ruleNo, escrow: true });
    escrowOrderNo = escrow.order_no;
    escrowNet = escrow.amount - escrow.fee;
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  async function open(opts: { locale: 'zh-CN' | 'en-US'; mobile?: boolean }) {
    const { page, context } = await newPage(browser, { locale: opts.locale, mobile: opts.mobile });
    if (!opts.mobile) await page.setViewportSize(DESKTOP);
    if (opts.locale === 'en-US') await context.addInitScript(() => localStorage.setItem('qy.lang', 'en-US'));
    await adoptSession(context, t.platform.url, manager);
    return { page, context };
  }

  const rows = (page: Page, testId: string) => page.getByTestId(testId).locator('tbody tr.ant-table-row');
  const yuan = (fen: bigint | number) =>
    `¥${(Number(fen) / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

  it('lists, filters, opens and changes members, and opens one on its behalf', async () => {
    const { page, context } = await open({ locale: 'zh-CN' });
    await page.goto(`${t.platform.url}/merchant/members/enterprise`);
    // The menu group and its five screens.
    const menu = page.locator('.ant-pro-sider-menu, .ant-menu').first();
    await expect.poll(() => menu.innerText()).toContain('会员与分账');
    for (const item of ['企业会员', '个人会员', '分账规则', '分账记录', '担保交易']) {
      await expect.poll(() => menu.innerText()).toContain(item);
    }

    // seller-1, the only enterprise member, with the split order's share pending.
    await expect.poll(() => rows(page, 'member-table').count()).toBe(1);
    const first = rows(page, 'member-table').first();
    await expect.poll(() => first.innerText()).toContain(seller1No);
    expect(await first.innerText()).toContain('云杉家具有限公司');
    expect(await first.innerText()).toContain('正常');
    await page.screenshot({ path: `${SHOTS}/members-desktop-zh.png` });

    // The state filter goes to the server: no frozen member, then all again.
    await page.getByLabel('状态').first().click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '已冻结' }).click();
    await page.getByRole('button', { name: /查\s*询/ }).click();
    await expect.poll(() => rows(page, 'member-table').count()).toBe(0);
    await page.getByRole('button', { name: /重\s*置/ }).click();
    await expect.poll(() => rows(page, 'member-table').count()).toBe(1);

    // The drawer: balances, details, card, agreement, entries and their export.
    const balances = await manager.ok<{ balances: { pending: number; available: number } }>(
      'GET',
      `/api/merchant/members/${seller1No}`,
    );
    expect(balances.balances.pending).toBeGreaterThan(0);
    await first.getByRole('button', { name: seller1No }).click();
    const detail = page.getByTestId('member-detail');
    await expect.poll(() => detail.innerText()).toContain('簿记账户');
    expect(page.url()).toContain(`member=${seller1No}`);
    await expect
      .poll(() => page.getByTestId('member-balances').innerText())
      .toContain(yuan(balances.balances.pending));
    expect(await detail.innerText()).toContain('王云杉');
    expect(await page.getByTestId('member-cards').innerText()).toContain('6222 **** **** 2001');
    expect(await page.getByTestId('member-agreements').innerText()).toContain('会员服务协议');
    const href = await page
      .getByTestId('member-agreements')
      .getByRole('link', { name: /下载协议/ })
      .getAttribute('href');
    expect(href).toMatch(new RegExp(`^/api/merchant/members/${seller1No}/agreements/\\d+/document$`));
    const document = await manager.call<string>('GET', href!);
    expect(document.status).toBe(200);
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SHOTS}/member-drawer-desktop-zh.png` });

    // Freeze, after its confirmation; then unfreeze: the member's state in the server follows.
    await detail.getByRole('button', { name: /冻\s*结/ }).click();
    const dialog = page.locator('.ant-modal-confirm');
    await expect.poll(() => dialog.innerText()).toContain(seller1No);
    await dialog.locator('.ant-btn-dangerous').click();
    await expect.poll(() => detail.innerText()).toContain('已冻结');
    const state = async () =>
      (await manager.ok<{ member: { state: string } }>('GET', `/api/merchant/members/${seller1No}`)).member
        .state;
    expect(await state()).toBe('frozen');
    await detail.getByRole('button', { name: /解\s*冻/ }).click();
    await page.locator('.ant-modal-confirm .ant-btn-primary').click();
    await expect.poll(state).toBe('active');

    await detail.getByRole('tab', { name: '账户明细' }).click();
    const entries = page.getByTestId('member-entries');
    await expect.poll(() => entries.innerText()).toContain(splitOrderNo);
    expect(await entries.innerText()).toContain('变动后余额');
    expect(await entries.innerText()).toContain(`+${yuan(balances.balances.pending)}`);
    await page.screenshot({ path: `${SHOTS}/member-entries-desktop-zh.png` });
    const file = await exported(page, 'member-entries-export', '导出 CSV');
    expect(file.name).toMatch(new RegExp(`^member-entries-${seller1No}-\\d{8}-\\d{6}\\.csv$`));
    expect(file.bytes.toString('utf8')).toContain(splitOrderNo);
    // Closed by its own button: after the download, the keyboard's focus may be outside the drawer.
    await page.locator('.ant-drawer-open .ant-drawer-close').click();
    await expect.poll(() => page.url()).not.toContain('member=');

    // A member the server cannot find says so in words.
    await page.goto(`${t.platform.url}/merchant/members/enterprise?member=M0000000999`);
    await expect.poll(() => page.getByTestId('member-detail').innerText()).toContain('找不到该会员');
    await page.keyboard.press('Escape');

    // A personal member opened on the member's behalf, in the demo app.
    await page.goto(`${t.platform.url}/merchant/members/personal`);
    await expect.poll(() => rows(page, 'member-table').count()).toBe(2);
    await page.getByTestId('member-create').click();
    const form = page.getByRole('dialog');
    await expect.poll(() => form.innerText()).toContain('新增个人会员');
    await form.getByLabel('会员标识').fill(`buyer-${run}`);
    await form.getByLabel('姓名').fill('王五');
    await form.getByLabel('手机号').fill('1380000');
    await form.getByRole('button', { name: /确\s*定/ }).click();
    await expect.poll(() => form.innerText()).toContain('请输入 11 位手机号');
    await form.getByLabel('手机号').fill('13800001111');
    await form.getByLabel('身份证号').fill('330102199001011234');
    await form.getByRole('button', { name: /确\s*定/ }).click();
    await expect.poll(() => page.locator('.ant-message').innerText()).toMatch(/会员 M\d+ 已开户/);
    await expect.poll(() => rows(page, 'member-table').count()).toBe(3);
    expect(await rows(page, 'member-table').first().innerText()).toContain('王五');
    const opened = await manager.ok<{ items: { bizUserId: string; name: string; source: string }[] }>(
      'GET',
      '/api/merchant/members?type=personal',
    );
    expect(opened.items[0]).toMatchObject({ bizUserId: `buyer-${run}`, name: '王五', source: 'portal' });
    await context.close();
  });

  it('shows split rules in % and yuan, resends an agreement, creates, edits and disables a rule', async () => {
    const { page, context } = await open({ locale: 'zh-CN' });
    await page.goto(`${t.platform.url}/merchant/split-rules`);
    const row = rows(page, 'split-rule-table').filter({ hasText: '跨店佣金' });
    await expect.poll(() => row.innerText()).toContain(rule.ruleNo);
    const text = await row.innerText();
    expect(text).toContain('10% (最低 ¥1.00, 最高 ¥50.00)');
    expect(text).toContain('¥2.50');
    expect(text).toContain('待签约');
    expect(text).toContain('李木');
    expect(await page.getByTestId('split-rule-table').innerText()).toContain('平台抽佣 5%');
    await page.screenshot({ path: `${SHOTS}/split-rules-desktop-zh.png` });

    // Resending the agreement: the time it was sent moves on.
    const sentAt = async () =>
      (await manager.ok<{ items: RuleView[] }>('GET', '/api/merchant/split-rules')).items.find(
        (r) => r.ruleNo === rule.ruleNo,
      )!.parties[0] as unknown as { agreementSentAt: string };
    const before = (await sentAt()).agreementSentAt;
    await row.getByRole('button', { name: '重发签约' }).click();
    await expect.poll(() => page.locator('.ant-message').innerText()).toContain('签约链接已重新发送');
    await expect.poll(async () => (await sentAt()).agreementSentAt).not.toBe(before);

    // A new rule: seller-1 receives, seller-2 takes 12.5% between ¥1 and ¥50, the merchant ¥2.50.
    await page.getByTestId('split-rule-create').click();
    const form = page.getByRole('dialog');
    await form.getByLabel('规则名称').fill(`固定收款 ${run}`);
    // The merchant's only app is chosen already.
    expect(await form.locator('.ant-select-selection-item').first().innerText()).toContain(appId);
    await form.getByText('指定会员').click();
    await form.getByLabel('收款会员号').fill(seller1No);
    await page.getByTestId('split-party-add').click();
    await page.getByTestId('split-party-add').click();
    const first = page.getByTestId('split-party').nth(0);
    const second = page.getByTestId('split-party').nth(1);
    await first.getByLabel('会员号').fill(seller2No);
    await first.getByLabel('比例').fill('12.5');
    await first.getByLabel('最低').fill('50');
    await first.getByLabel('最高').fill('1');
    await form.getByRole('button', { name: /确\s*定/ }).click();
    await expect.poll(() => form.innerText()).toContain('最高金额不能低于最低金额');
    await first.getByLabel('最低').fill('1');
    await first.getByLabel('最高').fill('50');
    await second.locator('.ant-select').nth(0).click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '商户（抽佣）' })
      .click();
    await second.locator('.ant-select').nth(1).click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '固定金额' })
      .click();
    await second.getByLabel('金额').fill('2.5');
    await page.screenshot({ path: `${SHOTS}/split-rule-form-desktop-zh.png` });
    await form.getByRole('button', { name: /确\s*定/ }).click();
    const created = rows(page, 'split-rule-table').filter({ hasText: `固定收款 ${run}` });
    await expect.poll(() => created.count()).toBe(1);
    expect(await created.innerText()).toContain('12.5% (最低 ¥1.00, 最高 ¥50.00)');
    const saved = (await manager.ok<{ items: RuleView[] }>('GET', '/api/merchant/split-rules')).items.find(
      (r) => r.name === `固定收款 ${run}`,
    )!;
    expect(saved).toMatchObject({
      receiver: { kind: 'member', memberNo: seller1No },
      parties: [
        {
          party: { kind: 'member', memberNo: seller2No },
          basis: 'ppm',
          value: 125_000,
          floor: 100,
          cap: 5_000,
        },
        { party: { kind: 'merchant' }, basis: 'fixed', value: 250 },
      ],
    });

    // Editing: the receiver shows, fixed; the parties come back as saved and the change is kept.
    await created.getByRole('button', { name: '编辑' }).click();
    const edit = page.getByRole('dialog');
    await expect.poll(() => edit.innerText()).toContain('编辑分账规则');
    expect(await edit.getByRole('radio', { name: '指定会员' }).isDisabled()).toBe(true);
    expect(await edit.getByLabel('收款会员号').inputValue()).toBe(seller1No);
    const parties = page.getByTestId('split-party');
    expect(await parties.count()).toBe(2);
    expect(await parties.nth(0).getByLabel('比例').inputValue()).toBe('12.5');
    expect(await parties.nth(0).getByLabel('最低').inputValue()).toBe('1.00');
    expect(await parties.nth(1).getByLabel('金额').inputValue()).toBe('2.50');
    await parties.nth(0).getByLabel('比例').fill('6');
    await parties.nth(1).getByRole('button', { name: '移除' }).click();
    await edit.getByRole('button', { name: /确\s*定/ }).click();
    await expect
      .poll(async () =>
        JSON.stringify(
          (await manager.ok<{ items: RuleView[] }>('GET', '/api/merchant/split-rules')).items.find(
            (r) => r.ruleNo === saved.ruleNo,
          )!.parties,
        ),
      )
      .toContain('"value":60000');

    // Disabling asks first.
    await created.getByRole('button', { name: '停用' }).click();
    await expect.poll(() => page.locator('.ant-modal-confirm').innerText()).toContain(`固定收款 ${run}`);
    await page.locator('.ant-modal-confirm .ant-btn-dangerous').click();
    await expect.poll(() => created.innerText()).toContain('启用');
    await context.close();
  });

  it('shows what was split out and, for a chosen member, what was split to it', async () => {
    const { page, context } = await open({ locale: 'zh-CN' });
    await page.goto(`${t.platform.url}/merchant/split-records`);
    const out = page.getByTestId('split-record-table-out');
    await expect.poll(() => out.innerText()).toContain(splitOrderNo);
    // The split order's three parts: seller-1's share, seller-2's 10% (¥20.00), the merchant's ¥2.50.
    const text = await out.innerText();
    expect(text).toContain('抽佣');
    expect(text).toContain('¥20.00');
    expect(text).toContain('¥2.50');
    expect(text).toContain('本商户');
    expect(text).toContain('待结算');
    await page.screenshot({ path: `${SHOTS}/split-records-desktop-zh.png` });

    await page.getByRole('tab', { name: '分给我的' }).click();
    await expect.poll(() => page.getByText('选择一个会员，查看分给该会员的分账').count()).toBe(1);
    await page.getByRole('combobox', { name: '会员' }).click();
    await page.keyboard.type('李');
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: seller2No })
      .click();
    await expect.poll(() => rows(page, 'split-record-table-in').count()).toBe(1);
    expect(await page.getByTestId('split-record-table-in').innerText()).toContain('¥20.00');
    await context.close();
  });

  it('confirms part of an escrow and then the rest, and shows its confirmations', async () => {
    const { page, context } = await open({ locale: 'zh-CN' });
    await page.goto(`${t.platform.url}/merchant/escrows`);
    const holding = rows(page, 'escrow-table').filter({ hasText: escrowOrderNo });
    await expect.poll(() => holding.innerText()).toContain('担保中');
    expect(await holding.innerText()).toContain(yuan(escrowNet));
    await page.screenshot({ path: `${SHOTS}/escrows-desktop-zh.png` });

    await holding.getByTestId('escrow-confirm').click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => page.getByTestId('escrow-held').innerText()).toBe(yuan(escrowNet));
    await dialog.getByLabel('确认金额').fill('150');
    await dialog.getByRole('button', { name: /确\s*定/ }).click();
    await expect.poll(() => dialog.innerText()).toContain(`确认金额不能超过担保中金额 ${yuan(escrowNet)}`);
    await dialog.getByLabel('确认金额').fill('30');
    await page.screenshot({ path: `${SHOTS}/escrow-confirm-desktop-zh.png` });
    await dialog.getByRole('button', { name: /确\s*定/ }).click();
    await expect.poll(() => holding.innerText()).toContain('部分确认');
    const listed = await manager.ok<{ items: { orderNo: string; released: number; state: string }[] }>(
      'GET',
      '/api/merchant/escrows',
    );
    expect(listed.items.find((e) => e.orderNo === escrowOrderNo)).toMatchObject({
      released: 3_000,
      state: 'partially_released',
    });

    // Empty confirms all that is still held.
    await holding.getByTestId('escrow-confirm').click();
    await expect.poll(() => page.getByTestId('escrow-held').innerText()).toBe(yuan(escrowNet - 3_000n));
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /确\s*定/ })
      .click();
    await expect.poll(() => holding.locator('[data-state="released"]').count()).toBe(1);
    expect(await holding.getByTestId('escrow-confirm').count()).toBe(0);

    // The linked query: both confirmations, made in the portal, and the splits each made.
    await holding.getByRole('button', { name: '关联查询' }).click();
    const detail = page.getByTestId('escrow-detail');
    await expect.poll(() => page.getByTestId('escrow-confirmation').count()).toBe(2);
    const text = await detail.innerText();
    expect(text).toContain('¥30.00');
    expect(text).toContain(yuan(escrowNet - 3_000n));
    expect(text).toContain('商户后台确认');
    expect(text).toContain('云杉家具有限公司');
    expect(text).toContain('本商户');
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SHOTS}/escrow-drawer-desktop-zh.png` });
    await context.close();
  });

  for (const size of ['phone', 'desktop'] as const) {
    it(`fits every marketplace screen on a ${size} in English, all of it translated`, async () => {
      const { page, context } = await open({ locale: 'en-US', mobile: size === 'phone' });
      const data = DATA;
      for (const [name, path, testId] of SCREENS) {
        await page.goto(`${t.platform.url}${path}`);
        await expect.poll(() => rows(page, testId).count()).toBeGreaterThan(0);
        await page.waitForTimeout(300);
        const slug = name.replace(/ /g, '-');
        await page.screenshot({ path: `${SHOTS}/${slug}-${size}-en.png`, fullPage: size === 'phone' });
        await expectFit(page, name, data);
      }
      // The drawers too: a member's, and an escrow's linked query.
      await page.goto(`${t.platform.url}/merchant/members/enterprise?member=${seller1No}`);
      await expect.poll(() => page.getByTestId('member-detail').innerText()).toContain('Book account');
      await page.waitForTimeout(400);
      await page.screenshot({ path: `${SHOTS}/member-drawer-${size}-en.png` });
      await expectFit(page, 'member drawer', data);
      await page.getByRole('tab', { name: 'Account entries' }).click();
      await expect.poll(() => page.getByTestId('member-entries').innerText()).toContain('Balance after');
      await page.screenshot({ path: `${SHOTS}/member-entries-${size}-en.png` });
      await expectFit(page, 'member entries', data);
      await page.goto(`${t.platform.url}/merchant/escrows`);
      await rows(page, 'escrow-table')
        .filter({ hasText: escrowOrderNo })
        .getByRole('button', { name: 'Confirmations' })
        .click();
      await expect.poll(() => page.getByTestId('escrow-detail').innerText()).toContain('The merchant portal');
      await page.waitForTimeout(400);
      await page.screenshot({ path: `${SHOTS}/escrow-drawer-${size}-en.png` });
      await expectFit(page, 'escrow drawer', data);
      await page.keyboard.press('Escape');
      await page.goto(`${t.platform.url}/merchant/split-rules`);
      await page.getByTestId('split-rule-create').click();
      await page.getByTestId('split-party-add').click();
      await page.waitForTimeout(400);
      await page.screenshot({ path: `${SHOTS}/split-rule-form-${size}-en.png` });
      await expectFit(page, 'split rule form', data);
      await context.close();
    });
  }

  /** Nothing untranslated, no Chinese outside `data`, no sideways scrolling, no serious axe finding. */
  async function expectFit(page: Page, name: string, data: string[]) {
    expect(await page.evaluate(() => window.__qyMissingKeys ?? []), name).toEqual([]);
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(widths[0], `${name} scrolls sideways`).toBeLessThanOrEqual(widths[1]!);
    expect(await chineseOutside(page, data), name).toEqual([]);
    expect(await axeFindings(page), name).toEqual([]);
  }
});
