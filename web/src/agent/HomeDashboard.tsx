import { ProCard } from '@ant-design/pro-components';
import { Col, DatePicker, Empty, Flex, Row, Statistic, Tag, Tooltip, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { qs } from '../api.ts';
import { AMOUNT_COLOR, Chart, type ChartOption, COUNT_COLOR, compactNumber } from '../shell/Chart.tsx';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { yuan } from '../shell/format.ts';
import { useApi } from '../shell/useApi.ts';

interface DayFigures {
  paidAmount: number;
  paidCount: number;
  commission: number;
  refundedCommission: number;
}

interface AgentDashboard {
  /** Today in the platform's calendar. */
  date: string;
  includesTest: boolean;
  today: DayFigures;
  trend: (DayFigures & { date: string })[];
}

const DAY = 'YYYY-MM-DD';
const COMMISSION_COLOR = '#fa8c16';

/**
 * The home's figures: today's paid amount, payments and commission, and the trend per day (payments
 * as bars, amounts as plain lines). None chosen, the server's window stands (its calendar may not
 * be the browser's), and the picker shows that window.
 */
export function HomeDashboard() {
  const { t } = useTranslation('agent');
  const [range, setRange] = useState<[Dayjs, Dayjs] | null>(null);
  const dashboard = useApi<AgentDashboard>(
    `/api/agent/dashboard${qs(range ? { from: range[0].format(DAY), to: range[1].format(DAY) } : {})}`,
  );
  const data = dashboard.data;
  const shown: [Dayjs, Dayjs] | null =
    range ?? (data?.trend[0] ? [dayjs(data.trend[0].date), dayjs(data.date)] : null);
  const paidDays = (data?.trend ?? []).filter((d) => d.paidCount > 0 || d.commission !== 0).length;

  const option = useMemo<ChartOption>(() => {
    const trend = data?.trend ?? [];
    const names = {
      count: t('home.trend.paidCount'),
      amount: t('home.trend.paidAmount'),
      commission: t('home.trend.commission'),
    };
    const inYuan = new Set([names.amount, names.commission]);
    return {
      color: [COUNT_COLOR, AMOUNT_COLOR, COMMISSION_COLOR],
      grid: { left: 12, right: 12, top: 36, bottom: 36, containLabel: true },
      legend: { bottom: 0, data: [names.count, names.amount, names.commission] },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        formatter: (params) => {
          const list = Array.isArray(params) ? params : [params];
          const lines = list.map((p) => {
            const v = Number(p.value ?? 0);
            const text = inYuan.has(p.seriesName ?? '') ? yuan(Math.round(v * 100)) : String(v);
            return `${p.marker ?? ''} ${p.seriesName}: <b>${text}</b>`;
          });
          return [list[0]?.name ?? '', ...lines].join('<br/>');
        },
      },
      xAxis: [
        { type: 'category', data: trend.map((d) => d.date.slice(5)), axisTick: { alignWithLabel: true } },
      ],
      yAxis: [
        {
          type: 'value',
          name: t('home.trend.yAmount'),
          position: 'left',
          nameTextStyle: { align: 'left' },
          axisLabel: { formatter: (v: number) => compactNumber(v) },
          splitLine: { lineStyle: { type: 'dashed' } },
        },
        {
          type: 'value',
          name: t('home.trend.yCount'),
          position: 'right',
          // Whole payments only: no 0.2-payment ticks.
          minInterval: 1,
          nameTextStyle: { align: 'right' },
          axisLabel: { formatter: (v: number) => compactNumber(v) },
          splitLine: { show: false },
        },
      ],
      series: [
        {
          name: names.count,
          type: 'bar',
          yAxisIndex: 1,
          barMaxWidth: 18,
          itemStyle: { borderRadius: [3, 3, 0, 0], opacity: 0.85 },
          data: trend.map((d) => d.paidCount),
        },
        {
          name: names.amount,
          type: 'line',
          yAxisIndex: 0,
          smooth: false,
          showSymbol: false,
          lineStyle: { width: 2 },
          data: trend.map((d) => d.paidAmount / 100),
        },
        {
          name: names.commission,
          type: 'line',
          yAxisIndex: 0,
          smooth: false,
          showSymbol: false,
          lineStyle: { width: 2 },
          data: trend.map((d) => d.commission / 100),
        },
      ],
    };
  }, [data, t]);

  const today = data?.today;
  const cards = [
    { key: 'paidAmount', value: today && yuan(today.paidAmount) },
    { key: 'paidCount', value: today?.paidCount },
    { key: 'commission', value: today && yuan(today.commission) },
  ] as const;

  return (
    <Flex vertical gap={16} data-testid="agent-dashboard">
      {dashboard.error ? <ErrorAlert error={dashboard.error} /> : null}
      <Row gutter={[16, 16]}>
        {cards.map((c) => (
          <Col xs={24} sm={8} key={c.key}>
            <ProCard bordered loading={dashboard.loading && !data} data-testid={`today-${c.key}`}>
              <Statistic title={t(`home.today.${c.key}`)} value={c.value ?? '-'} />
              {c.key === 'commission' && today && today.refundedCommission > 0 ? (
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('home.today.refundedHint', { amount: yuan(today.refundedCommission) })}
                </Typography.Text>
              ) : null}
            </ProCard>
          </Col>
        ))}
      </Row>
      <ProCard
        bordered
        title={t('home.trend.title')}
        extra={
          <Flex wrap gap={8} align="center" justify="flex-end">
            {data?.includesTest ? <Tag color="purple">{t('home.trend.testIncluded')}</Tag> : null}
            <Tooltip title={t('home.trend.rangeHint')}>
              <DatePicker.RangePicker
                aria-label={t('home.trend.range')}
                value={shown}
                allowClear={false}
                style={{ maxWidth: 260 }}
                onChange={(v) => v?.[0] && v[1] && setRange([v[0], v[1]])}
              />
            </Tooltip>
          </Flex>
        }
        headerBordered
      >
        {data && paidDays === 0 ? (
          <Empty description={t('home.trend.empty')} />
        ) : (
          <Chart option={option} height={280} loading={dashboard.loading} ariaLabel={t('home.trend.aria')} />
        )}
      </ProCard>
    </Flex>
  );
}
