import { type ProColumns, ProTable } from '@ant-design/pro-components';
import { Descriptions, Space, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import { AuditDiff } from '../../shell/AuditDiff.tsx';
import { useAuditWords } from '../../shell/auditWords.ts';
import { dateTime } from '../../shell/format.ts';
import { Page } from '../../shell/Page.tsx';
import { fetchTablePage } from '../../shell/tablePage.ts';
import { useRequestError } from '../../shell/useRequestError.ts';
import type { AuditEntry } from '../types.ts';

// Outcome tags in colours that keep WCAG AA contrast (4.5:1) for their text.
const SUCCEEDED = { color: '#135200', background: '#f6ffed', borderColor: '#b7eb8f' };
const FAILED = { color: '#a8071a', background: '#fff1f0', borderColor: '#ffa39e' };

/** 操作日志: every console change — who, when, from where, what in business words, and what changed. */
export function AuditPage() {
  const { t } = useTranslation('common');
  const w = useAuditWords();
  const p = w.words.page;
  const onRequestError = useRequestError();

  const options = (labels: Record<string, string>, skip: string[] = []) =>
    Object.fromEntries(
      Object.entries(labels)
        .filter(([key]) => !skip.includes(key))
        .map(([key, text]) => [key, { text }]),
    );

  const columns: ProColumns<AuditEntry>[] = [
    {
      title: p.time,
      dataIndex: 'createdAt',
      search: false,
      width: 170,
      render: (_, e) => dateTime(e.createdAt),
    },
    {
      title: p.range,
      dataIndex: 'range',
      valueType: 'dateTimeRange',
      hideInTable: true,
      search: {
        transform: (value: [string | Dayjs, string | Dayjs]) => ({
          from: dayjs(value[0]).toISOString(),
          to: dayjs(value[1]).toISOString(),
        }),
      },
    },
    {
      title: p.action,
      dataIndex: 'actionKey',
      valueType: 'select',
      valueEnum: options(w.words.actions, ['unknown']),
      fieldProps: { placeholder: p.actionPlaceholder, showSearch: true },
      render: (_, e) => (
        <Space direction="vertical" size={0} data-testid="audit-action">
          <Typography.Text strong>{w.action(e.actionKey)}</Typography.Text>
          {(e.targetType || e.targetId) && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {w.object(e.targetType, e.targetId, e.targetName)}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: p.targetType,
      dataIndex: 'targetType',
      valueType: 'select',
      valueEnum: options(w.words.targets),
      fieldProps: { placeholder: p.targetTypePlaceholder, showSearch: true },
      hideInTable: true,
    },
    {
      title: p.targetId,
      dataIndex: 'targetId',
      hideInTable: true,
      fieldProps: { placeholder: p.targetIdPlaceholder },
    },
    {
      title: p.actor,
      dataIndex: 'actor',
      width: 200,
      fieldProps: { placeholder: p.actorPlaceholder },
      render: (_, e) => (
        <Space direction="vertical" size={0}>
          <Space size={4} wrap>
            <span>{e.actorName}</span>
            <Tag bordered={false}>{t(`areas.${e.actorArea}`, { defaultValue: e.actorArea })}</Tag>
          </Space>
          {e.ip && (
            <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
              {e.ip}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: p.outcome,
      dataIndex: 'outcome',
      width: 90,
      valueType: 'select',
      valueEnum: options(w.words.outcome),
      fieldProps: { placeholder: p.outcomePlaceholder },
      render: (_, e) => (
        <Tag style={e.succeeded ? SUCCEEDED : FAILED} data-testid="audit-outcome">
          {e.succeeded ? w.words.outcome.succeeded : w.words.outcome.failed}
        </Tag>
      ),
    },
  ];

  return (
    <Page title={p.title} subTitle={p.subtitle}>
      <div data-testid="audit-table">
        <ProTable<AuditEntry>
          rowKey="id"
          columns={columns}
          cardBordered
          scroll={{ x: 760 }}
          search={{ labelWidth: 'auto', defaultCollapsed: false }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true }}
          options={{ density: false, setting: true, reload: true }}
          expandable={{ expandedRowRender: (e) => <AuditDetail entry={e} /> }}
          onRequestError={onRequestError}
          request={(q) =>
            fetchTablePage<AuditEntry>(
              '/api/admin/audit',
              {
                actor: q.actor?.trim(),
                actionKey: q.actionKey,
                targetType: q.targetType,
                targetId: q.targetId?.trim(),
                outcome: q.outcome,
                from: q.from,
                to: q.to,
              },
              q,
            )
          }
        />
      </div>
    </Page>
  );
}

/** What changed, then — closed — the technical details: the route, the HTTP status, the record. */
function AuditDetail({ entry }: { entry: AuditEntry }) {
  const w = useAuditWords();
  const p = w.words.page;
  return (
    <div style={{ padding: '4px 8px' }}>
      <AuditDiff before={entry.before} after={entry.after} />
      <details className="qy-technical" style={{ marginTop: 8 }} data-testid="audit-technical">
        <summary>
          <Typography.Text type="secondary">{p.technical}</Typography.Text>
        </summary>
        <Descriptions size="small" column={1} style={{ marginTop: 4 }}>
          <Descriptions.Item label={p.route}>
            <span className="qy-mono">{entry.action}</span>
          </Descriptions.Item>
          <Descriptions.Item label={p.httpStatus}>
            <span className="qy-mono">{entry.status}</span>
          </Descriptions.Item>
          <Descriptions.Item label={p.ip}>
            <span className="qy-mono">{entry.ip || '-'}</span>
          </Descriptions.Item>
          <Descriptions.Item label={p.recordId}>
            <span className="qy-mono">{entry.id}</span>
          </Descriptions.Item>
        </Descriptions>
      </details>
    </div>
  );
}
