import { BellOutlined } from '@ant-design/icons';
import { Badge, Button, Grid, Tooltip } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, inBackground } from '../../api.ts';
import { useCan } from '../../shell/session.tsx';

const EVERY_MS = 60_000;

/** The header's bell: the count of open alerts (red when one is critical), linking to the list of unresolved ones. */
export function AlertBadge() {
  const { t } = useTranslation('operator');
  const can = useCan();
  const navigate = useNavigate();
  const allowed = can('alerts.read');
  // A phone's header has room for the language switch and the user menu only; the alerts stay in the menu.
  const wide = Grid.useBreakpoint().sm !== false;
  const [summary, setSummary] = useState<{ open: number; openCritical: number } | null>(null);

  useEffect(() => {
    if (!allowed) return;
    let stopped = false;
    const load = () =>
      inBackground(() => api.get<{ open: number; openCritical: number }>('/api/admin/alerts/summary'))
        .then((s) => {
          if (!stopped) setSummary(s);
        })
        .catch(() => undefined);
    void load();
    const timer = setInterval(load, EVERY_MS);
    window.addEventListener('qy:alerts-changed', load);
    return () => {
      stopped = true;
      clearInterval(timer);
      window.removeEventListener('qy:alerts-changed', load);
    };
  }, [allowed]);

  if (!allowed || !wide) return null;
  const open = summary?.open ?? 0;
  const label = open > 0 ? t('alerts.badge', { count: open }) : t('alerts.badgeNone');
  return (
    <Tooltip title={label}>
      <Button
        type="text"
        aria-label={label}
        data-testid="alert-badge"
        style={{ height: 40, paddingInline: 8 }}
        onClick={() => navigate('/operator/alerts?state=open')}
      >
        <Badge
          count={open}
          size="small"
          color={summary?.openCritical ? '#cf1322' : '#d46b08'}
          overflowCount={99}
        >
          <BellOutlined style={{ fontSize: 18 }} aria-hidden />
        </Badge>
      </Button>
    </Tooltip>
  );
}

/** Tells the header's badge to count again (after an acknowledge or resolve). */
export function alertsChanged(): void {
  window.dispatchEvent(new Event('qy:alerts-changed'));
}
