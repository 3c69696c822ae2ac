/**
 * Alipay's trade statement (对账单, bill_type=trade): `alipay.data.dataservice.bill.downloadurl.query`
 * answers a short-lived URL of a zip holding two GBK CSV files, the details (…_业务明细.csv) and the
 * summary (…_业务明细(汇总).csv). Only the details are read.
 *
 * Protocol reference: https://docs.open.alipay.com/api_15/alipay.data.dataservice.bill.downloadurl.query
 * (the download URL) and the statement guide, https://opendocs.alipay.com/open/204/106262 (columns).
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { request } from 'undici';
import type { ChannelContext, ChannelStatement, StatementLine, StatementRequest } from '../types.ts';
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
  const raw = statementText(Buffer.concat(chunks));
  return { date: statementRequest.date, lines: parseStatement(raw), raw };
}

/**
 * A statement an operator downloaded from Alipay's merchant site: the zip as Alipay gives it, or its
 * details CSV (GBK, as Alipay writes it; UTF-8 when it was saved again as UTF-8).
 */
export function statementFromFile(file: Buffer, request: StatementRequest): ChannelStatement {
  const isZip = file.length >= 4 && file.readUInt32LE(0) === 0x04034b50;
  let raw: string;
  if (isZip) raw = statementText(file);
  else {
    try {
      raw = new TextDecoder('utf-8', { fatal: true }).decode(file);
    } catch {
      raw = new TextDecoder('gbk').decode(file);
    }
  }
  return { date: request.date, lines: parseStatement(raw), raw };
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

/** The details file of a statement zip, decoded from GBK. */
export function statementText(zip: Buffer): string {
  const entries = readZip(zip).filter((e) => e.name.toLowerCase().endsWith('.csv'));
  const details = entries.find((e) => !e.name.includes('汇总')) ?? entries[0];
  if (!details) throw new Error('the statement zip holds no CSV file');
  return new TextDecoder('gbk').decode(details.data);
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

/** One CSV row's cells, trimmed (no quoting occurs in these files). */
function cells(row: string): string[] {
  return row.split(',').map((c) => c.trim());
}
