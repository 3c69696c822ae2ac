import { ProDescriptions } from '@ant-design/pro-components';
import { Button, Result, Skeleton, Space } from 'antd';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams, useSearchParams } from 'react-router';
import { describeError } from '../../shell/errors.ts';
import { dateTime } from '../../shell/format.ts';
import { Page } from '../../shell/Page.tsx';
import { useCan } from '../../shell/session.tsx';
import { useApi } from '../../shell/useApi.ts';
import { MerchantStateTag } from '../components.tsx';
import { MerchantBindingsPanel } from '../health/MerchantBindingsPanel.tsx';
import type { MerchantDetail } from '../types.ts';
import { MerchantAppsPanel } from './MerchantApps.tsx';
import { MerchantNextSteps } from './MerchantNextSteps.tsx';
import { MerchantProductsPanel, MerchantUsersPanel } from './MerchantPanels.tsx';
import { MerchantSettlementPanel } from './MerchantSettlement.tsx';
import { EditMerchantForm, MerchantStateButton, ReviewMerchantForm } from './merchantForms.tsx';

type Tab = 'apps' | 'products' | 'users' | 'settlement';

/** 商户详情 (/operator/merchants/:mchNo): the merchant, its apps and keys, product rates and login users. */
export function MerchantDetailPage() {
  const { t } = useTranslation(['operator', 'common']);
  const { mchNo = '' } = useParams();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const can = useCan();
  const writable = can('merchant.write');
  const { data, error, reload } = useApi<MerchantDetail>(`/api/admin/merchants/${encodeURIComponent(mchNo)}`);
  // The tab is the address's (?tab=), so a link, a reload and the browser's back button agree.
  const tab = (params.get('tab') as Tab | null) || 'apps';
  const openTab = (key: string) => {
    const copy = new URLSearchParams(params);
    copy.set('tab', key);
    setParams(copy, { replace: true });
  };
  const back = () => navigate('/operator/merchants');

  if (error && !data) {
    const { title, detail } = describeError(error);
    return (
      <Page title={mchNo} onBack={back}>
        <Result
          status="warning"
          title={title}
          subTitle={detail}
          extra={<Button onClick={back}>{t('common:actions.back')}</Button>}
        />
      </Page>
    );
  }

  return (
    <Page
      title={data?.name ?? mchNo}
      subTitle={<span className="qy-mono">{mchNo}</span>}
      tags={data ? <MerchantStateTag state={data.state} /> : undefined}
      onBack={back}
      extra={
        data && writable ? (
          <Space>
            {data.state === 'pending' && (
              <ReviewMerchantForm
                merchant={data}
                onDone={reload}
                trigger={<Button type="primary">{t('merchants.review')}</Button>}
              />
            )}
            <EditMerchantForm
              merchant={data}
              onDone={reload}
              trigger={<Button>{t('common:actions.edit')}</Button>}
            />
            <MerchantStateButton merchant={data} onDone={reload} type="default" />
          </Space>
        ) : undefined
      }
      content={
        data ? (
          <ProDescriptions column={{ xs: 1, sm: 2, lg: 3 }} size="small" style={{ marginTop: 8 }}>
            <ProDescriptions.Item label={t('merchants.mchNo')} copyable>
              {data.mchNo}
            </ProDescriptions.Item>
            <ProDescriptions.Item label={t('merchants.shortName')}>
              {data.shortName || '-'}
            </ProDescriptions.Item>
            <ProDescriptions.Item label={t('merchants.contact')}>{data.contact || '-'}</ProDescriptions.Item>
            <ProDescriptions.Item label={t('merchants.state')}>
              <MerchantStateTag state={data.state} />
            </ProDescriptions.Item>
            <ProDescriptions.Item label={t('merchants.reviewRemark')}>
              {data.reviewRemark || '-'}
            </ProDescriptions.Item>
            <ProDescriptions.Item label={t('merchants.createdAt')}>
              {dateTime(data.createdAt)}
            </ProDescriptions.Item>
          </ProDescriptions>
        ) : (
          <Skeleton active paragraph={{ rows: 2 }} />
        )
      }
      tabActiveKey={tab}
      onTabChange={openTab}
      tabList={[
        { key: 'apps', tab: `${t('merchantDetail.apps')}${data ? ` (${data.apps.length})` : ''}` },
        {
          key: 'products',
          tab: `${t('merchantDetail.products')}${data ? ` (${data.products.length})` : ''}`,
        },
        { key: 'users', tab: `${t('merchantDetail.users')}${data?.users ? ` (${data.users.length})` : ''}` },
        ...(can('finance.read') ? [{ key: 'settlement', tab: t('glossary:settlement') }] : []),
      ]}
    >
      {data && <MerchantNextSteps merchant={data} onOpenTab={openTab} />}
      {!data ? (
        <Skeleton active />
      ) : tab === 'apps' ? (
        <MerchantAppsPanel merchant={data} writable={writable} onChanged={reload} />
      ) : tab === 'settlement' && can('finance.read') ? (
        <MerchantSettlementPanel mchNo={data.mchNo} />
      ) : tab === 'products' ? (
        <>
          <MerchantProductsPanel merchant={data} writable={writable} onChanged={reload} />
          {can('catalog.read') && <MerchantBindingsPanel merchant={data} writable={can('catalog.write')} />}
        </>
      ) : (
        <MerchantUsersPanel merchant={data} writable={writable} onChanged={reload} />
      )}
    </Page>
  );
}
