import type { CatalogService } from '../catalog/service.ts';
import type { ChannelGateway } from '../channels/gateway.ts';
import type { CreatePaymentRequest, PayWay } from '../channels/types.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { NotifyService } from '../notify/service.ts';
import type { RouteHealth } from '../routing/route.ts';
import type { OrderNumberRule } from '../settings/platform.ts';
import type { OrderTerms } from '../splits/terms.ts';
import type { CashierLinks } from './cashier-link.ts';
import type { CloseAndSync } from './close-sync.ts';
import type { ConfirmPayments } from './confirm.ts';
import type { CreateOrders } from './create.ts';
import type { AgentChainLevel } from './profit.ts';
import type { OrderRow } from './queries.ts';
import * as queries from './queries.ts';
import type { StrandedOrders } from './resume.ts';
import type { Sweeps } from './sweeps.ts';

export interface OrderOptions {
  publicUrl: () => string;
  /** Signs and checks the token in cashier links. */
  cashierLinks: CashierLinks;
  /** The business's clock for routing windows and daily limits. */
  timeZone: string;
  /** Waits between scheduled queries of a paying order (PAY-7); the last one repeats until expiry. */
  queryScheduleSeconds: number[];
  /** The order-number rule in force (支付配置, cached); today's P + yyMMddHHmmss + 8 digits when not given. */
  orderNumberRule?: () => Promise<OrderNumberRule>;
  log: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
  /** The merchant's settlement mode (cached by the settlement terms book); platform when not given. */
  settlementModeOf?: (merchantId: bigint) => Promise<'platform' | 'direct'>;
  /** The merchant's agent chain for a product, top agent first (agents.chainFor); none when not given. */
  agentChainOf?: (merchantId: bigint, product: { id: bigint; code: string }) => Promise<AgentChainLevel[]>;
  /** Where the consoles' lists and their exports read: a streaming replica when there is one (src/db/read-replica.ts). */
  reads?: Queryable;
  /** The channel accounts' health (health domain, cached per node); every account healthy when not given. */
  routeHealth?: () => Promise<ReadonlyMap<string, RouteHealth>>;
  /** Marketplace terms of orders (payee, split rule, escrow, recharge: src/splits); refused when not given. */
  marketplace?: MarketplaceHooks;
}

/** What orders ask the splits domain: check and keep an order's terms, and split its payment. */
export type MarketplaceHooks = Pick<
  OrderTerms,
  'prepareTerms' | 'openTermsAccounts' | 'insertTerms' | 'paymentTermsOf' | 'paymentLegs'
>;

/** What every step of an order works with: the database, the other domains and the options. */
export interface OrderContext {
  db: Db;
  catalog: CatalogService;
  channels: ChannelGateway;
  ledger: LedgerService;
  notify: NotifyService;
  options: OrderOptions;
}

/**
 * The business steps of an order, one file each. They call one another (an acceptance may be a
 * payment, a close may find the order paid, a sweep closes), so each gets this one set; OrderService
 * builds it and is the face other domains use.
 */
export interface OrderSteps {
  create: CreateOrders;
  confirm: ConfirmPayments;
  closeSync: CloseAndSync;
  sweeps: Sweeps;
  stranded: StrandedOrders;
}

/** How many times a racing transition is re-read before giving up (each re-read sees a newer state). */
export const MAX_TRANSITION_RETRIES = 5;

export async function requireByOrderNo(db: Db, orderNo: string): Promise<OrderRow> {
  const order = await queries.findByOrderNo(db, orderNo);
  if (!order) throw new AppError('NOT_FOUND', `order ${orderNo} not found`);
  return order;
}

/** Records something an operator must look at on the order's timeline, flagged as an alert. */
export function raiseAlert(db: Db, orderId: bigint, kind: string, detail: object) {
  return queries.insertEvent(db, orderId, kind, detail, true);
}

/** The customer's auth code of a B扫C order (`extra.authCode`), or null for every other order. */
export function authCodeOf(order: Pick<OrderRow, 'extra'>): string | null {
  const code = order.extra?.authCode;
  return typeof code === 'string' ? code : null;
}

/** The pay way of an order's product (cached by the catalog), which picks the channel's method. */
export async function payWayOf(
  catalog: CatalogService,
  order: Pick<OrderRow, 'product_code'>,
): Promise<PayWay> {
  const product = await catalog.productByCode(order.product_code);
  if (!product) throw new AppError('PRODUCT_NOT_FOUND', `product ${order.product_code} not found`);
  return product.pay_way;
}

/** The channel's create call for an order: the channel knows the order by its number, so a repeat is the same payment. */
export function paymentRequestOf(order: OrderRow, payWay: PayWay): CreatePaymentRequest {
  const payerId = order.extra?.openid;
  return {
    orderNo: order.order_no,
    payWay,
    payerId: typeof payerId === 'string' ? payerId : null,
    amount: order.amount,
    currency: order.currency,
    subject: order.subject,
    body: order.body,
    clientIp: order.client_ip,
    expiresAt: order.expires_at,
    returnUrl: order.return_url,
    extra: order.extra,
    authCode: authCodeOf(order),
  };
}
