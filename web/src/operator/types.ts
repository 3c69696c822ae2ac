// Shapes of the operator API (docs/console-api.md). Money: integer minor units; rates: ppm.

import type { OrderState } from '../shell/orderStates.ts';
import type { RefundView } from '../shell/refunds.tsx';
import type { ListPage } from '../shell/tablePage.ts';

export { ORDER_STATES, type OrderState } from '../shell/orderStates.ts';
export type { ListPage } from '../shell/tablePage.ts';
export type { RefundView };

/** Some operator lists answer a bare array, others `{ items, total }`; both become an array. */
export function itemsOf<T>(answer: T[] | ListPage<T> | null | undefined): T[] {
  if (!answer) return [];
  return Array.isArray(answer) ? answer : answer.items;
}

export type MerchantState = 'pending' | 'enabled' | 'disabled' | 'rejected';

export interface Merchant {
  mchNo: string;
  name: string;
  shortName: string;
  contact: string;
  state: MerchantState;
  reviewRemark?: string;
  createdAt: string;
}

export type SignType = 'HMAC-SHA256' | 'RSA-SHA256';
/** The request sign types an app accepts. */
export type AcceptedSignType = 'both' | SignType;

export interface MerchantApp {
  appId: string;
  name: string;
  state: 'enabled' | 'disabled';
  notifyUrl: string;
  ipAllowlist: string[];
  notifySignType: SignType;
  acceptedSignType: AcceptedSignType;
  hasMerchantPublicKey: boolean;
  platformPublicKey?: string;
  /** While the secret the last rotation replaced still signs requests: when it stops. */
  oldKeyExpiresAt?: string | null;
  /** The API the app speaks: ours, or Jeepay's or epay's (MD5). */
  protocol?: AppProtocol;
  /** Jeepay wayCodes / epay types → product codes. */
  protocolProducts?: Record<string, string>;
  /** The pid an epay plugin sends, once the app has spoken epay. */
  epayPid?: string | null;
  createdAt: string;
}

export type AppProtocol = 'qingyun' | 'jeepay' | 'epay';

export interface MerchantProductRate {
  productCode: string;
  productName: string;
  currency?: string;
  ratePpm: number;
  fixedFee: number;
  minimumFee: number;
  enabled: boolean;
}

export interface MerchantUser {
  id: string;
  username: string;
  displayName: string;
  email: string;
  merchantRole: 'manager' | 'cashier';
  enabled?: boolean;
  totpEnabled?: boolean;
  lockedUntil?: string | null;
  lastLoginAt?: string | null;
  createdAt?: string;
}

export interface MerchantDetail extends Merchant {
  apps: MerchantApp[];
  products: MerchantProductRate[];
  users?: MerchantUser[];
}

export interface Product {
  code: string;
  name: string;
  currency: string;
  minAmount: number;
  maxAmount: number;
  defaultRatePpm: number;
  /** The default fixed fee and minimum fee per order, in fen (0: none). */
  defaultFixedFee: number;
  defaultMinimumFee: number;
  enabled: boolean;
  /** False while no enabled channel account is bound: the product takes no orders (未绑定通道). */
  channelBound?: boolean;
  /** How the payer pays (Jeepay's way codes); only accounts whose adapter serves it take its orders. */
  payWay: PayWay;
}

/** The pay ways (src/channels/types.ts PAY_WAYS), each with words in the glossary (payWays). */
export const PAY_WAYS = [
  'ALI_QR',
  'ALI_WAP',
  'ALI_PC',
  'ALI_BAR',
  'WX_NATIVE',
  'WX_H5',
  'WX_JSAPI',
  'WX_BAR',
] as const;
export type PayWay = (typeof PAY_WAYS)[number];

/** Words in both languages, from an adapter's declaration. */
export interface Words {
  zh: string;
  en: string;
}

/** One credential field of an adapter, as its channel-account form shows it (src/channels/types.ts). */
export interface CredentialField {
  key: string;
  label: Words;
  /** secret and pem fields are write-only: never sent back, blank on edit keeps the stored value. */
  kind: 'text' | 'secret' | 'pem' | 'url' | 'choice';
  required: boolean;
  help?: Words;
  placeholder?: string;
  choices?: { value: string; label: Words }[];
  /** For url: what a blank field means (the production gateway). */
  defaultValue?: string;
}

export interface Adapter {
  code: string;
  name: string;
  /** A test channel (the sandbox): no real money moves. */
  testChannel: boolean;
  payWays: PayWay[];
  capabilities: { authCode: boolean; refunds: boolean; payouts: boolean; statements: boolean };
  credentialFields: CredentialField[];
}

export interface Channel {
  id: string;
  code: string;
  name: string;
  adapterCode: string;
  enabled?: boolean;
  /** What operators note about the channel (contract, contacts …). */
  remarks?: string;
}

export interface ChannelAccount {
  id: string;
  name: string;
  channelCode: string;
  adapterCode: string;
  enabled: boolean;
  config: Record<string, unknown> | null;
  hasCredentials?: boolean;
  /** The stored non-secret credential fields (app id, merchant id, gateway …); secrets never come back. */
  publicCredentials?: Record<string, string>;
  /** The write-only fields (secrets, keys) that are stored: shown as 已保存. */
  storedSecrets?: string[];
  /** Where the channel must send payment and refund notifies: pasted into the channel's portal. */
  notifyUrl?: string;
  refundNotifyUrl?: string;
  /** An account of a test channel (the sandbox): its orders are test orders. */
  testAccount: boolean;
  /** Payouts (代付) may be routed to this account. */
  payoutEnabled?: boolean;
  rates: { productCode: string; costRatePpm: number; fixedCost: number; minimumCost: number }[];
}

export interface Binding {
  channelAccountId: string;
  accountName: string;
  adapterCode: string;
  costRatePpm: number | null;
  fixedCost: number | null;
  minimumCost: number | null;
  weight: number;
  priority: number;
  minAmount: number | null;
  maxAmount: number | null;
  dailyLimit: number | null;
  windowStart: string | null;
  windowEnd: string | null;
  enabled: boolean;
  /** The account and its channel are enabled. */
  accountEnabled: boolean;
  /** The account is a test account (the sandbox). */
  testAccount: boolean;
  /** An operator confirmed binding this test account (required in production). */
  testAccountAllowed: boolean;
}

export type BindingInput = Omit<
  Binding,
  | 'channelAccountId'
  | 'accountName'
  | 'adapterCode'
  | 'costRatePpm'
  | 'fixedCost'
  | 'minimumCost'
  | 'accountEnabled'
  | 'testAccount'
  | 'testAccountAllowed'
> & {
  /** The explicit confirmation a test account needs to be bound in production. */
  allowTestAccount?: boolean;
};

export interface PayData {
  type: 'qr' | 'url' | 'form' | 'none' | string;
  value: string;
}

export interface ManualCompletion {
  by: string;
  at: string;
  remark: string;
}

export interface OrderRow {
  orderNo: string;
  mchOrderNo: string;
  /** The payer's cashier link, with the order's token (the page is not found without it). */
  cashierUrl: string;
  mchNo: string;
  merchantName: string;
  appId?: string;
  productCode: string;
  productName?: string;
  channelAccountId: string | null;
  channelAccountName?: string | null;
  state: OrderState;
  amount: number;
  currency: string;
  fee: number;
  merchantRatePpm: number;
  channelRatePpm: number | null;
  channelCost: number | null;
  platformProfit: number | null;
  subject: string;
  channelOrderNo: string | null;
  payData?: PayData | null;
  notifyState: 'none' | 'pending' | 'succeeded' | 'failed' | string;
  /** Kinds of alert on the order's timeline (late_payment, refund_outcome_conflict, …). */
  alerts?: string[];
  /** Those of them no operator has acknowledged yet. */
  unacknowledgedAlerts?: string[];
  notifyUrl?: string | null;
  manualCompletion?: ManualCompletion | null;
  source?: 'api' | 'portal' | 'console_test' | 'static_qr' | string;
  /** The static QR's name, for an order a payer placed through one. */
  collectCodeName?: string | null;
  test?: boolean;
  paidAt: string | null;
  closedAt: string | null;
  expiresAt: string;
  createdAt: string;
  /** `reason`: a word the console translates (errors:orderFailure); code and message are the channel's. */
  failure?: { code: string; message: string; reason?: string | null } | null;
  extra?: Record<string, unknown> | null;
}

export interface OrderEvent {
  kind: string;
  detail: Record<string, unknown> | null;
  alert: boolean;
  at: string;
}

export interface NotifyAttempt {
  attempt: number;
  httpStatus: number | null;
  responseBody: string | null;
  error: string | null;
  /** Which step of the delivery failed (errors:deliveryFailure); the raw `error` is for the technical details. */
  errorKind?: string | null;
  durationMs: number | null;
  at: string;
  url?: string;
  eventType?: string;
}

export interface NotifyTask {
  id: string;
  eventType: string;
  url: string;
  state: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  history: NotifyAttempt[];
}

export interface ChannelNotify {
  outcome: string;
  errorCode: string | null;
  rawBody: string;
  at: string;
}

export interface OrderDetail extends OrderRow {
  events: OrderEvent[];
  notify?: { state?: string; url?: string; nextAttemptAt?: string | null; attempts: NotifyAttempt[] } | null;
  notifies?: NotifyTask[];
  channelNotifies?: ChannelNotify[];
  /** Given back or reserved for refunds (pending included), minor units. */
  refundedAmount?: number;
  refunds?: RefundView[];
}

export interface TestOrderResult {
  order: OrderRow;
  payData: PayData | null;
  cashierUrl: string;
  /** The cashier link is on a loopback or private address: phones cannot open it. */
  privateUrl?: boolean;
}

export interface Figures {
  orderCount: number;
  paidCount: number;
  /** Orders still within their payment time: not in the success rate. */
  pendingCount: number;
  paidAmount: number;
  /** Paid ÷ orders with an outcome (pending ones left out), 0..1. */
  successRate: number;
  fee: number;
  channelCost: number;
  profit: number;
  /** What refunds gave back of the paid amount. */
  refundedAmount: number;
  /** Paid amount less refunds. */
  netAmount: number;
  /** What the orders' agents earned of the fee. */
  agentCommission: number;
  /** The platform's profit after refunds and agents' commission. */
  netProfit: number;
}

export type StatsGroup = 'merchant' | 'product' | 'channel';

export interface Stats {
  from: string;
  to: string;
  totals: Figures;
  rows: (Figures & { key: string; name: string })[];
  series: { bucket: string; paidCount: number; paidAmount: number }[];
  /** The figures count test orders (asked with includeTest). */
  includesTest?: boolean;
  /** Test orders placed in the window, counted or not. */
  testOrderCount?: number;
  /** The platform has only test channel accounts (the demo). */
  testDataOnly?: boolean;
}

/** Today's figures of the operator dashboard (the platform's day, its time zone). */
export interface DashboardToday {
  orderCount: number;
  paidCount: number;
  /** Orders still within their payment time: not in the success rate. */
  pendingCount?: number;
  /** 0..1. */
  successRate: number;
  paidAmount: number;
  refundedAmount: number;
  netAmount: number;
  fee: number;
  channelCost: number;
  agentCommission: number;
  profit: number;
  netProfit: number;
}

export interface DashboardTop {
  /** Merchant number, channel account id or agent number. */
  key: string;
  name: string;
  paidAmount: number;
  paidCount: number;
  /** Merchants and channel accounts: paid less refunded. */
  netAmount?: number;
  /** Agents: what they earned today. */
  commission?: number;
}

export interface RateWindow {
  orderCount: number;
  paidCount: number;
  /** 0..1. */
  successRate: number;
}

export interface ChannelRate {
  channelAccountId: string;
  name: string;
  last15: RateWindow;
  last60: RateWindow;
  /** The last 15 minutes do clearly worse than the last hour. */
  falling: boolean;
}

export interface DashboardDay {
  /** YYYY-MM-DD, the platform's calendar. */
  date: string;
  orderCount: number;
  paidCount: number;
  paidAmount: number;
  refundedAmount: number;
  netAmount: number;
  profit: number;
  netProfit: number;
}

/** GET /api/admin/dashboard. */
export interface OperatorDashboard {
  /** The platform's today (YYYY-MM-DD). */
  date: string;
  includesTest: boolean;
  testDataOnly: boolean;
  testOrderCount?: number;
  today: DashboardToday;
  top: { merchants: DashboardTop[]; channels: DashboardTop[]; agents: DashboardTop[] };
  channelRates: ChannelRate[];
  /** Every day of the asked range (default the last 90). */
  trend: DashboardDay[];
  /** Where these figures were read, when the platform has a read replica (DATABASE_READ_URL). */
  readReplica?: ReadReplicaState;
}

export interface ReadReplicaState {
  target: 'replica' | 'primary';
  reason: 'not_checked' | 'replica_down' | 'not_a_replica' | 'lag_too_high' | null;
  lagMs: number | null;
  maxLagMs: number;
}

export interface PermissionDef {
  code: string;
  group: string;
}

export interface Role {
  id: string;
  code: string;
  name: string;
  permissions: string[];
  builtin: boolean;
  userCount: number;
}

export interface Operator {
  id: string;
  username: string;
  displayName: string;
  email: string;
  /** Mobile number for reset codes by SMS ('' = none). */
  phone: string;
  enabled: boolean;
  role: { id: string; code: string; name: string } | null;
  totpEnabled: boolean;
  lockedUntil: string | null;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface AuditEntry {
  id: string;
  createdAt: string;
  actorArea: string;
  actorName: string;
  ip: string;
  /** The route the change came through (a technical detail). */
  action: string;
  /** What happened, as a stable key (web/src/locales/audit.ts). */
  actionKey: string;
  targetType: string;
  targetId: string;
  /** The object's name when the row has one (a login's username, a merchant's name). */
  targetName: string;
  status: number;
  succeeded: boolean;
  before: unknown;
  after: unknown;
}
