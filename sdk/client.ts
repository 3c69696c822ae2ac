import { type SigningKey, signRequest } from './signing.ts';

export type OrderState =
  | 'created'
  | 'paying'
  | 'paid'
  | 'failed'
  | 'closed'
  | 'partially_refunded'
  | 'refunded';

export interface CreateOrderRequest {
  mchOrderNo: string;
  productCode: string;
  /** Minor units (fen): 100 = ¥1.00. */
  amount: number;
  currency?: string;
  subject: string;
  body?: string;
  notifyUrl?: string;
  returnUrl?: string;
  clientIp?: string;
  expireSeconds?: number;
  /** Your own data, echoed back. `extra.authCode`: the customer's pay code you scanned (B扫C). */
  extra?: Record<string, unknown>;
}

export interface PayData {
  type: 'qr' | 'url' | 'form' | 'none';
  value: string;
}

export interface Order {
  orderNo: string;
  mchOrderNo: string;
  productCode: string;
  state: OrderState;
  amount: number;
  currency: string;
  fee: number;
  /** Refunded or being refunded (pending refunds included), in minor units. */
  refundedAmount: number;
  subject: string;
  /** The hosted cashier page for the payer; it ends with a token bound to the order: use it as given. */
  cashierUrl: string;
  payData: PayData | null;
  channelOrderNo: string | null;
  paidAt: string | null;
  closedAt: string | null;
  expiresAt: string;
  createdAt: string;
  failure: { code: string; message: string } | null;
  extra: Record<string, unknown> | null;
}

/** The body of an `order.paid` (and later) notify. */
export interface OrderNotify {
  event: string;
  orderNo: string;
  mchOrderNo: string;
  state: OrderState;
  amount: number;
  currency: string;
  fee: number;
  channelOrderNo: string | null;
  paidAt: string | null;
  extra: Record<string, unknown> | null;
}

export interface CreateRefundRequest {
  /** The order to refund, by the platform's number or the merchant's (at least one). */
  orderNo?: string;
  mchOrderNo?: string;
  /** The merchant's refund number: unique per app, the idempotency key. */
  mchRefundNo: string;
  /** Minor units (fen), at most what is left to refund of the order. */
  amount: number;
  reason?: string;
  /** Where refund.succeeded / refund.failed go; defaults to the order's notify URL. */
  notifyUrl?: string;
}

export type RefundState = 'pending' | 'succeeded' | 'failed';

export interface Refund {
  refundNo: string;
  mchRefundNo: string;
  orderNo: string;
  mchOrderNo: string;
  state: RefundState;
  amount: number;
  currency: string;
  /** The part of the order's fee given back with this refund (0 when the product keeps the fee). */
  feeRefund: number;
  reason: string | null;
  channelRefundNo: string | null;
  createdAt: string;
  succeededAt: string | null;
  failedAt: string | null;
  failure: { code: string; message: string } | null;
}

/** The body of a `refund.succeeded` / `refund.failed` notify. */
export interface RefundNotify extends Refund {
  event: 'refund.succeeded' | 'refund.failed';
}

/** The merchant's balances in minor units (fen); `settledByChannel` only in direct mode. */
export interface Balance {
  currency: string;
  mode: 'platform' | 'direct';
  pending: number;
  available: number;
  frozen: number;
  reserved: number;
  settledByChannel?: number;
}

/** A statement to download: a finished day (txt or xlsx, default txt) or a finished month (xlsx). */
export interface StatementRequest {
  date?: string;
  month?: string;
  format?: 'txt' | 'xlsx';
}

export type WithdrawalState = 'reviewing' | 'approved' | 'submitted' | 'succeeded' | 'failed' | 'rejected';

export interface CreateWithdrawalRequest {
  /** Your withdrawal number: a retry with the same body returns the same withdrawal. */
  mchWithdrawNo: string;
  /** Minor units (fen) leaving the available balance; amount − fee reaches the card. */
  amount: number;
  /** A bound, active bank card (the portal lists them); the default card when left out. */
  cardId?: string;
  notifyUrl?: string;
}

export interface Withdrawal {
  withdrawNo: string;
  mchWithdrawNo: string;
  state: WithdrawalState;
  amount: number;
  fee: number;
  /** amount − fee: what reaches the card. */
  arrivalAmount: number;
  currency: string;
  card: { bankName: string; accountNoMasked: string };
  /** Why it was rejected or failed. */
  reason: string | null;
  createdAt: string;
  reviewedAt: string | null;
  submittedAt: string | null;
  paidAt: string | null;
  failedAt: string | null;
}

/** The body of a `withdrawal.succeeded` / `withdrawal.failed` notify. */
export interface WithdrawalNotify extends Withdrawal {
  eventType: 'withdrawal.succeeded' | 'withdrawal.failed';
}

export class QingyunApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'QingyunApiError';
  }
}

/** A third-party payout (代付): `amount` goes to the payee, `amount + fee` leaves the available balance. */
export interface CreatePayoutRequest {
  /** Your payout number: a retry with the same number and body returns the same payout. */
  mchPayoutNo: string;
  /** Minor units (fen) paid to the payee. */
  amount: number;
  payee: {
    name: string;
    /** 8–32 digits. */
    accountNo: string;
    bankName: string;
    bankBranch?: string;
    type?: 'personal' | 'corporate';
  };
  remark?: string;
  notifyUrl?: string;
}

export type PayoutState = 'pending' | 'submitted' | 'succeeded' | 'failed';

export interface Payout {
  payoutNo: string;
  mchPayoutNo: string | null;
  state: PayoutState;
  amount: number;
  fee: number;
  currency: string;
  /** The account number is shown masked (its last four digits). */
  payee: { name: string; accountNoMasked: string; bankName: string };
  /** Why it failed, when it did. */
  reason: string | null;
  createdAt: string;
  submittedAt: string | null;
  paidAt: string | null;
  failedAt: string | null;
}

/** The body of a `payout.succeeded` / `payout.failed` notify. */
export interface PayoutNotify extends Payout {
  eventType: 'payout.succeeded' | 'payout.failed';
}

export interface ClientOptions {
  baseUrl: string;
  mchNo: string;
  appId: string;
  key: SigningKey;
}

/** A typed client for the merchant API: every request signed, every error a QingyunApiError. */
export class QingyunClient {
  constructor(private readonly options: ClientOptions) {}

  createOrder(request: CreateOrderRequest): Promise<Order> {
    return this.call<Order>('POST', '/api/v1/orders', request);
  }

  getOrder(orderNo: string): Promise<Order> {
    return this.call<Order>('GET', `/api/v1/orders/${encodeURIComponent(orderNo)}`);
  }

  getOrderByMchOrderNo(mchOrderNo: string): Promise<Order> {
    return this.call<Order>('GET', `/api/v1/orders?mchOrderNo=${encodeURIComponent(mchOrderNo)}`);
  }

  closeOrder(orderNo: string): Promise<Order> {
    return this.call<Order>('POST', `/api/v1/orders/${encodeURIComponent(orderNo)}/close`, {});
  }

  /** Cancels (撤销) an auth-code payment the customer has not confirmed. */
  cancelOrder(orderNo: string): Promise<Order> {
    return this.call<Order>('POST', `/api/v1/orders/${encodeURIComponent(orderNo)}/cancel`, {});
  }

  /** Asks the platform to query the channel now ("I paid but it still says in progress"). */
  syncOrder(orderNo: string): Promise<Order> {
    return this.call<Order>('POST', `/api/v1/orders/${encodeURIComponent(orderNo)}/sync`, {});
  }

  /** Refunds part or all of a paid order; a same-body retry returns the same refund. */
  createRefund(request: CreateRefundRequest): Promise<Refund> {
    return this.call<Refund>('POST', '/api/v1/refunds', request);
  }

  getRefund(refundNo: string): Promise<Refund> {
    return this.call<Refund>('GET', `/api/v1/refunds/${encodeURIComponent(refundNo)}`);
  }

  getRefundByMchRefundNo(mchRefundNo: string): Promise<Refund> {
    return this.call<Refund>('GET', `/api/v1/refunds?mchRefundNo=${encodeURIComponent(mchRefundNo)}`);
  }

  /** GET /api/v1/balance: pending, available, frozen and reserved balances. */
  getBalance(): Promise<Balance> {
    return this.call<Balance>('GET', '/api/v1/balance');
  }

  /** Withdraws from the available balance to a bound bank card; a same-body retry returns the same withdrawal. */
  createWithdrawal(request: CreateWithdrawalRequest): Promise<Withdrawal> {
    return this.call<Withdrawal>('POST', '/api/v1/withdrawals', request);
  }

  getWithdrawal(withdrawNo: string): Promise<Withdrawal> {
    return this.call<Withdrawal>('GET', `/api/v1/withdrawals/${encodeURIComponent(withdrawNo)}`);
  }

  getWithdrawalByMchNo(mchWithdrawNo: string): Promise<Withdrawal> {
    return this.call<Withdrawal>(
      'GET',
      `/api/v1/withdrawals?mchWithdrawNo=${encodeURIComponent(mchWithdrawNo)}`,
    );
  }

  /** Pays out from the available balance to a bank account (代付); a same-body retry returns the same payout. */
  createPayout(request: CreatePayoutRequest): Promise<Payout> {
    return this.call<Payout>('POST', '/api/v1/payouts', request);
  }

  getPayout(payoutNo: string): Promise<Payout> {
    return this.call<Payout>('GET', `/api/v1/payouts/${encodeURIComponent(payoutNo)}`);
  }

  getPayoutByMchNo(mchPayoutNo: string): Promise<Payout> {
    return this.call<Payout>('GET', `/api/v1/payouts?mchPayoutNo=${encodeURIComponent(mchPayoutNo)}`);
  }

  /**
   * GET /api/v1/statements: the merchant's statement file (对账单) of a finished day (`date`,
   * YYYY-MM-DD, `txt` or `xlsx`) or month (`month`, YYYY-MM, `xlsx`), as its bytes.
   */
  async getStatement(request: StatementRequest): Promise<Uint8Array> {
    const query = new URLSearchParams();
    if (request.date) query.set('date', request.date);
    if (request.month) query.set('month', request.month);
    query.set('format', request.format ?? (request.month ? 'xlsx' : 'txt'));
    const response = await this.send('GET', `/api/v1/statements?${query.toString()}`, '');
    if (!response.ok) throw await apiError(response);
    return new Uint8Array(await response.arrayBuffer());
  }

  /** Sends one signed request; returns the parsed body or throws QingyunApiError. */
  async call<T>(method: string, pathWithQuery: string, payload?: unknown): Promise<T> {
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const response = await this.send(method, pathWithQuery, body);
    if (!response.ok) throw await apiError(response);
    const text = await response.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  private send(method: string, pathWithQuery: string, body: string): Promise<Response> {
    const headers = signRequest({
      method,
      pathWithQuery,
      body,
      mchNo: this.options.mchNo,
      appId: this.options.appId,
      key: this.options.key,
    });
    if (body) headers['content-type'] = 'application/json';
    return fetch(new URL(pathWithQuery, this.options.baseUrl), {
      method,
      headers,
      body: body || undefined,
    });
  }
}

/** The error an unsuccessful answer carries. */
async function apiError(response: Response): Promise<QingyunApiError> {
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = {};
  }
  return new QingyunApiError(
    response.status,
    String(parsed.code ?? 'HTTP_ERROR'),
    String(parsed.message ?? text),
    parsed.requestId as string | undefined,
  );
}
