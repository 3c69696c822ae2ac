import { EditOutlined, KeyOutlined, PlusOutlined, ThunderboltOutlined } from '@ant-design/icons';
import {
  type ActionType,
  ModalForm,
  type ProColumns,
  ProFormText,
  ProTable,
} from '@ant-design/pro-components';
import { Alert, App, Button, Form, Space, Tag, Typography } from 'antd';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { errorText } from '../shell/errors.ts';
import { dateTime } from '../shell/format.ts';
import { confirmRule, newPasswordRules, passwordMinLength } from '../shell/forms.ts';
import { RowAction, remembered } from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { useSecretDialog } from '../shell/SecretDialog.tsx';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useTablePageLoader } from '../shell/tablePage.ts';
import type { CashierUser } from './types.ts';
import { useSubtitle } from './useSubtitle.ts';

const USERNAME = /^[A-Za-z0-9_.@-]{3,64}$/;

interface CreateForm {
  username: string;
  displayName?: string;
  password: string;
  confirmPassword: string;
}

/** 收银员 (managers): list, create, enable/disable, reset password. */
export function Cashiers() {
  const { t } = useTranslation();
  const app = App.useApp();
  const loadPage = useTablePageLoader();
  const actionRef = useRef<ActionType>(null);
  const secretDialog = useSecretDialog();
  const reload = () => actionRef.current?.reload();
  const loginUrl = `${window.location.origin}/login?area=merchant`;

  const setEnabled = (user: CashierUser, enabled: boolean) => {
    const name = user.displayName || user.username;
    app.modal.confirm({
      title: t(enabled ? 'merchant:cashiers.enable' : 'merchant:cashiers.disable'),
      content: t(enabled ? 'merchant:cashiers.enableConfirm' : 'merchant:cashiers.disableConfirm', { name }),
      okText: t(enabled ? 'merchant:cashiers.enable' : 'merchant:cashiers.disable'),
      okButtonProps: { danger: !enabled },
      cancelText: t('actions.cancel'),
      onOk: async () => {
        try {
          await api.patch(`/api/merchant/cashiers/${encodeURIComponent(user.id)}`, { enabled });
          app.message.success(
            t(enabled ? 'merchant:cashiers.enabledDone' : 'merchant:cashiers.disabledDone'),
          );
          reload();
        } catch (e) {
          app.message.error(errorText(e));
        }
      },
    });
  };

  const resetPassword = (user: CashierUser) => {
    const name = user.displayName || user.username;
    app.modal.confirm({
      title: t('merchant:cashiers.resetPassword'),
      content: t('merchant:cashiers.resetConfirm', { name }),
      okText: t('merchant:cashiers.resetPassword'),
      okButtonProps: { danger: true },
      cancelText: t('actions.cancel'),
      onOk: async () => {
        try {
          const answer = await api.post<{ temporaryPassword: string }>(
            `/api/merchant/cashiers/${encodeURIComponent(user.id)}/reset-password`,
          );
          secretDialog.show({
            title: t('merchant:cashiers.tempTitle'),
            warning: t('merchant:cashiers.tempWarning'),
            rows: [
              { label: t('merchant:cashiers.username'), value: user.username },
              {
                label: t('merchant:cashiers.tempLabel', { username: user.username }),
                value: answer.temporaryPassword,
                secret: true,
                testId: 'cashier-temp-password',
              },
              { label: t('merchant:cashiers.loginUrl'), value: loginUrl },
            ],
          });
          reload();
        } catch (e) {
          app.message.error(errorText(e));
        }
      },
    });
  };

  const columns: ProColumns<CashierUser>[] = [
    {
      title: t('merchant:cashiers.username'),
      dataIndex: 'username',
      render: (_, row) => (
        <TwoLineCell
          secondaryMono={false}
          secondary={row.displayName || '-'}
          secondaryTip={t('merchant:cashiers.displayName')}
          time={row.createdAt}
          timeTip={t('merchant:cashiers.createdAt')}
        >
          <span className="qy-mono">{row.username}</span>
        </TwoLineCell>
      ),
    },
    {
      title: t('merchant:cashiers.state'),
      dataIndex: 'enabled',
      render: (_, row) => (
        <Space size={[4, 4]} wrap>
          {row.enabled ? (
            <Tag color="success">{t('merchant:cashiers.enabled')}</Tag>
          ) : (
            <Tag>{t('merchant:cashiers.disabled')}</Tag>
          )}
          {row.lockedUntil && <Tag color="error">{t('merchant:cashiers.locked')}</Tag>}
          {row.mustChangePassword && <Tag color="warning">{t('merchant:cashiers.mustChange')}</Tag>}
        </Space>
      ),
    },
    {
      title: t('merchant:cashiers.totp'),
      dataIndex: 'totpEnabled',
      responsive: ['md'],
      render: (_, row) =>
        row.totpEnabled ? (
          <Tag color="success">{t('security.totpOn')}</Tag>
        ) : (
          <Tag>{t('security.totpOff')}</Tag>
        ),
    },
    {
      title: t('merchant:cashiers.lastLogin'),
      dataIndex: 'lastLoginAt',
      responsive: ['lg'],
      render: (_, row) =>
        row.lastLoginAt ? (
          dateTime(row.lastLoginAt)
        ) : (
          <Typography.Text type="secondary">{t('merchant:cashiers.never')}</Typography.Text>
        ),
    },
    {
      title: t('merchant:cashiers.actions'),
      key: 'actions',
      valueType: 'option',
      width: 220,
      render: (_, row) => [
        <Rename key="rename" user={row} onSaved={reload} />,
        row.enabled ? (
          <RowAction key="disable" danger onClick={() => setEnabled(row, false)}>
            {t('merchant:cashiers.disable')}
          </RowAction>
        ) : (
          <RowAction key="enable" onClick={() => setEnabled(row, true)}>
            {t('merchant:cashiers.enable')}
          </RowAction>
        ),
        <RowAction key="reset" icon={<KeyOutlined />} onClick={() => resetPassword(row)}>
          {t('merchant:cashiers.resetPassword')}
        </RowAction>,
      ],
    },
  ];

  const subTitle = useSubtitle(t('merchant:cashiers.subtitle'));
  return (
    <Page title={t('merchant:cashiers.title')} subTitle={subTitle}>
      <div data-testid="cashier-table">
        <ProTable<CashierUser>
          rowKey="id"
          actionRef={actionRef}
          columns={columns}
          search={false}
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          columnsState={remembered('merchant.cashiers')}
          pagination={{ defaultPageSize: 20, showSizeChanger: true }}
          request={(query) => loadPage<CashierUser>('/api/merchant/cashiers', {}, query)}
          toolBarRender={() => [
            <CreateCashier
              key="create"
              onCreated={(user, password) => {
                reload();
                secretDialog.show({
                  title: t('merchant:cashiers.created', { username: user.username }),
                  warning: t('merchant:cashiers.createdHint'),
                  rows: [
                    { label: t('merchant:cashiers.username'), value: user.username },
                    { label: t('merchant:cashiers.initialPassword'), value: password, secret: true },
                    { label: t('merchant:cashiers.loginUrl'), value: loginUrl },
                  ],
                });
              }}
            />,
          ]}
        />
      </div>
      {secretDialog.holder}
    </Page>
  );
}

function CreateCashier({ onCreated }: { onCreated: (user: CashierUser, password: string) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<CreateForm>();
  const min = passwordMinLength('merchant');
  const generate = () => {
    const password = randomPassword();
    form.setFieldsValue({ password, confirmPassword: password });
  };
  return (
    <ModalForm<CreateForm>
      title={t('merchant:cashiers.create')}
      form={form}
      width={520}
      modalProps={{ destroyOnHidden: true }}
      trigger={
        <Button type="primary" icon={<PlusOutlined />} data-testid="cashier-create">
          {t('merchant:cashiers.create')}
        </Button>
      }
      onFinish={async (values) => {
        try {
          const user = await api.post<CashierUser>('/api/merchant/cashiers', {
            username: values.username.trim(),
            password: values.password,
            ...(values.displayName?.trim() ? { displayName: values.displayName.trim() } : {}),
          });
          message.success(t('merchant:cashiers.created', { username: user.username ?? values.username }));
          onCreated({ ...user, username: user.username ?? values.username }, values.password);
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <Alert type="info" showIcon message={t('merchant:cashiers.subtitle')} style={{ marginBottom: 16 }} />
      <ProFormText
        name="username"
        label={t('merchant:cashiers.username')}
        extra={t('merchant:cashiers.usernameHelp')}
        fieldProps={{ autoComplete: 'off', maxLength: 64 }}
        rules={[
          { required: true, message: t('merchant:cashiers.usernameRule') },
          { pattern: USERNAME, message: t('merchant:cashiers.usernameRule') },
        ]}
      />
      <ProFormText
        name="displayName"
        label={t('merchant:cashiers.displayName')}
        placeholder={t('merchant:cashiers.displayNamePlaceholder')}
        fieldProps={{ maxLength: 64 }}
      />
      <ProFormText.Password
        name="password"
        label={
          <Space size={8}>
            {t('merchant:cashiers.initialPassword')}
            <Typography.Link onClick={generate} style={{ fontSize: 12 }}>
              <ThunderboltOutlined /> {t('merchant:cashiers.generate')}
            </Typography.Link>
          </Space>
        }
        extra={t('merchant:cashiers.initialPasswordHelp')}
        fieldProps={{ autoComplete: 'new-password' }}
        rules={newPasswordRules(min)}
      />
      <ProFormText.Password
        name="confirmPassword"
        label={t('merchant:cashiers.confirmPassword')}
        dependencies={['password']}
        fieldProps={{ autoComplete: 'new-password' }}
        rules={[{ required: true, message: t('security.passwordMismatch') }, confirmRule('password')]}
      />
    </ModalForm>
  );
}

function Rename({ user, onSaved }: { user: CashierUser; onSaved: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  return (
    <ModalForm<{ displayName: string }>
      title={`${t('merchant:cashiers.edit')} · ${user.username}`}
      width={520}
      modalProps={{ destroyOnHidden: true }}
      initialValues={{ displayName: user.displayName }}
      trigger={<RowAction icon={<EditOutlined />}>{t('merchant:cashiers.edit')}</RowAction>}
      onFinish={async (values) => {
        try {
          await api.patch(`/api/merchant/cashiers/${encodeURIComponent(user.id)}`, {
            displayName: values.displayName?.trim() ?? '',
          });
          message.success(t('common.saved'));
          onSaved();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <ProFormText
        name="displayName"
        label={t('merchant:cashiers.displayName')}
        placeholder={t('merchant:cashiers.displayNamePlaceholder')}
        fieldProps={{ maxLength: 64 }}
      />
    </ModalForm>
  );
}

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
const PASSWORD_LENGTH = 14;

/** 14 characters from an alphabet without look-alikes (no 0/O, 1/l/I), from the browser's CSPRNG, unbiased. */
function randomPassword(): string {
  const limit = 256 - (256 % PASSWORD_ALPHABET.length);
  let out = '';
  while (out.length < PASSWORD_LENGTH) {
    for (const b of crypto.getRandomValues(new Uint8Array(32))) {
      if (b < limit && out.length < PASSWORD_LENGTH) out += PASSWORD_ALPHABET[b % PASSWORD_ALPHABET.length];
    }
  }
  return out;
}
