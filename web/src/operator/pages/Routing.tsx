import { DeleteOutlined, EditOutlined, InfoCircleOutlined, PlusOutlined } from '@ant-design/icons';
import {
  DrawerForm,
  ProCard,
  ProDescriptions,
  ProForm,
  ProFormCheckbox,
  ProFormDependency,
  ProFormDigit,
  ProFormSelect,
  ProFormSwitch,
  ProFormText,
} from '@ant-design/pro-components';
import {
  Alert,
  App,
  Button,
  Col,
  Empty,
  InputNumber,
  Popconfirm,
  Progress,
  Result,
  Row,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  TimePicker,
  Tooltip,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import dayjs, { type Dayjs } from 'dayjs';
import { type ReactElement, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api.ts';
import { Chart, type ChartOption } from '../../shell/Chart.tsx';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { errorText } from '../../shell/errors.ts';
import { parseYuan, percentFromPpm, yuan, yuanPlain } from '../../shell/format.ts';
import {
  amountRule,
  integerProblem,
  integerRule,
  minorOrNull,
  PRIORITY_RANGE,
  WEIGHT_RANGE,
} from '../../shell/forms.ts';
import { widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { useCan } from '../../shell/session.tsx';
import { useApi } from '../../shell/useApi.ts';
import { type ChannelHealth, HealthBadge, useChannelHealth } from '../health/HealthBadge.tsx';
import type { Adapter, Binding, BindingInput, ChannelAccount, Product } from '../types.ts';

/** What routing does with a binding: its share of the traffic within its priority, or why it gets none. */
interface Share {
  share: number;
  primary: boolean;
  excluded: 'disabled' | 'account_disabled' | 'zero_weight' | null;
}

/** Mirrors src/routing/route.ts: the highest priority is tried first; within a priority, by weight. */
export function sharesOf(bindings: Binding[]): Map<string, Share> {
  const excludedOf = (b: Binding): Share['excluded'] =>
    !b.enabled ? 'disabled' : !b.accountEnabled ? 'account_disabled' : b.weight <= 0 ? 'zero_weight' : null;
  const eligible = bindings.filter((b) => excludedOf(b) === null);
  const top = eligible.length ? Math.max(...eligible.map((b) => b.priority)) : 0;
  const sums = new Map<number, number>();
  for (const b of eligible) sums.set(b.priority, (sums.get(b.priority) ?? 0) + b.weight);
  return new Map(
    bindings.map((b) => {
      const excluded = excludedOf(b);
      const sum = sums.get(b.priority) ?? 0;
      return [
        b.channelAccountId,
        {
          excluded,
          primary: excluded === null && b.priority === top,
          share: excluded === null && sum > 0 ? b.weight / sum : 0,
        },
      ];
    }),
  );
}

function inputOf(b: Binding): BindingInput {
  return {
    weight: b.weight,
    priority: b.priority,
    minAmount: b.minAmount,
    maxAmount: b.maxAmount,
    dailyLimit: b.dailyLimit,
    windowStart: b.windowStart,
    windowEnd: b.windowEnd,
    enabled: b.enabled,
    // An edit in place keeps the confirmation the binding was made with.
    ...(b.testAccountAllowed ? { allowTestAccount: true } : {}),
  };
}

/** 通道路由: a product's channel accounts with weight, priority, limits and time windows — edited in place. */
export function RoutingPage() {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const can = useCan();
  const writable = can('catalog.write');
  const [params, setParams] = useSearchParams();
  const products = useApi<Product[]>('/api/admin/products');
  const accounts = useApi<ChannelAccount[]>('/api/admin/channel-accounts');
  const adapters = useApi<Adapter[]>('/api/admin/adapters');
  const code = params.get('product') ?? products.data?.[0]?.code ?? null;
  const product = products.data?.find((p) => p.code === code);
  const bindings = useApi<Binding[]>(
    code ? `/api/admin/products/${encodeURIComponent(code)}/bindings` : null,
  );
  const rows = bindings.data ?? [];
  const shares = useMemo(() => sharesOf(rows), [rows]);
  const health = useChannelHealth();
  // Only accounts whose adapter serves the product's pay way can take its orders: the others are not offered.
  const servable = (accounts.data ?? []).filter(
    (a) =>
      product !== undefined &&
      adapters.data?.find((d) => d.code === a.adapterCode)?.payWays.includes(product.payWay) === true,
  );

  const save = async (b: Binding, patch: Partial<BindingInput>, quiet = false) => {
    if (!code) return;
    const body = { ...inputOf(b), ...patch };
    // Shown at once; the server's answer (reload) is the truth.
    bindings.setData(rows.map((r) => (r.channelAccountId === b.channelAccountId ? { ...r, ...patch } : r)));
    try {
      await api.put(`/api/admin/products/${encodeURIComponent(code)}/bindings/${b.channelAccountId}`, body);
      if (!quiet) message.success(t('common:common.saved'));
    } catch (e) {
      message.error(errorText(e));
    } finally {
      await bindings.reload();
    }
  };

  const remove = async (b: Binding) => {
    if (!code) return;
    try {
      await api.del(`/api/admin/products/${encodeURIComponent(code)}/bindings/${b.channelAccountId}`);
      message.success(t('routing.removed', { name: b.accountName }));
    } catch (e) {
      message.error(errorText(e));
    } finally {
      await bindings.reload();
    }
  };

  const productSelect = (
    <Select
      key="product"
      showSearch
      style={{ minWidth: 280 }}
      value={code ?? undefined}
      loading={products.loading}
      placeholder={t('routing.pickProduct')}
      aria-label={t('routing.pickProduct')}
      optionFilterProp="label"
      options={(products.data ?? []).map((p) => ({
        value: p.code,
        label: `${p.name}（${p.code}）${p.enabled ? '' : ` · ${t('common:common.disabled')}`}`,
      }))}
      onChange={(value: string) => setParams({ product: value }, { replace: true })}
    />
  );

  if (products.data && products.data.length === 0) {
    return (
      <Page title={t('routing.title')}>
        <Result
          status="info"
          title={t('routing.noProducts')}
          extra={
            <Link to="/operator/products">
              <Button type="primary">{t('routing.goProducts')}</Button>
            </Link>
          }
        />
      </Page>
    );
  }

  return (
    <Page title={t('routing.title')} subTitle={t('routing.subtitle')} extra={[productSelect]}>
      <ErrorAlert error={products.error ?? bindings.error} />
      <ProCard split="vertical" bordered style={{ marginBottom: 16 }}>
        <ProCard colSpan={{ xs: 24, lg: 14 }} title={product ? product.name : t('routing.product')}>
          {product && (
            <ProDescriptions column={2} size="small">
              <ProDescriptions.Item label={t('products.code')}>
                <span className="qy-mono">{product.code}</span>
              </ProDescriptions.Item>
              <ProDescriptions.Item label={t('glossary:payWay')}>
                {t(`glossary:payWays.${product.payWay}`)}
              </ProDescriptions.Item>
              <ProDescriptions.Item label={t('products.defaultRate')}>
                {percentFromPpm(product.defaultRatePpm)}
              </ProDescriptions.Item>
              <ProDescriptions.Item label={t('products.amountRange')}>
                {yuan(product.minAmount)} – {yuan(product.maxAmount)}
              </ProDescriptions.Item>
              <ProDescriptions.Item label={t('routing.bound')}>
                {t('routing.boundCount', {
                  total: rows.length,
                  active: [...shares.values()].filter((s) => s.excluded === null).length,
                })}
              </ProDescriptions.Item>
            </ProDescriptions>
          )}
          <Alert
            type="info"
            showIcon
            icon={<InfoCircleOutlined />}
            style={{ marginTop: 12 }}
            message={t('routing.rules')}
          />
        </ProCard>
        <ProCard colSpan={{ xs: 24, lg: 10 }} title={t('routing.shareTitle')}>
          <ShareChart rows={rows} shares={shares} />
        </ProCard>
      </ProCard>

      <ProCard
        bordered
        title={t('routing.bindings')}
        extra={
          writable && product ? (
            <BindingForm
              product={product}
              accounts={servable}
              bindings={rows}
              onSaved={bindings.reload}
              trigger={
                <Button type="primary" icon={<PlusOutlined />}>
                  {t('routing.add')}
                </Button>
              }
            />
          ) : undefined
        }
      >
        <div data-testid="bindings-table">
          <BindingsTable
            rows={rows}
            shares={shares}
            health={health.byId}
            product={product}
            loading={bindings.loading && !bindings.data}
            writable={writable}
            onSave={save}
            onRemove={remove}
            editForm={(b) =>
              product ? (
                <BindingForm
                  product={product}
                  accounts={servable}
                  bindings={rows}
                  binding={b}
                  onSaved={bindings.reload}
                  trigger={
                    <Button type="link" size="small" icon={<EditOutlined />} style={{ padding: 0 }}>
                      {t('common:actions.edit')}
                    </Button>
                  }
                />
              ) : null
            }
          />
        </div>
      </ProCard>
    </Page>
  );
}

function BindingsTable(props: {
  rows: Binding[];
  shares: Map<string, Share>;
  /** Each account's live health (circuit breaker), by id. */
  health: Map<string, ChannelHealth>;
  product: Product | undefined;
  loading: boolean;
  writable: boolean;
  onSave: (b: Binding, patch: Partial<BindingInput>, quiet?: boolean) => Promise<void>;
  onRemove: (b: Binding) => Promise<void>;
  editForm: (b: Binding) => ReactElement | null;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const defaultRate = props.product?.defaultRatePpm;
  const columns: ColumnsType<Binding> = [
    {
      title: t('routing.account'),
      dataIndex: 'accountName',
      fixed: 'left',
      width: 170,
      render: (_, b) => (
        <Space direction="vertical" size={0}>
          <Space size={6} wrap>
            <Typography.Text strong>{b.accountName}</Typography.Text>
            <HealthBadge health={props.health.get(b.channelAccountId)} />
            {!b.accountEnabled && <Tag color="red">{t('routing.accountDisabled')}</Tag>}
            {b.testAccount && (
              <Tooltip title={t('routing.testAccountHint')}>
                <Tag color="orange">{t('routing.testAccount')}</Tag>
              </Tooltip>
            )}
          </Space>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            #{b.channelAccountId} · {b.adapterCode}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: (
        <Tooltip title={t('routing.costVsDefaultHint')}>
          {t('routing.costVsDefault')} <InfoCircleOutlined />
        </Tooltip>
      ),
      key: 'rate',
      width: 120,
      render: (_, b) => <RateSpread cost={b.costRatePpm} rate={defaultRate} />,
    },
    {
      title: t('routing.weight'),
      dataIndex: 'weight',
      width: 90,
      render: (_, b) =>
        props.writable ? (
          <InlineNumber
            value={b.weight}
            range={WEIGHT_RANGE}
            label={t('routing.weight')}
            onSave={(weight) => props.onSave(b, { weight }, true)}
          />
        ) : (
          b.weight
        ),
    },
    {
      title: t('routing.share'),
      key: 'share',
      width: 130,
      render: (_, b) => <ShareCell share={props.shares.get(b.channelAccountId)} priority={b.priority} />,
    },
    {
      title: (
        <Tooltip title={t('routing.priorityHint')}>
          {t('routing.priority')} <InfoCircleOutlined />
        </Tooltip>
      ),
      dataIndex: 'priority',
      width: 90,
      render: (_, b) =>
        props.writable ? (
          <InlineNumber
            value={b.priority}
            range={PRIORITY_RANGE}
            label={t('routing.priority')}
            onSave={(priority) => props.onSave(b, { priority }, true)}
          />
        ) : (
          b.priority
        ),
    },
    {
      title: (
        <Tooltip title={t('routing.conditionsHint')}>
          {t('routing.conditions')} <InfoCircleOutlined />
        </Tooltip>
      ),
      key: 'conditions',
      width: 150,
      render: (_, b) => <Conditions binding={b} />,
    },
    {
      title: t('routing.enabled'),
      dataIndex: 'enabled',
      width: 76,
      render: (_, b) => (
        <Switch
          size="small"
          checked={b.enabled}
          disabled={!props.writable}
          aria-label={t('routing.enabled')}
          onChange={(enabled) => props.onSave(b, { enabled })}
        />
      ),
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      width: 130,
      hidden: !props.writable,
      render: (_, b) => (
        <Space size={12}>
          {props.editForm(b)}
          <Popconfirm
            title={t('routing.removeConfirm', { name: b.accountName })}
            description={t('routing.removeHint')}
            okButtonProps={{ danger: true }}
            onConfirm={() => props.onRemove(b)}
          >
            <Button type="link" size="small" danger icon={<DeleteOutlined />} style={{ padding: 0 }}>
              {t('common:actions.remove')}
            </Button>
          </Popconfirm>
        </Space>
      ),
    },
  ];
  return (
    <Table<Binding>
      rowKey="channelAccountId"
      size="middle"
      columns={columns}
      dataSource={[...props.rows].sort((a, b) => b.priority - a.priority || b.weight - a.weight)}
      loading={props.loading}
      pagination={false}
      // The columns fit at 1280 px; none is fixed on the right, so none covers the enable switch.
      scroll={{ x: widthOf(columns) }}
      rowClassName={(b) => (props.shares.get(b.channelAccountId)?.excluded ? 'qy-row-muted' : '')}
      locale={{ emptyText: <Empty description={t('routing.empty')} /> }}
    />
  );
}

/** Cost rate next to the product's default merchant rate, and the margin between them. */
function RateSpread({ cost, rate }: { cost: number | null; rate: number | undefined }) {
  const { t } = useTranslation('operator');
  if (cost === null) return <Tag color="warning">{t('routing.noCost')}</Tag>;
  const margin = rate === undefined ? null : rate - cost;
  return (
    <Space direction="vertical" size={0}>
      <span>
        <Typography.Text strong>{percentFromPpm(cost)}</Typography.Text>
        <Typography.Text type="secondary"> / {percentFromPpm(rate)}</Typography.Text>
      </span>
      {margin !== null && (
        <Typography.Text style={{ fontSize: 12 }} type={margin < 0 ? 'danger' : 'success'}>
          {t('routing.margin')} {margin >= 0 ? '+' : '−'}
          {percentFromPpm(Math.abs(margin))}
        </Typography.Text>
      )}
    </Space>
  );
}

function ShareCell({ share, priority }: { share: Share | undefined; priority: number }) {
  const { t } = useTranslation('operator');
  if (!share) return null;
  if (share.excluded) return <Tag>{t(`routing.excluded.${share.excluded}`)}</Tag>;
  const role = share.primary ? t('routing.primary') : t('routing.fallback', { priority });
  return (
    <Space direction="vertical" size={0} style={{ width: '100%' }}>
      <Progress
        aria-label={role}
        percent={Math.round(share.share * 1000) / 10}
        size="small"
        strokeColor={share.primary ? undefined : '#faad14'}
      />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {role}
      </Typography.Text>
    </Space>
  );
}

/** 接单条件: amount range, daily limit and time window of a binding, one line each. */
function Conditions({ binding: b }: { binding: Binding }) {
  const { t } = useTranslation('operator');
  const line = (label: string, value: ReactElement | string) => (
    <div style={{ fontSize: 12, lineHeight: '20px' }}>
      <Typography.Text type="secondary">{label}</Typography.Text>
      {value}
    </div>
  );
  const unlimited = <Typography.Text type="secondary">{t('routing.unlimited')}</Typography.Text>;
  return (
    <div>
      {line(
        t('routing.amountShort'),
        b.minAmount === null && b.maxAmount === null
          ? unlimited
          : `${b.minAmount === null ? '…' : yuan(b.minAmount)} – ${b.maxAmount === null ? '…' : yuan(b.maxAmount)}`,
      )}
      {line(t('routing.dailyShort'), b.dailyLimit === null ? unlimited : yuan(b.dailyLimit))}
      {line(t('routing.windowShort'), <WindowText start={b.windowStart} end={b.windowEnd} />)}
    </div>
  );
}

function WindowText({ start, end }: { start: string | null; end: string | null }) {
  const { t } = useTranslation('operator');
  if (!start || !end || start === end)
    return <Typography.Text type="secondary">{t('routing.allDay')}</Typography.Text>;
  return (
    <span className="qy-mono">
      {start}–{end}
      {start > end && (
        <Tag color="purple" style={{ marginLeft: 6 }}>
          {t('routing.overnight')}
        </Tag>
      )}
    </span>
  );
}

/**
 * A whole number edited in the table: saved on Enter or when leaving the field, if it changed. A value
 * out of range is not saved and says why next to the field (Esc puts the saved value back).
 */
function InlineNumber(props: {
  value: number;
  range: { min: number; max: number };
  label: string;
  onSave: (v: number) => Promise<void>;
}) {
  const [value, setValue] = useState<number | null>(props.value);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    setValue(props.value);
    setError(null);
  }, [props.value]);
  const commit = async () => {
    if (value === props.value) {
      setError(null);
      return;
    }
    const problem = integerProblem(value, props.label, props.range);
    setError(problem);
    if (problem || value === null) return;
    setSaving(true);
    try {
      await props.onSave(value);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Tooltip open={error !== null} title={error} color="red" placement="bottom">
      <InputNumber
        size="small"
        value={value}
        precision={0}
        disabled={saving}
        status={error ? 'error' : undefined}
        aria-label={props.label}
        aria-invalid={error !== null}
        style={{ width: 76 }}
        onChange={(v) => setValue(typeof v === 'number' ? v : null)}
        onBlur={() => void commit()}
        onPressEnter={() => void commit()}
        onKeyDown={(e) => {
          if (e.key !== 'Escape') return;
          setValue(props.value);
          setError(null);
        }}
      />
    </Tooltip>
  );
}

function ShareChart({ rows, shares }: { rows: Binding[]; shares: Map<string, Share> }) {
  const { t } = useTranslation('operator');
  const primary = rows.filter((b) => shares.get(b.channelAccountId)?.primary);
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'item', formatter: '{b}: {d}%' },
      legend: { type: 'scroll', orient: 'vertical', right: 0, top: 'middle' },
      series: [
        {
          type: 'pie',
          radius: ['50%', '78%'],
          center: ['35%', '50%'],
          label: { show: false },
          itemStyle: { borderColor: '#fff', borderWidth: 2 },
          data: primary.map((b) => ({ name: b.accountName, value: b.weight })),
        },
      ],
    }),
    [primary],
  );
  if (primary.length === 0)
    return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('routing.noActive')} />;
  return <Chart option={option} height={170} ariaLabel={t('routing.shareTitle')} />;
}

interface BindingValues {
  channelAccountId: string;
  weight: number;
  priority: number;
  minAmount?: string;
  maxAmount?: string;
  dailyLimit?: string;
  window?: [Dayjs | null, Dayjs | null] | null;
  enabled: boolean;
  allowTestAccount?: boolean;
}

/** Add a binding (pick an account) or edit one: every routing field with validation and a share preview. */
function BindingForm(props: {
  product: Product;
  accounts: ChannelAccount[];
  bindings: Binding[];
  binding?: Binding;
  trigger: ReactElement;
  onSaved: () => Promise<void>;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const { product, binding } = props;
  const bound = new Set(props.bindings.map((b) => b.channelAccountId));
  const candidates = props.accounts.filter((a) => !bound.has(a.id) || a.id === binding?.channelAccountId);
  const costOf = (a: ChannelAccount) =>
    a.rates.find((r) => r.productCode === product.code)?.costRatePpm ?? null;

  const previewShare = (values: Partial<BindingValues>) => {
    const id = binding?.channelAccountId ?? values.channelAccountId ?? '__new__';
    const draft: Binding = {
      channelAccountId: id,
      accountName: '',
      adapterCode: '',
      costRatePpm: null,
      fixedCost: null,
      minimumCost: null,
      weight: Number(values.weight ?? 0),
      priority: Number(values.priority ?? 0),
      minAmount: null,
      maxAmount: null,
      dailyLimit: null,
      windowStart: null,
      windowEnd: null,
      enabled: values.enabled ?? true,
      accountEnabled: binding?.accountEnabled ?? props.accounts.find((a) => a.id === id)?.enabled ?? true,
      testAccount: false,
      testAccountAllowed: false,
    };
    const others = props.bindings.filter((b) => b.channelAccountId !== id);
    return sharesOf([...others, draft]).get(id);
  };

  return (
    <DrawerForm<BindingValues>
      title={
        binding
          ? t('routing.editTitle', { name: binding.accountName })
          : t('routing.addTitle', { product: product.name })
      }
      width={560}
      trigger={props.trigger}
      drawerProps={{ destroyOnHidden: true }}
      dateFormatter={false}
      initialValues={
        binding
          ? {
              channelAccountId: binding.channelAccountId,
              weight: binding.weight,
              priority: binding.priority,
              minAmount: yuanPlain(binding.minAmount),
              maxAmount: yuanPlain(binding.maxAmount),
              dailyLimit: yuanPlain(binding.dailyLimit),
              window:
                binding.windowStart && binding.windowEnd
                  ? [dayjs(binding.windowStart, 'HH:mm'), dayjs(binding.windowEnd, 'HH:mm')]
                  : null,
              enabled: binding.enabled,
              allowTestAccount: binding.testAccountAllowed,
            }
          : { weight: 100, priority: 0, enabled: true }
      }
      onFinish={async (v) => {
        const [start, end] = v.window ?? [null, null];
        const body: BindingInput = {
          weight: v.weight,
          priority: v.priority,
          minAmount: minorOrNull(v.minAmount),
          maxAmount: minorOrNull(v.maxAmount),
          dailyLimit: minorOrNull(v.dailyLimit),
          windowStart: start && end ? start.format('HH:mm') : null,
          windowEnd: start && end ? end.format('HH:mm') : null,
          enabled: v.enabled,
          ...(v.allowTestAccount ? { allowTestAccount: true } : {}),
        };
        try {
          await api.put(
            `/api/admin/products/${encodeURIComponent(product.code)}/bindings/${v.channelAccountId}`,
            body,
          );
          message.success(binding ? t('common:common.saved') : t('routing.added'));
          await props.onSaved();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <ProFormSelect
        name="channelAccountId"
        label={t('routing.account')}
        disabled={!!binding}
        showSearch
        placeholder={t('routing.pickAccount')}
        extra={
          candidates.length === 0
            ? t('routing.noCandidates', { way: t(`glossary:payWays.${product.payWay}`) })
            : t('routing.wayCandidates', { way: t(`glossary:payWays.${product.payWay}`) })
        }
        options={candidates.map((a) => {
          const cost = costOf(a);
          return {
            value: a.id,
            label: `${a.name}（#${a.id} · ${a.adapterCode}）${a.testAccount ? ` · ${t('routing.testAccount')}` : ''}${a.enabled ? '' : ` · ${t('common:common.disabled')}`} — ${
              cost === null ? t('routing.noCost') : `${t('routing.cost')} ${percentFromPpm(cost)}`
            }`,
          };
        })}
        fieldProps={{ optionFilterProp: 'label' }}
        rules={[{ required: true, message: t('routing.pickAccount') }]}
      />
      <ProFormDependency name={['channelAccountId']}>
        {({ channelAccountId }) => {
          const account = props.accounts.find((a) => a.id === channelAccountId);
          if (!account?.testAccount) return null;
          // A test account takes orders nobody pays for real: binding it is an explicit decision.
          return (
            <>
              <Alert
                type="warning"
                showIcon
                style={{ marginBottom: 12 }}
                message={t('routing.testAccountWarning')}
              />
              <ProFormCheckbox
                name="allowTestAccount"
                rules={[
                  {
                    validator: async (_r, checked?: boolean) => {
                      if (!checked) throw new Error(t('routing.allowTestAccountRule'));
                    },
                  },
                ]}
              >
                {t('routing.allowTestAccount')}
              </ProFormCheckbox>
            </>
          );
        }}
      </ProFormDependency>
      <ProFormDependency name={['channelAccountId']}>
        {({ channelAccountId }) => {
          const account = props.accounts.find((a) => a.id === channelAccountId);
          if (!account) return null;
          const cost = costOf(account);
          return cost === null ? (
            <Alert
              type="warning"
              showIcon
              style={{ marginBottom: 16 }}
              message={t('routing.noCostWarning')}
            />
          ) : (
            <Alert
              type={cost > product.defaultRatePpm ? 'error' : 'info'}
              showIcon
              style={{ marginBottom: 16 }}
              message={t('routing.costCompare', {
                cost: percentFromPpm(cost),
                rate: percentFromPpm(product.defaultRatePpm),
              })}
            />
          );
        }}
      </ProFormDependency>
      <Row gutter={16}>
        <Col span={12}>
          <ProFormDigit
            name="weight"
            label={t('routing.weight')}
            fieldProps={{ precision: 0, min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }}
            rules={[integerRule(t('routing.weight'), WEIGHT_RANGE)]}
          />
        </Col>
        <Col span={12}>
          <ProFormDigit
            name="priority"
            label={t('routing.priority')}
            fieldProps={{ precision: 0, min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }}
            rules={[integerRule(t('routing.priority'), PRIORITY_RANGE)]}
          />
        </Col>
      </Row>
      <ProFormDependency name={['weight', 'priority', 'enabled', 'channelAccountId']}>
        {(values) => {
          const share = previewShare(values as Partial<BindingValues>);
          return (
            <Typography.Paragraph type="secondary" style={{ marginTop: -8 }}>
              {t('routing.priorityHint')}
              <br />
              {share?.excluded
                ? t(`routing.excluded.${share.excluded}`)
                : share
                  ? t(share.primary ? 'routing.previewPrimary' : 'routing.previewFallback', {
                      share: `${(share.share * 100).toFixed(1)}%`,
                    })
                  : null}
            </Typography.Paragraph>
          );
        }}
      </ProFormDependency>
      <ProForm.Group
        title={t('routing.amountRange')}
        tooltip={t('routing.rangeHint', { min: yuan(product.minAmount), max: yuan(product.maxAmount) })}
      >
        <ProFormText
          name="minAmount"
          label={t('routing.minAmount')}
          width="sm"
          placeholder={t('routing.unlimited')}
          fieldProps={{ prefix: '¥', inputMode: 'decimal' }}
          rules={[amountRule(false)]}
        />
        <ProFormText
          name="maxAmount"
          label={t('routing.maxAmount')}
          width="sm"
          placeholder={t('routing.unlimited')}
          dependencies={['minAmount']}
          fieldProps={{ prefix: '¥', inputMode: 'decimal' }}
          rules={[
            amountRule(false),
            ({ getFieldValue }) => ({
              validator: async (_r, v?: string) => {
                const min = parseYuan(String(getFieldValue('minAmount') ?? ''));
                const max = parseYuan(String(v ?? ''));
                if (min !== null && max !== null && max < min) throw new Error(t('products.maxBelowMin'));
              },
            }),
          ]}
        />
      </ProForm.Group>
      <ProFormText
        name="dailyLimit"
        label={t('routing.dailyLimit')}
        width="sm"
        placeholder={t('routing.unlimited')}
        extra={t('routing.dailyLimitHint')}
        fieldProps={{ prefix: '¥', inputMode: 'decimal' }}
        rules={[amountRule(false)]}
      />
      <ProForm.Item name="window" label={t('routing.window')} extra={t('routing.windowHint')}>
        <TimePicker.RangePicker
          format="HH:mm"
          order={false}
          minuteStep={5}
          allowEmpty={[false, false]}
          placeholder={[t('routing.windowStart'), t('routing.windowEnd')]}
        />
      </ProForm.Item>
      <ProFormSwitch name="enabled" label={t('routing.enabled')} />
    </DrawerForm>
  );
}
