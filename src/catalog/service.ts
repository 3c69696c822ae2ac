import type { SecretBox, SecretPlace } from '../auth/secret-box.ts';
import { TtlCache } from '../cache.ts';
import { getAdapter } from '../channels/registry.ts';
import type { ChannelAdapter, PayWay } from '../channels/types.ts';
import { type ConfigBus, forgetOn } from '../config-bus.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError, isUniqueViolation } from '../errors.ts';
import { describeComponent, exceedingComponent, type FeeComponent, type FeeTerms } from '../fees/fee.ts';
import { type Currency, isCurrency } from '../money/money.ts';
import type { RouteCandidate } from '../routing/route.ts';
import type { BindingRow, FeeRefundMode, MerchantRateRow, ProductRow } from './queries.ts';
import * as queries from './queries.ts';

/** Configuration read on every order is cached this long; edits on this node clear it at once. */
const CACHE_TTL_MS = 2_000;
/** A product's default order timeout: 1 minute to 24 hours (migration 037). */
export const MIN_ORDER_TIMEOUT_SECONDS = 60;
export const MAX_ORDER_TIMEOUT_SECONDS = 86_400;
/** The bus topic of products, merchants' rates, channels, accounts and bindings. */
export const CATALOG_TOPIC = 'catalog';

export interface ChannelAccountRuntime {
  id: bigint;
  name: string;
  adapterCode: string;
  credentials: Record<string, unknown>;
  config: Record<string, unknown>;
  enabled: boolean;
}

export interface RoutableBinding extends RouteCandidate {
  adapterCode: string;
  costRatePpm: number;
  /** The account's whole cost for the product: rate, fixed part and minimum. */
  cost: FeeTerms;
  /** The account is a test account: an order it takes is a test order. */
  testAccount: boolean;
  /** An operator allowed it to cost more than the top agent's rate: routing keeps it, the platform bears the loss. */
  allowedAtLoss: boolean;
}

export interface CatalogOptions {
  /**
   * Production (PostgreSQL): a product is bound to a test account only when the operator says so
   * explicitly. The embedded demo binds its sandbox accounts freely.
   */
  testAccountsNeedConsent: boolean;
}

/** A merchant's terms for a product as an operator sets them; a part left out is the product's default. */
export interface MerchantTermsInput {
  ratePpm?: number;
  fixedFee?: bigint;
  minimumFee?: bigint;
}

/** A channel account's cost for a product; the fixed part and minimum default to none. */
export interface CostRateInput {
  productCode: string;
  costRatePpm: number;
  fixedCost?: bigint;
  minimumCost?: bigint;
}

/** A merchant's rate row as fee terms. */
export const merchantTermsOf = (row: MerchantRateRow): FeeTerms => ({
  ratePpm: row.rate_ppm,
  fixed: row.fixed_fee,
  minimum: row.minimum_fee,
});

/**
 * The agent part of the rate rule (channel cost ≤ top agent ≤ … ≤ direct agent ≤ merchant), which
 * the agents domain owns. The agents domain depends on the catalog (bound costs, merchants' rates),
 * so the catalog does not import it: services.ts attaches it here, and the catalog calls it inside
 * its own transactions, before it saves a merchant's rate or a channel cost. Each throws
 * RATE_RULE_VIOLATION (`agent_chain`).
 */
export interface AgentRateRule {
  checkMerchantRate(q: Queryable, merchantId: bigint, product: ProductRow, terms: FeeTerms): Promise<void>;
  /** The same check for a merchant not opened yet, to go under `agentId`. */
  checkTermsUnderAgent(q: Queryable, agentId: bigint, product: ProductRow, terms: FeeTerms): Promise<void>;
  checkChannelCost(
    q: Queryable,
    product: ProductRow,
    cost: FeeTerms,
    channelAccountId: bigint,
  ): Promise<void>;
}

/** A binding as an operator edits it: the routing fields, for one product and channel account. */
export type BindingInput = Omit<RouteCandidate, 'channelAccountId'>;

/** Where a channel account's credentials are sealed: they open only in their own row. */
function credentialsPlace(id: bigint): SecretPlace {
  return { table: 'channel_account', id, column: 'credentials_enc' };
}

/** Products, channels, channel accounts, rates and the product → channel-account bindings. */
export class CatalogService {
  private readonly products = new TtlCache<ProductRow | null>(CACHE_TTL_MS);
  private readonly merchantRates = new TtlCache<MerchantRateRow | null>(CACHE_TTL_MS);
  private readonly bindings = new TtlCache<RoutableBinding[]>(CACHE_TTL_MS);
  /** Every merchant's own bindings, by `merchantId:productId` (few: read whole). */
  private readonly merchantBindingsCache = new TtlCache<Map<string, RoutableBinding[]>>(CACHE_TTL_MS);
  private readonly accounts = new TtlCache<ChannelAccountRuntime | null>(CACHE_TTL_MS);
  private readonly testOnly = new TtlCache<boolean>(CACHE_TTL_MS);
  private agentRule: AgentRateRule | null = null;
  private bus: ConfigBus | null = null;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly options: CatalogOptions = { testAccountsNeedConsent: false },
  ) {}

  /** The agents domain's part of the rate rule (services.ts); without it only merchants and costs are compared. */
  attachAgentRule(rule: AgentRateRule): void {
    this.agentRule = rule;
  }

  // ---------- products ----------

  async createProduct(input: {
    code: string;
    name: string;
    currency: string;
    minAmount: bigint;
    maxAmount: bigint;
    defaultRatePpm: number;
    defaultFixedFee?: bigint;
    defaultMinimumFee?: bigint;
    payWay?: PayWay;
  }): Promise<ProductRow> {
    if (!isCurrency(input.currency))
      throw new AppError('INVALID_REQUEST', `unsupported currency ${input.currency}`, { field: 'currency' });
    if (input.maxAmount < input.minAmount)
      throw new AppError('INVALID_REQUEST', 'maxAmount is below minAmount', { field: 'maxAmount' });
    try {
      return await queries.insertProduct(this.db, {
        ...input,
        defaultFixedFee: input.defaultFixedFee ?? 0n,
        defaultMinimumFee: input.defaultMinimumFee ?? 0n,
        payWay: input.payWay ?? 'ALI_QR',
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new AppError('ALREADY_EXISTS', `product ${input.code} already exists`, {
          kind: 'product',
          name: input.code,
        });
      throw error;
    }
  }

  async updateProduct(
    code: string,
    patch: {
      name?: string;
      minAmount?: bigint;
      maxAmount?: bigint;
      defaultRatePpm?: number;
      defaultFixedFee?: bigint;
      defaultMinimumFee?: bigint;
      enabled?: boolean;
      feeRefundMode?: FeeRefundMode;
      payWay?: PayWay;
      /** The product's default order timeout in seconds; null: the platform's. */
      expireSeconds?: number | null;
    },
  ): Promise<ProductRow> {
    const product = await this.requireProduct(code);
    const expire = patch.expireSeconds;
    if (
      expire !== undefined &&
      expire !== null &&
      (!Number.isInteger(expire) || expire < MIN_ORDER_TIMEOUT_SECONDS || expire > MAX_ORDER_TIMEOUT_SECONDS)
    ) {
      throw new AppError(
        'INVALID_REQUEST',
        `expireSeconds: ${MIN_ORDER_TIMEOUT_SECONDS}–${MAX_ORDER_TIMEOUT_SECONDS} seconds`,
        {
          field: 'expireSeconds',
          reason: 'out_of_range',
          min: MIN_ORDER_TIMEOUT_SECONDS,
          max: MAX_ORDER_TIMEOUT_SECONDS,
        },
      );
    }
    const min = patch.minAmount ?? product.min_amount;
    const max = patch.maxAmount ?? product.max_amount;
    if (max < min)
      throw new AppError('INVALID_REQUEST', 'maxAmount is below minAmount', { field: 'maxAmount' });
    const updated = (await queries.updateProduct(this.db, product.id, patch))!;
    this.changed();
    return updated;
  }

  listProducts() {
    return queries.listProducts(this.db);
  }

  productByCode(code: string): Promise<ProductRow | null> {
    return this.products.get(code, () => queries.findProductByCode(this.db, code));
  }

  async requireProduct(code: string): Promise<ProductRow> {
    const product = await queries.findProductByCode(this.db, code);
    if (!product) throw new AppError('PRODUCT_NOT_FOUND', `product ${code} not found`);
    return product;
  }

  // ---------- merchant rates ----------

  /**
   * Sells a product to a merchant on terms (a rate alone, or rate, fixed fee and minimum; each part
   * left out is the product's default). No part may go below the same part of a bound channel's cost.
   */
  async setMerchantRate(
    merchantId: bigint,
    productCode: string,
    input: number | MerchantTermsInput | undefined,
    enabled = true,
  ) {
    const product = await this.requireProduct(productCode);
    const terms = termsWithDefaults(product, input);
    await this.db.tx(async (q) => {
      const highestCost = await queries.highestBoundCost(q, product.id);
      const component = highestCost && exceedingComponent(highestCost, terms);
      if (highestCost && component) {
        throw rateRuleViolation(component, product, terms, highestCost, 'merchant');
      }
      // The merchant's own bindings cost within its rate too.
      const ownCost = await queries.highestMerchantBoundCost(q, merchantId, product.id);
      const ownComponent = ownCost && exceedingComponent(ownCost, terms);
      if (ownCost && ownComponent) throw rateRuleViolation(ownComponent, product, terms, ownCost, 'merchant');
      await this.agentRule?.checkMerchantRate(q, merchantId, product, terms);
      await queries.upsertMerchantRate(q, merchantId, product.id, terms, enabled);
    });
    this.changed();
    return { productCode, ratePpm: terms.ratePpm, fixedFee: terms.fixed, minimumFee: terms.minimum, enabled };
  }

  /**
   * The rate rule for a merchant that is not opened yet and will go under `agentId` (none: the
   * platform's own): onboarding checks every rate before approval opens anything. Answers the terms
   * with the product's defaults filled in.
   */
  async checkNewMerchantTerms(
    productCode: string,
    input: MerchantTermsInput,
    agentId: bigint | null,
  ): Promise<FeeTerms> {
    const product = await this.requireProduct(productCode);
    const terms = termsWithDefaults(product, input);
    await this.db.tx(async (q) => {
      const highestCost = await queries.highestBoundCost(q, product.id);
      const component = highestCost && exceedingComponent(highestCost, terms);
      if (highestCost && component) {
        throw rateRuleViolation(component, product, terms, highestCost, 'merchant');
      }
      if (agentId !== null) await this.agentRule?.checkTermsUnderAgent(q, agentId, product, terms);
    });
    return terms;
  }

  /** Each part of the bound channel accounts' costs for a product at its highest (null: none bound). */
  highestBoundCost(
    productId: bigint,
    q: Queryable = this.db,
    exceptAllowedAtLoss = false,
  ): Promise<FeeTerms | null> {
    return queries.highestBoundCost(q, productId, exceptAllowedAtLoss);
  }

  /** Each part of these merchants' rates for a product at its lowest (null: none has one). */
  lowestMerchantTermsAmong(productId: bigint, merchantIds: bigint[], q: Queryable = this.db) {
    return queries.lowestMerchantTermsAmong(q, productId, merchantIds);
  }

  /** A merchant's terms per product id. */
  async merchantTermsByProduct(merchantId: bigint, q: Queryable = this.db): Promise<Map<bigint, FeeTerms>> {
    const rows = await queries.merchantTermsByProduct(q, merchantId);
    return new Map(
      rows.map((r) => [r.product_id, { ratePpm: r.rate_ppm, fixed: r.fixed_fee, minimum: r.minimum_fee }]),
    );
  }

  async productById(id: bigint, q: Queryable = this.db): Promise<ProductRow | null> {
    return queries.findProductById(q, id);
  }

  merchantRate(merchantId: bigint, productId: bigint) {
    return this.merchantRates.get(`${merchantId}:${productId}`, () =>
      queries.findMerchantRate(this.db, merchantId, productId),
    );
  }

  listMerchantRates(merchantId: bigint) {
    return queries.listMerchantRates(this.db, merchantId);
  }

  // ---------- channels and channel accounts ----------

  async createChannel(input: { code: string; name: string; adapterCode: string }) {
    if (!getAdapter(input.adapterCode))
      throw new AppError('INVALID_REQUEST', `unknown adapter ${input.adapterCode}`, { field: 'adapterCode' });
    try {
      return await queries.insertChannel(this.db, input);
    } catch (error) {
      if (isUniqueViolation(error))
        throw new AppError('ALREADY_EXISTS', `channel ${input.code} already exists`, {
          kind: 'channel',
          name: input.code,
        });
      throw error;
    }
  }

  listChannels() {
    return queries.listChannels(this.db);
  }

  /**
   * Edits a channel (provider): its name, remarks, and whether it takes orders. A disabled channel's
   * accounts are not routed to, do not pay out and are refused by the gateway, whatever their own switch.
   */
  async updateChannel(code: string, patch: { name?: string; remarks?: string; enabled?: boolean }) {
    const channel = await queries.findChannelByCode(this.db, code);
    if (!channel) throw new AppError('NOT_FOUND', `channel ${code} not found`);
    const updated = await queries.updateChannel(this.db, channel.id, patch);
    this.changed();
    return updated!;
  }

  async createChannelAccount(input: {
    channelCode: string;
    name: string;
    credentials: Record<string, unknown>;
    config?: Record<string, unknown>;
    rates?: CostRateInput[];
  }) {
    const channel = await queries.findChannelByCode(this.db, input.channelCode);
    if (!channel) throw new AppError('NOT_FOUND', `channel ${input.channelCode} not found`);
    const adapter = getAdapter(channel.adapter_code)!;
    const credentials = parseWith(adapter.credentialsSchema, withoutBlanks(input.credentials), 'credentials');
    const config = parseWith(adapter.configSchema, input.config ?? {}, 'config');
    const rates: { product: ProductRow; cost: FeeTerms }[] = [];
    for (const rate of input.rates ?? []) {
      rates.push({ product: await this.requireProduct(rate.productCode), cost: costTermsOf(rate) });
    }
    // The account and its rates are saved together: a rate that breaks the rule saves nothing.
    const account = await this.db.tx(async (q) => {
      const id = await queries.nextChannelAccountId(q);
      const created = await queries.insertChannelAccount(q, {
        id,
        channelId: channel.id,
        name: input.name,
        credentialsEnc: this.secrets.encrypt(JSON.stringify(credentials), credentialsPlace(id)),
        config,
        testAccount: adapter.testChannel === true,
      });
      for (const { product, cost } of rates) await saveCostRate(q, created.id, product, cost);
      return created;
    });
    this.changed();
    return account;
  }

  async updateChannelAccount(
    id: bigint,
    patch: {
      name?: string;
      /** Replaces the stored credentials. */
      credentials?: Record<string, unknown>;
      /**
       * An edit of the stored credentials (the console's form): each key given replaces the stored
       * one, a blank secret or key keeps it, a blank other field removes it; the whole is validated.
       */
      credentialsPatch?: Record<string, unknown>;
      config?: Record<string, unknown>;
      enabled?: boolean;
      /** Lets the account pay out (代付); refused for an adapter that cannot. */
      payoutEnabled?: boolean;
    },
  ) {
    const account = await queries.findChannelAccount(this.db, id);
    if (!account) throw new AppError('NOT_FOUND', `channel account ${id} not found`);
    const adapter = getAdapter(account.adapter_code)!;
    if (patch.payoutEnabled === true && adapter.supportsPayout !== true) {
      throw new AppError('INVALID_REQUEST', `channel ${account.channel_code} cannot pay out`);
    }
    // A patch is merged into what is stored: a blank secret or key keeps the stored one (the
    // console never has it to send back), a blank other field removes it; the whole is validated.
    const given = patch.credentialsPatch
      ? mergeCredentials(adapter, this.storedCredentials(account), patch.credentialsPatch)
      : patch.credentials;
    const credentials = given ? parseWith(adapter.credentialsSchema, given, 'credentials') : undefined;
    const updated = await queries.updateChannelAccount(this.db, id, {
      name: patch.name,
      enabled: patch.enabled,
      payoutEnabled: patch.payoutEnabled,
      credentialsEnc: credentials
        ? this.secrets.encrypt(JSON.stringify(credentials), credentialsPlace(id))
        : undefined,
      config: patch.config ? parseWith(adapter.configSchema, patch.config, 'config') : undefined,
    });
    this.changed();
    return updated!;
  }

  async listChannelAccounts() {
    const rows = await queries.listChannelAccounts(this.db);
    return Promise.all(
      rows.map(async (a) => ({
        id: a.id,
        name: a.name,
        channelCode: a.channel_code,
        adapterCode: a.adapter_code,
        ...credentialsView(getAdapter(a.adapter_code), this.storedCredentials(a)),
        enabled: a.enabled,
        testAccount: a.test_account,
        payoutEnabled: a.payout_enabled,
        supportsPayout: getAdapter(a.adapter_code)?.supportsPayout === true,
        config: a.config,
        rates: (await queries.listChannelAccountRates(this.db, a.id)).map((r) => ({
          productCode: r.product_code,
          costRatePpm: r.cost_rate_ppm,
          fixedCost: r.fixed_cost,
          minimumCost: r.minimum_cost,
        })),
      })),
    );
  }

  /**
   * Every channel account is a test account (the embedded demo, where the sandbox is the only
   * channel): the consoles then show test data by default, or a newcomer's figures stay empty.
   */
  testDataOnly(): Promise<boolean> {
    return this.testOnly.get('', () => queries.onlyTestChannelAccounts(this.db));
  }

  /** A channel account's cost for a product; no part may exceed the same part of any merchant's rate for it. */
  async setChannelAccountRate(accountId: bigint, rate: CostRateInput) {
    const product = await this.requireProduct(rate.productCode);
    await this.db.tx(async (q) => {
      if (!(await queries.findChannelAccount(q, accountId))) {
        throw new AppError('NOT_FOUND', `channel account ${accountId} not found`);
      }
      const cost = costTermsOf(rate);
      // The agents' rates bound a cost once the account is bound (the binding checks it then).
      if (await queries.boundWithinAgents(q, product.id, accountId))
        await this.agentRule?.checkChannelCost(q, product, cost, accountId);
      await saveCostRate(q, accountId, product, cost);
    });
    this.changed();
  }

  /**
   * Accounts that may pay out: switched on by an operator, enabled with their channel, and of an
   * adapter that supportsPayout. In id order.
   */
  async payoutAccounts(): Promise<{ id: bigint; name: string; adapterCode: string; testAccount: boolean }[]> {
    return (await queries.payoutChannelAccounts(this.db))
      .filter((a) => getAdapter(a.adapter_code)?.supportsPayout === true)
      .map((a) => ({ id: a.id, name: a.name, adapterCode: a.adapter_code, testAccount: a.test_account }));
  }

  /** Every channel account's name, channel and switches, without credentials, in id order. */
  accountSummaries() {
    return queries.listAccountSummaries(this.db);
  }

  /** Channel account names by id (for lists). */
  async channelAccountNames(ids: bigint[]): Promise<Map<bigint, string>> {
    if (ids.length === 0) return new Map();
    return new Map((await queries.channelAccountNames(this.db, ids)).map((r) => [r.id, r.name]));
  }

  /** An account's stored credentials, opened; `{}` when they cannot be read (nothing to show or keep). */
  private storedCredentials(row: { id: bigint; credentials_enc: string }): Record<string, unknown> {
    try {
      const parsed: unknown = JSON.parse(this.secrets.decrypt(row.credentials_enc, credentialsPlace(row.id)));
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : {};
    } catch {
      return {};
    }
  }

  /** Decrypted credentials and settings of a channel account, for the channel gateway. */
  channelAccount(id: bigint): Promise<ChannelAccountRuntime | null> {
    return this.accounts.get(id.toString(), async () => {
      const row = await queries.findChannelAccount(this.db, id);
      if (!row) return null;
      return {
        id: row.id,
        name: row.name,
        adapterCode: row.adapter_code,
        credentials: JSON.parse(
          this.secrets.decrypt(row.credentials_enc, credentialsPlace(row.id)),
        ) as Record<string, unknown>,
        config: row.config,
        enabled: row.enabled && row.channel_enabled,
      };
    });
  }

  /**
   * Seals again, bound to their rows, channel credentials written before secrets were bound (v1).
   * Runs at every start after the migrations; finds nothing once done. Returns how many it resealed.
   */
  async resealUnboundCredentials(): Promise<number> {
    let resealed = 0;
    for (const row of await queries.channelAccountsWithUnboundCredentials(this.db)) {
      const place = credentialsPlace(row.id);
      const now = this.secrets.encrypt(this.secrets.openUnbound(row.credentials_enc, place), place);
      if (await queries.resealChannelAccountCredentials(this.db, row.id, row.credentials_enc, now))
        resealed++;
    }
    if (resealed > 0) this.changed();
    return resealed;
  }

  // ---------- bindings ----------

  /**
   * Binds a channel account to a product, or edits the binding. A test account (the sandbox) takes
   * orders nobody pays for real: in production it is bound only with `allowTestAccount`, which is
   * stored on the binding (and the request audited).
   */
  async upsertBinding(
    productCode: string,
    channelAccountId: bigint,
    input: BindingInput,
    consent: { allowTestAccount?: boolean; allowedAtLoss?: boolean } = {},
  ) {
    const product = await this.requireProduct(productCode);
    validateBinding(input);
    const binding = await this.db.tx(async (q) => {
      const account = await queries.findChannelAccount(q, channelAccountId);
      if (!account) throw new AppError('NOT_FOUND', `channel account ${channelAccountId} not found`);
      if (account.test_account && this.options.testAccountsNeedConsent && consent.allowTestAccount !== true) {
        throw new AppError(
          'TEST_ACCOUNT_BINDING',
          `channel account ${channelAccountId} is a test account: its orders are test orders, never settled; bind it only with allowTestAccount: true`,
        );
      }
      if (getAdapter(account.adapter_code)?.payWays.includes(product.pay_way) !== true) {
        throw new AppError(
          'INVALID_REQUEST',
          `channel account ${channelAccountId} (${account.adapter_code}) cannot take ${product.pay_way} orders`,
          { reason: 'pay_way_unsupported', payWay: product.pay_way, adapter: account.adapter_code },
        );
      }
      const cost = await queries.findChannelAccountRate(q, channelAccountId, product.id);
      if (cost === null) {
        throw new AppError(
          'RATE_RULE_VIOLATION',
          `channel account ${channelAccountId} has no cost rate for ${productCode}; set one first`,
          { reason: 'no_cost_rate', productCode, channelAccountId: channelAccountId.toString() },
        );
      }
      await assertCostWithinMerchantRates(q, product, cost);
      // Allowed at a loss: the cost may exceed the top agents' rates (never a merchant's).
      if (consent.allowedAtLoss !== true)
        await this.agentRule?.checkChannelCost(q, product, cost, channelAccountId);
      return queries.upsertBinding(q, {
        product_id: product.id,
        channel_account_id: channelAccountId,
        weight: input.weight,
        priority: input.priority,
        min_amount: input.minAmount,
        max_amount: input.maxAmount,
        daily_limit: input.dailyLimit,
        window_start: input.windowStart,
        window_end: input.windowEnd,
        enabled: input.enabled,
        test_account_allowed: account.test_account && consent.allowTestAccount === true,
        allowed_at_loss: consent.allowedAtLoss === true,
      });
    });
    this.changed();
    return binding;
  }

  async deleteBinding(productCode: string, channelAccountId: bigint) {
    const product = await this.requireProduct(productCode);
    if (!(await queries.deleteBinding(this.db, product.id, channelAccountId))) {
      throw new AppError('NOT_FOUND', 'binding not found');
    }
    this.changed();
  }

  async listBindings(productCode: string) {
    const product = await this.requireProduct(productCode);
    return queries.listBindingsForRouting(this.db, product.id);
  }

  /**
   * Bindings that may take orders: account and channel enabled, a cost rate set. For a merchant with
   * its own bindings of the product, those instead of the product's.
   */
  async routableBindings(productId: bigint, merchantId?: bigint): Promise<RoutableBinding[]> {
    if (merchantId !== undefined) {
      const own = (await this.allMerchantBindings()).get(`${merchantId}:${productId}`);
      if (own) return own;
    }
    return this.bindings.get(productId.toString(), async () =>
      routable(await queries.listBindingsForRouting(this.db, productId)),
    );
  }

  private allMerchantBindings(): Promise<Map<string, RoutableBinding[]>> {
    return this.merchantBindingsCache.get('', async () => {
      const byKey = new Map<string, typeof rows>();
      const rows = await queries.listMerchantBindingsForRouting(this.db);
      for (const row of rows) {
        const key = `${row.merchant_id}:${row.product_id}`;
        byKey.set(key, [...(byKey.get(key) ?? []), row]);
      }
      // A merchant whose own bindings are all unusable has none that routes: it does not fall back.
      return new Map([...byKey].map(([key, list]) => [key, routable(list)]));
    });
  }

  /** A merchant's own bindings, every product's (the merchant detail screen). */
  async merchantBindings(merchantId: bigint) {
    return queries.listMerchantBindingsForRouting(this.db, merchantId);
  }

  /**
   * Gives a merchant its own binding list for a product, which routing uses for that merchant
   * instead of the product's; an empty list removes it (the product's apply again). Each binding
   * is checked as a product's is (the account, its pay way and cost rate, test-account consent, the
   * agents' part of the rate rule), and the rate rule against this merchant's own rate.
   */
  async setMerchantBindings(
    merchantId: bigint,
    productCode: string,
    bindings: (BindingInput & {
      channelAccountId: bigint;
      allowTestAccount?: boolean;
      allowedAtLoss?: boolean;
    })[],
  ) {
    const product = await this.requireProduct(productCode);
    const seen = new Set<string>();
    for (const b of bindings) {
      validateBinding(b);
      if (seen.has(b.channelAccountId.toString()))
        throw new AppError('INVALID_REQUEST', `channel account ${b.channelAccountId} is listed twice`, {
          field: 'bindings',
        });
      seen.add(b.channelAccountId.toString());
    }
    await this.db.tx(async (q) => {
      const rate = await queries.findMerchantRate(q, merchantId, product.id);
      if (!rate && bindings.length > 0)
        throw new AppError('PRODUCT_NOT_AVAILABLE', `product ${productCode} is not open for this merchant`);
      const rows = [];
      for (const b of bindings) {
        const account = await queries.findChannelAccount(q, b.channelAccountId);
        if (!account) throw new AppError('NOT_FOUND', `channel account ${b.channelAccountId} not found`);
        if (account.test_account && this.options.testAccountsNeedConsent && b.allowTestAccount !== true) {
          throw new AppError(
            'TEST_ACCOUNT_BINDING',
            `channel account ${b.channelAccountId} is a test account: its orders are test orders, never settled; bind it only with allowTestAccount: true`,
          );
        }
        if (getAdapter(account.adapter_code)?.payWays.includes(product.pay_way) !== true) {
          throw new AppError(
            'INVALID_REQUEST',
            `channel account ${b.channelAccountId} (${account.adapter_code}) cannot take ${product.pay_way} orders`,
            { reason: 'pay_way_unsupported', payWay: product.pay_way, adapter: account.adapter_code },
          );
        }
        const cost = await queries.findChannelAccountRate(q, b.channelAccountId, product.id);
        if (cost === null) {
          throw new AppError(
            'RATE_RULE_VIOLATION',
            `channel account ${b.channelAccountId} has no cost rate for ${productCode}; set one first`,
            { reason: 'no_cost_rate', productCode, channelAccountId: b.channelAccountId.toString() },
          );
        }
        // The rate rule: the account's cost within this merchant's rate, part by part.
        const merchantTerms = merchantTermsOf(rate!);
        const component = exceedingComponent(cost, merchantTerms);
        if (component) throw rateRuleViolation(component, product, merchantTerms, cost, 'channel');
        if (b.allowedAtLoss !== true)
          await this.agentRule?.checkChannelCost(q, product, cost, b.channelAccountId);
        rows.push({
          channel_account_id: b.channelAccountId,
          weight: b.weight,
          priority: b.priority,
          min_amount: b.minAmount,
          max_amount: b.maxAmount,
          daily_limit: b.dailyLimit,
          window_start: b.windowStart,
          window_end: b.windowEnd,
          enabled: b.enabled,
          test_account_allowed: account.test_account && b.allowTestAccount === true,
          allowed_at_loss: b.allowedAtLoss === true,
        });
      }
      await queries.replaceMerchantBindings(q, merchantId, product.id, rows);
    });
    this.changed();
    return (await queries.listMerchantBindingsForRouting(this.db, merchantId)).filter(
      (r) => r.product_id === product.id,
    );
  }

  /**
   * Whether a product has a channel account to take its orders: an enabled binding to an enabled
   * account of an enabled channel, with a cost rate. Without one (a new product) it takes no order.
   */
  async hasChannel(productId: bigint): Promise<boolean> {
    return (await this.routableBindings(productId)).some((b) => b.enabled);
  }

  /** Forgets this process's cached catalog; a change is announced to the others with {@link changed}. */
  clearCaches(): void {
    this.products.clear();
    this.merchantRates.clear();
    this.bindings.clear();
    this.merchantBindingsCache.clear();
    this.accounts.clear();
    this.testOnly.clear();
  }

  /**
   * Every process forgets its cached catalog when another changes it (`catalog` on the bus), or when
   * the bus reconnects; without a bus, only the short TTL.
   */
  attachConfigBus(bus: ConfigBus): void {
    this.bus = bus;
    forgetOn(bus, CATALOG_TOPIC, () => this.clearCaches());
  }

  /** After a committed write: this process forgets at once, the others when the bus tells them. */
  changed(): void {
    this.clearCaches();
    void this.bus?.publish(CATALOG_TOPIC);
  }
}

function costTermsOf(rate: CostRateInput): FeeTerms {
  return { ratePpm: rate.costRatePpm, fixed: rate.fixedCost ?? 0n, minimum: rate.minimumCost ?? 0n };
}

async function saveCostRate(q: Queryable, accountId: bigint, product: ProductRow, cost: FeeTerms) {
  await assertCostWithinMerchantRates(q, product, cost);
  await queries.upsertChannelAccountRate(q, accountId, product.id, cost);
}

async function assertCostWithinMerchantRates(q: Queryable, product: ProductRow, cost: FeeTerms) {
  const lowest = await queries.lowestMerchantTerms(q, product.id);
  const component = lowest && exceedingComponent(cost, lowest);
  if (lowest && component) throw rateRuleViolation(component, product, lowest, cost, 'channel');
}

/**
 * The rate rule broken, naming the part: a merchant's rate, fixed fee or minimum below a bound
 * channel account's (`set: 'merchant'`), or a channel's cost above a merchant's (`set: 'channel'`).
 * The details let the consoles say it in their language, in % and yuan.
 */
function termsWithDefaults(product: ProductRow, input: number | MerchantTermsInput | undefined): FeeTerms {
  const given = typeof input === 'number' ? { ratePpm: input } : (input ?? {});
  return {
    ratePpm: given.ratePpm ?? product.default_rate_ppm,
    fixed: given.fixedFee ?? product.default_fixed_fee,
    minimum: given.minimumFee ?? product.default_minimum_fee,
  };
}

function rateRuleViolation(
  component: FeeComponent,
  product: ProductRow,
  merchant: FeeTerms,
  channel: FeeTerms,
  set: 'merchant' | 'channel',
): AppError {
  const currency: Currency = isCurrency(product.currency) ? product.currency : 'CNY';
  const merchantPart = describeComponent(component, merchant, currency);
  const channelPart = describeComponent(component, channel, currency);
  const message =
    set === 'merchant'
      ? `merchant ${merchantPart} is below the ${channelPart} of a channel account bound to ${product.code}`
      : `channel ${channelPart} exceeds the lowest merchant ${merchantPart} for ${product.code}`;
  const value = (terms: FeeTerms) => (component === 'ratePpm' ? terms.ratePpm : Number(terms[component]));
  return new AppError('RATE_RULE_VIOLATION', message, {
    reason: set === 'merchant' ? 'merchant_below_cost' : 'cost_above_merchant',
    component,
    productCode: product.code,
    currency,
    merchant: value(merchant),
    channel: value(channel),
  });
}

function validateBinding(b: BindingInput) {
  if (b.minAmount !== null && b.maxAmount !== null && b.maxAmount < b.minAmount) {
    throw new AppError('INVALID_REQUEST', 'maxAmount is below minAmount', { field: 'maxAmount' });
  }
  if ((b.windowStart === null) !== (b.windowEnd === null)) {
    throw new AppError('INVALID_REQUEST', 'a time window needs both windowStart and windowEnd', {
      field: b.windowStart === null ? 'windowStart' : 'windowEnd',
    });
  }
}

/** The bindings that may take orders, as routing reads them. */
function routable(rows: Awaited<ReturnType<typeof queries.listBindingsForRouting>>): RoutableBinding[] {
  return (
    rows
      .filter((r) => r.account_enabled && r.channel_enabled && r.cost_rate_ppm !== null)
      // An account whose adapter cannot serve the product's pay way never takes its orders.
      .filter((r) => getAdapter(r.adapter_code)?.payWays.includes(r.pay_way) === true)
      .map((r) => ({
        ...toCandidate(r),
        adapterCode: r.adapter_code,
        costRatePpm: r.cost_rate_ppm!,
        cost: { ratePpm: r.cost_rate_ppm!, fixed: r.fixed_cost ?? 0n, minimum: r.minimum_cost ?? 0n },
        testAccount: r.account_test,
        allowedAtLoss: r.allowed_at_loss,
      }))
  );
}

function toCandidate(r: Omit<BindingRow, 'id'>): RouteCandidate {
  return {
    channelAccountId: r.channel_account_id,
    weight: r.weight,
    priority: r.priority,
    minAmount: r.min_amount,
    maxAmount: r.max_amount,
    dailyLimit: r.daily_limit,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    enabled: r.enabled,
  };
}

/** Whether a credential key is write-only: a secret or PEM field, or a key the adapter does not declare. */
function isWriteOnly(adapter: ChannelAdapter | undefined, key: string): boolean {
  const field = adapter?.credentialFields.find((f) => f.key === key);
  return !field || field.kind === 'secret' || field.kind === 'pem';
}

const isBlank = (value: unknown) =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** Credentials as typed, without the fields left blank (an optional field left empty is absent). */
function withoutBlanks(credentials: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(credentials).filter(([, value]) => !isBlank(value)));
}

/**
 * An edit of stored credentials: each key given replaces the stored one; a blank secret or PEM keeps
 * the stored value, a blank other field removes it; keys not given stay as stored.
 */
export function mergeCredentials(
  adapter: ChannelAdapter,
  stored: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const merged = { ...stored };
  for (const [key, value] of Object.entries(patch)) {
    if (!isBlank(value)) merged[key] = value;
    else if (!isWriteOnly(adapter, key)) delete merged[key];
  }
  return merged;
}

/**
 * What the consoles may see of an account's credentials: the values of the non-secret fields the
 * adapter declares (app id, merchant id, gateway URL, certificate serial …) and which write-only
 * fields are stored — never a secret or a key.
 */
export function credentialsView(
  adapter: ChannelAdapter | undefined,
  stored: Record<string, unknown>,
): { hasCredentials: boolean; publicCredentials: Record<string, string>; storedSecrets: string[] } {
  const publicCredentials: Record<string, string> = {};
  const storedSecrets: string[] = [];
  for (const [key, value] of Object.entries(stored)) {
    if (isBlank(value)) continue;
    if (isWriteOnly(adapter, key)) storedSecrets.push(key);
    else publicCredentials[key] = String(value);
  }
  return { hasCredentials: Object.keys(stored).length > 0, publicCredentials, storedSecrets };
}

function parseWith<T>(
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  value: unknown,
  what: string,
): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.map(String).join('.') || what}: ${i.message}`)
      .join('; ');
    // The first issue's key names the field (`credentials.privateKey`), so a console can show the
    // refusal under that field; an issue of the whole object (an unknown key) names `credentials`.
    const first = parsed.error.issues[0];
    const key = first?.path[0];
    const unknownKeys = (first as { keys?: unknown } | undefined)?.keys;
    const named =
      typeof key === 'string'
        ? key
        : Array.isArray(unknownKeys) && typeof unknownKeys[0] === 'string'
          ? unknownKeys[0]
          : undefined;
    throw new AppError('INVALID_REQUEST', `invalid ${what}: ${detail}`, {
      field: named ? `${what}.${named}` : what,
    });
  }
  return parsed.data;
}
