import {
  DrawerForm,
  ProFormCheckbox,
  ProFormDependency,
  ProFormList,
  ProFormRadio,
  ProFormSelect,
} from '@ant-design/pro-components';
import { Alert, App, Button, Space, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { errorText } from '../../shell/errors.ts';
import { useSecretDialog } from '../../shell/SecretDialog.tsx';
import type { AppProtocol, MerchantApp, MerchantDetail } from '../types.ts';

const PROTOCOLS: AppProtocol[] = ['qingyun', 'jeepay', 'epay'];

/** The pay ways each protocol's merchants send: Jeepay's wayCodes, epay's types. */
const WAYS: Record<Exclude<AppProtocol, 'qingyun'>, string[]> = {
  jeepay: [
    'ALI_QR',
    'ALI_BAR',
    'ALI_WAP',
    'ALI_PC',
    'WX_NATIVE',
    'WX_BAR',
    'WX_H5',
    'WX_JSAPI',
    'QR_CASHIER',
    'AUTO_BAR',
  ],
  epay: ['alipay', 'wxpay', 'qqpay'],
};

interface ProtocolValues {
  protocol: AppProtocol;
  products?: { way?: string; product?: string }[];
  rotateMd5Key?: boolean;
}

/** The app's protocol as a tag (ours shows nothing special). */
export function ProtocolTag({ app }: { app: MerchantApp }) {
  const { t } = useTranslation('glossary');
  const protocol = app.protocol ?? 'qingyun';
  return (
    <Space direction="vertical" size={0}>
      <Tag color={protocol === 'qingyun' ? 'default' : 'purple'}>{t(`appProtocol.${protocol}`)}</Tag>
      {app.epayPid && protocol === 'epay' && (
        <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
          pid {app.epayPid}
        </Typography.Text>
      )}
    </Space>
  );
}

/**
 * 接口协议: which API an app speaks (ours, Jeepay's or epay's), the product each of the protocol's
 * pay ways orders, and the MD5 key, generated on opting in and shown once.
 */
export function AppProtocolForm({
  merchant,
  app,
  onDone,
}: {
  merchant: MerchantDetail;
  app: MerchantApp;
  onDone: () => void;
}) {
  const { t } = useTranslation(['operator', 'glossary', 'common']);
  const { message } = App.useApp();
  const secretDialog = useSecretDialog();
  const current = app.protocol ?? 'qingyun';
  const productOptions = merchant.products.map((p) => ({
    value: p.productCode,
    label: `${p.productName} (${p.productCode})`,
  }));
  const submit = async (v: ProtocolValues) => {
    const products: Record<string, string> = {};
    for (const row of v.products ?? []) {
      if (row.way && row.product) products[row.way.trim()] = row.product;
    }
    const answer = await api.put<{
      app: MerchantApp;
      md5Key: string | null;
    }>(`/api/admin/apps/${encodeURIComponent(app.appId)}/protocol`, {
      protocol: v.protocol,
      products: v.protocol === 'qingyun' ? {} : products,
      rotateMd5Key: Boolean(v.rotateMd5Key),
    });
    if (answer.md5Key) {
      secretDialog.show({
        title: t('apps.md5Issued'),
        description: t('apps.md5IssuedHint'),
        rows: [
          answer.app.protocol === 'epay' && answer.app.epayPid
            ? { label: t('glossary:appProtocol.epayPid'), value: answer.app.epayPid }
            : { label: t('common:common.mchNo'), value: merchant.mchNo },
          { label: 'AppID', value: app.appId },
          { label: t('glossary:appProtocol.md5Key'), value: answer.md5Key, secret: true, testId: 'md5-key' },
        ],
      });
    } else {
      message.success(t('apps.protocolSaved'));
    }
    onDone();
  };
  return (
    <>
      <DrawerForm<ProtocolValues>
        title={t('apps.protocolTitle', { appId: app.appId })}
        width={600}
        drawerProps={{ destroyOnHidden: true }}
        trigger={
          <Button type="link" size="small" style={{ padding: 0 }}>
            {t('apps.protocolAction')}
          </Button>
        }
        initialValues={{
          protocol: current,
          products: Object.entries(app.protocolProducts ?? {}).map(([way, product]) => ({ way, product })),
        }}
        onFinish={async (v) => {
          try {
            await submit(v);
            return true;
          } catch (e) {
            message.error(errorText(e));
            return false;
          }
        }}
      >
        <Alert type="info" showIcon message={t('apps.protocolHint')} style={{ marginBottom: 16 }} />
        <ProFormRadio.Group
          name="protocol"
          label={t('glossary:appProtocol.label')}
          options={PROTOCOLS.map((p) => ({ value: p, label: t(`glossary:appProtocol.${p}`) }))}
        />
        <ProFormDependency name={['protocol']}>
          {({ protocol }: { protocol?: AppProtocol }) =>
            protocol && protocol !== 'qingyun' ? (
              <>
                <Typography.Paragraph type="secondary">{t('apps.protocolProductsHint')}</Typography.Paragraph>
                <ProFormList
                  name="products"
                  label={t('glossary:appProtocol.products')}
                  creatorButtonProps={{ creatorButtonText: t('apps.protocolAddWay') }}
                  rules={[
                    {
                      validator: async (_r: unknown, rows?: { way?: string }[]) => {
                        const ways = (rows ?? []).map((r) => r.way?.trim()).filter(Boolean);
                        if (new Set(ways).size !== ways.length)
                          throw new Error(t('apps.protocolWayRepeated'));
                      },
                    },
                  ]}
                >
                  <Space wrap align="start">
                    <ProFormSelect
                      name="way"
                      placeholder={t('glossary:appProtocol.way')}
                      width={170}
                      fieldProps={{ showSearch: true }}
                      options={WAYS[protocol].map((w) => ({ value: w, label: w }))}
                      rules={[{ required: true, message: t('apps.protocolWayRequired') }]}
                    />
                    <ProFormSelect
                      name="product"
                      placeholder={t('glossary:appProtocol.product')}
                      width={240}
                      options={productOptions}
                      rules={[{ required: true, message: t('apps.protocolProductRequired') }]}
                    />
                  </Space>
                </ProFormList>
                {current !== 'qingyun' && (
                  <ProFormCheckbox name="rotateMd5Key">{t('apps.rotateMd5Key')}</ProFormCheckbox>
                )}
              </>
            ) : null
          }
        </ProFormDependency>
      </DrawerForm>
      {secretDialog.holder}
    </>
  );
}
