import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HEADER, type VerifyingKey, verifyNotify } from './signing.ts';
import { buildVectors, VECTORS_PATH, vectorsJson } from './vectors.ts';

describe('the signing vectors the PHP, Java, Python and Go SDKs check themselves against', () => {
  it('are what the server-side signing gives today (regenerate: npx tsx sdk/vectors.ts)', () => {
    expect(fs.readFileSync(VECTORS_PATH, 'utf8')).toBe(vectorsJson());
  });

  it('hold the documented worked example and say the right outcome of every notify', () => {
    const v = buildVectors();
    expect(v.requests[0]!.hmacSignature).toBe('cgHGVx45UB4BZFg7qz4wNzCUd9ay6mIeTZ56KD48BdA=');
    expect(v.requests[1]!.hmacSignature).toBe('LqNFlQi/C/lmV+igaPccnP9h69uyBFrO55XleGdYfDE=');
    for (const c of v.notify.cases) {
      const key: VerifyingKey =
        c.signType === 'HMAC-SHA256'
          ? { type: 'HMAC-SHA256', secret: v.secret }
          : { type: 'RSA-SHA256', publicKey: v.merchantPublicKeyPem };
      const result = verifyNotify(c.headers, c.body, key, { now: v.notify.now });
      expect({ name: c.name, ...result }).toEqual({
        name: c.name,
        ok: c.ok,
        ...(c.ok ? {} : { reason: c.reason }),
      });
    }
    const valid = v.notify.cases[0]!;
    expect(
      verifyNotify(
        valid.headers,
        valid.body,
        { type: 'HMAC-SHA256', secret: v.secret },
        { now: v.notify.now + 301 },
      ),
    ).toEqual({ ok: false, reason: 'TIMESTAMP_EXPIRED' });
    expect(valid.headers[HEADER.signType]).toBe('HMAC-SHA256');
  });
});
