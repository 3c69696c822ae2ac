import { ReloadOutlined, SendOutlined } from '@ant-design/icons';
import { App, Button, Divider, Empty, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { deliveryFailureText, errorText } from '../shell/errors.ts';
import { dateTime } from '../shell/format.ts';
import { useSession } from '../shell/session.tsx';
import { useApi } from '../shell/useApi.ts';

/** One attempt to notify the merchant's server (GET /api/merchant/orders/:orderNo/notifies). */
export interface NotifyAttempt {
  eventType: string;
  url: string;
  attempt: number;
  at: string;
  httpStatus: number | null;
  ok: boolean;
  /** Which step failed (the server's DELIVERY_FAILURE_KINDS), put into words by deliveryFailureText; null when delivered. */
  failure: string | null;
  /** The raw error, for the technical details. */
  error: string | null;
  responseExcerpt: string | null;
  durationMs: number;
}

export interface NotifyLog {
  orderNo: string;
  tasks: { eventType: string; url: string; state: string; attempts: number; nextAttemptAt: string | null }[];
  attempts: NotifyAttempt[];
}

/**
 * 商户通知记录 in the order drawer (store managers): every attempt to notify the merchant's server,
 * newest first, and 重新发送通知 as the operator console has it.
 */
export function NotifyAttempts({ orderNo }: { orderNo: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const path = `/api/merchant/orders/${encodeURIComponent(orderNo)}/notifies`;
  const { data, loading, error, reload } = useApi<NotifyLog>(path);
  const [sending, setSending] = useState(false);
  const log = data && data.orderNo === orderNo ? data : undefined;

  const resend = async () => {
    setSending(true);
    try {
      await api.post(`${path}/resend`);
      message.success(t('merchant:orders.notifyResent'));
      // The first new attempt goes out at once; give it a moment before reading the log again.
      setTimeout(() => void reload(), 1_500);
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setSending(false);
    }
  };

  const eventLabel = (eventType: string) =>
    t(`merchant:orders.notifyEvents.${eventType.replaceAll('.', '_')}`, { defaultValue: eventType });

  return (
    <section data-testid="order-notifies" aria-label={t('merchant:orders.notifyTitle')}>
      <Divider orientation="left" orientationMargin={0}>
        {t('merchant:orders.notifyTitle')}
      </Divider>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 8 }} wrap>
        <Typography.Text type="secondary" style={{ fontSize: 13 }}>
          {t('merchant:orders.notifyHelp')}
        </Typography.Text>
        <Space>
          <Button
            size="small"
            icon={<ReloadOutlined />}
            onClick={() => void reload()}
            aria-label={t('actions.refresh')}
          />
          {log && log.tasks.length > 0 && (
            <Popconfirm title={t('merchant:orders.notifyResendConfirm')} onConfirm={resend}>
              <Button size="small" icon={<SendOutlined />} loading={sending}>
                {t('merchant:orders.notifyResend')}
              </Button>
            </Popconfirm>
          )}
        </Space>
      </Space>
      <ErrorAlert error={error} />
      {log?.tasks.map((task) => (
        <div key={`${task.eventType}-${task.url}`} style={{ marginBottom: 8 }}>
          <Space size={8} wrap>
            <Typography.Text strong>{eventLabel(task.eventType)}</Typography.Text>
            <Tag
              color={
                task.state === 'succeeded' ? 'success' : task.state === 'failed' ? 'error' : 'processing'
              }
            >
              {t(`glossary:notifyState.${task.state}`, { defaultValue: task.state })}
            </Tag>
            <Typography.Text type="secondary" style={{ fontSize: 13 }}>
              {t('merchant:orders.notifyAttempts', { count: task.attempts })}
            </Typography.Text>
            {task.nextAttemptAt && (
              <Typography.Text type="secondary" style={{ fontSize: 13 }}>
                {t('merchant:orders.notifyNextAttempt', { time: dateTime(task.nextAttemptAt) })}
              </Typography.Text>
            )}
          </Space>
          <div>
            <Typography.Text type="secondary" style={{ fontSize: 13 }}>
              {t('merchant:orders.notifyUrl')}:{' '}
            </Typography.Text>
            <Typography.Text copyable className="qy-mono" style={{ fontSize: 13, wordBreak: 'break-all' }}>
              {task.url}
            </Typography.Text>
          </div>
        </div>
      ))}
      <Table<NotifyAttempt>
        size="small"
        loading={loading && !log}
        rowKey={(a) => `${a.eventType}-${a.attempt}-${a.at}`}
        dataSource={log?.attempts ?? []}
        pagination={false}
        scroll={{ x: 560 }}
        locale={{
          emptyText: (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('merchant:orders.notifyEmpty')} />
          ),
        }}
        expandable={{
          rowExpandable: (a) => Boolean(a.error || a.responseExcerpt),
          expandedRowRender: (a) => (
            <div>
              <Typography.Text type="secondary">{t('merchant:orders.notifyTechDetail')}</Typography.Text>
              {a.error && <pre className="qy-json qy-mono">{a.error}</pre>}
              {a.responseExcerpt && <pre className="qy-json qy-mono">{a.responseExcerpt}</pre>}
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t('merchant:orders.notifyDuration')}: {a.durationMs} ms
              </Typography.Text>
            </div>
          ),
        }}
        columns={[
          {
            title: t('merchant:orders.notifyAttemptAt'),
            dataIndex: 'at',
            width: 170,
            render: (v: string, a) => (
              <Space direction="vertical" size={0}>
                <span>{dateTime(v)}</span>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {eventLabel(a.eventType)} · #{a.attempt}
                </Typography.Text>
              </Space>
            ),
          },
          {
            title: t('merchant:orders.notifyResult'),
            dataIndex: 'ok',
            render: (_: boolean, a) => (
              <Space direction="vertical" size={0}>
                <Space size={4}>
                  {a.httpStatus !== null && (
                    <Tag color={a.httpStatus >= 200 && a.httpStatus < 300 ? 'success' : 'error'}>
                      HTTP {a.httpStatus}
                    </Tag>
                  )}
                  {a.ok && <Tag color="success">{t('merchant:orders.notifyDelivered')}</Tag>}
                </Space>
                {a.failure && (
                  <Typography.Text type="danger" style={{ fontSize: 13 }}>
                    {deliveryFailureText(a.failure, a.httpStatus)}
                  </Typography.Text>
                )}
              </Space>
            ),
          },
          {
            title: t('merchant:orders.notifyResponse'),
            dataIndex: 'responseExcerpt',
            width: 200,
            ellipsis: true,
            render: (v: string | null) =>
              v === null || v === '' ? (
                '-'
              ) : (
                <Typography.Text className="qy-mono" style={{ fontSize: 12 }}>
                  {v}
                </Typography.Text>
              ),
          },
        ]}
      />
    </section>
  );
}

/** The notify log for store managers only: a cashier does not see the merchant's integration. */
export function ManagerNotifyAttempts({ orderNo }: { orderNo: string }) {
  const { session } = useSession();
  if (session?.user.merchantRole !== 'manager') return null;
  return <NotifyAttempts orderNo={orderNo} />;
}
