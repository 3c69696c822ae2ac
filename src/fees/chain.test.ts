import { describe, expect, it } from 'vitest';
import { shareFees, splitFee } from './chain.ts';
import type { FeeTerms } from './fee.ts';

const terms = (ratePpm: number, fixed = 0n, minimum = 0n): FeeTerms => ({ ratePpm, fixed, minimum });

/** A small seeded generator (mulberry32), so a failure is reproducible from its seed. */
function generator(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return { next, int };
}

/** Terms at or above `floor`, part by part (the rate rule). */
function above(g: ReturnType<typeof generator>, floor: FeeTerms): FeeTerms {
  return {
    ratePpm: Math.min(1_000_000, floor.ratePpm + g.int(0, 4_000)),
    fixed: floor.fixed + BigInt(g.int(0, 1) ? g.int(0, 50) : 0),
    minimum: floor.minimum + BigInt(g.int(0, 1) ? g.int(0, 200) : 0),
  };
}

describe('splitFee along an agent chain', () => {
  it('gives each agent the difference to the level below and the platform the rest over the cost', () => {
    // 10 000 fen: cost 0.3 % = 30, top agent 0.4 % = 40, sub-agent 0.5 % = 50, merchant 0.6 % = 60.
    expect(splitFee(10_000n, terms(6000), [terms(4000), terms(5000)], terms(3000))).toEqual({
      merchantFee: 60n,
      channelCost: 30n,
      agentShares: [10n, 10n],
      platform: 10n,
    });
  });

  it('with no agent is merchant fee = cost + platform', () => {
    expect(splitFee(10_000n, terms(6000), [], terms(3800))).toEqual({
      merchantFee: 60n,
      channelCost: 38n,
      agentShares: [],
      platform: 22n,
    });
  });

  it('compares whole fees, fixed parts and minimums included, and rounds each fee half up', () => {
    // 250 fen: merchant 0.6 % + 10 = 12 (1.5 → 2); agent 0.5 % + 5 = 6 (1.25 → 1); cost minimum 3.
    expect(splitFee(250n, terms(6000, 10n), [terms(5000, 5n)], terms(2000, 0n, 3n))).toEqual({
      merchantFee: 12n,
      channelCost: 3n,
      agentShares: [6n],
      platform: 3n,
    });
  });

  it('clamps a broken chain: an agent above the level below earns 0, a cost above the top agent takes the platform first', () => {
    // The sub-agent (0.7 %) is above the merchant (0.6 %): it earns nothing, the top agent earns to the merchant.
    expect(splitFee(10_000n, terms(6000), [terms(4000), terms(7000)], terms(3000)).agentShares).toEqual([
      20n,
      0n,
    ]);
    // The cost (0.45 %) rose above the top agent (0.4 %): the platform gets 0, the top agent only 50 − 45.
    expect(splitFee(10_000n, terms(6000), [terms(4000), terms(5000)], terms(4500))).toEqual({
      merchantFee: 60n,
      channelCost: 45n,
      agentShares: [5n, 10n],
      platform: 0n,
    });
    expect(() => splitFee(10_000n, terms(6000), [], terms(7000))).toThrow(RangeError);
  });

  it('adds up to the merchant fee with no negative part, for random valid chains of 0–4 agents', () => {
    for (let seed = 1; seed <= 5_000; seed++) {
      const g = generator(seed);
      const cost = terms(
        g.int(0, 10_000),
        BigInt(g.int(0, 1) ? g.int(0, 30) : 0),
        BigInt(g.int(0, 1) ? g.int(0, 100) : 0),
      );
      const chain: FeeTerms[] = [];
      let floor = cost;
      for (let n = g.int(0, 4); n > 0; n--) {
        floor = above(g, floor);
        chain.push(floor);
      }
      const merchant = above(g, floor);
      // 1 fen … 10^10 fen, spread over the orders of magnitude.
      const amount = BigInt(Math.max(1, Math.floor(10 ** (g.next() * 10))));
      const split = splitFee(amount, merchant, chain, cost);
      const sum = split.channelCost + split.platform + split.agentShares.reduce((a, b) => a + b, 0n);
      expect(sum, `seed ${seed}`).toBe(split.merchantFee);
      expect(split.agentShares.length).toBe(chain.length);
      for (const part of [split.channelCost, split.platform, ...split.agentShares]) {
        expect(part >= 0n, `seed ${seed}`).toBe(true);
      }
    }
  });
});

describe('shareFees at a loss', () => {
  it('keeps the agents whole and takes the platform below zero when the binding is allowed at a loss', () => {
    // merchant 60, sub-agent 50, top agent 40, cost 45 (above the top agent).
    expect(shareFees(60n, [40n, 50n], 45n, true)).toEqual({
      merchantFee: 60n,
      channelCost: 45n,
      agentShares: [10n, 10n],
      platform: -5n,
    });
    // Without the consent the top agent's share absorbs it and the platform earns nothing.
    expect(shareFees(60n, [40n, 50n], 45n)).toEqual({
      merchantFee: 60n,
      channelCost: 45n,
      agentShares: [5n, 10n],
      platform: 0n,
    });
  });
});
