/**
 * A local stand-in for WeChat Pay's API v3 (https://pay.weixin.qq.com/doc/v3/merchant/4012062524),
 * for tests. It checks our requests' `Authorization` signatures as WeChat Pay does, answers signed
 * with its own key (a WeChat Pay public key `PUB_KEY_ID_…`, or a platform certificate served by
 * `GET /v3/certificates`), keeps payments and refunds in memory and sends signed notifies with an
 * AEAD_AES_256_GCM resource, retried on a non-2xx answer. Its crypto is written here with
 * node:crypto alone, apart from the adapter's, so the two check each other.
 */
import { execFileSync } from 'node:child_process';
import {
  createCipheriv,
  createHash,
  createPublicKey,
  createSign,
  createVerify,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomUUID,
  X509Certificate,
} from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

// biome-ignore lint/suspicious/noExplicitAny: request bodies are checked field by field, as WeChat Pay does
type Body = Record<string, any>;

export interface WechatpayFakeOptions {
  mchId: string;
  appId: string;
  /** The merchant API certificate's public key and serial: our requests are verified with it. */
  merchantPublicKey: KeyObject | string;
  merchantSerial: string;
  apiV3Key: string;
  /** Which key WeChat Pay signs with: the public key (PUB_KEY_ID_…) or a platform certificate. */
  mode: 'public_key' | 'platform_certificate';
  retryDelaysMs?: number[];
  /** Service-provider mode (服务商): mchId/appId are the provider's, this the sub-merchant paid. */
  subMchId?: string;
  subAppId?: string;
  /** How long a `…88` pay code stays USERPAYING before it is paid. */
  userPayingMs?: number;
}

interface Signer {
  serial: string;
  privateKey: KeyObject;
}

export interface Trade {
  appid: string;
  mchid: string;
  out_trade_no: string;
  transaction_id: string;
  trade_type: string;
  trade_state: string;
  trade_state_desc: string;
  total: number;
  currency: string;
  notify_url: string | null;
  openid: string;
  success_time?: string;
  payingUntil?: number;
}

export interface Refund {
  refund_id: string;
  out_refund_no: string;
  out_trade_no: string;
  transaction_id: string;
  status: string;
  refund: number;
  total: number;
  notify_url: string | null;
  create_time: string;
  success_time?: string;
}

export interface SentNotify {
  url: string;
  body: string;
  headers: Record<string, string>;
  statuses: number[];
}

function rsa(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

/** A self-signed X.509 certificate for a key pair, made by the openssl command line. */
export function selfSignedCertificate(privateKey: KeyObject, commonName = 'Tenpay.com Root CA'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wxcert-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const serial = `0x${(randomBytes(16)[0]! & 0x7f).toString(16).padStart(2, '0')}${randomBytes(15).toString('hex')}`;
    return execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-new',
        '-key',
        keyFile,
        '-subj',
        `/CN=${commonName}/O=Tenpay.com`,
        '-days',
        '30',
        '-set_serial',
        serial,
      ],
      { encoding: 'utf8' },
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const sign = (message: string, key: KeyObject) =>
  createSign('RSA-SHA256').update(message).sign(key, 'base64');
const shanghaiTime = (at = new Date()) =>
  `${new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
const yuan = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

export async function startWechatpayFake(options: WechatpayFakeOptions) {
  const retryDelaysMs = options.retryDelaysMs ?? [100, 200, 400];
  const publicKeyPair = rsa();
  const publicKeySigner: Signer = {
    serial: `PUB_KEY_ID_0114${randomBytes(14).toString('hex').toUpperCase()}`,
    privateKey: publicKeyPair,
  };
  const newCertificate = () => {
    const privateKey = rsa();
    const pem = selfSignedCertificate(privateKey);
    return {
      pem,
      signer: { serial: new X509Certificate(pem).serialNumber.toUpperCase(), privateKey } as Signer,
    };
  };
  const certificates = [newCertificate()];
  let mode = options.mode;
  let badSignatures = 0;
  let timeoutNext = 0;
  let holdRefundNotifies = false;
  const trades = new Map<string, Trade>();
  const refunds = new Map<string, Refund>();
  const bills = new Map<string, string>();
  const notifies: SentNotify[] = [];
  const requests: { method: string; path: string; body: string }[] = [];
  const pending = new Set<Promise<void>>();

  const signer = (): Signer => (mode === 'public_key' ? publicKeySigner : certificates.at(-1)!.signer);

  const signedHeaders = (body: string, by: Signer = signer(), timestamp = Math.floor(Date.now() / 1000)) => {
    const nonce = randomBytes(16).toString('hex');
    let key = by.privateKey;
    if (badSignatures > 0) {
      badSignatures--;
      key = rsa();
    }
    return {
      'Wechatpay-Timestamp': String(timestamp),
      'Wechatpay-Nonce': nonce,
      'Wechatpay-Signature': sign(`${timestamp}\n${nonce}\n${body}\n`, key),
      'Wechatpay-Serial': by.serial,
      'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
    };
  };

  const encryptResource = (plaintext: string, associatedData: string) => {
    const nonce = randomBytes(6).toString('hex');
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(options.apiV3Key), Buffer.from(nonce));
    cipher.setAAD(Buffer.from(associatedData));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return {
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext: ciphertext.toString('base64'),
      associated_data: associatedData,
      nonce,
    };
  };

  const partner = options.subMchId !== undefined;
  const transactionOf = (t: Trade) => ({
    ...(partner
      ? {
          sp_appid: t.appid,
          sp_mchid: t.mchid,
          ...(options.subAppId ? { sub_appid: options.subAppId } : {}),
          sub_mchid: options.subMchId,
        }
      : { appid: t.appid, mchid: t.mchid }),
    out_trade_no: t.out_trade_no,
    transaction_id: t.transaction_id,
    trade_type: t.trade_type,
    trade_state: t.trade_state,
    trade_state_desc: t.trade_state_desc,
    bank_type: 'OTHERS',
    attach: '',
    ...(t.success_time ? { success_time: t.success_time } : {}),
    payer: { [partner ? (options.subAppId ? 'sub_openid' : 'sp_openid') : 'openid']: t.openid },
    amount: { total: t.total, payer_total: t.total, currency: t.currency, payer_currency: t.currency },
  });

  const refundResource = (r: Refund) => ({
    ...(partner ? { sp_mchid: options.mchId, sub_mchid: options.subMchId } : { mchid: options.mchId }),
    out_trade_no: r.out_trade_no,
    transaction_id: r.transaction_id,
    out_refund_no: r.out_refund_no,
    refund_id: r.refund_id,
    refund_status: r.status,
    ...(r.success_time ? { success_time: r.success_time } : {}),
    user_received_account: '支付用户零钱',
    amount: { total: r.total, refund: r.refund, payer_total: r.total, payer_refund: r.refund },
  });

  /** A notify as WeChat Pay builds it: JSON with an encrypted resource, and its Wechatpay-* headers. */
  function buildNotify(
    eventType: string,
    resource: object,
    how: { signer?: Signer; timestamp?: number; apiV3Key?: string } = {},
  ): { body: string; headers: Record<string, string> } {
    const originalType = eventType.startsWith('REFUND.') ? 'refund' : 'transaction';
    const plaintext = JSON.stringify(resource);
    const encrypted = how.apiV3Key
      ? (() => {
          const nonce = randomBytes(6).toString('hex');
          const c = createCipheriv('aes-256-gcm', Buffer.from(how.apiV3Key!), Buffer.from(nonce));
          c.setAAD(Buffer.from(originalType));
          const ct = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
          return {
            algorithm: 'AEAD_AES_256_GCM',
            ciphertext: ct.toString('base64'),
            associated_data: originalType,
            nonce,
          };
        })()
      : encryptResource(plaintext, originalType);
    const body = JSON.stringify({
      id: randomUUID(),
      create_time: shanghaiTime(),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary: eventType === 'TRANSACTION.SUCCESS' ? '支付成功' : '退款通知',
      resource: { original_type: originalType, ...encrypted },
    });
    return {
      body,
      headers: { 'Content-Type': 'application/json', ...signedHeaders(body, how.signer, how.timestamp) },
    };
  }

  /** Sends a notify, re-signed on each retry as WeChat Pay does, until a 2xx or the retries run out. */
  function deliver(url: string, eventType: string, resource: object): Promise<void> {
    const sent: SentNotify = { url, body: '', headers: {}, statuses: [] };
    notifies.push(sent);
    const run = (async () => {
      for (let attempt = 0; attempt <= retryDelaysMs.length; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, retryDelaysMs[attempt - 1]));
        const { body, headers } = buildNotify(eventType, resource);
        sent.body = body;
        sent.headers = headers;
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers,
            body,
            signal: AbortSignal.timeout(5_000),
          });
          await response.text();
          sent.statuses.push(response.status);
          if (response.status >= 200 && response.status < 300) return;
        } catch {
          sent.statuses.push(0);
        }
      }
    })();
    pending.add(run);
    void run.finally(() => pending.delete(run));
    return run;
  }

  const error = (status: number, code: string, message: string) => ({ status, body: { code, message } });
  type Reply = { status: number; body?: unknown; raw?: string; unsigned?: boolean };

  function newTrade(body: Body, tradeType: string): Trade {
    return {
      appid: body.appid,
      mchid: body.mchid,
      out_trade_no: body.out_trade_no,
      transaction_id: `4200${Date.now()}${randomBytes(4).toString('hex')}`,
      trade_type: tradeType,
      trade_state: 'NOTPAY',
      trade_state_desc: '订单未支付',
      total: body.amount.total,
      currency: body.amount.currency ?? 'CNY',
      notify_url: body.notify_url ?? null,
      openid: body.payer?.openid ?? `o${randomBytes(12).toString('hex')}`,
    };
  }

  function markPaid(trade: Trade) {
    trade.trade_state = 'SUCCESS';
    trade.trade_state_desc = '支付成功';
    trade.success_time = shanghaiTime();
  }

  function checkOrder(body: Body): Reply | null {
    if (body.mchid !== options.mchId || body.appid !== options.appId) {
      return error(400, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
    }
    if (typeof body.out_trade_no !== 'string' || !/^[\w*|-]{6,32}$/.test(body.out_trade_no)) {
      return error(400, 'PARAM_ERROR', 'out_trade_no');
    }
    if (!Number.isInteger(body.amount?.total) || body.amount.total < 1)
      return error(400, 'PARAM_ERROR', 'amount.total');
    if (typeof body.description !== 'string' || body.description === '')
      return error(400, 'PARAM_ERROR', 'description');
    return null;
  }

  /**
   * A service provider calls /v3/pay/partner/transactions with sp_/sub_ ids; a direct merchant
   * /v3/pay/transactions. Partner requests are checked, then served as the direct ones.
   */
  function routePartner(method: string, url: URL, body: Body): Reply {
    const partnerPath = url.pathname.startsWith('/v3/pay/partner/transactions');
    if (url.pathname.startsWith('/v3/pay/') && partnerPath !== partner) {
      return error(403, 'NO_AUTH', partner ? 'use the partner API' : 'not a service provider');
    }
    if (
      partner &&
      url.pathname.startsWith('/v3/refund/') &&
      method === 'POST' &&
      body.sub_mchid !== options.subMchId
    ) {
      return error(400, 'PARAM_ERROR', 'sub_mchid');
    }
    if (
      partner &&
      method === 'GET' &&
      !url.pathname.startsWith('/v3/pay/') &&
      !url.pathname.startsWith('/v3/billdownload') &&
      url.pathname !== '/v3/certificates' &&
      url.searchParams.get('sub_mchid') !== options.subMchId
    ) {
      return error(400, 'PARAM_ERROR', 'sub_mchid');
    }
    if (!partnerPath) return route(method, url, body);
    const mapped = new URL(url.href.replace('/v3/pay/partner/transactions', '/v3/pay/transactions'));
    if (method === 'GET') {
      if (
        url.searchParams.get('sp_mchid') !== options.mchId ||
        url.searchParams.get('sub_mchid') !== options.subMchId
      ) {
        return error(400, 'PARAM_ERROR', 'sp_mchid/sub_mchid');
      }
      mapped.searchParams.set('mchid', options.mchId);
      return route(method, mapped, body);
    }
    if (body.sp_mchid !== options.mchId || body.sub_mchid !== options.subMchId)
      return error(400, 'PARAM_ERROR', 'sp_mchid/sub_mchid');
    if (body.sub_appid !== undefined && body.sub_appid !== options.subAppId)
      return error(400, 'APPID_MCHID_NOT_MATCH', 'sub_appid');
    const payer = body.payer
      ? { ...body.payer, openid: body.payer.sub_openid ?? body.payer.sp_openid }
      : undefined;
    return route(method, mapped, { ...body, mchid: body.sp_mchid, appid: body.sp_appid, payer });
  }

  function route(method: string, url: URL, body: Body): Reply {
    const p = url.pathname;
    const create = method === 'POST' ? /^\/v3\/pay\/transactions\/(native|h5|jsapi)$/.exec(p) : null;
    if (create) {
      const kind = create[1]!;
      const bad = checkOrder(body);
      if (bad) return bad;
      if (typeof body.notify_url !== 'string' || !/^https?:\/\//.test(body.notify_url))
        return error(400, 'PARAM_ERROR', 'notify_url');
      if (kind === 'h5' && (!body.scene_info?.payer_client_ip || !body.scene_info?.h5_info?.type)) {
        return error(400, 'PARAM_ERROR', 'scene_info');
      }
      if (kind === 'jsapi' && !body.payer?.openid) return error(400, 'PARAM_ERROR', 'payer.openid');
      let trade = trades.get(body.out_trade_no);
      if (trade && trade.total !== body.amount.total)
        return error(400, 'OUT_TRADE_NO_USED', '商户订单号重复');
      if (trade && trade.trade_state !== 'NOTPAY')
        return error(400, trade.trade_state === 'CLOSED' ? 'ORDER_CLOSED' : 'ORDERPAID', trade.trade_state);
      trade ??= newTrade(body, { native: 'NATIVE', h5: 'MWEB', jsapi: 'JSAPI' }[kind]!);
      trades.set(trade.out_trade_no, trade);
      const token = createHash('sha1').update(trade.out_trade_no).digest('hex').slice(0, 16);
      if (kind === 'native')
        return { status: 200, body: { code_url: `weixin://wxpay/bizpayurl?pr=${token}` } };
      if (kind === 'h5')
        return {
          status: 200,
          body: { h5_url: `https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx${token}` },
        };
      return { status: 200, body: { prepay_id: `wx${token}` } };
    }
    if (method === 'POST' && p === '/v3/pay/transactions/codepay') {
      const bad = checkOrder(body);
      if (bad) return bad;
      const code: string = body.payer?.auth_code ?? '';
      if (!/^1[0-5]\d{16}$/.test(code)) return error(400, 'PARAM_ERROR', 'auth_code');
      if (trades.has(body.out_trade_no))
        return { status: 200, body: transactionOf(trades.get(body.out_trade_no)!) };
      const trade = newTrade(body, 'MICROPAY');
      trades.set(trade.out_trade_no, trade);
      if (code.endsWith('88')) {
        trade.trade_state = 'USERPAYING';
        trade.trade_state_desc = '需要用户输入支付密码';
        trade.payingUntil = Date.now() + (options.userPayingMs ?? 300);
        return error(202, 'USERPAYING', '需要用户输入支付密码');
      }
      if (code.endsWith('77')) return error(500, 'SYSTEM_ERROR', '系统繁忙，请稍后重试');
      if (code.endsWith('99')) {
        trade.trade_state = 'PAYERROR';
        trade.trade_state_desc = '余额不足';
        return error(403, 'NOTENOUGH', '用户余额不足');
      }
      markPaid(trade);
      return { status: 200, body: transactionOf(trade) };
    }
    const m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)(\/close|\/reverse)?$/.exec(p);
    if (m) {
      const trade = trades.get(decodeURIComponent(m[1]!));
      if (method === 'GET' && !m[2]) {
        if (url.searchParams.get('mchid') !== options.mchId) return error(400, 'PARAM_ERROR', 'mchid');
        if (!trade) return error(404, 'ORDER_NOT_EXIST', '订单不存在');
        if (trade.trade_state === 'USERPAYING' && Date.now() >= (trade.payingUntil ?? 0)) markPaid(trade);
        return { status: 200, body: transactionOf(trade) };
      }
      if (method === 'POST' && body.mchid !== options.mchId) return error(400, 'PARAM_ERROR', 'mchid');
      if (method === 'POST' && m[2] === '/close') {
        if (!trade) return error(404, 'ORDER_NOT_EXIST', '订单不存在');
        if (trade.trade_state === 'SUCCESS' || trade.trade_state === 'REFUND')
          return error(400, 'ORDERPAID', '订单已支付');
        trade.trade_state = 'CLOSED';
        trade.trade_state_desc = '订单已关闭';
        return { status: 204 };
      }
      if (method === 'POST' && m[2] === '/reverse') {
        if (!trade) return error(404, 'ORDER_NOT_EXIST', '订单不存在');
        trade.trade_state = 'REVOKED';
        trade.trade_state_desc = '已撤销';
        return { status: 204 };
      }
    }
    if (method === 'POST' && p === '/v3/refund/domestic/refunds') {
      const trade = trades.get(body.out_trade_no);
      if (!trade) return error(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
      const existing = refunds.get(body.out_refund_no);
      if (existing) return { status: 200, body: refundAnswer(existing) };
      if (trade.trade_state !== 'SUCCESS' && trade.trade_state !== 'REFUND')
        return error(400, 'INVALID_REQUEST', '订单未支付');
      const amount = body.amount ?? {};
      if (
        !Number.isInteger(amount.refund) ||
        amount.refund < 1 ||
        amount.total !== trade.total ||
        amount.currency !== 'CNY'
      ) {
        return error(400, 'PARAM_ERROR', 'amount');
      }
      const refunded = [...refunds.values()]
        .filter((r) => r.out_trade_no === trade.out_trade_no && r.status !== 'CLOSED')
        .reduce((s, r) => s + r.refund, 0);
      if (refunded + amount.refund > trade.total)
        return error(400, 'INVALID_REQUEST', '申请退款金额超过订单可退金额');
      const refund: Refund = {
        refund_id: `5030${Date.now()}${randomBytes(4).toString('hex')}`,
        out_refund_no: body.out_refund_no,
        out_trade_no: trade.out_trade_no,
        transaction_id: trade.transaction_id,
        status: 'PROCESSING',
        refund: amount.refund,
        total: trade.total,
        notify_url: body.notify_url ?? null,
        create_time: shanghaiTime(),
      };
      refunds.set(refund.out_refund_no, refund);
      setTimeout(() => {
        refund.status = 'SUCCESS';
        refund.success_time = shanghaiTime();
        trade.trade_state = 'REFUND';
        trade.trade_state_desc = '转入退款';
        if (refund.notify_url && !holdRefundNotifies)
          void deliver(refund.notify_url, 'REFUND.SUCCESS', refundResource(refund));
      }, 50);
      return { status: 200, body: refundAnswer(refund) };
    }
    const refundQuery = method === 'GET' ? /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(p) : null;
    if (refundQuery) {
      const refund = refunds.get(decodeURIComponent(refundQuery[1]!));
      return refund
        ? { status: 200, body: refundAnswer(refund) }
        : error(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
    }
    if (method === 'GET' && p === '/v3/certificates') {
      return {
        status: 200,
        body: {
          data: certificates.map((c) => {
            const x509 = new X509Certificate(c.pem);
            return {
              serial_no: c.signer.serial,
              effective_time: shanghaiTime(new Date(x509.validFrom)),
              expire_time: shanghaiTime(new Date(x509.validTo)),
              encrypt_certificate: encryptResource(c.pem, 'certificate'),
            };
          }),
        },
      };
    }
    if (method === 'GET' && p === '/v3/bill/tradebill') {
      const date = url.searchParams.get('bill_date') ?? '';
      const csv = tradeBill(date);
      if (csv === null) return error(400, 'NO_STATEMENT_EXIST', '要查询的账单不存在');
      const token = randomBytes(8).toString('hex');
      bills.set(token, csv);
      return {
        status: 200,
        body: {
          hash_type: 'SHA1',
          hash_value: createHash('sha1').update(csv).digest('hex'),
          download_url: `${server.url}/v3/billdownload/file?token=${token}`,
        },
      };
    }
    if (method === 'GET' && p === '/v3/billdownload/file') {
      const csv = bills.get(url.searchParams.get('token') ?? '');
      return csv === undefined
        ? error(400, 'PARAM_ERROR', 'token')
        : { status: 200, raw: csv, unsigned: true };
    }
    return error(404, 'NOT_FOUND', `${method} ${p}`);
  }

  const refundAnswer = (r: Refund) => ({
    refund_id: r.refund_id,
    out_refund_no: r.out_refund_no,
    transaction_id: r.transaction_id,
    out_trade_no: r.out_trade_no,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    ...(r.success_time ? { success_time: r.success_time } : {}),
    create_time: r.create_time,
    status: r.status,
    funds_account: 'AVAILABLE',
    amount: {
      total: r.total,
      refund: r.refund,
      payer_total: r.total,
      payer_refund: r.refund,
      settlement_refund: r.refund,
      settlement_total: r.total,
      discount_refund: 0,
      currency: 'CNY',
      refund_fee: 0,
    },
  });

  /** The trade bill of a day (Asia/Shanghai): every payment and every successful refund. */
  function tradeBill(date: string): string | null {
    // 手续费 is rounded to the fen and written with five decimals; a refund's is negative (given back).
    const fee = (fen: number) => `${yuan(Math.round(fen * 0.006))}000`;
    const sums = { settled: 0, refunded: 0, fees: 0, ordered: 0, asked: 0 };
    const rows: string[][] = [];
    for (const t of trades.values()) {
      if (!t.success_time?.startsWith(date)) continue;
      sums.settled += t.total;
      sums.ordered += t.total;
      sums.fees += Math.round(t.total * 0.006);
      rows.push([
        t.success_time.slice(0, 19).replace('T', ' '),
        t.appid,
        t.mchid,
        '0',
        '',
        t.transaction_id,
        t.out_trade_no,
        t.openid,
        t.trade_type,
        'SUCCESS',
        'OTHERS',
        'CNY',
        yuan(t.total),
        '0.00',
        '0',
        '0',
        '0.00',
        '0.00',
        '',
        '',
        'goods',
        '',
        fee(t.total),
        '0.60%',
        yuan(t.total),
        '0.00',
        '',
      ]);
    }
    for (const r of refunds.values()) {
      if (r.status !== 'SUCCESS' || !r.success_time?.startsWith(date)) continue;
      const t = trades.get(r.out_trade_no)!;
      sums.refunded += r.refund;
      sums.asked += r.refund;
      sums.fees -= Math.round(r.refund * 0.006);
      rows.push([
        r.success_time.slice(0, 19).replace('T', ' '),
        t.appid,
        t.mchid,
        '0',
        '',
        t.transaction_id,
        t.out_trade_no,
        t.openid,
        t.trade_type,
        'REFUND',
        'OTHERS',
        'CNY',
        '0.00',
        '0.00',
        r.refund_id,
        r.out_refund_no,
        yuan(r.refund),
        '0.00',
        'ORIGINAL',
        'SUCCESS',
        'goods',
        '',
        `-${fee(r.refund)}`,
        '0.60%',
        '0.00',
        yuan(r.refund),
        '',
      ]);
    }
    if (rows.length === 0) return null;
    const header =
      '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
    const summary =
      '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';
    const signed = (fen: number) => (fen < 0 ? `-${yuan(-fen)}` : yuan(fen));
    const figures = [
      String(rows.length),
      yuan(sums.settled),
      yuan(sums.refunded),
      '0.00',
      `${signed(sums.fees)}000`,
      yuan(sums.ordered),
      yuan(sums.asked),
    ];
    const line = (fields: string[]) => fields.map((f) => `\`${f}`).join(',');
    return `${header}\r\n${rows.map(line).join('\r\n')}\r\n${summary}\r\n${line(figures)}\r\n`;
  }

  /** Checks the Authorization header the way WeChat Pay does; a reason when it does not verify. */
  function authorizationProblem(
    method: string,
    rawPath: string,
    body: string,
    header: string | undefined,
  ): string | null {
    const schema = 'WECHATPAY2-SHA256-RSA2048 ';
    if (!header?.startsWith(schema)) return 'no WECHATPAY2-SHA256-RSA2048 authorization';
    const parts = Object.fromEntries(
      [...header.slice(schema.length).matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (parts.mchid !== options.mchId) return 'mchid does not match';
    if (parts.serial_no !== options.merchantSerial) return 'serial_no is not the merchant certificate';
    if (Math.abs(Date.now() / 1000 - Number(parts.timestamp)) > 300) return 'timestamp expired';
    const message = `${method}\n${rawPath}\n${parts.timestamp}\n${parts.nonce_str}\n${body}\n`;
    const ok = createVerify('RSA-SHA256')
      .update(message)
      .verify(options.merchantPublicKey, parts.signature ?? '', 'base64');
    return ok ? null : 'signature does not verify';
  }

  const httpServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', server.url);
      requests.push({ method, path: req.url ?? '', body: text });
      let reply: Reply;
      const problem = authorizationProblem(method, req.url ?? '/', text, req.headers.authorization);
      if (problem) reply = error(401, 'SIGN_ERROR', problem);
      else {
        let body: Body = {};
        try {
          body = text === '' ? {} : JSON.parse(text);
        } catch {
          body = {};
        }
        reply =
          method === 'POST' && text !== '' && typeof body !== 'object'
            ? error(400, 'PARAM_ERROR', 'json')
            : routePartner(method, url, body);
      }
      const answer = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
      const headers: Record<string, string> = { 'Request-ID': randomUUID() };
      if (reply.raw === undefined && reply.body !== undefined) headers['Content-Type'] = 'application/json';
      if (!reply.unsigned) Object.assign(headers, signedHeaders(answer));
      const send = () => res.writeHead(reply.status, headers).end(answer);
      if (timeoutNext > 0) {
        timeoutNext--;
        setTimeout(send, 10_000).unref();
      } else send();
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const server = { url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` };

  return {
    url: server.url,
    keys: {
      publicKeyId: publicKeySigner.serial,
      publicKeyPem: createPublicKey(publicKeyPair).export({ type: 'spki', format: 'pem' }) as string,
      /** The platform certificates WeChat Pay has handed out, newest last. */
      certificates: () => certificates.map((c) => ({ serial: c.signer.serial, pem: c.pem })),
      publicKeySigner,
      certificateSigner: () => certificates.at(-1)!.signer,
    },
    trades,
    refunds,
    notifies,
    requests,
    /** The payer pays: the trade is SUCCESS and WeChat Pay notifies the notify_url it was given. */
    async pay(orderNo: string): Promise<void> {
      const trade = trades.get(orderNo);
      if (trade?.trade_state !== 'NOTPAY')
        throw new Error(`trade ${orderNo} cannot be paid (${trade?.trade_state})`);
      markPaid(trade);
      if (trade.notify_url) await deliver(trade.notify_url, 'TRANSACTION.SUCCESS', transactionOf(trade));
    },
    transactionOf,
    refundResource,
    buildNotify,
    deliverRaw: async (url: string, notify: { body: string; headers: Record<string, string> }) => {
      const response = await fetch(url, { method: 'POST', headers: notify.headers, body: notify.body });
      return { status: response.status, body: await response.text() };
    },
    /** The next `n` answers (and notifies) carry a signature that does not verify. */
    signBadly(n = 1) {
      badSignatures = n;
    },
    /** The next answer comes after 10 s (a timeout for the caller). */
    timeoutNextAnswer() {
      timeoutNext = 1;
    },
    holdRefundNotifies(hold: boolean) {
      holdRefundNotifies = hold;
    },
    setMode(next: 'public_key' | 'platform_certificate') {
      mode = next;
    },
    /** A new platform certificate signs from now on (the old one is still served). */
    rotateCertificate(): string {
      certificates.push(newCertificate());
      return certificates.at(-1)!.signer.serial;
    },
    async settled() {
      await Promise.all([...pending]);
    },
    async close() {
      await Promise.allSettled([...pending]);
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

export type WechatpayFake = Awaited<ReturnType<typeof startWechatpayFake>>;
