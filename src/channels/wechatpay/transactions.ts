/**
 * The transaction resource (/v3/pay/transactions) that payments, pay codes and payment notifies
 * share: its fields and states, its paths, and which merchant a transaction belongs to.
 */
import { z } from 'zod';
import type { ProviderPaymentStatus } from '../types.ts';
import type { Credentials } from './credentials.ts';

export const MAX_DESCRIPTION_CHARACTERS = 127;

export const TRADE_STATES: Record<string, ProviderPaymentStatus> = {
  SUCCESS: 'paid',
  // Paid, then refunded (in part or whole): it was paid.
  REFUND: 'paid',
  NOTPAY: 'pending',
  USERPAYING: 'pending',
  CLOSED: 'closed',
  REVOKED: 'closed',
  PAYERROR: 'failed',
};

export const TRANSACTION = z.object({
  appid: z.string().optional(),
  mchid: z.string().optional(),
  sp_appid: z.string().optional(),
  sp_mchid: z.string().optional(),
  sub_appid: z.string().optional(),
  sub_mchid: z.string().optional(),
  out_trade_no: z.string().min(1),
  transaction_id: z.string().optional(),
  trade_state: z.string(),
  trade_state_desc: z.string().optional(),
  success_time: z.string().optional(),
  amount: z
    .object({
      total: z.number().int().nonnegative().optional(),
      currency: z.string().optional(),
    })
    .optional(),
});
export type Transaction = z.infer<typeof TRANSACTION>;

export function queryPath(orderNo: string, credentials: Credentials): string {
  const ids = credentials.subMchId
    ? `sp_mchid=${credentials.mchId}&sub_mchid=${credentials.subMchId}`
    : `mchid=${credentials.mchId}`;
  return `${transactionsPath(credentials)}/out-trade-no/${encodeURIComponent(orderNo)}?${ids}`;
}

/** Direct merchants use /v3/pay/transactions; service providers /v3/pay/partner/transactions. */
export function transactionsPath(credentials: Credentials): string {
  return credentials.subMchId ? '/v3/pay/partner/transactions' : '/v3/pay/transactions';
}

/** The merchant fields of a request body: mchid/appid, or the provider's and the sub-merchant's. */
export function merchantIds(credentials: Credentials, withApp = true): Record<string, string> {
  if (!credentials.subMchId) {
    return withApp ? { appid: credentials.appId, mchid: credentials.mchId } : { mchid: credentials.mchId };
  }
  return {
    ...(withApp ? { sp_appid: credentials.appId } : {}),
    sp_mchid: credentials.mchId,
    ...(withApp && credentials.subAppId ? { sub_appid: credentials.subAppId } : {}),
    sub_mchid: credentials.subMchId,
  };
}

/** Whether a transaction (answer or notify) is this account's merchant. */
export function ownsMerchant(t: Transaction, credentials: Credentials): boolean {
  if (!credentials.subMchId) return t.mchid === credentials.mchId;
  return t.sp_mchid === credentials.mchId && t.sub_mchid === credentials.subMchId;
}

/** Whether a transaction is this account's merchant and AppID. */
export function ownsTransaction(t: Transaction, credentials: Credentials): boolean {
  if (!ownsMerchant(t, credentials)) return false;
  if (!credentials.subMchId) return t.appid === credentials.appId;
  return (
    t.sp_appid === credentials.appId && (t.sub_appid === undefined || t.sub_appid === credentials.subAppId)
  );
}
