import { describe, expect, it } from 'vitest';
import { totalsOfLines, totalsTieOut } from '../../reconciliation/stage.ts';
import { TRADE_BILL_COLUMNS } from './protocol.ts';
import { statementFromFile } from './statement.ts';

const date = '2026-12-05';
const SUMMARY_HEADER =
  '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';

/** One detail line of the ALL bill, every field prefixed by a backtick. */
function line(fields: Partial<Record<(typeof TRADE_BILL_COLUMNS)[number], string>>): string {
  const base: Record<string, string> = {
    公众账号ID: 'wx2421b1c4370ec43b',
    商户号: '1900000109',
    特约商户号: '0',
    用户标识: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    交易类型: 'NATIVE',
    付款银行: 'OTHERS',
    货币种类: 'CNY',
    代金券金额: '0.00',
    微信退款单号: '0',
    商户退款单号: '0',
    退款金额: '0.00',
    充值券退款金额: '0.00',
    商品名称: '商品',
    费率: '0.60%',
    申请退款金额: '0.00',
    ...fields,
  };
  return TRADE_BILL_COLUMNS.map((name) => `\`${base[name] ?? ''}`).join(',');
}

/**
 * A payment of 100.00 with a 5.00 免充值券 (settled 95.00, fee 0.57), a payment of 0.01 (fee 0), and a
 * refund of 30.00 asked on the first (28.50 of it settled money, 1.50 the coupon's; 0.17 of the fee
 * given back).
 */
const DETAILS = [
  line({
    交易时间: '2026-12-05 10:00:00',
    微信订单号: '4200000001202612050000000001',
    商户订单号: 'QY-1',
    交易状态: 'SUCCESS',
    应结订单金额: '95.00',
    代金券金额: '5.00',
    手续费: '0.57000',
    订单金额: '100.00',
  }),
  line({
    交易时间: '2026-12-05 10:05:00',
    微信订单号: '4200000001202612050000000002',
    商户订单号: 'QY-2',
    交易状态: 'SUCCESS',
    应结订单金额: '0.01',
    手续费: '0.00000',
    订单金额: '0.01',
  }),
  line({
    交易时间: '2026-12-05 11:00:00',
    微信订单号: '4200000001202612050000000001',
    商户订单号: 'QY-1',
    交易状态: 'REFUND',
    应结订单金额: '0.00',
    微信退款单号: '50300000012026120500000000001',
    商户退款单号: 'QR-1',
    退款金额: '28.50',
    退款类型: 'ORIGINAL',
    退款状态: 'SUCCESS',
    手续费: '-0.17000',
    订单金额: '0.00',
    申请退款金额: '30.00',
  }),
];

const SUMMARY = {
  总交易单数: '3',
  应结订单总金额: '95.01',
  退款总金额: '28.50',
  充值券退款总金额: '0.00',
  手续费总金额: '0.40000',
  订单总金额: '100.01',
  申请退款总金额: '30.00',
};

function bill(summary: Partial<typeof SUMMARY> = {}, details = DETAILS): Buffer {
  const figures = { ...SUMMARY, ...summary };
  const values = SUMMARY_HEADER.split(',').map((name) => `\`${figures[name as keyof typeof SUMMARY]}`);
  return Buffer.from(
    [TRADE_BILL_COLUMNS.join(','), ...details, SUMMARY_HEADER, values.join(','), ''].join('\r\n'),
    'utf8',
  );
}

function read(file: Buffer) {
  const statement = statementFromFile(file, { date });
  return { statement, tiesOut: totalsTieOut(totalsOfLines(statement.lines), statement.totals) };
}

describe('WeChat Pay trade bill totals', () => {
  it('the summary states the lines, 订单总金额, 申请退款总金额 and 手续费总金额, and ties out', () => {
    const { statement, tiesOut } = read(bill());
    expect(statement.lines).toHaveLength(3);
    expect(statement.totals).toEqual({
      paymentCount: null,
      paymentAmount: 10_001n,
      refundCount: null,
      refundAmount: 3_000n,
      fee: 40n,
      lineCount: 3,
    });
    expect(totalsOfLines(statement.lines)).toEqual({
      paymentCount: 2,
      paymentAmount: 10_001n,
      refundCount: 1,
      refundAmount: 3_000n,
      fee: 40n,
    });
    expect(tiesOut).toBe(true);
  });

  it('a tampered summary does not tie out', () => {
    expect(read(bill({ 总交易单数: '4' })).tiesOut).toBe(false);
    expect(read(bill({ 订单总金额: '100.02' })).tiesOut).toBe(false);
    expect(read(bill({ 申请退款总金额: '29.99' })).tiesOut).toBe(false);
    expect(read(bill({ 手续费总金额: '0.41000' })).tiesOut).toBe(false);
    // A bill cut short: its last line gone, the summary still counting it.
    expect(read(bill({}, DETAILS.slice(0, 2))).tiesOut).toBe(false);
  });

  it('the settlement figures (应结订单总金额, 退款总金额, 充值券退款总金额) are not compared', () => {
    expect(read(bill({ 应结订单总金额: '1.00', 退款总金额: '2.00', 充值券退款总金额: '3.00' })).tiesOut).toBe(
      true,
    );
  });

  it('a bill with lines the statement does not read (REVOKED) states nothing comparable', () => {
    const revoked = line({
      交易时间: '2026-12-05 12:00:00',
      微信订单号: '4200000001202612050000000003',
      商户订单号: 'QY-3',
      交易类型: 'MICROPAY',
      交易状态: 'REVOKED',
      应结订单金额: '5.00',
      手续费: '0.03000',
      订单金额: '5.00',
    });
    const { statement, tiesOut } = read(
      bill({ 总交易单数: '4', 订单总金额: '105.01', 手续费总金额: '0.43000' }, [...DETAILS, revoked]),
    );
    expect(statement.lines).toHaveLength(3);
    expect(statement.totals).toMatchObject({ paymentAmount: null, refundAmount: null, fee: null });
    expect(tiesOut).toBeNull();
  });

  it('a bill without its summary lines states no totals', () => {
    const { statement, tiesOut } = read(
      Buffer.from([TRADE_BILL_COLUMNS.join(','), ...DETAILS, ''].join('\r\n')),
    );
    expect(statement.totals).toBeUndefined();
    expect(tiesOut).toBeNull();
  });
});
