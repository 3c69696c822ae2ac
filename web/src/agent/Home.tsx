import { SafetyCertificateOutlined, SafetyOutlined } from '@ant-design/icons';
import { ProCard } from '@ant-design/pro-components';
import { Alert, Avatar, Button, Col, Descriptions, Flex, Grid, Row, Statistic, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { AgentStateTag, RatesTable, useAgentWords } from '../shell/agents.tsx';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { Page } from '../shell/Page.tsx';
import { useSession } from '../shell/session.tsx';
import { useApi } from '../shell/useApi.ts';
import { HomeDashboard } from './HomeDashboard.tsx';
import { productsOf, useAgentMe } from './me.ts';

/** 工作台: today's figures and the trend, the agent (level, parent, state), counts of its sub-agents and merchants, its rates, the login. */
export function AgentHomePage() {
  const { t } = useTranslation(['agent', 'common']);
  const w = useAgentWords('agent');
  const navigate = useNavigate();
  const { session } = useSession();
  const screens = Grid.useBreakpoint();
  const me = useAgentMe();
  const subAgents = useApi<{ total: number }>('/api/agent/agents?limit=1');
  const merchants = useApi<{ total: number }>('/api/agent/merchants?limit=1');
  const user = session?.user;
  if (!user) return null;
  const name = user.displayName || user.username;
  const agent = me.data;

  return (
    <Page title={t('home.title')} subTitle={screens.md ? t('home.subtitle') : undefined}>
      {me.error ? <ErrorAlert error={me.error} style={{ marginBottom: 16 }} /> : null}
      <div style={{ marginBottom: 16 }}>
        <HomeDashboard />
      </div>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={15}>
          <Flex vertical gap={16}>
            <ProCard
              bordered
              loading={me.loading && !agent}
              title={agent?.name ?? t('home.agentCard')}
              extra={agent ? <AgentStateTag area="agent" state={agent.state} /> : undefined}
              data-testid="agent-self"
            >
              {agent && (
                <>
                  <Descriptions column={{ xs: 1, sm: 2 }} size="small">
                    <Descriptions.Item label={w('agentNo')}>
                      <span className="qy-mono">{agent.agentNo}</span>
                    </Descriptions.Item>
                    <Descriptions.Item label={w('level')}>
                      {w('levelN', { level: agent.depth })}
                      <Typography.Text type="secondary" style={{ marginInlineStart: 8, fontSize: 12 }}>
                        {w('maxDepth', { maxDepth: agent.maxDepth })}
                      </Typography.Text>
                    </Descriptions.Item>
                    <Descriptions.Item label={w('parent')}>
                      {agent.parentNo ? <span className="qy-mono">{agent.parentNo}</span> : '-'}
                    </Descriptions.Item>
                    <Descriptions.Item label={w('contact')}>
                      {[agent.contact, agent.phone].filter(Boolean).join(' ') || '-'}
                    </Descriptions.Item>
                  </Descriptions>
                  <Row gutter={16} style={{ marginTop: 8 }}>
                    <Col span={12}>
                      <Link to="/agent/agents" data-testid="home-sub-agents">
                        <Statistic title={w('subAgents')} value={subAgents.data?.total ?? '-'} />
                      </Link>
                    </Col>
                    <Col span={12}>
                      <Link to="/agent/merchants" data-testid="home-merchants">
                        <Statistic title={w('merchants')} value={merchants.data?.total ?? '-'} />
                      </Link>
                    </Col>
                  </Row>
                </>
              )}
            </ProCard>
            <RatesTable
              area="agent"
              who={agent?.name ?? ''}
              title={w('rates.mine')}
              rates={agent?.rates}
              loading={me.loading}
              products={productsOf(agent?.rates)}
              testId="home-rates"
            />
          </Flex>
        </Col>
        <Col xs={24} lg={9}>
          <ProCard bordered data-testid="agent-account">
            <Flex align="center" gap={16} style={{ marginBottom: 20 }}>
              <Avatar size={56} style={{ backgroundColor: '#2f54eb', fontSize: 24 }}>
                {name.slice(0, 1).toUpperCase()}
              </Avatar>
              <div>
                <Typography.Title level={2} style={{ fontSize: 18, margin: 0 }}>
                  {t('home.welcome', { name })}
                </Typography.Title>
                <Tag color="geekblue" style={{ marginTop: 6 }}>
                  {t('portal')}
                </Tag>
              </div>
            </Flex>
            <Descriptions column={1} size="small" title={t('home.account')}>
              <Descriptions.Item label={t('home.username')}>
                <span className="qy-mono">{user.username}</span>
              </Descriptions.Item>
              <Descriptions.Item label={t('home.displayName')}>{user.displayName || '-'}</Descriptions.Item>
              <Descriptions.Item label={t('home.email')}>
                {user.email || <Typography.Text type="secondary">{t('home.notSet')}</Typography.Text>}
              </Descriptions.Item>
              <Descriptions.Item label={t('home.totp')}>
                {user.totpEnabled ? (
                  <Tag color="success">{t('common:security.totpOn')}</Tag>
                ) : (
                  <Tag>{t('common:security.totpOff')}</Tag>
                )}
              </Descriptions.Item>
            </Descriptions>
            {user.totpEnabled ? (
              <Button
                style={{ marginTop: 16 }}
                icon={<SafetyOutlined />}
                onClick={() => navigate('/agent/security')}
              >
                {t('home.securityAction')}
              </Button>
            ) : (
              <Alert
                type="info"
                showIcon
                icon={<SafetyCertificateOutlined />}
                message={t('home.totpTip')}
                action={
                  <Button size="small" type="primary" onClick={() => navigate('/agent/security')}>
                    {t('home.totpAction')}
                  </Button>
                }
                style={{ marginTop: 16 }}
              />
            )}
          </ProCard>
        </Col>
      </Row>
    </Page>
  );
}
