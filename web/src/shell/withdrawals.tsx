import { PlusOutlined } from '@ant-design/icons';
import {
  type ActionType,
  ModalForm,
  type ProColumns,
  ProFormDependency,
  ProFormSelect,
  ProFormText,
  ProTable,
} from '@ant-design/pro-components';
import {
  Alert,
  App,
  Button,
  Descriptions,
  Drawer,
  Flex,
  Form,
  Grid,
  Skeleton,
  Space,
  Typography,
} from 'antd';
import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { ppmText, WITHDRAWAL_STATES, withdrawalFee } from './financeFormat.ts';
import { dateTime, parseYuan, yuan } from './format.ts';
import { amountProblem } from './forms.ts';
import {
  dayRangeSearch,
  FiguresCell,
  RowAction,
  remembered,
  useNumberSearchRules,
  widthOf,
} from './listTable.tsx';
import { Page } from './Page.tsx';
import { openableRow } from './rowClick.ts';
import { TwoLineCell } from './TwoLineCell.tsx';
import { useTablePageLoader } from './tablePage.ts';
import { useApi, useInterval } from './useApi.ts';
import { TotpField, useWithdrawalArea, WithdrawalAreaProvider } from './withdrawalArea.tsx';
import { WithdrawalProgress, WithdrawalStateTag } from './withdrawalProgress.tsx';
import {
  type BankCard,
  pageParams,
  type Withdrawal,
  type WithdrawalArea,
  type WithdrawalRules,
} from './withdrawalTypes.ts';

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

/** What the owner may withdraw: its available balance (the merchant's) or commission (the agent's). */
export interface WithdrawableBalance {
  currency: string;
  available: number;
}

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
          request={(query) =>
            loadPage<Withdrawal>(
              `${base}/withdrawals`,
              {
                q: query.q?.trim(),
                state: query.state,
                from: query.from,
                to: query.to,
                ...pageParams(query),
              },
              query,
            )
          }
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

interface NewWithdrawalForm {
  amount: string;
  cardId: string;
  password: string;
  totpCode?: string;
}

/** A number made once per dialog: a request sent again (a lost answer, a second click) finds the first withdrawal. */
function clientWithdrawNo(): string {
  return `CW${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`.toUpperCase();
}

/**
 * 新建提现: the rules that apply (min / max, fee, window, today's use against the daily limits, the
 * review threshold), the amount in yuan with its fee and arrival amount as it is typed, the card
 * (masked) and the manager's password.
 */
function NewWithdrawal({
  balance,
  autoOpen,
  onCreated,
  onClosed,
}: {
  balance?: WithdrawableBalance;
  autoOpen: boolean;
  onCreated: (w: Withdrawal) => void;
  /** The dialog closed (so a reload does not open it again). */
  onClosed: () => void;
}) {
  const { t } = useTranslation();
  const { ns, base } = useWithdrawalArea();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [open, setOpen] = useState(autoOpen);
  const justCreated = useRef(false);
  const [error, setError] = useState<unknown>(null);
  const rules = useApi<WithdrawalRules>(open ? `${base}/withdrawal-rules` : null);
  const cards = useApi<{ items: BankCard[] }>(open ? `${base}/bank-cards` : null);
  const active = (cards.data?.items ?? []).filter((c) => c.state === 'active');
  const defaultCard = active.find((c) => c.isDefault) ?? active[0];
  const r = rules.data;
  // The agent area's rules carry the commission balance; the merchant's page passes its balance.
  const currency = balance?.currency ?? r?.balance?.currency ?? 'CNY';
  const available = balance?.available ?? r?.balance?.available ?? 0;
  const requestNo = useRef(clientWithdrawNo());
  const max = r ? Math.min(r.maxAmount, available) : available;
  const [form] = Form.useForm<NewWithdrawalForm>();
  // The card list arrives after the dialog opens: the default card is chosen then.
  useEffect(() => {
    if (open && defaultCard && !form.getFieldValue('cardId')) form.setFieldValue('cardId', defaultCard.id);
  }, [open, defaultCard, form]);

  return (
    <ModalForm<NewWithdrawalForm>
      title={t(`${ns}:withdrawals.new`)}
      width={560}
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (next) requestNo.current = clientWithdrawNo();
        if (!next) {
          setError(null);
          // After a withdrawal the page has moved on to its drawer already (onCreated).
          if (!justCreated.current) onClosed();
          justCreated.current = false;
        }
      }}
      modalProps={{ destroyOnHidden: true }}
      submitter={{ searchConfig: { submitText: t(`${ns}:withdrawals.submit`) } }}
      trigger={
        <Button type="primary" icon={<PlusOutlined />} data-testid="new-withdrawal">
          {t(`${ns}:withdrawals.new`)}
        </Button>
      }
      form={form}
      onFinish={async (v) => {
        setError(null);
        const amount = parseYuan(String(v.amount));
        if (amount === null) return false;
        try {
          const created = await api.post<Withdrawal>(`${base}/withdrawals`, {
            amount,
            cardId: v.cardId,
            mchWithdrawNo: requestNo.current,
            password: v.password,
            totpCode: v.totpCode?.trim() || undefined,
          });
          message.success(t(`${ns}:withdrawals.created`, { amount: yuan(created.amount, created.currency) }));
          justCreated.current = true;
          onCreated(created);
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <div data-testid="withdrawal-form">
        <ErrorAlert error={rules.error ?? cards.error} />
        {!r && rules.loading && <Skeleton active paragraph={{ rows: 4 }} />}
        {r && (
          <Descriptions
            size="small"
            column={{ xs: 1, sm: 2 }}
            bordered
            style={{ marginBottom: 16 }}
            data-testid="withdrawal-rules"
          >
            <Descriptions.Item label={t(`${ns}:withdrawals.available`)}>
              <Typography.Text strong data-testid="withdrawal-available">
                {yuan(available, currency)}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t(`${ns}:withdrawals.range`)}>
              {t(`${ns}:withdrawals.rangeText`, {
                min: yuan(r.minAmount, currency),
                max: yuan(r.maxAmount, currency),
              })}
            </Descriptions.Item>
            <Descriptions.Item label={t('glossary:fee')}>{feeRuleText(t, ns, r, currency)}</Descriptions.Item>
            <Descriptions.Item label={t(`${ns}:withdrawals.window`)}>
              {allDay(r) ? t(`${ns}:withdrawals.anyTime`) : `${r.windowStart} – ${r.windowEnd}`}
            </Descriptions.Item>
            <Descriptions.Item label={t(`${ns}:withdrawals.usedToday`)} span={2}>
              <span data-testid="withdrawal-used-today">
                {t(`${ns}:withdrawals.usedCount`, {
                  count: r.usedToday.count,
                  limit: r.dailyCount,
                })}
                {' · '}
                {t(`${ns}:withdrawals.usedAmount`, {
                  amount: yuan(r.usedToday.amount, currency),
                  limit: yuan(r.dailyAmount, currency),
                })}
              </span>
              <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
                {t(`${ns}:withdrawals.leftToday`, {
                  count: Math.max(r.dailyCount - r.usedToday.count, 0),
                  amount: yuan(Math.max(r.dailyAmount - r.usedToday.amount, 0), currency),
                })}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t(`${ns}:withdrawals.reviewThreshold`)} span={2}>
              {t(`${ns}:withdrawals.reviewAbove`, { amount: yuan(r.reviewThreshold, currency) })}
            </Descriptions.Item>
          </Descriptions>
        )}
        <ErrorAlert error={error} />
        {cards.data && active.length === 0 && (
          <Alert
            type="warning"
            showIcon
            message={t(`${ns}:withdrawals.noCard`)}
            action={
              <Button size="small" onClick={() => navigate(`/${ns}/bank-cards`)}>
                {t(`${ns}:bankCards.bind`)}
              </Button>
            }
            style={{ marginBottom: 16 }}
          />
        )}
        <ProFormText
          name="amount"
          label={t(`${ns}:withdrawals.amount`)}
          fieldProps={{ prefix: '¥', inputMode: 'decimal', autoComplete: 'off' }}
          extra={t(`${ns}:withdrawals.amountHint`, { max: yuan(max, currency) })}
          rules={[
            {
              validator: async (_rule, value: unknown) => {
                const problem = amountProblem(value, {
                  required: true,
                  min: r?.minAmount,
                  max: r?.maxAmount,
                });
                if (problem) throw new Error(problem);
                const minor = parseYuan(String(value).trim()) ?? 0;
                if (minor > available)
                  throw new Error(t(`${ns}:withdrawals.aboveAvailable`, { max: yuan(available, currency) }));
              },
            },
          ]}
        />
        <ProFormDependency name={['amount']}>
          {({ amount }) => {
            const typed = typeof amount === 'string' ? parseYuan(amount) : null;
            if (!r || typed === null || typed <= 0) return null;
            const { fee, arrival } = withdrawalFee(typed, r);
            const review = typed >= r.reviewThreshold;
            return (
              <Alert
                type={review ? 'warning' : 'info'}
                showIcon
                style={{ marginBottom: 16 }}
                data-testid="withdrawal-arrival"
                message={t(`${ns}:withdrawals.arrivalLine`, {
                  fee: yuan(fee, currency),
                  arrival: yuan(arrival, currency),
                })}
                description={review ? t(`${ns}:withdrawals.willReview`) : undefined}
              />
            );
          }}
        </ProFormDependency>
        <ProFormSelect
          name="cardId"
          label={t('glossary:bankCard')}
          options={active.map((c) => ({
            value: c.id,
            label: `${c.bankName} ${c.accountNoMasked} · ${c.holderName}`,
          }))}
          fieldProps={{ loading: cards.loading }}
          rules={[{ required: true, message: t(`${ns}:withdrawals.cardRequired`) }]}
        />
        <ProFormText.Password
          name="password"
          label={t(`${ns}:withdrawals.password`)}
          extra={t(`${ns}:withdrawals.passwordHint`)}
          fieldProps={{ autoComplete: 'current-password' }}
          rules={[{ required: true, message: t('auth.passwordRequired') }]}
        />
        <TotpField />
      </div>
    </ModalForm>
  );
}

/** Withdrawals are taken all day: the window starts where it ends, or runs 00:00–24:00. */
function allDay(r: Pick<WithdrawalRules, 'windowStart' | 'windowEnd'>): boolean {
  return r.windowStart === r.windowEnd || (r.windowStart === '00:00' && r.windowEnd === '24:00');
}

/** "0.1% + ¥2.00 per withdrawal", "free". */
function feeRuleText(
  t: (key: string, options?: Record<string, unknown>) => string,
  ns: WithdrawalArea,
  r: Pick<WithdrawalRules, 'feeRatePpm' | 'fixedFee'>,
  currency: string,
): string {
  if (!r.feeRatePpm && !r.fixedFee) return t(`${ns}:withdrawals.noFee`);
  const parts = [r.feeRatePpm ? ppmText(r.feeRatePpm) : null, r.fixedFee ? yuan(r.fixedFee, currency) : null];
  return t(`${ns}:withdrawals.feeText`, { fee: parts.filter(Boolean).join(' + ') });
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
