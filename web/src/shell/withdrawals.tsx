import { type ActionType, type ProColumns, ProTable } from '@ant-design/pro-components';
import { Descriptions, Drawer, Flex, Grid, Skeleton, Space, Typography } from 'antd';
import { type ReactNode, useCallback, useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { ErrorAlert } from './ErrorAlert.tsx';
import { WITHDRAWAL_STATES } from './financeFormat.ts';
import { dateTime, yuan } from './format.ts';
import {
  dayRangeSearch,
  FiguresCell,
  RowAction,
  remembered,
  useNumberSearchRules,
  widthOf,
} from './listTable.tsx';
import { NewWithdrawal, type WithdrawableBalance } from './newWithdrawal.tsx';
import { Page } from './Page.tsx';
import { openableRow } from './rowClick.ts';
import { type ExportParams, ServerExportButton } from './ServerExportButton.tsx';
import { TwoLineCell } from './TwoLineCell.tsx';
import { useTablePageLoader } from './tablePage.ts';
import { useApi, useInterval } from './useApi.ts';
import { useWithdrawalArea, WithdrawalAreaProvider } from './withdrawalArea.tsx';
import { WithdrawalProgress, WithdrawalStateTag } from './withdrawalProgress.tsx';
import { pageParams, type Withdrawal, type WithdrawalArea } from './withdrawalTypes.ts';

// 提现, shared by the merchant portal (a merchant's available balance) and the agent area (an
// agent's available commission): the list with each withdrawal's progress, 新建提现 with the rules
// that apply and the live arrival amount, and the detail drawer. The area names the words
// (`merchant:withdrawals.*` / `agent:withdrawals.*`, both from web/src/locales/withdrawalWords.ts)
// and the API (`/api/merchant/…` / `/api/agent/…`).

interface WithdrawalQuery {
  q?: string;
  state?: string;
  from?: string;
  to?: string;
  current?: number;
  pageSize?: number;
}

/** States a withdrawal does not leave: its drawer stops asking for news. */
const FINAL = new Set(['succeeded', 'failed', 'rejected']);
const POLL_MS = 3000;

/**
 * 提现: the withdrawals with their state in the seed's words, 新建提现 with the rules that apply,
 * the detail drawer with the progress. `tools` go before the new-withdrawal button (the merchant's
 * auto-withdrawal), `notice` above the list; `canWithdraw` false hides the button (a merchant the
 * channel settles directly has nothing here to withdraw).
 */
export function WithdrawalsScreen({
  area,
  balance,
  balanceError,
  onBalanceChanged,
  tools,
  notice,
  canWithdraw = true,
}: {
  area: WithdrawalArea;
  balance?: WithdrawableBalance;
  balanceError?: unknown;
  onBalanceChanged?: () => void;
  tools?: ReactNode;
  notice?: ReactNode;
  canWithdraw?: boolean;
}) {
  return (
    <WithdrawalAreaProvider area={area}>
      <WithdrawalList
        balance={balance}
        balanceError={balanceError}
        onBalanceChanged={onBalanceChanged}
        tools={tools}
        notice={notice}
        canWithdraw={canWithdraw}
      />
    </WithdrawalAreaProvider>
  );
}

function WithdrawalList({
  balance,
  balanceError,
  onBalanceChanged,
  tools,
  notice,
  canWithdraw,
}: {
  balance?: WithdrawableBalance;
  balanceError?: unknown;
  onBalanceChanged?: () => void;
  tools?: ReactNode;
  notice?: ReactNode;
  canWithdraw: boolean;
}) {
  const { t } = useTranslation();
  /** The list's current filters, which its export takes. */
  const filters = useRef<ExportParams>({});
  const { ns, base } = useWithdrawalArea();
  const loadPage = useTablePageLoader();
  const screens = Grid.useBreakpoint();
  const compact = !screens.md;
  const numberRules = useNumberSearchRules();
  const actionRef = useRef<ActionType>(null);
  const [params, setParams] = useSearchParams();
  const open = params.get('withdrawal');

  const show = (withdrawNo: string | null) => {
    const next = new URLSearchParams(params);
    next.delete('new');
    if (withdrawNo) next.set('withdrawal', withdrawNo);
    else next.delete('withdrawal');
    setParams(next, { replace: !withdrawNo });
  };
  const reloadList = useCallback(() => void actionRef.current?.reload(), []);
  const reload = () => {
    actionRef.current?.reload();
    onBalanceChanged?.();
  };

  const columns: ProColumns<Withdrawal>[] = [
    {
      title: t('glossary:withdrawNo'),
      dataIndex: 'q',
      hideInTable: true,
      fieldProps: { allowClear: true },
      formItemProps: { rules: numberRules },
      order: 3,
    },
    {
      title: t(`${ns}:withdrawals.title`),
      key: 'compact',
      hideInSearch: true,
      hideInTable: !compact,
      render: (_, row) => <CompactWithdrawal withdrawal={row} />,
    },
    {
      title: t('glossary:withdrawNo'),
      dataIndex: 'withdrawNo',
      hideInSearch: true,
      hideInTable: compact,
      width: 230,
      render: (_, row) => (
        <TwoLineCell time={row.createdAt} timeTip={t(`${ns}:withdrawals.createdAt`)}>
          <RowAction className="qy-mono" onClick={() => show(row.withdrawNo)}>
            {row.withdrawNo}
          </RowAction>
        </TwoLineCell>
      ),
    },
    {
      title: t(`${ns}:withdrawals.figures`),
      dataIndex: 'amount',
      hideInSearch: true,
      hideInTable: compact,
      align: 'right',
      width: 170,
      render: (_, row) => (
        <FiguresCell
          main={yuan(row.amount, row.currency)}
          figures={[
            { label: t('glossary:fee'), value: yuan(row.fee, row.currency) },
            { label: t('glossary:arrivalAmount'), value: yuan(row.arrivalAmount, row.currency) },
          ]}
        />
      ),
    },
    {
      title: t('glossary:bankCard'),
      dataIndex: 'card',
      hideInSearch: true,
      hideInTable: compact,
      width: 190,
      render: (_, row) => <CardText card={row.card} />,
    },
    {
      title: t(`${ns}:withdrawals.state`),
      dataIndex: 'state',
      hideInTable: compact,
      width: 240,
      valueType: 'select',
      order: 2,
      valueEnum: Object.fromEntries(
        WITHDRAWAL_STATES.map((s) => [s, { text: t(`glossary:withdrawalState.${s}`) }]),
      ),
      render: (_, row) => (
        <span data-cell="state">
          <WithdrawalStateTag state={row.state} hint />
        </span>
      ),
    },
    dayRangeSearch(t(`${ns}:withdrawals.createdRange`), 'createdRange', 1),
    {
      title: t(`${ns}:withdrawals.actions`),
      key: 'actions',
      valueType: 'option',
      hideInTable: compact,
      width: 90,
      render: (_, row) => (
        <RowAction onClick={() => show(row.withdrawNo)}>{t(`${ns}:withdrawals.detail`)}</RowAction>
      ),
    },
  ];

  return (
    <Page
      title={t(`${ns}:withdrawals.title`)}
      subTitle={screens.md ? t(`${ns}:withdrawals.subtitle`) : undefined}
      extra={
        canWithdraw ? (
          <Space wrap>
            {tools}
            <NewWithdrawal
              balance={balance}
              autoOpen={params.get('new') === '1'}
              onClosed={() => {
                if (!params.has('new')) return;
                const next = new URLSearchParams(params);
                next.delete('new');
                setParams(next, { replace: true });
              }}
              onCreated={(w) => {
                reload();
                show(w.withdrawNo);
              }}
            />
          </Space>
        ) : undefined
      }
    >
      <ErrorAlert error={balanceError} />
      {notice}
      <div data-testid="withdrawal-table">
        <ProTable<Withdrawal, WithdrawalQuery>
          rowKey="withdrawNo"
          actionRef={actionRef}
          columns={columns}
          request={(query) => {
            filters.current = {
              q: query.q?.trim(),
              state: query.state,
              from: query.from,
              to: query.to,
            };
            return loadPage<Withdrawal>(
              `${base}/withdrawals`,
              { ...filters.current, ...pageParams(query) },
              query,
            );
          }}
          toolBarRender={() => [
            <ServerExportButton
              key="export"
              path={`${base}/withdrawals/export`}
              params={() => filters.current}
              testId="withdrawals-export"
            />,
          ]}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [10, 20, 50, 100] }}
          search={{ labelWidth: 'auto', defaultCollapsed: compact }}
          form={{ syncToUrl: false, ignoreRules: false }}
          dateFormatter="string"
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          scroll={compact ? undefined : { x: widthOf(columns) }}
          columnsState={remembered(`${ns}.withdrawals`)}
          size="middle"
          onRow={(row) => openableRow(() => show(row.withdrawNo), row.withdrawNo)}
        />
      </div>
      <WithdrawalDrawer withdrawNo={open} onClose={() => show(null)} onChanged={reloadList} />
    </Page>
  );
}

/** A card as the bank and its masked number. */
function CardText({ card }: { card: Withdrawal['card'] }) {
  if (!card) return <>-</>;
  return (
    <Space direction="vertical" size={0}>
      <span>{card.bankName}</span>
      <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
        {card.accountNoMasked}
      </Typography.Text>
    </Space>
  );
}

function CompactWithdrawal({ withdrawal: w }: { withdrawal: Withdrawal }) {
  return (
    <div>
      <Flex justify="space-between" align="center" gap={8}>
        <Typography.Text strong style={{ fontSize: 16 }}>
          {yuan(w.amount, w.currency)}
        </Typography.Text>
        <WithdrawalStateTag state={w.state} />
      </Flex>
      <div style={{ fontSize: 12 }}>{w.card ? `${w.card.bankName} ${w.card.accountNoMasked}` : '-'}</div>
      <Flex justify="space-between" gap={8} wrap>
        <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
          {w.withdrawNo}
        </Typography.Text>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {dateTime(w.createdAt)}
        </Typography.Text>
      </Flex>
    </div>
  );
}

/** The withdrawal's amounts, card and progress; asks again every few seconds until it is final. */
function WithdrawalDrawer({
  withdrawNo,
  onClose,
  onChanged,
}: {
  withdrawNo: string | null;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation();
  const { ns, base } = useWithdrawalArea();
  const screens = Grid.useBreakpoint();
  const { data, loading, error, reload } = useApi<Withdrawal>(
    withdrawNo ? `${base}/withdrawals/${encodeURIComponent(withdrawNo)}` : null,
  );
  const w = data && data.withdrawNo === withdrawNo ? data : undefined;
  const lastState = useRef<string | undefined>(undefined);
  useInterval(
    async () => {
      await reload();
    },
    POLL_MS,
    !!w && !FINAL.has(w.state),
  );
  // A state change seen here refreshes the list behind the drawer.
  const state = w?.state;
  useEffect(() => {
    if (!state) return;
    if (lastState.current !== undefined && lastState.current !== state) onChanged();
    lastState.current = state;
  }, [state, onChanged]);

  return (
    <Drawer
      open={withdrawNo !== null}
      onClose={onClose}
      width={screens.md ? 640 : '100%'}
      title={t(`${ns}:withdrawals.detailTitle`)}
      destroyOnHidden
    >
      <div data-testid="withdrawal-detail">
        <ErrorAlert error={error} />
        {!w && loading && <Skeleton active paragraph={{ rows: 8 }} />}
        {w && (
          <>
            <Flex align="center" justify="space-between" wrap gap={12} style={{ marginBottom: 20 }}>
              <div>
                <Typography.Text type="secondary">{t(`${ns}:withdrawals.amount`)}</Typography.Text>
                <div style={{ fontSize: 28, fontWeight: 600, lineHeight: 1.3 }}>
                  {yuan(w.amount, w.currency)}
                </div>
              </div>
              <WithdrawalStateTag state={w.state} hint />
            </Flex>
            <Typography.Title level={5}>{t(`${ns}:withdrawals.progress`)}</Typography.Title>
            <div style={{ marginBottom: 20 }}>
              <WithdrawalProgress withdrawal={w} direction={screens.md ? 'horizontal' : 'vertical'} />
            </div>
            <Descriptions bordered size="small" column={1} styles={{ label: { width: 140 } }}>
              <Descriptions.Item label={t('glossary:withdrawNo')}>
                <Typography.Text copyable className="qy-mono">
                  {w.withdrawNo}
                </Typography.Text>
              </Descriptions.Item>
              {w.mchWithdrawNo && (
                <Descriptions.Item label={t('glossary:mchWithdrawNo')}>
                  <span className="qy-mono">{w.mchWithdrawNo}</span>
                </Descriptions.Item>
              )}
              <Descriptions.Item label={t('glossary:fee')}>{yuan(w.fee, w.currency)}</Descriptions.Item>
              <Descriptions.Item label={t('glossary:arrivalAmount')}>
                <Typography.Text strong>{yuan(w.arrivalAmount, w.currency)}</Typography.Text>
              </Descriptions.Item>
              <Descriptions.Item label={t('glossary:bankCard')}>
                {w.card ? `${w.card.bankName} ${w.card.accountNoMasked}` : '-'}
              </Descriptions.Item>
              <Descriptions.Item label={t(`${ns}:withdrawals.createdAt`)}>
                {dateTime(w.createdAt)}
              </Descriptions.Item>
              {w.reason && (
                <Descriptions.Item label={t(`${ns}:withdrawals.reason`)}>
                  <Typography.Text type="danger">{w.reason}</Typography.Text>
                </Descriptions.Item>
              )}
            </Descriptions>
          </>
        )}
      </div>
    </Drawer>
  );
}
