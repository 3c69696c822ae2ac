import {
  AccountBookOutlined,
  ApartmentOutlined,
  BankOutlined,
  CreditCardOutlined,
  HomeOutlined,
  PercentageOutlined,
  ProfileOutlined,
  SafetyOutlined,
  ShopOutlined,
  SolutionOutlined,
} from '@ant-design/icons';
import { type MenuDataItem, ProLayout } from '@ant-design/pro-components';
import { Grid, Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { AccountSecurity } from '../shell/AccountSecurity.tsx';
import { HeaderActions } from '../shell/HeaderActions.tsx';
import { lazyScreen, ScreenSuspense } from '../shell/lazyScreen.tsx';
import { Page } from '../shell/Page.tsx';
import { NotFound } from '../shell/Results.tsx';
import { useSiteBrand } from '../shell/site.tsx';
import { AGENT_SCREENS } from './screens.ts';

const AGENT_HOME = '/agent/home';

// Each screen is its own chunk, loaded when first opened (the commission chart with its screen).
const AgentHomePage = lazyScreen(AGENT_SCREENS.Home, 'AgentHomePage');
const SubAgentsPage = lazyScreen(AGENT_SCREENS.SubAgents, 'SubAgentsPage');
const MerchantsPage = lazyScreen(AGENT_SCREENS.Merchants, 'MerchantsPage');
const OrdersPage = lazyScreen(AGENT_SCREENS.Orders, 'AgentOrdersPage');
const RatesPage = lazyScreen(AGENT_SCREENS.Rates, 'RatesPage');
const CommissionPage = lazyScreen(AGENT_SCREENS.Commission, 'CommissionPage');
const OnboardingPage = lazyScreen(AGENT_SCREENS.Onboarding, 'AgentOnboardingPage');
const WithdrawalsPage = lazyScreen(AGENT_SCREENS.Withdrawals, 'AgentWithdrawalsPage');
const BankCardsPage = lazyScreen(AGENT_SCREENS.BankCards, 'AgentBankCardsPage');

/**
 * The agent area: its home, sub-agents, merchants, their orders, rates and commissions, withdrawals
 * and bank cards, and account security.
 */
export function AgentApp() {
  const { t } = useTranslation();
  const location = useLocation();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const menu: MenuDataItem[] = [
    { path: AGENT_HOME, name: t('agent:menu.home'), icon: <HomeOutlined /> },
    { path: '/agent/agents', name: t('agent:menu.agents'), icon: <ApartmentOutlined /> },
    { path: '/agent/merchants', name: t('agent:menu.merchants'), icon: <ShopOutlined /> },
    { path: '/agent/orders', name: t('agent:menu.orders'), icon: <ProfileOutlined /> },
    { path: '/agent/onboarding', name: t('agent:onboarding.menu'), icon: <SolutionOutlined /> },
    { path: '/agent/rates', name: t('agent:menu.rates'), icon: <PercentageOutlined /> },
    { path: '/agent/commission', name: t('agent:menu.commission'), icon: <AccountBookOutlined /> },
    { path: '/agent/withdrawals', name: t('agent:menu.withdrawals'), icon: <BankOutlined /> },
    { path: '/agent/bank-cards', name: t('agent:menu.bankCards'), icon: <CreditCardOutlined /> },
    { path: '/agent/security', name: t('agent:menu.security'), icon: <SafetyOutlined /> },
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
      route={{ path: '/agent', routes: menu }}
      location={{ pathname: location.pathname }}
      menu={{ locale: false }}
      menuItemRender={(item, dom) => (item.path ? <Link to={item.path}>{dom}</Link> : dom)}
      onMenuHeaderClick={() => navigate(AGENT_HOME)}
      actionsRender={() => [
        <HeaderActions
          key="actions"
          extra={
            <Tag color="geekblue" style={{ marginInlineEnd: 8 }}>
              {t('areas.agent')}
            </Tag>
          }
          onSecurity={() => navigate('/agent/security')}
        />,
      ]}
      token={{
        header: { colorBgHeader: '#fff' },
        pageContainer: screens.md
          ? {}
          : { paddingInlinePageContainerContent: 12, paddingBlockPageContainerContent: 12 },
      }}
    >
      <ScreenSuspense>
        <Routes>
          <Route index element={<Navigate to={AGENT_HOME} replace />} />
          <Route path="home" element={<AgentHomePage />} />
          <Route path="agents" element={<SubAgentsPage />} />
          <Route path="merchants" element={<MerchantsPage />} />
          <Route path="orders" element={<OrdersPage />} />
          <Route path="onboarding" element={<OnboardingPage />} />
          <Route path="rates" element={<RatesPage />} />
          <Route path="commission" element={<CommissionPage />} />
          <Route path="withdrawals" element={<WithdrawalsPage />} />
          <Route path="bank-cards" element={<BankCardsPage />} />
          <Route path="security" element={<AgentSecurity />} />
          <Route path="*" element={<NotFound home={AGENT_HOME} />} />
        </Routes>
      </ScreenSuspense>
    </ProLayout>
  );
}

function AgentSecurity() {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  return (
    <Page title={t('agent:security.title')} subTitle={screens.md ? t('agent:security.subtitle') : undefined}>
      <div style={{ maxWidth: 720 }}>
        <AccountSecurity />
      </div>
    </Page>
  );
}
