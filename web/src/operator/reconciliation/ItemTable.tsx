import { CheckOutlined } from '@ant-design/icons';
import { ModalForm, ProFormTextArea } from '@ant-design/pro-components';
import { App, Button, Descriptions, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, qs } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { dateTime, yuan } from '../../shell/format.ts';
import { FiguresCell, widthOf } from '../../shell/listTable.tsx';
import { ServerExportButton } from '../../shell/ServerExportButton.tsx';
import { useCan } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import type { ListPage } from '../../shell/tablePage.ts';
import { useApi } from '../../shell/useApi.ts';
import { CompletionDialog } from '../CompletionDialog.tsx';
import { ClassTag } from './parts.tsx';
import type { Batch, Item, ItemClass } from './types.ts';

const PAGE_SIZE = 20;

/** Our state in the glossary's words when it is an order's or refund's, else as the channel wrote it. */
function useStateWord() {
  const { t } = useTranslation(['operator', 'common']);
  return (i: Item, state: string | null) => {
    if (!state) return '-';
    const key = i.kind === 'refund' ? 'refundState' : 'orderState';
    return t(`glossary:${key}.${state}`, { defaultValue: state });
  };
}

/** A batch's differences, one page at a time, with what can be done about each. */
export function ItemTable({
  batch,
  cls,
  resolution,
  page,
  onPage,
  onChanged,
}: {
  batch: Batch;
  cls: ItemClass | undefined;
  resolution: 'open' | 'resolved' | undefined;
  page: number;
  onPage: (page: number) => void;
  onChanged: () => Promise<void>;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const can = useCan();
  const operate = can('reconciliation.operate');
  const stateWord = useStateWord();
  const items = useApi<ListPage<Item>>(
    `/api/admin/reconciliation/batches/${batch.id}/items${qs({ class: cls, resolution, page, pageSize: PAGE_SIZE })}`,
  );
  const rows = items.data?.items ?? [];
  const changed = async () => {
    await items.reload();
    await onChanged();
  };

  const columns: ColumnsType<Item> = [
    {
      title: t('reconciliation.number'),
      key: 'number',
      fixed: 'left',
      width: 230,
      render: (_, i) => (
        <TwoLineCell secondary={i.channelTradeNo} secondaryTip={t('reconciliation.channelTradeNo')}>
          <Space size={4} wrap>
            <Typography.Text copyable className="qy-mono">
              {i.refundNo ?? i.orderNo ?? '-'}
            </Typography.Text>
            <Tag bordered={false}>{t(`reconciliation.kind.${i.kind}`)}</Tag>
          </Space>
        </TwoLineCell>
      ),
    },
    {
      title: t('reconciliation.class'),
      key: 'class',
      width: 150,
      render: (_, i) => (
        <Space direction="vertical" size={0}>
          <ClassTag cls={i.class} />
          {i.carriedFromDay && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('reconciliation.carriedFrom', { day: i.carriedFromDay })}
            </Typography.Text>
          )}
          {i.carryState && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t(`reconciliation.carryState.${i.carryState}`)}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('reconciliation.ourSide'),
      key: 'ours',
      align: 'right',
      width: 170,
      render: (_, i) => (
        <FiguresCell
          main={yuan(i.ours.amount)}
          figures={[
            { label: stateWord(i, i.ours.state), value: '' },
            i.ours.fee !== null && { label: t('glossary:cost'), value: yuan(i.ours.fee) },
          ]}
        />
      ),
    },
    {
      title: t('reconciliation.channelSide'),
      key: 'channel',
      align: 'right',
      width: 170,
      render: (_, i) => (
        <FiguresCell
          main={yuan(i.channel.amount)}
          figures={[
            { label: i.channel.status ?? '-', value: '' },
            i.channel.fee !== null && { label: t('glossary:fee'), value: yuan(i.channel.fee) },
          ]}
        />
      ),
    },
    {
      title: t('reconciliation.resolution'),
      key: 'resolution',
      width: 170,
      render: (_, i) => (
        <Space
          direction="vertical"
          size={0}
          data-testid={`recon-item-${i.id}`}
          data-resolution={i.resolution}
        >
          <Tag color={i.resolution === 'resolved' ? 'success' : 'warning'} bordered={false}>
            {t(`reconciliation.resolutions.${i.resolution}`)}
          </Tag>
          {i.resolutionNote && (
            <Typography.Text
              type="secondary"
              style={{ fontSize: 12 }}
              ellipsis={{ tooltip: i.resolutionNote }}
            >
              {t('reconciliation.resolvedBy', { at: dateTime(i.resolvedAt), note: i.resolutionNote })}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('reconciliation.actions'),
      key: 'actions',
      width: 170,
      render: (_, i) => (
        <Space wrap size={4}>
          {i.orderNo && (
            <Link
              to={`/operator/orders?order=${encodeURIComponent(i.orderNo)}`}
              aria-label={t('reconciliation.openOrderLabel', { orderNo: i.orderNo })}
            >
              {t('reconciliation.openOrder')}
            </Link>
          )}
          {operate &&
            i.resolution === 'open' &&
            i.class === 'channel_only' &&
            i.kind === 'payment' &&
            i.orderNo && <CompleteItem item={i} onDone={changed} />}
          {operate && i.resolution === 'open' && <ResolveItem item={i} onDone={changed} />}
        </Space>
      ),
    },
  ];

  return (
    <Space direction="vertical" size={8} style={{ width: '100%' }}>
      <ServerExportButton
        size="small"
        path={`/api/admin/reconciliation/batches/${batch.id}/items/export`}
        // Every item of the class and resolution chosen (all classes when none), not only this page.
        params={() => ({ class: cls, resolution })}
        testId="recon-export"
      />
      <ErrorAlert error={items.error} />
      <Table<Item>
        size="small"
        rowKey="id"
        data-testid="recon-items"
        loading={items.loading}
        columns={columns}
        dataSource={rows}
        scroll={{ x: widthOf(columns as { width?: number }[]) }}
        locale={{ emptyText: t('reconciliation.none') }}
        pagination={{
          current: page,
          pageSize: PAGE_SIZE,
          total: items.data?.total ?? 0,
          showSizeChanger: false,
          onChange: onPage,
        }}
      />
    </Space>
  );
}

function ResolveItem({ item, onDone }: { item: Item; onDone: () => Promise<void> }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  return (
    <ModalForm<{ note?: string }>
      title={t('reconciliation.resolveTitle')}
      width={480}
      modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
      trigger={
        <Button size="small" icon={<CheckOutlined />}>
          {t('reconciliation.resolve')}
        </Button>
      }
      onFinish={async (v) => {
        setError(null);
        try {
          await api.post(`/api/admin/reconciliation/items/${item.id}/resolve`, {
            note: (v.note ?? '').trim(),
          });
          message.success(t('reconciliation.resolved'));
          await onDone();
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <ItemFacts item={item} />
      <ErrorAlert error={error} />
      <ProFormTextArea
        name="note"
        label={t('reconciliation.note')}
        placeholder={t('reconciliation.notePlaceholder')}
        fieldProps={{ rows: 3, showCount: true, maxLength: 500, autoFocus: true }}
        rules={[{ required: true, whitespace: true, message: t('reconciliation.noteRequired') }]}
      />
    </ModalForm>
  );
}

function ItemFacts({ item }: { item: Item }) {
  const { t } = useTranslation(['operator', 'common']);
  const stateWord = useStateWord();
  return (
    <Descriptions size="small" column={1} style={{ marginBottom: 16 }}>
      <Descriptions.Item label={t('reconciliation.class')}>
        <ClassTag cls={item.class} /> {t(`reconciliation.classHint.${item.class}`)}
      </Descriptions.Item>
      <Descriptions.Item label={t('reconciliation.number')}>
        <span className="qy-mono">{item.refundNo ?? item.orderNo ?? '-'}</span>
      </Descriptions.Item>
      <Descriptions.Item label={t('reconciliation.ourSide')}>
        {yuan(item.ours.amount)} · {stateWord(item, item.ours.state)}
      </Descriptions.Item>
      <Descriptions.Item label={t('reconciliation.channelSide')}>
        {yuan(item.channel.amount)} · {item.channel.status ?? '-'}
      </Descriptions.Item>
    </Descriptions>
  );
}

/** 补单 of a payment the channel took and we have unpaid: the route checks the password itself. */
function CompleteItem({ item, onDone }: { item: Item; onDone: () => Promise<void> }) {
  const { t } = useTranslation(['operator', 'common']);
  return (
    <CompletionDialog
      title={t('reconciliation.completeTitle', { orderNo: item.orderNo })}
      amount={yuan(item.ours.amount ?? item.channel.amount)}
      details={<ItemFacts item={item} />}
      submit={(completionPassword, remark) =>
        api.post(`/api/admin/reconciliation/items/${item.id}/complete`, { completionPassword, remark })
      }
      onDone={onDone}
      button={{ size: 'small' }}
    />
  );
}
