import type { CatalogService, RoutableBinding } from '../catalog/service.ts';
import type { ChannelGateway } from '../channels/gateway.ts';
import type { CreatePaymentResult, InboundNotify, ParsedAnyNotify } from '../channels/types.ts';
import type { Db, Queryable } from '../db/index.ts';
import type { KeysetPage } from '../db/keyset.ts';
import { AppError } from '../errors.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { AppKeys } from '../merchants/service.ts';
import type { NotifyService } from '../notify/service.ts';
import { CloseAndSync } from './close-sync.ts';
import { AgentCommissions } from './commissions.ts';
import { ConfirmPayments, type ManualCompletion, type PaymentConfirmation } from './confirm.ts';
import {
  type OrderContext,
  type OrderOptions,
  type OrderSteps,
  raiseAlert,
  requireByOrderNo,
} from './context.ts';
import { type CreateOrderInput, CreateOrders, type OrderOrigin } from './create.ts';
import { numberSearch } from './number-search.ts';
import * as profitQueries from './profit-queries.ts';
import type { OrderRow } from './queries.ts';
import * as queries from './queries.ts';
import { StrandedOrders } from './resume.ts';
import { Sweeps } from './sweeps.ts';

export { type ManualCompletion, type PaymentConfirmation, redactHeaders } from './confirm.ts';
export { authCodeOf, type OrderOptions } from './context.ts';
export {
  AUTH_CODE_EXPIRE_SECONDS,
  type CreateOrderInput,
  consoleMchOrderNo,
  DEFAULT_EXPIRE_SECONDS,
  type OrderOrigin,
} from './create.ts';

/** The consoles' order filters without the page: what an export matches. */
export type OrderMatchFilter = Omit<queries.OrderFilter, 'search' | 'limit'> & { search?: string };

/**
 * How far the order list counts its matches before it says "10 000+": counting further is a
 * walk over millions of rows on every page for a figure nobody pages through.
 */
export const ORDER_LIST_COUNT_BOUND = 10_000;

/** One page of the consoles' order list, with the cursors of the pages either side (null: none). */
export type OrderPage = KeysetPage<OrderRow>;

/**
 * Orders: creation with routing and failover, the state machine, payment application, sweeps.
 * The face other domains and routes use; each business step is in its own file (create.ts,
 * confirm.ts, close-sync.ts, sweeps.ts, resume.ts) and this delegates to it.
 */
export class OrderService {
  private readonly steps: OrderSteps;
  private readonly commissions: AgentCommissions;

  constructor(
    private readonly db: Db,
    catalog: CatalogService,
    channels: ChannelGateway,
    ledger: LedgerService,
    private readonly notify: NotifyService,
    private readonly options: OrderOptions,
  ) {
    const ctx: OrderContext = { db, catalog, channels, ledger, notify, options };
    // Filled in here, before any step runs: the steps only reach one another when called.
    const steps = {} as OrderSteps;
    steps.create = new CreateOrders(ctx, steps);
    steps.confirm = new ConfirmPayments(ctx, steps);
    steps.closeSync = new CloseAndSync(ctx, steps);
    steps.sweeps = new Sweeps(ctx, steps);
    // Created orders whose channel acceptance may never have been recorded (resume.ts).
    steps.stranded = new StrandedOrders(this, db, channels, catalog, {
      log: options.log,
      queryScheduleSeconds: options.queryScheduleSeconds,
    });
    this.steps = steps;
    this.commissions = new AgentCommissions(ctx);
  }

  /** Lists and exports only: they may trail the primary by the replica's lag. Never a read that decides. */
  private get reads(): Queryable {
    return this.options.reads ?? this.db;
  }

  /** The agents domain's chain look-up (services.ts): the agents domain is built after orders. */
  attachAgentChains(agentChainOf: NonNullable<OrderOptions['agentChainOf']>): void {
    this.options.agentChainOf = agentChainOf;
  }

  /** The channel accounts' health routing weighs (the health domain's circuits; services.ts). */
  attachRouteHealth(routeHealth: NonNullable<OrderOptions['routeHealth']>): void {
    this.options.routeHealth = routeHealth;
  }

  /** Marketplace orders' terms and split payments (src/splits), attached once both exist. */
  attachMarketplace(marketplace: NonNullable<OrderOptions['marketplace']>): void {
    this.options.marketplace = marketplace;
  }

  // ---------- create (create.ts) ----------

  /**
   * Creates (or, for a same-body retry, returns) an order. `created` is false for a retry. Orders
   * placed from a console name their origin; the signed API's are `api`.
   */
  createOrder(
    app: AppKeys,
    input: CreateOrderInput,
    origin: OrderOrigin = { source: 'api' },
  ): Promise<{ order: OrderRow; created: boolean }> {
    return this.steps.create.createOrder(app, input, origin);
  }

  /**
   * Opens the payment at the first channel account that accepts it. A refusal or no answer moves
   * the order to the next account of the plan (failover); when none is left the order fails.
   */
  openAtChannel(order: OrderRow, plan: RoutableBinding[], markedTest = false): Promise<OrderRow> {
    return this.steps.create.openAtChannel(order, plan, markedTest);
  }

  /** Records the channel's acceptance: paying with its pay data, or paid when it took an auth code at once. */
  accepted(
    order: OrderRow,
    binding: RoutableBinding,
    result: Extract<CreatePaymentResult, { outcome: 'accepted' }>,
  ): Promise<OrderRow> {
    return this.steps.create.accepted(order, binding, result);
  }

  /** Moves a created order to another channel account; its cost and profit follow the new account's rate. */
  reroute(
    order: OrderRow,
    binding: RoutableBinding,
    refusal: { channelAccountId: string; code: string; message: string },
    markedTest: boolean,
  ) {
    return this.steps.create.reroute(order, binding, refusal, markedTest);
  }

  planFor(productId: bigint, amount: bigint, merchantId?: bigint): Promise<RoutableBinding[]> {
    return this.steps.create.planFor(productId, amount, merchantId);
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

  requireByOrderNo(orderNo: string): Promise<OrderRow> {
    return requireByOrderNo(this.db, orderNo);
  }

  /** Orders of some merchants paid in a window for at least an amount (the bot's large-payment messages). */
  largePayments(f: Parameters<typeof queries.largePaymentsOf>[1]) {
    return queries.largePaymentsOf(this.db, f);
  }

  /** The platform and merchant numbers of some orders, by id. */
  numbersOf(ids: bigint[]) {
    return ids.length === 0 ? Promise.resolve([]) : queries.numbersOfOrders(this.db, ids);
  }

  findByOrderNo(orderNo: string) {
    return queries.findByOrderNo(this.db, orderNo);
  }

  /**
   * One page of the consoles' order list, newest first, from a cursor (a row's platform number)
   * or from the newest. `search` is what was typed: a whole number of any kind, or at least the
   * last 4 digits of the platform number (fewer is INVALID_REQUEST: see number-search.ts).
   */
  async list(
    filter: Omit<queries.OrderFilter, 'search'> & { search?: string },
    cursor?: queries.OrderPageCursor,
  ): Promise<OrderPage> {
    return queries.listOrders(this.reads, { ...filter, search: numberSearch(filter.search) }, cursor);
  }

  /** How many orders the list's filters match, counted up to `bound` (beyond it the list says "10 000+"). */
  // async, so a refused search rejects like the page it is asked beside (Promise.all) instead of throwing.
  async countListed(filter: OrderMatchFilter, bound = ORDER_LIST_COUNT_BOUND) {
    return queries.countOrdersUpTo(this.reads, { ...filter, search: numberSearch(filter.search) }, bound);
  }

  /** How many orders the consoles' list filters match (an export's size). */
  countMatching(filter: OrderMatchFilter) {
    return queries.countOrders(this.reads, { ...filter, search: numberSearch(filter.search) });
  }

  /** The orders the list filters match after `afterId`, in id order (an export's keyset page). */
  matchingAfter(filter: OrderMatchFilter, afterId: bigint, limit: number) {
    return queries.ordersAfter(
      this.reads,
      { ...filter, search: numberSearch(filter.search) },
      afterId,
      limit,
    );
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

  /** Order id → the kinds of alert on its timeline and those not acknowledged yet, for the orders that have any. */
  async alertsOf(
    orders: queries.OrderRef[],
  ): Promise<Map<string, { kinds: string[]; unacknowledged: string[] }>> {
    if (orders.length === 0) return new Map();
    const rows = await queries.alertKindsOf(this.db, orders);
    return new Map(
      rows.map((r) => [r.order_id.toString(), { kinds: r.kinds, unacknowledged: r.unacknowledged }]),
    );
  }

  /** Acknowledges the order's alerts not acknowledged yet (of these kinds, or all), with a note; returns their kinds. */
  acknowledgeAlerts(
    order: queries.OrderRef,
    kinds: string[] | null,
    userId: bigint,
    note: string,
  ): Promise<string[]> {
    return queries.acknowledgeAlerts(this.db, order, kinds, userId, note);
  }

  /** The order with this id, or null (an alert names its order by id). */
  findById(id: bigint): Promise<OrderRow | null> {
    return queries.findById(this.db, id);
  }

  /** Alerts of these kinds on orders' timelines not acknowledged yet, raised since a moment (the alerts' detectors). */
  unacknowledgedAlerts(kinds: string[], since: Date) {
    return queries.unacknowledgedAlerts(this.db, kinds, since);
  }

  /** Paying orders per channel account placed within a window (the alerts' detector of stuck payments). */
  payingByAccount(placedBefore: Date, placedAfter: Date) {
    return queries.payingByAccount(this.db, placedBefore, placedAfter);
  }

  eventsOf(order: queries.OrderRef) {
    return queries.eventsOf(this.db, order);
  }

  channelNotifiesOf(order: queries.OrderRef) {
    return queries.channelNotifiesOf(this.db, order);
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

  // ---------- payment (confirm.ts) ----------

  /**
   * Records that the customer paid: one transaction moves the order to paid (compare-and-set),
   * posts the ledger and writes the merchant notify. A duplicate confirmation finds the order
   * already paid and changes nothing. Returns the order and whether this call paid it.
   */
  confirmPayment(
    orderNo: string,
    confirmation: PaymentConfirmation,
  ): Promise<{ order: OrderRow; applied: boolean }> {
    return this.steps.confirm.confirmPayment(orderNo, confirmation);
  }

  /** Manual completion (补单, OP-9) of a paying, closed or failed order; the caller checks the password first. */
  completeManually(order: OrderRow, by: ManualCompletion): Promise<OrderRow> {
    return this.steps.confirm.completeManually(order, by);
  }

  /** Handles a provider's async payment notify for one channel account (every notify is kept). */
  handleChannelNotify(
    channelAccountId: bigint,
    inbound: InboundNotify,
    remoteIp: string,
  ): Promise<{ status: number; contentType: string; body: string }> {
    return this.steps.confirm.handleChannelNotify(channelAccountId, inbound, remoteIp);
  }

  /** The front of every inbound channel notify, payments' and refunds' (confirm.ts). */
  receiveChannelNotify<K extends ParsedAnyNotify['kind']>(
    channelAccountId: bigint,
    inbound: InboundNotify,
    remoteIp: string,
    kind: K,
  ) {
    return this.steps.confirm.receiveChannelNotify(channelAccountId, inbound, remoteIp, kind);
  }

  // ---------- close, cancel and sync (close-sync.ts) ----------

  /** The channel says the payment failed: an open order becomes failed. */
  recordFailure(orderNo: string, source: string, message: string): Promise<OrderRow> {
    return this.steps.closeSync.recordFailure(orderNo, source, message);
  }

  /** Closes an unpaid order: the channel first, so it can no longer be paid, then ours. */
  close(order: OrderRow, source: string, event: 'closed' | 'cancelled' = 'closed'): Promise<OrderRow> {
    return this.steps.closeSync.close(order, source, event);
  }

  /** Cancels (撤销) an auth-code payment the customer has not confirmed. */
  cancel(order: OrderRow, source: string): Promise<OrderRow> {
    return this.steps.closeSync.cancel(order, source);
  }

  /** PAY-7 on demand: asks the channel about the order now and applies the answer. */
  syncNow(order: OrderRow, requestedBy: string): Promise<OrderRow> {
    return this.steps.closeSync.syncNow(order, requestedBy);
  }

  /** Asks the channel about an open order and applies the answer; returns the provider's status. */
  syncWithChannel(order: OrderRow): Promise<string> {
    return this.steps.closeSync.syncWithChannel(order);
  }

  // ---------- scheduled (sweeps.ts) ----------

  /** Expired open orders: ask the channel first (the customer may have paid), then close. */
  sweepExpired(): Promise<number> {
    return this.steps.sweeps.sweepExpired();
  }

  /** PAY-7: paying orders, and created ones whose channel call is long overdue, are asked about. */
  queryPaying(): Promise<number> {
    return this.steps.sweeps.queryPaying();
  }

  // ---------- refunds (called by the refunds domain inside its transactions) ----------

  /** An order's profit rows (platform and agents), locked for a refund after the order row. */
  lockProfits(q: Queryable, orderId: bigint) {
    return this.commissions.lockProfits(q, orderId);
  }

  /** What a refund takes back per party of the order (negative: a failed refund gives it back). */
  addProfitRefunded(q: Queryable, orderId: bigint, parts: { level: number; amount: bigint }[]) {
    return this.commissions.addRefunded(q, orderId, parts);
  }

  /** An agent's commission over a window, per day, product or merchant (orders/profit-queries.ts). */
  agentCommission(
    f: Parameters<typeof profitQueries.agentCommission>[1],
    by: profitQueries.CommissionGrouping,
  ) {
    return profitQueries.agentCommission(this.db, f, by);
  }

  /** The orders of an agent's merchants with the agent's own share of each (orders/profit-queries.ts). */
  async agentOrders(f: profitQueries.AgentOrderFilter) {
    if (f.merchantIds.length === 0) return { total: 0, rows: [] };
    const rows = await profitQueries.agentOrders(this.db, f);
    return { total: Number(rows[0]?.total ?? 0n), rows };
  }

  /** Moves agents' commission of settled orders from pending to available (the settlement job). */
  settleAgentCommissions(settleTestOrders: boolean): Promise<number> {
    return this.commissions.settle(settleTestOrders);
  }

  /** Locks the order for a refund decision until the caller's transaction ends. */
  /** Which of these orders have settled on their merchant's cycle. */
  async settledOrderIds(orderIds: bigint[]): Promise<Set<bigint>> {
    return new Set(await queries.settledAmong(this.db, orderIds));
  }

  lockForRefund(q: Queryable, orderId: bigint) {
    return queries.lockForRefund(q, orderId);
  }

  /** Reserves a refund's share of the order (guarded); null when it does not fit or the order is not paid. */
  reserveRefund(q: Queryable, orderId: bigint, share: queries.RefundShare, refundNo: string) {
    return queries.reserveRefund(q, orderId, share, {
      kind: 'refund_requested',
      detail: { refundNo, amount: share.amount.toString() },
    });
  }

  /** Gives a failed refund's share back. */
  releaseRefund(q: Queryable, orderId: bigint, share: queries.RefundShare, refundNo: string, reason: string) {
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

  /** Records something an operator must look at on the order's timeline, flagged as an alert. */
  raiseAlert(orderId: bigint, kind: string, detail: object) {
    return raiseAlert(this.db, orderId, kind, detail);
  }

  async resendNotify(orderNo: string): Promise<number> {
    const order = await this.requireByOrderNo(orderNo);
    const queued = await this.notify.resendForOrder(order.id);
    if (queued === 0) throw new AppError('ORDER_STATE_INVALID', `order ${orderNo} has no notify to resend`);
    await queries.insertEvent(this.db, order.id, 'notify_resend', { tasks: queued });
    return queued;
  }
}
