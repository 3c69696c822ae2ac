import type { AuditService } from '../audit/service.ts';
import * as authQueries from '../auth/queries.ts';
import * as catalogQueries from '../catalog/queries.ts';
import type { CatalogService } from '../catalog/service.ts';
import * as collectQueries from '../collect/queries.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import * as ledgerQueries from '../ledger/queries.ts';
import * as memberQueries from '../members/queries.ts';
import * as merchantQueries from '../merchants/queries.ts';
import type { MerchantService } from '../merchants/service.ts';
import * as orderQueries from '../orders/queries.ts';
import * as payoutQueries from '../payouts/queries.ts';
import * as withdrawalQueries from '../withdrawals/queries.ts';
import { loadRecycleSettings, type RecycleSettings, saveRecycleSettings } from './settings.ts';

/** What can be moved to the recycle bin. */
export const RECYCLE_TYPES = [
  'merchant',
  'app',
  'product',
  'channel',
  'channel_account',
  'collect_code',
  'user',
] as const;
export type RecycleType = (typeof RECYCLE_TYPES)[number];

/** The most rows the purge job removes in one run (the rest wait for the next run). */
export const PURGE_BATCH = 100;

/** One row of the recycle bin as the console lists it. */
export interface RecycleItem {
  type: RecycleType;
  /** The row's id: with the type, what restore and purge name. */
  id: string;
  /** The number people know it by: merchant number, app id, product or channel code, account or code id, username. */
  key: string;
  name: string;
  /** What it belongs to: an app's or code's merchant, an account's channel, a login's merchant. */
  owner: string;
  /** For a login: its area (operator, merchant, agent). */
  area: string | null;
  deletedAt: string;
  deletedBy: { id: string; username: string } | null;
  /** When the purge job removes it (unless money refers to it). */
  purgeAfter: string;
}

interface DeletedRow {
  id: bigint;
  key: string;
  name: string;
  owner: string;
  area?: string;
  deleted_at: Date;
  deleted_by: bigint | null;
}

/** Who does it: an operator's login, or the purge job (null). */
export interface RecycleActor {
  userId: bigint;
  username: string;
  ip: string;
}

/**
 * The recycle bin (回收站, OP-12). A delete only marks the row (`deleted_at`, `deleted_by`, by each
 * owning domain's queries), so a restore puts it back exactly as it was; every place that uses the
 * row stops at once (signed API calls, logins and sessions, routing, the payer page, the lists), and
 * this node's caches of apps and the catalog are dropped with it. A purge removes the row for good,
 * after the retention or on a super admin's demand, and never while money refers to it.
 */
export class RecycleService {
  constructor(
    private readonly db: Db,
    private readonly deps: {
      merchants: MerchantService;
      catalog: CatalogService;
      audit: AuditService;
    },
  ) {}

  /** Moves a row to the bin by the key people know it by; answers the bin's row. */
  async remove(
    type: RecycleType,
    key: string,
    actor: RecycleActor,
    /** For a login: the area it must be in (and the merchant, for a merchant's login); another is not found. */
    scope?: { area: authQueries.Area; merchantId?: bigint },
  ): Promise<RecycleItem> {
    const id = await this.idOf(type, key);
    if (id === null) throw new AppError('NOT_FOUND', `${type} ${key} not found`);
    if (type === 'user' && scope) {
      const user = await authQueries.findAnyUser(this.db, id);
      if (
        !user ||
        user.area !== scope.area ||
        (scope.merchantId !== undefined && user.merchant_id !== scope.merchantId)
      ) {
        throw new AppError('NOT_FOUND', `login ${key} not found`);
      }
    }
    if (type === 'user' && id === actor.userId) {
      throw new AppError('RECYCLE_REFUSED', 'you cannot delete the login you are using', {
        reason: 'own_login',
      });
    }
    const done = await this.db.tx((q) => softDelete(q, type, id, actor.userId));
    if (!done) throw new AppError('NOT_FOUND', `${type} ${key} not found`);
    this.forgetCaches();
    return (await this.find(type, id))!;
  }

  /** Puts a row back as it was; refused while what it belongs to is still in the bin. */
  async restore(type: RecycleType, id: bigint): Promise<RecycleItem> {
    const item = await this.find(type, id);
    if (!item) throw new AppError('NOT_FOUND', `${type} ${id} is not in the recycle bin`);
    const parent = await this.deletedParent(type, id);
    if (parent) {
      throw new AppError('RECYCLE_REFUSED', `restore ${parent.type} ${parent.key} first`, {
        reason: 'parent_deleted',
        ...parent,
      });
    }
    const done = await restoreRow(this.db, type, id);
    if (!done) throw new AppError('NOT_FOUND', `${type} ${id} is not in the recycle bin`);
    this.forgetCaches();
    return item;
  }

  /**
   * Removes a row of the bin for good. Refused (RECYCLE_REFUSED) when money refers to it
   * (`has_money`: it stays deleted and hidden for ever) or other records still do (`in_use`).
   */
  async purge(type: RecycleType, id: bigint): Promise<RecycleItem> {
    const item = await this.find(type, id);
    if (!item) throw new AppError('NOT_FOUND', `${type} ${id} is not in the recycle bin`);
    if (await this.hasMoney(type, id)) {
      throw new AppError('RECYCLE_REFUSED', `${type} ${item.key} has money on it and is never purged`, {
        reason: 'has_money',
      });
    }
    try {
      await this.db.tx((q) => purgeRow(q, type, id));
    } catch (error) {
      const e = error as { code?: string; table?: string; detail?: string } | null;
      if (e?.code !== '23503') throw error;
      throw new AppError('RECYCLE_REFUSED', `other records still refer to ${type} ${item.key}`, {
        reason: 'in_use',
        ...(e.table ? { table: e.table } : {}),
      });
    }
    this.forgetCaches();
    return item;
  }

  settings(): Promise<RecycleSettings> {
    return loadRecycleSettings(this.db);
  }

  async saveSettings(settings: RecycleSettings): Promise<RecycleSettings> {
    await saveRecycleSettings(this.db, settings);
    return loadRecycleSettings(this.db);
  }

  /** The bin, newest deletion first, optionally one type. */
  async list(filter: { type?: RecycleType; limit: number; offset: number }) {
    const { retentionDays } = await loadRecycleSettings(this.db);
    const types = filter.type ? [filter.type] : RECYCLE_TYPES;
    const rows = (
      await Promise.all(
        types.map(async (type) => (await deletedRows(this.db, type)).map((r) => ({ type, r }))),
      )
    )
      .flat()
      .sort((a, b) => b.r.deleted_at.getTime() - a.r.deleted_at.getTime() || Number(b.r.id - a.r.id));
    const page = rows.slice(filter.offset, filter.offset + filter.limit);
    const names = await this.usernames(page.map((x) => x.r.deleted_by));
    return {
      total: rows.length,
      retentionDays,
      items: page.map(({ type, r }) => itemOf(type, r, names, retentionDays)),
    };
  }

  /**
   * The `recycle-purge` job: purges what has been in the bin longer than the retention, at most
   * PURGE_BATCH rows a run; what money (or another record) refers to is skipped and stays. Each
   * purge is written to the audit log as the job's.
   */
  async purgeExpired(now = new Date()): Promise<{ purged: number; skipped: number }> {
    const { retentionDays } = await loadRecycleSettings(this.db);
    const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
    let purged = 0;
    let skipped = 0;
    // Logins and codes first, merchants and channels last: what belongs to something goes before it.
    for (const type of [
      'user',
      'collect_code',
      'app',
      'channel_account',
      'product',
      'channel',
      'merchant',
    ] as const) {
      for (const row of await deletedRows(this.db, type, cutoff)) {
        if (purged + skipped >= PURGE_BATCH) return { purged, skipped };
        if (await this.hasMoney(type, row.id)) {
          skipped++;
          continue;
        }
        try {
          const item = await this.purge(type, row.id);
          purged++;
          await this.deps.audit.record({
            actorArea: 'system',
            actorId: null,
            actorName: 'recycle-purge',
            ip: '',
            action: 'recycle.purge',
            actionKey: 'recycle.purge',
            targetType: auditTargetOf(type, row.area),
            targetId: item.key,
            status: 200,
            before: item,
            after: null,
          });
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          skipped++;
        }
      }
    }
    return { purged, skipped };
  }

  /** One row of the bin, or null when that row is not in it. */
  async find(type: RecycleType, id: bigint): Promise<RecycleItem | null> {
    const row = await deletedRow(this.db, type, id);
    if (!row) return null;
    const { retentionDays } = await loadRecycleSettings(this.db);
    return itemOf(type, row, await this.usernames([row.deleted_by]), retentionDays);
  }

  /** Whether orders, ledger entries, withdrawals, payouts or marketplace members refer to the row. */
  async hasMoney(type: RecycleType, id: bigint, q: Queryable = this.db): Promise<boolean> {
    switch (type) {
      case 'merchant':
        return (
          (await orderQueries.ordersReferTo(q, {
            merchantId: id,
            appIds: await merchantQueries.appIdsOfMerchant(q, id),
          })) ||
          (await ledgerQueries.merchantHasEntries(q, id)) ||
          (await withdrawalQueries.merchantHasWithdrawals(q, id)) ||
          (await payoutQueries.payoutsReferTo(q, { merchantId: id })) ||
          (await memberQueries.membersReferTo(q, { merchantId: id }))
        );
      case 'app': {
        const app = await merchantQueries.findAppById(q, id);
        return (
          app !== null &&
          ((await orderQueries.ordersReferTo(q, { appIds: [app.app_id] })) ||
            (await memberQueries.membersReferTo(q, { appId: id })))
        );
      }
      case 'product':
        return orderQueries.ordersReferTo(q, { productId: id });
      case 'channel':
      case 'channel_account': {
        const ids = type === 'channel' ? await catalogQueries.accountIdsOfChannel(q, id) : [id];
        return (
          (await orderQueries.ordersReferTo(q, { channelAccountIds: ids })) ||
          (await payoutQueries.payoutsReferTo(q, { channelAccountIds: ids }))
        );
      }
      case 'collect_code':
        return orderQueries.ordersReferTo(q, { collectCodeId: id });
      case 'user':
        return false;
    }
  }

  /** Drops every node's cached apps and catalog, so a delete or restore counts from the next request. */
  private forgetCaches(): void {
    this.deps.merchants.forgetCachedApps();
    this.deps.catalog.changed();
  }

  private async idOf(type: RecycleType, key: string): Promise<bigint | null> {
    const numeric = /^\d{1,18}$/.test(key) ? BigInt(key) : null;
    switch (type) {
      case 'merchant':
        return (await merchantQueries.findMerchantByNo(this.db, key))?.id ?? null;
      case 'app':
        return (await merchantQueries.findAppByAppId(this.db, key))?.id ?? null;
      case 'product':
        return catalogQueries.productIdByCode(this.db, key);
      case 'channel':
        return catalogQueries.channelIdByCode(this.db, key);
      case 'channel_account':
        return numeric;
      case 'collect_code':
        return numeric;
      case 'user':
        return numeric;
    }
  }

  /** What the row belongs to, when that is in the bin too. */
  private async deletedParent(
    type: RecycleType,
    id: bigint,
  ): Promise<{ type: RecycleType; key: string } | null> {
    let merchantId: bigint | null = null;
    if (type === 'app') merchantId = (await merchantQueries.findAppById(this.db, id))?.merchant_id ?? null;
    if (type === 'collect_code')
      merchantId = (await collectQueries.findById(this.db, id))?.merchant_id ?? null;
    if (type === 'user') merchantId = (await authQueries.findAnyUser(this.db, id))?.merchant_id ?? null;
    if (merchantId !== null) {
      const merchant = await merchantQueries.findMerchantById(this.db, merchantId);
      return merchant?.deleted_at ? { type: 'merchant', key: merchant.mch_no } : null;
    }
    if (type === 'channel_account') {
      const account = await catalogQueries.findCatalogRow(this.db, 'channel_account', id);
      return account?.owner_deleted_at ? { type: 'channel', key: account.owner } : null;
    }
    return null;
  }

  private async usernames(ids: (bigint | null)[]): Promise<Map<bigint, string>> {
    const wanted = [...new Set(ids.filter((x): x is bigint => x !== null))];
    if (wanted.length === 0) return new Map();
    return new Map((await authQueries.userNames(this.db, wanted)).map((u) => [u.id, u.username]));
  }
}

/** The audit log's object type of a row of the bin. */
export function auditTargetOf(type: RecycleType, area?: string | null): string {
  if (type === 'user')
    return area === 'operator' ? 'operator' : area === 'merchant' ? 'merchant_user' : 'user';
  return type;
}

function itemOf(
  type: RecycleType,
  r: DeletedRow,
  names: Map<bigint, string>,
  retentionDays: number,
): RecycleItem {
  return {
    type,
    id: String(r.id),
    key: r.key,
    name: r.name,
    owner: r.owner,
    area: r.area ?? null,
    deletedAt: r.deleted_at.toISOString(),
    deletedBy:
      r.deleted_by === null ? null : { id: String(r.deleted_by), username: names.get(r.deleted_by) ?? '' },
    purgeAfter: new Date(r.deleted_at.getTime() + retentionDays * 86_400_000).toISOString(),
  };
}

const CATALOG_TABLES = {
  product: 'product',
  channel: 'channel',
  channel_account: 'channel_account',
} as const;

function softDelete(q: Queryable, type: RecycleType, id: bigint, by: bigint): Promise<boolean> {
  switch (type) {
    case 'merchant':
      return merchantQueries.softDeleteMerchant(q, id, by).then(Boolean);
    case 'app':
      return merchantQueries.softDeleteApp(q, id, by).then(Boolean);
    case 'product':
    case 'channel':
    case 'channel_account':
      return catalogQueries.softDeleteCatalogRow(q, CATALOG_TABLES[type], id, by);
    case 'collect_code':
      return collectQueries.softDeleteCollectCode(q, id, by);
    case 'user':
      return authQueries.softDeleteUser(q, id, by);
  }
}

function restoreRow(q: Queryable, type: RecycleType, id: bigint): Promise<boolean> {
  switch (type) {
    case 'merchant':
      return merchantQueries.restoreMerchant(q, id).then(Boolean);
    case 'app':
      return merchantQueries.restoreApp(q, id).then(Boolean);
    case 'product':
    case 'channel':
    case 'channel_account':
      return catalogQueries.restoreCatalogRow(q, CATALOG_TABLES[type], id);
    case 'collect_code':
      return collectQueries.restoreCollectCode(q, id);
    case 'user':
      return authQueries.restoreUser(q, id);
  }
}

async function purgeRow(q: Queryable, type: RecycleType, id: bigint): Promise<boolean> {
  switch (type) {
    case 'merchant':
      return merchantQueries.purgeMerchant(q, id);
    case 'app':
      return merchantQueries.purgeApp(q, id);
    case 'product':
    case 'channel':
    case 'channel_account':
      return catalogQueries.purgeCatalogRow(q, CATALOG_TABLES[type], id);
    case 'collect_code':
      return collectQueries.purgeCollectCode(q, id);
    case 'user':
      return authQueries.purgeUser(q, id);
  }
}

function deletedRows(q: Queryable, type: RecycleType, deletedBefore?: Date): Promise<DeletedRow[]> {
  switch (type) {
    case 'merchant':
      return merchantQueries.deletedMerchants(q, deletedBefore);
    case 'app':
      return merchantQueries.deletedApps(q, deletedBefore);
    case 'product':
    case 'channel':
    case 'channel_account':
      return catalogQueries.deletedCatalogRows(q, CATALOG_TABLES[type], deletedBefore);
    case 'collect_code':
      return collectQueries.deletedCollectCodes(q, deletedBefore);
    case 'user':
      return authQueries.deletedUsers(q, deletedBefore);
  }
}

async function deletedRow(q: Queryable, type: RecycleType, id: bigint): Promise<DeletedRow | null> {
  // The bin is small (rows leave it after the retention): its rows of one type are read whole.
  return (await deletedRows(q, type)).find((r) => r.id === id) ?? null;
}
