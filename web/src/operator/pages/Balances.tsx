import { type ProColumns, ProTable } from '@ant-design/pro-components';
import { Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { yuan } from '../../shell/format.ts';
import { remembered, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { openableRow } from '../../shell/rowClick.ts';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { useRequestError } from '../../shell/useRequestError.ts';
import { type BalanceRow, fetchFinancePage, SettlementModeTag } from '../finance.tsx';

/** 商户余额: each merchant's pending, available, frozen and reserved money; a row opens its 结算 tab. */
export function BalancesPage() {
  const { t } = useTranslation(['operator', 'common']);
  const onRequestError = useRequestError();
  const navigate = useNavigate();
  const money = (key: 'pending' | 'available' | 'frozen' | 'reserved'): ProColumns<BalanceRow> => ({
    title: t(`glossary:balance.${key}`),
    dataIndex: key,
    search: false,
    align: 'right',
    width: 140,
    render: (_, b) => (
      <Typography.Text strong={key === 'available'} data-cell={key === 'available' ? 'amount' : undefined}>
        {yuan(b[key], b.currency)}
      </Typography.Text>
    ),
  });
  const columns: ProColumns<BalanceRow>[] = [
    {
      title: t('balances.search'),
      dataIndex: 'q',
      hideInTable: true,
      fieldProps: { placeholder: t('balances.searchPlaceholder'), allowClear: true },
    },
    {
      title: t('glossary:merchant'),
      dataIndex: 'mchNo',
      search: false,
      fixed: 'left',
      width: 220,
      render: (_, b) => (
        <TwoLineCell secondary={b.mchNo}>
          <Typography.Text ellipsis={{ tooltip: b.merchantName }} style={{ maxWidth: 208 }}>
            {b.merchantName || b.mchNo}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('balances.mode'),
      dataIndex: 'mode',
      search: false,
      width: 130,
      render: (_, b) => <SettlementModeTag mode={b.mode} />,
    },
    money('pending'),
    money('available'),
    money('frozen'),
    money('reserved'),
  ];
  const open = (mchNo: string) => navigate(`/operator/merchants/${encodeURIComponent(mchNo)}?tab=settlement`);

  return (
    <Page title={t('balances.title')} subTitle={t('balances.subtitle')}>
      <div data-testid="balance-table">
        <ProTable<BalanceRow>
          rowKey="mchNo"
          columns={columns}
          cardBordered
          scroll={{ x: widthOf(columns) }}
          columnsState={remembered('operator.balances')}
          size="middle"
          search={{
            labelWidth: 'auto',
            defaultCollapsed: false,
            span: { xs: 24, sm: 12, md: 8, lg: 8, xl: 6, xxl: 6 },
          }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [20, 50, 100] }}
          options={{ density: true, setting: true, reload: true, fullScreen: true }}
          onRow={(b) => openableRow(() => open(b.mchNo), `${t('glossary:merchant')} ${b.mchNo}`)}
          onRequestError={onRequestError}
          request={(p) => fetchFinancePage<BalanceRow>('/api/admin/balances', { q: p.q?.trim() }, p)}
        />
      </div>
    </Page>
  );
}
