import path from 'node:path';
import { temporaryPassword } from '../auth/console-users.ts';
import { registerSandboxMerchant } from '../channels/sandbox/server.ts';
import type { SandboxStore } from '../channels/sandbox/store.ts';
import { memberOfMerchant } from '../members/portal-queries.ts';
import { writePrivateFile } from '../private-files.ts';
import { DEFAULT_TERMS } from '../settlement/terms.ts';
import type { Config } from './config.ts';
import type { Services } from './services.ts';

export interface DemoCredentials {
  operator: { username: string; password: string };
  merchant: { mchNo: string; appId: string; appSecret: string; productCode: string };
  /** The demo merchant's store manager login (merchant portal). */
  merchantManager: { username: string; password: string };
  /** A static QR code of the demo store: the payer page is /pay/{code}. */
  staticQrCode: string;
  /**
   * A top-level agent (agent portal login) with a merchant of its own and that merchant's static QR
   * code: a payment there credits the agent's commission.
   */
  agent: { agentNo: string; username: string; password: string; mchNo: string; staticQrCode: string };
  /** The member portal's login of the demo marketplace's seller-1 (云杉家具有限公司), when it was seeded. */
  member?: DemoMemberLogin;
}

export interface DemoMemberLogin {
  memberNo: string;
  bizUserId: string;
  username: string;
  password: string;
}

/** The demo member whose portal login the demo sets up, and that login's username. */
export const DEMO_MEMBER = { bizUserId: 'seller-1', username: 'seller1' } as const;

export const DEMO_PRODUCT = 'sandbox_qr';
/** The demo merchant's withdrawals from 100 yuan wait for an operator's review. */
export const DEMO_REVIEW_THRESHOLD = 10_000n;

export function demoCredentialsPath(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'demo-credentials.json');
}

/**
 * On the first start with an empty database: an operator, a merchant with one app, and the
 * product `sandbox_qr` bound to two sandbox channel accounts. Written to
 * QY_DATA_DIR/demo-credentials.json (mode 0600; printed too by the embedded start, never with
 * DATABASE_URL). Returns null when the database has data.
 */
export async function seedDemo(
  services: Services,
  config: Config,
  sandbox: SandboxStore,
): Promise<DemoCredentials | null> {
  if ((await services.consoleUsers.countUsers('operator')) > 0) return null;
  const password = temporaryPassword();
  const operator = await services.consoleUsers.createSuperAdmin('admin', password, '演示运营 Demo operator');

  await services.catalog.createProduct({
    code: DEMO_PRODUCT,
    name: '沙箱扫码 Sandbox QR',
    currency: 'CNY',
    minAmount: 1n,
    maxAmount: 5_000_000n,
    defaultRatePpm: 6000,
  });
  await services.catalog.createChannel({ code: 'sandbox', name: '沙箱通道 Sandbox', adapterCode: 'sandbox' });
  const accounts = [
    { name: '沙箱账户 A', costRatePpm: 3800, weight: 70 },
    { name: '沙箱账户 B', costRatePpm: 4500, weight: 30 },
  ];
  for (const [index, a] of accounts.entries()) {
    // Registered in-process: a random mchId and a random key, known only to the sandbox's store and
    // to the channel account's sealed credentials.
    const merchant = (await registerSandboxMerchant(sandbox))!;
    const account = await services.catalog.createChannelAccount({
      channelCode: 'sandbox',
      name: a.name,
      credentials: merchant,
      rates: [{ productCode: DEMO_PRODUCT, costRatePpm: a.costRatePpm }],
    });
    // The first account also pays out (withdrawals, 代付); the sandbox's default outcome is async_succeed.
    if (index === 0) await services.catalog.updateChannelAccount(account.id, { payoutEnabled: true });
    await services.catalog.upsertBinding(
      DEMO_PRODUCT,
      account.id,
      {
        weight: a.weight,
        priority: 0,
        minAmount: null,
        maxAmount: null,
        dailyLimit: null,
        windowStart: null,
        windowEnd: null,
        enabled: true,
      },
      {
        // Asking for demo data (QY_DEMO=1 in production) is the operator's explicit consent.
        allowTestAccount: true,
      },
    );
  }

  const merchant = await services.merchants.createMerchant({
    name: '演示商户 Demo Merchant',
    shortName: '演示商户',
  });
  await services.catalog.setMerchantRate(merchant.id, DEMO_PRODUCT, 6000);
  // Settlement: the platform holds the demo merchant's funds and settles them at once (D0).
  await services.settlementTerms.setTerms(services.db, merchant.id, { ...DEFAULT_TERMS, cycle: 'D0' });
  const { app, secret } = await services.merchants.createApp(merchant.mch_no, { name: 'Demo app' });
  const managerPassword = temporaryPassword();
  const manager = await services.consoleUsers.createUser({
    area: 'merchant',
    username: 'demo_manager',
    password: managerPassword,
    displayName: '演示店长 Demo manager',
    merchantId: merchant.id,
    merchantRole: 'manager',
    mustChangePassword: false,
  });
  // A bound sandbox bank card, and review from 100 yuan: a small withdrawal goes at once, a larger one waits.
  await services.withdrawals.cards.bind(
    merchant.id,
    {
      holderName: '演示商户',
      accountNo: '6222000000000001234',
      bankName: '沙箱银行 Sandbox Bank',
      bankBranch: '沙箱支行 Sandbox Branch',
      cardType: 'corporate',
    },
    { review: false, userId: manager.id },
  );
  await services.withdrawals.rules.setOverrides(merchant.id, {
    minAmount: null,
    maxAmount: null,
    fixedFee: null,
    feeRatePpm: null,
    windowStart: null,
    windowEnd: null,
    dailyCount: null,
    dailyAmount: null,
    reviewThreshold: DEMO_REVIEW_THRESHOLD,
  });
  const counter = await services.collect.create(merchant.id, manager.id, {
    name: '演示门店 1 号收银台',
    productCodes: [DEMO_PRODUCT],
  });

  await seedDemoMarketplace(services, { merchantId: merchant.id, appId: app.appId });
  await seedDemoSplitRule(services, { merchantId: merchant.id, appId: app.appId });
  const agent = await seedDemoAgent(services, operator.id);
  // After the demo's members (seller-1, seller-2, buyer-1 in the demo app) are seeded.
  const member = await seedDemoMemberLogin(services, merchant.id);

  const credentials: DemoCredentials = {
    operator: { username: 'admin', password },
    merchant: { mchNo: merchant.mch_no, appId: app.appId, appSecret: secret, productCode: DEMO_PRODUCT },
    merchantManager: { username: 'demo_manager', password: managerPassword },
    staticQrCode: counter.code,
    agent,
    ...(member ? { member } : {}),
  };
  writePrivateFile(demoCredentialsPath(config), `${JSON.stringify(credentials, null, 2)}\n`);
  return credentials;
}

/**
 * 会员门户: a portal login `seller1` for the demo merchant's member seller-1, as if it had done its
 * first login. Only when that member exists, and only once: a member that already has a login is
 * left as it is (null).
 */
export async function seedDemoMemberLogin(
  services: Services,
  merchantId: bigint,
): Promise<DemoMemberLogin | null> {
  const member = await memberOfMerchant(services.db, merchantId, DEMO_MEMBER.bizUserId);
  if (!member) return null;
  if ((await services.consoleUsers.memberLoginsOf([member.id])).has(member.id)) return null;
  const password = temporaryPassword();
  await services.consoleUsers.createUser({
    area: 'member',
    username: DEMO_MEMBER.username,
    password,
    displayName: member.name,
    memberId: member.id,
  });
  return {
    memberNo: member.member_no,
    bizUserId: member.biz_user_id,
    username: DEMO_MEMBER.username,
    password,
  };
}

/**
 * 演示代理商: a top-level agent whose rate (5‰) sits between the sandbox accounts' costs (3.8‰, 4.5‰)
 * and its merchant's (6‰), so each payment of that merchant splits into channel cost, the agent's
 * commission and the platform's part; the merchant settles D0 like the demo merchant.
 */
async function seedDemoAgent(services: Services, operatorId: bigint): Promise<DemoCredentials['agent']> {
  const { agent } = await services.agents.createAgent(
    { name: '演示代理商 Demo agent', contact: '演示代理' },
    { rootId: null },
    operatorId,
  );
  await services.agents.setRate(agent.agent_no, DEMO_PRODUCT, { ratePpm: 5000 }, { rootId: null });
  const agentPassword = temporaryPassword();
  const agentUser = await services.consoleUsers.createUser({
    area: 'agent',
    username: 'demo_agent',
    password: agentPassword,
    displayName: '演示代理 Demo agent',
    agentId: agent.id,
    mustChangePassword: false,
  });
  // Its card, so the agent portal's 提现 can pay its settled commission out through the sandbox.
  await services.withdrawals.cards.bind(
    { kind: 'agent', id: agent.id },
    {
      holderName: '演示代理商',
      accountNo: '6222000000000005678',
      bankName: '沙箱银行 Sandbox Bank',
      bankBranch: '沙箱支行 Sandbox Branch',
      cardType: 'corporate',
    },
    { review: false, userId: agentUser.id },
  );
  const opened = await services.merchants.createMerchant({
    name: '演示代理商户 Demo agent merchant',
    shortName: '代理商户',
  });
  const merchant = await services.merchants.setAgent(opened.id, agent.id);
  await services.catalog.setMerchantRate(merchant.id, DEMO_PRODUCT, 6000);
  await services.settlementTerms.setTerms(services.db, merchant.id, { ...DEFAULT_TERMS, cycle: 'D0' });
  await services.merchants.createApp(merchant.mch_no, { name: 'Demo agent app' });
  const counter = await services.collect.create(merchant.id, operatorId, {
    name: '代理商户收银台',
    productCodes: [DEMO_PRODUCT],
  });
  return {
    agentNo: agent.agent_no,
    username: 'demo_agent',
    password: agentPassword,
    mchNo: merchant.mch_no,
    staticQrCode: counter.code,
  };
}

/** The demo marketplace's members: two sellers with a sandbox card each, and a buyer. */
const DEMO_MEMBERS = [
  {
    bizUserId: 'seller-1',
    type: 'enterprise',
    name: '云杉家具有限公司',
    idNo: '91330100MA2B3C5D6X',
    legalPersonName: '王云杉',
    phone: '13800000001',
    card: { accountNo: '6222000000000002001', bankName: '沙箱银行 Sandbox Bank' },
  },
  {
    bizUserId: 'seller-2',
    type: 'personal',
    name: '李木',
    idNo: '110101199003071237',
    phone: '13800000002',
    card: { accountNo: '6222000000000002002', bankName: '沙箱银行 Sandbox Bank' },
  },
  {
    bizUserId: 'buyer-1',
    type: 'personal',
    name: '赵小满',
    idNo: '110101199501011235',
    phone: '13800000003',
  },
] as const;

/**
 * A marketplace in the demo merchant's app (MON-9): the sellers 云杉家具有限公司 (seller-1) and
 * 李木 (seller-2), each with a sandbox card bound through the four-element check, and the buyer
 * buyer-1; all verified and active. Every step is idempotent, so a second run changes nothing.
 */
export async function seedDemoMarketplace(
  services: Services,
  demo: { merchantId: bigint; appId: string },
): Promise<void> {
  const app = await services.merchants.orderingApp(demo.merchantId, demo.appId);
  const scope = { merchantId: demo.merchantId, appDbId: app.appDbId };
  for (const input of DEMO_MEMBERS) {
    const { card, ...fields } = { card: undefined, ...input };
    const { member } = await services.members.create(scope, fields, { source: 'portal', via: 'portal' });
    const verified = await services.members.verify(member);
    const active = await services.members.setState(verified, 'active');
    if (card && (await services.members.cardsOf(active)).length === 0) {
      await services.members.bindCard(active, { ...card, phone: input.phone });
    }
  }
}

/** The demo's split rule: the order's payee receives, the merchant takes 5% commission. */
export const DEMO_SPLIT_RULE = '平台抽佣 5%';

/**
 * 分账规则: one enabled rule on the demo app, so the screen shows one — the order's payee (a member
 * named on the order) receives the payment, the demo merchant keeps 5% (50 000 ppm) of it as the
 * marketplace's commission. Once: a rule of that name already there is left as it is.
 */
export async function seedDemoSplitRule(
  services: Services,
  demo: { merchantId: bigint; appId: string },
): Promise<void> {
  const rules = await services.splits.rules.listRules(demo.merchantId);
  if (rules.some((r) => r.name === DEMO_SPLIT_RULE)) return;
  await services.splits.rules.createRule(demo.merchantId, {
    name: DEMO_SPLIT_RULE,
    appId: demo.appId,
    receiver: { kind: 'payee' },
    parties: [{ party: { kind: 'merchant' }, basis: 'ppm', value: 50_000n }],
  });
}
