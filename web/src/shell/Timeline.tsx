import { ExclamationCircleOutlined } from '@ant-design/icons';
import { Timeline as AntTimeline, Empty, Space, Tag, Typography } from 'antd';
import { flatten, useAuditWords } from './auditWords.ts';
import { dateTime } from './format.ts';

/** One order event as both consoles receive it. */
export interface TimelineEvent {
  kind: string;
  detail: Record<string, unknown> | null;
  alert?: boolean;
  at: string;
}

const EVENT_COLOR: Record<string, string> = {
  created: 'blue',
  routed: 'blue',
  channel_accepted: 'blue',
  paid: 'green',
  manual_completion: 'green',
  refund_succeeded: 'green',
  failed: 'red',
  refund_failed: 'red',
  channel_refused: 'orange',
  channel_declined: 'orange',
  rerouted: 'orange',
  closed: 'gray',
  cancelled: 'gray',
  synced: 'gray',
};

/**
 * Detail fields that only an engineer reads (channel codes and messages, ids): kept under a closed
 * "technical details" line, so the timeline itself reads as business words.
 */
const TECHNICAL = new Set(['code', 'message', 'error', 'attempts', 'operatorId', 'channelStatus', 'tasks']);
/** Detail fields that repeat what the event's title says. */
const SILENT = new Set(['currency']);

/** A platform operator's name is the platform's business: the merchant portal reads "平台运营" only. */
function forMerchant(detail: Record<string, unknown>): Record<string, unknown> {
  const source = detail.source;
  return typeof source === 'string' && source.startsWith('operator:')
    ? { ...detail, source: 'operator' }
    : detail;
}

/**
 * An order's events, oldest first, in business words: amounts in yuan, local time, sources named.
 * `audience="merchant"` leaves out who at the platform acted.
 */
export function OrderTimeline({
  events,
  audience = 'operator',
}: {
  events: TimelineEvent[];
  audience?: 'operator' | 'merchant';
}) {
  const w = useAuditWords();
  if (events.length === 0)
    return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={w.words.timeline.empty} />;
  return (
    <div data-testid="order-timeline">
      <AntTimeline
        style={{ marginTop: 8 }}
        items={events.map((e, i) => {
          const detail = audience === 'merchant' ? forMerchant(e.detail ?? {}) : (e.detail ?? {});
          const fields = [...flatten(detail)].filter(
            ([path, v]) => !SILENT.has(path) && v !== null && v !== undefined && v !== '',
          );
          const business = fields.filter(([path]) => !TECHNICAL.has(path.split('.').at(-1) ?? path));
          const technical = fields.filter(([path]) => TECHNICAL.has(path.split('.').at(-1) ?? path));
          return {
            key: `${e.at}-${i}`,
            color: e.alert ? 'red' : (EVENT_COLOR[e.kind] ?? 'gray'),
            dot: e.alert ? <ExclamationCircleOutlined style={{ color: '#cf1322' }} /> : undefined,
            children: (
              <div className={e.alert ? 'qy-event-alert' : undefined} data-testid="timeline-event">
                <Space size={8} wrap>
                  <Typography.Text strong type={e.alert ? 'danger' : undefined}>
                    {w.event(e.kind)}
                  </Typography.Text>
                  {e.alert && <Tag color="red">{w.words.timeline.alert}</Tag>}
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {dateTime(e.at)}
                  </Typography.Text>
                </Space>
                {business.length > 0 && (
                  <div style={{ marginTop: 4 }}>
                    {business.map(([path, v]) => (
                      <Tag key={path} bordered={false} style={{ marginBottom: 4, whiteSpace: 'normal' }}>
                        <Typography.Text type="secondary">
                          {w.field(path)}
                          {w.lang === 'zh' ? '：' : ': '}
                        </Typography.Text>
                        {w.value(path, v)}
                      </Tag>
                    ))}
                  </div>
                )}
                {technical.length > 0 && (
                  <details className="qy-technical">
                    <summary>
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {w.words.page.technical}
                      </Typography.Text>
                    </summary>
                    <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
                      {technical.map(([path, v]) => `${w.field(path)}: ${w.value(path, v)}`).join(' · ')}
                    </Typography.Text>
                  </details>
                )}
              </div>
            ),
          };
        })}
      />
    </div>
  );
}
