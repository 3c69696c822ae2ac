import { BranchesOutlined, PlusOutlined, WarningOutlined } from '@ant-design/icons';
import {
  type ActionType,
  ModalForm,
  type ProColumns,
  ProFormSelect,
  ProFormSwitch,
  ProFormText,
  ProTable,
} from '@ant-design/pro-components';
import { App, Button, Space, Tag, Tooltip } from 'antd';
import type { ReactElement } from 'react';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api.ts';
import { errorText } from '../../shell/errors.ts';
import { parseYuan, percentPlain, ppmFromPercent, yuan, yuanPlain } from '../../shell/format.ts';
import { feePartOf, percentRule } from '../../shell/forms.ts';
import { remembered } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { useCan } from '../../shell/session.tsx';
import { useRequestError } from '../../shell/useRequestError.ts';
import { AmountRangeFields } from '../AmountRangeFields.tsx';
import { EnabledSwitch } from '../components.tsx';
import { DeleteToBin } from '../DeleteToBin.tsx';
import { FeePartFields, feePartPlain, feeTermsText } from '../feeParts.tsx';
import { PAY_WAYS, type PayWay, type Product } from '../types.ts';

/** 支付产品: the payment methods sold to merchants, their amount limits and default rate. */
export function ProductsPage() {
  const { t } = useTranslation(['operator', 'common']);
  const onRequestError = useRequestError();
  const can = useCan();
  const writable = can('catalog.write');
  const actionRef = useRef<ActionType>(null);
  const reload = () => actionRef.current?.reload();

  const columns: ProColumns<Product>[] = [
    {
      title: t('products.code'),
      dataIndex: 'code',
      width: 160,
      render: (_, p) => <span className="qy-mono">{p.code}</span>,
    },
    {
      title: t('products.name'),
      dataIndex: 'name',
      render: (_, p) => (
        <Space size={6} wrap>
          <span>{p.name}</span>
          {p.channelBound === false && (
            <Tooltip title={t('products.unboundTip')}>
              <Link to={`/operator/routing?product=${encodeURIComponent(p.code)}`}>
                <Tag color="warning" icon={<WarningOutlined />} data-testid={`product-unbound-${p.code}`}>
                  {t('products.unbound')}
                </Tag>
              </Link>
            </Tooltip>
          )}
        </Space>
      ),
    },
    {
      title: t('glossary:payWay'),
      dataIndex: 'payWay',
      width: 150,
      render: (_, p) => <Tag data-testid={`product-way-${p.code}`}>{t(`glossary:payWays.${p.payWay}`)}</Tag>,
    },
    { title: t('products.currency'), dataIndex: 'currency', width: 80 },
    {
      title: t('products.minAmount'),
      dataIndex: 'minAmount',
      align: 'right',
      render: (_, p) => yuan(p.minAmount, p.currency),
    },
    {
      title: t('products.maxAmount'),
      dataIndex: 'maxAmount',
      align: 'right',
      render: (_, p) => yuan(p.maxAmount, p.currency),
    },
    {
      title: t('products.defaultRate'),
      dataIndex: 'defaultRatePpm',
      align: 'right',
      render: (_, p) => (
        <span style={{ whiteSpace: 'nowrap' }}>
          {feeTermsText(
            t,
            { ratePpm: p.defaultRatePpm, fixed: p.defaultFixedFee, minimum: p.defaultMinimumFee },
            p.currency,
          )}
        </span>
      ),
    },
    {
      title: t('products.state'),
      dataIndex: 'enabled',
      width: 100,
      render: (_, p) => (
        <EnabledSwitch
          enabled={p.enabled}
          writable={writable}
          path={`/api/admin/products/${p.code}`}
          label={t('products.state')}
          doneText={(enabled) => (enabled ? t('products.enabledDone') : t('products.disabledDone'))}
          onSaved={reload}
        />
      ),
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      valueType: 'option',
      width: 180,
      render: (_, p) => (
        <Space size={12} wrap>
          {writable && (
            <ProductForm
              product={p}
              onDone={reload}
              trigger={
                <Button type="link" size="small" style={{ padding: 0 }}>
                  {t('common:actions.edit')}
                </Button>
              }
            />
          )}
          <Link to={`/operator/routing?product=${encodeURIComponent(p.code)}`}>
            <BranchesOutlined /> {t('products.routing')}
          </Link>
          {writable && (
            <DeleteToBin
              path={`/api/admin/products/${encodeURIComponent(p.code)}`}
              name={p.name}
              onDone={reload}
            />
          )}
        </Space>
      ),
    },
  ];

  return (
    <Page title={t('products.title')} subTitle={t('products.subtitle')}>
      <ProTable<Product>
        rowKey="code"
        actionRef={actionRef}
        columns={columns}
        cardBordered
        search={false}
        pagination={{ defaultPageSize: 20, hideOnSinglePage: true }}
        options={{ density: false, setting: true, reload: true }}
        columnsState={remembered('operator.products')}
        onRequestError={onRequestError}
        request={async () => {
          const data = await api.get<Product[]>('/api/admin/products');
          return { data, total: data.length, success: true };
        }}
        toolBarRender={() =>
          writable
            ? [
                <ProductForm
                  key="create"
                  onDone={reload}
                  trigger={
                    <Button type="primary" icon={<PlusOutlined />}>
                      {t('products.create')}
                    </Button>
                  }
                />,
              ]
            : []
        }
      />
    </Page>
  );
}

interface ProductValues {
  code: string;
  name: string;
  currency: string;
  minAmount: string;
  maxAmount: string;
  defaultRate: string;
  defaultFixedFee?: string;
  defaultMinimumFee?: string;
  enabled: boolean;
  payWay: PayWay;
}

function ProductForm({
  product,
  trigger,
  onDone,
}: {
  product?: Product;
  trigger: ReactElement;
  onDone: () => void;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  return (
    <ModalForm<ProductValues>
      title={product ? t('products.editTitle', { code: product.code }) : t('products.createTitle')}
      width={560}
      trigger={trigger}
      modalProps={{ destroyOnHidden: true }}
      initialValues={
        product
          ? {
              code: product.code,
              name: product.name,
              currency: product.currency,
              minAmount: yuanPlain(product.minAmount),
              maxAmount: yuanPlain(product.maxAmount),
              defaultRate: percentPlain(product.defaultRatePpm),
              defaultFixedFee: feePartPlain(product.defaultFixedFee),
              defaultMinimumFee: feePartPlain(product.defaultMinimumFee),
              enabled: product.enabled,
              payWay: product.payWay,
            }
          : { currency: 'CNY', minAmount: '0.01', maxAmount: '50000.00', enabled: true }
      }
      onFinish={async (v) => {
        const body = {
          name: v.name.trim(),
          minAmount: parseYuan(v.minAmount),
          maxAmount: parseYuan(v.maxAmount),
          defaultRatePpm: ppmFromPercent(v.defaultRate),
          defaultFixedFee: feePartOf(v.defaultFixedFee),
          defaultMinimumFee: feePartOf(v.defaultMinimumFee),
          payWay: v.payWay,
        };
        try {
          if (product) {
            await api.patch(`/api/admin/products/${product.code}`, { ...body, enabled: v.enabled });
          } else {
            await api.post('/api/admin/products', {
              ...body,
              code: v.code.trim(),
              currency: v.currency.trim().toUpperCase(),
            });
          }
          message.success(t('common:common.saved'));
          onDone();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <ProFormText
        name="code"
        label={t('products.code')}
        disabled={!!product}
        placeholder="alipay_qr"
        extra={product ? undefined : t('products.codeHint')}
        rules={[{ required: true, pattern: /^[a-z0-9_]{2,32}$/, message: t('products.codeRule') }]}
      />
      <ProFormText
        name="name"
        label={t('products.name')}
        placeholder={t('products.namePlaceholder')}
        rules={[{ required: true, whitespace: true, max: 64 }]}
      />
      <ProFormSelect
        name="payWay"
        label={t('glossary:payWay')}
        extra={t('products.payWayHint')}
        options={PAY_WAYS.map((way) => ({ value: way, label: t(`glossary:payWays.${way}`) }))}
        rules={[{ required: true, message: t('products.payWayRequired') }]}
      />
      <ProFormText
        name="currency"
        label={t('products.currency')}
        disabled={!!product}
        rules={[{ required: true, pattern: /^[A-Za-z]{3}$/, message: t('products.currencyRule') }]}
      />
      <AmountRangeFields
        minLabel={t('products.minAmount')}
        maxLabel={t('products.maxAmount')}
        maxBelowMin={t('products.maxBelowMin')}
      />
      <ProFormText
        name="defaultRate"
        label={t('products.defaultRate')}
        extra={t('products.defaultRateHint')}
        fieldProps={{ suffix: '%', inputMode: 'decimal' }}
        rules={[percentRule(true)]}
      />
      <FeePartFields fixedName="defaultFixedFee" minimumName="defaultMinimumFee" />
      {product && <ProFormSwitch name="enabled" label={t('products.state')} />}
    </ModalForm>
  );
}
