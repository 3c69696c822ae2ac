import type { ProColumns } from '@ant-design/pro-components';
import { Space, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { dateTime, yuan } from './format.ts';
import { dayRangeSearch, FiguresCell, RowAction, useNumberSearchRules } from './listTable.tsx';
import { RefundSource, RefundStateTag, type RefundView, useRefundStateEnum } from './refunds.tsx';
import { TwoLineCell } from './TwoLineCell.tsx';

type Breakpoint = 'md' | 'lg' | 'xl';

/**
 * The refund list's columns and search fields, the same in the operator console and the merchant
 * portal, in the consoles' table pattern (listTable.tsx): the refund's numbers over its created
 * time, its order's numbers (and `orderLine`, the operator's merchant), the amount with the fee
 * given back, the state with its source and outcome time, the reason. `searchOnly` adds search
 * fields (the operator's merchant). The portal, used on phones, passes `compact` on a narrow screen
 * and `hideOnNarrow` to drop the secondary columns there; at 1280 px every column fits.
 */
export function useRefundColumns(options: {
  openOrder: (orderNo: string) => void;
  orderLine?: (refund: RefundView) => ReactNode;
  searchOnly?: ProColumns<RefundView>[];
  compact?: boolean;
  hideOnNarrow?: boolean;
}): ProColumns<RefundView>[] {
  const { openOrder, orderLine, searchOnly = [], compact = false, hideOnNarrow = false } = options;
  const { t } = useTranslation('common');
  const stateEnum = useRefundStateEnum();
  const numberRules = useNumberSearchRules();
  const from = (breakpoint: Breakpoint) => (hideOnNarrow ? { responsive: [breakpoint] } : {});
  return [
    {
      title: t('refund.search'),
      dataIndex: 'q',
      hideInTable: true,
      fieldProps: { placeholder: t('refund.searchPlaceholder'), allowClear: true },
      formItemProps: { tooltip: t('refund.searchHint'), rules: numberRules },
    },
    {
      title: t('refund.refundNo'),
      dataIndex: 'refundNo',
      search: false,
      fixed: compact ? undefined : 'left',
      width: 205,
      render: (_, r) => (
        <TwoLineCell
          secondary={r.mchRefundNo}
          secondaryTip={t('refund.mchRefundNo')}
          time={r.createdAt}
          timeTip={t('refund.createdAt')}
        >
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
      width: 205,
      ...from('md'),
      render: (_, r) => (
        <Space direction="vertical" size={0}>
          <TwoLineCell secondary={r.mchOrderNo} secondaryTip={t('refund.mchOrderNo')}>
            <RowAction className="qy-mono" style={{ fontSize: 13 }} onClick={() => openOrder(r.orderNo)}>
              {r.orderNo}
            </RowAction>
          </TwoLineCell>
          {orderLine?.(r)}
        </Space>
      ),
    },
    ...searchOnly.map((c) => ({ ...c, hideInTable: true })),
    {
      title: t('refund.amount'),
      dataIndex: 'amount',
      search: false,
      align: 'right',
      width: 125,
      render: (_, r) => (
        <FiguresCell
          main={yuan(r.amount, r.currency)}
          figures={[{ label: t('refund.feeRefund'), value: yuan(r.feeRefund, r.currency) }]}
        />
      ),
    },
    {
      title: t('refund.stateTitle'),
      dataIndex: 'state',
      width: 150,
      valueType: 'select',
      valueEnum: stateEnum,
      render: (_, r) => (
        <Space direction="vertical" size={2}>
          <span data-cell="state">
            <RefundStateTag state={r.state} />
          </span>
          {r.succeededAt && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('refund.succeededAtShort', { time: dateTime(r.succeededAt) })}
            </Typography.Text>
          )}
          {r.failedAt && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('refund.failedAtShort', { time: dateTime(r.failedAt) })}
            </Typography.Text>
          )}
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            <RefundSource source={r.source} />
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('refund.reason'),
      dataIndex: 'reason',
      search: false,
      width: 160,
      ...from('md'),
      render: (_, r) => (
        <Space direction="vertical" size={0}>
          <Typography.Text ellipsis={{ tooltip: r.reason }} style={{ maxWidth: 150 }}>
            {r.reason || '-'}
          </Typography.Text>
          {r.state === 'failed' && r.failureMessage && (
            <Typography.Text
              type="danger"
              ellipsis={{ tooltip: t('errors:refundFailed') }}
              style={{ fontSize: 12, maxWidth: 150 }}
            >
              {t('errors:refundFailed')}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    dayRangeSearch(t('refund.createdRange'), 'createdRange'),
  ];
}
