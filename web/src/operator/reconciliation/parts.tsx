import { Tag, Tooltip } from 'antd';
import { useTranslation } from 'react-i18next';
import type { BatchState, ItemClass } from './types.ts';

const STATE_COLOR: Record<BatchState, string> = { running: 'processing', done: 'success', failed: 'error' };

export function BatchStateTag({ state }: { state: BatchState }) {
  const { t } = useTranslation('operator');
  return (
    <Tooltip title={t(`reconciliation.stateHint.${state}`)}>
      <Tag color={STATE_COLOR[state]} bordered={false}>
        {t(`reconciliation.states.${state}`)}
      </Tag>
    </Tooltip>
  );
}

/** Whether the statement's own totals line equals the sum of its lines. */
export function TieOutTag({ tieOut }: { tieOut: boolean | null }) {
  const { t } = useTranslation('operator');
  const [color, key] =
    tieOut === null ? ['default', 'tieOutNone'] : tieOut ? ['success', 'tieOutYes'] : ['error', 'tieOutNo'];
  return (
    <Tooltip title={t('reconciliation.tieOutHint')}>
      <Tag color={color} bordered={false}>
        {t(`reconciliation.${key}`)}
      </Tag>
    </Tooltip>
  );
}

const CLASS_COLOR: Record<ItemClass | 'matched' | 'matchedRefunds', string> = {
  matched: 'success',
  matchedRefunds: 'success',
  platform_only: 'orange',
  channel_only: 'volcano',
  amount_mismatch: 'red',
  status_mismatch: 'magenta',
  fee_mismatch: 'gold',
  carried: 'blue',
};

/** A class in its words, with which side has it on hover (长款 / 短款 …). */
export function ClassTag({ cls }: { cls: ItemClass | 'matched' | 'matchedRefunds' }) {
  const { t } = useTranslation('operator');
  return (
    <Tooltip title={t(`reconciliation.classHint.${cls}`)}>
      <Tag color={CLASS_COLOR[cls]} bordered={false} data-class={cls}>
        {t(`reconciliation.classes.${cls}`)}
      </Tag>
    </Tooltip>
  );
}
