import { type FeeTerms, feeOf } from './fee.ts';

export interface ChainSplit {
  /** What the merchant pays (its own terms). */
  merchantFee: bigint;
  /** What the channel keeps (the channel account's cost terms). */
  channelCost: bigint;
  /** Each agent's share, top agent first (the order of `chain`). */
  agentShares: bigint[];
  /** The platform's part: what is left over the channel cost; takes every rounding residue. */
  platform: bigint;
}

/**
 * Splits an order's merchant fee along its agent chain (DESIGN §3, AG-3): the channel keeps its
 * cost, each agent earns fee(terms of the level below) − fee(own terms), both with `feeOf`, and the
 * platform keeps fee(top agent's terms) − channel cost. With no agent the platform keeps
 * merchant fee − cost, as `split.ts` does. The parts add up to the merchant fee exactly.
 */
export function splitFee(
  amount: bigint,
  merchantTerms: FeeTerms,
  chain: readonly FeeTerms[],
  channelTerms: FeeTerms,
): ChainSplit {
  return shareFees(
    feeOf(amount, merchantTerms),
    chain.map((terms) => feeOf(amount, terms)),
    feeOf(amount, channelTerms),
  );
}

/**
 * The split from fees already computed: the merchant's, each level's (top agent first) and the
 * channel's cost. Orders store their levels' fees when they are created and split again when they
 * move to another channel account.
 *
 * The rate rule (agents and catalog) keeps cost ≤ top agent ≤ … ≤ direct agent ≤ merchant part by
 * part, and `feeOf` is monotonic in each part, so no part is negative. Should a rule have been
 * broken after the fact (terms saved before a check existed), each level's fee is clamped between
 * the channel cost and the fee of the level below: an agent priced above the level below earns 0,
 * and a channel cost above the top agent's fee takes the platform's part to 0 first and then the
 * top agents' shares. `atLoss` (a binding an operator allowed at a loss) lifts the clamp to the
 * cost: the agents keep their shares and the platform's part goes negative. A channel cost above
 * the merchant fee itself cannot be split without a loss: it throws, as `split.ts` does.
 */
export function shareFees(
  merchantFee: bigint,
  levelFees: readonly bigint[],
  channelCost: bigint,
  atLoss = false,
): ChainSplit {
  if (channelCost > merchantFee) {
    throw new RangeError(`channel cost ${channelCost} exceeds the merchant fee ${merchantFee}`);
  }
  const agentShares = new Array<bigint>(levelFees.length).fill(0n);
  let below = merchantFee; // the fee of the level below the agent in hand, walking up from the merchant
  for (let i = levelFees.length - 1; i >= 0; i--) {
    let own = levelFees[i]!;
    if (own > below) own = below;
    if (own < channelCost && !atLoss) own = channelCost;
    if (own < 0n) own = 0n;
    agentShares[i] = below - own;
    below = own;
  }
  return { merchantFee, channelCost, agentShares, platform: below - channelCost };
}
