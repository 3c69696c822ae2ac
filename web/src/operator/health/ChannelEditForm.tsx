import { ModalForm, ProFormSwitch, ProFormText, ProFormTextArea } from '@ant-design/pro-components';
import { App } from 'antd';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { errorText } from '../../shell/errors.ts';
import type { Channel } from '../types.ts';

/** Edits a channel (provider): its name, remarks, and whether it takes orders at all. */
export function ChannelEditForm(props: { channel: Channel; onSaved: () => void; trigger: ReactElement }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const { channel } = props;
  return (
    <ModalForm<{ name: string; remarks: string; enabled: boolean }>
      title={t('health.channelEditTitle', { name: channel.name })}
      width={480}
      trigger={props.trigger}
      modalProps={{ destroyOnHidden: true }}
      initialValues={{
        name: channel.name,
        remarks: channel.remarks ?? '',
        enabled: channel.enabled !== false,
      }}
      onFinish={async (v) => {
        try {
          await api.patch(`/api/admin/channels/${encodeURIComponent(channel.code)}`, {
            name: v.name.trim(),
            remarks: (v.remarks ?? '').trim(),
            enabled: v.enabled,
          });
          message.success(t('health.channelSaved'));
          props.onSaved();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <ProFormText
        name="name"
        label={t('channels.name')}
        rules={[{ required: true, whitespace: true, max: 64 }]}
      />
      <ProFormTextArea
        name="remarks"
        label={t('health.remarks')}
        extra={t('health.remarksHint')}
        fieldProps={{ maxLength: 500, showCount: true, autoSize: { minRows: 2, maxRows: 6 } }}
      />
      <ProFormSwitch
        name="enabled"
        label={t('health.channelEnabled')}
        extra={t('health.channelEnabledHint')}
      />
    </ModalForm>
  );
}
