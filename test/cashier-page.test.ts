import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payFormOf, phaseOf, pickLanguage, publicStatus } from '../src/orders/cashier.ts';
import type { OrderRow } from '../src/orders/queries.ts';
import { launchBrowser, newPage } from './support/browser.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from './support/platform.ts';

describe('cashier page rules', () => {
  const at = (iso: string) => new Date(iso);
  const row = (patch: Partial<OrderRow>) =>
    ({
      state: 'paying',
      expires_at: at('2030-01-01T00:15:00Z'),
      closed_at: null,
      return_url: 'https://shop.example/done?id=1',
      ...patch,
    }) as OrderRow;

  it('tells an expiry from a close by the merchant', () => {
    const now = at('2030-01-01T00:10:00Z');
    expect(phaseOf(row({}), now)).toBe('open');
    expect(phaseOf(row({}), at('2030-01-01T00:15:00Z'))).toBe('expired');
    expect(phaseOf(row({ state: 'closed', closed_at: at('2030-01-01T00:15:02Z') }), now)).toBe('expired');
    expect(phaseOf(row({ state: 'closed', closed_at: at('2030-01-01T00:05:00Z') }), now)).toBe('closed');
    expect(phaseOf(row({ state: 'partially_refunded' }), now)).toBe('paid');
    expect(phaseOf(row({ state: 'refunded' }), now)).toBe('refunded');
    expect(phaseOf(row({ state: 'failed' }), now)).toBe('failed');
  });

  it('gives the return URL only once paid, and only an http(s) one', () => {
    const now = at('2030-01-01T00:10:00Z');
    expect(publicStatus(row({}), now).returnUrl).toBeNull();
    expect(publicStatus(row({ state: 'paid' }), now).returnUrl).toBe('https://shop.example/done?id=1');
    expect(publicStatus(row({ state: 'paid', return_url: 'javascript:alert(1)' }), now).returnUrl).toBeNull();
    expect(publicStatus(row({ state: 'closed' }), now).returnUrl).toBeNull();
  });

  it('speaks Chinese unless the browser prefers English', () => {
    expect(pickLanguage(undefined, undefined)).toBe('zh');
    expect(pickLanguage(undefined, 'en-US,en;q=0.9')).toBe('en');
    expect(pickLanguage(undefined, 'zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh');
    expect(pickLanguage(undefined, 'en;q=0.5,zh-TW;q=0.8')).toBe('zh');
    expect(pickLanguage(undefined, 'fr-FR,en;q=0.3')).toBe('en');
    expect(pickLanguage(undefined, 'fr-FR,de')).toBe('zh');
    expect(pickLanguage('en', 'zh-CN')).toBe('en');
  });
});

describe('a channel’s H5 form', () => {
  const formOf = (html: string) => payFormOf({ pay_data_type: 'form', pay_data_value: html });

  it('is reduced to its action, method and hidden fields, entities decoded', () => {
    const form = formOf(
      `<meta http-equiv="refresh" content="0;url=https://evil.example"><form name='f' action="https://gw.example/pay?a=1&amp;b=2" method='POST'>` +
        `<input type="hidden" name="biz" value="{&quot;x&quot;:&#34;1&#x22;}"><input name="visible" value="no">` +
        `<input type=hidden name="sign" value="abc=="><script>alert(1)</script><button>Pay</button></form>`,
    );
    expect(form?.action.href).toBe('https://gw.example/pay?a=1&b=2');
    expect(form?.method).toBe('post');
    expect(form?.fields).toEqual([
      ['biz', '{"x":"1"}'],
      ['sign', 'abc=='],
    ]);
  });

  it('is refused unless it is one form posting to an http(s) URL', () => {
    for (const html of [
      '<form action="javascript:alert(1)" method="post"></form>',
      '<form method="post"></form>',
      '<form action="https://a.example"></form><form action="https://b.example"></form>',
      '<form action="https://a.example" method="dialog"></form>',
      'no form at all',
    ]) {
      expect(formOf(html)).toBeNull();
    }
    expect(
      payFormOf({ pay_data_type: 'url', pay_data_value: '<form action="https://a.example"></form>' }),
    ).toBeNull();
  });
});

describe.each(testDatabases)('cashier page on $kind', (database) => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform(database);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const create = (mchOrderNo: string, extra: { returnUrl?: string } = {}) =>
    t.client.createOrder({
      mchOrderNo,
      productCode: 'sandbox_qr',
      amount: 12_345,
      subject: '测试商品 <b>Test</b>',
      notifyUrl: 'http://127.0.0.1:9/never',
      ...extra,
    });

  it('shows only the order’s public fields, under a nonce-only CSP', async () => {
    const order = await create('CASHIER-1', { returnUrl: 'https://shop.example/back' });
    const response = await fetch(order.cashierUrl);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('¥123.45');
    expect(html).toContain('演示商户');
    expect(html).toContain('测试商品 &lt;b&gt;Test&lt;/b&gt;');
    expect(html).toContain(order.orderNo);
    expect(html).toMatch(/data-testid="cashier-state"[^>]*>等待支付</);
    expect(html).toContain('<svg');
    expect(html).toContain(`href="${order.payData!.value.replaceAll('&', '&amp;')}"`);
    expect(html).toContain('去支付');
    // Every script and style carries the nonce, except the inert JSON data block.
    const tags = html.match(/<(script|style)\b[^>]*>/g) ?? [];
    for (const tag of tags) {
      if (!tag.includes('application/json')) expect(tag).toContain(`nonce="${nonce}"`);
    }
    expect(html).not.toMatch(/\son[a-z]+=/i);
    // Nothing of the integration or the other parties.
    for (const secret of [
      order.mchOrderNo,
      t.demo.merchant.appId,
      t.demo.merchant.mchNo,
      'shop.example',
      '127.0.0.1:9',
      'SBXDEMO',
    ]) {
      expect(html).not.toContain(secret);
    }
  });

  it('answers in English when the browser prefers it', async () => {
    const order = await create('CASHIER-EN');
    const html = await (
      await fetch(order.cashierUrl, { headers: { 'accept-language': 'en-US,en;q=0.9' } })
    ).text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('Waiting for payment');
    expect(html).toContain('Pay now');
  });

  it('reports the state, and the return URL once paid', async () => {
    const order = await create('CASHIER-2', { returnUrl: 'https://shop.example/back' });
    const statusUrl = `${order.cashierUrl}/status`;
    const open = await (await fetch(statusUrl)).json();
    expect(Object.keys(open).sort()).toEqual(['expiresAt', 'phase', 'returnUrl', 'serverTime', 'state']);
    expect(open).toMatchObject({ state: 'paying', phase: 'open', returnUrl: null });

    expect(await payOnSandbox(order.payData!.value)).toBe(200);
    const paid = await eventually(async () => {
      const s = await (await fetch(statusUrl)).json();
      return s.state === 'paid' ? s : undefined;
    });
    expect(paid).toMatchObject({ phase: 'paid', returnUrl: 'https://shop.example/back' });
    const html = await (await fetch(order.cashierUrl)).text();
    expect(html).toMatch(/data-testid="cashier-state"[^>]*>支付成功</);
    expect(html).not.toContain('class="qr"'); // no QR once paid
  });

  it('shows a close by the merchant as closed', async () => {
    const order = await create('CASHIER-3');
    await t.client.closeOrder(order.orderNo);
    const html = await (await fetch(order.cashierUrl)).text();
    expect(html).toMatch(/data-testid="cashier-state"[^>]*>订单已关闭</);
    expect(await (await fetch(`${order.cashierUrl}/status`)).json()).toMatchObject({
      state: 'closed',
      phase: 'closed',
    });
  });

  it('is not found for an unknown or malformed order number', async () => {
    expect((await fetch(`${t.platform.url}/cashier/P00000000000000000000`)).status).toBe(404);
    expect((await fetch(`${t.platform.url}/cashier/P00000000000000000000/status`)).status).toBe(404);
    expect((await fetch(`${t.platform.url}/cashier/..%2Fapi`)).status).toBe(404);
  });

  it('turns live into success in a browser, with no CSP violation, and returns to the merchant', async () => {
    const order = await create('CASHIER-BROWSER', { returnUrl: `${t.platform.url}/healthz?back=1` });
    const browser = await launchBrowser();
    try {
      const { page } = await newPage(browser, { mobile: true });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(order.cashierUrl);
      const state = page.getByTestId('cashier-state');
      await expect.poll(() => state.textContent()).toBe('等待支付');
      await expect.poll(() => page.locator('#countdown').textContent()).toMatch(/请在 \d+:\d\d 内完成支付/);
      expect(await page.locator('#pay-link').isVisible()).toBe(true);

      await payOnSandbox(order.payData!.value);
      await expect.poll(() => state.textContent(), { timeout: 10_000 }).toBe('支付成功');
      expect(await page.locator('#pay').isVisible()).toBe(false);
      await page.waitForURL(/\/healthz\?back=1$/, { timeout: 10_000 });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
