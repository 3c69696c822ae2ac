import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sealV1 } from '../../test/support/legacy-secrets.ts';
import { SealedSecretError, SecretBox, type SecretPlace } from './secret-box.ts';

const key = randomBytes(32);
const box = new SecretBox(key);
const place: SecretPlace = { table: 'merchant_app', id: 7n, column: 'secret_enc' };

describe('secret box', () => {
  it('opens a secret at the place it was sealed for', () => {
    const sealed = box.encrypt('s3cret ✓', place);
    expect(sealed).toMatch(/^v2\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('s3cret');
    expect(box.decrypt(sealed, { ...place })).toBe('s3cret ✓');
  });

  it.each([
    ['another table', { ...place, table: 'channel_account' }],
    ['another row', { ...place, id: 8n }],
    ['another column', { ...place, column: 'platform_private_key_enc' }],
    ['a place whose parts run together', { table: 'merchant_app', id: 7n, column: 'secret_en' }],
  ])('refuses to open it at %s', (_what, elsewhere) => {
    const sealed = box.encrypt('s3cret', place);
    expect(() => box.decrypt(sealed, elsewhere)).toThrow(SealedSecretError);
  });

  it('refuses another master key, an altered ciphertext and trailing parts', () => {
    const sealed = box.encrypt('s3cret', place);
    expect(() => new SecretBox(randomBytes(32)).decrypt(sealed, place)).toThrow(SealedSecretError);
    const [v, iv, tag, ct] = sealed.split('.');
    const flipped = Buffer.from(ct!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => box.decrypt([v, iv, tag, flipped.toString('base64url')].join('.'), place)).toThrow(
      SealedSecretError,
    );
    expect(() => box.decrypt(`${sealed}.x`, place)).toThrow(SealedSecretError);
  });

  it('reads v1 only through openUnbound, which the start-up reseal uses', () => {
    const v1 = sealV1(key, 'old secret');
    expect(SecretBox.isUnbound(v1)).toBe(true);
    expect(SecretBox.isUnbound(box.encrypt('x', place))).toBe(false);
    expect(() => box.decrypt(v1, place)).toThrow(/not a v2 sealed secret/);
    expect(box.openUnbound(v1, place)).toBe('old secret');
    expect(() => box.openUnbound(box.encrypt('x', place), place)).toThrow(SealedSecretError);
  });
});
