import { ExportOutlined, StopOutlined, SyncOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Descriptions,
  Divider,
  Drawer,
  Flex,
  Grid,
  Skeleton,
  Space,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert, TechnicalDetails } from '../shell/ErrorAlert.tsx';
import { orderFailureText } from '../shell/errors.ts';
import { dateTime, percentFromPpm, yuan } from '../shell/format.ts';
import { canRefundState, RefundDialog, RefundRecords, refundedOf } from '../shell/refunds.tsx';
import { useSession } from '../shell/session.tsx';
import { OrderTimeline } from '../shell/Timeline.tsx';
import { useApi } from '../shell/useApi.ts';
import { ManagerNotifyAttempts } from './NotifyAttempts.tsx';
import { OrderStateTag } from './OrderStateTag.tsx';
import { confirmClose, syncOrder } from './orderActions.ts';
import { isOpenState, isPaidState, type OrderDetail } from './types.ts';

export interface OrderDrawerProps {
  orderNo: string | null;
  onClose: () => void;
  /** After a close or sync changed the order, so a list can reload. */
  onChanged?: () => void;
}

/** Order detail with its timeline, and 关闭订单 / 同步状态 while the order is still open. */
export function OrderDrawer({ orderNo, onClose, onChanged }: OrderDrawerProps) {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const { data, loading, error, reload } = useApi<OrderDetail>(
    orderNo ? `/api/merchant/orders/${encodeURIComponent(orderNo)}` : null,
  );
  const order = data && data.orderNo === orderNo ? data : undefined;

  return (
    <Drawer
      open={orderNo !== null}
      onClose={onClose}
      width={screens.md ? 680 : '100%'}
      title={t('merchant:orders.detailTitle')}
      destroyOnHidden
      extra={order && <OrderActions order={order} onDone={() => void reload().then(() => onChanged?.())} />}
    >
      <div data-testid="merchant-order-detail">
        <ErrorAlert error={error} />
        {!order && loading && <Skeleton active paragraph={{ rows: 10 }} />}
        {order && <OrderBody order={order} />}
      </div>
    </Drawer>
  );
}

function OrderActions({ order, onDone }: { order: OrderDetail; onDone: () => void }) {
  const { t } = useTranslation();
  const app = App.useApp();
  const { session } = useSession();
  const [syncing, setSyncing] = useState(false);
  if (session?.user.merchantRole === 'manager' && canRefundState(order.state)) {
    return (
      <RefundDialog
        order={order}
        endpoint={`/api/merchant/orders/${encodeURIComponent(order.orderNo)}/refunds`}
        balanceWarning={t('merchant:refunds.balanceWarning')}
        onDone={onDone}
      />
    );
  }
  if (!isOpenState(order.state)) return null;
  return (
    <Space wrap>
      <Tooltip title={t('merchant:orders.syncTip')}>
        <Button
          icon={<SyncOutlined />}
          loading={syncing}
          onClick={async () => {
            setSyncing(true);
            const changed = await syncOrder(app, order.orderNo);
            setSyncing(false);
            if (changed) onDone();
          }}
        >
          {t('merchant:orders.sync')}
        </Button>
      </Tooltip>
      <Button
        danger
        icon={<StopOutlined />}
        onClick={async () => {
          if (await confirmClose(app, order.orderNo)) onDone();
        }}
      >
        {t('merchant:orders.close')}
      </Button>
    </Space>
  );
}

function OrderBody({ order }: { order: OrderDetail }) {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const paid = isPaidState(order.state);
  const cashier = createdByName(order.createdBy);
  return (
    <>
      <Flex align="center" justify="space-between" wrap gap={12} style={{ marginBottom: 20 }}>
        <div>
          <Typography.Text type="secondary">{t('merchant:orders.amount')}</Typography.Text>
          <div style={{ fontSize: 28, fontWeight: 600, lineHeight: 1.3 }} data-testid="order-amount">
            {yuan(order.amount, order.currency)}
          </div>
        </div>
        <Space>
          {order.test && <Tag color="purple">{t('merchant:orders.test')}</Tag>}
          <OrderStateTag state={order.state} />
        </Space>
      </Flex>

      <Descriptions
        title={t('merchant:orders.basic')}
        bordered
        size="small"
        column={screens.md ? 2 : 1}
        styles={{ label: { width: 120 } }}
      >
        <Descriptions.Item label={t('merchant:orders.orderNo')} span={screens.md ? 2 : 1}>
          <Typography.Text copyable className="qy-mono">
            {order.orderNo}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:orders.mchOrderNo')} span={screens.md ? 2 : 1}>
          <Typography.Text copyable className="qy-mono">
            {order.mchOrderNo}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:orders.subject')} span={screens.md ? 2 : 1}>
          {order.subject || '-'}
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:orders.product')}>
          {order.productName || order.productCode}
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:orders.source')}>{sourceText(t, order)}</Descriptions.Item>
        {cashier && <Descriptions.Item label={t('merchant:orders.createdBy')}>{cashier}</Descriptions.Item>}
        {order.appId && (
          <Descriptions.Item label={t('merchant:orders.app')}>
            <span className="qy-mono">{order.appId}</span>
          </Descriptions.Item>
        )}
        <Descriptions.Item label={t('merchant:orders.createdAt')}>
          {dateTime(order.createdAt)}
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:orders.expiresAt')}>
          {dateTime(order.expiresAt)}
        </Descriptions.Item>
      </Descriptions>

      <Descriptions
        title={t('merchant:orders.payInfo')}
        bordered
        size="small"
        column={screens.md ? 2 : 1}
        styles={{ label: { width: 120 } }}
        style={{ marginTop: 20 }}
      >
        <Descriptions.Item label={t('merchant:orders.amount')}>
          {yuan(order.amount, order.currency)}
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:orders.fee')}>
          {paid ? yuan(order.fee, order.currency) : '-'}
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:orders.net')}>
          {paid ? yuan(order.amount - order.fee, order.currency) : '-'}
        </Descriptions.Item>
        {refundedOf(order) > 0 && (
          <Descriptions.Item label={t('merchant:orders.refunded')}>
            <Typography.Text type="warning" data-testid="order-refunded-amount">
              {yuan(refundedOf(order), order.currency)}
            </Typography.Text>
          </Descriptions.Item>
        )}
        <Descriptions.Item label={t('merchant:orders.rate')}>
          {percentFromPpm(order.merchantRatePpm)}
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:orders.paidAt')}>
          <Space size={6} wrap>
            {dateTime(order.paidAt)}
            {order.manualCompletion && <Tag color="gold">{t('merchant:orders.manualCompletion')}</Tag>}
          </Space>
        </Descriptions.Item>
        {order.notifyState && order.source === 'api' && (
          <Descriptions.Item label={t('merchant:orders.notifyState')}>
            {t(`glossary:notifyState.${order.notifyState}`, { defaultValue: order.notifyState })}
          </Descriptions.Item>
        )}
        <Descriptions.Item label={t('merchant:orders.channelOrderNo')} span={screens.md ? 2 : 1}>
          {order.channelOrderNo ? (
            <Typography.Text copyable className="qy-mono">
              {order.channelOrderNo}
            </Typography.Text>
          ) : (
            '-'
          )}
        </Descriptions.Item>
        {order.closedAt && (
          <Descriptions.Item label={t('merchant:orders.closedAt')}>
            {dateTime(order.closedAt)}
          </Descriptions.Item>
        )}
        {order.failure && (
          <Descriptions.Item label={t('merchant:orders.failure')} span={screens.md ? 2 : 1}>
            <Typography.Text type="danger" data-failure-reason={order.failure.reason}>
              {orderFailureText(order.failure)}
            </Typography.Text>
            <TechnicalDetails code={order.failure.code} technical={{ message: order.failure.message }} />
          </Descriptions.Item>
        )}
      </Descriptions>

      {isOpenState(order.state) && order.cashierUrl && (
        <Button
          type="link"
          icon={<ExportOutlined />}
          href={order.cashierUrl}
          target="_blank"
          rel="noopener noreferrer"
          style={{ paddingInline: 0, marginTop: 8 }}
        >
          {t('merchant:orders.openCashier')}
        </Button>
      )}

      <ManagerNotifyAttempts orderNo={order.orderNo} />

      {(order.refunds?.length ?? 0) > 0 || paid ? (
        <>
          <Divider orientation="left" orientationMargin={0}>
            {t('common:refund.records')}
          </Divider>
          <RefundRecords refunds={order.refunds ?? []} />
        </>
      ) : null}

      <Divider orientation="left" orientationMargin={0}>
        {t('merchant:orders.timeline')}
      </Divider>
      <OrderTimeline events={order.events ?? []} audience="merchant" />
    </>
  );
}

/** Where an order came from, with the static QR's name when a payer used one. */
export function sourceText(
  t: (key: string, options?: Record<string, unknown>) => string,
  order: { source?: string; collectCodeName?: string | null },
): string {
  if (!order.source) return '-';
  const source = t(`glossary:orderSource.${order.source}`, { defaultValue: order.source });
  return order.collectCodeName ? `${source} · ${order.collectCodeName}` : source;
}

export function createdByName(createdBy: OrderDetail['createdBy']): string | null {
  if (!createdBy) return null;
  if (typeof createdBy === 'string') return createdBy;
  return createdBy.displayName || createdBy.username || null;
}
