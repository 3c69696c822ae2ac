/**
 * The trade bill (交易账单) of one day: requested, downloaded from the API host, checked against its
 * SHA1 and read into statement lines for reconciliation.
 *
 * Official reference: https://pay.weixin.qq.com/doc/v3/merchant/4012791866
 */
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { z } from 'zod';
import type {
  ChannelContext,
  ChannelStatement,
  StatedTotals,
  StatementLine,
  StatementRequest,
} from '../types.ts';
import { baseUrlOf, callWechatpay, errorCode } from './api.ts';
import { type Credentials, credentialsSchema } from './credentials.ts';
import { authorizationHeader, parseTradeBill, parseTradeBillSummary, yuanToFen } from './protocol.ts';

const MAX_BILL_BYTES = 32 * 1024 * 1024;

export async function fetchStatement(
  ctx: ChannelContext,
  statement: StatementRequest,
): Promise<ChannelStatement> {
  const credentials = credentialsSchema.parse(ctx.credentials);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(statement.date)) throw new Error('date must be yyyy-MM-dd');
  const call = await callWechatpay(
    ctx,
    credentials,
    'GET',
    `/v3/bill/tradebill?bill_date=${statement.date}${
      credentials.subMchId ? `&sub_mchid=${credentials.subMchId}` : ''
    }&bill_type=ALL`,
  );
  if (!call.ok) throw new Error(`WeChat Pay bill request failed: ${call.code}: ${call.message}`);
  if (call.status !== 200) {
    // No transaction that day: WeChat Pay has no bill for it.
    if (errorCode(call) === 'NO_STATEMENT_EXIST') return { date: statement.date, lines: [], raw: '' };
    throw new Error(`WeChat Pay bill request: ${call.status} ${errorCode(call)}`);
  }
  const answer = z
    .object({ download_url: z.url(), hash_type: z.string(), hash_value: z.string() })
    .safeParse(call.json);
  if (!answer.success || answer.data.hash_type !== 'SHA1') throw new Error('bill answer is malformed');
  const downloadUrl = new URL(answer.data.download_url);
  // The bill comes from WeChat Pay's own API host, never from wherever an answer points.
  if (downloadUrl.origin !== new URL(baseUrlOf(credentials)).origin) {
    throw new Error('the bill download address is not on the API host');
  }
  const raw = await downloadBill(ctx, credentials, downloadUrl);
  if (createHash('sha1').update(raw).digest('hex') !== answer.data.hash_value.toLowerCase()) {
    throw new Error('the bill does not match its SHA1');
  }
  return statementOf(statement.date, raw.toString('utf8'));
}

/** A trade bill an operator downloaded from the merchant platform (UTF-8 CSV), read as fetchStatement reads it. */
export function statementFromFile(file: Buffer, request: StatementRequest): ChannelStatement {
  return statementOf(request.date, file.toString('utf8'));
}

function statementOf(date: string, text: string): ChannelStatement {
  const totals = billTotals(text);
  return { date, lines: statementLines(text), raw: text, ...(totals ? { totals } : {}) };
}

/**
 * The bill's own totals, from its summary line (总交易单数,应结订单总金额,退款总金额,充值券退款总金额,
 * 手续费总金额,订单总金额,申请退款总金额). Each figure adds up one column of the detail lines (or counts
 * them):
 *
 * - 总交易单数: the detail lines, payments and refunds together (the format's example bill has 12
 *   lines, six payments and six refunds of 0.01, and states 12, 0.06 and 0.06) → `lineCount`.
 * - 订单总金额: the 订单金额 column, the whole order amount of a payment line (0.00 on a refund line)
 *   → `paymentAmount`, as our payment lines carry 订单金额.
 * - 申请退款总金额: the 申请退款金额 column, the amount asked for on a refund line (0.00 on a payment
 *   line) → `refundAmount`, as our refund lines carry 申请退款金额.
 * - 手续费总金额: the 手续费 column, the fee of each line rounded to the fen and written with five
 *   decimals, negative on a refund line (given back) → `fee`, as our lines' fees add up.
 * - 应结订单总金额 (the 应结订单金额 column: 订单金额 less the 免充值券 part, what is settled to the
 *   merchant), 退款总金额 (申请退款总金额 less the 免充值券 refunds) and 充值券退款总金额: settlement
 *   figures our lines do not carry; not compared.
 *
 * Payments and refunds are not counted apart, so those counts stay null. A bill with lines our
 * statement does not read (REVOKED, a pay code payment reversed) counts and adds them too; its totals
 * then say nothing about our lines and are all kept as not stated.
 *
 * References: the format, https://pay.weixin.qq.com/docs/merchant/products/bill-download/format-trade.html
 * (columns and summary of the ALL bill); the example bill of
 * https://developers.weixin.qq.com/miniprogram/dev/wxcloudservice/wxcloudrun/src/development/pay/order/bill.html;
 * the meaning of the summary figures as WeChat Pay announced them when it added 订单总金额 and
 * 申请退款总金额 (November 2018: 应结订单总金额 "账单中所有应结订单金额汇总", 退款总金额 "申请退款总金额减去
 * 免充值券退款金额", 订单总金额 "账单中所有订单金额汇总", 申请退款总金额 "账单中申请退款金额汇总"), as quoted
 * by public bill parsers (lyenrowe/bill-parser, FileParser/WechatWap.php); 手续费's rounding, "精确到
 * 小数点后2位，四舍五入。末尾填充3个0", https://blog.csdn.net/weixin_39940425/article/details/115635963.
 */
function billTotals(text: string): StatedTotals | undefined {
  const summary = parseTradeBillSummary(text);
  if (!summary || summary.总交易单数 === undefined) return undefined;
  const unread = parseTradeBill(text).some((row) => row.交易状态 !== 'SUCCESS' && row.交易状态 !== 'REFUND');
  const figure = (name: string) => {
    const value = summary[name];
    if (value === undefined) return null;
    const fen = yuanToFen(value);
    if (fen === null) throw new Error(`the bill's ${name} is not an amount: ${value}`);
    return fen;
  };
  const count = summary.总交易单数.replace(/\.0*$/, '');
  if (!/^\d+$/.test(count)) throw new Error(`the bill's 总交易单数 is not a count: ${summary.总交易单数}`);
  if (unread) {
    return { paymentCount: null, paymentAmount: null, refundCount: null, refundAmount: null, fee: null };
  }
  return {
    paymentCount: null,
    paymentAmount: figure('订单总金额'),
    refundCount: null,
    refundAmount: figure('申请退款总金额'),
    fee: figure('手续费总金额'),
    lineCount: Number(count),
  };
}

function statementLines(text: string): StatementLine[] {
  const lines: StatementLine[] = [];
  for (const row of parseTradeBill(text)) {
    const at = new Date(`${row.交易时间!.replace(' ', 'T')}+08:00`);
    const fee = yuanToFen(row.手续费 ?? '');
    if (row.交易状态 === 'SUCCESS') {
      lines.push({
        kind: 'payment',
        orderNo: row.商户订单号!,
        channelOrderNo: row.微信订单号 || null,
        refundNo: null,
        amount: yuanToFen(row.订单金额 ?? '') ?? 0n,
        fee,
        at,
      });
    } else if (row.交易状态 === 'REFUND') {
      lines.push({
        kind: 'refund',
        orderNo: row.商户订单号!,
        channelOrderNo: row.微信订单号 || null,
        refundNo: row.商户退款单号 || null,
        amount: yuanToFen(row.申请退款金额 || row.退款金额 || '') ?? 0n,
        fee,
        at,
      });
    }
  }
  return lines;
}

async function downloadBill(ctx: ChannelContext, credentials: Credentials, url: URL): Promise<Buffer> {
  const pathWithQuery = `${url.pathname}${url.search}`;
  const response = await request(url, {
    method: 'GET',
    headers: {
      accept: '*/*',
      authorization: authorizationHeader({
        mchId: credentials.mchId,
        certSerial: credentials.certSerial,
        privateKey: credentials.privateKey,
        method: 'GET',
        pathWithQuery,
        body: '',
      }),
    },
    headersTimeout: ctx.timeoutMs,
    bodyTimeout: ctx.timeoutMs,
  });
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += (chunk as Buffer).length;
    if (total > MAX_BILL_BYTES) {
      response.body.destroy();
      throw new Error('the bill is too large');
    }
    chunks.push(chunk as Buffer);
  }
  if (response.statusCode !== 200) throw new Error(`bill download: HTTP ${response.statusCode}`);
  return Buffer.concat(chunks);
}
