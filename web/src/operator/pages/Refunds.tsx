import { type ProColumns, ProTable } from '@ant-design/pro-components';
import { Space, Typography } from 'antd';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { dateTime, yuan } from '../../shell/format.ts';
import { Page } from '../../shell/Page.tsx';
import { RefundSource, RefundStateTag, type RefundView, useRefundStateEnum } from '../../shell/refunds.tsx';
import { isRowOpenClick } from '../../shell/rowClick.ts';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { fetchTablePage } from '../../shell/tablePage.ts';
import { useRequestError } from '../../shell/useRequestError.ts';
import { searchMerchants } from '../components.tsx';

/** 退款管理: every refund, searched by any of its numbers; a row opens its order's detail. */
export function RefundsPage() {
  const { t } = useTranslation(['operator', 'common']);
  const onRequestError = useRequestError();
  const navigate = useNavigate();
  const stateEnum = useRefundStateEnum();
  const openOrder = (orderNo: string) => navigate(`/operator/orders?order=${encodeURIComponent(orderNo)}`);

  const columns: ProColumns<RefundView>[] = [
    {
      title: t('common:refund.search'),
      dataIndex: 'q',
      hideInTable: true,
      fieldProps: { placeholder: t('common:refund.searchPlaceholder'), allowClear: true },
      formItemProps: { tooltip: t('common:refund.searchHint') },
    },
    {
      title: t('common:refund.refundNo'),
      dataIndex: 'refundNo',
      search: false,
      fixed: 'left',
      width: 215,
      render: (_, r) => (
        <TwoLineCell secondary={r.mchRefundNo}>
          <Typography.Text className="qy-mono" copyable={{ text: r.refundNo }} style={{ fontSize: 13 }}>
            {r.refundNo}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('common:refund.orderNo'),
      dataIndex: 'orderNo',
      search: false,
      width: 215,
      render: (_, r) => (
        <TwoLineCell secondary={r.mchOrderNo}>
          <Typography.Link className="qy-mono" style={{ fontSize: 13 }} onClick={() => openOrder(r.orderNo)}>
            {r.orderNo}
          </Typography.Link>
        </TwoLineCell>
      ),
    },
    {
      title: t('common:refund.merchant'),
      dataIndex: 'mchNo',
      width: 160,
      valueType: 'select',
      fieldProps: { showSearch: true, filterOption: false },
      debounceTime: 300,
      request: async ({ keyWords }) => searchMerchants(keyWords),
      render: (_, r) => (
        <TwoLineCell secondary={r.merchant?.mchNo}>
          <span>{r.merchant?.name || r.merchant?.mchNo}</span>
        </TwoLineCell>
      ),
    },
    {
      title: t('common:refund.amount'),
      dataIndex: 'amount',
      search: false,
      align: 'right',
      width: 110,
      render: (_, r) => <Typography.Text strong>{yuan(r.amount, r.currency)}</Typography.Text>,
    },
    {
      title: t('common:refund.feeRefund'),
      dataIndex: 'feeRefund',
      search: false,
      align: 'right',
      width: 110,
      render: (_, r) => yuan(r.feeRefund, r.currency),
    },
    {
      title: t('common:refund.stateTitle'),
      dataIndex: 'state',
      width: 110,
      valueType: 'select',
      valueEnum: stateEnum,
      render: (_, r) => <RefundStateTag state={r.state} />,
    },
    {
      title: t('common:refund.reason'),
      dataIndex: 'reason',
      search: false,
      width: 200,
      render: (_, r) => (
        <Space direction="vertical" size={0}>
          <Typography.Text ellipsis={{ tooltip: r.reason }} style={{ maxWidth: 190 }}>
            {r.reason || '-'}
          </Typography.Text>
          {r.state === 'failed' && r.failureMessage && (
            <Typography.Text type="danger" ellipsis={{ tooltip: r.failureMessage }} style={{ fontSize: 12 }}>
              {r.failureMessage}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('common:refund.sourceTitle'),
      dataIndex: 'source',
      search: false,
      width: 100,
      render: (_, r) => <RefundSource source={r.source} />,
    },
    {
      title: t('common:refund.createdRange'),
      dataIndex: 'createdRange',
      valueType: 'dateRange',
      hideInTable: true,
      search: {
        // Platform days (YYYY-MM-DD), `to` inclusive.
        transform: (value: [string, string]) => ({
          from: dayjs(value[0]).format('YYYY-MM-DD'),
          to: dayjs(value[1]).format('YYYY-MM-DD'),
        }),
      },
    },
    {
      title: t('common:refund.createdAt'),
      dataIndex: 'createdAt',
      search: false,
      width: 170,
      render: (_, r) => dateTime(r.createdAt),
    },
    {
      title: t('common:refund.succeededAt'),
      dataIndex: 'succeededAt',
      search: false,
      width: 170,
      render: (_, r) => dateTime(r.succeededAt),
    },
  ];

  return (
    <Page title={t('refunds.title')} subTitle={t('refunds.subtitle')}>
      <div data-testid="refund-table">
        <ProTable<RefundView>
          rowKey="refundNo"
          columns={columns}
          cardBordered
          scroll={{ x: 1600 }}
          size="middle"
          dateFormatter="string"
          search={{
            labelWidth: 'auto',
            defaultCollapsed: false,
            span: { xs: 24, sm: 12, md: 8, lg: 8, xl: 6, xxl: 6 },
          }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [20, 50, 100, 200] }}
          options={{ density: true, setting: true, reload: true, fullScreen: true }}
          onRow={(r) => ({
            onClick: (e) => isRowOpenClick(e) && openOrder(r.orderNo),
            className: 'qy-row-clickable',
          })}
          onRequestError={onRequestError}
          request={(p) =>
            fetchTablePage<RefundView>(
              '/api/admin/refunds',
              { q: p.q?.trim(), state: p.state, mchNo: p.mchNo, from: p.from, to: p.to },
              p,
            )
          }
        />
      </div>
    </Page>
  );
}
