/**
 * WeChat Pay API v3 wire protocol: request signatures, answer and notify verification, the notify
 * resource's AEAD_AES_256_GCM, the JSAPI paySign and the trade bill's CSV. Pure functions: no
 * network, no state.
 *
 * Official references:
 * - Signing requests:   https://pay.weixin.qq.com/doc/v3/merchant/4012365336
 * - Verifying answers:  https://pay.weixin.qq.com/doc/v3/merchant/4013053249
 * - Notify decryption:  https://pay.weixin.qq.com/doc/v3/merchant/4012071382
 * - WeChat Pay public key / platform certificates:
 *                       https://pay.weixin.qq.com/doc/v3/merchant/4012153196
 * - JSAPI paySign:      https://pay.weixin.qq.com/doc/v3/merchant/4012365341
 * - Trade bill:         https://pay.weixin.qq.com/doc/v3/merchant/4013071238
 */
import {
  createCipheriv,
  createDecipheriv,
  createSign,
  createVerify,
  type KeyObject,
  randomBytes,
} from 'node:crypto';

export const AUTH_SCHEMA = 'WECHATPAY2-SHA256-RSA2048';
/** Answers and notifies older or newer than this (seconds) are refused: a replay or a wrong clock. */
export const MAX_CLOCK_SKEW_SECONDS = 300;
export const PUBLIC_KEY_ID_PREFIX = 'PUB_KEY_ID_';

export function nonceString(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export function rsaSign(message: string, privateKey: KeyObject | string): string {
  return createSign('RSA-SHA256').update(message, 'utf8').sign(privateKey, 'base64');
}

export function rsaVerify(message: string, signature: string, publicKey: KeyObject | string): boolean {
  try {
    return createVerify('RSA-SHA256').update(message, 'utf8').verify(publicKey, signature, 'base64');
  } catch {
    return false;
  }
}

/** What a request's signature covers: `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`. */
export function requestMessage(
  method: string,
  pathWithQuery: string,
  timestamp: string,
  nonce: string,
  body: string,
): string {
  return `${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** The `Authorization` header of one request, signed with the merchant's API private key. */
export function authorizationHeader(input: {
  mchId: string;
  certSerial: string;
  privateKey: KeyObject | string;
  method: string;
  pathWithQuery: string;
  body: string;
  timestamp?: string;
  nonce?: string;
}): string {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000).toString();
  const nonce = input.nonce ?? nonceString();
  const signature = rsaSign(
    requestMessage(input.method, input.pathWithQuery, timestamp, nonce, input.body),
    input.privateKey,
  );
  return (
    `${AUTH_SCHEMA} mchid="${input.mchId}",nonce_str="${nonce}",signature="${signature}",` +
    `timestamp="${timestamp}",serial_no="${input.certSerial}"`
  );
}

/** The parts of an `Authorization` header, or null when it is not a WeChat Pay v3 one. */
export function parseAuthorization(header: string): Record<string, string> | null {
  if (!header.startsWith(`${AUTH_SCHEMA} `)) return null;
  const parts: Record<string, string> = {};
  for (const match of header.slice(AUTH_SCHEMA.length + 1).matchAll(/(\w+)="([^"]*)"/g)) {
    parts[match[1]!] = match[2]!;
  }
  for (const name of ['mchid', 'nonce_str', 'signature', 'timestamp', 'serial_no']) {
    if (!parts[name]) return null;
  }
  return parts;
}

/** What an answer's or a notify's signature covers: `TIMESTAMP\nNONCE\nBODY\n`. */
export function answerMessage(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

/** The four Wechatpay-* headers of an answer or a notify, signed with WeChat Pay's key. */
export function wechatpayHeaders(
  body: string,
  signer: { serial: string; privateKey: KeyObject | string },
  timestamp = Math.floor(Date.now() / 1000).toString(),
  nonce = nonceString(),
): Record<string, string> {
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': rsaSign(answerMessage(timestamp, nonce, body), signer.privateKey),
    'Wechatpay-Serial': signer.serial,
    'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
  };
}

export type SignatureCheck =
  | { ok: true; serial: string }
  | { ok: false; reason: 'MISSING_HEADERS' | 'STALE' | 'UNKNOWN_SERIAL' | 'BAD_SIGNATURE'; serial?: string };

/**
 * Verifies an answer or a notify: the headers are present, the timestamp within 5 minutes of ours,
 * the key named by `Wechatpay-Serial` known, and the signature over `TS\nNONCE\nBODY\n` valid.
 */
export function verifyWechatpaySignature(
  headers: Record<string, string | string[] | undefined>,
  body: string,
  keyOf: (serial: string) => KeyObject | undefined,
  nowSeconds = Math.floor(Date.now() / 1000),
): SignatureCheck {
  const header = (name: string) => {
    const value = headers[name.toLowerCase()] ?? headers[name];
    return Array.isArray(value) ? undefined : value;
  };
  const timestamp = header('Wechatpay-Timestamp');
  const nonce = header('Wechatpay-Nonce');
  const signature = header('Wechatpay-Signature');
  const serial = header('Wechatpay-Serial');
  if (!timestamp || !nonce || !signature || !serial) return { ok: false, reason: 'MISSING_HEADERS' };
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS) {
    return { ok: false, reason: 'STALE', serial };
  }
  const key = keyOf(serial);
  if (!key) return { ok: false, reason: 'UNKNOWN_SERIAL', serial };
  if (!rsaVerify(answerMessage(timestamp, nonce, body), signature, key)) {
    return { ok: false, reason: 'BAD_SIGNATURE', serial };
  }
  return { ok: true, serial };
}

/** AEAD_AES_256_GCM with the APIv3 key: base64 of ciphertext followed by its 16-byte tag. */
export function aeadEncrypt(
  plaintext: string,
  apiV3Key: string,
  nonce: string,
  associatedData: string,
): string {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString(
    'base64',
  );
}

/** Decrypts a notify `resource` (or a certificate); throws when the tag does not verify. */
export function aeadDecrypt(
  ciphertext: string,
  apiV3Key: string,
  nonce: string,
  associatedData: string,
): string {
  const bytes = Buffer.from(ciphertext, 'base64');
  if (bytes.length < 17) throw new Error('ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString(
    'utf8',
  );
}

/** The parameters a page inside WeChat passes to `getBrandWCPayRequest` for a JSAPI prepay id. */
export function jsapiPayParams(
  appId: string,
  prepayId: string,
  privateKey: KeyObject | string,
  timeStamp = Math.floor(Date.now() / 1000).toString(),
  nonceStr = nonceString(),
): { appId: string; timeStamp: string; nonceStr: string; package: string; signType: 'RSA'; paySign: string } {
  const pkg = `prepay_id=${prepayId}`;
  return {
    appId,
    timeStamp,
    nonceStr,
    package: pkg,
    signType: 'RSA',
    paySign: rsaSign(`${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`, privateKey),
  };
}

/**
 * Yuan as the bill writes it ("12.34", "0.00006") → fen, half up past the second decimal.
 * Null when it is not a plain decimal number.
 */
export function yuanToFen(text: string): bigint | null {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) return null;
  const [, sign, whole, fraction = ''] = match;
  const padded = `${fraction}000`;
  let fen = BigInt(whole!) * 100n + BigInt(padded.slice(0, 2));
  if (fraction.length > 2 && Number(padded[2]) >= 5) fen += 1n;
  return sign === '-' ? -fen : fen;
}

export interface TradeBillRow {
  [column: string]: string;
}

/**
 * The trade bill (交易账单) CSV: a header line, one line per payment or refund with every field
 * prefixed by a backtick (so spreadsheets keep long numbers as text), then two summary lines.
 */
export function parseTradeBill(text: string): TradeBillRow[] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  if (lines.length === 0) return [];
  const header = lines[0]!.split(',').map((name) => name.trim());
  const rows: TradeBillRow[] = [];
  for (const line of lines.slice(1)) {
    // The summary's own header (总交易单数,…) ends the detail lines.
    if (!line.startsWith('`')) break;
    const fields = line.split(',`').map((field, index) => (index === 0 ? field.slice(1) : field));
    if (fields.length !== header.length)
      throw new Error(`bill line has ${fields.length} fields, not ${header.length}`);
    const row: TradeBillRow = {};
    header.forEach((name, index) => {
      row[name] = fields[index]!;
    });
    rows.push(row);
  }
  return rows;
}

/**
 * The trade bill's summary: the line after the detail lines names the figures (总交易单数,应结订单总金额,…),
 * the next one gives them, each prefixed by a backtick. Null when the bill has no such pair of lines.
 */
export function parseTradeBillSummary(text: string): TradeBillRow | null {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  const at = lines.findIndex((line, index) => index > 0 && !line.startsWith('`'));
  if (at < 0 || at + 1 >= lines.length) return null;
  const names = lines[at]!.split(',').map((name) => name.replace(/^`/, '').trim());
  const values = lines[at + 1]!.split(',').map((value) => value.replace(/^`/, '').trim());
  if (names.length !== values.length) {
    throw new Error(`bill summary has ${values.length} figures, not ${names.length}`);
  }
  const summary: TradeBillRow = {};
  names.forEach((name, index) => {
    summary[name] = values[index]!;
  });
  return summary;
}

/** The columns of the trade bill of every transaction (bill_type=ALL), in the order WeChat writes them. */
export const TRADE_BILL_COLUMNS = [
  '交易时间',
  '公众账号ID',
  '商户号',
  '特约商户号',
  '设备号',
  '微信订单号',
  '商户订单号',
  '用户标识',
  '交易类型',
  '交易状态',
  '付款银行',
  '货币种类',
  '应结订单金额',
  '代金券金额',
  '微信退款单号',
  '商户退款单号',
  '退款金额',
  '充值券退款金额',
  '退款类型',
  '退款状态',
  '商品名称',
  '商户数据包',
  '手续费',
  '费率',
  '订单金额',
  '申请退款金额',
  '费率备注',
] as const;
