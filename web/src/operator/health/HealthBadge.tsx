import { Badge, Descriptions, Tag, Tooltip, Typography } from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { dateTime, ratio } from '../../shell/format.ts';

export type HealthStatus = 'healthy' | 'degraded' | 'open' | 'half_open';

export interface BreakerSettings {
  failureThreshold: number;
  openBelowPercent: number;
  minVolume: number;
  windowMinutes: 5 | 15 | 60;
  openSeconds: number;
  halfOpenProbes: number;
  degradedBelowPercent: number;
  degradedWeightPercent: number;
}

interface Rates {
  successRate: number | null;
}

/** GET /api/admin/channel-health, one row per channel account. */
export interface ChannelHealth {
  channelAccountId: string;
  name: string;
  status: HealthStatus;
  circuit: 'closed' | 'open' | 'half_open';
  consecutiveFailures: number;
  openedAt: string | null;
  probesFrom: string | null;
  probesTaken: number;
  creates: Record<'m5' | 'm15' | 'm60', Rates & { calls: number; failures: number }>;
  payments: Record<'m5' | 'm15' | 'm60', Rates & { orders: number; paid: number }>;
  latencyMs: { average: number | null; max: number | null };
  settings: BreakerSettings;
  customSettings: boolean;
}

/** How often the badges are read again. */
export const HEALTH_REFRESH_MS = 5_000;

/** Every channel account's health by id, read again every few seconds while the screen is open. */
export function useChannelHealth(): { byId: Map<string, ChannelHealth>; reload: () => Promise<void> } {
  const [byId, setById] = useState<Map<string, ChannelHealth>>(new Map());
  const live = useRef(true);
  const load = useCallback(async () => {
    try {
      const rows = await api.get<ChannelHealth[]>('/api/admin/channel-health');
      if (live.current) setById(new Map(rows.map((r) => [r.channelAccountId, r])));
    } catch {
      // A missed refresh keeps the last figures; the next one tries again.
    }
  }, []);
  useEffect(() => {
    live.current = true;
    void load();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void load();
    }, HEALTH_REFRESH_MS);
    return () => {
      live.current = false;
      clearInterval(timer);
    };
  }, [load]);
  return { byId, reload: load };
}

const COLORS: Record<HealthStatus, string> = {
  healthy: 'success',
  degraded: 'warning',
  open: 'error',
  half_open: 'processing',
};

const TAG_COLORS: Record<HealthStatus, string> = {
  healthy: 'green',
  degraded: 'gold',
  open: 'red',
  half_open: 'blue',
};

/** The live badge of a channel account: its status, and the rates behind it on hover (or focus). */
export function HealthBadge({ health }: { health: ChannelHealth | undefined }) {
  const { t } = useTranslation('operator');
  if (!health) return null;
  const label = t(`health.status.${health.status}`);
  return (
    <Tooltip title={<HealthDetail health={health} />} styles={{ root: { maxWidth: 360 } }}>
      <Tag
        color={TAG_COLORS[health.status]}
        tabIndex={0}
        data-testid={`health-${health.channelAccountId}`}
        data-status={health.status}
        aria-label={t('health.badgeLabel', { status: label })}
        style={{ marginInlineEnd: 0, cursor: 'help' }}
      >
        <Badge status={COLORS[health.status] as 'success'} /> {label}
      </Tag>
    </Tooltip>
  );
}

/** The figures behind a badge: create and payment success rates over 5 / 15 / 60 minutes, latency, circuit. */
export function HealthDetail({ health }: { health: ChannelHealth }) {
  const { t } = useTranslation('operator');
  const rate = (r: Rates, ok: number, total: number) =>
    r.successRate === null
      ? t('health.noData')
      : t('health.rateValue', { rate: ratio(r.successRate, 1), ok, total });
  const windows = ['m5', 'm15', 'm60'] as const;
  const minutes = { m5: 5, m15: 15, m60: 60 };
  return (
    <div>
      <Typography.Paragraph style={{ color: 'inherit', marginBottom: 8 }}>
        {t(`health.statusHint.${health.status}`, { percent: health.settings.degradedWeightPercent })}
      </Typography.Paragraph>
      <Descriptions
        size="small"
        column={1}
        colon
        labelStyle={{ color: 'inherit', opacity: 0.75 }}
        contentStyle={{ color: 'inherit' }}
        items={[
          ...windows.map((w) => ({
            key: `c${w}`,
            label: `${t('health.creates')} · ${t('health.window', { minutes: minutes[w] })}`,
            children: rate(
              health.creates[w],
              health.creates[w].calls - health.creates[w].failures,
              health.creates[w].calls,
            ),
          })),
          ...windows.map((w) => ({
            key: `p${w}`,
            label: `${t('health.payments')} · ${t('health.window', { minutes: minutes[w] })}`,
            children: rate(health.payments[w], health.payments[w].paid, health.payments[w].orders),
          })),
          {
            key: 'latency',
            label: t('health.latency'),
            children:
              health.latencyMs.average === null
                ? t('health.noData')
                : t('health.latencyValue', { average: health.latencyMs.average, max: health.latencyMs.max }),
          },
          {
            key: 'failures',
            label: t('health.consecutiveFailures'),
            children: String(health.consecutiveFailures),
          },
          ...(health.probesFrom
            ? [{ key: 'probes', label: t('health.probesFrom'), children: dateTime(health.probesFrom) }]
            : []),
          ...(health.openedAt
            ? [{ key: 'opened', label: t('health.lastOpened'), children: dateTime(health.openedAt) }]
            : []),
        ]}
      />
    </div>
  );
}
