import { PercentageOutlined, PlusOutlined } from '@ant-design/icons';
import {
  type ActionType,
  DrawerForm,
  ModalForm,
  type ProColumns,
  ProFormDependency,
  ProFormList,
  ProFormSelect,
  ProFormSwitch,
  ProFormText,
  ProFormTextArea,
  ProTable,
} from '@ant-design/pro-components';
import { Alert, App, Button, Col, Form, Input, Row, Space, Switch, Tag, Tooltip, Typography } from 'antd';
import { type ReactElement, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api } from '../../api.ts';
import { errorText } from '../../shell/errors.ts';
import { percentPlain, ppmFromPercent } from '../../shell/format.ts';
import { feePartOf, feeRule, jsonObjectRule, parseJsonObject, percentRule } from '../../shell/forms.ts';
import { remembered, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { useCan } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { useApi } from '../../shell/useApi.ts';
import { useRequestError } from '../../shell/useRequestError.ts';
import { EnabledBadge, EnabledSwitch } from '../components.tsx';
import { DeleteToBin } from '../DeleteToBin.tsx';
import { feePartPlain, feeTermsText } from '../feeParts.tsx';
import { BreakerSettingsForm } from '../health/BreakerSettingsForm.tsx';
import { ChannelEditForm } from '../health/ChannelEditForm.tsx';
import { HealthBadge, useChannelHealth } from '../health/HealthBadge.tsx';
import type { Adapter, Channel, ChannelAccount, Product } from '../types.ts';
import {
  AdapterCapabilities,
  ConnectionButton,
  ConnectionPanel,
  CredentialFields,
  credentialProblem,
  credentialsOf,
  useWords,
} from './channelAccountParts.tsx';

type Tab = 'accounts' | 'channels';

/** 支付通道: upstream channels (an adapter each) and their accounts (credentials, cost rates). */
export function ChannelsPage() {
  const { t } = useTranslation(['operator', 'common']);
  const [params, setParams] = useSearchParams();
  const tab = (params.get('tab') as Tab) || 'accounts';
  const channels = useApi<Channel[]>('/api/admin/channels');
  const adapters = useApi<Adapter[]>('/api/admin/adapters');
  const products = useApi<Product[]>('/api/admin/products');

  return (
    <Page
      title={t('channels.title')}
      subTitle={t('channels.subtitle')}
      tabActiveKey={tab}
      onTabChange={(key) => setParams({ tab: key }, { replace: true })}
      tabList={[
        { key: 'accounts', tab: t('channels.accountsTab') },
        { key: 'channels', tab: t('channels.channelsTab') },
      ]}
    >
      {tab === 'accounts' ? (
        <AccountsTable
          channels={channels.data ?? []}
          adapters={adapters.data ?? []}
          products={products.data ?? []}
        />
      ) : (
        <ChannelsTable
          channels={channels.data ?? []}
          adapters={adapters.data ?? []}
          loading={channels.loading}
          onChanged={channels.reload}
        />
      )}
    </Page>
  );
}

function ChannelsTable(props: {
  channels: Channel[];
  adapters: Adapter[];
  loading: boolean;
  onChanged: () => void;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const can = useCan();
  const adapterName = new Map(props.adapters.map((a) => [a.code, a.name]));
  const adapterOf = new Map(props.adapters.map((a) => [a.code, a]));
  const columns: ProColumns<Channel>[] = [
    {
      title: t('channels.code'),
      dataIndex: 'code',
      render: (_, c) => <span className="qy-mono">{c.code}</span>,
    },
    {
      title: t('channels.name'),
      dataIndex: 'name',
      render: (_, c) => (c.remarks ? <TwoLineCell secondary={c.remarks}>{c.name}</TwoLineCell> : c.name),
    },
    {
      title: t('channels.adapter'),
      dataIndex: 'adapterCode',
      render: (_, c) => (
        <Space direction="vertical" size={2}>
          <Tag color="geekblue">{c.adapterCode}</Tag>
          <Typography.Text type="secondary" style={{ whiteSpace: 'nowrap' }}>
            {adapterName.get(c.adapterCode) ?? ''}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('channels.capabilities'),
      key: 'capabilities',
      tooltip: t('channels.capabilitiesHint'),
      render: (_, c) => <AdapterCapabilities adapter={adapterOf.get(c.adapterCode)} />,
    },
    {
      title: t('channels.state'),
      dataIndex: 'enabled',
      render: (_, c) => <EnabledBadge enabled={c.enabled} />,
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      valueType: 'option',
      hideInTable: !can('catalog.write'),
      render: (_, c) => (
        <Space size={[8, 0]} wrap>
          <ChannelEditForm
            channel={c}
            onSaved={props.onChanged}
            trigger={
              <Button type="link" size="small" style={{ padding: 0 }}>
                {t('health.channelEdit')}
              </Button>
            }
          />
          <DeleteToBin
            path={`/api/admin/channels/${encodeURIComponent(c.code)}`}
            name={c.name}
            onDone={props.onChanged}
          />
        </Space>
      ),
    },
  ];
  return (
    <ProTable<Channel>
      rowKey="id"
      headerTitle={t('channels.channelsTab')}
      tooltip={t('channels.channelsHint')}
      columns={columns}
      dataSource={props.channels}
      loading={props.loading}
      search={false}
      pagination={false}
      cardBordered
      columnsState={remembered('operator.channels')}
      options={{ reload: props.onChanged, density: false, setting: true }}
      toolBarRender={() =>
        can('catalog.write')
          ? [
              <ModalForm<{ code: string; name: string; adapterCode: string }>
                key="create"
                title={t('channels.createTitle')}
                width={480}
                modalProps={{ destroyOnHidden: true }}
                trigger={
                  <Button type="primary" icon={<PlusOutlined />}>
                    {t('channels.create')}
                  </Button>
                }
                onFinish={async (v) => {
                  try {
                    await api.post('/api/admin/channels', {
                      code: v.code.trim(),
                      name: v.name.trim(),
                      adapterCode: v.adapterCode,
                    });
                    message.success(t('common:common.saved'));
                    props.onChanged();
                    return true;
                  } catch (e) {
                    message.error(errorText(e));
                    return false;
                  }
                }}
              >
                <ProFormSelect
                  name="adapterCode"
                  label={t('channels.adapter')}
                  extra={t('channels.adapterHint')}
                  options={props.adapters.map((a) => ({ value: a.code, label: `${a.name}（${a.code}）` }))}
                  rules={[{ required: true, message: t('channels.adapterRequired') }]}
                />
                <ProFormText
                  name="code"
                  label={t('channels.code')}
                  placeholder="alipay_main"
                  rules={[{ required: true, pattern: /^[a-z0-9_]{2,32}$/, message: t('products.codeRule') }]}
                />
                <ProFormText
                  name="name"
                  label={t('channels.name')}
                  rules={[{ required: true, whitespace: true, max: 64 }]}
                />
              </ModalForm>,
            ]
          : []
      }
    />
  );
}

function AccountsTable({
  channels,
  adapters,
  products,
}: {
  channels: Channel[];
  adapters: Adapter[];
  products: Product[];
}) {
  const { t } = useTranslation(['operator', 'common']);
  const onRequestError = useRequestError();
  const can = useCan();
  const writable = can('catalog.write');
  const actionRef = useRef<ActionType>(null);
  const reload = () => actionRef.current?.reload();
  const channelName = new Map(channels.map((c) => [c.code, c.name]));
  const productName = new Map(products.map((p) => [p.code, p.name]));
  const health = useChannelHealth();

  const columns: ProColumns<ChannelAccount>[] = [
    {
      title: t('accounts.name'),
      dataIndex: 'name',
      width: 160,
      render: (_, a) => (
        <TwoLineCell secondary={`#${a.id}`}>
          <Space size={6} wrap>
            <span>{a.name}</span>
            <HealthBadge health={health.byId.get(a.id)} />
            {a.testAccount && (
              <Tooltip title={t('accounts.testAccountHint')}>
                <Tag color="orange">{t('accounts.testAccount')}</Tag>
              </Tooltip>
            )}
          </Space>
        </TwoLineCell>
      ),
    },
    {
      title: t('accounts.channel'),
      dataIndex: 'channelCode',
      width: 150,
      render: (_, a) => (
        <Space direction="vertical" size={0}>
          <span>{channelName.get(a.channelCode) ?? a.channelCode}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {a.channelCode} · {a.adapterCode}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('accounts.credentials'),
      dataIndex: 'hasCredentials',
      width: 90,
      render: (_, a) =>
        a.hasCredentials === false ? (
          <Tag color="red">{t('common:common.notSet')}</Tag>
        ) : (
          <Tag color="green">{t('common:common.set')}</Tag>
        ),
    },
    {
      title: t('accounts.costRates'),
      dataIndex: 'rates',
      width: 180,
      render: (_, a) =>
        a.rates.length === 0 ? (
          <Typography.Text type="secondary">{t('accounts.noRates')}</Typography.Text>
        ) : (
          <Space size={[4, 4]} wrap>
            {a.rates.map((r) => (
              <Tooltip key={r.productCode} title={productName.get(r.productCode) ?? r.productCode}>
                <Tag>
                  {r.productCode}{' '}
                  <strong>
                    {feeTermsText(t, { ratePpm: r.costRatePpm, fixed: r.fixedCost, minimum: r.minimumCost })}
                  </strong>
                </Tag>
              </Tooltip>
            ))}
          </Space>
        ),
    },
    {
      title: t('accounts.state'),
      dataIndex: 'enabled',
      width: 90,
      render: (_, a) => (
        <EnabledSwitch
          enabled={a.enabled}
          writable={writable}
          path={`/api/admin/channel-accounts/${a.id}`}
          label={t('accounts.state')}
          doneText={(enabled) => (enabled ? t('accounts.enabledDone') : t('accounts.disabledDone'))}
          onSaved={reload}
        />
      ),
    },
    {
      title: t('accounts.payout'),
      dataIndex: 'payoutEnabled',
      width: 90,
      tooltip: t('accounts.payoutHint'),
      render: (_, a) => <PayoutSwitch account={a} writable={writable} onSaved={reload} />,
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      valueType: 'option',
      width: 200,
      hideInTable: !writable,
      render: (_, a) => (
        <Space size={[8, 0]} wrap>
          <AccountForm
            account={a}
            channels={channels}
            adapters={adapters}
            products={products}
            onDone={reload}
            trigger={
              <Button type="link" size="small" style={{ padding: 0 }}>
                {t('common:actions.edit')}
              </Button>
            }
          />
          <RatesForm account={a} products={products} onDone={reload} />
          <ConnectionButton account={a} />
          <BreakerSettingsForm
            accountId={a.id}
            accountName={a.name}
            health={health.byId.get(a.id)}
            writable={writable}
            onSaved={() => void health.reload()}
            trigger={
              <Button type="link" size="small" style={{ padding: 0 }}>
                {t('health.breaker')}
              </Button>
            }
          />
          <DeleteToBin
            path={`/api/admin/channel-accounts/${encodeURIComponent(a.id)}`}
            name={a.name}
            onDone={reload}
          />
        </Space>
      ),
    },
  ];

  return (
    <ProTable<ChannelAccount>
      rowKey="id"
      actionRef={actionRef}
      headerTitle={t('channels.accountsTab')}
      tooltip={t('accounts.hint')}
      columns={columns}
      cardBordered
      search={false}
      scroll={{ x: widthOf(columns) }}
      columnsState={remembered('operator.channelAccounts')}
      pagination={{ defaultPageSize: 20, hideOnSinglePage: true }}
      options={{ density: false, setting: true, reload: true }}
      onRequestError={onRequestError}
      request={async () => {
        const data = await api.get<ChannelAccount[]>('/api/admin/channel-accounts');
        return { data, total: data.length, success: true };
      }}
      toolBarRender={() =>
        writable
          ? [
              <AccountForm
                key="create"
                channels={channels}
                adapters={adapters}
                products={products}
                onDone={reload}
                trigger={
                  <Button type="primary" icon={<PlusOutlined />}>
                    {t('accounts.create')}
                  </Button>
                }
              />,
            ]
          : []
      }
    />
  );
}

/** One product's cost as typed: rate in %, fixed cost and minimum in yuan. */
interface CostValues {
  rate?: string;
  fixedCost?: string;
  minimumCost?: string;
}

interface AccountValues {
  channelCode: string;
  name: string;
  credentials?: Record<string, string | undefined>;
  config?: string;
  enabled: boolean;
  rates?: { productCode: string; cost: string; fixedCost?: string; minimumCost?: string }[];
}

/**
 * Create or edit a channel account: the fields its adapter declares (labels in the console's
 * language; secrets and keys write-only, 已保存 beside a stored one, blank keeps it), the settings,
 * and on edit the notify URLs to give the channel and 测试连接.
 */
function AccountForm(props: {
  account?: ChannelAccount;
  channels: Channel[];
  adapters: Adapter[];
  products: Product[];
  trigger: ReactElement;
  onDone: () => void;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const words = useWords();
  const [form] = Form.useForm<AccountValues>();
  const { account } = props;
  const adapterOfChannel = (code: string | undefined) => {
    const channel = props.channels.find((c) => c.code === code);
    return props.adapters.find((a) => a.code === channel?.adapterCode);
  };
  return (
    <DrawerForm<AccountValues>
      form={form}
      title={account ? t('accounts.editTitle', { name: account.name }) : t('accounts.createTitle')}
      width={620}
      trigger={props.trigger}
      drawerProps={{ destroyOnHidden: true }}
      initialValues={
        account
          ? {
              channelCode: account.channelCode,
              name: account.name,
              credentials: { ...(account.publicCredentials ?? {}) },
              config:
                account.config && Object.keys(account.config).length > 0
                  ? JSON.stringify(account.config, null, 2)
                  : '',
              enabled: account.enabled,
            }
          : { enabled: true, rates: [] }
      }
      onFinish={async (v) => {
        const adapter = adapterOfChannel(v.channelCode);
        if (!adapter) return false;
        const credentials = credentialsOf(adapter, v.credentials);
        const config = v.config?.trim() ? parseJsonObject(v.config) : {};
        try {
          if (account) {
            await api.patch(`/api/admin/channel-accounts/${account.id}`, {
              name: v.name.trim(),
              credentials,
              config,
              enabled: v.enabled,
            });
          } else {
            await api.post('/api/admin/channel-accounts', {
              channelCode: v.channelCode,
              name: v.name.trim(),
              credentials,
              config,
              rates: (v.rates ?? []).map((r) => ({
                productCode: r.productCode,
                costRatePpm: ppmFromPercent(r.cost),
                fixedCost: feePartOf(r.fixedCost),
                minimumCost: feePartOf(r.minimumCost),
              })),
            });
          }
          message.success(account ? t('common:common.saved') : t('accounts.created'));
          props.onDone();
          return true;
        } catch (e) {
          // A credential the adapter refused (a PEM that does not parse …) is shown under its field.
          const problem = credentialProblem(e, adapter, words, t);
          if (problem) form.setFields([problem]);
          message.error(problem ? problem.errors[0] : errorText(e));
          return false;
        }
      }}
    >
      <ProFormSelect
        name="channelCode"
        label={t('accounts.channel')}
        disabled={!!account}
        options={props.channels.map((c) => ({
          value: c.code,
          label: `${c.name}（${c.code} · ${c.adapterCode}）`,
        }))}
        rules={[{ required: true, message: t('accounts.channelRequired') }]}
      />
      <ProFormText
        name="name"
        label={t('accounts.name')}
        placeholder={t('accounts.namePlaceholder')}
        rules={[{ required: true, whitespace: true, max: 64 }]}
      />
      <ProFormDependency name={['channelCode']}>
        {({ channelCode }) => {
          const adapter = adapterOfChannel(channelCode as string | undefined);
          if (!adapter)
            return (
              <Alert
                type="info"
                showIcon
                style={{ marginBottom: 16 }}
                message={t('accounts.pickChannelFirst')}
              />
            );
          return (
            <>
              <Typography.Title level={5} style={{ marginTop: 0 }}>
                {t('accounts.credentialsOf', { adapter: adapter.name })}
              </Typography.Title>
              <Typography.Paragraph type="secondary">
                {t('accounts.credentialsWriteOnly')}
              </Typography.Paragraph>
              <CredentialFields adapter={adapter} account={account} />
            </>
          );
        }}
      </ProFormDependency>
      <ProFormTextArea
        name="config"
        label={t('accounts.configJson')}
        placeholder={'{\n  "payMode": "…"\n}'}
        extra={t('accounts.configHint')}
        fieldProps={{ rows: 3, className: 'qy-mono', style: { fontSize: 12 }, spellCheck: false }}
        rules={[jsonObjectRule(false)]}
      />
      {account ? (
        <>
          <ProFormSwitch name="enabled" label={t('accounts.state')} />
          <Typography.Title level={5}>{t('accounts.connectionSection')}</Typography.Title>
          <ConnectionPanel account={account} />
        </>
      ) : (
        <ProFormList
          name="rates"
          label={t('accounts.costRates')}
          creatorButtonProps={{ creatorButtonText: t('accounts.addRate') }}
          copyIconProps={false}
          itemRender={({ listDom, action }) => (
            <Row gutter={8} align="top" wrap={false}>
              <Col flex="auto">{listDom}</Col>
              <Col flex="none" style={{ paddingTop: 4 }}>
                {action}
              </Col>
            </Row>
          )}
        >
          <Row gutter={8}>
            <Col span={24}>
              <ProFormSelect
                name="productCode"
                placeholder={t('products.product')}
                options={props.products.map((p) => ({ value: p.code, label: `${p.name}（${p.code}）` }))}
                rules={[{ required: true, message: t('products.productRequired') }]}
              />
            </Col>
            <Col span={8}>
              <ProFormText
                name="cost"
                placeholder={t('accounts.costRate')}
                fieldProps={{ suffix: '%', inputMode: 'decimal' }}
                rules={[percentRule(true)]}
              />
            </Col>
            <Col span={8}>
              <ProFormText
                name="fixedCost"
                placeholder={t('fees.fixedCost')}
                fieldProps={{ prefix: '¥', inputMode: 'decimal', 'aria-label': t('fees.fixedCost') }}
                rules={[feeRule()]}
              />
            </Col>
            <Col span={8}>
              <ProFormText
                name="minimumCost"
                placeholder={t('fees.minimumCost')}
                fieldProps={{ prefix: '¥', inputMode: 'decimal', 'aria-label': t('fees.minimumCost') }}
                rules={[feeRule()]}
              />
            </Col>
          </Row>
        </ProFormList>
      )}
    </DrawerForm>
  );
}

/** 成本费率: the account's cost for each product, all products in one dialog. */
function RatesForm({
  account,
  products,
  onDone,
}: {
  account: ChannelAccount;
  products: Product[];
  onDone: () => void;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [form] = Form.useForm<Record<string, CostValues>>();
  const current = new Map(account.rates.map((r) => [r.productCode, r]));
  /** A product's cost as typed → the API's body; null when its rate is left empty (not set). */
  const costOf = (v: CostValues | undefined) => {
    const ratePpm = v?.rate?.trim() ? ppmFromPercent(v.rate) : null;
    if (ratePpm === null) return null;
    return {
      costRatePpm: ratePpm,
      fixedCost: feePartOf(v?.fixedCost),
      minimumCost: feePartOf(v?.minimumCost),
    };
  };
  return (
    <ModalForm<Record<string, CostValues>>
      form={form}
      title={t('accounts.ratesTitle', { name: account.name })}
      width={560}
      modalProps={{ destroyOnHidden: true }}
      trigger={
        <Button type="link" size="small" style={{ padding: 0 }} icon={<PercentageOutlined />}>
          {t('accounts.costRates')}
        </Button>
      }
      initialValues={Object.fromEntries(
        products.map((p) => {
          const rate = current.get(p.code);
          return [
            p.code,
            {
              rate: percentPlain(rate?.costRatePpm),
              fixedCost: feePartPlain(rate?.fixedCost),
              minimumCost: feePartPlain(rate?.minimumCost),
            },
          ];
        }),
      )}
      onFinish={async (values) => {
        const changed = products.flatMap((p) => {
          const cost = costOf(values[p.code]);
          const was = current.get(p.code);
          const same =
            was &&
            cost &&
            was.costRatePpm === cost.costRatePpm &&
            was.fixedCost === cost.fixedCost &&
            was.minimumCost === cost.minimumCost;
          return cost && !same ? [{ code: p.code, cost }] : [];
        });
        try {
          for (const { code, cost } of changed) {
            await api.put(`/api/admin/channel-accounts/${account.id}/rates/${code}`, cost);
          }
          message.success(t('accounts.ratesSaved', { count: changed.length }));
          onDone();
          return true;
        } catch (e) {
          message.error(errorText(e));
          onDone();
          return false;
        }
      }}
    >
      <Typography.Paragraph type="secondary">{t('accounts.ratesHint')}</Typography.Paragraph>
      {products.map((p) => (
        <Form.Item
          key={p.code}
          label={`${p.name}（${p.code}）`}
          extra={t('accounts.defaultRateRef', {
            rate: feeTermsText(
              t,
              { ratePpm: p.defaultRatePpm, fixed: p.defaultFixedFee, minimum: p.defaultMinimumFee },
              p.currency,
            ),
          })}
          style={{ marginBottom: 16 }}
        >
          <Row gutter={8}>
            <Col xs={24} sm={8}>
              <Form.Item name={[p.code, 'rate']} rules={[percentRule(false)]} noStyle>
                <Input
                  suffix="%"
                  inputMode="decimal"
                  placeholder={t('accounts.notSetPlaceholder')}
                  aria-label={`${p.code} ${t('accounts.costRate')}`}
                />
              </Form.Item>
            </Col>
            <Col xs={12} sm={8}>
              <Form.Item name={[p.code, 'fixedCost']} rules={[feeRule()]} noStyle>
                <Input
                  prefix="¥"
                  inputMode="decimal"
                  placeholder={t('fees.fixedCost')}
                  aria-label={`${p.code} ${t('fees.fixedCost')}`}
                />
              </Form.Item>
            </Col>
            <Col xs={12} sm={8}>
              <Form.Item name={[p.code, 'minimumCost']} rules={[feeRule()]} noStyle>
                <Input
                  prefix="¥"
                  inputMode="decimal"
                  placeholder={t('fees.minimumCost')}
                  aria-label={`${p.code} ${t('fees.minimumCost')}`}
                />
              </Form.Item>
            </Col>
          </Row>
        </Form.Item>
      ))}
    </ModalForm>
  );
}

/** Whether payouts may be routed to this account (代付); saved at once, like the enabled switch. */
function PayoutSwitch({
  account,
  writable,
  onSaved,
}: {
  account: ChannelAccount;
  writable: boolean;
  onSaved: () => void;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const on = account.payoutEnabled === true;
  if (!writable)
    return on ? (
      <Tag color="green">{t('common:common.enabled')}</Tag>
    ) : (
      <Tag>{t('common:common.disabled')}</Tag>
    );
  return (
    <Switch
      size="small"
      checked={on}
      aria-label={t('accounts.payoutLabel', { name: account.name })}
      onChange={async (payoutEnabled) => {
        try {
          await api.patch(`/api/admin/channel-accounts/${account.id}`, { payoutEnabled });
          message.success(payoutEnabled ? t('accounts.payoutOn') : t('accounts.payoutOff'));
          onSaved();
        } catch (e) {
          message.error(errorText(e));
        }
      }}
    />
  );
}
