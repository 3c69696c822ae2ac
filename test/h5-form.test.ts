import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerReport } from '../src/app/platform.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, startTestPlatform, type TestPlatform } from './support/platform.ts';

/** H5 channels that hand out a form to post (payData.type form), like Alipay's wap pay. */
describe.each(testDatabases)('H5 form pay data on $kind', (database) => {
  let t: TestPlatform;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    for (const id of t.channelAccountIds) {
      await t.platform.services.catalog.updateChannelAccount(id, { config: { payMode: 'form' } });
    }
  });
  afterAll(async () => t?.stop());

  it('gives the merchant the form, and the cashier page posts it to the channel', async () => {
    const order = await t.client.createOrder({
      mchOrderNo: 'H5-1',
      productCode: 'sandbox_qr',
      amount: 1_990,
      subject: 'H5',
      returnUrl: 'https://shop.example/return',
    });
    expect(order.state).toBe('paying');
    expect(order.payData?.type).toBe('form');
    const form = order.payData!.value;
    expect(form).toMatch(
      /^<form id="sandbox-pay-form" action="http:\/\/127\.0\.0\.1:\d+\/sandbox\/pay\/gateway" method="post"/,
    );

    // The cashier page's button leads to our form page; its QR opens the cashier page on a phone.
    const cashier = await (await fetch(order.cashierUrl)).text();
    expect(cashier).toContain(`href="${new URL(order.cashierUrl).pathname}/pay"`);
    expect(cashier).toContain('<svg');

    const formPage = await fetch(`${order.cashierUrl}/pay`, { redirect: 'manual' });
    expect(formPage.status).toBe(200);
    const csp = formPage.headers.get('content-security-policy') ?? '';
    const sandboxOrigin = new URL(t.platform.url).origin;
    expect(csp).toContain(`form-action ${sandboxOrigin}`);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    const html = await formPage.text();
    expect(html).toContain(`<script nonce="${nonce}">document.forms[0].submit();</script>`);

    // The page posts the channel's action and hidden fields, rebuilt by us: the same values.
    const fieldsOf = (markup: string) =>
      Object.fromEntries([...markup.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    const fields = fieldsOf(form);
    expect(Object.keys(fields).sort()).toEqual(['sign', 'tradeNo']);
    expect(fieldsOf(html)).toEqual(fields);
    const gatewayUrl = /action="([^"]+)"/.exec(form)![1]!;
    expect(html).toContain(`action="${gatewayUrl}" method="post"`);
    const tampered = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, tradeNo: 'SB1' }).toString(),
    });
    expect(tampered.status).toBe(400);
    const gateway = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    expect(gateway.status).toBe(200);
    const sandboxPage = await gateway.text();
    expect(sandboxPage).toContain('¥19.90');
    // The sandbox page's own form posts the payer's decision to the payment's page.
    const decisionAction = /<form method="post" action="([^"]+)"/.exec(sandboxPage)![1]!;
    const paid = await fetch(new URL(decisionAction, gatewayUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'result=success',
    });
    expect(paid.status).toBe(200);
    await eventually(async () =>
      (await t.client.getOrder(order.orderNo)).state === 'paid' ? true : undefined,
    );

    // Once paid, the form page sends the payer back to the cashier page instead of posting again.
    const after = await fetch(`${order.cashierUrl}/pay`, { redirect: 'manual' });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe(new URL(order.cashierUrl).pathname);
    expect((await ledgerReport(t.platform.services)).ok).toBe(true);
  });

  it('sends a URL-pay order to its cashier page, not a form page', async () => {
    const account = t.channelAccountIds[0]!;
    await t.platform.services.catalog.updateChannelAccount(account, { config: { payMode: 'url' } });
    await t.platform.services.catalog.updateChannelAccount(t.channelAccountIds[1]!, { config: {} });
    const order = await t.client.createOrder({
      mchOrderNo: 'H5-2',
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'url',
    });
    expect(order.payData?.type).toBe('url');
    const response = await fetch(`${order.cashierUrl}/pay`, { redirect: 'manual' });
    expect(response.status).toBe(303);
  });
});
