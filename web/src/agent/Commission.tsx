import { Grid } from 'antd';
import { useTranslation } from 'react-i18next';
import { CommissionPanel } from '../shell/Commission.tsx';
import { Page } from '../shell/Page.tsx';

/** 佣金: this agent's commission balances, per day, product and merchant, and its entries. */
export function CommissionPage() {
  const { t } = useTranslation('agent');
  const screens = Grid.useBreakpoint();
  return (
    <Page title={t('commission.title')} subTitle={screens.md ? t('commission.subtitle') : undefined}>
      <CommissionPanel area="agent" base="/api/agent/commission" fileName="commission" />
    </Page>
  );
}
