import type { FastifyReply } from 'fastify';
import type { Services } from '../app/services.ts';
import { type ExportColumn, type ExportFormat, yuan } from '../exports/stream.ts';
import { word } from '../words.ts';
import { countItems, type ItemFilter, itemsAfter } from './queries.ts';
import type { ItemRow } from './types.ts';

const amount = (minor: bigint | null) => (minor === null ? null : yuan(minor));

/** The differences file of a batch: both sides of each item in the drawer's words. */
function columns(services: Services): ExportColumn<ItemRow>[] {
  const time = services.exports.time;
  const ourState = (i: ItemRow) => word(i.kind === 'refund' ? 'refundState' : 'orderState', i.our_state);
  return [
    { key: 'day', header: '对账日', cell: (i) => i.business_day },
    { key: 'class', header: '分类', cell: (i) => word('reconClass', i.class) },
    { key: 'kind', header: '收款/退款', cell: (i) => word('reconKind', i.kind) },
    { key: 'number', header: '平台单号', cell: (i) => i.refund_no ?? i.order_no },
    { key: 'channelTradeNo', header: '通道交易号', cell: (i) => i.channel_trade_no },
    { key: 'ourAmount', header: '平台金额', money: true, cell: (i) => amount(i.our_amount) },
    { key: 'ourState', header: '平台状态', cell: ourState },
    { key: 'ourFee', header: '平台成本', money: true, cell: (i) => amount(i.our_fee) },
    { key: 'ourAt', header: '平台时间', cell: (i) => time(i.our_at) },
    { key: 'channelAmount', header: '通道金额', money: true, cell: (i) => amount(i.channel_amount) },
    { key: 'channelStatus', header: '通道状态', cell: (i) => i.channel_status },
    { key: 'channelFee', header: '通道手续费', money: true, cell: (i) => amount(i.channel_fee) },
    { key: 'channelAt', header: '通道时间', cell: (i) => time(i.channel_at) },
    { key: 'carriedFrom', header: '跨日来源', cell: (i) => i.carried_from_day },
    { key: 'resolution', header: '处理状态', cell: (i) => word('reconResolution', i.resolution) },
    { key: 'note', header: '处理说明', cell: (i) => i.resolution_note },
    { key: 'resolvedAt', header: '处理时间', cell: (i) => time(i.resolved_at) },
  ];
}

/** A batch's differences (every class, or the drawer's class and resolution), not only one page. */
export function sendItemExport(
  services: Services,
  reply: FastifyReply,
  filter: ItemFilter,
  format: ExportFormat,
) {
  return services.exports.send(reply, {
    name: `reconciliation-${filter.batchId}`,
    sheet: '对账差异',
    format,
    columns: columns(services),
    count: () => countItems(services.db, filter),
    page: (afterId, limit) => itemsAfter(services.db, filter, afterId, limit),
    idOf: (i) => i.id,
    shape: (rows) => rows,
  });
}
