import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import QRCode from 'qrcode';
import type { Services } from '../app/services.ts';
import { AppError } from '../errors.ts';
import { type Currency, formatMinor, isCurrency } from '../money/money.ts';
import type { OrderRow } from './queries.ts';

/**
 * The hosted cashier page (PAY-9): amount, QR of the pay data, countdown, live status, and the
 * return to the merchant. Server-rendered with no console code; the customer needs nothing else.
 * (The full page in the web app replaces this one with the consoles.)
 */
export async function cashierRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.get<{ Params: { orderNo: string } }>(
    '/cashier/:orderNo',
    { schema: { hide: true } },
    async (request, reply) => {
      const order = await findOrder(services, request.params.orderNo);
      const merchant = await services.merchants.findMerchantById(order.merchant_id);
      const nonce = randomBytes(16).toString('base64');
      const qr = order.pay_data_value
        ? await QRCode.toString(order.pay_data_value, { type: 'svg', margin: 1, width: 220 })
        : '';
      reply
        .header(
          'content-security-policy',
          `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; form-action 'none'; frame-ancestors 'none'`,
        )
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8');
      return page(order, merchant?.short_name || merchant?.name || '', qr, nonce);
    },
  );

  app.get<{ Params: { orderNo: string } }>(
    '/cashier/:orderNo/status',
    { schema: { hide: true } },
    async (request, reply) => {
      const order = await findOrder(services, request.params.orderNo);
      reply.header('cache-control', 'no-store');
      return { state: order.state, expiresAt: order.expires_at.toISOString(), returnUrl: order.return_url };
    },
  );
}

async function findOrder(services: Services, orderNo: string): Promise<OrderRow> {
  if (!/^P\d{20}$/.test(orderNo)) throw new AppError('NOT_FOUND', 'order not found');
  return services.orders.requireByOrderNo(orderNo);
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function page(order: OrderRow, merchantName: string, qrSvg: string, nonce: string): string {
  const currency: Currency = isCurrency(order.currency) ? order.currency : 'CNY';
  const symbol = currency === 'CNY' ? '¥' : `${currency} `;
  const payLink =
    order.pay_data_type === 'url' && order.pay_data_value
      ? `<a class="btn" href="${escapeHtml(order.pay_data_value)}">打开支付页面 / Open payment page</a>`
      : '';
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>收银台 · ${escapeHtml(merchantName)}</title>
<style>
body{margin:0;font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f5f6f8;color:#1f2329}
.card{max-width:420px;margin:24px auto;background:#fff;border-radius:12px;padding:24px;box-shadow:0 2px 12px rgba(0,0,0,.06);text-align:center}
.merchant{color:#646a73;font-size:14px}.amount{font-size:36px;font-weight:600;margin:8px 0}
.subject{color:#646a73;margin-bottom:16px}.qr svg{width:220px;height:220px}
.state{margin-top:16px;font-size:16px}.paid{color:#00a870}.failed,.closed{color:#e34d59}
.countdown{color:#8f959e;font-size:13px;margin-top:6px}.btn{display:inline-block;margin-top:16px;padding:10px 18px;border-radius:8px;background:#1677ff;color:#fff;text-decoration:none}
.meta{color:#8f959e;font-size:12px;margin-top:18px;word-break:break-all}
</style></head><body>
<div class="card">
<div class="merchant">${escapeHtml(merchantName)}</div>
<div class="amount">${symbol}${formatMinor(order.amount, currency)}</div>
<div class="subject">${escapeHtml(order.subject)}</div>
<div class="qr" id="qr">${qrSvg}</div>
${payLink}
<div class="state" id="state" data-state="${order.state}"></div>
<div class="countdown" id="countdown"></div>
<div class="meta">订单号 Order ${escapeHtml(order.order_no)}</div>
</div>
<script nonce="${nonce}">
(function(){
  var orderNo=${JSON.stringify(order.order_no)}, expiresAt=new Date(${JSON.stringify(order.expires_at.toISOString())}).getTime();
  var labels={created:'等待支付 Waiting for payment',paying:'等待支付 Waiting for payment',paid:'支付成功 Paid',
    partially_refunded:'支付成功 Paid',refunded:'已退款 Refunded',failed:'支付失败 Payment failed',closed:'订单已关闭 Closed'};
  var stateEl=document.getElementById('state'), countdownEl=document.getElementById('countdown');
  function show(state, returnUrl){
    stateEl.textContent=labels[state]||state; stateEl.className='state '+state; stateEl.dataset.state=state;
    var open=state==='created'||state==='paying';
    document.getElementById('qr').style.display=open?'':'none';
    if(!open) countdownEl.textContent='';
    if(state==='paid'&&returnUrl){ setTimeout(function(){ location.href=returnUrl; }, 2000); }
    return open;
  }
  function tick(){
    var left=Math.max(0,Math.floor((expiresAt-Date.now())/1000));
    if(stateEl.dataset.state==='created'||stateEl.dataset.state==='paying')
      countdownEl.textContent='剩余 '+Math.floor(left/60)+':'+String(left%60).padStart(2,'0');
  }
  function poll(){
    fetch('/cashier/'+orderNo+'/status',{cache:'no-store'}).then(function(r){return r.json();}).then(function(s){
      if(show(s.state,s.returnUrl)) setTimeout(poll,2000);
    }).catch(function(){ setTimeout(poll,5000); });
  }
  show(stateEl.dataset.state, null); tick(); setInterval(tick,1000); poll();
})();
</script>
</body></html>`;
}
