import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomInt,
} from 'node:crypto';
import type { SignType } from '../../sdk/signing.ts';
import { SecretBox, type SecretPlace } from '../auth/secret-box.ts';
import { TtlCache } from '../cache.ts';
import { type ConfigBus, forgetOn } from '../config-bus.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError, isUniqueViolation } from '../errors.ts';
import type { AcceptedSignType, AppProtocol, AppRow, MerchantRow, MerchantState } from './queries.ts';
import * as queries from './queries.ts';

/** How long an app's decrypted keys are reused before reading them again (a disable takes effect within it). */
const APP_CACHE_TTL_MS = 2_000;
const MAX_NUMBER_ATTEMPTS = 5;
/** Unknown app ids remembered at once (a few hundred KB at most). */
const MAX_UNKNOWN_APPS_CACHED = 10_000;

/** An app as the signed API and the notifier need it: keys decrypted, merchant state joined. */
export interface AppKeys {
  appId: string;
  /** The app's row id (merchant_app.id): what other tables (members) name the app by. */
  appDbId: bigint;
  merchantId: bigint;
  mchNo: string;
  merchantName: string;
  /** Enabled and not in the recycle bin. */
  merchantEnabled: boolean;
  /** Enabled and not in the recycle bin. */
  appEnabled: boolean;
  /** The app is in the recycle bin: its signed calls are refused with APP_DELETED. */
  appDeleted: boolean;
  /** The merchant is in the recycle bin: its apps' signed calls are refused with MERCHANT_DELETED. */
  merchantDeleted: boolean;
  /** The current HMAC secret: requests may be signed with it, notifies are. */
  secret: string;
  /**
   * The secret the last rotation replaced, and until when (epoch ms) a request signed with it is
   * still accepted; null when there is none. Checked against the clock at every request, so a
   * cached entry never stretches the grace.
   */
  previousSecret: { secret: string; expiresAt: number } | null;
  merchantPublicKey: KeyObject | null;
  platformPrivateKey: KeyObject;
  notifySignType: SignType;
  /** Request sign types the app accepts (`both`, or one). */
  acceptedSignType: AcceptedSignType;
  notifyUrl: string;
  ipAllowlist: string[];
  /** The API the app speaks; `jeepay` and `epay` apps sign with MD5 and `md5Key`. */
  protocol: AppProtocol;
  /** The MD5 key of a jeepay or epay app; null for a qingyun app. */
  md5Key: string | null;
  /** The protocol's pay ways (Jeepay wayCodes, epay types) → our product codes. */
  protocolProducts: Record<string, string>;
  /** The pid an epay plugin sends; null until the app speaks epay. */
  epayPid: string | null;
}

export interface MerchantView {
  mchNo: string;
  name: string;
  shortName: string;
  contact: string;
  state: MerchantState;
  reviewRemark: string;
  createdAt: string;
}

export interface AppView {
  appId: string;
  mchNo: string;
  name: string;
  state: 'enabled' | 'disabled';
  notifyUrl: string;
  notifySignType: SignType;
  acceptedSignType: AcceptedSignType;
  ipAllowlist: string[];
  hasMerchantPublicKey: boolean;
  /** PEM; public: the merchant verifies RSA-signed notifies with it. */
  platformPublicKey: string;
  /** When the secret replaced by the last rotation stops signing requests; null when none does any more. */
  oldKeyExpiresAt: string | null;
  /** The API the app speaks: ours, or Jeepay's or epay's (MD5, opted in per app). */
  protocol: AppProtocol;
  /** The protocol's pay ways (Jeepay wayCodes, epay types) → our product codes. */
  protocolProducts: Record<string, string>;
  /** The numeric merchant id an epay plugin sends; null until the app speaks epay. */
  epayPid: string | null;
  createdAt: string;
}

export interface AppInput {
  name: string;
  notifyUrl?: string;
  ipAllowlist?: string[];
  merchantPublicKey?: string | null;
  notifySignType?: SignType;
  acceptedSignType?: AcceptedSignType;
}

type AppSecretColumn = 'secret_enc' | 'previous_secret_enc' | 'platform_private_key_enc' | 'md5_key_enc';

/** Pay ways and product codes in a protocol mapping: Jeepay wayCodes, epay types, our codes. */
const PROTOCOL_WAY = /^[A-Za-z0-9_]{1,32}$/;
const MAX_PROTOCOL_WAYS = 32;

/** The grace a rotation gives the replaced secret when none is asked for (as Stripe's dashboard offers). */
export const DEFAULT_SECRET_GRACE_SECONDS = 24 * 3600;
/** The longest grace: a replaced secret is gone within a week whatever is asked. */
export const MAX_SECRET_GRACE_SECONDS = 7 * 24 * 3600;
const MAX_ROTATE_ATTEMPTS = 5;

function appSecretPlace(id: bigint, column: AppSecretColumn): SecretPlace {
  return { table: 'merchant_app', id, column };
}

/** The bus topic of merchants and their apps (keys, allowlists, notify URLs, states). */
export const MERCHANTS_TOPIC = 'merchants';

export class MerchantService {
  private readonly appCache = new TtlCache<AppKeys | null>(APP_CACHE_TTL_MS);
  /** App ids just looked up and not found, with when to look again. */
  private readonly unknownApps = new Map<string, number>();
  private bus: ConfigBus | null = null;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
  ) {}

  /** Opens a merchant, enabled at once or (`review`) pending until an operator reviews it. */
  async createMerchant(input: {
    name: string;
    shortName?: string;
    contact?: string;
    review?: boolean;
  }): Promise<MerchantRow> {
    for (let attempt = 0; attempt < MAX_NUMBER_ATTEMPTS; attempt++) {
      const mchNo = `M${randomInt(1e9, 1e10 - 1)}`;
      try {
        return await queries.insertMerchant(this.db, {
          mchNo,
          name: input.name,
          shortName: input.shortName ?? '',
          contact: input.contact ?? '',
          state: input.review ? 'pending' : 'enabled',
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    throw new Error('could not allocate a merchant number');
  }

  /**
   * Sets the merchant's direct agent (agents domain: it checks the chain first, in `q`'s
   * transaction). Orders take their chain when they are created (not stored on orders yet).
   */
  async setAgent(merchantId: bigint, agentId: bigint | null, q: Queryable = this.db): Promise<MerchantRow> {
    const merchant = await queries.setMerchantAgent(q, merchantId, agentId);
    if (!merchant) throw new AppError('NOT_FOUND', 'merchant not found');
    return merchant;
  }

  /** Merchants whose direct agent is one of `agentIds` (an agent's subtree). */
  async listMerchantsOfAgents(agentIds: bigint[], page: { limit: number; offset: number }) {
    const rows = agentIds.length === 0 ? [] : await queries.listMerchantsOfAgents(this.db, agentIds, page);
    return { total: Number(rows[0]?.total ?? 0n), rows };
  }

  merchantIdsOfAgent(agentId: bigint, q: Queryable = this.db): Promise<bigint[]> {
    return queries.merchantIdsOfAgent(q, agentId);
  }

  merchantIdsOfAgents(agentIds: bigint[]): Promise<bigint[]> {
    return agentIds.length === 0 ? Promise.resolve([]) : queries.merchantIdsOfAgents(this.db, agentIds);
  }

  async requireMerchant(mchNo: string): Promise<MerchantRow> {
    const merchant = await queries.findMerchantByNo(this.db, mchNo);
    if (!merchant) throw new AppError('NOT_FOUND', `merchant ${mchNo} not found`);
    return merchant;
  }

  findMerchantByNo(mchNo: string) {
    return queries.findMerchantByNo(this.db, mchNo);
  }

  findMerchantById(id: bigint, q: Queryable = this.db) {
    return queries.findMerchantById(q, id);
  }

  /** Merchants by id, for lists that show whose each row is. */
  async merchantsByIds(ids: bigint[]): Promise<Map<bigint, MerchantRow>> {
    if (ids.length === 0) return new Map();
    const rows = await queries.findMerchantsByIds(this.db, [...new Set(ids)]);
    return new Map(rows.map((m) => [m.id, m]));
  }

  async listMerchants(filter: { search?: string; state?: string; limit: number; offset: number }) {
    const rows = await queries.listMerchants(this.db, filter);
    return { total: Number(rows[0]?.total ?? 0n), items: rows.map(merchantView) };
  }

  /**
   * Edits a merchant; `state` switches between enabled and disabled. A pending merchant is decided
   * by review, and a rejected one stays rejected, so their state cannot be set here.
   */
  async updateMerchant(
    mchNo: string,
    patch: { name?: string; shortName?: string; contact?: string; state?: 'enabled' | 'disabled' },
  ) {
    const merchant = await this.requireMerchant(mchNo);
    if (patch.state !== undefined && (merchant.state === 'pending' || merchant.state === 'rejected')) {
      throw new AppError(
        'INVALID_REQUEST',
        `state: merchant ${mchNo} is ${merchant.state}; ${merchant.state === 'pending' ? 'review it instead' : 'a rejected merchant cannot be enabled'}`,
        { field: 'state' },
      );
    }
    const updated = (await queries.updateMerchant(this.db, merchant.id, patch))!;
    this.appsChanged();
    return updated;
  }

  /** Decides a pending merchant: enabled (may trade) or rejected, with the reviewer's remark. */
  async reviewMerchant(mchNo: string, approve: boolean, remark: string): Promise<MerchantRow> {
    const merchant = await this.requireMerchant(mchNo);
    const reviewed = await queries.reviewMerchant(
      this.db,
      merchant.id,
      approve ? 'enabled' : 'rejected',
      remark,
    );
    if (!reviewed) {
      throw new AppError('INVALID_REQUEST', `merchant ${mchNo} is ${merchant.state}, not pending review`);
    }
    this.appsChanged();
    return reviewed;
  }

  /** Removes a merchant just opened whose opening could not be completed; false when anything refers to it. */
  discardNewMerchant(id: bigint): Promise<boolean> {
    return queries.deleteUnusedMerchant(this.db, id);
  }

  /** Opens an app; the returned secret is shown once and kept only encrypted. */
  async createApp(mchNo: string, input: AppInput): Promise<{ app: AppView; secret: string }> {
    const merchant = await this.requireMerchant(mchNo);
    const acceptedSignType = input.acceptedSignType ?? 'both';
    requireKeyForRsaOnly(acceptedSignType, Boolean(input.merchantPublicKey));
    const secret = newAppSecret();
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const id = await queries.nextAppId(this.db);
    const row = await queries.insertApp(this.db, {
      id,
      app_id: `APP${randomBytes(8).toString('hex').toUpperCase()}`,
      merchant_id: merchant.id,
      name: input.name,
      secret_enc: this.secrets.encrypt(secret, appSecretPlace(id, 'secret_enc')),
      merchant_public_key: input.merchantPublicKey ? normalisePublicKey(input.merchantPublicKey) : null,
      platform_public_key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      platform_private_key_enc: this.secrets.encrypt(
        privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        appSecretPlace(id, 'platform_private_key_enc'),
      ),
      notify_sign_type: input.notifySignType ?? 'HMAC-SHA256',
      notify_url: input.notifyUrl ?? '',
      ip_allowlist: input.ipAllowlist ?? [],
      accepted_sign_type: acceptedSignType,
    });
    this.appsChanged(row.app_id);
    return { app: appView(row, merchant.mch_no), secret };
  }

  async listApps(mchNo: string): Promise<AppView[]> {
    const merchant = await this.requireMerchant(mchNo);
    return (await queries.listAppsOfMerchant(this.db, merchant.id)).map((row) =>
      appView(row, merchant.mch_no),
    );
  }

  /** The apps of a merchant by id (the merchant portal knows its merchant by id). */
  async listAppsOf(merchantId: bigint): Promise<AppView[]> {
    const merchant = await queries.findMerchantById(this.db, merchantId);
    if (!merchant) throw new AppError('NOT_FOUND', 'merchant not found');
    return (await queries.listAppsOfMerchant(this.db, merchant.id)).map((row) =>
      appView(row, merchant.mch_no),
    );
  }

  /** An app as the consoles show it, or NOT_FOUND. */
  async requireAppById(appId: string): Promise<AppView> {
    const app = await this.requireApp(appId);
    const merchant = (await queries.findMerchantById(this.db, app.merchant_id))!;
    return appView(app, merchant.mch_no);
  }

  /**
   * An app of this merchant, or NOT_FOUND: another merchant's app is not found, never forbidden.
   * The merchant portal checks every app id it is given with this.
   */
  async requireAppOf(merchantId: bigint, appId: string): Promise<AppView> {
    const app = await queries.findAppByAppId(this.db, appId);
    if (!app || app.merchant_id !== merchantId) throw new AppError('NOT_FOUND', `app ${appId} not found`);
    const merchant = (await queries.findMerchantById(this.db, merchantId))!;
    return appView(app, merchant.mch_no);
  }

  /** The row id of a merchant's app (members and other app-owned rows refer to it), or NOT_FOUND. */
  async appRowIdOf(merchantId: bigint, appId: string): Promise<bigint> {
    const app = await queries.findAppByAppId(this.db, appId);
    if (!app || app.merchant_id !== merchantId) throw new AppError('NOT_FOUND', `app ${appId} not found`);
    return app.id;
  }

  /** Apps by their row ids: their public id and name (the members' signing links name their app so). */
  async appsByRowIds(ids: bigint[]): Promise<Map<bigint, { appId: string; name: string }>> {
    const rows = await Promise.all([...new Set(ids)].map((id) => queries.findAppById(this.db, id)));
    return new Map(rows.flatMap((a) => (a ? [[a.id, { appId: a.app_id, name: a.name }] as const] : [])));
  }

  /**
   * The app a console order is placed for (operator test page, merchant portal collect): the given
   * one, which must be the merchant's, or the merchant's first enabled app. The merchant and the
   * app must be able to take orders, as for a signed API request.
   */
  async orderingApp(merchantId: bigint, appId?: string): Promise<AppKeys> {
    let chosen = appId;
    if (chosen === undefined) {
      const apps = await queries.listAppsOfMerchant(this.db, merchantId);
      chosen = apps.find((a) => a.state === 'enabled')?.app_id;
      if (chosen === undefined) {
        throw new AppError('INVALID_REQUEST', 'the merchant has no enabled app to take the order');
      }
    }
    const keys = await this.appKeys(chosen);
    if (!keys || keys.merchantId !== merchantId) throw new AppError('NOT_FOUND', `app ${chosen} not found`);
    if (!keys.merchantEnabled) throw new AppError('MERCHANT_DISABLED', 'the merchant may not take orders');
    if (!keys.appEnabled) throw new AppError('APP_DISABLED', `app ${chosen} is disabled`);
    return keys;
  }

  async updateApp(
    appId: string,
    patch: Partial<AppInput> & { state?: 'enabled' | 'disabled' },
  ): Promise<AppView> {
    const app = await this.requireApp(appId);
    if (patch.notifySignType === 'RSA-SHA256' && !app.platform_private_key_enc) {
      throw new AppError('INVALID_REQUEST', 'this app has no platform key pair');
    }
    const keyAfter =
      patch.merchantPublicKey === null ? false : Boolean(patch.merchantPublicKey || app.merchant_public_key);
    requireKeyForRsaOnly(patch.acceptedSignType ?? app.accepted_sign_type, keyAfter);
    const row = await queries.updateApp(this.db, app.id, {
      name: patch.name,
      state: patch.state,
      notifyUrl: patch.notifyUrl,
      ipAllowlist: patch.ipAllowlist,
      notifySignType: patch.notifySignType,
      acceptedSignType: patch.acceptedSignType,
      merchantPublicKey: patch.merchantPublicKey ? normalisePublicKey(patch.merchantPublicKey) : undefined,
      clearMerchantPublicKey: patch.merchantPublicKey === null,
    });
    this.appsChanged(appId);
    const merchant = (await queries.findMerchantById(this.db, app.merchant_id))!;
    return appView(row!, merchant.mch_no);
  }

  /**
   * Issues a new HMAC secret (shown once). The one it replaces keeps signing requests for
   * `graceSeconds` (0: it stops at once, for a leak), so the merchant can roll its servers over;
   * notifies are signed with the new one from now on.
   */
  async rotateSecret(
    appId: string,
    graceSeconds: number = DEFAULT_SECRET_GRACE_SECONDS,
  ): Promise<{ appId: string; secret: string; oldKeyExpiresAt: string | null }> {
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_SECRET_GRACE_SECONDS) {
      throw new AppError(
        'INVALID_REQUEST',
        `graceSeconds: a whole number of seconds from 0 to ${MAX_SECRET_GRACE_SECONDS}`,
        { field: 'graceSeconds', max: MAX_SECRET_GRACE_SECONDS },
      );
    }
    for (let attempt = 0; attempt < MAX_ROTATE_ATTEMPTS; attempt++) {
      const app = await this.requireApp(appId);
      const secret = newAppSecret();
      const previous =
        graceSeconds > 0
          ? this.secrets.encrypt(
              this.secrets.decrypt(app.secret_enc, appSecretPlace(app.id, 'secret_enc')),
              appSecretPlace(app.id, 'previous_secret_enc'),
            )
          : null;
      const row = await queries.rotateAppSecret(this.db, app.id, app.secret_enc, {
        secretEnc: this.secrets.encrypt(secret, appSecretPlace(app.id, 'secret_enc')),
        previousSecretEnc: previous,
        graceSeconds,
      });
      // Another rotation replaced the secret between our read and our write: read it again.
      if (!row) continue;
      this.appsChanged(appId);
      return { appId, secret, oldKeyExpiresAt: previousExpiry(row) };
    }
    throw new Error(`could not rotate the secret of app ${appId}: it kept changing`);
  }

  /**
   * Seals again, bound to their rows, the app secrets and private keys written before secrets
   * were bound (v1). Runs at every start after the migrations; finds nothing once done. Returns
   * how many apps it resealed.
   */
  async resealUnboundSecrets(): Promise<number> {
    let resealed = 0;
    for (const app of await queries.appsWithUnboundSecrets(this.db)) {
      const reseal = (stored: string, column: AppSecretColumn) => {
        if (!SecretBox.isUnbound(stored)) return stored;
        const place = appSecretPlace(app.id, column);
        return this.secrets.encrypt(this.secrets.openUnbound(stored, place), place);
      };
      const was = { secretEnc: app.secret_enc, privateKeyEnc: app.platform_private_key_enc };
      const now = {
        secretEnc: reseal(app.secret_enc, 'secret_enc'),
        privateKeyEnc: reseal(app.platform_private_key_enc, 'platform_private_key_enc'),
      };
      if (await queries.resealAppSecrets(this.db, app.id, was, now)) resealed++;
    }
    if (resealed > 0) this.appsChanged();
    return resealed;
  }

  /**
   * Sets the API an app speaks and its pay-way mapping. Opting in to jeepay or epay from qingyun
   * generates the MD5 key (answered once, kept only sealed); moving between jeepay and epay keeps
   * it; `rotateMd5Key` issues a new one; back to qingyun destroys it, and MD5 is refused again.
   */
  async setProtocol(
    appId: string,
    protocol: AppProtocol,
    products: Record<string, string>,
    options: { rotateMd5Key?: boolean } = {},
  ): Promise<{ app: AppView; md5Key: string | null }> {
    const app = await this.requireApp(appId);
    const entries = Object.entries(products);
    if (entries.length > MAX_PROTOCOL_WAYS) {
      throw new AppError('INVALID_REQUEST', `products: at most ${MAX_PROTOCOL_WAYS} pay ways`, {
        field: 'products',
      });
    }
    for (const [way, productCode] of entries) {
      if (!PROTOCOL_WAY.test(way) || !/^[A-Za-z0-9_-]{1,64}$/.test(productCode)) {
        throw new AppError(
          'INVALID_REQUEST',
          `products: ${way} → ${productCode} is not a pay way and a product code`,
          {
            field: 'products',
          },
        );
      }
    }
    let md5Key: string | null = null;
    let md5KeyEnc: string | null = null;
    if (protocol !== 'qingyun') {
      if (app.md5_key_enc && !options.rotateMd5Key) {
        md5KeyEnc = app.md5_key_enc;
      } else {
        md5Key = newMd5Key();
        md5KeyEnc = this.secrets.encrypt(md5Key, appSecretPlace(app.id, 'md5_key_enc'));
      }
    }
    const row = await queries.setAppProtocol(this.db, app.id, {
      protocol,
      md5KeyEnc,
      products: protocol === 'qingyun' ? {} : products,
    });
    this.appsChanged(appId);
    const merchant = (await queries.findMerchantById(this.db, app.merchant_id))!;
    return { app: appView(row!, merchant.mch_no), md5Key };
  }

  /** The keys of the app an epay plugin names by its pid; null when no app has that pid. */
  async appKeysByEpayPid(pid: string): Promise<AppKeys | null> {
    if (!/^\d{1,18}$/.test(pid)) return null;
    const appId = await queries.findAppIdByEpayPid(this.db, BigInt(pid));
    return appId === null ? null : this.appKeys(appId);
  }

  /**
   * Every node forgets every app's cached keys: a merchant or app moved to the recycle bin (or back)
   * is refused (or served) from the next request on, not after the cache's lifetime.
   */
  forgetCachedApps(): void {
    this.appsChanged();
  }

  /**
   * Every process forgets an app's cached keys when another changes the app or its merchant
   * (`merchants` on the bus, with the app id when one app changed).
   */
  attachConfigBus(bus: ConfigBus): void {
    this.bus = bus;
    forgetOn(bus, MERCHANTS_TOPIC, (appId) => this.forgetApps(appId));
  }

  private forgetApps(appId: string | undefined): void {
    if (appId === undefined) {
      this.appCache.clear();
      this.unknownApps.clear();
    } else {
      this.appCache.delete(appId);
      this.unknownApps.delete(appId);
    }
  }

  /** After a committed write: this process forgets at once, the others when the bus tells them. */
  private appsChanged(appId?: string): void {
    this.forgetApps(appId);
    void this.bus?.publish(MERCHANTS_TOPIC, appId);
  }

  async platformPublicKey(appId: string): Promise<string> {
    return (await this.requireApp(appId)).platform_public_key;
  }

  /**
   * Keys of an app for signing checks and notifies; null when the app does not exist. Both answers
   * are cached for the same time, so how fast a refusal comes back does not tell whether an app id
   * exists.
   */
  async appKeys(appId: string): Promise<AppKeys | null> {
    const unknownUntil = this.unknownApps.get(appId);
    if (unknownUntil !== undefined) {
      if (unknownUntil > Date.now()) return null;
      this.unknownApps.delete(appId);
    }
    const keys = await this.appCache.get(appId, () => this.loadAppKeys(appId));
    if (!keys) {
      this.appCache.delete(appId);
      // Made-up ids must not grow memory without bound: past the cap the list starts over.
      if (this.unknownApps.size >= MAX_UNKNOWN_APPS_CACHED) this.unknownApps.clear();
      this.unknownApps.set(appId, Date.now() + APP_CACHE_TTL_MS);
    }
    return keys;
  }

  private async loadAppKeys(appId: string): Promise<AppKeys | null> {
    const app = await queries.findAppByAppId(this.db, appId);
    if (!app) return null;
    const merchant = (await queries.findMerchantById(this.db, app.merchant_id))!;
    return {
      appId: app.app_id,
      appDbId: app.id,
      merchantId: merchant.id,
      mchNo: merchant.mch_no,
      merchantName: merchant.short_name || merchant.name,
      merchantEnabled: merchant.state === 'enabled' && merchant.deleted_at === null,
      appEnabled: app.state === 'enabled' && app.deleted_at === null,
      appDeleted: app.deleted_at !== null,
      merchantDeleted: merchant.deleted_at !== null,
      secret: this.secrets.decrypt(app.secret_enc, appSecretPlace(app.id, 'secret_enc')),
      previousSecret:
        // An expired one is not even opened (the request check compares with the clock again).
        app.previous_secret_enc &&
        app.previous_secret_expires_at &&
        app.previous_secret_expires_at.getTime() > Date.now()
          ? {
              secret: this.secrets.decrypt(
                app.previous_secret_enc,
                appSecretPlace(app.id, 'previous_secret_enc'),
              ),
              expiresAt: app.previous_secret_expires_at.getTime(),
            }
          : null,
      merchantPublicKey: app.merchant_public_key ? createPublicKey(app.merchant_public_key) : null,
      platformPrivateKey: createPrivateKey(
        this.secrets.decrypt(
          app.platform_private_key_enc,
          appSecretPlace(app.id, 'platform_private_key_enc'),
        ),
      ),
      notifySignType: app.notify_sign_type,
      acceptedSignType: app.accepted_sign_type,
      notifyUrl: app.notify_url,
      ipAllowlist: app.ip_allowlist,
      protocol: app.protocol,
      md5Key: app.md5_key_enc
        ? this.secrets.decrypt(app.md5_key_enc, appSecretPlace(app.id, 'md5_key_enc'))
        : null,
      protocolProducts: app.protocol_products,
      epayPid: app.epay_pid?.toString() ?? null,
    };
  }

  private async requireApp(appId: string): Promise<AppRow> {
    const app = await queries.findAppByAppId(this.db, appId);
    if (!app) throw new AppError('NOT_FOUND', `app ${appId} not found`);
    return app;
  }
}

/** An app that accepts only RSA requests must have the merchant's public key, or nothing could sign for it. */
function requireKeyForRsaOnly(accepted: AcceptedSignType, hasMerchantPublicKey: boolean): void {
  if (accepted === 'RSA-SHA256' && !hasMerchantPublicKey) {
    throw new AppError(
      'INVALID_REQUEST',
      "acceptedSignType: RSA-SHA256 only needs the merchant's RSA public key (merchantPublicKey)",
      { field: 'merchantPublicKey' },
    );
  }
}

/** 32 letters and digits: what Jeepay and epay sites' key fields take (no symbols to quote). */
function newMd5Key(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let key = '';
  for (let i = 0; i < 32; i++) key += alphabet[randomInt(alphabet.length)];
  return key;
}

function newAppSecret(): string {
  return randomBytes(24).toString('base64url');
}

function normalisePublicKey(pem: string): string {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
    return key.export({ type: 'spki', format: 'pem' }).toString();
  } catch {
    throw new AppError('INVALID_REQUEST', 'merchantPublicKey must be an RSA public key in PEM', {
      field: 'merchantPublicKey',
    });
  }
}

export function merchantView(m: MerchantRow): MerchantView {
  return {
    mchNo: m.mch_no,
    name: m.name,
    shortName: m.short_name,
    contact: m.contact,
    state: m.state,
    reviewRemark: m.review_remark,
    createdAt: m.created_at.toISOString(),
  };
}

function appView(a: AppRow, mchNo: string): AppView {
  return {
    appId: a.app_id,
    mchNo,
    name: a.name,
    state: a.state,
    notifyUrl: a.notify_url,
    notifySignType: a.notify_sign_type,
    acceptedSignType: a.accepted_sign_type,
    ipAllowlist: a.ip_allowlist,
    hasMerchantPublicKey: a.merchant_public_key !== null,
    platformPublicKey: a.platform_public_key,
    oldKeyExpiresAt: previousExpiry(a),
    protocol: a.protocol,
    protocolProducts: a.protocol_products,
    epayPid: a.epay_pid?.toString() ?? null,
    createdAt: a.created_at.toISOString(),
  };
}

/** When the replaced secret stops signing, while it still does. */
function previousExpiry(a: AppRow): string | null {
  const expiresAt = a.previous_secret_expires_at;
  return a.previous_secret_enc && expiresAt && expiresAt.getTime() > Date.now()
    ? expiresAt.toISOString()
    : null;
}
