import {
  AccountBookOutlined,
  BarChartOutlined,
  HomeOutlined,
  PercentageOutlined,
  SafetyCertificateOutlined,
  SafetyOutlined,
  ShopOutlined,
  SolutionOutlined,
} from '@ant-design/icons';
import { type MenuDataItem, ProCard, ProLayout } from '@ant-design/pro-components';
import { Alert, Avatar, Button, Col, Descriptions, Flex, Grid, Row, Tag, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { AccountSecurity } from '../shell/AccountSecurity.tsx';
import { HeaderActions } from '../shell/HeaderActions.tsx';
import { Logo } from '../shell/Logo.tsx';
import { Page } from '../shell/Page.tsx';
import { NotFound } from '../shell/Results.tsx';
import { useSession } from '../shell/session.tsx';
import { AgentOnboardingPage } from './Onboarding.tsx';

const AGENT_HOME = '/agent/home';

/**
 * The agent area: login, TOTP and password work now; the agent's screens (merchants, volume,
 * commissions) arrive with the agents module, and the home page says so.
 */
export function AgentApp() {
  const { t } = useTranslation();
  const location = useLocation();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const menu: MenuDataItem[] = [
    { path: AGENT_HOME, name: t('agent:menu.home'), icon: <HomeOutlined /> },
    { path: '/agent/onboarding', name: t('agent:onboarding.menu'), icon: <SolutionOutlined /> },
    { path: '/agent/security', name: t('agent:menu.security'), icon: <SafetyOutlined /> },
  ];
  return (
    <ProLayout
      title={t('app.name')}
      logo={<Logo size={28} />}
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
      <Routes>
        <Route index element={<Navigate to={AGENT_HOME} replace />} />
        <Route path="home" element={<AgentHome />} />
        <Route path="onboarding" element={<AgentOnboardingPage />} />
        <Route path="security" element={<AgentSecurity />} />
        <Route path="*" element={<NotFound home={AGENT_HOME} />} />
      </Routes>
    </ProLayout>
  );
}

function AgentHome() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { session } = useSession();
  const screens = Grid.useBreakpoint();
  const user = session?.user;
  if (!user) return null;
  const name = user.displayName || user.username;

  const features: { key: string; icon: ReactNode }[] = [
    { key: 'merchants', icon: <ShopOutlined /> },
    { key: 'volume', icon: <BarChartOutlined /> },
    { key: 'commission', icon: <AccountBookOutlined /> },
    { key: 'rates', icon: <PercentageOutlined /> },
  ];

  return (
    <Page title={t('agent:home.title')} subTitle={screens.md ? t('agent:home.subtitle') : undefined}>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={9}>
          <ProCard bordered data-testid="agent-account">
            <Flex align="center" gap={16} style={{ marginBottom: 20 }}>
              <Avatar size={56} style={{ backgroundColor: '#2f54eb', fontSize: 24 }}>
                {name.slice(0, 1).toUpperCase()}
              </Avatar>
              <div>
                <Typography.Title level={2} style={{ fontSize: 18, margin: 0 }}>
                  {t('agent:home.welcome', { name })}
                </Typography.Title>
                <Tag color="geekblue" style={{ marginTop: 6 }}>
                  {t('agent:portal')}
                </Tag>
              </div>
            </Flex>
            <Descriptions column={1} size="small" title={t('agent:home.account')}>
              <Descriptions.Item label={t('agent:home.username')}>
                <span className="qy-mono">{user.username}</span>
              </Descriptions.Item>
              <Descriptions.Item label={t('agent:home.displayName')}>
                {user.displayName || '-'}
              </Descriptions.Item>
              <Descriptions.Item label={t('agent:home.email')}>
                {user.email || <Typography.Text type="secondary">{t('agent:home.notSet')}</Typography.Text>}
              </Descriptions.Item>
              <Descriptions.Item label={t('agent:home.totp')}>
                {user.totpEnabled ? (
                  <Tag color="success">{t('security.totpOn')}</Tag>
                ) : (
                  <Tag>{t('security.totpOff')}</Tag>
                )}
              </Descriptions.Item>
            </Descriptions>
            {!user.totpEnabled && (
              <Alert
                type="info"
                showIcon
                icon={<SafetyCertificateOutlined />}
                message={t('agent:home.totpTip')}
                action={
                  <Button size="small" type="primary" onClick={() => navigate('/agent/security')}>
                    {t('agent:home.totpAction')}
                  </Button>
                }
                style={{ marginTop: 16 }}
              />
            )}
            {user.totpEnabled && (
              <Button
                style={{ marginTop: 16 }}
                icon={<SafetyOutlined />}
                onClick={() => navigate('/agent/security')}
              >
                {t('agent:home.securityAction')}
              </Button>
            )}
          </ProCard>
        </Col>
        <Col xs={24} lg={15}>
          <ProCard
            bordered
            title={t('agent:home.comingTitle')}
            extra={<Tag color="processing">{t('agent:home.comingTag')}</Tag>}
            data-testid="agent-coming"
          >
            <Typography.Paragraph type="secondary">{t('agent:home.comingDesc')}</Typography.Paragraph>
            <Row gutter={[12, 12]}>
              {features.map((f) => (
                <Col xs={24} sm={12} key={f.key}>
                  <Flex
                    gap={12}
                    style={{ padding: 16, border: '1px dashed #d9d9d9', borderRadius: 8, height: '100%' }}
                    aria-disabled="true"
                  >
                    <span style={{ fontSize: 22, color: '#8c8c8c' }}>{f.icon}</span>
                    <div>
                      <Typography.Text strong type="secondary">
                        {t(`agent:home.features.${f.key}`)}
                      </Typography.Text>
                      <div>
                        <Typography.Text type="secondary" style={{ fontSize: 13 }}>
                          {t(`agent:home.features.${f.key}Desc`)}
                        </Typography.Text>
                      </div>
                    </div>
                  </Flex>
                </Col>
              ))}
            </Row>
          </ProCard>
        </Col>
      </Row>
    </Page>
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
