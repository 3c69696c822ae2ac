import { type ActionType, type ProColumns, ProTable } from '@ant-design/pro-components';
import { Descriptions, Drawer, Empty, Grid, Space, Timeline, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, qs } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { dateTime } from '../../shell/format.ts';
import { RowAction, remembered, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { openableRow } from '../../shell/rowClick.ts';
import { useCan } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { useApi } from '../../shell/useApi.ts';
import { useRequestError } from '../../shell/useRequestError.ts';
import { alertsChanged } from '../alerts/AlertBadge.tsx';
import { NoteAction, SeverityTag, StateTag, useDetailLines } from '../alerts/parts.tsx';
import { ALERT_KINDS, type AlertDetail, type AlertRow } from '../alerts/types.ts';

/** 告警: every alert with its kind, severity, subject and counts; filters follow the address; a drawer per alert. */
export function AlertsPage() {
  const { t } = useTranslation(['operator', 'common']);
  const onRequestError = useRequestError();
  const [params, setParams] = useSearchParams();
  const actionRef = useRef<ActionType>(null);
  const detailLines = useDetailLines();
  const openId = params.get('alert');
  const open = (id: string | null) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (id) next.set('alert', id);
        else next.delete('alert');
        return next;
      },
      { replace: !id },
    );

  const columns: ProColumns<AlertRow>[] = [
    {
      title: t('alerts.kind'),
      dataIndex: 'kind',
      valueType: 'select',
      initialValue: params.get('kind') ?? undefined,
      valueEnum: Object.fromEntries(ALERT_KINDS.map((k) => [k, { text: t(`alerts.kinds.${k}`) }])),
      fixed: 'left',
      width: 260,
      render: (_, a) => (
        <TwoLineCell
          secondary={a.subjectLabel}
          secondaryTip={t(`alerts.subjectTypes.${a.subjectType}`)}
          secondaryMono={false}
          time={a.firstSeenAt}
          timeTip={t('alerts.firstSeen')}
        >
          <Typography.Text strong ellipsis style={{ maxWidth: 248 }}>
            {t(`alerts.kinds.${a.kind}`, { defaultValue: a.kind })}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('alerts.severity'),
      dataIndex: 'severity',
      valueType: 'select',
      initialValue: params.get('severity') ?? undefined,
      valueEnum: {
        critical: { text: t('alerts.severities.critical') },
        warning: { text: t('alerts.severities.warning') },
        info: { text: t('alerts.severities.info') },
      },
      width: 90,
      render: (_, a) => <SeverityTag severity={a.severity} />,
    },
    {
      title: t('alerts.state'),
      dataIndex: 'state',
      valueType: 'select',
      initialValue: params.get('state') ?? 'unresolved',
      valueEnum: {
        unresolved: { text: t('alerts.states.unresolved') },
        open: { text: t('alerts.states.open') },
        acknowledged: { text: t('alerts.states.acknowledged') },
        resolved: { text: t('alerts.states.resolved') },
      },
      width: 110,
      render: (_, a) => <StateTag alert={a} />,
    },
    {
      title: t('alerts.summary'),
      dataIndex: 'detail',
      search: false,
      width: 300,
      render: (_, a) => (
        <Space direction="vertical" size={0}>
          {detailLines(a).map((line) => (
            <Typography.Text key={line} ellipsis={{ tooltip: line }} style={{ maxWidth: 288, fontSize: 13 }}>
              {line}
            </Typography.Text>
          ))}
        </Space>
      ),
    },
    {
      title: t('alerts.lastSeen'),
      dataIndex: 'lastSeenAt',
      search: false,
      width: 160,
      render: (_, a) => (
        <Space direction="vertical" size={0}>
          <Typography.Text>{dateTime(a.lastSeenAt)}</Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('alerts.countOf', { count: a.count })}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('alerts.subject'),
      dataIndex: 'subject',
      hideInTable: true,
      fieldProps: { placeholder: t('alerts.subjectPlaceholder') },
      initialValue: params.get('subject') ?? undefined,
    },
    {
      title: t('alerts.timeRange'),
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
      title: t('common:actions.more'),
      key: 'actions',
      search: false,
      width: 70,
      render: (_, a) => (
        <RowAction onClick={() => open(a.id)} aria-label={t('alerts.openLabel', { subject: a.subjectLabel })}>
          {t('alerts.open')}
        </RowAction>
      ),
    },
  ];

  return (
    <Page title={t('alerts.title')} subTitle={t('alerts.subtitle')}>
      <div data-testid="alert-table">
        <ProTable<AlertRow>
          rowKey="id"
          actionRef={actionRef}
          columns={columns}
          cardBordered
          scroll={{ x: widthOf(columns) }}
          columnsState={remembered('operator.alerts')}
          size="middle"
          search={{
            labelWidth: 'auto',
            defaultCollapsed: false,
            span: { xs: 24, sm: 12, md: 8, lg: 8, xl: 6, xxl: 6 },
          }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [20, 50, 100] }}
          options={{ density: true, setting: true, reload: true, fullScreen: true }}
          locale={{
            emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('alerts.none')} />,
          }}
          onRow={(a) => openableRow(() => open(a.id), t('alerts.openLabel', { subject: a.subjectLabel }))}
          onRequestError={onRequestError}
          request={async (p) => {
            const filters = {
              kind: p.kind,
              severity: p.severity,
              state: p.state,
              subject: p.subject?.trim(),
              from: p.from,
              to: p.to,
            };
            setParams(
              (old) => {
                const next = new URLSearchParams();
                for (const [k, v] of Object.entries(filters))
                  if (v && k !== 'from' && k !== 'to') next.set(k, v);
                const alert = old.get('alert');
                if (alert) next.set('alert', alert);
                return next;
              },
              { replace: true },
            );
            const answer = await api.get<{ items: AlertRow[]; total: number }>(
              `/api/admin/alerts${qs({ ...filters, page: p.current ?? 1, pageSize: p.pageSize ?? 20 })}`,
            );
            return { data: answer.items, total: answer.total, success: true };
          }}
        />
      </div>
      <AlertDrawer
        id={openId}
        onClose={() => open(null)}
        onChanged={() => {
          actionRef.current?.reload();
          alertsChanged();
        }}
      />
    </Page>
  );
}

/** One alert: what was seen, its subject, its history, and acknowledge / resolve with a note. */
function AlertDrawer({
  id,
  onClose,
  onChanged,
}: {
  id: string | null;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const can = useCan();
  const screens = Grid.useBreakpoint();
  const detailLines = useDetailLines();
  const detail = useApi<AlertDetail>(id ? `/api/admin/alerts/${encodeURIComponent(id)}` : null);
  const a = detail.data && detail.data.id === id ? detail.data : undefined;
  const changed = async () => {
    await detail.reload();
    onChanged();
  };
  const subjectLink =
    a?.subjectType === 'order'
      ? `/operator/orders?order=${encodeURIComponent(a.subjectLabel)}`
      : a?.subjectType === 'recon_batch'
        ? `/operator/reconciliation?batch=${encodeURIComponent(a.subjectId)}`
        : null;
  return (
    <Drawer
      open={id !== null}
      onClose={onClose}
      width={screens.md ? 560 : '100%'}
      title={t('alerts.detailTitle')}
      destroyOnHidden
      extra={
        a &&
        can('alerts.operate') &&
        a.state !== 'resolved' && (
          <Space>
            {a.state === 'open' && (
              <NoteAction
                label={t('alerts.acknowledge')}
                title={t('alerts.acknowledgeTitle')}
                hint={t('alerts.acknowledgeHint')}
                path={`/api/admin/alerts/${a.id}/acknowledge`}
                done={t('alerts.acknowledged')}
                onDone={changed}
                testId="alert-acknowledge"
              />
            )}
            <NoteAction
              label={t('alerts.resolve')}
              title={t('alerts.resolveTitle')}
              hint={t('alerts.resolveHint')}
              path={`/api/admin/alerts/${a.id}/resolve`}
              done={t('alerts.resolvedDone')}
              onDone={changed}
              danger
              testId="alert-resolve"
            />
          </Space>
        )
      }
    >
      <ErrorAlert error={detail.error} />
      {a && (
        <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="alert-detail">
          <Descriptions column={1} size="small" bordered>
            <Descriptions.Item label={t('alerts.kind')}>{t(`alerts.kinds.${a.kind}`)}</Descriptions.Item>
            <Descriptions.Item label={t('alerts.severity')}>
              <SeverityTag severity={a.severity} />
            </Descriptions.Item>
            <Descriptions.Item label={t('alerts.state')}>
              <StateTag alert={a} />
            </Descriptions.Item>
            <Descriptions.Item label={t(`alerts.subjectTypes.${a.subjectType}`)}>
              <Space wrap>
                <Typography.Text copyable>{a.subjectLabel}</Typography.Text>
                {subjectLink && (
                  <Link to={subjectLink}>
                    {a.subjectType === 'order' ? t('alerts.openOrder') : t('alerts.openBatch')}
                  </Link>
                )}
              </Space>
            </Descriptions.Item>
            <Descriptions.Item label={t('alerts.summary')}>
              <Space direction="vertical" size={0}>
                {detailLines(a).map((line) => (
                  <span key={line}>{line}</span>
                ))}
              </Space>
            </Descriptions.Item>
            <Descriptions.Item label={t('alerts.firstSeen')}>{dateTime(a.firstSeenAt)}</Descriptions.Item>
            <Descriptions.Item label={t('alerts.lastSeen')}>
              {dateTime(a.lastSeenAt)} · {t('alerts.countOf', { count: a.count })}
            </Descriptions.Item>
          </Descriptions>
          <div>
            <Typography.Title level={2} style={{ fontSize: 16 }}>
              {t('alerts.history')}
            </Typography.Title>
            <Timeline
              items={a.events.map((e) => ({
                key: e.id,
                color:
                  e.kind === 'raised' || e.kind === 'escalated'
                    ? 'red'
                    : e.kind === 'notified'
                      ? 'blue'
                      : 'green',
                children: (
                  <Space direction="vertical" size={0} data-testid="alert-event">
                    <Typography.Text strong>
                      {t(`alerts.events.${e.kind}`, { count: Number(e.detail.recipients ?? 0) })}
                    </Typography.Text>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {dateTime(e.at)} · {t('alerts.by', { name: e.by ?? t('alerts.system') })}
                    </Typography.Text>
                    {e.note && <Typography.Text>{t('alerts.noteOf', { note: e.note })}</Typography.Text>}
                  </Space>
                ),
              }))}
            />
          </div>
        </Space>
      )}
    </Drawer>
  );
}
