import { type ProColumns, ProTable } from '@ant-design/pro-components';
import { Col, Empty, Row, Space, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import { dateTime } from '../../shell/format.ts';
import { Page } from '../../shell/Page.tsx';
import { fetchTablePage } from '../../shell/tablePage.ts';
import { useRequestError } from '../../shell/useRequestError.ts';
import type { AuditEntry } from '../types.ts';

/** Top-level keys whose values differ between before and after. */
export function changedKeys(before: unknown, after: unknown): string[] {
  const obj = (v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  const a = obj(before);
  const b = obj(after);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
    (k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]),
  );
}

/** 操作日志: every console change — who, when, from where, what, before and after. */
export function AuditPage() {
  const { t } = useTranslation(['operator', 'common']);
  const onRequestError = useRequestError();

  const columns: ProColumns<AuditEntry>[] = [
    {
      title: t('audit.time'),
      dataIndex: 'createdAt',
      search: false,
      width: 176,
      render: (_, e) => dateTime(e.createdAt),
    },
    {
      title: t('audit.range'),
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
      title: t('audit.actor'),
      dataIndex: 'actor',
      width: 150,
      fieldProps: { placeholder: t('audit.actorPlaceholder') },
      render: (_, e) => (
        <Space size={4}>
          <span>{e.actorName}</span>
          <Tag bordered={false}>{t(`common:areas.${e.actorArea}`, { defaultValue: e.actorArea })}</Tag>
        </Space>
      ),
    },
    {
      title: 'IP',
      dataIndex: 'ip',
      search: false,
      width: 120,
      render: (_, e) => <span className="qy-mono">{e.ip || '-'}</span>,
    },
    {
      title: t('audit.action'),
      dataIndex: 'action',
      fieldProps: { placeholder: t('audit.actionPlaceholder') },
      render: (_, e) => (
        <Typography.Text code style={{ fontSize: 12 }}>
          {e.action}
        </Typography.Text>
      ),
    },
    {
      title: t('audit.targetType'),
      dataIndex: 'targetType',
      width: 100,
      fieldProps: { placeholder: 'merchant / app / order …' },
      render: (_, e) => e.targetType || '-',
    },
    {
      title: t('audit.targetId'),
      dataIndex: 'targetId',
      width: 160,
      render: (_, e) =>
        e.targetId ? (
          <Typography.Text className="qy-mono" copyable>
            {e.targetId}
          </Typography.Text>
        ) : (
          '-'
        ),
    },
    {
      title: t('audit.status'),
      dataIndex: 'status',
      search: false,
      width: 70,
      render: (_, e) => <Tag color={e.status < 400 ? 'green' : 'red'}>{e.status}</Tag>,
    },
  ];

  return (
    <Page title={t('audit.title')} subTitle={t('audit.subtitle')}>
      <div data-testid="audit-table">
        <ProTable<AuditEntry>
          rowKey="id"
          columns={columns}
          cardBordered
          scroll={{ x: 1000 }}
          search={{ labelWidth: 'auto', defaultCollapsed: false }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true }}
          options={{ density: false, setting: true, reload: true }}
          expandable={{
            rowExpandable: (e) => e.before != null || e.after != null,
            expandedRowRender: (e) => <AuditDiff entry={e} />,
          }}
          onRequestError={onRequestError}
          request={(p) =>
            fetchTablePage<AuditEntry>(
              '/api/admin/audit',
              {
                actor: p.actor?.trim(),
                action: p.action?.trim(),
                targetType: p.targetType?.trim(),
                targetId: p.targetId?.trim(),
                from: p.from,
                to: p.to,
              },
              p,
            )
          }
        />
      </div>
    </Page>
  );
}

function AuditDiff({ entry }: { entry: AuditEntry }) {
  const { t } = useTranslation('operator');
  const keys = changedKeys(entry.before, entry.after);
  const json = (v: unknown) =>
    v === null || v === undefined ? (
      <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('audit.nothing')} />
    ) : (
      <pre className="qy-json qy-mono">{JSON.stringify(v, null, 2)}</pre>
    );
  return (
    <div data-testid="audit-diff" style={{ padding: '4px 8px' }}>
      {keys.length > 0 && (
        <div style={{ marginBottom: 8 }}>
          <Typography.Text type="secondary">{t('audit.changed')}：</Typography.Text>
          {keys.map((k) => (
            <Tag key={k} color="orange" className="qy-mono">
              {k}
            </Tag>
          ))}
        </div>
      )}
      <Row gutter={16}>
        <Col span={12}>
          <Typography.Text strong>{t('audit.before')}</Typography.Text>
          {json(entry.before)}
        </Col>
        <Col span={12}>
          <Typography.Text strong>{t('audit.after')}</Typography.Text>
          {json(entry.after)}
        </Col>
      </Row>
    </div>
  );
}
