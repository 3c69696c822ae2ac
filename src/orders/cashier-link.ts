import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** 192 bits of HMAC: far beyond guessing (≥ 128 bits asked), and 32 characters in a QR. */
const TOKEN_BYTES = 24;
/** The canonical base64url of TOKEN_BYTES bytes: no padding, nothing else accepted. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32}$/;
/** Names the derived key's purpose, so the master key yields an unrelated key for anything else. */
const KEY_INFO = 'qingyun-pay cashier link v1';

/**
 * The capability in a cashier link. Order numbers are time + a counter, so anyone could walk
 * `/cashier/{orderNo}`; the link carries `HMAC-SHA256(orderNo)` under a key derived (HKDF) from the
 * master key, which only this platform can compute. Nothing is stored: creating an order costs no
 * statement, every node verifies any link, and rotating the master key retires every old link.
 */
export class CashierLinks {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), KEY_INFO, 32));
  }

  tokenOf(orderNo: string): string {
    return createHmac('sha256', this.key)
      .update(orderNo)
      .digest()
      .subarray(0, TOKEN_BYTES)
      .toString('base64url');
  }

  /** Whether `token` is this order's, compared in constant time. */
  verify(orderNo: string, token: string): boolean {
    if (!TOKEN_PATTERN.test(token)) return false;
    return timingSafeEqual(Buffer.from(token), Buffer.from(this.tokenOf(orderNo)));
  }

  /** The cashier page's path; the token is a path segment, never sent on as a Referer (no-referrer). */
  path(orderNo: string): string {
    return `/cashier/${orderNo}/${this.tokenOf(orderNo)}`;
  }
}
