import type { Queryable } from '../db/index.ts';

export interface ProductRow {
  id: bigint;
  code: string;
  name: string;
  currency: string;
  min_amount: bigint;
  max_amount: bigint;
  default_rate_ppm: number;
  enabled: boolean;
  /** Whether a refund gives the merchant the fee back in proportion, or the platform keeps it. */
  fee_refund_mode: FeeRefundMode;
}

export const FEE_REFUND_MODES = ['proportional', 'kept'] as const;
export type FeeRefundMode = (typeof FEE_REFUND_MODES)[number];

export interface ChannelRow {
  id: bigint;
  code: string;
  name: string;
  adapter_code: string;
  enabled: boolean;
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
  },
) {
  const rows = await q.query<ProductRow>(
    `INSERT INTO product (code, name, currency, min_amount, max_amount, default_rate_ppm)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [p.code, p.name, p.currency, p.minAmount, p.maxAmount, p.defaultRatePpm],
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
    enabled?: boolean;
    feeRefundMode?: FeeRefundMode;
  },
) {
  const rows = await q.query<ProductRow>(
    `UPDATE product SET name = COALESCE($2, name), min_amount = COALESCE($3, min_amount),
       max_amount = COALESCE($4, max_amount), default_rate_ppm = COALESCE($5, default_rate_ppm),
       enabled = COALESCE($6, enabled), fee_refund_mode = COALESCE($7, fee_refund_mode)
     WHERE id = $1 RETURNING *`,
    [id, p.name, p.minAmount, p.maxAmount, p.defaultRatePpm, p.enabled, p.feeRefundMode],
  );
  return rows[0] ?? null;
}

export async function findProductByCode(q: Queryable, code: string) {
  return (await q.query<ProductRow>('SELECT * FROM product WHERE code = $1', [code]))[0] ?? null;
}

export function listProducts(q: Queryable) {
  return q.query<ProductRow>('SELECT * FROM product ORDER BY id');
}

export async function upsertMerchantRate(
  q: Queryable,
  merchantId: bigint,
  productId: bigint,
  ratePpm: number,
  enabled: boolean,
) {
  await q.query(
    `INSERT INTO merchant_product (merchant_id, product_id, rate_ppm, enabled) VALUES ($1, $2, $3, $4)
     ON CONFLICT (merchant_id, product_id) DO UPDATE SET rate_ppm = EXCLUDED.rate_ppm, enabled = EXCLUDED.enabled`,
    [merchantId, productId, ratePpm, enabled],
  );
}

export async function findMerchantRate(q: Queryable, merchantId: bigint, productId: bigint) {
  const rows = await q.query<{ rate_ppm: number; enabled: boolean }>(
    'SELECT rate_ppm, enabled FROM merchant_product WHERE merchant_id = $1 AND product_id = $2',
    [merchantId, productId],
  );
  return rows[0] ?? null;
}

export function listMerchantRates(q: Queryable, merchantId: bigint) {
  return q.query<{ product_code: string; product_name: string; rate_ppm: number; enabled: boolean }>(
    `SELECT p.code AS product_code, p.name AS product_name, mp.rate_ppm, mp.enabled
     FROM merchant_product mp JOIN product p ON p.id = mp.product_id WHERE mp.merchant_id = $1 ORDER BY p.id`,
    [merchantId],
  );
}

/** The lowest merchant rate sold for a product: no channel cost may exceed it. */
export async function lowestMerchantRate(q: Queryable, productId: bigint) {
  const rows = await q.query<{ rate_ppm: number | null }>(
    'SELECT min(rate_ppm) AS rate_ppm FROM merchant_product WHERE product_id = $1',
    [productId],
  );
  return rows[0]?.rate_ppm ?? null;
}

/** The highest cost among channel accounts bound to a product: no merchant rate may go below it. */
export async function highestBoundCost(q: Queryable, productId: bigint) {
  const rows = await q.query<{ cost_rate_ppm: number | null }>(
    `SELECT max(r.cost_rate_ppm) AS cost_rate_ppm FROM product_binding b
     JOIN channel_account_rate r ON r.channel_account_id = b.channel_account_id AND r.product_id = b.product_id
     WHERE b.product_id = $1`,
    [productId],
  );
  return rows[0]?.cost_rate_ppm ?? null;
}

export async function insertChannel(q: Queryable, c: { code: string; name: string; adapterCode: string }) {
  const rows = await q.query<ChannelRow>(
    'INSERT INTO channel (code, name, adapter_code) VALUES ($1, $2, $3) RETURNING *',
    [c.code, c.name, c.adapterCode],
  );
  return rows[0]!;
}

export async function findChannelByCode(q: Queryable, code: string) {
  return (await q.query<ChannelRow>('SELECT * FROM channel WHERE code = $1', [code]))[0] ?? null;
}

export function listChannels(q: Queryable) {
  return q.query<ChannelRow>('SELECT * FROM channel ORDER BY id');
}

export async function insertChannelAccount(
  q: Queryable,
  a: {
    channelId: bigint;
    name: string;
    credentialsEnc: string;
    config: Record<string, unknown>;
    testAccount: boolean;
  },
) {
  const rows = await q.query<ChannelAccountRow>(
    `INSERT INTO channel_account (channel_id, name, credentials_enc, config, test_account)
     VALUES ($1, $2, $3, $4::jsonb, $5) RETURNING *`,
    [a.channelId, a.name, a.credentialsEnc, JSON.stringify(a.config), a.testAccount],
  );
  return rows[0]!;
}

export async function updateChannelAccount(
  q: Queryable,
  id: bigint,
  a: { name?: string; credentialsEnc?: string; config?: Record<string, unknown>; enabled?: boolean },
) {
  const rows = await q.query<ChannelAccountRow>(
    `UPDATE channel_account SET name = COALESCE($2, name), credentials_enc = COALESCE($3, credentials_enc),
       config = COALESCE($4::jsonb, config), enabled = COALESCE($5, enabled), updated_at = now()
     WHERE id = $1 RETURNING *`,
    [id, a.name, a.credentialsEnc, a.config ? JSON.stringify(a.config) : null, a.enabled],
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

export function listChannelAccounts(q: Queryable) {
  return q.query<ChannelAccountRow & { channel_code: string; adapter_code: string }>(
    `SELECT a.*, c.code AS channel_code, c.adapter_code FROM channel_account a JOIN channel c ON c.id = a.channel_id ORDER BY a.id`,
  );
}

export async function upsertChannelAccountRate(
  q: Queryable,
  accountId: bigint,
  productId: bigint,
  costRatePpm: number,
) {
  await q.query(
    `INSERT INTO channel_account_rate (channel_account_id, product_id, cost_rate_ppm) VALUES ($1, $2, $3)
     ON CONFLICT (channel_account_id, product_id) DO UPDATE SET cost_rate_ppm = EXCLUDED.cost_rate_ppm`,
    [accountId, productId, costRatePpm],
  );
}

export function listChannelAccountRates(q: Queryable, accountId: bigint) {
  return q.query<{ product_code: string; cost_rate_ppm: number }>(
    `SELECT p.code AS product_code, r.cost_rate_ppm FROM channel_account_rate r JOIN product p ON p.id = r.product_id
     WHERE r.channel_account_id = $1 ORDER BY p.id`,
    [accountId],
  );
}

export async function findChannelAccountRate(q: Queryable, accountId: bigint, productId: bigint) {
  const rows = await q.query<{ cost_rate_ppm: number }>(
    'SELECT cost_rate_ppm FROM channel_account_rate WHERE channel_account_id = $1 AND product_id = $2',
    [accountId, productId],
  );
  return rows[0]?.cost_rate_ppm ?? null;
}

export async function upsertBinding(q: Queryable, b: Omit<BindingRow, 'id'>) {
  const rows = await q.query<BindingRow>(
    `INSERT INTO product_binding (product_id, channel_account_id, weight, priority, min_amount, max_amount, daily_limit,
       window_start, window_end, enabled, test_account_allowed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (product_id, channel_account_id) DO UPDATE SET weight = EXCLUDED.weight, priority = EXCLUDED.priority,
       min_amount = EXCLUDED.min_amount, max_amount = EXCLUDED.max_amount, daily_limit = EXCLUDED.daily_limit,
       window_start = EXCLUDED.window_start, window_end = EXCLUDED.window_end, enabled = EXCLUDED.enabled,
       test_account_allowed = EXCLUDED.test_account_allowed
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
      adapter_code: string;
      account_name: string;
      account_enabled: boolean;
      channel_enabled: boolean;
      account_test: boolean;
    }
  >(
    `SELECT b.*, r.cost_rate_ppm, c.adapter_code, a.name AS account_name, a.enabled AS account_enabled,
            c.enabled AS channel_enabled, a.test_account AS account_test
     FROM product_binding b
     JOIN channel_account a ON a.id = b.channel_account_id
     JOIN channel c ON c.id = a.channel_id
     LEFT JOIN channel_account_rate r ON r.channel_account_id = b.channel_account_id AND r.product_id = b.product_id
     WHERE b.product_id = $1 ORDER BY b.priority DESC, b.id`,
    [productId],
  );
}
