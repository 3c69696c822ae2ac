import type { AlertKind, AlertRow, AlertSeverity } from './types.ts';

/**
 * The words of alert messages (the notifications' template variables are already in words), the
 * same the operator console shows (web/src/operator/alerts/locales.ts).
 */
export const ALERT_WORDS: Record<
  'zh' | 'en',
  { kind: Record<AlertKind, string>; severity: Record<AlertSeverity, string> }
> = {
  zh: {
    kind: {
      'channel.success_rate_low': '通道账户成功率下降',
      'channel.paying_stuck': '支付中订单积压',
      'merchant.notify_failing': '商户通知持续失败',
      'order.paid_after_close': '订单关闭后收到支付',
      'refund.outcome_conflict': '退款结果冲突',
      'reconciliation.unresolved': '对账差异隔日未处理',
      'channel.circuit_open': '通道账户熔断',
    },
    severity: { info: '提示', warning: '警告', critical: '严重' },
  },
  en: {
    kind: {
      'channel.success_rate_low': 'Channel account success rate dropped',
      'channel.paying_stuck': 'Orders stuck in paying',
      'merchant.notify_failing': 'Merchant notifications failing',
      'order.paid_after_close': 'Payment after the order was closed',
      'refund.outcome_conflict': 'Refund outcome conflict',
      'reconciliation.unresolved': 'Reconciliation differences unresolved next morning',
      'channel.circuit_open': 'Channel account circuit open',
    },
    severity: { info: 'Info', warning: 'Warning', critical: 'Critical' },
  },
};

const REFUND_STATE = {
  zh: { pending: '退款中', succeeded: '退款成功', failed: '退款失败' },
  en: { pending: 'pending', succeeded: 'succeeded', failed: 'failed' },
} as const;
const refundState = (v: unknown, locale: 'zh' | 'en') =>
  (REFUND_STATE[locale] as Record<string, string>)[String(v)] ?? String(v);

const n = (v: unknown) => (typeof v === 'number' || typeof v === 'string' ? String(v) : '');

/** One sentence saying what the detector saw last, in the recipient's language. */
export function summaryOf(alert: Pick<AlertRow, 'kind' | 'detail'>, locale: 'zh' | 'en'): string {
  const d = alert.detail;
  const zh = locale === 'zh';
  switch (alert.kind) {
    case 'channel.success_rate_low':
      return zh
        ? `近 ${n(d.windowMinutes)} 分钟成功率 ${n(d.ratePct)}%（${n(d.paid)}/${n(d.decided)}），低于 ${n(d.thresholdPct)}%`
        : `Success rate ${n(d.ratePct)}% (${n(d.paid)}/${n(d.decided)}) over the last ${n(d.windowMinutes)} minutes, below ${n(d.thresholdPct)}%`;
    case 'channel.paying_stuck':
      return zh
        ? `${n(d.paying)} 笔订单支付中超过 ${n(d.olderThanMinutes)} 分钟`
        : `${n(d.paying)} orders paying for more than ${n(d.olderThanMinutes)} minutes`;
    case 'merchant.notify_failing':
      return zh
        ? `近 ${n(d.windowMinutes)} 分钟 ${n(d.failing)} 条通知失败（${n(d.givenUp)} 条已放弃）`
        : `${n(d.failing)} notifications failing in the last ${n(d.windowMinutes)} minutes (${n(d.givenUp)} given up)`;
    case 'order.paid_after_close':
      return zh
        ? '通道报告已关闭的订单支付成功，资金已到账'
        : 'The channel reported a payment for a closed order';
    case 'refund.outcome_conflict':
      return zh
        ? `退款 ${n(d.refundNo)} 记录为${refundState(d.recorded, locale)}，通道通知为${refundState(d.channelSays, locale)}`
        : `Refund ${n(d.refundNo)} is recorded as ${refundState(d.recorded, locale)}, the channel says ${refundState(d.channelSays, locale)}`;
    case 'reconciliation.unresolved':
      return zh
        ? `${n(d.day)} 的对账有 ${n(d.open)} 条差异未处理`
        : `${n(d.open)} differences of ${n(d.day)} are still unresolved`;
    case 'channel.circuit_open':
      return zh ? '通道账户已熔断，暂停路由' : 'The channel account is taken out of routing';
  }
}
