import type { AuditService } from '../audit/service.ts';
import { AppError } from '../errors.ts';
import type { OrderRow } from './queries.ts';
import type { OrderService } from './service.ts';

/** What an operator may do to many orders at once from the order list. */
export const BATCH_ACTIONS = ['close', 'sync', 'notify_resend'] as const;
export type BatchAction = (typeof BATCH_ACTIONS)[number];

/**
 * The most orders one batch request holds. Each order is a channel call (close, sync), so a request
 * of this many finishes well within the request timeout; the console sends a longer selection in
 * requests of this size or smaller, showing its progress between them.
 */
export const MAX_BATCH_ORDERS = 100;

/** The audit row each order of a batch gets: the same action key and route as the one-order action. */
const ACTIONS: Record<BatchAction, { key: string; route: string }> = {
  close: { key: 'order.close', route: 'POST /api/admin/orders/:orderNo/close' },
  sync: { key: 'order.sync', route: 'POST /api/admin/orders/:orderNo/sync' },
  notify_resend: { key: 'order.notify_resend', route: 'POST /api/admin/orders/:orderNo/notify/resend' },
};

/** One order's outcome: succeeded (with its state after), or refused with the stable code and its details. */
export interface BatchResult {
  orderNo: string;
  outcome: 'succeeded' | 'refused';
  /** The order's state after the action (when it exists). */
  state: string | null;
  code: string | null;
  message: string | null;
  details: Record<string, unknown> | null;
}

export interface BatchActor {
  userId: bigint;
  username: string;
  ip: string;
}

/**
 * Runs one action on each order in turn (never in parallel: each is a channel call, and the channel
 * should not see a burst from one click). An order's refusal does not stop the others. Each order
 * is audited on its own, as if the one-order action had been asked for it.
 */
export async function runOrderBatch(
  deps: { orders: OrderService; audit: AuditService },
  action: BatchAction,
  orderNos: string[],
  actor: BatchActor,
): Promise<BatchResult[]> {
  const results: BatchResult[] = [];
  for (const orderNo of [...new Set(orderNos)]) {
    let before: OrderRow | null = null;
    let result: BatchResult;
    let after: unknown;
    try {
      before = await deps.orders.requireByOrderNo(orderNo);
      const by = `operator:${actor.username}`;
      let state: string = before.state;
      if (action === 'close') state = (await deps.orders.close(before, by)).state;
      else if (action === 'sync') state = (await deps.orders.syncNow(before, by)).state;
      else after = { notifyResent: await deps.orders.resendNotify(orderNo) };
      after ??= { state };
      result = { orderNo, outcome: 'succeeded', state, code: null, message: null, details: null };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      result = {
        orderNo,
        outcome: 'refused',
        state: before?.state ?? null,
        code: error.code,
        message: error.message,
        details: error.details ?? null,
      };
      after = { refused: error.code, ...(error.details ? { details: error.details } : {}) };
    }
    results.push(result);
    await deps.audit.record({
      actorArea: 'operator',
      actorId: actor.userId,
      actorName: actor.username,
      ip: actor.ip,
      action: ACTIONS[action].route,
      actionKey: ACTIONS[action].key,
      targetType: 'order',
      targetId: orderNo,
      status: result.outcome === 'succeeded' ? 200 : new AppError(result.code as 'NOT_FOUND', '').status,
      before: before ? { state: before.state, batch: true } : undefined,
      after,
    });
  }
  return results;
}
