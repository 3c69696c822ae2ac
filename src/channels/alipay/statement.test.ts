import { describe, expect, it } from 'vitest';
import { gbk, zip } from '../../../test/fakes/alipay/statement.ts';
import { totalsOfLines, totalsTieOut } from '../../reconciliation/stage.ts';
import { alipayAdapter } from './adapter.ts';

const date = '2026-12-05';
const HEADER =
  '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注';

/** A details row as Alipay writes it: every cell followed by a tab. */
function row(
  tradeNo: string,
  orderNo: string,
  kind: string,
  at: string,
  amount: string,
  refundNo: string,
  fee: string,
) {
  return [
    tradeNo,
    orderNo,
    kind,
    '商品',
    '2026-12-05 09:59:00',
    at,
    '',
    '',
    '',
    '',
    'buy***@example.com',
    amount,
    amount,
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
  ]
    .map((c) => `${c}\t`)
    .join(',');
}

/** Two payments (100.00 and 0.50) and a partial refund (-30.00) of the first, with their fees. */
function details(
  closing = [
    '#交易合计：2笔，商家实收共100.50元，商家优惠共0.00元',
    '#退款合计：1笔，商家实收退款共-30.00元，商家优惠退款共0.00元',
  ],
) {
  return [
    '#支付宝业务明细查询',
    '#账号：[20881021999900010156]',
    '#起始日期：[2026年12月05日 00:00:00]   终止日期：[2026年12月06日 00:00:00]',
    '#-----------------------------------------业务明细列表----------------------------------------',
    HEADER,
    row('2026120522001400000000000001', 'QY-1', '交易', '2026-12-05 10:00:00', '100.00', '', '-0.60'),
    row('2026120522001400000000000002', 'QY-2', '交易', '2026-12-05 10:05:00', '0.50', '', '0.00'),
    row('2026120522001400000000000001', 'QY-1', '退款', '2026-12-05 11:00:00', '-30.00', 'QR-1', '0.18'),
    '#-----------------------------------------业务明细列表结束------------------------------------',
    ...closing,
    '#导出时间：[2026年12月06日 07:27:37]',
    '',
  ].join('\r\n');
}

const SUMMARY_HEADER =
  '门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）';

/** The summary file: one store's row and the 合计 row (payments less refunds: 70.50; 服务费 -0.60 + 0.18). */
function summary(total = '合计,,2,1,70.50,70.50,0.00,0.00,0.00,-0.42,0.00,70.08') {
  return [
    '#支付宝业务汇总查询',
    '#账号：[20881021999900010156]',
    '#起始日期：[2026年12月05日 00:00:00]   终止日期：[2026年12月06日 00:00:00]',
    SUMMARY_HEADER,
    '\t,\t,2,1,70.50,70.50,0.00,0.00,0.00,-0.42,0.00,70.08',
    total,
    '#导出时间：[2026年12月06日 07:27:37]',
    '',
  ].join('\r\n');
}

function statementZip(detailsText = details(), summaryText: string | null = summary()) {
  const entries = [{ name: '20881021999900010156_20261205_业务明细.csv', data: gbk(detailsText) }];
  if (summaryText !== null) {
    entries.push({ name: '20881021999900010156_20261205_业务明细(汇总).csv', data: gbk(summaryText) });
  }
  return zip(entries);
}

function read(file: Buffer) {
  const statement = alipayAdapter.parseStatement!(file, { date });
  return { statement, tiesOut: totalsTieOut(totalsOfLines(statement.lines), statement.totals) };
}

describe('Alipay statement totals', () => {
  it('the zip: the summary’s 合计 row states the counts, payments less refunds and the fees, and ties out', () => {
    const { statement, tiesOut } = read(statementZip());
    expect(statement.lines).toHaveLength(3);
    expect(statement.totals).toEqual({
      paymentCount: 2,
      paymentAmount: null,
      refundCount: 1,
      refundAmount: null,
      netAmount: 7_050n,
      // Our fees: 60 kept on the first payment, 18 given back on its refund.
      fee: 42n,
    });
    expect(totalsOfLines(statement.lines)).toMatchObject({
      paymentAmount: 10_050n,
      refundAmount: 3_000n,
      fee: 42n,
    });
    expect(tiesOut).toBe(true);
  });

  it('a tampered 合计 row does not tie out', () => {
    const tampered = (total: string) => read(statementZip(details(), summary(total))).tiesOut;
    expect(tampered('合计,,2,1,70.51,70.50,0.00,0.00,0.00,-0.42,0.00,70.08')).toBe(false);
    expect(tampered('合计,,3,1,70.50,70.50,0.00,0.00,0.00,-0.42,0.00,70.08')).toBe(false);
    expect(tampered('合计,,2,0,70.50,70.50,0.00,0.00,0.00,-0.42,0.00,70.08')).toBe(false);
    expect(tampered('合计,,2,1,70.50,70.50,0.00,0.00,0.00,-0.43,0.00,70.08')).toBe(false);
    // A figure that means something else (商家实收, 实收净额) is not compared.
    expect(tampered('合计,,2,1,70.50,99.99,0.00,0.00,0.00,-0.42,0.00,1.00')).toBe(true);
  });

  it('a details file alone states only its counts (#交易合计, #退款合计), which tie out', () => {
    const { statement, tiesOut } = read(gbk(details()));
    expect(statement.totals).toEqual({
      paymentCount: 2,
      paymentAmount: null,
      refundCount: 1,
      refundAmount: null,
      fee: null,
    });
    expect(tiesOut).toBe(true);
    // So does a zip without its summary file.
    expect(read(statementZip(details(), null)).statement.totals).toEqual(statement.totals);
    // The closing lines' amounts are 商家实收, not compared.
    const received = details([
      '#交易合计：2笔，商家实收共1.00元，商家优惠共0.00元',
      '#退款合计：1笔，商家实收退款共-0.01元，商家优惠退款共0.00元',
    ]);
    expect(read(gbk(received)).tiesOut).toBe(true);
  });

  it('a tampered #交易合计 or #退款合计 does not tie out', () => {
    const closing = (payments: number, refunds: number) =>
      details([
        `#交易合计：${payments}笔，商家实收共100.50元，商家优惠共0.00元`,
        `#退款合计：${refunds}笔，商家实收退款共-30.00元，商家优惠退款共0.00元`,
      ]);
    expect(read(gbk(closing(1, 1))).tiesOut).toBe(false);
    expect(read(gbk(closing(2, 2))).tiesOut).toBe(false);
    expect(read(gbk(closing(2, 1))).tiesOut).toBe(true);
  });

  it('a file that states no totals has nothing to tie out', () => {
    const { statement, tiesOut } = read(gbk(details([])));
    expect(statement.totals).toBeUndefined();
    expect(tiesOut).toBeNull();
    // Nor does a summary file without its 合计 row: the details' counts are read instead.
    expect(read(statementZip(details(), '#支付宝业务汇总查询\r\n')).statement.totals?.paymentCount).toBe(2);
  });
});
