import {
  CloseCircleOutlined,
  ExportOutlined,
  ReloadOutlined,
  SendOutlined,
  SyncOutlined,
} from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Collapse,
  Descriptions,
  Drawer,
  Empty,
  Grid,
  Popconfirm,
  Result,
  Skeleton,
  Space,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { FailureAlert, TechnicalDetails } from '../../shell/ErrorAlert.tsx';
import { channelNotifyErrorText, deliveryFailureText, describeError, errorText } from '../../shell/errors.ts';
import { dateTime, percentFromPpm, yuan } from '../../shell/format.ts';
import { isOpenState } from '../../shell/orderStates.ts';
import { canRefundState, RefundDialog, RefundRecords, refundedOf } from '../../shell/refunds.tsx';
import { useCan } from '../../shell/session.tsx';
import { OrderTimeline } from '../../shell/Timeline.tsx';
import { useApi } from '../../shell/useApi.ts';
import { CompletionDialog } from '../CompletionDialog.tsx';
import { NotifyStateBadge, OrderStateTag, ProfitText } from '../components.tsx';
import type { ChannelNotify, NotifyAttempt, OrderDetail } from '../types.ts';
import { PrintReceiptButton } from './OrderReceipt.tsx';

const COMPLETABLE_STATES = ['created', 'paying', 'closed', 'failed'];
const PAID_STATES = ['paid', 'partially_refunded', 'refunded'];

/** The notify attempts in one list, whichever shape the server answers (`notify.attempts` or tasks with history). */
export function attemptsOf(detail: OrderDetail): NotifyAttempt[] {
  if (detail.notify?.attempts) return detail.notify.attempts;
  return (detail.notifies ?? []).flatMap((task) =>
    task.history.map((a) => ({ ...a, url: task.url, eventType: task.eventType })),
  );
}

/** 订单详情: every field, the event timeline, notify attempts, channel callbacks and the operator's actions. */
export function OrderDetailDrawer({
  orderNo,
  onClose,
  onChanged,
}: {
  orderNo: string | null;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const detail = useApi<OrderDetail>(orderNo ? `/api/admin/orders/${encodeURIComponent(orderNo)}` : null);
  const order = detail.data && detail.data.orderNo === orderNo ? detail.data : undefined;
  const changed = async () => {
    await detail.reload();
    onChanged();
  };

  return (
    <Drawer
      open={!!orderNo}
      onClose={onClose}
      width={920}
      destroyOnHidden
      title={
        <Space>
          <span>{t('orderDetail.title')}</span>
          {order && <OrderStateTag state={order.state} />}
          {order?.test && <Tag color="orange">{t('orders.testTag')}</Tag>}
          {order?.manualCompletion && <Tag color="magenta">{t('orders.manualTag')}</Tag>}
        </Space>
      }
      extra={order ? <OrderActions order={order} onChanged={changed} /> : undefined}
    >
      <div data-testid="order-detail">
        {detail.error && !order ? (
          <Result
            status="warning"
            title={describeError(detail.error).title}
            subTitle={describeError(detail.error).detail}
          />
        ) : !order ? (
          <Skeleton active paragraph={{ rows: 12 }} />
        ) : (
          <OrderBody order={order} onReload={() => void detail.reload()} reloading={detail.loading} />
        )}
      </div>
    </Drawer>
  );
}

function OrderActions({ order, onChanged }: { order: OrderDetail; onChanged: () => Promise<void> }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const can = useCan();
  const [busy, setBusy] = useState<string | null>(null);
  const run = async (key: string, path: string, done: string) => {
    setBusy(key);
    try {
      await api.post(`/api/admin/orders/${encodeURIComponent(order.orderNo)}/${path}`);
      message.success(done);
      await onChanged();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  const operate = can('order.operate');
  return (
    <Space wrap>
      <PrintReceiptButton order={order} />
      {operate && (
        <Button
          icon={<SyncOutlined />}
          loading={busy === 'sync'}
          onClick={() => run('sync', 'sync', t('orderDetail.synced'))}
        >
          {t('orderDetail.sync')}
        </Button>
      )}
      {operate && isOpenState(order.state) && (
        <Popconfirm
          title={t('orderDetail.closeConfirm')}
          description={t('orderDetail.closeHint')}
          okButtonProps={{ danger: true }}
          onConfirm={() => run('close', 'close', t('orderDetail.closed'))}
        >
          <Button danger icon={<CloseCircleOutlined />} loading={busy === 'close'}>
            {t('orderDetail.close')}
          </Button>
        </Popconfirm>
      )}
      {operate && PAID_STATES.includes(order.state) && (
        <Button
          icon={<SendOutlined />}
          loading={busy === 'resend'}
          onClick={() => run('resend', 'notify/resend', t('orderDetail.resent'))}
        >
          {t('orderDetail.resend')}
        </Button>
      )}
      {can('order.complete') && COMPLETABLE_STATES.includes(order.state) && (
        <CompleteForm order={order} onDone={onChanged} />
      )}
      {can('order.refund') && canRefundState(order.state) && (
        <RefundDialog
          order={order}
          endpoint={`/api/admin/orders/${encodeURIComponent(order.orderNo)}/refunds`}
          balanceWarning={t('orderDetail.refundBalance', {
            merchant: order.merchantName || order.mchNo,
          })}
          onDone={onChanged}
        />
      )}
    </Space>
  );
}

/** 补单 on the order: its password checked on its own first, then the remark (CompletionDialog). */
function CompleteForm({ order, onDone }: { order: OrderDetail; onDone: () => Promise<void> }) {
  const { t } = useTranslation(['operator', 'common']);
  const path = `/api/admin/orders/${encodeURIComponent(order.orderNo)}/complete`;
  return (
    <CompletionDialog
      title={t('complete.title', { orderNo: order.orderNo })}
      amount={yuan(order.amount, order.currency)}
      verify={(completionPassword) => api.post(`${path}/verify`, { completionPassword })}
      submit={(completionPassword, remark) => api.post(path, { completionPassword, remark })}
      onDone={onDone}
      details={
        <Descriptions size="small" column={2} style={{ marginBottom: 16 }}>
          <Descriptions.Item label={t('orders.merchant')}>
            {order.merchantName || order.mchNo}
          </Descriptions.Item>
          <Descriptions.Item label={t('orders.amount')}>
            {yuan(order.amount, order.currency)}
          </Descriptions.Item>
          <Descriptions.Item label={t('orders.state')}>
            <OrderStateTag state={order.state} />
          </Descriptions.Item>
          <Descriptions.Item label={t('glossary:channelOrderNo')}>
            {order.channelOrderNo ?? '-'}
          </Descriptions.Item>
        </Descriptions>
      }
    />
  );
}

function OrderBody({
  order,
  onReload,
  reloading,
}: {
  order: OrderDetail;
  onReload: () => void;
  reloading: boolean;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const attempts = attemptsOf(order);
  const c = order.currency;
  return (
    <>
      {order.manualCompletion && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 16 }}
          message={t('orders.completedBy', {
            by: order.manualCompletion.by,
            at: dateTime(order.manualCompletion.at),
          })}
          description={order.manualCompletion.remark}
        />
      )}
      {order.failure && <FailureAlert title={t('orderDetail.failure')} failure={order.failure} />}
      <Descriptions
        bordered
        size="small"
        column={2}
        labelStyle={{ width: 120 }}
        title={t('orderDetail.basics')}
        extra={
          <Button size="small" icon={<ReloadOutlined spin={reloading} />} onClick={onReload}>
            {t('common:actions.refresh')}
          </Button>
        }
      >
        <Descriptions.Item label={t('orders.orderNo')}>
          <Typography.Text copyable className="qy-mono">
            {order.orderNo}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('orders.mchOrderNo')}>
          <Typography.Text copyable className="qy-mono">
            {order.mchOrderNo}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('orders.channelOrderNo')}>
          {order.channelOrderNo ? (
            <Typography.Text copyable className="qy-mono">
              {order.channelOrderNo}
            </Typography.Text>
          ) : (
            '-'
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('orders.subject')}>{order.subject}</Descriptions.Item>
        <Descriptions.Item label={t('orders.merchant')}>
          {order.merchantName} <Typography.Text type="secondary">({order.mchNo})</Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label="AppID">
          <span className="qy-mono">{order.appId ?? '-'}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('orders.product')}>
          {order.productName ?? order.productCode}
        </Descriptions.Item>
        <Descriptions.Item label={t('orders.channelAccount')}>
          {order.channelAccountName ?? (order.channelAccountId ? `#${order.channelAccountId}` : '-')}
        </Descriptions.Item>
        <Descriptions.Item label={t('orders.amount')}>
          <Typography.Text strong>{yuan(order.amount, c)}</Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('orders.state')}>
          <OrderStateTag state={order.state} />
        </Descriptions.Item>
        {refundedOf(order) > 0 && (
          <Descriptions.Item label={t('orderDetail.refundedAmount')} span={2}>
            <Typography.Text type="warning" data-testid="order-refunded-amount">
              {yuan(refundedOf(order), c)}
            </Typography.Text>
          </Descriptions.Item>
        )}
        <Descriptions.Item label={t('orders.merchantRate')}>
          {percentFromPpm(order.merchantRatePpm)}
        </Descriptions.Item>
        <Descriptions.Item label={t('orders.fee')}>{yuan(order.fee, c)}</Descriptions.Item>
        <Descriptions.Item label={t('orders.channelRate')}>
          {percentFromPpm(order.channelRatePpm)}
        </Descriptions.Item>
        <Descriptions.Item label={t('orders.channelCost')}>{yuan(order.channelCost, c)}</Descriptions.Item>
        <Descriptions.Item label={t('orders.platformProfit')}>
          <ProfitText value={order.platformProfit} text={yuan(order.platformProfit, c)} />
        </Descriptions.Item>
        <Descriptions.Item label={t('orders.notifyState')}>
          <NotifyStateBadge state={order.notifyState} />
        </Descriptions.Item>
        <Descriptions.Item label={t('orders.source')}>
          {order.source ? t(`glossary:orderSource.${order.source}`, { defaultValue: order.source }) : '-'}
          {order.collectCodeName ? ` · ${order.collectCodeName}` : ''}
        </Descriptions.Item>
        <Descriptions.Item label={t('orders.createdAt')}>{dateTime(order.createdAt)}</Descriptions.Item>
        <Descriptions.Item label={t('orders.paidAt')}>{dateTime(order.paidAt)}</Descriptions.Item>
        <Descriptions.Item label={t('orders.closedAt')}>{dateTime(order.closedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('orders.expiresAt')}>{dateTime(order.expiresAt)}</Descriptions.Item>
        <Descriptions.Item label={t('orders.notifyUrl')} span={2}>
          {order.notifyUrl ? <Typography.Text copyable>{order.notifyUrl}</Typography.Text> : '-'}
        </Descriptions.Item>
        {order.payData && order.payData.type !== 'none' && (
          <Descriptions.Item label={t('orderDetail.payData')} span={2}>
            <Space>
              <Tag>{order.payData.type}</Tag>
              <Typography.Text copyable className="qy-mono" style={{ fontSize: 12, wordBreak: 'break-all' }}>
                {order.payData.value}
              </Typography.Text>
              <Button
                size="small"
                type="link"
                icon={<ExportOutlined />}
                href={order.cashierUrl}
                target="_blank"
                rel="noopener noreferrer"
              >
                {t('testOrder.openCashier')}
              </Button>
            </Space>
          </Descriptions.Item>
        )}
        {order.extra && Object.keys(order.extra).length > 0 && (
          <Descriptions.Item label={t('orderDetail.extra')} span={2}>
            <pre className="qy-json qy-mono">{JSON.stringify(order.extra, null, 2)}</pre>
          </Descriptions.Item>
        )}
      </Descriptions>

      <OrderRecords
        items={[
          {
            key: 'events',
            label: `${t('orderDetail.timeline')} (${order.events.length})`,
            children: <OrderTimeline events={order.events} />,
          },
          {
            key: 'notify',
            label: `${t('orderDetail.notifies')} (${attempts.length})`,
            children: <NotifyAttempts attempts={attempts} />,
          },
          {
            key: 'channel',
            label: `${t('orderDetail.channelNotifies')} (${order.channelNotifies?.length ?? 0})`,
            children: <ChannelNotifies rows={order.channelNotifies ?? []} />,
          },
          {
            key: 'refunds',
            label: `${t('common:refund.records')} (${order.refunds?.length ?? 0})`,
            children: <RefundRecords refunds={order.refunds ?? []} />,
          },
        ]}
      />
    </>
  );
}

/**
 * The order's records: tabs, or on a phone (where four tabs overflow into antd's "more" button,
 * which sits inside the tab list where assistive technology expects only tabs) one panel each.
 */
function OrderRecords({ items }: { items: { key: string; label: string; children: ReactNode }[] }) {
  const screens = Grid.useBreakpoint();
  if (screens.md === false) {
    return <Collapse style={{ marginTop: 16 }} defaultActiveKey={['events']} items={items} />;
  }
  return <Tabs style={{ marginTop: 16 }} items={items} />;
}

function NotifyAttempts({ attempts }: { attempts: NotifyAttempt[] }) {
  const { t } = useTranslation(['operator', 'common']);
  return (
    <Table<NotifyAttempt>
      size="small"
      rowKey={(a) => `${a.url ?? ''}-${a.attempt}-${a.at}`}
      dataSource={attempts}
      pagination={false}
      locale={{
        emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('orderDetail.noNotifies')} />,
      }}
      expandable={{
        rowExpandable: (a) => !!(a.responseBody || a.url || a.error),
        expandedRowRender: (a) => (
          <Space direction="vertical" style={{ width: '100%' }}>
            {a.url && (
              <Typography.Text type="secondary">
                URL: <Typography.Text copyable>{a.url}</Typography.Text>
              </Typography.Text>
            )}
            {a.responseBody && <pre className="qy-json qy-mono">{a.responseBody}</pre>}
            {a.error && (
              <TechnicalDetails
                code={a.errorKind ?? 'network'}
                technical={{ message: a.error, status: a.httpStatus ?? undefined }}
              />
            )}
          </Space>
        ),
      }}
      columns={[
        { title: '#', dataIndex: 'attempt', width: 50 },
        {
          title: t('orderDetail.attemptAt'),
          dataIndex: 'at',
          width: 170,
          render: (v: string) => dateTime(v),
        },
        {
          title: t('orderDetail.event'),
          dataIndex: 'eventType',
          width: 120,
          render: (v?: string) => v ?? '-',
        },
        {
          title: t('orderDetail.httpStatus'),
          dataIndex: 'httpStatus',
          width: 90,
          render: (v: number | null) =>
            v === null ? '-' : <Tag color={v >= 200 && v < 300 ? 'green' : 'red'}>{v}</Tag>,
        },
        {
          title: t('orderDetail.duration'),
          dataIndex: 'durationMs',
          width: 90,
          render: (v: number | null) => (v === null ? '-' : `${v} ms`),
        },
        {
          title: t('orderDetail.result'),
          dataIndex: 'error',
          render: (v: string | null, a: NotifyAttempt) =>
            v ? (
              <Typography.Text type="danger" data-failure-kind={a.errorKind ?? 'network'}>
                {deliveryFailureText(a.errorKind, a.httpStatus)}
              </Typography.Text>
            ) : (
              <Tag color="success">{t('glossary:notifyState.succeeded')}</Tag>
            ),
        },
      ]}
    />
  );
}

function ChannelNotifies({ rows }: { rows: ChannelNotify[] }) {
  const { t } = useTranslation('operator');
  return (
    <Table<ChannelNotify>
      size="small"
      rowKey={(r, i) => `${r.at}-${i}`}
      dataSource={rows}
      pagination={false}
      locale={{
        emptyText: (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('orderDetail.noChannelNotifies')} />
        ),
      }}
      expandable={{ expandedRowRender: (r) => <pre className="qy-json qy-mono">{r.rawBody}</pre> }}
      columns={[
        {
          title: t('orderDetail.attemptAt'),
          dataIndex: 'at',
          width: 170,
          render: (v: string) => dateTime(v),
        },
        {
          title: t('orderDetail.outcome'),
          dataIndex: 'outcome',
          width: 120,
          render: (v: string) => (
            <Tag color={v === 'applied' || v === 'accepted' ? 'green' : v === 'refused' ? 'red' : 'default'}>
              {v}
            </Tag>
          ),
        },
        {
          title: t('orderDetail.errorCode'),
          dataIndex: 'errorCode',
          render: (v: string | null) =>
            v ? (
              <Typography.Text type="danger" data-error-code={v}>
                {channelNotifyErrorText(v)}
              </Typography.Text>
            ) : (
              '-'
            ),
        },
      ]}
    />
  );
}
