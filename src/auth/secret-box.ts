import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Where a sealed secret is stored: its table, row id and column. The place is sealed with the
 * secret (AES-GCM associated data), so a ciphertext copied to another row or column does not open:
 * someone who can write the database but not read the master key cannot give app B the secret of
 * app A, or a channel account another account's credentials.
 */
export interface SecretPlace {
  table: string;
  /** The row's key: its id, or its natural key where the table has no id (sandbox_merchant.mch_id). */
  id: bigint | string;
  column: string;
}

/** A sealed secret that does not open here: altered, moved from another place, or of an old format. */
export class SealedSecretError extends Error {
  constructor(place: SecretPlace, reason: string) {
    super(`the sealed ${place.table}.${place.column} of row ${place.id} cannot be opened: ${reason}`);
    this.name = 'SealedSecretError';
  }
}

/**
 * Encrypts secrets at rest (app secrets, channel credentials, private keys, TOTP secrets) with
 * AES-256-GCM under the master key. Stored form: `v2.<iv>.<tag>.<ciphertext>`, each part base64url,
 * sealed to its place. `v1` (the same without a place) was written before secrets were bound to
 * their rows; it is opened only by the one-time reseal at start (`openUnbound`), never by reads.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
    this.key = masterKey;
  }

  encrypt(plaintext: string, place: SecretPlace): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(placeBytes(place));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v2', iv, cipher.getAuthTag(), ciphertext]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  decrypt(stored: string, place: SecretPlace): string {
    const parts = splitSealed(stored);
    if (parts?.version !== 'v2') throw new SealedSecretError(place, 'not a v2 sealed secret');
    try {
      return this.open(parts, placeBytes(place));
    } catch {
      throw new SealedSecretError(place, 'sealed for another place, or altered');
    }
  }

  /** Whether a stored value is of the format before places were sealed (to be resealed at start). */
  static isUnbound(stored: string): boolean {
    return splitSealed(stored)?.version === 'v1';
  }

  /** Opens a v1 secret: only for resealing it as v2 at its place. */
  openUnbound(stored: string, place: SecretPlace): string {
    const parts = splitSealed(stored);
    if (parts?.version !== 'v1') throw new SealedSecretError(place, 'not a v1 sealed secret');
    try {
      return this.open(parts, null);
    } catch {
      throw new SealedSecretError(place, 'altered, or sealed under another master key');
    }
  }

  private open(parts: SealedParts, aad: Buffer | null): string {
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(parts.iv, 'base64url'));
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(Buffer.from(parts.tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(parts.ciphertext, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }
}

interface SealedParts {
  version: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

function splitSealed(stored: string): SealedParts | null {
  const [version, iv, tag, ciphertext, extra] = stored.split('.');
  if (!version || !iv || !tag || ciphertext === undefined || extra !== undefined) return null;
  return { version, iv, tag, ciphertext };
}

/** The associated data: a JSON array, so no table, id and column can run into each other. */
function placeBytes(place: SecretPlace): Buffer {
  return Buffer.from(JSON.stringify(['qingyun-secret', place.table, place.id.toString(), place.column]));
}

/** Accepts the master key as 64 hex characters or base64 of 32 bytes. */
export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new Error('QY_MASTER_KEY must be 32 bytes, as 64 hex characters or base64');
  return key;
}
