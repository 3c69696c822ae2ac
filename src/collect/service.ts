import { randomBytes } from 'node:crypto';
import type { ConsoleUserService } from '../auth/console-users.ts';
import type { ProductRow } from '../catalog/queries.ts';
import type { CatalogService } from '../catalog/service.ts';
import type { Db } from '../db/index.ts';
import { AppError, isUniqueViolation } from '../errors.ts';
import type { MerchantService } from '../merchants/service.ts';
import { toJsonAmount } from '../money/money.ts';
import type { OrderRow } from '../orders/queries.ts';
import type { OrderService } from '../orders/service.ts';
import { isPrivateUrl } from '../public-url.ts';
import { parseYuanText } from './amount.ts';
import { type PosterMethod, type PosterSize, posterPdf, qrPng, walletOf } from './printables.ts';
import type { CollectCodeRow } from './queries.ts';
import * as queries from './queries.ts';

export type { CollectCodeRow };

/**
 * Static merchant QR codes (收款码, PAY-8 and MP-6). A store manager opens a code per store counter
 * or cashier; the payer scans it, types the amount and picks a method on `/pay/{code}`, and the
 * order is placed on the code's app with the code (and its cashier) as its origin.
 */

/** Codes are 20 characters of RFC 4648 base32 in lower case: 100 random bits, short enough for a clean QR. */
const CODE_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const CODE_LENGTH = 20;
export const CODE_PATTERN = /^[a-z2-7]{20}$/;
/** The payer form's one-time token: the same alphabet and length; it becomes the merchant order number. */
export const FORM_TOKEN_PATTERN = CODE_PATTERN;
/** Merchant order numbers of static QR orders: this prefix and the form token. */
export const STATIC_QR_ORDER_PREFIX = 'SQR';
export const MAX_CODES_PER_MERCHANT = 1_000;
export const MAX_PRODUCTS_PER_CODE = 16;
export const NAME_MAX_LENGTH = 64;
const MAX_CODE_ATTEMPTS = 5;

/** 20 base32 characters from the CSPRNG; unbiased because 256 is a multiple of 32. */
export function randomCode(): string {
  let out = '';
  for (const byte of randomBytes(CODE_LENGTH)) out += CODE_ALPHABET[byte & 31];
  return out;
}

/** Whose codes a portal user may see: its merchant's, and for a cashier only those assigned to it. */
export interface CollectScope {
  merchantId: bigint;
  cashierUserId: bigint | null;
}

export interface CollectCodeInput {
  name: string;
  /** The app the orders are placed on; the merchant's first enabled app when left out. */
  appId?: string;
  cashierUserId?: bigint | null;
  productCodes: string[];
}

/** A method the payer may pick: a product of the code that the merchant may still sell. */
export interface PayerMethod {
  productCode: string;
  name: string;
  /** The wallet's name (支付宝, 微信…) when the product is paid with one. */
  wallet: string | null;
  currency: string;
  minAmount: bigint;
  maxAmount: bigint;
}

/** What the payer page shows for an enabled code. */
export interface PayerContext {
  code: CollectCodeRow;
  merchantName: string;
  currency: string;
  methods: PayerMethod[];
}

/** The payer's form as posted: every field is text, any of them may be missing. */
export interface PayerForm {
  amount?: string;
  method?: string;
  token?: string;
}

export interface CollectOptions {
  /** The platform's public base URL: the codes' QR points at `${publicUrl}/pay/{code}`. */
  publicUrl: () => string;
}

export class CollectService {
  constructor(
    private readonly db: Db,
    private readonly merchants: MerchantService,
    private readonly catalog: CatalogService,
    private readonly consoleUsers: ConsoleUserService,
    private readonly orders: OrderService,
    private readonly options: CollectOptions,
  ) {}

  /** The address the code's QR holds. */
  urlOf(code: string): string {
    return `${this.options.publicUrl()}/pay/${code}`;
  }

  // ---------- the portal: manage codes ----------

  async list(
    scope: CollectScope,
    filter: { enabled?: boolean; search?: string; limit: number; offset: number },
  ) {
    const rows = await queries.listCollectCodes(this.db, { ...scope, ...filter });
    return { total: Number(rows[0]?.total ?? 0n), items: await this.views(rows) };
  }

  /** A code the scope may see, or NOT_FOUND: another merchant's (or another cashier's) code is not found. */
  async get(scope: CollectScope, id: bigint): Promise<CollectCodeRow> {
    const row = await queries.findScoped(this.db, id, scope);
    if (!row) throw new AppError('NOT_FOUND', `collect code ${id} not found`);
    return row;
  }

  async create(
    merchantId: bigint,
    createdByUserId: bigint,
    input: CollectCodeInput,
  ): Promise<CollectCodeRow> {
    const name = requireName(input.name);
    const appId = await this.requireApp(merchantId, input.appId);
    const cashierUserId =
      input.cashierUserId == null ? null : await this.requireCashier(merchantId, input.cashierUserId);
    const productCodes = await this.requireProducts(merchantId, input.productCodes);
    if ((await queries.countOfMerchant(this.db, merchantId)) >= MAX_CODES_PER_MERCHANT) {
      throw new AppError(
        'INVALID_REQUEST',
        `a merchant may have at most ${MAX_CODES_PER_MERCHANT} collect codes`,
      );
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return await queries.insertCollectCode(this.db, {
          code: randomCode(),
          merchantId,
          appId,
          name,
          cashierUserId,
          productCodes,
          createdByUserId,
        });
      } catch (error) {
        // 100 random bits do not collide in practice; a bounded retry covers it all the same.
        if (!isUniqueViolation(error) || attempt + 1 >= MAX_CODE_ATTEMPTS) throw error;
      }
    }
  }

  /** Edits the merchant's code; every changed field is checked as at creation. Returns the code before and after. */
  async update(merchantId: bigint, id: bigint, patch: queries.CollectCodePatch) {
    const before = await this.get({ merchantId, cashierUserId: null }, id);
    const checked: queries.CollectCodePatch = {
      name: patch.name === undefined ? undefined : requireName(patch.name),
      appId: patch.appId === undefined ? undefined : await this.requireApp(merchantId, patch.appId),
      cashierUserId:
        patch.cashierUserId === undefined
          ? undefined
          : patch.cashierUserId === null
            ? null
            : await this.requireCashier(merchantId, patch.cashierUserId),
      productCodes:
        patch.productCodes === undefined
          ? undefined
          : await this.requireProducts(merchantId, patch.productCodes),
      enabled: patch.enabled,
    };
    const after = await queries.updateCollectCode(this.db, id, merchantId, checked);
    if (!after) throw new AppError('NOT_FOUND', `collect code ${id} not found`);
    return { before, after };
  }

  /** Code id → name, for orders placed through codes. */
  async namesOf(ids: bigint[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await queries.namesByIds(this.db, ids);
    return new Map(rows.map((r) => [r.id.toString(), r.name]));
  }

  /** Codes as the consoles show them: the cashier's and the products' names, and whether each product is open. */
  async views(rows: CollectCodeRow[]) {
    const cashierIds = [
      ...new Set(rows.flatMap((r) => (r.cashier_user_id === null ? [] : [r.cashier_user_id]))),
    ];
    const productCodes = [...new Set(rows.flatMap((r) => r.product_codes))];
    const [cashiers, products] = await Promise.all([
      Promise.all(cashierIds.map(async (id) => [id, await this.consoleUsers.userRow(id)] as const)),
      Promise.all(productCodes.map(async (code) => [code, await this.catalog.productByCode(code)] as const)),
    ]);
    const cashierById = new Map(cashiers);
    const productByCode = new Map(products);
    const openByMerchant = new Map<bigint, Set<string>>();
    for (const merchantId of new Set(rows.map((r) => r.merchant_id))) {
      openByMerchant.set(merchantId, await this.openProductCodes(merchantId));
    }
    return rows.map((row) => {
      const cashier = row.cashier_user_id === null ? null : cashierById.get(row.cashier_user_id);
      const open = openByMerchant.get(row.merchant_id)!;
      return {
        id: String(row.id),
        code: row.code,
        url: this.urlOf(row.code),
        /** The URL is on a loopback or private address: phones cannot open it (QY_PUBLIC_URL not set to a public one). */
        privateUrl: isPrivateUrl(this.urlOf(row.code)),
        name: row.name,
        appId: row.app_id,
        cashier: cashier
          ? {
              id: String(cashier.id),
              username: cashier.username,
              displayName: cashier.display_name,
              enabled: cashier.enabled,
            }
          : null,
        products: row.product_codes.map((code) => ({
          productCode: code,
          productName: productByCode.get(code)?.name ?? code,
          available: open.has(code),
        })),
        enabled: row.enabled,
        createdAt: row.created_at.toISOString(),
        updatedAt: row.updated_at.toISOString(),
      };
    });
  }

  async qrPng(row: CollectCodeRow, width?: number): Promise<Buffer> {
    return qrPng(this.urlOf(row.code), width);
  }

  async posterPdf(row: CollectCodeRow, size: PosterSize): Promise<Buffer> {
    const merchant = await this.merchants.findMerchantById(row.merchant_id);
    const products = await Promise.all(row.product_codes.map((code) => this.catalog.productByCode(code)));
    const methods: PosterMethod[] = row.product_codes.map((code, i) => {
      const wallet = walletOf(code);
      return { name: wallet ?? products[i]?.name ?? code, wallet: wallet !== null };
    });
    return posterPdf({
      url: this.urlOf(row.code),
      code: row.code,
      merchantName: merchant?.short_name || merchant?.name || '',
      codeName: row.name,
      methods,
      size,
    });
  }

  // ---------- the payer ----------

  /**
   * What the payer page offers for a code: NOT_FOUND for an unknown or disabled code (details.reason
   * says which), MERCHANT_DISABLED / APP_DISABLED when the merchant cannot take orders, and
   * PRODUCT_NOT_AVAILABLE when none of the code's methods is open any more.
   */
  async payerContext(codeText: string): Promise<PayerContext> {
    const code = CODE_PATTERN.test(codeText) ? await queries.findByCode(this.db, codeText) : null;
    if (!code) throw new AppError('NOT_FOUND', 'collect code not found', { reason: 'unknown' });
    if (code.deleted_at)
      throw new AppError('NOT_FOUND', 'this collect code was deleted', { reason: 'deleted' });
    if (!code.enabled)
      throw new AppError('NOT_FOUND', 'this collect code is disabled', { reason: 'disabled' });
    const app = await this.merchants.appKeys(code.app_id);
    if (!app?.merchantEnabled) throw new AppError('MERCHANT_DISABLED', 'the merchant may not take orders');
    if (!app.appEnabled) throw new AppError('APP_DISABLED', 'the merchant may not take orders');
    // Products and rates are read through the catalog's short caches: a busy code costs no query here.
    const methods: PayerMethod[] = [];
    for (const productCode of code.product_codes) {
      const product = await this.catalog.productByCode(productCode);
      if (!product?.enabled) continue;
      const rate = await this.catalog.merchantRate(code.merchant_id, product.id);
      if (rate?.enabled) methods.push(payerMethod(product));
    }
    if (methods.length === 0) {
      throw new AppError('PRODUCT_NOT_AVAILABLE', 'no payment method of this code is open now');
    }
    return { code, merchantName: app.merchantName, currency: methods[0]!.currency, methods };
  }

  /**
   * Places the payer's order: the amount (yuan text → fen, exactly), the method (one of the code's
   * open products) and its limits are checked first, so bad input creates nothing. The form's token
   * is the merchant order number, so a double tap or a resubmitted form is the same request and
   * returns the same order. Refusals carry `details.reason` for the page's words.
   */
  async placeOrder(context: PayerContext, form: PayerForm, clientIp: string): Promise<OrderRow> {
    const { code } = context;
    if (!form.token || !FORM_TOKEN_PATTERN.test(form.token)) {
      throw new AppError('INVALID_REQUEST', 'the form has expired; submit it again', { reason: 'token' });
    }
    const parsed = parseYuanText(form.amount ?? '');
    if (!parsed.ok)
      throw new AppError('INVALID_REQUEST', amountMessage[parsed.reason], { reason: parsed.reason });
    if (!form.method)
      throw new AppError('INVALID_REQUEST', 'pick a payment method', { reason: 'method_missing' });
    const method = context.methods.find((m) => m.productCode === form.method);
    if (!method) {
      throw new AppError(
        'PRODUCT_NOT_AVAILABLE',
        `payment method ${form.method} is not offered by this code`,
        {
          reason: 'method',
        },
      );
    }
    if (parsed.amount < method.minAmount || parsed.amount > method.maxAmount) {
      throw new AppError(
        'AMOUNT_OUT_OF_RANGE',
        `amount must be between ${method.minAmount} and ${method.maxAmount} minor units`,
        { minAmount: toJsonAmount(method.minAmount), maxAmount: toJsonAmount(method.maxAmount) },
      );
    }
    const app = await this.merchants.orderingApp(code.merchant_id, code.app_id);
    const mchOrderNo = `${STATIC_QR_ORDER_PREFIX}${form.token}`;
    let order: OrderRow;
    let created: boolean;
    try {
      ({ order, created } = await this.orders.createOrder(
        app,
        {
          mchOrderNo,
          productCode: method.productCode,
          amount: parsed.amount,
          subject: `${code.name} 收款`,
          clientIp,
        },
        {
          source: 'static_qr',
          createdByUserId: code.cashier_user_id ?? undefined,
          collectCodeId: code.id,
        },
      ));
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'IDEMPOTENCY_CONFLICT') throw error;
      // The same form again, but something around it changed (the payer's network and so its IP,
      // the counter's name): the same code, amount and method are still the same payment.
      const first = await this.orders.getByMchOrderNo(app.appId, mchOrderNo);
      const same =
        first.collect_code_id === code.id &&
        first.amount === parsed.amount &&
        first.product_code === method.productCode;
      if (!same) {
        throw new AppError('IDEMPOTENCY_CONFLICT', 'this form was already submitted with other values', {
          reason: 'resubmitted',
        });
      }
      order = first;
      created = false;
    }
    if (!created && (order.state === 'closed' || order.state === 'failed')) {
      throw new AppError('ORDER_STATE_INVALID', `order ${order.order_no} of this form is ${order.state}`, {
        reason: 'stale',
      });
    }
    if (order.state === 'failed') {
      throw new AppError('CHANNEL_ERROR', 'no payment channel accepted the order; try again', {
        reason: 'channel',
      });
    }
    return order;
  }

  // ---------- checks ----------

  private async requireApp(merchantId: bigint, appId: string | undefined): Promise<string> {
    return (await this.merchants.orderingApp(merchantId, appId)).appId;
  }

  /** A cashier of this merchant, or NOT_FOUND (a manager, another merchant's user or an operator included). */
  private async requireCashier(merchantId: bigint, userId: bigint): Promise<bigint> {
    const row = await this.consoleUsers.userRow(userId);
    const ours =
      row?.area === 'merchant' && row.merchant_role === 'cashier' && row.merchant_id === merchantId;
    if (!row || !ours) throw new AppError('NOT_FOUND', `cashier ${userId} not found`);
    return row.id;
  }

  /**
   * The products, once each in the given order: every one must exist and be enabled
   * (PRODUCT_NOT_FOUND), be open to this merchant (PRODUCT_NOT_AVAILABLE), and share one currency.
   */
  private async requireProducts(merchantId: bigint, codes: string[]): Promise<string[]> {
    const unique = [...new Set(codes.map((c) => c.trim()))];
    if (unique.length === 0 || unique.some((c) => c === '')) {
      throw new AppError('INVALID_REQUEST', 'productCodes: pick at least one payment method', {
        field: 'productCodes',
      });
    }
    if (unique.length > MAX_PRODUCTS_PER_CODE) {
      throw new AppError(
        'INVALID_REQUEST',
        `productCodes: at most ${MAX_PRODUCTS_PER_CODE} payment methods`,
        {
          field: 'productCodes',
        },
      );
    }
    const currencies = new Set<string>();
    for (const code of unique) {
      const product = await this.catalog.productByCode(code);
      if (!product?.enabled) throw new AppError('PRODUCT_NOT_FOUND', `product ${code} not found`);
      const rate = await this.catalog.merchantRate(merchantId, product.id);
      if (!rate?.enabled) {
        throw new AppError('PRODUCT_NOT_AVAILABLE', `product ${code} is not open for this merchant`);
      }
      currencies.add(product.currency);
    }
    if (currencies.size > 1) {
      throw new AppError('INVALID_REQUEST', 'productCodes: the methods of one code must share a currency', {
        field: 'productCodes',
      });
    }
    return unique;
  }

  /** The product codes this merchant may sell now: an enabled rate of an enabled product. */
  private async openProductCodes(merchantId: bigint): Promise<Set<string>> {
    const rates = await this.catalog.listMerchantRates(merchantId);
    const open = new Set<string>();
    for (const rate of rates) {
      if (rate.enabled && (await this.catalog.productByCode(rate.product_code))?.enabled)
        open.add(rate.product_code);
    }
    return open;
  }
}

function requireName(text: string): string {
  const name = text.trim();
  if (name.length === 0 || name.length > NAME_MAX_LENGTH) {
    throw new AppError('INVALID_REQUEST', `name: 1 to ${NAME_MAX_LENGTH} characters`, { field: 'name' });
  }
  return name;
}

function payerMethod(product: ProductRow): PayerMethod {
  return {
    productCode: product.code,
    name: product.name,
    wallet: walletOf(product.code),
    currency: product.currency,
    minAmount: product.min_amount,
    maxAmount: product.max_amount,
  };
}

const amountMessage = {
  empty: 'enter the amount',
  format: 'the amount must be a number of yuan such as 8.80',
  decimals: 'the amount has at most two decimals',
  zero: 'the amount must be greater than zero',
} as const;
