import type { Services } from '../app/services.ts';
import type { MerchantRow } from '../merchants/queries.ts';
import { toJsonAmount } from '../money/money.ts';
import type { OrderRow } from './queries.ts';
import { orderView } from './views.ts';

/**
 * The names a console shows beside orders (merchant, product, channel account, console users) and
 * their notify state, read once per page from the domains that own them (cached where they are).
 */
export interface OrderLabels {
  merchants: Map<bigint, MerchantRow>;
  products: Map<string, string>;
  accounts: Map<string, string>;
  users: Map<string, string>;
  notifyStates: Map<string, string>;
  /** Order id → kinds of alert on its timeline (late payment, …) and those not acknowledged yet. */
  alerts: Map<string, { kinds: string[]; unacknowledged: string[] }>;
  /** Static QR code id → its name (the store counter or cashier it stands for). */
  collectCodes: Map<string, string>;
}

export async function labelsFor(services: Services, rows: OrderRow[]): Promise<OrderLabels> {
  const productCodes = [...new Set(rows.map((r) => r.product_code))];
  const accountIds = distinct(rows.map((r) => r.channel_account_id));
  const userIds = distinct(rows.flatMap((r) => [r.created_by_user_id, r.manual_completed_by]));
  const [merchants, notifyStates, alerts, collectCodes, products, accounts, users] = await Promise.all([
    services.merchants.merchantsByIds(rows.map((r) => r.merchant_id)),
    services.notify.latestStateOfOrders(rows.map((r) => r.id)),
    services.orders.alertsOf(rows),
    services.collect.namesOf(distinct(rows.map((r) => r.collect_code_id))),
    Promise.all(
      productCodes.map(
        async (code) => [code, (await services.catalog.productByCode(code))?.name ?? code] as const,
      ),
    ),
    Promise.all(
      accountIds.map(
        async (id) => [id.toString(), (await services.catalog.channelAccount(id))?.name ?? ''] as const,
      ),
    ),
    Promise.all(
      userIds.map(
        async (id) => [id.toString(), (await services.consoleUsers.findUser(id))?.username ?? ''] as const,
      ),
    ),
  ]);
  return {
    merchants,
    notifyStates,
    alerts,
    collectCodes,
    products: new Map(products),
    accounts: new Map(accounts),
    users: new Map(users),
  };
}

function distinct(ids: (bigint | null)[]): bigint[] {
  const seen = new Map<string, bigint>();
  for (const id of ids) if (id !== null) seen.set(id.toString(), id);
  return [...seen.values()];
}

const userName = (labels: OrderLabels, id: bigint | null) =>
  id === null ? null : (labels.users.get(id.toString()) ?? '');

/** An order row of the operator console (OP-7): everything, with the platform's cost and profit. */
export function operatorOrderView(order: OrderRow, labels: OrderLabels, cashierUrl: string) {
  const merchant = labels.merchants.get(order.merchant_id);
  return {
    ...orderView(order, cashierUrl),
    appId: order.app_id,
    mchNo: merchant?.mch_no ?? '',
    merchantName: merchant?.name ?? '',
    productName: labels.products.get(order.product_code) ?? order.product_code,
    channelAccountId: order.channel_account_id?.toString() ?? null,
    channelAccountName:
      order.channel_account_id === null
        ? null
        : (labels.accounts.get(order.channel_account_id.toString()) ?? ''),
    merchantRatePpm: order.merchant_rate_ppm,
    channelRatePpm: order.channel_rate_ppm,
    channelCost: toJsonAmount(order.channel_cost),
    platformProfit: toJsonAmount(order.platform_profit),
    notifyState: labels.notifyStates.get(order.id.toString()) ?? 'none',
    alerts: labels.alerts.get(order.id.toString())?.kinds ?? [],
    unacknowledgedAlerts: labels.alerts.get(order.id.toString())?.unacknowledged ?? [],
    notifyUrl: order.notify_url,
    manualCompletion: order.manual_completed_at
      ? {
          by: userName(labels, order.manual_completed_by),
          at: order.manual_completed_at.toISOString(),
          remark: order.manual_completion_remark ?? '',
        }
      : null,
    source: order.source,
    collectCodeName: collectCodeName(labels, order),
    test: order.test,
    createdBy: userName(labels, order.created_by_user_id),
  };
}

/**
 * An order row of the merchant portal: the merchant's own fields only — never the channel
 * account, its cost or the platform's profit, nor which operator completed it by hand.
 */
export function portalOrderView(order: OrderRow, labels: OrderLabels, cashierUrl: string) {
  return {
    ...orderView(order, cashierUrl),
    appId: order.app_id,
    productName: labels.products.get(order.product_code) ?? order.product_code,
    merchantRatePpm: order.merchant_rate_ppm,
    notifyState: labels.notifyStates.get(order.id.toString()) ?? 'none',
    manualCompletion: order.manual_completed_at ? { at: order.manual_completed_at.toISOString() } : null,
    source: order.source,
    collectCodeName: collectCodeName(labels, order),
    test: order.test,
    // Only the merchant's own users (a cashier who collected, or whose static QR took the payment):
    // an operator who placed a test order stays unnamed.
    createdBy:
      order.source === 'portal' || order.source === 'static_qr'
        ? userName(labels, order.created_by_user_id)
        : null,
  };
}

function collectCodeName(labels: OrderLabels, order: OrderRow): string | null {
  return order.collect_code_id === null
    ? null
    : (labels.collectCodes.get(order.collect_code_id.toString()) ?? '');
}

type EventRow = { kind: string; detail: Record<string, unknown>; alert: boolean; created_at: Date };

/** The timeline as operators see it: every event with its detail. */
export function operatorEvents(events: EventRow[]) {
  return events.map((e) => ({
    kind: e.kind,
    detail: e.detail,
    alert: e.alert,
    at: e.created_at.toISOString(),
  }));
}

/** Event details a merchant may see; the rest (channel accounts, refusals, operators) stays inside. */
const PORTAL_EVENT_FIELDS = ['amount', 'currency', 'mchOrderNo', 'channelOrderNo', 'source', 'previousState'];

export function portalEvents(events: EventRow[]) {
  return events.map((e) => ({
    kind: e.kind,
    detail: Object.fromEntries(
      Object.entries(e.detail)
        .filter(([k]) => PORTAL_EVENT_FIELDS.includes(k))
        .map(([k, v]) => [k, k === 'source' ? portalSource(v) : v]),
    ),
    at: e.created_at.toISOString(),
  }));
}

/** Who acted, as a merchant may see it: the platform's operators stay unnamed ('operator:alice' → 'operator'). */
function portalSource(source: unknown): unknown {
  return typeof source === 'string' && source.startsWith('operator:') ? 'operator' : source;
}
