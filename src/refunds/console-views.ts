import type { Services } from '../app/services.ts';
import type { MerchantRow } from '../merchants/queries.ts';
import { toJsonAmount } from '../money/money.ts';
import type { RefundRow } from './queries.ts';

/**
 * A refund as both consoles show it (docs/console-api.md, RefundView). The same for operators and
 * merchant users: it holds nothing of the channel (account, cost, channel refund number).
 */
export function consoleRefundView(refund: RefundRow, merchants: Map<bigint, MerchantRow>) {
  const merchant = merchants.get(refund.merchant_id);
  return {
    refundNo: refund.refund_no,
    mchRefundNo: refund.mch_refund_no,
    orderNo: refund.order_no,
    mchOrderNo: refund.mch_order_no,
    merchant: { mchNo: merchant?.mch_no ?? '', name: merchant?.name ?? '' },
    amount: toJsonAmount(refund.amount),
    feeRefund: toJsonAmount(refund.fee_refund),
    currency: refund.currency,
    state: refund.state,
    reason: refund.reason,
    failureMessage: refund.failure_message,
    createdAt: refund.created_at.toISOString(),
    succeededAt: refund.succeeded_at?.toISOString() ?? null,
    failedAt: refund.failed_at?.toISOString() ?? null,
    source: refund.source,
  };
}

export type ConsoleRefundView = ReturnType<typeof consoleRefundView>;

/** Console views of refunds, their merchants read once for the page. */
export async function consoleRefundViews(
  services: Services,
  rows: RefundRow[],
): Promise<ConsoleRefundView[]> {
  if (rows.length === 0) return [];
  const merchants = await services.merchants.merchantsByIds(rows.map((r) => r.merchant_id));
  return rows.map((r) => consoleRefundView(r, merchants));
}

/** An order's refunds for the consoles' order detail, oldest first. */
export async function refundsOfOrderView(services: Services, orderId: bigint): Promise<ConsoleRefundView[]> {
  return consoleRefundViews(services, await services.refunds.refundsOfOrder(orderId));
}
