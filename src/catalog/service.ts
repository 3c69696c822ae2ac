import type { SecretBox } from '../auth/secret-box.ts';
import { TtlCache } from '../cache.ts';
import { getAdapter } from '../channels/registry.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError, isUniqueViolation } from '../errors.ts';
import { isCurrency } from '../money/money.ts';
import type { RouteCandidate } from '../routing/route.ts';
import type { BindingRow, FeeRefundMode, ProductRow } from './queries.ts';
import * as queries from './queries.ts';

/** Configuration read on every order is cached this long; edits on this node clear it at once. */
const CACHE_TTL_MS = 2_000;

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
  /** The account is a test account: an order it takes is a test order. */
  testAccount: boolean;
}

export interface CatalogOptions {
  /**
   * Production (PostgreSQL): a product is bound to a test account only when the operator says so
   * explicitly. The embedded demo binds its sandbox accounts freely.
   */
  testAccountsNeedConsent: boolean;
}

/** A binding as an operator edits it: the routing fields, for one product and channel account. */
export type BindingInput = Omit<RouteCandidate, 'channelAccountId'>;

/** Products, channels, channel accounts, rates and the product → channel-account bindings. */
export class CatalogService {
  private readonly products = new TtlCache<ProductRow | null>(CACHE_TTL_MS);
  private readonly merchantRates = new TtlCache<{ rate_ppm: number; enabled: boolean } | null>(CACHE_TTL_MS);
  private readonly bindings = new TtlCache<RoutableBinding[]>(CACHE_TTL_MS);
  private readonly accounts = new TtlCache<ChannelAccountRuntime | null>(CACHE_TTL_MS);

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly options: CatalogOptions = { testAccountsNeedConsent: false },
  ) {}

  // ---------- products ----------

  async createProduct(input: {
    code: string;
    name: string;
    currency: string;
    minAmount: bigint;
    maxAmount: bigint;
    defaultRatePpm: number;
  }): Promise<ProductRow> {
    if (!isCurrency(input.currency))
      throw new AppError('INVALID_REQUEST', `unsupported currency ${input.currency}`);
    if (input.maxAmount < input.minAmount)
      throw new AppError('INVALID_REQUEST', 'maxAmount is below minAmount');
    try {
      return await queries.insertProduct(this.db, input);
    } catch (error) {
      if (isUniqueViolation(error))
        throw new AppError('ALREADY_EXISTS', `product ${input.code} already exists`);
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
      enabled?: boolean;
      feeRefundMode?: FeeRefundMode;
    },
  ): Promise<ProductRow> {
    const product = await this.requireProduct(code);
    const min = patch.minAmount ?? product.min_amount;
    const max = patch.maxAmount ?? product.max_amount;
    if (max < min) throw new AppError('INVALID_REQUEST', 'maxAmount is below minAmount');
    const updated = (await queries.updateProduct(this.db, product.id, patch))!;
    this.clearCaches();
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

  /** Sells a product to a merchant at a rate; the rate may not go below any bound channel's cost. */
  async setMerchantRate(
    merchantId: bigint,
    productCode: string,
    ratePpm: number | undefined,
    enabled = true,
  ) {
    const product = await this.requireProduct(productCode);
    const rate = ratePpm ?? product.default_rate_ppm;
    await this.db.tx(async (q) => {
      const highestCost = await queries.highestBoundCost(q, product.id);
      if (highestCost !== null && rate < highestCost) {
        throw new AppError(
          'RATE_RULE_VIOLATION',
          `merchant rate ${rate} ppm is below the cost ${highestCost} ppm of a channel account bound to ${productCode}`,
        );
      }
      await queries.upsertMerchantRate(q, merchantId, product.id, rate, enabled);
    });
    this.clearCaches();
    return { productCode, ratePpm: rate, enabled };
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
      throw new AppError('INVALID_REQUEST', `unknown adapter ${input.adapterCode}`);
    try {
      return await queries.insertChannel(this.db, input);
    } catch (error) {
      if (isUniqueViolation(error))
        throw new AppError('ALREADY_EXISTS', `channel ${input.code} already exists`);
      throw error;
    }
  }

  listChannels() {
    return queries.listChannels(this.db);
  }

  async createChannelAccount(input: {
    channelCode: string;
    name: string;
    credentials: Record<string, unknown>;
    config?: Record<string, unknown>;
    rates?: { productCode: string; costRatePpm: number }[];
  }) {
    const channel = await queries.findChannelByCode(this.db, input.channelCode);
    if (!channel) throw new AppError('NOT_FOUND', `channel ${input.channelCode} not found`);
    const adapter = getAdapter(channel.adapter_code)!;
    const credentials = parseWith(adapter.credentialsSchema, input.credentials, 'credentials');
    const config = parseWith(adapter.configSchema, input.config ?? {}, 'config');
    const rates: { product: ProductRow; cost: number }[] = [];
    for (const rate of input.rates ?? []) {
      rates.push({ product: await this.requireProduct(rate.productCode), cost: rate.costRatePpm });
    }
    // The account and its rates are saved together: a rate that breaks the rule saves nothing.
    const account = await this.db.tx(async (q) => {
      const created = await queries.insertChannelAccount(q, {
        channelId: channel.id,
        name: input.name,
        credentialsEnc: this.secrets.encrypt(JSON.stringify(credentials)),
        config,
        testAccount: adapter.testChannel === true,
      });
      for (const { product, cost } of rates) await saveCostRate(q, created.id, product, cost);
      return created;
    });
    this.clearCaches();
    return account;
  }

  async updateChannelAccount(
    id: bigint,
    patch: {
      name?: string;
      credentials?: Record<string, unknown>;
      config?: Record<string, unknown>;
      enabled?: boolean;
    },
  ) {
    const account = await queries.findChannelAccount(this.db, id);
    if (!account) throw new AppError('NOT_FOUND', `channel account ${id} not found`);
    const adapter = getAdapter(account.adapter_code)!;
    const updated = await queries.updateChannelAccount(this.db, id, {
      name: patch.name,
      enabled: patch.enabled,
      credentialsEnc: patch.credentials
        ? this.secrets.encrypt(
            JSON.stringify(parseWith(adapter.credentialsSchema, patch.credentials, 'credentials')),
          )
        : undefined,
      config: patch.config ? parseWith(adapter.configSchema, patch.config, 'config') : undefined,
    });
    this.clearCaches();
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
        enabled: a.enabled,
        testAccount: a.test_account,
        config: a.config,
        rates: (await queries.listChannelAccountRates(this.db, a.id)).map((r) => ({
          productCode: r.product_code,
          costRatePpm: r.cost_rate_ppm,
        })),
      })),
    );
  }

  /** A channel account's cost for a product; may not exceed the lowest merchant rate of that product. */
  async setChannelAccountRate(accountId: bigint, productCode: string, costRatePpm: number) {
    const product = await this.requireProduct(productCode);
    await this.db.tx(async (q) => {
      if (!(await queries.findChannelAccount(q, accountId))) {
        throw new AppError('NOT_FOUND', `channel account ${accountId} not found`);
      }
      await saveCostRate(q, accountId, product, costRatePpm);
    });
    this.clearCaches();
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
        credentials: JSON.parse(this.secrets.decrypt(row.credentials_enc)) as Record<string, unknown>,
        config: row.config,
        enabled: row.enabled && row.channel_enabled,
      };
    });
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
    consent: { allowTestAccount?: boolean } = {},
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
      const cost = await queries.findChannelAccountRate(q, channelAccountId, product.id);
      if (cost === null) {
        throw new AppError(
          'RATE_RULE_VIOLATION',
          `channel account ${channelAccountId} has no cost rate for ${productCode}`,
        );
      }
      await assertCostWithinMerchantRates(q, product, cost);
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
      });
    });
    this.clearCaches();
    return binding;
  }

  async deleteBinding(productCode: string, channelAccountId: bigint) {
    const product = await this.requireProduct(productCode);
    if (!(await queries.deleteBinding(this.db, product.id, channelAccountId))) {
      throw new AppError('NOT_FOUND', 'binding not found');
    }
    this.clearCaches();
  }

  async listBindings(productCode: string) {
    const product = await this.requireProduct(productCode);
    return queries.listBindingsForRouting(this.db, product.id);
  }

  /** Bindings that may take orders: account and channel enabled, a cost rate set. */
  routableBindings(productId: bigint): Promise<RoutableBinding[]> {
    return this.bindings.get(productId.toString(), async () => {
      const rows = await queries.listBindingsForRouting(this.db, productId);
      return rows
        .filter((r) => r.account_enabled && r.channel_enabled && r.cost_rate_ppm !== null)
        .map((r) => ({
          ...toCandidate(r),
          adapterCode: r.adapter_code,
          costRatePpm: r.cost_rate_ppm!,
          testAccount: r.account_test,
        }));
    });
  }

  clearCaches(): void {
    this.products.clear();
    this.merchantRates.clear();
    this.bindings.clear();
    this.accounts.clear();
  }
}

async function saveCostRate(q: Queryable, accountId: bigint, product: ProductRow, costRatePpm: number) {
  await assertCostWithinMerchantRates(q, product, costRatePpm);
  await queries.upsertChannelAccountRate(q, accountId, product.id, costRatePpm);
}

async function assertCostWithinMerchantRates(q: Queryable, product: ProductRow, costRatePpm: number) {
  const lowest = await queries.lowestMerchantRate(q, product.id);
  if (lowest !== null && costRatePpm > lowest) {
    throw new AppError(
      'RATE_RULE_VIOLATION',
      `channel cost ${costRatePpm} ppm exceeds the lowest merchant rate ${lowest} ppm for ${product.code}`,
    );
  }
}

function validateBinding(b: BindingInput) {
  if (b.minAmount !== null && b.maxAmount !== null && b.maxAmount < b.minAmount) {
    throw new AppError('INVALID_REQUEST', 'maxAmount is below minAmount');
  }
  if ((b.windowStart === null) !== (b.windowEnd === null)) {
    throw new AppError('INVALID_REQUEST', 'a time window needs both windowStart and windowEnd');
  }
}

function toCandidate(r: BindingRow): RouteCandidate {
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
    throw new AppError('INVALID_REQUEST', `invalid ${what}: ${detail}`);
  }
  return parsed.data;
}
