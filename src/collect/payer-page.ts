import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../app/services.ts';
import { AppError } from '../errors.ts';
import { escapeHtml, LOCK_ICON, payerPageHead, scriptJson } from '../html.ts';
import { type Currency, formatMinor, isCurrency } from '../money/money.ts';
import { type CashierLanguage, pickLanguage } from '../orders/cashier.ts';
import { AMOUNT_TEXT_MAX_LENGTH } from './amount.ts';
import { WindowLimiter } from './limiter.ts';
import { FORM_TOKEN_PATTERN, type PayerContext, type PayerForm, randomCode } from './service.ts';

/**
 * The payer's page of a static QR (`/pay/{code}`): the merchant's and the counter's names, an amount
 * field, the methods, a pay button. Server-rendered like the cashier page: one request, no console
 * code, a per-response nonce for its style and script, zh by default and en by Accept-Language or
 * `?lang=en`. It works without script; the script only checks the amount as it is typed and stops a
 * second tap. A good submission answers 303 to the order's cashier link (`/cashier/{orderNo}/{token}`); a refused one renders the page
 * again with the payer's input, the reason in words and its stable code, and creates nothing.
 */

/** Order attempts (form submissions) per client IP per minute, and per code per minute across IPs. */
export const PAYER_ATTEMPTS_PER_IP_PER_MINUTE = 30;
export const PAYER_ATTEMPTS_PER_CODE_PER_MINUTE = 120;

export async function payerRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const perIp = new WindowLimiter(PAYER_ATTEMPTS_PER_IP_PER_MINUTE, 60_000);
  const perCode = new WindowLimiter(PAYER_ATTEMPTS_PER_CODE_PER_MINUTE, 60_000);

  app.get<{ Params: { code: string }; Querystring: { lang?: string } }>(
    '/pay/:code',
    { schema: { hide: true } },
    async (request, reply) => {
      const lang = pickLanguage(request.query.lang, request.headers['accept-language']);
      try {
        const context = await services.collect.payerContext(request.params.code);
        return send(reply, 200, (nonce) => formPage({ context, lang, nonce, token: randomCode(), form: {} }));
      } catch (error) {
        return unavailable(request, reply, error, lang);
      }
    },
  );

  app.post<{ Params: { code: string }; Querystring: { lang?: string } }>(
    '/pay/:code',
    { schema: { hide: true } },
    async (request, reply) => {
      const lang = pickLanguage(request.query.lang, request.headers['accept-language']);
      const form = formOf(request.body);
      let context: PayerContext;
      try {
        context = await services.collect.payerContext(request.params.code);
      } catch (error) {
        return unavailable(request, reply, error, lang);
      }
      /** The form again with the refusal; `keepToken` when nothing was spent under the form's token. */
      const again = (status: number, error: Refusal, keepToken: boolean) =>
        send(reply, status, (nonce) =>
          formPage({
            context,
            lang,
            nonce,
            token: keepToken && form.token && FORM_TOKEN_PATTERN.test(form.token) ? form.token : randomCode(),
            form,
            error,
          }),
        );
      if (!perIp.take(request.ip) || !perCode.take(context.code.code)) {
        return again(429, { code: 'RATE_LIMITED' }, true);
      }
      try {
        const order = await services.collect.placeOrder(context, form, request.ip);
        return reply
          .header('cache-control', 'no-store')
          .redirect(services.orders.cashierPath(order.order_no), 303);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        // The code was disabled (or its merchant stopped) since the page was read.
        if (
          error.code === 'NOT_FOUND' ||
          error.code === 'MERCHANT_DISABLED' ||
          error.code === 'APP_DISABLED'
        ) {
          return unavailable(request, reply, error, lang);
        }
        const reason = error.details?.reason as string | undefined;
        // A refusal before the order was written leaves the token unused, so a corrected form may
        // still use it; a token that already names an order (or a malformed one) is replaced.
        const spent =
          reason === 'resubmitted' || reason === 'stale' || reason === 'channel' || reason === 'token';
        return again(error.status, { code: error.code, reason, details: error.details }, !spent);
      }
    },
  );
}

/** Sends a page rendered with a fresh nonce, under a policy that allows only that nonce. */
function send(reply: FastifyReply, status: number, render: (nonce: string) => string) {
  const nonce = randomBytes(16).toString('base64');
  return reply
    .code(status)
    .header('content-security-policy', payerCsp(nonce))
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('x-robots-tag', 'noindex, nofollow')
    .header('vary', 'accept-language')
    .type('text/html; charset=utf-8')
    .send(render(nonce));
}

/**
 * Nothing but this page's nonce'd style and script, and a form posted to itself (the answer
 * redirects to the cashier page on the same origin).
 */
export function payerCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The form's fields as text; anything else (a JSON object's numbers, arrays) counts as missing. */
function formOf(body: unknown): PayerForm {
  const fields = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const text = (value: unknown, max: number) =>
    typeof value === 'string' && value.length <= max ? value : undefined;
  return {
    amount: text(fields.amount, AMOUNT_TEXT_MAX_LENGTH * 4),
    method: text(fields.method, 64),
    token: text(fields.token, 64),
  };
}

/** The page for a code that cannot take a payment now: unknown, disabled, merchant stopped, no method. */
function unavailable(request: FastifyRequest, reply: FastifyReply, error: unknown, lang: CashierLanguage) {
  if (!(error instanceof AppError)) throw error;
  const reason = error.details?.reason as string | undefined;
  const kind: UnavailableKind =
    error.code === 'NOT_FOUND'
      ? reason === 'disabled' || reason === 'deleted'
        ? reason
        : 'unknown'
      : error.code === 'MERCHANT_DISABLED' || error.code === 'APP_DISABLED'
        ? 'merchant'
        : error.code === 'PRODUCT_NOT_AVAILABLE'
          ? 'methods'
          : 'other';
  if (kind === 'other') request.log.warn({ err: error }, 'payer page unavailable');
  return send(reply, error.status, (nonce) => unavailablePage({ kind, code: error.code, lang, nonce }));
}

/**
 * The cashier's answer to a browser for a link that names no order (an unknown number, a wrong
 * or missing token): the payer pages' "cannot pay" page, in the payer's language, 404 `NOT_FOUND`.
 */
export function sendUnknownOrderPage(reply: FastifyReply, lang: CashierLanguage) {
  return send(reply, 404, (nonce) => unavailablePage({ kind: 'order', code: 'NOT_FOUND', lang, nonce }));
}

// ---------- words ----------

interface Refusal {
  code: string;
  reason?: string;
  details?: Record<string, unknown>;
}

/** Why a payer page cannot take a payment; `order`: a cashier link to no order (unknown, or a wrong token). */
type UnavailableKind = 'unknown' | 'disabled' | 'deleted' | 'merchant' | 'methods' | 'order' | 'other';

const TEXT = {
  zh: {
    htmlLang: 'zh-CN',
    title: '付款',
    secure: '安全支付',
    amount: '付款金额',
    amountPlaceholder: '0.00',
    limits: '单笔 {min} – {max}',
    method: '支付方式',
    pay: '确认付款',
    paying: '正在发起付款…',
    errorCode: '错误码',
    footer: '青云支付 提供支付服务',
    errors: {
      empty: '请输入付款金额',
      format: '请输入正确的金额，例如 8.80',
      decimals: '金额最多两位小数',
      zero: '付款金额须大于 0',
      range: '单笔金额须在 {min} 至 {max} 之间',
      method_missing: '请选择支付方式',
      method: '该支付方式暂不可用，请选择其他方式',
      token: '页面已过期，请确认金额后重新提交',
      resubmitted: '该页面已提交过一笔付款，请确认金额后重新提交',
      stale: '上一笔付款已关闭，请确认金额后重新提交',
      channel: '支付通道暂时不可用，请稍后重试',
      RATE_LIMITED: '操作过于频繁，请稍后再试',
      NO_CHANNEL_AVAILABLE: '支付通道暂时不可用，请稍后重试',
      other: '付款未能发起，请稍后重试',
    },
    unavailable: {
      unknown: { title: '收款码不存在', message: '请核对二维码，或向商家确认收款方式' },
      disabled: { title: '收款码已停用', message: '该收款码已被商家停用，请向商家确认收款方式' },
      deleted: { title: '收款码已删除', message: '该收款码已被删除，不能再付款，请向商家确认收款方式' },
      merchant: { title: '商家暂停收款', message: '该商家暂时无法收款，请向商家确认收款方式' },
      methods: { title: '暂无可用的支付方式', message: '该收款码暂时无法付款，请向商家确认收款方式' },
      order: { title: '付款链接无效', message: '订单不存在或链接已失效，请回到商家页面重新发起付款' },
      other: { title: '暂时无法付款', message: '请稍后再试' },
    },
  },
  en: {
    htmlLang: 'en',
    title: 'Pay',
    secure: 'Secure payment',
    amount: 'Amount',
    amountPlaceholder: '0.00',
    limits: '{min} – {max} per payment',
    method: 'Pay with',
    pay: 'Pay',
    paying: 'Starting the payment…',
    errorCode: 'Error code',
    footer: 'Payments by Qingyun Pay',
    errors: {
      empty: 'Enter the amount',
      format: 'Enter an amount such as 8.80',
      decimals: 'The amount has at most two decimals',
      zero: 'The amount must be greater than 0',
      range: 'The amount must be between {min} and {max}',
      method_missing: 'Choose how to pay',
      method: 'This payment method is not available; choose another',
      token: 'This page has expired; check the amount and submit again',
      resubmitted: 'This page was already used for a payment; check the amount and submit again',
      stale: 'The previous payment was closed; check the amount and submit again',
      channel: 'Payments are unavailable right now; try again shortly',
      RATE_LIMITED: 'Too many attempts; wait a moment and try again',
      NO_CHANNEL_AVAILABLE: 'Payments are unavailable right now; try again shortly',
      other: 'The payment could not be started; try again shortly',
    },
    unavailable: {
      unknown: { title: 'QR code not found', message: 'Check the QR code, or ask the merchant how to pay' },
      disabled: {
        title: 'QR code disabled',
        message: 'The merchant has disabled this QR code; ask how to pay',
      },
      deleted: {
        title: 'QR code deleted',
        message: 'This QR code was deleted and takes no payments; ask the merchant how to pay',
      },
      merchant: {
        title: 'Payments paused',
        message: 'This merchant cannot take payments now; ask how to pay',
      },
      methods: {
        title: 'No payment method',
        message: 'This QR code cannot take payments now; ask the merchant',
      },
      order: {
        title: 'Payment link not valid',
        message: 'This order does not exist or the link has expired; go back to the merchant and start again',
      },
      other: { title: 'Cannot pay now', message: 'Please try again shortly' },
    },
  },
} as const;

type Words = (typeof TEXT)[CashierLanguage];

/** "¥50,000.00": the amount with its symbol and thousands separators, for limits in words. */
function money(amount: bigint, currency: string): string {
  const c: Currency = isCurrency(currency) ? currency : 'CNY';
  const [whole = '', fraction] = formatMinor(amount, c).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${c === 'CNY' ? '¥' : `${c} `}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** The refusal in the payer's words. */
function refusalText(t: Words, refusal: Refusal, context: PayerContext, form: PayerForm): string {
  const errors = t.errors as Record<string, string>;
  if (refusal.code === 'AMOUNT_OUT_OF_RANGE') {
    const method = context.methods.find((m) => m.productCode === form.method) ?? context.methods[0]!;
    return t.errors.range
      .replace('{min}', money(method.minAmount, method.currency))
      .replace('{max}', money(method.maxAmount, method.currency));
  }
  return (refusal.reason && errors[refusal.reason]) || errors[refusal.code] || t.errors.other;
}

// ---------- pages ----------

interface FormPageInput {
  context: PayerContext;
  lang: CashierLanguage;
  nonce: string;
  token: string;
  form: PayerForm;
  error?: Refusal;
}

function formPage({ context, lang, nonce, token, form, error }: FormPageInput): string {
  const t = TEXT[lang];
  const { code, merchantName, methods } = context;
  const selected = methods.find((m) => m.productCode === form.method)?.productCode ?? methods[0]!.productCode;
  const current = methods.find((m) => m.productCode === selected)!;
  const symbol = isCurrency(context.currency) && context.currency !== 'CNY' ? context.currency : '¥';
  const limits = (m: (typeof methods)[number]) =>
    t.limits
      .replace('{min}', money(m.minAmount, m.currency))
      .replace('{max}', money(m.maxAmount, m.currency));
  const query = lang === 'en' ? '?lang=en' : '';
  const message = error ? refusalText(t, error, context, form) : '';
  const initial = escapeHtml(Array.from(merchantName.trim())[0] ?? '¥');
  const data = {
    errors: t.errors,
    paying: t.paying,
    methods: methods.map((m) => ({
      code: m.productCode,
      min: m.minAmount.toString(),
      max: m.maxAmount.toString(),
      limits: limits(m),
      range: t.errors.range
        .replace('{min}', money(m.minAmount, m.currency))
        .replace('{max}', money(m.maxAmount, m.currency)),
    })),
  };
  const methodItems = methods
    .map(
      (m) => `<label class="method">
<input type="radio" name="method" value="${escapeHtml(m.productCode)}" data-testid="pay-method-${escapeHtml(m.productCode)}"${m.productCode === selected ? ' checked' : ''}>
<span class="mbox"><span class="micon ${walletClass(m.wallet)}" aria-hidden="true">${escapeHtml(Array.from(m.wallet ?? m.name)[0] ?? '¥')}</span><span class="mname">${escapeHtml(m.wallet && lang === 'zh' ? m.wallet : m.name)}</span><span class="check" aria-hidden="true"></span></span>
</label>`,
    )
    .join('\n');
  return `${payerPageHead({ htmlLang: t.htmlLang, title: `${t.title} · ${merchantName}`, nonce, style: STYLE })}
<body>
<main class="wrap">
<header class="top"><span class="brand">${escapeHtml(t.title)}</span><span class="secure">${LOCK_ICON}${escapeHtml(t.secure)}</span></header>
<section class="card">
<div class="merchant" data-testid="pay-merchant"><span class="avatar" aria-hidden="true">${initial}</span><span class="names"><span class="mname-main">${escapeHtml(merchantName)}</span><span class="store" data-testid="pay-store">${escapeHtml(code.name)}</span></span></div>
<form method="post" action="/pay/${escapeHtml(code.code)}${query}" id="pay-form" data-testid="pay-form" novalidate autocomplete="off">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label class="label" for="amount">${escapeHtml(t.amount)}</label>
<div class="amount-box${error ? ' invalid' : ''}"><span class="cur" aria-hidden="true">${escapeHtml(symbol)}</span><input id="amount" name="amount" type="text" inputmode="decimal" enterkeyhint="done" maxlength="${AMOUNT_TEXT_MAX_LENGTH}" placeholder="${t.amountPlaceholder}" value="${escapeHtml(form.amount ?? '')}" data-testid="pay-amount" aria-describedby="limits pay-error" autofocus></div>
<p class="limits" id="limits">${escapeHtml(limits(current))}</p>
<fieldset class="methods"><legend class="label">${escapeHtml(t.method)}</legend>
${methodItems}
</fieldset>
<div class="error" id="pay-error" data-testid="pay-error" role="alert"${error ? ` data-error-code="${escapeHtml(error.code)}"` : ' hidden'}><span id="pay-error-text">${escapeHtml(message)}</span>${error ? `<span class="ecode">${escapeHtml(t.errorCode)} ${escapeHtml(error.code)}</span>` : ''}</div>
<button type="submit" class="btn primary" id="pay-submit" data-testid="pay-submit">${escapeHtml(t.pay)}</button>
</form>
</section>
<footer class="foot">${escapeHtml(t.footer)}</footer>
</main>
<script id="pay-data" type="application/json">${scriptJson(data)}</script>
<script nonce="${nonce}">${SCRIPT}</script>
</body></html>`;
}

function walletClass(wallet: string | null): string {
  return wallet === '支付宝' ? 'alipay' : wallet === '微信' ? 'wechat' : wallet === '云闪付' ? 'union' : '';
}

function unavailablePage({
  kind,
  code,
  lang,
  nonce,
}: {
  kind: UnavailableKind;
  code: string;
  lang: CashierLanguage;
  nonce: string;
}): string {
  const t = TEXT[lang];
  const words = t.unavailable[kind];
  return `${payerPageHead({ htmlLang: t.htmlLang, title: words.title, nonce, style: STYLE })}
<body>
<main class="wrap">
<header class="top"><span class="brand">${escapeHtml(t.title)}</span><span class="secure">${LOCK_ICON}${escapeHtml(t.secure)}</span></header>
<section class="card center" data-testid="pay-unavailable" data-error-code="${escapeHtml(code)}" data-kind="${kind}">
${OFF_ICON}
<h1 class="utitle">${escapeHtml(words.title)}</h1>
<p class="umessage">${escapeHtml(words.message)}</p>
<p class="ecode">${escapeHtml(t.errorCode)} ${escapeHtml(code)}</p>
</section>
<footer class="foot">${escapeHtml(t.footer)}</footer>
</main>
</body></html>`;
}

const OFF_ICON =
  '<svg class="uicon" viewBox="0 0 48 48" aria-hidden="true"><circle cx="24" cy="24" r="22" fill="currentColor"/><path d="M16 16l16 16M32 16L16 32" fill="none" stroke="#fff" stroke-width="4.5" stroke-linecap="round"/></svg>';

// The cashier page's look (orders/cashier.ts), with the form's own parts.
const STYLE = `
*{box-sizing:border-box}[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%}
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Segoe UI",Roboto,sans-serif;background:#f2f4f7;color:#1f2329;line-height:1.5}
.wrap{max-width:420px;margin:0 auto;padding:12px 12px calc(24px + env(safe-area-inset-bottom))}
.top{display:flex;justify-content:space-between;align-items:center;padding:6px 4px 12px;font-size:13px;color:#646a73}
.brand{font-weight:600;color:#1f2329;font-size:15px}.secure{display:inline-flex;align-items:center;gap:4px;color:#007a52}
.card{background:#fff;border-radius:16px;padding:20px 20px 16px;box-shadow:0 4px 20px rgba(31,35,41,.06)}
.card.center{text-align:center;padding:32px 20px 24px}
.merchant{display:flex;align-items:center;gap:10px;padding-bottom:16px;border-bottom:1px dashed #e5e6eb}
.avatar{width:40px;height:40px;border-radius:50%;background:#e8f3ff;color:#0958d9;display:inline-flex;align-items:center;justify-content:center;font-size:18px;font-weight:600;flex:none}
.names{display:flex;flex-direction:column;min-width:0}
.mname-main{font-size:16px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.store{font-size:13px;color:#646a73;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
form{margin:0}
.label{display:block;margin:18px 0 6px;color:#646a73;font-size:14px;padding:0}
.amount-box{display:flex;align-items:baseline;gap:6px;border-bottom:2px solid #1677ff;padding:4px 2px 6px}
.amount-box.invalid{border-bottom-color:#e34d59}
.cur{font-size:30px;font-weight:600}
#amount{flex:1;min-width:0;border:0;outline:0;background:transparent;font:inherit;font-size:40px;font-weight:700;font-variant-numeric:tabular-nums;color:#1f2329;padding:0;letter-spacing:.5px}
#amount::placeholder{color:#c9cdd4}
.limits{margin:6px 0 0;color:#646a73;font-size:12px}
.methods{border:0;margin:14px 0 0;padding:0;min-width:0}
.methods .label{margin-top:0}
.method{display:block;margin:0 0 8px;cursor:pointer}
.method input{position:absolute;opacity:0;pointer-events:none}
.mbox{display:flex;align-items:center;gap:10px;padding:12px 14px;border:1px solid #e5e6eb;border-radius:12px}
.method input:checked+.mbox{border-color:#1677ff;background:#f0f6ff}
.method input:focus-visible+.mbox{outline:3px solid #91caff;outline-offset:2px}
.micon{width:28px;height:28px;border-radius:8px;background:#1677ff;color:#fff;display:inline-flex;align-items:center;justify-content:center;font-size:14px;font-weight:600;flex:none}
.micon.alipay{background:#1677ff}.micon.wechat{background:#07c160}.micon.union{background:#e60012}
.mname{flex:1;font-size:15px;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.check{width:18px;height:18px;border-radius:50%;border:1.5px solid #c9cdd4;flex:none}
.method input:checked+.mbox .check{border:5px solid #1677ff}
.error{margin:14px 0 0;padding:10px 12px;border-radius:10px;background:#fff1f0;color:#cf1322;font-size:14px}
.ecode{display:block;margin-top:2px;color:#646a73;font-size:12px}
.btn{display:block;width:100%;margin:18px 0 4px;padding:14px 16px;border-radius:12px;border:1px solid #d0d3d6;background:#fff;color:#1f2329;font:inherit;font-size:17px;font-weight:600;cursor:pointer}
.btn.primary{background:#0958d9;border-color:#0958d9;color:#fff}
.btn:active{opacity:.85}.btn:focus-visible{outline:3px solid #91caff;outline-offset:2px}
.btn[disabled]{opacity:.6;cursor:default}
.uicon{display:block;width:56px;height:56px;margin:0 auto 12px;color:#bbbfc4}
.utitle{font-size:20px;margin:0 0 6px}
.umessage{color:#646a73;font-size:14px;margin:0 0 8px}
.foot{text-align:center;color:#646a73;font-size:12px;margin-top:16px}
@media (min-width:480px){.wrap{padding-top:40px}}
`.replace(/\n/g, '');

/**
 * The page's script (ES5, for old in-app browsers): shows the chosen method's limits, checks the
 * amount before sending (the server checks it again), and stops a second tap while the first one is
 * on its way. A page restored from the back-forward cache is usable again.
 */
const SCRIPT = `(function(){
var data=JSON.parse(document.getElementById('pay-data').textContent);
var form=document.getElementById('pay-form'),amount=document.getElementById('amount');
var button=document.getElementById('pay-submit'),box=document.getElementById('pay-error');
var text=document.getElementById('pay-error-text'),limits=document.getElementById('limits');
var label=button.textContent,sending=false;
function chosen(){var r=form.querySelectorAll('input[name=method]');for(var i=0;i<r.length;i++)if(r[i].checked)return r[i].value;return '';}
function method(){var c=chosen();for(var i=0;i<data.methods.length;i++)if(data.methods[i].code===c)return data.methods[i];return null;}
function fen(v){
  v=v.replace(/[\\uff10-\\uff19]/g,function(c){return String.fromCharCode(c.charCodeAt(0)-0xfee0);}).replace(/\\uff0e/g,'.').replace(/\\uff0c/g,',');
  v=v.replace(/^\\s*[\\u00a5\\uffe5]?\\s*/,'').replace(/\\s+$/,'');
  if(v==='')return 'empty';
  var m=/^(\\d{0,12})(?:[.,](\\d*))?$/.exec(v);
  if(!m||(m[1]===''&&!m[2]))return 'format';
  var f=m[2]||'';if(f.length>2)return 'decimals';
  var whole=m[1]||'0';while(whole.length>1&&whole.charAt(0)==='0')whole=whole.slice(1);
  var n=whole+(f+'00').slice(0,2);while(n.length>1&&n.charAt(0)==='0')n=n.slice(1);
  if(n==='0')return 'zero';
  return {fen:n};
}
function less(a,b){return a.length!==b.length?a.length<b.length:a<b;}
var amountBox=amount.parentNode;
function show(msg){
  box.hidden=!msg;text.textContent=msg||'';
  var e=box.querySelector('.ecode');if(e)e.parentNode.removeChild(e);box.removeAttribute('data-error-code');
  amountBox.className=msg?'amount-box invalid':'amount-box';
}
function check(){
  var m=method();if(!m)return data.errors.method_missing;
  var r=fen(amount.value);if(typeof r==='string')return data.errors[r];
  if(less(r.fen,m.min)||less(m.max,r.fen))return m.range;
  return '';
}
form.addEventListener('change',function(){var m=method();if(m)limits.textContent=m.limits;});
amount.addEventListener('input',function(){if(!box.hidden)show('');});
form.addEventListener('submit',function(e){
  if(sending){e.preventDefault();return;}
  var msg=check();
  if(msg){e.preventDefault();show(msg);amount.focus();return;}
  sending=true;button.disabled=true;button.textContent=data.paying;
});
window.addEventListener('pageshow',function(){sending=false;button.disabled=false;button.textContent=label;});
})();`;
