import { HistoryOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { NumberSettingCard } from './NumberSettingCard.tsx';

/** The bounds the server holds `history.retentionMonths` to (src/history/settings.ts): 0, or 12–120. */
const MAX_MONTHS = 120;

/** 历史数据保留: how many months of events, notifies and audit rows the database keeps before archiving. */
export function HistorySettingsCard() {
  const { t } = useTranslation('operator');
  return (
    <NumberSettingCard
      path="/api/admin/settings/history"
      field="retentionMonths"
      icon={<HistoryOutlined />}
      title={t('settings.historyTitle')}
      description={t('settings.historyHelp')}
      label={t('settings.historyLabel')}
      min={0}
      max={MAX_MONTHS}
      step={1}
      rule={t('settings.historyHelp')}
      saved={t('settings.historySaved')}
      testId="history-settings"
    />
  );
}
