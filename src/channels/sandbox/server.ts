import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { isDatabaseUnavailable } from '../../db/unavailable.ts';
import { MAX_RATE_PPM } from '../../money/money.ts';
import { assertPublicLiteral } from '../../notify/address-guard.ts';
import { DEFAULT_NOTIFY_RETRY_DELAYS_MS, isHostOrigin, Notifier } from './notifier.ts';
import { escapeHtml, PAY_PAGE_HEADERS, renderMessagePage, renderPaymentPage } from './pay-page.ts';
import {
  closeByMerchant,
  declineByPayer,
  MAX_PAYMENTS,
  type PayerDecision,
  type SandboxPayment,
  settleByPayer,
  takeRefund,
} from './payment-book.ts';
import { payoutStatus, type SandboxPayout } from './payout-book.ts';
import {
  AUTH_CODE_CONFIRM_MS,
  AUTH_CODE_DECLINE_REASON,
  AUTH_CODE_PATTERN,
  AUTH_CODE_USED_REASON,
  authCodeBehaviour,
  DEFAULT_PAYOUT_OUTCOME,
  MAX_FAULT_DELAY_MS,
  newSandboxMerchantKey,
  PAY_MODES,
  PAYOUT_OUTCOMES,
  type PayMode,
  type SandboxAnswerCode,
  type SandboxFaults,
  sandboxFaultsSchema,
  sandboxSign,
  sandboxVerify,
} from './protocol.ts';
import {
  bookedLines,
  shanghaiDay,
  statementFaultsSchema,
  withStatementFaults,
  writeStatementCsv,
} from './statement.ts';
import { MemorySandboxStore, type PendingNotify, type SandboxStore } from './store.ts';

/**
 * The sandbox upstream: a payment provider with its own merchants, keys and signatures, a pay page
 * where a tester pays or fails, async notifies with retries, and fault injection. The platform talks
 * to it only through the sandbox adapter, over HTTP, exactly as it would to a real provider.
 *
 * Its merchants, payments and undelivered notifies live in a SandboxStore: in memory for the
 * standalone sandbox, in its own tables when it is mounted in the platform (see store.ts).
 *
 * Merchants are registered by whoever holds the registration token (the operator of the sandbox),
 * or in-process by the platform's demo seed; each gets a random key. Nobody else can register.
 */

export interface SandboxPluginOptions {
  store: SandboxStore;
  /**
   * Bearer token that `POST /api/merchants` must carry; null closes registration over HTTP (the
   * platform registers its sandbox merchants in-process).
   */
  registrationToken: string | null;
  /** Whether notifies may go to loopback and private networks (the platform's notify setting). */
  allowPrivateAddresses: boolean;
  /** The platform this sandbox is mounted in: its own origin is always a valid notify address. */
  hostOrigin?: () => string | null;
  /** Base URL where this plugin is reachable, e.g. http://127.0.0.1:8080/sandbox; known only after listen. */
  publicUrl: () => string;
  /** Waits between notify attempts; defaults to +2 s, +10 s, +30 s. Tests shorten it. */
  retryDelaysMs?: readonly number[];
}

/** Every body the sandbox accepts is small; a larger one is refused before it is parsed. */
const BODY_LIMIT_BYTES = 64 * 1024;
/** createTimeout answers this late, far past any sane caller timeout (and within the delay cap). */
const CREATE_TIMEOUT_FAULT_MS = MAX_FAULT_DELAY_MS;
/** A registration token shorter than this is guessable; refuse to start with it. */
export const MIN_REGISTRATION_TOKEN_LENGTH = 32;
/**
 * Tries at a change that lost a race with another writer (another node, another payer). Each round
 * one writer wins, so N writers on one payment need up to N tries: a merchant's burst of refunds of
 * one order (the tests send 14 at once) exhausted 5 whenever each round trip was slower, as through
 * pgbouncer, and answered 500 to refunds that the platform then had to query for.
 */
const SAVE_ATTEMPTS = 32;
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

const PAYOUT_REQUEST = z.strictObject({
  ...SIGNED_REQUEST,
  outPayoutNo: OUT_TRADE_NO,
  amount: z.string().regex(/^[1-9]\d{0,17}$/, 'amount must be a positive integer of minor units'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'currency must be an ISO 4217 code'),
  payeeName: z.string().min(1).max(64),
  payeeAccountNo: z.string().regex(/^\d{8,32}$/, 'payeeAccountNo must be 8-32 digits'),
  payeeBankName: z.string().min(1).max(64),
  payeeBankBranch: z.string().max(128).optional(),
  payeeType: z.enum(['PERSONAL', 'CORPORATE']).optional(),
  remark: z.string().max(256).optional(),
  notifyUrl: z.url({ protocol: /^https?$/ }).max(2048),
  /** How this payout ends (the channel account's payoutOutcome); async_succeed by default. */
  outcome: z.enum(PAYOUT_OUTCOMES).optional(),
});

const PAYOUT_QUERY_REQUEST = z.strictObject({ ...SIGNED_REQUEST, outPayoutNo: OUT_TRADE_NO });

const STATEMENT_REQUEST = z.strictObject({
  ...SIGNED_REQUEST,
  billDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'billDate must be yyyy-MM-dd')
    // Date.parse rolls 2026-02-30 over to March; the date must read back as itself.
    .refine((d) => {
      const day = new Date(`${d}T00:00:00Z`);
      return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === d;
    }, 'billDate must be a date that exists'),
  /** The channel account's statement settings (statement.ts), overriding the merchant's own. */
  feeRatePpm: z
    .string()
    .regex(/^\d{1,7}$/, 'feeRatePpm must be an integer')
    .optional(),
  faults: z
    .string()
    .max(16 * 1024)
    .optional(),
});

const REGISTRATION_REQUEST = z.strictObject({ mchId: MCH_ID.optional() });

/** The H5 form posts the trade number, signed so a payer cannot forge another one. */
const GATEWAY_REQUEST = z.strictObject({ tradeNo: z.string().regex(TRADE_NO), sign: z.string() });

type Answer = Record<string, string>;

interface SandboxState {
  store: SandboxStore;
  registrationToken: string | null;
  allowPrivateAddresses: boolean;
  hostOrigin?: () => string | null;
  publicUrl: () => string;
  notifier: Notifier;
  pauses: Pauses;
  /** Customers about to confirm an auth-code payment on their phone (`…88` codes). */
  confirmations: Set<NodeJS.Timeout>;
  /** Pay codes already presented: a wallet's code pays once (oldest forgotten past MAX_PAYMENTS). */
  usedAuthCodes: Set<string>;
}

export const sandboxPlugin: FastifyPluginAsync<SandboxPluginOptions> = async (fastify, options) => {
  const token = options.registrationToken;
  if (token !== null && token.length < MIN_REGISTRATION_TOKEN_LENGTH) {
    throw new Error(
      `the sandbox registration token must be at least ${MIN_REGISTRATION_TOKEN_LENGTH} characters`,
    );
  }
  const state: SandboxState = {
    store: options.store,
    registrationToken: token,
    allowPrivateAddresses: options.allowPrivateAddresses,
    hostOrigin: options.hostOrigin,
    publicUrl: options.publicUrl,
    notifier: new Notifier({
      retryDelaysMs: options.retryDelaysMs ?? DEFAULT_NOTIFY_RETRY_DELAYS_MS,
      store: options.store,
      allowPrivateAddresses: options.allowPrivateAddresses,
      hostOrigin: options.hostOrigin,
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
    await state.notifier.stop();
  });
  // Notifies an earlier process stored but did not get acknowledged (a crash, a restart) go out again.
  fastify.addHook('onReady', async () => {
    if (state.store.durable) state.notifier.dispatch(await state.store.pendingNotifies());
  });
  await fastify.register(async (api) => apiRoutes(api, state), { prefix: '/api' });
  await fastify.register(async (pages) => payPageRoutes(pages, state), { prefix: '/pay' });
};

export interface SandboxServerOptions {
  host: string;
  port: number;
  /** Bearer token for merchant registration; a random one is generated when absent. */
  registrationToken?: string;
  /** Notifies to loopback and private networks: allowed by default for a tester's machine. */
  allowPrivateAddresses?: boolean;
  /** Where testers' browsers reach the sandbox; defaults to http://<host>:<port>/sandbox. */
  publicUrl?: string;
  retryDelaysMs?: readonly number[];
  logger?: boolean;
}

/** The standalone sandbox (`qingyun sandbox`): a fresh server with the plugin under /sandbox. */
export async function startSandboxServer(
  options: SandboxServerOptions,
): Promise<{ url: string; registrationToken: string; close(): Promise<void> }> {
  const app = Fastify({ logger: options.logger ?? false });
  let url = options.publicUrl ?? '';
  const registrationToken = options.registrationToken ?? randomBytes(24).toString('base64url');
  await app.register(sandboxPlugin, {
    prefix: '/sandbox',
    // The standalone sandbox keeps everything in memory: a restart forgets merchants and payments.
    store: new MemorySandboxStore(MAX_PAYMENTS),
    registrationToken,
    allowPrivateAddresses: options.allowPrivateAddresses ?? true,
    publicUrl: () => url,
    retryDelaysMs: options.retryDelaysMs,
  });
  await app.listen({ host: options.host, port: options.port });
  if (url === '') url = `${listeningOrigin(app.server.address() as AddressInfo, options.host)}/sandbox`;
  return { url, registrationToken, close: () => app.close() };
}

/**
 * Registers a sandbox merchant with a fresh random key: under the given mchId (refused when it is
 * taken: an existing merchant's key is never handed out again) or a random one.
 */
export async function registerSandboxMerchant(
  store: SandboxStore,
  mchId?: string,
): Promise<{ mchId: string; key: string } | null> {
  const key = newSandboxMerchantKey();
  if (mchId !== undefined) return (await store.addMerchant(mchId, key)) ? { mchId, key } : null;
  for (;;) {
    const candidate = `SBX${randomInt(0, 100_000_000).toString().padStart(8, '0')}`;
    if (await store.addMerchant(candidate, key)) return { mchId: candidate, key };
  }
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

/**
 * The in-process sandbox keeps its payments in the platform's database: while that is away its
 * answers are 503 with the platform's Retry-After, as the platform's own (src/app/http.ts).
 */
const DATABASE_RETRY_AFTER_SECONDS = 5;

async function apiRoutes(api: FastifyInstance, state: SandboxState): Promise<void> {
  // Transport-level refusals (bad JSON, too large, wrong content type) still answer in the API's shape.
  api.setErrorHandler((error: FastifyError, request, reply) => {
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'sandbox API: database unavailable');
      return reply
        .status(503)
        .header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
        .send(answer(null, 'FAIL', 'temporarily unavailable; retry in a few seconds'));
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'sandbox API request failed');
    const message = status >= 500 ? 'internal error' : error.message;
    return reply.status(status).send(answer(null, status >= 500 ? 'FAIL' : 'PARAM_ERROR', message));
  });
  api.post('/merchants', async (request, reply) => {
    const refusal = registrationRefusal(state, request.headers.authorization);
    if (refusal !== null) return reply.status(refusal.status).send(refusal.answer);
    return registerMerchant(state, request.body);
  });
  api.post('/pay/create', async (request) => createPayment(state, request.body));
  api.post('/pay/query', async (request) => queryPayment(state, request.body));
  api.post('/pay/close', async (request) => closePayment(state, request.body));
  api.post('/refund/create', async (request) => createRefund(state, request.body));
  api.post('/refund/query', async (request) => queryRefund(state, request.body));
  api.post('/payout/create', async (request) => createPayout(state, request.body));
  api.post('/payout/query', async (request) => queryPayout(state, request.body));
  api.post('/statement/download', async (request) => downloadStatement(state, request.body));
}

/**
 * The merchant's statement of one business day (statement.ts): the CSV file in the signed answer,
 * with its sha256, so the file is covered by the answer's signature.
 */
async function downloadStatement(state: SandboxState, body: unknown): Promise<Answer> {
  const caller = await authenticate(state, body, STATEMENT_REQUEST, new Date());
  if (!caller.ok) return caller.answer;
  const { key, mchId, params } = caller;
  const kept = await state.store.statementSettings(mchId);
  let faults = kept.faults ?? {};
  if (params.faults !== undefined) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(params.faults);
    } catch {
      return answer(key, 'PARAM_ERROR', 'faults is not valid JSON');
    }
    const parsed = statementFaultsSchema.safeParse(decoded);
    if (!parsed.success) return answer(key, 'PARAM_ERROR', `faults: ${firstIssue(parsed.error)}`);
    faults = parsed.data;
  }
  const feeRatePpm = params.feeRatePpm !== undefined ? Number(params.feeRatePpm) : (kept.feeRatePpm ?? null);
  if (feeRatePpm !== null && feeRatePpm > MAX_RATE_PPM)
    return answer(key, 'PARAM_ERROR', 'feeRatePpm too large');
  const { from, to } = shanghaiDay(params.billDate);
  const booked = bookedLines(await state.store.paymentsBookedWithin(mchId, from, to), from, to, feeRatePpm);
  const content = writeStatementCsv(withStatementFaults(booked, faults, params.billDate, feeRatePpm));
  return answer(key, 'SUCCESS', 'OK', {
    billDate: params.billDate,
    fileName: `${mchId}_${params.billDate.replaceAll('-', '')}.csv`,
    content,
    sha256: createHash('sha256').update(content, 'utf8').digest('hex'),
  });
}

/**
 * Takes a payout (代付), idempotent on (mchId, outPayoutNo): a retry with the same number and amount
 * gets the payout made before (never a second), another amount is refused. The outcome follows the
 * request's `outcome` (see protocol.ts PAYOUT_OUTCOMES); `lost` takes the payout but answers only
 * after the caller has given up.
 */
async function createPayout(state: SandboxState, body: unknown): Promise<Answer> {
  const now = new Date();
  const caller = await authenticate(state, body, PAYOUT_REQUEST, now);
  if (!caller.ok) return caller.answer;
  const { key, params } = caller;
  const notifyUrlRefusal = notifyUrlProblem(state, params.notifyUrl);
  if (notifyUrlRefusal !== null) return answer(key, 'PARAM_ERROR', notifyUrlRefusal);
  const amount = BigInt(params.amount);
  const opened = await state.store.openPayout(
    {
      mchId: caller.mchId,
      outPayoutNo: params.outPayoutNo,
      amount,
      currency: params.currency,
      payeeName: params.payeeName,
      payeeAccountTail: params.payeeAccountNo.slice(-4),
      payeeBankName: params.payeeBankName,
      notifyUrl: params.notifyUrl,
      outcome: params.outcome ?? DEFAULT_PAYOUT_OUTCOME,
    },
    now,
    (payout) => state.notifier.payoutNotifies(payout, key),
  );
  const { payout } = opened;
  if (!opened.created && (payout.amount !== amount || payout.currency !== params.currency)) {
    return answer(key, 'FAIL', 'OUT_PAYOUT_NO_USED', { outPayoutNo: params.outPayoutNo });
  }
  state.notifier.dispatch(opened.notifies);
  // Lost: the payout is made, but the answer comes too late for the caller (only the first time).
  if (opened.created && payout.outcome === 'lost') await state.pauses.sleep(CREATE_TIMEOUT_FAULT_MS);
  return payoutAnswer(key, payout, new Date());
}

async function queryPayout(state: SandboxState, body: unknown): Promise<Answer> {
  const now = new Date();
  const caller = await authenticate(state, body, PAYOUT_QUERY_REQUEST, now);
  if (!caller.ok) return caller.answer;
  const payout = await state.store.findPayout(caller.mchId, caller.params.outPayoutNo);
  if (payout === undefined) {
    return answer(caller.key, 'NOT_FOUND', 'no such payout', { outPayoutNo: caller.params.outPayoutNo });
  }
  return payoutAnswer(caller.key, payout, now);
}

function payoutAnswer(key: string, payout: SandboxPayout, now: Date): Answer {
  const status = payoutStatus(payout, now);
  return answer(key, 'SUCCESS', 'OK', {
    outPayoutNo: payout.outPayoutNo,
    payoutNo: payout.payoutNo,
    amount: payout.amount.toString(),
    currency: payout.currency,
    status,
    paidAt: status === 'SUCCESS' ? payout.decideAt.toISOString() : '',
    failReason: status === 'FAILED' ? (payout.failReason ?? '') : '',
  });
}

/**
 * Takes a refund of a paid payment and answers PROCESSING; the outcome goes out by notify (to the
 * refund's notifyUrl) and can be queried. Fault `refundFail` makes it fail.
 */
async function createRefund(state: SandboxState, body: unknown): Promise<Answer> {
  const now = new Date();
  const caller = await authenticate(state, body, REFUND_REQUEST, now);
  if (!caller.ok) return caller.answer;
  const { key, params } = caller;
  const faults = parseFaults(params.faults);
  if (!faults.ok) return answer(key, 'PARAM_ERROR', faults.message);
  const notifyUrlRefusal = notifyUrlProblem(state, params.notifyUrl);
  if (notifyUrlRefusal !== null) return answer(key, 'PARAM_ERROR', notifyUrlRefusal);
  const changed = await change(
    state,
    () => state.store.findByMerchantOrder(caller.mchId, params.outTradeNo, now),
    (payment) => {
      const taken = takeRefund(
        payment,
        {
          outRefundNo: params.outRefundNo,
          amount: BigInt(params.amount),
          notifyUrl: params.notifyUrl,
          fail: faults.value.refundFail === true,
        },
        now,
      );
      const notifies =
        taken.ok && taken.created ? state.notifier.refundNotifies(payment, taken.refund, key, now) : [];
      return { result: taken, changed: taken.ok && taken.created, notifies };
    },
  );
  if (changed === undefined) {
    return answer(key, 'NOT_FOUND', 'no such payment', { outTradeNo: params.outTradeNo });
  }
  const { payment, result: taken } = changed;
  if (!taken.ok) {
    return answer(key, 'FAIL', taken.reason, {
      outTradeNo: params.outTradeNo,
      outRefundNo: params.outRefundNo,
    });
  }
  return answer(key, 'SUCCESS', 'OK', {
    outTradeNo: payment.outTradeNo,
    outRefundNo: taken.refund.outRefundNo,
    refundNo: taken.refund.refundNo,
    amount: taken.refund.amount.toString(),
    status: 'PROCESSING',
  });
}

async function queryRefund(state: SandboxState, body: unknown): Promise<Answer> {
  const now = new Date();
  const caller = await authenticate(state, body, REFUND_QUERY_REQUEST, now);
  if (!caller.ok) return caller.answer;
  const { key, params } = caller;
  const payment = await state.store.findByMerchantOrder(caller.mchId, params.outTradeNo, now);
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

/** The sandbox operator registers a merchant (token checked before): a random key, shown once. */
async function registerMerchant(state: SandboxState, body: unknown): Promise<Answer> {
  const parsed = REGISTRATION_REQUEST.safeParse(body ?? {});
  if (!parsed.success) return answer(null, 'PARAM_ERROR', firstIssue(parsed.error));
  const registered = await registerSandboxMerchant(state.store, parsed.data.mchId);
  if (registered === null) return answer(null, 'FAIL', 'MCH_ID_TAKEN', { mchId: parsed.data.mchId ?? '' });
  return answer(registered.key, 'SUCCESS', 'OK', registered);
}

/** Why a registration request is refused (no token configured, or not the token), or null. */
function registrationRefusal(
  state: SandboxState,
  authorization: string | undefined,
): { status: number; answer: Answer } | null {
  if (state.registrationToken === null) {
    return {
      status: 403,
      answer: answer(null, 'AUTH_ERROR', 'merchant registration is closed on this sandbox'),
    };
  }
  const given = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '';
  // Compared as digests: equal lengths for timingSafeEqual, and no early exit on the first difference.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  if (!timingSafeEqual(digest(given), digest(state.registrationToken))) {
    return { status: 401, answer: answer(null, 'AUTH_ERROR', 'a valid registration token is required') };
  }
  return null;
}

/** Why a notify URL is refused (a private address literal where those are denied), or null. */
function notifyUrlProblem(state: SandboxState, notifyUrl: string): string | null {
  if (state.allowPrivateAddresses || isHostOrigin(notifyUrl, state.hostOrigin)) return null;
  try {
    assertPublicLiteral(notifyUrl);
    return null;
  } catch {
    return 'notifyUrl must be a public address';
  }
}

/**
 * Reads a payment, applies a change to it and saves it with the notifies announcing the change;
 * when another writer saved it meanwhile, reads it again and retries. Undefined: no such payment.
 * Notifies go out only once saved.
 */
async function change<T>(
  state: SandboxState,
  find: () => Promise<SandboxPayment | undefined>,
  apply: (payment: SandboxPayment) => { result: T; changed: boolean; notifies: PendingNotify[] },
): Promise<{ payment: SandboxPayment; result: T } | undefined> {
  for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
    const payment = await find();
    if (payment === undefined) return undefined;
    const { result, changed, notifies } = apply(payment);
    if (!changed) return { payment, result };
    if (await state.store.savePayment(payment, notifies)) {
      state.notifier.dispatch(notifies);
      return { payment, result };
    }
  }
  throw new Error('the sandbox payment kept changing under this request');
}

async function createPayment(state: SandboxState, body: unknown): Promise<Answer> {
  const now = new Date();
  const caller = await authenticate(state, body, CREATE_REQUEST, now);
  if (!caller.ok) return caller.answer;
  const { key, params } = caller;
  const faults = parseFaults(params.faults);
  if (!faults.ok) return answer(key, 'PARAM_ERROR', faults.message);
  const notifyUrlRefusal = notifyUrlProblem(state, params.notifyUrl);
  if (notifyUrlRefusal !== null) return answer(key, 'PARAM_ERROR', notifyUrlRefusal);
  const result = await openOrReuse(state, caller.mchId, key, params, faults.value, now);
  await state.pauses.sleep(createPauseMs(faults.value));
  return result;
}

/** Idempotent on (mchId, outTradeNo): a retry gets the payment it opened before. */
async function openOrReuse(
  state: SandboxState,
  mchId: string,
  key: string,
  params: z.infer<typeof CREATE_REQUEST>,
  faults: SandboxFaults,
  now: Date,
): Promise<Answer> {
  const amount = BigInt(params.amount);
  const reuse = (existing: SandboxPayment) =>
    // A reused outTradeNo with another amount is a different payment, never silently the old one.
    existing.amount !== amount || existing.currency !== params.currency
      ? answer(key, 'FAIL', 'OUT_TRADE_NO_USED', { outTradeNo: params.outTradeNo })
      : createdAnswer(state, key, existing, params.payMode);
  const existing = await state.store.findByMerchantOrder(mchId, params.outTradeNo, now);
  if (existing !== undefined) return reuse(existing);
  const expireAt = new Date(Number(params.expireAt) * 1000);
  if (expireAt.getTime() <= now.getTime()) return answer(key, 'PARAM_ERROR', 'expireAt is in the past');
  if (faults.refuseCreate) return answer(key, 'FAIL', 'CHANNEL_REFUSED', { outTradeNo: params.outTradeNo });
  const opened = await state.store.openPayment({
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
  // Another request with the same outTradeNo opened it first.
  if (!opened.created) return reuse(opened.payment);
  const payment = opened.payment;
  if (payment.authCode !== null) {
    const taken = await takeByAuthCode(state, payment, payment.authCode, key, now);
    return createdAnswer(state, key, taken, params.payMode);
  }
  return createdAnswer(state, key, payment, params.payMode);
}

/**
 * B扫C: the customer's wallet answers at once, or asks the customer to confirm (see protocol.ts).
 * Returns the payment as it now stands.
 */
async function takeByAuthCode(
  state: SandboxState,
  payment: SandboxPayment,
  authCode: string,
  key: string,
  now: Date,
): Promise<SandboxPayment> {
  const byTradeNo = () => state.store.findByTradeNo(payment.tradeNo, now);
  const decide = async (apply: (p: SandboxPayment) => boolean, notify: boolean) => {
    const changed = await change(state, byTradeNo, (p) => {
      const moved = apply(p);
      return {
        result: moved,
        changed: moved,
        notifies: moved && notify ? state.notifier.outcomeNotifies(p, key, now) : [],
      };
    });
    return changed?.payment ?? payment;
  };
  if (state.usedAuthCodes.has(authCode)) {
    return decide((p) => declineByPayer(p, AUTH_CODE_USED_REASON), false);
  }
  if (state.usedAuthCodes.size >= MAX_PAYMENTS) {
    state.usedAuthCodes.delete(state.usedAuthCodes.values().next().value!);
  }
  state.usedAuthCodes.add(authCode);
  switch (authCodeBehaviour(authCode)) {
    case 'paid':
      return decide((p) => settleByPayer(p, 'success', now), true);
    case 'declined':
      return decide((p) => declineByPayer(p, AUTH_CODE_DECLINE_REASON), false);
    case 'confirms_later': {
      const timer = setTimeout(() => {
        state.confirmations.delete(timer);
        // The merchant may have cancelled meanwhile: only a WAITING payment is confirmed.
        void change(state, byTradeNo, (p) => {
          const moved = settleByPayer(p, 'success', new Date());
          return {
            result: moved,
            changed: moved,
            notifies: moved ? state.notifier.outcomeNotifies(p, key, new Date()) : [],
          };
        }).catch(() => {
          // The store is away: the customer's confirmation is lost, as a wallet's timeout would be.
        });
      }, AUTH_CODE_CONFIRM_MS);
      timer.unref();
      state.confirmations.add(timer);
      return payment;
    }
    case 'never_confirms':
      return payment;
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
    fields.payForm = payForm(state, payment, key);
  }
  return answer(key, 'SUCCESS', 'OK', fields);
}

/** The H5 form a real provider hands out: the merchant's page posts it to the provider's gateway. */
function payForm(state: SandboxState, payment: SandboxPayment, key: string): string {
  const sign = sandboxSign({ tradeNo: payment.tradeNo }, key);
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
async function callersPayment(
  state: SandboxState,
  body: unknown,
  now: Date,
): Promise<
  { ok: true; key: string; mchId: string; payment: SandboxPayment } | { ok: false; answer: Answer }
> {
  const caller = await authenticate(state, body, PAYMENT_REQUEST, now);
  if (!caller.ok) return caller;
  const payment = await state.store.findByMerchantOrder(caller.mchId, caller.params.outTradeNo, now);
  if (payment === undefined) {
    return {
      ok: false,
      answer: answer(caller.key, 'NOT_FOUND', 'no such payment', { outTradeNo: caller.params.outTradeNo }),
    };
  }
  return { ok: true, key: caller.key, mchId: caller.mchId, payment };
}

async function queryPayment(state: SandboxState, body: unknown): Promise<Answer> {
  const found = await callersPayment(state, body, new Date());
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

async function closePayment(state: SandboxState, body: unknown): Promise<Answer> {
  const now = new Date();
  const found = await callersPayment(state, body, now);
  if (!found.ok) return found.answer;
  const { key } = found;
  const closed = await change(
    state,
    () => state.store.findByTradeNo(found.payment.tradeNo, now),
    (p) => {
      const before = p.status;
      const outcome = closeByMerchant(p, now);
      return { result: outcome, changed: p.status !== before, notifies: [] };
    },
  );
  const payment = closed?.payment ?? found.payment;
  const outcome = closed?.result ?? 'closed';
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
 * Checks a signed API request: strings only, a registered mchId, a valid signature under that
 * merchant's key, then the route's own fields and a fresh timestamp. Nothing the caller sent is
 * signed back before its signature is verified.
 */
async function authenticate<T extends Record<string, string | undefined>>(
  state: SandboxState,
  body: unknown,
  schema: z.ZodType<T>,
  now: Date,
): Promise<Authenticated<T>> {
  const params = stringRecord(body);
  if (params === null) {
    return refuse(answer(null, 'PARAM_ERROR', 'the body must be a JSON object of strings'));
  }
  const mchId = params.mchId;
  if (mchId === undefined || !MCH_ID.safeParse(mchId).success) {
    return refuse(answer(null, 'PARAM_ERROR', 'mchId is missing or invalid'));
  }
  const key = await state.store.merchantKey(mchId);
  // An unknown merchant answers exactly like a bad signature: the API does not tell who exists.
  if (key === null || !sandboxVerify(params, key)) {
    return refuse(answer(null, 'SIGN_ERROR', 'signature mismatch'));
  }
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
    if (isDatabaseUnavailable(error)) {
      // Nothing was changed: the payer's retry (or reload) works once the database is back.
      request.log.warn({ err: error }, 'sandbox pay page: database unavailable');
      const page = renderMessagePage(
        '暂时无法处理 / Temporarily unavailable',
        '请稍后重试 / Please try again in a few seconds',
      );
      return reply
        .status(503)
        .header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
        .headers(PAY_PAGE_HEADERS)
        .send(page);
    }
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
    const payment = parsed.success ? await state.store.findByTradeNo(parsed.data.tradeNo) : undefined;
    const key = payment && (await state.store.merchantKey(payment.mchId));
    if (!parsed.success || !payment || !key || !sandboxVerify(parsed.data, key)) {
      const page = renderMessagePage('请求无效 / Bad request', 'the pay form is not a valid sandbox form');
      return reply.status(400).headers(PAY_PAGE_HEADERS).send(page);
    }
    return reply.headers(PAY_PAGE_HEADERS).send(renderPaymentPage(payment));
  });

  pages.get<{ Params: { tradeNo: string } }>('/:tradeNo', async (request, reply) => {
    const payment = await findForPage(state, request.params.tradeNo);
    if (payment === undefined) return reply.status(404).headers(PAY_PAGE_HEADERS).send(notFoundPage());
    return reply.headers(PAY_PAGE_HEADERS).send(renderPaymentPage(payment));
  });

  pages.post<{ Params: { tradeNo: string } }>('/:tradeNo', async (request, reply) => {
    const now = new Date();
    const decision = payerDecision(request.body);
    if (decision === null) {
      const page = renderMessagePage('请求无效 / Bad request', 'result must be success or fail');
      return reply.status(400).headers(PAY_PAGE_HEADERS).send(page);
    }
    const found = await findForPage(state, request.params.tradeNo, now);
    const key = found && (await state.store.merchantKey(found.mchId));
    if (!found || !key) return reply.status(404).headers(PAY_PAGE_HEADERS).send(notFoundPage());
    // Only the first decision on a WAITING payment counts; a resubmitted form just shows the state.
    // The decision and its notifies are saved together, so a crash cannot keep one and lose the other.
    const decided = await change(
      state,
      () => findForPage(state, request.params.tradeNo, now),
      (p) => {
        const moved = settleByPayer(p, decision, now);
        return {
          result: moved,
          changed: moved,
          notifies: moved ? state.notifier.outcomeNotifies(p, key, now) : [],
        };
      },
    );
    if (decided === undefined) return reply.status(404).headers(PAY_PAGE_HEADERS).send(notFoundPage());
    return reply.headers(PAY_PAGE_HEADERS).send(renderPaymentPage(decided.payment));
  });
}

async function findForPage(
  state: SandboxState,
  tradeNo: string,
  now: Date = new Date(),
): Promise<SandboxPayment | undefined> {
  return TRADE_NO.test(tradeNo) ? state.store.findByTradeNo(tradeNo, now) : undefined;
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
