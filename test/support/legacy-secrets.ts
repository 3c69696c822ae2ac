import { createCipheriv, randomBytes } from 'node:crypto';

/**
 * A secret sealed as the platform did before secrets were bound to their rows (format v1:
 * AES-256-GCM without associated data), to show that such rows are resealed at start.
 */
export function sealV1(masterKey: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ciphertext]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}
