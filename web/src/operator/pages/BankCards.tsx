import { type ActionType, type ProColumns, ProTable } from '@ant-design/pro-components';
import { Alert, App, Popconfirm, Space, Tag, Typography } from 'antd';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { errorText } from '../../shell/errors.ts';
import { RowAction, remembered, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { useCan } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { useApi } from '../../shell/useApi.ts';
import { useRequestError } from '../../shell/useRequestError.ts';
import { fetchFinancePage, OwnerCell, type OwnerFields } from '../finance.tsx';
import { RejectForm } from './Withdrawals.tsx';

interface BankCardRow extends OwnerFields {
  id: string;
  holderName: string;
  accountNoMasked: string;
  bankName: string;
  bankBranch: string | null;
  cardType: string;
  state: 'active' | 'pending_review' | 'rejected';
  createdAt: string;
  reviewReason: string | null;
}

const STATE_COLORS: Record<string, string> = { active: 'green', pending_review: 'gold', rejected: 'red' };

/** 银行卡审核: settlement bank cards a merchant added or changed, while card changes need review. */
export function BankCardsPage() {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const onRequestError = useRequestError();
  const can = useCan();
  const reviewer = can('finance.review');
  const actionRef = useRef<ActionType>(null);
  const rules = useApi<{ cardChangeReview?: boolean }>('/api/admin/settings/withdrawal-rules');
  const reload = () => actionRef.current?.reload();

  const columns: ProColumns<BankCardRow>[] = [
    {
      title: t('glossary:bankCard'),
      dataIndex: 'accountNoMasked',
      search: false,
      fixed: 'left',
      width: 230,
      render: (_, c) => (
        <TwoLineCell secondary={c.accountNoMasked} time={c.createdAt} timeTip={t('bankCards.createdAt')}>
          <Typography.Text ellipsis={{ tooltip: c.bankBranch }} style={{ maxWidth: 218 }}>
            {c.bankName}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('bankCards.holder'),
      dataIndex: 'holderName',
      search: false,
      width: 170,
      render: (_, c) => (
        <TwoLineCell
          secondaryMono={false}
          secondary={t(`glossary:cardType.${c.cardType}`, { defaultValue: c.cardType })}
        >
          {c.holderName}
        </TwoLineCell>
      ),
    },
    {
      title: t('owner.column'),
      dataIndex: 'mchNo',
      search: false,
      width: 200,
      render: (_, c) => <OwnerCell row={c} maxWidth={188} />,
    },
    {
      title: t('bankCards.state'),
      dataIndex: 'state',
      valueType: 'select',
      initialValue: 'pending_review',
      valueEnum: {
        pending_review: { text: t('bankCards.states.pending_review') },
        active: { text: t('bankCards.states.active') },
        rejected: { text: t('bankCards.states.rejected') },
      },
      width: 140,
      render: (_, c) => (
        <Space direction="vertical" size={2}>
          <Tag color={STATE_COLORS[c.state]} bordered={false}>
            {t(`bankCards.states.${c.state}`, { defaultValue: c.state })}
          </Tag>
          {c.reviewReason && (
            <Typography.Text
              type="secondary"
              ellipsis={{ tooltip: c.reviewReason }}
              style={{ fontSize: 12, maxWidth: 128 }}
            >
              {c.reviewReason}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      search: false,
      width: 130,
      hideInTable: !reviewer,
      render: (_, c) =>
        c.state === 'pending_review' ? (
          <Space size={12}>
            <Popconfirm
              title={t('bankCards.approveConfirm')}
              onConfirm={async () => {
                try {
                  await api.post(`/api/admin/bank-cards/${encodeURIComponent(c.id)}/approve`);
                  message.success(t('bankCards.approved'));
                  reload();
                } catch (e) {
                  message.error(errorText(e));
                }
              }}
            >
              <RowAction>{t('bankCards.approve')}</RowAction>
            </Popconfirm>
            <RejectForm
              small
              title={t('bankCards.rejectTitle', { bank: c.bankName, no: c.accountNoMasked })}
              hint={t('bankCards.rejectHint')}
              path={`/api/admin/bank-cards/${encodeURIComponent(c.id)}/reject`}
              done={t('bankCards.rejected')}
              onDone={reload}
            />
          </Space>
        ) : null,
    },
  ];

  return (
    <Page title={t('bankCards.title')} subTitle={t('bankCards.subtitle')}>
      {rules.data && rules.data.cardChangeReview === false && (
        <Alert type="info" showIcon style={{ marginBottom: 16 }} message={t('bankCards.reviewOff')} />
      )}
      <div data-testid="bank-card-table">
        <ProTable<BankCardRow>
          rowKey="id"
          actionRef={actionRef}
          columns={columns}
          cardBordered
          scroll={{ x: widthOf(columns) }}
          columnsState={remembered('operator.bankCards')}
          size="middle"
          search={{
            labelWidth: 'auto',
            defaultCollapsed: false,
            span: { xs: 24, sm: 12, md: 8, lg: 8, xl: 6, xxl: 6 },
          }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [20, 50, 100] }}
          options={{ density: true, setting: true, reload: true, fullScreen: true }}
          onRequestError={onRequestError}
          request={(p) => fetchFinancePage<BankCardRow>('/api/admin/bank-cards', { state: p.state }, p)}
        />
      </div>
    </Page>
  );
}
