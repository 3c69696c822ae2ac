import { createHash } from 'node:crypto';
import type { SandboxPayment } from './payment-book.ts';

/**
 * The sandbox cashier: a self-contained HTML page (inline CSS, no external assets) where a tester
 * decides whether a payment succeeds. Every value shown is escaped. Its one script, allowed by its
 * hash, shows times in the browser's own time zone; without it they read in UTC, said so.
 */

/** Rewrites each <time data-local> to the browser's local time: YYYY-MM-DD HH:mm:ss. */
const LOCAL_TIME_SCRIPT = `(function(){var p=function(n){return (n<10?'0':'')+n;};var l=document.querySelectorAll('time[data-local]');for(var i=0;i<l.length;i++){var d=new Date(l[i].getAttribute('datetime'));if(isNaN(d.getTime()))continue;l[i].textContent=d.getFullYear()+'-'+p(d.getMonth()+1)+'-'+p(d.getDate())+' '+p(d.getHours())+':'+p(d.getMinutes())+':'+p(d.getSeconds());}})();`;
const LOCAL_TIME_SCRIPT_HASH = createHash('sha256').update(LOCAL_TIME_SCRIPT).digest('base64');

/** Sent with every page: nothing may load from elsewhere and the form may only post back here. */
export const PAY_PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${LOCAL_TIME_SCRIPT_HASH}'; form-action 'self'; base-uri 'none'`,
  'x-content-type-options': 'nosniff',
} as const;

const CURRENCY_SYMBOLS: Record<string, string> = { CNY: '¥', HKD: 'HK$', USD: '$' };

const STYLE = `
  *{box-sizing:border-box}
  body{margin:0;font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f2f4f7;color:#1f2937}
  main{max-width:420px;margin:0 auto;padding:24px 16px}
  h1{font-size:18px;font-weight:600;margin:0 0 16px;text-align:center}
  .card{background:#fff;border-radius:12px;padding:20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
  .amount{font-size:36px;font-weight:700;text-align:center;margin:8px 0 4px}
  .subject{text-align:center;color:#6b7280;margin:0 0 16px;word-break:break-all}
  dl{display:grid;grid-template-columns:auto 1fr;gap:8px 12px;margin:0;font-size:14px}
  dt{color:#6b7280}dd{margin:0;text-align:right;word-break:break-all}
  .status{display:block;text-align:center;margin-top:16px;font-weight:600}
  .WAITING{color:#b45309}.SUCCESS{color:#047857}.FAILED,.CLOSED,.EXPIRED{color:#b91c1c}
  form{display:grid;gap:12px;margin-top:20px}
  button{font-size:16px;padding:14px;border:0;border-radius:8px;cursor:pointer}
  .pay{background:#16a34a;color:#fff}.fail{background:#e5e7eb;color:#374151}
  .note{text-align:center;font-size:12px;color:#9ca3af;margin-top:16px}
`;

/** ¥12.34 from 1234n: integer division of the minor units, never a float. */
export function formatAmount(amount: bigint, currency: string): string {
  const negative = amount < 0n;
  const magnitude = negative ? -amount : amount;
  const major = magnitude / 100n;
  const minor = (magnitude % 100n).toString().padStart(2, '0');
  const symbol = CURRENCY_SYMBOLS[currency] ?? `${currency} `;
  return `${negative ? '-' : ''}${symbol}${major}.${minor}`;
}

export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

type ShownState = 'WAITING' | 'SUCCESS' | 'FAILED' | 'CLOSED' | 'EXPIRED';

const STATE_LABELS: Record<ShownState, string> = {
  WAITING: '待支付 / Waiting for payment',
  SUCCESS: '支付成功 / Paid',
  FAILED: '支付失败 / Payment failed',
  CLOSED: '已关闭 / Closed',
  EXPIRED: '已过期 / Expired',
};

function shownState(payment: SandboxPayment): ShownState {
  return payment.status === 'CLOSED' && payment.closedBy === 'expiry' ? 'EXPIRED' : payment.status;
}

/** The cashier for one payment; the pay / fail buttons appear only while it can still be paid. */
export function renderPaymentPage(payment: SandboxPayment): string {
  const state = shownState(payment);
  const decision =
    state === 'WAITING'
      ? `<form method="post" action="${escapeHtml(payment.tradeNo)}">
      <button class="pay" type="submit" name="result" value="success">支付成功 / Pay</button>
      <button class="fail" type="submit" name="result" value="fail">支付失败 / Fail</button>
    </form>`
      : '';
  const body = `<div class="card">
    <p class="amount">${escapeHtml(formatAmount(payment.amount, payment.currency))}</p>
    <p class="subject">${escapeHtml(payment.subject)}</p>
    <dl>
      <dt>交易号 / Trade no.</dt><dd>${escapeHtml(payment.tradeNo)}</dd>
      <dt>商户订单号 / Order no.</dt><dd>${escapeHtml(payment.outTradeNo)}</dd>
      <dt>到期 / Expires</dt><dd>${localTime(payment.expireAt)}</dd>
    </dl>
    <span class="status ${state}">${escapeHtml(STATE_LABELS[state])}</span>
    ${decision}
  </div>
  <p class="note">沙箱环境，不会产生真实扣款 / Sandbox: no real money moves.</p>`;
  return layout(body);
}

/** An instant the page's script shows in the browser's time zone; UTC (and says so) without script. */
function localTime(instant: Date): string {
  const utc = `${instant.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  return `<time data-local datetime="${escapeHtml(instant.toISOString())}" data-testid="sandbox-expires">${escapeHtml(utc)}</time>`;
}

/** A page for requests that name no payment or carry a bad choice. */
export function renderMessagePage(heading: string, message: string): string {
  return layout(`<div class="card">
    <p class="subject"><strong>${escapeHtml(heading)}</strong></p>
    <p class="subject">${escapeHtml(message)}</p>
  </div>`);
}

function layout(body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>青云沙箱收银台 / Sandbox payment</title>
<style>${STYLE}</style>
</head>
<body>
<main>
  <h1>青云沙箱收银台 / Sandbox payment</h1>
  ${body}
</main>
<script>${LOCAL_TIME_SCRIPT}</script>
</body>
</html>
`;
}
