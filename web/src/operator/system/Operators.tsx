import { KeyOutlined, PlusOutlined, ReloadOutlined, UnlockOutlined } from '@ant-design/icons';
import {
  type ActionType,
  ModalForm,
  type ProColumns,
  ProFormSelect,
  ProFormText,
  ProTable,
} from '@ant-design/pro-components';
import { App, Button, Dropdown, Form, Space, Tag, Tooltip, Typography } from 'antd';
import type { ReactElement } from 'react';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { errorText } from '../../shell/errors.ts';
import { dateTime } from '../../shell/format.ts';
import { remembered, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { useSecretDialog } from '../../shell/SecretDialog.tsx';
import { useCan, useSession } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { useApi } from '../../shell/useApi.ts';
import { useRequestError } from '../../shell/useRequestError.ts';
import { EnabledBadge } from '../components.tsx';
import { DeleteToBin } from '../DeleteToBin.tsx';
import { itemsOf, type ListPage, type Operator, type Role } from '../types.ts';

const OPERATOR_MIN_PASSWORD = 12;

/** A temporary password that meets the operator policy: 16 characters without look-alikes. */
export function generatePassword(length = 16): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789!@#$%';
  const bytes = crypto.getRandomValues(new Uint32Array(length));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/** 操作员: operator accounts — create with a role and temporary password, enable/disable, resets. */
export function OperatorsPage() {
  const { t } = useTranslation(['operator', 'common']);
  const onRequestError = useRequestError();
  const { message, modal } = App.useApp();
  const { session } = useSession();
  const can = useCan();
  const writable = can('operator.write');
  const actionRef = useRef<ActionType>(null);
  const reload = () => actionRef.current?.reload();
  const roles = useApi<Role[] | ListPage<Role>>('/api/admin/roles');
  const roleOptions = itemsOf(roles.data).map((r) => ({ value: r.id, label: r.name }));
  const secretDialog = useSecretDialog();

  const patch = async (op: Operator, body: Record<string, unknown>, done: string) => {
    try {
      await api.patch(`/api/admin/operators/${op.id}`, body);
      message.success(done);
      reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const resetPassword = (op: Operator) =>
    modal.confirm({
      title: t('operators.resetPasswordConfirm', { name: op.displayName || op.username }),
      content: t('operators.resetPasswordHint'),
      okButtonProps: { danger: true },
      onOk: async () => {
        try {
          const { temporaryPassword } = await api.post<{ temporaryPassword: string }>(
            `/api/admin/operators/${op.id}/reset-password`,
          );
          secretDialog.show({
            title: t('operators.passwordReset'),
            description: t('operators.temporaryPasswordHint'),
            rows: [
              { label: t('operators.username'), value: op.username },
              { label: t('operators.temporaryPassword'), value: temporaryPassword, secret: true },
            ],
          });
          reload();
        } catch (e) {
          message.error(errorText(e));
        }
      },
    });

  const resetTotp = (op: Operator) =>
    modal.confirm({
      title: t('operators.resetTotpConfirm', { name: op.displayName || op.username }),
      content: t('operators.resetTotpHint'),
      okButtonProps: { danger: true },
      onOk: async () => {
        try {
          await api.post(`/api/admin/operators/${op.id}/reset-totp`);
          message.success(t('operators.totpReset'));
          reload();
        } catch (e) {
          message.error(errorText(e));
        }
      },
    });

  const unlock = (op: Operator) =>
    modal.confirm({
      title: t('operators.unlockConfirm', { name: op.displayName || op.username }),
      onOk: async () => {
        try {
          await api.post(`/api/admin/operators/${op.id}/unlock`);
          message.success(t('operators.unlocked'));
          reload();
        } catch (e) {
          message.error(errorText(e));
        }
      },
    });

  const columns: ProColumns<Operator>[] = [
    {
      title: t('operators.username'),
      dataIndex: 'username',
      width: 240,
      render: (_, op) => (
        <TwoLineCell
          secondaryMono={false}
          secondary={[op.displayName, op.email].filter(Boolean).join(' · ') || '-'}
          secondaryTip={`${t('operators.displayName')} · ${t('operators.email')}`}
          time={op.createdAt}
          timeTip={t('merchants.createdAt')}
        >
          <Space>
            <span className="qy-mono">{op.username}</span>
            {op.id === session?.user.id && <Tag color="blue">{t('operators.you')}</Tag>}
          </Space>
        </TwoLineCell>
      ),
    },
    {
      title: t('operators.role'),
      dataIndex: 'role',
      width: 120,
      render: (_, op) =>
        op.role ? <Tag color={op.role.code === 'super_admin' ? 'gold' : 'blue'}>{op.role.name}</Tag> : '-',
    },
    {
      title: t('operators.state'),
      dataIndex: 'enabled',
      width: 130,
      render: (_, op) => (
        <Space size={4}>
          <EnabledBadge enabled={op.enabled} />
          {op.lockedUntil && new Date(op.lockedUntil) > new Date() && (
            <Tooltip title={t('operators.lockedUntil', { time: dateTime(op.lockedUntil) })}>
              <Tag color="red">{t('operators.locked')}</Tag>
            </Tooltip>
          )}
        </Space>
      ),
    },
    {
      title: t('operators.totp'),
      dataIndex: 'totpEnabled',
      width: 100,
      render: (_, op) =>
        op.totpEnabled ? (
          <Tag color="green">{t('common:security.totpOn')}</Tag>
        ) : (
          <Tag color="orange">{t('operators.totpPending')}</Tag>
        ),
    },
    {
      title: t('operators.lastLogin'),
      dataIndex: 'lastLoginAt',
      width: 160,
      render: (_, op) => dateTime(op.lastLoginAt),
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      valueType: 'option',
      width: 170,
      hideInTable: !writable,
      render: (_, op) => {
        const self = op.id === session?.user.id;
        return (
          <Space size={12} wrap>
            <OperatorForm
              operator={op}
              roleOptions={roleOptions}
              onDone={reload}
              trigger={
                <Button type="link" size="small" style={{ padding: 0 }}>
                  {t('common:actions.edit')}
                </Button>
              }
            />
            {!self && (
              <Button
                type="link"
                size="small"
                danger={op.enabled}
                style={{ padding: 0 }}
                onClick={() =>
                  modal.confirm({
                    title: op.enabled
                      ? t('operators.disableConfirm', { name: op.username })
                      : t('operators.enableConfirm', { name: op.username }),
                    content: op.enabled ? t('operators.disableHint') : undefined,
                    okButtonProps: { danger: op.enabled },
                    onOk: () =>
                      patch(
                        op,
                        { enabled: !op.enabled },
                        op.enabled ? t('operators.disabledDone') : t('operators.enabledDone'),
                      ),
                  })
                }
              >
                {op.enabled ? t('common:actions.disable') : t('common:actions.enable')}
              </Button>
            )}
            <Dropdown
              menu={{
                items: [
                  {
                    key: 'password',
                    icon: <KeyOutlined />,
                    label: t('operators.resetPassword'),
                    disabled: self,
                  },
                  {
                    key: 'totp',
                    icon: <ReloadOutlined />,
                    label: t('operators.resetTotp'),
                    disabled: self || !op.totpEnabled,
                  },
                  {
                    key: 'unlock',
                    icon: <UnlockOutlined />,
                    label: t('operators.unlock'),
                    disabled: !op.lockedUntil,
                  },
                ],
                onClick: ({ key }) =>
                  key === 'password' ? resetPassword(op) : key === 'totp' ? resetTotp(op) : unlock(op),
              }}
            >
              <Button type="link" size="small" style={{ padding: 0 }}>
                {t('common:actions.more')}
              </Button>
            </Dropdown>
            {!self && (
              <DeleteToBin path={`/api/admin/operators/${op.id}`} name={op.username} onDone={reload} />
            )}
          </Space>
        );
      },
    },
  ];

  return (
    <Page title={t('operators.title')} subTitle={t('operators.subtitle')}>
      <ProTable<Operator>
        rowKey="id"
        actionRef={actionRef}
        columns={columns}
        cardBordered
        search={false}
        scroll={{ x: widthOf(columns) }}
        columnsState={remembered('operator.operators')}
        pagination={{ defaultPageSize: 20, hideOnSinglePage: true }}
        options={{ density: false, setting: true, reload: true }}
        onRequestError={onRequestError}
        request={async () => {
          const answer = await api.get<Operator[] | ListPage<Operator>>('/api/admin/operators?limit=200');
          const data = itemsOf(answer);
          return { data, total: Array.isArray(answer) ? data.length : answer.total, success: true };
        }}
        toolBarRender={() =>
          writable
            ? [
                <OperatorForm
                  key="create"
                  roleOptions={roleOptions}
                  onDone={reload}
                  onCreated={(username, password) =>
                    secretDialog.show({
                      title: t('operators.created'),
                      description: t('operators.temporaryPasswordHint'),
                      rows: [
                        { label: t('operators.username'), value: username },
                        { label: t('operators.temporaryPassword'), value: password, secret: true },
                      ],
                    })
                  }
                  trigger={
                    <Button type="primary" icon={<PlusOutlined />}>
                      {t('operators.create')}
                    </Button>
                  }
                />,
              ]
            : []
        }
      />
      {secretDialog.holder}
    </Page>
  );
}

interface OperatorValues {
  username: string;
  displayName?: string;
  email?: string;
  /** Mobile number for reset codes by SMS (editing only). */
  phone?: string;
  roleId: string;
  password: string;
}

function OperatorForm(props: {
  operator?: Operator;
  roleOptions: { value: string; label: string }[];
  trigger: ReactElement;
  onDone: () => void;
  onCreated?: (username: string, password: string) => void;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [form] = Form.useForm<OperatorValues>();
  const op = props.operator;
  return (
    <ModalForm<OperatorValues>
      form={form}
      title={op ? t('operators.editTitle', { name: op.username }) : t('operators.createTitle')}
      width={520}
      trigger={props.trigger}
      modalProps={{ destroyOnHidden: true }}
      initialValues={
        op
          ? {
              username: op.username,
              displayName: op.displayName,
              email: op.email,
              phone: op.phone,
              roleId: op.role?.id,
            }
          : { password: generatePassword() }
      }
      onFinish={async (v) => {
        try {
          if (op) {
            await api.patch(`/api/admin/operators/${op.id}`, {
              displayName: v.displayName?.trim() ?? '',
              email: v.email?.trim() ?? '',
              phone: v.phone?.replace(/[\s-]/g, '') ?? '',
              roleId: v.roleId,
            });
            message.success(t('common:common.saved'));
          } else {
            const created = await api.post<Operator & { temporaryPassword?: string }>(
              '/api/admin/operators',
              {
                username: v.username.trim(),
                displayName: v.displayName?.trim() || undefined,
                email: v.email?.trim() || undefined,
                roleId: v.roleId,
                password: v.password,
              },
            );
            props.onCreated?.(created.username ?? v.username.trim(), created.temporaryPassword ?? v.password);
          }
          props.onDone();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <ProFormText
        name="username"
        label={t('operators.username')}
        disabled={!!op}
        rules={[
          { required: true, message: t('users.usernameRequired') },
          { pattern: /^[A-Za-z0-9_.@-]{3,64}$/, message: t('merchants.usernameRule') },
        ]}
      />
      <ProFormText name="displayName" label={t('operators.displayName')} rules={[{ max: 64 }]} />
      <ProFormText
        name="email"
        label={t('operators.email')}
        extra={t('operators.emailHint')}
        rules={[{ type: 'email', message: t('merchants.emailRule') }]}
      />
      {op && (
        <ProFormText
          name="phone"
          label={t('notifications.operatorPhone')}
          extra={t('notifications.operatorPhoneHint')}
          rules={[
            {
              pattern: /^\s*(1[\d\s-]{10,14}|\+[\d\s-]{6,20})?\s*$/,
              message: t('notifications.operatorPhoneRule'),
            },
          ]}
        />
      )}
      <ProFormSelect
        name="roleId"
        label={t('operators.role')}
        options={props.roleOptions}
        rules={[{ required: true, message: t('operators.roleRequired') }]}
      />
      {!op && (
        <ProFormText
          name="password"
          label={t('operators.temporaryPassword')}
          extra={t('operators.temporaryPasswordCreateHint')}
          fieldProps={{
            className: 'qy-mono',
            autoComplete: 'off',
            addonAfter: (
              <Typography.Link onClick={() => form.setFieldValue('password', generatePassword())}>
                {t('operators.generate')}
              </Typography.Link>
            ),
          }}
          rules={[
            { required: true, message: t('common:security.passwordMin', { min: OPERATOR_MIN_PASSWORD }) },
            {
              min: OPERATOR_MIN_PASSWORD,
              message: t('common:security.passwordMin', { min: OPERATOR_MIN_PASSWORD }),
            },
          ]}
        />
      )}
    </ModalForm>
  );
}
