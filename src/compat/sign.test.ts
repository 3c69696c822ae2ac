import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { epayMoneyToFen, fenToEpayMoney } from './epay.ts';
import { compareIgnoringCase, epaySign, jeepaySign } from './sign.ts';

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

describe('the MD5 signatures of Jeepay and 易支付', () => {
  it("sorts Jeepay's k=v& pieces as Java's CASE_INSENSITIVE_ORDER does", () => {
    const pieces = ['b=1&', 'B=2&', 'a=3&', 'appId=4&', 'amount=5&', 'Z=6&', '_x=7&'];
    // Java compares character by character, folded to upper and then to lower case: letters of
    // either case are equal, '_' (0x5F) is below every letter, and '=' below every letter too.
    expect([...pieces].sort(compareIgnoringCase)).toEqual([
      '_x=7&',
      'a=3&',
      'amount=5&',
      'appId=4&',
      'b=1&',
      'B=2&',
      'Z=6&',
    ]);
  });

  it('leaves empty values and the sign itself out, and appends key= in upper-case hex', () => {
    const params = { mchNo: 'M1', amount: 100, empty: '', none: null, sign: 'X', appId: 'A' };
    expect(jeepaySign(params, 'K')).toBe(md5('amount=100&appId=A&mchNo=M1&key=K').toUpperCase());
    expect(jeepaySign({}, 'K')).toBe(md5('key=K').toUpperCase());
  });

  it("signs epay's parameters without sign and sign_type, the key appended directly, in lower case", () => {
    const params = { pid: '10001', type: 'alipay', money: '0.01', sign: 'x', sign_type: 'MD5', param: '' };
    expect(epaySign(params, 'K')).toBe(md5('money=0.01&pid=10001&type=alipay' + 'K'));
  });

  it('reads epay money as text into fen, exactly, and refuses anything else', () => {
    expect(epayMoneyToFen('0.01')).toBe(1n);
    expect(epayMoneyToFen('99999.99')).toBe(9_999_999n);
    expect(epayMoneyToFen('1')).toBe(100n);
    expect(epayMoneyToFen('1.5')).toBe(150n);
    expect(epayMoneyToFen('0.1')).toBe(10n);
    for (const bad of [
      '0',
      '0.00',
      '1.234',
      '-1',
      '+1',
      '1e2',
      '.5',
      '1.',
      ' 1',
      '1 ',
      '01',
      '1,00',
      '０.01',
      '',
    ]) {
      expect(epayMoneyToFen(bad), bad).toBeNull();
    }
    expect(fenToEpayMoney(1n)).toBe('0.01');
    expect(fenToEpayMoney(9_999_999n)).toBe('99999.99');
  });
});
