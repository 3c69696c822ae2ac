import { ProCard } from '@ant-design/pro-components';
import { Card, Col, Empty, Grid, Row, Segmented, Select, Space, Statistic, Tooltip, Typography } from 'antd';
import dayjs from 'dayjs';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { qs } from '../api.ts';
import { Chart, trendOption } from '../shell/Chart.tsx';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { time, yuan } from '../shell/format.ts';
import { useApi, useInterval } from '../shell/useApi.ts';

/** Seed 001 §1.2.1: the marketplace cards refresh every few minutes, not every 30 s as the store's. */
const REFRESH_MS = 120_000;

const KINDS = ['consumption', 'escrow', 'recharge', 'withdrawal', 'refund', 'transfer'] as const;
type Kind = (typeof KINDS)[number];
type Metric = 'count' | 'amount' | 'commission' | 'fee';
const CARDS = ['recharge', 'consumption', 'escrow', 'withdrawal', 'refund'] as const;
const COLORS: Record<Kind, string> = {
  consumption: '#1677ff',
  escrow: '#fa8c16',
  recharge: '#52c41a',
  withdrawal: '#722ed1',
  refund: '#f5222d',
  transfer: '#13c2c2',
};

interface Figures {
  count: number;
  amount: number;
  commission: number;
  fee: number;
}
interface Today extends Record<Kind, Figures> {
  date: string;
  readAt: string;
  inflow: { count: number; amount: number };
}
interface Trend {
  kinds: Kind[];
  totals: Partial<Record<Kind, Figures>>;
  days: ({ date: string } & Partial<Record<Kind, Figures>>)[];
}

/**
 * 市场 on the store manager's dashboard: today's recharge, consumption and escrow payments, members'
 * withdrawals and refunds (refreshed every two minutes, the time they were read shown), and the
 * 90-day trend of the types chosen, by count, amount, the store's commission or the platform's fee.
 */
export function MarketplaceStats({ includeTest, live }: { includeTest: number | undefined; live: boolean }) {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const [kinds, setKinds] = useState<Kind[]>(['consumption', 'escrow', 'recharge']);
  const [metric, setMetric] = useState<Metric>('amount');
  const today = useApi<Today>(`/api/merchant/stats/marketplace/today${qs({ includeTest })}`);
  // Every type is asked for once: switching the types shown redraws without a round trip.
  const trend = useApi<Trend>(`/api/merchant/stats/marketplace/trend${qs({ includeTest, days: 90 })}`);
  const [readAt, setReadAt] = useState<string | null>(null);
  useEffect(() => {
    if (today.data) setReadAt(today.data.readAt);
  }, [today.data]);
  useInterval(() => Promise.all([today.reload(), trend.reload()]), REFRESH_MS, live);

  const kindName = (k: Kind) => t(`merchant:marketplaceStats.kind.${k}`);
  const money = metric !== 'count';
  const days = trend.data?.days ?? [];
  // In the legend's fixed order, whatever order they were picked in.
  const kindsKey = KINDS.filter((k) => kinds.includes(k)).join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: kindsKey stands for kinds; kindName follows t
  const option = useMemo(
    () =>
      trendOption({
        categories: days.map((d) => dayjs(d.date).format('MM-DD')),
        yName: t(money ? 'merchant:marketplaceStats.yAmount' : 'merchant:marketplaceStats.yCount'),
        formatAmount: money ? (minor) => yuan(minor) : undefined,
        series: KINDS.filter((k) => kinds.includes(k)).map((k) => ({
          name: kindName(k),
          kind: 'line' as const,
          color: COLORS[k],
          values: days.map((d) => d[k]?.[metric] ?? 0),
        })),
      }),
    [days, kindsKey, metric, money, t],
  );
  const quiet = !!trend.data && KINDS.every((k) => (trend.data?.totals[k]?.count ?? 0) === 0);

  const figures = today.data;
  const card = (key: string, title: string, tip: string, amount: number, description: string) => (
    <Col xs={12} md={8} xl={4} key={key}>
      <Card size="small" style={{ height: '100%' }} data-testid={`marketplace-${key}`}>
        <Statistic
          title={
            <Tooltip title={tip}>
              <span>{title}</span>
            </Tooltip>
          }
          value={amount / 100}
          precision={2}
          prefix="¥"
          loading={!figures && today.loading}
        />
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {description}
        </Typography.Text>
      </Card>
    </Col>
  );

  return (
    <ProCard
      style={{ marginTop: 16 }}
      title={t('merchant:marketplaceStats.title')}
      subTitle={
        screens.md ? (
          <Typography.Text type="secondary">{t('merchant:marketplaceStats.subtitle')}</Typography.Text>
        ) : undefined
      }
      extra={
        readAt ? (
          <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="marketplace-read-at">
            {t('merchant:marketplaceStats.readAt', { time: time(readAt) })}
          </Typography.Text>
        ) : undefined
      }
      bordered
      headerBordered
      data-testid="marketplace-stats"
    >
      <ErrorAlert error={today.error ?? trend.error} />
      <Row gutter={[12, 12]}>
        {card(
          'inflow',
          t('merchant:marketplaceStats.inflow'),
          t('merchant:marketplaceStats.inflowTip'),
          figures?.inflow.amount ?? 0,
          t('merchant:marketplaceStats.count', { count: figures?.inflow.count ?? 0 }),
        )}
        {CARDS.map((k) => {
          const f = figures?.[k];
          const count = t('merchant:marketplaceStats.count', { count: f?.count ?? 0 });
          return card(
            k,
            kindName(k),
            t(`merchant:marketplaceStats.tip.${k}`),
            f?.amount ?? 0,
            f?.commission
              ? `${count} · ${t('merchant:marketplaceStats.commissionOf', { amount: yuan(f.commission) })}`
              : count,
          );
        })}
      </Row>
      <Space wrap style={{ marginTop: 16, marginBottom: 8, width: '100%', justifyContent: 'space-between' }}>
        <Typography.Text strong>{t('merchant:marketplaceStats.trendTitle')}</Typography.Text>
        <Space wrap style={screens.md ? undefined : { width: '100%' }}>
          <Select<Kind[]>
            mode="multiple"
            value={kinds}
            onChange={setKinds}
            options={KINDS.map((k) => ({ value: k, label: kindName(k) }))}
            placeholder={t('merchant:marketplaceStats.seriesPlaceholder')}
            aria-label={t('merchant:marketplaceStats.series')}
            maxTagCount="responsive"
            // A phone gives the picker the whole row, so the chosen types stay readable.
            style={screens.md ? { minWidth: 220, maxWidth: 360 } : { width: 'calc(100vw - 64px)' }}
            data-testid="marketplace-kinds"
          />
          <Segmented<Metric>
            size={screens.md ? 'middle' : 'small'}
            value={metric}
            onChange={setMetric}
            aria-label={t('merchant:marketplaceStats.metric')}
            options={(['count', 'amount', 'commission', 'fee'] as const).map((m) => ({
              value: m,
              label: t(`merchant:marketplaceStats.metricName.${m}`),
            }))}
            data-testid="marketplace-metric"
          />
        </Space>
      </Space>
      {quiet ? (
        <Empty description={t('merchant:marketplaceStats.empty')} data-testid="marketplace-empty" />
      ) : (
        <div data-testid="marketplace-trend" data-kinds={kindsKey} data-metric={metric}>
          <Chart
            option={option}
            height={300}
            loading={!trend.data && trend.loading}
            ariaLabel={t('merchant:marketplaceStats.trendTitle')}
          />
        </div>
      )}
    </ProCard>
  );
}
