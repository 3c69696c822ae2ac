import { PlusOutlined } from '@ant-design/icons';
import { ModalForm, ProFormDependency, ProFormSelect, ProFormText } from '@ant-design/pro-components';
import { Alert, App, Button, Descriptions, Form, Skeleton, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api } from '../api.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { ppmText, withdrawalFee } from './financeFormat.ts';
import { parseYuan, yuan } from './format.ts';
import { amountProblem } from './forms.ts';
import { useApi } from './useApi.ts';
import { TotpField, useWithdrawalArea } from './withdrawalArea.tsx';
import type { BankCard, Withdrawal, WithdrawalArea, WithdrawalRules } from './withdrawalTypes.ts';

// 新建提现, the dialog of the shared 提现 screen (withdrawals.tsx), in the area it is told.

/** What the owner may withdraw: its available balance (the merchant's) or commission (the agent's). */
export interface WithdrawableBalance {
  currency: string;
  available: number;
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
export function NewWithdrawal({
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
  // A link to ?new=1 followed while the screen is open (the balance card's 提现) opens it too.
  useEffect(() => {
    if (autoOpen) setOpen(true);
  }, [autoOpen]);
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
