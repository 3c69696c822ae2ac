import { DeleteOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { NumberSettingCard } from './NumberSettingCard.tsx';

/** The bounds the server holds `recycle.retentionDays` to (src/recycle/settings.ts). */
const MIN_DAYS = 1;
const MAX_DAYS = 3650;

/** 回收站保留天数: how long a deleted row stays restorable before the purge job removes it (audited on change). */
export function RecycleSettingsCard() {
  const { t } = useTranslation('operator');
  return (
    <NumberSettingCard
      path="/api/admin/settings/recycle-bin"
      field="retentionDays"
      icon={<DeleteOutlined />}
      title={t('recycle.title')}
      description={t('recycle.retentionHelp')}
      label={t('recycle.retention')}
      min={MIN_DAYS}
      max={MAX_DAYS}
      step={1}
      rule={t('recycle.retentionHelp')}
      saved={t('recycle.retentionSaved')}
      testId="recycle-settings"
    />
  );
}
