import { randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { DEFAULT_NOTIFY_RETRY_DELAYS_MS, Notifier } from './notifier.ts';
import { escapeHtml, PAY_PAGE_HEADERS, renderMessagePage, renderPaymentPage } from './pay-page.ts';
import {
  closeByMerchant,
  declineByPayer,
  MAX_PAYMENTS,
  type PayerDecision,
  PaymentBook,
  type SandboxPayment,
  settleByPayer,
} from './payment-book.ts';
import {
  AUTH_CODE_CONFIRM_MS,
  AUTH_CODE_DECLINE_REASON,
  AUTH_CODE_PATTERN,
  AUTH_CODE_USED_REASON,
  authCodeBehaviour,
  MAX_FAULT_DELAY_MS,
  PAY_MODES,
  type PayMode,
  type SandboxAnswerCode,
  type SandboxFaults,
  sandboxFaultsSchema,
  sandboxMerchantKey,
  sandboxSign,
  sandboxVerify,
} from './protocol.ts';

/**
 * The sandbox upstream: a payment provider with its own merchants, keys and signatures, a pay page
 * where a tester pays or fails, async notifies with retries, and fault injection. The platform talks
 * to it only through the sandbox adapter, over HTTP, exactly as it would to a real provider.
 *
 * State lives in memory: the sandbox forgets its payments when it restarts (see payment-book.ts).
 */

export interface SandboxPluginOptions {
  secret: string;
  /** Base URL where this plugin is reachable, e.g. http://127.0.0.1:8080/sandbox; known only after listen. */
  publicUrl: () => string;
  /** Waits between notify attempts; defaults to +2 s, +10 s, +30 s. Tests shorten it. */
  retryDelaysMs?: readonly number[];
  /** Bound on remembered payments; defaults to MAX_PAYMENTS. */
  maxPayments?: number;
}

/** Every body the sandbox accepts is small; a larger one is refused before it is parsed. */
const BODY_LIMIT_BYTES = 64 * 1024;
/** createTimeout answers this late, far past any sane caller timeout (and within the delay cap). */
const CREATE_TIMEOUT_FAULT_MS = 30_000;
/** A request signed further than this from our clock is refused, limiting replays of old requests. */
const TIMESTAMP_TOLERANCE_SECONDS = 300;

const MCH_ID = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'mchId must be 1-32 letters, digits, _ or -');
const OUT_TRADE_NO = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'outTradeNo must be 1-64 of [A-Za-z0-9_.:-]');
const TRADE_NO = /^SB\d{1,20}$/;

/** Fields every signed API request carries. */
const SIGNED_REQUEST = {
  mchId: MCH_ID,
  nonce: z.string().min(1).max(64),
  timestamp: z.string().regex(/^\d{1,12}$/, 'timestamp must be unix seconds'),
  sign: z.string(),
};

const CREATE_REQUEST = z.strictObject({
  ...SIGNED_REQUEST,
  outTradeNo: OUT_TRADE_NO,
  // Positive minor units; 18 digits keep it inside a PostgreSQL BIGINT.
  amount: z.string().regex(/^[1-9]\d{0,17}$/, 'amount must be a positive integer of minor units'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'currency must be an ISO 4217 code'),
  subject: z.string().min(1).max(128),
  notifyUrl: z.url({ protocol: /^https?$/ }).max(2048),
  expireAt: z.string().regex(/^\d{1,12}$/, 'expireAt must be unix seconds'),
  faults: z.string().max(4096).optional(),
  /** The code on the customer's phone, scanned by the merchant (B扫C): the payment is taken at once. */
  authCode: z.string().regex(AUTH_CODE_PATTERN, 'authCode must be 10-32 digits').optional(),
  /** How the payer is sent to pay: a URL (default) or an HTML form to post (H5 channels). */
  payMode: z.enum(PAY_MODES).optional(),
});

const PAYMENT_REQUEST = z.strictObject({ ...SIGNED_REQUEST, outTradeNo: OUT_TRADE_NO });

const REFUND_REQUEST = z.strictObject({
  ...SIGNED_REQUEST,
  outTradeNo: OUT_TRADE_NO,
  outRefundNo: OUT_TRADE_NO,
  amount: z.string().regex(/^[1-9]\d{0,17}$/, 'amount must be a positive integer of minor units'),
  notifyUrl: z.url({ protocol: /^https?$/ }).max(2048),
  reason: z.string().max(256).optional(),
  faults: z.string().max(4096).optional(),
});

const REFUND_QUERY_REQUEST = z.strictObject({
  ...SIGNED_REQUEST,
  outTradeNo: OUT_TRADE_NO,
  outRefundNo: OUT_TRADE_NO,
});

const REGISTRATION_REQUEST = z.strictObject({ mchId: MCH_ID.optional() });

/** The H5 form posts the trade number, signed so a payer cannot forge another one. */
const GATEWAY_REQUEST = z.strictObject({ tradeNo: z.string().regex(TRADE_NO), sign: z.string() });

type Answer = Record<string, string>;

interface SandboxState {
  secret: string;
  publicUrl: () => string;
  book: PaymentBook;
  notifier: Notifier;
  pauses: Pauses;
  /** Customers about to confirm an auth-code payment on their phone (`…88` codes). */
  confirmations: Set<NodeJS.Timeout>;
  /** Pay codes already presented: a wallet's code pays once (oldest forgotten past MAX_PAYMENTS). */
  usedAuthCodes: Set<string>;
}

export const sandboxPlugin: FastifyPluginAsync<SandboxPluginOptions> = async (fastify, options) => {
  if (options.secret.length === 0) throw new Error('the sandbox secret must not be empty');
  const state: SandboxState = {
    secret: options.secret,
    publicUrl: options.publicUrl,
    book: new PaymentBook(options.maxPayments ?? MAX_PAYMENTS),
    notifier: new Notifier({
      retryDelaysMs: options.retryDelaysMs ?? DEFAULT_NOTIFY_RETRY_DELAYS_MS,
      keyOf: (mchId) => sandboxMerchantKey(options.secret, mchId),
      log: fastify.log,
    }),
    pauses: new Pauses(),
    confirmations: new Set(),
    usedAuthCodes: new Set(),
  };
  installBodyParsers(fastify);
  // Injected delays end before the server waits for requests in flight, so shutdown is prompt.
  fastify.addHook('preClose', async () => state.pauses.wakeAll());
  fastify.addHook('onClose', async () => {
    for (const timer of state.confirmations) clearTimeout(timer);
    state.confirmations.clear();
    state.notifier.stop();
  });
  await fastify.register(async (api) => apiRoutes(api, state), { prefix: '/api' });
  await fastify.register(async (pages) => payPageRoutes(pages, state), { prefix: '/pay' });
};

export interface SandboxServerOptions {
  host: string;
  port: number;
  secret: string;
  /** Where testers' browsers reach the sandbox; defaults to http://<host>:<port>/sandbox. */
  publicUrl?: string;
  retryDelaysMs?: readonly number[];
  logger?: boolean;
}

/** The standalone sandbox (`qingyun sandbox`): a fresh server with the plugin under /sandbox. */
export async function startSandboxServer(
  options: SandboxServerOptions,
): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ logger: options.logger ?? false });
  let url = options.publicUrl ?? '';
  await app.register(sandboxPlugin, {
    prefix: '/sandbox',
    secret: options.secret,
    publicUrl: () => url,
    retryDelaysMs: options.retryDelaysMs,
  });
  await app.listen({ host: options.host, port: options.port });
  if (url === '') url = `${listeningOrigin(app.server.address() as AddressInfo, options.host)}/sandbox`;
  return { url, close: () => app.close() };
}

function listeningOrigin(address: AddressInfo, host: string): string {
  // A wildcard address is not somewhere a browser can go; loopback is, on the same machine.
  const reachable = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  const literal = reachable.includes(':') ? `[${reachable}]` : reachable;
  return `http://${literal}:${address.port}`;
}

// ---------- body parsing ----------

function installBodyParsers(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  const parserOptions = { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES } as const;
  fastify.addContentTypeParser('application/json', parserOptions, (_request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(badRequest('the body is not valid JSON'), undefined);
    }
  });
  fastify.addContentTypeParser('application/x-www-form-urlencoded', parserOptions, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body.toString())));
  });
}

function badRequest(message: string): Error {
  return Object.assign(new Error(message), { statusCode: 400 });
}

// ---------- API ----------

async function apiRoutes(api: FastifyInstance, state: SandboxState): Promise<void> {
  // Transport-level refusals (bad JSON, too large, wrong content type) still answer in the API's shape.
  api.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'sandbox API request failed');
    const message = status >= 500 ? 'internal error' : error.message;
    return reply.status(status).send(answer(null, status >= 500 ? 'FAIL' : 'PARAM_ERROR', message));
  });
  api.post('/merchants', async (request) => registerMerchant(state, request.body));
  api.post('/pay/create', async (request) => createPayment(state, request.body));
  api.post('/pay/query', async (request) => queryPayment(state, request.body));
  api.post('/pay/close', async (request) => closePayment(state, request.body));
  api.post('/refund/create', async (request) => createRefund(state, request.body));
  api.post('/refund/query', async (request) => queryRefund(state, request.body));
}

/**
 * Takes a refund of a paid payment and answers PROCESSING; the outcome goes out by notify (to the
 * refund's notifyUrl) and can be queried. Fault `refundFail` makes it fail.
 */
function createRefund(state: SandboxState, body: unknown): Answer {
  const now = new Date();
  const caller = authenticate(state, body, REFUND_REQUEST, now);
  if (!caller.ok) return caller.answer;
  const { key, params } = caller;
  const faults = parseFaults(params.faults);
  if (!faults.ok) return answer(key, 'PARAM_ERROR', faults.message);
  const payment = state.book.findByMerchantOrder(caller.mchId, params.outTradeNo, now);
  if (payment === undefined) {
    return answer(key, 'NOT_FOUND', 'no such payment', { outTradeNo: params.outTradeNo });
  }
  const taken = state.book.refund(
    payment,
    {
      outRefundNo: params.outRefundNo,
      amount: BigInt(params.amount),
      notifyUrl: params.notifyUrl,
      fail: faults.value.refundFail === true,
    },
    now,
  );
  if (!taken.ok) {
    return answer(key, 'FAIL', taken.reason, {
      outTradeNo: params.outTradeNo,
      outRefundNo: params.outRefundNo,
    });
  }
  if (taken.created) state.notifier.announceRefund(payment, taken.refund);
  return answer(key, 'SUCCESS', 'OK', {
    outTradeNo: payment.outTradeNo,
    outRefundNo: taken.refund.outRefundNo,
    refundNo: taken.refund.refundNo,
    amount: taken.refund.amount.toString(),
    status: 'PROCESSING',
  });
}

function queryRefund(state: SandboxState, body: unknown): Answer {
  const now = new Date();
  const caller = authenticate(state, body, REFUND_QUERY_REQUEST, now);
  if (!caller.ok) return caller.answer;
  const { key, params } = caller;
  const payment = state.book.findByMerchantOrder(caller.mchId, params.outTradeNo, now);
  const refund = payment?.refunds.find((r) => r.outRefundNo === params.outRefundNo);
  if (payment === undefined || refund === undefined) {
    return answer(key, 'NOT_FOUND', 'no such refund', { outRefundNo: params.outRefundNo });
  }
  return answer(key, 'SUCCESS', 'OK', {
    outTradeNo: payment.outTradeNo,
    outRefundNo: refund.outRefundNo,
    refundNo: refund.refundNo,
    amount: refund.amount.toString(),
    currency: payment.currency,
    status: refund.status,
    refundedAt: refund.refundedAt?.toISOString() ?? '',
    failReason: refund.failReason ?? '',
  });
}

/** Open registration: a tester asks for credentials, optionally for a chosen mchId. */
function registerMerchant(state: SandboxState, body: unknown): Answer {
  const parsed = REGISTRATION_REQUEST.safeParse(body ?? {});
  if (!parsed.success) return answer(null, 'PARAM_ERROR', firstIssue(parsed.error));
  const mchId = parsed.data.mchId ?? `SBX${randomInt(0, 100_000_000).toString().padStart(8, '0')}`;
  const key = sandboxMerchantKey(state.secret, mchId);
  return answer(key, 'SUCCESS', 'OK', { mchId, key });
}

async function createPayment(state: SandboxState, body: unknown): Promise<Answer> {
  const now = new Date();
  const caller = authenticate(state, body, CREATE_REQUEST, now);
  if (!caller.ok) return caller.answer;
  const { key, params } = caller;
  const faults = parseFaults(params.faults);
  if (!faults.ok) return answer(key, 'PARAM_ERROR', faults.message);
  const result = openOrReuse(state, caller.mchId, key, params, faults.value, now);
  await state.pauses.sleep(createPauseMs(faults.value));
  return result;
}

/** Idempotent on (mchId, outTradeNo): a retry gets the payment it opened before. */
function openOrReuse(
  state: SandboxState,
  mchId: string,
  key: string,
  params: z.infer<typeof CREATE_REQUEST>,
  faults: SandboxFaults,
  now: Date,
): Answer {
  const amount = BigInt(params.amount);
  const existing = state.book.findByMerchantOrder(mchId, params.outTradeNo, now);
  if (existing !== undefined) {
    // A reused outTradeNo with another amount is a different payment, never silently the old one.
    if (existing.amount !== amount || existing.currency !== params.currency) {
      return answer(key, 'FAIL', 'OUT_TRADE_NO_USED', { outTradeNo: params.outTradeNo });
    }
    return createdAnswer(state, key, existing, params.payMode);
  }
  const expireAt = new Date(Number(params.expireAt) * 1000);
  if (expireAt.getTime() <= now.getTime()) return answer(key, 'PARAM_ERROR', 'expireAt is in the past');
  if (faults.refuseCreate) return answer(key, 'FAIL', 'CHANNEL_REFUSED', { outTradeNo: params.outTradeNo });
  const payment = state.book.open({
    mchId,
    outTradeNo: params.outTradeNo,
    amount,
    currency: params.currency,
    subject: params.subject,
    notifyUrl: params.notifyUrl,
    expireAt,
    faults,
    authCode: params.authCode ?? null,
  });
  if (payment.authCode !== null) takeByAuthCode(state, payment, payment.authCode, now);
  return createdAnswer(state, key, payment, params.payMode);
}

/** B扫C: the customer's wallet answers at once, or asks the customer to confirm (see protocol.ts). */
function takeByAuthCode(state: SandboxState, payment: SandboxPayment, authCode: string, now: Date): void {
  if (state.usedAuthCodes.has(authCode)) {
    declineByPayer(payment, AUTH_CODE_USED_REASON);
    return;
  }
  if (state.usedAuthCodes.size >= MAX_PAYMENTS) {
    state.usedAuthCodes.delete(state.usedAuthCodes.values().next().value!);
  }
  state.usedAuthCodes.add(authCode);
  switch (authCodeBehaviour(authCode)) {
    case 'paid':
      settleByPayer(payment, 'success', now);
      state.notifier.announceOutcome(payment);
      return;
    case 'declined':
      declineByPayer(payment, AUTH_CODE_DECLINE_REASON);
      return;
    case 'confirms_later': {
      const timer = setTimeout(() => {
        state.confirmations.delete(timer);
        // The merchant may have cancelled meanwhile: only a WAITING payment is confirmed.
        if (settleByPayer(payment, 'success', new Date())) state.notifier.announceOutcome(payment);
      }, AUTH_CODE_CONFIRM_MS);
      timer.unref();
      state.confirmations.add(timer);
      return;
    }
    case 'never_confirms':
      return;
  }
}

function createdAnswer(
  state: SandboxState,
  key: string,
  payment: SandboxPayment,
  payMode: PayMode | undefined,
): Answer {
  const payUrl = `${state.publicUrl()}/pay/${payment.tradeNo}`;
  const fields: Answer = { tradeNo: payment.tradeNo, outTradeNo: payment.outTradeNo, payUrl };
  if (payment.authCode !== null) {
    // An auth-code payment answers with its state: paid, waiting for the customer, or declined.
    fields.status = payment.status;
    fields.amount = payment.amount.toString();
    fields.paidAt = payment.paidAt?.toISOString() ?? '';
    fields.failReason = payment.failReason ?? '';
  } else if (payMode === 'form') {
    fields.payForm = payForm(state, payment);
  }
  return answer(key, 'SUCCESS', 'OK', fields);
}

/** The H5 form a real provider hands out: the merchant's page posts it to the provider's gateway. */
function payForm(state: SandboxState, payment: SandboxPayment): string {
  const sign = sandboxSign({ tradeNo: payment.tradeNo }, sandboxMerchantKey(state.secret, payment.mchId));
  const action = escapeHtml(`${state.publicUrl()}/pay/gateway`);
  return (
    `<form id="sandbox-pay-form" action="${action}" method="post" accept-charset="utf-8">` +
    `<input type="hidden" name="tradeNo" value="${escapeHtml(payment.tradeNo)}">` +
    `<input type="hidden" name="sign" value="${sign}">` +
    '<button type="submit">去支付 / Pay</button></form>'
  );
}

function createPauseMs(faults: SandboxFaults): number {
  if (faults.createTimeout) return CREATE_TIMEOUT_FAULT_MS;
  return Math.min(faults.createDelayMs ?? 0, MAX_FAULT_DELAY_MS);
}

function parseFaults(
  json: string | undefined,
): { ok: true; value: SandboxFaults } | { ok: false; message: string } {
  if (json === undefined) return { ok: true, value: {} };
  let decoded: unknown;
  try {
    decoded = JSON.parse(json);
  } catch {
    return { ok: false, message: 'faults is not valid JSON' };
  }
  const parsed = sandboxFaultsSchema.safeParse(decoded);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, message: `faults: ${firstIssue(parsed.error)}` };
}

/** The caller's payment named by a signed query or close request, or the answer that refuses it. */
function callersPayment(
  state: SandboxState,
  body: unknown,
  now: Date,
): { ok: true; key: string; payment: SandboxPayment } | { ok: false; answer: Answer } {
  const caller = authenticate(state, body, PAYMENT_REQUEST, now);
  if (!caller.ok) return caller;
  const payment = state.book.findByMerchantOrder(caller.mchId, caller.params.outTradeNo, now);
  if (payment === undefined) {
    return {
      ok: false,
      answer: answer(caller.key, 'NOT_FOUND', 'no such payment', { outTradeNo: caller.params.outTradeNo }),
    };
  }
  return { ok: true, key: caller.key, payment };
}

function queryPayment(state: SandboxState, body: unknown): Answer {
  const found = callersPayment(state, body, new Date());
  if (!found.ok) return found.answer;
  const { key, payment } = found;
  return answer(key, 'SUCCESS', 'OK', {
    tradeNo: payment.tradeNo,
    outTradeNo: payment.outTradeNo,
    status: payment.status,
    amount: payment.amount.toString(),
    currency: payment.currency,
    paidAt: payment.paidAt?.toISOString() ?? '',
  });
}

function closePayment(state: SandboxState, body: unknown): Answer {
  const now = new Date();
  const found = callersPayment(state, body, now);
  if (!found.ok) return found.answer;
  const { key, payment } = found;
  const outcome = closeByMerchant(payment, now);
  if (outcome === 'already_paid') {
    return answer(key, 'FAIL', 'ALREADY_PAID', { outTradeNo: payment.outTradeNo });
  }
  return answer(key, 'SUCCESS', 'OK', {
    tradeNo: payment.tradeNo,
    outTradeNo: payment.outTradeNo,
    status: payment.status,
  });
}

type Authenticated<T> = { ok: true; mchId: string; key: string; params: T } | { ok: false; answer: Answer };

/**
 * Checks a signed API request: strings only, a well-formed mchId, a valid signature under that
 * merchant's derived key, then the route's own fields and a fresh timestamp. Nothing the caller
 * sent is signed back before its signature is verified.
 */
function authenticate<T extends Record<string, string | undefined>>(
  state: SandboxState,
  body: unknown,
  schema: z.ZodType<T>,
  now: Date,
): Authenticated<T> {
  const params = stringRecord(body);
  if (params === null) {
    return refuse(answer(null, 'PARAM_ERROR', 'the body must be a JSON object of strings'));
  }
  const mchId = params.mchId;
  if (mchId === undefined || !MCH_ID.safeParse(mchId).success) {
    return refuse(answer(null, 'PARAM_ERROR', 'mchId is missing or invalid'));
  }
  const key = sandboxMerchantKey(state.secret, mchId);
  if (!sandboxVerify(params, key)) return refuse(answer(key, 'SIGN_ERROR', 'signature mismatch'));
  const parsed = schema.safeParse(params);
  if (!parsed.success) return refuse(answer(key, 'PARAM_ERROR', firstIssue(parsed.error)));
  const skewSeconds = Math.abs(now.getTime() / 1000 - Number(params.timestamp));
  if (skewSeconds > TIMESTAMP_TOLERANCE_SECONDS) {
    return refuse(answer(key, 'PARAM_ERROR', 'TIMESTAMP_EXPIRED'));
  }
  return { ok: true, mchId, key, params: parsed.data };
}

function refuse(refusal: Answer): { ok: false; answer: Answer } {
  return { ok: false, answer: refusal };
}

/** Every API answer: string values, signed with the merchant's key when we know who is asking. */
function answer(key: string | null, code: SandboxAnswerCode, msg: string, fields: Answer = {}): Answer {
  const params: Answer = { ...fields, code, msg };
  if (key !== null) params.sign = sandboxSign(params, key);
  return params;
}

function stringRecord(value: unknown): Record<string, string> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entries = Object.entries(value);
  if (!entries.every(([, field]) => typeof field === 'string')) return null;
  return Object.fromEntries(entries) as Record<string, string>;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid parameters';
  return issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

// ---------- pay page ----------

async function payPageRoutes(pages: FastifyInstance, state: SandboxState): Promise<void> {
  pages.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'sandbox pay page failed');
    const page = renderMessagePage(
      '请求无效 / Bad request',
      status >= 500 ? 'internal error' : error.message,
    );
    return reply.status(status).headers(PAY_PAGE_HEADERS).send(page);
  });

  // Where the H5 form lands: the signed trade number, then the same page as the pay URL.
  pages.post('/gateway', async (request, reply) => {
    const parsed = GATEWAY_REQUEST.safeParse(request.body);
    const payment = parsed.success ? state.book.findByTradeNo(parsed.data.tradeNo) : undefined;
    const key = payment && sandboxMerchantKey(state.secret, payment.mchId);
    if (!parsed.success || !payment || !key || !sandboxVerify(parsed.data, key)) {
      const page = renderMessagePage('请求无效 / Bad request', 'the pay form is not a valid sandbox form');
      return reply.status(400).headers(PAY_PAGE_HEADERS).send(page);
    }
    return reply.headers(PAY_PAGE_HEADERS).send(renderPaymentPage(payment));
  });

  pages.get<{ Params: { tradeNo: string } }>('/:tradeNo', async (request, reply) => {
    const payment = findForPage(state, request.params.tradeNo);
    if (payment === undefined) return reply.status(404).headers(PAY_PAGE_HEADERS).send(notFoundPage());
    return reply.headers(PAY_PAGE_HEADERS).send(renderPaymentPage(payment));
  });

  pages.post<{ Params: { tradeNo: string } }>('/:tradeNo', async (request, reply) => {
    const now = new Date();
    const payment = findForPage(state, request.params.tradeNo, now);
    if (payment === undefined) return reply.status(404).headers(PAY_PAGE_HEADERS).send(notFoundPage());
    const decision = payerDecision(request.body);
    if (decision === null) {
      const page = renderMessagePage('请求无效 / Bad request', 'result must be success or fail');
      return reply.status(400).headers(PAY_PAGE_HEADERS).send(page);
    }
    // Only the first decision on a WAITING payment counts; a resubmitted form just shows the state.
    if (settleByPayer(payment, decision, now)) state.notifier.announceOutcome(payment);
    return reply.headers(PAY_PAGE_HEADERS).send(renderPaymentPage(payment));
  });
}

function findForPage(
  state: SandboxState,
  tradeNo: string,
  now: Date = new Date(),
): SandboxPayment | undefined {
  return TRADE_NO.test(tradeNo) ? state.book.findByTradeNo(tradeNo, now) : undefined;
}

function payerDecision(body: unknown): PayerDecision | null {
  const result = stringRecord(body)?.result;
  return result === 'success' || result === 'fail' ? result : null;
}

function notFoundPage(): string {
  return renderMessagePage(
    '找不到该交易 / Payment not found',
    'The sandbox has no payment with this number.',
  );
}

// ---------- injected delays ----------

/** Sleeps that shutdown can cut short, so an injected 30 s delay never holds a closing server. */
class Pauses {
  private readonly pending = new Map<NodeJS.Timeout, () => void>();

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve();
      }, ms);
      this.pending.set(timer, resolve);
    });
  }

  wakeAll(): void {
    for (const [timer, wake] of this.pending) {
      clearTimeout(timer);
      wake();
    }
    this.pending.clear();
  }
}
