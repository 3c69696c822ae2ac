/**
 * Notifies (回调通知) of payments and refunds: the signature, the replay check, the decryption of
 * the resource with the APIv3 key, and what it says; and the answer WeChat Pay expects back.
 *
 * Official references: https://pay.weixin.qq.com/doc/v3/merchant/4012791861 / 4012791865
 */
import { z } from 'zod';
import {
  type ChannelContext,
  type InboundNotify,
  NotifyRejected,
  type ParsedNotify,
  type ParsedRefundNotify,
} from '../types.ts';
import { downloadCertificates } from './api.ts';
import { type Credentials, credentialsSchema } from './credentials.ts';
import { isCertificateSerial, keyOf, keyringOf, refreshCertificates } from './keys.ts';
import { aeadDecrypt, MAX_CLOCK_SKEW_SECONDS, verifyWechatpaySignature } from './protocol.ts';
import { ownsTransaction, TRANSACTION } from './transactions.ts';

const REFUND_RESOURCE = z.object({
  mchid: z.string().optional(),
  sp_mchid: z.string().optional(),
  sub_mchid: z.string().optional(),
  out_trade_no: z.string().min(1),
  transaction_id: z.string().optional(),
  out_refund_no: z.string().min(1),
  refund_id: z.string().optional(),
  refund_status: z.string(),
  amount: z.object({ refund: z.number().int().nonnegative(), total: z.number().int().optional() }),
});

const NOTIFY = z.object({
  id: z.string(),
  event_type: z.string(),
  resource_type: z.literal('encrypt-resource'),
  resource: z.object({
    algorithm: z.literal('AEAD_AES_256_GCM'),
    ciphertext: z.string().min(1),
    associated_data: z.string().optional(),
    nonce: z.string().min(1),
    original_type: z.string().optional(),
  }),
});

type Parsed = ParsedNotify | ParsedRefundNotify;

/**
 * Answers at once when the notify's key is known; later when WeChat Pay signed it with a platform
 * certificate we have not downloaded yet (a rotation, or a process that just started): the
 * certificates are downloaded (at most once per few seconds, since anyone can post a serial) and
 * the notify verified again.
 */
export function parseNotify(ctx: ChannelContext, notify: InboundNotify): Parsed | Promise<Parsed> {
  const parsed = credentialsSchema.safeParse(ctx.credentials);
  if (!parsed.success) throw new NotifyRejected('SIGNATURE_INVALID', 'no valid key to verify with');
  const credentials = parsed.data;
  const ring = keyringOf(ctx.channelAccountId, credentials);
  const check = verifyWechatpaySignature(notify.headers, notify.rawBody, (serial) => keyOf(ring, serial));
  if (!check.ok && check.reason === 'UNKNOWN_SERIAL' && check.serial && isCertificateSerial(check.serial)) {
    return refreshCertificates(
      ring,
      credentials.apiV3Key,
      () => downloadCertificates(ctx, credentials),
      'notify',
    ).then(() => verified(ctx, notify, credentials));
  }
  return verified(ctx, notify, credentials);
}

function verified(ctx: ChannelContext, notify: InboundNotify, credentials: Credentials): Parsed {
  const ring = keyringOf(ctx.channelAccountId, credentials);
  const check = verifyWechatpaySignature(notify.headers, notify.rawBody, (serial) => keyOf(ring, serial));
  if (!check.ok) throw new NotifyRejected('SIGNATURE_INVALID', `notify signature: ${check.reason}`);
  if (seenBefore(ctx.channelAccountId, notify.headers)) {
    throw new NotifyRejected('SIGNATURE_INVALID', 'notify replayed (nonce already seen)');
  }
  let envelope: z.infer<typeof NOTIFY>;
  try {
    envelope = NOTIFY.parse(JSON.parse(notify.rawBody));
  } catch {
    throw new NotifyRejected('MALFORMED', 'not a WeChat Pay notify');
  }
  let resource: unknown;
  try {
    const { ciphertext, nonce, associated_data } = envelope.resource;
    resource = JSON.parse(aeadDecrypt(ciphertext, credentials.apiV3Key, nonce, associated_data ?? ''));
  } catch {
    throw new NotifyRejected('SIGNATURE_INVALID', 'resource does not decrypt with the APIv3 key');
  }
  if (envelope.event_type === 'TRANSACTION.SUCCESS') return paymentNotify(resource, credentials);
  if (envelope.event_type.startsWith('REFUND.'))
    return refundNotify(envelope.event_type, resource, credentials);
  throw new NotifyRejected('MALFORMED', `event ${envelope.event_type.slice(0, 40)} is not handled`);
}

export function notifyAck(accepted: boolean) {
  return accepted
    ? { status: 204, contentType: 'application/json', body: '' }
    : {
        status: 400,
        contentType: 'application/json',
        body: JSON.stringify({ code: 'FAIL', message: 'notify refused' }),
      };
}

function paymentNotify(resource: unknown, credentials: Credentials): ParsedNotify {
  const transaction = TRANSACTION.safeParse(resource);
  if (!transaction.success) throw new NotifyRejected('MALFORMED', 'transaction fields missing');
  const t = transaction.data;
  if (!ownsTransaction(t, credentials)) {
    const who = [t.mchid ?? t.sp_mchid, t.sub_mchid, t.appid ?? t.sp_appid].filter(Boolean).join('/');
    throw new NotifyRejected('WRONG_ACCOUNT', `notify for ${who.slice(0, 100)}`);
  }
  if (t.trade_state !== 'SUCCESS' || t.amount?.total === undefined) {
    throw new NotifyRejected('MALFORMED', `trade_state ${t.trade_state.slice(0, 20)} in a success notify`);
  }
  const paidAt = t.success_time ? new Date(t.success_time) : null;
  if (paidAt && Number.isNaN(paidAt.getTime())) throw new NotifyRejected('MALFORMED', 'bad success_time');
  return {
    kind: 'payment',
    orderNo: t.out_trade_no,
    channelOrderNo: t.transaction_id ?? null,
    status: 'paid',
    amount: BigInt(t.amount.total),
    currency: t.amount.currency ?? 'CNY',
    paidAt,
  };
}

function refundNotify(eventType: string, resource: unknown, credentials: Credentials): ParsedRefundNotify {
  const refund = REFUND_RESOURCE.safeParse(resource);
  if (!refund.success) throw new NotifyRejected('MALFORMED', 'refund fields missing');
  const r = refund.data;
  const ours = credentials.subMchId
    ? r.sp_mchid === credentials.mchId && r.sub_mchid === credentials.subMchId
    : r.mchid === credentials.mchId;
  if (!ours) {
    const who = [r.mchid ?? r.sp_mchid, r.sub_mchid].filter(Boolean).join('/');
    throw new NotifyRejected('WRONG_ACCOUNT', `notify for ${who.slice(0, 64)}`);
  }
  const status =
    eventType === 'REFUND.SUCCESS' && r.refund_status === 'SUCCESS'
      ? 'succeeded'
      : (eventType === 'REFUND.ABNORMAL' || eventType === 'REFUND.CLOSED') && r.refund_status !== 'SUCCESS'
        ? 'failed'
        : undefined;
  if (status === undefined)
    throw new NotifyRejected('MALFORMED', `${eventType.slice(0, 20)} with ${r.refund_status}`);
  return {
    kind: 'refund',
    refundNo: r.out_refund_no,
    orderNo: r.out_trade_no,
    channelRefundNo: r.refund_id ?? null,
    status,
    amount: BigInt(r.amount.refund),
    currency: 'CNY',
    message: status === 'failed' ? r.refund_status : null,
  };
}

/** Nonces of notifies already verified, per account, kept as long as their timestamp is acceptable. */
const seenNonces = new Map<string, Map<string, number>>();

function seenBefore(accountId: bigint, headers: InboundNotify['headers']): boolean {
  const nonce = String(headers['wechatpay-nonce']);
  const signature = String(headers['wechatpay-signature']);
  const key = `${nonce}:${signature.slice(0, 32)}`;
  const now = Date.now();
  let seen = seenNonces.get(accountId.toString());
  if (!seen) {
    seen = new Map();
    seenNonces.set(accountId.toString(), seen);
  }
  if (seen.size > 10_000) {
    for (const [k, at] of seen) if (now - at > 2 * MAX_CLOCK_SKEW_SECONDS * 1000) seen.delete(k);
  }
  if (seen.has(key)) return true;
  seen.set(key, now);
  return false;
}
