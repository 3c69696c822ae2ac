/**
 * Alipay's certificate mode (公钥证书模式): requests carry the serial numbers of the app's public-key
 * certificate (`app_cert_sn`) and of Alipay's root certificates (`alipay_root_cert_sn`); answers and
 * notifies are verified with the key of Alipay's public-key certificate, whose number answers carry
 * as `alipay_cert_sn`.
 *
 * Protocol reference: https://opendocs.alipay.com/common/056zub (certificate mode) — a certificate's
 * number is md5(issuer DN, attributes in reverse order joined by ",", + the serial in decimal); the
 * root number joins the numbers of the chain's RSA-signed certificates with "_".
 */
import { createHash, type KeyObject, X509Certificate } from 'node:crypto';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
/** 1.2.840.113549.1.1 (PKCS #1: sha1WithRSA, sha256WithRSA, …) as DER bytes. */
const RSA_SIGNATURE_OID = Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01]);

const cache = new Map<string, unknown>();

function memo<T>(key: string, make: () => T): T {
  if (cache.has(key)) return cache.get(key) as T;
  const value = make();
  if (cache.size > 64) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

function certificatesOf(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate in the text');
  return blocks.map((block) => new X509Certificate(block));
}

function snOf(certificate: X509Certificate): string {
  const issuer = certificate.issuer.split('\n').reverse().join(',');
  const serial = BigInt(`0x${certificate.serialNumber}`).toString(10);
  return createHash('md5')
    .update(issuer + serial, 'utf8')
    .digest('hex');
}

/** The number of a (single) certificate: app_cert_sn for the app's, alipay_cert_sn for Alipay's. */
export function certSn(pem: string): string {
  return memo(`sn:${pem}`, () => snOf(certificatesOf(pem)[0]!));
}

/** alipay_root_cert_sn: the numbers of the root chain's RSA-signed certificates, joined by "_". */
export function rootCertSn(pem: string): string {
  return memo(`root:${pem}`, () => {
    const numbers = certificatesOf(pem)
      .filter((c) => signatureOid(c.raw).subarray(0, RSA_SIGNATURE_OID.length).equals(RSA_SIGNATURE_OID))
      .map(snOf);
    if (numbers.length === 0) throw new Error('no RSA-signed certificate in the root chain');
    return numbers.join('_');
  });
}

/** The public key inside a certificate (Alipay's, to verify with; the app's, to match the private key). */
export function certPublicKey(pem: string): KeyObject {
  return memo(`key:${pem}`, () => {
    const key = certificatesOf(pem)[0]!.publicKey;
    if (key.asymmetricKeyType !== 'rsa') throw new Error('the certificate does not hold an RSA key');
    return key;
  });
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm SEQUENCE { OID, … }, … }. */
function signatureOid(der: Buffer): Buffer {
  const certificate = tlv(der, 0);
  const tbs = tlv(der, certificate.start);
  const algorithm = tlv(der, tbs.end);
  const oid = tlv(der, algorithm.start);
  if (oid.tag !== 0x06) throw new Error('certificate signature algorithm is not an OID');
  return der.subarray(oid.start, oid.end);
}

function tlv(der: Buffer, at: number): { tag: number; start: number; end: number } {
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    start += bytes;
  }
  if (start + length > der.length) throw new Error('certificate DER is truncated');
  return { tag, start, end: start + length };
}
