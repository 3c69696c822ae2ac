import { ArrowDownOutlined } from '@ant-design/icons';
import { ProCard, StatisticCard } from '@ant-design/pro-components';
import { Col, Row, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ExportButton } from '../../shell/ExportButton.tsx';
import { ratio, yuan } from '../../shell/format.ts';
import { FiguresCell } from '../../shell/listTable.tsx';
import type { ExportColumn } from '../../shell/tableExport.ts';
import type { ChannelRate, DashboardToday, DashboardTop, OperatorDashboard, RateWindow } from '../types.ts';

/**
 * Today's figures as six cards in full rows: paid, net of refunds, orders, success rate, the
 * platform's net profit and the agents' commission.
 */
export function TodayCards({ today, loading }: { today: DashboardToday | undefined; loading: boolean }) {
  const { t } = useTranslation('operator');
  const cards: { key: string; title: string; value: string; description?: string; tip?: string }[] = [
    {
      key: 'paid',
      title: t('stats.paidAmount'),
      value: yuan(today?.paidAmount),
      description: today ? t('stats.refundedOf', { amount: yuan(today.refundedAmount) }) : undefined,
    },
    {
      key: 'net',
      title: t('stats.netAmount'),
      tip: t('stats.netAmountTip'),
      value: yuan(today?.netAmount),
    },
    {
      key: 'orders',
      title: t('stats.orderCount'),
      value: today ? today.orderCount.toLocaleString() : '-',
      description: today ? t('stats.paidCountOf', { count: today.paidCount }) : undefined,
    },
    {
      key: 'rate',
      title: t('stats.successRate'),
      tip: t('stats.successRateTip'),
      value: ratio(today?.successRate),
      description: today?.pendingCount ? t('stats.pendingOf', { count: today.pendingCount }) : undefined,
    },
    {
      key: 'profit',
      title: t('stats.netProfit'),
      tip: t('stats.netProfitTip'),
      value: yuan(today?.netProfit),
      description: today ? t('stats.profitOf', { amount: yuan(today.profit) }) : undefined,
    },
    {
      key: 'commission',
      title: t('stats.agentCommission'),
      tip: t('stats.agentCommissionTip'),
      value: yuan(today?.agentCommission),
      description: today ? t('stats.feeOf', { amount: yuan(today.fee) }) : undefined,
    },
  ];
  return (
    <div data-testid="stats-totals" className="qy-kpi">
      <div className="qy-kpi-grid qy-kpi-six">
        {cards.map((c) => (
          <div key={c.key} data-testid={`stats-total-${c.key}`}>
            <StatisticCard
              bordered
              loading={loading}
              statistic={{
                title: c.title,
                tip: c.tip,
                value: c.value,
                description: <Typography.Text type="secondary">{c.description ?? '\u00a0'}</Typography.Text>,
              }}
            />
          </div>
        ))}
      </div>
    </div>
  );
}

type TopKind = 'merchants' | 'channels' | 'agents';

/** The top five merchants, channel accounts and agents of today, side by side where they fit. */
export function TopLists({ top, loading }: { top: OperatorDashboard['top'] | undefined; loading: boolean }) {
  return (
    <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
      {(['merchants', 'channels', 'agents'] as const).map((kind) => (
        <Col key={kind} xs={24} lg={8}>
          <TopList kind={kind} rows={top?.[kind] ?? []} loading={loading} />
        </Col>
      ))}
    </Row>
  );
}

function TopList({ kind, rows, loading }: { kind: TopKind; rows: DashboardTop[]; loading: boolean }) {
  const { t } = useTranslation('operator');
  const who = t(`stats.top.${kind === 'merchants' ? 'merchant' : kind === 'channels' ? 'channel' : 'agent'}`);
  const agents = kind === 'agents';
  const lastTitle = agents ? t('stats.top.commission') : t('stats.netAmount');
  const last = (r: DashboardTop) => (agents ? r.commission : r.netAmount) ?? 0;
  const columns: ColumnsType<DashboardTop> = [
    { title: '#', key: 'rank', width: 36, render: (_, __, i) => i + 1 },
    {
      title: who,
      dataIndex: 'name',
      ellipsis: true,
      render: (name: string, r) => (
        <Space direction="vertical" size={0} style={{ maxWidth: '100%' }}>
          <Typography.Text ellipsis={{ tooltip: name || r.key }}>{name || r.key}</Typography.Text>
          {name && name !== r.key && (
            <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
              {r.key}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('stats.paidAmount'),
      dataIndex: 'paidAmount',
      align: 'right',
      width: 150,
      render: (v: number, r) => (
        <FiguresCell
          main={yuan(v)}
          figures={[
            { label: t('stats.paidCount'), value: r.paidCount },
            { label: lastTitle, value: yuan(last(r)) },
          ]}
        />
      ),
    },
  ];
  const exportColumns: ExportColumn<DashboardTop>[] = [
    { title: t('stats.top.rank'), value: (r) => rows.indexOf(r) + 1 },
    { title: who, value: (r) => r.name || r.key },
    { title: 'ID', value: (r) => r.key },
    { title: t('stats.paidAmount'), value: (r) => r.paidAmount, money: true },
    { title: t('stats.paidCount'), value: (r) => r.paidCount },
    { title: lastTitle, value: last, money: true },
  ];
  return (
    <ProCard
      title={t(`stats.top.${kind}`)}
      bordered
      headerBordered
      bodyStyle={{ padding: 0 }}
      extra={
        <ExportButton
          basename={`${t('stats.exportName')}-${kind}`}
          columns={exportColumns}
          rows={rows}
          testId={`export-top-${kind}`}
        />
      }
    >
      <div data-testid={`top-${kind}`}>
        <Table<DashboardTop>
          rowKey="key"
          size="small"
          loading={loading}
          columns={columns}
          dataSource={rows}
          pagination={false}
          tableLayout="fixed"
          locale={{ emptyText: <Typography.Text type="secondary">{t('stats.top.empty')}</Typography.Text> }}
        />
      </div>
    </ProCard>
  );
}

/**
 * Each channel account's success rate over the last 15 and 60 minutes. A falling rate is said in
 * words with an icon on a red tag, so it does not rest on colour alone; falling ones come first.
 */
export function ChannelRates({ rates, loading }: { rates: ChannelRate[] | undefined; loading: boolean }) {
  const { t } = useTranslation('operator');
  const rows = [...(rates ?? [])].sort(
    (a, b) => Number(b.falling) - Number(a.falling) || b.last60.orderCount - a.last60.orderCount,
  );
  const falling = rows.filter((r) => r.falling).length;
  const windowCell = (w: RateWindow, warn: boolean): ReactNode =>
    w.orderCount === 0 ? (
      <Typography.Text type="secondary">{t('stats.rates.noOrders')}</Typography.Text>
    ) : (
      <Space direction="vertical" size={0} style={{ width: '100%', textAlign: 'right' }}>
        <Typography.Text strong type={warn ? 'danger' : undefined}>
          {ratio(w.successRate, 1)}
        </Typography.Text>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('stats.rates.ordersOf', { paid: w.paidCount, count: w.orderCount })}
        </Typography.Text>
      </Space>
    );
  const columns: ColumnsType<ChannelRate> = [
    {
      title: t('stats.rates.account'),
      dataIndex: 'name',
      ellipsis: true,
      // The falling tag sits with the name, so a phone shows it without scrolling sideways.
      render: (name: string, r) => (
        <Space direction="vertical" size={2} style={{ maxWidth: '100%' }}>
          <Typography.Text ellipsis={{ tooltip: name }}>{name || r.channelAccountId}</Typography.Text>
          <Space size={6} wrap>
            <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
              {r.channelAccountId}
            </Typography.Text>
            {r.falling && (
              <Tooltip title={t('stats.rates.fallingHint')}>
                <Tag
                  color="error"
                  icon={<ArrowDownOutlined />}
                  data-testid={`rate-falling-${r.channelAccountId}`}
                >
                  {t('stats.rates.falling')}
                </Tag>
              </Tooltip>
            )}
          </Space>
        </Space>
      ),
    },
    {
      title: t('stats.rates.last15'),
      key: 'last15',
      align: 'right',
      width: 110,
      render: (_, r) => windowCell(r.last15, r.falling),
    },
    {
      title: t('stats.rates.last60'),
      key: 'last60',
      align: 'right',
      width: 110,
      render: (_, r) => windowCell(r.last60, false),
    },
  ];
  const exportColumns: ExportColumn<ChannelRate>[] = [
    { title: t('stats.rates.account'), value: (r) => r.name },
    { title: 'ID', value: (r) => r.channelAccountId },
    {
      title: `${t('stats.rates.last15')} ${t('stats.successRate')}`,
      value: (r) => ratio(r.last15.successRate),
    },
    { title: `${t('stats.rates.last15')} ${t('stats.orderCount')}`, value: (r) => r.last15.orderCount },
    { title: `${t('stats.rates.last15')} ${t('stats.paidCount')}`, value: (r) => r.last15.paidCount },
    {
      title: `${t('stats.rates.last60')} ${t('stats.successRate')}`,
      value: (r) => ratio(r.last60.successRate),
    },
    { title: `${t('stats.rates.last60')} ${t('stats.orderCount')}`, value: (r) => r.last60.orderCount },
    { title: `${t('stats.rates.last60')} ${t('stats.paidCount')}`, value: (r) => r.last60.paidCount },
    {
      title: t('stats.rates.trend'),
      value: (r) => (r.falling ? t('stats.rates.falling') : t('stats.rates.steady')),
    },
  ];
  return (
    <ProCard
      title={t('stats.rates.title')}
      subTitle={
        falling > 0 ? (
          <Typography.Text type="danger" data-testid="rates-falling-count">
            <ArrowDownOutlined /> {t('stats.rates.fallingCount', { count: falling })}
          </Typography.Text>
        ) : (
          t('stats.rates.subtitle')
        )
      }
      bordered
      headerBordered
      bodyStyle={{ padding: 0 }}
      extra={
        <ExportButton
          basename={`${t('stats.exportName')}-channel-rates`}
          columns={exportColumns}
          rows={rows}
          testId="export-channel-rates"
        />
      }
    >
      <div data-testid="channel-rates">
        <Table<ChannelRate>
          rowKey="channelAccountId"
          size="small"
          loading={loading}
          columns={columns}
          dataSource={rows}
          tableLayout="fixed"
          pagination={rows.length > 8 ? { pageSize: 8, showSizeChanger: false, size: 'small' } : false}
          locale={{ emptyText: <Typography.Text type="secondary">{t('stats.rates.empty')}</Typography.Text> }}
          scroll={{ x: 340 }}
        />
      </div>
    </ProCard>
  );
}
