import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import {
  HEADER,
  isCanonicalBase64,
  requestSigningString,
  SIGN_TYPES,
  type SignType,
  verifyString,
} from '../../sdk/signing.ts';
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
  /** Header names and values as received, in pairs (Node's rawHeaders): repeated headers show here. */
  rawHeaders: readonly string[];
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
    refuseRepeatedHeaders(request.rawHeaders);
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
    // One spelling per signature: a re-encoded signature is a different request, not the same one.
    if (!isCanonicalBase64(signature)) {
      throw new AppError(
        'SIGNATURE_INVALID',
        'X-Qy-Signature must be standard base64 with padding (A-Z a-z 0-9 + /, =), nothing else',
      );
    }
    const text = requestSigningString({
      method: request.method,
      pathWithQuery: request.url,
      mchNo,
      appId,
      timestamp,
      nonce,
      body: request.rawBody,
    });
    const found = await this.merchants.appKeys(appId);
    // An unknown app, another merchant's app and a disabled app are answered exactly like a bad
    // signature, after the same work (a verification against a stand-in key), so a caller who
    // cannot sign learns nothing about which app ids exist.
    // An app in the recycle bin is checked like an enabled one, so that a caller who proves it holds
    // the key learns why it is refused (APP_DELETED) instead of a bad signature.
    const app = found && found.mchNo === mchNo && (found.appEnabled || found.appDeleted) ? found : null;
    const valid = this.verify(text, signature, signType as SignType, app);
    if (!valid || !app) throw badSignature();
    // From here on the caller has proven it holds the app's key.
    if (app.merchantDeleted) throw new AppError('MERCHANT_DELETED', `merchant ${mchNo} was deleted`);
    if (app.appDeleted) throw new AppError('APP_DELETED', `app ${appId} was deleted`);
    if (!app.merchantEnabled) throw new AppError('MERCHANT_DISABLED', `merchant ${mchNo} is disabled`);
    if (app.acceptedSignType !== 'both' && app.acceptedSignType !== signType) {
      throw new AppError(
        'SIGN_TYPE_NOT_ALLOWED',
        `app ${appId} accepts only ${app.acceptedSignType} signatures`,
      );
    }
    if (!ipAllowed(app.ipAllowlist, request.ip)) {
      throw new AppError('IP_NOT_ALLOWED', `requests from ${request.ip} are not allowed for this app`);
    }
    if (!(await this.nonces.submit({ appId, nonce }))) {
      throw new AppError('NONCE_REUSED', 'this nonce was already used');
    }
    return app;
  }

  /**
   * Remembers a one-time value of an app for the nonce lifetime: false when it was already used.
   * The MD5 protocols (src/compat/) have no nonce of their own; a signed request is used once.
   */
  rememberNonce(appId: string, nonce: string): Promise<boolean> {
    return this.nonces.submit({ appId, nonce });
  }

  /**
   * Verifies with the app's key, or with a stand-in key of the same kind when there is none to use.
   * An HMAC signature made with the secret the last rotation replaced is accepted while that
   * secret's grace lasts (checked against the clock now, whatever was cached), never after. Both
   * HMAC checks are always made, so the time taken does not tell whether an app has a previous secret.
   */
  private verify(text: string, signature: string, signType: SignType, app: AppKeys | null): boolean {
    if (signType === 'HMAC-SHA256') {
      const standIn = this.standIns().secret;
      const current = verifyString(text, signature, { type: 'HMAC-SHA256', secret: app?.secret ?? standIn });
      const previous = app?.previousSecret;
      const inGrace = previous !== null && previous !== undefined && previous.expiresAt > Date.now();
      const byPrevious = verifyString(text, signature, {
        type: 'HMAC-SHA256',
        secret: inGrace ? previous.secret : standIn,
      });
      return current || (inGrace && byPrevious);
    }
    const publicKey = app?.merchantPublicKey ?? null;
    const checked = verifyString(text, signature, {
      type: 'RSA-SHA256',
      publicKey: publicKey ?? this.standIns().publicKey,
    });
    return publicKey !== null && checked;
  }

  private standInKeys: { secret: string; publicKey: KeyObject } | null = null;

  /** Keys nobody holds: a refused request costs the same verification whether or not its app exists. */
  private standIns(): { secret: string; publicKey: KeyObject } {
    this.standInKeys ??= {
      secret: randomBytes(24).toString('base64url'),
      publicKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
    };
    return this.standInKeys;
  }

  purgeExpiredNonces(): Promise<number> {
    return purgeExpiredNonces(this.db);
  }
}

/** The one answer for a request that no app of that merchant signed; the same words whatever the reason. */
function badSignature(): AppError {
  return new AppError('SIGNATURE_INVALID', 'the signature does not match the request');
}

/**
 * Node joins a repeated custom header into one value with ", ", so two signatures or two app ids
 * would reach us as one string. A signed request names each X-Qy-* header at most once.
 */
function refuseRepeatedHeaders(rawHeaders: readonly string[]): void {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!name.startsWith('x-qy-')) continue;
    if (seen.has(name)) {
      throw new AppError('SIGNATURE_INVALID', `the ${rawHeaders[i]} header is given more than once`);
    }
    seen.add(name);
  }
}
