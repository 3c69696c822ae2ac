import { HEADER, requestSigningString, SIGN_TYPES, type SignType, verifyString } from '../../sdk/signing.ts';
import { Batcher } from '../db/batcher.ts';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { AppKeys, MerchantService } from '../merchants/service.ts';
import { ipAllowed } from './ip-allowlist.ts';
import { nonceKey, purgeExpiredNonces, rememberNonces } from './queries.ts';

/** Requests are accepted within ±300 s of our clock (DESIGN §6). */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;
/** A nonce is remembered for 15 minutes: longer than the whole ±300 s window plus clock skew between nodes. */
export const NONCE_TTL_SECONDS = 900;

export interface SignedRequest {
  method: string;
  /** Path with query string, exactly as sent. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  ip: string;
}

/**
 * Authenticates a signed merchant API request (DESIGN §6). Checks run cheapest first, and the
 * nonce is stored only once the signature is proven, so a forged request cannot burn nonces.
 */
export class ApiSignatureVerifier {
  /** Nonces of concurrent requests are stored together (group commit): one statement per batch. */
  private readonly nonces = new Batcher<{ appId: string; nonce: string }, boolean>(
    async (items) => {
      const unique = new Map<string, { appId: string; nonce: string }>();
      for (const item of items) {
        const key = nonceKey(item.appId, item.nonce);
        if (!unique.has(key)) unique.set(key, item);
      }
      const fresh = await rememberNonces(this.db, [...unique.values()], NONCE_TTL_SECONDS);
      // A nonce sent twice in one batch is new for the first request only.
      return items.map((item) => {
        const key = nonceKey(item.appId, item.nonce);
        const first = unique.get(key) === item;
        return first && fresh.has(key);
      });
    },
    { maxBatch: 512, maxInFlight: 2 },
  );

  constructor(
    private readonly db: Db,
    private readonly merchants: MerchantService,
  ) {}

  async authenticate(request: SignedRequest): Promise<AppKeys> {
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const mchNo = header(HEADER.merchant);
    const appId = header(HEADER.app);
    const timestamp = header(HEADER.timestamp);
    const nonce = header(HEADER.nonce);
    const signType = header(HEADER.signType);
    const signature = header(HEADER.signature);
    if (!mchNo || !appId || !timestamp || !nonce || !signType || !signature) {
      throw new AppError(
        'SIGNATURE_MISSING',
        `signed requests need the headers ${Object.values(HEADER).join(', ')}`,
      );
    }
    if (!SIGN_TYPES.includes(signType as SignType))
      throw new AppError('SIGNATURE_INVALID', `unsupported sign type ${signType}`);
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(nonce))
      throw new AppError('INVALID_REQUEST', 'nonce: 8–64 letters, digits, _ or -');
    if (
      !/^\d{1,12}$/.test(timestamp) ||
      Math.abs(Date.now() / 1000 - Number(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS
    ) {
      throw new AppError(
        'TIMESTAMP_EXPIRED',
        `timestamp must be unix seconds within ±${TIMESTAMP_TOLERANCE_SECONDS} s of now`,
      );
    }
    const app = await this.merchants.appKeys(appId);
    if (!app || app.mchNo !== mchNo)
      throw new AppError('APP_NOT_FOUND', `app ${appId} not found for merchant ${mchNo}`);
    const text = requestSigningString(request.method, request.url, timestamp, nonce, request.rawBody);
    const valid =
      signType === 'HMAC-SHA256'
        ? verifyString(text, signature, { type: 'HMAC-SHA256', secret: app.secret })
        : app.merchantPublicKey !== null &&
          verifyString(text, signature, { type: 'RSA-SHA256', publicKey: app.merchantPublicKey });
    if (!valid) throw new AppError('SIGNATURE_INVALID', 'the signature does not match the request');
    if (!app.merchantEnabled) throw new AppError('MERCHANT_DISABLED', `merchant ${mchNo} is disabled`);
    if (!app.appEnabled) throw new AppError('APP_DISABLED', `app ${appId} is disabled`);
    if (!ipAllowed(app.ipAllowlist, request.ip)) {
      throw new AppError('IP_NOT_ALLOWED', `requests from ${request.ip} are not allowed for this app`);
    }
    if (!(await this.nonces.submit({ appId, nonce }))) {
      throw new AppError('NONCE_REUSED', 'this nonce was already used');
    }
    return app;
  }

  purgeExpiredNonces(): Promise<number> {
    return purgeExpiredNonces(this.db);
  }
}
