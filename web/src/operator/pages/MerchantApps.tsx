import { DownloadOutlined, PlusOutlined } from '@ant-design/icons';
import {
  DrawerForm,
  type ProColumns,
  ProFormCheckbox,
  ProFormDependency,
  ProFormRadio,
  ProFormText,
  ProFormTextArea,
  ProTable,
} from '@ant-design/pro-components';
import { App, Button, Popconfirm, Space, Tag, Typography } from 'antd';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { downloadFromApi } from '../../shell/download.ts';
import { errorText } from '../../shell/errors.ts';
import { urlRule } from '../../shell/forms.ts';
import { IpAllowlistField, IpAllowlistTags, ipAllowlistOf } from '../../shell/IpAllowlist.tsx';
import { remembered, widthOf } from '../../shell/listTable.tsx';
import { OldKeyNotice, RotateSecret } from '../../shell/RotateSecret.tsx';
import { useSecretDialog } from '../../shell/SecretDialog.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { EnabledBadge } from '../components.tsx';
import { DeleteToBin } from '../DeleteToBin.tsx';
import type { AcceptedSignType, MerchantApp, MerchantDetail, SignType } from '../types.ts';
import { AppProtocolForm, ProtocolTag } from './AppProtocol.tsx';

interface PanelProps {
  merchant: MerchantDetail;
  writable: boolean;
  onChanged: () => void;
}

const SIGN_TYPES: SignType[] = ['HMAC-SHA256', 'RSA-SHA256'];
const ACCEPTED_SIGN_TYPES: { value: AcceptedSignType; label: string }[] = [
  { value: 'both', label: 'apps.acceptBoth' },
  { value: 'HMAC-SHA256', label: 'apps.acceptHmac' },
  { value: 'RSA-SHA256', label: 'apps.acceptRsa' },
];

/** 应用: the merchant's apps, each with its keys, notify URL and IP allowlist. */
export function MerchantAppsPanel({ merchant, writable, onChanged }: PanelProps) {
  const { t } = useTranslation(['operator', 'common', 'glossary']);
  const { message } = App.useApp();
  const setState = async (app: MerchantApp, state: 'enabled' | 'disabled') => {
    try {
      await api.patch(`/api/admin/apps/${app.appId}`, { state });
      message.success(state === 'enabled' ? t('apps.enabledDone') : t('apps.disabledDone'));
      onChanged();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const download = async (app: MerchantApp) => {
    try {
      await downloadFromApi(`/api/admin/apps/${app.appId}/platform-public-key`, `qingyun-${app.appId}.pem`);
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const columns: ProColumns<MerchantApp>[] = [
    {
      title: 'AppID',
      dataIndex: 'appId',
      width: 220,
      render: (_, a) => (
        <TwoLineCell
          secondaryMono={false}
          secondary={a.name}
          time={a.createdAt}
          timeTip={t('merchants.createdAt')}
        >
          <Typography.Text className="qy-mono" copyable>
            {a.appId}
          </Typography.Text>
          <OldKeyNotice expiresAt={a.oldKeyExpiresAt} />
        </TwoLineCell>
      ),
    },
    {
      title: t('apps.state'),
      dataIndex: 'state',
      width: 90,
      render: (_, a) => <EnabledBadge enabled={a.state === 'enabled'} />,
    },
    {
      title: t('apps.notifyUrl'),
      dataIndex: 'notifyUrl',
      width: 200,
      ellipsis: true,
      render: (_, a) =>
        a.notifyUrl ? (
          <Typography.Text copyable>{a.notifyUrl}</Typography.Text>
        ) : (
          <Typography.Text type="secondary">{t('common:common.notSet')}</Typography.Text>
        ),
    },
    {
      title: t('common:ipAllowlist.label'),
      dataIndex: 'ipAllowlist',
      width: 200,
      render: (_, a) => <IpAllowlistTags list={a.ipAllowlist} limit={2} />,
    },
    {
      title: t('apps.acceptedSignType'),
      dataIndex: 'acceptedSignType',
      width: 150,
      render: (_, a) =>
        a.acceptedSignType === 'both' ? (
          <Typography.Text type="secondary">{t('apps.acceptBoth')}</Typography.Text>
        ) : (
          <Tag color="blue">{a.acceptedSignType}</Tag>
        ),
    },
    {
      title: t('apps.signType'),
      dataIndex: 'notifySignType',
      width: 130,
      render: (_, a) => <Tag>{a.notifySignType}</Tag>,
    },
    {
      title: t('glossary:appProtocol.label'),
      dataIndex: 'protocol',
      width: 130,
      render: (_, a) => <ProtocolTag app={a} />,
    },
    {
      title: t('apps.merchantKey'),
      dataIndex: 'hasMerchantPublicKey',
      width: 110,
      render: (_, a) =>
        a.hasMerchantPublicKey ? (
          <Tag color="green">{t('apps.uploaded')}</Tag>
        ) : (
          <Tag>{t('apps.notUploaded')}</Tag>
        ),
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      valueType: 'option',
      width: 300,
      render: (_, a) => (
        <Space size={12} wrap>
          {writable && (
            <AppForm
              merchant={merchant}
              app={a}
              onDone={onChanged}
              trigger={
                <Button type="link" size="small" style={{ padding: 0 }}>
                  {t('apps.configure')}
                </Button>
              }
            />
          )}
          {writable && <AppProtocolForm merchant={merchant} app={a} onDone={onChanged} />}
          {writable && (
            <RotateSecret
              path={`/api/admin/apps/${encodeURIComponent(a.appId)}/rotate-secret`}
              mchNo={merchant.mchNo}
              appId={a.appId}
              onRotated={onChanged}
              buttonProps={{ type: 'link', size: 'small', style: { padding: 0 } }}
            />
          )}
          <Button
            type="link"
            size="small"
            style={{ padding: 0 }}
            icon={<DownloadOutlined />}
            onClick={() => download(a)}
          >
            {t('apps.platformKey')}
          </Button>
          {writable && (
            <Popconfirm
              title={a.state === 'enabled' ? t('apps.disableConfirm') : t('apps.enableConfirm')}
              onConfirm={() => setState(a, a.state === 'enabled' ? 'disabled' : 'enabled')}
            >
              <Button type="link" size="small" danger={a.state === 'enabled'} style={{ padding: 0 }}>
                {a.state === 'enabled' ? t('common:actions.disable') : t('common:actions.enable')}
              </Button>
            </Popconfirm>
          )}
          {writable && (
            <DeleteToBin
              path={`/api/admin/apps/${encodeURIComponent(a.appId)}`}
              name={a.name}
              onDone={onChanged}
            />
          )}
        </Space>
      ),
    },
  ];

  return (
    <ProTable<MerchantApp>
      rowKey="appId"
      headerTitle={t('merchantDetail.apps')}
      columns={columns}
      dataSource={merchant.apps}
      search={false}
      pagination={false}
      cardBordered
      // Wider than a 1280 px screen: it scrolls, and no column is fixed over the others.
      scroll={{ x: widthOf(columns) }}
      columnsState={remembered('operator.merchantApps')}
      options={{ reload: onChanged, density: false, setting: true }}
      toolBarRender={() =>
        writable
          ? [
              <AppForm
                key="create"
                merchant={merchant}
                onDone={onChanged}
                trigger={
                  <Button type="primary" icon={<PlusOutlined />}>
                    {t('apps.create')}
                  </Button>
                }
              />,
            ]
          : []
      }
    />
  );
}

interface AppValues {
  name: string;
  notifyUrl?: string;
  ipAllowlist?: string[];
  notifySignType: SignType;
  acceptedSignType: AcceptedSignType;
  merchantPublicKey?: string;
  removeKey?: boolean;
}

/** Create an app (the secret is shown once) or edit one. */
function AppForm({
  merchant,
  app,
  trigger,
  onDone,
}: {
  merchant: MerchantDetail;
  app?: MerchantApp;
  trigger: ReactElement;
  onDone: () => void;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const secretDialog = useSecretDialog();
  const submit = async (v: AppValues) => {
    const base = {
      name: v.name.trim(),
      notifyUrl: v.notifyUrl?.trim() ?? '',
      ipAllowlist: ipAllowlistOf(v.ipAllowlist),
      notifySignType: v.notifySignType,
      acceptedSignType: v.acceptedSignType,
    };
    const key = v.merchantPublicKey?.trim();
    if (!app) {
      const created = await api.post<{ app?: MerchantApp; appId?: string; secret: string }>(
        `/api/admin/merchants/${merchant.mchNo}/apps`,
        { ...base, notifyUrl: base.notifyUrl || undefined, merchantPublicKey: key || undefined },
      );
      const appId = created.app?.appId ?? created.appId ?? '';
      secretDialog.show({
        title: t('apps.created'),
        description: t('apps.createdHint'),
        rows: [
          { label: t('common:common.mchNo'), value: merchant.mchNo },
          { label: 'AppID', value: appId },
          { label: t('common:common.appSecret'), value: created.secret, secret: true, testId: 'app-secret' },
        ],
      });
    } else {
      await api.patch(`/api/admin/apps/${app.appId}`, {
        ...base,
        ...(key ? { merchantPublicKey: key } : v.removeKey ? { merchantPublicKey: null } : {}),
      });
      message.success(t('common:common.saved'));
    }
    onDone();
  };

  const common = {
    title: app ? t('apps.editTitle', { appId: app.appId }) : t('apps.createTitle', { name: merchant.name }),
    trigger,
    initialValues: app
      ? {
          name: app.name,
          notifyUrl: app.notifyUrl,
          ipAllowlist: app.ipAllowlist,
          notifySignType: app.notifySignType,
          acceptedSignType: app.acceptedSignType,
        }
      : {
          notifySignType: 'HMAC-SHA256' as SignType,
          acceptedSignType: 'both' as AcceptedSignType,
          ipAllowlist: [],
        },
    onFinish: async (v: AppValues) => {
      try {
        await submit(v);
        return true;
      } catch (e) {
        message.error(errorText(e));
        return false;
      }
    },
  };
  const fields = (
    <>
      <ProFormText
        name="name"
        label={t('apps.name')}
        rules={[{ required: true, whitespace: true, max: 64 }]}
      />
      <ProFormText
        name="notifyUrl"
        label={t('apps.notifyUrl')}
        placeholder="https://merchant.example.com/pay/notify"
        extra={t('apps.notifyUrlHint')}
        fieldProps={{ maxLength: 512 }}
        rules={[urlRule()]}
      />
      <IpAllowlistField />
      <ProFormRadio.Group
        name="notifySignType"
        label={t('apps.signType')}
        extra={t('apps.signTypeHint')}
        options={SIGN_TYPES.map((s) => ({ label: s, value: s }))}
      />
      <ProFormTextArea
        name="merchantPublicKey"
        label={t('apps.merchantKey')}
        placeholder={
          app?.hasMerchantPublicKey
            ? t('apps.keyKeep')
            : '-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----'
        }
        extra={t('apps.merchantKeyHint')}
        fieldProps={{ rows: 6, className: 'qy-mono', style: { fontSize: 12 } }}
        rules={[
          { max: 4096 },
          {
            validator: async (_r: unknown, v?: string) => {
              if (v?.trim() && !/-----BEGIN (RSA )?PUBLIC KEY-----/.test(v))
                throw new Error(t('apps.keyInvalid'));
            },
          },
        ]}
      />
      <ProFormDependency name={['merchantPublicKey', 'removeKey']}>
        {({ merchantPublicKey, removeKey }) => {
          // RSA only needs a key: the one typed here, or the uploaded one unless it is being removed.
          const hasKey =
            Boolean(merchantPublicKey?.trim()) || (Boolean(app?.hasMerchantPublicKey) && !removeKey);
          return (
            <ProFormRadio.Group
              name="acceptedSignType"
              label={t('apps.acceptedSignType')}
              extra={t('apps.acceptedSignTypeHint')}
              options={ACCEPTED_SIGN_TYPES.map((o) => ({ value: o.value, label: t(o.label) }))}
              rules={[
                {
                  validator: async (_r: unknown, v?: AcceptedSignType) => {
                    if (v === 'RSA-SHA256' && !hasKey) throw new Error(t('apps.acceptRsaNeedsKey'));
                  },
                },
              ]}
            />
          );
        }}
      </ProFormDependency>
      {app?.hasMerchantPublicKey && (
        <ProFormDependency name={['merchantPublicKey']}>
          {({ merchantPublicKey }) =>
            merchantPublicKey?.trim() ? null : (
              <ProFormCheckbox name="removeKey">{t('apps.removeKey')}</ProFormCheckbox>
            )
          }
        </ProFormDependency>
      )}
    </>
  );
  // Create and edit in the same panel: a drawer, wide enough for the public key.
  return (
    <>
      <DrawerForm<AppValues> {...common} width={600} drawerProps={{ destroyOnHidden: true }}>
        {fields}
      </DrawerForm>
      {secretDialog.holder}
    </>
  );
}
