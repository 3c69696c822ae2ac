/**
 * WeChat Pay API v3 (微信支付 APIv3, direct merchant 直连商户): Native, H5, JSAPI, pay codes
 * (付款码, B扫C), query, close, refunds and the trade bill. Stateless w.r.t. our database; the
 * verification keys are cached per account in memory (keys.ts).
 *
 * This is the adapter's face; each step is in its own file: credentials.ts (the credentials and
 * the connection test), api.ts (the signed call and its verified answer), payments.ts (Native,
 * H5, JSAPI, query, close), pay-code.ts (付款码), refunds.ts, notifies.ts, statement.ts (the trade
 * bill), over transactions.ts (the transaction resource they share), keys.ts and protocol.ts.
 *
 * Official references:
 * - Native:   https://pay.weixin.qq.com/doc/v3/merchant/4012791877
 * - H5:       https://pay.weixin.qq.com/doc/v3/merchant/4012791834
 * - JSAPI:    https://pay.weixin.qq.com/doc/v3/merchant/4012791856
 * - Pay code: https://pay.weixin.qq.com/doc/v3/merchant/4012791871 (codepay, reverse)
 * - Query:    https://pay.weixin.qq.com/doc/v3/merchant/4012791859
 * - Close:    https://pay.weixin.qq.com/doc/v3/merchant/4012791860
 * - Refunds:  https://pay.weixin.qq.com/doc/v3/merchant/4012791862 / 4012791863
 * - Notifies: https://pay.weixin.qq.com/doc/v3/merchant/4012791861 / 4012791865
 * - Bill:     https://pay.weixin.qq.com/doc/v3/merchant/4012791866
 */
import type { z } from 'zod';
import type { ChannelAdapter } from '../types.ts';
import { configSchema, credentialFields, credentialsSchema, testConnection } from './credentials.ts';
import { notifyAck, parseNotify } from './notifies.ts';
import { closePayment, createPayment, queryPayment } from './payments.ts';
import { createRefund, queryRefund } from './refunds.ts';
import { fetchStatement, statementFromFile } from './statement.ts';

export const wechatpayAdapter: ChannelAdapter = {
  code: 'wechatpay',
  name: '微信支付 WeChat Pay',
  credentialsSchema: credentialsSchema as unknown as z.ZodType<Record<string, unknown>>,
  configSchema,
  supportsAuthCode: true,
  supportsPayout: false,
  payWays: ['WX_NATIVE', 'WX_H5', 'WX_JSAPI', 'WX_BAR'],
  credentialFields,
  testConnection,
  createPayment,
  queryPayment,
  closePayment,
  createRefund,
  queryRefund,
  fetchStatement,
  parseStatement: statementFromFile,
  parseNotify,
  notifyAck,
};
