import { QrcodeOutlined, ReloadOutlined } from '@ant-design/icons';
import { ProCard, StatisticCard, type StatisticCardProps } from '@ant-design/pro-components';
import { Button, Col, Grid, Row, Space, Switch, Tooltip, Typography } from 'antd';
import dayjs from 'dayjs';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { qs } from '../api.ts';
import { amountCountOption, Chart } from '../shell/Chart.tsx';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { ratio, time, yuan } from '../shell/format.ts';
import { Page } from '../shell/Page.tsx';
import { useSession } from '../shell/session.tsx';
import { TestDataHint, TestDataSwitch, TestDataTag, useTestData } from '../shell/TestData.tsx';
import { useApi, useInterval } from '../shell/useApi.ts';
import type { Dashboard as DashboardData } from './types.ts';

const REFRESH_MS = 30_000;
const TREND_DAYS = 30;

/**
 * 首页: today's figures, the 30-day trend and today's hours; refreshes every 30 s while visible.
 * Test orders count only with the "show test data" switch (on by default in the demo).
 */
export function Dashboard() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { session } = useSession();
  const screens = Grid.useBreakpoint();
  const [auto, setAuto] = useState(true);
  const [refreshedAt, setRefreshedAt] = useState<Date | null>(null);
  const testData = useTestData();
  const {
    data: answer,
    loading,
    error,
    reload,
  } = useApi<DashboardData>(`/api/merchant/dashboard${qs({ includeTest: testData.includeTest })}`);
  const data = testData.current(answer);
  useEffect(() => {
    if (data) setRefreshedAt(new Date());
  }, [data]);
  useInterval(reload, REFRESH_MS, auto);

  const cashier = session?.user.merchantRole === 'cashier';
  const name = session?.user.displayName || session?.user.username || '';
  const today = data?.today;

  const trend = useMemo(() => fillTrend(data?.trend ?? [], data?.date), [data?.trend, data?.date]);
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
  const trendOption = useMemo(
    () =>
      amountCountOption({
        categories: trend.map((d) => dayjs(d.date).format('MM-DD')),
        amountsMinor: trend.map((d) => d.paidAmount),
        counts: trend.map((d) => d.paidCount),
        names: axisNames,
        formatAmount: (minor) => yuan(minor),
      }),
    [trend, axisNames],
  );
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
            {stats.map((s) => (
              <Col span={12} key={s.key}>
                <StatisticCard statistic={s.statistic} loading={statsLoading} style={{ height: '100%' }} />
              </Col>
            ))}
          </Row>
        )}
      </div>
      <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
        <Col xs={24} xl={14}>
          <ProCard title={t('merchant:dashboard.trendTitle')} bordered headerBordered>
            <Chart
              option={trendOption}
              height={320}
              loading={statsLoading}
              ariaLabel={t('merchant:dashboard.trendTitle')}
            />
          </ProCard>
        </Col>
        <Col xs={24} xl={10}>
          <ProCard title={t('merchant:dashboard.hourlyTitle')} bordered headerBordered>
            <Chart
              option={hourlyOption}
              height={320}
              loading={statsLoading}
              ariaLabel={t('merchant:dashboard.hourlyTitle')}
            />
          </ProCard>
        </Col>
      </Row>
    </Page>
  );
}

type Day = DashboardData['trend'][number];
type Hour = DashboardData['hourly'][number];

/**
 * The 30 days ending on the platform's today (the answer's `date`, else its last day, else the
 * browser's), a zero for any day the server left out.
 */
function fillTrend(rows: Day[], serverToday?: string): Day[] {
  const byDate = new Map(rows.map((r) => [r.date.slice(0, 10), r]));
  const last = serverToday ?? [...byDate.keys()].sort().at(-1) ?? dayjs().format('YYYY-MM-DD');
  return Array.from({ length: TREND_DAYS }, (_, i) => {
    const date = dayjs(last)
      .subtract(TREND_DAYS - 1 - i, 'day')
      .format('YYYY-MM-DD');
    return byDate.get(date) ?? { date, paidAmount: 0, paidCount: 0 };
  });
}

/** Hours 0–23 of today, zero where nothing was paid. */
function fillHours(rows: Hour[]): Hour[] {
  const byHour = new Map(rows.map((r) => [Number(r.hour), r]));
  return Array.from({ length: 24 }, (_, hour) => byHour.get(hour) ?? { hour, paidAmount: 0, paidCount: 0 });
}
