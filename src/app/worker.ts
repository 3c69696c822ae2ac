import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../db/index.ts';
import type { Config } from './config.ts';
import type { Services } from './services.ts';

/** A job may hold its lease this long while running; a crashed holder frees it after this. */
const RUNNING_LEASE_SECONDS = 120;
/** Loops that keep failing (the database away) wait longer each time, up to this, then try again. */
const MAX_BACKOFF_MS = 5_000;

/** The wait after `failures` failures in a row: the usual pace doubled each time, capped. */
export function backoffMs(usualMs: number, failures: number): number {
  if (failures === 0) return usualMs;
  return Math.max(usualMs, Math.min(MAX_BACKOFF_MS, usualMs * 2 ** failures));
}

interface ScheduledJob {
  name: string;
  everyMs: number;
  /** The signal aborts when the worker stops (a long poll ends then instead of waiting it out). */
  run: (signal: AbortSignal) => Promise<unknown>;
}

/**
 * The background worker: delivers merchant notifies as soon as they are committed (woken in
 * process, polled otherwise) and runs the scheduled jobs, each on one node at a time.
 */
export class Worker {
  private stopping = false;
  private readonly stopSignal = stopSignalFor();
  /** Idle delivery loops, woken when a notify is committed on this node. */
  private readonly sleepers = new Set<() => void>();
  private readonly loops: Promise<void>[] = [];
  private readonly holder = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    private readonly services: Services,
    private readonly config: Pick<Config, 'workerTickMs' | 'settlementEveryMs'>,
  ) {}

  start(): void {
    this.services.notify.onWake(() => this.wakeAll());
    this.loops.push(this.notifyLoop());
    const jobs: ScheduledJob[] = [
      {
        name: 'order-query',
        everyMs: this.config.workerTickMs,
        run: () => this.services.orders.queryPaying(),
      },
      {
        name: 'refund-query',
        everyMs: this.config.workerTickMs * 10,
        run: () => this.services.refunds.queryPending(),
      },
      {
        // Open payouts the channel has had ~30 s without a final answer: asked about (queryPayout).
        name: 'payout-query',
        everyMs: this.config.workerTickMs * 10,
        run: () => this.services.payouts.queryPending(),
      },
      {
        name: 'order-expiry',
        everyMs: this.config.workerTickMs * 2,
        run: () => this.services.orders.sweepExpired(),
      },
      // Settlement: due orders pending → available, reserve held and released (set-based, per merchant).
      {
        name: 'settlement',
        everyMs: this.config.settlementEveryMs ?? this.config.workerTickMs * 20,
        run: () => this.services.settlement.run(),
      },
      // Agents' commission of settled orders: pending → available (AG-3).
      {
        name: 'agent-commission-settlement',
        everyMs: this.config.settlementEveryMs ?? this.config.workerTickMs * 20,
        run: async () =>
          this.services.orders.settleAgentCommissions(await this.services.settlement.settleTestOrders()),
      },
      // Marketplace orders: members' split shares settle with their orders (pending → available).
      {
        name: 'settle-member-shares',
        everyMs: this.config.settlementEveryMs ?? this.config.workerTickMs * 20,
        run: () => this.services.splits.shares.settleMemberShares(),
      },
      // Approved member import batches: open each pending row's member and bind its card.
      {
        name: 'import-member-batches',
        everyMs: this.config.workerTickMs * 5,
        run: () => this.services.memberImports.runDue(),
      },
      // Escrow payments nobody confirmed within the auto-confirm days release themselves.
      {
        name: 'auto-confirm-escrows',
        everyMs: 60_000,
        run: () => this.services.splits.escrows.autoConfirmEscrows(),
      },
      {
        name: 'daily-balances',
        everyMs: this.config.workerTickMs * 100,
        run: () => this.services.settlement.fillDailyBalances(),
      },
      // Yesterday's channel statements, once each adapter's run time has passed (reconciliation/).
      { name: 'reconciliation', everyMs: 60_000, run: () => this.services.reconciliation.runDue() },
      // Yesterday's merchant statements (and last month's on the 1st), in batches of merchants.
      {
        name: 'merchant-statements',
        everyMs: 60_000,
        run: () => this.services.statements.runDue(),
      },
      // Operations alerts: every registered detector, its alerts recorded, resolved and told (alerts/).
      { name: 'detect-alerts', everyMs: 60_000, run: () => this.services.alerts.runDetectors() },
      {
        name: 'auto-withdrawal',
        everyMs: 60_000,
        run: () => this.services.withdrawals.runAutoWithdrawals(),
      },
      // Members who chose automatic withdrawal: their available balance to their card, once a local day.
      {
        name: 'auto-withdraw-member-balances',
        everyMs: 60_000,
        run: () => this.services.members.autoWithdrawals.run(),
      },
      // The recycle bin: rows deleted longer ago than the retention setting, unless money refers to them.
      {
        name: 'recycle-purge',
        everyMs: 3_600_000,
        run: () => this.services.recycle.purgeExpired(),
      },
      // The history tables' months: the next ones created, those past the retention archived to files.
      {
        name: 'archive-history',
        everyMs: 3_600_000,
        run: () => this.services.history.archiveDue(),
      },
      // The Telegram bot's updates by long polling (no-op without a token or in webhook mode): one
      // node at a time holds the lease through a poll of up to 25 s, then the next poll starts.
      {
        name: 'telegram-poll',
        everyMs: this.config.workerTickMs,
        run: (signal) => this.services.bot.pollOnce(signal),
      },
      // Merchants' groups hear of their large payments and failed notifies.
      {
        name: 'bot-events',
        everyMs: this.config.workerTickMs * 20,
        run: () => this.services.bot.pushEvents(),
      },
      // Notifications (e-mail, SMS, Telegram): retries, and the messages that waited for the send window.
      {
        name: 'notifications',
        everyMs: this.config.workerTickMs * 10,
        run: () => this.services.notifications.deliverDue(),
      },
      {
        name: 'purge-nonces-sessions',
        everyMs: 60_000,
        run: async () => {
          await this.services.signatures.purgeExpiredNonces();
          await this.services.consoleUsers.purgeExpiredSessions();
        },
      },
    ];
    for (const job of jobs) this.loops.push(this.jobLoop(job));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    this.wakeAll();
    await Promise.all(this.loops);
  }

  private async notifyLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let started = 0;
      try {
        started = await this.services.notify.deliverDue();
        failures = 0;
      } catch (error) {
        failures++;
        this.services.log.error({ err: error, failures }, 'notify delivery failed');
      }
      // Nothing due, or every slot busy: sleep until a commit or a freed slot wakes us, or the tick.
      // After failures (the database away) sleep longer, without being woken early.
      if (failures > 0 && !this.stopping) await this.pause(backoffMs(this.config.workerTickMs, failures));
      else if (started === 0 && !this.stopping) await this.idle(this.config.workerTickMs);
    }
    await this.services.notify.drain();
    await this.services.notifications.drain();
  }

  private async jobLoop(job: ScheduledJob): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        if (await claimJob(this.services.db, job.name, this.holder)) {
          try {
            await job.run(this.stopSignal.signal);
          } finally {
            await releaseJob(this.services.db, job.name, this.holder, job.everyMs);
          }
        }
        failures = 0;
      } catch (error) {
        failures++;
        this.services.log.error({ err: error, job: job.name, failures }, 'scheduled job failed');
      }
      if (!this.stopping) await this.pause(backoffMs(job.everyMs, failures));
    }
  }

  /** Sleeps, or less if the worker is stopping. */
  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.stopSignal.signal }).catch(() => {});
  }

  /** Waits for the tick, or less if a notify is committed on this node meanwhile. */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }
}

/**
 * Takes the job's lease if it is free, or still ours: a run whose release failed (the database went
 * away) would otherwise keep the job idle until the lease runs out. This loop is the only runner
 * of the job on this node, so our own lease is never a run in progress.
 */
async function claimJob(db: Db, name: string, holder: string): Promise<boolean> {
  await db.query('INSERT INTO job_lease (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
  const rows = await db.query(
    `UPDATE job_lease SET leased_until = now() + make_interval(secs => $3), holder = $2, last_run_at = now()
     WHERE name = $1 AND (leased_until <= now() OR holder = $2) RETURNING 1`,
    [name, holder, RUNNING_LEASE_SECONDS],
  );
  return rows.length > 0;
}

/** Frees the job for the next run, one interval from now, whichever node takes it. */
async function releaseJob(db: Db, name: string, holder: string, everyMs: number): Promise<void> {
  // Only our own lease: if a run outlived it, the node that took over keeps its lease.
  await db.query(
    'UPDATE job_lease SET leased_until = now() + make_interval(secs => $3) WHERE name = $1 AND holder = $2',
    [name, holder, Math.max(0, everyMs - 50) / 1000],
  );
}

/**
 * The signal that ends every job loop's wait at stop. Each loop waits on it at once (a dozen jobs and
 * the notify and query loops), which is more than Node's default of ten listeners it warns above.
 */
function stopSignalFor(): AbortController {
  const controller = new AbortController();
  setMaxListeners(100, controller.signal);
  return controller;
}
