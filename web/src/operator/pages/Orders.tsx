import { type ActionType, type ProColumns, ProTable } from '@ant-design/pro-components';
import { Space, Switch, Tag, Tooltip, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api } from '../../api.ts';
import { useCursorPager } from '../../shell/cursorPager.tsx';
import { dateTime, percentFromPpm, time, yuan } from '../../shell/format.ts';
import { FiguresCell, remembered, useNumberSearchRules, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { openableRow } from '../../shell/rowClick.ts';
import { type ExportParams, ServerExportButton } from '../../shell/ServerExportButton.tsx';
import { useCan } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { useRequestError } from '../../shell/useRequestError.ts';
import { alertsChanged } from '../alerts/AlertBadge.tsx';
import { NoteAction } from '../alerts/parts.tsx';
import {
  NotifyStateBadge,
  OrderStateTag,
  ProfitText,
  searchMerchants,
  useOrderStateEnum,
} from '../components.tsx';
import type { ChannelAccount, OrderRow, Product } from '../types.ts';
import { MAX_BATCH_SELECTION, OrderBatchBar } from './OrderBatch.tsx';
import { OrderDetailDrawer } from './OrderDetail.tsx';

const LIVE_MS = 5000;

/** 订单管理: every order with its rates, cost and profit; live refresh; any-number search; detail drawer. */
export function OrdersPage() {
  const { t } = useTranslation(['operator', 'common']);
  /** The list's current filters, which its export takes. */
  const filters = useRef<ExportParams>({});
  const onRequestError = useRequestError();
  const [params, setParams] = useSearchParams();
  const actionRef = useRef<ActionType>(null);
  const [live, setLive] = useState(false);
  const [refreshedAt, setRefreshedAt] = useState<Date | null>(null);
  const [products, setProducts] = useState<Product[]>([]);
  const [accounts, setAccounts] = useState<ChannelAccount[]>([]);
  const stateEnum = useOrderStateEnum();
  const can = useCan();
  const numberRules = useNumberSearchRules();
  const openOrder = params.get('order');
  /** The orders picked for a batch action; kept across pages, at most MAX_BATCH_SELECTION. */
  const [selected, setSelected] = useState<string[]>([]);
  const canOperate = useCan()('order.operate');
  // Previous / next by cursor: at millions of orders an offset or an exact count is too slow.
  const { load, pager } = useCursorPager(actionRef, [20, 50, 100, 200]);

  useEffect(() => {
    api.get<Product[]>('/api/admin/products').then(setProducts, () => undefined);
    api.get<ChannelAccount[]>('/api/admin/channel-accounts').then(setAccounts, () => undefined);
  }, []);

  const setOpenOrder = (orderNo: string | null) => {
    const copy = new URLSearchParams(params);
    if (orderNo) copy.set('order', orderNo);
    else copy.delete('order');
    setParams(copy, { replace: !orderNo });
  };

  const productName = new Map(products.map((p) => [p.code, p.name]));
  const accountName = new Map(accounts.map((a) => [a.id, a.name]));

  const columns: ProColumns<OrderRow>[] = [
    {
      title: t('orders.search'),
      dataIndex: 'q',
      hideInTable: true,
      fieldProps: { placeholder: t('orders.searchPlaceholder'), allowClear: true },
      formItemProps: { tooltip: t('orders.searchHint'), rules: numberRules },
    },
    {
      title: t('orders.orderNo'),
      dataIndex: 'orderNo',
      search: false,
      fixed: 'left',
      width: 215,
      render: (_, o) => (
        <TwoLineCell
          secondary={o.mchOrderNo}
          secondaryTip={t('orders.mchOrderNo')}
          time={o.createdAt}
          timeTip={t('orders.createdAt')}
        >
          <Typography.Text className="qy-mono" copyable={{ text: o.orderNo }} style={{ fontSize: 13 }}>
            {o.orderNo}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('orders.merchant'),
      dataIndex: 'mchNo',
      hideInTable: true,
      valueType: 'select',
      fieldProps: { showSearch: true, filterOption: false },
      debounceTime: 300,
      request: async ({ keyWords }) => searchMerchants(keyWords),
    },
    {
      title: t('orders.where'),
      key: 'where',
      search: false,
      width: 180,
      render: (_, o) => (
        <TwoLineCell
          secondaryMono={false}
          secondary={[
            o.productName ?? productName.get(o.productCode) ?? o.productCode,
            o.channelAccountName ??
              (o.channelAccountId ? (accountName.get(o.channelAccountId) ?? `#${o.channelAccountId}`) : null),
          ]
            .filter(Boolean)
            .join(' · ')}
        >
          <Typography.Text ellipsis={{ tooltip: o.mchNo }} style={{ maxWidth: 168 }}>
            {o.merchantName || o.mchNo}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('orders.product'),
      dataIndex: 'productCode',
      hideInTable: true,
      valueType: 'select',
      fieldProps: {
        options: products.map((p) => ({ value: p.code, label: `${p.name}（${p.code}）` })),
        showSearch: true,
        optionFilterProp: 'label',
      },
    },
    {
      title: t('orders.channelAccount'),
      dataIndex: 'channelAccountId',
      hideInTable: true,
      valueType: 'select',
      fieldProps: { options: accounts.map((a) => ({ value: a.id, label: `${a.name}（#${a.id}）` })) },
    },
    {
      title: t('orders.figures'),
      dataIndex: 'amount',
      search: false,
      align: 'right',
      width: 190,
      render: (_, o) => (
        <FiguresCell
          main={yuan(o.amount, o.currency)}
          figures={[
            {
              label: t('orders.fee'),
              value: `${yuan(o.fee, o.currency)} · ${percentFromPpm(o.merchantRatePpm)}`,
              title: t('orders.merchantRate'),
            },
            o.channelCost !== null && {
              label: t('orders.channelCost'),
              value: `${yuan(o.channelCost, o.currency)} · ${percentFromPpm(o.channelRatePpm)}`,
              title: t('orders.channelRate'),
            },
            o.platformProfit !== null && {
              label: t('orders.platformProfit'),
              value: <ProfitText value={o.platformProfit} text={yuan(o.platformProfit, o.currency)} />,
            },
          ]}
        />
      ),
    },
    {
      title: t('orders.state'),
      dataIndex: 'state',
      width: 150,
      valueType: 'select',
      valueEnum: stateEnum,
      render: (_, o) => (
        <Space direction="vertical" size={2}>
          <span data-cell="state">
            <OrderStateTag state={o.state} />
          </span>
          <NotifyStateBadge state={o.notifyState} />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {o.paidAt ? t('orders.paidAtShort', { time: dateTime(o.paidAt) }) : t('orders.unpaid')}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('orders.flags'),
      dataIndex: 'alert',
      valueType: 'select',
      valueEnum: {
        true: { text: t('orders.alertsOnly') },
        unacknowledged: { text: t('alerts.orders.unacknowledgedOnly') },
      },
      search: { transform: (value: string) => ({ alert: value }) },
      width: 110,
      render: (_, o) => (
        <Space size={[0, 4]} wrap data-testid={`order-flags-${o.orderNo}`}>
          {(o.alerts ?? []).map((kind) => {
            const acknowledged = !(o.unacknowledgedAlerts ?? o.alerts ?? []).includes(kind);
            return (
              <Tooltip key={kind} title={acknowledged ? t('alerts.orders.acknowledgedTag') : undefined}>
                <Tag
                  color={acknowledged ? 'default' : 'red'}
                  data-testid="order-alert"
                  data-acknowledged={acknowledged}
                >
                  {t(`audit:events.${kind}`, { defaultValue: kind })}
                </Tag>
              </Tooltip>
            );
          })}
          {can('order.operate') && (o.unacknowledgedAlerts?.length ?? 0) > 0 && (
            <NoteAction
              link
              label={t('alerts.orders.acknowledge')}
              title={t('alerts.orders.acknowledgeTitle', { orderNo: o.orderNo })}
              hint={t('alerts.orders.acknowledgeHint')}
              path={`/api/admin/orders/${encodeURIComponent(o.orderNo)}/alerts/acknowledge`}
              done={t('alerts.orders.acknowledged')}
              onDone={() => {
                actionRef.current?.reload();
                alertsChanged();
              }}
              testId={`order-alert-acknowledge-${o.orderNo}`}
            />
          )}
          {o.manualCompletion && (
            <Tooltip
              title={t('orders.completedBy', {
                by: o.manualCompletion.by,
                at: dateTime(o.manualCompletion.at),
              })}
            >
              <Tag color="magenta">{t('orders.manualTag')}</Tag>
            </Tooltip>
          )}
          {o.test && <Tag color="orange">{t('orders.testTag')}</Tag>}
          {!o.manualCompletion && !o.test && !o.alerts?.length && (
            <Typography.Text type="secondary">-</Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('orders.createdAt'),
      dataIndex: 'createdRange',
      valueType: 'dateTimeRange',
      hideInTable: true,
      fieldProps: {
        presets: [
          { label: t('stats.today'), value: [dayjs().startOf('day'), dayjs().endOf('day')] },
          {
            label: t('stats.yesterday'),
            value: [dayjs().subtract(1, 'day').startOf('day'), dayjs().subtract(1, 'day').endOf('day')],
          },
          {
            label: t('stats.last7'),
            value: [dayjs().subtract(6, 'day').startOf('day'), dayjs().endOf('day')],
          },
        ],
      },
      search: {
        transform: (value: [string | Dayjs, string | Dayjs]) => ({
          from: dayjs(value[0]).toISOString(),
          to: dayjs(value[1]).toISOString(),
        }),
      },
    },
  ];

  return (
    <Page title={t('orders.title')} subTitle={t('orders.subtitle')}>
      <div data-testid="order-table">
        <ProTable<OrderRow>
          rowKey="orderNo"
          actionRef={actionRef}
          columns={columns}
          cardBordered
          scroll={{ x: widthOf(columns) }}
          columnsState={remembered('operator.orders')}
          // The number search's rule (the last 4+ digits) is checked in the form.
          form={{ ignoreRules: false }}
          size="middle"
          search={{
            labelWidth: 'auto',
            defaultCollapsed: false,
            span: { xs: 24, sm: 12, md: 8, lg: 8, xl: 6, xxl: 6 },
          }}
          pagination={false}
          polling={live ? LIVE_MS : undefined}
          options={{ density: true, setting: true, reload: true, fullScreen: true }}
          onRow={(o) => openableRow(() => setOpenOrder(o.orderNo))}
          rowSelection={
            canOperate
              ? {
                  selectedRowKeys: selected,
                  preserveSelectedRowKeys: true,
                  onChange: (keys) => setSelected(keys.map(String).slice(0, MAX_BATCH_SELECTION)),
                  // No select-all box: antd copies the column titles into a hidden measuring row, and a
                  // checkbox there is focusable content screen readers cannot see. Rows are picked one by one.
                  hideSelectAll: true,
                  getCheckboxProps: (o) => ({
                    disabled: selected.length >= MAX_BATCH_SELECTION && !selected.includes(o.orderNo),
                    'aria-label': t('orderTools.batch.selectOrder', { orderNo: o.orderNo }),
                  }),
                }
              : undefined
          }
          tableAlertRender={() => t('orderTools.batch.selected', { count: selected.length })}
          tableAlertOptionRender={() => (
            <OrderBatchBar
              orderNos={selected}
              onClear={() => setSelected([])}
              onDone={() => actionRef.current?.reload()}
            />
          )}
          onRequestError={onRequestError}
          request={async (p) => {
            filters.current = {
              q: p.q?.trim(),
              state: p.state,
              mchNo: p.mchNo,
              productCode: p.productCode,
              channelAccountId: p.channelAccountId,
              from: p.from,
              to: p.to,
              alert: p.alert,
            };
            const page = await load<OrderRow>('/api/admin/orders', { ...filters.current });
            setRefreshedAt(new Date());
            return page;
          }}
          toolBarRender={() => [
            <ServerExportButton
              key="export"
              path="/api/admin/orders/export"
              params={() => filters.current}
              testId="orders-export"
            />,
          ]}
          headerTitle={
            <Space size={12}>
              <Switch
                checked={live}
                onChange={setLive}
                checkedChildren={t('common:common.live')}
                unCheckedChildren={t('common:common.live')}
                aria-label={t('orders.liveLabel')}
              />
              <Typography.Text type="secondary" style={{ fontWeight: 400, fontSize: 13 }}>
                {live ? t('orders.liveOn') : t('orders.liveOff')}
                {refreshedAt && ` · ${t('common:common.refreshedAt', { time: time(refreshedAt) })}`}
              </Typography.Text>
            </Space>
          }
        />
        {pager}
      </div>
      <OrderDetailDrawer
        orderNo={openOrder}
        onClose={() => setOpenOrder(null)}
        onChanged={() => actionRef.current?.reload()}
      />
    </Page>
  );
}
