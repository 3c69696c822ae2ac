import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../app/services.ts';
import { escapeHtml } from '../html.ts';
import { isPaidState } from '../orders/state.ts';
import { EpayGateway, epayPaidParams } from './epay.ts';
import { ProtocolError, protocolExtraOf } from './gateway.ts';
import { type JeepayEnvelope, JeepayGateway, jeepayFail, jeepayOrderData, type Params } from './jeepay.ts';
import { jeepaySign, returnToken, sameSignature } from './sign.ts';

/** The parameters of a request: the query string and the body (JSON or form), the body winning. */
function paramsOf(request: FastifyRequest): Params {
  const query = (request.query ?? {}) as Params;
  const body = request.body && typeof request.body === 'object' ? (request.body as Params) : {};
  return { ...query, ...body };
}

/**
 * Drop-in gateways for merchants moving from Jeepay and from 易支付 sites (only for apps that opted
 * in): the merchant changes its base URL and key, nothing else. Each answers in its protocol's own
 * envelope, refusals included.
 */
export async function compatRoutes(
  app: FastifyInstance,
  { services, publicUrl }: { services: Services; publicUrl: () => string },
) {
  const jeepay = new JeepayGateway(services, publicUrl);
  const epay = new EpayGateway(services, publicUrl, services.orders.timeZone);
  const hide = { schema: { hide: true } };

  /** Jeepay answers HTTP 200 with its ApiRes, a refusal too (BizExceptionResolver). */
  const jeepayRoute = (path: string, handle: (p: Params, ip: string) => Promise<JeepayEnvelope>) =>
    app.post(path, hide, async (request, reply) => {
      try {
        return reply.code(200).send(await handle(paramsOf(request), request.ip));
      } catch (error) {
        if (error instanceof ProtocolError) return reply.code(200).send(jeepayFail(error));
        throw error;
      }
    });
  jeepayRoute('/api/pay/unifiedOrder', (p, ip) => jeepay.unifiedOrder(p, ip));
  jeepayRoute('/api/pay/query', (p, ip) => jeepay.query(p, ip));
  jeepayRoute('/api/pay/close', (p, ip) => jeepay.close(p, ip));
  jeepayRoute('/api/refund/refundOrder', (p, ip) => jeepay.refund(p, ip));
  jeepayRoute('/api/refund/query', (p, ip) => jeepay.refundQuery(p, ip));

  /** submit.php: the browser's form (GET or POST); the payer goes on to our cashier page. */
  const submit = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const created = await epay.create(paramsOf(request), request.ip, { serverSide: false });
      return reply.redirect(services.orders.cashierUrl(created.order.order_no), 302);
    } catch (error) {
      if (error instanceof ProtocolError)
        return reply.code(400).type('text/html; charset=utf-8').send(errorPage(error.message));
      throw error;
    }
  };
  app.get('/submit.php', hide, submit);
  app.post('/submit.php', hide, submit);

  /** epay answers its JSON with HTTP 200, refusals as code -1. */
  const epayJson = async (reply: FastifyReply, handle: () => Promise<Record<string, unknown>>) => {
    try {
      return reply.code(200).send(await handle());
    } catch (error) {
      if (error instanceof ProtocolError) return reply.code(200).send({ code: -1, msg: error.message });
      throw error;
    }
  };
  const mapi = (request: FastifyRequest, reply: FastifyReply) =>
    epayJson(reply, async () =>
      epay.mapiAnswer(await epay.create(paramsOf(request), request.ip, { serverSide: true })),
    );
  app.post('/mapi.php', hide, mapi);
  app.get('/mapi.php', hide, mapi);

  const api = (request: FastifyRequest, reply: FastifyReply) => {
    const params = paramsOf(request);
    switch (params.act) {
      case 'order':
        return epayJson(reply, () => epay.queryOrder(params));
      case 'refund':
        return epayJson(reply, () => epay.refund(params));
      default:
        return reply.code(200).send({ code: -5, msg: 'No Act!' });
    }
  };
  app.get('/api.php', hide, api);
  app.post('/api.php', hide, api);

  /**
   * Where the cashier page sends the payer of a Jeepay or epay order with a return URL once paid:
   * on to the merchant's return URL with the protocol's signed fields (Jeepay's createReturnUrl,
   * epay's return_url), as the merchant's code expects them. The link carries a token made with
   * the app's key, so nobody else can ask for it.
   */
  app.get<{ Params: { appId: string; mchOrderNo: string; token: string } }>(
    '/api/compat/return/:appId/:mchOrderNo/:token',
    hide,
    async (request, reply) => {
      const { appId, mchOrderNo, token } = request.params;
      const keys = await services.merchants.appKeys(appId);
      const notFound = () => reply.code(404).type('text/html; charset=utf-8').send(errorPage('页面不存在'));
      if (!keys?.md5Key || keys.protocol === 'qingyun') return notFound();
      if (!sameSignature(token, returnToken(keys.md5Key, appId, mchOrderNo))) return notFound();
      const order = await services.orders.getByMchOrderNo(appId, mchOrderNo).catch(() => null);
      const target = order ? protocolExtraOf(order)?.returnUrl : undefined;
      if (!order || !target) return notFound();
      if (!isPaidState(order.state)) return reply.redirect(services.orders.cashierUrl(order.order_no), 302);
      let fields: Record<string, string>;
      if (keys.protocol === 'epay') {
        fields = epayPaidParams(keys, order);
      } else {
        const data = Object.fromEntries(
          Object.entries({ ...jeepayOrderData(keys, order, order.state), reqTime: Date.now() })
            .filter(([, v]) => v !== null && v !== undefined)
            .map(([k, v]) => [k, String(v)]),
        );
        fields = { ...data, sign: jeepaySign(data, keys.md5Key) };
      }
      const url = new URL(target);
      for (const [name, value] of Object.entries(fields)) url.searchParams.set(name, value);
      return reply.redirect(url.toString(), 302);
    },
  );
}

/** The page a browser sees when submit.php refuses the form: the reason, nothing else. */
function errorPage(message: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>支付请求错误</title></head><body><h1>支付请求错误</h1><p>${escapeHtml(message)}</p></body></html>`;
}
