import { App, Button, Modal, Progress, Space, Table, Tag, Typography } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../../api.ts';
import { errorText } from '../../shell/errors.ts';

/** The actions the server's batch route takes (src/orders/batch.ts). */
export const BATCH_ACTIONS = ['close', 'sync', 'notify_resend'] as const;
type BatchAction = (typeof BATCH_ACTIONS)[number];

/** The most orders one selection holds (the server's bound on one request, src/orders/batch.ts). */
export const MAX_BATCH_SELECTION = 100;
/**
 * Orders sent per request: small, so the progress moves while a long batch runs (each order is a
 * channel call on the server) and "stop" takes effect between requests.
 */
const CHUNK = 10;

interface BatchResult {
  orderNo: string;
  outcome: 'succeeded' | 'refused';
  state: string | null;
  code: string | null;
  message: string | null;
  details: Record<string, unknown> | null;
}

/**
 * The order list's batch bar: what is selected, and close / sync / resend notify for all of it,
 * each order answered on its own (succeeded, or refused with the reason in words), with a progress
 * bar while the requests run and a table of the results after.
 */
export function OrderBatchBar({
  orderNos,
  onClear,
  onDone,
}: {
  orderNos: string[];
  onClear: () => void;
  onDone: () => void;
}) {
  const { t } = useTranslation(['operator', 'glossary']);
  const { modal } = App.useApp();
  const [running, setRunning] = useState<{ action: BatchAction; done: number; total: number } | null>(null);
  const [results, setResults] = useState<{ action: BatchAction; rows: BatchResult[]; left: number } | null>(
    null,
  );
  const stop = useRef(false);

  const run = async (action: BatchAction) => {
    const all = [...orderNos];
    const rows: BatchResult[] = [];
    stop.current = false;
    setRunning({ action, done: 0, total: all.length });
    let sent = 0;
    for (; sent < all.length && !stop.current; sent += CHUNK) {
      const chunk = all.slice(sent, sent + CHUNK);
      try {
        const answer = await api.post<{ results: BatchResult[] }>('/api/admin/orders/batch', {
          action,
          orderNos: chunk,
        });
        rows.push(...answer.results);
      } catch (e) {
        // The whole request was refused (the session ended, the network): each order says so.
        const error = e instanceof ApiError ? e : null;
        for (const orderNo of chunk) {
          rows.push({
            orderNo,
            outcome: 'refused',
            state: null,
            code: error?.code ?? 'NETWORK',
            message: error?.message ?? null,
            details: (error?.details as Record<string, unknown> | undefined) ?? null,
          });
        }
      }
      setRunning({ action, done: Math.min(sent + chunk.length, all.length), total: all.length });
    }
    setRunning(null);
    setResults({ action, rows, left: Math.max(0, all.length - sent) });
    onDone();
  };

  const ask = (action: BatchAction) =>
    modal.confirm({
      title: t(`orderTools.batch.${action}`),
      content: t(`orderTools.batch.confirm.${action}`, { count: orderNos.length }),
      okButtonProps: { danger: action === 'close' },
      onOk: () => {
        void run(action);
      },
    });

  const reason = (r: BatchResult) =>
    r.code ? errorText(new ApiError(0, r.code, r.message ?? '', r.details ?? undefined)) : '';
  const succeeded = results?.rows.filter((r) => r.outcome === 'succeeded').length ?? 0;

  return (
    <>
      <Space size={12} wrap data-testid="order-batch">
        {orderNos.length >= MAX_BATCH_SELECTION && (
          <Typography.Text type="warning">
            {t('orderTools.batch.limit', { max: MAX_BATCH_SELECTION })}
          </Typography.Text>
        )}
        {BATCH_ACTIONS.map((action) => (
          <Button
            key={action}
            size="small"
            danger={action === 'close'}
            disabled={orderNos.length === 0 || running !== null}
            onClick={() => ask(action)}
          >
            {t(`orderTools.batch.${action}`)}
          </Button>
        ))}
        <Button size="small" type="link" onClick={onClear}>
          {t('orderTools.batch.clear')}
        </Button>
      </Space>
      <Modal
        open={running !== null}
        title={running ? t(`orderTools.batch.${running.action}`) : ''}
        closable={false}
        maskClosable={false}
        keyboard={false}
        footer={
          <Button onClick={() => (stop.current = true)} data-testid="order-batch-stop">
            {t('orderTools.batch.cancel')}
          </Button>
        }
      >
        {running && (
          <div data-testid="order-batch-progress">
            <Progress percent={Math.round((running.done / Math.max(1, running.total)) * 100)} />
            <Typography.Text type="secondary">
              {t('orderTools.batch.running', { done: running.done, total: running.total })}
            </Typography.Text>
          </div>
        )}
      </Modal>
      <Modal
        open={results !== null}
        title={t('orderTools.batch.resultTitle')}
        onCancel={() => {
          setResults(null);
          onClear();
        }}
        footer={null}
        width={760}
      >
        {results && (
          <div data-testid="order-batch-results">
            <Typography.Paragraph>
              {t(`orderTools.batch.${results.action}`)} ·{' '}
              {t('orderTools.batch.summary', { succeeded, refused: results.rows.length - succeeded })}
              {results.left > 0 && ` · ${t('orderTools.batch.stopped', { left: results.left })}`}
            </Typography.Paragraph>
            <Table<BatchResult>
              rowKey="orderNo"
              size="small"
              dataSource={results.rows}
              pagination={{ pageSize: 10, hideOnSinglePage: true }}
              scroll={{ x: 600 }}
              columns={[
                {
                  title: t('orderTools.batch.orderNo'),
                  dataIndex: 'orderNo',
                  width: 220,
                  render: (v: string) => <span className="qy-mono">{v}</span>,
                },
                {
                  title: t('orderTools.batch.outcome'),
                  dataIndex: 'outcome',
                  width: 90,
                  render: (_, r) =>
                    r.outcome === 'succeeded' ? (
                      <Tag color="green">{t('orderTools.batch.succeeded')}</Tag>
                    ) : (
                      <Tag color="red">{t('orderTools.batch.refused')}</Tag>
                    ),
                },
                {
                  title: t('orderTools.batch.stateAfter'),
                  dataIndex: 'state',
                  width: 110,
                  render: (_, r) => (r.state ? t(`glossary:orderState.${r.state}`) : '-'),
                },
                {
                  title: t('orderTools.batch.reason'),
                  dataIndex: 'code',
                  render: (_, r) => reason(r) || '-',
                },
              ]}
            />
          </div>
        )}
      </Modal>
    </>
  );
}
