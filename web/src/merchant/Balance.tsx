import { BankOutlined, ReloadOutlined } from '@ant-design/icons';
import { ProCard, StatisticCard } from '@ant-design/pro-components';
import { Alert, Button, Col, Descriptions, Grid, Row, Space, Table, Typography } from 'antd';
import dayjs from 'dayjs';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { qs } from '../api.ts';
import { Chart, type ChartOption, compactNumber } from '../shell/Chart.tsx';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { BALANCE_ACCOUNTS, cycleText, ppmText } from '../shell/financeFormat.ts';
import { percentFromPpm, yuan } from '../shell/format.ts';
import { Page } from '../shell/Page.tsx';
import { useApi } from '../shell/useApi.ts';
import {
  type BalanceView,
  type ChannelSettlementDay,
  type DailyBalance,
  PORTAL_API,
} from './financeTypes.ts';
import { useSubtitle } from './useSubtitle.ts';

const DAYS = 30;
const COLORS: Record<string, string> = {
  available: '#1677ff',
  pending: '#faad14',
  frozen: '#8c8c8c',
  reserved: '#722ed1',
  expected: '#faad14',
  settled: '#52c41a',
};

/**
 * 账户余额 (managers): the four balances, the settlement terms in words, the end-of-day balances of
 * 30 days and 提现. A merchant the channel settles directly (通道直清) holds nothing here: the page
 * shows what the channel owed and paid per day instead, and no withdrawal.
 */
export function Balance() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { data, loading, error, reload } = useApi<BalanceView>(`${PORTAL_API}/balance`);
  const direct = data?.mode === 'direct';
  const subTitle = useSubtitle(t('merchant:balance.subtitle'));

  return (
    <Page
      title={t('merchant:balance.title')}
      subTitle={subTitle}
      extra={
        <Space wrap>
          <Button icon={<ReloadOutlined />} onClick={() => void reload()} loading={loading && !!data}>
            {t('actions.refresh')}
          </Button>
          {data && !direct && (
            <Button
              type="primary"
              icon={<BankOutlined />}
              onClick={() => navigate('/merchant/withdrawals?new=1')}
              data-testid="balance-withdraw"
            >
              {t('merchant:balance.withdraw')}
            </Button>
          )}
        </Space>
      }
    >
      <ErrorAlert error={error} />
      {data?.mode === 'direct' ? (
        <DirectMode balance={data} />
      ) : (
        <PlatformMode balance={data} loading={loading && !data} />
      )}
    </Page>
  );
}

function PlatformMode({ balance, loading }: { balance?: BalanceView; loading: boolean }) {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const range = useMemo(() => lastDays(DAYS), []);
  const daily = useApi<{ items: DailyBalance[] }>(`${PORTAL_API}/daily-balances${qs(range)}`);
  const currency = balance?.currency ?? 'CNY';
  const option = useMemo(
    () =>
      lineOption(
        fillDays(daily.data?.items ?? [], range, balance).map((d) => ({
          ...d,
          date: dayjs(d.date).format('MM-DD'),
        })),
        BALANCE_ACCOUNTS.map((key) => ({ key, name: t(`glossary:balance.${key}`) })),
        t('merchant:balance.yAmount'),
        (minor) => yuan(minor, currency),
      ),
    [daily.data, range, balance, t, currency],
  );
  return (
    <>
      <Row gutter={[12, 12]} data-testid="balance-cards">
        {BALANCE_ACCOUNTS.map((key) => (
          <Col xs={12} md={6} key={key}>
            <StatisticCard
              loading={loading}
              style={{ height: '100%' }}
              statistic={{
                title: t(`glossary:balance.${key}`),
                tip: t(`merchant:balance.tip.${key}`),
                value: yuan(balance?.[key] ?? 0, currency),
                valueStyle: key === 'available' ? { color: '#00a870' } : undefined,
              }}
              data-account={key}
            />
          </Col>
        ))}
      </Row>
      <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
        <Col xs={24} xl={9}>
          <ProCard title={t('merchant:balance.terms')} bordered headerBordered>
            {balance && <TermsDescriptions balance={balance} />}
          </ProCard>
        </Col>
        <Col xs={24} xl={15}>
          <ProCard title={t('merchant:balance.chartTitle', { days: DAYS })} bordered headerBordered>
            <ErrorAlert error={daily.error} />
            <Chart
              option={option}
              height={screens.md ? 300 : 260}
              loading={daily.loading}
              ariaLabel={t('merchant:balance.chartTitle', { days: DAYS })}
            />
          </ProCard>
        </Col>
      </Row>
    </>
  );
}

/** The settlement terms in words: how the funds are held, the cycle, the D0 fee, the reserve. */
function TermsDescriptions({ balance }: { balance: BalanceView }) {
  const { t } = useTranslation();
  const { terms } = balance;
  return (
    <Descriptions column={1} size="small" data-testid="settlement-terms">
      <Descriptions.Item label={t('merchant:balance.mode')}>
        <Space direction="vertical" size={0}>
          {t(`glossary:settlementMode.${balance.mode}`)}
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t(`glossary:settlementModeHint.${balance.mode}`)}
          </Typography.Text>
        </Space>
      </Descriptions.Item>
      <Descriptions.Item label={t('merchant:balance.cycle')}>{cycleText(terms)}</Descriptions.Item>
      {terms.cycle === 'D0' && (
        <Descriptions.Item label={t('merchant:balance.d0Share')}>
          {terms.d0Ppm === null || terms.d0Ppm === undefined || terms.d0Ppm >= 1_000_000
            ? t('merchant:balance.d0All')
            : t('merchant:balance.d0Part', { rate: ppmText(terms.d0Ppm) })}
        </Descriptions.Item>
      )}
      <Descriptions.Item label={t('glossary:balance.reserved')}>
        {terms.reservePpm
          ? t('merchant:balance.reserveText', {
              rate: percentFromPpm(terms.reservePpm),
              days: terms.reserveDays ?? 0,
            })
          : t('merchant:balance.noReserve')}
      </Descriptions.Item>
    </Descriptions>
  );
}

/** 通道直清: the channel pays the merchant; the page shows what it owed and paid per day. */
function DirectMode({ balance }: { balance: BalanceView }) {
  const { t } = useTranslation();
  const range = useMemo(() => lastDays(DAYS), []);
  const days = useApi<{ items: ChannelSettlementDay[] }>(`${PORTAL_API}/channel-settlements${qs(range)}`);
  const currency = balance.currency;
  const items = days.data?.items ?? [];
  const option = useMemo(
    () =>
      lineOption(
        items.map((d) => ({ ...d, date: dayjs(d.date).format('MM-DD') })),
        [
          { key: 'expected', name: t('merchant:balance.expected') },
          { key: 'settled', name: t('merchant:balance.settled') },
        ],
        t('merchant:balance.yAmount'),
        (minor) => yuan(minor, currency),
        'bar',
      ),
    [items, t, currency],
  );
  return (
    <>
      <Alert
        type="info"
        showIcon
        message={t('glossary:settlementMode.direct')}
        description={t('glossary:settlementModeHint.direct')}
        style={{ marginBottom: 16 }}
        data-testid="direct-mode-hint"
      />
      <Row gutter={[12, 12]}>
        <Col xs={24} md={8}>
          <StatisticCard
            statistic={{
              title: t('glossary:balance.settled_by_channel'),
              tip: t('merchant:balance.tip.settled_by_channel'),
              value: yuan(balance.settledByChannel ?? 0, currency),
            }}
          />
        </Col>
        <Col xs={24} md={16}>
          <ProCard title={t('merchant:balance.terms')} bordered headerBordered>
            <TermsDescriptions balance={balance} />
          </ProCard>
        </Col>
      </Row>
      <ProCard
        title={t('merchant:balance.channelTitle', { days: DAYS })}
        bordered
        headerBordered
        style={{ marginTop: 16 }}
      >
        <ErrorAlert error={days.error} />
        <Chart
          option={option}
          height={280}
          loading={days.loading}
          ariaLabel={t('merchant:balance.channelTitle', { days: DAYS })}
        />
        <Table<ChannelSettlementDay>
          rowKey="date"
          size="small"
          style={{ marginTop: 12 }}
          dataSource={[...items].reverse()}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          columns={[
            { title: t('merchant:balance.date'), dataIndex: 'date', width: 120 },
            {
              title: t('merchant:balance.expected'),
              dataIndex: 'expected',
              align: 'right',
              render: (v: number) => yuan(v, currency),
            },
            {
              title: t('merchant:balance.settled'),
              dataIndex: 'settled',
              align: 'right',
              render: (v: number) => yuan(v, currency),
            },
          ]}
        />
      </ProCard>
    </>
  );
}

/**
 * One end-of-day balance per day of the range, oldest first: a day without a row keeps the day
 * before's balances (nothing moved), and today is the balance now.
 */
function fillDays(
  rows: DailyBalance[],
  range: { from: string; to: string },
  now?: BalanceView,
): DailyBalance[] {
  const byDate = new Map(rows.map((r) => [r.date.slice(0, 10), r]));
  const earlier = rows.filter((r) => r.date < range.from).sort((a, b) => a.date.localeCompare(b.date));
  let last: DailyBalance = earlier.at(-1) ?? {
    date: range.from,
    pending: 0,
    available: 0,
    frozen: 0,
    reserved: 0,
  };
  const days: DailyBalance[] = [];
  for (let d = dayjs(range.from); !d.isAfter(dayjs(range.to), 'day'); d = d.add(1, 'day')) {
    const date = d.format('YYYY-MM-DD');
    const row = date === range.to && now ? { date, ...pick(now) } : byDate.get(date);
    last = row ? { ...row, date } : { ...last, date };
    days.push(last);
  }
  return days;
}

function pick(b: BalanceView) {
  return { pending: b.pending, available: b.available, frozen: b.frozen, reserved: b.reserved };
}

/** The last `days` platform days, today included, as from / to (YYYY-MM-DD). */
function lastDays(days: number) {
  return {
    from: dayjs()
      .subtract(days - 1, 'day')
      .format('YYYY-MM-DD'),
    to: dayjs().format('YYYY-MM-DD'),
  };
}

/** Amounts per day, one series per key, in yuan on one axis; the tooltip in yuan. */
function lineOption<T extends { date: string }>(
  rows: T[],
  series: { key: string; name: string }[],
  yName: string,
  format: (minor: number) => string,
  type: 'line' | 'bar' = 'line',
): ChartOption {
  return {
    // Drawn at once: the figures are the point, not the motion (and a screenshot shows them whole).
    animation: false,
    color: series.map((s) => COLORS[s.key] ?? '#1677ff'),
    grid: { left: 12, right: 12, top: 36, bottom: 36, containLabel: true },
    legend: { bottom: 0, data: series.map((s) => s.name) },
    tooltip: {
      trigger: 'axis',
      formatter: (params) => {
        const list = Array.isArray(params) ? params : [params];
        const head = list[0]?.name ?? '';
        const lines = list.map(
          (p) =>
            `${p.marker ?? ''} ${p.seriesName}: <b>${format(Math.round(Number(p.value ?? 0) * 100))}</b>`,
        );
        return [head, ...lines].join('<br/>');
      },
    },
    xAxis: [{ type: 'category', data: rows.map((r) => r.date) }],
    yAxis: [
      {
        type: 'value',
        name: yName,
        nameTextStyle: { align: 'left' },
        axisLabel: { formatter: (v: number) => compactNumber(v) },
        splitLine: { lineStyle: { type: 'dashed' } },
      },
    ],
    series: series.map((s) => ({
      name: s.name,
      type,
      showSymbol: false,
      barMaxWidth: 14,
      data: rows.map((r) => Number((r as unknown as Record<string, number>)[s.key] ?? 0) / 100),
    })),
  };
}
