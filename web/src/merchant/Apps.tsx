import { DownloadOutlined, EditOutlined, FileTextOutlined } from '@ant-design/icons';
import { DrawerForm, ProCard, ProFormRadio, ProFormText } from '@ant-design/pro-components';
import { App, Button, Descriptions, Empty, Grid, Skeleton, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { downloadFromApi, downloadText } from '../shell/download.ts';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { errorText } from '../shell/errors.ts';
import { dateTime } from '../shell/format.ts';
import { urlRule } from '../shell/forms.ts';
import { IpAllowlistField, IpAllowlistTags, ipAllowlistOf } from '../shell/IpAllowlist.tsx';
import { Page } from '../shell/Page.tsx';
import { OldKeyNotice, RotateSecret } from '../shell/RotateSecret.tsx';
import { useApi } from '../shell/useApi.ts';
import { BotPanel } from './BotPanel.tsx';
import { asList, type List, type MerchantAppInfo } from './types.ts';
import { useSubtitle } from './useSubtitle.ts';

type AcceptedSignType = MerchantAppInfo['acceptedSignType'];
const ACCEPTED_SIGN_TYPE_LABELS: Record<AcceptedSignType, string> = {
  both: 'merchant:apps.acceptBoth',
  'HMAC-SHA256': 'merchant:apps.acceptHmac',
  'RSA-SHA256': 'merchant:apps.acceptRsa',
};

/** The merchant API reference, rendered by the server in the reader's language. */
export function merchantApiDocsHref(language: string): string {
  return `/docs/merchant-api?lang=${language.startsWith('en') ? 'en-US' : 'zh-CN'}`;
}

/**
 * 应用与密钥 (managers): the merchant number and AppIDs, notify URL, IP allowlist and the request
 * sign types an app accepts, secret rotation with a grace period, the platform public key.
 */
export function Apps() {
  const { t, i18n } = useTranslation();
  const { data, loading, error, reload } = useApi<List<MerchantAppInfo> | MerchantAppInfo[]>(
    '/api/merchant/apps',
  );
  const apps = asList(data).items;
  const subTitle = useSubtitle(t('merchant:apps.subtitle'));
  return (
    <Page
      title={t('merchant:apps.title')}
      subTitle={subTitle}
      extra={
        <Button
          icon={<FileTextOutlined />}
          href={merchantApiDocsHref(i18n.language)}
          target="_blank"
          rel="noopener noreferrer"
          data-testid="merchant-api-docs"
        >
          {t('merchant:apps.docs')}
        </Button>
      }
    >
      <ErrorAlert error={error} />
      {loading && !data && <Skeleton active paragraph={{ rows: 8 }} />}
      {data && apps.length === 0 && (
        <ProCard>
          <Empty description={t('merchant:apps.empty')} />
        </ProCard>
      )}
      <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="merchant-apps">
        {apps.map((app) => (
          <AppCard key={app.appId} app={app} onChanged={() => void reload()} />
        ))}
        <BotPanel />
      </Space>
    </Page>
  );
}

function AppCard({ app, onChanged }: { app: MerchantAppInfo; onChanged: () => void }) {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const enabled = app.state === 'enabled';
  return (
    <ProCard
      bordered
      headerBordered
      data-testid={`app-${app.appId}`}
      title={
        <Space wrap>
          <span>{app.name}</span>
          <Tag color={enabled ? 'success' : 'default'}>
            {t(enabled ? 'merchant:apps.enabled' : 'merchant:apps.disabled')}
          </Tag>
        </Space>
      }
      extra={
        <Space wrap>
          <EditSettings app={app} onSaved={onChanged} />
          <RotateSecret
            path={`/api/merchant/apps/${encodeURIComponent(app.appId)}/rotate-secret`}
            mchNo={app.mchNo}
            appId={app.appId}
            onRotated={onChanged}
          />
          <DownloadPlatformKey app={app} />
        </Space>
      }
    >
      <Descriptions column={screens.lg ? 2 : 1} size="small" styles={{ label: { width: 140 } }}>
        <Descriptions.Item label={t('common:common.mchNo')}>
          <Typography.Text copyable className="qy-mono" data-testid="app-mch-no">
            {app.mchNo}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:apps.appId')}>
          <Space direction="vertical" size={0}>
            <Typography.Text copyable className="qy-mono" data-testid="app-id">
              {app.appId}
            </Typography.Text>
            <OldKeyNotice expiresAt={app.oldKeyExpiresAt} />
          </Space>
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:apps.signType')}>
          <span className="qy-mono">{app.notifySignType}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:apps.acceptedSignType')}>
          {t(ACCEPTED_SIGN_TYPE_LABELS[app.acceptedSignType ?? 'both'])}
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:apps.notifyUrl')} span={screens.lg ? 2 : 1}>
          {app.notifyUrl ? (
            <Typography.Text copyable className="qy-mono" style={{ wordBreak: 'break-all' }}>
              {app.notifyUrl}
            </Typography.Text>
          ) : (
            <Typography.Text type="secondary">{t('merchant:apps.notSet')}</Typography.Text>
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('common:ipAllowlist.label')} span={screens.lg ? 2 : 1}>
          <IpAllowlistTags list={app.ipAllowlist ?? []} />
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:apps.merchantKey')}>
          {app.hasMerchantPublicKey ? (
            <Tag color="success">{t('merchant:apps.uploaded')}</Tag>
          ) : (
            <Tag>{t('merchant:apps.notUploaded')}</Tag>
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:apps.createdAt')}>{dateTime(app.createdAt)}</Descriptions.Item>
        <Descriptions.Item label={t('glossary:appProtocol.label')}>
          <Tag
            color={(app.protocol ?? 'qingyun') === 'qingyun' ? 'default' : 'purple'}
            data-testid="app-protocol"
          >
            {t(`glossary:appProtocol.${app.protocol ?? 'qingyun'}`)}
          </Tag>
        </Descriptions.Item>
        {app.protocol === 'epay' && app.epayPid && (
          <Descriptions.Item label={t('glossary:appProtocol.epayPid')}>
            <Typography.Text copyable className="qy-mono">
              {app.epayPid}
            </Typography.Text>
          </Descriptions.Item>
        )}
        {app.protocol && app.protocol !== 'qingyun' && (
          <Descriptions.Item label={t('glossary:appProtocol.products')} span={screens.lg ? 2 : 1}>
            {Object.keys(app.protocolProducts ?? {}).length === 0 ? (
              <Typography.Text type="secondary">{t('glossary:appProtocol.none')}</Typography.Text>
            ) : (
              <Space wrap size={[4, 4]}>
                {Object.entries(app.protocolProducts ?? {}).map(([way, product]) => (
                  <Tag key={way} className="qy-mono">
                    {way} → {product}
                  </Tag>
                ))}
              </Space>
            )}
          </Descriptions.Item>
        )}
      </Descriptions>
    </ProCard>
  );
}

interface SettingsForm {
  notifyUrl: string;
  ipAllowlist: string[];
  acceptedSignType: AcceptedSignType;
}

function EditSettings({ app, onSaved }: { app: MerchantAppInfo; onSaved: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  return (
    <DrawerForm<SettingsForm>
      title={`${t('merchant:apps.editSettings')} · ${app.name}`}
      trigger={<Button icon={<EditOutlined />}>{t('merchant:apps.editSettings')}</Button>}
      width={600}
      drawerProps={{ destroyOnHidden: true }}
      initialValues={{
        notifyUrl: app.notifyUrl ?? '',
        ipAllowlist: app.ipAllowlist ?? [],
        acceptedSignType: app.acceptedSignType ?? 'both',
      }}
      onFinish={async (values) => {
        try {
          await api.patch(`/api/merchant/apps/${encodeURIComponent(app.appId)}`, {
            notifyUrl: values.notifyUrl?.trim() ?? '',
            ipAllowlist: ipAllowlistOf(values.ipAllowlist),
            acceptedSignType: values.acceptedSignType,
          });
          message.success(t('merchant:apps.settingsSaved'));
          onSaved();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <ProFormText
        name="notifyUrl"
        label={t('merchant:apps.notifyUrl')}
        extra={t('merchant:apps.notifyUrlHelp')}
        placeholder={t('merchant:apps.notifyUrlPlaceholder')}
        fieldProps={{ maxLength: 512 }}
        rules={[urlRule()]}
      />
      <IpAllowlistField />
      <ProFormRadio.Group
        name="acceptedSignType"
        label={t('merchant:apps.acceptedSignType')}
        extra={t('merchant:apps.acceptedSignTypeHelp')}
        options={(Object.keys(ACCEPTED_SIGN_TYPE_LABELS) as AcceptedSignType[]).map((value) => ({
          value,
          label: t(ACCEPTED_SIGN_TYPE_LABELS[value]),
        }))}
        rules={[
          {
            validator: async (_rule: unknown, value: AcceptedSignType | undefined) => {
              if (value === 'RSA-SHA256' && !app.hasMerchantPublicKey) {
                throw new Error(t('merchant:apps.acceptRsaNeedsKey'));
              }
            },
          },
        ]}
      />
    </DrawerForm>
  );
}

function DownloadPlatformKey({ app }: { app: MerchantAppInfo }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    try {
      const filename = `qingyun-platform-public-key-${app.appId}.pem`;
      if (app.platformPublicKey) downloadText(filename, app.platformPublicKey, 'application/x-pem-file');
      else
        await downloadFromApi(
          `/api/merchant/apps/${encodeURIComponent(app.appId)}/platform-public-key`,
          filename,
        );
      message.success(t('merchant:apps.keyDownloaded'));
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button
      icon={<DownloadOutlined />}
      loading={busy}
      onClick={download}
      title={t('merchant:apps.platformKeyHelp')}
    >
      {t('merchant:apps.downloadKey')}
    </Button>
  );
}
