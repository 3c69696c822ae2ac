import path from 'node:path';
import { AgentService, MAX_DEPTH_SETTING, parseMaxDepth } from '../agents/service.ts';
import { builtInDetectors } from '../alerts/detectors.ts';
import { AlertService } from '../alerts/service.ts';
import { AuditService } from '../audit/service.ts';
import { ApiSignatureVerifier } from '../auth/api-signature.ts';
import { ConsoleUserService } from '../auth/console-users.ts';
import { RoleService } from '../auth/roles.ts';
import { SecretBox } from '../auth/secret-box.ts';
import { type BotReads, BotService } from '../bot/service.ts';
import { CatalogService } from '../catalog/service.ts';
import { ChannelGateway } from '../channels/gateway.ts';
import { CollectService } from '../collect/service.ts';
import { epayNotifyFormatter, jeepayNotifyFormatter } from '../compat/notify.ts';
import { type ConfigBus, localConfigBus, postgresConfigBus } from '../config-bus.ts';
import { type Db, openPostgres } from '../db/index.ts';
import {
  DEFAULT_READ_MAX_LAG_MS,
  primaryReads,
  READ_CHECK_EVERY_MS,
  type ReadDb,
  replicaReads,
} from '../db/read-replica.ts';
import { ExportService } from '../exports/service.ts';
import { HealthService } from '../health/service.ts';
import { HistoryService } from '../history/service.ts';
import { LedgerService } from '../ledger/service.ts';
import { MemberImportService } from '../members/import.ts';
import { MemberOnboarding } from '../members/onboarding.ts';
import { MemberService } from '../members/service.ts';
import { SandboxVerifier } from '../members/verifier.ts';
import { MerchantService } from '../merchants/service.ts';
import { codeMailer } from '../notifications/code-mailer.ts';
import { NotificationService } from '../notifications/service.ts';
import type { Notifier } from '../notifications/types.ts';
import { NotifyService } from '../notify/service.ts';
import { DocumentStore } from '../onboarding/documents.ts';
import { OnboardingService } from '../onboarding/service.ts';
import { CashierLinks } from '../orders/cashier-link.ts';
import { OrderService } from '../orders/service.ts';
import { PayoutService } from '../payouts/service.ts';
import { ReconciliationService } from '../reconciliation/service.ts';
import { RecycleService } from '../recycle/service.ts';
import { RefundService } from '../refunds/service.ts';
import { PlatformSettingsService } from '../settings/platform.ts';
import { getSetting } from '../settings/queries.ts';
import { SettingsService } from '../settings/service.ts';
import { DEFAULT_TERMS_SETTING, parseTerms, SettlementService } from '../settlement/service.ts';
import { SettlementTermsBook } from '../settlement/terms.ts';
import { SplitService } from '../splits/service.ts';
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
  /**
   * The screens' reads (dashboards, lists, exports, statements, statistics): a streaming replica
   * while it is close behind, else `db`. Every write and every read that decides money uses `db`.
   */
  reads: ReadDb;
  log: Logger;
  secrets: SecretBox;
  consoleUsers: ConsoleUserService;
  roles: RoleService;
  audit: AuditService;
  settings: SettingsService;
  /**
   * The settings operators change in 支付配置 and 系统设置 (order numbers, notify schedule, session
   * and password policies, site name and logo), applied on every node without a restart.
   */
  platformSettings: PlatformSettingsService;
  /** Announces configuration changes to every process, so their caches forget them (src/config-bus.ts). */
  configBus: ConfigBus;
  /** The consoles' CSV and XLSX exports: the row limit and the streaming of keyset pages. */
  exports: ExportService;
  stats: StatsService;
  /** Channel health: the circuit breakers per channel account, their settings and transitions. */
  health: HealthService;
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
  /** Marketplace members of merchants' apps (MON-9). */
  members: MemberService;
  /** Members' self-service onboarding by signing link (签约链接). */
  memberOnboarding: MemberOnboarding;
  /** Batch import of members and their cards, with its review (issue 17). */
  memberImports: MemberImportService;
  /** Splits, escrow and commission of marketplace orders (MON-7, MON-8). */
  splits: SplitService;
  /** Merchant onboarding (进件): applications, their documents and review, the blacklist. */
  onboarding: OnboardingService;
  /** Reconciliation against the channels' statements (对账). */
  reconciliation: ReconciliationService;
  /** Merchants' statements (商户对账单): a day's and a month's files. */
  statements: StatementService;
  /** Operations alerts: detectors, their alerts' states, routing to recipients. */
  alerts: AlertService;
  /** The recycle bin (回收站): soft deletes, restore, purge after the retention. */
  recycle: RecycleService;
  /** The history tables' months: prepared ahead, archived past the retention, restored on demand. */
  history: HistoryService;
  /** The Telegram bot (机器人): groups bound to operators or merchants, commands, the telegram transport. */
  bot: BotService;
  /**
   * Notifications over e-mail, SMS and Telegram (NT-1): the `Notifier` other domains send through,
   * `registerTransport` for the Telegram bot; templates, delivery log, blacklist, quiet hours.
   */
  notifications: NotificationService;
}

/**
 * `notifier` sends alerts to people: the notifications domain's unless a test gives its own.
 */
export function createServices(
  db: Db,
  config: Config,
  log: Logger,
  publicUrl: () => string,
  notifier?: Notifier,
): Services {
  const secrets = new SecretBox(config.masterKey);
  const reads = openReads(db, config, log);
  // One process on PGlite; on PostgreSQL every node LISTENs on its own connection.
  const configBus = db.listenUrl ? postgresConfigBus(db.listenUrl, { db, log }) : localConfigBus();
  const platformSettings = new PlatformSettingsService(db, {
    notifyScheduleSeconds: config.notifyScheduleSeconds,
  });
  // E-mail goes through QY_SMTP_URL until operators set an SMTP server in 通知设置; without either,
  // reset codes are logged in the embedded demo and not sent at all in production.
  const notifications = new NotificationService(db, secrets, {
    log,
    timeZone: config.timeZone,
    ...(config.smtpUrl ? { smtpUrl: config.smtpUrl } : {}),
    smtpFrom: config.smtpFrom,
    embedded: !config.databaseUrl,
  });
  const mailer = codeMailer(notifications, log, !config.databaseUrl);
  const merchants = new MerchantService(db, secrets);
  // Production binds a test (sandbox) account to a product only when the operator says so.
  const catalog = new CatalogService(db, secrets, { testAccountsNeedConsent: Boolean(config.databaseUrl) });
  const channels = new ChannelGateway(catalog, publicUrl, config.channelTimeoutMs);
  const ledger = new LedgerService(db);
  const notify = new NotifyService(db, merchants, {
    scheduleSeconds: config.notifyScheduleSeconds,
    // The operators' schedule (系统设置) when they set one; QY_NOTIFY_SCHEDULE stays the default.
    currentSchedule: (q) => platformSettings.notifySchedule(q),
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
    orderNumberRule: () => platformSettings.orderNumberRule(),
    log,
    reads,
  });
  const consoleUsers = new ConsoleUserService(db, secrets, mailer, config.authGuessesPerIp, {
    sessionPolicy: () => platformSettings.sessionPolicy(),
    passwordPolicy: () => platformSettings.passwordPolicy(),
  });
  const payouts = new PayoutService(
    db,
    { ledger, channels, catalog, notify, merchants, orders, secrets, settlementTerms },
    {
      log,
      timeZone: config.timeZone,
      // Test orders settle (and test accounts pay out) on the embedded database, not with DATABASE_URL.
      settleTestOrdersDefault: !config.databaseUrl,
      reads,
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
    { timeZone: config.timeZone, log, reads },
  );
  const members = new MemberService(
    db,
    { secrets, ledger, withdrawals, verifier: new SandboxVerifier(), notifications },
    {
      timeZone: config.timeZone,
      log,
      ...(config.databaseUrl ? {} : { logsInstead: (message: string) => log.warn({}, message) }),
    },
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
  // Every cache of configuration forgets what another node changed (src/config-bus.ts).
  for (const holder of [catalog, merchants, agents, settlementTerms, platformSettings]) {
    holder.attachConfigBus(configBus);
  }
  const stats = new StatsService(db, merchants, catalog, { timeZone: config.timeZone, reads });
  // The circuit breakers watch every create through the gateway and weigh every route.
  const health = new HealthService(db, {
    log,
    paymentWindows: (since) => stats.channelPaymentWindows(since),
  });
  channels.attachObserver(health);
  orders.attachRouteHealth(() => health.routeHealth());
  stats.attach({
    agentsByIds: (ids) => agents.byIds(ids),
    withdrawnByDay: (merchantId, from, to) => withdrawals.withdrawnByDay(merchantId, from, to),
  });
  const refunds = new RefundService(db, orders, ledger, channels, notify, { log, reads });
  const splits = new SplitService(db, {
    ledger,
    members,
    appRowIdOf: (merchantId, appId) => merchants.appRowIdOf(merchantId, appId),
    settlementModeOf: async (merchantId) => (await settlementTerms.termsOf(merchantId)).mode,
    lockOrder: async (q, orderId) => {
      const order = await orders.lockForRefund(q, orderId);
      return order ? { settled: order.settled_at != null } : null;
    },
    settledOrders: (orderIds) => orders.settledOrderIds(orderIds),
    merchantNameOf: async (merchantId) =>
      (await merchants.merchantsByIds([merchantId])).get(merchantId)?.name ?? '',
  });
  orders.attachMarketplace(splits.terms);
  refunds.attachSplits(splits.refunds);
  stats.marketplace.attach({
    inflow: (s) => splits.inflowByDay(s),
    refunds: (s) => refunds.marketplaceRefundsByDay(s),
    transfers: (s) => members.transfersByDay(s),
    withdrawals: (s) => withdrawals.memberWithdrawalsByDay(s),
  });
  // Apps that speak Jeepay's or epay's protocol get their notifies in that protocol (src/compat/).
  notify.attachFormatter('jeepay', jeepayNotifyFormatter({ merchants, orders, refunds }));
  notify.attachFormatter('epay', epayNotifyFormatter({ merchants, orders, refunds }));
  const reconciliation = new ReconciliationService(
    db,
    { channels, catalog, orders },
    { timeZone: config.timeZone, log },
  );
  const alerts = new AlertService(
    db,
    { notifier: notifier ?? notifications, orders },
    { timeZone: config.timeZone, log, publicUrl },
  );
  for (const detector of builtInDetectors({
    stats,
    orders,
    notify,
    reconciliation,
    catalog,
    merchants,
    health,
    settings: () => alerts.settings(),
    timeZone: config.timeZone,
  }))
    alerts.register(detector);
  const audit = new AuditService(db, reads);
  const settlement = new SettlementService(db, ledger, settlementTerms, {
    timeZone: config.timeZone,
    embedded: !config.databaseUrl,
    log,
  });
  const bot = new BotService(
    db,
    secrets,
    botReads({ merchants, settlement, ledger, stats, orders, notify, catalog, health }),
    {
      masterKey: config.masterKey,
      timeZone: config.timeZone,
      publicUrl,
      log,
    },
  );
  // Messages to Telegram chats (alerts routed to a group) go out through the bot.
  notifications.registerTransport(bot.transport());
  return {
    db,
    reads,
    log,
    secrets,
    consoleUsers,
    roles: new RoleService(db),
    audit,
    settings: new SettingsService(db),
    platformSettings,
    configBus,
    exports: new ExportService(db, config.timeZone),
    stats,
    health,
    signatures: new ApiSignatureVerifier(db, merchants),
    merchants,
    catalog,
    channels,
    ledger,
    notify,
    orders,
    refunds,
    collect: new CollectService(db, merchants, catalog, consoleUsers, orders, { publicUrl }),
    settlementTerms,
    settlement,
    payouts,
    withdrawals,
    agents,
    members,
    memberOnboarding: new MemberOnboarding(
      db,
      { secrets, members, merchants, cards: withdrawals.cards, mailer },
      { publicUrl },
    ),
    memberImports: new MemberImportService(db, { secrets, members }),
    splits,
    onboarding,
    reconciliation,
    statements: new StatementService(
      db,
      { merchantsByIds: (ids) => merchants.merchantsByIds(ids), terms: settlementTerms },
      { timeZone: config.timeZone, reads },
    ),
    alerts,
    recycle: new RecycleService(db, { merchants, catalog, audit }),
    history: new HistoryService(db, {
      archiveDir: config.archiveDir ?? path.join(config.dataDir, 'archive'),
    }),
    bot,
    notifications,
  };
}

/** The replica named by DATABASE_READ_URL behind the primary, or the primary alone (PGlite, unset). */
function openReads(db: Db, config: Config, log: Logger): ReadDb {
  if (db.kind !== 'postgres' || !config.databaseReadUrl) return primaryReads(db);
  // A small pool: the screens' reads are few beside the payments the primary's pool serves.
  return replicaReads(db, openPostgres(config.databaseReadUrl, 10), {
    maxLagMs: config.readMaxLagMs ?? DEFAULT_READ_MAX_LAG_MS,
    checkEveryMs: READ_CHECK_EVERY_MS,
    onChange: (now) =>
      now.target === 'replica'
        ? log.info({ lagMs: now.lagMs }, 'read replica: the screens read from the replica')
        : log.warn(
            { reason: now.reason, lagMs: now.lagMs, maxLagMs: now.maxLagMs },
            'read replica: the screens read from the primary',
          ),
  });
}

/**
 * What the bot reads, each from its own domain: balances from settlement and the ledger, figures
 * and channel rates from the stats rollups, orders through the consoles' number search, failed
 * notifies from the notify outbox. Test orders count where the consoles count them by default
 * (a platform with only test channel accounts, the demo).
 */
function botReads(d: {
  merchants: MerchantService;
  settlement: SettlementService;
  ledger: LedgerService;
  stats: StatsService;
  orders: OrderService;
  notify: NotifyService;
  catalog: CatalogService;
  health: HealthService;
}): BotReads {
  const sum = (balances: Map<string, bigint>) =>
    [...balances].filter(([key]) => key.endsWith(':CNY')).reduce((total, [, value]) => total + value, 0n);
  return {
    async merchantLabel(merchantId) {
      const m = (await d.merchants.merchantsByIds([merchantId])).get(merchantId);
      return m ? { name: m.short_name || m.name, mchNo: m.mch_no } : undefined;
    },
    async merchantBalance(merchantId) {
      const b = await d.settlement.balanceOf(merchantId);
      return { ...b, mode: b.mode };
    },
    async platformBalance() {
      const [available, pending, frozen, reserved] = await Promise.all(
        (['merchant_available', 'merchant_pending', 'merchant_frozen', 'merchant_reserved'] as const).map(
          (kind) => d.ledger.guardedBalancesOfKind(kind),
        ),
      );
      return {
        merchantsAvailable: sum(available!),
        merchantsPending: sum(pending!),
        merchantsFrozen: sum(frozen!),
        merchantsReserved: sum(reserved!),
      };
    },
    async today(merchantId) {
      const f = await d.stats.todayFigures(merchantId, { includeTest: await d.catalog.testDataOnly() });
      const decided = f.orderCount - f.pendingCount;
      return {
        date: f.date,
        orderCount: f.orderCount,
        paidCount: f.paidCount,
        paidAmount: BigInt(f.paidAmount),
        successRate: decided > 0 ? f.successRate : null,
      };
    },
    async channels() {
      const [rates, circuits] = await Promise.all([
        d.stats.liveChannelRates({ includeTest: await d.catalog.testDataOnly() }),
        d.health.openCircuits(),
      ]);
      const circuitOf = new Map(circuits.map((c) => [c.channelAccountId, c.state]));
      return rates.map((r) => ({
        name: r.name,
        circuit: circuitOf.get(r.channelAccountId),
        last15: r.last15.decided > 0 ? r.last15.successRate : null,
        last60: r.last60.decided > 0 ? r.last60.successRate : null,
        falling: r.falling,
      }));
    },
    async findOrders(search, merchantId, limit) {
      const { rows } = await d.orders.list({ merchantId: merchantId ?? undefined, search, limit });
      const merchants =
        merchantId === null ? await d.merchants.merchantsByIds(rows.map((r) => r.merchant_id)) : null;
      return rows.map((r) => {
        const m = merchants?.get(r.merchant_id);
        return {
          orderNo: r.order_no,
          mchOrderNo: r.mch_order_no,
          channelOrderNo: r.channel_order_no,
          merchant: m ? `${m.short_name || m.name} (${m.mch_no})` : null,
          amount: r.amount,
          state: r.state,
          createdAt: r.created_at,
          paidAt: r.paid_at,
        };
      });
    },
    async largePayments(f) {
      const rows = await d.orders.largePayments(f);
      return rows.map((r) => ({
        orderNo: r.order_no,
        mchOrderNo: r.mch_order_no,
        merchantId: r.merchant_id,
        amount: r.amount,
        paidAt: r.paid_at!,
      }));
    },
    async failedNotifies(f) {
      const rows = await d.notify.failedBetween(f);
      const numbers = new Map(
        (await d.orders.numbersOf(rows.flatMap((r) => (r.order_id === null ? [] : [r.order_id])))).map(
          (o) => [o.id, o.order_no],
        ),
      );
      return rows.map((r) => ({
        id: r.id,
        merchantId: r.merchant_id,
        orderNo: r.order_id === null ? null : (numbers.get(r.order_id) ?? null),
        eventType: r.event_type,
        attempts: r.attempts,
        at: r.updated_at,
      }));
    },
  };
}
