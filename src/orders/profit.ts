import { shareFees } from '../fees/chain.ts';
import { exceedingComponent, type FeeTerms, feeOf } from '../fees/fee.ts';

/** An agent of an order's merchant chain with its terms for the order's product (agents.chainFor). */
export interface AgentChainLevel {
  agentId: bigint;
  terms: FeeTerms;
}

/**
 * One level of an order's agent chain as the order keeps it (`pay_order.agent_chain`, top agent
 * first): the agent's terms when the order was created, its fee on the order's amount, and its
 * share given the order's channel cost. JSON, so the integers are strings.
 */
export interface OrderChainLevel {
  agentId: string;
  ratePpm: number;
  fixedFee: string;
  minimumFee: string;
  fee: string;
  share: string;
}

/** How an order's fee divides: the parts add up to the fee exactly. */
export interface OrderSplit {
  fee: bigint;
  channelCost: bigint;
  agentCommission: bigint;
  platformProfit: bigint;
  /** Null: the merchant has no agent. */
  agentChain: OrderChainLevel[] | null;
}

/** The chain an order keeps, its levels' fees on the amount (shares follow from the cost: splitOrderFee). */
export function chainSnapshot(amount: bigint, chain: readonly AgentChainLevel[]): OrderChainLevel[] | null {
  if (chain.length === 0) return null;
  return chain.map((level) => ({
    agentId: level.agentId.toString(),
    ratePpm: level.terms.ratePpm,
    fixedFee: level.terms.fixed.toString(),
    minimumFee: level.terms.minimum.toString(),
    fee: feeOf(amount, level.terms).toString(),
    share: '0',
  }));
}

/**
 * Splits an order's merchant fee between the channel account's cost, the agents of its chain and
 * the platform (fees/chain.ts: each agent the difference to the level below, the platform the rest
 * over the cost and every rounding residue). Run when the order is created and again when it moves
 * to another account, whose cost differs; the merchant's fee and the agents' fees stay.
 * `atLoss`: the binding was allowed at a loss, so the platform's part may go below zero.
 */
export function splitOrderFee(
  amount: bigint,
  fee: bigint,
  chain: readonly OrderChainLevel[] | null,
  cost: FeeTerms,
  atLoss = false,
): OrderSplit {
  if (amount <= 0n) throw new RangeError('amount must be positive');
  if (fee < 0n || fee > amount) throw new RangeError(`fee ${fee} is outside 0..${amount}`);
  const channelCost = feeOf(amount, cost);
  const split = shareFees(
    fee,
    (chain ?? []).map((level) => BigInt(level.fee)),
    channelCost,
    atLoss,
  );
  const agentChain = chain
    ? chain.map((level, i) => ({ ...level, share: split.agentShares[i]!.toString() }))
    : null;
  const agentCommission = split.agentShares.reduce((a, b) => a + b, 0n);
  return { fee, channelCost, agentCommission, platformProfit: split.platform, agentChain };
}

/** The agents' shares of an order, top agent first (none without a chain). */
export function agentSharesOf(order: { agent_chain: OrderChainLevel[] | null }) {
  return (order.agent_chain ?? []).map((level, i) => ({
    agentId: BigInt(level.agentId),
    level: i + 1,
    share: BigInt(level.share),
  }));
}

/** The top agent's terms an order was created with (null: no agent). */
export function topAgentTermsOf(chain: readonly OrderChainLevel[] | null): FeeTerms | null {
  const top = chain?.[0];
  return top ? { ratePpm: top.ratePpm, fixed: BigInt(top.fixedFee), minimum: BigInt(top.minimumFee) } : null;
}

/**
 * The routing guard of the agent chain: an account that costs more than the top agent's terms (any
 * part) would take the agents' commission or the platform below zero, so it takes none of the
 * chain's orders, unless an operator allowed its binding at a loss.
 */
export function withinTopAgent<B extends { cost: FeeTerms; allowedAtLoss: boolean }>(
  bindings: B[],
  top: FeeTerms | null,
): B[] {
  if (!top) return bindings;
  return bindings.filter((b) => b.allowedAtLoss || exceedingComponent(b.cost, top) === null);
}
