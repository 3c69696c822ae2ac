/**
 * Alipay (支付宝开放平台, gateway API v2, RSA2), public-key or certificate mode (certs.ts).
 *
 * Protocol reference: each method's page, https://docs.open.alipay.com/api_1/<method> (支付 API;
 * now served from https://opendocs.alipay.com/open/):
 * - alipay.trade.precreate (C扫B QR), alipay.trade.wap.pay (H5), alipay.trade.page.pay (PC),
 *   alipay.trade.pay scene=bar_code (B扫C; the wait-query-cancel rule is in 当面付's guide,
 *   https://opendocs.alipay.com/open/194/106039)
 * - alipay.trade.query, alipay.trade.close, alipay.trade.cancel, alipay.trade.refund,
 *   alipay.trade.fastpay.refund.query
 * - async notify: https://opendocs.alipay.com/open/270/105902
 * - statement: see statement.ts
 *
 * Stateless: the keys are parsed from the account's credentials (and cached by their text).
 *
 * The adapter is the face the platform calls; each step is in its own file and this delegates to
 * it: credentials.ts (credentials, settings, keys), gateway.ts (the signed call, the connection
 * test), payments.ts (QR, H5 and PC payments, query, close), pay-code.ts (pay codes), refunds.ts,
 * notifies.ts, statement.ts.
 */
import type { ChannelAdapter, CreatePaymentResult } from '../types.ts';
import { configSchema, credentialFields, credentialsSchema, keysOf } from './credentials.ts';
import { testConnection } from './gateway.ts';
import { notifyAck, parseNotify } from './notifies.ts';
import { payWithCode } from './pay-code.ts';
import { closePayment, openPayment, queryPayment } from './payments.ts';
import { createRefund, queryRefund } from './refunds.ts';
import { fetchStatement, statementFromFile } from './statement.ts';

export { PAY_CODE_CANCELLED } from './pay-code.ts';

export const alipayAdapter: ChannelAdapter = {
  code: 'alipay',
  name: '支付宝 Alipay',
  credentialsSchema,
  configSchema,
  supportsAuthCode: true,
  payWays: ['ALI_QR', 'ALI_WAP', 'ALI_PC', 'ALI_BAR'],
  credentialFields,
  testConnection,

  async createPayment(ctx, payment): Promise<CreatePaymentResult> {
    const keys = keysOf(ctx);
    if (!keys)
      return { outcome: 'refused', code: 'INVALID_CREDENTIALS', message: 'bad credentials or config' };
    if (payment.currency !== 'CNY') {
      return { outcome: 'refused', code: 'CURRENCY_UNSUPPORTED', message: 'Alipay takes CNY only' };
    }
    if (payment.authCode) return payWithCode(ctx, keys, payment, payment.authCode);
    return openPayment(ctx, keys, payment);
  },

  queryPayment,
  closePayment,
  createRefund,
  queryRefund,
  fetchStatement,
  parseStatement: statementFromFile,
  parseNotify,
  notifyAck,
};
