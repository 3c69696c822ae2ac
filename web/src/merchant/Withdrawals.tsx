import { BankOutlined, ClockCircleOutlined, PlusOutlined } from '@ant-design/icons';
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
  Input,
  Skeleton,
  Space,
  Switch,
  TimePicker,
  Typography,
} from 'antd';
import dayjs from 'dayjs';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { errorText } from '../shell/errors.ts';
import { ppmText, WITHDRAWAL_STATES, withdrawalFee } from '../shell/financeFormat.ts';
import { dateTime, parseYuan, yuan, yuanPlain } from '../shell/format.ts';
import { amountProblem } from '../shell/forms.ts';
import {
  dayRangeSearch,
  FiguresCell,
  RowAction,
  remembered,
  useNumberSearchRules,
  widthOf,
} from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { openableRow } from '../shell/rowClick.ts';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useTablePageLoader } from '../shell/tablePage.ts';
import { useApi, useInterval } from '../shell/useApi.ts';
import { WithdrawalProgress, WithdrawalStateTag } from '../shell/withdrawalProgress.tsx';
import {
  type AutoWithdrawal,
  type BalanceView,
  type BankCard,
  PORTAL_API,
  pageParams,
  type Withdrawal,
  type WithdrawalRules,
} from './financeTypes.ts';
import { useSubtitle } from './useSubtitle.ts';

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
 * 提现 (managers): the withdrawals with their state in the seed's words, 新建提现 with the rules that
 * apply, the detail drawer with the progress and auto-withdrawal. A merchant the channel settles
 * directly sees why there is nothing to withdraw.
 */
export function Withdrawals() {
  const { t } = useTranslation();
  const loadPage = useTablePageLoader();
  const screens = Grid.useBreakpoint();
  const compact = !screens.md;
  const numberRules = useNumberSearchRules();
  const actionRef = useRef<ActionType>(null);
  const [params, setParams] = useSearchParams();
  const open = params.get('withdrawal');
  const balance = useApi<BalanceView>(`${PORTAL_API}/balance`);
  const direct = balance.data?.mode === 'direct';

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
    void balance.reload();
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
      title: t('merchant:withdrawals.title'),
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
        <TwoLineCell time={row.createdAt} timeTip={t('merchant:withdrawals.createdAt')}>
          <RowAction className="qy-mono" onClick={() => show(row.withdrawNo)}>
            {row.withdrawNo}
          </RowAction>
        </TwoLineCell>
      ),
    },
    {
      title: t('merchant:withdrawals.figures'),
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
      title: t('merchant:withdrawals.state'),
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
    dayRangeSearch(t('merchant:withdrawals.createdRange'), 'createdRange', 1),
    {
      title: t('merchant:withdrawals.actions'),
      key: 'actions',
      valueType: 'option',
      hideInTable: compact,
      width: 90,
      render: (_, row) => (
        <RowAction onClick={() => show(row.withdrawNo)}>{t('merchant:withdrawals.detail')}</RowAction>
      ),
    },
  ];

  const subTitle = useSubtitle(t('merchant:withdrawals.subtitle'));
  return (
    <Page
      title={t('merchant:withdrawals.title')}
      subTitle={subTitle}
      extra={
        direct ? undefined : (
          <Space wrap>
            <AutoWithdrawalButton />
            <NewWithdrawal
              balance={balance.data}
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
        )
      }
    >
      <ErrorAlert error={balance.error} />
      {direct && (
        <Alert
          type="info"
          showIcon
          message={t('glossary:settlementMode.direct')}
          description={t('glossary:settlementModeHint.direct')}
          style={{ marginBottom: 16 }}
        />
      )}
      <div data-testid="withdrawal-table">
        <ProTable<Withdrawal, WithdrawalQuery>
          rowKey="withdrawNo"
          actionRef={actionRef}
          columns={columns}
          request={(query) =>
            loadPage<Withdrawal>(
              `${PORTAL_API}/withdrawals`,
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
          columnsState={remembered('merchant.withdrawals')}
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
  balance?: BalanceView;
  autoOpen: boolean;
  onCreated: (w: Withdrawal) => void;
  /** The dialog closed (so a reload does not open it again). */
  onClosed: () => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [open, setOpen] = useState(autoOpen);
  // A link to ?new=1 followed while this screen is open (the balance card's 提现) opens it too.
  useEffect(() => {
    if (autoOpen) setOpen(true);
  }, [autoOpen]);
  const justCreated = useRef(false);
  const [error, setError] = useState<unknown>(null);
  const rules = useApi<WithdrawalRules>(open ? `${PORTAL_API}/withdrawal-rules` : null);
  const cards = useApi<{ items: BankCard[] }>(open ? `${PORTAL_API}/bank-cards` : null);
  const active = (cards.data?.items ?? []).filter((c) => c.state === 'active');
  const defaultCard = active.find((c) => c.isDefault) ?? active[0];
  const r = rules.data;
  const currency = balance?.currency ?? 'CNY';
  const available = balance?.available ?? 0;
  const max = r ? Math.min(r.maxAmount, available) : available;
  const [form] = Form.useForm<NewWithdrawalForm>();
  // The card list arrives after the dialog opens: the default card is chosen then.
  useEffect(() => {
    if (open && defaultCard && !form.getFieldValue('cardId')) form.setFieldValue('cardId', defaultCard.id);
  }, [open, defaultCard, form]);

  return (
    <ModalForm<NewWithdrawalForm>
      title={t('merchant:withdrawals.new')}
      width={560}
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) {
          setError(null);
          // After a withdrawal the page has moved on to its drawer already (onCreated).
          if (!justCreated.current) onClosed();
          justCreated.current = false;
        }
      }}
      modalProps={{ destroyOnHidden: true }}
      submitter={{ searchConfig: { submitText: t('merchant:withdrawals.submit') } }}
      trigger={
        <Button type="primary" icon={<PlusOutlined />} data-testid="new-withdrawal">
          {t('merchant:withdrawals.new')}
        </Button>
      }
      form={form}
      onFinish={async (v) => {
        setError(null);
        const amount = parseYuan(String(v.amount));
        if (amount === null) return false;
        try {
          const created = await api.post<Withdrawal>(`${PORTAL_API}/withdrawals`, {
            amount,
            cardId: v.cardId,
            password: v.password,
          });
          message.success(
            t('merchant:withdrawals.created', { amount: yuan(created.amount, created.currency) }),
          );
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
            <Descriptions.Item label={t('glossary:balance.available')}>
              <Typography.Text strong data-testid="withdrawal-available">
                {yuan(available, currency)}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('merchant:withdrawals.range')}>
              {t('merchant:withdrawals.rangeText', {
                min: yuan(r.minAmount, currency),
                max: yuan(r.maxAmount, currency),
              })}
            </Descriptions.Item>
            <Descriptions.Item label={t('glossary:fee')}>{feeRuleText(t, r, currency)}</Descriptions.Item>
            <Descriptions.Item label={t('merchant:withdrawals.window')}>
              {allDay(r) ? t('merchant:withdrawals.anyTime') : `${r.windowStart} – ${r.windowEnd}`}
            </Descriptions.Item>
            <Descriptions.Item label={t('merchant:withdrawals.usedToday')} span={2}>
              <span data-testid="withdrawal-used-today">
                {t('merchant:withdrawals.usedCount', {
                  count: r.usedToday.count,
                  limit: r.dailyCount,
                })}
                {' · '}
                {t('merchant:withdrawals.usedAmount', {
                  amount: yuan(r.usedToday.amount, currency),
                  limit: yuan(r.dailyAmount, currency),
                })}
              </span>
            </Descriptions.Item>
            <Descriptions.Item label={t('merchant:withdrawals.reviewThreshold')} span={2}>
              {t('merchant:withdrawals.reviewAbove', { amount: yuan(r.reviewThreshold, currency) })}
            </Descriptions.Item>
          </Descriptions>
        )}
        <ErrorAlert error={error} />
        {cards.data && active.length === 0 && (
          <Alert
            type="warning"
            showIcon
            message={t('merchant:withdrawals.noCard')}
            action={
              <Button size="small" onClick={() => navigate('/merchant/bank-cards')}>
                {t('merchant:bankCards.bind')}
              </Button>
            }
            style={{ marginBottom: 16 }}
          />
        )}
        <ProFormText
          name="amount"
          label={t('merchant:withdrawals.amount')}
          fieldProps={{ prefix: '¥', inputMode: 'decimal', autoComplete: 'off' }}
          extra={t('merchant:withdrawals.amountHint', { max: yuan(max, currency) })}
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
                  throw new Error(
                    t('merchant:withdrawals.aboveAvailable', { max: yuan(available, currency) }),
                  );
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
                message={t('merchant:withdrawals.arrivalLine', {
                  fee: yuan(fee, currency),
                  arrival: yuan(arrival, currency),
                })}
                description={review ? t('merchant:withdrawals.willReview') : undefined}
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
          rules={[{ required: true, message: t('merchant:withdrawals.cardRequired') }]}
        />
        <ProFormText.Password
          name="password"
          label={t('merchant:withdrawals.password')}
          extra={t('merchant:withdrawals.passwordHint')}
          fieldProps={{ autoComplete: 'current-password' }}
          rules={[{ required: true, message: t('auth.passwordRequired') }]}
        />
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
  r: Pick<WithdrawalRules, 'feeRatePpm' | 'fixedFee'>,
  currency: string,
): string {
  if (!r.feeRatePpm && !r.fixedFee) return t('merchant:withdrawals.noFee');
  const parts = [r.feeRatePpm ? ppmText(r.feeRatePpm) : null, r.fixedFee ? yuan(r.fixedFee, currency) : null];
  return t('merchant:withdrawals.feeText', { fee: parts.filter(Boolean).join(' + ') });
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
  const screens = Grid.useBreakpoint();
  const { data, loading, error, reload } = useApi<Withdrawal>(
    withdrawNo ? `${PORTAL_API}/withdrawals/${encodeURIComponent(withdrawNo)}` : null,
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
      title={t('merchant:withdrawals.detailTitle')}
      destroyOnHidden
    >
      <div data-testid="withdrawal-detail">
        <ErrorAlert error={error} />
        {!w && loading && <Skeleton active paragraph={{ rows: 8 }} />}
        {w && (
          <>
            <Flex align="center" justify="space-between" wrap gap={12} style={{ marginBottom: 20 }}>
              <div>
                <Typography.Text type="secondary">{t('merchant:withdrawals.amount')}</Typography.Text>
                <div style={{ fontSize: 28, fontWeight: 600, lineHeight: 1.3 }}>
                  {yuan(w.amount, w.currency)}
                </div>
              </div>
              <WithdrawalStateTag state={w.state} hint />
            </Flex>
            <Typography.Title level={5}>{t('merchant:withdrawals.progress')}</Typography.Title>
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
              <Descriptions.Item label={t('merchant:withdrawals.createdAt')}>
                {dateTime(w.createdAt)}
              </Descriptions.Item>
              {w.reason && (
                <Descriptions.Item label={t('merchant:withdrawals.reason')}>
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

interface AutoForm {
  enabled: boolean;
  time: dayjs.Dayjs | null;
  keepBalance: string;
}

/** 自动提现: on or off, the time of day, and the balance to keep; the button says what is set. */
function AutoWithdrawalButton() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<AutoForm>();
  const { data, reload, error } = useApi<AutoWithdrawal>(`${PORTAL_API}/auto-withdrawal`);
  const enabled = Form.useWatch('enabled', form);
  return (
    <ModalForm<AutoForm>
      title={t('merchant:withdrawals.auto')}
      width={460}
      form={form}
      modalProps={{ destroyOnHidden: true }}
      trigger={
        <Button icon={<ClockCircleOutlined />} data-testid="auto-withdrawal">
          {data?.enabled
            ? t('merchant:withdrawals.autoOn', { time: data.time })
            : t('merchant:withdrawals.auto')}
        </Button>
      }
      initialValues={{
        enabled: data?.enabled ?? false,
        time: data?.time ? dayjs(data.time, 'HH:mm') : dayjs('17:00', 'HH:mm'),
        keepBalance: data ? yuanPlain(data.keepBalance) : '0.00',
      }}
      onFinish={async (v) => {
        const keepBalance = v.keepBalance?.trim() ? parseYuan(v.keepBalance) : 0;
        if (keepBalance === null) return false;
        try {
          await api.put(`${PORTAL_API}/auto-withdrawal`, {
            enabled: v.enabled,
            time: (v.time ?? dayjs('17:00', 'HH:mm')).format('HH:mm'),
            keepBalance,
          });
          message.success(t('merchant:withdrawals.autoSaved'));
          await reload();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <ErrorAlert error={error} />
      <Typography.Paragraph type="secondary">{t('merchant:withdrawals.autoHint')}</Typography.Paragraph>
      <Form.Item name="enabled" label={t('merchant:withdrawals.autoEnabled')} valuePropName="checked">
        <Switch />
      </Form.Item>
      <Form.Item
        name="time"
        label={t('merchant:withdrawals.autoTime')}
        rules={[{ required: !!enabled, message: t('merchant:withdrawals.autoTimeRequired') }]}
      >
        <TimePicker format="HH:mm" minuteStep={5} needConfirm={false} disabled={!enabled} />
      </Form.Item>
      <Form.Item
        name="keepBalance"
        label={t('merchant:withdrawals.keepBalance')}
        extra={t('merchant:withdrawals.keepBalanceHint')}
        rules={[
          {
            validator: async (_rule, value: unknown) => {
              const problem = amountProblem(value, { allowZero: true });
              if (problem) throw new Error(problem);
            },
          },
        ]}
      >
        <Input prefix="¥" inputMode="decimal" autoComplete="off" disabled={!enabled} />
      </Form.Item>
      <Flex gap={8} align="center">
        <BankOutlined />
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('merchant:withdrawals.autoCard')}
        </Typography.Text>
      </Flex>
    </ModalForm>
  );
}
