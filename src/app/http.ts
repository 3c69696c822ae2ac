import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
  type RouteOptions,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { agentAreaRoutes } from '../agents/agent-routes.ts';
import { agentAdminRoutes } from '../agents/routes.ts';
import { alertRoutes } from '../alerts/routes.ts';
import { auditActionOf } from '../audit/actions.ts';
import { authRoutes, operatorAdminRoutes } from '../auth/routes.ts';
import { botAdminRoutes, botPortalRoutes, botWebhookRoutes } from '../bot/routes.ts';
import { catalogRoutes, merchantBindingRoutes } from '../catalog/routes.ts';
import { sandboxPlugin } from '../channels/sandbox/server.ts';
import type { SandboxStore } from '../channels/sandbox/store.ts';
import { payerRoutes } from '../collect/payer-page.ts';
import { collectAdminRoutes, collectPortalRoutes } from '../collect/routes.ts';
import { compatRoutes } from '../compat/routes.ts';
import { databaseUnavailableReason } from '../db/unavailable.ts';
import { AppError, fieldOfPath } from '../errors.ts';
import { exportSettingsRoutes } from '../exports/routes.ts';
import { healthRoutes } from '../health/routes.ts';
import { historyRoutes } from '../history/routes.ts';
import { adminMemberImportRoutes, merchantMemberImportRoutes } from '../members/import-routes.ts';
import { merchantMemberPortalRoutes } from '../members/merchant-routes.ts';
import { memberOnboardingPublicRoutes, merchantOnboardingLinkRoutes } from '../members/onboarding-routes.ts';
import { memberPortalRoutes } from '../members/portal-routes.ts';
import { merchantMemberRoutes } from '../members/routes.ts';
import { merchantPortalRoutes } from '../merchants/portal-routes.ts';
import { merchantAdminRoutes } from '../merchants/routes.ts';
import type { AppKeys } from '../merchants/service.ts';
import { notificationAdminRoutes, notificationPortalRoutes } from '../notifications/routes.ts';
import { onboardingAgentRoutes } from '../onboarding/agent-routes.ts';
import { onboardingAdminRoutes } from '../onboarding/routes.ts';
import { cashierRoutes } from '../orders/cashier.ts';
import { orderPortalRoutes } from '../orders/portal-routes.ts';
import { channelNotifyRoutes, merchantOrderRoutes, orderAdminRoutes } from '../orders/routes.ts';
import {
  channelPayoutNotifyRoutes,
  merchantPayoutRoutes,
  payoutAdminRoutes,
  payoutPortalRoutes,
} from '../payouts/routes.ts';
import { reconciliationRoutes } from '../reconciliation/routes.ts';
import { recycleRoutes } from '../recycle/routes.ts';
import { consoleRefundRoutes } from '../refunds/console-routes.ts';
import { channelRefundNotifyRoutes, merchantRefundRoutes } from '../refunds/routes.ts';
import { platformSettingsRoutes } from '../settings/routes.ts';
import { settlementRoutes } from '../settlement/routes.ts';
import { memberSplitAgreementRoutes } from '../splits/member-routes.ts';
import { merchantEscrowRoutes, splitPortalRoutes } from '../splits/routes.ts';
import { statementRoutes } from '../statements/routes.ts';
import { marketplaceStatsRoutes } from '../stats/marketplace-routes.ts';
import { statsRoutes } from '../stats/routes.ts';
import { agentWithdrawalRoutes } from '../withdrawals/agent-routes.ts';
import { consoleWithdrawalRoutes } from '../withdrawals/console-routes.ts';
import { merchantWithdrawalRoutes } from '../withdrawals/routes.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { merchantApiDocsRoutes } from './merchant-api-docs.ts';
import { completeOpenApiDocument, SECURITY_SCHEMES } from './openapi-document.ts';
import { securityHeaders } from './security-headers.ts';
import type { Services } from './services.ts';
import { webRoutes } from './web.ts';

/** One registered route and the guard settings it declared. */
export interface RouteInfo {
  method: string;
  url: string;
  permission?: string;
  merchantRole?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its declared permission: tests walk it to try each boundary. */
    routeTable: RouteInfo[];
  }
  interface FastifyRequest {
    /** The body exactly as received: signatures are computed over it. */
    rawBody: string;
    /** The app of a signed merchant API request, once authenticated. */
    merchantApp?: AppKeys;
  }
}

/** Requests carry small JSON documents; anything larger is refused before it is read. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** How long /readyz waits for the database before it answers "not ready". */
const READY_PROBE_TIMEOUT_MS = 500;
/** What a 503 for an unreachable database tells the client to wait: a restart or failover takes seconds. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

export type App = FastifyInstance;
export type TypedApp = ReturnType<FastifyInstance['withTypeProvider']> & FastifyInstance;

export interface HttpOptions {
  config: Config;
  services: Services;
  /** Where the in-process sandbox is reachable; a function because the port is known only after listen. */
  publicUrl: () => string;
  /** The in-process sandbox's store and settings; mounted only when config.sandbox is on. */
  sandbox: { store: SandboxStore; registrationToken: string | null; retryDelaysMs?: readonly number[] };
  /** The platform's logger: requests log through it, in its format (JSON or one line per event). */
  log: Logger;
}

/**
 * Fastify logs two info lines per request, which at production level cost every request its share of
 * CPU: each request is logged once, on completion and at debug; a request that errored still logs
 * at error.
 */
class QuietRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) {
      reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    } else {
      reply.log.debug({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }
}

export async function buildHttpApp({
  config,
  services,
  publicUrl,
  sandbox,
  log,
}: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Typed as Fastify's base logger, so the instance keeps Fastify's default generics.
    loggerInstance: log as FastifyBaseLogger,
    logController: new QuietRequestLog(),
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => `req_${randomUUID().replaceAll('-', '')}`,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    ...serverTimeouts(config.httpTimeouts),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('rawBody', '');
  installBodyParsers(app);
  app.setErrorHandler(errorHandler);
  securityHeaders(app, { publicUrl });
  app.addHook('onSend', async (request, reply, payload) => {
    await auditConsoleMutation(services, request, reply.statusCode);
    return payload;
  });
  const routeTable: RouteInfo[] = [];
  app.decorate('routeTable', routeTable);
  // Route options are read once all plugins have added to them (a plugin may set defaults on its routes).
  const registered: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    registered.push(route);
  });
  app.addHook('onReady', async () => {
    for (const route of registered) {
      const config = (route.config ?? {}) as { permission?: string; merchantRole?: string };
      // Fail at start, not in production: an operator route that names no permission would be refused anyway.
      if (route.url.startsWith('/api/admin/') && !config.permission) {
        throw new Error(`operator route ${route.method} ${route.url} declares no permission`);
      }
      for (const method of [route.method].flat()) {
        if (method === 'HEAD') continue;
        routeTable.push({
          method,
          url: route.url,
          permission: config.permission,
          merchantRole: config.merchantRole,
        });
      }
    }
  });
  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Qingyun Pay API',
        version: '1.0.0',
        description:
          'Merchant API (signed, see docs/merchant-api.md) and operator API (session cookie). ' +
          'Amounts are integers in minor units (fen).',
      },
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    // Security, operation ids, the error envelope, and the merchant API's answers and examples.
    transformObject: (input) =>
      completeOpenApiDocument('openapiObject' in input ? input.openapiObject : input.swaggerObject),
    // The in-process sandbox is another party's API, not ours: keep it out of our OpenAPI.
    transform: (input) => {
      const out = jsonSchemaTransform(input);
      return input.url.startsWith('/sandbox') ? { ...out, schema: { ...out.schema, hide: true } } : out;
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await app.register(merchantApiDocsRoutes);

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
    try {
      // Its own connection with short timeouts: a probe says "not ready" fast, never hangs with the requests.
      await services.db.ping(READY_PROBE_TIMEOUT_MS);
      const replica = services.reads.status();
      // Which process answered: with several API processes on one port, a probe or a person can tell.
      const ready = {
        status: 'ready',
        database: services.db.kind,
        pid: process.pid,
        // Still ready, but deaf to other processes' configuration changes until DATABASE_LISTEN_URL is
        // fixed: they reach this one only when its caches expire.
        ...(services.configBus.notReceiving ? { configChanges: 'not_received' } : {}),
      };
      // A replica that is down or behind leaves the node ready: its reads go to the primary meanwhile.
      if (!replica.configured) return ready;
      const { target, reason, lagMs, lagBytes, maxLagMs, checkedAt } = replica;
      return { ...ready, readReplica: { reads: target, reason, lagMs, lagBytes, maxLagMs, checkedAt } };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness probe: database unavailable');
      return reply
        .code(503)
        .header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
        .send({ status: 'unavailable', reason: 'database unavailable' });
    }
  });

  await app.register(merchantOrderRoutes, { services });
  await app.register(compatRoutes, { services, publicUrl });
  await app.register(merchantRefundRoutes, { services });
  await app.register(merchantEscrowRoutes, { services });
  await app.register(channelNotifyRoutes, { services });
  await app.register(channelRefundNotifyRoutes, { services });
  await app.register(authRoutes, {
    services,
    secureCookies: publicUrl().startsWith('https:'),
    publicUrl: config.publicUrl,
  });
  await app.register(operatorAdminRoutes, { services });
  await app.register(merchantAdminRoutes, { services });
  await app.register(agentAdminRoutes, { services });
  await app.register(agentAreaRoutes, { services });
  await app.register(onboardingAdminRoutes, { services });
  await app.register(onboardingAgentRoutes, { services });
  await app.register(catalogRoutes, { services });
  await app.register(merchantBindingRoutes, { services });
  await app.register(healthRoutes, { services });
  await app.register(orderAdminRoutes, { services });
  await app.register(statsRoutes, { services });
  await app.register(orderPortalRoutes, { services });
  await app.register(merchantPortalRoutes, { services });
  await app.register(marketplaceStatsRoutes, { services });
  await app.register(splitPortalRoutes, { services });
  await app.register(consoleRefundRoutes, { services });
  await app.register(cashierRoutes, { services });
  await app.register(collectPortalRoutes, { services });
  await app.register(collectAdminRoutes, { services });
  await app.register(payerRoutes, { services });
  await app.register(settlementRoutes, { services });
  await app.register(statementRoutes, { services });
  await app.register(notificationAdminRoutes, { services });
  await app.register(notificationPortalRoutes, { services });
  await app.register(reconciliationRoutes, { services });
  await app.register(alertRoutes, { services });
  await app.register(exportSettingsRoutes, { services });
  await app.register(platformSettingsRoutes, { services });
  await app.register(merchantWithdrawalRoutes, { services });
  await app.register(merchantMemberRoutes, { services });
  await app.register(merchantMemberPortalRoutes, { services });
  // Members' signing links: the merchant portal's list, and the public signing page's API.
  await app.register(merchantOnboardingLinkRoutes, { services });
  await app.register(memberOnboardingPublicRoutes, { services, publicUrl: config.publicUrl });
  await app.register(merchantMemberImportRoutes, { services });
  await app.register(adminMemberImportRoutes, { services });
  await app.register(consoleWithdrawalRoutes, { services });
  await app.register(agentWithdrawalRoutes, { services });
  // The member portal (会员门户): its first login by SMS code and the area member's API.
  await app.register(memberPortalRoutes, { services, publicUrl: config.publicUrl });
  await app.register(memberSplitAgreementRoutes, { services });
  // Payouts (代付): the merchant API, the channel's payout notify, the operator console and the portal.
  await app.register(merchantPayoutRoutes, { services });
  await app.register(channelPayoutNotifyRoutes, { services });
  await app.register(payoutAdminRoutes, { services });
  await app.register(payoutPortalRoutes, { services });
  await app.register(recycleRoutes, { services });
  await app.register(historyRoutes, { services });
  // The Telegram bot (机器人): operators' settings and groups, the portal's own groups, the webhook.
  await app.register(botAdminRoutes, { services });
  await app.register(botPortalRoutes, { services });
  await app.register(botWebhookRoutes, { services });
  await app.register(webRoutes);
  if (config.sandbox) {
    await app.register(sandboxPlugin, {
      prefix: '/sandbox',
      store: sandbox.store,
      registrationToken: sandbox.registrationToken,
      // The sandbox's notifies obey the same outbound rule as merchant notifies.
      allowPrivateAddresses: config.notifyPrivateAddresses,
      // Its notifies to this platform (the channel-notify URLs) go to our own public address.
      hostOrigin: publicUrl,
      publicUrl: () => `${publicUrl()}/sandbox`,
      retryDelaysMs: sandbox.retryDelaysMs,
    });
  }
  return app;
}

/** Node's own limits for slow clients, from the validated config (src/app/config.ts). */
function serverTimeouts(t: Config['httpTimeouts']) {
  return {
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.keepAliveMs,
    connectionTimeout: t.socketMs,
    http: {
      headersTimeout: t.headersMs,
      requestTimeout: t.requestMs,
      connectionsCheckingInterval: t.checkIntervalMs,
    },
  };
}

/** JSON and form bodies are kept raw (for signatures) and parsed; other types reach routes as text. */
function installBodyParsers(app: FastifyInstance) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.rawBody = text;
    if (text.length === 0) return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return done(new AppError('INVALID_REQUEST', 'the body is not valid JSON'), undefined);
    }
    // PostgreSQL stores no NUL character, and no half of a UTF-16 surrogate pair (text turns it into
    // U+FFFD, jsonb fails): refuse both here, as bad input. Only a \u escape can produce either, since
    // the body was decoded from UTF-8 (invalid bytes became U+FFFD), so other bodies are not walked.
    if (text.includes('\\u0000') || ESCAPED_SURROGATE.test(text)) {
      const problem = unstorableText(parsed);
      if (problem) return done(new AppError('INVALID_REQUEST', problem), undefined);
    }
    done(null, parsed);
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (request, body, done) => {
      request.rawBody = body as string;
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    done(null, body);
  });
}

const ESCAPED_SURROGATE = /\\u[dD][89a-fA-F]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string or key in a parsed JSON value cannot be stored (walked without recursion), or null. */
function unstorableText(value: unknown): string | null {
  const check = (text: string) => {
    if (text.includes('\u0000')) return 'NUL characters (\\u0000) are not accepted';
    if (LONE_SURROGATE.test(text))
      return 'a string holds half of a UTF-16 surrogate pair (\\ud800–\\udfff alone), which is not text';
    return null;
  };
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current === 'string') {
      const problem = check(current);
      if (problem) return problem;
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) {
        const problem = check(key);
        if (problem) return problem;
        stack.push(child);
      }
    }
  }
  return null;
}

/**
 * Every console mutation leaves an audit row: who, when, from where, what (the route's action key
 * from src/audit/actions.ts, and the route itself), on which target, the outcome, and before/after
 * when the route noted them (else the request body); secrets are removed when the row is written.
 * Refusals are kept too: a wrong completion password is worth knowing about.
 */
async function auditConsoleMutation(services: Services, request: FastifyRequest, status: number) {
  const session = request.consoleSession;
  if (!session || request.method === 'GET' || request.method === 'HEAD') return;
  const note = request.audit ?? {};
  const params = (request.params ?? {}) as Record<string, string>;
  const isAuthStep = request.url.startsWith('/api/auth/');
  const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
  const action = auditActionOf(route);
  const isNew = note.before === undefined || note.before === null;
  try {
    await services.audit.record({
      actorArea: session.user.area,
      actorId: session.user.id,
      actorName: session.user.username,
      ip: request.ip,
      action: route,
      // A route the table does not know is caught by test/audit-log.test.ts; 'unknown' keeps the row.
      actionKey: action
        ? action.keyWhenNew && isNew && status < 400
          ? action.keyWhenNew
          : action.key
        : 'unknown',
      targetType: note.targetType ?? action?.target ?? '',
      // The caller's own account steps are about the caller.
      targetId: note.targetId ?? Object.values(params)[0] ?? (isAuthStep ? String(session.user.id) : ''),
      status,
      before: note.before,
      after: note.after ?? (isAuthStep ? undefined : request.body),
    });
  } catch (error) {
    request.log.error({ err: error }, 'audit row not written');
  }
}

function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const send = (status: number, code: string, message: string, details?: unknown) =>
    reply.code(status).send({ code, message, requestId: request.id, ...(details ? { details } : {}) });
  if (error instanceof AppError) return send(error.status, error.code, error.message, error.details);
  if (hasZodFastifySchemaValidationErrors(error)) {
    const message = error.validation
      .map(
        (issue) =>
          `${issue.instancePath.replace(/^\//, '').replaceAll('/', '.') || error.validationContext || 'request'}: ${issue.message}`,
      )
      .join('; ');
    // The field of the first issue, so a console can name it in its own language.
    const field = fieldOfPath(error.validation[0]?.instancePath ?? '');
    return send(400, 'INVALID_REQUEST', message, field ? { field } : undefined);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return send(413, 'BODY_TOO_LARGE', `the body is larger than ${BODY_LIMIT_BYTES} bytes`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return send(415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return send(400, 'INVALID_REQUEST', error.message);
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return send(error.statusCode, 'INVALID_REQUEST', error.message);
  }
  const unavailable = databaseUnavailableReason(error);
  if (unavailable) {
    request.log.warn({ reason: unavailable }, 'database unavailable');
    reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
    return send(503, 'DATABASE_UNAVAILABLE', 'the database is unavailable; retry in a few seconds');
  }
  request.log.error({ err: error }, 'unhandled error');
  return send(500, 'INTERNAL', 'internal error; quote the requestId when asking for help');
}
