import { describe, expect, it } from 'vitest';
import { feeOf, rateOnly } from '../fees/fee.ts';
import { chainSnapshot, splitOrderFee, topAgentTermsOf, withinTopAgent } from './profit.ts';

const terms = (ratePpm: number, fixed = 0n, minimum = 0n) => ({ ratePpm, fixed, minimum });

describe('splitOrderFee without agents', () => {
  it('splits a typical order between the channel and the platform', () => {
    expect(splitOrderFee(10_000n, 60n, null, rateOnly(3800))).toEqual({
      fee: 60n,
      channelCost: 38n,
      agentCommission: 0n,
      platformProfit: 22n,
      agentChain: null,
    });
  });

  it('always adds up exactly, with the residue to the platform', () => {
    const merchant = { ratePpm: 6123, fixed: 3n, minimum: 20n };
    const channel = { ratePpm: 3801, fixed: 2n, minimum: 15n };
    for (let amount = 1n; amount < 3_000n; amount += 1n) {
      const split = splitOrderFee(amount, feeOf(amount, merchant), null, channel);
      expect(split.channelCost + split.platformProfit).toBe(split.fee);
      expect(split.platformProfit >= 0n).toBe(true);
      expect(split.fee <= amount).toBe(true);
    }
  });

  it('refuses a channel cost above the merchant fee, a non-positive amount and a fee outside the amount', () => {
    expect(() => splitOrderFee(100n, 3n, null, rateOnly(35_000))).toThrow(RangeError);
    expect(() => splitOrderFee(100n, 3n, null, { ratePpm: 0, fixed: 0n, minimum: 4n })).toThrow(RangeError);
    expect(() => splitOrderFee(0n, 0n, null, rateOnly(3000))).toThrow(RangeError);
    expect(() => splitOrderFee(10n, 11n, null, rateOnly(3000))).toThrow(RangeError);
    expect(() => splitOrderFee(10n, -1n, null, rateOnly(3000))).toThrow(RangeError);
  });
});

describe('splitOrderFee along the chain the order keeps', () => {
  it('stores each level’s fee and share, and splits again on another account with the same agents’ fees', () => {
    // 10 000 fen: top agent 0.4 % = 40, sub-agent 0.5 % = 50, merchant 0.6 % = 60.
    const chain = chainSnapshot(10_000n, [
      { agentId: 7n, terms: terms(4000) },
      { agentId: 9n, terms: terms(5000) },
    ]);
    const first = splitOrderFee(10_000n, 60n, chain, rateOnly(3000));
    expect(first.agentChain?.map((l) => [l.agentId, l.fee, l.share])).toEqual([
      ['7', '40', '10'],
      ['9', '50', '10'],
    ]);
    expect([first.channelCost, first.agentCommission, first.platformProfit]).toEqual([30n, 20n, 10n]);
    const moved = splitOrderFee(10_000n, 60n, first.agentChain, rateOnly(3500));
    expect([moved.channelCost, moved.agentCommission, moved.platformProfit]).toEqual([35n, 20n, 5n]);
  });

  it('keeps the routing guard: accounts over the top agent’s terms are dropped unless allowed at a loss', () => {
    const chain = chainSnapshot(10_000n, [{ agentId: 1n, terms: terms(4000, 0n, 10n) }]);
    const top = topAgentTermsOf(chain);
    const bindings = [
      { id: 'cheap', cost: terms(3000), allowedAtLoss: false },
      { id: 'dear', cost: terms(4500), allowedAtLoss: false },
      { id: 'minimum', cost: terms(3000, 0n, 20n), allowedAtLoss: false },
      { id: 'consented', cost: terms(4500), allowedAtLoss: true },
    ];
    expect(withinTopAgent(bindings, top).map((b) => b.id)).toEqual(['cheap', 'consented']);
    expect(withinTopAgent(bindings, null)).toHaveLength(4);
    const atLoss = splitOrderFee(10_000n, 60n, chain, rateOnly(4500), true);
    expect([atLoss.agentCommission, atLoss.platformProfit]).toEqual([20n, -5n]);
  });
});
