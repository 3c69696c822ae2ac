import {
  AccountBookOutlined,
  AlertOutlined,
  ApartmentOutlined,
  ApiOutlined,
  AppstoreOutlined,
  AuditOutlined,
  BankOutlined,
  BellOutlined,
  BranchesOutlined,
  CalendarOutlined,
  ControlOutlined,
  CreditCardOutlined,
  DashboardOutlined,
  DeleteOutlined,
  DiffOutlined,
  ExperimentOutlined,
  FileDoneOutlined,
  ImportOutlined,
  NotificationOutlined,
  RobotOutlined,
  RollbackOutlined,
  SendOutlined,
  SettingOutlined,
  ShopOutlined,
  SolutionOutlined,
  StopOutlined,
  TeamOutlined,
  UnorderedListOutlined,
  UserSwitchOutlined,
} from '@ant-design/icons';
import { type MenuDataItem, ProLayout } from '@ant-design/pro-components';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, Route, Routes, useLocation } from 'react-router';
import { HeaderActions } from '../shell/HeaderActions.tsx';
import { lazyScreen, ScreenSuspense } from '../shell/lazyScreen.tsx';
import { Forbidden, NotFound } from '../shell/Results.tsx';
import { useCan } from '../shell/session.tsx';
import { useSiteBrand } from '../shell/site.tsx';
import { AlertBadge } from './alerts/AlertBadge.tsx';
import { OPERATOR_SCREENS } from './screens.ts';

const BASE = '/operator';

// Each screen is its own chunk, loaded when first opened (the charts only with the dashboard).
const AgentsPage = lazyScreen(OPERATOR_SCREENS.AgentsPage, 'AgentsPage');
const AgentDetailPage = lazyScreen(OPERATOR_SCREENS.AgentDetailPage, 'AgentDetailPage');
const ChannelsPage = lazyScreen(OPERATOR_SCREENS.ChannelsPage, 'ChannelsPage');
const DashboardPage = lazyScreen(OPERATOR_SCREENS.DashboardPage, 'DashboardPage');
const MerchantDetailPage = lazyScreen(OPERATOR_SCREENS.MerchantDetailPage, 'MerchantDetailPage');
const MerchantsPage = lazyScreen(OPERATOR_SCREENS.MerchantsPage, 'MerchantsPage');
const OrdersPage = lazyScreen(OPERATOR_SCREENS.OrdersPage, 'OrdersPage');
const ProductsPage = lazyScreen(OPERATOR_SCREENS.ProductsPage, 'ProductsPage');
const RefundsPage = lazyScreen(OPERATOR_SCREENS.RefundsPage, 'RefundsPage');
const RoutingPage = lazyScreen(OPERATOR_SCREENS.RoutingPage, 'RoutingPage');
const TestOrderPage = lazyScreen(OPERATOR_SCREENS.TestOrderPage, 'TestOrderPage');
const WithdrawalsPage = lazyScreen(OPERATOR_SCREENS.WithdrawalsPage, 'WithdrawalsPage');
const PayoutsPage = lazyScreen(OPERATOR_SCREENS.PayoutsPage, 'PayoutsPage');
const SettlementsPage = lazyScreen(OPERATOR_SCREENS.SettlementsPage, 'SettlementsPage');
const BalancesPage = lazyScreen(OPERATOR_SCREENS.BalancesPage, 'BalancesPage');
const SettlementCalendarPage = lazyScreen(OPERATOR_SCREENS.SettlementCalendarPage, 'SettlementCalendarPage');
const ReconciliationPage = lazyScreen(OPERATOR_SCREENS.ReconciliationPage, 'ReconciliationPage');
const BankCardsPage = lazyScreen(OPERATOR_SCREENS.BankCardsPage, 'BankCardsPage');
const OnboardingPage = lazyScreen(OPERATOR_SCREENS.OnboardingPage, 'OnboardingPage');
const MemberImportsPage = lazyScreen(OPERATOR_SCREENS.MemberImportsPage, 'MemberImportsPage');
const BlacklistPage = lazyScreen(OPERATOR_SCREENS.BlacklistPage, 'BlacklistPage');
const AuditPage = lazyScreen(OPERATOR_SCREENS.AuditPage, 'AuditPage');
const OperatorsPage = lazyScreen(OPERATOR_SCREENS.OperatorsPage, 'OperatorsPage');
const RolesPage = lazyScreen(OPERATOR_SCREENS.RolesPage, 'RolesPage');
const SettingsPage = lazyScreen(OPERATOR_SCREENS.SettingsPage, 'SettingsPage');
const AlertsPage = lazyScreen(OPERATOR_SCREENS.AlertsPage, 'AlertsPage');
const AlertRoutesPage = lazyScreen(OPERATOR_SCREENS.AlertRoutesPage, 'AlertRoutesPage');
const RecycleBinPage = lazyScreen(OPERATOR_SCREENS.RecycleBinPage, 'RecycleBinPage');
const PaymentConfigPage = lazyScreen(OPERATOR_SCREENS.PaymentConfigPage, 'PaymentConfigPage');
const BotPage = lazyScreen(OPERATOR_SCREENS.BotPage, 'BotPage');
const NotificationsPage = lazyScreen(OPERATOR_SCREENS.NotificationsPage, 'NotificationsPage');

/**
 * What opens a screen: every permission of a list, or (`{ any }`) one of several, for the settings
 * page, which holds the completion password (settings.write) and the finance defaults (finance.read).
 */
type Access = string | readonly string[] | { any: readonly string[] };

/** One screen of the console: its path under /operator, the permission it needs, its menu place. */
interface Screen {
  path: string;
  permission: Access;
  element: ReactNode;
}

const SETTINGS_ACCESS: Access = { any: ['settings.write', 'finance.read'] };

/** `useCan` that also takes `{ any }`. */
function useAccess(): (access: Access) => boolean {
  const can = useCan();
  return (access) =>
    typeof access === 'object' && 'any' in access ? access.any.some((p) => can(p)) : can(access);
}

const SCREENS: Screen[] = [
  { path: 'dashboard', permission: 'stats.read', element: <DashboardPage /> },
  { path: 'merchants', permission: 'merchant.read', element: <MerchantsPage /> },
  { path: 'merchants/:mchNo', permission: 'merchant.read', element: <MerchantDetailPage /> },
  { path: 'agents', permission: 'agents.read', element: <AgentsPage /> },
  { path: 'agents/:agentNo', permission: 'agents.read', element: <AgentDetailPage /> },
  { path: 'products', permission: 'catalog.read', element: <ProductsPage /> },
  { path: 'channels', permission: 'catalog.read', element: <ChannelsPage /> },
  { path: 'routing', permission: 'catalog.read', element: <RoutingPage /> },
  { path: 'orders', permission: 'order.read', element: <OrdersPage /> },
  { path: 'refunds', permission: 'order.read', element: <RefundsPage /> },
  {
    path: 'test-order',
    permission: ['order.test', 'merchant.read', 'catalog.read'],
    element: <TestOrderPage />,
  },
  { path: 'withdrawals', permission: 'finance.read', element: <WithdrawalsPage /> },
  { path: 'payouts', permission: 'finance.read', element: <PayoutsPage /> },
  { path: 'settlements', permission: 'finance.read', element: <SettlementsPage /> },
  { path: 'balances', permission: 'finance.read', element: <BalancesPage /> },
  { path: 'settlement-calendar', permission: 'finance.read', element: <SettlementCalendarPage /> },
  { path: 'reconciliation', permission: 'reconciliation.read', element: <ReconciliationPage /> },
  { path: 'bank-cards', permission: 'finance.read', element: <BankCardsPage /> },
  { path: 'onboarding', permission: 'onboarding.read', element: <OnboardingPage /> },
  { path: 'member-imports', permission: 'merchant.read', element: <MemberImportsPage /> },
  { path: 'blacklist', permission: 'onboarding.read', element: <BlacklistPage /> },
  { path: 'system/operators', permission: 'operator.read', element: <OperatorsPage /> },
  { path: 'system/roles', permission: 'operator.read', element: <RolesPage /> },
  { path: 'system/audit', permission: 'audit.read', element: <AuditPage /> },
  { path: 'system/settings', permission: SETTINGS_ACCESS, element: <SettingsPage /> },
  { path: 'alerts', permission: 'alerts.read', element: <AlertsPage /> },
  { path: 'alert-routes', permission: 'alerts.read', element: <AlertRoutesPage /> },
  { path: 'system/recycle-bin', permission: 'recycle.read', element: <RecycleBinPage /> },
  { path: 'payment-config', permission: 'catalog.read', element: <PaymentConfigPage /> },
  { path: 'system/bot', permission: 'bot.manage', element: <BotPage /> },
  { path: 'system/notifications', permission: 'settings.write', element: <NotificationsPage /> },
];

/** The side menu, grouped; an item the role cannot open is left out, and so is an empty group. */
function useMenu(): MenuDataItem[] {
  const { t } = useTranslation('operator');
  const can = useAccess();
  const item = (path: string, icon: ReactNode, permission: Access): MenuDataItem | null =>
    can(permission) ? { path: `${BASE}/${path}`, name: t(`menu.${path}`), icon } : null;
  const groups: { key: string; items: (MenuDataItem | null)[] }[] = [
    { key: 'overview', items: [item('dashboard', <DashboardOutlined />, 'stats.read')] },
    {
      key: 'business',
      items: [
        item('merchants', <ShopOutlined />, 'merchant.read'),
        item('agents', <ApartmentOutlined />, 'agents.read'),
        item('onboarding', <SolutionOutlined />, 'onboarding.read'),
        item('member-imports', <ImportOutlined />, 'merchant.read'),
        item('blacklist', <StopOutlined />, 'onboarding.read'),
      ],
    },
    {
      key: 'catalog',
      items: [
        item('products', <AppstoreOutlined />, 'catalog.read'),
        item('channels', <ApiOutlined />, 'catalog.read'),
        item('routing', <BranchesOutlined />, 'catalog.read'),
        item('payment-config', <ControlOutlined />, 'catalog.read'),
      ],
    },
    {
      key: 'trade',
      items: [
        item('orders', <UnorderedListOutlined />, 'order.read'),
        item('refunds', <RollbackOutlined />, 'order.read'),
        item('test-order', <ExperimentOutlined />, ['order.test', 'merchant.read', 'catalog.read']),
      ],
    },
    {
      key: 'finance',
      items: [
        item('withdrawals', <AccountBookOutlined />, 'finance.read'),
        item('payouts', <SendOutlined />, 'finance.read'),
        item('settlements', <FileDoneOutlined />, 'finance.read'),
        item('balances', <BankOutlined />, 'finance.read'),
        item('settlement-calendar', <CalendarOutlined />, 'finance.read'),
        item('reconciliation', <DiffOutlined />, 'reconciliation.read'),
        item('bank-cards', <CreditCardOutlined />, 'finance.read'),
      ],
    },
    {
      key: 'monitor',
      items: [
        item('alerts', <AlertOutlined />, 'alerts.read'),
        item('alert-routes', <NotificationOutlined />, 'alerts.read'),
      ],
    },
    {
      key: 'system',
      items: [
        item('system/operators', <TeamOutlined />, 'operator.read'),
        item('system/roles', <UserSwitchOutlined />, 'operator.read'),
        item('system/audit', <AuditOutlined />, 'audit.read'),
        item('system/settings', <SettingOutlined />, SETTINGS_ACCESS),
        item('system/recycle-bin', <DeleteOutlined />, 'recycle.read'),
        item('system/bot', <RobotOutlined />, 'bot.manage'),
        item('system/notifications', <BellOutlined />, 'settings.write'),
      ],
    },
  ];
  return groups
    .map((g) => ({
      path: `${BASE}/~${g.key}`,
      name: t(`menuGroup.${g.key}`),
      children: g.items.filter((i): i is MenuDataItem => i !== null),
    }))
    .filter((g) => g.children.length > 0);
}

/** The first screen this role may open: the console's home. */
function useHome(): string | null {
  const can = useAccess();
  const order = [
    'dashboard',
    'orders',
    'merchants',
    'products',
    'test-order',
    'withdrawals',
    'system/audit',
    'system/operators',
  ];
  const first = order.find((path) => {
    const screen = SCREENS.find((s) => s.path === path);
    return screen && can(screen.permission);
  });
  return first ? `${BASE}/${first}` : null;
}

/** The operator console: ProLayout with the grouped menu, header actions and the screens under /operator. */
export function OperatorApp() {
  const { t } = useTranslation(['operator', 'common']);
  const location = useLocation();
  const can = useAccess();
  const menu = useMenu();
  const home = useHome();

  const brand = useSiteBrand(28);
  return (
    <ProLayout
      title={brand.title}
      logo={brand.logo}
      layout="mix"
      fixSiderbar
      fixedHeader
      siderWidth={220}
      location={{ pathname: location.pathname }}
      route={{ path: BASE, children: menu }}
      menu={{ type: 'group', locale: false }}
      menuItemRender={(item, dom) => (item.path ? <Link to={item.path}>{dom}</Link> : dom)}
      onMenuHeaderClick={() => undefined}
      headerTitleRender={(logo, title) => (
        <Link to={home ?? BASE} style={{ display: 'flex', alignItems: 'center', gap: 8 }}>
          {logo}
          {title}
          <span style={{ fontSize: 12, fontWeight: 400, color: 'rgba(0,0,0,0.6)', marginLeft: 4 }}>
            {t('common:areas.operator')}
          </span>
        </Link>
      )}
      actionsRender={() => [<AlertBadge key="alerts" />, <HeaderActions key="actions" />]}
      token={{
        header: { colorBgHeader: '#fff' },
        sider: { colorMenuBackground: '#fff' },
        pageContainer: { paddingBlockPageContainerContent: 16, paddingInlinePageContainerContent: 24 },
      }}
    >
      <ScreenSuspense>
        <Routes>
          <Route index element={home ? <Navigate to={home} replace /> : <Forbidden home={BASE} />} />
          {SCREENS.map((s) => (
            <Route
              key={s.path}
              path={s.path}
              element={can(s.permission) ? s.element : <Forbidden home={home ?? BASE} />}
            />
          ))}
          <Route path="*" element={<NotFound home={home ?? BASE} />} />
        </Routes>
      </ScreenSuspense>
    </ProLayout>
  );
}
