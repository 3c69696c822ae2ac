import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { StatementLine } from '../channels/types.ts';
import { keptFile, totalsOfLines, totalsTieOut } from './stage.ts';

const line = (
  kind: 'payment' | 'refund',
  amount: bigint,
  fee: bigint | null,
  status?: StatementLine['status'],
) =>
  ({
    kind,
    orderNo: 'P1',
    channelOrderNo: null,
    refundNo: null,
    amount,
    fee,
    at: new Date(0),
    status,
  }) satisfies StatementLine;

describe("a statement's own totals", () => {
  const lines = [
    line('payment', 1_000n, 4n),
    line('payment', 2_000n, 8n, 'success'),
    line('payment', 500n, 2n, 'closed'),
    line('refund', 300n, -1n),
  ];

  it('count successful lines per type and sum every fee; a line without a status succeeded', () => {
    expect(totalsOfLines(lines)).toEqual({
      paymentCount: 2,
      paymentAmount: 3_000n,
      refundCount: 1,
      refundAmount: 300n,
      fee: 13n,
    });
  });

  it('tie out only when every stated figure agrees; a file without totals has nothing to tie out', () => {
    const stated = totalsOfLines(lines);
    const summed = totalsOfLines(lines);
    expect(totalsTieOut(summed, stated)).toBe(true);
    expect(totalsTieOut(summed, { ...stated, paymentAmount: 3_001n })).toBe(false);
    expect(totalsTieOut(summed, { ...stated, refundCount: 2 })).toBe(false);
    expect(totalsTieOut(summed, { ...stated, fee: 12n })).toBe(false);
    expect(totalsTieOut(summed, { ...stated, fee: null })).toBe(true);
    expect(totalsTieOut(summed, undefined)).toBeNull();
  });

  it('keep the file gzip-compressed with the sha256 of its own bytes', async () => {
    const bytes = Buffer.from('渠道交易号,…\r\n合计,交易笔数=0\r\n', 'utf8');
    const kept = await keptFile(bytes);
    expect(gunzipSync(kept.gzip).equals(bytes)).toBe(true);
    expect(kept.bytes).toBe(bytes.length);
    expect(kept.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
