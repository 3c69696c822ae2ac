import { ReloadOutlined } from '@ant-design/icons';
import { ProCard, StatisticCard } from '@ant-design/pro-components';
import {
  Button,
  Col,
  DatePicker,
  Empty,
  Progress,
  Row,
  Segmented,
  Space,
  Switch,
  Table,
  Tooltip,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import dayjs, { type Dayjs } from 'dayjs';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../../api.ts';
import { amountCountOption, Chart, type ChartOption } from '../../shell/Chart.tsx';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { ratio, time, yuan } from '../../shell/format.ts';
import { Page } from '../../shell/Page.tsx';
import { TestDataHint, TestDataSwitch, TestDataTag, useTestData } from '../../shell/TestData.tsx';
import { useInterval } from '../../shell/useApi.ts';
import type { Figures, Stats, StatsGroup } from '../types.ts';

const REFRESH_MS = 10_000;
type Range = [Dayjs, Dayjs];
type GroupRow = Stats['rows'][number];

/** The window sent to the server: the platform's calendar days, `to` included; none = today. */
function windowOf(range: Range | null): { from?: string; to?: string } {
  if (!range) return {};
  return { from: range[0].format('YYYY-MM-DD'), to: range[1].format('YYYY-MM-DD') };
}

/**
 * 数据统计: totals, the trend and a table per merchant / product / channel, refreshed every 10 s.
 * Test orders count only with the "include test orders" switch (on by default in the demo,
 * remembered once chosen); while they are left out, a hint says how many there are.
 */
export function DashboardPage() {
  const { t } = useTranslation(['operator', 'common']);
  const [groupBy, setGroupBy] = useState<StatsGroup>('merchant');
  const [range, setRange] = useState<Range | null>(null);
  const [live, setLive] = useState(true);
  const [answer, setAnswer] = useState<Stats | null>(null);
  const testData = useTestData();
  const { includeTest } = testData;
  const stats = testData.current(answer) ?? null;
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [refreshedAt, setRefreshedAt] = useState<Date | null>(null);
  const sequence = useRef(0);

  const load = useCallback(async () => {
    const mine = ++sequence.current;
    setLoading(true);
    try {
      const answer = await api.get<Stats>(
        `/api/admin/stats${qs({ groupBy, includeTest, ...windowOf(range) })}`,
      );
      if (mine !== sequence.current) return;
      setAnswer(answer);
      setError(null);
      setRefreshedAt(new Date());
    } catch (e) {
      if (mine === sequence.current) setError(e);
    } finally {
      if (mine === sequence.current) setLoading(false);
    }
  }, [groupBy, range, includeTest]);

  useEffect(() => {
    void load();
  }, [load]);
  useInterval(load, REFRESH_MS, live);

  const presets = useMemo(
    () => [
      { label: t('stats.today'), value: [dayjs(), dayjs()] as Range },
      {
        label: t('stats.yesterday'),
        value: [dayjs().subtract(1, 'day'), dayjs().subtract(1, 'day')] as Range,
      },
      { label: t('stats.last7'), value: [dayjs().subtract(6, 'day'), dayjs()] as Range },
      { label: t('stats.last30'), value: [dayjs().subtract(29, 'day'), dayjs()] as Range },
      { label: t('stats.thisMonth'), value: [dayjs().startOf('month'), dayjs()] as Range },
    ],
    [t],
  );

  return (
    <Page
      title={t('stats.title')}
      subTitle={t('stats.subtitle')}
      tags={stats?.includesTest ? <TestDataTag /> : undefined}
      extra={[
        <TestDataSwitch key="test-data" checked={testData.show} onChange={testData.choose} />,
        <DatePicker.RangePicker
          key="range"
          allowClear
          value={range}
          presets={presets}
          placeholder={[t('stats.today'), t('stats.today')]}
          disabledDate={(d) => d.isAfter(dayjs(), 'day')}
          onChange={(v) => setRange(v?.[0] && v[1] ? [v[0], v[1]] : null)}
          aria-label={t('stats.range')}
        />,
        <Space key="live" size={8}>
          <Switch checked={live} onChange={setLive} aria-label={t('common:common.autoRefresh')} />
          <Typography.Text type="secondary">
            {live ? t('stats.every10s') : t('common:common.paused')}
          </Typography.Text>
        </Space>,
        <Tooltip key="refresh" title={t('common:actions.refresh')}>
          <Button
            icon={<ReloadOutlined spin={loading} />}
            onClick={() => void load()}
            aria-label={t('common:actions.refresh')}
          />
        </Tooltip>,
      ]}
      content={
        <Typography.Text type="secondary" data-testid="stats-refreshed-at">
          {refreshedAt
            ? t('common:common.refreshedAt', { time: time(refreshedAt) })
            : t('common:app.loading')}
          {stats &&
            ` · ${t('stats.window', { from: dayjs(stats.from).format('YYYY-MM-DD HH:mm'), to: dayjs(stats.to).format('YYYY-MM-DD HH:mm') })}`}
        </Typography.Text>
      }
    >
      <ErrorAlert error={error} />
      <TestDataHint answer={stats} onInclude={() => testData.choose(true)} />
      <Totals figures={stats?.totals} loading={!stats && (loading || !!answer)} />
      <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
        <Col xs={24} xl={16}>
          <ProCard title={t('stats.trend')} bordered headerBordered>
            <TrendChart
              series={stats?.series ?? []}
              multiDay={!!range && !range[0].isSame(range[1], 'day')}
            />
          </ProCard>
        </Col>
        <Col xs={24} xl={8}>
          <ProCard title={t('stats.share', { group: t(`stats.group.${groupBy}`) })} bordered headerBordered>
            <ShareChart rows={stats?.rows ?? []} />
          </ProCard>
        </Col>
      </Row>
      <ProCard
        style={{ marginTop: 16 }}
        bordered
        headerBordered
        title={t('stats.byGroup')}
        extra={
          <Segmented<StatsGroup>
            value={groupBy}
            onChange={setGroupBy}
            options={(['merchant', 'product', 'channel'] as const).map((g) => ({
              value: g,
              label: t(`stats.group.${g}`),
            }))}
          />
        }
      >
        <GroupTable
          rows={stats?.rows ?? []}
          totals={stats?.totals}
          groupBy={groupBy}
          loading={loading && !stats}
        />
      </ProCard>
    </Page>
  );
}

function Totals({ figures, loading }: { figures: Figures | undefined; loading: boolean }) {
  const { t } = useTranslation('operator');
  const cards: { key: string; title: string; value: string; description?: string; tip?: string }[] = [
    {
      key: 'orders',
      title: t('stats.orderCount'),
      value: figures ? figures.orderCount.toLocaleString() : '-',
      description: figures ? t('stats.paidCountOf', { count: figures.paidCount }) : undefined,
    },
    { key: 'paid', title: t('stats.paidAmount'), value: yuan(figures?.paidAmount) },
    {
      key: 'rate',
      title: t('stats.successRate'),
      value: ratio(figures?.successRate),
      tip: t('stats.successRateTip'),
      description: figures?.pendingCount ? t('stats.pendingOf', { count: figures.pendingCount }) : undefined,
    },
    {
      key: 'fee',
      title: t('stats.fee'),
      value: yuan(figures?.fee),
      description: `${t('stats.channelCost')} ${yuan(figures?.channelCost)}`,
    },
    { key: 'profit', title: t('stats.profit'), value: yuan(figures?.profit) },
  ];
  return (
    <div data-testid="stats-totals" className="qy-kpi">
      <div className="qy-kpi-grid">
        {cards.map((c) => (
          <div key={c.key} data-testid={`stats-total-${c.key}`}>
            <StatisticCard
              bordered
              loading={loading}
              statistic={{
                title: c.title,
                tip: c.tip,
                value: c.value,
                description: c.description ? (
                  <Typography.Text type="secondary">{c.description}</Typography.Text>
                ) : (
                  <Typography.Text type="secondary">&nbsp;</Typography.Text>
                ),
              }}
            />
          </div>
        ))}
      </div>
    </div>
  );
}

function TrendChart({ series, multiDay }: { series: Stats['series']; multiDay: boolean }) {
  const { t } = useTranslation('operator');
  const option = useMemo<ChartOption>(() => {
    const label = (bucket: string) => {
      const d = dayjs(bucket);
      if (!d.isValid()) return bucket;
      return multiDay ? d.format(series.length > 48 ? 'MM-DD HH:mm' : 'MM-DD') : d.format('HH:mm');
    };
    return amountCountOption({
      categories: series.map((s) => label(s.bucket)),
      amountsMinor: series.map((s) => s.paidAmount),
      counts: series.map((s) => s.paidCount),
      names: {
        amount: t('stats.paidAmountYuan'),
        count: t('stats.paidCount'),
        yAmount: t('stats.yuanUnit'),
        yCount: t('stats.countUnit'),
      },
      formatAmount: (minor) => yuan(minor),
    });
  }, [series, multiDay, t]);
  if (series.length === 0)
    return <Empty style={{ height: 300, paddingTop: 90 }} description={t('stats.noData')} />;
  return (
    <div data-testid="stats-trend">
      <Chart option={option} height={300} ariaLabel={t('stats.trend')} />
    </div>
  );
}

function ShareChart({ rows }: { rows: GroupRow[] }) {
  const { t } = useTranslation('operator');
  const option = useMemo<ChartOption>(() => {
    const sorted = [...rows].sort((a, b) => b.paidAmount - a.paidAmount);
    const top = sorted.slice(0, 7);
    const rest = sorted.slice(7).reduce((sum, r) => sum + r.paidAmount, 0);
    const data = top.map((r) => ({ name: r.name || r.key, value: r.paidAmount / 100 }));
    if (rest > 0) data.push({ name: t('stats.others'), value: rest / 100 });
    return {
      tooltip: { trigger: 'item', formatter: '{b}<br/>¥{c} ({d}%)' },
      legend: { type: 'scroll', bottom: 0 },
      series: [
        {
          type: 'pie',
          radius: ['45%', '70%'],
          center: ['50%', '45%'],
          avoidLabelOverlap: true,
          label: { show: false },
          itemStyle: { borderColor: '#fff', borderWidth: 2 },
          data,
        },
      ],
    };
  }, [rows, t]);
  if (!rows.some((r) => r.paidAmount > 0))
    return <Empty style={{ height: 300, paddingTop: 90 }} description={t('stats.noData')} />;
  return <Chart option={option} height={300} ariaLabel={t('stats.shareLabel')} />;
}

function GroupTable(props: {
  rows: GroupRow[];
  totals: Figures | undefined;
  groupBy: StatsGroup;
  loading: boolean;
}) {
  const { t } = useTranslation('operator');
  const columns: ColumnsType<GroupRow> = [
    {
      title: t(`stats.group.${props.groupBy}`),
      dataIndex: 'name',
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
      sorter: (a, b) => a.orderCount - b.orderCount,
    },
    {
      title: t('stats.paidCount'),
      dataIndex: 'paidCount',
      align: 'right',
      sorter: (a, b) => a.paidCount - b.paidCount,
    },
    {
      title: t('stats.paidAmount'),
      dataIndex: 'paidAmount',
      align: 'right',
      defaultSortOrder: 'descend',
      sorter: (a, b) => a.paidAmount - b.paidAmount,
      render: (v: number) => yuan(v),
    },
    {
      title: t('stats.successRate'),
      dataIndex: 'successRate',
      width: 180,
      sorter: (a, b) => a.successRate - b.successRate,
      render: (v: number) => (
        <Progress
          aria-label={t('stats.successRate')}
          percent={Math.round(v * 1000) / 10}
          size="small"
          status={v < 0.5 ? 'exception' : 'normal'}
          format={() => ratio(v, 1)}
        />
      ),
    },
    {
      title: t('stats.fee'),
      dataIndex: 'fee',
      align: 'right',
      sorter: (a, b) => a.fee - b.fee,
      render: (v: number) => yuan(v),
    },
    {
      title: t('stats.channelCost'),
      dataIndex: 'channelCost',
      align: 'right',
      sorter: (a, b) => a.channelCost - b.channelCost,
      render: (v: number) => yuan(v),
    },
    {
      title: t('stats.profit'),
      dataIndex: 'profit',
      align: 'right',
      sorter: (a, b) => a.profit - b.profit,
      render: (v: number) => <Typography.Text strong>{yuan(v)}</Typography.Text>,
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
        scroll={{ x: 960 }}
        summary={() =>
          totals && props.rows.length > 0 ? (
            <Table.Summary.Row style={{ background: '#fafafa', fontWeight: 600 }}>
              <Table.Summary.Cell index={0}>{t('stats.total')}</Table.Summary.Cell>
              <Table.Summary.Cell index={1} align="right">
                {totals.orderCount}
              </Table.Summary.Cell>
              <Table.Summary.Cell index={2} align="right">
                {totals.paidCount}
              </Table.Summary.Cell>
              <Table.Summary.Cell index={3} align="right">
                {yuan(totals.paidAmount)}
              </Table.Summary.Cell>
              <Table.Summary.Cell index={4}>{ratio(totals.successRate)}</Table.Summary.Cell>
              <Table.Summary.Cell index={5} align="right">
                {yuan(totals.fee)}
              </Table.Summary.Cell>
              <Table.Summary.Cell index={6} align="right">
                {yuan(totals.channelCost)}
              </Table.Summary.Cell>
              <Table.Summary.Cell index={7} align="right">
                {yuan(totals.profit)}
              </Table.Summary.Cell>
            </Table.Summary.Row>
          ) : null
        }
      />
    </div>
  );
}
