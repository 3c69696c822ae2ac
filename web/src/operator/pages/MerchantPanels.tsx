import { PlusOutlined } from '@ant-design/icons';
import {
  ModalForm,
  type ProColumns,
  ProFormRadio,
  ProFormSelect,
  ProFormSwitch,
  ProFormText,
  ProTable,
} from '@ant-design/pro-components';
import { App, Button, Form, Space, Switch, Tag, Typography } from 'antd';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { errorText } from '../../shell/errors.ts';
import { dateTime, percentPlain, ppmFromPercent, yuan } from '../../shell/format.ts';
import { feePartOf, percentRule } from '../../shell/forms.ts';
import { remembered } from '../../shell/listTable.tsx';
import { useSecretDialog } from '../../shell/SecretDialog.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { useApi } from '../../shell/useApi.ts';
import { EnabledBadge } from '../components.tsx';
import { DeleteToBin } from '../DeleteToBin.tsx';
import { FeePartFields, feePartPlain, feeTermsText } from '../feeParts.tsx';
import type { MerchantDetail, MerchantProductRate, MerchantUser, Product } from '../types.ts';

interface PanelProps {
  merchant: MerchantDetail;
  writable: boolean;
  onChanged: () => void;
}

/** 产品费率: the products open to the merchant and its rate for each. */
export function MerchantProductsPanel({ merchant, writable, onChanged }: PanelProps) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const products = useApi<Product[]>('/api/admin/products');
  const byCode = new Map((products.data ?? []).map((p) => [p.code, p]));

  // Every part is sent: a part left out would fall back to the product's default.
  const save = async (productCode: string, terms: MerchantTerms, enabled: boolean) => {
    await api.put(`/api/admin/merchants/${merchant.mchNo}/products/${productCode}`, { ...terms, enabled });
    onChanged();
    // Open, but no channel to take its orders: say so now, not when the merchant's first order fails.
    const product = byCode.get(productCode);
    if (enabled && product?.channelBound === false) {
      message.warning(t('merchantDetail.unboundWarning', { product: product.name }), 8);
    }
  };

  const columns: ProColumns<MerchantProductRate>[] = [
    { title: t('products.name'), dataIndex: 'productName' },
    {
      title: t('products.code'),
      dataIndex: 'productCode',
      render: (_, r) => <span className="qy-mono">{r.productCode}</span>,
    },
    {
      title: t('merchantDetail.merchantRate'),
      dataIndex: 'ratePpm',
      align: 'right',
      render: (_, r) => (
        <Typography.Text strong style={{ whiteSpace: 'nowrap' }}>
          {feeTermsText(t, { ratePpm: r.ratePpm, fixed: r.fixedFee, minimum: r.minimumFee }, r.currency)}
        </Typography.Text>
      ),
    },
    {
      title: t('products.defaultRate'),
      key: 'default',
      align: 'right',
      render: (_, r) => {
        const p = byCode.get(r.productCode);
        if (!p) return '-';
        const terms = { ratePpm: p.defaultRatePpm, fixed: p.defaultFixedFee, minimum: p.defaultMinimumFee };
        return <span style={{ whiteSpace: 'nowrap' }}>{feeTermsText(t, terms, p.currency)}</span>;
      },
    },
    {
      title: t('products.amountRange'),
      key: 'range',
      render: (_, r) => {
        const p = byCode.get(r.productCode);
        return p ? `${yuan(p.minAmount)} – ${yuan(p.maxAmount)}` : '-';
      },
    },
    {
      title: t('merchantDetail.productEnabled'),
      dataIndex: 'enabled',
      render: (_, r) =>
        writable ? (
          <Switch
            size="small"
            checked={r.enabled}
            aria-label={t('merchantDetail.productEnabled')}
            onChange={async (enabled) => {
              try {
                await save(
                  r.productCode,
                  { ratePpm: r.ratePpm, fixedFee: r.fixedFee, minimumFee: r.minimumFee },
                  enabled,
                );
                message.success(t('common:common.saved'));
              } catch (e) {
                message.error(errorText(e));
              }
            }}
          />
        ) : (
          <EnabledBadge enabled={r.enabled} />
        ),
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      valueType: 'option',
      hideInTable: !writable,
      render: (_, r) => (
        <RateForm
          merchant={merchant}
          products={products.data ?? []}
          rate={r}
          onSave={save}
          trigger={
            <Button type="link" size="small" style={{ padding: 0 }}>
              {t('merchantDetail.setRate')}
            </Button>
          }
        />
      ),
    },
  ];

  return (
    <ProTable<MerchantProductRate>
      rowKey="productCode"
      headerTitle={t('merchantDetail.products')}
      tooltip={t('merchantDetail.productsHint')}
      columns={columns}
      dataSource={merchant.products}
      loading={products.loading}
      search={false}
      pagination={false}
      cardBordered
      options={{ reload: onChanged, density: false, setting: true }}
      columnsState={remembered('operator.merchantProducts')}
      toolBarRender={() =>
        writable
          ? [
              <RateForm
                key="open"
                merchant={merchant}
                products={products.data ?? []}
                onSave={save}
                trigger={
                  <Button type="primary" icon={<PlusOutlined />}>
                    {t('merchantDetail.openProduct')}
                  </Button>
                }
              />,
            ]
          : []
      }
    />
  );
}

/** A merchant's terms for a product as the API takes them: ppm and fen. */
interface MerchantTerms {
  ratePpm: number;
  fixedFee: number;
  minimumFee: number;
}

interface RateValues {
  productCode: string;
  rate: string;
  fixedFee?: string;
  minimumFee?: string;
  enabled: boolean;
}

function RateForm(props: {
  merchant: MerchantDetail;
  products: Product[];
  rate?: MerchantProductRate;
  trigger: ReactElement;
  onSave: (productCode: string, terms: MerchantTerms, enabled: boolean) => Promise<void>;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [form] = Form.useForm<RateValues>();
  const opened = new Set(props.merchant.products.map((p) => p.productCode));
  const choices = props.products.filter((p) => !opened.has(p.code));
  return (
    <ModalForm<RateValues>
      form={form}
      title={
        props.rate
          ? t('merchantDetail.rateTitle', { product: props.rate.productName })
          : t('merchantDetail.openProduct')
      }
      width={480}
      trigger={props.trigger}
      modalProps={{ destroyOnHidden: true }}
      initialValues={
        props.rate
          ? {
              productCode: props.rate.productCode,
              rate: percentPlain(props.rate.ratePpm),
              fixedFee: feePartPlain(props.rate.fixedFee),
              minimumFee: feePartPlain(props.rate.minimumFee),
              enabled: props.rate.enabled,
            }
          : { enabled: true }
      }
      onFinish={async (v) => {
        try {
          const terms = {
            ratePpm: ppmFromPercent(v.rate) ?? 0,
            fixedFee: feePartOf(v.fixedFee),
            minimumFee: feePartOf(v.minimumFee),
          };
          await props.onSave(v.productCode, terms, v.enabled);
          message.success(t('common:common.saved'));
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <ProFormSelect
        name="productCode"
        label={t('products.product')}
        disabled={!!props.rate}
        options={(props.rate ? props.products : choices).map((p) => ({
          value: p.code,
          label: `${p.name}（${p.code}）`,
        }))}
        rules={[{ required: true, message: t('products.productRequired') }]}
        fieldProps={{
          onChange: (code: string) => {
            const product = props.products.find((p) => p.code === code);
            if (!product) return;
            form.setFieldsValue({
              rate: percentPlain(product.defaultRatePpm),
              fixedFee: feePartPlain(product.defaultFixedFee),
              minimumFee: feePartPlain(product.defaultMinimumFee),
            });
          },
        }}
      />
      <ProFormText
        name="rate"
        label={t('merchantDetail.merchantRate')}
        fieldProps={{ suffix: '%', inputMode: 'decimal' }}
        extra={t('merchantDetail.rateHint')}
        rules={[percentRule(true)]}
      />
      <FeePartFields fixedName="fixedFee" minimumName="minimumFee" />
      <ProFormSwitch name="enabled" label={t('merchantDetail.productEnabled')} />
    </ModalForm>
  );
}

interface NewUser {
  username: string;
  displayName?: string;
  email?: string;
  merchantRole: 'manager' | 'cashier';
  password: string;
}

/** 登录账号: the merchant's portal users (store manager, cashiers). */
export function MerchantUsersPanel({ merchant, writable, onChanged }: PanelProps) {
  const { t } = useTranslation(['operator', 'common']);
  const { message, modal } = App.useApp();
  const secretDialog = useSecretDialog();
  const base = (u: MerchantUser) => `/api/admin/merchants/${merchant.mchNo}/users/${u.id}`;
  /** One action on a login, after a confirmation; reloads the panel when done. */
  const act = (title: string, run: () => Promise<unknown>, done: string) =>
    modal.confirm({
      title,
      onOk: async () => {
        try {
          await run();
          message.success(done);
          await onChanged();
        } catch (e) {
          message.error(errorText(e));
          throw e;
        }
      },
    });
  const resetPassword = (u: MerchantUser) =>
    act(
      t('users.resetPasswordConfirm', { username: u.username }),
      async () => {
        const { temporaryPassword } = await api.post<{ temporaryPassword: string }>(
          `${base(u)}/reset-password`,
        );
        secretDialog.show({
          title: t('users.passwordReset'),
          rows: [
            { label: t('users.username'), value: u.username },
            { label: t('users.temporaryPassword'), value: temporaryPassword, secret: true },
          ],
        });
      },
      t('users.passwordReset'),
    );
  const columns: ProColumns<MerchantUser>[] = [
    {
      title: t('users.username'),
      dataIndex: 'username',
      render: (_, u) => (
        <TwoLineCell
          secondaryMono={false}
          secondary={u.displayName || '-'}
          secondaryTip={t('users.displayName')}
          time={u.createdAt}
          timeTip={t('merchants.createdAt')}
        >
          <span className="qy-mono">{u.username}</span>
        </TwoLineCell>
      ),
    },
    { title: t('users.email'), dataIndex: 'email', render: (_, u) => u.email || '-' },
    {
      title: t('users.merchantRole'),
      dataIndex: 'merchantRole',
      render: (_, u) =>
        u.merchantRole === 'manager' ? (
          <Tag color="blue">{t('common:profile.manager')}</Tag>
        ) : (
          <Tag>{t('common:profile.cashier')}</Tag>
        ),
    },
    { title: t('users.state'), dataIndex: 'enabled', render: (_, u) => <EnabledBadge enabled={u.enabled} /> },
    {
      title: t('users.totp'),
      dataIndex: 'totpEnabled',
      render: (_, u) =>
        u.totpEnabled ? (
          <Tag color="green">{t('common:security.totpOn')}</Tag>
        ) : (
          <Tag>{t('common:security.totpOff')}</Tag>
        ),
    },
    { title: t('users.lastLogin'), dataIndex: 'lastLoginAt', render: (_, u) => dateTime(u.lastLoginAt) },
    ...(writable
      ? [
          {
            title: t('users.actions'),
            key: 'actions',
            render: (_: unknown, u: MerchantUser) => (
              <Space size={4} wrap>
                <Button
                  type="link"
                  size="small"
                  onClick={() =>
                    act(
                      t(u.enabled === false ? 'users.enableConfirm' : 'users.disableConfirm', {
                        username: u.username,
                      }),
                      () => api.patch(base(u), { enabled: u.enabled === false }),
                      t('users.saved'),
                    )
                  }
                >
                  {u.enabled === false ? t('common:actions.enable') : t('common:actions.disable')}
                </Button>
                <Button type="link" size="small" onClick={() => resetPassword(u)}>
                  {t('users.resetPassword')}
                </Button>
                {u.totpEnabled && (
                  <Button
                    type="link"
                    size="small"
                    onClick={() =>
                      act(
                        t('users.resetTotpConfirm', { username: u.username }),
                        () => api.post(`${base(u)}/reset-totp`),
                        t('users.saved'),
                      )
                    }
                  >
                    {t('users.resetTotp')}
                  </Button>
                )}
                {u.lockedUntil && (
                  <Button
                    type="link"
                    size="small"
                    onClick={() =>
                      act(
                        t('users.unlockConfirm', { username: u.username, until: dateTime(u.lockedUntil) }),
                        () => api.post(`${base(u)}/unlock`),
                        t('users.saved'),
                      )
                    }
                  >
                    {t('users.unlock')}
                  </Button>
                )}
                <DeleteToBin path={base(u)} name={u.username} onDone={onChanged} />
              </Space>
            ),
          } satisfies ProColumns<MerchantUser>,
        ]
      : []),
  ];
  return (
    <>
      {secretDialog.holder}
      <ProTable<MerchantUser>
        rowKey="id"
        headerTitle={t('merchantDetail.users')}
        tooltip={t('merchantDetail.usersHint')}
        columns={columns}
        dataSource={merchant.users ?? []}
        search={false}
        pagination={false}
        cardBordered
        options={{ reload: onChanged, density: false, setting: true }}
        columnsState={remembered('operator.merchantUsers')}
        toolBarRender={() =>
          writable
            ? [
                <ModalForm<NewUser>
                  key="create"
                  title={t('users.createTitle', { name: merchant.name })}
                  width={520}
                  modalProps={{ destroyOnHidden: true }}
                  initialValues={{ merchantRole: 'cashier' }}
                  trigger={
                    <Button type="primary" icon={<PlusOutlined />}>
                      {t('users.create')}
                    </Button>
                  }
                  onFinish={async (v) => {
                    try {
                      await api.post(`/api/admin/merchants/${merchant.mchNo}/users`, {
                        username: v.username.trim(),
                        password: v.password,
                        displayName: v.displayName?.trim() || undefined,
                        email: v.email?.trim() || undefined,
                        merchantRole: v.merchantRole,
                      });
                      message.success(t('users.created'));
                      onChanged();
                      return true;
                    } catch (e) {
                      message.error(errorText(e));
                      return false;
                    }
                  }}
                >
                  <ProFormRadio.Group
                    name="merchantRole"
                    label={t('users.merchantRole')}
                    radioType="button"
                    options={[
                      { label: t('common:profile.manager'), value: 'manager' },
                      { label: t('common:profile.cashier'), value: 'cashier' },
                    ]}
                    extra={t('users.roleHint')}
                  />
                  <ProFormText
                    name="username"
                    label={t('users.username')}
                    rules={[
                      { required: true, message: t('users.usernameRequired') },
                      { pattern: /^[A-Za-z0-9_.@-]{3,64}$/, message: t('merchants.usernameRule') },
                    ]}
                  />
                  <ProFormText name="displayName" label={t('users.displayName')} rules={[{ max: 64 }]} />
                  <ProFormText
                    name="email"
                    label={t('users.email')}
                    rules={[{ type: 'email', message: t('merchants.emailRule') }]}
                  />
                  <ProFormText.Password
                    name="password"
                    label={t('users.initialPassword')}
                    extra={t('merchants.managerPasswordHint')}
                    fieldProps={{ autoComplete: 'new-password' }}
                    rules={[
                      { required: true, message: t('common:security.passwordMin', { min: 8 }) },
                      { min: 8, message: t('common:security.passwordMin', { min: 8 }) },
                    ]}
                  />
                </ModalForm>,
              ]
            : []
        }
      />
    </>
  );
}
