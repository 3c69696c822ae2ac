import { formatMinor } from '../money/money.ts';
import { localDateTime } from '../stats/time.ts';
import type { BotLanguage } from './queries.ts';

/**
 * What the bot says, in a group's language: the consoles' glossary words (支付成功, 通道账户,
 * 可用余额 …), money in yuan from bigint fen, times on the platform's wall clock.
 */

/** One channel account's line of /channels; more columns (a breaker's state) are added as fields. */
export interface ChannelLine {
  name: string;
  /** Paid / decided orders over the last 15 and 60 minutes, 0..1; null when none was decided. */
  last15: number | null;
  last60: number | null;
  falling: boolean;
  /** The account's circuit breaker when it is not closed (channel health). */
  circuit?: 'open' | 'half_open';
  /** Extra facts about the account, each already in words. */
  notes?: string[];
}

export interface MerchantBalance {
  available: bigint;
  pending: bigint;
  frozen: bigint;
  reserved: bigint;
  settledByChannel: bigint;
  mode: string;
}

export interface PlatformBalance {
  merchantsAvailable: bigint;
  merchantsPending: bigint;
  merchantsFrozen: bigint;
  merchantsReserved: bigint;
}

export interface TodayFigures {
  date: string;
  orderCount: number;
  paidCount: number;
  paidAmount: bigint;
  /** 0..1 of the decided orders; null when none was decided yet. */
  successRate: number | null;
}

export interface OrderLine {
  orderNo: string;
  mchOrderNo: string;
  channelOrderNo: string | null;
  merchant: string | null;
  amount: bigint;
  state: string;
  createdAt: Date;
  paidAt: Date | null;
}

const ORDER_STATE = {
  zh: {
    created: '待支付',
    paying: '支付中',
    paid: '支付成功',
    failed: '支付失败',
    closed: '已关闭',
    partially_refunded: '部分退款',
    refunded: '已退款',
  },
  en: {
    created: 'Awaiting payment',
    paying: 'Paying',
    paid: 'Paid',
    failed: 'Failed',
    closed: 'Closed',
    partially_refunded: 'Partly refunded',
    refunded: 'Refunded',
  },
} as const satisfies Record<BotLanguage, Record<string, string>>;

/** 1234567n → "12,345.67". */
export function yuan(fen: bigint): string {
  const [whole, fraction] = formatMinor(fen).split('.') as [string, string];
  const negative = whole.startsWith('-');
  const digits = negative ? whole.slice(1) : whole;
  return `${negative ? '-' : ''}${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction}`;
}

const money = (language: BotLanguage, fen: bigint) =>
  language === 'zh' ? `${yuan(fen)} 元` : `CNY ${yuan(fen)}`;

const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);

export function botWords(language: BotLanguage, timeZone: string) {
  const zh = language === 'zh';
  const time = (at: Date) => localDateTime(at, timeZone);
  return {
    bound: (subject: string) =>
      zh
        ? `本群已绑定到${subject}。发送 /help 查看可用命令。`
        : `This group is now bound to ${subject}. Send /help for the commands.`,
    operators: zh ? '运营平台' : 'the platform operators',
    merchant: (name: string, mchNo: string) =>
      zh ? `商户 ${name}（${mchNo}）` : `merchant ${name} (${mchNo})`,

    help: (subject: 'operators' | 'merchant') =>
      [
        zh ? '可用命令：' : 'Commands:',
        zh
          ? `/balance — ${subject === 'merchant' ? '商户余额' : '平台余额汇总'}`
          : `/balance — ${subject === 'merchant' ? "the merchant's balances" : 'balances across the platform'}`,
        zh
          ? '/today — 今日支付成功笔数、金额与成功率'
          : "/today — today's paid orders, amount and success rate",
        zh
          ? '/order <订单号> — 查询订单（平台、商户或通道订单号）'
          : '/order <number> — look up an order (our, the merchant’s or the channel’s number)',
        ...(subject === 'operators'
          ? [
              zh
                ? '/channels — 通道账户近 15 / 60 分钟成功率'
                : '/channels — channel accounts’ success rates over 15 / 60 minutes',
            ]
          : []),
        zh ? '/help — 本帮助' : '/help — this help',
      ].join('\n'),

    merchantBalance: (b: MerchantBalance, at: Date) =>
      [
        zh ? `余额（${time(at)}）` : `Balances (${time(at)})`,
        `${zh ? '可用余额' : 'Available'}: ${money(language, b.available)}`,
        `${zh ? '待结算' : 'Pending settlement'}: ${money(language, b.pending)}`,
        `${zh ? '冻结金额' : 'Frozen'}: ${money(language, b.frozen)}`,
        `${zh ? '风险预留' : 'Risk reserve'}: ${money(language, b.reserved)}`,
        ...(b.mode === 'direct'
          ? [`${zh ? '通道直清' : 'Settled by the channel'}: ${money(language, b.settledByChannel)}`]
          : []),
      ].join('\n'),

    platformBalance: (b: PlatformBalance, at: Date) =>
      [
        zh ? `平台余额汇总（${time(at)}）` : `Platform balances (${time(at)})`,
        `${zh ? '商户可用余额合计' : "Merchants' available, total"}: ${money(language, b.merchantsAvailable)}`,
        `${zh ? '商户待结算合计' : "Merchants' pending settlement, total"}: ${money(language, b.merchantsPending)}`,
        `${zh ? '商户冻结金额合计' : "Merchants' frozen, total"}: ${money(language, b.merchantsFrozen)}`,
        `${zh ? '商户风险预留合计' : "Merchants' risk reserve, total"}: ${money(language, b.merchantsReserved)}`,
      ].join('\n'),

    today: (f: TodayFigures) =>
      [
        zh ? `今日（${f.date}）` : `Today (${f.date})`,
        `${zh ? '支付成功' : 'Paid'}: ${f.paidCount} ${zh ? '笔' : f.paidCount === 1 ? 'order' : 'orders'}, ${money(language, f.paidAmount)}`,
        `${zh ? '订单数' : 'Orders'}: ${f.orderCount}`,
        `${zh ? '成功率' : 'Success rate'}: ${percent(f.successRate)}`,
      ].join('\n'),

    orderUsage: zh ? '用法：/order <订单号>' : 'Usage: /order <order number>',
    orderNotFound: (number: string) => (zh ? `未找到订单 ${number}` : `No order ${number}`),
    orderTooShort: (minDigits: number) =>
      zh
        ? `请输入完整订单号，或平台订单号的后 ${minDigits} 位以上`
        : `Give a whole order number, or at least the last ${minDigits} digits of ours`,
    orders: (orders: OrderLine[], more: boolean) =>
      [
        ...orders.map((o) =>
          [
            `${zh ? '平台订单号' : 'Order no.'}: ${o.orderNo}`,
            `${zh ? '商户订单号' : 'Merchant order no.'}: ${o.mchOrderNo}`,
            ...(o.channelOrderNo ? [`${zh ? '通道订单号' : 'Channel order no.'}: ${o.channelOrderNo}`] : []),
            ...(o.merchant ? [`${zh ? '商户' : 'Merchant'}: ${o.merchant}`] : []),
            `${zh ? '金额' : 'Amount'}: ${money(language, o.amount)}`,
            `${zh ? '状态' : 'State'}: ${ORDER_STATE[language][o.state as keyof (typeof ORDER_STATE)['zh']] ?? o.state}`,
            `${zh ? '创建时间' : 'Created'}: ${time(o.createdAt)}`,
            ...(o.paidAt ? [`${zh ? '支付时间' : 'Paid'}: ${time(o.paidAt)}`] : []),
          ].join('\n'),
        ),
        ...(more
          ? [zh ? '还有更多订单，请输入更完整的订单号' : 'More orders match: give more of the number']
          : []),
      ].join('\n\n'),

    channels: (lines: ChannelLine[]) =>
      lines.length === 0
        ? zh
          ? '近 60 分钟没有订单经过通道账户'
          : 'No orders went through a channel account in the last 60 minutes'
        : [
            zh
              ? '通道账户成功率（近 15 分钟 / 近 60 分钟）'
              : 'Channel accounts: success rate (15 min / 60 min)',
            ...lines.map((l) =>
              [
                `${l.falling || l.circuit ? '⚠️ ' : ''}${l.name}: ${percent(l.last15)} / ${percent(l.last60)}`,
                ...(l.falling ? [zh ? '成功率下降' : 'falling'] : []),
                ...(l.circuit === 'open' ? [zh ? '已熔断，暂停路由' : 'circuit open, not routed to'] : []),
                ...(l.circuit === 'half_open' ? [zh ? '半开，试探中' : 'circuit half-open, probing'] : []),
                ...(l.notes ?? []),
              ].join(' · '),
            ),
          ].join('\n'),

    largePayment: (o: { orderNo: string; mchOrderNo: string; amount: bigint; paidAt: Date }) =>
      [
        zh ? '💰 大额收款' : '💰 Large payment',
        `${zh ? '金额' : 'Amount'}: ${money(language, o.amount)}`,
        `${zh ? '平台订单号' : 'Order no.'}: ${o.orderNo}`,
        `${zh ? '商户订单号' : 'Merchant order no.'}: ${o.mchOrderNo}`,
        `${zh ? '支付时间' : 'Paid'}: ${time(o.paidAt)}`,
      ].join('\n'),

    notifyFailed: (n: { orderNo: string | null; eventType: string; attempts: number; at: Date }) =>
      [
        zh ? '⚠️ 商户通知发送失败' : '⚠️ A merchant notify failed',
        ...(n.orderNo ? [`${zh ? '平台订单号' : 'Order no.'}: ${n.orderNo}`] : []),
        `${zh ? '通知类型' : 'Notify'}: ${n.eventType}`,
        `${zh ? '已尝试' : 'Attempts'}: ${n.attempts}`,
        `${zh ? '最后尝试' : 'Last attempt'}: ${time(n.at)}`,
        zh
          ? '请检查通知地址，可在商户后台重新发送。'
          : 'Check the notify address; the merchant portal can send it again.',
      ].join('\n'),

    testMessage: zh ? '这是一条来自青云支付的测试消息。' : 'This is a test message from Qingyun Pay.',
  };
}
