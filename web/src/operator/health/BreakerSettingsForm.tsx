import { DrawerForm, ProFormDigit, ProFormSelect } from '@ant-design/pro-components';
import { App, Button, Empty, Form, List, Space, Tag, Typography } from 'antd';
import { type ReactElement, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { errorText } from '../../shell/errors.ts';
import { dateTime } from '../../shell/format.ts';
import { type BreakerSettings, type ChannelHealth, HealthBadge, HealthDetail } from './HealthBadge.tsx';

interface Transition {
  id: string;
  from: 'closed' | 'open' | 'half_open';
  to: 'closed' | 'open' | 'half_open';
  reason: string;
  at: string;
}

/** A circuit state in the badges' words (closed is "healthy"). */
const stateWord = (s: Transition['from']) => (s === 'closed' ? 'healthy' : s);

/**
 * The breaker settings panel of one channel account: its thresholds (or the defaults), its live
 * health and its latest circuit changes.
 */
export function BreakerSettingsForm(props: {
  accountId: string;
  accountName: string;
  health: ChannelHealth | undefined;
  writable: boolean;
  onSaved: () => void;
  trigger: ReactElement;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [form] = Form.useForm<BreakerSettings>();
  const [detail, setDetail] = useState<(ChannelHealth & { transitions: Transition[] }) | null>(null);
  const path = `/api/admin/channel-accounts/${props.accountId}`;

  const load = async () => {
    try {
      const answer = await api.get<ChannelHealth & { transitions: Transition[] }>(`${path}/health`);
      setDetail(answer);
      form.setFieldsValue(answer.settings);
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const percentField = (name: keyof BreakerSettings, min = 0) => (
    <ProFormDigit
      name={name}
      label={t(`health.${name}`)}
      extra={t(`health.${name}Hint`)}
      min={min}
      max={100}
      fieldProps={{ precision: 0 }}
      rules={[{ required: true }]}
      disabled={!props.writable}
    />
  );

  return (
    <DrawerForm<BreakerSettings>
      title={t('health.breakerTitle', { name: props.accountName })}
      form={form}
      width={520}
      trigger={props.trigger}
      drawerProps={{ destroyOnHidden: true }}
      onOpenChange={(open) => {
        if (open) void load();
        else setDetail(null);
      }}
      submitter={
        props.writable
          ? {
              searchConfig: { submitText: t('common:actions.save') },
              render: (_, dom) => [
                <Button
                  key="defaults"
                  onClick={async () => {
                    try {
                      await api.del(`${path}/breaker`);
                      message.success(t('health.restored'));
                      props.onSaved();
                      await load();
                    } catch (e) {
                      message.error(errorText(e));
                    }
                  }}
                >
                  {t('health.restoreDefaults')}
                </Button>,
                ...dom,
              ],
            }
          : false
      }
      onFinish={async (values) => {
        try {
          await api.put(`${path}/breaker`, values);
          message.success(t('health.saved'));
          props.onSaved();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      {detail && (
        <Space direction="vertical" style={{ width: '100%', marginBottom: 16 }}>
          <Space>
            <HealthBadge health={detail} />
            <Tag>{detail.customSettings ? t('health.customInUse') : t('health.defaultsInUse')}</Tag>
          </Space>
          <HealthDetail health={detail} />
        </Space>
      )}
      <Typography.Paragraph type="secondary">{t('health.breakerDesc')}</Typography.Paragraph>
      <ProFormDigit
        name="failureThreshold"
        label={t('health.failureThreshold')}
        extra={t('health.failureThresholdHint')}
        min={1}
        max={1000}
        fieldProps={{ precision: 0 }}
        rules={[{ required: true }]}
        disabled={!props.writable}
      />
      {percentField('openBelowPercent')}
      <ProFormDigit
        name="minVolume"
        label={t('health.minVolume')}
        extra={t('health.minVolumeHint')}
        min={1}
        max={100_000}
        fieldProps={{ precision: 0 }}
        rules={[{ required: true }]}
        disabled={!props.writable}
      />
      <ProFormSelect
        name="windowMinutes"
        label={t('health.windowMinutes')}
        options={[5, 15, 60].map((m) => ({ value: m, label: t('health.window', { minutes: m }) }))}
        rules={[{ required: true }]}
        disabled={!props.writable}
      />
      <ProFormDigit
        name="openSeconds"
        label={t('health.openSeconds')}
        extra={t('health.openSecondsHint')}
        min={5}
        max={86_400}
        fieldProps={{ precision: 0 }}
        rules={[{ required: true }]}
        disabled={!props.writable}
      />
      <ProFormDigit
        name="halfOpenProbes"
        label={t('health.halfOpenProbes')}
        extra={t('health.halfOpenProbesHint')}
        min={1}
        max={100}
        fieldProps={{ precision: 0 }}
        rules={[{ required: true }]}
        disabled={!props.writable}
      />
      {percentField('degradedBelowPercent')}
      {percentField('degradedWeightPercent', 1)}
      <Typography.Title level={5}>{t('health.transitions')}</Typography.Title>
      {detail && detail.transitions.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('health.transitionsEmpty')} />
      ) : (
        <List
          size="small"
          dataSource={detail?.transitions ?? []}
          renderItem={(x) => (
            <List.Item>
              <Space direction="vertical" size={0}>
                <span>
                  {t('health.transition', {
                    from: t(`health.status.${stateWord(x.from)}`),
                    to: t(`health.status.${stateWord(x.to)}`),
                  })}{' '}
                  · {t(`health.reason.${x.reason}`)}
                </span>
                <Typography.Text type="secondary">{dateTime(x.at)}</Typography.Text>
              </Space>
            </List.Item>
          )}
        />
      )}
    </DrawerForm>
  );
}
