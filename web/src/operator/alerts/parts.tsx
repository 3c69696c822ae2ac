import { ModalForm, ProFormTextArea } from '@ant-design/pro-components';
import { App, Button, Tag, Typography } from 'antd';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { type AlertRow, SEVERITY_COLORS, STATE_COLORS } from './types.ts';

export function SeverityTag({ severity }: { severity: AlertRow['severity'] }) {
  const { t } = useTranslation('operator');
  return (
    <Tag color={SEVERITY_COLORS[severity]} bordered={false}>
      {t(`alerts.severities.${severity}`)}
    </Tag>
  );
}

export function StateTag({ alert }: { alert: Pick<AlertRow, 'state' | 'autoResolved'> }) {
  const { t } = useTranslation('operator');
  return (
    <Tag color={STATE_COLORS[alert.state]} bordered={false} data-testid="alert-state">
      {alert.state === 'resolved' && alert.autoResolved
        ? t('alerts.autoResolved')
        : t(`alerts.states.${alert.state}`)}
    </Tag>
  );
}

/** What the detector saw last, in words: one line per figure. */
export function useDetailLines(): (alert: Pick<AlertRow, 'kind' | 'detail'>) => string[] {
  const { t } = useTranslation('operator');
  return (alert) => detailLines(alert, (key, vars) => t(key, vars ?? {}));
}

function detailLines(
  alert: Pick<AlertRow, 'kind' | 'detail'>,
  t: (key: string, vars?: Record<string, unknown>) => string,
): string[] {
  const d = alert.detail;
  const refund = (v: unknown) => t(`glossary:refundState.${String(v)}`, { defaultValue: String(v) });
  switch (alert.kind) {
    case 'channel.success_rate_low':
      return [
        t('alerts.detail.ratePct', { value: d.ratePct }),
        t('alerts.detail.decided', { paid: d.paid, decided: d.decided, minutes: d.windowMinutes }),
        t('alerts.detail.threshold', { value: d.thresholdPct }),
      ];
    case 'channel.paying_stuck':
      return [
        t('alerts.detail.paying', { count: d.paying, minutes: d.olderThanMinutes, threshold: d.threshold }),
      ];
    case 'merchant.notify_failing':
      return [
        t('alerts.detail.failing', { count: d.failing, minutes: d.windowMinutes, givenUp: d.givenUp }),
        ...(d.lastError ? [t('alerts.detail.lastError', { error: d.lastError })] : []),
      ];
    case 'order.paid_after_close':
      return d.previousState
        ? [
            t('alerts.detail.lateFrom', {
              state: t(`glossary:orderState.${String(d.previousState)}`, {
                defaultValue: String(d.previousState),
              }),
            }),
          ]
        : [];
    case 'refund.outcome_conflict':
      return [
        t('alerts.detail.refund', {
          refundNo: d.refundNo,
          recorded: refund(d.recorded),
          channelSays: refund(d.channelSays),
        }),
      ];
    case 'reconciliation.unresolved':
      return [t('alerts.detail.recon', { day: d.day, count: d.open })];
    case 'channel.circuit_open':
      return [t('alerts.detail.circuit')];
    default:
      return [];
  }
}

/**
 * A button opening a dialog that asks for a note and posts it (acknowledge, resolve): the note is
 * required, a refusal is shown in the dialog in words.
 */
export function NoteAction({
  label,
  title,
  hint,
  path,
  done,
  onDone,
  link,
  danger,
  testId,
}: {
  label: ReactNode;
  title: string;
  hint: string;
  path: string;
  done: string;
  onDone: () => Promise<void> | void;
  link?: boolean;
  danger?: boolean;
  testId?: string;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  return (
    <ModalForm<{ note: string }>
      title={title}
      width={480}
      modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
      submitter={{ searchConfig: { submitText: label as string } }}
      trigger={
        link ? (
          <Button type="link" size="small" style={{ paddingInline: 0, height: 'auto' }} data-testid={testId}>
            {label}
          </Button>
        ) : (
          <Button type={danger ? 'primary' : 'default'} data-testid={testId}>
            {label}
          </Button>
        )
      }
      onFinish={async ({ note }) => {
        setError(null);
        try {
          await api.post(path, { note: note.trim() });
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
        name="note"
        label={t('alerts.note')}
        placeholder={t('alerts.notePlaceholder')}
        fieldProps={{ rows: 3, showCount: true, maxLength: 500, autoFocus: true }}
        rules={[{ required: true, whitespace: true, message: t('alerts.noteRequired') }]}
      />
    </ModalForm>
  );
}
