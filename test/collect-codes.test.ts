import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerReport } from '../src/app/platform.ts';
import { QR_OPTIONS } from '../src/collect/printables.ts';
import { type ConsoleClient, merchantConsole, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * Static merchant QR codes (PAY-8, MP-6) over real HTTP: the store manager opens and edits codes,
 * a cashier sees and prints only its own, another merchant sees none of them; the payer's page
 * refuses bad amounts and methods with stable codes and creates nothing, and a good submission
 * becomes one order (once, however often the form is sent) attributed to the code and its cashier,
 * paid through the sandbox with the ledger in balance.
 */

interface Refusal {
  code: string;
  message: string;
}

interface CodeView {
  id: string;
  code: string;
  url: string;
  name: string;
  appId: string;
  cashier: { id: string; username: string; displayName: string; enabled: boolean } | null;
  products: { productCode: string; productName: string; available: boolean }[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

interface CodeList {
  items: CodeView[];
  total: number;
}

const expectRefusal = (answer: { status: number; body: unknown }, status: number, code: string) =>
  expect({ status: answer.status, code: (answer.body as Refusal).code }).toEqual({ status, code });

/** The payer's browser: form posts, no redirects followed, so the 303 can be seen. */
interface PayerAnswer {
  status: number;
  location: string | null;
  html: string;
  headers: Headers;
}

/** A product for the tests: wx_* is shown as 微信 on the poster. */
const WX = 'wx_static_test';
/** A product that exists but is not open to merchant A. */
const CLOSED = 'closed_static_test';

describe.each(testDatabases)('static QR codes on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;
  let merchantA: bigint;
  let managerA: ConsoleClient;
  let cashierA: ConsoleClient;
  let cashierA2: ConsoleClient;
  let managerB: ConsoleClient;
  let mchNoB: string;
  let appB: string;
  let cashierB: bigint;
  /** The code every payer test uses: merchant A's, assigned to cashier A, sandbox_qr and WX. */
  let counter: CodeView;

  const services = () => t.platform.services;
  const count = async (sql: string, params: (string | bigint)[] = []) =>
    Number(
      (await services().db.query<{ n: bigint }>(`SELECT count(*)::bigint AS n FROM ${sql}`, params))[0]!.n,
    );
  const ordersOf = (codeId: string) => count('pay_order WHERE collect_code_id = $1', [codeId]);

  const payer = async (
    path: string,
    opts: { form?: Record<string, string>; lang?: string } = {},
  ): Promise<PayerAnswer> => {
    const response = await fetch(`${t.platform.url}${path}`, {
      method: opts.form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        'accept-language': opts.lang ?? 'zh-CN,zh;q=0.9',
        ...(opts.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: opts.form ? new URLSearchParams(opts.form).toString() : undefined,
    });
    return {
      status: response.status,
      location: response.headers.get('location'),
      html: await response.text(),
      headers: response.headers,
    };
  };
  const tokenOf = (html: string) => /name="token" value="([a-z2-7]{20})"/.exec(html)?.[1] ?? '';
  const errorCodeOf = (html: string) => /data-error-code="([A-Z_]+)"/.exec(html)?.[1] ?? null;
  const freshToken = async (code: string) => tokenOf((await payer(`/pay/${code}`)).html);

  beforeAll(async () => {
    t = await startTestPlatform(database);
    const s = services();
    admin = await operatorConsole(t);
    merchantA = (await s.merchants.requireMerchant(t.demo.merchant.mchNo)).id;
    managerA = await merchantConsole(t, { merchantId: merchantA, merchantRole: 'manager' });
    cashierA = await merchantConsole(t, { merchantId: merchantA, merchantRole: 'cashier' });
    cashierA2 = await merchantConsole(t, { merchantId: merchantA, merchantRole: 'cashier' });

    await s.catalog.createProduct({
      code: WX,
      name: '微信扫码（测试）',
      currency: 'CNY',
      minAmount: 100n,
      maxAmount: 20_000n,
      defaultRatePpm: 6000,
    });
    await s.catalog.createProduct({
      code: CLOSED,
      name: '未开通产品',
      currency: 'CNY',
      minAmount: 1n,
      maxAmount: 100_000n,
      defaultRatePpm: 6000,
    });
    await s.catalog.setMerchantRate(merchantA, WX, 6000);

    const b = await s.merchants.createMerchant({ name: '乙商户 Merchant B', shortName: '乙商户' });
    mchNoB = b.mch_no;
    await s.catalog.setMerchantRate(b.id, 'sandbox_qr', 6000);
    appB = (await s.merchants.createApp(b.mch_no, { name: 'B app' })).app.appId;
    managerB = await merchantConsole(t, { merchantId: b.id, merchantRole: 'manager' });
    cashierB = (
      await s.consoleUsers.createUser({
        area: 'merchant',
        username: uniqueName('b_cashier'),
        password: 'b-cashier-passw0rd',
        merchantId: b.id,
        merchantRole: 'cashier',
      })
    ).id;
  });
  afterAll(async () => {
    await t?.stop();
  });

  describe('the portal', () => {
    it('lets the store manager open, list, edit and disable codes, each change audited', async () => {
      const created = await managerA.send<CodeView>('POST', '/api/merchant/collect-codes', {
        name: '  一号收银台  ',
        cashierUserId: cashierA.userId,
        productCodes: ['sandbox_qr', WX, 'sandbox_qr'],
      });
      expect(created.status).toBe(201);
      counter = created.body;
      expect(counter.code).toMatch(/^[a-z2-7]{20}$/);
      expect(counter).toMatchObject({
        name: '一号收银台',
        url: `${t.platform.url}/pay/${counter.code}`,
        appId: t.demo.merchant.appId,
        cashier: { id: cashierA.userId, enabled: true },
        products: [
          { productCode: 'sandbox_qr', productName: '沙箱扫码 Sandbox QR', available: true },
          { productCode: WX, productName: '微信扫码（测试）', available: true },
        ],
        enabled: true,
      });

      // A counter code without a cashier, on an explicit app.
      const door = await managerA.ok<CodeView>('POST', '/api/merchant/collect-codes', {
        name: '门口收款码',
        appId: t.demo.merchant.appId,
        productCodes: ['sandbox_qr'],
      });
      expect(door.cashier).toBeNull();
      expect(door.code).not.toBe(counter.code);

      // Newest first, then the demo store's code that the demo seed opened.
      const list = await managerA.ok<CodeList>('GET', '/api/merchant/collect-codes');
      expect(list.items.map((c) => c.id).slice(0, 2)).toEqual([door.id, counter.id]);
      expect(list.items.map((c) => c.code)).toContain(t.demo.staticQrCode);
      expect(list.total).toBe(3);
      expect((await managerA.ok<CodeList>('GET', '/api/merchant/collect-codes?q=门口')).items).toHaveLength(
        1,
      );
      expect(
        (await managerA.ok<CodeList>('GET', `/api/merchant/collect-codes?q=${counter.code}`)).items[0]?.id,
      ).toBe(counter.id);

      // Edit: rename, another cashier, then none; methods; disable and enable.
      const renamed = await managerA.ok<CodeView>('PATCH', `/api/merchant/collect-codes/${door.id}`, {
        name: '门口',
        cashierUserId: cashierA2.userId,
        productCodes: [WX],
      });
      expect(renamed).toMatchObject({ name: '门口', cashier: { id: cashierA2.userId }, code: door.code });
      expect(renamed.products.map((p) => p.productCode)).toEqual([WX]);
      const unassigned = await managerA.ok<CodeView>('PATCH', `/api/merchant/collect-codes/${door.id}`, {
        cashierUserId: null,
      });
      expect(unassigned.cashier).toBeNull();
      expect(unassigned.name).toBe('门口');
      const disabled = await managerA.ok<CodeView>('PATCH', `/api/merchant/collect-codes/${door.id}`, {
        enabled: false,
      });
      expect(disabled.enabled).toBe(false);
      expect(
        (await managerA.ok<CodeList>('GET', '/api/merchant/collect-codes?enabled=false')).items.map(
          (c) => c.id,
        ),
      ).toEqual([door.id]);

      const audit = await services().db.query<{
        action: string;
        status: number;
        before: unknown;
        after: unknown;
      }>(
        `SELECT action, status, before, after FROM audit_log WHERE target_type = 'collect_code' AND target_id = $1
         ORDER BY id`,
        [door.id],
      );
      expect(audit.map((a) => `${a.action} ${a.status}`)).toEqual([
        'POST /api/merchant/collect-codes 201',
        'PATCH /api/merchant/collect-codes/:id 200',
        'PATCH /api/merchant/collect-codes/:id 200',
        'PATCH /api/merchant/collect-codes/:id 200',
      ]);
      expect(audit[3]).toMatchObject({ before: { enabled: true }, after: { enabled: false, name: '门口' } });
    });

    it('refuses bad input with a stable code and changes nothing', async () => {
      const before = await count('collect_code');
      const create = (body: Record<string, unknown>) =>
        managerA.send<Refusal>('POST', '/api/merchant/collect-codes', {
          name: '坏的',
          productCodes: ['sandbox_qr'],
          ...body,
        });
      expectRefusal(await create({ cashierUserId: String(cashierB) }), 404, 'NOT_FOUND');
      expectRefusal(await create({ cashierUserId: managerA.userId }), 404, 'NOT_FOUND');
      expectRefusal(await create({ cashierUserId: '999999999' }), 404, 'NOT_FOUND');
      expectRefusal(await create({ cashierUserId: 'abc' }), 400, 'INVALID_REQUEST');
      expectRefusal(await create({ appId: appB }), 404, 'NOT_FOUND');
      expectRefusal(await create({ appId: 'no-such-app' }), 404, 'NOT_FOUND');
      expectRefusal(await create({ productCodes: ['no_such_product'] }), 404, 'PRODUCT_NOT_FOUND');
      expectRefusal(await create({ productCodes: ['sandbox_qr', CLOSED] }), 403, 'PRODUCT_NOT_AVAILABLE');
      expectRefusal(await create({ productCodes: [] }), 400, 'INVALID_REQUEST');
      expectRefusal(await create({ productCodes: [''] }), 400, 'INVALID_REQUEST');
      expectRefusal(
        await create({ productCodes: Array.from({ length: 17 }, (_, i) => `p${i}`) }),
        400,
        'INVALID_REQUEST',
      );
      expectRefusal(await create({ name: '   ' }), 400, 'INVALID_REQUEST');
      expectRefusal(await create({ name: '长'.repeat(65) }), 400, 'INVALID_REQUEST');
      expectRefusal(await create({ enabled: false }), 400, 'INVALID_REQUEST');
      expect(await count('collect_code')).toBe(before);

      // An edit that fails in any field changes no field.
      const path = `/api/merchant/collect-codes/${counter.id}`;
      expectRefusal(
        await managerA.send('PATCH', path, { name: '改名', cashierUserId: String(cashierB) }),
        404,
        'NOT_FOUND',
      );
      expectRefusal(
        await managerA.send('PATCH', path, { name: '改名', productCodes: [CLOSED] }),
        403,
        'PRODUCT_NOT_AVAILABLE',
      );
      expectRefusal(await managerA.send('PATCH', path, { name: '改名', appId: appB }), 404, 'NOT_FOUND');
      expectRefusal(
        await managerA.send('PATCH', '/api/merchant/collect-codes/999999', { name: 'x' }),
        404,
        'NOT_FOUND',
      );
      const unchanged = await managerA.ok<CodeView>('GET', path);
      expect(unchanged).toEqual(counter);
    });

    it('keeps merchants apart and cashiers to their own codes', async () => {
      const path = `/api/merchant/collect-codes/${counter.id}`;
      // Merchant B: not found, whatever it tries.
      expectRefusal(await managerB.send('GET', path), 404, 'NOT_FOUND');
      expectRefusal(await managerB.send('PATCH', path, { enabled: false }), 404, 'NOT_FOUND');
      expectRefusal(await managerB.send('GET', `${path}/qr.png`), 404, 'NOT_FOUND');
      expectRefusal(await managerB.send('GET', `${path}/poster.pdf`), 404, 'NOT_FOUND');
      expect((await managerB.ok<CodeList>('GET', '/api/merchant/collect-codes')).total).toBe(0);
      // B's own code cannot take A's cashier either.
      expectRefusal(
        await managerB.send('POST', '/api/merchant/collect-codes', {
          name: 'B',
          cashierUserId: cashierA.userId,
          productCodes: ['sandbox_qr'],
        }),
        404,
        'NOT_FOUND',
      );

      // A cashier sees and prints its own codes, changes none.
      const mine = await cashierA.ok<CodeList>('GET', '/api/merchant/collect-codes');
      expect(mine.items.map((c) => c.id)).toEqual([counter.id]);
      expect((await cashierA.call('GET', `${path}/qr.png`)).status).toBe(200);
      expectRefusal(await cashierA.send('PATCH', path, { enabled: false }), 403, 'FORBIDDEN');
      expectRefusal(
        await cashierA.send('POST', '/api/merchant/collect-codes', {
          name: 'x',
          productCodes: ['sandbox_qr'],
        }),
        403,
        'FORBIDDEN',
      );
      expect((await cashierA2.ok<CodeList>('GET', '/api/merchant/collect-codes')).total).toBe(0);
      expectRefusal(await cashierA2.send('GET', path), 404, 'NOT_FOUND');
      expectRefusal(await cashierA2.send('GET', `${path}/poster.pdf`), 404, 'NOT_FOUND');

      // Operators with merchant.read see a merchant's codes.
      const support = await operatorConsole(t, 'read_only');
      const seen = await support.ok<CodeList>(
        'GET',
        `/api/admin/merchants/${t.demo.merchant.mchNo}/collect-codes`,
      );
      expect(seen.items.map((c) => c.id)).toContain(counter.id);
      expect((await admin.ok<CodeList>('GET', `/api/admin/merchants/${mchNoB}/collect-codes`)).total).toBe(0);
    });

    it('serves the QR as a PNG of the code URL and a printable PDF poster', async () => {
      const path = `/api/merchant/collect-codes/${counter.id}`;
      const response = await fetch(`${t.platform.url}${path}/qr.png`, {
        headers: { cookie: managerA.cookie },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      const png = Buffer.from(await response.arrayBuffer());
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      // The same bytes as the QR of the code's URL: the image holds exactly that address.
      const expected = await QRCode.toBuffer(counter.url, { ...QR_OPTIONS, type: 'png', width: 600 });
      expect(png.equals(expected)).toBe(true);
      const big = await fetch(`${t.platform.url}${path}/qr.png?width=1200&download=1`, {
        headers: { cookie: managerA.cookie },
      });
      expect(big.headers.get('content-disposition')).toBe(
        `attachment; filename="qingyun-collect-${counter.code}.png"`,
      );
      expect(
        Buffer.from(await big.arrayBuffer()).equals(
          await QRCode.toBuffer(counter.url, { ...QR_OPTIONS, type: 'png', width: 1200 }),
        ),
      ).toBe(true);
      expectRefusal(await managerA.send('GET', `${path}/qr.png?width=5000`), 400, 'INVALID_REQUEST');

      for (const size of ['A5', 'A6']) {
        const poster = await fetch(`${t.platform.url}${path}/poster.pdf?size=${size}`, {
          headers: { cookie: managerA.cookie },
        });
        expect(poster.status).toBe(200);
        expect(poster.headers.get('content-type')).toBe('application/pdf');
        const pdf = Buffer.from(await poster.arrayBuffer());
        expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
        expect(pdf.length).toBeGreaterThan(5_000);
        // Only the glyphs used are embedded: a poster is far smaller than the ~10 MB fonts.
        expect(pdf.length).toBeLessThan(500_000);
        const text = pdf.toString('latin1');
        expect(text).toContain(`(${counter.url})`); // the QR is a link to the page, too
        expect(text).toContain('/FontFile2');
        expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
      }
      expectRefusal(await managerA.send('GET', `${path}/poster.pdf?size=A4`), 400, 'INVALID_REQUEST');
    });
  });

  describe('the payer page', () => {
    it('shows the merchant, the counter, an amount field and the open methods', async () => {
      const page = await payer(`/pay/${counter.code}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-store');
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("form-action 'self'");
      const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
      expect(page.html).toContain(`<script nonce="${nonce}">`);
      expect(page.html).toContain('<html lang="zh-CN">');
      expect(page.html).toContain('演示商户');
      expect(page.html).toContain('一号收银台');
      expect(page.html).toContain('name="amount"');
      expect(page.html).toContain('inputmode="decimal"');
      expect(page.html).toContain('value="sandbox_qr"');
      expect(page.html).toContain(`value="${WX}"`);
      expect(page.html).toContain('确认付款');
      expect(tokenOf(page.html)).toMatch(/^[a-z2-7]{20}$/);
      expect(tokenOf((await payer(`/pay/${counter.code}`)).html)).not.toBe(tokenOf(page.html));

      const english = await payer(`/pay/${counter.code}`, { lang: 'en-US,en;q=0.9' });
      expect(english.html).toContain('<html lang="en">');
      expect(english.html).toContain('Amount');
      expect((await payer(`/pay/${counter.code}?lang=en`)).html).toContain('>Pay</button>');
    });

    it('answers an unknown or disabled code with a friendly 404 page', async () => {
      for (const path of [
        '/pay/aaaaaaaaaaaaaaaaaaaa',
        '/pay/not-a-code',
        `/pay/${counter.code.toUpperCase()}`,
      ]) {
        const page = await payer(path);
        expect(page.status).toBe(404);
        expect(errorCodeOf(page.html)).toBe('NOT_FOUND');
        expect(page.html).toContain('收款码不存在');
        expect(page.html).not.toContain('name="amount"');
      }
      const door = (await managerA.ok<CodeList>('GET', '/api/merchant/collect-codes?enabled=false'))
        .items[0]!;
      const disabled = await payer(`/pay/${door.code}`);
      expect(disabled.status).toBe(404);
      expect(disabled.html).toContain('收款码已停用');
      expect((await payer(`/pay/${door.code}`, { lang: 'en' })).html).toContain('QR code disabled');
      const posted = await payer(`/pay/${door.code}`, {
        form: { amount: '1.00', method: WX, token: await freshToken(counter.code) },
      });
      expect(posted.status).toBe(404);
      expect(await ordersOf(door.id)).toBe(0);
    });

    it('refuses bad amounts and methods with a clear message and its code, creating nothing', async () => {
      const token = await freshToken(counter.code);
      const before = await count('pay_order');
      const cases: [Record<string, string>, number, string, string][] = [
        [{ amount: '0', method: 'sandbox_qr' }, 400, 'INVALID_REQUEST', '付款金额须大于 0'],
        [{ amount: '0.00', method: 'sandbox_qr' }, 400, 'INVALID_REQUEST', '付款金额须大于 0'],
        [{ amount: '-1', method: 'sandbox_qr' }, 400, 'INVALID_REQUEST', '请输入正确的金额'],
        [{ amount: '1.234', method: 'sandbox_qr' }, 400, 'INVALID_REQUEST', '金额最多两位小数'],
        [{ amount: 'abc', method: 'sandbox_qr' }, 400, 'INVALID_REQUEST', '请输入正确的金额'],
        [{ amount: '', method: 'sandbox_qr' }, 400, 'INVALID_REQUEST', '请输入付款金额'],
        [{ amount: '50000.01', method: 'sandbox_qr' }, 400, 'AMOUNT_OUT_OF_RANGE', '¥0.01 至 ¥50,000.00'],
        [{ amount: '0.99', method: WX }, 400, 'AMOUNT_OUT_OF_RANGE', '¥1.00 至 ¥200.00'],
        [{ amount: '8.80', method: CLOSED }, 403, 'PRODUCT_NOT_AVAILABLE', '该支付方式暂不可用'],
        [{ amount: '8.80', method: 'no_such' }, 403, 'PRODUCT_NOT_AVAILABLE', '该支付方式暂不可用'],
        [{ amount: '8.80' }, 400, 'INVALID_REQUEST', '请选择支付方式'],
      ];
      for (const [form, status, code, words] of cases) {
        const page = await payer(`/pay/${counter.code}`, { form: { token, ...form } });
        expect({ form, status: page.status, code: errorCodeOf(page.html) }).toEqual({ form, status, code });
        expect(page.html).toContain(words);
        // The page comes back with what the payer typed and the same token (nothing was spent).
        expect(page.html).toContain(`id="amount" name="amount"`);
        expect(page.html).toContain(`value="${form.amount ?? ''}" data-testid="pay-amount"`);
        expect(tokenOf(page.html)).toBe(token);
      }
      // What the payer typed comes back escaped.
      const hostile = await payer(`/pay/${counter.code}`, {
        form: { token, amount: '"><script>alert(1)</script>', method: 'sandbox_qr' },
      });
      expect([hostile.status, errorCodeOf(hostile.html)]).toEqual([400, 'INVALID_REQUEST']);
      expect(hostile.html).not.toContain('<script>alert');
      expect(hostile.html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
      const noToken = await payer(`/pay/${counter.code}`, { form: { amount: '8.80', method: 'sandbox_qr' } });
      expect([noToken.status, errorCodeOf(noToken.html)]).toEqual([400, 'INVALID_REQUEST']);
      expect(tokenOf(noToken.html)).toMatch(/^[a-z2-7]{20}$/);
      expect(await count('pay_order')).toBe(before);
    });

    it('places one order per form, attributed to the code and its cashier, paid through the sandbox', async () => {
      const token = await freshToken(counter.code);
      const form = { amount: '8.80', method: 'sandbox_qr', token };
      const first = await payer(`/pay/${counter.code}`, { form });
      expect(first.status).toBe(303);
      expect(first.location).toMatch(/^\/cashier\/P\d{20}\/[\w-]{32}$/);
      const orderNo = first.location!.split('/')[2]!;
      const order = await services().orders.requireByOrderNo(orderNo);
      expect(order).toMatchObject({
        source: 'static_qr',
        collect_code_id: BigInt(counter.id),
        created_by_user_id: BigInt(cashierA.userId),
        merchant_id: merchantA,
        app_id: t.demo.merchant.appId,
        amount: 880n,
        product_code: 'sandbox_qr',
        subject: '一号收银台 收款',
        mch_order_no: `SQR${token}`,
        state: 'paying',
      });

      // A double tap, a resubmitted form: the same order. The same form with another amount: refused.
      const again = await payer(`/pay/${counter.code}`, { form });
      expect([again.status, again.location]).toEqual([303, first.location]);
      const changed = await payer(`/pay/${counter.code}`, { form: { ...form, amount: '9.90' } });
      expect([changed.status, errorCodeOf(changed.html)]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
      expect(tokenOf(changed.html)).not.toBe(token);
      expect(changed.html).toContain('value="9.90"');
      expect(await ordersOf(counter.id)).toBe(1);

      // The cashier of the code sees the order among its own; the other cashier does not.
      const mine = await cashierA.ok<{ items: { orderNo: string; source: string }[] }>(
        'GET',
        '/api/merchant/orders',
      );
      expect(mine.items.find((o) => o.orderNo === orderNo)).toMatchObject({
        source: 'static_qr',
        collectCodeName: '一号收银台',
      });
      // The manager sees which code, and whose, took the payment.
      const managers = await managerA.ok<{ items: { orderNo: string; createdBy: string | null }[] }>(
        'GET',
        `/api/merchant/orders?q=${orderNo}`,
      );
      expect(managers.items[0]).toMatchObject({
        collectCodeName: '一号收银台',
        createdBy: expect.any(String),
      });
      expect(managers.items[0]?.createdBy).not.toBe('');
      const theirs = await cashierA2.ok<{ items: { orderNo: string }[] }>('GET', '/api/merchant/orders');
      expect(theirs.items.map((o) => o.orderNo)).not.toContain(orderNo);
      expectRefusal(await managerB.send('GET', `/api/merchant/orders/${orderNo}`), 404, 'NOT_FOUND');

      // The payer pays on the channel's page; the order turns paid and the ledger balances.
      expect(await payOnSandbox(order.pay_data_value!)).toBe(200);
      await eventually(
        async () => ((await services().orders.requireByOrderNo(orderNo)).state === 'paid' ? true : undefined),
        10_000,
        'paid',
      );
      const cashierPage = await payer(first.location!);
      expect(cashierPage.html).toContain('data-state="paid"');
      // Sending the paid form again shows the paid order: never a second payment.
      expect((await payer(`/pay/${counter.code}`, { form })).location).toBe(first.location);
      expect(await ordersOf(counter.id)).toBe(1);
      expect((await ledgerReport(services())).ok).toBe(true);
    });

    it('takes comma decimals and full-width digits from phone keypads, and another method', async () => {
      const token = await freshToken(counter.code);
      const answer = await payer(`/pay/${counter.code}`, { form: { amount: '１２，５', method: WX, token } });
      // The test product has no channel: the amount and method were accepted, routing then refused.
      expect([answer.status, errorCodeOf(answer.html)]).toEqual([422, 'NO_CHANNEL_AVAILABLE']);
      expect(answer.html).toContain('支付通道暂时不可用');
      const good = await payer(`/pay/${counter.code}`, {
        form: { amount: '0,5', method: 'sandbox_qr', token },
      });
      expect(good.status).toBe(303);
      const order = await services().orders.requireByOrderNo(good.location!.split('/')[2]!);
      expect(order.amount).toBe(50n);
    });

    it('stops a flood of submissions from one address', async () => {
      const before = await count('pay_order');
      let limited: PayerAnswer | null = null;
      for (let i = 0; i < 40 && !limited; i++) {
        const answer = await payer(`/pay/${counter.code}`, { form: { amount: 'x', method: 'sandbox_qr' } });
        if (answer.status === 429) limited = answer;
      }
      expect(limited).not.toBeNull();
      expect(errorCodeOf(limited!.html)).toBe('RATE_LIMITED');
      expect(limited!.html).toContain('操作过于频繁');
      expect(await count('pay_order')).toBe(before);
      // Reading the page is not limited.
      expect((await payer(`/pay/${counter.code}`)).status).toBe(200);
    });
  });
});
