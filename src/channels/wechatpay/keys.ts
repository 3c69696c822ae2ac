/**
 * WeChat Pay's verification keys per channel account, indexed by the serial an answer or a notify
 * names in `Wechatpay-Serial`: the WeChat Pay public key (`PUB_KEY_ID_…`, from the credentials) and
 * the platform certificates downloaded from `GET /v3/certificates` (decrypted with the APIv3 key).
 * Both at once during a merchant's migration from one mode to the other.
 *
 * Reference: https://pay.weixin.qq.com/doc/v3/merchant/4012551764 (platform certificates),
 *            https://pay.weixin.qq.com/doc/v3/merchant/4012153196 (WeChat Pay public key).
 */
import { createHash, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { aeadDecrypt, PUBLIC_KEY_ID_PREFIX } from './protocol.ts';

/** Certificates are downloaded again this long before the first one expires, and at least this often. */
const REFRESH_BEFORE_EXPIRY_MS = 24 * 3600_000;
const REFRESH_EVERY_MS = 12 * 3600_000;
/** A serial no one knows (a forged notify) may not make us download more often than this. */
const MIN_REFRESH_INTERVAL_MS = 5_000;

export interface KeyCredentials {
  mchId: string;
  apiV3Key: string;
  publicKeyId?: string;
  publicKey?: string;
}

export interface DownloadedCertificate {
  serial_no: string;
  effective_time?: string;
  expire_time?: string;
  encrypt_certificate: { algorithm: string; nonce: string; associated_data: string; ciphertext: string };
}

interface Keyring {
  fingerprint: string;
  publicKeys: Map<string, KeyObject>;
  certificates: Map<string, { key: KeyObject; validTo: number }>;
  fetchedAt: number;
  /** When a notify's unknown serial last caused a download (those are throttled). */
  lastNotifyAttemptAt: number;
  refreshing: Promise<boolean> | null;
}

const keyrings = new Map<string, Keyring>();

function fingerprintOf(credentials: KeyCredentials): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        credentials.mchId,
        credentials.apiV3Key,
        credentials.publicKeyId,
        credentials.publicKey,
      ]),
    )
    .digest('hex');
}

/** The account's keyring, rebuilt when its credentials changed. */
export function keyringOf(accountId: bigint, credentials: KeyCredentials): Keyring {
  const id = accountId.toString();
  const fingerprint = fingerprintOf(credentials);
  const existing = keyrings.get(id);
  if (existing && existing.fingerprint === fingerprint) return existing;
  const publicKeys = new Map<string, KeyObject>();
  if (credentials.publicKeyId && credentials.publicKey) {
    publicKeys.set(credentials.publicKeyId, createPublicKey(credentials.publicKey));
  }
  const ring: Keyring = {
    fingerprint,
    publicKeys,
    certificates: new Map(),
    fetchedAt: 0,
    lastNotifyAttemptAt: 0,
    refreshing: null,
  };
  keyrings.set(id, ring);
  return ring;
}

export function keyOf(ring: Keyring, serial: string): KeyObject | undefined {
  const publicKey = ring.publicKeys.get(serial);
  if (publicKey) return publicKey;
  const certificate = ring.certificates.get(serial.toUpperCase());
  return certificate && certificate.validTo > Date.now() ? certificate.key : undefined;
}

/** Whether a serial may be a platform certificate's (a public key id is never downloaded). */
export function isCertificateSerial(serial: string): boolean {
  return !serial.startsWith(PUBLIC_KEY_ID_PREFIX) && /^[0-9A-Fa-f]{1,64}$/.test(serial);
}

/** Certificate mode (no public key configured, or certificates already in use) and due for a download. */
export function certificatesDue(ring: Keyring, now = Date.now()): boolean {
  const inUse = ring.publicKeys.size === 0 || ring.certificates.size > 0;
  if (!inUse) return false;
  if (ring.certificates.size === 0 || now - ring.fetchedAt > REFRESH_EVERY_MS) return true;
  const firstExpiry = Math.min(...[...ring.certificates.values()].map((c) => c.validTo));
  return firstExpiry - now < REFRESH_BEFORE_EXPIRY_MS;
}

/**
 * Downloads the platform certificates once (concurrent callers share the download). A notify's
 * unknown serial (anyone can post one) downloads at most once per few seconds; an answer to our
 * own call, or certificates due for renewal, download at once. `download` returns the `data` array
 * and a function that verifies the answer's signature with the keys given; false when nothing changed.
 */
export function refreshCertificates(
  ring: Keyring,
  apiV3Key: string,
  download: () => Promise<{
    data: DownloadedCertificate[];
    verify: (keyOf: (serial: string) => KeyObject | undefined) => boolean;
  } | null>,
  trigger: 'due' | 'answer' | 'notify',
): Promise<boolean> {
  if (ring.refreshing) return ring.refreshing;
  if (trigger === 'notify') {
    const now = Date.now();
    if (now - ring.lastNotifyAttemptAt < MIN_REFRESH_INTERVAL_MS) return Promise.resolve(false);
    ring.lastNotifyAttemptAt = now;
  }
  ring.refreshing = (async () => {
    try {
      const answer = await download();
      if (!answer) return false;
      const fresh = new Map<string, { key: KeyObject; validTo: number }>();
      for (const item of answer.data) {
        const certificate = decryptCertificate(item, apiV3Key);
        if (certificate)
          fresh.set(certificate.serial, { key: certificate.key, validTo: certificate.validTo });
      }
      // The answer is signed by one of the certificates it carries (or by a key we already hold):
      // the AEAD tag proves they come from WeChat Pay, the signature that the answer does.
      const verified = answer.verify(
        (serial) => fresh.get(serial.toUpperCase())?.key ?? ring.publicKeys.get(serial) ?? undefined,
      );
      if (!verified || fresh.size === 0) return false;
      ring.certificates = fresh;
      ring.fetchedAt = Date.now();
      return true;
    } catch {
      return false;
    } finally {
      ring.refreshing = null;
    }
  })();
  return ring.refreshing;
}

function decryptCertificate(
  item: DownloadedCertificate,
  apiV3Key: string,
): { serial: string; key: KeyObject; validTo: number } | null {
  try {
    const { nonce, associated_data, ciphertext, algorithm } = item.encrypt_certificate;
    if (algorithm !== 'AEAD_AES_256_GCM') return null;
    const certificate = new X509Certificate(aeadDecrypt(ciphertext, apiV3Key, nonce, associated_data));
    // The serial WeChat Pay names in Wechatpay-Serial; OpenSSL may print it without leading zeros.
    const serial = item.serial_no.toUpperCase();
    const withoutZeros = (hex: string) => hex.toUpperCase().replace(/^0+/, '');
    if (withoutZeros(certificate.serialNumber) !== withoutZeros(serial)) return null;
    const validTo = Date.parse(certificate.validTo);
    if (!(validTo > Date.now())) return null;
    return { serial, key: certificate.publicKey, validTo };
  } catch {
    return null;
  }
}

/** For tests: forget every account's keys. */
export function clearKeyrings(): void {
  keyrings.clear();
}
