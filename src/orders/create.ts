import { randomBytes } from 'node:crypto';
import { merchantTermsOf, type RoutableBinding } from '../catalog/service.ts';
import { CIRCUIT_OPEN_CODE } from '../channels/gateway.ts';
import { getAdapter } from '../channels/registry.ts';
import type { CreatePaymentResult, PayWay } from '../channels/types.ts';
import { Batcher } from '../db/batcher.ts';
import { AppError, orderFailureReasonOf } from '../errors.ts';
import { feeOf } from '../fees/fee.ts';
import type { AppKeys } from '../merchants/service.ts';
import { toJsonAmount } from '../money/money.ts';
import { minuteOfDayIn, planRoute } from '../routing/route.ts';
import type { PreparedTerms } from '../splits/service.ts';
import {
  authCodeOf,
  type OrderContext,
  type OrderSteps,
  paymentRequestOf,
  payWayOf,
  raiseAlert,
} from './context.ts';
import { chainSnapshot, splitOrderFee, topAgentTermsOf, withinTopAgent } from './profit.ts';
import type { OrderRow } from './queries.ts';
import * as queries from './queries.ts';
import { isOpen } from './state.ts';
import { hashCreateRequest } from './views.ts';

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
  /** Marketplace terms (src/splits): the receiving member, a split rule, escrow, a recharge. */
  payee?: { bizUserId: string };
  splitRuleNo?: string;
  escrow?: boolean;
  purpose?: 'consumption' | 'recharge';
}

/** Whether an order carries marketplace terms (checked without a query: most orders do not). */
export function hasMarketplaceTerms(input: CreateOrderInput): boolean {
  return (
    input.payee !== undefined ||
    input.splitRuleNo !== undefined ||
    input.escrow !== undefined ||
    input.purpose !== undefined
  );
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

/** A paid volume figure may be this old when checking daily limits. */
const USAGE_CACHE_MS = 5_000;

interface OrderKey {
  appId: string;
  mchOrderNo: string;
}
const orderKey = (appId: string, mchOrderNo: string) => `${appId}\n${mchOrderNo}`;

interface OrderToInsert {
  order: queries.NewOrder;
  events: queries.NewOrderEvent[];
  /** Marketplace terms, inserted in the orders' own transaction. */
  terms?: PreparedTerms;
}

type Acceptance = Parameters<typeof queries.markPaying>[1][number];

/** Batches of the create path: look-ups, inserts and acceptances of concurrent requests. */
export const CREATE_BATCH = { maxBatch: 256, maxInFlight: 2 };

/**
 * Create-order: the idempotent look-up, the insert, the routing plan, and opening the payment at
 * the channel with failover (accepted, declined, no answer, rerouted).
 */
export class CreateOrders {
  private readonly usage = new Map<string, { total: bigint; until: number }>();
  /** Idempotency look-ups of concurrent creates, read together. */
  private readonly lookups = new Batcher((keys: OrderKey[]) => this.lookUpBatch(keys), CREATE_BATCH);
  /** New orders of concurrent creates, inserted together; null where (app, mchOrderNo) was taken. */
  private readonly inserts = new Batcher((items: OrderToInsert[]) => this.insertBatch(items), CREATE_BATCH);
  /** Channel acceptances recorded together; null where the order moved on meanwhile (paid, closed). */
  private readonly acceptances = new Batcher((items: Acceptance[]) => this.acceptBatch(items), CREATE_BATCH);

  constructor(
    private readonly ctx: OrderContext,
    private readonly steps: OrderSteps,
  ) {}

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
      const order = await this.steps.stranded.resumeForRetry(assertSameRequest(existing, requestHash));
      return { order, created: false };
    }

    const product = await this.ctx.catalog.productByCode(input.productCode);
    if (!product?.enabled) throw new AppError('PRODUCT_NOT_FOUND', `product ${input.productCode} not found`);
    const rate = await this.ctx.catalog.merchantRate(app.merchantId, product.id);
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
        {
          minAmount: toJsonAmount(product.min_amount),
          maxAmount: toJsonAmount(product.max_amount),
          currency: product.currency,
          productCode: product.code,
        },
      );
    }

    const authCode = authCodeOf({ extra: input.extra ?? null });
    assertPayWayInput(product.pay_way, authCode, input.extra);
    // The merchant's agent chain now: the order keeps it, so a later move changes later orders only.
    const chain = chainSnapshot(
      input.amount,
      (await this.ctx.options.agentChainOf?.(app.merchantId, product)) ?? [],
    );
    const routed =
      origin.channelAccountId === undefined
        ? await this.planFor(product.id, input.amount, app.merchantId)
        : await this.pinnedPlan(product.id, product.code, origin.channelAccountId, app.merchantId);
    // A scanned pay code can only go to channels that take one; an agent's merchant's orders only to
    // accounts within the top agent's rate.
    const plan = withinTopAgent(
      authCode ? routed.filter((b) => getAdapter(b.adapterCode)?.supportsAuthCode) : routed,
      topAgentTermsOf(chain),
    );
    if (plan.length === 0) {
      // Said apart: a product nobody bound a channel account to can never take an order, until an
      // operator binds one (通道路由); the other cases pass (limits, hours, a busy account).
      if (!(await this.ctx.catalog.hasChannel(product.id))) {
        throw new AppError(
          'NO_CHANNEL_AVAILABLE',
          `product ${product.code} has no channel account bound: it takes no orders until an operator binds one`,
          { reason: 'unbound', productCode: product.code },
        );
      }
      const what = authCode ? `pay-code ${product.code}` : product.code;
      throw new AppError('NO_CHANNEL_AVAILABLE', `no channel can take this ${what} order now`);
    }

    const fee = feeOf(input.amount, merchantTermsOf(rate));
    const terms = hasMarketplaceTerms(input) ? await this.marketplaceTerms(app, input, fee) : null;
    if (terms) await this.ctx.options.marketplace!.openTermsAccounts(app.merchantId, currency, terms);
    const first = plan[0]!;
    // The merchant's own timeout, else the product's (支付配置), else the platform's.
    const expireSeconds =
      input.expireSeconds ??
      (authCode ? AUTH_CODE_EXPIRE_SECONDS : (product.expire_seconds ?? DEFAULT_EXPIRE_SECONDS));
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
        ...splitOrderFee(input.amount, fee, chain, first.cost, first.allowedAtLoss),
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
      ...(terms ? { terms } : {}),
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
      const winner = (await queries.findByAppAndMchOrderNo(this.ctx.db, app.appId, input.mchOrderNo))!;
      return { order: assertSameRequest(winner, requestHash), created: false };
    }
    return { order: await this.openAtChannel(inserted, plan, origin.test ?? false), created: true };
  }

  private async marketplaceTerms(app: AppKeys, input: CreateOrderInput, fee: bigint) {
    const marketplace = this.ctx.options.marketplace;
    if (!marketplace) throw new AppError('INVALID_REQUEST', 'marketplace terms are not available here');
    return marketplace.prepareTerms(
      app,
      {
        payee: input.payee,
        splitRuleNo: input.splitRuleNo,
        escrow: input.escrow,
        purpose: input.purpose,
      },
      input.amount,
      fee,
    );
  }

  private async lookUpBatch(keys: OrderKey[]): Promise<(OrderRow | null)[]> {
    const rows = await queries.findByAppAndMchOrderNos(this.ctx.db, keys);
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
    const rule = await this.ctx.options.orderNumberRule?.();
    const toInsert = [...firsts.values()];
    const withTerms = toInsert.filter((item) => item.terms !== undefined);
    const rows =
      withTerms.length === 0
        ? await queries.insertOrders(this.ctx.db, toInsert, rule)
        : await this.ctx.db.tx(async (q) => {
            const inserted = await queries.insertOrders(q, toInsert, rule);
            const byKey = new Map(inserted.map((row) => [orderKey(row.app_id, row.mch_order_no), row]));
            await this.ctx.options.marketplace!.insertTerms(
              q,
              withTerms.flatMap((item) => {
                const order = byKey.get(orderKey(item.order.appId, item.order.mchOrderNo));
                return order ? [{ order, terms: item.terms! }] : [];
              }),
            );
            return inserted;
          });
    const byKey = new Map(rows.map((row) => [orderKey(row.app_id, row.mch_order_no), row]));
    return items.map((item) => {
      const key = orderKey(item.order.appId, item.order.mchOrderNo);
      return firsts.get(key) === item ? (byKey.get(key) ?? null) : null;
    });
  }

  private async acceptBatch(items: Acceptance[]): Promise<(OrderRow | null)[]> {
    const rows = await queries.markPaying(this.ctx.db, items);
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
        if (!rerouted) return (await queries.findById(this.ctx.db, order.id))!;
        current = rerouted;
      }
      const result = await this.ctx.channels.createPayment(
        binding.channelAccountId,
        paymentRequestOf(current, await payWayOf(this.ctx.catalog, current)),
      );
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
      this.ctx.options.log.warn(
        { orderNo: current.order_no, ...refusals.at(-1) },
        'channel did not open the payment',
      );
    }
    // The order fails with what a channel said: an account skipped for its open circuit tells the
    // payer nothing when another one was asked and refused.
    const last = [...refusals].reverse().find((r) => r.code !== CIRCUIT_OPEN_CODE) ?? refusals.at(-1)!;
    const failed = await queries.transition(
      this.ctx.db,
      current.id,
      'created',
      'failed',
      {
        failureCode: last.code,
        failureMessage: last.message,
        failureReason: orderFailureReasonOf(last.code),
      },
      [
        {
          kind: 'channel_refused',
          detail: { channelAccountId: last.channelAccountId, code: last.code, message: last.message },
        },
        { kind: 'failed', detail: { reason: 'every channel refused', attempts: refusals } },
      ],
    );
    return failed ?? (await queries.findById(this.ctx.db, order.id))!;
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
      nextQueryAt: this.steps.sweeps.nextQueryAt(0, order),
    });
    // Null: the order moved on (paid by a notify, or closed) while we waited for the channel.
    const now = paying ?? (await queries.findById(this.ctx.db, order.id))!;
    if (result.status === 'paid') {
      if (result.amount !== undefined && result.amount !== now.amount) {
        await raiseAlert(this.ctx.db, now.id, 'channel_amount_mismatch', {
          amount: result.amount.toString(),
        });
        return now;
      }
      // The channel took the customer's money in this call. Recorded even if the order was closed
      // meanwhile (a late payment, with its alert): the money moved.
      const confirmation = { channelOrderNo: result.channelOrderNo, paidAt: result.paidAt ?? null };
      return (await this.steps.confirm.confirmPaymentOf(now, { ...confirmation, source: 'channel' })).order;
    }
    if (!paying && !isOpen(now.state) && now.paid_at === null) {
      // Closed while the channel was opening the payment: close it there too, so it cannot be paid.
      const closed = await this.ctx.channels.closePayment(binding.channelAccountId, {
        orderNo: now.order_no,
        channelOrderNo: result.channelOrderNo,
      });
      if (closed.outcome === 'paid') await this.steps.closeSync.syncWithChannel({ ...now, state: 'paying' });
      else if (closed.outcome === 'error') {
        await raiseAlert(this.ctx.db, now.id, 'channel_left_open', { message: closed.message ?? '' });
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
      this.ctx.db,
      order.id,
      'created',
      'paying',
      { payDataType: 'none', payDataValue: '', nextQueryAt: this.steps.sweeps.nextQueryAt(0, order) },
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
    return waiting ?? (await queries.findById(this.ctx.db, order.id))!;
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
      this.ctx.db,
      order.id,
      'created',
      'failed',
      {
        failureCode: result.code,
        failureMessage: result.message,
        failureReason: 'declined',
        channelOrderNo: result.channelOrderNo,
      },
      [
        { kind: 'channel_declined', detail },
        { kind: 'failed', detail: { reason: "the customer's payment was declined", code: result.code } },
      ],
    );
    return failed ?? (await queries.findById(this.ctx.db, order.id))!;
  }

  /** Moves a created order to another channel account; its cost and profit follow the new account's rate. */
  reroute(
    order: OrderRow,
    binding: RoutableBinding,
    refusal: { channelAccountId: string; code: string; message: string },
    markedTest: boolean,
  ) {
    // The merchant's fee and the agents' fees stay; the cost is the new account's.
    const split = splitOrderFee(
      order.amount,
      order.fee,
      order.agent_chain,
      binding.cost,
      binding.allowedAtLoss,
    );
    return queries.transition(
      this.ctx.db,
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
        agentCommission: split.agentCommission,
        agentChain: split.agentChain && JSON.stringify(split.agentChain),
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

  /**
   * The accounts to try for an order, in order: the merchant's own bindings for the product when it
   * has some, else the product's; accounts resting behind an open circuit are left out.
   */
  async planFor(productId: bigint, amount: bigint, merchantId?: bigint): Promise<RoutableBinding[]> {
    const bindings = await this.ctx.catalog.routableBindings(productId, merchantId);
    if (bindings.length === 0) return [];
    const usedToday = await this.paidToday(
      bindings.filter((b) => b.dailyLimit !== null).map((b) => b.channelAccountId),
    );
    const health = await this.ctx.options.routeHealth?.();
    const byId = new Map(bindings.map((b) => [b.channelAccountId.toString(), b]));
    return planRoute({
      amount,
      minuteOfDay: minuteOfDayIn(new Date(), this.ctx.options.timeZone),
      candidates: bindings,
      usedToday,
      random: Math.random,
      health,
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
    merchantId: bigint,
  ): Promise<RoutableBinding[]> {
    const binding = (await this.ctx.catalog.routableBindings(productId, merchantId)).find(
      (b) => b.channelAccountId === channelAccountId,
    );
    if (!binding?.enabled) {
      throw new AppError(
        'INVALID_REQUEST',
        `channelAccountId: account ${channelAccountId} is not an enabled channel account bound to ${productCode}`,
        { field: 'channelAccountId' },
      );
    }
    return [binding];
  }

  private async paidToday(accountIds: bigint[]): Promise<Map<string, bigint>> {
    const now = Date.now();
    const stale = accountIds.filter((id) => (this.usage.get(id.toString())?.until ?? 0) <= now);
    if (stale.length > 0) {
      const rows = await queries.paidTodayByAccount(this.ctx.db, stale, this.ctx.options.timeZone);
      const totals = new Map(rows.map((r) => [r.channel_account_id.toString(), r.total]));
      for (const id of stale)
        this.usage.set(id.toString(), {
          total: totals.get(id.toString()) ?? 0n,
          until: now + USAGE_CACHE_MS,
        });
    }
    return new Map(accountIds.map((id) => [id.toString(), this.usage.get(id.toString())!.total]));
  }
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

/**
 * What a pay way needs from the merchant: a pay-code product takes only the customer's pay code,
 * and WeChat's in-app payment needs the payer's openid. Refused before anything is recorded.
 */
function assertPayWayInput(
  payWay: PayWay,
  authCode: string | null,
  extra: Record<string, unknown> | undefined,
) {
  if ((payWay === 'ALI_BAR' || payWay === 'WX_BAR') && authCode === null) {
    throw new AppError(
      'INVALID_REQUEST',
      `extra.authCode: a ${payWay} product takes the customer's pay code`,
      {
        field: 'extra.authCode',
        reason: 'required',
      },
    );
  }
  const openid = extra?.openid;
  if (
    payWay === 'WX_JSAPI' &&
    authCode === null &&
    (typeof openid !== 'string' || !/^[\w-]{1,128}$/.test(openid))
  ) {
    throw new AppError('INVALID_REQUEST', "extra.openid: a WX_JSAPI product needs the payer's openid", {
      field: 'extra.openid',
      reason: 'required',
    });
  }
}
