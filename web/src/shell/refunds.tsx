import { CheckCircleOutlined, CloseCircleOutlined, RollbackOutlined, SyncOutlined } from '@ant-design/icons';
import { ModalForm, ProFormDependency, ProFormText, ProFormTextArea } from '@ant-design/pro-components';
import { Alert, App, Button, Descriptions, Empty, Table, Tag, Typography } from 'antd';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { ErrorAlert, TechnicalDetails } from './ErrorAlert.tsx';
import { dateTime, parseYuan, yuan, yuanPlain } from './format.ts';
import { amountProblem } from './forms.ts';

// Refunds, shared by the operator console and the merchant portal: the same dialog, records and tags.

export const REFUND_STATES = ['pending', 'succeeded', 'failed'] as const;
export type RefundState = (typeof REFUND_STATES)[number];

export interface RefundView {
  refundNo: string;
  mchRefundNo: string | null;
  orderNo: string;
  mchOrderNo: string;
  merchant: { mchNo: string; name: string };
  amount: number;
  feeRefund: number;
  currency: string;
  state: RefundState;
  reason: string | null;
  failureMessage: string | null;
  createdAt: string;
  succeededAt: string | null;
  failedAt: string | null;
  source: 'api' | 'console' | string;
}

/** What an order detail answer carries about its refunds (both consoles). */
export interface RefundableOrder {
  orderNo: string;
  state: string;
  amount: number;
  currency: string;
  refundedAmount?: number | null;
  refunds?: RefundView[] | null;
}

/** Order states a refund may start from. */
export function canRefundState(state: string): boolean {
  return state === 'paid' || state === 'partially_refunded';
}

/**
 * What the order has given back or reserved for refunds: the server's `refundedAmount` (pending
 * refunds included), else the sum of its refunds that did not fail.
 */
export function refundedOf(order: RefundableOrder): number {
  if (typeof order.refundedAmount === 'number') return order.refundedAmount;
  return (order.refunds ?? []).filter((r) => r.state !== 'failed').reduce((sum, r) => sum + r.amount, 0);
}

export function refundableOf(order: RefundableOrder): number {
  return Math.max(0, order.amount - refundedOf(order));
}

const STATE_LOOK: Record<RefundState, { color: string; icon: ReactNode }> = {
  pending: { color: 'processing', icon: <SyncOutlined spin /> },
  succeeded: { color: 'success', icon: <CheckCircleOutlined /> },
  failed: { color: 'error', icon: <CloseCircleOutlined /> },
};

/** A refund's state as a tag; `data-state` carries the API word. */
export function RefundStateTag({ state }: { state: RefundState | string }) {
  const { t } = useTranslation('common');
  const look = STATE_LOOK[state as RefundState] ?? { color: 'default', icon: null };
  return (
    <Tag color={look.color} icon={look.icon} data-state={state} style={{ marginInlineEnd: 0 }}>
      {t(`glossary:refundState.${state}`, { defaultValue: state })}
    </Tag>
  );
}

/** Value enum for ProTable filters of refund states. */
export function useRefundStateEnum(): Record<string, { text: string }> {
  const { t } = useTranslation('common');
  return Object.fromEntries(REFUND_STATES.map((s) => [s, { text: t(`glossary:refundState.${s}`) }]));
}

/** Where a refund came from: 商户接口 (api) or 后台发起 (console). */
export function RefundSource({ source }: { source: string }) {
  const { t } = useTranslation('common');
  return <>{t(`refund.source.${source}`, { defaultValue: source })}</>;
}

interface RefundFormValues {
  amount: string;
  reason: string;
}

/**
 * 退款: the paid amount, what was refunded already and what is left; 退款金额 (yuan, default the
 * remainder) and 退款原因; 确认退款 under a warning that the amount comes out of the merchant's
 * balance. A refused request stays in the dialog as an error Alert (`data-error-code`).
 */
export function RefundDialog({
  order,
  endpoint,
  balanceWarning,
  onDone,
}: {
  order: RefundableOrder;
  /** Where to POST `{ amount, reason }`. */
  endpoint: string;
  /** The confirmation line: whose balance pays for it. */
  balanceWarning: string;
  onDone: (refund: RefundView) => Promise<void> | void;
}) {
  const { t } = useTranslation('common');
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  const refunded = refundedOf(order);
  const remainder = refundableOf(order);
  const c = order.currency;

  return (
    <ModalForm<RefundFormValues>
      title={t('refund.title')}
      width={520}
      initialValues={{ amount: yuanPlain(remainder), reason: '' }}
      modalProps={{
        destroyOnHidden: true,
        afterClose: () => setError(null),
      }}
      submitter={{
        searchConfig: { submitText: t('refund.submit') },
        submitButtonProps: { danger: true },
      }}
      trigger={
        <Button danger icon={<RollbackOutlined />} disabled={remainder <= 0}>
          {t('refund.button')}
        </Button>
      }
      onFinish={async (v) => {
        setError(null);
        const amount = parseYuan(String(v.amount));
        if (amount === null) return false;
        try {
          const refund = await api.post<RefundView>(endpoint, { amount, reason: v.reason.trim() });
          if (refund?.state === 'failed') {
            message.warning(t('refund.failedDone', { message: t('errors:refundFailed') }));
          } else if (refund?.state === 'succeeded') {
            message.success(t('refund.succeededDone', { amount: yuan(refund.amount, refund.currency) }));
          } else {
            message.success(t('refund.pendingDone'));
          }
          await onDone(refund);
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <div data-testid="refund-form">
        <Descriptions size="small" column={3} bordered layout="vertical" style={{ marginBottom: 16 }}>
          <Descriptions.Item label={t('refund.paidAmount')}>
            <span data-testid="refund-paid">{yuan(order.amount, c)}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('refund.refundedAmount')}>
            <span data-testid="refund-refunded">{yuan(refunded, c)}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('refund.refundable')}>
            <Typography.Text strong data-testid="refund-remainder">
              {yuan(remainder, c)}
            </Typography.Text>
          </Descriptions.Item>
        </Descriptions>
        <ErrorAlert error={error} />
        <ProFormText
          name="amount"
          label={t('refund.amount')}
          fieldProps={{ prefix: '¥', inputMode: 'decimal', autoComplete: 'off' }}
          extra={t('refund.amountHint', { max: yuan(remainder, c) })}
          rules={[
            {
              validator: async (_rule, value: unknown) => {
                const problem = amountProblem(value, { required: true });
                if (problem) throw new Error(problem);
                const minor = parseYuan(String(value).trim()) ?? 0;
                if (minor > remainder)
                  throw new Error(t('refund.amountExceeded', { max: yuan(remainder, c) }));
              },
            },
          ]}
        />
        <ProFormTextArea
          name="reason"
          label={t('refund.reason')}
          placeholder={t('refund.reasonPlaceholder')}
          fieldProps={{ rows: 2, showCount: true, maxLength: 128 }}
          rules={[
            { required: true, whitespace: true, message: t('refund.reasonRequired') },
            { max: 128, message: t('refund.reasonRequired') },
          ]}
        />
        <ProFormDependency name={['amount']}>
          {({ amount }) => {
            const typed = typeof amount === 'string' ? parseYuan(amount) : null;
            return (
              <Alert
                type="warning"
                showIcon
                data-testid="refund-confirm"
                message={balanceWarning}
                description={
                  typed !== null && typed > 0 && typed <= remainder
                    ? t('refund.confirmAmount', { amount: yuan(typed, c) })
                    : t('refund.confirmHint')
                }
              />
            );
          }}
        </ProFormDependency>
      </div>
    </ModalForm>
  );
}

/** 退款记录: an order's refunds, in the server's order (oldest first). */
export function RefundRecords({ refunds }: { refunds: RefundView[] }) {
  const { t } = useTranslation('common');
  return (
    <div data-testid="order-refunds">
      <Table<RefundView>
        size="small"
        rowKey="refundNo"
        dataSource={refunds}
        pagination={false}
        scroll={{ x: 640 }}
        locale={{
          emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('refund.noRecords')} />,
        }}
        columns={[
          {
            title: t('refund.refundNo'),
            dataIndex: 'refundNo',
            width: 200,
            render: (_: unknown, r) => (
              <div>
                <Typography.Text copyable className="qy-mono" style={{ fontSize: 13 }}>
                  {r.refundNo}
                </Typography.Text>
                {r.mchRefundNo && (
                  <div>
                    <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
                      {r.mchRefundNo}
                    </Typography.Text>
                  </div>
                )}
              </div>
            ),
          },
          {
            title: t('refund.stateTitle'),
            dataIndex: 'state',
            width: 100,
            render: (_: unknown, r) => <RefundStateTag state={r.state} />,
          },
          {
            title: t('refund.amount'),
            dataIndex: 'amount',
            align: 'right',
            width: 110,
            render: (_: unknown, r) => <Typography.Text strong>{yuan(r.amount, r.currency)}</Typography.Text>,
          },
          {
            title: t('refund.reason'),
            dataIndex: 'reason',
            render: (_: unknown, r) => (
              <div>
                <span>{r.reason || '-'}</span>
                {r.state === 'failed' && r.failureMessage && (
                  <div>
                    <Typography.Text type="danger" style={{ fontSize: 12 }}>
                      {t('errors:refundFailed')}
                    </Typography.Text>
                    <TechnicalDetails code="REFUND_FAILED" technical={{ message: r.failureMessage }} />
                  </div>
                )}
              </div>
            ),
          },
          {
            title: t('refund.time'),
            key: 'time',
            width: 190,
            render: (_: unknown, r) => (
              <div>
                <div>{t('refund.createdAtShort', { time: dateTime(r.createdAt) })}</div>
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
              </div>
            ),
          },
        ]}
      />
    </div>
  );
}
