/**
 * A local stand-in for Alipay's open-platform gateway (v2, RSA2, public-key mode), for tests: it
 * checks our requests' signatures as the gateway does (every parameter but `sign`, sorted, over the
 * app's public key), answers JSON signed over the raw `*_response` text with its own key, keeps
 * trades and refunds in memory, and sends form-encoded signed notifies to the trade's notify_url,
 * retried until the answer is `success`. Knobs make the next answers misbehave.
 *
 * Reference: https://opendocs.alipay.com/common/02kf5q (signatures), https://opendocs.alipay.com/open/270/105902
 * (notifies); methods as in src/channels/alipay/adapter.ts.
 */
import { generateKeyPairSync, type KeyObject, randomInt } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  fromYuan,
  responseKeyOf,
  rsa2Sign,
  rsa2Verify,
  shanghaiTime,
  signingString,
  toYuan,
} from '../../../src/channels/alipay/protocol.ts';
import { statementZip } from './statement.ts';

export interface FakeApp {
  appId: string;
  /** The app public key the merchant uploaded. */
  publicKey: KeyObject;
  sellerId: string;
  /** Certificate mode: the app_cert_sn and alipay_root_cert_sn its requests must carry. */
  certSn?: string;
  rootCertSn?: string;
}

export type PayCodeBehaviour =
  | { kind: 'paid' }
  /** 10003: the customer confirms on the phone after this many queries (Infinity: never). */
  | { kind: 'wait'; paidAfterQueries: number }
  /** ACQ.SYSTEM_ERROR with the trade left waiting (or dropped: no answer at all). */
  | { kind: 'system_error' }
  | { kind: 'drop' }
  | { kind: 'decline'; subCode: string };

export interface FakeTrade {
  app: FakeApp;
  outTradeNo: string;
  tradeNo: string;
  total: bigint;
  subject: string;
  status: 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED';
  notifyUrl: string | undefined;
  createdAt: Date;
  paidAt: Date | null;
  refunds: Map<string, { amount: bigint; at: Date }>;
  refunded: bigint;
  paidAfterQueries: number | null;
  /** False for a precreated QR nobody has scanned yet. */
  scanned: boolean;
  queries: number;
}

export interface SentNotify {
  orderNo: string;
  url: string;
  body: string;
  answers: string[];
}

export interface AlipayFake {
  url: string;
  gatewayUrl: string;
  keys: { publicKey: KeyObject; privateKey: KeyObject; publicPem: string };
  apps: FakeApp[];
  trades: Map<string, FakeTrade>;
  notifies: SentNotify[];
  /** Every method called, in order (after the signature check); every request's parameters. */
  calls: string[];
  requests: Record<string, string>[];
  /** While held, notifies wait; released, they go out. */
  holdNotifies(hold: boolean): void;
  /** The payer scans a precreated QR (the trade opens at Alipay). */
  scan(orderNo: string): void;
  /** The next N answers are signed with another key. */
  badlySignNext(count?: number): void;
  /** The next call of this method is carried out, then the connection is dropped (the answer is lost). */
  dropAnswerOf(method: string): void;
  /** How a pay code behaves when it is scanned. */
  payCode(authCode: string, behaviour: PayCodeBehaviour): void;
  /** The payer pays the trade (it must be waiting); Alipay then notifies. */
  pay(orderNo: string): Promise<void>;
  /** Form body of a notify as Alipay would sign it, with fields replaced or added (for forgeries). */
  notifyBody(orderNo: string, overrides?: Record<string, string | undefined>, key?: KeyObject): string;
  close(): Promise<void>;
}

const QUIET_REPLY = { status: 200 };

export async function startAlipayFake(options: {
  apps: FakeApp[];
  keys?: { publicKey: KeyObject; privateKey: KeyObject };
  notifyRetryDelaysMs?: number[];
  /** Certificate mode: the number of Alipay's certificate, sent beside every answer's sign. */
  alipayCertSn?: string;
  /** How long after the change the first notify attempt is made. */
  notifyDelayMs?: number;
}): Promise<AlipayFake> {
  const notifyDelayMs = options.notifyDelayMs ?? 50;
  const keys = options.keys ?? generateKeyPairSync('rsa', { modulusLength: 2048 });
  const wrongKey = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
  const retryDelays = options.notifyRetryDelaysMs ?? [100, 200, 400];
  const trades = new Map<string, FakeTrade>();
  const notifies: SentNotify[] = [];
  const calls: string[] = [];
  const requests: Record<string, string>[] = [];
  const payCodes = new Map<string, PayCodeBehaviour>();
  const drops = new Set<string>();
  let badSigns = 0;
  let held = false;
  const heldNotifies: (() => void)[] = [];
  let sequence = 0;
  const timers = new Set<NodeJS.Timeout>();

  const tradeNo = () =>
    `${shanghaiTime(new Date()).replace(/\D/g, '').slice(0, 8)}22001${String(++sequence).padStart(6, '0')}${randomInt(1e6)}`;

  const answer = (method: string, content: Record<string, unknown>) => {
    const raw = JSON.stringify(content);
    let key = keys.privateKey;
    if (badSigns > 0) {
      badSigns--;
      key = wrongKey;
    }
    const cert = options.alipayCertSn ? `"alipay_cert_sn":"${options.alipayCertSn}",` : '';
    return `{"${responseKeyOf(method)}":${raw},${cert}"sign":"${rsa2Sign(raw, key)}"}`;
  };
  const ok = (fields: Record<string, unknown> = {}) => ({ code: '10000', msg: 'Success', ...fields });
  const fail = (subCode: string, subMsg: string, code = '40004') => ({
    code,
    msg:
      code === '40004'
        ? 'Business Failed'
        : code === '40002'
          ? 'Invalid Arguments'
          : 'Service Currently Unavailable',
    sub_code: subCode,
    sub_msg: subMsg,
  });

  function notifyParams(trade: FakeTrade, extra: Record<string, string | undefined> = {}) {
    const params: Record<string, string | undefined> = {
      notify_time: shanghaiTime(new Date()),
      notify_type: 'trade_status_sync',
      notify_id: `${Date.now()}${randomInt(1e9)}`,
      app_id: trade.app.appId,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      buyer_id: '2088102177846880',
      buyer_logon_id: 'cli***@alipay.com',
      seller_id: trade.app.sellerId,
      trade_status: trade.status,
      total_amount: toYuan(trade.total),
      receipt_amount: toYuan(trade.total),
      buyer_pay_amount: toYuan(trade.total),
      subject: trade.subject,
      gmt_create: shanghaiTime(trade.createdAt),
      gmt_payment: trade.paidAt ? shanghaiTime(trade.paidAt) : undefined,
      fund_bill_list: trade.paidAt
        ? JSON.stringify([{ amount: toYuan(trade.total), fundChannel: 'ALIPAYACCOUNT' }])
        : undefined,
      ...extra,
    };
    return params;
  }

  function signedForm(params: Record<string, string | undefined>, key: KeyObject = keys.privateKey) {
    const sign = rsa2Sign(signingString(params, ['sign', 'sign_type']), key);
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...params, sign })) if (v !== undefined) form.set(k, v);
    return form.toString();
  }

  function sendNotify(trade: FakeTrade, extra: Record<string, string | undefined> = {}) {
    if (!trade.notifyUrl) return;
    const sent: SentNotify = {
      orderNo: trade.outTradeNo,
      url: trade.notifyUrl,
      body: signedForm(notifyParams(trade, extra)),
      answers: [],
    };
    notifies.push(sent);
    const attempt = async (n: number) => {
      let reply = '';
      try {
        const response = await fetch(sent.url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
          body: sent.body,
        });
        reply = (await response.text()).trim();
      } catch (error) {
        reply = `error: ${(error as Error).message}`;
      }
      sent.answers.push(reply);
      if (reply !== 'success' && n < retryDelays.length) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          void attempt(n + 1);
        }, retryDelays[n]);
        timers.add(timer);
      }
    };
    // Alipay notifies asynchronously, a moment after the change.
    const send = () => {
      const first = setTimeout(() => {
        timers.delete(first);
        void attempt(0);
      }, notifyDelayMs);
      timers.add(first);
    };
    if (held) heldNotifies.push(send);
    else send();
  }

  function markPaid(trade: FakeTrade) {
    trade.status = 'TRADE_SUCCESS';
    trade.paidAt = new Date();
    sendNotify(trade);
  }

  function openTrade(
    method: string,
    app: FakeApp,
    params: Record<string, string>,
    biz: Record<string, string>,
  ): FakeTrade | string {
    const total = fromYuan(biz.total_amount);
    if (!biz.out_trade_no || total === undefined || total <= 0n || total > 10_000_000_000n || !biz.subject) {
      return 'ACQ.INVALID_PARAMETER';
    }
    if (!/^\d+\.\d{2}$/.test(biz.total_amount!)) return 'ACQ.INVALID_PARAMETER';
    const existing = trades.get(biz.out_trade_no);
    if (existing) {
      if (existing.total !== total) return 'ACQ.CONTEXT_INCONSISTENT';
      return existing.status === 'WAIT_BUYER_PAY' ? existing : 'ACQ.TRADE_HAS_SUCCESS';
    }
    const trade: FakeTrade = {
      app,
      outTradeNo: biz.out_trade_no,
      tradeNo: tradeNo(),
      total,
      subject: biz.subject,
      status: 'WAIT_BUYER_PAY',
      scanned: method !== 'alipay.trade.precreate',
      notifyUrl: params.notify_url,
      createdAt: new Date(),
      paidAt: null,
      refunds: new Map(),
      refunded: 0n,
      paidAfterQueries: null,
      queries: 0,
    };
    trades.set(trade.outTradeNo, trade);
    return trade;
  }

  /** The gateway's check of a request: known app, RSA2, the signature over the app's public key. */
  function check(params: Record<string, string>): { app: FakeApp } | { error: Record<string, unknown> } {
    const app = options.apps.find((a) => a.appId === params.app_id);
    if (!params.method) return { error: fail('isv.missing-method', '缺少方法名参数', '40001') };
    if (!app) return { error: fail('isv.invalid-app-id', '无效的AppID参数', '40002') };
    if (params.sign_type !== 'RSA2')
      return { error: fail('isv.invalid-signature-type', '无效的签名类型', '40002') };
    if (params.charset && params.charset !== 'utf-8')
      return { error: fail('isv.invalid-charset', '字符集错误', '40002') };
    if (params.format && params.format !== 'JSON')
      return { error: fail('isv.invalid-format', '无效的数据格式', '40002') };
    if (params.version !== '1.0') return { error: fail('isv.invalid-version', '版本号错误', '40002') };
    if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(params.timestamp ?? '')) {
      return { error: fail('isv.invalid-timestamp', '非法的时间戳参数', '40002') };
    }
    if (app.certSn && (params.app_cert_sn !== app.certSn || params.alipay_root_cert_sn !== app.rootCertSn)) {
      return { error: fail('isv.app-cert-sn-invalid', '应用公钥证书序列号或根证书序列号不匹配', '40002') };
    }
    if (!params.sign || !rsa2Verify(signingString(params), params.sign, app.publicKey)) {
      return {
        error: fail(
          'isv.invalid-signature',
          `验签出错，网关生成的验签字符串为：${signingString(params)}`,
          '40002',
        ),
      };
    }
    return { app };
  }

  function handle(app: FakeApp, method: string, params: Record<string, string>, biz: Record<string, string>) {
    const trade = biz.out_trade_no ? trades.get(biz.out_trade_no) : undefined;
    const notExist = fail('ACQ.TRADE_NOT_EXIST', '交易不存在');
    // A precreated QR's trade exists at Alipay only once the payer scanned it.
    const mine = trade && trade.app === app && trade.scanned ? trade : undefined;
    switch (method) {
      case 'alipay.trade.precreate': {
        const opened = openTrade('alipay.trade.precreate', app, params, biz);
        if (typeof opened === 'string') return fail(opened, opened);
        return ok({
          out_trade_no: opened.outTradeNo,
          qr_code: `https://qr.alipay.com/bax0${opened.tradeNo.slice(-10)}`,
        });
      }
      case 'alipay.trade.pay': {
        if (biz.scene !== 'bar_code' || !/^\d{16,24}$/.test(biz.auth_code ?? ''))
          return fail('ACQ.INVALID_PARAMETER', 'scene/auth_code');
        const behaviour = payCodes.get(biz.auth_code!) ?? { kind: 'paid' };
        if (behaviour.kind === 'decline') return fail(behaviour.subCode, '用户付款被拒');
        // A system error before the trade was opened: queries find nothing, the cancel closes it.
        if (behaviour.kind === 'system_error') return fail('ACQ.SYSTEM_ERROR', '系统错误');
        const opened = openTrade('alipay.trade.pay', app, params, biz);
        if (typeof opened === 'string') return fail(opened, opened);
        const fields = {
          trade_no: opened.tradeNo,
          out_trade_no: opened.outTradeNo,
          total_amount: toYuan(opened.total),
        };
        // 'drop': paid, and the answer is lost on the way back.
        if (behaviour.kind === 'paid' || behaviour.kind === 'drop') {
          opened.status = 'TRADE_SUCCESS';
          opened.paidAt = new Date();
          sendNotify(opened);
          return ok({
            ...fields,
            receipt_amount: fields.total_amount,
            gmt_payment: shanghaiTime(opened.paidAt),
          });
        }
        opened.paidAfterQueries = behaviour.paidAfterQueries;
        return { code: '10003', msg: 'order success pay inprocess', ...fields };
      }
      case 'alipay.trade.query': {
        if (!mine) return notExist;
        mine.queries++;
        if (
          mine.status === 'WAIT_BUYER_PAY' &&
          mine.paidAfterQueries !== null &&
          mine.queries >= mine.paidAfterQueries
        ) {
          markPaid(mine);
        }
        return ok({
          trade_no: mine.tradeNo,
          out_trade_no: mine.outTradeNo,
          buyer_logon_id: 'cli***@alipay.com',
          trade_status: mine.status,
          total_amount: toYuan(mine.total),
          ...(mine.paidAt
            ? { send_pay_date: shanghaiTime(mine.paidAt), receipt_amount: toYuan(mine.total) }
            : {}),
        });
      }
      case 'alipay.trade.close': {
        if (!mine) return notExist;
        if (mine.status !== 'WAIT_BUYER_PAY') return fail('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
        mine.status = 'TRADE_CLOSED';
        sendNotify(mine, { gmt_close: shanghaiTime(new Date()) });
        return ok({ trade_no: mine.tradeNo, out_trade_no: mine.outTradeNo });
      }
      case 'alipay.trade.cancel': {
        // Cancelled (撤销) even before it exists: a QR not yet scanned can no longer be paid.
        const target = trade && trade.app === app ? trade : undefined;
        if (!target) return ok({ out_trade_no: biz.out_trade_no, retry_flag: 'N', action: 'close' });
        const action = target.status === 'TRADE_SUCCESS' ? 'refund' : 'close';
        target.status = 'TRADE_CLOSED';
        return ok({ trade_no: target.tradeNo, out_trade_no: target.outTradeNo, retry_flag: 'N', action });
      }
      case 'alipay.trade.refund': {
        if (!mine) return notExist;
        const amount = fromYuan(biz.refund_amount);
        const requestNo = biz.out_request_no ?? mine.outTradeNo;
        const fields = {
          trade_no: mine.tradeNo,
          out_trade_no: mine.outTradeNo,
          buyer_logon_id: 'cli***@alipay.com',
        };
        const before = mine.refunds.get(requestNo);
        if (before) {
          if (before.amount !== amount)
            return fail('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额与原请求不一致');
          return ok({ ...fields, fund_change: 'N', refund_fee: toYuan(mine.refunded) });
        }
        if (mine.status !== 'TRADE_SUCCESS') return fail('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
        if (amount === undefined || amount <= 0n) return fail('ACQ.INVALID_PARAMETER', 'refund_amount');
        if (mine.refunded + amount > mine.total)
          return fail('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
        const at = new Date();
        mine.refunds.set(requestNo, { amount, at });
        mine.refunded += amount;
        if (mine.refunded === mine.total) mine.status = 'TRADE_CLOSED';
        sendNotify(mine, {
          trade_status: mine.status,
          out_biz_no: requestNo,
          refund_fee: toYuan(mine.refunded),
          gmt_refund: `${shanghaiTime(at)}.000`,
          ...(mine.status === 'TRADE_CLOSED' ? { gmt_close: shanghaiTime(at) } : {}),
        });
        return ok({
          ...fields,
          fund_change: 'Y',
          refund_fee: toYuan(mine.refunded),
          gmt_refund_pay: shanghaiTime(at),
        });
      }
      case 'alipay.trade.fastpay.refund.query': {
        if (!mine) return notExist;
        const refund = mine.refunds.get(biz.out_request_no ?? mine.outTradeNo);
        if (!refund) return ok({});
        return ok({
          trade_no: mine.tradeNo,
          out_trade_no: mine.outTradeNo,
          out_request_no: biz.out_request_no,
          total_amount: toYuan(mine.total),
          refund_amount: toYuan(refund.amount),
          refund_status: 'REFUND_SUCCESS',
          gmt_refund_pay: shanghaiTime(refund.at),
        });
      }
      case 'alipay.data.dataservice.bill.downloadurl.query': {
        if (biz.bill_type !== 'trade' || !/^\d{4}-\d{2}-\d{2}$/.test(biz.bill_date ?? ''))
          return fail('isp.bill_type_invalid', 'bill_type/bill_date');
        return ok({ bill_download_url: `${url}/bill/${app.appId}/${biz.bill_date}.zip` });
      }
      default:
        return fail('isv.invalid-method', '不存在的方法名', '40002');
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const requestUrl = new URL(req.url ?? '/', 'http://fake');
      const bill = /^\/bill\/(\d+)\/(\d{4}-\d{2}-\d{2})\.zip$/.exec(requestUrl.pathname);
      if (bill) {
        const app = options.apps.find((a) => a.appId === bill[1]);
        if (!app) return res.writeHead(404).end();
        return res
          .writeHead(200, { 'content-type': 'application/zip' })
          .end(statementZip(trades.values(), app, bill[2]!));
      }
      if (requestUrl.pathname !== '/gateway.do') return res.writeHead(404).end();
      // The gateway takes parameters in the query string and the form body alike.
      const params: Record<string, string> = Object.fromEntries(requestUrl.searchParams);
      for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) params[k] = v;
      const method = params.method ?? '';
      requests.push(params);
      const checked = check(params);
      const pagePay = method === 'alipay.trade.wap.pay' || method === 'alipay.trade.page.pay';
      if ('error' in checked) {
        if (pagePay)
          return res
            .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
            .end(`<p>错误 ${String(checked.error.sub_code)}</p>`);
        return res
          .writeHead(200, { 'content-type': 'application/json;charset=utf-8' })
          .end(answer(method || 'error', checked.error));
      }
      calls.push(method);
      let biz: Record<string, string>;
      try {
        biz = JSON.parse(params.biz_content ?? '{}');
      } catch {
        return res
          .writeHead(200)
          .end(answer(method, fail('isv.invalid-biz-content', 'biz_content', '40002')));
      }
      if (pagePay) {
        const opened = openTrade(method, checked.app, params, biz);
        const text =
          typeof opened === 'string'
            ? `错误 ${opened}`
            : `支付宝收银台 ${opened.outTradeNo} ¥${toYuan(opened.total)}`;
        return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<p>${text}</p>`);
      }
      const content = handle(checked.app, method, params, biz);
      if (
        drops.delete(method) ||
        (method === 'alipay.trade.pay' && payCodes.get(biz.auth_code ?? '')?.kind === 'drop')
      ) {
        return req.socket.destroy();
      }
      res
        .writeHead(QUIET_REPLY.status, { 'content-type': 'application/json;charset=utf-8' })
        .end(answer(method, content));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    gatewayUrl: `${url}/gateway.do`,
    keys: { ...keys, publicPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    apps: options.apps,
    trades,
    notifies,
    calls,
    requests,
    holdNotifies(hold) {
      held = hold;
      if (!hold) for (const send of heldNotifies.splice(0)) send();
    },
    scan(orderNo) {
      const trade = trades.get(orderNo);
      if (trade) trade.scanned = true;
    },
    badlySignNext(count = 1) {
      badSigns = count;
    },
    dropAnswerOf(method) {
      drops.add(method);
    },
    payCode(authCode, behaviour) {
      payCodes.set(authCode, behaviour);
    },
    async pay(orderNo) {
      const trade = trades.get(orderNo);
      if (trade) trade.scanned = true;
      if (trade?.status !== 'WAIT_BUYER_PAY')
        throw new Error(`trade ${orderNo} cannot be paid (${trade?.status ?? 'none'})`);
      markPaid(trade);
    },
    notifyBody(orderNo, overrides = {}, key) {
      const trade = trades.get(orderNo);
      if (!trade) throw new Error(`no trade ${orderNo}`);
      return signedForm(notifyParams(trade, overrides), key);
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
