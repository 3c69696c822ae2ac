import {
  type ActionType,
  ModalForm,
  ProCard,
  type ProColumns,
  ProFormSelect,
  ProFormText,
  ProTable,
} from '@ant-design/pro-components';
import {
  Alert,
  App,
  Button,
  Checkbox,
  Col,
  Form,
  Grid,
  Input,
  InputNumber,
  Popconfirm,
  Row,
  Select,
  Skeleton,
  Space,
  Switch,
  Tabs,
  Tag,
  TimePicker,
  Typography,
} from 'antd';
import dayjs from 'dayjs';
import { type ChangeEventHandler, type ReactNode, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api, qs } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { errorText } from '../../shell/errors.ts';
import { dateTime } from '../../shell/format.ts';
import { RowAction, remembered, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { fetchTablePage } from '../../shell/tablePage.ts';
import { useApi } from '../../shell/useApi.ts';
import { useRequestError } from '../../shell/useRequestError.ts';

const BASE = '/api/admin/notifications';
const EVENTS = [
  'auth.code',
  'alert.raised',
  'alert.resolved',
  'order.paid',
  'refund.succeeded',
  'merchant.notify_failing',
  'order.large_payment',
  'member.opened',
  'member.split_agreement',
  'test.message',
] as const;
type NotificationEvent = (typeof EVENTS)[number];
const CHANNELS = ['email', 'sms', 'telegram'] as const;
type Channel = (typeof CHANNELS)[number];
type Locale = 'zh' | 'en';
const STATUSES = ['queued', 'sent', 'failed', 'suppressed'] as const;
const STATUS_COLOR = { queued: 'blue', sent: 'green', failed: 'red', suppressed: 'default' } as const;

const TABS = ['providers', 'templates', 'deliveries', 'blacklist', 'quiet'] as const;
type TabKey = (typeof TABS)[number];

/**
 * 通知设置: providers, templates, the delivery log, the blacklist and quiet hours, one tab each (the
 * tab in `?tab=`; a phone chooses the section from a list, where five tabs would not fit).
 */
export function NotificationsPage() {
  const { t } = useTranslation(['operator', 'common']);
  const [params, setParams] = useSearchParams();
  const asked = params.get('tab');
  const tab: TabKey = TABS.includes(asked as TabKey) ? (asked as TabKey) : 'providers';
  const setTab = (key: string) => setParams({ tab: key }, { replace: true });
  const narrow = !Grid.useBreakpoint().md;
  const label = (key: TabKey) => t(`notifications.tabs.${key === 'quiet' ? 'quietHours' : key}`);
  const content: Record<TabKey, ReactNode> = {
    providers: <ProvidersTab />,
    templates: <TemplatesTab />,
    deliveries: <DeliveriesTab />,
    blacklist: <BlacklistTab />,
    quiet: <QuietHoursTab />,
  };
  return (
    <Page title={t('notifications.title')} subTitle={t('notifications.subtitle')}>
      {narrow ? (
        <>
          <Select
            aria-label={t('notifications.title')}
            value={tab}
            onChange={setTab}
            style={{ width: '100%', marginBottom: 16 }}
            options={TABS.map((key) => ({ value: key, label: label(key) }))}
          />
          {content[tab]}
        </>
      ) : (
        <Tabs
          activeKey={tab}
          onChange={setTab}
          destroyOnHidden
          items={TABS.map((key) => ({ key, label: label(key), children: content[key] }))}
        />
      )}
    </Page>
  );
}

// ---------- providers ----------

interface ProvidersView {
  email: {
    mode: 'off' | 'env' | 'smtp' | 'log';
    host: string;
    port: number;
    secure: boolean;
    username: string;
    password: string;
    from: string;
    envHost: string;
  };
  sms: {
    mode: 'off' | 'aliyun' | 'tencent' | 'log';
    signName: string;
    aliyun: { accessKeyId: string; accessKeySecret: string; endpoint: string; regionId: string };
    tencent: { secretId: string; secretKey: string; endpoint: string; region: string; sdkAppId: string };
  };
}

/** A secret the server keeps write-only: shown as set, typed anew to replace it, empty keeps it. */
function SecretInput({
  set,
  ...props
}: {
  set: boolean;
  value?: string;
  onChange?: ChangeEventHandler<HTMLInputElement>;
}) {
  const { t } = useTranslation('operator');
  return (
    <Input.Password
      {...props}
      autoComplete="new-password"
      placeholder={set ? t('notifications.secretSet') : ''}
      visibilityToggle={false}
    />
  );
}

function ProvidersTab() {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const settings = useApi<ProvidersView>(`${BASE}/providers`);
  const [form] = Form.useForm();
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (settings.data) {
      const d = settings.data;
      form.setFieldsValue({
        ...d,
        email: { ...d.email, password: '' },
        sms: {
          ...d.sms,
          aliyun: { ...d.sms.aliyun, accessKeySecret: '' },
          tencent: { ...d.sms.tencent, secretKey: '' },
        },
      });
    }
  }, [settings.data, form]);
  const emailMode = Form.useWatch(['email', 'mode'], form);
  const smsMode = Form.useWatch(['sms', 'mode'], form);
  if (!settings.data) return settings.error ? <ErrorAlert error={settings.error} /> : <Skeleton active />;
  const d = settings.data;
  const keep = (v: string | undefined) => (v ? v : undefined);

  const save = async () => {
    const v = await form.validateFields();
    setSaving(true);
    try {
      const { envHost: _envHost, ...email } = { ...d.email, ...v.email };
      await api.put(`${BASE}/providers`, {
        email: { ...email, port: Number(email.port), password: keep(v.email.password) },
        sms: {
          mode: v.sms.mode,
          signName: v.sms.signName ?? '',
          aliyun: { ...d.sms.aliyun, ...v.sms.aliyun, accessKeySecret: keep(v.sms.aliyun?.accessKeySecret) },
          tencent: { ...d.sms.tencent, ...v.sms.tencent, secretKey: keep(v.sms.tencent?.secretKey) },
        },
      });
      message.success(t('notifications.saved'));
      await settings.reload();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  const modeOptions = <M extends string>(group: 'email' | 'sms', modes: readonly M[]) =>
    modes.map((m) => ({ value: m, label: t(`notifications.${group}.modes.${m}`) }));

  return (
    <Form form={form} layout="vertical" data-testid="notification-providers">
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <ProCard bordered headerBordered title={t('notifications.email.title')}>
            <Form.Item name={['email', 'mode']} label={t('notifications.email.mode')}>
              <Select options={modeOptions('email', ['off', 'env', 'smtp', 'log'] as const)} />
            </Form.Item>
            {emailMode === 'env' && (
              <Typography.Paragraph type="secondary">
                {t('notifications.email.envHost', { host: d.email.envHost || '-' })}
              </Typography.Paragraph>
            )}
            {emailMode === 'smtp' && (
              <>
                <Row gutter={12}>
                  <Col xs={24} sm={16}>
                    <Form.Item
                      name={['email', 'host']}
                      label={t('notifications.email.host')}
                      rules={[{ required: true }]}
                    >
                      <Input />
                    </Form.Item>
                  </Col>
                  <Col xs={24} sm={8}>
                    <Form.Item name={['email', 'port']} label={t('notifications.email.port')}>
                      <InputNumber min={1} max={65535} precision={0} style={{ width: '100%' }} />
                    </Form.Item>
                  </Col>
                </Row>
                <Form.Item name={['email', 'secure']} valuePropName="checked">
                  <Checkbox>{t('notifications.email.secure')}</Checkbox>
                </Form.Item>
                <Form.Item name={['email', 'username']} label={t('notifications.email.username')}>
                  <Input autoComplete="off" />
                </Form.Item>
                <Form.Item
                  name={['email', 'password']}
                  label={t('notifications.email.password')}
                  extra={d.email.password ? t('notifications.secretKeep') : undefined}
                >
                  <SecretInput set={Boolean(d.email.password)} />
                </Form.Item>
                <Form.Item name={['email', 'from']} label={t('notifications.email.from')}>
                  <Input placeholder="Qingyun Pay <no-reply@example.com>" />
                </Form.Item>
              </>
            )}
            {emailMode === 'log' && <Alert type="info" showIcon message={t('notifications.logNotice')} />}
          </ProCard>
        </Col>
        <Col xs={24} xl={12}>
          <ProCard bordered headerBordered title={t('notifications.sms.title')}>
            <Form.Item name={['sms', 'mode']} label={t('notifications.sms.mode')}>
              <Select options={modeOptions('sms', ['off', 'aliyun', 'tencent', 'log'] as const)} />
            </Form.Item>
            {(smsMode === 'aliyun' || smsMode === 'tencent') && (
              <Form.Item name={['sms', 'signName']} label={t('notifications.sms.signName')}>
                <Input maxLength={32} />
              </Form.Item>
            )}
            {smsMode === 'aliyun' && (
              <>
                <Form.Item name={['sms', 'aliyun', 'accessKeyId']} label={t('notifications.sms.accessKeyId')}>
                  <Input autoComplete="off" />
                </Form.Item>
                <Form.Item
                  name={['sms', 'aliyun', 'accessKeySecret']}
                  label={t('notifications.sms.accessKeySecret')}
                  extra={d.sms.aliyun.accessKeySecret ? t('notifications.secretKeep') : undefined}
                >
                  <SecretInput set={Boolean(d.sms.aliyun.accessKeySecret)} />
                </Form.Item>
                <Row gutter={12}>
                  <Col xs={24} sm={16}>
                    <Form.Item name={['sms', 'aliyun', 'endpoint']} label={t('notifications.sms.endpoint')}>
                      <Input />
                    </Form.Item>
                  </Col>
                  <Col xs={24} sm={8}>
                    <Form.Item name={['sms', 'aliyun', 'regionId']} label={t('notifications.sms.regionId')}>
                      <Input />
                    </Form.Item>
                  </Col>
                </Row>
              </>
            )}
            {smsMode === 'tencent' && (
              <>
                <Form.Item name={['sms', 'tencent', 'secretId']} label={t('notifications.sms.secretId')}>
                  <Input autoComplete="off" />
                </Form.Item>
                <Form.Item
                  name={['sms', 'tencent', 'secretKey']}
                  label={t('notifications.sms.secretKey')}
                  extra={d.sms.tencent.secretKey ? t('notifications.secretKeep') : undefined}
                >
                  <SecretInput set={Boolean(d.sms.tencent.secretKey)} />
                </Form.Item>
                <Form.Item name={['sms', 'tencent', 'sdkAppId']} label={t('notifications.sms.sdkAppId')}>
                  <Input />
                </Form.Item>
                <Row gutter={12}>
                  <Col xs={24} sm={16}>
                    <Form.Item name={['sms', 'tencent', 'endpoint']} label={t('notifications.sms.endpoint')}>
                      <Input />
                    </Form.Item>
                  </Col>
                  <Col xs={24} sm={8}>
                    <Form.Item name={['sms', 'tencent', 'region']} label={t('notifications.sms.regionId')}>
                      <Input />
                    </Form.Item>
                  </Col>
                </Row>
              </>
            )}
            {smsMode === 'log' && <Alert type="info" showIcon message={t('notifications.logNotice')} />}
          </ProCard>
        </Col>
      </Row>
      <Space style={{ marginTop: 16 }}>
        <Button type="primary" loading={saving} onClick={save}>
          {t('notifications.save')}
        </Button>
      </Space>
      <TestMessageCard />
    </Form>
  );
}

function TestMessageCard() {
  const { t } = useTranslation('operator');
  const { message } = App.useApp();
  const [channel, setChannel] = useState<Channel>('email');
  const [address, setAddress] = useState('');
  const [locale, setLocale] = useState<Locale>('zh');
  const [busy, setBusy] = useState(false);
  const send = async () => {
    setBusy(true);
    try {
      const r = await api.post<{ status: string; answer: string }>(`${BASE}/test`, {
        channel,
        address,
        locale,
      });
      if (r.status === 'sent') message.success(t('notifications.test.sent'));
      else if (r.status === 'suppressed') message.warning(t('notifications.test.suppressed'));
      else if (r.status === 'failed') message.error(t('notifications.test.failed', { answer: r.answer }));
      else message.info(t('notifications.test.queued'));
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <ProCard bordered headerBordered title={t('notifications.test.title')} style={{ marginTop: 16 }}>
      <Space wrap>
        <Select
          aria-label={t('notifications.test.channel')}
          value={channel}
          onChange={setChannel}
          style={{ width: 120 }}
          options={CHANNELS.map((c) => ({ value: c, label: t(`notifications.channels.${c}`) }))}
        />
        <Input
          aria-label={t('notifications.test.address')}
          placeholder={t('notifications.test.addressHint')}
          value={address}
          onChange={(e) => setAddress(e.target.value)}
          style={{ width: 280, maxWidth: '100%' }}
        />
        <Select
          aria-label={t('notifications.test.locale')}
          value={locale}
          onChange={setLocale}
          style={{ width: 100 }}
          options={(['zh', 'en'] as const).map((l) => ({ value: l, label: t(`notifications.locales.${l}`) }))}
        />
        <Button onClick={send} loading={busy} disabled={!address.trim()}>
          {t('notifications.test.send')}
        </Button>
      </Space>
    </ProCard>
  );
}

// ---------- templates ----------

interface TemplateView {
  event: NotificationEvent;
  locale: Locale;
  subject: string;
  body: string;
  smsTemplateCode: string;
  smsSignName: string;
  customised: boolean;
}

function TemplatesTab() {
  const { t, i18n } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const list = useApi<{ items: TemplateView[]; variables: Record<NotificationEvent, string[]> }>(
    `${BASE}/templates`,
  );
  const [event, setEvent] = useState<NotificationEvent>('auth.code');
  // The template in the language the operator reads first; the other is one choice away.
  const [locale, setLocale] = useState<Locale>(i18n.language.startsWith('en') ? 'en' : 'zh');
  const [form] = Form.useForm<Omit<TemplateView, 'event' | 'locale' | 'customised'>>();
  const current = list.data?.items.find((i) => i.event === event && i.locale === locale);
  useEffect(() => {
    if (current) form.setFieldsValue(current);
  }, [current, form]);
  const subject = Form.useWatch('subject', form) ?? '';
  const body = Form.useWatch('body', form) ?? '';
  const [preview, setPreview] = useState<{ subject: string; text: string } | null>(null);
  const [previewError, setPreviewError] = useState<unknown>(null);
  useEffect(() => {
    if (!body) {
      setPreview(null);
      setPreviewError(null);
      return;
    }
    let live = true;
    const timer = window.setTimeout(async () => {
      try {
        const answer = await api.get<{ subject: string; text: string }>(
          `${BASE}/templates/preview${qs({ event, locale, subject, body })}`,
        );
        if (live) {
          setPreview(answer);
          setPreviewError(null);
        }
      } catch (e) {
        if (live) {
          setPreview(null);
          setPreviewError(e);
        }
      }
    }, 250);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [event, locale, subject, body]);

  if (!list.data) return list.error ? <ErrorAlert error={list.error} /> : <Skeleton active />;
  const variables = list.data.variables[event];
  const insert = (name: string) => form.setFieldValue('body', `${form.getFieldValue('body') ?? ''}{${name}}`);

  const save = async () => {
    const v = await form.validateFields();
    try {
      await api.put(`${BASE}/templates/${event}/${locale}`, {
        subject: v.subject ?? '',
        body: v.body,
        smsTemplateCode: v.smsTemplateCode ?? '',
        smsSignName: v.smsSignName ?? '',
      });
      message.success(t('notifications.saved'));
      await list.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const reset = async () => {
    try {
      await api.del(`${BASE}/templates/${event}/${locale}`);
      message.success(t('notifications.template.resetDone'));
      await list.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  return (
    <Row gutter={[16, 16]} data-testid="notification-templates">
      <Col xs={24} xl={14}>
        <ProCard
          bordered
          headerBordered
          title={
            <Space wrap>
              <Select
                aria-label={t('notifications.template.event')}
                value={event}
                onChange={setEvent}
                style={{ width: 300, maxWidth: '100%' }}
                options={EVENTS.map((e) => ({ value: e, label: t(`notifications.events.${e}`) }))}
                data-testid="template-event"
              />
              <Select
                aria-label={t('notifications.template.locale')}
                value={locale}
                onChange={setLocale}
                style={{ width: 100 }}
                options={(['zh', 'en'] as const).map((l) => ({
                  value: l,
                  label: t(`notifications.locales.${l}`),
                }))}
              />
              {current?.customised ? (
                <Tag color="orange">{t('notifications.template.customised')}</Tag>
              ) : (
                <Tag>{t('notifications.template.default')}</Tag>
              )}
            </Space>
          }
        >
          <Form form={form} layout="vertical">
            <Form.Item name="subject" label={t('notifications.template.subject')}>
              <Input maxLength={200} />
            </Form.Item>
            <Form.Item name="body" label={t('notifications.template.body')} rules={[{ required: true }]}>
              <Input.TextArea rows={4} maxLength={1000} data-testid="template-body" />
            </Form.Item>
            <Typography.Text type="secondary">{t('notifications.template.variables')}</Typography.Text>
            <div style={{ margin: '8px 0 16px' }}>
              <Space wrap size={[4, 4]}>
                {variables.map((v) => (
                  <Button key={v} size="small" onClick={() => insert(v)} className="qy-mono">
                    {`{${v}}`}
                  </Button>
                ))}
              </Space>
            </div>
            <Row gutter={12}>
              <Col xs={24} sm={12}>
                <Form.Item
                  name="smsTemplateCode"
                  label={t('notifications.template.smsTemplateCode')}
                  extra={t('notifications.template.smsTemplateCodeHint')}
                >
                  <Input maxLength={64} />
                </Form.Item>
              </Col>
              <Col xs={24} sm={12}>
                <Form.Item name="smsSignName" label={t('notifications.template.smsSignName')}>
                  <Input maxLength={32} />
                </Form.Item>
              </Col>
            </Row>
            <Space>
              <Button type="primary" onClick={save} disabled={Boolean(previewError)}>
                {t('notifications.save')}
              </Button>
              <Popconfirm title={t('notifications.template.resetConfirm')} onConfirm={reset}>
                <Button disabled={!current?.customised}>{t('notifications.template.reset')}</Button>
              </Popconfirm>
            </Space>
          </Form>
        </ProCard>
      </Col>
      <Col xs={24} xl={10}>
        <ProCard bordered headerBordered title={t('notifications.template.preview')}>
          <div data-testid="template-preview" aria-live="polite">
            {previewError ? (
              <ErrorAlert error={previewError} />
            ) : preview ? (
              <>
                {preview.subject && <Typography.Title level={5}>{preview.subject}</Typography.Title>}
                <Typography.Paragraph style={{ whiteSpace: 'pre-wrap' }}>{preview.text}</Typography.Paragraph>
              </>
            ) : (
              <Typography.Text type="secondary">{t('notifications.template.previewEmpty')}</Typography.Text>
            )}
          </div>
        </ProCard>
      </Col>
    </Row>
  );
}

// ---------- delivery log ----------

interface DeliveryRow {
  id: string;
  event: NotificationEvent;
  channel: Channel;
  address: string;
  locale: Locale;
  urgent: boolean;
  status: (typeof STATUSES)[number];
  subject: string;
  text: string;
  provider: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastAnswer: string;
  note: string;
  createdAt: string;
}

function DeliveriesTab() {
  const { t } = useTranslation(['operator', 'common']);
  const onRequestError = useRequestError();
  const valueEnum = <K extends string>(keys: readonly K[], group: string) =>
    Object.fromEntries(keys.map((k) => [k, { text: t(`notifications.${group}.${k}`) }]));
  const columns: ProColumns<DeliveryRow>[] = [
    {
      title: t('notifications.deliveries.message'),
      dataIndex: 'event',
      valueType: 'select',
      valueEnum: valueEnum(EVENTS, 'events'),
      width: 360,
      render: (_, r) => (
        <TwoLineCell
          time={r.createdAt}
          timeTip={t('notifications.deliveries.createdAt')}
          secondary={r.subject || r.text}
          secondaryMono={false}
          secondaryTip={r.text}
        >
          <Space size={4}>
            <span>{t(`notifications.events.${r.event}`)}</span>
            {r.urgent && <Tag color="volcano">{t('notifications.deliveries.urgent')}</Tag>}
          </Space>
        </TwoLineCell>
      ),
    },
    {
      title: t('notifications.deliveries.recipient'),
      dataIndex: 'channel',
      valueType: 'select',
      valueEnum: valueEnum(CHANNELS, 'channels'),
      width: 220,
      render: (_, r) => (
        <TwoLineCell secondary={t(`notifications.locales.${r.locale}`)} secondaryMono={false}>
          <span>
            {t(`notifications.channels.${r.channel}`)} <span className="qy-mono">{r.address}</span>
          </span>
        </TwoLineCell>
      ),
    },
    {
      title: t('notifications.deliveries.status'),
      dataIndex: 'status',
      valueType: 'select',
      valueEnum: valueEnum(STATUSES, 'statuses'),
      width: 200,
      render: (_, r) => (
        <Space direction="vertical" size={0}>
          <Tag color={STATUS_COLOR[r.status]}>{t(`notifications.statuses.${r.status}`)}</Tag>
          {r.note && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t(`notifications.notes.${r.note}`, { defaultValue: r.note })}
            </Typography.Text>
          )}
          {r.nextAttemptAt && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('notifications.deliveries.nextAttempt', { time: dateTime(r.nextAttemptAt) })}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('notifications.deliveries.answer'),
      dataIndex: 'lastAnswer',
      search: false,
      width: 300,
      render: (_, r) => (
        <Space direction="vertical" size={0}>
          <Typography.Text ellipsis={{ tooltip: r.lastAnswer }} style={{ maxWidth: 280 }}>
            {r.lastAnswer || '-'}
          </Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('notifications.deliveries.attempts')} {r.attempts}
            {r.provider ? ` · ${r.provider}` : ''}
          </Typography.Text>
        </Space>
      ),
    },
  ];
  return (
    <div data-testid="notification-deliveries">
      <ProTable<DeliveryRow>
        rowKey="id"
        columns={columns}
        cardBordered
        scroll={{ x: widthOf(columns) }}
        columnsState={remembered('operator.notifications.deliveries')}
        size="middle"
        search={{
          labelWidth: 'auto',
          defaultCollapsed: false,
          span: { xs: 24, sm: 12, md: 8, lg: 8, xl: 6, xxl: 6 },
        }}
        pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [20, 50, 100] }}
        options={{ density: true, setting: true, reload: true, fullScreen: true }}
        onRequestError={onRequestError}
        request={(p) =>
          fetchTablePage<DeliveryRow>(
            `${BASE}/deliveries`,
            { event: p.event, channel: p.channel, status: p.status },
            p,
          )
        }
      />
    </div>
  );
}

// ---------- blacklist ----------

interface BlacklistRow {
  id: string;
  channel: Channel;
  address: string;
  remark: string;
  createdAt: string;
}

function BlacklistTab() {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const onRequestError = useRequestError();
  const actionRef = useRef<ActionType>(null);
  const reload = () => actionRef.current?.reload();
  const columns: ProColumns<BlacklistRow>[] = [
    {
      title: t('notifications.blacklist.address'),
      dataIndex: 'address',
      width: 320,
      render: (_, r) => (
        <TwoLineCell time={r.createdAt} timeTip={t('notifications.blacklist.createdAt')}>
          <span className="qy-mono">{r.address}</span>
        </TwoLineCell>
      ),
    },
    {
      title: t('notifications.test.channel'),
      dataIndex: 'channel',
      width: 140,
      render: (_, r) => <Tag bordered={false}>{t(`notifications.channels.${r.channel}`)}</Tag>,
    },
    {
      title: t('notifications.blacklist.remark'),
      dataIndex: 'remark',
      width: 360,
      render: (_, r) => r.remark || '-',
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      width: 120,
      render: (_, r) => (
        <Popconfirm
          title={t('notifications.blacklist.removeConfirm', { address: r.address })}
          onConfirm={async () => {
            try {
              await api.del(`${BASE}/blacklist/${r.id}`);
              message.success(t('notifications.blacklist.removed'));
              reload();
            } catch (e) {
              message.error(errorText(e));
            }
          }}
        >
          <RowAction danger>{t('notifications.blacklist.remove')}</RowAction>
        </Popconfirm>
      ),
    },
  ];
  return (
    <div data-testid="notification-blacklist">
      <ProTable<BlacklistRow>
        rowKey="id"
        actionRef={actionRef}
        columns={columns}
        cardBordered
        scroll={{ x: widthOf(columns) }}
        columnsState={remembered('operator.notifications.blacklist')}
        size="middle"
        search={false}
        pagination={false}
        options={{ density: true, setting: true, reload: true, fullScreen: false }}
        toolBarRender={() => [<AddBlacklist key="add" onDone={reload} />]}
        onRequestError={onRequestError}
        request={async () => {
          const { items } = await api.get<{ items: BlacklistRow[] }>(`${BASE}/blacklist`);
          return { data: items, total: items.length, success: true };
        }}
      />
    </div>
  );
}

function AddBlacklist({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation('operator');
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  return (
    <ModalForm<{ channel: Channel; address: string; remark?: string }>
      title={t('notifications.blacklist.addTitle')}
      trigger={<Button type="primary">{t('notifications.blacklist.add')}</Button>}
      modalProps={{ destroyOnHidden: true, onCancel: () => setError(null) }}
      initialValues={{ channel: 'sms' }}
      onFinish={async (v) => {
        try {
          await api.post(`${BASE}/blacklist`, { ...v, remark: v.remark ?? '' });
          message.success(t('notifications.blacklist.added'));
          setError(null);
          onDone();
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <ErrorAlert error={error} />
      <ProFormSelect
        name="channel"
        label={t('notifications.test.channel')}
        options={CHANNELS.map((c) => ({ value: c, label: t(`notifications.channels.${c}`) }))}
        rules={[{ required: true }]}
      />
      <ProFormText
        name="address"
        label={t('notifications.blacklist.address')}
        placeholder={t('notifications.test.addressHint')}
        rules={[{ required: true }]}
      />
      <ProFormText
        name="remark"
        label={t('notifications.blacklist.remark')}
        fieldProps={{ maxLength: 200 }}
      />
    </ModalForm>
  );
}

// ---------- quiet hours and recipients ----------

interface Recipient {
  channel: Channel;
  address: string;
  locale: Locale;
  events: string[];
}

function QuietHoursTab() {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const quiet = useApi<{ enabled: boolean; start: string; end: string }>(`${BASE}/quiet-hours`);
  const people = useApi<{ items: Recipient[]; events: string[] }>(`${BASE}/recipients`);
  const [form] = Form.useForm();
  const [list, setList] = useState<Recipient[]>([]);
  useEffect(() => {
    if (quiet.data)
      form.setFieldsValue({
        enabled: quiet.data.enabled,
        start: dayjs(quiet.data.start, 'HH:mm'),
        end: dayjs(quiet.data.end, 'HH:mm'),
      });
  }, [quiet.data, form]);
  useEffect(() => {
    if (people.data) setList(people.data.items);
  }, [people.data]);
  const operatorEvents = useMemo(() => people.data?.events ?? [], [people.data]);
  if (!quiet.data || !people.data) {
    const error = quiet.error ?? people.error;
    return error ? <ErrorAlert error={error} /> : <Skeleton active />;
  }

  const saveQuiet = async () => {
    const v = await form.validateFields();
    try {
      await api.put(`${BASE}/quiet-hours`, {
        enabled: v.enabled,
        start: v.start.format('HH:mm'),
        end: v.end.format('HH:mm'),
      });
      message.success(t('notifications.saved'));
      await quiet.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const saveRecipients = async () => {
    try {
      await api.put(`${BASE}/recipients`, { items: list });
      message.success(t('notifications.saved'));
      await people.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const update = (i: number, patch: Partial<Recipient>) =>
    setList((l) => l.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <ProCard bordered headerBordered title={t('notifications.quiet.title')} style={{ maxWidth: 720 }}>
        <Typography.Paragraph type="secondary">{t('notifications.quiet.desc')}</Typography.Paragraph>
        <Form form={form} layout="inline" style={{ rowGap: 12 }}>
          <Form.Item name="enabled" valuePropName="checked" label={t('notifications.quiet.enabled')}>
            <Switch />
          </Form.Item>
          <Form.Item name="start" label={t('notifications.quiet.start')} rules={[{ required: true }]}>
            <TimePicker format="HH:mm" minuteStep={5} allowClear={false} />
          </Form.Item>
          <Form.Item
            name="end"
            label={t('notifications.quiet.end')}
            dependencies={['start']}
            rules={[
              { required: true },
              ({ getFieldValue }) => ({
                validator: (_, v) =>
                  v && getFieldValue('start')?.format('HH:mm') === v.format('HH:mm')
                    ? Promise.reject(new Error(t('notifications.quiet.endRule')))
                    : Promise.resolve(),
              }),
            ]}
          >
            <TimePicker format="HH:mm" minuteStep={5} allowClear={false} />
          </Form.Item>
          <Form.Item>
            <Button type="primary" onClick={saveQuiet}>
              {t('notifications.save')}
            </Button>
          </Form.Item>
        </Form>
      </ProCard>
      <ProCard
        bordered
        headerBordered
        title={t('notifications.quiet.recipientsTitle')}
        style={{ maxWidth: 960 }}
      >
        <Typography.Paragraph type="secondary">
          {t('notifications.quiet.recipientsDesc')}
        </Typography.Paragraph>
        <Space direction="vertical" size={12} style={{ width: '100%' }}>
          {list.map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place and have no id of their own
            <Space key={i} wrap align="start">
              <Select
                aria-label={t('notifications.test.channel')}
                value={r.channel}
                onChange={(channel) => update(i, { channel })}
                style={{ width: 110 }}
                options={CHANNELS.map((c) => ({ value: c, label: t(`notifications.channels.${c}`) }))}
              />
              <Input
                aria-label={t('notifications.test.address')}
                placeholder={t('notifications.test.addressHint')}
                value={r.address}
                onChange={(e) => update(i, { address: e.target.value })}
                style={{ width: 240, maxWidth: '100%' }}
              />
              <Select
                aria-label={t('notifications.test.locale')}
                value={r.locale}
                onChange={(locale) => update(i, { locale })}
                style={{ width: 90 }}
                options={(['zh', 'en'] as const).map((l) => ({
                  value: l,
                  label: t(`notifications.locales.${l}`),
                }))}
              />
              <Select
                aria-label={t('notifications.quiet.events')}
                mode="multiple"
                value={r.events}
                onChange={(events) => update(i, { events })}
                style={{ minWidth: 260, maxWidth: '100%' }}
                placeholder={t('notifications.quiet.events')}
                options={operatorEvents.map((e) => ({ value: e, label: t(`notifications.events.${e}`) }))}
              />
              <Button danger onClick={() => setList((l) => l.filter((_, j) => j !== i))}>
                {t('notifications.quiet.remove')}
              </Button>
            </Space>
          ))}
          <Space>
            <Button
              onClick={() =>
                setList((l) => [
                  ...l,
                  { channel: 'email', address: '', locale: 'zh', events: [...operatorEvents] },
                ])
              }
            >
              {t('notifications.quiet.addRecipient')}
            </Button>
            <Button type="primary" onClick={saveRecipients}>
              {t('notifications.save')}
            </Button>
          </Space>
        </Space>
      </ProCard>
    </Space>
  );
}
