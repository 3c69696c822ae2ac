import { randomBytes } from 'node:crypto';
import { type CatalogService, merchantTermsOf, type RoutableBinding } from '../catalog/service.ts';
import type { ChannelGateway } from '../channels/gateway.ts';
import { getAdapter } from '../channels/registry.ts';
import {
  type ChannelAdapter,
  type CreatePaymentResult,
  type InboundNotify,
  type NotifyAck,
  NotifyRejected,
  type ParsedAnyNotify,
  type ParsedNotify,
} from '../channels/types.ts';
import { Batcher } from '../db/batcher.ts';
import type { Db, Queryable } from '../db/index.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { AppError } from '../errors.ts';
import { feeOf } from '../fees/fee.ts';
import { splitFee } from '../fees/split.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { AppKeys } from '../merchants/service.ts';
import type { NotifyService } from '../notify/service.ts';
import { minuteOfDayIn, planRoute } from '../routing/route.ts';
import type { CashierLinks } from './cashier-link.ts';
import type { OrderRow } from './queries.ts';
import * as queries from './queries.ts';
import { mayBeAtChannel, StrandedOrders } from './resume.ts';
import { isLatePayment, isOpen, type OrderState } from './state.ts';
import { hashCreateRequest, notifyBody } from './views.ts';

export interface OrderOptions {
  publicUrl: () => string;
  /** Signs and checks the token in cashier links. */
  cashierLinks: CashierLinks;
  /** The business's clock for routing windows and daily limits. */
  timeZone: string;
  /** Waits between scheduled queries of a paying order (PAY-7); the last one repeats until expiry. */
  queryScheduleSeconds: number[];
  log: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
}

export interface CreateOrderInput {
  mchOrderNo: string;
  productCode: string;
  amount: bigint;
  currency?: string;
  subject: string;
  body?: string;
  notifyUrl?: string;
  returnUrl?: string;
  clientIp?: string;
  expireSeconds?: number;
  extra?: Record<string, unknown>;
}

/**
 * Who placed an order from a console, and how: the merchant portal (a cashier's collect) or the
 * operator test page, which may mark it a test and pin the channel account (routing skipped).
 */
export interface OrderOrigin {
  source: queries.OrderSource;
  createdByUserId?: bigint;
  test?: boolean;
  /** Send the order to this channel account only: it must be bound to the product and enabled. */
  channelAccountId?: bigint;
  /** The static QR (collect code) the payer ordered through. */
  collectCodeId?: bigint;
}

/** An operator's manual completion (补单): who, and why. */
export interface ManualCompletion {
  userId: bigint;
  username: string;
  remark: string;
}

/** The states manual completion may move to paid: the customer's money arrived, the channel did not say so. */
const MANUALLY_COMPLETABLE: readonly OrderState[] = ['paying', 'closed', 'failed'];

export const DEFAULT_EXPIRE_SECONDS = 1800;
/**
 * An auth-code payment the customer has not confirmed by then is closed at the channel (撤销) by
 * the expiry sweep: a customer at the counter confirms within a minute or walks away.
 */
export const AUTH_CODE_EXPIRE_SECONDS = 120;

/**
 * A merchant order number for an order placed from a console (the merchant did not choose one):
 * the prefix, the UTC time to the second and 8 random hex digits, e.g. `TEST250601083000a1b2c3d4`.
 */
export function consoleMchOrderNo(prefix: string): string {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(2, 14);
  return `${prefix}${stamp}${randomBytes(4).toString('hex')}`;
}

/** A created order whose channel call never came back is closed after this long. */
const CREATED_GRACE_MS = 120_000;
const SWEEP_BATCH = 100;
/** A sweep stops taking new orders after this long, well inside its job lease (slow channels). */
const SWEEP_BUDGET_MS = 60_000;
/** An expired order whose channel cannot be reached is tried again after this long. */
const EXPIRY_RETRY_MS = 60_000;
/** …and closed on our side, with an alert, once it has been expired this long. */
const UNCONFIRMED_CLOSE_AFTER_MS = 24 * 60 * 60 * 1000;
/** A paid volume figure may be this old when checking daily limits. */
const USAGE_CACHE_MS = 5_000;
/** Waits between queries of a paying auth-code order: the customer is at the counter, confirming. */
const AUTH_CODE_QUERY_SCHEDULE_SECONDS = [5, 5, 10, 10, 30, 60];
/** How many times a racing transition is re-read before giving up (each re-read sees a newer state). */
const MAX_TRANSITION_RETRIES = 5;

interface OrderKey {
  appId: string;
  mchOrderNo: string;
}
const orderKey = (appId: string, mchOrderNo: string) => `${appId}\n${mchOrderNo}`;

interface OrderToInsert {
  order: queries.NewOrder;
  events: queries.NewOrderEvent[];
}

type Acceptance = Parameters<typeof queries.markPaying>[1][number];

interface PaymentToWrite {
  order: OrderRow;
  confirmation: PaymentConfirmation;
}

/** Batches of the create path: look-ups, inserts and acceptances of concurrent requests. */
const CREATE_BATCH = { maxBatch: 256, maxInFlight: 2 };
/** Payments written in one transaction at most; concurrent batches on separate connections. */
const PAYMENT_BATCH = { maxBatch: 256, maxInFlight: 2 };

export interface PaymentConfirmation {
  channelOrderNo: string | null;
  paidAt: Date | null;
  /** notify | query | manual: where the confirmation came from, for the timeline. */
  source: string;
  /** Set for a manual completion: recorded on the order with the payment, in its transaction. */
  manual?: ManualCompletion;
}

/** Orders: creation with routing and failover, the state machine, payment application, sweeps. */
export class OrderService {
  private readonly usage = new Map<string, { total: bigint; until: number }>();
  private readonly payments = new Batcher<PaymentToWrite, OrderRow | null>(
    (items) => this.writePayments(items),
    PAYMENT_BATCH,
  );
  /** Idempotency look-ups of concurrent creates, read together. */
  private readonly lookups = new Batcher((keys: OrderKey[]) => this.lookUpBatch(keys), CREATE_BATCH);
  /** New orders of concurrent creates, inserted together; null where (app, mchOrderNo) was taken. */
  private readonly inserts = new Batcher((items: OrderToInsert[]) => this.insertBatch(items), CREATE_BATCH);
  /** Orders read by number for concurrent channel notifies, together. */
  private readonly ordersByNo = new Batcher(async (orderNos: string[]) => {
    const rows = await queries.findByOrderNos(this.db, orderNos);
    const byNo = new Map(rows.map((row) => [row.order_no, row]));
    return orderNos.map((no) => byNo.get(no) ?? null);
  }, CREATE_BATCH);
  /** Every inbound channel notify is kept; concurrent ones are written together. */
  private readonly channelNotifyLog = new Batcher(async (notifies: queries.ChannelNotifyRecord[]) => {
    await queries.insertChannelNotifies(this.db, notifies);
    return notifies.map(() => undefined);
  }, CREATE_BATCH);
  /** Channel acceptances recorded together; null where the order moved on meanwhile (paid, closed). */
  private readonly acceptances = new Batcher((items: Acceptance[]) => this.acceptBatch(items), CREATE_BATCH);

  constructor(
    private readonly db: Db,
    private readonly catalog: CatalogService,
    private readonly channels: ChannelGateway,
    private readonly ledger: LedgerService,
    private readonly notify: NotifyService,
    private readonly options: OrderOptions,
  ) {}

  // ---------- create ----------

  /**
   * Creates (or, for a same-body retry, returns) an order. `created` is false for a retry. Orders
   * placed from a console name their origin; the signed API's are `api`.
   */
  async createOrder(
    app: AppKeys,
    input: CreateOrderInput,
    origin: OrderOrigin = { source: 'api' },
  ): Promise<{ order: OrderRow; created: boolean }> {
    const requestHash = hashCreateRequest(input);
    const existing = await this.lookups.submit({ appId: app.appId, mchOrderNo: input.mchOrderNo });
    if (existing) {
      // A retry of an order stranded in created (its acceptance never recorded) carries it on.
      const order = await this.stranded.resumeForRetry(assertSameRequest(existing, requestHash));
      return { order, created: false };
    }

    const product = await this.catalog.productByCode(input.productCode);
    if (!product?.enabled) throw new AppError('PRODUCT_NOT_FOUND', `product ${input.productCode} not found`);
    const rate = await this.catalog.merchantRate(app.merchantId, product.id);
    if (!rate?.enabled) {
      throw new AppError(
        'PRODUCT_NOT_AVAILABLE',
        `product ${input.productCode} is not open for this merchant`,
      );
    }
    const currency = input.currency ?? product.currency;
    if (currency !== product.currency) {
      throw new AppError(
        'CURRENCY_MISMATCH',
        `product ${product.code} is sold in ${product.currency}, not ${currency}`,
      );
    }
    if (input.amount < product.min_amount || input.amount > product.max_amount) {
      throw new AppError(
        'AMOUNT_OUT_OF_RANGE',
        `amount must be between ${product.min_amount} and ${product.max_amount} minor units for ${product.code}`,
      );
    }

    const authCode = authCodeOf({ extra: input.extra ?? null });
    const routed =
      origin.channelAccountId === undefined
        ? await this.planFor(product.id, input.amount)
        : await this.pinnedPlan(product.id, product.code, origin.channelAccountId);
    // A scanned pay code can only go to channels that take one.
    const plan = authCode ? routed.filter((b) => getAdapter(b.adapterCode)?.supportsAuthCode) : routed;
    if (plan.length === 0) {
      const what = authCode ? `pay-code ${product.code}` : product.code;
      throw new AppError('NO_CHANNEL_AVAILABLE', `no channel can take this ${what} order now`);
    }

    const first = plan[0]!;
    const expireSeconds =
      input.expireSeconds ?? (authCode ? AUTH_CODE_EXPIRE_SECONDS : DEFAULT_EXPIRE_SECONDS);
    const inserted = await this.inserts.submit({
      order: {
        merchantId: app.merchantId,
        appId: app.appId,
        mchOrderNo: input.mchOrderNo,
        requestHash,
        productId: product.id,
        productCode: product.code,
        channelAccountId: first.channelAccountId,
        adapterCode: first.adapterCode,
        amount: input.amount,
        currency,
        subject: input.subject,
        body: input.body ?? null,
        merchantRatePpm: rate.rate_ppm,
        channelRatePpm: first.costRatePpm,
        ...splitFee(input.amount, feeOf(input.amount, merchantTermsOf(rate)), first.cost),
        notifyUrl: input.notifyUrl ?? app.notifyUrl,
        returnUrl: input.returnUrl ?? null,
        clientIp: input.clientIp ?? null,
        extra: input.extra ?? null,
        expiresAt: new Date(Date.now() + expireSeconds * 1000),
        source: origin.source,
        createdByUserId: origin.createdByUserId ?? null,
        // An order a test account (the sandbox) takes is a test order: never settled, not in statistics.
        test: (origin.test ?? false) || first.testAccount,
        collectCodeId: origin.collectCodeId ?? null,
      },
      events: [
        {
          kind: 'created',
          detail: { amount: input.amount.toString(), currency, mchOrderNo: input.mchOrderNo },
        },
        {
          kind: 'routed',
          detail: {
            channelAccountId: first.channelAccountId.toString(),
            candidates: plan.length,
            ...(origin.channelAccountId === undefined ? {} : { pinned: true }),
          },
        },
      ],
    });
    if (!inserted) {
      // A concurrent request with the same mchOrderNo won the insert.
      const winner = (await queries.findByAppAndMchOrderNo(this.db, app.appId, input.mchOrderNo))!;
      return { order: assertSameRequest(winner, requestHash), created: false };
    }
    return { order: await this.openAtChannel(inserted, plan, origin.test ?? false), created: true };
  }

  private async lookUpBatch(keys: OrderKey[]): Promise<(OrderRow | null)[]> {
    const rows = await queries.findByAppAndMchOrderNos(this.db, keys);
    const byKey = new Map(rows.map((row) => [orderKey(row.app_id, row.mch_order_no), row]));
    return keys.map((k) => byKey.get(orderKey(k.appId, k.mchOrderNo)) ?? null);
  }

  private async insertBatch(items: OrderToInsert[]): Promise<(OrderRow | null)[]> {
    // Two creates with one mchOrderNo in one batch: only the first is written; the other finds it taken.
    const firsts = new Map<string, OrderToInsert>();
    for (const item of items) {
      const key = orderKey(item.order.appId, item.order.mchOrderNo);
      if (!firsts.has(key)) firsts.set(key, item);
    }
    const rows = await queries.insertOrders(this.db, [...firsts.values()]);
    const byKey = new Map(rows.map((row) => [orderKey(row.app_id, row.mch_order_no), row]));
    return items.map((item) => {
      const key = orderKey(item.order.appId, item.order.mchOrderNo);
      return firsts.get(key) === item ? (byKey.get(key) ?? null) : null;
    });
  }

  /** Created orders whose channel acceptance may never have been recorded (resume.ts). */
  private get stranded(): StrandedOrders {
    return new StrandedOrders(this, this.db, this.channels, this.catalog, {
      log: this.options.log,
      queryScheduleSeconds: this.options.queryScheduleSeconds,
    });
  }

  private async acceptBatch(items: Acceptance[]): Promise<(OrderRow | null)[]> {
    const rows = await queries.markPaying(this.db, items);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return items.map((item) => byId.get(item.id) ?? null);
  }

  /**
   * Opens the payment at the first channel account that accepts it. A refusal or no answer moves
   * the order to the next account of the plan (failover); when none is left the order fails.
   */
  async openAtChannel(
    order: OrderRow,
    plan: RoutableBinding[],
    /** Placed as a test (the operator's test page): a test order whichever account takes it. */
    markedTest = false,
  ): Promise<OrderRow> {
    let current = order;
    const refusals: { channelAccountId: string; code: string; message: string }[] = [];
    for (let i = 0; i < plan.length; i++) {
      const binding = plan[i]!;
      if (i > 0) {
        const rerouted = await this.reroute(current, binding, refusals.at(-1)!, markedTest);
        if (!rerouted) return (await queries.findById(this.db, order.id))!;
        current = rerouted;
      }
      const result = await this.channels.createPayment(binding.channelAccountId, {
        orderNo: current.order_no,
        amount: current.amount,
        currency: current.currency,
        subject: current.subject,
        body: current.body,
        clientIp: current.client_ip,
        expiresAt: current.expires_at,
        returnUrl: current.return_url,
        extra: current.extra,
        authCode: authCodeOf(current),
      });
      if (result.outcome === 'accepted') return this.accepted(current, binding, result);
      if (result.outcome === 'declined') return this.declined(current, binding, result);
      // An auth code the channel may have charged: never offer the same code to another account.
      if (result.outcome === 'unknown' && authCodeOf(current))
        return this.unanswered(current, binding, result);
      refusals.push({
        channelAccountId: binding.channelAccountId.toString(),
        code: result.code,
        message: result.message,
      });
      this.options.log.warn(
        { orderNo: current.order_no, ...refusals.at(-1) },
        'channel did not open the payment',
      );
    }
    const last = refusals.at(-1)!;
    const failed = await queries.transition(
      this.db,
      current.id,
      'created',
      'failed',
      { failureCode: last.code, failureMessage: last.message },
      [
        {
          kind: 'channel_refused',
          detail: { channelAccountId: last.channelAccountId, code: last.code, message: last.message },
        },
        { kind: 'failed', detail: { reason: 'every channel refused', attempts: refusals } },
      ],
    );
    return failed ?? (await queries.findById(this.db, order.id))!;
  }

  /** Records the channel's acceptance: paying with its pay data, or paid when it took an auth code at once. */
  async accepted(
    order: OrderRow,
    binding: RoutableBinding,
    result: Extract<CreatePaymentResult, { outcome: 'accepted' }>,
  ): Promise<OrderRow> {
    const paying = await this.acceptances.submit({
      id: order.id,
      channelAccountId: binding.channelAccountId,
      channelOrderNo: result.channelOrderNo,
      payDataType: result.payData.type,
      payDataValue: result.payData.value,
      nextQueryAt: this.nextQueryAt(0, order),
    });
    // Null: the order moved on (paid by a notify, or closed) while we waited for the channel.
    const now = paying ?? (await queries.findById(this.db, order.id))!;
    if (result.status === 'paid') {
      if (result.amount !== undefined && result.amount !== now.amount) {
        await this.raiseAlert(now.id, 'channel_amount_mismatch', { amount: result.amount.toString() });
        return now;
      }
      // The channel took the customer's money in this call. Recorded even if the order was closed
      // meanwhile (a late payment, with its alert): the money moved.
      const confirmation = { channelOrderNo: result.channelOrderNo, paidAt: result.paidAt ?? null };
      return (await this.confirmPaymentOf(now, { ...confirmation, source: 'channel' })).order;
    }
    if (!paying && !isOpen(now.state) && now.paid_at === null) {
      // Closed while the channel was opening the payment: close it there too, so it cannot be paid.
      const closed = await this.channels.closePayment(binding.channelAccountId, {
        orderNo: now.order_no,
        channelOrderNo: result.channelOrderNo,
      });
      if (closed.outcome === 'paid') await this.syncWithChannel({ ...now, state: 'paying' });
      else if (closed.outcome === 'error') {
        await this.raiseAlert(now.id, 'channel_left_open', { message: closed.message ?? '' });
      }
    }
    return now;
  }

  /**
   * No answer to an auth-code payment: the channel may have taken the money. The order waits at
   * this account (paying, no pay data) and is queried on the auth-code schedule; if the channel
   * never says, it expires and the sweep closes it there (撤销), so the customer is never charged twice.
   */
  private async unanswered(
    order: OrderRow,
    binding: RoutableBinding,
    result: { code: string; message: string },
  ): Promise<OrderRow> {
    const waiting = await queries.transition(
      this.db,
      order.id,
      'created',
      'paying',
      { payDataType: 'none', payDataValue: '', nextQueryAt: this.nextQueryAt(0, order) },
      [
        {
          kind: 'channel_unanswered',
          detail: {
            channelAccountId: binding.channelAccountId.toString(),
            code: result.code,
            message: result.message,
          },
        },
      ],
    );
    return waiting ?? (await queries.findById(this.db, order.id))!;
  }

  /**
   * The customer's side declined an auth-code payment: the order fails here, with the channel's
   * reason, and no other account is tried — the code was used, and the answer is the customer's.
   */
  private async declined(
    order: OrderRow,
    binding: RoutableBinding,
    result: { channelOrderNo: string | null; code: string; message: string },
  ): Promise<OrderRow> {
    const detail = {
      channelAccountId: binding.channelAccountId.toString(),
      code: result.code,
      message: result.message,
    };
    const failed = await queries.transition(
      this.db,
      order.id,
      'created',
      'failed',
      { failureCode: result.code, failureMessage: result.message, channelOrderNo: result.channelOrderNo },
      [
        { kind: 'channel_declined', detail },
        { kind: 'failed', detail: { reason: "the customer's payment was declined", code: result.code } },
      ],
    );
    return failed ?? (await queries.findById(this.db, order.id))!;
  }

  /** Moves a created order to another channel account; its cost and profit follow the new account's rate. */
  reroute(
    order: OrderRow,
    binding: RoutableBinding,
    refusal: { channelAccountId: string; code: string; message: string },
    markedTest: boolean,
  ) {
    // The merchant's fee stays; the cost is the new account's.
    const split = splitFee(order.amount, order.fee, binding.cost);
    return queries.transition(
      this.db,
      order.id,
      'created',
      'created',
      {
        channelAccountId: binding.channelAccountId,
        adapterCode: binding.adapterCode,
        channelRatePpm: binding.costRatePpm,
        fee: split.fee,
        channelCost: split.channelCost,
        platformProfit: split.platformProfit,
        // The test mark follows the account, like cost and profit.
        test: markedTest || binding.testAccount,
      },
      [
        { kind: 'channel_refused', detail: refusal },
        {
          kind: 'rerouted',
          detail: { from: refusal.channelAccountId, to: binding.channelAccountId.toString() },
        },
      ],
    );
  }

  async planFor(productId: bigint, amount: bigint): Promise<RoutableBinding[]> {
    const bindings = await this.catalog.routableBindings(productId);
    if (bindings.length === 0) return [];
    const usedToday = await this.paidToday(
      bindings.filter((b) => b.dailyLimit !== null).map((b) => b.channelAccountId),
    );
    const byId = new Map(bindings.map((b) => [b.channelAccountId.toString(), b]));
    return planRoute({
      amount,
      minuteOfDay: minuteOfDayIn(new Date(), this.options.timeZone),
      candidates: bindings,
      usedToday,
      random: Math.random,
    }).map((c) => byId.get(c.channelAccountId.toString())!);
  }

  /**
   * The one account an operator pinned on the test page: it must be bound to the product, the
   * binding enabled and the account (and its channel) enabled with a cost rate. Amount ranges,
   * daily limits and time windows are not applied: the operator is testing that account.
   */
  private async pinnedPlan(
    productId: bigint,
    productCode: string,
    channelAccountId: bigint,
  ): Promise<RoutableBinding[]> {
    const binding = (await this.catalog.routableBindings(productId)).find(
      (b) => b.channelAccountId === channelAccountId,
    );
    if (!binding?.enabled) {
      throw new AppError(
        'INVALID_REQUEST',
        `channelAccountId: account ${channelAccountId} is not an enabled channel account bound to ${productCode}`,
      );
    }
    return [binding];
  }

  private async paidToday(accountIds: bigint[]): Promise<Map<string, bigint>> {
    const now = Date.now();
    const stale = accountIds.filter((id) => (this.usage.get(id.toString())?.until ?? 0) <= now);
    if (stale.length > 0) {
      const rows = await queries.paidTodayByAccount(this.db, stale, this.options.timeZone);
      const totals = new Map(rows.map((r) => [r.channel_account_id.toString(), r.total]));
      for (const id of stale)
        this.usage.set(id.toString(), {
          total: totals.get(id.toString()) ?? 0n,
          until: now + USAGE_CACHE_MS,
        });
    }
    return new Map(accountIds.map((id) => [id.toString(), this.usage.get(id.toString())!.total]));
  }

  // ---------- read ----------

  async getForMerchant(merchantId: bigint, orderNo: string): Promise<OrderRow> {
    const order = await queries.findByOrderNo(this.db, orderNo);
    // Another merchant's order is "not found", never "forbidden": no hint that it exists.
    if (!order || order.merchant_id !== merchantId)
      throw new AppError('NOT_FOUND', `order ${orderNo} not found`);
    return order;
  }

  async getByMchOrderNo(appId: string, mchOrderNo: string): Promise<OrderRow> {
    const order = await queries.findByAppAndMchOrderNo(this.db, appId, mchOrderNo);
    if (!order) throw new AppError('NOT_FOUND', `order with mchOrderNo ${mchOrderNo} not found`);
    return order;
  }

  async requireByOrderNo(orderNo: string): Promise<OrderRow> {
    const order = await queries.findByOrderNo(this.db, orderNo);
    if (!order) throw new AppError('NOT_FOUND', `order ${orderNo} not found`);
    return order;
  }

  findByOrderNo(orderNo: string) {
    return queries.findByOrderNo(this.db, orderNo);
  }

  list(filter: queries.OrderFilter) {
    return queries.listOrders(this.db, filter);
  }

  /**
   * An order as a merchant user may see it: the merchant's, and for a cashier (`createdByUserId`)
   * one it placed. Anything else is NOT_FOUND, so nobody learns that another's order exists.
   */
  async getScoped(
    scope: { merchantId: bigint; createdByUserId: bigint | null },
    orderNo: string,
  ): Promise<OrderRow> {
    const order = await queries.findScoped(this.db, orderNo, scope);
    if (!order) throw new AppError('NOT_FOUND', `order ${orderNo} not found`);
    return order;
  }

  /** Order figures per group, per time bucket and in total, for the statistics (test orders only when asked). */
  figures(filter: Parameters<typeof queries.orderFigures>[1]) {
    return queries.orderFigures(this.db, filter);
  }

  /** Order id → the kinds of alert on its timeline, for the orders that have any. */
  async alertKindsOf(orderIds: bigint[]): Promise<Map<string, string[]>> {
    if (orderIds.length === 0) return new Map();
    const rows = await queries.alertKindsOf(this.db, orderIds);
    return new Map(rows.map((r) => [r.order_id.toString(), r.kinds]));
  }

  eventsOf(orderId: bigint) {
    return queries.eventsOf(this.db, orderId);
  }

  channelNotifiesOf(orderId: bigint) {
    return queries.channelNotifiesOf(this.db, orderId);
  }

  countPaid() {
    return queries.countPaid(this.db);
  }

  /** The business's time zone (statistics, date filters). */
  get timeZone(): string {
    return this.options.timeZone;
  }

  /** The payer's link to the cashier page: the order number and its token (`orders/cashier-link.ts`). */
  cashierUrl(orderNo: string): string {
    return `${this.options.publicUrl()}${this.cashierPath(orderNo)}`;
  }

  cashierPath(orderNo: string): string {
    return this.options.cashierLinks.path(orderNo);
  }

  /**
   * The order behind a cashier link, or null: a wrong token and an unknown order are the same null,
   * and a wrong token is refused before the database is asked.
   */
  async findByCashierLink(orderNo: string, token: string): Promise<OrderRow | null> {
    if (!this.options.cashierLinks.verify(orderNo, token)) return null;
    return queries.findByOrderNo(this.db, orderNo);
  }

  // ---------- payment ----------

  /**
   * Records that the customer paid: one transaction moves the order to paid (compare-and-set),
   * posts the ledger and writes the merchant notify. A duplicate confirmation finds the order
   * already paid and changes nothing. Returns the order and whether this call paid it.
   */
  async confirmPayment(
    orderNo: string,
    confirmation: PaymentConfirmation,
  ): Promise<{ order: OrderRow; applied: boolean }> {
    return this.confirmPaymentOf(await this.requireByOrderNo(orderNo), confirmation);
  }

  /**
   * Manual completion (补单, OP-9): an operator says the customer paid although the channel never
   * confirmed it. Only a paying, closed or failed order; its own amount; the same payment path as a
   * channel's confirmation (one transaction: compare-and-set to paid, ledger posting, merchant
   * notify), which also records who completed it, when and why. The completion password is the
   * caller's to check first.
   */
  async completeManually(order: OrderRow, by: ManualCompletion): Promise<OrderRow> {
    if (!MANUALLY_COMPLETABLE.includes(order.state)) {
      throw new AppError(
        'ORDER_STATE_INVALID',
        `order ${order.order_no} is ${order.state}; only paying, closed or failed orders can be completed by hand`,
      );
    }
    const { order: paid, applied } = await this.confirmPaymentOf(order, {
      channelOrderNo: null,
      paidAt: new Date(),
      source: 'manual',
      manual: by,
    });
    if (!applied) {
      throw new AppError(
        'ORDER_STATE_INVALID',
        `order ${order.order_no} was paid meanwhile; nothing was changed`,
      );
    }
    return paid;
  }

  /** confirmPayment for an order just read (the channel notify path reads it to check it first). */
  private async confirmPaymentOf(
    readOrder: OrderRow,
    confirmation: PaymentConfirmation,
  ): Promise<{ order: OrderRow; applied: boolean }> {
    let order = readOrder;
    const orderNo = order.order_no;
    if (order.channel_account_id === null) throw new Error(`order ${orderNo} has no channel account`);
    await this.ledger.openAccounts(
      this.ledger.paymentAccounts({
        merchantId: order.merchant_id,
        channelAccountId: order.channel_account_id,
        currency: order.currency,
      }),
    );
    // The account this confirmation was checked against; a reroute meanwhile must not move it.
    const confirmedBy = order.channel_account_id;
    for (let attempt = 0; attempt < MAX_TRANSITION_RETRIES; attempt++) {
      if (order.paid_at !== null) return { order, applied: false };
      if (order.channel_account_id !== confirmedBy) {
        // A channel that timed out at create still took the payment: an operator must settle it.
        await queries.insertEvent(
          this.db,
          order.id,
          'payment_on_previous_channel',
          { channelAccountId: confirmedBy.toString(), source: confirmation.source },
          true,
        );
        return { order, applied: false };
      }
      const paid = await this.payments.submit({ order, confirmation });
      if (paid) {
        if (isLatePayment(order.state)) {
          this.options.log.warn({ orderNo, from: order.state }, 'late payment recorded');
        }
        this.notify.wake();
        return { order: paid, applied: true };
      }
      order = (await queries.findById(this.db, order.id))!;
    }
    throw new Error(`order ${orderNo} kept changing while being paid`);
  }

  /**
   * Group commit of payments: every confirmation that arrives while a batch is being written joins
   * the next one. One transaction moves them all to paid (compare-and-set each), posts their ledger
   * transactions and writes their notifies. An order whose state moved meanwhile answers null and
   * its caller re-reads it; an order twice in one batch is written once.
   */
  private async writePayments(items: PaymentToWrite[]): Promise<(OrderRow | null)[]> {
    const firsts = new Map<bigint, PaymentToWrite>();
    for (const item of items) if (!firsts.has(item.order.id)) firsts.set(item.order.id, item);
    const paid = await this.db.tx(async (q) => {
      const rows = await queries.markPaid(
        q,
        [...firsts.values()].map(({ order, confirmation }) => ({
          id: order.id,
          expectedState: order.state,
          channelAccountId: order.channel_account_id!,
          paidAt: confirmation.paidAt ?? new Date(),
          channelOrderNo: confirmation.channelOrderNo,
          source: confirmation.source,
          manual: confirmation.manual ?? null,
        })),
      );
      await this.ledger.postMany(
        q,
        rows.map((row) =>
          this.ledger.paymentPosting({
            orderNo: row.order_no,
            merchantId: row.merchant_id,
            channelAccountId: row.channel_account_id!,
            currency: row.currency,
            amount: row.amount,
            fee: row.fee,
            channelCost: row.channel_cost,
            platformProfit: row.platform_profit,
          }),
        ),
      );
      await this.notify.enqueueMany(
        q,
        rows.map((row) => ({
          merchantId: row.merchant_id,
          appId: row.app_id,
          orderId: row.id,
          eventType: 'order.paid',
          idempotencyKey: `order.paid:${row.order_no}`,
          url: row.notify_url,
          body: notifyBody('order.paid', row),
        })),
      );
      return new Map(rows.map((row) => [row.id, row]));
    });
    return items.map((item) =>
      firsts.get(item.order.id) === item ? (paid.get(item.order.id) ?? null) : null,
    );
  }

  /** The channel says the payment failed: an open order becomes failed. */
  async recordFailure(orderNo: string, source: string, message: string): Promise<OrderRow> {
    let order = await this.requireByOrderNo(orderNo);
    for (let attempt = 0; attempt < MAX_TRANSITION_RETRIES && isOpen(order.state); attempt++) {
      const failed = await queries.transition(
        this.db,
        order.id,
        order.state,
        'failed',
        { failureCode: 'PAYMENT_FAILED', failureMessage: message, nextQueryAt: null },
        [{ kind: 'failed', detail: { source, message } }],
      );
      if (failed) return failed;
      order = (await queries.findById(this.db, order.id))!;
    }
    return order;
  }

  // ---------- channel notify ----------

  /**
   * Handles a provider's async notify for one channel account. Every notify is kept with its raw
   * body and outcome; one that cannot be verified, or does not match the order, changes nothing.
   */
  async handleChannelNotify(
    channelAccountId: bigint,
    inbound: InboundNotify,
    remoteIp: string,
  ): Promise<{ status: number; contentType: string; body: string }> {
    // Refund notifies have their own URL (refunds/routes.ts); one here is misdirected.
    const received = await this.receiveChannelNotify(channelAccountId, inbound, remoteIp, 'payment');
    if ('ack' in received) return received.ack;
    const { adapter, parsed, record } = received;
    const order = await this.ordersByNo.submit(parsed.orderNo);
    const refusal = order ? mismatchOf(order, channelAccountId, parsed) : 'NOTIFY_ORDER_NOT_FOUND';
    if (refusal) {
      await record('refused', order?.id ?? null, refusal);
      if (order)
        await queries.insertEvent(
          this.db,
          order.id,
          'notify_refused',
          {
            reason: refusal,
            amount: parsed.amount.toString(),
            currency: parsed.currency,
            channelAccountId: channelAccountId.toString(),
          },
          true,
        );
      this.options.log.warn({ orderNo: parsed.orderNo, reason: refusal, remoteIp }, 'channel notify refused');
      return adapter.notifyAck(false);
    }
    if (parsed.status === 'paid') {
      const { order: paid, applied } = await this.confirmPaymentOf(order!, {
        channelOrderNo: parsed.channelOrderNo,
        paidAt: parsed.paidAt,
        source: 'notify',
      });
      await record(applied ? 'applied' : 'duplicate', paid.id, null);
    } else {
      const before = order!.state;
      const after = await this.recordFailure(
        parsed.orderNo,
        'notify',
        'the channel reported the payment failed',
      );
      await record(after.state !== before ? 'applied' : 'duplicate', order!.id, null);
    }
    return adapter.notifyAck(true);
  }

  // ---------- close, expiry and stuck orders ----------

  /** Closes an unpaid order: the channel first, so it can no longer be paid, then ours. */
  async close(order: OrderRow, source: string, event: 'closed' | 'cancelled' = 'closed'): Promise<OrderRow> {
    if (order.state === 'closed') return order;
    if (!isOpen(order.state))
      throw new AppError(
        'ORDER_STATE_INVALID',
        `order ${order.order_no} is ${order.state}; it cannot be closed`,
      );
    // A created order may have reached the channel already (its acceptance not recorded): close it there too.
    if ((order.state === 'paying' || mayBeAtChannel(order)) && order.channel_account_id !== null) {
      const result = await this.channels.closePayment(order.channel_account_id, {
        orderNo: order.order_no,
        channelOrderNo: order.channel_order_no,
      });
      if (result.outcome === 'paid') {
        await this.syncWithChannel(order);
        throw new AppError(
          'ORDER_STATE_INVALID',
          `order ${order.order_no} was paid before it could be closed`,
        );
      }
      if (result.outcome === 'error') {
        throw new AppError(
          'CHANNEL_ERROR',
          `the channel could not close the payment: ${result.message ?? 'no answer'}`,
        );
      }
    }
    const closed = await queries.transition(
      this.db,
      order.id,
      order.state,
      'closed',
      { closedAt: new Date(), nextQueryAt: null },
      [{ kind: event, detail: { source } }],
    );
    if (closed) return closed;
    const now = (await queries.findById(this.db, order.id))!;
    return this.close(now, source, event);
  }

  /**
   * Cancels (撤销) an auth-code payment the customer has not confirmed: the channel closes it, so a
   * confirmation that comes later cannot take the money, then the order is closed. A payment the
   * customer confirmed first is recorded as paid and the cancel refused: refund it instead.
   */
  async cancel(order: OrderRow, source: string): Promise<OrderRow> {
    if (!authCodeOf(order)) {
      throw new AppError(
        'ORDER_STATE_INVALID',
        `order ${order.order_no} was not paid by auth code; close it instead of cancelling`,
      );
    }
    if (order.paid_at !== null) {
      throw new AppError(
        'ORDER_STATE_INVALID',
        `order ${order.order_no} is ${order.state}; a paid auth-code payment is refunded, not cancelled`,
      );
    }
    if (order.state === 'created') {
      throw new AppError(
        'ORDER_STATE_INVALID',
        `order ${order.order_no} is still being submitted to the channel; try again in a moment`,
      );
    }
    return this.close(order, source, 'cancelled');
  }

  /**
   * PAY-7 on demand: asks the channel about the order now and applies the answer — a payment the
   * notify never brought is recorded (even after close: a late payment). A paid order is returned
   * as it is; a channel that does not answer is CHANNEL_ERROR and changes nothing.
   */
  async syncNow(order: OrderRow, requestedBy: string): Promise<OrderRow> {
    if (order.paid_at !== null || order.channel_account_id === null) return order;
    let status: string;
    try {
      status = await this.syncWithChannel(order);
    } catch (error) {
      // Our database going away is not the channel's fault: that stays a 503 to retry.
      if (isDatabaseUnavailable(error)) throw error;
      throw new AppError(
        'CHANNEL_ERROR',
        `the channel did not answer the query: ${(error as Error).message}`,
      );
    }
    await queries.insertEvent(this.db, order.id, 'synced', { requestedBy, channelStatus: status });
    return (await queries.findById(this.db, order.id))!;
  }

  /** Asks the channel about an open order and applies the answer; returns the provider's status. */
  async syncWithChannel(order: OrderRow): Promise<string> {
    if (order.channel_account_id === null) return 'not_found';
    const status = await this.channels.queryPayment(order.channel_account_id, {
      orderNo: order.order_no,
      channelOrderNo: order.channel_order_no,
    });
    if (status.status === 'paid') {
      if (status.amount !== undefined && status.amount !== order.amount) {
        await queries.insertEvent(
          this.db,
          order.id,
          'query_amount_mismatch',
          { amount: status.amount.toString() },
          true,
        );
        return 'mismatch';
      }
      await this.confirmPayment(order.order_no, {
        channelOrderNo: status.channelOrderNo ?? null,
        paidAt: status.paidAt ?? null,
        source: 'query',
      });
    } else if (status.status === 'failed') {
      await this.recordFailure(order.order_no, 'query', 'the channel reported the payment failed');
    }
    return status.status;
  }

  /**
   * Expired open orders: ask the channel first (the customer may have paid), then close. A channel
   * that cannot be reached leaves the order for the next sweep.
   */
  async sweepExpired(): Promise<number> {
    const due = await queries.dueForExpiry(this.db, SWEEP_BATCH);
    const deadline = Date.now() + SWEEP_BUDGET_MS;
    for (const order of due) {
      if (Date.now() > deadline) break;
      try {
        if (order.state === 'created' && Date.now() - order.created_at.getTime() < CREATED_GRACE_MS) continue;
        // A created order may be open at its channel (its acceptance never recorded): ask first too.
        const askChannel = order.state === 'paying' || mayBeAtChannel(order);
        const status = askChannel ? await this.syncWithChannel(order) : 'not_found';
        if (status === 'mismatch') {
          // The channel's amount disagrees with ours: an operator must look; the sweep moves on.
          await queries.postponeSweep(this.db, order.id, new Date(Date.now() + EXPIRY_RETRY_MS));
          continue;
        }
        if (status === 'paid' || status === 'failed') continue;
        const fresh = (await queries.findById(this.db, order.id))!;
        if (isOpen(fresh.state)) await this.close(fresh, 'expired');
      } catch (error) {
        await this.expiryFailed(order, (error as Error).message);
      }
    }
    return due.length;
  }

  /**
   * The channel could not be asked or told: try again later (other expired orders go first
   * meanwhile). After a day without an answer, close on our side with an alert — a payment that
   * still arrives is recorded as a late payment, never lost.
   */
  private async expiryFailed(order: OrderRow, message: string): Promise<void> {
    if (Date.now() - order.expires_at.getTime() < UNCONFIRMED_CLOSE_AFTER_MS) {
      await queries.postponeSweep(this.db, order.id, new Date(Date.now() + EXPIRY_RETRY_MS));
      this.options.log.warn({ orderNo: order.order_no, error: message }, 'expiry sweep will retry');
      return;
    }
    const closed = await queries.transition(
      this.db,
      order.id,
      order.state,
      'closed',
      { closedAt: new Date(), nextQueryAt: null },
      [
        {
          // Its own kind: in a list of alerts it must not read like an ordinary close.
          kind: 'closed_unconfirmed',
          detail: { source: 'expired', channelConfirmed: false, error: message },
          alert: true,
        },
      ],
    );
    if (closed) this.options.log.warn({ orderNo: order.order_no }, 'closed without the channel confirming');
  }

  /**
   * PAY-7: paying orders are asked about at growing intervals, so a lost notify does not strand
   * them; so are created orders whose channel call is long overdue (resume.ts).
   */
  async queryPaying(): Promise<number> {
    const due = await queries.dueForQuery(this.db, SWEEP_BATCH);
    const deadline = Date.now() + SWEEP_BUDGET_MS;
    const stranded = await this.stranded.queryStranded(SWEEP_BATCH, deadline);
    for (const order of due) {
      if (Date.now() > deadline) break;
      const count = order.query_count + 1;
      await queries.scheduleQuery(this.db, order.id, this.nextQueryAt(count, order), count);
      try {
        await this.syncWithChannel(order);
      } catch (error) {
        this.options.log.warn(
          { orderNo: order.order_no, error: (error as Error).message },
          'order query failed; will retry',
        );
      }
    }
    return due.length + stranded;
  }

  private nextQueryAt(queriesDone: number, order: OrderRow): Date {
    // A customer confirms an auth-code payment within seconds, at the counter: ask soon and often.
    const schedule = authCodeOf(order) ? AUTH_CODE_QUERY_SCHEDULE_SECONDS : this.options.queryScheduleSeconds;
    const wait = schedule[Math.min(queriesDone, schedule.length - 1)]!;
    return new Date(Date.now() + wait * 1000);
  }

  // ---------- refunds (called by the refunds domain inside its transactions) ----------

  /** Locks the order for a refund decision until the caller's transaction ends. */
  lockForRefund(q: Queryable, orderId: bigint) {
    return queries.lockForRefund(q, orderId);
  }

  /** Reserves a refund's share of the order (guarded); null when it does not fit or the order is not paid. */
  reserveRefund(
    q: Queryable,
    orderId: bigint,
    share: { amount: bigint; fee: bigint; channelCost: bigint },
    refundNo: string,
  ) {
    return queries.reserveRefund(q, orderId, share, {
      kind: 'refund_requested',
      detail: { refundNo, amount: share.amount.toString() },
    });
  }

  /** Gives a failed refund's share back. */
  releaseRefund(
    q: Queryable,
    orderId: bigint,
    share: { amount: bigint; fee: bigint; channelCost: bigint },
    refundNo: string,
    reason: string,
  ) {
    return queries.releaseRefund(q, orderId, share, {
      kind: 'refund_failed',
      detail: { refundNo, amount: share.amount.toString(), reason },
    });
  }

  /** A refund succeeded: partially_refunded, or refunded once everything paid was refunded. */
  markRefunded(q: Queryable, orderId: bigint, fully: boolean, refundNo: string, amount: bigint) {
    return queries.markRefundState(q, orderId, fully ? 'refunded' : 'partially_refunded', {
      kind: 'refund_succeeded',
      detail: { refundNo, amount: amount.toString() },
    });
  }

  /**
   * The front of every inbound channel notify, payments' and refunds': finds the account's adapter,
   * verifies and parses the notify, and gives back `record` to keep it with its raw body and
   * outcome. An unverifiable notify, or one of another kind, is recorded as refused and answered
   * with the adapter's negative ack (`{ ack }`).
   */
  async receiveChannelNotify<K extends ParsedAnyNotify['kind']>(
    channelAccountId: bigint,
    inbound: InboundNotify,
    remoteIp: string,
    kind: K,
  ): Promise<
    | { ack: NotifyAck }
    | {
        adapter: ChannelAdapter;
        parsed: Extract<ParsedAnyNotify, { kind: K }>;
        record: (
          outcome: 'applied' | 'duplicate' | 'refused',
          orderId: bigint | null,
          errorCode: string | null,
        ) => Promise<void>;
      }
  > {
    const record = (
      outcome: 'applied' | 'duplicate' | 'refused',
      orderId: bigint | null,
      errorCode: string | null,
    ) =>
      this.channelNotifyLog.submit({
        channelAccountId,
        orderId,
        rawBody: inbound.rawBody,
        headers: redactHeaders(inbound.headers),
        remoteIp,
        outcome,
        errorCode,
      });
    const adapter = await this.channels.adapterOf(channelAccountId);
    if (!adapter) {
      await record('refused', null, 'UNKNOWN_CHANNEL_ACCOUNT');
      throw new AppError('NOT_FOUND', `channel account ${channelAccountId} not found`);
    }
    try {
      const parsed = (await this.channels.parseNotify(channelAccountId, inbound)).parsed;
      if (parsed.kind !== kind) {
        await record('refused', null, 'NOTIFY_WRONG_KIND');
        return { ack: adapter.notifyAck(false) };
      }
      return { adapter, parsed: parsed as Extract<ParsedAnyNotify, { kind: K }>, record };
    } catch (error) {
      if (!(error instanceof NotifyRejected)) throw error;
      await record('refused', null, `NOTIFY_${error.reason}`);
      this.options.log.warn(
        { channelAccountId: channelAccountId.toString(), kind, reason: error.reason, remoteIp },
        'channel notify refused',
      );
      return { ack: adapter.notifyAck(false) };
    }
  }

  /** Records something an operator must look at on the order's timeline, flagged as an alert. */
  raiseAlert(orderId: bigint, kind: string, detail: object) {
    return queries.insertEvent(this.db, orderId, kind, detail, true);
  }

  async resendNotify(orderNo: string): Promise<number> {
    const order = await this.requireByOrderNo(orderNo);
    const queued = await this.notify.resendForOrder(order.id);
    if (queued === 0) throw new AppError('ORDER_STATE_INVALID', `order ${orderNo} has no notify to resend`);
    await queries.insertEvent(this.db, order.id, 'notify_resend', { tasks: queued });
    return queued;
  }
}

/** The customer's auth code of a B扫C order (`extra.authCode`), or null for every other order. */
export function authCodeOf(order: Pick<OrderRow, 'extra'>): string | null {
  const code = order.extra?.authCode;
  return typeof code === 'string' ? code : null;
}

function mismatchOf(order: OrderRow, channelAccountId: bigint, parsed: ParsedNotify): string | null {
  if (order.channel_account_id !== channelAccountId) return 'NOTIFY_ACCOUNT_MISMATCH';
  if (parsed.currency !== order.currency) return 'NOTIFY_CURRENCY_MISMATCH';
  if (parsed.amount !== order.amount) return 'NOTIFY_AMOUNT_MISMATCH';
  return null;
}

function assertSameRequest(order: OrderRow, requestHash: string): OrderRow {
  if (order.request_hash !== requestHash) {
    throw new AppError(
      'IDEMPOTENCY_CONFLICT',
      `mchOrderNo ${order.mch_order_no} was already used with a different request`,
    );
  }
  return order;
}

export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    kept[name] = /authorization|cookie/i.test(name) ? '[redacted]' : value;
  }
  return kept;
}
