import { describe, expect, it } from 'vitest';
import { hashCreateRequest } from './views.ts';

const request = {
  mchOrderNo: 'A-1',
  productCode: 'sandbox_qr',
  amount: 100n,
  subject: 'x',
  extra: { b: 1, a: { d: [1, 2], c: 'z' } },
};

describe('hashCreateRequest', () => {
  it('is the same for the same request whatever the order of keys in extra', () => {
    expect(hashCreateRequest(request)).toBe(
      hashCreateRequest({ ...request, extra: { a: { c: 'z', d: [1, 2] }, b: 1 } }),
    );
  });

  it.each([
    ['amount', { amount: 101n }],
    ['subject', { subject: 'y' }],
    ['an optional field set', { notifyUrl: 'https://shop.example/n' }],
    ['array order in extra', { extra: { b: 1, a: { d: [2, 1], c: 'z' } } }],
  ])('changes when %s changes', (_what, change) => {
    expect(hashCreateRequest({ ...request, ...change })).not.toBe(hashCreateRequest(request));
  });
});
