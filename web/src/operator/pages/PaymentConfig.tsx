import { FieldNumberOutlined } from '@ant-design/icons';
import {
  type ActionType,
  ModalForm,
  ProCard,
  type ProColumns,
  ProForm,
  ProFormDependency,
  ProFormDigit,
  ProFormSelect,
  ProFormText,
  ProTable,
} from '@ant-design/pro-components';
import { App, Button, Form, Skeleton, Tag, Typography } from 'antd';
import type { TFunction } from 'i18next';
import { type ReactElement, useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { errorText } from '../../shell/errors.ts';
import { parseYuan, yuan, yuanPlain } from '../../shell/format.ts';
import { remembered } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { useCan } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { useApi } from '../../shell/useApi.ts';
import { useRequestError } from '../../shell/useRequestError.ts';
import { AmountRangeFields } from '../AmountRangeFields.tsx';
import { PAY_WAYS, type PayWay, type Product } from '../types.ts';

/** The platform's timeout when a product has none (src/orders/create.ts DEFAULT_EXPIRE_SECONDS). */
const PLATFORM_TIMEOUT_MINUTES = 30;
const MAX_TIMEOUT_MINUTES = 1440;

type DatePart = 'yyMMddHHmmss' | 'yyyyMMddHHmmss' | 'yyMMdd' | 'yyyyMMdd' | 'none';
const DATE_PARTS: DatePart[] = ['yyMMddHHmmss', 'yyyyMMddHHmmss', 'yyMMdd', 'yyyyMMdd', 'none'];

interface OrderNumberRule {
  prefix: string;
  datePart: DatePart;
  sequenceDigits: number;
  randomDigits: number;
}

/** What GET /api/admin/settings/platform answers (src/settings/routes.ts). */
export interface PlatformSettingsView {
  orderNumberRule: OrderNumberRule;
  notifySchedule: { scheduleSeconds: number[]; isDefault: boolean };
  sessionPolicy: { idleMinutes: number; maxHours: number };
  passwordPolicy: { operatorMinLength: number; otherMinLength: number; history: number; expiryDays: number };
  site: { name: string; logoUrl: string | null };
  bounds: {
    orderNumber: {
      sequenceDigits: [number, number];
      randomDigits: [number, number];
      maxLength: number;
      minDigits: number;
    };
    notifySchedule: { attempts: [number, number]; waitSeconds: [number, number]; totalSeconds: number };
    sessionPolicy: { idleMinutes: [number, number]; maxHours: [number, number] };
    passwordPolicy: {
      operatorMinLength: [number, number];
      otherMinLength: [number, number];
      history: [number, number];
      expiryDays: [number, number];
      minExpiryDays: number;
    };
    logoMaxKb: number;
  };
}

type ProductWithTimeout = Product & { expireSeconds: number | null };

/** 支付配置: the order-number rule and each product's pay way, amount limits and default timeout. */
export function PaymentConfigPage() {
  const { t } = useTranslation(['operator', 'common']);
  const can = useCan();
  return (
    <Page title={t('paymentConfig.title')} subTitle={t('paymentConfig.subtitle')}>
      {can('settings.write') && <OrderNumberCard />}
      <ProductConfigTable />
    </Page>
  );
}

/** An example number of the rule, as the server would write it now (the sequence as 1, random digits as 7s). */
function exampleNumber(rule: Partial<OrderNumberRule>): string {
  const now = new Date();
  const two = (n: number) => String(n).padStart(2, '0');
  const year = String(now.getFullYear());
  const time = `${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}`;
  const day = `${two(now.getMonth() + 1)}${two(now.getDate())}`;
  const date: Record<DatePart, string> = {
    yyMMddHHmmss: `${year.slice(2)}${day}${time}`,
    yyyyMMddHHmmss: `${year}${day}${time}`,
    yyMMdd: `${year.slice(2)}${day}`,
    yyyyMMdd: `${year}${day}`,
    none: '',
  };
  const sequence = '1'.padStart(Math.max(1, rule.sequenceDigits ?? 0), '0');
  return `${rule.prefix ?? ''}${date[rule.datePart ?? 'none']}${sequence}${'7'.repeat(rule.randomDigits ?? 0)}`;
}

function OrderNumberCard() {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const settings = useApi<PlatformSettingsView>('/api/admin/settings/platform');
  const [form] = Form.useForm<OrderNumberRule>();
  useEffect(() => {
    if (settings.data) form.setFieldsValue(settings.data.orderNumberRule);
  }, [settings.data, form]);
  const bounds = settings.data?.bounds.orderNumber;

  return (
    <ProCard
      bordered
      headerBordered
      title={
        <span>
          <FieldNumberOutlined style={{ marginRight: 8 }} />
          {t('paymentConfig.numberTitle')}
        </span>
      }
      style={{ marginBottom: 16 }}
      data-testid="order-number-rule"
    >
      <Typography.Paragraph type="secondary">{t('paymentConfig.numberDesc')}</Typography.Paragraph>
      <ErrorAlert error={settings.error} />
      {!settings.data || !bounds ? (
        <Skeleton active />
      ) : (
        <ProForm<OrderNumberRule>
          form={form}
          layout="vertical"
          grid
          rowProps={{ gutter: 16 }}
          submitter={{ resetButtonProps: false, searchConfig: { submitText: t('common:actions.save') } }}
          onFinish={async (rule) => {
            try {
              await api.put('/api/admin/settings/order-number', rule);
              message.success(t('paymentConfig.saved'));
              await settings.reload();
              return true;
            } catch (e) {
              message.error(errorText(e));
              return false;
            }
          }}
        >
          <ProFormText
            name="prefix"
            label={t('paymentConfig.prefix')}
            colProps={{ xs: 24, sm: 12, lg: 6 }}
            fieldProps={{ maxLength: 6, style: { textTransform: 'uppercase' } }}
            normalize={(v: string) => v?.toUpperCase()}
            rules={[
              { required: true, pattern: /^[A-Z][A-Z0-9]{0,5}$/, message: t('paymentConfig.prefixRule') },
            ]}
          />
          <ProFormSelect
            name="datePart"
            label={t('paymentConfig.datePart')}
            colProps={{ xs: 24, sm: 12, lg: 6 }}
            allowClear={false}
            options={DATE_PARTS.map((d) => ({ value: d, label: t(`paymentConfig.dateParts.${d}`) }))}
          />
          <ProFormDigit
            name="sequenceDigits"
            label={t('paymentConfig.sequenceDigits')}
            colProps={{ xs: 12, sm: 12, lg: 6 }}
            min={bounds.sequenceDigits[0]}
            max={bounds.sequenceDigits[1]}
            fieldProps={{ precision: 0 }}
            rules={[{ required: true, message: digitsRule(t, bounds.sequenceDigits) }]}
          />
          <ProFormDigit
            name="randomDigits"
            label={t('paymentConfig.randomDigits')}
            colProps={{ xs: 12, sm: 12, lg: 6 }}
            min={bounds.randomDigits[0]}
            max={bounds.randomDigits[1]}
            fieldProps={{ precision: 0 }}
            rules={[{ required: true, message: digitsRule(t, bounds.randomDigits) }]}
          />
          <ProFormDependency name={['prefix', 'datePart', 'sequenceDigits', 'randomDigits']}>
            {(rule: Partial<OrderNumberRule>) => {
              const example = exampleNumber(rule);
              const digits = (rule.sequenceDigits ?? 0) + (rule.randomDigits ?? 0);
              const problem =
                example.length > bounds.maxLength
                  ? t('paymentConfig.tooLong', { max: bounds.maxLength })
                  : digits < bounds.minDigits
                    ? t('paymentConfig.tooFewDigits', { min: bounds.minDigits })
                    : null;
              return (
                <div style={{ width: '100%', padding: '0 8px 16px' }} data-testid="order-number-preview">
                  {t('paymentConfig.preview')}：<span className="qy-mono">{example}</span>{' '}
                  <Typography.Text type={problem ? 'danger' : 'secondary'}>
                    {problem ?? t('paymentConfig.length', { length: example.length, max: bounds.maxLength })}
                  </Typography.Text>
                </div>
              );
            }}
          </ProFormDependency>
        </ProForm>
      )}
    </ProCard>
  );
}

function digitsRule(t: TFunction, [min, max]: [number, number]) {
  return t('paymentConfig.digitsRule', { min, max });
}

function timeoutText(t: TFunction, seconds: number | null) {
  return seconds === null
    ? t('paymentConfig.platformDefault', { minutes: PLATFORM_TIMEOUT_MINUTES })
    : t('paymentConfig.minutes', { minutes: Math.round(seconds / 60) });
}

function ProductConfigTable() {
  const { t } = useTranslation(['operator', 'common']);
  const onRequestError = useRequestError();
  const can = useCan();
  const writable = can('catalog.write');
  const actionRef = useRef<ActionType>(null);
  const reload = () => actionRef.current?.reload();

  const columns: ProColumns<ProductWithTimeout>[] = [
    {
      title: t('paymentConfig.product'),
      dataIndex: 'code',
      width: 260,
      render: (_, p) => <TwoLineCell secondary={p.code}>{p.name}</TwoLineCell>,
    },
    {
      title: t('glossary:payWay'),
      dataIndex: 'payWay',
      width: 170,
      render: (_, p) => <Tag>{t(`glossary:payWays.${p.payWay}`)}</Tag>,
    },
    {
      title: t('paymentConfig.limits'),
      dataIndex: 'minAmount',
      width: 260,
      align: 'right',
      render: (_, p) => (
        <span style={{ whiteSpace: 'nowrap' }}>
          {yuan(p.minAmount, p.currency)} – {yuan(p.maxAmount, p.currency)}
        </span>
      ),
    },
    {
      title: t('paymentConfig.timeout'),
      dataIndex: 'expireSeconds',
      width: 200,
      render: (_, p) => <span data-testid={`timeout-${p.code}`}>{timeoutText(t, p.expireSeconds)}</span>,
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      valueType: 'option',
      width: 100,
      render: (_, p) =>
        writable ? (
          <ProductConfigForm
            product={p}
            onDone={reload}
            trigger={
              <Button type="link" size="small" style={{ padding: 0 }} data-testid={`edit-${p.code}`}>
                {t('paymentConfig.edit')}
              </Button>
            }
          />
        ) : null,
    },
  ];

  return (
    <ProTable<ProductWithTimeout>
      headerTitle={t('paymentConfig.productsTitle')}
      tooltip={t('paymentConfig.productsDesc')}
      rowKey="code"
      actionRef={actionRef}
      columns={columns}
      cardBordered
      search={false}
      scroll={{ x: 990 }}
      pagination={{ defaultPageSize: 20, hideOnSinglePage: true }}
      options={{ density: false, setting: true, reload: true }}
      columnsState={remembered('operator.paymentConfig')}
      onRequestError={onRequestError}
      request={async () => {
        const data = await api.get<ProductWithTimeout[]>('/api/admin/products');
        return { data, total: data.length, success: true };
      }}
    />
  );
}

interface ConfigValues {
  payWay: PayWay;
  minAmount: string;
  maxAmount: string;
  timeoutMinutes?: number | null;
}

function ProductConfigForm({
  product,
  trigger,
  onDone,
}: {
  product: ProductWithTimeout;
  trigger: ReactElement;
  onDone: () => void;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  return (
    <ModalForm<ConfigValues>
      title={t('paymentConfig.editTitle', { name: product.name })}
      width={520}
      trigger={trigger}
      modalProps={{ destroyOnHidden: true }}
      initialValues={{
        payWay: product.payWay,
        minAmount: yuanPlain(product.minAmount),
        maxAmount: yuanPlain(product.maxAmount),
        timeoutMinutes: product.expireSeconds === null ? null : Math.round(product.expireSeconds / 60),
      }}
      onFinish={async (v) => {
        try {
          await api.patch(`/api/admin/products/${product.code}`, {
            payWay: v.payWay,
            minAmount: parseYuan(v.minAmount),
            maxAmount: parseYuan(v.maxAmount),
            expireSeconds:
              v.timeoutMinutes === null || v.timeoutMinutes === undefined ? null : v.timeoutMinutes * 60,
          });
          message.success(t('paymentConfig.saved2'));
          onDone();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <ProFormSelect
        name="payWay"
        label={t('glossary:payWay')}
        extra={t('paymentConfig.payWayHint')}
        allowClear={false}
        options={PAY_WAYS.map((way) => ({ value: way, label: t(`glossary:payWays.${way}`) }))}
      />
      <AmountRangeFields
        minLabel={t('paymentConfig.minAmount')}
        maxLabel={t('paymentConfig.maxAmount')}
        maxBelowMin={t('paymentConfig.maxBelowMin')}
      />
      <ProFormDigit
        name="timeoutMinutes"
        label={t('paymentConfig.timeoutMinutes')}
        extra={t('paymentConfig.timeoutHint')}
        placeholder={String(PLATFORM_TIMEOUT_MINUTES)}
        // Not clamped as typed: a value out of bounds is said, not silently changed.
        fieldProps={{ precision: 0 }}
        rules={[
          { type: 'integer', min: 1, max: MAX_TIMEOUT_MINUTES, message: t('paymentConfig.timeoutRule') },
        ]}
      />
    </ModalForm>
  );
}
