import type { Services } from '../app/services.ts';
import type { Queryable } from '../db/index.ts';
import type { FundsOwner } from '../ledger/types.ts';

export type { FundsOwner as WithdrawalOwner } from '../ledger/types.ts';

// A bank card, a withdrawal and its payout belong to a merchant, an agent (migration 028) or a
// marketplace member (migration 041): exactly one of merchant_id / agent_id / member_id is set.
// These helpers keep that choice in one place.

export const merchantOwner = (id: bigint): FundsOwner => ({ kind: 'merchant', id });
export const agentOwner = (id: bigint): FundsOwner => ({ kind: 'agent', id });
export const memberOwner = (id: bigint): FundsOwner => ({ kind: 'member', id });

/** The owner columns of bank_card, withdrawal and payout_order. */
export interface OwnedRow {
  merchant_id: bigint | null;
  agent_id: bigint | null;
  member_id: bigint | null;
}

/** A bare id is a merchant's (the merchant API, the portal, onboarding name merchants by id). */
export function asOwner(owner: bigint | FundsOwner): FundsOwner {
  return typeof owner === 'bigint' ? merchantOwner(owner) : owner;
}

const COLUMNS = { merchant: 'merchant_id', agent: 'agent_id', member: 'member_id' } as const;
const TABLES = { merchant: 'merchant', agent: 'agent', member: 'member' } as const;

/** The owner's column in bank_card, withdrawal and payout_order: a fixed name, never from input. */
export function ownerColumn(owner: FundsOwner): 'merchant_id' | 'agent_id' | 'member_id' {
  return COLUMNS[owner.kind];
}

/** The owner columns of a new row: the owner's id in its column, null in the others. */
export function ownerColumns(owner: FundsOwner): OwnedRow {
  return {
    merchant_id: owner.kind === 'merchant' ? owner.id : null,
    agent_id: owner.kind === 'agent' ? owner.id : null,
    member_id: owner.kind === 'member' ? owner.id : null,
  };
}

/** Whose row this is. */
export function ownerOf(row: OwnedRow): FundsOwner {
  if (row.merchant_id !== null) return merchantOwner(row.merchant_id);
  if (row.agent_id !== null) return agentOwner(row.agent_id);
  if (row.member_id !== null) return memberOwner(row.member_id);
  throw new Error('invariant: a row with no merchant, agent or member');
}

export function sameOwner(row: OwnedRow, owner: FundsOwner): boolean {
  return row[ownerColumn(owner)] === owner.id;
}

/**
 * Locks the owner's row (NO KEY UPDATE, so foreign keys to it still pass): one card change or one
 * withdrawal of an owner at a time past here, so the day's count and amount are read and extended
 * by one request at a time.
 */
export async function lockOwner(q: Queryable, owner: FundsOwner): Promise<void> {
  await q.query(`SELECT id FROM ${TABLES[owner.kind]} WHERE id = $1 FOR NO KEY UPDATE`, [owner.id]);
}

/** Whose row it is, as the operators' lists show it: a merchant's number and name, an agent's or a member's. */
export interface OwnerView {
  ownerKind: FundsOwner['kind'];
  mchNo: string | null;
  merchantName: string | null;
  agentNo: string | null;
  agentName: string | null;
  memberNo: string | null;
  memberName: string | null;
}

const NO_NAMES = {
  mchNo: null,
  merchantName: null,
  agentNo: null,
  agentName: null,
  memberNo: null,
  memberName: null,
};

/**
 * The owner views of rows, with one look-up each of the merchants, the agents and the members
 * they name (for rows read without the list's joins).
 */
export async function ownerViews(
  lookUp: {
    merchantsByIds(ids: bigint[]): Promise<Map<bigint, { mch_no: string; name: string }>>;
    agentsByIds(ids: bigint[]): Promise<Map<bigint, { agent_no: string; name: string }>>;
    membersByIds(ids: bigint[]): Promise<Map<bigint, { member_no: string; name: string }>>;
  },
  rows: OwnedRow[],
): Promise<(row: OwnedRow) => OwnerView> {
  const ids = (kind: keyof OwnedRow) => [
    ...new Set(rows.flatMap((r) => (r[kind] === null ? [] : [r[kind]]))),
  ];
  const found = async <T>(list: bigint[], look: (ids: bigint[]) => Promise<Map<bigint, T>>) =>
    list.length > 0 ? await look(list) : new Map<bigint, T>();
  const merchants = await found(ids('merchant_id'), lookUp.merchantsByIds);
  const agents = await found(ids('agent_id'), lookUp.agentsByIds);
  const members = await found(ids('member_id'), lookUp.membersByIds);
  return (row) => {
    const owner = ownerOf(row);
    if (owner.kind === 'merchant') {
      const m = merchants.get(owner.id);
      return { ...NO_NAMES, ownerKind: 'merchant', mchNo: m?.mch_no ?? null, merchantName: m?.name ?? null };
    }
    if (owner.kind === 'agent') {
      const a = agents.get(owner.id);
      return { ...NO_NAMES, ownerKind: 'agent', agentNo: a?.agent_no ?? null, agentName: a?.name ?? null };
    }
    const m = members.get(owner.id);
    return { ...NO_NAMES, ownerKind: 'member', memberNo: m?.member_no ?? null, memberName: m?.name ?? null };
  };
}

/** The names a list row joined beside its owner columns (see OWNER_NAME_COLUMNS). */
export interface OwnerNames {
  mch_no: string | null;
  merchant_name: string | null;
  agent_no: string | null;
  agent_name: string | null;
  member_no: string | null;
  member_name: string | null;
}

/** The same view from a list row that joined the names. */
export function ownerViewOfNames(row: OwnedRow & OwnerNames): OwnerView {
  const owner = ownerOf(row);
  if (owner.kind === 'merchant')
    return { ...NO_NAMES, ownerKind: 'merchant', mchNo: row.mch_no, merchantName: row.merchant_name };
  if (owner.kind === 'agent')
    return { ...NO_NAMES, ownerKind: 'agent', agentNo: row.agent_no, agentName: row.agent_name };
  return { ...NO_NAMES, ownerKind: 'member', memberNo: row.member_no, memberName: row.member_name };
}

/** The owner's number: a merchant's, an agent's or a member's. */
export const ownerNumber = (v: OwnerView): string | null => v.mchNo ?? v.agentNo ?? v.memberNo;
/** The owner's name: a merchant's, an agent's or a member's. */
export const ownerName = (v: OwnerView): string | null => v.merchantName ?? v.agentName ?? v.memberName;

/**
 * The owners' numbers and names a list joins beside a row of `alias` (bank_card, withdrawal or
 * payout_order): select OWNER_NAME_COLUMNS and join ownerNameJoins(alias).
 */
export const OWNER_NAME_COLUMNS =
  'm.mch_no, m.name AS merchant_name, g.agent_no, g.name AS agent_name, mb.member_no, mb.name AS member_name';
export const ownerNameJoins = (alias: string) =>
  `LEFT JOIN merchant m ON m.id = ${alias}.merchant_id LEFT JOIN agent g ON g.id = ${alias}.agent_id ` +
  `LEFT JOIN member mb ON mb.id = ${alias}.member_id`;

/** The operators' look-ups of owners' numbers and names (for ownerViews). */
export const ownerLookUp = (services: Services) => ({
  merchantsByIds: (ids: bigint[]) => services.merchants.merchantsByIds(ids),
  agentsByIds: (ids: bigint[]) => services.agents.byIds(ids),
  membersByIds: (ids: bigint[]) => services.members.byIds(ids),
});
