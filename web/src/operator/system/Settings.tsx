import { DownloadOutlined, SafetyOutlined } from '@ant-design/icons';
import { ProCard, ProForm, ProFormText } from '@ant-design/pro-components';
import { Alert, App, Form, Skeleton, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { errorText } from '../../shell/errors.ts';
import { confirmRule } from '../../shell/forms.ts';
import { Page } from '../../shell/Page.tsx';
import { useCan } from '../../shell/session.tsx';
import { useApi } from '../../shell/useApi.ts';
import { RulesCard, SettlementDefaultsCard } from './FinanceSettings.tsx';
import { HistorySettingsCard } from './HistorySettings.tsx';
import { NumberSettingCard } from './NumberSettingCard.tsx';
import { PlatformSettingsCards } from './PlatformSettings.tsx';
import { RecycleSettingsCard } from './RecycleSettings.tsx';

const MIN_COMPLETION_PASSWORD = 8;
/** The bounds the server holds `exports.maxRows` to (src/exports/settings.ts). */
const MIN_EXPORT_ROWS = 1_000;
const MAX_EXPORT_ROWS = 1_000_000;

/**
 * 系统设置: the completion password (separate from every login password), the export limit, the
 * platform sections (site, notify schedule, session and password policies), and for finance the
 * settlement defaults, withdrawal rules and payout rules (each section as the role may see it).
 */
export function SettingsPage() {
  const { t } = useTranslation(['operator', 'common']);
  const can = useCan();
  return (
    <Page title={t('settings.title')} subTitle={t('settings.subtitle')}>
      {can('settings.write') && (
        <>
          <CompletionPasswordCard />
          <ExportSettingsCard />
          <RecycleSettingsCard />
          <HistorySettingsCard />
          <PlatformSettingsCards />
        </>
      )}
      {can('finance.read') && (
        <>
          <div id="finance-rules" />
          <SettlementDefaultsCard />
          <RulesCard kind="withdrawal" />
          <RulesCard kind="payout" />
        </>
      )}
    </Page>
  );
}

function CompletionPasswordCard() {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const settings = useApi<{ completionPasswordSet: boolean }>('/api/admin/settings');
  const [form] = Form.useForm<{ password: string; confirm: string }>();

  return (
    <>
      <ErrorAlert error={settings.error} />
      <ProCard
        bordered
        headerBordered
        title={
          <span>
            <SafetyOutlined style={{ marginRight: 8 }} />
            {t('settings.completionTitle')}
          </span>
        }
        extra={
          settings.data ? (
            settings.data.completionPasswordSet ? (
              <Tag color="green">{t('common:common.set')}</Tag>
            ) : (
              <Tag color="orange">{t('common:common.notSet')}</Tag>
            )
          ) : null
        }
        style={{ maxWidth: 720 }}
      >
        <Typography.Paragraph type="secondary">{t('settings.completionDesc')}</Typography.Paragraph>
        {!settings.data && settings.loading ? (
          <Skeleton active />
        ) : (
          <>
            {settings.data && !settings.data.completionPasswordSet && (
              <Alert
                type="warning"
                showIcon
                style={{ marginBottom: 16 }}
                message={t('settings.notSetWarning')}
              />
            )}
            <ProForm<{ password: string; confirm: string }>
              form={form}
              layout="vertical"
              style={{ maxWidth: 400 }}
              submitter={{
                searchConfig: {
                  submitText: settings.data?.completionPasswordSet ? t('settings.change') : t('settings.set'),
                },
                resetButtonProps: false,
              }}
              onFinish={async ({ password }) => {
                try {
                  await api.put('/api/admin/settings/completion-password', { password });
                  message.success(t('settings.saved'));
                  form.resetFields();
                  await settings.reload();
                  return true;
                } catch (e) {
                  message.error(errorText(e));
                  return false;
                }
              }}
            >
              <ProFormText.Password
                name="password"
                label={t('settings.newPassword')}
                fieldProps={{ autoComplete: 'new-password' }}
                rules={[
                  {
                    required: true,
                    message: t('common:security.passwordMin', { min: MIN_COMPLETION_PASSWORD }),
                  },
                  {
                    min: MIN_COMPLETION_PASSWORD,
                    message: t('common:security.passwordMin', { min: MIN_COMPLETION_PASSWORD }),
                  },
                ]}
              />
              <ProFormText.Password
                name="confirm"
                label={t('settings.confirmPassword')}
                dependencies={['password']}
                fieldProps={{ autoComplete: 'new-password' }}
                rules={[
                  { required: true, message: t('common:security.passwordMismatch') },
                  confirmRule('password'),
                ]}
              />
            </ProForm>
          </>
        )}
      </ProCard>
    </>
  );
}

/** 导出: the most rows one export may hold (the platform's `exports.maxRows`, audited on change). */
function ExportSettingsCard() {
  const { t } = useTranslation('operator');
  const rule = t('settings.maxRowsRule', {
    min: MIN_EXPORT_ROWS.toLocaleString(),
    max: MAX_EXPORT_ROWS.toLocaleString(),
  });
  return (
    <NumberSettingCard
      path="/api/admin/settings/exports"
      field="maxRows"
      icon={<DownloadOutlined />}
      title={t('settings.exportsTitle')}
      description={t('settings.exportsDesc')}
      label={t('settings.maxRows')}
      min={MIN_EXPORT_ROWS}
      max={MAX_EXPORT_ROWS}
      step={1_000}
      rule={rule}
      saved={t('settings.exportsSaved')}
      testId="export-settings"
    />
  );
}
