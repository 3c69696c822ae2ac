import { ExclamationCircleOutlined, ReloadOutlined, StopOutlined, SyncOutlined } from '@ant-design/icons';
import {
  type ActionType,
  ModalForm,
  type ProColumns,
  ProFormText,
  ProFormTextArea,
  ProTable,
} from '@ant-design/pro-components';
import {
  Alert,
  App,
  Button,
  Descriptions,
  Drawer,
  Empty,
  Grid,
  Popconfirm,
  Result,
  Skeleton,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { describeError, errorText } from '../../shell/errors.ts';
import { PAYOUT_STATES, type PayoutState } from '../../shell/financeFormat.ts';
import { dateTime, yuan } from '../../shell/format.ts';
import { FiguresCell, remembered, useNumberSearchRules, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { openableRow } from '../../shell/rowClick.ts';
import { type ExportParams, ServerExportButton } from '../../shell/ServerExportButton.tsx';
import { useCan } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { useApi } from '../../shell/useApi.ts';
import { useRequestError } from '../../shell/useRequestError.ts';
import { searchMerchants } from '../components.tsx';
import {
  fetchFinancePage,
  OwnerText,
  type PayoutAttempt,
  type PayoutDetail,
  type PayoutRow,
  PayoutStateTag,
  useFinanceEnums,
} from '../finance.tsx';

/** States a payout may still be retried or given up in (the server decides; PAYOUT_STATE_INVALID otherwise). */
const RETRYABLE = ['pending', 'submitted'];
const MARKABLE = ['pending', 'submitted'];

/** 代付: every payout order, of withdrawals and of third-party payouts, with the channel's side. */
export function PayoutsPage() {
  const { t } = useTranslation(['operator', 'common']);
  /** The list's current filters, which its export takes. */
  const filters = useRef<ExportParams>({});
  const onRequestError = useRequestError();
  const [params, setParams] = useSearchParams();
  const actionRef = useRef<ActionType>(null);
  const enums = useFinanceEnums();
  const numberRules = useNumberSearchRules();
  const open = params.get('payout');

  const setOpen = (payoutNo: string | null) => {
    const copy = new URLSearchParams(params);
    if (payoutNo) copy.set('payout', payoutNo);
    else copy.delete('payout');
    setParams(copy, { replace: !payoutNo });
  };

  const columns: ProColumns<PayoutRow>[] = [
    {
      title: t('payouts.search'),
      dataIndex: 'q',
      hideInTable: true,
      fieldProps: { placeholder: t('payouts.searchPlaceholder'), allowClear: true },
      formItemProps: { rules: numberRules },
    },
    {
      title: t('glossary:payoutNo'),
      dataIndex: 'payoutNo',
      search: false,
      fixed: 'left',
      width: 215,
      render: (_, p) => (
        <TwoLineCell
          secondary={p.kind === 'withdrawal' ? p.withdrawNo : p.mchPayoutNo}
          secondaryTip={p.kind === 'withdrawal' ? t('glossary:withdrawNo') : t('glossary:mchPayoutNo')}
          time={p.createdAt}
          timeTip={t('payouts.createdAt')}
        >
          <Typography.Text className="qy-mono" copyable={{ text: p.payoutNo }} style={{ fontSize: 13 }}>
            {p.payoutNo}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('owner.column'),
      dataIndex: 'mchNo',
      valueType: 'select',
      fieldProps: { showSearch: true, filterOption: false },
      debounceTime: 300,
      request: async ({ keyWords }) => searchMerchants(keyWords),
      width: 180,
      render: (_, p) => (
        <TwoLineCell
          secondaryMono={false}
          secondary={
            <Tag bordered={false} style={{ marginInlineEnd: 0 }}>
              {p.kind === 'withdrawal' ? t('glossary:withdrawal') : t('finance.kindPayout')}
            </Tag>
          }
        >
          {p.ownerKind === 'agent' || p.ownerKind === 'member' ? (
            <OwnerText row={p} />
          ) : (
            <Typography.Text ellipsis={{ tooltip: p.mchNo }} style={{ maxWidth: 168 }}>
              {p.merchantName || p.mchNo}
            </Typography.Text>
          )}
        </TwoLineCell>
      ),
    },
    {
      title: t('payouts.kind'),
      dataIndex: 'kind',
      hideInTable: true,
      valueType: 'select',
      valueEnum: enums.payoutKind,
    },
    {
      title: t('payouts.figures'),
      dataIndex: 'amount',
      search: false,
      align: 'right',
      width: 150,
      render: (_, p) => (
        <FiguresCell
          main={yuan(p.amount, p.currency)}
          figures={[{ label: t('glossary:fee'), value: yuan(p.fee, p.currency) }]}
        />
      ),
    },
    {
      title: t('payouts.channelSide'),
      dataIndex: 'channelAccountName',
      search: false,
      width: 200,
      render: (_, p) => (
        <TwoLineCell secondary={p.channelPayoutNo ?? '-'} secondaryTip={t('glossary:channelPayoutNo')}>
          <Typography.Text ellipsis={{ tooltip: p.channelAccountName }} style={{ maxWidth: 188 }}>
            {p.channelAccountName ?? (p.channelAccountId ? `#${p.channelAccountId}` : '-')}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('payouts.state'),
      dataIndex: 'state',
      valueType: 'select',
      valueEnum: enums.payoutState,
      width: 150,
      render: (_, p) => (
        <Space direction="vertical" size={2}>
          <span data-cell="state">
            <PayoutStateTag state={p.state} />
          </span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('payouts.channelStateShort', { state: p.channelState ?? '-' })}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('payouts.createdAt'),
      dataIndex: 'createdRange',
      valueType: 'dateRange',
      hideInTable: true,
      search: {
        transform: (value: [string | Dayjs, string | Dayjs]) => ({
          from: dayjs(value[0]).startOf('day').toISOString(),
          to: dayjs(value[1]).endOf('day').toISOString(),
        }),
      },
    },
  ];

  return (
    <Page title={t('payouts.title')} subTitle={t('payouts.subtitle')}>
      <div data-testid="payout-table">
        <ProTable<PayoutRow>
          rowKey="payoutNo"
          actionRef={actionRef}
          columns={columns}
          cardBordered
          scroll={{ x: widthOf(columns) }}
          columnsState={remembered('operator.payouts')}
          form={{ ignoreRules: false }}
          size="middle"
          search={{
            labelWidth: 'auto',
            defaultCollapsed: false,
            span: { xs: 24, sm: 12, md: 8, lg: 8, xl: 6, xxl: 6 },
          }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [20, 50, 100] }}
          options={{ density: true, setting: true, reload: true, fullScreen: true }}
          onRow={(p) => openableRow(() => setOpen(p.payoutNo), `${t('glossary:payout')} ${p.payoutNo}`)}
          onRequestError={onRequestError}
          request={(p) => {
            filters.current = {
              q: p.q?.trim(),
              state: p.state,
              kind: p.kind,
              mchNo: p.mchNo,
              from: p.from,
              to: p.to,
            };
            return fetchFinancePage<PayoutRow>('/api/admin/payouts', { ...filters.current }, p);
          }}
          toolBarRender={() => [
            <ServerExportButton
              key="export"
              path={'/api/admin/payouts/export'}
              params={() => filters.current}
              testId="payouts-export"
            />,
          ]}
        />
      </div>
      <PayoutDrawer
        payoutNo={open}
        onClose={() => setOpen(null)}
        onChanged={() => actionRef.current?.reload()}
      />
    </Page>
  );
}

/** 代付详情: the payout, its payee, its channel side and every attempt. */
export function PayoutDrawer({
  payoutNo,
  onClose,
  onChanged,
}: {
  payoutNo: string | null;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const detail = useApi<PayoutDetail>(payoutNo ? `/api/admin/payouts/${encodeURIComponent(payoutNo)}` : null);
  const p = detail.data && detail.data.payoutNo === payoutNo ? detail.data : undefined;
  const phone = Grid.useBreakpoint().md === false;
  const changed = async () => {
    await detail.reload();
    onChanged();
  };
  return (
    <Drawer
      open={!!payoutNo}
      onClose={onClose}
      width={phone ? '100%' : 760}
      destroyOnHidden
      title={
        <Space wrap>
          <span>{t('payouts.detail')}</span>
          {p && <PayoutStateTag state={p.state} />}
        </Space>
      }
      extra={p ? <PayoutActions p={p} onChanged={changed} /> : undefined}
    >
      <div data-testid="payout-detail">
        {detail.error && !p ? (
          <Result
            status="warning"
            title={describeError(detail.error).title}
            subTitle={describeError(detail.error).detail}
          />
        ) : !p ? (
          <Skeleton active paragraph={{ rows: 10 }} />
        ) : (
          <PayoutBody p={p} reload={() => void detail.reload()} reloading={detail.loading} />
        )}
      </div>
    </Drawer>
  );
}

function PayoutActions({ p, onChanged }: { p: PayoutDetail; onChanged: () => Promise<void> }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const can = useCan();
  const [busy, setBusy] = useState(false);
  if (!can('finance.operate')) return null;
  const path = `/api/admin/payouts/${encodeURIComponent(p.payoutNo)}`;
  return (
    <Space wrap>
      {RETRYABLE.includes(p.state) && (
        <Popconfirm
          title={t('payouts.retryConfirm')}
          description={t('payouts.retryHint')}
          onConfirm={async () => {
            setBusy(true);
            try {
              await api.post(`${path}/retry`);
              message.success(t('payouts.retried'));
              await onChanged();
            } catch (e) {
              message.error(errorText(e));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Button icon={<SyncOutlined />} loading={busy}>
            {t('payouts.retry')}
          </Button>
        </Popconfirm>
      )}
      {MARKABLE.includes(p.state) && <MarkFailedForm p={p} onDone={onChanged} />}
    </Space>
  );
}

/**
 * 置为失败: like 补单, it moves money by hand, so it asks for the completion password (the same
 * separate password, with the same guess limit) and a reason; the frozen funds go back to the merchant.
 */
function MarkFailedForm({ p, onDone }: { p: PayoutDetail; onDone: () => Promise<void> }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  return (
    <ModalForm<{ completionPassword: string; reason: string }>
      title={t('markFailed.title', { no: p.payoutNo })}
      width={520}
      modalProps={{
        destroyOnHidden: true,
        afterClose: () => setError(null),
        okButtonProps: { danger: true },
      }}
      submitter={{ searchConfig: { submitText: t('markFailed.submit') } }}
      trigger={
        <Button danger icon={<StopOutlined />}>
          {t('markFailed.button')}
        </Button>
      }
      onFinish={async (v) => {
        setError(null);
        try {
          await api.post(`/api/admin/payouts/${encodeURIComponent(p.payoutNo)}/mark-failed`, {
            reason: v.reason.trim(),
            completionPassword: v.completionPassword,
          });
          message.success(t('markFailed.done'));
          await onDone();
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <Alert
        type="warning"
        showIcon
        icon={<ExclamationCircleOutlined />}
        style={{ marginBottom: 16 }}
        message={t('markFailed.warningTitle', { amount: yuan(p.amount, p.currency) })}
        description={t('markFailed.warning')}
      />
      <ErrorAlert error={error} />
      <Descriptions
        size="small"
        column={{ xs: 1, sm: 2, md: 2, lg: 2, xl: 2, xxl: 2 }}
        style={{ marginBottom: 16 }}
      >
        <Descriptions.Item label={t('owner.column')}>
          <OwnerText row={p} />
        </Descriptions.Item>
        <Descriptions.Item label={t('payouts.amount')}>{yuan(p.amount, p.currency)}</Descriptions.Item>
        <Descriptions.Item label={t('payouts.state')}>
          <PayoutStateTag state={p.state} />
        </Descriptions.Item>
        <Descriptions.Item label={t('glossary:channelPayoutNo')}>
          {p.channelPayoutNo ?? '-'}
        </Descriptions.Item>
      </Descriptions>
      <ProFormText.Password
        name="completionPassword"
        label={t('complete.password')}
        extra={t('markFailed.passwordHint')}
        fieldProps={{ autoComplete: 'off', autoFocus: true }}
        rules={[{ required: true, message: t('complete.passwordRequired') }]}
      />
      <ProFormTextArea
        name="reason"
        label={t('finance.reason')}
        placeholder={t('markFailed.reasonPlaceholder')}
        fieldProps={{ rows: 3, showCount: true, maxLength: 200 }}
        rules={[{ required: true, whitespace: true, message: t('finance.reasonRequired') }]}
      />
    </ModalForm>
  );
}

function PayoutBody({ p, reload, reloading }: { p: PayoutDetail; reload: () => void; reloading: boolean }) {
  const { t } = useTranslation(['operator', 'common']);
  const c = p.currency;
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      {p.reason && p.state === 'failed' && <Alert type="error" showIcon message={p.reason} />}
      <Descriptions
        bordered
        size="small"
        column={{ xs: 1, sm: 2, md: 2, lg: 2, xl: 2, xxl: 2 }}
        title={t('payouts.basics')}
        extra={
          <Button size="small" icon={<ReloadOutlined spin={reloading} />} onClick={reload}>
            {t('common:actions.refresh')}
          </Button>
        }
      >
        <Descriptions.Item label={t('glossary:payoutNo')}>
          <Typography.Text copyable className="qy-mono">
            {p.payoutNo}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('payouts.kind')}>
          {p.kind === 'withdrawal' ? t('glossary:withdrawal') : t('finance.kindPayout')}
        </Descriptions.Item>
        {p.kind === 'withdrawal' ? (
          <Descriptions.Item label={t('glossary:withdrawNo')}>
            <span className="qy-mono">{p.withdrawNo ?? '-'}</span>
          </Descriptions.Item>
        ) : (
          <Descriptions.Item label={t('glossary:mchPayoutNo')}>
            <span className="qy-mono">{p.mchPayoutNo ?? '-'}</span>
          </Descriptions.Item>
        )}
        <Descriptions.Item label={t('owner.column')}>
          <OwnerText row={p} />
        </Descriptions.Item>
        <Descriptions.Item label={t('payouts.amount')}>
          <Typography.Text strong>{yuan(p.amount, c)}</Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('glossary:fee')}>{yuan(p.fee, c)}</Descriptions.Item>
        <Descriptions.Item label={t('payouts.payee')} span={2}>
          {p.payee ? `${p.payee.name} · ${p.payee.bankName} ${p.payee.accountNoMasked}` : '-'}
        </Descriptions.Item>
        <Descriptions.Item label={t('glossary:channelAccount')}>
          {p.channelAccountName ?? (p.channelAccountId ? `#${p.channelAccountId}` : '-')}
        </Descriptions.Item>
        <Descriptions.Item label={t('glossary:channelPayoutNo')}>
          <span className="qy-mono">{p.channelPayoutNo ?? '-'}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('payouts.channelState')}>
          <span className="qy-mono">{p.channelState ?? '-'}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('payouts.createdAt')}>{dateTime(p.createdAt)}</Descriptions.Item>
        <Descriptions.Item label={t('payouts.submittedAt')}>{dateTime(p.submittedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('payouts.finishedAt')}>
          {dateTime(p.paidAt ?? p.failedAt)}
        </Descriptions.Item>
      </Descriptions>
      <div>
        <Typography.Title level={5}>{t('payouts.attempts')}</Typography.Title>
        <Table<PayoutAttempt>
          size="small"
          rowKey={(a, i) => `${a.at}-${i}`}
          dataSource={p.attempts}
          pagination={false}
          scroll={{ x: 560 }}
          locale={{
            emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('payouts.noAttempts')} />,
          }}
          columns={[
            {
              title: t('payouts.attemptAt'),
              dataIndex: 'at',
              width: 170,
              render: (v: string) => dateTime(v),
            },
            {
              title: t('payouts.action'),
              dataIndex: 'action',
              width: 110,
              render: (v: string) => t(`payouts.actions.${v}`, { defaultValue: v }),
            },
            {
              title: t('payouts.outcome'),
              dataIndex: 'outcome',
              width: 110,
              render: (v: string) => (
                <Tag
                  color={
                    v === 'succeeded'
                      ? 'green'
                      : ['failed', 'refused', 'error', 'conflict', 'amount_mismatch'].includes(v)
                        ? 'red'
                        : 'default'
                  }
                >
                  {PAYOUT_STATES.includes(v as PayoutState)
                    ? t(`glossary:payoutState.${v}`)
                    : t(`payouts.outcomes.${v}`, { defaultValue: v })}
                </Tag>
              ),
            },
            {
              title: t('payouts.message'),
              dataIndex: 'message',
              render: (v: string | null, a) =>
                a.code ? (
                  <Typography.Text type="danger" data-error-code={a.code}>
                    {t(`errors:code.${a.code}`, { defaultValue: v ?? a.code })}
                  </Typography.Text>
                ) : (
                  (v ?? '-')
                ),
            },
          ]}
        />
      </div>
    </Space>
  );
}
