import { AppError } from '../errors.ts';
import type { NotificationEvent, NotificationLocale, RenderedMessage } from './types.ts';

/** Every event of the contract, in the order the console lists them. */
export const NOTIFICATION_EVENTS = [
  'auth.code',
  'alert.raised',
  'alert.resolved',
  'order.paid',
  'refund.succeeded',
  'merchant.notify_failing',
  'order.large_payment',
  'member.opened',
  'member.split_agreement',
  'test.message',
] as const satisfies readonly NotificationEvent[];

export const NOTIFICATION_LOCALES = ['zh', 'en'] as const satisfies readonly NotificationLocale[];

/** The variables each event's template may use (`{name}`); callers pass them already in words. */
export const EVENT_VARIABLES: Record<NotificationEvent, readonly string[]> = {
  'auth.code': ['code', 'minutes', 'username'],
  'alert.raised': ['title', 'severity', 'detail', 'time', 'kind', 'subject', 'count', 'firstSeen', 'link'],
  'alert.resolved': ['title', 'time', 'kind', 'subject', 'link'],
  'order.paid': ['merchant', 'amount', 'orderNo', 'time'],
  'refund.succeeded': ['merchant', 'amount', 'refundNo', 'orderNo', 'time'],
  'merchant.notify_failing': ['merchant', 'orderNo', 'attempts', 'time'],
  'order.large_payment': ['merchant', 'amount', 'orderNo', 'time'],
  'member.opened': ['merchant', 'member', 'memberNo'],
  'member.split_agreement': ['merchant', 'member', 'memberNo', 'rule', 'commission'],
  'test.message': ['time'],
};

/** Variables never written in clear to the delivery log (a one-time code). */
export const SECRET_VARIABLES: Partial<Record<NotificationEvent, readonly string[]>> = {
  'auth.code': ['code'],
};

export interface TemplateText {
  subject: string;
  body: string;
}

/** The shipped templates, per event and language; operators may change them (notification_template). */
export const DEFAULT_TEMPLATES: Record<NotificationEvent, Record<NotificationLocale, TemplateText>> = {
  'auth.code': {
    zh: {
      subject: '青云支付验证码',
      body: '【青云支付】您的验证码为 {code},{minutes} 分钟内有效。如非本人操作,请忽略本消息。',
    },
    en: {
      subject: 'Qingyun Pay verification code',
      body: 'Qingyun Pay: your verification code is {code}, valid for {minutes} minutes. If you did not ask for it, ignore this message.',
    },
  },
  'alert.raised': {
    zh: {
      subject: '【{severity}】{title}',
      body: '告警:{title}\n级别:{severity}\n详情:{detail}\n时间:{time}\n查看:{link}',
    },
    en: {
      subject: '[{severity}] {title}',
      body: 'Alert: {title}\nSeverity: {severity}\nDetail: {detail}\nTime: {time}\nOpen: {link}',
    },
  },
  'alert.resolved': {
    zh: { subject: '已恢复:{title}', body: '告警已恢复:{title}\n时间:{time}' },
    en: { subject: 'Resolved: {title}', body: 'Alert resolved: {title}\nTime: {time}' },
  },
  'order.paid': {
    zh: {
      subject: '{merchant} 支付成功',
      body: '您在 {merchant} 的订单 {orderNo} 已支付成功,金额 {amount} 元,时间 {time}。',
    },
    en: {
      subject: 'Payment to {merchant} succeeded',
      body: 'Your order {orderNo} at {merchant} is paid: {amount} yuan, at {time}.',
    },
  },
  'refund.succeeded': {
    zh: {
      subject: '{merchant} 退款成功',
      body: '您在 {merchant} 的订单 {orderNo} 已退款 {amount} 元(退款单号 {refundNo}),时间 {time}。',
    },
    en: {
      subject: 'Refund from {merchant} succeeded',
      body: '{amount} yuan of your order {orderNo} at {merchant} was refunded (refund {refundNo}), at {time}.',
    },
  },
  'merchant.notify_failing': {
    zh: {
      subject: '商户通知持续失败:{merchant}',
      body: '商户 {merchant} 的订单 {orderNo} 通知已失败 {attempts} 次,时间 {time}。请检查商户的通知地址。',
    },
    en: {
      subject: 'Merchant notifies failing: {merchant}',
      body: "The notify of order {orderNo} to merchant {merchant} has failed {attempts} times, at {time}. Check the merchant's notify URL.",
    },
  },
  'order.large_payment': {
    zh: {
      subject: '大额支付:{merchant} {amount} 元',
      body: '商户 {merchant} 收到大额支付 {amount} 元,订单 {orderNo},时间 {time}。',
    },
    en: {
      subject: 'Large payment: {merchant} {amount} yuan',
      body: 'Merchant {merchant} received a large payment of {amount} yuan, order {orderNo}, at {time}.',
    },
  },
  'member.opened': {
    zh: {
      subject: '{merchant} 会员开通',
      body: '【青云支付】{member},您已成为 {merchant} 的会员(会员编号 {memberNo}),并签署了会员服务协议。如非本人操作,请联系商户。',
    },
    en: {
      subject: 'Member of {merchant}',
      body: 'Qingyun Pay: {member}, you are now a member of {merchant} (member {memberNo}) and signed the member service agreement. If this was not you, contact the merchant.',
    },
  },
  'member.split_agreement': {
    zh: {
      subject: '{merchant} 分账抽佣协议待签署',
      body: '【青云支付】{member},{merchant} 请您签署分账抽佣协议“{rule}”({commission})。请登录会员门户,在“待签协议”中阅读并签署。',
    },
    en: {
      subject: '{merchant}: a commission agreement to sign',
      body: 'Qingyun Pay: {member}, {merchant} asks you to sign the commission agreement "{rule}" ({commission}). Log in to the member portal and read and sign it under Agreements to sign.',
    },
  },
  'test.message': {
    zh: {
      subject: '青云支付测试消息',
      body: '这是一条来自青云支付的测试消息,发送时间 {time}。收到即表示通知设置可用。',
    },
    en: {
      subject: 'Qingyun Pay test message',
      body: 'This is a test message from Qingyun Pay, sent at {time}. If you read it, the notification settings work.',
    },
  },
};

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** The variables a text uses, in their first order of appearance. */
export function variablesOf(text: string): string[] {
  const seen: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) if (!seen.includes(m[1]!)) seen.push(m[1]!);
  return seen;
}

/**
 * Refuses a template that uses a variable its event does not have (INVALID_REQUEST
 * `unknown_variable`, details: part — subject | body, variable, allowed) or an empty body.
 */
export function validateTemplate(event: NotificationEvent, text: TemplateText): void {
  const allowed = EVENT_VARIABLES[event];
  for (const field of ['subject', 'body'] as const) {
    for (const variable of variablesOf(text[field])) {
      if (!allowed.includes(variable)) {
        throw new AppError('INVALID_REQUEST', `${field}: {${variable}} is not a variable of ${event}`, {
          reason: 'unknown_variable',
          part: field,
          variable,
          allowed: allowed.join(', '),
        });
      }
    }
  }
  if (!text.body.trim()) throw new AppError('INVALID_REQUEST', 'body: required', { field: 'body' });
}

/** Replaces each `{name}` with its value; a variable without a value stays as written. */
export function fill(text: string, vars: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => (name in vars ? vars[name]! : whole));
}

/** A one-time code as the delivery log may show it: its length, not its digits. */
export function maskCode(value: string): string {
  return '*'.repeat(Math.max(4, value.length));
}

/** The variables with the event's secret ones masked, for the delivery log and the preview. */
export function redactVars(event: NotificationEvent, vars: Record<string, string>): Record<string, string> {
  const secret = SECRET_VARIABLES[event] ?? [];
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) out[k] = secret.includes(k) ? maskCode(v) : v;
  return out;
}

/** Sample values for the console's preview, per language. */
export function sampleVars(locale: NotificationLocale): Record<string, string> {
  const zh = locale === 'zh';
  return {
    code: '384912',
    minutes: '15',
    username: 'alice',
    title: zh ? '渠道成功率下降' : 'Channel success rate dropped',
    severity: zh ? '严重' : 'critical',
    detail: zh ? '沙箱渠道 5 分钟成功率 62%' : 'Sandbox channel, 62% over 5 minutes',
    time: '2026-01-15 14:30:00',
    kind: zh ? '通道成功率下降' : 'Channel success rate low',
    subject: zh ? '沙箱通道账户 A' : 'Sandbox account A',
    count: '3',
    firstSeen: '2026-01-15 14:20:00',
    link: 'https://pay.example/operator/alerts?alert=42',
    merchant: zh ? '青云咖啡' : 'Qingyun Coffee',
    amount: '128.00',
    orderNo: 'P202601151430001234',
    refundNo: 'R202601151530005678',
    attempts: '6',
  };
}

export interface TemplateRow extends TemplateText {
  smsTemplateCode: string;
  smsSignName: string;
}

/** Renders a template with the given variables; `sms` carries the provider's template and its params. */
export function render(
  event: NotificationEvent,
  template: TemplateRow,
  vars: Record<string, string>,
  defaultSignName: string,
): RenderedMessage {
  const params = variablesOf(`${template.body}`).map((name): [string, string] => [name, vars[name] ?? '']);
  return {
    event,
    subject: fill(template.subject, vars),
    text: fill(template.body, vars),
    sms: {
      templateCode: template.smsTemplateCode,
      signName: template.smsSignName || defaultSignName,
      params,
    },
  };
}
