import { type ProColumns, ProTable } from '@ant-design/pro-components';
import { Flex, Grid, Space, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { OrderStateTag } from '../merchant/OrderStateTag.tsx';
import { dateTime, yuan } from '../shell/format.ts';
import { dayRangeSearch, FiguresCell, remembered, widthOf } from '../shell/listTable.tsx';
import { ORDER_STATES, type OrderState } from '../shell/orderStates.ts';
import { Page } from '../shell/Page.tsx';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useTablePageLoader } from '../shell/tablePage.ts';
import { useApi } from '../shell/useApi.ts';

interface AgentOrder {
  orderNo: string;
  mchOrderNo: string;
  mchNo: string;
  merchantName: string;
  productCode: string;
  productName: string;
  amount: number;
  currency: string;
  state: OrderState;
  test: boolean;
  createdAt: string;
  paidAt: string | null;
  /** This agent's own share; null while the order is unpaid. */
  commission: number | null;
  refundedCommission: number;
}

interface OrderQuery {
  mchNo?: string;
  state?: string;
  from?: string;
  to?: string;
  current?: number;
  pageSize?: number;
}

/** 订单: the orders of the merchants in this agent's subtree, each with this agent's own commission. */
export function AgentOrdersPage() {
  const { t } = useTranslation('agent');
  const load = useTablePageLoader();
  const screens = Grid.useBreakpoint();
  const compact = !screens.md;
  const merchants = useApi<{ items: { mchNo: string; name: string; shortName: string }[] }>(
    '/api/agent/merchants?limit=200',
  );
  const merchantOptions = (merchants.data?.items ?? []).map((m) => ({
    value: m.mchNo,
    label: `${m.shortName || m.name} (${m.mchNo})`,
  }));

  const columns: ProColumns<AgentOrder>[] = [
    {
      title: t('orders.merchant'),
      dataIndex: 'mchNo',
      hideInTable: true,
      valueType: 'select',
      order: 3,
      fieldProps: {
        options: merchantOptions,
        showSearch: true,
        optionFilterProp: 'label',
        placeholder: t('orders.allMerchants'),
      },
    },
    {
      title: t('orders.title'),
      key: 'compact',
      hideInSearch: true,
      hideInTable: !compact,
      render: (_, row) => <CompactRow order={row} />,
    },
    {
      title: t('orders.orderNo'),
      dataIndex: 'orderNo',
      hideInSearch: true,
      hideInTable: compact,
      width: 220,
      render: (_, row) => (
        <TwoLineCell
          secondary={row.mchOrderNo}
          secondaryTip={t('orders.mchOrderNo')}
          time={row.createdAt}
          timeTip={t('orders.createdAt')}
        >
          <Typography.Text className="qy-mono" copyable>
            {row.orderNo}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('orders.merchant'),
      key: 'merchant',
      hideInSearch: true,
      hideInTable: compact,
      width: 200,
      render: (_, row) => (
        <TwoLineCell secondary={row.mchNo}>
          <Typography.Text ellipsis={{ tooltip: row.merchantName }} style={{ maxWidth: 180 }}>
            {row.merchantName || row.mchNo}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('orders.product'),
      dataIndex: 'productCode',
      hideInSearch: true,
      hideInTable: compact,
      width: 170,
      render: (_, row) => (
        <TwoLineCell secondary={row.productCode}>
          <Space size={4}>
            {row.test && <Tag color="purple">{t('orders.test')}</Tag>}
            <span>{row.productName || row.productCode}</span>
          </Space>
        </TwoLineCell>
      ),
    },
    {
      title: t('orders.amount'),
      dataIndex: 'amount',
      hideInSearch: true,
      hideInTable: compact,
      align: 'right',
      width: 120,
      render: (_, row) => <FiguresCell main={yuan(row.amount, row.currency)} />,
    },
    {
      title: t('orders.commission'),
      dataIndex: 'commission',
      hideInSearch: true,
      hideInTable: compact,
      align: 'right',
      width: 140,
      render: (_, row) => <CommissionCell order={row} />,
    },
    {
      title: t('orders.state'),
      dataIndex: 'state',
      width: 170,
      hideInTable: compact,
      valueType: 'select',
      order: 2,
      valueEnum: Object.fromEntries(ORDER_STATES.map((s) => [s, { text: t(`glossary:orderState.${s}`) }])),
      render: (_, row) => (
        <Space direction="vertical" size={2}>
          <span data-cell="state">
            <OrderStateTag state={row.state} />
          </span>
          {row.paidAt && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('orders.paidAtShort', { time: dateTime(row.paidAt) })}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    dayRangeSearch(t('orders.createdRange'), 'createdRange', 1),
  ];

  return (
    <Page title={t('orders.title')} subTitle={screens.md ? t('orders.subtitle') : undefined}>
      <div data-testid="agent-order-table">
        <ProTable<AgentOrder, OrderQuery>
          rowKey="orderNo"
          columns={columns}
          request={(query) =>
            load<AgentOrder>(
              '/api/agent/orders',
              { mchNo: query.mchNo, state: query.state, from: query.from, to: query.to },
              query,
            )
          }
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [10, 20, 50, 100] }}
          search={{ labelWidth: 'auto', defaultCollapsed: compact }}
          form={{ syncToUrl: false }}
          dateFormatter="string"
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          scroll={compact ? undefined : { x: widthOf(columns) }}
          columnsState={remembered('agent.orders')}
          size="middle"
        />
      </div>
    </Page>
  );
}

/** This agent's commission on an order, net of what refunds took back; none until it is paid. */
function CommissionCell({ order }: { order: AgentOrder }) {
  const { t } = useTranslation('agent');
  if (order.commission === null) {
    return (
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('orders.commissionNone')}
      </Typography.Text>
    );
  }
  return (
    <FiguresCell
      main={yuan(order.commission - order.refundedCommission, order.currency)}
      figures={[
        order.refundedCommission > 0 && {
          label: t('orders.refunded'),
          value: yuan(order.refundedCommission, order.currency),
        },
      ]}
    />
  );
}

/** One order as a small card, for phones: amount and state, merchant, commission, number and time. */
function CompactRow({ order }: { order: AgentOrder }) {
  const { t } = useTranslation('agent');
  return (
    <div>
      <Flex justify="space-between" align="center" gap={8}>
        <Typography.Text strong style={{ fontSize: 16 }}>
          {yuan(order.amount, order.currency)}
        </Typography.Text>
        <OrderStateTag state={order.state} />
      </Flex>
      <Flex justify="space-between" gap={8} wrap style={{ marginTop: 2 }}>
        <span>{order.merchantName || order.mchNo}</span>
        {order.commission !== null && (
          <Typography.Text type="secondary">
            {t('orders.commission')} {yuan(order.commission - order.refundedCommission, order.currency)}
          </Typography.Text>
        )}
      </Flex>
      <Flex justify="space-between" gap={8} wrap>
        <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
          {order.orderNo}
        </Typography.Text>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {dateTime(order.createdAt)}
        </Typography.Text>
      </Flex>
    </div>
  );
}
