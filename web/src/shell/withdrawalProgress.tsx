import { Space, Steps, Tag, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { PayoutState, WithdrawalState } from './financeFormat.ts';
import { dateTime } from './format.ts';

// A withdrawal's state and progress, shown alike in the merchant portal (提现) and the operator
// console (提现审核): the tag in the seed's words (glossary withdrawalState.*) with what it means
// (withdrawalStateHint.*), and the progress as steps 未到付款日 → 等待付款 → 付款已提交 → 已付款 /
// 付款失败, each with its local time; a rejected withdrawal shows the reason and that the funds are back.

const WITHDRAWAL_COLOR: Record<string, string> = {
  reviewing: 'processing',
  approved: 'blue',
  submitted: 'geekblue',
  succeeded: 'success',
  failed: 'error',
  rejected: 'warning',
};

const PAYOUT_COLOR: Record<string, string> = {
  pending: 'default',
  submitted: 'processing',
  succeeded: 'success',
  failed: 'error',
};

/** A withdrawal's state as a tag; what the state means is its tooltip (or a line under it, `hint`). */
export function WithdrawalStateTag({
  state,
  hint = false,
}: {
  state: WithdrawalState | string;
  hint?: boolean;
}) {
  const { t } = useTranslation();
  const word = t(`glossary:withdrawalState.${state}`, { defaultValue: state });
  const meaning = t(`glossary:withdrawalStateHint.${state}`, { defaultValue: '' });
  const tag = (
    <Tag color={WITHDRAWAL_COLOR[state] ?? 'default'} data-state={state} style={{ marginInlineEnd: 0 }}>
      {word}
    </Tag>
  );
  if (!hint) return meaning ? <Tooltip title={meaning}>{tag}</Tooltip> : tag;
  return (
    <Space direction="vertical" size={2}>
      {tag}
      {meaning && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {meaning}
        </Typography.Text>
      )}
    </Space>
  );
}

/** A payout order's state as a tag (glossary payoutState.*). */
export function PayoutStateTag({ state }: { state: PayoutState | string }) {
  const { t } = useTranslation();
  return (
    <Tag color={PAYOUT_COLOR[state] ?? 'default'} data-state={state} style={{ marginInlineEnd: 0 }}>
      {t(`glossary:payoutState.${state}`, { defaultValue: state })}
    </Tag>
  );
}

/** One change of a withdrawal's state, as `GET …/withdrawals/:withdrawNo` lists them (`events`). */
export interface WithdrawalEvent {
  state: string;
  at: string;
  reason?: string | null;
}

/** What the progress needs of a withdrawal (the view both consoles receive). */
export interface WithdrawalProgressSource {
  state: WithdrawalState | string;
  reason?: string | null;
  createdAt: string;
  reviewedAt?: string | null;
  submittedAt?: string | null;
  paidAt?: string | null;
  failedAt?: string | null;
  events?: WithdrawalEvent[];
}

const ORDER = ['reviewing', 'approved', 'submitted', 'succeeded'] as const;

/** When the withdrawal reached `state`: its event, else the view's own timestamp. */
function reachedAt(w: WithdrawalProgressSource, state: string): string | null {
  const event = [...(w.events ?? [])].reverse().find((e) => e.state === state);
  if (event) return event.at;
  switch (state) {
    case 'reviewing':
      return w.createdAt;
    case 'approved':
    case 'rejected':
      return w.reviewedAt ?? null;
    case 'submitted':
      return w.submittedAt ?? null;
    case 'succeeded':
      return w.paidAt ?? null;
    case 'failed':
      return w.failedAt ?? null;
    default:
      return null;
  }
}

/**
 * The withdrawal's progress as steps with their local times. Done steps are finished, the current
 * one is in progress; 付款失败 and 审核未通过 take the last step's place in red with the reason and
 * the state's meaning (the funds are back in the available balance).
 */
export function WithdrawalProgress({
  withdrawal: w,
  direction,
}: {
  withdrawal: WithdrawalProgressSource;
  direction?: 'horizontal' | 'vertical';
}) {
  const { t } = useTranslation();
  const word = (state: string) => t(`glossary:withdrawalState.${state}`, { defaultValue: state });
  const failedEnd = w.state === 'failed' || w.state === 'rejected';
  // The steps a withdrawal goes through; a failure replaces the step where it stopped.
  const stopAt = w.state === 'rejected' ? 1 : w.state === 'failed' ? 3 : -1;
  const current = failedEnd ? stopAt : Math.max(0, ORDER.indexOf(w.state as (typeof ORDER)[number]));
  const reasonLine = w.reason ? (
    <Typography.Text type="danger" style={{ fontSize: 12 }} data-testid="withdrawal-reason">
      {t('common:finance.reason', { reason: w.reason })}
    </Typography.Text>
  ) : null;

  const items = ORDER.map((state, i) => {
    if (failedEnd && i === stopAt) {
      const at = reachedAt(w, w.state);
      return {
        key: w.state,
        title: word(w.state),
        status: 'error' as const,
        description: (
          <Space direction="vertical" size={0}>
            <span data-step-time>{at ? dateTime(at) : ''}</span>
            {reasonLine}
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t(`glossary:withdrawalStateHint.${w.state}`)}
            </Typography.Text>
          </Space>
        ),
      };
    }
    if (failedEnd && i > stopAt) return null;
    const at = i <= current ? reachedAt(w, state) : null;
    const done = i < current || (i === current && state === 'succeeded');
    return {
      key: state,
      title: word(state),
      status: done ? ('finish' as const) : i === current ? ('process' as const) : ('wait' as const),
      description: <span data-step-time>{at ? dateTime(at) : ''}</span>,
    };
  }).filter((item): item is NonNullable<typeof item> => item !== null);

  return (
    <div data-testid="withdrawal-progress" data-state={w.state}>
      <Steps
        size="small"
        direction={direction}
        labelPlacement={direction === 'vertical' ? undefined : 'vertical'}
        current={current}
        items={items}
      />
    </div>
  );
}
