import {
  ModalForm,
  ProCard,
  ProFormDigit,
  ProFormList,
  ProFormSelect,
  ProFormSwitch,
} from '@ant-design/pro-components';
import { App, Button, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { errorText } from '../../shell/errors.ts';
import { PRIORITY_RANGE, WEIGHT_RANGE } from '../../shell/forms.ts';
import { useApi } from '../../shell/useApi.ts';
import type { ChannelAccount, MerchantDetail, MerchantProductRate } from '../types.ts';
import { HealthBadge, useChannelHealth } from './HealthBadge.tsx';

/** GET /api/admin/merchants/:mchNo/bindings */
interface OwnBinding {
  productCode: string;
  channelAccountId: string;
  accountName: string;
  weight: number;
  priority: number;
  enabled: boolean;
  accountEnabled: boolean;
  testAccount: boolean;
}

interface Row {
  weight: number;
  priority: number;
  enabled: boolean;
  channelAccountId: string;
}

/**
 * 商户专属通道: per product the merchant has, its own binding list (routing uses it instead of the
 * product's), edited as a whole; clearing it gives the product's routing back.
 */
export function MerchantBindingsPanel(props: { merchant: MerchantDetail; writable: boolean }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const { mchNo } = props.merchant;
  const own = useApi<OwnBinding[]>(`/api/admin/merchants/${encodeURIComponent(mchNo)}/bindings`);
  const accounts = useApi<ChannelAccount[]>('/api/admin/channel-accounts');
  const health = useChannelHealth();
  const byProduct = new Map<string, OwnBinding[]>();
  for (const b of own.data ?? []) byProduct.set(b.productCode, [...(byProduct.get(b.productCode) ?? []), b]);

  const save = async (productCode: string, rows: Row[]) => {
    await api.put(
      `/api/admin/merchants/${encodeURIComponent(mchNo)}/bindings/${encodeURIComponent(productCode)}`,
      { bindings: rows },
    );
    await own.reload();
  };

  return (
    <ProCard bordered title={t('health.ownBindings')} style={{ marginTop: 16 }}>
      <Typography.Paragraph type="secondary">{t('health.ownBindingsDesc')}</Typography.Paragraph>
      <ErrorAlert error={own.error} />
      <Table<MerchantProductRate>
        rowKey="productCode"
        size="small"
        pagination={false}
        loading={own.loading && !own.data}
        dataSource={props.merchant.products}
        scroll={{ x: 'max-content' }}
        columns={[
          {
            title: t('health.ownBindingsProduct'),
            dataIndex: 'productName',
            width: 200,
            render: (_, p) => (
              <Space direction="vertical" size={0}>
                <span>{p.productName}</span>
                <Typography.Text type="secondary" className="qy-mono">
                  {p.productCode}
                </Typography.Text>
              </Space>
            ),
          },
          {
            title: t('health.ownBindingsAccounts'),
            key: 'accounts',
            render: (_, p) => {
              const list = byProduct.get(p.productCode);
              if (!list)
                return <Typography.Text type="secondary">{t('health.ownBindingsEmpty')}</Typography.Text>;
              return (
                <Space direction="vertical" size={4}>
                  {list.map((b) => (
                    <Space key={b.channelAccountId} size={6} wrap>
                      <span>{b.accountName}</span>
                      <Typography.Text type="secondary">
                        {b.weight} · {b.priority}
                      </Typography.Text>
                      <HealthBadge health={health.byId.get(b.channelAccountId)} />
                      {(!b.enabled || !b.accountEnabled) && <Tag color="red">{t('health.disabledTag')}</Tag>}
                    </Space>
                  ))}
                </Space>
              );
            },
          },
          ...(props.writable
            ? [
                {
                  title: t('common:actions.more'),
                  key: 'actions',
                  width: 200,
                  render: (_: unknown, p: MerchantProductRate) => {
                    const list = byProduct.get(p.productCode);
                    // Only accounts with a cost for the product can be bound to it.
                    const options = (accounts.data ?? [])
                      .filter((a) => a.rates.some((r) => r.productCode === p.productCode))
                      .map((a) => ({ value: a.id, label: `${a.name}（#${a.id}）` }));
                    return (
                      <Space size={[8, 0]} wrap>
                        <ModalForm<{ rows: Row[] }>
                          title={t('health.ownBindingsEditTitle', { product: p.productName })}
                          width={640}
                          modalProps={{ destroyOnHidden: true }}
                          initialValues={{
                            rows: (list ?? []).map((b) => ({
                              channelAccountId: b.channelAccountId,
                              weight: b.weight,
                              priority: b.priority,
                              enabled: b.enabled,
                            })),
                          }}
                          trigger={
                            <Button type="link" size="small" style={{ padding: 0 }}>
                              {t('health.ownBindingsEdit')}
                            </Button>
                          }
                          onFinish={async (v) => {
                            try {
                              await save(p.productCode, v.rows ?? []);
                              message.success(
                                (v.rows ?? []).length === 0
                                  ? t('health.ownBindingsCleared')
                                  : t('health.ownBindingsSaved'),
                              );
                              return true;
                            } catch (e) {
                              message.error(errorText(e));
                              return false;
                            }
                          }}
                        >
                          <Typography.Paragraph type="secondary">
                            {t('health.ownBindingsNone')}
                          </Typography.Paragraph>
                          <ProFormList<Row>
                            name="rows"
                            creatorButtonProps={{ creatorButtonText: t('health.ownBindingsAdd') }}
                            creatorRecord={{ weight: 100, priority: 0, enabled: true, channelAccountId: '' }}
                            copyIconProps={false}
                          >
                            <Space align="start" wrap>
                              <ProFormSelect
                                name="channelAccountId"
                                label={t('health.account')}
                                options={options}
                                width="sm"
                                rules={[{ required: true, message: t('health.accountRequired') }]}
                              />
                              <ProFormDigit
                                name="weight"
                                label={t('health.weight')}
                                min={WEIGHT_RANGE.min}
                                max={WEIGHT_RANGE.max}
                                fieldProps={{ precision: 0 }}
                                width="xs"
                                rules={[{ required: true }]}
                              />
                              <ProFormDigit
                                name="priority"
                                label={t('health.priority')}
                                min={PRIORITY_RANGE.min}
                                max={PRIORITY_RANGE.max}
                                fieldProps={{ precision: 0 }}
                                width="xs"
                                rules={[{ required: true }]}
                              />
                              <ProFormSwitch name="enabled" label={t('health.enabled')} />
                            </Space>
                          </ProFormList>
                        </ModalForm>
                        {list && (
                          <Popconfirm
                            title={t('health.ownBindingsClear')}
                            onConfirm={async () => {
                              try {
                                await save(p.productCode, []);
                                message.success(t('health.ownBindingsCleared'));
                              } catch (e) {
                                message.error(errorText(e));
                              }
                            }}
                          >
                            <Button type="link" size="small" style={{ padding: 0 }}>
                              {t('health.ownBindingsClear')}
                            </Button>
                          </Popconfirm>
                        )}
                      </Space>
                    );
                  },
                },
              ]
            : []),
        ]}
      />
    </ProCard>
  );
}
