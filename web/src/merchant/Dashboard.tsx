import { QrcodeOutlined, ReloadOutlined } from '@ant-design/icons';
import { ProCard, StatisticCard, type StatisticCardProps } from '@ant-design/pro-components';
import { Button, Checkbox, Col, DatePicker, Grid, Row, Space, Switch, Tooltip, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { qs } from '../api.ts';
import { amountCountOption, Chart, COUNT_COLOR, type TrendSeries, trendOption } from '../shell/Chart.tsx';
import { useCardTools } from '../shell/cardTools.tsx';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { ExportButton } from '../shell/ExportButton.tsx';
import { ratio, time, yuan } from '../shell/format.ts';
import { Page } from '../shell/Page.tsx';
import { useSession } from '../shell/session.tsx';
import { TestDataHint, TestDataSwitch, TestDataTag, useTestData } from '../shell/TestData.tsx';
import type { ExportColumn } from '../shell/tableExport.ts';
import { useApi, useInterval } from '../shell/useApi.ts';
import { MarketplaceStats } from './MarketplaceStats.tsx';
import type { Dashboard as DashboardData } from './types.ts';

const REFRESH_MS = 30_000;
/** The trend's default and longest range (seed: at most 90 days). */
const TREND_DAYS = 90;

type Range = [Dayjs, Dayjs];
type Measure = 'paid' | 'refunded' | 'withdrawn';

/**
 * 首页: today's figures, the trend of a chosen range (default the last 90 days: paid, refunded and
 * withdrawn amounts, which the person picks, and paid orders per day) and today's hours; refreshes
 * every 30 s while visible. Test orders count only with the "show test data" switch (on by
 * default in the demo).
 */
export function Dashboard() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { session } = useSession();
  const screens = Grid.useBreakpoint();
  const [auto, setAuto] = useState(true);
  const [refreshedAt, setRefreshedAt] = useState<Date | null>(null);
  const testData = useTestData();
  // None: the server's last 90 days, counted in the platform's time zone, not the browser's.
  const [picked, setRange] = useState<Range | null>(null);
  const {
    data: answer,
    loading,
    error,
    reload,
  } = useApi<DashboardData>(
    `/api/merchant/dashboard${qs({
      includeTest: testData.includeTest,
      from: picked?.[0].format('YYYY-MM-DD'),
      to: picked?.[1].format('YYYY-MM-DD'),
    })}`,
  );
  const data = testData.current(answer);
  useEffect(() => {
    if (data) setRefreshedAt(new Date());
  }, [data]);
  useInterval(reload, REFRESH_MS, auto);

  const cashier = session?.user.merchantRole === 'cashier';
  // Withdrawals are the store's, not a cashier's: a cashier's trend leaves them out.
  const measures: Measure[] = cashier ? ['paid', 'refunded'] : ['paid', 'refunded', 'withdrawn'];
  const [shown, setShown] = useState<Measure[]>(['paid', 'refunded', 'withdrawn']);
  const name = session?.user.displayName || session?.user.username || '';
  const today = data?.today;

  const trend = useMemo(() => fillTrend(data?.trend ?? [], picked), [data?.trend, picked]);
  const first = trend[0]?.date;
  const last = trend.at(-1)?.date;
  const range: Range =
    picked ??
    (first && last ? [dayjs(first), dayjs(last)] : [dayjs().subtract(TREND_DAYS - 1, 'day'), dayjs()]);
  const hourly = useMemo(() => fillHours(data?.hourly ?? []), [data?.hourly]);

  const axisNames = useMemo(
    () => ({
      amount: t('merchant:dashboard.amountSeries'),
      count: t('merchant:dashboard.countSeries'),
      yAmount: t('merchant:dashboard.yAmount'),
      yCount: t('merchant:dashboard.yCount'),
    }),
    [t],
  );
  const measureNames: Record<Measure, string> = {
    paid: t('merchant:dashboard.paidSeries'),
    refunded: t('merchant:dashboard.refundedSeries'),
    withdrawn: t('merchant:dashboard.withdrawnSeries'),
  };
  const visible = measures.filter((m) => shown.includes(m));
  const visibleKey = visible.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: visibleKey stands for visible; measureNames follows t
  const amountOption = useMemo(() => {
    const values: Record<Measure, number[]> = {
      paid: trend.map((d) => d.paidAmount),
      refunded: trend.map((d) => d.refundedAmount ?? 0),
      withdrawn: trend.map((d) => d.withdrawnAmount ?? 0),
    };
    const colors: Record<Measure, string> = { paid: '#1677ff', refunded: '#fa541c', withdrawn: '#722ed1' };
    return trendOption({
      categories: trend.map((d) => dayjs(d.date).format('MM-DD')),
      yName: axisNames.yAmount,
      formatAmount: (minor) => yuan(minor),
      series: visible.map(
        (m): TrendSeries => ({ name: measureNames[m], kind: 'line', values: values[m], color: colors[m] }),
      ),
    });
  }, [trend, visibleKey, axisNames, t]);
  const countOption = useMemo(
    () =>
      trendOption({
        categories: trend.map((d) => dayjs(d.date).format('MM-DD')),
        yName: axisNames.yCount,
        series: [
          { name: axisNames.count, kind: 'bar', values: trend.map((d) => d.paidCount), color: COUNT_COLOR },
        ],
      }),
    [trend, axisNames],
  );
  const exportColumns: ExportColumn<Day>[] = [
    { title: t('merchant:dashboard.date'), value: (d) => d.date },
    { title: axisNames.count, value: (d) => d.paidCount },
    ...measures.map(
      (m): ExportColumn<Day> => ({
        title: measureNames[m],
        money: true,
        value: (d) =>
          m === 'paid' ? d.paidAmount : m === 'refunded' ? (d.refundedAmount ?? 0) : (d.withdrawnAmount ?? 0),
      }),
    ),
  ];
  const hourlyOption = useMemo(
    () =>
      amountCountOption({
        categories: hourly.map((h) => t('merchant:dashboard.hour', { hour: h.hour })),
        amountsMinor: hourly.map((h) => h.paidAmount),
        counts: hourly.map((h) => h.paidCount),
        names: axisNames,
        formatAmount: (minor) => yuan(minor),
      }),
    [hourly, axisNames, t],
  );

  const stats: { key: string; statistic: StatisticCardProps['statistic'] }[] = [
    {
      key: 'income',
      statistic: {
        title: t('merchant:dashboard.income'),
        tip: t('merchant:dashboard.incomeTip'),
        value: (today?.income ?? 0) / 100,
        precision: 2,
        prefix: '¥',
        valueStyle: { color: '#00a870' },
      },
    },
    {
      key: 'paid-amount',
      statistic: {
        title: t('merchant:dashboard.paidAmount'),
        value: (today?.paidAmount ?? 0) / 100,
        precision: 2,
        prefix: '¥',
      },
    },
    {
      key: 'refunded',
      statistic: {
        title: t('merchant:dashboard.refunded'),
        tip: t('merchant:dashboard.refundedTip'),
        value: (today?.refundedAmount ?? 0) / 100,
        precision: 2,
        prefix: '¥',
      },
    },
    {
      key: 'paid-count',
      statistic: {
        title: t('merchant:dashboard.paidCount'),
        value: today?.paidCount ?? 0,
        // Orders still within their payment time are neither a success nor a failure yet.
        description:
          today?.orderCount && today.orderCount > (today.pendingCount ?? 0)
            ? t('merchant:dashboard.successRate', {
                rate: ratio(
                  today.successRate ?? today.paidCount / (today.orderCount - (today.pendingCount ?? 0)),
                  1,
                ),
              })
            : undefined,
      },
    },
    {
      key: 'order-count',
      statistic: { title: t('merchant:dashboard.orderCount'), value: today?.orderCount ?? 0 },
    },
  ];
  const tools = useCardTools(
    <>
      <DatePicker.RangePicker
        value={range}
        allowClear={false}
        presets={[
          { label: t('merchant:dashboard.last7'), value: [dayjs().subtract(6, 'day'), dayjs()] },
          { label: t('merchant:dashboard.last30'), value: [dayjs().subtract(29, 'day'), dayjs()] },
          {
            label: t('merchant:dashboard.last90'),
            value: [dayjs().subtract(TREND_DAYS - 1, 'day'), dayjs()],
          },
        ]}
        disabledDate={(d, info) =>
          d.isAfter(dayjs(), 'day') || (!!info.from && Math.abs(d.diff(info.from, 'day')) >= TREND_DAYS)
        }
        onChange={(v) => v?.[0] && v[1] && setRange([v[0], v[1]])}
        aria-label={`${t('merchant:dashboard.range')} (${t('merchant:dashboard.rangeLimit')})`}
        data-testid="trend-range"
      />
      <ExportButton
        basename={`${t('merchant:dashboard.exportName')}-${range[0].format('YYYYMMDD')}-${range[1].format('YYYYMMDD')}`}
        columns={exportColumns}
        rows={trend}
        testId="export-trend"
      />
    </>,
  );
  // An answer for the other setting of the switch is being asked again: still loading.
  const statsLoading = !data && (loading || !!answer);

  return (
    <Page
      title={t('merchant:dashboard.title')}
      subTitle={
        screens.lg
          ? `${t('merchant:dashboard.welcome', { name })} · ${t(
              cashier ? 'merchant:dashboard.subtitleCashier' : 'merchant:dashboard.subtitleManager',
            )}`
          : undefined
      }
      tags={data?.includesTest ? <TestDataTag /> : undefined}
      extra={
        <Space wrap>
          <TestDataSwitch checked={testData.show} onChange={testData.choose} />
          {refreshedAt && screens.sm && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('common.refreshedAt', { time: time(refreshedAt) })}
            </Typography.Text>
          )}
          <Tooltip title={t('common.autoRefresh')}>
            <Switch
              size="small"
              checked={auto}
              onChange={setAuto}
              checkedChildren={t('common.live')}
              unCheckedChildren={t('common.paused')}
              aria-label={t('common.autoRefresh')}
            />
          </Tooltip>
          <Button icon={<ReloadOutlined />} onClick={() => void reload()} loading={loading && !!data}>
            {t('actions.refresh')}
          </Button>
          <Button type="primary" icon={<QrcodeOutlined />} onClick={() => navigate('/merchant/collect')}>
            {t('merchant:dashboard.collectNow')}
          </Button>
        </Space>
      }
    >
      <ErrorAlert error={error} />
      <TestDataHint answer={data} onInclude={() => testData.choose(true)} />
      <div data-testid="dashboard-totals">
        {screens.md ? (
          <StatisticCard.Group direction="row" loading={statsLoading}>
            {stats.flatMap((s, i) => [
              ...(i > 0 ? [<StatisticCard.Divider key={`divider-${s.key}`} type="vertical" />] : []),
              <StatisticCard key={s.key} statistic={s.statistic} />,
            ])}
          </StatisticCard.Group>
        ) : (
          <Row gutter={[12, 12]}>
            {stats.map((s, i) => (
              // Five cards: the first across the width, then two by two, so no row is half empty.
              <Col span={i === 0 ? 24 : 12} key={s.key}>
                <StatisticCard statistic={s.statistic} loading={statsLoading} style={{ height: '100%' }} />
              </Col>
            ))}
          </Row>
        )}
      </div>
      <ProCard
        style={{ marginTop: 16 }}
        title={t('merchant:dashboard.trendTitle')}
        subTitle={
          screens.md ? (
            <Typography.Text type="secondary" data-testid="trend-days">
              {t('merchant:dashboard.trendSubtitle', {
                from: range[0].format('YYYY-MM-DD'),
                to: range[1].format('YYYY-MM-DD'),
                count: trend.length,
              })}
            </Typography.Text>
          ) : undefined
        }
        bordered
        headerBordered
        extra={tools.extra}
      >
        {tools.top}
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={14}>
            <Space wrap style={{ marginBottom: 8, justifyContent: 'space-between', width: '100%' }}>
              <Typography.Text strong>{t('merchant:dashboard.trendAmount')}</Typography.Text>
              <Checkbox.Group<Measure>
                value={shown}
                onChange={setShown}
                aria-label={t('merchant:dashboard.show')}
                data-testid="trend-measures"
                options={measures.map((m) => ({ value: m, label: measureNames[m] }))}
              />
            </Space>
            <div data-testid="trend-amount">
              <Chart
                option={amountOption}
                height={300}
                loading={statsLoading}
                ariaLabel={t('merchant:dashboard.trendAmount')}
              />
            </div>
          </Col>
          <Col xs={24} xl={10}>
            <div style={{ marginBottom: 8, lineHeight: '32px' }}>
              <Typography.Text strong>{t('merchant:dashboard.trendCount')}</Typography.Text>
            </div>
            <div data-testid="trend-count">
              <Chart
                option={countOption}
                height={300}
                loading={statsLoading}
                ariaLabel={t('merchant:dashboard.trendCount')}
              />
            </div>
          </Col>
        </Row>
      </ProCard>
      <ProCard style={{ marginTop: 16 }} title={t('merchant:dashboard.hourlyTitle')} bordered headerBordered>
        <Chart
          option={hourlyOption}
          height={280}
          loading={statsLoading}
          ariaLabel={t('merchant:dashboard.hourlyTitle')}
        />
      </ProCard>
      {/* The whole store's members and orders: the manager's, not a cashier's own figures. */}
      {!cashier && <MarketplaceStats includeTest={testData.includeTest} live={auto} />}
    </Page>
  );
}

type Day = DashboardData['trend'][number];
type Hour = DashboardData['hourly'][number];

/** Every day of the range picked, a zero for any day the server left out; none picked: the server's days. */
function fillTrend(rows: Day[], range: Range | null): Day[] {
  if (!range) return rows;
  const byDate = new Map(rows.map((r) => [r.date.slice(0, 10), r]));
  const first = range[0].startOf('day');
  const days = range[1].startOf('day').diff(first, 'day') + 1;
  return Array.from({ length: Math.max(days, 0) }, (_, i) => {
    const date = first.add(i, 'day').format('YYYY-MM-DD');
    return byDate.get(date) ?? { date, paidAmount: 0, paidCount: 0, refundedAmount: 0, withdrawnAmount: 0 };
  });
}

/** Hours 0–23 of today, zero where nothing was paid. */
function fillHours(rows: Hour[]): Hour[] {
  const byHour = new Map(rows.map((r) => [Number(r.hour), r]));
  return Array.from({ length: 24 }, (_, hour) => byHour.get(hour) ?? { hour, paidAmount: 0, paidCount: 0 });
}
