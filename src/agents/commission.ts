import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { toJsonAmount } from '../money/money.ts';
import { blank, windowOf } from '../orders/routes.ts';
import { IncludeTest } from '../stats/routes.ts';
import { addDays, localDate, TimeBound } from '../stats/time.ts';
import type { AgentRow } from './queries.ts';

/** The window a commission view covers; the last 30 local days when not given. */
export const CommissionQuery = z.object({
  from: blank(TimeBound),
  to: blank(TimeBound),
  includeTest: IncludeTest,
});

export const EntriesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});

const AGENT_ACCOUNTS = ['agent_pending', 'agent_available'] as const;

/** Ledger transaction kinds in the consoles' words for commission entries (a withdrawal moves available). */
const ENTRY_KINDS: Record<string, string> = {
  payment: 'payment',
  refund: 'refund',
  refund_reversal: 'refund_failed',
  agent_settlement: 'settle',
  withdrawal_freeze: 'withdraw',
  withdrawal_release: 'withdraw_returned',
  payout_returned: 'withdraw_returned',
};

/**
 * An agent's commission (AG-4): its balances (pending: orders not settled yet; available: settled,
 * owed to the agent) and its commission per day, product and merchant over a window, net of what
 * refunds took back. The same view for the agent area and for operators.
 */
export async function commissionView(
  services: Services,
  agent: AgentRow,
  query: z.infer<typeof CommissionQuery>,
) {
  const timeZone = services.orders.timeZone;
  const today = localDate(new Date(), timeZone);
  const fromDate = query.from ?? addDays(today, -29);
  const toDate = query.to ?? today;
  const window = windowOf({ from: fromDate, to: toDate }, timeZone);
  const withTest = query.includeTest ?? (await services.catalog.testDataOnly());
  const filter = { agentId: agent.id, from: window.from!, to: window.to!, timeZone, withTest };
  const [byDay, byProduct, byMerchant] = await Promise.all([
    services.orders.agentCommission(filter, 'day'),
    services.orders.agentCommission(filter, 'product'),
    services.orders.agentCommission(filter, 'merchant'),
  ]);
  const products = new Map((await services.catalog.listProducts()).map((p) => [p.id.toString(), p]));
  const merchants = await services.merchants.merchantsByIds(byMerchant.map((r) => BigInt(r.key)));
  const figures = (r: { orders: bigint; amount: bigint; commission: bigint; refunded: bigint }) => ({
    orders: Number(r.orders),
    amount: toJsonAmount(r.amount),
    commission: toJsonAmount(r.commission),
    refunded: toJsonAmount(r.refunded),
  });
  const balance = async (kind: (typeof AGENT_ACCOUNTS)[number] | 'agent_frozen') =>
    toJsonAmount(await services.ledger.balanceOf({ kind, ownerId: agent.id, currency: 'CNY' }));
  return {
    currency: 'CNY',
    from: window.from!.toISOString(),
    to: window.to!.toISOString(),
    fromDate: fromDate.slice(0, 10),
    toDate: toDate.slice(0, 10),
    includeTest: withTest,
    balance: {
      pending: await balance('agent_pending'),
      available: await balance('agent_available'),
      frozen: await balance('agent_frozen'),
    },
    byDay: byDay.map((r) => ({ day: r.key, ...figures(r) })),
    byProduct: byProduct.map((r) => ({
      productCode: products.get(r.key)?.code ?? '',
      productName: products.get(r.key)?.name ?? '',
      ...figures(r),
    })),
    byMerchant: byMerchant.map((r) => ({
      mchNo: merchants.get(BigInt(r.key))?.mch_no ?? '',
      merchantName: merchants.get(BigInt(r.key))?.name ?? '',
      ...figures(r),
    })),
  };
}

/** An agent's commission account entries, newest first, each with its account's balance after it. */
export async function commissionEntries(
  services: Services,
  agent: AgentRow,
  page: z.infer<typeof EntriesQuery>,
) {
  const rows = await services.ledger.entriesOf(agent.id, AGENT_ACCOUNTS, page);
  return {
    items: rows.map((r) => ({
      id: r.id.toString(),
      createdAt: r.at.toISOString(),
      kind: ENTRY_KINDS[r.type] ?? r.type,
      /** The order's number (payment), the refund's (refund, refund_failed); null for a settlement. */
      reference: r.type === 'agent_settlement' ? null : r.reference,
      account: r.account === 'agent_available' ? 'available' : 'pending',
      amount: toJsonAmount(r.amount),
      balanceAfter: toJsonAmount(r.balance_after),
      currency: r.currency,
    })),
    total: Number(rows[0]?.total ?? 0n),
  };
}
