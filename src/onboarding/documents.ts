import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SecretBox, SecretPlace } from '../auth/secret-box.ts';
import { AppError } from '../errors.ts';
import { writePrivateFile } from '../private-files.ts';

/** The largest document accepted (a phone photo of a licence is 1–4 MB). */
export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;

const SIGNATURES: { type: string; bytes: number[] }[] = [
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },
];

/**
 * The document's type by its first bytes, never by the name or the type the client claims: a file
 * that is not a JPEG, PNG or PDF is refused, so nothing else is ever served back from this store.
 */
export function sniffDocumentType(bytes: Buffer): string {
  if (bytes.length === 0) {
    throw new AppError('FILE_TYPE_NOT_ALLOWED', 'the document is empty', { allowed: 'jpeg, png, pdf' });
  }
  if (bytes.length > MAX_DOCUMENT_BYTES) {
    throw new AppError('FILE_TOO_LARGE', `a document may be at most ${MAX_DOCUMENT_BYTES} bytes`, {
      maxBytes: MAX_DOCUMENT_BYTES,
    });
  }
  const found = SIGNATURES.find((s) => s.bytes.every((b, i) => bytes[i] === b));
  if (!found) {
    throw new AppError('FILE_TYPE_NOT_ALLOWED', 'a document must be a JPEG, PNG or PDF file', {
      allowed: 'jpeg, png, pdf',
    });
  }
  return found.type;
}

function place(id: bigint): SecretPlace {
  return { table: 'onboarding_document', id, column: 'file' };
}

/**
 * Onboarding documents (ID and licence images) on disk: each file sealed with the master key to
 * its document row, in an owner-only folder, named by the row id. A file copied to another
 * document's name does not open.
 */
export class DocumentStore {
  constructor(
    private readonly dir: string,
    private readonly secrets: SecretBox,
  ) {}

  private file(id: bigint): string {
    return path.join(this.dir, `${id}.sealed`);
  }

  write(id: bigint, bytes: Buffer): { sha256: string } {
    writePrivateFile(this.file(id), this.secrets.encrypt(bytes.toString('base64'), place(id)));
    return { sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  read(id: bigint): Buffer {
    let sealed: string;
    try {
      sealed = fs.readFileSync(this.file(id), 'utf8');
    } catch {
      throw new AppError('NOT_FOUND', 'the document file is missing');
    }
    return Buffer.from(this.secrets.decrypt(sealed, place(id)), 'base64');
  }
}
