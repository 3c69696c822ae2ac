/**
 * Alipay's trade statement (对账单, bill_type=trade): `alipay.data.dataservice.bill.downloadurl.query`
 * answers a short-lived URL of a zip holding two GBK CSV files, the details (…_业务明细.csv) and the
 * summary (…_业务明细(汇总).csv). The details give the lines; the summary's 合计 row, or failing it
 * the details' own closing `#` lines, give the file's totals (see {@link parseStatementTotals}).
 *
 * Protocol reference: https://docs.open.alipay.com/api_15/alipay.data.dataservice.bill.downloadurl.query
 * (the download URL) and the statement guide, https://opendocs.alipay.com/open/204/106262 (columns).
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { request } from 'undici';
import type {
  ChannelContext,
  ChannelStatement,
  StatedTotals,
  StatementLine,
  StatementRequest,
} from '../types.ts';
import { keysOf } from './credentials.ts';
import { callGateway, codeOf, describe, str } from './gateway.ts';
import { fromYuan, parseShanghaiTime } from './protocol.ts';

/** A statement zip is a few MB at most; a larger entry is refused rather than inflated. */
const MAX_ENTRY_BYTES = 64 * 1024 * 1024;

const MAX_STATEMENT_BYTES = 64 * 1024 * 1024;

export async function fetchStatement(
  ctx: ChannelContext,
  statementRequest: StatementRequest,
): Promise<ChannelStatement> {
  const keys = keysOf(ctx);
  if (!keys) throw new Error('alipay: bad credentials');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(statementRequest.date)) throw new Error('the date must be yyyy-MM-dd');
  const call = await callGateway(ctx, keys.credentials, 'alipay.data.dataservice.bill.downloadurl.query', {
    bill_type: 'trade',
    bill_date: statementRequest.date,
  });
  if (!call.ok) throw new Error(`alipay statement query failed: ${call.code}: ${call.message}`);
  const answer = call.answer;
  if (codeOf(answer) !== '10000') {
    if (/bill_not_exist|NO_BILL/i.test(str(answer, 'sub_code') ?? '')) {
      return { date: statementRequest.date, lines: [], raw: '' };
    }
    throw new Error(`alipay statement query answered ${describe(answer)}`);
  }
  const url = str(answer, 'bill_download_url');
  if (!url || !/^https?:\/\//.test(url)) throw new Error('alipay statement answer has no download URL');
  const response = await request(url, {
    method: 'GET',
    headersTimeout: ctx.timeoutMs * 5,
    bodyTimeout: ctx.timeoutMs * 5,
    signal: AbortSignal.timeout(ctx.timeoutMs * 10),
  });
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += (chunk as Buffer).length;
    if (total > MAX_STATEMENT_BYTES) {
      response.body.destroy();
      throw new Error('the statement file is too large');
    }
    chunks.push(chunk as Buffer);
  }
  if (response.statusCode !== 200)
    throw new Error(`the statement download answered HTTP ${response.statusCode}`);
  const { details: raw, summary } = statementTexts(Buffer.concat(chunks));
  return statementOf(statementRequest.date, raw, summary);
}

function statementOf(date: string, raw: string, summary: string | null): ChannelStatement {
  const totals = parseStatementTotals(raw, summary);
  return { date, lines: parseStatement(raw), raw, ...(totals ? { totals } : {}) };
}

/**
 * A statement an operator downloaded from Alipay's merchant site: the zip as Alipay gives it, or its
 * details CSV (GBK, as Alipay writes it; UTF-8 when it was saved again as UTF-8).
 */
export function statementFromFile(file: Buffer, request: StatementRequest): ChannelStatement {
  const isZip = file.length >= 4 && file.readUInt32LE(0) === 0x04034b50;
  if (isZip) {
    const { details, summary } = statementTexts(file);
    return statementOf(request.date, details, summary);
  }
  let raw: string;
  try {
    raw = new TextDecoder('utf-8', { fatal: true }).decode(file);
  } catch {
    raw = new TextDecoder('gbk').decode(file);
  }
  return statementOf(request.date, raw, null);
}

export interface ZipEntry {
  name: string;
  data: Buffer;
}

/**
 * The entries of a zip file, read from its central directory (stored or deflated entries; no
 * zip64, no encryption — neither occurs in Alipay's statements). Names without the UTF-8 flag are
 * GBK, as Alipay writes them. Throws on anything else, and on a CRC mismatch.
 */
export function readZip(zip: Buffer): ZipEntry[] {
  // End of central directory: 22 bytes, after a comment of up to 64 KiB.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('zip central directory is damaged');
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localAt = zip.readUInt32LE(at + 42);
    const nameBytes = zip.subarray(at + 46, at + 46 + nameLength);
    const name = new TextDecoder(flags & 0x800 ? 'utf-8' : 'gbk').decode(nameBytes);
    at += 46 + nameLength + extraLength + commentLength;
    if (flags & 0x1) throw new Error(`zip entry ${name} is encrypted`);
    if (size > MAX_ENTRY_BYTES) throw new Error(`zip entry ${name} is too large`);
    if (zip.readUInt32LE(localAt) !== 0x04034b50) throw new Error(`zip entry ${name} is damaged`);
    const dataAt = localAt + 30 + zip.readUInt16LE(localAt + 26) + zip.readUInt16LE(localAt + 28);
    const stored = zip.subarray(dataAt, dataAt + compressedSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(stored);
    else if (method === 8) data = inflateRawSync(stored, { maxOutputLength: MAX_ENTRY_BYTES });
    else throw new Error(`zip entry ${name} uses compression method ${method}`);
    if (data.length !== size || crc32(data) !== crc) throw new Error(`zip entry ${name} fails its CRC`);
    entries.push({ name, data });
  }
  return entries;
}

/** The details file of a statement zip and its summary file (null when the zip lacks it), decoded from GBK. */
export function statementTexts(zip: Buffer): { details: string; summary: string | null } {
  const entries = readZip(zip).filter((e) => e.name.toLowerCase().endsWith('.csv'));
  const details = entries.find((e) => !e.name.includes('汇总')) ?? entries[0];
  if (!details) throw new Error('the statement zip holds no CSV file');
  const summary = entries.find((e) => e !== details && e.name.includes('汇总'));
  const gbk = new TextDecoder('gbk');
  return { details: gbk.decode(details.data), summary: summary ? gbk.decode(summary.data) : null };
}

/** The details file of a statement zip, decoded from GBK. */
export function statementText(zip: Buffer): string {
  return statementTexts(zip).details;
}

const COLUMNS = {
  tradeNo: '支付宝交易号',
  orderNo: '商户订单号',
  kind: '业务类型',
  finishedAt: '完成时间',
  amount: '订单金额（元）',
  refundNo: '退款批次号/请求号',
  fee: '服务费（元）',
} as const;

/**
 * The payment and refund lines of a statement's details: the header row follows the line
 * `#…业务明细列表…`, the rows end at the next `#` line. Cells carry a trailing tab (Alipay writes
 * them so spreadsheets keep long numbers as text). Amounts are read as text into fen.
 */
export function parseStatement(text: string): StatementLine[] {
  const rows = text.split(/\r?\n/);
  const start = rows.findIndex((r) => r.startsWith('#') && r.includes('业务明细列表') && !r.includes('结束'));
  if (start < 0) throw new Error('the statement has no 业务明细列表 section');
  const header = cells(rows[start + 1] ?? '');
  const column = Object.fromEntries(
    Object.entries(COLUMNS).map(([field, title]) => [field, header.indexOf(title)]),
  ) as Record<keyof typeof COLUMNS, number>;
  for (const [field, index] of Object.entries(column)) {
    if (index < 0)
      throw new Error(`the statement lacks the column ${COLUMNS[field as keyof typeof COLUMNS]}`);
  }
  const lines: StatementLine[] = [];
  for (const row of rows.slice(start + 2)) {
    if (row.startsWith('#')) break;
    if (row.trim() === '') continue;
    const cell = cells(row);
    const kindText = cell[column.kind] ?? '';
    const kind = kindText.includes('退款') ? 'refund' : kindText.includes('交易') ? 'payment' : null;
    if (kind === null) continue;
    const amountText = cell[column.amount] ?? '';
    const amount = fromYuan(amountText.replace(/^-/, ''));
    const feeText = cell[column.fee] ?? '';
    const fee = feeText === '' ? null : fromYuan(feeText.replace(/^-/, ''));
    const at = parseShanghaiTime(cell[column.finishedAt]);
    if (amount === undefined || fee === undefined || at === undefined) {
      throw new Error(`statement row is malformed: ${row.slice(0, 120)}`);
    }
    lines.push({
      kind,
      orderNo: cell[column.orderNo] ?? '',
      channelOrderNo: cell[column.tradeNo] || null,
      refundNo: kind === 'refund' ? cell[column.refundNo] || null : null,
      amount,
      // The fee Alipay kept on a payment; on a refund the part of it Alipay gave back.
      fee: fee === null ? null : kind === 'refund' ? -fee : fee,
      at,
    });
  }
  return lines;
}

/**
 * The file's own totals, from what Alipay states:
 *
 * - The summary file (…_业务明细(汇总).csv), `#` lines, then the header `门店编号,门店名称,交易订单总笔数,
 *   退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,
 *   实收净额（元）`, one row per store and a last row `合计` adding them up. Each figure is the sum of
 *   that column over the details' rows: 交易订单总笔数 counts the 交易 rows, 退款订单总笔数 the 退款 rows;
 *   订单金额 adds the details' 订单金额, where refund rows are negative, so it is the payments less the
 *   refunds (`netAmount`); 服务费 adds the details' 服务费, written negative on a payment (kept by
 *   Alipay) and positive on a refund (given back), so it is our fee sum with the opposite sign.
 * - The details file's closing lines, `#交易合计：N笔，商家实收共X元，商家优惠共Y元` and
 *   `#退款合计：M笔，商家实收退款共-X元，…`: the counts of 交易 and 退款 rows. Their amounts are 商家实收
 *   (what the merchant received, after the merchant's own discounts), not 订单金额, so they are not
 *   compared with the lines' amounts.
 *
 * The summary's 合计 row is used when the zip has it; otherwise the details' counts alone. Payment and
 * refund amounts are never stated apart, so they stay null. Undefined when neither states anything.
 *
 * Formats: the statement guide, https://opendocs.alipay.com/open/204/106262, and the headers as public
 * parsers read them, e.g. dax-pay's AlipayReconcileBillTotal
 * (https://github.com/dromara/dax-pay, daxpay-single-alipay/…/bo/AlipayReconcileBillTotal.java).
 */
export function parseStatementTotals(details: string, summary: string | null): StatedTotals | undefined {
  const fromSummary = summary === null ? null : summaryTotals(summary);
  if (fromSummary) return fromSummary;
  const paymentCount = commentCount(details, '交易合计');
  const refundCount = commentCount(details, '退款合计');
  if (paymentCount === null && refundCount === null) return undefined;
  return { paymentCount, paymentAmount: null, refundCount, refundAmount: null, fee: null };
}

/** N of a details file's `#交易合计：N笔…` (or `#退款合计：…`) line; null without one. */
function commentCount(details: string, title: string): number | null {
  const match = new RegExp(`^#${title}[：:]\\s*(\\d+)\\s*笔`, 'm').exec(details);
  return match ? Number(match[1]) : null;
}

/** The summary file's 合计 row; null when the file has none (an empty day, or another layout). */
function summaryTotals(summary: string): StatedTotals | null {
  const rows = summary.split(/\r?\n/).filter((r) => r.trim() !== '' && !r.startsWith('#'));
  const headerAt = rows.findIndex((r) => r.includes('交易订单总笔数'));
  if (headerAt < 0) return null;
  const header = cells(rows[headerAt]!).map((c) => c.replace(/[（(]元[）)]/, ''));
  const total = rows.slice(headerAt + 1).find((r) => cells(r)[0]?.startsWith('合计'));
  if (!total) return null;
  const cell = cells(total);
  const at = (title: string) => {
    const index = header.indexOf(title);
    return index < 0 ? undefined : cell[index];
  };
  const count = (title: string) => {
    const text = at(title);
    if (text === undefined) return null;
    if (!/^\d+$/.test(text)) throw new Error(`the statement summary's ${title} is not a count: ${text}`);
    return Number(text);
  };
  const yuan = (title: string) => {
    const text = at(title);
    if (text === undefined || text === '') return null;
    const negative = text.startsWith('-');
    const fen = fromYuan(text.replace(/^-/, ''));
    if (fen === undefined) throw new Error(`the statement summary's ${title} is not an amount: ${text}`);
    return negative ? -fen : fen;
  };
  const fee = yuan('服务费');
  return {
    paymentCount: count('交易订单总笔数'),
    paymentAmount: null,
    refundCount: count('退款订单总笔数'),
    refundAmount: null,
    fee: fee === null ? null : -fee,
    netAmount: yuan('订单金额'),
  };
}

/** One CSV row's cells, trimmed (no quoting occurs in these files). */
function cells(row: string): string[] {
  return row.split(',').map((c) => c.trim());
}
