import { authCodeOf, type OrderContext, type OrderSteps } from './context.ts';
import type { OrderRow } from './queries.ts';
import * as queries from './queries.ts';
import { mayBeAtChannel } from './resume.ts';
import { isOpen } from './state.ts';

/** A created order whose channel call never came back is closed after this long. */
const CREATED_GRACE_MS = 120_000;
const SWEEP_BATCH = 100;
/** A sweep stops taking new orders after this long, well inside its job lease (slow channels). */
const SWEEP_BUDGET_MS = 60_000;
/** An expired order whose channel cannot be reached is tried again after this long. */
const EXPIRY_RETRY_MS = 60_000;
/** …and closed on our side, with an alert, once it has been expired this long. */
const UNCONFIRMED_CLOSE_AFTER_MS = 24 * 60 * 60 * 1000;
/** Waits between queries of a paying auth-code order: the customer is at the counter, confirming. */
const AUTH_CODE_QUERY_SCHEDULE_SECONDS = [5, 5, 10, 10, 30, 60];

/** The scheduled steps: the expiry sweep, the queries of paying (and stranded created) orders. */
export class Sweeps {
  constructor(
    private readonly ctx: OrderContext,
    private readonly steps: OrderSteps,
  ) {}

  /**
   * Expired open orders: ask the channel first (the customer may have paid), then close. A channel
   * that cannot be reached leaves the order for the next sweep.
   */
  async sweepExpired(): Promise<number> {
    const due = await queries.dueForExpiry(this.ctx.db, SWEEP_BATCH);
    const deadline = Date.now() + SWEEP_BUDGET_MS;
    for (const order of due) {
      if (Date.now() > deadline) break;
      try {
        if (order.state === 'created' && Date.now() - order.created_at.getTime() < CREATED_GRACE_MS) continue;
        // A created order may be open at its channel (its acceptance never recorded): ask first too.
        const askChannel = order.state === 'paying' || mayBeAtChannel(order);
        const status = askChannel ? await this.steps.closeSync.syncWithChannel(order) : 'not_found';
        if (status === 'mismatch') {
          // The channel's amount disagrees with ours: an operator must look; the sweep moves on.
          await queries.postponeSweep(this.ctx.db, order.id, new Date(Date.now() + EXPIRY_RETRY_MS));
          continue;
        }
        if (status === 'paid' || status === 'failed') continue;
        const fresh = (await queries.findById(this.ctx.db, order.id))!;
        if (isOpen(fresh.state)) await this.steps.closeSync.close(fresh, 'expired');
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
      await queries.postponeSweep(this.ctx.db, order.id, new Date(Date.now() + EXPIRY_RETRY_MS));
      this.ctx.options.log.warn({ orderNo: order.order_no, error: message }, 'expiry sweep will retry');
      return;
    }
    const closed = await queries.transition(
      this.ctx.db,
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
    if (closed)
      this.ctx.options.log.warn({ orderNo: order.order_no }, 'closed without the channel confirming');
  }

  /**
   * PAY-7: paying orders are asked about at growing intervals, so a lost notify does not strand
   * them; so are created orders whose channel call is long overdue (resume.ts).
   */
  async queryPaying(): Promise<number> {
    const due = await queries.dueForQuery(this.ctx.db, SWEEP_BATCH);
    const deadline = Date.now() + SWEEP_BUDGET_MS;
    const stranded = await this.steps.stranded.queryStranded(SWEEP_BATCH, deadline);
    for (const order of due) {
      if (Date.now() > deadline) break;
      const count = order.query_count + 1;
      await queries.scheduleQuery(this.ctx.db, order.id, this.nextQueryAt(count, order), count);
      try {
        await this.steps.closeSync.syncWithChannel(order);
      } catch (error) {
        this.ctx.options.log.warn(
          { orderNo: order.order_no, error: (error as Error).message },
          'order query failed; will retry',
        );
      }
    }
    return due.length + stranded;
  }

  nextQueryAt(queriesDone: number, order: OrderRow): Date {
    // A customer confirms an auth-code payment within seconds, at the counter: ask soon and often.
    const schedule = authCodeOf(order)
      ? AUTH_CODE_QUERY_SCHEDULE_SECONDS
      : this.ctx.options.queryScheduleSeconds;
    const wait = schedule[Math.min(queriesDone, schedule.length - 1)]!;
    return new Date(Date.now() + wait * 1000);
  }
}
