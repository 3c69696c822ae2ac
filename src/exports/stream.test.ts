import { describe, expect, it } from 'vitest';
import { csvText, yuan } from './stream.ts';

describe('an export cell in CSV', () => {
  it('keeps text a spreadsheet would run as a formula as text', () => {
    for (const text of ['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) {
      expect(csvText(text)).toBe(`'${text}`);
    }
    expect(csvText('订单 A-1')).toBe('订单 A-1');
  });

  it('writes amounts as yuan from the bigint, negatives included, and counts as they are', () => {
    expect(csvText(yuan(-120n))).toBe('-1.20');
    expect(csvText(yuan(123_456_789_012_345_678n))).toBe('1234567890123456.78');
    expect(csvText(3)).toBe('3');
    expect(csvText(null)).toBeNull();
  });
});
