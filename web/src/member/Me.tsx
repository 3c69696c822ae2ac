import {
  ModalForm,
  ProFormRadio,
  ProFormSelect,
  ProFormText,
  ProFormTimePicker,
} from '@ant-design/pro-components';
import {
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Grid,
  List,
  Row,
  Skeleton,
  Statistic,
  Tag,
  Typography,
} from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { yuan } from '../shell/format.ts';
import { Page } from '../shell/Page.tsx';
import { useApi } from '../shell/useApi.ts';
import { TotpField } from '../shell/withdrawalArea.tsx';
import type { BankCard } from '../shell/withdrawalTypes.ts';
import { type MemberMe, useMemberMe } from './me.ts';

/**
 * 我的信息 (seed 001 §2.3): the login, the member's information, its bank cards, the balances of
 * its 待结算户 and 簿记账户, and the withdrawal setting (manual, automatic at a time to a card, or
 * 未设置或平台方发起 when the marketplace withdraws for it).
 */
export function MemberMePage() {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const me = useMemberMe();
  const cards = useApi<{ items: BankCard[] }>('/api/member/bank-cards');
  const data = me.data;
  const column = screens.md ? 2 : 1;
  return (
    <Page title={t('member:me.title')} subTitle={screens.md ? t('member:me.subtitle') : undefined}>
      <ErrorAlert error={me.error} />
      {!data ? (
        <Skeleton active />
      ) : (
        <Row gutter={[16, 16]}>
          <Col span={24}>
            <Card title={t('member:me.balances')} data-testid="member-balances">
              <Row gutter={[16, 16]}>
                <Col xs={24} sm={8}>
                  <Statistic
                    title={t('member:me.pending')}
                    value={yuan(data.balances.pending)}
                    data-testid="balance-pending"
                  />
                  <Typography.Text type="secondary">{t('member:me.pendingHint')}</Typography.Text>
                </Col>
                <Col xs={24} sm={8}>
                  <Statistic
                    title={t('member:me.available')}
                    value={yuan(data.balances.available)}
                    data-testid="balance-available"
                  />
                  <Link to="/member/withdrawals">{t('member:me.withdraw')}</Link>
                </Col>
                <Col xs={24} sm={8}>
                  <Statistic title={t('member:me.frozen')} value={yuan(data.balances.frozen)} />
                </Col>
              </Row>
            </Card>
          </Col>
          <Col xs={24} lg={12}>
            <Card title={t('member:me.member')} data-testid="member-info">
              <Descriptions column={1} size="small">
                <Descriptions.Item label={t('member:me.name')}>{data.member.name}</Descriptions.Item>
                <Descriptions.Item label={t('member:me.type')}>
                  {t(`member:me.typeWord.${data.member.type}`)}
                </Descriptions.Item>
                <Descriptions.Item label={t('member:me.memberNo')}>
                  <Typography.Text copyable>{data.member.memberNo}</Typography.Text>
                </Descriptions.Item>
                <Descriptions.Item label={t('member:me.merchant')}>{data.merchantName}</Descriptions.Item>
                <Descriptions.Item label={t('member:me.bizUserId')}>
                  {data.member.bizUserId}
                </Descriptions.Item>
                <Descriptions.Item label={t('member:me.phone')}>
                  {data.member.phoneMasked || '-'}
                </Descriptions.Item>
                <Descriptions.Item label={t('member:me.idNo')}>
                  {data.member.idNoMasked || '-'}
                </Descriptions.Item>
                <Descriptions.Item label={t('member:me.state')}>
                  {t(`member:me.stateWord.${data.member.state}`)}
                </Descriptions.Item>
              </Descriptions>
            </Card>
          </Col>
          <Col xs={24} lg={12}>
            <Card title={t('member:me.user')}>
              <Descriptions column={column} size="small">
                <Descriptions.Item label={t('member:me.username')}>{data.user.username}</Descriptions.Item>
                <Descriptions.Item label={t('member:me.twoStep')}>
                  {data.user.totpEnabled ? t('member:me.on') : t('member:me.off')}
                </Descriptions.Item>
              </Descriptions>
            </Card>
            <Card
              title={t('member:me.cards')}
              style={{ marginTop: 16 }}
              extra={<Link to="/member/bank-cards">{t('member:me.manageCards')}</Link>}
              data-testid="member-cards"
            >
              <ErrorAlert error={cards.error} />
              {(cards.data?.items ?? []).length === 0 ? (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('member:me.noCards')} />
              ) : (
                <List
                  size="small"
                  dataSource={cards.data?.items ?? []}
                  renderItem={(card) => (
                    <List.Item>
                      <span>
                        {card.bankName} {card.accountNoMasked}{' '}
                        {card.isDefault && <Tag color="blue">{t('member:me.default')}</Tag>}
                      </span>
                      <Typography.Text type="secondary">
                        {t(`member:bankCards.stateWord.${card.state}`, { defaultValue: card.state })}
                      </Typography.Text>
                    </List.Item>
                  )}
                />
              )}
            </Card>
            <WithdrawSetting
              me={data}
              cards={(cards.data?.items ?? []).filter((c) => c.state === 'active')}
              onSaved={() => void Promise.all([me.reload(), cards.reload()])}
            />
          </Col>
        </Row>
      )}
    </Page>
  );
}

interface SettingValues {
  mode: 'manual' | 'auto';
  autoTime?: string;
  cardId?: string;
  password: string;
  totpCode?: string;
}

function WithdrawSetting({ me, cards, onSaved }: { me: MemberMe; cards: BankCard[]; onSaved: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const setting = me.withdrawSetting;
  const card = cards.find((c) => c.id === setting.cardId);
  return (
    <Card
      title={t('member:me.withdrawSetting')}
      style={{ marginTop: 16 }}
      data-testid="withdraw-setting"
      extra={
        setting.mode === 'platform' ? null : (
          <ModalForm<SettingValues>
            title={t('member:me.edit')}
            width={440}
            modalProps={{ destroyOnHidden: true }}
            initialValues={{
              mode: setting.mode === 'auto' ? 'auto' : 'manual',
              autoTime: setting.autoTime ?? undefined,
              cardId: setting.cardId ?? undefined,
            }}
            trigger={
              <Button size="small" data-testid="edit-withdraw-setting">
                {t('actions.edit')}
              </Button>
            }
            onFinish={async (values) => {
              await api.put('/api/member/withdraw-setting', {
                mode: values.mode,
                ...(values.mode === 'auto'
                  ? { autoTime: String(values.autoTime).slice(0, 5), cardId: values.cardId }
                  : {}),
                password: values.password,
                ...(values.totpCode ? { totpCode: values.totpCode.trim() } : {}),
              });
              message.success(t('member:me.saved'));
              onSaved();
              return true;
            }}
          >
            <ProFormRadio.Group
              name="mode"
              label={t('member:me.mode')}
              options={[
                { value: 'manual', label: t('member:me.modeWord.manual') },
                { value: 'auto', label: t('member:me.modeWord.auto') },
              ]}
            />
            <ProFormTimePicker
              name="autoTime"
              label={t('member:me.autoTime')}
              fieldProps={{ format: 'HH:mm' }}
              dependencies={['mode']}
              rules={[
                ({ getFieldValue }) => ({
                  required: getFieldValue('mode') === 'auto',
                  message: t('member:me.timeRequired'),
                }),
              ]}
            />
            <ProFormSelect
              name="cardId"
              label={t('member:me.autoCard')}
              options={cards.map((c) => ({ value: c.id, label: `${c.bankName} ${c.accountNoMasked}` }))}
              dependencies={['mode']}
              rules={[
                ({ getFieldValue }) => ({
                  required: getFieldValue('mode') === 'auto',
                  message: t('member:me.cardRequired'),
                }),
              ]}
            />
            <ProFormText.Password
              name="password"
              label={t('member:me.password')}
              fieldProps={{ autoComplete: 'current-password' }}
              rules={[{ required: true }]}
            />
            <TotpField />
          </ModalForm>
        )
      }
    >
      <Descriptions column={1} size="small">
        <Descriptions.Item label={t('member:me.mode')}>
          <span data-testid="withdraw-mode">{t(`member:me.modeWord.${setting.mode}`)}</span>
        </Descriptions.Item>
        {setting.mode === 'auto' && (
          <>
            <Descriptions.Item label={t('member:me.autoTime')}>{setting.autoTime}</Descriptions.Item>
            <Descriptions.Item label={t('member:me.autoCard')}>
              {card ? `${card.bankName} ${card.accountNoMasked}` : '-'}
            </Descriptions.Item>
          </>
        )}
      </Descriptions>
      {setting.mode === 'platform' && (
        <Typography.Text type="secondary">{t('member:me.platformHint')}</Typography.Text>
      )}
    </Card>
  );
}
