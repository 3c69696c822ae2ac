import { beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD_RULES } from '../src/auth/password-policy.ts';
import {
  ALREADY_EXISTS_KINDS,
  CHANNEL_NOTIFY_ERRORS,
  CONNECTION_TEST_CODES,
  DELIVERY_FAILURE_KINDS,
  ERROR_REASONS,
  ERROR_STATUS,
  INVALID_REQUEST_FIELDS,
  ORDER_FAILURE_REASONS,
} from '../src/errors.ts';
import { FEE_COMPONENTS } from '../src/fees/fee.ts';
import errorsLocale from '../web/src/locales/errors.ts';

/**
 * Every error a console can show has a sentence in both languages: each code the server can answer
 * (ERROR_STATUS), each cause one code covers (ERROR_REASONS, ALREADY_EXISTS_KINDS, password rules,
 * fee parts), each failed-order reason, failed-notify kind and channel-notify refusal. The lists are
 * the server's own, so a new code or reason without a sentence fails here.
 */

const CJK = /[\u2E80-\u2FDF\u3000-\u303F\u3040-\u30FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF]/;

type Tree = { [key: string]: string | Tree };
const languages = { zh: errorsLocale.zh as unknown as Tree, en: errorsLocale.en as unknown as Tree };

function at(tree: Tree, path: string): string | undefined {
  let node: string | Tree | undefined = tree;
  for (const part of path.split('.')) {
    if (node === undefined || typeof node === 'string') return undefined;
    node = Object.hasOwn(node, part) ? node[part] : undefined;
  }
  return typeof node === 'string' ? node : undefined;
}

function leaves(tree: Tree, prefix = ''): [string, string][] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'string'
      ? [[`${prefix}${key}`, value] as [string, string]]
      : leaves(value, `${prefix}${key}.`),
  );
}

/** The keys every error the consoles can receive needs, from the server's lists. */
const REQUIRED = [
  'title',
  'withDetail',
  'technical.title',
  'technical.code',
  'technical.requestId',
  'technical.message',
  // A request that never reached the server has no code from it.
  'code.NETWORK',
  ...Object.keys(ERROR_STATUS).map((code) => `code.${code}`),
  ...Object.entries(ERROR_REASONS).flatMap(([code, reasons]) => reasons.map((r) => `reason.${code}.${r}`)),
  ...ALREADY_EXISTS_KINDS.map((kind) => `alreadyExists.${kind}`),
  'invalidField',
  ...INVALID_REQUEST_FIELDS.map((field) => `field.${field}`),
  ...FEE_COMPONENTS.map((component) => `rateRule.${component}`),
  ...ERROR_REASONS.RATE_RULE_VIOLATION.filter((r) => r !== 'no_cost_rate').map((r) => `rateRule.${r}`),
  // agent_chain by what was being saved (src/agents/service.ts chainViolation's `level`).
  ...['agent', 'merchant', 'channel'].map((level) => `rateRule.agentChain.${level}`),
  ...PASSWORD_RULES.map((rule) => `passwordWeak.${rule}`),
  ...ORDER_FAILURE_REASONS.map((reason) => `orderFailure.${reason}`),
  ...DELIVERY_FAILURE_KINDS.map((kind) => `deliveryFailure.${kind}`),
  ...CHANNEL_NOTIFY_ERRORS.map((code) => `channelNotify.${code}`),
  'connectionTest.ok',
  ...CONNECTION_TEST_CODES.map((code) => `connectionTest.${code}`),
];

const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

describe('console error messages', () => {
  it('has a sentence for every error code, reason and kind, in both languages', () => {
    expect(REQUIRED.length).toBeGreaterThan(Object.keys(ERROR_STATUS).length + 30);
    const missing: string[] = [];
    for (const [lang, tree] of Object.entries(languages)) {
      for (const key of REQUIRED) {
        const text = at(tree, key);
        if (text === undefined || text.trim() === '') missing.push(`${lang}: ${key}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('says every sentence in the language of its UI: Chinese in zh, no Chinese in en', () => {
    const wrong: string[] = [];
    for (const [key, text] of leaves(languages.zh)) {
      // A pure format (e.g. "{{title}}：{{detail}}") carries no words of its own.
      const words = text.replace(/\{\{\w+\}\}/g, '').replace(/[\s:：;；,，.。()（）]/g, '');
      if (words !== '' && !CJK.test(text)) wrong.push(`zh: ${key}: ${text}`);
    }
    for (const [key, text] of leaves(languages.en)) {
      if (CJK.test(text)) wrong.push(`en: ${key}: ${text}`);
    }
    expect(wrong).toEqual([]);
  });

  it('gives both languages the same parameters in each sentence', () => {
    const differ = leaves(languages.zh)
      .filter(([key, zh]) => placeholders(zh).join() !== placeholders(at(languages.en, key) ?? '').join())
      .map(([key]) => key);
    expect(differ).toEqual([]);
  });
});

describe('describeError', () => {
  // The console's i18n reads the saved language from localStorage when it loads.
  const storage = new Map<string, string>();
  let web: {
    ApiError: typeof import('../web/src/api.ts').ApiError;
    describeError: typeof import('../web/src/shell/errors.ts').describeError;
    errorText: typeof import('../web/src/shell/errors.ts').errorText;
    connectionTestText: typeof import('../web/src/shell/errors.ts').connectionTestText;
    setLanguage: typeof import('../web/src/i18n.ts').setLanguage;
  };
  beforeAll(async () => {
    Object.assign(globalThis, {
      localStorage: {
        getItem: (k: string) => storage.get(k) ?? null,
        setItem: (k: string, v: string) => storage.set(k, v),
        removeItem: (k: string) => storage.delete(k),
      },
      document: { documentElement: { lang: 'zh-CN' } },
    });
    const [api, errors, i18n] = await Promise.all([
      import('../web/src/api.ts'),
      import('../web/src/shell/errors.ts'),
      import('../web/src/i18n.ts'),
    ]);
    web = { ApiError: api.ApiError, ...errors, setLanguage: i18n.setLanguage };
  });

  const SERVER_MESSAGE = 'wrong username or password';

  it('never shows the server message as the sentence, for any code, in either language', () => {
    for (const lang of ['zh-CN', 'en-US'] as const) {
      web.setLanguage(lang);
      for (const code of [...Object.keys(ERROR_STATUS), 'SOMETHING_NEW']) {
        const error = new web.ApiError(400, code, SERVER_MESSAGE, undefined, 'req_1');
        const info = web.describeError(error);
        expect(info.title, code).not.toContain(SERVER_MESSAGE);
        expect(web.errorText(error), code).not.toContain(SERVER_MESSAGE);
        expect(info.technical).toMatchObject({ message: SERVER_MESSAGE, requestId: 'req_1' });
        if (lang === 'zh-CN') expect(CJK.test(web.errorText(error)), code).toBe(true);
        else expect(CJK.test(web.errorText(error)), code).toBe(false);
      }
    }
  });

  it('says the rate rule in % and yuan, and each cause of a code in its own words', () => {
    web.setLanguage('zh-CN');
    const rate = web.describeError(
      new web.ApiError(400, 'RATE_RULE_VIOLATION', 'merchant rate 2000 ppm is below the cost 3000 ppm', {
        reason: 'merchant_below_cost',
        component: 'ratePpm',
        productCode: 'wx_native',
        currency: 'CNY',
        merchant: 2000,
        channel: 3000,
      }),
    );
    expect(rate.title).toBe('商户费率不能低于已绑定通道账户的成本');
    expect(rate.detail).toContain('0.2%');
    expect(rate.detail).toContain('0.3%');
    expect(rate.detail).not.toContain('ppm');
    const fixed = web.describeError(
      new web.ApiError(400, 'RATE_RULE_VIOLATION', 'x', {
        reason: 'cost_above_merchant',
        component: 'fixed',
        productCode: 'wx_native',
        currency: 'CNY',
        merchant: 10,
        channel: 25,
      }),
    );
    expect(fixed.detail).toContain('¥0.25');
    expect(fixed.detail).toContain('¥0.10');
    // Along the agent chain: who stands on each side, in % and yuan, in both languages.
    const chain = (details: Record<string, unknown>) =>
      web.describeError(
        new web.ApiError(400, 'RATE_RULE_VIOLATION', 'x', {
          reason: 'agent_chain',
          productCode: 'sandbox_qr',
          currency: 'CNY',
          ...details,
        }),
      );
    const merchantChain = chain({
      level: 'merchant',
      agentNo: 'A123456789',
      component: 'ratePpm',
      lower: 5000,
      upper: 4000,
    });
    expect(merchantChain.title).toBe('费率须逐级不低于上一级：通道成本 ≤ 代理商 ≤ 下级代理商 ≤ 商户');
    expect(merchantChain.detail).toBe(
      '费率：商户 0.4%，低于直属代理商 A123456789 的 0.5%（产品 sandbox_qr）',
    );
    expect(
      chain({ level: 'channel', channelAccountId: '7', component: 'fixed', lower: 30, upper: 20 }).detail,
    ).toBe('每笔固定费用：通道账户 #7 的成本 ¥0.30，高于一级代理商的 ¥0.20（产品 sandbox_qr）');
    expect(chain({ level: 'agent', agentNo: 'A1', component: 'minimum', lower: 10, upper: 5 }).detail).toBe(
      '最低手续费：下一级 ¥0.05，低于上一级 ¥0.10（代理商 A1，产品 sandbox_qr）',
    );
    web.setLanguage('en-US');
    expect(
      chain({ level: 'merchant', agentNo: 'A1', component: 'ratePpm', lower: 5000, upper: 4000 }).detail,
    ).toBe('Rate: the merchant’s 0.4% is under 0.5% of its direct agent A1 (sandbox_qr)');
    web.setLanguage('zh-CN');
    const noCost = web.describeError(
      new web.ApiError(400, 'RATE_RULE_VIOLATION', 'x', { reason: 'no_cost_rate', productCode: 'p' }),
    );
    expect(noCost.title).toContain('还没有这个产品的成本费率');
    const role = web.describeError(
      new web.ApiError(409, 'ALREADY_EXISTS', 'role finance exists', { kind: 'role', name: 'finance' }),
    );
    expect(role.title).toBe('角色编码“finance”已存在，请换一个编码');
    const current = web.describeError(
      new web.ApiError(401, 'LOGIN_FAILED', 'the current password is wrong', { reason: 'current_password' }),
    );
    expect(current.title).toBe('当前密码不正确');
    const field = web.describeError(
      new web.ApiError(400, 'INVALID_REQUEST', 'costRatePpm: Too big', { field: 'costRatePpm' }),
    );
    expect(field.title).toBe('「成本费率」填写有误，请检查后重试');
    const invalid = (details: Record<string, unknown>) =>
      web.errorText(new web.ApiError(400, 'INVALID_REQUEST', 'x', details));
    expect(invalid({ reason: 'pay_way_unsupported', payWay: 'WX_NATIVE', adapter: 'alipay' })).toBe(
      '这个通道账户（alipay）不支持该产品的支付方式「微信扫码」：请绑定支持这种支付方式的通道账户',
    );
    expect(invalid({ field: 'extra.openid', reason: 'required' })).toContain('「付款人 openid」');
    expect(invalid({ field: 'extra.authCode', reason: 'required' })).toContain('「付款码」');
    expect(invalid({ field: 'credentials.privateKey' })).toBe('「通道密钥」填写有误，请检查后重试');
    expect(invalid({ field: 'payWay' })).toBe('「支付方式」填写有误，请检查后重试');
    expect(web.connectionTestText({ ok: false, code: 'CHANNEL_BAD_SIGNATURE' })).toContain('签名校验失败');
    expect(web.connectionTestText({ ok: true })).toContain('连接成功');
    web.setLanguage('en-US');
    expect(invalid({ reason: 'pay_way_unsupported', payWay: 'ALI_BAR', adapter: 'wechatpay' })).toContain(
      '“Alipay pay code”',
    );
    expect(invalid({ field: 'extra.openid', reason: 'required' })).toContain("“Payer's openid” is required");
    expect(web.connectionTestText({ ok: false, code: 'CHANNEL_UNREACHABLE' })).toMatch(/cannot be reached/);
    expect(web.errorText(new web.ApiError(409, 'COMPLETION_PASSWORD_NOT_SET', 'x'))).toMatch(
      /System settings/,
    );
  });
});
