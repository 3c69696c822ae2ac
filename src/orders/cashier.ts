import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import type { Services } from '../app/services.ts';
import { WindowLimiter } from '../collect/limiter.ts';
import { sendUnknownOrderPage } from '../collect/payer-page.ts';
import { AppError } from '../errors.ts';
import { escapeHtml, LOCK_ICON, payerPageHead, scriptJson } from '../html.ts';
import { type Currency, formatMinor, isCurrency } from '../money/money.ts';
import { DEFAULT_SITE } from '../settings/platform.ts';
import type { OrderRow } from './queries.ts';
import { authCodeOf } from './service.ts';

/**
 * The hosted cashier page (PAY-9), the page a payer opens on a phone: merchant, amount, subject,
 * the QR of the pay data (and a "pay now" button for a pay link), a countdown to expiry, the live
 * state, and the return to the merchant after a payment. Server-rendered, one request, no console
 * code; its script is inline under a per-response nonce, so the CSP allows nothing else.
 *
 * The page and its status endpoint show only this order's public fields: the merchant's short name,
 * amount, subject, state, expiry, and the return URL once paid. Nothing of the session, the
 * merchant's app, the channel or any other order. Every route needs the order's token
 * (`/cashier/{orderNo}/{token}`, see cashier-link.ts): without it the answer is the 404 of an unknown
 * order, so order numbers, which are guessable, reveal nothing. Each IP has a budget of requests
 * (429 `RATE_LIMITED` beyond it), and every page says `Referrer-Policy: no-referrer`, so the token
 * never leaves in a Referer to the channel or the merchant's return page.
 */
export async function cashierRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const perIp = new WindowLimiter(CASHIER_REQUESTS_PER_IP_PER_MINUTE, 60_000);
  /** Every cashier request counts against its IP, whatever the token: polling, reloads and guesses. */
  const throttle = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!perIp.take(request.ip)) {
      reply.header('retry-after', '60');
      throw new AppError(
        'RATE_LIMITED',
        'too many cashier requests from this address; try again in a minute',
      );
    }
  };
  // Each route gets its own options object, so no route's settings can leak into another's.
  const guarded = () => ({ schema: { hide: true }, onRequest: throttle });

  // A link without its token (as handed out before tokens) is as unknown as a made-up order.
  app.get('/cashier/:orderNo', guarded(), async (request, reply) => {
    if (wantsHtml(request)) return sendUnknownOrderPage(reply, languageOf(request));
    throw notFound();
  });

  app.get<{ Params: CashierParams; Querystring: { lang?: string } }>(
    '/cashier/:orderNo/:token',
    guarded(),
    async (request, reply) => {
      const order = await pageOrder(services, request);
      // A payer's browser gets the payer pages' "link not valid" page; API clients keep the JSON 404.
      if (!order) return sendUnknownOrderPage(reply, languageOf(request));
      const links = linksOf(services, order);
      const merchant = await services.merchants.findMerchantById(order.merchant_id);
      const now = new Date();
      const status = publicStatus(order, now);
      const lang = pickLanguage(request.query.lang, request.headers['accept-language']);
      const qrSvg =
        status.phase === 'open' ? await qrOf(order, services.orders.cashierUrl(order.order_no)) : '';
      const nonce = randomBytes(16).toString('base64');
      reply
        .header('content-security-policy', cashierCsp(nonce))
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header('x-content-type-options', 'nosniff')
        .header('vary', 'accept-language')
        .type('text/html; charset=utf-8');
      return page({
        order,
        links,
        merchantName: merchant?.short_name || merchant?.name || '',
        status,
        qrSvg,
        nonce,
        lang,
        siteName: (await services.platformSettings.site()).name,
      });
    },
  );

  // H5 channels hand out a form to post (payData.type form). This page posts it, rebuilt from the
  // channel's action and hidden fields only (none of the channel's markup reaches our origin), and
  // runs no script but our own.
  app.get<{ Params: CashierParams }>('/cashier/:orderNo/:token/pay', guarded(), async (request, reply) => {
    const order = await pageOrder(services, request);
    if (!order) return sendUnknownOrderPage(reply, languageOf(request));
    const form = payFormOf(order);
    if (phaseOf(order, new Date()) !== 'open' || form === null) {
      return reply.header('referrer-policy', 'no-referrer').redirect(linksOf(services, order).page, 303);
    }
    const nonce = randomBytes(16).toString('base64');
    reply
      .header('content-security-policy', formPageCsp(nonce, form.action))
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('x-content-type-options', 'nosniff')
      .type('text/html; charset=utf-8');
    return `<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex,nofollow">
<meta name="referrer" content="no-referrer">
<title>正在前往支付 / Redirecting to pay</title></head><body><p>正在前往支付… / Redirecting to pay…</p>
<form action="${escapeHtml(form.action.href)}" method="${form.method}" accept-charset="utf-8">${form.fields
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join('')}<button type="submit">去支付 / Pay</button></form>
<script nonce="${nonce}">document.forms[0].submit();</script></body></html>`;
  });

  app.get<{ Params: CashierParams }>('/cashier/:orderNo/:token/status', guarded(), async (request, reply) => {
    const order = await findOrder(services, request.params);
    reply
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('x-content-type-options', 'nosniff');
    return publicStatus(order, new Date());
  });
}

/**
 * Cashier requests one IP may make per minute. The page polls every 2 s (30 a minute) while it is
 * visible, so this lets 8 payers behind one address (a shop's Wi-Fi, a carrier's NAT) wait at once.
 */
export const CASHIER_REQUESTS_PER_IP_PER_MINUTE = 240;

interface CashierParams {
  orderNo: string;
  token: string;
}

/** The cashier page's own links, each with the order's token. */
interface CashierLinkSet {
  page: string;
  status: string;
  pay: string;
}

function linksOf(services: Services, order: OrderRow): CashierLinkSet {
  const page = services.orders.cashierPath(order.order_no);
  return { page, status: `${page}/status`, pay: `${page}/pay` };
}

/** Nothing but this page's own nonce'd style and script, calls to its own origin, and data: images. */
export function cashierCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The pay form's page: its own script only. The form goes to the channel's gateway, and on to any
 * https page, since gateways answer the post with a redirect to their cashier (which form-action
 * also governs in some browsers).
 */
function formPageCsp(nonce: string, action: URL): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    `form-action ${action.origin} https:`,
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A channel's H5 form, reduced to what is posted: where, how, and the hidden fields. */
interface PayForm {
  action: URL;
  method: 'post' | 'get';
  fields: [string, string][];
}

/** The channel's form, or null when its pay data is not exactly one form posting to an http(s) URL. */
export function payFormOf(order: Pick<OrderRow, 'pay_data_type' | 'pay_data_value'>): PayForm | null {
  if (order.pay_data_type !== 'form' || !order.pay_data_value) return null;
  const html = order.pay_data_value;
  const forms = html.match(/<form\b[^>]*>/gi) ?? [];
  if (forms.length !== 1) return null;
  const actionText = attributeOf(forms[0]!, 'action');
  const method = (attributeOf(forms[0]!, 'method') ?? 'post').toLowerCase();
  if (actionText === undefined || (method !== 'post' && method !== 'get')) return null;
  let action: URL;
  try {
    action = new URL(actionText);
  } catch {
    return null;
  }
  if (action.protocol !== 'http:' && action.protocol !== 'https:') return null;
  const fields: [string, string][] = [];
  for (const [input] of html.matchAll(/<input\b[^>]*>/gi)) {
    const name = attributeOf(input, 'name');
    const type = (attributeOf(input, 'type') ?? 'text').toLowerCase();
    if (name !== undefined && type === 'hidden') fields.push([name, attributeOf(input, 'value') ?? '']);
  }
  return { action, method, fields };
}

/** An attribute's value in one tag, quoted either way or not at all, with the usual entities decoded. */
function attributeOf(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i').exec(tag);
  const raw = match?.[1] ?? match?.[2] ?? match?.[3];
  return raw === undefined ? undefined : decodeEntities(raw);
}

function decodeEntities(text: string): string {
  return text.replace(/&(#\d+|#x[0-9a-f]+|amp|lt|gt|quot|apos);/gi, (entity, body: string) => {
    const lower = body.toLowerCase();
    if (lower.startsWith('#')) {
      const code = lower.startsWith('#x') ? Number.parseInt(lower.slice(2), 16) : Number(lower.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[lower] ?? entity;
  });
}

/** The order of a page request, or null for an unknown one when a browser asks (it gets the page, not JSON). */
async function pageOrder(
  services: Services,
  request: FastifyRequest<{ Params: CashierParams }>,
): Promise<OrderRow | null> {
  try {
    return await findOrder(services, request.params);
  } catch (error) {
    if (error instanceof AppError && error.code === 'NOT_FOUND' && wantsHtml(request)) return null;
    throw error;
  }
}

/** A browser asking for a page (Accept: text/html), not a script or an API client asking for JSON. */
function wantsHtml(request: FastifyRequest): boolean {
  return /\btext\/html\b/i.test(request.headers.accept ?? '');
}

/** The payer's language: `?lang=` first, then Accept-Language. */
function languageOf(request: FastifyRequest): CashierLanguage {
  const { lang } = (request.query ?? {}) as { lang?: unknown };
  return pickLanguage(typeof lang === 'string' ? lang : undefined, request.headers['accept-language']);
}

/** One answer for a malformed number, an unknown order and a wrong token: nothing to tell them apart. */
const notFound = () => new AppError('NOT_FOUND', 'order not found');

async function findOrder(services: Services, { orderNo, token }: CashierParams): Promise<OrderRow> {
  if (!/^P\d{20}$/.test(orderNo)) throw notFound();
  const order = await services.orders.findByCashierLink(orderNo, token);
  if (!order) throw notFound();
  return order;
}

/**
 * What the payer sees, in one word: `open` (pay now), `expired` (open, but past its expiry: the
 * sweep has not closed it yet, or it was closed by the timeout), `closed` (closed before its expiry,
 * by the merchant), `paid`, `refunded`, `failed`.
 */
export type CashierPhase = 'open' | 'expired' | 'closed' | 'paid' | 'refunded' | 'failed';

/** A closing within this much of the expiry is the timeout's, not the merchant's. */
const EXPIRY_CLOSE_TOLERANCE_MS = 1_000;

export function phaseOf(
  order: Pick<OrderRow, 'state' | 'expires_at' | 'closed_at'>,
  now: Date,
): CashierPhase {
  switch (order.state) {
    case 'created':
    case 'paying':
      return now.getTime() >= order.expires_at.getTime() ? 'expired' : 'open';
    case 'paid':
    case 'partially_refunded':
      return 'paid';
    case 'refunded':
      return 'refunded';
    case 'failed':
      return 'failed';
    case 'closed': {
      const closedAt = order.closed_at?.getTime() ?? now.getTime();
      return closedAt + EXPIRY_CLOSE_TOLERANCE_MS >= order.expires_at.getTime() ? 'expired' : 'closed';
    }
  }
}

/** The status endpoint's answer; the return URL only once paid, and only an http(s) one. */
export function publicStatus(order: OrderRow, now: Date) {
  const phase = phaseOf(order, now);
  return {
    state: order.state,
    phase,
    expiresAt: order.expires_at.toISOString(),
    serverTime: now.toISOString(),
    returnUrl: phase === 'paid' ? httpUrlOrNull(order.return_url) : null,
  };
}
type PublicStatus = ReturnType<typeof publicStatus>;

function httpUrlOrNull(text: string | null): string | null {
  if (!text) return null;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** Schemes a pay link may use: the web and the payment apps' own. Never javascript:, data: or file:. */
const PAY_LINK_SCHEMES = new Set(['http:', 'https:', 'alipays:', 'alipay:', 'weixin:', 'upwrapper:']);

function payLinkOrNull(order: OrderRow, links: CashierLinkSet): string | null {
  if (order.pay_data_type === 'form') return payFormOf(order) ? links.pay : null;
  if (order.pay_data_type !== 'url' || !order.pay_data_value) return null;
  try {
    const url = new URL(order.pay_data_value);
    return PAY_LINK_SCHEMES.has(url.protocol) ? order.pay_data_value : null;
  } catch {
    return null;
  }
}

/** A pay link or QR content is at most a few hundred characters; a QR holds at most ~2 900 bytes. */
const QR_MAX_LENGTH = 2_000;

async function qrOf(order: OrderRow, cashierUrl: string): Promise<string> {
  // A form cannot be scanned: the QR opens this page on the phone, whose button posts the form.
  const value = order.pay_data_type === 'form' ? cashierUrl : order.pay_data_value;
  if (!value || value.length > QR_MAX_LENGTH) return '';
  if (order.pay_data_type !== 'qr' && order.pay_data_type !== 'url' && order.pay_data_type !== 'form')
    return '';
  return QRCode.toString(value, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
}

export type CashierLanguage = 'zh' | 'en';

/** `?lang=` wins; otherwise the Accept-Language entry with the highest weight among zh and en; zh by default. */
export function pickLanguage(query: string | undefined, acceptLanguage: string | undefined): CashierLanguage {
  if (query === 'en' || query === 'zh') return query;
  let best: { lang: CashierLanguage; q: number } | null = null;
  for (const part of (acceptLanguage ?? '').split(',').slice(0, 20)) {
    const [tag = '', ...params] = part.trim().toLowerCase().split(';');
    const lang =
      tag === 'zh' || tag.startsWith('zh-') ? 'zh' : tag === 'en' || tag.startsWith('en-') ? 'en' : null;
    if (!lang) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    if (!best || q > best.q) best = { lang, q };
  }
  return best?.lang ?? 'zh';
}

const TEXT = {
  zh: {
    htmlLang: 'zh-CN',
    title: '收银台',
    secure: '安全支付',
    amount: '支付金额',
    orderNo: '订单号',
    subject: '商品',
    qrLabel: '支付二维码',
    hintQr: '请使用支付 App「扫一扫」完成付款',
    hintUrl: '点击下方按钮前往支付，也可用另一台设备扫码',
    hintNone: '请按商户页面的提示完成支付',
    hintAuthCode: '收银员已扫描您的付款码，请在手机上确认付款',
    hintWechat: '点击下方按钮，在微信中完成支付',
    outsideWechat: '请在微信中打开此页面完成支付',
    payWechat: '微信支付',
    payNow: '去支付',
    countdown: '请在 {time} 内完成支付',
    phase: {
      open: '等待支付',
      expired: '订单已过期',
      closed: '订单已关闭',
      paid: '支付成功',
      refunded: '已退款',
      failed: '支付失败',
    },
    message: {
      open: '',
      expired: '订单已超时，如需付款请返回商户重新下单',
      closed: '该订单已关闭，如需付款请返回商户重新下单',
      paid: '感谢您的付款',
      refunded: '该订单的款项已退回',
      failed: '支付未成功，请返回商户重新下单',
    },
    redirect: '{n} 秒后返回商户…',
    back: '返回商户',
    offline: '网络不稳定，正在重新连接…',
    paidStill: '已付款但仍显示等待？状态会自动更新，请勿重复付款',
    noscript: '请刷新页面查看最新支付状态',
    footer: '青云支付 提供支付服务',
    footerBy: '{site} 提供支付服务',
  },
  en: {
    htmlLang: 'en',
    title: 'Checkout',
    secure: 'Secure payment',
    amount: 'Amount due',
    orderNo: 'Order no.',
    subject: 'Item',
    qrLabel: 'Payment QR code',
    hintQr: 'Scan with your payment app to pay',
    hintUrl: 'Tap the button below to pay, or scan with another device',
    hintNone: "Follow the merchant's instructions to pay",
    hintAuthCode: 'The cashier scanned your pay code: confirm the payment on your phone',
    hintWechat: 'Tap the button below to pay in WeChat',
    outsideWechat: 'Open this page in WeChat to pay',
    payWechat: 'Pay with WeChat',
    payNow: 'Pay now',
    countdown: 'Pay within {time}',
    phase: {
      open: 'Waiting for payment',
      expired: 'Order expired',
      closed: 'Order closed',
      paid: 'Payment successful',
      refunded: 'Refunded',
      failed: 'Payment failed',
    },
    message: {
      open: '',
      expired: 'This order timed out. Please return to the merchant and order again.',
      closed: 'This order was closed. Please return to the merchant and order again.',
      paid: 'Thank you for your payment.',
      refunded: 'The payment for this order was refunded.',
      failed: 'The payment did not go through. Please return to the merchant and order again.',
    },
    redirect: 'Returning to the merchant in {n} s…',
    back: 'Back to merchant',
    offline: 'Connection unstable, retrying…',
    paidStill: 'Paid but still waiting? The status updates by itself; do not pay twice.',
    noscript: 'Reload the page to see the latest status.',
    footer: 'Payments by Qingyun Pay',
    footerBy: 'Payments by {site}',
  },
} as const;

interface PageInput {
  order: OrderRow;
  links: CashierLinkSet;
  merchantName: string;
  status: PublicStatus;
  qrSvg: string;
  nonce: string;
  lang: CashierLanguage;
  /** The site name the operators set (系统设置); the product's own words when it is the default. */
  siteName: string;
}

function page({ order, links, merchantName, status, qrSvg, nonce, lang, siteName }: PageInput): string {
  const t = TEXT[lang];
  const currency: Currency = isCurrency(order.currency) ? order.currency : 'CNY';
  const symbol = currency === 'CNY' ? '¥' : `${currency} `;
  const amount = `${symbol}${formatMinor(order.amount, currency)}`;
  const payLink = payLinkOrNull(order, links);
  const open = status.phase === 'open';
  const wechat = wechatPayParamsOf(order);
  const hint = authCodeOf(order)
    ? t.hintAuthCode
    : wechat
      ? t.hintWechat
      : payLink
        ? t.hintUrl
        : qrSvg
          ? t.hintQr
          : t.hintNone;
  const initial = escapeHtml(Array.from(merchantName.trim())[0] ?? '¥');
  const hidden = (visible: boolean) => (visible ? '' : ' hidden');
  const data = {
    statusUrl: links.status,
    status,
    text: {
      phase: t.phase,
      message: t.message,
      countdown: t.countdown,
      redirect: t.redirect,
    },
  };
  return `${payerPageHead({ htmlLang: t.htmlLang, title: `${t.title} · ${merchantName}`, nonce, style: STYLE })}
<body class="phase-${status.phase}">
<main class="wrap">
<header class="top"><span class="brand">${escapeHtml(t.title)}</span><span class="secure">${LOCK_ICON}${escapeHtml(t.secure)}</span></header>
<section class="card">
<div class="merchant"><span class="avatar" aria-hidden="true">${initial}</span><span class="mname">${escapeHtml(merchantName)}</span></div>
<div class="label">${escapeHtml(t.amount)}</div>
<div class="amount" id="amount">${escapeHtml(amount)}</div>
${order.subject ? `<div class="subject">${escapeHtml(order.subject)}</div>` : ''}
<div class="status" id="status" data-phase="${status.phase}">
<span class="icon" aria-hidden="true">${ICONS}</span>
<div class="state" id="state" data-testid="cashier-state" data-state="${order.state}" role="status" aria-live="polite">${escapeHtml(t.phase[status.phase])}</div>
<div class="countdown" id="countdown"${hidden(open)}></div>
<div class="message" id="message"${hidden(!open)}>${escapeHtml(t.message[status.phase])}</div>
</div>
<div class="pay" id="pay"${hidden(open)}>
${qrSvg ? `<div class="qr" role="img" aria-label="${escapeHtml(t.qrLabel)}">${qrSvg}</div>` : ''}
<p class="hint">${escapeHtml(hint)}</p>
${payLink ? `<a class="btn primary" id="pay-link" href="${escapeHtml(payLink)}" rel="noreferrer">${escapeHtml(t.payNow)}</a>` : ''}
${wechat ? `<button class="btn primary" id="wx-pay" type="button">${escapeHtml(t.payWechat)}</button><p class="hint" id="wx-outside" hidden>${escapeHtml(t.outsideWechat)}</p><script id="wx-params" type="application/json">${scriptJson(wechat)}</script>` : ''}
<p class="small">${escapeHtml(t.paidStill)}</p>
</div>
<div class="done" id="done" hidden>
<p class="redirect" id="redirect" hidden></p>
<a class="btn" id="back" href="#" hidden>${escapeHtml(t.back)}</a>
</div>
<p class="offline" id="offline" hidden>${escapeHtml(t.offline)}</p>
<noscript><p class="small">${escapeHtml(t.noscript)}</p></noscript>
<dl class="meta">
<div><dt>${escapeHtml(t.orderNo)}</dt><dd>${escapeHtml(order.order_no)}</dd></div>
</dl>
</section>
<footer class="foot">${escapeHtml(siteName === DEFAULT_SITE.name ? t.footer : t.footerBy.replace('{site}', siteName))}</footer>
</main>
<script id="cashier-data" type="application/json">${scriptJson(data)}</script>
<script nonce="${nonce}">${SCRIPT}${wechat ? WECHAT_SCRIPT : ''}</script>
</body></html>`;
}

const WECHAT_PARAM = /^[\w=+/.-]{1,1024}$/;

/**
 * A JSAPI order's parameters for WeChat's in-app payment (`getBrandWCPayRequest`), only when they
 * have the shape WeChat Pay's adapter gives: six short strings, nothing a page could misuse.
 */
function wechatPayParamsOf(order: OrderRow): Record<string, string> | null {
  if (order.pay_data_type !== 'jsapi' || !order.pay_data_value) return null;
  let value: unknown;
  try {
    value = JSON.parse(order.pay_data_value);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const params: Record<string, string> = {};
  for (const key of ['appId', 'timeStamp', 'nonceStr', 'package', 'signType', 'paySign']) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field !== 'string' || !WECHAT_PARAM.test(field)) return null;
    params[key] = field;
  }
  return params;
}

/**
 * Inside WeChat the button hands the parameters to WeixinJSBridge (which WeChat's browser injects,
 * sometimes after the page loaded); elsewhere the page says to open it in WeChat. The outcome
 * reaches the page by the status polling, never by the bridge's callback alone.
 */
const WECHAT_SCRIPT = `(function(){
var el=document.getElementById('wx-params');if(!el)return;
var params=JSON.parse(el.textContent),btn=document.getElementById('wx-pay'),out=document.getElementById('wx-outside');
var inWechat=/MicroMessenger/i.test(navigator.userAgent);
if(!inWechat){btn.hidden=true;out.hidden=false;return;}
function invoke(){
  if(typeof WeixinJSBridge==='undefined'){document.addEventListener('WeixinJSBridgeReady',invoke,false);return;}
  WeixinJSBridge.invoke('getBrandWCPayRequest',params,function(){});
}
btn.addEventListener('click',invoke);
})();`;

/** One icon per phase group; CSS shows the one that fits the body's phase class. */
const ICONS = [
  '<svg class="i-wait" viewBox="0 0 48 48"><circle cx="24" cy="24" r="20" fill="none" stroke="currentColor" stroke-width="4" stroke-dasharray="90 40" stroke-linecap="round"/></svg>',
  '<svg class="i-ok" viewBox="0 0 48 48"><circle cx="24" cy="24" r="22" fill="currentColor"/><path d="M14 25l7 7 13-15" fill="none" stroke="#fff" stroke-width="4.5" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  '<svg class="i-bad" viewBox="0 0 48 48"><circle cx="24" cy="24" r="22" fill="currentColor"/><path d="M16 16l16 16M32 16L16 32" fill="none" stroke="#fff" stroke-width="4.5" stroke-linecap="round"/></svg>',
  '<svg class="i-off" viewBox="0 0 48 48"><circle cx="24" cy="24" r="22" fill="currentColor"/><path d="M24 12v13l8 5" fill="none" stroke="#fff" stroke-width="4.5" stroke-linecap="round" stroke-linejoin="round"/></svg>',
].join('');

const STYLE = `
*{box-sizing:border-box}[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%}
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Segoe UI",Roboto,sans-serif;background:#f2f4f7;color:#1f2329;line-height:1.5}
.wrap{max-width:420px;margin:0 auto;padding:12px 12px calc(24px + env(safe-area-inset-bottom))}
.top{display:flex;justify-content:space-between;align-items:center;padding:6px 4px 12px;font-size:13px;color:#646a73}
.brand{font-weight:600;color:#1f2329;font-size:15px}.secure{display:inline-flex;align-items:center;gap:4px;color:#007a52}
.card{background:#fff;border-radius:16px;padding:24px 20px 16px;box-shadow:0 4px 20px rgba(31,35,41,.06);text-align:center}
.merchant{display:flex;align-items:center;justify-content:center;gap:8px;font-size:15px;color:#1f2329;font-weight:500}
.avatar{width:28px;height:28px;border-radius:50%;background:#e8f3ff;color:#0958d9;display:inline-flex;align-items:center;justify-content:center;font-size:14px;font-weight:600;flex:none}
.mname{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;max-width:300px}
.label{margin-top:20px;color:#646a73;font-size:13px}
.amount{font-size:40px;font-weight:700;letter-spacing:.5px;margin:2px 0 4px;font-variant-numeric:tabular-nums;word-break:break-all}
.subject{color:#646a73;font-size:14px;margin:0 auto;max-width:340px;overflow-wrap:anywhere}
.status{margin:20px 0 8px}
.icon svg{display:none;width:48px;height:48px;margin:0 auto 6px}
.phase-open .i-wait{display:block;width:28px;height:28px;color:#1677ff;animation:spin 1.2s linear infinite}
.phase-paid .i-ok{display:block;color:#00a870}
.phase-failed .i-bad{display:block;color:#e34d59}
.phase-closed .i-off,.phase-expired .i-off,.phase-refunded .i-off{display:block;color:#bbbfc4}
@keyframes spin{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.phase-open .i-wait{animation:none}}
.state{font-size:18px;font-weight:600}
.phase-paid .state{color:#007a52;font-size:22px}.phase-failed .state{color:#cf1322;font-size:22px}
.phase-closed .state,.phase-expired .state,.phase-refunded .state{color:#646a73;font-size:22px}
.countdown{color:#646a73;font-size:14px;margin-top:2px}.countdown b{color:#cf1322;font-variant-numeric:tabular-nums}
.message{color:#646a73;font-size:14px;margin-top:4px}
.qr{width:232px;height:232px;margin:8px auto 0;padding:6px;border:1px solid #e5e6eb;border-radius:12px;background:#fff}
.qr svg{display:block;width:100%;height:100%}
.hint{color:#646a73;font-size:14px;margin:12px 0 4px}
.small{color:#646a73;font-size:12px;margin:8px 0 0}
.btn{display:block;width:100%;margin:14px 0 4px;padding:13px 16px;border-radius:10px;border:1px solid #d0d3d6;background:#fff;color:#1f2329;font-size:16px;font-weight:500;text-decoration:none}
.btn.primary{background:#0958d9;border-color:#0958d9;color:#fff}
.btn:active{opacity:.85}.btn:focus-visible{outline:3px solid #91caff;outline-offset:2px}
.redirect{color:#646a73;font-size:14px;margin:12px 0 0}
.offline{color:#ad4e00;background:#fff7e8;border-radius:8px;padding:6px 10px;font-size:13px;margin:12px 0 0}
.meta{margin:20px 0 0;padding-top:12px;border-top:1px dashed #e5e6eb;font-size:12px;color:#646a73;text-align:left}
.meta div{display:flex;justify-content:space-between;gap:12px}.meta dt{flex:none}.meta dd{margin:0;text-align:right;word-break:break-all;font-variant-numeric:tabular-nums;color:#646a73}
.foot{text-align:center;color:#646a73;font-size:12px;margin-top:16px}
@media (min-width:480px){.wrap{padding-top:40px}}
`.replace(/\n/g, '');

/**
 * The page's script (ES5, for old in-app browsers). Polls the status endpoint every 2 s while the
 * order is open and the page is visible, slower after an error or past the expiry, and stops at a
 * final state or after MAX_POLL_MS past the expiry; on success it returns to the merchant after 3 s.
 */
const SCRIPT = `(function(){
var POLL_MS=2000,SLOW_MS=5000,ERROR_MS=5000,MAX_POLL_MS=600000,REDIRECT_S=3;
var data=JSON.parse(document.getElementById('cashier-data').textContent);
var text=data.text,status=data.status;
var skew=new Date(status.serverTime).getTime()-Date.now();
var expiresAt=new Date(status.expiresAt).getTime();
var $=function(id){return document.getElementById(id);};
var timer=null,tickTimer=null,waiting=false,redirecting=false;
function now(){return Date.now()+skew;}
function pad(n){return n<10?'0'+n:''+n;}
function clock(s){var h=Math.floor(s/3600),m=Math.floor(s%3600/60),r=s%60;return (h?h+':'+pad(m):m)+':'+pad(r);}
function live(p){return p==='open'||p==='expired';}
function render(){
  var p=status.phase;
  if(p==='open'&&now()>=expiresAt)p='expired';
  document.body.className='phase-'+p;
  $('status').setAttribute('data-phase',p);
  var st=$('state');st.textContent=text.phase[p];st.setAttribute('data-state',status.state);
  $('pay').hidden=p!=='open';
  $('countdown').hidden=p!=='open';
  var msg=$('message');msg.textContent=text.message[p];msg.hidden=p==='open';
  if(p==='open'){
    var left=Math.max(0,Math.floor((expiresAt-now())/1000));
    $('countdown').textContent='';
    var parts=text.countdown.split('{time}'),b=document.createElement('b');b.textContent=clock(left);
    $('countdown').appendChild(document.createTextNode(parts[0]));$('countdown').appendChild(b);
    $('countdown').appendChild(document.createTextNode(parts[1]||''));
  }
  var done=!live(p);$('done').hidden=!done||!status.returnUrl;
  if(done&&status.returnUrl){$('back').href=status.returnUrl;$('back').hidden=false;}
  if(p==='paid'&&status.returnUrl&&!redirecting)startRedirect();
}
function startRedirect(){
  redirecting=true;var n=REDIRECT_S,el=$('redirect');el.hidden=false;
  (function step(){
    if(n<=0){location.replace(status.returnUrl);return;}
    el.textContent=text.redirect.replace('{n}',n);n-=1;setTimeout(step,1000);
  })();
}
function schedule(ms){clearTimeout(timer);timer=setTimeout(poll,ms);}
function poll(){
  timer=null;
  if(!live(status.phase))return;
  if(now()>expiresAt+MAX_POLL_MS)return;
  if(document.hidden){waiting=true;return;}
  var xhr=new XMLHttpRequest();
  xhr.open('GET',data.statusUrl+'?t='+Date.now());
  xhr.setRequestHeader('accept','application/json');
  xhr.timeout=10000;
  xhr.onload=function(){
    if(xhr.status!==200){return failed();}
    try{var s=JSON.parse(xhr.responseText);}catch(e){return failed();}
    $('offline').hidden=true;
    status=s;skew=new Date(s.serverTime).getTime()-Date.now();expiresAt=new Date(s.expiresAt).getTime();
    render();
    if(live(s.phase))schedule(now()>=expiresAt?SLOW_MS:POLL_MS);else stopTick();
  };
  xhr.onerror=xhr.ontimeout=failed;
  xhr.send();
}
function failed(){$('offline').hidden=false;schedule(ERROR_MS);}
function stopTick(){if(tickTimer){clearInterval(tickTimer);tickTimer=null;}}
document.addEventListener('visibilitychange',function(){
  if(!document.hidden&&waiting){waiting=false;poll();}
});
render();
if(live(status.phase)){tickTimer=setInterval(function(){if(live(status.phase))render();},1000);schedule(POLL_MS);}
})();`;
