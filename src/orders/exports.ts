import type { Services } from '../app/services.ts';
import { type ExportColumn, type ExportFormat, yuan } from '../exports/stream.ts';
import type { MerchantRow } from '../merchants/queries.ts';
import { WORDS, word } from '../words.ts';
import type { OrderRow } from './queries.ts';
import type { OrderMatchFilter } from './service.ts';

/** The names a file shows beside a page of orders, read once per page from the domains that own them. */
interface Names {
  merchants: Map<bigint, MerchantRow>;
  products: Map<string, string>;
  accounts: Map<bigint, string>;
}

interface Labelled {
  order: OrderRow;
  names: Names;
}

async function namesFor(services: Services, orders: OrderRow[]): Promise<Names> {
  const codes = [...new Set(orders.map((o) => o.product_code))];
  const accountIds = [
    ...new Set(orders.flatMap((o) => (o.channel_account_id === null ? [] : [o.channel_account_id]))),
  ];
  const [merchants, products, accounts] = await Promise.all([
    services.merchants.merchantsByIds([...new Set(orders.map((o) => o.merchant_id))]),
    Promise.all(
      codes.map(async (code) => [code, (await services.catalog.productByCode(code))?.name ?? code] as const),
    ),
    services.catalog.channelAccountNames(accountIds),
  ]);
  return { merchants, products: new Map(products), accounts };
}

/** The columns both consoles' order files share, in the list's words. */
function sharedColumns(time: (at: Date | null) => string | null): ExportColumn<Labelled>[] {
  return [
    { key: 'orderNo', header: '平台订单号', cell: (r) => r.order.order_no },
    { key: 'mchOrderNo', header: '商户订单号', cell: (r) => r.order.mch_order_no },
    { key: 'channelOrderNo', header: '通道订单号', cell: (r) => r.order.channel_order_no },
    {
      key: 'product',
      header: '支付产品',
      cell: (r) => r.names.products.get(r.order.product_code) ?? r.order.product_code,
    },
    { key: 'subject', header: '商品标题', cell: (r) => r.order.subject },
    { key: 'amount', header: '订单金额', money: true, cell: (r) => yuan(r.order.amount) },
    { key: 'fee', header: '手续费', money: true, cell: (r) => yuan(r.order.fee) },
    { key: 'state', header: '订单状态', cell: (r) => word('orderState', r.order.state) },
    { key: 'source', header: '订单来源', cell: (r) => word('orderSource', r.order.source) },
    { key: 'test', header: '测试订单', cell: (r) => (r.order.test ? WORDS.yes : WORDS.no) },
    { key: 'createdAt', header: '创建时间', cell: (r) => time(r.order.created_at) },
    { key: 'paidAt', header: '支付时间', cell: (r) => time(r.order.paid_at) },
  ];
}

/** The operator console's file: with the merchant, the channel account, its cost and the platform's profit. */
function operatorColumns(time: (at: Date | null) => string | null): ExportColumn<Labelled>[] {
  const [orderNo, mchOrderNo, channelOrderNo, product, ...rest] = sharedColumns(time);
  const merchant = (r: Labelled) => r.names.merchants.get(r.order.merchant_id);
  const amounts = rest.slice(0, 3);
  const after = rest.slice(3);
  return [
    orderNo!,
    mchOrderNo!,
    channelOrderNo!,
    { key: 'mchNo', header: '商户号', cell: (r) => merchant(r)?.mch_no ?? '' },
    { key: 'merchantName', header: '商户名称', cell: (r) => merchant(r)?.name ?? '' },
    product!,
    {
      key: 'channelAccount',
      header: '通道账户',
      cell: (r) =>
        r.order.channel_account_id === null ? null : (r.names.accounts.get(r.order.channel_account_id) ?? ''),
    },
    ...amounts,
    { key: 'channelCost', header: '平台成本', money: true, cell: (r) => yuan(r.order.channel_cost) },
    { key: 'platformProfit', header: '平台利润', money: true, cell: (r) => yuan(r.order.platform_profit) },
    ...after,
  ];
}

/** An order export of either console, under the list's filters (a merchant's scope is in them). */
export function sendOrderExport(
  services: Services,
  reply: Parameters<Services['exports']['send']>[0],
  area: 'operator' | 'merchant',
  filter: OrderMatchFilter,
  format: ExportFormat,
) {
  const time = services.exports.time;
  return services.exports.send(reply, {
    name: 'orders',
    sheet: '订单',
    format,
    columns: area === 'operator' ? operatorColumns(time) : sharedColumns(time),
    count: () => services.orders.countMatching(filter),
    page: (afterId, limit) => services.orders.matchingAfter(filter, afterId, limit),
    idOf: (order) => order.id,
    shape: async (orders) => {
      const names = await namesFor(services, orders);
      return orders.map((order) => ({ order, names }));
    },
  });
}
