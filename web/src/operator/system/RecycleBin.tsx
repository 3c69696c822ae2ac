import { type ActionType, type ProColumns, ProTable } from '@ant-design/pro-components';
import { App, Popconfirm, Space, Tag, Tooltip, Typography } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../../api.ts';
import { errorText } from '../../shell/errors.ts';
import { dateTime } from '../../shell/format.ts';
import { RowAction, remembered, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { useCan } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { useRequestError } from '../../shell/useRequestError.ts';

const BASE = '/api/admin/recycle-bin';
export const RECYCLE_TYPES = [
  'merchant',
  'app',
  'product',
  'channel',
  'channel_account',
  'collect_code',
  'user',
] as const;
type RecycleType = (typeof RECYCLE_TYPES)[number];

interface BinItem {
  type: RecycleType;
  id: string;
  key: string;
  name: string;
  owner: string;
  area: string | null;
  deletedAt: string;
  deletedBy: { id: string; username: string } | null;
  purgeAfter: string;
}

interface Bin {
  total: number;
  retentionDays: number;
  items: BinItem[];
}

/** 回收站: what was deleted, by whom and when; restore it as it was, or (super admins) purge it now. */
export function RecycleBinPage() {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const onRequestError = useRequestError();
  const can = useCan();
  const restorer = can('recycle.restore');
  // Purging is for super admins only (the server checks it too): a role with every permission.
  const superAdmin = can('*');
  const actionRef = useRef<ActionType>(null);
  const [days, setDays] = useState<number | null>(null);
  const typeEnum = Object.fromEntries(RECYCLE_TYPES.map((k) => [k, { text: t(`recycle.types.${k}`) }]));
  const label = (r: BinItem) => r.name || r.key;

  const act = async (r: BinItem, kind: 'restore' | 'purge') => {
    const path = `${BASE}/${r.type}/${encodeURIComponent(r.id)}`;
    try {
      if (kind === 'restore') await api.post(`${path}/restore`, {});
      else await api.del(path);
      message.success(t(kind === 'restore' ? 'recycle.restored' : 'recycle.purged', { name: label(r) }));
      actionRef.current?.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const columns: ProColumns<BinItem>[] = [
    {
      title: t('recycle.object'),
      dataIndex: 'object',
      search: false,
      width: 260,
      render: (_, r) => (
        <TwoLineCell
          secondary={r.key}
          secondaryTip={t(`recycle.types.${r.type}`)}
          time={r.deletedAt}
          timeTip={t('recycle.deletedAt')}
        >
          <Typography.Text strong data-testid="recycle-name">
            {label(r)}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('recycle.type'),
      dataIndex: 'type',
      valueType: 'select',
      valueEnum: typeEnum,
      fieldProps: { placeholder: t('recycle.typePlaceholder') },
      width: 150,
      render: (_, r) => (
        <Space direction="vertical" size={0}>
          <Tag bordered={false}>{t(`recycle.types.${r.type}`)}</Tag>
          {r.area && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t(`recycle.area.${r.area}`, { defaultValue: r.area })}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('recycle.owner'),
      dataIndex: 'owner',
      search: false,
      width: 160,
      render: (_, r) => <span className="qy-mono">{r.owner || t('recycle.none')}</span>,
    },
    {
      title: t('recycle.deletedBy'),
      dataIndex: 'deletedBy',
      search: false,
      width: 160,
      render: (_, r) => r.deletedBy?.username || t('recycle.none'),
    },
    {
      title: <Tooltip title={t('recycle.purgeAfterTip')}>{t('recycle.purgeAfter')}</Tooltip>,
      dataIndex: 'purgeAfter',
      search: false,
      width: 170,
      render: (_, r) => dateTime(r.purgeAfter),
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      search: false,
      width: 180,
      hideInTable: !restorer && !superAdmin,
      render: (_, r) => (
        <Space size={12} wrap>
          {restorer && (
            <Popconfirm
              title={t('recycle.restoreConfirm', { name: label(r) })}
              onConfirm={() => act(r, 'restore')}
            >
              <RowAction data-testid="recycle-restore">{t('recycle.restore')}</RowAction>
            </Popconfirm>
          )}
          {superAdmin && (
            <Popconfirm
              title={t('recycle.purgeConfirm', { name: label(r) })}
              okButtonProps={{ danger: true }}
              onConfirm={() => act(r, 'purge')}
            >
              <RowAction danger>{t('recycle.purge')}</RowAction>
            </Popconfirm>
          )}
        </Space>
      ),
    },
  ];

  return (
    <Page title={t('recycle.title')} subTitle={t('recycle.subtitle', { days: days ?? 30 })}>
      <div data-testid="recycle-table">
        <ProTable<BinItem>
          rowKey={(r) => `${r.type}:${r.id}`}
          actionRef={actionRef}
          columns={columns}
          cardBordered
          scroll={{ x: widthOf(columns) }}
          columnsState={remembered('operator.recycleBin')}
          size="middle"
          search={{
            labelWidth: 'auto',
            defaultCollapsed: false,
            span: { xs: 24, sm: 12, md: 8, lg: 8, xl: 6, xxl: 6 },
          }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [20, 50, 100] }}
          options={{ density: true, setting: true, reload: true, fullScreen: true }}
          onRequestError={onRequestError}
          request={async (p) => {
            const pageSize = p.pageSize ?? 20;
            const answer = await api.get<Bin>(
              `${BASE}${qs({ type: p.type, limit: pageSize, offset: ((p.current ?? 1) - 1) * pageSize })}`,
            );
            setDays(answer.retentionDays);
            return { data: answer.items, total: answer.total, success: true };
          }}
        />
      </div>
    </Page>
  );
}
