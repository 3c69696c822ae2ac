import { type ProColumns, ProTable } from '@ant-design/pro-components';
import { Grid, Typography } from 'antd';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { dateTime, yuan } from '../shell/format.ts';
import { Page } from '../shell/Page.tsx';
import { RefundSource, RefundStateTag, type RefundView, useRefundStateEnum } from '../shell/refunds.tsx';
import { isRowOpenClick } from '../shell/rowClick.ts';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useTablePageLoader } from '../shell/tablePage.ts';
import { useSubtitle } from './useSubtitle.ts';

interface RefundQuery {
  q?: string;
  state?: string;
  from?: string;
  to?: string;
  current?: number;
  pageSize?: number;
}

/** 退款 (managers): the merchant's refunds by any number, state and day; a row opens its order. */
export function Refunds() {
  const { t } = useTranslation();
  const loadPage = useTablePageLoader();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const compact = !screens.md;
  const stateEnum = useRefundStateEnum();
  const openOrder = (orderNo: string) => navigate(`/merchant/orders?order=${encodeURIComponent(orderNo)}`);

  const columns: ProColumns<RefundView>[] = [
    {
      title: t('common:refund.search'),
      dataIndex: 'q',
      hideInTable: true,
      fieldProps: { placeholder: t('common:refund.searchPlaceholder'), allowClear: true },
      formItemProps: { tooltip: t('common:refund.searchHint') },
      order: 3,
    },
    {
      title: t('common:refund.refundNo'),
      dataIndex: 'refundNo',
      hideInSearch: true,
      fixed: compact ? undefined : 'left',
      width: 210,
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
      hideInSearch: true,
      width: 210,
      responsive: ['md'],
      render: (_, r) => (
        <TwoLineCell secondary={r.mchOrderNo}>
          <Typography.Link className="qy-mono" style={{ fontSize: 13 }} onClick={() => openOrder(r.orderNo)}>
            {r.orderNo}
          </Typography.Link>
        </TwoLineCell>
      ),
    },
    {
      title: t('common:refund.amount'),
      dataIndex: 'amount',
      hideInSearch: true,
      align: 'right',
      width: 110,
      render: (_, r) => <Typography.Text strong>{yuan(r.amount, r.currency)}</Typography.Text>,
    },
    {
      title: t('common:refund.feeRefund'),
      dataIndex: 'feeRefund',
      hideInSearch: true,
      align: 'right',
      width: 110,
      responsive: ['lg'],
      render: (_, r) => yuan(r.feeRefund, r.currency),
    },
    {
      title: t('common:refund.stateTitle'),
      dataIndex: 'state',
      width: 110,
      valueType: 'select',
      valueEnum: stateEnum,
      order: 2,
      render: (_, r) => <RefundStateTag state={r.state} />,
    },
    {
      title: t('common:refund.reason'),
      dataIndex: 'reason',
      hideInSearch: true,
      width: 200,
      responsive: ['md'],
      render: (_, r) => (
        <div>
          <Typography.Text ellipsis={{ tooltip: r.reason }} style={{ maxWidth: 190 }}>
            {r.reason || '-'}
          </Typography.Text>
          {r.state === 'failed' && r.failureMessage && (
            <div>
              <Typography.Text type="danger" style={{ fontSize: 12 }}>
                {r.failureMessage}
              </Typography.Text>
            </div>
          )}
        </div>
      ),
    },
    {
      title: t('common:refund.sourceTitle'),
      dataIndex: 'source',
      hideInSearch: true,
      width: 100,
      responsive: ['lg'],
      render: (_, r) => <RefundSource source={r.source} />,
    },
    {
      title: t('common:refund.createdRange'),
      dataIndex: 'createdRange',
      valueType: 'dateRange',
      hideInTable: true,
      order: 1,
      search: {
        // Platform days (YYYY-MM-DD): the server reads them in its time zone, `to` inclusive.
        transform: (value: [string, string]) => ({
          from: dayjs(value[0]).format('YYYY-MM-DD'),
          to: dayjs(value[1]).format('YYYY-MM-DD'),
        }),
      },
    },
    {
      title: t('common:refund.createdAt'),
      dataIndex: 'createdAt',
      hideInSearch: true,
      width: 170,
      render: (_, r) => dateTime(r.createdAt),
    },
    {
      title: t('common:refund.succeededAt'),
      dataIndex: 'succeededAt',
      hideInSearch: true,
      width: 170,
      responsive: ['xl'],
      render: (_, r) => dateTime(r.succeededAt),
    },
  ];

  const subTitle = useSubtitle(t('merchant:refunds.subtitle'));
  return (
    <Page title={t('merchant:refunds.title')} subTitle={subTitle}>
      <div data-testid="merchant-refund-table">
        <ProTable<RefundView, RefundQuery>
          rowKey="refundNo"
          columns={columns}
          request={(query) =>
            loadPage<RefundView>(
              '/api/merchant/refunds',
              { q: query.q?.trim(), state: query.state, from: query.from, to: query.to },
              query,
            )
          }
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [10, 20, 50, 100] }}
          search={{ labelWidth: 'auto', defaultCollapsed: compact }}
          form={{ syncToUrl: false }}
          dateFormatter="string"
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          scroll={compact ? undefined : { x: 1300 }}
          size="middle"
          rowClassName="qy-row-clickable"
          onRow={(r) => ({
            onClick: (event) => {
              if (isRowOpenClick(event)) openOrder(r.orderNo);
            },
          })}
        />
      </div>
    </Page>
  );
}
