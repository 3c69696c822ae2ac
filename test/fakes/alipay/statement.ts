/**
 * Alipay's trade statement as its download serves it: a zip of GBK CSV files (details and summary),
 * built from the fake gateway's trades and refunds of one day (Beijing time).
 */
import { crc32, deflateRawSync } from 'node:zlib';
import { shanghaiTime, toYuan } from '../../../src/channels/alipay/protocol.ts';
import type { FakeApp, FakeTrade } from './server.ts';

export function statementZip(trades: Iterable<FakeTrade>, app: FakeApp, date: string): Buffer {
  const rows: string[] = [];
  let payments = 0n;
  let refunds = 0n;
  let paymentCount = 0;
  let refundCount = 0;
  // The 服务费 column's sum: negative on payments (kept), positive on refunds (given back).
  let fees = 0n;
  for (const t of trades) {
    if (t.app !== app || !t.paidAt) continue;
    const fee = (t.total * 6n + 500n) / 1000n;
    if (shanghaiTime(t.paidAt).startsWith(date)) {
      payments += t.total;
      paymentCount++;
      fees -= fee;
      rows.push(
        row(t, '交易', shanghaiTime(t.paidAt), toYuan(t.total), toYuan(t.total), '', `-${toYuan(fee)}`),
      );
    }
    for (const [no, r] of t.refunds) {
      if (!shanghaiTime(r.at).startsWith(date)) continue;
      refunds += r.amount;
      refundCount++;
      const back = (r.amount * 6n + 500n) / 1000n;
      fees += back;
      rows.push(
        row(t, '退款', shanghaiTime(r.at), `-${toYuan(r.amount)}`, `-${toYuan(r.amount)}`, no, toYuan(back)),
      );
    }
  }
  const text = [
    '#支付宝业务明细查询',
    `#账号：[${app.sellerId}0156]`,
    `#起始日期：[${date.replace(/-(\d+)-(\d+)/, '年$1月$2日')} 00:00:00]   终止日期：[…]`,
    '#-----------------------------------------业务明细列表----------------------------------------',
    '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注',
    ...rows,
    '#-----------------------------------------业务明细列表结束------------------------------------',
    `#交易合计：${paymentCount}笔，商家实收共${toYuan(payments)}元，商家优惠共0.00元`,
    `#退款合计：${refundCount}笔，商家实收退款共${signedYuan(-refunds)}元，商家优惠退款共0.00元`,
    `#导出时间：[${shanghaiTime(new Date())}]`,
  ].join('\r\n');
  const net = payments - refunds;
  const figures = [paymentCount, refundCount, signedYuan(net), signedYuan(net), '0.00', '0.00', '0.00'];
  const summary = [
    '#支付宝业务汇总查询',
    `#账号：[${app.sellerId}0156]`,
    `#起始日期：[${date.replace(/-(\d+)-(\d+)/, '年$1月$2日')} 00:00:00]   终止日期：[…]`,
    '门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）',
    [' \t', ' \t', ...figures, signedYuan(fees), '0.00', signedYuan(net + fees)].join(','),
    ['合计', '', ...figures, signedYuan(fees), '0.00', signedYuan(net + fees)].join(','),
    `#导出时间：[${shanghaiTime(new Date())}]`,
  ].join('\r\n');
  const name = `${app.sellerId}0156_${date.replaceAll('-', '')}`;
  return zip([
    { name: `${name}_业务明细.csv`, data: gbk(`${text}\r\n`) },
    { name: `${name}_业务明细(汇总).csv`, data: gbk(`${summary}\r\n`) },
  ]);
}

function signedYuan(fen: bigint): string {
  return fen < 0n ? `-${toYuan(-fen)}` : toYuan(fen);
}

function row(
  t: FakeTrade,
  kind: string,
  at: string,
  amount: string,
  received: string,
  refundNo: string,
  fee: string,
) {
  const cells = [
    t.tradeNo,
    t.outTradeNo,
    kind,
    t.subject.replaceAll(',', '，'),
    shanghaiTime(t.createdAt),
    at,
    '',
    '',
    '',
    '',
    'cli***@alipay.com',
    amount,
    received,
    '0.00',
    '0.00',
    '0.00',
    '0.00',
    '0.00',
    '',
    '0.00',
    '0.00',
    refundNo,
    fee,
    '0.00',
    '',
  ];
  return cells.map((c) => `${c}\t`).join(',');
}

// ---------- GBK and zip, as Alipay writes its statements ----------

let gbkTable: Map<string, number[]> | null = null;

/** GBK bytes of a text: the table is TextDecoder('gbk') read backwards (Node has no GBK encoder). */
export function gbk(text: string): Buffer {
  if (!gbkTable) {
    gbkTable = new Map();
    const decoder = new TextDecoder('gbk');
    for (let lead = 0x81; lead <= 0xfe; lead++) {
      for (let trail = 0x40; trail <= 0xfe; trail++) {
        if (trail === 0x7f) continue;
        const char = decoder.decode(Uint8Array.of(lead, trail));
        if (char.length === 1 && char !== '\ufffd' && !gbkTable.has(char)) gbkTable.set(char, [lead, trail]);
      }
    }
  }
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) bytes.push(code);
    else bytes.push(...(gbkTable.get(char) ?? [0x3f]));
  }
  return Buffer.from(bytes);
}

/** A zip of deflated entries with GBK names (no UTF-8 flag), as Alipay's statement downloads are. */
export function zip(entries: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = gbk(entry.name);
    const packed = deflateRawSync(entry.data);
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += 30 + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
