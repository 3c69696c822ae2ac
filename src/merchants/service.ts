import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomInt,
} from 'node:crypto';
import type { SignType } from '../../sdk/signing.ts';
import type { SecretBox } from '../auth/secret-box.ts';
import { TtlCache } from '../cache.ts';
import type { Db } from '../db/index.ts';
import { AppError, isUniqueViolation } from '../errors.ts';
import type { AppRow, MerchantRow } from './queries.ts';
import * as queries from './queries.ts';

/** How long an app's decrypted keys are reused before reading them again (a disable takes effect within it). */
const APP_CACHE_TTL_MS = 2_000;
const MAX_NUMBER_ATTEMPTS = 5;

/** An app as the signed API and the notifier need it: keys decrypted, merchant state joined. */
export interface AppKeys {
  appId: string;
  merchantId: bigint;
  mchNo: string;
  merchantName: string;
  merchantEnabled: boolean;
  appEnabled: boolean;
  secret: string;
  merchantPublicKey: KeyObject | null;
  platformPrivateKey: KeyObject;
  notifySignType: SignType;
  notifyUrl: string;
  ipAllowlist: string[];
}

export interface MerchantView {
  mchNo: string;
  name: string;
  shortName: string;
  contact: string;
  state: 'enabled' | 'disabled';
  createdAt: string;
}

export interface AppView {
  appId: string;
  mchNo: string;
  name: string;
  state: 'enabled' | 'disabled';
  notifyUrl: string;
  notifySignType: SignType;
  ipAllowlist: string[];
  hasMerchantPublicKey: boolean;
  createdAt: string;
}

export interface AppInput {
  name: string;
  notifyUrl?: string;
  ipAllowlist?: string[];
  merchantPublicKey?: string | null;
  notifySignType?: SignType;
}

export class MerchantService {
  private readonly appCache = new TtlCache<AppKeys | null>(APP_CACHE_TTL_MS);

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
  ) {}

  async createMerchant(input: { name: string; shortName?: string; contact?: string }): Promise<MerchantRow> {
    for (let attempt = 0; attempt < MAX_NUMBER_ATTEMPTS; attempt++) {
      const mchNo = `M${randomInt(1e9, 1e10 - 1)}`;
      try {
        return await queries.insertMerchant(this.db, {
          mchNo,
          name: input.name,
          shortName: input.shortName ?? '',
          contact: input.contact ?? '',
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    throw new Error('could not allocate a merchant number');
  }

  async requireMerchant(mchNo: string): Promise<MerchantRow> {
    const merchant = await queries.findMerchantByNo(this.db, mchNo);
    if (!merchant) throw new AppError('NOT_FOUND', `merchant ${mchNo} not found`);
    return merchant;
  }

  findMerchantById(id: bigint) {
    return queries.findMerchantById(this.db, id);
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

  async updateMerchant(
    mchNo: string,
    patch: { name?: string; shortName?: string; contact?: string; state?: string },
  ) {
    const merchant = await this.requireMerchant(mchNo);
    const updated = (await queries.updateMerchant(this.db, merchant.id, patch))!;
    this.appCache.clear();
    return updated;
  }

  /** Opens an app; the returned secret is shown once and kept only encrypted. */
  async createApp(mchNo: string, input: AppInput): Promise<{ app: AppView; secret: string }> {
    const merchant = await this.requireMerchant(mchNo);
    const secret = newAppSecret();
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const row = await queries.insertApp(this.db, {
      app_id: `APP${randomBytes(8).toString('hex').toUpperCase()}`,
      merchant_id: merchant.id,
      name: input.name,
      secret_enc: this.secrets.encrypt(secret),
      merchant_public_key: input.merchantPublicKey ? normalisePublicKey(input.merchantPublicKey) : null,
      platform_public_key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      platform_private_key_enc: this.secrets.encrypt(
        privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      ),
      notify_sign_type: input.notifySignType ?? 'HMAC-SHA256',
      notify_url: input.notifyUrl ?? '',
      ip_allowlist: input.ipAllowlist ?? [],
    });
    return { app: appView(row, merchant.mch_no), secret };
  }

  async listApps(mchNo: string): Promise<AppView[]> {
    const merchant = await this.requireMerchant(mchNo);
    return (await queries.listAppsOfMerchant(this.db, merchant.id)).map((row) =>
      appView(row, merchant.mch_no),
    );
  }

  async updateApp(
    appId: string,
    patch: Partial<AppInput> & { state?: 'enabled' | 'disabled' },
  ): Promise<AppView> {
    const app = await this.requireApp(appId);
    if (patch.notifySignType === 'RSA-SHA256' && !app.platform_private_key_enc) {
      throw new AppError('INVALID_REQUEST', 'this app has no platform key pair');
    }
    const row = await queries.updateApp(this.db, app.id, {
      name: patch.name,
      state: patch.state,
      notifyUrl: patch.notifyUrl,
      ipAllowlist: patch.ipAllowlist,
      notifySignType: patch.notifySignType,
      merchantPublicKey: patch.merchantPublicKey ? normalisePublicKey(patch.merchantPublicKey) : undefined,
      clearMerchantPublicKey: patch.merchantPublicKey === null,
    });
    this.appCache.delete(appId);
    const merchant = (await queries.findMerchantById(this.db, app.merchant_id))!;
    return appView(row!, merchant.mch_no);
  }

  async rotateSecret(appId: string): Promise<{ appId: string; secret: string }> {
    const app = await this.requireApp(appId);
    const secret = newAppSecret();
    await queries.updateApp(this.db, app.id, { secretEnc: this.secrets.encrypt(secret) });
    this.appCache.delete(appId);
    return { appId, secret };
  }

  async platformPublicKey(appId: string): Promise<string> {
    return (await this.requireApp(appId)).platform_public_key;
  }

  /** Keys of an app for signing checks and notifies; null when the app does not exist. Cached briefly. */
  async appKeys(appId: string): Promise<AppKeys | null> {
    const keys = await this.appCache.get(appId, () => this.loadAppKeys(appId));
    // Unknown ids are not remembered: requests with made-up app ids must not grow the cache.
    if (!keys) this.appCache.delete(appId);
    return keys;
  }

  private async loadAppKeys(appId: string): Promise<AppKeys | null> {
    const app = await queries.findAppByAppId(this.db, appId);
    if (!app) return null;
    const merchant = (await queries.findMerchantById(this.db, app.merchant_id))!;
    return {
      appId: app.app_id,
      merchantId: merchant.id,
      mchNo: merchant.mch_no,
      merchantName: merchant.short_name || merchant.name,
      merchantEnabled: merchant.state === 'enabled',
      appEnabled: app.state === 'enabled',
      secret: this.secrets.decrypt(app.secret_enc),
      merchantPublicKey: app.merchant_public_key ? createPublicKey(app.merchant_public_key) : null,
      platformPrivateKey: createPrivateKey(this.secrets.decrypt(app.platform_private_key_enc)),
      notifySignType: app.notify_sign_type,
      notifyUrl: app.notify_url,
      ipAllowlist: app.ip_allowlist,
    };
  }

  private async requireApp(appId: string): Promise<AppRow> {
    const app = await queries.findAppByAppId(this.db, appId);
    if (!app) throw new AppError('NOT_FOUND', `app ${appId} not found`);
    return app;
  }
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
    throw new AppError('INVALID_REQUEST', 'merchantPublicKey must be an RSA public key in PEM');
  }
}

export function merchantView(m: MerchantRow): MerchantView {
  return {
    mchNo: m.mch_no,
    name: m.name,
    shortName: m.short_name,
    contact: m.contact,
    state: m.state,
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
    ipAllowlist: a.ip_allowlist,
    hasMerchantPublicKey: a.merchant_public_key !== null,
    createdAt: a.created_at.toISOString(),
  };
}
