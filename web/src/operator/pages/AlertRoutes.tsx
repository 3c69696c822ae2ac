import { PlusOutlined } from '@ant-design/icons';
import {
  ModalForm,
  ProCard,
  type ProColumns,
  ProForm,
  ProFormDependency,
  ProFormDigit,
  ProFormSelect,
  ProFormSwitch,
  ProFormText,
  ProTable,
} from '@ant-design/pro-components';
import { App, Button, Empty, Popconfirm, Space, Tag, Typography } from 'antd';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { errorText } from '../../shell/errors.ts';
import { RowAction, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { useCan } from '../../shell/session.tsx';
import { useApi } from '../../shell/useApi.ts';
import { SeverityTag } from '../alerts/parts.tsx';
import { ALERT_KINDS, type AlertRoute, type AlertSettings } from '../alerts/types.ts';

const ADDRESS_RULES: Record<AlertRoute['channel'], RegExp> = {
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  sms: /^\+?\d{6,15}$/,
  telegram: /^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$/,
};

type RouteForm = Omit<AlertRoute, 'id' | 'updatedAt'>;

/** 告警通知规则: which alerts from which severity go to whom; the detectors' thresholds below. */
export function AlertRoutesPage() {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const can = useCan();
  const configure = can('alerts.configure');
  const routes = useApi<{ items: AlertRoute[] }>('/api/admin/alert-routes');

  const columns: ProColumns<AlertRoute>[] = [
    {
      title: t('alerts.routes.name'),
      dataIndex: 'name',
      width: 180,
      render: (_, r) => (
        <Space direction="vertical" size={0}>
          <Typography.Text strong>{r.name}</Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t(`alerts.routes.locales.${r.locale}`)}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('alerts.routes.kinds'),
      dataIndex: 'kinds',
      width: 300,
      render: (_, r) =>
        r.kinds.length === 0 ? (
          t('alerts.routes.kindsAll')
        ) : (
          <Space size={[0, 4]} wrap>
            {r.kinds.map((k) => (
              <Tag key={k}>{t(`alerts.kinds.${k}`)}</Tag>
            ))}
          </Space>
        ),
    },
    {
      title: t('alerts.routes.minSeverity'),
      dataIndex: 'minSeverity',
      width: 110,
      render: (_, r) => <SeverityTag severity={r.minSeverity} />,
    },
    {
      title: t('alerts.routes.address'),
      dataIndex: 'address',
      width: 220,
      render: (_, r) => (
        <Space direction="vertical" size={0}>
          <Typography.Text className="qy-mono" ellipsis={{ tooltip: r.address }} style={{ maxWidth: 208 }}>
            {r.address}
          </Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t(`alerts.routes.channels.${r.channel}`)}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('alerts.routes.enabled'),
      dataIndex: 'enabled',
      width: 80,
      render: (_, r) => (
        <Tag color={r.enabled ? 'green' : 'default'} bordered={false}>
          {r.enabled ? t('alerts.routes.enabledOn') : t('alerts.routes.enabledOff')}
        </Tag>
      ),
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      width: 110,
      hideInTable: !configure,
      render: (_, r) => (
        <Space size={12}>
          <RouteDialog
            route={r}
            onDone={routes.reload}
            trigger={<RowAction>{t('alerts.routes.edit')}</RowAction>}
          />
          <Popconfirm
            title={t('alerts.routes.removeConfirm', { name: r.name })}
            onConfirm={async () => {
              try {
                await api.del(`/api/admin/alert-routes/${r.id}`);
                message.success(t('alerts.routes.removed'));
                await routes.reload();
              } catch (e) {
                message.error(errorText(e));
              }
            }}
          >
            <RowAction danger>{t('alerts.routes.remove')}</RowAction>
          </Popconfirm>
        </Space>
      ),
    },
  ];

  return (
    <Page title={t('alerts.routes.title')} subTitle={t('alerts.routes.subtitle')}>
      <ErrorAlert error={routes.error} />
      <div data-testid="alert-route-table">
        <ProTable<AlertRoute>
          rowKey="id"
          columns={columns}
          dataSource={routes.data?.items ?? []}
          loading={routes.loading}
          search={false}
          cardBordered
          size="middle"
          pagination={false}
          scroll={{ x: widthOf(columns) }}
          options={false}
          locale={{
            emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('alerts.routes.none')} />,
          }}
          toolBarRender={() =>
            configure
              ? [
                  <RouteDialog
                    key="add"
                    onDone={routes.reload}
                    trigger={
                      <Button type="primary" icon={<PlusOutlined />} data-testid="alert-route-add">
                        {t('alerts.routes.add')}
                      </Button>
                    }
                  />,
                ]
              : []
          }
        />
      </div>
      <SettingsCard editable={configure} />
    </Page>
  );
}

/** Add or change one rule: name, kinds (none: all), minimum severity, channel, address, language, on/off. */
function RouteDialog({
  route,
  onDone,
  trigger,
}: {
  route?: AlertRoute;
  onDone: () => Promise<void>;
  trigger: ReactNode;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  return (
    <ModalForm<RouteForm>
      title={route ? t('alerts.routes.editTitle') : t('alerts.routes.addTitle')}
      width={520}
      trigger={trigger as React.JSX.Element}
      modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
      initialValues={
        route ?? {
          kinds: [],
          minSeverity: 'warning',
          channel: 'email',
          locale: 'zh',
          enabled: true,
          name: '',
          address: '',
        }
      }
      onFinish={async (values) => {
        setError(null);
        const body = {
          ...values,
          name: values.name.trim(),
          address: values.address.trim(),
          kinds: values.kinds ?? [],
        };
        try {
          if (route) await api.put(`/api/admin/alert-routes/${route.id}`, body);
          else await api.post('/api/admin/alert-routes', body);
          message.success(t('alerts.routes.saved'));
          await onDone();
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <ErrorAlert error={error} />
      <ProFormText
        name="name"
        label={t('alerts.routes.name')}
        placeholder={t('alerts.routes.namePlaceholder')}
        rules={[{ required: true, whitespace: true, max: 64 }]}
      />
      <ProFormSelect
        name="kinds"
        label={t('alerts.routes.kinds')}
        mode="multiple"
        placeholder={t('alerts.routes.kindsAll')}
        extra={t('alerts.routes.kindsHint')}
        options={ALERT_KINDS.map((k) => ({ value: k, label: t(`alerts.kinds.${k}`) }))}
      />
      <ProFormSelect
        name="minSeverity"
        label={t('alerts.routes.minSeverity')}
        extra={t('alerts.routes.minSeverityHint')}
        allowClear={false}
        options={(['info', 'warning', 'critical'] as const).map((s) => ({
          value: s,
          label: t(`alerts.severities.${s}`),
        }))}
      />
      <ProFormSelect
        name="channel"
        label={t('alerts.routes.channel')}
        allowClear={false}
        options={(['email', 'sms', 'telegram'] as const).map((c) => ({
          value: c,
          label: t(`alerts.routes.channels.${c}`),
        }))}
      />
      <ProFormDependency name={['channel']}>
        {({ channel }) => (
          <ProFormText
            name="address"
            label={t('alerts.routes.address')}
            placeholder={t(`alerts.routes.addressHint.${(channel as AlertRoute['channel']) ?? 'email'}`)}
            rules={[
              { required: true, whitespace: true, message: t('alerts.routes.addressInvalid') },
              {
                pattern: ADDRESS_RULES[(channel as AlertRoute['channel']) ?? 'email'],
                message: t('alerts.routes.addressInvalid'),
              },
            ]}
          />
        )}
      </ProFormDependency>
      <ProFormSelect
        name="locale"
        label={t('alerts.routes.locale')}
        allowClear={false}
        options={(['zh', 'en'] as const).map((l) => ({ value: l, label: t(`alerts.routes.locales.${l}`) }))}
      />
      <ProFormSwitch name="enabled" label={t('alerts.routes.enabled')} />
    </ModalForm>
  );
}

/** The thresholds each detector uses and the reminder interval. */
function SettingsCard({ editable }: { editable: boolean }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const settings = useApi<AlertSettings>('/api/admin/alerts/settings');
  const [error, setError] = useState<unknown>(null);
  if (!settings.data) return <ErrorAlert error={settings.error} />;
  const minutes = { min: 1, max: 1440, fieldProps: { precision: 0 } };
  return (
    <ProCard title={t('alerts.settings.title')} bordered style={{ marginTop: 16 }}>
      <ErrorAlert error={error} />
      <ProForm<AlertSettings>
        initialValues={settings.data}
        disabled={!editable}
        layout="vertical"
        grid
        rowProps={{ gutter: 16 }}
        submitter={
          editable
            ? { searchConfig: { submitText: t('alerts.settings.save') }, resetButtonProps: false }
            : false
        }
        onFinish={async (values) => {
          setError(null);
          try {
            await api.put('/api/admin/alerts/settings', values);
            message.success(t('alerts.settings.saved'));
            await settings.reload();
          } catch (e) {
            setError(e);
          }
        }}
      >
        <ProFormDigit
          name="notifyIntervalMinutes"
          label={t('alerts.settings.notifyInterval')}
          extra={t('alerts.settings.notifyIntervalHint')}
          colProps={{ xs: 24, md: 8 }}
          {...minutes}
        />
        <ProFormDigit
          name={['successRate', 'windowMinutes']}
          label={t('alerts.settings.successWindow')}
          colProps={{ xs: 24, md: 8 }}
          min={5}
          max={240}
          fieldProps={{ precision: 0 }}
        />
        <ProFormDigit
          name={['successRate', 'minDecided']}
          label={t('alerts.settings.successMin')}
          colProps={{ xs: 24, md: 8 }}
          min={1}
          max={100000}
          fieldProps={{ precision: 0 }}
        />
        <ProFormDigit
          name={['successRate', 'warningBelowPct']}
          label={t('alerts.settings.successWarning')}
          colProps={{ xs: 24, md: 8 }}
          min={1}
          max={100}
          fieldProps={{ precision: 0 }}
        />
        <ProFormDigit
          name={['successRate', 'criticalBelowPct']}
          label={t('alerts.settings.successCritical')}
          colProps={{ xs: 24, md: 8 }}
          min={0}
          max={100}
          fieldProps={{ precision: 0 }}
        />
        <ProFormDigit
          name={['payingStuck', 'olderThanMinutes']}
          label={t('alerts.settings.payingMinutes')}
          colProps={{ xs: 24, md: 8 }}
          {...minutes}
        />
        <ProFormDigit
          name={['payingStuck', 'atLeast']}
          label={t('alerts.settings.payingCount')}
          colProps={{ xs: 24, md: 8 }}
          min={1}
          max={100000}
          fieldProps={{ precision: 0 }}
        />
        <ProFormDigit
          name={['notifyFailing', 'windowMinutes']}
          label={t('alerts.settings.notifyWindow')}
          colProps={{ xs: 24, md: 8 }}
          min={5}
          max={1440}
          fieldProps={{ precision: 0 }}
        />
        <ProFormDigit
          name={['notifyFailing', 'atLeast']}
          label={t('alerts.settings.notifyCount')}
          colProps={{ xs: 24, md: 8 }}
          min={1}
          max={100000}
          fieldProps={{ precision: 0 }}
        />
        <ProFormText
          name={['reconciliation', 'morningAt']}
          label={t('alerts.settings.reconMorning')}
          colProps={{ xs: 24, md: 8 }}
          rules={[{ required: true, pattern: /^([01]\d|2[0-3]):[0-5]\d$/, message: 'HH:mm' }]}
        />
      </ProForm>
    </ProCard>
  );
}
