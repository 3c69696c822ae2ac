import type { OrderState } from '../shell/orderStates.ts';
import type { RefundView } from '../shell/refunds.tsx';
import type { ListPage as List } from '../shell/tablePage.ts';

export { isOpenState, isPaidState, ORDER_STATES, type OrderState } from '../shell/orderStates.ts';
export type { ListPage as List } from '../shell/tablePage.ts';
export type { RefundView };

// Shapes of the merchant portal API (docs/console-api.md, "Merchant portal"). Money is integer minor
// units (fen), rates integer ppm, times ISO 8601 strings.

export interface PayData {
  type: 'qr' | 'url' | 'form' | 'none' | string;
  value: string;
}

export interface MerchantOrder {
  orderNo: string;
  mchOrderNo: string;
  productCode: string;
  productName?: string;
  state: OrderState;
  amount: number;
  currency: string;
  fee: number;
  subject: string;
  cashierUrl?: string;
  payData?: PayData | null;
  channelOrderNo: string | null;
  paidAt: string | null;
  closedAt: string | null;
  expiresAt: string;
  createdAt: string;
  /** `reason`: a word the console translates (errors:orderFailure); code and message are the channel's. */
  failure?: { code: string; message: string; reason?: string | null } | null;
  /** api | portal | static_qr | console_test */
  source?: string;
  /** The static QR's name, for an order a payer placed through one. */
  collectCodeName?: string | null;
  test?: boolean;
  appId?: string;
  /** The console user who placed it (a cashier's collection), when the server says. */
  createdBy?: { id?: string; username?: string; displayName?: string } | string | null;
  notifyState?: string;
  merchantRatePpm?: number;
  manualCompletion?: { at: string } | null;
  /** The merchant's own data; `extra.authCode` marks a payment by the customer's pay code (B扫C). */
  extra?: Record<string, unknown> | null;
}

export interface OrderEvent {
  kind: string;
  detail: Record<string, unknown> | null;
  alert?: boolean;
  at: string;
}

export interface OrderDetail extends MerchantOrder {
  events?: OrderEvent[];
  /** Given back or reserved for refunds (pending included), minor units. */
  refundedAmount?: number;
  refunds?: RefundView[];
}

/** Lists answer `{ items, total }`; a few short ones may answer a bare array. Both read the same here. */
export function asList<T>(answer: List<T> | T[] | null | undefined): List<T> {
  if (!answer) return { items: [], total: 0 };
  if (Array.isArray(answer)) return { items: answer, total: answer.length };
  return { items: answer.items ?? [], total: answer.total ?? answer.items?.length ?? 0 };
}

export interface DashboardFigures {
  paidAmount: number;
  paidCount: number;
  orderCount: number;
  /** Orders still within their payment time: not in the success rate. */
  pendingCount?: number;
  /** Paid ÷ orders with an outcome (pending ones left out), 0..1. */
  successRate?: number;
  income: number;
  /** Refunded today (of orders of any day). */
  refundedAmount?: number;
}

export interface Dashboard {
  /** The platform's today (YYYY-MM-DD, its time zone). */
  date?: string;
  today: DashboardFigures;
  /** Every day of the asked range (default the last 90 days). */
  trend: {
    date: string;
    paidAmount: number;
    paidCount: number;
    refundedAmount?: number;
    withdrawnAmount?: number;
  }[];
  hourly: { hour: number; paidAmount: number; paidCount: number }[];
  /** The figures count test orders (asked with includeTest). */
  includesTest?: boolean;
  /** Today's test orders, counted or not. */
  testOrderCount?: number;
  /** The platform has only test channel accounts (the demo). */
  testDataOnly?: boolean;
}

export interface Product {
  productCode: string;
  productName: string;
  ratePpm: number;
  minAmount: number;
  maxAmount: number;
  currency: string;
  /** False while no channel is bound to the product: it takes no orders. */
  channelBound?: boolean;
}

export interface CollectAnswer {
  order: MerchantOrder;
  payData: PayData | null;
  cashierUrl: string;
  /** The cashier link is on a loopback or private address: phones cannot open it. */
  privateUrl?: boolean;
}

export interface MerchantAppInfo {
  appId: string;
  /** The merchant's number (商户号), sent with every signed request. */
  mchNo: string;
  name: string;
  state: string;
  notifyUrl: string | null;
  ipAllowlist: string[];
  notifySignType: string;
  /** The request sign types the app accepts: both, or only one. */
  acceptedSignType: 'both' | 'HMAC-SHA256' | 'RSA-SHA256';
  hasMerchantPublicKey: boolean;
  platformPublicKey?: string | null;
  /** While the secret the last rotation replaced still signs requests: when it stops. */
  oldKeyExpiresAt?: string | null;
  /** The API the app speaks: ours, or Jeepay's or epay's (MD5). */
  protocol?: 'qingyun' | 'jeepay' | 'epay';
  /** Jeepay wayCodes / epay types → product codes. */
  protocolProducts?: Record<string, string>;
  /** The pid an epay plugin sends, once the app has spoken epay. */
  epayPid?: string | null;
  createdAt: string;
}

export interface CashierUser {
  id: string;
  username: string;
  displayName: string;
  email?: string;
  enabled: boolean;
  merchantRole?: 'manager' | 'cashier';
  totpEnabled?: boolean;
  mustChangePassword?: boolean;
  lockedUntil?: string | null;
  lastLoginAt?: string | null;
  createdAt: string;
}

/** A static QR code (收款码) of the merchant portal (docs/console-api.md, "Static QR codes"). */
export interface CollectCode {
  id: string;
  /** The random code: the last segment of `url`. */
  code: string;
  /** What the QR holds: the payer page `/pay/{code}`. */
  url: string;
  /** `url` is on a loopback or private address: phones cannot open it. */
  privateUrl?: boolean;
  name: string;
  appId: string;
  cashier: { id: string; username: string; displayName: string; enabled: boolean } | null;
  /** The methods in display order; `available` is false when the merchant may no longer sell it. */
  products: { productCode: string; productName: string; available: boolean }[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}
