import { ProCard } from '@ant-design/pro-components';
import { Alert, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { type BotGroup, BotGroupsTable } from '../shell/botGroups.tsx';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { useApi } from '../shell/useApi.ts';

/**
 * The merchant's Telegram group(s): a store manager creates a binding code, sends it in the group,
 * and sets the group's language, members and large-payment threshold (the operator console's
 * 机器人管理 sees the same groups).
 */
export function BotPanel() {
  const { t } = useTranslation(['merchant']);
  const { data, error } = useApi<{ botConfigured: boolean; botUsername: string | null; items: BotGroup[] }>(
    '/api/merchant/bot/groups',
  );
  return (
    <ProCard title={t('bot.panelTitle')} bordered data-testid="merchant-bot-panel">
      <Typography.Paragraph type="secondary">{t('bot.panelSubtitle')}</Typography.Paragraph>
      <ErrorAlert error={error} />
      {data && !data.botConfigured && <Alert type="info" showIcon message={t('bot.panelNotConfigured')} />}
      {data?.botConfigured && <BotGroupsTable area="merchant" botUsername={data.botUsername} />}
    </ProCard>
  );
}
