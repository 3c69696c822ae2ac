import type { Logger } from '../app/logger.ts';
import type { CatalogService } from '../catalog/service.ts';
import type { ChannelGateway } from '../channels/gateway.ts';
import { getAdapter } from '../channels/registry.ts';
import type { ChannelStatement, StatementFile } from '../channels/types.ts';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { OrderRow } from '../orders/queries.ts';
import type { OrderService } from '../orders/service.ts';
import { addDays, localDate, startOfLocalDay } from '../stats/time.ts';
import { finishBatch, matchBatch } from './match.ts';
import * as queries from './queries.ts';
import { loadSettings, minutesOf, type ReconciliationSettings, saveSettings } from './settings.ts';
import { keptFile, stageLines, totalsTieOut } from './stage.ts';
import type { BatchRow, BatchState, ItemClass, ItemRow, Resolution } from './types.ts';

/** A run's claim on its batch lasts this long; a runner that died longer ago is taken over. */
export const RUN_LEASE_SECONDS = 30 * 60;
/** The daily job tries a failed day again after this long. */
export const FAILED_RETRY_SECONDS = 30 * 60;

export interface ReconciliationOptions {
  timeZone: string;
  log: Logger;
}

/**
 * Reconciliation (对账, MON-5): a channel account's statement of one business day, fetched from the
 * channel or uploaded by an operator, staged and matched against our orders and refunds
 * (stage.ts, match.ts); the discrepancies as items operators resolve, or, for a payment the channel
 * took and we never saw paid, complete through the orders' manual completion.
 */
export class ReconciliationService {
  constructor(
    private readonly db: Db,
    private readonly deps: { channels: ChannelGateway; catalog: CatalogService; orders: OrderService },
    private readonly options: ReconciliationOptions,
  ) {}

  get timeZone(): string {
    return this.options.timeZone;
  }

  settings(): Promise<ReconciliationSettings> {
    return loadSettings(this.db);
  }

  /** Replaces the settings (validated by the route's schema); returns the ones before. */
  async setSettings(settings: ReconciliationSettings): Promise<ReconciliationSettings> {
    const before = await this.settings();
    await this.db.tx((q) => saveSettings(q, settings));
    return before;
  }

  /** Fetches the account's statement of `day` from its channel and reconciles it. */
  async run(channelAccountId: bigint, day: string, by: { userId: bigint | null }): Promise<BatchRow> {
    await this.checkTarget(channelAccountId, day);
    if (!(await this.deps.channels.givesStatements(channelAccountId))) {
      throw new AppError('INVALID_REQUEST', "this channel account's channel gives no statements", {
        field: 'channelAccountId',
      });
    }
    const claim = await this.claim(channelAccountId, day, 'fetched', by.userId);
    let statement: ChannelStatement;
    try {
      statement = await this.deps.channels.fetchStatement(channelAccountId, { date: day });
    } catch (error) {
      // The channel could not give it (not ready yet, network, keys): the batch says why.
      const message = error instanceof Error ? error.message : String(error);
      this.options.log.warn(
        { channelAccountId: String(channelAccountId), day, err: message },
        'statement fetch failed',
      );
      await queries.failBatch(this.db, claim.id, claim.run_no, `statement: ${message}`.slice(0, 1000));
      return (await queries.findBatch(this.db, claim.id))!;
    }
    const adapter = (await this.deps.channels.adapterOf(channelAccountId))?.code ?? 'channel';
    return this.reconcile(claim, channelAccountId, day, statement, {
      name: `${adapter}_${channelAccountId}_${day}.csv`,
      bytes: Buffer.from(statement.raw, 'utf8'),
    });
  }

  /**
   * Reconciles a statement file an operator downloaded from the channel: read by the account's
   * adapter, so it is the channel's own format. A file that is not one changes nothing.
   */
  async upload(
    channelAccountId: bigint,
    day: string,
    file: { name: string | null; bytes: Buffer },
    by: { userId: bigint | null },
  ): Promise<BatchRow> {
    await this.checkTarget(channelAccountId, day);
    let statement: StatementFile | null;
    try {
      statement = await this.deps.channels.parseStatement(channelAccountId, file.bytes, { date: day });
    } catch (error) {
      throw new AppError(
        'INVALID_REQUEST',
        `the file is not a statement of this channel: ${(error as Error).message}`,
        {
          field: 'file',
        },
      );
    }
    if (statement === null) {
      throw new AppError('INVALID_REQUEST', "this channel account's channel reads no statement files", {
        field: 'channelAccountId',
      });
    }
    const claim = await this.claim(channelAccountId, day, 'uploaded', by.userId);
    return this.reconcile(claim, channelAccountId, day, statement, file);
  }

  /**
   * The daily job: yesterday's statement of every enabled account whose channel gives statements,
   * once the adapter's run time (setting `reconciliation.runAt`, default 10:00) has passed today;
   * a failed day is tried again after FAILED_RETRY_SECONDS. Returns the runs started.
   */
  async runDue(now: Date = new Date()): Promise<number> {
    const tz = this.options.timeZone;
    const today = localDate(now, tz);
    const day = addDays(today, -1);
    const settings = await this.settings();
    const settled = await queries.settledBatchAccounts(this.db, day, FAILED_RETRY_SECONDS);
    const accounts = await this.deps.catalog.listChannelAccounts();
    let started = 0;
    for (const account of accounts) {
      if (!account.enabled || settled.has(account.id)) continue;
      if (typeof getAdapter(account.adapterCode)?.fetchStatement !== 'function') continue;
      const runAt = settings.runAt[account.adapterCode] ?? settings.runAt.default ?? '10:00';
      const dueAt = startOfLocalDay(today, tz).getTime() + minutesOf(runAt) * 60_000;
      if (now.getTime() < dueAt) continue;
      started++;
      try {
        await this.run(account.id, day, { userId: null });
      } catch (error) {
        // Another runner has it (an operator's re-run, a node whose job lease ran out): its run counts.
        if (error instanceof AppError && error.code === 'RECONCILIATION_RUNNING') continue;
        // One account's trouble (the database) must not stop the others.
        this.options.log.error(
          { err: error, channelAccountId: String(account.id), day },
          'reconciliation failed',
        );
      }
    }
    return started;
  }

  listBatches(f: queries.BatchFilter & { limit: number; offset: number }) {
    return queries.listBatches(this.db, f);
  }

  async requireBatch(id: bigint): Promise<BatchRow> {
    const batch = await queries.findBatch(this.db, id);
    if (!batch) throw new AppError('NOT_FOUND', `reconciliation batch ${id} not found`);
    return batch;
  }

  batchOf(channelAccountId: bigint, day: string): Promise<BatchRow | null> {
    return queries.findBatchOf(this.db, channelAccountId, day);
  }

  async items(f: {
    batchId: bigint;
    class?: ItemClass;
    resolution?: Resolution;
    limit: number;
    offset: number;
  }) {
    await this.requireBatch(f.batchId);
    return queries.listItems(this.db, f);
  }

  /** The statement file as it was fetched or uploaded. */
  async file(batchId: bigint): Promise<{ name: string; gzip: Buffer }> {
    const row = await queries.batchFile(this.db, batchId);
    if (!row?.gz) throw new AppError('NOT_FOUND', `reconciliation batch ${batchId} has no file`);
    return { name: row.file_name ?? `statement_${batchId}.csv`, gzip: Buffer.from(row.gz) };
  }

  async requireItem(id: bigint): Promise<ItemRow> {
    const item = await queries.findItem(this.db, id);
    if (!item) throw new AppError('NOT_FOUND', `reconciliation item ${id} not found`);
    return item;
  }

  /** Marks an open item resolved with the operator's note; a resolved one is refused. */
  async resolve(itemId: bigint, note: string, userId: bigint): Promise<{ before: ItemRow; after: ItemRow }> {
    const before = await this.requireItem(itemId);
    const after = await queries.resolveItem(this.db, itemId, note, userId);
    if (!after) throw itemStateInvalid(before, 'the item is already resolved');
    return { before, after };
  }

  /**
   * 补单 from the statement: a payment the channel reports successful that we have unpaid is paid
   * through the orders' manual completion (one transaction: paid, ledger, one merchant notify), then
   * the item is resolved. Only an open channel_only payment item naming an order of this account;
   * a second call finds the item resolved (or the order paid) and changes nothing.
   */
  async completeOrder(
    itemId: bigint,
    by: { userId: bigint; username: string },
    remark: string,
  ): Promise<{ item: ItemRow; before: OrderRow; order: OrderRow }> {
    const item = await this.requireItem(itemId);
    if (item.class !== 'channel_only' || item.kind !== 'payment' || item.order_no === null) {
      throw itemStateInvalid(item, 'only a channel_only payment of one of our orders can be completed');
    }
    if (item.resolution !== 'open') throw itemStateInvalid(item, 'the item is already resolved');
    const order = await this.deps.orders.requireByOrderNo(item.order_no);
    if (order.channel_account_id !== item.channel_account_id || order.amount !== item.channel_amount) {
      throw itemStateInvalid(
        item,
        'the order is not on this channel account or not of the amount the channel took',
      );
    }
    const paid = await this.deps.orders.completeManually(order, {
      userId: by.userId,
      username: by.username,
      remark: `对账补单 ${item.business_day} ${item.channel_trade_no ?? ''}: ${remark}`.slice(0, 500),
    });
    const resolved = await queries.resolveItem(this.db, item.id, `补单 completed: ${remark}`, by.userId);
    return { item: resolved ?? (await this.requireItem(item.id)), before: order, order: paid };
  }

  private async checkTarget(channelAccountId: bigint, day: string): Promise<void> {
    if (!(await this.deps.catalog.channelAccount(channelAccountId))) {
      throw new AppError('INVALID_REQUEST', `channel account ${channelAccountId} does not exist`, {
        field: 'channelAccountId',
      });
    }
    if (day > localDate(new Date(), this.options.timeZone)) {
      throw new AppError('INVALID_REQUEST', 'the day has not begun yet', { field: 'day' });
    }
  }

  private async claim(
    channelAccountId: bigint,
    day: string,
    source: 'fetched' | 'uploaded',
    startedBy: bigint | null,
  ): Promise<{ id: bigint; run_no: number }> {
    const claim = await queries.claimBatch(this.db, {
      channelAccountId,
      day,
      source,
      startedBy,
      leaseSeconds: RUN_LEASE_SECONDS,
    });
    if (!claim) {
      throw new AppError(
        'RECONCILIATION_RUNNING',
        `channel account ${channelAccountId} ${day} is being reconciled`,
      );
    }
    return claim;
  }

  /** Stages and matches the statement in one transaction; a failure leaves the last finished run's findings. */
  private async reconcile(
    claim: { id: bigint; run_no: number },
    channelAccountId: bigint,
    day: string,
    statement: StatementFile,
    file: { name: string | null; bytes: Buffer },
  ): Promise<BatchRow> {
    const tz = this.options.timeZone;
    const settings = await this.settings();
    const dayStart = startOfLocalDay(day, tz);
    const dayEnd = startOfLocalDay(addDays(day, 1), tz);
    // The file compresses on the thread pool while its lines are read and staged.
    const kept = keptFile(file.bytes);
    kept.catch(() => {}); // awaited in the transaction; a run that fails before it reports its own error
    try {
      await this.db.tx(async (q) => {
        const summed = await stageLines(q, claim.id, channelAccountId, statement.lines);
        await queries.storeFile(q, claim.id, {
          name: file.name,
          ...(await kept),
          totals: statement.totals ?? null,
          tieOut: totalsTieOut(summed, statement.totals),
        });
        await matchBatch(q, {
          batchId: claim.id,
          runNo: claim.run_no,
          channelAccountId,
          day,
          dayStart,
          dayEnd,
          carryFrom: new Date(dayEnd.getTime() - settings.carryMinutes * 60_000),
          carryDays: settings.carryDays,
        });
        if (!(await finishBatch(q, claim.id, claim.run_no))) {
          throw new Error('the run was taken over by another runner');
        }
      });
    } catch (error) {
      await queries.failBatch(this.db, claim.id, claim.run_no, (error as Error).message.slice(0, 1000));
      throw error;
    }
    return (await queries.findBatch(this.db, claim.id))!;
  }

  /** Per batch, its discrepancies still open that were found before a moment (the alerts' detector). */
  openItemsByBatch(foundBefore: Date) {
    return queries.openItemsByBatch(this.db, foundBefore);
  }
}

function itemStateInvalid(item: ItemRow, message: string): AppError {
  return new AppError('RECONCILIATION_ITEM_STATE_INVALID', message, {
    class: item.class,
    resolution: item.resolution,
  });
}

export type { BatchRow, BatchState, ItemRow };
