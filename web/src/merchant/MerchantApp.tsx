import {
  AccountBookOutlined,
  ApiOutlined,
  ClusterOutlined,
  DashboardOutlined,
  QrcodeOutlined,
  RollbackOutlined,
  SafetyOutlined,
  ScanOutlined,
  ShopOutlined,
  TeamOutlined,
  UnorderedListOutlined,
} from '@ant-design/icons';
import { type MenuDataItem, ProLayout } from '@ant-design/pro-components';
import { Flex, Grid, Tag, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { HeaderActions } from '../shell/HeaderActions.tsx';
import { lazyScreen, ScreenSuspense } from '../shell/lazyScreen.tsx';
import { Forbidden, NotFound } from '../shell/Results.tsx';
import { useSession } from '../shell/session.tsx';
import { useSiteBrand } from '../shell/site.tsx';
import { MERCHANT_SCREENS } from './screens.ts';

// Each screen is its own chunk, loaded when first opened (the charts only with the dashboard).
const AccountEntries = lazyScreen(MERCHANT_SCREENS.AccountEntries, 'AccountEntries');
const Apps = lazyScreen(MERCHANT_SCREENS.Apps, 'Apps');
const Balance = lazyScreen(MERCHANT_SCREENS.Balance, 'Balance');
const BankCards = lazyScreen(MERCHANT_SCREENS.BankCards, 'BankCards');
const Cashiers = lazyScreen(MERCHANT_SCREENS.Cashiers, 'Cashiers');
const Collect = lazyScreen(MERCHANT_SCREENS.Collect, 'Collect');
const CollectCodes = lazyScreen(MERCHANT_SCREENS.CollectCodes, 'CollectCodes');
const Dashboard = lazyScreen(MERCHANT_SCREENS.Dashboard, 'Dashboard');
const EnterpriseMembers = lazyScreen(MERCHANT_SCREENS.EnterpriseMembers, 'EnterpriseMembers');
const Escrows = lazyScreen(MERCHANT_SCREENS.Escrows, 'Escrows');
const MemberImports = lazyScreen(MERCHANT_SCREENS.MemberImports, 'MemberImports');
const Orders = lazyScreen(MERCHANT_SCREENS.Orders, 'Orders');
const Payouts = lazyScreen(MERCHANT_SCREENS.Payouts, 'Payouts');
const PersonalMembers = lazyScreen(MERCHANT_SCREENS.PersonalMembers, 'PersonalMembers');
const OnboardingLinks = lazyScreen(MERCHANT_SCREENS.OnboardingLinks, 'OnboardingLinks');
const Refunds = lazyScreen(MERCHANT_SCREENS.Refunds, 'Refunds');
const Security = lazyScreen(MERCHANT_SCREENS.Security, 'Security');
const Settlements = lazyScreen(MERCHANT_SCREENS.Settlements, 'Settlements');
const SplitRecords = lazyScreen(MERCHANT_SCREENS.SplitRecords, 'SplitRecords');
const SplitRules = lazyScreen(MERCHANT_SCREENS.SplitRules, 'SplitRules');
const Statements = lazyScreen(MERCHANT_SCREENS.Statements, 'Statements');
const Withdrawals = lazyScreen(MERCHANT_SCREENS.Withdrawals, 'Withdrawals');

/** The money and marketplace screens (managers only): path under /merchant → screen. */
const MONEY_ROUTES = [
  ['balance', Balance],
  ['account-entries', AccountEntries],
  ['settlements', Settlements],
  ['statements', Statements],
  ['withdrawals', Withdrawals],
  ['bank-cards', BankCards],
  ['payouts', Payouts],
  // 会员与分账: the members of the merchant's apps, split rules and records, escrow payments.
  ['members/enterprise', EnterpriseMembers],
  ['members/personal', PersonalMembers],
  ['members/links', OnboardingLinks],
  ['member-imports', MemberImports],
  ['split-rules', SplitRules],
  ['split-records', SplitRecords],
  ['escrows', Escrows],
] as const;

export const MERCHANT_HOME = '/merchant/dashboard';

/** Whether the signed-in merchant user is the store manager (apps, keys, cashiers); cashiers are not. */
export function useIsManager(): boolean {
  const { session } = useSession();
  return session?.user.merchantRole === 'manager';
}

/**
 * The merchant portal (MP-1…MP-6): the manager sees the whole merchant, a cashier collects and sees
 * its own orders. Menu items for managers only are hidden from cashiers; the server refuses them anyway.
 */
export function MerchantApp() {
  const { t } = useTranslation();
  const location = useLocation();
  const navigate = useNavigate();
  const manager = useIsManager();
  const screens = Grid.useBreakpoint();

  const menu: MenuDataItem[] = [
    { path: MERCHANT_HOME, name: t('merchant:menu.dashboard'), icon: <DashboardOutlined /> },
    { path: '/merchant/collect', name: t('merchant:menu.collect'), icon: <QrcodeOutlined /> },
    // Managers manage the codes; a cashier sees and prints the codes assigned to it.
    { path: '/merchant/collect-codes', name: t('merchant:collectCodes.menu'), icon: <ScanOutlined /> },
    { path: '/merchant/orders', name: t('merchant:menu.orders'), icon: <UnorderedListOutlined /> },
    ...(manager
      ? [
          { path: '/merchant/refunds', name: t('merchant:menu.refunds'), icon: <RollbackOutlined /> },
          // The money-out half: balances, entries, settlements, withdrawals, cards, payouts.
          {
            path: '/merchant/funds',
            name: t('merchant:menu.funds'),
            icon: <AccountBookOutlined />,
            children: [
              { path: '/merchant/balance', name: t('merchant:menu.balance') },
              { path: '/merchant/account-entries', name: t('glossary:accountEntries') },
              { path: '/merchant/settlements', name: t('glossary:settlementRecord') },
              { path: '/merchant/statements', name: t('merchant:menu.statements') },
              { path: '/merchant/withdrawals', name: t('merchant:menu.withdrawals') },
              { path: '/merchant/bank-cards', name: t('merchant:menu.bankCards') },
              { path: '/merchant/payouts', name: t('glossary:payout') },
            ],
          },
          {
            path: '/merchant/marketplace',
            name: t('merchant:marketplace.menu.group'),
            icon: <ClusterOutlined />,
            children: [
              { path: '/merchant/members/enterprise', name: t('merchant:marketplace.menu.enterprise') },
              { path: '/merchant/members/personal', name: t('merchant:marketplace.menu.personal') },
              { path: '/merchant/members/links', name: t('merchant:onboardingLinks.menu') },
              { path: '/merchant/member-imports', name: t('memberImport:menu') },
              { path: '/merchant/split-rules', name: t('merchant:marketplace.menu.splitRules') },
              { path: '/merchant/split-records', name: t('merchant:marketplace.menu.splitRecords') },
              { path: '/merchant/escrows', name: t('merchant:marketplace.menu.escrows') },
            ],
          },
          { path: '/merchant/apps', name: t('merchant:menu.apps'), icon: <ApiOutlined /> },
          { path: '/merchant/cashiers', name: t('merchant:menu.cashiers'), icon: <TeamOutlined /> },
        ]
      : []),
    { path: '/merchant/security', name: t('merchant:menu.security'), icon: <SafetyOutlined /> },
  ];

  const brand = useSiteBrand(28);
  return (
    <ProLayout
      title={brand.title}
      logo={brand.logo}
      layout="mix"
      fixSiderbar
      fixedHeader
      siderWidth={208}
      route={{ path: '/merchant', routes: menu }}
      location={{ pathname: location.pathname }}
      menu={{ locale: false }}
      menuItemRender={(item, dom) => (item.path ? <Link to={item.path}>{dom}</Link> : dom)}
      onMenuHeaderClick={() => navigate(MERCHANT_HOME)}
      actionsRender={() => [
        <HeaderActions
          key="actions"
          extra={<MerchantBadge />}
          onSecurity={() => navigate('/merchant/security')}
        />,
      ]}
      token={{
        header: { colorBgHeader: '#fff' },
        // On a phone the content uses the width: the cashier collects there.
        pageContainer: screens.md
          ? {}
          : { paddingInlinePageContainerContent: 12, paddingBlockPageContainerContent: 12 },
      }}
      menuFooterRender={(props) =>
        props?.collapsed ? null : (
          <Typography.Text type="secondary" style={{ fontSize: 12, paddingInline: 16 }}>
            {t('merchant:portal')}
          </Typography.Text>
        )
      }
    >
      <ScreenSuspense>
        <Routes>
          <Route index element={<Navigate to={MERCHANT_HOME} replace />} />
          <Route path="dashboard" element={<Dashboard />} />
          <Route path="collect" element={<Collect />} />
          <Route path="collect-codes" element={<CollectCodes />} />
          <Route path="orders" element={<Orders />} />
          <Route
            path="refunds"
            element={
              <ManagerOnly>
                <Refunds />
              </ManagerOnly>
            }
          />
          <Route
            path="apps"
            element={
              <ManagerOnly>
                <Apps />
              </ManagerOnly>
            }
          />
          <Route
            path="cashiers"
            element={
              <ManagerOnly>
                <Cashiers />
              </ManagerOnly>
            }
          />
          {MONEY_ROUTES.map(([path, Screen]) => (
            <Route
              key={path}
              path={path}
              element={
                <ManagerOnly>
                  <Screen />
                </ManagerOnly>
              }
            />
          ))}
          <Route path="security" element={<Security />} />
          <Route path="*" element={<NotFound home={MERCHANT_HOME} />} />
        </Routes>
      </ScreenSuspense>
    </ProLayout>
  );
}

function ManagerOnly({ children }: { children: ReactNode }) {
  const manager = useIsManager();
  return manager ? children : <Forbidden home={MERCHANT_HOME} />;
}

/** The merchant's name and the person's role (店长 / 收银员), left of the language switch. */
function MerchantBadge() {
  const { t } = useTranslation();
  const { session } = useSession();
  const screens = Grid.useBreakpoint();
  const user = session?.user;
  if (!user) return null;
  const role = user.merchantRole;
  return (
    <Flex align="center" gap={8} data-testid="merchant-badge" style={{ marginInlineEnd: 8, lineHeight: 1 }}>
      {screens.md && user.merchant && (
        <span
          title={`${user.merchant.name} (${user.merchant.mchNo})`}
          style={{
            maxWidth: 260,
            overflow: 'hidden',
            textOverflow: 'ellipsis',
            whiteSpace: 'nowrap',
            fontWeight: 600,
            color: 'rgba(0,0,0,0.88)',
          }}
        >
          <ShopOutlined style={{ marginInlineEnd: 6, color: '#1677ff' }} />
          {user.merchant.name}
        </span>
      )}
      {role && (
        <Tag color={role === 'manager' ? 'blue' : 'cyan'} style={{ marginInlineEnd: 0 }} data-role={role}>
          {t(`merchant:role.${role}`)}
        </Tag>
      )}
    </Flex>
  );
}
