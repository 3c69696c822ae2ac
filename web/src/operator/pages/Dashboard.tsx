import { ReloadOutlined } from '@ant-design/icons';
import { Button, Space, Switch, Tooltip, Typography } from 'antd';
import type { TFunction } from 'i18next';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { time } from '../../shell/format.ts';
import { Page } from '../../shell/Page.tsx';
import { TestDataHint, TestDataSwitch, TestDataTag, useTestData } from '../../shell/TestData.tsx';
import { useInterval } from '../../shell/useApi.ts';
import type { OperatorDashboard, ReadReplicaState, Stats, StatsGroup } from '../types.ts';
import { GroupSection } from './dashboardGroups.tsx';
import { ChannelRates, TodayCards, TopLists } from './dashboardToday.tsx';
import { type Range, TrendSection } from './dashboardTrend.tsx';

const REFRESH_MS = 10_000;

/** A range of the platform's calendar days, `to` included. */
function daysOf(range: Range | null): { from?: string; to?: string } {
  if (!range) return {};
  return { from: range[0].format('YYYY-MM-DD'), to: range[1].format('YYYY-MM-DD') };
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

/** Where the figures came from: the replica and how far behind, or the primary and why. */
function replicaLine(t: TFunction, state: ReadReplicaState): string {
  if (state.target === 'replica')
    return t('stats.readReplica.replica', { seconds: seconds(state.lagMs ?? 0) });
  if (state.reason === 'lag_too_high' && state.lagMs !== null)
    return t('stats.readReplica.lagging', { seconds: seconds(state.lagMs), limit: seconds(state.maxLagMs) });
  return t('stats.readReplica.primary');
}

/**
 * Loads one answer again whenever its path changes or `load` is called; an older answer that
 * arrives late never replaces a newer one.
 */
function useLatest<T>(path: string) {
  const [data, setData] = useState<T | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const sequence = useRef(0);
  const load = useCallback(async () => {
    const mine = ++sequence.current;
    setLoading(true);
    try {
      const answer = await api.get<T>(path);
      if (mine !== sequence.current) return;
      setData(answer);
      setError(null);
    } catch (e) {
      if (mine === sequence.current) setError(e);
    } finally {
      if (mine === sequence.current) setLoading(false);
    }
  }, [path]);
  useEffect(() => {
    void load();
  }, [load]);
  return { data, loading, error, load };
}

/**
 * 数据统计: today live (cards, the top five merchants, channel accounts and agents, each channel
 * account's success rate over the last 15 and 60 minutes), the daily trend of a chosen range
 * (default 90 days) and the figures per merchant, product or channel account of a window, all
 * refreshed every 10 s. Test orders count only with the "include test orders" switch (on by
 * default in the demo, remembered once chosen); while they are left out, a hint says how many
 * there are.
 */
export function DashboardPage() {
  const { t } = useTranslation(['operator', 'common']);
  const [groupBy, setGroupBy] = useState<StatsGroup>('merchant');
  const [groupRange, setGroupRange] = useState<Range | null>(null);
  // None: the server's last 90 days, counted in the platform's time zone, not the browser's.
  const [trendRange, setTrendRange] = useState<Range | null>(null);
  const [live, setLive] = useState(true);
  const testData = useTestData();
  const { includeTest } = testData;

  const board = useLatest<OperatorDashboard>(
    `/api/admin/dashboard${qs({ includeTest, ...daysOf(trendRange) })}`,
  );
  const groups = useLatest<Stats>(`/api/admin/stats${qs({ groupBy, includeTest, ...daysOf(groupRange) })}`);
  const dashboard = testData.current(board.data) ?? undefined;
  const stats = testData.current(groups.data) ?? undefined;
  const [refreshedAt, setRefreshedAt] = useState<Date | null>(null);
  useEffect(() => {
    if (board.data) setRefreshedAt(new Date());
  }, [board.data]);

  const loadBoard = board.load;
  const loadGroups = groups.load;
  const reload = useCallback(() => Promise.all([loadBoard(), loadGroups()]), [loadBoard, loadGroups]);
  useInterval(reload, REFRESH_MS, live);

  const loading = board.loading || groups.loading;
  // An answer for the other setting of the switch is being asked again: still loading.
  const todayLoading = !dashboard && (board.loading || !!board.data);

  return (
    <Page
      title={t('stats.title')}
      subTitle={t('stats.subtitle')}
      tags={dashboard?.includesTest ? <TestDataTag /> : undefined}
      extra={[
        <TestDataSwitch key="test-data" checked={testData.show} onChange={testData.choose} />,
        <Space key="live" size={8}>
          <Switch checked={live} onChange={setLive} aria-label={t('common:common.autoRefresh')} />
          <Typography.Text type="secondary">
            {live ? t('stats.every10s') : t('common:common.paused')}
          </Typography.Text>
        </Space>,
        <Tooltip key="refresh" title={t('common:actions.refresh')}>
          <Button
            icon={<ReloadOutlined spin={loading} />}
            onClick={() => void reload()}
            aria-label={t('common:actions.refresh')}
          />
        </Tooltip>,
      ]}
      content={
        <Typography.Text type="secondary" data-testid="stats-refreshed-at">
          {refreshedAt
            ? t('common:common.refreshedAt', { time: time(refreshedAt) })
            : t('common:app.loading')}
          {dashboard && ` · ${t('stats.todayTitle')} ${t('stats.todayDate', { date: dashboard.date })}`}
          {board.data?.readReplica && ` · ${replicaLine(t, board.data.readReplica)}`}
        </Typography.Text>
      }
    >
      <ErrorAlert error={board.error ?? groups.error} />
      <TestDataHint answer={stats} onInclude={() => testData.choose(true)} />
      <TodayCards today={dashboard?.today} loading={todayLoading} />
      <TopLists top={dashboard?.top} loading={todayLoading} />
      <div style={{ marginTop: 16 }}>
        <ChannelRates rates={dashboard?.channelRates} loading={todayLoading} />
      </div>
      <TrendSection
        trend={dashboard?.trend}
        loading={todayLoading}
        range={trendRange}
        onRange={setTrendRange}
      />
      <GroupSection
        stats={stats}
        loading={groups.loading && !stats}
        groupBy={groupBy}
        onGroupBy={setGroupBy}
        range={groupRange}
        onRange={setGroupRange}
      />
    </Page>
  );
}
