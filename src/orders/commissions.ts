import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/index.ts';
import type { AgentAmount } from '../ledger/service.ts';
import type { OrderContext } from './context.ts';
import * as profits from './profit-queries.ts';

/** Profit rows settled per transaction at most. */
const SETTLE_BATCH = 500;

/**
 * Agents' commission after the payment (AG-3): what refunds give back per party, and its
 * settlement. An agent's commission settles with its order: once the order's own settlement
 * completed (platform mode: its net left the merchant's pending; direct mode: the channel paid the
 * merchant), its share less what refunds took moves from the agent's pending to available. In
 * direct mode the platform collects its margin with the agents' in it from the merchant
 * (platform_receivable), so an agent's available commission is what the platform owes it.
 */
export class AgentCommissions {
  constructor(private readonly ctx: OrderContext) {}

  /** Locks an order's profit rows inside a refund's transaction (after the order row). */
  lockProfits(q: Queryable, orderId: bigint) {
    return profits.lockProfits(q, orderId);
  }

  /** Records what a refund takes back per party (negative: a failed refund gives it back). */
  addRefunded(q: Queryable, orderId: bigint, parts: { level: number; amount: bigint }[]) {
    return profits.addRefunded(q, orderId, parts);
  }

  /**
   * Settles every agent commission that is due; answers how many profit rows moved. Test orders'
   * commission settles only where test orders do (the embedded demo), never in production.
   */
  async settle(settleTestOrders: boolean): Promise<number> {
    let moved = 0;
    for (;;) {
      const agentIds = await profits.agentsWithSettledOrders(this.ctx.db, SETTLE_BATCH, settleTestOrders);
      if (agentIds.length === 0) return moved;
      const currencies = await profits.currenciesOfAgents(this.ctx.db, agentIds);
      await this.ctx.ledger.openAccounts(
        currencies.flatMap((currency) => this.ctx.ledger.agentAccounts(agentIds, currency)),
      );
      const rows = await this.ctx.db.tx(async (q) => {
        const sums = await profits.settleAgentProfits(q, agentIds, SETTLE_BATCH, settleTestOrders);
        await this.ctx.ledger.postMany(
          q,
          sums
            .filter((s) => s.amount !== 0n)
            .map((s) => ({
              kind: 'agent_settlement',
              reference: `agent:${s.agent_id}`,
              // The rows' settled mark, in this transaction, is what makes it happen once.
              idempotencyKey: `agent_settlement:${s.agent_id}:${s.currency}:${randomUUID()}`,
              legs: [
                {
                  account: { kind: 'agent_pending', ownerId: s.agent_id, currency: s.currency },
                  amount: -s.amount,
                },
                {
                  account: { kind: 'agent_available', ownerId: s.agent_id, currency: s.currency },
                  amount: s.amount,
                },
              ],
            })),
        );
        return sums.reduce((n, s) => n + Number(s.rows), 0);
      });
      if (rows === 0) return moved;
      moved += rows;
    }
  }
}

/** An agent's part of a refund as the refund keeps it (`refund_order.agent_refunds`). */
export interface AgentRefundPart {
  agentId: string;
  level: number;
  amount: string;
  account: 'pending' | 'available';
}

export function agentAmountsOf(parts: AgentRefundPart[] | null): AgentAmount[] {
  return (parts ?? []).map((p) => ({
    agentId: BigInt(p.agentId),
    amount: BigInt(p.amount),
    account: p.account,
  }));
}
