import type { FastifyReply } from 'fastify';
import type { Services } from '../app/services.ts';
import { type ExportColumn, type ExportFormat, yuan } from '../exports/stream.ts';
import type { MerchantRow } from '../merchants/queries.ts';
import { word } from '../words.ts';
import type { RefundRow } from './queries.ts';
import type { RefundMatchFilter } from './service.ts';

interface Named {
  refund: RefundRow;
  merchant: MerchantRow | undefined;
}

/** A refund file of either console: the same columns the list shows (nothing of the channel). */
function columns(services: Services, area: 'operator' | 'merchant'): ExportColumn<Named>[] {
  const time = services.exports.time;
  return [
    { key: 'refundNo', header: '退款单号', cell: (r) => r.refund.refund_no },
    { key: 'mchRefundNo', header: '商户退款单号', cell: (r) => r.refund.mch_refund_no },
    { key: 'orderNo', header: '平台订单号', cell: (r) => r.refund.order_no },
    { key: 'mchOrderNo', header: '商户订单号', cell: (r) => r.refund.mch_order_no },
    ...(area === 'operator'
      ? [
          { key: 'mchNo', header: '商户号', cell: (r: Named) => r.merchant?.mch_no ?? '' },
          { key: 'merchantName', header: '商户名称', cell: (r: Named) => r.merchant?.name ?? '' },
        ]
      : []),
    { key: 'amount', header: '退款金额', money: true, cell: (r) => yuan(r.refund.amount) },
    { key: 'feeRefund', header: '退还手续费', money: true, cell: (r) => yuan(r.refund.fee_refund) },
    { key: 'state', header: '退款状态', cell: (r) => word('refundState', r.refund.state) },
    { key: 'reason', header: '退款原因', cell: (r) => r.refund.reason },
    { key: 'failureMessage', header: '失败原因', cell: (r) => r.refund.failure_message },
    { key: 'createdAt', header: '创建时间', cell: (r) => time(r.refund.created_at) },
    { key: 'succeededAt', header: '退款成功时间', cell: (r) => time(r.refund.succeeded_at) },
  ];
}

/** A refund export of either console, under the list's filters (a merchant's scope is in them). */
export function sendRefundExport(
  services: Services,
  reply: FastifyReply,
  area: 'operator' | 'merchant',
  filter: RefundMatchFilter,
  format: ExportFormat,
) {
  return services.exports.send(reply, {
    name: 'refunds',
    sheet: '退款',
    format,
    columns: columns(services, area),
    count: () => services.refunds.countMatching(filter),
    page: (afterId, limit) => services.refunds.matchingAfter(filter, afterId, limit),
    idOf: (refund) => refund.id,
    shape: async (refunds) => {
      const merchants = await services.merchants.merchantsByIds(refunds.map((r) => r.merchant_id));
      return refunds.map((refund) => ({ refund, merchant: merchants.get(refund.merchant_id) }));
    },
  });
}
