import { CheckOutlined, CloseOutlined, ReloadOutlined } from '@ant-design/icons';
import {
  type ActionType,
  ModalForm,
  type ProColumns,
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
  List,
  Popconfirm,
  Result,
  Skeleton,
  Space,
  Timeline,
  Typography,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { type Key, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { describeError, errorText } from '../../shell/errors.ts';
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
  OwnerCell,
  OwnerText,
  type PayoutRow,
  PayoutStateTag,
  useFinanceEnums,
  type WithdrawalDetail,
  WithdrawalProgress,
  type WithdrawalRow,
  WithdrawalStateTag,
} from '../finance.tsx';

interface BulkAnswer {
  approved: string[];
  failed: { withdrawNo: string; code: string }[];
}

/** 提现审核: withdrawals waiting for review first; approve one or many, reject with a reason. */
export function WithdrawalsPage() {
  const { t } = useTranslation(['operator', 'common']);
  /** The list's current filters, which its export takes. */
  const filters = useRef<ExportParams>({});
  const { modal, message } = App.useApp();
  const onRequestError = useRequestError();
  const can = useCan();
  const reviewer = can('finance.review');
  const [params, setParams] = useSearchParams();
  const actionRef = useRef<ActionType>(null);
  const [selected, setSelected] = useState<Key[]>([]);
  const [approving, setApproving] = useState(false);
  const enums = useFinanceEnums();
  const numberRules = useNumberSearchRules();
  const open = params.get('withdrawal');

  const setOpen = (withdrawNo: string | null) => {
    const copy = new URLSearchParams(params);
    if (withdrawNo) copy.set('withdrawal', withdrawNo);
    else copy.delete('withdrawal');
    setParams(copy, { replace: !withdrawNo });
  };

  const bulkApprove = async () => {
    setApproving(true);
    try {
      const answer = await api.post<BulkAnswer>('/api/admin/withdrawals/approve', {
        withdrawNos: selected.map(String),
      });
      setSelected([]);
      actionRef.current?.reload();
      modal.info({
        title: t('withdrawals.bulkResult', {
          approved: answer.approved.length,
          failed: answer.failed.length,
        }),
        width: 520,
        content: <BulkResult answer={answer} />,
      });
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setApproving(false);
    }
  };

  const columns: ProColumns<WithdrawalRow>[] = [
    {
      title: t('withdrawals.search'),
      dataIndex: 'q',
      hideInTable: true,
      fieldProps: { placeholder: t('withdrawals.searchPlaceholder'), allowClear: true },
      formItemProps: { rules: numberRules },
    },
    {
      title: t('glossary:withdrawNo'),
      dataIndex: 'withdrawNo',
      search: false,
      fixed: 'left',
      width: 215,
      render: (_, w) => (
        <TwoLineCell
          secondary={w.mchWithdrawNo}
          secondaryTip={t('glossary:mchWithdrawNo')}
          time={w.createdAt}
          timeTip={t('withdrawals.createdAt')}
        >
          <Typography.Text className="qy-mono" copyable={{ text: w.withdrawNo }} style={{ fontSize: 13 }}>
            {w.withdrawNo}
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
      render: (_, w) => <OwnerCell row={w} />,
    },
    {
      title: t('owner.kind'),
      dataIndex: 'ownerKind',
      hideInTable: true,
      valueType: 'select',
      valueEnum: {
        merchant: { text: t('owner.kindWord.merchant') },
        agent: { text: t('owner.kindWord.agent') },
        member: { text: t('owner.kindWord.member') },
      },
    },
    {
      title: t('withdrawals.figures'),
      dataIndex: 'amount',
      search: false,
      align: 'right',
      width: 170,
      render: (_, w) => (
        <FiguresCell
          main={yuan(w.amount, w.currency)}
          figures={[
            { label: t('glossary:fee'), value: yuan(w.fee, w.currency) },
            { label: t('glossary:arrivalAmount'), value: yuan(w.arrivalAmount, w.currency) },
          ]}
        />
      ),
    },
    {
      title: t('glossary:bankCard'),
      dataIndex: 'card',
      search: false,
      width: 170,
      render: (_, w) =>
        w.card ? (
          <TwoLineCell secondary={w.card.accountNoMasked}>
            <Typography.Text ellipsis={{ tooltip: w.card.bankName }} style={{ maxWidth: 158 }}>
              {w.card.bankName}
            </Typography.Text>
          </TwoLineCell>
        ) : (
          '-'
        ),
    },
    {
      title: t('withdrawals.state'),
      dataIndex: 'state',
      valueType: 'select',
      valueEnum: enums.withdrawalState,
      initialValue: 'reviewing',
      width: 150,
      render: (_, w) => (
        <Space direction="vertical" size={2}>
          <span data-cell="state">
            <WithdrawalStateTag state={w.state} />
          </span>
          {w.reason && (
            <Typography.Text
              type="secondary"
              ellipsis={{ tooltip: w.reason }}
              style={{ fontSize: 12, maxWidth: 138 }}
            >
              {w.reason}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('withdrawals.createdAt'),
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
    <Page title={t('withdrawals.title')} subTitle={t('withdrawals.subtitle')}>
      <div data-testid="withdrawal-table">
        <ProTable<WithdrawalRow>
          rowKey="withdrawNo"
          actionRef={actionRef}
          columns={columns}
          cardBordered
          scroll={{ x: widthOf(columns) + (reviewer ? 48 : 0) }}
          columnsState={remembered('operator.withdrawals')}
          form={{ ignoreRules: false }}
          size="middle"
          search={{
            labelWidth: 'auto',
            defaultCollapsed: false,
            span: { xs: 24, sm: 12, md: 8, lg: 8, xl: 6, xxl: 6 },
          }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [20, 50, 100] }}
          options={{ density: true, setting: true, reload: true, fullScreen: true }}
          rowSelection={
            reviewer
              ? {
                  selectedRowKeys: selected,
                  onChange: setSelected,
                  // The select-all box would be copied into the table's hidden measuring row,
                  // a focusable control screen readers are told is not there.
                  hideSelectAll: true,
                  getCheckboxProps: (w) => ({
                    disabled: w.state !== 'reviewing',
                    'aria-label': w.withdrawNo,
                  }),
                }
              : undefined
          }
          tableAlertRender={({ selectedRowKeys }) =>
            t('withdrawals.selected', { count: selectedRowKeys.length })
          }
          tableAlertOptionRender={() => (
            <Space>
              <Button size="small" onClick={() => setSelected([])}>
                {t('withdrawals.clearSelection')}
              </Button>
              <Popconfirm
                title={t('withdrawals.bulkConfirm', { count: selected.length })}
                onConfirm={bulkApprove}
              >
                <Button size="small" type="primary" icon={<CheckOutlined />} loading={approving}>
                  {t('withdrawals.bulkApprove')}
                </Button>
              </Popconfirm>
            </Space>
          )}
          onRow={(w) =>
            openableRow(() => setOpen(w.withdrawNo), `${t('glossary:withdrawal')} ${w.withdrawNo}`)
          }
          onRequestError={onRequestError}
          request={(p) => {
            filters.current = {
              q: p.q?.trim(),
              state: p.state,
              mchNo: p.mchNo,
              ownerKind: p.ownerKind,
              from: p.from,
              to: p.to,
            };
            return fetchFinancePage<WithdrawalRow>('/api/admin/withdrawals', { ...filters.current }, p);
          }}
          toolBarRender={() => [
            <ServerExportButton
              key="export"
              path={'/api/admin/withdrawals/export'}
              params={() => filters.current}
              testId="withdrawals-export"
            />,
          ]}
        />
      </div>
      <WithdrawalDrawer
        withdrawNo={open}
        onClose={() => setOpen(null)}
        onChanged={() => actionRef.current?.reload()}
      />
    </Page>
  );
}

function BulkResult({ answer }: { answer: BulkAnswer }) {
  const { t } = useTranslation(['operator', 'common']);
  return (
    <div data-testid="bulk-result">
      {answer.approved.length > 0 && (
        <>
          <Typography.Text strong>{t('withdrawals.approvedList')}</Typography.Text>
          <List
            size="small"
            dataSource={answer.approved}
            renderItem={(no) => (
              <List.Item>
                <Typography.Text className="qy-mono" data-approved={no}>
                  {no}
                </Typography.Text>
              </List.Item>
            )}
          />
        </>
      )}
      {answer.failed.length > 0 && (
        <>
          <Typography.Text strong type="danger">
            {t('withdrawals.failedList')}
          </Typography.Text>
          <List
            size="small"
            dataSource={answer.failed}
            renderItem={(f) => (
              <List.Item>
                <Space direction="vertical" size={0}>
                  <Typography.Text className="qy-mono">{f.withdrawNo}</Typography.Text>
                  <Typography.Text type="danger" style={{ fontSize: 12 }} data-failed={f.withdrawNo}>
                    {t(`errors:code.${f.code}`, { defaultValue: t('errors:title') })}
                  </Typography.Text>
                </Space>
              </List.Item>
            )}
          />
        </>
      )}
    </div>
  );
}

/** 提现详情: the withdrawal, its progress as the merchant sees it, its events and its payout leg. */
export function WithdrawalDrawer({
  withdrawNo,
  onClose,
  onChanged,
}: {
  withdrawNo: string | null;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const detail = useApi<WithdrawalDetail>(
    withdrawNo ? `/api/admin/withdrawals/${encodeURIComponent(withdrawNo)}` : null,
  );
  const w = detail.data && detail.data.withdrawNo === withdrawNo ? detail.data : undefined;
  const phone = Grid.useBreakpoint().md === false;
  const changed = async () => {
    await detail.reload();
    onChanged();
  };
  return (
    <Drawer
      open={!!withdrawNo}
      onClose={onClose}
      width={phone ? '100%' : 760}
      destroyOnHidden
      title={
        <Space wrap>
          <span>{t('withdrawals.detail')}</span>
          {w && <WithdrawalStateTag state={w.state} />}
        </Space>
      }
      extra={w ? <WithdrawalActions w={w} onChanged={changed} /> : undefined}
    >
      <div data-testid="withdrawal-detail">
        {detail.error && !w ? (
          <Result
            status="warning"
            title={describeError(detail.error).title}
            subTitle={describeError(detail.error).detail}
          />
        ) : !w ? (
          <Skeleton active paragraph={{ rows: 10 }} />
        ) : (
          <WithdrawalBody w={w} reload={() => void detail.reload()} reloading={detail.loading} />
        )}
      </div>
    </Drawer>
  );
}

function WithdrawalActions({ w, onChanged }: { w: WithdrawalDetail; onChanged: () => Promise<void> }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const can = useCan();
  const [busy, setBusy] = useState(false);
  if (!can('finance.review') || w.state !== 'reviewing') return null;
  const path = `/api/admin/withdrawals/${encodeURIComponent(w.withdrawNo)}`;
  return (
    <Space wrap>
      <RejectForm
        title={t('withdrawals.rejectTitle', { no: w.withdrawNo })}
        hint={t('withdrawals.rejectHint')}
        path={`${path}/reject`}
        done={t('withdrawals.rejected')}
        onDone={onChanged}
      />
      <Popconfirm
        title={t('withdrawals.approveConfirm', { amount: yuan(w.amount, w.currency) })}
        description={t('withdrawals.approveHint')}
        onConfirm={async () => {
          setBusy(true);
          try {
            await api.post(`${path}/approve`);
            message.success(t('withdrawals.approved'));
            await onChanged();
          } catch (e) {
            message.error(errorText(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Button type="primary" icon={<CheckOutlined />} loading={busy}>
          {t('withdrawals.approve')}
        </Button>
      </Popconfirm>
    </Space>
  );
}

/** A rejection with its reason (required): bank cards and withdrawals share it. */
export function RejectForm({
  title,
  hint,
  path,
  done,
  onDone,
  small,
}: {
  title: string;
  hint: string;
  path: string;
  done: string;
  onDone: () => Promise<void> | void;
  small?: boolean;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  return (
    <ModalForm<{ reason: string }>
      title={title}
      width={480}
      modalProps={{
        destroyOnHidden: true,
        afterClose: () => setError(null),
        okButtonProps: { danger: true },
      }}
      submitter={{ searchConfig: { submitText: t('finance.reject') } }}
      trigger={
        small ? (
          <Button type="link" size="small" danger style={{ paddingInline: 0, height: 'auto' }}>
            {t('finance.reject')}
          </Button>
        ) : (
          <Button danger icon={<CloseOutlined />}>
            {t('finance.reject')}
          </Button>
        )
      }
      onFinish={async ({ reason }) => {
        setError(null);
        try {
          await api.post(path, { reason: reason.trim() });
          message.success(done);
          await onDone();
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <Typography.Paragraph type="secondary">{hint}</Typography.Paragraph>
      <ErrorAlert error={error} />
      <ProFormTextArea
        name="reason"
        label={t('finance.reason')}
        placeholder={t('finance.reasonPlaceholder')}
        fieldProps={{ rows: 3, showCount: true, maxLength: 200, autoFocus: true }}
        rules={[{ required: true, whitespace: true, message: t('finance.reasonRequired') }]}
      />
    </ModalForm>
  );
}

function WithdrawalBody({
  w,
  reload,
  reloading,
}: {
  w: WithdrawalDetail;
  reload: () => void;
  reloading: boolean;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const c = w.currency;
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <WithdrawalProgress withdrawal={w} />
      {w.reason && (w.state === 'rejected' || w.state === 'failed') && (
        <Alert type={w.state === 'failed' ? 'error' : 'warning'} showIcon message={w.reason} />
      )}
      <Descriptions
        bordered
        size="small"
        column={{ xs: 1, sm: 2, md: 2, lg: 2, xl: 2, xxl: 2 }}
        title={t('withdrawals.basics')}
        extra={
          <Button size="small" icon={<ReloadOutlined spin={reloading} />} onClick={reload}>
            {t('common:actions.refresh')}
          </Button>
        }
      >
        <Descriptions.Item label={t('glossary:withdrawNo')}>
          <Typography.Text copyable className="qy-mono">
            {w.withdrawNo}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('glossary:mchWithdrawNo')}>
          <span className="qy-mono">{w.mchWithdrawNo ?? '-'}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('owner.column')}>
          <OwnerText row={w} />
        </Descriptions.Item>
        <Descriptions.Item label={t('glossary:bankCard')}>
          {w.card ? `${w.card.bankName} ${w.card.accountNoMasked}` : '-'}
        </Descriptions.Item>
        <Descriptions.Item label={t('withdrawals.amount')}>
          <Typography.Text strong>{yuan(w.amount, c)}</Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('glossary:fee')}>{yuan(w.fee, c)}</Descriptions.Item>
        <Descriptions.Item label={t('glossary:arrivalAmount')}>{yuan(w.arrivalAmount, c)}</Descriptions.Item>
        <Descriptions.Item label={t('withdrawals.createdAt')}>{dateTime(w.createdAt)}</Descriptions.Item>
        <Descriptions.Item label={t('withdrawals.reviewedAt')}>{dateTime(w.reviewedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('withdrawals.paidAt')}>
          {dateTime(w.paidAt ?? w.failedAt)}
        </Descriptions.Item>
      </Descriptions>

      <div>
        <Typography.Title level={5}>{t('withdrawals.events')}</Typography.Title>
        {w.events.length === 0 ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />
        ) : (
          <Timeline
            items={w.events.map((e) => ({
              color:
                e.state === 'failed' || e.state === 'rejected'
                  ? 'red'
                  : e.state === 'succeeded'
                    ? 'green'
                    : 'blue',
              children: (
                <Space direction="vertical" size={0}>
                  <Space wrap>
                    <WithdrawalStateTag state={e.state} />
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {dateTime(e.at)}
                    </Typography.Text>
                  </Space>
                  {e.reason && <Typography.Text type="secondary">{e.reason}</Typography.Text>}
                </Space>
              ),
            }))}
          />
        )}
      </div>

      <PayoutLeg payoutNo={w.payout?.payoutNo ?? null} />
    </Space>
  );
}

/** The withdrawal's payout order as the payouts list has it: channel account, its number and state. */
function PayoutLeg({ payoutNo }: { payoutNo: string | null }) {
  const { t } = useTranslation(['operator', 'common']);
  const can = useCan();
  const payout = useApi<PayoutRow>(payoutNo ? `/api/admin/payouts/${encodeURIComponent(payoutNo)}` : null);
  const p = payout.data;
  return (
    <Descriptions
      bordered
      size="small"
      column={{ xs: 1, sm: 2, md: 2, lg: 2, xl: 2, xxl: 2 }}
      title={t('withdrawals.payoutLeg')}
      data-testid="withdrawal-payout"
      extra={
        payoutNo && can('finance.read') ? (
          <Link to={`/operator/payouts?payout=${encodeURIComponent(payoutNo)}`}>
            {t('withdrawals.openPayout')}
          </Link>
        ) : undefined
      }
    >
      {payoutNo ? (
        <>
          <Descriptions.Item label={t('glossary:payoutNo')}>
            <Typography.Text copyable className="qy-mono">
              {payoutNo}
            </Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('payouts.state')}>
            {p ? <PayoutStateTag state={p.state} /> : '-'}
          </Descriptions.Item>
          <Descriptions.Item label={t('glossary:channelAccount')}>
            {p?.channelAccountName ?? (p?.channelAccountId ? `#${p.channelAccountId}` : '-')}
          </Descriptions.Item>
          <Descriptions.Item label={t('glossary:channelPayoutNo')}>
            <span className="qy-mono">{p?.channelPayoutNo ?? '-'}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('payouts.channelState')}>
            <span className="qy-mono">{p?.channelState ?? '-'}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('payouts.submittedAt')}>{dateTime(p?.submittedAt)}</Descriptions.Item>
        </>
      ) : (
        <Descriptions.Item label={t('glossary:payoutNo')}>{t('withdrawals.noPayout')}</Descriptions.Item>
      )}
    </Descriptions>
  );
}
