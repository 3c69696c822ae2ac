import { PlusOutlined } from '@ant-design/icons';
import {
  type ActionType,
  ModalForm,
  type ProColumns,
  ProFormDependency,
  ProFormSwitch,
  ProFormText,
  ProTable,
} from '@ant-design/pro-components';
import { App, Button, Divider, Space, Typography } from 'antd';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api } from '../../api.ts';
import { errorText } from '../../shell/errors.ts';
import { remembered, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { openableRow } from '../../shell/rowClick.ts';
import { useCan } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { fetchTablePage } from '../../shell/tablePage.ts';
import { useRequestError } from '../../shell/useRequestError.ts';
import { MerchantStateTag } from '../components.tsx';
import { DeleteToBin } from '../DeleteToBin.tsx';
import type { Merchant } from '../types.ts';
import {
  EditMerchantForm,
  MerchantBasicFields,
  MerchantStateButton,
  ReviewMerchantForm,
} from './merchantForms.tsx';

/** 商户管理: search, filter by state, open (create), review, edit, enable / disable. */
export function MerchantsPage() {
  const { t } = useTranslation(['operator', 'common']);
  const onRequestError = useRequestError();
  const navigate = useNavigate();
  const can = useCan();
  const actionRef = useRef<ActionType>(null);
  const reload = () => actionRef.current?.reload();
  const writable = can('merchant.write');

  const columns: ProColumns<Merchant>[] = [
    {
      title: t('merchants.keyword'),
      dataIndex: 'q',
      hideInTable: true,
      fieldProps: { placeholder: t('merchants.keywordPlaceholder') },
    },
    {
      title: t('merchants.mchNo'),
      dataIndex: 'mchNo',
      search: false,
      width: 180,
      render: (_, m) => (
        <TwoLineCell time={m.createdAt} timeTip={t('merchants.createdAt')}>
          <Link to={`/operator/merchants/${m.mchNo}`} className="qy-mono">
            {m.mchNo}
          </Link>
        </TwoLineCell>
      ),
    },
    {
      title: t('merchants.name'),
      dataIndex: 'name',
      search: false,
      width: 180,
      render: (_, m) => (
        <Space direction="vertical" size={0}>
          <span>{m.name}</span>
          {m.shortName && m.shortName !== m.name && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {m.shortName}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('merchants.contact'),
      dataIndex: 'contact',
      search: false,
      width: 110,
      ellipsis: true,
      render: (_, m) => m.contact || '-',
    },
    {
      title: t('merchants.state'),
      dataIndex: 'state',
      width: 110,
      valueType: 'select',
      valueEnum: {
        pending: { text: t('merchantState.pending') },
        enabled: { text: t('merchantState.enabled') },
        disabled: { text: t('merchantState.disabled') },
        rejected: { text: t('merchantState.rejected') },
      },
      render: (_, m) => <MerchantStateTag state={m.state} />,
    },
    {
      title: t('merchants.reviewRemark'),
      dataIndex: 'reviewRemark',
      search: false,
      width: 110,
      ellipsis: true,
      render: (_, m) => m.reviewRemark || '-',
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      valueType: 'option',
      width: 220,
      render: (_, m) => (
        <Space size={12} wrap>
          <Link to={`/operator/merchants/${m.mchNo}`}>{t('common:actions.detail')}</Link>
          {writable && m.state === 'pending' && (
            <ReviewMerchantForm
              merchant={m}
              onDone={reload}
              trigger={
                <Button type="link" size="small" style={{ padding: 0 }}>
                  {t('merchants.review')}
                </Button>
              }
            />
          )}
          {writable && (
            <EditMerchantForm
              merchant={m}
              onDone={reload}
              trigger={
                <Button type="link" size="small" style={{ padding: 0 }}>
                  {t('common:actions.edit')}
                </Button>
              }
            />
          )}
          {writable && <MerchantStateButton merchant={m} onDone={reload} />}
          {writable && (
            <DeleteToBin
              path={`/api/admin/merchants/${encodeURIComponent(m.mchNo)}`}
              name={m.name}
              onDone={reload}
            />
          )}
        </Space>
      ),
    },
  ];

  return (
    <Page title={t('merchants.title')} subTitle={t('merchants.subtitle')}>
      <ProTable<Merchant>
        rowKey="mchNo"
        actionRef={actionRef}
        columns={columns}
        cardBordered
        scroll={{ x: widthOf(columns) }}
        columnsState={remembered('operator.merchants')}
        search={{ labelWidth: 'auto', defaultCollapsed: false }}
        pagination={{ defaultPageSize: 20, showSizeChanger: true }}
        options={{ density: false, setting: true, reload: true }}
        onRow={(m) => openableRow(() => navigate(`/operator/merchants/${m.mchNo}`))}
        onRequestError={onRequestError}
        request={(params) =>
          fetchTablePage<Merchant>('/api/admin/merchants', { q: params.q, state: params.state }, params)
        }
        toolBarRender={() =>
          writable
            ? [
                <CreateMerchantForm
                  key="create"
                  onDone={(mchNo) => navigate(`/operator/merchants/${mchNo}`)}
                />,
              ]
            : []
        }
      />
    </Page>
  );
}

interface CreateMerchant {
  name: string;
  shortName?: string;
  contact?: string;
  review: boolean;
  managerUsername?: string;
  managerPassword?: string;
  managerEmail?: string;
}

function CreateMerchantForm({ onDone }: { onDone: (mchNo: string) => void }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  return (
    <ModalForm<CreateMerchant>
      title={t('merchants.createTitle')}
      width={560}
      trigger={
        <Button type="primary" icon={<PlusOutlined />}>
          {t('merchants.create')}
        </Button>
      }
      modalProps={{ destroyOnHidden: true }}
      initialValues={{ review: false }}
      onFinish={async (v) => {
        const username = v.managerUsername?.trim();
        try {
          const merchant = await api.post<Merchant>('/api/admin/merchants', {
            name: v.name.trim(),
            shortName: v.shortName?.trim() || undefined,
            contact: v.contact?.trim() || undefined,
            review: v.review,
            manager: username
              ? { username, password: v.managerPassword, email: v.managerEmail?.trim() || undefined }
              : undefined,
          });
          message.success(t('merchants.created', { mchNo: merchant.mchNo }));
          onDone(merchant.mchNo);
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <MerchantBasicFields />
      <ProFormSwitch
        name="review"
        label={t('merchants.needsReview')}
        extra={t('merchants.needsReviewHint')}
      />
      <Divider orientation="left" plain style={{ marginTop: 0 }}>
        {t('merchants.managerSection')}
      </Divider>
      <ProFormText
        name="managerUsername"
        label={t('merchants.managerUsername')}
        placeholder={t('merchants.managerUsernamePlaceholder')}
        rules={[{ pattern: /^[A-Za-z0-9_.@-]{3,64}$/, message: t('merchants.usernameRule') }]}
      />
      <ProFormDependency name={['managerUsername']}>
        {({ managerUsername }) =>
          managerUsername?.trim() ? (
            <>
              <ProFormText.Password
                name="managerPassword"
                label={t('merchants.managerPassword')}
                extra={t('merchants.managerPasswordHint')}
                fieldProps={{ autoComplete: 'new-password' }}
                rules={[
                  { required: true, message: t('common:security.passwordMin', { min: 8 }) },
                  { min: 8, message: t('common:security.passwordMin', { min: 8 }) },
                ]}
              />
              <ProFormText
                name="managerEmail"
                label={t('merchants.managerEmail')}
                extra={t('merchants.managerEmailHint')}
                rules={[{ type: 'email', message: t('merchants.emailRule') }]}
              />
            </>
          ) : null
        }
      </ProFormDependency>
    </ModalForm>
  );
}
