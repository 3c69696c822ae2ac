import { LockOutlined, PlusOutlined } from '@ant-design/icons';
import { DrawerForm, type ProColumns, ProForm, ProFormText, ProTable } from '@ant-design/pro-components';
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Col,
  Popconfirm,
  Row,
  Space,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { errorText } from '../../shell/errors.ts';
import { remembered } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { useCan } from '../../shell/session.tsx';
import { useApi } from '../../shell/useApi.ts';
import { itemsOf, type ListPage, type PermissionDef, type Role } from '../types.ts';

const SUPER_ADMIN = 'super_admin';

/** 角色权限: roles as sets of permissions; super_admin (everything) is read-only. */
export function RolesPage() {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const can = useCan();
  const writable = can('operator.write');
  const roles = useApi<Role[] | ListPage<Role>>('/api/admin/roles');
  const permissions = useApi<PermissionDef[]>('/api/admin/permissions');
  const defs = permissions.data ?? [];

  const remove = async (role: Role) => {
    try {
      await api.del(`/api/admin/roles/${role.id}`);
      message.success(t('roles.deleted', { name: role.name }));
      await roles.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const columns: ProColumns<Role>[] = [
    {
      title: t('roles.name'),
      dataIndex: 'name',
      width: 180,
      render: (_, r) => (
        <Space>
          <Typography.Text strong>{r.name}</Typography.Text>
          {r.builtin && <Tag>{t('roles.builtin')}</Tag>}
        </Space>
      ),
    },
    {
      title: t('roles.code'),
      dataIndex: 'code',
      width: 150,
      render: (_, r) => <span className="qy-mono">{r.code}</span>,
    },
    {
      title: t('roles.permissions'),
      dataIndex: 'permissions',
      render: (_, r) =>
        r.permissions.includes('*') ? (
          <Tag color="gold">{t('roles.all')}</Tag>
        ) : r.permissions.length === 0 ? (
          <Typography.Text type="secondary">{t('common:common.none')}</Typography.Text>
        ) : (
          <Space size={[4, 4]} wrap>
            {r.permissions.map((p) => (
              <Tag key={p} bordered={false} color="blue">
                {t(`permission.${p}`, { defaultValue: p })}
              </Tag>
            ))}
          </Space>
        ),
    },
    { title: t('roles.userCount'), dataIndex: 'userCount', width: 100, align: 'right' },
    {
      title: t('common:actions.more'),
      key: 'actions',
      valueType: 'option',
      width: 140,
      render: (_, r) => (
        <Space size={12}>
          <RoleForm
            role={r}
            defs={defs}
            readOnly={!writable || r.code === SUPER_ADMIN}
            onDone={roles.reload}
            trigger={
              <Button type="link" size="small" style={{ padding: 0 }}>
                {!writable || r.code === SUPER_ADMIN ? t('roles.view') : t('common:actions.edit')}
              </Button>
            }
          />
          {writable && !r.builtin && (
            <Tooltip title={r.userCount > 0 ? t('roles.inUse', { count: r.userCount }) : undefined}>
              <Popconfirm
                title={t('roles.deleteConfirm', { name: r.name })}
                okButtonProps={{ danger: true }}
                disabled={r.userCount > 0}
                onConfirm={() => remove(r)}
              >
                <Button type="link" size="small" danger disabled={r.userCount > 0} style={{ padding: 0 }}>
                  {t('common:actions.delete')}
                </Button>
              </Popconfirm>
            </Tooltip>
          )}
        </Space>
      ),
    },
  ];

  return (
    <Page title={t('roles.title')} subTitle={t('roles.subtitle')}>
      <ProTable<Role>
        rowKey="id"
        columns={columns}
        dataSource={itemsOf(roles.data)}
        loading={roles.loading}
        cardBordered
        search={false}
        pagination={false}
        options={{ density: false, setting: true, reload: () => void roles.reload() }}
        columnsState={remembered('operator.roles')}
        toolBarRender={() =>
          writable
            ? [
                <RoleForm
                  key="create"
                  defs={defs}
                  onDone={roles.reload}
                  trigger={
                    <Button type="primary" icon={<PlusOutlined />}>
                      {t('roles.create')}
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

interface RoleValues {
  code: string;
  name: string;
  permissions: string[];
}

function RoleForm(props: {
  role?: Role;
  defs: PermissionDef[];
  readOnly?: boolean;
  trigger: ReactElement;
  onDone: () => Promise<void>;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const { role, readOnly } = props;
  const all = role?.permissions.includes('*');
  return (
    <DrawerForm<RoleValues>
      title={
        role
          ? readOnly
            ? t('roles.viewTitle', { name: role.name })
            : t('roles.editTitle', { name: role.name })
          : t('roles.createTitle')
      }
      width={640}
      trigger={props.trigger}
      drawerProps={{ destroyOnHidden: true }}
      disabled={readOnly}
      submitter={readOnly ? false : undefined}
      initialValues={
        role
          ? {
              code: role.code,
              name: role.name,
              permissions: all ? props.defs.map((d) => d.code) : role.permissions,
            }
          : { permissions: [] }
      }
      onFinish={async (v) => {
        try {
          if (role)
            await api.patch(`/api/admin/roles/${role.id}`, {
              name: v.name.trim(),
              permissions: v.permissions,
            });
          else
            await api.post('/api/admin/roles', {
              code: v.code.trim(),
              name: v.name.trim(),
              permissions: v.permissions,
            });
          message.success(t('common:common.saved'));
          await props.onDone();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      {role?.code === SUPER_ADMIN && (
        <Alert
          type="info"
          showIcon
          icon={<LockOutlined />}
          style={{ marginBottom: 16 }}
          message={t('roles.superAdminHint')}
        />
      )}
      <Row gutter={16}>
        <Col span={12}>
          <ProFormText
            name="code"
            label={t('roles.code')}
            disabled={!!role}
            placeholder="risk_control"
            rules={[{ required: true, pattern: /^[a-z][a-z0-9_]{1,31}$/, message: t('roles.codeRule') }]}
          />
        </Col>
        <Col span={12}>
          <ProFormText
            name="name"
            label={t('roles.name')}
            rules={[{ required: true, whitespace: true, max: 64 }]}
          />
        </Col>
      </Row>
      <ProForm.Item name="permissions" label={t('roles.permissions')} rules={[{ type: 'array' }]}>
        <PermissionPicker defs={props.defs} disabled={readOnly} />
      </ProForm.Item>
    </DrawerForm>
  );
}

/** Permissions as checkboxes grouped like the API's groups, each group with a select-all. */
export function PermissionPicker({
  defs,
  value = [],
  onChange,
  disabled,
}: {
  defs: PermissionDef[];
  value?: string[];
  onChange?: (value: string[]) => void;
  disabled?: boolean;
}) {
  const { t } = useTranslation('operator');
  const groups = [...new Set(defs.map((d) => d.group))];
  const selected = new Set(value);
  const set = (codes: string[], on: boolean) => {
    const next = new Set(selected);
    for (const c of codes) {
      if (on) next.add(c);
      else next.delete(c);
    }
    // Keep the API's order so a save diff stays readable in the audit log.
    onChange?.(defs.map((d) => d.code).filter((c) => next.has(c)));
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }} size={12}>
      {groups.map((group) => {
        const codes = defs.filter((d) => d.group === group).map((d) => d.code);
        const count = codes.filter((c) => selected.has(c)).length;
        return (
          <Card
            key={group}
            size="small"
            title={
              <Checkbox
                checked={count === codes.length}
                indeterminate={count > 0 && count < codes.length}
                disabled={disabled}
                onChange={(e) => set(codes, e.target.checked)}
              >
                {t(`permissionGroup.${group}`, { defaultValue: group })}
              </Checkbox>
            }
            extra={
              <Typography.Text type="secondary">
                {count}/{codes.length}
              </Typography.Text>
            }
          >
            <Row gutter={[8, 8]}>
              {codes.map((code) => (
                <Col span={12} key={code}>
                  <Checkbox
                    checked={selected.has(code)}
                    disabled={disabled}
                    onChange={(e) => set([code], e.target.checked)}
                  >
                    {t(`permission.${code}`, { defaultValue: code })}
                    <Typography.Text
                      type="secondary"
                      className="qy-mono"
                      style={{ fontSize: 11, marginLeft: 6 }}
                    >
                      {code}
                    </Typography.Text>
                  </Checkbox>
                </Col>
              ))}
            </Row>
          </Card>
        );
      })}
    </Space>
  );
}
