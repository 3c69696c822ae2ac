import { randomInt } from 'node:crypto';
import type { ConsoleUserService } from '../auth/console-users.ts';
import { TtlCache } from '../cache.ts';
import type { ProductRow } from '../catalog/queries.ts';
import type { AgentRateRule, CatalogService } from '../catalog/service.ts';
import { type ConfigBus, forgetOn } from '../config-bus.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError, isUniqueViolation } from '../errors.ts';
import { describeComponent, exceedingComponent, type FeeComponent, type FeeTerms } from '../fees/fee.ts';
import { type MerchantService, merchantView } from '../merchants/service.ts';
import { isCurrency } from '../money/money.ts';
import type { AgentRow, AgentState } from './queries.ts';
import * as queries from './queries.ts';

/** The platform setting that bounds how deep the agent tree goes (1 = top-level agents only). */
export const MAX_DEPTH_SETTING = 'agents.maxDepth';
export const DEFAULT_MAX_DEPTH = 3;

const MAX_NUMBER_ATTEMPTS = 5;
/** As the catalog's: a save or move on another node reaches new orders here within this. */
const CHAIN_CACHE_TTL_MS = 2_000;

/** One agent of an order's chain with its terms for the order's product. */
export interface ChainLevel {
  agentId: bigint;
  terms: FeeTerms;
}

export function parseMaxDepth(value: string | null): number {
  const n = value === null ? Number.NaN : Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 10 ? n : DEFAULT_MAX_DEPTH;
}

/**
 * Which agents a caller may see and change: an operator every one (`rootId` null), an agent its own
 * subtree. `self: false` leaves the agent itself out (an agent does not set its own rate).
 */
export interface AgentScope {
  rootId: bigint | null;
  self?: boolean;
}
export const EVERY_AGENT: AgentScope = { rootId: null };

export interface AgentInput {
  name: string;
  contact?: string;
  phone?: string;
  email?: string;
}

export interface AgentTermsInput {
  ratePpm: number;
  fixedFee?: bigint;
  minimumFee?: bigint;
}

export interface AgentView {
  agentNo: string;
  name: string;
  contact: string;
  phone: string;
  email: string;
  parentNo: string | null;
  depth: number;
  state: AgentState;
  createdAt: string;
  updatedAt: string;
}

/** The bus topic of the agent tree and agents' rates. */
export const AGENTS_TOPIC = 'agents';

/**
 * Agents (代理商, AG-1, AG-2): the tree, its rates per product, the merchants under each agent, and
 * the agent part of the rate rule (channel cost ≤ top agent ≤ … ≤ direct agent ≤ merchant, part by
 * part), which the catalog calls through `AgentRateRule` when it saves a merchant's rate or a cost.
 *
 * A move (a merchant or an agent to another parent) changes the chain of orders created after it:
 * an order takes its chain (`chainFor`) when it is created and keeps it.
 */
export class AgentService implements AgentRateRule {
  /** Chains by merchant and product, read on every order of an agent's merchant. */
  private readonly chains = new TtlCache<ChainLevel[]>(CHAIN_CACHE_TTL_MS);
  private bus: ConfigBus | null = null;

  constructor(
    private readonly db: Db,
    private readonly catalog: CatalogService,
    private readonly merchants: MerchantService,
    private readonly consoleUsers: ConsoleUserService,
    private readonly options: { maxDepth: () => Promise<number> },
  ) {}

  /** Every process forgets its cached chains when another changes the tree or a rate (`agents` on the bus). */
  attachConfigBus(bus: ConfigBus): void {
    this.bus = bus;
    forgetOn(bus, AGENTS_TOPIC, () => this.chains.clear());
  }

  /** After a committed write: this process forgets at once, the others when the bus tells them. */
  private chainsChanged(): void {
    this.chains.clear();
    void this.bus?.publish(AGENTS_TOPIC);
  }

  maxDepth(): Promise<number> {
    return this.options.maxDepth();
  }

  /** Agents by id, for lists that show whose each row is. */
  async byIds(ids: bigint[]): Promise<Map<bigint, AgentRow>> {
    if (ids.length === 0) return new Map();
    return new Map((await queries.findAgentsByIds(this.db, ids)).map((a) => [a.id, a]));
  }

  /**
   * The agent chain of a merchant's orders of a product, top agent first: empty for the platform's
   * own merchants. A level without a rate sells nothing below it (PRODUCT_NOT_AVAILABLE), as the
   * rate rule says when rates are saved. Cached briefly; this node's saves and moves clear it.
   */
  chainFor(merchantId: bigint, product: { id: bigint; code: string }): Promise<ChainLevel[]> {
    return this.chains.get(`${merchantId}:${product.id}`, async () => {
      const merchant = await this.merchants.findMerchantById(merchantId);
      if (!merchant?.agent_id) return [];
      const rows = await queries.chainTerms(this.db, merchant.agent_id, product.id);
      return rows.map((row) => {
        if (row.rate_ppm === null) {
          throw new AppError(
            'PRODUCT_NOT_AVAILABLE',
            `an agent above this merchant has no rate for ${product.code}`,
            { productCode: product.code },
          );
        }
        return {
          agentId: row.id,
          terms: { ratePpm: row.rate_ppm, fixed: row.fixed_fee ?? 0n, minimum: row.minimum_fee ?? 0n },
        };
      });
    });
  }

  // ---------- the tree ----------

  /**
   * Opens an agent under `parentNo` (none: top level; an agent may only open under its own subtree),
   * and with `manager` its first console login (the password is changed at first login). The agent
   * and its login are opened together or not at all.
   */
  async createAgent(
    input: AgentInput & {
      parentNo?: string | null;
      manager?: { username: string; password: string; email?: string };
    },
    scope: AgentScope,
    createdBy: bigint,
  ): Promise<{ agent: AgentRow; managerUsername: string | null }> {
    if (scope.rootId !== null && !input.parentNo) {
      throw new AppError('FORBIDDEN', 'an agent opens sub-agents only under its own subtree');
    }
    const parent = input.parentNo ? await this.requireAgent(input.parentNo, scope) : null;
    const maxDepth = await this.maxDepth();
    if ((parent?.depth ?? 0) + 1 > maxDepth) {
      throw new AppError('INVALID_REQUEST', `agents go at most ${maxDepth} levels deep`, {
        reason: 'agent_depth',
        maxDepth,
      });
    }
    const agent = await this.insertWithNumber(input, parent);
    if (!input.manager) return { agent, managerUsername: null };
    try {
      const user = await this.consoleUsers.createUser({
        area: 'agent',
        username: input.manager.username,
        password: input.manager.password,
        email: input.manager.email,
        agentId: agent.id,
        mustChangePassword: true,
        createdBy,
      });
      return { agent, managerUsername: user.username };
    } catch (error) {
      await queries.deleteUnusedAgent(this.db, agent.id);
      throw error;
    }
  }

  private async insertWithNumber(input: AgentInput, parent: AgentRow | null): Promise<AgentRow> {
    for (let attempt = 0; attempt < MAX_NUMBER_ATTEMPTS; attempt++) {
      try {
        return await this.db.tx((q) =>
          queries.insertAgent(q, {
            agentNo: `A${randomInt(1e8, 1e9 - 1)}`,
            name: input.name,
            contact: input.contact ?? '',
            phone: input.phone ?? '',
            email: input.email ?? '',
            parent,
          }),
        );
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    throw new Error('could not allocate an agent number');
  }

  /** An agent inside the scope; outside it, the same 404 as an agent that does not exist. */
  async requireAgent(agentNo: string, scope: AgentScope, q: Queryable = this.db, forUpdate = false) {
    const agent = await queries.findAgentByNo(q, agentNo, forUpdate);
    if (!agent || !inScope(agent, scope)) throw new AppError('NOT_FOUND', `agent ${agentNo} not found`);
    return agent;
  }

  async findAgentById(id: bigint): Promise<AgentRow | null> {
    return queries.findAgentById(this.db, id);
  }

  /** An agent by its number, anywhere in the tree (operators' filters); null when none. */
  findAgentByNo(agentNo: string): Promise<AgentRow | null> {
    return queries.findAgentByNo(this.db, agentNo, false);
  }

  /** The agents of the scope, by path; `withoutRoot` leaves the subtree's own root out (its sub-agents only). */
  async listAgents(
    scope: AgentScope,
    f: { search?: string; withoutRoot?: boolean; limit: number; offset: number },
  ) {
    const rows = await queries.listAgents(this.db, { rootId: scope.rootId, ...f });
    return { total: Number(rows[0]?.total ?? 0n), items: await this.views(rows) };
  }

  async updateAgent(agentNo: string, patch: Partial<AgentInput> & { state?: AgentState }, scope: AgentScope) {
    const agent = await this.requireAgent(agentNo, scope);
    return (await queries.updateAgent(this.db, agent.id, patch))!;
  }

  /** Agent rows as the consoles show them, each with its parent's number. */
  async views(rows: AgentRow[]): Promise<AgentView[]> {
    const parentIds = [...new Set(rows.flatMap((r) => (r.parent_id === null ? [] : [r.parent_id])))];
    const parents = new Map(
      (await queries.findAgentsByIds(this.db, parentIds)).map((p) => [p.id, p.agent_no]),
    );
    return rows.map((r) => agentView(r, r.parent_id === null ? null : (parents.get(r.parent_id) ?? null)));
  }

  async view(row: AgentRow): Promise<AgentView> {
    return (await this.views([row]))[0]!;
  }

  /**
   * Moves an agent and its subtree under another agent (null: to the top level). Refused when the
   * new parent is the agent or inside its subtree (a cycle), when the subtree would go deeper than
   * `agents.maxDepth`, or when one of the agent's rates would be below the new parent's (or, at the
   * top level, below a bound channel cost). Orders created afterwards take the new chain.
   */
  async moveAgent(agentNo: string, parentNo: string | null): Promise<AgentRow> {
    const maxDepth = await this.maxDepth();
    return this.db
      .tx(async (q) => {
        const agent = await this.requireAgent(agentNo, EVERY_AGENT, q);
        const parent = parentNo === null ? null : await this.requireAgent(parentNo, EVERY_AGENT, q);
        if (parent?.path.includes(agent.id)) {
          throw new AppError('INVALID_REQUEST', `agent ${parentNo} is ${agentNo} or one of its sub-agents`, {
            reason: 'agent_cycle',
          });
        }
        await queries.lockAgents(q, [...agent.path, ...(parent?.path ?? [])]);
        const deepest = await queries.deepestInSubtree(q, agent.id);
        if ((parent?.depth ?? 0) + 1 + (deepest - agent.depth) > maxDepth) {
          throw new AppError('INVALID_REQUEST', `agents go at most ${maxDepth} levels deep`, {
            reason: 'agent_depth',
            maxDepth,
          });
        }
        for (const rate of await queries.listAgentRates(q, agent.id)) {
          const product = (await this.catalog.productById(rate.product_id, q))!;
          const above = await this.termsAbove(q, parent, product);
          const component = above && exceedingComponent(above, queries.agentTermsOf(rate));
          if (above && component) {
            throw chainViolation('agent', component, product, above, queries.agentTermsOf(rate), {
              agentNo: agent.agent_no,
            });
          }
        }
        await queries.moveSubtree(q, agent, parent);
        return (await queries.findAgentById(q, agent.id))!;
      })
      .finally(() => this.chainsChanged());
  }

  // ---------- merchants under agents ----------

  /**
   * Opens a merchant under an agent (报件): pending review, as merchants opened by agents are (AG-5),
   * with the agent as its direct agent.
   */
  async createMerchant(agent: AgentRow, input: { name: string; shortName?: string; contact?: string }) {
    const merchant = await this.merchants.createMerchant({ ...input, review: true });
    return this.merchants.setAgent(merchant.id, agent.id);
  }

  /** Merchants whose direct agent is in the scope's subtree. */
  async listMerchants(scope: AgentScope, page: { limit: number; offset: number }) {
    if (scope.rootId === null) throw new Error('listMerchants needs an agent');
    const ids = await queries.subtreeIds(this.db, scope.rootId);
    return this.merchants.listMerchantsOfAgents(ids, page);
  }

  /** The ids of every merchant whose direct agent is in the agent's subtree. */
  async merchantIdsOfSubtree(agent: AgentRow): Promise<bigint[]> {
    return this.merchants.merchantIdsOfAgents(await queries.subtreeIds(this.db, agent.id));
  }

  /** A merchant under the scope's subtree; any other merchant is the 404 of one that does not exist. */
  async requireMerchant(mchNo: string, scope: AgentScope) {
    const merchant = await this.merchants.findMerchantByNo(mchNo);
    const agent = merchant?.agent_id != null ? await queries.findAgentById(this.db, merchant.agent_id) : null;
    if (!merchant || !agent || !inScope(agent, { rootId: scope.rootId })) {
      throw new AppError('NOT_FOUND', `merchant ${mchNo} not found`);
    }
    return { merchant, agent };
  }

  /**
   * Puts a merchant under another direct agent (null: none). Each of the merchant's rates must be
   * at or above the new agent's for that product, part by part. Orders created afterwards take the
   * new chain (each order keeps the chain it was created with).
   */
  async moveMerchant(mchNo: string, agentNo: string | null) {
    const merchant = await this.merchants.requireMerchant(mchNo);
    return this.db
      .tx(async (q) => {
        const agent = agentNo === null ? null : await this.requireAgent(agentNo, EVERY_AGENT, q);
        if (agent) {
          await queries.lockAgents(q, agent.path);
          for (const [productId, terms] of await this.catalog.merchantTermsByProduct(merchant.id, q)) {
            const product = (await this.catalog.productById(productId, q))!;
            const own = await this.agentTerms(q, agent, product);
            const component = exceedingComponent(own, terms);
            if (component) {
              throw chainViolation('merchant', component, product, own, terms, { agentNo: agent.agent_no });
            }
          }
        }
        return this.merchants.setAgent(merchant.id, agent?.id ?? null, q);
      })
      .finally(() => this.chainsChanged());
  }

  /** The merchants of an agent's subtree as the consoles list them, each with its direct agent's number. */
  async merchantsOfSubtree(agent: AgentRow, page: { limit: number; offset: number }) {
    const { total, rows } = await this.listMerchants({ rootId: agent.id }, page);
    const agentNos = new Map(
      (await queries.findAgentsByIds(this.db, [...new Set(rows.map((r) => r.agent_id!))])).map((a) => [
        a.id,
        a.agent_no,
      ]),
    );
    return {
      total,
      items: rows.map((r) => ({ ...merchantView(r), agentNo: agentNos.get(r.agent_id!) ?? null })),
    };
  }

  // ---------- rates ----------

  async listRates(agent: AgentRow) {
    const products = new Map((await this.catalog.listProducts()).map((p) => [p.id, p]));
    return (await queries.listAgentRates(this.db, agent.id)).map((r) => ({
      productCode: products.get(r.product_id)?.code ?? '',
      productName: products.get(r.product_id)?.name ?? '',
      currency: products.get(r.product_id)?.currency ?? 'CNY',
      ratePpm: r.rate_ppm,
      fixedFee: r.fixed_fee,
      minimumFee: r.minimum_fee,
      updatedAt: r.updated_at.toISOString(),
    }));
  }

  /**
   * Sets an agent's terms for a product. Each part must be at or above the parent's (a top-level
   * agent: every bound channel account's cost) and at or below every sub-agent's and every direct
   * merchant's. The chain's rows are locked first, so saves that compare with each other queue.
   */
  async setRate(agentNo: string, productCode: string, input: AgentTermsInput, scope: AgentScope) {
    const product = await this.catalog.requireProduct(productCode);
    const terms: FeeTerms = {
      ratePpm: input.ratePpm,
      fixed: input.fixedFee ?? 0n,
      minimum: input.minimumFee ?? 0n,
    };
    await this.db.tx(async (q) => {
      const agent = await this.requireAgent(agentNo, scope, q);
      if (scope.self === false && agent.id === scope.rootId) {
        throw new AppError('FORBIDDEN', 'an agent’s own rate is set by the level above');
      }
      await queries.lockAgents(q, agent.path);
      const parent = agent.parent_id === null ? null : await queries.findAgentById(q, agent.parent_id);
      const above = await this.termsAbove(q, parent, product);
      const tooLow = above && exceedingComponent(above, terms);
      if (above && tooLow) {
        throw chainViolation('agent', tooLow, product, above, terms, { agentNo: agent.agent_no });
      }
      const subAgents = await queries.lowestRateBelow(q, agent.id, product.id);
      const merchantIds = await this.merchants.merchantIdsOfAgent(agent.id, q);
      const merchants = await this.catalog.lowestMerchantTermsAmong(product.id, merchantIds, q);
      for (const below of [subAgents, merchants]) {
        const tooHigh = below && exceedingComponent(terms, below);
        if (below && tooHigh) {
          throw chainViolation('agent', tooHigh, product, terms, below, { agentNo: agent.agent_no });
        }
      }
      await queries.upsertAgentRate(q, agent.id, product.id, terms);
    });
    this.chainsChanged();
    return { productCode, ratePpm: terms.ratePpm, fixedFee: terms.fixed, minimumFee: terms.minimum };
  }

  /** What an agent's terms for a product may not go below: its parent's, or at the top the bound costs. */
  private async termsAbove(q: Queryable, parent: AgentRow | null, product: ProductRow) {
    // A binding allowed at a loss may cost more than the top agents' rates: it does not bound them.
    return parent ? this.agentTerms(q, parent, product) : this.catalog.highestBoundCost(product.id, q, true);
  }

  /** An agent's terms for a product; an agent without one does not sell it, so nothing below may. */
  private async agentTerms(q: Queryable, agent: AgentRow, product: ProductRow): Promise<FeeTerms> {
    const rate = await queries.findAgentRate(q, agent.id, product.id);
    if (!rate) {
      throw new AppError(
        'PRODUCT_NOT_AVAILABLE',
        `agent ${agent.agent_no} has no rate for ${product.code}: set its rate first`,
        { agentNo: agent.agent_no, productCode: product.code },
      );
    }
    return queries.agentTermsOf(rate);
  }

  // ---------- the catalog's hook (AgentRateRule) ----------

  /** A merchant's rate may not go below its direct agent's (which must have one for the product). */
  async checkMerchantRate(q: Queryable, merchantId: bigint, product: ProductRow, terms: FeeTerms) {
    const merchant = await this.merchants.findMerchantById(merchantId, q);
    if (!merchant?.agent_id) return;
    await this.checkTermsUnderAgent(q, merchant.agent_id, product, terms);
  }

  /** A merchant's terms under this direct agent (the merchant may not be opened yet). */
  async checkTermsUnderAgent(q: Queryable, agentId: bigint, product: ProductRow, terms: FeeTerms) {
    const agent = (await queries.findAgentById(q, agentId))!;
    await queries.lockAgents(q, agent.path);
    const own = await this.agentTerms(q, agent, product);
    const component = exceedingComponent(own, terms);
    if (component)
      throw chainViolation('merchant', component, product, own, terms, { agentNo: agent.agent_no });
  }

  /** A channel account's cost may not exceed any top-level agent's rate for the product. */
  async checkChannelCost(q: Queryable, product: ProductRow, cost: FeeTerms, channelAccountId: bigint) {
    await queries.lockTopLevelAgents(q);
    const lowest = await queries.lowestRateBelow(q, null, product.id);
    const component = lowest && exceedingComponent(cost, lowest);
    if (lowest && component) {
      throw chainViolation('channel', component, product, cost, lowest, {
        channelAccountId: channelAccountId.toString(),
      });
    }
  }
}

function inScope(agent: AgentRow, scope: AgentScope): boolean {
  return scope.rootId === null || agent.path.includes(scope.rootId);
}

export function agentView(row: AgentRow, parentNo: string | null): AgentView {
  return {
    agentNo: row.agent_no,
    name: row.name,
    contact: row.contact,
    phone: row.phone,
    email: row.email,
    parentNo,
    depth: row.depth,
    state: row.state,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * The rate rule broken along the agent chain: `lower` (the level above: a cost or an agent) has a
 * part above the same part of `upper` (the level below). `level` is what was being set. The
 * details follow catalog's rateRuleViolation, with the two sides as lower and upper.
 */
function chainViolation(
  level: 'agent' | 'merchant' | 'channel',
  component: FeeComponent,
  product: ProductRow,
  lower: FeeTerms,
  upper: FeeTerms,
  who: { agentNo?: string; channelAccountId?: string },
): AppError {
  const value = (terms: FeeTerms) => (component === 'ratePpm' ? terms.ratePpm : Number(terms[component]));
  const currency = isCurrency(product.currency) ? product.currency : 'CNY';
  // In the consoles' units, as the catalog's own rate-rule messages say it (a rate in %, money in yuan).
  const words = (terms: FeeTerms) => describeComponent(component, terms, currency);
  return new AppError(
    'RATE_RULE_VIOLATION',
    `${words(upper)} on the level below is under ${words(lower)} on the level above for ${product.code} (channel cost ≤ agent ≤ sub-agent ≤ merchant)`,
    {
      reason: 'agent_chain',
      level,
      ...who,
      productCode: product.code,
      component,
      currency,
      lower: value(lower),
      upper: value(upper),
    },
  );
}
