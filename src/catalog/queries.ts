import type { PayWay } from '../channels/types.ts';
import type { Queryable } from '../db/index.ts';
import type { FeeTerms } from '../fees/fee.ts';

export interface ProductRow {
  id: bigint;
  code: string;
  name: string;
  currency: string;
  min_amount: bigint;
  max_amount: bigint;
  default_rate_ppm: number;
  /** The default fixed part and minimum of the fee per order, in minor units (0: none). */
  default_fixed_fee: bigint;
  default_minimum_fee: bigint;
  enabled: boolean;
  /** Whether a refund gives the merchant the fee back in proportion, or the platform keeps it. */
  fee_refund_mode: FeeRefundMode;
  /** Which of a wallet's methods the product's orders use (channels/types.ts PAY_WAYS). */
  pay_way: PayWay;
  /** Default order timeout in seconds (migration 037); null: the platform's. */
  expire_seconds: number | null;
}

export const FEE_REFUND_MODES = ['proportional', 'kept'] as const;
export type FeeRefundMode = (typeof FEE_REFUND_MODES)[number];

export interface ChannelRow {
  id: bigint;
  code: string;
  name: string;
  adapter_code: string;
  enabled: boolean;
  /** What operators note about the channel (contract, contacts …). */
  remarks: string;
  updated_at: Date;
}

export interface ChannelAccountRow {
  id: bigint;
  channel_id: bigint;
  name: string;
  credentials_enc: string;
  config: Record<string, unknown>;
  enabled: boolean;
  /** An account of a test channel (the sandbox): its orders are test orders. */
  test_account: boolean;
  /** The operator lets it pay out (代付); only an adapter that supportsPayout may. */
  payout_enabled: boolean;
}

export interface BindingRow {
  id: bigint;
  product_id: bigint;
  channel_account_id: bigint;
  weight: number;
  priority: number;
  min_amount: bigint | null;
  max_amount: bigint | null;
  daily_limit: bigint | null;
  window_start: string | null;
  window_end: string | null;
  enabled: boolean;
  /** An operator confirmed binding a test account in production (see CatalogService.upsertBinding). */
  test_account_allowed: boolean;
  /** An operator allowed it to cost more than the top agent's rate (the platform bears the loss). */
  allowed_at_loss: boolean;
}

export async function insertProduct(
  q: Queryable,
  p: {
    code: string;
    name: string;
    currency: string;
    minAmount: bigint;
    maxAmount: bigint;
    defaultRatePpm: number;
    defaultFixedFee: bigint;
    defaultMinimumFee: bigint;
    payWay: PayWay;
  },
) {
  const rows = await q.query<ProductRow>(
    `INSERT INTO product (code, name, currency, min_amount, max_amount, default_rate_ppm, default_fixed_fee,
       default_minimum_fee, pay_way)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
    [
      p.code,
      p.name,
      p.currency,
      p.minAmount,
      p.maxAmount,
      p.defaultRatePpm,
      p.defaultFixedFee,
      p.defaultMinimumFee,
      p.payWay,
    ],
  );
  return rows[0]!;
}

export async function updateProduct(
  q: Queryable,
  id: bigint,
  p: {
    name?: string;
    minAmount?: bigint;
    maxAmount?: bigint;
    defaultRatePpm?: number;
    defaultFixedFee?: bigint;
    defaultMinimumFee?: bigint;
    enabled?: boolean;
    feeRefundMode?: FeeRefundMode;
    payWay?: PayWay;
    /** null: back to the platform's timeout; left out: unchanged. */
    expireSeconds?: number | null;
  },
) {
  const rows = await q.query<ProductRow>(
    `UPDATE product SET name = COALESCE($2, name), min_amount = COALESCE($3, min_amount),
       max_amount = COALESCE($4, max_amount), default_rate_ppm = COALESCE($5, default_rate_ppm),
       enabled = COALESCE($6, enabled), fee_refund_mode = COALESCE($7, fee_refund_mode),
       default_fixed_fee = COALESCE($8, default_fixed_fee), default_minimum_fee = COALESCE($9, default_minimum_fee),
       pay_way = COALESCE($10, pay_way),
       expire_seconds = CASE WHEN $11::boolean THEN $12::int ELSE expire_seconds END
     WHERE id = $1 RETURNING *`,
    [
      id,
      p.name,
      p.minAmount,
      p.maxAmount,
      p.defaultRatePpm,
      p.enabled,
      p.feeRefundMode,
      p.defaultFixedFee,
      p.defaultMinimumFee,
      p.payWay,
      p.expireSeconds !== undefined,
      p.expireSeconds ?? null,
    ],
  );
  return rows[0] ?? null;
}

export async function findProductByCode(q: Queryable, code: string) {
  // A product in the recycle bin is not found by its code: it takes no orders and cannot be edited.
  return (
    (await q.query<ProductRow>('SELECT * FROM product WHERE code = $1 AND deleted_at IS NULL', [code]))[0] ??
    null
  );
}

export async function findProductById(q: Queryable, id: bigint) {
  return (await q.query<ProductRow>('SELECT * FROM product WHERE id = $1', [id]))[0] ?? null;
}

export function listProducts(q: Queryable) {
  return q.query<ProductRow>('SELECT * FROM product WHERE deleted_at IS NULL ORDER BY id');
}

export async function upsertMerchantRate(
  q: Queryable,
  merchantId: bigint,
  productId: bigint,
  terms: FeeTerms,
  enabled: boolean,
) {
  await q.query(
    `INSERT INTO merchant_product (merchant_id, product_id, rate_ppm, fixed_fee, minimum_fee, enabled)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (merchant_id, product_id) DO UPDATE SET rate_ppm = EXCLUDED.rate_ppm,
       fixed_fee = EXCLUDED.fixed_fee, minimum_fee = EXCLUDED.minimum_fee, enabled = EXCLUDED.enabled`,
    [merchantId, productId, terms.ratePpm, terms.fixed, terms.minimum, enabled],
  );
}

export interface MerchantRateRow {
  rate_ppm: number;
  fixed_fee: bigint;
  minimum_fee: bigint;
  enabled: boolean;
}

export async function findMerchantRate(q: Queryable, merchantId: bigint, productId: bigint) {
  const rows = await q.query<MerchantRateRow>(
    `SELECT rate_ppm, fixed_fee, minimum_fee, enabled FROM merchant_product
     WHERE merchant_id = $1 AND product_id = $2`,
    [merchantId, productId],
  );
  return rows[0] ?? null;
}

export function listMerchantRates(q: Queryable, merchantId: bigint) {
  return q.query<MerchantRateRow & { product_code: string; product_name: string; currency: string }>(
    `SELECT p.code AS product_code, p.name AS product_name, p.currency, mp.rate_ppm, mp.fixed_fee, mp.minimum_fee,
            mp.enabled
     FROM merchant_product mp JOIN product p ON p.id = mp.product_id
     WHERE mp.merchant_id = $1 AND p.deleted_at IS NULL ORDER BY p.id`,
    [merchantId],
  );
}

/** Each part of a product's merchant rates at its lowest: no part of a channel cost may exceed it. */
export async function lowestMerchantTerms(q: Queryable, productId: bigint): Promise<FeeTerms | null> {
  const rows = await q.query<{ rate_ppm: number | null; fixed: bigint | null; minimum: bigint | null }>(
    `SELECT min(rate_ppm) AS rate_ppm, min(fixed_fee) AS fixed, min(minimum_fee) AS minimum
     FROM merchant_product WHERE product_id = $1`,
    [productId],
  );
  const row = rows[0];
  if (!row || row.rate_ppm === null) return null;
  return { ratePpm: row.rate_ppm, fixed: row.fixed ?? 0n, minimum: row.minimum ?? 0n };
}

/** Each part of some merchants' rates for a product at its lowest (an agent's direct merchants). */
export async function lowestMerchantTermsAmong(
  q: Queryable,
  productId: bigint,
  merchantIds: bigint[],
): Promise<FeeTerms | null> {
  if (merchantIds.length === 0) return null;
  const rows = await q.query<{ rate_ppm: number | null; fixed: bigint | null; minimum: bigint | null }>(
    `SELECT min(rate_ppm) AS rate_ppm, min(fixed_fee) AS fixed, min(minimum_fee) AS minimum
     FROM merchant_product WHERE product_id = $1 AND merchant_id = ANY($2::bigint[])`,
    [productId, merchantIds.map(String)],
  );
  const row = rows[0];
  if (!row || row.rate_ppm === null) return null;
  return { ratePpm: row.rate_ppm, fixed: row.fixed ?? 0n, minimum: row.minimum ?? 0n };
}

/** A merchant's terms per product id. */
export function merchantTermsByProduct(q: Queryable, merchantId: bigint) {
  return q.query<{ product_id: bigint; rate_ppm: number; fixed_fee: bigint; minimum_fee: bigint }>(
    'SELECT product_id, rate_ppm, fixed_fee, minimum_fee FROM merchant_product WHERE merchant_id = $1',
    [merchantId],
  );
}

/**
 * Each part of the costs of channel accounts bound to a product at its highest: no merchant rate may
 * go below it. `exceptAllowedAtLoss` leaves out the bindings an operator allowed at a loss (the
 * agents' rates are compared without them).
 */
export async function highestBoundCost(
  q: Queryable,
  productId: bigint,
  exceptAllowedAtLoss = false,
): Promise<FeeTerms | null> {
  const rows = await q.query<{ rate_ppm: number | null; fixed: bigint | null; minimum: bigint | null }>(
    `SELECT max(r.cost_rate_ppm) AS rate_ppm, max(r.fixed_cost) AS fixed, max(r.minimum_cost) AS minimum
     FROM product_binding b
     JOIN channel_account_rate r ON r.channel_account_id = b.channel_account_id AND r.product_id = b.product_id
     WHERE b.product_id = $1 AND NOT ($2::boolean AND b.allowed_at_loss)`,
    [productId, exceptAllowedAtLoss],
  );
  const row = rows[0];
  if (!row || row.rate_ppm === null) return null;
  return { ratePpm: row.rate_ppm, fixed: row.fixed ?? 0n, minimum: row.minimum ?? 0n };
}

export async function insertChannel(q: Queryable, c: { code: string; name: string; adapterCode: string }) {
  const rows = await q.query<ChannelRow>(
    'INSERT INTO channel (code, name, adapter_code) VALUES ($1, $2, $3) RETURNING *',
    [c.code, c.name, c.adapterCode],
  );
  return rows[0]!;
}

export async function findChannelByCode(q: Queryable, code: string) {
  return (
    (await q.query<ChannelRow>('SELECT * FROM channel WHERE code = $1 AND deleted_at IS NULL', [code]))[0] ??
    null
  );
}

export function listChannels(q: Queryable) {
  return q.query<ChannelRow>('SELECT * FROM channel WHERE deleted_at IS NULL ORDER BY id');
}

/** The id the next channel account will have: its credentials are sealed to their row before it is written. */
export async function nextChannelAccountId(q: Queryable): Promise<bigint> {
  const rows = await q.query<{ id: bigint }>(
    `SELECT nextval(pg_get_serial_sequence('channel_account', 'id')) AS id`,
  );
  return rows[0]!.id;
}

export async function insertChannelAccount(
  q: Queryable,
  a: {
    id: bigint;
    channelId: bigint;
    name: string;
    credentialsEnc: string;
    config: Record<string, unknown>;
    testAccount: boolean;
  },
) {
  const rows = await q.query<ChannelAccountRow>(
    `INSERT INTO channel_account (id, channel_id, name, credentials_enc, config, test_account)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING *`,
    [a.id, a.channelId, a.name, a.credentialsEnc, JSON.stringify(a.config), a.testAccount],
  );
  return rows[0]!;
}

/** Channel accounts whose credentials were sealed before secrets were bound to their rows (format v1). */
export function channelAccountsWithUnboundCredentials(q: Queryable) {
  return q.query<Pick<ChannelAccountRow, 'id' | 'credentials_enc'>>(
    `SELECT id, credentials_enc FROM channel_account WHERE credentials_enc LIKE 'v1.%' ORDER BY id`,
  );
}

/** Replaces sealed credentials if they are still the ones read (compare-and-set: one starting node wins). */
export async function resealChannelAccountCredentials(
  q: Queryable,
  id: bigint,
  was: string,
  now: string,
): Promise<boolean> {
  const rows = await q.query(
    'UPDATE channel_account SET credentials_enc = $3 WHERE id = $1 AND credentials_enc = $2 RETURNING id',
    [id, was, now],
  );
  return rows.length > 0;
}

export async function updateChannelAccount(
  q: Queryable,
  id: bigint,
  a: {
    name?: string;
    credentialsEnc?: string;
    config?: Record<string, unknown>;
    enabled?: boolean;
    payoutEnabled?: boolean;
  },
) {
  const rows = await q.query<ChannelAccountRow>(
    `UPDATE channel_account SET name = COALESCE($2, name), credentials_enc = COALESCE($3, credentials_enc),
       config = COALESCE($4::jsonb, config), enabled = COALESCE($5, enabled),
       payout_enabled = COALESCE($6, payout_enabled), updated_at = now()
     WHERE id = $1 RETURNING *`,
    [id, a.name, a.credentialsEnc, a.config ? JSON.stringify(a.config) : null, a.enabled, a.payoutEnabled],
  );
  return rows[0] ?? null;
}

export async function findChannelAccount(q: Queryable, id: bigint) {
  const rows = await q.query<
    ChannelAccountRow & { adapter_code: string; channel_code: string; channel_enabled: boolean }
  >(
    `SELECT a.*, c.adapter_code, c.code AS channel_code, c.enabled AS channel_enabled
     FROM channel_account a JOIN channel c ON c.id = a.channel_id WHERE a.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

/** No channel account is a real one (none at all, or only the sandbox's): a demo's catalog. */
export async function onlyTestChannelAccounts(q: Queryable): Promise<boolean> {
  const rows = await q.query<{ only_test: boolean }>(
    'SELECT NOT EXISTS (SELECT 1 FROM channel_account WHERE NOT test_account) AS only_test',
  );
  return rows[0]!.only_test;
}

export function listChannelAccounts(q: Queryable) {
  return q.query<ChannelAccountRow & { channel_code: string; adapter_code: string }>(
    `SELECT a.*, c.code AS channel_code, c.adapter_code FROM channel_account a JOIN channel c ON c.id = a.channel_id
     WHERE a.deleted_at IS NULL AND c.deleted_at IS NULL ORDER BY a.id`,
  );
}

export async function upsertChannelAccountRate(
  q: Queryable,
  accountId: bigint,
  productId: bigint,
  cost: FeeTerms,
) {
  await q.query(
    `INSERT INTO channel_account_rate (channel_account_id, product_id, cost_rate_ppm, fixed_cost, minimum_cost)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (channel_account_id, product_id) DO UPDATE SET cost_rate_ppm = EXCLUDED.cost_rate_ppm,
       fixed_cost = EXCLUDED.fixed_cost, minimum_cost = EXCLUDED.minimum_cost`,
    [accountId, productId, cost.ratePpm, cost.fixed, cost.minimum],
  );
}

export function listChannelAccountRates(q: Queryable, accountId: bigint) {
  return q.query<{ product_code: string; cost_rate_ppm: number; fixed_cost: bigint; minimum_cost: bigint }>(
    `SELECT p.code AS product_code, r.cost_rate_ppm, r.fixed_cost, r.minimum_cost
     FROM channel_account_rate r JOIN product p ON p.id = r.product_id
     WHERE r.channel_account_id = $1 ORDER BY p.id`,
    [accountId],
  );
}

export async function findChannelAccountRate(
  q: Queryable,
  accountId: bigint,
  productId: bigint,
): Promise<FeeTerms | null> {
  const rows = await q.query<{ cost_rate_ppm: number; fixed_cost: bigint; minimum_cost: bigint }>(
    `SELECT cost_rate_ppm, fixed_cost, minimum_cost FROM channel_account_rate
     WHERE channel_account_id = $1 AND product_id = $2`,
    [accountId, productId],
  );
  const row = rows[0];
  return row ? { ratePpm: row.cost_rate_ppm, fixed: row.fixed_cost, minimum: row.minimum_cost } : null;
}

export async function upsertBinding(q: Queryable, b: Omit<BindingRow, 'id'>) {
  const rows = await q.query<BindingRow>(
    `INSERT INTO product_binding (product_id, channel_account_id, weight, priority, min_amount, max_amount, daily_limit,
       window_start, window_end, enabled, test_account_allowed, allowed_at_loss)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (product_id, channel_account_id) DO UPDATE SET weight = EXCLUDED.weight, priority = EXCLUDED.priority,
       min_amount = EXCLUDED.min_amount, max_amount = EXCLUDED.max_amount, daily_limit = EXCLUDED.daily_limit,
       window_start = EXCLUDED.window_start, window_end = EXCLUDED.window_end, enabled = EXCLUDED.enabled,
       test_account_allowed = EXCLUDED.test_account_allowed, allowed_at_loss = EXCLUDED.allowed_at_loss
     RETURNING *`,
    [
      b.product_id,
      b.channel_account_id,
      b.weight,
      b.priority,
      b.min_amount,
      b.max_amount,
      b.daily_limit,
      b.window_start,
      b.window_end,
      b.enabled,
      b.test_account_allowed,
      b.allowed_at_loss,
    ],
  );
  return rows[0]!;
}

export async function deleteBinding(q: Queryable, productId: bigint, accountId: bigint) {
  const rows = await q.query(
    'DELETE FROM product_binding WHERE product_id = $1 AND channel_account_id = $2 RETURNING id',
    [productId, accountId],
  );
  return rows.length > 0;
}

/** Bindings of a product with what routing needs: cost rate, adapter, and whether account and channel are on. */
export function listBindingsForRouting(q: Queryable, productId: bigint) {
  return q.query<
    BindingRow & {
      cost_rate_ppm: number | null;
      fixed_cost: bigint | null;
      minimum_cost: bigint | null;
      adapter_code: string;
      account_name: string;
      account_enabled: boolean;
      channel_enabled: boolean;
      account_test: boolean;
      pay_way: PayWay;
    }
  >(
    `SELECT b.*, r.cost_rate_ppm, r.fixed_cost, r.minimum_cost, c.adapter_code, a.name AS account_name,
            a.enabled AND a.deleted_at IS NULL AS account_enabled,
            c.enabled AND c.deleted_at IS NULL AS channel_enabled, a.test_account AS account_test, p.pay_way
     FROM product_binding b
     JOIN product p ON p.id = b.product_id
     JOIN channel_account a ON a.id = b.channel_account_id
     JOIN channel c ON c.id = a.channel_id
     LEFT JOIN channel_account_rate r ON r.channel_account_id = b.channel_account_id AND r.product_id = b.product_id
     WHERE b.product_id = $1 ORDER BY b.priority DESC, b.id`,
    [productId],
  );
}

/** Channel accounts an operator lets pay out, enabled with their channel, in id order. */
export function payoutChannelAccounts(q: Queryable) {
  return q.query<{ id: bigint; name: string; adapter_code: string; test_account: boolean }>(
    `SELECT a.id, a.name, c.adapter_code, a.test_account FROM channel_account a JOIN channel c ON c.id = a.channel_id
     WHERE a.payout_enabled AND a.enabled AND c.enabled AND a.deleted_at IS NULL AND c.deleted_at IS NULL
     ORDER BY a.id`,
  );
}

/** Names of channel accounts, for lists that show them. */
export function channelAccountNames(q: Queryable, ids: bigint[]) {
  return q.query<{ id: bigint; name: string }>(
    'SELECT id, name FROM channel_account WHERE id = ANY($1::bigint[])',
    [ids.map(String)],
  );
}

/** Whether an account is bound to a product and not allowed at a loss: its cost must stay within the agents'. */
export async function boundWithinAgents(q: Queryable, productId: bigint, accountId: bigint) {
  const rows = await q.query<{ allowed_at_loss: boolean }>(
    'SELECT allowed_at_loss FROM product_binding WHERE product_id = $1 AND channel_account_id = $2',
    [productId, accountId],
  );
  return rows[0]?.allowed_at_loss === false;
}

/** A channel's name, remarks and switch as operators edit them. */
export async function updateChannel(
  q: Queryable,
  id: bigint,
  c: { name?: string; remarks?: string; enabled?: boolean },
) {
  const rows = await q.query<ChannelRow>(
    `UPDATE channel SET name = COALESCE($2, name), remarks = COALESCE($3, remarks), enabled = COALESCE($4, enabled),
       updated_at = now()
     WHERE id = $1 RETURNING *`,
    [id, c.name, c.remarks, c.enabled],
  );
  return rows[0] ?? null;
}

/** A merchant's own binding of a product to a channel account (its override of the product's). */
export interface MerchantBindingRow extends Omit<BindingRow, 'id'> {
  merchant_id: bigint;
}

type RoutingColumns = {
  cost_rate_ppm: number | null;
  fixed_cost: bigint | null;
  minimum_cost: bigint | null;
  adapter_code: string;
  account_name: string;
  account_enabled: boolean;
  channel_enabled: boolean;
  account_test: boolean;
  pay_way: PayWay;
};

/** Every merchant's own bindings with what routing needs (there are few: read whole and cached). */
export function listMerchantBindingsForRouting(q: Queryable, merchantId?: bigint) {
  return q.query<MerchantBindingRow & RoutingColumns & { id: bigint; product_code: string }>(
    `SELECT b.*, p.code AS product_code, r.cost_rate_ppm, r.fixed_cost, r.minimum_cost, c.adapter_code,
            a.name AS account_name, a.enabled AS account_enabled, c.enabled AS channel_enabled,
            a.test_account AS account_test, p.pay_way
     FROM merchant_product_binding b
     JOIN product p ON p.id = b.product_id
     JOIN channel_account a ON a.id = b.channel_account_id
     JOIN channel c ON c.id = a.channel_id
     LEFT JOIN channel_account_rate r ON r.channel_account_id = b.channel_account_id AND r.product_id = b.product_id
     WHERE $1::bigint IS NULL OR b.merchant_id = $1
     ORDER BY b.merchant_id, b.product_id, b.priority DESC, b.id`,
    [merchantId ?? null],
  );
}

/** Replaces a merchant's own bindings of a product (none: the product's bindings apply again). */
export async function replaceMerchantBindings(
  q: Queryable,
  merchantId: bigint,
  productId: bigint,
  rows: Omit<MerchantBindingRow, 'merchant_id' | 'product_id'>[],
) {
  await q.query('DELETE FROM merchant_product_binding WHERE merchant_id = $1 AND product_id = $2', [
    merchantId,
    productId,
  ]);
  for (const b of rows) {
    await q.query(
      `INSERT INTO merchant_product_binding (merchant_id, product_id, channel_account_id, weight, priority, min_amount,
         max_amount, daily_limit, window_start, window_end, enabled, test_account_allowed, allowed_at_loss)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        merchantId,
        productId,
        b.channel_account_id,
        b.weight,
        b.priority,
        b.min_amount,
        b.max_amount,
        b.daily_limit,
        b.window_start,
        b.window_end,
        b.enabled,
        b.test_account_allowed,
        b.allowed_at_loss,
      ],
    );
  }
}

/** Each part of the costs of a merchant's own bindings of a product at its highest (null: none). */
export async function highestMerchantBoundCost(
  q: Queryable,
  merchantId: bigint,
  productId: bigint,
): Promise<FeeTerms | null> {
  const rows = await q.query<{ rate_ppm: number | null; fixed: bigint | null; minimum: bigint | null }>(
    `SELECT max(r.cost_rate_ppm) AS rate_ppm, max(r.fixed_cost) AS fixed, max(r.minimum_cost) AS minimum
     FROM merchant_product_binding b
     JOIN channel_account_rate r ON r.channel_account_id = b.channel_account_id AND r.product_id = b.product_id
     WHERE b.merchant_id = $1 AND b.product_id = $2`,
    [merchantId, productId],
  );
  const row = rows[0];
  if (!row || row.rate_ppm === null) return null;
  return { ratePpm: row.rate_ppm, fixed: row.fixed ?? 0n, minimum: row.minimum ?? 0n };
}

/** Every channel account without its credentials (lists read often, such as the health badges). */
export function listAccountSummaries(q: Queryable) {
  return q.query<{
    id: bigint;
    name: string;
    channel_code: string;
    channel_name: string;
    enabled: boolean;
    channel_enabled: boolean;
  }>(
    `SELECT a.id, a.name, c.code AS channel_code, c.name AS channel_name, a.enabled, c.enabled AS channel_enabled
     FROM channel_account a JOIN channel c ON c.id = a.channel_id ORDER BY a.id`,
  );
}

// ---------- the recycle bin (recycle/) ----------

/** A row of this domain in the recycle bin: what the bin lists. */
export interface DeletedCatalogRow {
  id: bigint;
  /** The code or number people know it by. */
  key: string;
  name: string;
  /** The channel an account belongs to. */
  owner: string;
  deleted_at: Date;
  deleted_by: bigint | null;
}

export type CatalogTable = 'product' | 'channel' | 'channel_account';

/** Moves a product, channel or channel account to the recycle bin; false when none in use has that id. */
export async function softDeleteCatalogRow(q: Queryable, table: CatalogTable, id: bigint, by: bigint | null) {
  const rows = await q.query(
    `UPDATE ${table} SET deleted_at = now(), deleted_by = $2 WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
    [id, by],
  );
  return rows.length > 0;
}

export async function restoreCatalogRow(q: Queryable, table: CatalogTable, id: bigint) {
  const rows = await q.query(
    `UPDATE ${table} SET deleted_at = NULL, deleted_by = NULL WHERE id = $1 AND deleted_at IS NOT NULL RETURNING id`,
    [id],
  );
  return rows.length > 0;
}

/** A catalog row by id whatever its state, with whether it is deleted (and its channel's, for an account). */
export async function findCatalogRow(q: Queryable, table: CatalogTable, id: bigint) {
  const sql =
    table === 'channel_account'
      ? `SELECT a.id, a.id::text AS key, a.name, a.deleted_at, c.code AS owner, c.deleted_at AS owner_deleted_at
         FROM channel_account a JOIN channel c ON c.id = a.channel_id WHERE a.id = $1`
      : `SELECT id, code AS key, name, deleted_at, '' AS owner, NULL::timestamptz AS owner_deleted_at FROM ${table} WHERE id = $1`;
  const rows = await q.query<{
    id: bigint;
    key: string;
    name: string;
    deleted_at: Date | null;
    owner: string;
    owner_deleted_at: Date | null;
  }>(sql, [id]);
  return rows[0] ?? null;
}

export function deletedCatalogRows(q: Queryable, table: CatalogTable, deletedBefore?: Date) {
  const sql =
    table === 'channel_account'
      ? `SELECT a.id, a.id::text AS key, a.name, c.code AS owner, a.deleted_at, a.deleted_by
         FROM channel_account a JOIN channel c ON c.id = a.channel_id
         WHERE a.deleted_at IS NOT NULL AND ($1::timestamptz IS NULL OR a.deleted_at < $1) ORDER BY a.deleted_at DESC`
      : `SELECT id, code AS key, name, '' AS owner, deleted_at, deleted_by FROM ${table}
         WHERE deleted_at IS NOT NULL AND ($1::timestamptz IS NULL OR deleted_at < $1) ORDER BY deleted_at DESC`;
  return q.query<DeletedCatalogRow>(sql, [deletedBefore ?? null]);
}

/**
 * Removes a deleted catalog row for good with its own configuration (a product's merchant rates,
 * costs and bindings; an account's costs and bindings). The caller has checked that no money refers
 * to it; anything else that still does makes the foreign keys refuse (the caller's transaction).
 */
export async function purgeCatalogRow(q: Queryable, table: CatalogTable, id: bigint): Promise<boolean> {
  if (table === 'product') {
    await q.query('DELETE FROM product_binding WHERE product_id = $1', [id]);
    await q.query('DELETE FROM channel_account_rate WHERE product_id = $1', [id]);
    await q.query('DELETE FROM merchant_product WHERE product_id = $1', [id]);
  }
  if (table === 'channel_account') {
    await q.query('DELETE FROM product_binding WHERE channel_account_id = $1', [id]);
    await q.query('DELETE FROM channel_account_rate WHERE channel_account_id = $1', [id]);
  }
  const rows = await q.query(`DELETE FROM ${table} WHERE id = $1 AND deleted_at IS NOT NULL RETURNING id`, [
    id,
  ]);
  return rows.length > 0;
}

/** The ids of a channel's accounts, deleted or not. */
export async function accountIdsOfChannel(q: Queryable, channelId: bigint): Promise<bigint[]> {
  const rows = await q.query<{ id: bigint }>('SELECT id FROM channel_account WHERE channel_id = $1', [
    channelId,
  ]);
  return rows.map((r) => r.id);
}

export async function productIdByCode(q: Queryable, code: string): Promise<bigint | null> {
  return (await q.query<{ id: bigint }>('SELECT id FROM product WHERE code = $1', [code]))[0]?.id ?? null;
}

export async function channelIdByCode(q: Queryable, code: string): Promise<bigint | null> {
  return (await q.query<{ id: bigint }>('SELECT id FROM channel WHERE code = $1', [code]))[0]?.id ?? null;
}
