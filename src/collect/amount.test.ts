import { describe, expect, it } from 'vitest';
import { parseYuanText } from './amount.ts';
import { WindowLimiter } from './limiter.ts';
import { methodsLine, walletOf } from './printables.ts';
import { CODE_PATTERN, randomCode } from './service.ts';

describe('parseYuanText', () => {
  it.each([
    ['8.80', 880n],
    ['8.8', 880n],
    ['8', 800n],
    ['8.', 800n],
    ['.5', 50n],
    ['0.01', 1n],
    [' 12.34 ', 1234n],
    ['¥12', 1200n],
    ['￥ 12.3', 1230n],
    ['0,50', 50n],
    ['８．８０', 880n],
    ['000123.45', 12345n],
    ['999999999999.99', 99999999999999n],
  ])('reads %j as %s fen', (text, fen) => {
    expect(parseYuanText(text)).toEqual({ ok: true, amount: fen });
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['0', 'zero'],
    ['0.00', 'zero'],
    ['1.234', 'decimals'],
    ['1,000', 'decimals'],
    ['-1', 'format'],
    ['+1', 'format'],
    ['1e3', 'format'],
    ['abc', 'format'],
    ['1.2.3', 'format'],
    ['.', 'format'],
    ['1 000', 'format'],
    ['0x10', 'format'],
    ['Infinity', 'format'],
    ['1000000000000', 'format'],
    ['1'.repeat(30), 'format'],
  ])('refuses %j (%s)', (text, reason) => {
    expect(parseYuanText(text)).toEqual({ ok: false, reason });
  });
});

describe('WindowLimiter', () => {
  it('allows the limit per window and key, then refuses until the window ends', () => {
    const limiter = new WindowLimiter(3, 1_000);
    expect([1, 2, 3, 4].map(() => limiter.take('a', 0))).toEqual([true, true, true, false]);
    expect(limiter.take('b', 10)).toBe(true);
    expect(limiter.take('a', 999)).toBe(false);
    expect(limiter.take('a', 1_000)).toBe(true);
  });

  it('remembers a bounded number of keys', () => {
    const limiter = new WindowLimiter(1, 60_000, 100);
    for (let i = 0; i < 1_000; i++) limiter.take(`k${i}`, 0);
    const size = (limiter as unknown as { windows: Map<string, unknown> }).windows.size;
    expect(size).toBeLessThanOrEqual(100);
    // The newest keys are still counted.
    expect(limiter.take('k999', 1)).toBe(false);
  });
});

describe('codes and poster words', () => {
  it('makes random base32 codes of 20 characters', () => {
    const codes = new Set(Array.from({ length: 1_000 }, randomCode));
    expect(codes.size).toBe(1_000);
    for (const code of codes) expect(code).toMatch(CODE_PATTERN);
  });

  it('names wallets by the product code and says how to pay', () => {
    expect([
      walletOf('alipay_qr'),
      walletOf('wx_native'),
      walletOf('wechat_h5'),
      walletOf('sandbox_qr'),
    ]).toEqual(['支付宝', '微信', '微信', null]);
    expect(
      methodsLine([
        { name: '支付宝', wallet: true },
        { name: '微信', wallet: true },
      ]),
    ).toEqual({ headline: '请使用支付宝 / 微信扫码付款', detail: '' });
    expect(methodsLine([{ name: '沙箱扫码', wallet: false }])).toEqual({
      headline: '请使用手机扫码付款',
      detail: '支持：沙箱扫码',
    });
  });
});
