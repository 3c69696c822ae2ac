import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AUTH_CODE_PATTERN,
  authCodeBehaviour,
  newSandboxMerchantKey,
  sandboxFaultsSchema,
  sandboxSign,
  sandboxVerify,
} from './protocol.ts';

describe('sandboxSign', () => {
  const key = 'k3y';
  const params = {
    mchId: 'SBX00000001',
    amount: '1234',
    Zeta: 'upper-case sorts first',
    empty: '',
    sign: 'ignored',
    nonce: 'abc',
  };

  it('matches an independently computed test vector', () => {
    // Sorted by ASCII (uppercase before lowercase), empty values and sign dropped, then &key= appended.
    const signed = 'Zeta=upper-case sorts first&amount=1234&mchId=SBX00000001&nonce=abc&key=k3y';
    const expected = createHmac('sha256', 'k3y').update(signed).digest('hex').toUpperCase();
    expect(sandboxSign(params, key)).toBe(expected);
    expect(expected).toMatch(/^[0-9A-F]{64}$/);
  });

  it('verifies its own signature and refuses any tampering', () => {
    const signed = { ...params, sign: sandboxSign(params, key) };
    expect(sandboxVerify(signed, key)).toBe(true);
    expect(sandboxVerify({ ...signed, amount: '1235' }, key)).toBe(false);
    expect(sandboxVerify({ ...signed, extra: 'x' }, key)).toBe(false);
    expect(sandboxVerify(signed, 'other-key')).toBe(false);
    expect(sandboxVerify({ ...signed, sign: signed.sign.toLowerCase() }, key)).toBe(false);
    expect(sandboxVerify({ ...signed, sign: 'short' }, key)).toBe(false);
    const { sign: _dropped, ...unsigned } = signed;
    expect(sandboxVerify(unsigned, key)).toBe(false);
  });

  it('ignores empty parameters, as the scheme defines', () => {
    const signed = { ...params, sign: sandboxSign(params, key) };
    expect(sandboxVerify({ ...signed, another: '' }, key)).toBe(true);
  });
});

describe('newSandboxMerchantKey', () => {
  it('is 256 random bits, never the same twice', () => {
    const keys = new Set(Array.from({ length: 50 }, () => newSandboxMerchantKey()));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('sandboxFaultsSchema', () => {
  it('accepts bounded faults and refuses unknown or out-of-range ones', () => {
    expect(sandboxFaultsSchema.safeParse({ duplicateNotify: 3, notifyDelayMs: 30_000 }).success).toBe(true);
    expect(sandboxFaultsSchema.safeParse({ notifyDelayMs: 30_001 }).success).toBe(false);
    expect(sandboxFaultsSchema.safeParse({ createDelayMs: 30_001 }).success).toBe(false);
    expect(sandboxFaultsSchema.safeParse({ duplicateNotify: 4 }).success).toBe(false);
    expect(sandboxFaultsSchema.safeParse({ createDelayMs: 1.5 }).success).toBe(false);
    expect(sandboxFaultsSchema.safeParse({ surprise: true }).success).toBe(false);
  });
});

describe('sandbox test auth codes', () => {
  it('choose the customer by the last two digits', () => {
    expect(authCodeBehaviour('134567890123456799')).toBe('declined');
    expect(authCodeBehaviour('134567890123456788')).toBe('confirms_later');
    expect(authCodeBehaviour('134567890123456777')).toBe('never_confirms');
    for (const paid of ['134567890123456700', '134567890123456789', '1000000000']) {
      expect(authCodeBehaviour(paid)).toBe('paid');
    }
  });

  it('are 10 to 32 digits', () => {
    expect(AUTH_CODE_PATTERN.test('1'.repeat(10))).toBe(true);
    expect(AUTH_CODE_PATTERN.test('1'.repeat(32))).toBe(true);
    for (const bad of ['1'.repeat(9), '1'.repeat(33), '13456789012345678a', ' 1345678901', '']) {
      expect(AUTH_CODE_PATTERN.test(bad)).toBe(false);
    }
  });
});
