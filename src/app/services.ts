import path from 'node:path';
import { AgentService, MAX_DEPTH_SETTING, parseMaxDepth } from '../agents/service.ts';
import { AuditService } from '../audit/service.ts';
import { ApiSignatureVerifier } from '../auth/api-signature.ts';
import { ConsoleUserService } from '../auth/console-users.ts';
import { logMailer, nullMailer, smtpMailer } from '../auth/mailer.ts';
import { RoleService } from '../auth/roles.ts';
import { SecretBox } from '../auth/secret-box.ts';
import { CatalogService } from '../catalog/service.ts';
import { ChannelGateway } from '../channels/gateway.ts';
import { CollectService } from '../collect/service.ts';
import type { Db } from '../db/index.ts';
import { ExportService } from '../exports/service.ts';
import { LedgerService } from '../ledger/service.ts';
import { MerchantService } from '../merchants/service.ts';
import { NotifyService } from '../notify/service.ts';
import { DocumentStore } from '../onboarding/documents.ts';
import { OnboardingService } from '../onboarding/service.ts';
import { CashierLinks } from '../orders/cashier-link.ts';
import { OrderService } from '../orders/service.ts';
import { PayoutService } from '../payouts/service.ts';
import { ReconciliationService } from '../reconciliation/service.ts';
import { RefundService } from '../refunds/service.ts';
import { getSetting } from '../settings/queries.ts';
import { SettingsService } from '../settings/service.ts';
import { DEFAULT_TERMS_SETTING, parseTerms, SettlementService } from '../settlement/service.ts';
import { SettlementTermsBook } from '../settlement/terms.ts';
import { StatementService } from '../statements/service.ts';
import { StatsService } from '../stats/service.ts';
import { BankCardService } from '../withdrawals/cards.ts';
import { WithdrawalRuleBook } from '../withdrawals/rules.ts';
import { WithdrawalService } from '../withdrawals/service.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

/** Every domain service, wired once per process. Routes and workers reach the domains through it. */
export interface Services {
  db: Db;
  log: Logger;
  secrets: SecretBox;
  consoleUsers: ConsoleUserService;
  roles: RoleService;
  audit: AuditService;
  settings: SettingsService;
  /** The consoles' CSV and XLSX exports: the row limit and the streaming of keyset pages. */
  exports: ExportService;
  stats: StatsService;
  signatures: ApiSignatureVerifier;
  merchants: MerchantService;
  catalog: CatalogService;
  channels: ChannelGateway;
  ledger: LedgerService;
  notify: NotifyService;
  orders: OrderService;
  refunds: RefundService;
  collect: CollectService;
  /** Per-merchant settlement terms (mode, cycle, reserve); the settlement domain's face for the others. */
  settlementTerms: SettlementTermsBook;
  /** Settlement: calendar, defaults, the settle job, reserve, daily balances, balance reads. */
  settlement: SettlementService;
  /** Payout orders (代付): withdrawals' payments to cards and third-party payouts. */
  payouts: PayoutService;
  /** Withdrawals, the merchants' bank cards and the withdrawal rules. */
  withdrawals: WithdrawalService;
  /** Agents (代理商): the tree, their rates, the merchants under them; the agent part of the rate rule. */
  agents: AgentService;
  /** Merchant onboarding (进件): applications, their documents and review, the blacklist. */
  onboarding: OnboardingService;
  /** Reconciliation against the channels' statements (对账). */
  reconciliation: ReconciliationService;
  /** Merchants' statements (商户对账单): a day's and a month's files. */
  statements: StatementService;
}

export function createServices(db: Db, config: Config, log: Logger, publicUrl: () => string): Services {
  const secrets = new SecretBox(config.masterKey);
  // Without SMTP, reset codes are logged in the embedded demo and not sent at all in production.
  const mailer = config.smtpUrl
    ? smtpMailer(config.smtpUrl, config.smtpFrom, log)
    : config.databaseUrl
      ? nullMailer(log)
      : logMailer(log);
  const merchants = new MerchantService(db, secrets);
  // Production binds a test (sandbox) account to a product only when the operator says so.
  const catalog = new CatalogService(db, secrets, { testAccountsNeedConsent: Boolean(config.databaseUrl) });
  const channels = new ChannelGateway(catalog, publicUrl, config.channelTimeoutMs);
  const ledger = new LedgerService(db);
  const notify = new NotifyService(db, merchants, {
    scheduleSeconds: config.notifyScheduleSeconds,
    deliveryTimeoutMs: config.notifyTimeoutMs,
    allowPrivateAddresses: config.notifyPrivateAddresses,
    log,
  });
  // Merchants without their own terms have the platform's defaults (settings: settlement.defaultTerms).
  const settlementTerms = new SettlementTermsBook(db, async () =>
    parseTerms(await getSetting(db, DEFAULT_TERMS_SETTING)),
  );
  const orders = new OrderService(db, catalog, channels, ledger, notify, {
    settlementModeOf: async (merchantId) => (await settlementTerms.termsOf(merchantId)).mode,
    publicUrl,
    cashierLinks: new CashierLinks(config.masterKey),
    timeZone: config.timeZone,
    queryScheduleSeconds: config.orderQueryScheduleSeconds,
    log,
  });
  const consoleUsers = new ConsoleUserService(db, secrets, mailer, config.authGuessesPerIp);
  const payouts = new PayoutService(
    db,
    { ledger, channels, catalog, notify, merchants, orders, secrets, settlementTerms },
    {
      log,
      timeZone: config.timeZone,
      // Test orders settle (and test accounts pay out) on the embedded database, not with DATABASE_URL.
      settleTestOrdersDefault: !config.databaseUrl,
    },
  );
  const withdrawals = new WithdrawalService(
    db,
    ledger,
    new BankCardService(db, secrets),
    new WithdrawalRuleBook(db),
    settlementTerms,
    notify,
    merchants,
    { timeZone: config.timeZone, log },
  );
  const agents = new AgentService(db, catalog, merchants, consoleUsers, {
    maxDepth: async () => parseMaxDepth(await getSetting(db, MAX_DEPTH_SETTING)),
  });
  const onboarding = new OnboardingService(
    db,
    {
      secrets,
      documents: new DocumentStore(
        config.uploadDir ?? path.join(config.dataDir, 'uploads', 'onboarding'),
        secrets,
      ),
      merchants,
      catalog,
      agents,
      cards: withdrawals.cards,
      consoleUsers,
    },
    config.masterKey,
  );
  // The catalog checks merchants' rates and channel costs against the agents' through this hook.
  catalog.attachAgentRule(agents);
  // Orders take their merchant's agent chain when they are created (agents depend on orders' peers).
  orders.attachAgentChains((merchantId, product) => agents.chainFor(merchantId, product));
  // Approved withdrawals become payout orders; their outcomes come back in the payout's transaction.
  withdrawals.attachPayouts(payouts);
  const stats = new StatsService(db, merchants, catalog, { timeZone: config.timeZone });
  stats.attach({
    agentsByIds: (ids) => agents.byIds(ids),
    withdrawnByDay: (merchantId, from, to) => withdrawals.withdrawnByDay(merchantId, from, to),
  });
  return {
    db,
    log,
    secrets,
    consoleUsers,
    roles: new RoleService(db),
    audit: new AuditService(db),
    settings: new SettingsService(db),
    exports: new ExportService(db, config.timeZone),
    stats,
    signatures: new ApiSignatureVerifier(db, merchants),
    merchants,
    catalog,
    channels,
    ledger,
    notify,
    orders,
    refunds: new RefundService(db, orders, ledger, channels, notify, { log }),
    collect: new CollectService(db, merchants, catalog, consoleUsers, orders, { publicUrl }),
    settlementTerms,
    settlement: new SettlementService(db, ledger, settlementTerms, {
      timeZone: config.timeZone,
      embedded: !config.databaseUrl,
      log,
    }),
    payouts,
    withdrawals,
    agents,
    onboarding,
    reconciliation: new ReconciliationService(
      db,
      { channels, catalog, orders },
      { timeZone: config.timeZone, log },
    ),
    statements: new StatementService(
      db,
      { merchantsByIds: (ids) => merchants.merchantsByIds(ids), terms: settlementTerms },
      { timeZone: config.timeZone },
    ),
  };
}
