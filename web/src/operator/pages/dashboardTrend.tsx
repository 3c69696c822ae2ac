import { ProCard } from '@ant-design/pro-components';
import { Col, DatePicker, Row, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Chart, type ChartOption, COUNT_COLOR, trendOption } from '../../shell/Chart.tsx';
import { useCardTools } from '../../shell/cardTools.tsx';
import { ExportButton } from '../../shell/ExportButton.tsx';
import { yuan } from '../../shell/format.ts';
import type { ExportColumn } from '../../shell/tableExport.ts';
import type { DashboardDay } from '../types.ts';

export type Range = [Dayjs, Dayjs];

/** The trend's default: the last 90 days, today included. */
export const TREND_DAYS = 90;
/** The longest range the server takes. */
const MAX_DAYS = 366;

export function defaultTrendRange(): Range {
  return [dayjs().subtract(TREND_DAYS - 1, 'day'), dayjs()];
}

/**
 * The daily trend of the chosen range: amounts (paid, refunded, net) as lines, counts as bars,
 * profit (before and after refunds and commission) as lines; the days as a table to export.
 */
export function TrendSection(props: {
  trend: DashboardDay[] | undefined;
  loading: boolean;
  /** None: the server's default range. */
  range: Range | null;
  onRange: (range: Range) => void;
}) {
  const { t } = useTranslation('operator');
  const trend = props.trend ?? [];
  const categories = useMemo(
    () => trend.map((d) => dayjs(d.date).format(trend.length > 120 ? 'YY-MM-DD' : 'MM-DD')),
    [trend],
  );
  const options = useMemo(() => {
    const money = (minor: number) => yuan(minor);
    const amount: ChartOption = trendOption({
      categories,
      yName: t('stats.trends.yAmount'),
      formatAmount: money,
      series: [
        {
          name: t('stats.trends.paid'),
          kind: 'line',
          values: trend.map((d) => d.paidAmount),
          color: '#1677ff',
        },
        {
          name: t('stats.trends.refunded'),
          kind: 'line',
          values: trend.map((d) => d.refundedAmount),
          color: '#fa541c',
        },
        {
          name: t('stats.trends.net'),
          kind: 'line',
          values: trend.map((d) => d.netAmount),
          color: '#389e0d',
        },
      ],
    });
    const count: ChartOption = trendOption({
      categories,
      yName: t('stats.trends.yCount'),
      series: [
        {
          name: t('stats.trends.orders'),
          kind: 'bar',
          values: trend.map((d) => d.orderCount),
          color: '#91caff',
        },
        {
          name: t('stats.trends.paidCount'),
          kind: 'bar',
          values: trend.map((d) => d.paidCount),
          color: COUNT_COLOR,
        },
      ],
    });
    const profit: ChartOption = trendOption({
      categories,
      yName: t('stats.trends.yAmount'),
      formatAmount: money,
      series: [
        {
          name: t('stats.trends.platformProfit'),
          kind: 'line',
          values: trend.map((d) => d.profit),
          color: '#722ed1',
        },
        {
          name: t('stats.trends.netProfit'),
          kind: 'line',
          values: trend.map((d) => d.netProfit),
          color: '#13a8a8',
        },
      ],
    });
    return { amount, count, profit };
  }, [trend, categories, t]);

  const exportColumns: ExportColumn<DashboardDay>[] = [
    { title: t('stats.trends.date'), value: (d) => d.date },
    { title: t('stats.trends.orders'), value: (d) => d.orderCount },
    { title: t('stats.trends.paidCount'), value: (d) => d.paidCount },
    { title: t('stats.trends.paid'), value: (d) => d.paidAmount, money: true },
    { title: t('stats.trends.refunded'), value: (d) => d.refundedAmount, money: true },
    { title: t('stats.trends.net'), value: (d) => d.netAmount, money: true },
    { title: t('stats.trends.platformProfit'), value: (d) => d.profit, money: true },
    { title: t('stats.trends.netProfit'), value: (d) => d.netProfit, money: true },
  ];
  const presets = [
    { label: t('stats.last7'), value: [dayjs().subtract(6, 'day'), dayjs()] as Range },
    { label: t('stats.last30'), value: [dayjs().subtract(29, 'day'), dayjs()] as Range },
    { label: t('stats.trends.last90'), value: defaultTrendRange() },
    { label: t('stats.trends.last180'), value: [dayjs().subtract(179, 'day'), dayjs()] as Range },
    { label: t('stats.trends.lastYear'), value: [dayjs().subtract(MAX_DAYS - 1, 'day'), dayjs()] as Range },
  ];
  // The days shown are the answer's: the platform's calendar, whatever the browser's time zone.
  const first = trend[0]?.date;
  const last = trend.at(-1)?.date;
  const shown: Range = props.range ?? (first && last ? [dayjs(first), dayjs(last)] : defaultTrendRange());
  const [from, to] = shown;
  const tools = useCardTools(
    <>
      <DatePicker.RangePicker
        value={shown}
        presets={presets}
        allowClear={false}
        disabledDate={(d, info) =>
          d.isAfter(dayjs(), 'day') || (!!info.from && Math.abs(d.diff(info.from, 'day')) >= MAX_DAYS)
        }
        onChange={(v) => v?.[0] && v[1] && props.onRange([v[0], v[1]])}
        aria-label={t('stats.trends.range')}
        data-testid="trend-range"
      />
      <ExportButton
        basename={`${t('stats.exportName')}-${from.format('YYYYMMDD')}-${to.format('YYYYMMDD')}`}
        columns={exportColumns}
        rows={trend}
        testId="export-trend"
      />
    </>,
  );
  const chart = (key: 'amount' | 'count' | 'profit') => (
    <div data-testid={`trend-${key}`}>
      <Chart
        option={options[key]}
        height={280}
        loading={props.loading}
        ariaLabel={t(`stats.trends.${key}`)}
      />
    </div>
  );
  return (
    <ProCard
      style={{ marginTop: 16 }}
      title={t('stats.trends.title')}
      subTitle={
        tools.wide && (
          <Typography.Text type="secondary" data-testid="trend-days">
            {t('stats.trends.days', {
              from: from.format('YYYY-MM-DD'),
              to: to.format('YYYY-MM-DD'),
              count: props.range ? to.startOf('day').diff(from.startOf('day'), 'day') + 1 : trend.length,
            })}
          </Typography.Text>
        )
      }
      bordered
      headerBordered
      extra={tools.extra}
    >
      {tools.top}
      <Row gutter={[16, 16]}>
        <Col xs={24}>
          <Typography.Text strong>{t('stats.trends.amount')}</Typography.Text>
          {chart('amount')}
        </Col>
        <Col xs={24} xl={12}>
          <Typography.Text strong>{t('stats.trends.count')}</Typography.Text>
          {chart('count')}
        </Col>
        <Col xs={24} xl={12}>
          <Typography.Text strong>{t('stats.trends.profit')}</Typography.Text>
          {chart('profit')}
        </Col>
      </Row>
    </ProCard>
  );
}
