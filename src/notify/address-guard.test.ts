import { describe, expect, it } from 'vitest';
import { assertPublicLiteral, isPublicAddress, publicOnlyLookup } from './address-guard.ts';

describe('notify address guard', () => {
  it.each([
    ['8.8.8.8', true],
    ['203.0.114.7', true],
    ['2001:4860:4860::8888', true],
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.20.0.1', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false], // cloud metadata
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['::1', false],
    ['fd00::1', false],
    ['fe80::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:8.8.8.8', true],
    ['not-an-ip', false],
  ])('%s is public: %s', (ip, expected) => {
    expect(isPublicAddress(ip)).toBe(expected);
  });

  it('refuses private IP literals in URLs and lets names through to the lookup', () => {
    expect(() => assertPublicLiteral('http://127.0.0.1:8080/notify')).toThrow(/not a public address/);
    expect(() => assertPublicLiteral('http://[::1]/notify')).toThrow(/not a public address/);
    expect(() => assertPublicLiteral('https://8.8.8.8/notify')).not.toThrow();
    expect(() => assertPublicLiteral('https://shop.example/notify')).not.toThrow();
  });

  it('fails a lookup that resolves to a private address', async () => {
    const error = await new Promise<Error | null>((resolve) =>
      publicOnlyLookup('localhost', {}, (e) => resolve(e as Error | null)),
    );
    expect(error?.message).toMatch(/not a public address/);
  });
});
