import {
  ClockCircleOutlined,
  GlobalOutlined,
  KeyOutlined,
  LinkOutlined,
  SendOutlined,
} from '@ant-design/icons';
import { ProCard, ProForm, ProFormDigit, ProFormText } from '@ant-design/pro-components';
import { App, Button, Form, Image, Skeleton, Space, Tag, Typography, Upload } from 'antd';
import type { ReactNode } from 'react';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { errorText } from '../../shell/errors.ts';
import { type ApiState, useApi } from '../../shell/useApi.ts';
import type { PlatformSettingsView } from '../pages/PaymentConfig.tsx';

type Settings = ApiState<PlatformSettingsView>;

/**
 * 系统设置's platform sections: site name and logo, the merchant notify retry schedule, the session
 * and password policies (each only stricter than the security baseline), and where the withdrawal
 * rules and the holiday calendar live. Every save applies on every node at once and is audited.
 */
export function PlatformSettingsCards() {
  const settings = useApi<PlatformSettingsView>('/api/admin/settings/platform');
  return (
    <>
      <ErrorAlert error={settings.error} />
      <SiteCard settings={settings} />
      <NotifyScheduleCard settings={settings} />
      <SessionPolicyCard settings={settings} />
      <PasswordPolicyCard settings={settings} />
      <LinksCard />
    </>
  );
}

function Card({
  icon,
  title,
  testId,
  children,
}: {
  icon: ReactNode;
  title: string;
  testId: string;
  children: ReactNode;
}) {
  return (
    <ProCard
      bordered
      headerBordered
      title={
        <span>
          <span style={{ marginRight: 8 }}>{icon}</span>
          {title}
        </span>
      }
      style={{ maxWidth: 720, marginTop: 16 }}
      data-testid={testId}
    >
      {children}
    </ProCard>
  );
}

/** Saves through `path`, says `done`, reloads the settings; an error is the console's sentence. */
function useSave(settings: Settings) {
  const { message } = App.useApp();
  return async (path: string, body: unknown, done: string) => {
    try {
      await api.put(path, body);
      message.success(done);
      await settings.reload();
      return true;
    } catch (e) {
      message.error(errorText(e));
      return false;
    }
  };
}

function SiteCard({ settings }: { settings: Settings }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const save = useSave(settings);
  const [form] = Form.useForm<{ name: string }>();
  useEffect(() => {
    if (settings.data) form.setFieldsValue({ name: settings.data.site.name });
  }, [settings.data, form]);
  const data = settings.data;
  return (
    <Card icon={<GlobalOutlined />} title={t('systemConfig.siteTitle')} testId="site-settings">
      <Typography.Paragraph type="secondary">{t('systemConfig.siteDesc')}</Typography.Paragraph>
      {!data ? (
        <Skeleton active />
      ) : (
        <>
          <ProForm<{ name: string }>
            form={form}
            layout="vertical"
            style={{ maxWidth: 400 }}
            submitter={{ resetButtonProps: false, searchConfig: { submitText: t('common:actions.save') } }}
            onFinish={({ name }) => save('/api/admin/settings/site', { name }, t('systemConfig.siteSaved'))}
          >
            <ProFormText
              name="name"
              label={t('systemConfig.siteName')}
              fieldProps={{ maxLength: 32 }}
              rules={[
                { required: true, whitespace: true, message: t('systemConfig.siteNameRule') },
                { pattern: /^[^<>]*$/, message: t('systemConfig.siteNameRule') },
              ]}
            />
          </ProForm>
          <Typography.Text strong>{t('systemConfig.logo')}</Typography.Text>
          <div style={{ margin: '8px 0' }}>
            {data.site.logoUrl ? (
              <Image src={data.site.logoUrl} alt={t('systemConfig.logo')} height={48} preview={false} />
            ) : (
              <Typography.Text type="secondary">{t('systemConfig.logoNone')}</Typography.Text>
            )}
          </div>
          <Space wrap>
            <Upload
              accept="image/png,image/jpeg,image/webp"
              showUploadList={false}
              beforeUpload={(file) => {
                if (file.size > data.bounds.logoMaxKb * 1024) {
                  message.error(t('systemConfig.logoHint', { maxKb: data.bounds.logoMaxKb }));
                  return false;
                }
                const reader = new FileReader();
                reader.onload = () => {
                  const base64 = String(reader.result).split(',')[1] ?? '';
                  void save('/api/admin/settings/site-logo', { logo: base64 }, t('systemConfig.logoSaved'));
                };
                reader.readAsDataURL(file);
                return false;
              }}
            >
              <Button>{t('systemConfig.logoUpload')}</Button>
            </Upload>
            {data.site.logoUrl && (
              <Button
                danger
                onClick={() =>
                  save('/api/admin/settings/site-logo', { logo: null }, t('systemConfig.logoRemoved'))
                }
              >
                {t('systemConfig.logoRemove')}
              </Button>
            )}
            <Typography.Text type="secondary">
              {t('systemConfig.logoHint', { maxKb: data.bounds.logoMaxKb })}
            </Typography.Text>
          </Space>
        </>
      )}
    </Card>
  );
}

/** "0, 15, 30" → [0, 15, 30]; null when a part is not a whole number. */
function parseSchedule(text: string): number[] | null {
  const parts = text
    .split(/[,，\s]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) return null;
  return parts.map(Number);
}

function durationText(t: (key: string, o?: Record<string, unknown>) => string, seconds: number): string {
  if (seconds >= 3_600) return t('systemConfig.hoursShort', { n: Math.round((seconds / 3_600) * 10) / 10 });
  if (seconds >= 60) return t('systemConfig.minutesShort', { n: Math.round(seconds / 60) });
  return t('systemConfig.seconds', { n: seconds });
}

function NotifyScheduleCard({ settings }: { settings: Settings }) {
  const { t } = useTranslation(['operator', 'common']);
  const save = useSave(settings);
  const [form] = Form.useForm<{ schedule: string }>();
  const data = settings.data;
  useEffect(() => {
    if (data) form.setFieldsValue({ schedule: data.notifySchedule.scheduleSeconds.join(', ') });
  }, [data, form]);
  const tt = t as unknown as (key: string, o?: Record<string, unknown>) => string;
  return (
    <Card icon={<SendOutlined />} title={t('systemConfig.notifyTitle')} testId="notify-schedule">
      <Typography.Paragraph type="secondary">{t('systemConfig.notifyDesc')}</Typography.Paragraph>
      {!data ? (
        <Skeleton active />
      ) : (
        <>
          <Space style={{ marginBottom: 12 }} wrap>
            <Tag color={data.notifySchedule.isDefault ? 'default' : 'blue'}>
              {data.notifySchedule.isDefault
                ? t('systemConfig.scheduleDefault')
                : t('systemConfig.scheduleCustom')}
            </Tag>
            <Typography.Text type="secondary">
              {t('systemConfig.attempts', {
                count: data.notifySchedule.scheduleSeconds.length,
                total: durationText(
                  tt,
                  data.notifySchedule.scheduleSeconds.reduce((a, b) => a + b, 0),
                ),
              })}
            </Typography.Text>
          </Space>
          <ProForm<{ schedule: string }>
            form={form}
            layout="vertical"
            style={{ maxWidth: 560 }}
            submitter={{
              resetButtonProps: false,
              searchConfig: { submitText: t('common:actions.save') },
              render: (_, dom) => (
                <Space wrap>
                  {dom}
                  {!data.notifySchedule.isDefault && (
                    <Button
                      onClick={() =>
                        save(
                          '/api/admin/settings/notify-schedule',
                          { scheduleSeconds: null },
                          t('systemConfig.notifySaved'),
                        )
                      }
                    >
                      {t('systemConfig.useDefault')}
                    </Button>
                  )}
                </Space>
              ),
            }}
            onFinish={({ schedule }) =>
              save(
                '/api/admin/settings/notify-schedule',
                { scheduleSeconds: parseSchedule(schedule) },
                t('systemConfig.notifySaved'),
              )
            }
          >
            <ProFormText
              name="schedule"
              label={t('systemConfig.schedule')}
              extra={t('systemConfig.scheduleRule')}
              fieldProps={{ inputMode: 'numeric' }}
              rules={[
                {
                  validator: async (_r, v: string) => {
                    const parsed = parseSchedule(v ?? '');
                    const b = data.bounds.notifySchedule;
                    if (
                      !parsed ||
                      parsed.length > b.attempts[1] ||
                      parsed.some((s) => s > b.waitSeconds[1]) ||
                      parsed.reduce((a, c) => a + c, 0) > b.totalSeconds
                    )
                      throw new Error(t('systemConfig.scheduleRule'));
                  },
                },
              ]}
            />
          </ProForm>
        </>
      )}
    </Card>
  );
}

function rangeRule(t: (key: string, o?: Record<string, unknown>) => string, [min, max]: [number, number]) {
  const message = t('systemConfig.range', { min, max });
  return [
    { required: true, message },
    { type: 'integer' as const, min, max, message },
  ];
}

function SessionPolicyCard({ settings }: { settings: Settings }) {
  const { t } = useTranslation(['operator', 'common']);
  const tt = t as unknown as (key: string, o?: Record<string, unknown>) => string;
  const save = useSave(settings);
  const [form] = Form.useForm<{ idleMinutes: number; maxHours: number }>();
  const data = settings.data;
  useEffect(() => {
    if (data) form.setFieldsValue(data.sessionPolicy);
  }, [data, form]);
  return (
    <Card icon={<ClockCircleOutlined />} title={t('systemConfig.sessionTitle')} testId="session-policy">
      <Typography.Paragraph type="secondary">{t('systemConfig.sessionDesc')}</Typography.Paragraph>
      {!data ? (
        <Skeleton active />
      ) : (
        <ProForm<{ idleMinutes: number; maxHours: number }>
          form={form}
          layout="vertical"
          grid
          rowProps={{ gutter: 16 }}
          submitter={{ resetButtonProps: false, searchConfig: { submitText: t('common:actions.save') } }}
          onFinish={(v) => save('/api/admin/settings/session-policy', v, t('systemConfig.sessionSaved'))}
        >
          <ProFormDigit
            name="idleMinutes"
            label={t('systemConfig.idleMinutes')}
            colProps={{ xs: 24, sm: 12 }}
            fieldProps={{ precision: 0 }}
            extra={t('systemConfig.range', {
              min: data.bounds.sessionPolicy.idleMinutes[0],
              max: data.bounds.sessionPolicy.idleMinutes[1],
            })}
            rules={rangeRule(tt, data.bounds.sessionPolicy.idleMinutes)}
          />
          <ProFormDigit
            name="maxHours"
            label={t('systemConfig.maxHours')}
            colProps={{ xs: 24, sm: 12 }}
            fieldProps={{ precision: 0 }}
            extra={t('systemConfig.range', {
              min: data.bounds.sessionPolicy.maxHours[0],
              max: data.bounds.sessionPolicy.maxHours[1],
            })}
            rules={rangeRule(tt, data.bounds.sessionPolicy.maxHours)}
          />
        </ProForm>
      )}
    </Card>
  );
}

type PasswordPolicy = PlatformSettingsView['passwordPolicy'];

function PasswordPolicyCard({ settings }: { settings: Settings }) {
  const { t } = useTranslation(['operator', 'common']);
  const tt = t as unknown as (key: string, o?: Record<string, unknown>) => string;
  const save = useSave(settings);
  const [form] = Form.useForm<PasswordPolicy>();
  const data = settings.data;
  useEffect(() => {
    if (data) form.setFieldsValue(data.passwordPolicy);
  }, [data, form]);
  const fields = ['operatorMinLength', 'otherMinLength', 'history'] as const;
  return (
    <Card icon={<KeyOutlined />} title={t('systemConfig.passwordTitle')} testId="password-policy">
      <Typography.Paragraph type="secondary">{t('systemConfig.passwordDesc')}</Typography.Paragraph>
      {!data ? (
        <Skeleton active />
      ) : (
        <ProForm<PasswordPolicy>
          form={form}
          layout="vertical"
          grid
          rowProps={{ gutter: 16 }}
          submitter={{ resetButtonProps: false, searchConfig: { submitText: t('common:actions.save') } }}
          onFinish={(v) => save('/api/admin/settings/password-policy', v, t('systemConfig.passwordSaved'))}
        >
          {fields.map((field) => (
            <ProFormDigit
              key={field}
              name={field}
              label={t(`systemConfig.${field}`)}
              colProps={{ xs: 24, sm: 12 }}
              fieldProps={{ precision: 0 }}
              extra={t('systemConfig.range', {
                min: data.bounds.passwordPolicy[field][0],
                max: data.bounds.passwordPolicy[field][1],
              })}
              rules={rangeRule(tt, data.bounds.passwordPolicy[field])}
            />
          ))}
          <ProFormDigit
            name="expiryDays"
            label={t('systemConfig.expiryDays')}
            colProps={{ xs: 24, sm: 12 }}
            fieldProps={{ precision: 0 }}
            extra={t('systemConfig.expiryHint')}
            rules={[
              ...rangeRule(tt, data.bounds.passwordPolicy.expiryDays),
              {
                validator: async (_r: unknown, v: number) => {
                  if (v > 0 && v < data.bounds.passwordPolicy.minExpiryDays)
                    throw new Error(t('systemConfig.expiryHint'));
                },
              },
            ]}
          />
        </ProForm>
      )}
    </Card>
  );
}

function LinksCard() {
  const { t } = useTranslation(['operator', 'common']);
  return (
    <Card icon={<LinkOutlined />} title={t('systemConfig.linksTitle')} testId="settings-links">
      <Typography.Paragraph type="secondary">{t('systemConfig.linksDesc')}</Typography.Paragraph>
      <Space direction="vertical">
        <a href="#finance-rules">{t('systemConfig.withdrawalRules')}</a>
        <Link to="/operator/settlement-calendar">{t('systemConfig.holidayCalendar')}</Link>
      </Space>
      <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
        {t('systemConfig.smtpNote')}
      </Typography.Paragraph>
    </Card>
  );
}
