import type { ProColumns } from '@ant-design/pro-components';
import { Space, Typography } from 'antd';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import { dateTime, yuan } from './format.ts';
import { RefundSource, RefundStateTag, type RefundView, useRefundStateEnum } from './refunds.tsx';
import { TwoLineCell } from './TwoLineCell.tsx';

type Breakpoint = 'md' | 'lg' | 'xl';

/**
 * The refund list's columns and search fields, the same in the operator console and the merchant
 * portal. `afterOrder` goes after the order column (the operator's merchant column). The portal,
 * used on phones, passes `compact` on a narrow screen and `hideOnNarrow` to drop the secondary
 * columns there; the console keeps every column and scrolls.
 */
export function useRefundColumns(options: {
  openOrder: (orderNo: string) => void;
  afterOrder?: ProColumns<RefundView>[];
  compact?: boolean;
  hideOnNarrow?: boolean;
}): ProColumns<RefundView>[] {
  const { openOrder, afterOrder = [], compact = false, hideOnNarrow = false } = options;
  const { t } = useTranslation('common');
  const stateEnum = useRefundStateEnum();
  const from = (breakpoint: Breakpoint) => (hideOnNarrow ? { responsive: [breakpoint] } : {});
  return [
    {
      title: t('refund.search'),
      dataIndex: 'q',
      hideInTable: true,
      fieldProps: { placeholder: t('refund.searchPlaceholder'), allowClear: true },
      formItemProps: { tooltip: t('refund.searchHint') },
    },
    {
      title: t('refund.refundNo'),
      dataIndex: 'refundNo',
      search: false,
      fixed: compact ? undefined : 'left',
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
      title: t('refund.orderNo'),
      dataIndex: 'orderNo',
      search: false,
      width: 215,
      ...from('md'),
      render: (_, r) => (
        <TwoLineCell secondary={r.mchOrderNo}>
          <Typography.Link className="qy-mono" style={{ fontSize: 13 }} onClick={() => openOrder(r.orderNo)}>
            {r.orderNo}
          </Typography.Link>
        </TwoLineCell>
      ),
    },
    ...afterOrder,
    {
      title: t('refund.amount'),
      dataIndex: 'amount',
      search: false,
      align: 'right',
      width: 110,
      render: (_, r) => <Typography.Text strong>{yuan(r.amount, r.currency)}</Typography.Text>,
    },
    {
      title: t('refund.feeRefund'),
      dataIndex: 'feeRefund',
      search: false,
      align: 'right',
      width: 110,
      ...from('lg'),
      render: (_, r) => yuan(r.feeRefund, r.currency),
    },
    {
      title: t('refund.stateTitle'),
      dataIndex: 'state',
      width: 110,
      valueType: 'select',
      valueEnum: stateEnum,
      render: (_, r) => <RefundStateTag state={r.state} />,
    },
    {
      title: t('refund.reason'),
      dataIndex: 'reason',
      search: false,
      width: 200,
      ...from('md'),
      render: (_, r) => (
        <Space direction="vertical" size={0}>
          <Typography.Text ellipsis={{ tooltip: r.reason }} style={{ maxWidth: 190 }}>
            {r.reason || '-'}
          </Typography.Text>
          {r.state === 'failed' && r.failureMessage && (
            <Typography.Text type="danger" style={{ fontSize: 12 }}>
              {t('errors:refundFailed')}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('refund.sourceTitle'),
      dataIndex: 'source',
      search: false,
      width: 100,
      ...from('lg'),
      render: (_, r) => <RefundSource source={r.source} />,
    },
    {
      title: t('refund.createdRange'),
      dataIndex: 'createdRange',
      valueType: 'dateRange',
      hideInTable: true,
      search: {
        // Platform days (YYYY-MM-DD): the server reads them in its time zone, `to` inclusive.
        transform: (value: [string, string]) => ({
          from: dayjs(value[0]).format('YYYY-MM-DD'),
          to: dayjs(value[1]).format('YYYY-MM-DD'),
        }),
      },
    },
    {
      title: t('refund.createdAt'),
      dataIndex: 'createdAt',
      search: false,
      width: 170,
      render: (_, r) => dateTime(r.createdAt),
    },
    {
      title: t('refund.succeededAt'),
      dataIndex: 'succeededAt',
      search: false,
      width: 170,
      ...from('xl'),
      render: (_, r) => dateTime(r.succeededAt),
    },
  ];
}
