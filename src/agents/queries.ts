import type { Queryable } from '../db/index.ts';
import type { FeeTerms } from '../fees/fee.ts';

export const AGENT_STATES = ['enabled', 'disabled'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export interface AgentRow {
  id: bigint;
  agent_no: string;
  name: string;
  contact: string;
  phone: string;
  email: string;
  parent_id: bigint | null;
  /** Ids from the top-level agent down to this one. */
  path: bigint[];
  /** 1 = top level. */
  depth: number;
  state: AgentState;
  created_at: Date;
  updated_at: Date;
}

export interface AgentRateRow {
  agent_id: bigint;
  product_id: bigint;
  rate_ppm: number;
  fixed_fee: bigint;
  minimum_fee: bigint;
  updated_at: Date;
}

export const agentTermsOf = (row: AgentRateRow): FeeTerms => ({
  ratePpm: row.rate_ppm,
  fixed: row.fixed_fee,
  minimum: row.minimum_fee,
});

/** The driver gives BIGINT[] as strings on one database and bigints on the other. */
function normalise(row: AgentRow): AgentRow {
  return { ...row, path: row.path.map((id) => BigInt(id)) };
}

const one = (rows: AgentRow[]) => (rows[0] ? normalise(rows[0]) : null);

export async function insertAgent(
  q: Queryable,
  a: {
    agentNo: string;
    name: string;
    contact: string;
    phone: string;
    email: string;
    parent: AgentRow | null;
  },
): Promise<AgentRow> {
  // The id is taken first so the path can hold it.
  const [{ id }] = (await q.query<{ id: bigint }>(`SELECT nextval('agent_id_seq') AS id`)) as [
    { id: bigint },
  ];
  const path = [...(a.parent?.path ?? []), BigInt(id)].map(String);
  const rows = await q.query<AgentRow>(
    `INSERT INTO agent (id, agent_no, name, contact, phone, email, parent_id, path, depth)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bigint[], $9) RETURNING *`,
    [id, a.agentNo, a.name, a.contact, a.phone, a.email, a.parent?.id ?? null, path, path.length],
  );
  return one(rows)!;
}

export async function findAgentByNo(q: Queryable, agentNo: string, forUpdate = false) {
  return one(
    await q.query<AgentRow>(`SELECT * FROM agent WHERE agent_no = $1${forUpdate ? ' FOR UPDATE' : ''}`, [
      agentNo,
    ]),
  );
}

export async function findAgentById(q: Queryable, id: bigint, forUpdate = false) {
  return one(
    await q.query<AgentRow>(`SELECT * FROM agent WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]),
  );
}

/** Agents by id (the parents a list shows). */
export async function findAgentsByIds(q: Queryable, ids: bigint[]) {
  const rows = await q.query<AgentRow>('SELECT * FROM agent WHERE id = ANY($1::bigint[])', [ids.map(String)]);
  return rows.map(normalise);
}

/** Agents of a subtree (the root too unless `withoutRoot`), or every agent when `rootId` is null; by path. */
export async function listAgents(
  q: Queryable,
  f: { rootId: bigint | null; withoutRoot?: boolean; search?: string; limit: number; offset: number },
) {
  const rows = await q.query<AgentRow & { total: bigint }>(
    `SELECT *, count(*) OVER ()::bigint AS total FROM agent
     WHERE ($1::bigint IS NULL OR path @> ARRAY[$1::bigint])
       AND NOT ($5::boolean AND id = $1::bigint)
       AND ($2::text IS NULL OR agent_no ILIKE '%' || $2 || '%' OR name ILIKE '%' || $2 || '%')
     ORDER BY path LIMIT $3 OFFSET $4`,
    [f.rootId, f.search ?? null, f.limit, f.offset, f.withoutRoot === true],
  );
  return rows.map((r) => ({ ...normalise(r), total: r.total }));
}

/** Ids of an agent's subtree, itself included. */
export async function subtreeIds(q: Queryable, rootId: bigint): Promise<bigint[]> {
  const rows = await q.query<{ id: bigint }>('SELECT id FROM agent WHERE path @> ARRAY[$1::bigint]', [
    rootId,
  ]);
  return rows.map((r) => r.id);
}

/** The deepest depth inside an agent's subtree (the agent's own when it has no sub-agents). */
export async function deepestInSubtree(q: Queryable, rootId: bigint): Promise<number> {
  const rows = await q.query<{ depth: number }>(
    'SELECT max(depth) AS depth FROM agent WHERE path @> ARRAY[$1::bigint]',
    [rootId],
  );
  return rows[0]!.depth;
}

export async function updateAgent(
  q: Queryable,
  id: bigint,
  patch: { name?: string; contact?: string; phone?: string; email?: string; state?: AgentState },
) {
  return one(
    await q.query<AgentRow>(
      `UPDATE agent SET name = COALESCE($2, name), contact = COALESCE($3, contact), phone = COALESCE($4, phone),
         email = COALESCE($5, email), state = COALESCE($6, state), updated_at = now()
       WHERE id = $1 RETURNING *`,
      [id, patch.name, patch.contact, patch.phone, patch.email, patch.state],
    ),
  );
}

/**
 * Moves an agent and its subtree under `parent` (null: to the top level): every path in the subtree
 * gets the new prefix, one statement.
 */
export async function moveSubtree(q: Queryable, agent: AgentRow, parent: AgentRow | null): Promise<void> {
  const prefix = (parent?.path ?? []).map(String);
  await q.query(
    `UPDATE agent SET path = $2::bigint[] || path[$3:], depth = cardinality($2::bigint[]) + cardinality(path) - $3 + 1,
       parent_id = CASE WHEN id = $1 THEN $4 ELSE parent_id END, updated_at = now()
     WHERE path @> ARRAY[$1::bigint]`,
    [agent.id, prefix, agent.depth, parent?.id ?? null],
  );
}

export async function findAgentRate(q: Queryable, agentId: bigint, productId: bigint) {
  const rows = await q.query<AgentRateRow>(
    'SELECT * FROM agent_product_rate WHERE agent_id = $1 AND product_id = $2',
    [agentId, productId],
  );
  return rows[0] ?? null;
}

export function listAgentRates(q: Queryable, agentId: bigint) {
  return q.query<AgentRateRow>('SELECT * FROM agent_product_rate WHERE agent_id = $1 ORDER BY product_id', [
    agentId,
  ]);
}

export async function upsertAgentRate(q: Queryable, agentId: bigint, productId: bigint, terms: FeeTerms) {
  await q.query(
    `INSERT INTO agent_product_rate (agent_id, product_id, rate_ppm, fixed_fee, minimum_fee)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (agent_id, product_id) DO UPDATE SET rate_ppm = EXCLUDED.rate_ppm,
       fixed_fee = EXCLUDED.fixed_fee, minimum_fee = EXCLUDED.minimum_fee, updated_at = now()`,
    [agentId, productId, terms.ratePpm, terms.fixed, terms.minimum],
  );
}

/**
 * Each part of some agents' rates for a product at its lowest, with the agent number of one of
 * them (for the message): the children of `parentId`, or the top-level agents when it is null.
 */
export async function lowestRateBelow(
  q: Queryable,
  parentId: bigint | null,
  productId: bigint,
): Promise<FeeTerms | null> {
  const rows = await q.query<{ rate_ppm: number | null; fixed: bigint | null; minimum: bigint | null }>(
    `SELECT min(r.rate_ppm) AS rate_ppm, min(r.fixed_fee) AS fixed, min(r.minimum_fee) AS minimum
     FROM agent_product_rate r JOIN agent a ON a.id = r.agent_id
     WHERE r.product_id = $2 AND ($1::bigint IS NULL AND a.parent_id IS NULL OR a.parent_id = $1)`,
    [parentId, productId],
  );
  const row = rows[0];
  if (!row || row.rate_ppm === null) return null;
  return { ratePpm: row.rate_ppm, fixed: row.fixed ?? 0n, minimum: row.minimum ?? 0n };
}

/** Undoes the opening of an agent whose first login could not be made (nothing refers to it yet). */
export async function deleteUnusedAgent(q: Queryable, id: bigint): Promise<void> {
  await q.query('DELETE FROM agent WHERE id = $1', [id]);
}

/**
 * Locks agent rows in id order: a rate save locks its chain, a channel cost the top-level agents,
 * so two saves that compare with each other run one after the other.
 */
export async function lockAgents(q: Queryable, ids: bigint[]): Promise<void> {
  if (ids.length === 0) return;
  await q.query('SELECT id FROM agent WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [
    ids.map(String),
  ]);
}

export async function lockTopLevelAgents(q: Queryable): Promise<void> {
  await q.query('SELECT id FROM agent WHERE parent_id IS NULL ORDER BY id FOR UPDATE');
}

/**
 * The agents above a direct agent, top first, with each one's terms for a product (null where an
 * agent has none): the chain an order of one of its merchants splits its fee along.
 */
export function chainTerms(q: Queryable, directAgentId: bigint, productId: bigint) {
  return q.query<{
    id: bigint;
    rate_ppm: number | null;
    fixed_fee: bigint | null;
    minimum_fee: bigint | null;
  }>(
    `SELECT a.id, r.rate_ppm, r.fixed_fee, r.minimum_fee
     FROM agent d JOIN agent a ON a.id = ANY(d.path)
     LEFT JOIN agent_product_rate r ON r.agent_id = a.id AND r.product_id = $2
     WHERE d.id = $1 ORDER BY a.depth`,
    [directAgentId, productId],
  );
}
