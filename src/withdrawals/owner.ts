import type { Services } from '../app/services.ts';
import type { Queryable } from '../db/index.ts';
import type { FundsOwner } from '../ledger/types.ts';

export type { FundsOwner as WithdrawalOwner } from '../ledger/types.ts';

// A bank card, a withdrawal and its payout belong to a merchant or to an agent (migration 028): one
// of merchant_id / agent_id is set. These helpers keep that choice in one place.

export const merchantOwner = (id: bigint): FundsOwner => ({ kind: 'merchant', id });
export const agentOwner = (id: bigint): FundsOwner => ({ kind: 'agent', id });

/** A bare id is a merchant's (the merchant API, the portal, onboarding name merchants by id). */
export function asOwner(owner: bigint | FundsOwner): FundsOwner {
  return typeof owner === 'bigint' ? merchantOwner(owner) : owner;
}

/** The owner's column in bank_card, withdrawal and payout_order: a fixed name, never from input. */
export function ownerColumn(owner: FundsOwner): 'merchant_id' | 'agent_id' {
  return owner.kind === 'merchant' ? 'merchant_id' : 'agent_id';
}

/** Whose row this is. */
export function ownerOf(row: { merchant_id: bigint | null; agent_id: bigint | null }): FundsOwner {
  if (row.merchant_id !== null) return merchantOwner(row.merchant_id);
  if (row.agent_id !== null) return agentOwner(row.agent_id);
  throw new Error('invariant: a row with neither a merchant nor an agent');
}

export function sameOwner(
  row: { merchant_id: bigint | null; agent_id: bigint | null },
  owner: FundsOwner,
): boolean {
  return (owner.kind === 'merchant' ? row.merchant_id : row.agent_id) === owner.id;
}

/**
 * Locks the owner's row (NO KEY UPDATE, so foreign keys to it still pass): one card change or one
 * withdrawal of an owner at a time past here, so the day's count and amount are read and extended
 * by one request at a time.
 */
export async function lockOwner(q: Queryable, owner: FundsOwner): Promise<void> {
  const table = owner.kind === 'merchant' ? 'merchant' : 'agent';
  await q.query(`SELECT id FROM ${table} WHERE id = $1 FOR NO KEY UPDATE`, [owner.id]);
}

/** Whose row it is, as the operators' lists show it: a merchant's number and name, or an agent's. */
export interface OwnerView {
  ownerKind: 'merchant' | 'agent';
  mchNo: string | null;
  merchantName: string | null;
  agentNo: string | null;
  agentName: string | null;
}

type Named = { mch_no: string; name: string } | { agent_no: string; name: string };

/**
 * The owner views of rows, with one look-up each of the merchants and the agents they name (for
 * rows read without the list's joins).
 */
export async function ownerViews(
  lookUp: {
    merchantsByIds(ids: bigint[]): Promise<Map<bigint, { mch_no: string; name: string }>>;
    agentsByIds(ids: bigint[]): Promise<Map<bigint, { agent_no: string; name: string }>>;
  },
  rows: { merchant_id: bigint | null; agent_id: bigint | null }[],
): Promise<(row: { merchant_id: bigint | null; agent_id: bigint | null }) => OwnerView> {
  const ids = (kind: 'merchant_id' | 'agent_id') => [
    ...new Set(rows.flatMap((r) => (r[kind] === null ? [] : [r[kind]]))),
  ];
  const merchantIds = ids('merchant_id');
  const agentIds = ids('agent_id');
  const merchants = merchantIds.length > 0 ? await lookUp.merchantsByIds(merchantIds) : new Map();
  const agents = agentIds.length > 0 ? await lookUp.agentsByIds(agentIds) : new Map();
  return (row) => {
    const owner = ownerOf(row);
    const named: Named | undefined =
      owner.kind === 'merchant' ? merchants.get(owner.id) : agents.get(owner.id);
    return owner.kind === 'merchant'
      ? {
          ownerKind: 'merchant',
          mchNo: named && 'mch_no' in named ? named.mch_no : null,
          merchantName: named?.name ?? null,
          agentNo: null,
          agentName: null,
        }
      : {
          ownerKind: 'agent',
          mchNo: null,
          merchantName: null,
          agentNo: named && 'agent_no' in named ? named.agent_no : null,
          agentName: named?.name ?? null,
        };
  };
}

/** The same view from a list row that joined the names. */
export function ownerViewOfNames(
  row: { agent_id: bigint | null } & {
    mch_no: string | null;
    merchant_name: string | null;
    agent_no: string | null;
    agent_name: string | null;
  },
): OwnerView {
  return row.agent_id === null
    ? {
        ownerKind: 'merchant',
        mchNo: row.mch_no,
        merchantName: row.merchant_name,
        agentNo: null,
        agentName: null,
      }
    : {
        ownerKind: 'agent',
        mchNo: null,
        merchantName: null,
        agentNo: row.agent_no,
        agentName: row.agent_name,
      };
}

/** The operators' look-ups of owners' numbers and names (for ownerViews). */
export const ownerLookUp = (services: Services) => ({
  merchantsByIds: (ids: bigint[]) => services.merchants.merchantsByIds(ids),
  agentsByIds: (ids: bigint[]) => services.agents.byIds(ids),
});
