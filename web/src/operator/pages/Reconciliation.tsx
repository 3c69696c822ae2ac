import { type ActionType, type ProColumns, ProTable } from '@ant-design/pro-components';
import { Space, Tag, Tooltip, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api } from '../../api.ts';
import { yuan } from '../../shell/format.ts';
import { dayRangeSearch, FiguresCell, remembered, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { openableRow } from '../../shell/rowClick.ts';
import { useCan } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { useRequestError } from '../../shell/useRequestError.ts';
import { fetchFinancePage } from '../finance.tsx';
import { BatchDrawer } from '../reconciliation/BatchDrawer.tsx';
import { RunDialog, UploadDialog } from '../reconciliation/BatchForms.tsx';
import { BatchStateTag, TieOutTag } from '../reconciliation/parts.tsx';
import { BATCH_STATES, type Batch, discrepancyCount } from '../reconciliation/types.ts';
import type { ChannelAccount } from '../types.ts';

/**
 * 对账: a batch per channel account and day — both sides' counts and amounts, the differences, whether
 * the file's own totals tie out — run again or from an uploaded file; a batch opens from its address
 * (`?batch=<id>`, with its class, handling and page), so a link restores what was looked at.
 */
export function ReconciliationPage() {
  const { t } = useTranslation(['operator', 'common']);
  const onRequestError = useRequestError();
  const can = useCan();
  const operate = can('reconciliation.operate');
  const [params, setParams] = useSearchParams();
  const actionRef = useRef<ActionType>(null);
  const [accounts, setAccounts] = useState<ChannelAccount[]>([]);
  const open = params.get('batch');

  // The accounts' names come from the catalog; a role without it sees the accounts' ids.
  const catalog = can('catalog.read');
  useEffect(() => {
    if (!catalog) return;
    api.get<ChannelAccount[]>('/api/admin/channel-accounts').then(setAccounts, () => undefined);
  }, [catalog]);
  const nameOf = (id: string) => accounts.find((a) => a.id === id)?.name;

  const setOpen = (batchId: string | null) => {
    const copy = new URLSearchParams(params);
    for (const key of ['batch', 'class', 'resolution', 'page']) copy.delete(key);
    if (batchId) copy.set('batch', batchId);
    setParams(copy, { replace: !batchId });
  };
  const ran = (batch: Batch) => {
    actionRef.current?.reload();
    setOpen(batch.id);
  };

  const columns: ProColumns<Batch>[] = [
    {
      title: t('reconciliation.day'),
      dataIndex: 'day',
      search: false,
      fixed: 'left',
      width: 150,
      render: (_, b) => (
        <TwoLineCell time={b.finishedAt ?? b.startedAt} timeTip={t('reconciliation.runAt')}>
          <Typography.Text strong className="qy-mono">
            {b.day}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('reconciliation.account'),
      dataIndex: 'channelAccountId',
      valueType: 'select',
      fieldProps: {
        showSearch: true,
        options: accounts.map((a) => ({ value: a.id, label: `${a.name} (#${a.id})` })),
      },
      width: 180,
      render: (_, b) => (
        <TwoLineCell secondary={`#${b.channelAccountId}`}>
          {nameOf(b.channelAccountId) ?? `#${b.channelAccountId}`}
        </TwoLineCell>
      ),
    },
    {
      title: t('reconciliation.state'),
      dataIndex: 'state',
      valueType: 'select',
      valueEnum: Object.fromEntries(BATCH_STATES.map((s) => [s, { text: t(`reconciliation.states.${s}`) }])),
      width: 110,
      render: (_, b) => (
        <Space direction="vertical" size={0}>
          <BatchStateTag state={b.state} />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t(`reconciliation.sources.${b.source}`)}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: <Tooltip title={t('reconciliation.oursLong')}>{t('reconciliation.ours')}</Tooltip>,
      key: 'platform',
      search: false,
      align: 'right',
      width: 170,
      render: (_, b) => (
        <FiguresCell
          main={yuan(b.platform.paymentAmount)}
          figures={[
            { label: t('reconciliation.payments', { count: b.platform.paymentCount }), value: '' },
            b.platform.refundCount > 0 && {
              label: t('reconciliation.refunds', {
                count: b.platform.refundCount,
                amount: yuan(b.platform.refundAmount),
              }),
              value: '',
            },
          ]}
        />
      ),
    },
    {
      title: <Tooltip title={t('reconciliation.theirsLong')}>{t('reconciliation.theirs')}</Tooltip>,
      key: 'channel',
      search: false,
      align: 'right',
      width: 170,
      render: (_, b) => (
        <FiguresCell
          main={yuan(b.channel.paymentAmount)}
          figures={[
            { label: t('reconciliation.payments', { count: b.channel.paymentCount }), value: '' },
            b.channel.refundCount > 0 && {
              label: t('reconciliation.refunds', {
                count: b.channel.refundCount,
                amount: yuan(b.channel.refundAmount),
              }),
              value: '',
            },
          ]}
        />
      ),
    },
    {
      title: (
        <Tooltip title={t('reconciliation.discrepancyHint')}>{t('reconciliation.discrepancies')}</Tooltip>
      ),
      key: 'discrepancies',
      search: false,
      align: 'right',
      width: 100,
      render: (_, b) => {
        const n = discrepancyCount(b);
        return n > 0 ? (
          <Tag color="red" bordered={false} data-testid="recon-discrepancies">
            {n}
          </Tag>
        ) : (
          <Typography.Text type="secondary">0</Typography.Text>
        );
      },
    },
    {
      title: t('reconciliation.tieOut'),
      key: 'tieOut',
      search: false,
      width: 120,
      render: (_, b) => <TieOutTag tieOut={b.totalsTieOut} />,
    },
    dayRangeSearch(t('reconciliation.day'), 'range'),
  ];

  return (
    <Page
      title={t('reconciliation.title')}
      subTitle={t('reconciliation.subtitle')}
      extra={
        operate ? (
          <Space wrap>
            <RunDialog accounts={accounts} onDone={ran} />
            <UploadDialog accounts={accounts} onDone={ran} />
          </Space>
        ) : undefined
      }
    >
      <div data-testid="recon-batches">
        <ProTable<Batch>
          rowKey="id"
          actionRef={actionRef}
          columns={columns}
          cardBordered
          scroll={{ x: widthOf(columns) }}
          columnsState={remembered('operator.reconciliation')}
          size="middle"
          search={{
            labelWidth: 'auto',
            defaultCollapsed: false,
            span: { xs: 24, sm: 12, md: 8, lg: 8, xl: 6, xxl: 6 },
          }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [20, 50, 100] }}
          options={{ density: true, setting: true, reload: true, fullScreen: true }}
          onRow={(b) => openableRow(() => setOpen(b.id), t('reconciliation.detail', { day: b.day }))}
          onRequestError={onRequestError}
          request={(p) =>
            fetchFinancePage<Batch>(
              '/api/admin/reconciliation/batches',
              { channelAccountId: p.channelAccountId, state: p.state, from: p.from, to: p.to },
              p,
            )
          }
        />
      </div>
      <BatchDrawer
        batchId={open}
        accountName={nameOf}
        accounts={accounts}
        onClose={() => setOpen(null)}
        onChanged={() => actionRef.current?.reload()}
      />
    </Page>
  );
}
