/**
 * The trade bill (交易账单) of one day: requested, downloaded from the API host, checked against its
 * SHA1 and read into statement lines for reconciliation.
 *
 * Official reference: https://pay.weixin.qq.com/doc/v3/merchant/4012791866
 */
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { z } from 'zod';
import type { ChannelContext, ChannelStatement, StatementLine, StatementRequest } from '../types.ts';
import { baseUrlOf, callWechatpay, errorCode } from './api.ts';
import { type Credentials, credentialsSchema } from './credentials.ts';
import { authorizationHeader, parseTradeBill, yuanToFen } from './protocol.ts';

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
  const text = raw.toString('utf8');
  return { date: statement.date, lines: statementLines(text), raw: text };
}

/** A trade bill an operator downloaded from the merchant platform (UTF-8 CSV), read as fetchStatement reads it. */
export function statementFromFile(file: Buffer, request: StatementRequest): ChannelStatement {
  const text = file.toString('utf8');
  return { date: request.date, lines: statementLines(text), raw: text };
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
