import { BankOutlined } from '@ant-design/icons';
import { Button, Grid, Space, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { CommissionPanel } from '../shell/Commission.tsx';
import { yuan } from '../shell/format.ts';
import { Page } from '../shell/Page.tsx';
import { useApi } from '../shell/useApi.ts';
import type { WithdrawalRules } from '../shell/withdrawalTypes.ts';

/**
 * 佣金: this agent's commission balances, per day, product and merchant, and its entries; the
 * available commission leads to 提现 (the new-withdrawal dialog opened).
 */
export function CommissionPage() {
  const { t } = useTranslation('agent');
  const screens = Grid.useBreakpoint();
  // The withdrawal rules' answer carries the balances to withdraw from.
  const { data } = useApi<WithdrawalRules>('/api/agent/withdrawal-rules');
  const balance = data?.balance;
  return (
    <Page
      title={t('commission.title')}
      subTitle={screens.md ? t('commission.subtitle') : undefined}
      extra={
        <Space wrap size={[12, 4]}>
          {balance && screens.sm && (
            <Typography.Text type="secondary" data-testid="commission-withdrawable">
              {t('commission.withdrawHint', {
                amount: yuan(balance.available, balance.currency),
                frozen: yuan(balance.frozen, balance.currency),
              })}
            </Typography.Text>
          )}
          <Link to="/agent/withdrawals?new=1">
            <Button type="primary" icon={<BankOutlined />} data-testid="commission-withdraw">
              {t('commission.withdraw')}
            </Button>
          </Link>
        </Space>
      }
    >
      <CommissionPanel area="agent" base="/api/agent/commission" fileName="commission" />
    </Page>
  );
}
