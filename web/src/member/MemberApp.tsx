import {
  BankOutlined,
  CreditCardOutlined,
  FileProtectOutlined,
  IdcardOutlined,
  ProfileOutlined,
  SafetyOutlined,
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
import { MEMBER_SCREENS } from './screens.ts';

const MEMBER_HOME = '/member/me';

const MePage = lazyScreen(MEMBER_SCREENS.Me, 'MemberMePage');
const EntriesPage = lazyScreen(MEMBER_SCREENS.Entries, 'MemberEntriesPage');
const AgreementsPage = lazyScreen(MEMBER_SCREENS.Agreements, 'MemberAgreementsPage');
const WithdrawalsPage = lazyScreen(MEMBER_SCREENS.Withdrawals, 'MemberWithdrawalsPage');
const BankCardsPage = lazyScreen(MEMBER_SCREENS.BankCards, 'MemberBankCardsPage');

/**
 * The member portal (会员门户, seed 001 §2): my information, account entries, agreements to sign,
 * withdrawals, bank cards and account security, for the one member this login acts for.
 */
export function MemberApp() {
  const { t } = useTranslation();
  const location = useLocation();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const menu: MenuDataItem[] = [
    { path: MEMBER_HOME, name: t('member:menu.me'), icon: <IdcardOutlined /> },
    { path: '/member/entries', name: t('member:menu.entries'), icon: <ProfileOutlined /> },
    { path: '/member/agreements', name: t('member:menu.agreements'), icon: <FileProtectOutlined /> },
    { path: '/member/withdrawals', name: t('member:menu.withdrawals'), icon: <BankOutlined /> },
    { path: '/member/bank-cards', name: t('member:menu.bankCards'), icon: <CreditCardOutlined /> },
    { path: '/member/security', name: t('member:menu.security'), icon: <SafetyOutlined /> },
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
      route={{ path: '/member', routes: menu }}
      location={{ pathname: location.pathname }}
      menu={{ locale: false }}
      menuItemRender={(item, dom) => (item.path ? <Link to={item.path}>{dom}</Link> : dom)}
      onMenuHeaderClick={() => navigate(MEMBER_HOME)}
      actionsRender={() => [
        <HeaderActions
          key="actions"
          extra={
            <Tag color="cyan" style={{ marginInlineEnd: 8 }}>
              {t('areas.member')}
            </Tag>
          }
          onSecurity={() => navigate('/member/security')}
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
          <Route index element={<Navigate to={MEMBER_HOME} replace />} />
          <Route path="me" element={<MePage />} />
          <Route path="entries" element={<EntriesPage />} />
          <Route path="agreements" element={<AgreementsPage />} />
          <Route path="withdrawals" element={<WithdrawalsPage />} />
          <Route path="bank-cards" element={<BankCardsPage />} />
          <Route path="security" element={<MemberSecurity />} />
          <Route path="*" element={<NotFound home={MEMBER_HOME} />} />
        </Routes>
      </ScreenSuspense>
    </ProLayout>
  );
}

function MemberSecurity() {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  return (
    <Page
      title={t('member:security.title')}
      subTitle={screens.md ? t('member:security.subtitle') : undefined}
    >
      <div style={{ maxWidth: 720 }}>
        <AccountSecurity />
      </div>
    </Page>
  );
}
