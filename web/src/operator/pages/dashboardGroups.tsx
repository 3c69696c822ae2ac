import { ProCard } from '@ant-design/pro-components';
import { DatePicker, Progress, Segmented, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import { useCardTools } from '../../shell/cardTools.tsx';
import { ExportButton } from '../../shell/ExportButton.tsx';
import { ratio, yuan } from '../../shell/format.ts';
import { FiguresCell } from '../../shell/listTable.tsx';
import type { ExportColumn } from '../../shell/tableExport.ts';
import type { Figures, Stats, StatsGroup } from '../types.ts';
import type { Range } from './dashboardTrend.tsx';

type GroupRow = Stats['rows'][number];

/**
 * 分组统计: figures per merchant, product or channel account over a window (default today, whole
 * hours), with the totals as the last row; exported as the table shows it.
 */
export function GroupSection(props: {
  stats: Stats | undefined;
  loading: boolean;
  groupBy: StatsGroup;
  onGroupBy: (g: StatsGroup) => void;
  range: Range | null;
  onRange: (range: Range | null) => void;
}) {
  const { t } = useTranslation('operator');
  const { stats, groupBy } = props;
  const rows = stats?.rows ?? [];
  const presets = [
    { label: t('stats.today'), value: [dayjs(), dayjs()] as Range },
    {
      label: t('stats.yesterday'),
      value: [dayjs().subtract(1, 'day'), dayjs().subtract(1, 'day')] as Range,
    },
    { label: t('stats.last7'), value: [dayjs().subtract(6, 'day'), dayjs()] as Range },
    { label: t('stats.last30'), value: [dayjs().subtract(29, 'day'), dayjs()] as Range },
    { label: t('stats.thisMonth'), value: [dayjs().startOf('month'), dayjs()] as Range },
  ];
  const exportColumns: ExportColumn<GroupRow>[] = [
    { title: t(`stats.group.${groupBy}`), value: (r) => r.name || r.key },
    { title: 'ID', value: (r) => r.key },
    { title: t('stats.orderCount'), value: (r) => r.orderCount },
    { title: t('stats.paidCount'), value: (r) => r.paidCount },
    { title: t('stats.successRate'), value: (r) => ratio(r.successRate) },
    { title: t('stats.paidAmount'), value: (r) => r.paidAmount, money: true },
    { title: t('stats.refundedAmount'), value: (r) => r.refundedAmount ?? 0, money: true },
    { title: t('stats.netAmount'), value: (r) => r.netAmount ?? r.paidAmount, money: true },
    { title: t('stats.fee'), value: (r) => r.fee, money: true },
    { title: t('stats.channelCost'), value: (r) => r.channelCost, money: true },
    { title: t('stats.agentCommission'), value: (r) => r.agentCommission ?? 0, money: true },
    { title: t('stats.profit'), value: (r) => r.profit, money: true },
    { title: t('stats.netProfit'), value: (r) => r.netProfit ?? r.profit, money: true },
  ];
  const totalsRow: GroupRow | null = stats ? { key: '', name: t('stats.total'), ...stats.totals } : null;
  const window = stats
    ? t('stats.window', {
        from: dayjs(stats.from).format('YYYY-MM-DD HH:mm'),
        to: dayjs(stats.to).format('YYYY-MM-DD HH:mm'),
      })
    : '';
  const tools = useCardTools(
    <>
      <Segmented<StatsGroup>
        value={groupBy}
        onChange={props.onGroupBy}
        options={(['merchant', 'product', 'channel'] as const).map((g) => ({
          value: g,
          label: t(`stats.group.${g}`),
        }))}
      />
      <DatePicker.RangePicker
        allowClear
        value={props.range}
        presets={presets}
        placeholder={[t('stats.today'), t('stats.today')]}
        disabledDate={(d) => d.isAfter(dayjs(), 'day')}
        onChange={(v) => props.onRange(v?.[0] && v[1] ? [v[0], v[1]] : null)}
        aria-label={t('stats.range')}
      />
      <ExportButton
        basename={`${t('stats.exportName')}-${groupBy}-${dayjs(stats?.from).format('YYYYMMDDHH')}`}
        columns={exportColumns}
        rows={totalsRow && rows.length > 0 ? [...rows, totalsRow] : rows}
        testId="export-groups"
      />
    </>,
  );
  return (
    <ProCard
      style={{ marginTop: 16 }}
      bordered
      headerBordered
      title={t('stats.byGroup')}
      subTitle={
        stats && tools.wide ? (
          <Typography.Text type="secondary" data-testid="stats-window">
            {window}
          </Typography.Text>
        ) : undefined
      }
      extra={tools.extra}
    >
      {tools.top}
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginBottom: 8 }}>
        {t('stats.groupWindowHint')}
      </Typography.Paragraph>
      <GroupTable rows={rows} totals={stats?.totals} groupBy={groupBy} loading={props.loading} />
    </ProCard>
  );
}

function GroupTable(props: {
  rows: GroupRow[];
  totals: Figures | undefined;
  groupBy: StatsGroup;
  loading: boolean;
}) {
  const { t } = useTranslation('operator');
  const paidCell = (f: Figures) => (
    <FiguresCell
      main={yuan(f.paidAmount)}
      figures={[
        { label: t('stats.refundedAmount'), value: yuan(f.refundedAmount ?? 0) },
        { label: t('stats.netAmount'), value: yuan(f.netAmount ?? f.paidAmount) },
      ]}
    />
  );
  const countCell = (f: Figures) => (
    <FiguresCell main={f.orderCount} figures={[{ label: t('stats.paidCount'), value: f.paidCount }]} />
  );
  const feeCell = (f: Figures) => (
    <FiguresCell
      main={yuan(f.fee)}
      figures={[{ label: t('stats.channelCost'), value: yuan(f.channelCost) }]}
    />
  );
  const profitCell = (f: Figures) => (
    <FiguresCell
      main={yuan(f.netProfit ?? f.profit)}
      figures={[
        { label: t('stats.profit'), value: yuan(f.profit) },
        { label: t('stats.agentCommission'), value: yuan(f.agentCommission ?? 0) },
      ]}
    />
  );
  const rateCell = (v: number) => (
    <Progress
      aria-label={t('stats.successRate')}
      percent={Math.round(v * 1000) / 10}
      size="small"
      status={v < 0.5 ? 'exception' : 'normal'}
      format={() => ratio(v, 1)}
    />
  );
  const columns: ColumnsType<GroupRow> = [
    {
      title: t(`stats.group.${props.groupBy}`),
      dataIndex: 'name',
      width: 200,
      render: (name: string, r) => (
        <span>
          {name || r.key}
          {name && name !== r.key && (
            <Typography.Text type="secondary" style={{ marginLeft: 6, fontSize: 12 }}>
              {r.key}
            </Typography.Text>
          )}
        </span>
      ),
    },
    {
      title: t('stats.orderCount'),
      dataIndex: 'orderCount',
      align: 'right',
      width: 100,
      sorter: (a, b) => a.orderCount - b.orderCount,
      render: (_, r) => countCell(r),
    },
    {
      title: t('stats.successRate'),
      dataIndex: 'successRate',
      width: 150,
      sorter: (a, b) => a.successRate - b.successRate,
      render: rateCell,
    },
    {
      title: t('stats.paidAmount'),
      dataIndex: 'paidAmount',
      align: 'right',
      width: 180,
      defaultSortOrder: 'descend',
      sorter: (a, b) => a.paidAmount - b.paidAmount,
      render: (_, r) => paidCell(r),
    },
    {
      title: t('stats.fee'),
      dataIndex: 'fee',
      align: 'right',
      width: 140,
      sorter: (a, b) => a.fee - b.fee,
      render: (_, r) => feeCell(r),
    },
    {
      title: t('stats.netProfit'),
      dataIndex: 'netProfit',
      align: 'right',
      width: 180,
      sorter: (a, b) => (a.netProfit ?? a.profit) - (b.netProfit ?? b.profit),
      render: (_, r) => profitCell(r),
    },
  ];
  const totals = props.totals;
  return (
    <div data-testid="stats-table">
      <Table<GroupRow>
        rowKey="key"
        size="middle"
        loading={props.loading}
        columns={columns}
        dataSource={props.rows}
        pagination={props.rows.length > 20 ? { pageSize: 20, showSizeChanger: false } : false}
        scroll={{ x: 950 }}
        summary={() =>
          totals && props.rows.length > 0 ? (
            <Table.Summary.Row style={{ background: '#fafafa', fontWeight: 600 }}>
              <Table.Summary.Cell index={0}>{t('stats.total')}</Table.Summary.Cell>
              <Table.Summary.Cell index={1} align="right">
                {countCell(totals)}
              </Table.Summary.Cell>
              <Table.Summary.Cell index={2}>{ratio(totals.successRate)}</Table.Summary.Cell>
              <Table.Summary.Cell index={3} align="right">
                {paidCell(totals)}
              </Table.Summary.Cell>
              <Table.Summary.Cell index={4} align="right">
                {feeCell(totals)}
              </Table.Summary.Cell>
              <Table.Summary.Cell index={5} align="right">
                {profitCell(totals)}
              </Table.Summary.Cell>
            </Table.Summary.Row>
          ) : null
        }
      />
    </div>
  );
}
