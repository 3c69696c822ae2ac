import type { CatalogService, RoutableBinding } from '../catalog/service.ts';
import type { ChannelGateway } from '../channels/gateway.ts';
import { getAdapter } from '../channels/registry.ts';
import type { CreatePaymentResult } from '../channels/types.ts';
import type { Db } from '../db/index.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { AppError } from '../errors.ts';
import { rateOnly } from '../fees/fee.ts';
import { authCodeOf, paymentRequestOf, payWayOf } from './context.ts';
import { topAgentTermsOf, withinTopAgent } from './profit.ts';
import type { OrderRow } from './queries.ts';
import * as queries from './queries.ts';

/**
 * Orders stranded in `created`. An order is recorded `created` with the channel account it is sent
 * to (`channel_account_id`; a failover moves it and stamps `updated_at` again) before the channel
 * is called, and the channel knows it by our order number. If the channel accepted it but writing
 * that acceptance failed (the database went away, the process died), the order stays `created`
 * with no pay data while the channel holds the payment open. Nothing else would ever look at it:
 * the query job asks about `paying` orders only. So a merchant's retry and the order-query job ask
 * the channel about such an order and carry it on from where the channel says it is.
 */

/** The steps of the create path (OrderService) that resuming an order repeats. */
export interface CreatePathSteps {
  /** Opens the payment at the plan's first account, failing over to the next ones; the order is at plan[0]. */
  openAtChannel(order: OrderRow, plan: RoutableBinding[], markedTest: boolean): Promise<OrderRow>;
  /** Records the channel's acceptance (paying with its pay data, or paid). */
  accepted(
    order: OrderRow,
    binding: RoutableBinding,
    result: Extract<CreatePaymentResult, { outcome: 'accepted' }>,
  ): Promise<OrderRow>;
  /** Moves a created order to another account, recording why it left the one it was at. */
  reroute(
    order: OrderRow,
    binding: RoutableBinding,
    refusal: { channelAccountId: string; code: string; message: string },
    markedTest: boolean,
  ): Promise<OrderRow | null>;
  /** Today's routing plan for an amount of a product. */
  planFor(productId: bigint, amount: bigint, merchantId?: bigint): Promise<RoutableBinding[]>;
  /** Asks the channel and applies a paid or failed answer; returns the channel's status. */
  syncWithChannel(order: OrderRow): Promise<string>;
  close(order: OrderRow, source: string): Promise<OrderRow>;
}

export interface StrandedOptions {
  log: { warn(obj: object, msg: string): void };
  /** Waits between queries of an order (the order-query schedule). */
  queryScheduleSeconds: number[];
}

/**
 * A created order is asked about once its channel call is this overdue: well past any channel
 * timeout (QY_CHANNEL_TIMEOUT_MS is at most 120 s), so a create still waiting for the channel's
 * answer is left alone.
 */
export const STRANDED_AFTER_MS = 150_000;

/** Whether a created order may be open at a channel: it was sent to one (or is being sent). */
export function mayBeAtChannel(order: Pick<OrderRow, 'state' | 'channel_account_id'>): boolean {
  return order.state === 'created' && order.channel_account_id !== null;
}

export class StrandedOrders {
  constructor(
    private readonly steps: CreatePathSteps,
    private readonly db: Db,
    private readonly channels: ChannelGateway,
    private readonly catalog: CatalogService,
    private readonly options: StrandedOptions,
  ) {}

  /**
   * A merchant's same-body retry of a created order: rather than handing back an order without
   * pay data, ask the channel. Paid or failed there: recorded. Open there: its pay data is asked
   * for again (the create call is idempotent on the order number) and the acceptance recorded.
   * Closed there: closed here. Unknown there: routing carries on as the create would have, from
   * the account the order is at. A channel that cannot be asked is CHANNEL_ERROR: retry later.
   */
  async resumeForRetry(order: OrderRow): Promise<OrderRow> {
    if (!mayBeAtChannel(order)) return order;
    let status: string;
    try {
      status = await this.steps.syncWithChannel(order);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      throw new AppError(
        'CHANNEL_ERROR',
        `order ${order.order_no} is still being opened at the channel, which did not answer a query ` +
          `(${(error as Error).message}); retry with the same body later`,
      );
    }
    if (status === 'not_found') return this.routeAgain(await this.reread(order));
    return this.carryOn(await this.reread(order), status);
  }

  /**
   * The order-query job's part for created orders: those whose channel call is long overdue are
   * asked about, at the order-query schedule's pace. Open at the channel: the acceptance is
   * recorded (so the payer's pay data is back and the order is queried as any paying one). Unknown
   * at the channel: nobody is waiting for it, so it is left for the merchant's retry or the expiry
   * sweep. Returns how many orders were asked about.
   */
  async queryStranded(limit: number, deadline: number): Promise<number> {
    const due = await queries.strandedCreated(this.db, new Date(Date.now() - STRANDED_AFTER_MS), limit);
    for (const order of due) {
      if (Date.now() > deadline) break;
      const count = order.query_count + 1;
      await queries.scheduleQuery(this.db, order.id, this.nextQueryAt(count), count);
      try {
        const status = await this.steps.syncWithChannel(order);
        if (status !== 'not_found') await this.carryOn(await this.reread(order), status);
      } catch (error) {
        this.options.log.warn(
          { orderNo: order.order_no, error: (error as Error).message },
          'stranded order query failed; will retry',
        );
      }
    }
    return due.length;
  }

  /** Applies what the channel said of an order it knows (paid and failed are already recorded). */
  private async carryOn(order: OrderRow, status: string): Promise<OrderRow> {
    if (!mayBeAtChannel(order)) return order;
    if (status === 'closed') return this.steps.close(order, 'channel_closed');
    if (status !== 'pending') return order;
    const binding = await this.bindingOf(order);
    const result = await this.channels.createPayment(
      binding.channelAccountId,
      paymentRequestOf(order, await payWayOf(this.catalog, order)),
    );
    if (result.outcome !== 'accepted') {
      this.options.log.warn(
        { orderNo: order.order_no, outcome: result.outcome },
        'the channel holds the order open but did not give its pay data again',
      );
      return order;
    }
    return this.steps.accepted(order, binding, result);
  }

  /**
   * The channel never got the order (the process stopped before the call went out): route it as
   * the create would, the account it is at first if that account still takes orders.
   */
  private async routeAgain(order: OrderRow): Promise<OrderRow> {
    if (!mayBeAtChannel(order)) return order;
    // Placed as a test on the operator's test page: it stays a test order on any account.
    const markedTest = order.source === 'console_test' && order.test;
    const authCode = authCodeOf(order);
    const plan = withinTopAgent(
      (await this.steps.planFor(order.product_id, order.amount, order.merchant_id)).filter(
        (b) => !authCode || getAdapter(b.adapterCode)?.supportsAuthCode,
      ),
      topAgentTermsOf(order.agent_chain),
    );
    const here = (await this.catalog.routableBindings(order.product_id, order.merchant_id)).find(
      (b) => b.channelAccountId === order.channel_account_id && b.enabled,
    );
    if (here) {
      return this.steps.openAtChannel(
        order,
        [here, ...plan.filter((b) => b.channelAccountId !== here.channelAccountId)],
        markedTest,
      );
    }
    const next = plan[0];
    if (!next) {
      const failed = await queries.transition(
        this.db,
        order.id,
        'created',
        'failed',
        {
          failureCode: 'NO_CHANNEL_AVAILABLE',
          failureMessage: 'no channel can take this order now',
          failureReason: 'no_channel',
        },
        [{ kind: 'failed', detail: { reason: 'no channel could take the order when it was resumed' } }],
      );
      return failed ?? this.reread(order);
    }
    const moved = await this.steps.reroute(
      order,
      next,
      {
        channelAccountId: order.channel_account_id!.toString(),
        code: 'ACCOUNT_NOT_ROUTABLE',
        message: 'the account no longer takes this order',
      },
      markedTest,
    );
    return moved ? this.steps.openAtChannel(moved, plan, markedTest) : this.reread(order);
  }

  /** The order's account as a routing binding (the accepted path needs only its id). */
  private async bindingOf(order: OrderRow): Promise<RoutableBinding> {
    const bound = (await this.catalog.routableBindings(order.product_id, order.merchant_id)).find(
      (b) => b.channelAccountId === order.channel_account_id,
    );
    return (
      bound ?? {
        channelAccountId: order.channel_account_id!,
        adapterCode: order.adapter_code ?? '',
        costRatePpm: order.channel_rate_ppm ?? 0,
        // Not used on the accepted path: the order keeps the cost split it was routed with.
        cost: rateOnly(order.channel_rate_ppm ?? 0),
        testAccount: order.test,
        allowedAtLoss: false,
        weight: 0,
        priority: 0,
        minAmount: null,
        maxAmount: null,
        dailyLimit: null,
        windowStart: null,
        windowEnd: null,
        enabled: false,
      }
    );
  }

  private async reread(order: OrderRow): Promise<OrderRow> {
    return (await queries.findById(this.db, order.id))!;
  }

  private nextQueryAt(queriesDone: number): Date {
    const schedule = this.options.queryScheduleSeconds;
    return new Date(Date.now() + schedule[Math.min(queriesDone, schedule.length - 1)]! * 1000);
  }
}
