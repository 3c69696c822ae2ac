import { CheckOutlined, EditOutlined, WarningOutlined } from '@ant-design/icons';
import {
  type ActionType,
  ModalForm,
  type ProColumns,
  ProFormText,
  ProFormTextArea,
  ProTable,
} from '@ant-design/pro-components';
import { App, Button, Drawer, Grid, Space, Spin, Tag, Tooltip, Typography } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { remembered, widthOf } from '../../shell/listTable.tsx';
import {
  type ApplicationDetail,
  ApplicationDetailView,
  type ApplicationRow,
  ApplicationStateTag,
  IN_REVIEW_STATES,
  useStateEnum,
} from '../../shell/onboarding.tsx';
import { Page } from '../../shell/Page.tsx';
import { openableRow } from '../../shell/rowClick.ts';
import { useCan } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { fetchTablePage } from '../../shell/tablePage.ts';
import { useApi } from '../../shell/useApi.ts';
import { useRequestError } from '../../shell/useRequestError.ts';
import { RejectForm } from './Withdrawals.tsx';

const BASE = '/api/admin/onboarding/applications';
const pathOf = (no: string) => `${BASE}/${encodeURIComponent(no)}`;

/** 进件审核: the queue of merchant applications, each opened in a drawer to approve, reject or send back. */
export function OnboardingPage() {
  const { t } = useTranslation(['operator', 'common']);
  const onRequestError = useRequestError();
  const actionRef = useRef<ActionType>(null);
  const [params, setParams] = useSearchParams();
  const open = params.get('application');
  const setOpen = (applicationNo: string | null) => {
    const copy = new URLSearchParams(params);
    if (applicationNo) copy.set('application', applicationNo);
    else copy.delete('application');
    setParams(copy, { replace: !applicationNo });
  };
  const stateEnum = useStateEnum();

  const columns: ProColumns<ApplicationRow>[] = [
    {
      title: t('onboarding.search'),
      dataIndex: 'q',
      hideInTable: true,
    },
    {
      title: t('glossary:onboarding.field.merchantName'),
      dataIndex: 'merchantName',
      search: false,
      width: 240,
      render: (_, r) => (
        <TwoLineCell
          secondary={r.applicationNo}
          time={r.submittedAt ?? r.createdAt}
          timeTip={t('onboarding.submittedAt')}
        >
          <Space size={4}>
            <Typography.Text ellipsis={{ tooltip: r.merchantName }} style={{ maxWidth: 190 }}>
              {r.merchantName}
            </Typography.Text>
            {r.blacklistHit && (
              <Tooltip title={t('onboarding.hit')}>
                <WarningOutlined style={{ color: '#cf1322' }} aria-label={t('onboarding.hit')} />
              </Tooltip>
            )}
          </Space>
        </TwoLineCell>
      ),
    },
    {
      title: t('glossary:onboarding.field.legalName'),
      dataIndex: 'legalName',
      search: false,
      width: 180,
      render: (_, r) => (
        <TwoLineCell secondary={r.idNumberMasked}>
          {r.legalName} · {t(`glossary:onboarding.merchantType.${r.merchantType}`)}
        </TwoLineCell>
      ),
    },
    {
      title: t('glossary:onboarding.field.cardNo'),
      dataIndex: 'cardNoMasked',
      search: false,
      width: 200,
      render: (_, r) => <TwoLineCell secondary={r.phoneMasked}>{r.cardNoMasked}</TwoLineCell>,
    },
    {
      title: t('glossary:onboarding.field.agent'),
      dataIndex: 'agentNo',
      search: false,
      width: 130,
      render: (_, r) => (r.agentNo ? <span className="qy-mono">{r.agentNo}</span> : t('onboarding.agentOwn')),
    },
    {
      title: t('onboarding.state'),
      dataIndex: 'state',
      valueType: 'select',
      valueEnum: stateEnum,
      width: 160,
      render: (_, r) => (
        <Space direction="vertical" size={2}>
          <ApplicationStateTag state={r.state} />
          {r.reviewNote && (
            <Typography.Text
              type="secondary"
              ellipsis={{ tooltip: r.reviewNote }}
              style={{ fontSize: 12, maxWidth: 148 }}
            >
              {r.reviewNote}
            </Typography.Text>
          )}
        </Space>
      ),
    },
  ];

  return (
    <Page title={t('onboarding.title')} subTitle={t('onboarding.subtitle')}>
      <div data-testid="onboarding-table">
        <ProTable<ApplicationRow>
          rowKey="applicationNo"
          actionRef={actionRef}
          columns={columns}
          cardBordered
          scroll={{ x: widthOf(columns) }}
          columnsState={remembered('operator.onboarding')}
          size="middle"
          search={{
            labelWidth: 'auto',
            defaultCollapsed: false,
            span: { xs: 24, sm: 12, md: 8, lg: 8, xl: 6, xxl: 6 },
          }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [20, 50, 100] }}
          options={{ density: true, setting: true, reload: true, fullScreen: true }}
          onRow={(r) =>
            openableRow(
              () => setOpen(r.applicationNo),
              `${t('glossary:onboarding.application')} ${r.applicationNo}`,
            )
          }
          onRequestError={onRequestError}
          request={(p) => fetchTablePage<ApplicationRow>(BASE, { q: p.q?.trim(), state: p.state }, p)}
        />
      </div>
      <ReviewDrawer
        applicationNo={open}
        onClose={() => setOpen(null)}
        onChanged={() => actionRef.current?.reload()}
      />
    </Page>
  );
}

/** One application: the detail, and for reviewers the decision buttons while it waits for review. */
function ReviewDrawer({
  applicationNo,
  onClose,
  onChanged,
}: {
  applicationNo: string | null;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const screens = Grid.useBreakpoint();
  const can = useCan();
  const detail = useApi<ApplicationDetail>(applicationNo ? pathOf(applicationNo) : null);
  const d = detail.data;
  const reviewer = can('onboarding.review');
  const waiting = d && IN_REVIEW_STATES.includes(d.state);
  const done = async () => {
    await detail.reload();
    onChanged();
  };
  return (
    <Drawer
      open={!!applicationNo}
      onClose={onClose}
      width={screens.md ? 820 : '100%'}
      destroyOnHidden
      title={
        <Space wrap>
          <span>{t('glossary:onboarding.application')}</span>
          <span className="qy-mono">{applicationNo}</span>
          {d && <ApplicationStateTag state={d.state} />}
        </Space>
      }
      extra={
        reviewer && waiting && d ? (
          <Space wrap>
            <RequestChangesForm no={d.applicationNo} onDone={done} />
            <RejectForm
              title={t('onboarding.rejectTitle', { no: d.applicationNo })}
              hint={t('onboarding.rejectHint')}
              path={`${pathOf(d.applicationNo)}/reject`}
              done={t('onboarding.rejected')}
              onDone={done}
            />
            <ApproveForm detail={d} onDone={done} />
          </Space>
        ) : null
      }
    >
      <ErrorAlert error={detail.error} />
      {!d ? (
        <div className="qy-full-center" style={{ minHeight: 200 }}>
          <Spin />
        </div>
      ) : (
        <ApplicationDetailView detail={d} documentBase={pathOf(d.applicationNo)} />
      )}
    </Drawer>
  );
}

function RequestChangesForm({ no, onDone }: { no: string; onDone: () => Promise<void> }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  return (
    <ModalForm<{ note: string }>
      title={t('onboarding.requestChangesTitle', { no })}
      width={480}
      modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
      submitter={{ searchConfig: { submitText: t('onboarding.requestChanges') } }}
      trigger={<Button icon={<EditOutlined />}>{t('onboarding.requestChanges')}</Button>}
      onFinish={async ({ note }) => {
        setError(null);
        try {
          await api.post(`${pathOf(no)}/request-changes`, { note: note.trim() });
          message.success(t('onboarding.changesRequested'));
          await onDone();
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <Typography.Paragraph type="secondary">{t('onboarding.requestChangesHint')}</Typography.Paragraph>
      <ErrorAlert error={error} />
      <ProFormTextArea
        name="note"
        label={t('onboarding.note')}
        fieldProps={{ rows: 3, showCount: true, maxLength: 500, autoFocus: true }}
        rules={[{ required: true, whitespace: true, message: t('onboarding.noteRequired') }]}
      />
    </ModalForm>
  );
}

function ApproveForm({ detail, onDone }: { detail: ApplicationDetail; onDone: () => Promise<void> }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  if (detail.hits.length > 0) {
    return (
      <Tooltip title={t('onboarding.blockedByHit')}>
        <Button type="primary" icon={<CheckOutlined />} disabled>
          {t('onboarding.approve')}
        </Button>
      </Tooltip>
    );
  }
  return (
    <ModalForm<{ note?: string; username?: string; password?: string }>
      title={t('onboarding.approveTitle', { no: detail.applicationNo })}
      width={520}
      modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
      submitter={{ searchConfig: { submitText: t('onboarding.approve') } }}
      trigger={
        <Button type="primary" icon={<CheckOutlined />}>
          {t('onboarding.approve')}
        </Button>
      }
      onFinish={async ({ note, username, password }) => {
        setError(null);
        try {
          const answer = await api.post<{ mchNo: string }>(`${pathOf(detail.applicationNo)}/approve`, {
            note: note?.trim() || undefined,
            manager: username?.trim() ? { username: username.trim(), password } : undefined,
          });
          message.success(t('onboarding.approved', { mchNo: answer.mchNo }));
          await onDone();
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <Typography.Paragraph type="secondary">{t('onboarding.approveHint')}</Typography.Paragraph>
      <ErrorAlert error={error} />
      <ProFormTextArea
        name="note"
        label={t('onboarding.approveNote')}
        fieldProps={{ rows: 2, maxLength: 500 }}
      />
      <ProFormText
        name="username"
        label={t('onboarding.managerUsername')}
        fieldProps={{ autoComplete: 'off' }}
      />
      <ProFormText.Password
        name="password"
        label={t('onboarding.managerPassword')}
        dependencies={['username']}
        fieldProps={{ autoComplete: 'new-password' }}
        rules={[
          ({ getFieldValue }) => ({
            validator: async (_, value: string | undefined) => {
              if (String(getFieldValue('username') ?? '').trim() && !value) {
                throw new Error(t('onboarding.managerPasswordRequired'));
              }
            },
          }),
        ]}
      />
      <Tag bordered={false}>{detail.merchantName}</Tag>
    </ModalForm>
  );
}
