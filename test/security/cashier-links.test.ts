import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/app/logger.ts';
import { CASHIER_REQUESTS_PER_IP_PER_MINUTE } from '../../src/orders/cashier.ts';
import { CashierLinks } from '../../src/orders/cashier-link.ts';
import { testDatabases } from '../support/databases.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from '../support/platform.ts';

/**
 * cashier links: order numbers are time + a counter, so the cashier page must not answer
 * to an order number alone. Every cashier route needs the order's token; without it (or with
 * another's) the answer is exactly an unknown order's 404; the return URL reaches only the token
 * holder; and one address cannot poll without end.
 */
describe('cashier link tokens', () => {
  const links = new CashierLinks(randomBytes(32));
  const orderNo = 'P20260101000000000001';

  it('are 192-bit base64url HMACs bound to the order and the master key', () => {
    const token = links.tokenOf(orderNo);
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(links.verify(orderNo, token)).toBe(true);
    expect(links.path(orderNo)).toBe(`/cashier/${orderNo}/${token}`);
    // Another order, another key: another token.
    expect(links.tokenOf('P20260101000000000002')).not.toBe(token);
    expect(new CashierLinks(randomBytes(32)).tokenOf(orderNo)).not.toBe(token);
  });

  it('accept only the exact canonical token', () => {
    const token = links.tokenOf(orderNo);
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [
      '',
      flipped,
      token.slice(0, -1),
      `${token}A`,
      `${token}=`,
      links.tokenOf('P20260101000000000002'),
    ]) {
      expect(links.verify(orderNo, bad)).toBe(false);
    }
    // The standard-base64 spelling differs only when the token has a '-' or '_' (a token in three
    // has neither, and then both spellings are the same string): test it on one that does.
    const spelled = Array.from({ length: 64 }, (_, i) => `P2026010100000000${1000 + i}`).find((n) =>
      /[-_]/.test(links.tokenOf(n)),
    )!;
    const standard = Buffer.from(links.tokenOf(spelled), 'base64url').toString('base64');
    expect(standard).not.toBe(links.tokenOf(spelled));
    expect(links.verify(spelled, standard)).toBe(false);
  });

  it('are kept out of the request log', () => {
    const serialize = (loggerOptions('info').serializers as { req: (r: unknown) => { url: string } }).req;
    const token = links.tokenOf(orderNo);
    for (const suffix of ['', '/status?t=1', '/pay']) {
      const logged = serialize({
        method: 'GET',
        url: `/cashier/${orderNo}/${token}${suffix}`,
        ip: '203.0.113.9',
      });
      expect(logged.url).toBe(`/cashier/${orderNo}/[redacted]${suffix}`);
    }
    expect(serialize({ method: 'GET', url: '/api/v1/orders/P1?x=1' }).url).toBe('/api/v1/orders/P1?x=1');
  });
});

describe.each(testDatabases)('cashier links on $kind', (database) => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform(database);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const RETURN_URL = 'https://shop.example/back?order=42&sig=secret-bits';
  const create = (mchOrderNo: string) =>
    t.client.createOrder({
      mchOrderNo,
      productCode: 'sandbox_qr',
      amount: 1_234,
      subject: 'link test',
      notifyUrl: 'http://127.0.0.1:9/never',
      returnUrl: RETURN_URL,
    });
  const get = async (path: string) => {
    const response = await fetch(`${t.platform.url}${path}`, { redirect: 'manual' });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
  /** The error body without its request id: what tells one 404 from another, if anything. */
  const errorOf = (text: string) => {
    const { requestId: _, ...rest } = JSON.parse(text) as Record<string, unknown>;
    return rest;
  };

  it('hands the merchant a cashier link that carries the token', async () => {
    const order = await create('LINK-API');
    const link = new URL(order.cashierUrl);
    expect(link.origin).toBe(t.platform.url);
    expect(link.pathname).toBe(`/cashier/${order.orderNo}/${link.pathname.split('/')[3]}`);
    expect(link.pathname).toMatch(/^\/cashier\/P\d{20}\/[A-Za-z0-9_-]{32}$/);
    // The same link every time the order is read.
    expect((await t.client.getOrder(order.orderNo)).cashierUrl).toBe(order.cashierUrl);
  });

  it('answers 404 like an unknown order, on every route, without the right token', async () => {
    const order = await create('LINK-404');
    const other = await create('LINK-OTHER');
    const otherToken = new URL(other.cashierUrl).pathname.split('/')[3]!;
    const base = `/cashier/${order.orderNo}`;
    const unknown = await get(`/cashier/P00000000000000000000/${'A'.repeat(32)}/status`);
    expect(unknown.status).toBe(404);
    const unknownError = errorOf(unknown.text);

    const wrongTokens = ['', `/${'A'.repeat(32)}`, `/${otherToken}`, `/${otherToken.slice(1)}`, '/status'];
    for (const token of wrongTokens) {
      for (const suffix of ['', '/status', '/pay']) {
        const answer = await get(`${base}${token}${suffix}`);
        expect([`${base}${token}${suffix}`, answer.status]).toEqual([`${base}${token}${suffix}`, 404]);
        expect(errorOf(answer.text)).toEqual(unknownError);
        for (const leak of ['link test', '12.34', RETURN_URL, 'shop.example', '演示商户']) {
          expect(answer.text).not.toContain(leak);
        }
      }
    }
  });

  it('serves the page, its status and its pay route to the token holder, and keeps the token off Referers', async () => {
    const order = await create('LINK-OK');
    const path = new URL(order.cashierUrl).pathname;
    const page = await get(path);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.text).toContain('<meta name="referrer" content="no-referrer">');
    expect(page.text).toContain('¥12.34');
    // The page polls its own tokened status link.
    expect(page.text).toContain(`"statusUrl":"${path}/status"`);

    const status = await get(`${path}/status`);
    expect(status.status).toBe(200);
    expect(status.headers.get('referrer-policy')).toBe('no-referrer');
    expect(JSON.parse(status.text)).toMatchObject({ state: 'paying', phase: 'open', returnUrl: null });

    // A QR order has no form to post: the pay route sends the payer back to the tokened page.
    const pay = await get(`${path}/pay`);
    expect(pay.status).toBe(303);
    expect(pay.headers.get('location')).toBe(path);
  });

  it('reveals the return URL of a paid order only to the token holder', async () => {
    const order = await create('LINK-PAID');
    const path = new URL(order.cashierUrl).pathname;
    expect(await payOnSandbox(order.payData!.value)).toBe(200);
    const paid = await eventually(async () => {
      const s = JSON.parse((await get(`${path}/status`)).text);
      return s.state === 'paid' ? s : undefined;
    });
    expect(paid.returnUrl).toBe(RETURN_URL);

    for (const guess of [`/cashier/${order.orderNo}`, `/cashier/${order.orderNo}/${'x'.repeat(32)}`]) {
      for (const suffix of ['', '/status', '/pay']) {
        const answer = await get(`${guess}${suffix}`);
        expect(answer.status).toBe(404);
        expect(answer.text).not.toContain('shop.example');
      }
    }
  });

  // Last: it spends this address's budget.
  it('limits the requests of one address with 429 RATE_LIMITED, beyond what polling pages need', async () => {
    const order = await create('LINK-FLOOD');
    const path = new URL(order.cashierUrl).pathname;
    const answers: number[] = [];
    // Earlier tests of this file spent part of the window; ask until refused, or well past the limit.
    for (let i = 0; i <= CASHIER_REQUESTS_PER_IP_PER_MINUTE; i++) {
      const answer = await fetch(`${t.platform.url}${path}/status`);
      answers.push(answer.status);
      if (answer.status === 429) {
        expect(answer.headers.get('retry-after')).toBe('60');
        expect((await answer.json()).code).toBe('RATE_LIMITED');
        break;
      }
      await answer.arrayBuffer();
    }
    expect(answers.at(-1)).toBe(429);
    expect(answers.slice(0, -1).every((s) => s === 200)).toBe(true);
    // The budget is generous: a page polls every 2 s, 30 times a minute.
    expect(CASHIER_REQUESTS_PER_IP_PER_MINUTE).toBeGreaterThanOrEqual(4 * 30);
    // Guesses count too, and are refused the same way.
    expect((await get(`/cashier/${order.orderNo}/${'A'.repeat(32)}/status`)).status).toBe(429);
    expect((await get(path)).status).toBe(429);
  });
});
