import { QrcodeOutlined } from '@ant-design/icons';
import { type ActionType, type ProColumns, ProTable } from '@ant-design/pro-components';
import { App, Button, Flex, Grid, Space, Tag, Typography } from 'antd';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { useCursorPager } from '../shell/cursorPager.tsx';
import { dateTime, yuan } from '../shell/format.ts';
import {
  dayRangeSearch,
  FiguresCell,
  RowAction,
  remembered,
  useNumberSearchRules,
  widthOf,
} from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { openableRow } from '../shell/rowClick.ts';
import { type ExportParams, ServerExportButton } from '../shell/ServerExportButton.tsx';
import { useSession } from '../shell/session.tsx';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useRequestError } from '../shell/useRequestError.ts';
import { createdByName, OrderDrawer, sourceText } from './OrderDrawer.tsx';
import { OrderStateTag } from './OrderStateTag.tsx';
import { confirmClose, syncOrder } from './orderActions.ts';
import { isOpenState, isPaidState, type MerchantOrder, ORDER_STATES } from './types.ts';
import { useSubtitle } from './useSubtitle.ts';

interface OrderQuery {
  q?: string;
  state?: string;
  from?: string;
  to?: string;
}

/** 订单: search by any number, state and date; a cashier gets only its own (the server filters). */
export function Orders() {
  const { t } = useTranslation();
  /** The list's current filters, which its export takes. */
  const filters = useRef<ExportParams>({});
  const app = App.useApp();
  const onRequestError = useRequestError();
  const navigate = useNavigate();
  const { session } = useSession();
  const manager = session?.user.merchantRole === 'manager';
  const [params, setParams] = useSearchParams();
  const openOrderNo = params.get('order');
  const actionRef = useRef<ActionType>(null);
  // Previous / next by cursor: at millions of orders an offset or an exact count is too slow.
  const { load, pager } = useCursorPager(actionRef, [10, 20, 50, 100]);
  const screens = Grid.useBreakpoint();
  const compact = !screens.md;
  const numberRules = useNumberSearchRules();

  const showOrder = (orderNo: string | null) => {
    const next = new URLSearchParams(params);
    if (orderNo) next.set('order', orderNo);
    else next.delete('order');
    setParams(next, { replace: !orderNo });
  };
  const reload = () => actionRef.current?.reload();

  const columns: ProColumns<MerchantOrder>[] = [
    {
      title: t('merchant:orders.search'),
      dataIndex: 'q',
      hideInTable: true,
      fieldProps: { placeholder: t('merchant:orders.searchPlaceholder'), allowClear: true },
      formItemProps: { tooltip: t('merchant:orders.searchHint'), rules: numberRules },
      order: 3,
    },
    {
      title: t('merchant:orders.title'),
      key: 'compact',
      hideInSearch: true,
      hideInTable: !compact,
      render: (_, row) => <CompactRow order={row} />,
    },
    {
      title: t('merchant:orders.orderNo'),
      dataIndex: 'orderNo',
      hideInSearch: true,
      hideInTable: compact,
      fixed: 'left',
      width: 210,
      render: (_, row) => (
        <TwoLineCell
          secondary={row.mchOrderNo}
          secondaryTip={t('merchant:orders.mchOrderNo')}
          time={row.createdAt}
          timeTip={t('merchant:orders.createdAt')}
        >
          <RowAction className="qy-mono" onClick={() => showOrder(row.orderNo)}>
            {row.orderNo}
          </RowAction>
        </TwoLineCell>
      ),
    },
    {
      title: t('merchant:orders.what'),
      dataIndex: 'subject',
      hideInSearch: true,
      hideInTable: compact,
      width: 190,
      render: (_, row) => (
        <TwoLineCell
          secondaryMono={false}
          secondary={[
            row.productName || row.productCode,
            sourceText(t, row),
            manager ? createdByName(row.createdBy) : null,
          ]
            .filter((part) => part && part !== '-')
            .join(' · ')}
        >
          <Space size={4}>
            {row.test && <Tag color="purple">{t('merchant:orders.test')}</Tag>}
            <Typography.Text ellipsis={{ tooltip: row.subject }} style={{ maxWidth: 150 }}>
              {row.subject || '-'}
            </Typography.Text>
          </Space>
        </TwoLineCell>
      ),
    },
    {
      title: t('merchant:orders.figures'),
      dataIndex: 'amount',
      hideInSearch: true,
      hideInTable: compact,
      align: 'right',
      width: 130,
      render: (_, row) => (
        <FiguresCell
          main={yuan(row.amount, row.currency)}
          figures={[
            isPaidState(row.state) && { label: t('merchant:orders.fee'), value: yuan(row.fee, row.currency) },
          ]}
        />
      ),
    },
    {
      title: t('merchant:orders.state'),
      dataIndex: 'state',
      width: 160,
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
              {t('merchant:orders.paidAtShort', { time: dateTime(row.paidAt) })}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    dayRangeSearch(t('merchant:orders.createdRange'), 'createdRange', 1),
    {
      title: t('merchant:orders.actions'),
      key: 'actions',
      valueType: 'option',
      hideInTable: compact,
      width: 210,
      // One wrapping group: in a longer language the actions take two lines, not the next column.
      render: (_, row) => (
        <Space wrap size={[12, 0]}>
          <RowAction onClick={() => showOrder(row.orderNo)}>{t('merchant:orders.detail')}</RowAction>
          {isOpenState(row.state) && (
            <RowAction
              onClick={async () => {
                if (await syncOrder(app, row.orderNo)) reload();
              }}
            >
              {t('merchant:orders.sync')}
            </RowAction>
          )}
          {isOpenState(row.state) && (
            <RowAction
              danger
              onClick={async () => {
                if (await confirmClose(app, row.orderNo)) reload();
              }}
            >
              {t('merchant:orders.close')}
            </RowAction>
          )}
        </Space>
      ),
    },
  ];

  const subTitle = useSubtitle(
    t(manager ? 'merchant:orders.subtitleManager' : 'merchant:orders.subtitleCashier'),
  );
  return (
    <Page
      title={t('merchant:orders.title')}
      subTitle={subTitle}
      extra={
        <Button type="primary" icon={<QrcodeOutlined />} onClick={() => navigate('/merchant/collect')}>
          {t('merchant:dashboard.collectNow')}
        </Button>
      }
    >
      <div data-testid="merchant-order-table">
        <ProTable<MerchantOrder, OrderQuery>
          rowKey="orderNo"
          actionRef={actionRef}
          columns={columns}
          request={async (query) => {
            filters.current = { q: query.q?.trim(), state: query.state, from: query.from, to: query.to };
            try {
              return await load<MerchantOrder>('/api/merchant/orders', { ...filters.current });
            } catch (e) {
              // Shown like any table's failure (the shell handles a 401); the rows go, so none stand
              // under filters they do not match.
              onRequestError(e as Error);
              return { data: [] as MerchantOrder[], total: 0, success: false };
            }
          }}
          toolBarRender={() => [
            <ServerExportButton
              key="export"
              path={'/api/merchant/orders/export'}
              params={() => filters.current}
              testId="orders-export"
            />,
          ]}
          pagination={false}
          search={{ labelWidth: 'auto', defaultCollapsed: compact }}
          // The number search's rule (the last 4+ digits) is checked in the form.
          form={{ syncToUrl: false, ignoreRules: false }}
          dateFormatter="string"
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          scroll={compact ? undefined : { x: widthOf(columns) }}
          columnsState={remembered('merchant.orders')}
          size="middle"
          onRow={(row) => openableRow(() => showOrder(row.orderNo))}
        />
        {pager}
      </div>
      <OrderDrawer orderNo={openOrderNo} onClose={() => showOrder(null)} onChanged={reload} />
    </Page>
  );
}

/** One order as a small card, for phones: amount and state, subject, number and time. */
function CompactRow({ order }: { order: MerchantOrder }) {
  return (
    <div>
      <Flex justify="space-between" align="center" gap={8}>
        <Typography.Text strong style={{ fontSize: 16 }}>
          {yuan(order.amount, order.currency)}
        </Typography.Text>
        <OrderStateTag state={order.state} />
      </Flex>
      <div style={{ marginTop: 2 }}>{order.subject || '-'}</div>
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
