import { DownloadOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Descriptions,
  Drawer,
  Grid,
  Result,
  Select,
  Skeleton,
  Space,
  Table,
  Typography,
} from 'antd';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { downloadFromApi } from '../../shell/download.ts';
import { describeError, errorText } from '../../shell/errors.ts';
import { dateTime, yuan } from '../../shell/format.ts';
import { useCan } from '../../shell/session.tsx';
import { useApi } from '../../shell/useApi.ts';
import type { ChannelAccount } from '../types.ts';
import { RunDialog } from './BatchForms.tsx';
import { ItemTable } from './ItemTable.tsx';
import { BatchStateTag, ClassTag, TieOutTag } from './parts.tsx';
import { type Batch, DISCREPANCY_CLASSES, ITEM_CLASSES, type ItemClass } from './types.ts';

type SummaryClass = 'matched' | 'matchedRefunds' | (typeof DISCREPANCY_CLASSES)[number];
const SUMMARY_ROWS: SummaryClass[] = ['matched', 'matchedRefunds', ...DISCREPANCY_CLASSES];

/**
 * A batch: both sides' figures, the per-class summary (each class with which side has it), and its
 * differences by class and handling, paged — all three in the address (`class`, `resolution`, `page`).
 */
export function BatchDrawer({
  batchId,
  accountName,
  accounts,
  onClose,
  onChanged,
}: {
  batchId: string | null;
  accountName: (id: string) => string | undefined;
  accounts: ChannelAccount[];
  onClose: () => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const detail = useApi<Batch>(batchId ? `/api/admin/reconciliation/batches/${batchId}` : null);
  const b = detail.data && detail.data.id === batchId ? detail.data : undefined;
  const phone = Grid.useBreakpoint().md === false;
  const changed = async () => {
    await detail.reload();
    onChanged();
  };
  return (
    <Drawer
      open={!!batchId}
      onClose={onClose}
      width={phone ? '100%' : 1080}
      destroyOnHidden
      title={
        <Space wrap>
          <span>{b ? t('reconciliation.detail', { day: b.day }) : t('reconciliation.detailLoading')}</span>
          {b && <BatchStateTag state={b.state} />}
        </Space>
      }
    >
      <div data-testid="recon-batch">
        {detail.error && !b ? (
          <Result
            status="warning"
            title={describeError(detail.error).title}
            subTitle={describeError(detail.error).detail}
          />
        ) : !b ? (
          <Skeleton active paragraph={{ rows: 10 }} />
        ) : (
          <BatchBody b={b} accountName={accountName} accounts={accounts} onChanged={changed} />
        )}
      </div>
    </Drawer>
  );
}

function BatchBody({
  b,
  accountName,
  accounts,
  onChanged,
}: {
  b: Batch;
  accountName: (id: string) => string | undefined;
  accounts: ChannelAccount[];
  onChanged: () => Promise<void>;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const can = useCan();
  const [params, setParams] = useSearchParams();
  const cls = (ITEM_CLASSES as readonly string[]).includes(params.get('class') ?? '')
    ? (params.get('class') as ItemClass)
    : undefined;
  const resolution = ['open', 'resolved'].includes(params.get('resolution') ?? '')
    ? (params.get('resolution') as 'open' | 'resolved')
    : undefined;
  const page = Math.max(1, Number(params.get('page')) || 1);
  const follow = (changes: Record<string, string | undefined>) => {
    const copy = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) copy.set(key, value);
      else copy.delete(key);
    }
    setParams(copy, { replace: true });
  };

  const download = async () => {
    try {
      await downloadFromApi(
        `/api/admin/reconciliation/batches/${b.id}/file`,
        b.fileName ?? `statement-${b.day}.csv`,
      );
    } catch (e) {
      message.error(errorText(e));
    }
  };

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      {b.state === 'failed' && b.failure && (
        <Alert type="error" showIcon message={t('reconciliation.failure')} description={b.failure} />
      )}
      <Space wrap>
        {can('reconciliation.operate') && (
          <RunDialog
            accounts={accounts}
            rerun
            initial={{ channelAccountId: b.channelAccountId, day: b.day }}
            onDone={() => void onChanged()}
          />
        )}
        <Button icon={<DownloadOutlined />} disabled={!b.fileName} onClick={() => void download()}>
          {b.fileName ? t('reconciliation.download') : t('reconciliation.noFile')}
        </Button>
      </Space>
      <Descriptions size="small" bordered column={{ xs: 1, sm: 2 }}>
        <Descriptions.Item label={t('reconciliation.account')}>
          {accountName(b.channelAccountId) ?? ''} <span className="qy-mono">#{b.channelAccountId}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('reconciliation.source')}>
          {t(`reconciliation.sources.${b.source}`)} · {t('reconciliation.runNo', { n: b.runNo })}
        </Descriptions.Item>
        <Descriptions.Item label={t('reconciliation.oursLong')}>
          {t('reconciliation.payments', { count: b.platform.paymentCount })} {yuan(b.platform.paymentAmount)}
          {' · '}
          {t('reconciliation.refunds', {
            count: b.platform.refundCount,
            amount: yuan(b.platform.refundAmount),
          })}
        </Descriptions.Item>
        <Descriptions.Item label={t('reconciliation.theirsLong')}>
          {t('reconciliation.payments', { count: b.channel.paymentCount })} {yuan(b.channel.paymentAmount)}
          {' · '}
          {t('reconciliation.refunds', {
            count: b.channel.refundCount,
            amount: yuan(b.channel.refundAmount),
          })}
        </Descriptions.Item>
        <Descriptions.Item label={t('reconciliation.tieOut')}>
          <TieOutTag tieOut={b.totalsTieOut} />
        </Descriptions.Item>
        <Descriptions.Item label={t('reconciliation.runAt')}>
          {dateTime(b.finishedAt ?? b.startedAt)}
        </Descriptions.Item>
      </Descriptions>

      <Typography.Title level={5} style={{ margin: 0 }}>
        {t('reconciliation.summary')}
      </Typography.Title>
      <div>
        <Table<{ key: SummaryClass }>
          size="small"
          pagination={false}
          rowKey="key"
          scroll={{ x: 640 }}
          data-testid="recon-summary"
          dataSource={SUMMARY_ROWS.map((key) => ({ key }))}
          columns={[
            {
              title: t('reconciliation.class'),
              key: 'class',
              width: 220,
              render: (_, r) => (
                <Space direction="vertical" size={0}>
                  <ClassTag cls={r.key} />
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t(`reconciliation.classHint.${r.key}`)}
                  </Typography.Text>
                </Space>
              ),
            },
            {
              title: t('reconciliation.side'),
              key: 'side',
              width: 140,
              render: (_, r) => t(`reconciliation.sideOf.${r.key}`),
            },
            {
              title: t('reconciliation.count'),
              key: 'count',
              align: 'right',
              width: 80,
              render: (_, r) => b.summary[r.key].count,
            },
            {
              title: t('reconciliation.amount'),
              key: 'amount',
              align: 'right',
              width: 120,
              render: (_, r) => yuan(b.summary[r.key].amount),
            },
          ]}
          footer={() => (
            <Space wrap size={16}>
              <Typography.Text type="secondary">
                {t('reconciliation.carriedOut', { count: b.summary.carriedOut })}
              </Typography.Text>
              <Typography.Text type="secondary">
                {t('reconciliation.carriedInMatched', { count: b.summary.carriedInMatched })}
              </Typography.Text>
              <Typography.Text type="secondary">
                {t('reconciliation.ignored', { count: b.summary.ignored })}
              </Typography.Text>
            </Space>
          )}
        />
      </div>

      <Space wrap>
        <Typography.Title level={5} style={{ margin: 0 }}>
          {t('reconciliation.items')}
        </Typography.Title>
        <Select<string>
          aria-label={t('reconciliation.class')}
          data-testid="recon-class-filter"
          style={{ minWidth: 180 }}
          value={cls ?? ''}
          onChange={(v) => follow({ class: v || undefined, page: undefined })}
          options={[
            { value: '', label: t('reconciliation.allClasses') },
            ...ITEM_CLASSES.map((c) => ({ value: c, label: t(`reconciliation.classes.${c}`) })),
          ]}
        />
        <Select<string>
          aria-label={t('reconciliation.resolution')}
          style={{ minWidth: 120 }}
          value={resolution ?? ''}
          onChange={(v) => follow({ resolution: v || undefined, page: undefined })}
          options={[
            { value: '', label: t('reconciliation.allResolutions') },
            { value: 'open', label: t('reconciliation.resolutions.open') },
            { value: 'resolved', label: t('reconciliation.resolutions.resolved') },
          ]}
        />
      </Space>
      <ItemTable
        batch={b}
        cls={cls}
        resolution={resolution}
        page={page}
        onPage={(p) => follow({ page: p > 1 ? String(p) : undefined })}
        onChanged={onChanged}
      />
    </Space>
  );
}
