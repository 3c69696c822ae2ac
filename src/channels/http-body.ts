import type { Readable } from 'node:stream';

/**
 * Reads a response body as UTF-8 text, giving up past `maxBytes` so a misbehaving peer cannot make us
 * buffer without bound. Returns null when the body was too large (the stream is destroyed).
 */
export async function readTextUpTo(body: Readable, maxBytes: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += bytes.length;
    if (total > maxBytes) {
      body.destroy();
      return null;
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}
