import { Agent, request } from 'undici';
import { HEADER, newNonce, notifySigningString, signString } from '../../sdk/signing.ts';
import { Batcher } from '../db/batcher.ts';
import type { Db, Queryable } from '../db/index.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import type { DeliveryFailureKind } from '../errors.ts';
import type { AppKeys, MerchantService } from '../merchants/service.ts';
import { assertPublicLiteral, publicOnlyLookup } from './address-guard.ts';
import { deliveryFailureKind, unacknowledgedKind } from './failure-kind.ts';
import * as queries from './queries.ts';

/** Default merchant notify schedule (DESIGN §8): the wait before each attempt, ≈ 24 h in all. */
export const DEFAULT_NOTIFY_SCHEDULE_SECONDS = [
  0, 15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
];

/**
 * How long a claimed notify is this node's. A claim whose answer never arrives (the node crashed,
 * or the database went away as it committed) leaves its notifies to nobody until then.
 */
export const NOTIFY_LEASE_SECONDS = 60;
/**
 * A claimed notify that could not be sent because the database was away is handed back only
 * while its lease is surely still ours (by this node's clock, with this much to spare): once the
 * lease has run out, another node may have claimed it.
 */
const LEASE_MARGIN_MS = 5_000;
/** Notifies being sent at once by one node. */
const MAX_IN_FLIGHT = 512;
/**
 * Notifies one endpoint (scheme, host and port of the notify URL) may have in flight at once. A
 * merchant whose server hangs, with any number of notifies due, holds at most half the node's
 * slots until its timeouts; the other half keeps flowing to everyone else.
 */
const MAX_IN_FLIGHT_PER_ENDPOINT = MAX_IN_FLIGHT / 2;
/** Claim again once this many slots are free, so claims stay batches, not one row at a time. */
const CLAIM_WHEN_FREE = 64;
const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
/** Enough of a merchant's answer to see what went wrong, not a page of HTML. */
const RESPONSE_KEEP_CHARS = 500;

export interface NotifyOptions {
  scheduleSeconds: number[];
  /**
   * The schedule in force now (the operators' setting, cached), read for each new notify and each
   * attempt's outcome; `scheduleSeconds` when not given.
   */
  currentSchedule?: (q?: Queryable) => Promise<number[]>;
  /** How long a merchant may take to answer one notify (default 10 s). */
  deliveryTimeoutMs?: number;
  /** Send notifies to loopback and private networks too (the embedded demo, tests); production says no. */
  allowPrivateAddresses: boolean;
  log?: { warn(obj: object, msg: string): void };
}

export interface NewNotify {
  merchantId: bigint;
  appId: string;
  orderId: bigint | null;
  eventType: string;
  idempotencyKey: string;
  url: string;
  body: Record<string, unknown>;
}

/** One notify as it goes on the wire. */
export interface OutgoingNotify {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** Whether the merchant's answer acknowledges the notify. */
  acknowledged(status: number, body: string): boolean;
}

/**
 * Writes an app's notifies in another protocol than ours (Jeepay, epay: src/compat/), from the
 * stored task (its payload is our notify body). Answers null when the protocol has no notify for
 * that event: the task is then not sent and ends failed, saying so.
 */
export type NotifyFormatter = (task: queries.NotifyTaskRow, keys: AppKeys) => Promise<OutgoingNotify | null>;

/** The transactional outbox of merchant notifies and its delivery. */
export class NotifyService {
  private wakeListener: (() => void) | null = null;
  private inFlight = 0;
  /**
   * Per endpoint: deliveries in flight, and claimed notifies waiting for one of its slots (sent as
   * its deliveries finish, well inside their lease). An endpoint that is full or has a backlog is
   * left out of claims, so its other due notifies stay in the table for other nodes or later.
   */
  private readonly endpoints = new Map<string, { busy: number; backlog: ClaimedTask[] }>();
  /** Connections for merchant notifies; in production they may only reach public addresses. */
  private readonly dispatcher: Agent;
  private drained: (() => void) | null = null;
  /**
   * What the database was away for, kept until it is back (see settleLeftovers): attempts made but
   * not recorded, and claimed notifies not sent (their signing key could not be read). Without
   * this, each would wait out its 60 s lease although the node knows its outcome; the merchant
   * would see a minute's stall after a few seconds' outage. Bounded by the slots: nothing is
   * claimed while any are left.
   */
  private unrecorded: queries.AttemptRecord[] = [];
  private unsent: ClaimedTask[] = [];
  /** Attempts finishing together are recorded together: one statement instead of one per notify. */
  private readonly recorder = new Batcher<queries.AttemptRecord, void>(
    async (records) => {
      await queries.recordAttempts(this.db, records);
      return records.map(() => undefined);
    },
    { maxBatch: 500, maxInFlight: 2 },
  );

  /** Formatters of the apps that speak another protocol than ours, by protocol. */
  private readonly formatters = new Map<string, NotifyFormatter>();

  constructor(
    private readonly db: Db,
    private readonly merchants: MerchantService,
    private readonly options: NotifyOptions,
  ) {
    if (options.scheduleSeconds.length === 0)
      throw new Error('the notify schedule needs at least one attempt');
    this.dispatcher = new Agent(
      options.allowPrivateAddresses ? {} : { connect: { lookup: publicOnlyLookup } },
    );
  }

  /** Writes the notify in the caller's transaction; returns false when there is no URL to send to. */
  async enqueue(q: Queryable, notify: NewNotify): Promise<boolean> {
    return (await this.enqueueMany(q, [notify])) > 0;
  }

  /** Writes many notifies in the caller's transaction (one statement); those without a URL are skipped. */
  async enqueueMany(q: Queryable, notifies: NewNotify[]): Promise<number> {
    const tasks = notifies
      .filter((n) => n.url)
      .map((n) => ({
        merchantId: n.merchantId,
        appId: n.appId,
        orderId: n.orderId,
        eventType: n.eventType,
        idempotencyKey: n.idempotencyKey,
        url: n.url,
        payload: JSON.stringify(n.body),
      }));
    if (tasks.length > 0) await queries.insertTasks(q, tasks, (await this.schedule(q))[0]!);
    return tasks.length;
  }

  /** Notifies of apps speaking `protocol` are written by `formatter` (the native path never asks). */
  attachFormatter(protocol: string, formatter: NotifyFormatter): void {
    this.formatters.set(protocol, formatter);
  }

  /** The waits before each attempt: the operators' schedule when they set one, else the environment's. */
  private async schedule(q?: Queryable): Promise<number[]> {
    // Inside a transaction the setting is read through it (the embedded database has one connection).
    return (await this.options.currentSchedule?.(q)) ?? this.options.scheduleSeconds;
  }

  /** Tells the local worker that a notify was committed, so it goes out without waiting for the next tick. */
  wake(): void {
    this.wakeListener?.();
  }

  onWake(listener: () => void): void {
    this.wakeListener = listener;
  }

  /**
   * Claims due notifies for the free delivery slots and starts sending them; returns how many it
   * claimed: deliveries run on while the loop claims more, so one slow merchant never holds up the
   * others. Endpoints already at their share are not claimed for.
   */
  async deliverDue(): Promise<number> {
    // Throws while the database is still away, and the worker backs off.
    await this.settleLeftovers();
    const room = MAX_IN_FLIGHT - this.inFlight;
    if (room < CLAIM_WHEN_FREE) return 0;
    const full = [...this.endpoints]
      .filter(([, e]) => e.busy >= MAX_IN_FLIGHT_PER_ENDPOINT || e.backlog.length > 0)
      .map(([endpoint]) => endpoint);
    const claimedAt = Date.now();
    const tasks = (await queries.claimDueTasks(this.db, room, NOTIFY_LEASE_SECONDS, full)).map((task) => ({
      ...task,
      claimedAt,
    }));
    for (const task of tasks) {
      const endpoint = endpointOf(task.url);
      let state = this.endpoints.get(endpoint);
      if (!state) {
        state = { busy: 0, backlog: [] };
        this.endpoints.set(endpoint, state);
      }
      if (state.busy >= MAX_IN_FLIGHT_PER_ENDPOINT) state.backlog.push(task);
      else this.start(task, endpoint, state);
    }
    return tasks.length;
  }

  /**
   * Writes what the database was away for: the attempts not recorded move their notifies on as
   * the schedule says, and notifies not sent are due again now, within their lease.
   */
  private async settleLeftovers(): Promise<void> {
    // Taken out first: deliveries finishing meanwhile add to fresh lists.
    const records = this.unrecorded.splice(0);
    if (records.length > 0) {
      try {
        await queries.recordAttempts(this.db, records, { again: true });
      } catch (error) {
        this.unrecorded.unshift(...records);
        throw error;
      }
    }
    const stillOurs = Date.now() - (NOTIFY_LEASE_SECONDS * 1000 - LEASE_MARGIN_MS);
    const unsent = this.unsent.splice(0).filter((task) => task.claimedAt > stillOurs);
    if (unsent.length > 0) {
      try {
        await queries.releaseTasks(this.db, unsent);
      } catch (error) {
        this.unsent.unshift(...unsent);
        throw error;
      }
    }
  }

  private start(task: ClaimedTask, endpoint: string, state: { busy: number }): void {
    state.busy++;
    this.inFlight++;
    this.deliver(task)
      .then(
        (record) =>
          this.recorder.submit(record).catch((error: unknown) => {
            if (isDatabaseUnavailable(error)) this.unrecorded.push(record);
            throw error;
          }),
        (error: unknown) => {
          // Not sent: only our side (the signing key) can fail before sending.
          if (isDatabaseUnavailable(error)) this.unsent.push(task);
          throw error;
        },
      )
      .catch((error: unknown) => {
        // Kept above for when the database is back; otherwise the lease brings the task back.
        this.options.log?.warn({ taskId: task.id.toString(), err: error }, 'notify attempt not recorded');
      })
      .finally(() => this.slotFreed(endpoint));
  }

  /** Closes the notify connections (after drain). */
  close(): Promise<void> {
    return this.dispatcher.close();
  }

  /** Waits until every notify started by this node has been sent and recorded (shutdown). */
  async drain(): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      this.drained = resolve;
    });
  }

  private slotFreed(endpoint: string): void {
    const state = this.endpoints.get(endpoint)!;
    state.busy--;
    this.inFlight--;
    // The endpoint's slot goes to its next claimed notify, if one waits.
    const next = state.backlog.shift();
    if (next) {
      this.start(next, endpoint, state);
      return;
    }
    if (state.busy === 0) this.endpoints.delete(endpoint);
    if (this.inFlight === 0) this.drained?.();
    // A freed slot may let the delivery loop claim more: for everyone, or for this endpoint again.
    if (
      MAX_IN_FLIGHT - this.inFlight === CLAIM_WHEN_FREE ||
      state.busy === MAX_IN_FLIGHT_PER_ENDPOINT - CLAIM_WHEN_FREE
    )
      this.wake();
  }

  /** Notifies of some merchants that failed for good in a window (the bot's failed-notify messages). */
  failedBetween(f: Parameters<typeof queries.failedTasksOf>[1]) {
    return queries.failedTasksOf(this.db, f);
  }

  /** Sends the order's notifies again now (manual resend); returns how many were queued. */
  async resendForOrder(orderId: bigint): Promise<number> {
    const rows = await queries.requeueTasksOfOrder(this.db, orderId);
    this.wake();
    return rows.length;
  }

  async historyOfOrder(orderId: bigint) {
    // One snapshot for the tasks and their attempts: read apart, a delivery committing between the
    // two reads showed a task still pending beside its acknowledged attempt.
    const { tasks, attempts } = await this.db.tx(async (q) => {
      await q.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const tasks = await queries.tasksOfOrder(q, orderId);
      const attempts = tasks.length ? await queries.attemptsOfTasks(q, tasks) : [];
      return { tasks, attempts };
    });
    return tasks.map((t) => ({
      id: t.id.toString(),
      eventType: t.event_type,
      url: t.url,
      state: t.state,
      attempts: t.attempts,
      nextAttemptAt: t.state === 'pending' ? t.next_attempt_at.toISOString() : null,
      lastError: t.last_error,
      lastErrorKind: t.last_error_kind ?? (t.last_error ? 'network' : null),
      payload: t.payload,
      history: attempts
        .filter((a) => a.task_id === t.id)
        .map((a) => ({
          attempt: a.attempt,
          httpStatus: a.http_status,
          responseBody: a.response_body,
          error: a.error,
          /** Which step failed (DELIVERY_FAILURE_KINDS), for the consoles' sentence; null when delivered. */
          errorKind: a.error_kind ?? (a.error ? 'network' : null),
          durationMs: a.duration_ms,
          at: a.created_at.toISOString(),
        })),
    }));
  }

  async latestStateOfOrders(orderIds: bigint[]): Promise<Map<string, string>> {
    if (orderIds.length === 0) return new Map();
    const rows = await queries.latestStateOfOrders(this.db, orderIds);
    return new Map(rows.map((r) => [r.order_id.toString(), r.state]));
  }

  /** Sends one notify; the outcome is recorded by the caller (batched with its neighbours). */
  private async deliver(task: queries.NotifyTaskRow): Promise<queries.AttemptRecord> {
    const attempt = task.attempts + 1;
    const started = Date.now();
    let httpStatus: number | null = null;
    let responseBody: string | null = null;
    let error: string | null = null;
    let errorKind: DeliveryFailureKind | null = null;
    // Without its key the notify cannot be signed, and a database that is away is our failure,
    // not the merchant's: it is not an attempt (the caller hands the notify back, see start()).
    const outgoing = await this.outgoing(task).catch((e: unknown) => {
      if (isDatabaseUnavailable(e)) throw e;
      return e instanceof Error ? e : new Error(String(e));
    });
    try {
      if (outgoing instanceof Error) {
        errorKind = 'not_sent';
        throw outgoing;
      }
      if (!this.options.allowPrivateAddresses) assertPublicLiteral(outgoing.url);
      const timeoutMs = this.options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
      const response = await request(outgoing.url, {
        dispatcher: this.dispatcher,
        method: outgoing.method,
        headers: outgoing.headers,
        body: outgoing.body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        // The two timeouts bound each wait; this bounds the whole attempt, a trickling body included.
        signal: AbortSignal.timeout(timeoutMs),
      });
      httpStatus = response.statusCode;
      responseBody = await readPrefix(response.body, RESPONSE_KEEP_CHARS);
      if (!outgoing.acknowledged(httpStatus, responseBody)) {
        error = `not acknowledged: HTTP ${httpStatus}`;
        errorKind = unacknowledgedKind(httpStatus);
      }
    } catch (e) {
      error = (e as Error).message || String(e);
      errorKind ??= deliveryFailureKind(e);
    }
    const schedule = await this.schedule();
    // A notify the app's protocol has no form for is never sent: trying again would not change that.
    const unsendable = outgoing instanceof UnsendableNotify;
    const outcome =
      error === null ? 'succeeded' : unsendable || attempt >= schedule.length ? 'failed' : 'pending';
    if (outcome === 'failed')
      this.options.log?.warn({ taskId: task.id.toString(), attempt }, 'merchant notify gave up');
    return {
      taskId: task.id,
      attempt,
      httpStatus,
      responseBody,
      error,
      errorKind,
      durationMs: Date.now() - started,
      outcome,
      nextDelaySeconds: outcome === 'pending' ? schedule[attempt]! : 0,
    };
  }

  /** The notify as it goes out: ours (signed JSON), or in the app's protocol through its formatter. */
  private async outgoing(task: queries.NotifyTaskRow): Promise<OutgoingNotify> {
    const keys = await this.merchants.appKeys(task.app_id);
    if (!keys) throw new Error(`app ${task.app_id} no longer exists`);
    if (keys.protocol !== 'qingyun') {
      const formatter = this.formatters.get(keys.protocol);
      if (!formatter) throw new Error(`no notify formatter for the ${keys.protocol} protocol`);
      const formatted = await formatter(task, keys);
      if (!formatted) throw new UnsendableNotify(keys.protocol, task.event_type);
      return formatted;
    }
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = newNonce();
    const text = notifySigningString(timestamp, nonce, task.payload);
    const signature =
      keys.notifySignType === 'RSA-SHA256'
        ? signString(text, { type: 'RSA-SHA256', privateKey: keys.platformPrivateKey })
        : signString(text, { type: 'HMAC-SHA256', secret: keys.secret });
    return {
      method: 'POST',
      url: task.url,
      headers: {
        'content-type': 'application/json',
        [HEADER.app]: task.app_id,
        [HEADER.timestamp]: timestamp,
        [HEADER.nonce]: nonce,
        [HEADER.signType]: keys.notifySignType,
        [HEADER.signature]: signature,
      },
      body: task.payload,
      acknowledged: isAcknowledged,
    };
  }

  /** Per merchant, its notifies failing or given up since a moment (the alerts' detector). */
  failingByMerchant(since: Date) {
    return queries.failingByMerchant(this.db, since);
  }
}

/** A notify the app's protocol has no form for (epay has no refund notify): not sent, not retried. */
class UnsendableNotify extends Error {
  constructor(protocol: string, eventType: string) {
    super(`the ${protocol} protocol has no notify for ${eventType}; not sent`);
  }
}

/** A notify this node claimed, with when (by this node's clock) it took the lease. */
type ClaimedTask = queries.NotifyTaskRow & { claimedAt: number };

/** Where a notify goes, for the per-endpoint share of slots: scheme, host and port, as queries.ts reads it in SQL. */
export function endpointOf(url: string): string {
  return (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(url)?.[0] ?? url).toLowerCase();
}

/** Reads at most `maxChars` of an answer and drops the rest: a merchant cannot make us hold a large body. */
async function readPrefix(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  maxChars: number,
): Promise<string> {
  let text = '';
  for await (const chunk of body) {
    text += chunk.toString('utf8');
    if (text.length > maxChars) {
      body.destroy();
      return text.slice(0, maxChars);
    }
  }
  return text;
}

/** The merchant acknowledges with HTTP 200 and the body `success` (trimmed, any case). */
export function isAcknowledged(status: number, body: string): boolean {
  return status === 200 && body.trim().toLowerCase() === 'success';
}
