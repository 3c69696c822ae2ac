import { ModalForm, ProCard, ProFormRadio, ProFormText } from '@ant-design/pro-components';
import { Alert, App, Button, Descriptions, Grid, Space, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { BotGroupsTable } from '../../shell/botGroups.tsx';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { urlRule } from '../../shell/forms.ts';
import { Page } from '../../shell/Page.tsx';

interface BotSettings {
  configured: boolean;
  botUsername: string | null;
  apiBaseUrl: string;
  mode: 'polling' | 'webhook';
  webhookState: 'none' | 'set' | 'failed';
  webhookUrl: string;
  updatedAt: string;
}

/** 机器人管理 (OP-11): the Telegram bot's settings (the token write-only) and every bound group. */
export function BotPage() {
  const { t } = useTranslation(['operator', 'common']);
  const [settings, setSettings] = useState<BotSettings | null>(null);
  const [error, setError] = useState<unknown>(null);
  // On a phone each label sits over its value, so long addresses and the command list keep their width.
  const wide = Grid.useBreakpoint().md ?? true;
  const load = useCallback(async () => {
    try {
      setSettings(await api.get<BotSettings>('/api/admin/bot'));
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <Page title={t('bot.title')} subTitle={t('bot.subtitle')}>
      <Space direction="vertical" size={16} style={{ width: '100%' }}>
        <ErrorAlert error={error} />
        <ProCard
          title={t('bot.settings')}
          bordered
          extra={settings && <SettingsForm settings={settings} onSaved={setSettings} />}
        >
          {settings && (
            <>
              {!settings.configured && (
                <Alert
                  type="warning"
                  showIcon
                  message={t('bot.notConfiguredHint')}
                  style={{ marginBottom: 16 }}
                />
              )}
              <Descriptions
                column={{ xs: 1, sm: 1, md: 2 }}
                layout={wide ? 'horizontal' : 'vertical'}
                size="small"
                data-testid="bot-settings"
              >
                <Descriptions.Item label={t('bot.state')}>
                  {settings.configured ? (
                    <Space>
                      <Tag color="green" bordered={false}>
                        {t('bot.configured')}
                      </Tag>
                      {settings.botUsername && (
                        <Typography.Text code>@{settings.botUsername}</Typography.Text>
                      )}
                    </Space>
                  ) : (
                    <Tag bordered={false}>{t('bot.notConfigured')}</Tag>
                  )}
                </Descriptions.Item>
                <Descriptions.Item label={t('bot.apiBaseUrl')}>
                  <Typography.Text className="qy-mono">{settings.apiBaseUrl}</Typography.Text>
                </Descriptions.Item>
                <Descriptions.Item label={t('bot.mode')}>{t(`bot.modes.${settings.mode}`)}</Descriptions.Item>
                {settings.mode === 'webhook' && (
                  <Descriptions.Item label={t('bot.webhookState')}>
                    <Tag color={settings.webhookState === 'set' ? 'green' : 'default'} bordered={false}>
                      {t(`bot.webhookStates.${settings.webhookState}`)}
                    </Tag>
                  </Descriptions.Item>
                )}
                <Descriptions.Item label={t('bot.webhookUrl')}>
                  <Typography.Text className="qy-mono" copyable>
                    {settings.webhookUrl}
                  </Typography.Text>
                </Descriptions.Item>
                <Descriptions.Item label={t('bot.commands')}>
                  <Space direction="vertical" size={0}>
                    {(['balance', 'today', 'order', 'channels', 'help'] as const).map((c) => (
                      <Typography.Text key={c} type="secondary">
                        {t(`bot.commandList.${c}`)}
                      </Typography.Text>
                    ))}
                  </Space>
                </Descriptions.Item>
              </Descriptions>
            </>
          )}
        </ProCard>
        <BotGroupsTable area="operator" botUsername={settings?.botUsername ?? null} />
      </Space>
    </Page>
  );
}

/** 修改设置: a new token (write-only: never shown, empty keeps it), the Bot API address, the mode. */
function SettingsForm({ settings, onSaved }: { settings: BotSettings; onSaved: (s: BotSettings) => void }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  return (
    <ModalForm<{ token?: string; apiBaseUrl: string; mode: BotSettings['mode'] }>
      title={t('bot.settings')}
      width={520}
      modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
      trigger={<Button>{t('bot.editSettings')}</Button>}
      initialValues={{ apiBaseUrl: settings.apiBaseUrl, mode: settings.mode }}
      onFinish={async (v) => {
        setError(null);
        try {
          const token = v.token?.trim();
          const saved = await api.put<BotSettings>('/api/admin/bot', {
            ...(token ? { token } : {}),
            apiBaseUrl: v.apiBaseUrl.trim(),
            mode: v.mode,
          });
          onSaved(saved);
          message.success(t('bot.saved'));
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <ErrorAlert error={error} />
      <ProFormText.Password
        name="token"
        label={t('bot.token')}
        extra={t('bot.tokenHint')}
        placeholder={t('bot.tokenPlaceholder')}
        fieldProps={{ autoComplete: 'new-password', visibilityToggle: false }}
        rules={[
          {
            validator: async (_rule, value: unknown) => {
              const text = String(value ?? '').trim();
              if (text && !/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/.test(text))
                throw new Error(t('bot.tokenFormat'));
            },
          },
        ]}
      />
      <ProFormText
        name="apiBaseUrl"
        label={t('bot.apiBaseUrl')}
        extra={t('bot.apiBaseUrlHint')}
        fieldProps={{ autoComplete: 'off' }}
        rules={[{ required: true, message: t('common:validation.url') }, urlRule()]}
      />
      <ProFormRadio.Group
        name="mode"
        label={t('bot.mode')}
        options={(['polling', 'webhook'] as const).map((m) => ({
          value: m,
          label: t(`bot.modes.${m}`),
        }))}
        extra={
          <>
            <div>{t('bot.modeHints.polling')}</div>
            <div>{t('bot.modeHints.webhook')}</div>
          </>
        }
      />
    </ModalForm>
  );
}
