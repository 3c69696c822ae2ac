import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PRODUCT } from '../src/app/demo.ts';
import { redactUrl } from '../src/app/logger.ts';
import { mapiPhpRequest, submitPhpForm } from './fixtures/epay-plugin-requests.ts';
import { operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * The receivers below are written from the protocols' documentation, not from our code: Jeepay's
 * "签名算法" (non-empty parameters in ASCII order as k=v joined with &, then &key=, MD5 upper-case)
 * and 易支付's (non-empty parameters except sign and sign_type in ASCII order, joined with &, the
 * key appended, MD5 lower-case).
 */
const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
function jeepaySignOf(params: Record<string, unknown>, key: string): string {
  const pairs = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== null && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`);
  // Each pair ends with &, then key=… (with no parameters at all the text is key=… alone).
  return md5(`${pairs.map((pair) => `${pair}&`).join('')}key=${key}`).toUpperCase();
}
function epaySignOf(params: Record<string, string>, key: string): string {
  const pairs = Object.keys(params)
    .filter((k) => k !== 'sign' && k !== 'sign_type' && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`);
  return md5(`${pairs.join('&')}${key}`);
}

interface Received {
  method: string;
  url: string;
  contentType: string;
  body: string;
}

/** A merchant's notify endpoint: keeps every request, answers what the protocol asks for. */
class ProtocolReceiver {
  readonly received: Received[] = [];
  private server: http.Server | null = null;
  url = '';
  constructor(private readonly answer: string) {}
  async start(): Promise<this> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        this.received.push({
          method: request.method ?? '',
          url: request.url ?? '',
          contentType: request.headers['content-type'] ?? '',
          body: Buffer.concat(chunks).toString('utf8'),
        });
        response.writeHead(200, { 'content-type': 'text/plain' }).end(this.answer);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/notify`;
    return this;
  }
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('Jeepay and 易支付 secrets in the request log', () => {
  it("keeps epay's key and the return link's token out of logged URLs", () => {
    expect(redactUrl('/api.php?act=order&pid=10001&key=abcDEF123&out_trade_no=1')).toBe(
      '/api.php?act=order&pid=10001&key=[redacted]&out_trade_no=1',
    );
    expect(redactUrl('/api/compat/return/APP1/EP-1/tok3n')).toBe('/api/compat/return/APP1/EP-1/[redacted]');
    expect(redactUrl('/api/v1/orders?mchOrderNo=monkey=1')).toBe('/api/v1/orders?mchOrderNo=monkey=1');
  });
});

describe.each(testDatabases)('Jeepay and 易支付 merchants on $kind', (database) => {
  let t: TestPlatform;
  const jeepayReceiver = new ProtocolReceiver('SUCCESS');
  const epayReceiver = new ProtocolReceiver('success');
  let jeepay: { mchNo: string; appId: string; key: string };
  let epay: { pid: string; key: string; appId: string };
  let formerEpay: { pid: string; key: string };

  const orderCount = async () =>
    Number((await t.platform.services.db.query<{ n: bigint }>('SELECT count(*) AS n FROM pay_order'))[0]!.n);

  const jeepayCall = async (path: string, fields: Record<string, unknown>, key = jeepay.key) => {
    const params: Record<string, unknown> = {
      mchNo: jeepay.mchNo,
      appId: jeepay.appId,
      version: '1.0',
      signType: 'MD5',
      reqTime: String(Date.now()),
      ...fields,
    };
    params.sign = jeepaySignOf(params, key);
    const response = await fetch(`${t.platform.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as {
      code: number;
      msg: string;
      data?: Record<string, unknown>;
      sign?: string;
    };
  };

  const signedEpay = (fields: Record<string, string>, key = epay.key, pid = epay.pid) => {
    const params: Record<string, string> = { pid, ...fields };
    return { ...params, sign: epaySignOf(params, key), sign_type: 'MD5' };
  };
  const epayPost = async (path: string, params: Record<string, string>) => {
    const response = await fetch(`${t.platform.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
      redirect: 'manual',
    });
    return response;
  };

  beforeAll(async () => {
    t = await startTestPlatform(database);
    await jeepayReceiver.start();
    await epayReceiver.start();
    const { services } = t.platform;
    // 99 999.99 yuan is within the product's range.
    await services.catalog.updateProduct(DEMO_PRODUCT, { maxAmount: 10_000_000n });
    const operator = await operatorConsole(t);
    const mchNo = t.demo.merchant.mchNo;
    const openApp = async (name: string) => (await services.merchants.createApp(mchNo, { name })).app.appId;
    const setProtocol = async (appId: string, body: unknown) => {
      const answer = await operator.call<{
        app: { epayPid: string | null; protocol: string };
        md5Key: string | null;
      }>('PUT', `/api/admin/apps/${appId}/protocol`, body);
      expect(answer.status).toBe(200);
      return answer.body;
    };
    const jeepayAppId = await openApp('Jeepay shop');
    const jeepayOpt = await setProtocol(jeepayAppId, {
      protocol: 'jeepay',
      products: { ALI_QR: DEMO_PRODUCT, QR_CASHIER: DEMO_PRODUCT, WX_BAR: DEMO_PRODUCT },
    });
    expect(jeepayOpt.md5Key).toMatch(/^[A-Za-z0-9]{32}$/);
    jeepay = { mchNo, appId: jeepayAppId, key: jeepayOpt.md5Key! };

    const epayAppId = await openApp('Epay site');
    const epayOpt = await setProtocol(epayAppId, { protocol: 'epay', products: { alipay: DEMO_PRODUCT } });
    epay = { pid: epayOpt.app.epayPid!, key: epayOpt.md5Key!, appId: epayAppId };

    // An app that spoke epay and went back to ours: its pid and old key are refused from then on.
    const formerAppId = await openApp('Former epay site');
    const former = await setProtocol(formerAppId, { protocol: 'epay', products: { alipay: DEMO_PRODUCT } });
    formerEpay = { pid: former.app.epayPid!, key: former.md5Key! };
    const back = await setProtocol(formerAppId, { protocol: 'qingyun' });
    expect(back).toMatchObject({ app: { protocol: 'qingyun' }, md5Key: null });
    // The key is stored sealed, never as itself.
    const stored = await services.db.query<{ md5_key_enc: string }>(
      'SELECT md5_key_enc FROM merchant_app WHERE app_id = $1',
      [jeepayAppId],
    );
    expect(stored[0]!.md5_key_enc).not.toContain(jeepay.key);
  });
  afterAll(async () => {
    await t.stop();
    await jeepayReceiver.stop();
    await epayReceiver.stop();
  });

  it('Jeepay: unifiedOrder → pay → a signed form notify → query → refund → refund notify', async () => {
    const created = await jeepayCall('/api/pay/unifiedOrder', {
      mchOrderNo: 'JP-1',
      wayCode: 'ALI_QR',
      amount: 1,
      currency: 'cny',
      subject: '商品标题',
      body: '商品描述',
      notifyUrl: jeepayReceiver.url,
      extParam: 'ext-1',
    });
    expect(created).toMatchObject({ code: 0, msg: 'SUCCESS' });
    expect(created.sign).toBe(jeepaySignOf(created.data!, jeepay.key));
    expect(created.data).toMatchObject({ mchOrderNo: 'JP-1', orderState: 1, payDataType: 'payurl' });
    const payOrderId = created.data!.payOrderId as string;

    expect(await payOnSandbox(created.data!.payData as string)).toBe(200);
    const notify = await eventually(
      () => jeepayReceiver.received.find((r) => r.body.includes(`payOrderId=${payOrderId}`)),
      10_000,
      'the Jeepay payment notify',
    );
    expect(notify.method).toBe('POST');
    expect(notify.contentType).toContain('application/x-www-form-urlencoded');
    const fields = Object.fromEntries(new URLSearchParams(notify.body));
    expect(fields.sign).toBe(jeepaySignOf(fields, jeepay.key));
    expect(fields).toMatchObject({
      payOrderId,
      mchNo: jeepay.mchNo,
      appId: jeepay.appId,
      mchOrderNo: 'JP-1',
      wayCode: 'ALI_QR',
      amount: '1',
      currency: 'cny',
      state: '2',
      subject: '商品标题',
      body: '商品描述',
      extParam: 'ext-1',
    });
    expect(Number(fields.reqTime)).toBeGreaterThan(Date.now() - 60_000);
    // Acknowledged once with SUCCESS: the outbox records it delivered.
    const order = await t.platform.services.orders.requireByOrderNo(payOrderId);
    await eventually(async () => {
      const history = await t.platform.services.notify.historyOfOrder(order.id);
      return history[0]?.state === 'succeeded' ? true : undefined;
    });

    const queried = await jeepayCall('/api/pay/query', { mchOrderNo: 'JP-1' });
    expect(queried.sign).toBe(jeepaySignOf(queried.data!, jeepay.key));
    expect(queried.data).toMatchObject({
      payOrderId,
      state: 2,
      amount: 1,
      wayCode: 'ALI_QR',
      extParam: 'ext-1',
    });
    expect(typeof queried.data!.successTime).toBe('number');

    const refund = await jeepayCall('/api/refund/refundOrder', {
      payOrderId,
      mchRefundNo: 'JPR-1',
      refundAmount: 1,
      currency: 'cny',
      refundReason: '协商退款',
      notifyUrl: jeepayReceiver.url,
    });
    expect(refund).toMatchObject({ code: 0, data: { mchRefundNo: 'JPR-1', payAmount: 1, refundAmount: 1 } });
    expect(refund.sign).toBe(jeepaySignOf(refund.data!, jeepay.key));
    const refundOrderId = refund.data!.refundOrderId as string;
    const settled = await eventually(async () => {
      const answer = await jeepayCall('/api/refund/query', { mchRefundNo: 'JPR-1' });
      return answer.data?.state === 2 ? answer : undefined;
    });
    expect(settled.data).toMatchObject({ refundOrderId, payOrderId, refundAmount: 1, state: 2 });
    const refundNotify = await eventually(
      () => jeepayReceiver.received.find((r) => r.body.includes(`refundOrderId=${refundOrderId}`)),
      10_000,
      'the Jeepay refund notify',
    );
    const refundFields = Object.fromEntries(new URLSearchParams(refundNotify.body));
    expect(refundFields.sign).toBe(jeepaySignOf(refundFields, jeepay.key));
    expect(refundFields).toMatchObject({ mchRefundNo: 'JPR-1', state: '2', refundAmount: '1' });
    expect((await jeepayCall('/api/pay/query', { payOrderId })).data).toMatchObject({ state: 5 });
  });

  it('Jeepay: the aggregated cashier answers our cashier page, and close closes an unpaid order', async () => {
    const created = await jeepayCall('/api/pay/unifiedOrder', {
      mchOrderNo: 'JP-CASHIER',
      wayCode: 'QR_CASHIER',
      amount: 250,
      currency: 'cny',
      subject: 's',
      body: 'b',
    });
    expect(created.data).toMatchObject({ payDataType: 'codeUrl', orderState: 1 });
    expect(created.data!.payData).toBe(
      t.platform.services.orders.cashierUrl(created.data!.payOrderId as string),
    );
    const closed = await jeepayCall('/api/pay/close', { mchOrderNo: 'JP-CASHIER' });
    expect(closed).toMatchObject({ code: 0, data: {} });
    expect(closed.sign).toBe(jeepaySignOf({}, jeepay.key));
    expect((await jeepayCall('/api/pay/query', { mchOrderNo: 'JP-CASHIER' })).data).toMatchObject({
      state: 6,
    });
    expect(await jeepayCall('/api/pay/close', { mchOrderNo: 'JP-CASHIER' })).toEqual({
      code: 9999,
      msg: '当前订单不可关闭',
    });
  });

  it('Jeepay: AUTO_BAR takes the wallet from the pay code and is paid in the call itself', async () => {
    const scan = (mchOrderNo: string, authCode: string) =>
      jeepayCall('/api/pay/unifiedOrder', {
        mchOrderNo,
        wayCode: 'AUTO_BAR',
        amount: 2_500,
        currency: 'cny',
        subject: '收银台',
        body: '条码支付',
        channelExtra: JSON.stringify({ authCode }),
      });
    // 13…: a WeChat Pay code, mapped through WX_BAR.
    const paid = await scan('JP-BAR-1', '134567890123456781');
    expect(paid).toMatchObject({ code: 0, data: { orderState: 2, payDataType: 'none' } });
    expect((await jeepayCall('/api/pay/query', { mchOrderNo: 'JP-BAR-1' })).data).toMatchObject({
      state: 2,
      wayCode: 'AUTO_BAR',
      amount: 2_500,
    });
    // 28…: an Alipay code, and this app maps no ALI_BAR.
    expect(await scan('JP-BAR-2', '284567890123456781')).toEqual({
      code: 9999,
      msg: '商户应用不支持该支付方式',
    });
  });

  it("Jeepay: refusals come in Jeepay's shape and change nothing", async () => {
    const before = await orderCount();
    const order = {
      mchOrderNo: 'JP-BAD',
      wayCode: 'ALI_QR',
      amount: 100,
      currency: 'cny',
      subject: 's',
      body: 'b',
    };
    const bad = { code: 9999, msg: '验签失败' };
    expect(await jeepayCall('/api/pay/unifiedOrder', order, 'not-the-key')).toEqual(bad);
    expect(await jeepayCall('/api/pay/unifiedOrder', { ...order, mchNo: 'M0000000000' })).toEqual(bad);
    // The demo app speaks only our API: its secret is no MD5 key.
    const demo = t.demo.merchant;
    expect(
      await jeepayCall('/api/pay/unifiedOrder', { ...order, appId: demo.appId }, demo.appSecret),
    ).toEqual(bad);
    const stale = await jeepayCall('/api/pay/unifiedOrder', {
      ...order,
      reqTime: String(Date.now() - 600_000),
    });
    expect(stale.code).toBe(11);
    expect(stale.msg).toMatch(/^参数有误\[reqTime/);
    expect(await jeepayCall('/api/pay/unifiedOrder', { ...order, wayCode: 'WX_LITE' })).toEqual({
      code: 9999,
      msg: '商户应用不支持该支付方式',
    });
    const missing = await jeepayCall('/api/pay/unifiedOrder', { ...order, body: '' });
    expect(missing).toEqual({ code: 11, msg: '参数有误[商品描述信息不能为空]' });
    expect(await orderCount()).toBe(before);

    // A signed request is taken once: the same bytes again are refused.
    const params: Record<string, unknown> = {
      mchNo: jeepay.mchNo,
      appId: jeepay.appId,
      version: '1.0',
      signType: 'MD5',
      reqTime: String(Date.now()),
      mchOrderNo: 'JP-1',
    };
    params.sign = jeepaySignOf(params, jeepay.key);
    const send = async () =>
      (
        await fetch(`${t.platform.url}/api/pay/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(params as Record<string, string>).toString(),
        })
      ).json();
    expect(await send()).toMatchObject({ code: 0 });
    expect(await send()).toMatchObject({ code: 9999, msg: expect.stringMatching(/^请求重复/) });
  });

  it('epay: mapi.php 0.01 → pay → the GET notify → act=order → act=refund', async () => {
    const response = await epayPost(
      '/mapi.php',
      signedEpay({ ...mapiPhpRequest, out_trade_no: 'EP-1', notify_url: epayReceiver.url }),
    );
    const created = (await response.json()) as Record<string, string | number>;
    expect(created).toMatchObject({ code: 1 });
    const tradeNo = created.trade_no as string;
    const row = await t.platform.services.orders.requireByOrderNo(tradeNo);
    expect(row.amount).toBe(1n);
    expect(row.client_ip).toBe('203.0.113.7');

    expect(await payOnSandbox(created.payurl as string)).toBe(200);
    const notify = await eventually(
      () => epayReceiver.received.find((r) => r.url.includes(`trade_no=${tradeNo}`)),
      10_000,
      'the epay notify',
    );
    expect(notify.method).toBe('GET');
    const fields = Object.fromEntries(new URL(notify.url, 'http://x').searchParams);
    expect(fields.sign).toBe(epaySignOf(fields, epay.key));
    expect(fields).toEqual({
      pid: epay.pid,
      trade_no: tradeNo,
      out_trade_no: 'EP-1',
      type: 'alipay',
      name: '测试商品',
      money: '0.01',
      trade_status: 'TRADE_SUCCESS',
      param: '附加信息',
      sign: fields.sign,
      sign_type: 'MD5',
    });

    const query = await (
      await fetch(`${t.platform.url}/api.php?act=order&pid=${epay.pid}&key=${epay.key}&out_trade_no=EP-1`)
    ).json();
    expect(query).toMatchObject({
      code: 1,
      trade_no: tradeNo,
      out_trade_no: 'EP-1',
      money: '0.01',
      status: 1,
    });

    const refund = await (
      await epayPost('/api.php', {
        act: 'refund',
        pid: epay.pid,
        key: epay.key,
        out_trade_no: 'EP-1',
        money: '0.01',
      })
    ).json();
    expect(refund).toMatchObject({ code: 1, money: '0.01' });
    // A retry is the same refund, not a second one.
    const again = await (
      await epayPost('/api.php', {
        act: 'refund',
        pid: epay.pid,
        key: epay.key,
        out_trade_no: 'EP-1',
        money: '0.01',
      })
    ).json();
    expect(again).toMatchObject({ code: 1, refund_no: refund.refund_no });
    // epay has no refund notify: the refund's event is recorded as not sent, once, and not retried.
    const history = await eventually(async () => {
      const tasks = await t.platform.services.notify.historyOfOrder(row.id);
      const refundTask = tasks.find((task) => task.eventType.startsWith('refund.'));
      return refundTask && refundTask.state !== 'pending' ? refundTask : undefined;
    });
    expect(history).toMatchObject({ state: 'failed', attempts: 1, lastErrorKind: 'not_sent' });
    expect(history.lastError).toMatch(/epay protocol has no notify/);
    expect(epayReceiver.received.filter((r) => r.url.includes(tradeNo))).toHaveLength(1);
  });

  it("epay: a plugin's submit.php form for 99999.99 goes to the cashier, and the return link is signed", async () => {
    const form = signedEpay({
      ...submitPhpForm,
      out_trade_no: 'EP-BIG',
      notify_url: epayReceiver.url,
      return_url: 'https://shop.example/return.php',
    });
    const response = await epayPost('/submit.php', form);
    expect(response.status).toBe(302);
    const cashier = response.headers.get('location')!;
    expect(cashier).toMatch(/\/cashier\/P\d{20}\//);
    const order = await t.platform.services.orders.getByMchOrderNo(epay.appId, 'EP-BIG');
    expect(order.amount).toBe(9_999_999n);
    expect(order.subject).toBe('VIP会员 30天');

    // The same form again (the payer pressed back): the same order.
    expect((await epayPost('/submit.php', form)).headers.get('location')).toBe(cashier);

    expect(await payOnSandbox(order.pay_data_value!)).toBe(200);
    await eventually(async () => {
      const now = await t.platform.services.orders.requireByOrderNo(order.order_no);
      return now.state === 'paid' ? true : undefined;
    });
    const back = await fetch(order.return_url!, { redirect: 'manual' });
    expect(back.status).toBe(302);
    const target = new URL(back.headers.get('location')!);
    expect(`${target.origin}${target.pathname}`).toBe('https://shop.example/return.php');
    const fields = Object.fromEntries(target.searchParams);
    expect(fields.sign).toBe(epaySignOf(fields, epay.key));
    expect(fields).toMatchObject({
      out_trade_no: 'EP-BIG',
      money: '99999.99',
      trade_status: 'TRADE_SUCCESS',
    });
    // A forged token finds nothing.
    expect((await fetch(`${order.return_url!.slice(0, -4)}AAAA`, { redirect: 'manual' })).status).toBe(404);
  });

  it("epay: refusals come in epay's shape and change nothing", async () => {
    const before = await orderCount();
    const fields = {
      type: 'alipay',
      out_trade_no: 'EP-BAD',
      notify_url: epayReceiver.url,
      name: 'n',
      money: '1.00',
    };
    const mapi = async (params: Record<string, string>) => (await epayPost('/mapi.php', params)).json();
    expect(await mapi(signedEpay(fields, 'wrong-key'))).toEqual({ code: -1, msg: '签名校验失败' });
    expect(await mapi(signedEpay(fields, epay.key, '99999999'))).toEqual({ code: -1, msg: '签名校验失败' });
    expect(await mapi(signedEpay(fields, formerEpay.key, formerEpay.pid))).toEqual({
      code: -1,
      msg: '签名校验失败',
    });
    for (const money of ['1.234', '-1', '1e2', '0.00', '0', '.5', ' 1', '1,00', '０.01', '100000000000000']) {
      const answer = await mapi(signedEpay({ ...fields, money }));
      expect(answer, money).toMatchObject({ code: -1, msg: expect.stringMatching(/^金额\(money\)不合法/) });
    }
    expect(await mapi(signedEpay({ ...fields, type: 'qqpay' }))).toEqual({
      code: -1,
      msg: '支付方式(type=qqpay)不支持',
    });
    const page = await epayPost('/submit.php', signedEpay(fields, 'wrong-key'));
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('签名校验失败');
    const query = await (
      await fetch(`${t.platform.url}/api.php?act=order&pid=${epay.pid}&key=nope&out_trade_no=EP-1`)
    ).json();
    expect(query).toEqual({ code: -1, msg: '商户ID或密钥校验失败' });
    expect(await orderCount()).toBe(before);
  });
});
