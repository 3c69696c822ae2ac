import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import {
  commissionOf,
  planSplit,
  RECEIVER,
  type ReleaseState,
  releaseParts,
  takeBackParts,
} from './compute.ts';

/** A small seeded generator (mulberry32), so every run checks the same cases. */
function seeded(seed: number) {
  let a = seed;
  return (max: number) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * (max + 1));
  };
}

describe('split arithmetic', () => {
  it('rounds ppm commissions down, then applies the floor and the cap', () => {
    expect(commissionOf({ basis: 'ppm', value: 10_000n, floor: null, cap: null }, 1_999n)).toBe(19n);
    expect(commissionOf({ basis: 'ppm', value: 10_000n, floor: 25n, cap: null }, 1_999n)).toBe(25n);
    expect(commissionOf({ basis: 'ppm', value: 10_000n, floor: null, cap: 500n }, 1_000_000n)).toBe(500n);
    expect(commissionOf({ basis: 'fixed', value: 30n, floor: null, cap: null }, 1n)).toBe(30n);
  });

  it('gives the receiver the net less the commissions, and refuses commissions above the net', () => {
    const plan = planSplit(100n, { kind: 'member', memberId: 1n }, [
      { payee: { kind: 'merchant' }, amount: 30n },
    ]);
    expect(plan).toEqual([
      { index: RECEIVER, payee: { kind: 'member', memberId: 1n }, amount: 70n },
      { index: 0, payee: { kind: 'merchant' }, amount: 30n },
    ]);
    expect(() =>
      planSplit(10n, { kind: 'member', memberId: 1n }, [{ payee: { kind: 'merchant' }, amount: 11n }]),
    ).toThrow(AppError);
  });

  it('releases in proportion without a part going negative where floors jump together', () => {
    // Two commissions of 1 and a receiver of 1: releasing 1, 1, 1 must never take from the receiver.
    let parts: ReleaseState[] = [
      { index: RECEIVER, total: 1n, released: 0n },
      { index: 0, total: 1n, released: 0n },
      { index: 1, total: 1n, released: 0n },
    ];
    for (let step = 0; step < 3; step++) {
      const out = releaseParts(parts, 1n);
      expect([...out.values()].every((x) => x >= 0n)).toBe(true);
      expect([...out.values()].reduce((a, b) => a + b, 0n)).toBe(1n);
      parts = parts.map((p) => ({ ...p, released: p.released + (out.get(p.index) ?? 0n) }));
    }
    expect(parts.every((p) => p.released === p.total)).toBe(true);
  });

  it('keeps every release and take-back exact over 2 000 random cases', () => {
    const random = seeded(42);
    for (let n = 0; n < 2_000; n++) {
      const totals = Array.from({ length: 1 + random(4) }, () => BigInt(random(5_000)));
      let parts: ReleaseState[] = totals.map((total, i) => ({
        index: i === 0 ? RECEIVER : i - 1,
        total,
        released: 0n,
      }));
      let room = totals.reduce((a, b) => a + b, 0n);
      while (room > 0n) {
        const amount = 1n + BigInt(random(Number(room) - 1));
        const out = releaseParts(parts, amount);
        expect([...out.values()].reduce((a, b) => a + b, 0n)).toBe(amount);
        parts = parts.map((p) => {
          const part = out.get(p.index) ?? 0n;
          expect(part >= 0n && p.released + part <= p.total).toBe(true);
          return { ...p, released: p.released + part };
        });
        room -= amount;
      }
      const has = parts.map((p) => ({ index: p.index, has: p.released }));
      const total = has.reduce((a, b) => a + b.has, 0n);
      const amount = BigInt(random(Number(total)));
      const taken = takeBackParts(has, amount);
      expect([...taken.values()].reduce((a, b) => a + b, 0n)).toBe(amount);
      for (const h of has) expect((taken.get(h.index) ?? 0n) <= h.has).toBe(true);
    }
  });
});
