import { describe, expect, it } from 'vitest';
import type { SandboxPayment } from './payment-book.ts';
import {
  bookedLines,
  parseStatementCsv,
  readStatementFile,
  type SandboxStatementLine,
  StatementFormatError,
  shanghaiDay,
  withStatementFaults,
  writeStatementCsv,
} from './statement.ts';

const DAY = '2026-03-02';
const { from, to } = shanghaiDay(DAY);
const at = (hhmmss: string) => new Date(`${DAY}T${hhmmss}+08:00`);

function payment(
  outTradeNo: string,
  amount: bigint,
  paidAt: Date | null,
  refunds: SandboxPayment['refunds'] = [],
) {
  return {
    tradeNo: `SB${outTradeNo.replace(/\D/g, '')}`,
    mchId: 'SBX1',
    outTradeNo,
    amount,
    currency: 'CNY',
    subject: 'x',
    notifyUrl: 'http://127.0.0.1/n',
    expireAt: new Date(),
    faults: {},
    status: paidAt ? 'SUCCESS' : 'CLOSED',
    closedBy: null,
    paidAt,
    refunds,
    authCode: null,
    failReason: null,
    version: 0,
  } satisfies SandboxPayment;
}

const payments: SandboxPayment[] = [
  payment('P001', 12_345n, at('09:00:00'), [
    {
      refundNo: 'SR1',
      outRefundNo: 'R001',
      amount: 1_001n,
      notifyUrl: 'http://127.0.0.1/r',
      status: 'SUCCESS',
      refundedAt: at('10:00:00'),
      failReason: null,
    },
    {
      refundNo: 'SR2',
      outRefundNo: 'R002',
      amount: 5n,
      notifyUrl: 'http://127.0.0.1/r',
      status: 'FAILED',
      refundedAt: null,
      failReason: 'x',
    },
  ]),
  payment('P002', 7n, at('23:59:59')),
  // Paid a second after the day ended by the sandbox's clock: the next day's statement.
  payment('P003', 100n, new Date(to.getTime())),
  payment('P004', 100n, null),
];

describe('the sandbox statement file', () => {
  it('books the day’s successful payments and refunds, fees at the rate, and reads back to the same lines', () => {
    const lines = bookedLines(payments, from, to, 3800);
    expect(lines.map((l) => [l.kind, l.outRefundNo ?? l.outTradeNo, l.amount, l.fee])).toEqual([
      ['payment', 'P001', 12_345n, 47n],
      ['refund', 'R001', 1_001n, -4n],
      ['payment', 'P002', 7n, 0n],
    ]);
    const csv = writeStatementCsv(lines);
    const rows = csv.trimEnd().split('\r\n');
    expect(rows[0]).toBe('渠道交易号,商户订单号,商户退款单号,类型,金额(元),手续费(元),时间,状态');
    expect(rows[1]).toBe('SB001,P001,,交易,123.45,0.47,2026-03-02 09:00:00,SUCCESS');
    expect(rows[2]).toBe('SR1,P001,R001,退款,10.01,-0.04,2026-03-02 10:00:00,SUCCESS');
    expect(rows[4]).toBe('合计,交易笔数=2,交易金额=123.52,退款笔数=1,退款金额=10.01,手续费=0.43');

    const read = parseStatementCsv(csv, DAY);
    expect(read.lines).toEqual(
      lines.map((l) => ({
        kind: l.kind,
        orderNo: l.outTradeNo,
        channelOrderNo: l.tradeNo,
        refundNo: l.outRefundNo,
        amount: l.amount,
        fee: l.fee,
        at: l.at,
        status: 'success',
      })),
    );
    expect(read.totals).toEqual({
      paymentCount: 2,
      paymentAmount: 12_352n,
      refundCount: 1,
      refundAmount: 1_001n,
      fee: 43n,
    });
  });

  it('without a fee rate leaves the fee cells blank, and they read back as no fee', () => {
    const read = parseStatementCsv(writeStatementCsv(bookedLines(payments, from, to, null)), DAY);
    expect(read.lines.map((l) => l.fee)).toEqual([null, null, null]);
    expect(read.totals?.fee).toBeNull();
  });

  it('injects each statement fault, and the footer adds up the lines as written', () => {
    const lines = withStatementFaults(
      bookedLines(payments, from, to, 3800),
      {
        dropLines: ['P002'],
        extraPayments: [{ amount: 500 }, { outTradeNo: 'P004', amount: 100 }],
        amountChanges: [{ no: 'P001', delta: 1 }],
        statusChanges: [{ no: 'R001', status: 'FAILED' }],
        feeChanges: [{ no: 'P001', delta: -2 }],
      },
      DAY,
      3800,
    );
    const read = parseStatementCsv(writeStatementCsv(lines), DAY);
    expect(read.lines.map((l) => [l.orderNo, l.refundNo, l.amount, l.fee, l.status])).toEqual([
      ['P001', null, 12_346n, 45n, 'success'],
      ['P001', 'R001', 1_001n, -4n, 'failed'],
      ['EXTRA202603021', null, 500n, 2n, 'success'],
      ['P004', null, 100n, 0n, 'success'],
    ]);
    // The failed refund is not counted among refunds; every fee is summed.
    expect(read.totals).toEqual({
      paymentCount: 3,
      paymentAmount: 12_946n,
      refundCount: 0,
      refundAmount: 0n,
      fee: 43n,
    });
  });

  it('refuses what is not a sandbox statement, naming the line', () => {
    const good = writeStatementCsv(bookedLines(payments, from, to, 3800));
    const bad = (text: string) => {
      try {
        parseStatementCsv(text, DAY);
        return 'accepted';
      } catch (error) {
        expect(error).toBeInstanceOf(StatementFormatError);
        return (error as Error).message;
      }
    };
    expect(bad('a,b,c\r\n')).toMatch(/line 1/);
    expect(bad('')).toMatch(/line 1/);
    expect(bad(`${good}SB9,P9,,交易,1.00,,2026-03-02 09:00:00,SUCCESS\r\n`)).toMatch(
      /totals line must be the last/,
    );
    expect(bad(good.replace('123.45', '123.456'))).toMatch(/line 2: bad amount/);
    expect(bad(good.replace('123.45', '1.2e2'))).toMatch(/line 2: bad amount/);
    expect(bad(good.replace('2026-03-02 09:00:00', '2026-02-30 09:00:00'))).toMatch(/line 2: bad time/);
    expect(bad(good.replace('2026-03-02 09:00:00', '2026-03-02 24:00:00'))).toMatch(/line 2: bad time/);
    expect(bad(good.replace('2026-03-02 09:00:00', '2026-03-02 09:0x:00'))).toMatch(/line 2: bad time/);
    expect(bad(good.replace(',SUCCESS', ',PAID'))).toMatch(/line 2: bad status/);
    expect(bad(good.replace(/合计.*\r\n$/, ''))).toMatch(/no totals line/);
    expect(bad(good.replace('交易笔数=2', '交易笔数=two'))).toMatch(/bad 交易笔数/);
  });

  it('reads a file without holding its lines: checked whole first, its lines read again on each pass', () => {
    const csv = writeStatementCsv(bookedLines(payments, from, to, 3800));
    const file = readStatementFile(Buffer.from(`\uFEFF${csv}`, 'utf8'), DAY);
    expect(file.lineCount).toBe(parseStatementCsv(csv, DAY).lines.length);
    expect(file.totals).toEqual(parseStatementCsv(csv, DAY).totals);
    expect(Array.isArray(file.lines)).toBe(false);
    expect([...file.lines]).toEqual(parseStatementCsv(csv, DAY).lines);
    expect([...file.lines]).toEqual([...file.lines]);
  });

  it('quotes a cell that holds a comma and reads it back', () => {
    const line: SandboxStatementLine = {
      tradeNo: 'SB1',
      outTradeNo: 'A,"B"',
      outRefundNo: null,
      kind: 'payment',
      amount: 1n,
      fee: null,
      at: at('12:00:00'),
      status: 'SUCCESS',
    };
    const csv = writeStatementCsv([line]);
    expect(csv).toContain('"A,""B"""');
    expect(parseStatementCsv(csv, DAY).lines[0]?.orderNo).toBe('A,"B"');
  });
});
